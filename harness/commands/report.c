/*
 * report.c - `bench report`: result files (or folders of them) as one
 * flat table, a row per cell, for spreadsheets, gnuplot and pull requests.
 *
 *   bench report [--format tsv|csv|markdown] [--fields a,b,...] [--timeline] RESULTS...
 *   bench report --format grade|grade-csv|grade-json [--grade-weight W]
 *                [--grade-ref-kops N | --grade-ref ALLOC] RESULTS...   (grade.h)
 *
 * A figure a result does not have (null for a peer, latency when it was not
 * measured) is an empty field (tsv, csv) or "-" (markdown).  --timeline
 * prints the heap timelines instead: a row per sample.
 */
#define _GNU_SOURCE
#include "commands.h"

#include "cli.h"
#include "../core/exitcodes.h"
#include "../results/report_md.h"
#include "../results/grade.h"
#include "../results/reader.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum format { FMT_TSV, FMT_CSV, FMT_MARKDOWN, FMT_GRADE, FMT_GRADE_CSV, FMT_GRADE_JSON };

/* A column: its value for one result into buf; 0 when the result lacks it. */
struct field {
	const char *name;
	int       (*get)(const struct result *r, const struct field *f, char *buf, size_t len);
	int         arg;      /* latency: op kind; else unused  */
	int         arg2;     /* latency: which percentile      */
};

#define STR_GETTER(fn, member) \
	static int fn(const struct result *r, const struct field *f, char *b, size_t n) \
	{ (void)f; snprintf(b, n, "%s", r->member); return r->member[0] != '\0'; }
STR_GETTER(get_file, file)
STR_GETTER(get_allocator, allocator)
STR_GETTER(get_kind, kind)
STR_GETTER(get_trace, trace_name)
STR_GETTER(get_trace_path, trace_path)
STR_GETTER(get_sha256, sha256)
STR_GETTER(get_status, status)
STR_GETTER(get_machine, machine)
STR_GETTER(get_touch, touch)
STR_GETTER(get_cost_method, cost_method)

#define U64_GETTER(fn, has, member) \
	static int fn(const struct result *r, const struct field *f, char *b, size_t n) \
	{ (void)f; snprintf(b, n, "%llu", (unsigned long long)r->member); return (has); }
U64_GETTER(get_ops, 1, ops)
U64_GETTER(get_runs, 1, runs)
U64_GETTER(get_align, 1, align)
U64_GETTER(get_peak_break, r->has_peak_break, peak_break)
U64_GETTER(get_peak_rss, r->has_peak_rss, peak_rss)
U64_GETTER(get_peak_live, r->has_peak_live, peak_live)
U64_GETTER(get_provider_calls, r->has_provider_calls, provider_calls)
U64_GETTER(get_warmup, r->has_warmup, warmup)
U64_GETTER(get_instructions, r->has_cost, instructions)

#define DBL_GETTER(fn, has, member, fmt) \
	static int fn(const struct result *r, const struct field *f, char *b, size_t n) \
	{ (void)f; snprintf(b, n, fmt, r->member); return (has); }
DBL_GETTER(get_ops_median, r->has_throughput, ops_median, "%.1f")
DBL_GETTER(get_ops_min, r->has_throughput, ops_min, "%.1f")
DBL_GETTER(get_ops_max, r->has_throughput, ops_max, "%.1f")
DBL_GETTER(get_ns_median, r->has_throughput, ns_median, "%.3f")
DBL_GETTER(get_utilization, r->has_utilization, utilization, "%.6f")
DBL_GETTER(get_fragmentation, r->has_fragmentation, fragmentation, "%.6f")
DBL_GETTER(get_utilization_rss, r->has_utilization_rss, utilization_rss, "%.6f")
DBL_GETTER(get_cpu_ns_median, r->has_cpu, cpu_ns_median, "%.3f")
DBL_GETTER(get_cpu_ops_median, r->has_cpu, cpu_ops_median, "%.1f")
DBL_GETTER(get_minor_faults, r->has_passes, minor_faults_median, "%.1f")
DBL_GETTER(get_major_faults, r->has_passes, major_faults_median, "%.1f")
DBL_GETTER(get_vol_switches, r->has_passes, voluntary_switches_median, "%.1f")
DBL_GETTER(get_invol_switches, r->has_passes, involuntary_switches_median, "%.1f")
DBL_GETTER(get_instructions_per_op, r->has_cost, instructions_per_op, "%.3f")
DBL_GETTER(get_cycles_per_op, r->has_cost && r->has_cycles, cycles_per_op, "%.3f")
DBL_GETTER(get_l1d_per_op, r->has_cost && r->has_l1d_misses, l1d_misses_per_op, "%.4f")
DBL_GETTER(get_ll_per_op, r->has_cost && r->has_ll_misses, ll_misses_per_op, "%.4f")

