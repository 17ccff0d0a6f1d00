/*
 * compare.c - `bench compare BASELINE CURRENT`: match the cells of two sets of
 * results and fail (exit 1) on a regression beyond the user's thresholds.
 *
 * Cells match by (allocator name, trace file name); a trace whose sha256
 * differs between the sides is warned about (the comparison still runs, but
 * its figures mean little).  Rules, each a failure when broken:
 *   - status: a cell that was "ok" must still be "ok";
 *   - memory: built-in allocators' peak break is deterministic, so it is
 *     compared exactly (growth above --max-memory-growth, default 0%); when
 *     a side has no break (a peer), peak RSS is compared with an extra
 *     --rss-tolerance (default 5%) for the kernel's and libc's own noise;
 *   - throughput (unless --only-memory): a slowdown only when even the best
 *     current pass is slower than the worst baseline pass by more than
 *     --max-slowdown (default 10%): current max ops/s < baseline min ops/s
 *     x (1 - threshold), so run-to-run noise within the recorded spread is
 *     never called a regression.  With --reference ALLOC each side's figures
 *     are first divided by ALLOC's on the same trace in the same run (best
 *     case over worst case again), which cancels a faster or slower machine;
 *   - a baseline cell missing from the current results (unless --allow-missing).
 */
#define _GNU_SOURCE
#include "commands.h"

#include "exitcodes.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct compare_options {
	double      max_slowdown;   /* fraction, e.g. 0.10                          */
	double      max_growth;     /* fraction of memory growth allowed            */
	double      rss_tolerance;  /* extra fraction for peak RSS                  */
	const char *reference;      /* allocator to normalise throughput by, or NULL */
	int         allow_missing;  /* a cell missing in CURRENT is not a failure   */
	int         only_memory;    /* skip throughput                              */
	int         markdown;       /* --format markdown                            */
};

/* One row of the output. */
struct row {
	const struct result *base, *cur;  /* either may be NULL              */
	int  fail;                        /* this cell regressed              */
	int  compared;                    /* both sides present               */
	char status[80];
	char tput[128];
	char mem[128];
	char note[256];
};

static const struct result *find(const struct result_set *s, const char *alloc,
                                 const char *trace)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i].allocator, alloc) && !strcmp(s->items[i].trace_name, trace))
			return &s->items[i];
	return NULL;
}

/* ---- cells of several machines (docs/distributed.md) ---- */

/* Whether every result of the set names the same machine. */
static int one_machine(const struct result_set *s)
{
	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->items[i].machine, s->items[0].machine))
			return 0;
	return 1;
}

/*
 * A cell is (machine, allocator, trace): the result of `alloc` on `trace`
 * measured on `machine`; when the set holds one machine only, whichever
 * machine that is (a baseline from one host against a run on another).
 */
static const struct result *find_cell(const struct result_set *s, const char *machine,
                                      const char *alloc, const char *trace)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i].machine, machine) && !strcmp(s->items[i].allocator, alloc)
		    && !strcmp(s->items[i].trace_name, trace))
			return &s->items[i];
	return one_machine(s) ? find(s, alloc, trace) : NULL;
}

/* "alloc" or, when the sides hold several machines, "alloc@machine". */
static int show_machines;
static const char *cell_name(const struct result *r, char *buf, size_t len)
{
	if (!show_machines)
		return r->allocator;
	snprintf(buf, len, "%s@%s", r->allocator, r->machine[0] ? r->machine : "?");
	return buf;
}

/*
 * Throughput measured on two machines says as much about the machines as
 * about the allocators: refuse it unless --reference divides each side by an
 * allocator measured beside it (or only memory is compared).
 */
