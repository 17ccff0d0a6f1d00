/* writer.c - a cell's result as JSON and as a human summary (see writer.h). */
#define _GNU_SOURCE
#include "writer.h"

#include "../core/fileio.h"
#include "../process/isolate.h"
#include "../core/outpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cell_status_name(enum cell_status s)
{
	switch (s) {
	case CELL_OK:          return "ok";
	case CELL_CHECK_FAILED: return "check-failed";
	case CELL_BAD_INPUT:   return "bad-input";
	case CELL_SYSTEM:      return "system-error";
	case CELL_CRASHED:     return "crashed";
	case CELL_TIMEOUT:     return "timeout";
	case CELL_UNSUPPORTED: return "unsupported";
	case CELL_NOT_RUN:     return "not-run";
	}
	return "unknown";
}

static int is_peer(const struct result_input *in)
{
	return in->kind && strcmp(in->kind, "peer") == 0;
}

static const char *pass_name(uint32_t pass, char *buf, size_t len)
{
	if (pass == REPLAY_PASS_CHECKED)
		return "checked";
	if (pass == REPLAY_PASS_MEMORY)
		return "memory";
	if (pass == REPLAY_PASS_LATENCY)
		return "latency";
	if (pass >= REPLAY_PASS_TIMED && pass < REPLAY_PASS_TIMED + RUN_MAX) {
		snprintf(buf, len, "timed %u", pass - REPLAY_PASS_TIMED + 1);
		return buf;
	}
	return "none";
}

static const char *format_name(enum trace_format f)
{
	return f == TRACE_REP ? "rep" : "native";
}

/* json_object_set_new that remembers a failure instead of ignoring it. */
static void put(json_t *obj, const char *key, json_t *value, int *bad)
{
	if (!value || json_object_set_new(obj, key, value) != 0)
		*bad = 1;
}

static json_t *summary_json(const double *samples, unsigned n, int *bad)
{
	struct sample_summary s;
	metrics_summarise(samples, n, &s);
	json_t *o = json_object();
	if (!o)
		return *bad = 1, NULL;
	put(o, "median", json_real(s.median), bad);
	put(o, "min", json_real(s.min), bad);
	put(o, "max", json_real(s.max), bad);
	return o;
}

static json_t *u64(uint64_t v) { return json_integer((json_int_t)v); }

/* "latency": null unless the --latency pass ran to its end. */
static json_t *latency_json(const struct latency_figures *f, int *bad)
{
	if (!f->measured)
		return json_null();
	json_t *o = json_object();
	if (!o)
		return *bad = 1, NULL;
	put(o, "method", json_string(LATENCY_METHOD), bad);
	put(o, "timer_overhead_ns", u64(f->timer_overhead_ns), bad);
	for (unsigned k = 0; k < LATENCY_KINDS; k++) {
		const struct latency_stat *s = &f->kind[k];
		put(o, latency_kind_name[k],
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)s->count,
		              "p50", (json_int_t)s->p50, "p90", (json_int_t)s->p90,
		              "p99", (json_int_t)s->p99, "p999", (json_int_t)s->p999,
		              "max", (json_int_t)s->max), bad);
	}
	return o;
}

static json_t *u64_array(const uint64_t *v, unsigned n, int *bad)
{
	json_t *a = json_array();
	for (unsigned k = 0; a && k < n; k++)
		if (json_array_append_new(a, u64(v[k])))
			*bad = 1;
	if (!a)
		*bad = 1;
	return a;
}

/* "timeline": the heap at evenly spaced points of the checked pass. */
static json_t *timeline_json(const struct timeline *tl, int *bad)
{
	json_t *o = json_object();
	if (!o)
		return *bad = 1, NULL;
	put(o, "points", json_integer(tl->points), bad);
	put(o, "op", u64_array(tl->op, tl->points, bad), bad);
	put(o, "break_bytes", tl->has_break || !tl->points
	                      ? u64_array(tl->break_bytes, tl->points, bad) : json_null(), bad);
	put(o, "live_bytes", u64_array(tl->live_bytes, tl->points, bad), bad);
	return o;
}

