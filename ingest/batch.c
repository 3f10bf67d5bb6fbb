/* batch.c — storing validated records, the one path for HTTP and import. */
#include <stdio.h>

#include "ingest.h"
#include "log.h"

struct db *
ingest_db(struct ingest *ig)
{
	enum db_rc	 rc;

	if (ig->db != NULL)
		return ig->db;
	rc = db_open(&ig->db, ig->conf->database, ig->conf->ingest.synchronous,
	    ig->busy_ms, ig->err, sizeof(ig->err));
	if (rc != DB_OK)
		log_errx("%s", ig->err);
	return ig->db;
}

enum db_rc
ingest_store(struct ingest *ig, const struct rec *recs, size_t n,
    long *accepted, long *duplicates)
{
	struct db	*db;
	enum db_rc	 rc;
	long		 acc = 0, dup = 0;
	size_t		 i;

	if (n == 0)
		return DB_OK;
	if ((db = ingest_db(ig)) == NULL)
		return DB_UNAVAIL;
	if ((rc = db_begin(db)) != DB_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		rc = db_insert_request(db, &recs[i]);
		if (rc == DB_DUP)
			dup++;
		else if (rc == DB_OK)
			acc++;
		else
			goto fail;
	}
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	*accepted += acc;
	*duplicates += dup;
	return DB_OK;
fail:
	snprintf(ig->err, sizeof(ig->err), "%s", db_errmsg(db));
	db_rollback(db);
	/* A connection that went read-only or lost its file is reopened. */
	if (rc == DB_UNAVAIL || rc == DB_ERR) {
		db_close(ig->db);
		ig->db = NULL;
	}
	return rc;
}
