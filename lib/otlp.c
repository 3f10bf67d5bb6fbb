/* otlp.c — OpenTelemetry spans with GenAI attributes into records. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "otlp.h"
#include "ts.h"
#include "utf8.h"

#define ELLIPSIS		"\xe2\x80\xa6"	/* U+2026: a cut text */
#define ERROR_MAX_CHARS		500	/* the record's "error" (rec.c) */
#define NO_SERVICE		"unknown_service"	/* OTel's own default */

/* The keys of enum otlp_attr; docs/api.md has them as a table. */
static const char *const attr_keys[A__MAX] = {
	[A_RESPONSE_MODEL] = "gen_ai.response.model",
	[A_REQUEST_MODEL] = "gen_ai.request.model",
	[A_LLM_MODEL_NAME] = "llm.model_name",
	[A_PROVIDER_NAME] = "gen_ai.provider.name",
	[A_SYSTEM] = "gen_ai.system",
	[A_LLM_PROVIDER] = "llm.provider",
	[A_INPUT_TOKENS] = "gen_ai.usage.input_tokens",
	[A_PROMPT_TOKENS] = "gen_ai.usage.prompt_tokens",
	[A_LLM_PROMPT] = "llm.token_count.prompt",
	[A_OUTPUT_TOKENS] = "gen_ai.usage.output_tokens",
	[A_COMPLETION_TOKENS] = "gen_ai.usage.completion_tokens",
	[A_LLM_COMPLETION] = "llm.token_count.completion",
	[A_ERROR_TYPE] = "error.type",
	[A_USER_ID] = "user.id",
	[A_ENDUSER_ID] = "enduser.id",
	[A_OPERATION] = "gen_ai.operation.name",
	[A_OI_SPAN_KIND] = "openinference.span.kind",
	[A_TOOL_NAME] = "gen_ai.tool.name",
	[A_AGENT_NAME] = "gen_ai.agent.name",
	[A_OI_TOOL_NAME] = "tool.name",
	[A_TTFT] = "gen_ai.response.time_to_first_token",
	[A_SERVER_TTFT] = "gen_ai.server.time_to_first_token",
};

/* Which attribute (or span field) gave each record field: for messages. */
struct origin {
	const char	*field;
	const char	*from;
};

/* A span on its way to a record. */
struct map {
	struct otlp_batch	*b;
	const struct otlp_span	*s;
	cJSON			*obj;
	struct origin		 origin[16];
	size_t			 norigin;
	int			 rejected;
};

void
otlp_span_init(struct otlp_span *s)
{
	memset(s, 0, sizeof(*s));
}

void
otlp_resource_init(struct otlp_resource *r)
{
	memset(r, 0, sizeof(*r));
}

static int
key_is(const char *key, size_t keylen, const char *name)
{
	return strlen(name) == keylen && memcmp(key, name, keylen) == 0;
}

void
otlp_span_attr(void *obj, const char *key, size_t keylen,
    const struct otlp_val *v)
{
	struct otlp_span	*s = obj;
	int			 i;

	if ((keylen > 7 && memcmp(key, "gen_ai.", 7) == 0) ||
	    (keylen > 4 && memcmp(key, "llm.", 4) == 0))
		s->genai = 1;
	for (i = 0; i < A__MAX; i++)
		if (key_is(key, keylen, attr_keys[i]))
			break;
	if (i == A__MAX)
		return;
	/* The same key twice with two values: which one is meant? */
	if (s->attr[i].type != OTLP_V_NONE && !s->twice) {
		s->twice = 1;
		s->twice_attr = (enum otlp_attr)i;
	}
	s->attr[i] = *v;
}

void
otlp_resource_attr(void *obj, const char *key, size_t keylen,
    const struct otlp_val *v)
{
	struct otlp_resource	*r = obj;

	if (key_is(key, keylen, "service.name"))
		r->service = *v;
}

int
otlp_batch_alloc(struct otlp_batch *b, size_t n)
{
	b->recs = calloc(n > 0 ? n : 1, sizeof(*b->recs));
	return b->recs != NULL ? 0 : -1;
}

/* "span 1a2b3c4d5e6f7a8b" in hex, or its place when the id is not one. */
static void
span_name(const struct otlp_span *s, size_t index, char *buf, size_t size)
{
	size_t	 i;

	if (s->span_id_len != 8) {
		snprintf(buf, size, "span %zu", index);
		return;
	}
	snprintf(buf, size, "span ");
	for (i = 0; i < 8; i++)
		snprintf(buf + 5 + 2 * i, size - 5 - 2 * i, "%02x",
		    s->span_id[i]);
}

