/*
 * test_segfit.c - the segregated-fits engine (allocators/segfit.c), held to
 * its edge cases under both designs built on it, segregated and compact:
 * size classes, splitting, coalescing, in-place realloc, the bitmap, the
 * tiny-block cache, limits, and a self-check that catches deliberate
 * corruption.  Each SEGFIT_TEST runs once per design, as
 * segregated_NAME and compact_NAME; what differs between them (how far a
 * best-fit scan goes, how the heap grows, the utilization each reaches) is
 * in test_segregated.c and test_compact.c.
 */
#include "segfit_fixture.h"

/* One case, registered for each design; A is the design's table. */
#define SEGFIT_TEST(name)                                                   \
	static void case_##name(const struct allocator *A);                 \
	TEST(segregated_##name) { case_##name(&alloc_segregated); }         \
	TEST(compact_##name) { case_##name(&alloc_compact); }               \
	static void case_##name(const struct allocator *A)

SEGFIT_TEST(bin_edges_split_where_the_classes_do)
{
	/* Exact bins every 16 bytes below 512, then four per power of two. */
	EXPECT_EQ(segfit_bin_of_for_test(32), 2);
	EXPECT_EQ(segfit_bin_of_for_test(48), 3);
	EXPECT_EQ(segfit_bin_of_for_test(496), 31);
	EXPECT_EQ(segfit_bin_of_for_test(512), 32);
	EXPECT_EQ(segfit_bin_of_for_test(624), 32);
	EXPECT_EQ(segfit_bin_of_for_test(640), 33);
	EXPECT_EQ(segfit_bin_of_for_test(1008), 35);
	EXPECT_EQ(segfit_bin_of_for_test(1024), 36);
	EXPECT_EQ(segfit_bin_of_for_test(1280), 37);
	EXPECT_EQ(segfit_bin_of_for_test((size_t)1 << 20), 32 + 11 * 4);
	EXPECT_EQ(segfit_bin_of_for_test(((size_t)1 << 20) - 16), 32 + 10 * 4 + 3);
	EXPECT_EQ(segfit_bin_of_for_test((size_t)1 << 33), 127);   /* the last bin takes the rest */
	EXPECT_EQ(segfit_bin_of_for_test((size_t)1 << 35), 127);
	for (size_t size = 32; size < ((size_t)1 << 24); size += 16)
		if (segfit_bin_of_for_test(size) > segfit_bin_of_for_test(size + 16) ||
		    segfit_bin_of_for_test(size + 16) > segfit_bin_of_for_test(size) + 1) {
			test_fail(__FILE__, __LINE__, "bins not monotonic and dense at %zu", size);
			break;
		}
}

SEGFIT_TEST(blocks_at_each_class_edge_land_in_and_come_back_from_their_bin)
{
	static const size_t edges[] = { 32, 128, 496, 512, 640, 768, 896, 1024, 1280, 2048,
	                                4096, 65536, 1 << 20 };
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
		for (size_t block = edges[e] - 16; block <= edges[e] + 16; block += 16) {
			if (block < 32)
				continue;
			void *x = isolated(&s, block);
			REQUIRE(x);
			if (block_of(x) == block + 16)
				x = isolated(&s, block);  /* it absorbed a 16-byte tail; next one is exact */
			EXPECT_EQ(block_of(x), block);
			A->free(s.self, x);
			if (block < 256) {
				EXPECT_EQ(segfit_cached_for_test(s.self, x), (int)(block / 16));
				EXPECT_EQ(segfit_bin_holding_for_test(s.self, x), -1);
				segfit_flush_for_test(s.self);
				EXPECT_EQ(segfit_cached_for_test(s.self, x), -1);
			}
			EXPECT_EQ(segfit_bin_holding_for_test(s.self, x), segfit_bin_of_for_test(block));
			EXPECT(bit(&s, segfit_bin_of_for_test(block)));
			EXPECT_CLEAN(&s);
			void *again = A->malloc(s.self, req_for(block));
			EXPECT(again == x);
			EXPECT_EQ(segfit_bin_holding_for_test(s.self, x), -1);
		}
	}
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(best_fit_takes_the_smallest_block_that_fits_in_a_range_bin)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	/* All three share the bin [1024, 1280). */
	void *big = isolated(&s, 1248), *fit = isolated(&s, 1056), *mid = isolated(&s, 1152);
	void *small = isolated(&s, 1024);
	REQUIRE(big && fit && mid && small);
	A->free(s.self, big);
	A->free(s.self, fit);
	A->free(s.self, mid);
	A->free(s.self, small);        /* too small for the request: must be skipped */
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, fit), segfit_bin_of_for_test(1040));
	void *p = A->malloc(s.self, req_for(1040));
	EXPECT(p == fit);
	EXPECT_EQ(block_of(p), 1056);  /* 16 left over is too small to split */
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(split_keeps_the_low_end_for_big_requests_and_bins_the_rest)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 2048);
	REQUIRE(x);
	A->free(s.self, x);
	void *p = A->malloc(s.self, req_for(1024));
	EXPECT(p == x);
	EXPECT_EQ(block_of(p), 1024);
	void *rest = (char *)x + 1024;
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, rest), segfit_bin_of_for_test(1024));
	EXPECT_EQ(block_of(rest), 1024);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(low_split_that_stays_in_its_bin_keeps_the_list_order)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	/* Two 8176-byte free blocks in range bin [7168, 8192): y (lower) then x. */
	void *y = isolated(&s, 8176), *x = isolated(&s, 8176);
	REQUIRE(x && y && (char *)y < (char *)x);
	A->free(s.self, y);
	A->free(s.self, x);                               /* list: x -> y */
	unsigned bin = segfit_bin_of_for_test(8176);
	REQUIRE(segfit_bin_of_for_test(8176 - 528) == bin);
	char *first = segfit_bin_first_for_test(s.self, bin);
	REQUIRE(first == (char *)x - 8);
	/* Best fit, lower address among equals: y; the rest takes its place. */
	void *p = A->malloc(s.self, 520);
	EXPECT(p == y);
	EXPECT_EQ(block_of(p), 528);
	char *rest = (char *)y - 8 + 528;
	EXPECT(segfit_bin_first_for_test(s.self, bin) == first);
	EXPECT(*(char **)(first + 8) == rest);            /* x's next link */
	EXPECT(*(char **)(rest + 16) == first);           /* the rest's prev link */
	EXPECT_EQ(*(size_t *)rest & ~(size_t)15, 8176 - 528);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(split_carves_small_requests_from_the_high_end)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 2048);
	REQUIRE(x);
	A->free(s.self, x);
	void *p = A->malloc(s.self, 40);                 /* a 48-byte block */
	EXPECT(p == (char *)x + 2048 - 48);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, x), segfit_bin_of_for_test(2000));
	EXPECT_EQ(block_of(x), 2000);
	EXPECT_EQ(*header(p) & 3, 1);                     /* allocated, previous free */
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(free_coalesces_with_the_next_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264), *d = A->malloc(s.self, 264);
	REQUIRE(a && b && c && d && (char *)c == (char *)b + 272);
	A->free(s.self, c);
	A->free(s.self, b);
	EXPECT_EQ(block_of(b), 544);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, b), segfit_bin_of_for_test(544));
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, c), -1);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(free_coalesces_with_the_previous_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264), *d = A->malloc(s.self, 264);
	REQUIRE(a && b && c && d);
	A->free(s.self, b);
	A->free(s.self, c);
	EXPECT_EQ(block_of(b), 544);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, b), segfit_bin_of_for_test(544));
	EXPECT_EQ(*header(d) & 2, 0);                     /* d knows its left side is free */
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(free_coalesces_both_sides_at_once)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264), *d = A->malloc(s.self, 264);
	void *e = A->malloc(s.self, 264);
	REQUIRE(a && b && c && d && e);
	A->free(s.self, b);
	A->free(s.self, d);
	EXPECT_EQ(fixture_check(&s), 0);
	A->free(s.self, c);
	EXPECT_EQ(block_of(b), 3 * 272);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, b), segfit_bin_of_for_test(3 * 272));
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, d), -1);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(realloc_grows_into_a_free_next_block_in_place)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	char *a = A->malloc(s.self, 500);
	void *b = A->malloc(s.self, 1000), *guard = A->malloc(s.self, 300);
	REQUIRE(a && b && guard);
	for (int i = 0; i < 500; i++)
		a[i] = (char)i;
	A->free(s.self, b);
	size_t brk = s.heap.brk;
	char *q = A->realloc(s.self, a, 1200);
	EXPECT(q == a);
	EXPECT_EQ(s.heap.brk, brk);
	int bad = 0;
	for (int i = 0; i < 500; i++)
		bad += q[i] != (char)i;
	EXPECT_EQ(bad, 0);
	/* 512 + 1008 = 1520 bytes; 1208 are kept, 304 go back to a bin. */
	EXPECT_EQ(block_of(q), 1216);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, q + 1216), segfit_bin_of_for_test(304));
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(realloc_at_the_top_extends_the_break_by_the_difference)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	char *p = A->malloc(s.self, 100000 - 8);   /* exactly a 100000-byte block, no slack */
	REQUIRE(p);
	EXPECT(p + 100000 - 8 + 8 == heap_break(&s.heap));
	size_t brk = s.heap.brk;
	uint64_t calls = s.heap.calls;
	p[0] = 42;
	char *q = A->realloc(s.self, p, 200000 - 8);
	EXPECT(q == p);
	EXPECT_EQ(s.heap.brk - brk, 100000);
	EXPECT_EQ(s.heap.calls - calls, 1);
	EXPECT_EQ(q[0], 42);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(realloc_at_the_top_uses_a_free_end_block_before_the_break)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	char *p = A->malloc(s.self, 100000 - 8);
	void *tail = A->malloc(s.self, 50000 - 8);
	REQUIRE(p && tail);
	A->free(s.self, tail);                 /* 50000 free bytes end the heap */
	size_t brk = s.heap.brk;
	char *q = A->realloc(s.self, p, 160000 - 8);
	EXPECT(q == p);
	EXPECT_EQ(s.heap.brk - brk, 10000);   /* only what the free end block lacks */
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(realloc_slides_into_a_free_previous_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *guard = A->malloc(s.self, 200);
	char *a = A->malloc(s.self, 1000), *b = A->malloc(s.self, 300);
	void *guard2 = A->malloc(s.self, 200);
	REQUIRE(guard && a && b && guard2);
	for (int i = 0; i < 300; i++)
		b[i] = (char)(i * 3);
	A->free(s.self, a);
	char *q = A->realloc(s.self, b, 1200);
	EXPECT(q == a);
	int bad = 0;
	for (int i = 0; i < 300; i++)
		bad += q[i] != (char)(i * 3);
	EXPECT_EQ(bad, 0);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(realloc_shrinks_in_place_and_frees_the_tail)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	char *p = A->malloc(s.self, 4000);
	void *guard = A->malloc(s.self, 200);
	REQUIRE(p && guard);
	memset(p, 7, 1000);
	size_t old = block_of(p);
	char *q = A->realloc(s.self, p, 1000);
	EXPECT(q == p);
	EXPECT_EQ(block_of(q), 1008);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, q + 1008), segfit_bin_of_for_test(old - 1008));
	EXPECT_EQ(q[999], 7);
	/* A shrink by less than a minimum block changes nothing. */
	EXPECT(A->realloc(s.self, q, 990) == q);
	EXPECT_EQ(block_of(q), 1008);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(bitmap_bit_clears_when_a_bin_empties)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 48), *y = isolated(&s, 48);
	REQUIRE(x && y);
	unsigned bin = segfit_bin_of_for_test(48);
	EXPECT(!bit(&s, bin));
	A->free(s.self, x);
	A->free(s.self, y);
	EXPECT(!bit(&s, bin));                            /* cached, not binned */
	segfit_flush_for_test(s.self);
	EXPECT(bit(&s, bin));
	EXPECT(A->malloc(s.self, 40) != NULL);
	EXPECT(bit(&s, bin));
	EXPECT(A->malloc(s.self, 40) != NULL);
	EXPECT(!bit(&s, bin));
	EXPECT(segfit_bin_first_for_test(s.self, bin) == NULL);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(big_free_block_at_the_end_is_trimmed)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *keep = A->malloc(s.self, 1000);
	void *big = A->malloc(s.self, (size_t)2 << 20);
	REQUIRE(keep && big);
	size_t peak = s.heap.brk;
	A->free(s.self, big);
	EXPECT(s.heap.brk < peak - ((size_t)1 << 20));
	EXPECT_EQ(s.heap.peak_brk, peak);
	EXPECT_CLEAN(&s);
	EXPECT(A->malloc(s.self, (size_t)1 << 20) != NULL);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(trim_threshold_doubles_when_the_heap_grows_again_after_a_trim)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *keep = A->malloc(s.self, 1000);
	REQUIRE(keep);
	size_t n = 400 << 10;                             /* over 256 KiB, under 512 KiB */
	void *big = A->malloc(s.self, n);
	REQUIRE(big);
	A->free(s.self, big);
	EXPECT_EQ(s.heap.shrink_calls, 1);                /* first time: trimmed */
	big = A->malloc(s.self, n);                       /* the heap grows again ... */
	REQUIRE(big);
	A->free(s.self, big);
	EXPECT_EQ(s.heap.shrink_calls, 1);                /* ... so 400 KiB is kept now */
	big = A->malloc(s.self, (size_t)600 << 10);       /* over 512 KiB: trimmed again */
	REQUIRE(big);
	A->free(s.self, big);
	EXPECT_EQ(s.heap.shrink_calls, 2);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(memalign_returns_the_leading_pad_to_a_bin)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *first = A->malloc(s.self, 100);
	REQUIRE(first);
	char *p = A->memalign(s.self, 4096, 300);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % 4096, 0);
	EXPECT_EQ(*header(p) & 3, 1);          /* allocated, and the pad before it is free */
	EXPECT_CLEAN(&s);
	A->free(s.self, p);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

