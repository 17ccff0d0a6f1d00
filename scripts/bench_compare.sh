#!/bin/sh
# scripts/bench_compare.sh - how good is the `bench compare` gate on this
# machine (make bench-compare; docs/compare.md).  Three measurements:
#
#   false alarms  the same code run twice over a suite (ALLOCS x TRACES),
#                 compared; REPEAT times, while LOAD busy loops started by
#                 this script compete for the CPUs.  Count of cells flagged,
#                 for the default rule and a few variants.  Target: 0.
#   power         build/bench-test's test-slow-* allocators (a built-in plus
#                 a fixed amount of work per call, tests/allocators/slow.c)
#                 with the work set to 2%, 5% and 10% of the cell's
#                 instructions per op (bench --count, else callgrind), against the
#                 same wrapper with no work, POWER_REPEAT times: the fraction
#                 of cells flagged from time samples, and from instruction
#                 counts (bench --count when bench has it, else the script's
#                 own callgrind count put into the results' cost field).
#   fairness      jemalloc vs glibc on a trace recorded from a real program
#                 that keeps ~370k small blocks live (tests/programs/
#                 live_set.c): the replayed ratio (with --touch none and
#                 pages when bench has --touch) next to the program's own
#                 ratio, timed whole under each allocator (LD_PRELOAD).
#
# The table goes to stdout, progress to stderr.  Environment (defaults):
#   BENCH (./bench), BENCH_TEST (build/bench-test), PROG
#   (build/tests/programs/live_set), RUNS (5 timed passes a cell), REPEAT
#   (10), POWER_REPEAT (3), LOAD (1 busy loop; 0 for none), ALLOCS
#   (builtin,glibc), TRACES (five shipped traces, below), SECTIONS ("false
#   power fairness"), JEMALLOC (/usr/lib/x86_64-linux-gnu/libjemalloc.so.2),
#   LIVE_N (400000 records), PROG_REPS (11).
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
BENCH_TEST=${BENCH_TEST:-build/bench-test}
PROG=${PROG:-build/tests/programs/live_set}
RUNS=${RUNS:-5}
REPEAT=${REPEAT:-10}
POWER_REPEAT=${POWER_REPEAT:-3}
LOAD=${LOAD:-1}
ALLOCS=${ALLOCS:-builtin,glibc}
TRACES=${TRACES:-workloads/web.trace,workloads/binary.trace,workloads/coalescing.trace,workloads/realloc-growth.trace,workloads/random.trace}
SECTIONS=${SECTIONS:-false power fairness}
JEMALLOC=${JEMALLOC:-/usr/lib/x86_64-linux-gnu/libjemalloc.so.2}
LIVE_N=${LIVE_N:-400000}
PROG_REPS=${PROG_REPS:-11}
POWER_ALLOCS="test-slow-segregated test-slow-tlsf"
PCTS="2 5 10"
IPCTS=${IPCTS:-2}   # sizes counted by instructions (deterministic: the smallest tells)

for tool in jq awk; do
	command -v $tool >/dev/null || { echo "bench_compare: $tool is not installed" >&2; exit 3; }
done
[ -x "$BENCH" ] && [ -x "$BENCH_TEST" ] ||
	{ echo "bench_compare: build first (make bench-compare)" >&2; exit 3; }

