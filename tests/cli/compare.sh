#!/bin/sh
# tests/cli/compare.sh - bench report, bench compare, plot.sh, and the latency
# and timeline fields of a result.
. tests/lib.sh

B=$TMP/base
mkdir -p "$B"
# Timing samples are set by hand (steady, 100-102 ns/op of wall time; no CPU
# time, which cpu_preferred adds), so that every verdict below is
# deterministic; the rest of each result is real.
steady='del(.throughput.samples_cpu_ns_per_op) |
	.throughput.samples_ns_per_op = [100, 100.5, 101, 101.5, 102] |
	.throughput.ns_per_op = {median: 101, min: 100, max: 102} |
	.throughput.ops_per_sec = {median: (1e9 / 101), min: (1e9 / 102), max: 1e7}'
for a in bump tlsf; do
	mkdir -p "$B/$a"
	for t in basic.trace coalesce.trace; do
		"$BENCH" --alloc $a --trace workloads/$t --runs 5 -q --out "$TMP/r.json" &&
		jq "$steady" "$TMP/r.json" > "$B/$a/$t.json" || echo "setup: $a on $t failed"
	done
done
"$BENCH" --alloc tlsf --trace workloads/web.trace --runs 1 --latency -q --out "$TMP/lat.json"
"$BENCH" --alloc bump --trace workloads/web.trace --runs 1 -q --out "$TMP/bump-web.json"

# copy_with JQ-FILTER ALLOC TRACE: $TMP/cur, a copy of the baseline with one cell edited.
copy_with() {
	rm -rf "$TMP/cur" && cp -r "$B" "$TMP/cur" &&
	jq "$1" "$B/$2/$3.json" > "$TMP/cur/$2/$3.json"
}

# ---- compare ----

unchanged() {
	expect_exit 0 "$BENCH" compare "$B" "$B" && out_has "no regression in 4 compared cells"
}
check "compare: the same results pass, exit 0" unchanged

memory_regression() {
	copy_with '.memory.peak_break_bytes += 1' tlsf coalesce.trace &&
	expect_exit 1 "$BENCH" compare "$B" "$TMP/cur" && out_has "REGRESSION: 1 of 4 cells" &&
	grep -q '^FAIL *tlsf *coalesce ' "$OUT" && out_has "peak break grew"
}
check "compare: one byte more peak break fails, exit 1" memory_regression

memory_regression_only_memory() {
	copy_with '.memory.peak_break_bytes += 1' tlsf coalesce.trace &&
	expect_exit 1 "$BENCH" compare --only-memory "$B" "$TMP/cur"
}
check "compare --only-memory: still catches the memory regression" memory_regression_only_memory

growth_allowed() {
	copy_with '.memory.peak_break_bytes += 1' tlsf coalesce.trace &&
	expect_exit 0 "$BENCH" compare --max-memory-growth 1% "$B" "$TMP/cur"
}
check "compare --max-memory-growth 1%: one byte more passes" growth_allowed

less_memory_passes() {
	copy_with '.memory.peak_break_bytes -= 16' tlsf coalesce.trace &&
	expect_exit 0 "$BENCH" compare "$B" "$TMP/cur"
}
check "compare: less memory is no regression" less_memory_passes

# samples PAIRS-FILTER: scale every timing sample (and the summaries) by $k
scale='.throughput.samples_ns_per_op |= map(. * $k) |
	.throughput.ns_per_op |= map_values(. * $k) |
	.throughput.ops_per_sec |= map_values(. / $k)'
slowdown="2 as \$k | $scale"
slowdown_fails() {
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 1 "$BENCH" compare --time-gate "$B" "$TMP/cur" &&
	grep -q '^FAIL *bump *basic *wall *+100%' "$OUT" && out_has "slower: +100% wall time per op"
}
check "compare --time-gate: a clear 2x slowdown fails, exit 1, with its size and p" slowdown_fails

slowdown_reported() {
	# two separate runs: time is shown, marked SLOW, and does not fail
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 0 "$BENCH" compare "$B" "$TMP/cur" &&
	grep -q '^SLOW *bump *basic *wall *+100%' "$OUT" &&
	out_has "slower: +100% wall time/op, p 0.0079 (reported; --time-gate fails it)" &&
	out_has "1 cells slower by time: reported, not failed" &&
	expect_exit 0 "$BENCH" compare --format markdown "$B" "$TMP/cur" && out_has "⚠️"
}
check "compare: without --time-gate a time slowdown is reported, not failed" slowdown_reported

identical_samples() {
	expect_exit 0 "$BENCH" compare "$B" "$B" && grep -q '^ok *bump *basic *wall *+0.00% ' "$OUT" &&
	out_has "wall time in 4"
}
check "compare: identical samples are no regression" identical_samples

slowdown_only_memory() {
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 0 "$BENCH" compare --only-memory "$B" "$TMP/cur"
}
check "compare --only-memory: ignores a slowdown" slowdown_only_memory

noisy_same() {
	# two noisy runs of the same thing: interleaved, wide spread
	copy_with '.throughput.samples_ns_per_op = [90, 130, 101, 160, 115]' bump basic.trace &&
	jq '.throughput.samples_ns_per_op = [120, 95, 150, 105, 140]' "$B/bump/basic.trace.json" \
		> "$TMP/b.json" && mkdir -p "$TMP/nb/bump" && cp "$TMP/b.json" "$TMP/nb/bump/" &&
	mkdir -p "$TMP/nc/bump" && cp "$TMP/cur/bump/basic.trace.json" "$TMP/nc/bump/b.json" &&
	expect_exit 0 "$BENCH" compare "$TMP/nb" "$TMP/nc"
}
check "compare: noisy samples of the same speed are no regression" noisy_same

