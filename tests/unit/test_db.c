/* test_db.c — opening, migrating and writing the SQLite database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "conf.h"
#include "db.h"
#include "rec.h"
#include "tz.h"
#include "leaks.h"

#define NOW_MS		1795688100000LL	/* 2026-11-26T10:15:00Z */

static char		 dir[64];
static char		 path[128];
static struct conf	 conf;

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/apimon-db-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/apimon.db", dir);
	/* Enough of a config for rec_parse: no prices, no file read. */
	memset(&conf, 0, sizeof(conf));
	conf.ingest.command_max_chars = 200;
}

static void
teardown(void)
{
	char	 cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(db, .init = setup, .fini = teardown);

static void
need_sqlite3_cli(void)
{
	if (system("command -v sqlite3 >/dev/null 2>&1") != 0)
		cr_skip_test("the sqlite3 command is not installed");
}

/* Run sql with the sqlite3 command on the test database; first line out. */
static const char *
cli(const char *sql)
{
	static char	 out[512];
	char		 cmd[1024];
	FILE		*p;
	size_t		 n;

	cr_assert_null(strpbrk(sql, "\"$`\\"), "keep the shell out of it");
	snprintf(cmd, sizeof(cmd), "sqlite3 -batch '%s' \"%s\"", path, sql);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	pclose(p);
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

static struct db *
open_db(void)
{
	struct db	*db = NULL;
	char		 err[256] = "";

	cr_assert_eq(db_open(&db, path, DB_CREATE, CONF_SYNC_NORMAL, 1000, err,
	    sizeof(err)), DB_OK, "db_open: %s", err);
	cr_assert_not_null(db);
	return db;
}

/* A record from JSON, validated as ingest would. */
static void
make_rec(struct rec *r, const char *json)
{
	struct rec_err	 e;
	cJSON		*root = cJSON_Parse(json);

	cr_assert_not_null(root);
	cr_assert_eq(rec_parse(root, &conf, NOW_MS, r, &e), 0, "%s: %s",
	    e.field, e.msg);
	cJSON_Delete(root);
}

#define REC(id)	"{\"request_id\":\"" id "\",\"source\":\"web\"," \
		"\"status\":\"success\",\"execution_time\":0.5}"

/* ---- opening ---------------------------------------------------------------- */

Test(db, open_creates_the_current_schema)
{
	struct db	*db = open_db();

	cr_assert_eq(DB_SCHEMA_VERSION, 7);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("PRAGMA user_version"), "7");
	/* Commits write no sqlite_sequence page and no (source, ts) index. */
	cr_assert_str_eq(cli("SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'api_requests' AND sql LIKE '%AUTOINCREMENT%'"), "0");
	cr_assert_str_eq(cli("SELECT group_concat(name) FROM sqlite_master "
	    "WHERE type = 'index' AND tbl_name = 'api_requests' AND sql IS NOT "
	    "NULL"), "api_requests_ts");
	cr_assert_str_eq(cli("PRAGMA integrity_check"), "ok");
	cr_assert_str_eq(cli("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('api_requests', 'meta', "
	    "'hourly_stats', 'daily_stats', 'alerts', 'outbox', "
	    "'deliveries', 'silences')"), "8");
	db_close(db);
}

Test(db, open_uses_wal)
{
	struct db	*db = open_db();

	need_sqlite3_cli();
	cr_assert_str_eq(cli("PRAGMA journal_mode"), "wal");
	db_close(db);
}

Test(db, reopening_keeps_the_data)
{
	struct db	*db = open_db();
	struct rec	 r;

	make_rec(&r, REC("keep"));
	cr_assert_eq(db_insert_request(db, &r), DB_OK);
	db_close(db);
	db = open_db();
	cr_assert_eq(db_insert_request(db, &r), DB_DUP, "still stored");
	rec_free(&r);
	db_close(db);
}

Test(db, opens_with_every_synchronous_level)
{
	static const enum conf_sync	 levels[] = { CONF_SYNC_OFF,
	    CONF_SYNC_NORMAL, CONF_SYNC_FULL };
	struct db			*db;
	char				 err[256];
	size_t				 i;

	for (i = 0; i < 3; i++) {
		cr_assert_eq(db_open(&db, path, DB_CREATE, levels[i], 1000, err,
		    sizeof(err)), DB_OK, "%s", err);
		db_close(db);
	}
}

Test(db, refuses_a_newer_schema)
{
	struct db	*db = (struct db *)1;
	char		 err[256] = "";

	need_sqlite3_cli();
	cli("PRAGMA user_version = 99");
	cr_assert_str_eq(cli("PRAGMA user_version"), "99");
	cr_assert_eq(db_open(&db, path, DB_CREATE, CONF_SYNC_NORMAL, 1000, err,
	    sizeof(err)), DB_ERR);
	cr_assert_null(db, "nothing returned on failure");
	cr_assert_not_null(strstr(err, "99"), "message \"%s\"", err);
	cr_assert_str_eq(cli("PRAGMA user_version"), "99", "left untouched");
	assert_no_leaks();
}

Test(db, cannot_open_in_a_missing_folder)
{
	struct db	*db = (struct db *)1;
	char		 err[256] = "";

	cr_assert_eq(db_open(&db, "/nonexistent/dir/apimon.db",
	    DB_CREATE, CONF_SYNC_NORMAL, 100, err, sizeof(err)), DB_UNAVAIL);
	cr_assert_null(db);
	cr_assert_not_null(strstr(err, "/nonexistent/dir/apimon.db"),
	    "message \"%s\"", err);
	assert_no_leaks();
}

Test(db, refuses_a_file_that_is_not_a_database)
{
	struct db	*db = (struct db *)1;
	char		 err[256] = "";
	FILE		*f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs("this is not an SQLite database, just some text that is long "
	    "enough to cover the header of one.............................",
	    f);
	fclose(f);
	cr_assert_neq(db_open(&db, path, DB_CREATE, CONF_SYNC_NORMAL, 100, err,
	    sizeof(err)), DB_OK);
	cr_assert_null(db);
	cr_assert_neq(err[0], '\0');
	assert_no_leaks();
}

Test(db, close_of_null_is_harmless)
{
	db_close(NULL);
}

/* ---- inserting ------------------------------------------------------------------ */

Test(db, insert_then_duplicate)
{
	struct db	*db = open_db();
	struct rec	 r;

	make_rec(&r, REC("dup-1"));
	cr_assert_eq(db_begin(db), DB_OK);
	cr_assert_eq(db_insert_request(db, &r), DB_OK);
	cr_assert_eq(db_insert_request(db, &r), DB_DUP);
	cr_assert_eq(db_commit(db), DB_OK);
	cr_assert_eq(db_insert_request(db, &r), DB_DUP, "after commit too");
	rec_free(&r);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("SELECT count(*) FROM api_requests"), "1");
	db_close(db);
}

