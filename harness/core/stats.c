/* stats.c - Mann-Whitney U and the Hodges-Lehmann ratio (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double stats_median(const double *x, size_t n)
{
	double *s = malloc(n * sizeof *s);
	if (!s || !n) {
		free(s);
		return NAN;
	}
	memcpy(s, x, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_double);
	double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/*
 * The permutation distribution of the rank sum of m items drawn from N whose
 * doubled (mid)ranks are r2[]: dist[s] = number of m-subsets whose doubled
 * ranks sum to s, for s in [0, *smax].  Doubling keeps midranks whole.
 */
static double *rank_sum_distribution(const int *r2, size_t N, size_t m, int *smax)
{
	int total = 0;
	for (size_t i = 0; i < N; i++)
		total += r2[i];
	size_t width = (size_t)total + 1;
	double *cnt = calloc((m + 1) * width, sizeof *cnt);   /* cnt[k][s] */
	if (!cnt)
		return NULL;
	cnt[0] = 1;
	for (size_t i = 0; i < N; i++) {
		size_t kmax = i + 1 < m ? i + 1 : m;
		for (size_t k = kmax; k >= 1; k--)
			for (size_t s = (size_t)r2[i]; s < width; s++)
				cnt[k * width + s] += cnt[(k - 1) * width + s - (size_t)r2[i]];
	}
	double *dist = malloc(width * sizeof *dist);
	if (dist)
		memcpy(dist, cnt + m * width, width * sizeof *dist);
	free(cnt);
	*smax = total;
	return dist;
}

struct tagged {
	double v;
	int    from_y;
};

static int cmp_tagged(const void *a, const void *b)
{
	return cmp_double(&((const struct tagged *)a)->v, &((const struct tagged *)b)->v);
}

/*
 * The two-sided exact p from the distribution of a doubled rank statistic
 * (dist[s]: how many arrangements give s, for s in 0..smax): the share of
 * arrangements at least `dev` from the mean `mean2`.  Frees dist.
 */
static double exact_p(double *dist, int smax, double mean2, double dev)
{
	double all = 0, extreme = 0;
	for (int s = 0; s <= smax; s++) {
		all += dist[s];
		/* the 1e-9 keeps a tie in distance (exact in doubled ranks) extreme */
		if (fabs((double)s - mean2) >= dev - 1e-9)
			extreme += dist[s];
	}
	free(dist);
	return extreme / all;
}

