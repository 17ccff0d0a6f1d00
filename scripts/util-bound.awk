# scripts/util-bound.awk - the best utilization a boundary-tag allocator with an
# 8-byte header, 16-byte alignment and 32-byte minimum block (segregated,
# tlsf, the implicit/explicit lists) could reach on a trace:
#
#     peak live bytes / max over time of the sum of live BLOCK sizes
#
# where a request of n bytes needs a block of max(32, round_up(n + 8, 16)).
# That is the heap with zero fragmentation: every byte above it is waste the
# placement policy caused (or the allocator's own state, which is left out
# here).  Aligned requests (`m`) count as plain ones: their padding is
# placement, not header cost.
#
#   awk -f scripts/util-bound.awk TRACE
#
# prints: live_peak block_peak bound live_end (requested bytes live at the end)
#
# Reads the native format and CS:APP .rep (whose four header lines are
# single numbers, skipped here); `#` comments are dropped.
function blk(n,   a) { a = int((n + 8 + 15) / 16) * 16; return a < 32 ? 32 : a }
{
	sub(/(^|[ \t])#.*/, "")
	if (NF == 0 || $1 ~ /^[0-9]+$/)
		next
	op = $1; id = $2
	if (op == "a" || op == "c" || op == "m" || op == "r") {
		n = op == "a" || op == "r" ? $3 : op == "c" ? $3 * $4 : $4
		if (op == "r" && (id in req)) {
			live -= req[id]; blocks -= blk(req[id])
		}
		req[id] = n; live += n; blocks += blk(n)
		if (live > live_peak) live_peak = live
		if (blocks > block_peak) block_peak = blocks
	} else if (op == "f" && (id in req)) {
		live -= req[id]; blocks -= blk(req[id]); delete req[id]
	}
}
END {
	printf "%d %d %.4f %d\n", live_peak, block_peak, block_peak ? live_peak / block_peak : 0, live
}
