/*
 * trace_format.h - the native trace format in one place: its operation
 * letters, its limits and its header line, as the reader (trace.c), the
 * generator (gen_engine.c), `bench record` (record.c) and the recorder
 * library (recorder/record_preload.c) all write or read them.  The format is
 * specified for users in workloads/README.md.
 *
 * The recorder is built without the harness and preloaded into other
 * programs: this header must stay macros only, with no includes and nothing
 * to link.
 */
#ifndef HEAPLAB_TRACE_FORMAT_H
#define HEAPLAB_TRACE_FORMAT_H

/* The first field of an operation line, and the numbers after it. */
#define TRACE_LETTER_MALLOC    'a'   /* a ID SIZE          */
#define TRACE_LETTER_CALLOC    'c'   /* c ID NMEMB SIZE    */
#define TRACE_LETTER_REALLOC   'r'   /* r ID SIZE          */
#define TRACE_LETTER_MEMALIGN  'm'   /* m ID ALIGN SIZE    */
#define TRACE_LETTER_FREE      'f'   /* f ID               */
#define TRACE_LETTER_THREAD    't'   /* t TID: the thread of the ops after it */
#define TRACE_COMMENT          '#'   /* a comment, to the end of the line     */

/* The same letters as strings, for printf formats ("a %u %llu\n"). */
#define TRACE_STR_MALLOC       "a"
#define TRACE_STR_CALLOC       "c"
#define TRACE_STR_REALLOC      "r"
#define TRACE_STR_MEMALIGN     "m"
#define TRACE_STR_FREE         "f"
#define TRACE_STR_THREAD       "t"

/* IDs are below 2^32; the number of a line fits 32 bits too. */
#define TRACE_MAX_ID           0xffffffffu
#define TRACE_MAX_LINES        0xffffffffu
/* `t TID`: TIDs are at most this (so a thread index fits 16 bits). */
#define TRACE_MAX_TID          65535u
/* Longest line accepted, not counting its line ending.  Real op lines are
 * under 60 bytes; the limit only exists so that a binary or corrupt file gets
 * a short, precise complaint instead of a multi-megabyte "field". */
#define TRACE_MAX_LINE         4096
/* m ID ALIGN SIZE: ALIGN is at most 2^40; larger is a typo, not a workload. */
#define TRACE_MAX_ALIGN_LOG2   40

/* Every trace heaplab writes opens with a comment starting so. */
#define TRACE_HEADER           "# heaplab trace"

#endif
