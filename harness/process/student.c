/* student.c - a student's allocator source, built and loaded (student.h). */
#define _GNU_SOURCE
#include "student.h"

#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "../core/sha256.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STUDENT_CACHE_VERSION "heaplab-student-1"

const char *student_cflags;

/* A loaded student: its table and the writable data to restore before each run. */
#define STUDENT_SEGS 4
struct student_lib {
	void                   *handle;
	const struct allocator *table;               /* heaplab_student_table     */
	unsigned                nsegs;
	char                   *seg[STUDENT_SEGS];   /* writable data, in place   */
	size_t                  len[STUDENT_SEGS];
	void                   *pristine[STUDENT_SEGS]; /* its bytes after loading */
	char                    so[PATH_MAX + 128];  /* the object's path         */
	char                    preload[PATH_MAX + 128]; /* its preload library   */
};

static const struct student_lib *active;

static struct student_lib *load(const char *so, const char *path, int *rc,
                                char *err, size_t errlen);

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

int student_is_source(const char *name)
{
	size_t n = strlen(name);
	return n > 2 && strcmp(name + n - 2, ".c") == 0;
}

/* ---- running the tools ---- */

/*
 * Run argv (searched in PATH); its stdout goes to `out_fd` (-1: our stderr,
 * so the compiler's messages reach the user), its stderr to ours.  Returns
 * the exit status, or -1 with errno when it could not run.
 */
static int run_tool(char *const argv[], int out_fd)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out_fd >= 0 ? out_fd : STDERR_FILENO, STDOUT_FILENO);
		/* The tools must not run on a preloaded student library. */
		unsetenv("LD_PRELOAD");
		execvp(argv[0], argv);
		fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* A command line: words of a string split at blanks (no quoting), appended. */
struct argv_buf {
	char  *v[256];
	size_t n;
	char  *words;   /* the split copies, freed at the end */
};

static int argv_add(struct argv_buf *a, const char *w)
{
	if (a->n + 1 >= sizeof a->v / sizeof a->v[0])
		return -1;
	a->v[a->n++] = (char *)w;
	a->v[a->n] = NULL;
	return 0;
}

static int argv_split(struct argv_buf *a, const char *s)
{
	if (!s || !*s)
		return 0;
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return -1;
	free(a->words);   /* at most one split per command line */
	a->words = copy;
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		if (argv_add(a, w))
			return -1;
	return 0;
}

static const char *compiler(void)
{
	const char *cc = getenv("CC");
	return cc && *cc ? cc : "cc";
}

/* ---- where things are ---- */

/* The kit: $HEAPLAB_LIB_DIR/student, else build/lib/student or ../lib/heaplab/student
 * beside the bench binary. */
static int find_kit(char *out, size_t outsz)
{
	static const char *const beside[] = { "/build/lib/student", "/../lib/heaplab/student" };
	const char *env = getenv("HEAPLAB_LIB_DIR");
	char exe[PATH_MAX], probe[PATH_MAX * 2];
	struct stat st;

	if (env && *env) {
		snprintf(out, outsz, "%s/student", env);
		snprintf(probe, sizeof probe, "%s/adapter-mm.o", out);
		return stat(probe, &st) == 0 ? 0 : -1;
	}
	if (exe_dir(exe, sizeof exe))
		return -1;
	for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
		snprintf(probe, sizeof probe, "%s%s/adapter-mm.o", exe, beside[i]);
		if (stat(probe, &st) == 0) {
			snprintf(probe, sizeof probe, "%s%s", exe, beside[i]);
			if (realpath(probe, out))
				return 0;
		}
	}
	snprintf(probe, sizeof probe, "%s%s", exe, beside[0]);
	snprintf(out, outsz, "%.*s", (int)(outsz - 1), probe);
	return -1;
}

