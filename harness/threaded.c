/*
 * threaded.c - the --threads replay (see threaded.h): the plan, the global
 * lock around built-in allocators, a checked pass and timed passes on one OS
 * thread per trace thread.
 *
 * The checks and failure semantics are those of replay.c (docs/harness.md),
 * with the same messages; what differs is who runs each op and what is
 * shared.  Crash containment is per thread: a fatal signal inside the
 * allocator jumps back to the thread that took it, which reports the op,
 * releases the global lock if it held it, and makes every thread stop.
 */
#define _GNU_SOURCE
#include "threaded.h"
#include "monoclock.h"
#include "timed_op.h"

#include "bulk.h"
#include "check.h"
#include "../allocators/heap.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
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
#define CRASH_STACK  ((size_t)64 << 10)
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

/* ---- the global lock ------------------------------------------------------
 *
 * Every call of a built-in allocator's table takes one mutex.  The state
 * lives in harness memory, not in the heap, so the memory figures are the
 * allocator's own.
 */
struct locked {
	pthread_mutex_t         m;      /* the one lock                     */
	const struct allocator *inner;  /* the allocator it serialises      */
	void                   *self;   /* inner's state                    */
	int                     track;  /* checked pass in a child: name the
	                                   op in the progress page          */
};

/* The lock this thread holds, so a crash inside the allocator can release it. */
static __thread struct locked *held;

/* The op this thread is doing in a checked pass (REPLAY_OP_NONE elsewhere),
 * for the progress page a parent reads when the child crashes or hangs. */
static __thread uint64_t cur_op = REPLAY_OP_NONE;

static inline void lock(struct locked *l)
{
	pthread_mutex_lock(&l->m);
	held = l;
	/* Holding the lock, this op is the one inside the allocator: if it never
	 * comes back (a hang), the page names it. */
	if (__builtin_expect(l->track, 0) && cur_op != REPLAY_OP_NONE) {
		replay_progress->op = cur_op;
		replay_progress->op_exact = 1;
	}
}

static inline void unlock(struct locked *l)
{
	held = NULL;
	pthread_mutex_unlock(&l->m);
}

static void *locked_malloc(void *s, size_t n)
{
	struct locked *l = s;
	lock(l);
	void *p = l->inner->malloc(l->self, n);
	unlock(l);
	return p;
}

static void *locked_calloc(void *s, size_t nmemb, size_t n)
{
	struct locked *l = s;
	lock(l);
	void *p = l->inner->calloc(l->self, nmemb, n);
	unlock(l);
	return p;
}

static void *locked_realloc(void *s, void *old, size_t n)
{
	struct locked *l = s;
	lock(l);
	void *p = l->inner->realloc(l->self, old, n);
	unlock(l);
	return p;
}

static void *locked_memalign(void *s, size_t align, size_t n)
{
	struct locked *l = s;
	lock(l);
	void *p = l->inner->memalign(l->self, align, n);
	unlock(l);
	return p;
}

static void locked_free(void *s, void *p)
{
	struct locked *l = s;
	lock(l);
	l->inner->free(l->self, p);
	unlock(l);
}

/* The calls a pass makes (struct timed_calls): the allocator's own, or the locked ones. */

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
static int needs_lock(const struct allocator *a, const struct run_options *opt)
{
	return !opt->peer && !self_locking(a);
}

static void calls_for(struct timed_calls *c, const struct allocator *a, void *self, struct locked *l,
                      int use_lock)
{
	if (use_lock) {
		l->inner = a;
		l->self = self;
		*c = (struct timed_calls){ locked_malloc, locked_calloc, locked_realloc, locked_memalign,
		                     locked_free, l };
	} else {
		*c = (struct timed_calls){ a->malloc, a->calloc, a->realloc, a->memalign, a->free, self };
	}
}

/* ---- crash containment, per thread --------------------------------------- */

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define NCRASH (sizeof crash_signals / sizeof crash_signals[0])

struct jump {
	sigjmp_buf            env;
	volatile sig_atomic_t sig;   /* the signal taken  */
	void *volatile        addr;  /* its si_addr       */
};

static __thread struct jump *volatile armed;   /* where this thread's crash goes */

static void crash_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	struct jump *j = armed;
	if (!j) {   /* not inside a replay: die of it, as without us */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	j->sig = sig;
	j->addr = si ? si->si_addr : NULL;
	siglongjmp(j->env, 1);
}

/*
 * In a child that must die of the signal (let_crash): first write the op of
 * the thread that took it into the progress page, then die of it as without
 * us (the default action, delivered when the handler returns).
 */
static void name_and_die(int sig)
{
	if (replay_progress && cur_op != REPLAY_OP_NONE) {
		replay_progress->op = cur_op;
		replay_progress->op_exact = 1;
	}
	signal(sig, SIG_DFL);
	raise(sig);   /* blocked until we return; a fault re-executes and dies too */
}

struct guard {
	struct sigaction old[NCRASH];  /* handlers to restore            */
	int              armed;        /* 0: let_crash, nothing installed */
	int              naming;       /* let_crash: name_and_die is in   */
};

