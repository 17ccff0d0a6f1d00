#!/bin/sh
# .ci/valgrind.sh - memcheck over the harness and the unit tests.
#
#  1. bench under valgrind replays small traces with every built-in allocator
#     (checked pass, one timed pass, self-check every 50 ops, JSON written),
#     plus the error paths: a malformed trace (exit 2), a heap limit that makes
#     allocations fail, an unwritable output (exit 3).
#  2. the unit tests, except those that crash on purpose (their names contain
#     "crash", and the garbled-progress one whose allocator scribbles and dies:
#     an allocator writing into PROT_NONE pages is exactly what
#     memcheck reports, and the harness's recovery is checked without valgrind)
#     and the one that bounds a measured RSS (valgrind's own memory counts in it).
#
# Any memcheck error fails the script, and so does a definite or indirect leak
# of bench.  The unit tests are checked for errors only: each test runs in a
# forked child that _exits as soon as it is done, without freeing what the
# test itself allocated, so a "leak" there says nothing about the harness.  The
# heap provider reserves less address space under valgrind by itself (it
# halves its reservation while mmap refuses).
set -u
cd "$(dirname "$0")/.."
make -s bench build/unit-tests || exit 1
command -v valgrind > /dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 1; }

VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0 passed=0

# run WANT-EXIT DESCRIPTION ARGS...: bench under memcheck exits WANT-EXIT, no report.
run() {
	want=$1 what=$2; shift 2
	$VG ./bench "$@" > "$TMP/out" 2> "$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ] && ! grep -q '^==[0-9]*==' "$TMP/err"; then
		passed=$((passed + 1)); echo "ok   $what"
	else
		failed=$((failed + 1)); echo "FAIL $what (exit $got, expected $want)"
		sed 's/^/    /' "$TMP/err" | head -40
	fi
}

TRACES="workloads/basic.trace workloads/realloc.trace workloads/coalesce.trace workloads/short1.rep"
# Built-ins only: a peer cell re-executes bench (/proc/self/exe) with
# LD_PRELOAD, which valgrind cannot follow, and a peer's malloc is not ours.
for a in $(./bench --list | awk '$2 != "peer:" { print $1 }'); do
	for t in $TRACES; do
		run 0 "$a on $t" --alloc "$a" --trace "$t" --runs 1 --check 50 -q --out "$TMP/r.json"
	done
done
run 0 "tlsf on web.trace, JSON on stdout" --alloc tlsf --trace workloads/web.trace --runs 2 --json -q
run 0 "segregated under a heap limit (failed allocations)" --alloc segregated \
	--trace workloads/web.trace --runs 1 --heap-limit 300K -q --json
printf 'a 1 8\nf 1\nf 1\n' > "$TMP/bad.trace"
run 2 "a malformed trace" --alloc bump --trace "$TMP/bad.trace" --out "$TMP/bad.json"
run 2 "an unknown allocator" --alloc nope --trace workloads/basic.trace
run 3 "an output in a missing directory" --alloc bump --trace workloads/basic.trace \
	--runs 1 -q --out "$TMP/no/dir/r.json"
# program cells: bench forks and execs the programs itself (valgrind does not
# follow them); report and compare read the cells back
run 0 "program cells (bench run --runs)" run --alloc glibc,tlsf --runs 2 --out "$TMP/prog" \
	-- sh -c 'echo hello'
run 0 "report and compare of program cells" compare --reference glibc "$TMP/prog" "$TMP/prog"

echo "== unit tests under memcheck (without the deliberate crashes)"
valgrind -q --error-exitcode=99 --leak-check=no ./build/unit-tests -crash -garbled -mempass_counts > "$TMP/unit" 2>&1
rc=$?
grep -v '^ok ' "$TMP/unit" | head -60
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$TMP/unit" | tail -1)
if [ "$rc" -eq 0 ] && [ -n "$line" ] && ! grep -q '^==[0-9]*==' "$TMP/unit"; then
	passed=$((passed + 1)); echo "ok   unit tests: $line"
else
	failed=$((failed + 1)); echo "FAIL unit tests (exit $rc): ${line:-no summary}"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
