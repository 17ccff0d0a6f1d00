/*
 * trace.h - an allocation trace, decoded into a compact array before
 * anything is timed.
 *
 * Two text formats are read, told apart by content (not by file name):
 * heaplab's native `.trace` and CS:APP malloclab's `.rep`.  Both are
 * documented in workloads/README.md.
 *
 * Block IDs are remapped at load time to dense slots 0..nslots-1 (one slot
 * per distinct ID), so replay indexes a flat array instead of hashing.
 */
#ifndef HEAPLAB_TRACE_H
#define HEAPLAB_TRACE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "trace_format.h"

enum op_kind {
	OP_MALLOC   = 0,  /* a ID SIZE          */
	OP_CALLOC   = 1,  /* c ID NMEMB SIZE    */
	OP_REALLOC  = 2,  /* r ID SIZE          */
	OP_MEMALIGN = 3,  /* m ID ALIGN SIZE    */
	OP_FREE     = 4,  /* f ID               */
	OP_KINDS
};

extern const char *const op_kind_name[OP_KINDS];  /* "malloc", "calloc", ... */

/* op_kind_name[kind], or "unknown" for a kind out of range. */
const char *trace_kind_name(unsigned kind);

/* One operation: 16 bytes, so tens of millions fit comfortably. */
struct op {
	uint64_t size;        /* bytes; for calloc the element size (nmemb in calloc_nmemb) */
	uint32_t slot;        /* dense block index                                         */
	uint8_t  kind;        /* enum op_kind                                              */
	uint8_t  align_log2;  /* memalign: log2 of ALIGN; otherwise 0                      */
	union {
		uint16_t thread;   /* dense thread index (0..nthreads-1): see struct trace      */
		uint16_t reserved; /* its name before threads (zero in single-threaded traces)  */
	};
};
_Static_assert(sizeof(struct op) == 16, "struct op must stay 16 bytes");

enum trace_format { TRACE_NATIVE, TRACE_REP };

struct trace {
	char             *path;            /* as given by the user (owned)                      */
	enum trace_format format;
	struct op        *ops;             /* nops operations, in trace order                   */
	size_t            nops;
	uint32_t         *line;            /* line[i]: source line of ops[i], for messages      */
	uint64_t         *calloc_nmemb;    /* NMEMB of each calloc op, in trace order           */
	size_t            ncalloc;
	uint32_t          nslots;          /* distinct block IDs                                */
	uint32_t         *slot_id;         /* slot_id[s]: the ID as written in the trace        */
	uint64_t          count[OP_KINDS]; /* operations of each kind                           */
	uint64_t          peak_live_bytes; /* max over the trace of requested bytes live, as if
	                                      no allocation failed                              */
	uint64_t          peak_live_blocks;/* max over the trace of blocks live                 */
	uint64_t          live_at_end;     /* blocks never freed                                */
	uint64_t          file_bytes;      /* size of the file read                             */
	uint64_t          cut_short_bytes; /* a recording cut short: bytes after its last
	                                      complete line, ending in zero bytes, not read
	                                      (0: none; trace_warn_cut_short says so)         */
	uint32_t          nthreads;        /* distinct threads with ops (1: single-threaded)    */
	uint16_t         *thread_tid;      /* thread_tid[k]: TID as written of thread index k,
	                                      in order of first op (NULL when nthreads is 1 and
	                                      that thread is TID 0)                             */
	char              sha256[65];      /* hex digest of the file's bytes                    */
	/* .rep only: the header as written */
	uint64_t          rep_heap_size, rep_num_ids, rep_num_ops, rep_weight;
};

/* A diagnostic, already formatted as "FILE:LINE: what is wrong" (or "FILE: ..."). */
struct trace_error {
	char message[512];
};

enum trace_status {
	TRACE_OK       = 0,
	TRACE_EINPUT   = 1,  /* the file is not a valid trace: bad usage/input exit code */
	TRACE_ESYSTEM  = 2,  /* could not read it, or out of memory                     */
};

/*
 * Read and decode the trace at `path` into `t`.  On failure `t` holds nothing
 * (no need to free it) and `err` says what is wrong and where.
 * Memory for the trace comes from mmap, never from malloc, so that a
 * preloaded allocator under test does not see the harness's own data.
 */
enum trace_status trace_load(const char *path, struct trace *t, struct trace_error *err);

/* Same, from a buffer already in memory; `name` is used in messages. */
enum trace_status trace_parse(const char *name, const char *data, size_t len,
                              struct trace *t, struct trace_error *err);

void trace_free(struct trace *t);

/* When t->cut_short_bytes: one warning line on `f` saying the tail was ignored. */
void trace_warn_cut_short(const struct trace *t, FILE *f);

#endif
