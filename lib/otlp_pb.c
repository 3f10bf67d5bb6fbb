/* otlp_pb.c — OTLP/HTTP protobuf: decoded by protobuf-c (lib/otlp.proto). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "otlp.h"
#include "otlp.pb-c.h"
#include "utf8.h"

typedef Apimon__Otlp__AnyValue		AnyValue;
typedef Apimon__Otlp__KeyValue		KeyValue;
typedef Apimon__Otlp__Span		Span;

/*
 * protobuf-c allocates a struct for every message it unpacks: a body of
 * tiny attributes unpacks to some 30 times its size.  Its allocations
 * draw on a budget, so that what one request may take is bounded.
 */
struct budget {
	size_t	 left;
	int	 over;
};

/* Where the decoder is, for messages: indexes into the request. */
struct dec {
	ProtobufCAllocator	 pa;
	struct budget		 bu;
	long			 rs, ss, sp, at;	/* -1: not there */
	const char		*in;		/* "attributes" of what */
	char			*err;
	size_t			 errlen;
};

static void *
pb_alloc(void *data, size_t size)
{
	struct budget	*bu = data;

	if (size > bu->left) {
		bu->over = 1;
		return NULL;
	}
	bu->left -= size;
	return malloc(size);
}

static void
pb_free(void *data, void *p)
{
	(void)data;
	free(p);
}

