#!/bin/sh
# tests/cli/run_cmd.sh - `bench run` and the preloadable libraries' interface:
# usage errors, exit status, finding the library, HEAPLAB_STATS / CHECK, and
# the malloc family's error conventions (tests/programs/malloc_errors.c) on
# every allocator.
. tests/lib.sh

# make test passes HEAPLAB_LIB_DIR (the libraries of its BUILD); a bench run by
# hand from elsewhere (build/san/bench) finds the default ones this way.
LIBDIR=${HEAPLAB_LIB_DIR:-build/lib}
[ -n "${HEAPLAB_LIB_DIR:-}" ] || [ -d "$(dirname "$BENCH")/build/lib" ] ||
	HEAPLAB_LIB_DIR="$PWD/$LIBDIR"
[ -z "${HEAPLAB_LIB_DIR:-}" ] || export HEAPLAB_LIB_DIR

default_lookup() {
	env -u HEAPLAB_LIB_DIR "$BENCH" run --alloc bump -- sh -c 'echo "$LD_PRELOAD"' > "$OUT" 2> "$ERR" &&
	out_has "$(cd "$(dirname "$BENCH")" && pwd)/build/lib/libheaplab-bump.so"
}
[ -d "$(dirname "$BENCH")/build/lib" ] &&
	check "run finds build/lib beside the bench binary" default_lookup
PROGDIR=${PROGS:-build/tests/programs}
ALLOCS=$("$BENCH" --list | awk '$2 != "peer:" { print $1 }')  # built-ins only
# An allocator with boundary tags in front of each block, for the corruption test.
TAGGED=
for a in tlsf segregated explicit-lifo implicit-first; do
	case " $(echo $ALLOCS) " in *" $a "*) TAGGED=$a; break;; esac
done

unknown_allocator() {
	expect_exit 2 "$BENCH" run --alloc nosuch -- true &&
	err_has "bench: unknown allocator 'nosuch' (try --list)"
}
check "run with an unknown allocator is a usage error" unknown_allocator

missing_alloc() { expect_exit 2 "$BENCH" run -- true && err_has "--alloc NAME is required"; }
check "run without --alloc is a usage error" missing_alloc

missing_command() { expect_exit 2 "$BENCH" run --alloc bump && err_has "no command"; }
check "run without a command is a usage error" missing_command

exit_status() { expect_exit 7 "$BENCH" run --alloc bump -- sh -c 'exit 7'; }
check "run exits with the program's status" exit_status

no_dashes() { expect_exit 1 "$BENCH" run --alloc=bump --stats false && err_has "(false): peak break"; }
check "run's options end at the command, -- is optional" no_dashes

run_help() { expect_exit 0 "$BENCH" run --help && out_has "usage: bench run --alloc NAME"; }
check "run --help prints its usage" run_help

no_program() { expect_exit 3 "$BENCH" run --alloc bump -- ./no/such/program && err_has "cannot run"; }
check "run of a missing program is a system error" no_program

no_library() {
	mkdir -p "$TMP/empty"
	HEAPLAB_LIB_DIR=$TMP/empty expect_exit 3 "$BENCH" run --alloc bump -- true &&
	err_has "no preload library"
}
check "run without the allocator's library says so" no_library

lib_dir_override() {
	mkdir -p "$TMP/libs"
	cp "$LIBDIR/libheaplab-bump.so" "$TMP/libs/"
	HEAPLAB_LIB_DIR=$TMP/libs expect_exit 0 "$BENCH" run --alloc bump -- sh -c 'echo "$LD_PRELOAD"' &&
	out_has "$TMP/libs/libheaplab-bump.so"
}
check "HEAPLAB_LIB_DIR chooses the library folder" lib_dir_override

