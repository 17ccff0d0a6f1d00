/*
 * mm.h - the malloc lab's allocator interface, as heaplab supplies it to a
 * student's mm.c (`bench --alloc mm.c`).
 *
 * mm_init is called before each run on a fresh, empty heap and returns 0, or
 * -1 when it cannot set up.  mm_malloc, mm_free and mm_realloc follow the C
 * library's malloc, free and realloc.  Every pointer mm_malloc returns must
 * be aligned to the alignment the run demands (16 by default; --align 8 for
 * the textbook's 8-byte design) and lie inside the heap mem_sbrk grew.
 *
 * mm_calloc and mm_checkheap may also be defined; heaplab calls mm_calloc
 * when it is, and never calls mm_checkheap (its own checks do that work).
 *
 * Older handouts have each team fill in a team_t; defining `team` is optional.
 */
#ifndef HEAPLAB_MM_H
#define HEAPLAB_MM_H

#include <stddef.h>
#include <stdio.h>

int   mm_init(void);
void *mm_malloc(size_t size);
void  mm_free(void *ptr);
void *mm_realloc(void *ptr, size_t size);

typedef struct {
	char *teamname;  /* login ID of the team (or the student)  */
	char *name1;     /* full name of the first member          */
	char *id1;       /* login ID of the first member           */
	char *name2;     /* full name of the second member, or ""  */
	char *id2;       /* login ID of the second member, or ""   */
} team_t;

extern team_t team;

#endif
