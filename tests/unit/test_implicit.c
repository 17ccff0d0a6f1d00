/*
 * test_implicit.c - the implicit free list (allocators/implicit.c): splitting,
 * coalescing, the three placement policies, the rover, in-place realloc,
 * memalign padding and the self-check.  Layout facts come from
 * allocators/boundary_tags.h.
 */
#include "bt_fixture.h"

extern const struct allocator alloc_implicit_first, alloc_implicit_next, alloc_implicit_best;


TEST(implicit_splits_a_larger_free_block_and_frees_the_rest)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0));
	char *big = m(&r, 1000), *guard = m(&r, 16);
	REQUIRE(big && guard);
	f(&r, big);
	size_t brk = r.heap.brk;
	char *small = m(&r, 100);
	EXPECT(small == big);
	EXPECT_EQ(block_size(small), bt_asize(100));
	char *rest = bt_block(small) + bt_size(bt_block(small));
	EXPECT(!bt_is_alloc(rest));
	EXPECT_EQ(bt_size(rest), bt_asize(1000) - bt_asize(100));
	EXPECT_EQ(core_of(&r)->splits >= 1, 1);
	/* The remainder is reusable: it is where the next fitting request lands. */
	char *again = m(&r, 500);
	EXPECT(again == bt_payload(rest));
	EXPECT_EQ(r.heap.brk, brk);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_does_not_split_when_the_rest_would_be_too_small)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0));
	char *a = m(&r, 120), *guard = m(&r, 16);  /* a 128-byte block */
	REQUIRE(a && guard);
	EXPECT_EQ(block_size(a), 128);
	f(&r, a);
	uint64_t splits = core_of(&r)->splits, free_blocks = core_of(&r)->free_blocks;
	char *b = m(&r, 100);                       /* needs 112: 16 left, below the minimum */
	EXPECT(b == a);
	EXPECT_EQ(block_size(b), 128);
	EXPECT_EQ(r.a->usable_size(r.self, b), 120);
	EXPECT_EQ(core_of(&r)->splits, splits);
	EXPECT_EQ(core_of(&r)->free_blocks, free_blocks - 1);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

/* Three 96-byte blocks a, b, c below a guard; returns 0 if allocation failed. */
static int three(struct fixture *r, char **a, char **b, char **c)
{
	*a = m(r, 88);
	*b = m(r, 88);
	*c = m(r, 88);
	return *a && *b && *c && m(r, 16) && block_size(*a) == 96;
}

/* After the frees, a..c must be one free block of 288 bytes at a's header. */
static void expect_one_block(struct fixture *r, char *a)
{
	EXPECT(!bt_is_alloc(bt_block(a)));
	EXPECT_EQ(bt_size(bt_block(a)), 3 * 96);
	size_t brk = r->heap.brk;
	char *p = m(r, 3 * 96 - BT_WORD);       /* first fit: the merged block, not the top */
	EXPECT(p == a);
	EXPECT_EQ(r->heap.brk, brk);
	EXPECT_CLEAN(r);
}

TEST(implicit_free_coalesces_with_the_previous_block)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	f(&r, a);
	f(&r, b);
	EXPECT_EQ(bt_size(bt_block(a)), 2 * 96);
	f(&r, c);
	expect_one_block(&r, a);
	fixture_close(&r);
}

TEST(implicit_free_coalesces_with_the_next_block)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	f(&r, c);
	f(&r, b);
	EXPECT_EQ(bt_size(bt_block(b)), 2 * 96);
	f(&r, a);
	expect_one_block(&r, a);
	fixture_close(&r);
}

TEST(implicit_free_coalesces_with_both_neighbours)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	f(&r, a);
	f(&r, c);
	uint64_t free_before = core_of(&r)->free_blocks;
	f(&r, b);
	EXPECT_EQ(core_of(&r)->free_blocks, free_before - 1);  /* three became one */
	expect_one_block(&r, a);
	fixture_close(&r);
}

/*
 * Holes of 256, 128 and 512 bytes separated by live guards, then the free
 * top of the heap; the last placement was the last guard.
 */