Test(db, duplicate_does_not_change_the_stored_row)
{
	struct db	*db = open_db();
	struct rec	 a, b;

	make_rec(&a, REC("same"));
	make_rec(&b, "{\"request_id\":\"same\",\"source\":\"discord\","
	    "\"status\":\"error\",\"execution_time\":9}");
	cr_assert_eq(db_insert_request(db, &a), DB_OK);
	cr_assert_eq(db_insert_request(db, &b), DB_DUP);
	rec_free(&a);
	rec_free(&b);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("SELECT source || ' ' || status FROM "
	    "api_requests"), "web success");
	db_close(db);
}

Test(db, rollback_stores_nothing)
{
	struct db	*db = open_db();
	struct rec	 a, b;

	make_rec(&a, REC("rb-1"));
	make_rec(&b, REC("rb-2"));
	cr_assert_eq(db_begin(db), DB_OK);
	cr_assert_eq(db_insert_request(db, &a), DB_OK);
	cr_assert_eq(db_insert_request(db, &b), DB_OK);
	db_rollback(db);
	db_rollback(db);	/* no transaction: harmless */
	cr_assert_eq(db_insert_request(db, &a), DB_OK, "a was not stored");
	rec_free(&a);
	rec_free(&b);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("SELECT count(*) FROM api_requests"), "1");
	db_close(db);
}

Test(db, stores_every_column)
{
	struct db	*db = open_db();
	struct rec	 r;

	make_rec(&r, "{\"request_id\":\"full\",\"source\":\"telegram\","
	    "\"status\":\"timeout\",\"execution_time\":1.25,\"user_id\":\"u\","
	    "\"command\":\"/ask\",\"cost\":0.002,\"timestamp\":1795688000,"
	    "\"model\":\"m\",\"provider\":\"p\",\"input_tokens\":10,"
	    "\"output_tokens\":20,\"time_to_first_token\":0.5,"
	    "\"error\":\"e\",\"metadata\":{\"k\":1}}");
	cr_assert_eq(db_insert_request(db, &r), DB_OK);
	rec_free(&r);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("SELECT request_id, ts_ms, source, user_id, "
	    "command, model, provider, status, latency_us, ttft_us, "
	    "input_tokens, output_tokens, tokens, cost_nusd, cost_source, "
	    "error, metadata, received_ms FROM api_requests"),
	    "full|1795688000000|telegram|u|/ask|m|p|timeout|1250000|500000|"
	    "10|20|30|2000000|reported|e|{\"k\":1}|1795688100000");
	db_close(db);
}

Test(db, absent_fields_are_stored_as_null)
{
	struct db	*db = open_db();
	struct rec	 r;

	make_rec(&r, REC("sparse"));
	cr_assert_eq(db_insert_request(db, &r), DB_OK);
	rec_free(&r);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("SELECT quote(user_id), quote(command), "
	    "quote(model), quote(ttft_us), quote(input_tokens), "
	    "quote(output_tokens), quote(error), quote(metadata), tokens, "
	    "cost_nusd, cost_source FROM api_requests"),
	    "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|0|0|none");
	db_close(db);
}

/* ---- health ------------------------------------------------------------------------ */

Test(db, check_writable_is_ok)
{
	struct db	*db = open_db();

	cr_assert_eq(db_check_writable(db), DB_OK);
	cr_assert_eq(db_check_writable(db), DB_OK, "leaves no transaction");
	cr_assert_not_null(db_errmsg(db));
	db_close(db);
}

