/*
 * test_compact.c - the memory-first allocator: it shares segregated's block
 * format and bins, so it is held to every edge case segregated is (size
 * classes, splitting, coalescing, in-place realloc, the bitmap, the tiny
 * cache, a self-check that catches deliberate corruption), plus what it does
 * differently: true best fit in range bins, exact growth for mid-size blocks
 * and chunked growth for small ones, and the CS:APP binary patterns packed
 * tighter than segregated packs them.
 *
 * Layout facts the tests rely on (allocators/compact.c): an 8-byte header
 * sits just before the payload holding size | allocated (1) | previous
 * allocated (2); a free block keeps next/prev list links in its first two
 * payload words and its size in its last word; a block is the request plus 8
 * rounded up to 16, at least 32; blocks under 128 bytes are carved from the
 * high end of a free block, bigger ones from the low end.  Freed blocks under
 * 256 bytes go to a per-size cache first (still marked allocated); tests of
 * the bins flush it (compact_flush) to see where such blocks land.
 */
#include "test.h"
#include "allocators/allocator.h"

extern const struct allocator alloc_compact;
unsigned  compact_bin_of(size_t block_size);
int       compact_bin_holding(void *self, const void *ptr);
char     *compact_bin_first(void *self, unsigned bin);
void      compact_set_bin_first(void *self, unsigned bin, char *block);
uint64_t *compact_bitmap(void *self);
void      compact_flush(void *self);
int       compact_cached(void *self, const void *ptr);

static const struct allocator *const A = &alloc_compact;

struct seg {
	struct heap heap;
	void       *self;
};

static int open_compact(struct seg *s)
{
	if (heap_open(&s->heap, (size_t)1 << 32, 0) != 0)
		return 0;
	s->self = A->init(&s->heap);
	return s->self != NULL;
}

static unsigned long violations(struct seg *s, struct check_report *r)
{
	memset(r, 0, sizeof *r);
	return A->check(s->self, r);
}

static int clean(struct seg *s)
{
	struct check_report r;
	return violations(s, &r) == 0;
}

/* Some kept message contains `needle`. */
static int reported(const struct check_report *r, const char *needle)
{
	for (unsigned i = 0; i < r->nmessages; i++)
		if (strstr(r->messages[i], needle))
			return 1;
	return 0;
}

static size_t *header(void *p) { return (size_t *)((char *)p - 8); }
static size_t block_of(void *p)  { return *header(p) & ~(size_t)15; }
static size_t req_for(size_t block) { return block - 8; }  /* request giving that block */
static size_t block_size_for(size_t n)
{
	size_t b = (n + 8 + 15) & ~(size_t)15;
	return b < 32 ? 32 : b;
}

static int bit(struct seg *s, unsigned bin)
{
	return (int)((compact_bitmap(s->self)[bin / 64] >> (bin % 64)) & 1);
}

/*
 * A block of `block` bytes between two allocated neighbours, so that freeing
 * it coalesces with nothing.  Guards take the same size: they are carved from
 * the same end of the free space, which puts one on each side.
 */
static void *isolated(struct seg *s, size_t block)
{
	void *g1 = A->malloc(s->self, req_for(block));
	void *x = A->malloc(s->self, req_for(block));
	void *g2 = A->malloc(s->self, req_for(block));
	(void)g1;
	(void)g2;
	return x;
}

