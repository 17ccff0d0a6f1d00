/*
 * compare.c - `bench compare BASELINE CURRENT`: match the cells of two sets of
 * results and fail (exit 1) on a regression (docs/results.md).
 *
 * Cells match by (allocator name, trace file name); a trace whose sha256
 * differs between the sides is warned about (the comparison still runs, but
 * its figures mean little).  Rules, each a failure when broken:
 *   - status: a cell that was "ok" must still be "ok";
 *   - failures: a cell must not fail more allocations or skip more ops than
 *     in the baseline (a heap limit that now bites is a regression, and its
 *     throughput, for less work, is not comparable);
 *   - memory: built-in allocators' peak break is deterministic, so it is
 *     compared exactly (growth above --max-memory-growth, default 0%); when
 *     a side has no break (a peer), peak RSS is compared with an extra
 *     --rss-tolerance (default 5%) for the kernel's and libc's own noise;
 *   - cost (unless --only-memory): when both sides carry an instruction
 *     count per op (`bench --count`), it is deterministic and compared
 *     exactly: growth beyond --max-instructions-growth (default 1%) fails;
 *   - time (unless --only-memory): otherwise the timed passes of both sides
 *     (CPU time per op when both have it, else wall time) go through the
 *     Mann-Whitney U test (harness/core/stats.h); a slowdown fails only when it
 *     is significant (two-sided p < --alpha, default 0.01) AND its estimate
 *     (Hodges-Lehmann ratio) exceeds --min-effect (default 5%) AND 3x the
 *     run-to-run noise measured across the cells (--run-noise).  With
 *     --reference ALLOC each pass is first divided by ALLOC's median on the
 *     same trace in the same run, which cancels a faster or slower machine;
 *   - a baseline cell missing from the current results (unless --allow-missing).
 * Each cell reports its effect with the 1 - alpha interval and p, so a
 * reader sees how sure the verdict is, not just pass or fail.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include "compare_out.h"
#include "compare_pair.h"
#include "../core/exitcodes.h"
#include "../core/stats.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct compare_options {
	double      min_effect;     /* fraction: smaller slowdowns never fail (5%)   */
	double      alpha;          /* significance level of the two-sided test      */
	double      max_instr;      /* fraction of instruction growth allowed (1%)   */
	double      noise_k;        /* a slowdown must exceed k x run-to-run noise   */
	double      max_growth;     /* fraction of memory growth allowed            */
	double      rss_tolerance;  /* extra fraction for peak RSS                  */
	const char *reference;      /* allocator to normalise throughput by, or NULL */
	int         allow_missing;  /* a cell missing in CURRENT is not a failure   */
	int         only_memory;    /* skip throughput                              */
	int         wall;           /* --time wall: ignore CPU-time samples          */
	int         markdown;       /* --format markdown                            */
	int         time_gate;      /* --time-gate: a time slowdown fails the cell   */
};

/* How a cell's throughput was judged (for the table and the verdict's tally). */
enum basis { BASIS_NONE, BASIS_INSTR, BASIS_CPU, BASIS_WALL };
static const char *const basis_name[] = { "-", "instr", "cpu", "wall" };

