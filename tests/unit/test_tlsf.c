/*
 * test_tlsf.c - the TLSF allocator's own edge cases: the two-level mapping at
 * its boundaries, bitmap search across lists and levels, coalescing, growth
 * of the pool at the epilogue, realloc in place, memalign's leading block,
 * trimming, and a self-check that notices deliberate corruption.
 *
 * The tests know the block layout (an 8-byte size word in front of the
 * payload, low bits FREE = 1 and PREV_FREE = 2; a free block's first payload
 * word is its next link, the second its previous link).
 */
#include "test.h"
#include "allocators/allocator.h"
#include "allocators/tlsf.h"
#include "alloc_fixture.h"

#include <stdlib.h>

extern const struct allocator alloc_tlsf;
static const struct allocator *const A = &alloc_tlsf;

static size_t *header_of(void *payload) { return (size_t *)((char *)payload - TLSF_HEADER); }
static size_t hdr_size(void *payload) { return *header_of(payload) & ~(size_t)15; }
static int hdr_free(void *payload) { return (*header_of(payload) & 1) != 0; }
static void *next_payload(void *payload) { return (char *)payload + hdr_size(payload); }
/* A request that yields a block of exactly `block` bytes. */
static size_t request_for(size_t block) { return block - TLSF_HEADER; }

static uint64_t free_blocks(struct fixture *in) { return fixture_stat(in, "free_blocks"); }

/* The smallest block size on list (fl, sl). */
static size_t list_floor(unsigned fl, unsigned sl)
{
	if (fl == 0)
		return (size_t)sl << TLSF_ALIGN_LOG2;
	unsigned t = fl + TLSF_FL_SHIFT - 1;
	return ((size_t)1 << t) + ((size_t)sl << (t - TLSF_SL_LOG2));
}

static unsigned list_index(unsigned fl, unsigned sl) { return fl * TLSF_SL_COUNT + sl; }

/* ---- The mapping ---- */

TEST(tlsf_mapping_small_sizes_are_one_linear_class_of_16_byte_lists)
{
	for (size_t s = TLSF_MIN_BLOCK; s < TLSF_SMALL_LIMIT; s += 16) {
		unsigned fl, sl, sfl, ssl;
		tlsf_mapping_for_test(s, &fl, &sl);
		tlsf_search_mapping_for_test(s, &sfl, &ssl);
		EXPECT_EQ(fl, 0);
		EXPECT_EQ(sl, s / 16);
		EXPECT_EQ(sfl, 0);    /* exact lists: no rounding needed */
		EXPECT_EQ(ssl, s / 16);
	}
	unsigned fl, sl;
	tlsf_mapping_for_test(TLSF_SMALL_LIMIT - 1, &fl, &sl);
	EXPECT_EQ(fl, 0);
	EXPECT_EQ(sl, TLSF_SL_COUNT - 1);
	tlsf_mapping_for_test(TLSF_SMALL_LIMIT, &fl, &sl);
	EXPECT_EQ(fl, 1);
	EXPECT_EQ(sl, 0);
}

TEST(tlsf_mapping_powers_of_two_open_a_level_and_minus_one_closes_the_last)
{
	for (unsigned k = TLSF_FL_SHIFT; k < TLSF_POOL_LOG2; k++) {
		size_t p = (size_t)1 << k;
		unsigned fl, sl;
		tlsf_mapping_for_test(p, &fl, &sl);
		EXPECT_EQ(fl, k - TLSF_FL_SHIFT + 1);
		EXPECT_EQ(sl, 0);
		tlsf_mapping_for_test(p + 1, &fl, &sl);
		EXPECT_EQ(fl, k - TLSF_FL_SHIFT + 1);
		EXPECT_EQ(sl, 0);
		tlsf_mapping_for_test(p - 1, &fl, &sl);
		EXPECT_EQ(fl, k - TLSF_FL_SHIFT);
		EXPECT_EQ(sl, TLSF_SL_COUNT - 1);
		/* The last subdivision of level k starts one step below 2^(k+1). */
		size_t step = p >> TLSF_SL_LOG2;
		tlsf_mapping_for_test(2 * p - step, &fl, &sl);
		EXPECT_EQ(fl, k - TLSF_FL_SHIFT + 1);
		EXPECT_EQ(sl, TLSF_SL_COUNT - 1);
		tlsf_mapping_for_test(2 * p - step - 1, &fl, &sl);
		EXPECT_EQ(sl, TLSF_SL_COUNT - 2);
	}
}

