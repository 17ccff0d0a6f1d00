/*
 * replay.c - the checked pass and the timed passes (see replay.h).
 *
 * Failure semantics, the same in both passes so their figures agree:
 *   - an allocation that returns NULL is counted as failed, and its ID is
 *     marked failed: a later f or r of that ID is skipped (and counted);
 *   - realloc(p, n > 0) returning NULL keeps p live (C semantics) and counts
 *     as a failed allocation;
 *   - realloc(p, 0) returning NULL means p was freed (glibc's choice); the
 *     ID is marked failed so that the trace's later free of it is skipped.
 */
#define _GNU_SOURCE
#include "replay.h"
#include "monoclock.h"
#include "timed_op.h"

#include "bulk.h"
#include "check.h"
#include "threaded.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct replay_progress *replay_progress;

static void publish(uint32_t pass, uint64_t op)
{
	if (replay_progress) {
		replay_progress->pass = pass;
		replay_progress->op = op;
	}
}

unsigned run_count(const struct run_options *opt, const struct trace *t)
{
	if (opt->runs)
		return opt->runs;
	return t->nops >= RUN_HUGE_OPS ? RUN_DEFAULT_HUGE : RUN_DEFAULT;
}

/* A fresh heap for one pass (heap_open_fitting: sized from the limit and the machine). */
static int open_heap(struct heap *heap, size_t limit)
{
	return heap_open_fitting(heap, limit, NULL);
}

void replay_heap_failure(char *buf, size_t len, size_t limit, int err)
{
	heap_describe_failure(buf, len, limit ? limit : HEAP_MIN_RESERVE, err);
}

int replay_open_heap(struct heap *heap, size_t limit)
{
	return open_heap(heap, limit);
}

/*
 * ---- crash containment ----
 *
 * An allocator that dereferences garbage (or touches memory past its break,
 * which the provider keeps PROT_NONE) would kill bench with no verdict.
 * While a pass runs, fatal signals jump back to the pass, which reports the
 * crash as a failed check naming the op; the heap is discarded anyway.  The
 * handler runs on its own stack so that a runaway recursion is caught too.
 */
#define CRASH_STACK ((size_t)64 << 10)

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define NCRASH (sizeof crash_signals / sizeof crash_signals[0])

struct crash_guard {
	struct sigaction old[NCRASH];  /* handlers to restore after the pass   */
	stack_t          old_stack;    /* the alternate stack before the pass  */
	void            *stack;        /* ours, from bulk memory               */
};

static sigjmp_buf crash_jump;
static volatile sig_atomic_t crash_signal;  /* the signal that ended the pass */
static void *volatile crash_address;        /* si_addr of that signal         */

static void crash_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	crash_signal = sig;
	crash_address = si ? si->si_addr : NULL;
	siglongjmp(crash_jump, 1);
}

static int crash_guard_arm(struct crash_guard *g, const struct run_options *opt)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	g->stack = NULL;
	if (opt->let_crash)
		return 0;
	g->stack = bulk_alloc(CRASH_STACK);
	if (!g->stack)
		return ENOMEM;
	stack_t st = { .ss_sp = g->stack, .ss_size = CRASH_STACK, .ss_flags = 0 };
	sigaltstack(&st, &g->old_stack);
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	crash_signal = 0;
	for (size_t k = 0; k < NCRASH; k++)
		sigaction(crash_signals[k], &sa, &g->old[k]);
	return 0;
}

static void crash_guard_disarm(struct crash_guard *g)
{
	if (!g->stack)
		return;  /* never armed (let_crash) */
	for (size_t k = 0; k < NCRASH; k++)
		sigaction(crash_signals[k], &g->old[k], NULL);
	sigaltstack(&g->old_stack, NULL);
	bulk_free(g->stack, CRASH_STACK);
}

/* "SIGSEGV (Segmentation fault) at 0x..." */
static void crash_text(char *buf, size_t len)
{
	int sig = crash_signal;
	const char *abbrev = sigabbrev_np(sig);
	if (sig == SIGSEGV || sig == SIGBUS)
		snprintf(buf, len, "SIG%s (%s) at %#lx", abbrev ? abbrev : "?", strsignal(sig),
		         (unsigned long)(uintptr_t)crash_address);
	else
		snprintf(buf, len, "SIG%s (%s)", abbrev ? abbrev : "?", strsignal(sig));
}

