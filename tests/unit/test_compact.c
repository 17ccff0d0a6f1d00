/*
 * test_compact.c - what the memory-first design does differently from
 * segregated on the same engine (test_segfit.c holds both to the engine's
 * edge cases): true best fit in range bins, exact growth for mid-size blocks
 * and chunked growth for small ones, and the CS:APP binary patterns packed
 * tighter than segregated packs them.
 */
#include "segfit_fixture.h"

static const struct allocator *const A = &alloc_compact;

TEST(compact_binary_pattern_with_the_small_blocks_freed_stays_above_95_percent)
{
	unsigned long u = binary_pattern(A, 0);   /* measured: 955 (segregated: 936) */
	if (u < 950)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 950", u);
}

TEST(compact_binary_pattern_with_the_large_blocks_freed_stays_above_92_percent)
{
	unsigned long u = binary_pattern(A, 1);   /* measured: 927 (segregated: 894; 947 is perfect) */
	if (u < 920)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 920", u);
}

/* ---- what compact does differently ---- */

TEST(compact_best_fit_scans_a_whole_range_bin)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	/* 24 free blocks of one range bin, the smallest that fits last on its list. */
	enum { N = 24 };
	void *b[N];
	for (int i = 0; i < N; i++)
		b[i] = isolated(&s, 1280 - (size_t)(i % 3) * 16 - (i == 0 ? 48 : 0));
	for (int i = 0; i < N; i++)
		A->free(s.self, b[i]);
	/* b[0] (1232 bytes) went on the list first, so it is last: still chosen. */
	EXPECT(A->malloc(s.self, req_for(1232)) == b[0]);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

TEST(compact_a_mid_size_request_grows_the_heap_by_exactly_its_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	REQUIRE(A->malloc(s.self, 5000));      /* the heap now ends in an allocated block */
	size_t brk = s.heap.brk;
	REQUIRE(A->malloc(s.self, 600));
	EXPECT_EQ(s.heap.brk - brk, block_size_for(600));
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

TEST(compact_a_small_request_grows_the_heap_by_a_chunk_and_takes_its_top)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	REQUIRE(A->malloc(s.self, 5000));
	size_t brk = s.heap.brk;
	char *p = A->malloc(s.self, 40);
	REQUIRE(p);
	EXPECT(s.heap.brk - brk >= 1024);      /* a chunk, not 48 bytes */
	EXPECT(p + 40 + 8 >= s.heap.base + s.heap.brk - 8);   /* at the chunk's top */
	/* A mid-size block then comes from the chunk's low end, below the small one. */
	char *m = A->malloc(s.self, 300);
	EXPECT(m != NULL && m < p);
	EXPECT_EQ(s.heap.brk - brk >= 1024, 1);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}
