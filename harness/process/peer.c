/*
 * peer.c - resolving --alloc names, probing libraries, and the "system"
 * adapter that replays a trace against the process's own malloc (peer.h).
 */
#define _GNU_SOURCE
#include "peer.h"
#include "progress.h"

#include "../core/bulk.h"
#include "../core/exitcodes.h"
#include "student.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the known peers ---- */

struct peer_def {
	const char *name;
	const char *description;
	const char *files[4];   /* sonames to look for, preferred first; NULL ends */
};

/* glibc is the process's own allocator: no file, no preload. */
static const struct peer_def peers[] = {
	{ "glibc", "the system allocator (glibc ptmalloc2), not preloaded", { NULL } },
	{ "jemalloc", "jemalloc (FreeBSD, Facebook), preloaded",
	  { "libjemalloc.so.2", "libjemalloc.so", NULL } },
	{ "tcmalloc", "tcmalloc from gperftools (Google), preloaded",
	  { "libtcmalloc_minimal.so.4", "libtcmalloc.so.4", "libtcmalloc_minimal.so", NULL } },
	{ "mimalloc", "mimalloc (Microsoft Research), preloaded",
	  { "libmimalloc.so.2", "libmimalloc.so.2.0", "libmimalloc.so", NULL } },
};
#define NPEERS (sizeof peers / sizeof peers[0])

static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
	"/usr/local/lib", NULL,
};

static int fmt_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

const char *peer_kind_name(enum alloc_kind kind)
{
	switch (kind) {
	case ALLOC_PEER:
	case ALLOC_LIBRARY: return "peer";
	case ALLOC_TEST:    return "test";
	case ALLOC_STUDENT: return "student";
	default:            return "builtin";
	}
}

/* The file that provides this process's malloc (libc for glibc). */
static void libc_path(char *buf, size_t len)
{
	Dl_info di;
	void *sym = dlsym(RTLD_DEFAULT, "mallinfo2");
	if (sym && dladdr(sym, &di) && di.dli_fname && di.dli_fname[0])
		snprintf(buf, len, "%s", di.dli_fname);
	else
		snprintf(buf, len, "libc.so.6");
}

/* The installed file of peer `p`, or 0. */
static int peer_file(const struct peer_def *p, char *buf, size_t len)
{
	struct stat st;
	if (!p->files[0]) {
		libc_path(buf, len);
		return 1;
	}
	for (size_t f = 0; p->files[f]; f++)
		for (size_t d = 0; lib_dirs[d]; d++) {
			snprintf(buf, len, "%s/%s", lib_dirs[d], p->files[f]);
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
				return 1;
		}
	return 0;
}

/*
 * "NAME  text", one line per allocator for scripts; on a terminal the text
 * is wrapped at spaces to stay within its width (at most 80 columns).
 */
static void list_entry(FILE *f, const char *name, const char *text)
{
	enum { INDENT = 17 };
	if (!isatty(fileno(f))) {
		fprintf(f, "%-16s %s\n", name, text);
		return;
	}
	unsigned cols = progress_columns(fileno(f));
	int WIDTH = cols > 80 ? 79 : cols < 40 ? 39 : (int)cols - 1;
	int col = fprintf(f, "%-16s ", name);
	while (*text) {
		size_t word = strcspn(text, " ");
		if (col > INDENT && col + (int)word > WIDTH) {
			fprintf(f, "\n%*s", INDENT, "");
			col = INDENT;
		}
		col += fprintf(f, "%.*s", (int)word, text);
		text += word;
		if (*text == ' ') {
			text++;
			if (*text && col + 1 + (int)strcspn(text, " ") <= WIDTH)
				col += fprintf(f, " ");
			else if (*text) {
				fprintf(f, "\n%*s", INDENT, "");
				col = INDENT;
			}
		}
	}
	fputc('\n', f);
}

void peer_list(FILE *f)
{
	char path[PATH_MAX], text[PATH_MAX + 256];
	for (size_t i = 0; i < allocator_count; i++)
		list_entry(f, allocator_registry[i]->name, allocator_registry[i]->description);
	for (size_t i = 0; i < NPEERS; i++) {
		if (peer_file(&peers[i], path, sizeof path))
			snprintf(text, sizeof text, "peer: %s (%s)", peers[i].description, path);
		else
			snprintf(text, sizeof text, "peer: not installed");
		list_entry(f, peers[i].name, text);
	}
	if (test_allocator_list)
		test_allocator_list(f);
}

