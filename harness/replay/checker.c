/*
 * checker.c - the checks of the checked pass (see checker.h).
 *
 * Failure semantics (docs/harness.md), the same as the timed passes'
 * (timed_op.h) so that their figures agree: an allocation that returns NULL
 * is counted and its slot marked failed, so a later f or r of it is skipped
 * (and counted); realloc(p, n > 0) returning NULL keeps p live and counts as
 * a failed allocation; realloc(p, 0) returning NULL freed p (glibc's choice).
 */
#include "checker.h"

#include <stdio.h>
#include <string.h>

static void lock_if(struct checker *c, pthread_mutex_t *m)
{
	if (c->shared)
		pthread_mutex_lock(m);
}

static void unlock_if(struct checker *c, pthread_mutex_t *m)
{
	if (c->shared)
		pthread_mutex_unlock(m);
}

enum cell_status checker_open(struct checker *c, const struct allocator *a,
                              const struct trace *t, const struct cell_options *opt,
                              struct cell_result *r, struct heap *heap, int shared)
{
	memset(c, 0, sizeof *c);
	c->a = a, c->t = t, c->opt = opt, c->r = r, c->heap = heap, c->shared = shared;
	int err = check_index_init(&c->ix, t->nslots);
	if (err) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for the checker (%u blocks): %s",
		         t->nslots, strerror(err));
		return r->status = CELL_SYSTEM;
	}
	if (shared) {
		pthread_mutex_init(&c->ix_lock, NULL);
		pthread_mutex_init(&c->msg_lock, NULL);
	}
	return CELL_OK;
}

void checker_close(struct checker *c)
{
	check_index_free(&c->ix);
	if (c->shared) {
		pthread_mutex_destroy(&c->ix_lock);
		pthread_mutex_destroy(&c->msg_lock);
	}
}

unsigned long long checker_block_id(const struct trace *t, uint32_t slot)
{
	return t->slot_id ? t->slot_id[slot] : slot;
}

static uint32_t line_of(const struct trace *t, uint32_t seed)
{
	return t->line && seed < t->nops ? t->line[seed] : 0;
}

