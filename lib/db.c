/* db.c — the connection, its schema and transactions, meta, raw inserts. */
#include <sys/stat.h>

#include <errno.h>
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

	/* 2 -> 3: notifier keys name no secret (webhook URLs held tokens). */
	"UPDATE deliveries SET notifier = apimon_notifier_key(notifier);",

	/*
	 * 3 -> 4: hours are the zone's local hours, keyed by their UTC start
	 * to the minute; each rollup counts the dashboard's latency buckets
	 * exactly.  Rows whose raw rows are gone keep their UTC hours and an
	 * estimate from the histogram; the next aggregate run recomputes
	 * the rest (rebuild_pending).
	 */
#define LAT_COLUMNS(t) \
	"ALTER TABLE " t " ADD COLUMN lat_0_1s INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE " t " ADD COLUMN lat_1_2s INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE " t " ADD COLUMN lat_2_3s INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE " t " ADD COLUMN lat_3_5s INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE " t " ADD COLUMN lat_5s_up INTEGER NOT NULL DEFAULT 0;" \
	"UPDATE " t " SET lat_0_1s = apimon_lat_estimate(latency_hist, 0)," \
	"  lat_1_2s = apimon_lat_estimate(latency_hist, 1)," \
	"  lat_2_3s = apimon_lat_estimate(latency_hist, 2)," \
	"  lat_3_5s = apimon_lat_estimate(latency_hist, 3)," \
	"  lat_5s_up = apimon_lat_estimate(latency_hist, 4);"
	LAT_COLUMNS("hourly_stats") LAT_COLUMNS("daily_stats")
	"UPDATE hourly_stats SET hour = hour || ':00' WHERE length(hour) = 13;"
	"INSERT INTO meta (key, value) SELECT 'rebuild_pending', 1"
	"  WHERE EXISTS (SELECT 1 FROM daily_stats)"
	"  ON CONFLICT (key) DO UPDATE SET value = 1;",
#undef LAT_COLUMNS

	/*
	 * 4 -> 5: alerts remember when they were last sent (repeats, and
	 * what a silence held back); silences; the outbox holds digests (no
	 * alert) and says why an event it holds was not sent.  Active alerts
	 * were sent when they fired.
	 */
	"ALTER TABLE alerts ADD COLUMN notified_ms INTEGER;"
	"UPDATE alerts SET notified_ms = updated_ms"
	"  WHERE state IN ('firing', 'escalated');"
	"CREATE TABLE silences ("
	"  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  rule       TEXT NOT NULL,"
	"  scope      TEXT NOT NULL DEFAULT '',"
	"  comment    TEXT NOT NULL DEFAULT '',"
	"  created_ms INTEGER NOT NULL,"
	"  ends_ms    INTEGER NOT NULL);"
	"CREATE INDEX silences_ends ON silences (ends_ms);"
	"CREATE TABLE outbox_v5 ("
	"  id         INTEGER PRIMARY KEY,"
	"  alert_id   INTEGER REFERENCES alerts (id),"
	"  event      TEXT NOT NULL,"
	"  payload    TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  held       TEXT);"
	"INSERT INTO outbox_v5 (id, alert_id, event, payload, created_ms)"
	"  SELECT id, alert_id, event, payload, created_ms FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v5 RENAME TO outbox;",

	/*
	 * 5 -> 6: a commit of new rows writes fewer pages.  The index by
	 * (source, ts_ms) only served the dashboard's newest rows of a
	 * source, which the hours of hourly_stats now lead to; and
	 * api_requests drops AUTOINCREMENT (its sqlite_sequence page was
	 * written by every commit) in drop_autoincrement() below.
	 */
	"DROP INDEX IF EXISTS api_requests_source_ts;",

	/*
	 * 6 -> 7: a run adds the rows that are new to a recent day instead
	 * of reading the whole day again (a busy day holds millions): what
	 * its rollups count, and which users (distinct counts do not add
	 * up).  Kept for today and yesterday only.
	 */
	"CREATE TABLE IF NOT EXISTS rollup_days ("
	"  day     TEXT PRIMARY KEY,"
	"  upto_id INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS rollup_users ("
	"  day     TEXT NOT NULL,"
	"  hour    INTEGER NOT NULL,"
	"  source  TEXT NOT NULL,"
	"  model   TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  PRIMARY KEY (day, hour, source, model, user_id)"
	") WITHOUT ROWID;",
};