/* ---- the self-check catches corruption ---------------------------------- */

SEGFIT_TEST(check_catches_a_corrupted_footer)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(fixture_check(&s) == 0);
	*(size_t *)((char *)x - 8 + 272 - 8) = 288;
	EXPECT(fixture_check(&s) >= 1);
	EXPECT(fixture_reported(&s, "footer"));
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_wrong_previous_allocated_bit)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	REQUIRE(a && b);
	REQUIRE(fixture_check(&s) == 0);
	*header(b) &= ~(size_t)2;              /* claims a is free */
	EXPECT(fixture_check(&s) >= 1);
	EXPECT(fixture_reported(&s, "previous block is free"));
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_block_on_the_wrong_bin)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(fixture_check(&s) == 0);
	unsigned right = segfit_bin_of_for_test(272), wrong = right + 1;
	REQUIRE(segfit_bin_first_for_test(s.self, right) == (char *)x - 8);
	REQUIRE(segfit_bin_first_for_test(s.self, wrong) == NULL);
	/* Move the (only) node to the neighbouring bin, bitmap and all. */
	segfit_set_bin_first_for_test(s.self, right, NULL);
	segfit_set_bin_first_for_test(s.self, wrong, (char *)x - 8);
	uint64_t *map = segfit_bitmap_for_test(s.self);
	map[right / 64] &= ~((uint64_t)1 << (right % 64));
	map[wrong / 64] |= (uint64_t)1 << (wrong % 64);
	EXPECT_EQ(fixture_check(&s), 1);
	EXPECT(fixture_reported(&s, "wrong bin"));
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_stale_bitmap_bit)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(A->malloc(s.self, req_for(272)) == x);   /* empties the bin */
	REQUIRE(fixture_check(&s) == 0);
	unsigned bin = segfit_bin_of_for_test(272);
	segfit_bitmap_for_test(s.self)[bin / 64] |= (uint64_t)1 << (bin % 64);
	EXPECT_EQ(fixture_check(&s), 1);
	EXPECT(fixture_reported(&s, "bitmap"));
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_free_block_missing_from_its_list)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(fixture_check(&s) == 0);
	unsigned bin = segfit_bin_of_for_test(272);
	segfit_set_bin_first_for_test(s.self, bin, NULL);    /* unlinked, bit left set */
	EXPECT(fixture_check(&s) >= 2);
	EXPECT(fixture_reported(&s, "is on no bin"));
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_list_loop_and_restores_the_heap)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 272), *y = isolated(&s, 272);
	REQUIRE(x && y);
	A->free(s.self, x);
	A->free(s.self, y);
	REQUIRE(fixture_check(&s) == 0);
	char **y_next = (char **)y;              /* y is the head; its next is x */
	char *x_hdr = (char *)x - 8;
	REQUIRE(*y_next == x_hdr);
	*(char **)x = (char *)y - 8;             /* x's next points back to y */
	EXPECT(fixture_check(&s) >= 1);
	EXPECT(fixture_reported(&s, "twice"));
	*(char **)x = NULL;                      /* repair: the check left no marks behind */
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_an_adjacent_pair_of_free_blocks)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264);
	REQUIRE(a && b && c);
	A->free(s.self, a);
	REQUIRE(fixture_check(&s) == 0);
	/* Make b look free and listed without coalescing it. */
	*header(b) = 272 | 0;                    /* free, previous (a) free */
	*(size_t *)((char *)b - 8 + 272 - 8) = 272;
	*header(c) &= ~(size_t)2;
	unsigned bin = segfit_bin_of_for_test(272);
	REQUIRE(segfit_bin_first_for_test(s.self, bin) == (char *)a - 8);
	*(char **)b = (char *)a - 8;             /* b.next = a */
	((char **)b)[1] = NULL;                  /* b.prev = NULL */
	((char **)a)[1] = (char *)b - 8;         /* a.prev = b */
	segfit_set_bin_first_for_test(s.self, bin, (char *)b - 8);
	EXPECT(fixture_check(&s) >= 1);
	EXPECT(fixture_reported(&s, "not coalesced"));
	fixture_close(&s);
}