installed_layout() {
	# the layout `make install PREFIX=...` makes
	mkdir -p "$TMP/inst/bin" "$TMP/inst/lib/heaplab"
	cp "$BENCH" "$TMP/inst/bin/heaplab-bench" && cp "$LIBDIR/libheaplab-bump.so" "$TMP/inst/lib/heaplab/"
	env -u HEAPLAB_LIB_DIR "$TMP/inst/bin/heaplab-bench" run --alloc bump -- sh -c 'echo "$LD_PRELOAD"' \
		> "$OUT" 2> "$ERR" && out_has "$TMP/inst/lib/heaplab/libheaplab-bump.so"
}
check "an installed bench finds the installed libraries" installed_layout

keeps_other_preloads() {
	other=$(cd "$LIBDIR" && pwd)/libheaplab-bump.so
	LD_PRELOAD=$other expect_exit 0 "$BENCH" run --alloc buddy -- "$PROGDIR/malloc_errors" &&
	out_has "allocator buddy"
}
# (bench itself runs with that LD_PRELOAD: not possible for a sanitizer build)
if ! ldd "$BENCH" 2>/dev/null | grep -q libasan; then
	case " $(echo $ALLOCS) " in *" buddy "*)
		check "run puts its library before an existing LD_PRELOAD" keeps_other_preloads;; esac
fi

stats_line() {
	expect_exit 0 "$BENCH" run --alloc bump --stats -- "$PROGDIR/malloc_errors" &&
	err_has "heaplab: bump: pid " && err_has "(malloc_errors): peak break " &&
	err_has ", malloc calls " && ! grep -q 'malloc calls 0,' "$ERR"
}
check "--stats prints the heap figures at exit" stats_line

stats_after_stderr_closed() {
	# coreutils close stderr in an atexit handler, before the report is written
	expect_exit 0 "$BENCH" run --alloc bump --stats -- ls "$TMP" && err_has "(ls): peak break"
}
check "--stats reports even when the program closed stderr" stats_after_stderr_closed

stats_file() {
	HEAPLAB_STATS=1 HEAPLAB_STATS_FILE=$TMP/stats expect_exit 0 \
		"$BENCH" run --alloc bump -- "$PROGDIR/malloc_errors" &&
	! grep -q heaplab: "$ERR" && grep -q "(malloc_errors): peak break" "$TMP/stats" &&
	grep "(malloc_errors)" "$TMP/stats" | grep -q "foreign frees 1,"
}
check "HEAPLAB_STATS_FILE takes the report and counts a foreign free" stats_file

plain_ld_preload() {
	lib=$(cd "$LIBDIR" && pwd)/libheaplab-bump.so
	LD_PRELOAD=$lib expect_exit 0 "$PROGDIR/malloc_errors" && out_has "allocator bump"
}
check "the library works with a plain LD_PRELOAD" plain_ld_preload

glibc_agrees() { expect_exit 0 "$PROGDIR/malloc_errors" && out_has "allocator libc"; }
check "malloc_errors passes on glibc itself (the checks are the C library's)" glibc_agrees

for a in $ALLOCS; do
	errno_rules() {
		expect_exit 0 "$BENCH" run --alloc "$1" -- "$PROGDIR/malloc_errors" &&
		out_has "allocator $1" || { grep FAIL "$OUT" | head -5; return 1; }
	}
	check "errno, EINVAL and ENOMEM conventions on $a" errno_rules "$a"
	exhaustion() {
		HEAPLAB_HEAP_LIMIT=16777216 expect_exit 0 "$BENCH" run --alloc "$1" -- \
			"$PROGDIR/malloc_errors" &&
		out_has "ok exhausting_heap_ends_in_enomem" || { grep FAIL "$OUT" | head -5; return 1; }
	}
	check "ENOMEM at HEAPLAB_HEAP_LIMIT, then working again, on $a" exhaustion "$a"
done