static int bad(struct dec *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* The path of the fault in OTLP/JSON's names, then what is wrong. */
static int
bad(struct dec *d, const char *fmt, ...)
{
	char	 path[160] = "", msg[160];
	size_t	 n = 0;
	va_list	 ap;

	if (d->rs >= 0)
		n += (size_t)snprintf(path + n, sizeof(path) - n,
		    "resourceSpans[%ld]", d->rs);
	if (d->ss >= 0 && n < sizeof(path))
		n += (size_t)snprintf(path + n, sizeof(path) - n,
		    ".scopeSpans[%ld]", d->ss);
	if (d->sp >= 0 && n < sizeof(path))
		n += (size_t)snprintf(path + n, sizeof(path) - n,
		    ".spans[%ld]", d->sp);
	if (d->at >= 0 && n < sizeof(path))
		snprintf(path + n, sizeof(path) - n, "%s%s[%ld]",
		    n > 0 ? "." : "", d->in, d->at);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(d->err, d->errlen, "%s%s%s", path, path[0] ? ": " : "", msg);
	return -1;
}

/* Text: valid UTF-8 without NUL, as /api/log-request takes it. */
static int
text(struct dec *d, const ProtobufCBinaryData *b, const char *what)
{
	if (b->len > 0 && memchr(b->data, 0, b->len) != NULL)
		return bad(d, "%s holds a NUL character", what);
	if (utf8_len((const char *)b->data, b->len) < 0)
		return bad(d, "%s is not valid UTF-8", what);
	return 0;
}

static int check_kv(struct dec *, const KeyValue *, int, struct otlp_val *);

/* The text of bytes: protobuf-c leaves data NULL when it is empty. */
static const char *
str(const ProtobufCBinaryData *b)
{
	return b->len > 0 ? (const char *)b->data : "";
}

/*
 * A value, checked all the way down: its nested arrays and kvlists come
 * as bytes and are unpacked here, one level at a time.
 */
static int
check_any(struct dec *d, const AnyValue *v, int depth, struct otlp_val *out)
{
	Apimon__Otlp__ArrayValue	*a;
	Apimon__Otlp__KeyValueList	*l;
	const ProtobufCBinaryData	*b;
	size_t				 i;
	int				 rc = 0;

	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return 0;
	switch (v->value_case) {
	case APIMON__OTLP__ANY_VALUE__VALUE_STRING_VALUE:
		if (text(d, &v->string_value, "a string value"))
			return -1;
		out->type = OTLP_V_STRING;
		out->s = str(&v->string_value);
		out->len = v->string_value.len;
		return 0;
	case APIMON__OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
		out->type = OTLP_V_BOOL;
		out->i = v->bool_value;
		return 0;
	case APIMON__OTLP__ANY_VALUE__VALUE_INT_VALUE:
		out->type = OTLP_V_INT;
		out->i = v->int_value;
		return 0;
	case APIMON__OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
		out->type = OTLP_V_DOUBLE;
		out->d = v->double_value;
		return 0;
	case APIMON__OTLP__ANY_VALUE__VALUE_BYTES_VALUE:
		out->type = OTLP_V_OTHER;
		return 0;
	case APIMON__OTLP__ANY_VALUE__VALUE_ARRAY_VALUE:
	case APIMON__OTLP__ANY_VALUE__VALUE_KVLIST_VALUE:
		break;
	default:
		return 0;
	}
	out->type = OTLP_V_OTHER;
	if (depth >= OTLP_MAX_DEPTH)
		return bad(d, "values nested deeper than %d levels",
		    OTLP_MAX_DEPTH);
	if (v->value_case == APIMON__OTLP__ANY_VALUE__VALUE_ARRAY_VALUE) {
		b = &v->array_value;
		if ((a = apimon__otlp__array_value__unpack(&d->pa, b->len,
		    b->data)) == NULL)
			return d->bu.over ? -1 : bad(d, "an arrayValue is not "
			    "valid protobuf");
		for (i = 0; rc == 0 && i < a->n_values; i++)
			rc = check_any(d, a->values[i], depth + 1, out);
		apimon__otlp__array_value__free_unpacked(a, &d->pa);
	} else {
		b = &v->kvlist_value;
		if ((l = apimon__otlp__key_value_list__unpack(&d->pa, b->len,
		    b->data)) == NULL)
			return d->bu.over ? -1 : bad(d, "a kvlistValue is not "
			    "valid protobuf");
		for (i = 0; rc == 0 && i < l->n_values; i++)
			rc = check_kv(d, l->values[i], depth + 1, out);
		apimon__otlp__key_value_list__free_unpacked(l, &d->pa);
	}
	out->type = OTLP_V_OTHER;
	return rc;
}

static int
check_kv(struct dec *d, const KeyValue *kv, int depth, struct otlp_val *out)
{
	return text(d, &kv->key, "the key") ||
	    check_any(d, kv->value, depth, out);
}

/* Check every attribute of a list; hand each to fn (NULL: just check). */
static int
attributes(struct dec *d, KeyValue **kvs, size_t n, const char *in,
    otlp_attr_fn *fn, void *arg)
{
	struct otlp_val	 v;
	size_t		 i;

	d->in = in;
	for (i = 0; i < n; i++) {
		d->at = (long)i;
		if (check_kv(d, kvs[i], 0, &v))
			return -1;
		if (fn != NULL)
			fn(arg, str(&kvs[i]->key), kvs[i]->key.len, &v);
	}
	d->at = -1;
	return 0;
}

static int
span(struct dec *d, const Span *p, struct otlp_span *s)
{
	otlp_span_init(s);
	if (text(d, &p->name, "name") || text(d, &p->trace_state,
	    "traceState") || (p->status != NULL &&
	    text(d, &p->status->message, "status.message")) ||
	    attributes(d, p->attributes, p->n_attributes, "attributes",
	    otlp_span_attr, s))
		return -1;
	s->trace_id = p->trace_id.data;
	s->trace_id_len = p->trace_id.len;
	s->span_id = p->span_id.data;
	s->span_id_len = p->span_id.len;
	s->name = str(&p->name);
	s->name_len = p->name.len;
	s->start_ns = p->start_time_unix_nano;
	s->end_ns = p->end_time_unix_nano;
	if (p->status != NULL) {
		s->status_code = p->status->code;
		s->status_msg = str(&p->status->message);
		s->status_msg_len = p->status->message.len;
	}
	return 0;
}

/* Walk the request: check every part, map every span. */
static enum otlp_rc
walk(struct dec *d, const Apimon__Otlp__ExportTraceServiceRequest *req,
    const struct conf *c, int64_t now_ms, struct otlp_batch *b)
{
	const Apimon__Otlp__ResourceSpans	*rs;
	const Apimon__Otlp__ScopeSpans		*ss;
	const Apimon__Otlp__InstrumentationScope *sc;
	struct otlp_resource			 res;
	struct otlp_span			 s;
	size_t					 i, j, k;

	for (i = 0; i < req->n_resource_spans; i++) {
		rs = req->resource_spans[i];
		d->rs = (long)i;
		otlp_resource_init(&res);
		if (text(d, &rs->schema_url, "schemaUrl") ||
		    (rs->resource != NULL && attributes(d,
		    rs->resource->attributes, rs->resource->n_attributes,
		    "resource.attributes", otlp_resource_attr, &res)))
			return OTLP_BAD;
		for (j = 0; j < rs->n_scope_spans; j++) {
			ss = rs->scope_spans[j];
			d->ss = (long)j;
			if ((sc = ss->scope) != NULL && (text(d, &sc->name,
			    "scope.name") || text(d, &sc->version,
			    "scope.version") || attributes(d, sc->attributes,
			    sc->n_attributes, "scope.attributes", NULL, NULL)))
				return OTLP_BAD;
			if (text(d, &ss->schema_url, "schemaUrl"))
				return OTLP_BAD;
			for (k = 0; k < ss->n_spans; k++) {
				d->sp = (long)k;
				if (span(d, ss->spans[k], &s))
					return OTLP_BAD;
				if (otlp_take(b, &res, &s, c, now_ms))
					return OTLP_NOMEM;
			}
			d->sp = -1;
		}
		d->ss = -1;
	}
	return OTLP_OK;
}

enum otlp_rc
otlp_pb_decode(const char *buf, size_t len, const struct conf *c,
    int64_t now_ms, struct otlp_batch *b, char *err, size_t errlen)
{
	Apimon__Otlp__ExportTraceServiceRequest	*req;
	struct dec	 d = { .rs = -1, .ss = -1, .sp = -1, .at = -1,
	    .err = err, .errlen = errlen };
	enum otlp_rc	 rc;
	size_t		 n = 0, i, j;

	d.bu.left = OTLP_UNPACK_FACTOR * len + 64 * 1024;
	d.pa = (ProtobufCAllocator){ pb_alloc, pb_free, &d.bu };
	if ((req = apimon__otlp__export_trace_service_request__unpack(&d.pa,
	    len, (const uint8_t *)buf)) == NULL) {
		snprintf(err, errlen, d.bu.over ? "the body unpacks to more "
		    "than %d times its size" : "not a protobuf "
		    "ExportTraceServiceRequest (cut short, or a field of the "
		    "wrong wire type)", OTLP_UNPACK_FACTOR);
		return d.bu.over ? OTLP_TOO_BIG : OTLP_BAD;
	}
	for (i = 0; i < req->n_resource_spans; i++)
		for (j = 0; j < req->resource_spans[i]->n_scope_spans; j++)
			n += req->resource_spans[i]->scope_spans[j]->n_spans;
	b->nspans = n;
	if (n > (size_t)c->ingest.max_batch) {
		snprintf(err, errlen, "%zu spans are over ingest.max_batch "
		    "(%ld)", n, c->ingest.max_batch);
		rc = OTLP_TOO_BIG;
	} else if (otlp_batch_alloc(b, n) != 0) {
		snprintf(err, errlen, "out of memory");
		rc = OTLP_NOMEM;
	} else if ((rc = walk(&d, req, c, now_ms, b)) == OTLP_BAD &&
	    d.bu.over) {
		snprintf(err, errlen, "the body unpacks to more than %d times "
		    "its size", OTLP_UNPACK_FACTOR);
		rc = OTLP_TOO_BIG;
	} else if (rc == OTLP_NOMEM)
		snprintf(err, errlen, "out of memory");
	apimon__otlp__export_trace_service_request__free_unpacked(req, &d.pa);
	return rc;
}

/* msg packed as a message of protobuf-c; freed with cJSON_free(). */
static char *
pack(const ProtobufCMessage *m, size_t *len)
{
	char	*p;

	*len = protobuf_c_message_get_packed_size(m);
	/* Every answer is freed alike, with cJSON_free(). */
	if ((p = cJSON_malloc(*len + 1)) == NULL)
		return NULL;
	protobuf_c_message_pack(m, (uint8_t *)p);
	return p;
}

char *
otlp_pb_answer(long rejected, const char *msg, size_t *len)
{
	Apimon__Otlp__ExportTraceServiceResponse	 r;
	Apimon__Otlp__ExportTracePartialSuccess		 ps;

	apimon__otlp__export_trace_service_response__init(&r);
	apimon__otlp__export_trace_partial_success__init(&ps);
	if (rejected > 0 || msg[0] != '\0') {
		ps.rejected_spans = rejected;
		ps.error_message = (char *)(uintptr_t)msg;
		r.partial_success = &ps;
	}
	return pack(&r.base, len);
}

char *
otlp_pb_status(int code, const char *msg, size_t *len)
{
	Apimon__Otlp__RpcStatus	 st;

	apimon__otlp__rpc_status__init(&st);
	st.code = code;
	st.message = (char *)(uintptr_t)msg;
	return pack(&st.base, len);
}
