/*
 * info.c - `bench info FILE [--json]`: what a trace holds, before anyone
 * trusts a benchmark run on it.
 *
 * Loads the trace with trace_load (so a trace bench cannot replay is reported
 * exactly as the benchmark would report it) and derives, in one pass:
 * operation counts, peak live bytes and blocks, a power-of-two histogram of
 * requested sizes, a power-of-two histogram of block lifetimes measured in
 * operations (from the allocation to the free; realloc does not end a life),
 * realloc growth (how many grow, shrink or keep the size, and the mean
 * new/old factor), and the blocks still live at the end.
 */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "../core/trace.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include "../replay/threaded.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 65   /* bucket 0: zero; bucket k: [2^(k-1), 2^k) */

struct trace_stats {
	uint64_t size_hist[BUCKETS];   /* allocation requests (a, c, m) by size        */
	uint64_t life_hist[BUCKETS];   /* freed blocks by lifetime in operations       */
	uint64_t never_freed;          /* blocks live at the end                       */
	uint64_t alloc_bytes;          /* sum of allocation requests (saturating)      */
	uint64_t calloc_overflows;     /* callocs whose NMEMB x SIZE overflows 64 bits */
	uint64_t allocs;               /* a + c + m                                    */
	uint64_t grow, shrink, same;   /* reallocs by direction                        */
	double   factor_sum;           /* sum of new/old over reallocs from a nonzero size */
	uint64_t factor_n;             /* how many terms factor_sum has                */
	uint64_t min_size, max_size;   /* over allocation requests and realloc targets */
	uint64_t max_align;            /* largest memalign alignment                   */
};

static unsigned bucket(uint64_t v)
{
	return v ? 64 - (unsigned)__builtin_clzll(v) : 0;
}

/* Returns 0, or ENOMEM. */
static int compute(const struct trace *t, struct trace_stats *s)
{
	memset(s, 0, sizeof *s);
	s->min_size = UINT64_MAX;
	uint64_t *born = calloc(t->nslots ? t->nslots : 1, sizeof *born);
	uint64_t *size = calloc(t->nslots ? t->nslots : 1, sizeof *size);
	if (!born || !size) {
		free(born);
		free(size);
		return ENOMEM;
	}
	size_t ci = 0;   /* next calloc_nmemb entry */
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		uint64_t bytes = op->size;
		switch (op->kind) {
		case OP_CALLOC:
			if (ci < t->ncalloc && __builtin_mul_overflow(op->size, t->calloc_nmemb[ci++],
			                                              &bytes)) {
				bytes = UINT64_MAX;   /* must fail: counted, and as large as can be */
				s->calloc_overflows++;
			}
			/* fall through */
		case OP_MALLOC:
		case OP_MEMALIGN:
			if (op->kind == OP_MEMALIGN && ((uint64_t)1 << op->align_log2) > s->max_align)
				s->max_align = (uint64_t)1 << op->align_log2;
			born[op->slot] = i;
			size[op->slot] = bytes;
			s->size_hist[bucket(bytes)]++;
			if (__builtin_add_overflow(s->alloc_bytes, bytes, &s->alloc_bytes))
				s->alloc_bytes = UINT64_MAX;
			s->allocs++;
			break;
		case OP_REALLOC: {
			uint64_t old = size[op->slot];
			if (bytes > old)
				s->grow++;
			else if (bytes < old)
				s->shrink++;
			else
				s->same++;
			if (old) {
				s->factor_sum += (double)bytes / (double)old;
				s->factor_n++;
			}
			size[op->slot] = bytes;
			break;
		}
		case OP_FREE:
			s->life_hist[bucket(i - born[op->slot])]++;
			continue;
		}
		if (bytes < s->min_size)
			s->min_size = bytes;
		if (bytes > s->max_size)
			s->max_size = bytes;
	}
	s->never_freed = t->live_at_end;
	if (s->min_size == UINT64_MAX)
		s->min_size = 0;
	free(born);
	free(size);
	return 0;
}

/* "512", "4K", "1M": the lower bound of a bucket, short. */
static void human(uint64_t v, char *buf, size_t n)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	while (v >= 1024 && v % 1024 == 0 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%" PRIu64, v);
	else
		snprintf(buf, n, "%" PRIu64 "%c", v, units[u]);
}

static void bucket_label(unsigned k, char *buf, size_t n)
{
	if (k == 0) {
		snprintf(buf, n, "0");
		return;
	}
	char lo[24], hi[24];
	human((uint64_t)1 << (k - 1), lo, sizeof lo);
	if (k == 64)
		snprintf(hi, sizeof hi, "2^64");
	else
		human((uint64_t)1 << k, hi, sizeof hi);
	snprintf(buf, n, "[%s, %s)", lo, hi);
}

