#!/bin/sh
# tests/cli/threads.sh - threads end to end: t lines on the command line,
# a recorded multi-threaded program and the mt-* workloads replayed with
# --threads under checks on every allocator, the result's threads fields.
. tests/lib.sh
PROGS=${PROGS:-./build/tests/programs}
BUILTINS=$("$BENCH" --list | grep -v ' peer: ' | awk '{print $1}')
PEERS=$("$BENCH" --list | grep ' peer: ' | grep -v 'not installed' | awk '{print $1}')
# a sanitizer build cannot run peers (its malloc is not glibc's; see peers.sh)
if ldd "$BENCH" 2>/dev/null | grep -q libasan || nm "$BENCH" 2>/dev/null | grep -q __asan_init; then
	PEERS=
	echo "skip peers: a sanitizer build"
fi
ALLOCS="$BUILTINS $PEERS"
CHECKED="--runs 1 --check 5000 --heap-limit 512M"

old_traces_unchanged() {
	expect_exit 0 "$BENCH" info workloads/web.trace || return 1
	if grep -q '^threads' "$OUT"; then echo "    web.trace reports threads"; return 1; fi
	expect_exit 0 "$BENCH" info --json workloads/web.trace || return 1
	out_has '"threads": 1,' || return 1
	expect_exit 0 "$BENCH" --alloc tlsf --trace workloads/web.trace --runs 1 --json -q || return 1
	out_has '"replay": "serial",' && out_has '"threads": 1,' && out_has '"trace_threads": 1,'
}
check threads_old_traces_read_and_replay_as_before old_traces_unchanged

bad_t_line() {
	printf 'a 1 8\nt 70000\nf 1\n' > "$TMP/bad.trace"
	expect_exit 2 "$BENCH" --alloc tlsf --trace "$TMP/bad.trace" --threads || return 1
	err_has "bench: $TMP/bad.trace:2: TID 70000 is too large (TIDs must be below 65536)" || return 1
	printf 'a 1 8\nt\nf 1\n' > "$TMP/bad.trace"
	expect_exit 2 "$BENCH" info "$TMP/bad.trace" || return 1
	err_has "$TMP/bad.trace:2: missing TID"
}
check threads_bad_t_line_is_bad_input_with_file_and_line bad_t_line

# a recorded multi-threaded program replays on threads, every built-in, checked
recorded_program() {
	expect_exit 0 "$BENCH" record -o "$TMP/rec.trace" -- "$PROGS/threads" || return 1
	n=$(grep -c '^t [0-9]*$' "$TMP/rec.trace")
	[ "$n" -ge 4 ] || { echo "    only $n t lines in the recorded trace"; return 1; }
	expect_exit 0 "$BENCH" info --json "$TMP/rec.trace" || return 1
	th=$(sed -n 's/.*"threads": \([0-9]*\).*/\1/p' "$OUT")
	[ "$th" -ge 4 ] || { echo "    $th threads recorded, the program runs 4"; return 1; }
	for a in $BUILTINS; do
		expect_exit 0 "$BENCH" --alloc "$a" --trace "$TMP/rec.trace" --threads $CHECKED \
			--json -q || { echo "    $a"; return 1; }
		out_has '"replay": "threaded",' || return 1
		out_has "\"threads\": $th," || return 1
	done
}
check threads_recorded_program_replays_threaded_on_every_builtin recorded_program

single_program_no_t() {
	expect_exit 0 "$BENCH" record -o "$TMP/one.trace" -- "$PROGS/apis" || return 1
	if grep -q '^t ' "$TMP/one.trace"; then echo "    t line from a one-thread program"; return 1; fi
	tail -1 "$TMP/one.trace" | grep -q '^# end: [0-9]* operations' || return 1
	n=$(grep -c '^[acrmf] ' "$TMP/one.trace")
	tail -1 "$TMP/one.trace" | grep -q "^# end: $n operations" ||
		{ echo "    end count is not the $n op lines"; return 1; }
}
check threads_single_threaded_program_records_no_t_line single_program_no_t

t_lines_not_counted() {
	n=$(grep -c '^[acrmf] ' "$TMP/rec.trace")
	tail -1 "$TMP/rec.trace" | grep -q "^# end: $n operations" ||
		{ echo "    end count is not the $n op lines"; return 1; }
}
check threads_recorded_end_count_leaves_t_lines_out t_lines_not_counted

# every mt-* workload, every allocator, checks on
mt_workloads() {
	for f in workloads/mt-*.trace; do
		for a in $ALLOCS; do
			expect_exit 0 "$BENCH" --alloc "$a" --trace "$f" --threads $CHECKED -q ||
				{ echo "    $a on $f"; return 1; }
		done
	done
}
check threads_mt_workloads_replay_checked_on_every_allocator mt_workloads

result_fields() {
	expect_exit 0 "$BENCH" --alloc segregated --trace workloads/mt-producer-consumer.trace \
		--threads --runs 2 --json || return 1
	for want in '"replay": "threaded",' '"threads": 4,' '"trace_threads": 4,' \
	            '"global_lock": true,' '"wall_seconds_median": ' '"status": "ok"'; do
		out_has "$want" || return 1
	done
	grep -q '"cross_thread_waits": [1-9]' "$OUT" || { echo "    no cross-thread waits"; return 1; }
	err_has "threads      4 OS threads, one per trace thread, allocator behind one global lock"
}
check threads_result_records_threads_and_replay_mode result_fields

peer_fields() {
	[ -n "$PEERS" ] || return 0
	p=$(echo $PEERS | awk '{print $1}')
	expect_exit 0 "$BENCH" --alloc "$p" --trace workloads/mt-cache.trace --threads --runs 1 \
		--json -q || return 1
	out_has '"replay": "threaded",' && out_has '"threads": 4,' && out_has '"global_lock": false,'
}
check threads_peers_replay_threaded_without_the_lock peer_fields

