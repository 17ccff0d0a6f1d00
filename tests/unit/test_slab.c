/*
 * test_slab.c - size-class slabs with a boundary-tag fallback
 * (allocators/slab.c): class boundaries and the waste bound, objects of a class
 * sharing a slab, slabs reused across classes, large requests in chunks that
 * coalesce and go back to the pool, realloc/memalign rules, and a self-check
 * that notices corruption.
 *
 * Layout facts the tests rely on (stated in slab.c's header): slabs are 64 KiB
 * units aligned to 64 KiB with objects from the unit's first byte; unit 0
 * holds the state; large blocks have a 16-byte header {size | in-use, size of
 * the block before}.
 */
#include "test.h"
#include "allocators/allocator.h"
#include "alloc_fixture.h"

#include <stdio.h>
#include <stdlib.h>

extern const struct allocator alloc_slab;
static const struct allocator *const A = &alloc_slab;

#define UNIT ((size_t)1 << 16)

static uintptr_t unit_of(const void *p) { return (uintptr_t)p & ~(uintptr_t)(UNIT - 1); }

TEST(slab_sizes_map_to_the_documented_classes)
{
	static const size_t size[]  = { 0, 1, 16, 17, 32, 33, 127, 128, 129, 160, 161, 255, 256,
	                                257, 511, 512, 513, 1024, 1025, 1500, 2047, 2048 };
	static const size_t class[] = { 16, 16, 16, 32, 32, 48, 128, 128, 160, 160, 192, 256, 256,
	                                320, 512, 512, 640, 1024, 1280, 1536, 2048, 2048 };
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	for (size_t i = 0; i < sizeof size / sizeof size[0]; i++) {
		void *p = A->malloc(f.self, size[i]);
		REQUIRE(p);
		if (A->usable_size(f.self, p) != class[i])
			test_fail(__FILE__, __LINE__, "size %zu: usable %zu, class %zu", size[i],
			          A->usable_size(f.self, p), class[i]);
	}
	EXPECT_EQ(fixture_stat(&f, "live_large"), 0);
	EXPECT_CLEAN(&f);
}

/*
 * Up to 128 classes are 16 apart: at most 15 bytes lost.  Above, a class is
 * 2^k + j*2^k/4, so a request one byte over the previous class loses less than
 * a quarter of itself; the worst is 1025 -> 1280, 255/1025 (24.9%).
 */
TEST(slab_waste_bound_holds_for_every_small_size)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	double worst = 0;
	size_t worst_size = 0;
	for (size_t size = 1; size <= 2048; size++) {
		void *p = A->malloc(f.self, size);
		REQUIRE(p);
		size_t u = A->usable_size(f.self, p);
		if (u < size || (size <= 128 && u - size > 15) || (size > 128 && 4 * (u - size) >= size))
			test_fail(__FILE__, __LINE__, "size %zu gets %zu bytes", size, u);
		if (size > 128 && (double)(u - size) / (double)size > worst) {
			worst = (double)(u - size) / (double)size;
			worst_size = size;
		}
		A->free(f.self, p);
	}
	EXPECT_EQ(worst_size, 1025);
	EXPECT(worst > 0.2487 && worst < 0.2488);   /* 255/1025 */
	EXPECT_CLEAN(&f);
}

TEST(slab_objects_of_one_class_come_from_one_slab)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	char *first = A->malloc(f.self, 100);         /* class 112: 584 per slab */
	REQUIRE(first);
	EXPECT_EQ(unit_of(first), (uintptr_t)first); /* objects start at the slab start */
	for (int i = 1; i < 584; i++) {
		char *p = A->malloc(f.self, 100);
		REQUIRE(p);
		EXPECT_EQ(unit_of(p), unit_of(first));
		EXPECT_EQ((size_t)(p - first), (size_t)i * 112);
	}
	EXPECT_EQ(fixture_stat(&f, "slabs"), 1);
	char *next = A->malloc(f.self, 100);          /* slab full: a second one */
	EXPECT(unit_of(next) != unit_of(first));
	EXPECT_EQ(fixture_stat(&f, "slabs"), 2);
	EXPECT_CLEAN(&f);
}

