/*
 * gen_engine.h - what a `bench gen` profile is written with (gen_profiles.c
 * holds the profiles, gen_engine.c this engine, gen.c the command).
 *
 * A profile is a function that loops `while (!g->done)`, drawing from the
 * seeded random numbers below and calling gen_alloc/gen_calloc/gen_memalign/
 * gen_realloc/gen_free.  The engine keeps the live set, numbers the blocks,
 * writes each operation's trace line and stops the profile at the requested
 * count: a profile can only free or resize a live block, and a freed ID is
 * reused only by a later allocation, so every trace is valid by
 * construction.  Every draw is integer-only, so a seed gives the same bytes
 * on every libc and CPU; take one draw per statement (C leaves the order of
 * operands unspecified).
 */
#ifndef HEAPLAB_GEN_ENGINE_H
#define HEAPLAB_GEN_ENGINE_H

#include "gen.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KIB      ((uint64_t)1024)
#define MIB      (KIB * 1024)

/* One generation's state.  Profiles read done, target, nlive, size[],
 * nthreads and thread, and may set no_steal; the engine owns the rest. */
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

/* ---- seeded random numbers ---- */

uint64_t gen_below(struct gen *g, uint64_t n);                 /* uniform in [0, n)      */
uint64_t gen_range(struct gen *g, uint64_t lo, uint64_t hi);   /* uniform in [lo, hi]    */
int      gen_chance(struct gen *g, unsigned per_mille);        /* true per_mille/1000    */
/* log-uniform in [lo, hi]: sizes spread over decades */
uint64_t gen_log_uniform(struct gen *g, uint64_t lo, uint64_t hi);
/* lognormal-ish around median (log2 a binomial of `spread` coins), in [lo, hi] */
uint64_t gen_lognormalish(struct gen *g, uint64_t median, int spread, uint64_t lo, uint64_t hi);
/* one of vals[0..n) drawn with integer weights w */
uint64_t gen_weighted(struct gen *g, const uint64_t *vals, const unsigned *w, unsigned n);

/* ---- operations: each writes one line; 0 / nothing once g->done ---- */

uint32_t gen_alloc(struct gen *g, uint64_t size);                    /* the new ID, or 0 */
uint32_t gen_calloc(struct gen *g, uint64_t nmemb, uint64_t size);
uint32_t gen_memalign(struct gen *g, uint64_t align, uint64_t size);
void     gen_realloc(struct gen *g, uint32_t id, uint64_t size);    /* id 0: nothing */
void     gen_free(struct gen *g, uint32_t id);                      /* id 0: nothing */
uint32_t gen_any_live(struct gen *g);   /* a uniformly chosen live block, or 0 */
void     gen_fail(struct gen *g, int err);   /* stop with errno err (ENOMEM) */

/* ---- a growable list of IDs, for a profile's own bookkeeping ---- */

struct gen_ids {
	uint32_t *v;   /* the ids           */
	size_t    n;   /* how many are held */
	size_t    cap; /* room in v         */
};

void     gen_ids_push(struct gen *g, struct gen_ids *l, uint32_t id);   /* id 0: ignored */
uint32_t gen_ids_take(struct gen_ids *l, size_t i);           /* remove element i (order not kept) */
uint32_t gen_ids_take_random(struct gen *g, struct gen_ids *l);   /* 0 when empty */
void     gen_ids_free_all(struct gen *g, struct gen_ids *l);  /* gen_free each, in order */
void     gen_ids_shuffle(struct gen *g, struct gen_ids *l);   /* a seeded order */
void     gen_ids_release(struct gen_ids *l);

#endif
