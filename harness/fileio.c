/* fileio.c - see fileio.h. */

#include "fileio.h"

#include "exitcodes.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return ENAMETOOLONG;
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0777) != 0 && errno != EEXIST)
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
