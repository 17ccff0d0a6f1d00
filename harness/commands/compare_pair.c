/* compare_pair.c - bench compare --pair (see compare_pair.h). */
#include "compare_pair.h"

#include "commands.h"
#include "compare_out.h"
#include "../core/exitcodes.h"
#include "../results/reader.h"
#include "../core/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The estimate, a bound with its % sign: "+12.3%", or "?". */
static void pct(char *buf, size_t len, double ratio)
{
	compare_bound_text(buf, len, ratio);
	if (strcmp(buf, "?"))
		snprintf(buf + strlen(buf), len - strlen(buf), "%%");
}

static const struct result *partner(const struct result_set *s, const struct result *a,
                                    const char *alloc)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct result *r = &s->items[i];
		if (!r->is_program && !strcmp(r->allocator, alloc) &&
		    !strcmp(r->machine, a->machine) && !strcmp(r->trace_name, a->trace_name))
			return r;
	}
	return NULL;
}

/* The samples to pair: CPU time unless asked for wall or one side lacks it. */
static const double *pick(const struct result *r, int cpu, size_t *n)
{
	*n = cpu ? r->n_samples_cpu_ns : r->n_samples_ns;
	const double *x = cpu ? r->samples_cpu_ns : r->samples_ns;
	for (size_t i = 0; i < *n; i++)
		if (!(x[i] > 0))
			return NULL;
	return *n ? x : NULL;
}

struct prow {
	const char *name;  /* the trace's whole name (markdown) */
	char trace[24];
	char change[48];
	char p[12];
	char verdict[12];
	char note[160];
	int  fail, judged;
};

static void judge(const struct pair_options *o, const struct result *a,
                  const struct result *b, struct prow *w, const char **basis)
{
	snprintf(w->change, sizeof w->change, "-");
	snprintf(w->p, sizeof w->p, "-");
	if (!b) {
		w->fail = 1;
		snprintf(w->verdict, sizeof w->verdict, "FAIL");
		snprintf(w->note, sizeof w->note, "no result of the second allocator");
		return;
	}
	if (strcmp(a->status, "ok") || strcmp(b->status, "ok")) {
		w->fail = !strcmp(a->status, "ok");
		snprintf(w->verdict, sizeof w->verdict, w->fail ? "FAIL" : "-");
		snprintf(w->note, sizeof w->note, "status %.30s -> %.30s", a->status, b->status);
		return;
	}
	if (!a->interleaved || !b->interleaved) {
		snprintf(w->verdict, sizeof w->verdict, "-");
		snprintf(w->note, sizeof w->note, "not from one interleaved suite: not judged");
		return;
	}
	size_t na, nb;
	int cpu = !o->wall && pick(a, 1, &na) && pick(b, 1, &nb);
	const double *x = pick(a, cpu, &na), *y = pick(b, cpu, &nb);
	double p = 1, est = NAN, lo = 0, hi = INFINITY;
	if (!x || !y || na != nb || stats_signed_rank(x, y, na, &p, NULL) ||
	    stats_paired_ratio(x, y, na, o->alpha, &est, &lo, &hi)) {
		snprintf(w->verdict, sizeof w->verdict, "-");
		snprintf(w->note, sizeof w->note, "no paired timing samples (%zu vs %zu)",
		         x ? na : 0, y ? nb : 0);
		return;
	}
	*basis = cpu ? "CPU" : "wall";
	char e[16], l[16], h[16];
	pct(e, sizeof e, est);
	compare_bound_text(l, sizeof l, lo);
	compare_bound_text(h, sizeof h, hi);
	snprintf(w->change, sizeof w->change, "%.12s [%.12s, %.12s]", e, l, h);
	if (stats_paired_min_p(na) >= o->alpha) {
		snprintf(w->verdict, sizeof w->verdict, "-");
		snprintf(w->note, sizeof w->note, "%zu rounds cannot reach p < %.3g: not judged",
		         na, o->alpha);
		return;
	}
	w->judged = 1;
	snprintf(w->p, sizeof w->p, p < 0.001 ? "%.0e" : "%.3f", p);
	if (p < o->alpha && est > 1 + o->min_effect) {
		w->fail = 1;
		snprintf(w->verdict, sizeof w->verdict, "SLOWER");
	} else if (p < o->alpha && est < 1 / (1 + o->min_effect)) {
		snprintf(w->verdict, sizeof w->verdict, "faster");
	} else {
		snprintf(w->verdict, sizeof w->verdict, "ok");
		if (p < o->alpha && est > 1)
			snprintf(w->note, sizeof w->note, "slower, but under the %.4g%% minimum "
			         "effect (--min-effect)", 100 * o->min_effect);
	}
}

/* The table, the verdict and the rule, as text (80 columns). */
static void print_text(const struct pair_options *o, const struct prow *rows, size_t n,
                       size_t failed, size_t judged, const char *base, const char *cur,
                       const char *basis)
{
	printf("%s vs %s, paired rounds (time/op of %s, change [CI])\n", cur, base,
	       basis ? basis : "-");
	printf("%-22s %-26s %-7s %s\n", "trace", "change [CI]", "p", "verdict");
	for (size_t i = 0; i < n; i++) {
		printf("%-22s %-26s %-7s %s\n", rows[i].trace, rows[i].change, rows[i].p,
		       rows[i].verdict);
		if (rows[i].note[0])
			printf("    %s\n", rows[i].note);
	}
	if (failed)
		printf("\ncompare: REGRESSION: %zu of %zu cells failed\n", failed, n);
	else
		printf("\ncompare: no regression in %zu cells (%zu judged)\n", n, judged);
	printf("rules: signed-rank p < %.3g and > %.4g%% slower, per-round ratios\n",
	       o->alpha, 100 * o->min_effect);
}

