/* test_conf.c — the config file of DESIGN.md: defaults, keys, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conf.h"
#include "leaks.h"

/* DESIGN.md's example config, verbatim. */
static const char design_example[] =
    "{\n"
    "  \"database\": \"var/apimon.db\",\n"
    "  \"site_dir\": \"public\",\n"
    "  \"timezone\": \"UTC\",\n"
    "  \"ingest\": { \"token\": \"\", \"max_body_bytes\": 1048576, "
    "\"max_batch\": 1000,\n"
    "              \"command_max_chars\": 200, \"synchronous\": \"normal\" },\n"
    "  \"alerts\": { \"daily_cost_usd\": 10.0, \"warn_ratio\": 0.8,\n"
    "              \"error_rate\": 0.10, \"min_requests\": 20, "
    "\"latency_p95_s\": 0 },\n"
    "  \"notify\": [ { \"type\": \"command\", \"argv\": "
    "[\"/usr/sbin/sendmail\", \"ops@example.com\"] },\n"
    "              { \"type\": \"webhook\", \"url\": "
    "\"http://127.0.0.1:9000/hook\" } ],\n"
    "  \"retention\": { \"raw_days\": 90 },\n"
    "  \"prices\": { \"gpt-4o-mini\": { \"input_per_mtok\": 0.15, "
    "\"output_per_mtok\": 0.60 } }\n"
    "}\n";

/* Files written by this test process, removed at the end of each test. */
static char	 tmp_paths[8][64];
static int	 ntmp;

static void
cleanup(void)
{
	while (ntmp > 0)
		unlink(tmp_paths[--ntmp]);
}

/* Write text to a new temporary file and return its (static) path. */
static const char *
write_temp(const char *text)
{
	char	*path;
	FILE	*f;
	int	 fd;

	cr_assert_lt(ntmp, 8);
	path = tmp_paths[ntmp];
	snprintf(path, sizeof(tmp_paths[0]), "/tmp/apimon-conf-XXXXXX");
	fd = mkstemp(path);
	cr_assert_neq(fd, -1, "mkstemp");
	ntmp++;
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text as a config that must fail; err receives the message. */
static void
load_fails(const char *text, char *err, size_t errlen)
{
	struct conf	 c;
	const char	*path = write_temp(text);

	err[0] = '\0';
	if (conf_load(&c, path, err, errlen) == 0) {
		conf_free(&c);
		cr_assert_fail("config %s should be rejected", text);
	}
	assert_no_leaks();
	cr_assert_neq(err[0], '\0', "an error message is written");
	cr_assert_not_null(strstr(err, path), "message \"%s\" names the file",
	    err);
}

/* The message for a rejected config names the file and key. */
static void
rejects_with_key(const char *text, const char *quoted_key)
{
	char	 err[512];

	load_fails(text, err, sizeof(err));
	cr_assert_not_null(strstr(err, quoted_key),
	    "message \"%s\" names %s", err, quoted_key);
}

static void
check_defaults(const struct conf *c)
{
	cr_assert_str_eq(c->database, "var/apimon.db");
	cr_assert_str_eq(c->site_dir, "public");
	cr_assert_str_eq(c->timezone, "UTC");
	cr_assert_str_eq(c->ingest.token, "");
	cr_assert_eq(c->ingest.max_body_bytes, 1048576);
	cr_assert_eq(c->ingest.max_batch, 1000);
	cr_assert_eq(c->ingest.command_max_chars, 200);
	cr_assert_eq(c->ingest.synchronous, CONF_SYNC_NORMAL);
	cr_assert_eq(c->alerts.daily_cost_nusd, 10000000000LL);
	cr_assert_float_eq(c->alerts.warn_ratio, 0.8, 1e-12);
	cr_assert_float_eq(c->alerts.error_rate, 0.10, 1e-12);
	cr_assert_eq(c->alerts.min_requests, 20);
	cr_assert_float_eq(c->alerts.latency_p95_s, 0.0, 1e-12);
	cr_assert_eq(c->nnotify, 0);
	cr_assert_eq(c->retention_raw_days, 90);
	cr_assert_eq(c->nprices, 0);
	cr_assert_eq(c->site.explorer_days, 7);
}

TestSuite(conf, .fini = cleanup);

/* ---- where the config comes from ---------------------------------------- */

Test(conf, empty_object_gives_defaults)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp("{}");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	check_defaults(&c);
	cr_assert_str_eq(c.path, path);
	conf_free(&c);
}

