/*
 * test_replay.c - the checked pass catches each broken allocator with a
 * precise message; metrics on hand-computed traces; failure semantics;
 * memory figures identical across runs.
 */
#include "test.h"
#include "harness/replay/cell.h"
#include "tests/allocators/broken.h"

#include <stdlib.h>

extern const struct allocator alloc_bump;

/* bump's state struct (heap pointer + two counters) rounded to 16 bytes. */
#define BUMP_STATE 32

static struct trace parsed(const char *text)
{
	struct trace t;
	struct trace_error err;
	if (trace_parse("t.trace", text, strlen(text), &t, &err) != TRACE_OK) {
		test_fail(__FILE__, __LINE__, "trace did not parse: %s", err.message);
		exit(1);
	}
	return t;
}

/* The checked pass of allocator `name` on `text`, with --check `every`. */
static struct cell_result *checked(const char *name, const char *text, uint64_t every)
{
	const struct allocator *a = broken_find(name);
	if (!a)
		a = allocator_find(name);
	if (!a) {
		test_fail(__FILE__, __LINE__, "no allocator %s", name);
		exit(1);
	}
	struct trace t = parsed(text);
	struct cell_options opt = { .runs = 1, .check_every = every };
	struct cell_result *r = calloc(1, sizeof *r);
	replay_checked(a, &t, &opt, r);
	return r;
}

static struct cell_result *cell(const struct allocator *a, struct trace *t, size_t limit,
                                unsigned runs)
{
	struct cell_options opt = { .runs = runs, .heap_limit = limit };
	struct cell_result *r = calloc(1, sizeof *r);
	cell_run(a, t, &opt, r);
	return r;
}

#define EXPECT_CAUGHT(r, text)                                             \
	do {                                                               \
		EXPECT_EQ((r)->status, CELL_CHECK_FAILED);                 \
		EXPECT((r)->violations >= 1);                              \
		EXPECT_STR_CONTAINS((r)->message, text);                   \
	} while (0)

TEST(replay_catches_misaligned_block)
{
	struct cell_result *r = checked("broken-misaligned", "a 0 24\n", 0);
	EXPECT_CAUGHT(r, "t.trace:1: op 0 (malloc of 24 bytes for block 0): "
	                 "broken-misaligned returned 0x");
	EXPECT_CAUGHT(r, "8, not 16-byte aligned");
}

TEST(replay_catches_memalign_below_its_alignment)
{
	struct cell_result *r = checked("broken-memalign", "m 0 4096 24\n", 0);
	EXPECT_CAUGHT(r, "t.trace:1: op 0 (memalign of 24 bytes aligned to 4096 for block 0): "
	                 "broken-memalign returned 0x");
	EXPECT_CAUGHT(r, ", not 4096-byte aligned");
}

TEST(replay_accepts_memalign_at_its_alignment)
{
	struct cell_result *r = checked("bump", "m 0 256 24\nm 1 4096 8\na 2 1\nm 3 8 3\n", 0);
	EXPECT_EQ(r->status, CELL_OK);
}

TEST(replay_catches_block_handed_out_twice)
{
	struct cell_result *r = checked("broken-overlap", "a 0 24\na 1 24\n", 0);
	EXPECT_CAUGHT(r, "t.trace:2: op 1 (malloc of 24 bytes for block 1): broken-overlap returned");
	EXPECT_CAUGHT(r, "which overlaps live block 0 at");
}

TEST(replay_catches_neighbour_scribbled_on_at_its_free)
{
	struct cell_result *r = checked("broken-corrupt", "a 0 32\na 1 32\nf 0\nf 1\n", 0);
	EXPECT_CAUGHT(r, "t.trace:4: op 3 (free of block 1): before the free: payload of block 1");
	EXPECT_CAUGHT(r, "was changed at byte 0 since op 1 (line 2) filled it");
}

TEST(replay_catches_scribbled_block_still_live_at_the_end)
{
	struct cell_result *r = checked("broken-corrupt", "a 0 32\na 1 32\nf 0\n", 0);
	EXPECT_CAUGHT(r, "t.trace: at the end of the trace: payload of block 1");
}

