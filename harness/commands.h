/*
 * commands.h - the subcommands main() dispatches to.  Each takes the
 * arguments after the subcommand's name (argv[0] is the name itself) and
 * returns an exit status from exitcodes.h.
 */
#ifndef HEAPLAB_COMMANDS_H
#define HEAPLAB_COMMANDS_H

/* bench run --alloc NAME [--stats] [--check] [--] CMD ARGS...  (harness/run.c) */
int run_main(int argc, char **argv);

#endif
