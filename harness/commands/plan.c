/*
 * plan.c - a suite as independent units for an outside engine (GNU parallel,
 * xargs -P, Slurm job arrays, a CI matrix), and the merge of their results
 * back into a suite's summary.json.  docs/distributed.md is the user's guide.
 *
 *   bench plan [--format shell|json] [--bench PATH] --alloc L --trace L
 *              [--runs N ...] --out DIR
 *       prints one unit per cell: a shell command per line, or the manifest
 *       (schema "heaplab-plan"), which it also writes to DIR/plan.json.
 *   bench plan --unit N MANIFEST
 *       runs unit N (from 0) of MANIFEST with this bench: a Slurm array task.
 *   bench merge [--plan MANIFEST] [--json] DIR...
 *       writes DIR/summary.json from the results the units left in DIR, as a
 *       plain suite over the same cells would have.
 *
 * A unit is the single-cell command line of the benchmark mode with
 * --out DIR/<allocator>/<trace stem>.json (the suite's layout, written
 * atomically), --skip-existing (a unit whose result exists does nothing, so a
 * half-finished plan resumes by running all units again) and --slots
 * DIR/.slots (a core per concurrent unit and the count in the result,
 * slots.h).  Nothing here schedules: the engine decides where and when.
 */
#define _GNU_SOURCE
#include "../core/fileio.h"
#include "commands.h"
#include "../core/metrics.h"

#include "cli.h"
#include "../core/exitcodes.h"
#include "../process/isolate.h"
#include "../process/peer.h"
#include "../results/writer.h"
#include "../results/reader.h"
#include "../core/sha256.h"
#include "suite.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define PLAN_SCHEMA          "heaplab-plan"
#define PLAN_SCHEMA_VERSION  1
#define PLAN_FILE            "plan.json"

/* ---- building the units ---- */

/* A growable argv. */
struct args {
	char  **v;
	size_t  n, cap;
	int     failed;   /* out of memory at some push */
};

static void args_push(struct args *a, const char *s)
{
	if (a->failed)
		return;
	if (a->n + 1 >= a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, cap * sizeof *v);
		if (!v) {
			a->failed = 1;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	if (!(a->v[a->n] = strdup(s))) {
		a->failed = 1;
		return;
	}
	a->v[++a->n] = NULL;
}

static void args_free(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* `s` as one POSIX shell word: bare when it is plainly safe, else single-quoted. */
static void shell_word(FILE *f, const char *s)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                           "0123456789_./:=,+-@%";
	if (s[0] && strspn(s, safe) == strlen(s) && s[0] != '=') {
		fputs(s, f);
		return;
	}
	putc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			putc(*s, f);
	}
	putc('\'', f);
}

/* The sha256 of a file's bytes, as 64 hex digits; -1 with a message on error. */
static int file_sha256(const char *path, char hex[65], char *err, size_t errlen)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[65536], d[32];
	struct sha256 s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	sha256_init(&s);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		sha256_update(&s, buf, (size_t)n);
	}
	close(fd);
	sha256_final(&s, d);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

/*
 * Whether `arg` names the cell (--alloc, --trace, --out, in any form getopt
 * takes: --out=X, an unambiguous prefix such as --ou, -oX, a bundle such as
 * -qo); *value_next says that its value is the next argument.  The plan's
 * command line has been parsed already, so only valid forms reach here.
 */
static int is_cell_option(const char *arg, int *value_next)
{
	*value_next = 0;
	if (arg[0] != '-' || !arg[1])
		return 0;
	if (arg[1] == '-') {
		static const char *const cell[] = { "alloc", "trace", "out" };
		size_t len = strcspn(arg + 2, "=");
		for (int i = 0; i < 3; i++)
			if (len && !strncmp(cell[i], arg + 2, len)) {
				*value_next = arg[2 + len] != '=';
				return 1;
			}
		return 0;
	}
	for (const char *c = arg + 1; *c; c++) {
		if (strchr("ato", *c)) {
			*value_next = c[1] == '\0';
			return 1;
		}
		if (*c == 'r')   /* --runs: its value is the rest, or the next argument */
			return 0;
	}
	return 0;
}

