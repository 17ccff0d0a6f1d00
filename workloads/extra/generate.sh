#!/bin/sh
# workloads/extra/generate.sh - traces the benchmark needs beyond the library
# (see README.md here).  Deterministic: same bench, same bytes.
#
#   sh workloads/extra/generate.sh [BENCH]
set -eu
cd "$(dirname "$0")/../.."
BENCH=${1:-./bench}
out=workloads/extra/random-freeall.trace
tmp=$out.tmp
# The random profile (uniform sizes 1..4096), then a free of every block
# still live, in ID order, so the heap ends empty.
"$BENCH" gen random --ops 20000 --seed 1 -o - | awk '
	{ print }
	/^#/ { next }
	$1 == "a" || $1 == "c" || $1 == "m" { live[$2] = 1 }
	$1 == "f" { delete live[$2] }
	END {
		print "# then free every block still live, in ID order"
		n = 0
		for (id in live) ids[++n] = id + 0
		for (i = 2; i <= n; i++) {          # insertion sort: portable awk
			v = ids[i]
			for (j = i - 1; j > 0 && ids[j] > v; j--) ids[j + 1] = ids[j]
			ids[j + 1] = v
		}
		for (i = 1; i <= n; i++) print "f " ids[i]
	}' > "$tmp"
mv "$tmp" "$out"
