/*
 * registry.c - the built-in allocators, as list.h names them and in its
 * order.  Nothing to edit here when adding an allocator.
 */
#include "allocator.h"

#include <string.h>

#define ALLOCATOR(x) extern const struct allocator alloc_##x;
#include "list.h"
#undef ALLOCATOR

const struct allocator *const allocator_registry[] = {
#define ALLOCATOR(x) &alloc_##x,
#include "list.h"
#undef ALLOCATOR
};

const size_t allocator_count = sizeof allocator_registry / sizeof allocator_registry[0];

const struct allocator *allocator_find(const char *name)
{
	for (size_t i = 0; i < allocator_count; i++)
		if (strcmp(allocator_registry[i]->name, name) == 0)
			return allocator_registry[i];
	return NULL;
}
