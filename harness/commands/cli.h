/*
 * cli.h - the command line of the default benchmark mode, and the table of
 * subcommands (`bench gen ...`) that main dispatches on.
 */
#ifndef HEAPLAB_CLI_H
#define HEAPLAB_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "../replay/cell.h"

struct cli_options {
	const char        *alloc;    /* --alloc NAME[,NAME...] (all, builtin, peers)  */
	const char        *trace;    /* the first --trace FILE|DIR[,...]|@LIST       */
	const char       **traces;   /* every --trace given, in order (argv's strings;
	                                cli_parse points it into `argv`-sized storage
	                                it owns: cli_free releases it)               */
	unsigned           ntraces;
	const char        *out;      /* --out FILE (one cell) or DIR (a suite), or NULL */
	unsigned           timeout;  /* --timeout SECONDS per cell; 0: none          */
	struct cell_options run;      /* --runs, --check, --heap-limit                */
	int                json;     /* --json: the result on stdout                 */
	int                quiet;    /* --quiet: no human summary                    */
	int                no_progress; /* --no-progress: no progress line on stderr */
	int                list;     /* --list                                       */
	int                help;     /* --help                                       */
	int                version;  /* --version                                    */
	const char        *slots;    /* --slots DIR: claim a slot, pin a core, record
	                              * concurrency (slots.h); one cell only        */
	int                skip_existing; /* --skip-existing: --out FILE holds this
	                                   * cell's result already: do nothing       */
};

/* A subcommand: `bench NAME ARGS...` calls run(argc, argv) with argv[0] == NAME. */
struct command {
	const char *name;
	int       (*run)(int argc, char **argv);
	const char *summary;   /* one line for --help */
};

/*
 * Parse the benchmark mode's options.  Returns 0, or EXIT_USAGE with a
 * message (without the "bench: " prefix) in err.
 */
int cli_parse(int argc, char **argv, struct cli_options *o, char *err, size_t errlen);

/* Release what a successful cli_parse allocated (the list of --trace arguments). */
void cli_free(struct cli_options *o);

/*
 * A whole decimal number for option `opt`, at least `min` and at most `max`.
 * With `suffixes`, K, M, G or T (powers of 1024, optionally followed by B)
 * may follow.  Returns 0, or -1 with a message in err.
 */
int cli_parse_number(const char *opt, const char *text, uint64_t min, uint64_t max,
                     int suffixes, uint64_t *out, char *err, size_t errlen);

/*
 * The name the program was started as (argv[0]'s last component: "bench" in
 * the source tree, "heaplab-bench" installed), for help texts and hints, so
 * that what they tell a user to type exists.  Diagnostics keep the fixed
 * prefix "bench: " whatever the name, so that scripts can match them.
 */
extern const char *cli_progname;
void cli_set_progname(const char *argv0);

/*
 * Print a help text, with the word "bench" where it names the program
 * ("usage: bench gen", "see bench --help") replaced by cli_progname.
 */
void cli_usage_text(FILE *f, const char *text);

/* --help; `commands` ends with a NULL name. */
void cli_help(FILE *f, const struct command *commands);

/* --list: every built-in allocator with its description, then the peers. */
void cli_list(FILE *f);

#endif
