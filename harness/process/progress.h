/*
 * progress.h - the progress line of a run on stderr: which cell, which pass
 * and op the running child has reached, elapsed and remaining time.
 *
 * It is drawn only when stderr is a terminal (`bench` decides; --no-progress
 * turns it off; --quiet does not: it drops the summary, which is output,
 * while the progress line is erased when the run ends).  A suite draws it as
 * each cell starts and about once a second while the cell runs; a single
 * cell only once it has run for a second, so quick runs print nothing.  The
 * line is cut to the terminal's width (TIOCGWINSZ, else $COLUMNS, else 80):
 * a line that wraps cannot be redrawn in place.
 */
#ifndef HEAPLAB_PROGRESS_H
#define HEAPLAB_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* Begin a run of ncells cells; on 0 draws nothing. */
void progress_start(int on, size_t ncells);

/* Cell i (from 0) starts: allocator, trace path, its ops and timed passes. */
void progress_cell(size_t i, const char *alloc, const char *trace_path, uint64_t nops,
                   unsigned runs);

/* Erase the line (before printing anything else on stderr). */
void progress_clear(void);

/* Erase the line and stop the once-a-second refresh. */
void progress_stop(void);

/* The width of the terminal on fd: TIOCGWINSZ, else $COLUMNS, else 80. */
unsigned progress_columns(int fd);

#endif
