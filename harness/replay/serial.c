/*
 * serial.c - the serial driver: the checked pass, the timed passes and the
 * latency pass on the calling thread, in trace order (see serial.h).
 *
 * Every op of the checked pass goes through the checker (checker.h), every
 * op of a timed pass through timed_op.h: the threaded driver uses the same
 * two, so the two drivers check and measure the same things.
 */
#define _GNU_SOURCE
#include "serial.h"
#include "../core/monoclock.h"
#include "timed_op.h"

#include "../core/bulk.h"
#include "checker.h"
#include "guard.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void publish(uint32_t pass, uint64_t op)
{
	if (replay_progress) {
		replay_progress->pass = pass;
		replay_progress->op = op;
	}
}

/*
 * The crash guard around one pass on this thread: the handlers and a signal
 * stack, or nothing in a child that must die of the signal (let_crash).
 * 0, or ENOMEM when the stack cannot be reserved.
 */
struct serial_guard {
	struct guard       g;
	struct guard_stack stack;
};

static int serial_guard_arm(struct serial_guard *sg, const struct cell_options *opt)
{
	sg->stack.mem = NULL;
	sg->g.armed = sg->g.naming = 0;
	if (opt->let_crash)
		return 0;
	int err = guard_stack_push(&sg->stack);
	if (err)
		return err;
	guard_arm(&sg->g, 0, 0);
	return 0;
}

static void serial_guard_disarm(struct serial_guard *sg)
{
	guard_disarm(&sg->g);
	guard_stack_pop(&sg->stack);
}

/* ---- the checked pass ---- */

/* The checked pass's state, kept in serial_checked's frame. */
struct serial_pass {
	struct checker          ck;          /* the checks and the live blocks        */
	struct heap             heap;        /* this pass's fresh heap                */
	struct checker_counts   n;           /* what the ops did                      */
	uint64_t                calloc_next; /* index into t->calloc_nmemb            */
	unsigned                tl_points;   /* timeline samples this trace gets      */
	uint64_t                tl_next;     /* ops done at the next sample; 0: none  */
	enum { PHASE_INIT, PHASE_OPS, PHASE_END } phase;  /* for crash messages     */
	enum cell_status        verdict;
};

/* Refuse op i before touching anything: r->message = "<op>: <what>". */
__attribute__((format(printf, 4, 5)))
static enum cell_status refuse(struct cell_result *r, const struct trace *t, size_t i,
                               const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	checker_fail_va(r, t, CELL_BAD_INPUT, i, 0, fmt, ap);
	va_end(ap);
	return CELL_BAD_INPUT;
}

/* Provider figures as a timed pass would see them: before the closing checks. */
static void snapshot_figures(struct serial_pass *sp)
{
	struct cell_result *r = sp->ck.r;
	memory_figures_from_heap(&r->memory, &sp->heap);
	r->memory.failed_allocations = sp->n.failed;
	r->memory.skipped_ops = sp->n.skipped;
	memcpy(r->count, sp->n.count, sizeof r->count);
}

/* One timeline sample: the heap as it stands after sp->tl_next ops. */
static void timeline_note(struct serial_pass *sp)
{
	struct timeline *tl = &sp->ck.r->timeline;
	unsigned k = tl->points;

	tl->op[k] = sp->tl_next;
	/* A peer takes memory from the system, not from the provider. */
	tl->has_break = !sp->ck.opt->peer;
	tl->break_bytes[k] = tl->has_break
	                     ? (uint64_t)(heap_break(&sp->heap) - heap_start(&sp->heap)) : 0;
	tl->live_bytes[k] = sp->ck.live_bytes;
	tl->points = ++k;
	sp->tl_next = k < sp->tl_points ? timeline_mark(k, sp->tl_points, sp->ck.t->nops) : 0;
}

