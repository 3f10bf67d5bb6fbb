/* ingest.h — apimon-ingest: the parts shared by HTTP and --import. */
#ifndef APIMON_INGEST_H
#define APIMON_INGEST_H

#include <pthread.h>
#include <stddef.h>

#include "conf.h"
#include "db.h"
#include "rec.h"

#define INGEST_BUSY_MS		2000	/* a request is answered 503 by then */
#define IMPORT_BUSY_MS		30000
#define IMPORT_CHUNK		10000	/* records per import transaction */
#define RETRY_AFTER_S		"1"	/* seconds, as sent */

#define INGEST_THREADS		16	/* default request threads per worker */

/*
 * How long a leader waits for requests that are on their way (read, being
 * parsed) before it commits: up to this long, and only while some are.
 * Requests then share commits (and their WAL frames and fsync) instead of
 * taking turns; a request that is alone never waits.
 */
#define INGEST_WINDOW_US	1000

/*
 * Memory that a burst of large bodies took goes back to the system: after
 * a body of INGEST_TRIM_BYTES or more, malloc_trim() returns the free pages
 * of every thread's arena.  It leaves the top of a thread's arena to free(),
 * which shrinks it past the trim threshold; glibc raises that threshold to
 * twice the largest mmapped block freed (2 MiB after a 1 MiB body, per
 * thread), so it is fixed at INGEST_TRIM_THRESHOLD instead.
 */
#define INGEST_TRIM_BYTES	(64 * 1024)
#define INGEST_TRIM_THRESHOLD	(128 * 1024)	/* glibc's default */

struct job;

/*
 * Shared by the request threads of one worker.  The database connection
 * belongs to whichever thread "leads": it takes every queued job and
 * commits them in one transaction (group commit), so concurrent requests
 * share one commit (and one fsync with synchronous=full).  Each job has a
 * deadline: the leader waits for the write lock until the earliest one of
 * its jobs, and a job still queued at its deadline leaves as DB_BUSY.
 * Each job waits on its own condition variable, so a commit wakes only
 * the threads it answers and the next leader.
 */
struct ingest {
	const struct conf	*conf;
	struct db		*db;		/* NULL until opened */
	int			 busy_ms;	/* a job's deadline after it */
	char			 err[512];	/* why the last db call failed */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* ingest_lock_db() waits here */
	pthread_cond_t		 window;	/* a leader waits for more jobs */
	int			 leading;	/* a thread owns db now */
	int			 lockers;	/* threads in ingest_lock_db() */
	int			 coming;	/* requests that may still queue */
	int			 gathering;	/* a leader waits on window */
	struct job		*head, *tail;	/* waiting to be committed */
};

/* Set up ig for conf; ingest_free() releases it. */
void		 ingest_init(struct ingest *ig, const struct conf *conf,
		    int busy_ms);
void		 ingest_free(struct ingest *ig);

/*
 * A request has begun that may call ingest_store(): a leader waits a
 * little for it (INGEST_WINDOW_US).  ingest_store() or, when it stores
 * nothing, ingest_depart() ends that; both are no-ops for a thread that
 * did not arrive.
 */
void		 ingest_arrive(struct ingest *ig);
void		 ingest_depart(struct ingest *ig);

/* Own ig->db exclusively, for calls other than ingest_store(). */
void		 ingest_lock_db(struct ingest *ig);
void		 ingest_unlock_db(struct ingest *ig);

/*
 * The database of ig, opened on first use and again after it failed in a
 * way that a reopen can cure (read-only, I/O error), whose lock waits give
 * up at deadline (a ts_mono_ms() time), the open's included, until the
 * next call.  Returns NULL with ig->err set when it cannot be opened now.
 * Call it holding the db.
 */
struct db	*ingest_db(struct ingest *ig, int64_t deadline);

/* Close the connection after an error that a reopen may cure. */
void		 ingest_db_failed(struct ingest *ig, enum db_rc rc);

/*
 * Store n validated records in one transaction, shared with the records of
 * concurrent callers, giving up at deadline (a ts_mono_ms() time) when the
 * database is locked.  Returns DB_OK and adds to *accepted and *duplicates
 * once they are committed; or an error code with nothing stored.
 */
enum db_rc	 ingest_store(struct ingest *ig, const struct rec *recs, size_t n,
		    int64_t deadline, long *accepted, long *duplicates);

/* Lines read by an HTTP server: CGI environment, body, output. */
struct http_io {
	void		*ctx;
	const char	*(*param)(void *ctx, const char *name);
	size_t		 (*read)(void *ctx, char *buf, size_t n);
	void		 (*write)(void *ctx, const char *buf, size_t n);
};

/* Read one request from io, answer it, never fail: errors are answers. */
void		 http_serve(struct ingest *ig, const struct http_io *io);

/* An answer, as http_serve() writes it. */
struct resp {
	int		 status;
	const char	*allow;		/* 405: the methods allowed */
	int		 retry;		/* 503: send Retry-After */
	int		 auth;		/* 401: send WWW-Authenticate */
	int		 trim;		/* a large body: give memory back */
	char		*body;		/* cJSON_malloc'd; NULL: out of memory */
	const char	*ctype;		/* NULL: JSON text, its length strlen() */
	size_t		 len;		/* the body's length when ctype is set */
};

/* Case-insensitive media type match, ignoring parameters such as charset. */
int		 http_media_is(const char *ct, const char *type);

/* Whether an Authorization header carries the expected bearer token. */
int		 http_token_ok(const char *expected, const char *header);

/*
 * Read the body into a NUL-terminated buffer that the caller frees: *len
 * bytes.  Returns NULL with the answer's status (400, 413, 503) and
 * message when it is too long, cut short or out of memory.
 */
char		*http_read_body(struct ingest *ig, const struct http_io *io,
		    size_t *len, int *status, const char **msg);

/* POST /v1/traces: OTLP/HTTP, protobuf or JSON, gzip or not (otlp.c). */
void		 otlp_serve(struct ingest *ig, const struct http_io *io,
		    int64_t deadline, struct resp *r);

/* --import FILE|-: returns the exit status (0, 1 runtime, 2 usage). */
int		 import_run(struct ingest *ig, const char *file);

#endif
