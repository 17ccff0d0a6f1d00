#!/bin/sh
# tests/cli/faults.sh - faults in allocators, end to end through the command
# line: every deliberately broken allocator (tests/allocators/broken.c,
# dying.c, faulty.c; reachable from build/bench-test only) is caught, with the
# exit status, the status in the JSON result and a message that names the
# allocator, the op, the trace line and what went wrong.  Then: heap limits
# that make every built-in fail early, midway and late; results that survive
# two suites writing into one folder at once, and a suite interrupted by SIGINT.
. tests/lib.sh
BENCH_TEST=${BENCH_TEST:-build/bench-test}
FT=tests/data/faults.trace

jq_true() {  # jq_true FILE FILTER: the filter yields true
	[ "$(jq -r "$2" "$1" 2>/dev/null)" = true ] || { echo "    $1: not true: $2"; return 1; }
}

# fault ALLOC EXIT STATUS MESSAGE-REGEX [JQ-FILTER]: bench-test on faults.trace
# exits EXIT, writes a result with STATUS whose check.message matches the
# (extended) regex, says the same message on stderr, and the filter holds.
fault() {
	alloc=$1 want=$2 status=$3 re=$4 extra=${5:-true}
	res=$TMP/$alloc.json
	rm -f "$res"
	expect_exit "$want" "$BENCH_TEST" --alloc "$alloc" --trace $FT --runs 2 --timeout 1 \
		--out "$res" -q || return 1
	jq_true "$res" ".status == \"$status\" and .allocator.name == \"$alloc\"
		and .check.passed == false" || return 1
	msg=$(jq -r .check.message "$res")
	echo "$msg" | grep -Eq -- "^$re\$" || { echo "    message: $msg"; echo "    wanted:  $re"; return 1; }
	grep -qF -- "bench: $msg" "$ERR" || { echo "    stderr lacks the message"; return 1; }
	jq_true "$res" "$extra"
}

A='0x[0-9a-f]+'
F='tests/data/faults\.trace'
check "misaligned: exit 1, check-failed at op 0, the address" fault broken-misaligned 1 check-failed \
	"$F:3: op 0 \\(malloc of 256 bytes for block 0\\): broken-misaligned returned $A, not 16-byte aligned \\(the alignment this run demands of every block; --align sets it when an assignment states another\\)" \
	'.ops.replayed == 0 and .runs == 0 and .throughput == null'
check "overlapping: names both blocks and their sizes" fault broken-overlap 1 check-failed \
	"$F:4: op 1 \\(malloc of 248 bytes for block 1\\): broken-overlap returned ($A) \\(248 bytes\\), which overlaps live block 0 at $A \\(256 bytes\\)"
check "a neighbour's payload scribbled on: found at the next check of that block" \
	fault broken-corrupt 1 check-failed \
	"$F:52: op 49 \\(free of block 29\\): before the free: payload of block 29 at $A was changed at byte 0 since op 29 \\(line 32\\) filled it \\(expected 0x09, found 0xf6\\)"
check "a pointer outside the heap: the heap's range" fault broken-outside 1 check-failed \
	"$F:3: op 0 \\(malloc of 256 bytes for block 0\\): broken-outside returned $A, outside its heap \\[$A, $A\\) below the break \\(every block must lie in memory taken from the heap provider: mem_sbrk or sbrk in a student's source\\)"
check "a block running past the break" fault broken-past-break 1 check-failed \
	"$F:3: op 0 \\(malloc of 256 bytes for block 0\\): broken-past-break returned $A, whose 256 bytes run past the break at $A"
check "calloc not zeroed" fault broken-calloc-dirty 1 check-failed \
	"$F:48: op 45 \\(calloc of 4 x 10 bytes for block 30\\): broken-calloc-dirty returned $A whose byte 0 is not zero"
check "realloc not copying" fault broken-realloc-drops 1 check-failed \
	"$F:50: op 47 \\(realloc of block 1 to 500 bytes\\): broken-realloc-drops returned $A but did not keep the block's first 248 bytes: byte 0 differs \\(expected 0x6f, found 0x00\\)"
check "memalign ignoring ALIGN" fault broken-memalign 1 check-failed \
	"$F:49: op 46 \\(memalign of 100 bytes aligned to 4096 for block 31\\): broken-memalign returned $A, not 4096-byte aligned"