Test(conf, no_path_no_env_no_etc_file_gives_defaults)
{
	struct conf	 c;
	char		 err[256];

	if (access(CONF_DEFAULT_PATH, F_OK) == 0)
		cr_skip_test(CONF_DEFAULT_PATH " exists on this machine");
	unsetenv("APIMON_CONFIG");
	cr_assert_eq(conf_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
	check_defaults(&c);
	cr_assert_null(c.path, "defaults come from no file");
	conf_free(&c);
}

Test(conf, empty_env_variable_is_ignored)
{
	struct conf	 c;
	char		 err[256];

	if (access(CONF_DEFAULT_PATH, F_OK) == 0)
		cr_skip_test(CONF_DEFAULT_PATH " exists on this machine");
	setenv("APIMON_CONFIG", "", 1);
	cr_assert_eq(conf_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(c.path);
	conf_free(&c);
}

Test(conf, env_variable_names_the_file)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp("{\"site_dir\": \"/srv/www\"}");

	setenv("APIMON_CONFIG", path, 1);
	cr_assert_eq(conf_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.path, path);
	cr_assert_str_eq(c.site_dir, "/srv/www");
	conf_free(&c);
}

Test(conf, explicit_path_wins_over_env_variable)
{
	struct conf	 c;
	char		 err[256];
	const char	*env = write_temp("{\"site_dir\": \"from-env\"}");
	const char	*arg = write_temp("{\"site_dir\": \"from-arg\"}");

	setenv("APIMON_CONFIG", env, 1);
	cr_assert_eq(conf_load(&c, arg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.site_dir, "from-arg");
	conf_free(&c);
}

Test(conf, missing_file_is_an_error_naming_it)
{
	struct conf	 c;
	char		 err[256];

	cr_assert_eq(conf_load(&c, "/nonexistent/apimon.json", err,
	    sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/apimon.json"), "%s", err);
}

/* ---- DESIGN.md's example ----------------------------------------------- */

Test(conf, design_example_loads_every_key)
{
	struct conf		 c;
	char			 err[256];
	const char		*path = write_temp(design_example);

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.database, "var/apimon.db");
	cr_assert_str_eq(c.timezone, "UTC");
	cr_assert_eq(c.ingest.max_batch, 1000);
	cr_assert_eq(c.ingest.synchronous, CONF_SYNC_NORMAL);
	cr_assert_eq(c.alerts.daily_cost_nusd, 10000000000LL);
	cr_assert_eq(c.alerts.min_requests, 20);
	cr_assert_eq(c.retention_raw_days, 90);

	cr_assert_eq(c.nnotify, 2);
	cr_assert_str_eq(c.notify[0].type, "command");
	cr_assert_str_eq(c.notify[0].argv[0], "/usr/sbin/sendmail");
	cr_assert_str_eq(c.notify[0].argv[1], "ops@example.com");
	cr_assert_null(c.notify[0].argv[2], "argv is NULL-terminated");
	cr_assert_str_eq(c.notify[1].type, "webhook");
	cr_assert_str_eq(c.notify[1].url, "http://127.0.0.1:9000/hook");
	cr_assert_null(c.notify[1].argv);

	cr_assert_eq(c.nprices, 1);
	cr_assert_str_eq(c.prices[0].model, "gpt-4o-mini");
	conf_free(&c);
}

Test(conf, every_value_can_be_changed)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp(
	    "{\"database\":\"/var/lib/apimon/a.db\",\"site_dir\":\"/srv/a\","
	    "\"timezone\":\"Asia/Taipei\","
	    "\"ingest\":{\"token\":\"s3cret\",\"max_body_bytes\":2048,"
	    "\"max_batch\":7,\"command_max_chars\":5,\"synchronous\":\"full\"},"
	    "\"alerts\":{\"daily_cost_usd\":2.5,\"warn_ratio\":0.5,"
	    "\"error_rate\":0.25,\"min_requests\":3,\"latency_p95_s\":1.5},"
	    "\"notify\":[{\"type\":\"telegram\",\"bot_token\":\"123:abc\","
	    "\"chat_id\":\"-42\"},{\"type\":\"slack\","
	    "\"url\":\"https://hooks.slack.com/x\"},{\"type\":\"discord\","
	    "\"url\":\"https://discord.com/api/webhooks/1\"}],"
	    "\"retention\":{\"raw_days\":7}}");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.database, "/var/lib/apimon/a.db");
	cr_assert_str_eq(c.site_dir, "/srv/a");
	cr_assert_str_eq(c.timezone, "Asia/Taipei");
	cr_assert_str_eq(c.ingest.token, "s3cret");
	cr_assert_eq(c.ingest.max_body_bytes, 2048);
	cr_assert_eq(c.ingest.max_batch, 7);
	cr_assert_eq(c.ingest.command_max_chars, 5);
	cr_assert_eq(c.ingest.synchronous, CONF_SYNC_FULL);
	cr_assert_eq(c.alerts.daily_cost_nusd, 2500000000LL);
	cr_assert_float_eq(c.alerts.warn_ratio, 0.5, 1e-12);
	cr_assert_float_eq(c.alerts.error_rate, 0.25, 1e-12);
	cr_assert_eq(c.alerts.min_requests, 3);
	cr_assert_float_eq(c.alerts.latency_p95_s, 1.5, 1e-12);
	cr_assert_eq(c.nnotify, 3);
	cr_assert_str_eq(c.notify[0].bot_token, "123:abc");
	cr_assert_str_eq(c.notify[0].chat_id, "-42");
	cr_assert_str_eq(c.notify[1].type, "slack");
	cr_assert_str_eq(c.notify[2].type, "discord");
	cr_assert_eq(c.retention_raw_days, 7);
	conf_free(&c);
}

Test(conf, synchronous_off_is_accepted)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp(
	    "{\"ingest\":{\"synchronous\":\"off\"}}");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.ingest.synchronous, CONF_SYNC_OFF);
	conf_free(&c);
}

