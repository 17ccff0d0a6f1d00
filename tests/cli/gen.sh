#!/bin/sh
# tests/cli/gen.sh - bench gen: usage errors, determinism, atomic output,
# and bench info on what it writes.
. tests/lib.sh

bad_profile() {
	expect_exit 2 "$BENCH" gen nosuch -o "$TMP/x.trace" || return 1
	err_has 'unknown profile "nosuch"' && err_has "web" && [ ! -e "$TMP/x.trace" ]
}
check gen_unknown_profile_exits_2_and_lists_profiles bad_profile

bad_ops() {
	expect_exit 2 "$BENCH" gen web --ops abc -o "$TMP/x.trace" || return 1
	err_has "--ops abc" || return 1
	expect_exit 2 "$BENCH" gen web --ops 0 -o "$TMP/x.trace" || return 1
	expect_exit 2 "$BENCH" gen web --ops 12x -o "$TMP/x.trace" || return 1
	expect_exit 2 "$BENCH" gen web --seed -1 -o "$TMP/x.trace" || return 1
	[ ! -e "$TMP/x.trace" ]
}
check gen_rejects_bad_numbers bad_ops

no_output() {
	expect_exit 2 "$BENCH" gen web && err_has "-o FILE" || return 1
	expect_exit 2 "$BENCH" gen && err_has "which profile" || return 1
	expect_exit 2 "$BENCH" gen web extra -o "$TMP/x.trace" || return 1
	expect_exit 2 "$BENCH" gen web --frobnicate -o "$TMP/x.trace"
}
check gen_requires_profile_and_output no_output

deterministic() {
	for p in $("$BENCH" gen --list); do
		[ "$p" = grow ] && ops=50000 || ops=3000
		"$BENCH" gen "$p" --ops $ops --seed 7 -o "$TMP/a.trace" || return 1
		mv "$TMP/a.trace" "$TMP/b.trace"
		"$BENCH" gen "$p" --ops $ops --seed 7 -o "$TMP/a.trace" || return 1
		cmp -s "$TMP/a.trace" "$TMP/b.trace" || { echo "    $p: same seed differs"; return 1; }
		"$BENCH" gen "$p" --ops $ops --seed 8 -o "$TMP/c.trace" || return 1
		# the operations differ, not just the header
		grep -v '^#' "$TMP/a.trace" > "$TMP/a.ops"; grep -v '^#' "$TMP/c.trace" > "$TMP/c.ops"
		cmp -s "$TMP/a.ops" "$TMP/c.ops" && { echo "    $p: seed ignored"; return 1; }
	done
	return 0
}
check gen_same_seed_same_bytes_other_seed_other_bytes deterministic

stdout_same_as_file() {
	"$BENCH" gen database --ops 2000 --seed 3 -o - > "$TMP/s.trace" || return 1
	"$BENCH" gen database --ops 2000 --seed 3 -o "$TMP/f.trace" || return 1
	# identical apart from the regenerate line, which names the output
	grep -v '^# regenerate' "$TMP/s.trace" > "$TMP/s2" &&
	grep -v '^# regenerate' "$TMP/f.trace" > "$TMP/f2" && cmp -s "$TMP/s2" "$TMP/f2"
}
check gen_dash_writes_standard_output stdout_same_as_file

header_and_count() {
	"$BENCH" gen compiler --ops 1234 --seed 5 -o "$TMP/h.trace" || return 1
	grep -q '^# .*profile compiler, seed 5, 1234 ops' "$TMP/h.trace" || return 1
	grep -qF '# regenerate: bench gen compiler --ops 1234 --seed 5 -o' "$TMP/h.trace" || return 1
	[ "$(grep -vc '^#' "$TMP/h.trace")" -eq 1234 ] || return 1
	"$BENCH" info "$TMP/h.trace" --json > "$OUT" 2> "$ERR" || return 1
	grep -q '"ops": 1234' "$OUT"
}
check gen_writes_header_and_exactly_ops_operations header_and_count

every_profile_replays() {
	for p in $("$BENCH" gen --list); do
		[ "$p" = grow ] && ops=20000 || ops=5000
		"$BENCH" gen "$p" --ops $ops -o "$TMP/p.trace" || return 1
		"$BENCH" --alloc bump --trace "$TMP/p.trace" -q > /dev/null 2> "$ERR" ||
			{ echo "    $p does not replay"; return 1; }
	done
}
check gen_every_profile_replays_checked every_profile_replays

atomic_keeps_old_file_on_error() {
	echo old > "$TMP/keep.trace"
	chmod 555 "$TMP" 2>/dev/null
	"$BENCH" gen web --ops 100 -o "$TMP/keep.trace" > /dev/null 2> "$ERR"
	rc=$?
	chmod 755 "$TMP"
	[ "$(id -u)" -eq 0 ] && return 0   # root writes anyway: nothing to see
	[ "$rc" -eq 3 ] && [ "$(cat "$TMP/keep.trace")" = old ]
}
check gen_failed_write_leaves_old_file atomic_keeps_old_file_on_error

to_device() {
	expect_exit 0 "$BENCH" gen web --ops 100 -o /dev/null && [ -c /dev/null ]
}
check gen_writes_into_a_device_instead_of_replacing_it to_device

no_temp_left() {
	"$BENCH" gen random --ops 500 -o "$TMP/r.trace" || return 1
	[ "$(ls -A "$TMP" | grep -c 'r\.trace\.')" -eq 0 ]
}
check gen_leaves_no_temporary_file no_temp_left

