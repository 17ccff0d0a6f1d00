/*
 * record.c - `bench record -o FILE [--max-ops N] [--follow-fork]
 * [--follow-exec] -- CMD ARGS...`: run a real program with
 * libheaplab-record.so preloaded (recorder/record_preload.c) and keep the
 * trace of its heap operations.
 *
 * bench writes the trace's header, starts CMD with the library in
 * LD_PRELOAD, and waits.  The library writes straight into the file through a
 * shared mapping, so whatever way CMD ends (exit, _exit, a crash, a signal)
 * the lines it wrote are in the file; bench then cuts the file after the last
 * complete line (the mapping leaves zero bytes and maybe half a line behind)
 * and appends a `#` comment with the operation count and how CMD ended.
 *
 * SIGINT and SIGQUIT are left to CMD (as system() does) and SIGTERM and SIGHUP
 * are passed on to it: bench outlives CMD to finish the trace.  CMD never
 * outlives bench: killed by SIGKILL, bench takes CMD with it
 * (PR_SET_PDEATHSIG), and the trace it leaves, cut short in the zero bytes
 * the recorder had reserved, is read up to its last complete line with a
 * warning (workloads/README.md).
 *
 * Exit status: 0 when the trace was written, whatever CMD's own status (it is
 * printed on stderr and recorded in the trace's last line); 2 for bad usage;
 * 3 when CMD cannot be started or the trace cannot be written (including -o
 * naming something that is not a regular file, such as /dev/full).  CMD's
 * standard streams are its own: bench prints only to stderr, after CMD ends.
 */
#define _GNU_SOURCE
#include "commands.h"
#include "cli.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "../core/trace_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RECORD_LIB "libheaplab-record.so"

struct record_opts {
	const char *out;          /* the trace                               */
	uint64_t    max_ops;      /* 0: no cap                               */
	int         follow_fork;  /* children write OUT.<pid>                */
	int         follow_exec;  /* exec'd programs write OUT.<pid>         */
	char      **cmd;          /* the program and its arguments            */
};

static void record_usage(FILE *f)
{
	cli_usage_text(f, "usage: bench record -o FILE [--max-ops N] [--follow-fork] [--follow-exec]\n"
	      "                    -- CMD [ARGS...]\n"
	      "Runs CMD with the recorder preloaded and writes its malloc, calloc, realloc,\n"
	      "free and aligned allocations to FILE as a native trace.\n"
	      "  --max-ops N     stop recording after N operations (CMD runs on)\n"
	      "  --follow-fork   also record forked children, each into FILE.<pid>\n"
	      "  --follow-exec   also record programs CMD executes, into FILE.<pid>\n"
	      "Exits 0 when the trace was written (CMD's status is printed on stderr),\n"
	      "2 for bad usage, 3 when CMD cannot be started or FILE cannot be written.\n"
	      "HEAPLAB_RECORD_LIB overrides where " RECORD_LIB " is looked for.\n");
}

/* The recorder library: $HEAPLAB_RECORD_LIB, else beside the bench binary. */
static int find_library(char *path, size_t size)
{
	const char *env = getenv("HEAPLAB_RECORD_LIB");
	if (env && *env) {
		if (!realpath(env, path) || access(path, R_OK)) {
			fprintf(stderr, "bench: record: HEAPLAB_RECORD_LIB=%s: %s\n", env,
			        strerror(errno ? errno : ENOENT));
			return -1;
		}
		return 0;
	}
	char dir[PATH_MAX];
	if (exe_dir(dir, sizeof dir)) {
		fprintf(stderr, "bench: record: cannot find my own binary: %s\n", strerror(errno));
		return -1;
	}
	static const char *const where[] = {
		"%s/build/" RECORD_LIB,         /* ./bench in a source tree            */
		"%s/" RECORD_LIB,               /* build/san/bench, or installed beside */
		"%s/../lib/heaplab/" RECORD_LIB /* make install layouts                 */
	};
	for (unsigned i = 0; i < sizeof where / sizeof where[0]; i++) {
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof cand, where[i], dir);
		if (realpath(cand, path) && !access(path, R_OK))
			return 0;
	}
	(void)size;
	fprintf(stderr, "bench: record: cannot find %s in %s/build or %s (run make, or set "
	        "HEAPLAB_RECORD_LIB)\n", RECORD_LIB, dir, dir);
	return -1;
}