/* One row of the output. */
struct row {
	const struct result *base, *cur;  /* either may be NULL              */
	int  fail;                        /* this cell regressed              */
	int  slow;                        /* slower by time, reported only
	                                     (without --time-gate)           */
	int  compared;                    /* both sides present               */
	int  unjudged;                    /* throughput: too few runs to say  */
	int  timed;                       /* time was judged: est and p hold  */
	double est, p_value;              /* Hodges-Lehmann ratio, its p      */
	enum basis basis;
	char status[80];
	char effect[64];                  /* "+12.3% [+9.8, +15.1]", "n/c"     */
	char p[16];                       /* "0.008", "exact", "-"             */
	char mem[24];                     /* "same", "+0.01%", "-"             */
	char note[768];                   /* lines separated by '\n'          */
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
 * Whether a cell's throughput is judged by instruction counts: both sides
 * counted them (bench --count), by the same method (hardware counters and
 * callgrind do not count alike).
 */
static int counted_alike(const struct result *b, const struct result *c)
{
	return b->has_cost && c->has_cost && b->instructions_per_op > 0 &&
	       c->instructions_per_op > 0 && !strcmp(b->cost_method, c->cost_method);
}

/*
 * Time measured on two machines says as much about the machines as about
 * the allocators: refuse it unless --reference divides each side by an
 * allocator measured beside it (or only memory is compared).  Instruction
 * counts of the same method do not depend on the machine's speed or load:
 * a cell both sides counted alike is compared across machines.
 */
static int check_same_machines(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct result *b = rows[i].base, *c = rows[i].cur;
		if (!b || !c || !strcmp(b->machine, c->machine) || counted_alike(b, c))
			continue;
		fprintf(stderr, "bench: compare: %s on %s ran on machine '%s' in BASELINE and on "
		        "'%s' in CURRENT: throughput from different machines is not comparable; "
		        "normalise it with --reference ALLOC (an allocator measured in both), "
		        "count instructions on both sides (bench --count), or compare memory "
		        "only with --only-memory (name identical machines alike with "
		        "HEAPLAB_MACHINE)\n", b->allocator, b->trace_name,
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

/* Add one line to the row's notes (shown under the row in text). */
static void note(struct row *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct row *w, const char *fmt, ...)
{
	size_t n = strlen(w->note);
	if (n && n < sizeof w->note - 1)
		w->note[n++] = '\n', w->note[n] = '\0';
	if (n >= sizeof w->note - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->note + n, sizeof w->note - n, fmt, ap);
	va_end(ap);
}

/* A signed percentage, short: "+0.42%", "+12.3%", "+250%", "x31.6". */
static void pct_text(char *buf, size_t len, double ratio)
{
	double pct = 100 * (ratio - 1);
	if (!isfinite(ratio))
		snprintf(buf, len, "?");
	else if (ratio >= 10)
		snprintf(buf, len, "x%.3g", ratio);
	else if (fabs(pct) < 1)
		snprintf(buf, len, "%+.2f%%", pct);
	else if (fabs(pct) < 100)
		snprintf(buf, len, "%+.1f%%", pct);
	else
		snprintf(buf, len, "%+.0f%%", pct);
}

void compare_bound_text(char *buf, size_t len, double ratio)
{
	double pct = 100 * (ratio - 1);
	if (!isfinite(ratio) || ratio <= 0)
		snprintf(buf, len, "?");
	else if (fabs(pct) < 10)
		snprintf(buf, len, "%+.1f", pct);
	else
		snprintf(buf, len, "%+.0f", pct);
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
		snprintf(w->mem, sizeof w->mem, "n/a");
		note(w, "memory: no figure on both sides");
		return;
	}
	/* the column names the figure only for peers: built-ins are break throughout */
	const char *tag = strcmp(what, "RSS") ? "" : "RSS ";
	if (bv == cv) {
		snprintf(w->mem, sizeof w->mem, "%ssame", tag);
		return;
	}
	char bt[32], ct[32], pt[16];
	bytes_text(bt, sizeof bt, bv);
	bytes_text(ct, sizeof ct, cv);
	long long delta = (long long)(cv - bv);
	double pct = bv ? 100.0 * (double)delta / (double)bv : INFINITY;
	if (fabs(pct) < 0.01)
		snprintf(pt, sizeof pt, "%+lldB", delta);
	else
		snprintf(pt, sizeof pt, "%+.2f%%", pct);
	snprintf(w->mem, sizeof w->mem, "%s%s", tag, pt);
	/* Exact for the deterministic figures: with 0% allowed, one byte more fails. */
	int grew = allowed == 0 ? cv > bv : (double)cv > (double)bv * (1 + allowed);
	if (grew) {
		w->fail = 1;
		note(w, "peak %s grew %s -> %s (%+lld B, %+.2f%%; allowed %.4g%%)", what, bt, ct,
		     delta, pct, 100 * allowed);
	} else {
		note(w, "peak %s %s -> %s (%+lld B)", what, bt, ct, delta);
	}
}

/* The samples (ns per op) of one basis, or NULL when r has none usable (a 0 is unusable). */
static const double *samples_of(const struct result *r, enum basis k, size_t *n)
{
	const double *x = k == BASIS_CPU ? r->samples_cpu_ns : r->samples_ns;
	*n = k == BASIS_CPU ? r->n_samples_cpu_ns : r->n_samples_ns;
	for (size_t i = 0; i < *n; i++)
		if (!(x[i] > 0))
			return NULL;
	return *n ? x : NULL;
}

/*
 * The timing samples of r on basis k, divided by `scale` (1, or the
 * reference's median), into a new array; an older result without a sample
 * array gives its median ns/op as its one sample.
 */
static double *timing_samples(const struct result *r, enum basis k, double scale, size_t *n)
{
	const double *x = samples_of(r, k, n);
	double one = r->ns_median;
	if (!x) {
		if (k == BASIS_CPU || !(one > 0))
			return NULL;
		x = &one, *n = 1;
	}
	double *out = malloc(*n * sizeof *out);
	if (out)
		for (size_t i = 0; i < *n; i++)
			out[i] = x[i] / scale;
	return out;
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
		note(w, "no usable %s result in %s to normalise by", o->reference, side);
		return NULL;
	}
	return r;
}

/* Instruction counts: deterministic, so compared as they are. */
static void judge_instructions(const struct compare_options *o, struct row *w)
{
	double b = w->base->instructions_per_op, c = w->cur->instructions_per_op;
	double ratio = c / b;
	w->basis = BASIS_INSTR;
	pct_text(w->effect, sizeof w->effect, ratio);
	snprintf(w->p, sizeof w->p, "exact");
	if (ratio > 1 + o->max_instr) {
		w->fail = 1;
		note(w, "more instructions: %.1f -> %.1f per op (allowed +%.4g%%)", b, c,
		     100 * o->max_instr);
	}
}

static void judge_timing(const struct compare_options *o, const struct result_set *bs,
                         const struct result_set *cs, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	size_t nb0, nc0;
	enum basis k = !o->wall && samples_of(b, BASIS_CPU, &nb0) && samples_of(c, BASIS_CPU, &nc0)
	               ? BASIS_CPU : BASIS_WALL;
	double bscale = 1, cscale = 1;
	if (o->reference) {
		const struct result *br = reference_of(o, bs, "BASELINE", b, w);
		const struct result *cr = reference_of(o, cs, "CURRENT", c, w);
		if (!br || !cr)
			goto not_judged;
		size_t n1, n2;
		if (k == BASIS_CPU && !(samples_of(br, k, &n1) && samples_of(cr, k, &n2)))
			k = BASIS_WALL;   /* the reference has wall time only */
		double *rb = timing_samples(br, k, 1, &n1), *rc = timing_samples(cr, k, 1, &n2);
		int usable = rb && rc;
		if (usable)
			bscale = stats_median(rb, n1), cscale = stats_median(rc, n2);
		free(rb);
		free(rc);
		if (!usable || !(bscale > 0) || !(cscale > 0)) {
			w->fail = 1;
			note(w, "%s has no usable timing to normalise by", o->reference);
			goto not_judged;
		}
	}
	size_t nb, nc;
	double *x = timing_samples(b, k, bscale, &nb), *y = timing_samples(c, k, cscale, &nc);
	double p = 1, est = NAN, lo = 0, hi = INFINITY;
	if (!x || !y || stats_mann_whitney(x, nb, y, nc, &p, NULL) ||
	    stats_ratio(x, nb, y, nc, o->alpha, &est, &lo, &hi)) {
		free(x);
		free(y);
		note(w, "time: no usable samples");
		goto not_judged;
	}
	free(x);
	free(y);
	w->basis = k;
	char e[16], l[16], h[16];
	pct_text(e, sizeof e, est);
	compare_bound_text(l, sizeof l, lo);
	compare_bound_text(h, sizeof h, hi);
	snprintf(w->effect, sizeof w->effect, "%s [%s, %s]", e, l, h);
	if (stats_min_p(nb, nc) >= o->alpha) {
		/* p can never reach alpha: say so rather than pass silently */
		w->unjudged = 1;
		snprintf(w->p, sizeof w->p, "-");
		return;
	}
	snprintf(w->p, sizeof w->p, p < 0.001 ? "%.0e" : "%.3f", p);
	/* the verdict waits for the run-to-run noise of all cells (judge_time_verdicts) */
	w->timed = 1;
	w->est = est;
	w->p_value = p;
	return;
not_judged:
	snprintf(w->effect, sizeof w->effect, "-");
	snprintf(w->p, sizeof w->p, "-");
}

/*
 * A counted cell's time, judged as if it had no count, shown as a note when
 * it moved by more than the minimum effect with p < alpha.  The count still
 * decides, but the two can disagree: instructions added to a loop that waits
 * on cache misses cost little time, and a change that keeps its count but
 * touches more pages costs time the count does not see.
 */
static void time_aside(const struct compare_options *o, const struct result_set *bs,
                       const struct result_set *cs, struct row *w)
{
	struct row t = *w;
	t.note[0] = '\0';
	judge_timing(o, bs, cs, &t);
	if (!t.timed || !(t.p_value < o->alpha) ||
	    !(t.est > 1 + o->min_effect || t.est < 1 / (1 + o->min_effect)))
		return;
	note(w, "time/op (%s%s%s): %s, p %s: shown, not judged (the count decides)",
	     t.basis == BASIS_CPU ? "CPU" : "wall", o->reference ? " vs " : "",
	     o->reference ? o->reference : "", t.effect, t.p);
}

static void compare_throughput(const struct compare_options *o, const struct result_set *bs,
                               const struct result_set *cs, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	snprintf(w->p, sizeof w->p, "-");
	if (!b->has_throughput || !c->has_throughput) {
		snprintf(w->effect, sizeof w->effect, "-");
		note(w, "throughput: not measured on both sides");
		return;
	}
	/* A different amount of work, or a different measurement, is not comparable. */
	const char *bt = b->touch[0] ? b->touch : "none", *ct = c->touch[0] ? c->touch : "none";
	if (strcmp(bt, ct)) {
		snprintf(w->effect, sizeof w->effect, "n/c");
		note(w, "throughput not comparable: --touch %s vs %s", bt, ct);
		return;
	}
	if (b->failed_allocations != c->failed_allocations || b->skipped_ops != c->skipped_ops) {
		snprintf(w->effect, sizeof w->effect, "n/c");
		note(w, "throughput not comparable: the runs did different work");
		return;
	}
	if (o->reference && !strcmp(b->allocator, o->reference)) {
		snprintf(w->effect, sizeof w->effect, "(reference)");
		return;
	}
	if (counted_alike(b, c)) {
		judge_instructions(o, w);
		time_aside(o, bs, cs, w);
		return;
	}
	if (b->has_cost != c->has_cost)
		note(w, "instruction count on one side only: judged by time");
	else if (b->has_cost)
		note(w, "instructions counted by %s vs %s: judged by time", b->cost_method,
		     c->cost_method);
	judge_timing(o, bs, cs, w);
}

/*
 * Run-to-run noise.  The passes of one cell run back to back and share the
 * machine's state of that moment, so two runs of the same code differ by
 * more than their passes' spread says, and the test, which takes the passes
 * as independent, calls such a shift significant.  How large these shifts
 * are is measured across the cells of the comparison itself: the spread
 * (1.4826 x the median absolute deviation, robust to a minority of cells
 * that really changed) of the cells' log ratios.  A slowdown fails only when
 * it also exceeds noise_k times that spread.  With fewer than NOISE_MIN_CELLS
 * cells the spread cannot be estimated and is not used (the footer says so).
 */
#define NOISE_MIN_CELLS 8

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The run-to-run noise (a log-ratio sigma) of the timed rows, or -1 when too few. */
static double run_noise(const struct row *rows, size_t n, size_t *cells)
{
	double *v = malloc((n ? n : 1) * sizeof *v);
	size_t k = 0;
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].timed && !rows[i].unjudged && rows[i].est > 0)
			v[k++] = log(rows[i].est);
	*cells = k;
	double sigma = -1;
	if (k >= NOISE_MIN_CELLS) {
		qsort(v, k, sizeof *v, cmp_dbl);
		double med = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
		for (size_t i = 0; i < k; i++)
			v[i] = fabs(v[i] - med);
		qsort(v, k, sizeof *v, cmp_dbl);
		sigma = 1.4826 * (k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2);
	}
	free(v);
	return sigma;
}

