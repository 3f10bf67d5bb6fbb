/* json.h — strict whole-buffer JSON parsing on top of cJSON. */
#ifndef APIMON_JSON_H
#define APIMON_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * Parse the len bytes at buf as exactly one JSON value, with nothing but
 * white space after it.  A NUL byte, a \u0000 escape, a raw control
 * character inside a string and trailing text are errors.  Returns
 * the tree, which the caller frees with cJSON_Delete(), or NULL with
 * *errpos (if not NULL) set to the byte offset where parsing failed.
 */
cJSON	*json_parse(const char *buf, size_t len, size_t *errpos);

#endif
