/*
 * heap.c - the heap provider (see heap.h for the contract).
 *
 * Pages are made accessible with mprotect as the break rises past them and
 * dropped with madvise + mprotect when it falls, so the kernel's view of the
 * region follows the break a page at a time.  Only the accounting fields are
 * part of the measurement; `mapped` is bookkeeping.
 */
#define _GNU_SOURCE
#include "heap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static size_t page_size(void)
{
	static size_t cached;
	if (!cached)
		cached = (size_t)sysconf(_SC_PAGESIZE);
	return cached;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

/*
 * `reserve` bytes of PROT_NONE address space starting at a multiple of
 * HEAP_BASE_ALIGN, or MAP_FAILED with errno set.  The kernel usually hands
 * out a region next to its last one, so first ask for exactly `reserve` and,
 * when that is not aligned, for the aligned addresses just above and below
 * it; only then over-reserve by HEAP_BASE_ALIGN and trim.  So a tight address
 * space limit (ulimit -v) need not hold a whole extra GiB.
 */
static char *map_aligned(size_t reserve)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	char *raw = mmap(NULL, reserve, PROT_NONE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	uintptr_t at = (uintptr_t)raw;
	if (at % HEAP_BASE_ALIGN == 0)
		return raw;
	munmap(raw, reserve);
	uintptr_t up = round_up(at, HEAP_BASE_ALIGN), down = up - HEAP_BASE_ALIGN;
	const uintptr_t tries[] = { up, down, down >= HEAP_BASE_ALIGN ? down - HEAP_BASE_ALIGN : 0 };
	for (size_t k = 0; k < sizeof tries / sizeof tries[0]; k++) {
		if (!tries[k] || tries[k] > UINTPTR_MAX - reserve)
			continue;
		char *p = mmap((void *)tries[k], reserve, PROT_NONE, flags | MAP_FIXED_NOREPLACE,
		               -1, 0);
		if (p == (char *)tries[k])
			return p;
		if (p != MAP_FAILED)   /* a kernel without MAP_FIXED_NOREPLACE: a hint only */
			munmap(p, reserve);
	}
	/* Over-reserve, then trim both ends so the region starts aligned. */
	if (reserve > SIZE_MAX - HEAP_BASE_ALIGN) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	size_t span = reserve + HEAP_BASE_ALIGN;
	raw = mmap(NULL, span, PROT_NONE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	char *base = (char *)round_up((uintptr_t)raw, HEAP_BASE_ALIGN);
	size_t head = (size_t)(base - raw), tail = span - head - reserve;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(base + reserve, tail);
	return base;
}

int heap_open(struct heap *heap, size_t reserve, size_t limit)
{
	memset(heap, 0, sizeof *heap);
	if (reserve == 0)
		reserve = HEAP_DEFAULT_RESERVE;
	if (reserve > SIZE_MAX - HEAP_BASE_ALIGN)
		return EINVAL;
	reserve = round_up(reserve, page_size());
	if (limit == 0 || limit > reserve)
		limit = reserve;

	char *base = map_aligned(reserve);
	if (base == MAP_FAILED)
		return errno;
	heap->base = base;
	heap->reserved = reserve;
	heap->limit = limit;
	return 0;
}

int heap_open_fitting(struct heap *heap, size_t limit, size_t *tried)
{
	size_t reserve = limit ? limit : HEAP_DEFAULT_RESERVE;
	int err;
	while ((err = heap_open(heap, reserve, limit)) != 0 && !limit
	       && reserve / 2 >= HEAP_MIN_RESERVE)
		reserve /= 2;
	if (tried)
		*tried = reserve;
	return err;
}

void heap_describe_failure(char *buf, size_t len, size_t tried, int err)
{
	struct rlimit as;
	int n = snprintf(buf, len, "cannot reserve %zu MiB of address space for the heap: %s",
	                 (tried + ((size_t)1 << 20) - 1) >> 20, strerror(err));
	if (n < 0 || (size_t)n >= len)
		return;
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
		snprintf(buf + n, len - (size_t)n, " (the address space limit, ulimit -v, is %llu "
		         "MiB in all: raise it, or lower --heap-limit; without --heap-limit the "
		         "heap takes what is left, down to %zu MiB)",
		         (unsigned long long)(as.rlim_cur >> 20), HEAP_MIN_RESERVE >> 20);
}

void heap_close(struct heap *heap)
{
	if (heap->base)
		munmap(heap->base, heap->reserved);
	heap->base = NULL;
}

/* Make [0, want) accessible and everything above it inaccessible. */
static int heap_map_to(struct heap *heap, size_t want)
{
	want = round_up(want, page_size());
	if (want > heap->mapped) {
		if (mprotect(heap->base + heap->mapped, want - heap->mapped,
		             PROT_READ | PROT_WRITE) != 0)
			return -1;
	} else if (want < heap->mapped) {
		/* The pages go back to the kernel: resident memory follows the break. */
		madvise(heap->base + want, heap->mapped - want, MADV_DONTNEED);
		mprotect(heap->base + want, heap->mapped - want, PROT_NONE);
	}
	heap->mapped = want;
	return 0;
}

void *heap_sbrk(struct heap *heap, intptr_t increment)
{
	char *old = heap->base + heap->brk;

	heap->calls++;
	if (increment > 0) {
		size_t up = (size_t)increment;
		if (up > heap->limit - heap->brk || heap_map_to(heap, heap->brk + up) != 0) {
			heap->refused_calls++;
			return NULL;
		}
		heap->brk += up;
		heap->grow_calls++;
		heap->bytes_requested += up;
		if (heap->brk > heap->peak_brk)
			heap->peak_brk = heap->brk;
	} else if (increment < 0) {
		size_t down = (size_t)0 - (size_t)increment;
		if (down > heap->brk) {
			heap->refused_calls++;
			return NULL;
		}
		heap->brk -= down;
		heap->shrink_calls++;
		heap->bytes_released += down;
		heap_map_to(heap, heap->brk);
	}
	return old;
}
