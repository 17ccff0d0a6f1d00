/*
 * main.c - `bench`: dispatch a subcommand, or run the default benchmark mode
 * (one allocator, one trace: checked pass, timed passes, summary, JSON).
 *
 * Only this file decides exit codes (harness/core/exitcodes.h); everything it
 * calls returns errors with messages.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"
#include "../core/bulk.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "../process/isolate.h"
#include "../core/machine.h"
#include "../process/peer.h"
#include "../replay/cell.h"
#include "../results/writer.h"
#include "suite.h"
#include "../core/trace.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int help_main(int argc, char **argv);

/* `bench NAME ...`: one row per subcommand. */
static const struct command commands[] = {
	{ "run", run_main, "run a program on an allocator, or measure programs (docs/run.md)" },
	{ "gen", gen_main, "write a synthetic trace from a named profile" },
	{ "record", record_main, "record the heap operations of a real program as a trace" },
	{ "info", info_main, "describe a trace: counts, peak live, size and lifetime histograms" },
	{ "report", report_main, "result files as one table (tsv, csv, markdown)" },
	{ "compare", compare_main, "compare two sets of results; exit 1 on a regression" },
	{ "plan", plan_main, "a suite as units for GNU parallel, Slurm, CI (docs/distributed.md)" },
	{ "merge", merge_main, "summary.json for a folder the units of a plan filled" },
	{ "help", help_main, "this help, or a command's: help COMMAND" },
	{ NULL, NULL, NULL },
};

/*
 * `bench help [COMMAND]`: the main help, or COMMAND's (as `bench COMMAND
 * --help` gives it), on stdout with exit 0.
 */
static int help_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_help(stdout, commands);
		return finish_stdout(EXIT_OK);
	}
	if (argc > 2) {
		fprintf(stderr, "bench: help: one command at a time (see %s help)\n", cli_progname);
		return EXIT_USAGE;
	}
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, argv[1]) == 0) {
			char *args[] = { argv[1], "--help", NULL };
			return finish_stdout(c->run(2, args));
		}
	fprintf(stderr, "bench: help: unknown command '%s' (commands:", argv[1]);
	for (const struct command *c = commands; c->name; c++)
		fprintf(stderr, " %s", c->name);
	fputs(")\n", stderr);
	return EXIT_USAGE;
}

static int bench_options(int argc, char **argv, struct cli_options *op);

static int bench_mode(int argc, char **argv)
{
	struct cli_options o;
	int code = bench_options(argc, argv, &o);
	cli_free(&o);
	return code;
}

/* The benchmark mode on parsed options; bench_mode frees what cli_parse allocated. */
static int bench_options(int argc, char **argv, struct cli_options *op)
{
	char err[512];

	if (cli_parse(argc, argv, op, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		return EXIT_USAGE;
	}
	if (op->help) {
		cli_help(stdout, commands);
		return finish_stdout(EXIT_OK);
	}
	if (op->version) {
		printf("%s %s\n", HEAPLAB_NAME, HEAPLAB_VERSION);
		return finish_stdout(EXIT_OK);
	}
	if (op->list) {
		cli_list(stdout);
		return finish_stdout(EXIT_OK);
	}
	if (!op->alloc) {
		fprintf(stderr, "bench: --alloc is required (try --list, or see %s --help)\n",
		        cli_progname);
		return EXIT_USAGE;
	}
	if (!op->trace) {
		fprintf(stderr, "bench: --trace is required (see %s --help)\n", cli_progname);
		return EXIT_USAGE;
	}
	return suite_main(op);
}

int main(int argc, char **argv)
{
	cli_set_progname(argc > 0 ? argv[0] : NULL);
	/* The hidden child mode that runs a peer (isolate.h); not a command. */
	if (argc > 1 && strcmp(argv[1], "__cell") == 0)
		return isolate_child_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "__probe") == 0)
		return peer_probe_main(argc - 1, argv + 1);
	/*
	 * A closed stdout (`bench --json | head -c1`) is a write error reported
	 * with exit 3, not a silent death by SIGPIPE.  `run` and `record` keep the
	 * default for the program they exec; program cells (program.c) restore it
	 * in the child before exec.
	 */
	if (!(argc > 1 && (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "record") == 0)))
		signal(SIGPIPE, SIG_IGN);
	/* No arguments at all: a newcomer's first try; show what to type. */
	if (argc <= 1) {
		cli_help(stderr, commands);
		return EXIT_USAGE;
	}
	if (argv[1][0] != '-') {
		for (const struct command *c = commands; c->name; c++)
			if (strcmp(c->name, argv[1]) == 0)
				return c->run(argc - 1, argv + 1);
		fprintf(stderr, "bench: unknown command '%s' (see %s help)\n", argv[1],
		        cli_progname);
		return EXIT_USAGE;
	}
	return bench_mode(argc, argv);
}
