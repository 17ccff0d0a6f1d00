#!/bin/sh
# tests/cli/program_cells.sh - whole programs as benchmarks (`bench run
# --alloc A,B --runs N`, docs/run.md): a program cell's fields, an output
# mismatch, a crash and a timeout reported without stopping the suite, the
# --programs file, report/compare/plot.sh on a folder mixing trace and
# program cells, and bench record noticing a wrapper that execs a program.
# Cheap: tiny programs of tests/programs/, one or two runs.
. tests/lib.sh

LIBDIR=${HEAPLAB_LIB_DIR:-build/lib}
[ -n "${HEAPLAB_LIB_DIR:-}" ] || HEAPLAB_LIB_DIR="$PWD/$LIBDIR"
export HEAPLAB_LIB_DIR
PROGDIR=${PROGS:-build/tests/programs}
PROGDIR=$(cd "$PROGDIR" && pwd)

# field FILE.tsv ROW COLUMN-NAME: a value of a `bench report` table
field() {
	awk -F '\t' -v row="$2" -v name="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == row { print $c[name]; exit }' "$1"
}

cell_fields() {
	expect_exit 0 "$BENCH" run --alloc glibc,tlsf --runs 2 --out "$TMP/cell" \
		-- "$PROGDIR/crasher" 2000 normal || return 1
	[ -f "$TMP/cell/glibc/crasher.json" ] && [ -f "$TMP/cell/tlsf/crasher.json" ] || return 1
	"$BENCH" report "$TMP/cell" > "$TMP/cell.tsv" 2> "$ERR" || return 1
	for a in glibc tlsf; do
		[ "$(field "$TMP/cell.tsv" $a status)" = ok ] || { echo "    $a not ok"; return 1; }
		[ "$(field "$TMP/cell.tsv" $a runs)" = 2 ] || { echo "    $a: runs"; return 1; }
		[ "$(field "$TMP/cell.tsv" $a program)" = crasher ] || return 1
		awk -v w="$(field "$TMP/cell.tsv" $a wall_s_median)" \
		    -v lo="$(field "$TMP/cell.tsv" $a wall_s_min)" \
		    -v hi="$(field "$TMP/cell.tsv" $a wall_s_max)" \
		    -v rss="$(field "$TMP/cell.tsv" $a peak_rss_bytes)" \
		    -v flt="$(field "$TMP/cell.tsv" $a minor_faults)" \
		    'BEGIN { exit !(w > 0 && w < 10 && lo <= w && w <= hi && rss > 100000 &&
		                    flt > 10) }' || { echo "    $a: time/RSS/faults not sane"; return 1; }
	done
	# built-ins have the exact figures of their preload library, peers do not
	[ "$(field "$TMP/cell.tsv" tlsf peak_break_bytes)" -gt 2000 ] &&
	[ "$(field "$TMP/cell.tsv" tlsf provider_calls)" -gt 0 ] &&
	[ -z "$(field "$TMP/cell.tsv" glibc peak_break_bytes)" ] &&
	[ "$(field "$TMP/cell.tsv" glibc wall_ratio_glibc)" = 1.000 ] || return 1
	# the checksum is the sha256 of what the program printed
	want=$(printf 'allocated 2000\n' | sha256sum | cut -d' ' -f1)
	"$BENCH" report --fields allocator,output_sha256 "$TMP/cell" > "$OUT" &&
	[ "$(grep -c "$want" "$OUT")" = 2 ] || { echo "    output sha256"; return 1; }
	grep -q '"schema_version": 2' "$TMP/cell/tlsf/crasher.json" &&
	grep -q '"cell": "program"' "$TMP/cell/tlsf/crasher.json"
}
check "a program cell records time, RSS, faults, break and the output's sha256" cell_fields

rss_sampled() {
	# every 5 ms on an idle machine; a loaded one delays the parent's wake-ups
	expect_exit 0 "$BENCH" run --alloc glibc --runs 1 --out "$TMP/sleep" -- sleep 0.3 &&
	"$BENCH" report --rss-timeline "$TMP/sleep" > "$OUT" &&
	[ "$(wc -l < "$OUT")" -ge 6 ] &&
	awk -F '\t' 'NR > 1 && ($3 > 5000 || $4 < 100000 || $3 < last) { bad = 1 } NR > 1 { last = $3 }
		END { exit bad }' "$OUT"
}
check "RSS is sampled over time from the parent, peers included" rss_sampled

