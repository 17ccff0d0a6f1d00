/*
 * test_threads.c - `t TID` lines in the trace reader, the thread plan of the
 * --threads replay (waits, publishes, replay slots), and the threaded replay
 * itself: orderings kept, checks still on, crashes contained.
 */
#define _GNU_SOURCE
#include "test.h"
#include "harness/core/bulk.h"
#include "harness/core/gen.h"
#include "harness/replay/threaded.h"
#include "harness/core/trace.h"
#include "tests/allocators/broken.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum trace_status parse(const char *text, struct trace *t, struct trace_error *err)
{
	return trace_parse("t.trace", text, strlen(text), t, err);
}

static struct trace parsed(const char *text)
{
	struct trace t;
	struct trace_error err;
	if (parse(text, &t, &err) != TRACE_OK) {
		test_fail(__FILE__, __LINE__, "trace did not parse: %s", err.message);
		exit(1);
	}
	return t;
}

#define EXPECT_BAD(text, words)                                                   \
	do {                                                                      \
		struct trace t_;                                                  \
		struct trace_error e_;                                            \
		EXPECT_EQ(parse((text), &t_, &e_), TRACE_EINPUT);                 \
		EXPECT_STR_CONTAINS(e_.message, (words));                         \
		EXPECT(t_.ops == NULL && t_.nops == 0);                           \
	} while (0)

/* ---- the format ---------------------------------------------------------- */

TEST(threads_trace_without_t_lines_is_one_thread_zero)
{
	struct trace t = parsed("a 1 10\nf 1\n");
	EXPECT_EQ(t.nthreads, 1);
	EXPECT(t.thread_tid == NULL);
	EXPECT_EQ(t.ops[0].thread, 0);
	EXPECT_EQ(t.ops[1].reserved, 0);
	trace_free(&t);
}

TEST(threads_t_lines_give_dense_indexes_in_first_op_order)
{
	struct trace t = parsed("a 1 10\nt 7\na 2 20\nt 3\nf 1\nt 7\nf 2\nt 0\na 3 5\n");
	EXPECT_EQ(t.nops, 5);
	EXPECT_EQ(t.nthreads, 3);
	REQUIRE(t.thread_tid != NULL);
	EXPECT_EQ(t.thread_tid[0], 0);
	EXPECT_EQ(t.thread_tid[1], 7);
	EXPECT_EQ(t.thread_tid[2], 3);
	EXPECT_EQ(t.ops[0].thread, 0);
	EXPECT_EQ(t.ops[1].thread, 1);
	EXPECT_EQ(t.ops[2].thread, 2);
	EXPECT_EQ(t.ops[3].thread, 1);
	EXPECT_EQ(t.ops[4].thread, 0);
	EXPECT_EQ(t.line[4], 9);   /* t lines count as lines */
	trace_free(&t);
}

TEST(threads_t_line_with_no_op_after_it_makes_no_thread)
{
	struct trace t = parsed("t 4\nt 9\na 1 10\nt 5\n");
	EXPECT_EQ(t.nthreads, 1);
	REQUIRE(t.thread_tid != NULL);
	EXPECT_EQ(t.thread_tid[0], 9);
	EXPECT_EQ(t.ops[0].thread, 0);
	trace_free(&t);
}

TEST(threads_only_tid_zero_named_is_like_no_t_line)
{
	struct trace t = parsed("t 0\na 1 10\nt 0\nf 1\n");
	EXPECT_EQ(t.nthreads, 1);
	EXPECT(t.thread_tid == NULL);
	trace_free(&t);
}

TEST(threads_largest_tid_is_accepted_with_comment_and_blanks)
{
	struct trace t = parsed("  t\t65535   # the last one\na 1 1\r\n");
	EXPECT_EQ(t.nthreads, 1);
	REQUIRE(t.thread_tid != NULL);
	EXPECT_EQ(t.thread_tid[0], 65535);
	trace_free(&t);
}

TEST(threads_bad_t_lines_are_errors_at_their_line)
{
	EXPECT_BAD("a 1 1\nt\n", "t.trace:2: missing TID (the form is \"t TID\")");
	EXPECT_BAD("t x\na 1 1\n", "t.trace:1: TID \"x\" is not a number");
	EXPECT_BAD("a 1 1\n\nt -1\n", "t.trace:3: TID \"-1\" is not a number");
	EXPECT_BAD("t 65536\na 1 1\n", "t.trace:1: TID 65536 is too large (TIDs must be below 65536)");
	EXPECT_BAD("t 99999999999999999999999\n", "t.trace:1: TID 99999999999999999999999 "
	           "overflows 64 bits");
	EXPECT_BAD("t 1 2\na 1 1\n", "t.trace:1: extra field \"2\" (the form is \"t TID\")");
	EXPECT_BAD("tt 1\na 1 1\n", "t.trace:1: unknown operation \"tt\"");
}

