#!/bin/sh
# plot.sh - charts of heaplab results with gnuplot.
#
#   ./plot.sh [-o DIR] [-t TRACE] [-p PROGRAM] [RESULTS...]
#   ./plot.sh -h | --help
#
# RESULTS are result files or folders (default: the newest folder in
# results/).  The tables come from `bench report` (this script never reads
# JSON itself), so a file that is not a heaplab result stops it with bench's
# message and exit status 2.  BENCH names the bench binary (default: ./bench
# beside this script, else heaplab-bench or bench on the PATH).
# Writes into DIR (default charts/NAME/, NAME the results folder's name when
# RESULTS is one folder, else a UTC timestamp), as PNG and SVG.  The charts
# are made in a temporary folder beside DIR and renamed onto it at the end, so
# a failure leaves no half-made folder; an existing DIR is replaced only when
# it is empty or an earlier chart folder (it holds cells.tsv).
# Built-ins come first, then peers, each allocator in the same colour in every
# chart (a palette of 20 colours of maximum contrast; lines also differ in
# dash and point type).  Charts:
#   throughput   ops/s per allocator per trace (median, bars from min to max)
#   memory       peak break (or peak RSS when peers are present) per allocator
#                per trace, with the trace's peak live bytes as the floor
#   fragmentation  1 - utilization per allocator per trace
#   footprint    the break over the trace, one line per allocator, for TRACE
#                (-t; default: the trace with the most ops); not drawn when no
#                result has a timeline (--threads replays record none)
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
if [ -z "${BENCH:-}" ]; then
	if [ -x "$here/bench" ]; then BENCH=$here/bench
	elif [ -x "$here/heaplab-bench" ]; then BENCH=$here/heaplab-bench
	elif command -v heaplab-bench > /dev/null 2>&1; then BENCH=$(command -v heaplab-bench)
	else BENCH=$(command -v bench 2>/dev/null || echo "$here/bench")
	fi
fi
out=
trace=
me=${0##*/}
program=

die() { code=$1; shift; echo "$me: $*" >&2; exit "$code"; }

usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' \
		-e "s|\(\./\)\{0,1\}plot\.sh|$me|g"
}

# Long options getopts does not know: --help, and `help`.
for a in "$@"; do
	case $a in
	--help|help) usage; exit 0 ;;
	--) break ;;
	--*) die 2 "unknown option $a (usage: $me [-o DIR] [-t TRACE] [-p PROGRAM] [RESULTS...])" ;;
	esac
done

trace_given=
while getopts :o:t:p:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	t) trace=$OPTARG trace_given=1 ;;
	p) program=$OPTARG ;;
	h) usage; exit 0 ;;
	:) die 2 "-$OPTARG needs a value (usage: $me [-o DIR] [-t TRACE] [-p PROGRAM] [RESULTS...])" ;;
	*) die 2 "unknown option -$OPTARG (usage: $me [-o DIR] [-t TRACE] [-p PROGRAM] [RESULTS...])" ;;
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

