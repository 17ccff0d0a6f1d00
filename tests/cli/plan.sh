#!/bin/sh
# tests/cli/plan.sh - bench plan, its units (--skip-existing, --slots), bench
# merge, GNU parallel as the engine, and results of two machines as one set
# (docs/distributed.md).  The Slurm engine is tests/cli/slurm.sh.
. tests/lib.sh

# Cheap cells: 34 traces of 300 ops x 3 built-ins = 102 cells, one timed run.
TR=$TMP/traces
mkdir -p "$TR"
i=0
for p in web compiler database realloc binary coalescing random; do
	for s in 1 2 3 4 5; do
		i=$((i + 1))
		[ $i -le 34 ] && "$BENCH" gen $p --ops 300 --seed $s -o "$TR/$p-$s.trace" 2> /dev/null
	done
done
ALLOCS=buddy,tlsf,segregated

# The deterministic part of a result: every memory figure but the RSS ones,
# the break timeline, the cell, its status and trace.
memory_of() {
	jq -c '{a: .allocator.name, t: .trace.sha256, s: .status, o: .ops,
	        m: (.memory | del(.peak_rss_bytes, .rss_baseline_bytes, .utilization_rss,
	                          .rss_note)),
	        tl: .timeline, st: .allocator_stats}' "$1"
}

# folder_digest DIR: one line per result file (its path in DIR and memory_of).
folder_digest() {
	(cd "$1" && find . -name '*.json' ! -name summary.json ! -name plan.json | sort) |
	while read -r f; do printf '%s %s\n' "$f" "$(memory_of "$1/$f")"; done
}

# summary cells without the figures that timing or the kernel decide
summary_cells() {
	jq -c '.cells[] | del(.elapsed_seconds, .ops_per_sec_median, .peak_rss_bytes,
	                      .utilization_rss)' "$1"
}

# ---- the plan ----

plan_lines() {
	expect_exit 0 "$BENCH" plan --alloc $ALLOCS --trace "$TR" --runs 1 --out "$TMP/p0" &&
	[ "$(wc -l < "$OUT")" -eq 102 ] && err_has "102 units; manifest in $TMP/p0/plan.json" &&
	grep -q -- "--alloc buddy --trace $TR/binary-1.trace --runs 1 --quiet --skip-existing --slots $TMP/p0/.slots --out $TMP/p0/buddy/binary-1.json\$" "$OUT" &&
	[ "$(jq .cells "$TMP/p0/plan.json")" -eq 102 ]
}
check "plan: one shell command per cell, the manifest in DIR/plan.json" plan_lines

plan_manifest() {
	expect_exit 0 "$BENCH" plan --format json --alloc buddy,tlsf --trace "$TR/web-1.trace,$TR/random-2.trace" \
		--runs 2 --check 100 --timeout 30 --out "$TMP/pj" &&
	jq -e '.schema == "heaplab-plan" and .cells == 4 and (.units | length) == 4' "$OUT" > /dev/null &&
	jq -e '[.units[] | .index] == [0, 1, 2, 3]' "$OUT" > /dev/null &&
	jq -e '[.units[] | .allocator + " " + .file] == ["buddy buddy/web-1.json", "tlsf tlsf/web-1.json",
	       "buddy buddy/random-2.json", "tlsf tlsf/random-2.json"]' "$OUT" > /dev/null &&
	[ "$(jq -r '.units[0].sha256' "$OUT")" = "$(sha256sum < "$TR/web-1.trace" | cut -d' ' -f1)" ] &&
	jq -e '.units[1].argv[1:] == ["--alloc", "tlsf", "--trace", "'"$TR"'/web-1.trace", "--runs", "2",
	       "--check", "100", "--timeout", "30", "--quiet", "--skip-existing", "--slots",
	       "'"$TMP"'/pj/.slots", "--out", "'"$TMP"'/pj/tlsf/web-1.json"]' "$OUT" > /dev/null &&
	cmp -s "$OUT" "$TMP/pj/plan.json"
}
check "plan --format json: the manifest (cells in suite order, sha256, argv)" plan_manifest