TEST(compact_bin_edges_split_where_the_classes_do)
{
	/* Exact bins every 16 bytes below 512, then four per power of two. */
	EXPECT_EQ(compact_bin_of(32), 2);
	EXPECT_EQ(compact_bin_of(48), 3);
	EXPECT_EQ(compact_bin_of(496), 31);
	EXPECT_EQ(compact_bin_of(512), 32);
	EXPECT_EQ(compact_bin_of(624), 32);
	EXPECT_EQ(compact_bin_of(640), 33);
	EXPECT_EQ(compact_bin_of(1008), 35);
	EXPECT_EQ(compact_bin_of(1024), 36);
	EXPECT_EQ(compact_bin_of(1280), 37);
	EXPECT_EQ(compact_bin_of((size_t)1 << 20), 32 + 11 * 4);
	EXPECT_EQ(compact_bin_of(((size_t)1 << 20) - 16), 32 + 10 * 4 + 3);
	EXPECT_EQ(compact_bin_of((size_t)1 << 33), 127);   /* the last bin takes the rest */
	EXPECT_EQ(compact_bin_of((size_t)1 << 35), 127);
	for (size_t size = 32; size < ((size_t)1 << 24); size += 16)
		if (compact_bin_of(size) > compact_bin_of(size + 16) ||
		    compact_bin_of(size + 16) > compact_bin_of(size) + 1) {
			test_fail(__FILE__, __LINE__, "bins not monotonic and dense at %zu", size);
			break;
		}
}

