/*
 * threaded.h - the threaded driver: replaying a multi-threaded trace on
 * several OS threads (`bench --threads`); cell.c calls it.
 *
 * Each trace thread (the `t TID` lines of workloads/README.md) runs its own
 * ops, in trace order, on its own OS thread.  What is kept:
 *   - per-thread program order: a thread's ops run in the order the trace
 *     lists them;
 *   - per-block happens-before: an op on a block (free, realloc, or a new
 *     allocation reusing the ID) runs only after the previous op on the same
 *     block has completed, whichever thread made it.
 * What is left free to vary: the interleaving of independent ops of
 * different threads.  So memory figures may differ from run to run.
 *
 * A new allocation under an ID another thread freed waits for that free
 * too: a slot holds one block at a time.  Recorders and generators reuse
 * freed IDs, so this is not strictly a program ordering, but it is what
 * keeps the replay's live set within the trace's blocks: a producer that
 * reuses the IDs its consumers freed cannot run ahead of them, as it could
 * not in the program (its queue was bounded).  bench gen's mt-* profiles
 * let a thread reuse its own freed IDs first, so private churn waits on
 * nothing.
 *
 * How: a plan computed before any pass gives every op its ordinal among the
 * ops on its slot.  An op whose predecessor on the slot belongs to another
 * thread waits until that slot's published counter reaches its ordinal
 * (acquire); an op whose successor on the slot belongs to another thread
 * publishes ordinal + 1 when it is done (release).  Ops whose block never
 * changes threads touch no shared counter.  A waiting thread spins briefly,
 * then sleeps on the counter (futex) until the publisher wakes it.  The earliest unfinished op in trace order never waits, so
 * the replay cannot deadlock.
 *
 * Built-in allocators are not thread-safe: with --threads their table is
 * wrapped in one global pthread mutex (global_lock.h) -- the honest
 * baseline a per-thread design must beat.  Peers (the process's malloc) and
 * the built-ins that lock for themselves are called directly.
 */
#ifndef HEAPLAB_THREADED_H
#define HEAPLAB_THREADED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "../core/trace.h"

#define SYNC_WAIT     0x80000000u  /* wait for another thread's op on the slot   */
#define SYNC_PUBLISH  0x40000000u  /* another thread's op waits for this one     */
#define SYNC_SEQ_MASK 0x3fffffffu  /* the op's ordinal on its slot, mod 2^30      */

struct thread_plan {
	uint32_t  nthreads;   /* trace threads                                       */
	size_t    nops;       /* ops in the trace                                    */
	uint32_t *order;      /* op indexes grouped by thread, each in trace order   */
	size_t   *first;      /* thread k's ops: order[first[k] .. first[k + 1])     */
	uint64_t *nmemb;      /* calloc NMEMBs grouped by thread the same way        */
	size_t   *cfirst;     /* thread k's: nmemb[cfirst[k] .. cfirst[k + 1])       */
	uint32_t *sync;       /* sync[i]: op i's ordinal on its slot | SYNC_ flags   */
	uint64_t  waits;      /* ops with SYNC_WAIT: ops on a block another thread   *
	                       * touched last                                        */
	uint32_t *place;      /* place[i]: where the timed passes keep op i's block  *
	                       * pointer and counter: slots grouped by the thread    *
	                       * that first touches them, a cache line apart, so     *
	                       * threads do not share lines the program would not    */
	uint32_t  nplaces;    /* entries the timed passes' arrays need (>= nslots)   */
};

/* Build the plan for t: 0, or ENOMEM. */
int  thread_plan_build(struct thread_plan *p, const struct trace *t);
void thread_plan_free(struct thread_plan *p);

/* Ops of t on a block whose previous op was another thread's (no memory needed
 * beyond one array per slot): 0 for a single-threaded trace.  UINT64_MAX when
 * memory runs out. */
uint64_t trace_cross_thread_ops(const struct trace *t);

/* A cell's plan and arrays, built once for all its threaded passes. */
struct worker;
struct threaded_cell {
	const struct allocator   *a;
	const struct trace       *t;
	const struct cell_options *opt;
	struct thread_plan        plan;
	void                    **ptrs;   /* block pointers by place   */
	uint64_t                 *sizes;  /* their sizes (--touch)     */
	_Atomic uint32_t         *seq;    /* published ops per place   */
	struct worker            *w;      /* one per trace thread      */
	size_t                    pbytes, zbytes, sbytes, wbytes;
};

/* Validate t and build the plan and arrays; fills r's threads fields, or
 * its status and message on failure. */
enum cell_status threaded_open(struct threaded_cell *tc, const struct allocator *a,
                               const struct trace *t, const struct cell_options *opt,
                               struct cell_result *r);
void threaded_close(struct threaded_cell *tc);

/*
 * The checked pass on t->nthreads OS threads.  It keeps every check (one
 * checker, checker.h, shared by the threads): the overlap index and the
 * live-byte figures under one mutex, payload fill and verify done by the
 * thread that owns the block, outside it.  Memory figures come from the
 * checked pass.  Returns r->status.
 */
enum cell_status threaded_checked_pass(struct threaded_cell *tc, struct cell_result *r);

/*
 * One timed pass (after opt->warmup untimed ones on the same allocator
 * instance): 0, REPLAY_CRASHED (signal and op in `what`), REPLAY_INIT_FAILED
 * or an errno.  *blocked: waits that found the other thread's op not done.
 * The interleaving varies, so may the memory figures from pass to pass.
 */
int threaded_timed_pass(struct threaded_cell *tc, struct pass_figures *f,
                        struct memory_figures *m, char *what, size_t len, uint64_t *blocked);

/* One checked or one timed pass with a plan of its own (replay_checked and
 * replay_timed, cell.h, for --threads). */
enum cell_status threaded_checked(const struct allocator *a, const struct trace *t,
                                  const struct cell_options *opt, struct cell_result *r);
int threaded_timed(const struct allocator *a, const struct trace *t,
                   const struct cell_options *opt, struct pass_figures *f,
                   struct memory_figures *m);

#endif
