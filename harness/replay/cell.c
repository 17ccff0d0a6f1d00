/*
 * cell.c - one cell: the checked pass, the timed passes and the latency pass,
 * on the serial or the threaded driver (see cell.h).
 *
 * The cell is above both drivers: it picks one, runs its passes in order and
 * judges the timed passes' figures.  Serially the allocator must be
 * deterministic: every timed pass's memory figures equal the first's and the
 * checked pass's.  With threads the interleaving varies, and so may the
 * figures: a difference is reported (memory_identical), not a failure.
 */
#include "cell.h"

#include "../core/bulk.h"
#include "serial.h"
#include "threaded.h"

#include <stdio.h>
#include <string.h>

struct replay_progress *replay_progress;

unsigned run_count(const struct cell_options *opt, const struct trace *t)
{
	if (opt->runs)
		return opt->runs;
	return t->nops >= RUN_HUGE_OPS ? RUN_DEFAULT_HUGE : RUN_DEFAULT;
}

enum cell_status replay_checked(const struct allocator *a, const struct trace *t,
                                const struct cell_options *opt, struct cell_result *r)
{
	if (opt->threads)
		return threaded_checked(a, t, opt, r);
	return serial_checked(a, t, opt, r);
}

int replay_timed(const struct allocator *a, const struct trace *t,
                 const struct cell_options *opt, void **ptrs,
                 struct pass_figures *f, struct memory_figures *m)
{
	if (opt->threads)
		return threaded_timed(a, t, opt, f, m);
	return serial_timed(a, t, opt, ptrs, f, m, NULL, 0);
}

void replay_note_pass(struct cell_result *r, const struct trace *t, unsigned k,
                      const struct pass_figures *f)
{
	double ns = (double)f->wall_ns;
	r->ns_per_op[k] = t->nops ? ns / (double)t->nops : 0.0;
	r->ops_per_sec[k] = ns > 0 ? (double)t->nops * 1e9 / ns : 0.0;
	r->pass[k] = *f;
	r->runs = k + 1;
}

/* The driver a cell runs on, and what it keeps between passes. */
struct cell_driver {
	const struct allocator   *a;
	const struct trace       *t;
	const struct cell_options *opt;
	struct threaded_cell      tc;       /* --threads: the plan and arrays */
	void                    **ptrs;     /* serial: block pointers, sizes  */
	size_t                    bytes;
};

/* The checked pass, after which the driver is ready for timed passes:
 * CELL_OK, or r's status. */
static enum cell_status driver_open(struct cell_driver *d, struct cell_result *r)
{
	if (d->opt->threads) {
		if (threaded_open(&d->tc, d->a, d->t, d->opt, r))
			return r->status;
		if (threaded_checked_pass(&d->tc, r)) {
			threaded_close(&d->tc);
			return r->status;
		}
		return CELL_OK;
	}
	r->threads = 1;
	if (serial_checked(d->a, d->t, d->opt, r))
		return r->status;
	d->bytes = replay_slots_bytes(d->t);
	d->ptrs = bulk_alloc(d->bytes);
	if (!d->ptrs) {
		snprintf(r->message, sizeof r->message,
		         "cannot reserve memory for %u block pointers", d->t->nslots);
		return r->status = CELL_SYSTEM;
	}
	return CELL_OK;
}

static void driver_close(struct cell_driver *d)
{
	if (d->opt->threads)
		threaded_close(&d->tc);
	else
		bulk_free(d->ptrs, d->bytes);
}

/* One timed pass: 0, REPLAY_CRASHED (described in `what`), REPLAY_INIT_FAILED
 * or an errno, which *why describes. */
