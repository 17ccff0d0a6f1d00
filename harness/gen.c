/*
 * gen.c - `bench gen PROFILE [--ops N] [--seed S] -o FILE`: synthetic traces.
 *
 * Every profile imitates one allocation pattern that real programs show and
 * that allocator papers measure (Wilson, Johnstone, Neely & Boles, "Dynamic
 * Storage Allocation: A Survey and Critical Review", 1995, argue that only
 * such phased, size-correlated patterns say anything: `random` is kept as the
 * baseline they warn about).  workloads/README.md describes each profile.
 *
 * Determinism: the PRNG is xoshiro256** seeded through splitmix64 (Blackman &
 * Vigna), and every distribution is built from integer operations only, so a
 * seed gives the same bytes on every libc and CPU.
 *
 * Validity by construction: all operations go through g_alloc/g_realloc/
 * g_free, which keep the live set; a profile can only free or resize an ID
 * that is live, and a freed ID is reused only by a later allocation.
 */
#define _GNU_SOURCE
#include "gen.h"
#include "commands.h"
#include "cli.h"
#include "exitcodes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOT_LIVE UINT32_MAX
#define KIB      ((uint64_t)1024)
#define MIB      (KIB * 1024)

struct gen {
	uint64_t  rng[4];    /* xoshiro256** state                                 */
	FILE     *out;       /* where the trace goes                               */
	uint64_t  target;    /* operations to write                                */
	uint64_t  nops;      /* operations written so far                          */
	int       done;      /* target reached or an error: every emit is a no-op  */
	int       err;       /* first errno seen (ENOMEM, or a write error)        */
	uint64_t *size;      /* size[id]: requested bytes of a live id             */
	uint32_t *pos;       /* pos[id]: index of id in live[], or NOT_LIVE        */
	uint32_t *live;      /* the live ids, in no order (for random picks)       */
	uint32_t  nlive;
	uint32_t *spare;     /* freed ids, reused last-freed first                 */
	uint32_t  nspare;
	uint32_t  next_id;   /* the lowest id never used                           */
	uint32_t  cap;       /* capacity of size/pos/live/spare, in ids            */
	uint32_t  nthreads;  /* mt-* profiles: simulated threads (--threads)       */
	int       no_steal;  /* a thread never reuses another thread's freed IDs   */
	struct tspare {      /* with threads: IDs each thread freed, reused by it  *
	                      * first (newest), by others when it has none (oldest) */
		uint32_t *v;
		uint32_t  head, n, cap;   /* the IDs are v[head .. n) */
	} tspare[GEN_MAX_THREADS];
	uint32_t  thread;    /* the thread the next operation belongs to           */
	uint32_t  written;   /* the thread of the last line written (t lines)      */
};

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
static uint64_t below(struct gen *g, uint64_t n)
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
static uint64_t range(struct gen *g, uint64_t lo, uint64_t hi)
{
	return lo + below(g, hi - lo + 1);
}

/* True with probability per_mille / 1000. */
static int chance(struct gen *g, unsigned per_mille)
{
	return below(g, 1000) < per_mille;
}

/*
 * Log-uniform in [lo, hi]: a uniform octave, then uniform inside it.  Sizes
 * spread over decades (bodies, buffers) look like this, not like uniform.
 */
static uint64_t log_uniform(struct gen *g, uint64_t lo, uint64_t hi)
{
	int a = 63 - __builtin_clzll(lo), b = 63 - __builtin_clzll(hi);
	for (;;) {
		int e = a + (int)below(g, (uint64_t)(b - a + 1));
		uint64_t v = ((uint64_t)1 << e) + below(g, (uint64_t)1 << e);
		if (v >= lo && v <= hi)
			return v;
	}
}

/*
 * Lognormal-ish around `median`: the log2 of the size is a binomial (a sum of
 * `spread` fair coins, centred), which approaches a normal; then uniform
 * inside the octave.  Integer-only, so the same everywhere.
 */
static uint64_t lognormalish(struct gen *g, uint64_t median, int spread, uint64_t lo, uint64_t hi)
{
	int base = 63 - __builtin_clzll(median);
	for (;;) {
		int e = base - spread / 2 + __builtin_popcountll(rnd(g) & (((uint64_t)1 << spread) - 1));
		if (e < 0 || e > 40)
			continue;
		uint64_t v = ((uint64_t)1 << e) + below(g, (uint64_t)1 << e);
		if (v >= lo && v <= hi)
			return v;
	}
}

/* A value from `vals` drawn with the given integer weights. */
static uint64_t weighted(struct gen *g, const uint64_t *vals, const unsigned *w, unsigned n)
{
	unsigned total = 0, i;
	for (i = 0; i < n; i++)
		total += w[i];
	uint64_t r = below(g, total);
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

static void fail(struct gen *g, int err)
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
			fail(g, ENOMEM);
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
				fail(g, err);
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
		fprintf(g->out, "t %" PRIu32 "\n", g->thread);
		g->written = g->thread;
	}
}