check "a failing self-check: its own words" fault broken-selfcheck 1 check-failed \
	"$F: at the end of the trace: broken-selfcheck self-check found 1 violation: broken-selfcheck: free list length is off by one"
check "a non-deterministic allocator" fault broken-nondeterministic 1 check-failed \
	"$F: memory figures of timed pass 1 differ from the checked pass \\(grow_calls\\): the allocator is not deterministic" \
	'.memory.identical_across_runs == false'
check "segfault in malloc: crashed, SIGSEGV, pass and op" fault test-crash 1 crashed \
	"$F: test-crash crashed with SIGSEGV \\(Segmentation fault\\) in the checked pass at op 19 \\($F:22: malloc of block 19\\)" \
	'.failure == {"signal": "SIGSEGV", "pass": "checked", "op": 19} and .ops.replayed == 19'
check "segfault in free" fault test-crash-free 1 crashed \
	"$F: test-crash-free crashed with SIGSEGV \\(Segmentation fault\\) in the checked pass at op 39 \\($F:42: free of block 18\\)" \
	'.failure == {"signal": "SIGSEGV", "pass": "checked", "op": 39}'
check "abort(): crashed, SIGABRT" fault test-abort 1 crashed \
	"$F: test-abort crashed with SIGABRT \\(Aborted\\) in the checked pass at op 19 \\($F:22: malloc of block 19\\)" \
	'.failure == {"signal": "SIGABRT", "pass": "checked", "op": 19}'
check "malloc that never returns (pause): timeout after --timeout" fault test-hang 1 timeout \
	"$F: test-hang timed out after 1 s in the checked pass at op 19 \\($F:22: malloc of block 19\\)" \
	'.failure == {"signal": null, "pass": "checked", "op": 19}'
check "malloc spinning on the CPU: timeout" fault test-spin 1 timeout \
	"$F: test-spin timed out after 1 s in the checked pass at op 19 \\($F:22: malloc of block 19\\)"
check "a self-check that never returns: timeout after the last op" fault test-check-hang 1 timeout \
	"$F: test-check-hang timed out after 1 s in the checked pass, after the last op \\(closing checks\\)" \
	'.ops.replayed == .trace.ops'

null_random() {
	expect_exit 0 "$BENCH_TEST" --alloc test-null-random --trace $FT --runs 3 --check 5 --json -q &&
	jq_true "$OUT" '.status == "ok" and .check.passed and .check.violations == 0
		and .ops.failed_allocations > 0 and .ops.replayed == .trace.ops
		and .memory.identical_across_runs and .runs == 3' &&
	[ ! -s "$ERR" ]
}
check "NULL at random: counted as failed allocations, the run completes, check passes" null_random

realloc0_null() {
	expect_exit 0 "$BENCH_TEST" --alloc test-realloc0-null --trace $FT --runs 1 --json -q &&
	jq_true "$OUT" '.status == "ok" and .ops.failed_allocations == 0 and .ops.skipped_ops == 1'
}
check "realloc(p, 0) returning NULL (glibc) is accepted; the later free is skipped" realloc0_null

# The faults do not leak into a suite: the cells after a crash and a hang run.
suite_goes_on() {
	expect_exit 1 "$BENCH_TEST" --alloc broken-overlap,test-abort,test-spin,tlsf --trace $FT \
		--runs 1 --timeout 1 --out "$TMP/suite" -q &&
	jq_true "$TMP/suite/summary.json" '.complete and
		([.cells[] | .status] == ["check-failed", "crashed", "timeout", "ok"])' &&
	jq_true "$TMP/suite/tlsf/faults.json" '.status == "ok" and .check.passed'
}
check "a suite goes on after a failed check, a crash and a timeout" suite_goes_on

san_refuses_peers() {
	expect_exit 2 "$BENCH" --alloc glibc --trace $FT --out "$TMP/san.json" &&
	err_has "not glibc (a sanitizer build cannot run peers)" &&
	[ ! -e "$TMP/san.json" ]
}
if [ -n "${HEAPLAB_SANITIZER:-}" ]; then
	check "a sanitizer build refuses peers cleanly (exit 2, nothing written)" san_refuses_peers
fi

