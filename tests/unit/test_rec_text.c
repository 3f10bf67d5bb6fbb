/* test_rec_text.c — records straight from their text, against rec_parse(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "conf.h"
#include "rec.h"

#define NOW_MS	1795688100000LL	/* 2026-11-26T10:15:00Z */
#define BASE	"{\"request_id\":\"r1\",\"source\":\"web\"," \
		"\"status\":\"success\",\"execution_time\":1.5"

static struct conf	 conf = { .ingest = { .command_max_chars = 200,
    .max_batch = 1000, .max_body_bytes = 1048576 } };

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Parse text both ways: the fast path must take it and agree. */
static void
fast(const char *text, struct rec *out)
{
	struct rec	 a, b;
	struct rec_err	 e, f;
	cJSON		*root = cJSON_Parse(text);
	size_t		 end = 0;
	enum rec_text	 t;
	int		 rc;

	cr_assert_not_null(root, "%s", text);
	rc = rec_parse(root, &conf, NOW_MS, &b, &f);
	cJSON_Delete(root);
	t = rec_parse_text(text, strlen(text), &end, &conf, NOW_MS, &a, &e);
	cr_assert_neq(t, REC_TEXT_SLOW, "slow: %s", text);
	cr_assert_eq(end, strlen(text), "%s", text);
	if (rc != 0) {
		cr_assert_eq(t, REC_TEXT_BAD, "%s", text);
		cr_assert_str_eq(e.field, f.field);
		cr_assert_str_eq(e.msg, f.msg);
		return;
	}
	cr_assert_eq(t, REC_TEXT_OK, "%s: %s %s", text, e.field, e.msg);
	cr_assert(str_eq(a.request_id, b.request_id) &&
	    str_eq(a.source, b.source) && str_eq(a.command, b.command) &&
	    str_eq(a.user_id, b.user_id) && str_eq(a.model, b.model) &&
	    str_eq(a.error, b.error) && str_eq(a.provider, b.provider),
	    "%s", text);
	cr_assert(str_eq(a.metadata, b.metadata), "%s: metadata %s, not %s",
	    text, a.metadata, b.metadata);
	cr_assert(a.ts_ms == b.ts_ms && a.latency_us == b.latency_us &&
	    a.ttft_us == b.ttft_us && a.tokens == b.tokens &&
	    a.input_tokens == b.input_tokens && a.cost_nusd == b.cost_nusd &&
	    a.cost_source == b.cost_source, "%s", text);
	rec_free(&b);
	if (out != NULL)
		*out = a;
	else
		rec_free(&a);
}

static void
slow(const char *text)
{
	struct rec	 r;
	struct rec_err	 e;
	size_t		 end;

	cr_assert_eq(rec_parse_text(text, strlen(text), &end, &conf, NOW_MS,
	    &r, &e), REC_TEXT_SLOW, "%s", text);
	cr_assert_null(r.buf);
}

Test(rec_text, the_records_clients_send_take_the_fast_path)
{
	struct rec	 r;

	fast(BASE "}", NULL);
	/* bench/ingest/post.lua and apimon-simulate. */
	fast("{\"request_id\":\"wrk-x-1-2\",\"source\":\"web\",\"user_id\":"
	    "\"user-2\",\"command\":\"/ask summarise\",\"status\":\"success\","
	    "\"execution_time\":0.400,\"time_to_first_token\":0.070,"
	    "\"model\":\"gpt-4o\",\"provider\":\"openai\",\"input_tokens\":274,"
	    "\"output_tokens\":76,\"tokens_used\":350,\"cost\":0.000086,"
	    "\"timestamp\":\"2026-11-26T10:00:00Z\",\"metadata\":{\"chat_id\":"
	    "100002,\"client\":\"wrk\"},\"error\":\"500 internal\"}", &r);
	cr_assert_str_eq(r.metadata, "{\"chat_id\":100002,\"client\":\"wrk\"}");
	rec_free(&r);
	fast("{\"request_id\":\"sim-1-7\",\"source\":\"wechat\",\"status\":"
	    "\"success\",\"execution_time\":2.5,\"command\":\"Translate to "
	    "French: \\\"The meeting\\\"\",\"timestamp\":\"2026-11-25T00:35:52"
	    ".730Z\",\"metadata\":{\"stream\":true,\"group\":\"\xe5\xae\xb6\"}}",
	    &r);
	cr_assert_str_eq(r.command, "Translate to French: \"The meeting\"");
	rec_free(&r);
	/* White space anywhere; metadata compact as cJSON prints it. */
	fast("{\n\"request_id\" : \"r2\" ,\t\"source\":\"web\", \"status\""
	    ":\"error\",\"execution_time\":1,\"metadata\" : { \"a\" : [ 1 , "
	    "2.5 , -3 , true , null , { } , [ ] ] , \"s\" : \"q\\\"\\\\\\n\" "
	    "} }", &r);
	cr_assert_str_eq(r.metadata,
	    "{\"a\":[1,2.5,-3,true,null,{},[]],\"s\":\"q\\\"\\\\\\n\"}");
	rec_free(&r);
	/* Escapes in values, numbers of every form in known fields. */
	fast(BASE ",\"user_id\":\"\\u00e9\\ud83d\\ude00\\/x\",\"cost\":1e-3,"
	    "\"input_tokens\":1.0E2,\"timestamp\":1795688000.25,"
	    "\"time_to_first_token\":0.1}", NULL);
	fast(BASE ",\"cost\":0.1234567890123456789,\"tokens_used\":"
	    "12345678901234567890}", NULL);
	/* Unknown fields, nested, are skipped. */
	fast(BASE ",\"extra\":{\"x\":[{\"y\":1},{\"y\":2}]},\"more\":null}",
	    NULL);
	/* null is absent, as in rec_parse(). */
	fast(BASE ",\"model\":null,\"metadata\":null}", NULL);
}