static int get_fragmentation_rss(const struct result *r, const struct field *f, char *b, size_t n)
{
	(void)f;
	snprintf(b, n, "%.6f", 1 - r->utilization_rss);
	return r->has_utilization_rss;
}

/* The concurrency of a unit run with --slots (docs/distributed.md). */
U64_GETTER(get_cells_running, r->has_concurrency, cells_running)
U64_GETTER(get_pinned_cpu, r->has_pinned_cpu, pinned_cpu)

static int get_latency(const struct result *r, const struct field *f, char *b, size_t n)
{
	const struct result_latency *l = &r->latency[f->arg];
	if (!r->has_latency || !l->present || !l->count)
		return 0;
	const uint64_t v[] = { l->p50, l->p90, l->p99, l->p999, l->max, l->count };
	snprintf(b, n, "%llu", (unsigned long long)v[f->arg2]);
	return 1;
}

static const char *const pct_names[] = { "p50", "p90", "p99", "p999", "max", "count" };

static const struct field plain_fields[] = {
	{ "file", get_file, 0, 0 },
	{ "allocator", get_allocator, 0, 0 },
	{ "kind", get_kind, 0, 0 },
	{ "trace", get_trace, 0, 0 },
	{ "trace_path", get_trace_path, 0, 0 },
	{ "sha256", get_sha256, 0, 0 },
	{ "status", get_status, 0, 0 },
	{ "runs", get_runs, 0, 0 },
	{ "align", get_align, 0, 0 },
	{ "ops", get_ops, 0, 0 },
	{ "ops_per_sec_median", get_ops_median, 0, 0 },
	{ "ops_per_sec_min", get_ops_min, 0, 0 },
	{ "ops_per_sec_max", get_ops_max, 0, 0 },
	{ "ns_per_op_median", get_ns_median, 0, 0 },
	{ "peak_break_bytes", get_peak_break, 0, 0 },
	{ "peak_rss_bytes", get_peak_rss, 0, 0 },
	{ "peak_live_bytes", get_peak_live, 0, 0 },
	{ "utilization", get_utilization, 0, 0 },
	{ "fragmentation", get_fragmentation, 0, 0 },
	{ "provider_calls", get_provider_calls, 0, 0 },
	{ "utilization_rss", get_utilization_rss, 0, 0 },
	{ "fragmentation_rss", get_fragmentation_rss, 0, 0 },
	{ "machine", get_machine, 0, 0 },
	{ "cells_running", get_cells_running, 0, 0 },
	{ "pinned_cpu", get_pinned_cpu, 0, 0 },
	{ "touch", get_touch, 0, 0 },
	{ "warmup", get_warmup, 0, 0 },
	{ "cpu_ns_per_op_median", get_cpu_ns_median, 0, 0 },
	{ "cpu_ops_per_sec_median", get_cpu_ops_median, 0, 0 },
	{ "minor_faults_median", get_minor_faults, 0, 0 },
	{ "major_faults_median", get_major_faults, 0, 0 },
	{ "voluntary_switches_median", get_vol_switches, 0, 0 },
	{ "involuntary_switches_median", get_invol_switches, 0, 0 },
	{ "cost_method", get_cost_method, 0, 0 },
	{ "instructions", get_instructions, 0, 0 },
	{ "instructions_per_op", get_instructions_per_op, 0, 0 },
	{ "cycles_per_op", get_cycles_per_op, 0, 0 },
	{ "l1d_misses_per_op", get_l1d_per_op, 0, 0 },
	{ "ll_misses_per_op", get_ll_per_op, 0, 0 },
};
#define NPLAIN (sizeof plain_fields / sizeof plain_fields[0])

