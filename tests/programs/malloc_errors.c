/*
 * malloc_errors.c - the error conventions of the malloc family, as a program
 * run under each preloadable library (and under glibc itself, which the
 * common checks must also satisfy: they describe the C library's contract).
 *
 * Prints "allocator NAME" (heaplab's, or "libc"), then "ok CHECK" or
 * "FAIL CHECK: why" per check; exits 1 if any check failed.  With
 * HEAPLAB_HEAP_LIMIT set it also exhausts the heap and checks that the
 * allocator keeps working after refusing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

static void report(const char *name, int ok, const char *why)
{
	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

#define CHECK(name, cond) report(name, (cond), #cond)

/*
 * Sizes and functions the compiler cannot see through: no folding of a
 * request it knows must fail, no use-after-free warning for a block a failed
 * realloc leaves to us, and - clang assumes the allocation functions never
 * write errno - no reading of errno from before the call.
 */
static volatile size_t huge = SIZE_MAX, half = SIZE_MAX / 2 + 1, three = 3;
static void *(*volatile malloc_fn)(size_t) = malloc;
static void *(*volatile calloc_fn)(size_t, size_t) = calloc;
static void *(*volatile realloc_fn)(void *, size_t) = realloc;
static void *(*volatile reallocarray_fn)(void *, size_t, size_t) = reallocarray;
static void *(*volatile aligned_alloc_fn)(size_t, size_t) = aligned_alloc;
static int (*volatile posix_memalign_fn)(void **, size_t, size_t) = posix_memalign;
static void (*volatile free_fn)(void *) = free;

static void check_common(void)
{
	void *p = (void *)0x1, *q;
	int r;

	errno = 1234;
	r = posix_memalign_fn(&p, three, 16);
	CHECK("posix_memalign_odd_alignment_is_einval", r == EINVAL && errno == 1234 && p == (void *)0x1);
	r = posix_memalign_fn(&p, 24, 16);
	CHECK("posix_memalign_non_power_of_two_is_einval", r == EINVAL && p == (void *)0x1);
	r = posix_memalign_fn(&p, sizeof(void *) / 2, 16);
	CHECK("posix_memalign_below_pointer_size_is_einval", r == EINVAL);
	r = posix_memalign_fn(&p, 64, huge);
	CHECK("posix_memalign_huge_is_enomem", r == ENOMEM && p == (void *)0x1);
	r = posix_memalign_fn(&p, 4096, 100);
	CHECK("posix_memalign_page_aligned", r == 0 && (uintptr_t)p % 4096 == 0);
	if (r == 0)
		free(p);

	q = aligned_alloc_fn(256, 1000);
	CHECK("aligned_alloc_256", q && (uintptr_t)q % 256 == 0);
	free(q);

	errno = 0;
	q = malloc_fn(huge);
	CHECK("malloc_size_max_is_enomem", q == NULL && errno == ENOMEM);
	errno = 0;
	q = malloc_fn(half);
	CHECK("malloc_half_address_space_is_enomem", q == NULL && errno == ENOMEM);
	errno = 0;
	q = calloc_fn(half, 2);
	CHECK("calloc_overflow_is_enomem", q == NULL && errno == ENOMEM);
	errno = 0;
	q = reallocarray_fn(NULL, half, 2);
	CHECK("reallocarray_overflow_is_enomem", q == NULL && errno == ENOMEM);

	char *s = malloc_fn(32);
	strcpy(s, "still here");
	errno = 0;
	q = reallocarray_fn(s, half, 4);
	CHECK("reallocarray_overflow_keeps_block",
	      q == NULL && errno == ENOMEM && strcmp(s, "still here") == 0);
	errno = 0;
	q = realloc_fn(s, huge);
	CHECK("realloc_huge_is_enomem_and_keeps_block",
	      q == NULL && errno == ENOMEM && strcmp(s, "still here") == 0);
	free(s);

	CHECK("malloc_usable_size_null_is_zero", malloc_usable_size(NULL) == 0);
	s = malloc_fn(100);
	CHECK("malloc_usable_size_covers_request", s && malloc_usable_size(s) >= 100);
	free(s);

	void *a = malloc_fn(0), *b = malloc_fn(0);
	CHECK("malloc_zero_gives_distinct_blocks", a && b && a != b);
	free(a);
	free(b);

	errno = 77;
	free(NULL);
	s = malloc_fn(10);
	errno = 77;
	free(s);
	CHECK("free_leaves_errno_alone", errno == 77);

	/* Dirty some memory, free it, then calloc must still hand out zeros. */
	for (int round = 0; round < 4; round++) {
		unsigned char *d = malloc_fn(4000);
		memset(d, 0xa5, 4000);
		free(d);
		unsigned char *z = calloc_fn(1000, 4);
		int zero = z != NULL;
		for (int i = 0; z && i < 4000; i++)
			zero &= z[i] == 0;
		free(z);
		if (round == 3)
			CHECK("calloc_zeroes_recycled_memory", zero);
	}

	q = memalign(4096, 10);
	CHECK("memalign_4096", q && (uintptr_t)q % 4096 == 0);
	free(q);
	long page = sysconf(_SC_PAGESIZE);
	q = valloc(10);
	CHECK("valloc_page_aligned", q && (uintptr_t)q % (uintptr_t)page == 0);
	free(q);
	q = pvalloc(10);
	CHECK("pvalloc_page_aligned_whole_page", q && (uintptr_t)q % (uintptr_t)page == 0 &&
	      malloc_usable_size(q) >= (size_t)page);
	free(q);

	/* realloc keeps the contents when growing by a lot and shrinking. */
	s = malloc_fn(16);
	memcpy(s, "0123456789abcde", 16);
	s = realloc(s, 1 << 20);
	int same = s && memcmp(s, "0123456789abcde", 16) == 0;
	s = realloc(s, 8);
	same &= s && memcmp(s, "01234567", 8) == 0;
	CHECK("realloc_keeps_contents", same);
	free(s);
}

