/*
 * latency.h - per-operation latency (the opt-in --latency pass) and the heap
 * timeline (always recorded during the checked pass).
 *
 * Latency method: each op of an extra pass, on its own fresh heap, is
 * bracketed by two clock_gettime(CLOCK_MONOTONIC) reads (vDSO, no system
 * call on x86-64 with a TSC clocksource).  The timer's own cost is the median
 * of LATENCY_CALIBRATION back-to-back pairs of reads, measured just before
 * the pass; it is subtracted from every sample (clamped at 0) and reported
 * as timer_overhead_ns.  The samples (4 bytes per op, in bulk memory) are
 * sorted after the pass by a radix sort that needs no malloc either.
 *
 * Percentiles use the nearest-rank definition: pX of n sorted samples is the
 * sample at rank ceil(X/100 * n), so every reported figure is a real sample.
 */
#ifndef HEAPLAB_LATENCY_H
#define HEAPLAB_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define LATENCY_ALL          OP_KINDS      /* index of "every op" in latency_figures */
#define LATENCY_KINDS        (OP_KINDS + 1)

/* The op kinds' names, then "all": the keys of a result's "latency" object. */
extern const char *const latency_kind_name[LATENCY_KINDS];
#define LATENCY_CALIBRATION  10001u        /* timer pairs timed to find its overhead */
#define LATENCY_METHOD       "clock_gettime(CLOCK_MONOTONIC) around each op, " \
                             "median timer overhead subtracted"

struct latency_stat {
	uint64_t count;  /* ops of this kind timed                    */
	uint64_t p50;    /* nanoseconds, nearest rank                  */
	uint64_t p90;
	uint64_t p99;
	uint64_t p999;
	uint64_t max;
};

struct latency_figures {
	int      measured;          /* the --latency pass ran to its end            */
	uint64_t timer_overhead_ns; /* median cost of one pair of clock reads       */
	struct latency_stat kind[LATENCY_KINDS];  /* by op kind, then every op      */
};

#define TIMELINE_POINTS 256  /* most samples of the heap over one trace */

/* The heap at evenly spaced points of the checked pass. */
struct timeline {
	unsigned points;                        /* samples taken (fewer for short traces) */
	int      has_break;                     /* a heap provider was behind it (no peer) */
	uint64_t op[TIMELINE_POINTS];           /* ops done when the sample was taken     */
	uint64_t break_bytes[TIMELINE_POINTS];  /* break - heap start at that point       */
	uint64_t live_bytes[TIMELINE_POINTS];   /* requested bytes of live blocks then    */
};

/* Ops done after which point k of a timeline of n_points over nops ops is taken. */
static inline uint64_t timeline_mark(unsigned k, unsigned n_points, uint64_t nops)
{
	return ((uint64_t)(k + 1) * nops + n_points - 1) / n_points;
}

/* Points a timeline of a trace of nops ops has. */
static inline unsigned timeline_points(uint64_t nops)
{
	return nops < TIMELINE_POINTS ? (unsigned)nops : TIMELINE_POINTS;
}

/* Sort n samples ascending; scratch has room for n.  No allocation. */
void latency_sort(uint32_t *samples, uint32_t *scratch, size_t n);

/* Nearest-rank percentiles of n >= 1 sorted samples into s (count = n). */
void latency_stat_from_sorted(const uint32_t *sorted, size_t n, struct latency_stat *s);

/*
 * Fill f->kind[] from samples[i] (ns of t->ops[i]): `samples` is sorted in
 * place for the overall figures; a and b are scratch of t->nops each.
 */
void latency_summarise(const struct trace *t, uint32_t *samples, uint32_t *a, uint32_t *b,
                       struct latency_figures *f);

/* Median cost in ns of one pair of back-to-back CLOCK_MONOTONIC reads. */
uint64_t latency_timer_overhead(void);

#endif
