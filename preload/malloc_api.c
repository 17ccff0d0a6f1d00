/*
 * malloc_api.c - the C library's malloc family on one heaplab allocator, so
 * that a real program can run on it through LD_PRELOAD.
 *
 * The file is compiled once per allocator with -DHEAPLAB_ALLOCATOR=alloc_<x>
 * and linked against a static archive of the position-independent allocator
 * objects, so each build/lib/libheaplab-<name>.so holds this wrapper, the one
 * allocator file defining that table (with the shared layer it is built on,
 * such as allocators/segfit.c), allocators/common.c and allocators/heap.c:
 * the very code the harness measures, never a second copy.
 *
 * Memory comes from the heap provider (allocators/heap.c, which never calls
 * malloc), opened lazily by the first call with a 64 GiB reservation
 * (HEAPLAB_HEAP_RESERVE and HEAPLAB_HEAP_LIMIT override it), so every request,
 * however large, is served by the allocator itself and shows in its figures.
 *
 * Threads: one process-wide pthread mutex around every entry point - the
 * allocators are single-threaded by design and a benchmark of their layout
 * must not depend on a locking scheme.  Fork: pthread_atfork handlers hold the
 * lock across fork() and release it in both parent and child, so the child
 * finds the heap consistent and can allocate.
 *
 * Re-entry: if something called while the lock is held (the self-check's
 * vsnprintf, say) asks for memory on the same thread, it is served from a
 * small static bootstrap arena instead of deadlocking; that memory is never
 * reused and frees of it are ignored.
 *
 * Pointers that lie outside the heap (memory handed out before this library
 * took over) are not passed to the allocator: free ignores and counts them,
 * malloc_usable_size returns 0, realloc aborts with a message as glibc does
 * for a pointer it does not know.
 *
 * HEAPLAB_STATS=1 prints one line of figures at exit, HEAPLAB_CHECK=1 runs the
 * allocator's self-check at exit and prints what it found; both go to stderr,
 * or are appended to the file HEAPLAB_STATS_FILE names.  Output uses write(2)
 * only: stdio might allocate.
 */
#define _GNU_SOURCE
#include "allocators/allocator.h"
#include "allocators/heap.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HEAPLAB_ALLOCATOR
#error "compile with -DHEAPLAB_ALLOCATOR=alloc_<name> (the Makefile does)"
#endif
extern const struct allocator HEAPLAB_ALLOCATOR;
#define TABLE (&HEAPLAB_ALLOCATOR)

/*
 * The alignment of the blocks the allocator returns: a pointer that is not
 * aligned so is not one of its blocks.  A student's library (student/) is
 * built with 8, the textbook malloc lab's alignment; its memalign serves
 * anything above.
 */
#ifndef HEAPLAB_PTR_ALIGN
#define HEAPLAB_PTR_ALIGN HEAPLAB_ALIGN
#endif

#define EXPORT __attribute__((visibility("default")))

struct preload {
	pthread_mutex_t lock;          /* held around every call into the allocator     */
	int             ready;         /* 0 not set up, 1 working, -1 setup failed      */
	struct heap     heap;          /* the provider the allocator draws from         */
	void           *self;          /* the allocator's state, inside the heap        */
	uint64_t        malloc_calls;  /* malloc, calloc and the aligned variants       */
	uint64_t        realloc_calls; /* realloc and reallocarray with a pointer       */
	uint64_t        free_calls;    /* free of a non-NULL pointer                    */
	uint64_t        failed_calls;  /* allocations that returned NULL                */
	uint64_t        foreign_frees; /* frees of pointers not in the heap, ignored    */
	uint64_t        boot_allocs;   /* re-entrant requests served by the boot arena  */
};

static struct preload P = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Set while this thread is inside the library: a nested request must not lock. */
static __thread int in_heaplab __attribute__((tls_model("initial-exec")));

/* ---- output without stdio ---- */

struct line {
	char   buf[1024];   /* the message being built       */
	size_t len;         /* bytes used, never past the end */
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->len < sizeof l->buf - 1)
		l->buf[l->len++] = *s++;
}

