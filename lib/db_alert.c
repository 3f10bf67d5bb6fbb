/* db_alert.c — the SQL of alerts, the outbox and deliveries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_int.h"
#include "utf8.h"

/* What alert_read() reads, in its order. */
#define ALERT_COLUMNS \
	"id, rule, scope, day, severity, state, value, threshold, message," \
	" fired_ms, updated_ms, resolved_ms, notified_ms"

static const char *const sql[ST__MAX] = {
	[ST_ALERT_INSERT] = "INSERT INTO alerts (rule, scope, day, severity,"
	    " state, value, threshold, message, fired_ms, updated_ms,"
	    " resolved_ms, notified_ms)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_ALERT_UPDATE] = "UPDATE alerts SET severity = ?4, state = ?5,"
	    " value = ?6, threshold = ?7, message = ?8, fired_ms = ?9,"
	    " updated_ms = ?10, resolved_ms = ?11, notified_ms = ?12"
	    " WHERE id = ?13",
	[ST_ALERTS_LIST] = "SELECT " ALERT_COLUMNS " FROM alerts"
	    " ORDER BY updated_ms DESC, id DESC",
	[ST_ALERTS_DAY] = "SELECT " ALERT_COLUMNS " FROM alerts WHERE day = ?"
	    " ORDER BY updated_ms DESC, id DESC",
	[ST_OPEN_DAYS] = "SELECT DISTINCT day FROM alerts WHERE day < ?"
	    " AND state IN ('firing', 'escalated') ORDER BY day",
	[ST_CLOSE] = "UPDATE alerts SET state = 'closed', updated_ms = ?2,"
	    " resolved_ms = ?2 WHERE day < ?1"
	    " AND state IN ('firing', 'escalated')",
	[ST_OUTBOX] = "INSERT INTO outbox (alert_id, event, payload,"
	    " created_ms, held) VALUES (?, ?, ?, ?, ?)",
	/* Two notifiers with one key are one delivery. */
	[ST_DELIVERY_ADD] = "INSERT INTO deliveries (outbox_id, notifier,"
	    " next_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	[ST_DUE] = "SELECT d.outbox_id, o.event, d.attempts, o.payload"
	    " FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
	    " WHERE d.delivered_ms IS NULL AND d.next_ms <= ?2"
	    " AND d.notifier = ?1 ORDER BY d.outbox_id LIMIT ?3",
	[ST_WAITING] = "SELECT count(*) FROM deliveries"
	    " WHERE delivered_ms IS NULL AND notifier = ?",
	[ST_DELIVERED] = "UPDATE deliveries SET delivered_ms = ?3,"
	    " attempts = attempts + 1, last_error = NULL"
	    " WHERE outbox_id = ?1 AND notifier = ?2",
	[ST_FAILED] = "UPDATE deliveries SET attempts = attempts + 1,"
	    " next_ms = ?3, last_error = ?4"
	    " WHERE outbox_id = ?1 AND notifier = ?2",
	[ST_LEASE] = "UPDATE deliveries SET next_ms = ?3"
	    " WHERE outbox_id = ?1 AND notifier = ?2",
	[ST_SILENCE_ADD] = "INSERT INTO silences (rule, scope, comment,"
	    " created_ms, ends_ms) VALUES (?, ?, ?, ?, ?)",
	[ST_SILENCES] = "SELECT id, rule, scope, comment, created_ms, ends_ms"
	    " FROM silences WHERE ends_ms > ? ORDER BY id",
	[ST_SILENCE_LIFT] = "UPDATE silences SET ends_ms = ?2"
	    " WHERE id = ?1 AND ends_ms > ?2",
};

static sqlite3_stmt *
stmt(struct db *db, enum stmt i)
{
	return db_stmt(db, i, sql[i]);
}

/* Copy a text column; -1 when it does not fit (no stored value can). */
static int
copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char	*s = sqlite3_column_text(st, col);

	return s == NULL || utf8_snprintf(dst, size, "%s", s) >= (int)size ?
	    -1 : 0;
}