small_effect() {
	# consistently 3% slower: significant, but under the 5% minimum effect
	copy_with "1.03 as \$k | $scale" bump basic.trace &&
	expect_exit 0 "$BENCH" compare "$B" "$TMP/cur" && out_has "under the 5% minimum" &&
	expect_exit 1 "$BENCH" compare --time-gate --min-effect 2% "$B" "$TMP/cur"
}
check "compare: a significant slowdown under --min-effect passes" small_effect

max_slowdown_deprecated() {
	copy_with "1.07 as \$k | $scale" bump basic.trace &&
	expect_exit 1 "$BENCH" compare --time-gate "$B" "$TMP/cur" &&
	expect_exit 0 "$BENCH" compare --time-gate --max-slowdown 10% "$B" "$TMP/cur" &&
	err_has "--max-slowdown is deprecated"
}
check "compare --max-slowdown: still works, as --min-effect, with a warning" max_slowdown_deprecated

too_few_runs() {
	three='.throughput.samples_ns_per_op |= .[0:3]'
	copy_with "$three | $slowdown" bump basic.trace &&
	jq "$three" "$B/bump/basic.trace.json" > "$TMP/cur/bump/x" &&
	rm -rf "$TMP/t3" && mkdir -p "$TMP/t3/bump" && mv "$TMP/cur/bump/x" "$TMP/t3/bump/b.json" &&
	mkdir -p "$TMP/t3c/bump" && cp "$TMP/cur/bump/basic.trace.json" "$TMP/t3c/bump/b.json" &&
	expect_exit 0 "$BENCH" compare "$TMP/t3" "$TMP/t3c" &&
	out_has "1 cells: too few runs for p < 0.01" && out_has "too few timed cells" && out_has "[?, ?]" &&
	expect_exit 1 "$BENCH" compare --time-gate --alpha 0.2 "$TMP/t3" "$TMP/t3c"
}
check "compare: 3 vs 3 runs cannot reach p < 0.01: not judged, and said" too_few_runs

cost='.cost = {method: "callgrind", instructions: (.trace.ops * $i), instructions_per_op: $i,
	cycles_per_op: null, l1d_misses_per_op: null, ll_misses_per_op: null}'
