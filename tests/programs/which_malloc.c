/*
 * which_malloc.c [crash] - prints which malloc serves it: "malloc: heaplab
 * NAME" when a heaplab preload library is loaded (it exports
 * heaplab_allocator_name), else "malloc: other".  Its output therefore
 * depends on the allocator, which is what tests/cli/program_cells.sh needs
 * for an output mismatch.  With "crash" it raises SIGSEGV under heaplab
 * only: a crash that one allocator has and the reference has not.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *(*name)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT,
	                                                          "heaplab_allocator_name");
	char *p = malloc(100);
	snprintf(p, 100, "%s", name ? name() : "");
	printf("malloc: %s%s%s\n", name ? "heaplab" : "other", name ? " " : "", p);
	free(p);
	fflush(stdout);
	if (name && argc > 1 && !strcmp(argv[1], "crash"))
		raise(SIGSEGV);
	return 0;
}
