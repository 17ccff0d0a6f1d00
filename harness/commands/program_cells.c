/*
 * program_cells.c - `bench run --alloc A,B --runs N [--out DIR]
 * [--programs FILE | -- CMD ARGS...]`: every allocator x program as a cell,
 * measured, checked against the reference allocator's output and written as
 * results (schema version 2, "cell": "program"; docs/run.md).
 *
 * The reference is glibc: its first run's exit status and stdout checksum
 * are what every other allocator must reproduce (when glibc is not among the
 * allocators, one unmeasured glibc run per program provides them).  A cell
 * stops at its first run that crashes, times out, exits differently or
 * prints something else, and the suite goes on with the next cell.
 */
#define _GNU_SOURCE
#include "../process/program.h"

#include "cli.h"
#include "commands.h"
#include "../core/exitcodes.h"
#include "../core/machine.h"
#include "../core/metrics.h"
#include "../process/peer.h"
#include "../process/student.h"
#include "../core/fileio.h"
#include "../results/writer.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define RUNS_MAX 100

static const char cells_usage[] =
	"usage: bench run --alloc A,B,... [--runs N] [--out DIR] [--timeout S]\n"
	"                 (--programs FILE | [--name NAME] [--] CMD [ARGS...])\n"
	"  Runs every allocator x program as a cell, each run a fresh process\n"
	"  (LD_PRELOAD), and writes DIR/ALLOC/PROGRAM.json per cell (default DIR:\n"
	"  results/<UTC time>/).  Per run: wall, user and system time, peak RSS\n"
	"  (rusage and sampled), page faults, context switches, exit status, the\n"
	"  sha256 of stdout; built-ins also peak break and provider calls.  Output\n"
	"  or exit status differing from glibc's is output-mismatch / failed.\n"
	"  --alloc    names, paths, all, builtin, peers (as for traces)\n"
	"  --runs N   runs per cell (default 3), median and spread\n"
	"  --timeout  seconds per run (default 60); a program's timeout= wins\n"
	"  --programs FILE  programs to run, one a line (docs/run.md)\n"
	"  --name     the cell name of CMD (default: CMD's file name)\n"
	"exit status: 0 every cell ok, 1 a cell was not ok, 2 bad usage, 3 system error,\n"
	"130 interrupted\n";

void program_cells_usage(FILE *f)
{
	cli_usage_text(f, cells_usage);
}

/* One allocator of the run. */
struct cell_alloc {
	struct alloc_spec spec;
	char   lib[PATH_MAX + 64];   /* LD_PRELOAD library, or "" (glibc) */
	int    builtin;              /* has heaplab statistics            */
};

/* A cell while its runs go on. */
struct cell_state {
	const char *status;              /* "ok" until a run goes wrong */
	char        msg[PATH_MAX + 256];
	unsigned    done;                /* runs made                   */
};

/* What the reference (glibc) run printed and returned. */
struct reference {
	int  known;
	int  exit_code, signal;
	char sha[65];
};

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; program_interrupted = 1; }

static json_t *summary3(const double *v, unsigned n)
{
	struct sample_summary s;
	metrics_summarise(v, n, &s);
	return json_pack("{s:f, s:f, s:f}", "median", s.median, "min", s.min, "max", s.max);
}

static double median_of(const double *v, unsigned n)
{
	struct sample_summary s;
	metrics_summarise(v, n, &s);
	return s.median;
}

static json_t *u64j(uint64_t v) { return json_integer((json_int_t)v); }

static const char *sig_text(int sig, char *buf, size_t len)
{
	const char *ab = sig ? sigabbrev_np(sig) : NULL;
	snprintf(buf, len, "SIG%s", ab ? ab : "?");
	return buf;
}

