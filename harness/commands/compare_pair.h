/*
 * compare_pair.h - `bench compare --pair BASE,CUR RESULTS...`: two
 * allocators of one interleaved suite (bench --interleave), judged cell by
 * cell (same machine, same trace) on the ratios of their timed passes round
 * by round (docs/compare.md, "Paired runs").
 */
#ifndef HEAPLAB_COMPARE_PAIR_H
#define HEAPLAB_COMPARE_PAIR_H

struct pair_options {
	const char *pair;        /* "BASE,CUR"                                  */
	double      min_effect;  /* fraction: smaller slowdowns never fail      */
	double      alpha;       /* significance level of the signed-rank test  */
	int         wall;        /* judge wall time even when CPU time exists   */
	int         markdown;    /* --format markdown: a table for a comment     */
};

/*
 * Load the results named by argv[0..argc-1] (files or folders) and compare
 * as above.  Prints a table on stdout (text, or markdown as plain
 * compare's); returns EXIT_OK, EXIT_CHECK (a
 * significant slowdown above the minimum effect, or CUR failed where BASE
 * did not, or a cell of CUR is missing) or EXIT_USAGE.
 */
int compare_pair(const struct pair_options *o, int argc, char **argv);

#endif
