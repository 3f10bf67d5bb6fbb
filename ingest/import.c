/* import.c — apimon-ingest --import: NDJSON or a JSON array, in bulk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "body.h"
#include "ingest.h"
#include "log.h"
#include "ts.h"

#define SHOW_REJECTS	10

struct import {
	struct ingest	*ig;
	const char	*name;		/* file name for messages */
	const char	*unit;		/* "line" or "item" */
	struct rec	*recs;		/* the chunk being filled */
	size_t		 n;
	long		 accepted, duplicates, rejected;
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

static int
flush(struct import *im)
{
	enum db_rc	 rc;
	size_t		 i;

	rc = ingest_store(im->ig, im->recs, im->n,
	    ts_mono_ms() + im->ig->busy_ms, &im->accepted, &im->duplicates);
	for (i = 0; i < im->n; i++)
		rec_free(&im->recs[i]);
	im->n = 0;
	if (rc != DB_OK) {
		log_errx("%s: %s", im->ig->conf->database, im->ig->err);
		return -1;
	}
	return 0;
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
	struct import	 im = { ig, file, "line", NULL, 0, 0, 0, 0 };
	FILE		*f;
	int		 c, rc = 1;

	if (strcmp(file, "-") == 0) {
		f = stdin;
		im.name = "<stdin>";
	} else if ((f = fopen(file, "r")) == NULL) {
		log_errx("%s: %s", file, strerror(errno));
		return 1;
	}
	if ((im.recs = calloc(IMPORT_CHUNK, sizeof(*im.recs))) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	ingest_lock_db(ig);
	if (ingest_db(ig, ts_mono_ms() + ig->busy_ms) != NULL)
		db_tune_bulk(ig->db);
	ingest_unlock_db(ig);
	if (ig->db == NULL)
		goto out;
	while ((c = getc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		;
	if (c != EOF)
		ungetc(c, f);
	if ((c == '[' ? import_array(&im, f) : import_ndjson(&im, f)) != 0 ||
	    flush(&im) != 0)
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
	printf("accepted %ld, duplicates %ld, rejected %ld\n", im.accepted,
	    im.duplicates, im.rejected);
	free(im.recs);
	if (f != stdin)
		fclose(f);
	return rc;
}
