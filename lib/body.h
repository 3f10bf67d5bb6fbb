/* body.h — a request body (one object, an array, NDJSON) into records. */
#ifndef APIMON_BODY_H
#define APIMON_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "json.h"
#include "rec.h"

enum body_kind { BODY_JSON, BODY_NDJSON };

enum body_rc {
	BODY_OK,
	BODY_BAD,	/* not JSON (json.h), not records, a bad single one */
	BODY_TOO_MANY,	/* more items than ingest.max_batch */
	BODY_NOMEM
};

/* An item of a batch that failed validation. */
struct body_reject {
	size_t		 index;		/* 0-based; blank lines not counted */
	struct rec_err	 e;
};

struct body {
	struct rec		*recs;		/* the valid items, in order */
	size_t			 nrecs;
	struct body_reject	*rejects;	/* the others, in order */
	size_t			 nrejects;
};

/*
 * Parse the len bytes at buf as kind (BODY_JSON: one record object or an
 * array of them; BODY_NDJSON: one per line, blank lines skipped) into
 * records validated against c, received at now_ms.  Valid records are
 * read straight from the text (rec_parse_text()); the rest goes the slow
 * way, whose items are counted before any cJSON tree is built, so a body
 * over ingest.max_batch costs no more than max_batch records and a scan.
 * A batch whose text is not JSON is refused whole.
 * Returns BODY_OK with b filled (a batch's invalid items as rejects), which
 * the caller frees with body_free(); or another code with e filled and
 * nothing allocated: e->field is the record-level key at fault ("" for
 * none) and e->msg says where ("item 3: field \"cost\": …", "line 2: …")
 * and what.
 */
enum body_rc	 body_parse(const char *buf, size_t len, enum body_kind kind,
		    const struct conf *c, int64_t now_ms, struct body *b,
		    struct rec_err *e);

/*
 * body_parse() without the fast path (rec_parse_text()): json_check(),
 * then a cJSON tree and rec_parse() for each item.  body_parse() falls
 * back on it, whole, for any text the fast path does not take, so both
 * answer the same; the fuzz test compares them.
 */
enum body_rc	 body_parse_slow(const char *buf, size_t len,
		    enum body_kind kind, const struct conf *c, int64_t now_ms,
		    struct body *b, struct rec_err *e);

/* Free what body_parse() allocated; b may be zeroed. */
void		 body_free(struct body *b);

/*
 * A json_check() error as a record error: the key it sits under as the
 * field, and as the message what is wrong, after "UNIT WHERE: " and
 * "field \"KEY\": " when unit is not NULL, with the byte offset (plus
 * from) when no key names the place.
 */
void		 body_json_err(const struct json_err *je, size_t from,
		    const char *unit, size_t where, struct rec_err *e);

#endif
