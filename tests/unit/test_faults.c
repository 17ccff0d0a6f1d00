/*
 * test_faults.c - hard inputs found by the bad-input catalogue
 * (tests/cli/bad_input.sh) and by fuzzing (tests/fuzz/), replayed as unit
 * tests so a regression names the exact case.
 */
#define _GNU_SOURCE
#include "test.h"
#include "harness/cli.h"
#include "harness/exitcodes.h"

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
