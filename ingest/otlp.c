/* otlp.c — POST /v1/traces: OpenTelemetry's exporters report to apimon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gunzip.h"
#include "ingest.h"
#include "log.h"
#include "otlp.h"
#include "ts.h"
#include "utf8.h"

/* gRPC's codes in the Status of an error: OTLP leaves them optional. */
#define RPC_INVALID_ARGUMENT	3
#define RPC_NOT_FOUND		5
#define RPC_RESOURCE_EXHAUSTED	8
#define RPC_UNIMPLEMENTED	12
#define RPC_UNAVAILABLE		14
#define RPC_UNAUTHENTICATED	16

#define CT_PROTOBUF	"application/x-protobuf"
#define CT_JSON		"application/json"

/* Answer status with a google.rpc.Status in the request's encoding. */
static void
refuse(struct resp *r, enum otlp_enc enc, int status, const char *msg)
{
	int	 code;

	switch (status) {
	case 401:
		code = RPC_UNAUTHENTICATED;
		break;
	case 404:
		code = RPC_NOT_FOUND;
		break;
	case 405:
		code = RPC_UNIMPLEMENTED;
		break;
	case 413:
		code = RPC_RESOURCE_EXHAUSTED;
		break;
	case 503:
		code = RPC_UNAVAILABLE;
		r->retry = 1;	/* exporters retry 503, after Retry-After */
		break;
	default:
		code = RPC_INVALID_ARGUMENT;
	}
	r->status = status;
	r->ctype = enc == OTLP_PROTOBUF ? CT_PROTOBUF : CT_JSON;
	r->body = otlp_status(enc, code, msg, &r->len);
}

/*
 * The message of a partial success: what became of every span.  Spans
 * without GenAI attributes are not rejected (apimon keeps what it is
 * for, as a collector's filter would), but the sender hears of them.
 */
static void
summary(const struct otlp_batch *b, long acc, long dup, char *msg,
    size_t size)
{
	if (b->rejected == 0 && b->skipped == 0) {
		msg[0] = '\0';
		return;
	}
	utf8_snprintf(msg, size, "%zu spans: %ld stored, %ld duplicates, %zu "
	    "skipped (no gen_ai.* or llm.* attribute), %zu rejected%s%s",
	    b->nspans, acc, dup, b->skipped, b->rejected,
	    b->msg[0] ? ": " : "", b->msg);
}

/* Decode, map, store; the answer in r. */
static void
export(struct ingest *ig, const char *buf, size_t len, enum otlp_enc enc,
    int64_t deadline, struct resp *r)
{
	struct otlp_batch	 b;
	enum otlp_rc		 rc;
	enum db_rc		 drc;
	char			 err[512], msg[OTLP_MSG_MAX + 256];
	long			 acc = 0, dup = 0;

	rc = otlp_decode(buf, len, enc, ig->conf, ts_now_ms(), &b, err,
	    sizeof(err));
	if (rc != OTLP_OK)
		return refuse(r, enc, rc == OTLP_BAD ? 400 :
		    rc == OTLP_TOO_BIG ? 413 : 503, err);
	if ((drc = ingest_store(ig, b.recs, b.nrecs, deadline, &acc,
	    &dup)) != DB_OK) {
		log_errx("503: %s", ig->err);
		refuse(r, enc, 503, drc == DB_BUSY ?
		    "database is busy, retry later" :
		    "database is unavailable, retry later");
	} else {
		summary(&b, acc, dup, msg, sizeof(msg));
		r->status = 200;
		r->ctype = enc == OTLP_PROTOBUF ? CT_PROTOBUF : CT_JSON;
		r->body = otlp_answer(enc, (long)b.rejected, msg, &r->len);
	}
	otlp_batch_free(&b);
}

void
otlp_serve(struct ingest *ig, const struct http_io *io, int64_t deadline,
    struct resp *r)
{
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	const char	*ct = io->param(io->ctx, "CONTENT_TYPE");
	const char	*ce = io->param(io->ctx, "HTTP_CONTENT_ENCODING");
	const char	*msg;
	char		*body, *plain = NULL;
	size_t		 len = 0, plen;
	enum otlp_enc	 enc = OTLP_JSON;
	int		 status, known = 1;

	/* Errors go back in the request's encoding, JSON when it has none. */
	if (ct != NULL && http_media_is(ct, CT_PROTOBUF))
		enc = OTLP_PROTOBUF;
	else if (ct == NULL || !http_media_is(ct, CT_JSON))
		known = 0;
	if (method == NULL || strcmp(method, "POST") != 0) {
		r->allow = "POST";
		return refuse(r, enc, 405, "method not allowed");
	}
	if (ig->conf->ingest.token[0] != '\0' && !http_token_ok(
	    ig->conf->ingest.token, io->param(io->ctx, "HTTP_AUTHORIZATION"))) {
		r->auth = 1;
		return refuse(r, enc, 401, "missing or wrong bearer token");
	}
	if (!known)
		return refuse(r, enc, 415, "Content-Type must be "
		    CT_PROTOBUF " or " CT_JSON);
	if (ce != NULL && *ce != '\0' && strcasecmp(ce, "identity") != 0 &&
	    strcasecmp(ce, "gzip") != 0)
		return refuse(r, enc, 415, "Content-Encoding must be gzip or "
		    "identity");
	if ((body = http_read_body(ig, io, &len, &status, &msg)) == NULL)
		return refuse(r, enc, status, msg);
	if (ce != NULL && strcasecmp(ce, "gzip") == 0) {
		switch (gunzip(body, len, (size_t)ig->conf->ingest.max_body_bytes,
		    &plain, &plen)) {
		case GUNZIP_OK:
			break;
		case GUNZIP_TOO_BIG:
			refuse(r, enc, 413, "body inflates to more than "
			    "ingest.max_body_bytes");
			goto out;
		case GUNZIP_BAD:
			refuse(r, enc, 400, "body is not valid gzip");
			goto out;
		default:
			refuse(r, enc, 503, "out of memory");
			goto out;
		}
		free(body);
		body = plain;
		len = plen;
	}
	export(ig, body, len, enc, deadline, r);
	r->trim = len >= INGEST_TRIM_BYTES;
out:
	free(body);
}