static void guard_arm(struct guard *g, const struct run_options *opt)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	g->armed = !opt->let_crash;   /* in a child process: let the signal kill it */
	g->naming = opt->let_crash && replay_progress;
	if (g->naming) {
		sa.sa_handler = name_and_die;
		for (size_t k = 0; k < NCRASH; k++)
			sigaction(crash_signals[k], &sa, &g->old[k]);
	}
	if (!g->armed)
		return;
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	for (size_t k = 0; k < NCRASH; k++)
		sigaction(crash_signals[k], &sa, &g->old[k]);
}

static void guard_disarm(struct guard *g)
{
	if (g->naming)
		for (size_t k = 0; k < NCRASH; k++)
			sigaction(crash_signals[k], &g->old[k], NULL);
	if (!g->armed)
		return;
	for (size_t k = 0; k < NCRASH; k++)
		sigaction(crash_signals[k], &g->old[k], NULL);
}

/* "SIGSEGV (Segmentation fault) at 0x..." */
static void crash_text(const struct jump *j, char *buf, size_t len)
{
	int sig = j->sig;
	const char *abbrev = sigabbrev_np(sig);
	if (sig == SIGSEGV || sig == SIGBUS)
		snprintf(buf, len, "SIG%s (%s) at %#lx", abbrev ? abbrev : "?", strsignal(sig),
		         (unsigned long)(uintptr_t)j->addr);
	else
		snprintf(buf, len, "SIG%s (%s)", abbrev ? abbrev : "?", strsignal(sig));
}

/* ---- one pass's shared state and its threads ----------------------------- */

struct pass;

struct worker {
	struct pass *ps;         /* the pass                                     */
	uint32_t     k;          /* trace thread index                           */
	pthread_t    thread;
	int          started;    /* pthread_create succeeded                     */
	struct jump  jump;       /* where a crash in this thread lands           */
	size_t       cur;        /* op under way (trace index), for messages     */
	uint64_t     nmemb;      /* its NMEMB when it is a calloc                */
	uint64_t     done;       /* ops completed                                */
	uint64_t     count[OP_KINDS];
	uint64_t     failed;     /* allocations that got NULL                    */
	uint64_t     skipped;    /* f/r of failed blocks                         */
	uint64_t     end_ns;     /* when it finished its last op                 */
	uint64_t     blocked;    /* waits that found the other op not done yet   */
	int          crashed;
};

struct pass {
	const struct allocator  *a;
	const struct trace      *t;
	const struct run_options *opt;
	const struct thread_plan *plan;
	struct timed_calls             calls;
	struct locked            lk;
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

	/* checked pass only */
	int                      checked;
	struct cell_result      *r;
	pthread_mutex_t          ix_lock;  /* the overlap index and live figures    */
	struct check_index       ix;
	uint64_t                 live_bytes;
	pthread_mutex_t          msg_lock; /* the first violation's message         */
	int                      stopped;
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
	w->failed = n.failed;
	w->skipped = n.skipped;
}

/* ---- the checked ops ------------------------------------------------------ */

/* The ID, as written in the trace, of slot `slot`. */
static unsigned long long block_id(const struct pass *ps, uint32_t slot)
{
	return ps->t->slot_id ? ps->t->slot_id[slot] : slot;
}

static uint32_t line_of(const struct trace *t, uint32_t seed)
{
	return t->line && seed < t->nops ? t->line[seed] : 0;
}

