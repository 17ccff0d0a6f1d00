/*
 * mempass.h - the memory pass: one figure of memory use measured the same way
 * for built-in allocators and peers.
 *
 * In a fresh child process (isolate.h), after the harness's own arrays are
 * faulted in, the pass reads the process's resident anonymous memory as the
 * baseline, replays the trace through the allocator's table and WRITES every
 * block it is handed, as a program writes its data: one byte in every 4 KiB
 * page the block spans, which includes its first and its last byte (a
 * zero-byte block is not written; a realloc'd block is written whole again).
 * Without the writes an allocator that hands out untouched fresh pages would
 * look better than one that reuses memory.
 *
 * Resident anonymous memory (/proc/self/statm: resident - shared, exact) is
 * read before every op and after the last; peak RSS = the highest reading -
 * the baseline.  Anonymous only: the harness's and the allocator's code
 * pages, faulted in (64 KiB at a time) as the pass first runs them, are not
 * the allocator's memory use.  Not the kernel's VmHWM: it is recorded, when
 * memory is unmapped, from counters that leave out per-CPU parts (it lagged
 * the true peak by up to ~140 KiB here) and it includes code pages.
 * Granularity: pages (4 KiB).
 */
#ifndef HEAPLAB_MEMPASS_H
#define HEAPLAB_MEMPASS_H

#include <stdint.h>

#include "cell.h"

#define MEMPASS_METHOD "anon-rss-sampled-per-op"
#define MEMPASS_PAGE   4096u

struct mempass_result {
	int      measured;         /* 1: the figures below are valid              */
	uint64_t peak_rss_bytes;   /* highest reading - baseline                  */
	uint64_t baseline_bytes;   /* resident anonymous memory before the pass   */
	uint64_t high_bytes;       /* the highest reading                         */
	uint64_t failed_allocations;
	char     note[160];        /* why not measured, when measured is 0        */
};

/*
 * Run the memory pass of `a` on `t` (a fresh heap for a built-in; a peer uses
 * the process's malloc).  Returns CELL_OK, CELL_SYSTEM with r->note set when
 * memory for the harness or the heap is refused, or CELL_CHECK_FAILED when
 * init returns NULL.  Without /proc/self/statm it still returns CELL_OK, with
 * measured == 0 and a note.
 */
enum cell_status mempass_run(const struct allocator *a, const struct trace *t,
                             const struct cell_options *opt, struct mempass_result *r);

#endif
