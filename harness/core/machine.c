/* machine.c - CPU model, core count and kernel, for the result's "machine" field. */
#define _GNU_SOURCE
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The first "model name" line of /proc/cpuinfo, trimmed; "" when there is none. */
static void cpu_model(char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		size_t n = strcspn(v, "\n");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		snprintf(out, len, "%.*s", (int)n, v);
		break;
	}
	fclose(f);
}

void machine_describe(struct machine_info *m)
{
	struct utsname u;

	memset(m, 0, sizeof *m);
	cpu_model(m->cpu, sizeof m->cpu);
	if (!m->cpu[0])
		snprintf(m->cpu, sizeof m->cpu, "unknown");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	m->cores = n > 0 ? (int)n : 1;
	if (uname(&u) == 0) {
		snprintf(m->os, sizeof m->os, "%s %s %s", u.sysname, u.release, u.version);
		snprintf(m->arch, sizeof m->arch, "%s", u.machine);
		snprintf(m->hostname, sizeof m->hostname, "%s", u.nodename);
	} else {
		snprintf(m->os, sizeof m->os, "unknown");
		snprintf(m->arch, sizeof m->arch, "unknown");
	}
	/* Identical cluster nodes, or one host under two set-ups, can be named. */
	const char *name = getenv("HEAPLAB_MACHINE");
	snprintf(m->name, sizeof m->name, "%s",
	         name && name[0] ? name : m->hostname[0] ? m->hostname : "unknown");
}