/* The first violation of the pass, "<op>: <what>"; later ones are dropped. */
__attribute__((format(printf, 5, 6)))
static enum cell_status violation(struct worker *w, enum cell_status status, size_t i,
                                  uint64_t nmemb, const char *fmt, ...)
{
	struct pass *ps = w->ps;
	pthread_mutex_lock(&ps->msg_lock);
	if (!ps->stopped) {
		ps->stopped = 1;
		va_list ap;
		va_start(ap, fmt);
		replay_fail_va(ps->r, ps->t, status, i, nmemb, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&ps->msg_lock);
	atomic_store(&ps->abort, 1);
	return status;
}

static void note_live(struct pass *ps)
{
	struct cell_result *r = ps->r;
	if (ps->live_bytes > r->peak_live_bytes)
		r->peak_live_bytes = ps->live_bytes;
	if (ps->ix.live > r->peak_live_blocks)
		r->peak_live_blocks = ps->ix.live;
}

/* Inside the heap below the break: read under the allocator's lock, which
 * is the only place the break moves.  An allocator that locks for itself
 * moves it under a lock we cannot take: its blocks are checked against the
 * reservation here (a block past the break faults when it is filled, and is
 * reported as a crash) and against the break at the end of the pass. */
static int in_heap(struct pass *ps, const void *p, uint64_t size, uintptr_t *lo, uintptr_t *hi)
{
	if (self_locking(ps->a)) {
		*lo = (uintptr_t)heap_start(&ps->heap);
		*hi = *lo + ps->heap.reserved;
		uintptr_t q = (uintptr_t)p, n = size ? size : 1;
		return q >= *lo && q <= *hi && n <= *hi - q;
	}
	if (ps->use_lock)
		pthread_mutex_lock(&ps->lk.m);
	int ok = heap_contains(&ps->heap, p, size ? size : 1);
	*lo = (uintptr_t)heap_start(&ps->heap);
	*hi = (uintptr_t)heap_break(&ps->heap);
	if (ps->use_lock)
		pthread_mutex_unlock(&ps->lk.m);
	return ok;
}

/* A new block: aligned, in the heap, overlapping no live block; then in the index. */
static enum cell_status admit_block(struct worker *w, size_t i, uint64_t nmemb, uint32_t slot,
                                    const void *p, uint64_t size, size_t align)
{
	struct pass *ps = w->ps;
	uintptr_t addr = (uintptr_t)p, lo, hi;
	const char *name = ps->a->name;

	/* as replay.c: a production allocator may give a block under 16 bytes
	 * only its size's alignment; memalign asks for more */
	while (ps->opt->peer && align == run_align(ps->opt) && align > 1 && size < align)
		align /= 2;
	if (addr % align)
		return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx, not %zu-byte "
		                 "aligned", name, (unsigned long)addr, align);
	if (!ps->opt->peer && !in_heap(ps, p, size, &lo, &hi)) {
		if (addr < lo || addr >= hi)
			return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx, outside "
			                 "its heap [%#lx, %#lx) below the break", name,
			                 (unsigned long)addr, (unsigned long)lo, (unsigned long)hi);
		return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx, whose %llu "
		                 "bytes run past the break at %#lx", name, (unsigned long)addr,
		                 (unsigned long long)size, (unsigned long)hi);
	}
	pthread_mutex_lock(&ps->ix_lock);
	uint32_t other = check_index_overlap(&ps->ix, addr, size);
	if (other != CHECK_NIL) {
		uintptr_t oaddr = ps->ix.blocks[other].addr;
		uint64_t osize = ps->ix.blocks[other].size;
		pthread_mutex_unlock(&ps->ix_lock);
		return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx (%llu bytes), "
		                 "which overlaps live block %llu at %#lx (%llu bytes)", name,
		                 (unsigned long)addr, (unsigned long long)size,
		                 block_id(ps, other), (unsigned long)oaddr,
		                 (unsigned long long)osize);
	}
	check_index_insert(&ps->ix, slot, addr, size);
	ps->live_bytes += size;
	note_live(ps);
	pthread_mutex_unlock(&ps->ix_lock);
	return CELL_OK;
}

/* Take a live block out of the index (before the allocator may reuse it). */
static void retire_block(struct pass *ps, uint32_t slot, uint64_t size)
{
	pthread_mutex_lock(&ps->ix_lock);
	check_index_remove(&ps->ix, slot);
	ps->live_bytes -= size;
	pthread_mutex_unlock(&ps->ix_lock);
}

/* The block's payload is still what its last fill wrote.  The slot's owner
 * reads its own addr/size/seed: other threads only relink its tree fields. */
static enum cell_status verify(struct worker *w, size_t i, uint64_t nmemb, uint32_t slot,
                               const char *what)
{
	struct pass *ps = w->ps;
	const struct check_block *b = &ps->ix.blocks[slot];
	uint8_t want = 0, got = 0;
	int64_t off = check_verify((const void *)b->addr, b->size, slot, b->seed, &want, &got);
	if (off < 0)
		return CELL_OK;
	return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s: payload of block %llu at %#lx was "
	                 "changed at byte %lld since op %u (line %u) filled it (expected 0x%02x, "
	                 "found 0x%02x)", what, block_id(ps, slot), (unsigned long)b->addr,
	                 (long long)off, b->seed, line_of(ps->t, b->seed), want, got);
}

static enum cell_status checked_alloc(struct worker *w, size_t i, uint64_t nmemb)
{
	struct pass *ps = w->ps;
	const struct op *op = &ps->t->ops[i];
	uint32_t rs = ps->t->ops[i].slot;
	struct check_block *b = &ps->ix.blocks[rs];
	size_t size = op->size, align = run_align(ps->opt);
	int overflow = 0;
	void *p;