/* A cell's status from one run, against the reference. */
static const char *judge(const struct program_run *r, const struct reference *ref,
                         char *msg, size_t len)
{
	char sb[32];
	msg[0] = '\0';
	if (r->timed_out) {
		snprintf(msg, len, "timed out (killed with SIGKILL)");
		return "timeout";
	}
	if (r->signal) {
		snprintf(msg, len, "killed by %s", sig_text(r->signal, sb, sizeof sb));
		return "crashed";
	}
	if (ref->known && !ref->signal && r->exit_code != ref->exit_code) {
		snprintf(msg, len, "exit status %d, glibc's was %d", r->exit_code, ref->exit_code);
		return "failed";
	}
	if (!ref->known && r->exit_code != 0) {
		snprintf(msg, len, "exit status %d", r->exit_code);
		return "failed";
	}
	if (ref->known && !ref->signal && strcmp(r->output_sha256, ref->sha)) {
		snprintf(msg, len, "stdout differs from glibc's (sha256 %.12s..., glibc %.12s...)",
		         r->output_sha256, ref->sha);
		return "output-mismatch";
	}
	return "ok";
}

static char *command_text(const struct program *p)
{
	size_t len = 1;
	for (unsigned k = 0; p->argv[k]; k++)
		len += strlen(p->argv[k]) + 3;
	char *s = malloc(len), *o = s;
	if (!s)
		return NULL;
	*o = '\0';
	for (unsigned k = 0; p->argv[k]; k++)
		o += sprintf(o, "%s%s", k ? " " : "", p->argv[k]);
	return s;
}

/* The program as run: name, command, argv, dir, stdin and environment. */
static json_t *program_json(const struct program *p)
{
	json_t *argv = json_array(), *env = json_array();
	for (unsigned k = 0; p->argv[k]; k++)
		json_array_append_new(argv, json_string(p->argv[k]));
	for (unsigned k = 0; p->env[k]; k++)
		json_array_append_new(env, json_string(p->env[k]));
	char *cmd = command_text(p);
	json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}",
	                      "name", p->name, "command", cmd ? cmd : "", "argv", argv,
	                      "dir", p->dir ? json_string(p->dir) : json_null(),
	                      "stdin", p->stdin_path ? json_string(p->stdin_path) : json_null(),
	                      "env", env);
	free(cmd);
	return j;
}

static json_t *reference_json(const struct reference *ref)
{
	char sb[32];
	if (!ref->known)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:s}", "allocator", "glibc",
	                 "exit_code", ref->signal ? json_null() : json_integer(ref->exit_code),
	                 "signal", ref->signal ? json_string(sig_text(ref->signal, sb, sizeof sb))
	                                       : json_null(),
	                 "output_sha256", ref->sha);
}

/*
 * The figures of the `good` runs (their medians and spread) into root's
 * time, faults, context_switches and memory; null without a good run.
 */
static void add_figures(json_t *root, const struct program_run *runs, unsigned good)
{
	if (!good) {
		json_object_set_new(root, "time", json_null());
		json_object_set_new(root, "faults", json_null());
		json_object_set_new(root, "context_switches", json_null());
		json_object_set_new(root, "memory", json_null());
		return;
	}
	double wall[RUNS_MAX], user[RUNS_MAX], sys[RUNS_MAX], rss[RUNS_MAX], srss[RUNS_MAX];
	double minf[RUNS_MAX], majf[RUNS_MAX], vcs[RUNS_MAX], ics[RUNS_MAX], brk[RUNS_MAX],
	       calls[RUNS_MAX];
	int stats = 1;
	for (unsigned k = 0; k < good; k++) {
		wall[k] = runs[k].wall, user[k] = runs[k].user, sys[k] = runs[k].sys;
		rss[k] = (double)runs[k].maxrss, srss[k] = (double)runs[k].sampled_peak;
		minf[k] = (double)runs[k].minflt, majf[k] = (double)runs[k].majflt;
		vcs[k] = (double)runs[k].nvcsw, ics[k] = (double)runs[k].nivcsw;
		brk[k] = (double)runs[k].peak_break, calls[k] = (double)runs[k].provider_calls;
		stats &= runs[k].has_stats;
	}
	json_object_set_new(root, "time", json_pack("{s:o, s:o, s:o}",
	                    "wall_seconds", summary3(wall, good),
	                    "user_seconds", summary3(user, good),
	                    "system_seconds", summary3(sys, good)));
	json_object_set_new(root, "faults", json_pack("{s:o, s:o}",
	                    "minor", summary3(minf, good), "major", summary3(majf, good)));
	json_object_set_new(root, "context_switches", json_pack("{s:o, s:o}",
	                    "voluntary", summary3(vcs, good),
	                    "involuntary", summary3(ics, good)));
	json_t *mem = json_object();
	json_object_set_new(mem, "peak_rss_method", json_string(
	    "ru_maxrss of wait4 (the largest single process), median over the runs"));
	json_object_set_new(mem, "peak_rss_bytes", u64j((uint64_t)median_of(rss, good)));
	json_object_set_new(mem, "peak_rss", summary3(rss, good));
	json_object_set_new(mem, "sampled_rss_method", json_string(
	    "largest sum of /proc/PID/statm resident pages over the process tree, "
	    "sampled every 5 ms or more"));
	json_object_set_new(mem, "sampled_peak_rss_bytes", u64j((uint64_t)median_of(srss, good)));
	json_object_set_new(mem, "method", stats ? json_string("provider-break") : json_null());
	json_object_set_new(mem, "peak_break_bytes",
	                    stats ? u64j((uint64_t)median_of(brk, good)) : json_null());
	json_object_set_new(mem, "provider_calls",
	                    stats ? u64j((uint64_t)median_of(calls, good)) : json_null());
	json_object_set_new(mem, "processes_reported",
	                    stats ? u64j(runs[0].processes) : json_null());
	json_object_set_new(root, "memory", mem);
}