/* heaplab's choices where glibc 2.36 differs or is laxer. */
static void check_heaplab_only(void)
{
	void *p = (void *)0x1;
	errno = 1234;
	int r = posix_memalign_fn(&p, 64, huge);
	CHECK("posix_memalign_huge_leaves_errno_alone", r == ENOMEM && errno == 1234);
	errno = 0;
	void *a = aligned_alloc_fn(three, 16);  /* glibc checks this only from 2.38 */
	CHECK("aligned_alloc_bad_alignment_is_einval", a == NULL && errno == EINVAL);

	/* A pointer that is not from the heap is ignored (and counted), not freed. */
	static _Alignas(16) char not_heap[64];
	free_fn(not_heap + 16);
	CHECK("free_of_foreign_pointer_is_ignored", malloc_usable_size(not_heap + 16) == 0);

	/* The project's realloc(p, 0) convention, where glibc returns NULL. */
	char *b = malloc_fn(40);
	char *q = realloc(b, 0);
	CHECK("realloc_zero_returns_min_block", q != NULL);
	free(q);
}

/* With HEAPLAB_HEAP_LIMIT: refuse past the limit, then keep working. */
static void check_exhaustion(size_t limit, int reuses)
{
	errno = 0;
	void *big = malloc_fn(limit + 1);
	CHECK("malloc_past_heap_limit_is_enomem", big == NULL && errno == ENOMEM);

	enum { CHUNK = 64 * 1024, MAX = 1 << 16 };
	static void *held[MAX];
	int n = 0;
	while (n < MAX && (held[n] = malloc_fn(CHUNK)) != NULL) {
		memset(held[n], n, CHUNK);
		n++;
	}
	int eno = errno;
	printf("exhausted after %d blocks of %d bytes\n", n, CHUNK);
	CHECK("exhausting_heap_ends_in_enomem", n > 0 && n < MAX && eno == ENOMEM);
	int intact = 1;
	for (int i = 0; i < n; i++)
		intact &= ((unsigned char *)held[i])[CHUNK - 1] == (unsigned char)i;
	CHECK("blocks_intact_after_refusal", intact);
	for (int i = 0; i < n; i++)
		free(held[i]);
	if (reuses) {   /* bump never reuses a block, by design */
		void *again = malloc_fn(CHUNK);
		CHECK("malloc_works_after_exhaustion_and_free", again != NULL);
		free(again);
	}
}

int main(void)
{
	const char *(*name)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT,
	                                                          "heaplab_allocator_name");
	printf("allocator %s\n", name ? name() : "libc");
	check_common();
	if (name) {
		check_heaplab_only();
		const char *lim = getenv("HEAPLAB_HEAP_LIMIT");
		if (lim && *lim)
			check_exhaustion(strtoull(lim, NULL, 10), strcmp(name(), "bump") != 0);
	}
	printf("%d failed\n", failures);
	return failures != 0;
}
