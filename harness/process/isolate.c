/* isolate.c - one cell in child processes (see isolate.h). */
#define _GNU_SOURCE
#include "isolate.h"
#include "../core/monoclock.h"

#include "../core/bulk.h"
#include "../core/exitcodes.h"
#include "../core/fileio.h"
#include "student.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAGIC 0x686561706c616231ull   /* "heaplab1" */

enum child_mode {
	MODE_MAIN    = 1,  /* built-ins: cell_run (checked + timed passes)   */
	MODE_MEMORY  = 2,  /* everyone: the memory pass                        */
	MODE_CHECKED = 3,  /* peers: the checked pass alone                    */
	MODE_TIMED   = 4,  /* peers: one timed pass, in a process of its own   */
	MODE_LATENCY = 5,  /* peers: the --latency pass, in a fresh process    */
	MODE_COUNT   = 6,  /* everyone: one timed pass, counted (--count)      */
};

/* The one message a child sends: fixed size, no pointers. */
struct child_msg {
	uint64_t magic;
	uint64_t size;                /* sizeof(struct child_msg)               */
	struct cell_result   r;       /* MODE_MAIN, MODE_CHECKED                */
	struct mempass_result mem;    /* MODE_MEMORY                            */
	struct lib_stats     lib;     /* MODE_MEMORY, peers                     */
	struct pass_figures  fig;     /* MODE_TIMED, MODE_COUNT: the timed loop */
	struct memory_figures timed_mem; /* MODE_TIMED: the pass's heap (built-ins:
	                               * checked against the checked pass)      */
	int                  timed_rc;/* MODE_TIMED, MODE_COUNT: replay_timed's return */
	struct cost_figures  cost;    /* MODE_COUNT: perf counts, or the note why
	                               * not (callgrind's counts: its file)   */
	uint64_t end_magic;           /* MSG_MAGIC again: the whole struct came */
};

volatile sig_atomic_t isolate_interrupted;
void (*isolate_tick)(void);
const volatile struct replay_progress *isolate_progress;

/* The first of SIGINT, SIGTERM, SIGHUP wins: its number decides the exit status. */
static void on_sigint(int sig)
{
	if (!isolate_interrupted)
		isolate_interrupted = sig;
}

void isolate_catch_sigint(void)
{
	static const int stop[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < sizeof stop / sizeof stop[0]; k++)
		sigaddset(&sa.sa_mask, stop[k]);
	for (size_t k = 0; k < sizeof stop / sizeof stop[0]; k++)
		sigaction(stop[k], &sa, NULL);
}

/* ---- describing where a child got to ---- */

void isolate_where(char *buf, size_t len, const struct trace *t, uint32_t pass, uint64_t op)
{
	isolate_where_threads(buf, len, t, pass, op, 0, 1);
}

void isolate_where_threads(char *buf, size_t len, const struct trace *t, uint32_t pass,
                           uint64_t op, uint32_t threads, int exact)
{
	char p[48];
	if (pass == REPLAY_PASS_CHECKED)
		snprintf(p, sizeof p, "the checked pass");
	else if (pass == REPLAY_PASS_MEMORY)
		snprintf(p, sizeof p, "the memory pass");
	else if (pass >= REPLAY_PASS_TIMED && pass < REPLAY_PASS_TIMED + RUN_MAX)
		snprintf(p, sizeof p, "timed pass %u", pass - REPLAY_PASS_TIMED + 1);
	else {
		snprintf(buf, len, "before the replay started");
		return;
	}
	if (op == REPLAY_OP_NONE) {
		if (pass >= REPLAY_PASS_TIMED && pass < REPLAY_PASS_TIMED + RUN_MAX)
			snprintf(buf, len, "in %s (ops are not tracked in timed passes)", p);
		else
			snprintf(buf, len, "in %s, before its first op (init)", p);
	} else if (op == t->nops) {
		snprintf(buf, len, "in %s, after the last op (closing checks)", p);
	} else if (op > t->nops) {
		/* The shared page is the child's to write: it may hold garbage. */
		snprintf(buf, len, "in %s, at an unknown op (progress page says %" PRIu64 ")",
		         p, op);
	} else {
		const struct op *o = &t->ops[op];
		unsigned long long id = t->slot_id ? t->slot_id[o->slot] : o->slot;
		int n;
		if (t->line)
			n = snprintf(buf, len, "in %s at op %" PRIu64 " (%s:%u: %s of block %llu)", p,
			             op, t->path, t->line[op], trace_kind_name(o->kind), id);
		else
			n = snprintf(buf, len, "in %s at op %" PRIu64 " (%s: %s of block %llu)", p, op,
			             t->path, trace_kind_name(o->kind), id);
		if (threads > 1 && !exact && n > 0 && (size_t)n < len)
			snprintf(buf + n, len - (size_t)n, ", the last op begun of %u threads running "
			         "at once: the op at fault is not known for certain", threads);
	}
}

/* ---- the child side ---- */

/*
 * The counting child's probe for `method`: 0, or -1 with m->cost.note
 * saying why nothing can be counted here (the parent may try callgrind).
 */
