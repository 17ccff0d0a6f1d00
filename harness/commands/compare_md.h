/*
 * compare_md.h - the markdown pieces of bench compare's output (compare.c),
 * shared by compare --pair (compare_pair.c) so that both tables read alike
 * in a pull-request comment.
 */
#ifndef HEAPLAB_COMPARE_MD_H
#define HEAPLAB_COMPARE_MD_H

#include <stddef.h>

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
