/* outpath.c - checking and resolving where results go (outpath.h). */
#define _GNU_SOURCE
#include "outpath.h"

#include "exitcodes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int outpath_resolve(const char *path, char *out, size_t outlen)
{
	char cur[PATH_MAX], link[PATH_MAX];
	if ((size_t)snprintf(cur, sizeof cur, "%s", path) >= sizeof cur)
		return ENAMETOOLONG;
	for (int hops = 0; ; hops++) {
		struct stat st;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			break;
		if (hops == 40)
			return ELOOP;
		ssize_t n = readlink(cur, link, sizeof link - 1);
		if (n < 0)
			return errno;
		link[n] = '\0';
		if (link[0] == '/') {
			memcpy(cur, link, (size_t)n + 1);
			continue;
		}
		/* Relative: from the folder that holds the link. */
		char *slash = strrchr(cur, '/');
		size_t keep = slash ? (size_t)(slash - cur) + 1 : 0;
		if (keep + (size_t)n >= sizeof cur)
			return ENAMETOOLONG;
		memcpy(cur + keep, link, (size_t)n + 1);
	}
	if ((size_t)snprintf(out, outlen, "%s", cur) >= outlen)
		return ENAMETOOLONG;
	return 0;
}

/* The folder part of `path` ("." when none). */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

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

int outpath_check_file(const char *path, const char *const *inputs, size_t ninputs,
                       int make_dir, char *err, size_t errlen)
{
	char target[PATH_MAX], dir[PATH_MAX];
	struct stat st, in;
	int e;

	if (!path[0])
		return fail(err, errlen, EXIT_USAGE, "--out: empty file name");
	if ((e = outpath_resolve(path, target, sizeof target)))
		return fail(err, errlen, EXIT_SYSTEM, "%s: %s", path, strerror(e));
	if (stat(target, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fail(err, errlen, EXIT_SYSTEM, "%s: is a directory", path);
		for (size_t i = 0; i < ninputs; i++)
			if (stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev
			    && in.st_ino == st.st_ino)
				return fail(err, errlen, EXIT_USAGE, "%s: --out names the input %s; "
				            "it would be overwritten", path, inputs[i]);
		if (!S_ISREG(st.st_mode))
			return 0;   /* a device or pipe: written in place */
	}
	size_t n = strlen(target);
	if (n && target[n - 1] == '/')
		return fail(err, errlen, EXIT_SYSTEM, "%s: is a directory", path);
	dir_of(target, dir, sizeof dir);
	if (make_dir && stat(dir, &st) != 0 && errno == ENOENT)
		return outpath_check_dir(dir, err, errlen);   /* it will be created */
	if (stat(dir, &st) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "%s: cannot create a file in %s: %s", path,
		            dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, EXIT_SYSTEM, "%s: cannot create a file in %s: %s", path,
		            dir, strerror(ENOTDIR));
	if (access(dir, W_OK | X_OK) != 0)
		return fail(err, errlen, EXIT_SYSTEM, "%s: cannot create a file in %s: %s", path,
		            dir, strerror(errno));
	return 0;
}

int outpath_check_dir(const char *dir, char *err, size_t errlen)
{
	char cur[PATH_MAX];
	struct stat st;

	if (!dir[0])
		return fail(err, errlen, EXIT_USAGE, "--out: empty folder name");
	if ((size_t)snprintf(cur, sizeof cur, "%s", dir) >= sizeof cur)
		return fail(err, errlen, EXIT_SYSTEM, "%s: %s", dir, strerror(ENAMETOOLONG));
	/* Climb to the nearest part that exists; it must be a folder we can write. */
	for (int first = 1; ; first = 0) {
		if (stat(cur, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return fail(err, errlen, EXIT_SYSTEM, "%s: cannot create the results "
				            "folder: %s", dir, strerror(ENOTDIR));
			if (access(cur, W_OK | X_OK) != 0)
				return fail(err, errlen, EXIT_SYSTEM, "%s: cannot %s: %s", dir,
				            first ? "write into the results folder"
				                  : "create the results folder", strerror(errno));
			return 0;
		}
		if (errno != ENOENT)
			return fail(err, errlen, EXIT_SYSTEM, "%s: cannot create the results folder: "
			            "%s", dir, strerror(errno));
		char *slash = strrchr(cur, '/');
		while (slash && slash > cur && slash[1] == '\0') {   /* "a/b/" */
			*slash = '\0';
			slash = strrchr(cur, '/');
		}
		if (!slash)
			snprintf(cur, sizeof cur, ".");
		else if (slash == cur)
			snprintf(cur, sizeof cur, "/");
		else
			*slash = '\0';
	}
}

int outpath_temp_name(const char *dir, const char *base, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/.%s.%ld.XXXXXX", dir, base, (long)getpid()) >= len)
		return ENAMETOOLONG;
	return 0;
}

/*
 * ".NAME.json.PID.XXXXXX" whose PID no longer runs, or the older
 * ".NAME.json.XXXXXX" (no PID) untouched for a minute: a writer holds its
 * temporary file for the time of one write, fsync and rename.
 */
static int is_stale_temp(int dfd, const char *name)
{
	size_t n = strlen(name);
	if (name[0] != '.' || n < 1 + 5 + 7)
		return 0;
	const char *suffix = name + n - 7;           /* ".XXXXXX" */
	if (suffix[0] != '.')
		return 0;
	const char *p = suffix;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (p < suffix && p[-1] == '.' && p - 1 - name >= 6
	    && strncmp(p - 6, ".json.", 6) == 0) {
		long pid = strtol(p, NULL, 10);
		return pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0
		       && errno == ESRCH;
	}
	if (suffix - name >= 5 && strncmp(suffix - 5, ".json", 5) == 0)
		return time(NULL) - st.st_mtime > 60;
	return 0;
}

void outpath_remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && is_stale_temp(dirfd(d), e->d_name))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}