static void judge_time_verdicts(const struct compare_options *o, struct row *rows, size_t n,
                                double sigma)
{
	/* the smallest ratio the noise rule lets fail: exp(k sigma) */
	double noise_floor = sigma > 0 && o->noise_k > 0 ? exp(o->noise_k * sigma) : 1;
	for (size_t i = 0; i < n; i++) {
		struct row *w = &rows[i];
		if (!w->timed || w->unjudged || !(w->p_value < o->alpha) || !(w->est > 1))
			continue;
		char e[16];
		pct_text(e, sizeof e, w->est);
		if (w->est <= 1 + o->min_effect) {
			note(w, "slower by %s (significant, but under the %.4g%% minimum)", e,
			     100 * o->min_effect);
		} else if (w->est <= noise_floor) {
			note(w, "slower by %s (p %.2g), but within %g x the run-to-run noise", e,
			     w->p_value, o->noise_k);
		} else if (o->time_gate) {
			w->fail = 1;
			note(w, "slower: %s %s time per op (p %.2g < %.3g, above the %.4g%% minimum)",
			     e, basis_name[w->basis], w->p_value, o->alpha, 100 * o->min_effect);
		} else {
			w->slow = 1;
			note(w, "slower: %s %s time/op, p %.2g (reported; --time-gate fails it)", e,
			     basis_name[w->basis], w->p_value);
		}
	}
}