Test(conf, zero_thresholds_disable_rules)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp("{\"alerts\":{\"daily_cost_usd\":0,"
	    "\"error_rate\":0,\"latency_p95_s\":0}}");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.alerts.daily_cost_nusd, 0);
	cr_assert_float_eq(c.alerts.error_rate, 0.0, 1e-12);
	conf_free(&c);
}

/* ---- unknown keys -------------------------------------------------------- */

Test(conf, rejects_unknown_top_level_key)
{
	rejects_with_key("{\"databse\": \"x.db\"}", "\"databse\"");
}

Test(conf, rejects_unknown_ingest_key_naming_its_path)
{
	rejects_with_key("{\"ingest\": {\"max_batchh\": 10}}",
	    "\"ingest.max_batchh\"");
}

Test(conf, rejects_unknown_alerts_key_naming_its_path)
{
	rejects_with_key("{\"alerts\": {\"daily_cost\": 10}}",
	    "\"alerts.daily_cost\"");
}

Test(conf, rejects_unknown_retention_key_naming_its_path)
{
	rejects_with_key("{\"retention\": {\"days\": 10}}",
	    "\"retention.days\"");
}

Test(conf, rejects_unknown_notify_key_naming_its_path)
{
	rejects_with_key("{\"notify\": [{\"type\": \"webhook\", "
	    "\"url\": \"http://x/\", \"method\": \"PUT\"}]}",
	    "\"notify[0].method\"");
}

Test(conf, rejects_unknown_price_key_naming_its_path)
{
	rejects_with_key("{\"prices\": {\"m\": {\"input_per_mtok\": 1, "
	    "\"output_per_mtok\": 1, \"cached_per_mtok\": 1}}}",
	    "\"prices.m.cached_per_mtok\"");
}

/* ---- wrong types and ranges --------------------------------------------- */