TEST(compact_blocks_at_each_class_edge_land_in_and_come_back_from_their_bin)
{
	static const size_t edges[] = { 32, 128, 496, 512, 640, 768, 896, 1024, 1280, 2048,
	                                4096, 65536, 1 << 20 };
	struct seg s;
	REQUIRE(open_compact(&s));
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
				EXPECT_EQ(compact_cached(s.self, x), (int)(block / 16));
				EXPECT_EQ(compact_bin_holding(s.self, x), -1);
				compact_flush(s.self);
				EXPECT_EQ(compact_cached(s.self, x), -1);
			}
			EXPECT_EQ(compact_bin_holding(s.self, x), compact_bin_of(block));
			EXPECT(bit(&s, compact_bin_of(block)));
			EXPECT(clean(&s));
			void *again = A->malloc(s.self, req_for(block));
			EXPECT(again == x);
			EXPECT_EQ(compact_bin_holding(s.self, x), -1);
		}
	}
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_best_fit_takes_the_smallest_block_that_fits_in_a_range_bin)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	/* All three share the bin [1024, 1280). */
	void *big = isolated(&s, 1248), *fit = isolated(&s, 1056), *mid = isolated(&s, 1152);
	void *small = isolated(&s, 1024);
	REQUIRE(big && fit && mid && small);
	A->free(s.self, big);
	A->free(s.self, fit);
	A->free(s.self, mid);
	A->free(s.self, small);        /* too small for the request: must be skipped */
	EXPECT_EQ(compact_bin_holding(s.self, fit), compact_bin_of(1040));
	void *p = A->malloc(s.self, req_for(1040));
	EXPECT(p == fit);
	EXPECT_EQ(block_of(p), 1056);  /* 16 left over is too small to split */
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_split_keeps_the_low_end_for_big_requests_and_bins_the_rest)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 2048);
	REQUIRE(x);
	A->free(s.self, x);
	void *p = A->malloc(s.self, req_for(1024));
	EXPECT(p == x);
	EXPECT_EQ(block_of(p), 1024);
	void *rest = (char *)x + 1024;
	EXPECT_EQ(compact_bin_holding(s.self, rest), compact_bin_of(1024));
	EXPECT_EQ(block_of(rest), 1024);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_low_split_that_stays_in_its_bin_keeps_the_list_order)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	/* Two 8176-byte free blocks in range bin [7168, 8192): y (lower) then x. */
	void *y = isolated(&s, 8176), *x = isolated(&s, 8176);
	REQUIRE(x && y && (char *)y < (char *)x);
	A->free(s.self, y);
	A->free(s.self, x);                               /* list: x -> y */
	unsigned bin = compact_bin_of(8176);
	REQUIRE(compact_bin_of(8176 - 528) == bin);
	char *first = compact_bin_first(s.self, bin);
	REQUIRE(first == (char *)x - 8);
	/* Best fit, lower address among equals: y; the rest takes its place. */
	void *p = A->malloc(s.self, 520);
	EXPECT(p == y);
	EXPECT_EQ(block_of(p), 528);
	char *rest = (char *)y - 8 + 528;
	EXPECT(compact_bin_first(s.self, bin) == first);
	EXPECT(*(char **)(first + 8) == rest);            /* x's next link */
	EXPECT(*(char **)(rest + 16) == first);           /* the rest's prev link */
	EXPECT_EQ(*(size_t *)rest & ~(size_t)15, 8176 - 528);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_split_carves_small_requests_from_the_high_end)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 2048);
	REQUIRE(x);
	A->free(s.self, x);
	void *p = A->malloc(s.self, 40);                 /* a 48-byte block */
	EXPECT(p == (char *)x + 2048 - 48);
	EXPECT_EQ(compact_bin_holding(s.self, x), compact_bin_of(2000));
	EXPECT_EQ(block_of(x), 2000);
	EXPECT_EQ(*header(p) & 3, 1);                     /* allocated, previous free */
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_free_coalesces_with_the_next_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264), *d = A->malloc(s.self, 264);
	REQUIRE(a && b && c && d && (char *)c == (char *)b + 272);
	A->free(s.self, c);
	A->free(s.self, b);
	EXPECT_EQ(block_of(b), 544);
	EXPECT_EQ(compact_bin_holding(s.self, b), compact_bin_of(544));
	EXPECT_EQ(compact_bin_holding(s.self, c), -1);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_free_coalesces_with_the_previous_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264), *d = A->malloc(s.self, 264);
	REQUIRE(a && b && c && d);
	A->free(s.self, b);
	A->free(s.self, c);
	EXPECT_EQ(block_of(b), 544);
	EXPECT_EQ(compact_bin_holding(s.self, b), compact_bin_of(544));
	EXPECT_EQ(*header(d) & 2, 0);                     /* d knows its left side is free */
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_free_coalesces_both_sides_at_once)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264), *d = A->malloc(s.self, 264);
	void *e = A->malloc(s.self, 264);
	REQUIRE(a && b && c && d && e);
	A->free(s.self, b);
	A->free(s.self, d);
	struct check_report r;
	EXPECT_EQ(violations(&s, &r), 0);
	A->free(s.self, c);
	EXPECT_EQ(block_of(b), 3 * 272);
	EXPECT_EQ(compact_bin_holding(s.self, b), compact_bin_of(3 * 272));
	EXPECT_EQ(compact_bin_holding(s.self, d), -1);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_realloc_grows_into_a_free_next_block_in_place)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT_EQ(compact_bin_holding(s.self, q + 1216), compact_bin_of(304));
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_realloc_at_the_top_extends_the_break_by_the_difference)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_realloc_at_the_top_uses_a_free_end_block_before_the_break)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	char *p = A->malloc(s.self, 100000 - 8);
	void *tail = A->malloc(s.self, 50000 - 8);
	REQUIRE(p && tail);
	A->free(s.self, tail);                 /* 50000 free bytes end the heap */
	size_t brk = s.heap.brk;
	char *q = A->realloc(s.self, p, 160000 - 8);
	EXPECT(q == p);
	EXPECT_EQ(s.heap.brk - brk, 10000);   /* only what the free end block lacks */
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_realloc_slides_into_a_free_previous_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_realloc_shrinks_in_place_and_frees_the_tail)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	char *p = A->malloc(s.self, 4000);
	void *guard = A->malloc(s.self, 200);
	REQUIRE(p && guard);
	memset(p, 7, 1000);
	size_t old = block_of(p);
	char *q = A->realloc(s.self, p, 1000);
	EXPECT(q == p);
	EXPECT_EQ(block_of(q), 1008);
	EXPECT_EQ(compact_bin_holding(s.self, q + 1008), compact_bin_of(old - 1008));
	EXPECT_EQ(q[999], 7);
	/* A shrink by less than a minimum block changes nothing. */
	EXPECT(A->realloc(s.self, q, 990) == q);
	EXPECT_EQ(block_of(q), 1008);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_bitmap_bit_clears_when_a_bin_empties)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 48), *y = isolated(&s, 48);
	REQUIRE(x && y);
	unsigned bin = compact_bin_of(48);
	EXPECT(!bit(&s, bin));
	A->free(s.self, x);
	A->free(s.self, y);
	EXPECT(!bit(&s, bin));                            /* cached, not binned */
	compact_flush(s.self);
	EXPECT(bit(&s, bin));
	EXPECT(A->malloc(s.self, 40) != NULL);
	EXPECT(bit(&s, bin));
	EXPECT(A->malloc(s.self, 40) != NULL);
	EXPECT(!bit(&s, bin));
	EXPECT(compact_bin_first(s.self, bin) == NULL);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_big_free_block_at_the_end_is_trimmed)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *keep = A->malloc(s.self, 1000);
	void *big = A->malloc(s.self, (size_t)2 << 20);
	REQUIRE(keep && big);
	size_t peak = s.heap.brk;
	A->free(s.self, big);
	EXPECT(s.heap.brk < peak - ((size_t)1 << 20));
	EXPECT_EQ(s.heap.peak_brk, peak);
	EXPECT(clean(&s));
	EXPECT(A->malloc(s.self, (size_t)1 << 20) != NULL);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_trim_threshold_doubles_when_the_heap_grows_again_after_a_trim)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_memalign_returns_the_leading_pad_to_a_bin)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *first = A->malloc(s.self, 100);
	REQUIRE(first);
	char *p = A->memalign(s.self, 4096, 300);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % 4096, 0);
	EXPECT_EQ(*header(p) & 3, 1);          /* allocated, and the pad before it is free */
	EXPECT(clean(&s));
	A->free(s.self, p);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

