#!/bin/sh
# tests/cli/compare.sh - bench report, bench compare, plot.sh, and the latency
# and timeline fields of a result.
. tests/lib.sh

B=$TMP/base
mkdir -p "$B"
for a in bump tlsf; do
	mkdir -p "$B/$a"
	for t in basic.trace coalesce.trace; do
		"$BENCH" --alloc $a --trace workloads/$t --runs 3 -q --out "$B/$a/$t.json" ||
			echo "setup: $a on $t failed"
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
	grep -q '^FAIL *tlsf *coalesce.trace.*peak break grew' "$OUT"
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

slowdown='.throughput.ops_per_sec |= map_values(. * 0.01)'
slowdown_fails() {
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 1 "$BENCH" compare "$B" "$TMP/cur" &&
	grep -q '^FAIL *bump *basic.trace.*slower' "$OUT"
}
check "compare: a 100x slowdown fails, exit 1" slowdown_fails

slowdown_only_memory() {
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 0 "$BENCH" compare --only-memory "$B" "$TMP/cur"
}
check "compare --only-memory: ignores a slowdown" slowdown_only_memory

within_spread() {
	# best current run == worst baseline run: noise, not a slowdown
	copy_with '.throughput.ops_per_sec.max = .throughput.ops_per_sec.min |
		.throughput.ops_per_sec.median = .throughput.ops_per_sec.min' bump basic.trace &&
	expect_exit 0 "$BENCH" compare --max-slowdown 0% "$B" "$TMP/cur"
}
check "compare: a slowdown within the baseline's spread passes" within_spread

# A slower machine: every cell 3x slower; relative to tlsf nothing changed.
slower_machine() {
	rm -rf "$TMP/slow" && cp -r "$B" "$TMP/slow" &&
	for f in "$TMP"/slow/*/*.json; do
		jq '.throughput.ops_per_sec |= map_values(. / 3)' "$f" > "$f.x" && mv "$f.x" "$f"
	done &&
	expect_exit 1 "$BENCH" compare "$B" "$TMP/slow" &&
	expect_exit 0 "$BENCH" compare --reference tlsf "$B" "$TMP/slow" && out_has "(reference)"
}
check "compare --reference: a uniformly slower machine is no regression" slower_machine

reference_catches() {
	copy_with "$slowdown" bump basic.trace &&
	expect_exit 1 "$BENCH" compare --reference tlsf "$B" "$TMP/cur" && out_has "x ref"
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
	out_has "| | allocator | trace | status | throughput | memory (peak) | note |" &&
	out_has "|---|" && out_has "| ✅ | bump | basic.trace |" &&
	out_has "| ❌ | tlsf | coalesce.trace |" && out_has "**❌ Regression: 1 of 4 cells failed**"
}
check "compare --format markdown: a table with a mark per cell and a verdict" markdown

usage_errors() {
	expect_exit 2 "$BENCH" compare "$B" && err_has "expected BASELINE and CURRENT" &&
	expect_exit 2 "$BENCH" compare --max-slowdown ten "$B" "$B" && err_has "--max-slowdown" &&
	expect_exit 2 "$BENCH" compare --max-slowdown -5% "$B" "$B" &&
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
	expect_exit 0 "$BENCH" report --format markdown "$B" && out_has "| allocator | kind |" &&
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
	out_has 'evil\x1b]0;pwned\x07'
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
	err_has 'throughput.samples_ns_per_op[0]: expected a number, found a string'
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