mismatch() {
	expect_exit 1 "$BENCH" run --alloc glibc,tlsf,buddy --runs 1 --out "$TMP/mm" \
		-- "$PROGDIR/which_malloc" &&
	"$BENCH" report "$TMP/mm" > "$TMP/mm.tsv" &&
	[ "$(field "$TMP/mm.tsv" glibc status)" = ok ] &&
	[ "$(field "$TMP/mm.tsv" tlsf status)" = output-mismatch ] &&
	[ "$(field "$TMP/mm.tsv" buddy status)" = output-mismatch ] &&
	grep -q "stdout differs from glibc's" "$TMP/mm/tlsf/which_malloc.json"
}
check "output that differs from glibc's is output-mismatch, and the suite goes on" mismatch

crash() {
	cat > "$TMP/two.list" <<EOF2
# a crash on heaplab only, then a program that works everywhere
heaponly  -- $PROGDIR/which_malloc crash
fine      -- $PROGDIR/crasher 100 normal
allcrash  -- $PROGDIR/crasher 100 segv
EOF2
	expect_exit 1 "$BENCH" run --alloc tlsf,glibc --runs 2 --out "$TMP/cr" \
		--programs "$TMP/two.list" &&
	"$BENCH" report --fields allocator,program,status,runs "$TMP/cr" > "$OUT" &&
	out_has "$(printf 'tlsf\theaponly\tcrashed\t0')" &&
	out_has "$(printf 'glibc\theaponly\tok\t2')" &&
	out_has "$(printf 'tlsf\tfine\tok\t2')" &&
	out_has "$(printf 'tlsf\tallcrash\tcrashed')" &&
	out_has "$(printf 'glibc\tallcrash\tcrashed')" &&
	err_has "killed by SIGSEGV"
}
check "a crash is reported as crashed and the next cells still run" crash

timeout() {
	expect_exit 1 "$BENCH" run --alloc glibc --runs 3 --timeout 0.3 --out "$TMP/to" \
		-- sleep 5 &&
	grep -q '"status": "timeout"' "$TMP/to/glibc/sleep.json"
}
check "a program that runs past --timeout is killed and reported as timeout" timeout