/* Every run that started, as it went (right or wrong). */
static json_t *samples_json(const struct program_run *runs, unsigned nruns)
{
	char sb[32];
	json_t *samples = json_array();
	for (unsigned k = 0; k < nruns; k++) {
		const struct program_run *r = &runs[k];
		if (!r->started)
			continue;
		json_t *s = json_pack("{s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:b, "
		                      "s:s, s:I}",
		    "wall_seconds", r->wall, "user_seconds", r->user, "system_seconds", r->sys,
		    "peak_rss_bytes", (json_int_t)r->maxrss,
		    "sampled_peak_rss_bytes", (json_int_t)r->sampled_peak,
		    "minor_faults", (json_int_t)r->minflt, "major_faults", (json_int_t)r->majflt,
		    "voluntary_switches", (json_int_t)r->nvcsw,
		    "involuntary_switches", (json_int_t)r->nivcsw,
		    "exit_code", r->signal || r->timed_out ? json_null() : json_integer(r->exit_code),
		    "signal", r->signal ? json_string(sig_text(r->signal, sb, sizeof sb)) : json_null(),
		    "timed_out", r->timed_out,
		    "output_sha256", r->output_sha256, "output_bytes", (json_int_t)r->output_bytes);
		if (r->has_stats) {
			json_object_set_new(s, "peak_break_bytes", u64j(r->peak_break));
			json_object_set_new(s, "provider_calls", u64j(r->provider_calls));
			json_object_set_new(s, "processes_reported", u64j(r->processes));
		}
		json_array_append_new(samples, s);
	}
	return samples;
}

/* The RSS timeline of the good run with the median wall time, or null. */
static json_t *rss_timeline_json(const struct program_run *runs, unsigned good)
{
	const struct program_run *tl = NULL;
	if (good) {
		double wall[RUNS_MAX];
		for (unsigned k = 0; k < good; k++)
			wall[k] = runs[k].wall;
		double med = median_of(wall, good), best = 1e300;
		for (unsigned k = 0; k < good; k++) {
			double d = runs[k].wall > med ? runs[k].wall - med : med - runs[k].wall;
			if (d < best)
				best = d, tl = &runs[k];
		}
	}
	if (!tl || !tl->npoints)
		return json_null();
	json_t *ms = json_array(), *rb = json_array();
	for (unsigned k = 0; k < tl->npoints; k++) {
		json_array_append_new(ms, u64j(tl->ms[k]));
		json_array_append_new(rb, u64j(tl->rss[k]));
	}
	return json_pack("{s:I, s:s, s:o, s:o}", "points", (json_int_t)tl->npoints,
	                 "method", "/proc/PID/statm of the process tree, from the parent",
	                 "ms", ms, "rss_bytes", rb);
}

