/*
 * test_writer.c - the JSON of a failed check, number parsing, and writing the
 * result atomically (or in place for devices), never leaving a partial file.
 */
#define _GNU_SOURCE
#include "test.h"
#include "harness/commands/cli.h"
#include "harness/results/writer.h"
#include "tests/allocators/broken.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct allocator alloc_bump;


TEST(report_of_failed_check_says_check_failed_with_the_message)
{
	static const char text[] = "a 0 24\na 1 24\n";
	struct trace t;
	struct trace_error err;
	REQUIRE(trace_parse("t.trace", text, strlen(text), &t, &err) == TRACE_OK);
	struct cell_options opt = { .runs = 2 };
	struct cell_result *r = calloc(1, sizeof *r);
	REQUIRE(cell_run(broken_find("broken-overlap"), &t, &opt, r) == CELL_CHECK_FAILED);
	struct machine_info m;
	machine_describe(&m);
	struct result_input in = { .alloc = broken_find("broken-overlap"), .trace = &t, .opt = &opt,
	                           .result = r, .machine = &m, .when = 0 };
	json_t *j = result_json(&in);
	REQUIRE(j);
	EXPECT_STR_CONTAINS(json_string_value(json_object_get(j, "status")), "check-failed");
	json_t *check = json_object_get(j, "check");
	EXPECT(json_is_false(json_object_get(check, "passed")));
	EXPECT_EQ(json_integer_value(json_object_get(check, "violations")), 1);
	EXPECT_STR_CONTAINS(json_string_value(json_object_get(check, "message")),
	                    "t.trace:2: op 1 (malloc of 24 bytes for block 1)");
	EXPECT(json_is_null(json_object_get(j, "throughput")));
	EXPECT_EQ(json_integer_value(json_object_get(j, "runs")), 0);
	json_decref(j);
}

TEST(report_json_timestamp_is_utc_iso8601)
{
	static const char text[] = "a 0 24\n";
	struct trace t;
	struct trace_error err;
	REQUIRE(trace_parse("t.trace", text, strlen(text), &t, &err) == TRACE_OK);
	struct cell_options opt = { .runs = 1 };
	struct cell_result *r = calloc(1, sizeof *r);
	REQUIRE(cell_run(&alloc_bump, &t, &opt, r) == CELL_OK);
	struct machine_info m;
	machine_describe(&m);
	struct result_input in = { .alloc = &alloc_bump, .trace = &t, .opt = &opt, .result = r,
	                           .machine = &m, .when = 86400 * 365 };
	json_t *j = result_json(&in);
	REQUIRE(j);
	EXPECT_STR_CONTAINS(json_string_value(json_object_get(j, "timestamp")),
	                    "1971-01-01T00:00:00Z");
	json_decref(j);
}

static int number(const char *text, int suffixes, uint64_t *v)
{
	char err[256];
	return cli_parse_number("--n", text, 1, UINT64_MAX, suffixes, v, err, sizeof err);
}

TEST(cli_numbers_reject_negative_empty_garbage_overflow_and_zero)
{
	uint64_t v;
	EXPECT(number("-1", 1, &v) == -1);
	EXPECT(number("", 1, &v) == -1);
	EXPECT(number(" 5", 1, &v) == -1);
	EXPECT(number("+5", 1, &v) == -1);
	EXPECT(number("5x", 1, &v) == -1);
	EXPECT(number("5K", 0, &v) == -1);
	EXPECT(number("0", 1, &v) == -1);
	EXPECT(number("18446744073709551616", 0, &v) == -1);
	EXPECT(number("17179869184G", 1, &v) == -1);   /* 2^34 GiB = 2^64 */
}

TEST(cli_numbers_accept_binary_suffixes)
{
	uint64_t v = 0;
	EXPECT(number("12", 0, &v) == 0 && v == 12);
	EXPECT(number("4K", 1, &v) == 0 && v == 4096);
	EXPECT(number("3m", 1, &v) == 0 && v == 3u << 20);
	EXPECT(number("2GiB", 1, &v) == 0 && v == (uint64_t)2 << 30);
	EXPECT(number("1TB", 1, &v) == 0 && v == (uint64_t)1 << 40);
}

TEST(cli_parse_reads_every_option)
{
	char *argv[] = { "bench", "--alloc", "bump", "--trace", "x.trace", "--runs", "7",
	                 "--check", "100", "--heap-limit", "64K", "--json", "--out", "r.json",
	                 "--quiet", NULL };
	struct cli_options o;
	char err[256];
	REQUIRE(cli_parse(15, argv, &o, err, sizeof err) == 0);
	EXPECT_STR_CONTAINS(o.alloc, "bump");
	EXPECT_STR_CONTAINS(o.trace, "x.trace");
	EXPECT_STR_CONTAINS(o.out, "r.json");
	EXPECT_EQ(o.run.runs, 7);
	EXPECT_EQ(o.run.check_every, 100);
	EXPECT_EQ(o.run.heap_limit, 65536);
	EXPECT(o.json && o.quiet && !o.list && !o.help);
	EXPECT_EQ(o.ntraces, 1);
	cli_free(&o);
}

TEST(cli_parse_collects_every_trace_option_in_order)
{
	char *argv[] = { "bench", "-t", "a,b.trace", "--alloc", "bump", "--trace", "c.trace",
	                 "--trace=@list", NULL };
	struct cli_options o;
	char err[256];
	REQUIRE(cli_parse(8, argv, &o, err, sizeof err) == 0);
	REQUIRE(o.ntraces == 3);
	EXPECT(!strcmp(o.traces[0], "a,b.trace") && !strcmp(o.traces[1], "c.trace")
	       && !strcmp(o.traces[2], "@list"));
	EXPECT(o.trace == o.traces[0]);
	cli_free(&o);
	EXPECT(o.traces == NULL);
}

TEST(cli_parse_rejects_a_stray_argument)
{
	char *argv[] = { "bench", "--alloc", "bump", "extra", NULL };
	struct cli_options o;
	char err[256];
	EXPECT(cli_parse(4, argv, &o, err, sizeof err) != 0);
	EXPECT_STR_CONTAINS(err, "unexpected argument 'extra'");
}
