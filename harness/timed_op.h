/*
 * timed_op.h - one op of a timed pass, with the replay's failure semantics.
 *
 * The serial timed loop (replay.c) and each thread's loop of a threaded pass
 * (threaded.c) run exactly this code, so the two measure the same work and
 * cannot drift apart.  It is always inlined: the loops keep the calls in
 * registers and the harness stays within a nanosecond of a hand-written loop
 * (docs/speed.md).
 *
 * Semantics (docs/harness.md): a NULL from an allocation is counted and the
 * slot marked FAILED_BLOCK, so the trace's later f/r of it are skipped and
 * counted; realloc returning NULL for size 0 freed the block (glibc's
 * choice), for a larger size it failed and the old block stays.
 */
#ifndef HEAPLAB_TIMED_OP_H
#define HEAPLAB_TIMED_OP_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* Marks a slot whose allocation failed (defined in replay.c). */
extern char replay_failed_marker;
#define FAILED_BLOCK ((void *)&replay_failed_marker)

/* The calls a pass makes: the allocator's own, or a wrapper's (a lock). */
struct timed_calls {
	void *(*malloc)(void *, size_t);
	void *(*calloc)(void *, size_t, size_t);
	void *(*realloc)(void *, void *, size_t);
	void *(*memalign)(void *, size_t, size_t);
	void  (*free)(void *, void *);
	void  *self;
};

/* Counters a pass keeps while it runs. */
struct timed_counts {
	uint64_t failed;   /* allocations that returned NULL */
	uint64_t skipped;  /* f/r of blocks whose allocation failed */
};

/* Do `op` on `*slot`; `*nmemb` walks the trace's calloc NMEMB array. */
static inline __attribute__((always_inline)) void
timed_op(const struct timed_calls *c, const struct op *op, void **slot,
         const uint64_t **nmemb, struct timed_counts *n)
{
	void *p;

	switch (op->kind) {
	case OP_MALLOC:
		p = c->malloc(c->self, op->size);
		goto allocated;
	case OP_CALLOC:
		p = c->calloc(c->self, *(*nmemb)++, op->size);
		goto allocated;
	case OP_MEMALIGN:
		p = c->memalign(c->self, (size_t)1 << op->align_log2, op->size);
	allocated:
		if (__builtin_expect(!p, 0)) {
			n->failed++;
			p = FAILED_BLOCK;
		}
		*slot = p;
		break;
	case OP_REALLOC:
		if (__builtin_expect(*slot == FAILED_BLOCK, 0)) {
			n->skipped++;
			break;
		}
		p = c->realloc(c->self, *slot, op->size);
		if (__builtin_expect(!p, 0)) {
			if (*slot && op->size == 0)
				*slot = FAILED_BLOCK;  /* freed, glibc style */
			else if (!*slot)
				n->failed++, *slot = FAILED_BLOCK;
			else
				n->failed++;           /* the old block stays */
			break;
		}
		*slot = p;
		break;
	case OP_FREE:
		if (__builtin_expect(*slot == FAILED_BLOCK, 0))
			n->skipped++;
		else
			c->free(c->self, *slot);
		*slot = NULL;
		break;
	}
}

#endif
