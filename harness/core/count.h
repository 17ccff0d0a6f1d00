/*
 * count.h - an exact cost figure for a timed pass (--count): instructions
 * per op, and where the method has them cycles and cache misses.
 *
 * Two methods, tried in this order by --count (or named: --count=perf,
 * --count=callgrind):
 *   perf_event  hardware counters (perf_event_open) enabled around the timed
 *               loop, user mode only.  Many VMs and CI runners have none
 *               (perf_event_open fails with ENOENT or EOPNOTSUPP).
 *   callgrind   the pass re-run in a child under valgrind --tool=callgrind
 *               --cache-sim=yes, collecting only between the probe's two
 *               calls (client requests), so neither the harness's set-up nor
 *               the warm-up passes are counted.  Instructions are exact and,
 *               for a built-in allocator, the same run after run; the cache
 *               misses are a simulation (valgrind's default cache model, or
 *               the host's caches as valgrind reads them).
 * Either way one extra timed pass is run for the count; the wall-clock
 * passes are untouched.
 */
#ifndef HEAPLAB_COUNT_H
#define HEAPLAB_COUNT_H

#include <stddef.h>
#include <stdint.h>

enum count_method {
	COUNT_OFF       = 0,  /* not asked / not measured                     */
	COUNT_AUTO      = 1,  /* perf_event where it works, else callgrind    */
	COUNT_PERF      = 2,
	COUNT_CALLGRIND = 3,
};

/* The --count figures of one cell (JSON "cost"). */
struct cost_figures {
	int      method;         /* COUNT_PERF or COUNT_CALLGRIND; COUNT_OFF: none */
	uint64_t ops;            /* ops of the counted pass                        */
	uint64_t instructions;   /* in the timed loop, user mode                    */
	int      has_cycles, has_l1d, has_ll;
	uint64_t cycles;
	uint64_t l1d_misses;     /* level-1 data cache misses: callgrind reads and
	                            writes, perf reads (the event the CPU has)      */
	uint64_t ll_misses;      /* last-level misses: callgrind data reads and
	                            writes, perf the CPU's generic cache-misses     */
	char     note[200];      /* --count asked but nothing measured: why         */
};

#define COUNT_EVENTS 4   /* instructions, cycles, L1D misses, LL misses */

/* What the probe (timing.h) does around the loop when counting. */
struct count_probe {
	int      method;               /* COUNT_PERF or COUNT_CALLGRIND       */
	int      fd[COUNT_EVENTS];     /* perf: -1 when that event is absent  */
	uint64_t value[COUNT_EVENTS];  /* perf: the counts after the loop     */
};

/* "perf_event", "callgrind", or NULL for COUNT_OFF/COUNT_AUTO. */
const char *count_method_name(int method);

/* --count's value: "auto" (also ""), "perf" or "perf_event", "callgrind"; -1 if none. */
int count_method_parse(const char *text);

/*
 * Open the hardware counters (user-mode instructions at least) for the
 * calling thread.  0, or an errno with a message in err.
 */
int count_perf_open(struct count_probe *c, char *err, size_t errlen);
void count_perf_close(struct count_probe *c);

/*
 * Prepare a callgrind count in this process: 0, or -1 with a message when
 * the process is not running under callgrind or bench was built without
 * valgrind's headers.
 */
int count_callgrind_ready(struct count_probe *c, char *err, size_t errlen);

void count_probe_begin(struct count_probe *c);
void count_probe_end(struct count_probe *c);

/* The figures of a perf count after the pass (callgrind's come from its file). */
void count_perf_figures(const struct count_probe *c, uint64_t ops, struct cost_figures *out);

/*
 * Read a callgrind output file: its "events:" line and its "totals:" (or
 * "summary:") line.  0, or -1 with a message.
 */
int count_read_callgrind(const char *path, uint64_t ops, struct cost_figures *out,
                         char *err, size_t errlen);

#endif
