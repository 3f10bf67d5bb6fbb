/* db.c — all of apimon's SQL, behind functions named for what they do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "ts.h"

/*
 * Forward migrations: entry i takes user_version i to i + 1.  Never edit
 * a released entry; append a new one and bump DB_SCHEMA_VERSION.
 */
static const char *const migrations[DB_SCHEMA_VERSION] = {
	/* 0 -> 1: raw requests and job state. */
	"CREATE TABLE api_requests ("
	"  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  request_id    TEXT NOT NULL UNIQUE,"
	"  ts_ms         INTEGER NOT NULL,"
	"  source        TEXT NOT NULL,"
	"  user_id       TEXT,"
	"  command       TEXT,"
	"  model         TEXT,"
	"  provider      TEXT,"
	"  status        TEXT NOT NULL,"
	"  latency_us    INTEGER NOT NULL,"
	"  ttft_us       INTEGER,"
	"  input_tokens  INTEGER,"
	"  output_tokens INTEGER,"
	"  tokens        INTEGER NOT NULL,"
	"  cost_nusd     INTEGER NOT NULL,"
	"  cost_source   TEXT NOT NULL,"
	"  error         TEXT,"
	"  metadata      TEXT,"
	"  received_ms   INTEGER NOT NULL);"
	"CREATE INDEX api_requests_ts ON api_requests (ts_ms);"
	"CREATE INDEX api_requests_source_ts ON api_requests (source, ts_ms);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;",

	/* 1 -> 2: rollups, alerts and the notification outbox. */
#define STATS_COLUMNS \
	"  source         TEXT NOT NULL," \
	"  model          TEXT NOT NULL," \
	"  requests       INTEGER NOT NULL," \
	"  successes      INTEGER NOT NULL," \
	"  failures       INTEGER NOT NULL," \
	"  errors         INTEGER NOT NULL," \
	"  timeouts       INTEGER NOT NULL," \
	"  rate_limited   INTEGER NOT NULL," \
	"  latency_sum_us INTEGER NOT NULL," \
	"  latency_hist   BLOB NOT NULL," \
	"  ttft_count     INTEGER NOT NULL," \
	"  ttft_sum_us    INTEGER NOT NULL," \
	"  tokens         INTEGER NOT NULL," \
	"  input_tokens   INTEGER NOT NULL," \
	"  output_tokens  INTEGER NOT NULL," \
	"  cost_nusd      INTEGER NOT NULL," \
	"  unpriced       INTEGER NOT NULL," \
	"  users          INTEGER NOT NULL,"
	"CREATE TABLE hourly_stats (hour TEXT NOT NULL," STATS_COLUMNS
	"  PRIMARY KEY (hour, source, model)) WITHOUT ROWID;"
	"CREATE TABLE daily_stats (day TEXT NOT NULL," STATS_COLUMNS
	"  PRIMARY KEY (day, source, model)) WITHOUT ROWID;"
	"CREATE TABLE alerts ("
	"  id          INTEGER PRIMARY KEY,"
	"  rule        TEXT NOT NULL,"
	"  scope       TEXT NOT NULL,"
	"  day         TEXT NOT NULL,"
	"  severity    TEXT NOT NULL,"
	"  state       TEXT NOT NULL,"
	"  value       REAL NOT NULL,"
	"  threshold   REAL NOT NULL,"
	"  message     TEXT NOT NULL,"
	"  fired_ms    INTEGER NOT NULL,"
	"  updated_ms  INTEGER NOT NULL,"
	"  resolved_ms INTEGER,"
	"  UNIQUE (rule, scope, day));"
	"CREATE TABLE outbox ("
	"  id         INTEGER PRIMARY KEY,"
	"  alert_id   INTEGER NOT NULL REFERENCES alerts (id),"
	"  event      TEXT NOT NULL,"
	"  payload    TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE deliveries ("
	"  outbox_id    INTEGER NOT NULL REFERENCES outbox (id),"
	"  notifier     TEXT NOT NULL,"
	"  attempts     INTEGER NOT NULL DEFAULT 0,"
	"  next_ms      INTEGER NOT NULL,"
	"  delivered_ms INTEGER,"
	"  last_error   TEXT,"
	"  PRIMARY KEY (outbox_id, notifier)) WITHOUT ROWID;"
	"CREATE INDEX deliveries_due ON deliveries (next_ms)"
	"  WHERE delivered_ms IS NULL;",
#undef STATS_COLUMNS
};

/* Prepared once per connection, used by index. */

static const char *const sql[ST__MAX] = {
	[ST_INSERT] = "INSERT INTO api_requests (request_id, ts_ms, source,"
	    " user_id, command, model, provider, status, latency_us, ttft_us,"
	    " input_tokens, output_tokens, tokens, cost_nusd, cost_source,"
	    " error, metadata, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,"
	    "?,?,?,?,?,?) ON CONFLICT (request_id) DO NOTHING",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_LAST_AGG] = "SELECT value FROM meta WHERE key = 'last_aggregate_ms'",
};


enum db_rc
db_classify(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_BUSY;
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_NOMEM:
		return DB_UNAVAIL;
	default:
		return DB_ERR;
	}
}

/*
 * SQLite's own busy handler sleeps in steps of up to 100 ms; short, growing
 * naps keep the tail latency of concurrent writers low.  The wait is timed
 * on the clock: naps oversleep on a loaded machine, so their sum is not.
 */
