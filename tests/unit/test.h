/*
 * test.h - a minimal unit-test framework.
 *
 *   TEST(reader_rejects_unknown_op) { EXPECT(...); EXPECT_EQ(a, b); }
 *
 * Tests register themselves; the runner (runner.c) runs each in its own
 * child process so a crash fails one test, not the suite, and ends with the
 * line "N passed, N failed".  `unit NAME...` runs the tests whose names
 * contain one of the NAMEs.
 */
#ifndef HEAPLAB_TEST_H
#define HEAPLAB_TEST_H

#include <stdint.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int test_failures(void);

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void register_##name(void)    \
	{ test_register(#name, __FILE__, test_##name); }                  \
	static void test_##name(void)

#define EXPECT(cond)                                                      \
	do { if (!(cond)) test_fail(__FILE__, __LINE__, "expected %s", #cond); } while (0)

#define EXPECT_EQ(a, b)                                                   \
	do {                                                              \
		unsigned long long a_ = (unsigned long long)(a);          \
		unsigned long long b_ = (unsigned long long)(b);          \
		if (a_ != b_)                                             \
			test_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", \
			          #a, #b, a_, b_);                        \
	} while (0)

#define EXPECT_STR_CONTAINS(hay, needle)                                  \
	do {                                                              \
		const char *h_ = (hay), *n_ = (needle);                   \
		if (!h_ || !strstr(h_, n_))                               \
			test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
			          h_ ? h_ : "(null)", n_);                 \
	} while (0)

/* Stop the current test now (after a failure that makes the rest meaningless). */
#define REQUIRE(cond)                                                     \
	do { if (!(cond)) { test_fail(__FILE__, __LINE__, "required %s", #cond); return; } } while (0)

#endif
