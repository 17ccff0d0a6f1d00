/* grade.c - the grading view of a set of results (grade.h). */
#define _GNU_SOURCE
#include "grade.h"

#include "../core/fileio.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One allocator's figures over its traces. */
struct grade {
	const char *name;
	size_t      first, n;     /* its results: items[first .. first + n), by trace  */
	size_t      valid;        /* traces whose status is ok                         */
	double      util_sum;     /* sum of the utilizations of the valid traces       */
	double      ops, secs;    /* totals over the valid traces with a throughput    */
	double      util, kops;   /* U (average over the valid traces), T (Kops)       */
	double      util_points, thru_points, index;  /* 0..100                         */
};

static int trace_secs(const struct result *r, double *secs)
{
	if (!r->has_throughput || r->ops_median <= 0)
		return 0;
	*secs = (double)r->ops / r->ops_median;
	return 1;
}

static int valid(const struct result *r)
{
	return strcmp(r->status, "ok") == 0;
}

/* Group results by allocator, in the order the allocators first appear; only
 * trace cells are graded (a program cell has no ops to grade). */
static struct grade *group(const struct result_set *set, size_t *ngrades, size_t **order)
{
	struct grade *g = calloc(set->n ? set->n : 1, sizeof *g);
	size_t *ord = malloc((set->n ? set->n : 1) * sizeof *ord);
	size_t ng = 0, k = 0;
	if (!g || !ord) {
		free(g);
		free(ord);
		return NULL;
	}
	for (size_t i = 0; i < set->n; i++) {
		const char *name = set->items[i].allocator;
		size_t j;
		if (set->items[i].is_program)
			continue;
		for (j = 0; j < ng; j++)
			if (strcmp(g[j].name, name) == 0)
				break;
		if (j < ng)
			continue;
		g[ng].name = name;
		g[ng].first = k;
		for (size_t m = i; m < set->n; m++)
			if (!set->items[m].is_program && strcmp(set->items[m].allocator, name) == 0) {
				ord[k++] = m;
				g[ng].n++;
			}
		ng++;
	}
	*ngrades = ng;
	*order = ord;
	return g;
}

static void score(struct grade *g, const struct result_set *set, const size_t *ord)
{
	for (size_t k = 0; k < g->n; k++) {
		const struct result *r = &set->items[ord[g->first + k]];
		double secs;
		if (!valid(r))
			continue;
		g->valid++;
		g->util_sum += r->has_utilization ? r->utilization : 0;
		if (trace_secs(r, &secs)) {
			g->ops += (double)r->ops;
			g->secs += secs;
		}
	}
	g->util = g->valid ? g->util_sum / (double)g->valid : 0;
	g->kops = g->secs > 0 ? g->ops / g->secs / 1000 : 0;
}

static void index_of(struct grade *g, const struct grade_options *o, double ref_kops)
{
	g->util_points = g->thru_points = g->index = 0;
	if (g->valid != g->n || !g->n)
		return;   /* as the lab's driver: an invalid trace scores nothing */
	double t = ref_kops > 0 ? g->kops / ref_kops : 0;
	g->util_points = 100 * o->weight * g->util;
	g->thru_points = 100 * (1 - o->weight) * (t < 1 ? t : 1);
	g->index = g->util_points + g->thru_points;
}

