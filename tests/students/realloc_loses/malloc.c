/*
 * A student's malloc.c on sbrk: a first-fit list of blocks with 16-byte
 * headers (size with a used bit, next block).  The bug: realloc finds a new
 * block but never copies the old contents into it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

struct hdr {
	size_t      size;    /* payload bytes, a multiple of 16; bit 0: used */
	struct hdr *next;    /* next block in address order, or NULL */
};

static struct hdr *head, *tail;

void *malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	for (struct hdr *h = head; h; h = h->next)
		if (!(h->size & 1) && h->size >= n) {
			h->size |= 1;
			return h + 1;
		}
	if (!head) {
		uintptr_t b = (uintptr_t)sbrk(0);
		if (b % 16 && sbrk((intptr_t)(16 - b % 16)) == (void *)-1)
			return NULL;
	}
	struct hdr *h = sbrk((intptr_t)(sizeof *h + n));
	if (h == (void *)-1)
		return NULL;
	h->size = n | 1;
	h->next = NULL;
	if (tail)
		tail->next = h;
	else
		head = h;
	tail = h;
	return h + 1;
}

void free(void *p)
{
	if (p)
		((struct hdr *)p - 1)->size &= ~(size_t)1;
}

void *calloc(size_t n, size_t m)
{
	if (m && n > SIZE_MAX / m)
		return NULL;
	void *p = malloc(n * m);
	if (p)
		memset(p, 0, n * m);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	if ((((struct hdr *)p - 1)->size & ~(size_t)1) >= n)
		return p;
	void *q = malloc(n);   /* BUG: the old contents are never copied */
	free(p);
	return q;
}
