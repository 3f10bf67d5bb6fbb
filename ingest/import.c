/* import.c — apimon-ingest --import: NDJSON or a JSON array, in bulk. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "body.h"
#include "ingest.h"
#include "log.h"
#include "ts.h"

#define SHOW_REJECTS	10

/*
 * Reading and storing overlap: while a thread of its own stores one chunk
 * (SQLite's inserts, most of an import's time), the next one is parsed.
 */
struct import {
	struct ingest	*ig;
	const char	*name;		/* file name for messages */
	const char	*unit;		/* "line" or "item" */
	struct rec	*recs;		/* the chunk being filled */
	size_t		 n;
	long		 accepted, duplicates, rejected;
	/* The chunk being stored, by the store thread. */
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct rec	*full;		/* handed over; NULL: room for one */
	size_t		 nfull;
	struct rec	*spare;		/* the other chunk, when free */
	int		 stop, failed;
};

static void
reject(struct import *im, size_t where, const struct rec_err *e)
{
	if (++im->rejected > SHOW_REJECTS)
		return;
	if (e->field[0] != '\0')
		log_errx("%s: %s %zu: field \"%s\": %s", im->name, im->unit,
		    where, e->field, e->msg);
	else
		log_errx("%s: %s %zu: %s", im->name, im->unit, where, e->msg);
}

/* The store thread: each chunk handed over, in order, in one commit. */
static void *
store(void *arg)
{
	struct import	*im = arg;
	struct rec	*recs;
	enum db_rc	 rc = DB_OK;
	size_t		 i, n;

	pthread_mutex_lock(&im->mu);
	for (;;) {
		while (im->full == NULL && !im->stop)
			pthread_cond_wait(&im->cv, &im->mu);
		if (im->full == NULL)
			break;
		recs = im->full;
		n = im->nfull;
		pthread_mutex_unlock(&im->mu);
		if (rc == DB_OK &&
		    (rc = ingest_store(im->ig, recs, n, ts_mono_ms() +
		    im->ig->busy_ms, &im->accepted, &im->duplicates)) != DB_OK)
			log_errx("%s: %s", im->ig->conf->database,
			    im->ig->err);
		for (i = 0; i < n; i++)
			rec_free(&recs[i]);
		pthread_mutex_lock(&im->mu);
		im->failed = rc != DB_OK;
		im->spare = recs;
		im->full = NULL;
		pthread_cond_broadcast(&im->cv);
	}
	pthread_mutex_unlock(&im->mu);
	return NULL;
}

/* Hand the chunk over once the one before is stored; 0, or -1 on failure. */
static int
flush(struct import *im)
{
	int	 failed;

	pthread_mutex_lock(&im->mu);
	while (im->full != NULL)
		pthread_cond_wait(&im->cv, &im->mu);
	if (!(failed = im->failed) && im->n > 0) {
		im->full = im->recs;
		im->nfull = im->n;
		im->recs = im->spare;
		im->spare = NULL;
		im->n = 0;
		pthread_cond_broadcast(&im->cv);
	}
	pthread_mutex_unlock(&im->mu);
	return failed ? -1 : 0;
}

/* Store the last chunk and end the store thread; 0 or -1. */
static int
finish(struct import *im)
{
	int	 rc = flush(im);

	pthread_mutex_lock(&im->mu);
	while (im->full != NULL)
		pthread_cond_wait(&im->cv, &im->mu);
	im->stop = 1;
	pthread_cond_broadcast(&im->cv);
	rc |= im->failed ? -1 : 0;
	pthread_mutex_unlock(&im->mu);
	pthread_join(im->th, NULL);
	return rc;
}

/* The record just put in the chunk is kept; store the chunk when full. */
static int
kept(struct import *im)
{
	if (++im->n == IMPORT_CHUNK)
		return flush(im);
	return 0;
}

/* Validate one item into the chunk. */
static int
take(struct import *im, const cJSON *item, size_t where)
{
	struct rec_err	 e;

	if (rec_parse(item, im->ig->conf, ts_now_ms(), &im->recs[im->n],
	    &e) != 0) {
		reject(im, where, &e);
		return 0;
	}
	return kept(im);
}

/* JSON's white space (strchr() would take the NUL too). */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * A line straight from its text (rec_parse_text()): 1 when taken (rc
 * set), 0 when the slow way must judge it.
 */
static int
take_text(struct import *im, const char *line, size_t len, size_t where,
    int *rc)
{
	struct rec_err	 e;
	enum rec_text	 t;
	size_t		 i = 0, end;

	while (i < len && is_ws(line[i]))
		i++;
	t = rec_parse_text(line + i, len - i, &end, im->ig->conf, ts_now_ms(),
	    &im->recs[im->n], &e);
	if (t == REC_TEXT_SLOW)
		return 0;
	for (i += end; i < len && is_ws(line[i]); i++)
		;
	if (i < len) {		/* more after the object: not for this path */
		if (t == REC_TEXT_OK)
			rec_free(&im->recs[im->n]);
		return 0;
	}
	if (t == REC_TEXT_BAD) {
		reject(im, where, &e);
		*rc = 0;
	} else
		*rc = kept(im);
	return 1;
}