TEST(threads_t_lines_alone_are_no_operations)
{
	EXPECT_BAD("t 1\nt 2\n", "t.trace: no operations");
}

TEST(threads_rep_files_have_no_t_lines)
{
	EXPECT_BAD("0\n1\n1\n1\nt 1\na 0 8\n", "t.trace:5: unknown operation \"t\"");
}

TEST(threads_liveness_is_checked_across_threads_in_trace_order)
{
	EXPECT_BAD("t 1\na 1 8\nt 2\nf 1\nt 1\nf 1\n", "t.trace:6: double free of block 1");
}

/* ---- the plan ------------------------------------------------------------ */

TEST(threads_plan_waits_only_where_a_block_changes_threads)
{
	/* ops: 0 a1 (T0)  1 a2 (T0)  2 f1 (T1)  3 r2 (T0)  4 f2 (T0) */
	struct trace t = parsed("a 1 8\na 2 8\nt 1\nf 1\nt 0\nr 2 16\nf 2\n");
	struct thread_plan p;
	REQUIRE(thread_plan_build(&p, &t) == 0);
	EXPECT_EQ(p.nthreads, 2);
	EXPECT_EQ(p.waits, 1);
	EXPECT_EQ(p.sync[0], SYNC_PUBLISH | 0);
	EXPECT_EQ(p.sync[2], SYNC_WAIT | 1);
	EXPECT_EQ(p.sync[1], 0);
	EXPECT_EQ(p.sync[3], 1);
	EXPECT_EQ(p.sync[4], 2);
	/* thread 0 runs 0, 1, 3, 4; thread 1 runs 2 */
	EXPECT_EQ(p.first[1] - p.first[0], 4);
	EXPECT_EQ(p.order[p.first[0] + 2], 3);
	EXPECT_EQ(p.order[p.first[1]], 2);
	thread_plan_free(&p);
	trace_free(&t);
}

TEST(threads_plan_makes_a_reused_id_wait_for_the_other_threads_free)
{
	/* T0 frees ID 1, then T1 allocates ID 1 again: one slot, one block at a time */
	struct trace t = parsed("a 1 8\nf 1\nt 1\na 1 8\nf 1\n");
	struct thread_plan p;
	REQUIRE(thread_plan_build(&p, &t) == 0);
	EXPECT_EQ(t.nslots, 1);
	EXPECT_EQ(p.waits, 1);
	EXPECT_EQ(p.sync[1], SYNC_PUBLISH | 1);
	EXPECT_EQ(p.sync[2], SYNC_WAIT | 2);
	EXPECT_EQ(p.sync[3], 3);
	/* info counts frees and reallocs only: no block changed hands */
	EXPECT_EQ(trace_cross_thread_ops(&t), 0);
	thread_plan_free(&p);
	trace_free(&t);
}

TEST(threads_plan_keeps_each_threads_blocks_on_their_own_cache_lines)
{
	/* IDs 1 and 3 are thread 0's, 2 and 4 thread 1's: interleaved slots */
	struct trace t = parsed("a 1 8\nt 1\na 2 8\nt 0\na 3 8\nt 1\na 4 8\nf 2\nf 1\n");
	struct thread_plan p;
	REQUIRE(thread_plan_build(&p, &t) == 0);
	EXPECT_EQ(p.place[0], 0);
	EXPECT_EQ(p.place[2], 1);
	EXPECT(p.place[1] >= 8 + 2);         /* thread 1's group starts a line later */
	EXPECT_EQ(p.place[3], p.place[1] + 1);
	EXPECT_EQ(p.place[4], p.place[1]);   /* same block, same place */
	EXPECT_EQ(p.place[5], p.place[0]);   /* freed by thread 1, placed by its owner */
	EXPECT(p.nplaces > p.place[3]);
	thread_plan_free(&p);
	trace_free(&t);
}

TEST(threads_plan_keeps_calloc_nmemb_with_its_thread)
{
	struct trace t = parsed("c 1 3 8\nt 1\nc 2 5 8\nt 0\nc 3 7 8\n");
	struct thread_plan p;
	REQUIRE(thread_plan_build(&p, &t) == 0);
	EXPECT_EQ(p.nmemb[p.cfirst[0]], 3);
	EXPECT_EQ(p.nmemb[p.cfirst[0] + 1], 7);
	EXPECT_EQ(p.nmemb[p.cfirst[1]], 5);
	thread_plan_free(&p);
	trace_free(&t);
}

