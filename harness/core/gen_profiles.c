/*
 * gen_profiles.c - the profiles of `bench gen`: one function each, and the
 * table that names them.  Adding a profile touches this file only: write a
 * function with the engine of gen_engine.h and add a row to gen_profiles[]
 * (workloads/README.md describes each profile for users).
 *
 * Every profile imitates one allocation pattern that real programs show and
 * that allocator papers measure (Wilson, Johnstone, Neely & Boles, "Dynamic
 * Storage Allocation: A Survey and Critical Review", 1995, argue that only
 * such phased, size-correlated patterns say anything: `random` is kept as the
 * baseline they warn about).
 */
#include "gen_engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static void profile_web(struct gen *g)
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
		if (nreq < 4 || (nreq < WEB_MAX_INFLIGHT && gen_chance(g, 120))) {
			struct web_req *r = &req[nreq++];
			r->n = 0;
			r->steps = (unsigned)gen_range(g, 6, 40);
			r->resp = 0;
			r->resp_size = 0;
			web_hold(r, gen_alloc(g, gen_weighted(g, in_bufs, in_w, 4)));  /* read buffer */
			web_hold(r, gen_calloc(g, 1, 208));                         /* request state */
			continue;
		}
		unsigned k = (unsigned)gen_below(g, nreq);
		struct web_req *r = &req[k];
		if (r->steps-- == 0) {
			/* Response sent: the request's blocks die together, newest first
			 * mostly (stack-like unwinding), with some shuffling. */
			while (r->n) {
				unsigned i = r->n - 1;
				if (i && gen_chance(g, 250))
					i = (unsigned)gen_below(g, r->n);
				gen_free(g, r->blocks[i]);
				r->blocks[i] = r->blocks[--r->n];
			}
			req[k] = req[--nreq];
			continue;
		}
		unsigned what = (unsigned)gen_below(g, 1000);
		if (what < 450) {
			/* a header name or value, a parsed cookie, a URL piece */
			/* Draws are sequenced one per statement: C leaves the order of
			 * operands unspecified, and a seed must give the same trace
			 * whichever compiler built bench. */
			uint64_t size = gen_weighted(g, hdr_sizes, hdr_w, 8);
			size -= gen_below(g, 8);
			web_hold(r, gen_alloc(g, size));
		} else if (what < 620) {
			/* cache lookup: ~70% hit (no allocation); a miss fills a slot,
			 * evicting by the clock (second chance), i.e. LRU-ish */
			if (gen_chance(g, 700))
				cache[gen_below(g, WEB_CACHE)].referenced = 1;
			else {
				while (cache[hand].id && cache[hand].referenced) {
					cache[hand].referenced = 0;
					hand = (hand + 1) % WEB_CACHE;
				}
				gen_free(g, cache[hand].id);
				cache[hand].id = gen_alloc(g, gen_lognormalish(g, 768, 8, 32, 64 * KIB));
				cache[hand].referenced = 1;
				hand = (hand + 1) % WEB_CACHE;
			}
		} else if (what < 850) {
			/* the response buffer: created at 1 KiB, doubled as output is
			 * appended (a realloc growth series), up to 128 KiB */
			if (!r->resp) {
				r->resp_size = 1024;
				r->resp = gen_alloc(g, r->resp_size);
				web_hold(r, r->resp);
			} else if (r->resp_size < 128 * KIB) {
				r->resp_size *= 2;
				gen_realloc(g, r->resp, r->resp_size);
			}
		} else if (what < 990) {
			/* a zeroed table: query-string parameters, a small hash */
			uint64_t elem = gen_weighted(g, hdr_sizes, hdr_w, 3);
			web_hold(r, gen_calloc(g, gen_range(g, 2, 32), elem));
		} else {
			/* a large request or response body, 64 KiB - 1 MiB */
			web_hold(r, gen_alloc(g, gen_log_uniform(g, 64 * KIB, MIB)));
		}
	}
}

