#!/bin/sh
# scripts/bench_pair.sh - how good is `bench compare --pair` on this machine
# (make bench-pair; docs/compare.md, "Paired runs").  Every measurement is
# an interleaved suite (bench --interleave, ROUNDS rounds) compared with
# compare --pair, while LOAD busy loops of this script compete for the CPUs
# besides whatever else runs:
#
#   false alarms  segregated's library under two names (libsega.so and
#                 libsegb.so, byte for byte the same) over TRACES,
#                 FALSE_REPEAT suites: cells flagged.  Target: 0.
#   calibration   per trace, the CPU time one step of test-slow-segregated's
#                 work (tests/allocators/slow.c) adds, as a fraction of
#                 segregated's time per op: interleaved suites of
#                 CAL_ROUNDS rounds, segregated against the wrapper with 0
#                 steps, with enough steps for about +50% instructions
#                 (bench --count), and with the steps that line predicts for
#                 +10% time; the median per-round ratios at 0 steps and near
#                 +10% give the line, steps -> slowdown, the power uses.
#   power         segregated vs test-slow-segregated with the steps that
#                 slow it down by P% of its CPU time per op (PCTS), REPEAT
#                 suites per trace: the fraction of cells flagged, and the
#                 slowdown actually seen (median over the suites of the
#                 median per-round ratio).  Target: every cell at 10%.
#
# The table goes to stdout, progress to stderr.  Environment (defaults):
# BENCH (./bench), BENCH_TEST (build/bench-test), ROUNDS (bench's default
# for --interleave), CAL_ROUNDS (30), FALSE_REPEAT (6), REPEAT (5: power),
# LOAD (1), TRACES (five
# shipped traces), PCTS (5 10), TIME (cpu; wall judges wall time).
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
BENCH_TEST=${BENCH_TEST:-build/bench-test}
ROUNDS=${ROUNDS:-}
CAL_ROUNDS=${CAL_ROUNDS:-30}
REPEAT=${REPEAT:-5}
FALSE_REPEAT=${FALSE_REPEAT:-6}
LOAD=${LOAD:-1}
PCTS=${PCTS:-5 10}
TIME=${TIME:-cpu}
TRACES=${TRACES:-workloads/web.trace,workloads/binary.trace,workloads/coalescing.trace,workloads/realloc-growth.trace,workloads/random.trace}
for tool in jq awk; do
	command -v $tool >/dev/null || { echo "bench_pair: $tool is not installed" >&2; exit 3; }
done
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
say() { echo "bench_pair: $*" >&2; }
i=0
while [ "$i" -lt "$LOAD" ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done
rounds_opt=""
[ -n "$ROUNDS" ] && rounds_opt="--runs $ROUNDS"
time_opt=""
[ "$TIME" = wall ] && time_opt="--time wall"
started=$(date +%s)
echo "heaplab bench-pair: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $LOAD busy loop(s) of its own"

# the number of SLOWER cells in a --pair comparison's output
flagged() { grep -c 'SLOWER' || true; }
# ratio CUR BASE DIR TRACE: the median over rounds of CUR's / BASE's time per pass
ratio() {
	jq -n --slurpfile a "$3/$2/$4.json" --slurpfile b "$3/$1/$4.json" --arg t "$TIME" '
		def per($p): if $t == "wall" then $p.wall_ns else $p.user_ns + $p.sys_ns end;
		[range(0; $a[0].throughput.passes | length) as $i
		 | per($b[0].throughput.passes[$i]) / per($a[0].throughput.passes[$i])]
		| sort | .[(length - 1) / 2 | floor]'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- false alarms ----
cp build/lib/libheaplab-segregated.so "$tmp/libsega.so"
cp build/lib/libheaplab-segregated.so "$tmp/libsegb.so"
ncells=$(echo "$TRACES" | tr ',' '\n' | grep -c .)
total=0 r=0
: > "$tmp/fa.est"
while [ "$r" -lt "$FALSE_REPEAT" ]; do
	say "false alarms: suite $((r + 1)) of $FALSE_REPEAT"
	# shellcheck disable=SC2086
	"$BENCH" --alloc "$tmp/libsega.so,$tmp/libsegb.so" --trace "$TRACES" \
		$rounds_opt --interleave --out "$tmp/f" -q 2>/dev/null
	# shellcheck disable=SC2086
	n=$("$BENCH" compare --pair libsega,libsegb $time_opt "$tmp/f" | flagged)
	for t in $(echo "$TRACES" | tr ',' ' '); do
		ratio libsegb libsega "$tmp/f" "$(basename "$t" .trace)" >> "$tmp/fa.est"
	done
	rounds=$(jq .runs "$tmp/f/libsega/$(basename "$(echo "$TRACES" | cut -d, -f1)" .trace).json")
	total=$((total + n))
	rm -rf "$tmp/f"
	r=$((r + 1))
done
echo
echo "false alarms: $total of $((FALSE_REPEAT * ncells)) cells flagged" \
     "($FALSE_REPEAT suites x $ncells traces, $rounds rounds, time: $TIME)"
sort -g "$tmp/fa.est" | awk '{ v[NR] = $1 } END {
	printf "  per-cell median ratio libsegb / libsega: %+.1f%% to %+.1f%%\n",
		100 * (v[1] - 1), 100 * (v[NR] - 1) }'

# ---- calibration: steps of work -> slowdown, per trace ----
# spins that add about 50% of segregated's instructions per op on a trace
half_spins() {
	b=$(HEAPLAB_SLOW_SPINS=0 "$BENCH_TEST" --alloc test-slow-segregated --trace "$1" \
		--runs 1 --count -q --json 2>/dev/null | jq '.cost.instructions_per_op')
	s=$(HEAPLAB_SLOW_SPINS=100 "$BENCH_TEST" --alloc test-slow-segregated --trace "$1" \
		--runs 1 --count -q --json 2>/dev/null | jq '.cost.instructions_per_op')
	awk -v b="$b" -v s="$s" 'BEGIN { if (!(s > b)) print -1; else printf "%d\n", 0.5 * b / ((s - b) / 100) + 0.5 }'
}
# pair_suite SPINS TRACE DIR [rounds option]
pair_suite() {
	s=$1 t=$2 d=$3
	shift 3
	rm -rf "$d"
	HEAPLAB_SLOW_SPINS=$s "$BENCH_TEST" --alloc segregated,test-slow-segregated \
		--trace "$t" "$@" --interleave --out "$d" -q 2>/dev/null
}
: > "$tmp/cal.tsv"
for t in $(echo "$TRACES" | tr ',' ' '); do
	name=$(basename "$t" .trace)
	say "calibration: $name"
	s1=$(half_spins "$t")
	[ "$s1" -gt 0 ] 2>/dev/null || { say "no instruction count (bench --count)"; exit 3; }
	pair_suite 0 "$t" "$tmp/c0" --runs "$CAL_ROUNDS"
	r0=$(ratio test-slow-segregated segregated "$tmp/c0" "$name")
	pair_suite "$s1" "$t" "$tmp/c1" --runs "$CAL_ROUNDS"
	r1=$(ratio test-slow-segregated segregated "$tmp/c1" "$name")
	# a few steps cost less each than many (the processor overlaps part of a
	# short chain with the allocator's work): measure again near +10%
	s2=$(awk -v a="$r0" -v b="$r1" -v s="$s1" 'BEGIN { k = (b - a) / s; x = k > 0 ? (1.10 - a) / k : 1
		printf "%d\n", x < 1 ? 1 : x + 0.5 }')
	pair_suite "$s2" "$t" "$tmp/c2" --runs "$CAL_ROUNDS"
	r2=$(ratio test-slow-segregated segregated "$tmp/c2" "$name")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$name" "$r0" "$r2" "$s2" "$r1" "$s1" >> "$tmp/cal.tsv"
done
# spins_for TRACE PCT: steps for a slowdown of PCT% against segregated (>= 0),
# on the line through 0 steps and the steps measured near +10%
spins_for() {
	awk -F'\t' -v t="$1" -v p="$2" '$1 == t {
		k = ($4 - $3) / $5; s = k > 0 ? (1 + p / 100 - $3) / k : 0
		printf "%d\n", s < 0 ? 0 : s + 0.5 }' "$tmp/cal.tsv"
}