Test(conf, rejects_number_for_string)
{
	rejects_with_key("{\"database\": 42}", "\"database\"");
}

Test(conf, rejects_empty_database)
{
	rejects_with_key("{\"database\": \"\"}", "\"database\"");
}

Test(conf, rejects_string_for_integer)
{
	rejects_with_key("{\"ingest\": {\"max_batch\": \"10\"}}",
	    "max_batch\"");
}

Test(conf, rejects_fraction_for_integer)
{
	rejects_with_key("{\"ingest\": {\"max_batch\": 10.5}}",
	    "max_batch\"");
}

Test(conf, rejects_ingest_that_is_not_an_object)
{
	rejects_with_key("{\"ingest\": []}", "\"ingest");
}

Test(conf, rejects_notify_that_is_not_an_array)
{
	rejects_with_key("{\"notify\": {}}", "\"notify\"");
}

Test(conf, rejects_prices_that_is_not_an_object)
{
	rejects_with_key("{\"prices\": []}", "\"prices\"");
}

Test(conf, rejects_config_that_is_not_an_object)
{
	char	 err[512];

	load_fails("[]", err, sizeof(err));
}

Test(conf, rejects_max_batch_zero)
{
	rejects_with_key("{\"ingest\": {\"max_batch\": 0}}", "max_batch\"");
}

Test(conf, rejects_max_body_bytes_below_1k)
{
	rejects_with_key("{\"ingest\": {\"max_body_bytes\": 1023}}",
	    "max_body_bytes\"");
}

Test(conf, rejects_warn_ratio_above_one)
{
	rejects_with_key("{\"alerts\": {\"warn_ratio\": 2}}", "warn_ratio\"");
}

Test(conf, rejects_negative_daily_cost)
{
	rejects_with_key("{\"alerts\": {\"daily_cost_usd\": -1}}",
	    "daily_cost_usd\"");
}

Test(conf, rejects_synchronous_fast)
{
	rejects_with_key("{\"ingest\": {\"synchronous\": \"fast\"}}",
	    "synchronous\"");
}

Test(conf, rejects_unknown_timezone)
{
	rejects_with_key("{\"timezone\": \"Mars/Base\"}", "\"timezone\"");
}

Test(conf, rejects_timezone_escaping_zoneinfo)
{
	rejects_with_key("{\"timezone\": \"../../etc/passwd\"}",
	    "\"timezone\"");
	rejects_with_key("{\"timezone\": \"/etc/localtime\"}", "\"timezone\"");
}

/*
 * A folder or a table of /usr/share/zoneinfo is readable but is not a
 * zone: glibc would silently fall back to UTC.
 */
Test(conf, rejects_timezone_that_is_a_zoneinfo_folder)
{
	rejects_with_key("{\"timezone\": \"America\"}", "\"timezone\"");
}

Test(conf, rejects_timezone_that_is_a_zoneinfo_table)
{
	if (access("/usr/share/zoneinfo/zone.tab", R_OK) != 0)
		cr_skip_test("no zone.tab here");
	rejects_with_key("{\"timezone\": \"zone.tab\"}", "\"timezone\"");
}

Test(conf, accepts_a_real_timezone)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp("{\"timezone\": \"America/New_York\"}");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.timezone, "America/New_York");
	conf_free(&c);
}

Test(conf, rejects_retention_zero_days)
{
	rejects_with_key("{\"retention\": {\"raw_days\": 0}}", "raw_days\"");
}

