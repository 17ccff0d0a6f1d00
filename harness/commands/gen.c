/*
 * gen.c - `bench gen PROFILE [--ops N] [--seed S] [--threads N] -o FILE`:
 * write a synthetic trace.  The profiles are in gen_profiles.c, the engine
 * they are written with in gen_engine.c; workloads/README.md describes each
 * profile for users.
 */
#define _GNU_SOURCE
#include "../core/gen.h"
#include "commands.h"
#include "cli.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command line, as given, then checked. */
struct gen_args {
	const char *profile;    /* PROFILE                                */
	const char *out;        /* -o FILE ("-": standard output)         */
	const char *ops_s;      /* --ops, --seed, --threads as given      */
	const char *seed_s;
	const char *threads_s;
	const struct gen_profile *p;   /* checked: the profile, and the numbers */
	uint64_t    ops, seed, threads;
};

static void gen_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench gen PROFILE [--ops N] [--seed S] [--threads N] -o FILE\n"
	      "       bench gen --list\n"
	      "Writes a synthetic native trace (FILE '-' is standard output).\n"
	      "--threads N (mt-* profiles only, default 4, at most 64): simulated threads.\n"
	      "Profiles (default --ops):\n");
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		/* what it models, wrapped at spaces to stay within 80 columns */
		int col = fprintf(f, "  %-20s %8" PRIu64 " ", gen_profiles[i].name,
		                  gen_profiles[i].default_ops);
		int indent = col;
		for (const char *w = gen_profiles[i].models; *w;) {
			int len = (int)strcspn(w, " ");
			if (col > indent && col + 1 + len > 79)
				col = fprintf(f, "\n%*s", indent, "") - 1;
			col += fprintf(f, " %.*s", len, w);
			w += len;
			w += strspn(w, " ");
		}
		fputc('\n', f);
	}
}

/* A whole decimal number in [lo, hi], or -1. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/*
 * Read the options into `a`.  Returns -1 to go on, or the exit code to
 * return now (--help, --list, a usage error).
 */
static int parse_options(int argc, char **argv, struct gen_args *a)
{
	enum { OPT_OPS = 256, OPT_SEED, OPT_THREADS, OPT_LIST };
	static const struct option opts[] = {
		{ "help",    no_argument,       NULL, 'h' },
		{ "list",    no_argument,       NULL, OPT_LIST },
		{ "ops",     required_argument, NULL, OPT_OPS },
		{ "output",  required_argument, NULL, 'o' },
		{ "seed",    required_argument, NULL, OPT_SEED },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ NULL, 0, NULL, 0 }
	};
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			gen_usage(stdout);
			return finish_stdout(EXIT_OK);
		case OPT_LIST:
			for (unsigned k = 0; k < gen_nprofiles; k++)
				printf("%s\n", gen_profiles[k].name);
			return finish_stdout(EXIT_OK);
		case 'o':         a->out = optarg; break;
		case OPT_OPS:     a->ops_s = optarg; break;
		case OPT_SEED:    a->seed_s = optarg; break;
		case OPT_THREADS: a->threads_s = optarg; break;
		case ':':
			fprintf(stderr, "bench: gen: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: gen: unknown option %s (try bench gen --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		a->profile = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "bench: gen: unexpected argument %s (one profile only)\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/* The profile and the numbers: 0, or EXIT_USAGE after saying what is wrong. */
static int check_args(struct gen_args *a)
{
	if (!a->profile) {
		fputs("bench: gen: which profile? ", stderr);
		gen_usage(stderr);
		return EXIT_USAGE;
	}
	a->p = gen_find(a->profile);
	if (!a->p) {
		fprintf(stderr, "bench: gen: unknown profile \"%s\"; profiles are:", a->profile);
		for (unsigned k = 0; k < gen_nprofiles; k++)
			fprintf(stderr, " %s", gen_profiles[k].name);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	a->ops = a->p->default_ops;
	a->seed = 1;
	a->threads = GEN_DEFAULT_THREADS;
	if (a->ops_s && parse_u64(a->ops_s, 1, GEN_MAX_OPS, &a->ops)) {
		fprintf(stderr, "bench: gen: --ops %s: expected a whole number from 1 to %" PRIu64 "\n",
		        a->ops_s, GEN_MAX_OPS);
		return EXIT_USAGE;
	}
	if (a->seed_s && parse_u64(a->seed_s, 0, UINT64_MAX, &a->seed)) {
		fprintf(stderr, "bench: gen: --seed %s: expected a whole number from 0 to %" PRIu64 "\n",
		        a->seed_s, UINT64_MAX);
		return EXIT_USAGE;
	}
	if (a->threads_s && !gen_is_threaded(a->p)) {
		fprintf(stderr, "bench: gen: --threads applies to the mt-* profiles only, not %s\n",
		        a->p->name);
		return EXIT_USAGE;
	}
	if (a->threads_s && parse_u64(a->threads_s, 1, GEN_MAX_THREADS, &a->threads)) {
		fprintf(stderr, "bench: gen: --threads %s: expected a whole number from 1 to %d\n",
		        a->threads_s, GEN_MAX_THREADS);
		return EXIT_USAGE;
	}
	if (!a->out) {
		fputs("bench: gen: no output file: give -o FILE (or -o - for standard output)\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (!a->out[0]) {
		fputs("bench: gen: -o: empty file name\n", stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* The trace to standard output. */
static int write_to_stdout(const struct gen_args *a, const char *command)
{
	int err = gen_write_threads(a->p, a->ops, a->seed, (unsigned)a->threads, command, stdout);
	if (err) {
		fprintf(stderr, "bench: gen: cannot write standard output: %s\n", strerror(err));
		return EXIT_SYSTEM;
	}
	return finish_stdout(EXIT_OK);
}

/* The trace to a file, atomically (or through it when it is a device). */
static int write_to_file(const struct gen_args *a, const char *command)
{
	struct atomic_file f;
	char msg[PATH_MAX + 256];
	if (atomic_open(&f, a->out, msg, sizeof msg) != 0) {
		fprintf(stderr, "bench: %s\n", msg);
		return EXIT_SYSTEM;
	}
	FILE *s = atomic_stream(&f);
	int err = s ? gen_write_threads(a->p, a->ops, a->seed, (unsigned)a->threads, command, s)
	            : errno;
	if (err) {
		atomic_abort(&f);
		fprintf(stderr, "bench: %s: cannot write it: %s\n", a->out, strerror(err));
		return EXIT_SYSTEM;
	}
	if (atomic_commit(&f, msg, sizeof msg) != 0) {
		fprintf(stderr, "bench: %s\n", msg);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

int gen_main(int argc, char **argv)
{
	struct gen_args a = { 0 };
	int code = parse_options(argc, argv, &a);
	if (code >= 0)
		return code;
	if ((code = check_args(&a)))
		return code;
	/* the command line that writes this trace again, for its header */
	char command[1024], tpart[32] = "";
	if (gen_is_threaded(a.p))
		snprintf(tpart, sizeof tpart, " --threads %" PRIu64, a.threads);
	snprintf(command, sizeof command, "bench gen %s --ops %" PRIu64 " --seed %" PRIu64 "%s -o %s",
	         a.p->name, a.ops, a.seed, tpart, a.out);
	return strcmp(a.out, "-") ? write_to_file(&a, command) : write_to_stdout(&a, command);
}