Test(rec_text, contract_errors_are_the_same_as_rec_parse)
{
	fast("{}", NULL);
	fast("{\"request_id\":\"r\",\"source\":\"a b\"}", NULL);
	fast("{\"request_id\":\"r\",\"source\":\"w\",\"status\":5}", NULL);
	fast("{\"request_id\":\"r\",\"source\":\"w\",\"status\":\"error\","
	    "\"execution_time\":\"1\"}", NULL);
	fast(BASE ",\"metadata\":[1]}", NULL);
	fast(BASE ",\"metadata\":\"{}\"}", NULL);
	fast(BASE ",\"timestamp\":\"yesterday\"}", NULL);
	fast(BASE ",\"tokens_used\":-1}", NULL);
	fast(BASE ",\"input_tokens\":1.5}", NULL);
	fast(BASE ",\"cost\":1e400}", NULL);
	fast("{\"request_id\":\"\",\"source\":\"web\"}", NULL);
	fast(BASE ",\"model\":true}", NULL);
}

Test(rec_text, what_the_fast_path_leaves_to_the_slow_one)
{
	/* Not strict JSON. */
	slow(BASE ",}");
	slow(BASE ",\"x\":01}");
	slow(BASE ",\"x\":1.}");
	slow(BASE ",\"x\":tru}");
	slow(BASE ",\"x\":\"\\u0000\"}");
	slow(BASE ",\"x\":\"\\ud800\"}");
	slow(BASE ",\"x\":\"\xc0\xaf\"}");
	slow(BASE ",\"x\":\"a\tb\"}");
	slow(BASE);
	slow("[" BASE "}]");
	/* Keys given twice, anywhere; escaped keys. */
	slow(BASE ",\"source\":\"web\"}");
	slow(BASE ",\"x\":1,\"x\":2}");
	slow(BASE ",\"metadata\":{\"a\":1,\"a\":2}}");
	slow(BASE ",\"x\":[{\"a\":1,\"a\":2}]}");
	slow(BASE ",\"sourc\\u0065\":\"tg\"}");
	/* Metadata that cJSON prints otherwise than it is written. */
	slow(BASE ",\"metadata\":{\"a\":1.50}}");
	slow(BASE ",\"metadata\":{\"a\":1e3}}");
	slow(BASE ",\"metadata\":{\"a\":-0}}");
	slow(BASE ",\"metadata\":{\"a\":0.00001}}");
	slow(BASE ",\"metadata\":{\"a\":12345678901234567}}");
	slow(BASE ",\"metadata\":{\"a\":\"\\u00e9\"}}");
	slow(BASE ",\"metadata\":{\"a\":\"\\/\"}}");
	/* A time written longer than the checks copy. */
	slow(BASE ",\"timestamp\":\"2026-11-26T10:00:00.1234567890123456789"
	    "012345678901234567890123456789012345678901234567890Z\"}");
}

Test(rec_text, metadata_numbers_print_as_written_when_taken)
{
	static const char *const nums[] = { "0", "-1", "7", "100002",
	    "2147483647", "-2147483648", "2147483648", "123456789012345",
	    "-123456789012345", "0.5", "0.1", "0.0001", "-0.25", "3.14159",
	    "123.456", "99999999999999.9", "1.00000000000001", "0.3" };
	char		 text[256], want[128];
	struct rec	 r;
	size_t		 i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(text, sizeof(text), BASE ",\"metadata\":{\"n\":%s}}",
		    nums[i]);
		snprintf(want, sizeof(want), "{\"n\":%s}", nums[i]);
		fast(text, &r);
		cr_assert_str_eq(r.metadata, want);
		rec_free(&r);
	}
}

Test(rec_text, metadata_of_4096_bytes_compact_is_taken_and_4097_is_refused)
{
	char	*text = malloc(8192), *pad = malloc(4097);
	struct rec	 r;

	cr_assert(text != NULL && pad != NULL);
	/* {"k":"…"} is 8 bytes around the value. */
	memset(pad, 'x', 4088);
	pad[4088] = '\0';
	snprintf(text, 8192, BASE ",\"metadata\": { \"k\" : \"%s\" }}", pad);
	fast(text, &r);
	cr_assert_eq(strlen(r.metadata), 4096);
	rec_free(&r);
	pad[4088] = 'x';
	pad[4089] = '\0';
	snprintf(text, 8192, BASE ",\"metadata\": { \"k\" : \"%s\" }}", pad);
	fast(text, NULL);
	free(text);
	free(pad);
}
