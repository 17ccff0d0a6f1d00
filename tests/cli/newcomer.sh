#!/bin/sh
# tests/cli/newcomer.sh - what a new user meets first (issue 15, "rough
# edges"): help everywhere, honest tables and summaries (failed allocations,
# peers' checks, impossible ratios), output within 80 columns, the progress
# line, report --format markdown, plot.sh, make install, the README's examples.
. tests/lib.sh
bdir=$(dirname "$BENCH")
[ -x "$bdir/bench-test" ] || bdir=build
BENCH_TEST=${BENCH_TEST:-$bdir/bench-test}
[ -f "$(dirname "$BENCH")/tests/libtestmalloc.so" ] && bdir=$(dirname "$BENCH") || bdir=build
TESTLIB_DIR=${TESTLIB_DIR:-$bdir/tests}
ROOT=$(pwd)
ABS_BENCH=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")
WEB=workloads/web.trace
BASIC=workloads/basic.trace
SKIPPED=0
skip() { echo "skip $*"; SKIPPED=$((SKIPPED + 1)); }

SANITIZED=0
if ldd "$BENCH" 2>/dev/null | grep -q libasan || nm "$BENCH" 2>/dev/null | grep -q __asan_init; then
	SANITIZED=1
fi
jq_true() {  # jq_true FILE FILTER: the filter yields true
	[ "$(jq -r "$2" "$1" 2>/dev/null)" = true ] || { echo "    $1: not true: $2"; return 1; }
}
# widest line of file $1 (characters, a UTF-8 sequence counted once)
widest() { LC_ALL=C.UTF-8 awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$1"; }
narrow() {  # narrow FILE [MAX]: no line wider than MAX (80)
	w=$(widest "$1")
	[ "$w" -le "${2:-80}" ] || { echo "    $1: a line of $w columns (most ${2:-80})"; return 1; }
}

# ---- 1. help everywhere ----
COMMANDS="run gen record info report compare plan merge"

help_command() {
	expect_exit 0 "$BENCH" help && out_has "usage: " && out_has "commands:" &&
		[ ! -s "$ERR" ] && narrow "$OUT" || return 1
	for c in $COMMANDS help; do
		expect_exit 0 "$BENCH" help "$c" || return 1
		[ -s "$OUT" ] && [ ! -s "$ERR" ] || { echo "    help $c: no help on stdout"; return 1; }
	done
}
check "bench help: the help on stdout, exit 0; help COMMAND for every command" help_command

every_command_helps() {
	for c in $COMMANDS; do
		for h in --help -h; do
			expect_exit 0 "$BENCH" "$c" "$h" || return 1
			out_has "usage: bench $c" && narrow "$OUT" || return 1
			[ ! -s "$ERR" ] || { echo "    $c $h wrote to stderr"; return 1; }
		done
		"$BENCH" "$c" --help > "$TMP/a" 2>&1
		"$BENCH" help "$c" > "$TMP/b" 2>&1
		cmp -s "$TMP/a" "$TMP/b" || { echo "    help $c differs from $c --help"; return 1; }
	done
}
check "every command answers --help and -h on stdout within 80 columns, as help COMMAND does" \
	every_command_helps

no_arguments() {
	expect_exit 2 "$BENCH" && err_has "usage: bench --alloc" && err_has "commands:" &&
		[ ! -s "$OUT" ] && ! grep -q "is required" "$ERR"
}
check "bench with no arguments: the usage on stderr, exit 2 (not '--alloc is required')" no_arguments

help_unknown() {
	expect_exit 2 "$BENCH" help nope && err_has "bench: help: unknown command 'nope'" &&
		err_has "report" && [ ! -s "$OUT" ] &&
	expect_exit 2 "$BENCH" help gen run && err_has "bench: help: one command at a time"
}
check "help of an unknown command, or of two: exit 2" help_unknown

named_as_started() {
	ln -s "$ABS_BENCH" "$TMP/heaplab-bench" &&
	expect_exit 0 "$TMP/heaplab-bench" --help && out_has "usage: heaplab-bench --alloc" &&
		! grep -q "bench --alloc" "$OUT" | grep -v heaplab &&
	expect_exit 0 "$TMP/heaplab-bench" help gen && out_has "usage: heaplab-bench gen" &&
	expect_exit 0 "$TMP/heaplab-bench" help compare && out_has "usage: heaplab-bench compare" &&
	expect_exit 2 "$TMP/heaplab-bench" --alloc tlsf &&
		err_has "bench: --trace is required (see heaplab-bench --help)"
}
check "help texts name the program as started; diagnostics keep the bench: prefix" named_as_started

plot_help() {
	for h in --help -h help; do
		expect_exit 0 sh plot.sh $h && out_has "-o DIR" && out_has "RESULTS" &&
			[ ! -s "$ERR" ] || return 1
	done
	expect_exit 2 sh plot.sh --bogus && err_has "plot.sh: unknown option --bogus" &&
	expect_exit 2 sh plot.sh -x && err_has "plot.sh: unknown option -x"
}
check "plot.sh --help, -h and help print the usage, exit 0; a bad option exits 2" plot_help

# ---- 2. failed allocations are not hidden ----
# web.trace's peak live is 5 MiB: under a 1 MiB limit many allocations fail.
single_limit() {
	expect_exit 0 "$BENCH" --alloc tlsf --trace $WEB --heap-limit 1M --runs 1 --no-progress \
		--out "$TMP/lim.json" || return 1
	err_has "failed allocations" && err_has "not comparable" &&
		err_has "check        passed (1 self-check, every block verified), with failed allocations" &&
	jq_true "$TMP/lim.json" '.status == "ok" and .ops.failed_allocations > 0
		and .memory.peak_break_bytes <= 1048576'
}
check "--heap-limit: the summary says allocations failed and the figures are not comparable" single_limit

PEER=glibc
[ $SANITIZED -eq 1 ] && PEER=bump
"$BENCH" --alloc tlsf,implicit-first,$PEER --trace $BASIC,$WEB --heap-limit 1M --runs 1 \
	--no-progress --out "$TMP/suite" > "$TMP/table" 2> "$TMP/table.err"
SUITE_RC=$?

suite_limit() {
	[ $SUITE_RC -eq 0 ] || { echo "    suite exit $SUITE_RC"; cat "$TMP/table.err"; return 1; }
	grep -q "fail+skip" "$TMP/table" &&
	grep -q "not comparable" "$TMP/table" &&
	# web.trace's tlsf row: ok, with failed+skipped ops in the last column
	awk '/^workloads\/web.trace/ { w = 1 } w && $1 == "tlsf" { print $NF }' "$TMP/table" |
		grep -Eq '^[1-9][0-9]*\+[0-9]+$' &&
	awk '/^workloads\/basic.trace/ { b = 1 } /^workloads\/web/ { b = 0 }
		b && $1 == "tlsf" { print $2, $NF }' "$TMP/table" | grep -qx "ok 0" &&
	jq_true "$TMP/suite/summary.json" '[.cells[] | select(.allocator == "tlsf")]
		| (.[0].failed_allocations == 0 and .[1].failed_allocations > 0
		   and (.[1].skipped_ops | type) == "number")'
}
check "suite under --heap-limit: failed+skipped ops in the table and summary.json, a note" suite_limit

# ---- 3. peers: what was checked, and no impossible ratio ----
if [ $SANITIZED -eq 0 ]; then
	peer_check_line() {
		expect_exit 0 "$BENCH" --alloc glibc --trace $BASIC --runs 1 --no-progress &&
		out_has "a library has no self-check or heap bounds" &&
		! grep -q "self-check," "$OUT"
	}
	check "a peer's check line says what was verified and that it has no self-check" peer_check_line

	# A library whose pool is resident before the memory pass's baseline: the
	# RSS grows less than the live bytes; the ratio is unknown, never > 100%.
	awk 'BEGIN { for (i = 1; i <= 2500; i++) print "a " i " 496"
	             for (i = 1; i <= 2500; i++) print "f " i }' > "$TMP/pool.trace"
	impossible_ratio() {
		TESTMALLOC_PREFAULT=1 expect_exit 0 "$BENCH" --alloc "$TESTLIB_DIR/libtestmalloc.so" \
			--trace "$TMP/pool.trace" --runs 1 --no-progress --json || return 1
		jq_true "$OUT" '.memory.utilization_rss == null and .memory.peak_rss_bytes < .memory.peak_live_bytes
			and (.memory.rss_note | contains("not known"))' &&
		cp "$OUT" "$TMP/pool.json" &&
		err_has "util (RSS)   not known" && ! grep -q "util (RSS)   [0-9]" "$ERR" &&
		expect_exit 0 "$BENCH" report --fields allocator,utilization_rss,peak_rss_bytes "$TMP/pool.json" &&
		[ "$(sed -n 2p "$OUT" | cut -f2)" = "" ] &&
		TESTMALLOC_PREFAULT=1 expect_exit 0 "$BENCH" --alloc "$TESTLIB_DIR/libtestmalloc.so,tlsf" \
			--trace "$TMP/pool.trace" --runs 1 --no-progress --out "$TMP/pool" &&
		awk '$1 == "libtestmalloc" { print $(NF - 1) }' "$OUT" | grep -qx '?' && out_has "util RSS ?:" &&
		jq_true "$TMP/pool/summary.json" '.cells[0].utilization_rss == null
			and .cells[1].utilization_rss <= 1'
	}
	check "RSS below the live bytes: util RSS null with a note, ? in the table, read back" impossible_ratio
