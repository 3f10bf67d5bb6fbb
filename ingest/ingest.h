/* ingest.h — apimon-ingest: the parts shared by HTTP and --import. */
#ifndef APIMON_INGEST_H
#define APIMON_INGEST_H

#include <stddef.h>

#include "conf.h"
#include "db.h"
#include "rec.h"

#define INGEST_BUSY_MS		2000	/* a client waits at most this long */
#define IMPORT_BUSY_MS		30000
#define IMPORT_CHUNK		10000	/* records per import transaction */
#define RETRY_AFTER_S		"1"	/* seconds, as sent */

struct ingest {
	const struct conf	*conf;
	struct db		*db;		/* NULL until opened */
	int			 busy_ms;
	char			 err[512];	/* why the last open failed */
};

/*
 * The database of ig, opened on first use and again after it failed in a
 * way that a reopen can cure (read-only, I/O error).  Returns NULL with
 * ig->err set when it cannot be opened now.
 */
struct db	*ingest_db(struct ingest *ig);

/*
 * Store n validated records in one transaction.  Returns DB_OK and adds
 * to *accepted and *duplicates; or an error code with nothing stored.
 */
enum db_rc	 ingest_store(struct ingest *ig, const struct rec *recs, size_t n,
		    long *accepted, long *duplicates);

/* Lines read by an HTTP server: CGI environment, body, output. */
struct http_io {
	void		*ctx;
	const char	*(*param)(void *ctx, const char *name);
	size_t		 (*read)(void *ctx, char *buf, size_t n);
	void		 (*write)(void *ctx, const char *buf, size_t n);
};

/* Read one request from io, answer it, never fail: errors are answers. */
void		 http_serve(struct ingest *ig, const struct http_io *io);

/* --import FILE|-: returns the exit status (0, 1 runtime, 2 usage). */
int		 import_run(struct ingest *ig, const char *file);

#endif