	if (b->state == SLOT_LIVE)
		return violation(w, CELL_BAD_INPUT, i, nmemb, "block %llu is already live",
		                 block_id(ps, rs));
	switch (op->kind) {
	case OP_MALLOC:
		p = ps->calls.malloc(ps->calls.self, size);
		break;
	case OP_CALLOC:
		size = mul_size(nmemb, op->size, &overflow);
		p = ps->calls.calloc(ps->calls.self, nmemb, op->size);
		break;
	default: /* OP_MEMALIGN */
		if (op->align_log2 >= 63)
			return violation(w, CELL_BAD_INPUT, i, 0, "alignment 2^%u is too large",
			                 op->align_log2);
		p = ps->calls.memalign(ps->calls.self, (size_t)1 << op->align_log2, size);
		if (((size_t)1 << op->align_log2) > align)
			align = (size_t)1 << op->align_log2;
		break;
	}
	w->count[op->kind]++;
	if (!p) {
		w->failed++;
		b->state = SLOT_FAILED;
		return CELL_OK;
	}
	if (overflow)
		return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx for a calloc "
		                 "whose size overflows size_t (expected NULL)", ps->a->name,
		                 (unsigned long)(uintptr_t)p);
	/* where the block is comes first: reading it could fault otherwise */
	enum cell_status s = admit_block(w, i, nmemb, rs, p, size, align);
	if (s)
		return s;
	if (op->kind == OP_CALLOC) {
		int64_t off = check_zeroed(p, size);
		if (off >= 0)
			return violation(w, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx whose "
			                 "byte %lld is not zero", ps->a->name,
			                 (unsigned long)(uintptr_t)p, (long long)off);
	}
	b->seed = (uint32_t)i;
	check_fill(p, 0, size, rs, b->seed);
	return CELL_OK;
}

static enum cell_status checked_free(struct worker *w, size_t i)
{
	struct pass *ps = w->ps;
	uint32_t rs = ps->t->ops[i].slot;
	struct check_block *b = &ps->ix.blocks[rs];

	if (b->state == SLOT_FAILED) {
		w->skipped++;
		b->state = SLOT_EMPTY;
		return CELL_OK;
	}
	if (b->state != SLOT_LIVE)
		return violation(w, CELL_BAD_INPUT, i, 0, "block %llu is not live",
		                 block_id(ps, rs));
	enum cell_status s = verify(w, i, 0, rs, "before the free");
	if (s)
		return s;
	void *p = (void *)b->addr;
	retire_block(ps, rs, b->size);
	ps->calls.free(ps->calls.self, p);
	w->count[OP_FREE]++;
	return CELL_OK;
}

static enum cell_status checked_realloc(struct worker *w, size_t i)
{
	struct pass *ps = w->ps;
	const struct op *op = &ps->t->ops[i];
	uint32_t rs = ps->t->ops[i].slot;
	struct check_block *b = &ps->ix.blocks[rs];
	enum cell_status s;

	if (b->state == SLOT_FAILED) {
		w->skipped++;
		return CELL_OK;
	}
	/* a valid trace reallocs only live blocks: an empty slot here means the
	 * replay broke the order (it ran before the block's allocation) */
	if (b->state != SLOT_LIVE)
		return violation(w, CELL_BAD_INPUT, i, 0, "block %llu is not live",
		                 block_id(ps, rs));
	if ((s = verify(w, i, 0, rs, "before the realloc")))
		return s;
	void *old = (void *)b->addr;
	uint64_t old_size = b->size;
	uint32_t old_seed = b->seed;
	retire_block(ps, rs, old_size);
	void *p = ps->calls.realloc(ps->calls.self, old, op->size);
	w->count[OP_REALLOC]++;
	if (!p) {
		if (op->size == 0) {
			b->state = SLOT_FAILED;   /* glibc frees and returns NULL */
			return CELL_OK;
		}
		w->failed++;
		/* the old block stays live and must be untouched */
		if ((s = admit_block(w, i, 0, rs, old, old_size, 1)))
			return s;
		b->seed = old_seed;
		return verify(w, i, 0, rs, "after a failed realloc");
	}
	if ((s = admit_block(w, i, 0, rs, p, op->size, run_align(ps->opt))))
		return s;
	uint64_t keep = old_size < op->size ? old_size : op->size;
	uint8_t want = 0, got = 0;
	int64_t off = check_verify(p, keep, rs, old_seed, &want, &got);
	if (off >= 0)
		return violation(w, CELL_CHECK_FAILED, i, 0, "%s returned %#lx but did not keep "
		                 "the block's first %llu bytes: byte %lld differs (expected 0x%02x, "
		                 "found 0x%02x)", ps->a->name, (unsigned long)(uintptr_t)p,
		                 (unsigned long long)keep, (long long)off, want, got);
	b->seed = (uint32_t)i;
	check_fill(p, 0, op->size, rs, b->seed);
	return CELL_OK;
}

static void collect_stat(void *ctx, const char *name, uint64_t value)
{
	struct cell_result *r = ctx;
	if (r->nstats >= STATS_MAX)
		return;
	struct cell_stat *s = &r->stats[r->nstats++];
	snprintf(s->name, sizeof s->name, "%s", name);
	s->value = value;
}

/* The allocator's self-check, under the lock: the violations found (0: clean),
 * described in `what` as "NAME self-check found N violations: ...". */