static int count_open(struct count_probe *c, int method, struct child_msg *m)
{
	char why[160];
	int rc = method == COUNT_CALLGRIND ? count_callgrind_ready(c, why, sizeof why)
	                                   : count_perf_open(c, why, sizeof why);
	if (rc) {
		m->cost.method = COUNT_OFF;
		snprintf(m->cost.note, sizeof m->cost.note, "%s", why);
		return -1;
	}
	return 0;
}

/* What both kinds of child do once the allocator's table is in hand. */
static int child_run(enum child_mode mode, const struct allocator *a, const struct trace *t,
                     const struct cell_options *opt, unsigned pass, int fd)
{
	struct child_msg *m = bulk_alloc(sizeof *m);
	if (!m)
		return 3;
	m->magic = m->end_magic = MSG_MAGIC;
	m->size = sizeof *m;
	replay_progress->started = 1;
	if (mode == MODE_MAIN) {
		cell_run(a, t, opt, &m->r);
	} else if (mode == MODE_CHECKED) {
		replay_checked(a, t, opt, &m->r);
	} else if (mode == MODE_LATENCY) {
		m->r.status = CELL_OK;
		replay_latency_cell(a, t, opt, &m->r);
	} else if (mode == MODE_TIMED || mode == MODE_COUNT) {
		void **ptrs = bulk_alloc(replay_slots_bytes(t));
		struct count_probe probe;
		struct cell_options o = *opt;
		if (!ptrs) {
			m->r.status = CELL_SYSTEM;
			snprintf(m->r.message, sizeof m->r.message,
			         "cannot reserve memory for %u block pointers", t->nslots);
		} else if (mode == MODE_COUNT && count_open(&probe, opt->count, m)) {
			/* nothing to count with: the note says why */
		} else {
			if (mode == MODE_COUNT)
				o.count_probe = &probe;
			replay_progress->pass = REPLAY_PASS_TIMED + pass;
			replay_progress->op = REPLAY_OP_NONE;
			m->timed_rc = replay_timed(a, t, &o, ptrs, &m->fig, &m->timed_mem);
			if (mode == MODE_COUNT && probe.method == COUNT_PERF) {
				count_perf_figures(&probe, t->nops, &m->cost);
				count_perf_close(&probe);
			}
		}
	} else {
		replay_progress->pass = REPLAY_PASS_MEMORY;
		replay_progress->op = REPLAY_OP_NONE;
		m->r.status = mempass_run(a, t, opt, &m->mem);
		snprintf(m->r.message, sizeof m->r.message, "%s", m->mem.note);
		if (opt->peer)
			peer_library_stats(&m->lib);
	}
	return write_all(fd, m, sizeof *m) ? 3 : 0;
}

/*
 * In a fresh child: the parent decides about SIGINT, SIGTERM and SIGHUP; no core; die with it;
 * and a fatal signal kills the child, even where a sanitizer runtime had
 * installed its own handler, so the parent sees which signal it was.
 */