/* ---- the threaded replay --------------------------------------------------- */

static struct cell_result *threaded(const char *name, const struct trace *t, unsigned runs,
                                    uint64_t every)
{
	const struct allocator *a = broken_find(name);
	if (!a)
		a = allocator_find(name);
	if (!a) {
		test_fail(__FILE__, __LINE__, "no allocator %s", name);
		exit(1);
	}
	struct cell_options opt = { .runs = runs, .check_every = every, .threads = 1 };
	struct cell_result *r = bulk_alloc(sizeof *r);
	cell_run(a, t, &opt, r);
	return r;
}

/*
 * Thread 1 frees block 8 and reallocs block 9, which thread 0 allocates only
 * after 2000 other allocations: if either ran first, the checked pass would
 * stop with "block 8 (9) is not live".  Many runs, so an unlucky interleaving shows.
 */
TEST(threads_a_cross_thread_free_never_runs_before_its_allocation)
{
	char *text = malloc(1 << 16), *s = text;
	for (int i = 100; i < 2100; i++)
		s += sprintf(s, "a %d 24\n", i);
	s += sprintf(s, "a 9 40\na 8 40\nt 1\nf 8\nr 9 4000\nf 9\nt 0\n");
	for (int i = 100; i < 2100; i++)
		s += sprintf(s, "f %d\n", i);
	struct trace t = parsed(text);
	free(text);
	for (int run = 0; run < 40; run++) {
		struct cell_result *r = threaded("tlsf", &t, 1, 0);
		EXPECT_EQ(r->status, CELL_OK);
		if (r->status != CELL_OK)
			fprintf(stderr, "    run %d: %s\n", run, r->message);
		EXPECT_EQ(r->threads, 2);
		EXPECT_EQ(r->cross_thread_waits, 2);
		EXPECT_EQ(r->count[OP_FREE], 2002);
		bulk_free(r, sizeof *r);
	}
	trace_free(&t);
}

TEST(threads_replay_counts_and_figures_of_a_serialisable_trace)
{
	struct trace t = parsed("a 1 100\nt 1\na 2 200\nt 0\nf 1\nt 1\nf 2\n");
	struct cell_result *r = threaded("bump", &t, 3, 1);
	EXPECT_EQ(r->status, CELL_OK);
	EXPECT_EQ(r->threaded, 1);
	EXPECT_EQ(r->locked, 1);
	EXPECT_EQ(r->runs, 3);
	EXPECT_EQ(r->ops_replayed, 4);
	EXPECT_EQ(r->count[OP_MALLOC], 2);
	EXPECT_EQ(r->count[OP_FREE], 2);
	/* 300 in trace order; 200 when thread 0 frees block 1 before thread 1 starts */
	EXPECT(r->peak_live_bytes == 300 || r->peak_live_bytes == 200);
	EXPECT(r->self_checks >= 5);   /* every op (--check 1) and at the end */
	bulk_free(r, sizeof *r);
	trace_free(&t);
}

TEST(threads_checks_stay_on_overlap_is_caught)
{
	struct trace t = parsed("a 1 64\nt 1\na 2 64\nt 2\na 3 64\nt 3\na 4 64\n");
	struct cell_result *r = threaded("broken-overlap", &t, 1, 0);
	EXPECT_EQ(r->status, CELL_CHECK_FAILED);
	EXPECT_STR_CONTAINS(r->message, "which overlaps live block");
	EXPECT_EQ(r->runs, 0);
	bulk_free(r, sizeof *r);
	trace_free(&t);
}

TEST(threads_checks_stay_on_realloc_copy_is_verified)
{
	struct trace t = parsed("a 1 64\nt 1\nr 1 4096\n");
	struct cell_result *r = threaded("broken-realloc-drops", &t, 1, 0);
	EXPECT_EQ(r->status, CELL_CHECK_FAILED);
	EXPECT_STR_CONTAINS(r->message, "t.trace:3: op 1 (realloc of block 1 to 4096 bytes)");
	EXPECT_STR_CONTAINS(r->message, "did not keep the block's first 64 bytes");
	bulk_free(r, sizeof *r);
	trace_free(&t);
}