static int by_index(const void *a, const void *b)
{
	const struct grade *x = *(struct grade *const *)a, *y = *(struct grade *const *)b;
	if (x->index != y->index)
		return x->index < y->index ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void print_text(FILE *out, struct grade *g, size_t ng, const struct result_set *set,
                       const size_t *ord, const struct grade_options *o, double ref_kops,
                       const char *ref_what)
{
	for (size_t a = 0; a < ng; a++) {
		const struct grade *s = &g[a];
		const struct result *first = &set->items[ord[s->first]];
		fprintf(out, "%sResults for %s (alignment %llu):\n", a ? "\n" : "", s->name,
		        (unsigned long long)first->align);
		fprintf(out, "%-24s %5s %7s %9s %11s %9s\n", "trace", "valid", "util", "ops", "secs",
		        "Kops");
		for (size_t k = 0; k < s->n; k++) {
			const struct result *r = &set->items[ord[s->first + k]];
			double secs;
			int ok = valid(r);
			fprintf(out, "%-24s %5s ", r->trace_name, ok ? "yes" : "no");
			if (ok && r->has_utilization)
				fprintf(out, "%6.1f%% ", 100 * r->utilization);
			else
				fprintf(out, "%7s ", "-");
			fprintf(out, "%9llu ", (unsigned long long)r->ops);
			if (ok && trace_secs(r, &secs))
				fprintf(out, "%11.6f %9.0f\n", secs, r->ops_median / 1000);
			else
				fprintf(out, "%11s %9s\n", "-", "-");
		}
		fprintf(out, "%-24s %5s %6.1f%% %9.0f %11.6f %9.0f\n", "Total",
		        s->valid == s->n ? "" : "no", 100 * s->util, s->ops, s->secs, s->kops);
		if (s->valid != s->n) {
			fprintf(out, "Perf index = 0/100: %zu of %zu traces not valid\n",
			        s->n - s->valid, s->n);
			for (size_t k = 0; k < s->n; k++) {
				const struct result *r = &set->items[ord[s->first + k]];
				if (!valid(r))
					fprintf(out, "  %s: %s%s%s\n", r->trace_name, r->status,
					        r->message[0] ? ": " : "", r->message);
			}
		} else {
			fprintf(out, "Perf index = %.1f (util) + %.1f (thru) = %.1f/100\n",
			        s->util_points, s->thru_points, s->index);
		}
	}
	fprintf(out, "\nP = w*U + (1-w)*min(1, T/T_ref) with w = %.2f, T_ref = %.0f Kops (%s)\n",
	        o->weight, ref_kops, ref_what);
	if (ng > 1) {
		struct grade **rank = malloc(ng * sizeof *rank);
		if (!rank)
			return;
		for (size_t a = 0; a < ng; a++)
			rank[a] = &g[a];
		qsort(rank, ng, sizeof *rank, by_index);
		fprintf(out, "\n%-4s %-24s %7s %7s %9s %7s\n", "rank", "allocator", "valid", "util",
		        "Kops", "index");
		for (size_t a = 0; a < ng; a++) {
			char v[32];
			snprintf(v, sizeof v, "%zu/%zu", rank[a]->valid, rank[a]->n);
			fprintf(out, "%-4zu %-24s %7s %6.1f%% %9.0f %7.1f\n", a + 1, rank[a]->name, v,
			        100 * rank[a]->util, rank[a]->kops, rank[a]->index);
		}
		free(rank);
	}
}

static void print_csv(FILE *out, const struct grade *g, size_t ng,
                      const struct grade_options *o, double ref_kops)
{
	fputs("allocator,traces,valid,util,ops,secs,kops,util_points,thru_points,index,"
	      "weight,ref_kops\n", out);
	for (size_t a = 0; a < ng; a++) {
		csv_field(out, g[a].name);
		fprintf(out, ",%zu,%zu,%.6f,%.0f,%.6f,%.1f,%.2f,%.2f,%.2f,%.2f,%.1f\n", g[a].n,
		        g[a].valid, g[a].util, g[a].ops, g[a].secs, g[a].kops, g[a].util_points,
		        g[a].thru_points, g[a].index, o->weight, ref_kops);
	}
}

static int print_json(FILE *out, const struct grade *g, size_t ng, const struct result_set *set,
                      const size_t *ord, const struct grade_options *o, double ref_kops)
{
	json_t *root = json_object(), *allocs = json_array();
	if (!root || !allocs)
		goto fail;
	json_object_set_new(root, "schema", json_string("heaplab-grade"));
	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "weight", json_real(o->weight));
	json_object_set_new(root, "ref_kops", json_real(ref_kops));
	json_object_set_new(root, "allocators", allocs);
	for (size_t a = 0; a < ng; a++) {
		json_t *traces = json_array(), *ja = json_object();
		if (!traces || !ja) {
			json_decref(traces);
			json_decref(ja);
			goto fail;
		}
		for (size_t k = 0; k < g[a].n; k++) {
			const struct result *r = &set->items[ord[g[a].first + k]];
			double secs = 0;
			int ok = valid(r), timed = ok && trace_secs(r, &secs);
			json_array_append_new(traces, json_pack(
				"{s:s, s:b, s:s, s:o, s:I, s:o, s:o, s:o}",
				"trace", r->trace_name, "valid", ok, "status", r->status,
				"util", ok && r->has_utilization ? json_real(r->utilization) : json_null(),
				"ops", (json_int_t)r->ops,
				"secs", timed ? json_real(secs) : json_null(),
				"kops", timed ? json_real(r->ops_median / 1000) : json_null(),
				"message", r->message[0] ? json_string(r->message) : json_null()));
		}
		json_object_set_new(ja, "name", json_string(g[a].name));
		json_object_set_new(ja, "traces", traces);
		json_object_set_new(ja, "valid", json_integer((json_int_t)g[a].valid));
		json_object_set_new(ja, "util", json_real(g[a].util));
		json_object_set_new(ja, "ops", json_integer((json_int_t)g[a].ops));
		json_object_set_new(ja, "secs", json_real(g[a].secs));
		json_object_set_new(ja, "kops", json_real(g[a].kops));
		json_object_set_new(ja, "util_points", json_real(g[a].util_points));
		json_object_set_new(ja, "thru_points", json_real(g[a].thru_points));
		json_object_set_new(ja, "index", json_real(g[a].index));
		json_array_append_new(allocs, ja);
	}
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(root);
	if (!text)
		return -1;
	fputs(text, out);
	putc('\n', out);
	free(text);
	return 0;
fail:
	json_decref(root);
	json_decref(allocs);
	return -1;
}

