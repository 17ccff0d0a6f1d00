/* suite.c - one cell or a matrix of cells, each in child processes (suite.h). */
#define _GNU_SOURCE
#include "suite.h"

#include "../core/bulk.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "../process/isolate.h"
#include "../core/machine.h"
#include "../core/outpath.h"
#include "../process/peer.h"
#include "../process/progress.h"
#include "../results/writer.h"
#include "../results/reader.h"
#include "../core/safe_text.h"
#include "../process/slots.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void fill_input(struct result_input *in, const struct alloc_spec *s,
                       const struct trace *t, const struct cell_options *opt,
                       const struct cell_result *r, const struct cell_extra *x,
                       const struct machine_info *machine, time_t when)
{
	memset(in, 0, sizeof *in);
	in->alloc = s->table;
	in->trace = t;
	in->opt = opt;
	in->result = r;
	in->machine = machine;
	in->when = when;
	in->kind = peer_kind_name(s->kind);
	in->library = s->kind == ALLOC_PEER || s->kind == ALLOC_LIBRARY
	              || s->kind == ALLOC_STUDENT ? s->library : NULL;
	in->extra = x;
}

/* ---- traces ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

struct strv {
	char  **v;
	size_t  n, cap;
};

static int strv_push(struct strv *sv, char *s)
{
	if (!s)
		return -1;
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, cap * sizeof *v);
		if (!v) {
			free(s);
			return -1;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return 0;
}

static void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

/* One trace name, taken whole: a folder gives its *.trace and *.rep, sorted. */
static int expand_one(const char *tok, struct strv *out, char *err, size_t errlen)
{
	struct stat st;
	if (stat(tok, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = opendir(tok);
		struct dirent *e;
		size_t first = out->n;
		if (!d) {
			snprintf(err, errlen, "%s: %s", tok, strerror(errno));
			return EXIT_USAGE;
		}
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && (has_suffix(e->d_name, ".trace")
			                            || has_suffix(e->d_name, ".rep"))) {
				char *path = NULL;
				if (asprintf(&path, "%s%s%s", tok,
				             has_suffix(tok, "/") ? "" : "/", e->d_name) < 0
				    || strv_push(out, path)) {
					closedir(d);
					snprintf(err, errlen, "out of memory");
					return EXIT_SYSTEM;
				}
			}
		closedir(d);
		if (out->n == first) {
			snprintf(err, errlen, "%s: no *.trace or *.rep file in it", tok);
			return EXIT_USAGE;
		}
		qsort(out->v + first, out->n - first, sizeof *out->v, cmp_str);
	} else if (strv_push(out, strdup(tok))) {
		snprintf(err, errlen, "out of memory");
		return EXIT_SYSTEM;
	}
	return 0;
}