/* Failed allocations and skipped ops: more than in the baseline is a regression. */
static void compare_failures(struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	if (c->failed_allocations > b->failed_allocations) {
		w->fail = 1;
		note(w, "failed allocations %llu -> %llu",
		     (unsigned long long)b->failed_allocations,
		     (unsigned long long)c->failed_allocations);
	} else if (c->failed_allocations < b->failed_allocations) {
		note(w, "failed allocations %llu -> %llu (fewer)",
		     (unsigned long long)b->failed_allocations,
		     (unsigned long long)c->failed_allocations);
	}
	if (c->skipped_ops > b->skipped_ops) {
		w->fail = 1;
		note(w, "skipped ops %llu -> %llu", (unsigned long long)b->skipped_ops,
		     (unsigned long long)c->skipped_ops);
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
		note(w, "trace content differs");
	}
	snprintf(w->effect, sizeof w->effect, "-");
	snprintf(w->p, sizeof w->p, "-");
	snprintf(w->mem, sizeof w->mem, "-");
	if (!strcmp(b->status, "ok") && strcmp(c->status, "ok")) {
		w->fail = 1;
		note(w, "status regressed to %s", c->status);
		return;
	}
	if (strcmp(b->status, "ok")) {
		note(w, "baseline was %s: not compared", b->status);
		return;
	}
	compare_failures(w);
	if (b->is_program || c->is_program) {
		compare_program_cell(o, bs, cs, w);
		return;
	}
	compare_memory(o, w);
	if (o->only_memory)
		snprintf(w->effect, sizeof w->effect, "not checked");
	else
		compare_throughput(o, bs, cs, w);
}

/*
 * ---- program cells (bench run; docs/run.md) ----
 *
 * A whole program is not deterministic to the byte (threads, hash seeds,
 * the environment), so its memory - peak break for built-ins, else peak RSS
 * (ru_maxrss) - gets the RSS tolerance on top of --max-memory-growth.  Time
 * is the wall time; a program result keeps no per-run samples for the test,
 * so a regression is called only when the best current run is slower than
 * the worst baseline run by more than --min-effect; with --reference, each side's times are first divided by
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
		note(w, "no usable %s result in %s to normalise by", o->reference, side);
		return NULL;
	}
	return r;
}

static void compare_program_cell(const struct compare_options *o, const struct result_set *bs,
                                 const struct result_set *cs, struct row *w)
{
	const struct result *b = w->base, *c = w->cur;
	if (!b->is_program || !c->is_program) {
		w->fail = 1;
		note(w, "a program cell on one side, a trace cell on the other");
		return;
	}
	if (!b->program->has_figures || !c->program->has_figures) {
		note(w, "program: not measured on both sides");
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
		snprintf(w->effect, sizeof w->effect, "not checked");
		return;
	}
	double b_med = b->program->wall_median, c_med = c->program->wall_median;
	double b_worst = b->program->wall_max, c_best = c->program->wall_min;
	const char *unit = "s";
	if (o->reference) {
		if (!strcmp(b->allocator, o->reference)) {
			snprintf(w->effect, sizeof w->effect, "(reference)");
			note(w, "wall %.3f -> %.3f s", b_med, c_med);
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
	/* a program result keeps no per-run samples: its spread decides, not a test */
	w->basis = BASIS_WALL;
	pct_text(w->effect, sizeof w->effect, ratio);
	note(w, "program: %.3f -> %.3f %s wall (%.2fx)", b_med, c_med, unit, ratio);
	if (c_best > b_worst / (1 - o->min_effect)) {
		w->fail = 1;
		note(w, "slower: best current %.3g > worst baseline %.3g plus %.0f%%", c_best,
		     b_worst, 100 * o->min_effect);
	} else if (ratio > 1 / (1 - o->min_effect)) {
		note(w, "median %.2fx, but within the runs' spread (more runs would tell)", ratio);
	}
}