static int check_same_machines(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct result *b = rows[i].base, *c = rows[i].cur;
		if (!b || !c || !strcmp(b->machine, c->machine))
			continue;
		fprintf(stderr, "bench: compare: %s on %s ran on machine '%s' in BASELINE and on "
		        "'%s' in CURRENT: throughput from different machines is not comparable; "
		        "normalise it with --reference ALLOC (an allocator measured in both), or "
		        "compare memory only with --only-memory (name identical machines alike "
		        "with HEAPLAB_MACHINE)\n", b->allocator, b->trace_name,
		        b->machine[0] ? b->machine : "unknown", c->machine[0] ? c->machine : "unknown");
		return -1;
	}
	return 0;
}

/* Two results of one side for the same cell make the comparison ambiguous. */
static int check_unique(const char *side, const struct result_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = i + 1; j < s->n; j++)
			if (!strcmp(s->items[i].allocator, s->items[j].allocator) &&
			    !strcmp(s->items[i].trace_name, s->items[j].trace_name) &&
			    !strcmp(s->items[i].machine, s->items[j].machine)) {
				fprintf(stderr, "bench: compare: %s has two results for %s on %s: %s "
				        "and %s (compare one run folder with another)\n", side,
				        s->items[i].allocator, s->items[i].trace_name,
				        s->items[i].file, s->items[j].file);
				return -1;
			}
	return 0;
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	if (n >= len - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static void bytes_text(char *buf, size_t len, uint64_t n)
{
	if (n < 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else if (n < (1u << 20))
		snprintf(buf, len, "%.2f KiB", (double)n / 1024);
	else if (n < (1u << 30))
		snprintf(buf, len, "%.2f MiB", (double)n / (1 << 20));
	else
		snprintf(buf, len, "%.2f GiB", (double)n / (1 << 30));
}

static void compare_memory(const struct compare_options *o, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	uint64_t bv, cv;
	double allowed;
	const char *what;

	if (b->has_peak_break && c->has_peak_break) {
		bv = b->peak_break, cv = c->peak_break, allowed = o->max_growth, what = "break";
	} else if (b->has_peak_rss && c->has_peak_rss) {
		bv = b->peak_rss, cv = c->peak_rss;
		allowed = o->max_growth + o->rss_tolerance, what = "RSS";
	} else {
		snprintf(w->mem, sizeof w->mem, "no common figure");
		return;
	}
	char bt[32], ct[32];
	bytes_text(bt, sizeof bt, bv);
	bytes_text(ct, sizeof ct, cv);
	if (bv == cv) {
		snprintf(w->mem, sizeof w->mem, "%s %s (same)", what, bt);
		return;
	}
	long long delta = (long long)(cv - bv);
	double pct = bv ? 100.0 * (double)delta / (double)bv : INFINITY;
	if (llabs(delta) < 1024)
		snprintf(w->mem, sizeof w->mem, "%s %s -> %s (%+lld B, %+.2f%%)", what, bt, ct,
		         delta, pct);
	else
		snprintf(w->mem, sizeof w->mem, "%s %s -> %s (%+.2f%%)", what, bt, ct, pct);
	/* Exact for the deterministic figures: with 0% allowed, one byte more fails. */
	int grew = allowed == 0 ? cv > bv : (double)cv > (double)bv * (1 + allowed);
	if (grew) {
		w->fail = 1;
		append(w->note, sizeof w->note, "%speak %s grew %+.2f%% (allowed %.2f%%)",
		       w->note[0] ? "; " : "", what, pct, 100 * allowed);
	}
}

/* Reference figures of one side for trace `trace`, or NULL (note why in w). */
static const struct result *reference_of(const struct compare_options *o,
                                         const struct result_set *s, const char *side,
                                         const struct result *cell, struct row *w)
{
	const char *trace = cell->trace_name;
	const struct result *r = find_cell(s, cell->machine, o->reference, trace);
	if (!r || !r->has_throughput || strcmp(r->status, "ok")) {
		w->fail = 1;
		append(w->note, sizeof w->note, "%sno usable %s result in %s to normalise by",
		       w->note[0] ? "; " : "", o->reference, side);
		return NULL;
	}
	return r;
}

static void compare_throughput(const struct compare_options *o, const struct result_set *bs,
                               const struct result_set *cs, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	if (!b->has_throughput || !c->has_throughput) {
		snprintf(w->tput, sizeof w->tput, "not measured");
		return;
	}
	double b_med = b->ops_median, c_med = c->ops_median;
	double b_lo = b->ops_min, c_hi = c->ops_max;
	const char *unit = "Mops/s";
	double scale = 1e-6;

	if (o->reference) {
		if (!strcmp(b->allocator, o->reference)) {
			snprintf(w->tput, sizeof w->tput, "%.2f -> %.2f Mops/s (reference)",
			         b_med / 1e6, c_med / 1e6);
			return;
		}
		const struct result *br = reference_of(o, bs, "BASELINE", b, w);
		const struct result *cr = reference_of(o, cs, "CURRENT", c, w);
		if (!br || !cr)
			return;
		if (br->ops_median <= 0 || br->ops_max <= 0 || cr->ops_median <= 0 || cr->ops_min <= 0) {
			w->fail = 1;
			append(w->note, sizeof w->note, "%s%s throughput is 0", w->note[0] ? "; " : "",
			       o->reference);
			return;
		}
		b_med /= br->ops_median, c_med /= cr->ops_median;
		b_lo /= br->ops_max, c_hi /= cr->ops_min;
		unit = "x ref";
		scale = 1;
	}
	double ratio = b_med > 0 ? c_med / b_med : INFINITY;
	snprintf(w->tput, sizeof w->tput, "%.2f -> %.2f %s (%.2fx)", b_med * scale, c_med * scale,
	         unit, ratio);
	if (c_hi < b_lo * (1 - o->max_slowdown)) {
		w->fail = 1;
		append(w->note, sizeof w->note, "%sslower: best current %.3g < worst baseline %.3g "
		       "less %.0f%%", w->note[0] ? "; " : "", c_hi * scale, b_lo * scale,
		       100 * o->max_slowdown);
	} else if (ratio < 1 - o->max_slowdown) {
		append(w->note, sizeof w->note, "%smedian %.2fx, but within the runs' spread "
		       "(more runs would tell)", w->note[0] ? "; " : "", ratio);
	}
}

static void compare_program_cell(const struct compare_options *o, const struct result_set *bs,
                                 const struct result_set *cs, struct row *w);

static void compare_cell(const struct compare_options *o, const struct result_set *bs,
                         const struct result_set *cs, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	w->compared = 1;
	if (!strcmp(b->status, c->status))
		snprintf(w->status, sizeof w->status, "%s", c->status);
	else
		snprintf(w->status, sizeof w->status, "%s -> %s", b->status, c->status);
	if (b->sha256[0] && c->sha256[0] && strcmp(b->sha256, c->sha256)) {
		fprintf(stderr, "bench: compare: warning: %s: the trace's content differs between "
		        "%s and %s (sha256 %.12s... vs %.12s...)\n", b->trace_name, b->file, c->file,
		        b->sha256, c->sha256);
		append(w->note, sizeof w->note, "trace content differs");
	}
	if (!strcmp(b->status, "ok") && strcmp(c->status, "ok")) {
		w->fail = 1;
		append(w->note, sizeof w->note, "%sstatus regressed to %s", w->note[0] ? "; " : "",
		       c->status);
		snprintf(w->tput, sizeof w->tput, "-");
		snprintf(w->mem, sizeof w->mem, "-");
		return;
	}
	if (strcmp(b->status, "ok")) {
		append(w->note, sizeof w->note, "%sbaseline was %s: not compared",
		       w->note[0] ? "; " : "", b->status);
		snprintf(w->tput, sizeof w->tput, "-");
		snprintf(w->mem, sizeof w->mem, "-");
		return;
	}
	if (b->is_program || c->is_program) {
		compare_program_cell(o, bs, cs, w);
		return;
	}
	compare_memory(o, w);
	if (o->only_memory)
		snprintf(w->tput, sizeof w->tput, "not checked");
	else
		compare_throughput(o, bs, cs, w);
}

/*
 * ---- program cells (bench run; docs/run.md) ----
 *
 * A whole program is not deterministic to the byte (threads, hash seeds,
 * the environment), so its memory - peak break for built-ins, else peak RSS
 * (ru_maxrss) - gets the RSS tolerance on top of --max-memory-growth.  Time
 * is the wall time, judged like throughput: a regression only when the best
 * current run is slower than the worst baseline run by more than
 * --max-slowdown; with --reference, each side's times are first divided by
 * the reference allocator's on the same program in the same run.
 */
static const struct result *program_reference(const struct compare_options *o,
                                              const struct result_set *s, const char *side,
                                              const char *name, struct row *w)
{
	const struct result *r = find(s, o->reference, name);
	if (!r || !r->is_program || !r->program->has_figures || strcmp(r->status, "ok") ||
	    r->program->wall_min <= 0) {
		w->fail = 1;
		append(w->note, sizeof w->note, "%sno usable %s result in %s to normalise by",
		       w->note[0] ? "; " : "", o->reference, side);
		return NULL;
	}
	return r;
}

static void compare_program_cell(const struct compare_options *o, const struct result_set *bs,
                                 const struct result_set *cs, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	if (!b->is_program || !c->is_program) {
		snprintf(w->tput, sizeof w->tput, "-");
		snprintf(w->mem, sizeof w->mem, "-");
		w->fail = 1;
		append(w->note, sizeof w->note, "%sa program cell on one side, a trace cell on the "
		       "other", w->note[0] ? "; " : "");
		return;
	}
	if (!b->program->has_figures || !c->program->has_figures) {
		snprintf(w->tput, sizeof w->tput, "not measured");
		snprintf(w->mem, sizeof w->mem, "not measured");
		return;
	}
	/* memory, with the tolerance of a real program */
	struct compare_options loose = *o;
	loose.max_growth = o->max_growth + o->rss_tolerance;
	loose.rss_tolerance = 0;
	struct result bb = *b, cc = *c;
	if (!(b->has_peak_break && c->has_peak_break))
		bb.has_peak_break = cc.has_peak_break = 0;
	struct row tmp = *w;
	tmp.base = &bb, tmp.cur = &cc;
	compare_memory(&loose, &tmp);
	memcpy(w->mem, tmp.mem, sizeof w->mem);
	memcpy(w->note, tmp.note, sizeof w->note);
	w->fail |= tmp.fail;

	if (o->only_memory) {
		snprintf(w->tput, sizeof w->tput, "not checked");
		return;
	}
	double b_med = b->program->wall_median, c_med = c->program->wall_median;
	double b_worst = b->program->wall_max, c_best = c->program->wall_min;
	const char *unit = "s";
	if (o->reference) {
		if (!strcmp(b->allocator, o->reference)) {
			snprintf(w->tput, sizeof w->tput, "%.3f -> %.3f s (reference)", b_med, c_med);
			return;
		}
		const struct result *br = program_reference(o, bs, "BASELINE", b->trace_name, w);
		const struct result *cr = program_reference(o, cs, "CURRENT", c->trace_name, w);
		if (!br || !cr)
			return;
		b_med /= br->program->wall_median, c_med /= cr->program->wall_median;
		b_worst /= br->program->wall_min, c_best /= cr->program->wall_max;
		unit = "x ref";
	}
	double ratio = b_med > 0 ? c_med / b_med : INFINITY;
	snprintf(w->tput, sizeof w->tput, "%.3f -> %.3f %s wall (%.2fx)", b_med, c_med, unit, ratio);
	if (c_best > b_worst / (1 - o->max_slowdown)) {
		w->fail = 1;
		append(w->note, sizeof w->note, "%sslower: best current %.3g > worst baseline %.3g "
		       "plus %.0f%%", w->note[0] ? "; " : "", c_best, b_worst, 100 * o->max_slowdown);
	} else if (ratio > 1 / (1 - o->max_slowdown)) {
		append(w->note, sizeof w->note, "%smedian %.2fx, but within the runs' spread "
		       "(more runs would tell)", w->note[0] ? "; " : "", ratio);
	}
}

static void print_text(const struct row *rows, size_t n)
{
	static const char *const head[] = {
		"", "allocator", "trace", "status", "throughput", "memory (peak)", "note",
	};
	size_t wd[7];
	for (int k = 0; k < 7; k++)
		wd[k] = strlen(head[k]);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct result *r = w->cur ? w->cur : w->base;
		char name[2 * RESULT_NAME_MAX];
		const char *cols[7] = { w->fail ? "FAIL" : "ok", cell_name(r, name, sizeof name),
		                        r->trace_name, w->status, w->tput, w->mem, w->note };
		for (int k = 0; k < 7; k++)
			if (strlen(cols[k]) > wd[k])
				wd[k] = strlen(cols[k]);
	}
	for (int k = 0; k < 7; k++)
		printf(k < 6 ? "%-*s  " : "%-*s\n", k < 6 ? (int)wd[k] : 0, head[k]);
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct result *r = w->cur ? w->cur : w->base;
		char name[2 * RESULT_NAME_MAX];
		const char *cols[7] = { w->fail ? "FAIL" : "ok", cell_name(r, name, sizeof name),
		                        r->trace_name, w->status, w->tput, w->mem, w->note };
		for (int k = 0; k < 6; k++)
			printf("%-*s  ", (int)wd[k], cols[k]);
		printf("%s\n", cols[6]);
	}
}