/*
 * The plan's own run options (--runs, --check, --warmup, ...: whatever the
 * benchmark mode takes), copied word for word into every unit, so a unit
 * runs exactly as the suite would have.
 */
static void cell_options(struct args *a, const struct args *given)
{
	for (size_t i = 1; i < given->n; i++) {
		int value_next;
		if (is_cell_option(given->v[i], &value_next)) {
			i += value_next;
			continue;
		}
		args_push(a, given->v[i]);
	}
}

/* DIR + "/" + rest, without doubling a trailing slash. */
static void join(char *buf, size_t len, const char *dir, const char *rest)
{
	size_t n = strlen(dir);
	snprintf(buf, len, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", rest);
}

/* The manifest of every cell (trace-major, as a suite runs them), or an exit code. */
/*
 * Each trace's stem (its result's file name) and sha256; two traces with
 * one stem are a usage error.  Returns 0 or an exit code (message printed).
 */
static int trace_stems(char **traces, size_t ntraces, char (*stems)[NAME_MAX + 1],
                       char (*sums)[65])
{
	char err[PATH_MAX + 256];
	for (size_t ti = 0; ti < ntraces; ti++) {
		suite_trace_stem(traces[ti], stems[ti], sizeof stems[ti]);
		for (size_t k = 0; k < ti; k++)
			if (!strcmp(stems[k], stems[ti])) {
				fprintf(stderr, "bench: --trace: %s and %s would both be reported as "
				        "%s.json\n", traces[k], traces[ti], stems[ti]);
				return EXIT_USAGE;
			}
		if (file_sha256(traces[ti], sums[ti], err, sizeof err)) {
			fprintf(stderr, "bench: %s\n", err);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/*
 * The unit of allocator s on trace (its stem and sha256 given): the cell's
 * command line and where it writes.  NULL when out of memory.
 */
static json_t *unit_json(const struct cli_options *o, const struct args *given,
                         const char *bench, const struct alloc_spec *s, const char *trace,
                         const char *stem, const char *sum, size_t index)
{
	char file[PATH_MAX], output[PATH_MAX * 2], slots[PATH_MAX];
	struct args a = { 0 };
	snprintf(file, sizeof file, "%s/%s.json", s->name, stem);
	join(output, sizeof output, o->out, file);
	if (o->slots)
		snprintf(slots, sizeof slots, "%s", o->slots);
	else
		join(slots, sizeof slots, o->out, ".slots");
	args_push(&a, bench);
	args_push(&a, "--alloc");
	args_push(&a, s->kind == ALLOC_LIBRARY || s->kind == ALLOC_STUDENT ? s->library : s->name);
	args_push(&a, "--trace");
	args_push(&a, trace);
	cell_options(&a, given);
	args_push(&a, "--quiet");
	args_push(&a, "--skip-existing");
	args_push(&a, "--slots");
	args_push(&a, slots);
	args_push(&a, "--out");
	args_push(&a, output);
	json_t *argv = json_array();
	for (size_t i = 0; argv && i < a.n; i++)
		if (json_array_append_new(argv, json_string(a.v[i])))
			json_decref(argv), argv = NULL;
	json_t *u = NULL;
	if (!argv || a.failed)
		json_decref(argv);
	else   /* "o" takes argv's reference, also when it fails */
		u = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
			"index", (json_int_t)index, "allocator", s->name,
			"kind", peer_kind_name(s->kind), "trace", trace,
			"sha256", sum, "file", file, "output", output, "argv", argv);
	args_free(&a);
	return u;
}

/* The manifest around the units, stamped with the time now.  NULL when out of memory. */
static json_t *manifest_json(const struct cli_options *o, const char *bench, json_t *units)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:O}",
		"schema", PLAN_SCHEMA, "schema_version", PLAN_SCHEMA_VERSION,
		"created", when, "out", o->out, "bench", bench,
		"cells", (json_int_t)json_array_size(units), "units", units);
}

