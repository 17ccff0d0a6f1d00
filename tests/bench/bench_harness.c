/*
 * bench_harness.c - how much of a measurement the harness itself costs.
 *
 *   bench-harness load   FILE [REPS]        trace_load and trace_parse speed, MB/s
 *   bench-harness replay FILE [REPS]        the timed replay loop vs the floor, ns/op
 *   bench-harness check  FILE ALLOC [REPS]  checked pass time / timed pass time
 *   bench-harness memory FILE               bytes per op of the decoded trace
 *
 * Each prints rows of the table scripts/bench_harness.sh assembles.  The
 * machine is shared, so every figure is the median of REPS repetitions
 * (min and max follow in brackets), next to the wall-clock figure.  CPU
 * time counts user + system (the read() and page faults are part of
 * loading) and is what other jobs on the machine disturb least.  Replay CPU
 * time covers a whole pass (replay_timed, or the floor with the same
 * set-up: a fresh heap, init, clearing the pointers), whose set-up is a few
 * microseconds, under 0.01 ns per op of a multi-million-op trace; the wall
 * figure is the loop alone, as the harness reports it.
 *
 * The replay floor is the least a replay can do: the same decoded ops, a
 * switch on the kind, block pointers in a flat array, and the same calls
 * through the same function pointers into the same trivial allocator
 * (trivial.c), with nothing else (no failure or skip handling, no writes
 * into the blocks).  The harness's figure is replay_timed's own loop time
 * on the same trace with --touch none; a third measurement, with --touch
 * pages (the default), gives what touching the blocks adds, the same for
 * every allocator.
 */
#define _GNU_SOURCE
#include "harness/core/bulk.h"
#include "harness/replay/cell.h"
#include "harness/core/trace.h"
#include "tests/bench/trivial.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPS_MAX 101

struct samples {
	double   v[REPS_MAX];  /* one per repetition */
	unsigned n;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median (mean of the middle two for an even count), min and max. */
static void summary(const struct samples *s, double *med, double *lo, double *hi)
{
	double v[REPS_MAX];
	memcpy(v, s->v, s->n * sizeof *v);
	qsort(v, s->n, sizeof *v, cmp_double);
	*med = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	*lo = v[0];
	*hi = v[s->n - 1];
}

static void add(struct samples *s, double x)
{
	if (s->n < REPS_MAX)
		s->v[s->n++] = x;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench-harness: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void load_or_die(const char *path, struct trace *t)
{
	struct trace_error err;
	if (trace_load(path, t, &err) != TRACE_OK)
		die("%s", err.message);
}

static unsigned reps_arg(const char *s, unsigned dflt)
{
	if (!s)
		return dflt;
	char *end;
	unsigned long n = strtoul(s, &end, 10);
	if (*end || n == 0 || n > REPS_MAX)
		die("REPS must be 1..101, not \"%s\"", s);
	return (unsigned)n;
}

/* "%-34s %-18s " then the figure: one row of the table. */
static void row(const char *what, const char *trace)
{
	printf("%-36s %-16s ", what, trace);
}

/* ---- load ---- */

static char *read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		die("cannot read %s", path);
	char *buf = bulk_alloc((size_t)st.st_size + 1);
	size_t n = 0;
	while (buf && n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k <= 0)
			die("cannot read %s", path);
		n += (size_t)k;
	}
	close(fd);
	if (!buf)
		die("no memory for %s", path);
	*len = n;
	return buf;
}

static void print_rate(const char *what, const char *name, const struct samples *cpu,
                       const struct samples *wall)
{
	double med, lo, hi, wmed, wlo, whi;
	summary(cpu, &med, &lo, &hi);
	summary(wall, &wmed, &wlo, &whi);
	row(what, name);
	printf("%7.1f MB/s CPU (%.1f-%.1f); wall %.1f MB/s (%.1f-%.1f)\n",
	       med, lo, hi, wmed, wlo, whi);
}

static int cmd_load(const char *path, unsigned reps)
{
	struct samples load_cpu = {0}, load_wall = {0}, parse_cpu = {0}, parse_wall = {0};
	size_t len;
	char *data = read_whole(path, &len);
	double mb = (double)len / 1e6;

	for (unsigned k = 0; k < reps; k++) {
		struct trace t;
		struct trace_error err;
		uint64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC);
		load_or_die(path, &t);
		uint64_t c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w1 = clock_ns(CLOCK_MONOTONIC);
		trace_free(&t);
		add(&load_cpu, mb / ((double)(c1 - c0) / 1e9));
		add(&load_wall, mb / ((double)(w1 - w0) / 1e9));

		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC);
		if (trace_parse(path, data, len, &t, &err) != TRACE_OK)
			die("%s", err.message);
		c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w1 = clock_ns(CLOCK_MONOTONIC);
		trace_free(&t);
		add(&parse_cpu, mb / ((double)(c1 - c0) / 1e9));
		add(&parse_wall, mb / ((double)(w1 - w0) / 1e9));
	}
	char name[64];
	snprintf(name, sizeof name, "%s", base_name(path));
	print_rate("load: trace_load (file)", name, &load_cpu, &load_wall);
	print_rate("load: trace_parse (in memory)", name, &parse_cpu, &parse_wall);
	bulk_free(data, len + 1);
	return 0;
}