/* ---- the self-check catches corruption ---------------------------------- */

TEST(compact_check_catches_a_corrupted_footer)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(clean(&s));
	*(size_t *)((char *)x - 8 + 272 - 8) = 288;
	struct check_report r;
	EXPECT(violations(&s, &r) >= 1);
	EXPECT(reported(&r, "footer"));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_wrong_previous_allocated_bit)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	REQUIRE(a && b);
	REQUIRE(clean(&s));
	*header(b) &= ~(size_t)2;              /* claims a is free */
	struct check_report r;
	EXPECT(violations(&s, &r) >= 1);
	EXPECT(reported(&r, "previous block is free"));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_block_on_the_wrong_bin)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(clean(&s));
	unsigned right = compact_bin_of(272), wrong = right + 1;
	REQUIRE(compact_bin_first(s.self, right) == (char *)x - 8);
	REQUIRE(compact_bin_first(s.self, wrong) == NULL);
	/* Move the (only) node to the neighbouring bin, bitmap and all. */
	compact_set_bin_first(s.self, right, NULL);
	compact_set_bin_first(s.self, wrong, (char *)x - 8);
	uint64_t *map = compact_bitmap(s.self);
	map[right / 64] &= ~((uint64_t)1 << (right % 64));
	map[wrong / 64] |= (uint64_t)1 << (wrong % 64);
	struct check_report r;
	EXPECT_EQ(violations(&s, &r), 1);
	EXPECT(reported(&r, "wrong bin"));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_stale_bitmap_bit)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(A->malloc(s.self, req_for(272)) == x);   /* empties the bin */
	REQUIRE(clean(&s));
	unsigned bin = compact_bin_of(272);
	compact_bitmap(s.self)[bin / 64] |= (uint64_t)1 << (bin % 64);
	struct check_report r;
	EXPECT_EQ(violations(&s, &r), 1);
	EXPECT(reported(&r, "bitmap"));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_free_block_missing_from_its_list)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 272);
	REQUIRE(x);
	A->free(s.self, x);
	REQUIRE(clean(&s));
	unsigned bin = compact_bin_of(272);
	compact_set_bin_first(s.self, bin, NULL);    /* unlinked, bit left set */
	struct check_report r;
	EXPECT(violations(&s, &r) >= 2);
	EXPECT(reported(&r, "is on no bin"));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_list_loop_and_restores_the_heap)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 272), *y = isolated(&s, 272);
	REQUIRE(x && y);
	A->free(s.self, x);
	A->free(s.self, y);
	REQUIRE(clean(&s));
	char **y_next = (char **)y;              /* y is the head; its next is x */
	char *x_hdr = (char *)x - 8;
	REQUIRE(*y_next == x_hdr);
	*(char **)x = (char *)y - 8;             /* x's next points back to y */
	struct check_report r;
	EXPECT(violations(&s, &r) >= 1);
	EXPECT(reported(&r, "twice"));
	*(char **)x = NULL;                      /* repair: the check left no marks behind */
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_check_catches_an_adjacent_pair_of_free_blocks)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *a = A->malloc(s.self, 264), *b = A->malloc(s.self, 264);
	void *c = A->malloc(s.self, 264);
	REQUIRE(a && b && c);
	A->free(s.self, a);
	REQUIRE(clean(&s));
	/* Make b look free and listed without coalescing it. */
	*header(b) = 272 | 0;                    /* free, previous (a) free */
	*(size_t *)((char *)b - 8 + 272 - 8) = 272;
	*header(c) &= ~(size_t)2;
	unsigned bin = compact_bin_of(272);
	REQUIRE(compact_bin_first(s.self, bin) == (char *)a - 8);
	*(char **)b = (char *)a - 8;             /* b.next = a */
	((char **)b)[1] = NULL;                  /* b.prev = NULL */
	((char **)a)[1] = (char *)b - 8;         /* a.prev = b */
	compact_set_bin_first(s.self, bin, (char *)b - 8);
	struct check_report r;
	EXPECT(violations(&s, &r) >= 1);
	EXPECT(reported(&r, "not coalesced"));
	heap_close(&s.heap);
}

