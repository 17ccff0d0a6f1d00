/*
 * cell.h - one cell of an (allocator x trace) table: what it is asked to do
 * (struct cell_options), what it produces (struct cell_result, enum
 * cell_status), and the replay layer's entry points.
 *
 * cell_run() neither prints nor writes JSON, so a suite can run each cell in
 * a child process and gather the results, and the single-run command line is
 * just one cell.  It runs a checked pass, then timed passes, then (--latency)
 * the latency pass, on the serial driver (serial.h) or, with --threads, the
 * threaded one (threaded.h); both check every op through one checker
 * (checker.h) under one crash guard (guard.h).
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
 *
 * Layers: cell.c calls the two drivers (serial.c, threaded.c); they call the
 * checker and the guard; nothing below includes a driver.  This header holds
 * only types and declarations, so the code that reads results (reports,
 * peers, isolation, suites) includes it and not a driver's.
 */
#ifndef HEAPLAB_CELL_H
#define HEAPLAB_CELL_H

#include <stddef.h>
#include <stdint.h>

#include "../../allocators/allocator.h"
#include "../core/count.h"
#include "../../allocators/heap.h"
#include "../core/latency.h"
#include "../core/metrics.h"
#include "../core/timing.h"
#include "../core/trace.h"

#define RUN_MAX           1000       /* most timed passes one cell keeps      */
#define RUN_DEFAULT       5          /* timed passes when --runs is not given */
#define RUN_DEFAULT_HUGE  3          /* ... for a trace of RUN_HUGE_OPS or more */
#define RUN_HUGE_OPS      20000000u
#define STATS_MAX         64         /* allocator stats kept per cell         */
#define WARMUP_MAX        1000       /* most --warmup passes                  */

struct cell_options {
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
static inline size_t cell_align(const struct cell_options *o)
{
	return o->align ? o->align : HEAPLAB_ALIGN;
}

enum cell_status {
	CELL_OK           = 0,  /* checked pass clean, timed passes done          */
	CELL_CHECK_FAILED = 1,  /* a violation; message says which                */
	CELL_BAD_INPUT    = 2,  /* the trace or options cannot be replayed        */
	CELL_SYSTEM       = 3,  /* memory for the heap or the harness refused     */
	/* Set by the parent of a child-process run (isolate.c), never by cell_run: */
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

/* A fresh heap for one pass (heap_open_fitting: sized from the limit and
 * the machine): 0 or an errno. */
static inline int replay_open_heap(struct heap *heap, size_t limit)
{
	return heap_open_fitting(heap, limit, NULL);
}

/* What to say when replay_open_heap failed with `err`. */
static inline void replay_heap_failure(char *buf, size_t len, size_t limit, int err)
{
	heap_describe_failure(buf, len, limit ? limit : HEAP_MIN_RESERVE, err);
}

/* The number of timed passes `opt` asks for on `t`. */
unsigned run_count(const struct cell_options *opt, const struct trace *t);

/*
 * Run the checked pass, and when it is clean the timed passes, filling `r`.
 * Returns r->status.
 */
enum cell_status cell_run(const struct allocator *a, const struct trace *t,
                          const struct cell_options *opt, struct cell_result *r);

/*
 * The passes of a cell one at a time, for a parent that runs each in a child
 * process of its own (isolate.c).  Each takes the serial or the threaded
 * driver as opt->threads says.
 */

/* The checked pass alone (cell_run's first half); fills the checked fields of r. */
enum cell_status replay_checked(const struct allocator *a, const struct trace *t,
                                const struct cell_options *opt, struct cell_result *r);

#define REPLAY_CRASHED      (-1)  /* the allocator died of a fatal signal */
#define REPLAY_INIT_FAILED  (-2)  /* init returned NULL                   */

/* Bytes of the scratch array a serial timed pass needs: block pointers and sizes. */
size_t replay_slots_bytes(const struct trace *t);

/*
 * One timed pass on a fresh heap (after opt->warmup untimed ones on the
 * same allocator instance); `ptrs` has room for replay_slots_bytes(t)
 * bytes (a threaded pass does not use it).  Fills *f (wall and CPU time,
 * faults, switches of the timed loop) and *m.  Returns 0, REPLAY_CRASHED,
 * REPLAY_INIT_FAILED, or an errno value when the heap cannot be reserved.
 */
int replay_timed(const struct allocator *a, const struct trace *t,
                 const struct cell_options *opt, void **ptrs,
                 struct pass_figures *f, struct memory_figures *m);

/* Record timed pass k's figures in r (ns_per_op, ops_per_sec, pass[k], runs). */
void replay_note_pass(struct cell_result *r, const struct trace *t, unsigned k,
                      const struct pass_figures *f);

/*
 * The determinism check of a serial cell: timed pass k's memory figures *m
 * must equal timed pass 1's (*first, which pass k == 0 sets) and, without
 * warm-up passes (whose frees the counters include), the checked pass's
 * (r->memory).  Returns 0, or -1 with the cell failed and r->message saying
 * which figure differs from which pass.  Passes that ran in processes of
 * their own (isolate.c) are held to it too.
 */
int replay_check_pass_memory(struct cell_result *r, const struct trace *t,
                             const struct cell_options *opt, unsigned k,
                             struct memory_figures *first, const struct memory_figures *m);

/*
 * The --latency pass, always serial (it times one op at a time), with its
 * own arrays, into r->latency; a failure sets r->status and r->message.
 * For a peer, whose heap only a fresh process makes fresh, the caller runs
 * it in a process of its own.  (serial.c)
 */
void replay_latency_cell(const struct allocator *a, const struct trace *t,
                         const struct cell_options *opt, struct cell_result *r);

#endif
