/*
 * program.c - one measured run of a whole program, and the --programs list
 * file (program.h).
 *
 * A run is a fresh process: fork, a process group of its own, LD_PRELOAD of
 * the allocator's library, exec.  The parent is single-threaded and waits in
 * poll() on two descriptors - the program's stdout (hashed as it arrives)
 * and a pidfd that becomes readable when the program exits - with a timeout
 * that is the next RSS sample, so the exit is seen at once (the wall time is
 * not rounded up to the sampling interval) and the sampling costs the
 * program nothing but the parent's few reads of /proc.
 *
 * RSS is sampled for the whole process tree (the program and the children
 * listed in /proc/PID/task/PID/children, recursively): gcc's cc1 or git's
 * helpers are part of the program's footprint.  Every 5 ms at first; when
 * PROGRAM_TIMELINE_MAX samples are taken, every other one is dropped and
 * the interval doubles, so a long program keeps a bounded, even timeline.
 */
#define _GNU_SOURCE
#include "program.h"
#include "../core/monoclock.h"

#include "../core/sha256.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t program_interrupted;

#define SAMPLE_MS_FIRST 5
#define TREE_MAX        256   /* processes summed per sample */

/* Resident bytes of `pid` from /proc/PID/statm, or 0 when it is gone. */
static uint64_t statm_rss(pid_t pid)
{
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long size, resident;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* The RSS of pid and its descendants; *budget bounds the processes visited. */
static uint64_t tree_rss(pid_t pid, int depth, int *budget)
{
	if (--*budget < 0)
		return 0;
	uint64_t sum = statm_rss(pid);
	if (depth >= 16)
		return sum;
	char path[80], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sum;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return sum;
	buf[n] = '\0';
	for (char *p = buf, *end; *p; p = end) {
		long child = strtol(p, &end, 10);
		if (end == p)
			break;
		if (child > 0)
			sum += tree_rss((pid_t)child, depth + 1, budget);
	}
	return sum;
}

static void add_sample(struct program_run *r, double t0, unsigned *interval_ms, uint64_t rss)
{
	if (rss > r->sampled_peak)
		r->sampled_peak = rss;
	if (r->npoints == PROGRAM_TIMELINE_MAX) {
		for (unsigned k = 0; k < PROGRAM_TIMELINE_MAX / 2; k++) {
			r->ms[k] = r->ms[2 * k];
			r->rss[k] = r->rss[2 * k];
		}
		r->npoints = PROGRAM_TIMELINE_MAX / 2;
		*interval_ms *= 2;
	}
	double ms = (mono_s() - t0) * 1000;
	r->ms[r->npoints] = ms > 4e9 ? 4000000000u : (uint32_t)ms;
	r->rss[r->npoints] = rss;
	r->npoints++;
}

/* The statistics lines the preload library appended to `path`. */
static void read_stats(const char *path, struct program_run *r)
{
	FILE *f = fopen(path, "re");
	char line[2048];
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		const char *pb = strstr(line, "peak break ");
		const char *pc = strstr(line, "provider calls ");
		unsigned long long brk, calls;
		if (!pb || !pc || sscanf(pb, "peak break %llu", &brk) != 1 ||
		    sscanf(pc, "provider calls %llu", &calls) != 1)
			continue;
		r->has_stats = 1;
		r->processes++;
		if (brk > r->peak_break)
			r->peak_break = brk;
		r->provider_calls += calls;
	}
	fclose(f);
}

/* In the child: set up descriptors and environment, exec.  Never returns. */
static void child_exec(const struct program *p, const char *preload, const char *stats_path,
                       const char *err_path, int out_fd, int status_fd)
{
	int e;
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (p->dir && chdir(p->dir) != 0)
		goto fail;
	int in = open(p->stdin_path ? p->stdin_path : "/dev/null", O_RDONLY);
	int er = err_path ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)
	                  : open("/dev/null", O_WRONLY);
	if (in < 0 || er < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(er, 2) < 0)
		goto fail;
	if (in > 2)
		close(in);
	if (er > 2)
		close(er);
	if (out_fd > 2)
		close(out_fd);
	if (preload) {
		const char *old = getenv("LD_PRELOAD");
		char *v;
		if (asprintf(&v, "%s%s%s", preload, old && *old ? ":" : "", old && *old ? old : "") < 0 ||
		    setenv("LD_PRELOAD", v, 1) != 0)
			goto fail;
	}
	if (stats_path) {
		if (setenv("HEAPLAB_STATS", "1", 1) || setenv("HEAPLAB_STATS_FILE", stats_path, 1))
			goto fail;
	} else {
		unsetenv("HEAPLAB_STATS_FILE");
	}
	for (unsigned k = 0; p->env[k]; k++)
		if (putenv(p->env[k]) != 0)
			goto fail;
	signal(SIGPIPE, SIG_DFL);   /* bench ignores it (main.c); the program gets the default */
	execvp(p->argv[0], p->argv);
