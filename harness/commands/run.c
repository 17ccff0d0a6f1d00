/*
 * run.c - `bench run --alloc NAME [--stats] [--check] [--] CMD ARGS...`: run a
 * real program on a built-in allocator.
 *
 * It sets LD_PRELOAD to the allocator's library (build/lib next to the bench
 * binary, or HEAPLAB_LIB_DIR) and execs the program, so the exit status is the
 * program's own and every process it starts inherits the same allocator.
 * --stats and --check set HEAPLAB_STATS=1 and HEAPLAB_CHECK=1 (docs/run.md).
 */
#define _GNU_SOURCE
#include "commands.h"
#include "../process/peer.h"
#include "cli.h"
#include "../process/program.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "../process/student.h"
#include "../../allocators/allocator.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char run_usage_text[] =
	"usage: bench run --alloc NAME [--stats] [--check] [--cflags FLAGS]\n"
	"                 [--] CMD [ARGS...]\n"
	"  Runs CMD with malloc, free, realloc... served by allocator NAME\n"
	"  (LD_PRELOAD=build/lib/libheaplab-NAME.so; HEAPLAB_LIB_DIR overrides the\n"
	"  folder).\n"
	"  NAME may be a student's source, path/mm.c or path/malloc.c (docs/students.md):\n"
	"  it is built as a preload library (--cflags: extra compiler flags).\n"
	"  --stats  print the heap's figures at exit of every process (HEAPLAB_STATS=1)\n"
	"  --check  run the allocator's self-check at exit (HEAPLAB_CHECK=1)\n"
	"\n";

static void run_usage(FILE *f)
{
	cli_usage_text(f, run_usage_text);
}

/*
 * Where the libraries are: $HEAPLAB_LIB_DIR, else build/lib beside the bench
 * binary (the source tree), else ../lib/heaplab beside it (`make install`).
 * On success `out` is the library's absolute path, else the first place tried.
 */
int run_find_library(const char *name, char *out, size_t outsz)
{
	static const char *const beside[] = { "/build/lib", "/../lib/heaplab" };
	char exe[PATH_MAX - 64], abs[PATH_MAX];
	const char *env = getenv("HEAPLAB_LIB_DIR");
	size_t ntries = 1;

	if (!env || !*env) {
		if (exe_dir(exe, sizeof exe))
			return -1;
		ntries = sizeof beside / sizeof beside[0];
	}
	for (size_t i = ntries; i-- > 0;) {  /* the first place last: it names the error */
		int n = env && *env ? snprintf(out, outsz, "%s/libheaplab-%s.so", env, name)
		                    : snprintf(out, outsz, "%s%s/libheaplab-%s.so", exe, beside[i], name);
		if (n < 0 || (size_t)n >= outsz)
			continue;
		/* Absolute, since the program and its children may change directory. */
		if (realpath(out, abs) && access(abs, R_OK) == 0) {
			snprintf(out, outsz, "%s", abs);
			return 0;
		}
	}
	return -1;
}

/*
 * Measuring options (or several allocators) make `bench run` run program
 * cells (program_cells.c); without them it execs the program, as below.
 */
static int wants_cells(int argc, char **argv)
{
	static const char *const opts[] = { "--runs", "--out", "--programs", "--timeout", "--name" };
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *v = NULL;
		for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
			size_t n = strlen(opts[k]);
			if (!strncmp(a, opts[k], n) && (a[n] == '\0' || a[n] == '='))
				return 1;
		}
		if (!strcmp(a, "--alloc") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(a, "--alloc=", 8))
			v = a + 8;
		if (v && (strchr(v, ',') || !strcmp(v, "all") || !strcmp(v, "builtin") ||
		          !strcmp(v, "peers")))
			return 1;
		if (a[0] != '-')
			break;
	}
	return 0;
}

/* The command line of `bench run` without measuring options. */
struct run_args {
	const char *name;    /* --alloc NAME                          */
	int         stats;   /* --stats                               */
	int         check;   /* --check                               */
	char      **cmd;     /* the program and its arguments         */
};

/*
 * Read the options into `a`; they end at `--` or at the program's name.
 * Returns -1 to go on, or the exit code to return now (--help, misuse).
 */