static uint32_t g_alloc(struct gen *g, uint64_t size)
{
	if (!begin_op(g))
		return 0;
	uint32_t id = new_id(g, size);
	if (id) {
		put_thread(g);
		fprintf(g->out, "a %" PRIu32 " %" PRIu64 "\n", id, size);
	}
	return id;
}

static uint32_t g_calloc(struct gen *g, uint64_t nmemb, uint64_t size)
{
	if (!begin_op(g))
		return 0;
	uint32_t id = new_id(g, nmemb * size);
	if (id) {
		put_thread(g);
		fprintf(g->out, "c %" PRIu32 " %" PRIu64 " %" PRIu64 "\n", id, nmemb, size);
	}
	return id;
}

static uint32_t g_memalign(struct gen *g, uint64_t align, uint64_t size)
{
	if (!begin_op(g))
		return 0;
	uint32_t id = new_id(g, size);
	if (id) {
		put_thread(g);
		fprintf(g->out, "m %" PRIu32 " %" PRIu64 " %" PRIu64 "\n", id, align, size);
	}
	return id;
}

static int is_live(const struct gen *g, uint32_t id)
{
	return id && id < g->next_id && g->pos[id] != NOT_LIVE;
}

/* A profile asking to touch a dead block is a bug in this file: stop loudly. */
static void require_live(const struct gen *g, uint32_t id, const char *what)
{
	if (!is_live(g, id)) {
		fprintf(stderr, "bench: gen: internal error: %s of block %" PRIu32
		        ", which is not live\n", what, id);
		abort();
	}
}

static void g_realloc(struct gen *g, uint32_t id, uint64_t size)
{
	if (!id || g->done)
		return;
	require_live(g, id, "realloc");
	if (!begin_op(g))
		return;
	g->size[id] = size;
	put_thread(g);
	fprintf(g->out, "r %" PRIu32 " %" PRIu64 "\n", id, size);
}

static void g_free(struct gen *g, uint32_t id)
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
	fprintf(g->out, "f %" PRIu32 "\n", id);
}

/* A uniformly chosen live block, or 0 when none is. */
static uint32_t any_live(struct gen *g)
{
	return g->nlive ? g->live[below(g, g->nlive)] : 0;
}

/* ---- a growable list of ids, for the profiles' own bookkeeping --------- */

struct ids {
	uint32_t *v;   /* the ids           */
	size_t    n;   /* how many are held */
	size_t    cap; /* room in v         */
};

static void ids_push(struct gen *g, struct ids *l, uint32_t id)
{
	if (!id)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			fail(g, ENOMEM);
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
}

/* Remove and return element i (order not kept). */
static uint32_t ids_take(struct ids *l, size_t i)
{
	uint32_t id = l->v[i];
	l->v[i] = l->v[--l->n];
	return id;
}

static uint32_t ids_take_random(struct gen *g, struct ids *l)
{
	return l->n ? ids_take(l, below(g, l->n)) : 0;
}

static void ids_free_all(struct gen *g, struct ids *l)
{
	for (size_t i = 0; i < l->n; i++)
		g_free(g, l->v[i]);
	l->n = 0;
}

/* Fisher-Yates: a seeded order for frees whose order the pattern leaves open. */
static void ids_shuffle(struct gen *g, struct ids *l)
{
	for (size_t i = l->n; i > 1; i--) {
		size_t j = (size_t)below(g, i);
		uint32_t t = l->v[i - 1];
		l->v[i - 1] = l->v[j];
		l->v[j] = t;
	}
}

static void ids_release(struct ids *l)
{
	free(l->v);
	*l = (struct ids){ 0 };
}

/* ---- web: a request-serving process ------------------------------------ */

#define WEB_MAX_INFLIGHT 24   /* concurrent requests (a worker's connections) */
#define WEB_REQ_BLOCKS   64   /* blocks one request may hold                  */
#define WEB_CACHE        384  /* entries in the long-lived response cache     */

struct web_req {
	uint32_t blocks[WEB_REQ_BLOCKS]; /* everything the request owns          */
	unsigned n;                      /* blocks held                          */
	unsigned steps;                  /* steps left before the response is sent */
	uint32_t resp;                   /* growing response buffer (0: none yet) */
	uint64_t resp_size;              /* its current size                     */
};

struct web_cache_entry {
	uint32_t id;          /* the cached object (0: slot empty) */
	int      referenced;  /* the clock's second-chance bit     */
};

static void web_hold(struct web_req *r, uint32_t id)
{
	if (id && r->n < WEB_REQ_BLOCKS)
		r->blocks[r->n++] = id;
}