static int cache_dir(char *out, size_t outsz)
{
	const char *env = getenv("HEAPLAB_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (env && *env)
		snprintf(out, outsz, "%s", env);
	else if (xdg && *xdg)
		snprintf(out, outsz, "%s/heaplab", xdg);
	else if (home && *home)
		snprintf(out, outsz, "%s/.cache/heaplab", home);
	else
		snprintf(out, outsz, "/tmp/heaplab-cache-%u", (unsigned)getuid());
	int e = mkdir_p(out, 0755);
	errno = e;
	return e ? -1 : 0;
}

/* ---- the cache key ---- */

static int hash_file(struct sha256 *h, const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(h, buf, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

static void hash_str(struct sha256 *h, const char *s)
{
	sha256_update(h, s ? s : "", strlen(s ? s : "") + 1);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The headers beside the source (a handout's own mm.h), by name then content. */
static void hash_headers(struct sha256 *h, const char *source)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", source);
	char *slash = strrchr(dir, '/');
	*(slash ? slash : dir) = '\0';
	DIR *d = opendir(dir[0] ? dir : "/");
	if (!d)
		return;
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);
		if (len > 2 && strcmp(e->d_name + len - 2, ".h") == 0)
			if ((names[n] = strdup(e->d_name)))
				n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_names);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		hash_str(h, names[i]);
		hash_file(h, path);
		free(names[i]);
	}
}

/* The kit's files change when heaplab is rebuilt: their identity is in the key. */
static void hash_kit(struct sha256 *h, const char *kit)
{
	static const char *const files[] = {
		"adapter-mm.o", "adapter-malloc.o", "malloc_api.o", "libheaplab-student.a",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s/%s", kit, files[i]);
		hash_file(h, path);
	}
}

/* The compiler's identity: its first line of --version. */
static void hash_compiler(struct sha256 *h, const char *dir)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/cc-version.%ld", dir, (long)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char *argv[] = { (char *)compiler(), "--version", NULL };
	hash_str(h, compiler());
	if (fd < 0)
		return;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int saved = dup(STDERR_FILENO);
	if (null >= 0 && saved >= 0)
		dup2(null, STDERR_FILENO);
	run_tool(argv, fd);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (null >= 0)
		close(null);
	close(fd);
	hash_file(h, path);
	unlink(path);
}

/* ---- reading the object's symbols ---- */

struct symbols {
	char *defined;    /* "\nname\nname\n...": global symbols the object defines */
	char *undefined;  /* ... and those it uses from elsewhere                   */
};

static int has_sym(const char *list, const char *name)
{
	char key[128];
	snprintf(key, sizeof key, "\n%s\n", name);
	return list && strstr(list, key) != NULL;
}

/* `nm -P` of obj into text, one name a line; defined != 0: defined globals. */
static char *nm_names(const char *obj, const char *tmpdir, int defined)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/nm.out", tmpdir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	char *argv[] = { "nm", "-P", "-g", defined ? "--defined-only" : "-u", (char *)obj, NULL };
	int rc = run_tool(argv, fd);
	close(fd);
	FILE *f = rc == 0 ? fopen(path, "r") : NULL;
	if (!f)
		return NULL;
	size_t cap = 4096, len = 1;
	char *text = malloc(cap), line[1024];
	if (!text) {
		fclose(f);
		return NULL;
	}
	text[0] = '\n';
	while (fgets(line, sizeof line, f)) {
		/* "name type [value size]"; functions are T (or W, weak) */
		char name[512], type = 0;
		if (sscanf(line, "%511s %c", name, &type) != 2)
			continue;
		if (defined && !strchr("TtWiDdBbVvRrCc", type))
			continue;
		size_t n = strlen(name);
		if (len + n + 2 > cap) {
			char *bigger = realloc(text, cap * 2 + n);
			if (!bigger)
				break;
			text = bigger;
			cap = cap * 2 + n;
		}
		memcpy(text + len, name, n);
		len += n;
		text[len++] = '\n';
	}
	text[len] = '\0';
	fclose(f);
	unlink(path);
	return text;
}

/* The malloc family a malloc.c may define: renamed heaplab_student_<name>. */
static const char *const malloc_family[] = {
	"malloc", "free", "calloc", "realloc", "reallocarray", "memalign", "posix_memalign",
	"aligned_alloc", "valloc", "pvalloc", "malloc_usable_size",
};
#define NFAMILY (sizeof malloc_family / sizeof malloc_family[0])

/* ---- building ---- */

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	ssize_t n = write(fd, text, strlen(text));
	(void)n;
	close(fd);
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char p[PATH_MAX * 2];
				snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(dir);
}