reserve_caps_heap() {
	# a 16 MiB reservation caps a 1 GiB limit: at most 256 blocks of 64 KiB fit
	HEAPLAB_HEAP_RESERVE=16M HEAPLAB_HEAP_LIMIT=1073741824 expect_exit 0 \
		"$BENCH" run --alloc "$1" -- "$PROGDIR/malloc_errors" || { grep FAIL "$OUT"; return 1; }
	n=$(sed -n 's/^exhausted after \([0-9]*\) blocks.*/\1/p' "$OUT")
	[ -n "$n" ] && [ "$n" -gt 200 ] && [ "$n" -le 256 ] || { echo "    exhausted after '$n' blocks"; return 1; }
}
[ -n "$TAGGED" ] && check "HEAPLAB_HEAP_RESERVE sizes the heap ($TAGGED)" reserve_caps_heap "$TAGGED"

exports_only_malloc() {
	want="aligned_alloc calloc free heaplab_allocator_name malloc malloc_usable_size memalign"
	want="$want posix_memalign pvalloc realloc reallocarray valloc"
	for l in "$LIBDIR"/libheaplab-*.so; do
		got=$(nm -D --defined-only "$l" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' |
		      sort | tr '\n' ' ')
		[ "$got" = "$want " ] || { echo "    $l exports: $got"; return 1; }
	done
}
check "each library exports the malloc family and nothing else" exports_only_malloc

check_clean() {
	expect_exit 0 "$BENCH" run --alloc "$TAGGED" --check -- "$PROGDIR/stress_threads" 2 2000 &&
	err_has "self-check: 0 violations"
}
check_finds_corruption() {
	expect_exit 0 "$BENCH" run --alloc "$TAGGED" --check -- "$PROGDIR/corrupt" &&
	out_has corrupted && grep 'self-check: ' "$ERR" | grep -qv 'self-check: 0 violations'
}
if [ -n "$TAGGED" ]; then
	check "--check reports no violation for a correct program ($TAGGED)" check_clean
	check "--check reports a program's heap corruption, exit status kept ($TAGGED)" \
		check_finds_corruption
fi

# Peers run a program on their own library (glibc: nothing preloaded).
run_on_jemalloc_preloads_it() {
	expect_exit 0 "$BENCH" run --alloc jemalloc -- sh -c 'echo "$LD_PRELOAD"' &&
	out_has libjemalloc
}
run_on_glibc_preloads_nothing() {
	expect_exit 0 "$BENCH" run --alloc glibc -- sh -c 'echo "[$LD_PRELOAD]"' &&
	out_has "[]"
}
run_on_peer_refuses_stats() {
	expect_exit 2 "$BENCH" run --alloc glibc --stats -- true &&
	err_has "need a built-in allocator"
}
if [ -n "${HEAPLAB_SANITIZER:-}" ]; then
	echo "skip run --alloc jemalloc: a sanitizer build refuses peers"
elif "$BENCH" --list | grep -q '^jemalloc '; then
	check "run --alloc jemalloc preloads the jemalloc library" run_on_jemalloc_preloads_it
else
	echo "skip run --alloc jemalloc: jemalloc is not installed"
fi
check "run --alloc glibc runs the program on the system malloc" run_on_glibc_preloads_nothing
check "run --stats on a peer is a usage error" run_on_peer_refuses_stats

# Under a tight address-space limit the library's heap takes what is left
# instead of failing every allocation (not under ASan: its shadow needs it).
run_tight_ulimit() {
	(ulimit -v 400000 && exec "$BENCH" run --alloc tlsf -- sh -c 'echo hello | cat') \
		> "$OUT" 2> "$ERR" && out_has hello && ! grep -q "cannot reserve" "$ERR"
}
[ -n "${HEAPLAB_SANITIZER:-}" ] ||
	check "run under ulimit -v 400000: the heap fits, the program runs" run_tight_ulimit

run_missing_value() {
	expect_exit 2 "$BENCH" run --alloc && err_has "bench: run: --alloc needs a value" || return 1
	expect_exit 2 "$BENCH" run --alloc=tlsf && err_has "bench: run: no command to run"
}
check "run --alloc without a name, or without a command, is a usage error (exit 2)" run_missing_value

finish