static void child_setup(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct rlimit no_core = { 0, 0 };
	for (size_t k = 0; k < sizeof fatal / sizeof fatal[0]; k++)
		signal(fatal[k], SIG_DFL);
	/* SIGINT, SIGTERM and SIGHUP sent to the whole group are the parent's to act on. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setrlimit(RLIMIT_CORE, &no_core);
}

static struct replay_progress *map_progress(int fd)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* `__cell MODE LIBRARY NAME TRACE RUNS CHECK_EVERY RESULT_FD PROGRESS_FD PASS SHA256
 *  THREADS LATENCY TOUCH WARMUP HEAP_LIMIT BUILTIN COUNT ALIGN`; BUILTIN 1: NAME is a
 *  built-in or test allocator (a count under valgrind), 2: a student's source whose
 *  build LIBRARY is (student.h), 0: the process's malloc */
int isolate_child_main(int argc, char **argv)
{
	if (argc != 19)
		return EXIT_USAGE;
	unsigned pass = (unsigned)strtoul(argv[9], NULL, 10);
	enum child_mode mode = (enum child_mode)atoi(argv[1]);
	const char *library = argv[2], *trace = argv[4];
	int builtin = argv[16][0] == '1', student = argv[16][0] == '2';
	struct cell_options opt = { .peer = !builtin && !student, .let_crash = 1 };
	opt.runs = (unsigned)strtoul(argv[5], NULL, 10);
	opt.check_every = strtoull(argv[6], NULL, 10);
	opt.threads = atoi(argv[11]) != 0;   /* --threads (threaded.h) */
	opt.latency = argv[12][0] == '1';
	opt.touch = atoi(argv[13]);
	opt.warmup = (unsigned)strtoul(argv[14], NULL, 10);
	opt.heap_limit = (size_t)strtoull(argv[15], NULL, 10);
	opt.count = atoi(argv[17]);
	opt.align = (size_t)strtoull(argv[18], NULL, 10);
	int fd = atoi(argv[7]);
	child_setup();
	if (!(replay_progress = map_progress(atoi(argv[8]))))
		return EXIT_SYSTEM;

	struct child_msg *m = bulk_alloc(sizeof *m);
	struct trace t;
	struct trace_error terr;
	char err[256];
	int has_aligned = 0;
	if (!m)
		return EXIT_SYSTEM;
	m->magic = m->end_magic = MSG_MAGIC;
	m->size = sizeof *m;
	enum trace_status ts = trace_load(trace, &t, &terr);
	if (ts != TRACE_OK) {
		m->r.status = ts == TRACE_EINPUT ? CELL_BAD_INPUT : CELL_SYSTEM;
		snprintf(m->r.message, sizeof m->r.message, "%s", terr.message);
		return write_all(fd, m, sizeof *m) ? EXIT_SYSTEM : 0;
	}
	if (strcmp(t.sha256, argv[10]) != 0) {
		m->r.status = CELL_BAD_INPUT;
		snprintf(m->r.message, sizeof m->r.message,
		         "%.500s: the file changed while bench was running", trace);
		return write_all(fd, m, sizeof *m) ? EXIT_SYSTEM : 0;
	}
	const struct allocator *a;
	if (builtin) {
		a = allocator_find(argv[3]);
		if (!a && test_allocator_find)
			a = test_allocator_find(argv[3]);
		snprintf(err, sizeof err, "%.200s: no such built-in allocator", argv[3]);
	} else if (student) {
		a = student_child_table(library, argv[3], err, sizeof err);
	} else {
		a = peer_system_bind(library, &has_aligned, err, sizeof err);
	}
	if (!a) {
		m->r.status = CELL_BAD_INPUT;
		snprintf(m->r.message, sizeof m->r.message, "%s", err);
		return write_all(fd, m, sizeof *m) ? EXIT_SYSTEM : 0;
	}
	bulk_free(m, sizeof *m);
	/* _exit: the peer's blocks still live are not leaks to report at exit. */
	_exit(child_run(mode, a, &t, &opt, pass, fd));
}

/* ---- the parent side ---- */

const char *isolate_result_invalid(const struct cell_result *r, const struct trace *t,
                                   const struct cell_options *opt)
{
	if ((unsigned)r->status > CELL_SYSTEM)
		return "status";
	if (!memchr(r->message, '\0', sizeof r->message))
		return "message not NUL-terminated";
	if (r->ops_replayed > t->nops)
		return "ops_replayed";
	for (unsigned k = 0; k < OP_KINDS; k++)
		if (r->count[k] > t->nops)
			return "op counts";
	if (r->runs > RUN_MAX || r->runs > run_count(opt, t))
		return "runs";
	for (unsigned k = 0; k < r->runs; k++)
		if (!isfinite(r->ns_per_op[k]) || r->ns_per_op[k] < 0
		    || !isfinite(r->ops_per_sec[k]) || r->ops_per_sec[k] < 0)
			return "timing samples";
	for (unsigned k = 0; k < r->runs; k++) {
		const char *why = pass_figures_invalid(&r->pass[k]);
		if (why)
			return why;
	}
	if (!memchr(r->cost.note, '\0', sizeof r->cost.note))
		return "cost note";
	if (r->cost.method != COUNT_OFF)
		return "cost (sent by a child)";
	if (r->nstats > STATS_MAX)
		return "nstats";
	for (unsigned k = 0; k < r->nstats; k++)
		if (!memchr(r->stats[k].name, '\0', sizeof r->stats[k].name))
			return "stat name";
	if (r->peak_live_blocks > t->nslots)
		return "peak_live_blocks";
	return NULL;
}

/* Does the message hold a result a well-behaved child could have sent? */
static const char *msg_invalid(const struct child_msg *m, const struct trace *t,
                               const struct cell_options *opt)
{
	const char *why;
	if (m->magic != MSG_MAGIC || m->end_magic != MSG_MAGIC || m->size != sizeof *m)
		return "bad framing";
	if ((why = isolate_result_invalid(&m->r, t, opt)))
		return why;
	if (!memchr(m->mem.note, '\0', sizeof m->mem.note))
		return "memory note";
	if (m->mem.measured && m->mem.peak_rss_bytes > m->mem.high_bytes)
		return "peak_rss_bytes";
	if (pass_figures_invalid(&m->fig))
		return "pass figures";
	if (!memchr(m->cost.note, '\0', sizeof m->cost.note)
	    || (m->cost.method != COUNT_OFF && m->cost.method != COUNT_PERF))
		return "cost";
	if (m->timed_rc != 0 && m->timed_rc != REPLAY_INIT_FAILED
	    && (m->timed_rc < 0 || m->timed_rc > 4095))
		return "timed pass outcome";
	if (m->lib.n > LIB_STATS_MAX || !memchr(m->lib.method, '\0', sizeof m->lib.method))
		return "library stats";
	for (unsigned k = 0; k < m->lib.n; k++)
		if (!memchr(m->lib.stat[k].name, '\0', sizeof m->lib.stat[k].name))
			return "library stat name";
	return NULL;
}

struct child_outcome {
	int      got_msg;    /* a complete, valid message arrived          */
	int      timed_out;
	int      interrupted;
	int      status;     /* waitpid status                              */
	int      start_error;/* errno when the child could not be started   */
	char     invalid[64];/* why the message was refused                 */
	struct replay_progress progress;  /* copy, read after the child ended */
};

/*
 * Where a callgrind count writes (count_callgrind): NULL for every other
 * child.  `out` and `log` are the files valgrind writes.
 */
struct grind {
	char out[PATH_MAX];
	char log[PATH_MAX];
};

static pid_t spawn(const struct alloc_spec *s, const struct trace *t,
                   const struct cell_options *opt, enum child_mode mode, unsigned pass,
                   int wfd, int pfd, struct replay_progress *prog, const struct grind *grind)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	child_setup();
	int builtin = s->kind == ALLOC_BUILTIN || s->kind == ALLOC_TEST;
	int student = s->kind == ALLOC_STUDENT;
	if ((builtin || student) && !grind) {
		if (student)
			student_enter(s);
		struct cell_options o = *opt;
		if (s->kind == ALLOC_STUDENT)
			student_enter(s);
		o.let_crash = 1;
		replay_progress = prog;
		_exit(child_run(mode, s->table, t, &o, pass, wfd));
	}
	/* Keep the two descriptors across exec. */
	fcntl(wfd, F_SETFD, 0);
	fcntl(pfd, F_SETFD, 0);
	if (s->preload)
		setenv("LD_PRELOAD", s->library, 1);
	else
		unsetenv("LD_PRELOAD");
	peer_sanitizer_env();
	char a_mode[8], a_runs[16], a_check[32], a_wfd[16], a_pfd[16], a_pass[16], a_thr[4];
	char a_touch[8], a_warm[16], a_limit[32], a_count[8], a_align[24];
	snprintf(a_touch, sizeof a_touch, "%d", opt->touch);
	snprintf(a_warm, sizeof a_warm, "%u", opt->warmup);
	snprintf(a_limit, sizeof a_limit, "%zu", opt->heap_limit);
	snprintf(a_count, sizeof a_count, "%d", opt->count);
	snprintf(a_align, sizeof a_align, "%zu", opt->align);
	snprintf(a_mode, sizeof a_mode, "%d", (int)mode);
	snprintf(a_runs, sizeof a_runs, "%u", opt->runs);
	snprintf(a_check, sizeof a_check, "%" PRIu64, opt->check_every);
	snprintf(a_wfd, sizeof a_wfd, "%d", wfd);
	snprintf(a_pfd, sizeof a_pfd, "%d", pfd);
	snprintf(a_pass, sizeof a_pass, "%u", pass);
	snprintf(a_thr, sizeof a_thr, "%d", opt->threads ? 1 : 0);
	char *argv[] = {
		"bench", "__cell", a_mode,
		(char *)(s->preload ? s->library : student ? student_object(s) : ""),
		(char *)(builtin && s->table ? s->table->name : s->name), t->path, a_runs,
		a_check, a_wfd, a_pfd, a_pass, (char *)t->sha256, a_thr,
		opt->latency ? "1" : "0", a_touch, a_warm, a_limit,
		builtin ? "1" : student ? "2" : "0", a_count, a_align,
		NULL,
	};
	if (!grind) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	/* valgrind runs the program it is given by path: name bench itself. */
	char exe[PATH_MAX], outopt[PATH_MAX + 32], logopt[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		_exit(127);
	exe[n] = '\0';
	snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s", grind->out);
	snprintf(logopt, sizeof logopt, "--log-file=%s", grind->log);
	char *vargv[sizeof argv / sizeof argv[0] + 8] = {
		"valgrind", "--tool=callgrind", "--cache-sim=yes", "--instr-atstart=no",
		"--collect-atstart=no", outopt, logopt, exe,
	};
	for (size_t k = 1; k < sizeof argv / sizeof argv[0]; k++)
		vargv[7 + k] = argv[k];
	execvp("valgrind", vargv);
	_exit(127);
}

/*
 * The child's two channels: a shared page where it notes its progress, and
 * a pipe for its message.  Returns 0, or an errno.
 */
static int open_channels(int fds[2], int *pfd, struct replay_progress **prog)
{
	*pfd = memfd_create("heaplab-progress", MFD_CLOEXEC);
	if (*pfd < 0 || ftruncate(*pfd, 4096) != 0
	    || (*prog = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, *pfd, 0)) == MAP_FAILED
	    || pipe2(fds, O_CLOEXEC) != 0)
		return errno ? errno : EIO;
	return 0;
}

