/* body.c — a request body (one object, an array, NDJSON) into records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

static enum body_rc
refuse(struct rec_err *e, enum body_rc rc, const char *msg)
{
	e->field[0] = '\0';
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return rc;
}

static enum body_rc
too_many(struct rec_err *e, size_t n, const struct conf *c)
{
	char	 msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "batch of %zu items is over "
	    "ingest.max_batch (%ld)", n, c->ingest.max_batch);
	return refuse(e, BODY_TOO_MANY, msg);
}

void
body_json_err(const struct json_err *je, size_t from, const char *unit,
    size_t where, struct rec_err *e)
{
	char	 at[32] = "";

	if (unit != NULL)
		snprintf(at, sizeof(at), "%s %zu: ", unit, where);
	snprintf(e->field, sizeof(e->field), "%s", je->key);
	if (je->key[0] == '\0')
		snprintf(e->msg, sizeof(e->msg),
		    "%snot valid JSON at byte %zu: %s", at, from + je->pos,
		    je->msg);
	else if (unit != NULL)
		snprintf(e->msg, sizeof(e->msg), "%sfield \"%s\": %s", at,
		    je->key, je->msg);
	else
		snprintf(e->msg, sizeof(e->msg), "%s", je->msg);
}

static int
alloc(struct body *b, size_t n)
{
	if (n == 0)
		n = 1;
	b->recs = calloc(n, sizeof(*b->recs));
	b->rejects = calloc(n, sizeof(*b->rejects));
	return b->recs != NULL && b->rejects != NULL ? 0 : -1;
}

/* Validate one item of a batch into a record or a reject. */
static void
take(struct body *b, const cJSON *item, size_t index, const struct conf *c,
    int64_t now_ms)
{
	struct body_reject	*rj = &b->rejects[b->nrejects];

	if (rec_parse(item, c, now_ms, &b->recs[b->nrecs], &rj->e) == 0)
		b->nrecs++;
	else {
		rj->index = index;
		b->nrejects++;
	}
}