/*
 * Why peak RSS or utilization_rss is missing, or "": the memory pass's note
 * when it did not measure, or why the ratio is not known (metrics.h).
 */
static void rss_note(const struct result_input *in, char *buf, size_t len)
{
	const struct cell_extra *x = in->extra;
	uint64_t live = in->result->peak_live_bytes;
	buf[0] = '\0';
	if (!x)
		return;
	if (!x->mem.measured)
		snprintf(buf, len, "%s", x->mem.note);
	else if (x->mem.peak_rss_bytes < live)
		snprintf(buf, len, "RSS grew by %llu bytes for %llu live bytes: the library "
		         "placed blocks in memory resident before the pass (in the baseline), "
		         "so peak live / peak RSS is not known", (unsigned long long)x->mem.peak_rss_bytes,
		         (unsigned long long)live);
}

/* CPU time per op of each pass: (user + system) / ops. */
static void cpu_samples(const struct cell_result *r, const struct trace *t, double *ns,
                        double *ops)
{
	for (unsigned k = 0; k < r->runs; k++) {
		double cpu = (double)(r->pass[k].user_ns + r->pass[k].sys_ns);
		ns[k] = t->nops ? cpu / (double)t->nops : 0.0;
		ops[k] = cpu > 0 ? (double)t->nops * 1e9 / cpu : 0.0;
	}
}

/* throughput.passes: each timed pass's figures. */
static json_t *passes_json(const struct cell_result *r, int *bad)
{
	json_t *a = json_array();
	if (!a)
		return *bad = 1, NULL;
	for (unsigned k = 0; k < r->runs; k++) {
		const struct pass_figures *f = &r->pass[k];
		if (json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		        "wall_ns", (json_int_t)f->wall_ns, "user_ns", (json_int_t)f->user_ns,
		        "sys_ns", (json_int_t)f->sys_ns,
		        "minor_faults", (json_int_t)f->minor_faults,
		        "major_faults", (json_int_t)f->major_faults,
		        "voluntary_switches", (json_int_t)f->voluntary_switches,
		        "involuntary_switches", (json_int_t)f->involuntary_switches)))
			*bad = 1;
	}
	return a;
}

static json_t *per_op(int has, uint64_t n, uint64_t ops)
{
	return has && ops ? json_real((double)n / (double)ops) : json_null();
}

/* "cost": null, or the --count figures (count.h). */
static json_t *cost_json(const struct cost_figures *c, int *bad)
{
	if (c->method == COUNT_OFF)
		return json_null();
	json_t *o = json_object();
	if (!o)
		return *bad = 1, NULL;
	put(o, "method", json_string(count_method_name(c->method)), bad);
	put(o, "ops", u64(c->ops), bad);
	put(o, "instructions", u64(c->instructions), bad);
	put(o, "instructions_per_op", per_op(1, c->instructions, c->ops), bad);
	put(o, "cycles_per_op", per_op(c->has_cycles, c->cycles, c->ops), bad);
	put(o, "l1d_misses_per_op", per_op(c->has_l1d, c->l1d_misses, c->ops), bad);
	put(o, "ll_misses_per_op", per_op(c->has_ll, c->ll_misses, c->ops), bad);
	return o;
}

/* "schema" to "allocator": what wrote the result, when, where and about what. */
static void put_identity(json_t *root, const struct result_input *in, int *bad)
{
	char when[32];
	struct tm tm;
	gmtime_r(&in->when, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	put(root, "schema", json_string(RESULT_SCHEMA), bad);
	put(root, "schema_version", json_integer(RESULT_SCHEMA_VERSION), bad);
	put(root, "tool", json_pack("{s:s, s:s}", "name", HEAPLAB_NAME,
	                            "version", HEAPLAB_VERSION), bad);
	put(root, "timestamp", json_string(when), bad);
	put(root, "machine", json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}",
	                               "cpu", in->machine->cpu, "cores", in->machine->cores,
	                               "os", in->machine->os, "arch", in->machine->arch,
	                               "hostname", in->machine->hostname,
	                               "name", in->machine->name), bad);
	put(root, "allocator", json_pack("{s:s, s:s, s:s, s:o}", "name", in->alloc->name,
	                                 "description", in->alloc->description,
	                                 "kind", in->kind ? in->kind : "builtin",
	                                 "library", in->library ? json_string(in->library)
	                                                        : json_null()), bad);
}