/* Add "span X: what: msg" to the answer's message while there is room. */
static int
reject(struct map *m, const char *what, const char *msg)
{
	struct otlp_batch	*b = m->b;
	char			 name[32], item[320];
	size_t			 len = strlen(b->msg), n;

	m->rejected = 1;
	b->rejected++;
	span_name(m->s, b->nrecs + b->skipped + b->rejected - 1, name,
	    sizeof(name));
	n = (size_t)utf8_snprintf(item, sizeof(item), "%s%s: %s: %s",
	    len > 0 ? "; " : "", name, what, msg);
	if (n >= sizeof(item))
		n = strlen(item);
	if (len + n < sizeof(b->msg) - 8)
		memcpy(b->msg + len, item, n + 1);
	else if (strstr(b->msg, "; ...") == NULL && len + 5 < sizeof(b->msg))
		memcpy(b->msg + len, "; ...", 6);
	return -1;
}

static void
from(struct map *m, const char *field, const char *src)
{
	if (m->norigin < sizeof(m->origin) / sizeof(m->origin[0]))
		m->origin[m->norigin++] = (struct origin){ field, src };
}

/* The first of the attributes alts[] that the span has, or NULL. */
static const struct otlp_val *
first(const struct map *m, const enum otlp_attr *alts, size_t n,
    enum otlp_attr *which)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (m->s->attr[alts[i]].type != OTLP_V_NONE) {
			*which = alts[i];
			return &m->s->attr[alts[i]];
		}
	return NULL;
}

/* Add a string to the record; len bytes of s, which hold no NUL. */
static int
add_text(struct map *m, const char *field, const char *s, size_t len,
    const char *src)
{
	char	*t;
	cJSON	*v;

	if ((t = strndup(s, len)) == NULL)
		return reject(m, src, "out of memory");
	v = cJSON_AddStringToObject(m->obj, field, t);
	free(t);
	if (v == NULL)
		return reject(m, src, "out of memory");
	from(m, field, src);
	return 0;
}

static int
add_number(struct map *m, const char *field, double d, const char *src)
{
	if (cJSON_AddNumberToObject(m->obj, field, d) == NULL)
		return reject(m, src, "out of memory");
	from(m, field, src);
	return 0;
}

/* field from the first string attribute of alts that is there. */
static int
map_string(struct map *m, const char *field, const enum otlp_attr *alts,
    size_t n)
{
	const struct otlp_val	*v;
	enum otlp_attr		 a;

	if ((v = first(m, alts, n, &a)) == NULL)
		return 0;
	if (v->type != OTLP_V_STRING)
		return reject(m, attr_keys[a], "must be a string");
	return add_text(m, field, v->s, v->len, attr_keys[a]);
}

/* Token counts are integers: a double is a mistake the sender should see. */
static int
map_tokens(struct map *m, const char *field, const enum otlp_attr *alts,
    size_t n)
{
	const struct otlp_val	*v;
	enum otlp_attr		 a;

	if ((v = first(m, alts, n, &a)) == NULL)
		return 0;
	if (v->type != OTLP_V_INT)
		return reject(m, attr_keys[a], "must be an integer (intValue)");
	return add_number(m, field, (double)v->i, attr_keys[a]);
}

static int
map_ttft(struct map *m)
{
	static const enum otlp_attr alts[] = { A_TTFT, A_SERVER_TTFT };
	const struct otlp_val	*v;
	enum otlp_attr		 a;

	if ((v = first(m, alts, 2, &a)) == NULL)
		return 0;
	if (v->type == OTLP_V_INT)
		return add_number(m, "time_to_first_token", (double)v->i,
		    attr_keys[a]);
	if (v->type == OTLP_V_DOUBLE)
		return add_number(m, "time_to_first_token", v->d, attr_keys[a]);
	return reject(m, attr_keys[a], "must be a number of seconds");
}

/*
 * The source: the config's name for the service, else service.name with
 * every character a source cannot hold as "-" ("unknown_service:node"
 * becomes "unknown_service-node").
 */
