/* fileio.c - see fileio.h. */

#include "fileio.h"

#include "exitcodes.h"
#include "outpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int finish_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench: standard output: %s\n", strerror(errno ? errno : EIO));
		return EXIT_SYSTEM;
	}
	return code;
}

int read_whole_fd(int fd, size_t first_cap, size_t max,
                  void *(*resize)(void *p, size_t old, size_t new_size),
                  void (*release)(void *p, size_t cap),
                  char **bufp, size_t *lenp, size_t *capp)
{
	size_t cap = first_cap, len = 0;
	char *buf = resize(NULL, 0, cap);
	for (;;) {
		if (!buf)
			return ENOMEM;
		if (len == cap) {
			if (cap >= max) {
				release(buf, cap);
				return EFBIG;
			}
			char *bigger = resize(buf, cap, cap * 2);
			if (!bigger)
				release(buf, cap);
			buf = bigger;
			cap *= 2;
			continue;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			release(buf, cap);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	*capp = cap;
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int exe_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n <= 0)
		return -1;
	if ((size_t)n >= len - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	out[n] = '\0';
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	return 0;
}

void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', out);
		putc(*s, out);
	}
	putc('"', out);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return ENAMETOOLONG;
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST)
				return errno;
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* ---- atomic output files ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Something that is not a regular file (a device, a pipe): write through it. */
static int open_in_place(struct atomic_file *f, char *err, size_t errlen)
{
	f->in_place = 1;
	f->fd = open(f->path, O_WRONLY | O_CLOEXEC);
	if (f->fd < 0)
		return fail(err, errlen, "%s: %s", f->path, strerror(errno));
	return 0;
}

int atomic_open(struct atomic_file *f, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int e;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->name = name;
	if (!name[0])
		return fail(err, errlen, "--out: empty file name");
	if ((e = outpath_resolve(name, f->path, sizeof f->path)))
		return fail(err, errlen, "%s: %s", name, strerror(e));
	if (stat(f->path, &st) == 0 && S_ISDIR(st.st_mode))
		return fail(err, errlen, "%s: is a directory", name);
	if (stat(f->path, &st) == 0 && !S_ISREG(st.st_mode))
		return open_in_place(f, err, errlen);

	const char *slash = strrchr(f->path, '/');
	const char *base = slash ? slash + 1 : f->path;
	if (!base[0])
		return fail(err, errlen, "%s: is a directory", name);
	if (!slash)
		snprintf(f->dir, sizeof f->dir, ".");
	else if (slash == f->path)
		snprintf(f->dir, sizeof f->dir, "/");
	else
		snprintf(f->dir, sizeof f->dir, "%.*s", (int)(slash - f->path), f->path);
	if (outpath_temp_name(f->dir, base, f->tmp, sizeof f->tmp))
		return fail(err, errlen, "%s: %s", name, strerror(ENAMETOOLONG));
	f->fd = mkstemp(f->tmp);
	if (f->fd < 0) {
		f->tmp[0] = '\0';
		return fail(err, errlen, "%s: cannot create a file in %s: %s", name, f->dir,
		            strerror(errno));
	}
	/* mkstemp makes 0600; a result is an ordinary file: 0666 less the umask. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(f->fd, 0666 & ~mask) != 0) {
		e = errno;
		atomic_abort(f);
		return fail(err, errlen, "%s: cannot set the mode of it: %s", name, strerror(e));
	}
	return 0;
}

FILE *atomic_stream(struct atomic_file *f)
{
	if (!f->stream && (f->stream = fdopen(f->fd, "w")))
		setvbuf(f->stream, NULL, _IOFBF, 1 << 20);
	return f->stream;
}

/* Close fd (through the stream when there is one): 0, or -1 with errno. */
static int close_file(struct atomic_file *f)
{
	int r = 0;
	if (f->stream) {
		r = fclose(f->stream);
		f->stream = NULL;
	} else if (f->fd >= 0) {
		r = close(f->fd);
	}
	f->fd = -1;
	return r;
}

int atomic_commit(struct atomic_file *f, char *err, size_t errlen)
{
	const char *what = NULL;
	int e = 0;
	if (f->stream && (fflush(f->stream) != 0 || ferror(f->stream)))
		what = "cannot write", e = errno ? errno : EIO;
	else if (!f->in_place && fsync(f->fd) != 0)
		what = "cannot sync", e = errno;
	if (close_file(f) != 0 && !what)
		what = "cannot write", e = errno;
	if (f->in_place) {
		if (what)
			return fail(err, errlen, "%s: %s", f->path, strerror(e));
		return 0;
	}
	if (!what && rename(f->tmp, f->path) != 0)
		what = "cannot rename the temporary file onto", e = errno;
	if (what) {
		atomic_abort(f);
		return fail(err, errlen, "%s: %s it: %s", f->name, what, strerror(e));
	}
	f->tmp[0] = '\0';
	/* Make the rename itself durable; a failure here loses nothing written. */
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

void atomic_abort(struct atomic_file *f)
{
	int e = errno;   /* the caller may still want to report it */
	close_file(f);
	if (f->tmp[0])
		unlink(f->tmp);
	f->tmp[0] = '\0';
	errno = e;
}

int write_file_atomic(const char *name, const char *text, size_t len,
                      char *err, size_t errlen)
{
	struct atomic_file f;
	if (atomic_open(&f, name, err, errlen) != 0)
		return -1;
	if (write_all(f.fd, text, len) != 0) {
		int e = errno;
		atomic_abort(&f);
		if (f.in_place)
			return fail(err, errlen, "%s: %s", f.path, strerror(e));
		return fail(err, errlen, "%s: cannot write it: %s", name, strerror(e));
	}
	return atomic_commit(&f, err, errlen);
}