TEST(tlsf_mapping_of_huge_sizes_stays_inside_the_tables)
{
	unsigned fl, sl;
	tlsf_mapping_for_test(TLSF_BLOCK_MAX, &fl, &sl);
	EXPECT_EQ(fl, TLSF_FL_COUNT - 1);
	EXPECT_EQ(sl, 0);
	tlsf_search_mapping_for_test(TLSF_BLOCK_MAX, &fl, &sl);
	EXPECT_EQ(fl, TLSF_FL_COUNT - 1);
	EXPECT_EQ(sl, 0);
	tlsf_search_mapping_for_test(TLSF_BLOCK_MAX + 16, &fl, &sl);
	EXPECT_EQ(fl, TLSF_FL_COUNT - 1);
	EXPECT_EQ(sl, 1);
	/* The largest possible free block: the whole pool. */
	tlsf_mapping_for_test(((size_t)1 << TLSF_POOL_LOG2) - 16, &fl, &sl);
	EXPECT_EQ(fl, TLSF_FL_COUNT - 1);
	EXPECT_EQ(sl, TLSF_SL_COUNT - 1);
}

TEST(tlsf_search_mapping_rounds_up_to_a_list_whose_every_block_fits)
{
	unsigned seed = 7;
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned shift = 5 + (seed >> 8) % 30;
		seed = seed * 1103515245u + 12345u;
		size_t top = (size_t)1 << shift;
		size_t s = ((((size_t)seed << 8) & (top - 1)) | top) & ~(size_t)15;
		unsigned fl, sl, sfl, ssl;
		tlsf_mapping_for_test(s, &fl, &sl);
		tlsf_search_mapping_for_test(s, &sfl, &ssl);
		if (list_floor(sfl, ssl) < s)
			test_fail(__FILE__, __LINE__, "size %zu searched from (%u,%u) at %zu",
			          s, sfl, ssl, list_floor(sfl, ssl));
		/* Exactly one list up, unless s is its list's floor. */
		unsigned want = list_index(fl, sl) + (list_floor(fl, sl) != s);
		if (list_index(sfl, ssl) != want)
			test_fail(__FILE__, __LINE__, "size %zu maps (%u,%u) but searches (%u,%u)",
			          s, fl, sl, sfl, ssl);
		if (test_failures())
			return;
	}
}

TEST(tlsf_block_size_is_header_plus_request_rounded_to_16_at_least_min_block)
{
	EXPECT_EQ(tlsf_block_size_for_test(0), TLSF_MIN_BLOCK);
	EXPECT_EQ(tlsf_block_size_for_test(24), 32);
	EXPECT_EQ(tlsf_block_size_for_test(25), 48);
	EXPECT_EQ(tlsf_block_size_for_test(40), 48);
	EXPECT_EQ(tlsf_block_size_for_test(1000), 1008);
}

TEST(tlsf_malloc_of_impossible_sizes_returns_null_and_leaves_heap_alone)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	EXPECT(A->malloc(in.self, SIZE_MAX) == NULL);
	EXPECT(A->malloc(in.self, TLSF_BLOCK_MAX) == NULL);
	EXPECT(A->memalign(in.self, 4096, SIZE_MAX / 2) == NULL);
	EXPECT(A->realloc(in.self, A->malloc(in.self, 10), SIZE_MAX - 4) == NULL);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

/* ---- Bitmaps and search ---- */

/* A used block of `block` bytes followed by a used guard, so freeing it merges nothing. */
static void *guarded(struct fixture *in, size_t block)
{
	void *p = A->malloc(in->self, request_for(block));
	void *guard = A->malloc(in->self, 16);
	return p && guard ? p : NULL;
}

/* A free block of `block` bytes between two used ones; returns its payload. */
static void *make_free_block(struct fixture *in, size_t block)
{
	void *p = guarded(in, block);
	if (p)
		A->free(in->self, p);
	return p;
}

