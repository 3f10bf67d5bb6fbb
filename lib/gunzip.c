/* gunzip.c — a gzip body inflated in bounded memory (Content-Encoding: gzip). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "gunzip.h"

#define GUNZIP_FIRST	(64 * 1024)	/* first guess at the inflated size */

enum gunzip_rc
gunzip(const char *buf, size_t len, size_t max, char **out, size_t *outlen)
{
	z_stream	 z = { 0 };
	enum gunzip_rc	 rc = GUNZIP_BAD;
	char		*p = NULL, *np;
	size_t		 cap = 0, got = 0;
	int		 zrc;

	*out = NULL;
	*outlen = 0;
	/* 16 + MAX_WBITS: a gzip header and trailer, both checked. */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return GUNZIP_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)buf;
	for (;;) {
		/* zlib counts in uInt: a huge body goes in pieces. */
		if (z.avail_in == 0 && len > 0) {
			z.avail_in = len > UINT_MAX ? UINT_MAX : (uInt)len;
			len -= z.avail_in;
		}
		/* Room for max + 1 bytes at most: the one past max tells. */
		if (got == cap) {
			cap = cap == 0 ? GUNZIP_FIRST : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			if ((np = realloc(p, cap + 1)) == NULL) {
				rc = GUNZIP_NOMEM;
				goto fail;
			}
			p = np;
		}
		z.next_out = (Bytef *)p + got;
		z.avail_out = (uInt)(cap - got);
		zrc = inflate(&z, Z_NO_FLUSH);
		got = cap - z.avail_out;
		if (got > max) {
			rc = GUNZIP_TOO_BIG;
			goto fail;
		}
		if (zrc == Z_STREAM_END) {
			/* A second member, or junk after the first. */
			if (z.avail_in > 0 || len > 0)
				goto fail;
			break;
		}
		if (zrc == Z_MEM_ERROR) {
			rc = GUNZIP_NOMEM;
			goto fail;
		}
		/* No progress with room to spare: the input ended early. */
		if (zrc != Z_OK && !(zrc == Z_BUF_ERROR && z.avail_out == 0))
			goto fail;
	}
	inflateEnd(&z);
	p[got] = '\0';
	*out = p;
	*outlen = got;
	return GUNZIP_OK;
fail:
	inflateEnd(&z);
	free(p);
	return rc;
}