static json_t *trace_json(const struct trace *t, int *bad)
{
	json_t *counts = json_object();
	for (unsigned k = 0; counts && k < OP_KINDS; k++)
		put(counts, trace_kind_name(k), u64(t->count[k]), bad);
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:I, s:I}",
	                 "path", t->path, "format", format_name(t->format),
	                 "sha256", t->sha256,
	                 "bytes", (json_int_t)t->file_bytes,
	                 "ops", (json_int_t)t->nops,
	                 "ids", (json_int_t)t->nslots,
	                 "op_counts", counts,
	                 "peak_live_bytes", (json_int_t)t->peak_live_bytes,
	                 "peak_live_blocks", (json_int_t)t->peak_live_blocks);
}

static json_t *options_json(const struct cell_options *opt, int *bad)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:I, s:o, s:I}",
	                      "check_every", (json_int_t)opt->check_every,
	                      "heap_limit", (json_int_t)opt->heap_limit,
	                      "touch", touch_name(opt->touch),
	                      "warmup", (json_int_t)opt->warmup,
	                      "count", opt->count
	                               ? json_string(opt->count == COUNT_AUTO ? "auto"
	                                             : count_method_name(opt->count))
	                               : json_null(),
	                      "align", (json_int_t)cell_align(opt));
	if (o && opt->interleave)
		put(o, "interleave", json_true(), bad);
	return o;
}

/* "throughput": the timed passes' figures, or null when none ran. */
static json_t *throughput_json(const struct result_input *in, int *bad)
{
	const struct cell_result *r = in->result;
	if (!r->runs)
		return json_null();
	double cpu_ns[RUN_MAX], cpu_ops[RUN_MAX];
	cpu_samples(r, in->trace, cpu_ns, cpu_ops);
	json_t *samples = json_array(), *cpu = json_array();
	for (unsigned k = 0; samples && cpu && k < r->runs; k++)
		if (json_array_append_new(samples, json_real(r->ns_per_op[k])) ||
		    json_array_append_new(cpu, json_real(cpu_ns[k])))
			*bad = 1;
	json_t *tp = json_object();
	if (!tp) {
		json_decref(samples);
		json_decref(cpu);
		return NULL;
	}
	put(tp, "ops_per_sec", summary_json(r->ops_per_sec, r->runs, bad), bad);
	put(tp, "ns_per_op", summary_json(r->ns_per_op, r->runs, bad), bad);
	put(tp, "samples_ns_per_op", samples, bad);
	put(tp, "cpu_ops_per_sec", summary_json(cpu_ops, r->runs, bad), bad);
	put(tp, "cpu_ns_per_op", summary_json(cpu_ns, r->runs, bad), bad);
	put(tp, "samples_cpu_ns_per_op", cpu, bad);
	put(tp, "passes", passes_json(r, bad), bad);
	put(tp, "touch", json_string(touch_name(in->opt->touch)), bad);
	put(tp, "warmup_passes", json_integer(in->opt->warmup), bad);
	return tp;
}