/* ---- compiler: per-function trees, file-scope symbols, interning -------- */

static void profile_compiler(struct gen *g)
{
	static const uint64_t node_sizes[] = { 16, 24, 32, 40, 48, 64, 96, 128 };
	static const unsigned node_w[]     = { 10, 20, 30, 12, 12,  8,  5,   3 };
	struct gen_ids nodes = { 0 }, file_syms = { 0 }, globals = { 0 };
	uint32_t symtab = 0;          /* the global symbol hash table's bucket array */
	uint64_t symtab_size = 0;

	while (!g->done) {
		/* one translation unit */
		unsigned funcs = (unsigned)gen_range(g, 3, 40);
		for (unsigned f = 0; f < funcs && !g->done; f++) {
			/* one function: a syntax tree, freed as a whole when the function
			 * has been compiled (the pattern arenas and obstacks serve) */
			uint64_t nnodes = gen_lognormalish(g, 256, 6, 8, 4000);
			uint32_t bbs = 0;        /* basic-block vector, grown by doubling */
			uint64_t bbs_size = 0;
			for (uint64_t i = 0; i < nnodes && !g->done; i++) {
				gen_ids_push(g, &nodes, gen_alloc(g, gen_weighted(g, node_sizes, node_w, 8)));
				unsigned what = (unsigned)gen_below(g, 1000);
				if (what < 60) {
					/* interning an identifier: half are new strings, kept
					 * for the whole run */
					if (gen_chance(g, 500))
						gen_ids_push(g, &globals, gen_alloc(g, gen_range(g, 4, 40)));
				} else if (what < 85) {
					/* a declaration: a file-scope symbol, sometimes global */
					uint32_t s = gen_alloc(g, gen_range(g, 48, 160));
					gen_ids_push(g, gen_chance(g, 200) ? &globals : &file_syms, s);
				} else if (what < 95) {
					if (!bbs) {
						bbs_size = 64;
						bbs = gen_alloc(g, bbs_size);
					} else if (bbs_size < 64 * KIB) {
						bbs_size *= 2;
						gen_realloc(g, bbs, bbs_size);
					}
				}
			}
			gen_free(g, bbs);
			/* freed together, in allocation order, like an arena reset */
			for (size_t i = 0; i < nodes.n; i++)
				gen_free(g, nodes.v[i]);
			nodes.n = 0;
		}
		/* end of the file: its symbols go; the global table grows when it
		 * passes a load factor of 1 */
		gen_ids_free_all(g, &file_syms);
		uint64_t want = 8 * (globals.n < 64 ? 64 : (uint64_t)1 << (64 - __builtin_clzll(globals.n)));
		if (!symtab) {
			symtab_size = want;
			symtab = gen_calloc(g, symtab_size / 8, 8);
		} else if (want > symtab_size) {
			symtab_size = want;
			gen_realloc(g, symtab, symtab_size);
		}
	}
	gen_ids_release(&nodes);
	gen_ids_release(&file_syms);
	gen_ids_release(&globals);
}

/* ---- database: a buffer pool, records, slow churn ---------------------- */

#define DB_POOL_PAGES 320   /* pages the buffer pool holds once warm */