fail:
	e = errno;
	if (write(status_fd, &e, sizeof e) < 0) {
		/* nothing more to say: the parent sees no errno and reports a failed start */
	}
	_exit(127);
}

/* A started program, as the parent watches it. */
struct watch {
	pid_t         pid;
	int           out_fd;      /* the program's stdout, non-blocking          */
	int           pidfd;       /* readable when it exits; -1 without pidfds   */
	double        t0, t_end;   /* when it was forked, when it was seen to end */
	double        timeout;     /* seconds, 0: none                            */
	struct sha256 h;           /* of its stdout so far                        */
	int           status;      /* wait4's                                     */
	struct rusage ru;
};

/*
 * Fork and exec p (child_exec) with its stdout into w->out_fd.  Returns 0,
 * or -1 with a message: it could not start, or (*child_errno) its exec failed.
 */
static int start_program(const struct program *p, const char *preload, const char *stats_path,
                         const char *err_path, struct watch *w, int *child_errno,
                         char *err, size_t errlen)
{
	int out[2], st[2];
	if (pipe2(out, O_CLOEXEC) != 0 || (pipe2(st, O_CLOEXEC) != 0 && (close(out[0]), close(out[1]), 1))) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	w->t0 = mono_s();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(out[0]); close(out[1]); close(st[0]); close(st[1]);
		return -1;
	}
	if (pid == 0) {
		close(out[0]);
		close(st[0]);
		child_exec(p, preload, stats_path, err_path, out[1], st[1]);
	}
	setpgid(pid, pid);   /* also here: no race with a kill before the child's own call */
	close(out[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	close(st[1]);
	ssize_t got;
	do
		got = read(st[0], child_errno, sizeof *child_errno);
	while (got < 0 && errno == EINTR);
	close(st[0]);
	w->pid = pid;
	w->out_fd = out[0];
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/* Sleep until the program writes or exits, or the next sample is due. */
static void wait_for_program(const struct watch *w, int out_open, int exited, double next)
{
	struct pollfd fds[2];
	nfds_t nf = 0;
	if (out_open)
		fds[nf++] = (struct pollfd){ .fd = w->out_fd, .events = POLLIN };
	if (!exited && w->pidfd >= 0)
		fds[nf++] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
	int wait_ms = exited ? 100 : (int)((next - mono_s()) * 1000) + 1;
	if (wait_ms < 0)
		wait_ms = 0;
	if (!exited && w->pidfd < 0 && wait_ms > 1)
		wait_ms = 1;   /* no pidfd: poll the child's state every millisecond */
	if (nf)
		poll(fds, nf, wait_ms);
	else
		usleep((useconds_t)wait_ms * 1000);
}

/* Hash what the program wrote since the last call.  Returns 0 when stdout is closed. */
static int read_output(struct watch *w, struct program_run *r)
{
	char buf[65536];
	ssize_t n = read(w->out_fd, buf, sizeof buf);
	if (n > 0) {
		sha256_update(&w->h, buf, (size_t)n);
		r->output_bytes += (uint64_t)n;
		return 1;
	}
	return n < 0 && (errno == EINTR || errno == EAGAIN);
}

/*
 * Until the program has exited and closed its stdout: hash its output,
 * sample its RSS, kill it at the timeout or an interrupt.  Then reap it
 * and whatever it left in its process group.
 */
static void watch_program(struct watch *w, struct program_run *r)
{
	unsigned interval = SAMPLE_MS_FIRST;
	double next = w->t0 + interval / 1000.0;
	int out_open = 1, exited = 0;

	while (!exited || out_open) {
		double now = mono_s();
		if (!exited && w->timeout > 0 && now - w->t0 > w->timeout) {
			kill(-w->pid, SIGKILL);
			r->timed_out = 1;
		}
		if (program_interrupted) {
			kill(-w->pid, SIGKILL);   /* the program has its own process group: no ^C */
			if (exited)
				break;
		}
		if (exited && w->timeout > 0 && now - w->t0 > w->timeout + 5)
			break;   /* a descendant keeps stdout open: stop reading */
		if (!exited && now >= next) {
			int budget = TREE_MAX;
			add_sample(r, w->t0, &interval, tree_rss(w->pid, 0, &budget));
			next = now + interval / 1000.0;
		}
		wait_for_program(w, out_open, exited, next);
		if (out_open)
			out_open = read_output(w, r);
		if (!exited && wait4(w->pid, &w->status, WNOHANG, &w->ru) == w->pid) {
			w->t_end = mono_s();
			exited = 1;
		}
	}
	if (!exited) {
		wait4(w->pid, &w->status, 0, &w->ru);
		w->t_end = mono_s();
	}
	kill(-w->pid, SIGKILL);   /* whatever the program left behind in its group */
	if (w->pidfd >= 0)
		close(w->pidfd);
	close(w->out_fd);
}

/* The figures of a run that ended: times, rusage, how it ended, its stdout's hash. */
static void note_run(struct watch *w, struct program_run *r)
{
	r->started = 1;
	r->wall = w->t_end - w->t0;
	r->user = (double)w->ru.ru_utime.tv_sec + (double)w->ru.ru_utime.tv_usec / 1e6;
	r->sys = (double)w->ru.ru_stime.tv_sec + (double)w->ru.ru_stime.tv_usec / 1e6;
	r->maxrss = (uint64_t)w->ru.ru_maxrss * 1024;
	r->minflt = (uint64_t)w->ru.ru_minflt;
	r->majflt = (uint64_t)w->ru.ru_majflt;
	r->nvcsw = (uint64_t)w->ru.ru_nvcsw;
	r->nivcsw = (uint64_t)w->ru.ru_nivcsw;
	if (WIFSIGNALED(w->status)) {
		r->signal = WTERMSIG(w->status);
	} else if (WIFEXITED(w->status)) {
		r->exit_code = WEXITSTATUS(w->status);
	}
	uint8_t d[32];
	sha256_final(&w->h, d);
	for (int k = 0; k < 32; k++)
		snprintf(r->output_sha256 + 2 * k, 3, "%02x", d[k]);
}

int program_run_once(const struct program *p, const char *preload, const char *stats_path,
                     const char *err_path, double timeout, struct program_run *r,
                     char *err, size_t errlen)
{
	struct watch w = { .timeout = timeout };
	int child_errno = 0;
	memset(r, 0, sizeof *r);
	r->exit_code = -1;
	if (stats_path) {
		int fd = open(stats_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", stats_path, strerror(errno));
			return -1;
		}
		close(fd);
	}
	if (start_program(p, preload, stats_path, err_path, &w, &child_errno, err, errlen))
		return -1;
	sha256_init(&w.h);
	watch_program(&w, r);
	if (child_errno) {
		snprintf(err, errlen, "cannot run '%s'%s%s: %s", p->argv[0],
		         p->dir ? " in " : "", p->dir ? p->dir : "", strerror(child_errno));
		return -1;
	}
	note_run(&w, r);
	if (stats_path)
		read_stats(stats_path, r);
	return 0;
}

/* ---- the --programs file ---- */

/*
 * Split `s` into words: blanks separate, '...' and "..." quote (no escapes
 * inside '...'; \" and \\ inside "...").  Returns the count, or -1 with a
 * message.
 */
static int split_words(char *s, char **words, int max, char *why, size_t whylen)
{
	int n = 0;
	char *o = s;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n' || *s == '#')
			break;
		if (n == max) {
			snprintf(why, whylen, "more than %d words", max);
			return -1;
		}
		words[n++] = o;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				while (*s && *s != q) {
					if (q == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					*o++ = *s++;
				}
				if (*s != q) {
					snprintf(why, whylen, "unterminated %c quote", q);
					return -1;
				}
				s++;
			} else {
				*o++ = *s++;
			}
		}
		if (*s)
			s++;
		*o++ = '\0';
	}
	return n;
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= PROGRAM_NAME_MAX || *s == '.' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static char *join_dir(const char *base, const char *rel)
{
	char *s;
	if (rel[0] == '/' || !base)
		return strdup(rel);
	return asprintf(&s, "%s/%s", base, rel) < 0 ? NULL : s;
}

void program_list_free(struct program *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (unsigned k = 0; list[i].argv[k]; k++)
			free(list[i].argv[k]);
		for (unsigned k = 0; list[i].env[k]; k++)
			free(list[i].env[k]);
		free(list[i].dir);
		free(list[i].stdin_path);
		free(list[i].setup);
	}
	free(list);
}