/*
 * 1. compile: the builtins of the malloc family off, so that a calloc
 *    written as malloc + memset is not turned back into a calloc call.
 */
static int compile_source(const char *source, const char *display, const char *kit,
                          const char *obj, char *err, size_t errlen)
{
	char inc[PATH_MAX * 2];
	struct argv_buf a = { .n = 0 };
	snprintf(inc, sizeof inc, "-I%s/include", kit);
	argv_add(&a, compiler());
	argv_add(&a, "-c");
	argv_add(&a, "-fPIC");
	argv_add(&a, "-O2");
	argv_add(&a, "-g");
	argv_add(&a, "-fno-builtin-malloc");
	argv_add(&a, "-fno-builtin-calloc");
	argv_add(&a, "-fno-builtin-realloc");
	argv_add(&a, "-fno-builtin-free");
	argv_add(&a, inc);
	if (argv_split(&a, student_cflags)) {
		free(a.words);
		return fail(err, errlen, EXIT_USAGE, "--cflags: too many flags");
	}
	argv_add(&a, "-o");
	argv_add(&a, obj);
	argv_add(&a, source);
	int rc = run_tool(a.v, -1);
	free(a.words);
	if (rc < 0)
		return fail(err, errlen, EXIT_SYSTEM, "cannot run the compiler %s: %s", compiler(),
		            strerror(errno));
	if (rc == 127)
		return fail(err, errlen, EXIT_SYSTEM, "cannot run the compiler %s (set CC)",
		            compiler());
	if (rc != 0)
		return fail(err, errlen, EXIT_USAGE,
		            "%s: does not compile (the compiler's messages are above)", display);
	return 0;
}

/* 2. which interface: the object's defined symbols (warning of calls that bypass the heap) */
static int pick_interface(const char *display, const struct symbols *sym,
                          enum student_iface *iface, char *err, size_t errlen)
{
	const char *missing = NULL;
	if (has_sym(sym->defined, "mm_malloc") || has_sym(sym->defined, "mm_init")) {
		static const char *const need[] = { "mm_init", "mm_malloc", "mm_free", "mm_realloc" };
		*iface = STUDENT_IFACE_MM;
		for (size_t i = 0; i < 4 && !missing; i++)
			if (!has_sym(sym->defined, need[i]))
				missing = need[i];
		static const char *const forbidden[] = {
			"malloc", "calloc", "realloc", "free", "sbrk", "brk", "mmap",
		};
		for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
			if (has_sym(sym->undefined, forbidden[i]))
				fprintf(stderr, "bench: %s: warning: calls %s(); the malloc lab takes "
				        "memory only from mem_sbrk, and what %s gives is not counted\n",
				        display, forbidden[i], forbidden[i]);
	} else if (has_sym(sym->defined, "malloc")) {
		static const char *const need[] = { "malloc", "free", "realloc" };
		*iface = STUDENT_IFACE_MALLOC;
		for (size_t i = 0; i < 3 && !missing; i++)
			if (!has_sym(sym->defined, need[i]))
				missing = need[i];
		if (has_sym(sym->undefined, "mmap"))
			fprintf(stderr, "bench: %s: warning: calls mmap(); blocks from it lie outside "
			        "the heap sbrk grows, and the checked pass refuses them\n", display);
	} else {
		return fail(err, errlen, EXIT_USAGE,
		            "%s: defines neither the malloc lab's mm_init/mm_malloc/mm_free/"
		            "mm_realloc nor malloc/free/realloc (see docs/students.md)", display);
	}
	if (missing) {
		int mm = *iface == STUDENT_IFACE_MM;
		return fail(err, errlen, EXIT_USAGE, "%s: defines %s but not %s (a %s needs "
		            "%s)", display, mm ? "mm_malloc" : "malloc", missing,
		            mm ? "malloc lab mm.c" : "malloc.c",
		            mm ? "mm_init, mm_malloc, mm_free and mm_realloc" : "malloc, free and realloc");
	}
	return 0;
}