/* s cut to at most `max` characters, a cut shown by a trailing '~'. */
static void fit(char *dst, size_t cap, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max) {
		snprintf(dst, cap, "%s", s);
		return;
	}
	snprintf(dst, cap, "%.*s~", (int)(max - 1), s);
}

/* The trace's name as the text table shows it: without ".trace". */
static void trace_text(char *dst, size_t cap, const char *name)
{
	char t[RESULT_NAME_MAX];
	snprintf(t, sizeof t, "%s", name);
	size_t n = strlen(t);
	if (n > 6 && !strcmp(t + n - 6, ".trace"))
		t[n - 6] = '\0';
	fit(dst, cap, t, 16);
}

/*
 * The change column's title names the figure its rows compare: time per op
 * (with an interval), instructions per op (exact), or, when the table holds
 * both, the change per op of what each row's "by" column says.  `wide`: the
 * markdown table, which has room to name both.
 */
static const char *change_header(const struct row *rows, size_t n, int wide)
{
	int instr = 0, time = 0;
	for (size_t i = 0; i < n; i++) {
		instr |= rows[i].basis == BASIS_INSTR;
		time |= rows[i].basis == BASIS_CPU || rows[i].basis == BASIS_WALL;
	}
	if (instr && time)
		return wide ? "instr/op or time/op change [CI]" : "change/op (by) [CI]";
	return instr ? "instr/op change" : "time/op change [CI]";
}

/*
 * 80 columns: mark, allocator (14), trace (16), what throughput was judged
 * by, the change with its interval, p, memory; the notes of a row follow it,
 * indented, one per line.
 */
static void print_text(const struct row *rows, size_t n)
{
	printf("%-4s %-14s %-16s %-5s %-21s %-5s %s\n", "", "allocator", "trace", "by",
	       change_header(rows, n, 0), "p", "memory");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct result *r = w->cur ? w->cur : w->base;
		char a[32], t[32];
		char name[2 * RESULT_NAME_MAX];
		fit(a, sizeof a, cell_name(r, name, sizeof name), 14);
		trace_text(t, sizeof t, r->trace_name);
		printf("%-4s %-14s %-16s %-5s %-21s %-5s %s\n", w->fail ? "FAIL" : w->slow ? "SLOW"
		       : w->cur && !w->base ? "new" : "ok", a, t, basis_name[w->basis], w->effect,
		       w->p, w->mem);
		for (const char *s = w->note; *s;) {
			const char *e = strchr(s, '\n');
			int len = e ? (int)(e - s) : (int)strlen(s);
			printf("       %.*s\n", len, s);
			s += len + (e != NULL);
		}
	}
}

/* Markdown cell text: '|' would end the cell, a newline the row. */
void compare_md_cell(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("<br>", stdout);
			continue;
		}
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

void compare_md_mark(int fail, int warn)
{
	fputs(fail ? "| ❌ " : warn ? "| ⚠️ " : "| ✅ ", stdout);
}

void compare_md_verdict(size_t failed, size_t n, const char *passed)
{
	if (failed)
		printf("\n**❌ Regression: %zu of %zu cells failed**\n", failed, n);
	else
		printf("\n**✅ No regression** %s\n", passed);
}

static void print_markdown(const struct row *rows, size_t n)
{
	printf("| | allocator | trace | status | by | %s | p | memory | note |\n",
	       change_header(rows, n, 1));
	puts("|---|---|---|---|---|---|---|---|---|");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct result *r = w->cur ? w->cur : w->base;
		char name[2 * RESULT_NAME_MAX];
		const char *cols[8] = { cell_name(r, name, sizeof name), r->trace_name, w->status, basis_name[w->basis],
		                        w->effect, w->p, w->mem, w->note };
		compare_md_mark(w->fail, w->slow);
		for (int k = 0; k < 8; k++) {
			fputs("| ", stdout);
			compare_md_cell(cols[k][0] ? cols[k] : " ");
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

/* --alpha: a probability in (0, 0.5]. */
static int parse_alpha(const char *text, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end || errno || !(v > 0 && v <= 0.5)) {
		fprintf(stderr, "bench: compare: --alpha: '%s' is not a probability in (0, 0.5]\n",
		        text);
		return -1;
	}
	*out = v;
	return 0;
}

static void compare_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench compare [options] BASELINE CURRENT\n"
	      "       bench compare [options] BASELINE... -- CURRENT...\n"
	      "       bench compare --pair BASE,CUR [options] RESULTS...\n"
	      "\n"
	      "Compares two sets of heaplab results (files or folders) cell by cell\n"
	      "(allocator x trace file name) and exits 1 when a cell regressed.\n"
	      "\n"
	      "Throughput: instructions per op when both sides have them (bench --count;\n"
	      "exact), else the timed passes of both sides (CPU time when both have it,\n"
	      "else wall time) through a Mann-Whitney U test.  A cell is slower only when\n"
	      "the change is significant (p < alpha) and above the minimum effect and the\n"
	      "run-to-run noise; it is then reported (SLOW), and fails only with\n"
	      "--time-gate.  Each cell shows the change with its interval at 1 - alpha,\n"
	      "and p.\n"
	      "\n"
	      "options:\n"
	      "  --min-effect P         a slowdown smaller than P never fails (default 5%)\n"
	      "  --alpha A              significance level of the test (default 0.01; with\n"
	      "                         5 runs a side p can reach 0.008, with 3 only 0.1)\n"
	      "  --max-instructions-growth P\n"
	      "                         instructions per op may grow by P (default 1%)\n"
	      "  --run-noise K          a slowdown must also exceed K times the run-to-run\n"
	      "                         noise measured across the cells (default 3; 0: off)\n"
	      "  --time cpu|wall        time samples to judge by (default cpu when both\n"
	      "                         sides have them)\n"
	      "  --time-gate            a time slowdown fails the cell (default: reported\n"
	      "                         as SLOW, not failed: two separate runs on a shared\n"
	      "                         machine differ by more than any fair threshold;\n"
	      "                         gate time with --pair, or on instruction counts)\n"
	      "  --max-memory-growth P  peak break (exact) or peak RSS growth beyond P fails\n"
	      "                         (default 0%)\n"
	      "  --rss-tolerance P      extra growth allowed for peak RSS (default 5%)\n"
	      "  --reference ALLOC      compare time relative to ALLOC in the same run\n"
	      "                         (required when the sides ran on different machines)\n"
	      "  --only-memory          check status, failures and memory only\n"
	      "  --allow-missing        a baseline cell missing from CURRENT is not a failure\n"
	      "  --format text|markdown markdown: a table for a pull-request comment\n"
	      "  --max-slowdown P       deprecated: the same as --min-effect P\n"
	      "  --pair BASE,CUR        compare two allocators of one suite run with\n"
	      "                         bench --interleave, round by round (Wilcoxon\n"
	      "                         signed-rank test on the per-round ratios; time\n"
	      "                         only; --min-effect, --alpha, --time and --format\n"
	      "                         apply)\n"
	      "\n"
	      "A cell whose status was ok and is not any more always fails, and so does\n"
	      "one that fails more allocations or skips more ops than the baseline.  A\n"
	      "cell is (machine, allocator, trace): sides may hold folders of several hosts.\n"
	      "exit status: 0 no regression, 1 a regression, 2 bad usage or input\n");
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