else
	skip "peer check line and RSS ratio: a sanitizer build runs no peer"
fi

# ---- 4. within 80 columns, and the progress line ----
table_narrow() { narrow "$TMP/table"; }
check "the suite table fits 80 columns" table_narrow

list_narrow() {
	expect_exit 0 "$BENCH" --list || return 1
	# not a terminal: one line per allocator, for scripts
	[ "$(awk '/^ / { n++ } END { print n + 0 }' "$OUT")" -eq 0 ] || return 1
	script -qec "stty cols 200; $ABS_BENCH --list" /dev/null < /dev/null | tr -d '\r' > "$TMP/list"
	narrow "$TMP/list" &&
	[ "$(grep -c '^[a-z]' "$TMP/list")" -eq "$(grep -c '^[a-z]' "$OUT")" ] &&
	# (a library's path is one word: it may stand alone on a longer line)
	script -qec "stty cols 50; $ABS_BENCH --list" /dev/null < /dev/null | tr -d '\r' |
		grep -v / > "$TMP/list"
	narrow "$TMP/list" 50
}
if command -v script > /dev/null 2>&1; then
	check "--list on a terminal is wrapped to its width (at most 80); piped, one line each" list_narrow
else
	skip "--list on a terminal: no script(1)"
fi

# the progress line, as a terminal shows it: split at carriage returns
progress_segments() { tr '\r' '\n' < "$1" | sed 's/\x1b\[K//g' | grep -v '^$'; }