/* --check N: the allocator's self-check after op i; a failure is the verdict. */
static enum cell_status self_check(struct serial_pass *sp, size_t i)
{
	const struct trace *t = sp->ck.t;
	char where[sizeof sp->ck.r->message];
	if (t->line)
		snprintf(where, sizeof where, "%s:%u: after op %zu: ", t->path, t->line[i], i);
	else
		snprintf(where, sizeof where, "%s: after op %zu: ", t->path, i);
	return checker_self_check_verdict(&sp->ck, where);
}

static enum cell_status checked_ops(struct serial_pass *sp)
{
	struct checker *c = &sp->ck;
	const struct trace *t = c->t;
	uint64_t every = c->opt->check_every;
	enum cell_status s = CELL_OK;

	for (size_t i = 0; i < t->nops && !s; i++) {
		uint64_t nmemb = 0;
		if (replay_progress)
			replay_progress->op = i;
		if (t->ops[i].kind == OP_CALLOC) {
			if (sp->calloc_next >= t->ncalloc) {
				s = checker_fail(c, CELL_BAD_INPUT, i, 0,
				                 "the trace has no NMEMB for this calloc");
				break;
			}
			nmemb = t->calloc_nmemb[sp->calloc_next++];
		}
		s = checker_op(c, &sp->n, i, nmemb);
		if (!s) {
			sp->n.done = i + 1;
			c->r->ops_replayed = i + 1;
			if (i + 1 == sp->tl_next)
				timeline_note(sp);
			if (every && (i + 1) % every == 0)
				s = self_check(sp, i);
		}
	}
	return s;
}

/* Everything the checked pass runs of the allocator's code, in order. */
static enum cell_status checked_pass(struct serial_pass *sp)
{
	struct checker *c = &sp->ck;
	enum cell_status s;

	sp->phase = PHASE_INIT;
	void *self = c->a->init(&sp->heap);
	if (!self)
		return checker_init_failed(c);
	c->self = self;
	c->calls = (struct timed_calls){ c->a->malloc, c->a->calloc, c->a->realloc,
	                                 c->a->memalign, c->a->free, self };
	sp->phase = PHASE_OPS;
	sp->tl_points = timeline_points(c->t->nops);
	sp->tl_next = sp->tl_points ? timeline_mark(0, sp->tl_points, c->t->nops) : 0;
	s = checked_ops(sp);
	snapshot_figures(sp);
	sp->phase = PHASE_END;
	publish(REPLAY_PASS_CHECKED, c->t->nops);
	if (!s)
		s = checker_verify_survivors(c);
	if (!s)
		s = checker_final_self_check(c);
	if (s != CELL_BAD_INPUT)
		checker_collect_stats(c);
	return s;
}

static void checked_body(void *arg)
{
	struct serial_pass *sp = arg;
	sp->verdict = checked_pass(sp);
}

/* The verdict on a crash of the checked pass, which names the op or the phase. */
static enum cell_status checked_crash(struct serial_pass *sp, const struct guard_jump *j)
{
	struct checker *c = &sp->ck;
	struct cell_result *r = c->r;
	char what[160];

	guard_text(j, what, sizeof what);
	if (sp->phase == PHASE_OPS) {
		size_t i = r->ops_replayed;
		const struct op *op = &c->t->ops[i];
		uint64_t nmemb = op->kind == OP_CALLOC && sp->calloc_next
		                 ? c->t->calloc_nmemb[sp->calloc_next - 1] : 0;
		snapshot_figures(sp);
		c->stopped = 0;   /* the crash is the verdict */
		return checker_fail(c, CELL_CHECK_FAILED, i, nmemb, "%s crashed with %s",
		                    c->a->name, what);
	}
	return checker_crashed(c, sp->phase == PHASE_INIT ? "in init"
	                       : "at the end of the trace (self-check or stats)", what);
}