/* "memory": the break (built-ins) and RSS figures; null when the child sent none. */
static json_t *memory_json(const struct result_input *in, int *bad)
{
	const struct cell_result *r = in->result;
	const struct memory_figures *m = &r->memory;
	const struct cell_extra *x = in->extra;
	double util = metrics_utilization(r->peak_live_bytes, m->peak_break);
	int peer = is_peer(in);
	/* A child that died or never ran sent no figures: null, not zeros. */
	if (r->status >= CELL_CRASHED)
		return json_null();
	json_t *mem = json_object();
	if (!mem)
		return NULL;
	/* A peer has no heap provider: its break figures do not exist (null, not 0). */
#define BRK(v) (peer ? json_null() : (v))
	put(mem, "method", BRK(json_string("provider-break")), bad);
	put(mem, "peak_break_bytes", BRK(u64(m->peak_break)), bad);
	put(mem, "final_break_bytes", BRK(u64(m->final_break)), bad);
	put(mem, "peak_live_bytes", u64(r->peak_live_bytes), bad);
	put(mem, "peak_live_blocks", u64(r->peak_live_blocks), bad);
	put(mem, "utilization", BRK(json_real(util)), bad);
	put(mem, "fragmentation", BRK(json_real(m->peak_break ? 1.0 - util : 0.0)), bad);
	put(mem, "provider_calls", BRK(u64(m->provider_calls)), bad);
	put(mem, "provider_grow_calls", BRK(u64(m->grow_calls)), bad);
	put(mem, "provider_shrink_calls", BRK(u64(m->shrink_calls)), bad);
	put(mem, "provider_refused_calls", BRK(u64(m->refused_calls)), bad);
	put(mem, "provider_bytes_requested", BRK(u64(m->bytes_requested)), bad);
	put(mem, "provider_bytes_released", BRK(u64(m->bytes_released)), bad);
	put(mem, "identical_across_runs", r->runs && !peer ? json_boolean(r->memory_identical)
	                                                   : json_null(), bad);
#undef BRK
	int rss = x && x->mem.measured;
	double urss = 0;
	int has_urss = rss && metrics_utilization_rss(r->peak_live_bytes,
	                                              x->mem.peak_rss_bytes, &urss);
	char note[sizeof x->mem.note + 200];
	rss_note(in, note, sizeof note);
	put(mem, "peak_rss_method", json_string(MEMPASS_METHOD), bad);
	put(mem, "peak_rss_bytes", rss ? u64(x->mem.peak_rss_bytes) : json_null(), bad);
	put(mem, "rss_baseline_bytes", rss ? u64(x->mem.baseline_bytes) : json_null(), bad);
	put(mem, "utilization_rss", has_urss ? json_real(urss) : json_null(), bad);
	put(mem, "rss_note", note[0] ? json_string(note) : json_null(), bad);
	return mem;
}

static json_t *ops_json(const struct result_input *in)
{
	const struct cell_result *r = in->result;
	const struct cell_extra *x = in->extra;
	uint64_t replayed = r->ops_replayed;
	if (r->status >= CELL_CRASHED && x && x->pass == REPLAY_PASS_CHECKED
	    && x->op != REPLAY_OP_NONE)
		replayed = x->op;   /* ops done before the one it died in */
	return json_pack("{s:I, s:I, s:I}",
	                 "replayed", (json_int_t)replayed,
	                 "failed_allocations", (json_int_t)r->memory.failed_allocations,
	                 "skipped_ops", (json_int_t)r->memory.skipped_ops);
}

static json_t *check_json(const struct cell_result *r)
{
	return json_pack("{s:b, s:I, s:I, s:o}",
	                 "passed", r->status == CELL_OK,
	                 "self_checks", (json_int_t)r->self_checks,
	                 "violations", (json_int_t)r->violations,
	                 "message", r->message[0] ? json_string(r->message) : json_null());
}

static json_t *allocator_stats_json(const struct cell_result *r, int *bad)
{
	json_t *stats = json_object();
	for (unsigned k = 0; stats && k < r->nstats; k++)
		put(stats, r->stats[k].name, u64(r->stats[k].value), bad);
	return stats;
}

