#!/bin/sh
# tests/cli/pair.sh - bench --interleave (the order of the timed passes, what
# the results record) and bench compare --pair on hand-set samples.
. tests/lib.sh

BT=${BENCH_TEST:-build/bench-test}

# ---- --interleave ----

# test-slow-* log every init (one per pass: checked, timed, memory) with
# HEAPLAB_SLOW_LOG: the order the passes ran in.
order_of() {
	rm -f "$TMP/log" "$TMP/$1" && rm -rf "$TMP/s-$1" &&
	HEAPLAB_SLOW_LOG=$TMP/log "$BT" --alloc test-slow-segregated,test-slow-tlsf \
		--trace workloads/basic.trace,workloads/coalesce.trace --runs 3 \
		--out "$TMP/s-$1" -q $2 2>"$ERR" &&
	tr '\n' ' ' < "$TMP/log" > "$TMP/$1"
}
interleaved_order() {
	order_of il --interleave &&
	# per trace: each cell's untimed work once (the checked pass, one timed
	# pass not kept, the memory pass), then 3 rounds of 5 timed passes a
	# cell, one pass at a time, the order reversed every turn
	want="segregated segregated segregated tlsf tlsf tlsf "
	turn=0
	while [ $turn -lt 15 ]; do
		if [ $((turn % 2)) = 0 ]; then want="${want}segregated tlsf "
		else want="${want}tlsf segregated "; fi
		turn=$((turn + 1))
	done
	[ "$(cat "$TMP/il")" = "$want$want" ] ||
		{ echo "    order: $(cat "$TMP/il")"; return 1; }
}
check "--interleave: timed passes alternate one at a time, A B, B A, ..." interleaved_order

plain_order() {
	order_of plain "" &&
	# checked + 3 timed passes in one child, then the memory pass: 5 inits a cell
	one="segregated segregated segregated segregated segregated tlsf tlsf tlsf tlsf tlsf "
	[ "$(cat "$TMP/plain")" = "$one$one" ] ||
		{ echo "    order: $(cat "$TMP/plain")"; return 1; }
}
check "without --interleave: each cell runs whole (unchanged)" plain_order

interleave_recorded() {
	f=$TMP/s-il/test-slow-tlsf/coalesce.json
	[ "$(jq '.options.interleave' "$f")" = true ] &&
	[ "$(jq '.options.round_passes' "$f")" = 5 ] &&
	[ "$(jq '.runs' "$f")" = 3 ] &&
	[ "$(jq '.throughput.samples_ns_per_op | length' "$f")" = 3 ] &&
	[ "$(jq '.throughput.passes | length' "$f")" = 3 ] &&
	[ "$(jq -r '.status' "$f")" = ok ] &&
	[ "$(jq '.options | has("interleave")' "$TMP/s-plain/test-slow-tlsf/coalesce.json")" \
		= false ]
}
check "--interleave: recorded in options, one pass kept per round" interleave_recorded

fastest_kept() {
	# each round keeps the pass with the least CPU time of its 5
	f=$TMP/s-il/test-slow-tlsf/coalesce.json
	jq -e '[.throughput.passes[] | .user_ns + .sys_ns] | all(. > 0)' "$f" > /dev/null
}
check "--interleave: the kept passes carry their CPU time" fastest_kept

nondeterministic_caught() {
	# state carried from one heap to the next: caught as in a plain run
	rm -rf "$TMP/nd" &&
	expect_exit 1 "$BT" --alloc broken-nondeterministic,bump --trace workloads/basic.trace \
		--interleave --runs 3 --out "$TMP/nd" -q &&
	jq -e '.status == "check-failed" and .memory.identical_across_runs == false' \
		"$TMP/nd/broken-nondeterministic/basic.json" > /dev/null &&
	jq -e '.status == "ok" and .runs == 3' "$TMP/nd/bump/basic.json" > /dev/null
}
check "--interleave: a non-deterministic allocator fails; the other cell goes on" \
	nondeterministic_caught

default_rounds() {
	rm -rf "$TMP/dr" &&
	"$BENCH" --alloc bump,tlsf --trace workloads/basic.trace --interleave --out "$TMP/dr" \
		-q 2>"$ERR" &&
	[ "$(jq '.runs' "$TMP/dr/tlsf/basic.json")" = 30 ] &&
	[ "$(jq '.throughput.passes | length' "$TMP/dr/bump/basic.json")" = 30 ]
}
check "--interleave without --runs: 30 rounds" default_rounds

nondeterministic_pass() {
	# each timed pass, in a process of its own, reproduced the checked pass
	jq -e '.memory.identical_across_runs == true and .check.violations == 0' \
		"$TMP/s-il/test-slow-segregated/basic.json" > /dev/null
}
check "--interleave: every timed pass reproduced the checked pass's memory" nondeterministic_pass