progress_cut() {
	script -qec "stty cols 40; $ABS_BENCH --alloc bump,tlsf,implicit-first --trace $BASIC,$WEB \
		--runs 1 -q --out $TMP/prog" /dev/null < /dev/null > "$TMP/prog.tty"
	progress_segments "$TMP/prog.tty" | grep '^\[' > "$TMP/prog.lines" &&
	grep -q '^\[1/6\] bump on basic.trace' "$TMP/prog.lines" &&
	grep -q '^\[6/6\]' "$TMP/prog.lines" &&
	narrow "$TMP/prog.lines" 39
}
single_heartbeat() {
	# a single cell that runs 2 s (a malloc that never returns): the line
	# appears after a second, with the pass and op it reached, even with -q
	script -qec "stty cols 100; $ABS_BENCH_TEST --alloc test-hang --trace $WEB \
		--timeout 2 -q" /dev/null < /dev/null > "$TMP/hb.tty"
	progress_segments "$TMP/hb.tty" | grep '^test-hang on' > "$TMP/hb.lines" &&
	grep -Eq '^test-hang on web.trace  checked pass, op [0-9]+/30000  elapsed 0:0[12]$' \
		"$TMP/hb.lines" &&
	narrow "$TMP/hb.lines" 99 &&
	script -qec "stty cols 100; $ABS_BENCH_TEST --alloc test-hang --trace $WEB \
		--timeout 2 -q --no-progress" /dev/null < /dev/null > "$TMP/hb.tty"
	# (script exits with bench's status, 1 for the timeout)
	grep -q "timed out" "$TMP/hb.tty" && ! grep -q "elapsed" "$TMP/hb.tty"
}
if command -v script > /dev/null 2>&1; then
	ABS_BENCH_TEST=$(cd "$(dirname "$BENCH_TEST")" && pwd)/$(basename "$BENCH_TEST")
	check "the progress line is cut to the terminal's width; -q keeps it" progress_cut
	check "a single long cell shows a heartbeat (pass, op, elapsed); --no-progress hides it" \
		single_heartbeat