Test(conf, explorer_days_from_0_to_36500)
{
	struct conf	 c;
	char		 err[256];
	const char	*off = write_temp("{\"site\": {\"explorer_days\": 0}}");
	const char	*most = write_temp("{\"site\": {\"explorer_days\": "
	    "36500}}");

	cr_assert_eq(conf_load(&c, off, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.site.explorer_days, 0);
	conf_free(&c);
	cr_assert_eq(conf_load(&c, most, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.site.explorer_days, 36500);
	conf_free(&c);
}

Test(conf, rejects_explorer_days_out_of_range_or_not_an_integer)
{
	rejects_with_key("{\"site\": {\"explorer_days\": -1}}",
	    "\"site.explorer_days\"");
	rejects_with_key("{\"site\": {\"explorer_days\": 36501}}",
	    "\"site.explorer_days\"");
	rejects_with_key("{\"site\": {\"explorer_days\": 1e300}}",
	    "\"site.explorer_days\"");
	rejects_with_key("{\"site\": {\"explorer_days\": \"7\"}}",
	    "\"site.explorer_days\"");
	rejects_with_key("{\"site\": {\"explorer_days\": 7.5}}",
	    "\"site.explorer_days\"");
	rejects_with_key("{\"site\": {\"explorer_days\": null}}",
	    "\"site.explorer_days\"");
	rejects_with_key("{\"site\": {\"explorer_days\": true}}",
	    "\"site.explorer_days\"");
}

/* ---- JSON syntax ----------------------------------------------------------- */

Test(conf, invalid_json_names_the_line)
{
	char	 err[512];

	load_fails("{\n  \"database\": \"a.db\",\n  \"site_dir\": ,\n}\n", err,
	    sizeof(err));
	cr_assert_not_null(strstr(err, "line 3"), "message \"%s\"", err);
}

Test(conf, rejects_trailing_garbage_after_the_object)
{
	char	 err[512];

	load_fails("{}\n{}\n", err, sizeof(err));
	cr_assert_not_null(strstr(err, "line 2"), "message \"%s\"", err);
}

Test(conf, accepts_trailing_white_space)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp("{}\n\n  \t\r\n");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	conf_free(&c);
}

Test(conf, rejects_empty_file)
{
	char	 err[512];

	load_fails("", err, sizeof(err));
}

/* ---- notify ------------------------------------------------------------------ */

Test(conf, rejects_command_without_argv)
{
	rejects_with_key("{\"notify\": [{\"type\": \"command\"}]}",
	    "\"notify[0].argv\"");
}

Test(conf, rejects_command_with_empty_argv)
{
	rejects_with_key("{\"notify\": [{\"type\": \"command\", "
	    "\"argv\": []}]}", "\"notify[0].argv\"");
}

Test(conf, rejects_command_with_non_string_argv)
{
	rejects_with_key("{\"notify\": [{\"type\": \"command\", "
	    "\"argv\": [\"/bin/true\", 1]}]}", "\"notify[0].argv\"");
}

Test(conf, rejects_webhook_without_url)
{
	rejects_with_key("{\"notify\": [{\"type\": \"webhook\"}]}",
	    "\"notify[0].url\"");
}

Test(conf, rejects_webhook_with_non_http_url)
{
	rejects_with_key("{\"notify\": [{\"type\": \"webhook\", "
	    "\"url\": \"file:///etc/passwd\"}]}", "\"notify[0].url\"");
}

Test(conf, rejects_unknown_notify_type)
{
	rejects_with_key("{\"notify\": [{\"type\": \"pager\"}]}",
	    "\"notify[0].type\"");
}

Test(conf, rejects_notify_without_type)
{
	rejects_with_key("{\"notify\": [{\"url\": \"http://x/\"}]}",
	    "\"notify[0].type\"");
}

Test(conf, rejects_telegram_without_chat_id)
{
	rejects_with_key("{\"notify\": [{\"type\": \"telegram\", "
	    "\"bot_token\": \"1:a\"}]}", "\"notify[0].chat_id\"");
}

Test(conf, notify_errors_name_the_right_index)
{
	rejects_with_key("{\"notify\": [{\"type\": \"webhook\", "
	    "\"url\": \"http://x/\"}, {\"type\": \"webhook\"}]}",
	    "\"notify[1].url\"");
}

/* ---- prices ------------------------------------------------------------------- */

Test(conf, prices_are_nano_dollars_per_million_tokens)
{
	struct conf		 c;
	char			 err[256];
	const char		*path = write_temp(design_example);
	const struct conf_price	*p;

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	p = conf_price(&c, "gpt-4o-mini");
	cr_assert_not_null(p);
	cr_assert_eq(p->in_nusd_per_mtok, 150000000LL, "0.15 USD/Mtok");
	cr_assert_eq(p->out_nusd_per_mtok, 600000000LL, "0.60 USD/Mtok");
	conf_free(&c);
}

Test(conf, price_lookup_is_exact_and_case_sensitive)
{
	struct conf		 c;
	char			 err[256];
	const char		*path = write_temp("{\"prices\": {"
	    "\"a\": {\"input_per_mtok\": 1, \"output_per_mtok\": 2},"
	    "\"b\": {\"input_per_mtok\": 3, \"output_per_mtok\": 15}}}");
	const struct conf_price	*p;

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.nprices, 2);
	p = conf_price(&c, "b");
	cr_assert_not_null(p);
	cr_assert_eq(p->in_nusd_per_mtok, 3000000000LL);
	cr_assert_eq(p->out_nusd_per_mtok, 15000000000LL);
	cr_assert_null(conf_price(&c, "B"));
	cr_assert_null(conf_price(&c, "bb"));
	cr_assert_null(conf_price(&c, NULL));
	conf_free(&c);
}

