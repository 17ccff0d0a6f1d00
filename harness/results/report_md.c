/* report_md.c - Markdown tables of results (see report_md.h). */
#define _GNU_SOURCE
#include "report_md.h"

#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

static void bytes_text(char *buf, size_t len, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	while (n >= 1024 && u < 4)
		n /= 1024, u++;
	snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", n, unit[u]);
}

/* One decimal, for the tables' narrow columns. */
static void short_bytes(char *buf, size_t len, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	while (n >= 1000 && u < 4)   /* 1023.5 KiB would be wider than 1.0 MiB */
		n /= 1024, u++;
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

void report_md_humanize(const char *field, char *buf, size_t len)
{
	char *end;
	double v = strtod(buf, &end);
	if (!buf[0] || *end)
		return;   /* not a number: a name, a status, "-" */
	if (ends_with(field, "_bytes"))
		bytes_text(buf, len, v);
	else if (!strncmp(field, "ops_per_sec", 11))
		snprintf(buf, len, "%.2f Mops/s", v / 1e6);
	else if (!strncmp(field, "ns_per_op", 9))
		snprintf(buf, len, "%.1f ns", v);
	else if (!strncmp(field, "latency_", 8) && !ends_with(field, "_count"))
		snprintf(buf, len, "%.0f ns", v);
	else if (!strncmp(field, "utilization", 11) || !strncmp(field, "fragmentation", 13))
		snprintf(buf, len, "%.1f%%", 100 * v);
}

int report_md_reference(const struct result_set *set, const char *name, const char **ref)
{
	*ref = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->items[i].allocator, name ? name : "glibc")) {
			*ref = set->items[i].allocator;
			return 0;
		}
	return name ? -1 : 0;
}

/* Text as Markdown shows it literally: |, *, _, ` and \ escaped (a table
 * or an emphasis cannot be broken), control characters as '?'. */
static void md_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (strchr("|*_`\\", c))
			putc('\\', out), putc(c, out);
		else if (c < 0x20 || c == 0x7f)
			putc('?', out);
		else
			putc(c, out);
	}
}

static void cell(FILE *out, const char *s)
{
	fputs("| ", out);
	md_text(out, s);
	putc(' ', out);
}

static const struct result *find(const struct result_set *set, const char *alloc,
                                 const char *trace)
{
	const struct result *found = NULL;
	for (size_t i = 0; i < set->n; i++)   /* the last one read, as the tsv shows */
		if (!strcmp(set->items[i].allocator, alloc)
		    && !strcmp(set->items[i].trace_name, trace))
			found = &set->items[i];
	return found;
}

static int is_peer(const struct result *r)
{
	return !strcmp(r->kind, "peer");
}

/* Which optional columns the tables have: the same for every trace's. */
struct md_columns {
	const char *ref;          /* the x REF column, or NULL                    */
	int         any_not_ok;   /* a status column                               */
	int         any_failed;   /* a failed column                               */
	int         any_peer;     /* the footnote says a peer has no break         */
};

/* A trace's title and its table's two header lines. */
static void md_table_head(FILE *out, const struct result *t, int first,
                          const struct md_columns *c)
{
	fprintf(out, "%s**", first ? "" : "\n");
	md_text(out, t->trace_name);
	fprintf(out, "** (%llu ops)\n\n", (unsigned long long)t->ops);
	fputs(c->any_not_ok ? "| allocator | status | Mops/s " : "| allocator | Mops/s ", out);
	if (c->ref)
		fputs("| x ", out), md_text(out, c->ref), putc(' ', out);
	fputs("| break | RSS | util | util RSS ", out);
	if (c->any_failed)
		fputs("| failed ", out);
	fputs(c->any_not_ok ? "|\n|---|---|--:" : "|\n|---|--:", out);
	if (c->ref)
		fputs("|--:", out);
	fputs("|--:|--:|--:|--:", out);
	if (c->any_failed)
		fputs("|--:", out);
	fputs("|\n", out);
}