static int build_manifest(const struct cli_options *o, const struct args *given,
                          const char *bench, json_t **out)
{
	struct alloc_spec *specs = NULL;
	size_t nspecs = 0, ntraces = 0;
	char **traces = NULL, err[PATH_MAX + 256];
	int code;

	if ((code = peer_expand(o->alloc, &specs, &nspecs, err, sizeof err))) {
		fprintf(stderr, "bench: %s\n", err);
		return code;
	}
	if ((code = suite_expand_traces(o, &traces, &ntraces, err, sizeof err))) {
		fprintf(stderr, "bench: %s\n", err);
		peer_specs_free(specs, nspecs);
		return code;
	}
	char (*stems)[NAME_MAX + 1] = calloc(ntraces ? ntraces : 1, sizeof *stems);
	char (*sums)[65] = calloc(ntraces ? ntraces : 1, sizeof *sums);
	json_t *units = json_array();
	if (!stems || !sums || !units) {
		fputs("bench: out of memory\n", stderr);
		code = EXIT_SYSTEM;
		goto out;
	}
	code = trace_stems(traces, ntraces, stems, sums);
	for (size_t ti = 0; ti < ntraces && !code; ti++)
		for (size_t ai = 0; ai < nspecs && !code; ai++) {
			json_t *u = unit_json(o, given, bench, &specs[ai], traces[ti], stems[ti], sums[ti],
			                      json_array_size(units));
			if (!u || json_array_append_new(units, u)) {
				fputs("bench: out of memory\n", stderr);
				code = EXIT_SYSTEM;
			}
		}
	if (!code && !(*out = manifest_json(o, bench, units))) {
		fputs("bench: out of memory\n", stderr);
		code = EXIT_SYSTEM;
	}
out:
	json_decref(units);
	free(stems);
	free(sums);
	for (size_t i = 0; i < ntraces; i++)
		free(traces[i]);
	free(traces);
	peer_specs_free(specs, nspecs);
	return code;
}

/* ---- reading a manifest back ---- */

/*
 * Load and check MANIFEST: the schema, and every unit with an index equal to
 * its position, strings where strings belong and a non-empty argv.  Returns
 * the root or NULL after a "bench: FILE: ..." message.
 */
