/* reader.c - reading result files back, strictly (see reader.h). */
#define _GNU_SOURCE
#include "reader.h"
#include "../core/fileio.h"

#include "../process/program.h"
#include "writer.h"
#include "../process/peer.h"
#include "../replay/cell.h"
#include "../core/safe_text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* One parse: where errors go. */
struct reader {
	const char *name;    /* the file, for messages        */
	char       *err;
	size_t      errlen;
};

static int bad(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * `src` with control bytes as \xNN: a reason quotes the file's own text (a
 * string value, jansson's "near '...'"), and a message stays one line that
 * cannot drive the terminal.
 */
static const char *printable(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (; *src && o + 5 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\'; dst[o++] = 'x';
			dst[o++] = hex[c >> 4]; dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return dst;
}

static int bad(struct reader *rd, const char *fmt, ...)
{
	char why[512], shown[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(rd->err, rd->errlen, "%s: not a heaplab result (%s)", rd->name,
	         printable(shown, sizeof shown, why));
	return RESULT_BAD;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "an object";
	case JSON_ARRAY:   return "an array";
	case JSON_STRING:  return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL:    return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:   return "a boolean";
	default:           return "null";
	}
}

/* Field access: `where` is the dotted path of `obj` ("" for the root), for messages. */
#define AT(where, key) (where), *(where) ? "." : "", (key)
enum presence { REQUIRED, NULLABLE };

/* A field that is null or absent: fine when NULLABLE (the getters have set
 * their "none" value), else the result is bad. */
static int absent(struct reader *rd, const char *where, const char *key, enum presence p)
{
	return p == NULLABLE ? 0 : bad(rd, "%s%s%s: missing", AT(where, key));
}

/*
 * obj[key] as an object.  NULLABLE: *out = NULL when null or absent.
 * Returns 0 or RESULT_BAD.
 */
static int get_object(struct reader *rd, const json_t *obj, const char *where, const char *key,
                      enum presence p, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return absent(rd, where, key, p);
	if (!json_is_object(v))
		return bad(rd, "%s%s%s: expected an object, found %s", where, *where ? "." : "",
		           key, type_name(v));
	*out = v;
	return 0;
}

static int get_string(struct reader *rd, const json_t *obj, const char *where, const char *key,
                      enum presence p, char *out, size_t outlen)
{
	json_t *v = json_object_get(obj, key);
	out[0] = '\0';
	if (!v || json_is_null(v))
		return absent(rd, where, key, p);
	if (!json_is_string(v))
		return bad(rd, "%s%s%s: expected a string, found %s", AT(where, key), type_name(v));
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n == 0 && p == REQUIRED)
		return bad(rd, "%s%s%s: empty", AT(where, key));
	if (n >= outlen)
		return bad(rd, "%s%s%s: longer than %zu characters", AT(where, key), outlen - 1);
	if (memchr(s, '\0', n))
		return bad(rd, "%s%s%s: contains a NUL character", AT(where, key));
	memcpy(out, s, n + 1);
	return 0;
}

/* A whole number >= 0.  *has = 0 for null/absent when NULLABLE. */
static int get_count(struct reader *rd, const json_t *obj, const char *where, const char *key,
                     enum presence p, int *has, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (has)
		*has = 0;
	if (!v || json_is_null(v))
		return absent(rd, where, key, p);
	if (!json_is_integer(v))
		return bad(rd, "%s%s%s: expected a whole number, found %s", AT(where, key), type_name(v));
	json_int_t n = json_integer_value(v);
	if (n < 0)
		return bad(rd, "%s%s%s: %lld is negative", AT(where, key), (long long)n);
	*out = (uint64_t)n;
	if (has)
		*has = 1;
	return 0;
}

/* A finite number (integer or real) in [lo, hi]. */
static int get_number(struct reader *rd, const json_t *obj, const char *where, const char *key,
                      enum presence p, double lo, double hi, int *has, double *out)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (has)
		*has = 0;
	if (!v || json_is_null(v))
		return absent(rd, where, key, p);
	if (!json_is_number(v))
		return bad(rd, "%s%s%s: expected a number, found %s", AT(where, key), type_name(v));
	double d = json_number_value(v);
	if (!isfinite(d) || d < lo || d > hi)
		return bad(rd, "%s%s%s: %g is out of range [%g, %g]", AT(where, key), d, lo, hi);
	*out = d;
	if (has)
		*has = 1;
	return 0;
}

static int read_summary(struct reader *rd, const json_t *tp, const char *key,
                        double *median, double *min, double *max)
{
	json_t *o;
	char where[64];
	snprintf(where, sizeof where, "throughput.%s", key);
	if (get_object(rd, tp, "throughput", key, REQUIRED, &o) ||
	    get_number(rd, o, where, "median", REQUIRED, 0, HUGE_VAL, NULL, median) ||
	    get_number(rd, o, where, "min", REQUIRED, 0, HUGE_VAL, NULL, min) ||
	    get_number(rd, o, where, "max", REQUIRED, 0, HUGE_VAL, NULL, max))
		return RESULT_BAD;
	if (!(*min <= *median && *median <= *max))
		return bad(rd, "%s: min %g, median %g and max %g are not in order", where,
		           *min, *median, *max);
	return 0;
}

