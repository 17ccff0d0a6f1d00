/*
 * reader.h - reading heaplab result files back (schema "heaplab-result",
 * docs/harness.md) for `bench report` and `bench compare`.
 *
 * The reader trusts nothing: every field it uses is checked for its type and
 * range (counts are whole numbers >= 0, min <= median <= max, utilization in
 * [0, 1], percentiles in order, timeline arrays as long as "points" says),
 * and a file that fails is "not a heaplab result" with the reason.  Fields a
 * peer (a production allocator measured by RSS) cannot have, such as the
 * provider figures, may be null or absent: has_* says which are known.
 *
 * This runs after the measurements, so it may use malloc.
 */
#ifndef HEAPLAB_READER_H
#define HEAPLAB_READER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/latency.h"

#define RESULT_NAME_MAX      128
#define RESULT_PATH_MAX      1024
#define RESULT_TIMELINE_MAX  4096      /* most timeline points a result may have */
#define RESULT_SAMPLES_MAX   100000    /* most timing samples a result may have  */
#define RESULT_FILE_MAX      ((size_t)256 << 20)  /* larger files are refused     */

struct result_latency {
	int      present;  /* the result has this op kind's figures        */
	uint64_t count;
	uint64_t p50, p90, p99, p999, max;  /* ns, p50 <= ... <= max       */
};

/*
 * A program cell (schema version 2, "cell": "program"; docs/run.md): a whole
 * program run under the allocator.  Its name is also the result's
 * trace_name and trace_path, so the tools that match cells by trace match
 * program cells by program; ops is 0 and throughput absent.
 */
struct result_program {
	char     command[RESULT_PATH_MAX];     /* program.command                      */
	char     output_sha256[65];            /* of the last run's stdout; "" if none */
	int      has_figures;                  /* time, faults, switches (status ok)   */
	double   wall_median, wall_min, wall_max;   /* seconds                         */
	double   user_median, sys_median;
	double   minor_faults, major_faults;   /* medians over the runs                */
	double   voluntary_switches, involuntary_switches;
	int      has_sampled_rss;
	uint64_t sampled_rss;                  /* memory.sampled_peak_rss_bytes        */
	unsigned timeline_points;              /* rss_timeline; 0 when absent          */
	uint64_t *timeline_ms, *timeline_rss;  /* malloc'd                             */
	int      has_ratio;                    /* set by `bench report`: glibc's cell  */
	double   wall_ratio, rss_ratio;        /* of the same program in the set       */
};

struct result {
	char     file[RESULT_PATH_MAX];        /* where it was read from               */
	char     allocator[RESULT_NAME_MAX];   /* allocator.name                       */
	char     kind[32];                     /* allocator.kind; "" when absent       */
	char     trace_path[RESULT_PATH_MAX];  /* trace.path                           */
	char     trace_name[RESULT_NAME_MAX];  /* its last component                   */
	char     sha256[65];                   /* trace.sha256; "" when absent or null */
	char     status[32];                   /* "ok", "check-failed", ...            */
	uint64_t ops;                          /* trace.ops                            */
	uint64_t runs;                         /* timed passes done                    */
	uint64_t align;                        /* options.align: the alignment demanded
	                                          (results written before it: 16)      */
	char     message[1024];                /* check.message; "" when absent/null   */
	int      interleaved;                  /* options.interleave: the timed passes
	                                          ran in rounds with the suite's other
	                                          allocators (pass k = round k)        */

	int      has_throughput;               /* throughput is not null               */
	double   ops_median, ops_min, ops_max; /* ops/s                                */
	double   ns_median;                    /* ns/op                                */

	int      has_peak_break, has_peak_rss, has_peak_live;
	uint64_t peak_break, peak_rss, peak_live;   /* bytes                           */
	int      has_utilization, has_fragmentation, has_provider_calls, has_utilization_rss;
	double   utilization, fragmentation;        /* in [0, 1]                       */
	double   utilization_rss;                   /* peak live / peak RSS, in [0, 1] */
	uint64_t provider_calls;


	int      has_latency;                  /* latency is not null                  */
	uint64_t timer_overhead_ns;
	struct result_latency latency[LATENCY_KINDS];  /* by op kind, then "all"      */

