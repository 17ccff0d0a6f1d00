/*
 * timed_op.h - one op of a timed pass, with the replay's failure semantics.
 *
 * The serial timed loop (serial.c) and each thread's loop of a threaded pass
 * (threaded.c) run exactly this code, so the two measure the same work and
 * cannot drift apart.  It is always inlined: the loops keep the calls in
 * registers and the harness stays within a nanosecond of a hand-written loop
 * (docs/speed.md).
 *
 * Semantics (docs/harness.md): a NULL from an allocation is counted and the
 * slot marked FAILED_BLOCK, so the trace's later f/r of it are skipped and
 * counted; realloc returning NULL for size 0 freed the block (glibc's
 * choice), for a larger size it failed and the old block stays.
 *
 * Touching (--touch, timing.h): a program writes into the memory it gets,
 * and the first write to a page the allocator never wrote costs a page
 * fault.  Not writing would favour allocators that keep their metadata out
 * of the blocks (they never fault the pages in), so by default each new
 * block, and the grown part of a realloc, gets one write per page it spans:
 * its first byte, the first byte of every 4 KiB page that starts inside it,
 * and its last byte.  TOUCH_ALL writes every byte; TOUCH_NONE nothing.  The
 * mode is a constant at each call (the loops are instantiated per mode), so
 * TOUCH_NONE compiles to the loop without the writes or the size array.
 */
#ifndef HEAPLAB_TIMED_OP_H
#define HEAPLAB_TIMED_OP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../core/timing.h"
#include "../core/trace.h"

#define TOUCH_PAGE 4096u  /* the page size touching assumes (x86-64, arm64 4K) */
#define TOUCH_BYTE 0x5a   /* what the writes store                             */

/* Marks a slot whose allocation failed (defined in serial.c). */
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

/* Write bytes [from, to) of block p as `touch` says (see above). */
static inline __attribute__((always_inline)) void
timed_touch(char *p, uint64_t from, uint64_t to, int touch)
{
	if (touch == TOUCH_NONE || from >= to)
		return;
	if (touch == TOUCH_ALL) {
		memset(p + from, TOUCH_BYTE, (size_t)(to - from));
		return;
	}
	char *q = p + from, *last = p + to - 1;
	*(volatile char *)q = TOUCH_BYTE;
	for (q = (char *)(((uintptr_t)q | (TOUCH_PAGE - 1)) + 1); q <= last; q += TOUCH_PAGE)
		*(volatile char *)q = TOUCH_BYTE;
	*(volatile char *)last = TOUCH_BYTE;
}

/*
 * Do `op` on `*slot`; `*nmemb` walks the trace's calloc NMEMB array.  With
 * a `touch` other than TOUCH_NONE, `*size` is the slot's block size (kept
 * for reallocs); with TOUCH_NONE `size` is not used.
 */
static inline __attribute__((always_inline)) void
timed_op(const struct timed_calls *c, const struct op *op, void **slot,
         const uint64_t **nmemb, struct timed_counts *n, int touch, uint64_t *size)
{
	uint64_t bytes = op->size;
	void *p;

	switch (op->kind) {
	case OP_MALLOC:
		p = c->malloc(c->self, op->size);
		goto allocated;
	case OP_CALLOC:
		if (touch != TOUCH_NONE && __builtin_mul_overflow(**nmemb, op->size, &bytes))
			bytes = 0;   /* an overflowing calloc gets NULL; nothing to write */
		p = c->calloc(c->self, *(*nmemb)++, op->size);
		goto allocated;
	case OP_MEMALIGN:
		p = c->memalign(c->self, (size_t)1 << op->align_log2, op->size);
	allocated:
		if (__builtin_expect(!p, 0)) {
			n->failed++;
			p = FAILED_BLOCK;
		} else if (touch != TOUCH_NONE) {
			timed_touch(p, 0, bytes, touch);
			*size = bytes;
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
		if (touch != TOUCH_NONE) {
			timed_touch(p, *slot ? *size : 0, bytes, touch);   /* the grown part */
			*size = bytes;
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
