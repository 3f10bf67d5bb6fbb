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

/* See test_conf.c: make a leak fail the test that caused it. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define assert_no_leaks()	cr_assert_eq(__lsan_do_recoverable_leak_check(), \
				    0, "LeakSanitizer found a leak (see stderr)")
#else
#define assert_no_leaks()	((void)0)
#endif

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

	cr_assert_eq(db_open(&db, path, CONF_SYNC_NORMAL, 1000, err,
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

	cr_assert_eq(DB_SCHEMA_VERSION, 2);
	need_sqlite3_cli();
	cr_assert_str_eq(cli("PRAGMA user_version"), "2");
	cr_assert_str_eq(cli("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('api_requests', 'meta', "
	    "'hourly_stats', 'daily_stats', 'alerts', 'outbox', "
	    "'deliveries')"), "7");
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
		cr_assert_eq(db_open(&db, path, levels[i], 1000, err,
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
	cr_assert_eq(db_open(&db, path, CONF_SYNC_NORMAL, 1000, err,
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
	    CONF_SYNC_NORMAL, 100, err, sizeof(err)), DB_UNAVAIL);
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
	cr_assert_neq(db_open(&db, path, CONF_SYNC_NORMAL, 100, err,
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

	cr_assert_eq(db_open(&b, path, CONF_SYNC_NORMAL, 50, err,
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

	cr_assert_eq(db_open(&b, path, CONF_SYNC_NORMAL, 300, err,
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