/* A median of n >= 1 values (sorted in place). */
static double median_of(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *const pass_keys[] = {
	"wall_ns", "user_ns", "sys_ns", "minor_faults", "major_faults",
	"voluntary_switches", "involuntary_switches",
};
#define NPASS_KEYS (sizeof pass_keys / sizeof pass_keys[0])

/* throughput.passes: absent, or one object per run with every counter. */
static int read_passes(struct reader *rd, const json_t *tp, struct result *r)
{
	json_t *a = json_object_get(tp, "passes");
	if (!a)
		return 0;
	if (!json_is_array(a))
		return bad(rd, "throughput.passes: expected an array, found %s", type_name(a));
	size_t n = json_array_size(a);
	if (n != r->runs)
		return bad(rd, "throughput.passes: %zu passes, but runs is %llu", n,
		           (unsigned long long)r->runs);
	if (!n)
		return 0;
	double *v = calloc(n * NPASS_KEYS, sizeof *v);
	if (!v)
		return bad(rd, "throughput.passes: out of memory");
	for (size_t k = 0; k < n; k++) {
		json_t *o = json_array_get(a, k);
		char where[64];
		snprintf(where, sizeof where, "throughput.passes[%zu]", k);
		if (!json_is_object(o)) {
			free(v);
			return bad(rd, "%s: expected an object, found %s", where, type_name(o));
		}
		for (size_t q = 0; q < NPASS_KEYS; q++) {
			uint64_t x;
			if (get_count(rd, o, where, pass_keys[q], REQUIRED, NULL, &x)) {
				free(v);
				return RESULT_BAD;
			}
			v[q * n + k] = (double)x;
		}
	}
	r->minor_faults_median = median_of(v + 3 * n, n);
	r->major_faults_median = median_of(v + 4 * n, n);
	r->voluntary_switches_median = median_of(v + 5 * n, n);
	r->involuntary_switches_median = median_of(v + 6 * n, n);
	free(v);
	r->has_passes = 1;
	return 0;
}

/*
 * The figures added with --touch, --warmup and the CPU-time probe: each
 * optional (older results lack them), each checked when present.
 */
static int read_pass_figures(struct reader *rd, const json_t *tp, struct result *r)
{
	double lo, hi;
	if (json_object_get(tp, "cpu_ns_per_op")) {
		if (read_summary(rd, tp, "cpu_ns_per_op", &r->cpu_ns_median, &r->cpu_ns_min,
		                 &r->cpu_ns_max) ||
		    read_summary(rd, tp, "cpu_ops_per_sec", &r->cpu_ops_median, &r->cpu_ops_min,
		                 &r->cpu_ops_max))
			return RESULT_BAD;
		r->has_cpu = 1;
	} else if (json_object_get(tp, "cpu_ops_per_sec") &&
	           read_summary(rd, tp, "cpu_ops_per_sec", &r->cpu_ops_median, &lo, &hi)) {
		return RESULT_BAD;
	}
	if (read_passes(rd, tp, r) ||
	    get_string(rd, tp, "throughput", "touch", NULLABLE, r->touch, sizeof r->touch) ||
	    get_count(rd, tp, "throughput", "warmup_passes", NULLABLE, &r->has_warmup,
	              &r->warmup))
		return RESULT_BAD;
	if (r->touch[0] && strcmp(r->touch, "none") && strcmp(r->touch, "pages") &&
	    strcmp(r->touch, "all"))
		return bad(rd, "throughput.touch: \"%s\" is not none, pages or all", r->touch);
	return 0;
}

/* cost: absent or null (not counted), or the --count figures. */
static int read_cost(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *c;
	if (get_object(rd, root, "", "cost", NULLABLE, &c))
		return RESULT_BAD;
	if (!c)
		return 0;
	double ipo;
	if (get_string(rd, c, "cost", "method", REQUIRED, r->cost_method, sizeof r->cost_method) ||
	    get_count(rd, c, "cost", "instructions", REQUIRED, NULL, &r->instructions) ||
	    get_number(rd, c, "cost", "instructions_per_op", REQUIRED, 0, HUGE_VAL, NULL, &ipo) ||
	    get_number(rd, c, "cost", "cycles_per_op", NULLABLE, 0, HUGE_VAL, &r->has_cycles,
	               &r->cycles_per_op) ||
	    get_number(rd, c, "cost", "l1d_misses_per_op", NULLABLE, 0, HUGE_VAL,
	               &r->has_l1d_misses, &r->l1d_misses_per_op) ||
	    get_number(rd, c, "cost", "ll_misses_per_op", NULLABLE, 0, HUGE_VAL,
	               &r->has_ll_misses, &r->ll_misses_per_op))
		return RESULT_BAD;
	if (strcmp(r->cost_method, "perf_event") && strcmp(r->cost_method, "callgrind"))
		return bad(rd, "cost.method: \"%s\" is not perf_event or callgrind", r->cost_method);
	r->instructions_per_op = ipo;
	r->has_cost = 1;
	return 0;
}

static int read_throughput(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *tp;
	double ns_min, ns_max;
	if (get_object(rd, root, "", "throughput", NULLABLE, &tp))
		return RESULT_BAD;
	if (!tp) {
		if (r->runs > 0 && !strcmp(r->status, "ok"))
			return bad(rd, "throughput: null, but %llu timed runs and status ok",
			           (unsigned long long)r->runs);
		return 0;
	}
	if (read_summary(rd, tp, "ops_per_sec", &r->ops_median, &r->ops_min, &r->ops_max) ||
	    read_summary(rd, tp, "ns_per_op", &r->ns_median, &ns_min, &ns_max))
		return RESULT_BAD;
	r->has_throughput = 1;
	return read_pass_figures(rd, tp, r);
}

static int read_memory(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *m;
	/* A cell that crashed or timed out before any figure has memory: null. */
	if (get_object(rd, root, "", "memory", NULLABLE, &m))
		return RESULT_BAD;
	if (!m) {
		if (!strcmp(r->status, "ok"))
			return bad(rd, "memory: null, but status ok");
		return 0;
	}
	if (
	    get_count(rd, m, "memory", "peak_break_bytes", NULLABLE, &r->has_peak_break,
	              &r->peak_break) ||
	    get_count(rd, m, "memory", "peak_rss_bytes", NULLABLE, &r->has_peak_rss,
	              &r->peak_rss) ||
	    get_count(rd, m, "memory", "peak_live_bytes", NULLABLE, &r->has_peak_live,
	              &r->peak_live) ||
	    get_number(rd, m, "memory", "utilization", NULLABLE, 0, 1, &r->has_utilization,
	               &r->utilization) ||
	    get_number(rd, m, "memory", "fragmentation", NULLABLE, 0, 1, &r->has_fragmentation,
	               &r->fragmentation) ||
	    get_count(rd, m, "memory", "provider_calls", NULLABLE, &r->has_provider_calls,
	              &r->provider_calls) ||
	    get_number(rd, m, "memory", "utilization_rss", NULLABLE, 0, 1,
	               &r->has_utilization_rss, &r->utilization_rss))
		return RESULT_BAD;
	if (r->has_peak_break && r->has_peak_live && r->peak_live > r->peak_break &&
	    r->peak_break > 0)
		return bad(rd, "memory: peak_live_bytes %llu exceeds peak_break_bytes %llu",
		           (unsigned long long)r->peak_live, (unsigned long long)r->peak_break);
	return 0;
}

static int read_latency(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *lat;
	if (get_object(rd, root, "", "latency", NULLABLE, &lat))
		return RESULT_BAD;
	if (!lat)
		return 0;
	if (get_count(rd, lat, "latency", "timer_overhead_ns", REQUIRED, NULL,
	              &r->timer_overhead_ns))
		return RESULT_BAD;
	for (unsigned k = 0; k < LATENCY_KINDS; k++) {
		struct result_latency *l = &r->latency[k];
		char where[64];
		json_t *o;
		snprintf(where, sizeof where, "latency.%s", latency_kind_name[k]);
		if (get_object(rd, lat, "latency", latency_kind_name[k],
		               k == LATENCY_ALL ? REQUIRED : NULLABLE, &o))
			return RESULT_BAD;
		if (!o)
			continue;
		if (get_count(rd, o, where, "count", REQUIRED, NULL, &l->count) ||
		    get_count(rd, o, where, "p50", REQUIRED, NULL, &l->p50) ||
		    get_count(rd, o, where, "p90", REQUIRED, NULL, &l->p90) ||
		    get_count(rd, o, where, "p99", REQUIRED, NULL, &l->p99) ||
		    get_count(rd, o, where, "p999", REQUIRED, NULL, &l->p999) ||
		    get_count(rd, o, where, "max", REQUIRED, NULL, &l->max))
			return RESULT_BAD;
		if (!(l->p50 <= l->p90 && l->p90 <= l->p99 && l->p99 <= l->p999 &&
		      l->p999 <= l->max))
			return bad(rd, "%s: percentiles are not in order (p50 <= p90 <= p99 <= "
			           "p999 <= max)", where);
		l->present = 1;
	}
	r->has_latency = 1;
	return 0;
}

/* obj[key]: an array of exactly n whole numbers >= 0, or (NULLABLE) null. */
static int read_u64_array(struct reader *rd, const json_t *obj, const char *key,
                          enum presence p, unsigned n, int *has, uint64_t **out)
{
	json_t *a = json_object_get(obj, key);
	*has = 0;
	if (!a || json_is_null(a)) {
		if (p == NULLABLE)
			return 0;
		return bad(rd, "timeline.%s: missing", key);
	}
	if (!json_is_array(a))
		return bad(rd, "timeline.%s: expected an array, found %s", key, type_name(a));
	if (json_array_size(a) != n)
		return bad(rd, "timeline.%s: %zu values, but points is %u", key,
		           json_array_size(a), n);
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return bad(rd, "timeline.%s: out of memory", key);
	for (unsigned k = 0; k < n; k++) {
		json_t *v = json_array_get(a, k);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad(rd, "timeline.%s[%u]: expected a whole number >= 0, found %s",
			           key, k, json_is_integer(v) ? "a negative one" : type_name(v));
		(*out)[k] = (uint64_t)json_integer_value(v);
	}
	*has = 1;
	return 0;
}

static int read_timeline(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *tl;
	uint64_t points;
	int has_op;
	if (get_object(rd, root, "", "timeline", NULLABLE, &tl))
		return RESULT_BAD;
	if (!tl)
		return 0;
	if (get_count(rd, tl, "timeline", "points", REQUIRED, NULL, &points))
		return RESULT_BAD;
	if (points > RESULT_TIMELINE_MAX)
		return bad(rd, "timeline.points: %llu is more than %u", (unsigned long long)points,
		           RESULT_TIMELINE_MAX);
	unsigned n = (unsigned)points;
	if (read_u64_array(rd, tl, "op", REQUIRED, n, &has_op, &r->timeline_op) ||
	    read_u64_array(rd, tl, "break_bytes", NULLABLE, n, &r->has_timeline_break,
	                   &r->timeline_break) ||
	    read_u64_array(rd, tl, "live_bytes", NULLABLE, n, &r->has_timeline_live,
	                   &r->timeline_live))
		return RESULT_BAD;
	for (unsigned k = 0; k < n; k++) {
		if (r->timeline_op[k] > r->ops)
			return bad(rd, "timeline.op[%u]: %llu is past the trace's %llu ops", k,
			           (unsigned long long)r->timeline_op[k],
			           (unsigned long long)r->ops);
		if (k && r->timeline_op[k] < r->timeline_op[k - 1])
			return bad(rd, "timeline.op[%u]: goes backwards", k);
	}
	r->timeline_points = n;
	return 0;
}

/*
 * ---- What `bench compare` judges by (issue 14) ----
 * The timing samples (wall and CPU) and the failed-allocation counts, kept
 * for the statistics (read_pass_figures and read_cost check the summaries,
 * touch and cost).  Every one is optional, so results written before these
 * fields existed still read.
 */

/* throughput[key]: absent/null, or an array of at most RESULT_SAMPLES_MAX numbers >= 0. */
static int read_samples(struct reader *rd, const json_t *tp, const char *key, size_t *n,
                        double **out)
{
	json_t *a = json_object_get(tp, key);
	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(rd, "throughput.%s: expected an array, found %s", key, type_name(a));
	size_t len = json_array_size(a);
	if (len > RESULT_SAMPLES_MAX)
		return bad(rd, "throughput.%s: more than %d samples", key, RESULT_SAMPLES_MAX);
	*out = calloc(len ? len : 1, sizeof **out);
	if (!*out)
		return bad(rd, "throughput.%s: out of memory", key);
	for (size_t k = 0; k < len; k++) {
		json_t *v = json_array_get(a, k);
		double d = json_is_number(v) ? json_number_value(v) : -1;
		if (!isfinite(d) || d < 0)
			return bad(rd, "throughput.%s[%zu]: expected a number >= 0, found %s", key, k,
			           json_is_number(v) ? "a negative one" : type_name(v));
		(*out)[k] = d;
	}
	*n = len;
	return 0;
}

static int read_compare_fields(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *tp, *ops;
	if (get_object(rd, root, "", "throughput", NULLABLE, &tp) ||
	    get_object(rd, root, "", "ops", NULLABLE, &ops))
		return RESULT_BAD;
	if (tp && (read_samples(rd, tp, "samples_ns_per_op", &r->n_samples_ns, &r->samples_ns) ||
	           read_samples(rd, tp, "samples_cpu_ns_per_op", &r->n_samples_cpu_ns,
	                        &r->samples_cpu_ns)))
		return RESULT_BAD;

	if (ops) {
		int has_failed, has_skipped;
		if (get_count(rd, ops, "ops", "failed_allocations", NULLABLE, &has_failed,
		              &r->failed_allocations) ||
		    get_count(rd, ops, "ops", "skipped_ops", NULLABLE, &has_skipped, &r->skipped_ops))
			return RESULT_BAD;
		r->has_op_failures = has_failed || has_skipped;
	}
	return 0;
}

static int is_hex64(const char *s)
{
	size_t n = strlen(s);
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * machine (which one, for merging the results of several hosts) and
 * concurrency (written by units that claimed a slot): both optional, so
 * results written before them still read.
 */
static int read_placement(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *m, *c;
	if (get_object(rd, root, "", "machine", NULLABLE, &m))
		return RESULT_BAD;
	if (m && (get_string(rd, m, "machine", "name", NULLABLE, r->machine, sizeof r->machine)
	          || (!r->machine[0] && get_string(rd, m, "machine", "hostname", NULLABLE,
	                                           r->machine, sizeof r->machine))))
		return RESULT_BAD;
	if (get_object(rd, root, "", "concurrency", NULLABLE, &c))
		return RESULT_BAD;
	if (!c)
		return RESULT_OK;
	r->has_concurrency = 1;
	if (get_count(rd, c, "concurrency", "cells_running", REQUIRED, NULL, &r->cells_running) ||
	    get_count(rd, c, "concurrency", "pinned_cpu", NULLABLE, &r->has_pinned_cpu,
	              &r->pinned_cpu))
		return RESULT_BAD;
	if (r->cells_running < 1)
		return bad(rd, "concurrency.cells_running: 0, but the cell itself was running");
	return RESULT_OK;
}

static int read_cell_kind(struct reader *rd, const json_t *root, uint64_t version,
                          int *program);
static int read_program(struct reader *rd, const json_t *root, struct result *r);

/*
 * The schema and its version: RESULT_OK, RESULT_BAD, or RESULT_FOREIGN for
 * another format's file (both with a message).
 */
static int read_schema(struct reader *rd, const json_t *root, uint64_t *version)
{
	char schema[64];
	if (!json_is_object(root))
		return bad(rd, "expected a JSON object, found %s", type_name(root));
	json_t *v = json_object_get(root, "schema");
	if (!v)
		return bad(rd, "no \"schema\" field");
	if (!json_is_string(v))
		return bad(rd, "schema: expected a string, found %s", type_name(v));
	if (strcmp(json_string_value(v), RESULT_SCHEMA) != 0) {
		snprintf(schema, sizeof schema, "%s", json_string_value(v));
		bad(rd, "schema is \"%s\", not \"%s\"", schema, RESULT_SCHEMA);
		return RESULT_FOREIGN;
	}
	if (get_count(rd, root, "", "schema_version", REQUIRED, NULL, version))
		return RESULT_BAD;
	if (*version != RESULT_SCHEMA_VERSION && *version != PROGRAM_SCHEMA_VERSION)
		return bad(rd, "schema_version %llu; this bench reads versions %d and %d",
		           (unsigned long long)*version, RESULT_SCHEMA_VERSION,
		           PROGRAM_SCHEMA_VERSION);
	return RESULT_OK;
}

/* A trace cell's trace (path, sha256, ops, the file's name) and allocator.kind's word. */
static int read_trace(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *trace;
	if (get_object(rd, root, "", "trace", REQUIRED, &trace) ||
	    get_string(rd, trace, "trace", "path", REQUIRED, r->trace_path, sizeof r->trace_path) ||
	    get_string(rd, trace, "trace", "sha256", NULLABLE, r->sha256, sizeof r->sha256) ||
	    get_count(rd, trace, "trace", "ops", REQUIRED, NULL, &r->ops))
		return RESULT_BAD;
	if (r->kind[0]) {   /* one of peer_kind_name's words (the writer's) */
		int known = 0;
		for (int k = ALLOC_BUILTIN; k <= ALLOC_STUDENT && !known; k++)
			known = !strcmp(r->kind, peer_kind_name((enum alloc_kind)k));
		if (!known)
			return bad(rd, "allocator.kind: \"%s\" is not one of builtin, peer, test, "
			           "student", r->kind);
	}
	if (r->sha256[0] && !is_hex64(r->sha256))
		return bad(rd, "trace.sha256: not 64 lowercase hex digits");
	const char *slash = strrchr(r->trace_path, '/');
	const char *base = slash ? slash + 1 : r->trace_path;
	if (!*base)
		return bad(rd, "trace.path: \"%s\" names no file", r->trace_path);
	if (strlen(base) >= sizeof r->trace_name)
		return bad(rd, "trace.path: file name longer than %zu characters",
		           sizeof r->trace_name - 1);
	strcpy(r->trace_name, base);
	return RESULT_OK;
}

/* runs, and status: one of cell_status_name's words. */
static int read_status(struct reader *rd, const json_t *root, struct result *r)
{
	if (get_count(rd, root, "", "runs", REQUIRED, NULL, &r->runs) ||
	    get_string(rd, root, "", "status", REQUIRED, r->status, sizeof r->status))
		return RESULT_BAD;
	for (const char *c = r->status; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '-'))
			return bad(rd, "status: \"%s\" is not a status word", r->status);
	static const char *const statuses[] = {   /* cell_status_name's words */
		"ok", "check-failed", "bad-input", "system-error", "crashed", "timeout",
		"unsupported", "not-run",
	};
	size_t known = 0;
	while (known < sizeof statuses / sizeof statuses[0] && strcmp(r->status, statuses[known]))
		known++;
	if (known == sizeof statuses / sizeof statuses[0])
		return bad(rd, "status: \"%s\" is not one of ok, check-failed, bad-input, "
		           "system-error, crashed, timeout, unsupported, not-run", r->status);
	return RESULT_OK;
}

/* options.align and .interleave, and check.message: older results lack them. */
static int read_options(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *opts = NULL, *check = NULL;
	int has_align = 0;
	if (get_object(rd, root, "", "options", NULLABLE, &opts) ||
	    (opts && get_count(rd, opts, "options", "align", NULLABLE, &has_align, &r->align)))
		return RESULT_BAD;
	if (opts) {
		json_t *il = json_object_get(opts, "interleave");
		if (il && !json_is_boolean(il) && !json_is_null(il))
			return bad(rd, "options.interleave: expected true or false, found %s",
			           type_name(il));
		r->interleaved = json_is_true(il);
	}
	if (!has_align)
		r->align = 16;
	else if (!r->align || (r->align & (r->align - 1)))
		return bad(rd, "options.align: %llu is not a power of two",
		           (unsigned long long)r->align);
	if (get_object(rd, root, "", "check", NULLABLE, &check) ||
	    (check && get_string(rd, check, "check", "message", NULLABLE, r->message,
	                         sizeof r->message)))
		return RESULT_BAD;
	return RESULT_OK;
}

static int read_root(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *alloc;
	uint64_t version;
	int rc = read_schema(rd, root, &version);
	if (rc != RESULT_OK)
		return rc;
	int program;
	if (read_cell_kind(rd, root, version, &program))
		return RESULT_BAD;

	if (get_object(rd, root, "", "allocator", REQUIRED, &alloc) ||
	    get_string(rd, alloc, "allocator", "name", REQUIRED, r->allocator,
	               sizeof r->allocator) ||
	    get_string(rd, alloc, "allocator", "kind", NULLABLE, r->kind, sizeof r->kind))
		return RESULT_BAD;
	if (program)
		return read_program(rd, root, r) || read_placement(rd, root, r) ? RESULT_BAD
		                                                                : RESULT_OK;
	if (read_trace(rd, root, r) || read_status(rd, root, r) || read_options(rd, root, r))
		return RESULT_BAD;
	if (read_throughput(rd, root, r) || read_memory(rd, root, r) ||
	    read_latency(rd, root, r) || read_timeline(rd, root, r) || read_cost(rd, root, r) ||
	    read_placement(rd, root, r) || read_compare_fields(rd, root, r))
		return RESULT_BAD;
	return RESULT_OK;
}

int result_parse(const char *name, const char *text, size_t len, struct result *out,
                 char *err, size_t errlen)
{
	struct reader rd = { .name = name, .err = err, .errlen = errlen };
	json_error_t je;

	memset(out, 0, sizeof *out);
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		char shown[sizeof je.text * 4];
		snprintf(err, errlen, "%s:%d: not a heaplab result (bad JSON: %s)", name,
		         je.line > 0 ? je.line : 1, printable(shown, sizeof shown, je.text));
		return RESULT_BAD;
	}
	int s = read_root(&rd, root, out);
	json_decref(root);
	if (s != RESULT_OK) {
		result_free(out);
		return s;
	}
	snprintf(out->file, sizeof out->file, "%s", name);
	/* Names are printed by report and compare: never raw control characters. */
	char *texts[] = { out->file, out->allocator, out->kind, out->trace_path, out->trace_name,
	                  out->message, out->machine,
	                  out->program ? out->program->command : NULL };
	size_t sizes[] = { sizeof out->file, sizeof out->allocator, sizeof out->kind,
	                   sizeof out->trace_path, sizeof out->trace_name, sizeof out->message,
	                   sizeof out->machine, sizeof out->program->command };
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
		if (texts[k] && safe_text_needed(texts[k])) {
			char tmp[RESULT_PATH_MAX * 4];
			safe_text(tmp, sizes[k], texts[k]);
			memcpy(texts[k], tmp, strlen(tmp) + 1);
		}
	return RESULT_OK;
}