	/* where and how it ran (docs/distributed.md); absent in older results */
	char     machine[RESULT_NAME_MAX];     /* machine.name, else machine.hostname,
	                                        * else "" (unknown)                    */
	int      has_concurrency;              /* the unit claimed a slot (--slots)    */
	uint64_t cells_running;                /* most cells on the machine at once    */
	int      has_pinned_cpu;
	uint64_t pinned_cpu;

	/*
	 * The samples and failure counts `bench compare` judges by; absent in
	 * older results: n_* = 0, has_op_failures = 0.  (touch and cost: below.)
	 */
	size_t   n_samples_ns, n_samples_cpu_ns;  /* lengths of the two arrays below     */
	double   *samples_ns;                  /* throughput.samples_ns_per_op, malloc'd */
	double   *samples_cpu_ns;              /* throughput.samples_cpu_ns_per_op      */
	int      has_op_failures;              /* ops.failed_allocations is present     */
	uint64_t failed_allocations, skipped_ops;   /* ops.*                            */

	unsigned timeline_points;              /* 0 when absent                        */
	int      has_timeline_break;           /* break_bytes is not null              */
	int      has_timeline_live;
	uint64_t *timeline_op;                 /* malloc'd; result_free releases them  */
	uint64_t *timeline_break;
	uint64_t *timeline_live;

	/* How the timed passes ran and where their time went; results written
	 * before these existed lack them (has_* 0, touch ""). */
	char     touch[16];                    /* throughput.touch: none, pages, all   */
	int      has_warmup;
	uint64_t warmup;                       /* throughput.warmup_passes             */
	int      has_cpu;                      /* throughput.cpu_ns_per_op             */
	double   cpu_ns_median, cpu_ns_min, cpu_ns_max;     /* CPU ns/op              */
	double   cpu_ops_median, cpu_ops_min, cpu_ops_max;  /* CPU-time ops/s         */
	int      has_passes;                   /* throughput.passes, one per run       */
	double   minor_faults_median, major_faults_median;  /* per pass, medians     */
	double   voluntary_switches_median, involuntary_switches_median;

	/* cost: the --count figure (null or absent: has_cost 0) */
	int      has_cost;
	char     cost_method[16];              /* "perf_event", "callgrind"            */
	uint64_t instructions;
	double   instructions_per_op;
	int      has_cycles, has_l1d_misses, has_ll_misses;
	double   cycles_per_op, l1d_misses_per_op, ll_misses_per_op;

	int      is_program;                   /* "cell": "program" (below)            */
	struct result_program *program;        /* its figures; NULL for a trace cell   */
};

enum result_parse_status {
	RESULT_OK       = 0,
	RESULT_BAD      = -1,  /* not JSON, not a heaplab result, or a field is wrong */
	RESULT_FOREIGN  = -2,  /* valid JSON object whose "schema" names another format */
};

/*
 * Parse `len` bytes of `text` (need not be NUL-terminated) read from `name`.
 * Returns RESULT_OK with *out filled (release with result_free), or an error
 * with a message in err: "NAME:LINE: not a heaplab result (bad JSON: ...)" or
 * "NAME: not a heaplab result (memory.peak_break_bytes: ...)".  On error *out
 * holds nothing to free.
 */
int result_parse(const char *name, const char *text, size_t len, struct result *out,
                 char *err, size_t errlen);

/* Read and parse the file `path`; as result_parse (an unreadable file is RESULT_BAD). */
int result_load(const char *path, struct result *out, char *err, size_t errlen);

void result_free(struct result *r);

/* A growable list of results. */
struct result_set {
	struct result *items;
	size_t         n;
	size_t         cap;
};

/*
 * Add the results named by `path`: a file (which must be a result), or a
 * directory searched recursively (names sorted) for *.json files; there
 * summary.json, hidden files and JSON of another schema are skipped, but a
 * broken file or a result with bad fields is an error.  Returns 0, or -1
 * with a message in err.
 */
int result_collect(const char *path, struct result_set *set, char *err, size_t errlen);

void result_set_free(struct result_set *set);

#endif
