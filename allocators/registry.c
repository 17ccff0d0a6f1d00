/*
 * registry.c - the built-in allocators, in the order --list shows them:
 * from the naive designs to the serious ones.  Adding an allocator is one
 * `extern` and one line in the table.
 */
#include "allocator.h"

#include <string.h>

extern const struct allocator alloc_bump;
extern const struct allocator alloc_implicit_first;
extern const struct allocator alloc_implicit_next;
extern const struct allocator alloc_implicit_best;
extern const struct allocator alloc_explicit_lifo;
extern const struct allocator alloc_explicit_addr;
extern const struct allocator alloc_segregated;
extern const struct allocator alloc_tlsf;
extern const struct allocator alloc_buddy;
extern const struct allocator alloc_slab;
extern const struct allocator alloc_tlsf_tcache;
extern const struct allocator alloc_compact;
extern const struct allocator alloc_sharded;
/* REGISTRY-EXTERNS (keep this marker: helpers add lines above it) */

const struct allocator *const allocator_registry[] = {
	&alloc_bump,
	&alloc_implicit_first,
	&alloc_implicit_next,
	&alloc_implicit_best,
	&alloc_explicit_lifo,
	&alloc_explicit_addr,
	&alloc_segregated,
	&alloc_tlsf,
	&alloc_buddy,
	&alloc_slab,
	&alloc_tlsf_tcache,
	&alloc_compact,
	&alloc_sharded,
	/* REGISTRY-ENTRIES (keep this marker: helpers add lines above it) */
};

const size_t allocator_count = sizeof allocator_registry / sizeof allocator_registry[0];

const struct allocator *allocator_find(const char *name)
{
	for (size_t i = 0; i < allocator_count; i++)
		if (strcmp(allocator_registry[i]->name, name) == 0)
			return allocator_registry[i];
	return NULL;
}