# A folder name with a space, a quote and a dollar sign survives sh.
plan_quoting() {
	d="$TMP/it's a \$HOME dir"
	mkdir -p "$d" && cp "$TR/web-1.trace" "$d/w x.trace" &&
	"$BENCH" plan --alloc buddy --trace "$d/w x.trace" --runs 1 --out "$d/out" > "$TMP/q.sh" 2> "$ERR" &&
	sh "$TMP/q.sh" 2> "$ERR" && [ -s "$d/out/buddy/w x.json" ] &&
	[ "$(jq -r .trace.path "$d/out/buddy/w x.json")" = "$d/w x.trace" ]
}
check "plan: the commands are quoted for any path" plan_quoting

plan_slots() {
	expect_exit 0 "$BENCH" plan --alloc buddy --trace "$TR/web-1.trace" --slots /tmp/heaplab-slots \
		--out "$TMP/ps" && out_has " --slots /tmp/heaplab-slots --out $TMP/ps/buddy/web-1.json"
}
check "plan --slots SDIR: the units' slot folder" plan_slots

# Every benchmark-mode option but the cell's own reaches the units as written,
# whatever its form (--x=V, an abbreviation, a short bundle).
plan_passes_options() {
	expect_exit 0 "$BENCH" plan -abuddy --tr "$TR/web-1.trace" --runs=3 --latency -qo "$TMP/po" \
		--heap-limit 64M --ou="$TMP/po" &&
	out_has " --alloc buddy --trace $TR/web-1.trace --runs=3 --latency --heap-limit 64M --quiet --skip-existing" &&
	! grep -q -- "-qo\|--ou=\|-abuddy\|--tr " "$OUT" &&
	sh "$OUT" 2> "$ERR" && jq -e '.runs == 3 and .options.heap_limit == 67108864 and .latency != null' \
		"$TMP/po/buddy/web-1.json" > /dev/null
}
check "plan: the run options go to every unit word for word" plan_passes_options

plan_errors() {
	expect_exit 2 "$BENCH" plan --alloc buddy --trace "$TR" && err_has "bench: plan: --out is required" &&
	expect_exit 2 "$BENCH" plan --alloc buddy --trace "$TR" --out "$TMP/x" --json &&
	err_has "--json is not a plan option" &&
	expect_exit 2 "$BENCH" plan --alloc buddy --trace "$TR" --out "$TMP/x" --skip-existing &&
	err_has "--skip-existing is not a plan option" &&
	expect_exit 2 "$BENCH" plan --alloc buddy --trace "$TR" --out "$TMP/x" --format yaml &&
	err_has "--format: 'yaml' is not shell or json" &&
	expect_exit 2 "$BENCH" plan --alloc buddy --trace "$TMP/none.trace" --out "$TMP/x" &&
	err_has "bench: $TMP/none.trace: cannot read" &&
	expect_exit 2 "$BENCH" plan --alloc nosuch --trace "$TR" --out "$TMP/x"
}
check "plan: bad usage exits 2 with a message" plan_errors

# ---- units ----

unit_runs() {
	expect_exit 0 "$BENCH" plan --unit 1 "$TMP/pj/plan.json" &&
	jq -e '.allocator.name == "tlsf" and .runs == 2 and .concurrency.cells_running >= 1' \
		"$TMP/pj/tlsf/web-1.json" > /dev/null &&
	expect_exit 2 "$BENCH" plan --unit 4 "$TMP/pj/plan.json" && err_has "has units 0 to 3" &&
	expect_exit 2 "$BENCH" plan --unit x "$TMP/pj/plan.json" &&
	expect_exit 2 "$BENCH" plan --unit 0 "$TMP/pj/tlsf/web-1.json" && err_has "not a heaplab plan"
}
check "plan --unit N MANIFEST runs unit N; out of range or not a plan: exit 2" unit_runs