enum cell_status serial_checked(const struct allocator *a, const struct trace *t,
                                const struct cell_options *opt, struct cell_result *r)
{
	struct serial_pass sp;
	struct serial_guard sg;
	struct guard_jump j;
	enum cell_status s;
	int err;

	memset(&sp, 0, sizeof sp);
	r->status = CELL_OK;
	r->message[0] = '\0';
	r->timeline.points = 0;
	publish(REPLAY_PASS_CHECKED, REPLAY_OP_NONE);
	/* Reject ops whose slot is out of range before touching anything. */
	for (size_t i = 0; i < t->nops; i++)
		if (t->ops[i].slot >= t->nslots)
			return refuse(r, t, i, "slot %u out of range (trace has %u)",
			              t->ops[i].slot, t->nslots);
	if ((err = replay_open_heap(&sp.heap, opt->heap_limit))) {
		replay_heap_failure(r->message, sizeof r->message, opt->heap_limit, err);
		return r->status = CELL_SYSTEM;
	}
	if ((s = checker_open(&sp.ck, a, t, opt, r, &sp.heap, 0))) {
		heap_close(&sp.heap);
		return s;
	}
	if ((err = serial_guard_arm(&sg, opt))) {
		snprintf(r->message, sizeof r->message, "cannot reserve a signal stack: %s",
		         strerror(err));
		s = r->status = CELL_SYSTEM;
		goto out;
	}
	s = guard_call(&j, checked_body, &sp) ? checked_crash(&sp, &j) : sp.verdict;
	serial_guard_disarm(&sg);
out:
	checker_close(&sp.ck);
	heap_close(&sp.heap);
	return s;
}

/* ---- the timed passes ---- */

/* Marks a slot whose allocation failed, so its later f/r is skipped (timed_op.h). */
char replay_failed_marker;

size_t replay_slots_bytes(const struct trace *t)
{
	return ((size_t)t->nslots + 1) * (sizeof(void *) + sizeof(uint64_t));
}

/* One timed pass's state, kept in serial_timed's frame. */
struct timed {
	const struct allocator *a;
	const struct trace     *t;
	const struct cell_options *opt;
	void                  **ptrs;
	uint64_t               *sizes;    /* block sizes by slot (--touch)      */
	struct heap             heap;
	struct pass_figures     fig;      /* the timed loop                     */
	uint64_t                failed;   /* allocations that got NULL          */
	uint64_t                skipped;  /* f/r of failed blocks               */
	int                     init_failed;
};

/* The loop, once per touch mode so that the mode is a constant in it. */
#define TIMED_LOOP(mode)                                                        \
	for (; op < end; op++)                                                  \
		timed_op(c, op, &ptrs[op->slot], &nmemb, n, mode, &sizes[op->slot])

static void timed_loop(const struct timed_calls *c, const struct trace *t, void **ptrs,
                       uint64_t *sizes, int touch, struct timed_counts *n)
{
	const struct op *op = t->ops, *end = t->ops + t->nops;
	const uint64_t *nmemb = t->calloc_nmemb;

	switch (touch) {
	case TOUCH_NONE: TIMED_LOOP(TOUCH_NONE); break;
	case TOUCH_ALL:  TIMED_LOOP(TOUCH_ALL);  break;
	default:         TIMED_LOOP(TOUCH_PAGES); break;
	}
}

/* After a warm-up pass: free what the trace left live, as a program's end would. */
static void free_live(const struct timed_calls *c, void **ptrs, uint32_t nslots)
{
	for (uint32_t s = 0; s < nslots; s++)
		if (ptrs[s] && ptrs[s] != FAILED_BLOCK)
			c->free(c->self, ptrs[s]);
}