static void gen_web(struct gen *g)
{
	static const uint64_t hdr_sizes[] = { 16, 24, 32, 48, 64, 96, 128, 256 };
	static const unsigned hdr_w[]     = { 14, 18, 22, 16, 12,  8,   6,   4 };
	static const uint64_t in_bufs[]   = { 1024, 4096, 8192, 16384 };
	static const unsigned in_w[]      = {    2,    5,    6,     2 };
	struct web_req req[WEB_MAX_INFLIGHT];
	struct web_cache_entry cache[WEB_CACHE] = { { 0, 0 } };
	unsigned nreq = 0, hand = 0;

	while (!g->done) {
		/* Keep between a few and WEB_MAX_INFLIGHT requests in flight. */
		if (nreq < 4 || (nreq < WEB_MAX_INFLIGHT && chance(g, 120))) {
			struct web_req *r = &req[nreq++];
			r->n = 0;
			r->steps = (unsigned)range(g, 6, 40);
			r->resp = 0;
			r->resp_size = 0;
			web_hold(r, g_alloc(g, weighted(g, in_bufs, in_w, 4)));  /* read buffer */
			web_hold(r, g_calloc(g, 1, 208));                         /* request state */
			continue;
		}
		unsigned k = (unsigned)below(g, nreq);
		struct web_req *r = &req[k];
		if (r->steps-- == 0) {
			/* Response sent: the request's blocks die together, newest first
			 * mostly (stack-like unwinding), with some shuffling. */
			while (r->n) {
				unsigned i = r->n - 1;
				if (i && chance(g, 250))
					i = (unsigned)below(g, r->n);
				g_free(g, r->blocks[i]);
				r->blocks[i] = r->blocks[--r->n];
			}
			req[k] = req[--nreq];
			continue;
		}
		unsigned what = (unsigned)below(g, 1000);
		if (what < 450) {
			/* a header name or value, a parsed cookie, a URL piece */
			/* Draws are sequenced one per statement: C leaves the order of
			 * operands unspecified, and a seed must give the same trace
			 * whichever compiler built bench. */
			uint64_t size = weighted(g, hdr_sizes, hdr_w, 8);
			size -= below(g, 8);
			web_hold(r, g_alloc(g, size));
		} else if (what < 620) {
			/* cache lookup: ~70% hit (no allocation); a miss fills a slot,
			 * evicting by the clock (second chance), i.e. LRU-ish */
			if (chance(g, 700))
				cache[below(g, WEB_CACHE)].referenced = 1;
			else {
				while (cache[hand].id && cache[hand].referenced) {
					cache[hand].referenced = 0;
					hand = (hand + 1) % WEB_CACHE;
				}
				g_free(g, cache[hand].id);
				cache[hand].id = g_alloc(g, lognormalish(g, 768, 8, 32, 64 * KIB));
				cache[hand].referenced = 1;
				hand = (hand + 1) % WEB_CACHE;
			}
		} else if (what < 850) {
			/* the response buffer: created at 1 KiB, doubled as output is
			 * appended (a realloc growth series), up to 128 KiB */
			if (!r->resp) {
				r->resp_size = 1024;
				r->resp = g_alloc(g, r->resp_size);
				web_hold(r, r->resp);
			} else if (r->resp_size < 128 * KIB) {
				r->resp_size *= 2;
				g_realloc(g, r->resp, r->resp_size);
			}
		} else if (what < 990) {
			/* a zeroed table: query-string parameters, a small hash */
			uint64_t elem = weighted(g, hdr_sizes, hdr_w, 3);
			web_hold(r, g_calloc(g, range(g, 2, 32), elem));
		} else {
			/* a large request or response body, 64 KiB - 1 MiB */
			web_hold(r, g_alloc(g, log_uniform(g, 64 * KIB, MIB)));
		}
	}
}

/* ---- compiler: per-function trees, file-scope symbols, interning -------- */

static void gen_compiler(struct gen *g)
{
	static const uint64_t node_sizes[] = { 16, 24, 32, 40, 48, 64, 96, 128 };
	static const unsigned node_w[]     = { 10, 20, 30, 12, 12,  8,  5,   3 };
	struct ids nodes = { 0 }, file_syms = { 0 }, globals = { 0 };
	uint32_t symtab = 0;          /* the global symbol hash table's bucket array */
	uint64_t symtab_size = 0;

	while (!g->done) {
		/* one translation unit */
		unsigned funcs = (unsigned)range(g, 3, 40);
		for (unsigned f = 0; f < funcs && !g->done; f++) {
			/* one function: a syntax tree, freed as a whole when the function
			 * has been compiled (the pattern arenas and obstacks serve) */
			uint64_t nnodes = lognormalish(g, 256, 6, 8, 4000);
			uint32_t bbs = 0;        /* basic-block vector, grown by doubling */
			uint64_t bbs_size = 0;
			for (uint64_t i = 0; i < nnodes && !g->done; i++) {
				ids_push(g, &nodes, g_alloc(g, weighted(g, node_sizes, node_w, 8)));
				unsigned what = (unsigned)below(g, 1000);
				if (what < 60) {
					/* interning an identifier: half are new strings, kept
					 * for the whole run */
					if (chance(g, 500))
						ids_push(g, &globals, g_alloc(g, range(g, 4, 40)));
				} else if (what < 85) {
					/* a declaration: a file-scope symbol, sometimes global */
					uint32_t s = g_alloc(g, range(g, 48, 160));
					ids_push(g, chance(g, 200) ? &globals : &file_syms, s);
				} else if (what < 95) {
					if (!bbs) {
						bbs_size = 64;
						bbs = g_alloc(g, bbs_size);
					} else if (bbs_size < 64 * KIB) {
						bbs_size *= 2;
						g_realloc(g, bbs, bbs_size);
					}
				}
			}
			g_free(g, bbs);
			/* freed together, in allocation order, like an arena reset */
			for (size_t i = 0; i < nodes.n; i++)
				g_free(g, nodes.v[i]);
			nodes.n = 0;
		}
		/* end of the file: its symbols go; the global table grows when it
		 * passes a load factor of 1 */
		ids_free_all(g, &file_syms);
		uint64_t want = 8 * (globals.n < 64 ? 64 : (uint64_t)1 << (64 - __builtin_clzll(globals.n)));
		if (!symtab) {
			symtab_size = want;
			symtab = g_calloc(g, symtab_size / 8, 8);
		} else if (want > symtab_size) {
			symtab_size = want;
			g_realloc(g, symtab, symtab_size);
		}
	}
	ids_release(&nodes);
	ids_release(&file_syms);
	ids_release(&globals);
}

