/*
 * test_explicit.c - the explicit free list (allocators/explicit.c): LIFO and
 * address-ordered reuse, splitting, coalescing with list upkeep, in-place
 * realloc, memalign padding and the self-check of the list.  Layout facts
 * come from allocators/boundary_tags.h; the list links are the first two
 * words of a free block's payload (next, then prev).
 */
#include "bt_fixture.h"

extern const struct allocator alloc_explicit_lifo, alloc_explicit_addr;

static char **next_link(void *p)        { return (char **)p; }
static char **prev_link(void *p)        { return (char **)p + 1; }

/* The start of explicit.c's state, as this test relies on it. */
struct explicit_view {
	struct bt_core core;
	int            address_ordered;
	char          *head;
	uint64_t       length;
};

static char **head_of(struct fixture *r) { return &((struct explicit_view *)r->self)->head; }

static const struct allocator *const both[] = { &alloc_explicit_lifo, &alloc_explicit_addr };

/* Two equal holes x (low) and y (high) between guards; x freed first, then y. */
static int two_holes(struct fixture *r, char **x, char **y)
{
	*x = m(r, 88);
	char *g1 = m(r, 16);
	*y = m(r, 88);
	char *g2 = m(r, 16);
	if (!*x || !g1 || !*y || !g2)
		return 0;
	f(r, *x);
	f(r, *y);
	return 1;
}

TEST(explicit_lifo_reuses_the_most_recently_freed_block)
{
	struct fixture r;
	char *x, *y;
	REQUIRE(fixture_open(&r, &alloc_explicit_lifo, 0, 0) && two_holes(&r, &x, &y));
	EXPECT(m(&r, 88) == y);
	EXPECT(m(&r, 88) == x);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(explicit_addr_reuses_the_lowest_address)
{
	struct fixture r;
	char *x, *y;
	REQUIRE(fixture_open(&r, &alloc_explicit_addr, 0, 0) && two_holes(&r, &x, &y));
	EXPECT(m(&r, 88) == x);
	EXPECT(m(&r, 88) == y);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(explicit_addr_list_stays_sorted_whatever_the_free_order)
{
	struct fixture r;
	REQUIRE(fixture_open(&r, &alloc_explicit_addr, 0, 0));
	char *p[16];
	for (int k = 0; k < 16; k++) {
		p[k] = m(&r, 40 + 16 * (size_t)k);
		REQUIRE(p[k]);
	}
	static const int order[8] = { 10, 2, 14, 6, 0, 12, 4, 8 };  /* every other block */
	for (int k = 0; k < 8; k++)
		f(&r, p[order[k]]);
	EXPECT_CLEAN(&r);           /* includes "list in address order" */
	char *prev = NULL;
	int n = 0;
	for (char *b = *head_of(&r);
	     b; b = *next_link(bt_payload(b)), n++) {
		EXPECT(prev < b);
		prev = b;
	}
	EXPECT_EQ(n, 9);                        /* the eight holes and the top */
	fixture_close(&r);
}

TEST(explicit_splits_a_larger_free_block_and_lists_the_rest)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, both[k], 0, 0));
		char *big = m(&r, 1000), *guard = m(&r, 16);
		REQUIRE(big && guard);
		f(&r, big);
		uint64_t free_blocks = core_of(&r)->free_blocks;
		char *small = m(&r, 600);   /* the top cannot be first: big was freed last / is lower */
		EXPECT(small == big);
		char *rest = bt_block(small) + block_size(small);
		EXPECT(!bt_is_alloc(rest));
		EXPECT_EQ(bt_size(rest), bt_asize(1000) - bt_asize(600));
		EXPECT_EQ(core_of(&r)->free_blocks, free_blocks);   /* one taken, one remainder */
		EXPECT(m(&r, 300) == bt_payload(rest));
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(explicit_does_not_split_when_the_rest_would_be_too_small)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, both[k], 0, 0));
		char *a = m(&r, 120), *guard = m(&r, 16);
		REQUIRE(a && guard);
		f(&r, a);
		uint64_t splits = core_of(&r)->splits;
		char *b = m(&r, 100);
		EXPECT(b == a);
		EXPECT_EQ(block_size(b), 128);
		EXPECT_EQ(core_of(&r)->splits, splits);
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

/*
 * a, b, c (96 bytes each) below a guard; `order` says which to free (a=0,
 * b=1, c=2) - all three end up as one listed free block at a.
 */
static void coalesce_case(const struct allocator *al, const int order[3])
{
	struct fixture r;
	REQUIRE(fixture_open(&r, al, 0, 0));
	char *blk[3];
	for (int k = 0; k < 3; k++)
		blk[k] = m(&r, 88);
	REQUIRE(blk[0] && blk[1] && blk[2] && m(&r, 16));
	for (int k = 0; k < 3; k++) {
		f(&r, blk[order[k]]);
		EXPECT_CLEAN(&r);  /* list and heap agree after each merge */
	}
	EXPECT(!bt_is_alloc(bt_block(blk[0])));
	EXPECT_EQ(bt_size(bt_block(blk[0])), 3 * 96);
	EXPECT_EQ(core_of(&r)->free_blocks, 2);  /* the merged block and the top */
	size_t brk = r.heap.brk;
	EXPECT(m(&r, 3 * 96 - BT_WORD) == blk[0]);
	EXPECT_EQ(r.heap.brk, brk);
	EXPECT_CLEAN(&r);
	fixture_close(&r);
}

TEST(explicit_free_coalesces_with_the_previous_block)
{
	static const int order[3] = { 0, 1, 2 };
	coalesce_case(&alloc_explicit_lifo, order);
	coalesce_case(&alloc_explicit_addr, order);
}

