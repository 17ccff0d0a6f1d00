/*
 * gen_engine.c - the engine `bench gen`'s profiles are written with (see
 * gen_engine.h): the random numbers, the live set, the trace lines.
 *
 * Determinism: the PRNG is xoshiro256** seeded through splitmix64 (Blackman &
 * Vigna), and every distribution is built from integer operations only, so a
 * seed gives the same bytes on every libc and CPU.
 *
 * Validity by construction: all operations go through gen_alloc/gen_realloc/
 * gen_free, which keep the live set; a profile can only free or resize an ID
 * that is live, and a freed ID is reused only by a later allocation.
 */
#include "gen_engine.h"
#include "trace_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOT_LIVE UINT32_MAX

/* ---- random numbers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(struct gen *g)
{
	uint64_t *s = g->rng;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n): Lemire's multiply-shift, with rejection so it is exact. */
uint64_t gen_below(struct gen *g, uint64_t n)
{
	if (n <= 1)
		return 0;
	unsigned __int128 m = (unsigned __int128)rnd(g) * n;
	uint64_t low = (uint64_t)m;
	if (low < n) {
		uint64_t floor = -n % n;
		while (low < floor) {
			m = (unsigned __int128)rnd(g) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Uniform in [lo, hi]. */
uint64_t gen_range(struct gen *g, uint64_t lo, uint64_t hi)
{
	return lo + gen_below(g, hi - lo + 1);
}

/* True with probability per_mille / 1000. */
int gen_chance(struct gen *g, unsigned per_mille)
{
	return gen_below(g, 1000) < per_mille;
}

/*
 * Log-uniform in [lo, hi]: a uniform octave, then uniform inside it.  Sizes
 * spread over decades (bodies, buffers) look like this, not like uniform.
 */
uint64_t gen_log_uniform(struct gen *g, uint64_t lo, uint64_t hi)
{
	int a = 63 - __builtin_clzll(lo), b = 63 - __builtin_clzll(hi);
	for (;;) {
		int e = a + (int)gen_below(g, (uint64_t)(b - a + 1));
		uint64_t v = ((uint64_t)1 << e) + gen_below(g, (uint64_t)1 << e);
		if (v >= lo && v <= hi)
			return v;
	}
}

/*
 * Lognormal-ish around `median`: the log2 of the size is a binomial (a sum of
 * `spread` fair coins, centred), which approaches a normal; then uniform
 * inside the octave.  Integer-only, so the same everywhere.
 */
uint64_t gen_lognormalish(struct gen *g, uint64_t median, int spread, uint64_t lo, uint64_t hi)
{
	int base = 63 - __builtin_clzll(median);
	for (;;) {
		int e = base - spread / 2 + __builtin_popcountll(rnd(g) & (((uint64_t)1 << spread) - 1));
		if (e < 0 || e > 40)
			continue;
		uint64_t v = ((uint64_t)1 << e) + gen_below(g, (uint64_t)1 << e);
		if (v >= lo && v <= hi)
			return v;
	}
}

/* A value from `vals` drawn with the given integer weights. */
uint64_t gen_weighted(struct gen *g, const uint64_t *vals, const unsigned *w, unsigned n)
{
	unsigned total = 0, i;
	for (i = 0; i < n; i++)
		total += w[i];
	uint64_t r = gen_below(g, total);
	for (i = 0; i + 1 < n; i++) {
		if (r < w[i])
			break;
		r -= w[i];
	}
	return vals[i];
}

/* ---- the live set and the output --------------------------------------- */

static int grow_tables(struct gen *g)
{
	uint32_t cap = g->cap ? g->cap * 2 : 1024;
	uint64_t *size = realloc(g->size, (size_t)cap * sizeof *size);
	if (size)
		g->size = size;
	uint32_t *pos = realloc(g->pos, (size_t)cap * sizeof *pos);
	if (pos)
		g->pos = pos;
	uint32_t *live = realloc(g->live, (size_t)cap * sizeof *live);
	if (live)
		g->live = live;
	uint32_t *spare = realloc(g->spare, (size_t)cap * sizeof *spare);
	if (spare)
		g->spare = spare;
	if (!size || !pos || !live || !spare)
		return ENOMEM;
	g->cap = cap;
	return 0;
}

void gen_fail(struct gen *g, int err)
{
	if (!g->err)
		g->err = err;
	g->done = 1;
}

/* Count one operation; false when the target is reached (nothing may be written). */
static int begin_op(struct gen *g)
{
	if (g->done)
		return 0;
	if (g->nops >= g->target) {
		g->done = 1;
		return 0;
	}
	g->nops++;
	return 1;
}

/*
 * With threads, a freed ID is reused by the thread that freed it first (its
 * private churn then never waits for another thread in a --threads replay),
 * else by whoever needs one: the next thread with a spare, in order, which
 * gives up its OLDEST freed ID.  That keeps IDs below the peak live count,
 * and a producer that reuses its consumers' IDs waits for their frees in a
 * replay, as its bounded queue made it wait -- but for frees long done, so
 * the wait rarely blocks.
 * 0 when no thread has a spare ID (with no_steal: when this one has none).
 */
static uint32_t thread_spare(struct gen *g)
{
	struct tspare *own = &g->tspare[g->thread];
	if (own->n > own->head)
		return own->v[--own->n];
	for (uint32_t d = 1; !g->no_steal && d < g->nthreads; d++) {
		struct tspare *sp = &g->tspare[(g->thread + d) % g->nthreads];
		if (sp->n > sp->head)
			return sp->v[sp->head++];
	}
	return 0;
}

static void thread_spare_push(struct gen *g, uint32_t id)
{
	struct tspare *sp = &g->tspare[g->thread];
	if (sp->head == sp->n)
		sp->head = sp->n = 0;
	if (sp->n == sp->cap && sp->head) {   /* slide the live part down */
		memmove(sp->v, sp->v + sp->head, (size_t)(sp->n - sp->head) * sizeof *sp->v);
		sp->n -= sp->head;
		sp->head = 0;
	}
	if (sp->n == sp->cap) {
		uint32_t cap = sp->cap ? sp->cap * 2 : 256;
		uint32_t *v = realloc(sp->v, (size_t)cap * sizeof *v);
		if (!v) {
			gen_fail(g, ENOMEM);
			return;
		}
		sp->v = v;
		sp->cap = cap;
	}
	sp->v[sp->n++] = id;
}

/* A fresh id for a new block (0 when done: profiles treat 0 as "no block"). */
static uint32_t new_id(struct gen *g, uint64_t size)
{
	uint32_t id;
	if (g->nthreads > 1 && (id = thread_spare(g))) {
		/* reused, within or across threads */
	} else if (g->nspare) {
		id = g->spare[--g->nspare];
	} else {
		if (g->next_id + 1 >= g->cap) {
			int err = grow_tables(g);
			if (err) {
				gen_fail(g, err);
				return 0;
			}
		}
		id = g->next_id++;
	}
	g->size[id] = size;
	g->pos[id] = g->nlive;
	g->live[g->nlive++] = id;
	return id;
}

/* Before an operation's line: `t N` when its thread is not the last line's. */
static void put_thread(struct gen *g)
{
	if (g->thread != g->written) {
		fprintf(g->out, TRACE_STR_THREAD " %" PRIu32 "\n", g->thread);
		g->written = g->thread;
	}
}

uint32_t gen_alloc(struct gen *g, uint64_t size)
{
	if (!begin_op(g))
		return 0;
	uint32_t id = new_id(g, size);
	if (id) {
		put_thread(g);
		fprintf(g->out, TRACE_STR_MALLOC " %" PRIu32 " %" PRIu64 "\n", id, size);
	}
	return id;
}

uint32_t gen_calloc(struct gen *g, uint64_t nmemb, uint64_t size)
{
	if (!begin_op(g))
		return 0;
	uint32_t id = new_id(g, nmemb * size);
	if (id) {
		put_thread(g);
		fprintf(g->out, TRACE_STR_CALLOC " %" PRIu32 " %" PRIu64 " %" PRIu64 "\n", id, nmemb, size);
	}
	return id;
}

uint32_t gen_memalign(struct gen *g, uint64_t align, uint64_t size)
{
	if (!begin_op(g))
		return 0;
	uint32_t id = new_id(g, size);
	if (id) {
		put_thread(g);
		fprintf(g->out, TRACE_STR_MEMALIGN " %" PRIu32 " %" PRIu64 " %" PRIu64 "\n", id, align, size);
	}
	return id;
}

static int is_live(const struct gen *g, uint32_t id)
{
	return id && id < g->next_id && g->pos[id] != NOT_LIVE;
}

/* A profile asking to touch a dead block is a bug in gen_profiles.c: stop loudly. */
static void require_live(const struct gen *g, uint32_t id, const char *what)
{
	if (!is_live(g, id)) {
		fprintf(stderr, "bench: gen: internal error: %s of block %" PRIu32
		        ", which is not live\n", what, id);
		abort();
	}
}

void gen_realloc(struct gen *g, uint32_t id, uint64_t size)
{
	if (!id || g->done)
		return;
	require_live(g, id, "realloc");
	if (!begin_op(g))
		return;
	g->size[id] = size;
	put_thread(g);
	fprintf(g->out, TRACE_STR_REALLOC " %" PRIu32 " %" PRIu64 "\n", id, size);
}

void gen_free(struct gen *g, uint32_t id)
{
	if (!id || g->done)
		return;
	require_live(g, id, "free");
	if (!begin_op(g))
		return;
	uint32_t at = g->pos[id], last = g->live[--g->nlive];
	g->live[at] = last;
	g->pos[last] = at;
	g->pos[id] = NOT_LIVE;
	if (g->nthreads > 1)
		thread_spare_push(g, id);
	else
		g->spare[g->nspare++] = id;
	put_thread(g);
	fprintf(g->out, TRACE_STR_FREE " %" PRIu32 "\n", id);
}

/* A uniformly chosen live block, or 0 when none is. */
uint32_t gen_any_live(struct gen *g)
{
	return g->nlive ? g->live[gen_below(g, g->nlive)] : 0;
}

/* ---- a growable list of ids ------------------------------------------ */

void gen_ids_push(struct gen *g, struct gen_ids *l, uint32_t id)
{
	if (!id)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			gen_fail(g, ENOMEM);
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
}

/* Remove and return element i (order not kept). */
uint32_t gen_ids_take(struct gen_ids *l, size_t i)
{
	uint32_t id = l->v[i];
	l->v[i] = l->v[--l->n];
	return id;
}

uint32_t gen_ids_take_random(struct gen *g, struct gen_ids *l)
{
	return l->n ? gen_ids_take(l, gen_below(g, l->n)) : 0;
}

void gen_ids_free_all(struct gen *g, struct gen_ids *l)
{
	for (size_t i = 0; i < l->n; i++)
		gen_free(g, l->v[i]);
	l->n = 0;
}

/* Fisher-Yates: a seeded order for frees whose order the pattern leaves open. */
void gen_ids_shuffle(struct gen *g, struct gen_ids *l)
{
	for (size_t i = l->n; i > 1; i--) {
		size_t j = (size_t)gen_below(g, i);
		uint32_t t = l->v[i - 1];
		l->v[i - 1] = l->v[j];
		l->v[j] = t;
	}
}

void gen_ids_release(struct gen_ids *l)
{
	free(l->v);
	*l = (struct gen_ids){ 0 };
}

int gen_write(const struct gen_profile *p, uint64_t ops, uint64_t seed,
              const char *command, FILE *out)
{
	return gen_write_threads(p, ops, seed, GEN_DEFAULT_THREADS, command, out);
}

int gen_is_threaded(const struct gen_profile *p)
{
	return !strncmp(p->name, "mt-", 3);
}

int gen_write_threads(const struct gen_profile *p, uint64_t ops, uint64_t seed,
                      unsigned threads, const char *command, FILE *out)
{
	struct gen g = { .out = out, .target = ops };
	if (threads < 1 || threads > GEN_MAX_THREADS)
		return EINVAL;
	g.nthreads = gen_is_threaded(p) ? threads : 1;
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		g.rng[i] = splitmix64(&x);
	/* id 0 is never used: profiles take 0 to mean "no block" */
	int err = grow_tables(&g);
	if (err)
		return err;
	g.next_id = 1;

	fprintf(out, TRACE_HEADER ", generated: profile %s, seed %" PRIu64 ", %" PRIu64 " ops\n",
	        p->name, seed, ops);
	fprintf(out, "# models: %s\n", p->models);
	if (gen_is_threaded(p))
		fprintf(out, "# threads: %u (t lines name the thread of the ops after them)\n",
		        g.nthreads);
	fprintf(out, "# regenerate: %s\n", command);
	if (ops)
		p->run(&g);
	if (!g.err && g.nops != ops)   /* a profile that stopped early is a bug */
		g.err = EINVAL;
	if (!g.err && ferror(out))
		g.err = EIO;
	free(g.size);
	free(g.pos);
	free(g.live);
	free(g.spare);
	for (uint32_t k = 0; k < GEN_MAX_THREADS; k++)
		free(g.tspare[k].v);
	return g.err;
}
