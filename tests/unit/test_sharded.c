/*
 * test_sharded.c - the free-list-sharding allocator: size classes at their
 * edges, blocks found in their page by address alignment, a free list per
 * page and a bump pointer, empty pages given back, remote frees collected by
 * the owner, large and aligned blocks kept apart, the self-check catching
 * corruption, and --threads calling it without the global lock.
 *
 * Layout facts the tests rely on (allocators/sharded.c): small pages are
 * 16 KiB, aligned, with blocks starting 128 bytes in; blocks up to 1024
 * bytes come from pages; a free block's first word links the page's list.
 */
#include "test.h"
#include "allocators/allocator.h"
#include "harness/core/bulk.h"
#include "harness/replay/cell.h"
#include "alloc_fixture.h"
#include "allocators/sharded.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

extern const struct allocator alloc_sharded;
static const struct allocator *const A = &alloc_sharded;

#define SH_PAGE  ((size_t)16384)
#define SH_FIRST ((size_t)128)
#define SH_SMALL ((size_t)1024)

/* ---- size classes ---- */

TEST(sharded_every_small_size_maps_to_the_smallest_class_that_holds_it)
{
	EXPECT_EQ(sharded_class_of_for_test(0), 0);
	EXPECT_EQ(sharded_class_of_for_test(16), 0);
	EXPECT_EQ(sharded_class_of_for_test(17), 1);
	EXPECT_EQ(sharded_class_size_for_test(sharded_class_of_for_test(128)), 128);
	EXPECT_EQ(sharded_class_size_for_test(sharded_class_of_for_test(129)), 160);
	EXPECT_EQ(sharded_class_size_for_test(sharded_class_of_for_test(SH_SMALL)), SH_SMALL);
	for (size_t n = 1; n <= SH_SMALL; n++) {
		unsigned c = sharded_class_of_for_test(n);
		size_t sz = sharded_class_size_for_test(c);
		if (sz < n || sz % 16 || (c && sharded_class_size_for_test(c - 1) >= n)) {
			test_fail(__FILE__, __LINE__, "size %zu maps to class %u of %zu bytes", n, c, sz);
			return;
		}
	}
}

/* ---- pages ---- */

TEST(sharded_small_blocks_of_a_class_share_an_aligned_page_and_are_bumped_in_order)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *a = A->malloc(in.self, 40), *b = A->malloc(in.self, 48), *c = A->malloc(in.self, 33);
	REQUIRE(a && b && c);
	char *pg = sharded_page_of_for_test(a);
	EXPECT_EQ((uintptr_t)pg % SH_PAGE, 0);
	EXPECT(a == pg + SH_FIRST);          /* the first block after the header */
	EXPECT(b == a + 48 && c == b + 48);  /* then the bump pointer, one block each */
	EXPECT(sharded_is_small_for_test(in.self, a) && sharded_is_small_for_test(in.self, c));
	EXPECT_EQ(A->usable_size(in.self, a), 48);
	char *other = A->malloc(in.self, 100);
	REQUIRE(other);
	EXPECT(sharded_page_of_for_test(other) != pg);  /* another class, another page */
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_freed_block_comes_back_first_for_its_class)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *a = A->malloc(in.self, 64), *b = A->malloc(in.self, 64);
	REQUIRE(a && b);
	A->free(in.self, a);
	EXPECT(A->malloc(in.self, 200) != a);  /* another class does not take it */
	EXPECT(A->malloc(in.self, 50) == a);   /* LIFO on its page's free list */
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_large_and_aligned_blocks_are_not_in_pages)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *big = A->malloc(in.self, SH_SMALL + 1);
	void *al = A->memalign(in.self, 64, 40);
	void *small = A->malloc(in.self, SH_SMALL);
	REQUIRE(big && al && small);
	EXPECT(!sharded_is_small_for_test(in.self, big));
	EXPECT(!sharded_is_small_for_test(in.self, al));
	EXPECT_EQ((uintptr_t)al % 64, 0);
	EXPECT(sharded_is_small_for_test(in.self, small));
	EXPECT(A->usable_size(in.self, big) >= SH_SMALL + 1);
	A->free(in.self, big);
	A->free(in.self, al);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_an_emptied_page_goes_back_unless_it_is_its_class_only_page)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	enum { N = 400 };                      /* 400 x 64 B: more than one 16 KiB page */
	void *p[N];
	for (int i = 0; i < N; i++)
		REQUIRE((p[i] = A->malloc(in.self, 64)) != NULL);
	EXPECT(sharded_page_of_for_test(p[0]) != sharded_page_of_for_test(p[N - 1]));
	EXPECT_EQ(fixture_stat(&in, "pages_taken"), 2);
	void *first = sharded_page_of_for_test(p[0]);
	for (int i = 0; i < N; i++)
		A->free(in.self, p[i]);
	/* One page went back (its bit is clear); the class keeps the other. */
	EXPECT_EQ(fixture_stat(&in, "pages_returned"), 1);
	EXPECT(!sharded_is_small_for_test(in.self, (char *)first + SH_FIRST));
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_realloc_stays_within_its_class_and_moves_across_keeping_contents)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *p = A->malloc(in.self, 100);     /* class of 112 */
	REQUIRE(p);
	memset(p, 0x3c, 100);
	EXPECT(A->realloc(in.self, p, 112) == p);
	EXPECT(A->realloc(in.self, p, 20) == p);
	char *q = A->realloc(in.self, p, 5000);
	REQUIRE(q);
	EXPECT(!sharded_is_small_for_test(in.self, q));
	EXPECT_EQ((unsigned char)q[99], 0x3c);
	char *r = A->realloc(in.self, q, 300);
	REQUIRE(r);
	EXPECT(sharded_is_small_for_test(in.self, r));
	EXPECT_EQ((unsigned char)r[99], 0x3c);
	char *z = A->realloc(in.self, r, 0);
	EXPECT(z != NULL);
	A->free(in.self, z);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_huge_requests_fail_cleanly)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	EXPECT(A->malloc(in.self, SIZE_MAX) == NULL);
	EXPECT(A->malloc(in.self, (size_t)PTRDIFF_MAX) == NULL);
	EXPECT(A->malloc(in.self, (size_t)1 << 63) == NULL);
	EXPECT(A->calloc(in.self, (size_t)1 << 33, (size_t)1 << 33) == NULL);
	EXPECT(A->memalign(in.self, 4096, SIZE_MAX - 100) == NULL);
	void *p = A->malloc(in.self, 100);
	REQUIRE(p);
	EXPECT(A->realloc(in.self, p, SIZE_MAX - 8) == NULL);
	EXPECT_CLEAN(&in);
	A->free(in.self, p);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