static void print_hist(FILE *f, const char *title, const uint64_t *h, uint64_t total)
{
	fprintf(f, "%s\n", title);
	if (!total) {
		fputs("  (none)\n", f);
		return;
	}
	uint64_t max = 0;
	for (unsigned k = 0; k < BUCKETS; k++)
		if (h[k] > max)
			max = h[k];
	for (unsigned k = 0; k < BUCKETS; k++) {
		if (!h[k])
			continue;
		char label[64];
		bucket_label(k, label, sizeof label);
		int bar = (int)((h[k] * 40 + max - 1) / max);
		fprintf(f, "  %-16s %10" PRIu64 "  %5.1f%%  %.*s\n", label, h[k],
		        100.0 * (double)h[k] / (double)total, bar,
		        "########################################");
	}
}

static void print_text(FILE *f, const struct trace *t, const struct trace_stats *s)
{
	static const char *const fmt[] = { [TRACE_NATIVE] = "native .trace",
	                                   [TRACE_REP] = "CS:APP .rep" };
	fprintf(f, "trace        %s\n", t->path);
	fprintf(f, "format       %s\n", fmt[t->format]);
	fprintf(f, "file         %" PRIu64 " bytes, sha256 %s\n", t->file_bytes, t->sha256);
	if (t->format == TRACE_REP)
		fprintf(f, "rep header   heap %" PRIu64 ", ids %" PRIu64 ", ops %" PRIu64
		        ", weight %" PRIu64 "\n", t->rep_heap_size, t->rep_num_ids,
		        t->rep_num_ops, t->rep_weight);
	fprintf(f, "operations   %zu:", t->nops);
	for (int k = 0; k < OP_KINDS; k++)
		fprintf(f, " %s %" PRIu64 "%s", op_kind_name[k], t->count[k],
		        k + 1 < OP_KINDS ? "," : "\n");
	fprintf(f, "block ids    %" PRIu32 " distinct\n", t->nslots);
	if (t->nthreads > 1 || t->thread_tid) {
		fprintf(f, "threads      %" PRIu32 " (TIDs", t->nthreads);
		for (uint32_t k = 0; k < t->nthreads && k < 16; k++)
			fprintf(f, "%s %u", k ? "," : "", t->thread_tid ? t->thread_tid[k] : 0u);
		fprintf(f, "%s); %" PRIu64 " frees and reallocs of a block another thread "
		        "touched last\n",
		        t->nthreads > 16 ? ", ..." : "", trace_cross_thread_ops(t));
	}
	fprintf(f, "peak live    %" PRIu64 " bytes in %" PRIu64 " blocks (requested bytes)\n",
	        t->peak_live_bytes, t->peak_live_blocks);
	fprintf(f, "live at end  %" PRIu64 " blocks (never freed)\n", t->live_at_end);
	fprintf(f, "requests     %" PRIu64 " allocations, %" PRIu64 " bytes in all, mean %.1f; "
	        "sizes %" PRIu64 "..%" PRIu64 "\n", s->allocs, s->alloc_bytes,
	        s->allocs ? (double)s->alloc_bytes / (double)s->allocs : 0.0,
	        s->min_size, s->max_size);
	if (t->count[OP_MEMALIGN])
		fprintf(f, "alignment    largest %" PRIu64 "\n", s->max_align);
	if (s->calloc_overflows)
		fprintf(f, "overflows    %" PRIu64 " callocs whose NMEMB x SIZE overflows 64 bits "
		        "(each must return NULL)\n", s->calloc_overflows);
	fprintf(f, "realloc      %" PRIu64 " grow, %" PRIu64 " shrink, %" PRIu64 " same size",
	        s->grow, s->shrink, s->same);
	if (s->factor_n)
		fprintf(f, "; mean factor new/old %.3f\n", s->factor_sum / (double)s->factor_n);
	else
		fputc('\n', f);
	print_hist(f, "sizes requested (a, c, m), bytes:", s->size_hist, s->allocs);
	uint64_t freed = t->count[OP_FREE];
	print_hist(f, "lifetimes of freed blocks, operations from allocation to free:",
	           s->life_hist, freed);
}

