/*
 * threaded.c - the threaded driver (`bench --threads`, see threaded.h): the
 * plan, and a checked pass and timed passes on one OS thread per trace
 * thread.
 *
 * Each op of the checked pass goes through the checker (checker.h), shared
 * by the threads, and each op of a timed pass through timed_op.h, as in the
 * serial driver, so the checks, the messages and the failure semantics are
 * the same (docs/harness.md); what differs is who runs each op and what is
 * shared.  Crash containment is per thread (guard.h): a fatal signal inside
 * the allocator jumps back to the thread that took it, which reports the op,
 * releases the global lock if it held it, and makes every thread stop.
 */
#define _GNU_SOURCE
#include "threaded.h"
#include "../core/monoclock.h"
#include "timed_op.h"

#include "../core/bulk.h"
#include "../core/check.h"
#include "checker.h"
#include "global_lock.h"
#include "guard.h"
#include "../../allocators/heap.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPINS        256               /* pause loops before a waiter yields   */
#define YIELDS       256               /* sched_yields before it sleeps (futex) */
#define START_SPINS_OWN_CORE (1u << 22)  /* at the start line, a core each: ~0.1 s */
#define THREAD_STACK ((size_t)1 << 20) /* replay threads need little stack    */
#define NO_OP        UINT32_MAX

/* ---- the plan ---------------------------------------------------------- */

static void *array(size_t n, size_t elem)
{
	return bulk_alloc((n ? n : 1) * elem);
}

static void unarray(void *p, size_t n, size_t elem)
{
	bulk_free(p, (n ? n : 1) * elem);
}

void thread_plan_free(struct thread_plan *p)
{
	unarray(p->order, p->nops, sizeof *p->order);
	unarray(p->sync, p->nops, sizeof *p->sync);
	unarray(p->place, p->nops, sizeof *p->place);
	unarray(p->first, p->nthreads + 1, sizeof *p->first);
	unarray(p->cfirst, p->nthreads + 1, sizeof *p->cfirst);
	unarray(p->nmemb, p->nops, sizeof *p->nmemb);
	memset(p, 0, sizeof *p);
}

static int is_allocation(unsigned kind)
{
	return kind == OP_MALLOC || kind == OP_CALLOC || kind == OP_MEMALIGN;
}

/*
 * Group the slots by the thread that first touches them, each group a cache
 * line (8 pointers) apart, so that one thread's block pointers do not share
 * cache lines with another's, as a program's per-thread data would not.
 * `owner` and `index` are scratch arrays of nslots.  0, or ENOMEM when the
 * places do not fit 32 bits.
 */
#define PLACE_GAP 8

static int place_slots(struct thread_plan *p, const struct trace *t, uint32_t *owner,
                       uint32_t *index)
{
	uint32_t n = p->nthreads;
	uint64_t *base = array(n + 1, sizeof *base);
	if (!base)
		return ENOMEM;
	for (uint32_t s = 0; s < t->nslots; s++)
		owner[s] = NO_OP;
	for (size_t i = 0; i < t->nops; i++) {
		uint32_t s = t->ops[i].slot;
		if (owner[s] == NO_OP) {
			owner[s] = t->ops[i].thread < n ? t->ops[i].thread : 0;
			index[s] = (uint32_t)base[owner[s] + 1]++;
		}
	}
	for (uint32_t k = 0; k < n; k++)
		base[k + 1] += base[k] + PLACE_GAP;
	int err = base[n] > UINT32_MAX - PLACE_GAP ? ENOMEM : 0;
	if (!err) {
		p->nplaces = (uint32_t)base[n] + PLACE_GAP;
		for (size_t i = 0; i < t->nops; i++) {
			uint32_t s = t->ops[i].slot;
			p->place[i] = (uint32_t)base[owner[s]] + index[s];
		}
	}
	unarray(base, n + 1, sizeof *base);
	return err;
}

