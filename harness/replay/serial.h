/*
 * serial.h - the serial driver: a cell's passes on the calling thread, in
 * trace order (cell.h says what each pass does; cell.c calls these).
 *
 * The checked pass hands every op to the checker (checker.h) under the crash
 * guard (guard.h); the timed passes run timed_op.h's op in a tight loop; the
 * latency pass (replay_latency_cell, cell.h) times each op on its own.
 */
#ifndef HEAPLAB_SERIAL_H
#define HEAPLAB_SERIAL_H

#include <stddef.h>

#include "cell.h"

/* The checked pass: fills the checked fields of r; returns r->status. */
enum cell_status serial_checked(const struct allocator *a, const struct trace *t,
                                const struct cell_options *opt, struct cell_result *r);

/*
 * One timed pass (replay_timed, cell.h); when it returns REPLAY_CRASHED and
 * `what` is not NULL, the signal is described there.
 */
int serial_timed(const struct allocator *a, const struct trace *t,
                 const struct cell_options *opt, void **ptrs,
                 struct pass_figures *f, struct memory_figures *m, char *what, size_t len);

#endif
