/* db.h — all of apimon's SQL, behind functions named for what they do. */
#ifndef APIMON_DB_H
#define APIMON_DB_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "conf.h"
#include "hist.h"
#include "rec.h"

/*
 * Error policy.  Every function returns an enum db_rc: DB_OK on success,
 * else why it failed, with the SQLite message in db_errmsg().  A write
 * that fails leaves the transaction for the caller to roll back.  A walk
 * (db_*_each) calls its callback once a row; a callback that returns
 * non-zero stops the walk, which then returns DB_ABORT (the caller knows
 * why it stopped).  Nothing the caller must free is left behind on
 * failure.
 */
#define DB_SCHEMA_VERSION	7

enum db_rc {
	DB_OK = 0,
	DB_DUP,		/* the request_id is already stored */
	DB_BUSY,	/* another writer held the lock past the busy timeout */
	DB_UNAVAIL,	/* disk full, read-only, I/O error, cannot open */
	DB_NOTFOUND,	/* db_open() of a file that does not exist */
	DB_ABORT,	/* a walk's callback returned non-zero */
	DB_ERR		/* anything else: a bug or a corrupt file */
};

/* How db_open() treats the file.  Only apimon-ingest creates one. */
enum db_mode {
	DB_CREATE,	/* create it when missing; bring its schema up to date */
	DB_WRITE,	/* it must exist; bring its schema up to date */
	DB_READ		/* it must exist with the current schema; read only */
};

struct db;

/*
 * Open the database at path as mode says, in WAL mode with the given
 * synchronous level, waiting up to busy_ms for locks.  Returns DB_OK with
 * *out set (the caller frees it with db_close()); or another code with a
 * message that names path in err and nothing allocated: DB_NOTFOUND
 * ("database not found: PATH") when the file is missing and mode is not
 * DB_CREATE.
 */
enum db_rc	 db_open(struct db **out, const char *path, enum db_mode mode,
		    enum conf_sync sync, int busy_ms, char *err, size_t errlen);
void		 db_close(struct db *db);

/*
 * From now on, lock waits give up at deadline (a ts_mono_ms() time)
 * instead of busy_ms after they begin; 0 goes back to busy_ms.
 */
void		 db_deadline(struct db *db, int64_t deadline);

/* The last SQLite error message of this connection. */
const char	*db_errmsg(struct db *db);

/* Write transactions: BEGIN IMMEDIATE, COMMIT, ROLLBACK (never fails). */
enum db_rc	 db_begin(struct db *db);
enum db_rc	 db_commit(struct db *db);
void		 db_rollback(struct db *db);

/* Make bulk loads faster: a larger page cache for this connection. */
void		 db_tune_bulk(struct db *db);

/*
 * Insert one record inside the current transaction.  Returns DB_OK,
 * DB_DUP when its request_id is stored already (nothing changes), or an
 * error code; after an error the caller rolls back.
 */
enum db_rc	 db_insert_request(struct db *db, const struct rec *r);

/* DB_OK when the database takes a write lock now (health check). */
enum db_rc	 db_check_writable(struct db *db);

/*
 * The time of the last aggregate run from the meta table: *ms, or -1 when
 * it never ran.
 */
enum db_rc	 db_last_aggregate(struct db *db, int64_t *ms);

/*
 * Create (want) or drop the index of raw rows by user that user budgets
 * read; either is a no-op when it is so already.
 */
enum db_rc	 db_user_index(struct db *db, int want);

/* meta: an integer value by key (*v untouched when absent). */
enum db_rc	 db_meta_get(struct db *db, const char *key, int64_t *v);
enum db_rc	 db_meta_set(struct db *db, const char *key, int64_t v);

/* ---- rollups and retention (db_rollup.c) ------------------------------ */

/* Job state kept in the meta table. */
struct db_agg_state {
	int64_t	 last_id;	/* rows up to this id are rolled up */
	int64_t	 max_id;	/* the newest row now */
	int64_t	 purged_ms;	/* raw rows before this may be deleted */
};

enum db_rc	 db_agg_state(struct db *db, struct db_agg_state *st);

/* One raw row as a rollup reads it; valid during the callback only. */
struct db_row {
	int64_t		 ts_ms;
	const char	*source, *model, *status, *user_id, *cost_source;
	int64_t		 latency_us, ttft_us, tokens, input_tokens;
	int64_t		 output_tokens, cost_nusd;
};

