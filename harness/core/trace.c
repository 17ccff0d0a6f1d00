/*
 * trace.c - read an allocation trace (native .trace or CS:APP .rep) into the
 * compact form of trace.h.  The formats are specified in workloads/README.md.
 *
 * Pass 1 reads the lines: plain "a 12 345" lines through a fast path, the
 * rest (comments, odd spacing, errors) through a general one; each field is
 * scanned by hand, with no allocation per line.  It checks everything that
 * needs no memory of earlier lines.  Pass 2 maps IDs to dense slots and
 * checks liveness; it runs over the compact ops, so it can prefetch the ID
 * map ahead of use instead of stalling on a cache miss per op.  Arrays live
 * in bulk (mmap) memory and grow by doubling with mremap, which moves pages
 * instead of copying them.
 *
 * Measured on the build machine (AMD EPYC, 2 cores shared with other jobs;
 * CPU time, best of 9) with generated 5,000,000-op native traces:
 *   - 57.7 MB, 2.5M distinct IDs freed at random: trace_parse ~205 MB/s
 *     (55 ns/op: pass 1 ~19 ns at ~600 MB/s, pass 2 ~24 ns, cache misses);
 *   - 49.0 MB, IDs reused (~100k distinct): ~285 MB/s (34 ns/op, pass 2 8 ns);
 *   - trace_load adds the read(): ~188 and ~250 MB/s;
 *   - SHA-256 of the bytes: 1.8 GB/s with the CPU's SHA instructions
 *     (portable C: 306 MB/s).
 * Wall-clock figures under load from other jobs were up to 2x lower.
 *
 * Every problem is reported at the first line that shows it, as
 * "FILE:LINE: what is wrong", and leaves the caller's trace empty.
 */
#define _GNU_SOURCE
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulk.h"
#include "fileio.h"
#include "sha256.h"
#include "trace_format.h"

/* How much of an offending field a message quotes. */
#define QUOTE_MAX             40

const char *const op_kind_name[OP_KINDS] = {
	[OP_MALLOC]   = "malloc",
	[OP_CALLOC]   = "calloc",
	[OP_REALLOC]  = "realloc",
	[OP_MEMALIGN] = "memalign",
	[OP_FREE]     = "free",
};

const char *trace_kind_name(unsigned kind)
{
	return kind < OP_KINDS ? op_kind_name[kind] : "unknown";
}

/* What pass 2 knows about one ID. */
struct id_state {
	uint64_t size;   /* bytes live under this ID while live (calloc: NMEMB*SIZE) */
	uint32_t line;   /* line of its last allocation, or of its free              */
	uint32_t slot1;  /* its slot + 1 (0: not seen yet), | ID_LIVE while live      */
};
_Static_assert(sizeof(struct id_state) == 16, "id_state packs into 16 bytes");
#define ID_LIVE    0x80000000u
/* So that slot + 1 never reaches ID_LIVE. */
#define MAX_SLOTS  0x7ffffffeu

/* The shape of one kind of operation line. */
struct op_form {
	uint8_t     kind;       /* enum op_kind                      */
	uint8_t     nfields;    /* numbers after the letter          */
	const char *form;       /* as documented, for messages       */
	const char *field[3];   /* names of the numbers, for messages */
};

static const struct op_form forms[OP_KINDS] = {
	[OP_MALLOC]   = { OP_MALLOC,   2, TRACE_STR_MALLOC " ID SIZE",       { "ID", "SIZE" } },
	[OP_CALLOC]   = { OP_CALLOC,   3, TRACE_STR_CALLOC " ID NMEMB SIZE", { "ID", "NMEMB", "SIZE" } },
	[OP_REALLOC]  = { OP_REALLOC,  2, TRACE_STR_REALLOC " ID SIZE",      { "ID", "SIZE" } },
	[OP_MEMALIGN] = { OP_MEMALIGN, 3, TRACE_STR_MEMALIGN " ID ALIGN SIZE", { "ID", "ALIGN", "SIZE" } },
	[OP_FREE]     = { OP_FREE,     1, TRACE_STR_FREE " ID",            { "ID" } },
};

static const char *const rep_header_names[4] = {
	"suggested heap size", "number of IDs", "number of operations", "weight",
};

/* One whitespace-separated field of a line. */
struct field {
	const char *s;  /* first byte */
	size_t      n;  /* length     */
};

struct parser {
	const char         *name;        /* file name for messages                          */
	const char         *next;        /* start of the next unread line                   */
	const char         *end;         /* end of the input                                */
	const char         *nul;         /* first NUL byte in the input, or end             */
	uint64_t            lineno;      /* number of the current line, from 1              */
	struct trace       *t;           /* being filled                                    */
	struct trace_error *err;         /* where a failure is described                    */
	enum trace_status   status;      /* TRACE_OK until something fails                  */

	size_t              ops_cap;     /* capacity of t->ops                              */
	size_t              line_cap;    /* capacity of t->line (equal unless growth failed) */
	size_t              calloc_cap;  /* capacity of t->calloc_nmemb                     */
	size_t              ids_cap;     /* capacity of t->slot_id                          */
	uint32_t            max_id;      /* largest ID written                              */

