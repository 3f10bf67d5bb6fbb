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
#include "rec_int.h"
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

static const char *const fnames[F__MAX] = { "request_id", "source",
    "status", "execution_time", "user_id", "command", "tokens_used", "cost",
    "timestamp", "model", "provider", "input_tokens", "output_tokens",
    "time_to_first_token", "error", "metadata" };

int
rec_field_of(const char *key, size_t n)
{
	int	 i;

	/* One compare for nearly every key: names differ in length or at
	 * their first letter but for the pairs tried in turn below. */
	for (i = 0; i < F__MAX; i++)
		if (fnames[i][0] == key[0] && strlen(fnames[i]) == n &&
		    memcmp(fnames[i], key, n) == 0)
			return i;
	return -1;
}

/*
 * Take a string field of at most max characters into s->p[slot]; with cut
 * set, a longer string is cut instead of rejected: to max - 1 characters
 * and an ellipsis, max characters in all.
 */
static int
get_str(const struct rec_val *v, const char *name, int required, size_t max,
    int cut, struct strs *s, enum slot slot, struct rec_err *e)
{
	size_t		 len;
	long		 chars;
	char		 msg[64];

	if (v->kind == V_ABSENT)
		return required ? bad(e, name, "is required") : 0;
	if (v->kind != V_STRING)
		return bad(e, name, "must be a string");
	len = v->len;
	if ((chars = utf8_len(v->s, len)) < 0)
		return bad(e, name, "must be valid UTF-8");
	if (required && chars == 0)
		return bad(e, name, "must not be empty");
	if ((size_t)chars > max) {
		if (!cut) {
			snprintf(msg, sizeof(msg),
			    "must be at most %zu characters", max);
			return bad(e, name, msg);
		}
		len = utf8_prefix(v->s, len, max - 1);
		s->cut[slot] = 1;
	}
	s->p[slot] = v->s;
	s->len[slot] = len;
	return 0;
}

/* A number in [0, max]; *out untouched when absent. */
static int
get_num(const struct rec_val *v, const char *name, int required, double max,
    double *out, struct rec_err *e)
{
	char		 msg[64];

	if (v->kind == V_ABSENT)
		return required ? bad(e, name, "is required") : 0;
	if (v->kind != V_NUMBER || !isfinite(v->num) || v->num < 0 ||
	    v->num > max) {
		snprintf(msg, sizeof(msg), "must be a number from 0 to %.0f",
		    max);
		return bad(e, name, msg);
	}
	*out = v->num;
	return 0;
}

static int
get_int(const struct rec_val *v, const char *name, int64_t *out,
    struct rec_err *e)
{
	if (v->kind == V_ABSENT)
		return 0;
	if (v->kind != V_NUMBER || v->num != floor(v->num) || v->num < 0 ||
	    v->num > (double)REC_MAX_TOKENS)
		return bad(e, name, "must be an integer from 0 to 1e12");
	*out = (int64_t)v->num;
	return 0;
}

