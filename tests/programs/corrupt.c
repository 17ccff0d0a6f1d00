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

int main(void)
{
	char *a = malloc(100), *b = malloc(100), *c = malloc(100);
	if (!a || !b || !c)
		return 1;
	free(a);
	memset(b - 16, 0xff, 16);
	puts("corrupted");
	fflush(stdout);
	return 0;
}