/* One row of ALERT_COLUMNS into *a; -1 when it is not an alert apimon wrote. */
static int
alert_read(sqlite3_stmt *st, struct alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->value = sqlite3_column_double(st, 6);
	a->threshold = sqlite3_column_double(st, 7);
	a->fired_ms = sqlite3_column_int64(st, 9);
	a->updated_ms = sqlite3_column_int64(st, 10);
	a->resolved_ms = db_col_opt(st, 11);
	a->notified_ms = db_col_opt(st, 12);
	if (alert_rule_parse((const char *)sqlite3_column_text(st, 1),
	    &a->rule) || alert_severity_parse((const char *)
	    sqlite3_column_text(st, 4), &a->severity) || alert_state_parse(
	    (const char *)sqlite3_column_text(st, 5), &a->state) ||
	    copy_col(a->scope, sizeof(a->scope), st, 2) ||
	    copy_col(a->day, sizeof(a->day), st, 3) ||
	    copy_col(a->message, sizeof(a->message), st, 8))
		return -1;
	return 0;
}

enum db_rc
db_alert_put(struct db *db, struct alert *a)
{
	sqlite3_stmt	*st = stmt(db, a->id ? ST_ALERT_UPDATE :
	    ST_ALERT_INSERT);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_ERR;
	if (a->id == 0) {
		sqlite3_bind_text(st, 1, alert_rule_name(a->rule), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->day, -1, SQLITE_STATIC);
	} else
		sqlite3_bind_int64(st, 13, a->id);
	sqlite3_bind_text(st, 4, alert_severity_name(a->severity), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, alert_state_name(a->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_double(st, 6, a->value);
	sqlite3_bind_double(st, 7, a->threshold);
	sqlite3_bind_text(st, 8, a->message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, a->fired_ms);
	sqlite3_bind_int64(st, 10, a->updated_ms);
	db_bind_opt(st, 11, a->resolved_ms);
	db_bind_opt(st, 12, a->notified_ms);
	if ((rc = db_done(st)) == DB_OK && a->id == 0)
		a->id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

/* A walk's callback and its argument; bad says a row could not be read. */
struct walk {
	int	 (*fn)(const struct alert *, void *);
	int	 (*day)(const char *, void *);
	void	*arg;
	int	 bad;
};

static int
alerts_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	struct alert	 a;

	if (alert_read(st, &a) != 0) {
		w->bad = 1;
		return 1;
	}
	return w->fn(&a, w->arg);
}

enum db_rc
db_alerts_each(struct db *db, const char *day,
    int (*fn)(const struct alert *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, day ? ST_ALERTS_DAY : ST_ALERTS_LIST);
	struct walk	 w = { fn, NULL, arg, 0 };
	enum db_rc	 rc;

	if (st != NULL && day != NULL)
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	rc = db_walk(st, alerts_read, &w);
	return w.bad ? DB_ERR : rc;
}

static int
day_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	const char	*day = (const char *)sqlite3_column_text(st, 0);

	return day == NULL ? 1 : w->day(day, w->arg);
}

enum db_rc
db_alert_open_days(struct db *db, const char *day,
    int (*fn)(const char *, void *), void *arg)
{
	sqlite3_stmt	*st = stmt(db, ST_OPEN_DAYS);
	struct walk	 w = { NULL, fn, arg, 0 };

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	return db_walk(st, day_read, &w);
}

enum db_rc
db_alerts_close(struct db *db, const char *day, int64_t now_ms, long *n)
{
	sqlite3_stmt	*st = stmt(db, ST_CLOSE);
	enum db_rc	 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((rc = db_done(st)) == DB_OK)
		*n = sqlite3_changes(db->h);
	return rc;
}

enum db_rc
db_outbox_add(struct db *db, int64_t alert_id, const char *event,
    const char *payload, int64_t now_ms, const char *held,
    char *const *notifiers, size_t n)
{
	sqlite3_stmt	*st = stmt(db, ST_OUTBOX);
	enum db_rc	 rc;
	int64_t		 id;
	size_t		 i;

	if (st == NULL)
		return DB_ERR;
	db_bind_opt(st, 1, alert_id > 0 ? alert_id : -1);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	db_bind_text(st, 5, held);
	if ((rc = db_done(st)) != DB_OK)
		return rc;
	id = sqlite3_last_insert_rowid(db->h);
	for (i = 0; held == NULL && i < n; i++) {
		if ((st = stmt(db, ST_DELIVERY_ADD)) == NULL)
			return DB_ERR;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, notifiers[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		if ((rc = db_done(st)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

void
db_deliveries_free(struct db_delivery *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(d[i].event);
		free(d[i].payload);
	}
	free(d);
}

enum db_rc
db_deliveries_due(struct db *db, const char *notifier, int64_t now_ms,
    size_t max, struct db_delivery **out, size_t *n)
{
	sqlite3_stmt		*st = stmt(db, ST_DUE);
	struct db_delivery	*d;
	const unsigned char	*event, *payload;
	int			 rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return DB_ERR;
	if ((d = calloc(max ? max : 1, sizeof(*d))) == NULL)
		return DB_UNAVAIL;
	sqlite3_bind_text(st, 1, notifier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		event = sqlite3_column_text(st, 1);
		payload = sqlite3_column_text(st, 3);
		d[*n].outbox_id = sqlite3_column_int64(st, 0);
		d[*n].attempts = sqlite3_column_int(st, 2);
		if (event == NULL || payload == NULL ||
		    (d[*n].event = strdup((const char *)event)) == NULL ||
		    (d[*n].payload = strdup((const char *)payload)) == NULL) {
			(*n)++;
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
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
db_deliveries_claim(struct db *db, const char *notifier, int64_t now_ms,
    int64_t lease_ms, size_t max, struct db_delivery **out, size_t *n)
{
	sqlite3_stmt	*st;
	enum db_rc	 rc;
	size_t		 i;

	*out = NULL;
	*n = 0;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = db_deliveries_due(db, notifier, now_ms, max, out, n)) !=
	    DB_OK)
		goto fail;
	for (i = 0; i < *n; i++) {
		if ((st = stmt(db, ST_LEASE)) == NULL) {
			rc = DB_ERR;
			goto fail;
		}
		sqlite3_bind_int64(st, 1, (*out)[i].outbox_id);
		sqlite3_bind_text(st, 2, notifier, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, lease_ms);
		if ((rc = db_done(st)) != DB_OK)
			goto fail;
	}
	if ((rc = db_commit(db)) == DB_OK)
		return DB_OK;
fail:
	db_rollback(db);
	db_deliveries_free(*out, *n);
	*out = NULL;
	*n = 0;
	return rc;
}

enum db_rc
db_deliveries_waiting(struct db *db, const char *notifier, int64_t *n)
{
	sqlite3_stmt	*st = stmt(db, ST_WAITING);
	int		 rc;

	*n = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, notifier, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return db_classify(rc);
}

enum db_rc
db_delivery_done(struct db *db, int64_t outbox_id, const char *notifier,
    int64_t now_ms)
{
	sqlite3_stmt	*st = stmt(db, ST_DELIVERED);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, outbox_id);
	sqlite3_bind_text(st, 2, notifier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return db_done(st);
}

enum db_rc
db_delivery_failed(struct db *db, int64_t outbox_id, const char *notifier,
    int64_t next_ms, const char *error)
{
	sqlite3_stmt	*st = stmt(db, ST_FAILED);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, outbox_id);
	sqlite3_bind_text(st, 2, notifier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next_ms);
	sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
	return db_done(st);
}

enum db_rc
db_silence_add(struct db *db, struct silence *s)
{
	sqlite3_stmt	*st = stmt(db, ST_SILENCE_ADD);
	enum db_rc	 rc;

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, s->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->comment, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->created_ms);
	sqlite3_bind_int64(st, 5, s->ends_ms);
	if ((rc = db_done(st)) == DB_OK)
		s->id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

enum db_rc
db_silences(struct db *db, int64_t now_ms, struct silence **out, size_t *n)
{
	sqlite3_stmt	*st = stmt(db, ST_SILENCES);
	struct silence	*v = NULL, *s;
	size_t		 cap = 0;
	int		 rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(&v, &cap, *n + 1, sizeof(*v))) {
			rc = SQLITE_NOMEM;
			break;
		}
		s = &v[(*n)++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(st, 0);
		s->created_ms = sqlite3_column_int64(st, 4);
		s->ends_ms = sqlite3_column_int64(st, 5);
		/* Text that does not fit was not written by apimon. */
		if (copy_col(s->rule, sizeof(s->rule), st, 1) ||
		    copy_col(s->scope, sizeof(s->scope), st, 2) ||
		    copy_col(s->comment, sizeof(s->comment), st, 3)) {
			rc = SQLITE_CORRUPT;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return db_classify(rc);
	}
	*out = v;
	return DB_OK;
}

enum db_rc
db_silence_lift(struct db *db, int64_t id, int64_t now_ms, int *found)
{
	sqlite3_stmt	*st = stmt(db, ST_SILENCE_LIFT);
	enum db_rc	 rc;

	*found = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((rc = db_done(st)) == DB_OK)
		*found = sqlite3_changes(db->h) > 0;
	return rc;
}