static const char *const sql[ST__MAX] = {
	[ST_INSERT] = "INSERT INTO api_requests (request_id, ts_ms, source,"
	    " user_id, command, model, provider, status, latency_us, ttft_us,"
	    " input_tokens, output_tokens, tokens, cost_nusd, cost_source,"
	    " error, metadata, received_ms, id) VALUES (?,?,?,?,?,?,?,?,?,?,?,"
	    "?,?,?,?,?,?,?,?) ON CONFLICT (request_id) DO NOTHING",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_LAST_AGG] = "SELECT value FROM meta WHERE key = 'last_aggregate_ms'",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?",
	[ST_META_SET] = ("INSERT INTO meta (key, value) VALUES (?, ?)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
	[ST_MAX_ID] = "SELECT MAX(COALESCE((SELECT MAX(id) FROM api_requests),"
	    " 0), COALESCE((SELECT value FROM meta WHERE key = 'id_floor'), 0))",
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

static enum db_rc
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

/* Migration 2 -> 3: the key of a notifier from the key it had before. */
static void
fn_notifier_key(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char	*old = (const char *)sqlite3_value_text(argv[0]);
	char		*key;

	(void)argc;
	if (old == NULL || (key = conf_notify_key_legacy(old)) == NULL) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	sqlite3_result_text(cx, key, -1, free);
}

/* The schema version of the file: *v. */
static enum db_rc
user_version(struct db *db, int *v, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	enum db_rc	 rc = DB_OK;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db->h));
		rc = db_classify(sqlite3_errcode(db->h));
		if (rc == DB_OK)
			rc = DB_ERR;
	} else
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* The first column of the first row of q as an integer: *v (0: none). */
static enum db_rc
query_int(struct db *db, const char *q, int64_t *v, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	*v = 0;
	if ((rc = sqlite3_prepare_v2(db->h, q, -1, &st, NULL)) == SQLITE_OK &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return db_classify(rc);
}

/*
 * Migration 5 -> 6, in the migration's transaction: api_requests without
 * AUTOINCREMENT.  Its ids must still never be given twice (the rollup
 * watermark and the rows past it rely on that): the sequence's last value
 * becomes meta.id_floor, which new ids stay above (db_max_id()).  Dropping
 * AUTOINCREMENT does not change how the table is stored, so its CREATE
 * text is edited in place (SQLite's documented procedure for schema
 * changes that leave the stored content as it is) instead of copying
 * every row into a new table.
 */
static enum db_rc
drop_autoincrement(struct db *db, char *err, size_t errlen)
{
	char		 q[64];
	enum db_rc	 rc;
	int64_t		 n, v;

	if ((rc = query_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE"
	    " name = 'sqlite_sequence'", &n, err, errlen)) != DB_OK)
		return rc;
	if (n > 0 && ((rc = db_exec(db, "INSERT INTO meta (key, value)"
	    " SELECT 'id_floor', seq FROM sqlite_sequence"
	    " WHERE name = 'api_requests'"
	    " ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value);"
	    "DELETE FROM sqlite_sequence WHERE name = 'api_requests';", err,
	    errlen)) != DB_OK))
		return rc;
	if ((rc = query_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE"
	    " type = 'table' AND name = 'api_requests'"
	    " AND sql LIKE '%AUTOINCREMENT%'", &n, err, errlen)) != DB_OK ||
	    n == 0)
		return rc;
	if ((rc = query_int(db, "PRAGMA schema_version", &v, err,
	    errlen)) != DB_OK)
		return rc;
	snprintf(q, sizeof(q), "PRAGMA schema_version = %lld",
	    (long long)v + 1);
	rc = db_exec(db, "PRAGMA writable_schema = ON;"
	    "UPDATE sqlite_schema SET sql = replace(sql, ' AUTOINCREMENT', '')"
	    " WHERE type = 'table' AND name = 'api_requests';", err, errlen);
	if (rc == DB_OK)
		rc = db_exec(db, q, err, errlen);
	/* Off again whatever happened: nothing else may write the schema. */
	sqlite3_exec(db->h, "PRAGMA writable_schema = OFF", NULL, NULL, NULL);
	return rc;
}

/* Steps of a migration that SQL text alone cannot take, by version. */
static enum db_rc (*const migration_fns[DB_SCHEMA_VERSION])(struct db *,
    char *, size_t) = {
	[5] = drop_autoincrement,
};

