/* otlp_json.c — OTLP/HTTP JSON: proto3's JSON mapping with OTLP's changes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "otlp.h"

/*
 * Strict about the fields apimon knows, silent about the others (OTLP
 * says a receiver ignores fields it does not know).  null is an absent
 * field (proto3).  Integers come as numbers or decimal strings, enums as
 * numbers only; ids are hex strings of any letter case.
 */

/* Where the walk is, for messages: a path of OTLP/JSON names. */
struct dec {
	char	 path[192];
	char	*err;
	size_t	 errlen;
};

static int bad(struct dec *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct dec *d, const char *fmt, ...)
{
	char	 msg[160];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(d->err, d->errlen, "%s%s%s", d->path, d->path[0] ? ": " :
	    "", msg);
	return -1;
}

/* Append ".name" (unless NULL), then "[i]" (unless -1); the old length. */
static size_t
push(struct dec *d, const char *name, long i)
{
	size_t	 n = strlen(d->path), k = n;

	if (name != NULL)
		k += (size_t)snprintf(d->path + k, sizeof(d->path) - k, "%s%s",
		    n > 0 ? "." : "", name);
	if (i >= 0 && k < sizeof(d->path))
		snprintf(d->path + k, sizeof(d->path) - k, "[%ld]", i);
	return n;
}

static void
pop(struct dec *d, size_t n)
{
	d->path[n] = '\0';
}

/* o[name], null taken as absent. */
static const cJSON *
get(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNull(v) ? NULL : v;
}

/* o[name] must be of the kind test says, when present. */
static int
want(struct dec *d, const cJSON *o, const char *name,
    cJSON_bool (*test)(const cJSON *), const char *kind, const cJSON **out)
{
	const cJSON	*v = get(o, name);
	size_t		 n;

	*out = v;
	if (v == NULL || test(v))
		return 0;
	n = push(d, name, -1);
	bad(d, "must be %s", kind);
	pop(d, n);
	return -1;
}

/* An unsigned decimal string of at most max. */
static int
digits(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* An integer in [lo, hi]: a number, or a decimal string when strings ok. */
static int
integer(const cJSON *v, double lo, double hi, int strings, int64_t *out)
{
	uint64_t	 u;
	const char	*s;

	if (cJSON_IsNumber(v)) {
		/* 2^63 is hi for an int64 once it is a double: not below. */
		if (!isfinite(v->valuedouble) || v->valuedouble !=
		    floor(v->valuedouble) || v->valuedouble < lo ||
		    v->valuedouble > hi ||
		    v->valuedouble >= 9223372036854775808.0)
			return -1;
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!strings || !cJSON_IsString(v))
		return -1;
	s = v->valuestring;
	if (*s == '-') {
		if (lo >= 0 || digits(s + 1, (uint64_t)INT64_MAX + 1, &u))
			return -1;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (digits(s, hi >= 9.2e18 ? INT64_MAX : (uint64_t)hi, &u))
			return -1;
		*out = (int64_t)u;
	}
	return (double)*out < lo ? -1 : 0;
}

/* A fixed64 time: a decimal string of nanoseconds, or a number. */
static int
nanos(struct dec *d, const cJSON *o, const char *name, uint64_t *out)
{
	const cJSON	*v = get(o, name);
	size_t		 n;

	*out = 0;
	if (v == NULL)
		return 0;
	if (cJSON_IsString(v) && digits(v->valuestring, UINT64_MAX, out) == 0)
		return 0;
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
	    v->valuedouble >= 0 && v->valuedouble < 18446744073709551616.0 &&
	    v->valuedouble == floor(v->valuedouble)) {
		*out = (uint64_t)v->valuedouble;
		return 0;
	}
	n = push(d, name, -1);
	bad(d, "must be nanoseconds since 1970: a decimal string or an "
	    "integer");
	pop(d, n);
	return -1;
}