	struct id_state    *direct;      /* direct[ID]: the state of IDs below direct_cap   */
	size_t              direct_cap;  /* IDs below this are in direct, others in table   */
	uint64_t           *table;       /* other IDs: (index + 1) << 32 | ID; 0 is empty   */
	unsigned            table_bits;  /* the table has 2^table_bits entries (0: none)    */
	size_t              table_used;  /* entries in table                                */
	struct id_state    *sparse;      /* sparse[index]: the state of IDs in table        */
	size_t              sparse_cap;  /* capacity of sparse                              */

	unsigned __int128   live_bytes;  /* requested bytes live now (cannot overflow)      */
	unsigned __int128   peak_bytes;  /* highest live_bytes seen                         */
	uint64_t            live_blocks; /* blocks live now                                 */

	/* threads: `t TID` lines */
	uint32_t           *tid_dense;   /* tid_dense[TID]: its thread index + 1 (0: no op yet);
	                                    NULL until the first t line                     */
	uint16_t           *dense_tid;   /* dense_tid[index]: the TID, by first op            */
	uint32_t            cur_thread;  /* index of the ops' thread, or NO_THREAD: a TID
	                                    with no op yet (assigned at its first op)         */
	uint32_t            cur_tid;     /* the TID of the last t line (0 before any)         */
	uint32_t            nthreads;    /* indexes handed out (counting TID 0's implicit one) */

	/* .rep only */
	unsigned            rep_nheader;        /* header numbers read so far (0..4)        */
	uint32_t            rep_header_line[4]; /* where each header number was             */
};

/* ---- messages ---------------------------------------------------------- */

static enum trace_status vfail(struct parser *ps, enum trace_status status, uint64_t line,
                               const char *fmt, va_list ap)
{
	int n;
	if (line)
		n = snprintf(ps->err->message, sizeof ps->err->message, "%s:%llu: ",
		             ps->name, (unsigned long long)line);
	else
		n = snprintf(ps->err->message, sizeof ps->err->message, "%s: ", ps->name);
	if (n >= 0 && (size_t)n < sizeof ps->err->message)
		vsnprintf(ps->err->message + n, sizeof ps->err->message - (size_t)n, fmt, ap);
	ps->status = status;
	return status;
}

/* "FILE:LINE: ..." about line `line` (0: "FILE: ..."); returns TRACE_EINPUT. */
__attribute__((format(printf, 3, 4)))
static enum trace_status fail_at(struct parser *ps, uint64_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ps, TRACE_EINPUT, line, fmt, ap);
	va_end(ap);
	return TRACE_EINPUT;
}

#define fail(ps, ...) fail_at((ps), (ps)->lineno, __VA_ARGS__)

static enum trace_status out_of_memory(struct parser *ps)
{
	snprintf(ps->err->message, sizeof ps->err->message,
	         "%s: out of memory while reading the trace", ps->name);
	ps->status = TRACE_ESYSTEM;
	return TRACE_ESYSTEM;
}

/* A field as it can be quoted safely: printable ASCII kept, other bytes as \xNN. */
static const char *quote(struct field f, char buf[QUOTE_MAX * 4 + 4])
{
	static const char hex[] = "0123456789abcdef";
	char *o = buf;
	for (size_t i = 0; i < f.n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)f.s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*o++ = (char)c;
		} else {
			*o++ = '\\'; *o++ = 'x';
			*o++ = hex[c >> 4]; *o++ = hex[c & 15];
		}
	}
	if (f.n > QUOTE_MAX) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return buf;
}

/* ---- scanning ---------------------------------------------------------- */

/*
 * The next line as [*b, *e) without its LF or CRLF ending.  Returns 1, or 0
 * at the end of the input, or -1 after reporting a bad line.
 */
static int next_line(struct parser *ps, const char **b, const char **e)
{
	if (ps->next >= ps->end)
		return 0;
	const char *start = ps->next;
	const char *nl = memchr(start, '\n', (size_t)(ps->end - start));
	const char *stop = nl ? nl : ps->end;
	ps->next = nl ? nl + 1 : ps->end;
	if (++ps->lineno > TRACE_MAX_LINES) {
		fail_at(ps, 0, "more than %u lines", TRACE_MAX_LINES);
		return -1;
	}
	if (ps->nul < stop) {
		fail(ps, "NUL byte at column %zu (is this a binary file?)",
		     (size_t)(ps->nul - start) + 1);
		return -1;
	}
	if (stop > start && stop[-1] == '\r')
		stop--;
	if (stop - start > TRACE_MAX_LINE) {
		fail(ps, "line is %zu bytes long (the limit is %d)",
		     (size_t)(stop - start), TRACE_MAX_LINE);
		return -1;
	}
	*b = start;
	*e = stop;
	return 1;
}

/* The next field of the line at *p, or 0 at its end or at a '#' comment. */
static inline int next_field(const char **p, const char *e, struct field *f)
{
	const char *q = *p;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q == e || *q == TRACE_COMMENT) {
		*p = e;
		return 0;
	}
	f->s = q;
	while (q < e && *q != ' ' && *q != '\t')
		q++;
	f->n = (size_t)(q - f->s);
	*p = q;
	return 1;
}

static inline int all_digits(struct field f)
{
	for (size_t i = 0; i < f.n; i++)
		if ((unsigned)(unsigned char)f.s[i] - '0' > 9)
			return 0;
	return f.n > 0;
}

