/*
 * test_timing.c - what a timed pass writes into its blocks (--touch), what
 * warm-up passes do, and the per-pass figures the probe records.
 */
#include "test.h"

#include "../../harness/replay/cell.h"
#include "../../harness/replay/timed_op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- an "allocator" that hands out fixed buffers, so the test sees the bytes ---- */

#define ARENA (4 * TOUCH_PAGE)
static _Alignas(4096) char arena[2][ARENA + TOUCH_PAGE];   /* two page-aligned blocks */
static unsigned next_block;

static void *fake_malloc(void *self, size_t n) { (void)self; (void)n; return arena[next_block++ & 1]; }
static void *fake_calloc(void *self, size_t k, size_t n) { (void)k; return fake_malloc(self, n); }
static void *fake_memalign(void *self, size_t a, size_t n) { (void)a; return fake_malloc(self, n); }
static void *fake_realloc(void *self, void *p, size_t n)
{
	(void)self;
	char *q = arena[1];
	if (p && p != q)
		memcpy(q, p, n < ARENA ? n : ARENA);   /* a moving realloc keeps the contents */
	return q;
}
static void fake_free(void *self, void *p) { (void)self; (void)p; }

static const struct timed_calls fake = { fake_malloc, fake_calloc, fake_realloc, fake_memalign,
                                         fake_free, NULL };

/* Offsets of the bytes of arena[k] that hold TOUCH_BYTE, as a count, and whether `at` does. */
static unsigned touched(unsigned k, size_t limit)
{
	unsigned n = 0;
	for (size_t i = 0; i < limit; i++)
		n += arena[k][i] == TOUCH_BYTE;
	return n;
}

static void run_op(unsigned kind, uint64_t size, void **slot, uint64_t *bytes, int mode)
{
	struct op op = { .kind = kind, .size = size };
	const uint64_t nm[1] = { 1 }, *nmemb = nm;
	struct timed_counts n = { 0, 0 };
	timed_op(&fake, &op, slot, &nmemb, &n, mode, bytes);
}

TEST(touch_pages_writes_the_first_byte_every_page_start_and_the_last_byte)
{
	memset(arena, 0, sizeof arena);
	next_block = 0;
	void *slot = NULL;
	uint64_t size = 0;
	/* 3 pages and 100 bytes from a page start: bytes 0, 4096, 8192, 12288, 12387 */
	run_op(OP_MALLOC, 3 * TOUCH_PAGE + 100, &slot, &size, TOUCH_PAGES);
	EXPECT(slot == arena[0]);
	EXPECT_EQ(size, 3 * TOUCH_PAGE + 100);
	EXPECT_EQ(touched(0, ARENA), 5);
	EXPECT(arena[0][0] == TOUCH_BYTE && arena[0][TOUCH_PAGE] == TOUCH_BYTE);
	EXPECT(arena[0][2 * TOUCH_PAGE] == TOUCH_BYTE && arena[0][3 * TOUCH_PAGE] == TOUCH_BYTE);
	EXPECT(arena[0][3 * TOUCH_PAGE + 99] == TOUCH_BYTE);
	EXPECT(arena[0][3 * TOUCH_PAGE + 100] == 0);   /* nothing past the block */
}

TEST(touch_pages_writes_a_small_block_at_its_two_ends_only)
{
	memset(arena, 0, sizeof arena);
	next_block = 0;
	void *slot = NULL;
	uint64_t size = 0;
	run_op(OP_CALLOC, 24, &slot, &size, TOUCH_PAGES);   /* calloc: written all the same */
	EXPECT_EQ(touched(0, ARENA), 2);
	EXPECT(arena[0][0] == TOUCH_BYTE && arena[0][23] == TOUCH_BYTE);
}

