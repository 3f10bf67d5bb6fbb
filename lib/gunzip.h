/* gunzip.h — a gzip body inflated in bounded memory (Content-Encoding: gzip). */
#ifndef APIMON_GUNZIP_H
#define APIMON_GUNZIP_H

#include <stddef.h>

enum gunzip_rc {
	GUNZIP_OK,
	GUNZIP_BAD,	/* not gzip, cut short, a bad checksum, bytes after it */
	GUNZIP_TOO_BIG,	/* inflates to more than max bytes */
	GUNZIP_NOMEM
};

/*
 * Inflate the gzip data of len bytes at buf (one member, as HTTP's gzip
 * coding sends it) into a malloc'd, NUL-terminated buffer that the caller
 * frees: *out, of *outlen bytes.  Memory grows with what comes out and
 * stops at max bytes, so a small bomb costs no more than a body of max
 * bytes would.  Returns GUNZIP_OK, or another code with nothing allocated.
 */
enum gunzip_rc	 gunzip(const char *buf, size_t len, size_t max, char **out,
		    size_t *outlen);

#endif
