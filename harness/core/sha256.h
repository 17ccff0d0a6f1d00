/*
 * sha256.h - SHA-256 (FIPS 180-4), so a result names the exact trace bytes it
 * was measured on.  Written from the standard; no external library.
 */
#ifndef HEAPLAB_SHA256_H
#define HEAPLAB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];        /* chaining state                          */
	uint64_t bytes;       /* message length so far                   */
	uint8_t  buf[64];     /* a partial block waiting for more input  */
	size_t   nbuf;        /* bytes used in buf                       */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);

/* Whether the CPU's SHA instructions are used (when sha256_portable_only is 0). */
int sha256_accelerated(void);

/* Set to force the portable code, so tests can compare the two. */
extern int sha256_portable_only;

/* The digest of data[0..len) as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