# ---- heap limits: early, midway, late ------------------------------------
# A limit relative to the peak break does not always make an allocator fail:
# several grow in chunks and, refused a chunk, ask for just what they need.
# What must fail is a limit below start-up + the trace's peak live bytes.
# So: START is the break after one 1-byte malloc (the allocator's state and
# first chunk: at least its fixed cost), and the limits are START plus 10%,
# 50% and 90% of the trace's peak live bytes, on a generated trace whose peak
# live (about 16 MiB) dwarfs any start-up chunk.
BUILTINS=$("$BENCH" --list | awk '$2 != "peer:" && $2 != "test:" { print $1 }')
SWEEP=$TMP/sweep.trace
awk 'BEGIN {
	x = 12345
	for (i = 0; i < 3000; i++) {
		x = (x * 1103515245 + 12345) % 2147483648
		print "a", i, 64 + x % 16384
		if (i % 3 == 2) print "f", i - 2
		if (i % 5 == 4 && i % 3 != 0) print "r", i - 1, 32 + x % 20000
		if (i % 7 == 6) print "c", i + 100000, 1 + x % 16, 100
	}
	for (i = 0; i < 3000; i++) if (i % 3 != 0) print "f", i
}' > "$SWEEP"
printf 'a 0 1\n' > "$TMP/one.trace"
SWEEP_LIVE=$("$BENCH" --alloc bump --trace "$SWEEP" --runs 1 --json -q | jq .trace.peak_live_bytes)
start_of() {
	"$BENCH" --alloc "$1" --trace "$TMP/one.trace" --runs 1 --json -q | jq .memory.peak_break_bytes
}

# limited ALLOC TRACE LIMIT: no crash, failures counted, every check passes,
# the break stays under the limit.
limited() {
	expect_exit 0 "$BENCH" --alloc "$1" --trace "$2" --runs 2 --check 50 --heap-limit "$3" \
		--json -q || return 1
	jq_true "$OUT" ".status == \"ok\" and .check.passed and .check.violations == 0
		and .ops.failed_allocations > 0 and .memory.peak_break_bytes <= $3
		and .ops.replayed == .trace.ops and .memory.identical_across_runs"
}
for a in $BUILTINS; do
	start=$(start_of "$a")
	for pct in 10 50 90; do
		lim=$((start + SWEEP_LIVE * pct / 100))
		check "$a under --heap-limit $lim (start-up $start + $pct% of peak live)" \
			limited "$a" "$SWEEP" "$lim"
	done
	lim=$((start + 996215 / 2))
	check "$a on web.trace under --heap-limit $lim (start-up + half its peak live)" \
		limited "$a" workloads/web.trace "$lim"
done

# Fill the heap until allocations fail, free everything, fill again: the
# second fill gets blocks again (bump never reuses memory, so it is left out).
FILL=$TMP/fill.trace REFILL=$TMP/refill.trace
awk 'BEGIN { for (i = 0; i < 1024; i++) print "a", i, 4000 }' > "$FILL"
{ cat "$FILL"; awk 'BEGIN { for (i = 0; i < 1024; i++) print "f", i;
	for (i = 0; i < 1024; i++) print "a", i, 4000 }'; } > "$REFILL"
refill() {
	lim=$(($(start_of "$1") + 1024 * 4000 / 2))
	expect_exit 0 "$BENCH" --alloc "$1" --trace "$FILL" --runs 1 --heap-limit $lim --json -q ||
		return 1
	first=$(jq .ops.failed_allocations "$OUT")
	expect_exit 0 "$BENCH" --alloc "$1" --trace "$REFILL" --runs 1 --heap-limit $lim \
		--json -q || return 1
	jq_true "$OUT" '.status == "ok" and .check.passed' || return 1
	second=$(($(jq .ops.failed_allocations "$OUT") - first))
	# the first fill failed somewhere; the second got at least one block
	[ "$first" -gt 0 ] && [ "$second" -lt 1024 ] ||
		{ echo "    failures: first fill $first, second fill $second of 1024"; return 1; }
}
for a in $BUILTINS; do
	[ "$a" = bump ] && continue
	check "$a: after failures under a heap limit and a free, allocations succeed again" refill "$a"
done

