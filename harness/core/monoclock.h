/*
 * monoclock.h - the one monotonic clock every part of the harness reads.
 *
 * CLOCK_MONOTONIC (a vDSO call, no system call): never jumps with the wall
 * clock, so differences are durations.  Inline, so a timed loop pays only
 * for clock_gettime itself.
 */
#ifndef HEAPLAB_MONOCLOCK_H
#define HEAPLAB_MONOCLOCK_H

#include <stdint.h>
#include <time.h>

/* Now, in nanoseconds. */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Now, in seconds. */
static inline double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
