/*
 * fuzz_trace.c - libFuzzer target: trace_parse on arbitrary bytes.
 *
 * The reader picks the format by content, so one target covers native
 * traces and CS:APP .rep files.  Besides what ASan and UBSan catch, each
 * input is held to the reader's contract:
 *   - failure: a message "NAME: ..." or "NAME:LINE: ..." and nothing left
 *     mapped;
 *   - success: every op has a known kind and a slot below nslots, lines never
 *     go backwards, the per-kind counts add up, f and r name a live slot and
 *     a, c, m one that is not (replayed here independently), live_at_end and
 *     peak_live_blocks agree with that replay, and trace_free unmaps exactly
 *     what the reader mapped.
 * Bulk memory (mmap) is invisible to ASan, so the target links with
 * -Wl,--wrap=bulk_* and keeps its own ledger of mappings: a leak, or a free
 * whose size disagrees with the mapping, aborts.
 *
 * Build and run: `make fuzz` (see the Makefile), crashes in build/fuzz/crashes.
 */
#include "harness/core/bulk.h"
#include "harness/core/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.trace"
#define PAGE 4096
#define LEDGER_MAX 64

void *__real_bulk_alloc(size_t bytes);
void *__real_bulk_resize(void *p, size_t old_bytes, size_t new_bytes);
void __real_bulk_free(void *p, size_t bytes);
char *__real_bulk_strdup(const char *s);

/* Mappings the reader holds now: address and page count. */
static struct { void *p; size_t pages; } ledger[LEDGER_MAX];
static size_t ledger_used;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_trace: %s\n", what);
	abort();
}

static size_t pages(size_t bytes) { return (bytes + PAGE - 1) / PAGE; }

static void note_map(void *p, size_t bytes)
{
	if (!p)
		return;
	if (ledger_used == LEDGER_MAX)
		die("more live bulk mappings than the ledger holds");
	ledger[ledger_used].p = p;
	ledger[ledger_used].pages = pages(bytes);
	ledger_used++;
}

static void note_unmap(void *p, size_t bytes)
{
	if (!p || !bytes)
		return;
	for (size_t i = 0; i < ledger_used; i++) {
		if (ledger[i].p != p)
			continue;
		if (ledger[i].pages != pages(bytes))
			die("bulk_free/bulk_resize size disagrees with the mapping");
		ledger[i] = ledger[--ledger_used];
		return;
	}
	die("bulk_free/bulk_resize of memory that is not mapped");
}

void *__wrap_bulk_alloc(size_t bytes)
{
	void *p = __real_bulk_alloc(bytes);
	note_map(p, bytes);
	return p;
}

void *__wrap_bulk_resize(void *p, size_t old_bytes, size_t new_bytes)
{
	void *q = __real_bulk_resize(p, old_bytes, new_bytes);
	if (q || new_bytes == 0 || !p) {
		note_unmap(p, old_bytes);
		note_map(q, new_bytes);
	}
	return q;
}

void __wrap_bulk_free(void *p, size_t bytes)
{
	note_unmap(p, bytes);
	__real_bulk_free(p, bytes);
}

char *__wrap_bulk_strdup(const char *s)
{
	char *d = __real_bulk_strdup(s);
	note_map(d, strlen(s) + 1);
	return d;
}

/* The trace as decoded must be one a replay can trust. */
static void check_trace(const struct trace *t)
{
	uint64_t count[OP_KINDS] = { 0 }, live = 0, peak = 0;
	if (t->nops == 0 || t->nslots == 0)
		die("accepted a trace without operations or blocks");
	unsigned char *alive = calloc(t->nslots, 1);
	if (!alive)
		die("out of memory");
	size_t ci = 0;
	for (size_t i = 0; i < t->nops; i++) {
		const struct op *op = &t->ops[i];
		if (op->kind >= OP_KINDS || op->slot >= t->nslots ||
		    op->thread >= (t->nthreads ? t->nthreads : 1))
			die("an op with a bad kind, slot or thread");
		if (i && t->line[i] <= t->line[i - 1])
			die("line numbers of ops do not increase");
		if (op->kind != OP_MEMALIGN && op->align_log2)
			die("align_log2 set on an op that is not memalign");
		if (op->align_log2 > 40)
			die("alignment above 2^40 accepted");
		count[op->kind]++;
		switch (op->kind) {
		case OP_FREE:
			if (!alive[op->slot])
				die("free of a slot that is not live accepted");
			alive[op->slot] = 0;
			live--;
			break;
		case OP_REALLOC:
			if (!alive[op->slot])
				die("realloc of a slot that is not live accepted");
			break;
		case OP_CALLOC:
			/* NMEMB x SIZE may overflow: a legitimate call whose answer is NULL */
			if (ci++ >= t->ncalloc)
				die("more calloc ops than NMEMB entries");
			/* fall through */
		default:
			if (alive[op->slot])
				die("allocation into a live slot accepted");
			alive[op->slot] = 1;
			if (++live > peak)
				peak = live;
		}
	}
	free(alive);
	if (ci != t->ncalloc)
		die("NMEMB entries left over");
	uint64_t sum = 0;
	for (int k = 0; k < OP_KINDS; k++) {
		if (count[k] != t->count[k])
			die("per-kind counts disagree with the ops");
		sum += count[k];
	}
	if (sum != t->nops)
		die("per-kind counts do not add up to nops");
	if (live != t->live_at_end || peak != t->peak_live_blocks)
		die("live_at_end or peak_live_blocks disagrees with a replay");
	if (t->file_bytes == 0 || strlen(t->sha256) != 64)
		die("file size or SHA-256 missing");
	if (t->format == TRACE_REP &&
	    (t->nops != t->rep_num_ops || t->nslots != t->rep_num_ids))
		die(".rep accepted with counts other than its header's");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace t;
	struct trace_error err;
	enum trace_status s = trace_parse(NAME, (const char *)data, size, &t, &err);
	if (s == TRACE_OK) {
		if (ledger_used == 0)
			die("a trace accepted with nothing mapped");
		check_trace(&t);
		trace_free(&t);
	} else {
		if (s != TRACE_EINPUT && s != TRACE_ESYSTEM)
			die("unknown status");
		if (strncmp(err.message, NAME ":", strlen(NAME ":")) != 0 ||
		    strlen(err.message) <= strlen(NAME ": "))
			die("an error message that does not start with the file name");
		if (strchr(err.message, '\n') || strchr(err.message, '\r'))
			die("an error message of more than one line");
		if (t.ops || t.nops || t.path)
			die("a failed parse left the trace filled");
	}
	if (ledger_used != 0)
		die("bulk memory left mapped after the trace was released");
	return 0;
}