TEST(compact_memalign_reuses_a_free_block_that_holds_an_aligned_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_memalign_grows_the_heap_only_by_pad_and_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	REQUIRE(A->malloc(s.self, 100000 - 8));    /* fills the heap exactly */
	size_t brk = s.heap.brk;
	char *p = A->memalign(s.self, 65536, 65536);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % 65536, 0);
	/* The new block starts at the old end: the pad is below 64 KiB + 32. */
	EXPECT(s.heap.brk - brk <= 65536 + 32 + 65536 + 16);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

/* ---- utilization on the classic patterns (deterministic, not timed) ------ */

struct replay {
	struct seg s;
	size_t     live, peak_live;
};

static void *r_malloc(struct replay *r, size_t n)
{
	void *p = A->malloc(r->s.self, n);
	if (p) {
		memset(p, 0xab, n);
		r->live += n;
		if (r->live > r->peak_live)
			r->peak_live = r->live;
	}
	return p;
}

static void r_free(struct replay *r, void *p, size_t n)
{
	A->free(r->s.self, p);
	r->live -= n;
}

static void *r_realloc(struct replay *r, void *p, size_t old, size_t n)
{
	void *q = A->realloc(r->s.self, p, n);
	if (q) {
		r->live += n - old;
		if (r->live > r->peak_live)
			r->peak_live = r->live;
	}
	return q;
}

/* Peak live bytes over peak break, in per mille. */
static unsigned long per_mille(struct replay *r)
{
	return (unsigned long)(r->peak_live * 1000 / r->s.heap.peak_brk);
}

/*
 * CS:APP binary-bal and its mirror: 2000 small/large pairs, one kind freed,
 * then 2000 blocks too big for the holes one kind leaves.  Small and large
 * must not interleave, or the holes never merge into room for the new ones.
 */
