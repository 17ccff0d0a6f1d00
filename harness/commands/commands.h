/*
 * commands.h - the subcommands `bench NAME ...` dispatches to.
 *
 * Each takes the arguments after `bench` (argv[0] is the subcommand's name)
 * and returns an exit status from exitcodes.h; only main calls exit.
 */
#ifndef HEAPLAB_COMMANDS_H
#define HEAPLAB_COMMANDS_H

#include "../core/fileio.h"
#include "../results/reader.h"

int gen_main(int argc, char **argv);     /* bench gen PROFILE [--ops N] [--seed S] -o FILE */
int record_main(int argc, char **argv);  /* bench record -o FILE [...] -- CMD ARGS...       */
int info_main(int argc, char **argv);    /* bench info FILE [--json]                       */
int run_main(int argc, char **argv);     /* bench run --alloc NAME [--stats] [--check] -- CMD */
int report_main(int argc, char **argv);  /* bench report [--format F] [--fields L] RESULTS  */
int compare_main(int argc, char **argv); /* bench compare [options] BASELINE CURRENT        */
int plan_main(int argc, char **argv);    /* bench plan [--format F] --alloc --trace --out DIR */
int merge_main(int argc, char **argv);   /* bench merge [--plan MANIFEST] DIR              */

/* `bench run` with measuring options, or several allocators: program cells
 * (program_cells.c). */
int program_cells_main(int argc, char **argv);
void program_cells_usage(FILE *f);

/*
 * The preload library of built-in allocator `name`: $HEAPLAB_LIB_DIR, else
 * build/lib or ../lib/heaplab beside the bench binary (run.c).  Returns 0
 * with its absolute path in out, or -1 with the first place tried.
 */
int run_find_library(const char *name, char *out, size_t outsz);

/*
 * For report and compare: load every path of argv[0..argc) (files or
 * folders) into set.  Returns 0, or an exit code after printing "bench: ..."
 * (EXIT_USAGE for a file that is not a heaplab result, naming it).
 */
int results_from_args(const char *cmd, int argc, char **argv, struct result_set *set);

#endif