static void close_channels(int fds[2], int pfd, struct replay_progress *prog)
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (prog != MAP_FAILED)
		munmap(prog, 4096);
	if (pfd >= 0)
		close(pfd);
}

/*
 * Read the child's message from `fd` until the pipe closes, the deadline
 * passes or the user interrupts (noted in o), ticking isolate_tick each
 * second meanwhile.  Returns the bytes read, sizeof *m + 1 for more than
 * one message.
 */
static size_t read_message(int fd, double deadline, struct child_msg *m,
                           struct child_outcome *o)
{
	size_t got = 0;
	for (;;) {
		int ms = -1;
		if (deadline > 0) {
			double left = deadline - mono_s();
			ms = left <= 0 ? 0 : left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
		}
		if (isolate_interrupted) {
			o->interrupted = 1;
			break;
		}
		int tick = isolate_tick && (ms < 0 || ms > 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, tick ? 1000 : ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0 && tick) {
			isolate_tick();
			continue;
		}
		if (n == 0) {
			o->timed_out = 1;
			break;
		}
		ssize_t k = read(fd, (char *)m + got, got < sizeof *m ? sizeof *m - got : 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;   /* EOF: the child is gone or done */
		if (got + (size_t)k > sizeof *m) {
			got = sizeof *m + 1;   /* more than one message: refuse it */
			break;
		}
		got += (size_t)k;
	}
	return got;
}

/*
 * Wait for the child to end, into o->status; one that times out or is
 * interrupted meanwhile is killed.  Returns 1 when we killed it.
 */
static int reap_child(pid_t pid, double deadline, struct child_outcome *o)
{
	/*
	 * The pipe closed; a child that closed it early may still run (or hang).
	 * One that is done exits within microseconds: poll soon, then back off
	 * (--interleave starts a child per timed pass, a wait of 10 ms each
	 * would be most of its time).
	 */
	useconds_t nap = 50;
	while (!o->timed_out && !o->interrupted) {
		pid_t w = waitpid(pid, &o->status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (isolate_interrupted)
			o->interrupted = 1;
		else if (deadline > 0 && mono_s() >= deadline)
			o->timed_out = 1;
		else {
			usleep(nap);
			nap = nap < 10000 ? nap * 2 : 10000;
		}
	}
	if (!o->timed_out && !o->interrupted)
		return 0;
	kill(pid, SIGKILL);
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
	return 1;
}

/* Take the message of a child that ended well, or say in o->invalid why not. */
static void accept_message(const struct child_msg *m, size_t got, int dead,
                           const struct trace *t, const struct cell_options *opt,
                           struct child_outcome *o)
{
	if (!dead && got == sizeof *m && WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0) {
		const char *why = msg_invalid(m, t, opt);
		if (why)
			snprintf(o->invalid, sizeof o->invalid, "%s", why);
		else
			o->got_msg = 1;
	} else if (got && !dead) {
		snprintf(o->invalid, sizeof o->invalid, "%zu bytes instead of %zu", got, sizeof *m);
	}
}

static void run_child(const struct alloc_spec *s, const struct trace *t,
                      const struct cell_options *opt, enum child_mode mode, unsigned pass,
                      double deadline, struct child_msg *m, struct child_outcome *o,
                      const struct grind *grind)
{
	int fds[2] = { -1, -1 }, pfd = -1;
	struct replay_progress *prog = MAP_FAILED;

	memset(o, 0, sizeof *o);
	if ((o->start_error = open_channels(fds, &pfd, &prog)))
		goto out;
	pid_t pid = spawn(s, t, opt, mode, pass, fds[1], pfd, prog, grind);
	if (pid < 0) {
		o->start_error = errno;
		goto out;
	}
	close(fds[1]);
	fds[1] = -1;
	isolate_progress = prog;
	size_t got = read_message(fds[0], deadline, m, o);
	int dead = reap_child(pid, deadline, o);   /* killed by us */
	isolate_progress = NULL;
	o->progress = *prog;
	accept_message(m, got, dead, t, opt, o);
out:
	close_channels(fds, pfd, prog);
}

/*
 * Turn a child that sent nothing usable into a verdict.  Returns the status
 * and writes r->message.
 */
static enum cell_status judge(const struct alloc_spec *s, const struct trace *t,
                              const struct child_outcome *o, unsigned timeout,
                              struct cell_result *r, struct cell_extra *x)
{
	char where[400];
	x->pass = o->progress.pass;
	x->op = o->progress.op;
	isolate_where_threads(where, sizeof where, t, x->pass, x->op, o->progress.threads,
	                      o->progress.op_exact);
	/* The JSON says only what is plausible (the child could write anything there). */
	if (x->pass != REPLAY_PASS_CHECKED && x->pass != REPLAY_PASS_MEMORY
	    && !(x->pass >= REPLAY_PASS_TIMED && x->pass < REPLAY_PASS_TIMED + RUN_MAX))
		x->pass = REPLAY_PASS_NONE;
	if (x->pass == REPLAY_PASS_NONE || x->op > t->nops)
		x->op = REPLAY_OP_NONE;
	if (o->start_error) {
		snprintf(r->message, sizeof r->message, "cannot start a child process: %s",
		         strerror(o->start_error));
		return r->status = CELL_SYSTEM;
	}
	if (o->interrupted) {
		snprintf(r->message, sizeof r->message, "interrupted %s", where);
		return r->status = CELL_NOT_RUN;
	}
	if (o->timed_out) {
		snprintf(r->message, sizeof r->message, "%s: %s timed out after %u s %s",
		         t->path, s->name, timeout, where);
		r->violations++;
		return r->status = CELL_TIMEOUT;
	}
	if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == 127 && !o->progress.started) {
		snprintf(r->message, sizeof r->message,
		         "cannot run a child process (exec of /proc/self/exe failed)");
		return r->status = CELL_SYSTEM;
	}
	if (WIFSIGNALED(o->status)) {
		int sig = WTERMSIG(o->status);
		const char *ab = sigabbrev_np(sig);
		x->signal = sig;
		snprintf(r->message, sizeof r->message, "%s: %s crashed with SIG%s (%s) %s",
		         t->path, s->name, ab ? ab : "?", strsignal(sig), where);
	} else if (o->invalid[0]) {
		snprintf(r->message, sizeof r->message,
		         "%s: %s: the child sent a malformed result (%s) %s",
		         t->path, s->name, o->invalid, where);
	} else {
		snprintf(r->message, sizeof r->message,
		         "%s: %s: the child exited with status %d without a result %s",
		         t->path, s->name, WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1, where);
	}
	r->violations++;
	return r->status = CELL_CRASHED;
}

/* Is `prog` an executable file in one of PATH's folders? */
static int in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char file[PATH_MAX];
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p; ) {
		size_t n = strcspn(p, ":");
		if (n && (size_t)snprintf(file, sizeof file, "%.*s/%s", (int)n, p, prog) < sizeof file
		    && access(file, X_OK) == 0)
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* Why a counting child gave no count, into `note` (one line). */
static void count_failure(char *note, size_t len, const char *method,
                          const struct child_msg *m, const struct child_outcome *o)
{
	if (!o->got_msg) {
		if (o->start_error)
			snprintf(note, len, "%s: cannot start a child: %s", method,
			         strerror(o->start_error));
		else if (WIFSIGNALED(o->status))
			snprintf(note, len, "%s: the counting child died of signal %d", method,
			         WTERMSIG(o->status));
		else
			snprintf(note, len, "%s: the counting child exited with status %d and no "
			         "result", method, WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1);
	} else if (m->r.status != CELL_OK) {
		snprintf(note, len, "%s: %.150s", method, m->r.message);
	} else if (m->cost.note[0]) {
		snprintf(note, len, "%.190s", m->cost.note);
	} else {
		snprintf(note, len, "%s: the counted pass failed (%s)", method,
		         m->timed_rc == REPLAY_CRASHED ? "crashed"
		         : m->timed_rc == REPLAY_INIT_FAILED ? "init returned NULL"
		         : strerror(m->timed_rc));
	}
}

/*
 * --count: one more timed pass, counted (count.h), into r->cost; when
 * nothing could count it, r->cost.note says why and the cell stands.
 * Returns -1 only when the cell must stop (timeout, interrupt: judged).
 */
static int count_cell(const struct alloc_spec *s, const struct trace *t,
                      const struct cell_options *opt, double deadline, unsigned timeout,
                      struct child_msg *m, struct cell_result *r, struct cell_extra *x)
{
	struct cell_options co = *opt;
	struct child_outcome o;
	char note[sizeof r->cost.note] = "";

	memset(&r->cost, 0, sizeof r->cost);
	if (opt->count == COUNT_AUTO || opt->count == COUNT_PERF) {
		co.count = COUNT_PERF;
		memset(m, 0, sizeof *m);
		run_child(s, t, &co, MODE_COUNT, 0, deadline, m, &o, NULL);
		if (o.timed_out || o.interrupted) {
			judge(s, t, &o, timeout, r, x);
			r->runs = 0;
			return -1;
		}
		if (o.got_msg && m->r.status == CELL_OK && !m->timed_rc
		    && m->cost.method == COUNT_PERF) {
			r->cost = m->cost;
			return 0;
		}
		count_failure(note, sizeof note, "perf_event", m, &o);
		if (opt->count == COUNT_PERF) {
			snprintf(r->cost.note, sizeof r->cost.note, "%s", note);
			return 0;
		}
	}
	if (!in_path("valgrind")) {
		snprintf(r->cost.note, sizeof r->cost.note, "%.120s%scallgrind: valgrind is not "
		         "installed (Debian package valgrind)", note, note[0] ? "; " : "");
		return 0;
	}
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX - 32];
	struct grind g;
	snprintf(dir, sizeof dir, "%s/heaplab-count-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(r->cost.note, sizeof r->cost.note, "callgrind: cannot make a folder "
		         "for its output: %s", strerror(errno));
		return 0;
	}
	snprintf(g.out, sizeof g.out, "%s/callgrind.out", dir);
	snprintf(g.log, sizeof g.log, "%s/valgrind.log", dir);
	co.count = COUNT_CALLGRIND;
	memset(m, 0, sizeof *m);
	run_child(s, t, &co, MODE_COUNT, 0, deadline, m, &o, &g);
	int rc = 0;
	if (o.timed_out || o.interrupted) {
		judge(s, t, &o, timeout, r, x);
		r->runs = 0;
		rc = -1;
	} else if (o.got_msg && m->r.status == CELL_OK && !m->timed_rc && !m->cost.note[0]) {
		char why[200];
		if (count_read_callgrind(g.out, t->nops, &r->cost, why, sizeof why))
			snprintf(r->cost.note, sizeof r->cost.note, "callgrind: %.180s", why);
	} else {
		count_failure(r->cost.note, sizeof r->cost.note, "callgrind", m, &o);
	}
	unlink(g.out);
	unlink(g.log);
	rmdir(dir);
	return rc;
}