skip_existing() {
	f=$TMP/pj/tlsf/web-1.json
	before=$(cksum < "$f")
	expect_exit 0 "$BENCH" plan --unit 1 "$TMP/pj/plan.json" &&
	err_has "$f: the result exists; skipped (--skip-existing)" && [ "$(cksum < "$f")" = "$before" ] &&
	# a result of another cell at that path is measured over
	mkdir -p "$TMP/pj/buddy" && cp "$TMP/pj/tlsf/web-1.json" "$TMP/pj/buddy/web-1.json" &&
	expect_exit 0 "$BENCH" plan --unit 0 "$TMP/pj/plan.json" &&
	[ "$(jq -r .allocator.name "$TMP/pj/buddy/web-1.json")" = buddy ] &&
	expect_exit 2 "$BENCH" --alloc buddy,tlsf --trace "$TR/web-1.trace" --skip-existing &&
	err_has "--skip-existing runs one cell" &&
	expect_exit 2 "$BENCH" --alloc buddy --trace "$TR/web-1.trace" --skip-existing &&
	err_has "--skip-existing needs --out FILE"
}
check "--skip-existing: an existing result of the cell is kept, anything else measured" skip_existing

# Another unit holds slot 0 (a write lock on byte 0, as bench takes it): this
# one takes slot 1, pins to the second CPU it may use, and counts two cells.
slots_count() {
	mkdir -p "$TMP/sl" && host=$(uname -n) &&
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a+"); fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
open(sys.argv[2], "w").close(); time.sleep(30)' "$TMP/sl/$host.slots" "$TMP/sl/held" &
	holder=$!
	n=0; while [ ! -e "$TMP/sl/held" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	"$BENCH" --alloc buddy --trace "$TR/web-1.trace" --runs 1 -q --slots "$TMP/sl" \
		--out "$TMP/sl/r.json" 2> "$ERR"
	code=$?
	kill $holder 2> /dev/null; wait $holder 2> /dev/null
	cpus=$(python3 -c 'import os; print(sorted(os.sched_getaffinity(0)))')
	want=$(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[1 % len(c)])')
	[ $code -eq 0 ] &&
	jq -e ".concurrency == {\"cells_running\": 2, \"pinned_cpu\": $want}" "$TMP/sl/r.json" > /dev/null ||
	{ echo "    cpus $cpus: $(jq -c .concurrency "$TMP/sl/r.json")"; return 1; }
}
check "--slots: a second concurrent cell takes slot 1, its core, and counts 2 cells" slots_count

slots_alone() {
	expect_exit 0 "$BENCH" --alloc buddy --trace "$TR/web-1.trace" --runs 1 -q --slots "$TMP/sl2" \
		--out "$TMP/sl2/r.json" &&
	want=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))') &&
	jq -e ".concurrency == {\"cells_running\": 1, \"pinned_cpu\": $want}" "$TMP/sl2/r.json" > /dev/null &&
	expect_exit 0 "$BENCH" report --fields allocator,cells_running,pinned_cpu "$TMP/sl2/r.json" &&
	out_has "buddy	1	$want"
}
check "--slots alone: slot 0, the first CPU, 1 cell; bench report shows them" slots_alone

slots_threads_unpinned() {
	"$BENCH" gen mt-private --ops 400 --threads 2 -o "$TMP/mt.trace" 2> /dev/null &&
	expect_exit 0 "$BENCH" --alloc tlsf-tcache --trace "$TMP/mt.trace" --threads --runs 1 -q \
		--slots "$TMP/sl3" --out "$TMP/sl3/r.json" &&
	jq -e '.concurrency == {"cells_running": 1, "pinned_cpu": null}' "$TMP/sl3/r.json" > /dev/null
}
check "--slots with --threads: counted, not pinned (pinned_cpu null)" slots_threads_unpinned

no_concurrency_still_reads() {
	jq 'del(.concurrency, .machine.name)' "$TMP/sl2/r.json" > "$TMP/old.json" &&
	expect_exit 0 "$BENCH" report --fields allocator,machine,cells_running "$TMP/old.json" &&
	out_has "buddy	$(uname -n)	" &&
	jq '.concurrency.cells_running = 0' "$TMP/sl2/r.json" > "$TMP/bad.json" &&
	expect_exit 2 "$BENCH" report "$TMP/bad.json" && err_has "concurrency.cells_running"
}
check "results without concurrency or machine.name still read; a bad count is refused" \
	no_concurrency_still_reads

