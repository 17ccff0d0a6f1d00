/*
 * replay.h - run one allocator on one trace: a checked pass, then timed passes.
 *
 * run_cell() is one cell of a (allocator x trace) table: it neither prints
 * nor writes JSON, so a suite can run each cell in a child process and
 * gather the results, and the single-run command line is just one cell.
 *
 * The checked pass, on a fresh heap, calls the allocator through its table
 * for every op and checks the result: alignment, inside the heap below the
 * break, no overlap with a live block, payload intact on free/realloc and at
 * the end, calloc memory zero, calloc overflow refused, and the allocator's
 * own self-check every N ops and at the end.  The first violation stops it.
 *
 * Each timed pass, on another fresh heap, replays the same ops in a tight
 * loop with no checking.  It writes into each new block as a program would
 * (--touch: one byte per page by default, timed_op.h), and after --warmup
 * untimed passes on the same allocator instance (each ends by freeing what
 * is still live).  The clock and the process's resource usage are read
 * once before and once after the loop (timing.h).
 */
#ifndef HEAPLAB_REPLAY_H
#define HEAPLAB_REPLAY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../allocators/allocator.h"
#include "count.h"
#include "latency.h"
#include "metrics.h"
#include "timing.h"
#include "trace.h"

#define RUN_MAX           1000       /* most timed passes one cell keeps      */
#define RUN_DEFAULT       5          /* timed passes when --runs is not given */
#define RUN_DEFAULT_HUGE  3          /* ... for a trace of RUN_HUGE_OPS or more */
#define RUN_HUGE_OPS      20000000u
#define STATS_MAX         64         /* allocator stats kept per cell         */
#define WARMUP_MAX        1000       /* most --warmup passes                  */

struct run_options {
	unsigned runs;         /* timed passes; 0: RUN_DEFAULT or RUN_DEFAULT_HUGE */
	uint64_t check_every;  /* self-check every N ops as well; 0: only at the end */
	size_t   heap_limit;   /* cap on the break in bytes; 0: none            */
	int      latency;      /* --latency: also time each op in an extra pass */
	int      peer;         /* no heap provider behind the allocator (a peer):
	                        * skip the inside-the-heap check; blocks under 16
	                        * bytes need only their size's power-of-two alignment */
	int      let_crash;    /* in a child process: no in-process crash guard,
	                        * a fatal signal kills the child (see isolate.h) */
	int      threads;      /* --threads: each trace thread on its own OS thread
	                        * (threaded.h); 0: serial, in trace order     */
	int      touch;        /* --touch: enum touch_mode (0: pages)           */
	unsigned warmup;       /* --warmup: untimed passes before each timed one,
	                        * on the same allocator instance                */
	int      count;        /* --count: enum count_method; COUNT_OFF: none   */
	struct count_probe *count_probe;  /* set only in the child that counts:
	                        * the probe counts the timed loop (count.h)     */
	size_t   align;        /* --align: the alignment every block must have
	                        * (a power of two); 0: HEAPLAB_ALIGN           */
	int      interleave;   /* --interleave (a suite): the timed passes of a
	                        * trace's cells ran in rounds (suite.c); only
	                        * recorded, the parent schedules them          */
};

/* The alignment the checked pass demands of every block. */
static inline size_t run_align(const struct run_options *o)
{
	return o->align ? o->align : HEAPLAB_ALIGN;
}

enum cell_status {
	CELL_OK           = 0,  /* checked pass clean, timed passes done          */
	CELL_CHECK_FAILED = 1,  /* a violation; message says which                */
	CELL_BAD_INPUT    = 2,  /* the trace or options cannot be replayed        */
	CELL_SYSTEM       = 3,  /* memory for the heap or the harness refused     */
	/* Set by the parent of a child-process run (isolate.c), never by run_cell: */
	CELL_CRASHED      = 4,  /* the child died of a signal or sent no result    */
	CELL_TIMEOUT      = 5,  /* the child ran past --timeout and was killed     */
	CELL_UNSUPPORTED  = 6,  /* the allocator cannot run this trace (a library
	                         * without aligned allocation, memalign ops)      */
	CELL_NOT_RUN      = 7,  /* a suite was interrupted before this cell        */
};
#define CELL_STATUS_MAX CELL_NOT_RUN

struct cell_stat {
	char     name[48];  /* as the allocator named it           */
	uint64_t value;
};

struct cell_result {
	enum cell_status status;
	char     message[640];        /* what went wrong, "FILE:LINE: op N (...): ..."; "" if ok */

	/* checked pass */
	uint64_t ops_replayed;        /* ops done before it stopped (nops when clean)   */
	uint64_t count[OP_KINDS];     /* ops of each kind, as replayed                  */
	uint64_t peak_live_bytes;     /* see metrics.h                                  */
	uint64_t peak_live_blocks;
	uint64_t self_checks;         /* self-check calls made                          */
	uint64_t violations;          /* harness violations (0/1) + self-check ones     */
	struct memory_figures memory; /* from the checked pass                          */

	/* timed passes */
	unsigned runs;                /* timed passes done                              */
	double   ns_per_op[RUN_MAX];  /* one per timed pass                             */
	double   ops_per_sec[RUN_MAX];
	struct pass_figures pass[RUN_MAX];  /* wall, CPU, faults, switches of each */
	int      memory_identical;    /* every timed pass matched the others and the checked one */

	struct cell_stat stats[STATS_MAX];  /* the allocator's own counters, after the checked pass */
	unsigned nstats;

