/*
 * stats.h - the statistics `bench compare` judges throughput with: the
 * Mann-Whitney U (Wilcoxon rank-sum) test and the Hodges-Lehmann estimate of
 * the ratio between two sets of timing samples, with its distribution-free
 * confidence interval.
 *
 * Why these: timed passes on a shared machine are not normal (a pass that
 * was preempted is far slower, never far faster), so a rank test, which
 * assumes nothing about the shape, is the honest one.  The test is exact
 * (the whole permutation distribution of the rank sum, ties as midranks)
 * for up to STATS_EXACT_MAX samples in all, which covers every practical
 * --runs; beyond that the normal approximation with tie and continuity
 * corrections is used.  The effect is estimated on the log scale (the
 * median of all pairwise log ratios), so it reads as a ratio (1.10 = 10%
 * slower) and its interval comes from the same U distribution as the test:
 * without ties, the interval at level 1 - alpha excludes 1 exactly when the
 * two-sided p is below alpha.
 *
 * With n and m samples the smallest two-sided p there is, is 2 / C(n+m, n):
 * 3 vs 3 runs can never go below 0.1, 4 vs 4 reach 0.029, 5 vs 5 0.0079.
 * stats_min_p() says it, so a caller can refuse to judge rather than pass
 * everything silently.
 *
 * No allocation beyond malloc of scratch; returns -1 only on bad arguments
 * or out of memory.
 */
#ifndef HEAPLAB_STATS_H
#define HEAPLAB_STATS_H

#include <stddef.h>

#define STATS_EXACT_MAX 60   /* samples in all up to which p is exact */

/* Median of n > 0 values (not modified). */
double stats_median(const double *x, size_t n);

/*
 * Two-sided p of the Mann-Whitney U test that x and y come from the same
 * distribution.  *exact (may be NULL) says whether p is exact.
 * Returns 0, or -1 when n or m is 0 or memory runs out.
 */
int stats_mann_whitney(const double *x, size_t n, const double *y, size_t m, double *p,
                       int *exact);

/* Smallest two-sided p the test can give with n and m untied samples. */
double stats_min_p(size_t n, size_t m);

/*
 * Hodges-Lehmann estimate of y / x for positive samples: exp(median of
 * log y_j - log x_i over all pairs), with the distribution-free interval at
 * confidence 1 - alpha (from the order statistics of those pairwise
 * differences).  When n and m are too small for that confidence the interval
 * is unbounded: *lo = 0 and *hi = INFINITY.  Returns 0, or -1 when a sample
 * is not positive, n or m is 0, or memory runs out.
 */
int stats_ratio(const double *x, size_t n, const double *y, size_t m, double alpha,
                double *estimate, double *lo, double *hi);

/*
 * Paired samples (x[i] and y[i] measured together, e.g. the i-th round of an
 * interleaved suite): the Wilcoxon signed-rank test on the log ratios
 * d_i = log y[i] - log x[i].  Zero differences are dropped (Wilcoxon's
 * rule), ties among |d_i| get midranks; p is exact (every sign assignment)
 * for up to STATS_EXACT_MAX non-zero differences, normal with tie and
 * continuity corrections beyond.  p is 1 when every d_i is 0.  n > 0 pairs
 * of positive finite samples.  *exact may be NULL.  Returns 0, or -1 on bad
 * arguments or out of memory.
 */
int stats_signed_rank(const double *x, const double *y, size_t n, double *p, int *exact);

/* Smallest two-sided p the signed-rank test can give with n pairs: 2 / 2^n. */
double stats_paired_min_p(size_t n);

/*
 * The paired ratio y / x: exp(Hodges-Lehmann estimate of the log ratios, the
 * median of the Walsh averages (d_i + d_j) / 2, i <= j), with the interval at
 * confidence 1 - alpha from the order statistics of those averages (the
 * signed-rank distribution without ties).  Unbounded (*lo = 0, *hi =
 * INFINITY) when n is too small for that confidence (n < 6 at alpha 0.05).
 * Returns 0, or -1 on bad arguments or out of memory.
 */
int stats_paired_ratio(const double *x, const double *y, size_t n, double alpha,
                       double *estimate, double *lo, double *hi);

#endif
