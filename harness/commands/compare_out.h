/*
 * compare_out.h - the pieces of bench compare's output (compare.c) that
 * compare --pair (compare_pair.c) shares, so that both tables read alike, in
 * a terminal and in a pull-request comment.
 */
#ifndef HEAPLAB_COMPARE_OUT_H
#define HEAPLAB_COMPARE_OUT_H

#include <stddef.h>

/* A bound of an interval, as a change in percent without the % sign:
 * "+9.8", "-120", "?" (not finite, or not a ratio). */
void compare_bound_text(char *buf, size_t len, double ratio);

/* s as the text of a table cell on stdout: '|' escaped, newlines as <br>. */
void compare_md_cell(const char *s);

/* A row's opening mark, "| ❌ " (failed), "| ⚠️ " (look at it) or "| ✅ ". */
void compare_md_mark(int fail, int warn);

/*
 * The one-line verdict: "**❌ Regression: F of N cells failed**", or
 * "**✅ No regression**" followed by `passed` (for example "in 4 compared
 * cells"); a blank line before it.
 */
void compare_md_verdict(size_t failed, size_t n, const char *passed);

#endif