/* The field as an unsigned decimal, or an error naming it `what`. */
static inline int parse_number(struct parser *ps, struct field f, const char *what,
                               uint64_t *out)
{
	char q[QUOTE_MAX * 4 + 4];
	uint64_t v = 0;
	/* 19 digits cannot overflow: no checks on the common path */
	if (f.n <= 19) {
		for (size_t i = 0; i < f.n; i++) {
			unsigned d = (unsigned)(unsigned char)f.s[i] - '0';
			if (d > 9)
				goto bad;
			v = v * 10 + d;
		}
		*out = v;
		return 0;
	}
	int overflow = 0;
	for (size_t i = 0; i < f.n; i++) {
		unsigned d = (unsigned)(unsigned char)f.s[i] - '0';
		if (d > 9)
			goto bad;
		overflow |= __builtin_mul_overflow(v, 10, &v);
		overflow |= __builtin_add_overflow(v, d, &v);
	}
	if (overflow) {
		fail(ps, "%s %s overflows 64 bits", what, quote(f, q));
		return -1;
	}
	*out = v;
	return 0;
bad:
	fail(ps, "%s \"%s\" is not a number (expected decimal digits only)", what, quote(f, q));
	return -1;
}

/* ---- growing arrays ---------------------------------------------------- */

/*
 * Ask for transparent huge pages on the big arrays: with 4 KiB pages,
 * faulting in the ops of a multi-million-op trace took a fifth of the load
 * time, and random lookups in the ID map missed the TLB.  Only a hint.
 */