static void put_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0 && l->len < sizeof l->buf - 1)
		l->buf[l->len++] = tmp[--n];
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/*
 * A copy of stderr taken at start-up when a report was asked for: programs
 * such as coreutils close fd 2 in an atexit handler, before our destructor.
 */
static int report_fd = -1;
static dev_t report_dev;  /* what report_fd refers to, so that a program which */
static ino_t report_ino;  /* closed it and reused the number is not written to */

static int report_fd_if_same(void)
{
	struct stat st;
	if (report_fd >= 0 && fstat(report_fd, &st) == 0 &&
	    st.st_dev == report_dev && st.st_ino == report_ino)
		return report_fd;
	return 2;
}

/* Send a finished line to HEAPLAB_STATS_FILE (appended) or to stderr. */
static void emit(struct line *l)
{
	l->buf[l->len++] = '\n';
	const char *path = getenv("HEAPLAB_STATS_FILE");
	int fd = report_fd_if_same();
	if (path && *path) {
		int f = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (f >= 0) {
			write_all(f, l->buf, l->len);
			close(f);
			return;
		}
	}
	write_all(fd, l->buf, l->len);
}

static void line_start(struct line *l)
{
	l->len = 0;
	put_str(l, "heaplab: ");
	put_str(l, TABLE->name);
	put_str(l, ": pid ");
	put_u64(l, (uint64_t)getpid());
	put_str(l, " (");
	put_str(l, program_invocation_short_name);
	put_str(l, "): ");
}

/* ---- the bootstrap arena, for requests made from inside the library ---- */

#define BOOT_SIZE (256 * 1024)
static _Alignas(4096) char boot_arena[BOOT_SIZE];
static size_t boot_used;  /* bytes handed out; only grows (atomically) */

static int boot_owns(const void *p)
{
	return (const char *)p >= boot_arena && (const char *)p < boot_arena + BOOT_SIZE;
}

/* Each block has its size in the 16 bytes (or more, for alignment) before it. */
static void *boot_alloc(size_t align, size_t size)
{
	if (align < HEAPLAB_ALIGN)
		align = HEAPLAB_ALIGN;
	if (size > BOOT_SIZE || align > BOOT_SIZE / 2) {
		errno = ENOMEM;
		return NULL;
	}
	size_t need = align_up(size ? size : 1, HEAPLAB_ALIGN) + align;
	size_t start = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
	if (need > BOOT_SIZE || start > BOOT_SIZE - need) {
		errno = ENOMEM;
		return NULL;
	}
	char *p = (char *)align_up((uintptr_t)boot_arena + start + HEAPLAB_ALIGN, align);
	((size_t *)p)[-1] = size;
	__atomic_fetch_add(&P.boot_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static size_t boot_size(const void *p) { return ((const size_t *)p)[-1]; }

/* ---- set-up and locking ---- */

/* A size from the environment: digits with an optional K, M, G or T suffix. */
static size_t env_size(const char *name)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	}
	if (v > (SIZE_MAX >> shift))
		return SIZE_MAX;
	return (size_t)v << shift;
}

static void say(const char *what)
{
	struct line l;
	line_start(&l);
	put_str(&l, what);
	l.buf[l.len++] = '\n';
	write_all(2, l.buf, l.len);
}

static void setup(void)
{
	size_t reserve = env_size("HEAPLAB_HEAP_RESERVE"), limit = env_size("HEAPLAB_HEAP_LIMIT");
	/* Without HEAPLAB_HEAP_RESERVE, as much as the address-space limit allows. */
	if ((reserve ? heap_open(&P.heap, reserve, limit)
	             : heap_open_fitting(&P.heap, limit, NULL)) != 0) {
		say("cannot reserve the heap's address space; every allocation will fail");
		P.ready = -1;
		return;
	}
	P.self = TABLE->init(&P.heap);
	if (!P.self) {
		say("the allocator's init failed; every allocation will fail");
		P.ready = -1;
		return;
	}
	P.ready = 1;
}

