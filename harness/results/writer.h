/*
 * writer.h - a cell's result as JSON (schema "heaplab-result", documented in
 * docs/harness.md) and as a short human summary.  Results are written with
 * write_file_atomic (fileio.h): a reader sees the old result or the whole new
 * one, never a partial one.
 */
#ifndef HEAPLAB_WRITER_H
#define HEAPLAB_WRITER_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "../core/machine.h"
#include "../replay/cell.h"

#define HEAPLAB_NAME           "heaplab"
#define HEAPLAB_VERSION        "0.1.0"
#define RESULT_SCHEMA          "heaplab-result"
#define RESULT_SCHEMA_VERSION  1

struct cell_extra;

struct result_input {
	const struct allocator    *alloc;    /* what ran                         */
	const struct trace        *trace;    /* on what                          */
	const struct cell_options  *opt;      /* as given (runs 0: the default)   */
	const struct cell_result  *result;   /* status OK or CHECK_FAILED        */
	const struct machine_info *machine;
	time_t                     when;     /* start of the run                 */
	const char                *kind;     /* "builtin" (NULL), "peer", "test" */
	const char                *library;  /* a peer's library; NULL otherwise */
	const struct cell_extra   *extra;    /* memory pass, library stats, crash
	                                        details; NULL: none (in-process) */
};

/* The result object, or NULL when memory runs out. */
json_t *result_json(const struct result_input *in);

/* j as indented JSON text with a final newline (jansson leaves it off), in
 * len bytes of a malloc'd string; NULL when j is NULL or memory runs out. */
char *result_json_text(json_t *j, size_t *len);

/* "ok", "check-failed", "crashed", "timeout", "unsupported", "not-run", ... */
const char *cell_status_name(enum cell_status s);

/* The human summary: one aligned block. */
void result_summary(FILE *f, const struct result_input *in);

#endif