tmp=$(mktemp -d)
hogs=""
cleanup() {
	for p in $hogs; do kill "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && say "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench_compare: $*" >&2; }
has_option() { "$BENCH" --help 2>&1 | grep -q -e "$1"; }

i=0
while [ "$i" -lt "$LOAD" ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "heaplab bench-compare: $(date -u '+%Y-%m-%d %H:%M UTC'), $cpu, $(nproc) cores"
echo "load average at start $(cut -d' ' -f1-3 /proc/loadavg); $LOAD busy loop(s) started by this script"
echo "timed passes per cell: $RUNS; compare defaults unless said"
count_has=0; has_option "--count" && count_has=1
touch_has=0; has_option "--touch" && touch_has=1

# flagged DIR_A DIR_B [compare options]: number of rows flagged, FAIL (the
# verdict) or SLOW (a time slowdown reported without --time-gate)
flagged() {
	a=$1 b=$2
	shift 2
	"$BENCH" compare "$@" "$a" "$b" > "$tmp/cmp.txt" 2>/dev/null
	code=$?
	[ $code -le 1 ] || { say "compare failed (exit $code)"; echo 999; return; }
	grep -c -e '^FAIL' -e '^SLOW' "$tmp/cmp.txt"
}
# failed DIR_A DIR_B [compare options]: number of FAIL rows (what fails the verdict)
failed() {
	a=$1 b=$2
	shift 2
	"$BENCH" compare "$@" "$a" "$b" > "$tmp/cmp.txt" 2>/dev/null
	code=$?
	[ $code -le 1 ] || { say "compare failed (exit $code)"; echo 999; return; }
	grep -c '^FAIL' "$tmp/cmp.txt"
}

# ---- false alarms ----
case " $SECTIONS " in *" false "*)
	ntraces=$(echo "$TRACES" | tr ',' '\n' | wc -l)
	variants="default|--run-noise 0|--run-noise 0 --min-effect 10%|--time wall|--reference glibc"
	: > "$tmp/fail.tsv"
	: > "$tmp/false.tsv"
	r=1
	while [ $r -le "$REPEAT" ]; do
		say "false alarms: repetition $r of $REPEAT"
		for side in a b; do
			rm -rf "$tmp/fa.$side"
			"$BENCH" --alloc "$ALLOCS" --trace "$TRACES" --runs "$RUNS" --quiet \
				--out "$tmp/fa.$side" 2>/dev/null
		done
		echo "$variants" | tr '|' '\n' | while read -r v; do
			# shellcheck disable=SC2086
			if [ "$v" = default ]; then n=$(flagged "$tmp/fa.a" "$tmp/fa.b")
			else n=$(flagged "$tmp/fa.a" "$tmp/fa.b" $v); fi
			printf '%s\t%s\n' "$v" "$n" >> "$tmp/false.tsv"
		done
		printf 'default\t%s\n' "$(failed "$tmp/fa.a" "$tmp/fa.b")" >> "$tmp/fail.tsv"
		"$BENCH" compare "$tmp/fa.a" "$tmp/fa.b" 2>/dev/null |
			sed -n 's/^run-to-run noise across [0-9]* cells: \([0-9.]*\)%.*/\1/p' >> "$tmp/noise.txt"
		r=$((r + 1))
	done
	cells=$(find "$tmp/fa.a" -name '*.json' ! -name summary.json | wc -l)
	echo
	echo "false alarms: unchanged code, $cells cells ($ALLOCS x $ntraces traces), $REPEAT comparisons"
	echo "(flagged: SLOW, reported, or FAIL with --time-gate: the same cells)"
	awk -F'\t' -v cells="$cells" -v reps="$REPEAT" '{ s += $2; f += ($2 > 0) }
		END { printf "  %-32s %7d / %-5d %11d / %d\n", "cells FAILED by default", s,
			cells * reps, f, reps }' "$tmp/fail.tsv"
	printf '  %-32s %14s %20s\n' "time rule" "cells flagged" "comparisons flagging"
	echo "$variants" | tr '|' '\n' | while read -r v; do
		awk -F'\t' -v v="$v" -v cells="$cells" -v reps="$REPEAT" '
			$1 == v { s += $2; f += ($2 > 0) }
			END { printf "  %-32s %7d / %-5d %11d / %d\n", v, s, cells * reps, f, reps }' \
			"$tmp/false.tsv"
	done
	[ -s "$tmp/noise.txt" ] && sort -n "$tmp/noise.txt" | awk '{ v[NR] = $1 }
		END { printf "  run-to-run noise measured by compare: median %.1f%%, %.1f%% to %.1f%%\n",
			v[int((NR + 1) / 2)], v[1], v[NR] }'
;; esac

# ---- power ----
tracelist=$(echo "$TRACES" | tr ',' ' ')
# instr ALLOC TRACE SPINS: instructions per op of one timed pass: bench --count
# when bench has it, else callgrind around the timed pass (guarded_timed)
instr() {
	d=$tmp/cg
	rm -rf "$d" && mkdir -p "$d"
	if [ $count_has = 1 ]; then
		HEAPLAB_SLOW_SPINS=$3 "$BENCH_TEST" --alloc "$1" --trace "$2" --runs 1 --count -q \
			--out "$d/r.json" >/dev/null 2>&1
		jq '.cost.instructions_per_op // 0' "$d/r.json" 2>/dev/null || echo 0
		return
	fi
	HEAPLAB_SLOW_SPINS=$3 valgrind --tool=callgrind --trace-children=yes \
		--toggle-collect=guarded_timed --callgrind-out-file="$d/cg.%p" \
		"$BENCH_TEST" --alloc "$1" --trace "$2" --runs 1 -q --out "$d/r.json" >/dev/null 2>&1
	total=$(cat "$d"/cg.* | awk '/^totals:/ { s += $2 } END { print s + 0 }')
	ops=$(jq .trace.ops "$d/r.json" 2>/dev/null || echo 0)
	awk -v t="$total" -v o="$ops" 'BEGIN { if (o > 0 && t > 0) printf "%.3f\n", t / o; else print 0 }'
}
# cell_run DIR ALLOC TRACE SPINS [bench options]: one cell into DIR/ALLOC/TRACE.json,
# the allocator renamed to the wrapped one so that both sides' cells match
cell_run() {
	dir=$1 alloc=$2 trace=$3 spins=$4
	shift 4
	mkdir -p "$dir/$alloc"
	out=$dir/$alloc/$(basename "$trace").json
	HEAPLAB_SLOW_SPINS=$spins "$BENCH_TEST" --alloc "$alloc" --trace "$trace" --runs "$RUNS" \
		-q "$@" --out "$out.tmp" >/dev/null 2>&1
	jq '.allocator.name |= sub("^test-slow-"; "")' "$out.tmp" > "$out" && rm -f "$out.tmp"
}
case " $SECTIONS " in *" power "*)
	command -v valgrind >/dev/null || { say "valgrind is not installed: no power section"; SECTIONS=""; }