/*
 * Read the options into `o`; they end at `--` or at the program's name.
 * Returns -1 to go on, or the exit code to return now (--help, misuse).
 */
static int parse_args(int argc, char **argv, struct record_opts *o)
{
	enum { OPT_MAX_OPS = 256, OPT_FOLLOW_FORK, OPT_FOLLOW_EXEC };
	static const struct option opts[] = {
		{ "follow-exec", no_argument,       NULL, OPT_FOLLOW_EXEC },
		{ "follow-fork", no_argument,       NULL, OPT_FOLLOW_FORK },
		{ "help",        no_argument,       NULL, 'h' },
		{ "max-ops",     required_argument, NULL, OPT_MAX_OPS },
		{ "output",      required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			record_usage(stdout);
			return finish_stdout(EXIT_OK);
		case 'o':
			o->out = optarg;
			break;
		case OPT_MAX_OPS: {
			char *end;
			errno = 0;
			unsigned long long x = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno || x == 0) {
				fprintf(stderr, "bench: record: --max-ops %s: expected a whole number "
				        "above 0\n", optarg);
				return EXIT_USAGE;
			}
			o->max_ops = x;
			break;
		}
		case OPT_FOLLOW_FORK: o->follow_fork = 1; break;
		case OPT_FOLLOW_EXEC: o->follow_exec = 1; break;
		case ':':
			fprintf(stderr, "bench: record: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: record: unknown option %s (try bench record --help)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (!o->out) {
		fputs("bench: record: no output file: give -o FILE\n", stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(o->out, "-")) {
		fputs("bench: record: -o needs a file (the recorder writes through a mapping of "
		      "it), not standard output\n", stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs("bench: record: no command to record: bench record -o FILE -- CMD ARGS...\n",
		      stderr);
		return EXIT_USAGE;
	}
	o->cmd = argv + optind;
	return -1;
}

/* Append `s` shell-quoted (when it needs it) to the header line. */
static void put_quoted(FILE *f, const char *s)
{
	if (*s && !s[strcspn(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~")]) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else if (*s == '\n')
			fputs("\\n", f);   /* a trace comment is one line */
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static int write_header(const char *path, const struct record_opts *o)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, TRACE_HEADER ", recorded %s by bench record from:\n# ", when);
	for (char **a = o->cmd; *a; a++) {
		put_quoted(f, *a);
		fputc(a[1] ? ' ' : '\n', f);
	}
	fprintf(f, "# regenerate: bench record -o ");
	put_quoted(f, o->out);
	if (o->max_ops)
		fprintf(f, " --max-ops %" PRIu64, o->max_ops);
	fprintf(f, "%s%s --", o->follow_fork ? " --follow-fork" : "",
	        o->follow_exec ? " --follow-exec" : "");
	for (char **a = o->cmd; *a; a++) {
		fputc(' ', f);
		put_quoted(f, *a);
	}
	fputc('\n', f);
	return fclose(f);
}

/*
 * Cut `path` after its last complete line, then count its operation lines.
 * Returns 0, or -1 with errno set.
 */
static int finish_file(const char *path, uint64_t *ops)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	static char buf[1 << 16];
	off_t end = st.st_size, keep = 0;
	while (end > 0 && !keep) {
		off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		ssize_t n = pread(fd, buf, (size_t)(end - from), from);
		if (n != end - from) {
			close(fd);
			errno = n < 0 ? errno : EIO;
			return -1;
		}
		for (ssize_t i = n - 1; i >= 0; i--)
			if (buf[i] == '\n') {
				keep = from + i + 1;
				break;
			}
		end = from;
	}
	if (ftruncate(fd, keep)) {
		close(fd);
		return -1;
	}
	/* count the lines that are operations (not comments, not blank, not
	 * the `t N` lines that name the thread of the operations after them) */
	uint64_t count = 0;
	int at_start = 1;
	off_t pos = 0;
	while (pos < keep) {
		ssize_t n = pread(fd, buf, sizeof buf, pos);
		if (n <= 0) {
			close(fd);
			errno = n < 0 ? errno : EIO;
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (at_start && buf[i] != TRACE_COMMENT && buf[i] != '\n' &&
			    buf[i] != TRACE_LETTER_THREAD)
				count++;
			at_start = buf[i] == '\n';
		}
		pos += n;
	}
	close(fd);
	*ops = count;
	return 0;
}

/* Side traces: OUT.<pid> or OUT.<pid>.<n>, in OUT's directory.  With `remove`
 * set, delete them (stale ones from an earlier run); else finish each. */
static void side_files(const char *out, int remove, int *count)
{
	char dirbuf[PATH_MAX], basebuf[PATH_MAX];
	snprintf(dirbuf, sizeof dirbuf, "%s", out);
	snprintf(basebuf, sizeof basebuf, "%s", out);
	const char *dir = dirname(dirbuf), *base = basename(basebuf);
	size_t blen = strlen(base);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (strncmp(n, base, blen) || n[blen] != '.')
			continue;
		const char *s = n + blen + 1;
		size_t digits = strspn(s, "0123456789");
		if (!digits || (s[digits] && (s[digits] != '.' || !s[digits + 1] ||
		                              s[digits + 1 + strspn(s + digits + 1, "0123456789")])))
			continue;
		char path[2 * PATH_MAX + 2];
		snprintf(path, sizeof path, "%s/%s", dir, n);
		if (remove) {
			unlink(path);
			continue;
		}
		uint64_t ops;
		FILE *f;
		if (finish_file(path, &ops) == 0 && (f = fopen(path, "a"))) {
			fprintf(f, "# end: %" PRIu64 " operations recorded in process %.*s (a child "
			        "or exec'd program; bench does not know how it ended)\n", ops,
			        (int)digits, s);
			fclose(f);
			fprintf(stderr, "bench: record: %s: %" PRIu64 " operations (a child)\n",
			        path, ops);
			(*count)++;
		}
	}
	closedir(d);
}

/*
 * ---- the program exec'ing another one ----
 *
 * A wrapper script or a version manager's shim (pyenv's python3 is a bash
 * script) execs the real program: without --follow-exec, only the wrapper
 * would be recorded.  The recorder, still loaded in the images of the
 * process bench started, appends "PID EXE" to a log file for every exec;
 * bench reads it when the program has ended and says what happened.
 */
static char exec_log[64];

static int exec_log_create(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(exec_log, sizeof exec_log, "%s/heaplab-record-XXXXXX",
	         tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	int fd = mkstemp(exec_log);
	if (fd < 0) {
		exec_log[0] = '\0';
		return -1;
	}
	close(fd);
	return 0;
}

/* Does this program serve small objects without malloc (CPython's pymalloc)? */
static int bypasses_malloc(const char *exe)
{
	const char *base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	const char *pm = getenv("PYTHONMALLOC");
	return !strncmp(base, "python", 6) &&
	       !(pm && (!strcmp(pm, "malloc") || !strcmp(pm, "malloc_debug")));
}

static void exec_log_report(const struct record_opts *o, uint64_t ops)
{
	if (!exec_log[0])
		return;
	FILE *f = fopen(exec_log, "re");
	char line[PATH_MAX + 32], last[PATH_MAX] = "";
	unsigned n = 0;
	long pid = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		line[strcspn(line, "\n")] = '\0';
		pid = strtol(line, NULL, 10);
		snprintf(last, sizeof last, "%s", sp + 1);
		n++;
	}
	if (f)
		fclose(f);
	unlink(exec_log);
	if (!n) {
		if (bypasses_malloc(o->cmd[0]))
			fprintf(stderr, "bench: record: note: CPython serves small objects from its own "
			        "allocator (pymalloc), not malloc: set PYTHONMALLOC=malloc to record "
			        "them\n");
		return;
	}
	/* the n-th image of the process writes OUT.<pid>.<n-1> (OUT.<pid> first) */
	char side[32] = "";
	if (n > 1)
		snprintf(side, sizeof side, ".%u", n - 1);
	if (o->follow_exec)
		fprintf(stderr, "bench: record: %s exec'd %s (pid %ld)%s: its operations are in "
		        "%s.%ld%s\n", o->cmd[0], last, pid, n > 1 ? " at the end of a chain of execs" : "",
		        o->out, pid, side);
	else
		fprintf(stderr, "bench: record: warning: %s exec'd %s (pid %ld)%s, which was NOT "
		        "recorded: the %" PRIu64 " operations in %s are %s's before the exec.  Record "
		        "the exec'd program with --follow-exec (into %s.<pid>), or name it: bench "
		        "record -o %s -- %s ...\n", o->cmd[0], last, pid,
		        n > 1 ? " at the end of a chain of execs" : "", ops, o->out, o->cmd[0],
		        o->out, o->out, last);
	if (bypasses_malloc(last))
		fprintf(stderr, "bench: record: note: CPython serves small objects from its own "
		        "allocator (pymalloc), not malloc: set PYTHONMALLOC=malloc to record them\n");
}

/* In the child: who the first process is, and where its execs are logged. */
static int record_exec_env(void)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if (!exec_log[0])
		return 0;
	return setenv("HEAPLAB_RECORD_FIRST_PID", pid, 1) ||
	       setenv("HEAPLAB_RECORD_EXEC_LOG", exec_log, 1);
}

static volatile pid_t recorded_pid;   /* for forward_signal */

/* SIGTERM or SIGHUP to bench: pass it on and stay to finish the trace. */
static void forward_signal(int sig)
{
	if (recorded_pid > 0)
		kill(recorded_pid, sig);
}

static void describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)%s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "ended with wait status %d", status);
}