static json_t *hist_json(const uint64_t *h)
{
	json_t *a = json_array();
	for (unsigned k = 0; a && k < BUCKETS; k++) {
		if (!h[k])
			continue;
		json_t *b = json_pack("{s:I, s:I, s:I}",
		                      "min", (json_int_t)(k ? (uint64_t)1 << (k - 1) : 0),
		                      "max", (json_int_t)(k ? ((k == 64 ? 0 : (uint64_t)1 << k) - 1) : 0),
		                      "count", (json_int_t)h[k]);
		if (!b || json_array_append_new(a, b)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *info_json(const struct trace *t, const struct trace_stats *s)
{
	json_t *counts = json_object();
	for (int k = 0; counts && k < OP_KINDS; k++)
		json_object_set_new(counts, op_kind_name[k], json_integer((json_int_t)t->count[k]));
	return json_pack(
		"{s:s, s:s, s:I, s:s, s:I, s:o, s:I, s:I, s:I, s:I,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:o},"
		" s:o, s:o, s:I}",
		"path", t->path,
		"format", t->format == TRACE_REP ? "rep" : "native",
		"file_bytes", (json_int_t)t->file_bytes,
		"sha256", t->sha256,
		"ops", (json_int_t)t->nops,
		"op_counts", counts,
		"block_ids", (json_int_t)t->nslots,
		"peak_live_bytes", (json_int_t)t->peak_live_bytes,
		"peak_live_blocks", (json_int_t)t->peak_live_blocks,
		"live_at_end", (json_int_t)t->live_at_end,
		"requests",
		"count", (json_int_t)s->allocs, "bytes", (json_int_t)s->alloc_bytes,
		"min_size", (json_int_t)s->min_size, "max_size", (json_int_t)s->max_size,
		"max_align", (json_int_t)s->max_align, "calloc_overflows",
		(json_int_t)s->calloc_overflows,
		"realloc",
		"grow", (json_int_t)s->grow, "shrink", (json_int_t)s->shrink,
		"same", (json_int_t)s->same,
		"mean_factor", s->factor_n ? json_real(s->factor_sum / (double)s->factor_n)
		                           : json_null(),
		"size_histogram", hist_json(s->size_hist),
		"lifetime_histogram", hist_json(s->life_hist),
		"never_freed", (json_int_t)s->never_freed);
}

/*
 * The program a recorded trace came from: its `# program: EXE (pid N)`
 * comment (bench record, recorder/record_preload.c), among the comments at
 * the top of the file.  "" when there is none.
 */
static void recorded_program(const char *path, char *out, size_t len)
{
	static const char tag[] = "# program: ";
	char line[PATH_MAX + 64];
	FILE *f = fopen(path, "re");
	out[0] = '\0';
	for (unsigned n = 0; f && n < 64 && fgets(line, sizeof line, f); n++) {
		if (line[0] != '#')
			break;
		if (!strncmp(line, tag, sizeof tag - 1)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + sizeof tag - 1);
			break;
		}
	}
	if (f)
		fclose(f);
}

static void info_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench info FILE [--json]\n"
	     "Describes a trace: format, operation counts, peak live bytes and "
	     "blocks,\nsize and lifetime histograms, realloc growth, blocks live "
	     "at the end.\n");
}

/*
 * The options: FILE in *path, --json in *json.  Returns -1 to go on, or the
 * exit code to return now (--help, a usage error).
 */
static int parse_options(int argc, char **argv, const char **path, int *json)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			info_usage(stdout);
			return finish_stdout(EXIT_OK);
		case 'j':
			*json = 1;
			break;
		default:
			fprintf(stderr, "bench: info: unknown option %s (try bench info --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("bench: info: which trace? ", stderr);
		info_usage(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "bench: info: one trace at a time (%s and %s)\n", argv[optind],
		        argv[optind + 1]);
		return EXIT_USAGE;
	}
	*path = argv[optind];
	return -1;
}

int info_main(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;
	int code = parse_options(argc, argv, &path, &json);
	if (code >= 0)
		return code;
	struct trace t;
	struct trace_error err;
	enum trace_status st = trace_load(path, &t, &err);
	if (st != TRACE_OK) {
		fprintf(stderr, "bench: %s\n", err.message);
		return st == TRACE_EINPUT ? EXIT_USAGE : EXIT_SYSTEM;
	}
	trace_warn_cut_short(&t, stderr);
	struct trace_stats s;
	if (compute(&t, &s)) {
		trace_free(&t);
		fputs("bench: info: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	code = EXIT_OK;
	if (json) {
		json_t *j = info_json(&t, &s);
		if (j) {
			char prog[PATH_MAX + 64];
			recorded_program(path, prog, sizeof prog);
			json_object_set_new(j, "program", prog[0] ? json_string(prog) : json_null());
			json_object_set_new(j, "threads", json_integer((json_int_t)t.nthreads));
			json_object_set_new(j, "cross_thread_ops",
			                    json_integer((json_int_t)trace_cross_thread_ops(&t)));
		}
		char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
		json_decref(j);
		if (!text) {
			fputs("bench: info: out of memory\n", stderr);
			code = EXIT_SYSTEM;
		} else {
			puts(text);
			free(text);
		}
	} else {
		char prog[PATH_MAX + 64];
		recorded_program(path, prog, sizeof prog);
		if (prog[0])
			printf("program      %s\n", prog);
		print_text(stdout, &t, &s);
	}
	trace_free(&t);
	return finish_stdout(code);
}