struct crafted { char *h256, *h128, *h512, *last_guard; };

static int craft(struct fixture *r, struct crafted *c)
{
	c->h256 = m(r, 248);
	char *g1 = m(r, 16);
	c->h128 = m(r, 120);
	char *g2 = m(r, 16);
	c->h512 = m(r, 504);
	c->last_guard = m(r, 16);
	if (!c->h256 || !g1 || !c->h128 || !g2 || !c->h512 || !c->last_guard)
		return 0;
	f(r, c->h256);
	f(r, c->h128);
	f(r, c->h512);
	return 1;
}

TEST(implicit_first_fit_takes_the_lowest_block_that_fits)
{
	struct fixture r;
	struct crafted c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && craft(&r, &c));
	EXPECT(m(&r, 100) == c.h256);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_best_fit_takes_the_smallest_block_that_fits)
{
	struct fixture r;
	struct crafted c;
	REQUIRE(fixture_open(&r, &alloc_implicit_best, 0, 0) && craft(&r, &c));
	EXPECT(m(&r, 100) == c.h128);
	EXPECT(m(&r, 300) == c.h512);      /* the top is bigger still */
	EXPECT(m(&r, 230) == c.h256);  /* the 208 left of h512 is too small */
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_next_fit_continues_from_the_last_placement)
{
	struct fixture r;
	struct crafted c;
	REQUIRE(fixture_open(&r, &alloc_implicit_next, 0, 0) && craft(&r, &c));
	char *p = m(&r, 100);
	/* Not a hole below the rover: the free top just above the last guard. */
	EXPECT(p == c.last_guard + block_size(c.last_guard));
	/* From the top it wraps round only when the top cannot serve. */
	char *q = m(&r, 100);
	EXPECT(q == p + block_size(p));
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_next_fit_wraps_round_to_the_start)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_next, 0, 0));
	char *low = m(&r, 200), *guard = m(&r, 16);
	REQUIRE(low && guard);
	/* Use up the top exactly, so nothing is free above the rover. */
	char *top = bt_block(guard) + block_size(guard);
	REQUIRE(!bt_is_alloc(top));
	char *filler = m(&r, bt_size(top) - BT_WORD);
	REQUIRE(filler == bt_payload(top));
	f(&r, low);
	size_t brk = r.heap.brk;
	EXPECT(m(&r, 100) == low);
	EXPECT_EQ(r.heap.brk, brk);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_next_fit_rover_survives_coalescing_of_its_block)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_next, 0, 0));
	char *a = m(&r, 40), *b = m(&r, 88), *c = m(&r, 88);  /* the rover is at c */
	REQUIRE(a && b && c);
	f(&r, c);  /* c merges with the free top: the rover still starts a block */
	EXPECT_CLEAN(&r);
	f(&r, b);  /* b swallows c: the rover must move back to b */
	EXPECT_CLEAN(&r);
	/* The search starts at the merged block, so it is what the next request gets. */
	EXPECT(m(&r, 88) == b);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_next_fit_rover_survives_realloc_absorbing_its_block)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_next, 0, 0));
	char *a = m(&r, 88), *b = m(&r, 88), *guard = m(&r, 16);
	REQUIRE(a && b && guard);
	f(&r, b);
	f(&r, guard);       /* guard merges into b and the top ... */
	char *g = m(&r, 88); /* ... which is split again: the rover is at b's old header */
	REQUIRE(g == b);
	f(&r, g);
	EXPECT(r.a->realloc(r.self, a, 150) == a);  /* a grows over b, where the rover is */
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_realloc_grows_in_place_into_a_free_neighbour)
{
	const struct allocator *all[] = { &alloc_implicit_first, &alloc_implicit_next,
	                                  &alloc_implicit_best };
	for (int k = 0; k < 3; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, all[k], 0, 0));
		char *a = m(&r, 100), *b = m(&r, 200), *guard = m(&r, 16);
		REQUIRE(a && b && guard);
		memset(a, 0x11, 100);
		f(&r, b);
		size_t brk = r.heap.brk;
		char *q = r.a->realloc(r.self, a, 250);
		EXPECT(q == a);
		EXPECT_EQ(r.heap.brk, brk);
		EXPECT(r.a->usable_size(r.self, q) >= 250);
		size_t same = 0;
		for (int i = 0; i < 100; i++)
			same += q[i] == 0x11;
		EXPECT_EQ(same, 100);
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(implicit_realloc_at_the_top_raises_the_break_in_place)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0));
	/* Bigger than a chunk: the heap grows by exactly this block, which ends at the top. */
	char *p = m(&r, 100000);
	REQUIRE(p);
	REQUIRE(bt_block(p) + block_size(p) == core_of(&r)->epilogue);
	p[99999] = 7;
	size_t brk = r.heap.brk;
	uint64_t grows = r.heap.grow_calls;
	char *q = r.a->realloc(r.self, p, 300000);
	EXPECT(q == p);
	EXPECT(r.heap.brk > brk);
	EXPECT_EQ(r.heap.grow_calls, grows + 1);
	EXPECT(r.a->usable_size(r.self, q) >= 300000);
	EXPECT_EQ(q[99999], 7);
	q[299999] = 1;
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_realloc_shrinks_in_place_and_frees_the_tail)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0));
	char *p = m(&r, 1000), *guard = m(&r, 16);
	REQUIRE(p && guard);
	uint64_t free_blocks = core_of(&r)->free_blocks;
	EXPECT(r.a->realloc(r.self, p, 100) == p);
	EXPECT_EQ(block_size(p), bt_asize(100));
	EXPECT_EQ(core_of(&r)->free_blocks, free_blocks + 1);
	EXPECT(m(&r, 500) == p + bt_asize(100));  /* first fit finds the freed tail */
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_memalign_returns_the_padding_to_the_free_list)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0));
	char *p = r.a->memalign(r.self, 4096, 100);
	REQUIRE(p);
	EXPECT_EQ((uintptr_t)p % 4096, 0);
	EXPECT(p > core_of(&r)->first + BT_WORD);   /* there was padding below ... */
	EXPECT(!bt_is_alloc(core_of(&r)->first));   /* ... and it is a free block */
	EXPECT_EQ(core_of(&r)->alloc_blocks, 1);
	EXPECT_CLEAN(&r);
	size_t brk = r.heap.brk;
	char *low = m(&r, 16);
	EXPECT(low == bt_payload(core_of(&r)->first));  /* the padding is reused */
	EXPECT_EQ(r.heap.brk, brk);
	f(&r, p);
	f(&r, low);
	EXPECT_EQ(core_of(&r)->free_blocks, 1);          /* everything merged back */
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_grows_by_a_chunk_and_merges_with_the_free_top)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0));
	char *p = m(&r, 1000);
	REQUIRE(p);
	EXPECT_EQ(r.heap.grow_calls, 2);  /* the state, then one chunk */
	size_t brk = r.heap.brk;
	/* Needs more than the free top: the new memory joins it, no hole is left. */
	char *q = m(&r, BT_CHUNK);
	REQUIRE(q);
	EXPECT(q == p + block_size(p));
	EXPECT(r.heap.brk - brk < BT_CHUNK + 64);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_self_check_detects_a_corrupted_footer)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	f(&r, b);
	EXPECT_CLEAN(&r);
	*(size_t *)bt_footer(bt_block(b)) = 64;
	EXPECT(fixture_check(&r) >= 1);
	fixture_close(&r);
}

