/*
 * timing.h - what one timed pass measures besides its wall time, and the
 * probe that takes the figures around the timed loop.
 *
 * Wall time alone cannot say why a pass was slow on a shared machine.  The
 * probe also takes the process's resource usage (getrusage RUSAGE_SELF: every
 * thread of the process, a peer's own background threads included) before
 * and after the loop, so a pass reports its CPU time (user + system) and
 * the page faults and context switches it caused.  The sum user + system is
 * exact (the kernel's runtime of the process); the split between the two
 * comes from the kernel's tick sampling and is rough for passes of a few
 * milliseconds.  The probe reads the clock and the counters outside the
 * loop, so the loop itself is not slowed.
 *
 * With --count the probe also counts the loop's instructions (count.h):
 * hardware counters opened around it, or valgrind's callgrind collecting
 * only between the probe's two calls.
 */
#ifndef HEAPLAB_TIMING_H
#define HEAPLAB_TIMING_H

#include <stdint.h>
#include <sys/resource.h>

/* One timed pass, as the JSON's throughput.passes[] holds it. */
struct pass_figures {
	uint64_t wall_ns;               /* the loop, CLOCK_MONOTONIC                 */
	uint64_t user_ns;               /* CPU time of the process in user mode      */
	uint64_t sys_ns;                /* ... in the kernel (page faults mostly)    */
	uint64_t minor_faults;          /* page faults served without I/O            */
	uint64_t major_faults;          /* page faults that waited for I/O           */
	uint64_t voluntary_switches;    /* the process waited (a lock, I/O)          */
	uint64_t involuntary_switches;  /* the scheduler took the CPU away           */
};

/* How a timed pass writes into the blocks it gets (--touch). */
enum touch_mode {
	TOUCH_PAGES = 0,  /* one write per page of each new block (the default)  */
	TOUCH_NONE  = 1,  /* no write: the allocator's own work only             */
	TOUCH_ALL   = 2,  /* every byte of each new block                        */
};
#define TOUCH_MODES 3

/* "pages", "none", "all". */
const char *touch_name(int mode);

/* The mode called `name`, or -1. */
int touch_parse(const char *name);

/* The state the probe keeps between its two calls. */
struct pass_probe {
	struct rusage ru;     /* at the start                               */
	uint64_t      wall;   /* CLOCK_MONOTONIC ns at the start            */
	struct count_probe *count;  /* --count: instructions too; NULL: no  */
};

/* Just before the loop: the counters, then the clock. */
void pass_probe_begin(struct pass_probe *p);

/* Just after it: the clock, then the counters; fills *f. */
void pass_probe_end(struct pass_probe *p, struct pass_figures *f);

/*
 * Why `f` cannot be a pass a well-behaved child measured (CPU time or
 * counters beyond any a pass of that wall time can have), or NULL.
 */
const char *pass_figures_invalid(const struct pass_figures *f);

#endif