/*
 * Call fn for every raw row with from_ms <= ts_ms < to_ms, grouped by
 * source, then model, then user_id (NULL first), then time; only rows
 * with lo_id < id <= hi_id unless lo_id is -1.  lo_id 0 reads the time
 * range and keeps the ids up to hi_id; above 0, the few rows past lo_id
 * are found by id.
 */
enum db_rc	 db_rows_each(struct db *db, int64_t from_ms, int64_t to_ms,
		    int64_t lo_id, int64_t hi_id,
		    int (*fn)(const struct db_row *, void *), void *arg);

/*
 * db_rows_each() in no particular order (by time, as the index has them):
 * no sort, for a caller that groups the rows itself.
 */
enum db_rc	 db_rows_scan(struct db *db, int64_t from_ms, int64_t to_ms,
		    int64_t lo_id, int64_t hi_id,
		    int (*fn)(const struct db_row *, void *), void *arg);

/* The oldest and newest ts_ms of the raw rows; -1 when there are none. */
enum db_rc	 db_raw_span(struct db *db, int64_t *min_ms, int64_t *max_ms);

/* Call fn for each distinct local day that rows lo < id <= hi fall on. */
enum db_rc	 db_agg_days(struct db *db, int64_t lo, int64_t hi,
		    int (*fn)(const char *day, void *arg), void *arg);

/*
 * Delete up to limit raw rows older than before_ms that are rolled up
 * (id <= upto_id); *deleted says how many.  Call inside a transaction.
 */
enum db_rc	 db_purge(struct db *db, int64_t before_ms, int64_t upto_id,
		    int limit, long *deleted);

enum db_grain { DB_HOURLY, DB_DAILY };

/* One row of hourly_stats or daily_stats. */
struct db_stats {
	const char		*key;		/* hour or day */
	const char		*source;
	const char		*model;		/* "" when none */
	int64_t			 requests, successes, failures, errors;
	int64_t			 timeouts, rate_limited, latency_sum_us;
	int64_t			 ttft_count, ttft_sum_us, tokens;
	int64_t			 input_tokens, output_tokens, cost_nusd;
	int64_t			 unpriced, users;
	int64_t			 lat[HIST_LAT_BUCKETS];	/* hist_lat_bucket() */
	const unsigned char	*hist;		/* hist_encode() form */
	size_t			 hist_len;
};

/*
 * Delete the rollups of a local day: its daily_stats rows (unless day is
 * NULL), and the hourly_stats rows of hours in [hour_from, hour_to).
 * Call inside a transaction, then db_stats_put() the new rows.
 */
enum db_rc	 db_stats_clear(struct db *db, const char *day,
		    const char *hour_from, const char *hour_to);

/*
 * How db_stats_put() stores a row: as a new row (none must be there); or
 * added to the row that is there, counts and histograms adding up, users
 * keeping the larger count (ADD: for buckets whose raw rows retention
 * deleted) or adding up (SUM: s counts only users new to the bucket).
 */
enum db_put { DB_PUT_NEW, DB_PUT_ADD, DB_PUT_SUM };

/*
 * Store s as its rollup row (a day or an hour by the form of its key).
 * Call inside a transaction.
 */
enum db_rc	 db_stats_put(struct db *db, const struct db_stats *s,
		    enum db_put how);

/*
 * What the rollups of a recent local day hold, so that a run adds its new
 * rows instead of reading the whole day again (schema 7): rollup_days
 * says that they count exactly the day's rows with id <= upto_id, and
 * rollup_users which users each of its buckets counted (hour -1: the
 * day).  Write them in the transaction that writes the rollups.
 */
/* *upto, or -1 when the day's rollups are not known that way. */
enum db_rc	 db_upto_get(struct db *db, const char *day, int64_t *upto);

/* Set the day's upto_id; upto -1 forgets the day and its users. */
enum db_rc	 db_upto_set(struct db *db, const char *day, int64_t upto);

/*
 * Note that a bucket of day (hour, or -1) counted user (userlen bytes)
 * for (source, model); *fresh says whether it had not already.
 */
enum db_rc	 db_ruser_add(struct db *db, const char *day, int hour,
		    const char *source, const char *model, const char *user,
		    size_t userlen, int *fresh);

/* Forget the days before before_day (one transaction or autocommit). */
enum db_rc	 db_upto_prune(struct db *db, const char *before_day);

/* ---- what the site reads (db_read.c) ---------------------------------- */

/*
 * Call fn for every row whose key (hour or day) is in [from, to), in key
 * order; the row is valid during the call only.
 */
enum db_rc	 db_stats_each(struct db *db, enum db_grain grain,
		    const char *from, const char *to,
		    int (*fn)(const struct db_stats *, void *), void *arg);