static int
get_source(const struct rec_val *v, struct strs *s, struct rec_err *e)
{
	size_t	 i;

	if (get_str(v, "source", 1, 32, 0, s, S_SOURCE, e))
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
get_status(const struct rec_val *v, struct rec *r, struct rec_err *e)
{
	size_t		 i;

	if (v->kind == V_ABSENT)
		return bad(e, "status", "is required");
	for (i = 0; v->kind == V_STRING && statuses[i] != NULL; i++)
		if (strlen(statuses[i]) == v->len &&
		    memcmp(v->s, statuses[i], v->len) == 0) {
			r->status = statuses[i];
			return 0;
		}
	return bad(e, "status",
	    "must be one of success, error, timeout, rate_limited");
}

static int
get_timestamp(const struct rec_val *v, int64_t now_ms, struct rec *r,
    struct rec_err *e)
{
	char		 t[REC_TS_TEXT_MAX];
	double		 ms;

	r->ts_ms = now_ms;
	if (v->kind == V_ABSENT)
		return 0;
	if (v->kind == V_STRING) {
		if (!v->nul) {		/* shorter than t: rec_parse_text() */
			memcpy(t, v->s, v->len < sizeof(t) ? v->len :
			    sizeof(t) - 1);
			t[v->len < sizeof(t) ? v->len : sizeof(t) - 1] = '\0';
		}
		if (ts_parse_rfc3339(v->nul ? v->s : t, &r->ts_ms))
			return bad(e, "timestamp",
			    "must be an RFC 3339 time or Unix seconds");
	} else if (v->kind == V_NUMBER && isfinite(v->num)) {
		ms = v->num * 1000;
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
get_metadata(const struct rec_val *v, struct strs *s, struct rec_err *e)
{
	const char	*text = v->s;
	size_t		 len = v->len;

	if (v->kind == V_ABSENT)
		return 0;
	if (v->kind != V_OBJECT)
		return bad(e, "metadata", "must be a JSON object");
	if (v->obj != NULL) {
		if ((s->meta = cJSON_PrintUnformatted(v->obj)) == NULL)
			return bad(e, "metadata", "out of memory");
		text = s->meta;
		len = strlen(s->meta);
	}
	if (len > REC_METADATA_MAX)
		return bad(e, "metadata", "must be at most 4096 bytes as JSON");
	if (utf8_len(text, len) < 0)
		return bad(e, "metadata", "must be valid UTF-8");
	s->p[S_METADATA] = text;
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
rec_check(const struct rec_val *f, const struct conf *c, int64_t now_ms,
    struct rec *r, struct rec_err *e)
{
	struct strs	 s;
	double		 latency = 0, ttft = -1, cost = -1;
	int		 rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	r->ttft_us = r->input_tokens = r->output_tokens = r->tokens = -1;
	r->received_ms = now_ms;
	if (get_str(&f[F_ID], "request_id", 1, 128, 0, &s, S_ID, e) ||
	    get_source(&f[F_SOURCE], &s, e) || get_status(&f[F_STATUS], r, e) ||
	    get_num(&f[F_EXEC], "execution_time", 1, REC_MAX_SECONDS, &latency,
	    e) ||
	    get_str(&f[F_USER], "user_id", 0, 128, 0, &s, S_USER, e) ||
	    get_str(&f[F_COMMAND], "command", 0,
	    (size_t)c->ingest.command_max_chars, 1, &s, S_COMMAND, e) ||
	    get_int(&f[F_TOKENS], "tokens_used", &r->tokens, e) ||
	    get_num(&f[F_COST], "cost", 0, MONEY_MAX_USD, &cost, e) ||
	    get_timestamp(&f[F_TIMESTAMP], now_ms, r, e) ||
	    get_str(&f[F_MODEL], "model", 0, 64, 0, &s, S_MODEL, e) ||
	    get_str(&f[F_PROVIDER], "provider", 0, 64, 0, &s, S_PROVIDER, e) ||
	    get_int(&f[F_INPUT], "input_tokens", &r->input_tokens, e) ||
	    get_int(&f[F_OUTPUT], "output_tokens", &r->output_tokens, e) ||
	    get_num(&f[F_TTFT], "time_to_first_token", 0, REC_MAX_SECONDS,
	    &ttft, e) ||
	    get_str(&f[F_ERROR], "error", 0, 500, 0, &s, S_ERROR, e) ||
	    get_metadata(&f[F_METADATA], &s, e) || pack(r, &s, e))
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

int
rec_parse(const void *item, const struct conf *c, int64_t now_ms,
    struct rec *r, struct rec_err *e)
{
	const cJSON	*obj = item, *m;
	struct rec_val	 f[F__MAX];
	int		 k;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(obj))
		return bad(e, "", "must be a JSON object");
	if (no_dup_keys(obj, e))
		return -1;
	/* One walk over the members: each key is unique by now. */
	memset(f, 0, sizeof(f));
	for (m = obj->child; m != NULL; m = m->next) {
		if (m->string == NULL ||
		    (k = rec_field_of(m->string, strlen(m->string))) < 0)
			continue;
		if (cJSON_IsString(m)) {
			f[k].kind = V_STRING;
			f[k].s = m->valuestring;
			f[k].len = strlen(m->valuestring);
			f[k].nul = 1;
		} else if (cJSON_IsNumber(m)) {
			f[k].kind = V_NUMBER;
			f[k].num = m->valuedouble;
		} else if (cJSON_IsObject(m)) {
			f[k].kind = V_OBJECT;
			f[k].obj = m;
		} else if (!cJSON_IsNull(m))
			f[k].kind = V_OTHER;
	}
	return rec_check(f, c, now_ms, r, e);
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