int checker_describe_op(char *buf, size_t len, const struct trace *t, size_t i, uint64_t nmemb)
{
	const struct op *op = &t->ops[i];
	unsigned long long id = checker_block_id(t, op->slot), size = op->size;
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

void checker_fail_va(struct cell_result *r, const struct trace *t, enum cell_status status,
                     size_t i, uint64_t nmemb, const char *fmt, va_list ap)
{
	char *m = r->message;
	size_t len = sizeof r->message;
	int n = checker_describe_op(m, len, t, i, nmemb);

	if (n >= 0 && (size_t)n + 2 < len) {
		memcpy(m + n, ": ", 3);
		vsnprintf(m + n + 2, len - (size_t)n - 2, fmt, ap);
	}
	if (status == CELL_CHECK_FAILED)
		r->violations++;
	r->status = status;
}

enum cell_status checker_fail(struct checker *c, enum cell_status status, size_t i,
                              uint64_t nmemb, const char *fmt, ...)
{
	lock_if(c, &c->msg_lock);
	if (!c->stopped) {
		c->stopped = 1;
		va_list ap;
		va_start(ap, fmt);
		checker_fail_va(c->r, c->t, status, i, nmemb, fmt, ap);
		va_end(ap);
	}
	unlock_if(c, &c->msg_lock);
	if (c->abort)
		atomic_store(c->abort, 1);
	return status;
}

void checker_add_violations(struct checker *c, uint64_t n)
{
	lock_if(c, &c->msg_lock);
	c->r->violations += n;
	unlock_if(c, &c->msg_lock);
}

/* Under ix_lock when shared. */
static void note_live(struct checker *c)
{
	struct cell_result *r = c->r;
	if (c->live_bytes > r->peak_live_bytes)
		r->peak_live_bytes = c->live_bytes;
	if (c->ix.live > r->peak_live_blocks)
		r->peak_live_blocks = c->ix.live;
}

/*
 * [p, p + size) inside the heap below the break; *lo and *hi the range it
 * was checked against.  The break is read under the allocator's lock, the
 * only place it moves; an allocator that locks for itself moves it under a
 * lock we cannot take, so its blocks are checked against the reservation
 * here (a block past the break faults when it is filled, and is reported
 * as a crash) and against the break at the end of the pass.
 */
static int in_heap(struct checker *c, const void *p, uint64_t size, uintptr_t *lo, uintptr_t *hi)
{
	if (c->break_unlocked) {
		*lo = (uintptr_t)heap_start(c->heap);
		*hi = *lo + c->heap->reserved;
		uintptr_t q = (uintptr_t)p, n = size ? size : 1;
		return q >= *lo && q <= *hi && n <= *hi - q;
	}
	if (c->lock)
		pthread_mutex_lock(&c->lock->m);
	int ok = heap_contains(c->heap, p, size ? size : 1);
	*lo = (uintptr_t)heap_start(c->heap);
	*hi = (uintptr_t)heap_break(c->heap);
	if (c->lock)
		pthread_mutex_unlock(&c->lock->m);
	return ok;
}

/*
 * A block the allocator just returned: aligned, in the heap, overlapping
 * nothing live.  When it passes, it is live in the index as block `slot`
 * and its bytes count as live.
 */
static enum cell_status admit(struct checker *c, size_t i, uint64_t nmemb, uint32_t slot,
                              const void *p, uint64_t size, size_t align)
{
	uintptr_t addr = (uintptr_t)p, lo, hi;
	const char *name = c->a->name;

	/* A production allocator may give an 8-byte block 8-byte alignment (C11:
	 * suitably aligned for any object that fits); memalign asks for more. */
	int asked = align != cell_align(c->opt);  /* memalign asked for it */
	while (c->opt->peer && !asked && align > 1 && size < align)
		align /= 2;
	if (addr % align)
		return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
		                    "%s returned %#lx, not %zu-byte aligned%s",
		                    name, (unsigned long)addr, align,
		                    asked ? "" : " (the alignment this run demands of every block; "
		                    "--align sets it when an assignment states another)");
	if (!c->opt->peer && !in_heap(c, p, size, &lo, &hi)) {
		if (addr < lo || addr >= hi)
			return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
			                    "%s returned %#lx, outside its heap [%#lx, %#lx) below the "
			                    "break (every block must lie in memory taken from the heap "
			                    "provider: mem_sbrk or sbrk in a student's source)",
			                    name, (unsigned long)addr, (unsigned long)lo,
			                    (unsigned long)hi);
		return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
		                    "%s returned %#lx, whose %llu bytes run past the break at %#lx",
		                    name, (unsigned long)addr, (unsigned long long)size,
		                    (unsigned long)hi);
	}
	lock_if(c, &c->ix_lock);
	uint32_t other = check_index_add(&c->ix, slot, addr, size);
	if (other != CHECK_NIL) {
		uintptr_t oaddr = c->ix.blocks[other].addr;
		uint64_t osize = c->ix.blocks[other].size;
		unlock_if(c, &c->ix_lock);
		return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
		                    "%s returned %#lx (%llu bytes), which overlaps live block %llu "
		                    "at %#lx (%llu bytes)", name, (unsigned long)addr,
		                    (unsigned long long)size, checker_block_id(c->t, other),
		                    (unsigned long)oaddr, (unsigned long long)osize);
	}
	c->live_bytes += size;
	note_live(c);
	unlock_if(c, &c->ix_lock);
	return CELL_OK;
}

/* Take live block `slot` out of the index, before the allocator may reuse it. */
static void retire(struct checker *c, uint32_t slot, uint64_t size)
{
	lock_if(c, &c->ix_lock);
	check_index_remove(&c->ix, slot);
	c->live_bytes -= size;
	unlock_if(c, &c->ix_lock);
}

/* The payload of live block `slot` is still the pattern its last fill wrote.
 * The op's own thread reads the block's addr/size/seed: other threads only
 * relink its tree fields. */
static enum cell_status verify(struct checker *c, size_t i, uint64_t nmemb, uint32_t slot,
                               const char *what)
{
	const struct check_block *b = &c->ix.blocks[slot];
	uint8_t want = 0, got = 0;
	int64_t off = check_verify((const void *)b->addr, b->size, slot, b->seed, &want, &got);

	if (off < 0)
		return CELL_OK;
	return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
	                    "%s: payload of block %llu at %#lx was changed at byte %lld since "
	                    "op %u (line %u) filled it (expected 0x%02x, found 0x%02x)",
	                    what, checker_block_id(c->t, slot), (unsigned long)b->addr,
	                    (long long)off, b->seed, line_of(c->t, b->seed), want, got);
}

