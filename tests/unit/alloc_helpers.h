/*
 * alloc_helpers.h - test code more than one allocator's tests need.
 */
#ifndef HEAPLAB_ALLOC_HELPERS_H
#define HEAPLAB_ALLOC_HELPERS_H

#include "allocators/allocator.h"

/*
 * A seeded mix longer than the conformance test's: 4000 live slots, 150,000
 * ops, blocks up to 3 MB, realloc and memalign up to 16 KiB alignment.  The
 * first and last byte of every block are checked before it is freed or
 * resized, the self-check runs every 15,000 ops, and everything is freed at
 * the end.  Failures are recorded against the calling test.
 */
void alloc_stress_mix(const struct allocator *a, void *self);

#endif
