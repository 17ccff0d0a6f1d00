#!/bin/sh
# scripts/threads.sh - throughput against thread count: for each mt-* profile
# and each thread count (1, 2 and the machine's cores), generate the trace
# with that many threads, replay it with `bench --threads` on each allocator
# (built-ins behind their global lock, installed peers as they are), and
# write a TSV and a gnuplot chart (PNG).  docs/threads.md shows the result.
#
# usage: sh scripts/threads.sh [OUTDIR]      (default results/threads)
# environment:
#   ALLOCS    allocators (default: segregated, tlsf, tlsf-tcache, sharded, installed peers)
#   PROFILES  default: mt-private mt-producer-consumer mt-cache
#   THREADS   thread counts (default: 1 2 and nproc, without repeats)
#   OPS       operations per trace (default 100000)
#   RUNS      timed passes per cell (default 5; the median is plotted)
#   BENCH     the bench binary (default ./bench)
set -eu
OUT=${1:-results/threads}
BENCH=${BENCH:-./bench}
OPS=${OPS:-100000}
RUNS=${RUNS:-5}
PROFILES=${PROFILES:-mt-private mt-producer-consumer mt-cache}
CORES=$(nproc)
THREADS=${THREADS:-$(printf '1\n2\n%s\n' "$CORES" | sort -n | uniq | tr '\n' ' ')}
if [ -z "${ALLOCS:-}" ]; then
	ALLOCS="segregated tlsf tlsf-tcache sharded $("$BENCH" --list | grep ' peer: ' | grep -v 'not installed' |
		awk '{print $1}' | tr '\n' ' ')"
fi
mkdir -p "$OUT"
WORK=$(mktemp -d)   # traces and raw results; only the table and chart are kept
trap 'rm -rf "$WORK"' EXIT
TSV=$OUT/threads.tsv
TMPTSV=$TSV.tmp
printf 'profile\tthreads\tallocator\tlock\tops\tmops_median\tmops_min\tmops_max\tns_per_op_median\tpeak_live_bytes\tstatus\n' > "$TMPTSV"

for p in $PROFILES; do
	for n in $THREADS; do
		tr=$WORK/$p-$n.trace
		"$BENCH" gen "$p" --threads "$n" --ops "$OPS" -o "$tr"
		for a in $ALLOCS; do
			json=$WORK/$p-$n-$a.json
			status=ok
			"$BENCH" --alloc "$a" --trace "$tr" --threads --runs "$RUNS" --json -q \
				> "$json" 2> "$WORK/$p-$n-$a.err" || status=failed
			python3 - "$json" "$p" "$n" "$a" "$status" >> "$TMPTSV" <<'EOF'
import json, sys
path, prof, n, alloc, status = sys.argv[1:]
try:
    j = json.load(open(path))
    tp = j["throughput"]["ops_per_sec"]
    print("\t".join([prof, n, alloc,
                     "lock" if j["threading"]["global_lock"] else "none",
                     str(j["trace"]["ops"]),
                     "%.4f" % (tp["median"] / 1e6), "%.4f" % (tp["min"] / 1e6),
                     "%.4f" % (tp["max"] / 1e6),
                     "%.1f" % j["throughput"]["ns_per_op"]["median"],
                     str(j["memory"]["peak_live_bytes"]), j["status"]]))
except Exception as e:
    print("\t".join([prof, n, alloc, "-", "-", "NaN", "NaN", "NaN", "NaN", "-", status]))
EOF
			echo "threads.sh: $p, $n threads, $a: $status" >&2
		done
	done
done
mv "$TMPTSV" "$TSV"

# One panel per profile: Mops/s (median, min-max bars) against threads.
PNG=$OUT/threads.png
NP=$(echo $PROFILES | wc -w)
{
	echo "set terminal pngcairo size $((NP * 520)),440 font 'sans,10'"
	echo "set output '$PNG'"
	echo "set multiplot layout 1,$NP title 'Throughput against threads (bench --threads, $OPS ops, median of $RUNS; $CORES cores)'"
	echo "set xlabel 'threads'"
	echo "set ylabel 'Mops/s'"
	echo "set xtics ($(echo $THREADS | sed 's/ /, /g'))"
	echo "set xrange [0.5:$((CORES > 2 ? CORES : 2)).5]"
	echo "set yrange [0:*]"
	echo "set key top right font ',8'"
	echo "set grid ytics"
	for p in $PROFILES; do
		echo "set title '$p'"
		printf 'plot '
		sep=''
		for a in $ALLOCS; do
			label=$a
			case " segregated tlsf " in *" $a "*) label="$a (global lock)";; esac
			# one allocator's rows of one profile, so its points join into a line
			dat=$WORK/$p-$a.dat
			awk -F '\t' -v p="$p" -v a="$a" '$1 == p && $3 == a' "$TSV" > "$dat"
			printf "%s'%s' using 2:6:7:8 with yerrorlines lw 2 title '%s'" "$sep" "$dat" "$label"
			sep=', '
		done
		echo
	done
	echo "unset multiplot"
} > "$WORK/threads.gp"
sed -i '1i set datafile separator "\\t"' "$WORK/threads.gp"
if command -v gnuplot > /dev/null; then
	gnuplot "$WORK/threads.gp"
	echo "threads.sh: $TSV, $PNG" >&2
else
	echo "threads.sh: $TSV (no gnuplot: no chart)" >&2
fi
