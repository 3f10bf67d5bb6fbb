/* rec.c — one API request record: parsed and validated at the edge. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "money.h"
#include "rec.h"
#include "ts.h"
#include "utf8.h"

/* The string fields, in the order they are packed into rec->buf. */
enum slot { S_ID, S_SOURCE, S_USER, S_COMMAND, S_MODEL, S_PROVIDER, S_ERROR,
	S_METADATA, S__MAX };

/* What a cut string ends with: U+2026, so that a reader sees the cut. */
#define ELLIPSIS	"\xe2\x80\xa6"

struct strs {
	const char	*p[S__MAX];
	size_t		 len[S__MAX];
	int		 cut[S__MAX];	/* ends with ELLIPSIS once packed */
	char		*meta;		/* printed metadata, freed after packing */
};

static const char *const statuses[] = { "success", "error", "timeout",
    "rate_limited", NULL };

/* field and msg may come from the request: cut on character boundaries. */
static int
bad(struct rec_err *e, const char *field, const char *msg)
{
	snprintf(e->field, sizeof(e->field), "%.*s",
	    (int)utf8_fit(field, strlen(field), sizeof(e->field) - 1), field);
	snprintf(e->msg, sizeof(e->msg), "%.*s",
	    (int)utf8_fit(msg, strlen(msg), sizeof(e->msg) - 1), msg);
	return -1;
}

/* First wins is a silent choice between two values: refuse both. */
static int
no_dup_keys(const cJSON *obj, struct rec_err *e)
{
	const char	*key, *under;
	char		 msg[sizeof(e->msg)];
	int		 rc;

	if ((rc = json_dup_key(obj, &key, &under)) == 0)
		return 0;
	if (rc < 0)
		return bad(e, "", "out of memory");
	snprintf(msg, sizeof(msg), "duplicate key \"%.*s\"",
	    (int)utf8_fit(key, strlen(key), 64), key);
	return bad(e, under, msg);
}

/* obj[name], with JSON null taken as absent. */
static const cJSON *
field(const cJSON *obj, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNull(v) ? NULL : v;
}

/*
 * Take a string field of at most max characters into s->p[slot]; with cut
 * set, a longer string is cut instead of rejected: to max - 1 characters
 * and an ellipsis, max characters in all.
 */
static int
get_str(const cJSON *obj, const char *name, int required, size_t max,
    int cut, struct strs *s, enum slot slot, struct rec_err *e)
{
	const cJSON	*v = field(obj, name);
	size_t		 len;
	long		 chars;
	char		 msg[64];

	if (v == NULL)
		return required ? bad(e, name, "is required") : 0;
	if (!cJSON_IsString(v))
		return bad(e, name, "must be a string");
	len = strlen(v->valuestring);
	if ((chars = utf8_len(v->valuestring, len)) < 0)
		return bad(e, name, "must be valid UTF-8");
	if (required && chars == 0)
		return bad(e, name, "must not be empty");
	if ((size_t)chars > max) {
		if (!cut) {
			snprintf(msg, sizeof(msg),
			    "must be at most %zu characters", max);
			return bad(e, name, msg);
		}
		len = utf8_prefix(v->valuestring, len, max - 1);
		s->cut[slot] = 1;
	}
	s->p[slot] = v->valuestring;
	s->len[slot] = len;
	return 0;
}

/* A number in [0, max]; *out untouched when absent. */
static int
get_num(const cJSON *obj, const char *name, int required, double max,
    double *out, struct rec_err *e)
{
	const cJSON	*v = field(obj, name);
	char		 msg[64];

	if (v == NULL)
		return required ? bad(e, name, "is required") : 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > max) {
		snprintf(msg, sizeof(msg), "must be a number from 0 to %.0f",
		    max);
		return bad(e, name, msg);
	}
	*out = v->valuedouble;
	return 0;
}

