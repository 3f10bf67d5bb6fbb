/* http.c — the HTTP side of apimon-ingest: route, check, answer in JSON. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "body.h"
#include "ingest.h"
#include "log.h"
#include "ts.h"

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Answer {"error": msg[, "field": field]} with status. */
static void
fail(struct resp *r, int status, const char *msg, const char *field)
{
	cJSON	*o = cJSON_CreateObject();

	r->status = status;
	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "error", msg);
	if (field != NULL)
		cJSON_AddStringToObject(o, "field", field);
	r->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
}

static void
unavailable(struct resp *r, struct ingest *ig, enum db_rc rc)
{
	r->retry = 1;
	fail(r, 503, rc == DB_BUSY ? "database is busy, retry later" :
	    "database is unavailable, retry later", NULL);
	log_errx("503: %s", ig->err);
}

int
http_media_is(const char *ct, const char *type)
{
	size_t	 n = strlen(type);

	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Compare in time that depends on the expected token's length only. */
int
http_token_ok(const char *expected, const char *header)
{
	size_t		 elen = strlen(expected), glen, i;
	unsigned char	 diff;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return 0;
	header += 7;
	while (*header == ' ')
		header++;
	glen = strlen(header);
	diff = glen != elen;
	for (i = 0; i < elen; i++)
		diff |= (unsigned char)expected[i] ^
		    (unsigned char)(i < glen ? header[i] : 0);
	return diff == 0;
}

static void
log_request(struct ingest *ig, const char *buf, size_t len,
    enum body_kind kind, int64_t deadline, struct resp *r)
{
	struct body	 b;
	struct rec_err	 e;
	cJSON		*o = NULL, *rej, *x;
	long		 acc = 0, dup = 0;
	enum db_rc	 rc;
	size_t		 i;

	switch (body_parse(buf, len, kind, ig->conf, ts_now_ms(), &b, &e)) {
	case BODY_OK:
		break;
	case BODY_BAD:
		return fail(r, 400, e.msg, e.field[0] != '\0' ? e.field : NULL);
	case BODY_TOO_MANY:
		return fail(r, 413, e.msg, NULL);
	default:
		r->retry = 1;
		return fail(r, 503, e.msg, NULL);
	}
	if ((rc = ingest_store(ig, b.recs, b.nrecs, deadline, &acc,
	    &dup)) != DB_OK) {
		unavailable(r, ig, rc);
		goto out;
	}
	r->status = 200;
	/* The usual answer, as cJSON would print it, without building it. */
	if (b.nrejects == 0) {
		if ((r->body = cJSON_malloc(64)) != NULL)
			snprintf(r->body, 64, "{\"accepted\":%ld,"
			    "\"duplicates\":%ld,\"rejected\":[]}", acc, dup);
		goto out;
	}
	if ((o = cJSON_CreateObject()) == NULL) {
		fail(r, 503, "out of memory", NULL);
		goto out;
	}
	cJSON_AddNumberToObject(o, "accepted", (double)acc);
	cJSON_AddNumberToObject(o, "duplicates", (double)dup);
	rej = cJSON_AddArrayToObject(o, "rejected");
	for (i = 0; rej != NULL && i < b.nrejects; i++)
		if ((x = cJSON_CreateObject()) != NULL) {
			cJSON_AddItemToArray(rej, x);
			cJSON_AddNumberToObject(x, "index",
			    (double)b.rejects[i].index);
			cJSON_AddStringToObject(x, "field",
			    b.rejects[i].e.field);
			cJSON_AddStringToObject(x, "error", b.rejects[i].e.msg);
		}
	r->body = cJSON_PrintUnformatted(o);
out:
	body_free(&b);
	cJSON_Delete(o);
}

static void
health(struct ingest *ig, int64_t deadline, struct resp *r)
{
	struct db	*db;
	cJSON		*o;
	enum db_rc	 rc = DB_UNAVAIL;
	int64_t		 last = -1;
	char		 t[TS_RFC3339_LEN];
	int		 stale;

	ingest_lock_db(ig);
	if ((db = ingest_db(ig, deadline)) != NULL &&
	    ((rc = db_check_writable(db)) != DB_OK ||
	    (rc = db_last_aggregate(db, &last)) != DB_OK))
		ingest_db_failed(ig, rc);
	ingest_unlock_db(ig);
	if (rc != DB_OK)
		return unavailable(r, ig, rc);
	if ((o = cJSON_CreateObject()) == NULL)
		return fail(r, 503, "out of memory", NULL);
	/* Three missed cron runs: the numbers stopped moving; page someone. */
	stale = last >= 0 && ts_now_ms() - last >
	    3 * 1000LL * ig->conf->site.cron_interval_s;
	cJSON_AddStringToObject(o, "status", stale ? "stale" : "ok");
	cJSON_AddNumberToObject(o, "schema_version", DB_SCHEMA_VERSION);
	ts_format_rfc3339(ts_now_ms(), t);
	cJSON_AddStringToObject(o, "time", t);
	if (last < 0)
		cJSON_AddNullToObject(o, "last_aggregate");
	else {
		ts_format_rfc3339(last, t);
		cJSON_AddStringToObject(o, "last_aggregate", t);
	}
	r->status = stale ? 503 : 200;
	r->retry = stale;
	r->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
}

/* The path of the request: REQUEST_URI without its query, else the CGI parts. */
static void
request_path(const struct http_io *io, char *buf, size_t size)
{
	const char	*uri = io->param(io->ctx, "REQUEST_URI");
	const char	*script, *info;
	size_t		 n;

	if (uri != NULL) {
		n = strcspn(uri, "?#");
		snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), uri);
		return;
	}
	script = io->param(io->ctx, "SCRIPT_NAME");
	info = io->param(io->ctx, "PATH_INFO");
	snprintf(buf, size, "%s%s", script ? script : "", info ? info : "");
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	 a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