TEST(tlsf_block_on_the_last_sl_list_of_a_level_sets_both_bitmap_bits_and_is_found)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	size_t block = 2048 - (1024 >> TLSF_SL_LOG2);   /* floor of the last list of 2^10 */
	unsigned fl, sl;
	tlsf_mapping_for_test(block, &fl, &sl);
	REQUIRE(sl == TLSF_SL_COUNT - 1);
	void *p = make_free_block(&in, block);
	REQUIRE(p);
	EXPECT(tlsf_list_head_for_test(in.self, fl, sl) == header_of(p));
	EXPECT(*tlsf_sl_bitmap_for_test(in.self, fl) & (1u << (TLSF_SL_COUNT - 1)));
	EXPECT(*tlsf_fl_bitmap_for_test(in.self) & ((uint64_t)1 << fl));
	EXPECT_CLEAN(&in);
	EXPECT(A->malloc(in.self, request_for(block)) == p);
	EXPECT_EQ(*tlsf_sl_bitmap_for_test(in.self, fl) & (1u << (TLSF_SL_COUNT - 1)), 0);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_search_from_the_last_sl_list_jumps_to_the_next_level)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	/* Bait below the search start in the same level, the target at 2048. */
	void *low = guarded(&in, 1024);
	void *target = guarded(&in, 2048);
	REQUIRE(low && target);
	A->free(in.self, low);
	A->free(in.self, target);
	/* 2032 maps to the last list of 2^10; good fit starts at the next level. */
	unsigned fl, sl, sfl, ssl;
	tlsf_mapping_for_test(2032, &fl, &sl);
	tlsf_search_mapping_for_test(2032, &sfl, &ssl);
	REQUIRE(sl == TLSF_SL_COUNT - 1 && sfl == fl + 1 && ssl == 0);
	EXPECT(A->malloc(in.self, request_for(2032)) == target);
	EXPECT(hdr_free(low));
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_search_takes_a_bigger_class_when_the_exact_one_is_empty_and_splits_it)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *big = make_free_block(&in, 8000);
	REQUIRE(big);
	uint64_t before = free_blocks(&in);
	char *p = A->malloc(in.self, 100);
	EXPECT(p == big);                     /* smallest non-empty class above, not the top */
	EXPECT_EQ(hdr_size(p), tlsf_block_size_for_test(100));
	void *rest = next_payload(p);
	EXPECT(hdr_free(rest));
	EXPECT_EQ(hdr_size(rest), 8000 - tlsf_block_size_for_test(100));
	unsigned fl, sl;
	tlsf_mapping_for_test(hdr_size(rest), &fl, &sl);
	EXPECT(tlsf_list_head_for_test(in.self, fl, sl) == header_of(rest));
	EXPECT_EQ(free_blocks(&in), before);  /* one taken, its tail put back */
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_exact_list_head_is_used_before_growing_when_good_fit_skips_it)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	/* Use up the first chunk entirely so only our block is free. */
	void *fill = A->malloc(in.self, request_for(TLSF_CHUNK - 4096 - 64));
	REQUIRE(fill);
	void *p = A->malloc(in.self, request_for(3040));   /* list [3072-64, 3072): 3008.. */
	void *q = A->malloc(in.self, 16);
	REQUIRE(p && q);
	void *rest = next_payload(q);
	REQUIRE(hdr_free(rest));
	A->malloc(in.self, request_for(hdr_size(rest)));    /* the chunk is now full */
	A->free(in.self, p);
	size_t brk = in.heap.brk;
	/* 3024 rounds up past 3040's list, which is the only free one; it still fits. */
	EXPECT(A->malloc(in.self, request_for(3024)) == p);
	EXPECT_EQ(in.heap.brk, brk);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

/* ---- Coalescing ---- */

struct three {
	char *a, *b, *c, *guard;
	size_t sa, sb, sc;
};

static int three_blocks(struct fixture *in, struct three *t)
{
	t->a = A->malloc(in->self, 100);
	t->b = A->malloc(in->self, 200);
	t->c = A->malloc(in->self, 300);
	t->guard = A->malloc(in->self, 16);
	if (!t->a || !t->b || !t->c || !t->guard)
		return 0;
	t->sa = hdr_size(t->a);
	t->sb = hdr_size(t->b);
	t->sc = hdr_size(t->c);
	return t->b == t->a + t->sa && t->c == t->b + t->sb;
}

