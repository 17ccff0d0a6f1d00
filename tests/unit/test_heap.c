/* test_heap.c - the heap provider: break, peak, limit, shrink, accounting. */
#include "test.h"
#include "allocators/heap.h"

#include <stdint.h>

TEST(heap_base_is_aligned_and_break_starts_at_base)
{
	struct heap h;
	REQUIRE(heap_open(&h, 1 << 20, 0) == 0);
	EXPECT_EQ((uintptr_t)h.base % HEAP_BASE_ALIGN, 0);
	EXPECT(heap_sbrk(&h, 0) == h.base);
	EXPECT_EQ(h.brk, 0);
	heap_close(&h);
}

TEST(heap_grow_returns_old_break_and_memory_is_writable)
{
	struct heap h;
	REQUIRE(heap_open(&h, 1 << 20, 0) == 0);
	char *a = heap_sbrk(&h, 100);
	char *b = heap_sbrk(&h, 5000);
	EXPECT(a == h.base);
	EXPECT(b == h.base + 100);
	memset(a, 0xab, 5100);
	EXPECT_EQ(h.brk, 5100);
	EXPECT_EQ(h.grow_calls, 2);
	EXPECT_EQ(h.bytes_requested, 5100);
	heap_close(&h);
}

TEST(heap_peak_is_high_water_mark_across_shrink)
{
	struct heap h;
	REQUIRE(heap_open(&h, 1 << 20, 0) == 0);
	heap_sbrk(&h, 64 * 1024);
	heap_sbrk(&h, -60 * 1024);
	EXPECT_EQ(h.brk, 4 * 1024);
	EXPECT_EQ(h.peak_brk, 64 * 1024);
	EXPECT_EQ(h.shrink_calls, 1);
	EXPECT_EQ(h.bytes_released, 60 * 1024);
	heap_sbrk(&h, 8 * 1024);
	EXPECT_EQ(h.peak_brk, 64 * 1024);
	memset(h.base, 1, 12 * 1024);   /* regrown pages are usable again */
	heap_close(&h);
}

TEST(heap_refuses_growth_past_limit_and_keeps_working)
{
	struct heap h;
	REQUIRE(heap_open(&h, 1 << 20, 10000) == 0);
	EXPECT(heap_sbrk(&h, 8000) != NULL);
	EXPECT(heap_sbrk(&h, 4000) == NULL);
	EXPECT_EQ(h.brk, 8000);
	EXPECT_EQ(h.refused_calls, 1);
	EXPECT(heap_sbrk(&h, 2000) != NULL);   /* exactly up to the limit is fine */
	EXPECT_EQ(h.brk, 10000);
	EXPECT(heap_sbrk(&h, 1) == NULL);
	heap_close(&h);
}

TEST(heap_refuses_shrink_below_base)
{
	struct heap h;
	REQUIRE(heap_open(&h, 1 << 20, 0) == 0);
	heap_sbrk(&h, 100);
	EXPECT(heap_sbrk(&h, -200) == NULL);
	EXPECT_EQ(h.brk, 100);
	heap_close(&h);
}

TEST(heap_figures_identical_on_fresh_heaps)
{
	struct heap a, b;
	REQUIRE(heap_open(&a, 1 << 24, 0) == 0);
	REQUIRE(heap_open(&b, 1 << 24, 0) == 0);
	EXPECT(a.base != b.base);
	EXPECT_EQ((uintptr_t)a.base % HEAP_BASE_ALIGN, (uintptr_t)b.base % HEAP_BASE_ALIGN);
	heap_close(&a);
	heap_close(&b);
}