Test(db, check_writable_is_busy_while_another_writer_holds_the_lock)
{
	struct db	*a = open_db(), *b;
	char		 err[256];

	cr_assert_eq(db_open(&b, path, DB_CREATE, CONF_SYNC_NORMAL, 50, err,
	    sizeof(err)), DB_OK, "%s", err);
	cr_assert_eq(db_begin(a), DB_OK);
	cr_assert_eq(db_check_writable(b), DB_BUSY);
	db_rollback(a);
	cr_assert_eq(db_check_writable(b), DB_OK);
	db_close(b);
	db_close(a);
}

static int64_t
mono_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * A loaded machine oversleeps every nap; a timer slack of 20 ms makes this
 * one do so.  The wait must still end busy_ms after it began by the clock.
 */
Test(db, lock_wait_ends_busy_ms_after_it_began_by_the_clock)
{
	struct db	*a = open_db(), *b;
	char		 err[256];
	int64_t		 t0, took;
	enum db_rc	 rc;

	cr_assert_eq(db_open(&b, path, DB_CREATE, CONF_SYNC_NORMAL, 300, err,
	    sizeof(err)), DB_OK, "%s", err);
	cr_assert_eq(db_begin(a), DB_OK);
	cr_assert_eq(prctl(PR_SET_TIMERSLACK, 20000000UL), 0);
	t0 = mono_ms();
	rc = db_begin(b);
	took = mono_ms() - t0;
	prctl(PR_SET_TIMERSLACK, 0UL);
	cr_assert_eq(rc, DB_BUSY);
	cr_assert_geq(took, 300);
	cr_assert_lt(took, 450, "waited %lld ms for a busy_ms of 300",
	    (long long)took);
	db_rollback(a);
	db_close(b);
	db_close(a);
}

Test(db, lock_wait_gives_up_at_the_deadline_when_one_is_set)
{
	struct db	*a = open_db(), *b = open_db();
	int64_t		 t0, took;

	cr_assert_eq(db_begin(a), DB_OK);
	t0 = mono_ms();
	db_deadline(b, t0 + 150);		/* sooner than busy_ms (1000) */
	cr_assert_eq(db_begin(b), DB_BUSY);
	took = mono_ms() - t0;
	cr_assert_geq(took, 150);
	cr_assert_lt(took, 600, "waited %lld ms", (long long)took);
	db_deadline(b, t0);			/* already past: no wait */
	cr_assert_eq(db_begin(b), DB_BUSY);
	cr_assert_lt(mono_ms() - t0, 700);
	db_rollback(a);
	cr_assert_eq(db_begin(b), DB_OK, "a past deadline does not fail a free lock");
	db_rollback(b);
	db_close(b);
	db_close(a);
}

Test(db, last_aggregate_is_minus_one_before_any_run)
{
	struct db	*db = open_db();
	int64_t		 ms = 12345;

	cr_assert_eq(db_last_aggregate(db, &ms), DB_OK);
	cr_assert_eq(ms, -1);
	db_close(db);
}

Test(db, last_aggregate_reads_the_meta_table)
{
	struct db	*db = open_db();
	int64_t		 ms = -1;

	need_sqlite3_cli();
	cli("INSERT INTO meta (key, value) VALUES ('last_aggregate_ms', "
	    "1795688100000)");
	cr_assert_eq(db_last_aggregate(db, &ms), DB_OK);
	cr_assert_eq(ms, NOW_MS);
	db_close(db);
}

/* ---- open modes: only ingest creates a database -------------------------- */

Test(db, write_and_read_modes_refuse_a_missing_file_and_create_nothing)
{
	static const enum db_mode modes[] = { DB_WRITE, DB_READ };
	struct db	*db = (struct db *)1;
	char		 err[256], want[256];
	size_t		 i;

	snprintf(want, sizeof(want), "database not found: %s", path);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(db_open(&db, path, modes[i], CONF_SYNC_NORMAL, 100,
		    err, sizeof(err)), DB_NOTFOUND);
		cr_assert_null(db);
		cr_assert_str_eq(err, want);
		cr_assert_neq(access(path, F_OK), 0, "%s was created", path);
	}
	assert_no_leaks();
}

Test(db, read_mode_reads_and_never_writes)
{
	struct db	*db = open_db(), *ro;
	struct rec	 r;
	char		 err[256];

	db_close(db);
	cr_assert_eq(db_open(&ro, path, DB_READ, CONF_SYNC_NORMAL, 100, err,
	    sizeof(err)), DB_OK, "%s", err);
	make_rec(&r, REC("ro"));
	cr_assert_eq(db_insert_request(ro, &r), DB_UNAVAIL, "%s", db_errmsg(ro));
	cr_assert_not_null(strstr(db_errmsg(ro), "readonly"), "%s",
	    db_errmsg(ro));
	rec_free(&r);
	db_close(ro);
}

Test(db, read_mode_refuses_an_older_schema)
{
	struct db	*db = open_db();
	char		 err[256];

	db_close(db);
	need_sqlite3_cli();
	cli("PRAGMA user_version = 2");
	cr_assert_eq(db_open(&db, path, DB_READ, CONF_SYNC_NORMAL, 100, err,
	    sizeof(err)), DB_ERR);
	cr_assert_null(db);
	cr_assert_not_null(strstr(err, "older"), "message \"%s\"", err);
	cr_assert_str_eq(cli("PRAGMA user_version"), "2", "left as it was");
}

/* ---- reads and walks --------------------------------------------------- */