# ---- GNU parallel, and the same cells as a plain suite ----

if command -v parallel > /dev/null 2>&1; then
	"$BENCH" --alloc $ALLOCS --trace "$TR" --runs 1 -q --out "$TMP/plain" > /dev/null 2>&1
	"$BENCH" plan --alloc $ALLOCS --trace "$TR" --runs 1 --out "$TMP/par" 2> /dev/null |
		parallel -j 2 --joblog "$TMP/par.log" > /dev/null 2> "$TMP/par.err"
	echo $? > "$TMP/par.code"

	parallel_runs() {
		[ "$(cat "$TMP/par.code")" -eq 0 ] &&
		[ "$(find "$TMP/par" -name '*.json' ! -name plan.json | wc -l)" -eq 102 ] &&
		[ "$(awk 'NR > 1 && $7 == 0' "$TMP/par.log" | wc -l)" -eq 102 ]
	}
	check "parallel -j 2 runs the 102 units, each exit 0" parallel_runs

	parallel_same_as_suite() {
		folder_digest "$TMP/plain" > "$TMP/d.plain" && folder_digest "$TMP/par" > "$TMP/d.par" &&
		[ "$(wc -l < "$TMP/d.par")" -eq 102 ] && cmp -s "$TMP/d.plain" "$TMP/d.par" ||
		{ diff "$TMP/d.plain" "$TMP/d.par" | head -4; return 1; }
	}
	check "parallel: the same cells as a plain suite, memory figures bit-identical" \
		parallel_same_as_suite

	parallel_concurrency() {
		# every unit recorded its slot; with 2 at once some saw the other one
		[ "$(jq -s '[.[] | select(.concurrency.cells_running >= 1)] | length' \
			$(find "$TMP/par" -name '*.json' ! -name plan.json))" -eq 102 ] &&
		jq -s -e 'all(.[]; .concurrency.cells_running <= 2)' \
			$(find "$TMP/par" -name '*.json' ! -name plan.json) > /dev/null
	}
	check "parallel: every result records concurrency, never more cells than -j" parallel_concurrency

	merge_equals_suite() {
		expect_exit 0 "$BENCH" merge "$TMP/par" &&
		err_has "102 cells, 102 with a result (0 not ok), 0 missing" &&
		summary_cells "$TMP/plain/summary.json" > "$TMP/s.plain" &&
		summary_cells "$TMP/par/summary.json" > "$TMP/s.par" &&
		cmp -s "$TMP/s.plain" "$TMP/s.par" &&
		jq -e '.complete and (.interrupted | not) and .schema == "heaplab-suite"' \
			"$TMP/par/summary.json" > /dev/null &&
		[ "$(jq -c '.cells[0] | keys' "$TMP/par/summary.json")" = \
		  "$(jq -c '.cells[0] | keys' "$TMP/plain/summary.json")" ]
	}
	check "merge: summary.json equals the plain suite's (cells, order, figures)" merge_equals_suite

	# Half the units, then all of them again: only the missing half runs.
	resume() {
		"$BENCH" plan --alloc $ALLOCS --trace "$TR" --runs 1 --out "$TMP/res" > "$TMP/res.sh" 2> /dev/null &&
		head -n 51 "$TMP/res.sh" | parallel -j 2 > /dev/null 2>&1 &&
		expect_exit 1 "$BENCH" merge "$TMP/res" && err_has "51 with a result (0 not ok), 51 missing" &&
		jq -e '.complete == false and ([.cells[] | select(.status == "not-run")] | length) == 51' \
			"$TMP/res/summary.json" > /dev/null &&
		(cd "$TMP/res" && find . -name '*.json' ! -name plan.json ! -name summary.json -exec cksum {} + | sort) > "$TMP/first" &&
		parallel -j 2 < "$TMP/res.sh" > /dev/null 2> "$TMP/res.err" &&
		[ "$(grep -c 'the result exists; skipped' "$TMP/res.err")" -eq 51 ] &&
		[ "$(find "$TMP/res" -name '*.json' ! -name plan.json ! -name summary.json | wc -l)" -eq 102 ] &&
		(cd "$TMP/res" && find . -name '*.json' ! -name plan.json ! -name summary.json -exec cksum {} + | sort) |
			grep -F -x -f "$TMP/first" | cmp -s - "$TMP/first" &&
		expect_exit 0 "$BENCH" merge "$TMP/res" &&
		folder_digest "$TMP/res" | cmp -s - "$TMP/d.plain"
	}
	check "resume: a half-run plan run again runs only the 51 missing units" resume

	# A real interruption: SIGINT to GNU parallel after a second, wherever it
	# is.  Whatever it had finished stays, whole; a unit cut short leaves no
	# result file; running the plan again runs exactly the rest.
	interrupted() {
		"$BENCH" plan --alloc $ALLOCS --trace "$TR" --runs 1 --out "$TMP/int" > "$TMP/int.sh" 2> /dev/null &&
		timeout -s INT 1 parallel -j 2 < "$TMP/int.sh" > /dev/null 2>&1
		done=$(find "$TMP/int" -name '*.json' ! -name plan.json | wc -l)
		[ "$done" -lt 102 ] || echo "    (all 102 units finished within the second: nothing was cut)"
		expect_exit 0 "$BENCH" report "$TMP/int" && [ "$(wc -l < "$OUT")" -eq $((done + 1)) ] &&
		parallel -j 2 < "$TMP/int.sh" > /dev/null 2> "$TMP/int.err" &&
		[ "$(grep -c 'the result exists; skipped' "$TMP/int.err")" -eq "$done" ] &&
		expect_exit 0 "$BENCH" merge "$TMP/int" && folder_digest "$TMP/int" | cmp -s - "$TMP/d.plain"
	}
	check "resume after SIGINT: finished results whole, only the missing units run again" interrupted
