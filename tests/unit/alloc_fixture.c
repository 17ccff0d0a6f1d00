/* alloc_fixture.c - the allocator tests' shared fixture (see alloc_fixture.h). */
#include "alloc_fixture.h"

int fixture_open(struct fixture *f, const struct allocator *a, size_t reserve, size_t limit)
{
	memset(f, 0, sizeof *f);
	f->a = a;
	if (heap_open(&f->heap, reserve ? reserve : FIXTURE_RESERVE, limit) != 0)
		return 0;
	f->self = a->init(&f->heap);
	f->brk0 = f->heap.brk;
	return f->self != NULL;
}

void fixture_close(struct fixture *f)
{
	heap_close(&f->heap);
}

unsigned long fixture_check(struct fixture *f)
{
	memset(&f->findings, 0, sizeof f->findings);
	unsigned long n = f->a->check(f->self, &f->findings);
	return n > f->findings.violations ? n : f->findings.violations;
}

int fixture_reported(const struct fixture *f, const char *needle)
{
	for (unsigned i = 0; i < f->findings.nmessages; i++)
		if (strstr(f->findings.messages[i], needle))
			return 1;
	return 0;
}

int fixture_clean_at(struct fixture *f, const char *file, int line)
{
	unsigned long n = fixture_check(f);
	if (n)
		test_fail(file, line, "%s self-check: %lu violations, first: %s", f->a->name, n,
		          f->findings.nmessages ? f->findings.messages[0] : "?");
	return n == 0;
}

struct stat_want {
	const char *name;   /* the counter wanted */
	uint64_t    value;  /* its value          */
	int         found;  /* it was reported    */
};

static void stat_pick(void *ctx, const char *name, uint64_t value)
{
	struct stat_want *w = ctx;
	if (strcmp(name, w->name) == 0) {
		w->value = value;
		w->found = 1;
	}
}

uint64_t fixture_stat_at(struct fixture *f, const char *name, const char *file, int line)
{
	struct stat_want w = { name, 0, 0 };
	if (f->a->stats)
		f->a->stats(f->self, stat_pick, &w);
	if (!w.found)
		test_fail(file, line, "%s has no counter named %s", f->a->name, name);
	return w.value;
}

static unsigned long violations(const struct allocator *a, void *self)
{
	struct check_findings r = { 0 };
	return a->check(self, &r);
}

void alloc_stress_mix(const struct allocator *a, void *self)
{
	enum { LIVE = 4000, OPS = 150000 };
	static unsigned char *p[LIVE];
	static size_t size[LIVE];
	uint64_t seed = 1;
	unsigned long bad = 0;
	for (int op = 0; op < OPS; op++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned r = (unsigned)(seed >> 33);
		int k = (int)(r % LIVE);
		size_t want = r % 97 == 0 ? (r >> 7) % 3000000 : r % 7 == 0 ? (r >> 5) % 40000
		            : (r >> 5) % 700;
		if (p[k]) {
			bad += size[k] && p[k][0] != (unsigned char)k;
			bad += size[k] > 1 && p[k][size[k] - 1] != (unsigned char)(k >> 3);
			if (r % 3 == 0) {
				unsigned char *q = a->realloc(self, p[k], want);
				REQUIRE(q);
				if (want && size[k])
					bad += q[0] != (unsigned char)k;
				p[k] = q;
			} else {
				a->free(self, p[k]);
				p[k] = NULL;
				continue;
			}
		} else {
			p[k] = r % 13 == 0 ? a->memalign(self, (size_t)32 << (r % 10), want)
			                   : a->malloc(self, want);
			REQUIRE(p[k]);
		}
		size[k] = want;
		if (want > 1)
			p[k][want - 1] = (unsigned char)(k >> 3);
		if (want)
			p[k][0] = (unsigned char)k;
		if (op % 15000 == 0)
			EXPECT_EQ(violations(a, self), 0);
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(violations(a, self), 0);
	for (int k = 0; k < LIVE; k++)
		a->free(self, p[k]);
	EXPECT_EQ(violations(a, self), 0);
}