static int
map_source(struct map *m, const struct otlp_resource *r, const struct conf *c)
{
	const struct otlp_val	*v = &r->service;
	const char		*mapped;
	char			*name, src[4 * REC_SOURCE_MAX_CHARS + 1];
	size_t			 i, n = 0;
	int			 rc;

	if (v->type == OTLP_V_NONE)
		return add_text(m, "source", NO_SERVICE, strlen(NO_SERVICE),
		    "service.name");
	if (v->type != OTLP_V_STRING)
		return reject(m, "service.name", "must be a string");
	if ((name = strndup(v->s, v->len)) == NULL)
		return reject(m, "service.name", "out of memory");
	if ((mapped = conf_otlp_source(c, name)) != NULL) {
		free(name);
		return add_text(m, "source", mapped, strlen(mapped),
		    "service.name");
	}
	for (i = 0; i < v->len && n < sizeof(src) - 1; i++) {
		unsigned char ch = (unsigned char)v->s[i];
		if (isalnum(ch) || ch == '_' || ch == '-')
			src[n++] = (char)ch;
		else if ((ch & 0xc0) != 0x80)	/* one a character */
			src[n++] = '-';
	}
	src[n] = '\0';
	if (v->len == 0 || i < v->len || n > REC_SOURCE_MAX_CHARS) {
		char msg[160];
		utf8_snprintf(msg, sizeof(msg), "\"%s\" is %s; name a source "
		    "for it in the config's otlp.sources", name, v->len == 0 ?
		    "empty" : "longer than 32 characters");
		free(name);
		return reject(m, "service.name", msg);
	}
	free(name);
	rc = add_text(m, "source", src, n, "service.name");
	return rc;
}

/* "chat", "execute_tool get_weather", else the span's name. */
static int
map_command(struct map *m)
{
	static const enum otlp_attr ops[] = { A_OPERATION, A_OI_SPAN_KIND };
	static const enum otlp_attr names[] = { A_TOOL_NAME, A_AGENT_NAME,
	    A_OI_TOOL_NAME };
	const struct otlp_val	*op, *name;
	enum otlp_attr		 a = A_OPERATION, b = A_TOOL_NAME;
	char			*cmd;
	size_t			 i, oplen = 0;
	int			 rc;

	op = first(m, ops, 2, &a);
	name = first(m, names, 3, &b);
	if (op != NULL && op->type != OTLP_V_STRING)
		return reject(m, attr_keys[a], "must be a string");
	if (name != NULL && name->type != OTLP_V_STRING)
		return reject(m, attr_keys[b], "must be a string");
	if (op == NULL && name == NULL)
		return m->s->name_len == 0 ? 0 : add_text(m, "command",
		    m->s->name, m->s->name_len, "name");
	if (op != NULL)
		oplen = op->len;
	if ((cmd = malloc(oplen + 1 + (name ? name->len : 0) + 1)) == NULL)
		return reject(m, "command", "out of memory");
	/* OpenInference's kinds are upper case: LLM, TOOL, AGENT. */
	for (i = 0; i < oplen; i++)
		cmd[i] = a == A_OI_SPAN_KIND ?
		    (char)tolower((unsigned char)op->s[i]) : op->s[i];
	if (name != NULL) {
		if (oplen > 0)
			cmd[oplen++] = ' ';
		memcpy(cmd + oplen, name->s, name->len);
		oplen += name->len;
	}
	rc = add_text(m, "command", cmd, oplen, op != NULL ? attr_keys[a] :
	    attr_keys[b]);
	free(cmd);
	return rc;
}

/*
 * error.type and the status message, "type: message" when both; an error
 * longer than a record holds is cut, as a long command is, because an
 * exception's text is no reason to lose the call.
 */
static int
map_status(struct map *m)
{
	const struct otlp_span	*s = m->s;
	const struct otlp_val	*type = &s->attr[A_ERROR_TYPE];
	char			*err;
	size_t			 n = 0, max;
	int			 rc, failed;

	if (type->type != OTLP_V_NONE && type->type != OTLP_V_STRING)
		return reject(m, attr_keys[A_ERROR_TYPE], "must be a string");
	failed = s->status_code == 2 || type->type == OTLP_V_STRING;
	if (cJSON_AddStringToObject(m->obj, "status", failed ? "error" :
	    "success") == NULL)
		return reject(m, "status", "out of memory");
	if (!failed)
		return 0;
	if ((err = malloc(type->len + 2 + s->status_msg_len + 16)) == NULL)
		return reject(m, "status", "out of memory");
	if (type->type == OTLP_V_STRING) {
		memcpy(err, type->s, type->len);
		n = type->len;
	}
	if (s->status_msg_len > 0) {
		if (n > 0)
			err[n++] = ':', err[n++] = ' ';
		memcpy(err + n, s->status_msg, s->status_msg_len);
		n += s->status_msg_len;
	}
	if (n == 0) {
		memcpy(err, "error", 5);
		n = 5;
	}
	if (utf8_len(err, n) > ERROR_MAX_CHARS) {
		max = utf8_prefix(err, n, ERROR_MAX_CHARS - 1);
		memcpy(err + max, ELLIPSIS, strlen(ELLIPSIS));
		n = max + strlen(ELLIPSIS);
	}
	rc = add_text(m, "error", err, n, type->type == OTLP_V_STRING ?
	    attr_keys[A_ERROR_TYPE] : "status.message");
	free(err);
	return rc;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	while (n > 0 && p[n - 1] == 0)
		n--;
	return n == 0;
}