static enum db_rc
migrate(struct db *db, char *err, size_t errlen)
{
	char		 q[64];
	enum db_rc	 rc;
	int		 v = 0;

	if ((rc = db_exec(db, "BEGIN IMMEDIATE", err, errlen)) != DB_OK)
		return rc;
	if ((rc = user_version(db, &v, err, errlen)) != DB_OK)
		goto out;
	if (v > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d is newer than this "
		    "program's %d", v, DB_SCHEMA_VERSION);
		rc = DB_ERR;
		goto out;
	}
	for (; v < DB_SCHEMA_VERSION; v++) {
		snprintf(q, sizeof(q), "PRAGMA user_version = %d", v + 1);
		if ((rc = db_exec(db, migrations[v], err, errlen)) != DB_OK ||
		    (migration_fns[v] != NULL &&
		    (rc = migration_fns[v](db, err, errlen)) != DB_OK) ||
		    (rc = db_exec(db, q, err, errlen)) != DB_OK)
			goto out;
	}
	rc = db_exec(db, "COMMIT", err, errlen);
out:
	if (rc != DB_OK)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* A reader takes the schema as it is: it must be this program's. */
static enum db_rc
check_version(struct db *db, char *err, size_t errlen)
{
	enum db_rc	 rc;
	int		 v = 0;

	if ((rc = user_version(db, &v, err, errlen)) != DB_OK)
		return rc;
	if (v == DB_SCHEMA_VERSION)
		return DB_OK;
	if (v < DB_SCHEMA_VERSION)
		snprintf(err, errlen, "schema version %d is older than this "
		    "program's %d (apimon-aggregate upgrades it)", v,
		    DB_SCHEMA_VERSION);
	else
		snprintf(err, errlen, "schema version %d is newer than this "
		    "program's %d", v, DB_SCHEMA_VERSION);
	return DB_ERR;
}

