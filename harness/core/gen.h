/*
 * gen.h - synthetic trace generator: named profiles, each modelled on a real
 * allocation pattern, deterministic for a given seed on every platform (own
 * PRNG, integer arithmetic only).  workloads/README.md documents the profiles.
 */
#ifndef HEAPLAB_GEN_H
#define HEAPLAB_GEN_H

#include <stdint.h>
#include <stdio.h>

struct gen;

struct gen_profile {
	const char *name;         /* as given on the command line            */
	const char *models;       /* one line: the real pattern it imitates  */
	uint64_t    default_ops;  /* operations when --ops is not given      */
	void      (*run)(struct gen *g);
};

extern const struct gen_profile gen_profiles[];
extern const unsigned gen_nprofiles;

#define GEN_MAX_OPS ((uint64_t)1 << 32)   /* more would not fit a trace's line numbers */

/* The profile called `name`, or NULL. */
const struct gen_profile *gen_find(const char *name);

/*
 * Write exactly `ops` operations of profile `p` for `seed` to `out` as a
 * native trace, after a header of `#` comments naming the profile, the seed,
 * the count and `command` (the command line that regenerates the file).
 * Returns 0, or a positive errno value (ENOMEM, or a write error on `out`).
 */
int gen_write(const struct gen_profile *p, uint64_t ops, uint64_t seed,
              const char *command, FILE *out);

/* mt-* profiles simulate this many threads unless told (--threads N). */
#define GEN_DEFAULT_THREADS 4
#define GEN_MAX_THREADS     64

/* gen_write with `threads` simulated threads (1..GEN_MAX_THREADS; profiles
 * that are not mt-* ignore it and write no t line).  EINVAL when out of range. */
int gen_write_threads(const struct gen_profile *p, uint64_t ops, uint64_t seed,
                      unsigned threads, const char *command, FILE *out);

/* Whether profile p simulates threads (its name starts with "mt-"). */
int gen_is_threaded(const struct gen_profile *p);

#endif
