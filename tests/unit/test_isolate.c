/*
 * test_isolate.c - cells in child processes (harness/process/isolate.h), the memory
 * pass (harness/replay/mempass.h) and --alloc resolution (harness/process/peer.h).
 *
 * Peers themselves need `bench __cell` (an exec of bench): tests/cli/peers.sh.
 */
#include "test.h"
#include "harness/core/exitcodes.h"
#include "harness/process/isolate.h"
#include "harness/replay/mempass.h"
#include "harness/process/peer.h"
#include "tests/allocators/broken.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

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

/* 40 mallocs of 64 bytes then their frees: past the dying allocators' 20th. */
static struct trace forty(void)
{
	static char text[2048];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "a %d 64\n", i);
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "f %d\n", i);
	return parsed(text);
}

static struct alloc_spec spec(const char *name)
{
	struct alloc_spec s;
	char err[256];
	if (alloc_resolve(name, &s, err, sizeof err) != 0) {
		test_fail(__FILE__, __LINE__, "cannot resolve %s: %s", name, err);
		exit(1);
	}
	return s;
}

static enum cell_status run(const char *name, struct trace *t, unsigned timeout,
                            struct cell_result **r, struct cell_extra **x)
{
	struct alloc_spec s = spec(name);
	struct cell_options opt = { .runs = 1 };
	*r = calloc(1, sizeof **r);
	*x = calloc(1, sizeof **x);
	return isolate_cell(&s, t, &opt, timeout, *r, *x);
}

TEST(isolate_builtin_cell_runs_every_pass_in_children)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("tlsf", &t, 10, &r, &x), CELL_OK);
	EXPECT_EQ(r->runs, 1);
	EXPECT_EQ(r->ops_replayed, 80);
	EXPECT(r->memory.peak_break > 40 * 64);
	EXPECT(x->mem.measured);
	EXPECT_EQ(x->lib.method[0], 0);  /* no library statistics for a built-in */
}

TEST(isolate_reports_a_segfault_as_crashed_with_signal_and_op)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("test-crash", &t, 10, &r, &x), CELL_CRASHED);
	EXPECT_EQ(x->signal, SIGSEGV);
	EXPECT_EQ(x->pass, REPLAY_PASS_CHECKED);
	EXPECT_EQ(x->op, 19);   /* the 20th malloc */
	EXPECT_STR_CONTAINS(r->message, "test-crash crashed with SIGSEGV (Segmentation fault) "
	                    "in the checked pass at op 19 (t.trace:20: malloc of block 19)");
	EXPECT_EQ(r->runs, 0);
}

TEST(isolate_kills_a_hang_after_the_timeout)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("test-hang", &t, 1, &r, &x), CELL_TIMEOUT);
	EXPECT_EQ(x->op, 19);
	EXPECT_EQ(x->signal, 0);
	EXPECT_STR_CONTAINS(r->message, "test-hang timed out after 1 s in the checked pass at op 19");
	EXPECT(x->seconds >= 1.0 && x->seconds < 5.0);
}

TEST(isolate_times_out_a_child_that_closed_its_pipe_and_hangs)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("test-silent", &t, 1, &r, &x), CELL_TIMEOUT);
	EXPECT_EQ(x->op, 19);
	EXPECT(x->seconds < 5.0);
}

TEST(isolate_child_lets_a_crash_kill_it_instead_of_the_in_process_guard)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("broken-crash", &t, 10, &r, &x), CELL_CRASHED);
	EXPECT_EQ(x->signal, SIGSEGV);
}

TEST(isolate_reports_a_child_that_exits_without_a_result_as_crashed)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("test-exit", &t, 10, &r, &x), CELL_CRASHED);
	EXPECT_EQ(x->signal, 0);
	EXPECT_STR_CONTAINS(r->message, "the child exited with status 0 without a result "
	                    "in the checked pass at op 19");
}

TEST(isolate_does_not_repeat_a_garbled_progress_page_as_fact)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("test-scribble", &t, 10, &r, &x), CELL_CRASHED);
	EXPECT_EQ(x->signal, SIGSEGV);
	EXPECT_STR_CONTAINS(r->message, "crashed with SIGSEGV (Segmentation fault) "
	                    "before the replay started");
	EXPECT_EQ(x->pass, REPLAY_PASS_NONE);
	EXPECT(x->op == REPLAY_OP_NONE);
}

TEST(isolate_keeps_a_check_failure_a_check_failure)
{
	struct trace t = forty();
	struct cell_result *r;
	struct cell_extra *x;
	EXPECT_EQ(run("broken-overlap", &t, 10, &r, &x), CELL_CHECK_FAILED);
	EXPECT_STR_CONTAINS(r->message, "overlaps live block");
	EXPECT_EQ(x->mem.measured, 0);   /* no memory pass after a failed check */
}

