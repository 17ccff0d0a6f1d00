/* mempass.c - the memory pass (see mempass.h). */
#define _GNU_SOURCE
#include "mempass.h"

#include "bulk.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads /proc with open/read on the stack: no malloc, no stdio buffers. */
int64_t mempass_status_field(const char *field)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	size_t flen = strlen(field);
	for (char *line = buf; line && *line; ) {
		if (strncmp(line, field, flen) == 0) {
			long long kb = strtoll(line + flen, NULL, 10);
			return kb < 0 ? -1 : (int64_t)kb * 1024;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/* Resident bytes from /proc/self/statm through a descriptor kept open: ~4 us. */
static int64_t statm_resident(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strchr(buf, ' ');
	return p ? (int64_t)strtoll(p + 1, NULL, 10) * MEMPASS_PAGE : -1;
}

static int reset_hwm(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = write(fd, "5", 1) == 1 ? 0 : errno;
	close(fd);
	return err;
}

/* Write one byte in every page [p, p + n) spans: first and last byte included. */
static inline void touch(void *p, uint64_t n)
{
	volatile char *c = p;
	if (!n)
		return;
	c[0] = 1;
	uintptr_t a = ((uintptr_t)p & ~(uintptr_t)(MEMPASS_PAGE - 1)) + MEMPASS_PAGE;
	for (uintptr_t end = (uintptr_t)p + n; a < end; a += MEMPASS_PAGE)
		*(volatile char *)a = 1;
	c[n - 1] = 1;
}

static char failed_marker;
#define FAILED_BLOCK ((void *)&failed_marker)

/*
 * The replay itself: the timed loop's semantics, plus the writes.  Resident
 * memory can only fall when the allocator releases memory, so it is sampled
 * before every free and realloc and at the end: the highest sample is the
 * peak, up to memory released inside a malloc.
 */
static void replay_touching(const struct allocator *a, void *self, const struct trace *t,
                            void **ptrs, uint64_t *failed, int statm, int64_t *peak)
{
#define SAMPLE() do {                                             \
		int64_t rss_ = statm >= 0 ? statm_resident(statm) : -1; \
		if (rss_ > *peak)                                       \
			*peak = rss_;                                   \
	} while (0)
	const uint64_t *nmemb = t->calloc_nmemb;
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		void **slot = &ptrs[op->slot];
		uint64_t size = op->size;
		void *p;
		if (replay_progress)
			replay_progress->op = i;
		switch (op->kind) {
		case OP_MALLOC:
			p = a->malloc(self, op->size);
			goto allocated;
		case OP_CALLOC: {
			int overflow;
			uint64_t n = *nmemb++;
			p = a->calloc(self, n, op->size);
			size = mul_size(n, op->size, &overflow);
			goto allocated;
		}
		case OP_MEMALIGN:
			p = a->memalign(self, (size_t)1 << op->align_log2, op->size);
		allocated:
			if (!p) {
				++*failed;
				p = FAILED_BLOCK;
			} else {
				touch(p, size);
			}
			*slot = p;
			break;
		case OP_REALLOC:
			if (*slot == FAILED_BLOCK)
				break;
			SAMPLE();
			p = a->realloc(self, *slot, op->size);
			if (!p) {
				if (*slot && op->size == 0)
					*slot = FAILED_BLOCK;
				else if (!*slot)
					++*failed, *slot = FAILED_BLOCK;
				else
					++*failed;
				break;
			}
			touch(p, op->size);
			*slot = p;
			break;
		case OP_FREE:
			SAMPLE();
			if (*slot != FAILED_BLOCK)
				a->free(self, *slot);
			*slot = NULL;
			break;
		}
	}
	SAMPLE();
#undef SAMPLE
}

enum cell_status mempass_run(const struct allocator *a, const struct trace *t,
                             const struct run_options *opt, struct mempass_result *r)
{
	struct heap heap;
	size_t bytes = ((size_t)t->nslots + 1) * sizeof(void *);
	int err = 0;

	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < t->nops; i++)
		if (t->ops[i].slot >= t->nslots) {
			snprintf(r->note, sizeof r->note, "%s: op %zu: slot out of range", t->path, i);
			return CELL_BAD_INPUT;
		}
	void **ptrs = bulk_alloc(bytes);
	if (!ptrs) {
		snprintf(r->note, sizeof r->note, "cannot reserve memory for %u block pointers",
		         t->nslots);
		return CELL_SYSTEM;
	}
	/* Fault the array in now (bulk pages are untouched zero pages), so that
	 * its pages are in the baseline, not in the figure. */
	memset(ptrs, 0xff, bytes);
	memset(ptrs, 0, bytes);
	if (!opt->peer) {
		size_t reserve = opt->heap_limit ? opt->heap_limit : HEAP_DEFAULT_RESERVE;
		while ((err = heap_open(&heap, reserve, opt->heap_limit)) != 0
		       && !opt->heap_limit && reserve > HEAP_BASE_ALIGN)
			reserve /= 2;
		if (err) {
			bulk_free(ptrs, bytes);
			snprintf(r->note, sizeof r->note, "cannot reserve a heap: %s", strerror(err));
			return CELL_SYSTEM;
		}
	}
	/*
	 * Linux keeps RSS in per-CPU counters and /proc reads them without
	 * summing the per-CPU parts (each under a batch of ~32 pages): on one
	 * CPU the figure lags by at most one batch instead of one per CPU.
	 */
	cpu_set_t one;
	int cpu = sched_getcpu();
	CPU_ZERO(&one);
	if (cpu >= 0) {
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof one, &one);
	}
	/* Warm up what the measurement itself uses, then start the measurement. */
	int statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	int64_t base = -1, sampled = -1;
	mempass_status_field("VmRSS:");
	statm_resident(statm);
	if ((err = reset_hwm()) == 0)
		base = statm >= 0 ? statm_resident(statm) : mempass_status_field("VmRSS:");
	void *self = a->init(opt->peer ? NULL : &heap);
	enum cell_status s = CELL_OK;
	if (!self) {
		snprintf(r->note, sizeof r->note, "%s: init returned NULL", a->name);
		s = CELL_CHECK_FAILED;
	} else {
		replay_touching(a, self, t, ptrs, &r->failed_allocations, statm, &sampled);
		if (replay_progress)
			replay_progress->op = t->nops;
		int64_t hwm = mempass_status_field("VmHWM:");
		/* Both are lower bounds of the true peak: the kernel's mark can lag
		 * (per-CPU counters), samples can miss a peak inside a malloc. */
		if (sampled > hwm)
			hwm = sampled;
		if (base >= 0 && hwm >= 0) {
			r->measured = 1;
			r->baseline_bytes = (uint64_t)base;
			r->hwm_bytes = (uint64_t)hwm;
			r->peak_rss_bytes = hwm > base ? (uint64_t)(hwm - base) : 0;
		} else {
			snprintf(r->note, sizeof r->note, "cannot %s: %s",
			         err ? "reset VmHWM through /proc/self/clear_refs"
			             : "read /proc/self/status",
			         strerror(err ? err : ENOENT));
		}
	}
	if (statm >= 0)
		close(statm);
	if (!opt->peer)
		heap_close(&heap);
	bulk_free(ptrs, bytes);
	return s;
}
