/*
 * common.c - small pieces every allocator shares: violation reporting and the
 * calloc/realloc fallbacks that only need malloc, free and usable_size.
 */
#include "allocator.h"

#include <stdio.h>
#include <string.h>

int check_violation(struct check_findings *findings, const char *fmt, ...)
{
	findings->violations++;
	if (findings->nmessages < CHECK_MAX_MESSAGES) {
		char *m = findings->messages[findings->nmessages++];
		size_t len = sizeof findings->messages[0], n = 0;
		if (findings->name)
			n = (size_t)snprintf(m, len, "%s: ", findings->name);
		if (n < len) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(m + n, len - n, fmt, ap);
			va_end(ap);
		}
	}
	return 1;
}

void *alloc_calloc_via_malloc(void *self, void *(*malloc_fn)(void *, size_t),
                              size_t nmemb, size_t size)
{
	int overflow;
	size_t total = mul_size(nmemb, size, &overflow);
	if (overflow)
		return NULL;
	void *p = malloc_fn(self, total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *alloc_realloc_by_copy(void *self, const struct allocator *a, void *ptr, size_t size)
{
	if (!ptr)
		return a->malloc(self, size);
	void *q = a->malloc(self, size);
	if (!q)
		return NULL;
	size_t old = a->usable_size(self, ptr);
	memcpy(q, ptr, old < size ? old : size);
	a->free(self, ptr);
	return q;
}