/* ---- threads ---- */

struct remote {
	struct fixture *in;
	void       **blocks;
	int          n;
};

static void *free_there(void *arg)
{
	struct remote *r = arg;
	for (int i = 0; i < r->n; i++)
		A->free(r->in->self, r->blocks[i]);
	return NULL;
}

TEST(sharded_blocks_freed_by_another_thread_return_to_the_owners_page)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	enum { N = 32 };
	void *p[N];
	for (int i = 0; i < N; i++)
		REQUIRE((p[i] = A->malloc(in.self, 512)) != NULL);
	void *page = sharded_page_of_for_test(p[0]);
	struct remote r = { &in, p, N };
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, free_there, &r) == 0);
	pthread_join(t, NULL);
	EXPECT_EQ(fixture_stat(&in, "thread_heaps"), 1);   /* freeing made no heap there */
	/* The owner fills its pages again: the remote blocks come back, no new page. */
	uint64_t taken = fixture_stat(&in, "pages_taken");
	for (int i = 0; i < N; i++)
		REQUIRE(A->malloc(in.self, 512) != NULL);
	EXPECT_EQ(fixture_stat(&in, "pages_taken"), taken);
	EXPECT(fixture_stat(&in, "remote_frees_collected") >= 1);
	EXPECT(sharded_is_small_for_test(in.self, page));
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_runs_without_the_global_lock_under_threads)
{
	static const char text[] = "a 1 40\nt 1\na 2 40\nf 1\nt 0\nf 2\na 3 4000\nf 3\n";
	struct trace t;
	struct trace_error err;
	REQUIRE(trace_parse("t.trace", text, strlen(text), &t, &err) == TRACE_OK);
	struct cell_options opt = { .runs = 2, .threads = 1, .check_every = 1 };
	struct cell_result *r = bulk_alloc(sizeof *r);
	cell_run(A, &t, &opt, r);
	EXPECT_EQ(r->status, CELL_OK);
	EXPECT_EQ(r->locked, 0);
	bulk_free(r, sizeof *r);
	trace_free(&t);
}

/* ---- self-check ---- */

TEST(sharded_check_catches_a_free_link_into_the_middle_of_a_block)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *a = A->malloc(in.self, 64), *b = A->malloc(in.self, 64);
	REQUIRE(a && b);
	A->free(in.self, a);
	*(char **)a = b + 8;
	EXPECT(fixture_check(&in) >= 1);
	EXPECT(fixture_reported(&in, "not a handed-out block"));
	*(char **)a = NULL;
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_check_catches_a_block_freed_twice)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *a = A->malloc(in.self, 64);
	REQUIRE(a && A->malloc(in.self, 64));
	A->free(in.self, a);
	*(char **)a = a;                       /* the list loops back to itself */
	EXPECT(fixture_check(&in) >= 1);
	EXPECT(fixture_reported(&in, "free twice"));
	*(char **)a = NULL;
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_check_catches_a_count_that_disagrees_with_the_lists)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	char *a = A->malloc(in.self, 64);
	REQUIRE(a && A->malloc(in.self, 64));
	A->free(in.self, a);
	*(char **)a = NULL;
	/* Forget the free block: one block is then neither free nor counted in use. */
	char *pg = sharded_page_of_for_test(a);
	void **free_head = (void **)pg;        /* struct page's first field */
	*free_head = NULL;
	EXPECT(fixture_check(&in) >= 1);
	EXPECT(fixture_reported(&in, "handed out"));
	*free_head = a;
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(sharded_long_stress_mix_keeps_payloads_and_passes_self_check)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	alloc_stress_mix(A, in.self);
	fixture_close(&in);
}

TEST(sharded_check_catches_a_full_page_whose_remote_word_lost_its_flag)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	enum { N = 40 };                       /* 31 blocks of 512 B fill a page */
	void *p[N];
	for (int i = 0; i < N; i++)
		REQUIRE((p[i] = A->malloc(in.self, 512)) != NULL);
	EXPECT_CLEAN(&in);                    /* the first page is on the full list now */
	uintptr_t *remote = sharded_remote_word_for_test(sharded_page_of_for_test(p[0]));
	REQUIRE(*remote == 1);                 /* empty remote list, flagged full */
	*remote = 0;
	EXPECT(fixture_check(&in) >= 1);
	EXPECT(fixture_reported(&in, "remote word"));
	*remote = 1;
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}
