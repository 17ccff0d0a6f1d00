/*
 * test_check_add.c - check_index_add, the overlap query and the insert in
 * one descent, behaves exactly like check_index_overlap followed (when
 * nothing overlaps) by check_index_insert; check_index_remove undoes it
 * and leaves a valid tree in every order.
 */
#include "test.h"
#include "harness/core/check.h"

#include <stdlib.h>

#define MANY 200000u

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

TEST(index_add_keeps_the_tree_valid_and_balanced_in_random_order)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, MANY) == 0);
	uint64_t seed = 2463534242ull;
	uint32_t *order = malloc(MANY * sizeof *order);
	for (uint32_t i = 0; i < MANY; i++)
		order[i] = i;
	for (uint32_t i = MANY - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next_rand(&seed) % (i + 1)), t = order[i];
		order[i] = order[j], order[j] = t;
	}
	for (uint32_t i = 0; i < MANY; i++) {
		uint32_t k = order[i];
		REQUIRE(check_index_add(&ix, k, 4096 + (uintptr_t)k * 64, 48) == CHECK_NIL);
	}
	EXPECT_EQ(ix.live, MANY);
	EXPECT(check_index_valid(&ix) == 0);
	EXPECT(ix.blocks[ix.root].height <= 26);
	/* ascending addresses, the common case in real heaps, stay balanced too */
	struct check_index seq;
	REQUIRE(check_index_init(&seq, MANY) == 0);
	for (uint32_t k = 0; k < MANY; k++)
		REQUIRE(check_index_add(&seq, k, 4096 + (uintptr_t)k * 16, 16) == CHECK_NIL);
	EXPECT(check_index_valid(&seq) == 0);
	EXPECT(seq.blocks[seq.root].height <= 19);
	free(order);
	check_index_free(&ix);
	check_index_free(&seq);
}

TEST(index_add_of_an_overlapping_block_names_it_and_changes_nothing)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, 8) == 0);
	EXPECT_EQ(check_index_add(&ix, 1, 1000, 100), CHECK_NIL);
	EXPECT_EQ(check_index_add(&ix, 2, 1200, 0), CHECK_NIL);
	/* starts inside block 1 */
	EXPECT_EQ(check_index_add(&ix, 3, 1099, 10), 1);
	/* ends one byte into block 1 */
	EXPECT_EQ(check_index_add(&ix, 3, 990, 11), 1);
	/* the one byte a zero-size block owns */
	EXPECT_EQ(check_index_add(&ix, 3, 1200, 0), 2);
	EXPECT_EQ(check_index_add(&ix, 3, 1150, 51), 2);
	EXPECT_EQ(ix.live, 2);
	EXPECT_EQ(ix.blocks[3].state, SLOT_EMPTY);
	EXPECT(check_index_valid(&ix) == 0);
	/* exactly between them touches nobody */
	EXPECT_EQ(check_index_add(&ix, 3, 1100, 100), CHECK_NIL);
	EXPECT_EQ(ix.live, 3);
	EXPECT(check_index_valid(&ix) == 0);
	check_index_free(&ix);
}

/*
 * Random adds and removes on a small address range, so overlaps are
 * frequent: every add answers what check_index_overlap answered just
 * before it, and the tree stays valid.
 */
TEST(index_add_agrees_with_overlap_then_insert_under_churn)
{
	enum { SLOTS = 512, ROUNDS = 40000 };
	struct check_index ix;
	REQUIRE(check_index_init(&ix, SLOTS) == 0);
	uint64_t seed = 88172645463325252ull;
	unsigned bad = 0;
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint32_t slot = (uint32_t)(next_rand(&seed) % SLOTS);
		if (ix.blocks[slot].state == SLOT_LIVE) {
			uintptr_t at = ix.blocks[slot].addr;
			uint64_t live = ix.live;
			check_index_remove(&ix, slot);
			if (ix.live != live - 1 || ix.blocks[slot].state != SLOT_EMPTY ||
			    check_index_overlap(&ix, at, 0) == slot || check_index_valid(&ix) != 0)
				bad++;
			continue;
		}
		uintptr_t addr = 16 * (uintptr_t)(next_rand(&seed) % 4096);
		uint64_t size = next_rand(&seed) % 200;
		uint32_t want = check_index_overlap(&ix, addr, size);
		uint64_t live = ix.live;
		uint32_t got = check_index_add(&ix, slot, addr, size);
		if (got != want || ix.live != live + (want == CHECK_NIL) ||
		    (want == CHECK_NIL) != (ix.blocks[slot].state == SLOT_LIVE))
			bad++;
		if (check_index_valid(&ix) != 0)
			bad++;
	}
	EXPECT_EQ(bad, 0);
	EXPECT(check_index_valid(&ix) == 0);
	check_index_free(&ix);
}

TEST(index_remove_in_ascending_and_descending_order_keeps_the_tree_valid)
{
	enum { N = 5000 };
	for (int descending = 0; descending < 2; descending++) {
		struct check_index ix;
		REQUIRE(check_index_init(&ix, N) == 0);
		for (uint32_t k = 0; k < N; k++)
			REQUIRE(check_index_add(&ix, k, 64 + (uintptr_t)k * 32, 32) == CHECK_NIL);
		unsigned bad = 0;
		for (uint32_t i = 0; i < N; i++) {
			uint32_t k = descending ? N - 1 - i : i;
			check_index_remove(&ix, k);
			if (i % 97 == 0 && check_index_valid(&ix) != 0)
				bad++;
		}
		EXPECT_EQ(bad, 0);
		EXPECT_EQ(ix.live, 0);
		EXPECT_EQ(ix.root, CHECK_NIL);
		check_index_free(&ix);
	}
}
