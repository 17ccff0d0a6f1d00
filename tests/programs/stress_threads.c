/*
 * stress_threads.c - a multi-threaded malloc torture for the preloadable libraries.
 *
 *   stress_threads [NTHREADS] [OPS]      (defaults 4 and 50000)
 *
 * Each thread does OPS random operations over its own table of blocks:
 * malloc, calloc, realloc (grow and shrink), aligned allocations and frees.
 * Every block is filled with a pattern derived from its tag and checked
 * before it is resized or freed, so a block handed out twice, moved
 * without its contents or overwritten by a neighbour is caught.  About one
 * free in four goes through a shared queue and is freed by another thread
 * (cross-thread frees).  Meanwhile the main thread forks every millisecond
 * while the workers run; each child allocates, checks and exits, which only
 * works when the allocator's lock is fork-safe.
 *
 * The output - a checksum of the patterns - depends only on NTHREADS and OPS
 * (each thread has its own deterministic random stream, and what another
 * thread frees is checked but not summed), so two runs on two allocators
 * print the same line.  Exits 1 with a message on the first corrupt block.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS  512     /* live blocks per thread, at most        */
#define QUEUE  1024    /* capacity of the shared cross-free queue */

struct block {
	unsigned char *p;     /* the payload, or NULL for an empty slot */
	size_t         size;  /* bytes written and checked              */
	uint32_t       tag;   /* seeds the fill pattern                 */
};

struct queue {
	pthread_mutex_t lock;             /* guards everything below      */
	struct block    items[QUEUE];     /* blocks waiting to be freed   */
	unsigned        head, count;      /* ring buffer position, length */
};

static struct queue shared = { .lock = PTHREAD_MUTEX_INITIALIZER };
static long ops_per_thread = 50000;
static volatile int failed;
static int workers_done;   /* workers that finished, for the forking loop */

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: small, deterministic, good enough for sizes and choices */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned char pattern(uint32_t tag, size_t i)
{
	return (unsigned char)(tag * 31 + i * 7 + (i >> 8));
}

static void fill(struct block *b)
{
	for (size_t i = 0; i < b->size; i++)
		b->p[i] = pattern(b->tag, i);
}

static uint64_t verify(const struct block *b, size_t upto, const char *when)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < upto; i++) {
		if (b->p[i] != pattern(b->tag, i)) {
			fprintf(stderr, "stress_threads: block %p tag %u size %zu: byte %zu corrupt %s\n",
			        (void *)b->p, b->tag, b->size, i, when);
			failed = 1;
			exit(1);
		}
		sum += b->p[i];
	}
	return sum;
}

static size_t random_size(uint64_t *s)
{
	uint64_t r = next_rand(s);
	switch (r % 16) {
	case 0:  return (size_t)(r >> 8) % 16384;     /* medium */
	case 1:  return (r >> 8) % 64 == 0 ? (size_t)(r >> 16) % (1 << 20) : 100;  /* rare large */
	default: return (size_t)(r >> 8) % 256;        /* small, the common case */
	}
}

static void queue_push(struct block b)
{
	pthread_mutex_lock(&shared.lock);
	if (shared.count < QUEUE) {
		shared.items[(shared.head + shared.count) % QUEUE] = b;
		shared.count++;
		b.p = NULL;
	}
	pthread_mutex_unlock(&shared.lock);
	if (b.p) {   /* queue full: free it here */
		verify(&b, b.size, "before a local free");
		free(b.p);
	}
}