/* Markdown cell text: '|' would end the cell. */
static void md(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

static void print_markdown(const struct row *rows, size_t n)
{
	puts("| | allocator | trace | status | throughput | memory (peak) | note |");
	puts("|---|---|---|---|---|---|---|");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct result *r = w->cur ? w->cur : w->base;
		char name[2 * RESULT_NAME_MAX];
		const char *cols[6] = { cell_name(r, name, sizeof name), r->trace_name, w->status,
		                        w->tput, w->mem, w->note };
		fputs(w->fail ? "| ❌ " : "| ✅ ", stdout);
		for (int k = 0; k < 6; k++) {
			fputs("| ", stdout);
			md(cols[k][0] ? cols[k] : " ");
			putchar(' ');
		}
		puts("|");
	}
}

/* "10%", "10", "2.5%": a fraction in [0, max]. */
static int parse_percent(const char *opt, const char *text, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end != text && *end == '%')
		end++;
	if (end == text || *end || errno || !isfinite(v) || v < 0 || v > max * 100) {
		fprintf(stderr, "bench: compare: %s: '%s' is not a percentage from 0%% to %.0f%%\n",
		        opt, text, max * 100);
		return -1;
	}
	*out = v / 100;
	return 0;
}

static void compare_usage(FILE *f)
{
	fputs("usage: bench compare [options] BASELINE CURRENT\n"
	      "       bench compare [options] BASELINE... -- CURRENT...\n"
	      "\n"
	      "Compares two sets of heaplab results (files or folders) cell by cell\n"
	      "(allocator x trace file name) and exits 1 when a cell regressed.\n"
	      "\n"
	      "options:\n"
	      "  --max-slowdown P       a slowdown beyond P fails (default 10%): only when the\n"
	      "                         best current run is slower than the worst baseline run\n"
	      "  --max-memory-growth P  peak break (exact) or peak RSS growth beyond P fails\n"
	      "                         (default 0%)\n"
	      "  --rss-tolerance P      extra growth allowed for peak RSS (default 5%)\n"
	      "  --reference ALLOC      compare throughput relative to ALLOC in the same run\n"
	      "                         (required when the sides ran on different machines)\n"
	      "  --only-memory          check status and memory only (noisy machines, CI)\n"
	      "  --allow-missing        a baseline cell missing from CURRENT is not a failure\n"
	      "  --format text|markdown markdown: a table for a pull-request comment\n"
	      "\n"
	      "A cell whose status was ok and is not any more always fails.  A cell is\n"
	      "(machine, allocator, trace): sides may hold folders of several hosts.\n"
	      "exit status: 0 no regression, 1 a regression, 2 bad usage or input\n", f);
}