/* ---- the checked pass ---- */

struct checker {
	const struct allocator *a;    /* under test                                 */
	const struct trace     *t;    /* being replayed                             */
	const struct run_options *opt;
	struct cell_result     *r;    /* where figures and the verdict go           */
	struct heap             heap; /* this pass's fresh heap                     */
	void                   *self; /* the allocator's state in it                */
	struct check_index      ix;   /* live blocks by address, patterns by slot   */
	uint64_t                live_bytes;  /* requested bytes of live blocks now  */
	uint64_t                calloc_next; /* index into t->calloc_nmemb          */
	unsigned                tl_points;   /* timeline samples this trace gets    */
	uint64_t                tl_next;     /* ops done at the next sample; 0: none */
	enum { PHASE_INIT, PHASE_OPS, PHASE_END } phase;  /* for crash messages  */
};

static unsigned long long block_id(const struct trace *t, uint32_t slot)
{
	return t->slot_id ? t->slot_id[slot] : slot;
}

/* "FILE:LINE: op N (malloc of 24 bytes for block 7)" */
static int describe_op(char *buf, size_t len, const struct trace *t, size_t i, uint64_t nmemb)
{
	const struct op *op = &t->ops[i];
	unsigned long long id = block_id(t, op->slot), size = op->size;
	int n;

	if (t->line)
		n = snprintf(buf, len, "%s:%u: op %zu (", t->path, t->line[i], i);
	else
		n = snprintf(buf, len, "%s: op %zu (", t->path, i);
	if (n < 0 || (size_t)n >= len)
		return n;
	buf += n, len -= (size_t)n;
	switch (op->kind) {
	case OP_MALLOC:
		n += snprintf(buf, len, "malloc of %llu bytes for block %llu)", size, id);
		break;
	case OP_CALLOC:
		n += snprintf(buf, len, "calloc of %llu x %llu bytes for block %llu)",
		              (unsigned long long)nmemb, size, id);
		break;
	case OP_REALLOC:
		n += snprintf(buf, len, "realloc of block %llu to %llu bytes)", id, size);
		break;
	case OP_MEMALIGN:
		n += snprintf(buf, len, "memalign of %llu bytes aligned to %llu for block %llu)",
		              size, 1ull << (op->align_log2 & 63), id);
		break;
	case OP_FREE:
		n += snprintf(buf, len, "free of block %llu)", id);
		break;
	default:
		n += snprintf(buf, len, "op of unknown kind %u)", op->kind);
		break;
	}
	return n;
}

int replay_describe_op(char *buf, size_t len, const struct trace *t, size_t i, uint64_t nmemb)
{
	return describe_op(buf, len, t, i, nmemb);
}

void replay_fail_va(struct cell_result *r, const struct trace *t, enum cell_status status,
                    size_t i, uint64_t nmemb, const char *fmt, va_list ap)
{
	char *m = r->message;
	size_t len = sizeof r->message;
	int n = describe_op(m, len, t, i, nmemb);

	if (n >= 0 && (size_t)n + 2 < len) {
		memcpy(m + n, ": ", 3);
		vsnprintf(m + n + 2, len - (size_t)n - 2, fmt, ap);
	}
	if (status == CELL_CHECK_FAILED)
		r->violations++;
	r->status = status;
}

