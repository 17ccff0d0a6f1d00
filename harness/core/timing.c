/* timing.c - the timed pass's probe and touch modes (see timing.h). */
#define _GNU_SOURCE
#include "timing.h"
#include "monoclock.h"

#include "count.h"

#include <string.h>
#include <time.h>

static const char *const touch_names[TOUCH_MODES] = {
	[TOUCH_PAGES] = "pages", [TOUCH_NONE] = "none", [TOUCH_ALL] = "all",
};

const char *touch_name(int mode)
{
	return mode >= 0 && mode < TOUCH_MODES ? touch_names[mode] : "unknown";
}

int touch_parse(const char *name)
{
	for (int k = 0; k < TOUCH_MODES; k++)
		if (strcmp(name, touch_names[k]) == 0)
			return k;
	return -1;
}

void pass_probe_begin(struct pass_probe *p)
{
	getrusage(RUSAGE_SELF, &p->ru);
	p->wall = mono_ns();
	if (p->count)
		count_probe_begin(p->count);
}

static uint64_t tv_ns(const struct timeval *a, const struct timeval *b)
{
	int64_t d = ((int64_t)b->tv_sec - a->tv_sec) * 1000000 + (b->tv_usec - a->tv_usec);
	return d > 0 ? (uint64_t)d * 1000u : 0;
}

static uint64_t delta(long a, long b)
{
	return b > a ? (uint64_t)(b - a) : 0;
}

void pass_probe_end(struct pass_probe *p, struct pass_figures *f)
{
	struct rusage ru;
	if (p->count)
		count_probe_end(p->count);
	f->wall_ns = mono_ns() - p->wall;
	getrusage(RUSAGE_SELF, &ru);
	f->user_ns = tv_ns(&p->ru.ru_utime, &ru.ru_utime);
	f->sys_ns = tv_ns(&p->ru.ru_stime, &ru.ru_stime);
	f->minor_faults = delta(p->ru.ru_minflt, ru.ru_minflt);
	f->major_faults = delta(p->ru.ru_majflt, ru.ru_majflt);
	f->voluntary_switches = delta(p->ru.ru_nvcsw, ru.ru_nvcsw);
	f->involuntary_switches = delta(p->ru.ru_nivcsw, ru.ru_nivcsw);
}

const char *pass_figures_invalid(const struct pass_figures *f)
{
	/* A year of anything is no pass a child measured; it scribbled. */
	const uint64_t year_ns = 366ull * 24 * 3600 * 1000000000ull;
	if (f->wall_ns > year_ns || f->user_ns > year_ns * 256 || f->sys_ns > year_ns * 256)
		return "pass times";
	if (f->minor_faults > ((uint64_t)1 << 48) || f->major_faults > ((uint64_t)1 << 48) ||
	    f->voluntary_switches > ((uint64_t)1 << 48) ||
	    f->involuntary_switches > ((uint64_t)1 << 48))
		return "pass counters";
	return NULL;
}