TEST(isolate_refuses_implausible_results_from_a_child)
{
	struct trace t = forty();
	struct cell_options opt = { .runs = 2 };
	struct cell_result *r = calloc(1, sizeof *r);
	r->ops_replayed = 80;
	r->runs = 2;
	r->ns_per_op[0] = r->ns_per_op[1] = 10;
	r->ops_per_sec[0] = r->ops_per_sec[1] = 1e8;
	EXPECT(isolate_result_invalid(r, &t, &opt) == NULL);

	r->status = (enum cell_status)9;
	EXPECT(isolate_result_invalid(r, &t, &opt) != NULL);
	r->status = CELL_CRASHED;   /* only the parent may say so */
	EXPECT(isolate_result_invalid(r, &t, &opt) != NULL);
	r->status = CELL_OK;
	memset(r->message, 'x', sizeof r->message);
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "NUL");
	r->message[0] = '\0';
	r->ops_replayed = 81;
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "ops_replayed");
	r->ops_replayed = 80;
	r->runs = 3;
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "runs");
	r->runs = 2;
	r->ns_per_op[1] = NAN;
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "timing");
	r->ns_per_op[1] = 10;
	r->pass[1].minor_faults = UINT64_MAX;   /* counters no pass can have */
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "pass counters");
	r->pass[1].minor_faults = 3;
	r->pass[0].user_ns = UINT64_MAX;
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "pass times");
	r->pass[0].user_ns = 0;
	r->cost.method = COUNT_CALLGRIND;       /* only the parent reads a count */
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "cost");
	r->cost.method = COUNT_OFF;
	EXPECT(isolate_result_invalid(r, &t, &opt) == NULL);
	r->nstats = STATS_MAX + 1;
	EXPECT_STR_CONTAINS(isolate_result_invalid(r, &t, &opt), "nstats");
}

TEST(mempass_counts_every_page_of_a_block_it_writes)
{
	/* 4 MiB in one block: every page is written, so all of it is resident. */
	struct trace t = parsed("a 0 4194304\nf 0\n");
	struct cell_options opt = { .runs = 1 };
	struct mempass_result m;
	extern const struct allocator alloc_bump;
	EXPECT_EQ(mempass_run(&alloc_bump, &t, &opt, &m), CELL_OK);
	REQUIRE(m.measured);
	EXPECT(m.peak_rss_bytes >= 4194304);
	EXPECT(m.peak_rss_bytes < 4194304 + 512 * 1024);
	EXPECT(m.baseline_bytes > 0);
}

/* A peer-like allocator that maps every block and unmaps it on free. */
static char mapper_state;
static void *mapper_init(struct heap *h) { (void)h; return &mapper_state; }
static void *mapper_malloc(void *self, size_t n)
{
	size_t len = (n + 16 + 4095) & ~(size_t)4095;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*(size_t *)p = len;
	return p + 16;
}
static void mapper_free(void *self, void *p)
{
	if (p)
		munmap((char *)p - 16, *(size_t *)((char *)p - 16));
}
static const struct allocator mapper = {
	.name = "mapper", .description = "mmap per block", .init = mapper_init,
	.malloc = mapper_malloc, .free = mapper_free,
};

TEST(mempass_sees_a_peak_that_the_allocator_released_again)
{
	/* The kernel's VmHWM, set when memory is unmapped, can lag the true
	 * peak; the samples taken before each free must not. */
	struct trace t = parsed("a 0 3000000\na 1 3000000\nf 0\nf 1\na 2 16\nf 2\n");
	struct cell_options opt = { .runs = 1, .peer = 1 };
	struct mempass_result m;
	EXPECT_EQ(mempass_run(&mapper, &t, &opt, &m), CELL_OK);
	REQUIRE(m.measured);
	EXPECT(m.peak_rss_bytes >= 6000000);
	EXPECT(m.peak_rss_bytes < 6000000 + 512 * 1024);
}

TEST(peer_resolve_names_builtins_test_allocators_and_refuses_the_unknown)
{
	struct alloc_spec s;
	char err[256];
	EXPECT_EQ(alloc_resolve("tlsf", &s, err, sizeof err), 0);
	EXPECT_EQ(s.kind, ALLOC_BUILTIN);
	EXPECT_EQ(alloc_resolve("test-crash", &s, err, sizeof err), 0);
	EXPECT_EQ(s.kind, ALLOC_TEST);
	EXPECT_EQ(alloc_resolve("no-such", &s, err, sizeof err), EXIT_USAGE);
	EXPECT_STR_CONTAINS(err, "unknown allocator 'no-such'");
	EXPECT_EQ(alloc_resolve("./no/such/lib.so", &s, err, sizeof err), EXIT_USAGE);
	EXPECT_STR_CONTAINS(err, "./no/such/lib.so: No such file or directory");
}

TEST(peer_expand_keeps_each_peer_table_its_own_when_the_list_grows_past_sixteen)
{
	/* glibc first, then enough names to move the array (16 fit at first) */
	const char *list = "glibc,builtin,test-crash,test-hang,test-exit,test-abort,"
	                   "test-spin,test-crash-free,test-check-hang";
	struct alloc_spec *v;
	size_t n;
	char err[256];
	REQUIRE(peer_expand(list, &v, &n, err, sizeof err) == 0);
	EXPECT(n > 16);
	EXPECT_EQ(v[0].kind, ALLOC_PEER);
	EXPECT(v[0].table == &v[0].renamed);
	EXPECT_STR_CONTAINS(v[0].table->name, "glibc");
	peer_specs_free(v, n);
}

TEST(peer_expand_builtin_gives_the_registry_and_refuses_a_name_twice)
{
	struct alloc_spec *v;
	size_t n;
	char err[256];
	EXPECT_EQ(peer_expand("builtin", &v, &n, err, sizeof err), 0);
	EXPECT_EQ(n, allocator_count);
	for (size_t i = 0; i < n && i < allocator_count; i++)
		EXPECT(v[i].table == allocator_registry[i]);
	peer_specs_free(v, n);
	EXPECT_EQ(peer_expand("tlsf,bump,tlsf", &v, &n, err, sizeof err), EXIT_USAGE);
	EXPECT_STR_CONTAINS(err, "'tlsf' is named twice");
}
