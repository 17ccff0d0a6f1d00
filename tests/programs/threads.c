/*
 * threads.c - four threads allocate and free through a shared pool, so a
 * block malloc'd by one thread is often freed by another and its address is
 * then handed to a third: the case the recorder's lock ordering must get right.
 * Every allocation it makes itself has a size in [3000, 3999] or is a
 * realloc of one, so the recorder test can count them in the trace.
 * Prints "allocs N reallocs N frees N".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define ITERS   5000
#define POOL    256

static void *pool[POOL];
static int npool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static long allocs, reallocs, frees;   /* under pool_lock */

static void *worker(void *arg)
{
	uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	for (int i = 0; i < ITERS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned r = (unsigned)(x >> 11);
		if (r % 3) {
			char *p = malloc(3000 + r % 1000);
			memset(p, 1, 64);
			pthread_mutex_lock(&pool_lock);
			allocs++;
			if (npool < POOL) {
				pool[npool++] = p;
				p = NULL;
			}
			pthread_mutex_unlock(&pool_lock);
			if (p) {
				free(p);
				pthread_mutex_lock(&pool_lock);
				frees++;
				pthread_mutex_unlock(&pool_lock);
			}
		} else {
			pthread_mutex_lock(&pool_lock);
			void *p = npool ? pool[--npool] : NULL;
			if (p && r % 7 == 0) {
				p = realloc(p, 3000 + (r >> 8) % 1000);
				reallocs++;
				pool[npool++] = p;
				p = NULL;
			} else if (p) {
				frees++;
			}
			pthread_mutex_unlock(&pool_lock);
			free(p);   /* outside the pool lock: races other threads' mallocs */
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < npool; i++) {
		free(pool[i]);
		frees++;
	}
	printf("allocs %ld reallocs %ld frees %ld\n", allocs, reallocs, frees);
	return 0;
}
