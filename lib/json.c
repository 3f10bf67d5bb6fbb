/* json.c — strict whole-buffer JSON parsing on top of cJSON. */
#include <string.h>

#include "json.h"

/*
 * cJSON keeps strings NUL-terminated, so a NUL byte or a \u0000 escape
 * would silently cut a string short; it also lets raw control characters
 * into strings, which JSON forbids.  Returns the offset of the first such
 * byte, or len when there is none.
 */
static size_t
find_forbidden(const char *buf, size_t len)
{
	size_t	 i;
	int	 in_str = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == 0 || (in_str && c < 0x20))
			return i;
		if (!in_str) {
			in_str = c == '"';
			continue;
		}
		if (c == '"')
			in_str = 0;
		else if (c == '\\' && i + 1 < len) {
			if (buf[i + 1] == 'u' && i + 5 < len &&
			    memcmp(buf + i + 2, "0000", 4) == 0)
				return i;
			i++;
		}
	}
	return len;
}

cJSON *
json_parse(const char *buf, size_t len, size_t *errpos)
{
	const char	*end = NULL;
	cJSON		*v;
	size_t		 bad;

	if ((bad = find_forbidden(buf, len)) != len) {
		if (errpos != NULL)
			*errpos = bad;
		return NULL;
	}
	v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (v == NULL) {
		end = cJSON_GetErrorPtr();
		if (errpos != NULL)
			*errpos = end != NULL && end >= buf && end <= buf + len ?
			    (size_t)(end - buf) : 0;
		return NULL;
	}
	while (end < buf + len && (*end == ' ' || *end == '\t' ||
	    *end == '\r' || *end == '\n'))
		end++;
	if (end != buf + len) {
		if (errpos != NULL)
			*errpos = (size_t)(end - buf);
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}
