/*
 * mempass.h - the memory pass: one figure of memory use measured the same way
 * for built-in allocators and peers.
 *
 * In a fresh child process (isolate.h), after the harness's own arrays are
 * faulted in, the pass resets the kernel's resident high-water mark
 * (`echo 5 > /proc/self/clear_refs` sets VmHWM to the current VmRSS), reads
 * VmRSS as the baseline, replays the trace through the allocator's table and
 * WRITES every block it is handed, as a program writes its data: one byte in
 * every 4 KiB page the block spans, which includes its first and its last
 * byte (a zero-byte block is not written).  A realloc'd block is written
 * whole again.  Then peak RSS = VmHWM - baseline.  Without the writes an
 * allocator that hands out untouched fresh pages would look better than one
 * that reuses memory.  Granularity: pages (4 KiB); the kernel reports kB.
 */
#ifndef HEAPLAB_MEMPASS_H
#define HEAPLAB_MEMPASS_H

#include <stdint.h>

#include "replay.h"

#define MEMPASS_METHOD "rss-hwm-above-baseline"
#define MEMPASS_PAGE   4096u

struct mempass_result {
	int      measured;         /* 1: the figures below are valid              */
	uint64_t peak_rss_bytes;   /* VmHWM after the pass - baseline             */
	uint64_t baseline_bytes;   /* VmRSS just before the pass                  */
	uint64_t hwm_bytes;        /* VmHWM just after it                         */
	uint64_t failed_allocations;
	char     note[160];        /* why not measured, when measured is 0        */
};

/*
 * Run the memory pass of `a` on `t` (a fresh heap for a built-in; a peer uses
 * the process's malloc).  Returns CELL_OK, CELL_SYSTEM with r->note set when
 * memory for the harness or the heap is refused, or CELL_CHECK_FAILED when
 * init returns NULL.  A pass that cannot reset VmHWM still returns CELL_OK
 * with measured == 0 and a note.
 */
enum cell_status mempass_run(const struct allocator *a, const struct trace *t,
                             const struct run_options *opt, struct mempass_result *r);

/* "VmRSS:" / "VmHWM:" of /proc/self/status in bytes, or -1. */
int64_t mempass_status_field(const char *field);

#endif
