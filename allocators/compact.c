/*
 * compact.c - the memory-first design: segregated fits taken as far towards
 * low peak memory as measurements on the shipped traces support.
 *
 * Why segregated taken further rather than a new layout: `segregated`
 * already has the block format the CS:APP lab's best solutions use (an
 * 8-byte header holding size | allocated | previous-allocated, a footer only
 * on free blocks, payloads 16-byte aligned), address-ordered fits over exact
 * and ranged bins, immediate coalescing, and a realloc that grows into either
 * free neighbour or extends the break.  What it gives away is placement
 * quality for speed, and that is what this file changes: both designs run
 * on the engine of segfit.c, and this one's policy is the difference.
 * Everything below is measured as peak break on the traces in workloads/,
 * which the harness reports exactly (`bench --json | jq .memory`).
 *
 * Algorithm: segfit.c's block layout and bins (an 8-byte header, a footer
 * only on free blocks, one bin per exact size below 512 bytes then four per
 * power of two, a bitmap to find the next non-empty bin).  Differences from
 * segregated:
 *
 *   - True best fit.  An exact bin's head fits exactly; in a range bin the
 *     whole list is scanned for the smallest block that fits (the lower
 *     address among equals), and when the request's own bin has none, the
 *     whole of the next non-empty bin is scanned (every block there is
 *     bigger, so its smallest is the best fit overall).
 *   - Small and mid-size blocks apart.  Blocks under 128 bytes are carved
 *     from the high end of a free block, larger ones from the low end (as in
 *     segregated).  When the heap must grow, a request of 256 to 1023 bytes
 *     grows it by exactly what is missing, while a small one grows it by a
 *     chunk (1/32 of the heap, 1 KiB to 256 KiB) and takes the chunk's top:
 *     the chunk's rest then serves the next mid-size requests from its low
 *     end and small ones from its high end, so alternating small and large
 *     requests (CS:APP's binary traces) end up in separate runs, and freeing
 *     one kind leaves holes that merge.  Segregated rounds every growth to a
 *     chunk, which both mixes the two kinds and leaves up to 1/32 of the heap
 *     unused at the peak.
 *   - Kept from segregated: freed blocks under 256 bytes wait in per-size
 *     caches (still marked allocated) and are coalesced for real before the
 *     heap would grow.  Delaying their coalescing measured better, not worse:
 *     without the caches the malloclab-style average drops by 1.2 points,
 *     because a block freed and soon requested again at the same size does
 *     not first merge into a neighbour that a different size then splits.
 *   - realloc shrinks in place, grows into a free next neighbour, extends
 *     the break when the block is last (or followed only by a free last
 *     block), slides down into a free previous neighbour (absorbing both
 *     sides), and only then moves, to the best fit or, when nothing fits, to
 *     the top of the heap grown by exactly its size, so its next growth
 *     extends the break.
 *
 * Tried and measured worse (malloclab-style averages at 16-byte alignment):
 * moving every growing block of 4 KiB or more to the top instead of a best
 * fit (0.819; realloc-2 falls to 0.41: the top buffer is the only one that
 * grows in place, and leaving best-fit holes unused costs more); moving into
 * a hole twice the new size to leave room to grow (0.873); exact growth for
 * every size (0.796: binary falls to 0.54, small and large interleave) or
 * for every size from 256 bytes up (0.880, but 6% worse than segregated on
 * web.trace, whose mid-size and big blocks then interleave).  A 16-byte
 * minimum block needs 4-byte links and headers (a 64 GiB heap can use 32-bit
 * offsets, but the header then sits at 12 mod 16 and saves nothing on 16-byte
 * sizes); headerless runs of small blocks need a map from address to run,
 * whose cost a small heap cannot repay.
 * Also measured worse, each against this file's figures below: sliding a
 * last block down into a free previous neighbour before extending the break
 * (realloc-3 0.878, but realloc-2 0.633 and short1.rep 42% above
 * segregated; only when the break must rise anyway: 0.668/0.846); exact
 * growth for requests of 1 to 4 KiB (random 0.933/0.945, average 0.882, but
 * perl 1.6%, sqlite 1.1% and jq 0.35% above segregated), or growth by a
 * quarter or an eighth of the chunk for them (perl 1.5-1.7%, web 6.5%
 * above), or exact growth only when the heap ends in a free block (web
 * 6.5%), only when it ends in an allocated one (perl 1.6%, random.trace
 * 1.8%), or only once the heap passes 1 MiB (perl 1.75%); growth by 1/64 or
 * 1/128 of the heap (0.879, with mt-cache 1.4% above segregated; 0.877, web
 * 6.5%); trimming a free end block from 64 or 128 KiB (0.863, 0.870 keeping
 * 16 KiB; 0.864 keeping 64 KiB: realloc-2 0.58 to 0.64), or never (0.860:
 * realloc-2 0.535, web 12% above segregated);
 * moving a growing block of 4 KiB or more to the top of a chunk grown
 * for it, so that the small blocks that follow fill the room below it
 * instead of walling it in (0.870; realloc-2 0.618, web 11.9%); carving
 * from the high end below 64, 256 or 1024 bytes instead of 128 (0.808,
 * 0.875, 0.796).  Where the rest goes, seen by dumping the heap each time
 * the break rises: on realloc-2 the last rise moves a 196 KiB buffer that
 * doubles to the top while 716 KB lie free in 53 blocks, the biggest
 * (374 KB, just below the top) walled off by a few blocks of 3.6 KiB and
 * less that had moved to the top before it; on random-2, 204 KB lie free at
 * the peak in 277 blocks averaging 740 bytes (uniform 1 to 4096-byte
 * requests), part of it the unused rest of the last chunk.
 *
 * Time: malloc O(1) for cached and exact-bin sizes, otherwise O(blocks in
 * one range bin) for the best-fit scan (the price of the memory; bins are
 * quarter-powers of two, so a scan covers blocks within 25% of each other);
 * free O(1); realloc O(1) plus the copy when it moves; memalign a bounded
 * scan per non-empty bin; a cache flush O(cached blocks).
 *
 * Fragmentation, measured (peak live / peak break): 0.877 average on the
 * ten malloclab-style traces against segregated's 0.867 and the 0.946 bound
 * a zero-fragmentation allocator with this block format reaches
 * (scripts/util-bound.awk); binary 0.927 (bound 0.947), coalescing
 * 0.955/0.950 (0.969/0.962), compiler 0.790/0.831 (0.806/0.849), random
 * 0.900/0.936 (0.992), realloc 0.705/0.855 (0.999: forty buffers doubling
 * at once, only one of which can sit at the top; each move holds the old and
 * the new copy at once).  On the other shipped traces its peak break is at
 * most segregated's except on cc1, perl and random (and random's copy in
 * extra/), by at most 0.33%; docs/benchmark.md has the figures.  The state
 * takes the first 680 bytes of the break.
 *
 * Origin: segregated.c (Doug Lea's dlmalloc design: bins, boundary tags,
 * the previous-in-use bit; Knuth TAOCP vol. 1 section 2.5); best fit and
 * wilderness preservation as surveyed by Wilson, Johnstone, Neely and Boles,
 * "Dynamic Storage Allocation: A Survey and Critical Review" (1995), which
 * also measured address-ordered best fit among the least fragmenting
 * policies; Johnstone and Wilson, "The Memory Fragmentation Problem: Solved?"
 * (ISMM 1998); Bryant and O'Hallaron, CS:APP section 9.9 and its malloc lab.
 */
#include "segfit.h"

static const struct segfit_policy policy = {
	.name       = "compact",
	.scan_limit = ~0UL,         /* range bins: true best fit                 */
	.exact_min  = 256,          /* blocks this big: the heap grows exactly...  */
	.exact_max  = 1024,         /* ...and smaller than this                   */
};

static void *compact_init(struct heap *heap) { return segfit_init(heap, &policy); }

const struct allocator alloc_compact = {
	.name        = "compact",
	.description = "memory-first: segregated best fit, large blocks apart, realloc to the top",
	.init        = compact_init,
	.malloc      = segfit_malloc,
	.free        = segfit_free,
	.realloc     = segfit_realloc,
	.calloc      = segfit_calloc,
	.memalign    = segfit_memalign,
	.usable_size = segfit_usable_size,
	.check       = segfit_check,
	.stats       = segfit_stats,
};