else
	skip "the progress line: no script(1)"
fi

no_progress_off_tty() {
	expect_exit 0 "$BENCH" --alloc bump,tlsf --trace $BASIC --runs 1 --out "$TMP/np" &&
	! grep -q "$(printf '\r')" "$ERR"
}
check "no progress line when stderr is not a terminal" no_progress_off_tty

# ---- 6. report --format markdown, ready to paste ----
md_report() {
	expect_exit 0 "$BENCH" report --format markdown "$TMP/suite" || return 1
	narrow "$OUT" &&
	out_has "**web.trace** (30000 ops)" && out_has "| allocator |" &&
	out_has " MiB |" && out_has "| failed |" &&
	! grep -Eq '[0-9]{6,}\.[0-9]' "$OUT" &&     # no raw floats like 40072536.5
	if [ $SANITIZED -eq 0 ]; then
		out_has "| x glibc |" && out_has "| 1.00x |" &&
		# a peer has no break, but its util RSS is there
		grep '^| glibc (peer) |' "$OUT" | awk -F '|' '{ print $5, $8 }' | grep -Eq '^ - +[0-9.]+% $'
	fi
}
check "report --format markdown: per-trace tables in units, a ratio column, peers' util RSS" md_report

md_reference() {
	expect_exit 0 "$BENCH" report --format markdown --reference tlsf "$TMP/suite" &&
	out_has "| x tlsf |" &&
	[ "$(grep -c '^| tlsf | [0-9.]* | 1.00x |' "$OUT")" -eq 2 ] &&
	expect_exit 2 "$BENCH" report --format markdown --reference nope "$TMP/suite" &&
	err_has "bench: report: --reference nope: no result of that allocator" &&
	expect_exit 0 "$BENCH" report --format markdown --fields allocator,ops_per_sec_median,peak_rss_bytes,utilization_rss "$TMP/suite" &&
	out_has " Mops/s |" && out_has "iB |" && out_has "% |"
}
check "report --reference ALLOC; an unknown one exits 2; --fields in markdown in units" md_reference