static json_t *load_manifest(const char *path)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		fprintf(stderr, "bench: %s:%d: not a heaplab plan (%s)\n", path,
		        je.line > 0 ? je.line : 1, je.text);
		return NULL;
	}
	const char *why = NULL;
	json_t *units = json_object_get(root, "units");
	const char *schema = json_string_value(json_object_get(root, "schema"));
	if (!schema || strcmp(schema, PLAN_SCHEMA))
		why = "schema is not \"" PLAN_SCHEMA "\"";
	else if (json_integer_value(json_object_get(root, "schema_version")) != PLAN_SCHEMA_VERSION)
		why = "schema_version is not 1";
	else if (!json_is_array(units))
		why = "units: expected an array";
	for (size_t i = 0; !why && i < json_array_size(units); i++) {
		json_t *u = json_array_get(units, i), *argv = json_object_get(u, "argv");
		static char buf[96];
		if (json_integer_value(json_object_get(u, "index")) != (json_int_t)i ||
		    !json_is_string(json_object_get(u, "allocator")) ||
		    !json_is_string(json_object_get(u, "trace")) ||
		    !json_is_string(json_object_get(u, "file")) ||
		    !json_is_array(argv) || json_array_size(argv) < 2) {
			snprintf(buf, sizeof buf, "units[%zu]: not a unit (index, allocator, trace, "
			         "file, argv)", i);
			why = buf;
		}
		for (size_t k = 0; !why && k < json_array_size(argv); k++)
			if (!json_is_string(json_array_get(argv, k))) {
				snprintf(buf, sizeof buf, "units[%zu].argv[%zu]: expected a string", i, k);
				why = buf;
			}
	}
	if (why) {
		fprintf(stderr, "bench: %s: not a heaplab plan (%s)\n", path, why);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* bench plan --unit N MANIFEST: become unit N's command, run by this bench. */
static int run_unit(const char *index, const char *manifest)
{
	uint64_t n;
	char err[256];
	if (cli_parse_number("--unit", index, 0, UINT32_MAX, 0, &n, err, sizeof err)) {
		fprintf(stderr, "bench: plan: %s\n", err);
		return EXIT_USAGE;
	}
	json_t *root = load_manifest(manifest);
	if (!root)
		return EXIT_USAGE;
	json_t *units = json_object_get(root, "units");
	if (n >= json_array_size(units)) {
		fprintf(stderr, "bench: plan: --unit %llu: %s has units 0 to %zu\n",
		        (unsigned long long)n, manifest, json_array_size(units) - 1);
		json_decref(root);
		return EXIT_USAGE;
	}
	json_t *argv = json_object_get(json_array_get(units, n), "argv");
	size_t argc = json_array_size(argv);
	char **v = calloc(argc + 1, sizeof *v);
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (!v || len <= 0) {
		fprintf(stderr, "bench: plan: cannot start unit %llu: %s\n", (unsigned long long)n,
		        v ? "cannot find this bench (/proc/self/exe)" : "out of memory");
		free(v);
		json_decref(root);
		return EXIT_SYSTEM;
	}
	self[len] = '\0';
	/* The planning host's bench may live elsewhere: this one runs the unit. */
	v[0] = self;
	for (size_t i = 1; i < argc; i++)
		v[i] = (char *)json_string_value(json_array_get(argv, i));
	fflush(NULL);
	execv(self, v);
	fprintf(stderr, "bench: plan: cannot run %s: %s\n", self, strerror(errno));
	free(v);
	json_decref(root);
	return EXIT_SYSTEM;
}

/* ---- bench plan ---- */

static void plan_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench plan [--format shell|json] [--bench PATH] --alloc NAME[,...]\n"
	      "                  --trace FILE|DIR[,...] [run options] --out DIR\n"
	      "       bench plan --unit N MANIFEST\n"
	      "\n"
	      "Prints the cells of a suite as independent units for an outside engine\n"
	      "(GNU parallel, xargs -P, a Slurm job array, a CI matrix): one shell\n"
	      "command per line, or with --format json the manifest, which is also\n"
	      "written to DIR/plan.json.  Each unit writes DIR/<allocator>/<trace>.json\n"
	      "atomically and does nothing when that result exists, so running every\n"
	      "unit again resumes a half-finished plan.  The other options of the\n"
	      "benchmark mode (--runs, --check, --timeout, --warmup, ...) go to every\n"
	      "unit as written.\n"
	      "\n"
	      "  --format shell|json  the units as shell commands (default) or the manifest\n"
	      "  --bench PATH         the program the units run (default: this bench)\n"
	      "  --slots SDIR         the units' slot folder (default DIR/.slots): one every\n"
	      "                       unit on a machine sees, e.g. /tmp/heaplab-slots when\n"
	      "                       units run in folders of their own\n"
	      "  --unit N MANIFEST    run unit N (from 0) of MANIFEST with this bench\n"
	      "\n"
	      "bench merge DIR then writes DIR/summary.json (docs/distributed.md).\n");
}

/*
 * The plan's own options (--format, --bench) out of argv; every other word
 * into rest, for the benchmark mode's parser.  Returns -1 to go on, or the
 * exit code.
 */
