/*
 * global_lock.c - one mutex around an allocator's table (see global_lock.h).
 */
#include "global_lock.h"


__thread struct global_lock *global_lock_held;

void global_lock_init(struct global_lock *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->inner = NULL;
	l->self = NULL;
	l->track = 0;
}

void global_lock_destroy(struct global_lock *l)
{
	pthread_mutex_destroy(&l->m);
}

void global_lock_release_held(void)
{
	struct global_lock *l = global_lock_held;
	if (l) {   /* it died inside the allocator, holding the lock */
		global_lock_held = NULL;
		pthread_mutex_unlock(&l->m);
	}
}

static void *locked_malloc(void *s, size_t n)
{
	struct global_lock *l = s;
	global_lock_take(l);
	void *p = l->inner->malloc(l->self, n);
	global_lock_drop(l);
	return p;
}

static void *locked_calloc(void *s, size_t nmemb, size_t n)
{
	struct global_lock *l = s;
	global_lock_take(l);
	void *p = l->inner->calloc(l->self, nmemb, n);
	global_lock_drop(l);
	return p;
}

static void *locked_realloc(void *s, void *old, size_t n)
{
	struct global_lock *l = s;
	global_lock_take(l);
	void *p = l->inner->realloc(l->self, old, n);
	global_lock_drop(l);
	return p;
}

static void *locked_memalign(void *s, size_t align, size_t n)
{
	struct global_lock *l = s;
	global_lock_take(l);
	void *p = l->inner->memalign(l->self, align, n);
	global_lock_drop(l);
	return p;
}

static void locked_free(void *s, void *p)
{
	struct global_lock *l = s;
	global_lock_take(l);
	l->inner->free(l->self, p);
	global_lock_drop(l);
}

void global_lock_calls(struct global_lock *l, const struct allocator *a, void *self,
                       struct timed_calls *c)
{
	l->inner = a;
	l->self = self;
	*c = (struct timed_calls){ locked_malloc, locked_calloc, locked_realloc, locked_memalign,
	                           locked_free, l };
}
