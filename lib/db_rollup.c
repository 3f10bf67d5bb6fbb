/* db_rollup.c — the SQL of rollups and retention. */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "hist.h"
#include "tz.h"

#define STATS_VALUES \
	"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define STATS_ADD_COUNTS \
	" DO UPDATE SET requests = requests + excluded.requests," \
	" successes = successes + excluded.successes," \
	" failures = failures + excluded.failures," \
	" errors = errors + excluded.errors," \
	" timeouts = timeouts + excluded.timeouts," \
	" rate_limited = rate_limited + excluded.rate_limited," \
	" latency_sum_us = latency_sum_us + excluded.latency_sum_us," \
	" latency_hist = apimon_hist_merge(latency_hist, excluded.latency_hist)," \
	" ttft_count = ttft_count + excluded.ttft_count," \
	" ttft_sum_us = ttft_sum_us + excluded.ttft_sum_us," \
	" tokens = tokens + excluded.tokens," \
	" input_tokens = input_tokens + excluded.input_tokens," \
	" output_tokens = output_tokens + excluded.output_tokens," \
	" cost_nusd = cost_nusd + excluded.cost_nusd," \
	" unpriced = unpriced + excluded.unpriced," \
	" lat_0_1s = lat_0_1s + excluded.lat_0_1s," \
	" lat_1_2s = lat_1_2s + excluded.lat_1_2s," \
	" lat_2_3s = lat_2_3s + excluded.lat_2_3s," \
	" lat_3_5s = lat_3_5s + excluded.lat_3_5s," \
	" lat_5s_up = lat_5s_up + excluded.lat_5s_up,"
/* Retention left part of the bucket: its users cannot be counted again. */
#define STATS_ADD	STATS_ADD_COUNTS " users = MAX(users, excluded.users)"
/* The bucket's users so far are known (rollup_users): only new ones come. */
#define STATS_SUM	STATS_ADD_COUNTS " users = users + excluded.users"
#define ROW_COLUMNS \
	"SELECT ts_ms, source, COALESCE(model, '') AS m, status, user_id," \
	" latency_us, ttft_us, tokens, input_tokens, output_tokens," \
	" cost_nusd, cost_source FROM api_requests"
/* One (source, model) at a time, each user's rows together. */
#define ROW_ORDER	" ORDER BY source, m, user_id"

static const char *const sql[ST__MAX] = {
	[ST_ROWS] = ROW_COLUMNS " WHERE ts_ms >= ? AND ts_ms < ?" ROW_ORDER,
	[ST_NEW_ROWS] = ROW_COLUMNS " WHERE ts_ms >= ?1 AND ts_ms < ?2"
	    " AND id > ?3 AND id <= ?4" ROW_ORDER,
	[ST_SCAN_ROWS] = ROW_COLUMNS " WHERE ts_ms >= ? AND ts_ms < ?",
	[ST_SCAN_NEW_ROWS] = ROW_COLUMNS " WHERE ts_ms >= ?1 AND ts_ms < ?2"
	    " AND id > ?3 AND id <= ?4",
	/* A whole day up to an id: by time (+id: not by the rowid). */
	[ST_ROWS_UPTO] = ROW_COLUMNS " WHERE ts_ms >= ?1 AND ts_ms < ?2"
	    " AND +id > ?3 AND +id <= ?4" ROW_ORDER,
	[ST_SCAN_UPTO] = ROW_COLUMNS " WHERE ts_ms >= ?1 AND ts_ms < ?2"
	    " AND +id > ?3 AND +id <= ?4",
	/* Two lookups at the ends of the index; MIN and MAX in one query
	 * read all of it. */
	[ST_SPAN] = "SELECT (SELECT MIN(ts_ms) FROM api_requests),"
	    " (SELECT MAX(ts_ms) FROM api_requests)",
	/* Minutes, not days: no zone lookup per row (every UTC offset since
	 * 2000 is whole minutes, so a minute lies in one local day). */
	[ST_DAYS] = "SELECT DISTINCT ts_ms / 60000 AS m FROM api_requests"
	    " WHERE id > ? AND id <= ? ORDER BY m",
	/* Every row is new (a first run): the times, in order, from the
	 * index alone; day_read() passes each day on once. */
	[ST_DAYS_ALL] = "SELECT ts_ms / 60000 FROM api_requests"
	    " INDEXED BY api_requests_ts WHERE ts_ms > 0 AND id <= ?2",
	[ST_PURGE] = "DELETE FROM api_requests WHERE id IN (SELECT id FROM"
	    " api_requests WHERE ts_ms < ?1 AND id <= ?2 LIMIT ?3)",
	/* Before rows go: ids stay above the newest that ever was. */
	/* Scalar subqueries: MAX(id) is then one lookup, not a scan. */
	[ST_FLOOR] = "INSERT INTO meta (key, value) SELECT 'id_floor',"
	    " (SELECT MAX(id) FROM api_requests)"
	    " WHERE (SELECT MAX(id) FROM api_requests) IS NOT NULL"
	    " ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
	[ST_DEL_HOURS] = "DELETE FROM hourly_stats WHERE hour >= ? AND hour < ?",
	[ST_DEL_DAY] = "DELETE FROM daily_stats WHERE day = ?",
	[ST_INS_HOURLY] = "INSERT INTO hourly_stats (hour, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ")",
	[ST_INS_DAILY] = "INSERT INTO daily_stats (day, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ")",
	[ST_ADD_HOURLY] = "INSERT INTO hourly_stats (hour, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ") ON CONFLICT (hour, source, model)"
	    STATS_ADD,
	[ST_ADD_DAILY] = "INSERT INTO daily_stats (day, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ") ON CONFLICT (day, source, model)"
	    STATS_ADD,
	[ST_SUM_HOURLY] = "INSERT INTO hourly_stats (hour, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ") ON CONFLICT (hour, source, model)"
	    STATS_SUM,
	[ST_SUM_DAILY] = "INSERT INTO daily_stats (day, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ") ON CONFLICT (day, source, model)"
	    STATS_SUM,
	[ST_UPTO_GET] = "SELECT upto_id FROM rollup_days WHERE day = ?",
	[ST_UPTO_SET] = "INSERT INTO rollup_days (day, upto_id) VALUES (?, ?)"
	    " ON CONFLICT (day) DO UPDATE SET upto_id = excluded.upto_id",
	[ST_UPTO_DEL] = "DELETE FROM rollup_days WHERE day = ?",
	[ST_RUSERS_DEL] = "DELETE FROM rollup_users WHERE day = ?",
	[ST_RUSER_ADD] = "INSERT INTO rollup_users (day, hour, source, model,"
	    " user_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	[ST_UPTO_PRUNE] = "DELETE FROM rollup_days WHERE day < ?",
	[ST_RUSERS_PRUNE] = "DELETE FROM rollup_users WHERE day < ?",
};