/*
 * A sanitizer build refuses to start when a preloaded library comes before
 * its runtime; the peer's malloc is then simply the one the process uses.
 * Harmless for a plain build, which ignores ASAN_OPTIONS.
 */
void peer_sanitizer_env(void)
{
	char buf[1024];
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(buf, sizeof buf, "%s%sverify_asan_link_order=0:detect_leaks=0",
	         old ? old : "", old && old[0] ? ":" : "");
	setenv("ASAN_OPTIONS", buf, 1);
}

/* ---- probing a library, in a child ---- */

enum {
	HAS_MALLOC = 1, HAS_FREE = 2, HAS_CALLOC = 4, HAS_REALLOC = 8,
	HAS_MEMALIGN = 16, HAS_POSIX_MEMALIGN = 32, HAS_ALIGNED_ALLOC = 64,
};
static const char *const probe_names[] = {
	"malloc", "free", "calloc", "realloc", "memalign", "posix_memalign", "aligned_alloc",
};
#define NPROBE (sizeof probe_names / sizeof probe_names[0])

/* The object (link map) that defines the code at `addr`, or NULL. */
static struct link_map *owner_of(void *addr)
{
	Dl_info di;
	struct link_map *lm = NULL;
	if (!addr || !dladdr1(addr, &di, (void **)&lm, RTLD_DL_LINKMAP))
		return NULL;
	return lm;
}

struct probe_reply {
	int  loaded;        /* dlopen succeeded                */
	int  has;           /* HAS_* of functions it defines   */
	char message[400];  /* dlerror text when not loaded    */
};

/*
 * `bench __probe PATH FD`, run with LD_PRELOAD=PATH exactly as a peer cell
 * will be (some libraries, jemalloc among them, use initial-exec TLS and
 * cannot be dlopen'ed into a running process).  ld.so ignores a preload it
 * cannot load, so a library that is not loaded is dlopen'ed for dlerror's
 * text.  Writes a probe_reply to FD.
 */
int peer_probe_main(int argc, char **argv)
{
	struct probe_reply rep;
	if (argc != 3)
		return EXIT_USAGE;
	const char *path = argv[1];
	int fd = atoi(argv[2]);
	memset(&rep, 0, sizeof rep);
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!h)
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(rep.message, sizeof rep.message, "%s", e ? e : "cannot load it");
	} else {
		struct link_map *lm = NULL;
		rep.loaded = 1;
		dlinfo(h, RTLD_DI_LINKMAP, &lm);
		/* dlsym on a handle also searches its dependencies (libc): only a
		 * definition inside the library itself counts. */
		for (size_t k = 0; k < NPROBE; k++) {
			void *sym = dlsym(h, probe_names[k]);
			if (sym && owner_of(sym) == lm)
				rep.has |= 1 << k;
		}
	}
	ssize_t n = write(fd, &rep, sizeof rep);
	return n == (ssize_t)sizeof rep ? 0 : 1;
}