else
	echo "skip GNU parallel tests (6): parallel is not installed (make deps installs it)"
fi

merge_without_plan() {
	mkdir -p "$TMP/np" && cp -r "$TMP/pj/buddy" "$TMP/pj/tlsf" "$TMP/np/" &&
	rm -f "$TMP/np/tlsf/random-2.json" &&
	"$BENCH" plan --unit 2 "$TMP/pj/plan.json" 2> /dev/null && cp "$TMP/pj/buddy/random-2.json" "$TMP/np/buddy/" &&
	expect_exit 0 "$BENCH" merge --json "$TMP/np" &&
	jq -e '[.cells[] | .allocator + ":" + .trace] == ["buddy:'"$TR"'/random-2.trace",
	       "buddy:'"$TR"'/web-1.trace", "tlsf:'"$TR"'/web-1.trace"] and .complete' "$OUT" > /dev/null &&
	cmp -s "$OUT" "$TMP/np/summary.json"
}
check "merge without a plan: every result in the folder, by trace then allocator" merge_without_plan

merge_errors() {
	cp "$TMP/pj/tlsf/web-1.json" "$TMP/pj/tlsf/random-2.json" &&
	expect_exit 2 "$BENCH" merge "$TMP/pj" && err_has "holds tlsf on web-1.trace, not the plan's cell" &&
	expect_exit 2 "$BENCH" merge "$TMP/none" && expect_exit 2 "$BENCH" merge &&
	echo '{"schema": "heaplab-plan"}' > "$TMP/badplan.json" &&
	expect_exit 2 "$BENCH" merge --plan "$TMP/badplan.json" "$TMP/np" && err_has "not a heaplab plan"
}
check "merge: a result that is not the plan's cell, a bad plan or folder: exit 2" merge_errors

# ---- two machines as one set ----

HEAPLAB_MACHINE=alpha "$BENCH" --alloc buddy,tlsf,segregated --trace "$TR/web-1.trace,$TR/random-1.trace" \
	--runs 3 -q --out "$TMP/alpha" > /dev/null 2>&1
HEAPLAB_MACHINE=beta "$BENCH" --alloc buddy,tlsf,segregated --trace "$TR/web-1.trace,$TR/random-1.trace" \
	--runs 3 -q --out "$TMP/beta" > /dev/null 2>&1

