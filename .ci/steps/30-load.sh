#!/usr/bin/env bash
# Load: 20,000 deliveries at concurrency 64 over 127.0.0.1, half forged
# (tests/load.rs, ignored in the normal run). Bounded: fixed count, and the
# test's own 300 s deadline.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --release --all-features --test load -- --ignored --nocapture