static unsigned long self_check(struct pass *ps, char *what, size_t len)
{
	struct check_report rep;
	memset(&rep, 0, sizeof rep);
	if (!ps->a->check)
		return 0;
	void *self = ps->use_lock ? ps->lk.self : ps->calls.self;
	if (ps->use_lock)
		lock(&ps->lk);
	unsigned long found = ps->a->check(self, &rep);
	if (ps->use_lock)
		unlock(&ps->lk);
	pthread_mutex_lock(&ps->msg_lock);
	ps->r->self_checks++;
	pthread_mutex_unlock(&ps->msg_lock);
	if (!found && !rep.violations)
		return 0;
	if (rep.violations < found)
		rep.violations = found;
	size_t n = (size_t)snprintf(what, len, "%s self-check found %lu violation%s", ps->a->name,
	                            rep.violations, rep.violations == 1 ? "" : "s");
	for (unsigned k = 0; k < rep.nmessages && n < len; k++)
		n += (size_t)snprintf(what + n, len - n, "%s%s", k ? "; " : ": ", rep.messages[k]);
	return rep.violations;
}

static void checked_ops(struct worker *w)
{
	struct pass *ps = w->ps;
	const struct thread_plan *plan = ps->plan;
	const struct trace *t = ps->t;
	const uint64_t *nmemb = plan->nmemb + plan->cfirst[w->k];
	uint64_t every = ps->opt->check_every;

	for (size_t j = plan->first[w->k]; j < plan->first[w->k + 1]; j++) {
		uint32_t i = plan->order[j], sy = plan->sync[i];
		const struct op *op = &t->ops[i];
		if (atomic_load_explicit(&ps->abort, memory_order_relaxed))
			return;
		if ((sy & SYNC_WAIT) && wait_turn(ps, t->ops[i].slot, sy & SYNC_SEQ_MASK, &w->blocked))
			return;
		w->cur = i;
		cur_op = i;
		if (replay_progress && !ps->use_lock)   /* no lock: the last op begun */
			replay_progress->op = i;
		w->nmemb = op->kind == OP_CALLOC ? *nmemb++ : 0;
		enum cell_status s;
		switch (op->kind) {
		case OP_MALLOC:
		case OP_CALLOC:
		case OP_MEMALIGN:
			s = checked_alloc(w, i, w->nmemb);
			break;
		case OP_REALLOC:
			s = checked_realloc(w, i);
			break;
		case OP_FREE:
			s = checked_free(w, i);
			break;
		default:
			s = violation(w, CELL_BAD_INPUT, i, 0, "unknown op kind %u", op->kind);
			break;
		}
		if (s)
			return;
		w->done++;
		if (sy & SYNC_PUBLISH)
			publish(ps, t->ops[i].slot, sy);
		if (every) {
			uint64_t n = atomic_fetch_add(&ps->ops_total, 1) + 1;
			char what[400];
			unsigned long found;
			if (n % every == 0 && (found = self_check(ps, what, sizeof what))) {
				violation(w, CELL_CHECK_FAILED, i, w->nmemb, "after it: %s", what);
				pthread_mutex_lock(&ps->msg_lock);
				ps->r->violations += found - 1;
				pthread_mutex_unlock(&ps->msg_lock);
				return;
			}
		}
	}
}

/* ---- running a pass on its threads --------------------------------------- */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pass *ps = w->ps;
	stack_t st = { .ss_sp = bulk_alloc(CRASH_STACK), .ss_size = CRASH_STACK };
	if (st.ss_sp)
		sigaltstack(&st, NULL);
	start_line(ps);
	if (!sigsetjmp(w->jump.env, 1)) {
		armed = &w->jump;
		if (ps->checked)
			checked_ops(w);
		else
			timed_ops(w);
	} else {
		w->crashed = 1;
		if (held) {   /* it died inside the allocator, holding the lock */
			struct locked *l = held;
			held = NULL;
			pthread_mutex_unlock(&l->m);
		}
		atomic_store(&ps->abort, 1);
	}
	armed = NULL;
	w->end_ns = mono_ns();
	if (st.ss_sp) {
		stack_t off = { .ss_flags = SS_DISABLE };
		sigaltstack(&off, NULL);
		bulk_free(st.ss_sp, CRASH_STACK);
	}
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

/* The pass's state, its heap, the allocator started (crash-guarded) in this thread. */
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

static int pass_open(struct pass *ps, const struct allocator *a, const struct trace *t,
                     const struct run_options *opt, const struct thread_plan *plan,
                     void **ptrs, uint64_t *sizes, _Atomic uint32_t *seq, struct worker *w)
{
	memset(ps, 0, offsetof(struct pass, checked));
	ps->a = a, ps->t = t, ps->opt = opt, ps->plan = plan;
	ps->ptrs = ptrs, ps->sizes = sizes, ps->seq = seq, ps->w = w;
	pass_reset(ps);
	ps->use_lock = needs_lock(a, opt);
	pthread_mutex_init(&ps->lk.m, NULL);
	return replay_open_heap(&ps->heap, opt->heap_limit);
}

static void pass_close(struct pass *ps)
{
	pthread_mutex_destroy(&ps->lk.m);
	heap_close(&ps->heap);
}