void result_free(struct result *r)
{
	free(r->timeline_op);
	free(r->timeline_break);
	free(r->timeline_live);
	r->timeline_op = r->timeline_break = r->timeline_live = NULL;
	free(r->samples_ns);
	free(r->samples_cpu_ns);
	r->samples_ns = r->samples_cpu_ns = NULL;
	r->n_samples_ns = r->n_samples_cpu_ns = 0;
	r->timeline_points = 0;
	if (r->program) {
		free(r->program->timeline_ms);
		free(r->program->timeline_rss);
		free(r->program);
		r->program = NULL;
	}
}

/* read_whole_fd's allocator: malloc's. */
static void *heap_resize(void *p, size_t old, size_t new_size)
{
	(void)old;
	return realloc(p, new_size);
}

static void heap_release(void *p, size_t cap)
{
	(void)cap;
	free(p);
}

int result_load(const char *path, struct result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return RESULT_BAD;
	}
	if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && (size_t)st.st_size > RESULT_FILE_MAX)) {
		snprintf(err, errlen, "%s: not a heaplab result (%s)", path,
		         S_ISDIR(st.st_mode) ? "a directory" : "too large");
		close(fd);
		return RESULT_BAD;
	}
	/* Read to the end whatever the file is (a pipe has no size). */
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, len = 0;
	char *buf = NULL;
	int e = read_whole_fd(fd, cap, RESULT_FILE_MAX, heap_resize, heap_release,
	                      &buf, &len, &cap);
	close(fd);
	if (e == ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (e == EFBIG)
		snprintf(err, errlen, "%s: not a heaplab result (too large)", path);
	else if (e)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	if (e)
		return RESULT_BAD;
	int s = result_parse(path, buf, len, out, err, errlen);
	free(buf);
	return s;
}

