#!/usr/bin/env bash
# Fuzz smoke: every cargo-fuzz target in fuzz/ for about FUZZ_SECONDS (60)
# seconds, from seed corpora built from the shared fixtures. Any crash,
# panic, failed oracle assertion or leak fails CI; the input is left in
# fuzz/artifacts/<target>/. See fuzz/README.md to run longer.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${FUZZ_SECONDS:-60}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is required (cargo +nightly)" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

python3 fuzz/seed.py

cd fuzz
# Debug assertions on (-a): integer overflow is a crash too.
cargo +nightly fuzz build -a
for target in signature_headers instance_origin layer; do
  echo "--- fuzz $target (${seconds}s)"
  if ! cargo +nightly fuzz run -a "$target" -- \
      -max_total_time="$seconds" -print_final_stats=1; then
    echo "fuzz: $target failed; inputs in fuzz/artifacts/$target/:" >&2
    ls -l "artifacts/$target" >&2 || true
    exit 1
  fi
done
