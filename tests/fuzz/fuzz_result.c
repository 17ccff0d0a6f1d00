/*
 * fuzz_result.c - libFuzzer target: result_parse (harness/results/reader.h, the
 * reader behind `bench report` and `bench compare`) on arbitrary bytes.
 *
 * Besides ASan, UBSan and LeakSanitizer (libFuzzer checks leaks per input),
 * an accepted result must satisfy what the reader promises its callers:
 * strings NUL-terminated within their arrays, min <= median <= max,
 * utilization and fragmentation in [0, 1], latency percentiles in order, and
 * timeline arrays present for every point; a refusal is one line that starts
 * with the file name.
 *
 * Build and run: `make fuzz` (see the Makefile), crashes in build/fuzz/crashes.
 */
#include "harness/results/reader.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.json"

static void die(const char *what)
{
	fprintf(stderr, "fuzz_result: %s\n", what);
	abort();
}

static void terminated(const char *s, size_t cap, const char *what)
{
	if (!memchr(s, '\0', cap))
		die(what);
}

static void in_unit(int has, double v, const char *what)
{
	if (has && !(v >= 0 && v <= 1))
		die(what);
}

static void check_result(const struct result *r)
{
	terminated(r->file, sizeof r->file, "file not terminated");
	terminated(r->allocator, sizeof r->allocator, "allocator not terminated");
	terminated(r->kind, sizeof r->kind, "kind not terminated");
	terminated(r->trace_path, sizeof r->trace_path, "trace_path not terminated");
	terminated(r->trace_name, sizeof r->trace_name, "trace_name not terminated");
	terminated(r->sha256, sizeof r->sha256, "sha256 not terminated");
	terminated(r->status, sizeof r->status, "status not terminated");
	if (strcmp(r->file, NAME) != 0)
		die("file is not the name given");
	if (r->has_throughput) {
		if (!(r->ops_min <= r->ops_median && r->ops_median <= r->ops_max))
			die("throughput not min <= median <= max");
		if (isnan(r->ns_median) || r->ns_median < 0)
			die("ns/op negative or NaN");
	}
	in_unit(r->has_utilization, r->utilization, "utilization outside [0, 1]");
	in_unit(r->has_fragmentation, r->fragmentation, "fragmentation outside [0, 1]");
	in_unit(r->has_utilization_rss, r->utilization_rss, "utilization_rss outside [0, 1]");
	if (r->has_latency)
		for (int k = 0; k < LATENCY_KINDS; k++) {
			const struct result_latency *l = &r->latency[k];
			if (l->present && !(l->p50 <= l->p90 && l->p90 <= l->p99 &&
			                    l->p99 <= l->p999 && l->p999 <= l->max))
				die("latency percentiles out of order");
		}
	if (r->timeline_points > RESULT_TIMELINE_MAX)
		die("more timeline points than the limit");
	if (r->timeline_points) {
		if (!r->timeline_op || (r->has_timeline_break && !r->timeline_break) ||
		    (r->has_timeline_live && !r->timeline_live))
			die("timeline arrays missing");
		/* touch every element: ASan catches an array shorter than the count */
		volatile uint64_t sum = 0;
		for (unsigned i = 0; i < r->timeline_points; i++) {
			sum += r->timeline_op[i];
			if (r->has_timeline_break)
				sum += r->timeline_break[i];
			if (r->has_timeline_live)
				sum += r->timeline_live[i];
		}
		(void)sum;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result r;
	char err[1024];
	err[0] = '\0';
	int s = result_parse(NAME, (const char *)data, size, &r, err, sizeof err);
	if (s == RESULT_OK) {
		check_result(&r);
		result_free(&r);
		return 0;
	}
	if (s != RESULT_BAD && s != RESULT_FOREIGN)
		die("unknown status");
	if (strncmp(err, NAME ":", strlen(NAME ":")) != 0)
		die("a refusal that does not start with the file name");
	if (strchr(err, '\n'))
		die("a refusal of more than one line");
	return 0;
}
