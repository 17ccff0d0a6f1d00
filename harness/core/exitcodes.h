/*
 * exitcodes.h - every exit status bench can return, in one place.
 *
 * Scripts and CI read these, so they are part of the interface: never renumber
 * one, only add.  `bench --help` and README.md list them.
 */
#ifndef HEAPLAB_EXITCODES_H
#define HEAPLAB_EXITCODES_H

#include <signal.h>

enum bench_exit {
	EXIT_OK          = 0, /* every run finished and every check passed        */
	EXIT_CHECK       = 1, /* an allocator failed a check, crashed or timed out;
	                       * for `compare`: a regression beyond the thresholds */
	EXIT_USAGE       = 2, /* bad command line or bad input (trace, result file) */
	EXIT_SYSTEM      = 3, /* the environment failed us: cannot write the result,
	                       * cannot reserve memory, cannot start a child        */
	EXIT_HANGUP      = 129, /* SIGHUP: stopped early, as for SIGINT            */
	EXIT_INTERRUPTED = 130, /* SIGINT: a suite stopped early (128 + SIGINT, as
	                         * a shell reports a process killed by it)          */
	EXIT_TERMINATED  = 143, /* SIGTERM: stopped early, as for SIGINT           */
};

/* The status for stopping early on signal `sig` (SIGINT, SIGTERM, SIGHUP). */
static inline int exit_for_signal(int sig)
{
	return sig == SIGHUP ? EXIT_HANGUP : sig == SIGTERM ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

#endif
