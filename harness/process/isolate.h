/*
 * isolate.h - every (allocator, trace) cell runs in child processes, so that
 * an allocator that crashes, hangs or scribbles over the harness cannot take
 * the report (or the rest of a suite) with it.
 *
 * A cell is two children, one after the other:
 *   1. the checked pass and the timed passes (cell_run), and, if they pass,
 *   2. the memory pass (mempass.h) and the library's own statistics.
 * (A peer's checked pass and each of its timed passes run in children of
 * their own: only a fresh process gives it a fresh heap.)
 * A built-in (or test) allocator runs in a plain fork.  A peer runs in a fork
 * that execs bench itself (/proc/self/exe) in the hidden mode `bench __cell`
 * with LD_PRELOAD set to the peer's library (nothing for glibc), so that the
 * child's malloc is the peer.
 *
 * The child publishes its progress (pass, op) in a shared page (a memfd it
 * maps), and sends one fixed-size message with its cell_result over a pipe
 * when it is done.  The parent:
 *   - reads the message, checks it (magic, sizes, counters in range,
 *     strings NUL-terminated) and builds the report from those bytes only;
 *   - when the child dies of a signal, or exits without a valid message,
 *     reports CELL_CRASHED naming the signal and the pass/op reached;
 *   - when the child runs past the timeout (per cell: both children share
 *     it), kills it with SIGKILL and reports CELL_TIMEOUT with the op reached;
 *   - on SIGINT, SIGTERM or SIGHUP (isolate_catch_sigint), kills the child
 *     and reports CELL_NOT_RUN.
 * Children ignore those three (the parent decides), die with their parent
 * (PR_SET_PDEATHSIG) and dump no core.
 */
#ifndef HEAPLAB_ISOLATE_H
#define HEAPLAB_ISOLATE_H

#include <signal.h>

#include "../replay/mempass.h"
#include "peer.h"
#include "../replay/cell.h"

#define ISOLATE_TIMEOUT_DEFAULT 300u   /* seconds per cell                     */

/* What a cell produced besides its cell_result. */
struct cell_extra {
	struct mempass_result mem;  /* the memory pass (mem.measured 0: not run)   */
	struct lib_stats      lib;  /* the library's statistics (peers)            */
	int      signal;            /* CELL_CRASHED: the signal, 0 if none          */
	uint32_t pass;              /* CELL_CRASHED/TIMEOUT: REPLAY_PASS_* reached  */
	uint64_t op;                /* ... and the op (REPLAY_OP_NONE: unknown)     */
	double   seconds;           /* wall time of the cell                        */
	struct memory_figures timed_first; /* isolate_timed_pass: timed pass 1's heap */
};

/*
 * Set by the handler to the signal received (SIGINT, SIGTERM or SIGHUP; 0:
 * none); a running child is killed and the cell not run.  The command exits
 * 128 + that number (exitcodes.h).
 */
extern volatile sig_atomic_t isolate_interrupted;

/* When set, called about once a second while a child runs (a progress line). */
extern void (*isolate_tick)(void);

/* While a child runs: the pass and op it reports (shared memory), else NULL. */
extern const volatile struct replay_progress *isolate_progress;

/* Catch SIGINT, SIGTERM and SIGHUP (no SA_RESTART, so waits are interrupted). */
void isolate_catch_sigint(void);

/*
 * Run one cell as described above.  `timeout` in seconds, 0 for none.
 * Returns r->status; x is filled in every case.
 */
enum cell_status isolate_cell(const struct alloc_spec *s, const struct trace *t,
                              const struct cell_options *opt, unsigned timeout,
                              struct cell_result *r, struct cell_extra *x);

/*
 * A cell in parts, so that a suite can alternate the timed passes of several
 * allocators one pass at a time (bench --interleave, suite.c):
 * isolate_cell_untimed runs the checked pass (every allocator in a child of
 * its own, as a peer's always does) and the memory pass, and no timed pass
 * (r->runs 0); each isolate_timed_pass then runs one more timed pass, in a
 * fresh process of its own, and records it in r as pass r->runs.  A
 * built-in's pass must leave its heap as timed pass 1 and the checked pass
 * did (the determinism check of a whole cell).  A failed pass fails the
 * cell (r->status, r->message); a cell that is not ok runs no more passes.
 * Both return r->status; the timeout counts per call.  Not for --threads
 * or --latency.
 */
enum cell_status isolate_cell_untimed(const struct alloc_spec *s, const struct trace *t,
                                      const struct cell_options *opt, unsigned timeout,
                                      struct cell_result *r, struct cell_extra *x);
enum cell_status isolate_timed_pass(const struct alloc_spec *s, const struct trace *t,
                                    const struct cell_options *opt, unsigned timeout,
                                    struct cell_result *r, struct cell_extra *x);

/*
 * Why a cell_result received from a child cannot be what a well-behaved
 * child sent (status out of range, counters above the trace's, a string
 * without its NUL...), or NULL when it is plausible.
 */
const char *isolate_result_invalid(const struct cell_result *r, const struct trace *t,
                                   const struct cell_options *opt);

/* `bench __cell ...`: the peer child's entry point, argv[0] == "__cell". */
int isolate_child_main(int argc, char **argv);

/* "in the checked pass at op 17 (web.trace:42: malloc of 24 bytes)" */
void isolate_where(char *buf, size_t len, const struct trace *t, uint32_t pass, uint64_t op);

/* The same for a --threads pass: `threads` at once (0/1: serial); unless `exact`,
 * `op` is only the last one begun, and the message says so. */
void isolate_where_threads(char *buf, size_t len, const struct trace *t, uint32_t pass,
                           uint64_t op, uint32_t threads, int exact);

#endif