/* 3. the name the preload library reports ("heaplab: alice/mm.c: ..."), compiled to name_o */
static int compile_name(const char *display, const char *tmp, const char *name_o,
                        char *err, size_t errlen)
{
	char name_c[PATH_MAX * 2];
	snprintf(name_c, sizeof name_c, "%s/name.c", tmp);
	FILE *nf = fopen(name_c, "w");
	if (!nf)
		return fail(err, errlen, EXIT_SYSTEM, "cannot write %s: %s", name_c, strerror(errno));
	fputs("const char heaplab_student_name[] = \"", nf);
	for (const char *c = display; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', nf);
		fputc((unsigned char)*c < ' ' ? '?' : *c, nf);
	}
	fputs("\";\n", nf);
	fclose(nf);
	char *ncc[] = { (char *)compiler(), "-c", "-fPIC", "-o", (char *)name_o, name_c, NULL };
	if (run_tool(ncc, -1) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "cannot compile %s", name_c);
	return 0;
}

/* 4. a malloc.c: its malloc family and its sbrk/brk calls renamed, obj into renamed */
static int rename_malloc_family(const char *display, const struct symbols *sym,
                                const char *obj, const char *renamed, char *err, size_t errlen)
{
	static char defs[NFAMILY + 2][96];
	struct argv_buf o = { .n = 0 };
	size_t k = 0;
	argv_add(&o, "objcopy");
	for (size_t i = 0; i < NFAMILY; i++)
		if (has_sym(sym->defined, malloc_family[i])) {
			snprintf(defs[k], sizeof defs[k], "%s=heaplab_student_%s",
			         malloc_family[i], malloc_family[i]);
			argv_add(&o, "--redefine-sym");
			argv_add(&o, defs[k++]);
		}
	snprintf(defs[k], sizeof defs[k], "sbrk=heaplab_student_sbrk");
	argv_add(&o, "--redefine-sym");
	argv_add(&o, defs[k++]);
	snprintf(defs[k], sizeof defs[k], "brk=heaplab_student_brk");
	argv_add(&o, "--redefine-sym");
	argv_add(&o, defs[k++]);
	argv_add(&o, (char *)obj);
	argv_add(&o, (char *)renamed);
	if (run_tool(o.v, -1) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "%s: objcopy failed (binutils is "
		            "needed)", display);
	return 0;
}

/*
 * 5. the two shared objects; -z defs: a function used but defined
 *    nowhere is the link's error now, not a crash later
 */
static int link_objects(const char *display, const char *kit, const char *tmp,
                        const char *linked, const char *name_o, enum student_iface iface,
                        char *err, size_t errlen)
{
	char bench_so[PATH_MAX * 2], preload_so[PATH_MAX * 2];
	char adapter[PATH_MAX * 2], archive[PATH_MAX * 2], api[PATH_MAX * 2];
	char map[PATH_MAX * 2];
	snprintf(bench_so, sizeof bench_so, "%s/bench.so", tmp);
	snprintf(preload_so, sizeof preload_so, "%s/preload.so", tmp);
	snprintf(archive, sizeof archive, "%s/libheaplab-student.a", kit);
	snprintf(api, sizeof api, "%s/malloc_api.o", kit);
	snprintf(map, sizeof map, "-Wl,--version-script=%s/exports.map", kit);
	snprintf(adapter, sizeof adapter, "%s/adapter-%s.o", kit,
	         iface == STUDENT_IFACE_MM ? "mm" : "malloc");
	for (int preload = 0; preload < 2; preload++) {
		struct argv_buf l = { .n = 0 };
		argv_add(&l, compiler());
		argv_add(&l, "-shared");
		argv_add(&l, "-Wl,-z,defs");
		argv_add(&l, "-Wl,-Bsymbolic");
		if (argv_split(&l, student_cflags)) {
			free(l.words);
			return fail(err, errlen, EXIT_USAGE, "--cflags: too many flags");
		}
		argv_add(&l, "-o");
		argv_add(&l, preload ? preload_so : bench_so);
		if (preload) {
			argv_add(&l, map);
			argv_add(&l, api);
		}
		argv_add(&l, linked);
		argv_add(&l, name_o);
		argv_add(&l, adapter);
		argv_add(&l, archive);
		argv_add(&l, "-lpthread");
		int rc = run_tool(l.v, -1);
		free(l.words);
		if (rc != 0)
			return fail(err, errlen, rc < 0 || rc == 127 ? EXIT_SYSTEM : EXIT_USAGE,
			            "%s: does not link (the linker's messages are above)", display);
	}
	return 0;
}