TEST(slab_emptied_slab_is_reused_by_another_class)
{
	enum { PER = 1364 };                          /* class 48: (64K - 64) / 48 */
	static void *p[PER + 10];
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	for (int i = 0; i < PER + 10; i++)
		REQUIRE((p[i] = A->malloc(f.self, 40)));
	EXPECT(unit_of(p[0]) == unit_of(p[PER - 1]));
	EXPECT(unit_of(p[PER]) != unit_of(p[0]));
	size_t brk = f.heap.brk;
	for (int i = 0; i < PER; i++)                 /* empty the first slab */
		A->free(f.self, p[i]);
	EXPECT_EQ(fixture_stat(&f, "slabs"), 1);
	EXPECT_EQ(fixture_stat(&f, "slabs_released"), 1);
	EXPECT_CLEAN(&f);
	void *q = A->malloc(f.self, 1000);           /* another class takes the unit */
	EXPECT_EQ(unit_of(q), unit_of(p[0]));
	EXPECT_EQ(f.heap.brk, brk);
	void *big = A->malloc(f.self, 5000);         /* ... and so could the large path */
	EXPECT(big != NULL);
	EXPECT_CLEAN(&f);
}

TEST(slab_a_class_keeps_its_only_slab_when_it_empties)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	void *p = A->malloc(f.self, 24);
	size_t brk = f.heap.brk;
	A->free(f.self, p);
	EXPECT_EQ(fixture_stat(&f, "slabs"), 1);
	EXPECT_CLEAN(&f);
	void *q = A->malloc(f.self, 24);
	EXPECT(q == p);
	EXPECT_EQ(f.heap.brk, brk);
}

TEST(slab_idle_slabs_are_reaped_before_the_heap_grows)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	void *p = A->malloc(f.self, 24);
	A->free(f.self, p);
	EXPECT_EQ(fixture_stat(&f, "idle_slabs"), 1);
	size_t brk = f.heap.brk;
	char *big = A->malloc(f.self, 5000);         /* needs a unit: takes the idle slab's */
	REQUIRE(big);
	EXPECT_EQ(unit_of(big), unit_of(p));
	EXPECT_EQ(f.heap.brk, brk);
	EXPECT_EQ(fixture_stat(&f, "idle_slabs"), 0);
	EXPECT_EQ(fixture_stat(&f, "slabs"), 0);
	EXPECT_CLEAN(&f);
}

TEST(slab_phase_change_reuses_units_instead_of_growing)
{
	enum { N = 10000 };
	static void *p[N];
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	for (int i = 0; i < N; i++)
		REQUIRE((p[i] = A->malloc(f.self, 200)));
	for (int i = 0; i < N; i++)
		A->free(f.self, p[i]);
	size_t peak = f.heap.peak_brk;
	EXPECT_CLEAN(&f);
	for (int i = 0; i < N; i++)                   /* other classes, less memory */
		REQUIRE((p[i] = A->malloc(f.self, i % 2 ? 40 : 150)));
	EXPECT_EQ(f.heap.peak_brk, peak);
	EXPECT_CLEAN(&f);
}