# ---- 5. plot.sh ----
if command -v gnuplot > /dev/null 2>&1; then
	THR_ALLOCS=tlsf,bump,glibc
	[ $SANITIZED -eq 1 ] && THR_ALLOCS=tlsf,bump
	"$BENCH" --alloc $THR_ALLOCS --trace workloads/mt-cache.trace --threads --runs 1 \
		--no-progress -q --out "$TMP/thr" 2> /dev/null
	plot_threads() {
		mkdir -p "$TMP/cwd" &&
		(cd "$TMP/cwd" && BENCH=$ABS_BENCH sh "$ROOT/plot.sh" "$TMP/thr") > "$OUT" 2> "$ERR" || {
			echo "    plot.sh failed: $(cat "$ERR")"; return 1; }
		# named after the results folder; no footprint (no timeline), the rest drawn
		[ -f "$TMP/cwd/charts/thr/throughput.png" ] && [ -f "$TMP/cwd/charts/thr/memory.svg" ] &&
		[ ! -f "$TMP/cwd/charts/thr/footprint.png" ] && err_has "no footprint chart" &&
		[ -z "$(ls -A "$TMP/cwd/charts" | grep -v '^thr$')" ]
	}
	check "plot.sh charts --threads results (no footprint), into charts/<results folder>" plot_threads

	plot_no_half_folder() {
		mkdir -p "$TMP/badres" && cp -r "$TMP/suite/tlsf" "$TMP/badres/" &&
		echo '{"schema": "heaplab-result", "broken": ' > "$TMP/badres/tlsf/zz.json" &&
		expect_exit 2 env BENCH="$ABS_BENCH" sh plot.sh -o "$TMP/charts/bad" "$TMP/badres" &&
		[ ! -e "$TMP/charts/bad" ] && [ -z "$(ls -A "$TMP/charts")" ] &&
		# -t naming a trace without a timeline: exit 2, and nothing left either
		expect_exit 2 env BENCH="$ABS_BENCH" sh plot.sh -o "$TMP/charts/t" -t mt-cache.trace "$TMP/thr" &&
		[ -z "$(ls -A "$TMP/charts")" ] &&
		# a folder that is not a chart folder is never replaced
		mkdir -p "$TMP/charts/mine" && echo keep > "$TMP/charts/mine/notes.txt" &&
		expect_exit 2 env BENCH="$ABS_BENCH" sh plot.sh -o "$TMP/charts/mine" "$TMP/suite" &&
		err_has "not a chart folder" && [ -f "$TMP/charts/mine/notes.txt" ]
	}
	check "plot.sh: a failure leaves no chart folder, no temporary one; a foreign folder is kept" \
		plot_no_half_folder

	plot_order_colours() {
		expect_exit 0 env BENCH="$ABS_BENCH" sh plot.sh -o "$TMP/charts/s" "$TMP/suite" || return 1
		d=$TMP/charts/s
		# built-ins first, then peers
		if [ $SANITIZED -eq 0 ]; then
			[ "$(tr '\n' ' ' < "$d/allocators.list")" = "implicit-first tlsf glibc " ] || {
				echo "    order: $(tr '\n' ' ' < "$d/allocators.list")"; return 1; }
		fi
		# 20 distinct colours; the footprint's x axis in k/M, not 1e+06
		[ "$(grep -o "lc rgb '#[0-9a-f]*'" "$d/throughput.gp" | sort -u | wc -l)" -ge 20 ] &&
		grep -q "set format x '%.1s%c'" "$d/footprint.gp" &&
		grep -q "dt" "$d/footprint.gp" &&
		# the scripts name their tables relatively: they still run in the folder
		(cd "$d" && gnuplot -e "set terminal svg; set output '/dev/null'" throughput.gp) &&
		# an earlier chart folder is replaced
		expect_exit 0 env BENCH="$ABS_BENCH" sh plot.sh -o "$TMP/charts/s" "$TMP/suite" &&
		[ -f "$d/throughput.png" ] && [ -z "$(ls -A "$TMP/charts" | grep '^\.')" ]
	}
	check "plot.sh: built-ins then peers, 20 colours, readable op counts, replaceable folder" \
		plot_order_colours
else
	skip "plot.sh charts: gnuplot is not installed"
fi