/* Take the lock; 0 when this thread is already inside (serve it elsewhere). */
static inline int enter(void)
{
	if (__builtin_expect(in_heaplab, 0))
		return 0;
	in_heaplab = 1;
	pthread_mutex_lock(&P.lock);
	if (__builtin_expect(P.ready == 0, 0))
		setup();
	return 1;
}

static inline void leave(void)
{
	pthread_mutex_unlock(&P.lock);
	in_heaplab = 0;
}

static inline int in_heap(const void *p)
{
	return ((uintptr_t)p & (HEAPLAB_PTR_ALIGN - 1)) == 0 && heap_contains(&P.heap, p, 1);
}

static void fork_prepare(void) { in_heaplab = 1; pthread_mutex_lock(&P.lock); }
static void fork_parent(void)  { pthread_mutex_unlock(&P.lock); in_heaplab = 0; }
static void fork_child(void)
{
	/* Only the forking thread survives; it held the lock, so reset it. */
	pthread_mutex_init(&P.lock, NULL);
	in_heaplab = 0;
}

static int env_flag(const char *name);

__attribute__((constructor)) static void heaplab_preload_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	const char *path = getenv("HEAPLAB_STATS_FILE");
	struct stat st;
	if (!(env_flag("HEAPLAB_STATS") || env_flag("HEAPLAB_CHECK")) || (path && *path))
		return;
	report_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
	if (report_fd >= 0 && fstat(report_fd, &st) == 0) {
		report_dev = st.st_dev;
		report_ino = st.st_ino;
	} else if (report_fd >= 0) {
		close(report_fd);
		report_fd = -1;
	}
}

/* ---- the exit report ---- */

static int env_flag(const char *name)
{
	const char *s = getenv(name);
	return s && *s && strcmp(s, "0") != 0;
}

__attribute__((destructor)) static void heaplab_preload_fini(void)
{
	int stats = env_flag("HEAPLAB_STATS"), check = env_flag("HEAPLAB_CHECK");
	if (!stats && !check)
		return;
	if (in_heaplab)
		return;
	/* Not enter(): a process that never allocated has no heap to set up. */
	in_heaplab = 1;
	pthread_mutex_lock(&P.lock);

	struct check_findings findings = { 0 };
	unsigned long violations = 0;
	if (check && P.ready > 0)
		violations = TABLE->check(P.self, &findings);

	struct line l;
	if (stats) {
		line_start(&l);
		put_str(&l, "peak break ");     put_u64(&l, P.heap.peak_brk);
		put_str(&l, " bytes, final break "); put_u64(&l, P.heap.brk);
		put_str(&l, " bytes, provider calls "); put_u64(&l, P.heap.calls);
		put_str(&l, " (grow ");         put_u64(&l, P.heap.grow_calls);
		put_str(&l, ", shrink ");       put_u64(&l, P.heap.shrink_calls);
		put_str(&l, ", refused ");      put_u64(&l, P.heap.refused_calls);
		put_str(&l, "), malloc calls "); put_u64(&l, P.malloc_calls);
		put_str(&l, ", realloc calls "); put_u64(&l, P.realloc_calls);
		put_str(&l, ", free calls ");   put_u64(&l, P.free_calls);
		put_str(&l, ", failed ");       put_u64(&l, P.failed_calls);
		put_str(&l, ", foreign frees "); put_u64(&l, P.foreign_frees);
		put_str(&l, ", boot allocs ");  put_u64(&l, P.boot_allocs);
		emit(&l);
	}
	if (check) {
		line_start(&l);
		put_str(&l, "self-check: ");
		put_u64(&l, violations);
		put_str(&l, violations == 1 ? " violation" : " violations");
		if (P.ready <= 0)
			put_str(&l, " (heap never set up)");
		for (unsigned i = 0; i < findings.nmessages; i++) {
			put_str(&l, i ? "; " : ": ");
			put_str(&l, findings.messages[i]);
		}
		emit(&l);
		/* Violations also go to stderr when a file took the report. */
		const char *path = getenv("HEAPLAB_STATS_FILE");
		if (violations && path && *path)
			write_all(report_fd_if_same(), l.buf, l.len);
	}
	leave();
}