Test(conf, rejects_price_without_output)
{
	rejects_with_key("{\"prices\": {\"m\": {\"input_per_mtok\": 1}}}",
	    "\"prices.m.output_per_mtok\"");
}

Test(conf, rejects_negative_price)
{
	rejects_with_key("{\"prices\": {\"m\": {\"input_per_mtok\": -1, "
	    "\"output_per_mtok\": 1}}}", "\"prices.m.input_per_mtok\"");
}

/* ---- ownership --------------------------------------------------------------------- */

/*
 * A failure late in the file (after notify and prices have allocated)
 * leaves nothing to free: LeakSanitizer fails this test otherwise.
 */
Test(conf, failure_after_allocations_leaks_nothing)
{
	char	 err[512];

	load_fails("{\"database\": \"x.db\", \"notify\": [{\"type\": "
	    "\"command\", \"argv\": [\"/bin/true\", \"a\"]}, {\"type\": "
	    "\"telegram\", \"bot_token\": \"1:a\"}]}", err, sizeof(err));
	load_fails("{\"prices\": {\"a\": {\"input_per_mtok\": 1, "
	    "\"output_per_mtok\": 2}, \"b\": {\"input_per_mtok\": 1}}}", err,
	    sizeof(err));
	load_fails("{\"notify\": [{\"type\": \"command\", "
	    "\"argv\": [\"/bin/true\", 7]}]}", err, sizeof(err));
}

Test(conf, conf_free_zeroes_the_struct)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp(design_example);

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	conf_free(&c);
	cr_assert_null(c.database);
	cr_assert_eq(c.nprices, 0);
	cr_assert_eq(c.nnotify, 0);
}

/* ---- notifier keys name no secret ------------------------------------- */

Test(conf, notifier_keys_hold_type_place_and_hash_but_no_secret)
{
	char	*argv[] = { "/usr/sbin/sendmail", "-f", "s3cret", NULL };
	struct conf_notify	 slack = { .type = "slack",
	    .url = "https://hooks.slack.com/services/T0/B0/SECRETxyz" };
	struct conf_notify	 basic = { .type = "webhook",
	    .url = "http://admin:SECRETpw@127.0.0.1:9000/hook?t=SECRETq" };
	struct conf_notify	 tg = { .type = "telegram",
	    .bot_token = "123456:SECRETbot", .chat_id = "-100777" };
	struct conf_notify	 cmd = { .type = "command", .argv = argv };
	char			*k[4];
	int			 i;

	k[0] = conf_notify_key(&slack);
	k[1] = conf_notify_key(&basic);
	k[2] = conf_notify_key(&tg);
	k[3] = conf_notify_key(&cmd);
	cr_assert_eq(strncmp(k[0], "slack hooks.slack.com #", 23), 0, "%s",
	    k[0]);
	for (i = 0; i < 4; i++) {
		cr_assert_not_null(k[i]);
		cr_assert_null(strstr(k[i], "SECRET"), "%s", k[i]);
		cr_assert_null(strstr(k[i], "s3cret"), "%s", k[i]);
		cr_assert_eq(strlen(strrchr(k[i], '#')), 9, "%s", k[i]);
	}
	cr_assert_eq(strncmp(k[1], "webhook 127.0.0.1:9000 #", 24), 0, "%s", k[1]);
	cr_assert_eq(strncmp(k[2], "telegram -100777 #", 18), 0, "%s", k[2]);
	cr_assert_eq(strncmp(k[3], "command sendmail #", 18), 0, "%s", k[3]);
	for (i = 0; i < 4; i++)
		free(k[i]);
	assert_no_leaks();
}