/*
 * Before CMD starts: find the library, write the trace's header, take its
 * absolute path (CMD may change directory) and remove stale side traces.
 * 0, or an exit code after saying what is wrong.
 */
static int prepare_trace(const struct record_opts *o, char *lib, char *out_abs)
{
	if (find_library(lib, PATH_MAX))
		return EXIT_SYSTEM;
	struct stat st;
	if (!stat(o->out, &st) && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "bench: record: %s is not a regular file (the recorder maps the "
		        "trace into memory)\n", o->out);
		return EXIT_SYSTEM;   /* the trace cannot be written there */
	}
	if (write_header(o->out, o)) {
		fprintf(stderr, "bench: record: %s: cannot write: %s\n", o->out, strerror(errno));
		return EXIT_SYSTEM;
	}
	if (!realpath(o->out, out_abs)) {
		fprintf(stderr, "bench: record: %s: %s\n", o->out, strerror(errno));
		return EXIT_SYSTEM;
	}
	if (o->follow_fork || o->follow_exec)
		side_files(out_abs, 1, NULL);
	return 0;
}

/* In the child: LD_PRELOAD with the library first, and the recorder's settings. */
static int set_child_environment(const struct record_opts *o, const char *lib,
                                 const char *out_abs)
{
	const char *old = getenv("LD_PRELOAD");
	size_t plen = strlen(lib) + (old ? strlen(old) + 1 : 0) + 1;
	char *preload = malloc(plen);
	if (!preload)
		return -1;
	snprintf(preload, plen, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
	char max_ops[32];
	snprintf(max_ops, sizeof max_ops, "%" PRIu64, o->max_ops);
	return setenv("LD_PRELOAD", preload, 1) || setenv("HEAPLAB_RECORD_OUT", out_abs, 1) ||
	       setenv("HEAPLAB_RECORD_STATE", "fresh", 1) ||
	       setenv("HEAPLAB_RECORD_MAX_OPS", max_ops, 1) ||
	       setenv("HEAPLAB_RECORD_FOLLOW_FORK", o->follow_fork ? "1" : "0", 1) ||
	       setenv("HEAPLAB_RECORD_FOLLOW_EXEC", o->follow_exec ? "1" : "0", 1) ||
	       record_exec_env();
}

/*
 * Start CMD with the recorder preloaded.  An exec failure comes back as an
 * errno through the close-on-exec pipe whose reading end is *report.
 * Returns CMD's pid, or -1 after saying why it could not start.
 */
static pid_t start_program(const struct record_opts *o, const char *lib, const char *out_abs,
                           int *report)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC)) {
		fprintf(stderr, "bench: record: pipe: %s\n", strerror(errno));
		return -1;
	}
	/* Following children, bench must not finish their traces while they
	 * still write: as a subreaper it inherits orphaned descendants and waits
	 * for them all. */
	if (o->follow_fork || o->follow_exec)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	exec_log_create();
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench: record: cannot start %s: %s\n", o->cmd[0], strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		/* CMD must not outlive bench: killed with it, even by SIGKILL (checked
		 * after the prctl, in case bench died between fork and prctl). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);
		if (set_child_environment(o, lib, out_abs) == 0)
			execvp(o->cmd[0], o->cmd);
		int e = errno;
		(void)!write(pipefd[1], &e, sizeof e);
		_exit(127);
	}
	close(pipefd[1]);
	*report = pipefd[0];
	return pid;
}

