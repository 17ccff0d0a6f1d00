/*
 * explicit.c - explicit free list with boundary tags, first fit; LIFO or
 * address-ordered.
 *
 * Algorithm: the block layout of implicit.c (boundary_tags.h: header with
 * size and flags, footer on free blocks only, prologue and epilogue), plus a
 * doubly linked list of the free blocks threaded through their payloads
 * (next link at payload offset 0, prev link at offset 8 - hence the 32-byte
 * minimum block).  malloc walks the list, not the heap, and takes the first
 * block that fits, splitting off a remainder of at least a minimum block;
 * when nothing fits the break rises by max(need, 64 KiB) and the new memory
 * merges with a free block at the top.  free coalesces at once with both
 * neighbours, taking them off the list, and trims a large free top as in
 * implicit.c; realloc and memalign work as there too.  Two insertion orders:
 *   LIFO:          a freed block goes to the head of the list - O(1) free;
 *   address order: the list is kept sorted by address - free is O(free
 *                  blocks) to find the place, by design (O(1) when the block merges
 *                  with a free neighbour: the merged block keeps its place).  The payoff is that
 *                  first fit on an address-ordered list behaves like first
 *                  fit on the heap itself, which is known to fragment less
 *                  than LIFO (Wilson et al. 1995; Johnstone & Wilson 1998,
 *                  "The Memory Fragmentation Problem: Solved?").
 *
 * Time: malloc O(free blocks); free O(1) for LIFO, O(free blocks) for
 * address order (O(1) when it coalesces); realloc O(1) in place, else
 * malloc + free.  Overhead: 8 bytes per allocated block, minimum block 32
 * bytes.
 *
 * Fragmentation: LIFO reuses recently freed memory (good locality) but mixes
 * lifetimes and can fragment badly; address order keeps low addresses
 * densely used and the top block large, close to best fit in practice.
 *
 * Origin: Knuth TAOCP vol 1 §2.5 (boundary tags, doubly linked available
 * list); CS:APP 3rd ed. §9.9.13 (explicit free lists, LIFO vs address
 * order); Wilson, Johnstone, Neely & Boles 1995, "Dynamic Storage
 * Allocation: A Survey and Critical Review".
 */
#include "allocator.h"
#include "boundary_tags.h"

struct explicit_list {
	struct bt_core core;            /* blocks, counters (first member: the hooks cast) */
	int            address_ordered; /* insertion keeps the list sorted by address      */
	char          *head;            /* header of the first free block on the list      */
	uint64_t       length;          /* blocks on the list                              */
	uint64_t       scanned;         /* list nodes looked at by malloc and ordered insert */
};

/* The links live in the free block's payload. */
static inline char **next_link(char *b) { return (char **)(b + BT_WORD); }
static inline char **prev_link(char *b) { return (char **)(b + 2 * BT_WORD); }

_Static_assert(3 * BT_WORD + BT_WORD <= BT_MIN, "links and footer fit in a minimum block");

static void list_insert_after(struct explicit_list *el, char *prev, char *b)
{
	char *next = prev ? *next_link(prev) : el->head;
	*next_link(b) = next;
	*prev_link(b) = prev;
	if (next)
		*prev_link(next) = b;
	if (prev)
		*next_link(prev) = b;
	else
		el->head = b;
	el->length++;
}

static void explicit_link(struct bt_core *c, char *b)
{
	struct explicit_list *el = (struct explicit_list *)c;
	char *prev = NULL;
	if (el->address_ordered) {
		uint64_t n = 0;
		for (char *x = el->head; x && x < b; x = *next_link(x), n++)
			prev = x;
		el->scanned += n;
	}
	list_insert_after(el, prev, b);
}

static void explicit_unlink(struct bt_core *c, char *b, char *into)
{
	struct explicit_list *el = (struct explicit_list *)c;
	(void)into;
	char *next = *next_link(b), *prev = *prev_link(b);
	if (prev)
		*next_link(prev) = next;
	else
		el->head = next;
	if (next)
		*prev_link(next) = prev;
	el->length--;
}

/*
 * In address order the grown block takes the old one's place: nothing lies
 * between them.  LIFO moves it to the head like any freed block.
 */
static void explicit_grew(struct bt_core *c, char *old, char *b)
{
	struct explicit_list *el = (struct explicit_list *)c;
	if (!el->address_ordered) {
		explicit_unlink(c, old, b);
		list_insert_after(el, NULL, b);
		return;
	}
	if (old == b)
		return;
	char *next = *next_link(old), *prev = *prev_link(old);
	*next_link(b) = next;
	*prev_link(b) = prev;
	if (prev)
		*next_link(prev) = b;
	else
		el->head = b;
	if (next)
		*prev_link(next) = b;
}

static const struct bt_hooks explicit_hooks = { explicit_link, explicit_unlink, explicit_grew };

static void *explicit_init(struct heap *heap, int address_ordered)
{
	struct explicit_list *el =
		(struct explicit_list *)bt_init(heap, sizeof(struct explicit_list));
	if (!el)
		return NULL;
	el->address_ordered = address_ordered;
	el->head = NULL;
	return el;
}

static void *explicit_init_lifo(struct heap *heap) { return explicit_init(heap, 0); }
static void *explicit_init_addr(struct heap *heap) { return explicit_init(heap, 1); }

