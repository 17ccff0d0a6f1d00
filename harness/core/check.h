/*
 * check.h - what the checked replay knows about every live block: where it
 * is, what was written into it, and which live block it would overlap.
 *
 * The overlap index is an AVL tree keyed by address whose nodes live in one
 * array indexed by slot (a trace ID holds at most one block at a time), so
 * it needs no malloc and costs O(log n) per insert, remove and query with
 * millions of live blocks.  Live blocks never overlap (each insert is
 * checked first), so the only candidates for overlapping a new block are its
 * two neighbours in address order.
 *
 * Payload patterns: a block is filled with 8-byte words that depend on its
 * slot, a per-fill seed and the word's index, and checked word by word when
 * it is freed or reallocated, so a neighbour's stray write, a stale copy or
 * a block handed out twice shows up as a changed byte.
 */
#ifndef HEAPLAB_CHECK_H
#define HEAPLAB_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define CHECK_NIL UINT32_MAX  /* "no node" in the tree's links */

enum check_slot_state {
	SLOT_EMPTY  = 0,  /* no block: never allocated, or freed             */
	SLOT_LIVE   = 1,  /* holds a block, which is in the overlap index     */
	SLOT_FAILED = 2,  /* its allocation failed: later f/r of it are skipped */
};

/* One per slot; 32 bytes so that ten million slots stay affordable. */
struct check_block {
	uintptr_t addr;    /* payload address as the allocator returned it   */
	uint64_t  size;    /* requested bytes: the pattern covers exactly these */
	uint32_t  left;    /* tree child with lower addresses, or CHECK_NIL  */
	uint32_t  right;   /* tree child with higher addresses, or CHECK_NIL */
	uint32_t  seed;    /* picks the pattern: the op that last filled it  */
	int8_t    height;  /* AVL height of the subtree rooted here (leaf 1) */
	uint8_t   state;   /* enum check_slot_state                          */
	uint16_t  pad;     /* zero                                           */
};
_Static_assert(sizeof(struct check_block) == 32, "check_block should stay 32 bytes");

struct check_index {
	struct check_block *blocks;  /* nslots entries, from bulk memory       */
	uint32_t            nslots;  /* slots in the trace                     */
	uint32_t            root;    /* tree root, or CHECK_NIL when empty     */
	uint64_t            live;    /* blocks in the tree                     */
};

/* 0, or ENOMEM.  Every slot starts SLOT_EMPTY. */
int  check_index_init(struct check_index *ix, uint32_t nslots);
void check_index_free(struct check_index *ix);

/*
 * A live block whose bytes [addr, addr + max(size, 1)) meet those of the
 * given range, or CHECK_NIL.  A zero-byte block still owns one byte: two
 * malloc(0) results must differ.
 */
uint32_t check_index_overlap(const struct check_index *ix, uintptr_t addr, uint64_t size);

/* Record block `slot` (not live) at addr/size and make it live. */
void check_index_insert(struct check_index *ix, uint32_t slot, uintptr_t addr, uint64_t size);

/*
 * check_index_overlap and check_index_insert in one descent: when the range
 * meets a live block, return that block (as check_index_overlap would) and
 * change nothing; otherwise make block `slot` live there and return CHECK_NIL.
 */
uint32_t check_index_add(struct check_index *ix, uint32_t slot, uintptr_t addr, uint64_t size);

/* Take live block `slot` out of the index; its slot becomes SLOT_EMPTY. */
void check_index_remove(struct check_index *ix, uint32_t slot);

/* Walk the tree and return 0 when it is ordered, balanced and disjoint (tests). */
int check_index_valid(const struct check_index *ix);

/* Write the pattern for (slot, seed) into bytes [from, size) of block p. */
void check_fill(void *p, uint64_t from, uint64_t size, uint32_t slot, uint32_t seed);

/*
 * Compare the first `size` bytes of p with the pattern for (slot, seed):
 * returns the offset of the first byte that differs, or -1 when intact.
 * On a difference, *expected and *found hold the two bytes.
 */
int64_t check_verify(const void *p, uint64_t size, uint32_t slot, uint32_t seed,
                     uint8_t *expected, uint8_t *found);

/* Offset of the first non-zero byte of p[0..size), or -1 when all are zero. */
int64_t check_zeroed(const void *p, uint64_t size);

#endif
