#!/bin/sh
# tests/cli/timing.sh - what the timed passes record: the touch mode, warm-up
# passes, CPU time and OS counters per pass, and the --count cost figure.
# No test here depends on how fast anything ran.
. tests/lib.sh

TR=$TMP/small.trace
printf 'a 0 24\na 1 100\nf 0\nc 2 4 10\nr 1 300\nm 3 64 40\nf 1\nf 2\n' > "$TR"
# 64 blocks of 64 KiB, half freed, the rest grown to 128 KiB: pages to fault in
PG=$TMP/paging.trace
i=0; : > "$PG"
while [ $i -lt 64 ]; do echo "a $i 65536" >> "$PG"; i=$((i + 1)); done
i=0; while [ $i -lt 64 ]; do echo "f $i" >> "$PG"; i=$((i + 2)); done
i=1; while [ $i -lt 64 ]; do echo "r $i 131072" >> "$PG"; i=$((i + 2)); done

SANITIZED=0
if ldd "$BENCH" 2>/dev/null | grep -q libasan || nm "$BENCH" 2>/dev/null | grep -q __asan_init; then
	SANITIZED=1
fi

touch_bogus() {
	expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --touch bogus &&
	err_has "bench: --touch: 'bogus' is not none, pages or all"
}
check "--touch bogus: exit 2 with the modes named" touch_bogus

warmup_bad() {
	expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --warmup x &&
	err_has "bench: --warmup: 'x' is not a whole number"
}
check "--warmup x: exit 2" warmup_bad

count_bogus() {
	expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --count=guess &&
	err_has "bench: --count: 'guess' is not auto, perf or callgrind"
}
check "--count=guess: exit 2" count_bogus

count_threads() {
	expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --count --threads &&
	err_has "--count counts a serial pass; it cannot be combined with --threads"
}
check "--count with --threads: exit 2" count_threads

# Every pass's figures are there, one per run, whole numbers >= 0.
passes_sane() {  # $1: the result file, $2: runs
	jq -e --argjson n "$2" '
	  .throughput.passes | length == $n and
	  all(.[]; [.wall_ns, .user_ns, .sys_ns, .minor_faults, .major_faults,
	            .voluntary_switches, .involuntary_switches]
	           | all(type == "number" and . >= 0 and . == floor))' "$1" >/dev/null &&
	jq -e --argjson n "$2" '.throughput.samples_cpu_ns_per_op | length == $n' "$1" >/dev/null &&
	jq -e '.throughput.cpu_ns_per_op.min <= .throughput.cpu_ns_per_op.median and
	       .throughput.cpu_ns_per_op.median <= .throughput.cpu_ns_per_op.max and
	       (.throughput.cpu_ops_per_sec | .min <= .median and .median <= .max)' "$1" >/dev/null
}

default_json() {
	expect_exit 0 "$BENCH" --alloc buddy --trace "$TR" --runs 3 --out "$TMP/d.json" &&
	jq -e '.options.touch == "pages" and .options.warmup == 0 and .options.count == null and
	       .throughput.touch == "pages" and .throughput.warmup_passes == 0 and
	       .cost == null' "$TMP/d.json" >/dev/null &&
	passes_sane "$TMP/d.json" 3 &&
	err_has "CPU time " && err_has "per pass " && err_has "minor + " &&
	err_has "cold: each on a fresh heap; touch pages"
}
check "default: touch pages, cold, CPU time and counters of each pass recorded" default_json

none_warm() {
	expect_exit 0 "$BENCH" --alloc buddy --trace "$TR" --runs 2 --touch none --warmup 2 \
	    --out "$TMP/n.json" &&
	jq -e '.options.touch == "none" and .options.warmup == 2 and
	       .throughput.touch == "none" and .throughput.warmup_passes == 2' "$TMP/n.json" \
	    >/dev/null &&
	passes_sane "$TMP/n.json" 2 &&
	err_has "warm: 2 untimed passes on the same heap first" &&
	err_has "touch none: blocks never written, the allocator's own work only"
}
check "--touch none --warmup 2: recorded, and the summary says what it means" none_warm

# buddy keeps its state outside the blocks: untouched, their pages are never faulted in
touch_faults() {
	"$BENCH" --alloc buddy --trace "$PG" --runs 3 --touch none --out "$TMP/tn.json" 2>/dev/null &&
	"$BENCH" --alloc buddy --trace "$PG" --runs 3 --touch pages --out "$TMP/tp.json" 2>/dev/null &&
	none=$(jq '[.throughput.passes[].minor_faults] | min' "$TMP/tn.json") &&
	pages=$(jq '[.throughput.passes[].minor_faults] | min' "$TMP/tp.json") &&
	[ "$pages" -gt $((none + 500)) ] || { echo "    minor faults: none $none, pages $pages"; return 1; }
}
check "--touch pages faults in the blocks' pages; --touch none does not" touch_faults

