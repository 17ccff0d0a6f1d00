/*
 * test_segregated.c - what is segregated's own on the segregated-fits engine
 * (test_segfit.c holds it, and compact, to the engine's edge cases): the
 * utilization its bounded best-fit scan and chunked growth reach on the
 * CS:APP binary patterns.
 */
#include "segfit_fixture.h"

static const struct allocator *const A = &alloc_segregated;

TEST(segregated_binary_pattern_with_the_small_blocks_freed_stays_above_90_percent)
{
	unsigned long u = binary_pattern(A, 0);   /* measured: 936 */
	if (u < 900)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 900", u);
}

TEST(segregated_binary_pattern_with_the_large_blocks_freed_stays_above_85_percent)
{
	unsigned long u = binary_pattern(A, 1);   /* measured: 894 (94.7% is perfect packing) */
	if (u < 850)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 850", u);
}

/* ---- the policy: a bounded best-fit scan, growth by chunks ---- */

TEST(segregated_best_fit_looks_at_the_first_16_nodes_of_a_range_bin)
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
	/* b[0] (1232 bytes) is 24th on the list: the best of the first 16 wins. */
	char *p = A->malloc(s.self, req_for(1232));
	EXPECT(p != NULL && p != b[0]);
	EXPECT_EQ(block_of(p), 1248);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

TEST(segregated_a_mid_size_request_grows_the_heap_by_a_chunk)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	REQUIRE(A->malloc(s.self, 5000));      /* the heap now ends in an allocated block */
	size_t brk = s.heap.brk;
	REQUIRE(A->malloc(s.self, 600));
	EXPECT(s.heap.brk - brk >= 1024);      /* a chunk, not 608 bytes */
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}
