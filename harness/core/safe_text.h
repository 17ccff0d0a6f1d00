/*
 * safe_text.h - untrusted text (names read from result files, file names
 * found in folders) made safe to print on a terminal.
 *
 * Control characters (C0, DEL and the UTF-8 encoded C1 range, which carry
 * escape sequences) become \xNN; everything else is kept.  A hostile name
 * cannot move the cursor, recolour or retitle the terminal, or split a line.
 */
#ifndef HEAPLAB_SAFE_TEXT_H
#define HEAPLAB_SAFE_TEXT_H

#include <stddef.h>

/* `src` escaped into dst (cap bytes, always terminated, cut short if need be); dst. */
const char *safe_text(char *dst, size_t cap, const char *src);

/* True when `s` holds a character safe_text would escape. */
int safe_text_needed(const char *s);

#endif