/* request_id: trace id and span id in hex; the time of the call. */
static int
map_span(struct map *m)
{
	const struct otlp_span	*s = m->s;
	char			 id[2 * 24 + 1], t[TS_RFC3339_LEN];
	size_t			 i;

	if (s->trace_id_len != 16 || all_zero(s->trace_id, 16))
		return reject(m, "traceId", "must be 16 bytes, not all zero");
	if (s->span_id_len != 8 || all_zero(s->span_id, 8))
		return reject(m, "spanId", "must be 8 bytes, not all zero");
	for (i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", s->trace_id[i]);
	for (i = 0; i < 8; i++)
		snprintf(id + 32 + 2 * i, 3, "%02x", s->span_id[i]);
	if (add_text(m, "request_id", id, 48, "traceId"))
		return -1;
	if (s->end_ns < s->start_ns)
		return reject(m, "endTimeUnixNano",
		    "is before startTimeUnixNano");
	ts_format_rfc3339((int64_t)(s->start_ns / 1000000), t);
	return add_text(m, "timestamp", t, strlen(t), "startTimeUnixNano") ||
	    add_number(m, "execution_time", (double)(s->end_ns - s->start_ns) /
	    1e9, "endTimeUnixNano");
}

int
otlp_take(struct otlp_batch *b, const struct otlp_resource *r,
    const struct otlp_span *s, const struct conf *c, int64_t now_ms)
{
	static const enum otlp_attr models[] = { A_RESPONSE_MODEL,
	    A_REQUEST_MODEL, A_LLM_MODEL_NAME };
	static const enum otlp_attr providers[] = { A_PROVIDER_NAME, A_SYSTEM,
	    A_LLM_PROVIDER };
	static const enum otlp_attr input[] = { A_INPUT_TOKENS,
	    A_PROMPT_TOKENS, A_LLM_PROMPT };
	static const enum otlp_attr output[] = { A_OUTPUT_TOKENS,
	    A_COMPLETION_TOKENS, A_LLM_COMPLETION };
	static const enum otlp_attr users[] = { A_USER_ID, A_ENDUSER_ID };
	struct map	 m = { .b = b, .s = s };
	struct rec_err	 e;
	size_t		 i;
	const char	*what;

	if (!s->genai) {
		b->skipped++;
		return 0;
	}
	if ((m.obj = cJSON_CreateObject()) == NULL)
		return -1;
	if (s->twice)
		reject(&m, attr_keys[s->twice_attr], "given twice");
	else if (map_span(&m) == 0 && map_source(&m, r, c) == 0 &&
	    map_status(&m) == 0 && map_command(&m) == 0 &&
	    map_string(&m, "model", models, 3) == 0 &&
	    map_string(&m, "provider", providers, 3) == 0 &&
	    map_string(&m, "user_id", users, 2) == 0 &&
	    map_tokens(&m, "input_tokens", input, 3) == 0 &&
	    map_tokens(&m, "output_tokens", output, 3) == 0 &&
	    map_ttft(&m) == 0) {
		/* The very checks of /api/log-request: one record contract. */
		if (rec_parse(m.obj, c, now_ms, &b->recs[b->nrecs], &e) == 0)
			b->nrecs++;
		else {
			what = e.field;
			for (i = 0; i < m.norigin; i++)
				if (strcmp(m.origin[i].field, e.field) == 0)
					what = m.origin[i].from;
			reject(&m, what, e.msg);
		}
	}
	cJSON_Delete(m.obj);
	return 0;
}

void
otlp_batch_free(struct otlp_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->nrecs; i++)
		rec_free(&b->recs[i]);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

enum otlp_rc
otlp_decode(const char *buf, size_t len, enum otlp_enc enc,
    const struct conf *c, int64_t now_ms, struct otlp_batch *b, char *err,
    size_t errlen)
{
	enum otlp_rc	 rc;

	memset(b, 0, sizeof(*b));
	rc = enc == OTLP_PROTOBUF ?
	    otlp_pb_decode(buf, len, c, now_ms, b, err, errlen) :
	    otlp_json_decode(buf, len, c, now_ms, b, err, errlen);
	if (rc != OTLP_OK)
		otlp_batch_free(b);
	return rc;
}

char *
otlp_answer(enum otlp_enc enc, long rejected, const char *msg, size_t *len)
{
	return enc == OTLP_PROTOBUF ? otlp_pb_answer(rejected, msg, len) :
	    otlp_json_answer(rejected, msg, len);
}

char *
otlp_status(enum otlp_enc enc, int code, const char *msg, size_t *len)
{
	return enc == OTLP_PROTOBUF ? otlp_pb_status(code, msg, len) :
	    otlp_json_status(code, msg, len);
}