static void profile_database(struct gen *g)
{
	struct gen_ids pages = { 0 }, records = { 0 }, temps = { 0 };
	uint64_t record_cap = g->target / 10 + 64;  /* the table stops growing here */

	while (!g->done) {
		unsigned what = (unsigned)gen_below(g, 1000);
		if (pages.n < DB_POOL_PAGES / 4 || what < 120) {
			/* a page read into the pool; once the pool is full a random
			 * victim is evicted first (a clock over cold pages is close to
			 * random from the allocator's view) */
			if (pages.n >= DB_POOL_PAGES)
				gen_free(g, gen_ids_take_random(g, &pages));
			unsigned kind = (unsigned)gen_below(g, 3);
			uint32_t p = kind == 0 ? gen_memalign(g, 4096, 4096)   /* O_DIRECT buffer */
			           : kind == 1 ? gen_alloc(g, 8192)            /* table page      */
			           :             gen_alloc(g, 4096);           /* index page      */
			gen_ids_push(g, &pages, p);
		} else if (what < 520) {
			/* insert a record; at capacity a delete makes room first */
			if (records.n >= record_cap)
				gen_free(g, gen_ids_take_random(g, &records));
			gen_ids_push(g, &records, gen_alloc(g, gen_lognormalish(g, 160, 8, 8, 32 * KIB)));
		} else if (what < 660) {
			/* update in place: the record is resized around its old size */
			if (records.n) {
				uint32_t id = records.v[gen_below(g, records.n)];
				uint64_t old = g->size[id];
				uint64_t nsz = gen_chance(g, 600) ? old + gen_range(g, 1, old / 2 + 8)
				                              : old - gen_below(g, old / 2);
				gen_realloc(g, id, nsz < 8 ? 8 : nsz > 32 * KIB ? 32 * KIB : nsz);
			}
		} else if (what < 760) {
			/* delete: slower than inserts, so the table grows over the run */
			gen_free(g, gen_ids_take_random(g, &records));
		} else {
			/* a statement's temporaries: sort keys, row copies, short-lived */
			if (temps.n >= 8)
				gen_free(g, gen_ids_take(&temps, 0));
			gen_ids_push(g, &temps, gen_alloc(g, gen_range(g, 32, 512)));
		}
	}
	gen_ids_release(&pages);
	gen_ids_release(&records);
	gen_ids_release(&temps);
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
	b->kind = (enum rg_kind)gen_below(g, 3);
	b->len = 0;
	switch (b->kind) {
	case RG_DOUBLING:  /* a string builder: capacity doubles */
		b->cap = gen_range(g, 16, 64);
		b->goal = gen_log_uniform(g, 256, 256 * KIB);
		break;
	case RG_PLUS_N:    /* a naive appender: capacity grows by a fixed step */
		b->goal = gen_log_uniform(g, 256, 32 * KIB);
		b->step = b->goal / gen_range(g, 8, 48) + 1;
		b->cap = b->step;
		break;
	case RG_VECTOR:    /* a vector: capacity grows by 1.5 */
		b->step = 8 * gen_range(g, 1, 4);
		b->cap = 4 * b->step;
		b->goal = gen_log_uniform(g, 256, 128 * KIB);
		break;
	}
	b->id = gen_alloc(g, b->cap);
}

static void profile_realloc(struct gen *g)
{
	struct rg_buf bufs[RG_ACTIVE] = { { 0 } };
	struct gen_ids smalls = { 0 }, results = { 0 };

	while (!g->done) {
		unsigned what = (unsigned)gen_below(g, 1000);
		if (what < 650) {
			struct rg_buf *b = &bufs[gen_below(g, RG_ACTIVE)];
			if (!b->id) {
				rg_start(g, b);
				continue;
			}
			/* append (1-64 bytes, or one element) until the capacity is
			 * exceeded or the goal reached: each step is one growth */
			do
				b->len += b->kind == RG_VECTOR ? b->step : gen_range(g, 1, 64);
			while (b->len <= b->cap && b->len < b->goal);
			if (b->len > b->cap) {
				while (b->len > b->cap)
					b->cap = b->kind == RG_DOUBLING ? b->cap * 2
					       : b->kind == RG_PLUS_N   ? b->cap + b->step
					       :                          b->cap + b->cap / 2;
				gen_realloc(g, b->id, b->cap);
			}
			if (b->len >= b->goal) {
				/* finished: a third are shrunk to fit and kept as results
				 * for a while; the rest are consumed and freed */
				if (gen_chance(g, 333)) {
					if (b->len < b->cap)
						gen_realloc(g, b->id, b->len);
					if (results.n >= 48)
						gen_free(g, gen_ids_take(&results, gen_below(g, results.n)));
					gen_ids_push(g, &results, b->id);
				} else {
					gen_free(g, b->id);
				}
				b->id = 0;
			}
		} else {
			/* small short-lived objects between the growth steps */
			if (smalls.n >= 64 || (smalls.n && gen_chance(g, 450)))
				gen_free(g, gen_ids_take_random(g, &smalls));
			else
				gen_ids_push(g, &smalls, gen_alloc(g, gen_range(g, 16, 128)));
		}
	}
	gen_ids_release(&smalls);
	gen_ids_release(&results);
}