/*
 * Timed pass k of a cell in a fresh process of its own, recorded in r as
 * pass k.  Returns 0, or -1 when the cell ended (r says why; r->runs 0 when
 * the child failed).
 */
static int timed_child(const struct alloc_spec *s, const struct trace *t,
                       const struct cell_options *opt, unsigned k, double deadline,
                       unsigned timeout, struct child_msg *m, struct cell_result *r,
                       struct cell_extra *x)
{
	struct child_outcome o;
	memset(m, 0, sizeof *m);
	run_child(s, t, opt, MODE_TIMED, k, deadline, m, &o, NULL);
	if (!o.got_msg) {
		judge(s, t, &o, timeout, r, x);
		r->runs = 0;
		return -1;
	}
	if (m->r.status != CELL_OK || m->timed_rc) {
		r->status = m->r.status != CELL_OK ? m->r.status
		          : m->timed_rc == REPLAY_INIT_FAILED ? CELL_CHECK_FAILED
		          : CELL_SYSTEM;
		snprintf(r->message, sizeof r->message, "timed pass %u: %.600s", k + 1,
		         m->r.status != CELL_OK ? m->r.message
		         : m->timed_rc == REPLAY_INIT_FAILED ? "init returned NULL"
		         : strerror(m->timed_rc));
		r->runs = 0;
		return -1;
	}
	replay_note_pass(r, t, k, &m->fig);
	/* a built-in's pass that ran apart is held to cell_run's determinism check */
	return opt->peer ? 0 : replay_check_pass_memory(r, t, opt, k, &x->timed_first,
	                                                &m->timed_mem);
}