/* One allocator's row; base is the reference's result on the same trace, or NULL. */
static void md_row(FILE *out, const struct result *r, const struct result *base,
                   const struct md_columns *c)
{
	char b[64];
	snprintf(b, sizeof b, "%.48s%s", r->allocator, is_peer(r) ? " (peer)" : "");
	cell(out, b);
	if (c->any_not_ok)
		cell(out, r->status);
	if (r->has_throughput)
		snprintf(b, sizeof b, "%.2f", r->ops_median / 1e6);
	else
		snprintf(b, sizeof b, "-");
	cell(out, b);
	if (c->ref) {
		if (base && r->has_throughput && base->ops_median > 0)
			snprintf(b, sizeof b, "%.2fx", r->ops_median / base->ops_median);
		else
			snprintf(b, sizeof b, "-");
		cell(out, b);
	}
	if (r->has_peak_break)
		short_bytes(b, sizeof b, (double)r->peak_break);
	else
		snprintf(b, sizeof b, "-");
	cell(out, b);
	if (r->has_peak_rss)
		short_bytes(b, sizeof b, (double)r->peak_rss);
	else
		snprintf(b, sizeof b, "-");
	cell(out, b);
	if (r->has_utilization)
		snprintf(b, sizeof b, "%.1f%%", 100 * r->utilization);
	else
		snprintf(b, sizeof b, "-");
	cell(out, b);
	if (r->has_utilization_rss)
		snprintf(b, sizeof b, "%.1f%%", 100 * r->utilization_rss);
	else
		snprintf(b, sizeof b, "-");
	cell(out, b);
	if (c->any_failed) {
		if (r->has_op_failures && r->failed_allocations + r->skipped_ops)
			snprintf(b, sizeof b, "%llu+%llu",
			         (unsigned long long)r->failed_allocations,
			         (unsigned long long)r->skipped_ops);
		else
			snprintf(b, sizeof b, r->has_op_failures ? "0" : "-");
		cell(out, b);
	}
	fputs("|\n", out);
}

/* What the columns mean, once below all the tables. */
static void md_footnotes(FILE *out, const struct md_columns *c)
{
	fputs("\nMops/s: median of the timed runs.", out);
	if (c->ref)
		fputs("  x ", out), md_text(out, c->ref), fputs(": throughput relative to ", out),
		md_text(out, c->ref), fputs("\non the same trace (above 1.00x: faster).", out);
	fprintf(out, "\nbreak, RSS: peak break%s and peak RSS (memory pass).\n",
	        c->any_peer ? " (a peer has none)" : "");
	fputs("util, util RSS: peak live bytes / peak break, / peak RSS.\n", out);
	if (c->any_failed)
		fputs("failed: failed allocations + ops skipped on their blocks; such a cell's\n"
		      "figures are not comparable with one where every allocation succeeded.\n",
		      out);
}

void report_md_tables(FILE *out, const struct result_set *set, const char *ref)
{
	struct md_columns c = { .ref = ref };
	for (size_t i = 0; i < set->n; i++) {
		c.any_failed |= set->items[i].has_op_failures && set->items[i].failed_allocations;
		c.any_peer |= is_peer(&set->items[i]);
		c.any_not_ok |= strcmp(set->items[i].status, "ok") != 0;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct result *t = &set->items[i];
		size_t k;
		for (k = 0; k < i; k++)   /* each trace once, in the order first read */
			if (!strcmp(set->items[k].trace_name, t->trace_name))
				break;
		if (k < i)
			continue;
		const struct result *base = ref ? find(set, ref, t->trace_name) : NULL;
		if (base && !base->has_throughput)
			base = NULL;
		md_table_head(out, t, i == 0, &c);
		/* built-ins first, then peers */
		for (size_t pass = 0, j = i; pass < 2; j = ++pass == 1 ? i : set->n)
		for (; j < set->n; j++) {
			const struct result *r = &set->items[j];
			if (strcmp(r->trace_name, t->trace_name) || find(set, r->allocator,
			                                                  r->trace_name) != r
			    || is_peer(r) != (int)pass)
				continue;
			md_row(out, r, base, &c);
		}
	}
	md_footnotes(out, &c);
}