/* One recent raw row, for the dashboard; valid during the callback only. */
struct db_recent {
	int64_t		 ts_ms;
	const char	*source, *user_id, *command, *model, *status;
	int64_t		 latency_us, tokens, cost_nusd;
	const char	*request_id;
};

/*
 * Call fn for the limit newest raw rows at or before until_ms (of source,
 * when not NULL), newest first.
 */
enum db_rc	 db_recent_each(struct db *db, const char *source,
		    int64_t until_ms, int limit,
		    int (*fn)(const struct db_recent *, void *), void *arg);

/*
 * Call fn with the totals of the raw rows with from_ms <= ts_ms < to_ms,
 * one call per source in name order: key is "", and only requests,
 * successes, failures, latency_sum_us, tokens and cost_nusd are set (no
 * histogram).  For comparisons finer than the rollups' hours.
 */
enum db_rc	 db_raw_totals_each(struct db *db, int64_t from_ms,
		    int64_t to_ms, int (*fn)(const struct db_stats *, void *),
		    void *arg);

/*
 * Call fn(source) for each source of daily_stats since since_day that has
 * a raw row with from_ms <= ts_ms < to_ms.  Each source stops at its first
 * row, so a busy window costs a few rows, not a scan of all of it.
 */
enum db_rc	 db_sources_seen(struct db *db, const char *since_day,
		    int64_t from_ms, int64_t to_ms,
		    int (*fn)(const char *, void *), void *arg);

/*
 * What the raw rows with from_ms <= ts_ms < to_ms and id <= upto_id are,
 * in four numbers: rows are only inserted (with ever larger ids) and
 * deleted, so any change of the rows changes this.  All 0 when there are
 * none.
 */
struct db_rows_sig {
	int64_t	 n, min_id, max_id, sum_id;
};
enum db_rc	 db_rows_sig(struct db *db, int64_t from_ms, int64_t to_ms,
		    int64_t upto_id, struct db_rows_sig *sig);

/*
 * Call fn(id, ts_ms, arg) for every raw row with after_id < id <=
 * upto_id and from_ms <= ts_ms < to_ms, in no order: found by_id through
 * the rowid (few rows of many times), else through the time (a short
 * time).
 */
enum db_rc	 db_row_ids_each(struct db *db, int by_id, int64_t after_id,
		    int64_t upto_id, int64_t from_ms, int64_t to_ms,
		    int (*fn)(int64_t, int64_t, void *), void *arg);

/*
 * The first raw row (by time, then id) with from_ms <= ts_ms < to_ms and
 * id <= upto_id: *ts_ms and *id, both -1 when there is none.
 */
enum db_rc	 db_first_row(struct db *db, int64_t from_ms, int64_t to_ms,
		    int64_t upto_id, int64_t *ts_ms, int64_t *id);

/*
 * Call fn for every raw row with from_ms <= ts_ms < to_ms and id <=
 * upto_id that comes at or after (from_ms, from_id), oldest first (then
 * by id), as the record it was stored from (every field of struct rec
 * but buf (NULL), -1 for a NULL number, NULL for a NULL string) and its
 * id.  The record is valid during the call only.
 */
enum db_rc	 db_requests_each(struct db *db, int64_t from_ms,
		    int64_t from_id, int64_t to_ms, int64_t upto_id,
		    int (*fn)(const struct rec *, int64_t, void *), void *arg);

/* The cost of user's raw rows with from_ms <= ts_ms < to_ms: *cost_nusd. */
enum db_rc	 db_user_cost(struct db *db, const char *user, int64_t from_ms,
		    int64_t to_ms, int64_t *cost_nusd);

/*
 * Call fn for every model that has unpriced requests on day, in name
 * order, with their count over every source ("" for no model).
 */
enum db_rc	 db_unpriced_each(struct db *db, const char *day,
		    int (*fn)(const char *model, int64_t n, void *), void *arg);

/* ---- alerts and notifications (db_alert.c) ---------------------------- */

/*
 * Call fn for each day before day that has active alerts, oldest first.
 */
enum db_rc	 db_alert_open_days(struct db *db, const char *day,
		    int (*fn)(const char *day, void *), void *arg);

/*
 * Close the active alerts of the days before day, at now_ms: their days
 * are over.  *n says how many.
 */
enum db_rc	 db_alerts_close(struct db *db, const char *day,
		    int64_t now_ms, long *n);

/* Insert (id 0; sets a->id) or update the alert. */
enum db_rc	 db_alert_put(struct db *db, struct alert *a);