cpu_counts() {
	"$BENCH" gen random --ops 200000 --seed 3 -o "$TMP/r200k.trace" >/dev/null 2>&1 &&
	"$BENCH" --alloc segregated --trace "$TMP/r200k.trace" --runs 2 --out "$TMP/c.json" \
	    2>/dev/null &&
	jq -e '[.throughput.passes[] | .user_ns + .sys_ns] | add > 0' "$TMP/c.json" >/dev/null &&
	jq -e '.throughput.cpu_ns_per_op.median > 0' "$TMP/c.json" >/dev/null
}
check "a 200k-op pass records CPU time (user + system > 0)" cpu_counts

report_fields() {
	expect_exit 0 "$BENCH" report --fields allocator,touch,warmup,cpu_ns_per_op_median,minor_faults_median,instructions_per_op \
	    "$TMP/n.json" &&
	awk -F'\t' 'NR == 2 && $1 == "buddy" && $2 == "none" && $3 == "2" && $4 != "" && $5 != "" && $6 == "" { ok = 1 } END { exit !ok }' "$OUT"
}
check "bench report exposes touch, warmup, CPU time and fault medians" report_fields

old_results() {
	expect_exit 0 "$BENCH" report --fields allocator,cpu_ns_per_op_median,touch results/baseline &&
	[ "$(wc -l < "$OUT")" -gt 1 ]
}
check "bench report reads results written before these fields (results/baseline)" old_results

if [ $SANITIZED -eq 0 ]; then
	peer_fields() {
		expect_exit 0 "$BENCH" --alloc glibc --trace "$TR" --runs 2 --touch all --warmup 1 \
		    --out "$TMP/g.json" &&
		jq -e '.throughput.touch == "all" and .throughput.warmup_passes == 1' "$TMP/g.json" \
		    >/dev/null &&
		passes_sane "$TMP/g.json" 2 && err_has "warm: 1 untimed pass on the same process first"
	}
	check "a peer's passes send their figures back from their child processes" peer_fields
else
	echo "skip peer figures: a sanitizer build cannot run peers"
fi

# --count: an exact instruction count, the same twice for a built-in
count_of() {  # count_of TRACE OUT
	"$BENCH" --alloc buddy --trace "$1" --runs 1 --count=callgrind --out "$2" 2>/dev/null &&
	jq -e '.cost.method == "callgrind" and .cost.instructions > 0' "$2" >/dev/null &&
	jq '.cost.instructions' "$2"
}
count_deterministic() {
	a=$(count_of "$TR" "$TMP/k1.json") && b=$(count_of "$TR" "$TMP/k2.json") &&
	"$BENCH" gen web --ops 3000 --seed 1 -o "$TMP/w3k.trace" >/dev/null 2>&1 &&
	c=$(count_of "$TMP/w3k.trace" "$TMP/k3.json") &&
	[ "$a" -eq "$b" ] && [ "$c" -gt $((a * 100)) ] ||
	{ echo "    instructions: $a, $b (same trace), $c (a 3000-op trace)"; return 1; }
}
count_summary() {
	expect_exit 0 "$BENCH" --alloc buddy --trace "$TR" --runs 1 --count &&
	grep -qE '^cost +[0-9.]+ instructions/op' "$OUT" ||
	{ echo "    no cost line"; cat "$OUT"; return 1; }
}
# perf counters: measured where the machine has them, else null with the reason
count_perf() {
	expect_exit 0 "$BENCH" --alloc buddy --trace "$TR" --runs 1 --count=perf --out "$TMP/p.json" &&
	jq -e '(.cost.method == "perf_event" and .cost.instructions > 0 and .cost_note == null) or
	       (.cost == null and (.cost_note | test("perf_event_open")))' "$TMP/p.json" >/dev/null &&
	jq -e '.options.count == "perf_event"' "$TMP/p.json" >/dev/null
}
check "--count=perf: counts, or says why not (no counters in this VM), exit 0" count_perf

if [ $SANITIZED -eq 1 ]; then
	echo "skip --count: valgrind cannot run a sanitizer build"
elif ! command -v valgrind >/dev/null 2>&1; then
	echo "skip --count: valgrind is not installed (it is in .ci/deps.sh: run make deps)"
else
	check "--count=callgrind: the same instruction count twice, > 0, growing with the trace" count_deterministic
	check "--count: the summary has a cost line" count_summary
fi

finish