/* Is the cell's allocator a peer (no heap provider behind it)? */
static int spec_is_peer(const struct alloc_spec *s)
{
	return s->kind == ALLOC_PEER || s->kind == ALLOC_LIBRARY;
}

/*
 * A cell that cannot run: a peer without an aligned allocation for a trace
 * that needs one, or an interrupted suite.  Returns its status (r says why),
 * or CELL_OK.
 */
static enum cell_status refuse_cell(const struct alloc_spec *s, const struct trace *t,
                                    int peer, struct cell_result *r)
{
	if (peer && !s->aligned && t->count[OP_MEMALIGN]) {
		snprintf(r->message, sizeof r->message,
		         "%.200s: %.300s exports no memalign, posix_memalign or aligned_alloc, and the "
		         "trace has %llu memalign ops", t->path, s->library,
		         (unsigned long long)t->count[OP_MEMALIGN]);
		return r->status = CELL_UNSUPPORTED;
	}
	if (isolate_interrupted) {
		snprintf(r->message, sizeof r->message, "interrupted before it started");
		return r->status = CELL_NOT_RUN;
	}
	return CELL_OK;
}

/* A peer's --latency pass, in a fresh process.  Returns 0, or -1 with the cell ended. */
static int latency_child(const struct alloc_spec *s, const struct trace *t,
                         const struct cell_options *opt, double deadline, unsigned timeout,
                         struct child_msg *m, struct cell_result *r, struct cell_extra *x)
{
	struct child_outcome o;
	memset(m, 0, sizeof *m);
	run_child(s, t, opt, MODE_LATENCY, 0, deadline, m, &o, NULL);
	if (!o.got_msg) {
		judge(s, t, &o, timeout, r, x);
		r->runs = 0;
		return -1;
	}
	if (m->r.status != CELL_OK) {
		r->status = m->r.status;
		snprintf(r->message, sizeof r->message, "%.600s", m->r.message);
		r->runs = 0;
		return -1;
	}
	r->latency = m->r.latency;
	return 0;
}

