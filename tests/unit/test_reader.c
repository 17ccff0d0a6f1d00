/* test_reader.c - the result reader: what it accepts, what it refuses, and why. */
#include "test.h"

#include "../../harness/core/bulk.h"
#include "../../harness/core/latency.h"
#include "../../harness/core/machine.h"
#include "../../harness/replay/cell.h"
#include "../../harness/results/writer.h"
#include "../../harness/results/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small valid result; %s slots let a test swap one part. */
static const char valid_fmt[] =
	"{\"schema\": \"heaplab-result\", \"schema_version\": 1,\n"
	" \"allocator\": {\"name\": \"tlsf\", \"kind\": \"builtin\"},\n"
	" \"trace\": {\"path\": \"workloads/web.trace\", \"sha256\": "
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"ops\": 10},\n"
	" \"runs\": 3,\n"
	" \"throughput\": %s,\n"
	" \"memory\": %s,\n"
	" \"latency\": %s,\n"
	" \"timeline\": %s,\n"
	" \"status\": \"ok\"}\n";
static const char tp_ok[] = "{\"ops_per_sec\": {\"median\": 2e6, \"min\": 1e6, \"max\": 3e6},"
	" \"ns_per_op\": {\"median\": 500, \"min\": 333, \"max\": 1000}}";
static const char mem_ok[] = "{\"peak_break_bytes\": 4096, \"peak_live_bytes\": 1024, "
	"\"utilization\": 0.25, \"fragmentation\": 0.75, \"provider_calls\": 2}";
static const char lat_ok[] = "{\"timer_overhead_ns\": 20, "
	"\"all\": {\"count\": 10, \"p50\": 1, \"p90\": 2, \"p99\": 3, \"p999\": 4, \"max\": 5}}";
static const char tl_ok[] = "{\"points\": 2, \"op\": [5, 10], \"break_bytes\": [0, 4096], "
	"\"live_bytes\": [0, 1024]}";

static char text[4096];
static char err[1024];

static int parse(const char *tp, const char *mem, const char *lat, const char *tl,
                 struct result *r)
{
	snprintf(text, sizeof text, valid_fmt, tp, mem, lat, tl);
	return result_parse("r.json", text, strlen(text), r, err, sizeof err);
}

TEST(result_reader_accepts_a_valid_result_and_reads_its_fields)
{
	struct result r;
	REQUIRE(parse(tp_ok, mem_ok, lat_ok, tl_ok, &r) == RESULT_OK);
	EXPECT(!strcmp(r.allocator, "tlsf"));
	EXPECT(!strcmp(r.trace_name, "web.trace"));
	EXPECT(!strcmp(r.status, "ok"));
	EXPECT_EQ(r.ops, 10);
	EXPECT(r.has_throughput && r.ops_min == 1e6 && r.ops_max == 3e6);
	EXPECT(r.has_peak_break && r.peak_break == 4096);
	EXPECT(!r.has_peak_rss);
	EXPECT(r.has_latency && r.latency[LATENCY_ALL].p999 == 4);
	EXPECT(!r.latency[0].present);
	EXPECT_EQ(r.timeline_points, 2);
	EXPECT_EQ(r.timeline_break[1], 4096);
	result_free(&r);
}

TEST(result_reader_accepts_null_provider_figures_of_a_peer)
{
	struct result r;
	REQUIRE(parse(tp_ok, "{\"peak_break_bytes\": null, \"peak_rss_bytes\": 9000000, "
	              "\"peak_live_bytes\": 1024, \"utilization\": null, \"fragmentation\": null,"
	              " \"provider_calls\": null}", "null",
	              "{\"points\": 1, \"op\": [10], \"break_bytes\": null, \"live_bytes\": [5]}",
	              &r) == RESULT_OK);
	EXPECT(!r.has_peak_break && r.has_peak_rss && r.peak_rss == 9000000);
	EXPECT(!r.has_utilization && !r.has_provider_calls && !r.has_latency);
	EXPECT(!r.has_timeline_break && r.has_timeline_live);
	result_free(&r);
}

