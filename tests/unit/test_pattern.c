/*
 * test_pattern.c - the payload pattern checks every byte, whatever the
 * block's size and wherever the change is: fill and verify work a 64-byte
 * line at a time, so these tests cross every boundary of that (line, word,
 * tail) instead of trusting one size.
 */
#include "test.h"
#include "harness/core/check.h"

/* Sizes around the 8-byte word and 64-byte line boundaries, and beyond. */
static const uint64_t sizes[] = { 0, 1, 7, 8, 9, 63, 64, 65, 71, 72, 127, 128, 129, 200, 1000 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

TEST(pattern_finds_a_changed_byte_at_every_offset_of_every_size)
{
	static unsigned char buf[1024 + 8];
	for (unsigned s = 0; s < NSIZES; s++) {
		uint64_t size = sizes[s];
		/* an odd start too: fill and verify must not assume alignment */
		for (unsigned shift = 0; shift < 2; shift++) {
			unsigned char *p = buf + shift * 3;
			uint8_t want = 0, got = 0;
			check_fill(p, 0, size, 11, 4);
			EXPECT(check_verify(p, size, 11, 4, &want, &got) == -1);
			for (uint64_t k = 0; k < size; k++) {
				p[k] ^= 0x80;
				int64_t off = check_verify(p, size, 11, 4, &want, &got);
				if (off != (int64_t)k)
					test_fail(__FILE__, __LINE__, "size %llu, byte %llu changed: "
					          "verify says %lld", (unsigned long long)size,
					          (unsigned long long)k, (long long)off);
				EXPECT_EQ(want ^ got, 0x80);
				p[k] ^= 0x80;
			}
		}
	}
}

TEST(pattern_reports_the_first_of_two_changes_in_one_line)
{
	unsigned char buf[256];
	uint8_t want, got;
	check_fill(buf, 0, sizeof buf, 2, 2);
	buf[200] ^= 1;
	buf[130] ^= 2;
	buf[129] ^= 4;
	EXPECT_EQ(check_verify(buf, sizeof buf, 2, 2, &want, &got), 129);
	EXPECT_EQ(want ^ got, 4);
}

TEST(pattern_verify_looks_only_at_the_first_size_bytes)
{
	unsigned char buf[200];
	uint8_t want, got;
	check_fill(buf, 0, sizeof buf, 1, 1);
	buf[130] ^= 1;
	EXPECT(check_verify(buf, 130, 1, 1, &want, &got) == -1);
	EXPECT_EQ(check_verify(buf, 131, 1, 1, &want, &got), 130);
}

TEST(pattern_fill_from_any_offset_matches_a_whole_fill)
{
	unsigned char a[300], b[300];
	check_fill(a, 0, sizeof a, 9, 77);
	for (uint64_t from = 0; from <= sizeof b; from++) {
		memset(b, 0, sizeof b);
		check_fill(b, 0, from, 9, 77);
		check_fill(b, from, sizeof b, 9, 77);
		if (memcmp(a, b, sizeof a) != 0)
			test_fail(__FILE__, __LINE__, "refill from %llu differs",
			          (unsigned long long)from);
	}
}

TEST(pattern_fill_writes_nothing_past_the_block)
{
	unsigned char buf[160];
	for (uint64_t size = 0; size < 140; size++) {
		memset(buf, 0xa5, sizeof buf);
		check_fill(buf, 0, size, 3, 3);
		for (uint64_t k = size; k < sizeof buf; k++)
			if (buf[k] != 0xa5) {
				test_fail(__FILE__, __LINE__, "size %llu wrote byte %llu",
				          (unsigned long long)size, (unsigned long long)k);
				break;
			}
	}
}

TEST(zeroed_finds_a_non_zero_byte_at_every_offset)
{
	static unsigned char buf[1000];
	memset(buf, 0, sizeof buf);
	for (unsigned s = 0; s < NSIZES; s++) {
		uint64_t size = sizes[s];
		EXPECT(check_zeroed(buf, size) == -1);
		for (uint64_t k = 0; k < size; k++) {
			buf[k] = 0x10;
			if (check_zeroed(buf, size) != (int64_t)k)
				test_fail(__FILE__, __LINE__, "size %llu, byte %llu set: not found "
				          "there", (unsigned long long)size, (unsigned long long)k);
			buf[k] = 0;
		}
	}
}
