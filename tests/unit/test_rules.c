/* test_rules.c — the alert rules of apimon-aggregate, one verdict at a time. */
#include <string.h>

#include <criterion/criterion.h>

#include "agg.h"
#include "fmt.h"
#include "money.h"
#include "utf8.h"

#ifndef APIMON_SHARE
#define APIMON_SHARE "."
#endif

static struct conf	 c;
static struct msg	*en, *zh;	/* the catalogues of the source tree */

static void
setup(void)
{
	char	 err[512];

	static struct conf_price	 price = { "gpt-4o-mini", 150000000,
	    600000000 };

	memset(&c, 0, sizeof(c));
	c.alerts.daily_cost_nusd = 10 * MONEY_NUSD_PER_USD;
	c.alerts.warn_ratio = 0.8;
	c.alerts.error_rate = 0.10;
	c.alerts.min_requests = 20;
	c.alerts.latency_p95_s = 2;
	c.prices = &price;
	c.nprices = 1;
	cr_assert_eq(msg_load(&en, APIMON_SHARE, "en", err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(msg_load(&zh, APIMON_SHARE, "zh-TW", err, sizeof(err)),
	    0, "%s", err);
	fmt_use_msg(en);
}

static void
teardown(void)
{
	msg_free(en);
	msg_free(zh);
}

TestSuite(rules, .init = setup, .fini = teardown);

static struct scope
all(int64_t requests, int64_t failures, double cost_usd)
{
	struct scope	 s;

	memset(&s, 0, sizeof(s));
	s.kind = SCOPE_ALL;
	s.name = "all";
	s.requests = requests;
	s.failures = failures;
	money_from_usd(cost_usd, &s.cost_nusd);
	return s;
}

Test(rules, cost_under_warn_ratio_is_clear_then_warning_then_critical)
{
	struct verdict	 v;
	struct scope	 s = all(1, 0, 7.99);

	rule_judge(&c, en, ALERT_DAILY_COST, &s, &v);
	cr_assert_eq(v.firing, 0);
	cr_assert_float_eq(v.value, 7.99, 1e-9);
	s = all(1, 0, 8.00);
	rule_judge(&c, en, ALERT_DAILY_COST, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING);
	cr_assert_str_eq(v.message, "daily cost $8.00 reached 80% of the $10.00 "
	    "limit");
	s = all(1, 0, 10.00);
	rule_judge(&c, en, ALERT_DAILY_COST, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_CRITICAL);
	cr_assert_str_eq(v.message, "daily cost $10.00 is over the $10.00 limit");
	cr_assert_float_eq(v.threshold, 10.0, 1e-9);
}

Test(rules, a_zero_threshold_turns_a_rule_off)
{
	struct verdict	 v;
	struct scope	 s = all(1000, 1000, 1e6);

	c.alerts.daily_cost_nusd = 0;
	c.alerts.error_rate = 0;
	c.alerts.latency_p95_s = 0;
	hist_add(&s.hist, 86400000000LL);
	rule_judge(&c, en, ALERT_DAILY_COST, &s, &v);
	cr_assert_eq(v.firing, 0);
	rule_judge(&c, en, ALERT_ERROR_RATE, &s, &v);
	cr_assert_eq(v.firing, 0);
	rule_judge(&c, en, ALERT_LATENCY_P95, &s, &v);
	cr_assert_eq(v.firing, 0);
}

Test(rules, error_rate_needs_min_requests_and_is_critical_past_twice)
{
	struct verdict	 v;
	struct scope	 s = all(19, 19, 0);

	rule_judge(&c, en, ALERT_ERROR_RATE, &s, &v);
	cr_assert_eq(v.firing, 0, "under min_requests");
	s = all(20, 2, 0);
	rule_judge(&c, en, ALERT_ERROR_RATE, &s, &v);
	cr_assert_eq(v.firing, 0, "exactly 10 %% is not over");
	s = all(20, 3, 0);
	rule_judge(&c, en, ALERT_ERROR_RATE, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING);
	cr_assert_str_eq(v.message, "error rate 15.0% (3 of 20 requests) is over "
	    "10.0%");
	s = all(20, 5, 0);
	rule_judge(&c, en, ALERT_ERROR_RATE, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_CRITICAL, "25 %% > 2 x 10 %%");
}

Test(rules, latency_p95_over_the_limit_warns)
{
	struct verdict	 v;
	struct scope	 s = all(100, 0, 0);
	int		 i;

	for (i = 0; i < 95; i++)
		hist_add(&s.hist, 1000000);
	for (i = 0; i < 5; i++)
		hist_add(&s.hist, 9000000);
	rule_judge(&c, en, ALERT_LATENCY_P95, &s, &v);
	cr_assert_eq(v.firing, 0, "p95 is 1 s: %f", v.value);
	hist_add(&s.hist, 9000000);
	rule_judge(&c, en, ALERT_LATENCY_P95, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING, "p95 %f", v.value);
	cr_assert_float_eq(v.value, 9.0, 9.0 * 0.021);
}

Test(rules, unpriced_names_each_case_it_sees)
{
	struct verdict	 v;
	struct scope	 s;

	memset(&s, 0, sizeof(s));
	s.kind = SCOPE_MODEL;
	s.name = "mystery";
	rule_judge(&c, en, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_eq(v.firing, 0, "no unpriced requests");
	s.unpriced = 3;
	rule_judge(&c, en, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING);
	cr_assert_str_eq(v.message, "3 requests for model \"mystery\" have "
	    "tokens but no reported cost, and the config has no price for it");
	s.name = "gpt-4o-mini";
	rule_judge(&c, en, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_str_eq(v.message, "3 requests for model \"gpt-4o-mini\" have "
	    "tokens but no cost: they give no input_tokens or output_tokens to "
	    "apply its price to");
	s.name = "";
	rule_judge(&c, en, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_str_eq(v.message, "3 requests with tokens name no model and "
	    "report no cost");
}

Test(rules, a_message_with_the_longest_names_is_whole_and_valid_utf8)
{
	struct msg	*cat[2] = { en, zh };
	struct verdict	 v;
	struct scope	 s;
	char		 name[REC_NAME_MAX_BYTES / 2 + 1];
	int		 i;

	/* 64 four-byte characters: the longest model name ingest takes. */
	for (i = 0; i < 64; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
	name[256] = '\0';
	memset(&s, 0, sizeof(s));
	s.kind = SCOPE_MODEL;
	s.name = name;
	s.unpriced = 1000000;
	/* In either language, the text is whole after the name too. */
	for (i = 0; i < 2; i++) {
		rule_judge(&c, cat[i], ALERT_UNPRICED_MODEL, &s, &v);
		cr_assert_not_null(strstr(v.message, name), "the whole name");
		cr_assert_not_null(strstr(v.message, i ? "價格" : "price for it"),
		    "the whole text: %s", v.message);
		cr_assert_geq(utf8_len(v.message, strlen(v.message)), 0);
	}
}

/* Every message in zh-TW: Chinese words, cost in US$, numbers as en. */
Test(rules, messages_speak_the_locale_and_write_cost_in_us_dollars)
{
	struct verdict	 v;
	struct scope	 s = all(1, 0, 8.00);
	int		 i;

	fmt_use_msg(zh);
	rule_judge(&c, zh, ALERT_DAILY_COST, &s, &v);
	cr_assert_str_eq(v.message, "每日費用 US$8.00 已達 US$10.00 上限的 80%");
	s = all(1, 0, 12345.678);
	rule_judge(&c, zh, ALERT_DAILY_COST, &s, &v);
	cr_assert_str_eq(v.message, "每日費用 US$12,345.68 已超過 US$10.00 的上限");
	cr_assert_null(strstr(v.message, "NT$"));
	s = all(2000, 300, 0);
	rule_judge(&c, zh, ALERT_ERROR_RATE, &s, &v);
	cr_assert_str_eq(v.message,
	    "錯誤率 15.0%（2,000 個請求中有 300 個失敗）超過 10.0%");
	s = all(100, 0, 0);
	for (i = 0; i < 100; i++)
		hist_add(&s.hist, 9000000);
	rule_judge(&c, zh, ALERT_LATENCY_P95, &s, &v);
	cr_assert(v.firing);
	cr_assert_not_null(strstr(v.message, "p95 響應時間"), "%s", v.message);
	cr_assert_not_null(strstr(v.message, "超過 2.00 秒"), "%s", v.message);
	memset(&s, 0, sizeof(s));
	s.kind = SCOPE_MODEL;
	s.name = "mystery";
	s.unpriced = 3;
	rule_judge(&c, zh, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_str_eq(v.message, "模型「mystery」有 3 個請求有 Token 數但沒有"
	    "回報費用，設定檔中也沒有這個模型的價格");
	s.name = "gpt-4o-mini";
	rule_judge(&c, zh, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_not_null(strstr(v.message, "沒有提供 input_tokens"), "%s",
	    v.message);
	s.name = "";
	rule_judge(&c, zh, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_str_eq(v.message, "3 個有 Token 數的請求沒有指明模型，也沒有回報"
	    "費用");
}

Test(rules, counts_and_amounts_are_grouped_by_thousands)
{
	struct verdict	 v;
	struct scope	 s = all(23456, 12345, 1234.5);

	rule_judge(&c, en, ALERT_ERROR_RATE, &s, &v);
	cr_assert_str_eq(v.message, "error rate 52.6% (12,345 of 23,456 "
	    "requests) is over 10.0%");
	rule_judge(&c, en, ALERT_DAILY_COST, &s, &v);
	cr_assert_str_eq(v.message, "daily cost $1,234.50 is over the $10.00 "
	    "limit");
}

/* How a scope reads on pages and in chats; the stored name is unchanged. */
Test(rules, scopes_read_as_words_of_the_locale)
{
	static const char *const want[][3] = {
		{ "all", "all", "全部" },
		{ "source:web", "source:web", "來源 web" },
		{ "model:gpt-4o", "model:gpt-4o", "模型 gpt-4o" },
		{ "model:", "model:", "無模型" },
		{ "more:source", "more:source", "其他來源" },
		{ "more:model", "more:model", "其他模型" },
		{ "more:other", "more:other", "more:other" },
	};
	struct buf	 b = { 0 };
	size_t		 i;
	int		 k;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		for (k = 0; k < 2; k++) {
			b.len = 0;
			alert_scope_text(k ? zh : en, want[i][0], &b);
			cr_assert_str_eq(b.p, want[i][k + 1], "%s", want[i][0]);
		}
	buf_free(&b);
}