static const char default_fields[] =
	"allocator,kind,trace,status,ops,ops_per_sec_median,ops_per_sec_min,ops_per_sec_max,"
	"ns_per_op_median,peak_break_bytes,peak_rss_bytes,peak_live_bytes,utilization,"
	"fragmentation,provider_calls";
static const char default_latency_fields[] =
	",latency_p50,latency_p99,latency_p999,latency_max";

/*
 * A field by name: a plain one, or latency_P (every op) / latency_KIND_P,
 * P one of p50 p90 p99 p999 max count.  Returns 0, or -1 if unknown.
 */
static int program_field_find(const char *name, size_t len, struct field *out);

static int field_find(const char *name, size_t len, struct field *out)
{
	if (program_field_find(name, len, out) == 0)
		return 0;
	for (size_t i = 0; i < NPLAIN; i++)
		if (strlen(plain_fields[i].name) == len && !strncmp(plain_fields[i].name, name, len)) {
			*out = plain_fields[i];
			return 0;
		}
	static const char prefix[] = "latency_";
	if (len <= sizeof prefix - 1 || strncmp(name, prefix, sizeof prefix - 1))
		return -1;
	const char *rest = name + sizeof prefix - 1;
	size_t rlen = len - (sizeof prefix - 1);
	int kind = LATENCY_ALL;
	for (int k = 0; k < LATENCY_KINDS; k++) {
		size_t kl = strlen(latency_kind_name[k]);
		if (rlen > kl + 1 && !strncmp(rest, latency_kind_name[k], kl) && rest[kl] == '_') {
			kind = k;
			rest += kl + 1;
			rlen -= kl + 1;
			break;
		}
	}
	for (int p = 0; p < 6; p++)
		if (strlen(pct_names[p]) == rlen && !strncmp(pct_names[p], rest, rlen)) {
			*out = (struct field){ "", get_latency, kind, p };
			return 0;
		}
	return -1;
}

static void program_fields_list(FILE *f);

struct columns {
	struct field f[64];
	char         names[64][40];
	size_t       n;
};

static int parse_fields(const char *list, struct columns *c)
{
	c->n = 0;
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (c->n == 64 || len == 0 || len >= sizeof c->names[0] ||
		    field_find(p, len, &c->f[c->n])) {
			fprintf(stderr, "bench: report: --fields: unknown field '%.*s' (fields: ",
			        (int)len, p);
			for (size_t i = 0; i < NPLAIN; i++)
				fprintf(stderr, "%s, ", plain_fields[i].name);
			fprintf(stderr, "latency_[KIND_]{p50,p90,p99,p999,max,count} with KIND one "
			        "of malloc calloc realloc memalign free; program cells: ");
			program_fields_list(stderr);
			fputs(")\n", stderr);
			return -1;
		}
		memcpy(c->names[c->n], p, len);
		c->names[c->n][len] = '\0';
		c->n++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!c->n) {
		fputs("bench: report: --fields: no field named\n", stderr);
		return -1;
	}
	return 0;
}

/* One cell of output, escaped for the format. */
static void put_cell(FILE *out, enum format fmt, const char *s, int first)
{
	if (fmt == FMT_TSV) {
		if (!first)
			putc('\t', out);
		for (; *s; s++)
			putc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, out);
	} else if (fmt == FMT_CSV) {
		if (!first)
			putc(',', out);
		csv_field(out, s);
	} else {
		fputs(first ? "| " : " | ", out);
		for (; *s; s++) {
			if (*s == '|')
				putc('\\', out);
			putc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
		}
	}
}

static void end_row(FILE *out, enum format fmt)
{
	fputs(fmt == FMT_MARKDOWN ? " |\n" : "\n", out);
}

static void print_header(FILE *out, enum format fmt, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_cell(out, fmt, names[i], i == 0);
	end_row(out, fmt);
	if (fmt == FMT_MARKDOWN) {
		for (size_t i = 0; i < n; i++)
			fputs(i ? "|---" : "|---", out);
		fputs("|\n", out);
	}
}

