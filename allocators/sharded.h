/*
 * sharded.h - the sharded allocator's test-only entry points.
 *
 * The allocator itself is used only through its table (`alloc_sharded`);
 * this header exists so that tests/unit/test_sharded.c can check the size
 * classes, find the page a block lives in and reach a page's list of remote
 * frees, without any of that appearing in `struct allocator`.
 */
#ifndef HEAPLAB_SHARDED_H
#define HEAPLAB_SHARDED_H

#include <stddef.h>
#include <stdint.h>

/* The size class a request of `n` bytes (at most the largest class) falls in. */
unsigned   sharded_class_of_for_test(size_t n);
/* The block size of class `c`, or 0 past the last class. */
size_t     sharded_class_size_for_test(unsigned c);
/* Does payload `p` live in a small page (not a large or aligned block)? */
int        sharded_is_small_for_test(void *self, const void *p);
/* The page holding payload `p` (its 16 KiB-aligned start). */
void      *sharded_page_of_for_test(const void *p);
/* The word of `page` other threads push their frees onto. */
uintptr_t *sharded_remote_word_for_test(void *page);

#endif