static enum cell_status checked_alloc(struct checker *c, struct checker_counts *n, size_t i,
                                      uint64_t nmemb)
{
	const struct op *op = &c->t->ops[i];
	struct check_block *b = &c->ix.blocks[op->slot];
	uint64_t size = op->size;
	size_t align = cell_align(c->opt);
	int overflow = 0;
	void *p;

	if (b->state == SLOT_LIVE)
		return checker_fail(c, CELL_BAD_INPUT, i, nmemb, "block %llu is already live",
		                    checker_block_id(c->t, op->slot));
	switch (op->kind) {
	case OP_MALLOC:
		p = c->calls.malloc(c->calls.self, size);
		break;
	case OP_CALLOC:
		size = mul_size(nmemb, op->size, &overflow);
		p = c->calls.calloc(c->calls.self, nmemb, op->size);
		break;
	default: /* OP_MEMALIGN */
		if (op->align_log2 >= 63)
			return checker_fail(c, CELL_BAD_INPUT, i, 0, "alignment 2^%u is too large",
			                    op->align_log2);
		p = c->calls.memalign(c->calls.self, (size_t)1 << op->align_log2, size);
		if (((size_t)1 << op->align_log2) > align)
			align = (size_t)1 << op->align_log2;
		break;
	}
	n->count[op->kind]++;
	if (!p) {
		n->failed++;
		b->state = SLOT_FAILED;
		return CELL_OK;
	}
	if (overflow)
		return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
		                    "%s returned %#lx for a calloc whose size overflows size_t "
		                    "(expected NULL)", c->a->name, (unsigned long)(uintptr_t)p);
	/* where the block is comes first: reading it could fault otherwise */
	enum cell_status s = admit(c, i, nmemb, op->slot, p, size, align);
	if (s)
		return s;
	if (op->kind == OP_CALLOC) {
		int64_t off = check_zeroed(p, size);
		if (off >= 0)
			return checker_fail(c, CELL_CHECK_FAILED, i, nmemb,
			                    "%s returned %#lx whose byte %lld is not zero",
			                    c->a->name, (unsigned long)(uintptr_t)p, (long long)off);
	}
	b->seed = (uint32_t)i;
	check_fill(p, 0, size, op->slot, b->seed);
	return CELL_OK;
}

static enum cell_status checked_free(struct checker *c, struct checker_counts *n, size_t i)
{
	uint32_t slot = c->t->ops[i].slot;
	struct check_block *b = &c->ix.blocks[slot];

	if (b->state == SLOT_FAILED) {
		n->skipped++;
		b->state = SLOT_EMPTY;  /* the trace may reuse the ID */
		return CELL_OK;
	}
	if (b->state != SLOT_LIVE)
		return checker_fail(c, CELL_BAD_INPUT, i, 0, "block %llu is not live",
		                    checker_block_id(c->t, slot));
	enum cell_status s = verify(c, i, 0, slot, "before the free");
	if (s)
		return s;
	void *p = (void *)b->addr;
	retire(c, slot, b->size);
	c->calls.free(c->calls.self, p);
	n->count[OP_FREE]++;
	return CELL_OK;
}

static enum cell_status checked_realloc(struct checker *c, struct checker_counts *n, size_t i)
{
	const struct op *op = &c->t->ops[i];
	uint32_t slot = op->slot;
	struct check_block *b = &c->ix.blocks[slot];
	void *old = NULL;
	uint64_t old_size = 0;
	uint32_t old_seed = 0;
	enum cell_status s;

	if (b->state == SLOT_FAILED) {
		n->skipped++;
		return CELL_OK;
	}
	/* A valid trace reallocs only live blocks (trace.c).  Serially, an empty
	 * slot is realloc(NULL, n); with threads it means the replay broke the
	 * order (the op ran before the block's allocation). */
	if (b->state != SLOT_LIVE && c->shared)
		return checker_fail(c, CELL_BAD_INPUT, i, 0, "block %llu is not live",
		                    checker_block_id(c->t, slot));
	if (b->state == SLOT_LIVE) {
		if ((s = verify(c, i, 0, slot, "before the realloc")))
			return s;
		old = (void *)b->addr;
		old_size = b->size;
		old_seed = b->seed;
		retire(c, slot, old_size);
	}
	void *p = c->calls.realloc(c->calls.self, old, op->size);
	n->count[OP_REALLOC]++;
	if (!p) {
		if (old && op->size == 0) {
			b->state = SLOT_FAILED;   /* glibc frees and returns NULL: the block is gone */
			return CELL_OK;
		}
		n->failed++;
		if (!old) {
			b->state = SLOT_FAILED;
			return CELL_OK;
		}
		/* The old block stays live and must be untouched. */
		if ((s = admit(c, i, 0, slot, old, old_size, 1)))
			return s;
		b->seed = old_seed;
		return verify(c, i, 0, slot, "after a failed realloc");
	}
	if ((s = admit(c, i, 0, slot, p, op->size, cell_align(c->opt))))
		return s;
	uint64_t keep = old_size < op->size ? old_size : op->size;
	uint8_t want = 0, got = 0;
	int64_t off = check_verify(p, keep, slot, old_seed, &want, &got);
	if (off >= 0)
		return checker_fail(c, CELL_CHECK_FAILED, i, 0,
		                    "%s returned %#lx but did not keep the block's first %llu "
		                    "bytes: byte %lld differs (expected 0x%02x, found 0x%02x)",
		                    c->a->name, (unsigned long)(uintptr_t)p,
		                    (unsigned long long)keep, (long long)off, want, got);
	b->seed = (uint32_t)i;
	check_fill(p, 0, op->size, slot, b->seed);
	return CELL_OK;
}

