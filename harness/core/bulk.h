/*
 * bulk.h - the harness's own memory, straight from mmap.
 *
 * The harness never calls malloc for anything that lives during a
 * measurement: when a production allocator is preloaded for a peer run, its
 * heap must hold only what the trace asks for.  Large arrays (ops, slots, the
 * overlap index) are few, so a page-granular allocator is the right tool.
 */
#ifndef HEAPLAB_BULK_H
#define HEAPLAB_BULK_H

#include <stddef.h>

/* Zero-filled, page-aligned; NULL on failure (bytes == 0 gives NULL too). */
void *bulk_alloc(size_t bytes);

/* Resize a bulk_alloc'd block, keeping its contents; NULL on failure (old kept). */
void *bulk_resize(void *p, size_t old_bytes, size_t new_bytes);

void bulk_free(void *p, size_t bytes);

/* A copy of a string in bulk memory; free with bulk_free(s, strlen(s) + 1). */
char *bulk_strdup(const char *s);

#endif