instructions_preferred() {
	# time says 2x slower, the exact count says the same: the count wins
	for f in "$B"/*/*.json; do
		d=$TMP/ib/${f#"$B/"}; mkdir -p "$(dirname "$d")" && jq "500 as \$i | $cost" "$f" > "$d"
	done &&
	rm -rf "$TMP/ic" && cp -r "$TMP/ib" "$TMP/ic" &&
	jq "2 as \$k | $scale" "$TMP/ib/bump/basic.trace.json" > "$TMP/ic/bump/basic.trace.json" &&
	expect_exit 0 "$BENCH" compare "$TMP/ib" "$TMP/ic" &&
	grep -q '^ok *bump *basic *instr *+0.00% *exact' "$OUT" &&
	out_has "judged by instructions in 4 cells" &&
	out_has "+100% [" && out_has "shown, not judged (the count decides)" &&
	[ "$(grep -c 'not judged (the count decides)' "$OUT")" -eq 1 ] &&
	jq "2 as \$k | 510 as \$i | $scale | $cost" "$TMP/ib/bump/basic.trace.json" \
		> "$TMP/ic/bump/basic.trace.json" &&
	expect_exit 1 "$BENCH" compare "$TMP/ib" "$TMP/ic" && out_has "more instructions: 500.0 -> 510.0" &&
	expect_exit 0 "$BENCH" compare --max-instructions-growth 3% "$TMP/ib" "$TMP/ic"
}
check "compare: instruction counts, when both sides have them, decide (1% default)" \
	instructions_preferred

instructions_one_side() {
	mkdir -p "$TMP/io/bump" &&
	jq "500 as \$i | $cost" "$B/bump/basic.trace.json" > "$TMP/io/bump/basic.trace.json" &&
	expect_exit 0 "$BENCH" compare --allow-missing "$B/bump" "$TMP/io/bump" &&
	out_has "instruction count on one side only: judged by time"
}
check "compare: an instruction count on one side only falls back to time" instructions_one_side

change_title() {
	# the change column names what its rows compare: time, instructions, or
	# (a table of both) the change per op of what each row's "by" says
	expect_exit 0 "$BENCH" compare "$B" "$B" &&
	head -1 "$OUT" | grep -q ' by  *time/op change \[CI\]  *p  *memory$' &&
	expect_exit 0 "$BENCH" compare "$TMP/ib" "$TMP/ib" &&
	head -1 "$OUT" | grep -q ' by  *instr/op change  *p  *memory$' && ! grep -q "time/op change" "$OUT" &&
	rm -rf "$TMP/mix" && cp -r "$B" "$TMP/mix" &&
	cp "$TMP/ib/bump/basic.trace.json" "$TMP/mix/bump/basic.trace.json" &&
	expect_exit 0 "$BENCH" compare "$TMP/mix" "$TMP/mix" &&
	head -1 "$OUT" | grep -q ' by  *change/op (by) \[CI\]  *p  *memory$' &&
	grep -q '^ok *bump *basic *instr *+0.00% *exact' "$OUT" &&
	grep -q '^ok *tlsf *basic *wall *+0\.00*% \[' "$OUT" &&
	[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$OUT")" -le 80 ] &&
	expect_exit 0 "$BENCH" compare --format markdown "$TMP/mix" "$TMP/mix" &&
	out_has "| | allocator | trace | status | by | instr/op or time/op change [CI] | p | memory | note |" &&
	expect_exit 0 "$BENCH" compare --format markdown "$TMP/ib" "$TMP/ib" &&
	out_has "| | allocator | trace | status | by | instr/op change | p | memory | note |"
}
check "compare: the change column's title says which figure the rows compare" change_title

counts_across_machines() {
	# instruction counts do not depend on the machine: compared across two;
	# time is still refused, and so are counts of two different methods
	rm -rf "$TMP/ma" "$TMP/mb" && mkdir -p "$TMP/ma/bump" "$TMP/mb/bump" &&
	jq "500 as \$i | $cost | .machine.name = \"alpha\"" "$B/bump/basic.trace.json" \
		> "$TMP/ma/bump/basic.trace.json" &&
	jq "510 as \$i | $cost | .machine.name = \"beta\"" "$B/bump/basic.trace.json" \
		> "$TMP/mb/bump/basic.trace.json" &&
	expect_exit 1 "$BENCH" compare "$TMP/ma" "$TMP/mb" &&
	out_has "more instructions: 500.0 -> 510.0" && out_has "machine alpha -> beta" &&
	jq '.cost.method = "perf_event"' "$TMP/mb/bump/basic.trace.json" > "$TMP/x.json" &&
	mv "$TMP/x.json" "$TMP/mb/bump/basic.trace.json" &&
	expect_exit 2 "$BENCH" compare "$TMP/ma" "$TMP/mb" &&
	err_has "throughput from different machines is not comparable" &&
	err_has "bench --count" &&
	jq 'del(.cost) | .machine.name = "beta"' "$B/bump/basic.trace.json" \
		> "$TMP/mb/bump/basic.trace.json" &&
	expect_exit 2 "$BENCH" compare "$TMP/ma" "$TMP/mb"
}
check "compare: instruction counts compare across machines, time does not" counts_across_machines

counted_differently() {
	rm -rf "$TMP/mc" && mkdir -p "$TMP/mc/bump" &&
	jq "510 as \$i | $cost | .cost.method = \"perf_event\"" "$B/bump/basic.trace.json" \
		> "$TMP/mc/bump/basic.trace.json" &&
	jq "500 as \$i | $cost" "$B/bump/basic.trace.json" > "$TMP/x.json" &&
	mkdir -p "$TMP/md/bump" && mv "$TMP/x.json" "$TMP/md/bump/basic.trace.json" &&
	expect_exit 0 "$BENCH" compare "$TMP/md" "$TMP/mc" &&
	out_has "instructions counted by callgrind vs perf_event: judged by time"
}
check "compare: counts of two methods are not compared with each other" counted_differently

cpu_preferred() {
	cpu='.throughput.samples_cpu_ns_per_op = [90, 91, 92, 93, 94] |
		.throughput.cpu_ns_per_op = {median: 92, min: 90, max: 94}'
	mkdir -p "$TMP/cb/bump" "$TMP/cc/bump" &&
	jq "$cpu" "$B/bump/basic.trace.json" > "$TMP/cb/bump/b.json" &&
	jq "2 as \$k | $scale | $cpu" "$B/bump/basic.trace.json" > "$TMP/cc/bump/b.json" &&
	expect_exit 0 "$BENCH" compare "$TMP/cb" "$TMP/cc" && grep -q '^ok *bump *basic *cpu ' "$OUT" &&
	expect_exit 1 "$BENCH" compare --time-gate --time wall "$TMP/cb" "$TMP/cc" &&
	grep -q '^FAIL *bump *basic *wall ' "$OUT"
}
check "compare: CPU-time samples are preferred when both sides have them (--time wall not)" \
	cpu_preferred

failed_allocations() {
	# a heap limit that now bites: fewer ops done, so faster, but a regression
	copy_with '.ops.failed_allocations = 7 | .ops.skipped_ops = 3 |
		.throughput.samples_ns_per_op |= map(. / 2)' tlsf basic.trace &&
	expect_exit 1 "$BENCH" compare "$B" "$TMP/cur" &&
	grep -q '^FAIL *tlsf *basic *- *n/c' "$OUT" && out_has "failed allocations 0 -> 7" &&
	out_has "skipped ops 0 -> 3" && out_has "throughput not comparable: the runs did different work" &&
	expect_exit 1 "$BENCH" compare --only-memory "$B" "$TMP/cur"
}
check "compare: a cell that starts failing allocations fails; its throughput is n/c" \
	failed_allocations

touch_differs() {
	copy_with '.throughput.touch = "none"' tlsf basic.trace &&
	expect_exit 0 "$BENCH" compare "$B" "$TMP/cur" &&
	out_has "throughput not comparable: --touch pages vs none"
}
check "compare: results measured with different --touch are not comparable" touch_differs

old_schema() {
	# results written before the samples and op counters existed
	rm -rf "$TMP/old" && cp -r "$B" "$TMP/old" &&
	for f in "$TMP"/old/*/*.json; do
		jq 'del(.throughput.samples_ns_per_op, .throughput.touch, .ops, .cost)' "$f" > "$f.x" &&
		mv "$f.x" "$f"
	done &&
	expect_exit 0 "$BENCH" compare "$TMP/old" "$B" &&
	out_has "throughput not comparable: --touch none vs pages" &&
	expect_exit 0 "$BENCH" compare "$TMP/old" "$TMP/old" && out_has "4 cells: too few runs" &&
	expect_exit 0 "$BENCH" compare results/baseline results/baseline
}
check "compare: results without samples, op counters or cost still compare" old_schema