/* ---- database: a buffer pool, records, slow churn ---------------------- */

#define DB_POOL_PAGES 320   /* pages the buffer pool holds once warm */

static void gen_database(struct gen *g)
{
	struct ids pages = { 0 }, records = { 0 }, temps = { 0 };
	uint64_t record_cap = g->target / 10 + 64;  /* the table stops growing here */

	while (!g->done) {
		unsigned what = (unsigned)below(g, 1000);
		if (pages.n < DB_POOL_PAGES / 4 || what < 120) {
			/* a page read into the pool; once the pool is full a random
			 * victim is evicted first (a clock over cold pages is close to
			 * random from the allocator's view) */
			if (pages.n >= DB_POOL_PAGES)
				g_free(g, ids_take_random(g, &pages));
			unsigned kind = (unsigned)below(g, 3);
			uint32_t p = kind == 0 ? g_memalign(g, 4096, 4096)   /* O_DIRECT buffer */
			           : kind == 1 ? g_alloc(g, 8192)            /* table page      */
			           :             g_alloc(g, 4096);           /* index page      */
			ids_push(g, &pages, p);
		} else if (what < 520) {
			/* insert a record; at capacity a delete makes room first */
			if (records.n >= record_cap)
				g_free(g, ids_take_random(g, &records));
			ids_push(g, &records, g_alloc(g, lognormalish(g, 160, 8, 8, 32 * KIB)));
		} else if (what < 660) {
			/* update in place: the record is resized around its old size */
			if (records.n) {
				uint32_t id = records.v[below(g, records.n)];
				uint64_t old = g->size[id];
				uint64_t nsz = chance(g, 600) ? old + range(g, 1, old / 2 + 8)
				                              : old - below(g, old / 2);
				g_realloc(g, id, nsz < 8 ? 8 : nsz > 32 * KIB ? 32 * KIB : nsz);
			}
		} else if (what < 760) {
			/* delete: slower than inserts, so the table grows over the run */
			g_free(g, ids_take_random(g, &records));
		} else {
			/* a statement's temporaries: sort keys, row copies, short-lived */
			if (temps.n >= 8)
				g_free(g, ids_take(&temps, 0));
			ids_push(g, &temps, g_alloc(g, range(g, 32, 512)));
		}
	}
	ids_release(&pages);
	ids_release(&records);
	ids_release(&temps);
}

/* ---- realloc: growing strings and vectors among small blocks ----------- */

#define RG_ACTIVE 6   /* buffers being grown at once */

enum rg_kind { RG_DOUBLING, RG_PLUS_N, RG_VECTOR };

struct rg_buf {
	uint32_t     id;     /* the buffer (0: slot free)           */
	enum rg_kind kind;
	uint64_t     cap;    /* its size as allocated                */
	uint64_t     len;    /* bytes "used": what has been appended */
	uint64_t     goal;   /* length at which it is finished       */
	uint64_t     step;   /* +N growth: bytes added per realloc; vectors: element size */
};

static void rg_start(struct gen *g, struct rg_buf *b)
{
	b->kind = (enum rg_kind)below(g, 3);
	b->len = 0;
	switch (b->kind) {
	case RG_DOUBLING:  /* a string builder: capacity doubles */
		b->cap = range(g, 16, 64);
		b->goal = log_uniform(g, 256, 256 * KIB);
		break;
	case RG_PLUS_N:    /* a naive appender: capacity grows by a fixed step */
		b->goal = log_uniform(g, 256, 32 * KIB);
		b->step = b->goal / range(g, 8, 48) + 1;
		b->cap = b->step;
		break;
	case RG_VECTOR:    /* a vector: capacity grows by 1.5 */
		b->step = 8 * range(g, 1, 4);
		b->cap = 4 * b->step;
		b->goal = log_uniform(g, 256, 128 * KIB);
		break;
	}
	b->id = g_alloc(g, b->cap);
}

