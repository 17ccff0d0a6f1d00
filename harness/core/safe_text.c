/* safe_text.c - escaping untrusted text for the terminal (safe_text.h). */
#include "safe_text.h"

/* Bytes at s that form one control character: 1 (C0, DEL), 2 (C1 as UTF-8), 0. */
static size_t control_at(const unsigned char *s)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	if (s[0] >= 0x80 && s[0] <= 0x9f)   /* a raw C1 byte: not UTF-8, still a control */
		return 1;
	return 0;
}

const char *safe_text(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;
	if (!cap)
		return dst;
	while (*s) {
		size_t n = control_at(s);
		if (!n) {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)*s++;
			continue;
		}
		if (o + 4 * n >= cap)
			break;
		for (size_t k = 0; k < n; k++, s++) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[*s >> 4];
			dst[o++] = hex[*s & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

int safe_text_needed(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (control_at(p))
			return 1;
	return 0;
}