/* "library_stats": what a peer's library says of itself, or null. */
static json_t *library_stats_json(const struct cell_extra *x, int *bad)
{
	if (!x || !x->lib.method[0])
		return json_null();
	json_t *vals = json_object();
	for (unsigned k = 0; vals && k < x->lib.n; k++)
		put(vals, x->lib.stat[k].name, u64(x->lib.stat[k].value), bad);
	return json_pack("{s:s, s:o}", "method", x->lib.method, "values", vals);
}

/* "failure": the signal, pass and op of a crash or a timeout, or null. */
static json_t *failure_json(const struct cell_result *r, const struct cell_extra *x)
{
	if (!x || (r->status != CELL_CRASHED && r->status != CELL_TIMEOUT))
		return json_null();
	char pb[32], sig[32];
	const char *ab = x->signal ? sigabbrev_np(x->signal) : NULL;
	snprintf(sig, sizeof sig, "SIG%s", ab ? ab : "?");
	return json_pack("{s:o, s:s, s:o}",
	                 "signal", x->signal ? json_string(sig) : json_null(),
	                 "pass", pass_name(x->pass, pb, sizeof pb),
	                 "op", x->op == REPLAY_OP_NONE ? json_null() : u64(x->op));
}

/* "threading": how a trace with threads was replayed (docs/threads.md). */
static json_t *threading_json(const struct cell_result *r, const struct trace *t)
{
	json_t *wall = json_null();
	if (r->runs) {
		struct sample_summary ns;
		metrics_summarise(r->ns_per_op, r->runs, &ns);
		wall = json_real(ns.median * (double)t->nops / 1e9);
	}
	return json_pack("{s:I, s:b, s:I, s:I, s:o}",
	                 "trace_threads", (json_int_t)t->nthreads,
	                 "global_lock", r->threaded && r->locked,
	                 "cross_thread_waits", (json_int_t)r->cross_thread_waits,
	                 "blocked_waits_max", (json_int_t)r->cross_thread_blocked,
	                 "wall_seconds_median", wall);
}

