/*
 * bt_fixture.h - one allocator instance on its own heap, for the tests of the
 * boundary-tag allocators (implicit.c, explicit.c), which share the layout of
 * allocators/boundary_tags.h.
 */
#ifndef HEAPLAB_BT_FIXTURE_H
#define HEAPLAB_BT_FIXTURE_H

#include "test.h"
#include "allocators/allocator.h"
#include "allocators/boundary_tags.h"

struct run {
	const struct allocator *a;
	struct heap             heap;
	void                   *self;
	struct bt_core         *core;
};

static inline int open_run(struct run *r, const struct allocator *a)
{
	r->a = a;
	if (heap_open(&r->heap, (size_t)1 << 32, 0) != 0)
		return 0;
	r->self = a->init(&r->heap);
	r->core = r->self;
	return r->self != NULL;
}

/* The self-check's violations; any is a failure of the calling test. */
static inline unsigned long violations(struct run *r)
{
	struct check_report rep = { 0 };
	unsigned long n = r->a->check(r->self, &rep);
	if (n)
		test_fail(__FILE__, __LINE__, "%s: %lu violations, first: %s", r->a->name, n,
		          rep.nmessages ? rep.messages[0] : "?");
	return n;
}

/* Like violations() but for tests that expect some: no failure recorded. */
static inline unsigned long count_violations(struct run *r)
{
	struct check_report rep = { 0 };
	return r->a->check(r->self, &rep);
}

static inline void  *m(struct run *r, size_t n) { return r->a->malloc(r->self, n); }
static inline void   f(struct run *r, void *p)  { r->a->free(r->self, p); }
static inline size_t block_size(void *p)        { return bt_size(bt_block(p)); }

#endif
