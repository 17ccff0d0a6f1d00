/* test_stats.c - the statistics of bench compare (harness/core/stats.h). */
#include "test.h"

#include "harness/core/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define EXPECT_NEAR(a, b, tol)                                                    \
	do {                                                                      \
		double a_ = (a), b_ = (b);                                        \
		if (!(fabs(a_ - b_) <= (tol)))                                    \
			test_fail(__FILE__, __LINE__, "%s ~ %s: %.6g vs %.6g", #a, #b, \
			          a_, b_);                                         \
	} while (0)

TEST(stats_median_odd_even)
{
	double a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 2 };
	EXPECT_NEAR(stats_median(a, 3), 3, 0);
	EXPECT_NEAR(stats_median(b, 4), 2.5, 0);
}

TEST(stats_mann_whitney_separated_3v3_is_0_1)
{
	double x[] = { 1, 2, 3 }, y[] = { 4, 5, 6 }, p;
	int exact;
	REQUIRE(stats_mann_whitney(x, 3, y, 3, &p, &exact) == 0);
	EXPECT(exact);
	EXPECT_NEAR(p, 2.0 / 20, 1e-12);
	EXPECT_NEAR(stats_min_p(3, 3), 0.1, 1e-12);
}

TEST(stats_mann_whitney_separated_5v5_is_2_over_252)
{
	double x[] = { 10, 11, 12, 13, 14 }, y[] = { 20, 21, 22, 23, 24 }, p;
	REQUIRE(stats_mann_whitney(x, 5, y, 5, &p, NULL) == 0);
	EXPECT_NEAR(p, 2.0 / 252, 1e-12);
	EXPECT_NEAR(stats_min_p(5, 5), 2.0 / 252, 1e-12);
	/* the direction does not matter for a two-sided p */
	REQUIRE(stats_mann_whitney(y, 5, x, 5, &p, NULL) == 0);
	EXPECT_NEAR(p, 2.0 / 252, 1e-12);
}

TEST(stats_mann_whitney_one_inversion_4v4)
{
	/* U = 1 of 16 pairs: P(U <= 1) = 2/70 per side */
	double x[] = { 1, 2, 3, 5 }, y[] = { 4, 6, 7, 8 }, p;
	REQUIRE(stats_mann_whitney(x, 4, y, 4, &p, NULL) == 0);
	EXPECT_NEAR(p, 4.0 / 70, 1e-12);
}

TEST(stats_mann_whitney_known_value_10v5)
{
	/* R's wilcox.test example: W = 35, one-sided p = 0.1272, two-sided 0.2544 */
	double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 }, p;
	REQUIRE(stats_mann_whitney(x, 10, y, 5, &p, NULL) == 0);
	EXPECT_NEAR(p, 0.2544, 0.0005);
}

TEST(stats_mann_whitney_identical_samples_p_is_1)
{
	double x[] = { 7, 7, 7, 7, 7 }, p;
	REQUIRE(stats_mann_whitney(x, 5, x, 5, &p, NULL) == 0);
	EXPECT_NEAR(p, 1, 1e-12);
}

/* Brute force over every split, midranks for ties: an independent check of the DP. */
static double brute_p(const double *v, size_t n, size_t m)
{
	size_t N = n + m;
	double r[16];
	for (size_t i = 0; i < N; i++) {
		double less = 0, same = 0;
		for (size_t j = 0; j < N; j++)
			less += v[j] < v[i], same += v[j] == v[i];
		r[i] = less + (same + 1) / 2;
	}
	double w = 0, mean = (double)m * (double)(N + 1) / 2;
	for (size_t j = n; j < N; j++)
		w += r[j];
	double all = 0, extreme = 0;
	for (unsigned mask = 0; mask < (1u << N); mask++) {
		if ((size_t)__builtin_popcount(mask) != m)
			continue;
		double s = 0;
		for (size_t i = 0; i < N; i++)
			if (mask >> i & 1)
				s += r[i];
		all++;
		extreme += fabs(s - mean) >= fabs(w - mean) - 1e-9;
	}
	return extreme / all;
}

