/* utf8.c — validating and cutting UTF-8 text. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Length of the sequence at s, or 0 when it is not valid UTF-8. */
static size_t
seqlen(const unsigned char *s, size_t left)
{
	uint32_t	 cp;
	size_t		 n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

long
utf8_len(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	long			 chars = 0;

	while (i < len) {
		if ((n = seqlen(p + i, len - i)) == 0)
			return -1;
		i += n;
		chars++;
	}
	return chars;
}

size_t
utf8_fit(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	/* s[max] is the first byte cut off: back up to its lead byte. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, chars = 0;

	while (i < len && chars < max) {
		if ((n = seqlen(p + i, len - i)) == 0)
			break;
		i += n;
		chars++;
	}
	return i;
}

int
utf8_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	/* A cut may have split the last character: end before it. */
	if (n >= 0 && (size_t)n >= size && size > 0)
		buf[utf8_prefix(buf, size - 1, SIZE_MAX)] = '\0';
	return n;
}

char *
utf8_repair(const char *s)
{
	static const char	 fffd[] = "\xef\xbf\xbd";
	size_t			 len = strlen(s), i = 0, o = 0, n;
	char			*out;

	/* At most 3 bytes for each byte of s. */
	if ((out = malloc(3 * len + 1)) == NULL)
		return NULL;
	while (i < len) {
		n = utf8_prefix(s + i, len - i, SIZE_MAX);
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
		if (i < len) {
			memcpy(out + o, fffd, 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}