TEST(tlsf_free_coalesces_with_the_next_block)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	A->free(in.self, t.b);
	A->free(in.self, t.a);
	EXPECT(hdr_free(t.a));
	EXPECT_EQ(hdr_size(t.a), t.sa + t.sb);
	EXPECT((*header_of(t.c) & 2) != 0);   /* c knows its predecessor is free */
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_free_coalesces_with_the_previous_block)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	A->free(in.self, t.a);
	A->free(in.self, t.b);
	EXPECT(hdr_free(t.a));
	EXPECT_EQ(hdr_size(t.a), t.sa + t.sb);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_free_coalesces_with_both_neighbours_into_one_listed_block)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	A->free(in.self, t.a);
	A->free(in.self, t.c);
	uint64_t two = free_blocks(&in);
	A->free(in.self, t.b);
	EXPECT_EQ(free_blocks(&in), two - 1);
	EXPECT_EQ(hdr_size(t.a), t.sa + t.sb + t.sc);
	unsigned fl, sl;
	tlsf_mapping_for_test(t.sa + t.sb + t.sc, &fl, &sl);
	EXPECT(tlsf_list_head_for_test(in.self, fl, sl) == header_of(t.a));
	EXPECT(A->malloc(in.self, request_for(t.sa + t.sb + t.sc)) == t.a);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_freeing_everything_leaves_one_free_block)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *p[500];
	for (int i = 0; i < 500; i++)
		p[i] = A->malloc(in.self, (size_t)(i * 37) % 700);
	for (int i = 0; i < 500; i += 2)
		A->free(in.self, p[i]);
	for (int i = 499; i > 0; i -= 2)
		A->free(in.self, p[i]);
	EXPECT_EQ(free_blocks(&in), 1);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

/* ---- Growth ---- */

TEST(tlsf_heap_grows_by_the_need_rounded_up_to_a_chunk)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	EXPECT(in.brk0 < 16384);                 /* the state is small */
	void *p = A->malloc(in.self, 100);
	REQUIRE(p);
	EXPECT_EQ(in.heap.brk, in.brk0 + TLSF_CHUNK);
	EXPECT_EQ(in.heap.grow_calls, 2);        /* init, then one chunk */
	for (int i = 0; i < 100; i++)
		A->malloc(in.self, 100);
	EXPECT_EQ(in.heap.grow_calls, 2);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_growth_merges_new_memory_with_a_free_last_block)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *p = A->malloc(in.self, 100);
	REQUIRE(p);
	char *last = next_payload(p);
	REQUIRE(hdr_free(last));
	size_t have = hdr_size(last);
	size_t want = 300000, brk = in.heap.brk;
	char *q = A->malloc(in.self, want);
	EXPECT(q == last);                       /* starts where the free last block did */
	EXPECT_EQ(in.heap.brk - brk, align_up(tlsf_block_size_for_test(want) - have, TLSF_CHUNK));
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_growth_after_a_used_last_block_starts_at_the_old_epilogue)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *p = A->malloc(in.self, request_for(TLSF_CHUNK));
	REQUIRE(p);
	EXPECT_EQ(in.heap.brk, in.brk0 + TLSF_CHUNK);
	EXPECT_EQ(free_blocks(&in), 0);
	char *q = A->malloc(in.self, 100);
	EXPECT(q == p + TLSF_CHUNK);
	EXPECT_EQ(in.heap.brk, in.brk0 + 2 * TLSF_CHUNK);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_refused_growth_returns_null_and_takes_the_exact_need_near_the_limit)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 200000));
	void *p = A->malloc(in.self, 150000);
	REQUIRE(p);                              /* chunk rounding would pass the limit */
	EXPECT(in.heap.brk <= 200000);
	EXPECT(A->malloc(in.self, 100000) == NULL);
	EXPECT(A->realloc(in.self, p, 250000) == NULL);
	EXPECT(A->realloc(in.self, p, 190000) == p);     /* the exact need still fits */
	EXPECT_CLEAN(&in);
	void *q = A->malloc(in.self, 1000);
	EXPECT(q != NULL);
	A->free(in.self, p);
	EXPECT(A->malloc(in.self, 180000) != NULL);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_large_free_last_block_is_trimmed_without_thrashing)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *small = A->malloc(in.self, 64);
	void *big = A->malloc(in.self, 4 << 20);
	REQUIRE(small && big);
	A->free(in.self, big);
	EXPECT_EQ(in.heap.shrink_calls, 1);
	EXPECT(in.heap.brk <= in.brk0 + 2 * TLSF_CHUNK);
	EXPECT_CLEAN(&in);
	for (int i = 0; i < 20; i++) {
		big = A->malloc(in.self, 4 << 20);
		REQUIRE(big);
		A->free(in.self, big);
	}
	EXPECT(in.heap.shrink_calls <= 4);      /* the threshold rises past the loop's size */
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_realloc_shrinking_a_huge_last_block_gives_memory_back)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *p = A->malloc(in.self, 8 << 20);
	REQUIRE(p);
	p[0] = 42;
	EXPECT(A->realloc(in.self, p, 100) == p);
	EXPECT_EQ(in.heap.shrink_calls, 1);
	EXPECT(in.heap.brk <= in.brk0 + 2 * TLSF_CHUNK);
	EXPECT_EQ(p[0], 42);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

