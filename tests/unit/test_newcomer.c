/*
 * test_newcomer.c - the small rules behind issue 15's rough edges: when
 * peak live / peak RSS is known, markdown's human units, and the program
 * name in help texts.
 */
#define _GNU_SOURCE
#include "test.h"
#include "harness/commands/cli.h"
#include "harness/core/metrics.h"
#include "harness/results/report_md.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(utilization_rss_is_a_ratio_only_when_rss_covers_the_live_bytes)
{
	double u = -1;
	EXPECT(metrics_utilization_rss(65536, 131072, &u));
	EXPECT(u == 0.5);
	EXPECT(metrics_utilization_rss(65536, 65536, &u));
	EXPECT(u == 1.0);
	/* 64 KiB of RSS for 65,636 live bytes: the library reused resident memory */
	u = -1;
	EXPECT(!metrics_utilization_rss(65636, 65536, &u));
	EXPECT(u == -1);
	EXPECT(!metrics_utilization_rss(0, 0, &u));
	EXPECT(!metrics_utilization_rss(100, 0, &u));
}

static const char *human(const char *field, const char *raw)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "%s", raw);
	report_md_humanize(field, buf, sizeof buf);
	return buf;
}

TEST(markdown_cells_are_in_human_units)
{
	EXPECT(!strcmp(human("peak_rss_bytes", "40072536"), "38.22 MiB"));
	EXPECT(!strcmp(human("peak_break_bytes", "512"), "512 B"));
	EXPECT(!strcmp(human("ops_per_sec_median", "40072536.5"), "40.07 Mops/s"));
	EXPECT(!strcmp(human("ns_per_op_median", "81.234"), "81.2 ns"));
	EXPECT(!strcmp(human("latency_p99", "120"), "120 ns"));
	EXPECT(!strcmp(human("latency_free_count", "120"), "120"));
	EXPECT(!strcmp(human("utilization_rss", "0.941234"), "94.1%"));
	EXPECT(!strcmp(human("fragmentation", "0.5"), "50.0%"));
	EXPECT(!strcmp(human("allocator", "tlsf"), "tlsf"));
	EXPECT(!strcmp(human("ops", "30000"), "30000"));
	EXPECT(!strcmp(human("peak_rss_bytes", "-"), "-"));
}

static char *usage_of(const char *text)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof buf, "w");
	if (!f)
		return NULL;
	cli_usage_text(f, text);
	fclose(f);
	return buf;
}

TEST(help_texts_name_the_program_as_started)
{
	const char *saved = cli_progname;
	cli_set_progname("/opt/hl/bin/heaplab-bench");
	EXPECT(!strcmp(cli_progname, "heaplab-bench"));
	char *s = usage_of("usage: bench gen PROFILE\n(see bench --help) benchmark `bench report`");
	REQUIRE(s);
	EXPECT(!strcmp(s, "usage: heaplab-bench gen PROFILE\n(see heaplab-bench --help) "
	                  "benchmark `heaplab-bench report`"));
	cli_set_progname("");   /* no name: keep the last one */
	EXPECT(!strcmp(cli_progname, "heaplab-bench"));
	cli_progname = saved;
}