static int split_plan_options(int argc, char **argv, const char **format, const char **bench,
                              struct args *rest)
{
	args_push(rest, "bench plan");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			plan_usage(stdout);
			return finish_stdout(EXIT_OK);
		} else if (!strcmp(a, "--unit")) {
			fputs("bench: plan: usage: bench plan --unit N MANIFEST\n", stderr);
			return EXIT_USAGE;
		} else if (!strcmp(a, "--format") || !strcmp(a, "--bench")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "bench: plan: %s needs a value\n", a);
				return EXIT_USAGE;
			}
			*(a[2] == 'f' ? format : bench) = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			*format = a + 9;
		} else if (!strncmp(a, "--bench=", 8)) {
			*bench = a + 8;
		} else {
			args_push(rest, a);
		}
	}
	if (strcmp(*format, "shell") && strcmp(*format, "json")) {
		fprintf(stderr, "bench: plan: --format: '%s' is not shell or json\n", *format);
		return EXIT_USAGE;
	}
	if (rest->failed) {
		fputs("bench: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	return -1;
}

/* The benchmark mode's options of a plan into o: the suite, without what units decide. */
static int parse_plan_cells(const struct args *rest, struct cli_options *o)
{
	char err[PATH_MAX + 256];
	if (cli_parse((int)rest->n, rest->v, o, err, sizeof err)) {
		fprintf(stderr, "bench: plan: %s\n", err);
		return EXIT_USAGE;
	}
	if (!o->alloc || !o->trace || !o->out) {
		fprintf(stderr, "bench: plan: --%s is required (see bench plan --help)\n",
		        !o->alloc ? "alloc" : !o->trace ? "trace" : "out");
		return EXIT_USAGE;
	}
	if (o->json || o->list || o->help || o->version || o->skip_existing) {
		fprintf(stderr, "bench: plan: %s is not a plan option (every unit gets --quiet, "
		        "--skip-existing and --slots)\n",
		        o->json ? "--json" : o->list ? "--list" : o->version ? "--version"
		        : o->skip_existing ? "--skip-existing" : "--help");
		return EXIT_USAGE;
	}
	return 0;
}

/* A unit per line: its command line, each word quoted for the shell. */
static void print_units_shell(const json_t *manifest)
{
	json_t *units = json_object_get(manifest, "units"), *u;
	size_t i;
	json_array_foreach(units, i, u) {
		json_t *av = json_object_get(u, "argv");
		for (size_t k = 0; k < json_array_size(av); k++) {
			if (k)
				putchar(' ');
			shell_word(stdout, json_string_value(json_array_get(av, k)));
		}
		putchar('\n');
	}
}

/*
 * DIR/plan.json, written atomically, then the units on stdout in `format`.
 * Returns 0 or an exit code (message printed).
 */
static int write_plan(const char *dir, json_t *manifest, const char *format)
{
	size_t len = 0;
	char *text = result_json_text(manifest, &len), path[PATH_MAX * 2], err[PATH_MAX + 256];
	int e, code = 0;
	join(path, sizeof path, dir, PLAN_FILE);
	if (!text) {
		fputs("bench: out of memory\n", stderr);
		code = EXIT_SYSTEM;
	} else if ((e = mkdir_p(dir, 0777))) {
		fprintf(stderr, "bench: %s: cannot create the results folder: %s\n", dir,
		        strerror(e));
		code = EXIT_SYSTEM;
	} else if (write_file_atomic(path, text, len, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		code = EXIT_SYSTEM;
	} else if (!strcmp(format, "json")) {
		fwrite(text, 1, len, stdout);
	} else {
		print_units_shell(manifest);
	}
	if (!code)
		fprintf(stderr, "bench: plan: %zu units; manifest in %s\n",
		        json_array_size(json_object_get(manifest, "units")), path);
	free(text);
	return code;
}

int plan_main(int argc, char **argv)
{
	const char *format = "shell", *bench = NULL;
	char self[PATH_MAX];
	struct args rest = { 0 };
	struct cli_options o;

	if (argc == 4 && !strcmp(argv[1], "--unit"))
		return run_unit(argv[2], argv[3]);
	int code = split_plan_options(argc, argv, &format, &bench, &rest);
	if (code >= 0) {
		args_free(&rest);
		return code;
	}
	if ((code = parse_plan_cells(&rest, &o))) {
		cli_free(&o);
		args_free(&rest);
		return code;
	}
	if (!bench) {
		ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
		if (len <= 0) {
			fputs("bench: plan: cannot find this bench (/proc/self/exe); name it with "
			      "--bench PATH\n", stderr);
			cli_free(&o);
			args_free(&rest);
			return EXIT_SYSTEM;
		}
		self[len] = '\0';
		bench = self;
	}
	json_t *manifest = NULL;
	if ((code = build_manifest(&o, &rest, bench, &manifest))) {
		cli_free(&o);
		args_free(&rest);
		return code;
	}
	code = write_plan(o.out, manifest, format);
	json_decref(manifest);
	cli_free(&o);
	args_free(&rest);
	return finish_stdout(code);
}

/* ---- bench merge ---- */

/* One cell of summary.json, as suite.c writes it, from a unit's result. */
struct merged {
	const char *allocator, *kind, *trace;   /* from the plan or the result      */
	char        file[PATH_MAX];             /* relative to DIR; "" when missing */
	struct result r;                        /* valid when file[0]               */
	char        message[640];
	double      elapsed;
	char        timestamp[32];
};

static json_t *num_or_null(int has, double v) { return has ? json_real(v) : json_null(); }
static json_t *int_or_null(int has, uint64_t v)
{
	return has ? json_integer((json_int_t)v) : json_null();
}

static json_t *merged_cell(const struct merged *m)
{
	const struct result *r = &m->r;
	int have = m->file[0] != '\0';
	int ok = have && !strcmp(r->status, "ok");
	int rss = have && r->has_peak_rss;
	double urss = 0;
	int has_urss = rss && metrics_utilization_rss(r->peak_live, r->peak_rss, &urss);
	int fails = have && r->has_op_failures;
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:I, s:I, s:f}",
		"allocator", have ? r->allocator : m->allocator,
		"kind", have && r->kind[0] ? r->kind : m->kind ? m->kind : "builtin",
		"trace", have ? r->trace_path : m->trace,
		"status", have ? r->status : "not-run",
		"file", have ? json_string(m->file) : json_null(),
		"message", m->message[0] ? json_string(m->message) : json_null(),
		"ops_per_sec_median", num_or_null(have && r->has_throughput, r->ops_median),
		/* a suite gives the break of a cell that passed only (suite.c) */
		"peak_break_bytes", int_or_null(ok && r->has_peak_break, r->peak_break),
		"peak_rss_bytes", int_or_null(rss, r->peak_rss),
		"peak_live_bytes", (json_int_t)(have ? r->peak_live : 0),
		"utilization_rss", num_or_null(has_urss, urss),
		"failed_allocations", (json_int_t)(fails ? r->failed_allocations : 0),
		"skipped_ops", (json_int_t)(fails ? r->skipped_ops : 0),
		"elapsed_seconds", have ? m->elapsed : 0.0);
}