interrupted() {
	printf 'short -- true\nlong -- sleep 20\n' > "$TMP/int.list"
	"$BENCH" run --alloc glibc --runs 1 --out "$TMP/int" --programs "$TMP/int.list" \
		> "$OUT" 2> "$ERR" &
	pid=$!
	# once the short program's cell is written, the long one is running
	n=0
	while [ ! -f "$TMP/int/glibc/short.json" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	sleep 0.3
	start=$(date +%s)
	kill -INT $pid
	wait $pid
	rc=$?
	# bench did not wait for the 20 s program: it killed it
	[ $rc -eq 130 ] && [ $(($(date +%s) - start)) -lt 10 ] &&
	err_has "interrupted; 1 cell written" && [ ! -f "$TMP/int/glibc/long.json" ]
}
check "Ctrl-C kills the program running, keeps the cells written, exits 130" interrupted

bad_list() {
	printf 'ok -- true\nbroken dir=x\n' > "$TMP/bad.list"
	expect_exit 2 "$BENCH" run --alloc glibc --programs "$TMP/bad.list" &&
	err_has "bad.list:2: no command" &&
	printf 'a -- true\na -- false\n' > "$TMP/dup.list" &&
	expect_exit 2 "$BENCH" run --alloc glibc --programs "$TMP/dup.list" &&
	err_has "dup.list:2: program 'a' is already defined on line 1" &&
	expect_exit 2 "$BENCH" run --alloc glibc --runs 0 -- true &&
	expect_exit 2 "$BENCH" run --alloc glibc --programs "$TMP/dup.list" -- true
}
check "a bad --programs file or option is a usage error naming FILE:LINE" bad_list

mixed_folder() {
	mkdir -p "$TMP/mix" && cp -r "$TMP/cell/." "$TMP/mix/" &&
	"$BENCH" --alloc tlsf,buddy --trace workloads/basic.trace --runs 1 --out "$TMP/mix" \
		> /dev/null 2>&1 || return 1
	expect_exit 0 "$BENCH" report "$TMP/mix" &&
	out_has "$(printf 'tlsf\tbuiltin\tbasic.trace\tok')" &&
	out_has "$(printf 'tlsf\tbuiltin\tcrasher\tok')" &&
	expect_exit 0 "$BENCH" report --cells program "$TMP/mix" &&
	! grep -q basic.trace "$OUT" && out_has wall_s_median &&
	expect_exit 0 "$BENCH" report --cells trace "$TMP/mix" &&
	! grep -q crasher "$OUT" &&
	expect_exit 0 "$BENCH" compare "$TMP/mix" "$TMP/mix" &&
	out_has "no regression in 4 compared cells" && out_has "s wall" &&
	# the same folder with one program cell now crashed: a regression
	cp -r "$TMP/mix" "$TMP/mix2" &&
	sed -i 's/"status": "ok"/"status": "crashed"/' "$TMP/mix2/tlsf/crasher.json" &&
	expect_exit 1 "$BENCH" compare "$TMP/mix" "$TMP/mix2" &&
	out_has "status regressed to crashed" && out_has "REGRESSION: 1 of 4"
}
check "report and compare read a folder mixing trace and program cells" mixed_folder

compare_programs() {
	command -v jq > /dev/null 2>&1 || return 0
	rm -rf "$TMP/slow" && cp -r "$TMP/cell" "$TMP/slow" &&
	f=$TMP/slow/tlsf/crasher.json &&
	# every current run 10x slower than the slowest baseline run: a regression
	jq '.time.wall_seconds |= {median: (.max * 10), min: (.max * 10), max: (.max * 11)}' \
		"$TMP/cell/tlsf/crasher.json" > "$f" &&
	expect_exit 1 "$BENCH" compare "$TMP/cell" "$TMP/slow" && out_has "slower: best current" &&
	# within the spread: no verdict against it
	jq '.time.wall_seconds |= {median: (.max * 1.05), min: .min, max: (.max * 1.1)}' \
		"$TMP/cell/tlsf/crasher.json" > "$f" &&
	expect_exit 0 "$BENCH" compare "$TMP/cell" "$TMP/slow" &&
	# peak break 3% larger passes (a program is not exact), 20% larger fails
	jq '.memory.peak_break_bytes |= (. * 1.03 | floor)' "$TMP/cell/tlsf/crasher.json" > "$f" &&
	expect_exit 0 "$BENCH" compare "$TMP/cell" "$TMP/slow" &&
	jq '.memory.peak_break_bytes |= (. * 1.2 | floor)' "$TMP/cell/tlsf/crasher.json" > "$f" &&
	expect_exit 1 "$BENCH" compare "$TMP/cell" "$TMP/slow" && out_has "peak break grew"
}
check "compare judges program cells by wall time and memory, with a tolerance" compare_programs

old_and_bad_results() {
	# a program cell whose figures are missing although it is ok is refused
	sed 's/"time": {/"time_": {/' "$TMP/cell/tlsf/crasher.json" > "$TMP/bad.json" &&
	expect_exit 2 "$BENCH" report "$TMP/bad.json" &&
	err_has "time: null, but status ok" &&
	sed 's/"cell": "program"/"cell": "movie"/' "$TMP/cell/tlsf/crasher.json" > "$TMP/bad.json" &&
	expect_exit 2 "$BENCH" report "$TMP/bad.json" && err_has "neither" &&
	# schema version 1 trace results (results/baseline) are still read
	expect_exit 0 "$BENCH" report results/baseline
}
check "the reader checks program cells and still reads version 1 results" old_and_bad_results

plot_mixed() {
	command -v gnuplot > /dev/null 2>&1 || return 0
	BENCH=$BENCH expect_exit 0 sh plot.sh -o "$TMP/charts" "$TMP/mix" &&
	[ -s "$TMP/charts/programs-time.png" ] && [ -s "$TMP/charts/programs-memory.png" ] &&
	[ -s "$TMP/charts/throughput.png" ] &&
	BENCH=$BENCH expect_exit 0 sh plot.sh -o "$TMP/charts2" "$TMP/sleep" &&
	[ -s "$TMP/charts2/programs-footprint.png" ] && [ ! -e "$TMP/charts2/throughput.png" ]
}
check "plot.sh charts program cells, alone or next to trace cells" plot_mixed

record_exec_warning() {
	printf '#!/bin/sh\nexec "%s" 50 normal\n' "$PROGDIR/crasher" > "$TMP/wrapper"
	chmod +x "$TMP/wrapper"
	expect_exit 0 "$BENCH" record -o "$TMP/w.trace" -- "$TMP/wrapper" &&
	err_has "exec'd $PROGDIR/crasher" && err_has "NOT recorded" && err_has "--follow-exec" &&
	grep -q '^# program: ' "$TMP/w.trace" &&
	expect_exit 0 "$BENCH" record -o "$TMP/w.trace" --follow-exec -- "$TMP/wrapper" &&
	err_has "its operations are in $TMP/w.trace." &&
	side=$(grep -l "^# program: $PROGDIR/crasher (pid" "$TMP"/w.trace.*) &&
	expect_exit 0 "$BENCH" info "$side" && out_has "program      $PROGDIR/crasher" &&
	# a program that does not exec: no warning
	expect_exit 0 "$BENCH" record -o "$TMP/d.trace" -- "$PROGDIR/crasher" 50 normal &&
	! grep -q "exec'd" "$ERR"
}
check "bench record warns when the program execs another, and names each trace's program" \
	record_exec_warning

finish
