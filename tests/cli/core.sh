#!/bin/sh
# tests/cli/core.sh - the benchmark mode's command line: help, version, list,
# usage errors, the JSON result and where it may (not) be written.
. tests/lib.sh

TR=$TMP/small.trace
printf 'a 0 24\na 1 100\nf 0\nc 2 4 10\nr 1 300\nm 3 64 40\nf 1\nf 2\n' > "$TR"
printf 'a 0 24\nf 0\nzz 1 2\n' > "$TMP/bad.trace"

help_goes_to_stdout() {
	expect_exit 0 "$BENCH" --help && out_has "--alloc NAME" && out_has "--heap-limit" &&
	out_has "exit status" && out_has "bad command line or bad input" && [ ! -s "$ERR" ]
}
check "--help prints usage and exit codes to stdout, exit 0" help_goes_to_stdout

version() { expect_exit 0 "$BENCH" --version && out_has "heaplab 0.1.0"; }
check "--version prints the version" version

list_names_bump() { expect_exit 0 "$BENCH" --list && grep -q '^bump ' "$OUT"; }
check "--list names bump" list_names_bump

unknown_alloc() {
	expect_exit 2 "$BENCH" --alloc xyz --trace "$TR" &&
	err_has "bench: unknown allocator 'xyz' (try --list)"
}
check "unknown allocator: exit 2" unknown_alloc

runs_zero() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --runs 0 && err_has "bench: --runs: must be at least 1"; }
check "--runs 0: exit 2" runs_zero

runs_abc() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --runs abc && err_has "bench: --runs: 'abc' is not a whole number"; }
check "--runs abc: exit 2" runs_abc

runs_trailing() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --runs 3x && err_has "bench: --runs: '3x'"; }
check "--runs 3x: exit 2" runs_trailing

runs_huge() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --runs 99999999999999999999999 && err_has "is too large"; }
check "--runs overflowing 64 bits: exit 2" runs_huge

limit_negative() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --heap-limit -1 && err_has "bench: --heap-limit: '-1' is not a whole number"; }
check "--heap-limit -1: exit 2" limit_negative

limit_empty() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --heap-limit '' && err_has "bench: --heap-limit: '' is not a whole number"; }
check "--heap-limit '': exit 2" limit_empty

limit_suffix() {
	expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --heap-limit 1M --json -q --runs 1 &&
	[ "$(jq .options.heap_limit "$OUT")" = 1048576 ]
}
check "--heap-limit 1M is 1048576 bytes" limit_suffix

check_zero() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --check 0 && err_has "bench: --check: must be at least 1"; }
check "--check 0: exit 2" check_zero

missing_trace() { expect_exit 2 "$BENCH" --alloc bump && err_has "bench: --trace is required"; }
check "missing --trace: exit 2" missing_trace

missing_alloc() { expect_exit 2 "$BENCH" --trace "$TR" && err_has "bench: --alloc is required"; }
check "missing --alloc: exit 2" missing_alloc

unknown_option() { expect_exit 2 "$BENCH" --frobnicate && err_has "bench: unknown option '--frobnicate'"; }
check "unknown option: exit 2" unknown_option

missing_value() { expect_exit 2 "$BENCH" --alloc && err_has "bench: --alloc needs a value"; }
check "option without its value: exit 2" missing_value

unknown_command() { expect_exit 2 "$BENCH" frobnicate && err_has "bench: unknown command 'frobnicate'"; }
check "unknown command: exit 2" unknown_command

missing_file() { expect_exit 2 "$BENCH" --alloc bump --trace "$TMP/nope.trace" && err_has "bench: $TMP/nope.trace"; }
check "missing trace file: exit 2 with its name" missing_file

summary_on_stdout() {
	expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --runs 2 &&
	out_has "allocator    bump" && out_has "throughput" && out_has "Mops/s" &&
	out_has "peak break" && out_has "utilization" && out_has "check        passed" && [ ! -s "$ERR" ]
}
check "without --json the summary goes to stdout" summary_on_stdout