json_t *result_json(const struct result_input *in)
{
	const struct cell_result *r = in->result;
	const struct cell_extra *x = in->extra;
	int bad = 0;
	json_t *root = json_object();
	if (!root)
		return NULL;
	/* The order of the keys is the order of the file (docs/harness.md). */
	put_identity(root, in, &bad);
	put(root, "trace", trace_json(in->trace, &bad), &bad);
	put(root, "options", options_json(in->opt, &bad), &bad);
	put(root, "runs", json_integer(r->runs), &bad);
	put(root, "throughput", throughput_json(in, &bad), &bad);
	put(root, "cost", cost_json(&r->cost, &bad), &bad);
	put(root, "cost_note", r->cost.method == COUNT_OFF && r->cost.note[0]
	                       ? json_string(r->cost.note) : json_null(), &bad);
	put(root, "memory", memory_json(in, &bad), &bad);
	put(root, "ops", ops_json(in), &bad);
	put(root, "check", check_json(r), &bad);
	put(root, "allocator_stats", allocator_stats_json(r, &bad), &bad);
	put(root, "latency", latency_json(&r->latency, &bad), &bad);
	put(root, "timeline", timeline_json(&r->timeline, &bad), &bad);
	put(root, "library_stats", library_stats_json(x, &bad), &bad);
	put(root, "failure", failure_json(r, x), &bad);
	if (x)
		put(root, "elapsed_seconds", json_real(x->seconds), &bad);
	put(root, "status", json_string(cell_status_name(r->status)), &bad);
	put(root, "replay", json_string(r->threaded ? "threaded" : "serial"), &bad);
	put(root, "threads", u64(r->threads ? r->threads : 1), &bad);
	put(root, "threading", threading_json(r, in->trace), &bad);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

char *result_json_text(json_t *j, size_t *len)
{
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : NULL;
	if (!text)
		return NULL;
	size_t n = strlen(text);
	char *full = realloc(text, n + 2);
	if (!full) {
		free(text);
		return NULL;
	}
	full[n++] = '\n';
	full[n] = '\0';
	*len = n;
	return full;
}

/* ---- the human summary ---- */

/* The median over the timed passes of one pass_figures field. */
static double pass_median(const struct cell_result *r, size_t offset)
{
	double v[RUN_MAX];
	struct sample_summary s;
	for (unsigned k = 0; k < r->runs; k++)
		v[k] = (double)*(const uint64_t *)(const void *)((const char *)&r->pass[k] + offset);
	metrics_summarise(v, r->runs, &s);
	return s.median;
}
#define PASS_MEDIAN(r, field) pass_median((r), offsetof(struct pass_figures, field))

/* After the wall-clock line: CPU time, the OS's counters, how the passes ran. */
static void report_timing_lines(FILE *f, const struct result_input *in)
{
	const struct cell_result *r = in->result;
	double cpu_ns[RUN_MAX], cpu_ops[RUN_MAX];
	struct sample_summary ops, ns;
	cpu_samples(r, in->trace, cpu_ns, cpu_ops);
	metrics_summarise(cpu_ops, r->runs, &ops);
	metrics_summarise(cpu_ns, r->runs, &ns);
	double user = PASS_MEDIAN(r, user_ns), sys = PASS_MEDIAN(r, sys_ns);
	fprintf(f, "CPU time     %.2f Mops/s (%.2f-%.2f), %.1f ns/op (%.1f-%.1f) of CPU, "
	        "%.0f%% in the kernel\n", ops.median / 1e6, ops.min / 1e6, ops.max / 1e6,
	        ns.median, ns.min, ns.max, user + sys > 0 ? 100 * sys / (user + sys) : 0.0);
	fprintf(f, "per pass     %.0f minor + %.0f major page faults, %.0f voluntary + %.0f "
	        "involuntary context switches (medians)\n", PASS_MEDIAN(r, minor_faults),
	        PASS_MEDIAN(r, major_faults), PASS_MEDIAN(r, voluntary_switches),
	        PASS_MEDIAN(r, involuntary_switches));
	const struct cell_options *o = in->opt;
	const char *touch = o->touch == TOUCH_NONE
	    ? "touch none: blocks never written, the allocator's own work only"
	    : o->touch == TOUCH_ALL ? "touch all: every byte of each new block written"
	    : "touch pages: one write per page of each new block, as a program";
	if (o->warmup)
		fprintf(f, "passes       warm: %u untimed pass%s on the same %s first; %s\n",
		        o->warmup, o->warmup == 1 ? "" : "es",
		        is_peer(in) ? "process" : "heap", touch);
	else
		fprintf(f, "passes       cold: each on a fresh %s; %s\n",
		        is_peer(in) ? "process" : "heap", touch);
}

/* The --count line, when it was asked for. */
static void report_cost_line(FILE *f, const struct result_input *in)
{
	const struct cost_figures *c = &in->result->cost;
	if (!in->opt->count)
		return;
	if (c->method == COUNT_OFF) {
		fprintf(f, "cost         not measured: %s\n", c->note[0] ? c->note : "the cell failed");
		return;
	}
	double n = c->ops ? (double)c->ops : 1;
	fprintf(f, "cost         %.1f instructions/op", (double)c->instructions / n);
	if (c->has_cycles)
		fprintf(f, ", %.1f cycles/op", (double)c->cycles / n);
	if (c->has_l1d)
		fprintf(f, ", %.3f L1d misses/op", (double)c->l1d_misses / n);
	if (c->has_ll)
		fprintf(f, ", %.3f LL misses/op", (double)c->ll_misses / n);
	fprintf(f, " (%s, one timed pass%s)\n", count_method_name(c->method),
	        c->method == COUNT_CALLGRIND ? ", caches simulated" : "");
}

/* "4.50 MiB" style, with the exact figure when it is not tiny. */
static const char *bytes_text(char *buf, size_t len, uint64_t n)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	else
		snprintf(buf, len, "%.2f %s", v, unit[u]);
	return buf;
}