info_errors() {
	printf 'a 1 10\nf 2\n' > "$TMP/bad.trace"
	expect_exit 2 "$BENCH" info "$TMP/bad.trace" || return 1
	err_has "bad.trace:2:" || return 1
	expect_exit 2 "$BENCH" info || return 1
	# a missing input is bad input, as for `bench --trace`
	expect_exit 2 "$BENCH" info "$TMP/nonexistent.trace" && err_has "nonexistent.trace"
}
check info_reports_invalid_trace_with_line info_errors

info_figures() {
	printf 'a 1 100\na 2 30\nr 1 200\nr 1 100\nf 2\nm 3 64 10\n' > "$TMP/i.trace"
	expect_exit 0 "$BENCH" info "$TMP/i.trace" --json || return 1
	for want in '"peak_live_bytes": 230' '"peak_live_blocks": 2' '"live_at_end": 2' \
	            '"grow": 1' '"shrink": 1' '"mean_factor": 1.25' '"max_align": 64'; do
		out_has "$want" || return 1
	done
	expect_exit 0 "$BENCH" info "$TMP/i.trace" || return 1
	out_has "peak live    230 bytes in 2 blocks"
}
check info_computes_peak_growth_and_alignment info_figures

# The shipped synthetic traces are what their header says: the README's
# figures stay true only if a profile change comes with regenerated traces.
library_matches_regenerate_lines() {
	for f in workloads/*.trace; do
		cmd=$(sed -n 's/^# regenerate: bench gen //p' "$f")
		[ -n "$cmd" ] || continue
		set -- $cmd
		"$BENCH" gen "$1" "$2" "$3" "$4" "$5" -o "$TMP/re.trace" || return 1
		grep -v '^#' "$f" > "$TMP/want"; grep -v '^#' "$TMP/re.trace" > "$TMP/got"
		cmp -s "$TMP/want" "$TMP/got" || { echo "    $f differs from: bench gen $cmd"; return 1; }
	done
}
check gen_shipped_traces_match_their_regenerate_command library_matches_regenerate_lines

# Every row of the README's table of generated and recorded traces gives the
# figures bench info computes (ops, peak live bytes / blocks, live at end).
readme_table_true() {
	grep -E '^\| [a-z0-9-]+\.trace \|' workloads/README.md | while IFS='|' read -r _ name _ _ ops peak end _; do
		name=$(echo $name); ops=$(echo $ops | tr -d ,); end=$(echo $end | tr -d ,)
		bytes=$(echo "$peak" | sed 's| */.*||' | tr -d ', '); blocks=$(echo "$peak" | sed 's|.*/ *||' | tr -d ', ')
		"$BENCH" info "workloads/$name" --json > "$TMP/ri.json" 2> "$ERR" || { echo "    $name"; return 1; }
		for want in "\"ops\": $ops," "\"peak_live_bytes\": $bytes," \
		            "\"peak_live_blocks\": $blocks," "\"live_at_end\": $end,"; do
			grep -qF "$want" "$TMP/ri.json" || { echo "    $name: README says $want"; return 1; }
		done
	done
}
check gen_readme_table_figures_match_bench_info readme_table_true

option_forms() {
	"$BENCH" gen random --ops=300 --seed=4 --output="$TMP/f1.trace" || return 1
	"$BENCH" gen random --seed 4 -o "$TMP/f2.trace" --ops 300 || return 1
	grep -v '^# regenerate' "$TMP/f1.trace" > "$TMP/f1" &&
	grep -v '^# regenerate' "$TMP/f2.trace" > "$TMP/f2" && cmp -s "$TMP/f1" "$TMP/f2" || return 1
	expect_exit 2 "$BENCH" gen random --ops && err_has "bench: gen: --ops needs a value" || return 1
	expect_exit 2 "$BENCH" gen random -o '' && err_has "bench: gen: -o: empty file name" || return 1
	expect_exit 0 "$BENCH" gen --help && out_has "usage: bench gen PROFILE" && [ ! -s "$ERR" ]
}
check gen_takes_each_option_as_NAME_VALUE_or_NAME_eq_VALUE_in_any_order option_forms

through_dangling_link() {
	mkdir "$TMP/links" && ln -s target.trace "$TMP/links/l.trace" &&
	"$BENCH" gen random --ops 100 -o "$TMP/links/l.trace" || return 1
	[ -L "$TMP/links/l.trace" ] && [ "$(grep -vc '^#' "$TMP/links/target.trace")" -eq 100 ] &&
	[ "$(ls -A "$TMP/links" | tr '\n' ' ')" = "l.trace target.trace " ]
}
check gen_writes_through_a_dangling_symlink_and_keeps_it through_dangling_link

info_options() {
	"$BENCH" gen random --ops 100 -o "$TMP/i.trace" || return 1
	expect_exit 0 "$BENCH" info "$TMP/i.trace" --json && jq -e '.ops == 100' "$OUT" > /dev/null || return 1
	expect_exit 0 "$BENCH" info --help && out_has "usage: bench info FILE" || return 1
	expect_exit 2 "$BENCH" info "$TMP/i.trace" "$TMP/i.trace" && err_has "one trace at a time" || return 1
	expect_exit 2 "$BENCH" info --jsn "$TMP/i.trace" && err_has "unknown option --jsn"
}
check info_takes_json_anywhere_and_refuses_unknown_options info_options

finish