/* Store a record of source, model (or NULL), user (or NULL) at ts_ms. */
static void
put(struct db *db, const char *id, const char *source, const char *model,
    const char *user, int64_t ts_ms, int tokens)
{
	char		 json[512], m[96] = "", u[96] = "";
	struct rec	 r;

	if (model != NULL)
		snprintf(m, sizeof(m), ",\"model\":\"%s\"", model);
	if (user != NULL)
		snprintf(u, sizeof(u), ",\"user_id\":\"%s\"", user);
	snprintf(json, sizeof(json), "{\"request_id\":\"%s\",\"source\":\"%s\","
	    "\"status\":\"success\",\"execution_time\":0.5,\"timestamp\":"
	    "%lld.%03lld,\"tokens_used\":%d%s%s}", id, source,
	    (long long)(ts_ms / 1000), (long long)(ts_ms % 1000), tokens, m, u);
	make_rec(&r, json);
	cr_assert_eq(db_insert_request(db, &r), DB_OK, "%s", json);
	rec_free(&r);
}

struct seen {
	char	 text[2048];
	int	 n, stop_at;	/* stop_at: callback returns 1 on that call */
};

static int
see_row(const struct db_row *r, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s/%s ", r->source,
	    r->model, r->user_id ? r->user_id : "-");
	return ++s->n == s->stop_at;
}

Test(db, rows_come_by_source_then_model_then_user)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 0 };

	put(db, "1", "web", "b", "u2", NOW_MS - 5000, 0);
	put(db, "2", "tg", NULL, "u1", NOW_MS - 4000, 0);
	put(db, "3", "web", "a", NULL, NOW_MS - 3000, 0);
	put(db, "4", "web", "b", "u1", NOW_MS - 2000, 0);
	put(db, "5", "web", "a", "u9", NOW_MS - 1000, 0);
	put(db, "6", "web", "b", "u2", NOW_MS - 500, 0);
	cr_assert_eq(db_rows_each(db, 0, NOW_MS, -1, -1, see_row, &s), DB_OK);
	cr_assert_str_eq(s.text, "tg//u1 web/a/- web/a/u9 web/b/u1 web/b/u2 "
	    "web/b/u2 ");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_rows_each(db, 0, NOW_MS, 3, 5, see_row, &s), DB_OK);
	cr_assert_str_eq(s.text, "web/a/u9 web/b/u1 ", "ids 4 and 5 only");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_rows_each(db, NOW_MS - 3000, NOW_MS - 1000, -1, -1,
	    see_row, &s), DB_OK);
	cr_assert_str_eq(s.text, "web/a/- web/b/u1 ", "[from, to)");
	db_close(db);
}

Test(db, a_callback_that_returns_non_zero_stops_every_walk_with_abort)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 2 };

	put(db, "1", "web", "m", "u", NOW_MS - 3000, 5);
	put(db, "2", "web", "n", "u", NOW_MS - 2000, 5);
	put(db, "3", "web", "o", "u", NOW_MS - 1000, 5);
	cr_assert_eq(db_rows_each(db, 0, NOW_MS, -1, -1, see_row, &s),
	    DB_ABORT);
	cr_assert_eq(s.n, 2, "no row after the callback said stop");
	/* The statement is reset: the next walk starts from the top. */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_rows_each(db, 0, NOW_MS, -1, -1, see_row, &s), DB_OK);
	cr_assert_eq(s.n, 3);
	db_close(db);
}

static int
count_day(const char *day, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s ", day);
	return ++s->n == s->stop_at;
}

Test(db, agg_days_lists_each_local_day_of_new_rows_once)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 0 };

	tz_set("Asia/Taipei");
	/* 2026-11-26T10:15Z is 18:15 in Taipei; 16:00Z starts the 27th. */
	put(db, "1", "web", NULL, NULL, NOW_MS, 0);
	put(db, "2", "web", NULL, NULL, NOW_MS + 1000, 0);
	put(db, "3", "web", NULL, NULL, NOW_MS - 20 * 3600000LL, 0);
	cr_assert_eq(db_agg_days(db, 0, 3, count_day, &s), DB_OK);
	cr_assert_eq(s.n, 2, "days: %s", s.text);
	cr_assert(strstr(s.text, "2026-11-26 ") && strstr(s.text, "2026-11-25 "),
	    "%s", s.text);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	cr_assert_eq(db_agg_days(db, 0, 3, count_day, &s), DB_ABORT);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_agg_days(db, 1, 2, count_day, &s), DB_OK);
	cr_assert_str_eq(s.text, "2026-11-26 ", "id 2 only");
	/* From 0 (every row new) the index is read: ids above hi are not. */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_agg_days(db, 0, 2, count_day, &s), DB_OK);
	cr_assert_str_eq(s.text, "2026-11-26 ", "ids 1 and 2");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_agg_days(db, 2, 3, count_day, &s), DB_OK);
	cr_assert_str_eq(s.text, "2026-11-25 ", "id 3 only");
	db_close(db);
}

static int
see_stats(const struct db_stats *r, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s/%s=%lld,%lld,"
	    "%lld ", r->key, r->source, r->model, (long long)r->requests,
	    (long long)r->users, (long long)r->unpriced);
	return ++s->n == s->stop_at;
}

