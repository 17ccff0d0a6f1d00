#!/bin/sh
# tests/cli/peers.sh - production allocators as peers, user libraries, the
# memory pass, crash/hang isolation and suites (docs/peers.md).
#
# A peer whose library is not installed is printed as "skip" and not counted;
# CI installs them all (.ci/deps.sh).
. tests/lib.sh
# build/bench-test and the test libraries sit next to $BENCH in a build
# folder (build/san/bench -> build/san/bench-test), else in build/.
bdir=$(dirname "$BENCH")
[ -x "$bdir/bench-test" ] || bdir=build
BENCH_TEST=${BENCH_TEST:-$bdir/bench-test}
[ -f "$(dirname "$BENCH")/tests/libtestmalloc.so" ] && bdir=$(dirname "$BENCH") || bdir=build
TESTLIB_DIR=${TESTLIB_DIR:-$bdir/tests}
LIB=$TESTLIB_DIR/libtestmalloc.so
NOALIGN=$TESTLIB_DIR/libtestmalloc-noalign.so
WEB=workloads/web.trace
SKIPPED=0

# A sanitizer build cannot preload another malloc (and its own is not glibc's):
# bench refuses peers there, and these tests skip them.
SANITIZED=0
if ldd "$BENCH" 2>/dev/null | grep -q libasan || nm "$BENCH" 2>/dev/null | grep -q __asan_init; then
	SANITIZED=1
fi
installed() {
	[ $SANITIZED -eq 0 ] && "$BENCH" --list | grep -E "^$1 +peer: " | grep -vq "not installed"
}

jq_true() {  # jq_true FILE FILTER: the filter yields true
	[ "$(jq -r "$2" "$1" 2>/dev/null)" = true ] || { echo "    $1: not true: $2"; return 1; }
}

# ---- each peer on web.trace ----
peer_runs() {  # peer_runs NAME STATS_METHOD
	expect_exit 0 "$BENCH" --alloc "$1" --trace $WEB --runs 2 --check 100 --json || return 1
	jq_true "$OUT" '.status == "ok" and .check.passed and .allocator.kind == "peer"
		and (.allocator.library | type) == "string"
		and .memory.peak_rss_bytes > 0
		and .memory.peak_rss_method == "anon-rss-sampled-per-op"
		and .memory.peak_break_bytes == null and .memory.provider_calls == null
		and .memory.peak_live_bytes > 0 and .ops.replayed == .trace.ops
		and .throughput.ops_per_sec.median > 0' || return 1
	jq_true "$OUT" ".library_stats.method == \"$2\" and (.library_stats.values | length) >= 2
		and ([.library_stats.values[]] | all(. >= 0))"
}
for p in "glibc:glibc mallinfo2" "jemalloc:jemalloc mallctl" \
         "tcmalloc:tcmalloc MallocExtension" "mimalloc:mimalloc mi_process_info"; do
	name=${p%%:*}
	if installed "$name"; then
		check "peer $name replays web.trace with checks and sane JSON" peer_runs "$name" "${p#*:}"
	else
		echo "skip peer $name: library not installed, or a sanitizer build"
		SKIPPED=$((SKIPPED + 1))
	fi
done

list_marks_peers() {
	expect_exit 0 "$BENCH" --list || return 1
	grep -E '^glibc +peer: .*\(/.*libc' "$OUT" >/dev/null || { echo "    no glibc peer line"; return 1; }
	! grep -q '^test-crash' "$OUT" || { echo "    ./bench lists test allocators"; return 1; }
}
check "--list marks peers with their library; ./bench lists no test allocator" list_marks_peers

no_test_alloc_in_bench() {
	expect_exit 2 "$BENCH" --alloc test-crash --trace $WEB && err_has "unknown allocator 'test-crash'"
}
check "./bench cannot run test allocators" no_test_alloc_in_bench