static int
busy_wait(void *arg, int count)
{
	struct db	*db = arg;
	long		 nap_us = count < 6 ? 50L << count : 2000;
	int64_t		 now = ts_mono_ms(), end;
	struct timespec	 ts;

	if (count == 0)
		db->busy_since = now;
	end = db->deadline ? db->deadline : db->busy_since + db->busy_ms;
	if (now >= end)
		return 0;
	if (nap_us > (end - now) * 1000)
		nap_us = (long)(end - now) * 1000;
	ts.tv_sec = 0;
	ts.tv_nsec = nap_us * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

enum db_rc
db_exec(struct db *db, const char *q, char *err, size_t errlen)
{
	char	*msg = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(db->h, q, NULL, NULL, &msg)) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return db_classify(rc);
}

static enum db_rc
migrate(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	char		 q[64];
	enum db_rc	 rc;
	int		 v;

	if ((rc = db_exec(db, "BEGIN IMMEDIATE", err, errlen)) != DB_OK)
		return rc;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db->h));
		rc = db_classify(sqlite3_errcode(db->h));
		goto out;
	}
	v = sqlite3_column_int(st, 0);
	if (v > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d is newer than this "
		    "program's %d", v, DB_SCHEMA_VERSION);
		rc = DB_ERR;
		goto out;
	}
	for (; v < DB_SCHEMA_VERSION; v++) {
		snprintf(q, sizeof(q), "PRAGMA user_version = %d", v + 1);
		if ((rc = db_exec(db, migrations[v], err, errlen)) != DB_OK ||
		    (rc = db_exec(db, q, err, errlen)) != DB_OK)
			goto out;
	}
	rc = db_exec(db, "COMMIT", err, errlen);
out:
	sqlite3_finalize(st);
	if (rc != DB_OK)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

enum db_rc
db_open(struct db **out, const char *path, enum conf_sync sync, int busy_ms,
    char *err, size_t errlen)
{
	static const char *const syncs[] = { "PRAGMA synchronous = OFF",
	    "PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL" };
	struct db	*db;
	enum db_rc	 rc;
	int		 i, src;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DB_UNAVAIL;
	}
	db->busy_ms = busy_ms;
	src = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db->h ?
		    sqlite3_errmsg(db->h) : sqlite3_errstr(src));
		rc = db_classify(src);
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_handler(db->h, busy_wait, db);
	if ((rc = db_agg_register(db)) != DB_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db->h));
		goto fail;
	}
	/* journal_mode needs the lock when it changes; retry like a write. */
	if ((rc = db_exec(db, "PRAGMA journal_mode = WAL", err, errlen)) ||
	    (rc = db_exec(db, syncs[sync], err, errlen)) ||
	    (rc = migrate(db, err, errlen)))
		goto fail;
	for (i = 0; i < ST__MAX; i++)
		if (sqlite3_prepare_v3(db->h, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(db->h));
			rc = db_classify(sqlite3_errcode(db->h));
			goto fail;
		}
	*out = db;
	return DB_OK;
fail:
	if (rc == DB_OK)
		rc = DB_ERR;
	/* Every message names the file, whichever step failed. */
	if (strncmp(err, path, strlen(path)) != 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", path, msg);
	}
	db_close(db);
	return rc;
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(db->st[i]);
	db_agg_finalize(db);
	sqlite3_close(db->h);
	free(db);
}

void
db_deadline(struct db *db, int64_t deadline)
{
	db->deadline = deadline;
}

const char *
db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

/* Run a statement that returns no rows, then reset it. */
static enum db_rc
run(struct db *db, enum stmt i)
{
	int	 rc = sqlite3_step(db->st[i]);

	sqlite3_reset(db->st[i]);
	return rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

enum db_rc
db_begin(struct db *db)
{
	return run(db, ST_BEGIN);
}

enum db_rc
db_commit(struct db *db)
{
	return run(db, ST_COMMIT);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		run(db, ST_ROLLBACK);
}

void
db_tune_bulk(struct db *db)
{
	sqlite3_exec(db->h, "PRAGMA cache_size = -131072", NULL, NULL, NULL);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

void
db_bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

enum db_rc
db_insert_request(struct db *db, const struct rec *r)
{
	sqlite3_stmt	*st = db->st[ST_INSERT];
	int		 rc;

	bind_text(st, 1, r->request_id);
	sqlite3_bind_int64(st, 2, r->ts_ms);
	bind_text(st, 3, r->source);
	bind_text(st, 4, r->user_id);
	bind_text(st, 5, r->command);
	bind_text(st, 6, r->model);
	bind_text(st, 7, r->provider);
	bind_text(st, 8, r->status);
	sqlite3_bind_int64(st, 9, r->latency_us);
	db_bind_opt(st, 10, r->ttft_us);
	db_bind_opt(st, 11, r->input_tokens);
	db_bind_opt(st, 12, r->output_tokens);
	sqlite3_bind_int64(st, 13, r->tokens);
	sqlite3_bind_int64(st, 14, r->cost_nusd);
	bind_text(st, 15, rec_cost_source_name(r->cost_source));
	bind_text(st, 16, r->error);
	bind_text(st, 17, r->metadata);
	sqlite3_bind_int64(st, 18, r->received_ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_classify(rc);
	return sqlite3_changes(db->h) == 0 ? DB_DUP : DB_OK;
}

enum db_rc
db_check_writable(struct db *db)
{
	enum db_rc	 rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	db_rollback(db);
	return DB_OK;
}

enum db_rc
db_last_aggregate(struct db *db, int64_t *ms)
{
	sqlite3_stmt	*st = db->st[ST_LAST_AGG];
	int		 rc;

	*ms = -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		*ms = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}
