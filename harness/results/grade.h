/*
 * grade.h - `bench report --format grade`: results in the malloc lab
 * driver's shape, for whoever grades a class (docs/grading.md).
 *
 * Per allocator (student), per trace: valid (the cell's status is ok),
 * utilization (peak live / peak break), ops, seconds of one timed pass
 * (ops / median ops per second) and Kops (thousands of ops per second);
 * then the average utilization U, the throughput T = total ops / total
 * seconds over the traces, and the performance index
 *
 *     P = 100 * (w * U + (1 - w) * min(1, T / T_ref))
 *
 * with w = 0.6 and T_ref = 600 Kops unless set; P is 0 when any trace is
 * not valid.  Several allocators: a table each, then a ranking by P.
 */
#ifndef HEAPLAB_GRADE_H
#define HEAPLAB_GRADE_H

#include <stdio.h>

#include "reader.h"

#define GRADE_WEIGHT_DEFAULT   0.6
#define GRADE_REF_KOPS_DEFAULT 600.0

enum grade_format { GRADE_TEXT, GRADE_CSV, GRADE_JSON };

struct grade_options {
	double      weight;    /* w, in [0, 1]                                       */
	double      ref_kops;  /* T_ref in Kops, > 0                                 */
	const char *ref_alloc; /* or: T of this allocator in the results; NULL: none */
};

/*
 * Print the grading view of `set`.  Returns 0, or -1 with a message in err
 * (the reference allocator is not in the results or has no throughput).
 */
int grade_print(FILE *out, enum grade_format fmt, const struct result_set *set,
                const struct grade_options *o, char *err, size_t errlen);

#endif