static void gen_realloc(struct gen *g)
{
	struct rg_buf bufs[RG_ACTIVE] = { { 0 } };
	struct ids smalls = { 0 }, results = { 0 };

	while (!g->done) {
		unsigned what = (unsigned)below(g, 1000);
		if (what < 650) {
			struct rg_buf *b = &bufs[below(g, RG_ACTIVE)];
			if (!b->id) {
				rg_start(g, b);
				continue;
			}
			/* append (1-64 bytes, or one element) until the capacity is
			 * exceeded or the goal reached: each step is one growth */
			do
				b->len += b->kind == RG_VECTOR ? b->step : range(g, 1, 64);
			while (b->len <= b->cap && b->len < b->goal);
			if (b->len > b->cap) {
				while (b->len > b->cap)
					b->cap = b->kind == RG_DOUBLING ? b->cap * 2
					       : b->kind == RG_PLUS_N   ? b->cap + b->step
					       :                          b->cap + b->cap / 2;
				g_realloc(g, b->id, b->cap);
			}
			if (b->len >= b->goal) {
				/* finished: a third are shrunk to fit and kept as results
				 * for a while; the rest are consumed and freed */
				if (chance(g, 333)) {
					if (b->len < b->cap)
						g_realloc(g, b->id, b->len);
					if (results.n >= 48)
						g_free(g, ids_take(&results, below(g, results.n)));
					ids_push(g, &results, b->id);
				} else {
					g_free(g, b->id);
				}
				b->id = 0;
			}
		} else {
			/* small short-lived objects between the growth steps */
			if (smalls.n >= 64 || (smalls.n && chance(g, 450)))
				g_free(g, ids_take_random(g, &smalls));
			else
				ids_push(g, &smalls, g_alloc(g, range(g, 16, 128)));
		}
	}
	ids_release(&smalls);
	ids_release(&results);
}

/* ---- binary: CS:APP's binary-bal, the small-hole trap ------------------ */

static void gen_binary(struct gen *g)
{
	static const uint64_t small[] = { 64, 16 }, large[] = { 448, 112 };
	struct ids smalls = { 0 }, larges = { 0 }, bigger = { 0 };
	uint64_t pairs = g->target / 6 >= 2000 ? 2000 : g->target / 6 + 1;

	for (unsigned round = 0; !g->done; round++) {
		unsigned v = round % 2;
		/* alternate small and large, so they interleave in address order */
		for (uint64_t i = 0; i < pairs; i++) {
			ids_push(g, &smalls, g_alloc(g, small[v]));
			ids_push(g, &larges, g_alloc(g, large[v]));
		}
		/* free every large block (in a seeded order; the holes are the
		 * same): the heap is now holes of `large` bytes separated by live
		 * small blocks, so nothing coalesces */
		ids_shuffle(g, &larges);
		ids_free_all(g, &larges);
		/* then ask for blocks just too big for those holes */
		for (uint64_t i = 0; i < pairs; i++)
			ids_push(g, &bigger, g_alloc(g, large[v] + small[v]));
		ids_shuffle(g, &smalls);
		ids_free_all(g, &smalls);
		ids_free_all(g, &bigger);
	}
	ids_release(&smalls);
	ids_release(&larges);
	ids_release(&bigger);
}

/* ---- coalescing: freed neighbours must merge to be reused -------------- */

static void gen_coalescing(struct gen *g)
{
	struct ids run = { 0 }, pinned = { 0 };

	while (!g->done) {
		uint64_t n = (uint64_t)1 << range(g, 2, 7);     /* 4..128 blocks    */
		uint64_t size = 16 * range(g, 1, 32);           /* 16..512 bytes    */
		/* a barrier now and then, so runs are separate regions */
		if (chance(g, 300)) {
			if (pinned.n >= 32)
				g_free(g, ids_take(&pinned, below(g, pinned.n)));
			ids_push(g, &pinned, g_alloc(g, range(g, 16, 64)));
		}
		for (uint64_t i = 0; i < n; i++)
			ids_push(g, &run, g_alloc(g, size));
		/* free the whole run (adjacent blocks), then ask for half as many
		 * blocks twice as big: they fit only if neighbours were merged.
		 * Repeat until one block remains. */
		while (n > 1 && !g->done) {
			ids_free_all(g, &run);
			n /= 2;
			size *= 2;
			for (uint64_t i = 0; i < n; i++)
				ids_push(g, &run, g_alloc(g, size));
		}
		ids_free_all(g, &run);
	}
	ids_release(&run);
	ids_release(&pinned);
}

/* ---- random: uniform sizes, random lifetimes --------------------------- */

static void gen_random(struct gen *g)
{
	uint64_t max_live = 2000;
	while (!g->done) {
		unsigned what = (unsigned)below(g, 1000);
		if (g->nlive && (what < 400 || g->nlive >= max_live))
			g_free(g, any_live(g));
		else if (g->nlive && what < 500) {
			uint64_t size = range(g, 1, 4096);  /* one draw per statement */
			g_realloc(g, any_live(g), size);
		}
		else if (what < 550) {
			uint64_t elem = range(g, 1, 256);
			g_calloc(g, range(g, 1, 16), elem);
		}
		else
			g_alloc(g, range(g, 1, 4096));
	}
}

/* ---- grow: a huge live set ------------------------------------------- */

static void gen_grow(struct gen *g)
{
	static const uint64_t sizes[] = { 16, 24, 32, 48, 64 };
	static const unsigned w[]     = {  4,  6,  5,  3,  2 };
	while (!g->done) {
		if (g->nlive > 100 && chance(g, 20))
			g_free(g, any_live(g));
		else
			g_alloc(g, weighted(g, sizes, w, 5));
	}
}