/* The trace's size and peak live data, and how its threads were replayed. */
static void summary_trace(FILE *f, const struct result_input *in)
{
	const struct cell_result *r = in->result;
	const struct trace *t = in->trace;
	char b1[32];
	fprintf(f, "trace        %s: %zu ops, %u IDs, peak live %s in %llu blocks\n",
	        t->path, t->nops, t->nslots, bytes_text(b1, sizeof b1, r->peak_live_bytes),
	        (unsigned long long)r->peak_live_blocks);
	if (r->threaded)
		fprintf(f, "threads      %u OS threads, one per trace thread%s; %llu ops waited for "
		        "another thread's op on their block\n", r->threads,
		        r->locked ? ", allocator behind one global lock" : "",
		        (unsigned long long)r->cross_thread_waits);
	else if (t->nthreads > 1)
		fprintf(f, "threads      serial replay of a %u-thread trace, in trace order "
		        "(--threads runs them in parallel)\n", t->nthreads);
}

/* Throughput over the timed passes, their timing and the count (--count). */
static void summary_throughput(FILE *f, const struct result_input *in)
{
	const struct cell_result *r = in->result;
	if (r->runs) {
		struct sample_summary ops, ns;
		metrics_summarise(r->ops_per_sec, r->runs, &ops);
		metrics_summarise(r->ns_per_op, r->runs, &ns);
		fprintf(f, "throughput   %.2f Mops/s (%.2f-%.2f), %.1f ns/op (%.1f-%.1f), "
		        "median of %u run%s\n", ops.median / 1e6, ops.min / 1e6, ops.max / 1e6,
		        ns.median, ns.min, ns.max, r->runs, r->runs == 1 ? "" : "s");
		report_timing_lines(f, in);
	} else {
		fprintf(f, "throughput   not measured (the checked pass failed)\n");
	}
	report_cost_line(f, in);
}

/*
 * Memory: peak RSS of the memory pass; a peer's library and its own
 * statistics, or a built-in's break, utilization and provider calls.
 */
static void summary_memory(FILE *f, const struct result_input *in)
{
	const struct cell_result *r = in->result;
	const struct memory_figures *m = &r->memory;
	const struct cell_extra *x = in->extra;
	char b1[32], b2[32], b3[32];
	if (x && x->mem.measured)
		fprintf(f, "peak RSS     %s above a baseline of %s (memory pass: every page written)\n",
		        bytes_text(b1, sizeof b1, x->mem.peak_rss_bytes),
		        bytes_text(b2, sizeof b2, x->mem.baseline_bytes));
	else if (x && x->mem.note[0])
		fprintf(f, "peak RSS     not measured: %s\n", x->mem.note);
	if (is_peer(in)) {
		fprintf(f, "library      %s\n", in->library ? in->library : "?");
		if (x && x->lib.method[0]) {
			fprintf(f, "lib stats    %s:", x->lib.method);
			for (unsigned k = 0; k < x->lib.n; k++)
				fprintf(f, "%s %s %s", k ? "," : "", x->lib.stat[k].name,
				        bytes_text(b1, sizeof b1, x->lib.stat[k].value));
			fputc('\n', f);
		}
	} else if (m->peak_break >= 1024)
		fprintf(f, "peak break   %s (%llu bytes), final %s\n",
		        bytes_text(b1, sizeof b1, m->peak_break),
		        (unsigned long long)m->peak_break, bytes_text(b2, sizeof b2, m->final_break));
	else
		fprintf(f, "peak break   %s, final %s\n", bytes_text(b1, sizeof b1, m->peak_break),
		        bytes_text(b2, sizeof b2, m->final_break));
	double util = metrics_utilization(r->peak_live_bytes, m->peak_break);
	if (!is_peer(in))
		fprintf(f, "utilization  %.1f%% (fragmentation %.1f%%)\n", 100 * util,
		        m->peak_break ? 100 * (1 - util) : 0.0);
	double urss;
	if (x && x->mem.measured
	    && metrics_utilization_rss(r->peak_live_bytes, x->mem.peak_rss_bytes, &urss))
		fprintf(f, "util (RSS)   %.1f%% (peak live / peak RSS)\n", 100.0 * urss);
	else if (x && x->mem.measured && x->mem.peak_rss_bytes < r->peak_live_bytes)
		fprintf(f, "util (RSS)   not known: RSS grew less than the live bytes (the library\n"
		        "             reused memory resident before the pass; docs/peers.md)\n");
	if (!is_peer(in))
		fprintf(f, "provider     %llu calls: %llu grow, %llu shrink, %s requested\n",
	        (unsigned long long)m->provider_calls, (unsigned long long)m->grow_calls,
	        (unsigned long long)m->shrink_calls, bytes_text(b3, sizeof b3, m->bytes_requested));
}