TEST(stats_mann_whitney_ties_match_brute_force)
{
	/* first n values are x, the rest y; many ties on purpose */
	static const double cases[][12] = {
		{ 1, 1, 2, 3, 3, 3,   2, 3, 3, 4, 4, 5 },
		{ 5, 5, 5, 5, 5, 5,   5, 5, 5, 5, 5, 6 },
		{ 1, 2, 2, 2, 9, 9,   2, 2, 9, 9, 9, 9 },
		{ 3, 1, 4, 1, 5, 9,   2, 6, 5, 3, 5, 8 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		double p;
		REQUIRE(stats_mann_whitney(cases[c], 6, cases[c] + 6, 6, &p, NULL) == 0);
		EXPECT_NEAR(p, brute_p(cases[c], 6, 6), 1e-12);
	}
}

TEST(stats_mann_whitney_normal_approximation_for_large_n)
{
	double x[40], y[40], p;
	int exact = 1;
	for (int i = 0; i < 40; i++)
		x[i] = 2 * i, y[i] = 2 * i + 1;   /* interleaved: no difference */
	REQUIRE(stats_mann_whitney(x, 40, y, 40, &p, &exact) == 0);
	EXPECT(!exact);
	EXPECT(p > 0.8);
	for (int i = 0; i < 40; i++)
		y[i] = 100 + i;                    /* separated */
	REQUIRE(stats_mann_whitney(x, 40, y, 40, &p, NULL) == 0);
	EXPECT(p < 1e-10);
}

TEST(stats_mann_whitney_exact_and_approximation_agree_near_the_limit)
{
	/* 30 vs 30 (exact) and the same data with one more point each (approximate) */
	double x[31], y[31], pe, pa;
	for (int i = 0; i < 31; i++)
		x[i] = i, y[i] = i + 4.5;
	REQUIRE(stats_mann_whitney(x, 30, y, 30, &pe, NULL) == 0);
	REQUIRE(stats_mann_whitney(x, 31, y, 31, &pa, NULL) == 0);
	EXPECT(pe > 0.03 && pe < 0.1);
	EXPECT(fabs(pa - pe) < 0.01);
}

TEST(stats_mann_whitney_bad_arguments)
{
	double x[] = { 1 }, p;
	EXPECT(stats_mann_whitney(x, 0, x, 1, &p, NULL) == -1);
	EXPECT(stats_mann_whitney(x, 1, x, 0, &p, NULL) == -1);
}

TEST(stats_ratio_exact_scale_is_found)
{
	double x[] = { 100, 104, 98, 101, 99 }, y[5], est, lo, hi;
	for (int i = 0; i < 5; i++)
		y[i] = 1.25 * x[i];
	REQUIRE(stats_ratio(x, 5, y, 5, 0.01, &est, &lo, &hi) == 0);
	EXPECT_NEAR(est, 1.25, 1e-9);
	EXPECT(lo <= 1.25 && hi >= 1.25 && isfinite(hi) && lo > 0);
	/* 5 vs 5 at 99%: the interval spans the smallest to the largest pairwise ratio */
	EXPECT_NEAR(lo, 1.25 * 98 / 104, 1e-9);
	EXPECT_NEAR(hi, 1.25 * 104 / 98, 1e-9);
}

TEST(stats_ratio_too_few_samples_give_an_unbounded_interval)
{
	double x[] = { 1, 2, 3 }, y[] = { 4, 5, 6 }, est, lo, hi;
	REQUIRE(stats_ratio(x, 3, y, 3, 0.01, &est, &lo, &hi) == 0);
	EXPECT(lo == 0 && isinf(hi));
	EXPECT(est > 1);
}

TEST(stats_ratio_rejects_non_positive_samples)
{
	double x[] = { 1, 0 }, y[] = { 1, 2 }, est, lo, hi;
	EXPECT(stats_ratio(x, 2, y, 2, 0.05, &est, &lo, &hi) == -1);
	EXPECT(stats_ratio(y, 2, y, 2, 1.5, &est, &lo, &hi) == -1);
}

/* A fixed-seed generator for the coverage check (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double uniform(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

/* Skewed, heavy-right-tailed noise like timed passes: 1 + exponential(0.1). */
static double noisy(double scale) { return scale * (1 - 0.1 * log(1 - uniform())); }

TEST(stats_ratio_interval_covers_the_true_ratio_fixed_seed)
{
	int covered = 0, trials = 400, significant_null = 0;
	for (int t = 0; t < trials; t++) {
		double x[8], y[8], est, lo, hi, p;
		for (int i = 0; i < 8; i++)
			x[i] = noisy(100), y[i] = noisy(110);
		REQUIRE(stats_ratio(x, 8, y, 8, 0.05, &est, &lo, &hi) == 0);
		covered += lo <= 1.1 && 1.1 <= hi;
		for (int i = 0; i < 8; i++)
			y[i] = noisy(100);
		REQUIRE(stats_mann_whitney(x, 8, y, 8, &p, NULL) == 0);
		significant_null += p < 0.05;
	}
	/* nominal 95% (exact: a little more); the test's false-positive rate <= 5% */
	EXPECT(covered >= trials * 93 / 100);
	EXPECT(significant_null <= trials * 7 / 100);
}

TEST(stats_interval_agrees_with_the_test)
{
	/* without ties: the 1 - alpha interval excludes 1 exactly when p < alpha */
	for (int shift = 0; shift < 12; shift++) {
		double x[6], y[6], est, lo, hi, p;
		for (int i = 0; i < 6; i++)
			x[i] = 100 + 3 * i, y[i] = 100 + 3 * i + 2.9 * shift + 0.5;
		REQUIRE(stats_ratio(x, 6, y, 6, 0.05, &est, &lo, &hi) == 0);
		REQUIRE(stats_mann_whitney(x, 6, y, 6, &p, NULL) == 0);
		if ((p < 0.05) != (lo > 1 || hi < 1))
			test_fail(__FILE__, __LINE__, "shift %d: p %.4f but interval [%.4f, %.4f]",
			          shift, p, lo, hi);
	}
}

/* ---- paired samples (the signed-rank test on log ratios) ---- */

static void ratios(const double *d, size_t n, double *x, double *y)
{
	/* a slowdown by -d is a speedup swapped, so equal |d| tie exactly */
	for (size_t i = 0; i < n; i++) {
		double v = 100 * exp(fabs(d[i]));
		x[i] = d[i] < 0 ? v : 100;
		y[i] = d[i] < 0 ? 100 : v;
	}
}

TEST(stats_signed_rank_all_slower_6_is_2_over_64)
{
	double d[6] = { .01, .02, .03, .04, .05, .06 }, x[6], y[6], p;
	int exact = 0;
	ratios(d, 6, x, y);
	REQUIRE(stats_signed_rank(x, y, 6, &p, &exact) == 0);
	EXPECT_NEAR(p, 2.0 / 64, 1e-12);
	EXPECT(exact);
	EXPECT_NEAR(stats_paired_min_p(6), 2.0 / 64, 1e-12);
	REQUIRE(stats_signed_rank(y, x, 6, &p, NULL) == 0);   /* symmetric */
	EXPECT_NEAR(p, 2.0 / 64, 1e-12);
}

TEST(stats_signed_rank_known_value)
{
	/* ranks 1 2 3 -4 5 6: W- = 4; P(W <= 4) = 7/64 for n = 6, p = 14/64 */
	double d[6] = { .01, .02, .03, -.04, .05, .06 }, x[6], y[6], p;
	ratios(d, 6, x, y);
	REQUIRE(stats_signed_rank(x, y, 6, &p, NULL) == 0);
	EXPECT_NEAR(p, 14.0 / 64, 1e-12);
}

TEST(stats_signed_rank_identical_and_zeros)
{
	double x[5] = { 1, 2, 3, 4, 5 }, p, est, lo, hi;
	REQUIRE(stats_signed_rank(x, x, 5, &p, NULL) == 0);
	EXPECT_NEAR(p, 1, 0);
	REQUIRE(stats_paired_ratio(x, x, 5, 0.05, &est, &lo, &hi) == 0);
	EXPECT_NEAR(est, 1, 1e-12);
	/* zero differences are dropped: 3 zeros + 5 slower = the 5-pair p */
	double d[8] = { 0, .01, 0, .02, .03, 0, .04, .05 }, a[8], b[8];
	ratios(d, 8, a, b);
	REQUIRE(stats_signed_rank(a, b, 8, &p, NULL) == 0);
	EXPECT_NEAR(p, 2.0 / 32, 1e-12);
}

TEST(stats_signed_rank_ties_match_brute_force)
{
	/* |d| with ties; signs + + - + - + */
	double d[6] = { .01, .01, -.02, .03, -.03, .03 }, x[6], y[6], p;
	ratios(d, 6, x, y);
	REQUIRE(stats_signed_rank(x, y, 6, &p, NULL) == 0);
	/* doubled midranks of |d|: 3 3 6 10 10 10, observed positive sum 26 */
	int r2[6] = { 3, 3, 6, 10, 10, 10 };
	double mean2 = 21, dev = fabs(26 - mean2);
	int extreme = 0;
	for (int mask = 0; mask < 64; mask++) {
		int s = 0;
		for (int i = 0; i < 6; i++)
			if (mask >> i & 1)
				s += r2[i];
		extreme += fabs(s - mean2) >= dev - 1e-9;
	}
	EXPECT_NEAR(p, extreme / 64.0, 1e-12);
}

TEST(stats_signed_rank_rejects_bad_samples)
{
	double x[3] = { 1, 2, 3 }, y[3] = { 1, 0, 3 }, p, e, lo, hi;
	EXPECT(stats_signed_rank(x, y, 3, &p, NULL) == -1);
	EXPECT(stats_signed_rank(x, x, 0, &p, NULL) == -1);
	EXPECT(stats_paired_ratio(x, y, 3, 0.05, &e, &lo, &hi) == -1);
	EXPECT(stats_paired_ratio(x, x, 3, 0, &e, &lo, &hi) == -1);
}

TEST(stats_paired_ratio_estimate_and_interval)
{
	/* Walsh averages of .01 .02 .03: .01 .015 .02 .02 .025 .03, median .02 */
	double d3[3] = { .01, .02, .03 }, x[6], y[6], est, lo, hi;
	ratios(d3, 3, x, y);
	REQUIRE(stats_paired_ratio(x, y, 3, 0.05, &est, &lo, &hi) == 0);
	EXPECT_NEAR(est, exp(.02), 1e-12);
	EXPECT(lo == 0 && isinf(hi));          /* 3 pairs: no 95% interval */
	/* 6 pairs at 95%: P(W <= 0) = 1/64 <= .025 < P(W <= 1): the extremes */
	double d6[6] = { .03, -.01, .05, .02, .04, .06 };
	ratios(d6, 6, x, y);
	REQUIRE(stats_paired_ratio(x, y, 6, 0.05, &est, &lo, &hi) == 0);
	EXPECT_NEAR(lo, exp(-.01), 1e-12);
	EXPECT_NEAR(hi, exp(.06), 1e-12);
}

TEST(stats_paired_sees_through_shared_load)
{
	/* each round's load hits both sides; y is 5% slower in every round */
	double load[10] = { 1, 2.5, 1.1, 3, 1, 1.4, 2.2, 1, 1.9, 1.2 };
	double x[10], y[10], p, est, lo, hi;
	for (int i = 0; i < 10; i++)
		x[i] = 100 * load[i], y[i] = 105 * load[i] * (1 + 0.001 * (i % 3));
	REQUIRE(stats_mann_whitney(x, 10, y, 10, &p, NULL) == 0);
	EXPECT(p > 0.3);                        /* unpaired: lost in the load */
	REQUIRE(stats_signed_rank(x, y, 10, &p, NULL) == 0);
	EXPECT_NEAR(p, 2.0 / 1024, 1e-12);     /* paired: every round slower */
	REQUIRE(stats_paired_ratio(x, y, 10, 0.05, &est, &lo, &hi) == 0);
	EXPECT(lo > 1.04 && hi < 1.06 && est > 1.049 && est < 1.053);
}

TEST(stats_signed_rank_normal_approximation_is_close)
{
	/* 70 pairs (beyond the exact limit), alternating signs with a drift */
	double x[70], y[70], p;
	for (int i = 0; i < 70; i++)
		x[i] = 100, y[i] = 100 * exp((i % 2 ? 1 : -1) * 0.001 * (i + 1) + 0.0003);
	int exact = 1;
	REQUIRE(stats_signed_rank(x, y, 70, &p, &exact) == 0);
	EXPECT(!exact);
	EXPECT(p > 0 && p <= 1);
	/* all 70 slower: far below any alpha */
	for (int i = 0; i < 70; i++)
		y[i] = 101 + i;
	REQUIRE(stats_signed_rank(x, y, 70, &p, NULL) == 0);
	EXPECT(p < 1e-10);
}