# A calloc whose NMEMB x SIZE overflows: every allocator must return NULL (a
# failed allocation), serial and --threads; one that returns a block fails the
# check naming the op.
OVF=$TMP/overflow.trace
printf 'a 1 8\nc 2 4294967296 4294967296\nc 3 9223372036854775808 2\nf 1\n' > "$OVF"
overflow_fails() {   # ALLOC [--threads]
	expect_exit 0 "$BENCH" --alloc "$1" $2 --trace "$OVF" --runs 2 --json -q || return 1
	jq_true "$OUT" '.status == "ok" and .ops.failed_allocations == 2 and .check.passed' &&
	expect_exit 0 "$BENCH" info --json "$OVF" &&
	jq_true "$OUT" '.requests.calloc_overflows == 2'
}
for a in $BUILTINS; do
	check "$a: a calloc whose size overflows returns NULL (a failed allocation)" \
		overflow_fails "$a"
done
check "tlsf --threads: a calloc whose size overflows is a failed allocation" \
	overflow_fails tlsf --threads
overflow_lie() {   # [--threads]
	expect_exit 1 "$BENCH_TEST" --alloc broken-calloc-overflow $1 --trace "$OVF" --runs 1 \
		--json -q || return 1
	jq_true "$OUT" '.status == "check-failed"' &&
	err_has "$OVF:2: op 1 (calloc of 4294967296 x 4294967296 bytes for block 2): broken-calloc-overflow returned 0x" &&
	err_has "for a calloc whose size overflows size_t (expected NULL)"
}
check "a calloc that ignores overflow is caught from a trace" overflow_lie
check "a calloc that ignores overflow is caught from a trace under --threads" overflow_lie --threads

# Under a tight address-space limit (ulimit -v) runs still work: the heap
# reserves what --heap-limit says (or what is left) without an extra GiB to
# align itself, and the figures are the same as without the limit.  When even
# that is refused, the message says how much was asked and what the limit is.
# (Not under ASan, whose shadow memory needs terabytes of address space.)
tight_ulimit() {
	expect_exit 0 "$BENCH" --alloc "$1" --trace workloads/web.trace --runs 1 $2 --json -q ||
		return 1
	free=$(jq -c '[.memory.peak_break_bytes, .ops]' "$OUT")
	(ulimit -v 400000 && exec "$BENCH" --alloc "$1" --trace workloads/web.trace --runs 1 $2 \
		--json -q) > "$OUT" 2> "$ERR" || { echo "    exit $? under ulimit -v 400000"; return 1; }
	jq_true "$OUT" '.status == "ok"' &&
	[ "$(jq -c '[.memory.peak_break_bytes, .ops]' "$OUT")" = "$free" ] ||
		{ echo "    figures differ: $free vs $(jq -c '[.memory.peak_break_bytes, .ops]' "$OUT")"; return 1; }
}
tight_refused() {
	(ulimit -v 400000 && exec "$BENCH" --alloc tlsf --trace workloads/basic.trace --runs 1 \
		--heap-limit 1G -q) > "$OUT" 2> "$ERR"
	[ $? -eq 3 ] &&
	err_has "cannot reserve 1024 MiB of address space for the heap: Cannot allocate memory (the address space limit, ulimit -v, is 390 MiB in all"
}
if [ -z "${HEAPLAB_SANITIZER:-}" ]; then
	for a in buddy tlsf; do
		check "$a under ulimit -v 400000 with --heap-limit 16M: runs, same figures" \
			tight_ulimit $a "--heap-limit 16M"
		check "$a under ulimit -v 400000 without --heap-limit: runs, same figures" \
			tight_ulimit $a ""
	done
	check "a heap the address-space limit refuses: exit 3, what was asked, the limit" \
		tight_refused
else
	echo "skip ulimit -v tests: the sanitizer runtime needs the address space"
fi