/* Read DIR/rel into m: the strict reader, then the two fields it does not keep. */
static int merge_load(const char *dir, const char *rel, struct merged *m)
{
	char path[PATH_MAX * 2], err[2048];
	join(path, sizeof path, dir, rel);
	if (result_load(path, &m->r, err, sizeof err) != RESULT_OK) {
		fprintf(stderr, "bench: merge: %s\n", err);
		return EXIT_USAGE;
	}
	json_t *j = json_load_file(path, 0, NULL);
	const char *msg = json_string_value(json_object_get(json_object_get(j, "check"), "message"));
	const char *when = json_string_value(json_object_get(j, "timestamp"));
	snprintf(m->message, sizeof m->message, "%s", msg ? msg : "");
	snprintf(m->timestamp, sizeof m->timestamp, "%s", when ? when : "");
	m->elapsed = json_number_value(json_object_get(j, "elapsed_seconds"));
	json_decref(j);
	snprintf(m->file, sizeof m->file, "%s", rel);
	return 0;
}

static int cmp_merged(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;
	int c = strcmp(x->r.trace_path, y->r.trace_path);
	return c ? c : strcmp(x->file, y->file);
}

static void merge_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench merge [--plan MANIFEST] [--json] DIR\n"
	      "\n"
	      "Writes DIR/summary.json for a results folder that the units of a plan\n"
	      "filled (bench plan), as a plain suite over the same cells would have:\n"
	      "the cells in the plan's order (DIR/plan.json, or --plan MANIFEST), a cell\n"
	      "without a result as not-run.  Without a plan: every result in DIR, by\n"
	      "trace, then allocator.  --json also prints it.\n"
	      "exit status: 0 every cell has a result and passed; 1 a cell failed or has\n"
	      "no result yet (summary.json is written, \"complete\": false when one is\n"
	      "missing); 2 bad usage, a bad plan or result file; 3 cannot write\n");
}