static sqlite3_stmt *
stmt(struct db *db, enum stmt i)
{
	return db_stmt(db, i, sql[i]);
}

/* ---- SQL functions --------------------------------------------------- */

static void
fn_day(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	char	 buf[TZ_DAY_LEN];

	(void)argc;
	tz_day(sqlite3_value_int64(argv[0]), buf);
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

static void
fn_hist_merge(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	unsigned char	 buf[HIST_MAX_BLOB];
	struct hist	*h;
	size_t		 n;
	int		 i;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	for (i = 0; i < argc; i++)
		if (hist_decode_add(h, sqlite3_value_blob(argv[i]),
		    (size_t)sqlite3_value_bytes(argv[i])) != 0) {
			sqlite3_result_error(cx, "corrupt latency_hist", -1);
			free(h);
			return;
		}
	n = hist_encode(h, buf, sizeof(buf));
	sqlite3_result_blob(cx, buf, (int)n, SQLITE_TRANSIENT);
	free(h);
}

/* Migration 3 -> 4: latency bucket k of a histogram, by bin midpoints. */
static void
fn_lat_estimate(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct hist	*h;
	int64_t		 n = 0;
	int		 i, k = sqlite3_value_int(argv[1]);

	(void)argc;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	if (hist_decode_add(h, sqlite3_value_blob(argv[0]),
	    (size_t)sqlite3_value_bytes(argv[0])) != 0) {
		sqlite3_result_error(cx, "corrupt latency_hist", -1);
		free(h);
		return;
	}
	for (i = 0; i < HIST_BUCKETS; i++)
		if (hist_lat_bucket(hist_value(i)) == k)
			n += (int64_t)h->n[i];
	sqlite3_result_int64(cx, n);
	free(h);
}

enum db_rc
db_rollup_register(struct db *db)
{
	const int	 f = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	int		 rc;

	/* Deterministic: the zone is fixed for the life of the process. */
	if ((rc = sqlite3_create_function(db->h, "apimon_day", 1, f, NULL,
	    fn_day, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function(db->h, "apimon_hist_merge", 2, f,
	    NULL, fn_hist_merge, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function(db->h, "apimon_lat_estimate", 2, f,
	    NULL, fn_lat_estimate, NULL, NULL)) != SQLITE_OK)
		return db_classify(rc);
	return DB_OK;
}

/* ---- reads ------------------------------------------------------------ */

enum db_rc
db_agg_state(struct db *db, struct db_agg_state *s)
{
	enum db_rc	 rc;

	memset(s, 0, sizeof(*s));
	if ((rc = db_meta_get(db, "agg_last_id", &s->last_id)) ||
	    (rc = db_meta_get(db, "purged_before_ms", &s->purged_ms)))
		return rc;
	return db_max_id(db, &s->max_id);
}

/* A walk's callback and its argument. */
struct walk {
	int	 (*row)(const struct db_row *, void *);
	int	 (*day)(const char *, void *);
	void	*arg;
};

static int
row_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	struct db_row	 r;

	r.ts_ms = sqlite3_column_int64(st, 0);
	r.source = (const char *)sqlite3_column_text(st, 1);
	r.model = (const char *)sqlite3_column_text(st, 2);
	r.status = (const char *)sqlite3_column_text(st, 3);
	r.user_id = (const char *)sqlite3_column_text(st, 4);
	r.latency_us = sqlite3_column_int64(st, 5);
	r.ttft_us = db_col_opt(st, 6);
	r.tokens = sqlite3_column_int64(st, 7);
	r.input_tokens = sqlite3_column_int64(st, 8);
	r.output_tokens = sqlite3_column_int64(st, 9);
	r.cost_nusd = sqlite3_column_int64(st, 10);
	r.cost_source = (const char *)sqlite3_column_text(st, 11);
	if (r.source == NULL || r.model == NULL || r.status == NULL ||
	    r.cost_source == NULL)
		return 1;	/* out of memory in SQLite */
	return w->row(&r, w->arg);
}

static enum db_rc
rows(struct db *db, enum stmt i, int64_t from_ms, int64_t to_ms,
    int64_t lo_id, int64_t hi_id, int (*fn)(const struct db_row *, void *),
    void *arg)
{
	sqlite3_stmt	*st = stmt(db, i);
	struct walk	 w = { fn, NULL, arg };

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	if (lo_id >= 0) {
		sqlite3_bind_int64(st, 3, lo_id);
		sqlite3_bind_int64(st, 4, hi_id);
	}
	return db_walk(st, row_read, &w);
}

enum db_rc
db_rows_each(struct db *db, int64_t from_ms, int64_t to_ms, int64_t lo_id,
    int64_t hi_id, int (*fn)(const struct db_row *, void *), void *arg)
{
	return rows(db, lo_id < 0 ? ST_ROWS : lo_id == 0 ? ST_ROWS_UPTO :
	    ST_NEW_ROWS, from_ms, to_ms, lo_id, hi_id, fn, arg);
}

enum db_rc
db_rows_scan(struct db *db, int64_t from_ms, int64_t to_ms, int64_t lo_id,
    int64_t hi_id, int (*fn)(const struct db_row *, void *), void *arg)
{
	return rows(db, lo_id < 0 ? ST_SCAN_ROWS : lo_id == 0 ? ST_SCAN_UPTO :
	    ST_SCAN_NEW_ROWS, from_ms, to_ms, lo_id, hi_id, fn, arg);
}

enum db_rc
db_raw_span(struct db *db, int64_t *min_ms, int64_t *max_ms)
{
	sqlite3_stmt	*st = stmt(db, ST_SPAN);
	int		 rc;

	*min_ms = *max_ms = -1;
	if (st == NULL)
		return DB_ERR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*min_ms = sqlite3_column_int64(st, 0);
		*max_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

/* The local days of the minutes db_agg_days() reads, each once. */
struct days {
	int	 (*fn)(const char *, void *);
	void	*arg;
	int64_t	 from, to;		/* the day last passed on */
};

static int
day_read(sqlite3_stmt *st, void *arg)
{
	struct days	*d = arg;
	int64_t		 ms = sqlite3_column_int64(st, 0) * 60000, start;
	char		 day[TZ_DAY_LEN];

	/* Minutes come in order: most fall in the day passed on last. */
	if (ms >= d->from && ms < d->to)
		return 0;
	tz_day(ms, day);
	if (tz_day_start(day, 0, &start) != 0 ||
	    tz_day_start(day, 1, &d->to) != 0)
		return 1;
	d->from = start;
	return d->fn(day, d->arg);
}

enum db_rc
db_agg_days(struct db *db, int64_t lo, int64_t hi,
    int (*fn)(const char *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, lo <= 0 ? ST_DAYS_ALL : ST_DAYS);
	struct days	 d = { fn, arg, 0, 0 };

	if (st == NULL)
		return DB_ERR;
	if (lo > 0)
		sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	return db_walk(st, day_read, &d);
}

/* ---- writes ----------------------------------------------------------- */

enum db_rc
db_purge(struct db *db, int64_t before_ms, int64_t upto_id, int limit,
    long *deleted)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;
	int64_t		 old = 0;

	*deleted = 0;
	if ((rc = db_done(stmt(db, ST_FLOOR))) != DB_OK ||
	    (st = stmt(db, ST_PURGE)) == NULL)
		return rc != DB_OK ? rc : DB_ERR;
	sqlite3_bind_int64(st, 1, before_ms);
	sqlite3_bind_int64(st, 2, upto_id);
	sqlite3_bind_int(st, 3, limit);
	if ((rc = db_done(st)) != DB_OK)
		return rc;
	*deleted = sqlite3_changes(db->h);
	if ((rc = db_meta_get(db, "purged_before_ms", &old)) != DB_OK)
		return rc;
	return before_ms > old ?
	    db_meta_set(db, "purged_before_ms", before_ms) : DB_OK;
}

enum db_rc
db_stats_clear(struct db *db, const char *day, const char *hour_from,
    const char *hour_to)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;

	if (day != NULL) {
		if ((st = stmt(db, ST_DEL_DAY)) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
		if ((rc = db_done(st)) != DB_OK)
			return rc;
	}
	if ((st = stmt(db, ST_DEL_HOURS)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, hour_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hour_to, -1, SQLITE_STATIC);
	return db_done(st);
}

enum db_rc
db_stats_put(struct db *db, const struct db_stats *s, enum db_put how)
{
	/* A day is "YYYY-MM-DD"; an hour "YYYY-MM-DDTHH". */
	int		 daily = strlen(s->key) == TZ_DAY_LEN - 1;
	static const enum stmt	 by[3][2] = {
		[DB_PUT_NEW] = { ST_INS_HOURLY, ST_INS_DAILY },
		[DB_PUT_ADD] = { ST_ADD_HOURLY, ST_ADD_DAILY },
		[DB_PUT_SUM] = { ST_SUM_HOURLY, ST_SUM_DAILY },
	};
	sqlite3_stmt	*st = stmt(db, by[how][daily]);
	const int64_t	 v[] = { s->requests, s->successes, s->failures,
	    s->errors, s->timeouts, s->rate_limited, s->latency_sum_us };
	const int64_t	 w[] = { s->ttft_count, s->ttft_sum_us, s->tokens,
	    s->input_tokens, s->output_tokens, s->cost_nusd, s->unpriced,
	    s->users };
	size_t		 k;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, s->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->model, -1, SQLITE_STATIC);
	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++)
		sqlite3_bind_int64(st, 4 + (int)k, v[k]);
	sqlite3_bind_blob(st, 11, s->hist, (int)s->hist_len, SQLITE_STATIC);
	for (k = 0; k < sizeof(w) / sizeof(w[0]); k++)
		sqlite3_bind_int64(st, 12 + (int)k, w[k]);
	for (k = 0; k < HIST_LAT_BUCKETS; k++)
		sqlite3_bind_int64(st, 20 + (int)k, s->lat[k]);
	return db_done(st);
}

/* ---- what a day's rollups hold ------------------------------------------ */

enum db_rc
db_upto_get(struct db *db, const char *day, int64_t *upto)
{
	sqlite3_stmt	*st = stmt(db, ST_UPTO_GET);
	int		 rc;

	*upto = -1;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*upto = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

/* Run statements a and b, each with day as its one parameter. */
static enum db_rc
both_of_day(struct db *db, enum stmt a, enum stmt b, const char *day)
{
	const enum stmt	 two[] = { a, b };
	sqlite3_stmt	*st;
	enum db_rc	 rc;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if ((st = stmt(db, two[i])) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
		if ((rc = db_done(st)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

enum db_rc
db_upto_set(struct db *db, const char *day, int64_t upto)
{
	sqlite3_stmt	*st;

	if (upto < 0)
		return both_of_day(db, ST_UPTO_DEL, ST_RUSERS_DEL, day);
	if ((st = stmt(db, ST_UPTO_SET)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, upto);
	return db_done(st);
}

enum db_rc
db_ruser_add(struct db *db, const char *day, int hour, const char *source,
    const char *model, const char *user, size_t userlen, int *fresh)
{
	sqlite3_stmt	*st = stmt(db, ST_RUSER_ADD);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, hour);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, user, (int)userlen, SQLITE_STATIC);
	if ((rc = db_done(st)) == DB_OK)
		*fresh = sqlite3_changes(db->h) > 0;
	return rc;
}

enum db_rc
db_upto_prune(struct db *db, const char *before_day)
{
	return both_of_day(db, ST_UPTO_PRUNE, ST_RUSERS_PRUNE, before_day);
}