text_width() {
	copy_with "2 as \$k | $scale | .memory.peak_break_bytes += 100000" bump basic.trace &&
	expect_exit 1 "$BENCH" compare "$B" "$TMP/cur" &&
	! awk 'length($0) > 80 { print "    too wide: " $0; bad = 1 } END { exit !bad }' "$OUT"
}
check "compare: the text table fits 80 columns" text_width

# ten cells: NAME:FACTOR... written to $TMP/$1 from bump on basic.trace, samples scaled
ten_cells() {
	dir=$TMP/$1; shift
	rm -rf "$dir" && mkdir -p "$dir" &&
	for c in "$@"; do
		jq --arg n "${c%%:*}" "${c#*:} as \$k | $scale | .allocator.name = \$n" \
			"$B/bump/basic.trace.json" > "$dir/${c%%:*}.json" || return 1
	done
}
run_noise() {
	names="a b c d e f g h i j"
	ten_cells n0 $(for n in $names; do echo "$n:1"; done) &&
	# a noisy machine: every cell shifted by up to 25%, j by 30%: all within 3x the noise
	ten_cells n1 a:0.8 b:1.15 c:0.9 d:1.25 e:0.95 f:1.1 g:0.85 h:1.2 i:1 j:1.3 &&
	expect_exit 0 "$BENCH" compare "$TMP/n0" "$TMP/n1" && out_has "run-to-run noise across 10 cells" &&
	out_has "within 3 x the run-to-run noise" &&
	expect_exit 1 "$BENCH" compare --time-gate --run-noise 0 "$TMP/n0" "$TMP/n1" &&
	out_has "REGRESSION: 5 of 10 cells" &&
	# a quiet machine: the same +30% cell stands out and fails
	ten_cells n2 a:1 b:1.001 c:0.999 d:1 e:1.002 f:0.998 g:1 h:1.001 i:1 j:1.3 &&
	expect_exit 1 "$BENCH" compare --time-gate "$TMP/n0" "$TMP/n2" &&
	out_has "REGRESSION: 1 of 10 cells" &&
	grep -q '^FAIL *j ' "$OUT"
}
check "compare: a slowdown within the run-to-run noise of the cells passes, outside fails" \
	run_noise