static int
get_int(const cJSON *obj, const char *name, int64_t *out, struct rec_err *e)
{
	const cJSON	*v = field(obj, name);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > (double)REC_MAX_TOKENS)
		return bad(e, name, "must be an integer from 0 to 1e12");
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int
get_source(const cJSON *obj, struct strs *s, struct rec_err *e)
{
	size_t	 i;

	if (get_str(obj, "source", 1, 32, 0, s, S_SOURCE, e))
		return -1;
	for (i = 0; i < s->len[S_SOURCE]; i++) {
		char ch = s->p[S_SOURCE][i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return bad(e, "source",
			    "must contain only a-z, A-Z, 0-9, _ and -");
	}
	return 0;
}

static int
get_status(const cJSON *obj, struct rec *r, struct rec_err *e)
{
	const cJSON	*v = field(obj, "status");
	size_t		 i;

	if (v == NULL)
		return bad(e, "status", "is required");
	for (i = 0; cJSON_IsString(v) && statuses[i] != NULL; i++)
		if (strcmp(v->valuestring, statuses[i]) == 0) {
			r->status = statuses[i];
			return 0;
		}
	return bad(e, "status",
	    "must be one of success, error, timeout, rate_limited");
}

static int
get_timestamp(const cJSON *obj, int64_t now_ms, struct rec *r,
    struct rec_err *e)
{
	const cJSON	*v = field(obj, "timestamp");
	double		 ms;

	r->ts_ms = now_ms;
	if (v == NULL)
		return 0;
	if (cJSON_IsString(v)) {
		if (ts_parse_rfc3339(v->valuestring, &r->ts_ms))
			return bad(e, "timestamp",
			    "must be an RFC 3339 time or Unix seconds");
	} else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		ms = v->valuedouble * 1000;
		if (ms < (double)REC_MIN_TS_MS || ms > 1e15)
			return bad(e, "timestamp",
			    "must be after 2000-01-01T00:00:00Z");
		r->ts_ms = (int64_t)floor(ms);
	} else
		return bad(e, "timestamp",
		    "must be an RFC 3339 time or Unix seconds");
	if (r->ts_ms < REC_MIN_TS_MS)
		return bad(e, "timestamp", "must be after 2000-01-01T00:00:00Z");
	if (r->ts_ms > now_ms + REC_FUTURE_SKEW_MS)
		return bad(e, "timestamp",
		    "is more than 5 minutes in the future");
	return 0;
}

static int
get_metadata(const cJSON *obj, struct strs *s, struct rec_err *e)
{
	const cJSON	*v = field(obj, "metadata");
	size_t		 len;

	if (v == NULL)
		return 0;
	if (!cJSON_IsObject(v))
		return bad(e, "metadata", "must be a JSON object");
	if ((s->meta = cJSON_PrintUnformatted(v)) == NULL)
		return bad(e, "metadata", "out of memory");
	len = strlen(s->meta);
	if (len > REC_METADATA_MAX)
		return bad(e, "metadata", "must be at most 4096 bytes as JSON");
	if (utf8_len(s->meta, len) < 0)
		return bad(e, "metadata", "must be valid UTF-8");
	s->p[S_METADATA] = s->meta;
	s->len[S_METADATA] = len;
	return 0;
}

/* Copy every present string into one buffer owned by r. */
static int
pack(struct rec *r, const struct strs *s, struct rec_err *e)
{
	const char	**dst[S__MAX] = { &r->request_id, &r->source,
	    &r->user_id, &r->command, &r->model, &r->provider, &r->error,
	    &r->metadata };
	size_t		 total = 0, off = 0, k, len;
	int		 i;

	for (i = 0; i < S__MAX; i++)
		if (s->p[i] != NULL)
			total += s->len[i] + (s->cut[i] ? strlen(ELLIPSIS) : 0) + 1;
	if ((r->buf = malloc(total)) == NULL)
		return bad(e, "", "out of memory");
	for (i = 0; i < S__MAX; i++) {
		if (s->p[i] == NULL)
			continue;
		memcpy(r->buf + off, s->p[i], s->len[i]);
		len = s->len[i];
		if (s->cut[i]) {
			memcpy(r->buf + off + len, ELLIPSIS, strlen(ELLIPSIS));
			len += strlen(ELLIPSIS);
		}
		r->buf[off + len] = '\0';
		*dst[i] = r->buf + off;
		/* "Telegram" and "telegram" are one source. */
		for (k = 0; i == S_SOURCE && k < len; k++)
			r->buf[off + k] = (char)tolower(
			    (unsigned char)r->buf[off + k]);
		off += len + 1;
	}
	return 0;
}