side_by_side() {
	for p in jemalloc tcmalloc mimalloc; do installed $p || { echo "    $p missing"; return 1; }; done
	expect_exit 0 "$BENCH" --alloc glibc,jemalloc,tcmalloc,mimalloc,segregated --trace $WEB \
		--runs 1 --out "$TMP/side" || return 1
	for a in glibc jemalloc tcmalloc mimalloc segregated; do
		grep -Eq "^(web\.trace)? +$a +ok +[0-9.]+ " "$OUT" || { echo "    no ok row for $a"; return 1; }
	done
	# The built-in shows its break, the peers a dash; every row has a peak RSS.
	grep -Eq " segregated +ok +[0-9.]+ +[0-9.]+ [KM]iB +[0-9.]+ [KM]iB" "$OUT" &&
	grep -Eq " jemalloc +ok +[0-9.]+ +- +[0-9.]+ [KM]iB" "$OUT"
}
if installed jemalloc && installed tcmalloc && installed mimalloc; then
	check "glibc,jemalloc,tcmalloc,mimalloc,segregated side by side" side_by_side
else
	echo "skip side-by-side table: a peer library is not installed"; SKIPPED=$((SKIPPED + 1))
fi

# ---- user libraries ----
user_lib() {
	expect_exit 0 "$BENCH" --alloc "./$LIB" --trace $WEB --runs 1 --json || return 1
	jq_true "$OUT" '.status == "ok" and .allocator.kind == "peer" and .allocator.name == "libtestmalloc"
		and (.allocator.library | endswith("/libtestmalloc.so"))
		and .memory.peak_rss_bytes > 0 and .library_stats == null'
}
# A library path with a comma in it: an existing path is taken whole.
comma_lib() {
	cp "$LIB" "$TMP/lib,comma.so" &&
	expect_exit 0 "$BENCH" --alloc "$TMP/lib,comma.so" --trace $WEB --runs 1 --json &&
	jq_true "$OUT" '.status == "ok" and .allocator.name == "lib,comma"'
}
if [ $SANITIZED -eq 0 ]; then
	check "--alloc ./build/tests/libtestmalloc.so runs with every check" user_lib
	check "--alloc a library whose path holds a comma (taken whole)" comma_lib
else
	echo "skip --alloc ./libtestmalloc.so: a sanitizer build cannot preload a malloc"
	SKIPPED=$((SKIPPED + 1))
fi

noalign() {
	# basic.trace has memalign ops, coalesce.trace none.
	expect_exit 1 "$BENCH" --alloc "$NOALIGN" --trace workloads/basic.trace,workloads/coalesce.trace \
		--runs 1 --out "$TMP/noalign" -q || return 1
	jq_true "$TMP/noalign/summary.json" '[.cells[] | .status] == ["unsupported", "ok"]' &&
	jq_true "$TMP/noalign/libtestmalloc-noalign/basic.json" '.status == "unsupported"
		and (.check.message | contains("exports no memalign, posix_memalign or aligned_alloc"))'
}
check "a library without aligned allocation: memalign traces unsupported, others run" noalign

bad_paths() {
	expect_exit 2 "$BENCH" --alloc ./no/such/lib.so --trace $WEB || return 1
	err_has "bench: ./no/such/lib.so: No such file or directory" || return 1
	cp Makefile "$TMP/fake.so"
	expect_exit 2 "$BENCH" --alloc "$TMP/fake.so" --trace $WEB || return 1
	err_has "invalid ELF header" || return 1
	# libm loads fine but has no malloc of its own (libc's does not count).
	libm=$(ldd "$BENCH" | awk '/libm\.so/ {print $3}')
	[ -n "$libm" ] || return 0
	expect_exit 2 "$BENCH" --alloc "$libm" --trace $WEB && err_has "$libm: does not export malloc"
}
check "a missing path, a non-library and a library without malloc exit 2" bad_paths