/*
 * compare's options into *o, --pair's value into *pair.  Returns -1 to go
 * on, or the exit status (--help, a bad option).
 */
static int parse_options(int argc, char **argv, struct compare_options *o, const char **pair)
{
	enum { O_SLOW = 256, O_GROWTH, O_RSS, O_REF, O_MISSING, O_MEM, O_FORMAT, O_EFFECT,
	       O_ALPHA, O_INSTR, O_TIME, O_NOISE, O_PAIR, O_GATE };
	static const struct option opts[] = {
		{ "allow-missing", no_argument, NULL, O_MISSING },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ "max-instructions-growth", required_argument, NULL, O_INSTR },
		{ "max-memory-growth", required_argument, NULL, O_GROWTH },
		{ "max-slowdown", required_argument, NULL, O_SLOW },
		{ "min-effect", required_argument, NULL, O_EFFECT },
		{ "only-memory", no_argument, NULL, O_MEM },
		{ "pair", required_argument, NULL, O_PAIR },
		{ "reference", required_argument, NULL, O_REF },
		{ "rss-tolerance", required_argument, NULL, O_RSS },
		{ "run-noise", required_argument, NULL, O_NOISE },
		{ "time", required_argument, NULL, O_TIME },
		{ "time-gate", no_argument, NULL, O_GATE },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': compare_usage(stdout); return finish_stdout(EXIT_OK);
		case O_SLOW:
			if (parse_percent("--max-slowdown", optarg, 0.99, &o->min_effect))
				return EXIT_USAGE;
			fputs("bench: compare: --max-slowdown is deprecated: it now sets --min-effect "
			      "(a significant slowdown beyond it fails)\n", stderr);
			break;
		case O_EFFECT:
			if (parse_percent("--min-effect", optarg, 0.99, &o->min_effect))
				return EXIT_USAGE;
			break;
		case O_ALPHA:
			if (parse_alpha(optarg, &o->alpha))
				return EXIT_USAGE;
			break;
		case O_NOISE: {
			char *end;
			errno = 0;
			o->noise_k = strtod(optarg, &end);
			if (end == optarg || *end || errno || !(o->noise_k >= 0 && o->noise_k <= 100)) {
				fprintf(stderr, "bench: compare: --run-noise: '%s' is not a number from 0 "
				        "to 100\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case O_INSTR:
			if (parse_percent("--max-instructions-growth", optarg, 100, &o->max_instr))
				return EXIT_USAGE;
			break;
		case O_TIME:
			if (!strcmp(optarg, "wall") || !strcmp(optarg, "cpu"))
				o->wall = !strcmp(optarg, "wall");
			else {
				fprintf(stderr, "bench: compare: --time: '%s' is not cpu or wall\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case O_GROWTH:
			if (parse_percent("--max-memory-growth", optarg, 100, &o->max_growth))
				return EXIT_USAGE;
			break;
		case O_RSS:
			if (parse_percent("--rss-tolerance", optarg, 100, &o->rss_tolerance))
				return EXIT_USAGE;
			break;
		case O_REF: o->reference = optarg; break;
		case O_MISSING: o->allow_missing = 1; break;
		case O_PAIR: *pair = optarg; break;
		case O_GATE: o->time_gate = 1; break;
		case O_MEM: o->only_memory = 1; break;
		case O_FORMAT:
			if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
				o->markdown = 1;
			else if (!strcmp(optarg, "text"))
				o->markdown = 0;
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
	if (*pair && (o->reference || o->only_memory)) {
		fprintf(stderr, "bench: compare: --pair judges time only, of two allocators in "
		        "one run; it cannot be combined with %s\n",
		        o->reference ? "--reference" : "--only-memory");
		return EXIT_USAGE;
	}
	return -1;
}

/*
 * BASELINE and CURRENT (argv[first..]) into bs and cs, checked: each cell
 * once per side, a baseline that is not empty, the reference in it.
 * Returns 0 or the exit status, after a message.
 */
static int load_sides(const struct compare_options *o, int argc, char **argv, int first,
                      struct result_set *bs, struct result_set *cs)
{
	int nbase = 1, cur_at = first + 1, ncur = 1;
	if (sides_split(argc, argv, first, &nbase, &cur_at, &ncur))
		return EXIT_USAGE;
	int code = results_from_args("compare", nbase, argv + first, bs);
	if (!code)
		code = results_from_args("compare", ncur, argv + cur_at, cs);
	if (!code && (check_unique("BASELINE", bs) || check_unique("CURRENT", cs)))
		code = EXIT_USAGE;
	/* An empty baseline would pass everything: a wrong path must not look green. */
	if (!code && !bs->n) {
		fprintf(stderr, "bench: compare: %s: no heaplab results in BASELINE\n", argv[first]);
		code = EXIT_USAGE;
	}
	if (!code && o->reference && !o->only_memory) {
		int seen = 0;
		for (size_t i = 0; i < bs->n; i++)
			seen |= !strcmp(bs->items[i].allocator, o->reference);
		if (!seen) {
			fprintf(stderr, "bench: compare: --reference %s: BASELINE has no result of "
			        "that allocator\n", o->reference);
			code = EXIT_USAGE;
		}
	}
	return code;
}

/* Throughput across machines needs --reference or counts (check_same_machines). */
static int check_machines(const struct compare_options *o, const struct result_set *bs,
                          const struct result_set *cs, struct row *rows)
{
	if (o->only_memory || o->reference)
		return 0;
	for (size_t i = 0; i < bs->n; i++) {
		rows[i].base = &bs->items[i];
		rows[i].cur = find_cell(cs, bs->items[i].machine, bs->items[i].allocator,
		                        bs->items[i].trace_name);
	}
	int bad = check_same_machines(rows, bs->n);
	memset(rows, 0, bs->n * sizeof *rows);
	return bad ? EXIT_USAGE : 0;
}

static void missing_row(const struct compare_options *o, struct row *w)
{
	snprintf(w->status, sizeof w->status, "%s -> missing", w->base->status);
	snprintf(w->effect, sizeof w->effect, "-");
	snprintf(w->p, sizeof w->p, "-");
	snprintf(w->mem, sizeof w->mem, "-");
	note(w, "missing in CURRENT%s", o->allow_missing ? " (allowed)" : "");
	w->fail = !o->allow_missing;
}

static void new_row(struct row *w)
{
	snprintf(w->status, sizeof w->status, "new: %s", w->cur->status);
	snprintf(w->effect, sizeof w->effect, "-");
	snprintf(w->p, sizeof w->p, "-");
	snprintf(w->mem, sizeof w->mem, "-");
	note(w, "not in BASELINE");
}

/*
 * A baseline cell missing from CURRENT while CURRENT has a new allocator on
 * the same trace is most often one allocator under two names: a source file
 * copied to another folder, a library built under another file name.
 */
static int named_after_file(const struct result *r)
{
	return !strcmp(r->kind, "student") ||
	       (!strcmp(r->kind, "peer") && !strncmp(r->allocator, "lib", 3));
}

static void hint_renamed(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].base || rows[i].cur || !named_after_file(rows[i].base))
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct result *c = rows[j].cur;
			if (rows[j].base || !c || strcmp(c->trace_name, rows[i].base->trace_name) ||
			    strcmp(c->kind, rows[i].base->kind))
				continue;
			note(&rows[i], "CURRENT has %s on this trace: cells match by allocator "
			     "name, and a source is named after its folder and file, a library "
			     "after its file (run both from one path)", c->allocator);
			break;
		}
	}
}

/*
 * One row per baseline cell, compared with its CURRENT cell (or missing),
 * then one per CURRENT cell the baseline lacks.  Returns the rows filled;
 * *compared counts the cells present on both sides.
 */
static size_t compare_cells(const struct compare_options *o, const struct result_set *bs,
                            const struct result_set *cs, struct row *rows, size_t *compared)
{
	size_t n = 0;
	*compared = 0;
	for (size_t i = 0; i < bs->n; i++) {
		struct row *w = &rows[n++];
		w->base = &bs->items[i];
		w->cur = find_cell(cs, w->base->machine, w->base->allocator, w->base->trace_name);
		if (!w->cur) {
			missing_row(o, w);
			continue;
		}
		compare_cell(o, bs, cs, w);
		if (strcmp(w->base->machine, w->cur->machine))
			note(w, "machine %s -> %s", w->base->machine, w->cur->machine);
		(*compared)++;
	}
	for (size_t i = 0; i < cs->n; i++) {
		if (find_cell(bs, cs->items[i].machine, cs->items[i].allocator,
		              cs->items[i].trace_name))
			continue;
		struct row *w = &rows[n++];
		w->cur = &cs->items[i];
		new_row(w);
	}
	hint_renamed(rows, n);
	return n;
}

/* The footer's line about the run-to-run noise rule. */
static void noise_text(char *buf, size_t len, const struct compare_options *o, double sigma,
                       size_t cells)
{
	if (o->noise_k <= 0)
		snprintf(buf, len, "run-to-run noise: not used (--run-noise 0)");
	else if (sigma < 0)
		snprintf(buf, len, "run-to-run noise: too few timed cells (%zu < %d) to "
		         "measure; not used", cells, NOISE_MIN_CELLS);
	else
		snprintf(buf, len, "run-to-run noise across %zu cells: %.1f%%; time "
		         "fails from +%.1f%% (%g x)", cells, 100 * (exp(sigma) - 1),
		         100 * (exp(o->noise_k * sigma) - 1), o->noise_k);
}

/* The table, the verdict and the rules, as text or markdown; the exit status. */
static int print_verdict(const struct compare_options *o, const struct row *rows, size_t n,
                         size_t compared, double sigma, size_t noise_cells)
{
	size_t failed = 0, slow = 0, unjudged = 0, by[4] = { 0 };
	for (size_t i = 0; i < n; i++) {
		failed += rows[i].fail;
		slow += rows[i].slow;
		unjudged += rows[i].unjudged;
		if (!rows[i].unjudged)
			by[rows[i].basis]++;
	}
	char rules[240], tally[160], few[160] = "", noise[160], slowtext[200] = "";
	noise_text(noise, sizeof noise, o, sigma, noise_cells);
	if (sigma < 0 && !unjudged && !by[BASIS_CPU] && !by[BASIS_WALL])
		snprintf(noise, sizeof noise, "run-to-run noise: not needed (no cell judged by "
		         "time)");
	if (slow)
		snprintf(slowtext, sizeof slowtext, "%zu cells slower by time: reported, not "
		         "failed (--time-gate)", slow);
	if (o->only_memory)
		snprintf(rules, sizeof rules, "memory only: max growth %.4g%%, RSS tolerance "
		         "%.4g%%", 100 * o->max_growth, 100 * o->rss_tolerance);
	else
		snprintf(rules, sizeof rules, "time p < %.3g and > %.4g%% slower%s%s; "
		         "instructions > %.4g%%; memory > %.4g%%, RSS > %.4g%%", o->alpha,
		         100 * o->min_effect, o->reference ? " vs " : "",
		         o->reference ? o->reference : "", 100 * o->max_instr, 100 * o->max_growth,
		         100 * (o->max_growth + o->rss_tolerance));
	snprintf(tally, sizeof tally, "throughput judged by instructions in %zu cells, CPU "
	         "time in %zu, wall time in %zu", by[BASIS_INSTR], by[BASIS_CPU], by[BASIS_WALL]);
	if (unjudged)
		snprintf(few, sizeof few, "%zu cells: too few runs for p < %.3g, time not judged "
		         "(--runs 5 or more)", unjudged, o->alpha);
	if (o->markdown) {
		char passed[64];
		snprintf(passed, sizeof passed, "in %zu compared cells", compared);
		print_markdown(rows, n);
		compare_md_verdict(failed, n, passed);
		if (slow)
			printf("\n**⚠️ %s**\n", slowtext);
		printf("\nRules: %s.\n", rules);
		if (!o->only_memory)
			printf("\n%c%s; %s.%s%s%s\n", 'T', tally + 1, noise, few[0] ? " **" : "", few,
			       few[0] ? "**" : "");
	} else {
		print_text(rows, n);
		if (failed)
			printf("\ncompare: REGRESSION: %zu of %zu cells failed\n", failed, n);
		else
			printf("\ncompare: no regression in %zu compared cells\n", compared);
		if (slow)
			printf("compare: %s\n", slowtext);
		printf("rules: %s\n", rules);
		if (!o->only_memory)
			printf("%s\n%s\n%s%s", tally, noise, few, few[0] ? "\n" : "");
	}
	return finish_stdout(failed ? EXIT_CHECK : EXIT_OK);
}

int compare_main(int argc, char **argv)
{
	struct compare_options o = { .min_effect = 0.05, .alpha = 0.01, .max_instr = 0.01,
	                             .noise_k = 3, .rss_tolerance = 0.05 };
	const char *pair = NULL;
	int code = parse_options(argc, argv, &o, &pair);
	if (code >= 0)
		return code;
	if (pair) {
		struct pair_options po = { .pair = pair, .min_effect = o.min_effect,
		                           .alpha = o.alpha, .wall = o.wall,
		                           .markdown = o.markdown };
		return compare_pair(&po, argc - optind, argv + optind);
	}
	struct result_set bs = { 0 }, cs = { 0 };
	struct row *rows = NULL;
	code = load_sides(&o, argc, argv, optind, &bs, &cs);
	if (!code && !(rows = calloc(bs.n + cs.n + 1, sizeof *rows))) {
		fputs("bench: compare: out of memory\n", stderr);
		code = EXIT_SYSTEM;
	}
	if (!code) {
		show_machines = !one_machine(&bs) || !one_machine(&cs);
		code = check_machines(&o, &bs, &cs, rows);
	}
	if (!code) {
		size_t compared, noise_cells = 0;
		size_t n = compare_cells(&o, &bs, &cs, rows, &compared);
		double sigma = o.noise_k > 0 ? run_noise(rows, n, &noise_cells) : -1;
		judge_time_verdicts(&o, rows, n, sigma);
		code = print_verdict(&o, rows, n, compared, sigma, noise_cells);
	}
	free(rows);
	result_set_free(&bs);
	result_set_free(&cs);
	return code;
}
