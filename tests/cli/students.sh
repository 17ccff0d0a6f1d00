#!/bin/sh
# tests/cli/students.sh - students' allocator sources (docs/students.md): a
# malloc lab mm.c and a malloc.c on sbrk run with one command, the build
# cache, compile errors, --align, suites, the grading view, `bench run` on a
# source, and the gallery of classic bugs (tests/students/), each of which
# must get a precise message.  Every source is compiled once per run of this
# script: the cache lives in $TMP.
. tests/lib.sh

LIBDIR=${HEAPLAB_LIB_DIR:-build/lib}
[ -n "${HEAPLAB_LIB_DIR:-}" ] || [ -d "$(dirname "$BENCH")/build/lib" ] ||
	HEAPLAB_LIB_DIR="$PWD/$LIBDIR"
[ -z "${HEAPLAB_LIB_DIR:-}" ] || export HEAPLAB_LIB_DIR
HEAPLAB_CACHE_DIR=$TMP/cache
export HEAPLAB_CACHE_DIR
REP=workloads/short1.rep
G=tests/students
GT=$G/traces

json_get() {  # json_get FILE EXPR: a field of a result, read with python3
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- the two interfaces, one command each ----------------------------------

mm_runs() {
	expect_exit 0 "$BENCH" --alloc examples/mm.c --align 8 --trace $REP --runs 1 \
	  --out "$TMP/mm.json" &&
	err_has "examples/mm.c: compiling with" &&
	err_has "the source's own heap" && ! grep -q "self-check" "$ERR" &&
	[ "$(json_get "$TMP/mm.json" 'd["allocator"]["kind"]')" = student ] &&
	[ "$(json_get "$TMP/mm.json" 'd["allocator"]["name"]')" = examples-mm ] &&
	[ "$(json_get "$TMP/mm.json" 'd["options"]["align"]')" = 8 ] &&
	[ "$(json_get "$TMP/mm.json" 'd["memory"]["peak_break_bytes"] > 0')" = True ] &&
	json_get "$TMP/mm.json" 'd["allocator"]["description"]' | grep -q "malloc lab mm.c"
}
check "a malloc lab mm.c is detected, built and run (--align 8)" mm_runs

cache_reused() {
	so=$(ls "$HEAPLAB_CACHE_DIR"/*/bench.so | head -1)
	before=$(stat -c %Y.%s "$so")
	sleep 1
	expect_exit 0 "$BENCH" --alloc examples/mm.c --align 8 --trace $REP --runs 1 --quiet &&
	err_has "examples/mm.c: built before (cache" &&
	! grep -q "compiling" "$ERR" &&
	[ "$(stat -c %Y.%s "$so")" = "$before" ]
}
check "a second run reuses the cached build (nothing recompiled)" cache_reused

align_16_fails() {
	expect_exit 1 "$BENCH" --alloc examples/mm.c --trace $REP --runs 1 &&
	err_has "short1.rep:6: op 1 (malloc of 3000 bytes for block 1): examples-mm returned" &&
	err_has "not 16-byte aligned (the alignment this run demands of every block; --align"
}
check "the 8-aligned mm.c fails the default 16-byte alignment with a clear message" align_16_fails

align_bad() {
	expect_exit 2 "$BENCH" --alloc implicit-first --align 12 --trace $REP &&
	err_has "--align: 12 is not a power of two"
}
check "--align takes only a power of two" align_bad

malloc_runs() {
	expect_exit 0 "$BENCH" --alloc examples/malloc.c --trace $REP,workloads/web.trace --runs 1 \
	  --out "$TMP/malloc-suite" --quiet &&
	[ "$(json_get "$TMP/malloc-suite/examples-malloc/web.json" 'd["status"]')" = ok ] &&
	[ "$(json_get "$TMP/malloc-suite/examples-malloc/web.json" 'd["memory"]["provider_calls"] > 1')" = True ] &&
	json_get "$TMP/malloc-suite/examples-malloc/web.json" 'd["allocator"]["description"]' |
	  grep -q "malloc.c on sbrk"
}
check "a malloc.c on sbrk is detected and runs on the heap provider" malloc_runs

compile_error() {
	mkdir -p "$TMP/broken"
	printf '#include "mm.h"\nint mm_init(void) { return 0 }\n' > "$TMP/broken/mm.c"
	expect_exit 2 "$BENCH" --alloc "$TMP/broken/mm.c" --trace $REP --out "$TMP/broken.json" &&
	err_has "broken/mm.c:2:" && err_has "error" &&
	err_has "does not compile (the compiler's messages are above)" &&
	[ ! -e "$TMP/broken.json" ]
}
check "a compile error shows the compiler's messages and exits 2, nothing written" compile_error

neither() {
	printf 'int twice(int x) { return 2 * x; }\n' > "$TMP/other.c"
	expect_exit 2 "$BENCH" --alloc "$TMP/other.c" --trace $REP &&
	err_has "defines neither the malloc lab's mm_init/mm_malloc/mm_free/mm_realloc nor malloc"
}
check "a source with neither interface is a usage error" neither

cflags_passed() {
	mkdir -p "$TMP/flag"
	{ printf '#ifndef NEEDED_FLAG\n#error "built without --cflags"\n#endif\n'
	  cat examples/mm.c; } > "$TMP/flag/mm.c"
	expect_exit 2 "$BENCH" --alloc "$TMP/flag/mm.c" --align 8 --trace $REP --quiet &&
	err_has "built without --cflags" &&
	expect_exit 0 "$BENCH" --alloc "$TMP/flag/mm.c" --cflags "-DNEEDED_FLAG -O1" --align 8 \
	  --trace $REP --runs 1 --quiet &&
	err_has "compiling with cc -DNEEDED_FLAG -O1"
}
check "--cflags reaches the compiler (and is part of the cache key)" cflags_passed

count_callgrind() {
	expect_exit 0 "$BENCH" --alloc examples/mm.c --align 8 --trace $REP --runs 1 \
	  --count=callgrind --out "$TMP/cg.json" --quiet &&
	[ "$(json_get "$TMP/cg.json" 'd["cost"]["method"]')" = callgrind ] &&
	[ "$(json_get "$TMP/cg.json" 'd["cost"]["instructions"] > 0')" = True ]
}
if [ -n "${HEAPLAB_SANITIZER:-}" ]; then
	echo "skip --count=callgrind on a source: valgrind cannot run a sanitizer build"
elif command -v valgrind > /dev/null; then
	check "--count=callgrind counts a student's source (its build loaded under valgrind)" count_callgrind
else
	echo "skip --count=callgrind on a source: valgrind is not installed"
fi

# ---- suites and grading ------------------------------------------------------

suite_two() {
	mkdir -p "$TMP/alice" "$TMP/bob"
	cp examples/mm.c "$TMP/alice/mm.c"
	cp $G/no_coalesce/mm.c "$TMP/bob/mm.c"
	expect_exit 0 "$BENCH" --alloc "$TMP/alice/mm.c,$TMP/bob/mm.c,implicit-first" --align 8 \
	  --trace $REP,workloads/malloclab/coalescing-2.trace --runs 1 --out "$TMP/class" &&
	[ -f "$TMP/class/alice-mm/short1.json" ] && [ -f "$TMP/class/bob-mm/short1.json" ] &&
	[ -f "$TMP/class/alice-mm/coalescing-2.json" ] && [ -f "$TMP/class/bob-mm/coalescing-2.json" ]
}
check "a suite of two mm.c from different folders keeps their cells apart" suite_two

grade_table() {
	expect_exit 0 "$BENCH" report --format grade "$TMP/class" &&
	out_has "Results for alice-mm (alignment 8):" &&
	out_has "Results for bob-mm (alignment 8):" &&
	grep -qE '^coalescing-2.trace +yes +[0-9.]+% +12000 ' "$OUT" &&
	grep -qE '^Perf index = [0-9.]+ \(util\) \+ [0-9.]+ \(thru\) = [0-9.]+/100$' "$OUT" &&
	out_has "P = w*U + (1-w)*min(1, T/T_ref) with w = 0.60, T_ref = 600 Kops" &&
	grep -qE '^1 +(alice-mm|implicit-first) ' "$OUT" && grep -qE '^3 +bob-mm ' "$OUT"
}
check "report --format grade prints the lab driver's table and a ranking" grade_table

grade_csv_json() {
	expect_exit 0 "$BENCH" report --format grade-csv --grade-weight 1 "$TMP/class" &&
	out_has "allocator,traces,valid,util,ops,secs,kops,util_points,thru_points,index,weight,ref_kops" &&
	awk -F, '$1 == "bob-mm" { if ($2 != 2 || $3 != 2 || $9 != "0.00" || $10 + 0 != $4 * 100 + 0 && ($10 - $4 * 100) ^ 2 > 0.0001) exit 1; found = 1 }
	         END { exit !found }' "$OUT" &&
	expect_exit 0 "$BENCH" report --format grade-json --grade-ref-kops 1000000 "$TMP/class" &&
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "heaplab-grade" and d["ref_kops"] == 1000000
a = {x["name"]: x for x in d["allocators"]}
assert a["alice-mm"]["valid"] == 2 and len(a["alice-mm"]["traces"]) == 2
assert abs(a["alice-mm"]["util_points"] - 60 * a["alice-mm"]["util"]) < 1e-6
assert a["alice-mm"]["util"] > a["bob-mm"]["util"]' "$OUT"
}
check "grade-csv and grade-json: one row per student, the weight and reference applied" grade_csv_json

grade_ref_alloc() {
	expect_exit 0 "$BENCH" report --format grade --grade-ref implicit-first "$TMP/class" &&
	out_has "(the throughput of implicit-first in these results)" &&
	expect_exit 2 "$BENCH" report --format grade --grade-ref nosuch "$TMP/class" &&
	err_has "--grade-ref: nosuch is not in the results" &&
	expect_exit 2 "$BENCH" report --format grade --grade-weight 1.5 "$TMP/class" &&
	err_has "--grade-weight: '1.5' is not a number from 0 to 1"
}
check "the grade reference can be an allocator of the results; bad values refused" grade_ref_alloc

grade_repeatable() {
	expect_exit 0 "$BENCH" --alloc "$TMP/alice/mm.c" --align 8 \
	  --trace workloads/malloclab/coalescing-2.trace --runs 1 --out "$TMP/again.json" --quiet &&
	[ "$(json_get "$TMP/again.json" 'd["memory"]["utilization"]')" = \
	  "$(json_get "$TMP/class/alice-mm/coalescing-2.json" 'd["memory"]["utilization"]')" ]
}
check "two runs of a student grade the same utilization" grade_repeatable

old_result_align() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); del d["options"]["align"]
json.dump(d, open(sys.argv[2], "w"))' "$TMP/class/bob-mm/short1.json" "$TMP/old.json" &&
	expect_exit 0 "$BENCH" report --fields allocator,align "$TMP/old.json" "$TMP/mm.json" &&
	out_has "bob-mm	16" && out_has "examples-mm	8"
}
check "the result reader takes options.align, and 16 for results without it" old_result_align

plan_unit() {
	expect_exit 0 "$BENCH" plan --alloc examples/mm.c --align 8 --trace $REP --runs 1 \
	  --out "$TMP/plan" &&
	out_has "--alloc $PWD/examples/mm.c " &&
	unit=$(grep -- "--alloc $PWD/examples/mm.c " "$OUT" | head -1) &&
	expect_exit 0 sh -c "$unit" &&
	[ "$(json_get "$TMP/plan/examples-mm/short1.json" 'd["allocator"]["name"]')" = examples-mm ]
}
check "bench plan: a source's unit names it by its absolute path and the same cell" plan_unit

# ---- the gallery: one classic bug each, one precise message each ------------

gallery_suite() {
	expect_exit 1 "$BENCH" --alloc "$G/off_by_8/mm.c,$G/realloc_loses/malloc.c,$G/freelist_coalesce/mm.c,$G/split_overlap/mm.c,$G/static_array/mm.c" \
	  --trace $REP,$GT/coalesce-next.rep,$GT/split.rep --runs 1 --out "$TMP/gallery" --quiet &&
	expect_exit 0 "$BENCH" report --format grade "$TMP/gallery" &&
	cp "$OUT" "$TMP/gallery.txt"
}
check "the gallery runs as one suite; each bug is its cell's result" gallery_suite
msg() { json_get "$TMP/gallery/$1/$2.json" 'd["status"] + ": " + str(d["check"]["message"])'; }

gallery_off_by_8() {
	msg off_by_8-mm short1 | grep -qF 'check-failed: workloads/short1.rep:5: op 0 (malloc of 2000 bytes for block 0): off_by_8-mm returned' &&
	msg off_by_8-mm short1 | grep -qF 'not 16-byte aligned'
}
check "gallery: header arithmetic off by 8 -> not 16-byte aligned at the first malloc" gallery_off_by_8

gallery_realloc() {
	msg realloc_loses-malloc short1 | grep -qF 'short1.rep:12: op 7 (realloc of block 2 to 500 bytes): realloc_loses-malloc returned' &&
	msg realloc_loses-malloc short1 | grep -qF "did not keep the block's first 100 bytes: byte 0 differs"
}
check "gallery: realloc that loses the contents -> the first bytes not kept" gallery_realloc

gallery_freelist() {
	msg freelist_coalesce-mm coalesce-next | grep -qF 'coalesce-next.rep:9: op 4 (malloc of 1000 bytes for block 3): freelist_coalesce-mm returned' &&
	msg freelist_coalesce-mm coalesce-next | grep -qE 'which overlaps live block 2 at 0x[0-9a-f]+ \(100 bytes\)'
}
check "gallery: free-list corruption after coalescing -> a block overlaps a live one" gallery_freelist

gallery_split() {
	msg split_overlap-mm split | grep -qF 'split.rep:8: op 3 (malloc of 3800 bytes for block 2): split_overlap-mm returned' &&
	msg split_overlap-mm split | grep -qE 'which overlaps live block 1 at 0x[0-9a-f]+ \(200 bytes\)'
}
check "gallery: blocks that overlap after a split -> the overlap, with both blocks" gallery_split

gallery_static() {
	msg static_array-mm short1 | grep -qF 'short1.rep:5: op 0 (malloc of 2000 bytes for block 0): static_array-mm returned' &&
	msg static_array-mm short1 | grep -qF 'outside its heap' &&
	msg static_array-mm short1 | grep -qF 'mem_sbrk'
}
check "gallery: a static array instead of mem_sbrk -> a block outside the heap" gallery_static

gallery_no_coalesce() {
	# valid everywhere, but far below the same allocator with coalescing
	[ "$(json_get "$TMP/class/bob-mm/coalescing-2.json" 'd["status"]')" = ok ] &&
	python3 -c 'import json,sys
bob = json.load(open(sys.argv[1]))["memory"]["utilization"]
alice = json.load(open(sys.argv[2]))["memory"]["utilization"]
assert bob < alice / 2, (bob, alice)' "$TMP/class/bob-mm/coalescing-2.json" "$TMP/class/alice-mm/coalescing-2.json"
}
check "gallery: forgetting to coalesce -> valid, under half the utilization" gallery_no_coalesce

gallery_grade() {
	grep -q "off_by_8-mm" "$TMP/gallery.txt" &&
	grep -qF "Perf index = 0/100: 3 of 3 traces not valid" "$TMP/gallery.txt"
}
check "gallery: the grade table names what failed and scores it 0" gallery_grade

# ---- on a real program -------------------------------------------------------

run_malloc_c() {
	sort -r /etc/services > "$TMP/want.txt" 2>/dev/null || return 1
	expect_exit 0 "$BENCH" run --alloc examples/malloc.c --stats -- sort -r /etc/services &&
	cmp -s "$OUT" "$TMP/want.txt" &&
	grep -qE '\(sort\): peak break [1-9][0-9]* bytes' "$ERR"
}
check "bench run --alloc malloc.c runs a real program on it (same output, stats)" run_malloc_c

run_mm_c() {
	# a listing that does not change while the test runs (/ holds /tmp)
	ls -lR examples tests/students > "$TMP/want-ls.txt" 2>/dev/null
	expect_exit 0 "$BENCH" run --alloc examples/mm.c --check -- ls -lR examples tests/students &&
	cmp -s "$OUT" "$TMP/want-ls.txt" &&
	err_has "self-check: 0 violations"
}
check "bench run --alloc mm.c runs a real program on the adapter's malloc" run_mm_c

run_cells() {
	expect_exit 0 "$BENCH" run --alloc examples/malloc.c,glibc --runs 1 --out "$TMP/prog" \
	  -- sort -r /etc/services &&
	[ "$(json_get "$TMP/prog/examples-malloc/sort.json" 'd["allocator"]["kind"]')" = student ] &&
	[ "$(json_get "$TMP/prog/examples-malloc/sort.json" 'd["status"]')" = ok ] &&
	[ "$(json_get "$TMP/prog/examples-malloc/sort.json" 'd["memory"]["peak_break_bytes"] > 0')" = True ]
}
check "bench run --alloc malloc.c,glibc --runs: a program cell on the student's library" run_cells

run_compile_error() {
	expect_exit 2 "$BENCH" run --alloc "$TMP/broken/mm.c" -- true &&
	err_has "does not compile"
}
check "bench run on a source that does not compile exits 2" run_compile_error

finish