TEST(explicit_free_coalesces_with_the_next_block)
{
	static const int order[3] = { 2, 1, 0 };
	coalesce_case(&alloc_explicit_lifo, order);
	coalesce_case(&alloc_explicit_addr, order);
}

TEST(explicit_free_coalesces_with_both_neighbours)
{
	static const int order[3] = { 0, 2, 1 };
	coalesce_case(&alloc_explicit_lifo, order);
	coalesce_case(&alloc_explicit_addr, order);
}

TEST(explicit_realloc_grows_in_place_into_a_free_neighbour)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, both[k], 0, 0));
		char *a = m(&r, 100), *b = m(&r, 200), *guard = m(&r, 16);
		REQUIRE(a && b && guard);
		memset(a, 0x22, 100);
		f(&r, b);
		size_t brk = r.heap.brk;
		char *q = r.a->realloc(r.self, a, 250);
		EXPECT(q == a);
		EXPECT_EQ(r.heap.brk, brk);
		size_t same = 0;
		for (int i = 0; i < 100; i++)
			same += q[i] == 0x22;
		EXPECT_EQ(same, 100);
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(explicit_realloc_at_the_top_raises_the_break_in_place)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, both[k], 0, 0));
		char *p = m(&r, 100000);
		REQUIRE(p && bt_block(p) + block_size(p) == core_of(&r)->epilogue);
		p[0] = 9;
		size_t brk = r.heap.brk;
		char *q = r.a->realloc(r.self, p, 250000);
		EXPECT(q == p);
		EXPECT(r.heap.brk > brk);
		EXPECT_EQ(q[0], 9);
		q[249999] = 1;
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(explicit_realloc_moves_when_boxed_in_and_frees_the_old_block)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, both[k], 0, 0));
		char *a = m(&r, 100), *guard = m(&r, 16);
		REQUIRE(a && guard);
		memset(a, 0x33, 100);
		uint64_t free_blocks = core_of(&r)->free_blocks;
		char *q = r.a->realloc(r.self, a, 400);
		REQUIRE(q);
		EXPECT(q != a);
		EXPECT_EQ(q[99], 0x33);
		EXPECT(!bt_is_alloc(bt_block(a)));
		EXPECT_EQ(core_of(&r)->free_blocks, free_blocks + 1);
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(explicit_memalign_returns_the_padding_to_the_free_list)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		REQUIRE(fixture_open(&r, both[k], 0, 0));
		char *p = r.a->memalign(r.self, 8192, 300);
		REQUIRE(p);
		EXPECT_EQ((uintptr_t)p % 8192, 0);
		EXPECT(!bt_is_alloc(core_of(&r)->first));  /* the padding is a free block */
		EXPECT_CLEAN(&r);          /* and it is on the list */
		/* A request that only the padding can satisfy without growing. */
		size_t pad = bt_size(core_of(&r)->first);
		char *top = bt_block(p) + block_size(p);
		char *fill = m(&r, bt_size(top) - BT_WORD);   /* use up the top exactly */
		REQUIRE(fill == bt_payload(top));
		size_t brk = r.heap.brk;
		char *low = m(&r, pad - BT_WORD);
		EXPECT(low == bt_payload(core_of(&r)->first));
		EXPECT_EQ(r.heap.brk, brk);
		EXPECT_CLEAN(&r);
		fixture_close(&r);
	}
}

TEST(explicit_self_check_detects_a_corrupted_footer)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		char *x, *y;
		REQUIRE(fixture_open(&r, both[k], 0, 0) && two_holes(&r, &x, &y));
		EXPECT_CLEAN(&r);
		*(size_t *)bt_footer(bt_block(x)) = 48;
		EXPECT(fixture_check(&r) >= 1);
		fixture_close(&r);
	}
}

TEST(explicit_self_check_detects_a_next_link_into_an_allocated_block)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		char *x, *y;
		REQUIRE(fixture_open(&r, both[k], 0, 0) && two_holes(&r, &x, &y));
		char *live = m(&r, 200);
		REQUIRE(live);
		EXPECT_CLEAN(&r);
		*next_link(x) = bt_block(live);    /* x's successor is now a live block */
		EXPECT(fixture_check(&r) >= 1);
		fixture_close(&r);
	}
}

TEST(explicit_self_check_detects_a_broken_prev_link)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		char *x, *y;
		REQUIRE(fixture_open(&r, both[k], 0, 0) && two_holes(&r, &x, &y));
		EXPECT_CLEAN(&r);
		*prev_link(y) = bt_block(y);       /* points at itself */
		EXPECT(fixture_check(&r) >= 1);
		fixture_close(&r);
	}
}

TEST(explicit_self_check_detects_a_free_block_missing_from_the_list)
{
	for (int k = 0; k < 2; k++) {
		struct fixture r;
		char *x, *y;
		REQUIRE(fixture_open(&r, both[k], 0, 0) && two_holes(&r, &x, &y));
		/* Splice x out of the list behind the allocator's back. */
		char *prev = *prev_link(x), *next = *next_link(x);
		if (prev)
			*next_link(bt_payload(prev)) = next;
		else
			*head_of(&r) = next;
		if (next)
			*prev_link(bt_payload(next)) = prev;
		((struct explicit_view *)r.self)->length--;  /* the list is consistent in itself */
		EXPECT(fixture_check(&r) >= 1);
		fixture_close(&r);
	}
}

TEST(explicit_self_check_detects_a_link_out_of_the_heap)
{
	struct fixture r;
	char *x, *y;
	REQUIRE(fixture_open(&r, &alloc_explicit_addr, 0, 0) && two_holes(&r, &x, &y));
	*next_link(x) = r.heap.base + ((size_t)1 << 31);  /* reserved but far above the break */
	EXPECT(fixture_check(&r) >= 1);              /* and no crash following it */
	fixture_close(&r);
}