Test(conf, notifier_keys_of_legacy_keys_are_the_same_keys)
{
	char	*argv[] = { "/bin/sh", "-c", "cat", NULL };
	struct conf_notify	 n[] = {
		{ .type = "discord",
		  .url = "https://discord.com/api/webhooks/1/SECRET" },
		{ .type = "telegram", .bot_token = "42:SECRET", .chat_id = "-1" },
		{ .type = "command", .argv = argv } };
	const char	*legacy[] = {
	    "discord https://discord.com/api/webhooks/1/SECRET",
	    "telegram 42 -1", "command /bin/sh -c cat" };
	char		*a, *b;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		a = conf_notify_key(&n[i]);
		b = conf_notify_key_legacy(legacy[i]);
		cr_assert_str_eq(a, b);
		free(a);
		free(b);
	}
	/* Same place, another secret: another key. */
	n[0].url = "https://discord.com/api/webhooks/1/OTHER";
	a = conf_notify_key(&n[0]);
	b = conf_notify_key_legacy(legacy[0]);
	cr_assert_str_neq(a, b);
	free(a);
	free(b);
	assert_no_leaks();
}

Test(conf, a_key_given_twice_is_an_error_naming_it)
{
	rejects_with_key("{\"timezone\": \"UTC\", \"timezone\": "
	    "\"Asia/Taipei\"}", "\"timezone\": given twice");
	rejects_with_key("{\"alerts\": {\"error_rate\": 0.1, \"error_rate\": "
	    "0.5}}", "\"alerts\": key \"error_rate\" given twice");
}

/* ---- alerting an on-call engineer trusts (issue 11) -------------------- */