# ---- crashes and hangs ----
# The dying allocators die in their 20th malloc: its op index in web.trace.
DIE_OP=$(awk '/^[acrmf] / { n++; if ($1 == "a" && ++a == 20) { print n - 1; exit } }' $WEB)
crash_and_hang() {
	expect_exit 1 "$BENCH_TEST" --alloc test-crash,test-hang,tlsf --trace $WEB --runs 1 \
		--timeout 2 --out "$TMP/die" || return 1
	S=$TMP/die/summary.json
	jq_true "$S" '[.cells[] | .status] == ["crashed", "timeout", "ok"] and .complete' || return 1
	jq_true "$TMP/die/test-crash/web.json" '.status == "crashed" and .failure.signal == "SIGSEGV"
		and .failure.pass == "checked" and .failure.op == '"$DIE_OP"' and .memory == null
		and (.check.message | contains("crashed with SIGSEGV (Segmentation fault) in the checked pass at op '"$DIE_OP"' "))' || return 1
	jq_true "$TMP/die/test-hang/web.json" '.status == "timeout" and .failure.op == '"$DIE_OP"'
		and .failure.signal == null and (.check.message | contains("timed out after 2 s"))' || return 1
	jq_true "$TMP/die/tlsf/web.json" '.status == "ok" and .memory.peak_rss_bytes > 0'
}
check "crashing and hanging allocators are reported; the suite goes on" crash_and_hang

single_crash() {
	expect_exit 1 "$BENCH_TEST" --alloc broken-crash --trace $WEB --json || return 1
	jq_true "$OUT" '.status == "crashed" and .failure.signal == "SIGSEGV" and .throughput == null'
}
check "a single crashing cell: status crashed, exit 1, result still written" single_crash

peer_dies() {
	printf 'a 1 100\na 2 777777\nf 1\nf 2\n' > "$TMP/crash.trace"
	printf 'a 1 100\nf 1\na 2 777778\nf 2\n' > "$TMP/hang.trace"
	expect_exit 1 "$BENCH" --alloc "$TESTLIB_DIR/libtestmalloc-dying.so" \
		--trace "$TMP/crash.trace,$TMP/hang.trace,workloads/coalesce.trace" --timeout 2 \
		--runs 1 --out "$TMP/pd" -q || return 1
	jq_true "$TMP/pd/summary.json" '[.cells[] | .status] == ["crashed", "timeout", "ok"]' &&
	jq_true "$TMP/pd/libtestmalloc-dying/crash.json" '.failure.signal == "SIGSEGV"
		and .failure.pass == "checked" and .failure.op == 1 and .allocator.kind == "peer"' &&
	jq_true "$TMP/pd/libtestmalloc-dying/hang.json" '.failure.pass == "checked" and .failure.op == 2'
}
if [ $SANITIZED -eq 0 ]; then
	check "a preloaded library that crashes or hangs is reported at its op; the suite goes on" peer_dies
else
	echo "skip a dying preloaded library: a sanitizer build cannot preload a malloc"
	SKIPPED=$((SKIPPED + 1))
fi

timeout_values() {
	expect_exit 2 "$BENCH" --alloc tlsf --trace $WEB --timeout -1 || return 1
	err_has "--timeout" || return 1
	expect_exit 2 "$BENCH" --alloc tlsf --trace $WEB --timeout abc || return 1
	expect_exit 0 "$BENCH" --alloc tlsf --trace $WEB --timeout 0 --runs 1 -q
}
check "--timeout: -1 and abc are usage errors, 0 means none" timeout_values

interrupt() {
	"$BENCH_TEST" --alloc tlsf,test-hang,bump --trace $WEB --runs 1 --timeout 0 \
		--out "$TMP/int" > "$OUT" 2> "$ERR" &
	pid=$!
	sleep 2
	kill -INT $pid
	wait $pid
	code=$?
	[ $code -eq 130 ] || { echo "    exit $code, expected 130"; return 1; }
	jq_true "$TMP/int/summary.json" '.complete == false and .interrupted
		and ([.cells[] | .status] == ["ok", "not-run", "not-run"])' || return 1
	[ -f "$TMP/int/tlsf/web.json" ] && [ ! -e "$TMP/int/bump" ] &&
	err_has "cells not run: test-hang/web bump/web"
}
check "SIGINT: current child killed, finished cells kept, the rest not-run, exit 130" interrupt

