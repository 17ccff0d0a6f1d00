#!/bin/sh
# tests/cli/record.sh - bench record: real programs (tests/programs/) recorded
# into traces that bench itself accepts, with the program's behaviour unchanged.
. tests/lib.sh
PROGS=${PROGS:-./build/tests/programs}

# the trace parses (bench info uses the same reader as a benchmark run) and
# replays with every block checked
valid_trace() {
	"$BENCH" info "$1" > "$TMP/info" 2> "$ERR" || { echo "    bench info rejects $1"; return 1; }
	"$BENCH" --alloc bump --trace "$1" -q > /dev/null 2> "$ERR" ||
		{ echo "    replay of $1 failed"; return 1; }
}

# count of operation lines "KIND ID ... SIZE" with a given final field
count_ops() { grep -c "^$1 [0-9]* $2\$" "$3"; }

threads_recorded() {
	"$PROGS/threads" > "$TMP/plain.out" || return 1
	expect_exit 0 "$BENCH" record -o "$TMP/t.trace" -- "$PROGS/threads" || return 1
	cmp -s "$OUT" "$TMP/plain.out" || { echo "    stdout changed under record"; return 1; }
	valid_trace "$TMP/t.trace" || return 1
	# every allocation the program counts is in the trace, exactly once
	allocs=$(sed 's/allocs \([0-9]*\).*/\1/' "$TMP/plain.out")
	reallocs=$(sed 's/.*reallocs \([0-9]*\).*/\1/' "$TMP/plain.out")
	got=$(grep -c '^a [0-9]* 3[0-9][0-9][0-9]$' "$TMP/t.trace")
	[ "$got" -eq "$allocs" ] || { echo "    $got mallocs recorded, program made $allocs"; return 1; }
	got=$(grep -c '^r [0-9]* 3[0-9][0-9][0-9]$' "$TMP/t.trace")
	[ "$got" -eq "$reallocs" ] || { echo "    $got reallocs recorded, program made $reallocs"; return 1; }
	tail -1 "$TMP/t.trace" | grep -q '^# end: .* exited with status 0$' ||
		{ echo "    no closing comment"; return 1; }
}
check record_multithreaded_program_gives_valid_complete_trace threads_recorded

every_api() {
	expect_exit 0 "$BENCH" record -o "$TMP/api.trace" -- "$PROGS/apis" || return 1
	out_has "1 1" || return 1   # both huge allocations failed, as without recording
	valid_trace "$TMP/api.trace" || return 1
	grep -E ' (1111|2222|3333|4444|5555|6666|7680|8888|12288|10100)$' "$TMP/api.trace" |
		sed 's/^\([a-z]\) [0-9]*/\1 X/' > "$TMP/api.got"
	printf '%s\n' 'a X 1111' 'c X 3 2222' 'r X 3333' 'a X 4444' 'm X 64 5555' \
		'm X 128 6666' 'm X 256 7680' 'm X 4096 8888' 'm X 4096 12288' 'a X 10100' \
		> "$TMP/api.want"
	cmp -s "$TMP/api.got" "$TMP/api.want" || { diff "$TMP/api.want" "$TMP/api.got"; return 1; }
	# realloc keeps the ID; realloc(p, 0) is written as the free of p
	id=$(sed -n 's/^a \([0-9]*\) 1111$/\1/p' "$TMP/api.trace")
	grep -q "^r $id 3333\$" "$TMP/api.trace" || { echo "    realloc changed the ID"; return 1; }
	id=$(sed -n 's/^a \([0-9]*\) 4444$/\1/p' "$TMP/api.trace")
	grep -A1 "^a $id 4444\$" "$TMP/api.trace" | grep -q "^f $id\$" ||
		{ echo "    realloc(p, 0) not written as a free"; return 1; }
	# a failed allocation is not written (there is no block to name) ...
	! grep -qE '^a [0-9]+ [0-9]{16,}$' "$TMP/api.trace" ||
		{ echo "    failed allocation written"; return 1; }
	# ... except a calloc whose size overflows: the replay asks it of every allocator
	[ "$(grep -cE '^c [0-9]+ 9223372036854775807 4$' "$TMP/api.trace")" -eq 1 ] ||
		{ echo "    the overflowing calloc is not in the trace once"; return 1; }
	"$BENCH" --alloc tlsf --trace "$TMP/api.trace" --runs 1 --json -q 2> "$ERR" |
		jq -e '.ops.failed_allocations == 1' > /dev/null ||
		{ echo "    its replay does not count one failed allocation"; return 1; }
}
check record_writes_every_allocation_function_as_specified every_api

threads_repeatedly() {
	for i in 1 2 3; do
		"$BENCH" record -o "$TMP/t$i.trace" -- "$PROGS/threads" > /dev/null 2>&1 || return 1
		valid_trace "$TMP/t$i.trace" || return 1
	done
}
check record_cross_thread_frees_are_ordered_in_every_run threads_repeatedly