/* ---- binary: CS:APP's binary-bal, the small-hole trap ------------------ */

static void profile_binary(struct gen *g)
{
	static const uint64_t small[] = { 64, 16 }, large[] = { 448, 112 };
	struct gen_ids smalls = { 0 }, larges = { 0 }, bigger = { 0 };
	uint64_t pairs = g->target / 6 >= 2000 ? 2000 : g->target / 6 + 1;

	for (unsigned round = 0; !g->done; round++) {
		unsigned v = round % 2;
		/* alternate small and large, so they interleave in address order */
		for (uint64_t i = 0; i < pairs; i++) {
			gen_ids_push(g, &smalls, gen_alloc(g, small[v]));
			gen_ids_push(g, &larges, gen_alloc(g, large[v]));
		}
		/* free every large block (in a seeded order; the holes are the
		 * same): the heap is now holes of `large` bytes separated by live
		 * small blocks, so nothing coalesces */
		gen_ids_shuffle(g, &larges);
		gen_ids_free_all(g, &larges);
		/* then ask for blocks just too big for those holes */
		for (uint64_t i = 0; i < pairs; i++)
			gen_ids_push(g, &bigger, gen_alloc(g, large[v] + small[v]));
		gen_ids_shuffle(g, &smalls);
		gen_ids_free_all(g, &smalls);
		gen_ids_free_all(g, &bigger);
	}
	gen_ids_release(&smalls);
	gen_ids_release(&larges);
	gen_ids_release(&bigger);
}

/* ---- coalescing: freed neighbours must merge to be reused -------------- */

static void profile_coalescing(struct gen *g)
{
	struct gen_ids run = { 0 }, pinned = { 0 };

	while (!g->done) {
		uint64_t n = (uint64_t)1 << gen_range(g, 2, 7);     /* 4..128 blocks    */
		uint64_t size = 16 * gen_range(g, 1, 32);           /* 16..512 bytes    */
		/* a barrier now and then, so runs are separate regions */
		if (gen_chance(g, 300)) {
			if (pinned.n >= 32)
				gen_free(g, gen_ids_take(&pinned, gen_below(g, pinned.n)));
			gen_ids_push(g, &pinned, gen_alloc(g, gen_range(g, 16, 64)));
		}
		for (uint64_t i = 0; i < n; i++)
			gen_ids_push(g, &run, gen_alloc(g, size));
		/* free the whole run (adjacent blocks), then ask for half as many
		 * blocks twice as big: they fit only if neighbours were merged.
		 * Repeat until one block remains. */
		while (n > 1 && !g->done) {
			gen_ids_free_all(g, &run);
			n /= 2;
			size *= 2;
			for (uint64_t i = 0; i < n; i++)
				gen_ids_push(g, &run, gen_alloc(g, size));
		}
		gen_ids_free_all(g, &run);
	}
	gen_ids_release(&run);
	gen_ids_release(&pinned);
}

/* ---- random: uniform sizes, random lifetimes --------------------------- */

