/* db_int.h — what the lib/db*.c files share; nothing outside them. */
#ifndef APIMON_DB_INT_H
#define APIMON_DB_INT_H

#include <sqlite3.h>

#include "db.h"

/*
 * Every statement, by the file that owns its SQL.  Each file keeps its
 * SQL in a table indexed by these and gets the statement with db_stmt().
 */
enum stmt {
	/* db.c */
	ST_INSERT, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_LAST_AGG, ST_META_GET,
	ST_META_SET, ST_MAX_ID,
	/* db_rollup.c */
	ST_ROWS, ST_NEW_ROWS, ST_SCAN_ROWS, ST_SCAN_NEW_ROWS, ST_ROWS_UPTO, ST_SCAN_UPTO, ST_SPAN, ST_DAYS, ST_DAYS_ALL, ST_PURGE, ST_FLOOR,
	ST_DEL_HOURS, ST_DEL_DAY, ST_INS_HOURLY, ST_INS_DAILY, ST_ADD_HOURLY,
	ST_ADD_DAILY, ST_SUM_HOURLY, ST_SUM_DAILY, ST_UPTO_GET, ST_UPTO_SET,
	ST_UPTO_DEL, ST_RUSERS_DEL, ST_RUSER_ADD, ST_UPTO_PRUNE, ST_RUSERS_PRUNE,
	/* db_read.c */
	ST_STATS_HOURLY, ST_STATS_DAILY, ST_RECENT, ST_RECENT_RANGE,
	ST_LAST_HOUR, ST_SOURCE_HOURS,
	ST_UNPRICED, ST_RAW_TOTALS, ST_SOURCES_SINCE, ST_SOURCE_SEEN, ST_USER_COST, ST_ROWS_SIG, ST_REQUESTS,
	ST_NEW_BY_ID, ST_NEW_BY_TS, ST_FIRST_ROW,
	/* db_alert.c */
	ST_ALERT_INSERT, ST_ALERT_UPDATE, ST_ALERTS_LIST,
	ST_ALERTS_DAY, ST_OPEN_DAYS, ST_CLOSE,
	ST_OUTBOX, ST_DELIVERY_ADD, ST_DUE, ST_WAITING, ST_DELIVERED, ST_FAILED,
	ST_LEASE,
	ST_SILENCE_ADD, ST_SILENCES, ST_SILENCE_LIFT,
	/* db_ch.c */
	ST_SHIP_ROWS, ST_MAX_ROWID, ST_MARKS, ST_MARKS_DEL, ST_MIRROR_TRIM,
	ST__MAX
};

/* The columns of hourly_stats and daily_stats after their key. */
#define STATS_NAMES \
	"source, model, requests, successes, failures, errors, timeouts," \
	" rate_limited, latency_sum_us, latency_hist, ttft_count," \
	" ttft_sum_us, tokens, input_tokens, output_tokens, cost_nusd," \
	" unpriced, users, lat_0_1s, lat_1_2s, lat_2_3s, lat_3_5s, lat_5s_up"

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__MAX];
	int		 busy_ms;
	int64_t		 busy_since;	/* ts_mono_ms() when this wait began */
	int64_t		 deadline;	/* ts_mono_ms() to give up at; 0: none */
	int64_t		 next_id;	/* of the next row; 0: ask (db_max_id) */
};

/*
 * Statement i with the text sql, prepared on first use, reset and with
 * its bindings cleared; NULL when it cannot be prepared (db_errmsg says
 * why).
 */
sqlite3_stmt	*db_stmt(struct db *db, enum stmt i, const char *sql);

/* Step a statement that returns no rows, then reset it. */
enum db_rc	 db_done(sqlite3_stmt *st);

/* Step st to its end, calling row(st, arg) for each row (see db.h). */
enum db_rc	 db_walk(sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *),
		    void *arg);

enum db_rc	 db_classify(int rc);

/* Bind a string, or NULL. */
void		 db_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Bind v, or NULL when v < 0 (absent). */
void		 db_bind_opt(sqlite3_stmt *st, int i, int64_t v);

/* A column that may be NULL: -1 then. */
int64_t		 db_col_opt(sqlite3_stmt *st, int col);

/*
 * The high-water mark of api_requests.id: the largest id it holds or
 * ever held (meta.id_floor keeps the ids of rows retention deleted), so
 * that no id is given twice.
 */
enum db_rc	 db_max_id(struct db *db, int64_t *id);

/* Register apimon's SQL functions on db->h (db_rollup.c). */
enum db_rc	 db_rollup_register(struct db *db);

#endif
