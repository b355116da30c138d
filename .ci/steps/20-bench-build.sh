#!/usr/bin/env bash
# Builds every bench (criterion, benches/*.rs) without running them: the
# figures come from `cargo bench --all-features`, see benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
timeout 1800 cargo bench --no-run --all-features
