/*
 * corrupt.c - a program with a heap buffer underflow, to prove that
 * HEAPLAB_CHECK=1 reports what a buggy program did to the allocator's blocks.
 *
 * It overwrites the 16 bytes in front of a block - where boundary-tag designs
 * keep a header or the neighbour's footer - and exits without touching the
 * heap again, so the damage is only found by the self-check at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Escaping through a volatile global keeps the compiler from removing the calls. */
static char *volatile keep[3];

int main(void)
{
	for (int i = 0; i < 3; i++) {
		keep[i] = malloc(100);
		if (!keep[i])
			return 1;
		memset(keep[i], 'a' + i, 100);
	}
	free(keep[0]);
	memset(keep[1] - 16, 0xff, 16);
	puts("corrupted");
	fflush(stdout);
	return 0;
}