# ---- power ----
: > "$tmp/power.tsv"
for pct in $PCTS; do
	for t in $(echo "$TRACES" | tr ',' ' '); do
		name=$(basename "$t" .trace)
		spins=$(spins_for "$t" "$pct")
		say "power: +$pct% on $name ($spins steps a call)"
		r=0
		while [ "$r" -lt "$REPEAT" ]; do
			# shellcheck disable=SC2086
			pair_suite "$spins" "$t" "$tmp/p" $rounds_opt
			# shellcheck disable=SC2086
			n=$("$BENCH_TEST" compare --pair segregated,test-slow-segregated $time_opt \
				"$tmp/p" | flagged)
			printf '%s\t%s\t%s\t%s\n' "$pct" "$name" "$n" \
				"$(ratio test-slow-segregated segregated "$tmp/p" "$name")" >> "$tmp/power.tsv"
			r=$((r + 1))
		done
	done
done
echo
echo "calibration ($CAL_ROUNDS rounds): test-slow-segregated / segregated, median per-round ratio"
printf '  %-16s %8s %20s %20s\n' trace "0 steps" "+50% instructions" "near +10% time"
awk -F'\t' '{ printf "  %-16s %+7.1f%% %6d steps %+6.1f%% %6d steps %+6.1f%%\n", $2, 100 * ($3 - 1),
	$7, 100 * ($6 - 1), $5, 100 * ($4 - 1) }' "$tmp/cal.tsv"
echo
echo "power: segregated vs test-slow-segregated, slowed by P% of its $TIME time per op;"
echo "$REPEAT suites per trace, $rounds rounds each"
printf '  %-6s %-18s %s\n' added "cells flagged" "slowdown seen (median; range of suites)"
for pct in $PCTS; do
	awk -F'\t' -v p="$pct" '$1 == p { n++; f += ($3 > 0); print $4 > "/dev/stderr" }
		END { printf "  %-6s %4d / %-4d %4.0f%%", "+" p "%", f, n, n ? 100 * f / n : 0 }' \
		"$tmp/power.tsv" 2> "$tmp/seen"
	median < "$tmp/seen" | awk '{ printf "   %+.1f%%", 100 * ($1 - 1) }'
	sort -g "$tmp/seen" | awk '{ v[NR] = $1 } END { printf " (%+.1f%% to %+.1f%%)\n",
		100 * (v[1] - 1), 100 * (v[NR] - 1) }'
	# per trace: flagged, and the slowdown seen in each suite (* = flagged)
	for t in $(echo "$TRACES" | tr ',' ' '); do
		name=$(basename "$t" .trace)
		awk -F'\t' -v p="$pct" -v t="$name" '$1 == p && $2 == t {
			n++; f += ($3 > 0); s = s sprintf(" %+.1f%s", 100 * ($4 - 1), $3 > 0 ? "*" : "") }
			END { printf "           %-15s %d / %d:%s\n", t, f, n, s }' "$tmp/power.tsv"
	done
done
echo "  (per trace: the slowdown seen in each suite; * flagged)"
echo
echo "run time $(( $(date +%s) - started )) s; load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
