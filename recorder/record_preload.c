/*
 * record_preload.c - libheaplab-record.so, preloaded by `bench record` into the
 * program it records.  Every malloc, calloc, realloc, free and aligned
 * allocation the program makes is written, as it happens, as a line of a
 * native heaplab trace (format in workloads/README.md).
 *
 * How it works, and why:
 *  - The hooks call glibc's __libc_* entry points, so no dlsym (which itself
 *    allocates) is needed, and the recorder never calls malloc: its pointer ->
 *    ID map and its free-ID stack live in anonymous mmap'd memory.
 *  - Output goes into a MAP_SHARED mapping of the trace file, grown with
 *    ftruncate a window at a time.  Every byte stored is in the page cache at
 *    once, so when the program crashes or calls _exit the trace survives up to
 *    the last complete line; `bench record` then cuts the file after that line
 *    and appends a summary comment.
 *  - One lock orders everything.  free writes its line (and forgets the
 *    pointer) before handing the block back to glibc, and malloc writes its
 *    line after glibc returned the block: so when thread A frees p and thread
 *    B is given p again, A's "f" line precedes B's "a" line.  realloc holds the
 *    lock across the glibc call, because glibc may free the old block inside
 *    realloc and another thread could be handed it before we record the move.
 *  - Pointers the recorder never saw allocated (made before it loaded, or by
 *    the dynamic loader) are passed through and not written; nor are failed
 *    allocations.  So the trace never frees a block it did not allocate.
 *  - Threads: each thread gets a small number (0 for the first to allocate,
 *    then 1, 2, ... in order of first operation; gettid values would be
 *    large and sparse), and a `t N` line is written before an operation whose
 *    thread differs from the previous operation's.  A single-threaded program
 *    therefore writes no t line at all.  Numbers above 65535 (the format's
 *    limit) wrap: two real threads then share a trace thread, which is still
 *    a valid trace (their operations stay in the recorded order).
 *  - fork: pthread_atfork takes the lock across fork so the child never
 *    inherits it held.  By default the child stops recording (its operations
 *    are not in any trace); with HEAPLAB_RECORD_FOLLOW_FORK=1 it starts a
 *    fresh trace in OUT.<pid>, with an empty map, since the blocks it
 *    inherited were allocated in another trace.
 *  - exec: unless HEAPLAB_RECORD_FOLLOW_EXEC=1, the library removes itself
 *    from LD_PRELOAD in the environment as it loads, so programs the recorded
 *    one runs are not recorded.  With it, each later image records into
 *    OUT.<pid> (OUT.<pid>.<n> when that exists).  The one exception is the
 *    process bench started (HEAPLAB_RECORD_FIRST_PID): it keeps the library
 *    in LD_PRELOAD so that, if it execs another program (a wrapper script, a
 *    version manager's shim), the new image loads the library too and
 *    appends "PID EXE" to HEAPLAB_RECORD_EXEC_LOG: bench then names the
 *    program that was not recorded and suggests --follow-exec.
 *  - Every trace the library starts names its program (/proc/self/exe) and
 *    process in a `# program:` comment, which `bench info` shows.
 *
 * Environment (set by bench record): HEAPLAB_RECORD_OUT (the trace, which
 * bench has created with its header), HEAPLAB_RECORD_MAX_OPS, HEAPLAB_RECORD_
 * FOLLOW_FORK, HEAPLAB_RECORD_FOLLOW_EXEC, HEAPLAB_RECORD_STATE ("fresh" until
 * the first image claims the main file, then "taken").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gnu/libc-version.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The format's letters and limits; the only heaplab header included here. */
#include "../harness/core/trace_format.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void  __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

#define EXPORT     __attribute__((visibility("default")))
#define WINDOW     ((size_t)16 << 20)   /* file bytes mapped at a time            */
#define MAP_MIN    ((size_t)1 << 16)    /* initial pointer-map slots              */
#define MAX_LINE   96                   /* longest line written, with margin      */
#define LIB_NAME   "libheaplab-record.so"
_Static_assert(MAX_LINE <= TRACE_MAX_LINE, "a recorded line must be readable");

