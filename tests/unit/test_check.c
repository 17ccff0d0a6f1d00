/* test_check.c - the overlap index and the payload patterns. */
#include "test.h"
#include "harness/core/check.h"

#include <stdlib.h>

#define MANY 200000u   /* live blocks: enough that a linear index would crawl */

/* A fixed-seed permutation of 0..n-1 (xorshift, so every run is the same). */
static uint32_t *shuffled(uint32_t n, uint64_t seed)
{
	uint32_t *p = malloc(n * sizeof *p);
	for (uint32_t i = 0; i < n; i++)
		p[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		uint32_t j = (uint32_t)(seed % (i + 1)), t = p[i];
		p[i] = p[j], p[j] = t;
	}
	return p;
}

/* Block k lives at [k * 64, k * 64 + 48): gaps of 16 bytes between neighbours. */
#define BASE ((uintptr_t)1 << 20)
static uintptr_t addr_of(uint32_t k) { return BASE + (uintptr_t)k * 64; }

TEST(overlap_index_stays_valid_and_balanced_with_many_blocks_in_random_order)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, MANY) == 0);
	uint32_t *order = shuffled(MANY, 88172645463325252ull);
	for (uint32_t i = 0; i < MANY; i++) {
		uint32_t k = order[i];
		REQUIRE(check_index_overlap(&ix, addr_of(k), 48) == CHECK_NIL);
		check_index_insert(&ix, k, addr_of(k), 48);
	}
	EXPECT_EQ(ix.live, MANY);
	EXPECT(check_index_valid(&ix) == 0);
	/* AVL: height <= 1.44 log2(n + 2); log2(200000) < 18. */
	EXPECT(ix.blocks[ix.root].height <= 26);
	free(order);
	check_index_free(&ix);
}

TEST(overlap_index_finds_overlap_with_the_lower_neighbour)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, MANY) == 0);
	uint32_t *order = shuffled(MANY, 12345);
	for (uint32_t i = 0; i < MANY; i++)
		check_index_insert(&ix, order[i], addr_of(order[i]), 48);
	for (uint32_t k = 0; k < MANY; k += 997) {
		/* Starts inside block k: its last byte, or its first. */
		EXPECT_EQ(check_index_overlap(&ix, addr_of(k) + 47, 8), k);
		EXPECT_EQ(check_index_overlap(&ix, addr_of(k), 1), k);
	}
	free(order);
	check_index_free(&ix);
}

TEST(overlap_index_finds_overlap_with_the_upper_neighbour)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, MANY) == 0);
	uint32_t *order = shuffled(MANY, 777);
	for (uint32_t i = 0; i < MANY; i++)
		check_index_insert(&ix, order[i], addr_of(order[i]), 48);
	for (uint32_t k = 0; k + 1 < MANY; k += 991) {
		/* Starts in the gap after k, ends one byte into k + 1. */
		EXPECT_EQ(check_index_overlap(&ix, addr_of(k) + 48, 17), k + 1);
		/* Fills the gap exactly: touches nobody. */
		EXPECT_EQ(check_index_overlap(&ix, addr_of(k) + 48, 16), CHECK_NIL);
	}
	/* Below everything, ending inside the first block. */
	EXPECT_EQ(check_index_overlap(&ix, BASE - 8, 9), 0);
	EXPECT_EQ(check_index_overlap(&ix, BASE - 8, 8), CHECK_NIL);
	free(order);
	check_index_free(&ix);
}

TEST(overlap_index_forgets_removed_blocks_and_stays_valid)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, MANY) == 0);
	uint32_t *order = shuffled(MANY, 4242);
	for (uint32_t i = 0; i < MANY; i++)
		check_index_insert(&ix, order[i], addr_of(order[i]), 48);
	uint32_t *gone = shuffled(MANY, 99);
	for (uint32_t i = 0; i < MANY / 2; i++)
		check_index_remove(&ix, gone[i]);
	EXPECT_EQ(ix.live, MANY - MANY / 2);
	EXPECT(check_index_valid(&ix) == 0);
	for (uint32_t i = 0; i < MANY / 2; i += 101) {
		EXPECT_EQ(ix.blocks[gone[i]].state, SLOT_EMPTY);
		EXPECT_EQ(check_index_overlap(&ix, addr_of(gone[i]), 48), CHECK_NIL);
	}
	for (uint32_t i = MANY / 2; i < MANY; i += 101)
		EXPECT_EQ(check_index_overlap(&ix, addr_of(gone[i]) + 10, 4), gone[i]);
	free(order);
	free(gone);
	check_index_free(&ix);
}

TEST(overlap_index_zero_size_block_owns_one_byte)
{
	struct check_index ix;
	REQUIRE(check_index_init(&ix, 4) == 0);
	check_index_insert(&ix, 2, 100, 0);
	EXPECT_EQ(check_index_overlap(&ix, 100, 0), 2);
	EXPECT_EQ(check_index_overlap(&ix, 96, 5), 2);
	EXPECT_EQ(check_index_overlap(&ix, 96, 4), CHECK_NIL);
	EXPECT_EQ(check_index_overlap(&ix, 101, 0), CHECK_NIL);
	check_index_free(&ix);
}

TEST(pattern_verifies_intact_and_finds_the_first_changed_byte)
{
	unsigned char buf[77];
	uint8_t want, got;
	check_fill(buf, 0, sizeof buf, 5, 9);
	EXPECT(check_verify(buf, sizeof buf, 5, 9, &want, &got) == -1);
	buf[70] ^= 1;
	buf[75] ^= 1;
	EXPECT_EQ(check_verify(buf, sizeof buf, 5, 9, &want, &got), 70);
	EXPECT_EQ(want ^ got, 1);
}

TEST(pattern_depends_on_slot_and_seed)
{
	unsigned char buf[64];
	uint8_t want, got;
	check_fill(buf, 0, sizeof buf, 5, 9);
	EXPECT(check_verify(buf, sizeof buf, 6, 9, &want, &got) >= 0);
	EXPECT(check_verify(buf, sizeof buf, 5, 10, &want, &got) >= 0);
}

TEST(pattern_refill_from_an_offset_matches_a_whole_fill)
{
	unsigned char a[45], b[45];
	uint8_t want, got;
	check_fill(a, 0, sizeof a, 3, 1);
	memset(b, 0, sizeof b);
	check_fill(b, 0, 11, 3, 1);
	check_fill(b, 11, sizeof b, 3, 1);
	EXPECT(memcmp(a, b, sizeof a) == 0);
	EXPECT(check_verify(b, sizeof b, 3, 1, &want, &got) == -1);
}

TEST(zeroed_reports_the_first_non_zero_byte)
{
	unsigned char buf[33] = { 0 };
	EXPECT(check_zeroed(buf, sizeof buf) == -1);
	buf[32] = 7;
	EXPECT_EQ(check_zeroed(buf, sizeof buf), 32);
	buf[9] = 1;
	EXPECT_EQ(check_zeroed(buf, sizeof buf), 9);
}