static void
stats_row(struct db_stats *s, const char *key, const char *source,
    const char *model, int64_t requests, int64_t users, int64_t unpriced)
{
	static const unsigned char	 blob[] = { 0 };

	memset(s, 0, sizeof(*s));
	s->key = key;
	s->source = source;
	s->model = model;
	s->requests = requests;
	s->users = users;
	s->unpriced = unpriced;
	s->hist = blob;
	s->hist_len = 0;
}

Test(db, stats_put_clear_add_and_each_by_key)
{
	struct db	*db = open_db();
	struct db_stats	 r;
	struct seen	 s = { "", 0, 0 };

	cr_assert_eq(db_begin(db), DB_OK);
	stats_row(&r, "2026-11-26", "web", "m", 3, 2, 1);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	stats_row(&r, "2026-11-26T10", "web", "m", 3, 2, 1);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	stats_row(&r, "2026-11-25", "tg", "", 1, 1, 0);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	cr_assert_neq(db_stats_put(db, &r, 0), DB_OK, "the row exists");
	/* add: counts add up, users keep the larger. */
	stats_row(&r, "2026-11-26", "web", "m", 4, 1, 2);
	cr_assert_eq(db_stats_put(db, &r, 1), DB_OK);
	cr_assert_eq(db_commit(db), DB_OK);
	cr_assert_eq(db_stats_each(db, DB_DAILY, "2026-11-25", "2026-11-27",
	    see_stats, &s), DB_OK);
	cr_assert_str_eq(s.text, "2026-11-25/tg/=1,1,0 2026-11-26/web/m=7,2,3 ");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_stats_each(db, DB_HOURLY, "2026-11-26T00",
	    "2026-11-26T11", see_stats, &s), DB_OK);
	cr_assert_str_eq(s.text, "2026-11-26T10/web/m=3,2,1 ");
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	cr_assert_eq(db_stats_each(db, DB_DAILY, "0000", "9999", see_stats,
	    &s), DB_ABORT);
	cr_assert_eq(db_begin(db), DB_OK);
	cr_assert_eq(db_stats_clear(db, "2026-11-26", "2026-11-26T00",
	    "2026-11-27T00"), DB_OK);
	cr_assert_eq(db_commit(db), DB_OK);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_stats_each(db, DB_DAILY, "0000", "9999", see_stats,
	    &s), DB_OK);
	cr_assert_str_eq(s.text, "2026-11-25/tg/=1,1,0 ", "the day cleared");
	db_close(db);
}

static int
see_unpriced(const char *model, int64_t n, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s=%lld ", model,
	    (long long)n);
	return ++s->n == s->stop_at;
}

Test(db, unpriced_each_sums_a_model_over_its_sources)
{
	struct db	*db = open_db();
	struct db_stats	 r;
	struct seen	 s = { "", 0, 0 };

	cr_assert_eq(db_begin(db), DB_OK);
	stats_row(&r, "2026-11-26", "web", "m", 3, 1, 2);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	stats_row(&r, "2026-11-26", "tg", "m", 3, 1, 1);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	stats_row(&r, "2026-11-26", "tg", "", 3, 1, 4);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	stats_row(&r, "2026-11-26", "tg", "priced", 3, 1, 0);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	stats_row(&r, "2026-11-25", "tg", "old", 3, 1, 9);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	cr_assert_eq(db_commit(db), DB_OK);
	cr_assert_eq(db_unpriced_each(db, "2026-11-26", see_unpriced, &s),
	    DB_OK);
	cr_assert_str_eq(s.text, "=4 m=3 ");
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	cr_assert_eq(db_unpriced_each(db, "2026-11-26", see_unpriced, &s),
	    DB_ABORT);
	db_close(db);
}

static int
see_recent(const struct db_recent *r, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s ", r->source,
	    r->model ? r->model : "-");
	return ++s->n == s->stop_at;
}

Test(db, recent_each_is_newest_first_per_source_until_a_time)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 0 };

	put(db, "1", "web", "a", NULL, NOW_MS - 3000, 0);
	put(db, "2", "tg", "b", NULL, NOW_MS - 2000, 0);
	put(db, "3", "web", "c", NULL, NOW_MS - 1000, 0);
	put(db, "4", "web", NULL, NULL, NOW_MS, 0);
	cr_assert_eq(db_recent_each(db, NULL, NOW_MS - 1, 10, see_recent, &s),
	    DB_OK);
	cr_assert_str_eq(s.text, "web/c tg/b web/a ");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_recent_each(db, "web", NOW_MS, 2, see_recent, &s),
	    DB_OK);
	cr_assert_str_eq(s.text, "web/- web/c ");
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	cr_assert_eq(db_recent_each(db, NULL, NOW_MS, 10, see_recent, &s),
	    DB_ABORT);
	db_close(db);
}

/* hourly_stats rows saying that source had requests in the hour keyed h. */
static void
hour_row(struct db *db, const char *h, const char *source)
{
	struct db_stats	 r;

	stats_row(&r, h, source, "", 1, 0, 0);
	cr_assert_eq(db_begin(db), DB_OK);
	cr_assert_eq(db_stats_put(db, &r, 0), DB_OK);
	cr_assert_eq(db_commit(db), DB_OK);
}