/*
 * Compile, inspect and link in `tmp`; the caller renames it into the cache.
 * Returns 0 or an exit code with a message.
 */
static int build_in(const char *source, const char *display, const char *kit, const char *tmp,
                    enum student_iface *iface, char *err, size_t errlen)
{
	char obj[PATH_MAX * 2], renamed[PATH_MAX * 2], name_o[PATH_MAX * 2];
	snprintf(obj, sizeof obj, "%s/student.o", tmp);
	snprintf(renamed, sizeof renamed, "%s/student-renamed.o", tmp);
	snprintf(name_o, sizeof name_o, "%s/name.o", tmp);

	int rc = compile_source(source, display, kit, obj, err, errlen);
	if (rc)
		return rc;
	struct symbols sym = { nm_names(obj, tmp, 1), nm_names(obj, tmp, 0) };
	if (!sym.defined || !sym.undefined)
		rc = fail(err, errlen, EXIT_SYSTEM, "%s: cannot list its symbols (nm from "
		          "binutils is needed)", display);
	if (!rc)
		rc = pick_interface(display, &sym, iface, err, errlen);
	if (!rc)
		rc = compile_name(display, tmp, name_o, err, errlen);
	const char *linked = obj;
	if (!rc && *iface == STUDENT_IFACE_MALLOC) {
		rc = rename_malloc_family(display, &sym, obj, renamed, err, errlen);
		linked = renamed;
	}
	free(sym.defined);
	free(sym.undefined);
	return rc ? rc : link_objects(display, kit, tmp, linked, name_o, *iface, err, errlen);
}

/* A complete build in the cache: its interface file and both objects. */
static int read_cached(struct student_build *out, const char *iface_file)
{
	FILE *f = fopen(iface_file, "r");
	int v = 0, ok;
	if (!f)
		return 0;
	ok = fscanf(f, "%d", &v) == 1 && (v == STUDENT_IFACE_MM || v == STUDENT_IFACE_MALLOC)
	     && file_exists(out->bench_so) && file_exists(out->preload_so);
	fclose(f);
	if (ok) {
		out->iface = (enum student_iface)v;
		out->cached = 1;
	}
	return ok;
}