static int driver_timed(struct cell_driver *d, struct pass_figures *f, struct memory_figures *m,
                        uint64_t *blocked, char *what, size_t len, char *why, size_t wlen)
{
	int err;
	*blocked = 0;
	if (d->opt->threads) {
		err = threaded_timed_pass(&d->tc, f, m, what, len, blocked);
		if (err > 0)
			snprintf(why, wlen, "%s", strerror(err));   /* the heap or the threads */
	} else {
		err = serial_timed(d->a, d->t, d->opt, d->ptrs, f, m, what, len);
		if (err > 0)
			replay_heap_failure(why, wlen, d->opt->heap_limit, err);
	}
	return err;
}

int replay_check_pass_memory(struct cell_result *r, const struct trace *t,
                             const struct cell_options *opt, unsigned k,
                             struct memory_figures *first, const struct memory_figures *m)
{
	const char *field = NULL, *against = NULL;
	if (k == 0)
		*first = *m;
	else if ((field = memory_figures_differ(first, m, 1)))
		against = "timed pass 1";
	if (!against && !opt->warmup && (field = memory_figures_differ(&r->memory, m, 0)))
		against = "the checked pass";
	if (!against)
		return 0;
	r->memory_identical = 0;
	r->status = CELL_CHECK_FAILED;
	r->violations++;
	snprintf(r->message, sizeof r->message,
	         "%s: memory figures of timed pass %u differ from %s (%s): the allocator "
	         "is not deterministic", t->path, k + 1, against, field);
	return -1;
}

/* The timed passes, each judged as it ends; the first failure stops them. */
static void timed_passes(struct cell_driver *d, struct cell_result *r)
{
	const struct trace *t = d->t;
	const struct cell_options *opt = d->opt;
	unsigned n = run_count(opt, t);
	struct memory_figures first;

	if (n > RUN_MAX)
		n = RUN_MAX;
	r->memory_identical = 1;
	for (unsigned k = 0; k < n; k++) {
		struct memory_figures m;
		struct pass_figures f = { 0 };
		char what[400] = "", why[sizeof r->message - 32] = "";
		uint64_t blocked;
		if (replay_progress) {
			replay_progress->pass = REPLAY_PASS_TIMED + k;
			replay_progress->op = REPLAY_OP_NONE;
		}
		int err = driver_timed(d, &f, &m, &blocked, what, sizeof what, why, sizeof why);
		if (!err && (k == 0 || blocked > r->cross_thread_blocked))
			r->cross_thread_blocked = blocked;
		if (err == REPLAY_CRASHED || err == REPLAY_INIT_FAILED) {
			snprintf(r->message, sizeof r->message, "%s: timed pass %u: %s %s%s",
			         t->path, k + 1, d->a->name,
			         err == REPLAY_CRASHED ? "crashed with " : "init returned NULL", what);
			r->violations++;
			r->status = CELL_CHECK_FAILED;
			return;
		}
		if (err) {
			snprintf(r->message, sizeof r->message, "timed pass %u: %s", k + 1, why);
			r->status = CELL_SYSTEM;
			return;
		}
		replay_note_pass(r, t, k, &f);

		if (opt->threads) {
			/* the interleaving varies, so may the figures: reported, not enforced */
			if (k == 0)
				first = m;
			else if (memory_figures_differ(&first, &m, 1))
				r->memory_identical = 0;
			continue;
		}
		if (replay_check_pass_memory(r, t, opt, k, &first, &m))
			return;
	}
}

enum cell_status cell_run(const struct allocator *a, const struct trace *t,
                          const struct cell_options *opt, struct cell_result *r)
{
	struct cell_driver d = { .a = a, .t = t, .opt = opt };

	memset(r, 0, sizeof *r);
	if (driver_open(&d, r))
		return r->status;
	timed_passes(&d, r);
	driver_close(&d);
	/* The latency pass times one op at a time: it replays serially, with
	 * threads too, as for peers. */
	if (r->status == CELL_OK && opt->latency) {
		struct cell_options serial = *opt;
		serial.threads = 0;
		replay_latency_cell(a, t, &serial, r);
	}
	return r->status;
}
