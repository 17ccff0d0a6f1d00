/*
 * handoff.c - the program suite's allocator stress across threads
 * (programs.list): PAIRS producer threads allocate blocks of mixed sizes,
 * fill them and hand them over through a bounded queue to PAIRS consumer
 * threads, which check and free them - every block is freed by a thread
 * other than the one that allocated it, the pattern that per-thread caches
 * and arenas must handle (remote frees).  Each producer also keeps a small
 * private working set that it reallocs and frees itself.
 *
 *   handoff [PAIRS [BLOCKS]]     (defaults 2 and 400000)
 *
 * The output is a checksum of every block's contents as seen by its
 * consumer, independent of the scheduling, so it is the same on every
 * correct allocator.  Exit 1 when a block arrives corrupted.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_SLOTS 1024

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t  not_empty, not_full;
	void           *slot[QUEUE_SLOTS];
	size_t          head, count;
};

struct block {
	uint64_t seq;      /* producer-unique sequence number */
	uint32_t size;     /* bytes of payload after the header */
	uint32_t seed;
	unsigned char payload[];
};

static struct queue q = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0, 0,
};
static long blocks_per_producer;
static int corrupted;

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void put(void *p)
{
	pthread_mutex_lock(&q.lock);
	while (q.count == QUEUE_SLOTS)
		pthread_cond_wait(&q.not_full, &q.lock);
	q.slot[(q.head + q.count++) % QUEUE_SLOTS] = p;
	pthread_cond_signal(&q.not_empty);
	pthread_mutex_unlock(&q.lock);
}

static void *take(void)
{
	pthread_mutex_lock(&q.lock);
	while (q.count == 0)
		pthread_cond_wait(&q.not_empty, &q.lock);
	void *p = q.slot[q.head];
	q.head = (q.head + 1) % QUEUE_SLOTS;
	q.count--;
	pthread_cond_signal(&q.not_full);
	pthread_mutex_unlock(&q.lock);
	return p;
}

static void *producer(void *arg)
{
	uint32_t s = 2463534242u + (uint32_t)(uintptr_t)arg * 7919u;
	void *mine[64] = { 0 };
	for (long i = 0; i < blocks_per_producer; i++) {
		uint32_t r = next_rand(&s);
		/* mostly small, some medium, a few large */
		uint32_t size = r % 100 < 80 ? 8 + r % 120 : r % 100 < 97 ? 128 + r % 2048
		                                                       : 4096 + r % 65536;
		struct block *b = malloc(sizeof *b + size);
		if (!b) {
			fputs("handoff: out of memory\n", stderr);
			exit(2);
		}
		b->seq = i;
		b->size = size;
		b->seed = r;
		memset(b->payload, (int)(r & 0xff), size);
		put(b);
		/* the private working set: realloc'd and freed by its owner */
		unsigned k = r % 64;
		void *n = realloc(mine[k], 16 + (r >> 8) % 512);
		if (!n) {
			fputs("handoff: out of memory\n", stderr);
			exit(2);
		}
		mine[k] = n;
		memset(n, 1, 16);
		if (r % 7 == 0) {
			free(mine[k]);
			mine[k] = NULL;
		}
	}
	for (unsigned k = 0; k < 64; k++)
		free(mine[k]);
	return NULL;
}

static void *consumer(void *arg)
{
	uint64_t *sum = arg;
	for (;;) {
		struct block *b = take();
		if (!b)
			return NULL;   /* the end marker */
		unsigned char want = (unsigned char)(b->seed & 0xff);
		for (uint32_t k = 0; k < b->size; k += 61)
			if (b->payload[k] != want)
				__atomic_store_n(&corrupted, 1, __ATOMIC_RELAXED);
		*sum += b->seq * 31 + b->size + want;
		free(b);
	}
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? strtol(argv[1], NULL, 10) : 2;
	blocks_per_producer = argc > 2 ? strtol(argv[2], NULL, 10) : 400000;
	if (pairs < 1 || pairs > 64 || blocks_per_producer < 1) {
		fputs("usage: handoff [PAIRS (1-64) [BLOCKS]]\n", stderr);
		return 2;
	}
	pthread_t prod[64], cons[64];
	uint64_t sums[64] = { 0 };
	for (long i = 0; i < pairs; i++) {
		pthread_create(&prod[i], NULL, producer, (void *)(uintptr_t)i);
		pthread_create(&cons[i], NULL, consumer, &sums[i]);
	}
	for (long i = 0; i < pairs; i++)
		pthread_join(prod[i], NULL);
	for (long i = 0; i < pairs; i++)
		put(NULL);
	uint64_t total = 0;
	for (long i = 0; i < pairs; i++) {
		pthread_join(cons[i], NULL);
		total += sums[i];
	}
	printf("handoff: %ld pairs, %ld blocks each, checksum %llu\n", pairs, blocks_per_producer,
	       (unsigned long long)total);
	if (corrupted) {
		fputs("handoff: a block arrived corrupted\n", stderr);
		return 1;
	}
	return 0;
}
