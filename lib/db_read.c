/* db_read.c — the SQL that reads rollups and recent rows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "tz.h"

/* No local hour is longer (a half-hour DST change makes one of 90 min). */
#define HOUR_MAX_MS	(90 * 60 * 1000)

#define RECENT_COLUMNS \
	"SELECT ts_ms, source, user_id, command, model, status, latency_us," \
	" tokens, cost_nusd, request_id FROM api_requests"

static const char *const sql[ST__MAX] = {
	[ST_STATS_HOURLY] = "SELECT hour, " STATS_NAMES " FROM hourly_stats"
	    " WHERE hour >= ? AND hour < ? ORDER BY hour, source, model",
	[ST_STATS_DAILY] = "SELECT day, " STATS_NAMES " FROM daily_stats"
	    " WHERE day >= ? AND day < ? ORDER BY day, source, model",
	[ST_RECENT] = RECENT_COLUMNS
	    " WHERE ts_ms <= ?3 ORDER BY ts_ms DESC LIMIT ?2",
	[ST_RECENT_RANGE] = RECENT_COLUMNS
	    " WHERE ts_ms >= ?1 AND ts_ms <= ?2 AND source = ?3"
	    " ORDER BY ts_ms DESC LIMIT ?4",
	[ST_LAST_HOUR] = "SELECT MAX(hour) FROM hourly_stats",
	[ST_SOURCE_HOURS] = "SELECT DISTINCT hour FROM hourly_stats"
	    " WHERE hour < ?1 AND source = ?2 ORDER BY hour DESC",
	[ST_RAW_TOTALS] = "SELECT source, COUNT(*), SUM(status = 'success'),"
	    " SUM(status <> 'success'), SUM(latency_us), SUM(tokens),"
	    " SUM(cost_nusd) FROM api_requests WHERE ts_ms >= ? AND ts_ms < ?"
	    " GROUP BY source ORDER BY source",
	[ST_SOURCES_SINCE] = "SELECT DISTINCT source FROM daily_stats"
	    " WHERE day >= ? ORDER BY source",
	/* By time from the window's start: a live source is met at once. */
	[ST_SOURCE_SEEN] = "SELECT 1 FROM api_requests WHERE ts_ms >= ?1"
	    " AND ts_ms < ?2 AND source = ?3 LIMIT 1",
	[ST_USER_COST] = "SELECT coalesce(SUM(cost_nusd), 0) FROM api_requests"
	    " WHERE user_id = ? AND ts_ms >= ? AND ts_ms < ?",
	[ST_ROWS_SIG] = "SELECT COUNT(*), coalesce(MIN(id), 0),"
	    " coalesce(MAX(id), 0), coalesce(SUM(id), 0) FROM api_requests"
	    " WHERE ts_ms >= ?1 AND ts_ms < ?2 AND id <= ?3",
	[ST_REQUESTS] = "SELECT request_id, ts_ms, source, user_id, command,"
	    " model, provider, status, latency_us, ttft_us, input_tokens,"
	    " output_tokens, tokens, cost_nusd, cost_source, error, metadata,"
	    " received_ms, id FROM api_requests WHERE ts_ms >= ?1"
	    " AND ts_ms < ?3 AND (ts_ms > ?1 OR id >= ?2) AND id <= ?4"
	    " ORDER BY ts_ms, id LIMIT ?5",
	/* The same rows found through the rowid, or through the time. */
	[ST_NEW_BY_ID] = "SELECT id, ts_ms FROM api_requests WHERE id > ?1"
	    " AND id <= ?2 AND +ts_ms >= ?3 AND +ts_ms < ?4 ORDER BY id"
	    " LIMIT 65536",
	[ST_NEW_BY_TS] = "SELECT id, ts_ms FROM api_requests WHERE"
	    " ts_ms >= ?3 AND ts_ms < ?4 AND +id > ?1 AND +id <= ?2",
	[ST_FIRST_ROW] = "SELECT ts_ms, id FROM api_requests WHERE"
	    " ts_ms >= ?1 AND ts_ms < ?2 AND id <= ?3 ORDER BY ts_ms, id"
	    " LIMIT 1",
	[ST_UNPRICED] = "SELECT model, SUM(unpriced) FROM daily_stats"
	    " WHERE day = ? AND unpriced > 0 GROUP BY model ORDER BY model",
};

/* A walk's callback and its argument. */
struct walk {
	int	 (*stats)(const struct db_stats *, void *);
	int	 (*recent)(const struct db_recent *, void *);
	int	 (*unpriced)(const char *, int64_t, void *);
	void	*arg;
	int	 n;		/* rows passed to recent */
};

