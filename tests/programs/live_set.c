/*
 * live_set.c - a program that keeps hundreds of thousands of small blocks
 * live: it builds a chained hash table of N records (16 to 112 bytes each,
 * every one written in full, as a program fills what it allocates), removes
 * about one record in eight along the way, rehashes into a table twice as
 * large whenever it holds two records a bucket, then walks the table and
 * frees everything.
 *
 *   live_set [N]     N records (default 400000)
 *
 * make bench-compare records it (bench record) and times it whole under
 * glibc and under jemalloc (LD_PRELOAD), to set the replayed
 * jemalloc-vs-glibc ratio next to the real program's (docs/compare.md).
 * Prints a checksum so that none of the work can be optimised away.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record {
	struct record *next;
	uint64_t       key;
	unsigned char  payload[];   /* 0 to 96 bytes */
};

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 400000;
	if (n <= 0)
		return 2;
	size_t nbuckets = 1024, live = 0;
	struct record **bucket = calloc(nbuckets, sizeof *bucket);
	if (!bucket)
		return 1;
	uint64_t sum = 0;
	for (long i = 0; i < n; i++) {
		uint64_t key = next_random();
		size_t len = (size_t)(key >> 58) * 6 % 97;          /* 0..96 payload bytes */
		struct record *r = malloc(sizeof *r + len);
		if (!r)
			return 1;
		r->key = key;
		memset(r->payload, (int)(key & 0xff), len);
		size_t b = key % nbuckets;
		r->next = bucket[b];
		bucket[b] = r;
		live++;
		if (next_random() % 8 == 0 && bucket[b]->next) {  /* drop the bucket's second */
			struct record *gone = bucket[b]->next;
			bucket[b]->next = gone->next;
			sum += gone->key;
			free(gone);
			live--;
		}
		if (live > 2 * nbuckets) {                         /* rehash into twice as many */
			size_t nb = 2 * nbuckets;
			struct record **fresh = calloc(nb, sizeof *fresh);
			if (!fresh)
				return 1;
			for (size_t k = 0; k < nbuckets; k++)
				for (struct record *p = bucket[k], *q; p; p = q) {
					q = p->next;
					p->next = fresh[p->key % nb];
					fresh[p->key % nb] = p;
				}
			free(bucket);
			bucket = fresh;
			nbuckets = nb;
		}
	}
	for (size_t k = 0; k < nbuckets; k++)
		for (struct record *p = bucket[k], *q; p; p = q) {
			q = p->next;
			sum += p->key;
			free(p);
		}
	free(bucket);
	printf("%zu records live at the end, checksum %llx\n", live, (unsigned long long)sum);
	return 0;
}