/*
 * The same rows as a markdown table for a pull-request comment, marked as
 * plain compare marks its rows: ❌ failed, ✅ judged and passed, ⚠️ not
 * judged (the note says why).
 */
static void print_markdown(const struct pair_options *o, const struct prow *rows, size_t n,
                           size_t failed, size_t judged, const char *base, const char *cur,
                           const char *basis)
{
	printf("%s vs %s, paired rounds: change of %s%stime/op, with its interval at "
	       "%.4g%%\n\n", cur, base, basis ? basis : "", basis ? " " : "",
	       100 * (1 - o->alpha));
	puts("| | trace | change [CI] | p | verdict | note |");
	puts("|---|---|---|---|---|---|");
	for (size_t i = 0; i < n; i++) {
		const struct prow *w = &rows[i];
		const char *cols[5] = { w->name, w->change, w->p, w->verdict, w->note };
		compare_md_mark(w->fail, !w->judged);
		for (int k = 0; k < 5; k++) {
			fputs("| ", stdout);
			compare_md_cell(cols[k][0] ? cols[k] : " ");
			putchar(' ');
		}
		puts("|");
	}
	char passed[64];
	snprintf(passed, sizeof passed, "in %zu cells (%zu judged)", n, judged);
	compare_md_verdict(failed, n, passed);
	printf("\nRules: signed-rank p < %.3g and > %.4g%% slower, per-round ratios.\n",
	       o->alpha, 100 * o->min_effect);
}

int compare_pair(const struct pair_options *o, int argc, char **argv)
{
	char base[RESULT_NAME_MAX], cur[RESULT_NAME_MAX];
	const char *comma = strchr(o->pair, ',');
	if (!comma || comma == o->pair || !comma[1] || strchr(comma + 1, ',') ||
	    (size_t)(comma - o->pair) >= sizeof base || strlen(comma + 1) >= sizeof cur) {
		fprintf(stderr, "bench: compare: --pair: '%s' is not BASE,CURRENT (two "
		        "allocator names)\n", o->pair);
		return EXIT_USAGE;
	}
	snprintf(base, sizeof base, "%.*s", (int)(comma - o->pair), o->pair);
	snprintf(cur, sizeof cur, "%s", comma + 1);
	if (!strcmp(base, cur)) {
		fprintf(stderr, "bench: compare: --pair: the same allocator twice (%s)\n", base);
		return EXIT_USAGE;
	}
	if (argc < 1) {
		fputs("bench: compare: --pair needs RESULTS (files or folders of one "
		      "interleaved suite)\n", stderr);
		return EXIT_USAGE;
	}
	struct result_set s = { 0 };
	int code = results_from_args("compare", argc, argv, &s);
	if (code)
		return code;
	size_t nrows = 0;
	for (size_t i = 0; i < s.n; i++)
		nrows += !s.items[i].is_program && !strcmp(s.items[i].allocator, base);
	if (!nrows) {
		fprintf(stderr, "bench: compare: --pair: no results of %s in RESULTS\n", base);
		result_set_free(&s);
		return EXIT_USAGE;
	}
	/* rounds pair up only within one suite: one result per (allocator, cell) */
	for (size_t i = 0; i < s.n; i++) {
		const struct result *a = &s.items[i];
		if (a->is_program || (strcmp(a->allocator, base) && strcmp(a->allocator, cur)))
			continue;
		for (size_t j = i + 1; j < s.n; j++) {
			const struct result *b = &s.items[j];
			if (!b->is_program && !strcmp(a->allocator, b->allocator) &&
			    !strcmp(a->machine, b->machine) && !strcmp(a->trace_name, b->trace_name)) {
				fprintf(stderr, "bench: compare: --pair: %s and %s are both %s on %s; "
				        "give the results of one suite\n", a->file, b->file,
				        a->allocator, a->trace_name);
				result_set_free(&s);
				return EXIT_USAGE;
			}
		}
	}
	struct prow *rows = calloc(nrows, sizeof *rows);
	if (!rows) {
		fputs("bench: compare: out of memory\n", stderr);
		result_set_free(&s);
		return EXIT_SYSTEM;
	}
	size_t n = 0, failed = 0, judged = 0;
	const char *basis = NULL;
	for (size_t i = 0; i < s.n; i++) {
		const struct result *a = &s.items[i];
		if (a->is_program || strcmp(a->allocator, base))
			continue;
		struct prow *w = &rows[n++];
		w->name = a->trace_name;
		snprintf(w->trace, sizeof w->trace, "%.*s%s", strlen(a->trace_name) > 22 ? 20 : 22,
		         a->trace_name, strlen(a->trace_name) > 22 ? ".." : "");
		const char *bs = NULL;
		judge(o, a, partner(&s, a, cur), w, &bs);
		if (bs)
			basis = !basis || !strcmp(basis, bs) ? bs : "CPU/wall";
		failed += w->fail;
		judged += w->judged;
	}
	if (o->markdown)
		print_markdown(o, rows, n, failed, judged, base, cur, basis);
	else
		print_text(o, rows, n, failed, judged, base, cur, basis);
	free(rows);
	result_set_free(&s);
	return finish_stdout(failed ? EXIT_CHECK : EXIT_OK);
}