static void timed_body(void *arg)
{
	struct timed *tp = arg;
	const struct trace *t = tp->t;
	void *self = tp->a->init(&tp->heap);
	if (!self) {
		tp->init_failed = 1;
		return;
	}
	void **ptrs = tp->ptrs;
	uint64_t *sizes = tp->sizes;
	int touch = tp->opt->touch;

	/* A local copy, so the loop reloads nothing through `a` or `t`. */
	const struct timed_calls calls = { tp->a->malloc, tp->a->calloc, tp->a->realloc,
	                                   tp->a->memalign, tp->a->free, self };
	struct timed_counts n = { 0, 0 };

	for (unsigned w = 0; w < tp->opt->warmup; w++) {
		memset(ptrs, 0, (size_t)t->nslots * sizeof *ptrs);
		timed_loop(&calls, t, ptrs, sizes, touch, &n);
		free_live(&calls, ptrs, t->nslots);
	}
	/* Both arrays written before the clock starts: their page faults are not the pass's. */
	memset(ptrs, 0, (size_t)t->nslots * sizeof *ptrs);
	if (touch != TOUCH_NONE)
		memset(sizes, 0, (size_t)t->nslots * sizeof *sizes);
	n = (struct timed_counts){ 0, 0 };

	struct pass_probe probe = { .count = tp->opt->count_probe };
	pass_probe_begin(&probe);
	timed_loop(&calls, t, ptrs, sizes, touch, &n);
	pass_probe_end(&probe, &tp->fig);
	tp->failed = n.failed;
	tp->skipped = n.skipped;
}

int serial_timed(const struct allocator *a, const struct trace *t,
                 const struct cell_options *opt, void **ptrs,
                 struct pass_figures *f, struct memory_figures *m, char *what, size_t len)
{
	struct timed tp = { .a = a, .t = t, .opt = opt, .ptrs = ptrs,
	                    .sizes = (uint64_t *)(void *)(ptrs + t->nslots + 1) };
	struct serial_guard sg;
	struct guard_jump j;
	int err = replay_open_heap(&tp.heap, opt->heap_limit);
	if (err)
		return err;
	if ((err = serial_guard_arm(&sg, opt))) {
		heap_close(&tp.heap);
		return err;
	}
	int crashed = guard_call(&j, timed_body, &tp);
	serial_guard_disarm(&sg);
	if (crashed && what)
		guard_text(&j, what, len);

	*f = tp.fig;
	memory_figures_from_heap(m, &tp.heap);
	m->failed_allocations = tp.failed;
	m->skipped_ops = tp.skipped;
	heap_close(&tp.heap);
	return crashed ? REPLAY_CRASHED : tp.init_failed ? REPLAY_INIT_FAILED : 0;
}

/* ---- the --latency pass ---- */

/* One latency pass's state, kept in latency_pass's frame. */
struct lat_pass {
	const struct allocator *a;
	const struct trace     *t;
	void                  **ptrs;
	int                     touch;     /* --touch, as in the timed passes */
	uint32_t               *samples;   /* ns of op i, overhead subtracted */
	uint64_t                overhead;  /* ns of one pair of clock reads   */
	struct heap             heap;
	int                     init_failed;
};

/*
 * timed_body's loop with the clock read around every op: the same op
 * (timed_op.h), its writes into the block included, so that a page fault
 * lands in the op that hands out the page whoever's code takes it.  The
 * loop is kept separate so the plain timed passes carry no clock reads.
 */
