/*
 * program.h - whole programs as benchmarks (docs/run.md, "Program cells").
 *
 * `bench run --alloc A,B --runs N -- CMD ARGS...` (or --programs FILE) runs
 * every allocator x program as a cell: each run is a fresh process started
 * with fork/exec and the allocator's LD_PRELOAD, reaped with wait4 for its
 * rusage, its stdout hashed (sha256) and its resident set sampled from
 * /proc while it runs.  The cell's result is a "heaplab-result" of schema
 * version 2 with "cell": "program" (docs/results.md).
 */
#ifndef HEAPLAB_PROGRAM_H
#define HEAPLAB_PROGRAM_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#define PROGRAM_SCHEMA_VERSION  2      /* the result schema version program cells write */
#define PROGRAM_NAME_MAX        64
#define PROGRAM_ARGS_MAX        64
#define PROGRAM_ENV_MAX         8
#define PROGRAM_TIMELINE_MAX    4096   /* RSS samples kept per run (results/reader.h agrees) */

/* One program to run: a line of a --programs file, or the command after --. */
struct program {
	char     name[PROGRAM_NAME_MAX]; /* names the cell (its result file)          */
	char    *argv[PROGRAM_ARGS_MAX + 1];  /* the command, NULL-terminated          */
	char    *dir;                    /* working directory, or NULL: bench's own  */
	char    *stdin_path;             /* relative to dir; NULL: /dev/null         */
	char    *setup;                  /* `sh -c` once before its cells, or NULL   */
	char    *env[PROGRAM_ENV_MAX + 1];    /* extra NAME=VALUE, NULL-terminated      */
	double   timeout;                /* seconds per run; 0: the suite's default  */
	const char *file;                /* where it was defined, for messages       */
	unsigned line;
};

/* What one run measured. */
struct program_run {
	int      started;                /* the exec succeeded                           */
	int      exit_code;              /* -1 when killed by a signal                   */
	int      signal;                 /* the signal that ended it, or 0               */
	int      timed_out;
	double   wall, user, sys;        /* seconds                                      */
	uint64_t maxrss;                 /* ru_maxrss in bytes (the largest process)     */
	uint64_t minflt, majflt, nvcsw, nivcsw;
	uint64_t sampled_peak;           /* largest sampled RSS sum of the process tree  */
	char     output_sha256[65];      /* of everything written to stdout              */
	uint64_t output_bytes;
	/* from the preload library's HEAPLAB_STATS lines (built-ins only) */
	int      has_stats;
	unsigned processes;              /* stats lines: processes that exited normally  */
	uint64_t peak_break;             /* the largest peak break of any process        */
	uint64_t provider_calls;         /* summed over the processes                    */
	/* RSS over time: ms since the start, bytes */
	unsigned npoints;
	uint32_t ms[PROGRAM_TIMELINE_MAX];
	uint64_t rss[PROGRAM_TIMELINE_MAX];
};

/*
 * Run `p` once.  `preload` is the library to put first in LD_PRELOAD (NULL:
 * none), `stats_path` a file the preload library appends its HEAPLAB_STATS
 * line to (NULL: no statistics), stderr goes to `err_path` (NULL: /dev/null).
 * Returns 0 when the run happened (whatever its outcome, see *out), -1 when
 * it could not be started, with a message in err.
 */
int program_run_once(const struct program *p, const char *preload, const char *stats_path,
                     const char *err_path, double timeout, struct program_run *out,
                     char *err, size_t errlen);

/* Set from a signal handler: the run in progress is killed and returns. */
extern volatile sig_atomic_t program_interrupted;

/*
 * Parse a --programs FILE (format in docs/run.md) into *list (malloc'd, *n
 * entries).  Returns 0, or -1 with "FILE:LINE: what is wrong" in err.
 */
int program_list_load(const char *path, struct program **list, size_t *n, char *err,
                      size_t errlen);
void program_list_free(struct program *list, size_t n);

#endif