/* Free one block another thread queued, after checking it. */
static void queue_pop_free(void)
{
	struct block b = { 0 };
	pthread_mutex_lock(&shared.lock);
	if (shared.count) {
		b = shared.items[shared.head];
		shared.head = (shared.head + 1) % QUEUE;
		shared.count--;
	}
	pthread_mutex_unlock(&shared.lock);
	if (b.p) {
		verify(&b, b.size, "before a cross-thread free");
		free(b.p);
	}
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9E3779B97F4A7C15ULL * ((uintptr_t)arg + 1), sum = 0;
	struct block *slot = calloc(SLOTS, sizeof *slot);
	if (!slot) {
		fprintf(stderr, "stress_threads: calloc of the slot table failed\n");
		exit(1);
	}
	uint32_t tag = (uint32_t)(uintptr_t)arg << 24;

	for (long op = 0; op < ops_per_thread && !failed; op++) {
		uint64_t r = next_rand(&seed);
		struct block *b = &slot[r % SLOTS];
		unsigned what = (unsigned)(r >> 32) % 10;

		if (!b->p) {
			b->size = random_size(&seed);
			b->tag = ++tag;
			if (what < 6) {
				b->p = malloc(b->size);
			} else if (what < 8) {
				b->p = calloc(1, b->size);
				for (size_t i = 0; b->p && i < b->size; i++)
					if (b->p[i]) {
						fprintf(stderr, "stress_threads: calloc memory not zero\n");
						exit(1);
					}
			} else {
				size_t align = (size_t)16 << ((r >> 40) % 9);   /* 16 .. 4096 */
				void *p = NULL;
				if (posix_memalign(&p, align, b->size) != 0)
					p = NULL;
				if ((uintptr_t)p % align) {
					fprintf(stderr, "stress_threads: posix_memalign(%zu) gave %p\n", align, p);
					exit(1);
				}
				b->p = p;
			}
			if (!b->p) {
				fprintf(stderr, "stress_threads: allocation of %zu bytes failed\n", b->size);
				exit(1);
			}
			if (malloc_usable_size(b->p) < b->size) {
				fprintf(stderr, "stress_threads: usable size %zu < %zu\n",
				        malloc_usable_size(b->p), b->size);
				exit(1);
			}
			fill(b);
		} else if (what < 4) {
			/* realloc keeps the common prefix, then the block gets a new pattern */
			/* never 0: glibc's realloc(p, 0) frees, heaplab's returns a block */
			size_t n = random_size(&seed) + 1;
			sum += verify(b, b->size, "before realloc");
			unsigned char *q = realloc(b->p, n);
			if (!q) {
				fprintf(stderr, "stress_threads: realloc to %zu failed\n", n);
				exit(1);
			}
			b->p = q;
			sum += verify(b, n < b->size ? n : b->size, "after realloc");
			b->size = n;
			b->tag = ++tag;
			fill(b);
		} else {
			sum += verify(b, b->size, "before free");
			if (what < 6) {
				queue_push(*b);
			} else {
				free(b->p);
			}
			b->p = NULL;
		}
		if (op % 8 == 0)
			queue_pop_free();
	}
	for (int i = 0; i < SLOTS; i++)
		if (slot[i].p) {
			sum += verify(&slot[i], slot[i].size, "at the end");
			free(slot[i].p);
		}
	free(slot);
	__atomic_fetch_add(&workers_done, 1, __ATOMIC_RELAXED);
	return (void *)(uintptr_t)sum;
}

/* In the forked child: the allocator must work although other threads held it. */
static int child_allocates(void)
{
	char *keep[256];
	for (int i = 0; i < 256; i++) {
		keep[i] = malloc((size_t)i * 13 + 1);
		if (!keep[i])
			return 1;
		memset(keep[i], i, (size_t)i * 13 + 1);
	}
	for (int i = 0; i < 256; i++) {
		for (int j = 0; j < i * 13 + 1; j++)
			if (keep[i][j] != (char)i)
				return 1;
		free(keep[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	if (argc > 2)
		ops_per_thread = atol(argv[2]);
	if (n < 1 || n > 64 || ops_per_thread < 1) {
		fprintf(stderr, "usage: stress_threads [NTHREADS 1..64] [OPS]\n");
		return 2;
	}

	pthread_t tid[64];
	for (int i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
			fprintf(stderr, "stress_threads: pthread_create failed\n");
			return 1;
		}

	/* Fork again and again while the workers are busy allocating. */
	for (int f = 0; f < 200 && __atomic_load_n(&workers_done, __ATOMIC_RELAXED) < n; f++) {
		usleep(1000);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(10);  /* a child stuck on a lock held across fork fails, not hangs */
			_exit(child_allocates());
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "stress_threads: forked child %d could not allocate "
			        "(status %d)\n", f, status);
			return 1;
		}
	}

	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		void *ret;
		pthread_join(tid[i], &ret);
		total += (uintptr_t)ret;
	}
	while (shared.count)
		queue_pop_free();
	printf("threads %d ops %ld checksum %llu\n", n, ops_per_thread,
	       (unsigned long long)total);
	return failed;
}