/*
 * A line's KEY=VALUE settings, w[1] up to "--", into p.  Returns the index
 * of the word after the settings, or -1 with why.
 */
static int program_settings(struct program *p, char **w, int nw, const char *base,
                            char *why, size_t whylen)
{
	int k = 1, nenv = 0;
	for (; k < nw && strcmp(w[k], "--"); k++) {
		char *eq = strchr(w[k], '=');
		if (!eq) {
			snprintf(why, whylen, "'%s': expected KEY=VALUE (dir, stdin, setup, env, "
			         "timeout) or -- before the command", w[k]);
			return -1;
		}
		*eq = '\0';
		const char *v = eq + 1;
		if (!strcmp(w[k], "dir") && !p->dir) {
			p->dir = join_dir(base, v);
		} else if (!strcmp(w[k], "stdin") && !p->stdin_path) {
			p->stdin_path = strdup(v);
		} else if (!strcmp(w[k], "setup") && !p->setup) {
			p->setup = strdup(v);
		} else if (!strcmp(w[k], "env") && strchr(v, '=') && v[0] != '=') {
			if (nenv == PROGRAM_ENV_MAX) {
				snprintf(why, whylen, "more than %d env= settings", PROGRAM_ENV_MAX);
				return -1;
			}
			p->env[nenv++] = strdup(v);
		} else if (!strcmp(w[k], "timeout")) {
			char *end;
			p->timeout = strtod(v, &end);
			if (end == v || *end || !(p->timeout > 0 && p->timeout <= 86400)) {
				snprintf(why, whylen, "timeout=%s: expected seconds, more than 0", v);
				return -1;
			}
		} else {
			snprintf(why, whylen, "'%s=%s': unknown or repeated setting (dir, stdin, "
			         "setup, env=NAME=VALUE, timeout)", w[k], v);
			return -1;
		}
	}
	return k;
}

