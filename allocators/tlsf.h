/*
 * tlsf.h - the TLSF allocator's constants and its test-only entry points.
 *
 * The allocator itself is used only through its table (`alloc_tlsf`); this
 * header exists so that tests/unit/test_tlsf.c can check the size-class
 * mapping at its boundaries and corrupt the bitmaps on purpose, without any
 * of that appearing in `struct allocator`.
 */
#ifndef HEAPLAB_TLSF_H
#define HEAPLAB_TLSF_H

#include <stddef.h>
#include <stdint.h>

/* ---- Tunable: any value satisfying the _Static_asserts in tlsf.c works. ---- */

/* log2 of the second-level subdivisions per power of two (4 or 5 in the paper). */
#define TLSF_SL_LOG2        5
/* The pool, and so every block, stays below 2^TLSF_POOL_LOG2 bytes (1 TiB). */
#define TLSF_POOL_LOG2      40
/* The heap grows by what is missing rounded up to this many bytes. */
#define TLSF_CHUNK          ((size_t)64 << 10)
/* A free last block at least this large gives memory back (the threshold doubles
   each time the heap has to grow again after a trim, so a loop cannot thrash). */
#define TLSF_TRIM_THRESHOLD ((size_t)1 << 20)
/* ... keeping this much of it. */
#define TLSF_TRIM_KEEP      TLSF_CHUNK

/* ---- Fixed by the block layout and the project's alignment: do not change. ---- */

#define TLSF_ALIGN_LOG2     4                                  /* HEAPLAB_ALIGN == 16 */
#define TLSF_HEADER         8      /* size word in front of every payload             */
#define TLSF_MIN_BLOCK      32     /* header + two links + successor's back pointer    */
#define TLSF_SL_COUNT       (1u << TLSF_SL_LOG2)
#define TLSF_FL_SHIFT       (TLSF_SL_LOG2 + TLSF_ALIGN_LOG2)
/* Sizes below this are the linear first class (fl 0), one list per 16 bytes. */
#define TLSF_SMALL_LIMIT    ((size_t)1 << TLSF_FL_SHIFT)
#define TLSF_FL_COUNT       (TLSF_POOL_LOG2 - TLSF_FL_SHIFT + 1)
/* Largest block malloc hands out: its rounded search size still maps below fl count. */
#define TLSF_BLOCK_MAX      ((size_t)1 << (TLSF_POOL_LOG2 - 1))

/* ---- Test-only entry points (not part of the allocator table). ---- */

/* The list (fl, sl) a free block of `block_size` bytes lives on. */
void tlsf_mapping_for_test(size_t block_size, unsigned *fl, unsigned *sl);
/* The first list malloc searches for a block of `block_size` bytes ("good fit":
   every block on that list or any later one is at least block_size). */
void tlsf_search_mapping_for_test(size_t block_size, unsigned *fl, unsigned *sl);
/* The block size (header included) a request of `request` bytes needs. */
size_t tlsf_block_size_for_test(size_t request);
/* The bitmaps of an instance, so a test can flip a bit and watch check() notice. */
uint64_t *tlsf_fl_bitmap_for_test(void *self);
uint32_t *tlsf_sl_bitmap_for_test(void *self, unsigned fl);
/* The head of list (fl, sl): a payload-less block pointer, or NULL. */
void *tlsf_list_head_for_test(void *self, unsigned fl, unsigned sl);

#endif
