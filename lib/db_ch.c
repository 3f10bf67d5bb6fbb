/* db_ch.c — the SQL of the scale-out: the ship queue, the mirror, marks. */
#include <string.h>

#include "db_int.h"

#define MARKS	"key >= 'ch_mark ' AND key < 'ch_mark!'"

static const char *const sql[ST__MAX] = {
	[ST_SHIP_ROWS] = "SELECT id, request_id, ts_ms, source, user_id,"
	    " command, model, provider, status, latency_us, ttft_us,"
	    " input_tokens, output_tokens, tokens, cost_nusd, cost_source,"
	    " error, metadata, received_ms FROM api_requests WHERE id > ?1"
	    " ORDER BY id LIMIT ?2",
	[ST_MAX_ROWID] = "SELECT COALESCE(MAX(id), 0) FROM api_requests",
	[ST_MARKS] = "SELECT key, value FROM meta WHERE " MARKS,
	[ST_MARKS_DEL] = "DELETE FROM meta WHERE " MARKS,
	/*
	 * Old rows go unless they are among the newest ?4 of their source
	 * (the dashboard's recent rows), or a budgeted user's (budgets sum
	 * raw rows).  The ?4-th newest is found through (source, ts_ms).
	 */
	[ST_MIRROR_TRIM] = "DELETE FROM api_requests WHERE ts_ms < ?1"
	    " AND NOT (ts_ms >= ?3 AND user_id IS NOT NULL AND user_id IN"
	    " (SELECT value FROM json_each(?2)))"
	    " AND ts_ms < COALESCE((SELECT b.ts_ms FROM api_requests AS b"
	    " WHERE b.source = api_requests.source ORDER BY b.ts_ms DESC"
	    " LIMIT 1 OFFSET ?4 - 1), -1)",
};

static sqlite3_stmt *
stmt(struct db *db, enum stmt i)
{
	return db_stmt(db, i, sql[i]);
}

enum db_rc
db_ship_open(struct db *db, int64_t after, long limit)
{
	sqlite3_stmt	*st = stmt(db, ST_SHIP_ROWS);

	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, limit);
	return DB_OK;
}

static const char *
text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

enum db_rc
db_ship_next(struct db *db, struct rec *r, int64_t *id, int *got)
{
	sqlite3_stmt	*st = db->st[ST_SHIP_ROWS];
	const char	*cs;
	int		 rc;

	*got = 0;
	if (st == NULL)
		return DB_ERR;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return rc == SQLITE_DONE ? DB_OK : db_classify(rc);
	memset(r, 0, sizeof(*r));
	*id = sqlite3_column_int64(st, 0);
	r->request_id = text(st, 1);
	r->ts_ms = sqlite3_column_int64(st, 2);
	r->source = text(st, 3);
	r->user_id = text(st, 4);
	r->command = text(st, 5);
	r->model = text(st, 6);
	r->provider = text(st, 7);
	r->status = text(st, 8);
	r->latency_us = sqlite3_column_int64(st, 9);
	r->ttft_us = db_col_opt(st, 10);
	r->input_tokens = db_col_opt(st, 11);
	r->output_tokens = db_col_opt(st, 12);
	r->tokens = sqlite3_column_int64(st, 13);
	r->cost_nusd = sqlite3_column_int64(st, 14);
	cs = text(st, 15);
	r->error = text(st, 16);
	r->metadata = text(st, 17);
	r->received_ms = sqlite3_column_int64(st, 18);
	if (r->request_id == NULL || r->source == NULL || r->status == NULL ||
	    cs == NULL)
		return DB_ERR;	/* out of memory in SQLite, or NULL by hand */
	r->cost_source = strcmp(cs, "reported") == 0 ? REC_COST_REPORTED :
	    strcmp(cs, "priced") == 0 ? REC_COST_PRICED : REC_COST_NONE;
	*got = 1;
	return DB_OK;
}

void
db_ship_close(struct db *db)
{
	if (db->st[ST_SHIP_ROWS] != NULL)
		sqlite3_reset(db->st[ST_SHIP_ROWS]);
}

enum db_rc
db_max_rowid(struct db *db, int64_t *id)
{
	sqlite3_stmt	*st = stmt(db, ST_MAX_ROWID);
	int		 rc;

	*id = 0;
	if (st == NULL)
		return DB_ERR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DB_OK : db_classify(rc);
}

/* A walk's callback and its argument. */
struct walk {
	int	 (*fn)(const char *, int64_t, void *);
	void	*arg;
};

static int
mark_read(sqlite3_stmt *st, void *arg)
{
	struct walk	*w = arg;
	const char	*key = text(st, 0);

	if (key == NULL)
		return 1;	/* out of memory in SQLite */
	return w->fn(key, sqlite3_column_int64(st, 1), w->arg);
}

enum db_rc
db_ch_marks_each(struct db *db, int (*fn)(const char *, int64_t, void *),
    void *arg)
{
	struct walk	 w = { fn, arg };

	return db_walk(stmt(db, ST_MARKS), mark_read, &w);
}

enum db_rc
db_ch_marks_clear(struct db *db)
{
	return db_done(stmt(db, ST_MARKS_DEL));
}

enum db_rc
db_mirror_trim(struct db *db, int64_t window_ms, const char *users_json,
    int64_t users_from_ms, int keep, long *deleted)
{
	sqlite3_stmt	*st = stmt(db, ST_MIRROR_TRIM);
	enum db_rc	 rc;

	*deleted = 0;
	if (st == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, window_ms);
	sqlite3_bind_text(st, 2, users_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, users_from_ms);
	sqlite3_bind_int(st, 4, keep);
	if ((rc = db_done(st)) == DB_OK)
		*deleted = sqlite3_changes(db->h);
	return rc;
}