same_memory() {
	# the memory figures do not depend on the schedule
	for a in test-slow-segregated test-slow-tlsf; do
		for t in basic coalesce; do
			for k in '.memory.peak_break_bytes' '.memory.fragmentation' \
			         '.memory.identical_across_runs' '.check.violations'; do
				x=$(jq "$k" "$TMP/s-il/$a/$t.json")
				y=$(jq "$k" "$TMP/s-plain/$a/$t.json")
				[ "$x" = "$y" ] || { echo "    $a $t $k: $x vs $y"; return 1; }
			done
		done
	done
}
check "--interleave: memory figures and checks as without it" same_memory

one_alloc() {
	expect_exit 2 "$BENCH" --alloc bump --trace workloads/basic.trace --interleave &&
	err_has "--interleave alternates the timed passes of two or more allocators"
}
check "--interleave with one allocator: exit 2" one_alloc

with_count() {
	expect_exit 2 "$BENCH" --alloc bump,tlsf --trace workloads/basic.trace --interleave \
		--count &&
	err_has "--interleave cannot be combined with --count"
}
check "--interleave --count: exit 2" with_count

# ---- compare --pair ----

# A suite of bump and tlsf on two traces, interleaved, 8 rounds; the samples
# are then set by hand: a shared "load" pattern times a per-cell factor.
S=$TMP/suite
"$BENCH" --alloc bump,tlsf --trace workloads/basic.trace,workloads/coalesce.trace \
	--runs 8 --interleave --out "$S" -q 2>/dev/null || echo "setup: the suite failed"
load='[100, 250, 110, 300, 100, 140, 220, 190]'
# set_samples FACTOR ALLOC TRACE
set_samples() {
	jq --argjson k "$1" "del(.throughput.samples_cpu_ns_per_op) |
		.throughput.samples_ns_per_op = ($load | map(. * \$k))" \
		"$S/$2/$3.json" > "$TMP/x.json" && mv "$TMP/x.json" "$S/$2/$3.json"
}
for a in bump tlsf; do for t in basic coalesce; do set_samples 1 $a $t; done; done

pair_identical() {
	expect_exit 0 "$BENCH" compare --pair bump,tlsf "$S" &&
	out_has "no regression in 2 cells (2 judged)" && out_has "+0.0% [+0.0, +0.0]"
}
check "compare --pair: identical rounds pass, exit 0" pair_identical

pair_markdown_passes() {
	expect_exit 0 "$BENCH" compare --pair bump,tlsf --format markdown "$S" &&
	out_has "tlsf vs bump, paired rounds: change of wall time/op, with its interval at 99%" &&
	out_has "| | trace | change [CI] | p | verdict | note |" &&
	out_has "|---|---|---|---|---|---|" &&
	out_has "| ✅ | basic.trace | +0.0% [+0.0, +0.0] | 1.000 | ok |   |" &&
	out_has "| ✅ | coalesce.trace | +0.0% [+0.0, +0.0] | 1.000 | ok |   |" &&
	out_has "**✅ No regression** in 2 cells (2 judged)" &&
	out_has "Rules: signed-rank p < 0.01 and > 5% slower, per-round ratios." &&
	! grep -q "Regression\|❌" "$OUT" &&
	# text stays the default
	expect_exit 0 "$BENCH" compare --pair bump,tlsf "$S" && ! grep -qF "|" "$OUT" &&
	expect_exit 0 "$BENCH" compare --pair bump,tlsf --format text "$S" &&
	out_has "no regression in 2 cells (2 judged)"
}
check "compare --pair --format markdown: no regression, a table and its verdict" \
	pair_markdown_passes

pair_slower() {
	set_samples 2 tlsf coalesce &&
	expect_exit 1 "$BENCH" compare --pair bump,tlsf "$S" &&
	out_has "REGRESSION: 1 of 2 cells failed" &&
	grep -q "^coalesce.trace.*+100% \[+100, +100\] *0.008 *SLOWER" "$OUT" ||
		{ cat "$OUT"; return 1; }
}
check "compare --pair: 2x slower in every round, exit 1" pair_slower

pair_markdown_slower() {
	expect_exit 1 "$BENCH" compare --pair bump,tlsf --format md "$S" &&
	out_has "| ❌ | coalesce.trace | +100% [+100, +100] | 0.008 | SLOWER |   |" &&
	out_has "| ✅ | basic.trace | +0.0% [+0.0, +0.0] | 1.000 | ok |   |" &&
	out_has "**❌ Regression: 1 of 2 cells failed**" && ! grep -q "No regression" "$OUT"
}
check "compare --pair --format markdown: a regression marked, exit 1" pair_markdown_slower

pair_faster() {
	expect_exit 0 "$BENCH" compare --pair tlsf,bump "$S" && out_has "faster"
}
check "compare --pair: the other way round is faster, exit 0" pair_faster

