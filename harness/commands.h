/*
 * commands.h - the subcommands `bench NAME ...` dispatches to.
 *
 * Each takes the arguments after `bench` (argv[0] is the subcommand's name)
 * and returns an exit status from exitcodes.h; only main calls exit.
 */
#ifndef HEAPLAB_COMMANDS_H
#define HEAPLAB_COMMANDS_H

int gen_main(int argc, char **argv);     /* bench gen PROFILE [--ops N] [--seed S] -o FILE */
int record_main(int argc, char **argv);  /* bench record -o FILE [...] -- CMD ARGS...       */
int info_main(int argc, char **argv);    /* bench info FILE [--json]                       */
int run_main(int argc, char **argv);     /* bench run --alloc NAME [--stats] [--check] -- CMD */

#endif