Test(db, recent_rows_of_a_source_are_found_through_its_hours)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 0 };
	int64_t		 h0 = 1795683600000LL;	/* 2026-11-26T09:00Z */
	int		 i;
	char		 id[16];

	tz_set("UTC");
	/* tg: two rows three hours back and one after the newest rolled-up
	 * hour; web fills every hour. */
	put(db, "tg1", "tg", "a", NULL, h0 - 3 * 3600000 + 10, 0);
	put(db, "tg2", "tg", "b", NULL, h0 - 3 * 3600000 + 20, 0);
	put(db, "tg3", "tg", "c", NULL, h0 + 5, 0);
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		put(db, id, "web", "w", NULL, h0 - 4 * 3600000 + i * 450000, 0);
	}
	hour_row(db, "2026-11-26T06:00", "tg");
	hour_row(db, "2026-11-26T05:00", "web");
	hour_row(db, "2026-11-26T06:00", "web");
	hour_row(db, "2026-11-26T07:00", "web");
	hour_row(db, "2026-11-26T08:00", "web");
	/* Not rolled up: the tail after the newest hour is read whole. */
	put(db, "tg4", "tg", "d", NULL, h0 + 3600000 + 5, 0);
	cr_assert_eq(db_recent_each(db, "tg", h0 + 7200000, 10, see_recent,
	    &s), DB_OK);
	cr_assert_str_eq(s.text, "tg/d tg/c tg/b tg/a ");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_recent_each(db, "tg", h0 + 7200000, 3, see_recent,
	    &s), DB_OK);
	cr_assert_str_eq(s.text, "tg/d tg/c tg/b ", "the limit holds across hours");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_recent_each(db, "tg", h0 - 3 * 3600000 + 15, 10,
	    see_recent, &s), DB_OK);
	cr_assert_str_eq(s.text, "tg/a ", "until a time inside an hour");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_recent_each(db, "web", h0 + 7200000, 3, see_recent,
	    &s), DB_OK);
	cr_assert_str_eq(s.text, "web/w web/w web/w ");
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	cr_assert_eq(db_recent_each(db, "tg", h0 + 7200000, 10, see_recent,
	    &s), DB_ABORT);
	db_close(db);
}

static int
see_request(const struct rec *r, int64_t id, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s/%s/%lld/%s ",
	    r->request_id, r->source, r->model ? r->model : "-",
	    (long long)r->input_tokens, rec_cost_source_name(r->cost_source));
	cr_assert_gt(id, 0);
	return ++s->n == s->stop_at;
}

static int
see_id(int64_t id, int64_t ts_ms, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%lld@%lld ",
	    (long long)id, (long long)(ts_ms - NOW_MS));
	return ++s->n == s->stop_at;
}

Test(db, requests_each_is_oldest_first_then_by_id_in_a_span)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 0 };

	put(db, "b", "web", "m", NULL, NOW_MS - 1000, 0);
	put(db, "a", "web", NULL, "u", NOW_MS - 1000, 3);
	put(db, "c", "tg", "m", NULL, NOW_MS - 2000, 0);
	put(db, "late", "tg", "m", NULL, NOW_MS, 0);
	cr_assert_eq(db_requests_each(db, NOW_MS - 5000, 0, NOW_MS, INT64_MAX,
	    see_request, &s), DB_OK);
	/* equal times keep the order they were stored in */
	cr_assert_str_eq(s.text, "c/tg/m/-1/none b/web/m/-1/none "
	    "a/web/-/-1/none ");
	/* from (time, id) on: "b" (id 1) is before "a" (id 2) at its time */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_requests_each(db, NOW_MS - 1000, 2, NOW_MS + 1,
	    INT64_MAX, see_request, &s), DB_OK);
	cr_assert_str_eq(s.text, "a/web/-/-1/none late/tg/m/-1/none ");
	/* up to an id */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_requests_each(db, 0, 0, NOW_MS + 1, 3, see_request,
	    &s), DB_OK);
	cr_assert_str_eq(s.text, "c/tg/m/-1/none b/web/m/-1/none "
	    "a/web/-/-1/none ");
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	cr_assert_eq(db_requests_each(db, 0, 0, NOW_MS + 1, INT64_MAX,
	    see_request, &s), DB_ABORT);
	db_close(db);
}

/* Rows in order: the count, and whether any came out of order. */
struct order {
	int64_t	 n, ts, id;
	int	 bad;
};

static int
see_order(const struct rec *r, int64_t id, void *arg)
{
	struct order	*o = arg;

	if (o->n > 0 && (r->ts_ms < o->ts || (r->ts_ms == o->ts && id <= o->id)))
		o->bad = 1;
	o->n++;
	o->ts = r->ts_ms;
	o->id = id;
	return 0;
}

Test(db, requests_each_reads_in_batches_and_loses_no_row_between_them)
{
	struct db	*db = open_db();
	struct order	 o = { 0, 0, 0, 0 };
	char		 id[32];
	int		 i;

	/* 9,000 rows of one time: batch boundaries fall between equals */
	cr_assert_str_eq(cli("INSERT INTO api_requests (request_id, ts_ms,"
	    " source, status, latency_us, tokens, cost_nusd, cost_source,"
	    " received_ms) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT"
	    " x + 1 FROM c WHERE x < 9000) SELECT 'b-' || x, 1795688000000,"
	    " 'web', 'success', 1, 0, 0, 'none', 0 FROM c"), "");
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "after-%d", i);
		put(db, id, "web", NULL, NULL, 1795688000000 + 1 + i, 0);
	}
	cr_assert_eq(db_requests_each(db, 0, 0, INT64_MAX, INT64_MAX,
	    see_order, &o), DB_OK);
	cr_assert_eq(o.n, 9005);
	cr_assert_eq(o.bad, 0, "out of order");
	memset(&o, 0, sizeof(o));
	cr_assert_eq(db_requests_each(db, 1795688000000, 4097, INT64_MAX,
	    9000, see_order, &o), DB_OK);
	cr_assert_eq(o.n, 9000 - 4096, "from a row, up to an id");
	db_close(db);
}

