#!/bin/sh
# .ci/regression.sh - fail when an allocator now takes more memory than the
# committed baseline says (results/baseline/, made by `make baseline`).
#
# Runs the baseline's suite again (every built-in x the shipped traces, one
# timed pass: only the memory figures are compared, and those are exact) and
# `bench compare --only-memory`: a peak break one byte larger, a cell whose
# check now fails, or a baseline cell that no longer runs fails the script
# (exit 1).  New allocators or traces are listed but do not fail.  After an
# intended change of memory use, regenerate and commit: `make baseline`.
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
BASELINE=${BASELINE:-results/baseline}
[ -d "$BASELINE" ] || { echo "regression: no baseline in $BASELINE (make baseline)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BENCH=$BENCH RUNS=1 sh .ci/suite.sh "$tmp/current"
suite=$?
[ $suite -le 1 ] || exit $suite   # a crashed/failed cell still goes to compare
"$BENCH" compare --only-memory "$BASELINE" "$tmp/current"