TEST(threads_crash_in_a_replay_thread_is_contained_and_named)
{
	struct trace t = parsed("a 1 64\nt 1\na 2 64\nf 1\nt 0\nf 2\n");
	struct cell_result *r = threaded("broken-crash", &t, 1, 0);
	EXPECT_EQ(r->status, CELL_CHECK_FAILED);
	EXPECT_STR_CONTAINS(r->message, "broken-crash crashed with SIGSEGV");
	EXPECT_STR_CONTAINS(r->message, "(malloc of 64 bytes for block");
	bulk_free(r, sizeof *r);
	trace_free(&t);
}

TEST(threads_self_check_failure_is_reported)
{
	struct trace t = parsed("a 1 64\nt 1\nf 1\n");
	struct cell_result *r = threaded("broken-selfcheck", &t, 1, 0);
	EXPECT_EQ(r->status, CELL_CHECK_FAILED);
	EXPECT_STR_CONTAINS(r->message, "at the end of the trace: broken-selfcheck self-check found");
	bulk_free(r, sizeof *r);
	trace_free(&t);
}

/* A single-threaded trace replays the same with or without --threads. */
TEST(threads_single_threaded_trace_gives_the_same_memory_figures)
{
	struct trace t = parsed("a 1 100\na 2 3000\nr 1 5000\nf 2\nc 3 4 40\nf 1\nf 3\n");
	struct cell_result *a = threaded("tlsf", &t, 2, 0);
	struct cell_options opt = { .runs = 2 };
	struct cell_result *b = bulk_alloc(sizeof *b);
	cell_run(allocator_find("tlsf"), &t, &opt, b);
	EXPECT_EQ(a->status, CELL_OK);
	EXPECT_EQ(b->status, CELL_OK);
	EXPECT_EQ(a->memory.peak_break, b->memory.peak_break);
	EXPECT_EQ(a->memory.final_break, b->memory.final_break);
	EXPECT_EQ(a->peak_live_bytes, b->peak_live_bytes);
	EXPECT_EQ(a->memory_identical, 1);
	EXPECT_EQ(b->threaded, 0);
	EXPECT_EQ(b->threads, 1);
	bulk_free(a, sizeof *a);
	bulk_free(b, sizeof *b);
	trace_free(&t);
}

/* ---- generated profiles ---------------------------------------------------- */

static struct trace generated(const char *profile, unsigned threads, uint64_t ops)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	if (!f || gen_write_threads(gen_find(profile), ops, 1, threads, "test", f) != 0) {
		test_fail(__FILE__, __LINE__, "cannot generate %s", profile);
		exit(1);
	}
	fclose(f);
	struct trace t;
	struct trace_error err;
	if (trace_parse(profile, data, len, &t, &err) != TRACE_OK) {
		test_fail(__FILE__, __LINE__, "%s", err.message);
		exit(1);
	}
	free(data);
	return t;
}

TEST(threads_mt_profiles_use_the_threads_asked_for)
{
	static const char *const names[] = { "mt-private", "mt-producer-consumer", "mt-cache" };
	for (int k = 0; k < 3; k++) {
		for (unsigned n = 1; n <= 8; n *= 2) {
			struct trace t = generated(names[k], n, 5000);
			EXPECT_EQ(t.nops, 5000);
			EXPECT_EQ(t.nthreads, n);
			trace_free(&t);
		}
	}
}

TEST(threads_mt_private_crosses_no_thread_and_the_others_do)
{
	struct trace t = generated("mt-private", 4, 5000);
	struct thread_plan p;
	EXPECT_EQ(trace_cross_thread_ops(&t), 0);
	REQUIRE(thread_plan_build(&p, &t) == 0);
	EXPECT_EQ(p.waits, 0);   /* not even through a reused ID */
	thread_plan_free(&p);
	trace_free(&t);
	t = generated("mt-producer-consumer", 4, 5000);
	EXPECT(trace_cross_thread_ops(&t) > 1000);
	trace_free(&t);
	t = generated("mt-cache", 4, 5000);
	EXPECT(trace_cross_thread_ops(&t) > 100);
	trace_free(&t);
}

TEST(threads_other_profiles_write_no_t_line)
{
	struct trace t = generated("web", 4, 2000);
	EXPECT_EQ(t.nthreads, 1);
	EXPECT(t.thread_tid == NULL);
	trace_free(&t);
	EXPECT_EQ(gen_write_threads(gen_find("mt-cache"), 10, 1, 0, "x", stdout), EINVAL);
	EXPECT_EQ(gen_write_threads(gen_find("mt-cache"), 10, 1, GEN_MAX_THREADS + 1, "x",
	                            stdout), EINVAL);
}