static int set_add(struct result_set *set, const struct result *r, char *err, size_t errlen)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct result *items = realloc(set->items, cap * sizeof *items);
		if (!items) {
			snprintf(err, errlen, "out of memory for %zu results", cap);
			return -1;
		}
		set->items = items;
		set->cap = cap;
	}
	set->items[set->n++] = *r;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int collect(const char *path, int top, struct result_set *set, char *err,
                   size_t errlen, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth > 32) {
			snprintf(err, errlen, "%s: directories nested too deeply", path);
			return -1;
		}
		struct dirent **names;
		int n = scandir(path, &names, NULL, alphasort);
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		int rc = 0;
		for (int i = 0; i < n; i++) {
			const char *e = names[i]->d_name;
			if (!rc && e[0] != '.') {
				char *child;
				if (asprintf(&child, "%s%s%s", path,
				             ends_with(path, "/") ? "" : "/", e) < 0) {
					snprintf(err, errlen, "%s: out of memory", path);
					rc = -1;
				} else {
					struct stat cs;
					int ok = stat(child, &cs) == 0, dir = ok && S_ISDIR(cs.st_mode);
					/* Regular files only: a FIFO named *.json would block the read. */
					if (dir || (ok && S_ISREG(cs.st_mode) && ends_with(e, ".json")
					            && strcmp(e, "summary.json")))
						rc = collect(child, 0, set, err, errlen, depth + 1);
					free(child);
				}
			}
			free(names[i]);
		}
		free(names);
		return rc;
	}
	struct result r;
	int s = result_load(path, &r, err, errlen);
	if (s == RESULT_FOREIGN && !top)
		return 0;   /* someone else's JSON in a results folder */
	if (s != RESULT_OK)
		return -1;
	if (set_add(set, &r, err, errlen)) {
		result_free(&r);
		return -1;
	}
	return 0;
}