Test(db, row_ids_and_the_first_row_of_a_span)
{
	struct db	*db = open_db();
	struct seen	 s = { "", 0, 0 };
	int64_t		 ts, id;
	int		 by;

	put(db, "1", "web", NULL, NULL, NOW_MS - 1000, 0);
	put(db, "2", "web", NULL, NULL, NOW_MS - 3000, 0);
	put(db, "3", "web", NULL, NULL, NOW_MS - 3000, 0);
	put(db, "4", "web", NULL, NULL, NOW_MS, 0);
	/* through the rowid or the time: the same rows */
	for (by = 0; by < 2; by++) {
		memset(&s, 0, sizeof(s));
		cr_assert_eq(db_row_ids_each(db, by, 1, 3, NOW_MS - 5000,
		    NOW_MS, see_id, &s), DB_OK);
		cr_assert_str_eq(s.text, "2@-3000 3@-3000 ");
		memset(&s, 0, sizeof(s));
		cr_assert_eq(db_row_ids_each(db, by, 0, 9, NOW_MS - 1000,
		    NOW_MS + 1, see_id, &s), DB_OK);
		cr_assert_str_eq(s.text, "1@-1000 4@0 ");
	}
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	cr_assert_eq(db_row_ids_each(db, 1, 0, 9, 0, NOW_MS + 1, see_id, &s),
	    DB_ABORT);
	cr_assert_eq(db_first_row(db, NOW_MS - 5000, NOW_MS, 9, &ts, &id),
	    DB_OK);
	cr_assert_eq(ts, NOW_MS - 3000);
	cr_assert_eq(id, 2);
	cr_assert_eq(db_first_row(db, NOW_MS - 5000, NOW_MS, 1, &ts, &id),
	    DB_OK);
	cr_assert_eq(id, 1, "only rows up to the id");
	cr_assert_eq(db_first_row(db, NOW_MS + 1, NOW_MS + 9, 9, &ts, &id),
	    DB_OK);
	cr_assert_eq(ts, -1);
	cr_assert_eq(id, -1);
	db_close(db);
}

Test(db, rows_sig_changes_with_any_row_in_the_span_and_only_then)
{
	struct db		*db = open_db();
	struct db_rows_sig	 a, b, c;

	cr_assert_eq(db_rows_sig(db, NOW_MS - 5000, NOW_MS, INT64_MAX, &a), DB_OK);
	cr_assert_eq(a.n, 0);
	cr_assert_eq(a.sum_id, 0);
	put(db, "1", "web", NULL, NULL, NOW_MS - 3000, 0);
	put(db, "2", "web", NULL, NULL, NOW_MS - 2000, 0);
	cr_assert_eq(db_rows_sig(db, NOW_MS - 5000, NOW_MS, INT64_MAX, &a), DB_OK);
	cr_assert_eq(a.n, 2);
	/* a row outside the span changes nothing */
	put(db, "3", "web", NULL, NULL, NOW_MS, 0);
	cr_assert_eq(db_rows_sig(db, NOW_MS - 5000, NOW_MS, INT64_MAX, &b), DB_OK);
	cr_assert(memcmp(&a, &b, sizeof(a)) == 0);
	/* a late row inside it does, and so does a deleted one */
	put(db, "4", "web", NULL, NULL, NOW_MS - 4000, 0);
	cr_assert_eq(db_rows_sig(db, NOW_MS - 5000, NOW_MS, INT64_MAX, &c), DB_OK);
	cr_assert_eq(c.n, 3);
	cr_assert_gt(c.max_id, a.max_id);
	cr_assert_str_eq(cli("DELETE FROM api_requests WHERE request_id = '1'"),
	    "");
	cr_assert_eq(db_rows_sig(db, NOW_MS - 5000, NOW_MS, INT64_MAX, &b), DB_OK);
	cr_assert_eq(b.n, 2);
	cr_assert_neq(b.min_id, c.min_id);
	/* only rows up to an id */
	cr_assert_eq(db_rows_sig(db, NOW_MS - 5000, NOW_MS, 2, &b), DB_OK);
	cr_assert_eq(b.n, 1);
	cr_assert_eq(b.max_id, 2);
	db_close(db);
}

static int
see_alert(const struct alert *a, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s/%s/%s/%s ",
	    alert_rule_name(a->rule), a->scope, a->day,
	    alert_severity_name(a->severity), alert_state_name(a->state));
	return ++s->n == s->stop_at;
}