/*
 * Call fn for every alert, newest first, or for those of one day (when
 * day is not NULL); DB_ERR on a row that is not an alert apimon wrote.
 */
enum db_rc	 db_alerts_each(struct db *db, const char *day,
		    int (*fn)(const struct alert *, void *), void *arg);

/*
 * Record an event with its JSON payload: of the alert alert_id, or of
 * none (0, a digest).  When held is NULL (it was not held back: "silenced",
 * "old", ...) it is queued for each of the n notifier keys, due at now_ms.
 */
enum db_rc	 db_outbox_add(struct db *db, int64_t alert_id,
		    const char *event, const char *payload, int64_t now_ms,
		    const char *held, char *const *notifiers, size_t n);

struct db_delivery {
	int64_t	 outbox_id;
	char	*event;		/* malloc'd: fire, escalate, ..., digest */
	char	*payload;	/* malloc'd */
	int	 attempts;
};

/*
 * The deliveries to notifier due at now_ms, at most max, oldest first,
 * into a malloc'd array (*out, *n) that the caller frees with
 * db_deliveries_free().
 */
enum db_rc	 db_deliveries_due(struct db *db, const char *notifier,
		    int64_t now_ms, size_t max, struct db_delivery **out,
		    size_t *n);
void		 db_deliveries_free(struct db_delivery *d, size_t n);

/*
 * db_deliveries_due(), and in the same transaction not due again before
 * lease_ms: a second run at the same time does not send them too, and a
 * run killed before it records them sends them again after the lease.
 */
enum db_rc	 db_deliveries_claim(struct db *db, const char *notifier,
		    int64_t now_ms, int64_t lease_ms, size_t max,
		    struct db_delivery **out, size_t *n);

/* How many deliveries to notifier are not done yet: *n. */
enum db_rc	 db_deliveries_waiting(struct db *db, const char *notifier,
		    int64_t *n);

/* Record a delivery: done, or failed and due again at next_ms. */
enum db_rc	 db_delivery_done(struct db *db, int64_t outbox_id,
		    const char *notifier, int64_t now_ms);
enum db_rc	 db_delivery_failed(struct db *db, int64_t outbox_id,
		    const char *notifier, int64_t next_ms, const char *error);

/* Store a new silence (sets s->id). */
enum db_rc	 db_silence_add(struct db *db, struct silence *s);

/*
 * The silences that have not ended at now_ms, by id, into a malloc'd
 * array (*out, *n) the caller frees.
 */
enum db_rc	 db_silences(struct db *db, int64_t now_ms,
		    struct silence **out, size_t *n);

/* End silence id at now_ms; *found says whether it was in force. */
enum db_rc	 db_silence_lift(struct db *db, int64_t id, int64_t now_ms,
		    int *found);

/* ---- scale-out: the ship queue, the reporting host's mirror (db_ch.c) - */

/*
 * Read up to limit raw rows with id > after, in id order, in one read
 * snapshot: db_ship_open(), then db_ship_next() until *got is 0, then
 * db_ship_close() (also after an error).  The row's strings point into
 * SQLite and are valid until the next call; r->buf is NULL.
 */
enum db_rc	 db_ship_open(struct db *db, int64_t after, long limit);
enum db_rc	 db_ship_next(struct db *db, struct rec *r, int64_t *id,
		    int *got);
void		 db_ship_close(struct db *db);

/* The largest api_requests.id there is, 0 when there are none: *id. */
enum db_rc	 db_max_rowid(struct db *db, int64_t *id);

/*
 * The marks of what a reporting host has rolled up from ClickHouse: for
 * each node and partition, the highest block number and the rows seen
 * (meta keys "ch_mark block PARTITION NODE", "ch_mark rows PARTITION
 * NODE").  fn gets each; db_ch_marks_clear() deletes them all (inside a
 * transaction, before db_meta_set()ting the new ones).
 */
enum db_rc	 db_ch_marks_each(struct db *db, int (*fn)(const char *key,
		    int64_t block, void *), void *arg);
enum db_rc	 db_ch_marks_clear(struct db *db);

/*
 * Delete the mirror's raw rows older than window_ms, but keep the keep
 * newest of each source, and the rows at or after users_from_ms of the
 * users in users_json (a JSON array of strings).  *deleted says how
 * many.  Call inside a transaction.
 */
enum db_rc	 db_mirror_trim(struct db *db, int64_t window_ms,
		    const char *users_json, int64_t users_from_ms, int keep,
		    long *deleted);

#endif