pair_sees_through_load() {
	# 6% slower in every round, under a load that moves rounds 3x
	set_samples 1 tlsf coalesce && set_samples 1.06 tlsf basic &&
	expect_exit 1 "$BENCH" compare --pair bump,tlsf "$S" &&
	grep -q "^basic.trace.*+6.0%.*SLOWER" "$OUT" || { cat "$OUT"; return 1; }
}
check "compare --pair: a 6% slowdown under shared load fails" pair_sees_through_load

pair_min_effect() {
	expect_exit 0 "$BENCH" compare --pair bump,tlsf --min-effect 10% "$S" &&
	out_has "slower, but under the 10% minimum effect (--min-effect)"
}
check "compare --pair: below --min-effect passes" pair_min_effect

pair_markdown_note() {
	# the text's note beneath a row is the markdown row's note column
	expect_exit 1 "$BENCH" compare --pair bump,tlsf --format markdown "$S" &&
	out_has "| ❌ | basic.trace | +6.0% [+6.0, +6.0] | 0.008 | SLOWER |   |" &&
	expect_exit 0 "$BENCH" compare --pair bump,tlsf --min-effect 10% --format markdown "$S" &&
	out_has "| ✅ | basic.trace | +6.0% [+6.0, +6.0] | 0.008 | ok | slower, but under the 10% minimum effect (--min-effect) |" &&
	out_has "**✅ No regression** in 2 cells (2 judged)" &&
	out_has "and > 10% slower"
}
check "compare --pair --format markdown: the notes in a column of their own" pair_markdown_note

pair_not_interleaved() {
	set_samples 1 tlsf basic &&
	jq 'del(.options.interleave)' "$S/tlsf/basic.json" > "$TMP/x.json" &&
	mv "$TMP/x.json" "$S/tlsf/basic.json" &&
	expect_exit 0 "$BENCH" compare --pair bump,tlsf "$S" &&
	out_has "not from one interleaved suite: not judged" &&
	expect_exit 0 "$BENCH" compare --pair bump,tlsf --format markdown "$S" &&
	out_has "| ⚠️ | basic.trace | - | - | - | not from one interleaved suite: not judged |" &&
	out_has "**✅ No regression** in 2 cells (1 judged)"
}
check "compare --pair: results not interleaved are not judged" pair_not_interleaved

pair_bad_usage() {
	expect_exit 2 "$BENCH" compare --pair bump "$S" && err_has "is not BASE,CURRENT" &&
	expect_exit 2 "$BENCH" compare --pair bump,bump "$S" &&
	expect_exit 2 "$BENCH" compare --pair glibc,tlsf "$S" && err_has "no results of glibc" &&
	expect_exit 2 "$BENCH" compare --pair bump,tlsf --reference bump "$S" &&
	err_has "cannot be combined with --reference" &&
	expect_exit 2 "$BENCH" compare --pair bump,tlsf --only-memory --format markdown "$S" &&
	err_has "cannot be combined with --only-memory" && [ ! -s "$OUT" ] &&
	expect_exit 2 "$BENCH" compare --pair bump,tlsf --format html "$S" &&
	err_has "'html' is not text or markdown"
}
check "compare --pair: bad names, exit 2" pair_bad_usage

two_builds_one_name() {
	# two builds of one library (old/libx.so, new/libx.so) or one mm.c in two
	# checkouts (a/src/mm.c, b/src/mm.c): the error says how to tell them apart
	lib=${HEAPLAB_LIB_DIR:-build/lib}/libheaplab-tlsf.so
	mkdir -p "$TMP/tb/old" "$TMP/tb/new" "$TMP/tb/a/src" "$TMP/tb/b/src" &&
	if [ -z "${HEAPLAB_SANITIZER:-}" ]; then   # a sanitizer build cannot load a peer
		cp "$lib" "$TMP/tb/old/libx.so" && cp "$lib" "$TMP/tb/new/libx.so" &&
		expect_exit 2 "$BENCH" --alloc "$TMP/tb/old/libx.so,$TMP/tb/new/libx.so" \
			--trace workloads/basic.trace --interleave --quiet &&
		err_has "allocator 'libx' is named twice (a library is named after its file"
	fi &&
	cp examples/mm.c "$TMP/tb/a/src/" && cp examples/mm.c "$TMP/tb/b/src/" &&
	expect_exit 2 "$BENCH" --alloc "$TMP/tb/a/src/mm.c,$TMP/tb/b/src/mm.c" \
		--trace workloads/basic.trace --interleave --quiet &&
	err_has "'src-mm' is named twice (a source file is named after its folder"
}
check "two builds under one name: exit 2, saying how to name them apart" two_builds_one_name

pair_two_suites() {
	expect_exit 2 "$BENCH" compare --pair bump,tlsf "$S" "$S/bump" &&
	err_has "give the results of one suite"
}
check "compare --pair: two results of one cell, exit 2" pair_two_suites

pair_missing() {
	rm "$S/tlsf/coalesce.json" &&
	expect_exit 1 "$BENCH" compare --pair bump,tlsf "$S" &&
	out_has "no result of the second allocator"
}
check "compare --pair: a missing cell of CUR fails" pair_missing

finish