struct slot {
	uintptr_t ptr;  /* 0: empty                */
	uint32_t  id;   /* the block's trace ID    */
};

struct recorder {
	int          on;          /* recording (off: disabled, capped, or failed)  */
	int          fd;          /* the trace file                                */
	dev_t        dev;         /* its identity: the program may close our fd    */
	ino_t        ino;         /* and reuse the number (closefrom, dup2)         */
	char        *win;         /* mapped window of the file                     */
	size_t       win_off;     /* file offset of win[0]                         */
	size_t       off;         /* file offset of the next byte to write         */
	uint64_t     ops;         /* lines written                                 */
	uint64_t     max_ops;     /* stop after this many (0: no cap)              */
	int          follow_fork; /* children record to OUT.<pid>                  */
	struct slot *map;         /* open addressing, linear probing, by pointer   */
	size_t       map_cap;     /* slots (a power of two)                        */
	size_t       map_used;    /* occupied slots                                */
	uint32_t    *spare;       /* freed IDs, for reuse                          */
	size_t       nspare;
	size_t       spare_cap;
	uint32_t     next_id;     /* lowest ID never handed out                    */
	uint32_t     nthreads;    /* thread numbers handed out                     */
	uint32_t     last_thread; /* thread of the previous line (0 at the start)  */
	uint32_t     thread_gen;  /* bumped by fork, so the child renumbers        */
	char         out[4096];   /* path of the main trace                        */
};

static struct recorder rec;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Set while this thread is inside the recorder: anything allocated then (by
 * libc on our behalf) passes straight through. */
static __thread int busy __attribute__((tls_model("initial-exec")));
/* This thread's number + 1 (0: none yet), valid while my_gen == rec.thread_gen. */
static __thread uint32_t my_thread __attribute__((tls_model("initial-exec")));
static __thread uint32_t my_gen __attribute__((tls_model("initial-exec")));

/* ---- small helpers that never allocate ---------------------------------- */