int result_collect(const char *path, struct result_set *set, char *err, size_t errlen)
{
	return collect(path, 1, set, err, errlen, 0);
}

void result_set_free(struct result_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		result_free(&set->items[i]);
	free(set->items);
	memset(set, 0, sizeof *set);
}

/*
 * ---- program cells (schema version 2, "cell": "program") ----
 *
 * Version 2 adds "cell": "trace" (absent: trace) or "program".  A program
 * cell has "program" instead of "trace", its figures under "time", "faults",
 * "context_switches" and "memory" (null unless status is ok), and an
 * "rss_timeline" instead of the heap timeline.
 */
static int read_cell_kind(struct reader *rd, const json_t *root, uint64_t version,
                          int *program)
{
	char cell[16];
	*program = 0;
	if (version < PROGRAM_SCHEMA_VERSION)
		return 0;
	if (get_string(rd, root, "", "cell", NULLABLE, cell, sizeof cell))
		return RESULT_BAD;
	if (!cell[0] || !strcmp(cell, "trace"))
		return 0;
	if (strcmp(cell, "program"))
		return bad(rd, "cell: \"%s\" is neither \"trace\" nor \"program\"", cell);
	*program = 1;
	return 0;
}

/* obj[key] as a summary {median, min, max} in order, each in [0, hi]. */
static int read_spread(struct reader *rd, const json_t *obj, const char *where,
                       const char *key, double hi, double *median, double *min, double *max)
{
	json_t *o;
	char at[96];
	double lo_, hi_;
	snprintf(at, sizeof at, "%s.%s", where, key);
	if (!min)
		min = &lo_;
	if (!max)
		max = &hi_;
	if (get_object(rd, obj, where, key, REQUIRED, &o) ||
	    get_number(rd, o, at, "median", REQUIRED, 0, hi, NULL, median) ||
	    get_number(rd, o, at, "min", REQUIRED, 0, hi, NULL, min) ||
	    get_number(rd, o, at, "max", REQUIRED, 0, hi, NULL, max))
		return RESULT_BAD;
	if (!(*min <= *median && *median <= *max))
		return bad(rd, "%s: min %g, median %g and max %g are not in order", at, *min,
		           *median, *max);
	return 0;
}

