/* json.h — strict JSON (RFC 8259) at the edge, on top of cJSON. */
#ifndef APIMON_JSON_H
#define APIMON_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define JSON_MAX_DEPTH	64	/* arrays and objects nested deeper: error */
#define JSON_NUMBER_MAX	63	/* longest number text (cJSON reads no more) */

/*
 * Error policy: apimon reads RFC 8259 JSON and refuses everything else
 * rather than guess what was meant.  Refused: numbers outside the RFC's
 * grammar (01, 1., .5, +1, 1e, 0x10, NaN, Infinity) or longer than
 * JSON_NUMBER_MAX characters; strings that are not valid UTF-8, hold a raw
 * control character, a \u0000 escape (C strings would end there) or an
 * unpaired surrogate escape; arrays and objects nested deeper than
 * JSON_MAX_DEPTH; anything but white space around the one value.  A UTF-8
 * byte order mark before it is skipped, as the RFC allows.  Duplicate keys
 * are valid JSON: json_dup_key() finds them for the callers that refuse
 * them.  An error says where it is: the byte offset, and for a record (the
 * top-level object, or an object item of a top-level array) its item and
 * the key it sits under.
 */
struct json_err {
	size_t	 pos;		/* byte offset of the fault */
	long	 item;		/* top-level array item it is in, or -1 */
	char	 key[32];	/* record-level key it is under, or "" */
	char	 msg[80];	/* what is wrong */
};

/*
 * Check that the len bytes at buf are one JSON text under the policy
 * above, in one pass, without recursion or allocation.  Returns 0 with
 * *nitems set to the number of items when the value is an array (1 when it
 * is not); or -1 with e filled.
 */
int	 json_check(const char *buf, size_t len, size_t *nitems,
	    struct json_err *e);

/*
 * The tree of len bytes at buf that json_check() accepted.  Returns a tree
 * that the caller frees with cJSON_Delete(), or NULL when out of memory.
 */
cJSON	*json_tree(const char *buf, size_t len);

/*
 * json_check() and json_tree() in one.  Returns the tree, or NULL with
 * *errpos (if not NULL) set to the byte offset of the fault (len when out
 * of memory).
 */
cJSON	*json_parse(const char *buf, size_t len, size_t *errpos);

/*
 * Find a key that occurs twice in one object of the tree v, v itself and
 * every object nested in it, in O(n log n) for n keys.  Returns 0 when
 * there is none; 1 with *key set to it and *under to the key of v's member
 * it sits under (the key itself when it is one of v's), both pointing into
 * the tree; -1 when out of memory or v is deeper than cJSON's parser nests.
 */
int	 json_dup_key(const cJSON *v, const char **key, const char **under);

#endif
