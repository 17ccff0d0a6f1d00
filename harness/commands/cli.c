/* cli.c - options of the default benchmark mode, --help and --list. */
#define _GNU_SOURCE
#include "cli.h"

#include "../../allocators/allocator.h"
#include "../core/exitcodes.h"
#include "../process/isolate.h"
#include "../process/peer.h"
#include "../results/writer.h"
#include "../process/student.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_parse_number(const char *opt, const char *text, uint64_t min, uint64_t max,
                     int suffixes, uint64_t *out, char *err, size_t errlen)
{
	char *end;

	/* strtoull would skip blanks and accept "-1" as a huge number: refuse both. */
	if (text[0] < '0' || text[0] > '9')
		return usage_error(err, errlen, "%s: '%s' is not a whole number%s", opt, text,
		                   text[0] == '-' ? " (negative values make no sense here)" : "");
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return usage_error(err, errlen, "%s: '%s' is too large", opt, text);
	if (suffixes && *end) {
		unsigned shift = 0;
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		}
		if (shift) {
			end++;
			if (*end == 'i' && end[1] == 'B')
				end += 2;
			else if (*end == 'B')
				end++;
			if (v > (ULLONG_MAX >> shift))
				return usage_error(err, errlen, "%s: '%s' is too large", opt, text);
			v <<= shift;
		}
	}
	if (*end)
		return usage_error(err, errlen, "%s: '%s' is not a whole number%s", opt, text,
		                   suffixes ? " (K, M, G or T may follow)" : "");
	if (v < min)
		return usage_error(err, errlen, "%s: must be at least %llu", opt,
		                   (unsigned long long)min);
	if (v > max)
		return usage_error(err, errlen, "%s: must be at most %llu", opt,
		                   (unsigned long long)max);
	*out = v;
	return 0;
}

enum { OPT_CHECK = 256, OPT_COUNT, OPT_HEAP_LIMIT, OPT_LATENCY, OPT_LIST, OPT_NO_PROGRESS,
       OPT_THREADS, OPT_TIMEOUT, OPT_TOUCH, OPT_WARMUP, OPT_SKIP_EXISTING, OPT_SLOTS, OPT_ALIGN,
       OPT_CFLAGS, OPT_INTERLEAVE };

/* Sorted by name; keep it so, --help follows the same order. */
static const struct option long_options[] = {
	{ "align",      required_argument, NULL, OPT_ALIGN },
	{ "alloc",      required_argument, NULL, 'a' },
	{ "cflags",     required_argument, NULL, OPT_CFLAGS },
	{ "check",      required_argument, NULL, OPT_CHECK },
	{ "count",      optional_argument, NULL, OPT_COUNT },
	{ "heap-limit", required_argument, NULL, OPT_HEAP_LIMIT },
	{ "help",       no_argument,       NULL, 'h' },
	{ "interleave", no_argument,       NULL, OPT_INTERLEAVE },
	{ "json",       no_argument,       NULL, 'j' },
	{ "latency",    no_argument,       NULL, OPT_LATENCY },
	{ "list",       no_argument,       NULL, OPT_LIST },
	{ "no-progress", no_argument,      NULL, OPT_NO_PROGRESS },
	{ "out",        required_argument, NULL, 'o' },
	{ "quiet",      no_argument,       NULL, 'q' },
	{ "runs",       required_argument, NULL, 'r' },
	{ "skip-existing", no_argument,    NULL, OPT_SKIP_EXISTING },
	{ "slots",      required_argument, NULL, OPT_SLOTS },
	{ "threads",    no_argument,       NULL, OPT_THREADS },
	{ "timeout",    required_argument, NULL, OPT_TIMEOUT },
	{ "touch",      required_argument, NULL, OPT_TOUCH },
	{ "trace",      required_argument, NULL, 't' },
	{ "version",    no_argument,       NULL, 'V' },
	{ "warmup",     required_argument, NULL, OPT_WARMUP },
	{ NULL, 0, NULL, 0 },
};

