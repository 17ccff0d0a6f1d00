/*
 * registry.h - test-only allocators that bench can run, in build/bench-test
 * only (never in ./bench: harness/process/peer.h finds them through weak symbols that
 * only this folder defines).
 *
 * Adding one is one line in its file, after its table:
 *
 *     TEST_ALLOCATOR(alloc_test_crash);
 *
 * `build/bench-test --alloc test-crash --trace ...` then runs it like a
 * built-in, in a child process; `--list` shows it with a "test:" marker.
 * The broken-* allocators of broken.c are reachable the same way.
 */
#ifndef HEAPLAB_TEST_REGISTRY_H
#define HEAPLAB_TEST_REGISTRY_H

#include "allocators/allocator.h"

void test_allocator_add(const struct allocator *a);

#define TEST_ALLOCATOR(table)                                              \
	__attribute__((constructor)) static void test_register_##table(void) \
	{                                                                   \
		test_allocator_add(&table);                                 \
	}

#endif