int grade_print(FILE *out, enum grade_format fmt, const struct result_set *set,
                const struct grade_options *o, char *err, size_t errlen)
{
	size_t ng = 0, *ord = NULL;
	struct grade *g = group(set, &ng, &ord);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t a = 0; a < ng; a++)
		score(&g[a], set, ord);

	double ref_kops = o->ref_kops;
	char ref_what[160];
	snprintf(ref_what, sizeof ref_what, "%s",
	         ref_kops == GRADE_REF_KOPS_DEFAULT ? "the CS:APP driver's default"
	                                            : "--grade-ref-kops");
	if (o->ref_alloc) {
		size_t a;
		for (a = 0; a < ng; a++)
			if (strcmp(g[a].name, o->ref_alloc) == 0)
				break;
		if (a == ng || g[a].kops <= 0) {
			snprintf(err, errlen, "--grade-ref: %s %s", o->ref_alloc,
			         a == ng ? "is not in the results" : "has no throughput in the results");
			free(g);
			free(ord);
			return -1;
		}
		ref_kops = g[a].kops;
		snprintf(ref_what, sizeof ref_what, "the throughput of %.100s in these results",
		         o->ref_alloc);
	}
	for (size_t a = 0; a < ng; a++)
		index_of(&g[a], o, ref_kops);

	int rc = 0;
	if (fmt == GRADE_TEXT)
		print_text(out, g, ng, set, ord, o, ref_kops, ref_what);
	else if (fmt == GRADE_CSV)
		print_csv(out, g, ng, o, ref_kops);
	else if (print_json(out, g, ng, set, ord, o, ref_kops)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	free(g);
	free(ord);
	return rc;
}
