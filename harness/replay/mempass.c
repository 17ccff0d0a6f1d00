/* mempass.c - the memory pass (see mempass.h). */
#define _GNU_SOURCE
#include "mempass.h"
#include "timed_op.h"   /* FAILED_BLOCK: one marker for every pass */

#include "../core/bulk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Resident anonymous bytes: /proc/self/statm's resident - shared pages, read
 * through a descriptor kept open (~4 us; pread on the stack, no malloc).
 */
static int64_t anon_resident(int fd)
{
	char buf[256];
	long long size, resident, shared;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %lld %lld", &size, &resident, &shared) != 3 || resident < shared)
		return -1;
	return (int64_t)(resident - shared) * MEMPASS_PAGE;
}

/* Write one byte in every page [p, p + n) spans: first and last byte included. */
static inline void touch(void *p, uint64_t n)
{
	volatile char *c = p;
	if (!n)
		return;
	c[0] = 1;
	uintptr_t a = ((uintptr_t)p & ~(uintptr_t)(MEMPASS_PAGE - 1)) + MEMPASS_PAGE;
	for (uintptr_t end = (uintptr_t)p + n; a < end; a += MEMPASS_PAGE)
		*(volatile char *)a = 1;
	c[n - 1] = 1;
}


/*
 * The replay itself: the timed loop's semantics, plus the writes, and a
 * reading of resident memory before every op and after the last.
 */
static void replay_touching(const struct allocator *a, void *self, const struct trace *t,
                            void **ptrs, uint64_t *failed, int statm, int64_t *peak)
{
#define SAMPLE() do {                                             \
		int64_t rss_ = anon_resident(statm);                    \
		if (rss_ > *peak)                                       \
			*peak = rss_;                                   \
	} while (0)
	const uint64_t *nmemb = t->calloc_nmemb;
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		void **slot = &ptrs[op->slot];
		uint64_t size = op->size;
		void *p;
		if (replay_progress)
			replay_progress->op = i;
		SAMPLE();
		switch (op->kind) {
		case OP_MALLOC:
			p = a->malloc(self, op->size);
			goto allocated;
		case OP_CALLOC: {
			int overflow;
			uint64_t n = *nmemb++;
			p = a->calloc(self, n, op->size);
			size = mul_size(n, op->size, &overflow);
			if (overflow && p)
				size = 0;   /* the checked pass failed this lie; touch nothing */
			goto allocated;
		}
		case OP_MEMALIGN:
			p = a->memalign(self, (size_t)1 << op->align_log2, op->size);
		allocated:
			if (!p) {
				++*failed;
				p = FAILED_BLOCK;
			} else {
				touch(p, size);
			}
			*slot = p;
			break;
		case OP_REALLOC:
			if (*slot == FAILED_BLOCK)
				break;
			p = a->realloc(self, *slot, op->size);
			if (!p) {
				if (*slot && op->size == 0)
					*slot = FAILED_BLOCK;
				else if (!*slot)
					++*failed, *slot = FAILED_BLOCK;
				else
					++*failed;
				break;
			}
			touch(p, op->size);
			*slot = p;
			break;
		case OP_FREE:
			if (*slot != FAILED_BLOCK)
				a->free(self, *slot);
			*slot = NULL;
			break;
		}
	}
	SAMPLE();
#undef SAMPLE
}

enum cell_status mempass_run(const struct allocator *a, const struct trace *t,
                             const struct cell_options *opt, struct mempass_result *r)
{
	struct heap heap;
	size_t bytes = ((size_t)t->nslots + 1) * sizeof(void *);
	int err = 0;

	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < t->nops; i++)
		if (t->ops[i].slot >= t->nslots) {
			snprintf(r->note, sizeof r->note, "%s: op %zu: slot out of range", t->path, i);
			return CELL_BAD_INPUT;
		}
	void **ptrs = bulk_alloc(bytes);
	if (!ptrs) {
		snprintf(r->note, sizeof r->note, "cannot reserve memory for %u block pointers",
		         t->nslots);
		return CELL_SYSTEM;
	}
	/* Fault the array in now (bulk pages are untouched zero pages), so that
	 * its pages are in the baseline, not in the figure. */
	memset(ptrs, 0xff, bytes);
	memset(ptrs, 0, bytes);
	if (!opt->peer) {
		size_t tried;
		if ((err = heap_open_fitting(&heap, opt->heap_limit, &tried))) {
			bulk_free(ptrs, bytes);
			heap_describe_failure(r->note, sizeof r->note, tried, err);
			return CELL_SYSTEM;
		}
	}
	/* A first reading warms up the stack and code it uses; the second is the baseline. */
	int statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	int64_t base = statm >= 0 ? anon_resident(statm) : -1, high = -1;
	if (statm >= 0)
		base = anon_resident(statm);
	void *self = a->init(opt->peer ? NULL : &heap);
	enum cell_status s = CELL_OK;
	if (!self) {
		snprintf(r->note, sizeof r->note, "%s: init returned NULL", a->name);
		s = CELL_CHECK_FAILED;
	} else {
		replay_touching(a, self, t, ptrs, &r->failed_allocations, statm, &high);
		if (replay_progress)
			replay_progress->op = t->nops;
		if (base >= 0 && high >= 0) {
			r->measured = 1;
			r->baseline_bytes = (uint64_t)base;
			r->high_bytes = (uint64_t)high;
			r->peak_rss_bytes = high > base ? (uint64_t)(high - base) : 0;
		} else {
			snprintf(r->note, sizeof r->note, "cannot read /proc/self/statm: %s",
			         statm < 0 ? strerror(errno) : "unexpected contents");
		}
	}
	if (statm >= 0)
		close(statm);
	if (!opt->peer)
		heap_close(&heap);
	bulk_free(ptrs, bytes);
	return s;
}
