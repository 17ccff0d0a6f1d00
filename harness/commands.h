/*
 * commands.h - the result-reading subcommands, `bench report` and `bench
 * compare` (report_cmd.c, compare.c), and what they share.
 */
#ifndef HEAPLAB_COMMANDS_H
#define HEAPLAB_COMMANDS_H

#include "result.h"

int report_main(int argc, char **argv);
int compare_main(int argc, char **argv);

/*
 * Load every path of argv[0..argc) (files or folders) into set.  Returns 0,
 * or an exit code after printing "bench: ..." (EXIT_USAGE for a file that is
 * not a heaplab result, naming it).
 */
int results_from_args(const char *cmd, int argc, char **argv, struct result_set *set);

/* Flush stdout; a write error becomes EXIT_SYSTEM with a message. */
int commands_finish_stdout(int code);

#endif
