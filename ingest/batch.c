/* batch.c — storing validated records: one group-commit path for all. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "log.h"
#include "ts.h"

struct job {
	const struct rec	*recs;
	size_t			 n;
	int64_t			 deadline;	/* ts_mono_ms() */
	long			 accepted, duplicates;
	enum db_rc		 rc;
	int			 taken;		/* by a leader */
	int			 done;
	pthread_cond_t		 cv;		/* done, or time to lead */
	struct job		*next;		/* queue: oldest first */
};

/* Whether this thread arrived and has not stored or departed yet. */
static _Thread_local int arrived;

void
ingest_init(struct ingest *ig, const struct conf *conf, int busy_ms)
{
	pthread_condattr_t	 ca;

	memset(ig, 0, sizeof(*ig));
	ig->conf = conf;
	ig->busy_ms = busy_ms;
	pthread_mutex_init(&ig->mu, NULL);
	/* Queued jobs wait until their deadline, which is on this clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ig->cv, &ca);
	pthread_cond_init(&ig->window, &ca);
	pthread_condattr_destroy(&ca);
}

void
ingest_free(struct ingest *ig)
{
	db_close(ig->db);
	ig->db = NULL;
	pthread_mutex_destroy(&ig->mu);
	pthread_cond_destroy(&ig->cv);
	pthread_cond_destroy(&ig->window);
}

/* A leader gathering jobs commits once no request is on its way. */
static void
gone(struct ingest *ig)
{
	if (--ig->coming == 0 && ig->gathering)
		pthread_cond_signal(&ig->window);
}

void
ingest_arrive(struct ingest *ig)
{
	pthread_mutex_lock(&ig->mu);
	ig->coming++;
	arrived = 1;
	pthread_mutex_unlock(&ig->mu);
}

void
ingest_depart(struct ingest *ig)
{
	if (!arrived)
		return;
	pthread_mutex_lock(&ig->mu);
	gone(ig);
	arrived = 0;
	pthread_mutex_unlock(&ig->mu);
}

/* The db is free: the oldest queued job leads next.  ig->mu held. */
static void
hand_over(struct ingest *ig)
{
	if (ig->lockers > 0)
		pthread_cond_broadcast(&ig->cv);
	if (ig->head != NULL)
		pthread_cond_signal(&ig->head->cv);
}

void
ingest_lock_db(struct ingest *ig)
{
	pthread_mutex_lock(&ig->mu);
	ig->lockers++;
	while (ig->leading)
		pthread_cond_wait(&ig->cv, &ig->mu);
	ig->lockers--;
	ig->leading = 1;
	pthread_mutex_unlock(&ig->mu);
}

void
ingest_unlock_db(struct ingest *ig)
{
	pthread_mutex_lock(&ig->mu);
	ig->leading = 0;
	hand_over(ig);
	pthread_mutex_unlock(&ig->mu);
}

struct db *
ingest_db(struct ingest *ig, int64_t deadline)
{
	int64_t		 left = deadline - ts_mono_ms();
	enum db_rc	 rc;

	if (ig->db == NULL) {
		rc = db_open(&ig->db, ig->conf->database, DB_CREATE,
		    ig->conf->ingest.synchronous, left > 0 ? (int)left : 0,
		    ig->err, sizeof(ig->err));
		if (rc != DB_OK) {
			log_errx("%s", ig->err);
			return NULL;
		}
	}
	db_deadline(ig->db, deadline);
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

/*
 * Commit every job of the list in one transaction, waiting for the lock
 * until deadline; fill in their results.
 */
static void
commit_group(struct ingest *ig, struct job *list, int64_t deadline)
{
	struct db	*db;
	struct job	*j;
	enum db_rc	 rc;
	size_t		 i;

	if ((db = ingest_db(ig, deadline)) == NULL) {
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

/* Wait for the requests on their way, INGEST_WINDOW_US at most.  ig->mu held. */
static void
gather(struct ingest *ig)
{
	struct timespec	 until;

	if (ig->coming == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += INGEST_WINDOW_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	ig->gathering = 1;
	while (ig->coming > 0 && pthread_cond_timedwait(&ig->window, &ig->mu,
	    &until) == 0)
		;
	ig->gathering = 0;
}

/*
 * Take every queued job whose deadline is ahead, in arrival order, and
 * commit them; the others stay queued and leave by themselves.  Called
 * and returns with ig->mu held.
 */
static void
lead(struct ingest *ig, struct job *me)
{
	struct job	*list = NULL, **lp = &list, **pp, *j, *nx;
	int64_t		 now, first = INT64_MAX;

	ig->leading = 1;
	gather(ig);
	now = ts_mono_ms();
	for (pp = &ig->head, ig->tail = NULL; (j = *pp) != NULL; ) {
		if (j->deadline <= now) {
			ig->tail = j;
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		j->next = NULL;
		*lp = j;
		lp = &j->next;
		j->taken = 1;
		if (j->deadline < first)
			first = j->deadline;
	}
	pthread_mutex_unlock(&ig->mu);
	if (list != NULL)
		commit_group(ig, list, first);
	pthread_mutex_lock(&ig->mu);
	for (j = list; j != NULL; j = nx) {
		nx = j->next;
		j->done = 1;
		if (j != me)
			pthread_cond_signal(&j->cv);
	}
	ig->leading = 0;
	hand_over(ig);
}

/* Take j out of the queue; it must be there.  ig->mu held. */
static void
unqueue(struct ingest *ig, struct job *j)
{
	struct job	**pp, *prev = NULL;

	for (pp = &ig->head; *pp != j; pp = &(*pp)->next)
		prev = *pp;
	*pp = j->next;
	if (ig->tail == j)
		ig->tail = prev;
}

enum db_rc
ingest_store(struct ingest *ig, const struct rec *recs, size_t n,
    int64_t deadline, long *accepted, long *duplicates)
{
	struct job		 me = { .recs = recs, .n = n,
	    .deadline = deadline, .rc = DB_OK };
	pthread_condattr_t	 ca;
	struct timespec		 until;

	if (n == 0) {
		ingest_depart(ig);
		return DB_OK;
	}
	until.tv_sec = deadline / 1000;
	until.tv_nsec = deadline % 1000 * 1000000;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&me.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&ig->mu);
	if (ig->tail != NULL)
		ig->tail->next = &me;
	else
		ig->head = &me;
	ig->tail = &me;
	if (arrived) {
		arrived = 0;
		gone(ig);
	}
	while (!me.done) {
		if (me.taken)
			pthread_cond_wait(&me.cv, &ig->mu);
		else if (ts_mono_ms() >= deadline) {
			/* No leader took it in time: nothing stored, busy. */
			unqueue(ig, &me);
			me.rc = DB_BUSY;
			/* It may have been woken to lead: pass that on. */
			if (!ig->leading)
				hand_over(ig);
			break;
		} else if (ig->leading)
			pthread_cond_timedwait(&me.cv, &ig->mu, &until);
		else
			lead(ig, &me);
	}
	pthread_mutex_unlock(&ig->mu);
	pthread_cond_destroy(&me.cv);
	*accepted += me.accepted;
	*duplicates += me.duplicates;
	return me.rc;
}