/* --trace @LIST: one trace or folder per line, taken whole (commas and all). */
static int expand_list(const char *list, struct strv *out, char *err, size_t errlen)
{
	FILE *f = fopen(list, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", list, strerror(errno));
		return EXIT_USAGE;
	}
	char line[PATH_MAX + 2];
	unsigned lineno = 0;
	size_t first = out->n;
	int code = 0;
	while (!code && fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		lineno++;
		if (n && line[n - 1] != '\n' && !feof(f)) {
			snprintf(err, errlen, "%s:%u: a trace name longer than %d bytes", list, lineno,
			         PATH_MAX);
			code = EXIT_USAGE;
			break;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;   /* blank lines and comments */
		code = expand_one(line, out, err, errlen);
	}
	if (!code && ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", list, strerror(errno));
		code = EXIT_USAGE;
	}
	fclose(f);
	if (!code && out->n == first) {
		snprintf(err, errlen, "%s: names no trace", list);
		code = EXIT_USAGE;
	}
	return code;
}

/*
 * One --trace argument: @LIST; or a name that exists, taken whole (so a file
 * whose name holds a comma can be named); or FILE|DIR[,FILE|DIR...].
 */
static int expand_traces(const char *arg, struct strv *out, char *err, size_t errlen)
{
	char tok[PATH_MAX];
	struct stat st;
	if (arg[0] == '@' && arg[1])
		return expand_list(arg + 1, out, err, errlen);
	if (stat(arg, &st) == 0)
		return expand_one(arg, out, err, errlen);
	for (const char *p = arg; ; ) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len >= sizeof tok) {
			snprintf(err, errlen, "--trace: %s trace name", len ? "too long a" : "empty");
			return EXIT_USAGE;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		int code = expand_one(tok, out, err, errlen);
		if (code)
			return code;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* "workloads/web.trace" -> "web": the name of its result file. */
static void trace_stem(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (has_suffix(base, ".trace"))
		n -= 6;
	else if (has_suffix(base, ".rep"))
		n -= 4;
	snprintf(buf, len, "%.*s", (int)n, base);
}

/* ---- one cell: the single-run command line ---- */

/*
 * --skip-existing: whether `out` already holds a result of this allocator on
 * this trace (one written whole: results are written atomically).  Anything
 * else there (another cell's result, a broken file) is measured over.
 */
static int result_exists(const char *out, const struct alloc_spec *s, const char *trace)
{
	struct result r;
	char err[2048];
	const char *base = strrchr(trace, '/');
	if (access(out, F_OK) != 0 || result_load(out, &r, err, sizeof err) != RESULT_OK)
		return 0;
	int same = !strcmp(r.allocator, s->name) && !strcmp(r.trace_name, base ? base + 1 : trace);
	result_free(&r);
	return same;
}

/* --slots: the slot of this process's one cell, sampled by the once-a-second tick. */
static struct slot cell_slot = { .fd = -1 };
static void slot_tick(void) { slot_sample(&cell_slot); }

static int single_cell(const struct cli_options *o, const struct alloc_spec *s,
                       const char *path)
{
	time_t when = time(NULL);
	struct trace t;
	struct trace_error terr;
	enum trace_status ts = trace_load(path, &t, &terr);
	if (ts != TRACE_OK) {
		fprintf(stderr, "bench: %s\n", terr.message);
		return ts == TRACE_EINPUT ? EXIT_USAGE : EXIT_SYSTEM;
	}
	trace_warn_cut_short(&t, stderr);
	/* The result is large (per-run samples): bulk memory, not the stack. */
	struct cell_result *r = bulk_alloc(sizeof *r);
	struct cell_extra *x = bulk_alloc(sizeof *x);
	int code;
	if (!r || !x) {
		fputs("bench: cannot reserve memory for the result\n", stderr);
		code = EXIT_SYSTEM;
		goto out;
	}
	progress_start(isatty(STDERR_FILENO) && !o->no_progress && !o->slots, 1);
	progress_cell(0, s->name, t.path, t.nops, run_count(&o->run, &t));
	if (o->slots) {   /* a unit of a plan: no progress line, the slot's tick */
		char serr[PATH_MAX + 256];
		if (slot_claim(o->slots, !o->run.threads, &cell_slot, serr, sizeof serr)) {
			fprintf(stderr, "bench: %s\n", serr);
			code = EXIT_SYSTEM;
			goto out;
		}
		isolate_tick = slot_tick;
	}
	enum cell_status st = isolate_cell(s, &t, &o->run, o->timeout, r, x);
	progress_stop();
	if (o->slots) {
		isolate_tick = NULL;
		slot_sample(&cell_slot);
	}
	if (st == CELL_BAD_INPUT || st == CELL_SYSTEM || st == CELL_NOT_RUN) {
		fprintf(stderr, "bench: %s\n", st == CELL_NOT_RUN ? "interrupted" : r->message);
		code = st == CELL_BAD_INPUT ? EXIT_USAGE : st == CELL_SYSTEM ? EXIT_SYSTEM
		       : exit_for_signal(isolate_interrupted);
		goto out;
	}
	struct machine_info machine;
	struct result_input in;
	machine_describe(&machine);
	fill_input(&in, s, &t, &o->run, r, x, &machine, when);
	if (!o->quiet)
		result_summary(o->json || o->out ? stderr : stdout, &in);
	code = st == CELL_OK ? EXIT_OK : EXIT_CHECK;
	if (st != CELL_OK)
		fprintf(stderr, "bench: %s\n", r->message);
	if (o->json || o->out) {
		size_t len = 0;
		json_t *j = result_json(&in);
		if (j && o->slots && json_object_set_new(j, "concurrency", slot_json(&cell_slot)))
			json_decref(j), j = NULL;
		char *text = result_json_text(j, &len);
		json_decref(j);
		if (!text) {
			fputs("bench: out of memory while building the result\n", stderr);
			code = EXIT_SYSTEM;
			goto out;
		}
		char err[PATH_MAX + 256], target[PATH_MAX];
		if (o->out && outpath_resolve(o->out, target, sizeof target) == 0) {
			char *slash = strrchr(target, '/');
			if (slash)
				*slash = '\0';
			outpath_remove_stale(slash ? (target[0] ? target : "/") : ".");
		}
		if (o->out && write_file_atomic(o->out, text, len, err, sizeof err) != 0) {
			fprintf(stderr, "bench: %s\n", err);
			code = EXIT_SYSTEM;
		}
		if (code != EXIT_SYSTEM && o->json) {
			errno = 0;
			fwrite(text, 1, len, stdout);
			code = finish_stdout(code);
		}
		free(text);
	}
	if (code == EXIT_OK || code == EXIT_CHECK)
		code = finish_stdout(code);
out:
	slot_release(&cell_slot);
	if (r)
		bulk_free(r, sizeof *r);
	if (x)
		bulk_free(x, sizeof *x);
	trace_free(&t);
	return code;
}

/* ---- a suite ---- */

struct cell_rec {
	const struct alloc_spec *spec;
	const char      *trace;         /* path as given                        */
	char             stem[NAME_MAX];
	enum cell_status status;
	char             message[640];
	char             file[PATH_MAX];/* relative to the folder; "" none      */
	unsigned         runs;
	double           ops_median;
	int              has_break;
	uint64_t         peak_break;
	int              has_rss;
	uint64_t         peak_rss;
	uint64_t         peak_live;
	uint64_t         failed;        /* failed allocations                   */
	uint64_t         skipped;       /* ops skipped on blocks that failed    */
	double           seconds;
};

struct suite {
	const struct cli_options *o;
	char             dir[PATH_MAX];
	char             run_id[64];
	time_t           started;
	struct cell_rec *cells;
	size_t           ncells;
	int              interrupted;
	int              write_failed;
};

/* results/<UTC time>, with -2, -3... when two suites start in the same second. */
static int make_run_dir(struct suite *su, char *err, size_t errlen)
{
	int e;
	if (su->o->out) {
		snprintf(su->dir, sizeof su->dir, "%s", su->o->out);
		const char *b = strrchr(su->dir, '/');
		snprintf(su->run_id, sizeof su->run_id, "%.60s", b && b[1] ? b + 1 : su->dir);
		if ((e = mkdir_p(su->dir, 0777))) {
			snprintf(err, errlen, "%s: cannot create the results folder: %s", su->dir,
			         strerror(e));
			return EXIT_SYSTEM;
		}
		outpath_remove_stale(su->dir);
		return 0;
	}
	struct tm tm;
	char stamp[32];
	gmtime_r(&su->started, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	if ((e = mkdir_p("results", 0777))) {
		snprintf(err, errlen, "results: cannot create the results folder: %s", strerror(e));
		return EXIT_SYSTEM;
	}
	for (unsigned k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(su->run_id, sizeof su->run_id, "%s", stamp);
		else
			snprintf(su->run_id, sizeof su->run_id, "%s-%u", stamp, k);
		snprintf(su->dir, sizeof su->dir, "results/%s", su->run_id);
		if (mkdir(su->dir, 0777) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	snprintf(err, errlen, "%s: cannot create the results folder: %s", su->dir,
	         strerror(errno));
	return EXIT_SYSTEM;
}

static json_t *num_or_null(int has, double v) { return has ? json_real(v) : json_null(); }
static json_t *int_or_null(int has, uint64_t v)
{
	return has ? json_integer((json_int_t)v) : json_null();
}

/* summary.json, rewritten after every cell so an interrupted suite keeps one. */
static int write_summary(struct suite *su, int complete)
{
	char when[32];
	struct tm tm;
	gmtime_r(&su->started, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);

	json_t *cells = json_array();
	for (size_t i = 0; cells && i < su->ncells; i++) {
		const struct cell_rec *c = &su->cells[i];
		double urss = 0;
		int has_urss = c->has_rss && metrics_utilization_rss(c->peak_live, c->peak_rss, &urss);
		json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:I, "
		                      "s:I, s:f}",
			"allocator", c->spec->name, "kind", peer_kind_name(c->spec->kind),
			"trace", c->trace, "status", cell_status_name(c->status),
			"file", c->file[0] ? json_string(c->file) : json_null(),
			"message", c->message[0] ? json_string(c->message) : json_null(),
			"ops_per_sec_median", num_or_null(c->runs > 0, c->ops_median),
			"peak_break_bytes", int_or_null(c->has_break, c->peak_break),
			"peak_rss_bytes", int_or_null(c->has_rss, c->peak_rss),
			"peak_live_bytes", (json_int_t)c->peak_live,
			"utilization_rss", num_or_null(has_urss, urss),
			"failed_allocations", (json_int_t)c->failed,
			"skipped_ops", (json_int_t)c->skipped,
			"elapsed_seconds", c->seconds);
		if (!e || json_array_append_new(cells, e)) {
			json_decref(cells);
			cells = NULL;
		}
	}
	return suite_summary_write(su->dir, su->run_id, when, complete, su->interrupted, cells,
	                           complete && su->o->json);
}

int suite_summary_write(const char *dir, const char *run_id, const char *started,
                        int complete, int interrupted, json_t *cells, int print)
{
	char path[PATH_MAX + 16], err[PATH_MAX + 256];
	json_t *root = cells ? json_pack("{s:s, s:i, s:s, s:s, s:b, s:b, s:o}",
		"schema", SUITE_SCHEMA, "schema_version", SUITE_SCHEMA_VERSION,
		"run_id", run_id, "started", started, "complete", complete,
		"interrupted", interrupted, "cells", cells) : NULL;
	size_t len = 0;
	char *text = result_json_text(root, &len);
	json_decref(root);
	if (!text) {
		fputs("bench: out of memory while building summary.json\n", stderr);
		return -1;
	}
	snprintf(path, sizeof path, "%s/summary.json", dir);
	int rc = write_file_atomic(path, text, len, err, sizeof err);
	if (rc)
		fprintf(stderr, "bench: %s\n", err);
	if (!rc && print)
		fwrite(text, 1, len, stdout);
	free(text);
	return rc;
}

/* "12.3 MiB": short enough for the table's 80 columns. */
static const char *short_bytes(char *buf, size_t len, int has, uint64_t n)
{
	if (!has) {
		snprintf(buf, len, "-");
		return buf;
	}
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1000 && u < 4)   /* 1023.5 KiB would be wider than 1.0 MiB */
		v /= 1024, u++;
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/*
 * The table at the end of a suite, within 80 columns for names up to 14
 * characters: a heading per trace, then a row per allocator.  "failed" is
 * the failed allocations plus the ops skipped on their blocks; such a cell
 * passed its checks but its figures are not comparable (a note says so).
 */
static void print_table(const struct suite *su, FILE *f)
{
	char b1[32], b2[32], ops[32], util[32], fail[32], shown[PATH_MAX * 4];
	const char *last = NULL;
	int aw = 14, any_failed = 0, any_util_unknown = 0;
	for (size_t i = 0; i < su->ncells; i++) {
		int n = (int)strlen(su->cells[i].spec->name);
		aw = n > aw ? n : aw;
	}
	for (size_t i = 0; i < su->ncells; i++) {
		const struct cell_rec *c = &su->cells[i];
		if (!last || strcmp(last, c->trace) != 0) {
			fprintf(f, "%s%s\n", last ? "\n" : "", safe_text(shown, sizeof shown, c->trace));
			fprintf(f, "  %-*s %-12s %7s %10s %10s %8s %10s\n", aw, "allocator", "status",
			        "Mops/s", "peak break", "peak RSS", "util RSS", "fail+skip");
		}
		last = c->trace;
		int ran = c->status == CELL_OK || c->status == CELL_CHECK_FAILED;
		if (c->runs)
			snprintf(ops, sizeof ops, "%.2f", c->ops_median / 1e6);
		else
			snprintf(ops, sizeof ops, "-");
		double urss;
		if (c->has_rss && metrics_utilization_rss(c->peak_live, c->peak_rss, &urss))
			snprintf(util, sizeof util, "%.1f%%", 100.0 * urss);
		else if (c->has_rss && c->peak_rss < c->peak_live)
			snprintf(util, sizeof util, "?"), any_util_unknown = 1;
		else
			snprintf(util, sizeof util, "-");
		if (!ran)
			snprintf(fail, sizeof fail, "-");
		else
			snprintf(fail, sizeof fail, c->failed + c->skipped ? "%llu+%llu" : "0",
			         (unsigned long long)c->failed, (unsigned long long)c->skipped);
		any_failed |= ran && c->failed > 0;
		fprintf(f, "  %-*s %-12s %7s %10s %10s %8s %10s\n", aw, c->spec->name,
		        cell_status_name(c->status), ops,
		        short_bytes(b1, sizeof b1, c->has_break, c->peak_break),
		        short_bytes(b2, sizeof b2, c->has_rss, c->peak_rss), util, fail);
	}
	if (any_failed)
		fprintf(f, "\nfail+skip: allocations that failed (--heap-limit) + ops skipped on\n"
		        "their blocks.  Such a cell passed its checks, but its throughput and\n"
		        "memory are not comparable with a cell where every allocation succeeded.\n");
	if (any_util_unknown)
		fprintf(f, "%sutil RSS ?: the RSS grew less than the live bytes (the library reused\n"
		        "memory resident before the pass; docs/peers.md): not known.\n",
		        any_failed ? "" : "\n");
	int first = 1;
	for (size_t i = 0; i < su->ncells; i++) {
		const struct cell_rec *c = &su->cells[i];
		if (c->status != CELL_OK && c->status != CELL_NOT_RUN) {
			fprintf(f, "%s%s on %s: %s: %s\n", first ? "\n" : "", c->spec->name,
			        safe_text(shown, sizeof shown, c->trace), cell_status_name(c->status),
			        c->message);
			first = 0;
		}
	}
}

static int exit_rank(int code)
{
	switch (code) {
	case EXIT_SYSTEM: return 3;
	case EXIT_USAGE:  return 2;
	case EXIT_CHECK:  return 1;
	default:          return 0;
	}
}

static int worse(int a, int b) { return exit_rank(b) > exit_rank(a) ? b : a; }

/*
 * --interleave without --runs: the rounds compare --pair needs to see a
 * small change on a busy machine (docs/compare.md, "Paired runs"); a huge
 * trace's passes are long enough that fewer do.
 */
#define INTERLEAVE_ROUNDS        30
#define INTERLEAVE_ROUNDS_HUGE   10
/*
 * Timed passes of each allocator per round: the round keeps the pass with
 * the least CPU time.  A pass on a shared machine is often slowed (another
 * job on the same core's other hardware thread, its caches flushed), never
 * sped up, so the fastest of a few alternating passes is far steadier than
 * one pass (docs/compare.md, "Paired runs").  Recorded in the results as
 * options.round_passes.
 */
#define INTERLEAVE_PASSES        5

static unsigned interleave_rounds(const struct cell_options *o, const struct trace *t)
{
	if (o->runs)
		return run_count(o, t);
	return t->nops >= RUN_HUGE_OPS ? INTERLEAVE_ROUNDS_HUGE : INTERLEAVE_ROUNDS;
}

/* CPU time of a pass (user + system), or its wall time when it has none. */
static double pass_cpu(const struct pass_figures *f)
{
	double cpu = (double)f->user_ns + (double)f->sys_ns;
	return cpu > 0 ? cpu : (double)f->wall_ns;
}

/* In an interleaved cell's JSON: how each round's pass was chosen. */
static void interleave_record(json_t *j)
{
	json_t *opts = json_object_get(j, "options");
	if (json_is_object(opts))
		json_object_set_new(opts, "round_passes", json_integer(INTERLEAVE_PASSES));
}

/* Record cell i's outcome (st, r, x) and write its result file. */
static int record_cell(struct suite *su, size_t i, const struct trace *t,
                       const struct machine_info *machine, const struct cell_result *r,
                       const struct cell_extra *x, enum cell_status st, time_t when)
{
	struct cell_rec *c = &su->cells[i];
	c->status = st;
	c->seconds = x->seconds;
	snprintf(c->message, sizeof c->message, "%s", r->message);
	c->runs = r->runs;
	if (r->runs) {
		struct sample_summary ss;
		metrics_summarise(r->ops_per_sec, r->runs, &ss);
		c->ops_median = ss.median;
	}
	c->has_break = c->spec->kind == ALLOC_BUILTIN || c->spec->kind == ALLOC_TEST
	               || c->spec->kind == ALLOC_STUDENT;
	c->has_break = c->has_break && st == CELL_OK;
	c->peak_break = r->memory.peak_break;
	c->has_rss = x->mem.measured;
	c->peak_rss = x->mem.peak_rss_bytes;
	c->peak_live = r->peak_live_bytes;
	c->failed = r->memory.failed_allocations;
	c->skipped = r->memory.skipped_ops;
	int code = st == CELL_OK ? EXIT_OK : st == CELL_BAD_INPUT ? EXIT_USAGE
	           : st == CELL_SYSTEM ? EXIT_SYSTEM : EXIT_CHECK;
	if (st == CELL_BAD_INPUT || st == CELL_SYSTEM)
		return code;   /* nothing to report for these, as for a single run */

	struct result_input in;
	fill_input(&in, c->spec, t, &su->o->run, r, x, machine, when);
	size_t len = 0;
	json_t *j = result_json(&in);
	if (j && su->o->run.interleave && !su->o->run.threads)
		interleave_record(j);
	char *text = result_json_text(j, &len);
	json_decref(j);
	char sub[PATH_MAX], path[PATH_MAX * 2], err[PATH_MAX * 2 + 256];
	int e;
	snprintf(sub, sizeof sub, "%.3000s/%s", su->dir, c->spec->name);
	snprintf(path, sizeof path, "%s/%s.json", sub, c->stem);
	if (!text) {
		fputs("bench: out of memory while building a result\n", stderr);
		code = EXIT_SYSTEM;
	} else if ((e = mkdir_p(sub, 0777))) {
		progress_clear();
		fprintf(stderr, "bench: %s: %s\n", sub, strerror(e));
		code = EXIT_SYSTEM;
	} else if (outpath_remove_stale(sub), write_file_atomic(path, text, len, err, sizeof err) != 0) {
		progress_clear();
		fprintf(stderr, "bench: %s\n", err);
		code = EXIT_SYSTEM;
	} else {
		snprintf(c->file, sizeof c->file, "%s/%s.json", c->spec->name, c->stem);
	}
	free(text);
	if (write_summary(su, 0))
		code = EXIT_SYSTEM;
	return code;
}

/* Run the cells of one trace (already loaded) and write their results. */
static int run_trace_cells(struct suite *su, size_t first, size_t n, const struct trace *t,
                           const struct machine_info *machine, struct cell_result *r,
                           struct cell_extra *x)
{
	int code = EXIT_OK;
	for (size_t i = first; i < first + n; i++) {
		struct cell_rec *c = &su->cells[i];
		if (isolate_interrupted)
			break;
		progress_cell(i, c->spec->name, c->trace, t->nops, run_count(&su->o->run, t));
		time_t when = time(NULL);
		enum cell_status st = isolate_cell(c->spec, t, &su->o->run, su->o->timeout, r, x);
		if (st == CELL_NOT_RUN) {
			snprintf(c->message, sizeof c->message, "%s", r->message);
			break;
		}
		code = worse(code, record_cell(su, i, t, machine, r, x, st, when));
	}
	return code;
}

/* Keep, of r's passes from `base` on, the one with the least CPU time, as pass `base`. */
static void keep_fastest(struct cell_result *r, unsigned base)
{
	unsigned best = base;
	for (unsigned k = base + 1; k < r->runs; k++)
		if (pass_cpu(&r->pass[k]) < pass_cpu(&r->pass[best]))
			best = k;
	if (r->runs <= base)
		return;
	r->ns_per_op[base] = r->ns_per_op[best];
	r->ops_per_sec[base] = r->ops_per_sec[best];
	r->pass[base] = r->pass[best];
	r->runs = base + 1;
}

/*
 * --interleave --threads: the same cells, their timed passes in rounds.  Round k runs
 * one timed pass of every cell (in --alloc order) before round k + 1, so a
 * burst of load on the machine falls on all of them alike and the per-round
 * ratios between two allocators cancel it (bench compare --pair).  Each
 * round is a whole cell run with --runs 1 (checked pass, one timed pass,
 * memory pass, each in its child processes as usual); round 0's result is
 * kept and later rounds add their timed pass to it.  A round whose checked
 * pass or memory figures differ from round 0's makes memory_identical 0; a
 * round that fails ends that cell with the failure, as a single run would.
 */
static int run_trace_rounds(struct suite *su, size_t first, size_t n,
                                 const struct trace *t, const struct machine_info *machine,
                                 struct cell_result *r, struct cell_extra *x)
{
	struct cell_result *acc = bulk_alloc(n * sizeof *acc);
	struct cell_extra *accx = calloc(n, sizeof *accx);
	time_t *when = calloc(n, sizeof *when);
	unsigned char *done = calloc(n, 1);
	int code = EXIT_OK;
	if (!acc || !accx || !when || !done) {
		fputs("bench: cannot reserve memory for the results\n", stderr);
		code = EXIT_SYSTEM;
		goto out;
	}
	struct cell_options one = su->o->run;
	unsigned rounds = interleave_rounds(&su->o->run, t);
	one.runs = 1;
	for (unsigned k = 0; k < rounds && !isolate_interrupted; k++) {
		for (size_t q = 0; q < n && !isolate_interrupted; q++) {
			size_t i = first + q;
			if (done[q])
				continue;
			progress_cell(i, su->cells[i].spec->name, su->cells[i].trace, t->nops, rounds);
			if (k == 0)
				when[q] = time(NULL);
			enum cell_status st = isolate_cell(su->cells[i].spec, t, &one,
			                                   su->o->timeout, r, x);
			if (st == CELL_NOT_RUN)
				break;
			if (k == 0) {
				memcpy(&acc[q], r, sizeof *r);
				accx[q] = *x;
			} else if (st != CELL_OK) {
				double secs = accx[q].seconds + x->seconds;
				memcpy(&acc[q], r, sizeof *r);
				accx[q] = *x;
				accx[q].seconds = secs;
				snprintf(acc[q].message, sizeof acc[q].message, "round %u: %.600s",
				         k + 1, r->message);
			} else {
				struct cell_result *a = &acc[q];
				accx[q].seconds += x->seconds;
				if (r->runs && a->runs < RUN_MAX) {
					a->ns_per_op[a->runs] = r->ns_per_op[0];
					a->ops_per_sec[a->runs] = r->ops_per_sec[0];
					a->pass[a->runs] = r->pass[0];
					a->runs++;
				}
				if (!r->memory_identical ||
				    memcmp(&r->memory, &a->memory, sizeof r->memory) ||
				    r->peak_live_bytes != a->peak_live_bytes)
					a->memory_identical = 0;
			}
			if (acc[q].status != CELL_OK)
				done[q] = 1;
		}
	}
	for (size_t q = 0; q < n; q++) {
		if (!when[q])
			continue;            /* never started: stays not-run */
		if (isolate_interrupted && !done[q] && acc[q].runs < rounds)
			continue;            /* cut short: not a result */
		code = worse(code, record_cell(su, first + q, t, machine, &acc[q], &accx[q],
		                               acc[q].status, when[q]));
	}
out:
	if (acc)
		bulk_free(acc, n * sizeof *acc);
	free(accx);
	free(when);
	free(done);
	return code;
}

/*
 * --interleave: the same cells, their timed passes alternating one pass at a
 * time.  First every cell's untimed work once (checked pass, memory pass);
 * then `rounds` rounds of INTERLEAVE_PASSES timed passes per cell, each pass
 * in a fresh process of its own (isolate_timed_pass), the order reversed at
 * every turn (A B, B A, A B, ...: a load that rises or falls steadily hits
 * both sides alike).  A burst of load thus falls on passes a few
 * milliseconds apart; each round keeps each cell's fastest pass, and the
 * per-round ratios between two allocators cancel what is left (bench
 * compare --pair).  Pass k of every cell is round k.  A pass that fails
 * ends that cell with the failure, as in a single run; the others go on.
 */
static int run_trace_interleaved(struct suite *su, size_t first, size_t n,
                                 const struct trace *t, const struct machine_info *machine,
                                 struct cell_result *r, struct cell_extra *x)
{
	if (su->o->run.threads)   /* a threaded pass runs with its setup: whole cells */
		return run_trace_rounds(su, first, n, t, machine, r, x);
	struct cell_result *acc = bulk_alloc(n * sizeof *acc);
	struct cell_extra *accx = calloc(n, sizeof *accx);
	time_t *when = calloc(n, sizeof *when);
	int code = EXIT_OK, stop = 0;
	if (!acc || !accx || !when) {
		fputs("bench: cannot reserve memory for the results\n", stderr);
		code = EXIT_SYSTEM;
		goto out;
	}
	unsigned rounds = interleave_rounds(&su->o->run, t);
	for (size_t q = 0; q < n && !stop; q++) {
		size_t i = first + q;
		progress_cell(i, su->cells[i].spec->name, su->cells[i].trace, t->nops, rounds);
		when[q] = time(NULL);
		stop = isolate_cell_untimed(su->cells[i].spec, t, &su->o->run, su->o->timeout,
		                            &acc[q], &accx[q]) == CELL_NOT_RUN;
	}
	if (rounds > RUN_MAX - INTERLEAVE_PASSES + 1)
		rounds = RUN_MAX - INTERLEAVE_PASSES + 1;   /* room for a round's passes */
	unsigned turn = 0;   /* the passes alternate: A B, B A, A B, ... */
	for (unsigned k = 0; k < rounds && !stop; k++) {
		for (unsigned p = 0; p < INTERLEAVE_PASSES && !stop; p++, turn++) {
			for (size_t j = 0; j < n && !stop; j++) {
				size_t q = turn % 2 ? n - 1 - j : j;
				if (acc[q].status != CELL_OK)
					continue;
				stop = isolate_timed_pass(su->cells[first + q].spec, t, &su->o->run,
				                          su->o->timeout, &acc[q], &accx[q])
				       == CELL_NOT_RUN;
			}
		}
		for (size_t q = 0; q < n && !stop; q++)
			if (acc[q].status == CELL_OK)
				keep_fastest(&acc[q], k);
	}
	for (size_t q = 0; q < n; q++) {
		if (!when[q] || acc[q].status == CELL_NOT_RUN)
			continue;            /* never started: stays not-run */
		if (stop && acc[q].status == CELL_OK && acc[q].runs < rounds)
			continue;            /* cut short: not a result */
		code = worse(code, record_cell(su, first + q, t, machine, &acc[q], &accx[q],
		                               acc[q].status, when[q]));
	}
out:
	if (acc)
		bulk_free(acc, n * sizeof *acc);
	free(accx);
	free(when);
	return code;
}

/*
 * The matrix: a cell per trace x allocator, in that order, each named by
 * its trace's stem; two traces with one stem are a usage error.  Returns 0
 * or an exit code (message printed, su->cells freed).
 */
static int plan_cells(struct suite *su, struct alloc_spec *specs, size_t nspecs,
                      const struct strv *traces)
{
	su->ncells = nspecs * traces->n;
	su->cells = calloc(su->ncells, sizeof *su->cells);
	if (!su->cells) {
		fputs("bench: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	for (size_t ti = 0; ti < traces->n; ti++)
		for (size_t ai = 0; ai < nspecs; ai++) {
			struct cell_rec *c = &su->cells[ti * nspecs + ai];
			c->spec = &specs[ai];
			c->trace = traces->v[ti];
			c->status = CELL_NOT_RUN;
			trace_stem(c->trace, c->stem, sizeof c->stem);
			for (size_t k = 0; k < ti; k++)
				if (strcmp(c->stem, su->cells[k * nspecs].stem) == 0) {
					fprintf(stderr, "bench: --trace: %s and %s would both be "
					        "reported as %s.json\n", su->cells[k * nspecs].trace,
					        c->trace, c->stem);
					free(su->cells);
					su->cells = NULL;
					return EXIT_USAGE;
				}
		}
	return 0;
}

/* Every trace read once before anything runs or is created: bad input writes nothing. */
static int check_traces(const struct strv *traces)
{
	for (size_t ti = 0; ti < traces->n; ti++) {
		struct trace t;
		struct trace_error terr;
		enum trace_status ts = trace_load(traces->v[ti], &t, &terr);
		if (ts != TRACE_OK) {
			fprintf(stderr, "bench: %s\n", terr.message);
			return ts == TRACE_EINPUT ? EXIT_USAGE : EXIT_SYSTEM;
		}
		trace_warn_cut_short(&t, stderr);
		trace_free(&t);
	}
	return 0;
}

/* After an interrupt: the cells that did not run, by name. */
static void print_not_run(const struct suite *su)
{
	fprintf(stderr, "bench: interrupted; cells not run:");
	for (size_t i = 0; i < su->ncells; i++)
		if (su->cells[i].status == CELL_NOT_RUN)
			fprintf(stderr, " %s/%s", su->cells[i].spec->name, su->cells[i].stem);
	fputc('\n', stderr);
}

static int run_suite(const struct cli_options *o, struct alloc_spec *specs, size_t nspecs,
                     const struct strv *traces)
{
	struct suite su = { .o = o, .started = time(NULL) };
	char err[PATH_MAX + 256];
	int code = EXIT_OK, show = isatty(STDERR_FILENO) && !o->no_progress;

	if ((code = plan_cells(&su, specs, nspecs, traces)))
		return code;
	if ((code = check_traces(traces))) {
		free(su.cells);
		return code;
	}
	if ((code = make_run_dir(&su, err, sizeof err))) {
		fprintf(stderr, "bench: %s\n", err);
		free(su.cells);
		return code;
	}
	struct cell_result *r = bulk_alloc(sizeof *r);
	struct cell_extra *x = bulk_alloc(sizeof *x);
	if (!r || !x) {
		fputs("bench: cannot reserve memory for the result\n", stderr);
		code = EXIT_SYSTEM;
		goto out;
	}
	struct machine_info machine;
	machine_describe(&machine);
	progress_start(show, su.ncells);
	for (size_t ti = 0; ti < traces->n && !isolate_interrupted; ti++) {
		struct trace t;
		struct trace_error terr;
		enum trace_status ts = trace_load(traces->v[ti], &t, &terr);
		if (ts != TRACE_OK) {
			for (size_t ai = 0; ai < nspecs; ai++) {
				struct cell_rec *c = &su.cells[ti * nspecs + ai];
				c->status = ts == TRACE_EINPUT ? CELL_BAD_INPUT : CELL_SYSTEM;
				snprintf(c->message, sizeof c->message, "%s", terr.message);
			}
			progress_clear();
			fprintf(stderr, "bench: %s\n", terr.message);
			code = worse(code, ts == TRACE_EINPUT ? EXIT_USAGE : EXIT_SYSTEM);
			continue;
		}
		code = worse(code, (o->run.interleave ? run_trace_interleaved : run_trace_cells)
		                   (&su, ti * nspecs, nspecs, &t, &machine, r, x));
		trace_free(&t);
	}
	progress_stop();
	su.interrupted = isolate_interrupted != 0;
	if (write_summary(&su, !su.interrupted))
		code = EXIT_SYSTEM;
	if (!o->quiet)
		print_table(&su, o->json ? stderr : stdout);
	fflush(stdout);   /* the table before the lines below, when both go to one file */
	if (su.interrupted)
		print_not_run(&su);
	fprintf(stderr, "bench: results in %s/\n", su.dir);
	code = finish_stdout(code);
	if (su.interrupted)
		code = exit_for_signal(isolate_interrupted);
out:
	if (r)
		bulk_free(r, sizeof *r);
	if (x)
		bulk_free(x, sizeof *x);
	free(su.cells);
	return code;
}

int suite_expand_traces(const struct cli_options *o, char ***paths, size_t *n, char *err,
                        size_t errlen)
{
	struct strv sv = { 0 };
	int code = 0;
	for (unsigned k = 0; !code && k < (o->traces ? o->ntraces : 1); k++)
		code = expand_traces(o->traces ? o->traces[k] : o->trace, &sv, err, errlen);
	if (code) {
		strv_free(&sv);
		return code;
	}
	*paths = sv.v;
	*n = sv.n;
	return 0;
}

void suite_trace_stem(const char *path, char *buf, size_t len)
{
	trace_stem(path, buf, len);
}

int suite_main(const struct cli_options *o)
{
	struct alloc_spec *specs = NULL;
	size_t nspecs = 0;
	struct strv traces = { 0 };
	char err[PATH_MAX + 256];
	int code;

	if ((code = peer_expand(o->alloc, &specs, &nspecs, err, sizeof err))) {
		fprintf(stderr, "bench: %s\n", err);
		return code;
	}
	if ((code = suite_expand_traces(o, &traces.v, &traces.n, err, sizeof err))) {
		fprintf(stderr, "bench: %s\n", err);
		goto out;
	}
	traces.cap = traces.n;
	/* Where results go is checked before anything runs, too (a plan's unit, with
	 * --skip-existing or --slots, may write into a folder still to be made). */
	if (o->out) {
		const char *const *inputs = (const char *const *)traces.v;
		code = nspecs == 1 && traces.n == 1
		       ? outpath_check_file(o->out, inputs, traces.n,
		                            o->skip_existing || o->slots, err, sizeof err)
		       : outpath_check_dir(o->out, err, sizeof err);
		if (code) {
			fprintf(stderr, "bench: %s\n", err);
			goto out;
		}
	}
	isolate_catch_sigint();
	if ((o->skip_existing || o->slots) && (nspecs != 1 || traces.n != 1)) {
		fprintf(stderr, "bench: %s runs one cell (one allocator, one trace); a matrix "
		        "becomes units with bench plan (docs/distributed.md)\n",
		        o->slots ? "--slots" : "--skip-existing");
		code = EXIT_USAGE;
	} else if (o->run.interleave && nspecs < 2) {
		fputs("bench: --interleave alternates the timed passes of two or more "
		      "allocators; --alloc names one\n", stderr);
		code = EXIT_USAGE;
	} else if (o->skip_existing && !o->out) {
		fputs("bench: --skip-existing needs --out FILE, the result it looks for\n", stderr);
		code = EXIT_USAGE;
	} else if (o->skip_existing && result_exists(o->out, &specs[0], traces.v[0])) {
		fprintf(stderr, "bench: %s: the result exists; skipped (--skip-existing)\n",
		        o->out);
		code = EXIT_OK;
	} else if (nspecs == 1 && traces.n == 1) {
		code = 0;
		if (o->skip_existing) {
			/* A unit of a plan may be the first to write into its folder here. */
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s", o->out);
			char *slash = strrchr(dir, '/');
			int e;
			if (slash && slash != dir) {
				*slash = '\0';
				if ((e = mkdir_p(dir, 0777))) {
					fprintf(stderr, "bench: %s: %s\n", dir, strerror(e));
					code = EXIT_SYSTEM;
				}
			}
		}
		if (!code)
			code = single_cell(o, &specs[0], traces.v[0]);
	}
	else
		code = run_suite(o, specs, nspecs, &traces);
out:
	strv_free(&traces);
	peer_specs_free(specs, nspecs);
	return code;
}