# A slower machine: every cell 3x slower; relative to tlsf nothing changed.
slower_machine() {
	rm -rf "$TMP/slow" && cp -r "$B" "$TMP/slow" &&
	for f in "$TMP"/slow/*/*.json; do
		jq "3 as \$k | $scale" "$f" > "$f.x" && mv "$f.x" "$f"
	done &&
	expect_exit 1 "$BENCH" compare --time-gate "$B" "$TMP/slow" &&
	expect_exit 0 "$BENCH" compare --time-gate --reference tlsf "$B" "$TMP/slow" &&
	out_has "(reference)"
}
check "compare --reference: a uniformly slower machine is no regression" slower_machine

reference_catches() {
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 1 "$BENCH" compare --time-gate --reference tlsf "$B" "$TMP/cur" &&
	grep -q '^FAIL *bump *basic *wall *+100%' "$OUT" && out_has "> 5% slower vs tlsf"
}
check "compare --reference: one allocator slower than the reference fails" reference_catches

reference_unknown() {
	expect_exit 2 "$BENCH" compare --reference glibc "$B" "$B" && err_has "--reference glibc"
}
check "compare --reference with an allocator not in BASELINE: exit 2" reference_unknown

status_regression() {
	copy_with '.status = "check-failed" | .check.passed = false' tlsf basic.trace &&
	expect_exit 1 "$BENCH" compare --only-memory "$B" "$TMP/cur" &&
	out_has "status regressed to check-failed"
}
check "compare: ok -> check-failed always fails" status_regression

missing_cell() {
	rm -rf "$TMP/cur" && cp -r "$B" "$TMP/cur" && rm "$TMP/cur/bump/basic.trace.json" &&
	expect_exit 1 "$BENCH" compare "$B" "$TMP/cur" && out_has "missing in CURRENT" &&
	expect_exit 0 "$BENCH" compare --allow-missing "$B" "$TMP/cur"
}
check "compare: a missing cell fails unless --allow-missing" missing_cell

new_cell() {
	rm -rf "$TMP/cur" && cp -r "$B" "$TMP/cur" && cp "$TMP/bump-web.json" "$TMP/cur/bump/" &&
	expect_exit 0 "$BENCH" compare "$B" "$TMP/cur" && out_has "not in BASELINE"
}
check "compare: a new cell is listed and passes" new_cell

sha_differs() {
	copy_with '.trace.sha256 = "'"$(printf '%064d' 0)"'"' tlsf basic.trace &&
	expect_exit 0 "$BENCH" compare "$B" "$TMP/cur" && err_has "trace's content differs"
}
check "compare: a trace whose content differs is warned about" sha_differs

peer_rss() {
	peer='.allocator.kind = "peer" | .memory.peak_break_bytes = null |
		.memory.provider_calls = null | .memory.peak_rss_bytes = '
	rm -rf "$TMP/pb" "$TMP/pc" && mkdir -p "$TMP/pb" "$TMP/pc" &&
	jq "$peer 1000000" "$B/tlsf/basic.trace.json" > "$TMP/pb/x.json" &&
	jq "$peer 1040000" "$B/tlsf/basic.trace.json" > "$TMP/pc/x.json" &&
	expect_exit 0 "$BENCH" compare --only-memory "$TMP/pb" "$TMP/pc" && out_has "RSS" &&
	jq "$peer 1100000" "$B/tlsf/basic.trace.json" > "$TMP/pc/x.json" &&
	expect_exit 1 "$BENCH" compare --only-memory "$TMP/pb" "$TMP/pc" &&
	expect_exit 0 "$BENCH" compare --only-memory --rss-tolerance 15% "$TMP/pb" "$TMP/pc"
}
check "compare: peers (no break) are compared by peak RSS within --rss-tolerance" peer_rss

markdown() {
	copy_with '.memory.peak_break_bytes += 1' tlsf coalesce.trace &&
	expect_exit 1 "$BENCH" compare --format markdown "$B" "$TMP/cur" &&
	out_has "| | allocator | trace | status | by | time/op change [CI] | p | memory | note |" &&
	out_has "|---|" && out_has "| ✅ | bump | basic.trace |" &&
	out_has "| ❌ | tlsf | coalesce.trace |" && out_has "**❌ Regression: 1 of 4 cells failed**"
}
check "compare --format markdown: a table with a mark per cell and a verdict" markdown

usage_errors() {
	expect_exit 2 "$BENCH" compare "$B" && err_has "expected BASELINE and CURRENT" &&
	expect_exit 2 "$BENCH" compare --max-slowdown ten "$B" "$B" && err_has "--max-slowdown" &&
	expect_exit 2 "$BENCH" compare --max-slowdown -5% "$B" "$B" &&
	expect_exit 2 "$BENCH" compare --alpha 0 "$B" "$B" && err_has "--alpha" &&
	expect_exit 2 "$BENCH" compare --time user "$B" "$B" && err_has "--time" &&
	expect_exit 2 "$BENCH" compare --min-effect lots "$B" "$B" && err_has "--min-effect" &&
	expect_exit 2 "$BENCH" compare --run-noise -1 "$B" "$B" && err_has "--run-noise" &&
	expect_exit 2 "$BENCH" compare "$B" "$TMP/nowhere" && err_has "$TMP/nowhere" &&
	mkdir -p "$TMP/empty" && expect_exit 2 "$BENCH" compare "$TMP/empty" "$B" &&
	err_has "no heaplab results in BASELINE"
}
check "compare: usage errors and an empty BASELINE exit 2" usage_errors

duplicate_cells() {
	mkdir -p "$TMP/dup/a" "$TMP/dup/b" &&
	cp "$B/bump/basic.trace.json" "$TMP/dup/a/" && cp "$B/bump/basic.trace.json" "$TMP/dup/b/" &&
	expect_exit 2 "$BENCH" compare "$TMP/dup" "$B" && err_has "two results for bump on basic.trace"
}
check "compare: two results for one cell on one side: exit 2" duplicate_cells

renamed_cell() {
	# one allocator under two names (mm.c copied to another folder): the
	# missing cell says which new one CURRENT has on its trace
	mkdir -p "$TMP/rn/b" "$TMP/rn/c" &&
	jq '.allocator.name = "v1-mm" | .allocator.kind = "student"' "$B/bump/basic.trace.json" \
		> "$TMP/rn/b/basic.trace.json" &&
	jq '.allocator.name = "v2-mm" | .allocator.kind = "student"' "$B/bump/basic.trace.json" \
		> "$TMP/rn/c/basic.trace.json" &&
	expect_exit 1 "$BENCH" compare "$TMP/rn/b" "$TMP/rn/c" && out_has "missing in CURRENT" &&
	out_has "CURRENT has v2-mm on this trace: cells match by allocator name" &&
	expect_exit 1 "$BENCH" compare "$B/bump" "$B/tlsf" && out_has "missing in CURRENT" &&
	! grep -q "CURRENT has" "$OUT"
}
check "compare: a cell renamed in CURRENT: the missing row names the new one" renamed_cell

# ---- the CI template for users' allocators (docs/ci/github-allocator.yml) ----

template_options() {
	y=docs/ci/github-allocator.yml
	"$BENCH" --help > "$TMP/help" 2>&1 && "$BENCH" compare --help > "$TMP/chelp" 2>&1 &&
	for o in $(grep -E '\./bench --|^ +--[a-z]|ALLOC_OPTS: ' "$y" | grep -o -- '--[a-z-]*' | sort -u); do
		if [ "$o" = --count ] && ! grep -q -e '--count' "$TMP/help"; then
			echo "    (bench has no --count yet: not checked)"; continue
		fi
		grep -q -e "$o" "$TMP/help" || { echo "    bench lacks $o"; return 1; }
	done &&
	for o in $(grep 'bench compare' "$y" | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -e "$o" "$TMP/chelp" || { echo "    bench compare lacks $o"; return 1; }
	done &&
	for t in $(grep -o 'workloads/[a-z-]*\.trace' "$y" | sort -u); do
		[ -f "$t" ] || { echo "    missing $t"; return 1; }
	done
}
check "docs/ci/github-allocator.yml: every bench option and trace it names exists" \
	template_options

template_pipeline() {
	# the template's runs, on heaplab's own example mm.c: exact counts, so a
	# second run of the same code compares equal by instructions
	command -v valgrind > /dev/null 2>&1 || { echo "    (no valgrind: not run)"; return 0; }
	for side in stored current; do
		"$BENCH" --alloc examples/mm.c --align 8 --trace workloads/binary.trace --runs 5 \
			--count --quiet --out "$TMP/tp.$side" > /dev/null 2>&1 || return 1
	done &&
	expect_exit 0 "$BENCH" compare --format markdown "$TMP/tp.stored" "$TMP/tp.current" &&
	out_has "| ✅ | examples-mm | binary.trace | ok | instr | +0.00% | exact |" &&
	out_has "Throughput judged by instructions in 1 cells" &&
	out_has "run-to-run noise: not needed (no cell judged by time)"
}
if ldd "$BENCH" 2>/dev/null | grep -q libasan; then
	echo "skip the template's pipeline: --count under a sanitizer build"
else
	check "docs/ci/github-allocator.yml's pipeline: an mm.c counted twice compares equal" \
		template_pipeline
fi

# step_script NAME: the shell of the template's step NAME (its "run: |" block)
step_script() {
	awk -v name="$1" '
		$0 ~ "- name: " name "$" { want = 1; next }
		want && /run: \|/ { want = 0; inrun = 1; ind = -1; next }
		inrun {
			if ($0 ~ /^ *$/) { print ""; next }
			match($0, /^ */)
			if (ind < 0) ind = RLENGTH
			if (RLENGTH < ind) exit
			print substr($0, ind + 1)
		}' docs/ci/github-allocator.yml
}

