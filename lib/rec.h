/* rec.h — one API request record: parsed and validated at the edge. */
#ifndef APIMON_REC_H
#define APIMON_REC_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define REC_FUTURE_SKEW_MS	(5 * 60 * 1000)	/* newest timestamp allowed */
#define REC_MIN_TS_MS		946684800000LL	/* 2000-01-01T00:00:00Z */
#define REC_MAX_TOKENS		1000000000000LL
#define REC_MAX_SECONDS		86400.0		/* latency and ttft limit */
#define REC_METADATA_MAX	4096
#define REC_ID_MAX_CHARS	128
#define REC_SOURCE_MAX_CHARS	32
#define REC_USER_MAX_CHARS	128
#define REC_MODEL_MAX_CHARS	64	/* model and provider */
/* The most bytes a source, model or user name can take (4 per character). */
#define REC_NAME_MAX_BYTES	(4 * REC_USER_MAX_CHARS)

enum rec_cost_source { REC_COST_NONE, REC_COST_REPORTED, REC_COST_PRICED };

/*
 * Strings are NULL when the field was absent; all of them live in one
 * allocation owned by the record.  Integers that are -1 were absent.
 */
struct rec {
	const char		*request_id;
	const char		*source;
	const char		*status;	/* static string */
	const char		*user_id;
	const char		*command;
	const char		*model;
	const char		*provider;
	const char		*error;
	const char		*metadata;	/* JSON text */
	int64_t			 ts_ms;
	int64_t			 received_ms;
	int64_t			 latency_us;
	int64_t			 ttft_us;
	int64_t			 input_tokens;
	int64_t			 output_tokens;
	int64_t			 tokens;
	int64_t			 cost_nusd;
	enum rec_cost_source	 cost_source;
	char			*buf;		/* owns the strings */
};

struct rec_err {
	char	 field[32];	/* "" when the item as a whole is at fault */
	char	 msg[160];
};

/*
 * Validate item (a cJSON object, passed as void * so that callers need not
 * include cJSON) against the ingest contract and fill r; a key twice in
 * any object of it (metadata too) is an error that names the field it is
 * under.  now_ms is the time received.  Returns 0, and the caller frees r
 * with rec_free(); or -1 with e filled and nothing allocated in r.
 */
int	 rec_parse(const void *item, const struct conf *c, int64_t now_ms,
	    struct rec *r, struct rec_err *e);

/* What rec_parse_text() made of a record's text. */
enum rec_text {
	REC_TEXT_OK,	/* r filled */
	REC_TEXT_BAD,	/* a JSON object against the contract: e filled */
	REC_TEXT_SLOW	/* not for this path: use rec_parse() on its tree */
};

/*
 * rec_parse() straight from the text of one record, the object that
 * starts at buf[0] with '{', in one pass: no tree, no separate check of
 * the text, one allocation (r's strings).  *end is set past its '}'.
 * Returns REC_TEXT_OK, or REC_TEXT_BAD with e as rec_parse() fills it;
 * or REC_TEXT_SLOW, with nothing allocated, for text it leaves to
 * json_check(), json_tree() and rec_parse(), which then answer for it
 * (their answer is the contract): anything that is not strict JSON, a
 * key twice anywhere, an escape in a key, nesting or strings past its
 * fixed room, metadata that cJSON would print otherwise than it is
 * written (white space aside).  Taken: every valid record apimon and
 * the usual clients send.
 */
enum rec_text	 rec_parse_text(const char *buf, size_t len, size_t *end,
		    const struct conf *c, int64_t now_ms, struct rec *r,
		    struct rec_err *e);

/* Free what rec_parse() allocated; r may be zeroed. */
void	 rec_free(struct rec *r);

/* "reported", "priced" or "none". */
const char *rec_cost_source_name(enum rec_cost_source s);

#endif