# ---- 7. make install / uninstall ----
install_uninstall() {
	D=$TMP/dest
	make -s --no-print-directory -C "$ROOT" install DESTDIR="$D" PREFIX=/opt/hl \
		BENCH="$BENCH" -o "$BENCH" > "$TMP/inst.log" 2>&1 || {
		echo "    make install failed: $(tail -3 "$TMP/inst.log")"; return 1; }
	P=$D/opt/hl
	for f in bin/heaplab-bench bin/heaplab-plot lib/heaplab/libheaplab-record.so \
		lib/heaplab/libheaplab-tlsf.so share/man/man1/heaplab-bench.1 \
		share/man/man1/heaplab-plot.1 share/bash-completion/completions/heaplab-bench; do
		[ -e "$P/$f" ] || { echo "    not installed: $f"; return 1; }
	done
	expect_exit 0 "$P/bin/heaplab-bench" --help && out_has "usage: heaplab-bench --alloc" || return 1
	expect_exit 0 "$P/bin/heaplab-plot" --help && out_has "heaplab-plot [-o DIR]" || return 1
	# the installed bench finds its libraries beside itself
	expect_exit 0 env -u HEAPLAB_LIB_DIR "$P/bin/heaplab-bench" run --alloc tlsf -- true || return 1
	if command -v groff > /dev/null 2>&1; then
		for m in "$P"/share/man/man1/*.1; do
			groff -man -Tutf8 -ww -z "$m" 2> "$TMP/groff" && [ ! -s "$TMP/groff" ] ||
				{ echo "    $m: $(head -2 "$TMP/groff")"; return 1; }
		done
	fi
	if command -v bash > /dev/null 2>&1; then
		got=$(PATH=$P/bin:$PATH bash -c '. "$1"; COMP_WORDS=(heaplab-bench --alloc tlsf,bu); COMP_CWORD=2
			_heaplab_bench; echo "${COMPREPLY[*]}"' _ \
			"$P/share/bash-completion/completions/heaplab-bench")
		case " $got " in *" tlsf,buddy "*) ;; *) echo "    completion: '$got'"; return 1 ;; esac
	fi
	make -s --no-print-directory -C "$ROOT" uninstall DESTDIR="$D" PREFIX=/opt/hl \
		BENCH="$BENCH" > "$TMP/inst.log" 2>&1 || { echo "    make uninstall failed"; return 1; }
	left=$(find "$D" ! -type d | head -3)
	[ -z "$left" ] || { echo "    left after uninstall: $left"; return 1; }
}
if [ -f build/libheaplab-record.so ] && [ -f build/lib/libheaplab-tlsf.so ]; then
	check "make install (DESTDIR, PREFIX): bench, plot, libraries, man pages, completion; uninstall" \
		install_uninstall
else
	skip "make install: build/ has no plain build of the libraries (run make)"
fi

# ---- 8. the README's example leaves nothing behind ----
readme_run_example() {
	cmd=$(grep -o '`./bench run [^`]*sqlite3[^`]*`' README.md | head -1 | tr -d '`')
	[ -n "$cmd" ] || { echo "    no sqlite3 example in README.md"; return 1; }
	mkdir -p "$TMP/empty" &&
	(cd "$TMP/empty" && eval "$ABS_BENCH ${cmd#./bench }") > "$OUT" 2> "$ERR" || {
		echo "    $cmd failed"; return 1; }
	[ -z "$(ls -A "$TMP/empty")" ] || { echo "    left behind: $(ls -A "$TMP/empty")"; return 1; }
}
if command -v sqlite3 > /dev/null 2>&1 && [ $SANITIZED -eq 0 ]; then
	check "the README's bench run sqlite3 example leaves no file behind" readme_run_example
else
	skip "README sqlite3 example: no sqlite3, or a sanitizer build"
fi

[ $SKIPPED -gt 0 ] && echo "$SKIPPED skipped (not counted)"
finish
