/* slots.c - one slot, and one core, per concurrent cell on a machine (slots.h). */
#define _GNU_SOURCE
#include "slots.h"

#include "../core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int lock_byte(int fd, unsigned n, int cmd, struct flock *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = F_WRLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)n;
	fl->l_len = 1;
	return fcntl(fd, cmd, fl);
}

/* The (index mod k)-th CPU of the k this process may use; -1 on failure. */
static int pin(unsigned index)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return -1;
	int k = CPU_COUNT(&set);
	if (k <= 0)
		return -1;
	int want = (int)(index % (unsigned)k);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set) || want-- > 0)
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		return sched_setaffinity(0, sizeof one, &one) == 0 ? cpu : -1;
	}
	return -1;
}

int slot_claim(const char *dir, int pin_it, struct slot *s, char *err, size_t errlen)
{
	struct utsname u;
	char path[PATH_MAX];
	int e;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->pinned_cpu = -1;
	if ((e = mkdir_p(dir, 0777))) {
		snprintf(err, errlen, "--slots: %s: %s", dir, strerror(e));
		return -1;
	}
	if (uname(&u) != 0)
		snprintf(u.nodename, sizeof u.nodename, "localhost");
	if (snprintf(path, sizeof path, "%s/%s.slots", dir, u.nodename) >= (int)sizeof path) {
		snprintf(err, errlen, "--slots: %s: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (s->fd < 0) {
		snprintf(err, errlen, "--slots: %s: %s", path, strerror(errno));
		return -1;
	}
	for (unsigned n = 0; n < SLOTS_MAX; n++) {
		struct flock fl;
		if (lock_byte(s->fd, n, F_SETLK, &fl) == 0) {
			s->index = n;
			s->pinned_cpu = pin_it ? pin(n) : -1;
			slot_sample(s);
			return 0;
		}
		if (errno != EACCES && errno != EAGAIN) {
			snprintf(err, errlen, "--slots: %s: cannot lock: %s", path, strerror(errno));
			break;
		}
		if (n + 1 == SLOTS_MAX)
			snprintf(err, errlen, "--slots: %s: all %d slots are taken", path, SLOTS_MAX);
	}
	close(s->fd);
	s->fd = -1;
	return -1;
}

void slot_sample(struct slot *s)
{
	if (s->fd < 0)
		return;
	/* F_GETLK names the first lock of another process in the range; ours never conflict. */
	unsigned held = 1;
	off_t from = 0;
	while (from < SLOTS_MAX) {
		struct flock fl;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = from;
		fl.l_len = SLOTS_MAX - from;
		if (fcntl(s->fd, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
			break;
		off_t len = fl.l_len > 0 ? fl.l_len : SLOTS_MAX - fl.l_start;
		held += (unsigned)len;
		from = fl.l_start + len;
	}
	if (held > s->most_running)
		s->most_running = held;
}

json_t *slot_json(const struct slot *s)
{
	return json_pack("{s:I, s:o}", "cells_running", (json_int_t)s->most_running,
	                 "pinned_cpu", s->pinned_cpu >= 0 ? json_integer(s->pinned_cpu)
	                                                  : json_null());
}

void slot_release(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