/* The next line of [*p, end) that is not blank, its length in *n; or NULL. */
static const char *
next_line(const char **p, const char *end, size_t *n, size_t *lineno)
{
	const char	*s, *nl;
	size_t		 i;

	while (*p < end) {
		s = *p;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		*p = nl < end ? nl + 1 : end;
		(*lineno)++;
		*n = (size_t)(nl - s);
		for (i = 0; i < *n && (s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\r'); i++)
			;
		if (i < *n)
			return s;
	}
	return NULL;
}

/*
 * Count the lines that are not blank before parsing any, and make room
 * for as many records: BODY_OK, or the answer that refuses the body.
 */
static enum body_rc
ndjson_room(const char *buf, size_t len, const struct conf *c,
    struct body *b, struct rec_err *e)
{
	const char	*p = buf, *end = buf + len;
	size_t		 n = 0, ll, lineno = 0;

	while (next_line(&p, end, &ll, &lineno) != NULL)
		n++;
	if (n > (size_t)c->ingest.max_batch)
		return too_many(e, n, c);
	if (alloc(b, n) != 0)
		return refuse(e, BODY_NOMEM, "out of memory");
	return BODY_OK;
}

/* A JSON string in a string cannot hold a raw newline: lines are items. */
static enum body_rc
parse_ndjson(const char *buf, size_t len, const struct conf *c,
    int64_t now_ms, struct body *b, struct rec_err *e)
{
	const char	*p, *end = buf + len, *line;
	struct json_err	 je;
	cJSON		*item;
	size_t		 n, ll, lineno, k;
	enum body_rc	 rc;

	if ((rc = ndjson_room(buf, len, c, b, e)) != BODY_OK)
		return rc;
	for (p = buf, lineno = 0, n = 0;
	    (line = next_line(&p, end, &ll, &lineno)) != NULL; n++) {
		if (json_check(line, ll, &k, &je) != 0) {
			body_json_err(&je, (size_t)(line - buf), "line", lineno,
			    e);
			return BODY_BAD;
		}
		if ((item = json_tree(line, ll)) == NULL)
			return refuse(e, BODY_NOMEM, "out of memory");
		take(b, item, n, c, now_ms);
		cJSON_Delete(item);
	}
	return BODY_OK;
}

static enum body_rc
parse_json(const char *buf, size_t len, const struct conf *c,
    int64_t now_ms, struct body *b, struct rec_err *e)
{
	struct json_err	 je;
	cJSON		*root, *item;
	size_t		 n, i = 0;
	enum body_rc	 rc = BODY_OK;

	if (json_check(buf, len, &n, &je) != 0) {
		body_json_err(&je, 0, je.item >= 0 ? "item" : NULL,
		    (size_t)je.item, e);
		return BODY_BAD;
	}
	if (n > (size_t)c->ingest.max_batch)
		return too_many(e, n, c);
	if ((root = json_tree(buf, len)) == NULL || alloc(b, n) != 0)
		rc = refuse(e, BODY_NOMEM, "out of memory");
	else if (cJSON_IsObject(root)) {
		if (rec_parse(root, c, now_ms, &b->recs[0], e) == 0)
			b->nrecs = 1;
		else
			rc = BODY_BAD;
	} else if (cJSON_IsArray(root))
		cJSON_ArrayForEach(item, root)
			take(b, item, i++, c, now_ms);
	else
		rc = refuse(e, BODY_BAD, "body must be a JSON object, an array "
		    "of objects or NDJSON");
	cJSON_Delete(root);
	return rc;
}

/* The fast path found text it does not take: the slow one answers. */
#define SLOW	((enum body_rc)-1)

static int
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Room for one more record and reject; 0 or -1. */
static int
room(struct body *b, size_t *cap)
{
	struct rec		*r;
	struct body_reject	*j;
	size_t			 n = *cap ? *cap * 2 : 16;

	if (b->nrecs + b->nrejects < *cap)
		return 0;
	if ((r = realloc(b->recs, n * sizeof(*r))) != NULL)
		b->recs = r;
	if ((j = realloc(b->rejects, n * sizeof(*j))) != NULL)
		b->rejects = j;
	if (r == NULL || j == NULL)
		return -1;
	*cap = n;
	return 0;
}

/*
 * One item at buf[*i] ('{' expected) into a record or a reject; *i moves
 * past it.  0, or SLOW.
 */
static enum body_rc
fast_item(const char *buf, size_t len, size_t *i, size_t index,
    const struct conf *c, int64_t now_ms, struct body *b)
{
	struct body_reject	*rj = &b->rejects[b->nrejects];
	size_t			 end;

	switch (rec_parse_text(buf + *i, len - *i, &end, c, now_ms,
	    &b->recs[b->nrecs], &rj->e)) {
	case REC_TEXT_OK:
		b->nrecs++;
		break;
	case REC_TEXT_BAD:
		rj->index = index;
		b->nrejects++;
		break;
	default:
		return SLOW;
	}
	*i += end;
	return BODY_OK;
}

/* An object or an array of objects, taken in one pass. */
static enum body_rc
fast_json(const char *buf, size_t len, const struct conf *c, int64_t now_ms,
    struct body *b, struct rec_err *e)
{
	size_t	 i = 0, cap = 0, n = 0;
	int	 lone;

	while (i < len && ws(buf[i]))
		i++;
	if (i == len || (buf[i] != '{' && buf[i] != '['))
		return SLOW;
	if ((lone = buf[i] == '{')) {
		if (room(b, &cap) || fast_item(buf, len, &i, 0, c, now_ms, b))
			return SLOW;
	} else
		for (i++;; n++) {
			while (i < len && ws(buf[i]))
				i++;
			if (i == len || buf[i] != '{' ||
			    n == (size_t)c->ingest.max_batch ||
			    room(b, &cap) ||
			    fast_item(buf, len, &i, n, c, now_ms, b))
				return SLOW;
			while (i < len && ws(buf[i]))
				i++;
			if (i < len && buf[i] == ']') {
				i++;
				break;
			}
			if (i == len || buf[i++] != ',')
				return SLOW;
		}
	while (i < len && ws(buf[i]))
		i++;
	if (i < len)
		return SLOW;
	/* A lone object that breaks the contract is the answer itself. */
	if (lone && b->nrejects > 0) {
		*e = b->rejects[0].e;
		return BODY_BAD;
	}
	return BODY_OK;
}

/* NDJSON: each line one object. */
static enum body_rc
fast_ndjson(const char *buf, size_t len, const struct conf *c,
    int64_t now_ms, struct body *b, struct rec_err *e)
{
	const char	*p, *end = buf + len, *line;
	size_t		 n, ll, lineno, i;
	enum body_rc	 rc;

	if ((rc = ndjson_room(buf, len, c, b, e)) != BODY_OK)
		return rc;
	for (p = buf, lineno = 0, n = 0;
	    (line = next_line(&p, end, &ll, &lineno)) != NULL; n++) {
		for (i = 0; line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
		    i++)
			;
		if (line[i] != '{' || fast_item(line, ll, &i, n, c, now_ms, b))
			return SLOW;
		while (i < ll && (line[i] == ' ' || line[i] == '\t' ||
		    line[i] == '\r'))
			i++;
		if (i < ll)
			return SLOW;
	}
	return BODY_OK;
}

enum body_rc
body_parse(const char *buf, size_t len, enum body_kind kind,
    const struct conf *c, int64_t now_ms, struct body *b, struct rec_err *e)
{
	enum body_rc	 rc;

	memset(b, 0, sizeof(*b));
	if (len == 0)
		return refuse(e, BODY_BAD, "empty body");
	rc = kind == BODY_NDJSON ? fast_ndjson(buf, len, c, now_ms, b, e) :
	    fast_json(buf, len, c, now_ms, b, e);
	if (rc == SLOW) {
		body_free(b);
		return body_parse_slow(buf, len, kind, c, now_ms, b, e);
	}
	if (rc != BODY_OK)
		body_free(b);
	return rc;
}

enum body_rc
body_parse_slow(const char *buf, size_t len, enum body_kind kind,
    const struct conf *c, int64_t now_ms, struct body *b, struct rec_err *e)
{
	enum body_rc	 rc;

	memset(b, 0, sizeof(*b));
	if (len == 0)
		return refuse(e, BODY_BAD, "empty body");
	rc = kind == BODY_NDJSON ? parse_ndjson(buf, len, c, now_ms, b, e) :
	    parse_json(buf, len, c, now_ms, b, e);
	if (rc != BODY_OK)
		body_free(b);
	return rc;
}

void
body_free(struct body *b)
{
	size_t	 i;

	for (i = 0; i < b->nrecs; i++)
		rec_free(&b->recs[i]);
	free(b->recs);
	free(b->rejects);
	memset(b, 0, sizeof(*b));
}