SEGFIT_TEST(memalign_reuses_a_free_block_that_holds_an_aligned_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	/* A 12 KiB hole holds a 4 KiB-aligned 4 KiB block wherever it starts. */
	char *x = isolated(&s, 12288);
	REQUIRE(x);
	A->free(s.self, x);
	size_t brk = s.heap.brk;
	char *p = A->memalign(s.self, 4096, 4096);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % 4096, 0);
	EXPECT(p > x && p + 4096 <= x - 8 + 12288);
	EXPECT_EQ(s.heap.brk, brk);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(memalign_grows_the_heap_only_by_pad_and_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	REQUIRE(A->malloc(s.self, 100000 - 8));    /* fills the heap exactly */
	size_t brk = s.heap.brk;
	char *p = A->memalign(s.self, 65536, 65536);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % 65536, 0);
	/* The new block starts at the old end: the pad is below 64 KiB + 32. */
	EXPECT(s.heap.brk - brk <= 65536 + 32 + 65536 + 16);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

/* ---- utilization on the classic patterns (deterministic, not timed) ------ */

/*
 * CS:APP realloc-bal: one block grows by 128 bytes 4800 times while a small
 * block is allocated and freed around each step.  Growing in place at the
 * end of the heap keeps the break at the live size.
 */
SEGFIT_TEST(realloc_growth_pattern_stays_above_99_percent)
{
	struct replay r;
	REQUIRE(replay_open(&r, A));
	size_t size = 512;
	char *p = r_malloc(&r, size), *small = r_malloc(&r, 128);
	REQUIRE(p && small);
	for (int i = 0; i < 4800; i++) {
		p = r_realloc(&r, p, size, size + 128);
		REQUIRE(p);
		size += 128;
		char *next = r_malloc(&r, 128);
		REQUIRE(next);
		r_free(&r, small, 128);
		small = next;
	}
	EXPECT_EQ((unsigned char)p[511], 0xab);   /* the first bytes survived every move */
	EXPECT_CLEAN(&r.s);
	unsigned long u = per_mille(&r);       /* measured: 998 */
	if (u < 990)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 990", u);
	fixture_close(&r.s);
}

