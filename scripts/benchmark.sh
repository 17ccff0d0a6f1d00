#!/bin/sh
# scripts/benchmark.sh - replay every shipped workload against every allocator
# and print one table (`make benchmark` runs it).
#
#   sh scripts/benchmark.sh [TRACE...]
#
# Every cell is one `bench --json` run (a checked pass, then RUNS timed
# passes) under a wall-clock limit; its JSON result is kept in OUT.  Nothing
# in the table is typed in: every figure is read back from those results
# with jq.  A cell that exceeds the limit is shown as "timeout" (an O(n) per
# operation allocator on a trace with a million live blocks), one that fails
# its checks as "FAILED"; neither is dropped.
#
# Environment (all optional):
#   BENCH    the bench binary (./bench)
#   ALLOCS   comma-separated allocators (default: all of `bench --list`)
#   RUNS     timed passes per cell (5)
#   TIMEOUT  seconds per cell on a committed trace (60)
#   TIMEOUT_LARGE  seconds per cell on workloads/large/* (30)
#   OUT      folder for the per-cell JSON results (results/benchmark)
#   ROUNDS   interleaved rounds for the glibc comparison and for sharded and
#            compact against glibc and mimalloc (3; 0: skip both)
#
# Columns: median Mops/s and ns/op over the timed passes, and the best
# (lowest) ns/op of them in brackets (on a shared machine the median moves
# with the neighbours' load; the best pass is the allocator's own cost with
# the least interference); "break": peak
# break (the provider's high-water mark, the allocator's own state
# included; built-ins only); "util" = peak live bytes / peak break;
# "calls": provider (heap_sbrk) calls; "rss": peak RSS of the memory pass
# (bench's rss-hwm-above-baseline: every block written, measured the same
# way for built-ins and peers).  "/glibc" and "/mimal" give the throughput
# as a ratio to glibc's and mimalloc's on the same trace (above 1: faster),
# "rss/gl" the peak RSS as a ratio to glibc's (below 1: less memory).
# Peers run in a child process with LD_PRELOAD (bench --list).  Exit
# status: 0, or 1 if any cell failed a check or could not run.
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
RUNS=${RUNS:-5}
TIMEOUT=${TIMEOUT:-60}
TIMEOUT_LARGE=${TIMEOUT_LARGE:-30}
OUT=${OUT:-results/benchmark}

command -v jq >/dev/null || { echo "benchmark.sh: jq is required (make deps)" >&2; exit 2; }
[ -x "$BENCH" ] || { echo "benchmark.sh: $BENCH not built (run make)" >&2; exit 2; }

if [ -n "${ALLOCS:-}" ]; then
	allocs=$(echo "$ALLOCS" | tr ',' ' ')