static int
import_ndjson(struct import *im, FILE *f)
{
	char		*line = NULL;
	size_t		 cap = 0, lineno = 0, i, n;
	ssize_t		 len;
	struct json_err	 je;
	struct rec_err	 e;
	cJSON		*item;
	int		 rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		for (i = 0; i < (size_t)len && strchr(" \t\r\n", line[i]); i++)
			;
		if (i == (size_t)len ||
		    take_text(im, line, (size_t)len, lineno, &rc))
			continue;
		if (json_check(line, (size_t)len, &n, &je) != 0) {
			body_json_err(&je, 0, NULL, 0, &e);
			reject(im, lineno, &e);
			continue;
		}
		if ((item = json_tree(line, (size_t)len)) == NULL) {
			log_errx("%s: out of memory", im->name);
			rc = -1;
			break;
		}
		rc = take(im, item, lineno);
		cJSON_Delete(item);
	}
	free(line);
	return rc;
}

static int
import_array(struct import *im, FILE *f)
{
	char		*buf = NULL, *nb;
	size_t		 len = 0, cap = 0, k, idx = 0;
	struct json_err	 je;
	struct rec_err	 e;
	cJSON		*root, *item;
	int		 rc = 0;

	do {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				log_errx("%s: out of memory", im->name);
				free(buf);
				return -1;
			}
			buf = nb;
		}
		k = fread(buf + len, 1, cap - len, f);
		len += k;
	} while (k > 0);
	if (json_check(buf, len, &k, &je) != 0) {
		body_json_err(&je, 0, je.item >= 0 ? "item" : NULL,
		    (size_t)je.item + 1, &e);
		log_errx("%s: %s", im->name, e.msg);
		free(buf);
		return -1;
	}
	root = json_tree(buf, len);
	free(buf);
	if (!cJSON_IsArray(root)) {
		log_errx("%s: %s", im->name, root == NULL ? "out of memory" :
		    "not an array of objects, nor NDJSON");
		cJSON_Delete(root);
		return -1;
	}
	im->unit = "item";
	cJSON_ArrayForEach(item, root) {
		if ((rc = take(im, item, ++idx)) != 0)
			break;
	}
	cJSON_Delete(root);
	return rc;
}

int
import_run(struct ingest *ig, const char *file)
{
	struct import	 im = { .ig = ig, .name = file, .unit = "line" };
	FILE		*f;
	int		 c, rc = 1, started = 0;
	size_t		 i;

	if (strcmp(file, "-") == 0) {
		f = stdin;
		im.name = "<stdin>";
	} else if ((f = fopen(file, "r")) == NULL) {
		log_errx("%s: %s", file, strerror(errno));
		return 1;
	}
	pthread_mutex_init(&im.mu, NULL);
	pthread_cond_init(&im.cv, NULL);
	if ((im.recs = calloc(IMPORT_CHUNK, sizeof(*im.recs))) == NULL ||
	    (im.spare = calloc(IMPORT_CHUNK, sizeof(*im.spare))) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	ingest_lock_db(ig);
	if (ingest_db(ig, ts_mono_ms() + ig->busy_ms) != NULL)
		db_tune_bulk(ig->db);
	ingest_unlock_db(ig);
	if (ig->db == NULL)
		goto out;
	if (pthread_create(&im.th, NULL, store, &im) != 0) {
		log_errx("cannot start the store thread");
		goto out;
	}
	started = 1;
	while ((c = getc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		;
	if (c != EOF)
		ungetc(c, f);
	c = c == '[' ? import_array(&im, f) : import_ndjson(&im, f);
	started = 0;
	if (finish(&im) != 0 || c != 0)
		goto out;
	if (ferror(f)) {
		log_errx("%s: read error", im.name);
		goto out;
	}
	if (im.rejected > SHOW_REJECTS)
		log_errx("%s: %ld more rejected", im.name,
		    im.rejected - SHOW_REJECTS);
	rc = im.rejected > 0;
out:
	if (started)
		finish(&im);
	printf("accepted %ld, duplicates %ld, rejected %ld\n", im.accepted,
	    im.duplicates, im.rejected);
	/* A chunk stopped by an error still holds its records. */
	for (i = 0; i < im.n; i++)
		rec_free(&im.recs[i]);
	free(im.recs);
	free(im.spare);
	pthread_mutex_destroy(&im.mu);
	pthread_cond_destroy(&im.cv);
	if (f != stdin)
		fclose(f);
	return rc;
}
