/*
 * broken.h - deliberately broken allocators, for the checker's tests only.
 * They are not in the registry: bench cannot run them.
 */
#ifndef HEAPLAB_BROKEN_H
#define HEAPLAB_BROKEN_H

#include "allocators/allocator.h"

extern const struct allocator *const broken_allocators[];
extern const size_t broken_count;

/* The broken allocator called `name` ("broken-misaligned", ...), or NULL. */
const struct allocator *broken_find(const char *name);

#endif