TEST(implicit_self_check_detects_a_corrupted_header)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	bt_set_hdr(bt_block(b), bt_hdr(bt_block(b)) & ~BT_ALLOC);  /* "free", no footer */
	EXPECT(fixture_check(&r) >= 1);
	bt_set_hdr(bt_block(b), (size_t)1 << 40 | BT_ALLOC | BT_PREV_ALLOC);  /* off the heap */
	EXPECT(fixture_check(&r) >= 1);
	fixture_close(&r);
}

TEST(implicit_self_check_detects_a_rover_off_a_block_boundary)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_next, 0, 0));
	char *a = m(&r, 200);
	REQUIRE(a);
	struct { struct bt_core core; int policy; char *rover; } *view = r.self;
	EXPECT(view->rover == bt_block(a));   /* the layout this test assumes */
	view->rover = bt_block(a) + 16;
	EXPECT(fixture_check(&r) >= 1);
	fixture_close(&r);
}

TEST(implicit_self_check_detects_two_adjacent_free_blocks)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	f(&r, a);
	/* Free b by hand without coalescing, keeping tags and counters consistent. */
	char *bb = bt_block(b);
	bt_mark_free(bb, bt_size(bb));
	bt_clear_prev_alloc(bb + bt_size(bb));
	core_of(&r)->alloc_blocks--;
	core_of(&r)->free_blocks++;
	struct check_findings rep = { 0 };
	EXPECT(r.a->check(r.self, &rep) >= 1);
	EXPECT_STR_CONTAINS(rep.messages[0], "not coalesced");
	fixture_close(&r);
}