# Where the charts go: decided, and checked, before anything is made.
if [ -z "$out" ]; then
	if [ $# -eq 1 ] && [ -d "$1" ]; then
		name=$(cd "$1" && pwd); name=${name##*/}
	else
		name=$(date -u +%Y%m%dT%H%M%SZ)
	fi
	out=charts/$name
fi
out=${out%/}
[ -n "$out" ] || die 2 "-o: empty folder name"
if [ -e "$out" ] || [ -L "$out" ]; then
	[ -d "$out" ] && [ ! -L "$out" ] || die 2 "$out exists and is not a folder"
	if [ -n "$(ls -A "$out")" ] && [ ! -f "$out/cells.tsv" ]; then
		die 2 "$out exists and is not a chart folder (no cells.tsv): choose another -o"
	fi
fi
parent=$(dirname "$out")
mkdir -p "$parent" || die 3 "cannot create $parent"

# Everything is made in a temporary folder beside $out and renamed at the
# end, so a bad result file or a gnuplot failure leaves no half-made folder.
tmp=$(mktemp -d "$parent/.$(basename "$out").tmp.XXXXXX") ||
	die 3 "cannot create a temporary folder in $parent"
trap 'rm -rf "$tmp"' EXIT
final=$out
out=$tmp
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
by_machine "$out/cells.tsv" "$out/timeline.tsv"

# Built-ins first, then peers (each group in the order bench read them).
awk -F '\t' 'NR == 1 { print; next } $2 != "peer" { print } $2 == "peer" { p[++n] = $0 }
	END { for (i = 1; i <= n; i++) print p[i] }' "$out/cells.tsv" > "$out/cells.sorted" &&
	mv "$out/cells.sorted" "$out/cells.tsv"
dups=$(awk -F '\t' 'NR > 1 && seen[$1 FS $3]++ == 1 { n++; if (!e) e = $1 " on " $3 }
	END { if (n) print n " cells (e.g. " e ")" }' "$out/cells.tsv")
[ -z "$dups" ] || echo "plot.sh: warning: $dups appear in more than one result;" \
	"the last one read is drawn (chart one run folder at a time)" >&2
trace_cells=$(($(wc -l < "$out/cells.tsv") - 1))
program_cells=$(($(wc -l < "$out/programs.tsv") - 1))
[ $((trace_cells + program_cells)) -gt 0 ] || die 2 "no heaplab results found in: $*"

# Every allocator, in chart order: its position is its colour in every chart.
awk -F '\t' 'NR > 1 && !s[$1]++ { print $1 }' "$out/cells.tsv" > "$out/allocators.list"

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
		# in the folder, so that its .gp scripts name their tables relatively
		(cd "$out" && gnuplot -e "set terminal $term; set output '$1.$kind'" "$1.gp" \
			2> "$1.log") || { cp "$out/$1.log" "$parent/$me-$1.log" 2>/dev/null
			die 3 "gnuplot failed on $1 (see $parent/$me-$1.log)"; }
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
	FILENAME == ARGV[1] { ai[$1] = ++na; an[na] = $1; lab[na] = $1; next }
	FNR == 1 { next }
	$'$C_KIND' == "peer" { lab[ai[$'$C_ALLOC']] = $'$C_ALLOC' " (peer)" }
	$'$C_STATUS' != "ok" { next }
	{
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
	}' "$out/allocators.list" "$out/cells.tsv"
}

# ratio FILE: max/min of the positive numbers in FILE's data columns.
ratio() {
	awk -F '\t' 'NR > 1 { for (i = 2; i <= NF; i++) if ($i != "NaN" && $i > 0) {
		if (!n++ || $i < mn) mn = $i; if ($i > mx) mx = $i } }
		END { print n ? mx / mn : 1 }' "$1"
}

# Kenneth Kelly's colours of maximum contrast, in his order (the first few
# are the most distinct), without white and black; the footprint's lines
# also cycle through dash types.
palette=$(awk 'BEGIN {
	n = split("#e6a800 #875692 #f38400 #6fa8dc #be0032 #c2b280 #848482 #008856 #e68fac " \
	          "#0067a5 #f99379 #604e97 #b3446c #dcd300 #882d17 #8db600 #654522 #e25822 " \
	          "#2b3d26 #00b7c7", c, " ")
	for (i = 1; i <= n; i++)
		printf "set linetype %d lc rgb \047%s\047 pt %d\n", i, c[i], (i - 1) % 13 + 1
	printf "set linetype cycle %d\n", n }')
common="set datafile separator '\t'
$palette
set datafile missing 'NaN'
set key outside right top vertical Left reverse samplen 2
set grid ytics
set style fill solid 0.85 border -1
set xtics rotate by -25 left nomirror
set tics nomirror
set border 3"