static void *pages(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static char *put_u64(char *s, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*s++ = tmp[--n];
	return s;
}

static uint64_t get_u64(const char *s)
{
	uint64_t v = 0;
	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static const char *env(const char *name)
{
	size_t n = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* ---- output ---------------------------------------------------------- */

/* Map the window holding rec.off, growing the file to cover it. */
static int map_window(void)
{
	if (rec.win)
		munmap(rec.win, WINDOW);
	rec.win = NULL;
	rec.win_off = rec.off & ~(size_t)4095;
	struct stat st;
	if (fstat(rec.fd, &st) || st.st_dev != rec.dev || st.st_ino != rec.ino)
		return -1;   /* not our file any more: never truncate someone else's */
	if ((size_t)st.st_size < rec.win_off + WINDOW &&
	    ftruncate(rec.fd, (off_t)(rec.win_off + WINDOW)))
		return -1;
	void *w = mmap(NULL, WINDOW, PROT_READ | PROT_WRITE, MAP_SHARED, rec.fd,
	               (off_t)rec.win_off);
	if (w == MAP_FAILED)
		return -1;
	rec.win = w;
	return 0;
}

static void stop(void)
{
	rec.on = 0;
	if (rec.win)
		munmap(rec.win, WINDOW);
	rec.win = NULL;
	if (rec.fd >= 0) {
		struct stat st;   /* close it only if it is still ours */
		if (!fstat(rec.fd, &st) && st.st_dev == rec.dev && st.st_ino == rec.ino)
			close(rec.fd);
	}
	rec.fd = -1;
}

static void emit(const char *line, size_t len)
{
	if (rec.win && rec.off + len <= rec.win_off + WINDOW) {   /* the usual case */
		memcpy(rec.win + (rec.off - rec.win_off), line, len);
		rec.off += len;
		return;
	}
	for (size_t i = 0; i < len; i++) {   /* a line across two windows */
		if (rec.off - rec.win_off >= WINDOW && map_window()) {
			stop();
			return;
		}
		rec.win[rec.off++ - rec.win_off] = line[i];
	}
}

/* Before a line: a `t N` line when this thread is not the previous line's. */
static void note_thread(void)
{
	if (!my_thread || my_gen != rec.thread_gen) {
		my_thread = (rec.nthreads++ & TRACE_MAX_TID) + 1;
		my_gen = rec.thread_gen;
	}
	uint32_t me = my_thread - 1;
	if (me == rec.last_thread)
		return;
	char line[16], *s = line;
	*s++ = TRACE_LETTER_THREAD;
	*s++ = ' ';
	s = put_u64(s, me);
	*s++ = '\n';
	emit(line, (size_t)(s - line));
	rec.last_thread = me;
}

/* One trace line: the kind letter and up to three numbers. */
static void write_op(char kind, int n, uint64_t a, uint64_t b, uint64_t c)
{
	note_thread();
	if (!rec.on)
		return;
	char line[MAX_LINE], *s = line;
	*s++ = kind;
	uint64_t v[3] = { a, b, c };
	for (int i = 0; i < n; i++) {
		*s++ = ' ';
		s = put_u64(s, v[i]);
	}
	*s++ = '\n';
	emit(line, (size_t)(s - line));
	if (++rec.ops == rec.max_ops)
		stop();   /* capped: the program runs on, unrecorded */
}

/* ---- the pointer map -------------------------------------------------- */

/* MurmurHash3's finalizer: heap addresses share their high bits and step by
 * 16, so every output bit must depend on every input bit. */
static size_t hash(uintptr_t p, size_t cap)
{
	uint64_t h = (uint64_t)p;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h & (cap - 1);
}

static int map_grow(void)
{
	size_t cap = rec.map_cap ? rec.map_cap * 2 : MAP_MIN;
	struct slot *m = pages(cap * sizeof *m);
	if (!m)
		return -1;
	for (size_t i = 0; i < rec.map_cap; i++) {
		if (!rec.map[i].ptr)
			continue;
		size_t j = hash(rec.map[i].ptr, cap);
		while (m[j].ptr)
			j = (j + 1) & (cap - 1);
		m[j] = rec.map[i];
	}
	if (rec.map)
		munmap(rec.map, rec.map_cap * sizeof *rec.map);
	rec.map = m;
	rec.map_cap = cap;
	return 0;
}

static void map_reset(void)
{
	if (rec.map)
		munmap(rec.map, rec.map_cap * sizeof *rec.map);
	rec.map = NULL;
	rec.map_cap = rec.map_used = 0;
	rec.nspare = 0;
	rec.next_id = 0;
	rec.nthreads = 0;
	rec.last_thread = 0;
	rec.thread_gen++;
}

/* The slot holding p, or NULL. */
static struct slot *map_find(uintptr_t p)
{
	if (!rec.map)
		return NULL;
	for (size_t j = hash(p, rec.map_cap);; j = (j + 1) & (rec.map_cap - 1)) {
		if (rec.map[j].ptr == p)
			return &rec.map[j];
		if (!rec.map[j].ptr)
			return NULL;
	}
}

static int map_put(uintptr_t p, uint32_t id)
{
	if ((rec.map_used + 1) * 2 > rec.map_cap && map_grow())
		return -1;
	size_t j = hash(p, rec.map_cap);
	while (rec.map[j].ptr && rec.map[j].ptr != p)
		j = (j + 1) & (rec.map_cap - 1);
	if (!rec.map[j].ptr)
		rec.map_used++;
	rec.map[j] = (struct slot){ p, id };
	return 0;
}

/* Delete a slot, shifting later members of its probe run back (no tombstones). */
static void map_del(struct slot *s)
{
	size_t mask = rec.map_cap - 1, i = (size_t)(s - rec.map), j = i;
	rec.map[i].ptr = 0;
	rec.map_used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!rec.map[j].ptr)
			return;
		size_t k = hash(rec.map[j].ptr, rec.map_cap);
		/* move j to i unless its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		rec.map[i] = rec.map[j];
		rec.map[j].ptr = 0;
		i = j;
	}
}

static int spare_push(uint32_t id)
{
	if (rec.nspare == rec.spare_cap) {
		size_t cap = rec.spare_cap ? rec.spare_cap * 2 : 16384;
		uint32_t *s = pages(cap * sizeof *s);
		if (!s)
			return -1;
		if (rec.spare) {
			memcpy(s, rec.spare, rec.nspare * sizeof *s);
			munmap(rec.spare, rec.spare_cap * sizeof *s);
		}
		rec.spare = s;
		rec.spare_cap = cap;
	}
	rec.spare[rec.nspare++] = id;
	return 0;
}

/* ---- recording, always under the lock --------------------------------- */

/* A new block p: give it an ID and write its line. */
static void rec_new(void *p, char kind, int n, uint64_t a, uint64_t b)
{
	if (!rec.on || !p)
		return;
	uint32_t id = rec.nspare ? rec.spare[--rec.nspare] : rec.next_id++;
	if (map_put((uintptr_t)p, id)) {
		stop();
		return;
	}
	write_op(kind, n + 1, id, a, b);
}

/*
 * A calloc whose NMEMB x SIZE overflows, which the program made and which
 * failed, as it must: recorded with an ID of its own that stays taken (the
 * program got no block to free), so a replay asks every allocator the same.
 */
static void rec_overflow(uint64_t nmemb, uint64_t size)
{
	if (!rec.on)
		return;
	uint32_t id = rec.nspare ? rec.spare[--rec.nspare] : rec.next_id++;
	write_op(TRACE_LETTER_CALLOC, 3, id, nmemb, size);
}

/* A block about to be freed: write its line if it was recorded, forget it. */
static void rec_free(void *p)
{
	struct slot *s;
	if (!rec.on || !(s = map_find((uintptr_t)p)))
		return;
	uint32_t id = s->id;
	map_del(s);
	if (spare_push(id)) {
		stop();
		return;
	}
	write_op(TRACE_LETTER_FREE, 1, id, 0, 0);
}

/* ---- start-up, fork and exec ------------------------------------------- */

/* "# program: EXE (pid N)\n": which process image wrote this trace. */
static void emit_program_line(void)
{
	char line[PATH_MAX + 64], *s = line;
	static const char head[] = "# program: ";
	memcpy(s, head, sizeof head - 1);
	s += sizeof head - 1;
	ssize_t n = readlink("/proc/self/exe", s, PATH_MAX);
	if (n <= 0) {
		memcpy(s, "unknown", 7);
		n = 7;
	}
	for (ssize_t i = 0; i < n; i++)
		if (s[i] == '\n')
			s[i] = '?';
	s += n;
	memcpy(s, " (pid ", 6);
	s = put_u64(s + 6, (uint64_t)getpid());
	*s++ = ')';
	*s++ = '\n';
	emit(line, (size_t)(s - line));
}

/*
 * An image of the first process after an exec: append "PID EXE" to the log
 * bench reads when the program has ended.  No malloc: this runs before the
 * program's own code.
 */
static void log_exec(const char *log)
{
	char line[PATH_MAX + 32], *s = put_u64(line, (uint64_t)getpid());
	*s++ = ' ';
	ssize_t n = readlink("/proc/self/exe", s, PATH_MAX);
	if (n <= 0)
		return;
	s += n;
	*s++ = '\n';
	int fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)!write(fd, line, (size_t)(s - line));
	close(fd);
}

/* Start writing into the file `path` (which exists), after what it holds. */
static int start_file(const char *path, int create)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0666);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	rec.fd = fd;
	rec.dev = st.st_dev;
	rec.ino = st.st_ino;
	rec.off = (size_t)st.st_size;
	rec.win = NULL;
	rec.ops = 0;
	if (map_window()) {
		stop();
		return -1;
	}
	rec.on = 1;
	return 0;
}