/* Stop the pass: r->message = "<op description>: <what>". */
static enum cell_status stop(struct checker *c, enum cell_status status, size_t i,
                             uint64_t nmemb, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum cell_status stop(struct checker *c, enum cell_status status, size_t i,
                             uint64_t nmemb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	replay_fail_va(c->r, c->t, status, i, nmemb, fmt, ap);
	va_end(ap);
	return status;
}

/*
 * A block the allocator just returned: aligned, in the heap, overlapping
 * nothing live.  When it passes, it is live in the index as block `slot`.
 */
static enum cell_status check_new_block(struct checker *c, size_t i, uint64_t nmemb,
                                        uint32_t slot, const void *p, uint64_t size,
                                        size_t align)
{
	uintptr_t addr = (uintptr_t)p;
	const char *name = c->a->name;

	/* A production allocator may give an 8-byte block 8-byte alignment (C11:
	 * suitably aligned for any object that fits); memalign asks for more. */
	int asked = align != run_align(c->opt);  /* memalign asked for it */
	while (c->opt->peer && !asked && align > 1 && size < align)
		align /= 2;
	if (addr % align)
		return stop(c, CELL_CHECK_FAILED, i, nmemb, "%s returned %#lx, not %zu-byte aligned%s",
		            name, (unsigned long)addr, align,
		            asked ? "" : " (the alignment this run demands of every block; "
		            "--align sets it when an assignment states another)");
	if (!c->opt->peer && !heap_contains(&c->heap, p, size ? size : 1)) {
		uintptr_t lo = (uintptr_t)heap_start(&c->heap), hi = (uintptr_t)heap_break(&c->heap);
		if (addr < lo || addr >= hi)
			return stop(c, CELL_CHECK_FAILED, i, nmemb,
			            "%s returned %#lx, outside its heap [%#lx, %#lx) below the break "
			            "(every block must lie in memory taken from the heap provider: "
			            "mem_sbrk or sbrk in a student's source)",
			            name, (unsigned long)addr, (unsigned long)lo, (unsigned long)hi);
		return stop(c, CELL_CHECK_FAILED, i, nmemb,
		            "%s returned %#lx, whose %llu bytes run past the break at %#lx",
		            name, (unsigned long)addr, (unsigned long long)size, (unsigned long)hi);
	}
	uint32_t other = check_index_add(&c->ix, slot, addr, size);
	if (other != CHECK_NIL) {
		const struct check_block *b = &c->ix.blocks[other];
		return stop(c, CELL_CHECK_FAILED, i, nmemb,
		            "%s returned %#lx (%llu bytes), which overlaps live block %llu "
		            "at %#lx (%llu bytes)", name, (unsigned long)addr,
		            (unsigned long long)size, block_id(c->t, other),
		            (unsigned long)b->addr, (unsigned long long)b->size);
	}
	return CELL_OK;
}

static void note_live(struct checker *c)
{
	struct cell_result *r = c->r;
	if (c->live_bytes > r->peak_live_bytes)
		r->peak_live_bytes = c->live_bytes;
	if (c->ix.live > r->peak_live_blocks)
		r->peak_live_blocks = c->ix.live;
}

static uint32_t line_of(const struct trace *t, uint32_t seed)
{
	return t->line && seed < t->nops ? t->line[seed] : 0;
}

/* The payload of live block `slot` is still the pattern its last fill wrote. */
static enum cell_status verify_payload(struct checker *c, size_t i, uint64_t nmemb,
                                       uint32_t slot, uint64_t size, const char *what)
{
	const struct check_block *b = &c->ix.blocks[slot];
	uint8_t want = 0, got = 0;
	int64_t off = check_verify((const void *)b->addr, size, slot, b->seed, &want, &got);

	if (off < 0)
		return CELL_OK;
	return stop(c, CELL_CHECK_FAILED, i, nmemb,
	            "%s: payload of block %llu at %#lx was changed at byte %lld since op %u "
	            "(line %u) filled it (expected 0x%02x, found 0x%02x)",
	            what, block_id(c->t, slot), (unsigned long)b->addr, (long long)off,
	            b->seed, line_of(c->t, b->seed), want, got);
}

static enum cell_status self_check(struct checker *c, size_t i, int at_end)
{
	struct check_report rep;
	memset(&rep, 0, sizeof rep);
	if (!c->a->check)
		return CELL_OK;  /* the contract requires one; do not crash without it */
	unsigned long found = c->a->check(c->self, &rep);

	c->r->self_checks++;
	if (!found && !rep.violations)
		return CELL_OK;
	if (rep.violations < found)
		rep.violations = found;
	c->r->violations += rep.violations;
	c->r->status = CELL_CHECK_FAILED;

	char *m = c->r->message;
	size_t len = sizeof c->r->message, n;
	if (at_end)
		n = (size_t)snprintf(m, len, "%s: at the end of the trace: ", c->t->path);
	else if (c->t->line)
		n = (size_t)snprintf(m, len, "%s:%u: after op %zu: ", c->t->path, c->t->line[i], i);
	else
		n = (size_t)snprintf(m, len, "%s: after op %zu: ", c->t->path, i);
	if (n < len)
		n += (size_t)snprintf(m + n, len - n, "%s self-check found %lu violation%s",
		                      c->a->name, rep.violations, rep.violations == 1 ? "" : "s");
	for (unsigned k = 0; k < rep.nmessages && n < len; k++)
		n += (size_t)snprintf(m + n, len - n, "%s%s", k ? "; " : ": ", rep.messages[k]);
	return CELL_CHECK_FAILED;
}

static enum cell_status checked_alloc(struct checker *c, size_t i)
{
	const struct op *op = &c->t->ops[i];
	struct check_block *b = &c->ix.blocks[op->slot];
	uint64_t nmemb = 0, size = op->size;
	size_t align = run_align(c->opt);
	int overflow = 0;
	void *p;

	if (op->kind == OP_CALLOC) {
		if (c->calloc_next >= c->t->ncalloc)
			return stop(c, CELL_BAD_INPUT, i, 0, "the trace has no NMEMB for this calloc");
		nmemb = c->t->calloc_nmemb[c->calloc_next++];
	}
	if (b->state == SLOT_LIVE)
		return stop(c, CELL_BAD_INPUT, i, nmemb, "block %llu is already live",
		            block_id(c->t, op->slot));
	switch (op->kind) {
	case OP_MALLOC:
		p = c->a->malloc(c->self, size);
		break;
	case OP_CALLOC:
		size = mul_size(nmemb, op->size, &overflow);
		p = c->a->calloc(c->self, nmemb, op->size);
		break;
	default: /* OP_MEMALIGN */
		if (op->align_log2 >= 63)
			return stop(c, CELL_BAD_INPUT, i, 0, "alignment 2^%u is too large",
			            op->align_log2);
		p = c->a->memalign(c->self, (size_t)1 << op->align_log2, size);
		if (((size_t)1 << op->align_log2) > align)
			align = (size_t)1 << op->align_log2;
		break;
	}
	c->r->count[op->kind]++;
	if (!p) {
		c->r->memory.failed_allocations++;
		b->state = SLOT_FAILED;
		return CELL_OK;
	}
	if (overflow)
		return stop(c, CELL_CHECK_FAILED, i, nmemb,
		            "%s returned %#lx for a calloc whose size overflows size_t "
		            "(expected NULL)", c->a->name, (unsigned long)(uintptr_t)p);
	enum cell_status s = check_new_block(c, i, nmemb, op->slot, p, size, align);
	if (s)
		return s;
	if (op->kind == OP_CALLOC) {
		int64_t off = check_zeroed(p, size);
		if (off >= 0)
			return stop(c, CELL_CHECK_FAILED, i, nmemb,
			            "%s returned %#lx whose byte %lld is not zero",
			            c->a->name, (unsigned long)(uintptr_t)p, (long long)off);
	}
	b->seed = (uint32_t)i;
	check_fill(p, 0, size, op->slot, b->seed);
	c->live_bytes += size;
	note_live(c);
	return CELL_OK;
}

static enum cell_status checked_free(struct checker *c, size_t i)
{
	const struct op *op = &c->t->ops[i];
	struct check_block *b = &c->ix.blocks[op->slot];

	if (b->state == SLOT_FAILED) {
		c->r->memory.skipped_ops++;
		b->state = SLOT_EMPTY;  /* the trace may reuse the ID */
		return CELL_OK;
	}
	if (b->state != SLOT_LIVE)
		return stop(c, CELL_BAD_INPUT, i, 0, "block %llu is not live",
		            block_id(c->t, op->slot));
	enum cell_status s = verify_payload(c, i, 0, op->slot, b->size, "before the free");
	if (s)
		return s;
	void *p = (void *)b->addr;
	uint64_t size = b->size;
	check_index_remove(&c->ix, op->slot);
	c->a->free(c->self, p);
	c->r->count[OP_FREE]++;
	c->live_bytes -= size;
	return CELL_OK;
}

static enum cell_status checked_realloc(struct checker *c, size_t i)
{
	const struct op *op = &c->t->ops[i];
	struct check_block *b = &c->ix.blocks[op->slot];
	void *old = NULL;
	uint64_t old_size = 0;
	uint32_t old_seed = 0;
	enum cell_status s;

	if (b->state == SLOT_FAILED) {
		c->r->memory.skipped_ops++;
		return CELL_OK;
	}
	if (b->state == SLOT_LIVE) {
		s = verify_payload(c, i, 0, op->slot, b->size, "before the realloc");
		if (s)
			return s;
		old = (void *)b->addr;
		old_size = b->size;
		old_seed = b->seed;
		check_index_remove(&c->ix, op->slot);
	}
	void *p = c->a->realloc(c->self, old, op->size);
	c->r->count[OP_REALLOC]++;
	if (!p) {
		if (old && op->size == 0) {
			/* glibc frees and returns NULL: the block is gone. */
			c->live_bytes -= old_size;
			b->state = SLOT_FAILED;
			return CELL_OK;
		}
		c->r->memory.failed_allocations++;
		if (!old) {
			b->state = SLOT_FAILED;
			return CELL_OK;
		}
		/* The old block stays live and must be untouched. */
		check_index_insert(&c->ix, op->slot, (uintptr_t)old, old_size);
		b->seed = old_seed;
		return verify_payload(c, i, 0, op->slot, old_size, "after a failed realloc");
	}
	s = check_new_block(c, i, 0, op->slot, p, op->size, run_align(c->opt));
	if (s)
		return s;
	uint64_t keep = old_size < op->size ? old_size : op->size;
	uint8_t want = 0, got = 0;
	int64_t off = check_verify(p, keep, op->slot, old_seed, &want, &got);
	if (off >= 0)
		return stop(c, CELL_CHECK_FAILED, i, 0,
		            "%s returned %#lx but did not keep the block's first %llu bytes: "
		            "byte %lld differs (expected 0x%02x, found 0x%02x)",
		            c->a->name, (unsigned long)(uintptr_t)p, (unsigned long long)keep,
		            (long long)off, want, got);
	b->seed = (uint32_t)i;
	check_fill(p, 0, op->size, op->slot, b->seed);
	c->live_bytes += op->size;
	c->live_bytes -= old_size;
	note_live(c);
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

/* Provider figures as a timed pass would see them: before the closing checks. */
static void snapshot_figures(struct checker *c)
{
	struct memory_figures *m = &c->r->memory;
	uint64_t failed = m->failed_allocations, skipped = m->skipped_ops;
	memory_figures_from_heap(m, &c->heap);
	m->failed_allocations = failed;
	m->skipped_ops = skipped;
}

/* One timeline sample: the heap as it stands after c->tl_next ops. */
static void timeline_note(struct checker *c)
{
	struct timeline *tl = &c->r->timeline;
	unsigned k = tl->points;

	tl->op[k] = c->tl_next;
	/* A peer takes memory from the system, not from the provider. */
	tl->has_break = !c->opt->peer;
	tl->break_bytes[k] = tl->has_break
	                     ? (uint64_t)(heap_break(&c->heap) - heap_start(&c->heap)) : 0;
	tl->live_bytes[k] = c->live_bytes;
	tl->points = ++k;
	c->tl_next = k < c->tl_points ? timeline_mark(k, c->tl_points, c->t->nops) : 0;
}

static enum cell_status checked_ops(struct checker *c)
{
	const struct trace *t = c->t;
	uint64_t every = c->opt->check_every;
	enum cell_status s = CELL_OK;

	for (size_t i = 0; i < t->nops && !s; i++) {
		if (replay_progress)
			replay_progress->op = i;
		switch (t->ops[i].kind) {
		case OP_MALLOC:
		case OP_CALLOC:
		case OP_MEMALIGN:
			s = checked_alloc(c, i);
			break;
		case OP_REALLOC:
			s = checked_realloc(c, i);
			break;
		case OP_FREE:
			s = checked_free(c, i);
			break;
		default:
			s = stop(c, CELL_BAD_INPUT, i, 0, "unknown op kind %u", t->ops[i].kind);
			break;
		}
		if (!s) {
			c->r->ops_replayed = i + 1;
			if (i + 1 == c->tl_next)
				timeline_note(c);
			if (every && (i + 1) % every == 0)
				s = self_check(c, i, 0);
		}
	}
	return s;
}

/* Every block still live at the end must still hold its pattern. */
static enum cell_status verify_survivors(struct checker *c)
{
	for (uint32_t slot = 0; slot < c->t->nslots; slot++) {
		const struct check_block *b = &c->ix.blocks[slot];
		uint8_t want = 0, got = 0;
		if (b->state != SLOT_LIVE)
			continue;
		int64_t off = check_verify((const void *)b->addr, b->size, slot, b->seed, &want, &got);
		if (off < 0)
			continue;
		c->r->violations++;
		c->r->status = CELL_CHECK_FAILED;
		snprintf(c->r->message, sizeof c->r->message,
		         "%s: at the end of the trace: payload of block %llu at %#lx was changed "
		         "at byte %lld since op %u (line %u) filled it (expected 0x%02x, "
		         "found 0x%02x)", c->t->path, block_id(c->t, slot), (unsigned long)b->addr,
		         (long long)off, b->seed, line_of(c->t, b->seed), want, got);
		return CELL_CHECK_FAILED;
	}
	return CELL_OK;
}

/* Reject ops whose slot is out of range before touching anything. */
static enum cell_status validate_slots(struct checker *c)
{
	for (size_t i = 0; i < c->t->nops; i++)
		if (c->t->ops[i].slot >= c->t->nslots)
			return stop(c, CELL_BAD_INPUT, i, 0, "slot %u out of range (trace has %u)",
			            c->t->ops[i].slot, c->t->nslots);
	return CELL_OK;
}

/* Everything the checked pass runs of the allocator's code, in order. */
static enum cell_status checked_pass(struct checker *c)
{
	struct cell_result *r = c->r;
	enum cell_status s;

	c->phase = PHASE_INIT;
	c->self = c->a->init(&c->heap);
	if (!c->self) {
		if (c->opt->heap_limit) {
			snprintf(r->message, sizeof r->message,
			         "%s cannot start within a heap limit of %zu bytes",
			         c->a->name, c->opt->heap_limit);
			return r->status = CELL_BAD_INPUT;
		}
		snprintf(r->message, sizeof r->message,
		         "%s: init returned NULL on a fresh heap", c->a->name);
		r->violations++;
		return r->status = CELL_CHECK_FAILED;
	}
	c->phase = PHASE_OPS;
	c->tl_points = timeline_points(c->t->nops);
	c->tl_next = c->tl_points ? timeline_mark(0, c->tl_points, c->t->nops) : 0;
	s = checked_ops(c);
	snapshot_figures(c);
	c->phase = PHASE_END;
	publish(REPLAY_PASS_CHECKED, c->t->nops);
	if (!s)
		s = verify_survivors(c);
	if (!s)
		s = self_check(c, c->t->nops ? c->t->nops - 1 : 0, 1);
	if (c->a->stats && s != CELL_BAD_INPUT)
		c->a->stats(c->self, collect_stat, r);
	return s;
}

/*
 * checked_pass under the crash guard.  Nothing local to this function
 * changes between the sigsetjmp and a jump back, so nothing needs to be
 * volatile; the checker lives in the caller's frame.
 */
static enum cell_status guarded_pass(struct checker *c)
{
	if (!sigsetjmp(crash_jump, 1))
		return checked_pass(c);

	char what[160];
	crash_text(what, sizeof what);
	struct cell_result *r = c->r;
	if (c->phase == PHASE_OPS) {
		size_t i = r->ops_replayed;
		const struct op *op = &c->t->ops[i];
		uint64_t nmemb = op->kind == OP_CALLOC && c->calloc_next
		                 ? c->t->calloc_nmemb[c->calloc_next - 1] : 0;
		snapshot_figures(c);
		return stop(c, CELL_CHECK_FAILED, i, nmemb, "%s crashed with %s", c->a->name, what);
	}
	r->violations++;
	r->status = CELL_CHECK_FAILED;
	snprintf(r->message, sizeof r->message, "%s: %s: %s crashed with %s", c->t->path,
	         c->phase == PHASE_INIT ? "in init" : "at the end of the trace (self-check or stats)",
	         c->a->name, what);
	return CELL_CHECK_FAILED;
}

enum cell_status replay_checked(const struct allocator *a, const struct trace *t,
                                const struct run_options *opt, struct cell_result *r)
{
	if (opt->threads)
		return threaded_checked(a, t, opt, r);   /* threaded.c */
	struct checker c = { .a = a, .t = t, .opt = opt, .r = r };
	enum cell_status s;
	int err;

	r->status = CELL_OK;
	r->message[0] = '\0';
	r->timeline.points = 0;
	publish(REPLAY_PASS_CHECKED, REPLAY_OP_NONE);
	if ((s = validate_slots(&c)))
		return s;
	if ((err = open_heap(&c.heap, opt->heap_limit))) {
		replay_heap_failure(r->message, sizeof r->message, opt->heap_limit, err);
		return r->status = CELL_SYSTEM;
	}
	if ((err = check_index_init(&c.ix, t->nslots))) {
		heap_close(&c.heap);
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for the checker (%u blocks): %s",
		         t->nslots, strerror(err));
		return r->status = CELL_SYSTEM;
	}
	struct crash_guard guard;
	if ((err = crash_guard_arm(&guard, opt))) {
		snprintf(r->message, sizeof r->message, "cannot reserve a signal stack: %s",
		         strerror(err));
		s = r->status = CELL_SYSTEM;
		goto out;
	}
	s = guarded_pass(&c);
	crash_guard_disarm(&guard);
out:
	check_index_free(&c.ix);
	heap_close(&c.heap);
	return s;
}

/* ---- the timed passes ---- */

/* Marks a slot whose allocation failed, so its later f/r is skipped (timed_op.h). */
char replay_failed_marker;

size_t replay_slots_bytes(const struct trace *t)
{
	return ((size_t)t->nslots + 1) * (sizeof(void *) + sizeof(uint64_t));
}

/* One timed pass's state, kept in replay_timed's frame (see guarded_timed). */
struct timed {
	const struct allocator *a;
	const struct trace     *t;
	const struct run_options *opt;
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

static void timed_body(struct timed *tp)
{
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

/* timed_body under the crash guard: 1 when it crashed. */
static int guarded_timed(struct timed *tp)
{
	if (sigsetjmp(crash_jump, 1))
		return 1;
	timed_body(tp);
	return 0;
}

int replay_timed(const struct allocator *a, const struct trace *t,
                 const struct run_options *opt, void **ptrs,
                 struct pass_figures *f, struct memory_figures *m)
{
	if (opt->threads)
		return threaded_timed(a, t, opt, f, m);   /* threaded.c */
	struct timed tp = { .a = a, .t = t, .opt = opt, .ptrs = ptrs,
	                    .sizes = (uint64_t *)(void *)(ptrs + t->nslots + 1) };
	struct crash_guard guard;
	int err = open_heap(&tp.heap, opt->heap_limit);
	if (err)
		return err;
	if ((err = crash_guard_arm(&guard, opt))) {
		heap_close(&tp.heap);
		return err;
	}
	int crashed = guarded_timed(&tp);
	crash_guard_disarm(&guard);

	*f = tp.fig;
	memory_figures_from_heap(m, &tp.heap);
	m->failed_allocations = tp.failed;
	m->skipped_ops = tp.skipped;
	heap_close(&tp.heap);
	return crashed ? REPLAY_CRASHED : tp.init_failed ? REPLAY_INIT_FAILED : 0;
}

void replay_note_pass(struct cell_result *r, const struct trace *t, unsigned k,
                      const struct pass_figures *f)
{
	double ns = (double)f->wall_ns;
	r->ns_per_op[k] = t->nops ? ns / (double)t->nops : 0.0;
	r->ops_per_sec[k] = ns > 0 ? (double)t->nops * 1e9 / ns : 0.0;
	r->pass[k] = *f;
	r->runs = k + 1;
}

/* ---- the --latency pass ---- */

/* One latency pass's state, kept in replay_latency's frame. */
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
static void latency_body(struct lat_pass *lp)
{
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

static int guarded_latency(struct lat_pass *lp)
{
	if (sigsetjmp(crash_jump, 1))
		return 1;
	latency_body(lp);
	return 0;
}

int replay_latency(const struct allocator *a, const struct trace *t,
                   const struct run_options *opt, void **ptrs,
                   uint32_t *samples, uint32_t *scratch_a, uint32_t *scratch_b,
                   struct latency_figures *f)
{
	struct lat_pass lp = { .a = a, .t = t, .ptrs = ptrs, .touch = opt->touch,
	                       .samples = samples };
	struct crash_guard guard;
	int err = open_heap(&lp.heap, opt->heap_limit);
	if (err)
		return err;
	if ((err = crash_guard_arm(&guard, opt))) {
		heap_close(&lp.heap);
		return err;
	}
	memset(f, 0, sizeof *f);
	lp.overhead = latency_timer_overhead();
	int crashed = guarded_latency(&lp);
	crash_guard_disarm(&guard);
	heap_close(&lp.heap);
	if (crashed)
		return REPLAY_CRASHED;
	if (lp.init_failed)
		return REPLAY_INIT_FAILED;
	f->timer_overhead_ns = lp.overhead;
	latency_summarise(t, samples, scratch_a, scratch_b, f);
	f->measured = 1;
	return 0;
}

/* The --latency pass with its sample arrays; a failure goes into r. */
static void run_latency(const struct allocator *a, const struct trace *t,
                        const struct run_options *opt, void **ptrs, struct cell_result *r)
{
	size_t bytes = (t->nops ? t->nops : 1) * sizeof(uint32_t);
	uint32_t *s = bulk_alloc(bytes), *x = bulk_alloc(bytes), *y = bulk_alloc(bytes);
	publish(REPLAY_PASS_LATENCY, REPLAY_OP_NONE);
	int err = s && x && y ? replay_latency(a, t, opt, ptrs, s, x, y, &r->latency) : ENOMEM;

	if (err == REPLAY_CRASHED || err == REPLAY_INIT_FAILED) {
		char what[160] = "";
		if (err == REPLAY_CRASHED)
			crash_text(what, sizeof what);
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
                         const struct run_options *opt, struct cell_result *r)
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

static void figure_mismatch(struct cell_result *r, const struct trace *t, unsigned run,
                            const char *against, const char *field)
{
	r->memory_identical = 0;
	r->status = CELL_CHECK_FAILED;
	r->violations++;
	snprintf(r->message, sizeof r->message,
	         "%s: memory figures of timed pass %u differ from %s (%s): the allocator "
	         "is not deterministic", t->path, run + 1, against, field);
}

enum cell_status run_cell(const struct allocator *a, const struct trace *t,
                          const struct run_options *opt, struct cell_result *r)
{
	if (opt->threads)
		return threaded_run_cell(a, t, opt, r);   /* threaded.c */
	memset(r, 0, sizeof *r);
	r->threads = 1;
	if (replay_checked(a, t, opt, r))
		return r->status;

	unsigned n = run_count(opt, t);
	if (n > RUN_MAX)
		n = RUN_MAX;
	size_t bytes = replay_slots_bytes(t);
	void **ptrs = bulk_alloc(bytes);
	if (!ptrs) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for %u block pointers", t->nslots);
		return r->status = CELL_SYSTEM;
	}
	struct memory_figures first;
	r->memory_identical = 1;
	for (unsigned k = 0; k < n; k++) {
		struct memory_figures m;
		struct pass_figures f = { 0 };
		publish(REPLAY_PASS_TIMED + k, REPLAY_OP_NONE);
		int err = replay_timed(a, t, opt, ptrs, &f, &m);
		if (err == REPLAY_CRASHED || err == REPLAY_INIT_FAILED) {
			char what[160] = "";
			if (err == REPLAY_CRASHED)
				crash_text(what, sizeof what);
			snprintf(r->message, sizeof r->message, "%s: timed pass %u: %s %s%s",
			         t->path, k + 1, a->name,
			         err == REPLAY_CRASHED ? "crashed with " : "init returned NULL", what);
			r->violations++;
			r->status = CELL_CHECK_FAILED;
			break;
		}
		if (err) {
			char why[sizeof r->message - 32];
			replay_heap_failure(why, sizeof why, opt->heap_limit, err);
			snprintf(r->message, sizeof r->message, "timed pass %u: %s", k + 1, why);
			r->status = CELL_SYSTEM;
			break;
		}
		replay_note_pass(r, t, k, &f);

		const char *field;
		if (k == 0)
			first = m;
		if (k > 0 && (field = memory_figures_differ(&first, &m, 1))) {
			figure_mismatch(r, t, k, "timed pass 1", field);
			break;
		}
		/* After warm-up passes the heap's counters cover those passes too:
		 * comparable with each other, not with the checked pass. */
		if (!opt->warmup && (field = memory_figures_differ(&r->memory, &m, 0))) {
			figure_mismatch(r, t, k, "the checked pass", field);
			break;
		}
	}
	if (r->status == CELL_OK && opt->latency)
		run_latency(a, t, opt, ptrs, r);
	bulk_free(ptrs, bytes);
	return r->status;
}