static json_t *cell_json(const struct program *p, const struct cell_alloc *a,
                         const struct program_run *runs, unsigned nruns, const char *status,
                         const char *message, const struct reference *ref,
                         const struct machine_info *m, time_t when)
{
	char ts[32];
	struct tm tm;
	gmtime_r(&when, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Figures summarise the runs that went right: all of them when ok. */
	unsigned good = !strcmp(status, "ok") ? nruns : 0;

	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string(RESULT_SCHEMA));
	json_object_set_new(root, "schema_version", json_integer(PROGRAM_SCHEMA_VERSION));
	json_object_set_new(root, "cell", json_string("program"));
	json_object_set_new(root, "tool", json_pack("{s:s, s:s}", "name", HEAPLAB_NAME,
	                                            "version", HEAPLAB_VERSION));
	json_object_set_new(root, "timestamp", json_string(ts));
	json_object_set_new(root, "machine", json_pack("{s:s, s:i, s:s, s:s, s:s}",
	                    "cpu", m->cpu, "cores", m->cores, "os", m->os, "arch", m->arch,
	                    "hostname", m->hostname));
	json_object_set_new(root, "allocator", json_pack("{s:s, s:s, s:s, s:o}",
	                    "name", a->spec.name, "description", a->spec.description,
	                    "kind", peer_kind_name(a->spec.kind),
	                    "library", a->lib[0] ? json_string(a->lib) : json_null()));
	json_object_set_new(root, "program", program_json(p));
	json_object_set_new(root, "reference", reference_json(ref));
	json_object_set_new(root, "runs", json_integer(good));
	json_object_set_new(root, "status", json_string(status));
	json_object_set_new(root, "message", message[0] ? json_string(message) : json_null());
	json_object_set_new(root, "throughput", json_null());
	add_figures(root, runs, good);
	json_object_set_new(root, "output_sha256",
	                    nruns && runs[nruns - 1].started
	                    ? json_string(runs[nruns - 1].output_sha256) : json_null());
	json_object_set_new(root, "samples", samples_json(runs, nruns));
	json_object_set_new(root, "rss_timeline", rss_timeline_json(runs, good));
	return root;
}

static int write_cell(const char *dir, const struct cell_alloc *a, const struct program *p,
                      json_t *j)
{
	char path[PATH_MAX], err[PATH_MAX + 256];
	snprintf(path, sizeof path, "%s/%s", dir, a->spec.name);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench: run: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s/%s.json", dir, a->spec.name, p->name);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	if (!text) {
		fputs("bench: run: out of memory while building the result\n", stderr);
		return -1;
	}
	size_t len = strlen(text);
	text[len] = '\n';   /* json_dumps leaves room for the NUL: reuse it */
	int rc = write_file_atomic(path, text, len + 1, err, sizeof err);
	free(text);
	if (rc)
		fprintf(stderr, "bench: run: %s\n", err);
	return rc;
}

