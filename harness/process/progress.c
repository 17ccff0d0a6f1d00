/* progress.c - the progress line of a run (see progress.h). */
#define _GNU_SOURCE
#include "progress.h"
#include "../core/monoclock.h"
#include "../core/safe_text.h"

#include "isolate.h"
#include "../replay/cell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static struct {
	int         on;        /* drawing at all                              */
	int         drawn;     /* a line is on the screen                     */
	size_t      ncells, cell;
	const char *alloc, *trace;
	uint64_t    nops;
	unsigned    runs;      /* timed passes the cell will do               */
	double      t0;        /* start of the run                            */
	double      cell_t0;   /* start of the current cell                   */
} pg;

unsigned progress_columns(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	char *end;
	long n = env ? strtol(env, &end, 10) : 0;
	if (env && *env && !*end && n > 0 && n < 10000)
		return (unsigned)n;
	return 80;
}

static void clock_text(char *buf, size_t len, double s)
{
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/* "checked pass, op 1200/5000" from what the running child last reported. */
static void pass_text(char *buf, size_t len)
{
	const volatile struct replay_progress *p = isolate_progress;
	buf[0] = '\0';
	if (!p || !p->started)
		return;
	uint32_t pass = p->pass;
	uint64_t op = p->op;
	char what[32];
	if (pass == REPLAY_PASS_CHECKED)
		snprintf(what, sizeof what, "checked pass");
	else if (pass == REPLAY_PASS_MEMORY)
		snprintf(what, sizeof what, "memory pass");
	else if (pass == REPLAY_PASS_LATENCY)
		snprintf(what, sizeof what, "latency pass");
	else if (pass >= REPLAY_PASS_TIMED && pass < REPLAY_PASS_TIMED + RUN_MAX)
		snprintf(what, sizeof what, "timed pass %u/%u", pass - REPLAY_PASS_TIMED + 1,
		         pg.runs ? pg.runs : pass - REPLAY_PASS_TIMED + 1);
	else
		return;
	if (op != REPLAY_OP_NONE && op <= pg.nops && pg.nops)
		snprintf(buf, len, "  %s, op %llu/%llu", what, (unsigned long long)op,
		         (unsigned long long)pg.nops);
	else
		snprintf(buf, len, "  %s", what);
}

static void draw(void)
{
	char line[1024], e[32], ce[32], r[32] = "?", pass[96];
	double now = mono_s(), elapsed = now - pg.t0;
	if (pg.cell)
		clock_text(r, sizeof r, elapsed / (double)pg.cell * (double)(pg.ncells - pg.cell));
	clock_text(e, sizeof e, elapsed);
	clock_text(ce, sizeof ce, now - pg.cell_t0);
	pass_text(pass, sizeof pass);
	if (pg.ncells > 1)
		snprintf(line, sizeof line, "[%zu/%zu] %s on %s%s  cell %s  elapsed %s"
		         "  remaining ~%s", pg.cell + 1, pg.ncells, pg.alloc, pg.trace, pass, ce,
		         e, r);
	else
		snprintf(line, sizeof line, "%s on %s%s  elapsed %s", pg.alloc, pg.trace, pass, e);
	/* Never wider than the terminal: a wrapped line cannot be redrawn in place. */
	unsigned cols = progress_columns(STDERR_FILENO);
	size_t max = cols > 1 ? cols - 1 : 1;
	if (strlen(line) > max)
		line[max] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	pg.drawn = 1;
}

static void tick(void)
{
	if (pg.on)
		draw();
}

void progress_start(int on, size_t ncells)
{
	memset(&pg, 0, sizeof pg);
	pg.on = on;
	pg.ncells = ncells;
	pg.t0 = mono_s();
	isolate_tick = on ? tick : NULL;
}

void progress_cell(size_t i, const char *alloc, const char *trace_path, uint64_t nops,
                   unsigned runs)
{
	static char shown[1024];   /* the name escaped: it may hold control characters */
	const char *base = strrchr(trace_path, '/');
	pg.cell = i;
	pg.alloc = alloc;
	pg.trace = safe_text(shown, sizeof shown, base ? base + 1 : trace_path);
	pg.nops = nops;
	pg.runs = runs;
	pg.cell_t0 = mono_s();
	/* One cell alone draws only when it lasts (the tick, after a second). */
	if (pg.on && pg.ncells > 1)
		draw();
}

void progress_clear(void)
{
	if (pg.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pg.drawn = 0;
	}
}

void progress_stop(void)
{
	progress_clear();
	isolate_tick = NULL;
	pg.on = 0;
}