crash_segv() {
	expect_exit 0 "$BENCH" record -o "$TMP/c.trace" -- "$PROGS/crasher" 1000 segv || return 1
	out_has "allocated 1000" || return 1
	err_has "killed by signal 11" || return 1
	valid_trace "$TMP/c.trace" || return 1
	[ "$(count_ops a 4242 "$TMP/c.trace")" -eq 1000 ] || { echo "    mallocs lost"; return 1; }
	tail -1 "$TMP/c.trace" | grep -q 'killed by signal 11'
}
check record_crashing_program_leaves_valid_trace crash_segv

crash_exit() {
	expect_exit 0 "$BENCH" record -o "$TMP/e.trace" -- "$PROGS/crasher" 300 exit || return 1
	err_has "exited with status 7" || return 1
	valid_trace "$TMP/e.trace" || return 1
	[ "$(count_ops a 4242 "$TMP/e.trace")" -eq 300 ] || { echo "    mallocs lost"; return 1; }
	tail -1 "$TMP/e.trace" | grep -q 'exited with status 7'
}
check record_program_calling__exit_leaves_valid_trace crash_exit

# more than one 16 MiB window of the file: lines that straddle two mappings
big_trace() {
	expect_exit 0 "$BENCH" record -o "$TMP/big.trace" -- "$PROGS/crasher" 2000000 normal 24 || return 1
	[ "$(wc -c < "$TMP/big.trace")" -gt 16777216 ] || { echo "    trace too small"; return 1; }
	"$BENCH" info "$TMP/big.trace" > "$TMP/info" 2> "$ERR" || return 1
	grep -q '^operations   3000001:' "$TMP/info" || { head -4 "$TMP/info"; return 1; }
	rm -f "$TMP/big.trace"
}
check record_trace_larger_than_one_mapping_window big_trace

max_ops() {
	expect_exit 0 "$BENCH" record -o "$TMP/m.trace" --max-ops 100 -- "$PROGS/crasher" 500 || return 1
	out_has "allocated 500" || return 1   # the program ran to its end
	[ "$(grep -vc '^#' "$TMP/m.trace")" -eq 100 ] || { echo "    not capped at 100"; return 1; }
	valid_trace "$TMP/m.trace"
}
check record_max_ops_caps_the_trace_not_the_program max_ops

fork_default() {
	rm -f "$TMP"/f.trace*
	expect_exit 0 "$BENCH" record -o "$TMP/f.trace" -- "$PROGS/forker" fork || return 1
	out_has "child status 0" || return 1
	valid_trace "$TMP/f.trace" || return 1
	[ "$(count_ops a 3131 "$TMP/f.trace")" -eq 30 ] || { echo "    parent's mallocs"; return 1; }
	[ "$(count_ops a 5151 "$TMP/f.trace")" -eq 0 ] || { echo "    child recorded"; return 1; }
	[ "$(ls "$TMP" | grep -c '^f\.trace\.')" -eq 0 ] || { echo "    side file written"; return 1; }
}
check record_forked_child_is_not_recorded_by_default fork_default

fork_follow() {
	rm -f "$TMP"/f.trace*
	expect_exit 0 "$BENCH" record -o "$TMP/f.trace" --follow-fork -- "$PROGS/forker" fork ||
		return 1
	valid_trace "$TMP/f.trace" || return 1
	[ "$(count_ops a 3131 "$TMP/f.trace")" -eq 30 ] || { echo "    parent's trace"; return 1; }
	[ "$(count_ops a 5151 "$TMP/f.trace")" -eq 0 ] || { echo "    child in parent's"; return 1; }
	side=$(ls "$TMP"/f.trace.* 2>/dev/null)
	[ "$(echo "$side" | wc -w)" -eq 1 ] || { echo "    expected one side file: $side"; return 1; }
	valid_trace "$side" || return 1
	# the child's frees of blocks it inherited are not in its trace
	[ "$(count_ops a 5151 "$side")" -eq 50 ] && [ "$(grep -c '^f ' "$side")" -eq 50 ] ||
		{ echo "    child's trace is wrong"; return 1; }
}
check record_follow_fork_writes_child_trace_beside fork_follow

exec_default() {
	rm -f "$TMP"/x.trace*
	expect_exit 0 "$BENCH" record -o "$TMP/x.trace" -- "$PROGS/forker" exec || return 1
	out_has "child preload: no" || return 1
	valid_trace "$TMP/x.trace" || return 1
	[ "$(count_ops a 5151 "$TMP/x.trace")" -eq 0 ] || { echo "    exec'd child recorded"; return 1; }
	[ "$(ls "$TMP" | grep -c '^x\.trace\.')" -eq 0 ]
}
check record_execd_program_is_not_recorded_by_default exec_default