/* ---- every kind of broken allocator is still caught with --threads ---------- */

struct caught_case {
	const char *alloc;  /* tests/allocators/broken.c            */
	const char *trace;  /* thread 1 makes the op that shows it  */
	const char *words;  /* in the message                       */
};

static const struct caught_case caught_cases[] = {
	{ "broken-misaligned", "t 1\na 0 24\n", "8, not 16-byte aligned" },
	{ "broken-memalign", "t 1\nm 0 4096 24\n", ", not 4096-byte aligned" },
	{ "broken-outside", "t 1\na 0 24\n", "outside its heap" },
	{ "broken-past-break", "t 1\na 0 24\n", "whose 24 bytes run past the break at" },
	{ "broken-calloc-dirty", "t 1\nc 0 4 8\n", "whose byte 0 is not zero" },
	{ "broken-corrupt", "a 0 32\na 1 32\nt 1\nf 0\nr 1 64\n",
	  "before the realloc: payload of block 1" },
	{ "broken-overlap", "a 0 32\nt 1\na 1 32\n", "which overlaps live block" },
};

TEST(threads_every_broken_allocator_is_caught_under_threads)
{
	for (size_t k = 0; k < sizeof caught_cases / sizeof caught_cases[0]; k++) {
		const struct caught_case *c = &caught_cases[k];
		struct trace t = parsed(c->trace);
		struct cell_result *r = threaded(c->alloc, &t, 1, 0);
		EXPECT_EQ(r->status, CELL_CHECK_FAILED);
		EXPECT_STR_CONTAINS(r->message, c->words);
		EXPECT_EQ(r->runs, 0);
		bulk_free(r, sizeof *r);
		trace_free(&t);
	}
}

/* msg with every hexadecimal number (an address: heaps differ per pass) as 0x_. */
static void without_addresses(const char *msg, char *out, size_t len)
{
	size_t n = 0;
	while (*msg && n + 4 < len) {
		if (msg[0] == '0' && msg[1] == 'x') {
			memcpy(out + n, "0x_", 3);
			n += 3;
			for (msg += 2; isxdigit((unsigned char)*msg); msg++)
				;
		} else {
			out[n++] = *msg++;
		}
	}
	out[n] = '\0';
}

/* One checker serves both drivers: the same op tells the same story. */
TEST(threads_checker_tells_the_same_as_the_serial_replay)
{
	static const struct caught_case same[] = {
		{ "broken-misaligned", "t 1\na 0 24\n", "not 16-byte aligned (the alignment" },
		{ "broken-memalign", "t 1\nm 0 4096 24\n", ", not 4096-byte aligned" },
		{ "broken-outside", "t 1\na 0 24\n", "(every block must lie in memory taken" },
		{ "broken-past-break", "t 1\na 0 24\n", "whose 24 bytes run past the break at" },
		{ "broken-calloc-dirty", "t 1\nc 0 4 8\n", "whose byte 0 is not zero" },
		{ "broken-corrupt", "t 1\na 0 32\na 1 32\nf 0\nr 1 64\n",
		  "t.trace:5: op 3 (realloc of block 1 to 64 bytes): before the realloc: payload" },
		{ "broken-overlap", "t 1\na 0 32\na 1 32\n", "which overlaps live block 0" },
		{ "broken-selfcheck", "t 1\na 0 32\nf 0\n", "at the end of the trace: broken-selfcheck" },
	};
	for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
		const struct caught_case *c = &same[k];
		struct trace t = parsed(c->trace);
		struct cell_options opt = { .runs = 1 };
		struct cell_result *serial = bulk_alloc(sizeof *serial);
		cell_run(broken_find(c->alloc), &t, &opt, serial);
		struct cell_result *r = threaded(c->alloc, &t, 1, 0);
		char a[sizeof r->message], b[sizeof r->message];
		without_addresses(serial->message, a, sizeof a);
		without_addresses(r->message, b, sizeof b);
		EXPECT_EQ(r->status, CELL_CHECK_FAILED);
		EXPECT_EQ(serial->status, CELL_CHECK_FAILED);
		EXPECT_STR_CONTAINS(r->message, c->words);
		EXPECT(strcmp(a, b) == 0);
		if (strcmp(a, b))
			fprintf(stderr, "    serial:   %s\n    threaded: %s\n", a, b);
		EXPECT_EQ(r->violations, serial->violations);
		EXPECT_EQ(r->ops_replayed, serial->ops_replayed);
		bulk_free(serial, sizeof *serial);
		bulk_free(r, sizeof *r);
		trace_free(&t);
	}
}
