/*
 * alloc_fixture.h - one allocator instance on a heap of its own, the setup
 * every allocator's unit tests share: open and close it, run its self-check,
 * read its counters.  Also the test code more than one allocator's tests use.
 *
 *   struct fixture f;
 *   REQUIRE(fixture_open(&f, &alloc_buddy, 0, 0));
 *   void *p = f.a->malloc(f.self, 100);
 *   EXPECT_CLEAN(&f);
 *   fixture_close(&f);
 */
#ifndef HEAPLAB_ALLOC_FIXTURE_H
#define HEAPLAB_ALLOC_FIXTURE_H

#include "test.h"
#include "allocators/allocator.h"

#define FIXTURE_RESERVE ((size_t)1 << 32)  /* address space when the test gives 0 */

struct fixture {
	const struct allocator *a;      /* the allocator under test                    */
	struct heap             heap;   /* its heap, opened for this test alone        */
	void                   *self;   /* the instance init() returned                */
	size_t                  brk0;   /* the break right after init                  */
	struct check_findings     findings; /* what the last fixture_check() found         */
};

/*
 * Start `a` on a fresh heap reserving `reserve` bytes of address space (0:
 * FIXTURE_RESERVE) and refusing to grow past `limit` (0: no limit).  1 when
 * the heap and init() both worked.
 */
int fixture_open(struct fixture *f, const struct allocator *a, size_t reserve, size_t limit);
void fixture_close(struct fixture *f);

/* Run the self-check: the violations it found (f->report keeps the messages). */
unsigned long fixture_check(struct fixture *f);

/* Some message of the last fixture_check() contains `needle`. */
int fixture_reported(const struct fixture *f, const char *needle);

/* 1 if the self-check finds nothing, else a failure of the calling test
 * naming the first violation. */
int fixture_clean_at(struct fixture *f, const char *file, int line);
#define EXPECT_CLEAN(f) fixture_clean_at((f), __FILE__, __LINE__)

/* The allocator's counter `name` (its stats callback); a failure if it has none. */
uint64_t fixture_stat_at(struct fixture *f, const char *name, const char *file, int line);
#define fixture_stat(f, name) fixture_stat_at((f), (name), __FILE__, __LINE__)

/*
 * A seeded mix longer than the conformance test's: 4000 live slots, 150,000
 * ops, blocks up to 3 MB, realloc and memalign up to 16 KiB alignment.  The
 * first and last byte of every block are checked before it is freed or
 * resized, the self-check runs every 15,000 ops, and everything is freed at
 * the end.  Failures are recorded against the calling test.
 */
void alloc_stress_mix(const struct allocator *a, void *self);

#endif
