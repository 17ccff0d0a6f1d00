/*
 * heap.h - the heap provider: an sbrk-like break over a private region.
 *
 * Built-in allocators get memory only from here, the way TLSF takes a pool.
 * That is what makes the heap's high-water mark measurable and the memory
 * figures of two runs bit-identical: each run opens a fresh provider whose
 * region starts at an address aligned to HEAP_BASE_ALIGN, so nothing an
 * allocator computes from addresses depends on where the kernel put it.
 *
 * The region is reserved PROT_NONE and made accessible page by page as the
 * break rises, so an allocator that touches memory past its break faults
 * instead of silently corrupting a measurement.  Lowering the break returns
 * the pages above it to the kernel.
 *
 * The provider never calls malloc, so it can also back a real process's
 * malloc (the preloadable libraries) with the same accounting.
 */
#ifndef HEAPLAB_HEAP_H
#define HEAPLAB_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_BASE_ALIGN      ((size_t)1 << 30)  /* region start: 1 GiB aligned   */
#define HEAP_DEFAULT_RESERVE ((size_t)1 << 36)  /* 64 GiB of address space       */
#define HEAP_MIN_RESERVE     ((size_t)1 << 24)  /* halved no further than 16 MiB  */

struct heap {
	char    *base;             /* first byte of the region, HEAP_BASE_ALIGN-aligned */
	size_t   reserved;         /* bytes of address space reserved at base           */
	size_t   limit;            /* the break may not rise above base + limit         */
	size_t   brk;              /* current break, as an offset from base             */
	size_t   peak_brk;         /* highest break ever, as an offset from base        */
	size_t   mapped;           /* bytes at base currently readable and writable     */
	uint64_t calls;            /* heap_sbrk calls, of any increment                 */
	uint64_t grow_calls;       /* calls that raised the break                       */
	uint64_t shrink_calls;     /* calls that lowered the break                      */
	uint64_t refused_calls;    /* calls refused (limit, reservation or bad value)   */
	uint64_t bytes_requested;  /* sum of the increments of calls that raised it     */
	uint64_t bytes_released;   /* sum of the decrements of calls that lowered it    */
};

/*
 * Reserve `reserve` bytes of address space (0: HEAP_DEFAULT_RESERVE) and start
 * the break at the region's base.  `limit` caps the break (0: no cap beyond the
 * reservation).  Returns 0, or a positive errno value.
 */
int heap_open(struct heap *heap, size_t reserve, size_t limit);

/*
 * A heap for one run: with a `limit`, exactly that much is reserved;
 * without, HEAP_DEFAULT_RESERVE, halved while the system refuses it (a tight
 * `ulimit -v`, valgrind) down to HEAP_MIN_RESERVE, so the break can rise as
 * far as the machine allows.  The base is HEAP_BASE_ALIGN-aligned whatever the
 * size, so figures do not depend on it.  *tried (if not NULL) gets the last
 * size asked for.  Returns 0 or an errno value, as heap_open.
 */
int heap_open_fitting(struct heap *heap, size_t limit, size_t *tried);

/* "cannot reserve N MiB ...: why (the address space limit is ...)" for a failure. */
void heap_describe_failure(char *buf, size_t len, size_t tried, int err);

/* Give the whole region back.  The heap must not be used afterwards. */
void heap_close(struct heap *heap);

/*
 * Move the break by `increment` bytes, like sbrk(2): returns the old break, or
 * NULL when the move is refused (past the limit or the reservation, or below
 * the base).  heap_sbrk(heap, 0) returns the current break and counts as a
 * call.  Memory newly exposed by a rise is not guaranteed to be zero.
 */
void *heap_sbrk(struct heap *heap, intptr_t increment);

static inline char *heap_start(const struct heap *heap) { return heap->base; }
static inline char *heap_break(const struct heap *heap) { return heap->base + heap->brk; }

/* True when [p, p + size) lies inside the heap, below the current break. */
static inline int heap_contains(const struct heap *heap, const void *p, size_t size)
{
	uintptr_t lo = (uintptr_t)heap->base, hi = lo + heap->brk, q = (uintptr_t)p;
	return q >= lo && q <= hi && size <= hi - q;
}

#endif
