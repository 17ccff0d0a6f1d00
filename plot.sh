#!/bin/sh
# plot.sh - charts of heaplab results with gnuplot.
#
#   ./plot.sh [-o DIR] [-t TRACE] [-p PROGRAM] [RESULTS...]
#
# RESULTS are result files or folders (default: the newest folder in results/).  The tables come
# from `bench report` (this script never reads JSON itself), so a file that is
# not a heaplab result stops it with bench's message and exit status 2.
# Writes into DIR (default charts/<UTC timestamp>/), as PNG and SVG:
#   throughput   ops/s per allocator per trace (median, bars from min to max)
#   memory       peak break (or peak RSS when peers are present) per allocator
#                per trace, with the trace's peak live bytes as the floor
#   fragmentation  1 - utilization per allocator per trace
#   footprint    the break over the trace, one line per allocator, for TRACE
#                (-t; default: the trace with the most ops)
#   latency      per-op latency percentiles per allocator (when measured)
# and for program cells (bench run, docs/run.md):
#   programs-time    wall time per allocator per program (relative to glibc
#                    when glibc ran; bars from the fastest to the slowest run)
#   programs-memory  peak RSS per allocator per program (relative to glibc)
#   programs-footprint  RSS over time of PROGRAM (-p; default: the program
#                    with the longest glibc run), one line per allocator
# Results of several machines (folders from several hosts) are one set, drawn
# side by side: each allocator is labelled "allocator @ machine" (trace charts).
# plus the tables it drew them from (cells.tsv, timeline.tsv, programs.tsv,
# rss-timeline.tsv).  Prints the
# folder on success.  Exit status: 0 ok, 2 bad usage or a bad result file,
# 3 gnuplot missing or failing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-$here/bench}
out=
trace=
program=

die() { code=$1; shift; echo "plot.sh: $*" >&2; exit "$code"; }

usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
}