# auto_y TSV [LOG_YLABEL]: a log y axis when TSV's bars span more than 30x
# (relabelled LOG_YLABEL when given), else a linear one from 0.
auto_y() {
	if awk -v r="$(ratio "$1")" 'BEGIN { exit !(r > 30) }'; then
		echo "set logscale y"
		[ -z "$2" ] || echo "set ylabel \"$2\""
	else
		echo "set yrange [0:*]"
	fi
}

# bars STYLE TITLE YLABEL XLABEL YAXIS: the opening every bar chart shares:
# the common settings, its labels, histogram STYLE (errorbars: median with
# min-max bars; clustered: one bar per allocator) and the y axis lines YAXIS.
bars() {
	printf '%s\n' "$common"
	printf 'set title "%s"\nset ylabel "%s"\nset xlabel "%s"\n' "$2" "$3" "$4"
	echo "set style data histograms"
	case $1 in
	errorbars) echo "set style histogram errorbars gap 1.5 lw 1" ;;
	*)         echo "set style histogram clustered gap 1.5" ;;
	esac
	printf '%s\n' "$5"
}

# ---- throughput ----
na=$(matrix $C_MED 1e-6 $C_MIN $C_MAX 2>&1 > "$out/throughput.tsv")
if [ "$na" -gt 0 ]; then
	render throughput <<EOF
$(bars errorbars 'Throughput per allocator and trace (median of the timed runs; bars: min to max)' \
	'Mops/s (higher is better)' trace \
	"$(auto_y "$out/throughput.tsv" 'Mops/s, log scale (higher is better)')")
plot for [a=1:$na] 'throughput.tsv' using (column(3*a-1)):(column(3*a)):(column(3*a+1)):xtic(1) title columnhead(3*a-1)
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
	render memory <<EOF
$(bars clustered "Memory: $mem_name per allocator and trace; black line: the trace's peak live bytes" \
	"$mem_unit (lower is better)" trace \
	"$(auto_y "$out/memory.tsv" "$mem_unit, log scale (lower is better)")")
plot for [a=2:$((na + 1))] 'memory.tsv' using a:xtic(1) title columnhead(a), \
     'live.tsv' using (\$0 - 0.45):2:(0.9):(0) with vectors nohead lw 2 lc rgb 'black' title 'peak live (requested bytes)'
EOF
fi

# ---- fragmentation ----
na=$(matrix $frag_col 100 2>&1 > "$out/fragmentation.tsv")
if [ "$na" -gt 0 ]; then
	render fragmentation <<EOF
$(bars clustered "Fragmentation: 1 - peak live bytes / $frag_of, per allocator and trace" \
	"% of the $frag_of not holding live data (lower is better)" trace 'set yrange [0:100]')
plot for [a=2:$((na + 1))] 'fragmentation.tsv' using a:xtic(1) title columnhead(a)
EOF
fi

# ---- footprint over the trace ----
if [ -z "$trace" ]; then
	trace=$(awk -F '\t' 'NR > 1 && $'$C_OPS' + 0 > best { best = $'$C_OPS' + 0; t = $'$C_TRACE' }
		END { print t }' "$out/cells.tsv")
fi
awk -F '\t' -v t="$trace" 'NR == 1 || $2 == t' "$out/timeline.tsv" > "$out/footprint.tsv"
if [ "$trace_cells" -eq 0 ]; then
	:   # program cells only: no trace charts
elif [ "$(wc -l < "$out/timeline.tsv")" -le 1 ] && [ -z "$trace_given" ]; then
	# --threads replays record no timeline: no footprint chart, the rest is drawn.
	echo "$me: no result has a timeline (--threads replays record none): no footprint chart" >&2
elif [ "$(wc -l < "$out/footprint.tsv")" -le 1 ]; then
	die 2 "no timeline for trace '$trace' in the results (-t names a trace file, e.g. web.trace)"
fi
# One block per allocator (blank lines between) so gnuplot draws separate lines.
awk -F '\t' 'NR > 1 && $4 != "" { if ($1 != last) { if (n++) printf "\n\n"; print "# " $1; last = $1 }
	printf "%s\t%s\t%s\n", $3, $4 / 1048576, $5 / 1048576 }' "$out/footprint.tsv" > "$out/footprint.dat"