/* ---- limits ------------------------------------------------------------- */

SEGFIT_TEST(refused_growth_in_realloc_keeps_the_block_and_the_heap)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, (size_t)1 << 30, (size_t)1 << 20));
	char *p = A->malloc(s.self, 600000);
	REQUIRE(p);
	memset(p, 0x5c, 600000);
	/* At the end of the heap, but the limit forbids both extending and moving. */
	EXPECT(A->realloc(s.self, p, 2000000) == NULL);
	EXPECT_EQ(block_of(p), block_size_for(600000));
	EXPECT_EQ((unsigned char)p[599999], 0x5c);
	EXPECT_CLEAN(&s);
	/* Growth that fits under the limit still works in place. */
	EXPECT(A->realloc(s.self, p, 700000) == p);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(huge_requests_fail_cleanly)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	EXPECT(A->malloc(s.self, SIZE_MAX) == NULL);
	EXPECT(A->malloc(s.self, SIZE_MAX / 2) == NULL);
	EXPECT(A->malloc(s.self, (size_t)1 << 40) == NULL);   /* beyond the reservation */
	EXPECT(A->memalign(s.self, (size_t)1 << 20, SIZE_MAX - 100) == NULL);
	EXPECT(A->malloc(s.self, (size_t)PTRDIFF_MAX) == NULL);
	EXPECT(A->malloc(s.self, (size_t)1 << 63) == NULL);
	EXPECT(A->calloc(s.self, (size_t)1 << 33, (size_t)1 << 33) == NULL);
	EXPECT(A->memalign(s.self, 64, (size_t)PTRDIFF_MAX) == NULL);
	void *p = A->malloc(s.self, 100);
	REQUIRE(p);
	EXPECT(A->realloc(s.self, p, SIZE_MAX - 8) == NULL);
	EXPECT_CLEAN(&s);
	A->free(s.self, p);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(memalign_handles_a_megabyte_alignment_and_frees_the_pad)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	REQUIRE(A->malloc(s.self, 100));
	char *p = A->memalign(s.self, (size_t)1 << 20, 5000);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % ((size_t)1 << 20), 0);
	EXPECT_CLEAN(&s);
	/* The pad below it is free: a big block fits there without growing. */
	size_t brk = s.heap.brk;
	char *q = A->malloc(s.self, 500000);
	EXPECT(q != NULL && q < p);
	EXPECT_EQ(s.heap.brk, brk);
	A->free(s.self, p);
	A->free(s.self, q);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