template_paired() {
	# the paired job's two steps as the runner runs them, on one mm.c in a
	# folder (src/mm.c) in both checkouts: the base side needs a name of its
	# own, results name a file by its real path (the workspace here is a
	# symbolic link), and the comparison of the same code passes
	w=$TMP/gw top=$PWD
	mkdir -p "$w/mine/src" "$w/base/src" "$w/heaplab" &&
	cp examples/mm.c "$w/mine/src/" && cp examples/mm.c "$w/base/src/" &&
	ln -s "$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")" "$w/heaplab/bench" &&
	: > "$w/env" && : > "$w/summary" && : > "$w/output" &&
	step_script "Run both in one interleaved suite" > "$w/run.sh" &&
	step_script "Compare round by round" > "$w/compare.sh" &&
	[ -s "$w/run.sh" ] && [ -s "$w/compare.sh" ] &&
	ln -s gw "$TMP/gwlink" &&
	(cd "$w" && export GITHUB_WORKSPACE="$TMP/gwlink" GITHUB_ENV="$w/env" \
		GITHUB_STEP_SUMMARY="$w/summary" GITHUB_OUTPUT="$w/output" ALLOC=./src/mm.c ALLOC_OPTS="--align 8" \
		TRACES="$top/workloads/basic.trace" && sh -e run.sh > run.out 2>&1 &&
	 set -a && . "$w/env" && set +a && sh -e compare.sh > compare.out 2>&1) ||
		{ sed 's/^/    /' "$w/run.out" "$w/compare.out" 2>/dev/null | head -5; return 1; }
	# the comment's body, as markdown, in the summary too; the exit code for
	# the steps after
	[ "$(head -1 "$w/paired-body.md")" = "<!-- heaplab-paired -->" ] &&
	grep -qF "src-mm vs base-side-mm, paired rounds" "$w/summary" &&
	grep -qF "| | trace | change [CI] | p | verdict | note |" "$w/summary" &&
	grep -q "^| ✅ | basic.trace | .* | ok | " "$w/summary" &&
	grep -qF "**✅ No regression** in 1 cells (1 judged)" "$w/summary" &&
	grep -qx "code=0" "$w/output"
}
if ldd "$BENCH" 2>/dev/null | grep -q libasan; then
	echo "skip the template's paired job: 300 passes under a sanitizer build"
else
	check "docs/ci/github-allocator.yml's paired job: one mm.c in a folder on both sides" \
		template_paired
fi

# ---- report ----

report_rows() {
	expect_exit 0 "$BENCH" report "$B" &&
	[ "$(wc -l < "$OUT")" -eq 5 ] && head -1 "$OUT" | grep -q '^allocator	kind	trace	status' &&
	grep -q '^bump	builtin	basic.trace	ok	' "$OUT"
}
check "report on a folder: a header and one row per cell" report_rows

report_fields_csv() {
	expect_exit 0 "$BENCH" report --format csv --fields trace,allocator,peak_break_bytes \
		"$B/tlsf/basic.trace.json" &&
	[ "$(sed -n 2p "$OUT")" = "basic.trace,tlsf,$(jq .memory.peak_break_bytes "$B/tlsf/basic.trace.json")" ]
}
check "report --format csv --fields: the chosen columns in order" report_fields_csv

report_markdown() {
	expect_exit 0 "$BENCH" report --format markdown "$B" && out_has "| allocator |" &&
	out_has "|---|"
}
check "report --format markdown: a table" report_markdown

