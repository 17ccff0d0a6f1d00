/*
 * suite.h - the benchmark mode after option parsing: one cell (an allocator
 * on a trace, the single-run behaviour: summary, --json, --out FILE) or a
 * matrix of them (a suite: one JSON result per cell in a results folder,
 * summary.json, a table at the end).  Every cell runs in child processes
 * (isolate.h).
 *
 * Suite layout (docs/peers.md):
 *   DIR/<allocator>/<trace stem>.json   one heaplab-result per cell, written
 *                                       atomically as the cell finishes
 *   DIR/summary.json                    schema "heaplab-suite": every cell
 *                                       with its status and key figures,
 *                                       rewritten after each cell
 * DIR is --out, or results/<UTC time like 20261126T041500Z>.
 */
#ifndef HEAPLAB_SUITE_H
#define HEAPLAB_SUITE_H

#include "cli.h"

#include <jansson.h>

#define SUITE_SCHEMA          "heaplab-suite"
#define SUITE_SCHEMA_VERSION  1

/*
 * Every --trace FILE|DIR[,...]|@LIST of `o` as the list of trace paths a
 * suite runs, in its order (malloc'd strings in a malloc'd array).  Returns 0
 * or an exit code with a message in err.  For bench plan, whose units are a
 * suite's cells.
 */
int suite_expand_traces(const struct cli_options *o, char ***paths, size_t *n, char *err,
                        size_t errlen);

/* "workloads/web.trace" -> "web": the name of the cell's result file. */
void suite_trace_stem(const char *path, char *buf, size_t len);

/* Run what `o` asks for; returns the exit status (exitcodes.h). */
int suite_main(const struct cli_options *o);

/*
 * Write DIR/summary.json (schema heaplab-suite) atomically around `cells`
 * (a JSON array, taken over), and print it to stdout with `print`.  Suites
 * and `bench merge` both write it here.  0, or -1 after a message on stderr.
 */
int suite_summary_write(const char *dir, const char *run_id, const char *started,
                        int complete, int interrupted, json_t *cells, int print);

#endif