static void print_table(FILE *out, enum format fmt, const struct columns *c,
                        const struct result_set *set)
{
	const char *names[64];
	for (size_t i = 0; i < c->n; i++)
		names[i] = c->names[i];
	print_header(out, fmt, names, c->n);
	for (size_t r = 0; r < set->n; r++) {
		for (size_t i = 0; i < c->n; i++) {
			char buf[RESULT_PATH_MAX + 8];
			if (!c->f[i].get(&set->items[r], &c->f[i], buf, sizeof buf))
				snprintf(buf, sizeof buf, "%s", fmt == FMT_MARKDOWN ? "-" : "");
			else if (fmt == FMT_MARKDOWN)
				report_md_humanize(c->names[i], buf, sizeof buf);
			put_cell(out, fmt, buf, i == 0);
		}
		end_row(out, fmt);
	}
}

static void print_timeline(FILE *out, enum format fmt, const struct result_set *set,
                           int machines)
{
	static const char *const names[] = {
		"allocator", "trace", "op", "break_bytes", "live_bytes", "machine",
	};
	print_header(out, fmt, names, machines ? 6 : 5);
	for (size_t i = 0; i < set->n; i++) {
		const struct result *r = &set->items[i];
		for (unsigned k = 0; k < r->timeline_points; k++) {
			char op[24], brk[24] = "", live[24] = "";
			snprintf(op, sizeof op, "%llu", (unsigned long long)r->timeline_op[k]);
			if (r->has_timeline_break)
				snprintf(brk, sizeof brk, "%llu",
				         (unsigned long long)r->timeline_break[k]);
			else if (fmt == FMT_MARKDOWN)
				strcpy(brk, "-");
			if (r->has_timeline_live)
				snprintf(live, sizeof live, "%llu",
				         (unsigned long long)r->timeline_live[k]);
			else if (fmt == FMT_MARKDOWN)
				strcpy(live, "-");
			put_cell(out, fmt, r->allocator, 1);
			put_cell(out, fmt, r->trace_name, 0);
			put_cell(out, fmt, op, 0);
			put_cell(out, fmt, brk, 0);
			put_cell(out, fmt, live, 0);
			if (machines)
				put_cell(out, fmt, r->machine, 0);
			end_row(out, fmt);
		}
	}
}

static void program_cells_prepare(struct result_set *set, const char *cells);
static int program_cells_only(const struct result_set *set);
static void print_rss_timeline(FILE *out, enum format fmt, const struct result_set *set);
static const char program_default_fields[];

/* ---- several machines (docs/distributed.md) ---- */

/* How many machines the results name (a result naming none counts as one). */
static size_t machine_count(const struct result_set *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		size_t k = 0;
		while (k < i && strcmp(set->items[k].machine, set->items[i].machine))
			k++;
		n += k == i;
	}
	return n;
}

static int cmp_by_machine(const void *a, const void *b, void *arg)
{
	const struct result *items = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(items[x].machine, items[y].machine);
	return c ? c : x < y ? -1 : x > y;
}

/* --group-by machine: each machine's rows together, in their order otherwise. */
static int group_by_machine(struct result_set *set)
{
	size_t *idx = malloc((set->n ? set->n : 1) * sizeof *idx);
	struct result *items = malloc((set->n ? set->n : 1) * sizeof *items);
	if (!idx || !items) {
		free(idx);
		free(items);
		return -1;
	}
	for (size_t i = 0; i < set->n; i++)
		idx[i] = i;
	qsort_r(idx, set->n, sizeof *idx, cmp_by_machine, set->items);
	for (size_t i = 0; i < set->n; i++)
		items[i] = set->items[idx[i]];
	free(set->items);
	set->items = items;
	set->cap = set->n ? set->n : 1;
	free(idx);
	return 0;
}

