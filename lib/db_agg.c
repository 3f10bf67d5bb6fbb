/* db_agg.c — the SQL of rollups, retention, alerts and the outbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "hist.h"
#include "tz.h"

#define STATS_NAMES \
	"source, model, requests, successes, failures, errors, timeouts," \
	" rate_limited, latency_sum_us, latency_hist, ttft_count," \
	" ttft_sum_us, tokens, input_tokens, output_tokens, cost_nusd," \
	" unpriced, users"
#define STATS_ADD \
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
	" users = MAX(users, excluded.users)"
/* What read_alert() reads, in its order. */
#define ALERT_COLUMNS \
	"id, rule, scope, day, severity, state, value, threshold, message," \
	" fired_ms, updated_ms, resolved_ms"
#define STATS_VALUES \
	"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

static const char *const sql[AG__MAX] = {
	[AG_ROWS] = "SELECT ts_ms, source, COALESCE(model, ''), status,"
	    " user_id, latency_us, ttft_us, tokens, input_tokens,"
	    " output_tokens, cost_nusd, cost_source FROM api_requests"
	    " WHERE ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms",
	[AG_NEW_ROWS] = "SELECT ts_ms, source, COALESCE(model, ''), status,"
	    " user_id, latency_us, ttft_us, tokens, input_tokens,"
	    " output_tokens, cost_nusd, cost_source FROM api_requests"
	    " WHERE ts_ms >= ?1 AND ts_ms < ?2 AND id > ?3 AND id <= ?4"
	    " ORDER BY ts_ms",
	[AG_ADD_HOURLY] = "INSERT INTO hourly_stats (hour, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ") ON CONFLICT (hour, source, model)"
	    STATS_ADD,
	[AG_ADD_DAILY] = "INSERT INTO daily_stats (day, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ") ON CONFLICT (day, source, model)"
	    STATS_ADD,
	[AG_SPAN] = "SELECT MIN(ts_ms), MAX(ts_ms) FROM api_requests",
	[AG_DEL_HOURS] = "DELETE FROM hourly_stats WHERE hour >= ? AND hour < ?",
	[AG_DEL_DAY] = "DELETE FROM daily_stats WHERE day = ?",
	[AG_INS_HOURLY] = "INSERT INTO hourly_stats (hour, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ")",
	[AG_INS_DAILY] = "INSERT INTO daily_stats (day, " STATS_NAMES ")"
	    " VALUES (" STATS_VALUES ")",
	[AG_META_GET] = "SELECT value FROM meta WHERE key = ?",
	[AG_META_SET] = "INSERT INTO meta (key, value) VALUES (?, ?)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[AG_MAX_ID] = "SELECT COALESCE(MAX(id), 0) FROM api_requests",
	[AG_DAYS] = "SELECT DISTINCT apimon_day(ts_ms) FROM api_requests"
	    " WHERE id > ? AND id <= ?",
	[AG_PURGE] = "DELETE FROM api_requests WHERE id IN (SELECT id FROM"
	    " api_requests WHERE ts_ms < ?1 AND id <= ?2 LIMIT ?3)",
	[AG_STATS_HOURLY] = "SELECT hour, " STATS_NAMES " FROM hourly_stats"
	    " WHERE hour >= ? AND hour < ? ORDER BY hour, source, model",
	[AG_STATS_DAILY] = "SELECT day, " STATS_NAMES " FROM daily_stats"
	    " WHERE day >= ? AND day < ? ORDER BY day, source, model",
	[AG_ALERT_GET] = "SELECT " ALERT_COLUMNS " FROM alerts"
	    " WHERE rule = ? AND scope = ? AND day = ?",
	[AG_ALERT_INSERT] = "INSERT INTO alerts (rule, scope, day, severity,"
	    " state, value, threshold, message, fired_ms, updated_ms,"
	    " resolved_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[AG_ALERT_UPDATE] = "UPDATE alerts SET severity = ?4, state = ?5,"
	    " value = ?6, threshold = ?7, message = ?8, fired_ms = ?9,"
	    " updated_ms = ?10, resolved_ms = ?11 WHERE id = ?12",
	[AG_OUTBOX] = "INSERT INTO outbox (alert_id, event, payload,"
	    " created_ms) VALUES (?, ?, ?, ?)",
	/* Two notifiers with one key are one delivery. */
	[AG_DELIVERY_ADD] = "INSERT INTO deliveries (outbox_id, notifier,"
	    " next_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	[AG_DUE] = "SELECT d.outbox_id, d.notifier, d.attempts, o.payload"
	    " FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
	    " WHERE d.delivered_ms IS NULL AND d.next_ms <= ?"
	    " ORDER BY d.next_ms, d.outbox_id LIMIT ?",
	[AG_DELIVERED] = "UPDATE deliveries SET delivered_ms = ?3,"
	    " attempts = attempts + 1, last_error = NULL"
	    " WHERE outbox_id = ?1 AND notifier = ?2",
	[AG_FAILED] = "UPDATE deliveries SET attempts = attempts + 1,"
	    " next_ms = ?3, last_error = ?4"
	    " WHERE outbox_id = ?1 AND notifier = ?2",
	[AG_RECENT] = "SELECT ts_ms, source, user_id, command, model, status,"
	    " latency_us, tokens, cost_nusd FROM api_requests"
	    " WHERE ts_ms <= ?3 ORDER BY ts_ms DESC LIMIT ?2",
	[AG_RECENT_SOURCE] = "SELECT ts_ms, source, user_id, command, model,"
	    " status, latency_us, tokens, cost_nusd FROM api_requests"
	    " WHERE source = ?1 AND ts_ms <= ?3 ORDER BY ts_ms DESC LIMIT ?2",
	[AG_ALERTS_LIST] = "SELECT " ALERT_COLUMNS " FROM alerts"
	    " ORDER BY updated_ms DESC, id DESC LIMIT ?",
};

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