static void latency_body(void *arg)
{
	struct lat_pass *lp = arg;
	const struct trace *t = lp->t;
	void *self = lp->a->init(&lp->heap);
	if (!self) {
		lp->init_failed = 1;
		return;
	}
	void **ptrs = lp->ptrs;
	uint64_t *sizes = (uint64_t *)(void *)(ptrs + t->nslots + 1);
	memset(ptrs, 0, (size_t)t->nslots * sizeof *ptrs);
	memset(sizes, 0, (size_t)t->nslots * sizeof *sizes);
	const struct timed_calls calls = { lp->a->malloc, lp->a->calloc, lp->a->realloc,
	                                   lp->a->memalign, lp->a->free, self };
	const uint64_t *nmemb = t->calloc_nmemb;
	uint32_t *out = lp->samples;
	uint64_t overhead = lp->overhead;
	struct timed_counts n = { 0, 0 };
	int touch = lp->touch;

	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		uint64_t t0 = mono_ns();
		timed_op(&calls, op, &ptrs[op->slot], &nmemb, &n, touch, &sizes[op->slot]);
		uint64_t d = mono_ns() - t0;
		d = d > overhead ? d - overhead : 0;
		out[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

/*
 * The --latency pass on a fresh heap: every op timed on its own (latency.h),
 * its writes into the block (--touch) inside the op's time.  `ptrs` as for
 * replay_timed; `samples`, `scratch_a` and `scratch_b` have room for
 * t->nops each.  Returns as serial_timed; fills *f when it returns 0.
 */
static int latency_pass(const struct allocator *a, const struct trace *t,
                        const struct cell_options *opt, void **ptrs,
                        uint32_t *samples, uint32_t *scratch_a, uint32_t *scratch_b,
                        struct latency_figures *f, char *what, size_t len)
{
	struct lat_pass lp = { .a = a, .t = t, .ptrs = ptrs, .touch = opt->touch,
	                       .samples = samples };
	struct serial_guard sg;
	struct guard_jump j;
	int err = replay_open_heap(&lp.heap, opt->heap_limit);
	if (err)
		return err;
	if ((err = serial_guard_arm(&sg, opt))) {
		heap_close(&lp.heap);
		return err;
	}
	memset(f, 0, sizeof *f);
	lp.overhead = latency_timer_overhead();
	int crashed = guard_call(&j, latency_body, &lp);
	serial_guard_disarm(&sg);
	heap_close(&lp.heap);
	if (crashed) {
		guard_text(&j, what, len);
		return REPLAY_CRASHED;
	}
	if (lp.init_failed)
		return REPLAY_INIT_FAILED;
	f->timer_overhead_ns = lp.overhead;
	latency_summarise(t, samples, scratch_a, scratch_b, f);
	f->measured = 1;
	return 0;
}

/* The --latency pass with its sample arrays; a failure goes into r. */
static void run_latency(const struct allocator *a, const struct trace *t,
                        const struct cell_options *opt, void **ptrs, struct cell_result *r)
{
	size_t bytes = (t->nops ? t->nops : 1) * sizeof(uint32_t);
	uint32_t *s = bulk_alloc(bytes), *x = bulk_alloc(bytes), *y = bulk_alloc(bytes);
	char what[160] = "";
	publish(REPLAY_PASS_LATENCY, REPLAY_OP_NONE);
	int err = s && x && y ? latency_pass(a, t, opt, ptrs, s, x, y, &r->latency, what,
	                                     sizeof what)
	                      : ENOMEM;

	if (err == REPLAY_CRASHED || err == REPLAY_INIT_FAILED) {
		snprintf(r->message, sizeof r->message, "%s: latency pass: %s %s%s", t->path,
		         a->name, err == REPLAY_CRASHED ? "crashed with " : "init returned NULL",
		         what);
		r->violations++;
		r->status = CELL_CHECK_FAILED;
	} else if (err) {
		snprintf(r->message, sizeof r->message, "latency pass: cannot reserve memory: %s",
		         strerror(err));
		r->status = CELL_SYSTEM;
	}
	bulk_free(s, bytes);
	bulk_free(x, bytes);
	bulk_free(y, bytes);
}

void replay_latency_cell(const struct allocator *a, const struct trace *t,
                         const struct cell_options *opt, struct cell_result *r)
{
	size_t bytes = replay_slots_bytes(t);
	void **ptrs = bulk_alloc(bytes);
	if (!ptrs) {
		snprintf(r->message, sizeof r->message,
		         "latency pass: cannot reserve memory for %u block pointers", t->nslots);
		r->status = CELL_SYSTEM;
		return;
	}
	run_latency(a, t, opt, ptrs, r);
	bulk_free(ptrs, bytes);
}