while getopts o:t:p:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	t) trace=$OPTARG ;;
	p) program=$OPTARG ;;
	h) usage; exit 0 ;;
	*) die 2 "usage: plot.sh [-o DIR] [-t TRACE] [-p PROGRAM] [RESULTS...]" ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then
	# The newest run folder, not all of results/ (that would mix runs).
	latest=$(ls -td results/*/ 2>/dev/null | head -1)
	[ -n "$latest" ] || die 2 "no results/ folder to chart: name RESULTS (files or folders)"
	set -- "${latest%/}"
fi

command -v gnuplot > /dev/null 2>&1 ||
	die 3 "gnuplot is not installed (make deps installs gnuplot-nox)"
[ -x "$BENCH" ] || die 3 "$BENCH is missing: run make first"

# The tables first, so a bad result file leaves no half-made chart folder.
tmp=$(mktemp -d) || die 3 "cannot create a temporary folder"
trap 'rm -rf "$tmp"' EXIT
fields=allocator,kind,trace,status,ops,ops_per_sec_median,ops_per_sec_min,ops_per_sec_max
fields=$fields,peak_break_bytes,peak_rss_bytes,peak_live_bytes,fragmentation
fields=$fields,latency_p50,latency_p90,latency_p99,latency_p999,latency_max,fragmentation_rss
pfields=allocator,kind,program,status,wall_s_median,wall_s_min,wall_s_max,peak_rss_bytes
pfields=$pfields,sampled_rss_bytes,wall_ratio_glibc,rss_ratio_glibc,file
fields=$fields,machine
set +e
"$BENCH" report --format tsv --cells trace --fields "$fields" "$@" > "$tmp/cells.tsv"
code=$?
if [ $code -eq 0 ]; then
	"$BENCH" report --format tsv --cells trace --timeline "$@" > "$tmp/timeline.tsv"
	code=$?
fi
if [ $code -eq 0 ]; then
	"$BENCH" report --format tsv --cells program --fields "$pfields" "$@" > "$tmp/programs.tsv" &&
	"$BENCH" report --format tsv --cells program --rss-timeline "$@" > "$tmp/rss-timeline.tsv"
	code=$?
fi
set -e
[ $code -eq 0 ] || die "$code" "cannot read the results (see above); nothing charted"

# by_machine CELLS TIMELINE: results of several machines (folders gathered
# from several hosts, docs/distributed.md) are drawn side by side: each
# allocator becomes "allocator @ machine".  bench report adds a machine
# column to the timeline only then.
by_machine() {
	awk -F '\t' 'NR > 1 && !s[$19]++ { n++ } END { exit n < 2 }' "$1" || return 0
	awk -F '\t' -v OFS='\t' 'NR > 1 { $1 = $1 " @ " $19 } { print }' "$1" > "$1.tmp" &&
		mv "$1.tmp" "$1"
	awk -F '\t' -v OFS='\t' 'NR > 1 { $1 = $1 " @ " $6 } { print }' "$2" > "$2.tmp" &&
		mv "$2.tmp" "$2"
}

[ -n "$out" ] || out=charts/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out" || die 3 "cannot create $out"
mv "$tmp/cells.tsv" "$tmp/timeline.tsv" "$tmp/programs.tsv" "$tmp/rss-timeline.tsv" "$out/"
by_machine "$out/cells.tsv" "$out/timeline.tsv"
dups=$(awk -F '\t' 'NR > 1 && seen[$1 FS $3]++ == 1 { n++; if (!e) e = $1 " on " $3 }
	END { if (n) print n " cells (e.g. " e ")" }' "$out/cells.tsv")
[ -z "$dups" ] || echo "plot.sh: warning: $dups appear in more than one result;" \
	"the last one read is drawn (chart one run folder at a time)" >&2
trace_cells=$(($(wc -l < "$out/cells.tsv") - 1))
program_cells=$(($(wc -l < "$out/programs.tsv") - 1))
[ $((trace_cells + program_cells)) -gt 0 ] || die 2 "no heaplab results found in: $*"

# Columns of cells.tsv, by name (kept in step with $fields).
C_ALLOC=1 C_KIND=2 C_TRACE=3 C_STATUS=4 C_OPS=5 C_MED=6 C_MIN=7 C_MAX=8
C_BREAK=9 C_RSS=10 C_LIVE=11 C_FRAG=12 C_P50=13 C_P90=14 C_P99=15 C_P999=16 C_LMAX=17
C_FRAG_RSS=18

if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
	png_term="pngcairo size 1100,620 font 'sans,10' noenhanced"
else
	png_term="png size 1100,620 noenhanced"
fi
svg_term="svg size 1100,620 font 'sans,10' noenhanced"

# render NAME: the gnuplot script on stdin, drawn as NAME.png and NAME.svg.
render() {
	cat > "$out/$1.gp"
	for kind in png svg; do
		if [ $kind = png ]; then term=$png_term; else term=$svg_term; fi
		gnuplot -e "set terminal $term; set output '$out/$1.$kind'" "$out/$1.gp" \
			2> "$out/$1.log" || die 3 "gnuplot failed on $1 (see $out/$1.log)"
		[ -s "$out/$1.$kind" ] || die 3 "gnuplot wrote an empty $out/$1.$kind"
	done
	rm -f "$out/$1.log"
	made="$made $1"
}
made=

# matrix COL SCALE FILE: traces as rows, allocators as columns, value COL x
# SCALE of cells whose status is ok (NaN where a cell lacks it); a header row
# of allocator names.  Prints the number of allocators.  With COL2 and COL3
# set (min and max), writes three columns per allocator.
matrix() {
	awk -F '\t' -v col="$1" -v scale="$2" -v lo="${3:-0}" -v hi="${4:-0}" '
	NR == 1 { next }
	$'$C_STATUS' != "ok" { next }
	{
		if (!($'$C_ALLOC' in ai)) {
			ai[$'$C_ALLOC'] = ++na; an[na] = $'$C_ALLOC'
			lab[na] = $'$C_ALLOC' ($'$C_KIND' == "peer" ? " (peer)" : "")
		}
		if (!($'$C_TRACE' in ti)) { ti[$'$C_TRACE'] = ++nt; tn[nt] = $'$C_TRACE' }
		k = $'$C_TRACE' SUBSEP $'$C_ALLOC'
		v[k] = $col == "" ? "NaN" : $col * scale
		if (lo) { l[k] = $lo == "" ? "NaN" : $lo * scale; h[k] = $hi == "" ? "NaN" : $hi * scale }
	}
	END {
		printf "trace"
		for (a = 1; a <= na; a++) printf "\t%s%s", lab[a], lo ? "\t-\t-" : ""
		printf "\n"
		for (t = 1; t <= nt; t++) {
			printf "%s", tn[t]
			for (a = 1; a <= na; a++) {
				k = tn[t] SUBSEP an[a]
				printf "\t%s", (k in v) ? v[k] : "NaN"
				if (lo) printf "\t%s\t%s", (k in l) ? l[k] : "NaN", (k in h) ? h[k] : "NaN"
			}
			printf "\n"
		}
		print na + 0 > "/dev/stderr"
	}' "$out/cells.tsv"
}

# ratio FILE: max/min of the positive numbers in FILE's data columns.
ratio() {
	awk -F '\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "NaN" && $i > 0) {
		if (!n++ || $i < mn) mn = $i; if ($i > mx) mx = $i } }
		END { print n ? mx / mn : 1 }' "$1"
}

# 16 distinct colours (more allocators than that repeat them).
common="set datafile separator '\t'
set linetype 1 lc rgb '#1f77b4'; set linetype 2 lc rgb '#ff7f0e'; set linetype 3 lc rgb '#2ca02c'
set linetype 4 lc rgb '#d62728'; set linetype 5 lc rgb '#9467bd'; set linetype 6 lc rgb '#8c564b'
set linetype 7 lc rgb '#e377c2'; set linetype 8 lc rgb '#7f7f7f'; set linetype 9 lc rgb '#bcbd22'
set linetype 10 lc rgb '#17becf'; set linetype 11 lc rgb '#393b79'; set linetype 12 lc rgb '#ffbb78'
set linetype 13 lc rgb '#98df8a'; set linetype 14 lc rgb '#ff9896'; set linetype 15 lc rgb '#c5b0d5'
set linetype 16 lc rgb '#c49c94'; set linetype cycle 16
set datafile missing 'NaN'
set key outside right top vertical Left reverse samplen 2
set grid ytics
set style fill solid 0.85 border -1
set xtics rotate by -25 left nomirror
set tics nomirror
set border 3"

# ---- throughput ----
na=$(matrix $C_MED 1e-6 $C_MIN $C_MAX 2>&1 > "$out/throughput.tsv")
if [ "$na" -gt 0 ]; then
	log=$(awk -v r="$(ratio "$out/throughput.tsv")" 'BEGIN { print (r > 30) ? 1 : 0 }')
	render throughput <<EOF
$common
set title 'Throughput per allocator and trace (median of the timed runs; bars: min to max)'
set ylabel 'Mops/s (higher is better)'
set xlabel 'trace'
set style data histograms
set style histogram errorbars gap 1.5 lw 1
$( [ "$log" = 1 ] && echo "set logscale y; set ylabel 'Mops/s, log scale (higher is better)'" || echo "set yrange [0:*]")
plot for [a=1:$na] '$out/throughput.tsv' using (column(3*a-1)):(column(3*a)):(column(3*a+1)):xtic(1) title columnhead(3*a-1)
EOF
fi

# ---- memory ----
# Peak break is exact and comparable between built-ins; a peer has none, so
# with peers every allocator is drawn by peak RSS (which includes the harness).
mem_col=$C_BREAK mem_name='peak break' frag_col=$C_FRAG frag_of='peak break'
if awk -F '\t' 'NR > 1 && $'$C_STATUS' == "ok" && $'$C_BREAK' == "" && $'$C_RSS' != "" { f = 1 }
	END { exit !f }' "$out/cells.tsv"; then
	mem_col=$C_RSS mem_name="peak RSS above the harness's own (memory pass)"
	frag_col=$C_FRAG_RSS frag_of='peak RSS'
fi
# KiB when everything is below 1 MiB, else MiB.
mem_unit=$(awk -F '\t' -v c=$mem_col 'NR > 1 && $c + 0 > m { m = $c + 0 }
	END { print (m < 1048576) ? "KiB" : "MiB" }' "$out/cells.tsv")
if [ "$mem_unit" = KiB ]; then mem_div=1024; else mem_div=1048576; fi
na=$(matrix $mem_col "$(awk "BEGIN { print 1 / $mem_div }")" 2>&1 > "$out/memory.tsv")
awk -F '\t' -v d=$mem_div 'NR > 1 && $'$C_STATUS' == "ok" && $'$C_LIVE' != "" &&
	!($'$C_TRACE' in s) { s[$'$C_TRACE'] = 1; printf "%s\t%s\n", $'$C_TRACE', $'$C_LIVE' / d }' \
	"$out/cells.tsv" > "$out/live.tsv"
if [ "$na" -gt 0 ]; then
	log=$(awk -v r="$(ratio "$out/memory.tsv")" 'BEGIN { print (r > 30) ? 1 : 0 }')
	render memory <<EOF
$common
set title "Memory: $mem_name per allocator and trace; black line: the trace's peak live bytes"
set ylabel '$mem_unit (lower is better)'
set xlabel 'trace'
set style data histograms
set style histogram clustered gap 1.5
$( [ "$log" = 1 ] && echo "set logscale y; set ylabel '$mem_unit, log scale (lower is better)'" || echo "set yrange [0:*]")
plot for [a=2:$((na + 1))] '$out/memory.tsv' using a:xtic(1) title columnhead(a), \
     '$out/live.tsv' using (\$0 - 0.45):2:(0.9):(0) with vectors nohead lw 2 lc rgb 'black' title 'peak live (requested bytes)'
EOF
fi

# ---- fragmentation ----
na=$(matrix $frag_col 100 2>&1 > "$out/fragmentation.tsv")
if [ "$na" -gt 0 ]; then
	render fragmentation <<EOF
$common
set title "Fragmentation: 1 - peak live bytes / $frag_of, per allocator and trace"
set ylabel "% of the $frag_of not holding live data (lower is better)"
set xlabel 'trace'
set yrange [0:100]
set style data histograms
set style histogram clustered gap 1.5
plot for [a=2:$((na + 1))] '$out/fragmentation.tsv' using a:xtic(1) title columnhead(a)
EOF
fi

# ---- footprint over the trace ----
if [ -z "$trace" ]; then
	trace=$(awk -F '\t' 'NR > 1 && $'$C_OPS' + 0 > best { best = $'$C_OPS' + 0; t = $'$C_TRACE' }
		END { print t }' "$out/cells.tsv")
fi
awk -F '\t' -v t="$trace" 'NR == 1 || $2 == t' "$out/timeline.tsv" > "$out/footprint.tsv"
[ "$(wc -l < "$out/footprint.tsv")" -gt 1 ] || [ "$trace_cells" -eq 0 ] ||
	die 2 "no timeline for trace '$trace' in the results (-t names a trace file, e.g. web.trace)"
# One block per allocator (blank lines between) so gnuplot draws separate lines.
awk -F '\t' 'NR > 1 && $4 != "" { if ($1 != last) { if (n++) printf "\n\n"; print "# " $1; last = $1 }
	printf "%s\t%s\t%s\n", $3, $4 / 1048576, $5 / 1048576 }' "$out/footprint.tsv" > "$out/footprint.dat"
names=$(awk -F '\t' 'NR > 1 && $4 != "" && !s[$1]++ { printf "%s ", $1 }' "$out/footprint.tsv")
# Log scale when one allocator's peak is 10x another's (bump's usually is).
fp_log=$(awk -F '\t' 'NR > 1 && $4 != "" { if ($4 + 0 > p[$1]) p[$1] = $4 + 0 }
	END { for (a in p) { if (!n++ || p[a] < mn) mn = p[a]; if (p[a] > mx) mx = p[a] }
	      print (n && mn > 0 && mx / mn > 10) ? 1 : 0 }' "$out/footprint.tsv")
fp_note=
awk -F '\t' 'NR > 1 && $4 == "" { f = 1 } END { exit !f }' "$out/footprint.tsv" &&
	fp_note=' (peers have no break: not drawn)'
if [ -n "$names" ]; then
	render footprint <<EOF
$common
set title "Heap footprint over $trace: the break at 256 evenly spaced points of the checked pass$fp_note"
set xlabel 'ops replayed'
set grid xtics ytics
set xtics norotate
$( [ "$fp_log" = 1 ] && echo "set logscale y; set ylabel 'MiB, log scale'" || echo "set ylabel 'MiB'; set yrange [0:*]")
names = "$names"
plot for [i=1:words(names)] '$out/footprint.dat' index (i-1) using 1:(\$2 > 0 ? \$2 : NaN) with steps lw (1 + 2.5 * (words(names) - i) / words(names)) title word(names, i), \
     '$out/footprint.dat' index 0 using 1:(\$3 > 0 ? \$3 : NaN) with lines lw 2 dt 2 lc rgb 'black' title 'live bytes (requested)'
EOF
fi

# ---- latency ----
# One trace's percentiles: TRACE if it has latency figures, else the first that has.
lat_trace=$(awk -F '\t' -v t="$trace" 'NR > 1 && $'$C_STATUS' == "ok" && $'$C_P50' != "" {
	if ($'$C_TRACE' == t) { print t; found = 1; exit } if (first == "") first = $'$C_TRACE' }
	END { if (!found && first != "") print first }' "$out/cells.tsv")
if [ -n "$lat_trace" ]; then
	awk -F '\t' -v t="$lat_trace" 'BEGIN { printf "allocator\tp50\tp90\tp99\tp99.9\tmax\n" }
		NR > 1 && $'$C_TRACE' == t && $'$C_STATUS' == "ok" && $'$C_P50' != "" {
		printf "%s%s\t%s\t%s\t%s\t%s\t%s\n", $'$C_ALLOC', $'$C_KIND' == "peer" ? " (peer)" : "", $'$C_P50', $'$C_P90', $'$C_P99', \
			$'$C_P999', $'$C_LMAX' }' "$out/cells.tsv" > "$out/latency.tsv"
	render latency <<EOF
$common
set title "Latency of one operation on $lat_trace: percentiles over every op\n(timer overhead subtracted; 0 ns, below the clock's resolution, has no bar)"
set ylabel 'ns per op, log scale (lower is better)'
set yrange [1:*]
set xlabel 'allocator'
set logscale y
set style data histograms
set style histogram clustered gap 1.5
# 0 ns cannot sit on a log scale: drawn at 1 ns, the axis' floor (no bar).
plot for [c=2:6] '$out/latency.tsv' using (column(c) < 1 ? 1 : column(c)):xtic(1) title columnhead(c)
EOF
fi

# ---- program cells (bench run; docs/run.md) ----
# Columns of programs.tsv (kept in step with $pfields).
P_ALLOC=1 P_KIND=2 P_PROG=3 P_STATUS=4 P_WALL=5 P_WMIN=6 P_WMAX=7 P_RSS=8
P_WRATIO=10 P_RRATIO=11 P_FILE=12
if [ "$program_cells" -gt 0 ]; then
	# Relative to glibc when every ok cell has a ratio (glibc ran each program).
	rel=$(awk -F '\t' 'NR > 1 && $'$P_STATUS' == "ok" { n++; if ($'$P_WRATIO' == "") miss = 1 }
		END { print (n && !miss) ? 1 : 0 }' "$out/programs.tsv")
	# pmatrix COL SCALE [LO HI]: programs as rows, allocators as columns, as
	# matrix does for traces; with rel=1, LO and HI are divided by glibc's
	# median (the cell's median over its ratio).
	pmatrix() {
		awk -F '\t' -v col="$1" -v scale="$2" -v lo="${3:-0}" -v hi="${4:-0}" -v rel="$rel" '
		NR == 1 { next }
		$'$P_STATUS' != "ok" { next }
		{
			if (!($'$P_ALLOC' in ai)) {
				ai[$'$P_ALLOC'] = ++na; an[na] = $'$P_ALLOC'
				lab[na] = $'$P_ALLOC' ($'$P_KIND' == "peer" ? " (peer)" : "")
			}
			if (!($'$P_PROG' in ti)) { ti[$'$P_PROG'] = ++nt; tn[nt] = $'$P_PROG' }
			k = $'$P_PROG' SUBSEP $'$P_ALLOC'
			d = (rel && lo) ? $'$P_WALL' / $'$P_WRATIO' : 1
			v[k] = $col == "" ? "NaN" : $col * scale / d
			if (lo) { l[k] = $lo * scale / d; h[k] = $hi * scale / d }
		}
		END {
			printf "program"
			for (a = 1; a <= na; a++) printf "\t%s%s", lab[a], lo ? "\t-\t-" : ""
			printf "\n"
			for (t = 1; t <= nt; t++) {
				printf "%s", tn[t]
				for (a = 1; a <= na; a++) {
					k = tn[t] SUBSEP an[a]
					printf "\t%s", (k in v) ? v[k] : "NaN"
					if (lo) printf "\t%s\t%s", (k in l) ? l[k] : "NaN", (k in h) ? h[k] : "NaN"
				}
				printf "\n"
			}
			print na + 0 > "/dev/stderr"
		}' "$out/programs.tsv"
	}
	# The machine the programs ran on, from the first program result.
	pfile=$(awk -F '\t' 'NR == 2 { print $'$P_FILE' }' "$out/programs.tsv")
	machine=$(tr -d '\n' < "$pfile" | sed -n 's/.*"cpu": *"\([^"]*\)", *"cores": *\([0-9]*\).*/\1, \2 cores/p')
	if [ "$rel" = 1 ]; then
		ylab="wall time / glibc's median (lower is better)"
		na=$(pmatrix $P_WALL 1 $P_WMIN $P_WMAX 2>&1 > "$out/programs-time.tsv")
	else
		ylab='wall seconds (lower is better)'
		na=$(pmatrix $P_WALL 1 $P_WMIN $P_WMAX 2>&1 > "$out/programs-time.tsv")
	fi
	if [ "$na" -gt 0 ]; then
		log=$(awk -v r="$(ratio "$out/programs-time.tsv")" 'BEGIN { print (r > 30) ? 1 : 0 }')
		render programs-time <<EOF
$common
set title "Whole programs: wall time per allocator (median of the runs; bars: fastest to slowest)\n$machine"
set ylabel "$ylab"
set xlabel 'program'
set style data histograms
set style histogram errorbars gap 1.5 lw 1
$( [ "$log" = 1 ] && echo "set logscale y" || echo "set yrange [0:*]")
plot for [a=1:$na] '$out/programs-time.tsv' using (column(3*a-1)):(column(3*a)):(column(3*a+1)):xtic(1) title columnhead(3*a-1)
EOF
	fi
	if [ "$rel" = 1 ]; then
		ylab="peak RSS / glibc's (lower is better)"
		na=$(pmatrix $P_RRATIO 1 2>&1 > "$out/programs-memory.tsv")
	else
		ylab='peak RSS, MiB (lower is better)'
		na=$(pmatrix $P_RSS "$(awk 'BEGIN { print 1 / 1048576 }')" 2>&1 > "$out/programs-memory.tsv")
	fi
	if [ "$na" -gt 0 ]; then
		log=$(awk -v r="$(ratio "$out/programs-memory.tsv")" 'BEGIN { print (r > 30) ? 1 : 0 }')
		render programs-memory <<EOF
$common
set title "Whole programs: peak RSS per allocator (ru_maxrss of the largest process, median of the runs)\n$machine"
set ylabel "$ylab"
set xlabel 'program'
set style data histograms
set style histogram clustered gap 1.5
$( [ "$log" = 1 ] && echo "set logscale y" || echo "set yrange [0:*]")
plot for [a=2:$((na + 1))] '$out/programs-memory.tsv' using a:xtic(1) title columnhead(a)
EOF
	fi
	# RSS over time of one program: every allocator, peers included.
	# Default: the longest glibc run among the programs sampled at least once
	# (a program shorter than the sampling step has no timeline).
	if [ -z "$program" ]; then
		program=$(awk -F '\t' 'FNR == 1 { f++; next } f == 1 { sampled[$2] = 1; next }
			!($'$P_PROG' in sampled) || $'$P_STATUS' != "ok" { next }
			first == "" { first = $'$P_PROG' }
			$'$P_ALLOC' == "glibc" && $'$P_WALL' + 0 > best { best = $'$P_WALL' + 0; p = $'$P_PROG' }
			END { print p != "" ? p : first }' "$out/rss-timeline.tsv" "$out/programs.tsv")
	fi
	awk -F '\t' -v p="$program" 'NR == 1 || $2 == p' "$out/rss-timeline.tsv" \
		> "$out/programs-footprint.tsv"
	[ -z "$program" ] || [ "$(wc -l < "$out/programs-footprint.tsv")" -gt 1 ] ||
		die 2 "no RSS timeline for program '$program' in the results (-p names a program)"
	awk -F '\t' 'NR > 1 { if ($1 != last) { if (n++) printf "\n\n"; print "# " $1; last = $1 }
		printf "%s\t%s\n", $3 / 1000, $4 / 1048576 }' "$out/programs-footprint.tsv" \
		> "$out/programs-footprint.dat"
	pnames=$(awk -F '\t' 'NR > 1 && !s[$1]++ { printf "%s ", $1 }' "$out/programs-footprint.tsv")
	if [ -n "$pnames" ]; then
		render programs-footprint <<EOF
$common
set title "RSS over time of $program, sampled from /proc every 5 ms or more (the median run)\n$machine"
set xlabel 'seconds since the start'
set ylabel 'RSS of the process tree, MiB'
set grid xtics ytics
set xtics norotate
set yrange [0:*]
names = "$pnames"
plot for [i=1:words(names)] '$out/programs-footprint.dat' index (i-1) using 1:2 with steps lw (1 + 2.5 * (words(names) - i) / words(names)) title word(names, i)
EOF
	fi
fi

echo "plot.sh: charts in $out:$(for m in $made; do printf ' %s.png' "$m"; done) (and .svg)"
