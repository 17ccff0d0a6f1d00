#!/bin/sh
# tests/cli/allocators.sh - every registered allocator replays every workload
# (workloads/*.trace, workloads/*.rep) with all checks on and a self-check
# every 10000 ops, and passes.  The table grows as allocators and workloads
# are added.  The heap is capped so a wasteful allocator (bump) on a large
# workload records failed allocations instead of eating the machine's memory.
. tests/lib.sh

ALLOCS=$("$BENCH" --list | awk '{ print $1 }')
[ -n "$ALLOCS" ] || { echo "    bench --list printed nothing"; T_FAILED=$((T_FAILED + 1)); }

replays_cleanly() {
	expect_exit 0 "$BENCH" --alloc "$1" --trace "$2" --runs 1 --check 10000 \
	    --heap-limit 512M --json -q || return 1
	jq -e '.status == "ok" and .check.passed and .check.violations == 0' "$OUT" > /dev/null
}

found=0
for w in workloads/*.trace workloads/*.rep; do
	[ -e "$w" ] || continue
	found=1
	for a in $ALLOCS; do
		check "$a replays $w with every check passing" replays_cleanly "$a" "$w"
	done
done
if [ "$found" -eq 0 ]; then
	# No workloads yet: at least replay a small generated one with each allocator.
	printf 'a 0 24\nc 1 3 40\nm 2 64 100\nr 0 200\nf 1\na 1 0\nr 2 0\nf 0\nf 1\nf 2\n' > "$TMP/mini.trace"
	for a in $ALLOCS; do
		check "$a replays a small trace with every check passing" replays_cleanly "$a" "$TMP/mini.trace"
	done
fi
finish
