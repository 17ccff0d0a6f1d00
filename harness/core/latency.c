/* latency.c - sorting and percentiles of per-op latency samples (see latency.h). */
#define _GNU_SOURCE
#include "latency.h"
#include "monoclock.h"

#include <string.h>
#include <time.h>

const char *const latency_kind_name[LATENCY_KINDS] = {
	[OP_MALLOC] = "malloc", [OP_CALLOC] = "calloc", [OP_REALLOC] = "realloc",
	[OP_MEMALIGN] = "memalign", [OP_FREE] = "free", [LATENCY_ALL] = "all",
};

/*
 * LSD radix sort, 8 bits a pass: four passes leave the data back in
 * `samples`.  Passes whose byte is the same for every sample are skipped
 * (in pairs, so the data still ends up where it started).
 */
void latency_sort(uint32_t *samples, uint32_t *scratch, size_t n)
{
	uint32_t *src = samples, *dst = scratch;

	for (unsigned shift = 0; shift < 32; shift += 8) {
		size_t count[256] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xff]++;
		size_t at = 0;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xff]++] = src[i];
		uint32_t *tmp = src;
		src = dst;
		dst = tmp;
	}
	/* Four passes: src is `samples` again. */
}

/* The sample at nearest rank ceil(num/den * n), 1-based. */
static uint64_t rank(const uint32_t *sorted, size_t n, uint64_t num, uint64_t den)
{
	uint64_t r = ((uint64_t)n * num + den - 1) / den;
	if (r < 1)
		r = 1;
	return sorted[r - 1];
}

void latency_stat_from_sorted(const uint32_t *sorted, size_t n, struct latency_stat *s)
{
	memset(s, 0, sizeof *s);
	s->count = n;
	if (!n)
		return;
	s->p50 = rank(sorted, n, 50, 100);
	s->p90 = rank(sorted, n, 90, 100);
	s->p99 = rank(sorted, n, 99, 100);
	s->p999 = rank(sorted, n, 999, 1000);
	s->max = sorted[n - 1];
}

void latency_summarise(const struct trace *t, uint32_t *samples, uint32_t *a, uint32_t *b,
                       struct latency_figures *f)
{
	for (unsigned k = 0; k < OP_KINDS; k++) {
		size_t n = 0;
		for (size_t i = 0; i < t->nops; i++)
			if (t->ops[i].kind == k)
				a[n++] = samples[i];
		latency_sort(a, b, n);
		latency_stat_from_sorted(a, n, &f->kind[k]);
	}
	latency_sort(samples, a, t->nops);
	latency_stat_from_sorted(samples, t->nops, &f->kind[LATENCY_ALL]);
}

uint64_t latency_timer_overhead(void)
{
	/* 10001 samples on the stack: 40 KiB, no allocation. */
	uint32_t s[LATENCY_CALIBRATION], scratch[LATENCY_CALIBRATION];

	for (unsigned i = 0; i < LATENCY_CALIBRATION; i++) {
		uint64_t t0 = mono_ns();
		uint64_t t1 = mono_ns();
		s[i] = (uint32_t)(t1 - t0);
	}
	latency_sort(s, scratch, LATENCY_CALIBRATION);
	return s[LATENCY_CALIBRATION / 2];
}