/* OUT.<pid>, or OUT.<pid>.<n> if taken: a side trace for a child or exec'd image. */
static void start_side_file(void)
{
	char path[sizeof rec.out + 48];
	size_t n = strlen(rec.out);
	memcpy(path, rec.out, n);
	char *s = path + n;
	*s++ = '.';
	s = put_u64(s, (uint64_t)getpid());
	*s = 0;
	for (uint64_t k = 1; k < 1000; k++) {
		if (start_file(path, 1) == 0) {
			static const char head[] = TRACE_HEADER ", recorded by bench record "
			                           "(a child or exec'd program)\n";
			emit(head, sizeof head - 1);
			emit_program_line();
			return;
		}
		if (errno != EEXIST)
			return;
		char *t = s;
		*t++ = '.';
		t = put_u64(t, k);
		*t = 0;
	}
}

/* Take our own entry out of LD_PRELOAD, in place (no allocation). */
static void unpreload(void)
{
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11))
			continue;
		char *list = *e + 11, *w = list, *r = list;
		while (*r) {
			while (*r == ':' || *r == ' ')
				r++;
			char *start = r;
			while (*r && *r != ':' && *r != ' ')
				r++;
			size_t len = (size_t)(r - start), nl = strlen(LIB_NAME);
			if (!len || (len >= nl && !memcmp(start + len - nl, LIB_NAME, nl)))
				continue;
			if (w != list)
				*w++ = ':';
			memmove(w, start, len);
			w += len;
		}
		*w = 0;
		if (!*list) {   /* nothing left: drop the variable */
			char **d = e;
			do
				d[0] = d[1];
			while (*d++);
		}
		return;
	}
}

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&lock); }

