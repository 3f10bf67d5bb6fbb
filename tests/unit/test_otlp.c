/* test_otlp.c — OTLP bodies (protobuf, JSON, gzip) into records, at the limits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <zlib.h>

#include "gunzip.h"
#include "otlp.h"
#include "leaks.h"

#define NOW_MS		1795688100000LL		/* 2026-11-26T10:15:00Z */
#define NOW_NS		((uint64_t)NOW_MS * 1000000)
#define TRACE		"\x01\x02\x03\x04\x05\x06\x07\x08" \
			"\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
#define SPAN		"\x01\x02\x03\x04\x05\x06\x07\x08"

static struct conf	 conf;

static void
setup(void)
{
	memset(&conf, 0, sizeof(conf));
	conf.ingest.command_max_chars = 200;
	conf.ingest.max_batch = 100000;
	conf.ingest.max_body_bytes = 1048576;
}

TestSuite(otlp, .init = setup);

/* ---- protobuf by hand: a growing buffer -------------------------------- */

struct pb {
	unsigned char	*p;
	size_t		 len, cap;
};

static void
put(struct pb *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		cr_assert_not_null(b->p = realloc(b->p, b->cap));
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
varint(struct pb *b, uint64_t v)
{
	unsigned char	 c;

	do {
		c = v & 0x7f;
		v >>= 7;
		c |= v ? 0x80 : 0;
		put(b, &c, 1);
	} while (v);
}

/* Field f, wire type 2, with n bytes of data. */
static void
ld(struct pb *b, unsigned f, const void *data, size_t n)
{
	varint(b, (uint64_t)f << 3 | 2);
	varint(b, n);
	put(b, data, n);
}

static void
fixed64(struct pb *b, unsigned f, uint64_t v)
{
	unsigned char	 le[8];
	int		 i;

	varint(b, (uint64_t)f << 3 | 1);
	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	put(b, le, 8);
}

/* A KeyValue of key and a string (or, when s is NULL, an int) value. */
static void
attr(struct pb *span, const char *key, const char *s, size_t slen,
    int64_t i)
{
	struct pb	 any = { 0 }, kv = { 0 };

	if (s != NULL)
		ld(&any, 1, s, slen);
	else {
		varint(&any, 3 << 3 | 0);
		varint(&any, (uint64_t)i);
	}
	ld(&kv, 1, key, strlen(key));
	ld(&kv, 2, any.p, any.len);
	ld(span, 9, kv.p, kv.len);
	free(any.p);
	free(kv.p);
}

/* A GenAI span (or a plain one) from start to end, nanoseconds. */
static void
span(struct pb *spans, const char *trace, size_t tlen, uint64_t start,
    uint64_t end, int genai)
{
	struct pb	 s = { 0 };

	ld(&s, 1, trace, tlen);
	ld(&s, 2, SPAN, 8);
	ld(&s, 5, "chat", 4);
	fixed64(&s, 7, start);
	fixed64(&s, 8, end);
	if (genai) {
		attr(&s, "gen_ai.request.model", "gpt-4o-mini", 11, 0);
		attr(&s, "gen_ai.usage.input_tokens", NULL, 0, 900);
	} else
		attr(&s, "http.request.method", "GET", 3, 0);
	ld(spans, 2, s.p, s.len);	/* ScopeSpans.spans */
	free(s.p);
}

/* ExportTraceServiceRequest { resource_spans { scope_spans { spans } } }. */
static void
request(struct pb *out, const struct pb *spans)
{
	struct pb	 rs = { 0 };

	ld(&rs, 2, spans->p, spans->len);
	ld(out, 1, rs.p, rs.len);
	free(rs.p);
}

static enum otlp_rc
decode(const void *buf, size_t len, enum otlp_enc enc, struct otlp_batch *b,
    char *err)
{
	char		*copy;
	enum otlp_rc	 rc;

	/* A heap copy of exactly len bytes: ASan sees a read past the end. */
	cr_assert_not_null(copy = malloc(len > 0 ? len : 1));
	memcpy(copy, buf, len);
	err[0] = '\0';
	rc = otlp_decode(copy, len, enc, &conf, NOW_MS, b, err, 512);
	free(copy);
	return rc;
}

/* ---- gzip ---------------------------------------------------------------- */

static unsigned char *
gzip_of(const void *data, size_t len, size_t *outlen)
{
	z_stream	 z = { 0 };
	unsigned char	*out;
	size_t		 cap = len + len / 100 + 64;

	cr_assert_not_null(out = malloc(cap));
	cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

Test(otlp, gunzip_takes_exactly_max_bytes_and_refuses_one_more)
{
	size_t		 n = 300000, glen, outlen;
	char		*plain, *out;
	unsigned char	*gz;

	cr_assert_not_null(plain = malloc(n));
	memset(plain, 'a', n);
	gz = gzip_of(plain, n, &glen);
	cr_assert_eq(gunzip((char *)gz, glen, n, &out, &outlen), GUNZIP_OK);
	cr_assert_eq(outlen, n);
	cr_assert_eq(memcmp(out, plain, n), 0);
	cr_assert_eq(out[n], '\0');
	free(out);
	cr_assert_eq(gunzip((char *)gz, glen, n - 1, &out, &outlen),
	    GUNZIP_TOO_BIG);
	cr_assert_null(out);
	free(gz);
	free(plain);
	assert_no_leaks();
}

Test(otlp, gunzip_bomb_stops_at_the_limit)
{
	size_t		 n = 64 * 1048576, glen, outlen;
	char		*zeros, *out;
	unsigned char	*gz;

	/* 64 MiB of zeros: some 64 KiB of gzip. */
	cr_assert_not_null(zeros = calloc(1, n));
	gz = gzip_of(zeros, n, &glen);
	free(zeros);
	cr_assert_lt(glen, 100000);
	cr_assert_eq(gunzip((char *)gz, glen, 1048576, &out, &outlen),
	    GUNZIP_TOO_BIG);
	free(gz);
	assert_no_leaks();
}

Test(otlp, gunzip_refuses_cut_short_junk_after_and_not_gzip)
{
	size_t		 glen, outlen;
	unsigned char	*gz, two[256];
	char		*out;

	gz = gzip_of("hello", 5, &glen);
	cr_assert_lt(2 * glen, sizeof(two));
	cr_assert_eq(gunzip((char *)gz, glen - 1, 1024, &out, &outlen),
	    GUNZIP_BAD);
	cr_assert_eq(gunzip((char *)gz, 10, 1024, &out, &outlen), GUNZIP_BAD);
	memcpy(two, gz, glen);
	memcpy(two + glen, gz, glen);
	cr_assert_eq(gunzip((char *)two, 2 * glen, 1024, &out, &outlen),
	    GUNZIP_BAD);
	memcpy(two + glen, "x", 1);
	cr_assert_eq(gunzip((char *)two, glen + 1, 1024, &out, &outlen),
	    GUNZIP_BAD);
	cr_assert_eq(gunzip("hello", 5, 1024, &out, &outlen), GUNZIP_BAD);
	cr_assert_eq(gunzip("", 0, 1024, &out, &outlen), GUNZIP_BAD);
	/* A flipped byte of the deflate data or the checksum. */
	gz[glen - 5] ^= 1;
	cr_assert_eq(gunzip((char *)gz, glen, 1024, &out, &outlen), GUNZIP_BAD);
	cr_assert_null(out);
	free(gz);
	assert_no_leaks();
}

/* ---- protobuf ------------------------------------------------------------ */

Test(otlp, protobuf_span_becomes_a_record)
{
	struct pb		 spans = { 0 }, req = { 0 };
	struct otlp_batch	 b;
	char			 err[512];

	span(&spans, TRACE, 16, NOW_NS - 1500000000, NOW_NS, 1);
	span(&spans, TRACE, 16, NOW_NS - 1000, NOW_NS, 0);
	request(&req, &spans);
	cr_assert_eq(decode(req.p, req.len, OTLP_PROTOBUF, &b, err), OTLP_OK,
	    "%s", err);
	cr_assert_eq(b.nspans, 2);
	cr_assert_eq(b.nrecs, 1);
	cr_assert_eq(b.skipped, 1);
	cr_assert_str_eq(b.recs[0].request_id,
	    "0102030405060708090a0b0c0d0e0f100102030405060708");
	cr_assert_eq(b.recs[0].ts_ms, NOW_MS - 1500);
	cr_assert_eq(b.recs[0].latency_us, 1500000);
	cr_assert_str_eq(b.recs[0].source, "unknown_service");
	cr_assert_eq(b.recs[0].input_tokens, 900);
	otlp_batch_free(&b);
	free(spans.p);
	free(req.p);
	assert_no_leaks();
}

Test(otlp, protobuf_huge_varints_and_lengths_are_bad)
{
	/* An 11-byte varint; a length of 2^63; a length past the end. */
	static const unsigned char huge_tag[] = { 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const unsigned char huge_len[] = { 0x0a, 0x80, 0x80, 0x80,
	    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	static const unsigned char past_end[] = { 0x0a, 0x05, 0x12, 0x00 };
	static const unsigned char cut_varint[] = { 0x0a, 0x80 };
	static const unsigned char group[] = { 0x0b, 0x0c };
	static const unsigned char wire6[] = { 0x0e };
	const struct { const unsigned char *p; size_t n; } cases[] = {
		{ huge_tag, sizeof(huge_tag) }, { huge_len, sizeof(huge_len) },
		{ past_end, sizeof(past_end) }, { cut_varint,
		sizeof(cut_varint) }, { group, sizeof(group) },
		{ wire6, sizeof(wire6) },
	};
	struct otlp_batch	 b;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(decode(cases[i].p, cases[i].n, OTLP_PROTOBUF, &b,
		    err), OTLP_BAD, "case %zu", i);
		cr_assert_not_null(strstr(err, "not a protobuf"), "%s", err);
	}
	/* The empty request is a valid one, of no span. */
	cr_assert_eq(decode("", 0, OTLP_PROTOBUF, &b, err), OTLP_OK);
	cr_assert_eq(b.nspans, 0);
	otlp_batch_free(&b);
	assert_no_leaks();
}

Test(otlp, protobuf_invalid_utf8_in_an_attribute_is_bad_and_named)
{
	struct pb		 spans = { 0 }, req = { 0 }, s = { 0 };
	struct otlp_batch	 b;
	char			 err[512];

	ld(&s, 1, TRACE, 16);
	attr(&s, "user.id", "ok", 2, 0);
	attr(&s, "gen_ai.system", "\xc3\x28", 2, 0);
	ld(&spans, 2, s.p, s.len);
	request(&req, &spans);
	cr_assert_eq(decode(req.p, req.len, OTLP_PROTOBUF, &b, err), OTLP_BAD);
	cr_assert_str_eq(err, "resourceSpans[0].scopeSpans[0].spans[0]."
	    "attributes[1]: a string value is not valid UTF-8");
	free(s.p);
	free(spans.p);
	free(req.p);
	assert_no_leaks();
}

Test(otlp, spans_with_bad_times_or_ids_are_rejected_one_by_one)
{
	struct pb		 spans = { 0 }, req = { 0 };
	struct otlp_batch	 b;
	char			 err[512];

	span(&spans, TRACE, 16, NOW_NS, NOW_NS - 1, 1);		/* end < start */
	span(&spans, TRACE, 16, 0, 1000, 1);			/* 1970 */
	span(&spans, TRACE, 16, UINT64_MAX - 10, UINT64_MAX, 1);	/* 2554 */
	span(&spans, TRACE, 16, NOW_NS - 90000ULL * 1000000000, NOW_NS, 1);
	span(&spans, TRACE, 15, NOW_NS - 1, NOW_NS, 1);		/* short id */
	span(&spans, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, NOW_NS - 1,
	    NOW_NS, 1);
	span(&spans, TRACE, 16, NOW_NS - 1, NOW_NS, 1);		/* good */
	request(&req, &spans);
	cr_assert_eq(decode(req.p, req.len, OTLP_PROTOBUF, &b, err), OTLP_OK,
	    "%s", err);
	cr_assert_eq(b.nspans, 7);
	cr_assert_eq(b.rejected, 6);
	cr_assert_eq(b.nrecs, 1);
	cr_assert_not_null(strstr(b.msg, "span 0102030405060708: "
	    "endTimeUnixNano: is before startTimeUnixNano"), "%s", b.msg);
	cr_assert_not_null(strstr(b.msg, "startTimeUnixNano"), "%s", b.msg);
	cr_assert_not_null(strstr(b.msg, "traceId: must be 16 bytes"), "%s",
	    b.msg);
	otlp_batch_free(&b);
	free(spans.p);
	free(req.p);
	assert_no_leaks();
}

Test(otlp, a_hundred_thousand_spans_are_counted_within_the_limits)
{
	struct pb		 spans = { 0 }, req = { 0 };
	struct otlp_batch	 b;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < 100000; i++)
		span(&spans, TRACE, 16, NOW_NS - 1, NOW_NS, 0);
	request(&req, &spans);
	conf.ingest.max_batch = 99999;
	cr_assert_eq(decode(req.p, req.len, OTLP_PROTOBUF, &b, err),
	    OTLP_TOO_BIG);
	cr_assert_str_eq(err, "100000 spans are over ingest.max_batch (99999)");
	conf.ingest.max_batch = 100000;
	cr_assert_eq(decode(req.p, req.len, OTLP_PROTOBUF, &b, err), OTLP_OK,
	    "%s", err);
	cr_assert_eq(b.skipped, 100000);
	cr_assert_eq(b.nrecs, 0);
	otlp_batch_free(&b);
	free(spans.p);
	free(req.p);
	assert_no_leaks();
}

Test(otlp, protobuf_that_unpacks_past_its_budget_is_too_big)
{
	struct pb		 s = { 0 }, spans = { 0 }, req = { 0 };
	struct otlp_batch	 b;
	char			 err[512];
	size_t			 i;

	/* Empty attributes: 2 bytes each, a KeyValue struct each unpacked. */
	ld(&s, 1, TRACE, 16);
	for (i = 0; i < 200000; i++)
		ld(&s, 9, "", 0);
	ld(&spans, 2, s.p, s.len);
	request(&req, &spans);
	cr_assert_eq(decode(req.p, req.len, OTLP_PROTOBUF, &b, err),
	    OTLP_TOO_BIG);
	cr_assert_not_null(strstr(err, "unpacks to more than"), "%s", err);
	free(s.p);
	free(spans.p);
	free(req.p);
	assert_no_leaks();
}

/* ---- JSON ---------------------------------------------------------------- */

#define JSPAN(ids, times) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" \
	"{" ids "," times ",\"attributes\":[{\"key\":\"gen_ai.system\"," \
	"\"value\":{\"stringValue\":\"openai\"}}]}]}]}]}"
#define IDS	"\"traceId\":\"0102030405060708090A0B0C0D0E0F10\"," \
		"\"spanId\":\"0102030405060708\""
#define TIMES	"\"startTimeUnixNano\":\"1795688099000000000\"," \
		"\"endTimeUnixNano\":1795688100000000000"

Test(otlp, json_span_becomes_a_record)
{
	static const char body[] = JSPAN(IDS, TIMES);
	struct otlp_batch	 b;
	char			 err[512];

	cr_assert_eq(decode(body, strlen(body), OTLP_JSON, &b, err), OTLP_OK,
	    "%s", err);
	cr_assert_eq(b.nrecs, 1);
	cr_assert_str_eq(b.recs[0].request_id,
	    "0102030405060708090a0b0c0d0e0f100102030405060708");
	cr_assert_str_eq(b.recs[0].provider, "openai");
	cr_assert_eq(b.recs[0].latency_us, 1000000);
	otlp_batch_free(&b);
	assert_no_leaks();
}

Test(otlp, json_ids_that_are_not_hex_are_bad_and_short_ones_rejected)
{
	static const char odd[] = JSPAN("\"traceId\":\"abc\"", TIMES);
	static const char nothex[] = JSPAN("\"traceId\":\"zz\"", TIMES);
	static const char num[] = JSPAN("\"traceId\":5", TIMES);
	static const char shortid[] = JSPAN("\"traceId\":\"0102\","
	    "\"spanId\":\"0102030405060708\"", TIMES);
	struct otlp_batch	 b;
	char			 err[512];

	cr_assert_eq(decode(odd, strlen(odd), OTLP_JSON, &b, err), OTLP_BAD);
	cr_assert_str_eq(err, "resourceSpans[0].scopeSpans[0].spans[0]."
	    "traceId: must be an even number of hex digits");
	cr_assert_eq(decode(nothex, strlen(nothex), OTLP_JSON, &b, err),
	    OTLP_BAD);
	cr_assert_eq(decode(num, strlen(num), OTLP_JSON, &b, err), OTLP_BAD);
	cr_assert_not_null(strstr(err, "traceId: must be a hex string"), "%s",
	    err);
	cr_assert_eq(decode(shortid, strlen(shortid), OTLP_JSON, &b, err),
	    OTLP_OK);
	cr_assert_eq(b.rejected, 1);
	cr_assert_not_null(strstr(b.msg, "traceId: must be 16 bytes"), "%s",
	    b.msg);
	otlp_batch_free(&b);
	assert_no_leaks();
}

Test(otlp, json_times_out_of_range_are_bad_or_rejected)
{
	static const char neg[] = JSPAN(IDS, "\"startTimeUnixNano\":\"-1\"");
	static const char big[] = JSPAN(IDS,
	    "\"startTimeUnixNano\":\"18446744073709551616\"");
	static const char frac[] = JSPAN(IDS, "\"startTimeUnixNano\":1.5");
	static const char max[] = JSPAN(IDS,
	    "\"startTimeUnixNano\":\"18446744073709551615\","
	    "\"endTimeUnixNano\":\"18446744073709551615\"");
	struct otlp_batch	 b;
	char			 err[512];

	cr_assert_eq(decode(neg, strlen(neg), OTLP_JSON, &b, err), OTLP_BAD);
	cr_assert_eq(decode(big, strlen(big), OTLP_JSON, &b, err), OTLP_BAD);
	cr_assert_eq(decode(frac, strlen(frac), OTLP_JSON, &b, err), OTLP_BAD);
	cr_assert_not_null(strstr(err, "startTimeUnixNano: must be "
	    "nanoseconds"), "%s", err);
	/* The largest time decodes, and is no time a record may have. */
	cr_assert_eq(decode(max, strlen(max), OTLP_JSON, &b, err), OTLP_OK);
	cr_assert_eq(b.rejected, 1);
	cr_assert_not_null(strstr(b.msg, "startTimeUnixNano"), "%s", b.msg);
	otlp_batch_free(&b);
	assert_no_leaks();
}

Test(otlp, json_invalid_utf8_in_an_attribute_is_bad)
{
	static const char body[] = "{\"resourceSpans\":[{\"scopeSpans\":[{"
	    "\"spans\":[{\"attributes\":[{\"key\":\"gen_ai.system\",\"value\":"
	    "{\"stringValue\":\"\xff\"}}]}]}]}]}";
	struct otlp_batch	 b;
	char			 err[512];

	cr_assert_eq(decode(body, strlen(body), OTLP_JSON, &b, err), OTLP_BAD);
	cr_assert_not_null(strstr(err, "not valid JSON"), "%s", err);
	assert_no_leaks();
}

/* ---- answers ------------------------------------------------------------- */

Test(otlp, answers_are_empty_on_full_success_and_partial_otherwise)
{
	char	*a;
	size_t	 len;

	cr_assert_not_null(a = otlp_answer(OTLP_JSON, 0, "", &len));
	cr_assert_str_eq(a, "{}");
	cJSON_free(a);
	cr_assert_not_null(a = otlp_answer(OTLP_PROTOBUF, 0, "", &len));
	cr_assert_eq(len, 0);
	cJSON_free(a);
	cr_assert_not_null(a = otlp_answer(OTLP_JSON, 2, "span x: \"q\"",
	    &len));
	cr_assert_str_eq(a, "{\"partialSuccess\":{\"rejectedSpans\":\"2\","
	    "\"errorMessage\":\"span x: \\\"q\\\"\"}}");
	cJSON_free(a);
	/* { 1: { 1: 2, 2: "m" } } */
	cr_assert_not_null(a = otlp_answer(OTLP_PROTOBUF, 2, "m", &len));
	cr_assert_eq(len, 7);
	cr_assert_eq(memcmp(a, "\x0a\x05\x08\x02\x12\x01m", 7), 0);
	cJSON_free(a);
	assert_no_leaks();
}
