/* db.h — all of apimon's SQL, behind functions named for what they do. */
#ifndef APIMON_DB_H
#define APIMON_DB_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "rec.h"

#define DB_SCHEMA_VERSION	1

/* Outcomes.  DB_BUSY and DB_UNAVAIL mean "try again later" to a client. */
enum db_rc {
	DB_OK = 0,
	DB_DUP,		/* the request_id is already stored */
	DB_BUSY,	/* another writer held the lock past the busy timeout */
	DB_UNAVAIL,	/* disk full, read-only, I/O error, cannot open */
	DB_ERR		/* anything else: a bug or a corrupt file */
};

struct db;

/*
 * Open (creating if needed) the database at path in WAL mode with the
 * given synchronous level, waiting up to busy_ms for locks, and bring
 * its schema up to DB_SCHEMA_VERSION.  Returns DB_OK with *out set (the
 * caller frees it with db_close()), or another code with a message in err
 * and nothing allocated.
 */
enum db_rc	 db_open(struct db **out, const char *path, enum conf_sync sync,
		    int busy_ms, char *err, size_t errlen);
void		 db_close(struct db *db);

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

#endif
