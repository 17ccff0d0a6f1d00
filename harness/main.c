/*
 * main.c - TEMPORARY minimal dispatch (branch preload) until the command line
 * lands from the core branch (harness/cli.c): `run` and `--list` only.  The
 * integrator replaces this file with core's main.c and keeps the `run` entry.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exitcodes.h"
#include "../allocators/allocator.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < allocator_count; i++)
			printf("%-16s %s\n", allocator_registry[i]->name,
			       allocator_registry[i]->description);
		return EXIT_OK;
	}
	fputs("bench: not built yet (only `bench run` and `bench --list`)\n", stderr);
	return EXIT_USAGE;
}