# ---- suites ----
GLIBC=glibc
[ $SANITIZED -eq 1 ] && GLIBC=bump
layout() {
	mkdir -p "$TMP/w" && cp workloads/basic.trace workloads/short1.rep workloads/realloc.trace \
		"$TMP/w" && touch "$TMP/w/README.md" || return 1
	expect_exit 0 "$BENCH" --alloc tlsf,buddy,$GLIBC --trace "$TMP/w" --runs 1 \
		--out "$TMP/suite" -q || return 1
	n=3
	jq_true "$TMP/suite/summary.json" ".schema == \"heaplab-suite\" and .complete
		and (.cells | length) == $((n * 3))
		and ([.cells[] | .status == \"ok\" and (.file | type) == \"string\"] | all)" || return 1
	# Traces in sorted order, each allocator under each.
	traces=$(jq -r '[.cells[] | .trace | split("/") | last] | join(" ")' "$TMP/suite/summary.json")
	[ "$traces" = "basic.trace basic.trace basic.trace realloc.trace realloc.trace realloc.trace short1.rep short1.rep short1.rep" ] ||
		{ echo "    traces in order: $traces"; return 1; }
	for f in $(jq -r '.cells[].file' "$TMP/suite/summary.json"); do
		jq_true "$TMP/suite/$f" '.schema == "heaplab-result" and .status == "ok"' || return 1
	done
	[ -f "$TMP/suite/tlsf/realloc.json" ] && [ -f "$TMP/suite/$GLIBC/short1.json" ]
}
check "a suite: one result per cell under <dir>/<allocator>/<trace>.json and summary.json" layout

default_dir() {
	here=$PWD
	mkdir "$TMP/cwd" && cd "$TMP/cwd" || return 1
	expect_exit 0 "$here/$BENCH" --alloc tlsf,bump --trace "$here/workloads/basic.trace" --runs 1 -q
	code=$?
	cd "$here" || return 1
	[ $code -eq 0 ] || return 1
	d=$(ls "$TMP/cwd/results")
	echo "$d" | grep -Eq '^[0-9]{8}T[0-9]{6}Z$' || { echo "    run id '$d'"; return 1; }
	[ -f "$TMP/cwd/results/$d/bump/basic.json" ] && grep -q "results in results/$d/" "$ERR"
}
check "the default results folder is results/<UTC time>/" default_dir

json_summary_on_stdout() {
	expect_exit 0 "$BENCH" --alloc tlsf,bump --trace workloads/basic.trace --runs 1 --json \
		--out "$TMP/js" || return 1
	jq_true "$OUT" '.schema == "heaplab-suite" and (.cells | length) == 2' &&
	grep -q "allocator" "$ERR"   # the table went to stderr
}
check "a suite with --json prints summary.json on stdout, the table on stderr" json_summary_on_stdout

same_stem() {
	cp workloads/basic.trace "$TMP/basic.trace"
	expect_exit 2 "$BENCH" --alloc tlsf,bump --trace workloads/basic.trace,"$TMP/basic.trace" \
		--out "$TMP/stem" && err_has "would both be reported as basic.json"
}
check "two traces with one name are refused before anything runs" same_stem

# ---- the memory figure for built-ins ----
builtin_memory() {
	expect_exit 0 "$BENCH" --alloc bump --trace workloads/coalescing.trace --runs 1 --json || return 1
	# Every block is written, so at least the live bytes are resident; bump
	# writes its whole break, so RSS and break agree to a page.
	jq_true "$OUT" '.allocator.kind == "builtin" and .memory.peak_rss_bytes >= .memory.peak_live_bytes
		and (.memory.peak_rss_bytes - .memory.peak_break_bytes | fabs) <= 4096
		and .memory.method == "provider-break" and .library_stats == null
		and .memory.utilization_rss > 0'
}
check "built-ins get the same peak RSS figure; bump's matches its break" builtin_memory

[ $SKIPPED -gt 0 ] && echo "$SKIPPED skipped (not counted)"
finish
