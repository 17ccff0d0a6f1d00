/*
 * global_lock.h - one mutex around every call of an allocator's table.
 *
 * Built-in allocators are not thread-safe: with --threads their table is
 * wrapped so that every call takes one global pthread mutex -- the honest
 * baseline a per-thread design must beat.  The state lives in harness
 * memory, not in the heap, so the memory figures are the allocator's own.
 * The threaded driver's passes call through it, and the checker takes it to
 * read the break and to run the allocator's self-check.
 */
#ifndef HEAPLAB_GLOBAL_LOCK_H
#define HEAPLAB_GLOBAL_LOCK_H

#include <pthread.h>

#include "../../allocators/allocator.h"
#include "cell.h"      /* the progress page */
#include "guard.h"     /* guard_op          */
#include "timed_op.h"

struct global_lock {
	pthread_mutex_t         m;      /* the one lock                     */
	const struct allocator *inner;  /* the allocator it serialises      */
	void                   *self;   /* inner's state                    */
	int                     track;  /* checked pass in a child: name the
	                                   op (guard_op) in the progress page */
};

void global_lock_init(struct global_lock *l);
void global_lock_destroy(struct global_lock *l);

/* The lock this thread holds, so a crash inside the allocator can release it. */
extern __thread struct global_lock *global_lock_held;

/* Take and drop the lock (inline: the timed passes call it for every op). */
static inline void global_lock_take(struct global_lock *l)
{
	pthread_mutex_lock(&l->m);
	global_lock_held = l;
	/* Holding the lock, this op is the one inside the allocator: if it never
	 * comes back (a hang), the page names it. */
	if (__builtin_expect(l->track, 0) && guard_op != REPLAY_OP_NONE) {
		replay_progress->op = guard_op;
		replay_progress->op_exact = 1;
	}
}

static inline void global_lock_drop(struct global_lock *l)
{
	global_lock_held = NULL;
	pthread_mutex_unlock(&l->m);
}

/* After a crash of this thread inside the allocator: drop the lock it held, if any. */
void global_lock_release_held(void);

/* The calls of `a` (state `self`) through the lock, into *c. */
void global_lock_calls(struct global_lock *l, const struct allocator *a, void *self,
                       struct timed_calls *c);

#endif
