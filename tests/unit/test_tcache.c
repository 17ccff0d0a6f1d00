/*
 * test_tcache.c - tlsf-tcache: small blocks come back from the freeing
 * thread's cache, lists are bounded (half flushed to tlsf), large and aligned
 * blocks bypass the caches, realloc keeps contents, a cache is per thread and
 * per instance, and --threads calls it without the global lock.
 */
#include "test.h"
#include "allocators/allocator.h"
#include "alloc_fixture.h"
#include "harness/core/bulk.h"
#include "harness/replay/cell.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

extern const struct allocator alloc_tlsf_tcache;
static const struct allocator *const A = &alloc_tlsf_tcache;

TEST(tcache_small_free_then_malloc_of_its_class_gives_the_block_back)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *p = A->malloc(in.self, 40);
	A->free(in.self, p);
	EXPECT(A->malloc(in.self, 33) == p);   /* 33..48 share the 48-byte class */
	EXPECT_EQ(fixture_stat(&in, "cache_hits"), 1);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tcache_another_class_does_not_take_a_cached_block)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *p = A->malloc(in.self, 40);
	A->free(in.self, p);
	EXPECT(A->malloc(in.self, 64) != p);
	EXPECT_EQ(fixture_stat(&in, "cached_blocks_at_end"), 1);
	fixture_close(&in);
}

TEST(tcache_lists_are_bounded_and_half_is_flushed)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *p[65];
	for (int i = 0; i < 65; i++)
		p[i] = A->malloc(in.self, 100);
	for (int i = 0; i < 65; i++)
		A->free(in.self, p[i]);
	EXPECT_EQ(fixture_stat(&in, "cache_flushes"), 1);
	EXPECT_EQ(fixture_stat(&in, "cached_blocks_at_end"), 32);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tcache_large_and_aligned_blocks_bypass_the_cache)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *big = A->malloc(in.self, 4000);
	void *al = A->memalign(in.self, 4096, 100);
	EXPECT(big && al);
	EXPECT_EQ((uintptr_t)al % 4096, 0);
	memset(al, 7, 100);
	A->free(in.self, big);
	A->free(in.self, al);
	EXPECT_EQ(fixture_stat(&in, "cached_blocks_at_end"), 0);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tcache_realloc_keeps_contents_within_and_across_classes)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	unsigned char *p = A->malloc(in.self, 20);
	for (int i = 0; i < 20; i++)
		p[i] = (unsigned char)i;
	EXPECT(A->realloc(in.self, p, 30) == p);   /* still the 32-byte class */
	unsigned char *q = A->realloc(in.self, p, 3000);
	REQUIRE(q != NULL);
	for (int i = 0; i < 20; i++)
		EXPECT_EQ(q[i], i);
	unsigned char *r = A->realloc(in.self, q, 9000);   /* large to large: tlsf's realloc */
	REQUIRE(r != NULL);
	EXPECT_EQ(r[19], 19);
	unsigned char *s = A->realloc(in.self, r, 10);     /* back to a small class */
	REQUIRE(s != NULL);
	EXPECT_EQ(s[9], 9);
	A->free(in.self, s);
	EXPECT_CLEAN(&in);
	fixture_close(&in);
}

TEST(tcache_calloc_of_a_dirty_cached_block_is_zeroed)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	unsigned char *p = A->malloc(in.self, 64);
	memset(p, 0xff, 64);
	A->free(in.self, p);
	unsigned char *q = A->calloc(in.self, 8, 8);
	EXPECT(q == p);
	for (int i = 0; i < 64; i++)
		EXPECT_EQ(q[i], 0);
	EXPECT(A->calloc(in.self, SIZE_MAX / 2, 3) == NULL);
	fixture_close(&in);
}

TEST(tcache_a_new_instance_never_sees_an_old_ones_cache)
{
	struct fixture a, b;
	REQUIRE(fixture_open(&a, A, (size_t)1 << 34, 0));
	void *p = A->malloc(a.self, 48);
	A->free(a.self, p);
	fixture_close(&a);
	REQUIRE(fixture_open(&b, A, (size_t)1 << 34, 0));   /* may well be mapped at the same address */
	void *q = A->malloc(b.self, 48);
	EXPECT(q != NULL);
	EXPECT_EQ(fixture_stat(&b, "cache_hits"), 0);
	EXPECT_CLEAN(&b);
	fixture_close(&b);
}

struct remote {
	struct fixture *in;
	void        *block;
};

static void *free_there(void *arg)
{
	struct remote *r = arg;
	A->free(r->in->self, r->block);
	r->block = A->malloc(r->in->self, 48);   /* from this thread's cache */
	return NULL;
}

TEST(tcache_a_block_freed_by_another_thread_goes_to_that_threads_cache)
{
	struct fixture in;
	REQUIRE(fixture_open(&in, A, (size_t)1 << 34, 0));
	void *p = A->malloc(in.self, 48);
	struct remote r = { &in, p };
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, free_there, &r) == 0);
	pthread_join(t, NULL);
	EXPECT(r.block == p);
	EXPECT_EQ(fixture_stat(&in, "thread_caches"), 2);
	fixture_close(&in);
}

TEST(tcache_runs_without_the_global_lock_under_threads)
{
	static const char text[] = "a 1 40\nt 1\na 2 40\nf 1\nt 0\nf 2\na 3 40\n";
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