/* init in this thread, under the guard: 0, REPLAY_CRASHED or REPLAY_INIT_FAILED. */
static int pass_init(struct pass *ps, struct jump *j)
{
	void *self = NULL;
	if (!sigsetjmp(j->env, 1)) {
		armed = j;
		self = ps->a->init(&ps->heap);
		armed = NULL;
	} else {
		armed = NULL;
		return REPLAY_CRASHED;
	}
	if (!self)
		return REPLAY_INIT_FAILED;
	calls_for(&ps->calls, ps->a, self, &ps->lk, ps->use_lock);
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

/* ---- the cell ------------------------------------------------------------ */

static void sum_workers(struct pass *ps, uint64_t *done, uint64_t count[OP_KINDS],
                        uint64_t *failed, uint64_t *skipped, uint64_t *end_ns)
{
	*done = *failed = *skipped = *end_ns = 0;
	for (int k = 0; k < OP_KINDS; k++)
		count[k] = 0;
	for (uint32_t k = 0; k < ps->plan->nthreads; k++) {
		struct worker *w = &ps->w[k];
		*done += w->done;
		for (int q = 0; q < OP_KINDS; q++)
			count[q] += w->count[q];
		*failed += w->failed;
		*skipped += w->skipped;
		if (w->end_ns > *end_ns)
			*end_ns = w->end_ns;
	}
}

static enum cell_status checked_pass(const struct allocator *a, const struct trace *t,
                                     const struct run_options *opt,
                                     const struct thread_plan *plan, void **ptrs,
                                     uint64_t *sizes, _Atomic uint32_t *seq,
                                     struct worker *w, struct cell_result *r)
{
	struct pass ps;
	struct jump j;
	int err;

	if ((err = pass_open(&ps, a, t, opt, plan, ptrs, sizes, seq, w))) {
		replay_heap_failure(r->message, sizeof r->message, opt->heap_limit, err);
		return r->status = CELL_SYSTEM;
	}
	ps.checked = 1;
	ps.r = r;
	ps.stopped = 0;
	ps.live_bytes = 0;
	atomic_init(&ps.ops_total, 0);
	pthread_mutex_init(&ps.ix_lock, NULL);
	pthread_mutex_init(&ps.msg_lock, NULL);
	if ((err = check_index_init(&ps.ix, t->nslots))) {
		pass_close(&ps);
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for the checker (%u blocks): %s",
		         t->nslots, strerror(err));
		return r->status = CELL_SYSTEM;
	}
	struct guard g;
	if (replay_progress) {
		replay_progress->pass = REPLAY_PASS_CHECKED;
		replay_progress->op = REPLAY_OP_NONE;
		replay_progress->op_exact = 0;
		replay_progress->threads = plan->nthreads;
		ps.lk.track = ps.use_lock;
	}
	guard_arm(&g, opt);
	err = pass_init(&ps, &j);
	if (err) {
		r->violations++;
		r->status = CELL_CHECK_FAILED;
		if (err == REPLAY_CRASHED) {
			char what[160];
			crash_text(&j, what, sizeof what);
			snprintf(r->message, sizeof r->message, "%s: in init: %s crashed with %s",
			         t->path, a->name, what);
		} else if (opt->heap_limit) {
			snprintf(r->message, sizeof r->message,
			         "%s cannot start within a heap limit of %zu bytes", a->name,
			         opt->heap_limit);
			r->violations--;
			r->status = CELL_BAD_INPUT;
		} else {
			snprintf(r->message, sizeof r->message, "%s: init returned NULL on a fresh heap",
			         a->name);
		}
		goto out;
	}
	if ((err = run_threads(&ps))) {
		snprintf(r->message, sizeof r->message, "cannot start %u threads: %s",
		         plan->nthreads, strerror(err));
		r->status = CELL_SYSTEM;
		goto out;
	}
	if (replay_progress) {   /* the closing checks, in this thread alone */
		ps.lk.track = 0;
		replay_progress->op = t->nops;
		replay_progress->op_exact = 1;
	}
	uint64_t failed, skipped, end_ns;
	sum_workers(&ps, &r->ops_replayed, r->count, &failed, &skipped, &end_ns);
	memory_figures_from_heap(&r->memory, &ps.heap);
	r->memory.failed_allocations = failed;
	r->memory.skipped_ops = skipped;
	struct worker *cw = crashed_worker(&ps);
	if (cw) {
		char what[160];
		crash_text(&cw->jump, what, sizeof what);
		ps.stopped = 0;   /* the crash is the verdict, whatever else was seen */
		violation(cw, CELL_CHECK_FAILED, cw->cur, cw->nmemb, "%s crashed with %s",
		          a->name, what);
		goto out;
	}
	if (ps.stopped)
		goto out;
	/* every block still live holds its pattern; then the allocator's own check */
	for (uint32_t s = 0; s < t->nslots; s++) {
		const struct check_block *b = &ps.ix.blocks[s];
		uint8_t want = 0, got = 0;
		if (b->state != SLOT_LIVE)
			continue;
		if (self_locking(a) &&
		    !heap_contains(&ps.heap, (const void *)b->addr, b->size ? b->size : 1)) {
			r->violations++;
			r->status = CELL_CHECK_FAILED;
			snprintf(r->message, sizeof r->message, "%s: at the end of the trace: block "
			         "%llu at %#lx (%llu bytes) is not below the break at %#lx", t->path,
			         block_id(&ps, s), (unsigned long)b->addr,
			         (unsigned long long)b->size,
			         (unsigned long)(uintptr_t)heap_break(&ps.heap));
			goto out;
		}
		int64_t off = check_verify((const void *)b->addr, b->size, s, b->seed, &want, &got);
		if (off < 0)
			continue;
		r->violations++;
		r->status = CELL_CHECK_FAILED;
		snprintf(r->message, sizeof r->message,
		         "%s: at the end of the trace: payload of block %llu at %#lx was changed "
		         "at byte %lld since op %u (line %u) filled it (expected 0x%02x, "
		         "found 0x%02x)", t->path, block_id(&ps, s), (unsigned long)b->addr,
		         (long long)off, b->seed, line_of(t, b->seed), want, got);
		goto out;
	}
	char what[400];
	if (!sigsetjmp(j.env, 1)) {
		armed = &j;
		unsigned long found = self_check(&ps, what, sizeof what);
		if (found) {
			r->violations += found;
			r->status = CELL_CHECK_FAILED;
			snprintf(r->message, sizeof r->message, "%s: at the end of the trace: %s",
			         t->path, what);
		}
		if (a->stats)
			a->stats(ps.use_lock ? ps.lk.self : ps.calls.self, collect_stat, r);
		armed = NULL;
	} else {
		armed = NULL;
		crash_text(&j, what, sizeof what);
		r->violations++;
		r->status = CELL_CHECK_FAILED;
		snprintf(r->message, sizeof r->message, "%s: at the end of the trace (self-check "
		         "or stats): %s crashed with %s", t->path, a->name, what);
	}
out:
	guard_disarm(&g);
	check_index_free(&ps.ix);
	pthread_mutex_destroy(&ps.ix_lock);
	pthread_mutex_destroy(&ps.msg_lock);
	pass_close(&ps);
	return r->status;
}