json_fields() {
	expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --runs 3 --json &&
	err_has "allocator    bump" &&
	jq -e '
	  .schema == "heaplab-result" and .schema_version == 1 and
	  .tool.name == "heaplab" and .tool.version == "0.1.0" and
	  (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and
	  (.machine.cpu | type) == "string" and .machine.cores >= 1 and (.machine.os | type) == "string" and
	  .allocator.name == "bump" and .allocator.kind == "builtin" and (.allocator.description | length) > 0 and
	  .trace.format == "native" and (.trace.sha256 | length) == 64 and .trace.ops == 8 and
	  .trace.op_counts == {"malloc":2,"calloc":1,"realloc":1,"memalign":1,"free":3} and
	  .trace.peak_live_bytes == 380 and .trace.peak_live_blocks == 3 and
	  .runs == 3 and (.throughput.samples_ns_per_op | length) == 3 and
	  .throughput.ns_per_op.min <= .throughput.ns_per_op.median and
	  .throughput.ns_per_op.median <= .throughput.ns_per_op.max and
	  .throughput.ops_per_sec.median > 0 and
	  .memory.method == "provider-break" and .memory.peak_break_bytes > 0 and
	  .memory.final_break_bytes == .memory.peak_break_bytes and
	  .memory.peak_live_bytes == 380 and .memory.peak_live_blocks == 3 and
	  (.memory.utilization - 380 / .memory.peak_break_bytes | fabs) < 1e-9 and
	  (.memory.fragmentation + .memory.utilization - 1 | fabs) < 1e-9 and
	  .memory.provider_calls >= .memory.provider_grow_calls and
	  .memory.provider_shrink_calls == 0 and
	  .memory.provider_bytes_requested == .memory.peak_break_bytes and
	  .memory.identical_across_runs == true and
	  .ops.failed_allocations == 0 and .ops.skipped_ops == 0 and
	  .check.passed == true and .check.self_checks == 1 and .check.violations == 0 and
	  .check.message == null and (.allocator_stats | type) == "object" and
	  .status == "ok"' "$OUT" > /dev/null
}
check "--json prints a result with the documented fields" json_fields

quiet_json_only() { expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --runs 1 --json --quiet && [ ! -s "$ERR" ] && jq -e . "$OUT" > /dev/null; }
check "--quiet --json: JSON on stdout, nothing on stderr" quiet_json_only

out_file() {
	expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --runs 1 --out "$TMP/r.json" -q &&
	jq -e '.status == "ok"' "$TMP/r.json" > /dev/null && [ ! -s "$OUT" ] &&
	[ -z "$(ls -A "$TMP" | grep '^\.r\.json')" ]
}
check "--out writes the result file and leaves no temporary file" out_file

out_replaces() {
	echo old > "$TMP/r2.json"
	expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --runs 1 --out "$TMP/r2.json" -q &&
	jq -e '.status == "ok"' "$TMP/r2.json" > /dev/null
}
check "--out replaces an existing result" out_replaces

out_missing_dir() {
	expect_exit 3 "$BENCH" --alloc bump --trace "$TR" --runs 1 --out "$TMP/no/such/dir/r.json" -q &&
	err_has "bench: $TMP/no/such/dir/r.json" && [ ! -e "$TMP/no" ]
}
check "--out in a missing directory: exit 3, no file" out_missing_dir

out_dev_full() {
	[ -w /dev/full ] || return 0
	expect_exit 3 "$BENCH" --alloc bump --trace "$TR" --runs 1 --out /dev/full -q &&
	err_has "bench: /dev/full: No space left on device"
}
check "--out /dev/full: exit 3" out_dev_full

json_dev_full() {
	[ -w /dev/full ] || return 0
	"$BENCH" --alloc bump --trace "$TR" --runs 1 --json -q > /dev/full 2> "$ERR"
	[ $? -eq 3 ] && err_has "bench: standard output"
}
check "--json with stdout on /dev/full: exit 3" json_dev_full

bad_trace_no_file() {
	expect_exit 2 "$BENCH" --alloc bump --trace "$TMP/bad.trace" --out "$TMP/bad.json" &&
	err_has "bench: $TMP/bad.trace:3:" && [ ! -e "$TMP/bad.json" ] &&
	[ -z "$(ls -A "$TMP" | grep '^\.bad\.json')" ]
}
check "a malformed trace: exit 2, no result file" bad_trace_no_file

bad_usage_no_file() {
	expect_exit 2 "$BENCH" --alloc xyz --trace "$TR" --out "$TMP/u.json" && [ ! -e "$TMP/u.json" ]
}
check "bad usage: no result file" bad_usage_no_file

heap_limit_failures() {
	expect_exit 0 "$BENCH" --alloc bump --trace "$TR" --runs 2 --heap-limit 200 --json -q &&
	jq -e '.ops.failed_allocations > 0 and .memory.peak_break_bytes <= 200 and .status == "ok"' "$OUT" > /dev/null
}
check "--heap-limit: failures are counted, the run still passes" heap_limit_failures

limit_too_small() { expect_exit 2 "$BENCH" --alloc bump --trace "$TR" --heap-limit 8 --out "$TMP/s.json" && err_has "cannot start within a heap limit of 8 bytes" && [ ! -e "$TMP/s.json" ]; }
check "--heap-limit below the allocator's state: exit 2" limit_too_small

finish