enum db_rc
db_agg_register(struct db *db)
{
	const int	 f = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	int		 rc;

	/* Deterministic: the zone is fixed for the life of the process. */
	if ((rc = sqlite3_create_function(db->h, "apimon_day", 1, f, NULL,
	    fn_day, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function(db->h, "apimon_hist_merge", 2, f,
	    NULL, fn_hist_merge, NULL, NULL)) != SQLITE_OK)
		return db_classify(rc);
	return DB_OK;
}

void
db_agg_finalize(struct db *db)
{
	int	 i;

	for (i = 0; i < AG__MAX; i++) {
		sqlite3_finalize(db->ag[i]);
		db->ag[i] = NULL;
	}
}

/* The statement, prepared on first use and reset for a new run. */
static sqlite3_stmt *
stmt(struct db *db, enum agg_stmt i)
{
	if (db->ag[i] == NULL && sqlite3_prepare_v3(db->h, sql[i], -1,
	    SQLITE_PREPARE_PERSISTENT, &db->ag[i], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(db->ag[i]);
	sqlite3_clear_bindings(db->ag[i]);
	return db->ag[i];
}

/* Step a statement that returns no rows. */
static enum db_rc
done(sqlite3_stmt *st)
{
	int	 rc;

	if (st == NULL)
		return DB_ERR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

/* ---- rollups and retention ------------------------------------------ */

static void
copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

static int64_t
col_opt(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, col);
}


enum db_rc
db_meta_get(struct db *db, const char *key, int64_t *v)
{
	sqlite3_stmt	*st = stmt(db, AG_META_GET);
	int		 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

enum db_rc
db_meta_set(struct db *db, const char *key, int64_t v)
{
	sqlite3_stmt	*st = stmt(db, AG_META_SET);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return done(st);
}

enum db_rc
db_agg_state(struct db *db, struct db_agg_state *s)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;
	int		 src;

	memset(s, 0, sizeof(*s));
	if ((rc = db_meta_get(db, "agg_last_id", &s->last_id)) ||
	    (rc = db_meta_get(db, "purged_before_ms", &s->purged_ms)))
		return rc;
	if ((st = stmt(db, AG_MAX_ID)) == NULL)
		return DB_ERR;
	if ((src = sqlite3_step(st)) == SQLITE_ROW)
		s->max_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return src == SQLITE_ROW ? DB_OK : db_classify(src);
}

enum db_rc
db_rows_each(struct db *db, int64_t from_ms, int64_t to_ms, int64_t lo_id,
    int64_t hi_id, int (*fn)(const struct db_row *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, lo_id < 0 ? AG_ROWS : AG_NEW_ROWS);
	struct db_row	 r;
	int		 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	if (lo_id >= 0) {
		sqlite3_bind_int64(st, 3, lo_id);
		sqlite3_bind_int64(st, 4, hi_id);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.ts_ms = sqlite3_column_int64(st, 0);
		r.source = (const char *)sqlite3_column_text(st, 1);
		r.model = (const char *)sqlite3_column_text(st, 2);
		r.status = (const char *)sqlite3_column_text(st, 3);
		r.user_id = (const char *)sqlite3_column_text(st, 4);
		r.latency_us = sqlite3_column_int64(st, 5);
		r.ttft_us = col_opt(st, 6);
		r.tokens = sqlite3_column_int64(st, 7);
		r.input_tokens = sqlite3_column_int64(st, 8);
		r.output_tokens = sqlite3_column_int64(st, 9);
		r.cost_nusd = sqlite3_column_int64(st, 10);
		r.cost_source = (const char *)sqlite3_column_text(st, 11);
		if (fn(&r, arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

enum db_rc
db_raw_span(struct db *db, int64_t *min_ms, int64_t *max_ms)
{
	sqlite3_stmt	*st = stmt(db, AG_SPAN);
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

static enum db_rc
insert_stats(struct db *db, enum agg_stmt i, const struct db_stats *s)
{
	sqlite3_stmt	*st = stmt(db, i);
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
	return done(st);
}

enum db_rc
db_stats_add(struct db *db, const struct db_stats *s)
{
	return insert_stats(db, s->key[4] == '-' && strlen(s->key) == 10 ?
	    AG_ADD_DAILY : AG_ADD_HOURLY, s);
}

enum db_rc
db_stats_replace(struct db *db, const char *day, const char *hour_from,
    const char *hour_to, const struct db_stats *s, size_t n)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;
	size_t		 i;

	if (day != NULL) {
		if ((st = stmt(db, AG_DEL_DAY)) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
		if ((rc = done(st)) != DB_OK)
			return rc;
	}
	if ((st = stmt(db, AG_DEL_HOURS)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, hour_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hour_to, -1, SQLITE_STATIC);
	if ((rc = done(st)) != DB_OK)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = insert_stats(db, s[i].key[4] == '-' &&
		    strlen(s[i].key) == 10 ? AG_INS_DAILY : AG_INS_HOURLY,
		    &s[i])) != DB_OK)
			return rc;
	return DB_OK;
}

enum db_rc
db_agg_days(struct db *db, int64_t lo, int64_t hi,
    void (*fn)(const char *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, AG_DAYS);
	int		 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), arg);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

enum db_rc
db_purge(struct db *db, int64_t before_ms, int64_t upto_id, int limit,
    long *deleted)
{
	sqlite3_stmt	*st = stmt(db, AG_PURGE);
	enum db_rc	 rc;
	int64_t		 old = 0;

	*deleted = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, before_ms);
	sqlite3_bind_int64(st, 2, upto_id);
	sqlite3_bind_int(st, 3, limit);
	if ((rc = done(st)) != DB_OK)
		return rc;
	*deleted = sqlite3_changes(db->h);
	if ((rc = db_meta_get(db, "purged_before_ms", &old)) != DB_OK)
		return rc;
	return before_ms > old ?
	    db_meta_set(db, "purged_before_ms", before_ms) : DB_OK;
}

enum db_rc
db_stats_each(struct db *db, enum db_grain grain, const char *from,
    const char *to, int (*fn)(const struct db_stats *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, grain == DB_HOURLY ? AG_STATS_HOURLY :
	    AG_STATS_DAILY);
	struct db_stats	 s;
	int		 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.key = (const char *)sqlite3_column_text(st, 0);
		s.source = (const char *)sqlite3_column_text(st, 1);
		s.model = (const char *)sqlite3_column_text(st, 2);
		s.requests = sqlite3_column_int64(st, 3);
		s.successes = sqlite3_column_int64(st, 4);
		s.failures = sqlite3_column_int64(st, 5);
		s.errors = sqlite3_column_int64(st, 6);
		s.timeouts = sqlite3_column_int64(st, 7);
		s.rate_limited = sqlite3_column_int64(st, 8);
		s.latency_sum_us = sqlite3_column_int64(st, 9);
		s.hist = sqlite3_column_blob(st, 10);
		s.hist_len = (size_t)sqlite3_column_bytes(st, 10);
		s.ttft_count = sqlite3_column_int64(st, 11);
		s.ttft_sum_us = sqlite3_column_int64(st, 12);
		s.tokens = sqlite3_column_int64(st, 13);
		s.input_tokens = sqlite3_column_int64(st, 14);
		s.output_tokens = sqlite3_column_int64(st, 15);
		s.cost_nusd = sqlite3_column_int64(st, 16);
		s.unpriced = sqlite3_column_int64(st, 17);
		s.users = sqlite3_column_int64(st, 18);
		if (fn(&s, arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

enum db_rc
db_recent_each(struct db *db, const char *source, int64_t until_ms,
    int limit, int (*fn)(const struct db_recent *, void *), void *arg)
{
	sqlite3_stmt		*st = stmt(db, source ? AG_RECENT_SOURCE :
	    AG_RECENT);
	struct db_recent	 r;
	int			 rc;

	if (st == NULL)
		return DB_ERR;
	if (source != NULL)
		sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int64(st, 3, until_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.ts_ms = sqlite3_column_int64(st, 0);
		r.source = (const char *)sqlite3_column_text(st, 1);
		r.user_id = (const char *)sqlite3_column_text(st, 2);
		r.command = (const char *)sqlite3_column_text(st, 3);
		r.model = (const char *)sqlite3_column_text(st, 4);
		r.status = (const char *)sqlite3_column_text(st, 5);
		r.latency_us = sqlite3_column_int64(st, 6);
		r.tokens = sqlite3_column_int64(st, 7);
		r.cost_nusd = sqlite3_column_int64(st, 8);
		if (fn(&r, arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

/* ---- alerts and the outbox ------------------------------------------ */

static void
read_alert(sqlite3_stmt *st, struct db_alert *a)
{
	a->id = sqlite3_column_int64(st, 0);
	copy_col(a->rule, sizeof(a->rule), st, 1);
	copy_col(a->scope, sizeof(a->scope), st, 2);
	copy_col(a->day, sizeof(a->day), st, 3);
	copy_col(a->severity, sizeof(a->severity), st, 4);
	copy_col(a->state, sizeof(a->state), st, 5);
	a->value = sqlite3_column_double(st, 6);
	a->threshold = sqlite3_column_double(st, 7);
	copy_col(a->message, sizeof(a->message), st, 8);
	a->fired_ms = sqlite3_column_int64(st, 9);
	a->updated_ms = sqlite3_column_int64(st, 10);
	a->resolved_ms = col_opt(st, 11);
}

enum db_rc
db_alert_get(struct db *db, const char *rule, const char *scope,
    const char *day, struct db_alert *a, int *found)
{
	sqlite3_stmt	*st = stmt(db, AG_ALERT_GET);
	int		 rc;

	*found = 0;
	memset(a, 0, sizeof(*a));
	snprintf(a->rule, sizeof(a->rule), "%s", rule);
	snprintf(a->scope, sizeof(a->scope), "%s", scope);
	snprintf(a->day, sizeof(a->day), "%s", day);
	a->resolved_ms = -1;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, day, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*found = 1;
		read_alert(st, a);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_classify(rc);
}

enum db_rc
db_alert_put(struct db *db, struct db_alert *a)
{
	sqlite3_stmt	*st = stmt(db, a->id ? AG_ALERT_UPDATE :
	    AG_ALERT_INSERT);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_ERR;
	if (a->id == 0) {
		sqlite3_bind_text(st, 1, a->rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->day, -1, SQLITE_STATIC);
	} else
		sqlite3_bind_int64(st, 12, a->id);
	sqlite3_bind_text(st, 4, a->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->state, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, a->value);
	sqlite3_bind_double(st, 7, a->threshold);
	sqlite3_bind_text(st, 8, a->message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, a->fired_ms);
	sqlite3_bind_int64(st, 10, a->updated_ms);
	db_bind_opt(st, 11, a->resolved_ms);
	if ((rc = done(st)) == DB_OK && a->id == 0)
		a->id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

enum db_rc
db_alerts_each(struct db *db, int limit,
    int (*fn)(const struct db_alert *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, AG_ALERTS_LIST);
	struct db_alert	 a;
	int		 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int(st, 1, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_alert(st, &a);
		if (fn(&a, arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

enum db_rc
db_outbox_add(struct db *db, int64_t alert_id, const char *event,
    const char *payload, int64_t now_ms, char *const *notifiers, size_t n)
{
	sqlite3_stmt	*st = stmt(db, AG_OUTBOX);
	enum db_rc	 rc;
	int64_t		 id;
	size_t		 i;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	if ((rc = done(st)) != DB_OK)
		return rc;
	id = sqlite3_last_insert_rowid(db->h);
	for (i = 0; i < n; i++) {
		if ((st = stmt(db, AG_DELIVERY_ADD)) == NULL)
			return DB_ERR;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, notifiers[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		if ((rc = done(st)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

void
db_deliveries_free(struct db_delivery *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(d[i].notifier);
		free(d[i].payload);
	}
	free(d);
}

enum db_rc
db_deliveries_due(struct db *db, int64_t now_ms, size_t max,
    struct db_delivery **out, size_t *n)
{
	sqlite3_stmt		*st = stmt(db, AG_DUE);
	struct db_delivery	*d;
	int			 rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return DB_ERR;
	if ((d = calloc(max ? max : 1, sizeof(*d))) == NULL)
		return DB_UNAVAIL;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		d[*n].outbox_id = sqlite3_column_int64(st, 0);
		d[*n].notifier = strdup((const char *)sqlite3_column_text(st, 1));
		d[*n].attempts = sqlite3_column_int(st, 2);
		d[*n].payload = strdup((const char *)sqlite3_column_text(st, 3));
		if (d[(*n)++].payload == NULL || d[*n - 1].notifier == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_deliveries_free(d, *n);
		*n = 0;
		return db_classify(rc);
	}
	*out = d;
	return DB_OK;
}

enum db_rc
db_delivery_done(struct db *db, int64_t outbox_id, const char *notifier,
    int64_t now_ms)
{
	sqlite3_stmt	*st = stmt(db, AG_DELIVERED);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, outbox_id);
	sqlite3_bind_text(st, 2, notifier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return done(st);
}

enum db_rc
db_delivery_failed(struct db *db, int64_t outbox_id, const char *notifier,
    int64_t next_ms, const char *error)
{
	sqlite3_stmt	*st = stmt(db, AG_FAILED);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, outbox_id);
	sqlite3_bind_text(st, 2, notifier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next_ms);
	sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
	return done(st);
}