enum db_rc
db_open(struct db **out, const char *path, enum db_mode mode,
    enum conf_sync sync, int busy_ms, char *err, size_t errlen)
{
	static const char *const syncs[] = { "PRAGMA synchronous = OFF",
	    "PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL" };
	struct db	*db;
	struct stat	 sb;
	enum db_rc	 rc;
	int		 src, flags = SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	err[0] = '\0';
	/* Only ingest creates a database; a mistyped path is an error. */
	if (mode != DB_CREATE && stat(path, &sb) == -1 && errno == ENOENT) {
		snprintf(err, errlen, "database not found: %s", path);
		return DB_NOTFOUND;
	}
	flags |= mode == DB_READ ? SQLITE_OPEN_READONLY :
	    mode == DB_WRITE ? SQLITE_OPEN_READWRITE :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return DB_UNAVAIL;
	}
	db->busy_ms = busy_ms;
	if ((src = sqlite3_open_v2(path, &db->h, flags, NULL)) != SQLITE_OK) {
		snprintf(err, errlen, "%s", db->h ? sqlite3_errmsg(db->h) :
		    sqlite3_errstr(src));
		rc = db_classify(src);
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_handler(db->h, busy_wait, db);
	if ((rc = db_rollup_register(db)) != DB_OK ||
	    (rc = db_classify(sqlite3_create_function(db->h,
	    "apimon_notifier_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	    fn_notifier_key, NULL, NULL))) != DB_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db->h));
		goto fail;
	}
	if (mode == DB_READ)
		rc = check_version(db, err, errlen);
	/*
	 * journal_mode needs the lock when it changes; retry like a write.
	 * A WAL that a long read let grow is cut back to 64 MiB when it
	 * starts over, so that a burst does not keep its disk space.
	 */
	else if ((rc = db_exec(db, "PRAGMA journal_mode = WAL", err,
	    errlen)) == DB_OK && (rc = db_exec(db, syncs[sync], err,
	    errlen)) == DB_OK && (rc = db_exec(db,
	    "PRAGMA journal_size_limit = 67108864", err, errlen)) == DB_OK)
		rc = migrate(db, err, errlen);
	if (rc != DB_OK)
		goto fail;
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

sqlite3_stmt *
db_stmt(struct db *db, enum stmt i, const char *q)
{
	if (db->st[i] == NULL && sqlite3_prepare_v3(db->h, q, -1,
	    SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(db->st[i]);
	sqlite3_clear_bindings(db->st[i]);
	return db->st[i];
}

enum db_rc
db_done(sqlite3_stmt *st)
{
	int	 rc;

	if (st == NULL)
		return DB_ERR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

enum db_rc
db_walk(sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg)
{
	int	 rc;

	if (st == NULL)
		return DB_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, arg) != 0) {
			sqlite3_reset(st);
			return DB_ABORT;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

/* Statement i of this file. */
static sqlite3_stmt *
stmt(struct db *db, enum stmt i)
{
	return db_stmt(db, i, sql[i]);
}

/* The next id is known only inside the transaction that asked for it. */
enum db_rc
db_begin(struct db *db)
{
	db->next_id = 0;
	return db_done(stmt(db, ST_BEGIN));
}

enum db_rc
db_commit(struct db *db)
{
	db->next_id = 0;
	return db_done(stmt(db, ST_COMMIT));
}

void
db_rollback(struct db *db)
{
	db->next_id = 0;
	if (!sqlite3_get_autocommit(db->h))
		db_done(stmt(db, ST_ROLLBACK));
}

/* 16 MiB loads as fast as 128 MiB did (bench/import), for an eighth of
 * the memory: it is the whole of an import's peak. */
void
db_tune_bulk(struct db *db)
{
	sqlite3_exec(db->h, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
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

int64_t
db_col_opt(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, col);
}

enum db_rc
db_max_id(struct db *db, int64_t *id)
{
	sqlite3_stmt	*st = stmt(db, ST_MAX_ID);
	int		 rc;

	*id = 0;
	if (st == NULL)
		return DB_ERR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

/*
 * Ids are given here, above the high-water mark, as AUTOINCREMENT gave
 * them; the mark is read once a transaction (the write lock keeps it).
 */
enum db_rc
db_insert_request(struct db *db, const struct rec *r)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;
	int64_t		 max;

	if (db->next_id == 0 || sqlite3_get_autocommit(db->h)) {
		if ((rc = db_max_id(db, &max)) != DB_OK)
			return rc;
		db->next_id = max + 1;
	}
	if ((st = stmt(db, ST_INSERT)) == NULL)
		return DB_ERR;
	db_bind_text(st, 1, r->request_id);
	sqlite3_bind_int64(st, 2, r->ts_ms);
	db_bind_text(st, 3, r->source);
	db_bind_text(st, 4, r->user_id);
	db_bind_text(st, 5, r->command);
	db_bind_text(st, 6, r->model);
	db_bind_text(st, 7, r->provider);
	db_bind_text(st, 8, r->status);
	sqlite3_bind_int64(st, 9, r->latency_us);
	db_bind_opt(st, 10, r->ttft_us);
	db_bind_opt(st, 11, r->input_tokens);
	db_bind_opt(st, 12, r->output_tokens);
	sqlite3_bind_int64(st, 13, r->tokens);
	sqlite3_bind_int64(st, 14, r->cost_nusd);
	db_bind_text(st, 15, rec_cost_source_name(r->cost_source));
	db_bind_text(st, 16, r->error);
	db_bind_text(st, 17, r->metadata);
	sqlite3_bind_int64(st, 18, r->received_ms);
	sqlite3_bind_int64(st, 19, db->next_id);
	if ((rc = db_done(st)) != DB_OK)
		return rc;
	if (sqlite3_changes(db->h) == 0)
		return DB_DUP;
	db->next_id++;
	return DB_OK;
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

/* Read one integer: *v when the row exists and holds one. */
static enum db_rc
get_int(sqlite3_stmt *st, int64_t *v)
{
	int	 rc;

	if (st == NULL)
		return DB_ERR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

enum db_rc
db_last_aggregate(struct db *db, int64_t *ms)
{
	*ms = -1;
	return get_int(stmt(db, ST_LAST_AGG), ms);
}

enum db_rc
db_meta_get(struct db *db, const char *key, int64_t *v)
{
	sqlite3_stmt	*st = stmt(db, ST_META_GET);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return get_int(st, v);
}

enum db_rc
db_meta_set(struct db *db, const char *key, int64_t v)
{
	sqlite3_stmt	*st = stmt(db, ST_META_SET);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return db_done(st);
}

/*
 * Users have no rollups: a user's budget sums raw rows, by this index.  It
 * costs every insert, so it exists only while the config has a user budget.
 */
enum db_rc
db_user_index(struct db *db, int want)
{
	char	 err[256];

	return db_exec(db, want ? "CREATE INDEX IF NOT EXISTS"
	    " api_requests_user_ts ON api_requests (user_id, ts_ms)"
	    " WHERE user_id IS NOT NULL" : "DROP INDEX IF EXISTS"
	    " api_requests_user_ts", err, sizeof(err));
}
