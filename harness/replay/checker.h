/*
 * checker.h - the checks of the checked pass, op by op, for both drivers.
 *
 * The serial driver (serial.c) and each thread of the threaded one
 * (threaded.c) hand every op of the trace to checker_op, which calls the
 * allocator and checks what it did: a new block is aligned, inside the heap
 * below the break and overlapping no live block (then it is admitted to the
 * overlap index and filled with its pattern); calloc memory is zero and an
 * overflowing calloc is refused; a block keeps its pattern until it is freed
 * or reallocated, and a realloc keeps its first bytes.  The checker also
 * keeps the live-byte figures, runs the allocator's self-check and collects
 * its statistics.  The first violation is the verdict (checker_fail).
 *
 * Shared by threads (checker_open's `shared`): the overlap index and the
 * live figures are under one mutex, the verdict under another; the payload
 * of a block is filled and verified by the thread whose op it is, outside
 * them (other threads only relink its tree fields).  With a global lock
 * (global_lock.h) the break is read, and the self-check run, under it.
 */
#ifndef HEAPLAB_CHECKER_H
#define HEAPLAB_CHECKER_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "../core/check.h"
#include "global_lock.h"
#include "../../allocators/heap.h"
#include "timed_op.h"

/* What one replaying thread counts (summed into the cell's result). */
struct checker_counts {
	uint64_t done;              /* ops completed                        */
	uint64_t count[OP_KINDS];   /* ops of each kind that called the allocator */
	uint64_t failed;            /* allocations that got NULL            */
	uint64_t skipped;           /* f/r of blocks whose allocation failed */
};

struct checker {
	const struct allocator   *a;        /* under test                              */
	const struct trace       *t;        /* being replayed                          */
	const struct cell_options *opt;
	struct cell_result       *r;        /* where the verdict and figures go        */
	struct heap              *heap;     /* the pass's fresh heap                   */
	struct timed_calls        calls;    /* how ops reach the allocator (a lock?)   */
	void                     *self;     /* the allocator's state (check, stats)    */
	struct global_lock       *lock;     /* taken to read the break and to
	                                     * self-check; NULL: none                  */
	int                       break_unlocked; /* the allocator moves the break under
	                                     * a lock of its own: blocks are checked
	                                     * against the reservation, and against the
	                                     * break at the end (checker_verify_survivors) */
	int                       shared;   /* several threads: the mutexes below      */
	atomic_int               *abort;    /* set by the first violation; NULL: none  */
	pthread_mutex_t           ix_lock;  /* shared: the index and live figures      */
	pthread_mutex_t           msg_lock; /* shared: the verdict                     */
	struct check_index        ix;       /* live blocks by address, patterns by slot */
	uint64_t                  live_bytes;  /* requested bytes of live blocks now   */
	int                       stopped;  /* the verdict is written                  */
};

/*
 * Ready the checker for one pass of `a` on `t` into `r`, on `heap`; set
 * c->calls and c->self once init has returned.  CELL_OK, or CELL_SYSTEM
 * with r's message set when the index cannot be reserved.
 */
enum cell_status checker_open(struct checker *c, const struct allocator *a,
                              const struct trace *t, const struct cell_options *opt,
                              struct cell_result *r, struct heap *heap, int shared);
void checker_close(struct checker *c);

/*
 * Op i of the trace, checked; `nmemb` is its NMEMB when it is a calloc.
 * Counts into *n.  CELL_OK, or the verdict's status once it failed.
 */
enum cell_status checker_op(struct checker *c, struct checker_counts *n, size_t i,
                            uint64_t nmemb);

/* Record the verdict "<op i description>: <what>" unless one is recorded;
 * a failed check counts a violation.  Returns status. */
enum cell_status checker_fail(struct checker *c, enum cell_status status, size_t i,
                              uint64_t nmemb, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Count n more violations in the result (the first is counted by checker_fail). */
void checker_add_violations(struct checker *c, uint64_t n);

/*
 * The allocator's self-check (under the lock): the violations it found, 0
 * when clean, described in `what` as "NAME self-check found N violations:
 * ...".  Counts the call in r->self_checks.
 */
unsigned long checker_self_check(struct checker *c, char *what, size_t len);

/* The allocator's self-check, a failure the verdict: "<where>NAME self-check
 * found ...".  CELL_OK or CELL_CHECK_FAILED. */
enum cell_status checker_self_check_verdict(struct checker *c, const char *where);

/* ... at the end of the trace: "FILE: at the end of the trace: NAME ...". */
enum cell_status checker_final_self_check(struct checker *c);

/* init returned NULL: the verdict (bad input when a heap limit left it no room). */
enum cell_status checker_init_failed(struct checker *c);

/* The allocator crashed outside an op (`where`: "in init", "at the end of the
 * trace ..."), `what` the signal: the verdict. */
enum cell_status checker_crashed(struct checker *c, const char *where, const char *what);

/* At the end: every block still live holds its pattern (and, when the break
 * moved unlocked, lies below the break).  CELL_OK or the verdict's status. */
enum cell_status checker_verify_survivors(struct checker *c);

/* The allocator's own counters into r->stats. */
void checker_collect_stats(struct checker *c);

/* The ID, as written in the trace, of slot `slot`. */
unsigned long long checker_block_id(const struct trace *t, uint32_t slot);

/* "FILE:LINE: op N (malloc of 24 bytes for block 7)" into buf; snprintf's result. */
int checker_describe_op(char *buf, size_t len, const struct trace *t, size_t i, uint64_t nmemb);

/* r->message = "<op description>: <what>" (fmt, ap), r->status = status, and
 * a violation counted when it is a failed check. */
void checker_fail_va(struct cell_result *r, const struct trace *t, enum cell_status status,
                     size_t i, uint64_t nmemb, const char *fmt, va_list ap);

#endif