exec_follow() {
	rm -f "$TMP"/x.trace*
	expect_exit 0 "$BENCH" record -o "$TMP/x.trace" --follow-exec -- "$PROGS/forker" exec ||
		return 1
	out_has "child preload: yes" || return 1
	side=$(ls "$TMP"/x.trace.* 2>/dev/null)
	[ -n "$side" ] && valid_trace "$side" && [ "$(count_ops a 5151 "$side")" -eq 50 ]
}
check record_follow_exec_records_execd_program_beside exec_follow

exit_status_kept() {
	expect_exit 0 "$BENCH" record -o "$TMP/s.trace" -- sh -c 'echo hi; exit 5' || return 1
	out_has hi && err_has "exited with status 5" &&
		tail -1 "$TMP/s.trace" | grep -q 'exited with status 5'
}
check record_reports_program_status_and_exits_0 exit_status_kept

term_forwarded() {
	"$BENCH" record -o "$TMP/k.trace" -- sleep 10 > "$OUT" 2> "$ERR" &
	pid=$!
	# wait until sleep runs (its first malloc is in the file), so bench is waiting
	n=0
	until grep -qa '^a ' "$TMP/k.trace" 2>/dev/null || [ $n -ge 100 ]; do
		sleep 0.05; n=$((n + 1))
	done
	sleep 0.05
	kill -TERM $pid
	wait $pid || return 1
	err_has "killed by signal 15" && valid_trace "$TMP/k.trace"
}
check record_passes_sigterm_on_and_still_finishes_trace term_forwarded

bad_usage() {
	expect_exit 2 "$BENCH" record -- true || return 1
	err_has "give -o FILE" || return 1
	expect_exit 2 "$BENCH" record -o "$TMP/u.trace" || return 1
	err_has "no command" || return 1
	expect_exit 2 "$BENCH" record -o "$TMP/u.trace" --max-ops x -- true || return 1
	expect_exit 2 "$BENCH" record -o - -- true && err_has "needs a file" || return 1
	expect_exit 3 "$BENCH" record -o /dev/null -- true && err_has "not a regular file" || return 1
	expect_exit 2 "$BENCH" record --bogus -o "$TMP/u.trace" -- true || return 1
	expect_exit 3 "$BENCH" record -o "$TMP/u.trace" -- /nonexistent/program || return 1
	err_has "cannot run /nonexistent/program"
}
check record_rejects_bad_usage bad_usage

missing_lib() {
	HEAPLAB_RECORD_LIB=/nonexistent/lib.so expect_exit 3 "$BENCH" record -o "$TMP/l.trace" \
		-- true && err_has "HEAPLAB_RECORD_LIB"
}
check record_reports_missing_library missing_lib

# SIGKILL to bench record: the recorded program dies with it (it would go on
# writing the trace forever), and the trace, cut short in the zero bytes the
# recorder had preallocated, still reads up to its last complete line (with a
# warning) and replays.
alive() {   # $1 runs and is not a zombie
	[ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}
killed_recording() {
	"$BENCH" record -o "$TMP/killed.trace" -- \
		awk 'BEGIN { while (1) { s = s "x"; if (length(s) > 1000) s = "" } }' 2> "$ERR" &
	bp=$!
	child= i=0
	while [ $i -lt 100 ]; do
		child=$(cat "/proc/$bp/task/$bp/children" 2>/dev/null)
		[ -n "$child" ] && [ "$(wc -c < "$TMP/killed.trace")" -gt 100000 ] && break
		sleep 0.05; i=$((i + 1))
	done
	[ -n "$child" ] || { echo "    no recorded program found"; kill -9 $bp; return 1; }
	kill -9 $bp
	wait $bp 2> /dev/null
	i=0
	while alive $child && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	alive $child && { echo "    the recorded program $child outlived bench"; kill -9 $child; return 1; }
	[ "$(tail -c 1 "$TMP/killed.trace" | od -An -tx1 | tr -d ' ')" = 00 ] ||
		echo "    (the trace was not cut short this time: nothing to read past)"
	expect_exit 0 "$BENCH" --alloc tlsf --trace "$TMP/killed.trace" --runs 1 -q || return 1
	if [ "$(tail -c 1 "$TMP/killed.trace" | od -An -tx1 | tr -d ' ')" = 00 ]; then
		err_has "zero bytes after the last complete line: a recording cut short) are ignored" ||
			return 1
	fi
	rm -f "$TMP/killed.trace"
}
check "SIGKILL to bench record kills the program; the cut trace replays" killed_recording

record_option_forms() {
	expect_exit 2 "$BENCH" record --max-ops=0 -o "$TMP/m.trace" -- true &&
	err_has "--max-ops 0: expected a whole number above 0" || return 1
	expect_exit 2 "$BENCH" record -o "$TMP/m.trace" --max-ops && err_has "--max-ops needs a value" || return 1
	expect_exit 0 "$BENCH" record --output="$TMP/m.trace" --max-ops=5 -- true &&
	grep -q '^# regenerate: bench record -o .* --max-ops 5 -- true' "$TMP/m.trace"
}
check record_takes_NAME_eq_VALUE_and_says_which_option_needs_a_value record_option_forms

finish