else
	# the built-ins, then the two peers the issue compares with, if installed
	allocs=$("$BENCH" --list | awk '$2 != "peer:" { print $1 }
		$2 == "peer:" && ($1 == "glibc" || $1 == "mimalloc") && !/not installed/ { print $1 }')
fi
if [ $# -gt 0 ]; then
	traces="$*"
else
	traces=$(ls workloads/*.trace workloads/*.rep workloads/malloclab/*.rep \
	            workloads/malloclab/*.trace workloads/extra/*.trace \
	            workloads/large/grow-*.trace 2>/dev/null)
fi

mkdir -p "$OUT"
rows=$(mktemp)
trap 'rm -f "$rows" "$rows.tmp"' EXIT
failed=0
start=$(date +%s)

for t in $traces; do
	case $t in workloads/large/*) limit=$TIMEOUT_LARGE ;; *) limit=$TIMEOUT ;; esac
	name=$(echo "$t" | sed 's|^workloads/||; s|/|-|g')
	for a in $allocs; do
		json="$OUT/$name--$a.json"
		rm -f "$json"
		# bench kills the cell at --timeout; the outer timeout is a safety net
		timeout -k 5 $((limit + 60)) "$BENCH" --alloc "$a" --trace "$t" --runs "$RUNS" \
			--timeout "$limit" --quiet --out "$json" 2>"$json.err"
		rc=$?
		if [ $rc -eq 124 ] || [ $rc -eq 137 ] ||
		   { [ -s "$json" ] && [ "$(jq -r .status "$json")" = timeout ]; }; then
			printf '%s\t%s\ttimeout (%ss)\n' "$t" "$a" "$limit" >> "$rows"
			continue
		fi
		if [ ! -s "$json" ]; then
			printf '%s\t%s\terror (exit %s): %s\n' "$t" "$a" "$rc" \
				"$(head -c 120 "$json.err" | tr '\n\t' '  ')" >> "$rows"
			failed=1
			continue
		fi
		rm -f "$json.err"
		if [ "$(jq -r .status "$json")" != ok ]; then
			printf '%s\t%s\tFAILED: %s\n' "$t" "$a" \
				"$(jq -r '.check.message // "check failed"' "$json" | head -c 120)" >> "$rows"
			failed=1
			continue
		fi
		jq -r --arg t "$t" '[$t, .allocator.name,
			.throughput.ops_per_sec.median, .throughput.ns_per_op.median,
			(.memory.peak_break_bytes // -1), (.memory.utilization // -1),
			(.memory.provider_calls // -1), (.memory.peak_rss_bytes // -1),
			.trace.peak_live_blocks, .throughput.ns_per_op.min] | @tsv' "$json" >> "$rows"
	done
done

# Join each row with the glibc and mimalloc rows of its trace, then print.
awk -F'\t' '
function mem(b) { return b < 0 ? "-" : b >= 1048576 ? sprintf("%.1fM", b / 1048576) : sprintf("%.0fK", b / 1024) }
NF >= 9 { ops[$1 "\t" $2] = $3; rss[$1 "\t" $2] = $8 }
{ line[NR] = $0 }
END {
	printf "%-40s %-15s %8s %8s %7s %7s %6s %6s %6s %6s %6s %6s\n", "trace", "allocator",
	       "Mops/s", "ns/op", "(best)", "break", "util", "calls", "rss", "/glibc", "/mimal", "rss/gl"
	for (i = 1; i <= NR; i++) {
		n = split(line[i], f, "\t")
		if (n < 9) { printf "%-40s %-15s %s\n", f[1], f[2], f[3]; continue }
		g = f[1] "\tglibc"; m = f[1] "\tmimalloc"
		rg = (g in ops && ops[g] > 0) ? sprintf("%.2f", f[3] / ops[g]) : "-"
		rm = (m in ops && ops[m] > 0) ? sprintf("%.2f", f[3] / ops[m]) : "-"
		mg = (g in rss && rss[g] > 0 && f[8] >= 0) ? sprintf("%.2f", f[8] / rss[g]) : "-"
		printf "%-40s %-15s %8.2f %8.1f %7s %7s %6s %6s %6s %6s %6s %6s\n", f[1], f[2],
		       f[3] / 1e6, f[4], sprintf("(%.1f)", f[10]), mem(f[5]), f[6] < 0 ? "-" : sprintf("%.1f%%", 100 * f[6]),
		       f[7] < 0 ? "-" : f[7], mem(f[8]), rg, rm, mg
	}
}' "$rows"

# ---- the figures the design notes claim, read from the same results ----
util() {  # util TRACE ALLOC: utilization in percent, or empty
	f="$OUT/$(echo "$1" | sed 's|^workloads/||; s|/|-|g')--$2.json"
	[ -s "$f" ] && jq -r 'select(.status == "ok" and .memory.utilization != null) |
		.memory.utilization * 100' "$f"
}
field() {  # field TRACE ALLOC JQ-EXPR
	f="$OUT/$(echo "$1" | sed 's|^workloads/||; s|/|-|g')--$2.json"
	[ -s "$f" ] && jq -r "select(.status == \"ok\") | $3" "$f"
}

ml=$(echo "$traces" | tr ' ' '\n' | grep '^workloads/malloclab/' || true)
if [ -n "$ml" ]; then
	echo
	echo "malloclab-style set (workloads/malloclab): utilization vs the zero-fragmentation"
	echo "bound of an 8-byte header, 16-byte alignment, 32-byte minimum (scripts/util-bound.awk)"
	for t in $ml; do
		printf '  %-36s bound %5.1f%%' "$t" "$(awk -f scripts/util-bound.awk "$t" | awk '{print 100 * $3}')"
		for a in segregated compact tlsf; do
			u=$(util "$t" $a); [ -n "$u" ] && printf '  %s %5.1f%%' $a "$u"
		done
		echo
	done
	for a in $allocs; do
		printf '%s\n' $ml | while read -r t; do
			u=$(util "$t" "$a"); b=$(awk -f scripts/util-bound.awk "$t" | awk '{print 100 * $3}')
			echo "${u:-x} $b"
		done | awk -v a="$a" '$1 == "x" { miss++; next }
			{ u += $1; b += $2; n++ }
			END { if (n) printf "  average %-15s %5.1f%%  (bound %5.1f%%)%s\n", a, u / n, b / n,
			              miss ? sprintf(", %d cells missing", miss) : "" }'
	done
fi

inrun() { echo "$traces" | tr ' ' '\n' | grep -qx "$1"; }
if inrun workloads/random.trace && [ -s "$OUT/random.trace--buddy.json" ]; then
	echo
	live_end=$(awk -f scripts/util-bound.awk workloads/random.trace | awk '{print $4}')
	field workloads/random.trace buddy .allocator_stats.live_block_bytes |
		awk -v r="$live_end" '{ printf "buddy internal waste on workloads/random.trace (uniform 1..4096 B): " \
			"%.1f%% (%d bytes requested live at the end in %d bytes of blocks)\n", 100 * (1 - r / $1), r, $1 }'
fi
if inrun workloads/extra/random-freeall.trace && [ -s "$OUT/extra-random-freeall.trace--buddy.json" ]; then
	field workloads/extra/random-freeall.trace buddy '"buddy after freeing everything (extra/random-freeall.trace): \(.allocator_stats.splits) splits, \(.allocator_stats.merges) merges, \(.allocator_stats.live_blocks) live blocks, \(.allocator_stats.tops_retired) of \(.allocator_stats.tops_seeded) seeded tops retired, final break \(.memory.final_break_bytes) B (peak \(.memory.peak_break_bytes) B)"'
fi

gt=$(echo "$traces" | tr ' ' '\n' | grep '^workloads/large/grow-' || true)
if [ -n "$gt" ]; then
	echo
	echo "cost per operation as the live set grows (bench gen grow; ns/op, median (best)):"
	for t in $gt; do
		printf '  %-34s %9s live' "$t" "$(field "$t" tlsf .trace.peak_live_blocks)"
		for a in tlsf segregated implicit-first; do
			v=$(field "$t" $a '"\(.throughput.ns_per_op.median) \(.throughput.ns_per_op.min)"')
			if [ -n "$v" ]; then
				printf '  %s %7.1f (%.1f)' $a $v
			else
				printf '  %s %14s' $a "timeout"
			fi
		done
		echo
	done
fi

# segregated and tlsf against glibc on the realistic workloads (generated
# web/compiler/database and the recorded programs).  On a shared machine one
# cell's figures move with the neighbours' load, so these ratios come from
# ROUNDS extra rounds that run glibc, segregated and tlsf in turn on each
# trace (interleaved, so load hits all three alike) and keep each one's best
# pass over all rounds: ratio = glibc's ns/op / ours (above 1: faster).
# Memory: peak RSS ratio from the table's cells (below 1: less), and the
# peak break beside glibc's arena size (mallinfo2 "arena" at the end of the
# run; glibc's own high-water is not exported).
ROUNDS=${ROUNDS:-3}
real=$(echo "$traces" | tr ' ' '\n' | grep -xE 'workloads/(web|compiler|database|sqlite|jq|python|perl|cc1)\.trace' || true)
if [ -n "$real" ] && echo "$allocs" | tr " " "\n" | grep -qx glibc && [ "$ROUNDS" -gt 0 ]; then
	echo
	echo "segregated and tlsf vs glibc on the realistic workloads: throughput ratio (best pass of $ROUNDS interleaved"
	echo "rounds of $RUNS passes; above 1 = faster than glibc), peak RSS ratio, peak break vs glibc's arena:"
	for t in $real; do
		best=""
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			for a in glibc segregated tlsf; do
				v=$("$BENCH" --alloc $a --trace "$t" --runs "$RUNS" --timeout "$TIMEOUT" --json \
					--quiet 2>/dev/null | jq -r 'select(.status == "ok") | .throughput.ns_per_op.min')
				best="$best $a=${v:-x}"
			done
			r=$((r + 1))
		done
		g=$(field "$t" glibc '"\(.memory.peak_rss_bytes) \(.library_stats.values.arena // 0)"')
		s_=$(field "$t" segregated '"\(.memory.peak_rss_bytes) \(.memory.peak_break_bytes)"')
		l_=$(field "$t" tlsf '"\(.memory.peak_rss_bytes) \(.memory.peak_break_bytes)"')
		echo "$best" | tr ' ' '\n' | awk -F= -v t="$t" -v g="$g" -v s="$s_" -v l="$l_" '
			$2 != "" && $2 != "x" { if (!($1 in m) || $2 < m[$1]) m[$1] = $2 }
			END {
				split(g, G, " "); split(s, S, " "); split(l, L, " ")
				printf "  %-28s glibc %6.1f ns/op", t, m["glibc"]
				printf "  segregated %.2fx rss %s break %.0fK", m["glibc"] / m["segregated"],
				       G[1] ? sprintf("%.2f", S[1] / G[1]) : "-", S[2] / 1024
				printf "  tlsf %.2fx rss %s break %.0fK", m["glibc"] / m["tlsf"],
				       G[1] ? sprintf("%.2f", L[1] / G[1]) : "-", L[2] / 1024
				printf "  (glibc arena %.0fK)\n", G[2] / 1024
			}'
	done
fi

# The memory-first design (compact) against the design it extends: peak
# break on every trace of the run, from the table's cells.
if echo "$allocs" | tr ' ' '\n' | grep -qx compact && echo "$allocs" | tr ' ' '\n' | grep -qx segregated; then
	echo
	echo "compact vs segregated, peak break on every trace (below 0: compact needs less):"
	for t in $traces; do
		c=$(field "$t" compact '.memory.peak_break_bytes'); s=$(field "$t" segregated '.memory.peak_break_bytes')
		[ -n "$c" ] && [ -n "$s" ] && echo "$t $c $s"
	done | awk '{ d = 100 * ($2 - $3) / $3; n++; if (d > 0) { worse++; w = w sprintf("  %s %+.2f%%\n", $1, d) }
		else if (d < 0) better++; sum += d }
		END { if (n) printf "  %d traces: %d smaller, %d larger, %d equal; mean %+.2f%%\n%s", n, better,
		      worse, n - better - worse, sum / n, w }'
fi

# The speed-first design (sharded) and compact against glibc and mimalloc
# on the realistic workloads: ROUNDS rounds that run glibc, mimalloc,
# sharded, compact and segregated in turn on each trace (interleaved, so
# the neighbours' load hits all alike).  Throughput ratio = the peer's
# median ns/op / ours, each the median over the rounds of the per-round
# medians (above 1: faster); "best" compares best passes instead.  Memory:
# peak RSS ratio to glibc's and the peak break, from the table's cells.
new5="glibc mimalloc sharded compact segregated"
if [ -n "$real" ] && [ "$ROUNDS" -gt 0 ] &&
   [ "$(echo "$allocs" | tr ' ' '\n' | grep -cxE 'glibc|mimalloc|sharded|compact')" -eq 4 ]; then
	echo
	echo "sharded and compact vs glibc and mimalloc on the realistic workloads: throughput ratio (median of"
	echo "$ROUNDS interleaved rounds of $RUNS passes, each round's median; above 1 = faster), peak RSS vs glibc, peak break:"
	for t in $real; do
		res=""
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			for a in $new5; do
				v=$("$BENCH" --alloc $a --trace "$t" --runs "$RUNS" --timeout "$TIMEOUT" --json \
					--quiet 2>/dev/null | jq -r 'select(.status == "ok") |
					"\(.throughput.ns_per_op.median) \(.throughput.ns_per_op.min)"')
				res="$res
$a ${v:-x x}"
			done
			r=$((r + 1))
		done
		g=$(field "$t" glibc .memory.peak_rss_bytes)
		mem=""
		for a in sharded compact segregated; do
			mem="$mem $a=$(field "$t" $a '"\(.memory.peak_rss_bytes),\(.memory.peak_break_bytes)"')"
		done
		echo "$res" | awk -v t="$t" -v g="${g:-0}" -v mem="$mem" '
			function median(a, n,   i, j, x) {
				for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
			NF == 3 && $2 != "x" { k = $1; n[k]++; med[k, n[k]] = $2; if (!(k in best) || $3 < best[k]) best[k] = $3 }
			END {
				split("glibc mimalloc sharded compact segregated", names, " ")
				for (i = 1; i <= 5; i++) { k = names[i]; delete tmp
					for (j = 1; j <= n[k]; j++) tmp[j] = med[k, j]
					m[k] = n[k] ? median(tmp, n[k]) : 0 }
				split(mem, M, " ")
				for (i in M) { split(M[i], kv, "="); split(kv[2], rb, ","); rss[kv[1]] = rb[1]; brk[kv[1]] = rb[2] }
				printf "  %-26s glibc %6.1f  mimalloc %6.1f ns/op\n", t, m["glibc"], m["mimalloc"]
				for (i = 3; i <= 5; i++) { k = names[i]
					if (!m[k]) { printf "    %-11s failed\n", k; continue }
					printf "    %-11s %6.1f ns/op  /glibc %.2f  /mimalloc %.2f  (best /glibc %.2f /mimalloc %.2f)  rss/glibc %s  break %.0fK\n",
					       k, m[k], m["glibc"] / m[k], m["mimalloc"] / m[k], best["glibc"] / best[k],
					       best["mimalloc"] / best[k], ((g > 0 && rss[k] > 0) ? sprintf("%.2f", rss[k] / g) : "-"), brk[k] / 1024 }
			}'
	done
fi

# Every design should beat implicit-first wherever more than 10,000 blocks are live.
slow=$(awk -F'\t' 'NF >= 9 && $9 > 10000 { k = $1; if ($2 == "implicit-first") base[k] = $3; else r[k "\t" $2] = $3 }
	NF < 9 && $2 == "implicit-first" { base[$1] = 0 }
	END { for (x in r) { split(x, p, "\t"); if ((p[1] in base) && base[p[1]] > 0 && r[x] <= base[p[1]] && p[2] != "bump")
		printf "  %s on %s\n", p[2], p[1] } }' "$rows")
echo
if [ -n "$slow" ]; then
	echo "not faster than implicit-first on traces with more than 10,000 live blocks:"
	echo "$slow"
else
	echo "every design (bump aside) is faster than implicit-first on every trace with more than 10,000 live blocks (or implicit-first timed out)"
fi

echo
"$BENCH" --alloc bump --trace workloads/basic.trace --json --quiet --runs 1 2>/dev/null |
	jq -r '"machine: \(.machine.cpu), \(.machine.cores) cores, \(.machine.os)"'
echo "runs: $RUNS timed passes per cell (median), limits ${TIMEOUT}s / ${TIMEOUT_LARGE}s (large); results in $OUT; $(( $(date +%s) - start ))s"
exit $failed