TEST(result_reader_reports_the_line_of_a_json_syntax_error)
{
	struct result r;
	const char *bad = "{\"schema\": \"heaplab-result\",\n\"runs\": 1,\n oops}";
	EXPECT(result_parse("x.json", bad, strlen(bad), &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "x.json:3: not a heaplab result (bad JSON");
}

TEST(result_reader_refuses_json_without_a_schema)
{
	struct result r;
	const char *j = "{\"a\": 1}";
	EXPECT(result_parse("x.json", j, strlen(j), &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "x.json: not a heaplab result (no \"schema\" field)");
}

TEST(result_reader_calls_another_schema_foreign)
{
	struct result r;
	const char *j = "{\"schema\": \"heaplab-summary\"}";
	EXPECT(result_parse("s.json", j, strlen(j), &r, err, sizeof err) == RESULT_FOREIGN);
	EXPECT_STR_CONTAINS(err, "schema is \"heaplab-summary\"");
}

TEST(result_reader_refuses_a_top_level_array)
{
	struct result r;
	EXPECT(result_parse("a.json", "[1]", 3, &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "expected a JSON object, found an array");
}

TEST(result_reader_refuses_a_newer_schema_version)
{
	struct result r;
	snprintf(text, sizeof text, valid_fmt, tp_ok, mem_ok, "null", "null");
	char *v = strstr(text, "\"schema_version\": 1");
	REQUIRE(v);
	v[strlen("\"schema_version\": ")] = '3';
	EXPECT(result_parse("r.json", text, strlen(text), &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "schema_version 3");
}

TEST(result_reader_reads_a_version_2_trace_cell)
{
	struct result r;
	snprintf(text, sizeof text, valid_fmt, tp_ok, mem_ok, "null", "null");
	char *v = strstr(text, "\"schema_version\": 1");
	REQUIRE(v);
	v[strlen("\"schema_version\": ")] = '2';
	REQUIRE(result_parse("r.json", text, strlen(text), &r, err, sizeof err) == RESULT_OK);
	EXPECT(!r.is_program && r.program == NULL);
	EXPECT(strcmp(r.trace_name, "web.trace") == 0);
	result_free(&r);
}

/* A program cell as bench run writes it, with %s for its memory object. */
static const char program_fmt[] =
	"{\"schema\": \"heaplab-result\", \"schema_version\": 2, \"cell\": \"program\",\n"
	" \"allocator\": {\"name\": \"tlsf\", \"kind\": \"builtin\"},\n"
	" \"program\": {\"name\": \"sqlite\", \"command\": \"sqlite3 :memory:\"},\n"
	" \"runs\": 3, \"status\": \"ok\", \"throughput\": null,\n"
	" \"time\": {\"wall_seconds\": {\"median\": 0.5, \"min\": 0.4, \"max\": 0.7},\n"
	"   \"user_seconds\": {\"median\": 0.4, \"min\": 0.3, \"max\": 0.5},\n"
	"   \"system_seconds\": {\"median\": 0.1, \"min\": 0.0, \"max\": 0.1}},\n"
	" \"faults\": {\"minor\": {\"median\": 900, \"min\": 800, \"max\": 1000},\n"
	"   \"major\": {\"median\": 0, \"min\": 0, \"max\": 0}},\n"
	" \"context_switches\": {\"voluntary\": {\"median\": 3, \"min\": 2, \"max\": 4},\n"
	"   \"involuntary\": {\"median\": 9, \"min\": 1, \"max\": 20}},\n"
	" \"memory\": %s,\n"
	" \"output_sha256\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\n"
	" \"rss_timeline\": {\"points\": 3, \"ms\": [5, 10, 15], "
	"\"rss_bytes\": [1000, 2000, 1500]}}\n";

TEST(result_reader_reads_a_program_cell)
{
	struct result r;
	snprintf(text, sizeof text, program_fmt, "{\"peak_rss_bytes\": 33554432, "
	         "\"sampled_peak_rss_bytes\": 30000000, \"peak_break_bytes\": 29630688, "
	         "\"provider_calls\": 381}");
	REQUIRE(result_parse("p.json", text, strlen(text), &r, err, sizeof err) == RESULT_OK);
	EXPECT(r.is_program && r.program && r.program->has_figures);
	EXPECT(strcmp(r.trace_name, "sqlite") == 0);
	EXPECT(r.runs == 3 && r.ops == 0 && !r.has_throughput);
	EXPECT(r.has_peak_rss && r.peak_rss == 33554432);
	EXPECT(r.has_peak_break && r.peak_break == 29630688 && r.provider_calls == 381);
	EXPECT(r.program->wall_median == 0.5 && r.program->wall_max == 0.7);
	EXPECT(r.program->minor_faults == 900);
	EXPECT(r.program->timeline_points == 3 && r.program->timeline_rss[1] == 2000);
	result_free(&r);
	EXPECT(r.program == NULL);
}

TEST(result_reader_refuses_a_program_cell_with_figures_out_of_order)
{
	struct result r;
	snprintf(text, sizeof text, program_fmt, "{\"peak_rss_bytes\": 1}");
	char *v = strstr(text, "\"min\": 0.4");
	REQUIRE(v);
	memcpy(v, "\"min\": 0.9", 10);
	EXPECT(result_parse("p.json", text, strlen(text), &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "time.wall_seconds: min 0.9, median 0.5 and max 0.7 are not in order");
	/* and an ok program cell must have its memory */
	snprintf(text, sizeof text, program_fmt, "null");
	EXPECT(result_parse("p.json", text, strlen(text), &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "memory: null, but status ok");
}

TEST(result_reader_names_a_field_of_the_wrong_type)
{
	struct result r;
	EXPECT(parse(tp_ok, "{\"peak_break_bytes\": \"4096\"}", "null", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "r.json: not a heaplab result (memory.peak_break_bytes: "
	                    "expected a whole number, found a string)");
}

TEST(result_reader_names_a_missing_field)
{
	struct result r;
	EXPECT(parse("{\"ops_per_sec\": {\"median\": 1, \"min\": 1}, \"ns_per_op\": "
	             "{\"median\": 1, \"min\": 1, \"max\": 1}}", mem_ok, "null", "null",
	             &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput.ops_per_sec.max: missing");
}

TEST(result_reader_refuses_a_negative_count)
{
	struct result r;
	EXPECT(parse(tp_ok, "{\"peak_break_bytes\": -1}", "null", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "memory.peak_break_bytes: -1 is negative");
}

TEST(result_reader_refuses_utilization_above_one)
{
	struct result r;
	EXPECT(parse(tp_ok, "{\"utilization\": 1.5}", "null", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "memory.utilization: 1.5 is out of range");
}

TEST(result_reader_refuses_min_above_median)
{
	struct result r;
	EXPECT(parse("{\"ops_per_sec\": {\"median\": 1, \"min\": 2, \"max\": 3}, \"ns_per_op\": "
	             "{\"median\": 1, \"min\": 1, \"max\": 1}}", mem_ok, "null", "null",
	             &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput.ops_per_sec: min 2, median 1 and max 3 are not in order");
}

TEST(result_reader_refuses_percentiles_out_of_order)
{
	struct result r;
	EXPECT(parse(tp_ok, mem_ok, "{\"timer_overhead_ns\": 1, \"all\": {\"count\": 1, "
	             "\"p50\": 9, \"p90\": 2, \"p99\": 3, \"p999\": 4, \"max\": 5}}", "null",
	             &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "latency.all: percentiles are not in order");
}

TEST(result_reader_refuses_a_timeline_shorter_than_its_points)
{
	struct result r;
	EXPECT(parse(tp_ok, mem_ok, "null", "{\"points\": 3, \"op\": [1, 2]}", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "timeline.op: 2 values, but points is 3");
}

TEST(result_reader_refuses_a_timeline_past_the_trace)
{
	struct result r;
	EXPECT(parse(tp_ok, mem_ok, "null", "{\"points\": 1, \"op\": [11]}", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "timeline.op[0]: 11 is past the trace's 10 ops");
}

TEST(result_reader_refuses_null_throughput_of_an_ok_run)
{
	struct result r;
	EXPECT(parse("null", mem_ok, "null", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput: null, but 3 timed runs and status ok");
}

TEST(result_reader_refuses_duplicate_keys)
{
	struct result r;
	const char *j = "{\"schema\": \"heaplab-result\", \"schema\": \"heaplab-result\"}";
	EXPECT(result_parse("d.json", j, strlen(j), &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "d.json:1: not a heaplab result (bad JSON: duplicate");
}

TEST(result_reader_survives_text_that_is_not_nul_terminated)
{
	struct result r;
	char buf[8];
	memcpy(buf, "{\"a\":1}X", 8);
	EXPECT(result_parse("n.json", buf, 7, &r, err, sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "no \"schema\" field");
}

/* A real run written by result_json reads back with the same figures. */
TEST(result_reader_reads_back_what_report_json_writes)
{
	char path[] = "/tmp/heaplab-result-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	const char *tr = "a 0 24\na 1 100\nf 0\nc 2 4 10\nr 1 300\nm 3 64 40\nf 1\nf 2\n";
	REQUIRE(write(fd, tr, strlen(tr)) == (ssize_t)strlen(tr));
	close(fd);
	struct trace t;
	struct trace_error te;
	REQUIRE(trace_load(path, &t, &te) == TRACE_OK);
	struct cell_result *cr = bulk_alloc(sizeof *cr);
	struct cell_options opt = { .runs = 2, .latency = 1 };
	REQUIRE(cell_run(allocator_find("bump"), &t, &opt, cr) == CELL_OK);
	struct machine_info m;
	machine_describe(&m);
	struct result_input in = { .alloc = allocator_find("bump"), .trace = &t, .opt = &opt,
	                           .result = cr, .machine = &m, .when = 0 };
	json_t *j = result_json(&in);
	char *s = json_dumps(j, 0);
	struct result r;
	REQUIRE(result_parse("rt.json", s, strlen(s), &r, err, sizeof err) == RESULT_OK);
	EXPECT_EQ(r.peak_break, cr->memory.peak_break);
	EXPECT_EQ(r.peak_live, cr->peak_live_bytes);
	EXPECT_EQ(r.runs, 2);
	EXPECT_EQ(r.timeline_points, 8);
	EXPECT_EQ(r.timeline_op[7], 8);
	EXPECT(r.has_latency && r.latency[LATENCY_ALL].count == 8);
	EXPECT_EQ(r.latency[OP_FREE].count, 3);
	EXPECT(r.has_cpu && r.has_passes && r.has_warmup && r.warmup == 0);
	EXPECT(!strcmp(r.touch, "pages"));
	EXPECT(!r.has_cost);   /* no --count */
	result_free(&r);
	free(s);
	json_decref(j);
	bulk_free(cr, sizeof *cr);
	trace_free(&t);
	unlink(path);
}

TEST(latency_sort_orders_and_percentiles_use_nearest_rank)
{
	uint32_t v[1000], scratch[1000];
	for (unsigned i = 0; i < 1000; i++)
		v[i] = (i * 7919u) % 1000 + 1;   /* a permutation of 1..1000 */
	latency_sort(v, scratch, 1000);
	for (unsigned i = 0; i < 1000; i++)
		EXPECT_EQ(v[i], i + 1);
	struct latency_stat s;
	latency_stat_from_sorted(v, 1000, &s);
	EXPECT_EQ(s.p50, 500);
	EXPECT_EQ(s.p90, 900);
	EXPECT_EQ(s.p99, 990);
	EXPECT_EQ(s.p999, 999);
	EXPECT_EQ(s.max, 1000);
	uint32_t one = 42;
	latency_stat_from_sorted(&one, 1, &s);
	EXPECT(s.p50 == 42 && s.p999 == 42 && s.max == 42);
}

TEST(latency_sort_handles_values_across_all_four_bytes)
{
	uint32_t v[6] = { 0xffffffffu, 0, 0x01000000u, 0x100u, 0x10000u, 7 }, s[6];
	latency_sort(v, s, 6);
	for (unsigned i = 1; i < 6; i++)
		EXPECT(v[i - 1] <= v[i]);
}

TEST(timeline_marks_are_even_and_end_at_the_last_op)
{
	EXPECT_EQ(timeline_points(10), 10);
	EXPECT_EQ(timeline_points(1000000), TIMELINE_POINTS);
	EXPECT_EQ(timeline_mark(TIMELINE_POINTS - 1, TIMELINE_POINTS, 1851), 1851);
	for (unsigned k = 1; k < TIMELINE_POINTS; k++)
		EXPECT(timeline_mark(k, TIMELINE_POINTS, 1851) >
		       timeline_mark(k - 1, TIMELINE_POINTS, 1851));
}

/* A cell that timed out or crashed before any figure: the writer puts nulls. */
TEST(result_reader_accepts_a_timed_out_cell_without_figures)
{
	struct result r;
	static const char timed_out[] =
		"{\"schema\": \"heaplab-result\", \"schema_version\": 1,\n"
		" \"allocator\": {\"name\": \"implicit-best\", \"kind\": \"builtin\"},\n"
		" \"trace\": {\"path\": \"workloads/large/grow.trace\", \"sha256\": "
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"ops\": 10},\n"
		" \"runs\": 0, \"throughput\": null, \"memory\": null, \"latency\": null,\n"
		" \"timeline\": null, \"status\": \"timeout\"}\n";
	REQUIRE(result_parse("t.json", timed_out, strlen(timed_out), &r, err, sizeof err)
	        == RESULT_OK);
	EXPECT(!strcmp(r.status, "timeout"));
	EXPECT(!r.has_throughput && !r.has_peak_break && !r.has_peak_rss);
	result_free(&r);
}

TEST(result_reader_refuses_a_result_of_status_ok_without_memory)
{
	struct result r;
	EXPECT(parse(tp_ok, "null", lat_ok, tl_ok, &r) != RESULT_OK);
	EXPECT_STR_CONTAINS(err, "memory: null, but status ok");
}

/* One substitution in the valid text: `from` (which must occur) becomes `to`. */
static int parse_with(const char *from, const char *to, struct result *r)
{
	char base[4096];
	snprintf(base, sizeof base, valid_fmt, tp_ok, mem_ok, lat_ok, tl_ok);
	char *at = strstr(base, from);
	if (!at)
		return 99;
	snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	return result_parse("r.json", text, strlen(text), r, err, sizeof err);
}

TEST(result_reader_refuses_an_unknown_status_word)
{
	struct result r;
	EXPECT_EQ(parse_with("\"status\": \"ok\"", "\"status\": \"great\"", &r), RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "status: \"great\" is not one of ok, check-failed");
	EXPECT_EQ(parse_with("\"status\": \"ok\"", "\"status\": \"crashed\"", &r), RESULT_OK);
	result_free(&r);
}

TEST(result_reader_refuses_an_unknown_allocator_kind)
{
	struct result r;
	EXPECT_EQ(parse_with("\"kind\": \"builtin\"", "\"kind\": \"\\u001b[31m\"", &r),
	          RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "allocator.kind: \"\\x1b[31m\" is not one of builtin, peer, test, student");
	REQUIRE(parse_with("\"kind\": \"builtin\"", "\"kind\": \"peer\"", &r) == RESULT_OK);
	result_free(&r);
}

TEST(result_reader_refuses_samples_that_are_not_numbers)
{
	struct result r;
	EXPECT_EQ(parse_with("\"max\": 1000}", "\"max\": 1000}, \"samples_ns_per_op\": "
	                     "[500, \"fast\", 400]", &r), RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "samples_ns_per_op[1]: expected a number >= 0, found a string");
	EXPECT_EQ(parse_with("\"max\": 1000}", "\"max\": 1000}, \"samples_ns_per_op\": "
	                     "[500, -1, 400]", &r), RESULT_BAD);
	EXPECT_EQ(parse_with("\"max\": 1000}", "\"max\": 1000}, \"samples_ns_per_op\": "
	                     "{\"a\": 1}", &r), RESULT_BAD);
	REQUIRE(parse_with("\"max\": 1000}", "\"max\": 1000}, \"samples_ns_per_op\": "
	                   "[500, 333, 1000]", &r) == RESULT_OK);
	result_free(&r);
}

TEST(result_reader_escapes_control_characters_in_names)
{
	struct result r;
	REQUIRE(parse_with("\"name\": \"tlsf\"", "\"name\": \"tl\\u001b[2Jsf\\u009b\"", &r)
	        == RESULT_OK);
	EXPECT(!strcmp(r.allocator, "tl\\x1b[2Jsf\\xc2\\x9b"));
	result_free(&r);
	REQUIRE(parse_with("workloads/web.trace", "w/\\u0007we\\nb.trace", &r) == RESULT_OK);
	EXPECT(!strcmp(r.trace_name, "\\x07we\\x0ab.trace"));
	EXPECT(!strcmp(r.trace_path, "w/\\x07we\\x0ab.trace"));
	result_free(&r);
}

/* ---- the timed passes' figures (--touch, --warmup, CPU time, --count) ---- */

static const char tp_new_fmt[] = "{\"ops_per_sec\": {\"median\": 2e6, \"min\": 1e6, \"max\": 3e6},"
	" \"ns_per_op\": {\"median\": 500, \"min\": 333, \"max\": 1000},"
	" \"cpu_ns_per_op\": {\"median\": 400, \"min\": 300, \"max\": 900},"
	" \"cpu_ops_per_sec\": {\"median\": 2.5e6, \"min\": 1.1e6, \"max\": 3.3e6},"
	" \"samples_cpu_ns_per_op\": [400, 300, 900],"
	" \"passes\": [%s],"
	" \"touch\": \"%s\", \"warmup_passes\": 2}";
static const char pass_ok[] = "{\"wall_ns\": 5000, \"user_ns\": 3000, \"sys_ns\": 1000, "
	"\"minor_faults\": %d, \"major_faults\": 0, \"voluntary_switches\": 1, "
	"\"involuntary_switches\": 2}";

static int parse_timing(const char *passes, const char *touch, const char *cost, struct result *r)
{
	char tp[2048];
	snprintf(tp, sizeof tp, tp_new_fmt, passes, touch);
	snprintf(text, sizeof text, valid_fmt, tp, mem_ok, lat_ok, tl_ok);
	/* "cost" goes in before the closing brace */
	char *end = strrchr(text, '}');
	snprintf(end, sizeof text - (size_t)(end - text), ", \"cost\": %s}\n", cost);
	return result_parse("r.json", text, strlen(text), r, err, sizeof err);
}

static void three_passes(char *buf, size_t len, int a, int b, int c)
{
	char p1[256], p2[256], p3[256];
	snprintf(p1, sizeof p1, pass_ok, a);
	snprintf(p2, sizeof p2, pass_ok, b);
	snprintf(p3, sizeof p3, pass_ok, c);
	snprintf(buf, len, "%s, %s, %s", p1, p2, p3);
}

TEST(result_reader_reads_cpu_time_pass_counters_touch_and_warmup)
{
	struct result r;
	char passes[1024];
	three_passes(passes, sizeof passes, 10, 30, 20);
	REQUIRE(parse_timing(passes, "none", "null", &r) == RESULT_OK);
	EXPECT(r.has_cpu && r.cpu_ns_median == 400 && r.cpu_ops_max == 3.3e6);
	EXPECT(r.has_passes && r.minor_faults_median == 20 && r.involuntary_switches_median == 2);
	EXPECT(!strcmp(r.touch, "none"));
	EXPECT(r.has_warmup && r.warmup == 2);
	EXPECT(!r.has_cost);
	result_free(&r);
}

TEST(result_reader_reads_the_cost_figure)
{
	struct result r;
	char passes[1024];
	three_passes(passes, sizeof passes, 1, 1, 1);
	REQUIRE(parse_timing(passes, "pages", "{\"method\": \"callgrind\", \"ops\": 10, "
	                     "\"instructions\": 4200, \"instructions_per_op\": 420, "
	                     "\"cycles_per_op\": null, \"l1d_misses_per_op\": 1.5, "
	                     "\"ll_misses_per_op\": 0.25}", &r) == RESULT_OK);
	EXPECT(r.has_cost && !strcmp(r.cost_method, "callgrind"));
	EXPECT(r.instructions == 4200 && r.instructions_per_op == 420);
	EXPECT(!r.has_cycles && r.has_l1d_misses && r.ll_misses_per_op == 0.25);
	result_free(&r);
}

TEST(result_reader_refuses_bad_timing_figures)
{
	struct result r;
	char passes[1024];
	three_passes(passes, sizeof passes, 1, 2, 3);
	EXPECT(parse_timing(passes, "sometimes", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput.touch: \"sometimes\" is not none, pages or all");
	char two[600];
	snprintf(two, sizeof two, pass_ok, 1);
	EXPECT(parse_timing(two, "pages", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput.passes: 1 passes, but runs is 3");
	three_passes(passes, sizeof passes, -1, 2, 3);
	EXPECT(parse_timing(passes, "pages", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput.passes[0].minor_faults: -1 is negative");
	three_passes(passes, sizeof passes, 1, 2, 3);
	EXPECT(parse_timing(passes, "pages", "{\"method\": \"guess\", \"instructions\": 1, "
	                    "\"instructions_per_op\": 1}", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "cost.method: \"guess\" is not perf_event or callgrind");
	EXPECT(parse_timing(passes, "pages", "{\"method\": \"callgrind\"}", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "cost.instructions: missing");
}

TEST(result_reader_accepts_a_result_without_the_timing_figures)
{
	/* what results/baseline holds: written before CPU time, touch and cost existed */
	struct result r;
	REQUIRE(parse(tp_ok, mem_ok, lat_ok, tl_ok, &r) == RESULT_OK);
	EXPECT(r.has_throughput && !r.has_cpu && !r.has_passes && !r.has_warmup && !r.has_cost);
	EXPECT(r.touch[0] == '\0');
	result_free(&r);
}

/* ---- the fields bench compare judges by (samples, CPU time, cost, failures) ---- */

static const char tp_samples[] = "{\"ops_per_sec\": {\"median\": 2e6, \"min\": 1e6, \"max\": 3e6},"
	" \"ns_per_op\": {\"median\": 500, \"min\": 333, \"max\": 1000},"
	" \"samples_ns_per_op\": [500, 333, 1000],"
	" \"samples_cpu_ns_per_op\": [480, 330, 900], \"touch\": \"pages\"}";

TEST(result_reader_reads_samples_cost_touch_and_failures)
{
	struct result r;
	REQUIRE(parse(tp_samples, mem_ok, "null", "null, "
	              "\"cost\": {\"method\": \"callgrind\", \"instructions\": 5000, "
	              "\"instructions_per_op\": 500.5, \"cycles_per_op\": null}, "
	              "\"ops\": {\"replayed\": 10, \"failed_allocations\": 2, \"skipped_ops\": 1}",
	              &r) == RESULT_OK);
	EXPECT_EQ(r.n_samples_ns, 3);
	EXPECT(r.samples_ns[2] == 1000);
	EXPECT_EQ(r.n_samples_cpu_ns, 3);
	EXPECT(r.samples_cpu_ns[0] == 480);
	EXPECT(!strcmp(r.touch, "pages"));
	EXPECT(r.has_cost && r.instructions_per_op == 500.5 && !strcmp(r.cost_method, "callgrind"));
	EXPECT(r.has_op_failures && r.failed_allocations == 2 && r.skipped_ops == 1);
	result_free(&r);
	EXPECT(r.samples_ns == NULL && r.samples_cpu_ns == NULL);
}

TEST(result_reader_accepts_a_result_without_samples_cost_or_failures)
{
	struct result r;
	REQUIRE(parse(tp_ok, mem_ok, "null", "null, \"cost\": null", &r) == RESULT_OK);
	EXPECT_EQ(r.n_samples_ns, 0);
	EXPECT_EQ(r.n_samples_cpu_ns, 0);
	EXPECT(!r.has_cost && !r.has_op_failures && r.touch[0] == '\0');
	result_free(&r);
}

TEST(result_reader_refuses_a_bad_sample)
{
	struct result r;
	EXPECT(parse("{\"ops_per_sec\": {\"median\": 1, \"min\": 1, \"max\": 1}, \"ns_per_op\": "
	             "{\"median\": 1, \"min\": 1, \"max\": 1}, \"samples_ns_per_op\": [1, -2]}",
	             mem_ok, "null", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "throughput.samples_ns_per_op[1]");
	EXPECT(parse("{\"ops_per_sec\": {\"median\": 1, \"min\": 1, \"max\": 1}, \"ns_per_op\": "
	             "{\"median\": 1, \"min\": 1, \"max\": 1}, \"samples_cpu_ns_per_op\": \"x\"}",
	             mem_ok, "null", "null", &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "samples_cpu_ns_per_op: expected an array");
	EXPECT(parse(tp_ok, mem_ok, "null", "null, \"cost\": {\"method\": \"callgrind\"}",
	             &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "cost.instructions: missing");
	EXPECT(parse(tp_ok, mem_ok, "null", "null, \"ops\": {\"failed_allocations\": -1}",
	             &r) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "ops.failed_allocations");
}
