/* test_rec.c — the ingest contract of DESIGN.md, one field at a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "conf.h"
#include "rec.h"
#include "utf8.h"
#include "leaks.h"

#define NOW_MS		1795688100000LL	/* 2026-11-26T10:15:00Z */
#define BASE		"{\"request_id\":\"r1\",\"source\":\"web\"," \
			"\"status\":\"success\",\"execution_time\":1.5"

static struct conf	 conf;

/*
 * A short command limit, and prices: gpt-4o-mini as in DESIGN.md, and
 * "half" at 500 nano-dollars per million tokens to see the rounding, and
 * "pricey" at $10000 per million, within the $1M limit of a price.
 */
static void
setup(void)
{
	char	 path[] = "/tmp/apimon-rec-XXXXXX", err[256];
	FILE	*f;
	int	 fd;

	fd = mkstemp(path);
	cr_assert_neq(fd, -1);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs("{\"ingest\": {\"command_max_chars\": 5},\n"
	    " \"prices\": {\"gpt-4o-mini\": {\"input_per_mtok\": 0.15, "
	    "\"output_per_mtok\": 0.60},\n"
	    "  \"half\": {\"input_per_mtok\": 0.0000005, "
	    "\"output_per_mtok\": 0},\n"
	    "  \"pricey\": {\"input_per_mtok\": 10000, "
	    "\"output_per_mtok\": 10000}}}", f);
	fclose(f);
	cr_assert_eq(conf_load(&conf, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
}

static void
teardown(void)
{
	conf_free(&conf);
}

TestSuite(rec, .init = setup, .fini = teardown);

/* BASE plus extra fields (without the leading comma), closed. */
static const char *
item(const char *extra)
{
	static char	 buf[16384];

	snprintf(buf, sizeof(buf), "%s%s%s}", BASE, *extra ? "," : "", extra);
	return buf;
}

/* n copies of ch, in a static buffer. */
static const char *
repeat(const char *unit, size_t n)
{
	static char	 buf[8][8192];
	static int	 next;
	char		*p = buf[next++ % 8];
	size_t		 i, ulen = strlen(unit);

	cr_assert_lt(n * ulen, sizeof(buf[0]));
	for (i = 0; i < n; i++)
		memcpy(p + i * ulen, unit, ulen);
	p[n * ulen] = '\0';
	return p;
}

/*
 * Parse json and validate it; the cJSON tree is gone before the caller
 * looks at r, so a record pointing into it is a use after free.
 */
static int
parse(const char *json, struct rec *r, struct rec_err *e)
{
	cJSON	*root;
	int	 rc;

	root = cJSON_Parse(json);
	cr_assert_not_null(root, "test JSON does not parse: %s", json);
	memset(e, 0, sizeof(*e));
	rc = rec_parse(root, &conf, NOW_MS, r, e);
	cJSON_Delete(root);
	return rc;
}

static void
accepts(const char *json, struct rec *r)
{
	struct rec_err	 e;

	cr_assert_eq(parse(json, r, &e), 0, "rejected (field \"%s\": %s): %s",
	    e.field, e.msg, json);
}

/* json fails on field, leaving r empty and nothing allocated. */
static void
rejects(const char *json, const char *field)
{
	struct rec	 r;
	struct rec_err	 e;

	if (parse(json, &r, &e) == 0) {
		rec_free(&r);
		cr_assert_fail("accepted: %s", json);
	}
	cr_assert_str_eq(e.field, field, "field \"%s\" (%s) for %s", e.field,
	    e.msg, json);
	cr_assert_neq(e.msg[0], '\0', "a message says why");
	cr_assert_null(r.buf, "nothing allocated on failure");
	cr_assert_null(r.request_id);
	assert_no_leaks();
}

/* ---- a minimal record ------------------------------------------------------ */

Test(rec, accepts_the_four_required_fields)
{
	struct rec	 r;

	accepts(item(""), &r);
	cr_assert_str_eq(r.request_id, "r1");
	cr_assert_str_eq(r.source, "web");
	cr_assert_str_eq(r.status, "success");
	cr_assert_eq(r.latency_us, 1500000);
	cr_assert_eq(r.ts_ms, NOW_MS, "timestamp defaults to time received");
	cr_assert_eq(r.received_ms, NOW_MS);
	cr_assert_null(r.user_id);
	cr_assert_null(r.command);
	cr_assert_null(r.model);
	cr_assert_null(r.provider);
	cr_assert_null(r.error);
	cr_assert_null(r.metadata);
	cr_assert_eq(r.ttft_us, -1);
	cr_assert_eq(r.input_tokens, -1);
	cr_assert_eq(r.output_tokens, -1);
	cr_assert_eq(r.tokens, 0);
	cr_assert_eq(r.cost_nusd, 0);
	cr_assert_eq(r.cost_source, REC_COST_NONE);
	rec_free(&r);
	cr_assert_null(r.buf, "rec_free zeroes the record");
	rec_free(&r);	/* a zeroed record may be freed again */
}

Test(rec, accepts_every_field)
{
	struct rec	 r;

	accepts("{\"request_id\":\"abc-123\",\"source\":\"telegram\","
	    "\"status\":\"error\",\"execution_time\":2.25,\"user_id\":\"u7\","
	    "\"command\":\"/ask\",\"tokens_used\":30,\"cost\":0.002,"
	    "\"timestamp\":\"2026-11-26T10:00:00Z\",\"model\":\"gpt-4o-mini\","
	    "\"provider\":\"openai\",\"input_tokens\":10,\"output_tokens\":20,"
	    "\"time_to_first_token\":0.5,\"error\":\"upstream 502\","
	    "\"metadata\":{\"chat\":42}}", &r);
	cr_assert_str_eq(r.request_id, "abc-123");
	cr_assert_str_eq(r.source, "telegram");
	cr_assert_str_eq(r.status, "error");
	cr_assert_eq(r.latency_us, 2250000);
	cr_assert_str_eq(r.user_id, "u7");
	cr_assert_str_eq(r.command, "/ask");
	cr_assert_eq(r.tokens, 30);
	cr_assert_eq(r.cost_nusd, 2000000);
	cr_assert_eq(r.cost_source, REC_COST_REPORTED);
	cr_assert_eq(r.ts_ms, NOW_MS - 15 * 60 * 1000);
	cr_assert_str_eq(r.model, "gpt-4o-mini");
	cr_assert_str_eq(r.provider, "openai");
	cr_assert_eq(r.input_tokens, 10);
	cr_assert_eq(r.output_tokens, 20);
	cr_assert_eq(r.ttft_us, 500000);
	cr_assert_str_eq(r.error, "upstream 502");
	cr_assert_str_eq(r.metadata, "{\"chat\":42}");
	rec_free(&r);
}

Test(rec, ignores_unknown_fields)
{
	struct rec	 r;

	accepts(item("\"colour\":\"blue\",\"REQUEST_ID\":7,\"extra\":{}"), &r);
	cr_assert_str_eq(r.request_id, "r1");
	rec_free(&r);
}

Test(rec, null_optional_fields_are_absent)
{
	struct rec	 r;

	accepts(item("\"user_id\":null,\"command\":null,\"tokens_used\":null,"
	    "\"cost\":null,\"timestamp\":null,\"model\":null,"
	    "\"provider\":null,\"input_tokens\":null,\"output_tokens\":null,"
	    "\"time_to_first_token\":null,\"error\":null,\"metadata\":null"),
	    &r);
	cr_assert_null(r.user_id);
	cr_assert_null(r.metadata);
	cr_assert_eq(r.ts_ms, NOW_MS);
	cr_assert_eq(r.tokens, 0);
	cr_assert_eq(r.ttft_us, -1);
	cr_assert_eq(r.cost_source, REC_COST_NONE);
	rec_free(&r);
}

Test(rec, rejects_an_item_that_is_not_an_object)
{
	rejects("[1,2]", "");
	rejects("\"web\"", "");
	rejects("null", "");
}

/* ---- required fields ---------------------------------------------------------- */

Test(rec, rejects_missing_request_id)
{
	rejects("{\"source\":\"web\",\"status\":\"success\","
	    "\"execution_time\":1}", "request_id");
}

Test(rec, rejects_missing_source)
{
	rejects("{\"request_id\":\"r\",\"status\":\"success\","
	    "\"execution_time\":1}", "source");
}

Test(rec, rejects_missing_status)
{
	rejects("{\"request_id\":\"r\",\"source\":\"web\","
	    "\"execution_time\":1}", "status");
}

Test(rec, rejects_missing_execution_time)
{
	rejects("{\"request_id\":\"r\",\"source\":\"web\","
	    "\"status\":\"success\"}", "execution_time");
}

Test(rec, rejects_null_for_a_required_field)
{
	rejects("{\"request_id\":null,\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", "request_id");
}

/* ---- request_id --------------------------------------------------------------- */

Test(rec, rejects_empty_request_id)
{
	rejects("{\"request_id\":\"\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", "request_id");
}

Test(rec, rejects_numeric_request_id)
{
	rejects("{\"request_id\":42,\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", "request_id");
}

Test(rec, accepts_request_id_of_128_characters)
{
	struct rec	 r;
	char		 json[1024];

	snprintf(json, sizeof(json), "{\"request_id\":\"%s\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", repeat("a", 128));
	accepts(json, &r);
	cr_assert_eq(strlen(r.request_id), 128);
	rec_free(&r);
}

Test(rec, rejects_request_id_of_129_characters)
{
	char	 json[1024];

	snprintf(json, sizeof(json), "{\"request_id\":\"%s\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", repeat("a", 129));
	rejects(json, "request_id");
}

Test(rec, request_id_limit_counts_characters_not_bytes)
{
	struct rec	 r;
	char		 json[1024];

	snprintf(json, sizeof(json), "{\"request_id\":\"%s\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", repeat("é", 128));
	accepts(json, &r);
	cr_assert_eq(strlen(r.request_id), 256);
	rec_free(&r);
}

/* ---- source ------------------------------------------------------------------------ */

static const char *
with_source(const char *source)
{
	static char	 buf[256];

	snprintf(buf, sizeof(buf), "{\"request_id\":\"r\",\"source\":\"%s\","
	    "\"status\":\"success\",\"execution_time\":1}", source);
	return buf;
}

Test(rec, accepts_source_with_digits_underscore_and_dash)
{
	struct rec	 r;

	accepts(with_source("tg_bot-2"), &r);
	cr_assert_str_eq(r.source, "tg_bot-2");
	rec_free(&r);
}

Test(rec, accepts_source_of_32_characters)
{
	struct rec	 r;

	accepts(with_source(repeat("s", 32)), &r);
	rec_free(&r);
}

Test(rec, rejects_source_of_33_characters)
{
	rejects(with_source(repeat("s", 33)), "source");
}

Test(rec, stores_a_source_in_any_letter_case_lower_cased)
{
	struct rec	 r;

	accepts(with_source("WeChat_Bot-2"), &r);
	cr_assert_str_eq(r.source, "wechat_bot-2");
	rec_free(&r);
}

Test(rec, rejects_source_with_space)
{
	rejects(with_source("my bot"), "source");
}

Test(rec, rejects_non_ascii_source)
{
	rejects(with_source("wéb"), "source");
}

Test(rec, rejects_empty_source)
{
	rejects(with_source(""), "source");
}

/* ---- status --------------------------------------------------------------------------- */

Test(rec, accepts_each_status)
{
	static const char *const st[] = { "success", "error", "timeout",
	    "rate_limited" };
	struct rec	 r;
	char		 json[256];
	size_t		 i;

	for (i = 0; i < 4; i++) {
		snprintf(json, sizeof(json), "{\"request_id\":\"r\","
		    "\"source\":\"web\",\"status\":\"%s\","
		    "\"execution_time\":1}", st[i]);
		accepts(json, &r);
		cr_assert_str_eq(r.status, st[i]);
		rec_free(&r);
	}
}

Test(rec, rejects_unknown_status)
{
	rejects("{\"request_id\":\"r\",\"source\":\"web\",\"status\":\"ok\","
	    "\"execution_time\":1}", "status");
	rejects("{\"request_id\":\"r\",\"source\":\"web\","
	    "\"status\":\"Success\",\"execution_time\":1}", "status");
}

Test(rec, rejects_non_string_status)
{
	rejects("{\"request_id\":\"r\",\"source\":\"web\",\"status\":1,"
	    "\"execution_time\":1}", "status");
}

/* ---- execution_time ----------------------------------------------------------------------- */

static const char *
with_latency(const char *v)
{
	static char	 buf[256];

	snprintf(buf, sizeof(buf), "{\"request_id\":\"r\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":%s}", v);
	return buf;
}

static int64_t
latency_of(const char *v)
{
	struct rec	 r;
	int64_t		 us;

	accepts(with_latency(v), &r);
	us = r.latency_us;
	rec_free(&r);
	return us;
}

Test(rec, accepts_zero_execution_time)
{
	cr_assert_eq(latency_of("0"), 0);
}

Test(rec, accepts_execution_time_of_a_day)
{
	cr_assert_eq(latency_of("86400"), 86400000000LL);
}

Test(rec, rejects_execution_time_above_a_day)
{
	rejects(with_latency("86400.001"), "execution_time");
}

Test(rec, rejects_negative_execution_time)
{
	rejects(with_latency("-0.5"), "execution_time");
}

Test(rec, rejects_string_execution_time)
{
	rejects(with_latency("\"1.5\""), "execution_time");
}

/* cJSON turns 1e999 into infinity (strtod), which is no latency. */
Test(rec, rejects_infinite_execution_time)
{
	cJSON	*n = cJSON_Parse("1e999");

	cr_assert_not_null(n);
	cr_assert(isinf(n->valuedouble), "cJSON parses 1e999 as inf");
	cJSON_Delete(n);
	rejects(with_latency("1e999"), "execution_time");
}

/*
 * Latency is rounded to the nearest microsecond, half away from zero
 * (llround).  1.0000005 * 1e6 is 1000000.5000000001 as a double, so
 * 1000001; 0.0000025 * 1e6 is exactly 2.5, so 3, not banker's 2.
 */
Test(rec, execution_time_rounds_to_nearest_microsecond)
{
	cr_assert_eq(latency_of("1.0000005"), 1000001);
	cr_assert_eq(latency_of("1.0000004999"), 1000000);
	cr_assert_eq(latency_of("0.0000025"), 3);
	cr_assert_eq(latency_of("0.123456"), 123456);
}

/* ---- command --------------------------------------------------------------------------------- */

static const char *
command_of(const char *json_value, struct rec *r)
{
	char	 extra[512];

	snprintf(extra, sizeof(extra), "\"command\":%s", json_value);
	accepts(item(extra), r);
	return r->command;
}

Test(rec, keeps_a_short_command)
{
	struct rec	 r;

	cr_assert_str_eq(command_of("\"/ask\"", &r), "/ask");
	rec_free(&r);
}

Test(rec, keeps_a_command_of_exactly_the_limit)
{
	struct rec	 r;

	cr_assert_str_eq(command_of("\"héllo\"", &r), "héllo");
	rec_free(&r);
}

Test(rec, cuts_command_to_max_chars_not_bytes_and_shows_an_ellipsis)
{
	struct rec	 r;

	cr_assert_str_eq(command_of("\"héllo wörld\"", &r), "héll…");
	cr_assert_eq(utf8_len(r.command, strlen(r.command)), 5,
	    "the limit counts the ellipsis");
	rec_free(&r);
	cr_assert_str_eq(command_of("\"héllo!\"", &r), "héll…",
	    "one character over the limit");
	rec_free(&r);
}

Test(rec, cuts_command_of_emoji_between_characters)
{
	struct rec	 r;

	cr_assert_str_eq(command_of("\"😀😁😂🤣😃😄😅\"", &r), "😀😁😂🤣…");
	cr_assert_eq(strlen(r.command), 19);
	rec_free(&r);
	cr_assert_str_eq(command_of("\"ab\\ud83d\\ude00cdef\"", &r),
	    "ab😀c…", "an escaped surrogate pair is one character");
	rec_free(&r);
	cr_assert_str_eq(command_of("\"總結一下今天的對話\"", &r), "總結一下…");
	rec_free(&r);
}

Test(rec, accepts_empty_command)
{
	struct rec	 r;

	cr_assert_str_eq(command_of("\"\"", &r), "");
	rec_free(&r);
}

Test(rec, rejects_non_string_command)
{
	rejects(item("\"command\":[\"/ask\"]"), "command");
}

/* ---- invalid UTF-8 (raw bytes cJSON passes through) ------------------------------------------ */

Test(rec, rejects_invalid_utf8_in_command)
{
	rejects(item("\"command\":\"ab\xff" "cd\""), "command");
}

Test(rec, rejects_invalid_utf8_in_request_id)
{
	rejects("{\"request_id\":\"r\xc0\x80\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1}", "request_id");
}

Test(rec, rejects_invalid_utf8_in_user_id)
{
	rejects(item("\"user_id\":\"\xed\xa0\x80\""), "user_id");
}

Test(rec, rejects_invalid_utf8_in_error)
{
	rejects(item("\"error\":\"bad \xe2\x82\""), "error");
}

Test(rec, rejects_invalid_utf8_in_metadata)
{
	rejects(item("\"metadata\":{\"k\":\"\xf4\x90\x80\x80\"}"), "metadata");
}

/* ---- tokens ------------------------------------------------------------------------------------ */

Test(rec, tokens_default_to_input_plus_output)
{
	struct rec	 r;

	accepts(item("\"input_tokens\":100,\"output_tokens\":23"), &r);
	cr_assert_eq(r.input_tokens, 100);
	cr_assert_eq(r.output_tokens, 23);
	cr_assert_eq(r.tokens, 123);
	rec_free(&r);
	accepts(item("\"output_tokens\":23"), &r);
	cr_assert_eq(r.input_tokens, -1, "absent stays absent");
	cr_assert_eq(r.tokens, 23);
	rec_free(&r);
}

Test(rec, tokens_used_wins_over_the_sum)
{
	struct rec	 r;

	accepts(item("\"tokens_used\":500,\"input_tokens\":100,"
	    "\"output_tokens\":23"), &r);
	cr_assert_eq(r.tokens, 500);
	rec_free(&r);
}

Test(rec, accepts_tokens_up_to_1e12)
{
	struct rec	 r;

	accepts(item("\"tokens_used\":1000000000000"), &r);
	cr_assert_eq(r.tokens, 1000000000000LL);
	rec_free(&r);
	accepts(item("\"tokens_used\":0"), &r);
	cr_assert_eq(r.tokens, 0);
	rec_free(&r);
}

Test(rec, rejects_tokens_above_1e12)
{
	rejects(item("\"tokens_used\":1000000000001"), "tokens_used");
}

Test(rec, rejects_fractional_tokens_used)
{
	rejects(item("\"tokens_used\":1.5"), "tokens_used");
}

Test(rec, rejects_negative_tokens_used)
{
	rejects(item("\"tokens_used\":-1"), "tokens_used");
}

Test(rec, rejects_string_tokens_used)
{
	rejects(item("\"tokens_used\":\"10\""), "tokens_used");
}

Test(rec, rejects_bad_input_and_output_tokens)
{
	rejects(item("\"input_tokens\":-5"), "input_tokens");
	rejects(item("\"output_tokens\":2.5"), "output_tokens");
	rejects(item("\"output_tokens\":true"), "output_tokens");
}

/* ---- cost ---------------------------------------------------------------------------------------- */

static int64_t
reported_cost(const char *v)
{
	struct rec	 r;
	char		 extra[128];
	int64_t		 nusd;

	snprintf(extra, sizeof(extra), "\"cost\":%s", v);
	accepts(item(extra), &r);
	cr_assert_eq(r.cost_source, REC_COST_REPORTED);
	nusd = r.cost_nusd;
	rec_free(&r);
	return nusd;
}

Test(rec, cost_is_nano_dollars)
{
	cr_assert_eq(reported_cost("0.1"), 100000000);
	cr_assert_eq(reported_cost("0.002"), 2000000);
	cr_assert_eq(reported_cost("1000000"), 1000000000000000LL);
}

Test(rec, cost_rounds_half_away_from_zero)
{
	cr_assert_eq(reported_cost("0.0000000015"), 2);
	cr_assert_eq(reported_cost("0.0000000025"), 3);
	cr_assert_eq(reported_cost("0.0000000014"), 1);
}

Test(rec, zero_cost_is_reported_not_absent)
{
	cr_assert_eq(reported_cost("0"), 0);
}

Test(rec, rejects_negative_cost)
{
	rejects(item("\"cost\":-0.01"), "cost");
}

Test(rec, rejects_cost_above_a_million_dollars)
{
	rejects(item("\"cost\":1000000.01"), "cost");
}

Test(rec, rejects_string_cost)
{
	rejects(item("\"cost\":\"0.1\""), "cost");
}

Test(rec, reported_cost_wins_over_the_price)
{
	struct rec	 r;

	accepts(item("\"model\":\"gpt-4o-mini\",\"input_tokens\":1000,"
	    "\"cost\":0.5"), &r);
	cr_assert_eq(r.cost_source, REC_COST_REPORTED);
	cr_assert_eq(r.cost_nusd, 500000000);
	rec_free(&r);
}

/* 1000 * 0.15 + 500 * 0.60 USD/Mtok = 0.00045 USD = 450000 nano-dollars */
Test(rec, absent_cost_of_priced_model_is_computed)
{
	struct rec	 r;

	accepts(item("\"model\":\"gpt-4o-mini\",\"input_tokens\":1000,"
	    "\"output_tokens\":500"), &r);
	cr_assert_eq(r.cost_source, REC_COST_PRICED);
	cr_assert_eq(r.cost_nusd, 450000);
	cr_assert_str_eq(rec_cost_source_name(r.cost_source), "priced");
	rec_free(&r);
}

Test(rec, priced_cost_with_output_tokens_only)
{
	struct rec	 r;

	accepts(item("\"model\":\"gpt-4o-mini\",\"output_tokens\":1"), &r);
	cr_assert_eq(r.cost_source, REC_COST_PRICED);
	cr_assert_eq(r.cost_nusd, 600);
	rec_free(&r);
}

/* "half" costs 500 nano-dollars per million: 1000 tokens = 0.5 nUSD. */
Test(rec, priced_cost_rounds_half_up)
{
	struct rec	 r;

	accepts(item("\"model\":\"half\",\"input_tokens\":1000"), &r);
	cr_assert_eq(r.cost_nusd, 1);
	rec_free(&r);
	accepts(item("\"model\":\"half\",\"input_tokens\":999"), &r);
	cr_assert_eq(r.cost_nusd, 0);
	cr_assert_eq(r.cost_source, REC_COST_PRICED);
	rec_free(&r);
}

/*
 * 1e12 tokens (the limit) at $10000/Mtok is $1e10: 1e19 nano-dollars do
 * not fit int64.  The record may be rejected, but never stored with a
 * wrapped, negative cost.
 */
Test(rec, priced_cost_never_wraps_negative)
{
	struct rec	 r;
	struct rec_err	 e;
	int64_t		 cost;

	if (parse(item("\"model\":\"pricey\",\"input_tokens\":1000000000000"),
	    &r, &e) != 0)
		return;
	cost = r.cost_nusd;
	rec_free(&r);
	cr_assert_geq(cost, 0, "cost %lld", (long long)cost);
}

Test(rec, unpriced_model_has_no_cost)
{
	struct rec	 r;

	accepts(item("\"model\":\"claude-x\",\"input_tokens\":1000,"
	    "\"output_tokens\":500"), &r);
	cr_assert_eq(r.cost_source, REC_COST_NONE);
	cr_assert_eq(r.cost_nusd, 0);
	cr_assert_str_eq(rec_cost_source_name(r.cost_source), "none");
	rec_free(&r);
}

Test(rec, price_lookup_is_case_sensitive)
{
	struct rec	 r;

	accepts(item("\"model\":\"GPT-4o-mini\",\"input_tokens\":1000"), &r);
	cr_assert_eq(r.cost_source, REC_COST_NONE);
	rec_free(&r);
}

Test(rec, cost_source_names)
{
	cr_assert_str_eq(rec_cost_source_name(REC_COST_REPORTED), "reported");
	cr_assert_str_eq(rec_cost_source_name(REC_COST_PRICED), "priced");
	cr_assert_str_eq(rec_cost_source_name(REC_COST_NONE), "none");
}

/* ---- timestamp ------------------------------------------------------------------------------------ */

static const char *
with_ts(const char *v)
{
	static char	 buf[256];

	snprintf(buf, sizeof(buf), "{\"request_id\":\"r\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1,\"timestamp\":%s}", v);
	return buf;
}

static int64_t
ts_of(const char *v)
{
	struct rec	 r;
	int64_t		 ms;

	accepts(with_ts(v), &r);
	ms = r.ts_ms;
	cr_assert_eq(r.received_ms, NOW_MS);
	rec_free(&r);
	return ms;
}

Test(rec, timestamp_rfc3339_utc)
{
	cr_assert_eq(ts_of("\"2026-11-26T10:15:00Z\""), NOW_MS);
}

Test(rec, timestamp_with_offset_plus_0800)
{
	cr_assert_eq(ts_of("\"2026-11-26T18:15:00+08:00\""), NOW_MS);
}

Test(rec, timestamp_with_offset_minus_0530)
{
	cr_assert_eq(ts_of("\"2026-11-26T04:45:00-05:30\""), NOW_MS);
}

Test(rec, timestamp_fraction_is_truncated_to_ms)
{
	cr_assert_eq(ts_of("\"2026-11-26T10:14:59.123999Z\""),
	    NOW_MS - 1000 + 123);
}

Test(rec, timestamp_as_unix_seconds)
{
	cr_assert_eq(ts_of("1795688100"), NOW_MS);
	cr_assert_eq(ts_of("1795688000.25"), NOW_MS - 100000 + 250);
}

Test(rec, timestamp_up_to_five_minutes_ahead_is_accepted)
{
	cr_assert_eq(ts_of("\"2026-11-26T10:20:00Z\""), NOW_MS + 300000);
}

Test(rec, rejects_timestamp_more_than_five_minutes_ahead)
{
	rejects(with_ts("\"2026-11-26T10:20:00.001Z\""), "timestamp");
	rejects(with_ts("1795688401"), "timestamp");
}

Test(rec, accepts_timestamp_of_2000_01_01)
{
	cr_assert_eq(ts_of("\"2000-01-01T00:00:00Z\""), 946684800000LL);
}

Test(rec, rejects_timestamp_before_2000)
{
	rejects(with_ts("\"1999-12-31T23:59:59Z\""), "timestamp");
	rejects(with_ts("946684799"), "timestamp");
	rejects(with_ts("0"), "timestamp");
	rejects(with_ts("-1"), "timestamp");
}

Test(rec, rejects_timestamp_in_milliseconds)
{
	rejects(with_ts("1795688100000"), "timestamp");
}

Test(rec, accepts_leap_day_of_a_leap_year)
{
	cr_assert_eq(ts_of("\"2024-02-29T00:00:00Z\""), 1709164800000LL);
}

Test(rec, rejects_malformed_timestamps)
{
	rejects(with_ts("\"2026-13-01T00:00:00Z\""), "timestamp");
	rejects(with_ts("\"2026-02-29T00:00:00Z\""), "timestamp");
	rejects(with_ts("\"2026-11-26T10:15:00\""), "timestamp");
	rejects(with_ts("\"2026-11-26\""), "timestamp");
	rejects(with_ts("\"yesterday\""), "timestamp");
	rejects(with_ts("\"\""), "timestamp");
}

Test(rec, rejects_timestamp_of_other_types)
{
	rejects(with_ts("true"), "timestamp");
	rejects(with_ts("[1795688100]"), "timestamp");
	rejects(with_ts("1e999"), "timestamp");
}

/* ---- model, provider, user_id, error -------------------------------------------------------------- */

static const char *
with_string(const char *name, const char *value)
{
	static char	 buf[4096];

	snprintf(buf, sizeof(buf), "%s,\"%s\":\"%s\"}", BASE, name, value);
	return buf;
}

Test(rec, accepts_model_and_provider_of_64_characters)
{
	struct rec	 r;

	accepts(with_string("model", repeat("m", 64)), &r);
	cr_assert_eq(strlen(r.model), 64);
	rec_free(&r);
	accepts(with_string("provider", repeat("p", 64)), &r);
	cr_assert_eq(strlen(r.provider), 64);
	rec_free(&r);
}

Test(rec, rejects_model_of_65_characters)
{
	rejects(with_string("model", repeat("m", 65)), "model");
}

Test(rec, rejects_provider_of_65_characters)
{
	rejects(with_string("provider", repeat("p", 65)), "provider");
}

Test(rec, rejects_non_string_model)
{
	rejects(item("\"model\":4"), "model");
}

Test(rec, user_id_is_at_most_128_characters)
{
	struct rec	 r;

	accepts(with_string("user_id", repeat("u", 128)), &r);
	rec_free(&r);
	rejects(with_string("user_id", repeat("u", 129)), "user_id");
}

Test(rec, error_is_at_most_500_characters)
{
	struct rec	 r;

	accepts(with_string("error", repeat("e", 500)), &r);
	cr_assert_eq(strlen(r.error), 500);
	rec_free(&r);
	rejects(with_string("error", repeat("e", 501)), "error");
}

/* ---- time_to_first_token ----------------------------------------------------------------------------- */

Test(rec, time_to_first_token_in_microseconds)
{
	struct rec	 r;

	accepts(item("\"time_to_first_token\":0.25"), &r);
	cr_assert_eq(r.ttft_us, 250000);
	rec_free(&r);
	accepts(item("\"time_to_first_token\":0"), &r);
	cr_assert_eq(r.ttft_us, 0, "0 is a value, not absent");
	rec_free(&r);
}

Test(rec, rejects_bad_time_to_first_token)
{
	rejects(item("\"time_to_first_token\":-0.1"), "time_to_first_token");
	rejects(item("\"time_to_first_token\":86401"), "time_to_first_token");
	rejects(item("\"time_to_first_token\":\"fast\""),
	    "time_to_first_token");
}

/* ---- metadata ------------------------------------------------------------------------------------------ */

Test(rec, metadata_is_stored_as_compact_json)
{
	struct rec	 r;

	accepts(item("\"metadata\": { \"a\" : 1, \"b\" : [ 1, 2 ],\n"
	    " \"c\" : { \"d\" : \"x y\" } }"), &r);
	cr_assert_str_eq(r.metadata,
	    "{\"a\":1,\"b\":[1,2],\"c\":{\"d\":\"x y\"}}");
	rec_free(&r);
	accepts(item("\"metadata\":{}"), &r);
	cr_assert_str_eq(r.metadata, "{}");
	rec_free(&r);
}

Test(rec, rejects_metadata_that_is_not_an_object)
{
	rejects(item("\"metadata\":[1]"), "metadata");
	rejects(item("\"metadata\":\"{}\""), "metadata");
	rejects(item("\"metadata\":1"), "metadata");
}

/* {"k":"…"} is 8 bytes plus the value. */
Test(rec, accepts_metadata_of_4096_bytes)
{
	struct rec	 r;
	char		 extra[8192];

	snprintf(extra, sizeof(extra), "\"metadata\":{\"k\":\"%s\"}",
	    repeat("x", 4096 - 8));
	accepts(item(extra), &r);
	cr_assert_eq(strlen(r.metadata), 4096);
	rec_free(&r);
}

Test(rec, rejects_metadata_of_4097_bytes)
{
	char	 extra[8192];

	snprintf(extra, sizeof(extra), "\"metadata\":{\"k\":\"%s\"}",
	    repeat("x", 4097 - 8));
	rejects(item(extra), "metadata");
}

Test(rec, metadata_limit_is_measured_compact)
{
	struct rec	 r;
	char		 extra[12288];

	/* 4096 compact bytes, padded with white space the limit ignores. */
	snprintf(extra, sizeof(extra), "\"metadata\":{%s\"k\"%s:%s\"%s\"}",
	    repeat(" ", 1000), repeat(" ", 1000), repeat(" ", 1000),
	    repeat("x", 4096 - 8));
	accepts(item(extra), &r);
	cr_assert_eq(strlen(r.metadata), 4096);
	rec_free(&r);
}

/* ---- failures -------------------------------------------------------------------------------------------- */

Test(rec, failure_names_the_first_bad_field)
{
	rejects(item("\"cost\":-1,\"model\":4"), "cost");
}

Test(rec, failure_after_metadata_leaks_nothing)
{
	/* pack() is never reached, but metadata was printed already. */
	rejects(item("\"user_id\":\"u\",\"metadata\":{\"a\":[1,2,3]},"
	    "\"error\":\"" "\xff" "\""), "error");
	rejects(item("\"command\":\"héllo wörld\",\"metadata\":{\"k\":\"v\"}, "
	    "\"time_to_first_token\":-1"), "time_to_first_token");
}

Test(rec, strings_are_copied_out_of_the_json_tree)
{
	struct rec	 r;
	struct rec_err	 e;
	cJSON		*root;

	root = cJSON_Parse(item("\"user_id\":\"u1\",\"model\":\"m\","
	    "\"metadata\":{\"x\":1}"));
	cr_assert_not_null(root);
	cr_assert_eq(rec_parse(root, &conf, NOW_MS, &r, &e), 0, "%s", e.msg);
	cJSON_Delete(root);
	cr_assert_str_eq(r.request_id, "r1");
	cr_assert_str_eq(r.user_id, "u1");
	cr_assert_str_eq(r.model, "m");
	cr_assert_str_eq(r.metadata, "{\"x\":1}");
	rec_free(&r);
	assert_no_leaks();
}

/* ---- duplicate keys: first-wins would be a silent choice ------------------ */

Test(rec, rejects_a_field_given_twice)
{
	rejects(item("\"cost\":1,\"cost\":2"), "cost");
	rejects(item("\"request_id\":\"r2\""), "request_id");
	rejects(item("\"status\":\"error\""), "status");
}

Test(rec, rejects_an_unknown_field_given_twice)
{
	rejects(item("\"junk\":1,\"x\":0,\"junk\":1"), "junk");
}

Test(rec, rejects_a_duplicate_key_inside_metadata_naming_metadata)
{
	rejects(item("\"metadata\":{\"a\":1,\"a\":2}"), "metadata");
	rejects(item("\"metadata\":{\"a\":[{\"b\":1,\"c\":{\"d\":1,\"d\":1}}]}"),
	    "metadata");
	rejects(item("\"other\":[{\"k\":1,\"k\":2}]"), "other");
}

Test(rec, names_the_duplicate_key_in_the_message)
{
	struct rec	 r;
	struct rec_err	 e;

	cr_assert_eq(parse(item("\"metadata\":{\"zz\":1,\"zz\":2}"), &r, &e), -1);
	cr_assert_not_null(strstr(e.msg, "duplicate key \"zz\""), "%s", e.msg);
}

/* A long key fits the field and the message cut on character boundaries. */
Test(rec, cuts_a_long_duplicate_key_on_character_boundaries)
{
	char		 json[1024], key[256] = "";
	struct rec	 r;
	struct rec_err	 e;
	int		 i;

	for (i = 0; i < 100; i++)
		strcat(key, "é");
	snprintf(json, sizeof(json), BASE ",\"%s\":1,\"%s\":2}", key, key);
	cr_assert_eq(parse(json, &r, &e), -1);
	cr_assert_geq(utf8_len(e.field, strlen(e.field)), 1);
	cr_assert_leq(strlen(e.field), sizeof(e.field) - 1);
	cr_assert_geq(utf8_len(e.msg, strlen(e.msg)), 1);
	assert_no_leaks();
}

Test(rec, the_same_key_in_different_objects_is_fine)
{
	struct rec	 r;

	accepts(item("\"metadata\":{\"a\":{\"x\":1},\"b\":{\"x\":1}},\"x\":1"),
	    &r);
	rec_free(&r);
}
