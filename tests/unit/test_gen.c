/*
 * test_gen.c - the trace generator: every profile writes a trace the reader
 * accepts, with exactly the operations asked for, the same bytes for the
 * same seed and different ones for another seed.
 */
#define _GNU_SOURCE
#include "test.h"
#include "../../harness/core/gen.h"
#include "../../harness/core/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text {
	char  *data;  /* what gen_write wrote (malloc'd) */
	size_t len;
};

static int generate(const char *profile, uint64_t ops, uint64_t seed, struct text *t)
{
	const struct gen_profile *p = gen_find(profile);
	if (!p)
		return -1;
	FILE *f = open_memstream(&t->data, &t->len);
	if (!f)
		return -1;
	int err = gen_write(p, ops, seed, "test", f);
	if (fclose(f))
		return -1;
	return err;
}

/* Parse with the benchmark's own reader; 0 when valid. */
static int parse(const char *name, const struct text *x, struct trace *t)
{
	struct trace_error err;
	if (trace_parse(name, x->data, x->len, t, &err) != TRACE_OK) {
		fprintf(stderr, "    %s\n", err.message);
		return -1;
	}
	return 0;
}

static uint64_t small_ops(const struct gen_profile *p)
{
	return p->default_ops < 8000 ? p->default_ops : 8000;
}

TEST(gen_every_profile_writes_a_valid_trace_of_exactly_ops_operations)
{
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		const struct gen_profile *p = &gen_profiles[i];
		struct text x = { 0 };
		struct trace t;
		REQUIRE(generate(p->name, small_ops(p), 1, &x) == 0);
		if (parse(p->name, &x, &t)) {
			test_fail(__FILE__, __LINE__, "profile %s: invalid trace", p->name);
			free(x.data);
			continue;
		}
		EXPECT_EQ(t.nops, small_ops(p));
		EXPECT(t.peak_live_blocks > 0);
		trace_free(&t);
		free(x.data);
	}
}

TEST(gen_default_ops_of_every_profile_are_valid)
{
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		const struct gen_profile *p = &gen_profiles[i];
		if (p->default_ops > 100000)
			continue;   /* grow: its own test below */
		struct text x = { 0 };
		struct trace t;
		REQUIRE(generate(p->name, p->default_ops, 42, &x) == 0);
		EXPECT(parse(p->name, &x, &t) == 0);
		EXPECT_EQ(t.nops, p->default_ops);
		trace_free(&t);
		free(x.data);
	}
}

TEST(gen_ops_respected_for_tiny_and_odd_counts)
{
	static const uint64_t counts[] = { 1, 2, 3, 7, 999, 4097 };
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		for (unsigned k = 0; k < sizeof counts / sizeof counts[0]; k++) {
			struct text x = { 0 };
			struct trace t;
			REQUIRE(generate(gen_profiles[i].name, counts[k], 9, &x) == 0);
			REQUIRE(parse(gen_profiles[i].name, &x, &t) == 0);
			EXPECT_EQ(t.nops, counts[k]);
			trace_free(&t);
			free(x.data);
		}
	}
}

TEST(gen_same_seed_gives_identical_bytes)
{
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		struct text a = { 0 }, b = { 0 };
		REQUIRE(generate(gen_profiles[i].name, 3000, 123, &a) == 0);
		REQUIRE(generate(gen_profiles[i].name, 3000, 123, &b) == 0);
		EXPECT(a.len == b.len && !memcmp(a.data, b.data, a.len));
		free(a.data);
		free(b.data);
	}
}

TEST(gen_different_seed_gives_different_operations)
{
	for (unsigned i = 0; i < gen_nprofiles; i++) {
		struct text a = { 0 }, b = { 0 };
		REQUIRE(generate(gen_profiles[i].name, 3000, 1, &a) == 0);
		REQUIRE(generate(gen_profiles[i].name, 3000, 2, &b) == 0);
		/* skip the header, which names the seed */
		const char *oa = strstr(a.data, "\na "), *ob = strstr(b.data, "\na ");
		REQUIRE(oa && ob);
		int same = strlen(oa) == strlen(ob) && !strcmp(oa, ob);
		if (same)
			test_fail(__FILE__, __LINE__, "profile %s ignores its seed",
			          gen_profiles[i].name);
		free(a.data);
		free(b.data);
	}
}

TEST(gen_header_names_profile_seed_ops_and_command)
{
	struct text x = { 0 };
	REQUIRE(generate("web", 100, 77, &x) == 0);
	EXPECT_STR_CONTAINS(x.data, "profile web, seed 77, 100 ops");
	EXPECT_STR_CONTAINS(x.data, "# regenerate: test\n");
	EXPECT(x.data[0] == '#');
	free(x.data);
}

TEST(gen_unknown_profile_is_not_found)
{
	EXPECT(gen_find("nosuch") == NULL);
	EXPECT(gen_find("") == NULL);
	EXPECT(gen_find("web") != NULL);
}

TEST(gen_profiles_show_their_pattern)
{
	struct text x = { 0 };
	struct trace t;
	/* database: page-aligned buffers */
	REQUIRE(generate("database", 5000, 1, &x) == 0);
	REQUIRE(parse("database", &x, &t) == 0);
	EXPECT(t.count[OP_MEMALIGN] > 0);
	trace_free(&t);
	free(x.data);
	/* realloc: growth dominates */
	x = (struct text){ 0 };
	REQUIRE(generate("realloc", 5000, 1, &x) == 0);
	REQUIRE(parse("realloc", &x, &t) == 0);
	EXPECT(t.count[OP_REALLOC] > 100);
	trace_free(&t);
	free(x.data);
	/* web: some bodies of 64 KiB or more; calloc too */
	x = (struct text){ 0 };
	REQUIRE(generate("web", 30000, 1, &x) == 0);
	REQUIRE(parse("web", &x, &t) == 0);
	EXPECT(t.count[OP_CALLOC] > 0);
	int big = 0;
	for (size_t i = 0; i < t.nops; i++)
		big += t.ops[i].kind == OP_MALLOC && t.ops[i].size >= 65536;
	EXPECT(big > 0);
	trace_free(&t);
	free(x.data);
}

TEST(gen_grow_default_reaches_two_million_live_blocks)
{
	const struct gen_profile *p = gen_find("grow");
	REQUIRE(p);
	struct text x = { 0 };
	struct trace t;
	REQUIRE(generate("grow", p->default_ops, 1, &x) == 0);
	REQUIRE(parse("grow", &x, &t) == 0);
	EXPECT(t.peak_live_blocks >= 2000000);
	EXPECT(t.count[OP_FREE] > 0);
	trace_free(&t);
	free(x.data);
}