static void profile_random(struct gen *g)
{
	uint64_t max_live = 2000;
	while (!g->done) {
		unsigned what = (unsigned)gen_below(g, 1000);
		if (g->nlive && (what < 400 || g->nlive >= max_live))
			gen_free(g, gen_any_live(g));
		else if (g->nlive && what < 500) {
			uint64_t size = gen_range(g, 1, 4096);  /* one draw per statement */
			gen_realloc(g, gen_any_live(g), size);
		}
		else if (what < 550) {
			uint64_t elem = gen_range(g, 1, 256);
			gen_calloc(g, gen_range(g, 1, 16), elem);
		}
		else
			gen_alloc(g, gen_range(g, 1, 4096));
	}
}

/* ---- grow: a huge live set ------------------------------------------- */

static void profile_grow(struct gen *g)
{
	static const uint64_t sizes[] = { 16, 24, 32, 48, 64 };
	static const unsigned w[]     = {  4,  6,  5,  3,  2 };
	while (!g->done) {
		if (g->nlive > 100 && gen_chance(g, 20))
			gen_free(g, gen_any_live(g));
		else
			gen_alloc(g, gen_weighted(g, sizes, w, 5));
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
		g->thread = (uint32_t)gen_below(g, g->nthreads);
		*left = (uint32_t)gen_range(g, 1, 32);
	}
	(*left)--;
	return g->thread;
}

/* Small-object sizes of the threaded servers these model: lognormal-ish
 * around 64 bytes, 8 B to 1 KiB. */
static uint64_t mt_size(struct gen *g)
{
	return gen_lognormalish(g, 64, 6, 8, 4096);
}

/*
 * mt-private: every thread allocates and frees only its own blocks (a
 * thread-per-request server, or the threadtest benchmark of Hoard): each
 * keeps up to 400 live blocks, frees one at random 45% of the time and
 * reallocs one 5%.  Nothing crosses threads: the case thread caches win.
 */