static int parse_options(int argc, char **argv, struct run_args *a)
{
	enum { OPT_STATS = 256, OPT_CHECK, OPT_CFLAGS };
	static const struct option opts[] = {
		{ "alloc",  required_argument, NULL, 'a' },
		{ "cflags", required_argument, NULL, OPT_CFLAGS },
		{ "check",  no_argument,       NULL, OPT_CHECK },
		{ "help",   no_argument,       NULL, 'h' },
		{ "stats",  no_argument,       NULL, OPT_STATS },
		{ NULL, 0, NULL, 0 }
	};
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':        a->name = optarg; break;
		case OPT_STATS:  a->stats = 1; break;
		case OPT_CHECK:  a->check = 1; break;
		case OPT_CFLAGS: student_cflags = optarg; break;
		case 'h':
			run_usage(stdout);
			program_cells_usage(stdout);
			return finish_stdout(EXIT_OK);
		case ':':
			fprintf(stderr, "bench: run: %s needs a value\n", argv[optind - 1]);
			run_usage(stderr);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: run: unknown option '%s'\n", argv[optind - 1]);
			run_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!a->name) {
		fputs("bench: run: --alloc NAME is required\n", stderr);
		run_usage(stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs("bench: run: no command to run\n", stderr);
		run_usage(stderr);
		return EXIT_USAGE;
	}
	a->cmd = argv + optind;
	return -1;
}

static int exec_command(char **cmd)
{
	fflush(NULL);
	execvp(cmd[0], cmd);
	fprintf(stderr, "bench: run: cannot run '%s': %s\n", cmd[0], strerror(errno));
	return EXIT_SYSTEM;
}

/*
 * The library to preload for a->name into lib.  Returns -1 when there is
 * one, 0 when the program runs on the libc's own malloc (nothing to
 * preload), or an exit code after saying what is wrong.
 */
static int find_preload(const struct run_args *a, char *lib, size_t len)
{
	if (student_is_source(a->name)) {
		/* A student's source: built (or found in the cache) as a preload library. */
		struct student_build b;
		char err[1024];
		int rc = student_build(a->name, &b, err, sizeof err);
		if (rc) {
			fprintf(stderr, "bench: %s\n", err);
			return rc;
		}
		snprintf(lib, len, "%s", b.preload_so);
	} else if (!allocator_find(a->name)) {
		/*
		 * A peer or a library path: the program runs on that malloc as
		 * it ships (glibc: nothing to preload).  Only the built-ins'
		 * libraries know heaplab's statistics and self-check.
		 */
		struct alloc_spec spec;
		char err[512];
		if (alloc_resolve(a->name, &spec, err, sizeof err) != 0 || spec.kind == ALLOC_TEST) {
			fprintf(stderr, "bench: unknown allocator '%s' (try --list)\n", a->name);
			return EXIT_USAGE;
		}
		if (a->stats || a->check) {
			fprintf(stderr, "bench: run: --stats and --check need a built-in allocator; "
			        "'%s' is a peer\n", a->name);
			return EXIT_USAGE;
		}
		if (!spec.preload)
			return 0;
		snprintf(lib, len, "%s", spec.library);
	} else if (run_find_library(a->name, lib, len) != 0) {
		fprintf(stderr, "bench: no preload library %s for allocator '%s' "
		        "(run make, or set HEAPLAB_LIB_DIR)\n", lib, a->name);
		return EXIT_SYSTEM;
	}
	if (strpbrk(lib, ": ")) {
		fprintf(stderr, "bench: %s: LD_PRELOAD cannot hold a path with ':' or ' '\n", lib);
		return EXIT_SYSTEM;
	}
	return -1;
}

int run_main(int argc, char **argv)
{
	struct run_args a = { 0 };
	char lib[PATH_MAX + 128];

	if (wants_cells(argc, argv))
		return program_cells_main(argc, argv);
	int code = parse_options(argc, argv, &a);
	if (code >= 0)
		return code;
	code = find_preload(&a, lib, sizeof lib);
	if (code == 0)
		return exec_command(a.cmd);
	if (code > 0)
		return code;

	/* Ours first, so it wins over any other malloc already preloaded. */
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(lib) + (old ? strlen(old) + 1 : 0) + 1;
	char *preload = malloc(len);
	if (!preload) {
		fprintf(stderr, "bench: run: out of memory\n");
		return EXIT_SYSTEM;
	}
	if (old && *old)
		snprintf(preload, len, "%s:%s", lib, old);
	else
		snprintf(preload, len, "%s", lib);
	if (setenv("LD_PRELOAD", preload, 1) != 0 ||
	    (a.stats && setenv("HEAPLAB_STATS", "1", 1) != 0) ||
	    (a.check && setenv("HEAPLAB_CHECK", "1", 1) != 0)) {
		fprintf(stderr, "bench: run: cannot set the environment: %s\n", strerror(errno));
		return EXIT_SYSTEM;
	}
	free(preload);
	return exec_command(a.cmd);
}