serial_summary() {
	expect_exit 0 "$BENCH" --alloc tlsf --trace workloads/mt-cache.trace --runs 1 || return 1
	out_has "threads      serial replay of a 4-thread trace, in trace order"
}
check threads_serial_replay_of_threaded_trace_says_so serial_summary

# a one-thread trace gives the same memory figures serial and threaded
same_figures() {
	for a in tlsf buddy; do
		"$BENCH" --alloc $a --trace workloads/compiler.trace --runs 1 --json -q |
			grep -E '"(peak|final)_break_bytes"' > "$TMP/serial" || return 1
		"$BENCH" --alloc $a --trace workloads/compiler.trace --runs 1 --threads --json -q |
			grep -E '"(peak|final)_break_bytes"' > "$TMP/threaded" || return 1
		cmp -s "$TMP/serial" "$TMP/threaded" || { echo "    $a differs"; return 1; }
	done
}
check threads_single_threaded_trace_same_figures_with_threads same_figures

gen_options() {
	expect_exit 0 "$BENCH" gen mt-cache --threads 3 --ops 500 -o "$TMP/g.trace" || return 1
	grep -q '^# regenerate: bench gen mt-cache --ops 500 --seed 1 --threads 3 ' "$TMP/g.trace" ||
		{ echo "    regenerate line"; return 1; }
	expect_exit 0 "$BENCH" info --json "$TMP/g.trace" && out_has '"threads": 3,' || return 1
	expect_exit 2 "$BENCH" gen web --threads 2 -o "$TMP/g.trace" || return 1
	err_has "--threads applies to the mt-* profiles only" || return 1
	expect_exit 2 "$BENCH" gen mt-private --threads 0 -o "$TMP/g.trace" || return 1
	expect_exit 2 "$BENCH" gen mt-private --threads 65 -o "$TMP/g.trace"
}
check threads_gen_threads_option gen_options

help_mentions() {
	expect_exit 0 "$BENCH" --help && out_has "--threads"
}
check threads_help_lists_the_option help_mentions

# 2000 short-lived threads: replay blocks waiting threads instead of spinning,
# so this takes about a second (it took minutes when the start line spun and
# starved the thread starting the others).  Behaviour, not speed: --timeout
# is generous; scripts/threads_scaling.sh measures the scaling.
many_threads() {
	awk 'BEGIN { n = 2000; for (k = 0; k < n; k++) { print "t", k
		for (j = 0; j < 4; j++) print "a", k * 4 + j, 16 + 8 * j
		if (k > 0) print "f", (k - 1) * 4 + 3
		for (j = 0; j < 3; j++) print "f", k * 4 + j }
		print "t", n - 1; print "f", (n - 1) * 4 + 3 }' > "$TMP/many.trace"
	expect_exit 0 "$BENCH" --alloc tlsf --threads --trace "$TMP/many.trace" --runs 1 \
		--timeout 90 --json -q &&
	jq -e '.status == "ok" and .threads == 2000 and .check.passed' "$OUT" > /dev/null
}
check threads_two_thousand_short_lived_threads_replay many_threads

# Under --threads a crash or a hang names the op and its trace line, as the
# serial replay does: the thread that took the signal writes its op, and under
# the global lock the op holding it is the one inside the allocator.  Without
# the lock (a library) a hang names the last op begun and says it is not sure.
BENCH_TEST=${BENCH_TEST:-build/bench-test}
threaded_failure_named() {   # ALLOC STATUS WORDS
	"$BENCH" gen mt-private --threads 3 --ops 2000 -o "$TMP/mt3.trace" 2> /dev/null || return 1
	expect_exit 1 "$BENCH_TEST" --alloc "$1" --threads --trace "$TMP/mt3.trace" --runs 1 \
		--timeout 2 --json -q || return 1
	jq -e --arg s "$2" '.status == $s and .failure.pass == "checked" and
		(.failure.op | type) == "number"' "$OUT" > /dev/null || { echo "    $(jq -c .failure "$OUT")"; return 1; }
	op=$(jq .failure.op "$OUT")
	line=$(awk -v op="$op" '/^[acrmf] / { if (n++ == op) { print NR; exit } }' "$TMP/mt3.trace")
	err_has "$3 in the checked pass at op $op ($TMP/mt3.trace:$line: malloc of block " &&
	! grep -q "not known" "$ERR"
}
check threads_crash_names_the_op_and_line \
	threaded_failure_named test-crash crashed "test-crash crashed with SIGSEGV (Segmentation fault)"
check threads_hang_names_the_op_and_line \
	threaded_failure_named test-spin timeout "test-spin timed out after 2 s"
TESTLIB_DIR=${TESTLIB_DIR:-build/tests}
library_hang_unsure() {
	printf 't 0\na 1 100\nt 1\na 3 50\nt 0\nf 1\na 2 777778\nt 1\nf 3\nt 0\nf 2\n' > "$TMP/h.trace"
	expect_exit 1 "$BENCH" --alloc "$TESTLIB_DIR/libtestmalloc-dying.so" --threads \
		--trace "$TMP/h.trace" --runs 1 --timeout 2 -q &&
	err_has "timed out after 2 s in the checked pass at op " &&
	err_has "the last op begun of 2 threads running at once: the op at fault is not known for certain"
}
if [ -z "${HEAPLAB_SANITIZER:-}" ]; then
	check threads_library_hang_says_the_op_is_not_known_for_certain library_hang_unsure
else
	echo "skip a dying preloaded library: a sanitizer build cannot preload a malloc"
fi

finish
