/*
 * apis.c - one call of each allocation function the recorder hooks, with
 * sizes nothing else uses, so the test can find each line in the trace:
 * malloc 1111, calloc 3 x 2222, realloc to 3333, realloc(NULL, 4444) then
 * realloc(p, 0), memalign 64/5555, posix_memalign 128/6666, aligned_alloc
 * 256/7680, valloc 8888, pvalloc 9999, reallocarray(NULL, 10, 1010); and two
 * allocations that fail (a huge malloc, an overflowing calloc).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *a = malloc(1111);
	char *b = calloc(3, 2222);
	a = realloc(a, 3333);
	char *c = realloc(NULL, 4444);
	c = realloc(c, 0);   /* glibc frees and returns NULL */
	char *d = memalign(64, 5555);
	void *e = NULL;
	if (posix_memalign(&e, 128, 6666))
		return 1;
	char *f = aligned_alloc(256, 7680);
	char *g = valloc(8888);
	char *h = pvalloc(9999);
	char *i = reallocarray(NULL, 10, 1010);
	volatile size_t huge = SIZE_MAX / 2;
	char *x = malloc(huge);
	char *y = calloc(huge, 4);
	printf("%d %d\n", x == NULL, y == NULL);
	/* use every block, so the compiler cannot elide an allocation */
	char *volatile keep[] = { a, b, d, e, f, g, h, i };
	for (unsigned k = 0; k < sizeof keep / sizeof keep[0]; k++)
		keep[k][0] = 1;
	free(a); free(b); free(c); free(d); free(e); free(f); free(g); free(h); free(i);
	return 0;
}
