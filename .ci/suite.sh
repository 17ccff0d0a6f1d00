#!/bin/sh
# .ci/suite.sh - run a small (allocator x trace) suite into a results folder:
#
#   .ci/suite.sh OUTDIR
#
# One `bench --alloc LIST --trace LIST --out OUTDIR` (the suite matrix: each
# cell in its own child process, OUTDIR/<allocator>/<trace>.json plus
# summary.json), the folder layout bench report, bench compare and plot.sh
# read.  Environment:
#   BENCH   the bench binary (default ./bench)
#   ALLOCS  comma list of allocators (default builtin: every built-in)
#   TRACES  comma list of traces (default: SMALL_TRACES below)
#   RUNS    timed passes per cell (default 3)
#   EXTRA   more bench options (e.g. --latency)
# Exit status is bench's: 1 when a cell failed its check (its result is kept).
set -u
BENCH=${BENCH:-./bench}
out=${1:?usage: .ci/suite.sh OUTDIR}
# The shipped traces that replay in well under a second per cell.
SMALL_TRACES=workloads/basic.trace,workloads/binary-small.rep,workloads/coalesce.trace
SMALL_TRACES=$SMALL_TRACES,workloads/realloc.trace,workloads/short1.rep,workloads/web.trace
SMALL_TRACES=$SMALL_TRACES,workloads/binary.trace,workloads/coalescing.trace
SMALL_TRACES=$SMALL_TRACES,workloads/realloc-growth.trace,workloads/random.trace
ALLOCS=${ALLOCS:-builtin}
TRACES=${TRACES:-$SMALL_TRACES}
RUNS=${RUNS:-3}
EXTRA=${EXTRA:-}

# shellcheck disable=SC2086
exec "$BENCH" --alloc "$ALLOCS" --trace "$TRACES" --runs "$RUNS" $EXTRA --quiet --out "$out"