	struct timeline timeline;       /* the heap over the checked pass (always)    */
	struct latency_figures latency; /* the --latency pass; measured 0 otherwise   */

	/* threads (threaded.h) */
	int      threaded;            /* replayed with --threads                        */
	unsigned threads;             /* OS threads that ran ops (1 when serial)        */
	int      locked;              /* calls went through the global lock             */
	uint64_t cross_thread_waits;  /* ops that waited for another thread's op        */
	uint64_t cross_thread_blocked;/* of those, most that found it not done yet, in
	                                 one timed pass (built-ins only)                */

	struct cost_figures cost;     /* --count (count.h); cost.method 0: none         */
};

/*
 * Where a child process publishes how far it got, so that its parent can
 * name the pass and op it died in (a shared page; see isolate.h).  NULL: not
 * published.  op is the index of the op under way in the checked and memory
 * passes, REPLAY_OP_NONE during init and the timed passes (their loop is not
 * slowed down to publish it), and nops after the last op (closing checks).
 */
struct replay_progress {
	volatile uint32_t started;  /* the child reached the replay              */
	volatile uint32_t pass;     /* REPLAY_PASS_*, or 2 + k for timed pass k  */
	volatile uint64_t op;
	/* --threads checked pass: how many trace threads run at once (0: serial),
	 * and whether `op` is certainly the one at fault (it holds the global
	 * lock, or its thread took the fatal signal) or only the last one begun. */
	volatile uint32_t threads;
	volatile uint32_t op_exact;
};
#define REPLAY_PASS_NONE     0
#define REPLAY_PASS_CHECKED  1
#define REPLAY_PASS_TIMED    2        /* + k, k = 0 .. RUN_MAX - 1            */
#define REPLAY_PASS_MEMORY   0xffffu
#define REPLAY_PASS_LATENCY  0xfffeu  /* the --latency pass                  */
#define REPLAY_OP_NONE       UINT64_MAX
extern struct replay_progress *replay_progress;

/* The number of timed passes `opt` asks for on `t`. */
unsigned run_count(const struct run_options *opt, const struct trace *t);

/*
 * Run the checked pass, and when it is clean the timed passes, filling `r`.
 * Returns r->status.
 */
enum cell_status run_cell(const struct allocator *a, const struct trace *t,
                          const struct run_options *opt, struct cell_result *r);

/* The checked pass alone (run_cell's first half); fills the checked fields of r. */
enum cell_status replay_checked(const struct allocator *a, const struct trace *t,
                                const struct run_options *opt, struct cell_result *r);

#define REPLAY_CRASHED      (-1)  /* the allocator died of a fatal signal */
#define REPLAY_INIT_FAILED  (-2)  /* init returned NULL                   */

/* Bytes of the scratch array a timed pass needs: block pointers and sizes. */
size_t replay_slots_bytes(const struct trace *t);

/*
 * One timed pass on a fresh heap (after opt->warmup untimed ones on the
 * same allocator instance); `ptrs` has room for replay_slots_bytes(t)
 * bytes.  Fills *f (wall and CPU time, faults, switches of the timed loop)
 * and *m.  Returns 0, REPLAY_CRASHED, REPLAY_INIT_FAILED, or an errno
 * value when the heap cannot be reserved.
 */
int replay_timed(const struct allocator *a, const struct trace *t,
                 const struct run_options *opt, void **ptrs,
                 struct pass_figures *f, struct memory_figures *m);

/* Record timed pass k's figures in r (ns_per_op, ops_per_sec, pass[k], runs). */
void replay_note_pass(struct cell_result *r, const struct trace *t, unsigned k,
                      const struct pass_figures *f);

/*
 * The --latency pass on a fresh heap: every op timed on its own (latency.h),
 * its writes into the block (--touch) inside the op's time.
 * `ptrs` as for replay_timed; `samples`, `a` and `b` have room for t->nops
 * each.  Returns as replay_timed; fills *f when it returns 0.
 */
int replay_latency(const struct allocator *a, const struct trace *t,
                   const struct run_options *opt, void **ptrs,
                   uint32_t *samples, uint32_t *scratch_a, uint32_t *scratch_b,
                   struct latency_figures *f);

/*
 * The --latency pass with its own arrays, into r->latency; a failure sets
 * r->status and r->message.  For a peer, whose heap only a fresh process
 * makes fresh, the caller runs it in a process of its own.
 */
void replay_latency_cell(const struct allocator *a, const struct trace *t,
                         const struct run_options *opt, struct cell_result *r);

/* A fresh heap for one pass (as the passes above open theirs): 0 or an errno. */
int replay_open_heap(struct heap *heap, size_t limit);

/* What to say when replay_open_heap failed with `err` (heap_describe_failure). */
void replay_heap_failure(char *buf, size_t len, size_t limit, int err);

/* "FILE:LINE: op N (malloc of 24 bytes for block 7)" into buf; snprintf's result. */
int replay_describe_op(char *buf, size_t len, const struct trace *t, size_t i, uint64_t nmemb);

/*
 * Record that op i failed: r->message = "<op description>: <what>" (fmt, ap),
 * r->status = status, and a violation counted when it is a failed check.
 * The serial and the threaded checked passes both report through it.
 */
void replay_fail_va(struct cell_result *r, const struct trace *t, enum cell_status status,
                    size_t i, uint64_t nmemb, const char *fmt, va_list ap);

#endif