static unsigned long binary_pattern(int free_large)
{
	enum { PAIRS = 2000 };
	static void *small[PAIRS], *large[PAIRS], *bigger[PAIRS];
	struct replay r = { .live = 0 };
	if (!open_compact(&r.s))
		return 0;
	for (int i = 0; i < PAIRS; i++) {
		small[i] = r_malloc(&r, 64);
		large[i] = r_malloc(&r, 448);
	}
	for (int i = 0; i < PAIRS; i++) {
		if (free_large)
			r_free(&r, large[i], 448);
		else
			r_free(&r, small[i], 64);
	}
	for (int i = 0; i < PAIRS; i++)
		bigger[i] = r_malloc(&r, 512);
	unsigned long u = clean(&r.s) && bigger[PAIRS - 1] ? per_mille(&r) : 0;
	heap_close(&r.s.heap);
	return u;
}

TEST(compact_binary_pattern_with_the_small_blocks_freed_stays_above_95_percent)
{
	unsigned long u = binary_pattern(0);   /* measured: 955 (segregated: 936) */
	if (u < 950)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 950", u);
}

TEST(compact_binary_pattern_with_the_large_blocks_freed_stays_above_92_percent)
{
	unsigned long u = binary_pattern(1);   /* measured: 927 (segregated: 894; 947 is perfect) */
	if (u < 920)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 920", u);
}

/*
 * CS:APP realloc-bal: one block grows by 128 bytes 4800 times while a small
 * block is allocated and freed around each step.  Growing in place at the
 * end of the heap keeps the break at the live size.
 */
TEST(compact_realloc_growth_pattern_stays_above_99_percent)
{
	struct replay r = { .live = 0 };
	REQUIRE(open_compact(&r.s));
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
	EXPECT(clean(&r.s));
	unsigned long u = per_mille(&r);       /* measured: 998 */
	if (u < 990)
		test_fail(__FILE__, __LINE__, "utilization %lu per mille, want >= 990", u);
	heap_close(&r.s.heap);
}

/* ---- limits ------------------------------------------------------------- */

TEST(compact_refused_growth_in_realloc_keeps_the_block_and_the_heap)
{
	struct seg s;
	REQUIRE(heap_open(&s.heap, (size_t)1 << 30, (size_t)1 << 20) == 0);
	REQUIRE((s.self = A->init(&s.heap)) != NULL);
	char *p = A->malloc(s.self, 600000);
	REQUIRE(p);
	memset(p, 0x5c, 600000);
	/* At the end of the heap, but the limit forbids both extending and moving. */
	EXPECT(A->realloc(s.self, p, 2000000) == NULL);
	EXPECT_EQ(block_of(p), block_size_for(600000));
	EXPECT_EQ((unsigned char)p[599999], 0x5c);
	EXPECT(clean(&s));
	/* Growth that fits under the limit still works in place. */
	EXPECT(A->realloc(s.self, p, 700000) == p);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_huge_requests_fail_cleanly)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	EXPECT(A->malloc(s.self, SIZE_MAX) == NULL);
	EXPECT(A->malloc(s.self, SIZE_MAX / 2) == NULL);
	EXPECT(A->malloc(s.self, (size_t)1 << 40) == NULL);   /* beyond the reservation */
	EXPECT(A->malloc(s.self, (size_t)PTRDIFF_MAX) == NULL);
	EXPECT(A->malloc(s.self, (size_t)1 << 63) == NULL);
	EXPECT(A->calloc(s.self, (size_t)1 << 33, (size_t)1 << 33) == NULL);
	EXPECT(A->memalign(s.self, 64, (size_t)PTRDIFF_MAX) == NULL);
	EXPECT(A->memalign(s.self, (size_t)1 << 20, SIZE_MAX - 100) == NULL);
	void *p = A->malloc(s.self, 100);
	REQUIRE(p);
	EXPECT(A->realloc(s.self, p, SIZE_MAX - 8) == NULL);
	EXPECT(clean(&s));
	A->free(s.self, p);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_memalign_handles_a_megabyte_alignment_and_frees_the_pad)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	REQUIRE(A->malloc(s.self, 100));
	char *p = A->memalign(s.self, (size_t)1 << 20, 5000);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % ((size_t)1 << 20), 0);
	EXPECT(clean(&s));
	/* The pad below it is free: a big block fits there without growing. */
	size_t brk = s.heap.brk;
	char *q = A->malloc(s.self, 500000);
	EXPECT(q != NULL && q < p);
	EXPECT_EQ(s.heap.brk, brk);
	A->free(s.self, p);
	A->free(s.self, q);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