int student_build(const char *path, struct student_build *out, char *err, size_t errlen)
{
	char kit[PATH_MAX], cache[PATH_MAX], dir[PATH_MAX + 80], tmp[PATH_MAX + 80];
	char iface_file[PATH_MAX * 2];
	struct stat st;

	memset(out, 0, sizeof *out);
	if (stat(path, &st) != 0)
		return fail(err, errlen, EXIT_USAGE, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, EXIT_USAGE, "%s: not a C source file", path);
	if (!realpath(path, out->source))
		return fail(err, errlen, EXIT_USAGE, "%s: %s", path, strerror(errno));
	if (find_kit(kit, sizeof kit) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "no student kit in %s (run make, or set "
		            "HEAPLAB_LIB_DIR)", kit);
	if (cache_dir(cache, sizeof cache) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "cannot create the cache folder %s: %s "
		            "(set HEAPLAB_CACHE_DIR)", cache, strerror(errno));

	struct sha256 h;
	uint8_t digest[32];
	sha256_init(&h);
	hash_str(&h, STUDENT_CACHE_VERSION);
	if (hash_file(&h, out->source) != 0)
		return fail(err, errlen, EXIT_USAGE, "%s: %s", path, strerror(errno));
	hash_headers(&h, out->source);
	hash_str(&h, path);   /* the name the preload library reports */
	hash_str(&h, student_cflags);
	hash_kit(&h, kit);
	hash_compiler(&h, cache);
	sha256_final(&h, digest);
	for (int i = 0; i < 32; i++)
		snprintf(out->sha256 + 2 * i, 3, "%02x", digest[i]);

	snprintf(dir, sizeof dir, "%s/%.32s", cache, out->sha256);
	snprintf(iface_file, sizeof iface_file, "%s/interface", dir);
	snprintf(out->bench_so, sizeof out->bench_so, "%s/bench.so", dir);
	snprintf(out->preload_so, sizeof out->preload_so, "%s/preload.so", dir);
	if (read_cached(out, iface_file)) {
		fprintf(stderr, "bench: %s: built before (cache %s)\n", path, dir);
		return 0;
	}

	fprintf(stderr, "bench: %s: compiling with %s%s%s\n", path, compiler(),
	        student_cflags && *student_cflags ? " " : "",
	        student_cflags ? student_cflags : "");
	snprintf(tmp, sizeof tmp, "%s/tmp.%ld.%.16s", cache, (long)getpid(), out->sha256);
	remove_tree(tmp);
	if (mkdir(tmp, 0755) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "cannot create %s: %s", tmp, strerror(errno));
	enum student_iface iface = 0;
	int rc = build_in(out->source, path, kit, tmp, &iface, err, errlen);
	if (rc) {
		remove_tree(tmp);
		return rc;
	}
	char text[16], tmp_iface[PATH_MAX * 2];
	snprintf(text, sizeof text, "%d\n", (int)iface);
	snprintf(tmp_iface, sizeof tmp_iface, "%s/interface", tmp);
	write_text(tmp_iface, text);
	/*
	 * Atomic: readers see a whole build or none.  If another bench stored
	 * the same build meanwhile, keep that one (it may be in use); a broken
	 * folder left by a crash is replaced.
	 */
	if (rename(tmp, dir) != 0) {
		int taken = errno == ENOTEMPTY || errno == EEXIST, e = errno;
		if (taken && read_cached(out, iface_file)) {
			remove_tree(tmp);
			return 0;
		}
		errno = e;
		if (taken) {
			remove_tree(dir);
			if (rename(tmp, dir) != 0) {
				remove_tree(tmp);
				return fail(err, errlen, EXIT_SYSTEM, "cannot store the build in %s: %s",
				            dir, strerror(errno));
			}
		} else {
			remove_tree(tmp);
			return fail(err, errlen, EXIT_SYSTEM, "cannot store the build in %s: %s", dir,
			            strerror(errno));
		}
	}
	out->iface = iface;
	return 0;
}

/* ---- loading ---- */

struct seg_search {
	const char        *path;
	struct student_lib *lib;
	int                found;
};

/* The object's writable data outside RELRO: what a fresh load would have. */
static int find_segments(struct dl_phdr_info *info, size_t size, void *data)
{
	struct seg_search *s = data;
	(void)size;
	if (!info->dlpi_name || strcmp(info->dlpi_name, s->path) != 0)
		return 0;
	s->found = 1;
	uintptr_t relro_end = 0, page = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_RELRO)
			relro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
	}
	for (int i = 0; i < info->dlpi_phnum && s->lib->nsegs < STUDENT_SEGS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (relro_end > lo)
			lo = relro_end < hi ? relro_end : hi;
		if (lo >= hi)
			continue;
		s->lib->seg[s->lib->nsegs] = (char *)lo;
		s->lib->len[s->lib->nsegs] = hi - lo;
		s->lib->nsegs++;
	}
	return 1;
}

static void *student_init(struct heap *heap)
{
	if (!active)
		return NULL;
	/* Every run starts from the object as loaded: a malloc.c has no init. */
	for (unsigned i = 0; i < active->nsegs; i++)
		memcpy(active->seg[i], active->pristine[i], active->len[i]);
	return active->table->init(heap);
}

void student_enter(const struct alloc_spec *s)
{
	active = s->student;
}

const char *student_object(const struct alloc_spec *s)
{
	const struct student_lib *lib = s->kind == ALLOC_STUDENT ? s->student : NULL;
	return lib ? lib->so : "";
}

const char *student_preload(const struct alloc_spec *s)
{
	const struct student_lib *lib = s->kind == ALLOC_STUDENT ? s->student : NULL;
	return lib ? lib->preload : "";
}

const struct allocator *student_child_table(const char *so, const char *name,
                                            char *err, size_t errlen)
{
	static struct allocator table;
	int rc;
	struct student_lib *lib = load(so, name, &rc, err, errlen);
	if (!lib)
		return NULL;
	active = lib;
	table = *lib->table;
	table.init = student_init;
	table.name = name;
	return &table;
}