TEST(replay_catches_block_outside_the_heap)
{
	struct cell_result *r = checked("broken-outside", "a 0 24\n", 0);
	EXPECT_CAUGHT(r, "t.trace:1: op 0 (malloc of 24 bytes for block 0): broken-outside returned");
	EXPECT_CAUGHT(r, "outside its heap");
}

TEST(replay_catches_block_running_past_the_break)
{
	struct cell_result *r = checked("broken-past-break", "a 0 24\n", 0);
	EXPECT_CAUGHT(r, "whose 24 bytes run past the break at");
}

TEST(replay_catches_calloc_not_zeroed)
{
	struct cell_result *r = checked("broken-calloc-dirty", "c 0 4 8\n", 0);
	EXPECT_CAUGHT(r, "t.trace:1: op 0 (calloc of 4 x 8 bytes for block 0): "
	                 "broken-calloc-dirty returned 0x");
	EXPECT_CAUGHT(r, "whose byte 0 is not zero");
}

/* calloc NMEMB * SIZE that overflows (the parser refuses it: patch it in). */
static struct trace overflowing_calloc(void)
{
	struct trace t = parsed("c 0 2 4\n");
	t.calloc_nmemb[0] = ((uint64_t)1 << 62) + 1;
	return t;
}

TEST(replay_catches_calloc_ignoring_overflow)
{
	struct trace t = overflowing_calloc();
	struct cell_options opt = { .runs = 1 };
	struct cell_result *r = calloc(1, sizeof *r);
	replay_checked(broken_find("broken-calloc-overflow"), &t, &opt, r);
	EXPECT_CAUGHT(r, "calloc whose size overflows size_t (expected NULL)");
}

TEST(replay_bump_calloc_overflow_returns_null_and_is_counted_as_failed)
{
	struct trace t = overflowing_calloc();
	struct cell_result *r = cell(&alloc_bump, &t, 0, 2);
	EXPECT_EQ(r->status, CELL_OK);
	EXPECT_EQ(r->memory.failed_allocations, 1);
	EXPECT_EQ(r->peak_live_bytes, 0);
	EXPECT_EQ(r->memory.peak_break, BUMP_STATE);
}

TEST(replay_catches_realloc_that_loses_the_contents)
{
	struct cell_result *r = checked("broken-realloc-drops", "a 0 32\nr 0 64\n", 0);
	EXPECT_CAUGHT(r, "t.trace:2: op 1 (realloc of block 0 to 64 bytes): "
	                 "broken-realloc-drops returned");
	EXPECT_CAUGHT(r, "did not keep the block's first 32 bytes");
}

TEST(replay_catches_failing_self_check_at_the_end)
{
	struct cell_result *r = checked("broken-selfcheck", "a 0 32\nf 0\n", 0);
	EXPECT_CAUGHT(r, "t.trace: at the end of the trace: broken-selfcheck self-check found "
	                 "1 violation: broken-selfcheck: free list length is off by one");
	EXPECT_EQ(r->self_checks, 1);
}

TEST(replay_runs_self_check_every_n_ops)
{
	struct cell_result *r = checked("broken-selfcheck", "a 0 32\na 1 8\nf 0\n", 2);
	EXPECT_CAUGHT(r, "t.trace:2: after op 1: broken-selfcheck self-check found 1 violation");
	r = checked("bump", "a 0 32\na 1 8\nf 0\nf 1\na 2 3\n", 2);
	EXPECT_EQ(r->status, CELL_OK);
	EXPECT_EQ(r->self_checks, 3);  /* after ops 1 and 3, and at the end */
}

TEST(replay_accepts_every_correct_behaviour_of_bump)
{
	struct cell_result *r = checked("bump",
		"a 0 24\nc 1 3 7\nm 2 128 40\nr 0 100\nr 1 2\nr 2 0\na 3 0\nf 0\nf 1\nf 2\n", 1);
	EXPECT_EQ(r->status, CELL_OK);
	EXPECT_EQ(r->message[0], '\0');
	EXPECT_EQ(r->violations, 0);
	EXPECT_EQ(r->ops_replayed, 10);
}