/* ---- multi-threaded profiles ---------------------------------------------
 *
 * The trace says which thread made each op (`t N` lines); a scheduler here
 * runs one simulated thread for a burst of 1-32 ops (a time slice), then
 * switches to a random thread.  Which blocks cross threads is what tells
 * the three apart.
 */


/* Pick the next thread and the length of its slice. */
static uint32_t mt_slice(struct gen *g, uint32_t *left)
{
	if (*left == 0) {
		g->thread = (uint32_t)below(g, g->nthreads);
		*left = (uint32_t)range(g, 1, 32);
	}
	(*left)--;
	return g->thread;
}

/* Small-object sizes of the threaded servers these model: lognormal-ish
 * around 64 bytes, 8 B to 1 KiB. */
static uint64_t mt_size(struct gen *g)
{
	return lognormalish(g, 64, 6, 8, 4096);
}

/*
 * mt-private: every thread allocates and frees only its own blocks (a
 * thread-per-request server, or the threadtest benchmark of Hoard): each
 * keeps up to 400 live blocks, frees one at random 45% of the time and
 * reallocs one 5%.  Nothing crosses threads: the case thread caches win.
 */
static void gen_mt_private(struct gen *g)
{
	struct ids own[GEN_MAX_THREADS] = { { 0 } };
	uint32_t left = 0;
	g->no_steal = 1;   /* private through and through, IDs included */
	while (!g->done) {
		struct ids *l = &own[mt_slice(g, &left)];
		unsigned what = (unsigned)below(g, 1000);
		if (l->n && (what < 450 || l->n >= 400)) {
			g_free(g, ids_take_random(g, l));
		} else if (l->n && what < 500) {
			uint64_t size = mt_size(g);   /* one draw per statement */
			g_realloc(g, l->v[below(g, l->n)], size);
		} else {
			uint32_t id = g_alloc(g, mt_size(g));
			ids_push(g, l, id);
		}
	}
	for (uint32_t k = 0; k < GEN_MAX_THREADS; k++)
		free(own[k].v);
}

/*
 * mt-producer-consumer: the first half of the threads (at least one)
 * produce messages and the others consume them, as in xmalloc-test and
 * larson: a producer allocates a message (lognormal-ish around 256 B) and
 * queues it for a consumer (each consumer has a queue of at most 256);
 * a consumer takes the oldest message of its queue, sometimes (10%) grows
 * it with realloc, and frees it.  Producers also use short-lived scratch
 * blocks of their own.  With one thread it produces and consumes itself.
 */
static void gen_mt_producer_consumer(struct gen *g)
{
	uint32_t producers = g->nthreads > 1 ? g->nthreads / 2 : 1;
	uint32_t consumers = g->nthreads > 1 ? g->nthreads - producers : 1;
	enum { QUEUE = 256 };
	struct queue { uint32_t id[QUEUE]; uint32_t head, n; } *q = calloc(consumers, sizeof *q);
	struct ids scratch[GEN_MAX_THREADS] = { { 0 } };
	uint32_t left = 0, next = 0;
	if (!q) {
		fail(g, ENOMEM);
		return;
	}
	while (!g->done) {
		uint32_t k = mt_slice(g, &left);
		int produce = g->nthreads == 1 ? chance(g, 500) : k < producers;
		if (produce) {
			struct ids *s = &scratch[k];
			if (s->n && (chance(g, 400) || s->n >= 16)) {
				g_free(g, ids_take_random(g, s));
				continue;
			}
			if (chance(g, 200)) {
				ids_push(g, s, g_alloc(g, mt_size(g)));
				continue;
			}
			struct queue *c = &q[next++ % consumers];
			if (c->n == QUEUE)
				continue;   /* the consumer is behind: the producer waits */
			uint32_t id = g_alloc(g, lognormalish(g, 256, 6, 16, 8192));
			if (id)
				c->id[(c->head + c->n++) % QUEUE] = id;
		} else {
			struct queue *c = &q[g->nthreads == 1 ? 0 : k - producers];
			if (!c->n)
				continue;   /* nothing to consume yet */
			uint32_t id = c->id[c->head];
			if (chance(g, 100))
				g_realloc(g, id, g->size[id] * 2 + 16);
			if (g->done)
				break;
			g_free(g, id);
			c->head = (c->head + 1) % QUEUE;
			c->n--;
		}
	}
	for (uint32_t k = 0; k < GEN_MAX_THREADS; k++)
		free(scratch[k].v);
	free(q);
}

/*
 * mt-cache: a cache shared by all threads (memcached-like: 512 entries,
 * lognormal-ish around 512 B, 32 B - 16 KiB) with per-thread churn.  Each
 * thread mostly allocates and frees temporaries of its own (at most 32
 * live); 15% of its steps touch a random cache entry: an empty entry is
 * filled, a full one is replaced (the old value, allocated by whichever
 * thread, is freed by this one) or, 1 in 5, resized in place with realloc.
 */