void student_release(struct alloc_spec *s)
{
	struct student_lib *lib = s->kind == ALLOC_STUDENT ? s->student : NULL;
	if (!lib)
		return;
	for (unsigned i = 0; i < lib->nsegs; i++)
		free(lib->pristine[i]);
	dlclose(lib->handle);
	free(lib);
	s->student = NULL;
}

/* Load a student's object and keep its writable data as loaded; NULL with *rc. */
static struct student_lib *load(const char *so, const char *path, int *rc,
                                char *err, size_t errlen)
{
	struct student_lib *lib = calloc(1, sizeof *lib);
	if (!lib) {
		*rc = fail(err, errlen, EXIT_SYSTEM, "out of memory");
		return NULL;
	}
	snprintf(lib->so, sizeof lib->so, "%s", so);
	lib->handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		const char *e = dlerror();
		free(lib);
		*rc = fail(err, errlen, EXIT_USAGE, "%s: cannot load its build: %s", path,
		           e ? e : "?");
		return NULL;
	}
	lib->table = dlsym(lib->handle, "heaplab_student_table");
	struct link_map *lm = NULL;
	struct seg_search search = { .lib = lib };
	if (lib->table && dlinfo(lib->handle, RTLD_DI_LINKMAP, &lm) == 0 && lm) {
		search.path = lm->l_name;
		dl_iterate_phdr(find_segments, &search);
	}
	if (!lib->table || !search.found) {
		dlclose(lib->handle);
		free(lib);
		*rc = fail(err, errlen, EXIT_SYSTEM, "%s: its build %s is not a heaplab student "
		           "object", path, so);
		return NULL;
	}
	for (unsigned i = 0; i < lib->nsegs; i++) {
		if (!(lib->pristine[i] = malloc(lib->len[i] ? lib->len[i] : 1))) {
			while (i-- > 0)
				free(lib->pristine[i]);
			dlclose(lib->handle);
			free(lib);
			*rc = fail(err, errlen, EXIT_SYSTEM, "out of memory");
			return NULL;
		}
		memcpy(lib->pristine[i], lib->seg[i], lib->len[i]);
	}
	return lib;
}

int student_resolve(const char *path, struct alloc_spec *s, char *err, size_t errlen)
{
	struct student_build b;
	int rc = student_build(path, &b, err, errlen);
	if (rc)
		return rc;
	struct student_lib *lib = load(b.bench_so, path, &rc, err, errlen);
	if (!lib)
		return rc;
	snprintf(lib->preload, sizeof lib->preload, "%s", b.preload_so);

	memset(s, 0, sizeof *s);
	/*
	 * "alice/mm.c" -> "alice-mm": the folder the file is in, found from its
	 * real path, so "mm.c" run in alice/ (or a plan's unit given the absolute
	 * path) names the same cells.
	 */
	const char *real = b.source, *base = strrchr(real, '/');
	char parent[64] = "";
	if (base) {
		const char *p = base;
		while (p > real && p[-1] != '/')
			p--;
		size_t plen = (size_t)(base - p);
		if (plen)
			snprintf(parent, sizeof parent, "%.*s-", (int)(plen < 40 ? plen : 40), p);
	}
	base = base ? base + 1 : real;
	snprintf(s->name, sizeof s->name, "%s%.*s", parent,
	         (int)(strlen(base) - 2 < 40 ? strlen(base) - 2 : 40), base);
	snprintf(s->description, sizeof s->description, "%s (%s, built with %s%s%.60s)", path,
	         b.iface == STUDENT_IFACE_MM ? "malloc lab mm.c" : "malloc.c on sbrk",
	         compiler(), student_cflags && *student_cflags ? " " : "",
	         student_cflags ? student_cflags : "");
	snprintf(s->library, sizeof s->library, "%s", b.source);
	s->kind = ALLOC_STUDENT;
	s->student = lib;
	s->renamed = *lib->table;
	s->renamed.init = student_init;
	s->renamed.name = s->name;
	s->renamed.description = s->description;
	s->table = &s->renamed;
	return 0;
}