# gnuplot's words() splits at spaces: a name's own spaces ("tlsf @ alpha")
# become no-break spaces, which it keeps (and draws as spaces)
names=$(awk -F '\t' 'NR > 1 && $4 != "" && !s[$1]++ { n = $1; gsub(/ /, "\302\240", n)
	printf "%s ", n }' "$out/footprint.tsv")
# each line in its allocator's colour (its place in allocators.list)
types=$(awk -F '\t' 'FILENAME == ARGV[1] { i[$1] = FNR; next }
	FNR > 1 && $4 != "" && !s[$1]++ { printf "%d ", i[$1] }' "$out/allocators.list" "$out/footprint.tsv")
fp_max=$(awk -F '\t' 'NR > 1 && $3 + 0 > m { m = $3 + 0 } END { print m + 0 }' "$out/footprint.tsv")
if [ "$fp_max" -ge 10000 ]; then fp_format="set format x '%.1s%c'"; else fp_format="set format x '%.0f'"; fi
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
$fp_format
$(for t in $types; do echo "set linetype $t dt $(( (t - 1) % 5 + 1 ))"; done)
$( [ "$fp_log" = 1 ] && echo "set logscale y; set ylabel 'MiB, log scale'" || echo "set ylabel 'MiB'; set yrange [0:*]")
names = "$names"
types = "$types"
plot for [i=1:words(names)] 'footprint.dat' index (i-1) using 1:(\$2 > 0 ? \$2 : NaN) with steps lt (word(types, i) + 0) lw (1 + 2.5 * (words(names) - i) / words(names)) title word(names, i), \
     'footprint.dat' index 0 using 1:(\$3 > 0 ? \$3 : NaN) with lines lw 2 dt 2 lc rgb 'black' title 'live bytes (requested)'
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
$(bars clustered "Latency of one operation on $lat_trace: percentiles over every op\n(timer overhead subtracted; 0 ns, below the clock's resolution, has no bar)" \
	'ns per op, log scale (lower is better)' allocator 'set yrange [1:*]
set logscale y')
# 0 ns cannot sit on a log scale: drawn at 1 ns, the axis' floor (no bar).
plot for [c=2:6] 'latency.tsv' using (column(c) < 1 ? 1 : column(c)):xtic(1) title columnhead(c)
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
		render programs-time <<EOF
$(bars errorbars "Whole programs: wall time per allocator (median of the runs; bars: fastest to slowest)\n$machine" \
	"$ylab" program "$(auto_y "$out/programs-time.tsv")")
plot for [a=1:$na] 'programs-time.tsv' using (column(3*a-1)):(column(3*a)):(column(3*a+1)):xtic(1) title columnhead(3*a-1)
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
		render programs-memory <<EOF
$(bars clustered "Whole programs: peak RSS per allocator (ru_maxrss of the largest process, median of the runs)\n$machine" \
	"$ylab" program "$(auto_y "$out/programs-memory.tsv")")
plot for [a=2:$((na + 1))] 'programs-memory.tsv' using a:xtic(1) title columnhead(a)
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
plot for [i=1:words(names)] 'programs-footprint.dat' index (i-1) using 1:2 with steps lw (1 + 2.5 * (words(names) - i) / words(names)) title word(names, i)
EOF
	fi
fi


# The finished folder replaces $final (checked above to be empty or charts).
if [ -d "$final" ]; then
	old=$(mktemp -d "$parent/.$(basename "$final").old.XXXXXX") || die 3 "cannot replace $final"
	mv "$final" "$old/" || die 3 "cannot replace $final"
	rm -rf "$old"
fi
mv "$out" "$final" || die 3 "cannot rename $out to $final"
out=$final
echo "$me: charts in $out:$(for m in $made; do printf ' %s.png' "$m"; done) (and .svg)"