/* The options into *plan and *json.  Returns -1 to go on, or the exit code. */
static int parse_merge_options(int argc, char **argv, const char **plan, int *json)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "plan", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:hj", opts, NULL)) != -1) {
		switch (c) {
		case 'h': merge_usage(stdout); return finish_stdout(EXIT_OK);
		case 'j': *json = 1; break;
		case 'p': *plan = optarg; break;
		case ':':
			fprintf(stderr, "bench: merge: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: merge: unknown option '%s' (see bench merge --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs("bench: merge: expected one results folder (see bench merge --help)\n", stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/*
 * The plan's cells, in its order, each with DIR's result when there is
 * one, and the plan's creation time into started.  Returns 0 or an exit
 * code (*cells NULL: out of memory, not said yet).
 */
static int cells_from_plan(const char *dir, const char *plan, json_t **manifest,
                           struct merged **cells, size_t *n, char started[32])
{
	if (!(*manifest = load_manifest(plan)))
		return EXIT_USAGE;
	json_t *units = json_object_get(*manifest, "units");
	*n = json_array_size(units);
	const char *created = json_string_value(json_object_get(*manifest, "created"));
	snprintf(started, 32, "%s", created ? created : "");
	if (!(*cells = calloc(*n ? *n : 1, sizeof **cells)))
		return EXIT_SYSTEM;
	for (size_t i = 0; i < *n; i++) {
		json_t *u = json_array_get(units, i);
		struct merged *m = &(*cells)[i];
		const char *rel = json_string_value(json_object_get(u, "file"));
		char path[PATH_MAX * 2];
		m->allocator = json_string_value(json_object_get(u, "allocator"));
		m->kind = json_string_value(json_object_get(u, "kind"));
		m->trace = json_string_value(json_object_get(u, "trace"));
		join(path, sizeof path, dir, rel);
		if (access(path, F_OK) != 0)
			continue;
		int code = merge_load(dir, rel, m);
		if (code)
			return code;
		const char *base = strrchr(m->trace, '/');
		if (strcmp(m->r.allocator, m->allocator) ||
		    strcmp(m->r.trace_name, base ? base + 1 : m->trace)) {
			fprintf(stderr, "bench: merge: %s: holds %s on %s, not the plan's cell "
			        "%s on %s\n", path, m->r.allocator, m->r.trace_name, m->allocator,
			        m->trace);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/*
 * Without a plan: every result in DIR, by trace, then allocator.  Returns 0
 * or an exit code (*cells NULL: out of memory, not said yet).
 */
static int cells_from_folder(const char *dir, struct merged **cells, size_t *n)
{
	struct result_set set = { 0 };
	char err[PATH_MAX + 256];
	int code = 0;
	if (result_collect(dir, &set, err, sizeof err)) {
		fprintf(stderr, "bench: merge: %s\n", err);
		result_set_free(&set);
		return EXIT_USAGE;
	}
	*n = set.n;
	if (!(*cells = calloc(*n ? *n : 1, sizeof **cells))) {
		result_set_free(&set);
		return EXIT_SYSTEM;
	}
	size_t skip = strlen(dir) + (dir[strlen(dir) - 1] == '/' ? 0 : 1);
	for (size_t i = 0; i < *n && !code; i++)
		code = merge_load(dir, set.items[i].file + skip, &(*cells)[i]);
	result_set_free(&set);
	if (!code)
		qsort(*cells, *n, sizeof **cells, cmp_merged);
	return code;
}

/* The cells that have no result yet, the first ten of them by name. */
static void print_missing(const struct merged *cells, size_t n, size_t missing)
{
	size_t shown = 0;
	fputs("bench: merge: no result yet:", stderr);
	for (size_t i = 0; i < n && shown < 10; i++)
		if (!cells[i].file[0])
			fprintf(stderr, "%s %s on %s", shown++ ? ";" : "", cells[i].allocator,
			        cells[i].trace);
	fputs(missing > shown ? "; ...\n" : "\n", stderr);
}

/*
 * DIR/summary.json of the cells (printed too with `json`); started is the
 * plan's creation time, else the earliest result's.  Returns the exit code.
 */
static int write_merged_summary(const char *dir, int from_plan, const struct merged *cells,
                                size_t n, char started[32], int json)
{
	size_t missing = 0, failed = 0;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		const struct merged *m = &cells[i];
		missing += !m->file[0];
		failed += m->file[0] && strcmp(m->r.status, "ok");
		if (m->file[0] && m->timestamp[0] && !from_plan &&
		    (!started[0] || strcmp(m->timestamp, started) < 0))
			snprintf(started, 32, "%s", m->timestamp);
		json_t *e = merged_cell(m);
		if (!e || json_array_append_new(arr, e))
			json_decref(arr), arr = NULL;
	}
	const char *b = strrchr(dir, '/');
	char run_id[64];
	snprintf(run_id, sizeof run_id, "%.60s", b && b[1] ? b + 1 : dir);
	char path[PATH_MAX * 2];
	join(path, sizeof path, dir, "summary.json");
	if (!arr || suite_summary_write(dir, run_id, started[0] ? started : "unknown", missing == 0,
	                                0, arr, json))
		return EXIT_SYSTEM;
	fprintf(stderr, "bench: merge: %s: %zu cells, %zu with a result (%zu not ok), "
	        "%zu missing\n", path, n, n - missing, failed, missing);
	if (missing)
		print_missing(cells, n, missing);
	return finish_stdout(missing || failed ? EXIT_CHECK : EXIT_OK);
}

int merge_main(int argc, char **argv)
{
	const char *plan = NULL;
	int json = 0;
	int code = parse_merge_options(argc, argv, &plan, &json);
	if (code >= 0)
		return code;
	const char *dir = argv[optind];
	char planpath[PATH_MAX * 2];
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "bench: merge: %s: %s\n", dir,
		        stat(dir, &st) != 0 ? strerror(errno) : "not a folder");
		return EXIT_USAGE;
	}
	join(planpath, sizeof planpath, dir, PLAN_FILE);
	if (!plan && access(planpath, F_OK) == 0)
		plan = planpath;

	json_t *manifest = NULL;
	struct merged *cells = NULL;
	size_t n = 0;
	char started[32] = "";
	code = plan ? cells_from_plan(dir, plan, &manifest, &cells, &n, started)
	            : cells_from_folder(dir, &cells, &n);
	if (!code)
		code = write_merged_summary(dir, plan != NULL, cells, n, started, json);
	if (code == EXIT_SYSTEM && !cells)
		fputs("bench: merge: out of memory\n", stderr);
	for (size_t i = 0; cells && i < n; i++)
		if (cells[i].file[0])
			result_free(&cells[i].r);
	free(cells);
	json_decref(manifest);
	return code;
}