report_latency_columns() {
	expect_exit 0 "$BENCH" report "$TMP/lat.json" && out_has "latency_p999" &&
	expect_exit 0 "$BENCH" report "$B" && ! grep -q latency "$OUT"
}
check "report: latency columns only when a result has latency" report_latency_columns

report_skips_summary() {
	mkdir -p "$TMP/sk/x" && cp "$B/tlsf/basic.trace.json" "$TMP/sk/x/" &&
	echo '{"anything": [1, 2]}' > "$TMP/sk/summary.json" &&
	echo '{"schema": "other-tool"}' > "$TMP/sk/x/meta.json" &&
	expect_exit 0 "$BENCH" report "$TMP/sk" && [ "$(wc -l < "$OUT")" -eq 2 ]
}
check "report: summary.json and other tools' JSON in a folder are skipped" report_skips_summary

report_not_result() {
	echo '{"hello": "world"}' > "$TMP/other.json" &&
	expect_exit 2 "$BENCH" report "$TMP/other.json" &&
	err_has "bench: $TMP/other.json: not a heaplab result" && [ ! -s "$OUT" ]
}
check "report on a JSON that is not a result: exit 2 naming the file" report_not_result

report_bad_json_line() {
	printf '{\n  "schema": "heaplab-result",\n  oops\n}\n' > "$TMP/broken.json" &&
	expect_exit 2 "$BENCH" report "$TMP/broken.json" &&
	err_has "bench: $TMP/broken.json:3: not a heaplab result (bad JSON"
}
check "report on broken JSON: exit 2 with FILE:LINE" report_bad_json_line

report_bad_type_in_folder() {
	mkdir -p "$TMP/bt" &&
	jq '.memory.utilization = "high"' "$B/tlsf/basic.trace.json" > "$TMP/bt/r.json" &&
	expect_exit 2 "$BENCH" report "$TMP/bt" && err_has "$TMP/bt/r.json: not a heaplab result" &&
	err_has "memory.utilization: expected a number, found a string"
}
check "report: a result with a wrongly typed field in a folder: exit 2" report_bad_type_in_folder

report_timeline() {
	expect_exit 0 "$BENCH" report --timeline "$TMP/bump-web.json" &&
	[ "$(head -1 "$OUT")" = "allocator	trace	op	break_bytes	live_bytes" ] &&
	[ "$(wc -l < "$OUT")" -eq 257 ]
}
check "report --timeline: one row per timeline point" report_timeline

# ---- latency and timeline fields ----

latency_ordered() {
	jq -e '.latency.timer_overhead_ns >= 0 and (.latency.method | length > 0) and
		([.latency.malloc, .latency.calloc, .latency.realloc, .latency.memalign,
		  .latency.free, .latency.all] | all(.p50 <= .p90 and .p90 <= .p99 and
		  .p99 <= .p999 and .p999 <= .max)) and
		.latency.all.count == .trace.ops and
		.latency.malloc.count == .trace.op_counts.malloc' "$TMP/lat.json" > /dev/null
}
check "--latency: percentiles per kind present and ordered, counts match the trace" latency_ordered

latency_null() { [ "$(jq .latency "$TMP/bump-web.json")" = null ]; }
check "without --latency the latency field is null" latency_null

timeline_points() {
	jq -e '.timeline.points == 256 and (.timeline.op | length) == 256 and
		(.timeline.break_bytes | length) == 256 and (.timeline.live_bytes | length) == 256 and
		.timeline.op[255] == .trace.ops' "$TMP/bump-web.json" > /dev/null &&
	jq -e '.timeline.points == .trace.ops' "$B/bump/basic.trace.json" > /dev/null
}
check "timeline: 256 points ending at the last op (as many as ops for a short trace)" timeline_points

timeline_bump_monotonic() {
	jq -e '.timeline.break_bytes as $b | [range(1; $b | length) | $b[.] >= $b[. - 1]] | all' \
		"$TMP/bump-web.json" > /dev/null &&
	jq -e '.timeline.break_bytes[-1] <= .memory.peak_break_bytes and
		(.timeline.live_bytes | max) <= .memory.peak_live_bytes' "$TMP/bump-web.json" > /dev/null
}
check "timeline: bump's break never goes down, and stays under the peaks" timeline_bump_monotonic

suite_with_peer() {
	expect_exit 0 "$BENCH" --alloc tlsf,glibc --trace workloads/basic.trace --runs 1 \
		--latency -q --out "$TMP/suite" &&
	expect_exit 0 "$BENCH" report --fields allocator,kind,peak_break_bytes,peak_rss_bytes \
		"$TMP/suite" &&
	[ "$(wc -l < "$OUT")" -eq 3 ] && grep -q '^glibc	peer		[0-9]' "$OUT" &&
	expect_exit 0 "$BENCH" compare "$TMP/suite" "$TMP/suite" && grep -q '^ok *glibc.*RSS' "$OUT" &&
	jq -e '.latency.all.count == .trace.ops and .timeline.break_bytes == null and
		(.timeline.live_bytes | length) == .timeline.points' \
		"$TMP/suite/glibc/basic.json" > /dev/null
}
# A sanitizer build refuses peers (its malloc is not glibc's): skip, uncounted.
if ldd "$BENCH" 2>/dev/null | grep -q libasan || nm "$BENCH" 2>/dev/null | grep -q __asan_init; then
	echo "skip suite folder with a peer: a sanitizer build cannot run peers"
