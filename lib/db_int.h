/* db_int.h — what db.c and db_agg.c share; nothing outside lib/db*.c. */
#ifndef APIMON_DB_INT_H
#define APIMON_DB_INT_H

#include <sqlite3.h>

#include "db.h"

/* Statements of db.c, prepared at open. */
enum stmt { ST_INSERT, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_LAST_AGG,
	ST__MAX };

/* Statements of db_agg.c, prepared on first use. */
enum agg_stmt { AG_ROWS, AG_NEW_ROWS, AG_ADD_HOURLY, AG_ADD_DAILY, AG_SPAN, AG_DEL_HOURS, AG_DEL_DAY, AG_INS_HOURLY,
	AG_INS_DAILY, AG_META_GET, AG_META_SET, AG_MAX_ID, AG_DAYS, AG_PURGE, AG_STATS_HOURLY, AG_STATS_DAILY, AG_ALERT_GET,
	AG_ALERT_INSERT, AG_ALERT_UPDATE, AG_OUTBOX, AG_DELIVERY_ADD,
	AG_DUE, AG_DELIVERED, AG_FAILED, AG_ALERTS_LIST, AG_RECENT,
	AG_RECENT_SOURCE, AG__MAX };

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__MAX];
	sqlite3_stmt	*ag[AG__MAX];
	int		 busy_ms;
	int64_t		 busy_since;	/* ts_mono_ms() when this wait began */
	int64_t		 deadline;	/* ts_mono_ms() to give up at; 0: none */
};

enum db_rc	 db_classify(int rc);

/* Bind v, or NULL when v < 0 (absent). */
void		 db_bind_opt(sqlite3_stmt *st, int i, int64_t v);
enum db_rc	 db_exec(struct db *db, const char *q, char *err, size_t errlen);

/* Register apimon's SQL functions on db->h (db_agg.c). */
enum db_rc	 db_agg_register(struct db *db);
void		 db_agg_finalize(struct db *db);

#endif