/* After a warm-up pass: free what the trace left live (from this thread). */
static void free_live(struct pass *ps)
{
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
	crash_text(&cw->jump, text, sizeof text);
	char op[300];
	replay_describe_op(op, sizeof op, ps->t, cw->cur, 0);
	snprintf(what, len, "%.150s at %.200s", text, op);
	return REPLAY_CRASHED;
}

/*
 * One timed pass, after opt->warmup untimed ones on the same allocator
 * instance: 0, REPLAY_CRASHED (message in `what`), REPLAY_INIT_FAILED or an
 * errno.
 */
static int timed_pass(const struct allocator *a, const struct trace *t,
                      const struct run_options *opt, const struct thread_plan *plan,
                      void **ptrs, uint64_t *sizes, _Atomic uint32_t *seq, struct worker *w,
                      struct pass_figures *f, struct memory_figures *m, char *what,
                      size_t len, uint64_t *blocked)
{
	struct pass ps;
	struct jump j;
	int err = pass_open(&ps, a, t, opt, plan, ptrs, sizes, seq, w);
	if (err)
		return err;
	ps.checked = 0;
	struct guard g;
	guard_arm(&g, opt);
	err = pass_init(&ps, &j);
	if (err == REPLAY_CRASHED)
		crash_text(&j, what, len);
	for (unsigned k = 0; !err && k < opt->warmup; k++) {
		if (!(err = run_threads(&ps)) && !(err = pass_crash(&ps, what, len))) {
			if (!sigsetjmp(j.env, 1)) {
				armed = &j;
				free_live(&ps);
				armed = NULL;
			} else {
				armed = NULL;
				crash_text(&j, what, len);
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
		uint64_t done, count[OP_KINDS], failed, skipped, end_ns;
		sum_workers(&ps, &done, count, &failed, &skipped, &end_ns);
		*f = ps.fig;
		f->wall_ns = end_ns - ps.start_ns;   /* to the last op, not the last join */
		*blocked = 0;
		for (uint32_t k = 0; k < plan->nthreads; k++)
			*blocked += w[k].blocked;
		memory_figures_from_heap(m, &ps.heap);
		m->failed_allocations = failed;
		m->skipped_ops = skipped;
		err = pass_crash(&ps, what, len);
	}
	pass_close(&ps);
	return err;
}

/* What every threaded pass needs besides the pass state: built once per cell. */
struct setup {
	struct thread_plan plan;
	void             **ptrs;   /* block pointers by slot   */
	uint64_t          *sizes;  /* their sizes (--touch)    */
	_Atomic uint32_t  *seq;    /* published ops per slot   */
	struct worker     *w;      /* one per trace thread     */
	size_t             pbytes, zbytes, sbytes, wbytes;
};

static void setup_free(struct setup *u)
{
	bulk_free(u->ptrs, u->pbytes);
	bulk_free(u->sizes, u->zbytes);
	bulk_free(u->seq, u->sbytes);
	bulk_free(u->w, u->wbytes);
	thread_plan_free(&u->plan);
}

/* Validate t and build the plan and arrays; fills r's threads fields, or
 * its status and message on failure. */
static enum cell_status setup_build(struct setup *u, const struct allocator *a,
                                    const struct trace *t, const struct run_options *opt,
                                    struct cell_result *r)
{
	memset(u, 0, sizeof *u);
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
	if (thread_plan_build(&u->plan, t)) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for the thread plan (%zu ops)", t->nops);
		return r->status = CELL_SYSTEM;
	}
	r->threads = u->plan.nthreads;
	r->cross_thread_waits = u->plan.waits;
	size_t room = places(&u->plan, t) + (size_t)1;
	u->pbytes = room * sizeof *u->ptrs;
	u->zbytes = room * sizeof *u->sizes;
	u->sbytes = room * sizeof *u->seq;
	u->wbytes = (size_t)u->plan.nthreads * sizeof *u->w;
	u->ptrs = bulk_alloc(u->pbytes);
	u->sizes = bulk_alloc(u->zbytes);
	u->seq = bulk_alloc(u->sbytes);
	u->w = bulk_alloc(u->wbytes);
	if (!u->ptrs || !u->sizes || !u->seq || !u->w) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for %u block pointers", t->nslots);
		setup_free(u);
		return r->status = CELL_SYSTEM;
	}
	return CELL_OK;
}

