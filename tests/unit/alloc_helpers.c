/* alloc_helpers.c - test code more than one allocator's tests need. */
#include "test.h"
#include "alloc_helpers.h"

static unsigned long violations(const struct allocator *a, void *self)
{
	struct check_report r = { 0 };
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