static void gen_mt_cache(struct gen *g)
{
	enum { ENTRIES = 512 };
	uint32_t cache[ENTRIES] = { 0 };
	struct ids temp[GEN_MAX_THREADS] = { { 0 } };
	uint32_t left = 0;
	while (!g->done) {
		uint32_t k = mt_slice(g, &left);
		struct ids *l = &temp[k];
		if (chance(g, 150)) {
			uint32_t *e = &cache[below(g, ENTRIES)];
			uint64_t size = lognormalish(g, 512, 6, 32, 16384);
			if (!*e) {
				*e = g_alloc(g, size);
			} else if (chance(g, 200)) {
				g_realloc(g, *e, size);
			} else {
				g_free(g, *e);
				*e = g->done ? 0 : g_alloc(g, size);
			}
		} else if (l->n && (chance(g, 480) || l->n >= 32)) {
			g_free(g, ids_take_random(g, l));
		} else {
			ids_push(g, l, g_alloc(g, mt_size(g)));
		}
	}
	for (uint32_t k = 0; k < GEN_MAX_THREADS; k++)
		free(temp[k].v);
}

/* ---- profiles and the driver ------------------------------------------ */

const struct gen_profile gen_profiles[] = {
	{ "web", "a request-serving process: per-request buffers and headers, an LRU-ish "
	  "cache, occasional large bodies, growing response buffers", 30000, gen_web },
	{ "compiler", "a compiler: small tree nodes freed per function, file-scope symbols, "
	  "interned strings kept for the run", 40000, gen_compiler },
	{ "database", "a database engine: 4/8 KiB pages (some 4096-aligned) in a buffer pool, "
	  "lognormal records, long lifetimes, slow churn", 30000, gen_database },
	{ "realloc", "growing strings (doubling, +N) and vectors (x1.5) among small "
	  "short-lived blocks", 20000, gen_realloc },
	{ "binary", "CS:APP binary-bal: 64/448 (and 16/112) pairs, the large ones freed, then "
	  "blocks too big for the holes", 12000, gen_binary },
	{ "coalescing", "CS:APP coalescing-bal: runs of blocks freed together, then blocks twice "
	  "as big that fit only if neighbours merge", 20000, gen_coalescing },
	{ "random", "uniform sizes 1-4096 and random lifetimes: the baseline the literature "
	  "warns about", 20000, gen_random },
	{ "grow", "a live set growing to ~2M small blocks (few frees), to expose O(n) designs",
	  2200000, gen_grow },
	{ "mt-private", "threads allocating and freeing only their own blocks (threadtest, "
	  "thread-per-request servers); --threads N", 40000, gen_mt_private },
	{ "mt-producer-consumer", "producer threads allocate messages that consumer threads "
	  "free (xmalloc-test, larson); --threads N", 40000, gen_mt_producer_consumer },
	{ "mt-cache", "a cache shared by all threads, entries replaced by any thread, over "
	  "per-thread temporaries; --threads N", 40000, gen_mt_cache },
};
const unsigned gen_nprofiles = sizeof gen_profiles / sizeof gen_profiles[0];

const struct gen_profile *gen_find(const char *name)
{
	for (unsigned i = 0; i < gen_nprofiles; i++)
		if (!strcmp(gen_profiles[i].name, name))
			return &gen_profiles[i];
	return NULL;
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

	fprintf(out, "# heaplab trace, generated: profile %s, seed %" PRIu64 ", %" PRIu64 " ops\n",
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

/* ---- bench gen ---------------------------------------------------------- */

static void gen_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench gen PROFILE [--ops N] [--seed S] [--threads N] -o FILE\n"
	      "       bench gen --list\n"
	      "Writes a synthetic native trace (FILE '-' is standard output).\n"
	      "--threads N (mt-* profiles only, default 4, at most 64): simulated threads.\n"
	      "Profiles (default --ops):\n");
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		/* what it models, wrapped at spaces to stay within 80 columns */
		int col = fprintf(f, "  %-20s %8" PRIu64 " ", gen_profiles[i].name,
		                  gen_profiles[i].default_ops);
		int indent = col;
		for (const char *w = gen_profiles[i].models; *w;) {
			int len = (int)strcspn(w, " ");
			if (col > indent && col + 1 + len > 79)
				col = fprintf(f, "\n%*s", indent, "") - 1;
			col += fprintf(f, " %.*s", len, w);
			w += len;
			w += strspn(w, " ");
		}
		fputc('\n', f);
	}
}

/* A whole decimal number in [lo, hi], or -1. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/* Write to a temporary file beside `path`, then rename it: readers never see
 * half a trace, and a failure leaves any old file in place. */
static int write_atomically(const char *path, const struct gen_profile *p, uint64_t ops,
                            uint64_t seed, unsigned threads, const char *command)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	if (!tmp) {
		fprintf(stderr, "bench: gen: out of memory\n");
		return EXIT_SYSTEM;
	}
	snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "bench: %s: cannot create: %s\n", path, strerror(errno));
		free(tmp);
		return EXIT_SYSTEM;
	}
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		free(tmp);
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return EXIT_SYSTEM;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	int err = gen_write_threads(p, ops, seed, threads, command, f);
	if (fclose(f) && !err)
		err = errno ? errno : EIO;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		fprintf(stderr, "bench: %s: cannot write: %s\n", path, strerror(err));
	}
	free(tmp);
	return err ? EXIT_SYSTEM : EXIT_OK;
}