static int parse_options(int argc, char **argv, struct cli_options *o, char *err,
                         size_t errlen);

int cli_parse(int argc, char **argv, struct cli_options *o, char *err, size_t errlen)
{
	int code = parse_options(argc, argv, o, err, errlen);
	if (code)
		cli_free(o);   /* on failure nothing is left to free */
	return code;
}

static int parse_options(int argc, char **argv, struct cli_options *o, char *err,
                         size_t errlen)
{
	uint64_t v;
	int c;

	memset(o, 0, sizeof *o);
	o->timeout = ISOLATE_TIMEOUT_DEFAULT;
	opterr = 0;   /* our own messages, prefixed "bench: " by main */
	optind = 0;   /* 0 re-initialises getopt, so tests may parse twice */
	while ((c = getopt_long(argc, argv, ":a:hjo:qr:t:V", long_options, NULL)) != -1) {
		switch (c) {
		case 'a': o->alloc = optarg; break;
		case 't':
		case 'o':
			/* "" would only fail later, as "bench: : cannot read" or after the run */
			if (!optarg[0]) {
				usage_error(err, errlen, "%s: empty file name",
				            c == 't' ? "--trace" : "--out");
				return EXIT_USAGE;
			}
			if (c == 't') {
				/* repeatable: each occurrence is one more FILE|DIR[,...]|@LIST */
				if (!o->traces && !(o->traces = calloc((size_t)argc, sizeof *o->traces))) {
					usage_error(err, errlen, "out of memory");
					return EXIT_USAGE;
				}
				o->traces[o->ntraces++] = optarg;
				if (!o->trace)
					o->trace = optarg;
			} else {
				o->out = optarg;
			}
			break;
		case 'j': o->json = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': o->help = 1; break;
		case 'V': o->version = 1; break;
		case OPT_LIST: o->list = 1; break;
		case OPT_NO_PROGRESS: o->no_progress = 1; break;
		case OPT_LATENCY: o->run.latency = 1; break;
		case OPT_THREADS: o->run.threads = 1; break;
		case OPT_SKIP_EXISTING: o->skip_existing = 1; break;
		case OPT_SLOTS:
			if (!optarg[0]) {
				usage_error(err, errlen, "--slots: empty folder name");
				return EXIT_USAGE;
			}
			o->slots = optarg;
			break;
		case 'r':
			if (cli_parse_number("--runs", optarg, 1, RUN_MAX, 0, &v, err, errlen))
				return EXIT_USAGE;
			o->run.runs = (unsigned)v;
			break;
		case OPT_ALIGN:
			if (cli_parse_number("--align", optarg, 1, 4096, 0, &v, err, errlen))
				return EXIT_USAGE;
			if (!is_pow2(v)) {
				usage_error(err, errlen, "--align: %s is not a power of two", optarg);
				return EXIT_USAGE;
			}
			o->run.align = (size_t)v;
			break;
		case OPT_CFLAGS: student_cflags = optarg; break;
		case OPT_CHECK:
			if (cli_parse_number("--check", optarg, 1, UINT64_MAX, 0, &v, err, errlen))
				return EXIT_USAGE;
			o->run.check_every = v;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_number("--timeout", optarg, 0, 31u * 24 * 3600, 0, &v,
			                     err, errlen))
				return EXIT_USAGE;
			o->timeout = (unsigned)v;
			break;
		case OPT_TOUCH: {
			int mode = touch_parse(optarg);
			if (mode < 0) {
				usage_error(err, errlen, "--touch: '%s' is not none, pages or all", optarg);
				return EXIT_USAGE;
			}
			o->run.touch = mode;
			break;
		}
		case OPT_INTERLEAVE:
			o->run.interleave = 1;
			break;
		case OPT_WARMUP:
			if (cli_parse_number("--warmup", optarg, 0, WARMUP_MAX, 0, &v, err, errlen))
				return EXIT_USAGE;
			o->run.warmup = (unsigned)v;
			break;
		case OPT_COUNT: {
			int method = count_method_parse(optarg);
			if (method < 0) {
				usage_error(err, errlen, "--count: '%s' is not auto, perf or callgrind "
				            "(write --count=METHOD)", optarg);
				return EXIT_USAGE;
			}
			o->run.count = method;
			break;
		}
		case OPT_HEAP_LIMIT:
			if (cli_parse_number("--heap-limit", optarg, 1, HEAP_DEFAULT_RESERVE, 1,
			                     &v, err, errlen))
				return EXIT_USAGE;
			o->run.heap_limit = (size_t)v;
			break;
		case ':':
			usage_error(err, errlen, "%s needs a value (see bench --help)",
			            argv[optind - 1]);
			return EXIT_USAGE;
		default:
			if (optopt)
				usage_error(err, errlen, "unknown option '-%c' (see bench --help)",
				            optopt);
			else
				usage_error(err, errlen, "unknown option '%s' (see bench --help)",
				            argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage_error(err, errlen, "unexpected argument '%s' (see bench --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->run.interleave && (o->run.count || o->run.latency)) {
		/* counts are exact and need no pairing; rounds would repeat the pass */
		usage_error(err, errlen, "--interleave cannot be combined with --%s",
		            o->run.count ? "count" : "latency");
		return EXIT_USAGE;
	}
	if (o->run.count && o->run.threads) {
		/* Waiting threads spin: their instructions would be the schedule's, not the allocator's. */
		usage_error(err, errlen, "--count counts a serial pass; it cannot be combined "
		            "with --threads");
		return EXIT_USAGE;
	}
	return 0;
}

const char *cli_progname = "bench";

void cli_set_progname(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;
	base = base ? base + 1 : argv0;
	if (base && base[0])
		cli_progname = base;
}

void cli_usage_text(FILE *f, const char *text)
{
	for (const char *p = text; *p; p++) {
		int starts = p == text || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '('
		             || p[-1] == '`';
		if (starts && strncmp(p, "bench", 5) == 0
		    && (p[5] == ' ' || p[5] == '\n' || p[5] == '\0')) {
			fputs(cli_progname, f);
			p += 4;
		} else {
			putc(*p, f);
		}
	}
}

void cli_help(FILE *out, const struct command *commands)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		f = out;   /* out of memory: the text as it is */
	}
	fprintf(f,
	"usage: bench --alloc NAME[,NAME...] --trace FILE[,FILE...] [options]\n"
	"       bench COMMAND [ARGS...]\n"
	"\n"
	"Replays an allocation trace against an allocator: first a checked pass\n"
	"that verifies every block, then timed passes, then a memory pass that\n"
	"writes every block; reports throughput, peak break, peak RSS and\n"
	"fragmentation.  Each cell (allocator x trace) runs in a child process.\n"
	"\n"
	"options:\n"
	"      --align N           the alignment every block must have (a power of\n"
	"                          two; default 16; 8 for the textbook malloc lab)\n"
	"  -a, --alloc NAME        allocator to run (see --list): a built-in, a peer\n"
	"                          (glibc, jemalloc, tcmalloc, mimalloc), a shared\n"
	"                          library path (./libmy.so), or a student's C source\n"
	"                          (path/mm.c, path/malloc.c; docs/students.md); a\n"
	"                          comma list, or all, builtin, peers\n"
	"      --cflags FLAGS      extra compiler flags for a student's source\n"
	"                          (the compiler is cc, or $CC)\n"
	"      --check N           also run the allocator's self-check every N ops\n"
	"                          (it always runs once at the end)\n"
	"      --count[=METHOD]    also count one timed pass's instructions per op\n"
	"                          (and cycles, cache misses): METHOD perf (hardware\n"
	"                          counters), callgrind (valgrind), or auto (default:\n"
	"                          perf where the machine has counters)\n"
	"      --heap-limit BYTES  cap the heap's break; K, M, G or T may follow\n"
	"                          (allocations beyond it fail and are counted)\n"
	"  -h, --help              show this help and exit\n"
	"      --interleave        a suite: alternate the allocators' timed passes one\n"
	"                          at a time, each in a fresh process, so load hits all\n"
	"                          alike; a round keeps each one's fastest of 5 passes\n"
	"                          (--runs rounds, default 30; bench compare --pair)\n"
	"  -j, --json              print the result as JSON on stdout\n"
	"      --latency           also time every op on its own in an extra pass\n"
	"                          (percentiles per op kind, in the JSON)\n"
	"      --list              list the allocators (built-ins, peers) and exit\n"
	"      --no-progress       no progress line (drawn on stderr only when it is a\n"
	"                          terminal, and erased at the end)\n"
	"  -o, --out FILE|DIR      one cell: write the result as JSON to FILE\n"
	"                          (atomically); several: the results folder\n"
	"                          (default results/<UTC time>/)\n"
	"  -q, --quiet             no human summary or table (errors still print;\n"
	"                          the progress line stays: see --no-progress)\n"
	"  -r, --runs N            timed passes (default %d; %d for traces of %u ops\n"
	"                          or more; at most %d)\n"
	"      --skip-existing     one cell: do nothing when --out FILE already holds\n"
	"                          its result, else create FILE's folder and run\n"
	"                          (the units of bench plan; docs/distributed.md)\n"
	"      --slots DIR         one cell: claim a slot of this machine under DIR,\n"
	"                          pin to its core, record how many cells shared the\n"
	"                          machine (\"concurrency\" in the result)\n"
	"      --threads           replay each trace thread (t lines) on its own OS\n"
	"                          thread; built-ins behind one global lock\n"
	"      --timeout SECONDS   kill a cell that runs longer (default %u; 0: never)\n"
	"      --touch MODE        what timed passes write into each new block: pages\n"
	"                          (default: one byte per page, as a program does),\n"
	"                          all (every byte), none (nothing: the allocator's\n"
	"                          own work only)\n"
	"  -t, --trace FILE        trace to replay (.trace or .rep format); a comma\n"
	"                          list, or a folder (its *.trace and *.rep); may be\n"
	"                          repeated; @LIST reads one name a line (a name\n"
	"                          that exists is never split at its commas)\n"
	"  -V, --version           print the version and exit\n"
	"      --warmup N          untimed passes before each timed one, on the same\n"
	"                          heap (a peer: the same process); default 0: cold\n",
	RUN_DEFAULT, RUN_DEFAULT_HUGE, RUN_HUGE_OPS, RUN_MAX, ISOLATE_TIMEOUT_DEFAULT);
	if (commands && commands[0].name) {
		fprintf(f, "\ncommands:\n");
		for (const struct command *c = commands; c->name; c++)
			fprintf(f, "  %-8s  %s\n", c->name, c->summary);
	}
	fprintf(f,
	"\n"
	"One cell: the summary goes to stdout, or to stderr when --json or --out is\n"
	"given.  Several: one result per cell in the results folder, summary.json,\n"
	"and a table on stdout (stderr with --json, which prints summary.json).\n"
	"\n"
	"exit status:\n"
	"  %d    every run finished and every check passed\n"
	"  %d    an allocator failed a check, crashed, timed out or could not run the\n"
	"       trace (the result is still written, with its status)\n"
	"  %d    bad command line or bad input (nothing is written)\n"
	"  %d    the system failed: cannot write the result, cannot reserve memory\n"
	"  %d  interrupted (SIGINT; %d for SIGHUP, %d for SIGTERM): finished cells are\n"
	"       kept, the rest marked not-run\n",
	EXIT_OK, EXIT_CHECK, EXIT_USAGE, EXIT_SYSTEM, EXIT_INTERRUPTED, EXIT_HANGUP,
	EXIT_TERMINATED);
	if (f != out) {
		if (fclose(f) == 0 && text)
			cli_usage_text(out, text);
		free(text);
	}
}

void cli_list(FILE *f)
{
	peer_list(f);
}

void cli_free(struct cli_options *o)
{
	free(o->traces);
	o->traces = NULL;
	o->ntraces = 0;
}