/* Failed allocations (and why they make the cell not comparable), then latency. */
static void summary_failures_latency(FILE *f, const struct cell_result *r)
{
	const struct memory_figures *m = &r->memory;
	fprintf(f, "failures     %llu failed allocation%s, %llu skipped op%s\n",
	        (unsigned long long)m->failed_allocations, m->failed_allocations == 1 ? "" : "s",
	        (unsigned long long)m->skipped_ops, m->skipped_ops == 1 ? "" : "s");
	if (m->failed_allocations)
		fprintf(f, "             not comparable: a failed allocation returns at once and\n"
		        "             the ops on its block are skipped, so throughput and memory\n"
		        "             describe a different run than one where all succeed\n");
	const struct latency_stat *l = &r->latency.kind[LATENCY_ALL];
	if (r->latency.measured)
		fprintf(f, "latency      p50 %llu ns, p99 %llu ns, p99.9 %llu ns, max %llu ns "
		        "(timer overhead %llu ns subtracted)\n", (unsigned long long)l->p50,
		        (unsigned long long)l->p99, (unsigned long long)l->p999,
		        (unsigned long long)l->max, (unsigned long long)r->latency.timer_overhead_ns);
}

/* The check's verdict, saying what a pass covered for this kind of allocator. */
static void summary_check(FILE *f, const struct result_input *in)
{
	const struct cell_result *r = in->result;
	const struct memory_figures *m = &r->memory;
	if (r->status == CELL_OK && is_peer(in))
		fprintf(f, "check        passed: every block verified (alignment, overlap, contents,\n"
		        "             calloc zeroed); a library has no self-check or heap bounds\n");
	else if (r->status == CELL_OK && in->kind && strcmp(in->kind, "student") == 0)
		fprintf(f, "check        passed: every block verified (alignment, inside the heap,\n"
		        "             overlap, contents, calloc zeroed)%s; the source's own heap\n"
		        "             checker is not called\n",
		        m->failed_allocations ? ", with failed allocations" : "");
	else if (r->status == CELL_OK)
		fprintf(f, "check        passed (%llu self-check%s, every block verified)%s\n",
		        (unsigned long long)r->self_checks, r->self_checks == 1 ? "" : "s",
		        m->failed_allocations ? ", with failed allocations" : "");
	else if (r->status == CELL_CHECK_FAILED)
		fprintf(f, "check        FAILED: %s\n", r->message);
	else
		fprintf(f, "check        %s: %s\n", cell_status_name(r->status), r->message);
}

void result_summary(FILE *f, const struct result_input *in)
{
	const struct cell_result *r = in->result;
	const struct trace *t = in->trace;

	fprintf(f, "allocator    %s: %s\n", in->alloc->name, in->alloc->description);
	if (r->status >= CELL_CRASHED) {
		/* It sent no figures: do not print zeros as if they were measured. */
		fprintf(f, "trace        %s: %zu ops, %u IDs\n", t->path, t->nops, t->nslots);
		fprintf(f, "status       %s: %s\n", cell_status_name(r->status), r->message);
		return;
	}
	summary_trace(f, in);
	summary_throughput(f, in);
	summary_memory(f, in);
	summary_failures_latency(f, r);
	summary_check(f, in);
}