;; esac
case " $SECTIONS " in *" power "*)
	say "power: calibrating from instruction counts"
	# instructions of one step of work: the difference 0 -> 200 steps per call
	a0=$(instr test-slow-segregated workloads/web.trace 0)
	a1=$(instr test-slow-segregated workloads/web.trace 200)
	per_spin=$(awk -v a="$a0" -v b="$a1" 'BEGIN { printf "%.4f", (b - a) / 200 }')
	: > "$tmp/spins.tsv"
	for a in $POWER_ALLOCS; do
		for t in $tracelist; do
			base=$(instr "$a" "$t" 0)
			for p in $PCTS; do
				s=$(awk -v b="$base" -v p="$p" -v k="$per_spin" \
					'BEGIN { s = int(p / 100 * b / k + 0.5); print s < 1 ? 1 : s }')
				printf '%s\t%s\t%s\t%s\t%s\n' "$a" "$t" "$p" "$s" "$base" >> "$tmp/spins.tsv"
			done
		done
	done
	spins_of() { awk -F'\t' -v a="$1" -v t="$2" -v p="$3" '$1 == a && $2 == t && $3 == p { print $4 }' "$tmp/spins.tsv"; }

	: > "$tmp/power.tsv"
	r=1
	while [ $r -le "$POWER_REPEAT" ]; do
		say "power: repetition $r of $POWER_REPEAT"
		rm -rf "$tmp/pw"
		for a in $POWER_ALLOCS; do
			for t in $tracelist; do
				cell_run "$tmp/pw/base" "$a" "$t" 0
				for p in $PCTS; do
					cell_run "$tmp/pw/p$p" "$a" "$t" "$(spins_of "$a" "$t" "$p")"
				done
			done
		done
		for p in $PCTS; do
			n=$(flagged "$tmp/pw/base" "$tmp/pw/p$p")
			nw=$(flagged "$tmp/pw/base" "$tmp/pw/p$p" --run-noise 0)
			# the time change actually seen: ratio of medians, per cell
			for f in "$tmp/pw/p$p"/*/*.json; do
				b=$tmp/pw/base/${f#"$tmp/pw/p$p/"}
				jq -n --slurpfile b "$b" --slurpfile c "$f" \
					'$c[0].throughput.ns_per_op.median / $b[0].throughput.ns_per_op.median'
			done > "$tmp/ratios.$p"
			printf '%s\t%s\t%s\t%s\n' "$p" "$n" "$nw" \
				"$(sort -n "$tmp/ratios.$p" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
				>> "$tmp/power.tsv"
		done
		r=$((r + 1))
	done
	pcells=$(find "$tmp/pw/base" -name '*.json' | wc -l)

	# instruction counts: deterministic, so one count a cell and size
	: > "$tmp/ipower.tsv"
	if [ $count_has = 1 ]; then
		imethod="bench --count"
		rm -rf "$tmp/ic"
		for a in $POWER_ALLOCS; do
			for t in $tracelist; do
				cell_run "$tmp/ic/base" "$a" "$t" 0 --count
				cell_run "$tmp/ic/again" "$a" "$t" 0 --count
				for p in $IPCTS; do
					cell_run "$tmp/ic/p$p" "$a" "$t" "$(spins_of "$a" "$t" "$p")" --count
				done
			done
		done
	else
		imethod="callgrind run by this script (bench has no --count yet), put into .cost"
		say "power: instruction counts with callgrind"
		# with_cost SRC DST INSTR_PER_OP: a copy of the result carrying the count
		with_cost() {
			mkdir -p "$(dirname "$2")"
			jq --argjson ipo "$3" '.cost = { method: "callgrind",
				instructions: ((.trace.ops * $ipo) | floor), instructions_per_op: $ipo,
				cycles_per_op: null, l1d_misses_per_op: null, ll_misses_per_op: null }' \
				"$1" > "$2"
		}
		for a in $POWER_ALLOCS; do
			for t in $tracelist; do
				tn=$(basename "$t").json
				with_cost "$tmp/pw/base/$a/$tn" "$tmp/ic/base/$a/$tn" "$(instr "$a" "$t" 0)"
				with_cost "$tmp/pw/base/$a/$tn" "$tmp/ic/again/$a/$tn" "$(instr "$a" "$t" 0)"
				for p in $IPCTS; do
					with_cost "$tmp/pw/p$p/$a/$tn" "$tmp/ic/p$p/$a/$tn" \
						"$(instr "$a" "$t" "$(spins_of "$a" "$t" "$p")")"
				done
			done
		done
	fi
	printf 'again\t%s\n' "$(flagged "$tmp/ic/base" "$tmp/ic/again")" >> "$tmp/ipower.tsv"
	for p in $IPCTS; do
		printf '%s\t%s\n' "$p" "$(flagged "$tmp/ic/base" "$tmp/ic/p$p")" >> "$tmp/ipower.tsv"
	done

	echo
	echo "power: $POWER_ALLOCS x $(echo "$tracelist" | wc -w) traces = $pcells cells, each with"
	echo "work added per call = P% of the cell's instructions per op in a timed pass"
	echo "($per_spin instructions a step), vs the same wrapper with none;"
	echo "time: $POWER_REPEAT repetitions; instructions: $imethod"
	printf '  %-6s %-19s %-19s %-19s %s\n' "added" "flagged (SLOW)" "(--run-noise 0)" \
		"flagged (instr)" "time seen"
	for p in $PCTS; do
		awk -F'\t' -v p="$p" -v cells="$pcells" -v reps="$POWER_REPEAT" '
			FILENAME ~ /ipower/ { if ($1 == p) { ic = $2; counted = 1 }; next }
			$1 == p { s += $2; w += $3; med[++n] = $4 }
			END {
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (med[j] < med[i]) { x = med[i]; med[i] = med[j]; med[j] = x }
				printf "  %-6s %5d / %-3d %4.0f%%  %5d / %-3d %4.0f%%  ",
					p "%", s, cells * reps, 100 * s / (cells * reps),
					w, cells * reps, 100 * w / (cells * reps)
				if (counted) printf "%5d / %-3d %4.0f%%  ", ic, cells, 100 * ic / cells
				else printf "%-19s ", "   (not counted)"
				printf "%+.1f%%\n", 100 * (med[int((n + 1) / 2)] - 1)
			}' "$tmp/ipower.tsv" "$tmp/power.tsv"
	done
	awk -F'\t' '$1 == "again" { printf "  instruction counts of unchanged code, counted twice: %d of %d cells flagged\n", $2, '"$pcells"' }' "$tmp/ipower.tsv"
;; esac

# ---- fairness ----
case " $SECTIONS " in *" fairness "*)
	if [ ! -x "$PROG" ] || [ ! -r "$JEMALLOC" ]; then
		say "fairness: needs $PROG and $JEMALLOC; skipped"
	else
		say "fairness: recording $PROG $LIVE_N"
		"$BENCH" record -o "$tmp/live.trace" -- "$PROG" "$LIVE_N" >/dev/null 2>&1
		# median of a file of numbers
		median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
		: > "$tmp/prog.glibc"; : > "$tmp/prog.jemalloc"
		i=0
		while [ $i -lt "$PROG_REPS" ]; do   # alternate, so drift hits both alike
			s=$(date +%s%N); "$PROG" "$LIVE_N" >/dev/null; e=$(date +%s%N)
			echo $((e - s)) >> "$tmp/prog.glibc"
			s=$(date +%s%N); LD_PRELOAD=$JEMALLOC "$PROG" "$LIVE_N" >/dev/null; e=$(date +%s%N)
			echo $((e - s)) >> "$tmp/prog.jemalloc"
			i=$((i + 1))
		done
		pg=$(median "$tmp/prog.glibc"); pj=$(median "$tmp/prog.jemalloc")
		ops=$("$BENCH" info "$tmp/live.trace" | awk '$1 == "operations" { sub(":", "", $2); print $2 }')
		echo
		echo "fairness: jemalloc vs glibc, trace recorded from $PROG $LIVE_N ($ops ops);"
		echo "time ratio jemalloc / glibc (below 1: jemalloc faster), medians"
		printf '  %-34s %10s %10s %8s\n' "measurement" "glibc" "jemalloc" "ratio"
		modes=none
		[ $touch_has = 1 ] && modes="none pages"
		for m in $modes; do
			opt=""
			[ $touch_has = 1 ] && opt="--touch $m"
			rm -rf "$tmp/fair"
			# shellcheck disable=SC2086
			"$BENCH" --alloc glibc,jemalloc --trace "$tmp/live.trace" --runs "$RUNS" $opt \
				--quiet --out "$tmp/fair" 2>/dev/null
			g=$(jq .throughput.ns_per_op.median "$tmp/fair/glibc/live.json")
			j=$(jq .throughput.ns_per_op.median "$tmp/fair/jemalloc/live.json")
			label="replayed, --touch $m"
			[ $touch_has = 1 ] || label="replayed (no --touch: blocks untouched)"
			awk -v l="$label" -v g="$g" -v j="$j" \
				'BEGIN { printf "  %-34s %7.1f ns %7.1f ns %8.2f\n", l, g, j, j / g }'
		done
		awk -v g="$pg" -v j="$pj" -v n="$PROG_REPS" 'BEGIN {
			printf "  %-34s %7.1f ms %7.1f ms %8.2f\n", "the program, whole (" n " runs)",
				g / 1e6, j / 1e6, j / g }'
	fi
;; esac
echo
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