int stats_mann_whitney(const double *x, size_t n, const double *y, size_t m, double *p,
                       int *exact)
{
	size_t N = n + m;
	if (!n || !m)
		return -1;
	struct tagged *t = malloc(N * sizeof *t);
	int *r2 = malloc(N * sizeof *r2);
	if (!t || !r2) {
		free(t);
		free(r2);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		t[i] = (struct tagged){ x[i], 0 };
	for (size_t j = 0; j < m; j++)
		t[n + j] = (struct tagged){ y[j], 1 };
	qsort(t, N, sizeof *t, cmp_tagged);

	/* doubled midranks; w2 = doubled rank sum of y; ties = sum of t^3 - t */
	long w2 = 0;
	double ties = 0;
	for (size_t i = 0; i < N;) {
		size_t j = i;
		while (j + 1 < N && t[j + 1].v == t[i].v)
			j++;
		int mid2 = (int)(i + 1 + j + 1);     /* 2 x the mean of ranks i+1..j+1 */
		double g = (double)(j - i + 1);
		ties += g * g * g - g;
		for (size_t k = i; k <= j; k++) {
			r2[k] = mid2;
			if (t[k].from_y)
				w2 += mid2;
		}
		i = j + 1;
	}
	double mean2 = (double)m * (double)(N + 1);   /* E[w2] */
	double dev = fabs((double)w2 - mean2);

	if (N <= STATS_EXACT_MAX) {
		int smax;
		double *dist = rank_sum_distribution(r2, N, m, &smax);
		if (!dist) {
			free(t);
			free(r2);
			return -1;
		}
		*p = exact_p(dist, smax, mean2, dev);
		if (exact)
			*exact = 1;
	} else {
		double u = (double)w2 / 2 - (double)m * (double)(m + 1) / 2;
		double mu = (double)n * (double)m / 2;
		double var = (double)n * (double)m / 12 *
		             ((double)(N + 1) - ties / ((double)N * (double)(N - 1)));
		double z = var > 0 ? fmax(fabs(u - mu) - 0.5, 0) / sqrt(var) : 0;
		*p = erfc(z / sqrt(2));
		if (exact)
			*exact = 0;
	}
	if (*p > 1)
		*p = 1;
	free(t);
	free(r2);
	return 0;
}

double stats_min_p(size_t n, size_t m)
{
	/* 2 / C(n+m, n), in logs so that large n do not overflow */
	double lc = lgamma((double)(n + m + 1)) - lgamma((double)(n + 1)) - lgamma((double)(m + 1));
	double p = 2 * exp(-lc);
	return p > 1 ? 1 : p;
}

/* z with P(Z > z) = q for a standard normal Z, 0 < q < 0.5 (bisection on erfc). */
static double normal_upper_quantile(double q)
{
	double lo = 0, hi = 40;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;
		if (erfc(mid / sqrt(2)) / 2 > q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/*
 * The number c of smallest (and of largest) pairwise differences that the
 * interval at confidence 1 - alpha leaves out: the largest c with
 * P(U <= c - 1) <= alpha / 2 for U the Mann-Whitney statistic without ties.
 * 0 when even U = 0 is too likely (too few samples).
 */
static long interval_depth(size_t n, size_t m, double alpha)
{
	size_t N = n + m;
	if (N <= STATS_EXACT_MAX) {
		int *r2 = malloc(N * sizeof *r2);
		if (!r2)
			return -1;
		for (size_t i = 0; i < N; i++)
			r2[i] = 2 * (int)(i + 1);
		int smax;
		double *dist = rank_sum_distribution(r2, N, m, &smax);
		free(r2);
		if (!dist)
			return -1;
		double all = 0;
		for (int s = 0; s <= smax; s++)
			all += dist[s];
		/* U = w2/2 - m(m+1)/2: the smallest doubled sum is m(m+1) */
		long c = 0;
		double below = 0;   /* P(U <= c - 1) */
		int s0 = (int)(m * (m + 1));
		for (int s = s0; s <= smax; s += 2) {
			below += dist[s] / all;
			if (below > alpha / 2)
				break;
			c++;
		}
		free(dist);
		return c;
	}
	double nm = (double)n * (double)m;
	double z = normal_upper_quantile(alpha / 2);
	double c = floor(nm / 2 - z * sqrt(nm * (double)(N + 1) / 12));
	return c > 0 ? (long)c : 0;
}

int stats_ratio(const double *x, size_t n, const double *y, size_t m, double alpha,
                double *estimate, double *lo, double *hi)
{
	if (!n || !m || !(alpha > 0 && alpha < 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(x[i] > 0) || !isfinite(x[i]))
			return -1;
	for (size_t j = 0; j < m; j++)
		if (!(y[j] > 0) || !isfinite(y[j]))
			return -1;
	size_t nm = n * m;
	double *d = malloc(nm * sizeof *d);
	if (!d)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			d[i * m + j] = log(y[j]) - log(x[i]);
	qsort(d, nm, sizeof *d, cmp_double);
	*estimate = exp(nm % 2 ? d[nm / 2] : (d[nm / 2 - 1] + d[nm / 2]) / 2);
	long c = interval_depth(n, m, alpha);
	if (c < 0) {
		free(d);
		return -1;
	}
	if (c == 0 || (size_t)c > nm / 2) {
		*lo = 0;
		*hi = INFINITY;
	} else {
		*lo = exp(d[c - 1]);
		*hi = exp(d[nm - (size_t)c]);
	}
	free(d);
	return 0;
}

/* ---- paired samples ---- */

/*
 * The distribution of the signed-rank sum over all 2^n sign assignments of
 * items whose doubled (mid)ranks are r2[]: dist[s] = the number of subsets
 * whose doubled ranks sum to s, s in [0, *smax].
 */
static double *signed_rank_distribution(const int *r2, size_t n, int *smax)
{
	int total = 0;
	for (size_t i = 0; i < n; i++)
		total += r2[i];
	double *dist = calloc((size_t)total + 1, sizeof *dist);
	if (!dist)
		return NULL;
	dist[0] = 1;
	int reach = 0;
	for (size_t i = 0; i < n; i++) {
		reach += r2[i];
		for (int s = reach; s >= r2[i]; s--)
			dist[s] += dist[s - r2[i]];
	}
	*smax = total;
	return dist;
}

static int paired_logs(const double *x, const double *y, size_t n, double *d)
{
	for (size_t i = 0; i < n; i++) {
		if (!(x[i] > 0) || !isfinite(x[i]) || !(y[i] > 0) || !isfinite(y[i]))
			return -1;
		d[i] = log(y[i]) - log(x[i]);
	}
	return 0;
}

static int cmp_abs(const void *a, const void *b)
{
	double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
	return (x > y) - (x < y);
}

int stats_signed_rank(const double *x, const double *y, size_t n, double *p, int *exact)
{
	if (!n || !p)
		return -1;
	double *d = malloc(n * sizeof *d);
	int *r2 = malloc(n * sizeof *r2);
	if (!d || !r2 || paired_logs(x, y, n, d)) {
		free(d);
		free(r2);
		return -1;
	}
	size_t k = 0;                       /* the non-zero differences */
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0)
			d[k++] = d[i];
	if (exact)
		*exact = 1;
	if (k == 0) {
		*p = 1;
		free(d);
		free(r2);
		return 0;
	}
	qsort(d, k, sizeof *d, cmp_abs);
	long w2 = 0;                        /* doubled rank sum of the positive ones */
	double ties = 0;
	for (size_t i = 0; i < k;) {
		size_t j = i;
		while (j + 1 < k && fabs(d[j + 1]) == fabs(d[i]))
			j++;
		int mid2 = (int)(i + 1 + j + 1);
		double g = (double)(j - i + 1);
		ties += g * g * g - g;
		for (size_t q = i; q <= j; q++) {
			r2[q] = mid2;
			if (d[q] > 0)
				w2 += mid2;
		}
		i = j + 1;
	}
	double mean2 = (double)k * (double)(k + 1) / 2;   /* E[w2] */
	double dev = fabs((double)w2 - mean2);
	if (k <= STATS_EXACT_MAX) {
		int smax;
		double *dist = signed_rank_distribution(r2, k, &smax);
		if (!dist) {
			free(d);
			free(r2);
			return -1;
		}
		*p = exact_p(dist, smax, mean2, dev);
	} else {
		double kk = (double)k;
		double var = kk * (kk + 1) * (2 * kk + 1) / 24 - ties / 48;
		double z = var > 0 ? fmax(dev / 2 - 0.5, 0) / sqrt(var) : 0;
		*p = erfc(z / sqrt(2));
		if (exact)
			*exact = 0;
	}
	if (*p > 1)
		*p = 1;
	free(d);
	free(r2);
	return 0;
}

double stats_paired_min_p(size_t n)
{
	double p = 2 * exp2(-(double)n);
	return p > 1 ? 1 : p;
}

/*
 * The number c of smallest (and largest) Walsh averages the interval at
 * confidence 1 - alpha leaves out: the largest c with P(W <= c - 1) <=
 * alpha / 2, W the signed-rank statistic of n untied pairs.
 */
static long paired_depth(size_t n, double alpha)
{
	if (n <= STATS_EXACT_MAX) {
		int *r2 = malloc(n * sizeof *r2);
		if (!r2)
			return -1;
		for (size_t i = 0; i < n; i++)
			r2[i] = 2 * (int)(i + 1);
		int smax;
		double *dist = signed_rank_distribution(r2, n, &smax);
		free(r2);
		if (!dist)
			return -1;
		double all = exp2((double)n), below = 0;
		long c = 0;
		for (int s = 0; s <= smax; s += 2) {
			below += dist[s] / all;
			if (below > alpha / 2)
				break;
			c++;
		}
		free(dist);
		return c;
	}
	double nn = (double)n;
	double z = normal_upper_quantile(alpha / 2);
	double c = floor(nn * (nn + 1) / 4 - z * sqrt(nn * (nn + 1) * (2 * nn + 1) / 24));
	return c > 0 ? (long)c : 0;
}

int stats_paired_ratio(const double *x, const double *y, size_t n, double alpha,
                       double *estimate, double *lo, double *hi)
{
	if (!n || !(alpha > 0 && alpha < 1))
		return -1;
	size_t M = n * (n + 1) / 2;
	double *d = malloc(n * sizeof *d);
	double *w = malloc(M * sizeof *w);
	if (!d || !w || paired_logs(x, y, n, d)) {
		free(d);
		free(w);
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++)
			w[k++] = (d[i] + d[j]) / 2;
	qsort(w, M, sizeof *w, cmp_double);
	*estimate = exp(M % 2 ? w[M / 2] : (w[M / 2 - 1] + w[M / 2]) / 2);
	long c = paired_depth(n, alpha);
	int rc = 0;
	if (c < 0) {
		rc = -1;
	} else if (c == 0 || (size_t)c > M / 2) {
		*lo = 0;
		*hi = INFINITY;
	} else {
		*lo = exp(w[c - 1]);
		*hi = exp(w[M - (size_t)c]);
	}
	free(d);
	free(w);
	return rc;
}