machine_named() {
	[ "$(jq -r .machine.name "$TMP/alpha/buddy/web-1.json")" = alpha ] &&
	[ "$(jq -r .machine.hostname "$TMP/alpha/buddy/web-1.json")" = "$(uname -n)" ] &&
	[ "$(jq -r .machine.name "$TMP/sl2/r.json")" = "$(uname -n)" ]
}
check "HEAPLAB_MACHINE names the machine in the result (default: the hostname)" machine_named

report_two_machines() {
	expect_exit 0 "$BENCH" report --group-by machine "$TMP/beta" "$TMP/alpha" &&
	head -1 "$OUT" | grep -q '^machine	allocator	kind	trace	' &&
	[ "$(awk -F '\t' 'NR > 1 { print $1 }' "$OUT" | uniq | tr '\n' ' ')" = "alpha beta " ] &&
	[ "$(awk -F '\t' 'NR > 1 && $2 == "buddy" && $4 == "web-1.trace" { print $1 ":" $11 }' "$OUT" |
	     tr '\n' ' ')" = "alpha:$(jq .memory.peak_break_bytes "$TMP/alpha/buddy/web-1.json") beta:$(jq .memory.peak_break_bytes "$TMP/beta/buddy/web-1.json") " ] &&
	expect_exit 0 "$BENCH" report "$TMP/alpha" && ! head -1 "$OUT" | grep -q machine &&
	expect_exit 0 "$BENCH" report --timeline "$TMP/alpha" "$TMP/beta" &&
	head -1 "$OUT" | grep -q '	machine$' &&
	expect_exit 2 "$BENCH" report --group-by host "$TMP/alpha" && err_has "'host' is not machine"
}
check "report: two machines side by side (machine column, --group-by machine)" report_two_machines

compare_refuses_machines() {
	expect_exit 2 "$BENCH" compare "$TMP/alpha" "$TMP/beta" &&
	err_has "ran on machine 'alpha' in BASELINE and on 'beta' in CURRENT: throughput from different machines is not comparable" &&
	err_has "--reference ALLOC" &&
	expect_exit 0 "$BENCH" compare --only-memory "$TMP/alpha" "$TMP/beta" &&
	out_has "machine alpha -> beta" && out_has "no regression in 6 compared cells" &&
	"$BENCH" compare --reference tlsf "$TMP/alpha" "$TMP/beta" > "$OUT" 2> "$ERR"
	[ $? -le 1 ] && out_has "(reference)" && out_has "compared cells" || out_has "REGRESSION"
}
check "compare: throughput across machines refused unless --reference (or --only-memory)" \
	compare_refuses_machines

compare_several_folders() {
	expect_exit 0 "$BENCH" compare --only-memory "$TMP/alpha" "$TMP/beta" -- "$TMP/beta" "$TMP/alpha" &&
	out_has "no regression in 12 compared cells" && out_has "buddy@alpha" &&
	! grep -q "machine alpha -> beta" "$OUT" &&
	expect_exit 0 "$BENCH" compare "$TMP/alpha" "$TMP/beta" -- "$TMP/alpha" "$TMP/beta" &&
	expect_exit 2 "$BENCH" compare "$TMP/alpha" "$TMP/beta" "$TMP/alpha" &&
	err_has "BASELINE... -- CURRENT..."
}
check "compare: each side may be several folders; cells match by machine" compare_several_folders

plot_two_machines() {
	command -v gnuplot > /dev/null 2>&1 || { echo "    (gnuplot missing: not drawn)"; return 0; }
	expect_exit 0 sh plot.sh -o "$TMP/charts" "$TMP/alpha" "$TMP/beta" &&
	head -1 "$TMP/charts/throughput.tsv" | grep -q 'buddy @ alpha' &&
	head -1 "$TMP/charts/throughput.tsv" | grep -q 'buddy @ beta' &&
	! grep -q "appear in more than one result" "$ERR" && [ -s "$TMP/charts/memory.png" ]
}
check "plot.sh: two machines drawn side by side (allocator @ machine)" plot_two_machines

finish
