/*
 * crasher.c N HOW [SIZE] - make N allocations of SIZE bytes (default 4242)
 * and free every other one, then end by HOW: "segv" (raise SIGSEGV), "exit" (_exit(7), skipping
 * atexit and stdio), or "normal".  Prints "allocated N" first.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	const char *how = argc > 2 ? argv[2] : "normal";
	size_t size = argc > 3 ? (size_t)atol(argv[3]) : 4242;
	void *prev = NULL;
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);
		if (i % 2)
			free(prev);
		prev = p;
	}
	printf("allocated %ld\n", n);
	fflush(stdout);
	if (!strcmp(how, "segv"))
		raise(SIGSEGV);
	if (!strcmp(how, "exit"))
		_exit(7);
	return 0;
}