/* ---- the cache of tiny freed blocks ---- */

SEGFIT_TEST(freed_tiny_block_is_cached_and_comes_back_for_the_same_size)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 48);
	REQUIRE(x);
	size_t brk = s.heap.brk;
	A->free(s.self, x);
	EXPECT_EQ(segfit_cached_for_test(s.self, x), 3);
	EXPECT_EQ(*header(x) & 1, 1);                     /* still allocated in the heap */
	EXPECT_CLEAN(&s);
	EXPECT(A->malloc(s.self, 40) == x);
	EXPECT_EQ(segfit_cached_for_test(s.self, x), -1);
	EXPECT_EQ(s.heap.brk, brk);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(blocks_of_256_bytes_or_more_are_not_cached)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 256);
	REQUIRE(x);
	A->free(s.self, x);
	EXPECT_EQ(segfit_cached_for_test(s.self, x), -1);
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, x), segfit_bin_of_for_test(256));
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(cache_holds_at_most_1024_blocks_of_a_size)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	enum { N = 1100 };
	static void *p[N];
	for (int i = 0; i < N; i++)
		REQUIRE((p[i] = isolated(&s, 32)) != NULL);
	/* A split may hand out a slightly bigger block: count the 32-byte ones. */
	int freed = 0, last = -1, before = -1;
	for (int i = 0; i < N && freed < 1025; i++) {
		if (block_of(p[i]) != 32)
			continue;
		A->free(s.self, p[i]);
		freed++;
		before = last;
		last = i;
	}
	REQUIRE(freed == 1025);
	EXPECT_EQ(segfit_cached_for_test(s.self, p[before]), 2);   /* the 1024th is cached */
	EXPECT_EQ(segfit_cached_for_test(s.self, p[last]), -1);    /* the 1025th is really freed */
	EXPECT_EQ(segfit_bin_holding_for_test(s.self, p[last]), segfit_bin_of_for_test(32));
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(cached_blocks_are_coalesced_before_the_heap_grows)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	/* A run of 32 adjacent 64-byte blocks, walled off at its top. */
	void *p[32];
	for (int i = 0; i < 32; i++)
		REQUIRE((p[i] = A->malloc(s.self, 56)) != NULL);
	void *wall = A->malloc(s.self, 56);
	REQUIRE(wall);
	/* Use up the rest of the heap so that the run is the only free space. */
	void *rest = A->malloc(s.self, (s.heap.base + s.heap.brk - (char *)wall) - 200);
	(void)rest;
	for (int i = 0; i < 32; i++)
		A->free(s.self, p[i]);
	for (int i = 0; i < 32; i++)
		EXPECT(segfit_cached_for_test(s.self, p[i]) == 4);
	size_t brk = s.heap.brk;
	/* 2 KiB fits only in the run once it is coalesced. */
	char *big = A->malloc(s.self, 2000);
	REQUIRE(big);
	char *lo = p[0], *hi = p[0];
	for (int i = 0; i < 32; i++) {
		lo = (char *)p[i] < lo ? (char *)p[i] : lo;
		hi = (char *)p[i] > hi ? (char *)p[i] : hi;
	}
	EXPECT(big >= lo && big + 2000 <= hi + 56);
	EXPECT_EQ(s.heap.brk, brk);
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(segfit_cached_for_test(s.self, p[i]), -1);
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_cache_link_into_the_middle_of_a_block)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 64), *y = isolated(&s, 64);
	REQUIRE(x && y);
	A->free(s.self, x);
	A->free(s.self, y);                               /* cache 4: y -> x */
	EXPECT_CLEAN(&s);
	*(char **)y = (char *)x + 8;                      /* y's link now misses x's header */
	EXPECT(fixture_check(&s) >= 1);
	*(char **)y = (char *)x - 8;
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}

SEGFIT_TEST(check_catches_a_cached_block_marked_free)
{
	struct fixture s;
	REQUIRE(fixture_open(&s, A, 0, 0));
	void *x = isolated(&s, 96);
	REQUIRE(x);
	A->free(s.self, x);
	*header(x) &= ~(size_t)1;
	EXPECT(fixture_check(&s) >= 1);
	EXPECT(fixture_reported(&s, "cache 6"));
	*header(x) |= 1;
	EXPECT_CLEAN(&s);
	fixture_close(&s);
}