static void *explicit_malloc(void *self, size_t size)
{
	struct explicit_list *el = self;
	if (size > BT_MAX_REQUEST)
		return NULL;
	size_t asize = bt_asize(size);
	char *b = el->head;
	uint64_t n = 0;
	while (b && bt_size(b) < asize) {
		b = *next_link(b);
		n++;
	}
	el->scanned += n;
	if (!b && !(b = bt_grow(&el->core, asize, &explicit_hooks)))
		return NULL;
	return bt_place(&el->core, b, asize, &explicit_hooks);
}

static void explicit_free(void *self, void *ptr)
{
	bt_free(self, ptr, &explicit_hooks);
}

static void *explicit_realloc(void *self, void *ptr, size_t size)
{
	return bt_realloc(self, ptr, size, explicit_malloc, &explicit_hooks);
}

static void *explicit_calloc(void *self, size_t nmemb, size_t size)
{
	return alloc_calloc_via_malloc(self, explicit_malloc, nmemb, size);
}

static void *explicit_memalign(void *self, size_t align, size_t size)
{
	return bt_memalign(self, align, size, explicit_malloc, &explicit_hooks);
}

static size_t explicit_usable_size(void *self, void *ptr)
{
	(void)self;
	return bt_usable_size(ptr);
}

/*
 * The block walk, then the list: every node is a free block at a block
 * boundary inside the heap, links agree both ways, the order holds for the
 * address-ordered list, and the list holds exactly the free blocks the walk
 * met (same count, same fingerprint sum - with prev/next agreeing, no node
 * can appear twice).
 */
static unsigned long explicit_check(void *self, struct check_findings *findings)
{
	struct explicit_list *el = self;
	struct bt_core *c = &el->core;
	struct bt_walk w = { 0 };
	check_as(findings, el->address_ordered ? "explicit-addr" : "explicit-lifo");
	unsigned long bad = bt_check_walk(c, findings, &w);

	uint64_t n = 0, print = 0;
	char *prev = NULL;
	for (char *b = el->head; b; prev = b, b = *next_link(b)) {
		size_t off = (size_t)(b - c->heap->base);
		if (b < c->first || b >= c->epilogue || !heap_contains(c->heap, b, BT_MIN) ||
		    ((uintptr_t)b & (HEAPLAB_ALIGN - 1)) != BT_WORD) {
			bad += check_violation(findings, "list node %llu at %p is not a block in "
			                       "the heap", (unsigned long long)n, (void *)b);
			break;  /* following its links could leave the heap */
		}
		if (bt_is_alloc(b) || bt_size(b) < BT_MIN ||
		    bt_size(b) > (size_t)(c->epilogue - b) ||
		    *(size_t *)bt_footer(b) != (bt_hdr(b) & ~BT_PREV_ALLOC))
			bad += check_violation(findings, "list node at offset %zu is not a free "
			                       "block (header %#zx)", off, bt_hdr(b));
		if (*prev_link(b) != prev)
			bad += check_violation(findings, "list node at offset %zu: prev link %p, "
			                       "expected %p", off, (void *)*prev_link(b),
			                       (void *)prev);
		if (el->address_ordered && prev && prev >= b)
			bad += check_violation(findings, "list out of address order at offset %zu", off);
		print += bt_fingerprint(b);
		if (++n > c->free_blocks + 1) {
			bad += check_violation(findings, "list longer than the %llu free blocks "
			                       "(a cycle?)", (unsigned long long)c->free_blocks);
			break;
		}
	}
	if (n != el->length)
		bad += check_violation(findings, "list has %llu nodes, length says %llu",
		                       (unsigned long long)n, (unsigned long long)el->length);
	if (w.complete && (n != w.free_blocks || print != w.free_print))
		bad += check_violation(findings, "list holds %llu blocks, the heap %llu free "
		                       "blocks%s", (unsigned long long)n,
		                       (unsigned long long)w.free_blocks,
		                       n == w.free_blocks ? " (different ones)" : "");
	return bad;
}

static void explicit_stats(void *self, stat_sink sink, void *ctx)
{
	struct explicit_list *el = self;
	bt_stats(&el->core, sink, ctx);
	sink(ctx, "list_length", el->length);
	sink(ctx, "list_nodes_scanned", el->scanned);
}

#define EXPLICIT_TABLE(order_, name_, desc_)           \
	{                                              \
		.name        = name_,                  \
		.description = desc_,                  \
		.init        = explicit_init_##order_, \
		.malloc      = explicit_malloc,        \
		.free        = explicit_free,          \
		.realloc     = explicit_realloc,       \
		.calloc      = explicit_calloc,        \
		.memalign    = explicit_memalign,      \
		.usable_size = explicit_usable_size,   \
		.check       = explicit_check,         \
		.stats       = explicit_stats,         \
	}

const struct allocator alloc_explicit_lifo = EXPLICIT_TABLE(lifo, "explicit-lifo",
	"explicit doubly linked free list, boundary tags, LIFO insertion, first fit");
const struct allocator alloc_explicit_addr = EXPLICIT_TABLE(addr, "explicit-addr",
	"explicit doubly linked free list, boundary tags, address-ordered, first fit");