TEST(implicit_self_check_detects_a_lying_prev_allocated_flag)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	bt_clear_prev_alloc(bt_block(b));   /* says a is free; a is live */
	EXPECT(fixture_check(&r) >= 1);
	fixture_close(&r);
}

static void grab(void *ctx, const char *name, uint64_t value)
{
	if (strcmp(name, "blocks_scanned") == 0)
		*(uint64_t *)ctx = value;
}

TEST(implicit_best_fit_stops_at_an_exact_fit)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_best, 0, 0));
	char *exact = m(&r, 88);
	REQUIRE(exact && m(&r, 16));
	char *more[40];
	for (int k = 0; k < 40; k++)
		REQUIRE((more[k] = m(&r, 16)) != NULL);
	f(&r, exact);
	uint64_t before = 0, after = 0;
	r.a->stats(r.self, grab, &before);
	EXPECT(m(&r, 88) == exact);
	r.a->stats(r.self, grab, &after);
	EXPECT(after - before <= 2);   /* the exact fit is the first block: no full scan */
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_freeing_a_large_top_block_lowers_the_break)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_next, 0, 0));
	char *low = m(&r, 100), *big = m(&r, 1 << 20);
	REQUIRE(low && big);
	size_t brk = r.heap.brk;
	f(&r, big);
	EXPECT(r.heap.brk < brk - (1 << 19));
	EXPECT_EQ(r.heap.brk, (size_t)(core_of(&r)->epilogue + BT_WORD - r.heap.base));
	EXPECT(bt_size(bt_block(big)) >= BT_CHUNK);     /* a chunk stays for what comes next */
	EXPECT_CLEAN(&r);
	EXPECT(m(&r, 1000) != NULL);
	EXPECT(r.a->realloc(r.self, low, 1 << 21) != NULL);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(implicit_refused_growth_leaves_the_heap_usable)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, (size_t)1 << 24, 100000));
	char *p = m(&r, 1000);
	REQUIRE(p);
	p[999] = 42;
	EXPECT(m(&r, 200000) == NULL);                 /* past the limit */
	uint64_t refused = r.heap.refused_calls;
	char *q = m(&r, 80000);                        /* the chunk is refused, the exact need is not */
	EXPECT(q != NULL);
	EXPECT_EQ(r.heap.refused_calls, refused + 1);
	EXPECT(r.a->realloc(r.self, p, 1 << 20) == NULL);
	EXPECT_EQ(p[999], 42);                         /* p is untouched and still ours */
	EXPECT(r.a->memalign(r.self, 1 << 16, 50000) == NULL);
	EXPECT_CLEAN(&r);
	f(&r, q);
	EXPECT(m(&r, 80000) == q);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

extern const struct allocator alloc_explicit_lifo, alloc_explicit_addr;

/*
 * Big blocks, reallocs and wide alignments mixed so that growth at the top,
 * trimming, in-place realloc and memalign padding all happen, with payloads
 * verified and the self-check run along the way, for all five tables.
 */
