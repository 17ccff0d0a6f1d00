#!/bin/sh
# scripts/parallel_distortion.sh - how much running cells side by side on one
# machine distorts their throughput (docs/distributed.md): the same plan run
# with GNU parallel -j 1 (each cell alone) and -j NCPU (every core busy),
# alternating, ROUNDS times each.  Prints, per allocator and overall, the
# median over cells and rounds of ops/s at -j NCPU divided by ops/s alone,
# and checks that every memory figure of the built-ins is identical in all
# runs.  Needs GNU parallel and jq.
#
# Environment: BENCH (./bench), ALLOCS (buddy,tlsf,segregated), PROFILES
# (web compiler database random), ROUNDS (3), RUNS (5), J (nproc), DATA
# (build/distortion).
set -eu
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
ALLOCS=${ALLOCS:-buddy,tlsf,segregated}
PROFILES=${PROFILES:-web compiler database random}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-5}
J=${J:-$(nproc)}
DATA=${DATA:-build/distortion}
command -v parallel > /dev/null || { echo "parallel_distortion.sh: GNU parallel is missing" >&2; exit 3; }
rm -rf "$DATA" && mkdir -p "$DATA/traces"
for p in $PROFILES; do "$BENCH" gen "$p" --seed 1 -o "$DATA/traces/$p.trace" 2> /dev/null; done

for r in $(seq 1 "$ROUNDS"); do
	for j in 1 "$J"; do
		"$BENCH" plan --alloc "$ALLOCS" --trace "$DATA/traces" --runs "$RUNS" \
			--out "$DATA/r$r-j$j" 2> /dev/null | parallel -j "$j"
		echo "round $r, -j $j: done" >&2
	done
done

# one line per result: round j alloc trace ops_median cells_running memory-digest
for f in "$DATA"/r*/*/*.json; do
	case $f in */plan.json) continue ;; esac
	rj=${f#"$DATA"/}; rj=${rj%%/*}
	jq -r --arg rj "$rj" '[$rj, .allocator.name, (.trace.path | split("/") | last),
		.throughput.ops_per_sec.median, .concurrency.cells_running,
		(.memory | del(.peak_rss_bytes, .rss_baseline_bytes, .utilization_rss, .rss_note)
		 | tostring | @base64)] | @tsv' "$f"
done > "$DATA/cells.tsv"

awk -F '\t' -v J="$J" '
{ split($1, a, "-j"); r = a[1]; j = a[2]; k = $2 SUBSEP $3
  ops[r, j, k] = $4; mem[k, $6] = 1; conc[j] = (conc[j] > $5) ? conc[j] : $5; cells[k] = 1; rounds[r] = 1 }
function median(v, n,    i, t, s) {
	for (i = 2; i <= n; i++) { t = v[i]; for (s = i - 1; s >= 1 && v[s] > t; s--) v[s + 1] = v[s]; v[s + 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
END {
	for (k in cells) { n = 0; for (m in mem) { split(m, p, SUBSEP); if (p[1] SUBSEP p[2] == k) n++ } if (n != 1) bad++ }
	printf "memory figures identical across all runs: %s\n", bad ? "NO (" bad " cells differ)" : "yes"
	printf "most cells at once: -j 1: %d, -j %d: %d\n", conc[1], J, conc[J]
	printf "%-12s %8s %14s %14s %10s\n", "allocator", "samples", "alone Mops/s", "-j" J " Mops/s", "ratio"
	na = 0
	for (k in cells) { split(k, p, SUBSEP); if (!(p[1] in seen)) { seen[p[1]] = 1; al[++na] = p[1] } }
	for (i = 1; i <= na; i++) all_allocs = all_allocs " " al[i]
	al[++na] = "all"
	for (i = 1; i <= na; i++) {
		n = 0; delete rv; delete av; delete jv
		for (rr in rounds) for (k in cells) {
			split(k, p, SUBSEP); if (al[i] != "all" && p[1] != al[i]) continue
			if ((rr, 1, k) in ops && (rr, J, k) in ops && ops[rr, 1, k] > 0) {
				n++; rv[n] = ops[rr, J, k] / ops[rr, 1, k]; av[n] = ops[rr, 1, k] / 1e6; jv[n] = ops[rr, J, k] / 1e6 }
		}
		if (n) printf "%-12s %8d %14.2f %14.2f %10.3f\n", al[i], n, median(av, n), median(jv, n), median(rv, n)
	}
}' "$DATA/cells.tsv"
