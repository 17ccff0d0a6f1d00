/*
 * bt_fixture.h - the shared allocator fixture (alloc_fixture.h) seen through
 * the block layout of allocators/boundary_tags.h, for the tests of the
 * boundary-tag allocators (implicit.c, explicit.c).
 */
#ifndef HEAPLAB_BT_FIXTURE_H
#define HEAPLAB_BT_FIXTURE_H

#include "alloc_fixture.h"
#include "allocators/boundary_tags.h"

/* The counters and heap edges every boundary-tag allocator keeps first in its state. */
static inline struct bt_core *core_of(struct fixture *r) { return r->self; }

static inline void  *m(struct fixture *r, size_t n) { return r->a->malloc(r->self, n); }
static inline void   f(struct fixture *r, void *p)  { r->a->free(r->self, p); }
static inline size_t block_size(void *p)            { return bt_size(bt_block(p)); }

#endif
