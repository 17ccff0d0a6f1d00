/* count.c - instruction counts of a timed pass (see count.h). */
#define _GNU_SOURCE
#include "count.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

enum { EV_INSTRUCTIONS, EV_CYCLES, EV_L1D, EV_LL };

const char *count_method_name(int method)
{
	switch (method) {
	case COUNT_PERF:      return "perf_event";
	case COUNT_CALLGRIND: return "callgrind";
	}
	return NULL;
}

int count_method_parse(const char *text)
{
	if (!text || !*text || strcmp(text, "auto") == 0)
		return COUNT_AUTO;
	if (strcmp(text, "perf") == 0 || strcmp(text, "perf_event") == 0)
		return COUNT_PERF;
	if (strcmp(text, "callgrind") == 0)
		return COUNT_CALLGRIND;
	return -1;
}

/* ---- perf_event ---- */

static int perf_open(uint32_t type, uint64_t config)
{
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof pa);
	pa.size = sizeof pa;
	pa.type = type;
	pa.config = config;
	pa.disabled = 1;
	pa.exclude_kernel = 1;   /* the allocator's work; page faults are in rusage */
	pa.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &pa, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int count_perf_open(struct count_probe *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->method = COUNT_PERF;
	for (int k = 0; k < COUNT_EVENTS; k++)
		c->fd[k] = -1;
	c->fd[EV_INSTRUCTIONS] = perf_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
	if (c->fd[EV_INSTRUCTIONS] < 0) {
		int e = errno;
		snprintf(err, errlen, "perf_event_open (instructions): %s", strerror(e));
		return e ? e : ENOSYS;
	}
	/* The others are welcome, not required: a VM may pass some through only. */
	c->fd[EV_CYCLES] = perf_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
	c->fd[EV_L1D] = perf_open(PERF_TYPE_HW_CACHE, PERF_COUNT_HW_CACHE_L1D
	                          | (PERF_COUNT_HW_CACHE_OP_READ << 8)
	                          | (PERF_COUNT_HW_CACHE_RESULT_MISS << 16));
	c->fd[EV_LL] = perf_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES);
	return 0;
}

void count_perf_close(struct count_probe *c)
{
	for (int k = 0; k < COUNT_EVENTS; k++)
		if (c->fd[k] >= 0) {
			close(c->fd[k]);
			c->fd[k] = -1;
		}
}

int count_callgrind_ready(struct count_probe *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->method = COUNT_CALLGRIND;
	for (int k = 0; k < COUNT_EVENTS; k++)
		c->fd[k] = -1;
#ifdef HAVE_CALLGRIND
	if (RUNNING_ON_VALGRIND)
		return 0;
	snprintf(err, errlen, "not running under valgrind");
#else
	snprintf(err, errlen, "bench was built without valgrind's headers (valgrind/callgrind.h)");
#endif
	return -1;
}

void count_probe_begin(struct count_probe *c)
{
	if (c->method == COUNT_PERF) {
		for (int k = 0; k < COUNT_EVENTS; k++)
			if (c->fd[k] >= 0) {
				ioctl(c->fd[k], PERF_EVENT_IOC_RESET, 0);
				ioctl(c->fd[k], PERF_EVENT_IOC_ENABLE, 0);
			}
	}
#ifdef HAVE_CALLGRIND
	if (c->method == COUNT_CALLGRIND) {
		/* Instrumentation was off until now (--instr-atstart=no): the cache
		 * simulation starts cold here, as it does in every count. */
		CALLGRIND_START_INSTRUMENTATION;
		CALLGRIND_TOGGLE_COLLECT;
	}
#endif
}

void count_probe_end(struct count_probe *c)
{
#ifdef HAVE_CALLGRIND
	if (c->method == COUNT_CALLGRIND) {
		CALLGRIND_TOGGLE_COLLECT;
		CALLGRIND_STOP_INSTRUMENTATION;
	}
#endif
	if (c->method == COUNT_PERF) {
		for (int k = 0; k < COUNT_EVENTS; k++)
			if (c->fd[k] >= 0)
				ioctl(c->fd[k], PERF_EVENT_IOC_DISABLE, 0);
		for (int k = 0; k < COUNT_EVENTS; k++) {
			uint64_t v = 0;
			if (c->fd[k] >= 0 && read(c->fd[k], &v, sizeof v) == (ssize_t)sizeof v)
				c->value[k] = v;
			else if (c->fd[k] >= 0) {
				close(c->fd[k]);
				c->fd[k] = -1;   /* unreadable: not measured */
			}
		}
	}
}

void count_perf_figures(const struct count_probe *c, uint64_t ops, struct cost_figures *out)
{
	memset(out, 0, sizeof *out);
	out->method = COUNT_PERF;
	out->ops = ops;
	out->instructions = c->value[EV_INSTRUCTIONS];
	out->has_cycles = c->fd[EV_CYCLES] >= 0;
	out->cycles = c->value[EV_CYCLES];
	out->has_l1d = c->fd[EV_L1D] >= 0;
	out->l1d_misses = c->value[EV_L1D];
	out->has_ll = c->fd[EV_LL] >= 0;
	out->ll_misses = c->value[EV_LL];
}

/* ---- callgrind's output ---- */

/* The value of event `name` in a totals line, given the events line; -1 if absent. */
static int64_t event_value(const char *events, const char *totals, const char *name)
{
	char ev[512], tot[512];
	snprintf(ev, sizeof ev, "%s", events);
	snprintf(tot, sizeof tot, "%s", totals);
	char *es = NULL, *ts = NULL;
	char *e = strtok_r(ev, " \t\n", &es), *v = strtok_r(tot, " \t\n", &ts);
	for (; e; e = strtok_r(NULL, " \t\n", &es), v = v ? strtok_r(NULL, " \t\n", &ts) : NULL) {
		if (strcmp(e, name) != 0)
			continue;
		if (!v)
			return 0;   /* callgrind leaves trailing zero counts out */
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (errno || *end || n > INT64_MAX)
			return -1;
		return (int64_t)n;
	}
	return -1;
}

int count_read_callgrind(const char *path, uint64_t ops, struct cost_figures *out,
                         char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], events[512] = "", totals[512] = "";
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "events:", 7) == 0)
			snprintf(events, sizeof events, "%.500s", line + 7);
		else if (strncmp(line, "totals:", 7) == 0 || (strncmp(line, "summary:", 8) == 0
		                                               && !totals[0]))
			snprintf(totals, sizeof totals, "%.500s", line + (line[0] == 't' ? 7 : 8));
	}
	fclose(f);
	if (!events[0] || !totals[0]) {
		snprintf(err, errlen, "%s: no events or totals line (not a callgrind output)", path);
		return -1;
	}
	int64_t ir = event_value(events, totals, "Ir");
	if (ir < 0) {
		snprintf(err, errlen, "%s: no Ir (instructions) count", path);
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->method = COUNT_CALLGRIND;
	out->ops = ops;
	out->instructions = (uint64_t)ir;
	int64_t d1r = event_value(events, totals, "D1mr"), d1w = event_value(events, totals, "D1mw");
	int64_t dlr = event_value(events, totals, "DLmr"), dlw = event_value(events, totals, "DLmw");
	if (d1r >= 0 && d1w >= 0) {
		out->has_l1d = 1;
		out->l1d_misses = (uint64_t)(d1r + d1w);
	}
	if (dlr >= 0 && dlw >= 0) {   /* data, as for L1: the blocks, not the code */
		out->has_ll = 1;
		out->ll_misses = (uint64_t)(dlr + dlw);
	}
	return 0;
}