int gen_main(int argc, char **argv)
{
	const char *profile = NULL, *out = NULL, *ops_s = NULL, *seed_s = NULL, *threads_s = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		const char *val = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			gen_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--list")) {
			for (unsigned k = 0; k < gen_nprofiles; k++)
				printf("%s\n", gen_profiles[k].name);
			return EXIT_OK;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			dst = &out;
		} else if (!strncmp(a, "--output=", 9)) {
			dst = &out, val = a + 9;
		} else if (!strcmp(a, "--ops")) {
			dst = &ops_s;
		} else if (!strncmp(a, "--ops=", 6)) {
			dst = &ops_s, val = a + 6;
		} else if (!strcmp(a, "--threads")) {
			dst = &threads_s;
		} else if (!strncmp(a, "--threads=", 10)) {
			dst = &threads_s, val = a + 10;
		} else if (!strcmp(a, "--seed")) {
			dst = &seed_s;
		} else if (!strncmp(a, "--seed=", 7)) {
			dst = &seed_s, val = a + 7;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "bench: gen: unknown option %s (try bench gen --help)\n", a);
			return EXIT_USAGE;
		} else if (!profile) {
			profile = a;
			continue;
		} else {
			fprintf(stderr, "bench: gen: unexpected argument %s (one profile only)\n", a);
			return EXIT_USAGE;
		}
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "bench: gen: %s needs a value\n", a);
				return EXIT_USAGE;
			}
			val = argv[++i];
		}
		*dst = val;
	}
	if (!profile) {
		fputs("bench: gen: which profile? ", stderr);
		gen_usage(stderr);
		return EXIT_USAGE;
	}
	const struct gen_profile *p = gen_find(profile);
	if (!p) {
		fprintf(stderr, "bench: gen: unknown profile \"%s\"; profiles are:", profile);
		for (unsigned k = 0; k < gen_nprofiles; k++)
			fprintf(stderr, " %s", gen_profiles[k].name);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	uint64_t ops = p->default_ops, seed = 1;
	if (ops_s && parse_u64(ops_s, 1, GEN_MAX_OPS, &ops)) {
		fprintf(stderr, "bench: gen: --ops %s: expected a whole number from 1 to %" PRIu64 "\n",
		        ops_s, GEN_MAX_OPS);
		return EXIT_USAGE;
	}
	if (seed_s && parse_u64(seed_s, 0, UINT64_MAX, &seed)) {
		fprintf(stderr, "bench: gen: --seed %s: expected a whole number from 0 to %" PRIu64 "\n",
		        seed_s, UINT64_MAX);
		return EXIT_USAGE;
	}
	uint64_t threads = GEN_DEFAULT_THREADS;
	if (threads_s && !gen_is_threaded(p)) {
		fprintf(stderr, "bench: gen: --threads applies to the mt-* profiles only, not %s\n",
		        p->name);
		return EXIT_USAGE;
	}
	if (threads_s && parse_u64(threads_s, 1, GEN_MAX_THREADS, &threads)) {
		fprintf(stderr, "bench: gen: --threads %s: expected a whole number from 1 to %d\n",
		        threads_s, GEN_MAX_THREADS);
		return EXIT_USAGE;
	}
	if (!out) {
		fputs("bench: gen: no output file: give -o FILE (or -o - for standard output)\n",
		      stderr);
		return EXIT_USAGE;
	}
	char command[1024], tpart[32] = "";
	if (gen_is_threaded(p))
		snprintf(tpart, sizeof tpart, " --threads %" PRIu64, threads);
	snprintf(command, sizeof command, "bench gen %s --ops %" PRIu64 " --seed %" PRIu64 "%s -o %s",
	         p->name, ops, seed, tpart, out);
	struct stat st;
	if (strcmp(out, "-") && !stat(out, &st) && !S_ISREG(st.st_mode)) {
		/* a device or a pipe (/dev/null, a fifo): write to it, never
		 * rename a file over it */
		FILE *f = fopen(out, "w");
		int err = f ? gen_write_threads(p, ops, seed, (unsigned)threads, command, f) : errno;
		if (f && fclose(f) && !err)
			err = errno ? errno : EIO;
		if (err) {
			fprintf(stderr, "bench: %s: cannot write: %s\n", out, strerror(err));
			return EXIT_SYSTEM;
		}
		return EXIT_OK;
	}
	if (!strcmp(out, "-")) {
		int err = gen_write_threads(p, ops, seed, (unsigned)threads, command, stdout);
		if (!err && fflush(stdout))
			err = errno;
		if (err) {
			fprintf(stderr, "bench: gen: cannot write standard output: %s\n", strerror(err));
			return EXIT_SYSTEM;
		}
		return EXIT_OK;
	}
	return write_atomically(out, p, ops, seed, (unsigned)threads, command);
}