static void after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	int was_on = rec.on;
	/* the parent's mapping and descriptor stay the parent's */
	stop();
	map_reset();
	if (was_on && rec.follow_fork)
		start_side_file();
}

__attribute__((constructor)) static void recorder_init(void)
{
	busy = 1;
	rec.fd = -1;
	const char *out = env("HEAPLAB_RECORD_OUT");
	const char *state = env("HEAPLAB_RECORD_STATE");
	const char *fe = env("HEAPLAB_RECORD_FOLLOW_EXEC");
	const char *ff = env("HEAPLAB_RECORD_FOLLOW_FORK");
	int follow_exec = fe && *fe == '1';
	rec.follow_fork = ff && *ff == '1';
	rec.max_ops = get_u64(env("HEAPLAB_RECORD_MAX_OPS"));
	const char *first = env("HEAPLAB_RECORD_FIRST_PID");
	int first_process = first && get_u64(first) == (uint64_t)getpid();
	int fresh = state && !strcmp(state, "fresh");
	if (!follow_exec && !first_process)
		unpreload();
	if (first_process && !fresh && env("HEAPLAB_RECORD_EXEC_LOG"))
		log_exec(env("HEAPLAB_RECORD_EXEC_LOG"));
	if (out && strlen(out) < sizeof rec.out && (fresh || follow_exec)) {
		strcpy(rec.out, out);
		pthread_atfork(before_fork, after_fork_parent, after_fork_child);
		pthread_mutex_lock(&lock);
		if (fresh) {
			/* the first image: claim the main trace (in place, same length) */
			memcpy((char *)state, "taken", 5);
			if (start_file(rec.out, 0) == 0)
				emit_program_line();
		} else {
			start_side_file();
		}
		pthread_mutex_unlock(&lock);
	}
	busy = 0;
}

/* ---- the hooks ------------------------------------------------------- */