int thread_plan_build(struct thread_plan *p, const struct trace *t)
{
	memset(p, 0, sizeof *p);
	p->nthreads = t->nthreads ? t->nthreads : 1;
	p->nops = t->nops;
	uint32_t n = p->nthreads;
	uint32_t *last = array(t->nslots, sizeof *last);   /* last op on each slot */
	uint32_t *count = array(t->nslots, sizeof *count); /* ops on it so far     */
	p->order = array(t->nops, sizeof *p->order);
	p->sync = array(t->nops, sizeof *p->sync);
	p->place = array(t->nops, sizeof *p->place);
	p->first = array(n + 1, sizeof *p->first);
	p->cfirst = array(n + 1, sizeof *p->cfirst);
	p->nmemb = array(t->nops, sizeof *p->nmemb);
	int err = !last || !count || !p->order || !p->sync || !p->place || !p->first ||
	          !p->cfirst || !p->nmemb;
	if (err)
		goto out;
	for (uint32_t s = 0; s < t->nslots; s++)
		last[s] = NO_OP;
	/* counting sort by thread, stable, so each thread keeps trace order */
	for (size_t i = 0; i < t->nops; i++) {
		uint32_t k = t->ops[i].thread < n ? t->ops[i].thread : 0;
		p->first[k + 1]++;
		if (t->ops[i].kind == OP_CALLOC)
			p->cfirst[k + 1]++;
	}
	for (uint32_t k = 0; k < n; k++) {
		p->first[k + 1] += p->first[k];
		p->cfirst[k + 1] += p->cfirst[k];
	}
	size_t ci = 0;
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		uint32_t k = op->thread < n ? op->thread : 0;
		/* use first[k]/cfirst[k] as cursors, restored below */
		p->order[p->first[k]++] = (uint32_t)i;
		if (op->kind == OP_CALLOC)
			p->nmemb[p->cfirst[k]++] = ci < t->ncalloc ? t->calloc_nmemb[ci++] : 0;
		uint32_t rs = op->slot, prev = last[rs];
		p->sync[i] = count[rs]++ & SYNC_SEQ_MASK;
		if (prev != NO_OP && t->ops[prev].thread != op->thread) {
			p->sync[i] |= SYNC_WAIT;
			p->sync[prev] |= SYNC_PUBLISH;
			p->waits++;
		}
		last[rs] = (uint32_t)i;
	}
	for (uint32_t k = n; k > 0; k--) {
		p->first[k] = p->first[k - 1];
		p->cfirst[k] = p->cfirst[k - 1];
	}
	p->first[0] = p->cfirst[0] = 0;
	err = place_slots(p, t, last, count);
out:
	unarray(last, t->nslots, sizeof *last);
	unarray(count, t->nslots, sizeof *count);
	if (err) {
		thread_plan_free(p);
		return ENOMEM;
	}
	return 0;
}

uint64_t trace_cross_thread_ops(const struct trace *t)
{
	if (t->nthreads <= 1)
		return 0;
	uint16_t *owner = array(t->nslots, sizeof *owner);   /* last thread + 1 */
	if (!owner)
		return UINT64_MAX;
	uint64_t cross = 0;
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		uint16_t *o = &owner[op->slot];
		if (*o && *o != op->thread + 1u && !is_allocation(op->kind))
			cross++;
		*o = (uint16_t)(op->thread + 1u);
	}
	unarray(owner, t->nslots, sizeof *owner);
	return cross;
}

/* ---- who gets the global lock (global_lock.h) ----------------------------- */

/* The built-ins that are thread-safe by themselves (their own locking). */
extern const struct allocator alloc_tlsf_tcache;
extern const struct allocator alloc_sharded;

static int self_locking(const struct allocator *a)
{
	return a == &alloc_tlsf_tcache || a == &alloc_sharded;
}

/*
 * Built-in allocators share one state and are not thread-safe: they get the
 * lock, except the ones that lock for themselves.  (A peer -- the process's
 * malloc -- is thread-safe by itself and needs none; see peers.)
 */
static int needs_lock(const struct allocator *a, const struct cell_options *opt)
{
	return !opt->peer && !self_locking(a);
}

/* ---- one pass's shared state and its threads ----------------------------- */

struct pass;