static void report_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench report [--format tsv|csv|markdown] [--fields a,b,...] [--timeline]\n"
	      "                    [--group-by machine] [--reference ALLOC] RESULTS...\n"
	      "       bench report --format grade|grade-csv|grade-json [--grade-weight W]\n"
	      "                    [--grade-ref-kops N | --grade-ref ALLOC] RESULTS...\n"
	      "\n"
	      "Prints heaplab result files as one table, a row per cell.  RESULTS are\n"
	      "files or folders (searched recursively for *.json results; summary.json\n"
	      "is skipped).  --timeline prints the heap timelines instead (allocator,\n"
	      "trace, op, break_bytes, live_bytes).  Missing figures are empty (\"-\" in\n"
	      "markdown).  Exit 2 when a file is not a heaplab result.\n"
	      "Results of several machines (folders gathered from several hosts) are\n"
	      "one set: the default table then starts with a machine column (and the\n"
	      "timeline ends with one); --group-by machine puts each machine's rows\n"
	      "together.  Fields machine, cells_running and pinned_cpu tell where and\n"
	      "beside how many other cells each result was measured.\n"
	      "\n"
	      "Program cells (bench run, docs/run.md) have the program's name as their\n"
	      "trace and their own fields (the default columns when every result is one).\n"
	      "  --cells trace|program|all  only that kind of cell (default all)\n"
	      "  --rss-timeline  the program cells' RSS over time instead (allocator,\n"
	      "                  program, ms, rss_bytes)\n"
	      "\n"
	      "--format markdown is ready to paste: human units (MiB, Mops/s, ns, %), and\n"
	      "without --fields one table per trace with a column of throughput relative\n"
	      "to --reference ALLOC on the same trace (default glibc, when present); for\n"
	      "trace cells of one machine.\n"
	      "\n"
	      "--format grade prints the malloc lab driver's table per allocator (valid,\n"
	      "util, ops, secs, Kops per trace) and the performance index\n"
	      "P = 100 (w U + (1 - w) min(1, T / T_ref)), U the average utilization, T\n"
	      "the throughput in Kops; w is --grade-weight (default 0.6), T_ref is\n"
	      "--grade-ref-kops (default 600) or the throughput of the allocator\n"
	      "--grade-ref names.  grade-csv: one row per allocator; grade-json: all of it\n"
	      "(docs/grading.md).\n");
}

/* Load every RESULTS argument.  Returns 0 or an exit code (message printed). */
int results_from_args(const char *cmd, int argc, char **argv, struct result_set *set)
{
	char err[2048];
	if (argc <= 0) {
		fprintf(stderr, "bench: %s: no result file or folder given\n", cmd);
		return EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++)
		if (result_collect(argv[i], set, err, sizeof err)) {
			fprintf(stderr, "bench: %s\n", err);
			return EXIT_USAGE;
		}
	return 0;
}

/* What the command line asks for. */
struct report_options {
	enum format          fmt;
	const char          *fields, *reference, *cells;
	int                  timeline, rss_timeline, by_machine;
	struct grade_options go;
};

/* --format's value into *fmt.  Returns 0, or -1 with a message. */
static int parse_format(const char *s, enum format *fmt)
{
	static const struct { const char *name; enum format fmt; } names[] = {
		{ "tsv", FMT_TSV }, { "csv", FMT_CSV }, { "markdown", FMT_MARKDOWN },
		{ "md", FMT_MARKDOWN }, { "grade", FMT_GRADE }, { "grade-csv", FMT_GRADE_CSV },
		{ "grade-json", FMT_GRADE_JSON },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i].name)) {
			*fmt = names[i].fmt;
			return 0;
		}
	fprintf(stderr, "bench: report: --format: '%s' is not tsv, csv, "
	        "markdown, grade, grade-csv or grade-json\n", s);
	return -1;
}

/* --grade-weight (weight) or --grade-ref-kops into go.  Returns 0, or -1 with a message. */
static int parse_grade_number(const char *s, int weight, struct grade_options *go)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || (weight ? v < 0 || v > 1 : v <= 0)) {
		fprintf(stderr, "bench: report: %s: '%s' is not %s\n",
		        weight ? "--grade-weight" : "--grade-ref-kops", s,
		        weight ? "a number from 0 to 1" : "a positive number");
		return -1;
	}
	if (weight)
		go->weight = v;
	else
		go->ref_kops = v;
	return 0;
}

/*
 * The options into o; optind is left at the first RESULTS argument.
 * Returns -1 to go on, or the exit code (--help, a usage error).
 */
