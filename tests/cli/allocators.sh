#!/bin/sh
# tests/cli/allocators.sh - every registered allocator replays every shipped
# workload (workloads/*.trace, *.rep, malloclab/*.trace, extra/*.trace) with
# all checks on and a self-check every 10000 ops, and passes.  The table grows as allocators and workloads
# are added.  The heap is capped so a wasteful allocator (bump) on a large
# workload records failed allocations instead of eating the machine's memory.
#
# The small hand-written traces are replayed again with the self-check after
# every op (--check 1).  Every allocator must survive every workload: a cell
# that runs past CELL_TIMEOUT seconds (default 300; the slowest cell, an
# O(n)-per-op design on a recorded trace, takes a few seconds) fails.
. tests/lib.sh

CELL_TIMEOUT=${CELL_TIMEOUT:-300}
CHECK_EVERY=10000

# Built-ins only: peers (and their "peer:" lines) are tests/cli/peers.sh's.
ALLOCS=$("$BENCH" --list | awk '$2 != "peer:" { print $1 }')
[ -n "$ALLOCS" ] || { echo "    bench --list printed nothing"; T_FAILED=$((T_FAILED + 1)); }

# Run one cell into $OUT/$ERR; exit status in $RC.
run_cell() {
	timeout "$CELL_TIMEOUT" "$BENCH" --alloc "$1" --trace "$2" --runs 1 --check "$CHECK_EVERY" \
	    --heap-limit 512M --json -q > "$OUT" 2> "$ERR"
	RC=$?
}

passed_every_check() {
	[ "$RC" -eq 0 ] || { echo "    exit $RC"; return 1; }
	jq -e '.status == "ok" and .check.passed and .check.violations == 0' "$OUT" > /dev/null
}

# One cell; a timeout (exit 124) fails like any other non-zero exit.
cell() {
	run_cell "$1" "$2"
	check "$1 replays $2 with every check passing (self-check every $CHECK_EVERY ops)" \
		passed_every_check
}

found=0
for w in workloads/*.trace workloads/*.rep workloads/malloclab/*.trace workloads/extra/*.trace; do
	[ -e "$w" ] || continue
	found=1
	for a in $ALLOCS; do
		cell "$a" "$w"
	done
done
if [ "$found" -eq 0 ]; then
	# No workloads yet: at least replay a small generated one with each allocator.
	printf 'a 0 24\nc 1 3 40\nm 2 64 100\nr 0 200\nf 1\na 1 0\nr 2 0\nf 0\nf 1\nf 2\n' > "$TMP/mini.trace"
	for a in $ALLOCS; do
		cell "$a" "$TMP/mini.trace"
	done
fi

# The small traces again, with the allocator's self-check after every op.
CHECK_EVERY=1
for w in workloads/basic.trace workloads/coalesce.trace workloads/realloc.trace \
         workloads/short1.rep workloads/binary-small.rep; do
	for a in $ALLOCS; do
		cell "$a" "$w"
	done
done
# realloc of a live block to a size no heap holds (2^64-1, 2^63, PTRDIFF_MAX):
# NULL, one failed allocation, the block stays live and every check passes.
for big in 18446744073709551615 9223372036854775808 9223372036854775807; do
	printf 'a 1 600000\na 2 24\nr 1 %s\nr 2 %s\nf 1\nf 2\n' "$big" "$big" > "$TMP/huge.trace"
	for a in $ALLOCS; do
		huge_realloc_fails() {
			"$BENCH" --alloc "$a" --trace "$TMP/huge.trace" --runs 1 --check 1 --json -q \
			    > "$OUT" 2> "$ERR" || { echo "    exit $?"; return 1; }
			jq -e '.status == "ok" and .ops.failed_allocations == 2 and .check.passed' "$OUT" > /dev/null
		}
		check "$a: realloc to $big fails cleanly, the block stays live" huge_realloc_fails
	done
done
finish
