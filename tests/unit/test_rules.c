/* test_rules.c — the alert rules of apimon-aggregate, one verdict at a time. */
#include <string.h>

#include <criterion/criterion.h>

#include "agg.h"
#include "money.h"
#include "utf8.h"

static struct conf	 c;

static void
setup(void)
{
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
}

TestSuite(rules, .init = setup);

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

	rule_judge(&c, ALERT_DAILY_COST, &s, &v);
	cr_assert_eq(v.firing, 0);
	cr_assert_float_eq(v.value, 7.99, 1e-9);
	s = all(1, 0, 8.00);
	rule_judge(&c, ALERT_DAILY_COST, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING);
	cr_assert_str_eq(v.message, "daily cost $8.00 reached 80% of the $10.00 "
	    "limit");
	s = all(1, 0, 10.00);
	rule_judge(&c, ALERT_DAILY_COST, &s, &v);
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
	rule_judge(&c, ALERT_DAILY_COST, &s, &v);
	cr_assert_eq(v.firing, 0);
	rule_judge(&c, ALERT_ERROR_RATE, &s, &v);
	cr_assert_eq(v.firing, 0);
	rule_judge(&c, ALERT_LATENCY_P95, &s, &v);
	cr_assert_eq(v.firing, 0);
}

Test(rules, error_rate_needs_min_requests_and_is_critical_past_twice)
{
	struct verdict	 v;
	struct scope	 s = all(19, 19, 0);

	rule_judge(&c, ALERT_ERROR_RATE, &s, &v);
	cr_assert_eq(v.firing, 0, "under min_requests");
	s = all(20, 2, 0);
	rule_judge(&c, ALERT_ERROR_RATE, &s, &v);
	cr_assert_eq(v.firing, 0, "exactly 10 %% is not over");
	s = all(20, 3, 0);
	rule_judge(&c, ALERT_ERROR_RATE, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING);
	cr_assert_str_eq(v.message, "error rate 15.0% (3 of 20 requests) is over "
	    "10.0%");
	s = all(20, 5, 0);
	rule_judge(&c, ALERT_ERROR_RATE, &s, &v);
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
	rule_judge(&c, ALERT_LATENCY_P95, &s, &v);
	cr_assert_eq(v.firing, 0, "p95 is 1 s: %f", v.value);
	hist_add(&s.hist, 9000000);
	rule_judge(&c, ALERT_LATENCY_P95, &s, &v);
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
	rule_judge(&c, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_eq(v.firing, 0, "no unpriced requests");
	s.unpriced = 3;
	rule_judge(&c, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert(v.firing && v.severity == ALERT_WARNING);
	cr_assert_str_eq(v.message, "3 requests for model \"mystery\" have "
	    "tokens but no reported cost, and the config has no price for it");
	s.name = "gpt-4o-mini";
	rule_judge(&c, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_str_eq(v.message, "3 requests for model \"gpt-4o-mini\" have "
	    "tokens but no cost: they give no input_tokens or output_tokens to "
	    "apply its price to");
	s.name = "";
	rule_judge(&c, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_str_eq(v.message, "3 requests with tokens name no model and "
	    "report no cost");
}

Test(rules, a_message_with_the_longest_names_is_whole_and_valid_utf8)
{
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
	s.unpriced = 1;
	rule_judge(&c, ALERT_UNPRICED_MODEL, &s, &v);
	cr_assert_not_null(strstr(v.message, name), "the whole name");
	cr_assert_geq(utf8_len(v.message, strlen(v.message)), 0);
}
