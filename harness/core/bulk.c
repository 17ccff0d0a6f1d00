/* bulk.c - page-granular memory from mmap (see bulk.h). */
#define _GNU_SOURCE
#include "bulk.h"

#include <string.h>
#include <sys/mman.h>

void *bulk_alloc(size_t bytes)
{
	if (bytes == 0)
		return NULL;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *bulk_resize(void *p, size_t old_bytes, size_t new_bytes)
{
	if (!p)
		return bulk_alloc(new_bytes);
	if (new_bytes == 0) {
		bulk_free(p, old_bytes);
		return NULL;
	}
	void *q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
	return q == MAP_FAILED ? NULL : q;
}

void bulk_free(void *p, size_t bytes)
{
	if (p && bytes)
		munmap(p, bytes);
}

char *bulk_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = bulk_alloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