/*
 * A peer's timed passes, then its --latency pass, each in a process of its
 * own.  Returns 0, or -1 with the cell ended.
 */
static int peer_timed_passes(const struct alloc_spec *s, const struct trace *t,
                             const struct cell_options *opt, double deadline, unsigned timeout,
                             struct child_msg *m, struct cell_result *r, struct cell_extra *x)
{
	unsigned n = run_count(opt, t);
	r->memory_identical = 1;
	for (unsigned k = 0; k < n && k < RUN_MAX; k++)
		if (timed_child(s, t, opt, k, deadline, timeout, m, r, x))
			return -1;
	return opt->latency ? latency_child(s, t, opt, deadline, timeout, m, r, x) : 0;
}

/* The memory pass, in a child of its own, into x->mem and x->lib. */
static void memory_child(const struct alloc_spec *s, const struct trace *t,
                         const struct cell_options *opt, double deadline, unsigned timeout,
                         struct child_msg *m, struct cell_result *r, struct cell_extra *x)
{
	struct child_outcome o;
	memset(m, 0, sizeof *m);
	run_child(s, t, opt, MODE_MEMORY, 0, deadline, m, &o, NULL);
	if (!o.got_msg) {
		judge(s, t, &o, timeout, r, x);
		r->runs = 0;   /* the cell failed: no figure of it stands */
		return;
	}
	x->mem = m->mem;
	x->lib = m->lib;
	if (m->r.status != CELL_OK) {
		r->status = m->r.status;
		snprintf(r->message, sizeof r->message, "memory pass: %.600s", m->r.message);
		if (r->status == CELL_CHECK_FAILED)
			r->violations++;
	}
}