/* ---- realloc ---- */

TEST(tlsf_realloc_shrinks_in_place_and_frees_the_tail)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *p = A->malloc(in.self, 1000);
	void *guard = A->malloc(in.self, 16);
	REQUIRE(p && guard);
	memset(p, 7, 1000);
	EXPECT(A->realloc(in.self, p, 100) == p);
	EXPECT_EQ(hdr_size(p), tlsf_block_size_for_test(100));
	EXPECT(hdr_free(next_payload(p)));
	EXPECT_EQ(p[99], 7);
	/* realloc(p, 0) keeps a minimum block */
	EXPECT(A->realloc(in.self, p, 0) == p);
	EXPECT_EQ(hdr_size(p), TLSF_MIN_BLOCK);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_realloc_grows_in_place_into_a_free_next_block)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	memset(t.a, 3, 100);
	A->free(in.self, t.b);
	EXPECT(A->realloc(in.self, t.a, 200) == t.a);
	EXPECT(hdr_free(next_payload(t.a)));     /* what is left of b stays free */
	EXPECT(A->realloc(in.self, t.a, t.sa + t.sb - TLSF_HEADER) == t.a);
	EXPECT(next_payload(t.a) == t.c);
	EXPECT_EQ((*header_of(t.c) & 2), 0);     /* c's predecessor is used again */
	EXPECT_EQ(t.a[99], 3);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_realloc_of_the_last_block_extends_the_heap_in_place)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *p = A->malloc(in.self, 100);
	REQUIRE(p);
	memset(p, 9, 100);
	size_t calls = in.heap.grow_calls;
	/* Free last block after p, then the break: extend through both. */
	EXPECT(A->realloc(in.self, p, 500000) == p);
	EXPECT_EQ(in.heap.grow_calls, calls + 1);
	/* Now p is the last block and the tail after it is free or absent: again. */
	EXPECT(A->realloc(in.self, p, 2000000) == p);
	EXPECT_EQ(p[99], 9);
	EXPECT(in.heap.brk < in.brk0 + 2000000 + 2 * TLSF_CHUNK);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_realloc_moves_when_boxed_in_and_frees_the_old_block)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	memset(t.b, 5, 200);
	char *q = A->realloc(in.self, t.b, 5000);
	EXPECT(q != t.b);
	EXPECT(hdr_free(t.b));
	EXPECT_EQ(q[0], 5);
	EXPECT_EQ(q[199], 5);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

/* ---- memalign ---- */