/* ---- replay ---- */

/* The floor: one pass of the least loop that replays t, on a fresh heap. */
static uint64_t floor_pass(const struct allocator *a, const struct trace *t, void **ptrs)
{
	struct heap heap;
	if (heap_open(&heap, 0, 0) != 0)
		die("%s", "cannot reserve a heap");
	void *self = a->init(&heap);
	if (!self)
		die("%s", "trivial init failed");
	memset(ptrs, 0, (size_t)t->nslots * sizeof *ptrs);

	void *(*do_malloc)(void *, size_t) = a->malloc;
	void *(*do_calloc)(void *, size_t, size_t) = a->calloc;
	void *(*do_realloc)(void *, void *, size_t) = a->realloc;
	void *(*do_memalign)(void *, size_t, size_t) = a->memalign;
	void (*do_free)(void *, void *) = a->free;
	const struct op *op = t->ops, *end = t->ops + t->nops;
	const uint64_t *nmemb = t->calloc_nmemb;

	uint64_t start = clock_ns(CLOCK_MONOTONIC);
	for (; op < end; op++) {
		void **slot = &ptrs[op->slot];
		switch (op->kind) {
		case OP_MALLOC:
			*slot = do_malloc(self, op->size);
			break;
		case OP_CALLOC:
			*slot = do_calloc(self, *nmemb++, op->size);
			break;
		case OP_MEMALIGN:
			*slot = do_memalign(self, (size_t)1 << op->align_log2, op->size);
			break;
		case OP_REALLOC:
			*slot = do_realloc(self, *slot, op->size);
			break;
		case OP_FREE:
			do_free(self, *slot);
			break;
		}
	}
	uint64_t ns = clock_ns(CLOCK_MONOTONIC) - start;
	heap_close(&heap);
	return ns;
}

static int cmd_replay(const char *path, unsigned reps)
{
	struct trace t;
	load_or_die(path, &t);
	size_t bytes = replay_slots_bytes(&t);
	void **ptrs = bulk_alloc(bytes);
	if (!ptrs)
		die("%s", "no memory for the block pointers");
	struct cell_options opt = { .runs = 1, .touch = TOUCH_NONE };
	struct cell_options touching = { .runs = 1, .touch = TOUCH_PAGES };
	struct samples harness = {0}, floor = {0}, diff = {0};
	struct samples harness_wall = {0}, floor_wall = {0}, touch = {0}, touch_diff = {0};
	double n = (double)t.nops;

	/* one warm-up of each, then alternate so drift hits both alike */
	for (unsigned k = 0; k <= reps; k++) {
		struct memory_figures m;
		struct pass_figures f = { 0 };
		uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		int err = replay_timed(&bench_trivial, &t, &opt, ptrs, &f, &m);
		uint64_t ns = f.wall_ns;
		uint64_t c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (err)
			die("%s", "replay_timed failed");
		uint64_t fns = floor_pass(&bench_trivial, &t, ptrs);
		uint64_t c2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (replay_timed(&bench_trivial, &t, &touching, ptrs, &f, &m))
			die("%s", "replay_timed failed");
		uint64_t c3 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (k == 0)
			continue;
		add(&touch, (double)(c3 - c2) / n);
		add(&touch_diff, ((double)(c3 - c2) - (double)(c1 - c0)) / n);
		add(&harness, (double)(c1 - c0) / n);
		add(&floor, (double)(c2 - c1) / n);
		add(&diff, ((double)(c1 - c0) - (double)(c2 - c1)) / n);
		add(&harness_wall, (double)ns / n);
		add(&floor_wall, (double)fns / n);
	}
	double med, lo, hi, wmed, wlo, whi;
	const char *name = base_name(path);
	summary(&harness, &med, &lo, &hi);
	summary(&harness_wall, &wmed, &wlo, &whi);
	row("replay: harness (replay_timed)", name);
	printf("%7.2f ns/op CPU (%.2f-%.2f); loop wall %.2f (%.2f-%.2f)\n",
	       med, lo, hi, wmed, wlo, whi);
	summary(&floor, &med, &lo, &hi);
	summary(&floor_wall, &wmed, &wlo, &whi);
	row("replay: floor (minimal loop)", name);
	printf("%7.2f ns/op CPU (%.2f-%.2f); loop wall %.2f (%.2f-%.2f)\n",
	       med, lo, hi, wmed, wlo, whi);
	summary(&diff, &med, &lo, &hi);
	row("replay: harness - floor", name);
	printf("%7.2f ns/op CPU (%.2f-%.2f), paired per repetition; target <= 2\n",
	       med, lo, hi);
	summary(&touch, &med, &lo, &hi);
	row("replay: harness, touch pages", name);
	printf("%7.2f ns/op CPU (%.2f-%.2f)\n", med, lo, hi);
	summary(&touch_diff, &med, &lo, &hi);
	row("replay: touch pages - touch none", name);
	printf("%7.2f ns/op CPU (%.2f-%.2f), paired per repetition\n", med, lo, hi);
	bulk_free(ptrs, bytes);
	trace_free(&t);
	return 0;
}