static int parse_report_options(int argc, char **argv, struct report_options *o)
{
	static const struct option opts[] = {
		{ "cells", required_argument, NULL, 'c' },
		{ "fields", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ "grade-ref", required_argument, NULL, 'R' },
		{ "grade-ref-kops", required_argument, NULL, 'K' },
		{ "grade-weight", required_argument, NULL, 'W' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "reference", required_argument, NULL, 'E' },
		{ "rss-timeline", no_argument, NULL, 'r' },
		{ "timeline", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:c:f:F:g:hrt", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strcmp(optarg, "trace") && strcmp(optarg, "program") && strcmp(optarg, "all")) {
				fprintf(stderr, "bench: report: --cells: '%s' is not trace, program or "
				        "all\n", optarg);
				return EXIT_USAGE;
			}
			o->cells = optarg;
			break;
		case 'r': o->rss_timeline = 1; break;
		case 'g':
			if (strcmp(optarg, "machine")) {
				fprintf(stderr, "bench: report: --group-by: '%s' is not machine\n", optarg);
				return EXIT_USAGE;
			}
			o->by_machine = 1;
			break;
		case 'f': o->fields = optarg; break;
		case 'E': o->reference = optarg; break;
		case 't': o->timeline = 1; break;
		case 'h': report_usage(stdout); return finish_stdout(EXIT_OK);
		case 'R': o->go.ref_alloc = optarg; break;
		case 'W':
		case 'K':
			if (parse_grade_number(optarg, c == 'W', &o->go))
				return EXIT_USAGE;
			break;
		case 'F':
			if (parse_format(optarg, &o->fmt))
				return EXIT_USAGE;
			break;
		case ':':
			fprintf(stderr, "bench: report: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: report: unknown option '%s' (see bench report --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* --format grade, grade-csv or grade-json.  Returns 0 or an exit code (message printed). */
static int print_grades(const struct report_options *o, const struct result_set *set)
{
	char err[512];
	if (o->timeline || o->fields) {
		fprintf(stderr, "bench: report: --format %s takes neither --fields nor "
		        "--timeline\n", o->fmt == FMT_GRADE ? "grade"
		        : o->fmt == FMT_GRADE_CSV ? "grade-csv" : "grade-json");
		return EXIT_USAGE;
	}
	if (grade_print(stdout, o->fmt == FMT_GRADE ? GRADE_TEXT : o->fmt == FMT_GRADE_CSV
	                ? GRADE_CSV : GRADE_JSON, set, &o->go, err, sizeof err)) {
		fprintf(stderr, "bench: report: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The flat table, a row per cell: the --fields asked for, else the default
 * ones (program cells' own when every result is one; a machine column first
 * when there are several).  Returns 0 or an exit code (message printed).
 */
static int print_flat_table(enum format fmt, const char *fields, const struct result_set *set,
                            int machines)
{
	struct columns *cols = calloc(1, sizeof *cols);
	char list[sizeof "machine," + sizeof default_fields + sizeof default_latency_fields];
	if (!cols) {
		fputs("bench: report: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	char plist[512];
	if (!fields && program_cells_only(set)) {
		snprintf(plist, sizeof plist, "%s%s", machines ? "machine," : "",
		         program_default_fields);
		fields = plist;
	}
	if (!fields) {
		int any_latency = 0;
		for (size_t i = 0; i < set->n; i++)
			any_latency |= set->items[i].has_latency;
		snprintf(list, sizeof list, "%s%s%s", machines ? "machine," : "", default_fields,
		         any_latency ? default_latency_fields : "");
		fields = list;
	}
	if (parse_fields(fields, cols)) {
		free(cols);
		return EXIT_USAGE;
	}
	print_table(stdout, fmt, cols, set);
	free(cols);
	return 0;
}

/* The set as the options ask: one of the timelines, grades, markdown tables or the flat table. */
static int print_report(const struct report_options *o, const struct result_set *set,
                        const char *ref)
{
	int machines = machine_count(set) > 1;
	int any_program = 0;
	for (size_t i = 0; i < set->n; i++)
		any_program |= set->items[i].is_program;
	if (o->rss_timeline)
		print_rss_timeline(stdout, o->fmt, set);
	else if (o->fmt >= FMT_GRADE)
		return print_grades(o, set);
	else if (o->timeline)
		print_timeline(stdout, o->fmt, set, machines);
	else if (o->fmt == FMT_MARKDOWN && !o->fields && !machines && !any_program)
		/* per-trace tables: trace cells of one machine (else the flat table) */
		report_md_tables(stdout, set, ref);
	else
		return print_flat_table(o->fmt, o->fields, set, machines);
	return 0;
}

int report_main(int argc, char **argv)
{
	struct report_options o = {
		.fmt = FMT_TSV,
		.go = { GRADE_WEIGHT_DEFAULT, GRADE_REF_KOPS_DEFAULT, NULL },
	};
	int code = parse_report_options(argc, argv, &o);
	if (code >= 0)
		return code;
	struct result_set set = { 0 };
	code = results_from_args("report", argc - optind, argv + optind, &set);
	if (code) {
		result_set_free(&set);
		return code;
	}
	const char *ref = NULL;
	if (report_md_reference(&set, o.reference, &ref)) {
		fprintf(stderr, "bench: report: --reference %s: no result of that allocator in "
		        "the results\n", o.reference);
		result_set_free(&set);
		return EXIT_USAGE;
	}
	program_cells_prepare(&set, o.cells);
	if (o.by_machine && group_by_machine(&set)) {
		result_set_free(&set);
		fputs("bench: report: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	code = print_report(&o, &set, ref);
	result_set_free(&set);
	return code ? code : finish_stdout(EXIT_OK);
}

/*
 * ---- program cells ----
 *
 * Their fields, the ratios to glibc (computed here from glibc's cell of the
 * same program in the same set, so a folder of one run gives them), the
 * --cells filter and the RSS timelines.
 */
#define PROG_DBL(fn, member, fmt) \
	static int fn(const struct result *r, const struct field *f, char *b, size_t n) \
	{ (void)f; if (!r->program || !r->program->has_figures) return 0; \
	  snprintf(b, n, fmt, r->program->member); return 1; }
PROG_DBL(get_prog_wall_median, wall_median, "%.4f")
PROG_DBL(get_prog_wall_min, wall_min, "%.4f")
PROG_DBL(get_prog_wall_max, wall_max, "%.4f")
PROG_DBL(get_prog_user_median, user_median, "%.4f")
PROG_DBL(get_prog_sys_median, sys_median, "%.4f")
PROG_DBL(get_prog_minor_faults, minor_faults, "%.0f")
PROG_DBL(get_prog_major_faults, major_faults, "%.0f")
PROG_DBL(get_prog_vol_switches, voluntary_switches, "%.0f")
PROG_DBL(get_prog_invol_switches, involuntary_switches, "%.0f")

static int get_cell(const struct result *r, const struct field *f, char *b, size_t n)
{
	(void)f;
	snprintf(b, n, "%s", r->is_program ? "program" : "trace");
	return 1;
}

static int get_program(const struct result *r, const struct field *f, char *b, size_t n)
{
	(void)f;
	snprintf(b, n, "%s", r->trace_name);
	return r->is_program;
}

static int get_command(const struct result *r, const struct field *f, char *b, size_t n)
{
	(void)f;
	if (!r->program || !r->program->command[0])
		return 0;
	snprintf(b, n, "%s", r->program->command);
	return 1;
}

static int get_output_sha256(const struct result *r, const struct field *f, char *b, size_t n)
{
	(void)f;
	if (!r->program || !r->program->output_sha256[0])
		return 0;
	snprintf(b, n, "%s", r->program->output_sha256);
	return 1;
}

static int get_sampled_rss(const struct result *r, const struct field *f, char *b, size_t n)
{
	(void)f;
	if (!r->program || !r->program->has_sampled_rss)
		return 0;
	snprintf(b, n, "%llu", (unsigned long long)r->program->sampled_rss);
	return 1;
}

static int get_ratio(const struct result *r, const struct field *f, char *b, size_t n)
{
	if (!r->program || !r->program->has_ratio)
		return 0;
	snprintf(b, n, "%.3f", f->arg ? r->program->rss_ratio : r->program->wall_ratio);
	return 1;
}

static const struct field program_fields[] = {
	{ "cell", get_cell, 0, 0 },
	{ "program", get_program, 0, 0 },
	{ "command", get_command, 0, 0 },
	{ "wall_s_median", get_prog_wall_median, 0, 0 },
	{ "wall_s_min", get_prog_wall_min, 0, 0 },
	{ "wall_s_max", get_prog_wall_max, 0, 0 },
	{ "user_s_median", get_prog_user_median, 0, 0 },
	{ "sys_s_median", get_prog_sys_median, 0, 0 },
	{ "sampled_rss_bytes", get_sampled_rss, 0, 0 },
	{ "minor_faults", get_prog_minor_faults, 0, 0 },
	{ "major_faults", get_prog_major_faults, 0, 0 },
	{ "voluntary_switches", get_prog_vol_switches, 0, 0 },
	{ "involuntary_switches", get_prog_invol_switches, 0, 0 },
	{ "output_sha256", get_output_sha256, 0, 0 },
	{ "wall_ratio_glibc", get_ratio, 0, 0 },
	{ "rss_ratio_glibc", get_ratio, 1, 0 },
};
#define NPROGRAM (sizeof program_fields / sizeof program_fields[0])

static const char program_default_fields[] =
	"allocator,kind,program,status,runs,wall_s_median,wall_s_min,wall_s_max,user_s_median,"
	"sys_s_median,peak_rss_bytes,sampled_rss_bytes,minor_faults,major_faults,"
	"voluntary_switches,involuntary_switches,peak_break_bytes,provider_calls,"
	"wall_ratio_glibc,rss_ratio_glibc";

static int program_field_find(const char *name, size_t len, struct field *out)
{
	for (size_t i = 0; i < NPROGRAM; i++)
		if (strlen(program_fields[i].name) == len &&
		    !strncmp(program_fields[i].name, name, len)) {
			*out = program_fields[i];
			return 0;
		}
	return -1;
}

static void program_fields_list(FILE *f)
{
	for (size_t i = 0; i < NPROGRAM; i++)
		fprintf(f, "%s%s", program_fields[i].name, i + 1 < NPROGRAM ? ", " : "");
}

static int program_cells_only(const struct result_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (!set->items[i].is_program)
			return 0;
	return set->n > 0;
}

static void program_cells_prepare(struct result_set *set, const char *cells)
{
	size_t k = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct result *r = &set->items[i];
		if (cells && strcmp(cells, "all") &&
		    (r->is_program != !strcmp(cells, "program"))) {
			result_free(r);
			continue;
		}
		set->items[k++] = *r;
	}
	set->n = k;
	for (size_t i = 0; i < set->n; i++) {
		struct result_program *p = set->items[i].program;
		if (!p || !p->has_figures)
			continue;
		for (size_t j = 0; j < set->n; j++) {
			const struct result *g = &set->items[j];
			if (g->is_program && g->program->has_figures && !strcmp(g->allocator, "glibc") &&
			    !strcmp(g->trace_name, set->items[i].trace_name) &&
			    g->program->wall_median > 0 && g->peak_rss > 0) {
				p->has_ratio = 1;
				p->wall_ratio = p->wall_median / g->program->wall_median;
				p->rss_ratio = (double)set->items[i].peak_rss / (double)g->peak_rss;
				break;
			}
		}
	}
}

static void print_rss_timeline(FILE *out, enum format fmt, const struct result_set *set)
{
	static const char *const names[] = { "allocator", "program", "ms", "rss_bytes" };
	print_header(out, fmt, names, 4);
	for (size_t i = 0; i < set->n; i++) {
		const struct result *r = &set->items[i];
		if (!r->program)
			continue;
		for (unsigned k = 0; k < r->program->timeline_points; k++) {
			char ms[24], rss[24];
			snprintf(ms, sizeof ms, "%llu", (unsigned long long)r->program->timeline_ms[k]);
			snprintf(rss, sizeof rss, "%llu", (unsigned long long)r->program->timeline_rss[k]);
			put_cell(out, fmt, r->allocator, 1);
			put_cell(out, fmt, r->trace_name, 0);
			put_cell(out, fmt, ms, 0);
			put_cell(out, fmt, rss, 0);
			end_row(out, fmt);
		}
	}
}