TEST(implicit_and_explicit_survive_a_mix_with_large_blocks)
{
	enum { LIVE = 150, OPS = 5000 };
	const struct allocator *all[] = { &alloc_implicit_first, &alloc_implicit_next,
	                                  &alloc_implicit_best, &alloc_explicit_lifo,
	                                  &alloc_explicit_addr };
	for (int t = 0; t < 5; t++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, all[t], 0, 0));
		unsigned char *ptr[LIVE] = { 0 };
		size_t size[LIVE] = { 0 };
		unsigned seed = 777;
		unsigned long bad = 0, failed = 0;
		for (int op = 0; op < OPS; op++) {
			seed = seed * 1103515245u + 12345u;
			int k = (int)((seed >> 8) % LIVE);
			seed = seed * 1103515245u + 12345u;
			unsigned x = seed >> 3;
			size_t want = x % 20 == 0 ? (x >> 5) % 400000 : (x >> 5) % 300;
			if (ptr[k]) {
				for (size_t b = 0; b < size[k]; b += 97)
					bad += ptr[k][b] != (unsigned char)(k ^ b);
				if (x % 3 == 0) {
					unsigned char *q = r.a->realloc(r.self, ptr[k], want);
					failed += q == NULL;
					if (!q)
						continue;
					size_t keep = want < size[k] ? want : size[k];
					for (size_t b = 0; b < keep; b += 97)
						bad += q[b] != (unsigned char)(k ^ b);
					ptr[k] = q;
				} else {
					f(&r, ptr[k]);
					ptr[k] = NULL;
					continue;
				}
			} else {
				size_t align = (size_t)32 << (x % 16);
				ptr[k] = x % 8 == 1 ? r.a->memalign(r.self, align, want) : m(&r, want);
				failed += ptr[k] == NULL;
				if (!ptr[k])
					continue;
				bad += x % 8 == 1 && ((uintptr_t)ptr[k] & (align - 1)) != 0;
			}
			size[k] = want;
			bad += r.a->usable_size(r.self, ptr[k]) < want;
			for (size_t b = 0; b < want; b += 97)
				ptr[k][b] = (unsigned char)(k ^ b);
			if (op % 500 == 0 && !EXPECT_CLEAN(&r))
				break;
		}
		EXPECT_EQ(bad, 0);
		EXPECT_EQ(failed, 0);
		EXPECT_CLEAN(&r);
		for (int k = 0; k < LIVE; k++)
			f(&r, ptr[k]);
		EXPECT_EQ(core_of(&r)->alloc_blocks, 0);
		EXPECT_EQ(core_of(&r)->free_blocks, 1);
		EXPECT(r.heap.brk < r.heap.peak_brk);  /* the top was trimmed */
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(implicit_first_and_best_fit_skip_the_allocated_bottom_of_the_heap)
{
	const struct allocator *fits[] = { &alloc_implicit_first, &alloc_implicit_best };
	for (int t = 0; t < 2; t++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, fits[t], 0, 0));
		uint64_t before = 0, after = 0;
		r.a->stats(r.self, grab, &before);
		for (int k = 0; k < 3000; k++)
			REQUIRE(m(&r, 40) != NULL);
		r.a->stats(r.self, grab, &after);
		EXPECT(after - before < 3 * 3000);   /* not 3000 * 3000 / 2 */
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(implicit_self_check_detects_a_free_block_below_the_lowest_free_hint)
{
	struct fixture r;
	char *a, *b, *c;
	REQUIRE(fixture_open(&r, &alloc_implicit_first, 0, 0) && three(&r, &a, &b, &c));
	f(&r, b);
	struct { struct bt_core core; int policy; char *rover, *lowest; } *view = r.self;
	EXPECT(view->lowest == bt_block(b));  /* the layout this test assumes */
	EXPECT_CLEAN(&r);
	view->lowest = bt_block(c);           /* a boundary, but b is free below it */
	EXPECT(fixture_check(&r) >= 1);
	fixture_close(&r);
}