static int probe_library(const char *path, int *has, char *err, size_t errlen)
{
	int fds[2];
	struct stat st;
	if (stat(path, &st) != 0)
		return fmt_err(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fmt_err(err, errlen, "%s: not a shared library (not a regular file)", path);
	if (strpbrk(path, ": \t\n"))
		return fmt_err(err, errlen, "%s: a path with ':' or blanks cannot be preloaded",
		               path);
	if (pipe(fds) != 0)
		return fmt_err(err, errlen, "%s: cannot probe it: %s", path, strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]), close(fds[1]);
		return fmt_err(err, errlen, "%s: cannot probe it: %s", path, strerror(errno));
	}
	if (pid == 0) {
		char fd[16];
		char *argv[] = { "bench", "__probe", (char *)path, fd, NULL };
		int null = open("/dev/null", O_WRONLY);
		snprintf(fd, sizeof fd, "%d", fds[1]);
		close(fds[0]);
		if (null >= 0)
			dup2(null, STDERR_FILENO);  /* ld.so's own complaint: we say it better */
		setenv("LD_PRELOAD", path, 1);
		peer_sanitizer_env();
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fds[1]);
	struct probe_reply rep;
	size_t got = 0;
	while (got < sizeof rep) {
		ssize_t n = read(fds[0], (char *)&rep + got, sizeof rep - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof rep) {
		if (WIFSIGNALED(status))
			return fmt_err(err, errlen, "%s: crashed while loading (%s)", path,
			               strsignal(WTERMSIG(status)));
		return fmt_err(err, errlen, "%s: cannot be loaded", path);
	}
	rep.message[sizeof rep.message - 1] = '\0';
	if (!rep.loaded)
		return fmt_err(err, errlen, "%s", rep.message);
	for (size_t k = 0; k < 4; k++)
		if (!(rep.has & (1 << k)))
			return fmt_err(err, errlen, "%s: does not export %s", path, probe_names[k]);
	*has = rep.has;
	return 0;
}

/* ---- resolving names ---- */

static int is_path(const char *name)
{
	size_t n = strlen(name);
	return strchr(name, '/') || (n > 3 && strcmp(name + n - 3, ".so") == 0);
}

static void set_peer_table(struct alloc_spec *s)
{
	s->renamed = *s->table;
	s->renamed.name = s->name;
	s->renamed.description = s->description;
	s->table = &s->renamed;
}

/*
 * The renamed copy is already made (a student's, or a peer's whose spec has
 * moved): point it, and the table, at this spec's own strings.
 */
static void point_at_renamed(struct alloc_spec *s)
{
	s->renamed.name = s->name;
	s->renamed.description = s->description;
	s->table = &s->renamed;
}

extern const struct allocator peer_system;

int alloc_resolve(const char *name, struct alloc_spec *s, char *err, size_t errlen)
{
	const struct allocator *a;

	memset(s, 0, sizeof *s);
	if (!name[0])
		return fmt_err(err, errlen, "--alloc: empty allocator name");
	if (student_is_source(name))
		return student_resolve(name, s, err, errlen);
	if (is_path(name)) {
		int has = 0, rc;
		/* dlopen needs a slash to take the name as a path, not a soname. */
		char probe[PATH_MAX + 2];
		snprintf(probe, sizeof probe, "%s%s", strchr(name, '/') ? "" : "./", name);
		if ((rc = probe_library(probe, &has, err, errlen)))
			return rc;
		if (!realpath(probe, s->library))
			return fmt_err(err, errlen, "%s: %s", name, strerror(errno));
		const char *base = strrchr(name, '/');
		base = base ? base + 1 : name;
		size_t len = strcspn(base, ".");
		if (!len)
			len = strlen(base);
		snprintf(s->name, sizeof s->name, "%.*s", (int)len, base);
		snprintf(s->description, sizeof s->description, "shared library %s, preloaded",
		         name);
		s->kind = ALLOC_LIBRARY;
		s->preload = 1;
		s->aligned = (has & (HAS_MEMALIGN | HAS_POSIX_MEMALIGN | HAS_ALIGNED_ALLOC)) != 0;
		s->table = &peer_system;
		set_peer_table(s);
		return 0;
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	if ((a = allocator_find(name))) {
		s->kind = ALLOC_BUILTIN;
		s->table = a;
		snprintf(s->description, sizeof s->description, "%s", a->description);
		return 0;
	}
	for (size_t i = 0; i < NPEERS; i++) {
		if (strcmp(peers[i].name, name) != 0)
			continue;
		if (!peer_file(&peers[i], s->library, sizeof s->library))
			return fmt_err(err, errlen, "peer '%s' is not installed (see bench --list)",
			               name);
		s->kind = ALLOC_PEER;
		s->preload = peers[i].files[0] != NULL;
		snprintf(s->description, sizeof s->description, "%s", peers[i].description);
		s->table = &peer_system;
		s->aligned = 1;
		if (s->preload) {
			int has = 0, rc;
			if ((rc = probe_library(s->library, &has, err, errlen)))
				return rc;
			s->aligned = (has & (HAS_MEMALIGN | HAS_POSIX_MEMALIGN
			                     | HAS_ALIGNED_ALLOC)) != 0;
		}
		set_peer_table(s);
		return 0;
	}
	if (test_allocator_find && (a = test_allocator_find(name))) {
		s->kind = ALLOC_TEST;
		s->table = a;
		snprintf(s->description, sizeof s->description, "%s", a->description);
		return 0;
	}
	return fmt_err(err, errlen, "unknown allocator '%s' (try --list)", name);
}

/* Append one spec, refusing a name already taken (it names a results folder). */
static int push(struct alloc_spec **v, size_t *n, size_t *cap, const struct alloc_spec *s,
                char *err, size_t errlen)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i].name, s->name) != 0)
			continue;
		/* Two builds of one library, or one mm.c in two checkouts, meet here. */
		const char *hint = s->kind == ALLOC_LIBRARY
			? " (a library is named after its file: give one build another file "
			  "name, e.g. a symbolic link libnew.so)"
			: s->kind == ALLOC_STUDENT
			? " (a source file is named after its folder and file: copy one into "
			  "a folder of another name)"
			: "";
		return fmt_err(err, errlen, "--alloc: allocator '%s' is named twice%s",
		               s->name, hint);
	}
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct alloc_spec *nv = realloc(*v, ncap * sizeof **v);
		if (!nv)
			return fmt_err(err, errlen, "out of memory"), EXIT_SYSTEM;
		*v = nv;
		*cap = ncap;
		/*
		 * A peer's or student's table and names point into its own
		 * spec, which just moved: point them at the moved copy (the old
		 * one is freed, so it must not be read, as set_peer_table would).
		 */
		for (size_t i = 0; i < *n; i++)
			if (nv[i].kind == ALLOC_PEER || nv[i].kind == ALLOC_LIBRARY
			    || nv[i].kind == ALLOC_STUDENT)
				point_at_renamed(&nv[i]);
	}
	(*v)[*n] = *s;
	if (s->kind == ALLOC_PEER || s->kind == ALLOC_LIBRARY)
		set_peer_table(&(*v)[*n]);
	else if (s->kind == ALLOC_STUDENT)
		point_at_renamed(&(*v)[*n]);
	(*n)++;
	return 0;
}