static int read_program_figures(struct reader *rd, const json_t *root, struct result *r)
{
	struct result_program *p = r->program;
	json_t *t, *f, *cs, *m;
	if (get_object(rd, root, "", "time", NULLABLE, &t) ||
	    get_object(rd, root, "", "faults", NULLABLE, &f) ||
	    get_object(rd, root, "", "context_switches", NULLABLE, &cs) ||
	    get_object(rd, root, "", "memory", NULLABLE, &m))
		return RESULT_BAD;
	if (!t || !f || !cs || !m) {
		if (!strcmp(r->status, "ok"))
			return bad(rd, "%s: null, but status ok",
			           !t ? "time" : !f ? "faults" : !cs ? "context_switches" : "memory");
		return 0;
	}
	const double big = 1e15;
	if (read_spread(rd, t, "time", "wall_seconds", big, &p->wall_median, &p->wall_min,
	                &p->wall_max) ||
	    read_spread(rd, t, "time", "user_seconds", big, &p->user_median, NULL, NULL) ||
	    read_spread(rd, t, "time", "system_seconds", big, &p->sys_median, NULL, NULL) ||
	    read_spread(rd, f, "faults", "minor", big, &p->minor_faults, NULL, NULL) ||
	    read_spread(rd, f, "faults", "major", big, &p->major_faults, NULL, NULL) ||
	    read_spread(rd, cs, "context_switches", "voluntary", big, &p->voluntary_switches,
	                NULL, NULL) ||
	    read_spread(rd, cs, "context_switches", "involuntary", big,
	                &p->involuntary_switches, NULL, NULL) ||
	    get_count(rd, m, "memory", "peak_rss_bytes", REQUIRED, &r->has_peak_rss,
	              &r->peak_rss) ||
	    get_count(rd, m, "memory", "sampled_peak_rss_bytes", NULLABLE, &p->has_sampled_rss,
	              &p->sampled_rss) ||
	    get_count(rd, m, "memory", "peak_break_bytes", NULLABLE, &r->has_peak_break,
	              &r->peak_break) ||
	    get_count(rd, m, "memory", "provider_calls", NULLABLE, &r->has_provider_calls,
	              &r->provider_calls))
		return RESULT_BAD;
	p->has_figures = 1;
	return 0;
}