# ---- nothing lost --------------------------------------------------------
# Two suites into one folder at once, sharing one allocator (bump): every
# file is valid JSON, every cell of both is there, no temporary file is left,
# and summary.json is one suite's complete summary whose files all exist.
two_suites() {
	D=$TMP/shared
	W="workloads/basic.trace,workloads/realloc.trace,workloads/coalesce.trace,workloads/short1.rep"
	"$BENCH" --alloc tlsf,buddy,bump --trace "$W" --runs 2 --out "$D" -q 2> "$TMP/a.err" &
	p1=$!
	"$BENCH" --alloc segregated,slab,bump --trace "$W" --runs 2 --out "$D" -q 2> "$TMP/b.err" &
	p2=$!
	wait $p1; c1=$?
	wait $p2; c2=$?
	[ $c1 -eq 0 ] && [ $c2 -eq 0 ] || { echo "    exits $c1 $c2"; cat "$TMP/a.err" "$TMP/b.err"; return 1; }
	for a in tlsf buddy bump segregated slab; do
		for t in basic realloc coalesce short1; do
			jq_true "$D/$a/$t.json" ".status == \"ok\" and .allocator.name == \"$a\"" || return 1
		done
	done
	n=$(find "$D" -type f | wc -l)
	[ "$n" -eq 21 ] || { echo "    $n files, expected 20 results and summary.json:"; find "$D"; return 1; }
	jq_true "$D/summary.json" '.complete and (.cells | length) == 12
		and ([.cells[] | .status == "ok"] | all)' || return 1
	for f in $(jq -r '.cells[].file' "$D/summary.json"); do
		jq_true "$D/$f" '.status == "ok"' || return 1
	done
}
check "two suites writing into one folder at once lose and corrupt nothing" two_suites

# SIGINT while a slow cell runs (implicit-first walks 60,000 blocks, 30,000 of
# them 16-byte holes, for each of 30,000 mallocs of 64 bytes: many seconds,
# where tlsf takes a fraction of one): the cells that finished keep their
# results, the rest are reported as not run, exit 130.
BIG=$TMP/zbig.trace
awk 'BEGIN { n = 60000; for (i = 0; i < n; i++) print "a", i, 16;
	for (i = 0; i < n; i += 2) print "f", i; for (i = 0; i < n; i += 2) print "a", i, 64 }' > "$BIG"
interrupted() {
	sig=$1 want=$2
	D=$TMP/int-$sig
	"$BENCH" --alloc tlsf,implicit-first,bump --trace workloads/basic.trace,"$BIG" --runs 1 \
		--out "$D" -q > "$OUT" 2> "$ERR" &
	pid=$!
	i=0
	while [ ! -f "$D/tlsf/zbig.json" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.3
	kill -$sig $pid
	wait $pid
	code=$?
	[ $code -eq $want ] || { echo "    exit $code, expected $want"; return 1; }
	jq_true "$D/summary.json" '.complete == false and .interrupted and
		([.cells[] | .status] == ["ok", "ok", "ok", "ok", "not-run", "not-run"]) and
		([.cells[4:][] | .file] == [null, null])' || return 1
	for f in tlsf/basic implicit-first/basic bump/basic tlsf/zbig; do
		jq_true "$D/$f.json" '.status == "ok" and .check.passed' || return 1
	done
	[ ! -e "$D/implicit-first/zbig.json" ] && [ ! -e "$D/bump/zbig.json" ] &&
	err_has "bench: interrupted; cells not run: implicit-first/zbig bump/zbig" &&
	[ -z "$(find "$D" -name '.*')" ]
}
check "SIGINT during a slow cell: finished results kept, the rest named as not run" \
	interrupted INT 130
check "SIGTERM during a slow cell: the same as SIGINT, exit 143" interrupted TERM 143
check "SIGHUP during a slow cell: the same as SIGINT, exit 129" interrupted HUP 129

# A bench killed by SIGKILL leaves its temporary file; the next run into the
# same folder removes it (its writer is dead), and leaves a live writer's alone.
stale_temps() {
	D=$TMP/stale
	mkdir -p "$D/tlsf"
	sh -c 'exit 0' & dead=$!
	wait $dead
	: > "$D/.summary.json.$dead.AbC123"
	: > "$D/tlsf/.basic.json.$dead.XyZ789"
	: > "$D/tlsf/.basic.json.$$.LiVe00"         # this shell still runs
	: > "$D/tlsf/.realloc.json.Old123"           # no PID (an older bench) ...
	touch -d '2 hours ago' "$D/tlsf/.realloc.json.Old123"   # ... and old
	: > "$D/tlsf/.notes.txt.$dead.KeepMe"        # not a result's temporary file
	expect_exit 0 "$BENCH" --alloc tlsf,bump --trace workloads/basic.trace --runs 1 \
		--out "$D" -q || return 1
	left=$(cd "$D" && find . -name '.*' -type f | sort | tr '\n' ' ')
	[ "$left" = "./tlsf/.basic.json.$$.LiVe00 ./tlsf/.notes.txt.$dead.KeepMe " ] ||
		{ echo "    left: $left"; return 1; }
}
check "a suite removes stale temporary files of killed runs from its folders" stale_temps

finish