static void profile_mt_private(struct gen *g)
{
	struct gen_ids own[GEN_MAX_THREADS] = { { 0 } };
	uint32_t left = 0;
	g->no_steal = 1;   /* private through and through, IDs included */
	while (!g->done) {
		struct gen_ids *l = &own[mt_slice(g, &left)];
		unsigned what = (unsigned)gen_below(g, 1000);
		if (l->n && (what < 450 || l->n >= 400)) {
			gen_free(g, gen_ids_take_random(g, l));
		} else if (l->n && what < 500) {
			uint64_t size = mt_size(g);   /* one draw per statement */
			gen_realloc(g, l->v[gen_below(g, l->n)], size);
		} else {
			uint32_t id = gen_alloc(g, mt_size(g));
			gen_ids_push(g, l, id);
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
static void profile_mt_producer_consumer(struct gen *g)
{
	uint32_t producers = g->nthreads > 1 ? g->nthreads / 2 : 1;
	uint32_t consumers = g->nthreads > 1 ? g->nthreads - producers : 1;
	enum { QUEUE = 256 };
	struct queue { uint32_t id[QUEUE]; uint32_t head, n; } *q = calloc(consumers, sizeof *q);
	struct gen_ids scratch[GEN_MAX_THREADS] = { { 0 } };
	uint32_t left = 0, next = 0;
	if (!q) {
		gen_fail(g, ENOMEM);
		return;
	}
	while (!g->done) {
		uint32_t k = mt_slice(g, &left);
		int produce = g->nthreads == 1 ? gen_chance(g, 500) : k < producers;
		if (produce) {
			struct gen_ids *s = &scratch[k];
			if (s->n && (gen_chance(g, 400) || s->n >= 16)) {
				gen_free(g, gen_ids_take_random(g, s));
				continue;
			}
			if (gen_chance(g, 200)) {
				gen_ids_push(g, s, gen_alloc(g, mt_size(g)));
				continue;
			}
			struct queue *c = &q[next++ % consumers];
			if (c->n == QUEUE)
				continue;   /* the consumer is behind: the producer waits */
			uint32_t id = gen_alloc(g, gen_lognormalish(g, 256, 6, 16, 8192));
			if (id)
				c->id[(c->head + c->n++) % QUEUE] = id;
		} else {
			struct queue *c = &q[g->nthreads == 1 ? 0 : k - producers];
			if (!c->n)
				continue;   /* nothing to consume yet */
			uint32_t id = c->id[c->head];
			if (gen_chance(g, 100))
				gen_realloc(g, id, g->size[id] * 2 + 16);
			if (g->done)
				break;
			gen_free(g, id);
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
static void profile_mt_cache(struct gen *g)
{
	enum { ENTRIES = 512 };
	uint32_t cache[ENTRIES] = { 0 };
	struct gen_ids temp[GEN_MAX_THREADS] = { { 0 } };
	uint32_t left = 0;
	while (!g->done) {
		uint32_t k = mt_slice(g, &left);
		struct gen_ids *l = &temp[k];
		if (gen_chance(g, 150)) {
			uint32_t *e = &cache[gen_below(g, ENTRIES)];
			uint64_t size = gen_lognormalish(g, 512, 6, 32, 16384);
			if (!*e) {
				*e = gen_alloc(g, size);
			} else if (gen_chance(g, 200)) {
				gen_realloc(g, *e, size);
			} else {
				gen_free(g, *e);
				*e = g->done ? 0 : gen_alloc(g, size);
			}
		} else if (l->n && (gen_chance(g, 480) || l->n >= 32)) {
			gen_free(g, gen_ids_take_random(g, l));
		} else {
			gen_ids_push(g, l, gen_alloc(g, mt_size(g)));
		}
	}
	for (uint32_t k = 0; k < GEN_MAX_THREADS; k++)
		free(temp[k].v);
}

/* ---- profiles and the driver ------------------------------------------ */

const struct gen_profile gen_profiles[] = {
	{ "web", "a request-serving process: per-request buffers and headers, an LRU-ish "
	  "cache, occasional large bodies, growing response buffers", 30000, profile_web },
	{ "compiler", "a compiler: small tree nodes freed per function, file-scope symbols, "
	  "interned strings kept for the run", 40000, profile_compiler },
	{ "database", "a database engine: 4/8 KiB pages (some 4096-aligned) in a buffer pool, "
	  "lognormal records, long lifetimes, slow churn", 30000, profile_database },
	{ "realloc", "growing strings (doubling, +N) and vectors (x1.5) among small "
	  "short-lived blocks", 20000, profile_realloc },
	{ "binary", "CS:APP binary-bal: 64/448 (and 16/112) pairs, the large ones freed, then "
	  "blocks too big for the holes", 12000, profile_binary },
	{ "coalescing", "CS:APP coalescing-bal: runs of blocks freed together, then blocks twice "
	  "as big that fit only if neighbours merge", 20000, profile_coalescing },
	{ "random", "uniform sizes 1-4096 and random lifetimes: the baseline the literature "
	  "warns about", 20000, profile_random },
	{ "grow", "a live set growing to ~2M small blocks (few frees), to expose O(n) designs",
	  2200000, profile_grow },
	{ "mt-private", "threads allocating and freeing only their own blocks (threadtest, "
	  "thread-per-request servers); --threads N", 40000, profile_mt_private },
	{ "mt-producer-consumer", "producer threads allocate messages that consumer threads "
	  "free (xmalloc-test, larson); --threads N", 40000, profile_mt_producer_consumer },
	{ "mt-cache", "a cache shared by all threads, entries replaced by any thread, over "
	  "per-thread temporaries; --threads N", 40000, profile_mt_cache },
};
const unsigned gen_nprofiles = sizeof gen_profiles / sizeof gen_profiles[0];

const struct gen_profile *gen_find(const char *name)
{
	for (unsigned i = 0; i < gen_nprofiles; i++)
		if (!strcmp(gen_profiles[i].name, name))
			return &gen_profiles[i];
	return NULL;
}
