/*
 * report_md.h - `bench report --format markdown`: tables ready to paste into
 * a pull request or a README, in human units (MiB, Mops/s, ns, %).
 *
 * Without --fields: one table per trace (a bold line names it), a row per
 * allocator: status, Mops/s (median), the throughput relative to a
 * reference allocator measured on the same trace ("x glibc": 2.00x is twice
 * as fast), peak break, peak RSS, utilization by the break (built-ins) and by
 * RSS (built-ins and peers), and, when any cell had failed allocations, the
 * failed allocations + skipped ops.  Each table fits 80 columns for names up
 * to 14 characters.
 */
#ifndef HEAPLAB_REPORT_MD_H
#define HEAPLAB_REPORT_MD_H

#include <stdio.h>

#include "reader.h"

/*
 * The reference for the ratio column: `name` when given (it must have a
 * result in set), else "glibc" when set has one, else none (NULL, no
 * column).  Returns 0, or -1 when `name` has no result in set.
 */
int report_md_reference(const struct result_set *set, const char *name, const char **ref);

/* The per-trace tables described above. */
void report_md_tables(FILE *out, const struct result_set *set, const char *ref);

/*
 * A raw figure of field `field` (as tsv prints it) rewritten in human units
 * in place: *_bytes as KiB/MiB/GiB, ops_per_sec_* as Mops/s, ns_per_op_*
 * and latency percentiles as ns, utilization and fragmentation as %.
 */
void report_md_humanize(const char *field, char *buf, size_t len);

#endif