TEST(slab_large_requests_take_the_fallback_and_coalesce)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	char *a = A->malloc(f.self, 3000), *b = A->malloc(f.self, 3000), *c = A->malloc(f.self, 3000);
	REQUIRE(a && b && c);
	EXPECT_EQ(fixture_stat(&f, "live_large"), 3);
	EXPECT_EQ(fixture_stat(&f, "slabs"), 0);
	EXPECT_EQ(fixture_stat(&f, "chunks"), 1);
	EXPECT(A->usable_size(f.self, a) >= 3000 && A->usable_size(f.self, a) < 3000 + 16);
	EXPECT(b == a + 3024 && c == b + 3024);      /* 16-byte header, 16-byte rounding */
	EXPECT_EQ(fixture_stat(&f, "free_large"), 1);        /* the rest of the chunk */
	A->free(f.self, a);
	EXPECT_EQ(fixture_stat(&f, "free_large"), 2);
	A->free(f.self, c);                          /* merges with the rest */
	EXPECT_EQ(fixture_stat(&f, "free_large"), 2);
	EXPECT_CLEAN(&f);
	A->free(f.self, b);                          /* both sides: the chunk is free */
	EXPECT_EQ(fixture_stat(&f, "free_large"), 0);
	EXPECT_EQ(fixture_stat(&f, "chunks"), 0);
	EXPECT_CLEAN(&f);
	char *d = A->malloc(f.self, 3000);           /* the same memory again */
	EXPECT(d == a);
}

TEST(slab_large_chunk_at_the_end_grows_under_a_growing_block)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	char *p = A->malloc(f.self, 10000);
	REQUIRE(p);
	memset(p, 3, 10000);
	char *q = A->realloc(f.self, p, 200000);     /* absorbs free tail, then new units */
	EXPECT(q == p);
	EXPECT_EQ(q[9999], 3);
	EXPECT(A->usable_size(f.self, q) >= 200000);
	EXPECT_EQ(fixture_stat(&f, "chunks"), 1);
	EXPECT(A->realloc(f.self, q, 150000) == q);  /* shrink in place */
	EXPECT_CLEAN(&f);
	A->free(f.self, q);
	EXPECT_EQ(fixture_stat(&f, "chunks"), 0);
	EXPECT_CLEAN(&f);
}

TEST(slab_realloc_stays_within_a_class_and_moves_across)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	char *p = A->malloc(f.self, 130);
	memset(p, 9, 130);
	EXPECT(A->realloc(f.self, p, 160) == p);
	EXPECT(A->realloc(f.self, p, 129) == p);
	char *q = A->realloc(f.self, p, 161);
	EXPECT(q != p);
	EXPECT_EQ(A->usable_size(f.self, q), 192);
	EXPECT_EQ(q[128], 9);
	EXPECT_CLEAN(&f);
}

TEST(slab_memalign_uses_a_class_whose_objects_are_aligned)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	void *a = A->memalign(f.self, 32, 40);       /* 48 is not 32-aligned: 64 is */
	EXPECT_EQ((uintptr_t)a % 32, 0);
	EXPECT_EQ(A->usable_size(f.self, a), 64);
	void *b = A->memalign(f.self, 1024, 1);
	EXPECT_EQ((uintptr_t)b % 1024, 0);
	EXPECT_EQ(A->usable_size(f.self, b), 1024);
	void *c = A->memalign(f.self, 4096, 100);    /* beyond the classes: large, aligned */
	EXPECT_EQ((uintptr_t)c % 4096, 0);
	EXPECT_EQ(fixture_stat(&f, "live_large"), 1);
	void *d = A->memalign(f.self, (size_t)1 << 20, 5000);
	EXPECT_EQ((uintptr_t)d % ((size_t)1 << 20), 0);
	EXPECT_CLEAN(&f);
	A->free(f.self, c);
	A->free(f.self, d);
	EXPECT_EQ(fixture_stat(&f, "chunks"), 0);            /* the leading gaps were not leaked */
	EXPECT_CLEAN(&f);
}

