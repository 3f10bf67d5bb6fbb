/* json.c — strict whole-buffer JSON parsing on top of cJSON. */
#include "json.h"

cJSON *
json_parse(const char *buf, size_t len, size_t *errpos)
{
	const char	*end = NULL;
	cJSON		*v;

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
