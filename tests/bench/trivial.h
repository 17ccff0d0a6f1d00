/* trivial.h - the benchmark-only allocator of trivial.c (not in the registry). */
#ifndef HEAPLAB_BENCH_TRIVIAL_H
#define HEAPLAB_BENCH_TRIVIAL_H

#include "allocators/allocator.h"

extern const struct allocator bench_trivial;

#endif