TEST(touch_pages_writes_only_the_grown_part_of_a_realloc)
{
	memset(arena, 0, sizeof arena);
	next_block = 0;
	void *slot = NULL;
	uint64_t size = 0;
	run_op(OP_MALLOC, 100, &slot, &size, TOUCH_PAGES);   /* arena[0] */
	next_block = 1;
	memset(arena[1], 0, sizeof arena[1]);
	slot = arena[1];                                     /* the block now lives in arena[1] */
	run_op(OP_REALLOC, 2 * TOUCH_PAGE, &slot, &size, TOUCH_PAGES);
	EXPECT_EQ(size, 2 * TOUCH_PAGE);
	/* grown part [100, 8192): its first byte, the page start 4096, its last byte */
	EXPECT_EQ(touched(1, ARENA), 3);
	EXPECT(arena[1][100] == TOUCH_BYTE && arena[1][TOUCH_PAGE] == TOUCH_BYTE);
	EXPECT(arena[1][2 * TOUCH_PAGE - 1] == TOUCH_BYTE);
	EXPECT(arena[1][99] == 0);   /* the old part is the program's: left alone */

	memset(arena[1], 0, sizeof arena[1]);
	run_op(OP_REALLOC, 50, &slot, &size, TOUCH_PAGES);  /* shrinking writes nothing */
	EXPECT_EQ(touched(1, ARENA), 0);
	EXPECT_EQ(size, 50);
}

TEST(touch_none_writes_nothing_and_touch_all_writes_every_byte)
{
	memset(arena, 0, sizeof arena);
	next_block = 0;
	void *slot = NULL;
	uint64_t size = 0;
	run_op(OP_MALLOC, 2 * TOUCH_PAGE + 10, &slot, &size, TOUCH_NONE);
	EXPECT_EQ(touched(0, ARENA), 0);
	next_block = 0;
	run_op(OP_MEMALIGN, 2 * TOUCH_PAGE + 10, &slot, &size, TOUCH_ALL);
	EXPECT_EQ(touched(0, ARENA), 2 * TOUCH_PAGE + 10);
}

TEST(touch_modes_have_names_and_refuse_others)
{
	EXPECT_EQ(touch_parse("none"), TOUCH_NONE);
	EXPECT_EQ(touch_parse("pages"), TOUCH_PAGES);
	EXPECT_EQ(touch_parse("all"), TOUCH_ALL);
	EXPECT_EQ(touch_parse("bogus"), -1);
	EXPECT(!strcmp(touch_name(TOUCH_PAGES), "pages"));
	struct cell_options zero = { 0 };
	EXPECT_EQ(zero.touch, TOUCH_PAGES);   /* the fair mode is the default */
}

/* ---- whole passes ---- */

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

/* A trace that faults in pages: 64 blocks of 64 KiB, half freed, grown by realloc. */
static struct trace paging_trace(void)
{
	static char text[8192];
	size_t n = 0;
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "a %d 65536\n", i);
	for (int i = 0; i < 64; i += 2)
		n += (size_t)snprintf(text + n, sizeof text - n, "f %d\n", i);
	for (int i = 1; i < 64; i += 2)
		n += (size_t)snprintf(text + n, sizeof text - n, "r %d 131072\n", i);
	return parsed(text);
}

TEST(timed_pass_with_touch_faults_in_the_pages_without_touch_it_does_not)
{
	struct trace t = paging_trace();
	void **ptrs = calloc(1, replay_slots_bytes(&t));
	struct memory_figures m;
	struct pass_figures none, pages;
	struct cell_options opt = { .runs = 1, .touch = TOUCH_NONE };
	const struct allocator *a = allocator_find("buddy");
	REQUIRE(a && replay_timed(a, &t, &opt, ptrs, &none, &m) == 0);
	opt.touch = TOUCH_PAGES;
	REQUIRE(replay_timed(a, &t, &opt, ptrs, &pages, &m) == 0);
	/* 64 x 16 pages, then 32 x 16 more grown: well over 500 first touches */
	EXPECT(pages.minor_faults > none.minor_faults + 500);
	EXPECT(pages.wall_ns > 0);
	free(ptrs);
	trace_free(&t);
}

