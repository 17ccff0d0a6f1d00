#!/bin/sh
# .ci/suite.sh - run a small (allocator x trace) suite, one result per cell:
#
#   .ci/suite.sh OUTDIR
#
# writes OUTDIR/<allocator>/<trace file name>.json (the suite folder layout
# bench report, bench compare and plot.sh read).  Environment:
#   BENCH   the bench binary (default ./bench)
#   ALLOCS  allocators (default: every built-in, from bench --list)
#   TRACES  trace files (default: the shipped workloads/*.trace and *.rep)
#   RUNS    timed passes per cell (default 3)
#   EXTRA   more bench options (e.g. --latency)
# A cell whose check fails keeps its result (status check-failed) and makes
# the script exit 1 at the end; bad usage or a system error stops it at once.
set -u
BENCH=${BENCH:-./bench}
out=${1:?usage: .ci/suite.sh OUTDIR}
ALLOCS=${ALLOCS:-$("$BENCH" --list | awk '{ print $1 }')}
TRACES=${TRACES:-$(ls workloads/*.trace workloads/*.rep)}
RUNS=${RUNS:-3}
EXTRA=${EXTRA:-}
status=0

for a in $ALLOCS; do
	mkdir -p "$out/$a" || exit 3
	for t in $TRACES; do
		# shellcheck disable=SC2086
		"$BENCH" --alloc "$a" --trace "$t" --runs "$RUNS" $EXTRA --quiet \
			--out "$out/$a/$(basename "$t").json"
		code=$?
		case $code in
		0) ;;
		1) echo "suite: $a on $t failed its check (result kept)" >&2; status=1 ;;
		*) echo "suite: $a on $t: bench exited $code" >&2; exit "$code" ;;
		esac
	done
done
exit $status