static int read_rss_timeline(struct reader *rd, const json_t *root, struct result *r)
{
	struct result_program *p = r->program;
	json_t *tl;
	uint64_t points;
	int has;
	if (get_object(rd, root, "", "rss_timeline", NULLABLE, &tl))
		return RESULT_BAD;
	if (!tl)
		return 0;
	if (get_count(rd, tl, "rss_timeline", "points", REQUIRED, NULL, &points))
		return RESULT_BAD;
	if (points > RESULT_TIMELINE_MAX)
		return bad(rd, "rss_timeline.points: %llu is more than %u",
		           (unsigned long long)points, RESULT_TIMELINE_MAX);
	/* read_u64_array names its arrays timeline.KEY in messages. */
	if (read_u64_array(rd, tl, "ms", REQUIRED, (unsigned)points, &has, &p->timeline_ms) ||
	    read_u64_array(rd, tl, "rss_bytes", REQUIRED, (unsigned)points, &has,
	                   &p->timeline_rss))
		return RESULT_BAD;
	for (unsigned k = 1; k < points; k++)
		if (p->timeline_ms[k] < p->timeline_ms[k - 1])
			return bad(rd, "rss_timeline.ms[%u]: goes backwards", k);
	p->timeline_points = (unsigned)points;
	return 0;
}

