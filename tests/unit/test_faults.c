/*
 * test_faults.c - hard inputs found by the bad-input catalogue
 * (tests/cli/bad_input.sh) and by fuzzing (tests/fuzz/), replayed as unit
 * tests so a regression names the exact case.
 */
#define _GNU_SOURCE
#include "test.h"
#include "harness/commands/cli.h"
#include "harness/core/exitcodes.h"

TEST(cli_parse_rejects_an_empty_trace_name)
{
	char *argv[] = { "bench", "--alloc", "bump", "--trace", "", NULL };
	struct cli_options o;
	char err[256];
	EXPECT_EQ(cli_parse(5, argv, &o, err, sizeof err), EXIT_USAGE);
	EXPECT_STR_CONTAINS(err, "--trace: empty file name");
}

TEST(cli_parse_rejects_an_empty_out_name_before_any_run)
{
	char *argv[] = { "bench", "--alloc", "bump", "--trace", "x", "--out", "", NULL };
	struct cli_options o;
	char err[256];
	EXPECT_EQ(cli_parse(7, argv, &o, err, sizeof err), EXIT_USAGE);
	EXPECT_STR_CONTAINS(err, "--out: empty file name");
}

/* ---- found by fuzz_result ---------------------------------------------- */

#include "harness/results/reader.h"

#include <stdio.h>
#include <stdlib.h>

static int one_line_without_control_bytes(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* tests/data/fuzz/result-newline-in-json-error.json: jansson quotes the input
 * near a syntax error, newline included; the message used to span lines. */
TEST(result_bad_json_message_is_one_line_with_the_input_escaped)
{
	struct result r;
	char err[1024];
	REQUIRE(result_load("tests/data/fuzz/result-newline-in-json-error.json", &r, err,
	                    sizeof err) == RESULT_BAD);
	EXPECT_STR_CONTAINS(err, "result-newline-in-json-error.json:2: not a heaplab result "
	                    "(bad JSON: invalid escape near '\"schema : \\\\x0a')");
	EXPECT(one_line_without_control_bytes(err));
}

TEST(result_string_values_in_messages_cannot_drive_the_terminal)
{
	static const char text[] = "{\"schema\": \"x\\ny\\u001b[31m\"}";
	struct result r;
	char err[1024];
	EXPECT_EQ(result_parse("s.json", text, sizeof text - 1, &r, err, sizeof err),
	          RESULT_FOREIGN);
	EXPECT_STR_CONTAINS(err, "s.json: not a heaplab result (schema is \"x\\x0ay\\x1b[31m\"");
	EXPECT(one_line_without_control_bytes(err));
}

TEST(result_raw_control_byte_is_not_echoed)
{
	static const char text[] = "{\"a\": \"\033[31mred\"}";
	struct result r;
	char err[1024];
	EXPECT_EQ(result_parse("c.json", text, sizeof text - 1, &r, err, sizeof err), RESULT_BAD);
	EXPECT(one_line_without_control_bytes(err));
}

/* tests/data/fuzz/trace-thread-line.trace: a fuzzed trace with `t 6` lines.
 * The reader was right; the fuzz target still required the field that now
 * holds the thread to be zero.  What must hold: every op names one of the
 * trace's threads, and the TIDs are the ones written. */
TEST(trace_from_fuzzer_with_thread_lines_names_only_its_threads)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(trace_load("tests/data/fuzz/trace-thread-line.trace", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nthreads, 2);
	size_t bad = 0;
	for (size_t i = 0; i < t.nops; i++)
		bad += t.ops[i].thread >= t.nthreads;
	EXPECT_EQ(bad, 0);
	REQUIRE(t.thread_tid != NULL);
	EXPECT_EQ(t.thread_tid[0], 0);
	EXPECT_EQ(t.thread_tid[1], 6);
	trace_free(&t);
}
