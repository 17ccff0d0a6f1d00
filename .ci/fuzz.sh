#!/bin/sh
# .ci/fuzz.sh - a short, bounded fuzzing run of every libFuzzer target
# (tests/fuzz/fuzz_*.c), FUZZ_SECONDS each (default 45), starting from the
# seed corpus in tests/fuzz/corpus/.  Fails if a target crashes, leaks, trips
# a sanitizer or breaks one of its invariants; the input is left in
# build/fuzz/crashes/ (add it to tests/data/ with a regression test).
set -eu
cd "$(dirname "$0")/.."
command -v clang > /dev/null || { echo "fuzz.sh: clang is not installed" >&2; exit 1; }
make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-45}"