enum cell_status threaded_checked(const struct allocator *a, const struct trace *t,
                                  const struct run_options *opt, struct cell_result *r)
{
	struct setup u;
	if (setup_build(&u, a, t, opt, r))
		return r->status;
	checked_pass(a, t, opt, &u.plan, u.ptrs, u.sizes, u.seq, u.w, r);
	setup_free(&u);
	return r->status;
}

int threaded_timed(const struct allocator *a, const struct trace *t,
                   const struct run_options *opt, struct pass_figures *f,
                   struct memory_figures *m)
{
	struct setup u;
	struct cell_result *r = bulk_alloc(sizeof *r);
	char what[400];
	if (!r)
		return ENOMEM;
	enum cell_status s = setup_build(&u, a, t, opt, r);
	bulk_free(r, sizeof *r);
	if (s)
		return s == CELL_SYSTEM ? ENOMEM : EINVAL;
	uint64_t blocked = 0;
	int err = timed_pass(a, t, opt, &u.plan, u.ptrs, u.sizes, u.seq, u.w, f, m, what,
	                     sizeof what, &blocked);
	setup_free(&u);
	return err;
}

enum cell_status threaded_run_cell(const struct allocator *a, const struct trace *t,
                                   const struct run_options *opt, struct cell_result *r)
{
	struct setup u;
	memset(r, 0, sizeof *r);
	if (setup_build(&u, a, t, opt, r))
		return r->status;
	if (checked_pass(a, t, opt, &u.plan, u.ptrs, u.sizes, u.seq, u.w, r))
		goto out;

	unsigned n = run_count(opt, t);
	if (n > RUN_MAX)
		n = RUN_MAX;
	struct memory_figures first;
	r->memory_identical = 1;
	for (unsigned k = 0; k < n; k++) {
		struct memory_figures m;
		struct pass_figures f = { 0 };
		char what[400] = "";
		if (replay_progress) {
			replay_progress->pass = REPLAY_PASS_TIMED + k;
			replay_progress->op = REPLAY_OP_NONE;
		}
		uint64_t blocked = 0;
		int err = timed_pass(a, t, opt, &u.plan, u.ptrs, u.sizes, u.seq, u.w, &f, &m,
		                     what, sizeof what, &blocked);
		if (!err && (k == 0 || blocked > r->cross_thread_blocked))
			r->cross_thread_blocked = blocked;
		if (err == REPLAY_CRASHED || err == REPLAY_INIT_FAILED) {
			snprintf(r->message, sizeof r->message, "%s: timed pass %u: %s %s%s",
			         t->path, k + 1, a->name,
			         err == REPLAY_CRASHED ? "crashed with " : "init returned NULL", what);
			r->violations++;
			r->status = CELL_CHECK_FAILED;
			break;
		}
		if (err) {
			snprintf(r->message, sizeof r->message, "timed pass %u: %s", k + 1,
			         strerror(err));
			r->status = CELL_SYSTEM;
			break;
		}
		replay_note_pass(r, t, k, &f);
		/* the interleaving varies, so may the figures: reported, not enforced */
		if (k == 0)
			first = m;
		else if (memory_figures_differ(&first, &m, 1))
			r->memory_identical = 0;
	}
	/* The latency pass times one op at a time: it replays serially, as for peers. */
	if (r->status == CELL_OK && opt->latency) {
		struct run_options serial = *opt;
		serial.threads = 0;
		replay_latency_cell(a, t, &serial, r);
	}
out:
	setup_free(&u);
	return r->status;
}