TEST(slab_check_catches_a_corrupted_free_list)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	char *a = A->malloc(f.self, 64), *b = A->malloc(f.self, 64), *c = A->malloc(f.self, 64);
	REQUIRE(a && b && c);
	A->free(f.self, a);
	A->free(f.self, b);                          /* free list: b -> a */
	REQUIRE(fixture_check(&f) == 0);
	*(char **)b = c + 8;                         /* next -> not an object boundary */
	EXPECT(fixture_check(&f) >= 1);
	*(char **)b = b;                             /* a cycle */
	EXPECT(fixture_check(&f) >= 1);
	*(char **)b = a;
	EXPECT_CLEAN(&f);
	*(char **)a = c;                             /* a live object appended to the list */
	EXPECT(fixture_check(&f) >= 1);                 /* (list longer than the free count) */
}

TEST(slab_check_catches_a_corrupted_large_header)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	char *a = A->malloc(f.self, 5000), *b = A->malloc(f.self, 5000);
	REQUIRE(a && b);
	REQUIRE(fixture_check(&f) == 0);
	size_t *hdr = (size_t *)(b - 16);
	hdr[1] += 16;                                /* size of the block before: wrong */
	EXPECT(fixture_check(&f) >= 1);
	hdr[1] -= 16;
	hdr[0] &= ~(size_t)1;                        /* claims to be free, is on no list */
	EXPECT(fixture_check(&f) >= 1);
}

TEST(slab_everything_freed_leaves_only_idle_slabs_and_free_units)
{
	enum { N = 5000 };
	static void *p[N];
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	srand(11);
	for (int i = 0; i < N; i++) {
		size_t size = (i % 50 == 0) ? (size_t)rand() % 300000 : (size_t)rand() % 4000;
		p[i] = (i % 17 == 0) ? A->memalign(f.self, (size_t)32 << (i % 9), size)
		                     : A->malloc(f.self, size);
		REQUIRE(p[i]);
	}
	EXPECT_CLEAN(&f);
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1);
		void *t = p[i]; p[i] = p[j]; p[j] = t;
	}
	for (int i = 0; i < N; i++)
		A->free(f.self, p[i]);
	EXPECT_EQ(fixture_stat(&f, "live_objects"), 0);
	EXPECT_EQ(fixture_stat(&f, "live_large"), 0);
	EXPECT_EQ(fixture_stat(&f, "chunks"), 0);
	EXPECT(fixture_stat(&f, "slabs") <= 24);             /* at most one idle slab per class */
	EXPECT_CLEAN(&f);
}

/* A longer seeded mix than the conformance test: more live blocks, big ones, realloc. */
TEST(slab_random_workload_keeps_payloads_and_passes_periodic_self_checks)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, 0, 0));
	alloc_stress_mix(A, f.self);
}

/*
 * The first map (in unit 0) describes 3 GiB of heap; past that it moves to a
 * bigger run of units at the end of the heap (8 GiB the first time), and the
 * old run is freed when it moves again.  Only headers are touched, so the big
 * blocks cost no memory.
 */
TEST(slab_map_grows_past_the_first_3_gib)
{
	struct fixture f;
	REQUIRE(fixture_open(&f, A, (size_t)16 << 30, 0));
	void *self = f.self;
	struct heap *h = &f.heap;
	size_t big = (size_t)7 << 29;                          /* 3.5 GiB */
	char *a = A->malloc(self, big);
	REQUIRE(a);
	EXPECT(h->brk > big);
	char *small = A->malloc(self, 100);                   /* a slab past 3.5 GiB */
	REQUIRE(small);
	EXPECT((size_t)(small - h->base) > big);
	EXPECT_CLEAN(&f);
	char *b = A->malloc(self, big), *c = A->malloc(self, big);   /* 10.5 GiB: moves again */
	REQUIRE(b && c);
	EXPECT_CLEAN(&f);
	A->free(self, a);
	A->free(self, b);
	A->free(self, c);
	A->free(self, small);
	EXPECT_CLEAN(&f);
	size_t brk = h->brk;
	char *d = A->malloc(self, 2 * big);                    /* the freed low units, old map too */
	EXPECT(d != NULL && d <= a);
	EXPECT_EQ(h->brk, brk);
	EXPECT_CLEAN(&f);
	fixture_close(&f);
}