/*
 * The words of one line into list[n - 1]: NAME [KEY=VALUE...] -- COMMAND
 * [ARGS...], its name not one of list[0..n-2]'s.  Returns 0, or -1 with why.
 */
static int program_from_words(struct program *list, size_t n, char **w, int nw,
                              const char *base, char *why, size_t whylen)
{
	struct program *p = &list[n - 1];
	if (!valid_name(w[0])) {
		snprintf(why, whylen, "'%s' is not a program name (letters, digits, - _ .; "
		         "at most %d characters)", w[0], PROGRAM_NAME_MAX - 1);
		return -1;
	}
	snprintf(p->name, sizeof p->name, "%s", w[0]);
	for (size_t j = 0; j + 1 < n; j++)
		if (!strcmp(list[j].name, p->name)) {
			snprintf(why, whylen, "program '%s' is already defined on line %u",
			         p->name, list[j].line);
			return -1;
		}
	int k = program_settings(p, w, nw, base, why, whylen);
	if (k < 0)
		return -1;
	if (k >= nw - 1) {
		snprintf(why, whylen, "no command: expected NAME [KEY=VALUE...] -- COMMAND "
		         "[ARGS...]");
		return -1;
	}
	if (nw - k - 1 > PROGRAM_ARGS_MAX) {
		snprintf(why, whylen, "more than %d command words", PROGRAM_ARGS_MAX);
		return -1;
	}
	for (int a = k + 1; a < nw; a++)
		p->argv[a - k - 1] = strdup(w[a]);
	if (!p->dir)
		p->dir = base ? strdup(base) : NULL;
	return 0;
}

int program_list_load(const char *path, struct program **out, size_t *nout, char *err,
                      size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[8192], why[256];
	struct program *list = NULL;
	size_t n = 0, cap = 0;
	unsigned lineno = 0;
	*out = NULL;
	*nout = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Paths in the file are relative to the file's folder. */
	char *base = strdup(path), *slash = base ? strrchr(base, '/') : NULL;
	if (slash)
		*slash = '\0';
	else {
		free(base);
		base = NULL;
	}
	while (fgets(line, sizeof line, f)) {
		char *w[PROGRAM_ARGS_MAX + 16];
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(why, sizeof why, "line longer than %zu characters", sizeof line - 2);
			goto bad;
		}
		int nw = split_words(line, w, (int)(sizeof w / sizeof w[0]), why, sizeof why);
		if (nw < 0)
			goto bad;
		if (nw == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			struct program *nl = realloc(list, cap * sizeof *nl);
			if (!nl) {
				snprintf(why, sizeof why, "out of memory");
				goto bad;
			}
			list = nl;
		}
		memset(&list[n], 0, sizeof list[n]);
		list[n].file = path;
		list[n].line = lineno;
		n++;
		if (program_from_words(list, n, w, nw, base, why, sizeof why))
			goto bad;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	free(base);
	if (!n) {
		snprintf(err, errlen, "%s: no program defined", path);
		program_list_free(list, n);
		return -1;
	}
	*out = list;
	*nout = n;
	return 0;
bad:
	snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
fail:
	fclose(f);
	free(base);
	program_list_free(list, n);
	return -1;
}