/*
 * bump on this trace, by hand: state 32 bytes; each block is 16 bytes of
 * header + the size rounded up to 16: a0 24 -> 48, a1 100 -> 128, a2 8 -> 32.
 * Peak break 32 + 48 + 128 + 32 = 240.  Live bytes: 24, 124, 100, 108, 8, 0,
 * so the peak is 124 in 2 blocks.
 */
static const char hand_trace[] = "a 0 24\na 1 100\nf 0\na 2 8\nf 1\nf 2\n";

TEST(replay_metrics_match_a_hand_computed_bump_trace)
{
	struct trace t = parsed(hand_trace);
	struct cell_result *r = cell(&alloc_bump, &t, 0, 2);
	REQUIRE(r->status == CELL_OK);
	EXPECT_EQ(r->memory.peak_break, 240);
	EXPECT_EQ(r->memory.final_break, 240);
	EXPECT_EQ(r->peak_live_bytes, 124);
	EXPECT_EQ(r->peak_live_blocks, 2);
	EXPECT_EQ(r->memory.provider_calls, 4);
	EXPECT_EQ(r->memory.grow_calls, 4);
	EXPECT_EQ(r->memory.shrink_calls, 0);
	EXPECT_EQ(r->memory.bytes_requested, 240);
	EXPECT_EQ(r->memory.failed_allocations, 0);
	EXPECT(metrics_utilization(r->peak_live_bytes, r->memory.peak_break) == 124.0 / 240.0);
	EXPECT_EQ(r->count[OP_MALLOC], 3);
	EXPECT_EQ(r->count[OP_FREE], 3);
	EXPECT_EQ(r->runs, 2);
	EXPECT(r->ns_per_op[0] > 0 && r->ns_per_op[1] > 0);
}

TEST(replay_failed_allocation_under_heap_limit_is_counted_and_replay_goes_on)
{
	/* With the break capped at 200, a1 (128 more bytes after 80) fails; its free is skipped. */
	struct trace t = parsed(hand_trace);
	struct cell_result *r = cell(&alloc_bump, &t, 200, 3);
	REQUIRE(r->status == CELL_OK);
	EXPECT_EQ(r->memory.failed_allocations, 1);
	EXPECT_EQ(r->memory.skipped_ops, 1);
	EXPECT_EQ(r->memory.refused_calls, 1);
	EXPECT_EQ(r->memory.peak_break, 32 + 48 + 32);
	EXPECT_EQ(r->peak_live_bytes, 24);
	EXPECT_EQ(r->peak_live_blocks, 1);
	EXPECT_EQ(r->ops_replayed, 6);
	EXPECT_EQ(r->runs, 3);
	EXPECT(r->memory_identical);
}

TEST(replay_failed_realloc_keeps_the_old_block_live)
{
	struct trace t = parsed("a 0 24\nr 0 4000\nf 0\n");
	struct cell_result *r = cell(&alloc_bump, &t, 200, 2);
	REQUIRE(r->status == CELL_OK);
	EXPECT_EQ(r->memory.failed_allocations, 1);
	EXPECT_EQ(r->memory.skipped_ops, 0);   /* the free is of the live old block */
	EXPECT_EQ(r->count[OP_FREE], 1);
	EXPECT_EQ(r->peak_live_bytes, 24);
}

TEST(replay_realloc_to_zero_returning_null_frees_the_block)
{
	struct trace t = parsed("a 0 24\nr 0 0\nf 0\na 0 8\n");
	struct cell_result *r = cell(broken_find("test-realloc0-null"), &t, 0, 2);
	REQUIRE(r->status == CELL_OK);
	EXPECT_EQ(r->memory.failed_allocations, 0);
	EXPECT_EQ(r->memory.skipped_ops, 1);   /* the trace's free of the freed block */
	EXPECT_EQ(r->peak_live_bytes, 24);
	EXPECT_EQ(r->count[OP_MALLOC], 2);      /* the ID is reusable afterwards */
}