static void
price(struct rec *r, const struct conf *c, double cost)
{
	const struct conf_price	*p;

	if (cost >= 0) {
		money_from_usd(cost, &r->cost_nusd);
		r->cost_source = REC_COST_REPORTED;
	} else if ((p = conf_price(c, r->model)) != NULL &&
	    (r->input_tokens >= 0 || r->output_tokens >= 0)) {
		r->cost_nusd = money_price(r->input_tokens > 0 ?
		    r->input_tokens : 0, p->in_nusd_per_mtok,
		    r->output_tokens > 0 ? r->output_tokens : 0,
		    p->out_nusd_per_mtok);
		r->cost_source = REC_COST_PRICED;
	}
}

int
rec_parse(const void *item, const struct conf *c, int64_t now_ms,
    struct rec *r, struct rec_err *e)
{
	const cJSON	*obj = item;
	struct strs	 s;
	double		 latency = 0, ttft = -1, cost = -1;
	int		 rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	r->ttft_us = r->input_tokens = r->output_tokens = r->tokens = -1;
	r->received_ms = now_ms;
	if (!cJSON_IsObject(obj)) {
		bad(e, "", "must be a JSON object");
		goto out;
	}
	if (no_dup_keys(obj, e) ||
	    get_str(obj, "request_id", 1, 128, 0, &s, S_ID, e) ||
	    get_source(obj, &s, e) || get_status(obj, r, e) ||
	    get_num(obj, "execution_time", 1, REC_MAX_SECONDS, &latency, e) ||
	    get_str(obj, "user_id", 0, 128, 0, &s, S_USER, e) ||
	    get_str(obj, "command", 0, (size_t)c->ingest.command_max_chars, 1,
	    &s, S_COMMAND, e) ||
	    get_int(obj, "tokens_used", &r->tokens, e) ||
	    get_num(obj, "cost", 0, MONEY_MAX_USD, &cost, e) ||
	    get_timestamp(obj, now_ms, r, e) ||
	    get_str(obj, "model", 0, 64, 0, &s, S_MODEL, e) ||
	    get_str(obj, "provider", 0, 64, 0, &s, S_PROVIDER, e) ||
	    get_int(obj, "input_tokens", &r->input_tokens, e) ||
	    get_int(obj, "output_tokens", &r->output_tokens, e) ||
	    get_num(obj, "time_to_first_token", 0, REC_MAX_SECONDS, &ttft, e) ||
	    get_str(obj, "error", 0, 500, 0, &s, S_ERROR, e) ||
	    get_metadata(obj, &s, e) || pack(r, &s, e))
		goto out;
	r->latency_us = llround(latency * 1e6);
	if (ttft >= 0)
		r->ttft_us = llround(ttft * 1e6);
	if (r->tokens < 0)
		r->tokens = (r->input_tokens > 0 ? r->input_tokens : 0) +
		    (r->output_tokens > 0 ? r->output_tokens : 0);
	price(r, c, cost);
	rc = 0;
out:
	cJSON_free(s.meta);
	if (rc != 0) {
		free(r->buf);
		memset(r, 0, sizeof(*r));
	}
	return rc;
}

void
rec_free(struct rec *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

const char *
rec_cost_source_name(enum rec_cost_source s)
{
	switch (s) {
	case REC_COST_REPORTED:
		return "reported";
	case REC_COST_PRICED:
		return "priced";
	default:
		return "none";
	}
}
