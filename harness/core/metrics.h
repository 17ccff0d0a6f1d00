/*
 * metrics.h - the figures one replay produces, and the small arithmetic
 * that turns timing samples into median/min/max.
 *
 * Definitions (README's metric section quotes these):
 *   peak live bytes   max over the replay of the sum of REQUESTED sizes of
 *                     live blocks, as actually replayed (failed allocations
 *                     add nothing; calloc counts NMEMB * SIZE)
 *   peak break        the provider's high-water mark: every byte the
 *                     allocator ever took, its own state struct included
 *   utilization       peak live bytes / peak break (0 when nothing was taken)
 *   fragmentation     1 - utilization
 */
#ifndef HEAPLAB_METRICS_H
#define HEAPLAB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../../allocators/heap.h"

/* What the heap provider and the replay loop saw in one pass. */
struct memory_figures {
	uint64_t peak_break;        /* heap->peak_brk at the end of the pass         */
	uint64_t final_break;       /* heap->brk at the end of the pass              */
	uint64_t provider_calls;    /* heap_sbrk calls of any increment              */
	uint64_t grow_calls;        /* calls that raised the break                   */
	uint64_t shrink_calls;      /* calls that lowered it                         */
	uint64_t refused_calls;     /* calls the provider refused                    */
	uint64_t bytes_requested;   /* sum of the rises                              */
	uint64_t bytes_released;    /* sum of the falls                              */
	uint64_t failed_allocations;/* allocations (or growing reallocs) that got NULL */
	uint64_t skipped_ops;       /* f/r of a block whose allocation failed        */
};

void memory_figures_from_heap(struct memory_figures *m, const struct heap *heap);

/*
 * The name of the first figure that differs between a and b, or NULL.
 * `strict` also compares provider_calls, which a self-check may legitimately
 * bump with heap_sbrk(heap, 0) in the checked pass.
 */
const char *memory_figures_differ(const struct memory_figures *a,
                                  const struct memory_figures *b, int strict);

double metrics_utilization(uint64_t peak_live, uint64_t peak_break);

/*
 * Peak live bytes / peak RSS (above the baseline) into *util, and 1; or 0
 * when the ratio is not known: no RSS, or an RSS below the live bytes.  The
 * memory pass writes every page of every live block, so its pages are
 * resident at the peak; an RSS above the baseline smaller than the live
 * bytes means the library put blocks in memory that was resident before the
 * pass began (a pre-faulted pool, memory freed by the process earlier), which
 * the baseline counts.  The figure then says how much the RSS grew, not how
 * much the blocks take, and a ratio above 100% would be a lie.
 */
int metrics_utilization_rss(uint64_t peak_live, uint64_t peak_rss, double *util);

struct sample_summary {
	double median;  /* the middle sample; the mean of the two middle ones when even */
	double min;
	double max;
};

/* Summarise n >= 1 samples (the array is left untouched). */
void metrics_summarise(const double *samples, size_t n, struct sample_summary *out);

#endif