EXPORT void *malloc(size_t size)
{
	void *p = __libc_malloc(size);
	if (p && !busy && rec.on) {
		busy = 1;
		pthread_mutex_lock(&lock);
		rec_new(p, TRACE_LETTER_MALLOC, 1, size, 0);
		pthread_mutex_unlock(&lock);
		busy = 0;
	}
	return p;
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	void *p = __libc_calloc(nmemb, size);
	size_t bytes;
	if (!busy && rec.on && (p || __builtin_mul_overflow(nmemb, size, &bytes))) {
		busy = 1;
		pthread_mutex_lock(&lock);
		if (p)
			rec_new(p, TRACE_LETTER_CALLOC, 2, nmemb, size);
		else
			rec_overflow(nmemb, size);
		pthread_mutex_unlock(&lock);
		busy = 0;
	}
	return p;
}

EXPORT void free(void *p)
{
	if (p && !busy && rec.on) {
		busy = 1;
		pthread_mutex_lock(&lock);
		rec_free(p);   /* before the block can be handed to another thread */
		pthread_mutex_unlock(&lock);
		busy = 0;
	}
	__libc_free(p);
}

EXPORT void *realloc(void *p, size_t size)
{
	if (busy || !rec.on)
		return __libc_realloc(p, size);
	busy = 1;
	pthread_mutex_lock(&lock);
	void *q = __libc_realloc(p, size);
	if (!p) {
		rec_new(q, TRACE_LETTER_MALLOC, 1, size, 0);
	} else if (!size) {
		rec_free(p);     /* glibc: realloc(p, 0) frees p */
		if (q)           /* (and might one day return a new block) */
			rec_new(q, TRACE_LETTER_MALLOC, 1, 0, 0);
	} else if (q && rec.on) {
		struct slot *s = map_find((uintptr_t)p);
		if (!s) {
			rec_new(q, TRACE_LETTER_MALLOC, 1, size, 0);   /* an unseen block moved into view */
		} else {
			uint32_t id = s->id;
			if (q != p) {
				map_del(s);
				if (map_put((uintptr_t)q, id))
					stop();
			}
			if (rec.on)
				write_op(TRACE_LETTER_REALLOC, 2, id, size, 0);
		}
	}
	pthread_mutex_unlock(&lock);
	busy = 0;
	return q;
}

EXPORT void *reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

static size_t pow2_at_least(size_t a)
{
	size_t v = 1;
	while (v < a && v)
		v <<= 1;
	return v;
}

/* Every aligned allocation ends here; `align` is what glibc really used. */
static void *aligned(size_t align, size_t size, size_t rec_size, void *p)
{
	if (p && !busy && rec.on) {
		busy = 1;
		pthread_mutex_lock(&lock);
		rec_new(p, TRACE_LETTER_MEMALIGN, 2, align, rec_size);
		pthread_mutex_unlock(&lock);
		busy = 0;
	}
	(void)size;
	return p;
}

EXPORT void *memalign(size_t align, size_t size)
{
	/* glibc rounds a non-power-of-two alignment up, and treats small ones as
	 * its own minimum; the trace records the power of two actually honoured */
	return aligned(pow2_at_least(align), size, size, __libc_memalign(align, size));
}

/* glibc 2.38 made aligned_alloc reject an alignment that is not a power of
 * two; earlier ones round it up like memalign.  Behave as the installed one. */
static int aligned_alloc_strict(void)
{
	static int strict = -1;
	if (strict < 0) {
		const char *v = gnu_get_libc_version();   /* "2.36": static, no allocation */
		uint64_t major = get_u64(v), minor = 0;
		const char *dot = strchr(v, '.');
		if (dot)
			minor = get_u64(dot + 1);
		strict = major > 2 || (major == 2 && minor >= 38);
	}
	return strict;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (aligned_alloc_strict() && (!align || (align & (align - 1)))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(pow2_at_least(align), size, size, __libc_memalign(align, size));
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	int saved = errno;
	void *p = aligned(align, size, size, __libc_memalign(align, size));
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return aligned(page, size, size, __libc_valloc(size));
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t rounded = size ? (size + page - 1) & ~(page - 1) : page;
	return aligned(page, size, rounded, __libc_pvalloc(size));
}