/*
 * The cell: checked pass, then (`timed`) its timed passes, then the count
 * (--count) and the memory pass.  Without `timed`, every allocator's
 * checked pass runs alone and no timed pass runs (isolate_cell_untimed).
 */
static enum cell_status isolate_run(const struct alloc_spec *s, const struct trace *t,
                                 const struct cell_options *opt, unsigned timeout, int timed,
                                 struct cell_result *r, struct cell_extra *x)
{
	double start = mono_s(), deadline = timeout ? start + timeout : 0;
	struct child_outcome o;
	struct cell_options ropt = *opt;

	memset(r, 0, sizeof *r);
	memset(x, 0, sizeof *x);
	x->pass = REPLAY_PASS_NONE;
	x->op = REPLAY_OP_NONE;
	ropt.peer = spec_is_peer(s);
	if (refuse_cell(s, t, ropt.peer, r) != CELL_OK)
		return r->status;
	struct child_msg *m = bulk_alloc(sizeof *m);
	if (!m) {
		snprintf(r->message, sizeof r->message, "cannot reserve memory for a result");
		return r->status = CELL_SYSTEM;
	}
	/*
	 * A built-in gets a fresh heap for every pass inside one child.  A peer
	 * cannot: after its checked pass its heap is grown and its caches warm,
	 * so each of its timed passes runs in a fresh process of its own.
	 */
	/*
	 * Untimed, a built-in still runs one timed pass after its checked pass
	 * in the same process, not kept: an allocator whose state carries over
	 * from one heap to the next fails cell_run's determinism check there,
	 * as in a whole cell (the passes of isolate_timed_pass each start a
	 * fresh process and could not see it).
	 */
	struct cell_options mopt = ropt;
	if (!timed)
		mopt.runs = 1;
	run_child(s, t, &mopt, ropt.peer ? MODE_CHECKED : MODE_MAIN, 0, deadline, m, &o, NULL);
	if (!o.got_msg) {
		judge(s, t, &o, timeout, r, x);
		goto out;
	}
	*r = m->r;
	if (r->status != CELL_OK)
		goto out;
	if (!timed) {
		r->runs = 0;               /* the passes come from isolate_timed_pass */
		r->memory_identical = 1;   /* until one of them differs            */
	} else if (ropt.peer && peer_timed_passes(s, t, &ropt, deadline, timeout, m, r, x)) {
		goto out;
	}
	if (ropt.count && count_cell(s, t, &ropt, deadline, timeout, m, r, x))
		goto out;
	memory_child(s, t, &ropt, deadline, timeout, m, r, x);
out:
	x->seconds = mono_s() - start;
	bulk_free(m, sizeof *m);
	return r->status;
}

enum cell_status isolate_cell(const struct alloc_spec *s, const struct trace *t,
                              const struct cell_options *opt, unsigned timeout,
                              struct cell_result *r, struct cell_extra *x)
{
	return isolate_run(s, t, opt, timeout, 1, r, x);
}

enum cell_status isolate_cell_untimed(const struct alloc_spec *s, const struct trace *t,
                                      const struct cell_options *opt, unsigned timeout,
                                      struct cell_result *r, struct cell_extra *x)
{
	return isolate_run(s, t, opt, timeout, 0, r, x);
}

enum cell_status isolate_timed_pass(const struct alloc_spec *s, const struct trace *t,
                                    const struct cell_options *opt, unsigned timeout,
                                    struct cell_result *r, struct cell_extra *x)
{
	double start = mono_s(), deadline = timeout ? start + timeout : 0;
	struct cell_options ropt = *opt;
	unsigned k = r->runs;
	if (r->status != CELL_OK)
		return r->status;
	if (k >= RUN_MAX) {
		snprintf(r->message, sizeof r->message, "more than %u timed passes", RUN_MAX);
		return r->status = CELL_BAD_INPUT;
	}
	if (isolate_interrupted)
		return CELL_NOT_RUN;
	struct child_msg *m = bulk_alloc(sizeof *m);
	if (!m) {
		snprintf(r->message, sizeof r->message, "cannot reserve memory for a result");
		return r->status = CELL_SYSTEM;
	}
	ropt.peer = spec_is_peer(s);
	timed_child(s, t, &ropt, k, deadline, timeout, m, r, x);
	x->seconds += mono_s() - start;
	bulk_free(m, sizeof *m);
	return r->status;
}