Test(conf, alerting_defaults)
{
	struct conf	 c;
	char		 err[512];

	cr_assert_eq(conf_load(&c, write_temp("{}"), err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_eq(c.alerts.repeat_hours, 4);
	cr_assert_eq(c.alerts.notify_max_age_hours, 48);
	cr_assert_eq(c.alerts.no_data_minutes, 30);
	cr_assert_float_eq(c.alerts.anomaly_factor, 3, 1e-9);
	cr_assert_eq(c.alerts.nbudgets, 0);
	cr_assert_null(c.site_url);
	conf_free(&c);
}

Test(conf, email_notifier_and_budgets_are_read)
{
	struct conf	 c;
	char		 err[512];

	cr_assert_eq(conf_load(&c, write_temp("{\"notify\": [{\"type\": "
	    "\"email\", \"url\": \"smtp://127.0.0.1:2525\", \"from\": "
	    "\"apimon@example.com\", \"to\": [\"a@example.com\", "
	    "\"b@example.org\"], \"starttls\": false, \"digest\": true}], "
	    "\"alerts\": {\"budgets\": [{\"scope\": \"user:tg-123\", "
	    "\"daily_cost_usd\": 1.5}, {\"scope\": \"all\", "
	    "\"monthly_cost_usd\": 300}]}, \"site_url\": "
	    "\"https://apimon.example.com/\"}"), err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_str_eq(c.notify[0].to[1], "b@example.org");
	cr_assert_null(c.notify[0].to[2]);
	cr_assert_eq(c.notify[0].starttls, 0);
	cr_assert_eq(c.notify[0].digest, 1);
	cr_assert_eq(c.alerts.nbudgets, 2);
	cr_assert_eq(c.alerts.budgets[0].daily_nusd, 1500000000LL);
	cr_assert_eq(c.alerts.budgets[1].monthly_nusd, 300000000000LL);
	cr_assert_str_eq(c.site_url, "https://apimon.example.com/");
	conf_free(&c);
	assert_no_leaks();
}

Test(conf, email_addresses_cannot_smuggle_headers_or_recipients)
{
	static const char *const bad[] = { "a@b.c\\r\\nBcc: x@y.z",
	    "a@b.c, x@y.z", "<a@b.c>", "nobody", "a@@b.c", "a@b@c" };
	char	 text[512];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"notify\": [{\"type\": "
		    "\"email\", \"url\": \"smtp://h:25\", \"from\": \"f@x.y\", "
		    "\"to\": [\"%s\"]}]}", bad[i]);
		rejects_with_key(text, "\"notify[0].to\"");
		snprintf(text, sizeof(text), "{\"notify\": [{\"type\": "
		    "\"email\", \"url\": \"smtp://h:25\", \"from\": \"%s\", "
		    "\"to\": [\"t@x.y\"]}]}", bad[i]);
		rejects_with_key(text, "\"notify[0].from\"");
		cleanup();	/* two files a round: stay under the 8 */
	}
	rejects_with_key("{\"notify\": [{\"type\": \"email\", \"url\": "
	    "\"http://h\", \"from\": \"f@x.y\", \"to\": [\"t@x.y\"]}]}",
	    "\"notify[0].url\"");
	rejects_with_key("{\"notify\": [{\"type\": \"email\", \"url\": "
	    "\"smtp://h\", \"from\": \"f@x.y\", \"to\": [\"t@x.y\"], "
	    "\"username\": \"u\"}]}", "\"notify[0].password\"");
}

Test(conf, budgets_need_a_known_scope_and_a_limit)
{
	rejects_with_key("{\"alerts\": {\"budgets\": [{\"scope\": \"team:x\", "
	    "\"daily_cost_usd\": 1}]}}", "\"alerts.budgets[0].scope\"");
	rejects_with_key("{\"alerts\": {\"budgets\": [{\"scope\": \"all\"}]}}",
	    "\"alerts.budgets[0].daily_cost_usd\"");
	rejects_with_key("{\"alerts\": {\"budgets\": {}}}", "\"alerts.budgets\"");
	rejects_with_key("{\"site_url\": \"ftp://x\"}", "\"site_url\"");
	rejects_with_key("{\"site_url\": \"https://x/a b\"}", "\"site_url\"");
	rejects_with_key("{\"site_url\": \"https://x/\\r\\nBcc: y\"}",
	    "\"site_url\"");
}

Test(conf, otlp_sources_map_services_to_lower_case_sources)
{
	struct conf	 c;
	char		 err[256];
	const char	*path = write_temp("{\"otlp\": {\"sources\": {"
	    "\"checkout.api\": \"Web\", \"tg bot\": \"telegram\"}}}");

	cr_assert_eq(conf_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(conf_otlp_source(&c, "checkout.api"), "web");
	cr_assert_str_eq(conf_otlp_source(&c, "tg bot"), "telegram");
	cr_assert_null(conf_otlp_source(&c, "Checkout.api"));
	conf_free(&c);
	assert_no_leaks();
}

Test(conf, otlp_sources_must_be_source_ids)
{
	rejects_with_key("{\"otlp\": {\"sources\": {\"a\": \"we b\"}}}",
	    "\"otlp.sources.a\"");
	rejects_with_key("{\"otlp\": {\"sources\": {\"a\": \"\"}}}",
	    "\"otlp.sources.a\"");
	rejects_with_key("{\"otlp\": {\"sources\": {\"a\": 5}}}",
	    "\"otlp.sources.a\"");
	rejects_with_key("{\"otlp\": {\"sources\": {\"a\": "
	    "\"x23456789012345678901234567890123\"}}}", "\"otlp.sources.a\"");
	cleanup();
	rejects_with_key("{\"otlp\": {\"sources\": [\"a\"]}}",
	    "\"otlp.sources\"");
	rejects_with_key("{\"otlp\": {\"source\": {}}}", "\"otlp.source\"");
	rejects_with_key("{\"otlp\": []}", "\"otlp\"");
}