static int run_setup(const struct program *p)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (p->dir && chdir(p->dir) != 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);   /* bench ignores it (main.c) */
		execl("/bin/sh", "sh", "-c", p->setup, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int resolve_allocs(const char *list, struct cell_alloc **out, size_t *n)
{
	struct alloc_spec *specs;
	size_t ns;
	char err[PATH_MAX + 256];
	int rc = peer_expand(list, &specs, &ns, err, sizeof err);
	if (rc) {
		fprintf(stderr, "bench: run: %s\n", err);
		return rc;
	}
	struct cell_alloc *v = calloc(ns, sizeof *v);
	if (!v) {
		peer_specs_free(specs, ns);
		fputs("bench: run: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	size_t k = 0;
	/* glibc first: it is the reference the others are checked against. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ns; i++) {
			int is_glibc = specs[i].kind == ALLOC_PEER && !specs[i].preload;
			if (is_glibc != !pass)
				continue;
			for (size_t j = 0; j < k; j++)
				if (!strcmp(v[j].spec.name, specs[i].name))
					goto next;   /* named twice */
			v[k].spec = specs[i];
			if (specs[i].kind == ALLOC_TEST) {
				fprintf(stderr, "bench: run: '%s' is a test allocator: it has no preload "
				        "library\n", specs[i].name);
				rc = EXIT_USAGE;
			} else if (specs[i].kind == ALLOC_BUILTIN) {
				v[k].builtin = 1;
				if (run_find_library(specs[i].name, v[k].lib, sizeof v[k].lib)) {
					fprintf(stderr, "bench: no preload library %s for allocator '%s' "
					        "(run make, or set HEAPLAB_LIB_DIR)\n", v[k].lib, specs[i].name);
					rc = EXIT_SYSTEM;
				}
			} else if (specs[i].kind == ALLOC_STUDENT) {
				/* its preload library reports heaplab's statistics, like a built-in's */
				v[k].builtin = 1;
				snprintf(v[k].lib, sizeof v[k].lib, "%s", student_preload(&specs[i]));
				v[k].spec.student = NULL;   /* released with specs below */
			} else if (specs[i].preload) {
				snprintf(v[k].lib, sizeof v[k].lib, "%s", specs[i].library);
			}
			if (!rc && strpbrk(v[k].lib, ": ")) {
				fprintf(stderr, "bench: %s: LD_PRELOAD cannot hold a path with ':' or ' '\n",
				        v[k].lib);
				rc = EXIT_SYSTEM;
			}
			k++;
		next:;
		}
	peer_specs_free(specs, ns);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

static void human_bytes(char *buf, size_t len, double b)
{
	if (b >= 1 << 30)
		snprintf(buf, len, "%.2f GiB", b / (1 << 30));
	else if (b >= 1 << 20)
		snprintf(buf, len, "%.1f MiB", b / (1 << 20));
	else
		snprintf(buf, len, "%.0f KiB", b / 1024);
}

/* What the command line asks for. */
struct cells_options {
	const char *alloc_list, *outdir, *programs_file, *name;
	unsigned    nruns;
	double      timeout;    /* seconds per run, unless a program sets its own */
};

/* The whole run: every program x allocator, and what it has written so far. */
struct cells_suite {
	struct cells_options o;
	struct program     *progs;
	size_t              nprogs;
	struct cell_alloc  *allocs;       /* the reference (glibc), if named, first */
	size_t              nallocs;
	struct program_run *runs;         /* nallocs x nruns, of the current program */
	struct cell_state  *cells;        /* one per allocator, of the current program */
	struct machine_info machine;
	time_t              when;
	char                dflt[64];     /* the default results folder          */
	char                abs_out[PATH_MAX];
	char                stats_path[PATH_MAX + 32];
	double             *glibc_wall, *glibc_rss;   /* per program, 0 until known */
	unsigned            failed, written;
};

/* Is this allocator the reference, glibc itself (no library preloaded)? */
static int is_reference(const struct alloc_spec *s)
{
	return s->kind == ALLOC_PEER && !s->preload;
}

/*
 * The options into o.  Returns -1 to go on, or the exit code (--help, a
 * usage error).
 */
static int parse_cells_options(int argc, char **argv, struct cells_options *o)
{
	enum { O_ALLOC = 256, O_RUNS, O_OUT, O_PROGRAMS, O_TIMEOUT, O_NAME };
	static const struct option opts[] = {
		{ "alloc", required_argument, NULL, O_ALLOC },
		{ "help", no_argument, NULL, 'h' },
		{ "name", required_argument, NULL, O_NAME },
		{ "out", required_argument, NULL, O_OUT },
		{ "programs", required_argument, NULL, O_PROGRAMS },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(cells_usage, stdout); return finish_stdout(EXIT_OK);
		case O_ALLOC: o->alloc_list = optarg; break;
		case O_OUT: o->outdir = optarg; break;
		case O_PROGRAMS: o->programs_file = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_RUNS: {
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || v < 1 || v > RUNS_MAX) {
				fprintf(stderr, "bench: run: --runs: '%s' is not a number from 1 to %d\n",
				        optarg, RUNS_MAX);
				return EXIT_USAGE;
			}
			o->nruns = (unsigned)v;
			break;
		}
		case O_TIMEOUT:
			o->timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(o->timeout > 0 && o->timeout <= 86400)) {
				fprintf(stderr, "bench: run: --timeout: '%s' is not a number of seconds "
				        "above 0\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case ':':
			fprintf(stderr, "bench: run: %s needs a value\n%s", argv[optind - 1], cells_usage);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bench: run: unknown option '%s'\n%s", argv[optind - 1],
			        cells_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (!o->alloc_list) {
		fprintf(stderr, "bench: run: --alloc NAME is required\n%s", cells_usage);
		return EXIT_USAGE;
	}
	if (!o->programs_file == !(optind < argc)) {
		fprintf(stderr, "bench: run: %s\n%s", o->programs_file
		        ? "--programs FILE and a command cannot be given together"
		        : "no command to run (give CMD or --programs FILE)", cells_usage);
		return EXIT_USAGE;
	}
	if (o->name && o->programs_file) {
		fputs("bench: run: --name names the command after --; a --programs file names its "
		      "own\n", stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/* The programs: the --programs file's, or the command after the options. */
static int load_programs(struct cells_suite *S, int argc, char **argv)
{
	char err[PATH_MAX + 512];
	if (S->o.programs_file) {
		if (program_list_load(S->o.programs_file, &S->progs, &S->nprogs, err, sizeof err)) {
			fprintf(stderr, "bench: %s\n", err);
			return EXIT_USAGE;
		}
		return 0;
	}
	if (argc - optind > PROGRAM_ARGS_MAX) {
		fprintf(stderr, "bench: run: more than %d command words\n", PROGRAM_ARGS_MAX);
		return EXIT_USAGE;
	}
	struct program *p = S->progs = calloc(1, sizeof *S->progs);
	if (!p) {
		fputs("bench: run: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	S->nprogs = 1;
	for (int k = optind; k < argc; k++)
		p->argv[k - optind] = strdup(argv[k]);
	const char *base = strrchr(argv[optind], '/');
	base = base ? base + 1 : argv[optind];
	snprintf(p->name, sizeof p->name, "%s", S->o.name ? S->o.name : base);
	if (!p->name[0] || p->name[0] == '.' || strchr(p->name, '/')) {
		fprintf(stderr, "bench: run: '%s' cannot name a result file (use --name)\n",
		        p->name);
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The run's time, the results folder (made), its absolute path, the
 * statistics file's name in it, and room for the runs.
 */
static int open_results(struct cells_suite *S)
{
	S->when = time(NULL);   /* the run's: the default folder's name, every cell's timestamp */
	if (!S->o.outdir) {
		struct tm tm;
		gmtime_r(&S->when, &tm);
		strftime(S->dflt, sizeof S->dflt, "results/%Y%m%d-%H%M%S", &tm);
		S->o.outdir = S->dflt;
	}
	int e = mkdir_p(S->o.outdir, 0755);
	if (e) {
		fprintf(stderr, "bench: run: cannot create %s: %s\n", S->o.outdir, strerror(e));
		return EXIT_SYSTEM;
	}
	machine_describe(&S->machine);
	S->runs = calloc(S->nallocs * S->o.nruns, sizeof *S->runs);
	S->cells = calloc(S->nallocs, sizeof *S->cells);
	if (!S->runs || !S->cells) {
		fputs("bench: run: out of memory\n", stderr);
		return EXIT_SYSTEM;
	}
	/* Absolute: a program's dir= would resolve a relative path elsewhere. */
	if (!realpath(S->o.outdir, S->abs_out)) {
		fprintf(stderr, "bench: run: %s: %s\n", S->o.outdir, strerror(errno));
		return EXIT_SYSTEM;
	}
	snprintf(S->stats_path, sizeof S->stats_path, "%s/.stats-%d", S->abs_out, (int)getpid());
	return 0;
}

static void note_reference(struct reference *ref, const struct program_run *r)
{
	ref->known = 1, ref->exit_code = r->exit_code, ref->signal = r->signal;
	snprintf(ref->sha, sizeof ref->sha, "%s", r->output_sha256);
}

/* Every cell of program p starts afresh, its allocator's folder made. */
static int reset_cells(struct cells_suite *S, const struct program *p, int setup_failed)
{
	char dir[2 * PATH_MAX + 16];
	int code = 0;
	for (size_t ai = 0; ai < S->nallocs; ai++) {
		struct cell_state *cs = &S->cells[ai];
		cs->status = setup_failed ? "setup-failed" : "ok";
		cs->done = 0;
		cs->msg[0] = '\0';
		if (setup_failed)
			snprintf(cs->msg, sizeof cs->msg, "setup '%s' failed", p->setup);
		snprintf(dir, sizeof dir, "%s/%s", S->abs_out, S->allocs[ai].spec.name);
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "bench: run: cannot create %s: %s\n", dir, strerror(errno));
			code = EXIT_SYSTEM;
		}
	}
	return code;
}

/* Run k of every allocator on program p, each judged against the reference. */
static void run_round(struct cells_suite *S, const struct program *p, unsigned k,
                      double timeout, struct reference *ref)
{
	char err_path[2 * PATH_MAX + 16];
	for (size_t ai = 0; ai < S->nallocs && !interrupted; ai++) {
		struct cell_alloc *a = &S->allocs[ai];
		struct cell_state *cs = &S->cells[ai];
		struct program_run *r = &S->runs[ai * S->o.nruns + k];
		if (strcmp(cs->status, "ok"))
			continue;   /* this cell already went wrong */
		snprintf(err_path, sizeof err_path, "%s/%s/%s.stderr", S->abs_out,
		         a->spec.name, p->name);
		if (program_run_once(p, a->lib[0] ? a->lib : NULL,
		                     a->builtin ? S->stats_path : NULL, err_path, timeout, r,
		                     cs->msg, sizeof cs->msg) != 0) {
			cs->status = "not-run";
			continue;
		}
		cs->done = k + 1;
		if (!ref->known && is_reference(&a->spec) && !r->timed_out)
			note_reference(ref, r);
		cs->status = judge(r, ref, cs->msg, sizeof cs->msg);
	}
}

/* The cell's line of the table on stderr: its medians, and their ratios to glibc's. */
static void print_cell(struct cells_suite *S, size_t pi, size_t ai)
{
	const struct cell_alloc *a = &S->allocs[ai];
	const struct cell_state *cs = &S->cells[ai];
	const struct program_run *cr = &S->runs[ai * S->o.nruns];
	double wall[RUNS_MAX], rss[RUNS_MAX];
	for (unsigned k = 0; k < cs->done; k++)
		wall[k] = cr[k].wall, rss[k] = (double)cr[k].maxrss;
	char rb[32] = "-", wr[16] = "-", rr[16] = "-", wb[16] = "-";
	if (!strcmp(cs->status, "ok") && cs->done) {
		double w = median_of(wall, cs->done), m = median_of(rss, cs->done);
		snprintf(wb, sizeof wb, "%.3f", w);
		human_bytes(rb, sizeof rb, m);
		if (is_reference(&a->spec))
			S->glibc_wall[pi] = w, S->glibc_rss[pi] = m;
		if (S->glibc_wall[pi] > 0) {
			snprintf(wr, sizeof wr, "%.2f", w / S->glibc_wall[pi]);
			snprintf(rr, sizeof rr, "%.2f", m / S->glibc_rss[pi]);
		}
	}
	fprintf(stderr, "%-14s %-14s %-16s %10s %10s %8s %8s%s%s\n", S->progs[pi].name,
	        a->spec.name, cs->status, wb, rb, wr, rr, cs->msg[0] ? "  " : "", cs->msg);
}

/* Program p's cells, written and printed.  Returns 0 or EXIT_SYSTEM. */
static int write_cells(struct cells_suite *S, size_t pi, const struct reference *ref)
{
	const struct program *p = &S->progs[pi];
	int code = 0;
	for (size_t ai = 0; ai < S->nallocs; ai++) {
		const struct cell_alloc *a = &S->allocs[ai];
		const struct cell_state *cs = &S->cells[ai];
		json_t *j = cell_json(p, a, &S->runs[ai * S->o.nruns], cs->done, cs->status, cs->msg,
		                      ref, &S->machine, S->when);
		if (!j || write_cell(S->o.outdir, a, p, j) != 0)
			code = EXIT_SYSTEM;
		json_decref(j);
		S->written++;
		S->failed += !!strcmp(cs->status, "ok");
		print_cell(S, pi, ai);
	}
	return code;
}

/* Program pi's setup, reference, runs and cells.  Returns 0 or EXIT_SYSTEM. */
static int run_program(struct cells_suite *S, size_t pi)
{
	struct program *p = &S->progs[pi];
	struct reference ref = { 0 };
	char err[PATH_MAX + 512];
	double t = p->timeout > 0 ? p->timeout : S->o.timeout;
	int setup_failed = p->setup && run_setup(p) != 0;
	if (setup_failed)
		fprintf(stderr, "bench: run: %s: setup '%s' failed\n", p->name, p->setup);
	/* The reference, measured or not. */
	if (!setup_failed && !is_reference(&S->allocs[0].spec)) {
		struct program_run *r = &S->runs[0];
		if (program_run_once(p, NULL, NULL, NULL, t, r, err, sizeof err) == 0 &&
		    !r->timed_out)
			note_reference(&ref, r);
	}
	int code = reset_cells(S, p, setup_failed);
	/*
	 * Round k runs every allocator once before round k+1 starts: a burst
	 * of load on a shared machine then lands on one run of every cell
	 * rather than on all the runs of one.  glibc, first, sets the
	 * reference in round 0 before anyone is judged against it.
	 */
	for (unsigned k = 0; k < S->o.nruns && !setup_failed && !interrupted && !code; k++)
		run_round(S, p, k, t, &ref);
	if (interrupted || code)
		return code;
	return write_cells(S, pi, &ref);
}

/* The closing line, and the exit code of a run that was not cut short. */
static int finish_cells(const struct cells_suite *S, int code)
{
	if (interrupted) {
		fprintf(stderr, "bench: run: interrupted; %u cell%s written to %s\n", S->written,
		        S->written == 1 ? "" : "s", S->o.outdir);
		return EXIT_INTERRUPTED;
	}
	if (code)
		return code;
	fprintf(stderr, "bench: run: %u cell%s in %s%s\n", S->written, S->written == 1 ? "" : "s",
	        S->o.outdir, S->failed ? "; some cells are not ok (see the status column)" : "");
	return S->failed ? EXIT_CHECK : EXIT_OK;
}

static void cells_suite_free(struct cells_suite *S)
{
	free(S->glibc_wall);
	free(S->glibc_rss);
	free(S->runs);
	free(S->cells);
	free(S->allocs);
	program_list_free(S->progs, S->nprogs);
}

int program_cells_main(int argc, char **argv)
{
	struct cells_suite S = { .o = { .nruns = 3, .timeout = 60 } };
	int code = parse_cells_options(argc, argv, &S.o);
	if (code >= 0)
		return code;
	if ((code = load_programs(&S, argc, argv))
	    || (code = resolve_allocs(S.o.alloc_list, &S.allocs, &S.nallocs))
	    || (code = open_results(&S))) {
		cells_suite_free(&S);
		return code;
	}
	struct sigaction sa = { .sa_handler = on_sigint }, old_sa;
	sigemptyset(&sa.sa_mask);
	program_interrupted = 0;
	sigaction(SIGINT, &sa, &old_sa);

	S.glibc_wall = calloc(S.nprogs, sizeof *S.glibc_wall);
	S.glibc_rss = calloc(S.nprogs, sizeof *S.glibc_rss);
	if (!S.glibc_wall || !S.glibc_rss) {
		fputs("bench: run: out of memory\n", stderr);
		code = EXIT_SYSTEM;
	}
	fprintf(stderr, "bench: run: %zu program%s x %zu allocator%s, %u run%s each, into %s\n",
	        S.nprogs, S.nprogs == 1 ? "" : "s", S.nallocs, S.nallocs == 1 ? "" : "s",
	        S.o.nruns, S.o.nruns == 1 ? "" : "s", S.o.outdir);
	fprintf(stderr, "%-14s %-14s %-16s %10s %10s %8s %8s\n", "program", "allocator", "status",
	        "wall (s)", "peak RSS", "x glibc", "RSS x");
	for (size_t pi = 0; pi < S.nprogs && !interrupted && !code; pi++)
		code = run_program(&S, pi);
	unlink(S.stats_path);
	sigaction(SIGINT, &old_sa, NULL);
	code = finish_cells(&S, code);
	cells_suite_free(&S);
	return code;
}