struct worker {
	struct pass *ps;         /* the pass                                     */
	uint32_t     k;          /* trace thread index                           */
	pthread_t    thread;
	int          started;    /* pthread_create succeeded                     */
	struct guard_jump jump;  /* where a crash in this thread lands           */
	size_t       cur;        /* op under way (trace index), for messages     */
	uint64_t     nmemb;      /* its NMEMB when it is a calloc                */
	struct checker_counts n; /* ops done, of each kind, failed, skipped      */
	uint64_t     end_ns;     /* when it finished its last op                 */
	uint64_t     blocked;    /* waits that found the other op not done yet   */
	int          crashed;
};

struct pass {
	const struct allocator  *a;
	const struct trace      *t;
	const struct cell_options *opt;
	const struct thread_plan *plan;
	struct timed_calls       calls;
	void                    *self;     /* the allocator's state                 */
	struct global_lock       lk;
	int                      use_lock;
	struct heap              heap;
	void                   **ptrs;     /* block pointers by slot                */
	uint64_t                *sizes;    /* block sizes by slot (--touch)         */
	struct pass_probe       *probe;    /* timed passes: taken around the threads */
	struct pass_figures      fig;      /* ... what it measured                   */
	_Atomic uint32_t        *seq;      /* per slot: ops on it published done    */
	_Atomic uint32_t         go;       /* start line (a futex word)             */
	atomic_int               go_sleepers; /* a thread sleeps at the start line  */
	unsigned                 start_spins; /* pause loops there before sleeping  */
	atomic_int               ready;    /* threads at the start line             */
	atomic_int               abort;    /* stop: a violation or a crash          */
	uint64_t                 start_ns;
	struct worker           *w;        /* nthreads                              */

	/* checked pass only (pass_open leaves them alone) */
	int                      checked;
	struct checker           ck;       /* shared by the threads                 */
	_Atomic uint64_t         ops_total;/* for --check N                         */
};

/* In a slot's published word: a waiter sleeps on it (futex), wake it. */
#define SEQ_SLEEPER 0x80000000u

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

/*
 * Wait until the slot's previous op (another thread's) is done; 0, or -1 on
 * abort.  *blocked counts the waits that found it not done yet.  Spin a
 * little (the other thread is usually running), then yield (on a machine
 * with more threads than free cores the other one may need our core; a
 * futex wake-up took ~5x longer here, measured), and only then sleep on
 * the word with a futex, marking it so the publisher knows to wake us; the
 * sleep times out every millisecond to notice an abort.
 */
static int wait_turn(struct pass *ps, uint32_t slot, uint32_t want, uint64_t *blocked)
{
	_Atomic uint32_t *s = &ps->seq[slot];
	uint32_t v = atomic_load_explicit(s, memory_order_acquire);
	if ((v & SYNC_SEQ_MASK) == want)
		return 0;
	(*blocked)++;
	for (unsigned spins = 0;; spins++) {
		v = atomic_load_explicit(s, memory_order_acquire);
		if ((v & SYNC_SEQ_MASK) == want)
			return 0;
		if (atomic_load_explicit(&ps->abort, memory_order_relaxed))
			return -1;
		if (spins < SPINS) {
			__builtin_ia32_pause();
			continue;
		}
		if (spins < SPINS + YIELDS) {
			sched_yield();
			continue;
		}
		if (!(v & SEQ_SLEEPER) &&
		    !atomic_compare_exchange_weak_explicit(s, &v, v | SEQ_SLEEPER,
		                                           memory_order_acq_rel,
		                                           memory_order_acquire))
			continue;
		struct timespec ms = { 0, 1000000 };
		futex(s, FUTEX_WAIT_PRIVATE, v | SEQ_SLEEPER, &ms);
	}
}