int peer_expand(const char *list, struct alloc_spec **specs, size_t *n,
                char *err, size_t errlen)
{
	struct alloc_spec *v = NULL, s;
	size_t nv = 0, cap = 0;
	char tok[PATH_MAX];
	int rc = 0;

	/* A library path that exists is taken whole, even with a comma in its name. */
	struct stat st;
	int whole = strchr(list, '/') && stat(list, &st) == 0;
	for (const char *p = list; !rc; ) {
		size_t len = whole ? strlen(p) : strcspn(p, ",");
		if (len >= sizeof tok) {
			rc = fmt_err(err, errlen, "--alloc: name too long");
			break;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		int all = strcmp(tok, "all") == 0;
		if (all || strcmp(tok, "builtin") == 0)
			for (size_t i = 0; i < allocator_count && !rc; i++)
				if (!(rc = alloc_resolve(allocator_registry[i]->name, &s, err, errlen)))
					rc = push(&v, &nv, &cap, &s, err, errlen);
		if (all || strcmp(tok, "peers") == 0) {
			char path[PATH_MAX];
			for (size_t i = 0; i < NPEERS && !rc; i++)
				if (peer_file(&peers[i], path, sizeof path)
				    && !(rc = alloc_resolve(peers[i].name, &s, err, errlen)))
					rc = push(&v, &nv, &cap, &s, err, errlen);
		} else if (!all && strcmp(tok, "builtin") != 0) {
			if (!(rc = alloc_resolve(tok, &s, err, errlen))
			    && (rc = push(&v, &nv, &cap, &s, err, errlen)))
				student_release(&s);   /* not kept: a no-op for the others */
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	if (!rc && !nv)
		rc = fmt_err(err, errlen, "--alloc: no allocator named");
	if (rc) {
		peer_specs_free(v, nv);
		return rc;
	}
	*specs = v;
	*n = nv;
	return 0;
}

void peer_specs_free(struct alloc_spec *specs, size_t n)
{
	for (size_t i = 0; specs && i < n; i++)
		student_release(&specs[i]);
	free(specs);
}

/* ---- the system adapter ---- */

enum aligned_via { VIA_NONE, VIA_MEMALIGN, VIA_POSIX_MEMALIGN, VIA_ALIGNED_ALLOC };

/* The process's allocation functions, bound once per child (peer_system_bind). */
struct system_fns {
	void  *(*malloc)(size_t);
	void   (*free)(void *);
	void  *(*calloc)(size_t, size_t);
	void  *(*realloc)(void *, size_t);
	void  *(*memalign)(size_t, size_t);
	int    (*posix_memalign)(void **, size_t, size_t);
	void  *(*aligned_alloc)(size_t, size_t);
	size_t (*usable_size)(void *);
	enum aligned_via via;   /* which one `m` ops use */
};
static struct system_fns sys;
static char sys_state;  /* init's non-NULL token: the peer keeps its own state */

/*
 * A production allocator starts up lazily, on its first call; a built-in in
 * init(), which the harness keeps out of the timed region.  One malloc/free
 * here puts the peer's start-up in the same place.
 */
static void *sys_init(struct heap *heap)
{
	(void)heap;
	sys.free(sys.malloc(1));
	return &sys_state;
}
static void *sys_malloc(void *self, size_t n) { return sys.malloc(n); }
static void  sys_free(void *self, void *p) { sys.free(p); }
static void *sys_calloc(void *self, size_t n, size_t m) { return sys.calloc(n, m); }
static void *sys_realloc(void *self, void *p, size_t n) { return sys.realloc(p, n); }

static void *sys_memalign(void *self, size_t align, size_t n)
{
	void *p = NULL;
	switch (sys.via) {
	case VIA_MEMALIGN:
		return sys.memalign(align, n);
	case VIA_POSIX_MEMALIGN:
		if (align < sizeof(void *))
			align = sizeof(void *);
		return sys.posix_memalign(&p, align, n) == 0 ? p : NULL;
	case VIA_ALIGNED_ALLOC:
		/* C11 wants a multiple of the alignment; the extra is the library's cost. */
		return sys.aligned_alloc(align, align_up(n ? n : 1, align));
	default:
		return NULL;
	}
}

static size_t sys_usable_size(void *self, void *p)
{
	return sys.usable_size && p ? sys.usable_size(p) : 0;
}

static unsigned long sys_check(void *self, struct check_findings *findings) { return 0; }

const struct allocator peer_system = {
	.name = "system",
	.description = "the process's own malloc (a preloaded library, or glibc)",
	.init = sys_init,
	.malloc = sys_malloc,
	.free = sys_free,
	.realloc = sys_realloc,
	.calloc = sys_calloc,
	.memalign = sys_memalign,
	.usable_size = sys_usable_size,
	.check = sys_check,
};

/* dlsym(RTLD_DEFAULT, name) when the object `owner` defines it, else NULL. */
static void *own_sym(const char *name, struct link_map *owner)
{
	void *sym = dlsym(RTLD_DEFAULT, name);
	return sym && owner_of(sym) == owner ? sym : NULL;
}

const struct allocator *peer_system_bind(const char *library, int *has_aligned,
                                         char *err, size_t errlen)
{
	void *m = dlsym(RTLD_DEFAULT, "malloc");
	struct link_map *owner = owner_of(m);

	if (!owner) {
		fmt_err(err, errlen, "cannot find this process's malloc");
		return NULL;
	}
	if (!library[0]) {
		/* glibc: a sanitizer runtime's malloc is not glibc's; do not call it so. */
		const char *base = strrchr(owner->l_name, '/');
		base = base ? base + 1 : owner->l_name;
		if (strncmp(base, "libc.so", 7) != 0) {
			fmt_err(err, errlen, "this process's malloc comes from %s, not glibc "
			        "(a sanitizer build cannot run peers)",
			        owner->l_name[0] ? owner->l_name : "the executable");
			return NULL;
		}
	} else {
		void *h = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
		struct link_map *lm = NULL;
		if (!h || dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || lm != owner) {
			fmt_err(err, errlen, "%s: malloc does not come from it (was it preloaded?)",
			        library);
			return NULL;
		}
	}
	memset(&sys, 0, sizeof sys);
	sys.malloc = m;
	sys.free = own_sym("free", owner);
	sys.calloc = own_sym("calloc", owner);
	sys.realloc = own_sym("realloc", owner);
	if (!sys.free || !sys.calloc || !sys.realloc) {
		fmt_err(err, errlen, "%s: does not export free, calloc and realloc",
		        library[0] ? library : "libc");
		return NULL;
	}
	sys.memalign = own_sym("memalign", owner);
	sys.posix_memalign = own_sym("posix_memalign", owner);
	sys.aligned_alloc = own_sym("aligned_alloc", owner);
	sys.usable_size = own_sym("malloc_usable_size", owner);
	sys.via = sys.memalign ? VIA_MEMALIGN : sys.posix_memalign ? VIA_POSIX_MEMALIGN
	        : sys.aligned_alloc ? VIA_ALIGNED_ALLOC : VIA_NONE;
	*has_aligned = sys.via != VIA_NONE;
	return &peer_system;
}

/* ---- library statistics ---- */

static void lib_stat(struct lib_stats *ls, const char *name, uint64_t v)
{
	if (ls->n < LIB_STATS_MAX) {
		snprintf(ls->stat[ls->n].name, sizeof ls->stat[ls->n].name, "%s", name);
		ls->stat[ls->n++].value = v;
	}
}

void peer_library_stats(struct lib_stats *ls)
{
	struct link_map *owner = owner_of(dlsym(RTLD_DEFAULT, "malloc"));
	void *f;

	memset(ls, 0, sizeof *ls);
	if (!owner)
		return;
	if ((f = own_sym("mallctl", owner))) {
		int (*mallctl)(const char *, void *, size_t *, void *, size_t) = f;
		uint64_t epoch = 1;
		size_t sz = sizeof epoch;
		static const char *const keys[] = {
			"stats.allocated", "stats.active", "stats.resident", "stats.mapped",
		};
		/* jemalloc caches its statistics: advancing the epoch refreshes them. */
		mallctl("epoch", &epoch, &sz, &epoch, sz);
		snprintf(ls->method, sizeof ls->method, "jemalloc mallctl");
		for (size_t k = 0; k < 4; k++) {
			size_t v = 0;
			sz = sizeof v;
			if (mallctl(keys[k], &v, &sz, NULL, 0) == 0)
				lib_stat(ls, keys[k], v);
		}
	} else if ((f = own_sym("MallocExtension_GetNumericProperty", owner))) {
		int (*get)(const char *, size_t *) = f;
		static const char *const keys[] = {
			"generic.current_allocated_bytes", "generic.heap_size",
		};
		snprintf(ls->method, sizeof ls->method, "tcmalloc MallocExtension");
		for (size_t k = 0; k < 2; k++) {
			size_t v = 0;
			if (get(keys[k], &v))
				lib_stat(ls, keys[k], v);
		}
	} else if ((f = own_sym("mi_process_info", owner))) {
		void (*info)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
		             size_t *, size_t *) = f;
		size_t el = 0, us = 0, sy = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0,
		       faults = 0;
		info(&el, &us, &sy, &rss, &peak_rss, &commit, &peak_commit, &faults);
		snprintf(ls->method, sizeof ls->method, "mimalloc mi_process_info");
		lib_stat(ls, "peak_rss", peak_rss);
		lib_stat(ls, "current_commit", commit);
		lib_stat(ls, "peak_commit", peak_commit);
	} else if ((f = own_sym("mallinfo2", owner))) {
		struct mallinfo2 (*mi2)(void) = f;
		struct mallinfo2 mi = mi2();
		snprintf(ls->method, sizeof ls->method, "glibc mallinfo2");
		lib_stat(ls, "arena", mi.arena);
		lib_stat(ls, "hblkhd", mi.hblkhd);
		lib_stat(ls, "uordblks", mi.uordblks);
		lib_stat(ls, "fordblks", mi.fordblks);
	}
}