/* ---- the malloc family ---- */

static void *fail_nomem(void)
{
	errno = ENOMEM;
	return NULL;
}

/* Every allocating entry ends here; align <= HEAPLAB_PTR_ALIGN means plain malloc. */
static void *allocate(size_t align, size_t size, int zero)
{
	if (size > PTRDIFF_MAX)
		return fail_nomem();
	if (!enter()) {
		void *b = boot_alloc(align, size);
		if (b && zero)
			memset(b, 0, size);
		return b;
	}
	void *p = NULL;
	if (P.ready > 0) {
		if (align > HEAPLAB_PTR_ALIGN)
			p = TABLE->memalign(P.self, align, size);
		else if (zero)
			p = TABLE->calloc(P.self, 1, size);
		else
			p = TABLE->malloc(P.self, size);
	}
	P.malloc_calls++;
	if (!p)
		P.failed_calls++;
	leave();
	return p ? p : fail_nomem();
}

EXPORT void *malloc(size_t size)
{
	return allocate(0, size, 0);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total))
		return fail_nomem();
	return allocate(0, total, 1);
}

EXPORT void free(void *ptr)
{
	if (!ptr || boot_owns(ptr))
		return;
	int saved = errno;
	if (!enter())
		return;  /* a free from inside the library: leak rather than re-enter */
	P.free_calls++;
	if (P.ready > 0 && in_heap(ptr))
		TABLE->free(P.self, ptr);
	else
		P.foreign_frees++;
	leave();
	errno = saved;
}

__attribute__((noreturn)) static void die_foreign(const char *what)
{
	say(what);
	abort();
}

EXPORT void *realloc(void *ptr, size_t size)
{
	if (!ptr)
		return malloc(size);
	if (boot_owns(ptr)) {
		void *q = malloc(size);
		if (q) {
			size_t old = boot_size(ptr);
			memcpy(q, ptr, old < size ? old : size);
		}
		return q;
	}
	if (size > PTRDIFF_MAX)
		return fail_nomem();
	if (!enter())
		return fail_nomem();
	if (P.ready <= 0 || !in_heap(ptr)) {
		leave();
		die_foreign("realloc of a pointer that is not in the heap");
	}
	void *q = TABLE->realloc(P.self, ptr, size);
	P.realloc_calls++;
	if (!q)
		P.failed_calls++;
	leave();
	return q ? q : fail_nomem();
}

EXPORT void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total))
		return fail_nomem();
	return realloc(ptr, total);
}

/* memalign semantics as glibc has them: a non-power-of-two rounds up. */
EXPORT void *memalign(size_t align, size_t size)
{
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_pow2(align))
		align = align <= 1 ? 1 : (size_t)1 << (64 - __builtin_clzll(align));
	return allocate(align, size, 0);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (align % sizeof(void *) != 0 || !is_pow2(align))
		return EINVAL;
	int saved = errno;
	void *p = allocate(align, size, 0);
	errno = saved;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!is_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return allocate(align, size, 0);
}

static size_t page_bytes(void)
{
	static size_t cached;
	if (!cached)
		cached = (size_t)sysconf(_SC_PAGESIZE);
	return cached;
}

EXPORT void *valloc(size_t size)
{
	return allocate(page_bytes(), size, 0);
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = page_bytes();
	if (size > SIZE_MAX - page)
		return fail_nomem();
	return allocate(page, align_up(size ? size : 1, page), 0);
}

EXPORT size_t malloc_usable_size(void *ptr)
{
	if (!ptr)
		return 0;
	if (boot_owns(ptr))
		return boot_size(ptr);
	if (!enter())
		return 0;
	size_t n = P.ready > 0 && in_heap(ptr) ? TABLE->usable_size(P.self, ptr) : 0;
	leave();
	return n;
}

/* For tests and curious programs: which allocator is serving this process. */
EXPORT const char *heaplab_allocator_name(void)
{
	return TABLE->name;
}