static inline void publish(struct pass *ps, uint32_t slot, uint32_t sync)
{
	uint32_t next = ((sync & SYNC_SEQ_MASK) + 1) & SYNC_SEQ_MASK;
	uint32_t old = atomic_exchange_explicit(&ps->seq[slot], next, memory_order_release);
	if (__builtin_expect(old & SEQ_SLEEPER, 0))
		futex(&ps->seq[slot], FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
}

/*
 * Wait at the start line until run_threads releases every thread.  With a
 * core each (few threads), spin, so that all leave at once; with more threads
 * than cores, spinning would starve the thread still starting the others
 * (quadratic time in the number of threads), so spin briefly, then sleep on
 * the word with a futex until the release wakes everyone.
 */
static void start_line(struct pass *ps)
{
	atomic_fetch_add_explicit(&ps->ready, 1, memory_order_acq_rel);
	for (unsigned spins = 0; !atomic_load_explicit(&ps->go, memory_order_acquire); spins++) {
		if (spins < ps->start_spins) {
			__builtin_ia32_pause();
			continue;
		}
		atomic_store_explicit(&ps->go_sleepers, 1, memory_order_seq_cst);
		futex(&ps->go, FUTEX_WAIT_PRIVATE, 0, NULL);   /* returns at once if go != 0 */
	}
}

/* ---- the timed loop ------------------------------------------------------ */


/* Thread w's ops, with the touch mode a constant in the loop (timed_op.h). */
#define TIMED_OPS(mode)                                                          \
	for (; order < end; order++) {                                           \
		uint32_t i = *order, sy = sync[i];                               \
		const struct op *op = &ops[i];                                   \
		uint32_t rs = place[i];                                          \
		if (__builtin_expect(sy & SYNC_WAIT, 0) &&                       \
		    wait_turn(ps, rs, sy & SYNC_SEQ_MASK, &w->blocked))          \
			break;                                                   \
		w->cur = i;                                                      \
		timed_op(&calls, op, &ptrs[rs], &nmemb, &n, mode, &sizes[rs]);   \
		if (__builtin_expect(sy & SYNC_PUBLISH, 0))                      \
			publish(ps, rs, sy);                                     \
	}

static void timed_ops(struct worker *w)
{
	struct pass *ps = w->ps;
	const struct thread_plan *plan = ps->plan;
	const struct op *ops = ps->t->ops;
	const uint32_t *order = plan->order + plan->first[w->k];
	const uint32_t *end = plan->order + plan->first[w->k + 1];
	const uint64_t *nmemb = plan->nmemb + plan->cfirst[w->k];
	const uint32_t *sync = plan->sync, *place = plan->place;
	void **ptrs = ps->ptrs;
	uint64_t *sizes = ps->sizes;
	const struct timed_calls calls = ps->calls;  /* a local copy: kept in registers */
	struct timed_counts n = { 0, 0 };

	switch (ps->opt->touch) {
	case TOUCH_NONE: TIMED_OPS(TOUCH_NONE); break;
	case TOUCH_ALL:  TIMED_OPS(TOUCH_ALL);  break;
	default:         TIMED_OPS(TOUCH_PAGES); break;
	}
	w->n.failed = n.failed;
	w->n.skipped = n.skipped;
}

/* ---- the checked ops ------------------------------------------------------ */

/* --check N: the allocator's self-check after every Nth op of all threads. */
static int periodic_self_check(struct worker *w, size_t i)
{
	struct pass *ps = w->ps;
	uint64_t n = atomic_fetch_add(&ps->ops_total, 1) + 1;
	if (n % ps->opt->check_every)
		return 0;
	char what[400];
	unsigned long found = checker_self_check(&ps->ck, what, sizeof what);
	if (!found)
		return 0;
	checker_fail(&ps->ck, CELL_CHECK_FAILED, i, w->nmemb, "after it: %s", what);
	checker_add_violations(&ps->ck, found - 1);
	return 1;
}

static void checked_ops(struct worker *w)
{
	struct pass *ps = w->ps;
	const struct thread_plan *plan = ps->plan;
	const struct trace *t = ps->t;
	const uint64_t *nmemb = plan->nmemb + plan->cfirst[w->k];

	for (size_t j = plan->first[w->k]; j < plan->first[w->k + 1]; j++) {
		uint32_t i = plan->order[j], sy = plan->sync[i];
		const struct op *op = &t->ops[i];
		if (atomic_load_explicit(&ps->abort, memory_order_relaxed))
			return;
		if ((sy & SYNC_WAIT) && wait_turn(ps, op->slot, sy & SYNC_SEQ_MASK, &w->blocked))
			return;
		w->cur = i;
		guard_op = i;
		if (replay_progress && !ps->use_lock)   /* no lock: the last op begun */
			replay_progress->op = i;
		w->nmemb = op->kind == OP_CALLOC ? *nmemb++ : 0;
		if (checker_op(&ps->ck, &w->n, i, w->nmemb))
			return;
		w->n.done++;
		if (sy & SYNC_PUBLISH)
			publish(ps, op->slot, sy);
		if (ps->opt->check_every && periodic_self_check(w, i))
			return;
	}
}

/* ---- running a pass on its threads --------------------------------------- */

static void worker_ops(void *arg)
{
	struct worker *w = arg;
	if (w->ps->checked)
		checked_ops(w);
	else
		timed_ops(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pass *ps = w->ps;
	struct guard_stack stack;
	guard_stack_push(&stack);   /* without one, a crash is still caught, not a runaway recursion */
	start_line(ps);
	if (guard_call(&w->jump, worker_ops, w)) {
		w->crashed = 1;
		global_lock_release_held();   /* it died inside the allocator, holding the lock */
		atomic_store(&ps->abort, 1);
	}
	w->end_ns = mono_ns();
	guard_stack_pop(&stack);
	return NULL;
}

/*
 * Start one thread per trace thread, release them together, wait for all.
 * Returns 0 or an errno (threads could not be started).  ps->start_ns is
 * taken when they are released; each worker's end_ns when it finishes.
 */
static int run_threads(struct pass *ps)
{
	uint32_t n = ps->plan->nthreads;
	pthread_attr_t attr;
	int err = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	atomic_store(&ps->go, 0);
	atomic_store(&ps->ready, 0);
	atomic_store(&ps->go_sleepers, 0);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	ps->start_spins = cores > 0 && n <= (uint32_t)cores ? START_SPINS_OWN_CORE : SPINS;
	uint32_t started = 0;
	for (uint32_t k = 0; k < n; k++) {
		ps->w[k] = (struct worker){ .ps = ps, .k = k };
		if ((err = pthread_create(&ps->w[k].thread, &attr, worker_main, &ps->w[k])))
			break;
		ps->w[k].started = 1;
		started++;
	}
	pthread_attr_destroy(&attr);
	if (err)
		atomic_store(&ps->abort, 1);
	while ((uint32_t)atomic_load(&ps->ready) < started)
		sched_yield();
	if (ps->probe)
		pass_probe_begin(ps->probe);
	ps->start_ns = mono_ns();
	atomic_store_explicit(&ps->go, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&ps->go_sleepers, memory_order_seq_cst))
		futex(&ps->go, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
	for (uint32_t k = 0; k < n; k++)
		if (ps->w[k].started)
			pthread_join(ps->w[k].thread, NULL);
	if (ps->probe)
		pass_probe_end(ps->probe, &ps->fig);  /* its wall_ns: see timed_pass */
	return err;
}

/* Entries of the per-slot arrays (places, or slots when there are more). */
static uint32_t places(const struct thread_plan *plan, const struct trace *t)
{
	return plan->nplaces > t->nslots ? plan->nplaces : t->nslots;
}

/* Empty block pointers and published counters: the state a replay starts from. */
static void pass_reset(struct pass *ps)
{
	uint32_t n = places(ps->plan, ps->t);
	memset(ps->ptrs, 0, (size_t)n * sizeof *ps->ptrs);
	if (ps->opt->touch != TOUCH_NONE)
		memset(ps->sizes, 0, (size_t)n * sizeof *ps->sizes);
	for (uint32_t s = 0; s < n; s++)
		atomic_init(&ps->seq[s], 0);
	atomic_init(&ps->abort, 0);
}

/* The pass's state and its fresh heap: 0 or an errno. */
static int pass_open(struct pass *ps, const struct allocator *a, const struct trace *t,
                     const struct cell_options *opt, const struct thread_plan *plan,
                     void **ptrs, uint64_t *sizes, _Atomic uint32_t *seq, struct worker *w)
{
	memset(ps, 0, offsetof(struct pass, checked));
	ps->a = a, ps->t = t, ps->opt = opt, ps->plan = plan;
	ps->ptrs = ptrs, ps->sizes = sizes, ps->seq = seq, ps->w = w;
	pass_reset(ps);
	ps->use_lock = needs_lock(a, opt);
	global_lock_init(&ps->lk);
	return replay_open_heap(&ps->heap, opt->heap_limit);
}

static void pass_close(struct pass *ps)
{
	global_lock_destroy(&ps->lk);
	heap_close(&ps->heap);
}

struct init_call {
	struct pass *ps;
	void        *self;   /* what init returned */
};

static void init_body(void *arg)
{
	struct init_call *ic = arg;
	ic->self = ic->ps->a->init(&ic->ps->heap);
}

/* init in this thread, under the guard: 0, REPLAY_CRASHED or REPLAY_INIT_FAILED. */
static int pass_init(struct pass *ps, struct guard_jump *j)
{
	struct init_call ic = { ps, NULL };
	if (guard_call(j, init_body, &ic))
		return REPLAY_CRASHED;
	if (!ic.self)
		return REPLAY_INIT_FAILED;
	ps->self = ic.self;
	if (ps->use_lock)
		global_lock_calls(&ps->lk, ps->a, ic.self, &ps->calls);
	else
		ps->calls = (struct timed_calls){ ps->a->malloc, ps->a->calloc, ps->a->realloc,
		                                  ps->a->memalign, ps->a->free, ic.self };
	if (ps->checked) {   /* the checker calls the allocator the same way */
		ps->ck.calls = ps->calls;
		ps->ck.self = ic.self;
	}
	return 0;
}

/* The first crashed worker, or NULL. */
static struct worker *crashed_worker(struct pass *ps)
{
	for (uint32_t k = 0; k < ps->plan->nthreads; k++)
		if (ps->w[k].crashed)
			return &ps->w[k];
	return NULL;
}

/* ---- the checked pass ----------------------------------------------------- */

static void sum_workers(struct pass *ps, struct checker_counts *sum, uint64_t *end_ns)
{
	memset(sum, 0, sizeof *sum);
	*end_ns = 0;
	for (uint32_t k = 0; k < ps->plan->nthreads; k++) {
		const struct worker *w = &ps->w[k];
		sum->done += w->n.done;
		for (int q = 0; q < OP_KINDS; q++)
			sum->count[q] += w->n.count[q];
		sum->failed += w->n.failed;
		sum->skipped += w->n.skipped;
		if (w->end_ns > *end_ns)
			*end_ns = w->end_ns;
	}
}

/* The pass, its heap and the shared checker, the progress page told: CELL_OK
 * or the failure in r. */
static enum cell_status checked_open(struct pass *ps, const struct threaded_cell *tc,
                                     struct cell_result *r)
{
	const struct cell_options *opt = tc->opt;
	enum cell_status s;
	int err;

	if ((err = pass_open(ps, tc->a, tc->t, opt, &tc->plan, tc->ptrs, tc->sizes, tc->seq,
	                     tc->w))) {
		replay_heap_failure(r->message, sizeof r->message, opt->heap_limit, err);
		return r->status = CELL_SYSTEM;
	}
	ps->checked = 1;
	atomic_init(&ps->ops_total, 0);
	if ((s = checker_open(&ps->ck, tc->a, tc->t, opt, r, &ps->heap, 1))) {
		pass_close(ps);
		return s;
	}
	ps->ck.abort = &ps->abort;
	ps->ck.lock = ps->use_lock ? &ps->lk : NULL;
	ps->ck.break_unlocked = self_locking(tc->a);
	if (replay_progress) {
		replay_progress->pass = REPLAY_PASS_CHECKED;
		replay_progress->op = REPLAY_OP_NONE;
		replay_progress->op_exact = 0;
		replay_progress->threads = tc->plan.nthreads;
		ps->lk.track = ps->use_lock;
	}
	return CELL_OK;
}

static void checked_close(struct pass *ps)
{
	checker_close(&ps->ck);
	pass_close(ps);
}

/* init failed (pass_init's err): the verdict. */
static void init_failure(struct pass *ps, int err, const struct guard_jump *j)
{
	if (err == REPLAY_CRASHED) {
		char what[160];
		guard_text(j, what, sizeof what);
		checker_crashed(&ps->ck, "in init", what);
	} else {
		checker_init_failed(&ps->ck);
	}
}

/* The allocator's self-check and statistics at the end, in this thread alone. */
static void end_checks(void *arg)
{
	struct pass *ps = arg;
	checker_final_self_check(&ps->ck);
	checker_collect_stats(&ps->ck);
}

/* After the threads: the figures, then the verdict -- a crash, the first
 * violation, or the closing checks. */
static void checked_verdict(struct pass *ps, struct guard_jump *j)
{
	struct cell_result *r = ps->ck.r;
	struct checker_counts sum;
	uint64_t end_ns;

	if (replay_progress) {   /* the closing checks, in this thread alone */
		ps->lk.track = 0;
		replay_progress->op = ps->t->nops;
		replay_progress->op_exact = 1;
	}
	sum_workers(ps, &sum, &end_ns);
	r->ops_replayed = sum.done;
	memcpy(r->count, sum.count, sizeof r->count);
	memory_figures_from_heap(&r->memory, &ps->heap);
	r->memory.failed_allocations = sum.failed;
	r->memory.skipped_ops = sum.skipped;
	struct worker *cw = crashed_worker(ps);
	if (cw) {
		char what[160];
		guard_text(&cw->jump, what, sizeof what);
		ps->ck.stopped = 0;   /* the crash is the verdict, whatever else was seen */
		checker_fail(&ps->ck, CELL_CHECK_FAILED, cw->cur, cw->nmemb, "%s crashed with %s",
		             ps->a->name, what);
		return;
	}
	if (ps->ck.stopped || checker_verify_survivors(&ps->ck))
		return;
	if (guard_call(j, end_checks, ps)) {
		char what[160];
		guard_text(j, what, sizeof what);
		checker_crashed(&ps->ck, "at the end of the trace (self-check or stats)", what);
	}
}

enum cell_status threaded_checked_pass(struct threaded_cell *tc, struct cell_result *r)
{
	struct pass ps;
	struct guard_jump j;
	struct guard g;
	int err;

	if (checked_open(&ps, tc, r))
		return r->status;
	guard_arm(&g, tc->opt->let_crash, replay_progress != NULL);
	if ((err = pass_init(&ps, &j))) {
		init_failure(&ps, err, &j);
	} else if ((err = run_threads(&ps))) {
		snprintf(r->message, sizeof r->message, "cannot start %u threads: %s",
		         tc->plan.nthreads, strerror(err));
		r->status = CELL_SYSTEM;
	} else {
		checked_verdict(&ps, &j);
	}
	guard_disarm(&g);
	checked_close(&ps);
	return r->status;
}

/* ---- the timed passes ----------------------------------------------------- */

/* After a warm-up pass: free what the trace left live (from this thread). */
static void free_live(void *arg)
{
	struct pass *ps = arg;
	uint32_t n = places(ps->plan, ps->t);
	for (uint32_t s = 0; s < n; s++)
		if (ps->ptrs[s] && ps->ptrs[s] != FAILED_BLOCK)
			ps->calls.free(ps->calls.self, ps->ptrs[s]);
}

/* The crash of a timed or warm-up pass, described in `what`: REPLAY_CRASHED, or 0. */
static int pass_crash(struct pass *ps, char *what, size_t len)
{
	struct worker *cw = crashed_worker(ps);
	if (!cw)
		return 0;
	char text[160];
	guard_text(&cw->jump, text, sizeof text);
	char op[300];
	checker_describe_op(op, sizeof op, ps->t, cw->cur, 0);
	snprintf(what, len, "%.150s at %.200s", text, op);
	return REPLAY_CRASHED;
}

int threaded_timed_pass(struct threaded_cell *tc, struct pass_figures *f,
                        struct memory_figures *m, char *what, size_t len, uint64_t *blocked)
{
	const struct cell_options *opt = tc->opt;
	struct pass ps;
	struct guard_jump j;
	int err = pass_open(&ps, tc->a, tc->t, opt, &tc->plan, tc->ptrs, tc->sizes, tc->seq,
	                    tc->w);
	if (err)
		return err;
	ps.checked = 0;
	struct guard g;
	guard_arm(&g, opt->let_crash, replay_progress != NULL);
	err = pass_init(&ps, &j);
	if (err == REPLAY_CRASHED)
		guard_text(&j, what, len);
	for (unsigned k = 0; !err && k < opt->warmup; k++) {
		if (!(err = run_threads(&ps)) && !(err = pass_crash(&ps, what, len))) {
			if (guard_call(&j, free_live, &ps)) {
				guard_text(&j, what, len);
				err = REPLAY_CRASHED;
			}
			pass_reset(&ps);
		}
	}
	struct pass_probe probe = { .count = opt->count_probe };
	ps.probe = &probe;
	if (!err)
		err = run_threads(&ps);
	guard_disarm(&g);
	if (!err) {
		struct checker_counts sum;
		uint64_t end_ns;
		sum_workers(&ps, &sum, &end_ns);
		*f = ps.fig;
		f->wall_ns = end_ns - ps.start_ns;   /* to the last op, not the last join */
		*blocked = 0;
		for (uint32_t k = 0; k < tc->plan.nthreads; k++)
			*blocked += tc->w[k].blocked;
		memory_figures_from_heap(m, &ps.heap);
		m->failed_allocations = sum.failed;
		m->skipped_ops = sum.skipped;
		err = pass_crash(&ps, what, len);
	}
	pass_close(&ps);
	return err;
}

/* ---- a cell's plan and arrays --------------------------------------------- */

void threaded_close(struct threaded_cell *tc)
{
	bulk_free(tc->ptrs, tc->pbytes);
	bulk_free(tc->sizes, tc->zbytes);
	bulk_free(tc->seq, tc->sbytes);
	bulk_free(tc->w, tc->wbytes);
	thread_plan_free(&tc->plan);
}

enum cell_status threaded_open(struct threaded_cell *tc, const struct allocator *a,
                               const struct trace *t, const struct cell_options *opt,
                               struct cell_result *r)
{
	memset(tc, 0, sizeof *tc);
	tc->a = a, tc->t = t, tc->opt = opt;
	r->status = CELL_OK;
	r->threaded = 1;
	r->locked = needs_lock(a, opt);
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		if (op->slot < t->nslots && op->thread < (t->nthreads ? t->nthreads : 1))
			continue;
		snprintf(r->message, sizeof r->message, "%s: op %zu: slot %u or thread %u out "
		         "of range (trace has %u and %u)", t->path, i, op->slot, op->thread,
		         t->nslots, t->nthreads);
		return r->status = CELL_BAD_INPUT;
	}
	if (thread_plan_build(&tc->plan, t)) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for the thread plan (%zu ops)", t->nops);
		return r->status = CELL_SYSTEM;
	}
	r->threads = tc->plan.nthreads;
	r->cross_thread_waits = tc->plan.waits;
	size_t room = places(&tc->plan, t) + (size_t)1;
	tc->pbytes = room * sizeof *tc->ptrs;
	tc->zbytes = room * sizeof *tc->sizes;
	tc->sbytes = room * sizeof *tc->seq;
	tc->wbytes = (size_t)tc->plan.nthreads * sizeof *tc->w;
	tc->ptrs = bulk_alloc(tc->pbytes);
	tc->sizes = bulk_alloc(tc->zbytes);
	tc->seq = bulk_alloc(tc->sbytes);
	tc->w = bulk_alloc(tc->wbytes);
	if (!tc->ptrs || !tc->sizes || !tc->seq || !tc->w) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for %u block pointers", t->nslots);
		threaded_close(tc);
		return r->status = CELL_SYSTEM;
	}
	return CELL_OK;
}

enum cell_status threaded_checked(const struct allocator *a, const struct trace *t,
                                  const struct cell_options *opt, struct cell_result *r)
{
	struct threaded_cell tc;
	if (threaded_open(&tc, a, t, opt, r))
		return r->status;
	threaded_checked_pass(&tc, r);
	threaded_close(&tc);
	return r->status;
}

int threaded_timed(const struct allocator *a, const struct trace *t,
                   const struct cell_options *opt, struct pass_figures *f,
                   struct memory_figures *m)
{
	struct threaded_cell tc;
	struct cell_result *r = bulk_alloc(sizeof *r);
	char what[400];
	if (!r)
		return ENOMEM;
	enum cell_status s = threaded_open(&tc, a, t, opt, r);
	bulk_free(r, sizeof *r);
	if (s)
		return s == CELL_SYSTEM ? ENOMEM : EINVAL;
	uint64_t blocked = 0;
	int err = threaded_timed_pass(&tc, f, m, what, sizeof what, &blocked);
	threaded_close(&tc);
	return err;
}
