#!/bin/sh
# tests/cli/benchmark.sh - scripts/benchmark.sh: the table is read from the
# JSON results (not typed in), failures and timeouts are shown, and the
# shipped generated sets are what their generators write.
. tests/lib.sh

run_bench() {  # run_bench TRACE... with two allocators, one pass, results in $TMP/res
	ALLOCS=segregated,implicit-first RUNS=1 OUT=$TMP/res BENCH=$BENCH \
		sh scripts/benchmark.sh "$@" > "$OUT" 2> "$ERR"
}

table_matches_json() {
	run_bench workloads/basic.trace workloads/coalesce.trace || return 1
	for a in segregated implicit-first; do
		for t in basic coalesce; do
			json=$TMP/res/$t.trace--$a.json
			[ -s "$json" ] || { echo "    no $json"; return 1; }
			util=$(jq -r '.memory.utilization * 100 | . * 10 | round / 10' "$json")
			calls=$(jq -r .memory.provider_calls "$json")
			row=$(grep -E "^workloads/$t.trace +$a " "$OUT") || { echo "    no row $t $a"; return 1; }
			echo "$row" | awk -v u="$util" -v c="$calls" '{
				for (i = 1; i <= NF; i++) if ($i ~ /%$/) { f = $i; n = $(i + 1) }
				sub(/%$/, "", f)
				exit !(f + 0 == u + 0 && n + 0 == c + 0) }' ||
				{ echo "    row disagrees with $json: $row (util $util, calls $calls)"; return 1; }
		done
	done
}
check benchmark_table_is_read_from_the_json_results table_matches_json

timeout_is_shown() {
	# a cell over its limit is printed as a timeout, not dropped or passed
	ALLOCS=implicit-first RUNS=1 OUT=$TMP/res2 TIMEOUT=1 BENCH=$BENCH \
		sh scripts/benchmark.sh workloads/python.trace > "$OUT" 2> "$ERR"
	grep -qE '^workloads/python.trace +implicit-first +timeout' "$OUT" ||
		{ echo "    no timeout row"; head -3 "$OUT"; return 1; }
}
check benchmark_prints_a_cell_over_its_limit_as_timeout timeout_is_shown

sets_regenerate() {
	b=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")
	mkdir -p "$TMP/copy/workloads" &&
		cp -r workloads/malloclab workloads/extra "$TMP/copy/workloads/" || return 1
	(cd "$TMP/copy" && sh workloads/malloclab/generate.sh "$b" &&
		sh workloads/extra/generate.sh "$b") > /dev/null 2>&1 || return 1
	for f in workloads/malloclab/*.trace workloads/extra/*.trace; do
		cmp -s "$f" "$TMP/copy/$f" || { echo "    $f differs from its generator's output"; return 1; }
	done
}
check benchmark_trace_sets_match_their_generators sets_regenerate

bound_by_hand() {
	# 3 live blocks of 1, 24 and 100 bytes: blocks 32, 32 and 112; then one freed
	printf 'a 1 1\na 2 24\na 3 100\nf 2\n' > "$TMP/b.trace"
	[ "$(awk -f scripts/util-bound.awk "$TMP/b.trace")" = "125 176 0.7102 101" ] ||
		{ echo "    got $(awk -f scripts/util-bound.awk "$TMP/b.trace")"; return 1; }
}
check util_bound_counts_header_rounding_and_minimum_block bound_by_hand

compact_section_matches_json() {
	# the compact-vs-segregated lines come from the two cells' peak breaks
	ALLOCS=segregated,compact RUNS=1 ROUNDS=0 OUT=$TMP/res3 BENCH=$BENCH \
		sh scripts/benchmark.sh workloads/binary-small.rep workloads/short1.rep > "$OUT" 2> "$ERR" || return 1
	grep -q '^compact vs segregated, peak break on every trace' "$OUT" || { echo "    no section"; return 1; }
	n=0; smaller=0
	for t in binary-small short1; do
		c=$(jq .memory.peak_break_bytes "$TMP/res3/$t.rep--compact.json")
		s=$(jq .memory.peak_break_bytes "$TMP/res3/$t.rep--segregated.json")
		n=$((n + 1)); [ "$c" -lt "$s" ] && smaller=$((smaller + 1))
	done
	grep -qE "^  $n traces: $smaller smaller," "$OUT" ||
		{ echo "    summary disagrees with the JSON ($n traces, $smaller smaller):"; grep -A1 '^compact vs' "$OUT"; return 1; }
}
check benchmark_compact_section_is_read_from_the_json_results compact_section_matches_json

finish