/*
 * BASELINE CURRENT, or BASELINE... -- CURRENT... (each side several folders,
 * gathered from several hosts).  Returns 0 or -1 after a message.
 */
static int sides_split(int argc, char **argv, int first, int *nbase, int *cur_at, int *ncur)
{
	int sep = -1;
	for (int i = first; i < argc && sep < 0; i++)
		if (!strcmp(argv[i], "--"))
			sep = i;
	if (sep < 0 && argc - first == 2)
		return 0;
	if (sep > first && sep < argc - 1) {
		*nbase = sep - first;
		*cur_at = sep + 1;
		*ncur = argc - sep - 1;
		return 0;
	}
	fputs("bench: compare: expected BASELINE and CURRENT, or BASELINE... -- CURRENT... "
	      "(see bench compare --help)\n", stderr);
	return -1;
}

int compare_main(int argc, char **argv)
{
	enum { O_SLOW = 256, O_GROWTH, O_RSS, O_REF, O_MISSING, O_MEM, O_FORMAT };
	static const struct option opts[] = {
		{ "allow-missing", no_argument, NULL, O_MISSING },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ "max-memory-growth", required_argument, NULL, O_GROWTH },
		{ "max-slowdown", required_argument, NULL, O_SLOW },
		{ "only-memory", no_argument, NULL, O_MEM },
		{ "reference", required_argument, NULL, O_REF },
		{ "rss-tolerance", required_argument, NULL, O_RSS },
		{ NULL, 0, NULL, 0 },
	};
	struct compare_options o = { .max_slowdown = 0.10, .rss_tolerance = 0.05 };
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': compare_usage(stdout); return commands_finish_stdout(EXIT_OK);
		case O_SLOW:
			if (parse_percent("--max-slowdown", optarg, 0.99, &o.max_slowdown))
				return EXIT_USAGE;
			break;
		case O_GROWTH:
			if (parse_percent("--max-memory-growth", optarg, 100, &o.max_growth))
				return EXIT_USAGE;
			break;
		case O_RSS:
			if (parse_percent("--rss-tolerance", optarg, 100, &o.rss_tolerance))
				return EXIT_USAGE;
			break;
		case O_REF: o.reference = optarg; break;
		case O_MISSING: o.allow_missing = 1; break;
		case O_MEM: o.only_memory = 1; break;
		case O_FORMAT:
			if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
				o.markdown = 1;
			else if (!strcmp(optarg, "text"))
				o.markdown = 0;
			else {
				fprintf(stderr, "bench: compare: --format: '%s' is not text or markdown\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case ':':
			fprintf(stderr, "bench: compare: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: compare: unknown option '%s' (see bench compare --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	int nbase = 1, cur_at = optind + 1, ncur = 1;
	if (sides_split(argc, argv, optind, &nbase, &cur_at, &ncur))
		return EXIT_USAGE;
	struct result_set bs = { 0 }, cs = { 0 };
	struct row *rows = NULL;
	int code = results_from_args("compare", nbase, argv + optind, &bs);
	if (!code)
		code = results_from_args("compare", ncur, argv + cur_at, &cs);
	if (!code && (check_unique("BASELINE", &bs) || check_unique("CURRENT", &cs)))
		code = EXIT_USAGE;
	/* An empty baseline would pass everything: a wrong path must not look green. */
	if (!code && !bs.n) {
		fprintf(stderr, "bench: compare: %s: no heaplab results in BASELINE\n", argv[optind]);
		code = EXIT_USAGE;
	}
	if (!code && o.reference && !o.only_memory) {
		int seen = 0;
		for (size_t i = 0; i < bs.n; i++)
			seen |= !strcmp(bs.items[i].allocator, o.reference);
		if (!seen) {
			fprintf(stderr, "bench: compare: --reference %s: BASELINE has no result of "
			        "that allocator\n", o.reference);
			code = EXIT_USAGE;
		}
	}
	if (!code && !(rows = calloc(bs.n + cs.n + 1, sizeof *rows))) {
		fputs("bench: compare: out of memory\n", stderr);
		code = EXIT_SYSTEM;
	}
	if (code)
		goto out;

	show_machines = !one_machine(&bs) || !one_machine(&cs);
	if (!o.only_memory && !o.reference) {
		for (size_t i = 0; i < bs.n; i++) {
			rows[i].base = &bs.items[i];
			rows[i].cur = find_cell(&cs, bs.items[i].machine, bs.items[i].allocator,
			                        bs.items[i].trace_name);
		}
		if (check_same_machines(rows, bs.n)) {
			code = EXIT_USAGE;
			goto out;
		}
		memset(rows, 0, bs.n * sizeof *rows);
	}

	size_t n = 0, failed = 0, compared = 0;
	for (size_t i = 0; i < bs.n; i++) {
		struct row *w = &rows[n++];
		w->base = &bs.items[i];
		w->cur = find_cell(&cs, w->base->machine, w->base->allocator, w->base->trace_name);
		if (w->cur) {
			compare_cell(&o, &bs, &cs, w);
			if (strcmp(w->base->machine, w->cur->machine))
				append(w->note, sizeof w->note, "%smachine %s -> %s",
				       w->note[0] ? "; " : "", w->base->machine, w->cur->machine);
			compared++;
		} else {
			snprintf(w->status, sizeof w->status, "%s -> missing", w->base->status);
			snprintf(w->note, sizeof w->note, "missing in CURRENT%s",
			         o.allow_missing ? " (allowed)" : "");
			w->fail = !o.allow_missing;
		}
	}
	for (size_t i = 0; i < cs.n; i++) {
		if (find_cell(&bs, cs.items[i].machine, cs.items[i].allocator,
		              cs.items[i].trace_name))
			continue;
		struct row *w = &rows[n++];
		w->cur = &cs.items[i];
		snprintf(w->status, sizeof w->status, "new: %s", w->cur->status);
		snprintf(w->note, sizeof w->note, "not in BASELINE");
	}
	for (size_t i = 0; i < n; i++)
		failed += rows[i].fail;

	char limits[160];
	snprintf(limits, sizeof limits, "max slowdown %.4g%%%s%s, max memory growth %.4g%%, "
	         "RSS tolerance %.4g%%", 100 * o.max_slowdown, o.reference ? " vs " : "",
	         o.reference ? o.reference : "", 100 * o.max_growth, 100 * o.rss_tolerance);
	if (o.only_memory)
		snprintf(limits, sizeof limits, "memory only: max growth %.4g%%, RSS tolerance "
		         "%.4g%%", 100 * o.max_growth, 100 * o.rss_tolerance);
	if (o.markdown) {
		print_markdown(rows, n);
		if (failed)
			printf("\n**❌ Regression: %zu of %zu cells failed** (%s)\n", failed, n, limits);
		else
			printf("\n**✅ No regression** in %zu compared cells (%s)\n", compared, limits);
	} else {
		print_text(rows, n);
		if (failed)
			printf("\ncompare: REGRESSION: %zu of %zu cells failed (%s)\n", failed, n, limits);
		else
			printf("\ncompare: no regression in %zu compared cells (%s)\n", compared, limits);
	}
	code = commands_finish_stdout(failed ? EXIT_CHECK : EXIT_OK);
out:
	free(rows);
	result_set_free(&bs);
	result_set_free(&cs);
	return code;
}
