/* registry.c - the test-only allocator registry (see registry.h). */
#include "registry.h"

#include "broken.h"
#include "harness/process/peer.h"

#include <string.h>

#define TEST_ALLOCATORS_MAX 64

static const struct allocator *registered[TEST_ALLOCATORS_MAX];
static size_t nregistered;

void test_allocator_add(const struct allocator *a)
{
	if (nregistered < TEST_ALLOCATORS_MAX)
		registered[nregistered++] = a;
}

const struct allocator *test_allocator_find(const char *name)
{
	for (size_t i = 0; i < nregistered; i++)
		if (strcmp(registered[i]->name, name) == 0)
			return registered[i];
	return broken_find(name);
}

void test_allocator_list(FILE *f)
{
	for (size_t i = 0; i < nregistered; i++)
		fprintf(f, "%-16s test: %s\n", registered[i]->name, registered[i]->description);
	for (size_t i = 0; i < broken_count; i++)
		fprintf(f, "%-16s test: %s\n", broken_allocators[i]->name,
		        broken_allocators[i]->description);
}
