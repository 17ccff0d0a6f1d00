#!/bin/sh
# scripts/bench_pair.sh - how good is `bench compare --pair` on this machine
# (make bench-pair; docs/compare.md, "Paired runs").  Two measurements,
# each over TRACES in one interleaved suite (bench --interleave) with RUNS
# rounds, REPEAT times, while LOAD busy loops compete for the CPUs:
#
#   false alarms  segregated's library under two names (libsega.so and
#                 libsegb.so, byte for byte the same): cells flagged.
#                 Target: 0.
#   power         segregated vs test-slow-segregated (tests/allocators/
#                 slow.c) with its work set to 5% and 10% of segregated's
#                 instructions per op on each trace (bench --count): the
#                 fraction of cells flagged.  Target: all at 10%.
#
# Environment (defaults): BENCH (./bench), BENCH_TEST (build/bench-test),
# RUNS (10), REPEAT (5), LOAD (1), TRACES (five shipped traces), PCTS (5 10).
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
BENCH_TEST=${BENCH_TEST:-build/bench-test}
RUNS=${RUNS:-10}
REPEAT=${REPEAT:-5}
LOAD=${LOAD:-1}
PCTS=${PCTS:-5 10}
TRACES=${TRACES:-workloads/web.trace,workloads/binary.trace,workloads/coalescing.trace,workloads/realloc-growth.trace,workloads/random.trace}
command -v jq >/dev/null || { echo "bench_pair: jq is not installed" >&2; exit 3; }
[ -x "$BENCH" ] && [ -x "$BENCH_TEST" ] && [ -f build/lib/libheaplab-segregated.so ] ||
	{ echo "bench_pair: build first (make bench-pair)" >&2; exit 3; }
tmp=$(mktemp -d)
hogs=""
cleanup() {
	for p in $hogs; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
i=0
while [ "$i" -lt "$LOAD" ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done
# the number of FAIL-ing cells in a --pair comparison's output
flagged() { grep -c 'SLOWER' || true; }

cp build/lib/libheaplab-segregated.so "$tmp/libsega.so"
cp build/lib/libheaplab-segregated.so "$tmp/libsegb.so"
ncells=$(echo "$TRACES" | tr ',' '\n' | grep -c .)
total=0 r=0
while [ "$r" -lt "$REPEAT" ]; do
	"$BENCH" --alloc "$tmp/libsega.so,$tmp/libsegb.so" --trace "$TRACES" \
		--runs "$RUNS" --interleave --out "$tmp/f$r" -q 2>/dev/null
	n=$("$BENCH" compare --pair libsega,libsegb "$tmp/f$r" | flagged)
	total=$((total + n))
	r=$((r + 1))
done
echo "false alarms: $total of $((REPEAT * ncells)) cells flagged" \
     "($REPEAT suites x $ncells traces, $RUNS rounds, $LOAD busy loops)"

# spins per op that add PCT% of segregated's instructions per op on a trace
spins_for() {
	b=$(HEAPLAB_SLOW_SPINS=0 "$BENCH_TEST" --alloc test-slow-segregated --trace "$1" \
		--runs 1 --count -q --json 2>/dev/null | jq '.cost.instructions_per_op')
	s=$(HEAPLAB_SLOW_SPINS=100 "$BENCH_TEST" --alloc test-slow-segregated --trace "$1" \
		--runs 1 --count -q --json 2>/dev/null | jq '.cost.instructions_per_op')
	awk -v b="$b" -v s="$s" -v p="$2" 'BEGIN {
		if (s <= b) { print -1; exit }
		printf "%d\n", p / 100 * b / ((s - b) / 100) + 0.5 }'
}
for pct in $PCTS; do
	hit=0 all=0
	for t in $(echo "$TRACES" | tr ',' ' '); do
		spins=$(spins_for "$t" "$pct")
		[ "$spins" -ge 0 ] 2>/dev/null ||
			{ echo "bench_pair: no instruction count (bench --count)" >&2; exit 3; }
		r=0
		while [ "$r" -lt "$REPEAT" ]; do
			HEAPLAB_SLOW_SPINS=$spins "$BENCH_TEST" --alloc segregated,test-slow-segregated \
				--trace "$t" --runs "$RUNS" --interleave --out "$tmp/p$pct-$r" -q 2>/dev/null
			n=$("$BENCH_TEST" compare --pair segregated,test-slow-segregated \
				"$tmp/p$pct-$r" | flagged)
			hit=$((hit + n))
			all=$((all + 1))
			rm -rf "$tmp/p$pct-$r"
			r=$((r + 1))
		done
	done
	echo "power at +$pct% instructions: $hit of $all cells flagged"
done