/*
 * Wait for CMD (and, following children, for every descendant).  Like
 * system(), an interrupt at the terminal is the program's to handle; SIGTERM
 * and SIGHUP are passed on; bench stays to finish the trace.  Returns the
 * errno of a failed exec, or 0 when CMD ran; its wait status in *status.
 */
static int wait_for_program(const struct record_opts *o, pid_t pid, int report, int *status)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct sigaction fwd = { .sa_handler = forward_signal }, old_term, old_hup;
	recorded_pid = pid;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	int exec_err = 0;
	ssize_t got;
	do
		got = read(report, &exec_err, sizeof exec_err);
	while (got < 0 && errno == EINTR);
	close(report);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (o->follow_fork || o->follow_exec) {
		int other;
		while (waitpid(-1, &other, 0) > 0 || errno == EINTR)
			;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return got == (ssize_t)sizeof exec_err ? exec_err : 0;
}

/*
 * After CMD: cut the trace after its last complete line, append how CMD
 * ended, finish the side traces and say what was recorded.
 */
static int finish_trace(const struct record_opts *o, const char *out_abs, int status)
{
	uint64_t ops;
	if (finish_file(out_abs, &ops)) {
		fprintf(stderr, "bench: record: %s: cannot finish the trace: %s\n", o->out,
		        strerror(errno));
		return EXIT_SYSTEM;
	}
	char how[160];
	describe_status(status, how, sizeof how);
	FILE *f = fopen(out_abs, "a");
	if (!f) {
		fprintf(stderr, "bench: record: %s: %s\n", o->out, strerror(errno));
		return EXIT_SYSTEM;
	}
	fprintf(f, "# end: %" PRIu64 " operations recorded%s; the program %s\n", ops,
	        o->max_ops && ops >= o->max_ops ? " (the --max-ops cap)" : "", how);
	if (fclose(f)) {
		fprintf(stderr, "bench: record: %s: %s\n", o->out, strerror(errno));
		return EXIT_SYSTEM;
	}
	int nside = 0;
	if (o->follow_fork || o->follow_exec)
		side_files(out_abs, 0, &nside);
	fprintf(stderr, "bench: record: %s %s; %" PRIu64 " operations written to %s\n",
	        o->cmd[0], how, ops, o->out);
	exec_log_report(o, ops);
	if (ops == 0)
		fprintf(stderr, "bench: record: warning: nothing was recorded; if the program "
		        "allocates, note that a statically linked or setuid program ignores LD_PRELOAD, and a file system without shared "
		        "mappings defeats the recorder\n");
	return EXIT_OK;
}

int record_main(int argc, char **argv)
{
	struct record_opts o = { 0 };
	char lib[PATH_MAX], out_abs[PATH_MAX];
	int code = parse_args(argc, argv, &o);
	if (code >= 0)
		return code;
	if ((code = prepare_trace(&o, lib, out_abs)))
		return code;
	int report, status;
	pid_t pid = start_program(&o, lib, out_abs, &report);
	if (pid < 0)
		return EXIT_SYSTEM;
	int exec_err = wait_for_program(&o, pid, report, &status);
	if (exec_err) {
		fprintf(stderr, "bench: record: cannot run %s: %s\n", o.cmd[0], strerror(exec_err));
		if (exec_log[0])
			unlink(exec_log);
		unlink(o.out);
		return EXIT_SYSTEM;
	}
	return finish_trace(&o, out_abs, status);
}