TEST(tlsf_memalign_leaves_its_leading_gap_as_a_free_block_that_merges_back)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *first = A->malloc(in.self, 10);
	REQUIRE(first);
	for (size_t align = 32; align <= ((size_t)1 << 20); align <<= 1) {
		char *p = A->memalign(in.self, align, 100);
		REQUIRE(p);
		EXPECT_EQ((uintptr_t)p % align, 0);
		EXPECT(hdr_size(p) < tlsf_block_size_for_test(100) + TLSF_MIN_BLOCK);
		EXPECT_CLEAN(&in);
		A->free(in.self, p);
		EXPECT_EQ(free_blocks(&in), 1);  /* gap, block and tail became one again */
	}
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tlsf_memalign_never_leaves_a_leading_gap_smaller_than_a_block)
{
	/* Put the free block's payload at every 16-byte offset modulo the alignment. */
	for (size_t shift = 0; shift < 64; shift += 16) {
		struct fixture in;
		REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
		char *first = A->malloc(in.self, 10);
		REQUIRE(first);
		A->free(in.self, first);
		size_t block = TLSF_MIN_BLOCK + ((shift - (uintptr_t)first - TLSF_MIN_BLOCK) & 63);
		REQUIRE(A->malloc(in.self, request_for(block)) == first);
		char *w = next_payload(first);
		REQUIRE(hdr_free(w) && (uintptr_t)w % 64 == shift);
		char *p = A->memalign(in.self, 64, 100);
		REQUIRE(p);
		EXPECT_EQ((uintptr_t)p % 64, 0);
		size_t gap = (size_t)(p - w);
		if (gap && gap < TLSF_MIN_BLOCK)
			test_fail(__FILE__, __LINE__, "gap of %zu bytes at shift %zu", gap, shift);
		if (gap)
			EXPECT(hdr_free(w) && hdr_size(w) == gap);
		EXPECT_CLEAN(&in);
		fixture_close(&in);
	}
}

/* ---- The self-check notices corruption ---- */

TEST(tlsf_check_detects_a_flipped_sl_bitmap_bit)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *p = make_free_block(&in, 1024);
	REQUIRE(p);
	EXPECT_CLEAN(&in);
	unsigned fl, sl;
	tlsf_mapping_for_test(1024, &fl, &sl);
	*tlsf_sl_bitmap_for_test(in.self, fl) ^= 1u << sl;
	EXPECT(fixture_check(&in) >= 1);
	fixture_close(&in);
}

TEST(tlsf_check_detects_a_flipped_fl_bitmap_bit)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(A->malloc(in.self, 10));
	EXPECT_CLEAN(&in);
	*tlsf_fl_bitmap_for_test(in.self) ^= (uint64_t)1 << (TLSF_FL_COUNT - 1);
	EXPECT(fixture_check(&in) >= 1);
	fixture_close(&in);
}

TEST(tlsf_check_detects_a_broken_list_link)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *a = guarded(&in, 1024);
	void *b = guarded(&in, 1024);
	REQUIRE(a && b);
	A->free(in.self, a);
	A->free(in.self, b);
	EXPECT_CLEAN(&in);
	/* b is the head (LIFO); its next link (first payload word) should be a. */
	REQUIRE(*(void **)b == header_of(a));
	*(void **)b = NULL;
	EXPECT(fixture_check(&in) >= 1);
	fixture_close(&in);
}

TEST(tlsf_check_detects_a_wrong_prev_free_bit_and_back_pointer)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	A->free(in.self, t.b);
	EXPECT_CLEAN(&in);
	*header_of(t.c) &= ~(size_t)2;
	EXPECT(fixture_check(&in) >= 1);
	*header_of(t.c) |= 2;
	EXPECT_CLEAN(&in);
	((void **)t.c)[-2] = t.a;                /* b's back pointer, just below c's header */
	EXPECT(fixture_check(&in) >= 1);
	fixture_close(&in);
}

TEST(tlsf_check_detects_a_bad_size_and_uncoalesced_neighbours)
{
	struct fixture in;
	struct three t;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	REQUIRE(three_blocks(&in, &t));
	size_t saved = *header_of(t.b);
	*header_of(t.b) += 16;
	EXPECT(fixture_check(&in) >= 1);
	*header_of(t.b) = saved;
	EXPECT_CLEAN(&in);
	A->free(in.self, t.a);
	*header_of(t.b) |= 1;                    /* "free" but on no list, next to a free block */
	EXPECT(fixture_check(&in) >= 2);
	fixture_close(&in);
}