else
	check "suite folder with a peer: report skips summary.json, peer has RSS, latency, no break" \
		suite_with_peer
fi

# ---- plot.sh ----

plot_files() {
	cp "$TMP/lat.json" "$B/tlsf/web.trace.json" &&
	expect_exit 0 sh plot.sh -o "$TMP/charts" "$B" && out_has "charts in $TMP/charts" &&
	for c in throughput memory fragmentation footprint latency; do
		for e in png svg; do
			[ -s "$TMP/charts/$c.$e" ] || { echo "    missing $c.$e"; return 1; }
		done
	done &&
	[ "$(head -c 4 "$TMP/charts/memory.png" | tail -c 3)" = PNG ] &&
	grep -q '<svg' "$TMP/charts/throughput.svg"
}
check "plot.sh: every chart as non-empty PNG and SVG" plot_files

plot_bad_file() {
	echo '{"x": 1}' > "$TMP/notresult.json" &&
	expect_exit 2 sh plot.sh -o "$TMP/charts2" "$TMP/notresult.json" &&
	err_has "$TMP/notresult.json: not a heaplab result" && err_has "plot.sh: cannot read" &&
	[ ! -e "$TMP/charts2" ]
}
check "plot.sh on a file that is not a result: exit 2 naming it, no charts" plot_bad_file

plot_no_gnuplot() {
	mkdir -p "$TMP/bin" &&
	for tool in sh dirname mkdir date awk sed cat wc rm grep head; do
		ln -sf "$(command -v $tool)" "$TMP/bin/$tool"
	done &&
	PATH=$TMP/bin expect_exit 3 sh plot.sh -o "$TMP/charts3" "$B" &&
	err_has "gnuplot is not installed"
}
check "plot.sh without gnuplot: exit 3 saying so" plot_no_gnuplot

plot_unknown_trace() {
	expect_exit 2 sh plot.sh -o "$TMP/charts4" -t nope.trace "$B" && err_has "nope.trace"
}
check "plot.sh -t with a trace not in the results: exit 2" plot_unknown_trace

# ---- hostile result folders ----

# A FIFO named *.json in a results folder is skipped (reading it would block).
report_skips_fifo() {
	mkdir -p "$TMP/fifo" && cp "$B/tlsf/basic.trace.json" "$TMP/fifo/" &&
	mkfifo "$TMP/fifo/trap.json" &&
	expect_exit 0 timeout 10 "$BENCH" report "$TMP/fifo" && [ "$(wc -l < "$OUT")" -eq 2 ] &&
	expect_exit 0 timeout 10 "$BENCH" compare "$TMP/fifo" "$TMP/fifo"
}
check "report and compare skip a FIFO named *.json instead of hanging" report_skips_fifo

# Names with terminal escape sequences are printed escaped, never raw.
no_raw_controls() {   # $OUT and $ERR hold no ESC, BEL or CSI byte
	! LC_ALL=C grep -q "$(printf '[\033\007\233]')" "$OUT" "$ERR" ||
		{ echo "    raw control bytes printed"; return 1; }
}
report_escapes() {
	mkdir -p "$TMP/esc/a" "$TMP/esc/b" &&
	jq '.allocator.name = "evil\u001b]0;pwned\u0007" | .trace.path = "w/\u001b[2Jx.trace"' \
		"$B/tlsf/basic.trace.json" > "$TMP/esc/a/r.json" &&
	jq '.memory.peak_break_bytes += 1' "$TMP/esc/a/r.json" > "$TMP/esc/b/r.json" &&
	expect_exit 0 "$BENCH" report "$TMP/esc/a" && no_raw_controls &&
	out_has 'evil\x1b]0;pwned\x07' && out_has '\x1b[2Jx.trace' &&
	expect_exit 0 "$BENCH" report --format markdown "$TMP/esc/a" && no_raw_controls &&
	expect_exit 1 "$BENCH" compare "$TMP/esc/a" "$TMP/esc/b" && no_raw_controls &&
	out_has 'evil\x1b]0;pw'   # compare cuts long names; what it shows is escaped
}
check "report and compare print names with escape sequences escaped" report_escapes

report_refuses_bad_fields() {
	mkdir -p "$TMP/badst" &&
	jq '.status = "fantastic"' "$B/tlsf/basic.trace.json" > "$TMP/badst/r.json" &&
	expect_exit 2 "$BENCH" report "$TMP/badst" &&
	err_has 'status: "fantastic" is not one of ok, check-failed' &&
	jq '.status = "ok" | .throughput.samples_ns_per_op[0] = "fast"' \
		"$B/tlsf/basic.trace.json" > "$TMP/badst/r.json" &&
	expect_exit 2 "$BENCH" report "$TMP/badst" &&
	err_has 'throughput.samples_ns_per_op[0]: expected a number >= 0, found a string'
}
check "report refuses an unknown status and a non-numeric sample (exit 2)" report_refuses_bad_fields

suite_escapes() {
	evil=$TMP/esc/$(printf 'x\033[31my').trace
	cp workloads/basic.trace "$evil" &&
	expect_exit 0 "$BENCH" --alloc tlsf,bump --trace "$evil" --runs 1 --out "$TMP/esc/s" &&
	no_raw_controls && out_has 'x\x1b[31my.trace'
}
check "a suite prints a trace name with an escape sequence escaped" suite_escapes

finish