char *
http_read_body(struct ingest *ig, const struct http_io *io, size_t *len,
    int *status, const char **msg)
{
	const char	*cl = io->param(io->ctx, "CONTENT_LENGTH");
	char		*buf, *end;
	long long	 want = 0;
	size_t		 got = 0, k;

	if (cl != NULL && *cl != '\0') {
		want = strtoll(cl, &end, 10);
		if (*end != '\0' || want < 0) {
			*status = 400, *msg = "bad Content-Length";
			return NULL;
		}
	}
	if (want > ig->conf->ingest.max_body_bytes) {
		*status = 413, *msg = "body is over ingest.max_body_bytes";
		return NULL;
	}
	if ((buf = malloc((size_t)want + 1)) == NULL) {
		*status = 503, *msg = "out of memory";
		return NULL;
	}
	while (got < (size_t)want &&
	    (k = io->read(io->ctx, buf + got, (size_t)want - got)) > 0)
		got += k;
	if (got < (size_t)want) {
		free(buf);
		*status = 400, *msg = "body shorter than Content-Length";
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Answer the request in r; a database wait ends at deadline. */
static void
route(struct ingest *ig, const struct http_io *io, int64_t deadline,
    struct resp *r)
{
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	const char	*ct = io->param(io->ctx, "CONTENT_TYPE");
	const char	*msg;
	char		 path[1024], *body;
	size_t		 len = 0;
	enum body_kind	 kind;
	int		 status;

	if (method == NULL)
		method = "GET";
	request_path(io, path, sizeof(path));
	if (ends_with(path, "/api/health")) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return health(ig, deadline, r);
		r->allow = "GET, HEAD";
		return fail(r, 405, "method not allowed", NULL);
	}
	if (ends_with(path, "/v1/traces"))
		return otlp_serve(ig, io, deadline, r);
	if (!ends_with(path, "/api/log-request"))
		return fail(r, 404, "not found", NULL);
	if (strcmp(method, "POST") != 0) {
		r->allow = "POST";
		return fail(r, 405, "method not allowed", NULL);
	}
	if (ig->conf->ingest.token[0] != '\0' && !http_token_ok(
	    ig->conf->ingest.token, io->param(io->ctx, "HTTP_AUTHORIZATION"))) {
		r->auth = 1;
		return fail(r, 401, "missing or wrong bearer token", NULL);
	}
	if (ct == NULL || *ct == '\0' || http_media_is(ct, "application/json"))
		kind = BODY_JSON;
	else if (http_media_is(ct, "application/x-ndjson"))
		kind = BODY_NDJSON;
	else
		return fail(r, 415, "Content-Type must be application/json "
		    "or application/x-ndjson", NULL);
	if ((body = http_read_body(ig, io, &len, &status, &msg)) == NULL)
		return fail(r, status, msg, NULL);
	log_request(ig, body, len, kind, deadline, r);
	free(body);
	r->trim = len >= INGEST_TRIM_BYTES;
}

void
http_serve(struct ingest *ig, const struct http_io *io)
{
	static const char oom[] = "{\"error\":\"out of memory\"}";
	struct resp	 r = { 500, NULL, 0, 0, 0, NULL, NULL, 0 };
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	char		 head[512];
	int		 n;

	/* A commit about to start waits a moment for this one. */
	if (method != NULL && strcmp(method, "POST") == 0)
		ingest_arrive(ig);
	route(ig, io, ts_mono_ms() + ig->busy_ms, &r);
	ingest_depart(ig);
	if (r.body == NULL)
		r.status = 503, r.retry = 1, r.ctype = NULL;
	if (r.ctype == NULL)
		r.len = r.body ? strlen(r.body) : strlen(oom);
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n%s%s%s%s%s\r\n",
	    r.status, reason(r.status), r.ctype ? r.ctype : "application/json",
	    r.len, r.allow ? "Allow: " : "", r.allow ? r.allow : "",
	    r.allow ? "\r\n" : "",
	    r.retry ? "Retry-After: " RETRY_AFTER_S "\r\n" : "",
	    r.auth ? "WWW-Authenticate: Bearer\r\n" : "");
	io->write(io->ctx, head, (size_t)n);
	if (method == NULL || strcmp(method, "HEAD") != 0)
		io->write(io->ctx, r.body ? r.body : oom, r.len);
	cJSON_free(r.body);
	/* Its tree was freed into this thread's arena, which keeps it. */
	if (r.trim)
		malloc_trim(0);
}