enum cell_status checker_op(struct checker *c, struct checker_counts *n, size_t i,
                            uint64_t nmemb)
{
	unsigned kind = c->t->ops[i].kind;
	switch (kind) {
	case OP_MALLOC:
	case OP_CALLOC:
	case OP_MEMALIGN:
		return checked_alloc(c, n, i, nmemb);
	case OP_REALLOC:
		return checked_realloc(c, n, i);
	case OP_FREE:
		return checked_free(c, n, i);
	default:
		return checker_fail(c, CELL_BAD_INPUT, i, 0, "unknown op kind %u", kind);
	}
}

unsigned long checker_self_check(struct checker *c, char *what, size_t len)
{
	struct check_findings rep;
	memset(&rep, 0, sizeof rep);
	if (!c->a->check)
		return 0;  /* the contract requires one; do not crash without it */
	if (c->lock)
		global_lock_take(c->lock);
	unsigned long found = c->a->check(c->self, &rep);
	if (c->lock)
		global_lock_drop(c->lock);
	lock_if(c, &c->msg_lock);
	c->r->self_checks++;
	unlock_if(c, &c->msg_lock);
	if (!found && !rep.violations)
		return 0;
	if (rep.violations < found)
		rep.violations = found;
	size_t n = (size_t)snprintf(what, len, "%s self-check found %lu violation%s", c->a->name,
	                            rep.violations, rep.violations == 1 ? "" : "s");
	for (unsigned k = 0; k < rep.nmessages && n < len; k++)
		n += (size_t)snprintf(what + n, len - n, "%s%s", k ? "; " : ": ", rep.messages[k]);
	return rep.violations;
}

enum cell_status checker_self_check_verdict(struct checker *c, const char *where)
{
	struct cell_result *r = c->r;
	char what[sizeof r->message];
	unsigned long found = checker_self_check(c, what, sizeof what);

	if (!found)
		return CELL_OK;
	r->violations += found;
	r->status = CELL_CHECK_FAILED;
	char *m = r->message;
	size_t len = sizeof r->message, n = strlen(where), k = strlen(what);
	if (n > len - 1)
		n = len - 1;
	if (k > len - 1 - n)
		k = len - 1 - n;
	memcpy(m, where, n);
	memcpy(m + n, what, k);
	m[n + k] = '\0';
	return CELL_CHECK_FAILED;
}

enum cell_status checker_final_self_check(struct checker *c)
{
	char where[sizeof c->r->message];
	snprintf(where, sizeof where, "%s: at the end of the trace: ", c->t->path);
	return checker_self_check_verdict(c, where);
}

enum cell_status checker_init_failed(struct checker *c)
{
	struct cell_result *r = c->r;
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

enum cell_status checker_crashed(struct checker *c, const char *where, const char *what)
{
	struct cell_result *r = c->r;
	r->violations++;
	r->status = CELL_CHECK_FAILED;
	snprintf(r->message, sizeof r->message, "%s: %s: %s crashed with %s", c->t->path,
	         where, c->a->name, what);
	return CELL_CHECK_FAILED;
}

enum cell_status checker_verify_survivors(struct checker *c)
{
	const struct trace *t = c->t;
	struct cell_result *r = c->r;

	for (uint32_t slot = 0; slot < t->nslots; slot++) {
		const struct check_block *b = &c->ix.blocks[slot];
		uint8_t want = 0, got = 0;
		if (b->state != SLOT_LIVE)
			continue;
		if (c->break_unlocked &&
		    !heap_contains(c->heap, (const void *)b->addr, b->size ? b->size : 1)) {
			r->violations++;
			r->status = CELL_CHECK_FAILED;
			snprintf(r->message, sizeof r->message, "%s: at the end of the trace: block "
			         "%llu at %#lx (%llu bytes) is not below the break at %#lx", t->path,
			         checker_block_id(t, slot), (unsigned long)b->addr,
			         (unsigned long long)b->size,
			         (unsigned long)(uintptr_t)heap_break(c->heap));
			return CELL_CHECK_FAILED;
		}
		int64_t off = check_verify((const void *)b->addr, b->size, slot, b->seed, &want, &got);
		if (off < 0)
			continue;
		r->violations++;
		r->status = CELL_CHECK_FAILED;
		snprintf(r->message, sizeof r->message,
		         "%s: at the end of the trace: payload of block %llu at %#lx was changed "
		         "at byte %lld since op %u (line %u) filled it (expected 0x%02x, "
		         "found 0x%02x)", t->path, checker_block_id(t, slot), (unsigned long)b->addr,
		         (long long)off, b->seed, line_of(t, b->seed), want, got);
		return CELL_CHECK_FAILED;
	}
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

void checker_collect_stats(struct checker *c)
{
	if (c->a->stats)
		c->a->stats(c->self, collect_stat, c->r);
}
