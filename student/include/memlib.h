/*
 * memlib.h - the malloc lab's memory system, as heaplab supplies it.
 *
 * The heap is one contiguous region with a break, like sbrk's: mem_sbrk(n)
 * moves the break up by n bytes and returns its old value, the first byte
 * of the new area, or (void *)-1 with errno set to ENOMEM when it cannot
 * (a negative n is refused, as the lab's memlib refuses it).  Behind it is
 * heaplab's heap provider, so every byte taken shows in the peak break and
 * the utilization.  The memory above the break is not accessible: touching
 * it faults.
 *
 * mem_init, mem_deinit and mem_reset_brk exist for code written against the
 * lab's driver; heaplab sets the heap up before mm_init, so mm.c never needs
 * them.
 */
#ifndef HEAPLAB_MEMLIB_H
#define HEAPLAB_MEMLIB_H

#include <stddef.h>
#include <stdint.h>

void  *mem_sbrk(intptr_t incr);
void  *mem_heap_lo(void);     /* the first byte of the heap                       */
void  *mem_heap_hi(void);     /* the last byte below the break (lo - 1 if empty)  */
size_t mem_heapsize(void);    /* bytes below the break                            */
size_t mem_pagesize(void);    /* the system's page size                           */

void   mem_init(void);
void   mem_deinit(void);
void   mem_reset_brk(void);

#endif