TEST(warm_timed_passes_keep_the_heap_the_warm_up_left)
{
	/* bump never reuses memory: after one warm-up pass its heap holds two passes' blocks */
	struct trace t = parsed("a 0 1000\na 1 2000\nf 0\n");
	void **ptrs = calloc(1, replay_slots_bytes(&t));
	struct memory_figures cold, warm;
	struct pass_figures f;
	struct cell_options opt = { .runs = 1 };
	REQUIRE(replay_timed(allocator_find("bump"), &t, &opt, ptrs, &f, &cold) == 0);
	opt.warmup = 1;
	REQUIRE(replay_timed(allocator_find("bump"), &t, &opt, ptrs, &f, &warm) == 0);
	EXPECT(warm.peak_break > cold.peak_break);
	EXPECT(warm.bytes_requested >= 2 * 3000);
	free(ptrs);
	trace_free(&t);
}

TEST(run_cell_records_the_figures_of_every_timed_pass)
{
	struct trace t = paging_trace();
	struct cell_options opt = { .runs = 3, .warmup = 1 };
	struct cell_result *r = calloc(1, sizeof *r);
	REQUIRE(cell_run(allocator_find("buddy"), &t, &opt, r) == CELL_OK);
	EXPECT_EQ(r->runs, 3);
	for (unsigned k = 0; k < r->runs; k++) {
		EXPECT(r->pass[k].wall_ns > 0);
		EXPECT(pass_figures_invalid(&r->pass[k]) == NULL);
		EXPECT(r->ns_per_op[k] == (double)r->pass[k].wall_ns / (double)t.nops);
	}
	EXPECT(r->memory_identical);   /* warm passes compare with each other */
	free(r);
	trace_free(&t);
}

/* ---- --count ---- */

TEST(count_methods_parse_by_name)
{
	EXPECT_EQ(count_method_parse(NULL), COUNT_AUTO);   /* plain --count */
	EXPECT_EQ(count_method_parse("auto"), COUNT_AUTO);
	EXPECT_EQ(count_method_parse("perf"), COUNT_PERF);
	EXPECT_EQ(count_method_parse("perf_event"), COUNT_PERF);
	EXPECT_EQ(count_method_parse("callgrind"), COUNT_CALLGRIND);
	EXPECT_EQ(count_method_parse("cachegrind"), -1);
	EXPECT(!strcmp(count_method_name(COUNT_CALLGRIND), "callgrind"));
	EXPECT(count_method_name(COUNT_OFF) == NULL);
}

static const char *write_tmp(const char *text)
{
	static char path[] = "/tmp/heaplab-cg-XXXXXX";
	strcpy(path, "/tmp/heaplab-cg-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return path;
}

TEST(count_reads_callgrind_totals_by_event_name)
{
	const char *p = write_tmp("# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\n"
	                          "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n"
	                          "summary: 0\nfl=(1) x.c\nfn=(1) f\n16 5 1\n"
	                          "totals: 4000 900 800 7 30 20 7 3\n");
	REQUIRE(p);
	struct cost_figures c;
	char why[200];
	REQUIRE(count_read_callgrind(p, 10, &c, why, sizeof why) == 0);
	EXPECT_EQ(c.method, COUNT_CALLGRIND);
	EXPECT_EQ(c.instructions, 4000);
	EXPECT_EQ(c.ops, 10);
	EXPECT(c.has_l1d && c.l1d_misses == 50);          /* D1mr + D1mw */
	EXPECT(c.has_ll && c.ll_misses == 3 + 0);         /* DLmr + DLmw, left out: 0 */
	EXPECT(!c.has_cycles);
	unlink(p);
}

TEST(count_refuses_a_file_that_is_not_callgrind_output)
{
	const char *p = write_tmp("events: Dr Dw\ntotals: 1 2\n");
	REQUIRE(p);
	struct cost_figures c;
	char why[200];
	EXPECT(count_read_callgrind(p, 10, &c, why, sizeof why) == -1);
	EXPECT_STR_CONTAINS(why, "no Ir (instructions) count");
	unlink(p);
	p = write_tmp("hello\n");
	EXPECT(count_read_callgrind(p, 10, &c, why, sizeof why) == -1);
	EXPECT_STR_CONTAINS(why, "not a callgrind output");
	unlink(p);
	EXPECT(count_read_callgrind("/nonexistent/cg.out", 1, &c, why, sizeof why) == -1);
}
