/*
 * runner.c - runs the registered unit tests, each in a child process with a
 * time limit, and prints one line per test and "N passed, N failed".
 */
#define _GNU_SOURCE
#include "test.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS     4096
#define TEST_TIMEOUT  120   /* seconds; a hang is a failure, not a stuck suite */

struct test_entry {
	const char *name;  /* the TEST() name          */
	const char *file;  /* the file that defines it */
	test_fn     fn;
};

static struct test_entry tests[MAX_TESTS];
static int ntests;
static int failures;   /* in the child: failed expectations of the running test */

void test_register(const char *name, const char *file, test_fn fn)
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct test_entry){ name, file, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	failures++;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int test_failures(void) { return failures; }

/*
 * `unit NAME...` runs the tests whose name or file contains a NAME; `-NAME`
 * leaves out those that contain NAME (valgrind skips the tests that crash on
 * purpose with `unit -crash`).
 */
static int selected(const struct test_entry *t, int argc, char **argv)
{
	int includes = 0, hit = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-') {
			if (a[1] && (strstr(t->name, a + 1) || strstr(t->file, a + 1)))
				return 0;
			continue;
		}
		includes = 1;
		if (strstr(t->name, a) || strstr(t->file, a))
			hit = 1;
	}
	return !includes || hit;
}

static int by_file_then_name(const void *a, const void *b)
{
	const struct test_entry *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	qsort(tests, (size_t)ntests, sizeof tests[0], by_file_then_name);
	for (int i = 0; i < ntests; i++) {
		if (!selected(&tests[i], argc, argv))
			continue;
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(TEST_TIMEOUT);
			tests[i].fn();
			fflush(NULL);
			_exit(failures ? 1 : 0);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) < 0) {
			perror("unit: fork");
			return 2;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			printf("ok   %s\n", tests[i].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("FAIL %s (killed by signal %d: %s)\n", tests[i].name,
				       WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				printf("FAIL %s\n", tests[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