static int
stats_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	struct db_stats	 s;
	int64_t		*v[] = { &s.requests, &s.successes, &s.failures,
	    &s.errors, &s.timeouts, &s.rate_limited, &s.latency_sum_us };
	int64_t		*x[] = { &s.ttft_count, &s.ttft_sum_us, &s.tokens,
	    &s.input_tokens, &s.output_tokens, &s.cost_nusd, &s.unpriced,
	    &s.users };
	size_t		 k;

	s.key = (const char *)sqlite3_column_text(st, 0);
	s.source = (const char *)sqlite3_column_text(st, 1);
	s.model = (const char *)sqlite3_column_text(st, 2);
	for (k = 0; k < sizeof(v) / sizeof(v[0]); k++)
		*v[k] = sqlite3_column_int64(st, 3 + (int)k);
	s.hist = sqlite3_column_blob(st, 10);
	s.hist_len = (size_t)sqlite3_column_bytes(st, 10);
	for (k = 0; k < sizeof(x) / sizeof(x[0]); k++)
		*x[k] = sqlite3_column_int64(st, 11 + (int)k);
	for (k = 0; k < HIST_LAT_BUCKETS; k++)
		s.lat[k] = sqlite3_column_int64(st, 19 + (int)k);
	if (s.key == NULL || s.source == NULL || s.model == NULL)
		return 1;	/* out of memory in SQLite */
	return w->stats(&s, w->arg);
}

enum db_rc
db_stats_each(struct db *db, enum db_grain grain, const char *from,
    const char *to, int (*fn)(const struct db_stats *, void *), void *arg)
{
	enum stmt	 i = grain == DB_HOURLY ? ST_STATS_HOURLY :
	    ST_STATS_DAILY;
	sqlite3_stmt	*st = db_stmt(db, i, sql[i]);
	struct walk	 w = { fn, NULL, NULL, arg, 0 };

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	return db_walk(st, stats_read, &w);
}

static int
recent_read(sqlite3_stmt *st, void *arg)
{
	struct walk		*w = arg;
	struct db_recent	 r;

	r.ts_ms = sqlite3_column_int64(st, 0);
	r.source = (const char *)sqlite3_column_text(st, 1);
	r.user_id = (const char *)sqlite3_column_text(st, 2);
	r.command = (const char *)sqlite3_column_text(st, 3);
	r.model = (const char *)sqlite3_column_text(st, 4);
	r.status = (const char *)sqlite3_column_text(st, 5);
	r.latency_us = sqlite3_column_int64(st, 6);
	r.tokens = sqlite3_column_int64(st, 7);
	r.cost_nusd = sqlite3_column_int64(st, 8);
	r.request_id = (const char *)sqlite3_column_text(st, 9);
	if (r.source == NULL || r.status == NULL || r.request_id == NULL)
		return 1;	/* out of memory in SQLite */
	w->n++;
	return w->recent(&r, w->arg);
}

/* Rows of source with from <= ts_ms <= to, newest first, into w. */
static enum db_rc
recent_range(struct db *db, const char *source, int64_t from, int64_t to,
    int limit, struct walk *w)
{
	sqlite3_stmt	*st = db_stmt(db, ST_RECENT_RANGE, sql[ST_RECENT_RANGE]);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, limit - w->n);
	return db_walk(st, recent_read, w);
}

/*
 * The newest rows of one source, without an index by source (it cost
 * every commit a page): first the rows of the newest rolled-up hour and
 * after (what the rollups may not hold yet), then, hour by hour newest
 * first, only the hours of hourly_stats in which the source had rows.
 * A late row of an older hour shows once the next aggregate run rolled
 * it up.
 */
static enum db_rc
recent_of(struct db *db, const char *source, int64_t until_ms, int limit,
    struct walk *w)
{
	sqlite3_stmt	*st;
	const char	*h;
	char		 tail[TZ_HOUR_LEN] = "";
	int64_t		 from = INT64_MIN, start, upper;
	enum db_rc	 rc;
	int		 src;

