/* utf8.h — validating and cutting UTF-8 text. */
#ifndef APIMON_UTF8_H
#define APIMON_UTF8_H

/*
 * Error policy: utf8_len() returns -1 for invalid UTF-8; the cutting
 * functions never fail and never leave part of a character.
 */

#include <stddef.h>

/*
 * Count the characters of the len bytes at s.  Returns the count, or -1
 * when s is not valid UTF-8 (overlong forms, surrogates and code points
 * above U+10FFFF are invalid).
 */
long	utf8_len(const char *s, size_t len);

/*
 * Return how many bytes of the UTF-8 string s (len bytes) hold its first
 * max characters, so that a cut there never splits a character.  It stops
 * before the first byte that is not valid UTF-8: with max SIZE_MAX it
 * returns the length of the valid prefix, len when all of s is valid.
 */
size_t	utf8_prefix(const char *s, size_t len, size_t max);

/*
 * snprintf() that never cuts a character in half: when the text does not
 * fit in size bytes it ends at the last whole UTF-8 character that does.
 * Returns what snprintf() returns, so that ret >= size tells a cut.
 */
int	utf8_snprintf(char *buf, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Return how many bytes of the valid UTF-8 string s (len bytes) fit in
 * max bytes without splitting a character: len when it all fits.
 */
size_t	utf8_fit(const char *s, size_t len, size_t max);

/*
 * s as valid UTF-8: a malloc'd copy in which every byte that does not
 * belong to a valid character is replaced by U+FFFD, or NULL when out of
 * memory.  The caller frees it.
 */
char	*utf8_repair(const char *s);

#endif
