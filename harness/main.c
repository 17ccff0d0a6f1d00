/*
 * main.c - `bench`: dispatch a subcommand, or run the default benchmark mode
 * (one allocator, one trace: checked pass, timed passes, summary, JSON).
 *
 * Only this file decides exit codes (harness/exitcodes.h); everything it
 * calls returns errors with messages.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"
#include "bulk.h"
#include "exitcodes.h"
#include "machine.h"
#include "replay.h"
#include "report.h"
#include "trace.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `bench NAME ...`: helpers add their subcommands here. */
static const struct command commands[] = {
	{ "run", run_main, "run a program on an allocator (LD_PRELOAD; docs/run.md)" },
	{ "gen", gen_main, "write a synthetic trace from a named profile" },
	{ "record", record_main, "record the heap operations of a real program as a trace" },
	{ "info", info_main, "describe a trace: counts, peak live, size and lifetime histograms" },
	/* COMMANDS (keep this marker: add entries above it) */
	{ NULL, NULL, NULL },
};

/* Flush stdout and turn a write error (a full disk, a closed pipe) into exit 3. */
static int finish_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench: standard output: %s\n", strerror(errno ? errno : EIO));
		return EXIT_SYSTEM;
	}
	return code;
}

/* The JSON result to --out and/or stdout.  Returns 0 or EXIT_SYSTEM. */
static int emit_json(const struct cli_options *o, const struct report_input *in)
{
	json_t *j = report_json(in);
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : NULL;
	json_decref(j);
	if (!text) {
		fputs("bench: out of memory while building the result\n", stderr);
		return EXIT_SYSTEM;
	}
	size_t len = strlen(text);
	int code = 0;
	/* jansson leaves off the final newline; files and terminals want one. */
	char *full = realloc(text, len + 2);
	if (!full) {
		free(text);
		fputs("bench: out of memory while building the result\n", stderr);
		return EXIT_SYSTEM;
	}
	full[len++] = '\n';
	full[len] = '\0';

	if (o->out) {
		char err[PATH_MAX + 256];
		if (report_write_file(o->out, full, len, err, sizeof err) != 0) {
			fprintf(stderr, "bench: %s\n", err);
			code = EXIT_SYSTEM;
		}
	}
	if (!code && o->json) {
		errno = 0;
		fwrite(full, 1, len, stdout);
		code = finish_stdout(0);
	}
	free(full);
	return code;
}

static int bench_mode(int argc, char **argv)
{
	struct cli_options o;
	char err[512];

	if (cli_parse(argc, argv, &o, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		cli_help(stdout, commands);
		return finish_stdout(EXIT_OK);
	}
	if (o.version) {
		printf("%s %s\n", HEAPLAB_NAME, HEAPLAB_VERSION);
		return finish_stdout(EXIT_OK);
	}
	if (o.list) {
		cli_list(stdout);
		return finish_stdout(EXIT_OK);
	}
	if (!o.alloc) {
		fputs("bench: --alloc is required (try --list, or see bench --help)\n", stderr);
		return EXIT_USAGE;
	}
	if (!o.trace) {
		fputs("bench: --trace is required (see bench --help)\n", stderr);
		return EXIT_USAGE;
	}
	const struct allocator *a = allocator_find(o.alloc);
	if (!a) {
		fprintf(stderr, "bench: unknown allocator '%s' (try --list)\n", o.alloc);
		return EXIT_USAGE;
	}

	time_t when = time(NULL);
	struct trace t;
	struct trace_error terr;
	enum trace_status ts = trace_load(o.trace, &t, &terr);
	if (ts != TRACE_OK) {
		fprintf(stderr, "bench: %s\n", terr.message);
		return ts == TRACE_EINPUT ? EXIT_USAGE : EXIT_SYSTEM;
	}

	/* The result is large (per-run samples): bulk memory, not the stack. */
	struct cell_result *r = bulk_alloc(sizeof *r);
	if (!r) {
		fputs("bench: cannot reserve memory for the result\n", stderr);
		trace_free(&t);
		return EXIT_SYSTEM;
	}
	enum cell_status s = run_cell(a, &t, &o.run, r);
	int code;
	if (s == CELL_BAD_INPUT || s == CELL_SYSTEM) {
		fprintf(stderr, "bench: %s\n", r->message);
		code = s == CELL_BAD_INPUT ? EXIT_USAGE : EXIT_SYSTEM;
		goto out;
	}

	struct machine_info machine;
	machine_describe(&machine);
	struct report_input in = {
		.alloc = a, .trace = &t, .opt = &o.run, .result = r,
		.machine = &machine, .when = when,
	};
	if (!o.quiet) {
		FILE *f = o.json || o.out ? stderr : stdout;
		report_summary(f, &in);
	}
	code = s == CELL_OK ? EXIT_OK : EXIT_CHECK;
	if (s != CELL_OK)
		fprintf(stderr, "bench: %s\n", r->message);
	if (o.json || o.out) {
		int wcode = emit_json(&o, &in);
		if (wcode)
			code = wcode;
	}
	if (code == EXIT_OK || code == EXIT_CHECK)
		code = finish_stdout(code);
out:
	bulk_free(r, sizeof *r);
	trace_free(&t);
	return code;
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		for (const struct command *c = commands; c->name; c++)
			if (strcmp(c->name, argv[1]) == 0)
				return c->run(argc - 1, argv + 1);
		fprintf(stderr, "bench: unknown command '%s' (see bench --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	return bench_mode(argc, argv);
}