/* ---- check ---- */

static int cmd_check(const char *path, const char *alloc, unsigned reps)
{
	const struct allocator *a = allocator_find(alloc);
	if (!a)
		die("no allocator %s", alloc);
	struct trace t;
	load_or_die(path, &t);
	static struct cell_result r;
	struct cell_options opt = { .runs = 1 };
	struct samples checked = {0}, timed = {0}, checked_cpu = {0}, timed_cpu = {0};

	size_t bytes = replay_slots_bytes(&t);
	void **ptrs = bulk_alloc(bytes);
	if (!ptrs)
		die("%s", "no memory for the block pointers");
	for (unsigned k = 0; k < reps; k++) {
		memset(&r, 0, sizeof r);
		uint64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC);
		if (replay_checked(a, &t, &opt, &r) != CELL_OK)
			die("checked pass failed: %s", r.message);
		uint64_t c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w1 = clock_ns(CLOCK_MONOTONIC);
		add(&checked, (double)(w1 - w0) / 1e9);
		add(&checked_cpu, (double)(c1 - c0) / 1e9);

		struct memory_figures m;
		struct pass_figures f = { 0 };
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		if (replay_timed(a, &t, &opt, ptrs, &f, &m))
			die("%s", "timed pass failed");
		c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		add(&timed, (double)f.wall_ns / 1e9);
		add(&timed_cpu, (double)(c1 - c0) / 1e9);
	}
	double cmed, clo, chi, tmed, tlo, thi, ccpu, tcpu, x, y;
	summary(&checked, &cmed, &clo, &chi);
	summary(&timed, &tmed, &tlo, &thi);
	summary(&checked_cpu, &ccpu, &x, &y);
	summary(&timed_cpu, &tcpu, &x, &y);
	char what[64];
	snprintf(what, sizeof what, "check: checked / timed, %s", a->name);
	row(what, base_name(path));
	printf("%7.1fx CPU (checked pass %.3f s, timed pass %.3f s); wall %.1fx "
	       "(checked %.3f s (%.3f-%.3f) / timed loop %.3f s (%.3f-%.3f)); target <= 10\n",
	       ccpu / tcpu, ccpu, tcpu, cmed / tmed, cmed, clo, chi, tmed, tlo, thi);
	bulk_free(ptrs, bytes);
	trace_free(&t);
	return 0;
}

/* ---- memory ---- */

static int cmd_memory(const char *path)
{
	struct trace t;
	load_or_die(path, &t);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double n = (double)t.nops;
	/* what the decoded trace keeps for the whole session */
	double ops = 16.0 * n, line = 4.0 * n, nmemb = 8.0 * (double)t.ncalloc;
	double ids = 4.0 * (double)t.nslots;
	double kept = ops + line + nmemb + ids;
	/* and what a pass adds on top, one pass at a time */
	double checked = 32.0 * ((double)t.nslots + 1), timed = 8.0 * ((double)t.nslots + 1);
	double peak = kept + (checked > timed ? checked : timed);
	const char *name = base_name(path);

	row("memory: decoded trace", name);
	printf("%7.2f B/op (ops 16 + line 4 + calloc nmemb %.2f + slot ids %.2f; "
	       "%zu ops, %u slots)\n", kept / n, nmemb / n, ids / n, t.nops, t.nslots);
	row("memory: peak in a replay", name);
	printf("%7.2f B/op (+ checked-pass index 32 B/slot = %.2f; timed ptrs 8 B/slot); "
	       "%.0fM ops in 4 GiB\n", peak / n, checked / n, 4294967296.0 / (peak / n) / 1e6);
	row("memory: peak RSS after trace_load", name);
	printf("%7.2f B/op (whole process, %.1f MiB; file %.2f B/op)\n",
	       (double)ru.ru_maxrss * 1024.0 / n, (double)ru.ru_maxrss / 1024.0,
	       (double)t.file_bytes / n);
	trace_free(&t);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench-harness load FILE [REPS]\n"
	        "       bench-harness replay FILE [REPS]\n"
	        "       bench-harness check FILE ALLOC [REPS]\n"
	        "       bench-harness memory FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "load") && argc <= 4)
		return cmd_load(argv[2], reps_arg(argv[3], 7));
	if (!strcmp(argv[1], "replay") && argc <= 4)
		return cmd_replay(argv[2], reps_arg(argv[3], 11));
	if (!strcmp(argv[1], "check") && argc >= 4 && argc <= 5)
		return cmd_check(argv[2], argv[3], reps_arg(argv[4], 3));
	if (!strcmp(argv[1], "memory") && argc == 3)
		return cmd_memory(argv[2]);
	usage();
	return 2;
}
