/* test_grade.c - the grading view (grade.h) and the results' alignment field. */
#include "test.h"

#include "../../harness/results/grade.h"
#include "../../harness/results/reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One result: allocator, trace, status, ops, median ops/s, utilization; options text. */
static int make(struct result *r, const char *alloc, const char *trace, const char *status,
                unsigned ops, double ops_per_sec, double util, const char *options)
{
	static char text[4096], err[512];
	int ok = strcmp(status, "ok") == 0;
	char tp[256] = "null", mem[256];
	if (ok)
		snprintf(tp, sizeof tp, "{\"ops_per_sec\": {\"median\": %g, \"min\": %g, \"max\": %g},"
		         " \"ns_per_op\": {\"median\": 1, \"min\": 1, \"max\": 1}}",
		         ops_per_sec, ops_per_sec, ops_per_sec);
	snprintf(mem, sizeof mem, "{\"peak_break_bytes\": 1000, \"peak_live_bytes\": %u, "
	         "\"utilization\": %g, \"fragmentation\": %g, \"provider_calls\": 1}",
	         (unsigned)(util * 1000), util, 1 - util);
	snprintf(text, sizeof text,
	         "{\"schema\": \"heaplab-result\", \"schema_version\": 1,"
	         " \"allocator\": {\"name\": \"%s\", \"kind\": \"student\"},"
	         " \"trace\": {\"path\": \"t/%s\", \"ops\": %u}, \"runs\": %d,"
	         " %s \"throughput\": %s, \"memory\": %s, \"latency\": null, \"timeline\": null,"
	         " \"check\": {\"message\": %s}, \"status\": \"%s\"}",
	         alloc, trace, ops, ok ? 3 : 0, options, tp, ok ? mem : "null",
	         ok ? "null" : "\"t/x.rep:5: op 0: it went wrong\"", status);
	return result_parse("g.json", text, strlen(text), r, err, sizeof err);
}

TEST(result_reader_reads_options_align_and_takes_16_when_absent)
{
	struct result r;
	REQUIRE(make(&r, "a", "x.rep", "ok", 10, 1000, 0.5, "\"options\": {\"align\": 8},") == 0);
	EXPECT_EQ(r.align, 8);
	result_free(&r);
	REQUIRE(make(&r, "a", "x.rep", "ok", 10, 1000, 0.5, "\"options\": {\"check_every\": 0},") == 0);
	EXPECT_EQ(r.align, 16);
	result_free(&r);
	EXPECT(make(&r, "a", "x.rep", "ok", 10, 1000, 0.5, "\"options\": {\"align\": 12},")
	       == RESULT_BAD);
}

/* The CSV's row for `name`, parsed: util, kops, util_points, thru_points, index. */
static int csv_row(const char *csv, const char *name, double v[5])
{
	char key[64];
	snprintf(key, sizeof key, "\n%s,", name);
	const char *p = strstr(csv, key);
	unsigned traces, valid;
	double ops, secs;
	return p && sscanf(p + strlen(key), "%u,%u,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &traces, &valid,
	                   &v[0], &ops, &secs, &v[1], &v[2], &v[3], &v[4]) == 9;
}

TEST(grade_index_is_the_weighted_mix_and_zero_with_an_invalid_trace)
{
	struct result_set set = { 0 };
	set.items = calloc(4, sizeof *set.items);
	REQUIRE(set.items);
	set.n = 4;
	/* alice: util 0.8 and 0.6, 1000 ops in 0.01 s + 1000 ops in 0.03 s = 50 Kops */
	REQUIRE(make(&set.items[0], "alice", "a.rep", "ok", 1000, 100000, 0.8, "") == 0);
	REQUIRE(make(&set.items[1], "alice", "b.rep", "ok", 1000, 1000 / 0.03, 0.6, "") == 0);
	REQUIRE(make(&set.items[2], "bob", "a.rep", "ok", 1000, 100000, 0.9, "") == 0);
	REQUIRE(make(&set.items[3], "bob", "b.rep", "crashed", 1000, 0, 0, "") == 0);

	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	REQUIRE(f);
	struct grade_options o = { 0.6, 100, NULL };
	EXPECT(grade_print(f, GRADE_CSV, &set, &o, err, sizeof err) == 0);
	fclose(f);
	double a[5], b[5];
	REQUIRE(csv_row(buf, "alice", a) && csv_row(buf, "bob", b));
	EXPECT(fabs(a[0] - 0.7) < 1e-6);           /* U: the average of 0.8 and 0.6       */
	EXPECT(fabs(a[1] - 50) < 0.05);            /* T: 2000 ops / 0.04 s                */
	EXPECT(fabs(a[2] - 42) < 0.01);            /* 100 * 0.6 * 0.7                     */
	EXPECT(fabs(a[3] - 20) < 0.01);            /* 100 * 0.4 * min(1, 50 / 100)        */
	EXPECT(fabs(a[4] - 62) < 0.01);
	EXPECT(b[4] == 0);                         /* one trace crashed: nothing          */
	free(buf);

	/* the reference from an allocator of the results: alice's own 50 Kops */
	buf = NULL;
	f = open_memstream(&buf, &len);
	REQUIRE(f);
	o.ref_alloc = "alice";
	EXPECT(grade_print(f, GRADE_TEXT, &set, &o, err, sizeof err) == 0);
	fclose(f);
	EXPECT_STR_CONTAINS(buf, "Perf index = 42.0 (util) + 40.0 (thru) = 82.0/100");
	EXPECT_STR_CONTAINS(buf, "Perf index = 0/100: 1 of 2 traces not valid");
	EXPECT_STR_CONTAINS(buf, "b.rep: crashed: t/x.rep:5: op 0: it went wrong");
	EXPECT_STR_CONTAINS(buf, "1    alice");
	free(buf);

	o.ref_alloc = "carol";
	buf = NULL;
	f = open_memstream(&buf, &len);
	REQUIRE(f);
	EXPECT(grade_print(f, GRADE_TEXT, &set, &o, err, sizeof err) == -1);
	fclose(f);
	free(buf);
	EXPECT_STR_CONTAINS(err, "--grade-ref: carol is not in the results");
	result_set_free(&set);
}
