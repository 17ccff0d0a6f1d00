#!/bin/sh
# scripts/threads_scaling.sh - wall time of `bench --threads` against the
# number of short-lived threads in a trace (each thread allocates four
# blocks, frees three and the block its predecessor left).  Replay blocks
# threads that wait (a futex) instead of spinning, so the time should grow
# about linearly; a spinning start line made it quadratic on few cores.
#
# usage: sh scripts/threads_scaling.sh             prints a table on stdout
# environment:
#   THREADS  thread counts (default 500 1000 2000 4000)
#   REPEAT   measurements per count; the median is shown (default 3)
#   ALLOC    allocator (default tlsf)
#   BENCH    the bench binary (default ./bench)
set -eu
BENCH=${BENCH:-./bench}
THREADS=${THREADS:-500 1000 2000 4000}
REPEAT=${REPEAT:-3}
ALLOC=${ALLOC:-tlsf}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
printf 'threads\tmedian_ms\tall_ms\n'
for n in $THREADS; do
	awk -v n="$n" 'BEGIN {
		for (k = 0; k < n; k++) {
			print "t", k
			for (j = 0; j < 4; j++) print "a", k * 4 + j, 16 + 8 * j
			if (k > 0) print "f", (k - 1) * 4 + 3
			for (j = 0; j < 3; j++) print "f", k * 4 + j
		}
		print "t", n - 1; print "f", (n - 1) * 4 + 3 }' > "$WORK/t.trace"
	all=
	for i in $(seq "$REPEAT"); do
		s=$(now_ms)
		"$BENCH" --alloc "$ALLOC" --threads --trace "$WORK/t.trace" --runs 1 -q > /dev/null
		all="$all $(($(now_ms) - s))"
	done
	med=$(echo $all | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf '%s\t%s\t%s\n' "$n" "$med" "$(echo $all | tr ' ' ',')"
done