TEST(replay_memory_figures_are_identical_across_timed_runs)
{
	struct trace t = parsed("a 0 24\nc 1 10 10\nm 2 64 100\nr 0 300\nf 1\na 3 5\nr 3 70\n");
	const struct cell_options opt = { .runs = 1 };
	struct cell_result *r = cell(&alloc_bump, &t, 0, 4);
	REQUIRE(r->status == CELL_OK);
	EXPECT_EQ(r->runs, 4);
	EXPECT(r->memory_identical);

	void **ptrs = calloc(1, replay_slots_bytes(&t));
	struct memory_figures a, b;
	struct pass_figures f;
	REQUIRE(replay_timed(&alloc_bump, &t, &opt, ptrs, &f, &a) == 0);
	REQUIRE(replay_timed(&alloc_bump, &t, &opt, ptrs, &f, &b) == 0);
	EXPECT(memory_figures_differ(&a, &b, 1) == NULL);
	EXPECT(memory_figures_differ(&r->memory, &a, 0) == NULL);
	EXPECT_EQ(a.peak_break, r->memory.peak_break);
}

TEST(replay_reports_an_allocator_whose_figures_change_between_runs)
{
	struct trace t = parsed(hand_trace);
	struct cell_result *r = cell(broken_find("broken-nondeterministic"), &t, 0, 3);
	EXPECT_CAUGHT(r, "memory figures of timed pass 1 differ from the checked pass");
	EXPECT_CAUGHT(r, "not deterministic");
	EXPECT(!r->memory_identical);
}

TEST(replay_reports_a_crash_in_the_allocator_as_a_failed_check)
{
	struct trace t = parsed("a 0 24\nc 1 3 8\n");
	struct cell_result *r = cell(broken_find("broken-crash"), &t, 0, 2);
	EXPECT_CAUGHT(r, "t.trace:2: op 1 (calloc of 3 x 8 bytes for block 1): "
	                 "broken-crash crashed with SIGSEGV");
	EXPECT_EQ(r->runs, 0);
}

TEST(replay_survives_two_crashes_in_one_process)
{
	struct trace t = parsed("a 0 24\na 1 8\n");
	struct cell_result *r = cell(broken_find("broken-crash"), &t, 0, 1);
	EXPECT_CAUGHT(r, "t.trace:2: op 1 (malloc of 8 bytes for block 1): broken-crash crashed");
	r = cell(broken_find("broken-crash"), &t, 0, 1);
	EXPECT_CAUGHT(r, "broken-crash crashed with SIGSEGV");
	r = cell(&alloc_bump, &t, 0, 1);   /* and the harness still works */
	EXPECT_EQ(r->status, CELL_OK);
}

TEST(replay_timed_passes_are_not_run_after_a_violation)
{
	struct trace t = parsed("a 0 24\na 1 24\n");
	struct cell_result *r = cell(broken_find("broken-overlap"), &t, 0, 3);
	EXPECT_EQ(r->status, CELL_CHECK_FAILED);
	EXPECT_EQ(r->runs, 0);
}

TEST(replay_init_that_does_not_fit_the_heap_limit_is_bad_input)
{
	struct trace t = parsed(hand_trace);
	struct cell_result *r = cell(&alloc_bump, &t, 16, 1);
	EXPECT_EQ(r->status, CELL_BAD_INPUT);
	EXPECT_STR_CONTAINS(r->message, "bump cannot start within a heap limit of 16 bytes");
}

TEST(replay_default_run_count_depends_on_trace_size)
{
	struct trace t = { .nops = 100 };
	struct cell_options opt = { 0 };
	EXPECT_EQ(run_count(&opt, &t), RUN_DEFAULT);
	t.nops = RUN_HUGE_OPS;
	EXPECT_EQ(run_count(&opt, &t), RUN_DEFAULT_HUGE);
	opt.runs = 7;
	EXPECT_EQ(run_count(&opt, &t), 7);
}