	if ((st = db_stmt(db, ST_LAST_HOUR, sql[ST_LAST_HOUR])) == NULL)
		return DB_ERR;
	if ((src = sqlite3_step(st)) == SQLITE_ROW &&
	    (h = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    tz_hour_start(h, &start) == 0) {
		snprintf(tail, sizeof(tail), "%s", h);
		from = start < until_ms ? start : until_ms;
	}
	sqlite3_reset(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		return db_classify(src);
	if ((rc = recent_range(db, source, from, until_ms, limit, w)) != DB_OK ||
	    w->n >= limit || tail[0] == '\0')
		return rc;
	/* Hours before the tail's start, each read up to the one after it. */
	upper = from;
	if ((st = db_stmt(db, ST_SOURCE_HOURS, sql[ST_SOURCE_HOURS])) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, tail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	while (w->n < limit && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((h = (const char *)sqlite3_column_text(st, 0)) == NULL ||
		    tz_hour_start(h, &start) != 0)
			continue;
		if (start > until_ms)
			continue;
		if (start + HOUR_MAX_MS < upper)
			upper = start + HOUR_MAX_MS;
		/* Its own statement: this one stays on its row. */
		if ((rc = recent_range(db, source, start, upper - 1, limit,
		    w)) != DB_OK) {
			sqlite3_reset(st);
			return rc;
		}
		upper = start;
	}
	sqlite3_reset(st);
	return src == SQLITE_ROW || src == SQLITE_DONE ? DB_OK :
	    db_classify(src);
}

enum db_rc
db_recent_each(struct db *db, const char *source, int64_t until_ms,
    int limit, int (*fn)(const struct db_recent *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct walk	 w = { NULL, fn, NULL, arg, 0 };

	if (limit <= 0)
		return DB_OK;
	if (source != NULL)
		return recent_of(db, source, until_ms, limit, &w);
	if ((st = db_stmt(db, ST_RECENT, sql[ST_RECENT])) == NULL)
		return DB_ERR;
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int64(st, 3, until_ms);
	return db_walk(st, recent_read, &w);
}

static int
unpriced_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	const char	*model = (const char *)sqlite3_column_text(st, 0);

	if (model == NULL)
		return 1;	/* out of memory in SQLite */
	return w->unpriced(model, sqlite3_column_int64(st, 1), w->arg);
}

enum db_rc
db_unpriced_each(struct db *db, const char *day,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	sqlite3_stmt	*st = db_stmt(db, ST_UNPRICED, sql[ST_UNPRICED]);
	struct walk	 w = { NULL, NULL, fn, arg, 0 };

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	return db_walk(st, unpriced_read, &w);
}

static int
raw_totals_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	struct db_stats	 s;

	memset(&s, 0, sizeof(s));
	s.key = "";
	s.model = "";
	s.source = (const char *)sqlite3_column_text(st, 0);
	s.requests = sqlite3_column_int64(st, 1);
	s.successes = sqlite3_column_int64(st, 2);
	s.failures = sqlite3_column_int64(st, 3);
	s.latency_sum_us = sqlite3_column_int64(st, 4);
	s.tokens = sqlite3_column_int64(st, 5);
	s.cost_nusd = sqlite3_column_int64(st, 6);
	if (s.source == NULL)
		return 1;	/* out of memory in SQLite */
	return w->stats(&s, w->arg);
}

enum db_rc
db_raw_totals_each(struct db *db, int64_t from_ms, int64_t to_ms,
    int (*fn)(const struct db_stats *, void *), void *arg)
{
	sqlite3_stmt	*st = db_stmt(db, ST_RAW_TOTALS, sql[ST_RAW_TOTALS]);
	struct walk	 w = { fn, NULL, NULL, arg, 0 };

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	return db_walk(st, raw_totals_read, &w);
}

enum db_rc
db_sources_seen(struct db *db, const char *since_day, int64_t from_ms,
    int64_t to_ms, int (*fn)(const char *, void *), void *arg)
{
	sqlite3_stmt	*src, *seen;
	enum db_rc	 rc = DB_OK;
	int		 s, k;

	if ((src = db_stmt(db, ST_SOURCES_SINCE, sql[ST_SOURCES_SINCE])) ==
	    NULL || (seen = db_stmt(db, ST_SOURCE_SEEN,
	    sql[ST_SOURCE_SEEN])) == NULL)
		return DB_ERR;
	sqlite3_bind_text(src, 1, since_day, -1, SQLITE_STATIC);
	while (rc == DB_OK && (s = sqlite3_step(src)) == SQLITE_ROW) {
		sqlite3_bind_int64(seen, 1, from_ms);
		sqlite3_bind_int64(seen, 2, to_ms);
		sqlite3_bind_text(seen, 3, (const char *)sqlite3_column_text(src,
		    0), -1, SQLITE_STATIC);
		k = sqlite3_step(seen);
		if (k == SQLITE_ROW && fn((const char *)sqlite3_column_text(src,
		    0), arg))
			rc = DB_ABORT;
		else if (k != SQLITE_ROW && k != SQLITE_DONE)
			rc = db_classify(k);
		sqlite3_reset(seen);
	}
	if (rc == DB_OK && s != SQLITE_DONE)
		rc = db_classify(s);
	sqlite3_reset(src);
	return rc;
}

enum db_rc
db_user_cost(struct db *db, const char *user, int64_t from_ms, int64_t to_ms,
    int64_t *cost_nusd)
{
	sqlite3_stmt	*st = db_stmt(db, ST_USER_COST, sql[ST_USER_COST]);
	int		 rc;

	*cost_nusd = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*cost_nusd = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return db_classify(rc);
}

/*
 * The first row of statement i over the rows with from_ms <= ts_ms <
 * to_ms and id <= upto_id: its n integers into v (left as they are when
 * there is no row).
 */
static enum db_rc
span_ints(struct db *db, enum stmt i, int64_t from_ms, int64_t to_ms,
    int64_t upto_id, int64_t *v, int n)
{
	sqlite3_stmt	*st = db_stmt(db, i, sql[i]);
	int		 rc, k;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, from_ms);
	sqlite3_bind_int64(st, 2, to_ms);
	sqlite3_bind_int64(st, 3, upto_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (k = 0; k < n; k++)
			v[k] = sqlite3_column_int64(st, k);
	sqlite3_reset(st);
	return db_classify(rc);
}

enum db_rc
db_rows_sig(struct db *db, int64_t from_ms, int64_t to_ms, int64_t upto_id,
    struct db_rows_sig *sig)
{
	int64_t		 v[4] = { 0, 0, 0, 0 };
	enum db_rc	 rc;

	rc = span_ints(db, ST_ROWS_SIG, from_ms, to_ms, upto_id, v, 4);
	sig->n = v[0];
	sig->min_id = v[1];
	sig->max_id = v[2];
	sig->sum_id = v[3];
	return rc;
}

enum db_rc
db_row_ids_each(struct db *db, int by_id, int64_t after_id, int64_t upto_id,
    int64_t from_ms, int64_t to_ms, int (*fn)(int64_t, int64_t, void *),
    void *arg)
{
	enum stmt	 i = by_id ? ST_NEW_BY_ID : ST_NEW_BY_TS;
	sqlite3_stmt	*st = db_stmt(db, i, sql[i]);
	int		 rc, n;

	if (st == NULL)
		return DB_ERR;
	/* By id in batches: each a short read transaction (see below). */
	do {
		sqlite3_bind_int64(st, 1, after_id);
		sqlite3_bind_int64(st, 2, upto_id);
		sqlite3_bind_int64(st, 3, from_ms);
		sqlite3_bind_int64(st, 4, to_ms);
		for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
			after_id = sqlite3_column_int64(st, 0);
			if (fn(after_id, sqlite3_column_int64(st, 1), arg)) {
				sqlite3_reset(st);
				return DB_ABORT;
			}
		}
		sqlite3_reset(st);
	} while (rc == SQLITE_DONE && by_id && n == 65536);
	return db_classify(rc);
}

enum db_rc
db_first_row(struct db *db, int64_t from_ms, int64_t to_ms, int64_t upto_id,
    int64_t *ts_ms, int64_t *id)
{
	int64_t		 v[2] = { -1, -1 };
	enum db_rc	 rc;

	rc = span_ints(db, ST_FIRST_ROW, from_ms, to_ms, upto_id, v, 2);
	*ts_ms = v[0];
	*id = v[1];
	return rc;
}

/* A batch of raw rows, held so that their read transaction can end. */
#define HELD_STRINGS	9

struct held {
	struct rec	 r;
	int64_t		 id;
	size_t		 s[HELD_STRINGS];	/* offsets in text, or -1: NULL */
};

struct batch {
	struct held	*v;
	size_t		 n, cap;
	struct buf	 text;
	int64_t		 at_ms, at_id;	/* the last row */
};

/* The string fields of r, in the order of struct held's s[]. */
static void
rec_strings(struct rec *r, const char **f[HELD_STRINGS])
{
	f[0] = &r->request_id;
	f[1] = &r->source;
	f[2] = &r->user_id;
	f[3] = &r->command;
	f[4] = &r->model;
	f[5] = &r->provider;
	f[6] = &r->status;
	f[7] = &r->error;
	f[8] = &r->metadata;
}

static int
request_read(sqlite3_stmt *st, void *arg)
{
	struct batch	*b = arg;
	struct held	*h;
	struct rec	 r;
	const char	*cost_source, **f[HELD_STRINGS];
	int		 i;

	memset(&r, 0, sizeof(r));
	r.request_id = (const char *)sqlite3_column_text(st, 0);
	r.ts_ms = sqlite3_column_int64(st, 1);
	r.source = (const char *)sqlite3_column_text(st, 2);
	r.user_id = (const char *)sqlite3_column_text(st, 3);
	r.command = (const char *)sqlite3_column_text(st, 4);
	r.model = (const char *)sqlite3_column_text(st, 5);
	r.provider = (const char *)sqlite3_column_text(st, 6);
	r.status = (const char *)sqlite3_column_text(st, 7);
	r.latency_us = sqlite3_column_int64(st, 8);
	r.ttft_us = db_col_opt(st, 9);
	r.input_tokens = db_col_opt(st, 10);
	r.output_tokens = db_col_opt(st, 11);
	r.tokens = sqlite3_column_int64(st, 12);
	r.cost_nusd = sqlite3_column_int64(st, 13);
	cost_source = (const char *)sqlite3_column_text(st, 14);
	r.error = (const char *)sqlite3_column_text(st, 15);
	r.metadata = (const char *)sqlite3_column_text(st, 16);
	r.received_ms = sqlite3_column_int64(st, 17);
	if (r.request_id == NULL || r.source == NULL || r.status == NULL ||
	    cost_source == NULL)
		return 1;	/* out of memory in SQLite */
	r.cost_source = strcmp(cost_source, "reported") == 0 ?
	    REC_COST_REPORTED : strcmp(cost_source, "priced") == 0 ?
	    REC_COST_PRICED : REC_COST_NONE;
	if (grow(&b->v, &b->cap, b->n + 1, sizeof(*b->v)))
		return 1;
	h = &b->v[b->n++];
	h->r = r;
	h->id = b->at_id = sqlite3_column_int64(st, 18);
	b->at_ms = r.ts_ms;
	rec_strings(&r, f);
	for (i = 0; i < HELD_STRINGS; i++) {
		h->s[i] = *f[i] == NULL ? (size_t)-1 : b->text.len;
		if (*f[i] != NULL)
			buf_add(&b->text, *f[i], strlen(*f[i]) + 1);
	}
	return b->text.failed;
}

/*
 * Rows in statements of REQUESTS_BATCH, each read into memory and its
 * statement reset before fn sees them: a read transaction lasts only as
 * long as SQLite takes to read a batch, not as long as the caller takes
 * over it.  A reader holds ingest's checkpoints back (the WAL grows
 * meanwhile and is copied back at once, with every request waiting); the
 * rows are those of one moment anyway: every one has id <= upto_id.
 */
#define REQUESTS_BATCH	4096

enum db_rc
db_requests_each(struct db *db, int64_t from_ms, int64_t from_id,
    int64_t to_ms, int64_t upto_id,
    int (*fn)(const struct rec *, int64_t, void *), void *arg)
{
	sqlite3_stmt	*st = db_stmt(db, ST_REQUESTS, sql[ST_REQUESTS]);
	struct batch	 b;
	const char	**f[HELD_STRINGS];
	enum db_rc	 rc = DB_OK;
	size_t		 i, k, got;

	if (st == NULL)
		return DB_ERR;
	memset(&b, 0, sizeof(b));
	b.at_ms = from_ms;
	b.at_id = from_id;
	do {
		b.n = b.text.len = 0;
		sqlite3_bind_int64(st, 1, b.at_ms);
		sqlite3_bind_int64(st, 2, b.at_id);
		sqlite3_bind_int64(st, 3, to_ms);
		sqlite3_bind_int64(st, 4, upto_id);
		sqlite3_bind_int(st, 5, REQUESTS_BATCH);
		if ((rc = db_walk(st, request_read, &b)) != DB_OK) {
			if (rc == DB_ABORT)
				rc = DB_ERR;	/* out of memory */
			break;
		}
		for (i = 0; rc == DB_OK && i < b.n; i++) {
			rec_strings(&b.v[i].r, f);
			for (k = 0; k < HELD_STRINGS; k++)
				*f[k] = b.v[i].s[k] == (size_t)-1 ? NULL :
				    b.text.p + b.v[i].s[k];
			if (fn(&b.v[i].r, b.v[i].id, arg) != 0)
				rc = DB_ABORT;
		}
		got = b.n;
		b.at_id++;	/* the next batch starts after the last row */
	} while (rc == DB_OK && got == REQUESTS_BATCH);
	free(b.v);
	buf_free(&b.text);
	return rc;
}
