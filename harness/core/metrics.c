/* metrics.c - memory figures and sample summaries (see metrics.h). */
#include "metrics.h"

#include <string.h>

void memory_figures_from_heap(struct memory_figures *m, const struct heap *heap)
{
	m->peak_break = heap->peak_brk;
	m->final_break = heap->brk;
	m->provider_calls = heap->calls;
	m->grow_calls = heap->grow_calls;
	m->shrink_calls = heap->shrink_calls;
	m->refused_calls = heap->refused_calls;
	m->bytes_requested = heap->bytes_requested;
	m->bytes_released = heap->bytes_released;
}

const char *memory_figures_differ(const struct memory_figures *a,
                                  const struct memory_figures *b, int strict)
{
#define SAME(field) if (a->field != b->field) return #field
	SAME(peak_break);
	SAME(final_break);
	SAME(grow_calls);
	SAME(shrink_calls);
	SAME(refused_calls);
	SAME(bytes_requested);
	SAME(bytes_released);
	SAME(failed_allocations);
	SAME(skipped_ops);
	if (strict)
		SAME(provider_calls);
#undef SAME
	return NULL;
}

double metrics_utilization(uint64_t peak_live, uint64_t peak_break)
{
	return peak_break ? (double)peak_live / (double)peak_break : 0.0;
}

void metrics_summarise(const double *samples, size_t n, struct sample_summary *out)
{
	double sorted[n];  /* n is --runs, at most RUN_MAX */

	memcpy(sorted, samples, n * sizeof *sorted);
	/* Insertion sort: n is small and this stays free of malloc. */
	for (size_t i = 1; i < n; i++) {
		double v = sorted[i];
		size_t j = i;
		for (; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	out->min = sorted[0];
	out->max = sorted[n - 1];
	out->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

int metrics_utilization_rss(uint64_t peak_live, uint64_t peak_rss, double *util)
{
	if (!peak_rss || peak_rss < peak_live)
		return 0;
	*util = (double)peak_live / (double)peak_rss;
	return 1;
}