Test(db, alerts_round_trip_newest_first_and_by_day)
{
	struct db	*db = open_db();
	struct alert	 a;
	struct seen	 s = { "", 0, 0 };

	memset(&a, 0, sizeof(a));
	a.rule = ALERT_ERROR_RATE;
	snprintf(a.scope, sizeof(a.scope), "source:web");
	snprintf(a.day, sizeof(a.day), "2026-11-25");
	a.severity = ALERT_WARNING;
	a.state = ALERT_FIRING;
	a.updated_ms = 1;
	a.resolved_ms = -1;
	cr_assert_eq(db_alert_put(db, &a), DB_OK);
	cr_assert_eq(a.id, 1);
	a.severity = ALERT_CRITICAL;
	a.state = ALERT_ESCALATED;
	a.updated_ms = 3;
	cr_assert_eq(db_alert_put(db, &a), DB_OK, "an update");
	a.id = 0;
	a.rule = ALERT_UNPRICED_MODEL;
	snprintf(a.scope, sizeof(a.scope), "model:m");
	snprintf(a.day, sizeof(a.day), "2026-11-26");
	a.state = ALERT_RESOLVED;
	a.updated_ms = 2;
	cr_assert_eq(db_alert_put(db, &a), DB_OK);
	cr_assert_eq(db_alerts_each(db, NULL, see_alert, &s), DB_OK);
	cr_assert_str_eq(s.text, "error_rate/source:web/2026-11-25/critical/"
	    "escalated unpriced_model/model:m/2026-11-26/critical/resolved ");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_alerts_each(db, "2026-11-26", see_alert, &s), DB_OK);
	cr_assert_eq(s.n, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	cr_assert_eq(db_alerts_each(db, NULL, see_alert, &s), DB_ABORT);
	/* A row apimon did not write is an error, not a guess. */
	need_sqlite3_cli();
	cli("UPDATE alerts SET state = 'maybe' WHERE id = 1");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(db_alerts_each(db, NULL, see_alert, &s), DB_ERR);
	db_close(db);
}

static int64_t
max_id(struct db *db)
{
	struct db_agg_state	 st;

	cr_assert_eq(db_agg_state(db, &st), DB_OK);
	return st.max_id;
}

Test(db, ids_never_come_back_after_retention_deleted_the_newest_rows)
{
	struct db	*db = open_db();
	long		 n = -1;

	put(db, "1", "web", NULL, NULL, NOW_MS - 1000, 0);
	put(db, "2", "web", NULL, NULL, NOW_MS - 9000, 0);
	put(db, "3", "web", NULL, NULL, NOW_MS - 8000, 0);
	cr_assert_eq(max_id(db), 3);
	/* The two newest ids hold the oldest rows: retention takes them. */
	cr_assert_eq(db_begin(db), DB_OK);
	cr_assert_eq(db_purge(db, NOW_MS - 5000, 3, 100, &n), DB_OK);
	cr_assert_eq(db_commit(db), DB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(max_id(db), 3, "the high-water mark stays");
	put(db, "4", "web", NULL, NULL, NOW_MS, 0);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("SELECT group_concat(id) FROM (SELECT id FROM "
	    "api_requests ORDER BY id)"), "1,4", "id 4, not 2 again");
	/* In one transaction ids follow on; a duplicate takes none. */
	cr_assert_eq(db_begin(db), DB_OK);
	put(db, "5", "web", NULL, NULL, NOW_MS, 0);
	{
		struct rec r;
		make_rec(&r, REC("5"));
		cr_assert_eq(db_insert_request(db, &r), DB_DUP);
		rec_free(&r);
	}
	put(db, "6", "web", NULL, NULL, NOW_MS, 0);
	cr_assert_eq(db_commit(db), DB_OK);
	cr_assert_str_eq(cli("SELECT group_concat(request_id || '=' || id) FROM "
	    "(SELECT * FROM api_requests ORDER BY id)"), "1=1,4=4,5=5,6=6");
	/* A rollback gives its ids back: nothing was stored under them. */
	cr_assert_eq(db_begin(db), DB_OK);
	put(db, "7", "web", NULL, NULL, NOW_MS, 0);
	db_rollback(db);
	put(db, "8", "web", NULL, NULL, NOW_MS, 0);
	cr_assert_str_eq(cli("SELECT id FROM api_requests WHERE request_id "
	    "= '8'"), "7");
	cr_assert_eq(max_id(db), 7);
	db_close(db);
}

Test(db, purge_deletes_only_old_rows_below_the_watermark)
{
	struct db	*db = open_db();
	long		 n = -1;
	int64_t		 v = 0;

	put(db, "1", "web", NULL, NULL, NOW_MS - 10000, 0);
	put(db, "2", "web", NULL, NULL, NOW_MS - 9000, 0);
	put(db, "3", "web", NULL, NULL, NOW_MS - 1000, 0);
	cr_assert_eq(db_begin(db), DB_OK);
	cr_assert_eq(db_purge(db, NOW_MS - 5000, 1, 100, &n), DB_OK);
	cr_assert_eq(n, 1, "row 2 is old but not rolled up");
	cr_assert_eq(db_purge(db, NOW_MS - 5000, 3, 100, &n), DB_OK);
	cr_assert_eq(n, 1, "row 3 is not old");
	cr_assert_eq(db_commit(db), DB_OK);
	cr_assert_eq(db_meta_get(db, "purged_before_ms", &v), DB_OK);
	cr_assert_eq(v, NOW_MS - 5000);
	db_close(db);
}