static int read_program(struct reader *rd, const json_t *root, struct result *r)
{
	json_t *prog;
	r->is_program = 1;
	r->program = calloc(1, sizeof *r->program);
	if (!r->program)
		return bad(rd, "out of memory");
	struct result_program *p = r->program;
	if (get_object(rd, root, "", "program", REQUIRED, &prog) ||
	    get_string(rd, prog, "program", "name", REQUIRED, r->trace_name,
	               sizeof r->trace_name) ||
	    get_string(rd, prog, "program", "command", NULLABLE, p->command, sizeof p->command) ||
	    get_string(rd, root, "", "output_sha256", NULLABLE, p->output_sha256,
	               sizeof p->output_sha256) ||
	    get_count(rd, root, "", "runs", REQUIRED, NULL, &r->runs) ||
	    get_string(rd, root, "", "status", REQUIRED, r->status, sizeof r->status))
		return RESULT_BAD;
	if (strchr(r->trace_name, '/'))
		return bad(rd, "program.name: \"%s\" contains '/'", r->trace_name);
	if (p->output_sha256[0] && !is_hex64(p->output_sha256))
		return bad(rd, "output_sha256: not 64 lowercase hex digits");
	snprintf(r->trace_path, sizeof r->trace_path, "%s", r->trace_name);
	for (const char *c = r->status; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '-'))
			return bad(rd, "status: \"%s\" is not a status word", r->status);
	if (read_program_figures(rd, root, r) || read_rss_timeline(rd, root, r))
		return RESULT_BAD;
	return RESULT_OK;
}