/* A uint32, int32 or enum field, checked and dropped (or kept in *out). */
static int
int_field(struct dec *d, const cJSON *o, const char *name, double lo,
    double hi, int strings, int64_t *out)
{
	const cJSON	*v = get(o, name);
	int64_t		 x;
	size_t		 n;

	if (v == NULL)
		return 0;
	if (integer(v, lo, hi, strings, &x) == 0) {
		if (out != NULL)
			*out = x;
		return 0;
	}
	n = push(d, name, -1);
	bad(d, "must be an integer from %.0f to %.0f%s", lo, hi, strings ? "" :
	    " (a number: an enum)");
	pop(d, n);
	return -1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * A bytes id in hex into out (room for max bytes); *len is its length in
 * bytes, even when it is too long to keep (the mapping refuses it then).
 */
static int
hex_id(struct dec *d, const cJSON *o, const char *name, unsigned char *out,
    size_t max, size_t *len)
{
	const cJSON	*v;
	const char	*s;
	size_t		 i, n, k;
	int		 hi, lo;

	*len = 0;
	if (want(d, o, name, cJSON_IsString, "a hex string", &v) || v == NULL)
		return v == NULL ? 0 : -1;
	s = v->valuestring;
	n = strlen(s);
	for (i = 0; i < n; i += 2) {
		hi = hexval(s[i]);
		lo = i + 1 < n ? hexval(s[i + 1]) : -1;
		if (hi < 0 || lo < 0) {
			k = push(d, name, -1);
			bad(d, "must be an even number of hex digits");
			pop(d, k);
			return -1;
		}
		if (i / 2 < max)
			out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int check_kv(struct dec *, const cJSON *, int, struct otlp_val *);

/* Base64, standard or URL-safe alphabet, padded or not. */
static int
base64(const char *s)
{
	size_t	 n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/-_");

	return (s[n] == '\0' || strcmp(s + n, "=") == 0 ||
	    strcmp(s + n, "==") == 0) && n % 4 != 1;
}

/* An array of what fn checks, when present. */
static int
list(struct dec *d, const cJSON *o, const char *name, int depth,
    struct otlp_val *out)
{
	const cJSON	*a, *it;
	size_t		 n;
	long		 i = 0;
	int		 rc = 0;

	if (want(d, o, name, cJSON_IsArray, "an array", &a) || a == NULL)
		return a == NULL ? 0 : -1;
	n = push(d, name, -1);
	cJSON_ArrayForEach(it, a) {
		size_t k = push(d, NULL, i++);
		rc = check_kv(d, it, depth, out);
		pop(d, k);
		if (rc)
			break;
	}
	pop(d, n);
	return rc;
}

/* An AnyValue: one of its kinds set, or none. */
static int
check_any(struct dec *d, const cJSON *v, int depth, struct otlp_val *out)
{
	static const char *const kinds[] = { "stringValue", "boolValue",
	    "intValue", "doubleValue", "arrayValue", "kvlistValue",
	    "bytesValue", NULL };
	const cJSON	*x = NULL, *it, *vals;
	const char	*kind = NULL;
	size_t		 i, n;
	long		 k = 0;
	int		 rc = 0;

	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return 0;
	if (!cJSON_IsObject(v))
		return bad(d, "must be an object (an AnyValue)");
	for (i = 0; kinds[i] != NULL; i++)
		if ((it = get(v, kinds[i])) != NULL) {
			if (x != NULL)
				return bad(d, "has both %s and %s", kind,
				    kinds[i]);
			x = it;
			kind = kinds[i];
		}
	if (x == NULL)
		return 0;
	n = push(d, kind, -1);
	switch (kind[0]) {
	case 's':
		if (!cJSON_IsString(x))
			rc = bad(d, "must be a string");
		out->type = OTLP_V_STRING;
		out->s = x->valuestring;
		out->len = rc == 0 ? strlen(x->valuestring) : 0;
		break;
	case 'b':
		if (strcmp(kind, "bytesValue") == 0) {
			if (!cJSON_IsString(x) || !base64(x->valuestring))
				rc = bad(d, "must be a base64 string");
			out->type = OTLP_V_OTHER;
		} else {
			if (!cJSON_IsBool(x))
				rc = bad(d, "must be true or false");
			out->type = OTLP_V_BOOL;
			out->i = cJSON_IsTrue(x);
		}
		break;
	case 'i':
		if (integer(x, -9223372036854775808.0, 9223372036854775807.0,
		    1, &out->i))
			rc = bad(d, "must be a 64-bit integer: a number or a "
			    "decimal string");
		out->type = OTLP_V_INT;
		break;
	case 'd':
		out->type = OTLP_V_DOUBLE;
		if (cJSON_IsNumber(x))
			out->d = x->valuedouble;
		else if (cJSON_IsString(x) && strcmp(x->valuestring, "NaN") == 0)
			out->d = NAN;
		else if (cJSON_IsString(x) &&
		    strcmp(x->valuestring, "Infinity") == 0)
			out->d = INFINITY;
		else if (cJSON_IsString(x) &&
		    strcmp(x->valuestring, "-Infinity") == 0)
			out->d = -INFINITY;
		else
			rc = bad(d, "must be a number");
		break;
	default:	/* arrayValue, kvlistValue */
		out->type = OTLP_V_OTHER;
		if (depth >= OTLP_MAX_DEPTH) {
			rc = bad(d, "values nested deeper than %d levels",
			    OTLP_MAX_DEPTH);
			break;
		}
		if (!cJSON_IsObject(x)) {
			rc = bad(d, "must be an object");
			break;
		}
		if (kind[0] == 'k') {
			rc = list(d, x, "values", depth + 1, out);
			out->type = OTLP_V_OTHER;
			break;
		}
		if (want(d, x, "values", cJSON_IsArray, "an array", &vals))
			rc = -1;
		else if (vals != NULL) {
			size_t p = push(d, "values", -1);
			cJSON_ArrayForEach(it, vals) {
				size_t q = push(d, NULL, k++);
				rc = check_any(d, it, depth + 1, out);
				pop(d, q);
				if (rc)
					break;
			}
			pop(d, p);
		}
		out->type = OTLP_V_OTHER;
	}
	pop(d, n);
	return rc;
}

/* A KeyValue: its key a string, its value an AnyValue. */
static int
check_kv(struct dec *d, const cJSON *kv, int depth, struct otlp_val *out)
{
	const cJSON	*key, *val;
	size_t		 n;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(kv))
		return bad(d, "must be an object (a KeyValue)");
	if (want(d, kv, "key", cJSON_IsString, "a string", &key))
		return -1;
	val = get(kv, "value");
	n = push(d, "value", -1);
	rc = check_any(d, val, depth, out);
	pop(d, n);
	return rc;
}

/* A list of attributes, each handed to fn (NULL: just checked). */
static int
attributes(struct dec *d, const cJSON *o, const char *name,
    otlp_attr_fn *fn, void *arg)
{
	const cJSON	*a, *it, *key;
	struct otlp_val	 v;
	size_t		 n, k;
	long		 i = 0;

	if (want(d, o, name, cJSON_IsArray, "an array", &a) || a == NULL)
		return a == NULL ? 0 : -1;
	n = push(d, name, -1);
	cJSON_ArrayForEach(it, a) {
		k = push(d, NULL, i++);
		if (check_kv(d, it, 0, &v))
			return -1;
		pop(d, k);
		key = get(it, "key");
		if (fn != NULL && key != NULL)
			fn(arg, key->valuestring, strlen(key->valuestring), &v);
	}
	pop(d, n);
	return 0;
}

/* A string field, checked; *out (when not NULL) its text or NULL. */
static int
str_field(struct dec *d, const cJSON *o, const char *name, const char **out)
{
	const cJSON	*v;

	if (want(d, o, name, cJSON_IsString, "a string", &v))
		return -1;
	if (out != NULL)
		*out = v != NULL ? v->valuestring : NULL;
	return 0;
}

/* A message field: an object when present. */
static int
msg_field(struct dec *d, const cJSON *o, const char *name, const cJSON **out)
{
	return want(d, o, name, cJSON_IsObject, "an object", out);
}

static int
span(struct dec *d, const cJSON *p, struct otlp_span *s,
    unsigned char *trace, unsigned char *id)
{
	const cJSON	*st;
	unsigned char	 parent[8];
	size_t		 plen, n;
	int64_t		 code = 0;

	otlp_span_init(s);
	if (!cJSON_IsObject(p))
		return bad(d, "must be an object (a Span)");
	if (hex_id(d, p, "traceId", trace, 16, &s->trace_id_len) ||
	    hex_id(d, p, "spanId", id, 8, &s->span_id_len) ||
	    hex_id(d, p, "parentSpanId", parent, sizeof(parent), &plen) ||
	    str_field(d, p, "traceState", NULL) ||
	    str_field(d, p, "name", &s->name) ||
	    int_field(d, p, "kind", -2147483648.0, 2147483647.0, 0, NULL) ||
	    nanos(d, p, "startTimeUnixNano", &s->start_ns) ||
	    nanos(d, p, "endTimeUnixNano", &s->end_ns) ||
	    attributes(d, p, "attributes", otlp_span_attr, s) ||
	    int_field(d, p, "droppedAttributesCount", 0, 4294967295.0, 1,
	    NULL) ||
	    int_field(d, p, "droppedEventsCount", 0, 4294967295.0, 1, NULL) ||
	    int_field(d, p, "droppedLinksCount", 0, 4294967295.0, 1, NULL) ||
	    int_field(d, p, "flags", 0, 4294967295.0, 1, NULL) ||
	    msg_field(d, p, "status", &st))
		return -1;
	s->trace_id = trace;
	s->span_id = id;
	s->name_len = s->name != NULL ? strlen(s->name) : 0;
	if (st != NULL) {
		n = push(d, "status", -1);
		if (str_field(d, st, "message", &s->status_msg) ||
		    int_field(d, st, "code", -2147483648.0, 2147483647.0, 0,
		    &code))
			return -1;
		pop(d, n);
		s->status_code = (int)code;
		s->status_msg_len = s->status_msg != NULL ?
		    strlen(s->status_msg) : 0;
	}
	return 0;
}

/* The spans of a request, counted before anything is mapped. */
static size_t
count_spans(const cJSON *root)
{
	const cJSON	*rs, *ss, *sp;
	size_t		 n = 0;

	cJSON_ArrayForEach(rs, get(root, "resourceSpans")) {
		if (!cJSON_IsObject(rs))
			continue;
		cJSON_ArrayForEach(ss, get(rs, "scopeSpans"))
			if (cJSON_IsObject(ss) &&
			    cJSON_IsArray(sp = get(ss, "spans")))
				n += (size_t)cJSON_GetArraySize(sp);
	}
	return n;
}

/* One ResourceSpans: its resource, its scopes, their spans. */
static enum otlp_rc
resource_spans(struct dec *d, const cJSON *rs, const struct conf *c,
    int64_t now_ms, struct otlp_batch *b)
{
	const cJSON		*res, *sss, *ss, *sc, *sps, *sp;
	struct otlp_resource	 r;
	struct otlp_span	 s;
	unsigned char		 trace[16], id[8];
	size_t			 n, m, k;
	long			 j = 0, i;

	otlp_resource_init(&r);
	if (!cJSON_IsObject(rs))
		return bad(d, "must be an object"), OTLP_BAD;
	if (msg_field(d, rs, "resource", &res) || str_field(d, rs, "schemaUrl",
	    NULL))
		return OTLP_BAD;
	if (res != NULL) {
		n = push(d, "resource", -1);
		if (attributes(d, res, "attributes", otlp_resource_attr, &r) ||
		    int_field(d, res, "droppedAttributesCount", 0,
		    4294967295.0, 1, NULL))
			return OTLP_BAD;
		pop(d, n);
	}
	if (want(d, rs, "scopeSpans", cJSON_IsArray, "an array", &sss))
		return OTLP_BAD;
	n = push(d, "scopeSpans", -1);
	cJSON_ArrayForEach(ss, sss) {
		m = push(d, NULL, j++);
		if (!cJSON_IsObject(ss))
			return bad(d, "must be an object"), OTLP_BAD;
		if (msg_field(d, ss, "scope", &sc) || str_field(d, ss,
		    "schemaUrl", NULL) || want(d, ss, "spans", cJSON_IsArray,
		    "an array", &sps))
			return OTLP_BAD;
		if (sc != NULL) {
			k = push(d, "scope", -1);
			if (str_field(d, sc, "name", NULL) ||
			    str_field(d, sc, "version", NULL) ||
			    attributes(d, sc, "attributes", NULL, NULL) ||
			    int_field(d, sc, "droppedAttributesCount", 0,
			    4294967295.0, 1, NULL))
				return OTLP_BAD;
			pop(d, k);
		}
		k = push(d, "spans", -1);
		i = 0;
		cJSON_ArrayForEach(sp, sps) {
			size_t q = push(d, NULL, i++);
			if (span(d, sp, &s, trace, id))
				return OTLP_BAD;
			pop(d, q);
			if (otlp_take(b, &r, &s, c, now_ms))
				return OTLP_NOMEM;
		}
		pop(d, k);
		pop(d, m);
	}
	pop(d, n);
	return OTLP_OK;
}

enum otlp_rc
otlp_json_decode(const char *buf, size_t len, const struct conf *c,
    int64_t now_ms, struct otlp_batch *b, char *err, size_t errlen)
{
	struct dec	 d = { .err = err, .errlen = errlen };
	struct json_err	 je;
	const cJSON	*all, *rs;
	cJSON		*root;
	const char	*key, *under;
	enum otlp_rc	 rc = OTLP_OK;
	size_t		 n;
	long		 i = 0;
	int		 dup;

	if (json_check(buf, len, &n, &je) != 0) {
		snprintf(err, errlen, "not valid JSON at byte %zu: %s", je.pos,
		    je.msg);
		return OTLP_BAD;
	}
	if ((root = json_tree(buf, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return OTLP_NOMEM;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "the body must be a JSON object (an "
		    "ExportTraceServiceRequest)");
		rc = OTLP_BAD;
	} else if ((dup = json_dup_key(root, &key, &under)) != 0) {
		snprintf(err, errlen, dup < 0 ? "out of memory" :
		    "duplicate key \"%.64s\"", key);
		rc = dup < 0 ? OTLP_NOMEM : OTLP_BAD;
	} else if (want(&d, root, "resourceSpans", cJSON_IsArray, "an array",
	    &all))
		rc = OTLP_BAD;
	else if ((b->nspans = count_spans(root)) >
	    (size_t)c->ingest.max_batch) {
		snprintf(err, errlen, "%zu spans are over ingest.max_batch "
		    "(%ld)", b->nspans, c->ingest.max_batch);
		rc = OTLP_TOO_BIG;
	} else if (otlp_batch_alloc(b, b->nspans) != 0) {
		snprintf(err, errlen, "out of memory");
		rc = OTLP_NOMEM;
	} else
		cJSON_ArrayForEach(rs, all) {
			n = push(&d, "resourceSpans", i++);
			if ((rc = resource_spans(&d, rs, c, now_ms, b)) !=
			    OTLP_OK)
				break;
			pop(&d, 0);
		}
	if (rc == OTLP_NOMEM)
		snprintf(err, errlen, "out of memory");
	cJSON_Delete(root);
	return rc;
}

char *
otlp_json_answer(long rejected, const char *msg, size_t *len)
{
	cJSON	*o, *ps;
	char	 n[32], *out = NULL;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	/* proto3's JSON writes 64-bit integers as strings. */
	if (rejected > 0 || msg[0] != '\0') {
		snprintf(n, sizeof(n), "%ld", rejected);
		if ((ps = cJSON_AddObjectToObject(o, "partialSuccess")) == NULL ||
		    cJSON_AddStringToObject(ps, "rejectedSpans", n) == NULL ||
		    cJSON_AddStringToObject(ps, "errorMessage", msg) == NULL)
			goto out;
	}
	if ((out = cJSON_PrintUnformatted(o)) != NULL)
		*len = strlen(out);
out:
	cJSON_Delete(o);
	return out;
}

char *
otlp_json_status(int code, const char *msg, size_t *len)
{
	cJSON	*o;
	char	*out = NULL;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(o, "code", code) != NULL &&
	    cJSON_AddStringToObject(o, "message", msg) != NULL &&
	    (out = cJSON_PrintUnformatted(o)) != NULL)
		*len = strlen(out);
	cJSON_Delete(o);
	return out;
}