static void *hint_huge(void *p, size_t bytes)
{
	if (p && bytes >= ((size_t)2 << 20))
		madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static int grow(void **p, size_t *cap, size_t elem, size_t min_cap)
{
	size_t n = *cap ? *cap * 2 : min_cap;
	void *q = hint_huge(bulk_resize(*p, *cap * elem, n * elem), n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* Pass 1 keeps the ID as written in op.slot; pass 2 replaces it by the slot. */
#define NO_THREAD     UINT32_MAX
#define TID_MAP_BYTES ((size_t)(TRACE_MAX_TID + 1) * sizeof(uint32_t))

/* The first op of TID cur_tid: give the TID the next dense thread index. */
static void assign_thread(struct parser *ps)
{
	ps->tid_dense[ps->cur_tid] = ps->nthreads + 1;
	ps->dense_tid[ps->nthreads] = (uint16_t)ps->cur_tid;
	ps->cur_thread = ps->nthreads++;
}

static inline int push_op(struct parser *ps, enum op_kind kind, uint32_t id, uint64_t size,
                   unsigned align_log2)
{
	struct trace *t = ps->t;
	if (__builtin_expect(ps->cur_thread == NO_THREAD, 0))
		assign_thread(ps);
	if (t->nops == ps->ops_cap || t->nops == ps->line_cap) {
		if ((t->nops == ps->ops_cap &&
		     grow((void **)&t->ops, &ps->ops_cap, sizeof *t->ops, 64)) ||
		    (t->nops == ps->line_cap &&
		     grow((void **)&t->line, &ps->line_cap, sizeof *t->line, 64)))
			return out_of_memory(ps), -1;
	}
	t->ops[t->nops] = (struct op){ .size = size, .slot = id, .kind = (uint8_t)kind,
	                               .align_log2 = (uint8_t)align_log2,
	                               .thread = (uint16_t)ps->cur_thread };
	t->line[t->nops] = (uint32_t)ps->lineno;
	t->nops++;
	t->count[kind]++;
	return 0;
}

/* ---- ID to state -------------------------------------------------------
 *
 * Most traces number their blocks densely (0, 1, 2... or reused small
 * numbers), so the state of IDs below a bound is kept in an array indexed by
 * the ID itself: one lookup, one cache line, and sequential IDs stay near
 * each other in memory (a hash scattered them over the whole table, which
 * made a 5M-op trace 5x slower).  The bound is DIRECT_SPARSENESS entries per
 * allocation in the trace, so the array never costs more than a few entries
 * per op; sparse IDs above it go through an open-addressing hash table.
 */
#define DIRECT_SPARSENESS  4
#define DIRECT_MIN         65536
/* Ops ahead of the current one whose ID state is fetched early. */
#define PREFETCH_DISTANCE  16

static inline size_t hash_id(uint32_t id, unsigned bits)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

static int rehash(struct parser *ps)
{
	unsigned bits = ps->table_bits ? ps->table_bits + 1 : 10;
	size_t n = (size_t)1 << bits;
	uint64_t *table = bulk_alloc(n * sizeof *table);
	if (!table)
		return -1;
	if (ps->table) {
		for (size_t i = 0, old = (size_t)1 << ps->table_bits; i < old; i++) {
			uint64_t entry = ps->table[i];
			if (!entry)
				continue;
			size_t h = hash_id((uint32_t)entry, bits);
			while (table[h])
				h = (h + 1) & (n - 1);
			table[h] = entry;
		}
		bulk_free(ps->table, ((size_t)1 << ps->table_bits) * sizeof *table);
	}
	ps->table = table;
	ps->table_bits = bits;
	return 0;
}

/* The state of `id`; NULL (or slot1 == 0 for a dense ID) when not seen yet. */
static inline struct id_state *find_state(const struct parser *ps, uint32_t id)
{
	if (id < ps->direct_cap)
		return &ps->direct[id];
	if (!ps->table_used)
		return NULL;
	size_t mask = ((size_t)1 << ps->table_bits) - 1;
	for (size_t h = hash_id(id, ps->table_bits);; h = (h + 1) & mask) {
		uint64_t entry = ps->table[h];
		if (!entry)
			return NULL;
		if ((uint32_t)entry == id)
			return &ps->sparse[(entry >> 32) - 1];
	}
}

/*
 * Give an ID seen for the first time its slot; `s` is what find_state
 * returned.  NULL when out of memory or slots (reported).
 */
static struct id_state *new_id(struct parser *ps, uint32_t id, struct id_state *s, uint32_t line)
{
	struct trace *t = ps->t;
	if (t->nslots >= MAX_SLOTS) {
		fail_at(ps, line, "more than %u distinct block IDs", MAX_SLOTS);
		return NULL;
	}
	if (!s) {
		/* keep the table at most half full so probes stay short */
		if ((ps->table_used + 1) * 2 > ((size_t)1 << ps->table_bits) && rehash(ps))
			return out_of_memory(ps), NULL;
		if (ps->table_used == ps->sparse_cap &&
		    grow((void **)&ps->sparse, &ps->sparse_cap, sizeof *ps->sparse, 1024))
			return out_of_memory(ps), NULL;
		size_t mask = ((size_t)1 << ps->table_bits) - 1;
		size_t h = hash_id(id, ps->table_bits);
		while (ps->table[h])
			h = (h + 1) & mask;
		ps->table[h] = (uint64_t)(ps->table_used + 1) << 32 | id;
		s = &ps->sparse[ps->table_used++];
	}
	s->slot1 = t->nslots + 1;
	t->slot_id[t->nslots++] = id;
	return s;
}

static inline void prefetch_state(const struct parser *ps, uint32_t id)
{
	if (id < ps->direct_cap)
		__builtin_prefetch(&ps->direct[id], 1);
	else if (ps->table_used)
		__builtin_prefetch(&ps->table[hash_id(id, ps->table_bits)]);
}

/* ---- pass 2: liveness and figures --------------------------------------- */

static void note_live(struct parser *ps)
{
	if (ps->live_bytes > ps->peak_bytes)
		ps->peak_bytes = ps->live_bytes;
	if (ps->live_blocks > ps->t->peak_live_blocks)
		ps->t->peak_live_blocks = ps->live_blocks;
}

/* Size the ID map and slot arrays from what pass 1 saw. */
static int prepare_resolve(struct parser *ps)
{
	struct trace *t = ps->t;
	size_t allocs = t->count[OP_MALLOC] + t->count[OP_CALLOC] + t->count[OP_MEMALIGN];
	size_t bound = DIRECT_SPARSENESS * allocs + DIRECT_MIN;
	ps->direct_cap = (size_t)ps->max_id + 1 < bound ? (size_t)ps->max_id + 1 : bound;
	ps->direct = hint_huge(bulk_alloc(ps->direct_cap * sizeof *ps->direct),
	                       ps->direct_cap * sizeof *ps->direct);
	/* distinct IDs <= allocations; untouched pages cost nothing */
	size_t ids = allocs ? allocs : 1;
	t->slot_id = bulk_alloc(ids * sizeof *t->slot_id);
	ps->ids_cap = t->slot_id ? ids : 0;
	if (!ps->direct || !t->slot_id)
		return out_of_memory(ps), -1;
	return 0;
}

/*
 * Pass 2: replace each op's ID by its slot, check that r and f name a live
 * block and a, c, m one that is not, and follow the live bytes and blocks.
 * Only ops before the first line pass 1 rejected are here, so an error found
 * now is the earliest in the file.
 */
static int resolve(struct parser *ps)
{
	struct trace *t = ps->t;
	struct op *ops = t->ops;
	size_t n = t->nops, ci = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_DISTANCE < n)
			prefetch_state(ps, ops[i + PREFETCH_DISTANCE].slot);
		struct op *op = &ops[i];
		uint32_t id = op->slot, line = t->line[i];
		struct id_state *s = find_state(ps, id);
		int seen = s && s->slot1;
		enum op_kind kind = op->kind;
		if (kind == OP_REALLOC || kind == OP_FREE) {
			if (!seen) {
				fail_at(ps, line, "%s of block %u, which is not live "
				        "(it was never allocated)", op_kind_name[kind], id);
				return -1;
			}
			if (!(s->slot1 & ID_LIVE)) {
				if (kind == OP_FREE)
					fail_at(ps, line, "double free of block %u "
					        "(already freed at line %u)", id, s->line);
				else
					fail_at(ps, line, "%s of block %u, which is not live "
					        "(freed at line %u)", op_kind_name[kind], id, s->line);
				return -1;
			}
			ps->live_bytes -= s->size;
			s->line = line;
			if (kind == OP_FREE) {
				s->slot1 &= ~ID_LIVE;
				ps->live_blocks--;
			} else {
				s->size = op->size;
				ps->live_bytes += op->size;
				note_live(ps);
			}
		} else {
			if (!seen) {
				if (!(s = new_id(ps, id, s, line)))
					return -1;
			} else if (s->slot1 & ID_LIVE) {
				fail_at(ps, line, "%s of block %u, which is already live "
				        "(allocated at line %u)", op_kind_name[kind], id, s->line);
				return -1;
			}
			uint64_t bytes = op->size;
			if (kind == OP_CALLOC && __builtin_mul_overflow(bytes, t->calloc_nmemb[ci++],
			                                                &bytes))
				bytes = UINT64_MAX;   /* never granted; counted as the most there is */
			s->size = bytes;
			s->line = line;
			s->slot1 |= ID_LIVE;
			ps->live_bytes += bytes;
			ps->live_blocks++;
			note_live(ps);
		}
		op->slot = (s->slot1 & ~ID_LIVE) - 1;
	}
	return 0;
}

/* ---- lines ------------------------------------------------------------- */

static int op_index(char letter)
{
	switch (letter) {
	case TRACE_LETTER_MALLOC:   return OP_MALLOC;
	case TRACE_LETTER_CALLOC:   return OP_CALLOC;
	case TRACE_LETTER_REALLOC:  return OP_REALLOC;
	case TRACE_LETTER_MEMALIGN: return OP_MEMALIGN;
	case TRACE_LETTER_FREE:     return OP_FREE;
	default:  return -1;
	}
}

static inline int accept_op(struct parser *ps, enum op_kind k, const uint64_t v[3]);

/*
 * `t TID`: the ops that follow belong to thread TID.  Ops before the first t
 * line are thread 0's.  Threads get dense indexes in the order of their
 * first op, so a t line that no op follows costs nothing.
 */
static int parse_thread(struct parser *ps, const char *p, const char *e)
{
	struct field f;
	uint64_t tid;
	char q[QUOTE_MAX * 4 + 4];
	if (!next_field(&p, e, &f)) {
		fail(ps, "missing TID (the form is \"t TID\")");
		return -1;
	}
	if (parse_number(ps, f, "TID", &tid))
		return -1;
	if (tid > TRACE_MAX_TID) {
		fail(ps, "TID %llu is too large (TIDs must be below %u)", (unsigned long long)tid,
		     TRACE_MAX_TID + 1);
		return -1;
	}
	if (next_field(&p, e, &f)) {
		fail(ps, "extra field \"%s\" (the form is \"t TID\")", quote(f, q));
		return -1;
	}
	if (!ps->tid_dense) {
		ps->tid_dense = bulk_alloc(TID_MAP_BYTES);
		ps->dense_tid = bulk_alloc(TID_MAP_BYTES);
		if (!ps->tid_dense || !ps->dense_tid)
			return out_of_memory(ps), -1;
		/* ops so far were the implicit thread 0's; with none, it has no index */
		if (ps->t->nops)
			ps->tid_dense[0] = 1;
		else
			ps->nthreads = 0;
	}
	ps->cur_tid = (uint32_t)tid;
	ps->cur_thread = ps->tid_dense[tid] ? ps->tid_dense[tid] - 1u : NO_THREAD;
	return 0;
}

/* One operation line whose first field is `op`; the rest starts at p. */
static int parse_op(struct parser *ps, struct field op, const char *p, const char *e)
{
	int rep = ps->t->format == TRACE_REP;
	if (!rep && op.n == 1 && op.s[0] == TRACE_LETTER_THREAD)
		return parse_thread(ps, p, e);
	int k = op.n == 1 ? op_index(op.s[0]) : -1;
	if (rep && (k == OP_CALLOC || k == OP_MEMALIGN))
		k = -1;
	if (k < 0) {
		char q[QUOTE_MAX * 4 + 4];
		if (rep)
			fail(ps, "unknown operation \"%s\" (a .rep file has only a, r and f)",
			     quote(op, q));
		else
			fail(ps, "unknown operation \"%s\" (expected a, c, r, m, f or t)",
			     quote(op, q));
		return -1;
	}
	const struct op_form *form = &forms[k];
	uint64_t v[3];
	struct field f;
	for (unsigned i = 0; i < form->nfields; i++) {
		if (!next_field(&p, e, &f)) {
			fail(ps, "missing %s (the form is \"%s\")", form->field[i], form->form);
			return -1;
		}
		if (parse_number(ps, f, form->field[i], &v[i]))
			return -1;
	}
	if (next_field(&p, e, &f)) {
		char q[QUOTE_MAX * 4 + 4];
		fail(ps, "extra field \"%s\" (the form is \"%s\")", quote(f, q), form->form);
		return -1;
	}
	return accept_op(ps, (enum op_kind)k, v);
}

/* An op whose fields have been read: check what needs no liveness, and keep it. */
static inline int accept_op(struct parser *ps, enum op_kind k, const uint64_t v[3])
{
	int rep = ps->t->format == TRACE_REP;
	uint64_t id = v[0];
	if (id > TRACE_MAX_ID) {
		fail(ps, "ID %llu is too large (IDs must be below 2^32)", (unsigned long long)id);
		return -1;
	}
	if (rep) {
		if (id >= ps->t->rep_num_ids && ps->t->rep_num_ids == 0) {
			fail(ps, "ID %llu is out of range: the header (line %u) declares no IDs",
			     (unsigned long long)id, ps->rep_header_line[1]);
			return -1;
		}
		if (id >= ps->t->rep_num_ids) {
			fail(ps, "ID %llu is out of range: the header (line %u) declares %llu IDs, "
			     "so IDs run from 0 to %llu", (unsigned long long)id,
			     ps->rep_header_line[1], (unsigned long long)ps->t->rep_num_ids,
			     (unsigned long long)ps->t->rep_num_ids - 1);
			return -1;
		}
		if (ps->t->nops == ps->t->rep_num_ops) {
			fail(ps, "more operations than the %llu the header (line %u) declares",
			     (unsigned long long)ps->t->rep_num_ops, ps->rep_header_line[2]);
			return -1;
		}
	}

	if (id > ps->max_id)
		ps->max_id = (uint32_t)id;
	switch (k) {
	case OP_CALLOC: {
		/* NMEMB x SIZE may overflow: a legitimate call, whose answer must be NULL. */
		if (ps->t->ncalloc == ps->calloc_cap &&
		    grow((void **)&ps->t->calloc_nmemb, &ps->calloc_cap,
		         sizeof *ps->t->calloc_nmemb, 512))
			return out_of_memory(ps), -1;
		ps->t->calloc_nmemb[ps->t->ncalloc++] = v[1];
		return push_op(ps, OP_CALLOC, (uint32_t)id, v[2], 0);
	}
	case OP_MEMALIGN: {
		uint64_t align = v[1];
		if (align == 0 || (align & (align - 1))) {
			fail(ps, "alignment %llu is not a power of two", (unsigned long long)align);
			return -1;
		}
		unsigned log2 = (unsigned)__builtin_ctzll(align);
		if (log2 > TRACE_MAX_ALIGN_LOG2) {
			fail(ps, "alignment %llu is absurdly large (the limit is 2^%d)",
			     (unsigned long long)align, TRACE_MAX_ALIGN_LOG2);
			return -1;
		}
		return push_op(ps, OP_MEMALIGN, (uint32_t)id, v[2], log2);
	}
	case OP_FREE:
		return push_op(ps, OP_FREE, (uint32_t)id, 0, 0);
	default:   /* a, r */
		return push_op(ps, k, (uint32_t)id, v[1], 0);
	}
}

/*
 * The common line, "a 12 345\n", read without the general machinery: no
 * leading blanks, no comment, numbers of at most 19 digits, within the next
 * FAST_WINDOW bytes, which the caller guarantees hold no NUL and lie inside
 * the input.  Returns 1 when it took the line, -1 after reporting an error,
 * 0 (nothing consumed) for anything else, which the general path then reads.
 */
#define FAST_WINDOW 96

static inline int fast_line(struct parser *ps)
{
	const char *p = ps->next, *lim = p + FAST_WINDOW;
	int k = op_index(*p);
	if (k < 0 || (ps->t->format == TRACE_REP && (k == OP_CALLOC || k == OP_MEMALIGN)))
		return 0;
	p++;
	uint64_t v[3];
	for (unsigned i = 0; i < forms[k].nfields; i++) {
		if (p >= lim || (*p != ' ' && *p != '\t'))
			return 0;
		do
			p++;
		while (p < lim && (*p == ' ' || *p == '\t'));
		const char *digits = p;
		uint64_t x = 0;
		unsigned d;
		while (p < lim && (d = (unsigned)(unsigned char)*p - '0') <= 9) {
			x = x * 10 + d;
			p++;
		}
		if (p == digits || p - digits > 19)
			return 0;
		v[i] = x;
	}
	while (p < lim && (*p == ' ' || *p == '\t'))
		p++;
	if (p < lim && *p == '\r')
		p++;
	if (p >= lim || *p != '\n')
		return 0;
	ps->next = p + 1;
	ps->lineno++;
	return accept_op(ps, (enum op_kind)k, v) ? -1 : 1;
}

/* One of the four numbers that open a .rep file. */
static int parse_rep_header(struct parser *ps, struct field first, const char *p, const char *e)
{
	unsigned i = ps->rep_nheader;
	const char *what = rep_header_names[i];
	char q[QUOTE_MAX * 4 + 4];
	struct field extra;
	if (first.n == 1 && op_index(first.s[0]) >= 0) {
		fail(ps, "truncated .rep header: expected the %s (header number %u of 4), "
		     "found \"%s\"", what, i + 1, quote(first, q));
		return -1;
	}
	uint64_t v;
	if (parse_number(ps, first, what, &v))
		return -1;
	if (next_field(&p, e, &extra)) {
		fail(ps, "extra field \"%s\" after the %s (a .rep header line holds one number)",
		     quote(extra, q), what);
		return -1;
	}
	uint64_t *dst[4] = { &ps->t->rep_heap_size, &ps->t->rep_num_ids,
	                     &ps->t->rep_num_ops, &ps->t->rep_weight };
	*dst[i] = v;
	ps->rep_header_line[i] = (uint32_t)ps->lineno;
	ps->rep_nheader++;
	return 0;
}

/* After the last line: what the whole file must satisfy. */
static int check_end(struct parser *ps)
{
	struct trace *t = ps->t;
	if (t->format == TRACE_REP && ps->rep_nheader > 0) {
		if (ps->rep_nheader < 4) {
			fail(ps, "truncated .rep header: the file ends after %u of its 4 numbers "
			     "(the %s is missing)", ps->rep_nheader,
			     rep_header_names[ps->rep_nheader]);
			return -1;
		}
		if (t->nops < t->rep_num_ops) {
			fail_at(ps, ps->rep_header_line[2], "the header declares %llu operations, "
			        "but the file has only %zu", (unsigned long long)t->rep_num_ops,
			        t->nops);
			return -1;
		}
		if (t->nslots < t->rep_num_ids) {
			fail_at(ps, ps->rep_header_line[1], "the header declares %llu IDs, "
			        "but only %u distinct IDs are used", (unsigned long long)t->rep_num_ids,
			        t->nslots);
			return -1;
		}
	}
	if (t->nops == 0) {
		fail_at(ps, 0, "no operations");
		return -1;
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------ */

static void release(struct parser *ps)
{
	struct trace *t = ps->t;
	bulk_free(ps->sparse, ps->sparse_cap * sizeof *ps->sparse);
	ps->sparse = NULL;
	if (ps->table)
		bulk_free(ps->table, ((size_t)1 << ps->table_bits) * sizeof *ps->table);
	ps->table = NULL;
	bulk_free(ps->direct, ps->direct_cap * sizeof *ps->direct);
	ps->direct = NULL;
	bulk_free(ps->tid_dense, TID_MAP_BYTES);
	ps->tid_dense = NULL;
	bulk_free(ps->dense_tid, TID_MAP_BYTES);
	ps->dense_tid = NULL;
	if (ps->status != TRACE_OK) {
		bulk_free(t->ops, ps->ops_cap * sizeof *t->ops);
		bulk_free(t->line, ps->line_cap * sizeof *t->line);
		bulk_free(t->calloc_nmemb, ps->calloc_cap * sizeof *t->calloc_nmemb);
		bulk_free(t->slot_id, ps->ids_cap * sizeof *t->slot_id);
		bulk_free(t->thread_tid, t->nthreads * sizeof *t->thread_tid);
		if (t->path)
			bulk_free(t->path, strlen(t->path) + 1);
		memset(t, 0, sizeof *t);
	}
}

static int shrink(void **p, size_t *cap, size_t n, size_t elem)
{
	if (*cap == n)
		return 0;
	void *q = bulk_resize(*p, *cap * elem, n * elem);
	if (!q && n)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/*
 * A recording cut short (its recorder killed before it could trim the file)
 * ends in the zero bytes preallocated for lines never written, maybe after
 * half a line: how many bytes after the last complete line to leave unread
 * (0 when the input does not end so).
 */
static size_t cut_short_tail(const char *data, size_t len)
{
	size_t cut = 0;
	while (cut < len && data[len - 1 - cut] == '\0')
		cut++;
	if (!cut || cut == len)
		return 0;
	size_t keep = len - cut;
	while (keep && data[keep - 1] != '\n')
		keep--;
	return keep ? len - keep : 0;
}

/* The trace's first arrays, sized for the likely number of ops.  0 or -1. */
static int start_trace(struct parser *ps, const char *name, size_t len)
{
	struct trace *t = ps->t;
	/* a typical op line is over 10 bytes; start near the likely size */
	size_t guess = len / 16 + 64;
	t->path = bulk_strdup(name);
	t->ops = hint_huge(bulk_alloc(guess * sizeof *t->ops), guess * sizeof *t->ops);
	ps->ops_cap = t->ops ? guess : 0;
	t->line = hint_huge(bulk_alloc(guess * sizeof *t->line), guess * sizeof *t->line);
	ps->line_cap = t->line ? guess : 0;
	if (!t->path || !t->ops || !t->line)
		return out_of_memory(ps), -1;
	return 0;
}

/* Pass 1: every line, until the end or the first line that cannot be read. */
static void scan_lines(struct parser *ps)
{
	struct trace *t = ps->t;
	const char *b, *e;
	int r, decided = 0;
	for (;;) {
		if (decided && (t->format == TRACE_NATIVE || ps->rep_nheader == 4) &&
		    ps->end - ps->next > FAST_WINDOW && ps->nul - ps->next > FAST_WINDOW &&
		    ps->lineno < TRACE_MAX_LINES - 1) {
			r = fast_line(ps);
			if (r > 0)
				continue;
			if (r < 0)
				break;
		}
		if ((r = next_line(ps, &b, &e)) <= 0)
			break;
		const char *p = b;
		struct field first;
		if (!next_field(&p, e, &first))
			continue;               /* blank or comment */
		if (!decided) {
			decided = 1;
			if (all_digits(first))
				t->format = TRACE_REP;
		}
		if (t->format == TRACE_REP && ps->rep_nheader < 4)
			r = parse_rep_header(ps, first, p, e);
		else
			r = parse_op(ps, first, p, e);
		if (r)
			break;
	}
}

/*
 * Pass 2 over the ops pass 1 read.  Pass 1 stopped at the first line it could
 * not read (if any); a liveness error before that line comes first.
 */
static void resolve_scanned(struct parser *ps)
{
	enum trace_status scanned = ps->status;
	struct trace_error scan_error;
	if (scanned == TRACE_EINPUT)
		scan_error = *ps->err;
	if (scanned != TRACE_ESYSTEM && ps->t->nops) {
		ps->status = TRACE_OK;
		if (prepare_resolve(ps) == 0 && resolve(ps) == 0 && scanned == TRACE_EINPUT) {
			*ps->err = scan_error;
			ps->status = TRACE_EINPUT;
		}
	}
	if (ps->status == TRACE_OK)
		check_end(ps);
}

/* A good trace: give back the unused tails, keep the threads and the figures. */
static void finish_trace(struct parser *ps, const char *data, size_t whole, size_t cut)
{
	struct trace *t = ps->t;
	/* the tails go so that trace_free can unmap by length */
	if (shrink((void **)&t->ops, &ps->ops_cap, t->nops, sizeof *t->ops) ||
	    shrink((void **)&t->line, &ps->line_cap, t->nops, sizeof *t->line) ||
	    shrink((void **)&t->slot_id, &ps->ids_cap, t->nslots, sizeof *t->slot_id) ||
	    shrink((void **)&t->calloc_nmemb, &ps->calloc_cap, t->ncalloc,
	           sizeof *t->calloc_nmemb)) {
		out_of_memory(ps);   /* shrinking a mapping practically never fails */
		return;
	}
	if (ps->tid_dense && !(ps->nthreads == 1 && ps->dense_tid[0] == 0)) {
		t->thread_tid = bulk_alloc(ps->nthreads * sizeof *t->thread_tid);
		if (!t->thread_tid) {
			out_of_memory(ps);
			return;
		}
		memcpy(t->thread_tid, ps->dense_tid, ps->nthreads * sizeof *t->thread_tid);
	}
	t->nthreads = ps->nthreads;
	t->peak_live_bytes = ps->peak_bytes > UINT64_MAX ? UINT64_MAX : (uint64_t)ps->peak_bytes;
	t->live_at_end = ps->live_blocks;
	t->file_bytes = whole;
	t->cut_short_bytes = cut;
	sha256_hex(data, whole, t->sha256);
}

enum trace_status trace_parse(const char *name, const char *data, size_t len,
                              struct trace *t, struct trace_error *err)
{
	if (!data)
		data = "";   /* (NULL, 0) is an empty input, not undefined pointer arithmetic */
	size_t whole = len, cut = cut_short_tail(data, len);
	len -= cut;
	struct parser ps = {
		.name = name, .next = data, .end = data + len, .t = t, .err = err,
		.cur_thread = 0, .nthreads = 1,   /* thread 0 until a t line says otherwise */
	};
	const char *nul = len ? memchr(data, '\0', len) : NULL;
	ps.nul = nul ? nul : ps.end;
	err->message[0] = '\0';
	memset(t, 0, sizeof *t);
	t->format = TRACE_NATIVE;

	if (start_trace(&ps, name, len) == 0) {
		scan_lines(&ps);
		resolve_scanned(&ps);
		if (ps.status == TRACE_OK)
			finish_trace(&ps, data, whole, cut);
	}
	release(&ps);
	return ps.status;
}

/* read_whole_fd's allocator: the trace's buffer comes from bulk.h. */
static void *bulk_grow(void *p, size_t old, size_t new_size)
{
	return p ? bulk_resize(p, old, new_size) : bulk_alloc(new_size);
}

static void bulk_release(void *p, size_t cap)
{
	bulk_free(p, cap);
}

enum trace_status trace_load(const char *path, struct trace *t, struct trace_error *err)
{
	memset(t, 0, sizeof *t);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err->message, sizeof err->message, "%s: cannot read: %s",
		         path, strerror(errno));
		return TRACE_EINPUT;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		snprintf(err->message, sizeof err->message, "%s: cannot read: %s",
		         path, strerror(e));
		return TRACE_EINPUT;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err->message, sizeof err->message, "%s: is a directory", path);
		return TRACE_EINPUT;
	}
	/* regular files are read in one go; pipes and the like grow the buffer */
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 1 << 16;
	size_t len = 0;
	char *buf = NULL;
	int e = read_whole_fd(fd, cap, SIZE_MAX, bulk_grow, bulk_release, &buf, &len, &cap);
	close(fd);
	if (e == ENOMEM) {
		snprintf(err->message, sizeof err->message,
		         "%s: out of memory reading the file", path);
		return TRACE_ESYSTEM;
	}
	if (e) {
		snprintf(err->message, sizeof err->message, "%s: cannot read: %s",
		         path, strerror(e));
		return TRACE_EINPUT;
	}
	enum trace_status status = trace_parse(path, buf, len, t, err);
	bulk_free(buf, cap);
	return status;
}

void trace_free(struct trace *t)
{
	bulk_free(t->ops, t->nops * sizeof *t->ops);
	bulk_free(t->line, t->nops * sizeof *t->line);
	bulk_free(t->calloc_nmemb, t->ncalloc * sizeof *t->calloc_nmemb);
	bulk_free(t->slot_id, (size_t)t->nslots * sizeof *t->slot_id);
	bulk_free(t->thread_tid, t->nthreads * sizeof *t->thread_tid);
	if (t->path)
		bulk_free(t->path, strlen(t->path) + 1);
	memset(t, 0, sizeof *t);
}

void trace_warn_cut_short(const struct trace *t, FILE *f)
{
	if (t->cut_short_bytes)
		fprintf(f, "bench: %s: warning: the last %llu bytes (zero bytes after the last "
		        "complete line: a recording cut short) are ignored\n", t->path,
		        (unsigned long long)t->cut_short_bytes);
}