/* ---- the cache of tiny freed blocks ---- */

TEST(compact_freed_tiny_block_is_cached_and_comes_back_for_the_same_size)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 48);
	REQUIRE(x);
	size_t brk = s.heap.brk;
	A->free(s.self, x);
	EXPECT_EQ(compact_cached(s.self, x), 3);
	EXPECT_EQ(*header(x) & 1, 1);                     /* still allocated in the heap */
	EXPECT(clean(&s));
	EXPECT(A->malloc(s.self, 40) == x);
	EXPECT_EQ(compact_cached(s.self, x), -1);
	EXPECT_EQ(s.heap.brk, brk);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_blocks_of_256_bytes_or_more_are_not_cached)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 256);
	REQUIRE(x);
	A->free(s.self, x);
	EXPECT_EQ(compact_cached(s.self, x), -1);
	EXPECT_EQ(compact_bin_holding(s.self, x), compact_bin_of(256));
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_cache_holds_at_most_1024_blocks_of_a_size)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT_EQ(compact_cached(s.self, p[before]), 2);   /* the 1024th is cached */
	EXPECT_EQ(compact_cached(s.self, p[last]), -1);    /* the 1025th is really freed */
	EXPECT_EQ(compact_bin_holding(s.self, p[last]), compact_bin_of(32));
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_cached_blocks_are_coalesced_before_the_heap_grows)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
		EXPECT(compact_cached(s.self, p[i]) == 4);
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
		EXPECT_EQ(compact_cached(s.self, p[i]), -1);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_cache_link_into_the_middle_of_a_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 64), *y = isolated(&s, 64);
	REQUIRE(x && y);
	A->free(s.self, x);
	A->free(s.self, y);                               /* cache 4: y -> x */
	EXPECT(clean(&s));
	*(char **)y = (char *)x + 8;                      /* y's link now misses x's header */
	struct check_report r;
	EXPECT(violations(&s, &r) >= 1);
	*(char **)y = (char *)x - 8;
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_check_catches_a_cached_block_marked_free)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	void *x = isolated(&s, 96);
	REQUIRE(x);
	A->free(s.self, x);
	*header(x) &= ~(size_t)1;
	struct check_report r;
	EXPECT(violations(&s, &r) >= 1);
	EXPECT(reported(&r, "cache 6"));
	*header(x) |= 1;
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

/* ---- what compact does differently ---- */

TEST(compact_best_fit_scans_a_whole_range_bin)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	/* 24 free blocks of one range bin, the smallest that fits last on its list. */
	enum { N = 24 };
	void *b[N];
	for (int i = 0; i < N; i++)
		b[i] = isolated(&s, 1280 - (size_t)(i % 3) * 16 - (i == 0 ? 48 : 0));
	for (int i = 0; i < N; i++)
		A->free(s.self, b[i]);
	/* b[0] (1232 bytes) went on the list first, so it is last: still chosen. */
	EXPECT(A->malloc(s.self, req_for(1232)) == b[0]);
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_a_mid_size_request_grows_the_heap_by_exactly_its_block)
{
	struct seg s;
	REQUIRE(open_compact(&s));
	REQUIRE(A->malloc(s.self, 5000));      /* the heap now ends in an allocated block */
	size_t brk = s.heap.brk;
	REQUIRE(A->malloc(s.self, 600));
	EXPECT_EQ(s.heap.brk - brk, block_size_for(600));
	EXPECT(clean(&s));
	heap_close(&s.heap);
}

TEST(compact_a_small_request_grows_the_heap_by_a_chunk_and_takes_its_top)
{
	struct seg s;
	REQUIRE(open_compact(&s));
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
	EXPECT(clean(&s));
	heap_close(&s.heap);
}
