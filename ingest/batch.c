/* batch.c — storing validated records: one group-commit path for all. */
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "log.h"

struct job {
	const struct rec	*recs;
	size_t			 n;
	long			 accepted, duplicates;
	enum db_rc		 rc;
	int			 done;
	struct job		*next;
};

void
ingest_init(struct ingest *ig, const struct conf *conf, int busy_ms)
{
	memset(ig, 0, sizeof(*ig));
	ig->conf = conf;
	ig->busy_ms = busy_ms;
	pthread_mutex_init(&ig->mu, NULL);
	pthread_cond_init(&ig->cv, NULL);
}

void
ingest_free(struct ingest *ig)
{
	db_close(ig->db);
	ig->db = NULL;
	pthread_mutex_destroy(&ig->mu);
	pthread_cond_destroy(&ig->cv);
}

void
ingest_lock_db(struct ingest *ig)
{
	pthread_mutex_lock(&ig->mu);
	while (ig->leading)
		pthread_cond_wait(&ig->cv, &ig->mu);
	ig->leading = 1;
	pthread_mutex_unlock(&ig->mu);
}

void
ingest_unlock_db(struct ingest *ig)
{
	pthread_mutex_lock(&ig->mu);
	ig->leading = 0;
	pthread_cond_broadcast(&ig->cv);
	pthread_mutex_unlock(&ig->mu);
}

struct db *
ingest_db(struct ingest *ig)
{
	enum db_rc	 rc;

	if (ig->db != NULL)
		return ig->db;
	rc = db_open(&ig->db, ig->conf->database, DB_CREATE,
	    ig->conf->ingest.synchronous,
	    ig->busy_ms, ig->err, sizeof(ig->err));
	if (rc != DB_OK)
		log_errx("%s", ig->err);
	return ig->db;
}

void
ingest_db_failed(struct ingest *ig, enum db_rc rc)
{
	if (ig->db != NULL)
		snprintf(ig->err, sizeof(ig->err), "%s", db_errmsg(ig->db));
	/* A connection that went read-only or lost its file is reopened. */
	if (rc == DB_UNAVAIL || rc == DB_ERR) {
		db_close(ig->db);
		ig->db = NULL;
	}
}

/* Commit every job of the list in one transaction; fill in their results. */
static void
commit_group(struct ingest *ig, struct job *list)
{
	struct db	*db;
	struct job	*j;
	enum db_rc	 rc;
	size_t		 i;

	if ((db = ingest_db(ig)) == NULL) {
		rc = DB_UNAVAIL;
		goto fail;
	}
	if ((rc = db_begin(db)) != DB_OK)
		goto fail;
	for (j = list; j != NULL; j = j->next)
		for (i = 0; i < j->n; i++) {
			rc = db_insert_request(db, &j->recs[i]);
			if (rc == DB_DUP)
				j->duplicates++;
			else if (rc == DB_OK)
				j->accepted++;
			else
				goto fail;
		}
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	for (j = list; j != NULL; j = j->next)
		j->rc = DB_OK;
	return;
fail:
	if (db != NULL)
		db_rollback(db);
	ingest_db_failed(ig, rc);
	for (j = list; j != NULL; j = j->next) {
		j->rc = rc;
		j->accepted = j->duplicates = 0;
	}
}

enum db_rc
ingest_store(struct ingest *ig, const struct rec *recs, size_t n,
    long *accepted, long *duplicates)
{
	struct job	 me = { recs, n, 0, 0, DB_OK, 0, NULL }, *list, *j, *nx;

	if (n == 0)
		return DB_OK;
	pthread_mutex_lock(&ig->mu);
	me.next = ig->queue;
	ig->queue = &me;
	while (!me.done) {
		if (ig->leading) {
			pthread_cond_wait(&ig->cv, &ig->mu);
			continue;
		}
		/* Lead: take everything queued so far and commit it. */
		ig->leading = 1;
		for (list = NULL, j = ig->queue; j != NULL; j = nx) {
			nx = j->next;	/* reverse: commit in arrival order */
			j->next = list;
			list = j;
		}
		ig->queue = NULL;
		pthread_mutex_unlock(&ig->mu);
		commit_group(ig, list);
		pthread_mutex_lock(&ig->mu);
		for (j = list; j != NULL; j = nx) {
			nx = j->next;
			j->done = 1;
		}
		ig->leading = 0;
		pthread_cond_broadcast(&ig->cv);
	}
	pthread_mutex_unlock(&ig->mu);
	*accepted += me.accepted;
	*duplicates += me.duplicates;
	return me.rc;
}
