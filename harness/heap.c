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
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
	static size_t cached;
	if (!cached)
		cached = (size_t)sysconf(_SC_PAGESIZE);
	return cached;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

int heap_open(struct heap *heap, size_t reserve, size_t limit)
{
	memset(heap, 0, sizeof *heap);
	if (reserve == 0)
		reserve = HEAP_DEFAULT_RESERVE;
	reserve = round_up(reserve, page_size());
	if (limit == 0 || limit > reserve)
		limit = reserve;
	if (reserve > SIZE_MAX - HEAP_BASE_ALIGN)
		return EINVAL;

	/* Over-reserve, then trim both ends so the region starts aligned. */
	size_t span = reserve + HEAP_BASE_ALIGN;
	char *raw = mmap(NULL, span, PROT_NONE,
	                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return errno;
	char *base = (char *)round_up((uintptr_t)raw, HEAP_BASE_ALIGN);
	size_t head = (size_t)(base - raw), tail = span - head - reserve;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(base + reserve, tail);

	heap->base = base;
	heap->reserved = reserve;
	heap->limit = limit;
	return 0;
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
