/*
 * explore.c — the request explorer's data: the raw rows of each day of
 * site.explorer_days in chunks, an index of their ids, and the day's
 * exports (CSV, NDJSON); then requests.html, which reads them.
 *
 * Under data/requests/ (docs/api.md, "The request explorer"):
 *   index.json           the days of the window, newest first: each with
 *                        its signature, rows, the rows and bytes of each
 *                        chunk and its number of id buckets
 *   DAY/index.json       the day: its sources, statuses and models, and
 *                        per chunk its rows, bytes, time span and rows by
 *                        each (source, status, model) that occurs in it
 *   DAY/N.json           chunk N (0 is the oldest) of the day's rows, oldest
 *                        first: at most XP_CHUNK_ROWS rows, about
 *                        XP_CHUNK_BYTES bytes; named by the hash of its
 *                        rows, so that a chunk that did not change is
 *                        not rewritten
 *   DAY/ids-K.json       the ids whose FNV-1a hash % buckets is K, each
 *                        with its chunk: a lookup reads one bucket a day
 *   DAY/users-K.json     the same for user ids, each with its rows per
 *                        chunk: a user's rows are found without a scan
 *   DAY/requests.csv     every row, its cells escaped as the reports' are
 *   DAY/requests.ndjson  every row as an ingest record (--import)
 *
 * A day is rewritten only when its rows changed: its signature (the
 * count, smallest, largest and sum of the ids of its rows, the zone and
 * the format) is in its index.json, and a day whose signature is the
 * same and whose files are all there is left as it is.  Files of days
 * that left the window, and chunks a day no longer has, are removed when
 * the run commits.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "render.h"
#include "ts.h"
#include "utf8.h"

/* Bump when any file's format changes: every day is then rewritten. */
#define XP_FORMAT	"apimon-explorer-1"
#define XP_DIR		"data/requests"
#define XP_CHUNK_ROWS	1000
#define XP_CHUNK_BYTES	(256 * 1024)	/* a page of 100 rows: < 1 MB */
#define XP_BUCKET_KEYS	1000		/* ids (rows) per bucket, about */
#define XP_INDEX_MAX	(64L << 20)	/* a day's index.json we read back */
#define XP_TMP_AGE	600		/* s: a temporary file older is dead */

/* The columns of a chunk's rows, in order (explorer.js reads them). */
static const char *const columns[] = { "request_id", "ts_ms", "source",
    "user_id", "command", "model", "provider", "status", "latency_us",
    "ttft_us", "input_tokens", "output_tokens", "tokens", "cost_nusd",
    "cost_source", "error", "metadata", "received_ms", NULL };

/* Names of a day (sources, statuses, models), numbered as they come. */
struct names {
	char		**v;
	size_t		 *ord;		/* indexes of v, in name order */
	size_t		  n, cap, capord;
};

/* Rows of one (source, status, model) in a chunk. */
struct cell {
	size_t		 k[3];
	int64_t		 n;
};

struct chunk {
	int64_t		 n, bytes, from_ms, to_ms;
	char		 h[20];		/* hash of its rows, hex */
	struct cell	*cells;
	size_t		 ncells, capcells;
};

/* A request or user id and the chunk of one of its rows. */
struct keyref {
	char		*key;
	uint32_t	 hash;
	long		 chunk;
};

struct keys {
	struct keyref	*v;
	size_t		 n, cap;
};

/* The day being written. */
struct xday {
	struct render	*r;
	char		 day[TZ_DAY_LEN];
	char		 v[20];		/* its signature, hex */
	struct buf	 rows;		/* the file of the chunk being filled */
	size_t		 head;		/* where its rows start */
	struct buf	 row;		/* one row, scratch */
	struct chunk	*ch;
	size_t		 nch, capch;
	struct names	 names[3];	/* source, status, model */
	struct keys	 ids, users;
	struct buf	 csv, nd;
	const char	*bad;		/* why the walk stopped */
};

static uint32_t
fnv1a32(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static uint64_t
fnv1a64(const char *s)
{
	uint64_t	 h = 14695981039346656037ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* ---- names, cells, keys --------------------------------------------------- */

/* The number of name in ns, added when new; 0, or -1 (out of memory). */
static int
name_of(struct names *ns, const char *name, size_t *k)
{
	size_t	 lo = 0, hi = ns->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(ns->v[ns->ord[mid]], name)) == 0) {
			*k = ns->ord[mid];
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (grow(&ns->v, &ns->cap, ns->n + 1, sizeof(*ns->v)) ||
	    grow(&ns->ord, &ns->capord, ns->n + 1, sizeof(*ns->ord)) ||
	    (ns->v[ns->n] = strdup(name)) == NULL)
		return -1;
	memmove(ns->ord + lo + 1, ns->ord + lo, (ns->n - lo) *
	    sizeof(*ns->ord));
	ns->ord[lo] = ns->n;
	*k = ns->n++;
	return 0;
}

static void
names_free(struct names *ns)
{
	size_t	 i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	free(ns->ord);
}

/* The names as a JSON array, by number; NULL when out of memory. */
static cJSON *
names_json(const struct names *ns)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; a != NULL && i < ns->n; i++)
		if (jtree_push_str(a, ns->v[i])) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

/* Count a row of (source, status, model) k in c; 0 or -1. */
static int
cell_add(struct chunk *c, const size_t k[3])
{
	size_t	 i;

	for (i = 0; i < c->ncells; i++)
		if (memcmp(c->cells[i].k, k, sizeof(c->cells[i].k)) == 0) {
			c->cells[i].n++;
			return 0;
		}
	if (grow(&c->cells, &c->capcells, c->ncells + 1, sizeof(*c->cells)))
		return -1;
	memcpy(c->cells[c->ncells].k, k, sizeof(c->cells[0].k));
	c->cells[c->ncells++].n = 1;
	return 0;
}

static int
key_add(struct keys *ks, const char *key, long chunk)
{
	if (grow(&ks->v, &ks->cap, ks->n + 1, sizeof(*ks->v)) ||
	    (ks->v[ks->n].key = strdup(key)) == NULL)
		return -1;
	ks->v[ks->n].hash = fnv1a32(key);
	ks->v[ks->n++].chunk = chunk;
	return 0;
}

static void
keys_free(struct keys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++)
		free(ks->v[i].key);
	free(ks->v);
}

/* ---- chunks ------------------------------------------------------------- */

/* The name of file k of the day: "DAY/K.json", "DAY/ids-K.json". */
static int
day_file(char *buf, size_t size, const char *day, const char *prefix,
    long k)
{
	return fixed_printf(buf, size, XP_DIR "/%s/%s%ld.json", day, prefix,
	    k);
}

/*
 * Start chunk k's file in x->rows: everything before its rows (their
 * hash, known when it is full, goes last).
 */
static void
chunk_head(struct xday *x, size_t k)
{
	size_t	 i;

	x->rows.len = 0;
	buf_printf(&x->rows, "{\"format\":\"" XP_FORMAT "\",\"day\":\"%s\","
	    "\"chunk\":%zu,\"columns\":[", x->day, k);
	for (i = 0; columns[i] != NULL; i++)
		buf_printf(&x->rows, "%s\"%s\"", i ? "," : "", columns[i]);
	buf_puts(&x->rows, "],\"rows\":[\n");
	x->head = x->rows.len;
}

/* Publish the chunk being filled; 0, or -1 with a message. */
static int
chunk_flush(struct xday *x)
{
	struct chunk	*c = &x->ch[x->nch - 1];
	char		 rel[128];

	/*
	 * A chunk names its own content, not the day's signature: a chunk
	 * whose rows did not change is not rewritten when its day changes.
	 */
	buf_add(&x->rows, "", 0);
	snprintf(c->h, sizeof(c->h), "%016llx", x->rows.failed ? 0ULL :
	    (unsigned long long)fnv1a64(x->rows.p + x->head));
	buf_printf(&x->rows, "\n],\"h\":\"%s\"}\n", c->h);
	if (x->rows.failed) {
		log_errx(XP_DIR "/%s: out of memory", x->day);
		return -1;
	}
	if (day_file(rel, sizeof(rel), x->day, "", (long)x->nch - 1)) {
		log_errx(XP_DIR "/%s: a file name does not fit", x->day);
		return -1;
	}
	if (out_write(x->r, rel, x->rows.p, x->rows.len) != 0)
		return -1;
	c->bytes = (int64_t)x->rows.len;
	return 0;
}

/* A string cell of a chunk row: JSON null for NULL. */
static void
jstr(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "null");
	else
		esc_json_str(b, s);
}

/* A number cell that may be NULL (-1). */
static void
jopt(struct buf *b, int64_t v)
{
	if (v < 0)
		buf_puts(b, "null");
	else
		export_int(b, v);
}

/* The row as a JSON array in the order of columns[]. */
static void
chunk_row(struct buf *b, const struct rec *q)
{
	buf_add(b, "[", 1);
	jstr(b, q->request_id);
	buf_add(b, ",", 1);
	export_int(b, q->ts_ms);
	buf_add(b, ",", 1);
	jstr(b, q->source);
	buf_add(b, ",", 1);
	jstr(b, q->user_id);
	buf_add(b, ",", 1);
	jstr(b, q->command);
	buf_add(b, ",", 1);
	jstr(b, q->model);
	buf_add(b, ",", 1);
	jstr(b, q->provider);
	buf_add(b, ",", 1);
	jstr(b, q->status);
	buf_add(b, ",", 1);
	export_int(b, q->latency_us);
	buf_add(b, ",", 1);
	jopt(b, q->ttft_us);
	buf_add(b, ",", 1);
	jopt(b, q->input_tokens);
	buf_add(b, ",", 1);
	jopt(b, q->output_tokens);
	buf_add(b, ",", 1);
	export_int(b, q->tokens);
	buf_add(b, ",", 1);
	export_int(b, q->cost_nusd);
	buf_add(b, ",\"", 2);
	buf_puts(b, rec_cost_source_name(q->cost_source));
	buf_add(b, "\",", 2);
	jstr(b, q->error);
	buf_add(b, ",", 1);
	jstr(b, q->metadata);
	buf_add(b, ",", 1);
	export_int(b, q->received_ms);
	buf_add(b, "]", 1);
}

/* ---- one day --------------------------------------------------------------- */

/* The strings of q as valid UTF-8 (repaired copies in fix[]). */
static int
clean(const struct rec *q, struct rec *out, char *fix[8])
{
	const char	**f[] = { &out->request_id, &out->source, &out->user_id,
	    &out->command, &out->model, &out->provider, &out->error,
	    &out->metadata };
	size_t		 i;

	*out = *q;
	for (i = 0; i < 8; i++)
		fix[i] = NULL;
	for (i = 0; i < 8; i++) {
		if (*f[i] == NULL || utf8_len(*f[i], strlen(*f[i])) >= 0)
			continue;
		if ((fix[i] = utf8_repair(*f[i])) == NULL)
			return -1;
		*f[i] = fix[i];
	}
	/* A status is one of four words; anything else shows as it is. */
	if (utf8_len(out->status, strlen(out->status)) < 0)
		out->status = "\xef\xbf\xbd";
	return 0;
}

/* Start a new chunk when the one being filled is full; 0 or -1. */
static int
chunk_room(struct xday *x, int64_t ts_ms)
{
	struct chunk	*c = x->nch > 0 ? &x->ch[x->nch - 1] : NULL;

	if (c != NULL && c->n < XP_CHUNK_ROWS &&
	    x->rows.len - x->head + x->row.len <= XP_CHUNK_BYTES)
		return 0;
	if (c != NULL && chunk_flush(x) != 0) {
		x->bad = "";	/* said */
		return -1;
	}
	if (grow(&x->ch, &x->capch, x->nch + 1, sizeof(*x->ch))) {
		x->bad = "out of memory";
		return -1;
	}
	c = &x->ch[x->nch++];
	memset(c, 0, sizeof(*c));
	c->from_ms = ts_ms;
	chunk_head(x, x->nch - 1);
	return 0;
}

static int
day_row(const struct rec *raw, void *arg)
{
	struct xday	*x = arg;
	struct chunk	*c;
	struct rec	 q;
	char		*fix[8];
	size_t		 k[3];
	int		 i, rc = 1;

	if (clean(raw, &q, fix) != 0)
		goto oom;
	x->row.len = 0;
	chunk_row(&x->row, &q);
	if (chunk_room(x, q.ts_ms) != 0)
		goto out;
	c = &x->ch[x->nch - 1];
	if (c->n > 0)
		buf_add(&x->rows, ",\n", 2);
	buf_add(&x->rows, x->row.p, x->row.len);
	c->n++;
	c->to_ms = q.ts_ms;
	if (name_of(&x->names[0], q.source, &k[0]) ||
	    name_of(&x->names[1], q.status, &k[1]) ||
	    name_of(&x->names[2], q.model ? q.model : "", &k[2]) ||
	    cell_add(c, k) ||
	    key_add(&x->ids, q.request_id, (long)x->nch - 1) ||
	    (q.user_id != NULL && key_add(&x->users, q.user_id,
	    (long)x->nch - 1)))
		goto oom;
	export_csv_row(&x->csv, &q);
	export_ndjson_row(&x->nd, &q);
	if (x->rows.failed || x->row.failed || x->csv.failed || x->nd.failed)
		goto oom;
	rc = 0;
	goto out;
oom:
	x->bad = "out of memory";
out:
	for (i = 0; i < 8; i++)
		free(fix[i]);
	return rc;
}

/* Keys by bucket, then key, then chunk. */
static uint32_t	 nbuckets_sort;

static int
by_bucket(const void *a, const void *b)
{
	const struct keyref	*x = a, *y = b;
	uint32_t		 i = x->hash % nbuckets_sort;
	uint32_t		 j = y->hash % nbuckets_sort;
	int			 c;

	if (i != j)
		return i < j ? -1 : 1;
	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	return (x->chunk > y->chunk) - (x->chunk < y->chunk);
}

/*
 * One bucket's keys, from ks->v[*i] on: an id and its chunk ("id":3),
 * or a user and its rows per chunk ("u":[[3,12],[4,1]]).
 */
static void
bucket_keys(struct buf *f, const struct keys *ks, size_t *i, uint32_t nb,
    uint32_t k, int users)
{
	const struct keyref	*v = ks->v;
	size_t			 j = *i, n;
	int			 first = 1, more;

	while (j < ks->n && v[j].hash % nb == k) {
		buf_puts(f, first ? "" : ",\n");
		first = 0;
		esc_json_str(f, v[j].key);
		if (!users) {
			buf_printf(f, ":%ld", v[j].chunk);
			j++;
			continue;
		}
		buf_add(f, ":[", 2);
		for (more = 0;; more = 1) {
			for (n = 1; j + n < ks->n && v[j + n].chunk ==
			    v[j].chunk && strcmp(v[j + n].key, v[j].key) == 0;)
				n++;
			buf_printf(f, "%s[%ld,%zu]", more ? "," : "", v[j].chunk,
			    n);
			j += n;
			if (j >= ks->n || strcmp(v[j].key, v[j - 1].key) != 0)
				break;
		}
		buf_add(f, "]", 1);
	}
	*i = j;
}

/*
 * The buckets PREFIX-K.json of ks ("ids" or "users"); the number of
 * buckets, or -1 with a message.
 */
static long
write_buckets(struct xday *x, struct keys *ks, const char *kind)
{
	struct buf	 f = { 0 };
	char		 rel[128], prefix[16];
	uint32_t	 nb = 1, k;
	size_t		 i = 0;
	int		 users = strcmp(kind, "users") == 0;

	while (nb < ks->n / XP_BUCKET_KEYS + 1 && nb < (1u << 30))
		nb <<= 1;
	nbuckets_sort = nb;
	if (ks->n > 0)
		qsort(ks->v, ks->n, sizeof(*ks->v), by_bucket);
	snprintf(prefix, sizeof(prefix), "%s-", kind);
	for (k = 0; k < nb; k++) {
		f.len = 0;
		buf_printf(&f, "{\"format\":\"" XP_FORMAT "\",\"day\":\"%s\","
		    "\"v\":\"%s\",\"bucket\":%u,\"%s\":{", x->day, x->v, k,
		    kind);
		bucket_keys(&f, ks, &i, nb, k, users);
		buf_puts(&f, "}}\n");
		if (f.failed) {
			log_errx(XP_DIR "/%s: out of memory", x->day);
			goto fail;
		}
		if (day_file(rel, sizeof(rel), x->day, prefix, (long)k)) {
			log_errx(XP_DIR "/%s: a file name does not fit", x->day);
			goto fail;
		}
		if (out_write(x->r, rel, f.p, f.len) != 0)
			goto fail;
	}
	buf_free(&f);
	return (long)nb;
fail:
	buf_free(&f);
	return -1;
}

/* A chunk's cells: [[source, status, model, rows], ...]; NULL (oom). */
static cJSON *
cells_json(const struct chunk *c)
{
	cJSON	*a = cJSON_CreateArray(), *e;
	size_t	 i, j;

	for (i = 0; a != NULL && i < c->ncells; i++) {
		if ((e = cJSON_CreateArray()) == NULL || jtree_push(a, e))
			goto fail;
		for (j = 0; j < 3; j++)
			if (jtree_push_num(e, (double)c->cells[i].k[j]))
				goto fail;
		if (jtree_push_num(e, (double)c->cells[i].n))
			goto fail;
	}
	return a;
fail:
	cJSON_Delete(a);
	return NULL;
}

/* The day's index.json as an object; NULL when out of memory. */
static cJSON *
day_index(struct xday *x, long nids, long nusers)
{
	cJSON	*o = cJSON_CreateObject(), *arr, *c;
	size_t	 i;

	if (o == NULL || cJSON_AddStringToObject(o, "format", XP_FORMAT) ==
	    NULL || cJSON_AddStringToObject(o, "day", x->day) == NULL ||
	    cJSON_AddStringToObject(o, "v", x->v) == NULL ||
	    cJSON_AddNumberToObject(o, "requests", (double)x->ids.n) == NULL ||
	    cJSON_AddNumberToObject(o, "id_buckets", (double)nids) == NULL ||
	    cJSON_AddNumberToObject(o, "user_buckets", (double)nusers) ==
	    NULL || jtree_put(o, "sources", names_json(&x->names[0])) ||
	    jtree_put(o, "statuses", names_json(&x->names[1])) ||
	    jtree_put(o, "models", names_json(&x->names[2])) ||
	    (arr = cJSON_AddArrayToObject(o, "chunks")) == NULL)
		goto fail;
	for (i = 0; i < x->nch; i++) {
		struct chunk *k = &x->ch[i];
		if ((c = cJSON_CreateObject()) == NULL || jtree_push(arr, c) ||
		    cJSON_AddNumberToObject(c, "n", (double)k->n) == NULL ||
		    cJSON_AddStringToObject(c, "h", k->h) == NULL ||
		    cJSON_AddNumberToObject(c, "bytes", (double)k->bytes) ==
		    NULL || cJSON_AddNumberToObject(c, "from_ms",
		    (double)k->from_ms) == NULL || cJSON_AddNumberToObject(c,
		    "to_ms", (double)k->to_ms) == NULL ||
		    jtree_put(c, "cells", cells_json(k)))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static void
xday_free(struct xday *x)
{
	size_t	 i;

	for (i = 0; i < x->nch; i++)
		free(x->ch[i].cells);
	free(x->ch);
	for (i = 0; i < 3; i++)
		names_free(&x->names[i]);
	keys_free(&x->ids);
	keys_free(&x->users);
	buf_free(&x->rows);
	buf_free(&x->row);
	buf_free(&x->csv);
	buf_free(&x->nd);
}

/* K of "PREFIXK.json" (K digits only), else -1. */
static long
numbered(const char *name, const char *prefix)
{
	size_t	 p = strlen(prefix), d;

	if (strncmp(name, prefix, p) != 0)
		return -1;
	name += p;
	d = strspn(name, "0123456789");
	if (d == 0 || d > 9 || strcmp(name + d, ".json") != 0)
		return -1;
	return strtol(name, NULL, 10);
}

/*
 * Whether the file name in folder dir is the temporary file of a run
 * that died (kill -9): one older than XP_TMP_AGE seconds.
 */
static int
dead_tmp(const char *dir, const char *name)
{
	struct buf	 p = { 0 };
	struct stat	 sb;
	int		 dead;

	if (strstr(name, ".tmp.") == NULL)
		return 0;
	buf_printf(&p, "%s/%s", dir, name);
	dead = !p.failed && stat(p.p, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    time(NULL) - sb.st_mtime > XP_TMP_AGE;
	buf_free(&p);
	return dead;
}

/*
 * The files of the day's folder that the day no longer has (chunks and
 * buckets past its counts), and temporary files of dead runs.
 */
static int
sweep_day(struct render *r, const char *day, long nch, long nids,
    long nusers)
{
	struct buf	 dir = { 0 };
	struct dirent	*e;
	DIR		*d;
	char		 rel[512];
	long		 k;
	int		 rc = 0, keep;

	buf_printf(&dir, "%s/" XP_DIR "/%s", r->out, day);
	if (dir.failed || (d = opendir(dir.p)) == NULL) {
		buf_free(&dir);
		return 0;	/* a new folder: nothing to sweep */
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		/*
		 * N.json, ids-K.json and users-K.json past the day's go; the
		 * other files are written each time, and a temporary one
		 * belongs to a run under way, unless it is old.
		 */
		if ((k = numbered(e->d_name, "ids-")) >= 0)
			keep = k < nids;
		else if ((k = numbered(e->d_name, "users-")) >= 0)
			keep = k < nusers;
		else if ((k = numbered(e->d_name, "")) >= 0)
			keep = k < nch;
		else
			keep = !dead_tmp(dir.p, e->d_name);
		if (keep)
			continue;
		if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/%s", day,
		    e->d_name)) {
			log_errx("%s/%s: a file name does not fit", dir.p,
			    e->d_name);
			rc = -1;
		} else if (out_remove(r, rel))
			rc = -1;
	}
	closedir(d);
	buf_free(&dir);
	return rc;
}

/*
 * Write every file of the day whose signature is v; *index gets its
 * index object.  0, or -1 with a message.
 */
static int
write_day(struct render *r, const char *day, const char *v, int64_t from,
    int64_t to, cJSON **index)
{
	struct xday	 x;
	char		 rel[128];
	char		*text = NULL;
	long		 nids, nusers;
	enum db_rc	 rc;
	int		 ret = -1;

	*index = NULL;
	memset(&x, 0, sizeof(x));
	x.r = r;
	memcpy(x.day, day, TZ_DAY_LEN);
	snprintf(x.v, sizeof(x.v), "%s", v);
	buf_puts(&x.csv, export_csv_header);
	buf_add(&x.nd, "", 0);
	if ((rc = db_requests_each(r->db, from, to, day_row, &x)) != DB_OK) {
		if (rc != DB_ABORT || x.bad == NULL)
			log_errx(XP_DIR "/%s: %s: %s", day, r->conf->database,
			    db_errmsg(r->db));
		else if (x.bad[0] != '\0')
			log_errx(XP_DIR "/%s: %s", day, x.bad);
		goto out;
	}
	if ((x.nch > 0 && chunk_flush(&x) != 0) ||
	    (nids = write_buckets(&x, &x.ids, "ids")) < 0 ||
	    (nusers = write_buckets(&x, &x.users, "users")) < 0)
		goto out;
	if (x.csv.failed || x.nd.failed) {
		log_errx(XP_DIR "/%s: out of memory", day);
		goto out;
	}
	if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/requests.csv", day) ||
	    out_write(r, rel, x.csv.p, x.csv.len) ||
	    fixed_printf(rel, sizeof(rel), XP_DIR "/%s/requests.ndjson",
	    day) || out_write(r, rel, x.nd.p, x.nd.len))
		goto out;
	if ((*index = day_index(&x, nids, nusers)) == NULL ||
	    (text = cJSON_PrintUnformatted(*index)) == NULL) {
		log_errx(XP_DIR "/%s: out of memory", day);
		goto out;
	}
	/* The day's index last: a reader finds its files before it. */
	if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/index.json", day) ||
	    out_write(r, rel, text, strlen(text)))
		goto out;
	ret = 0;
out:
	if (ret != 0) {
		cJSON_Delete(*index);
		*index = NULL;
	}
	cJSON_free(text);
	xday_free(&x);
	return ret;
}

/* The index.json of a day as the last run wrote it, or NULL. */
static cJSON *
read_index(struct render *r, const char *day)
{
	struct buf	 path = { 0 }, b = { 0 };
	char		 chunk[65536];
	size_t		 k;
	FILE		*f;
	cJSON		*o = NULL;

	buf_printf(&path, "%s/" XP_DIR "/%s/index.json", r->out, day);
	if (path.failed || (f = fopen(path.p, "rb")) == NULL) {
		buf_free(&path);
		return NULL;
	}
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    b.len < XP_INDEX_MAX)
		buf_add(&b, chunk, k);
	if (!ferror(f) && !b.failed && b.len > 0 && b.len < XP_INDEX_MAX)
		o = cJSON_ParseWithLength(b.p, b.len);
	fclose(f);
	buf_free(&b);
	buf_free(&path);
	return o;
}

/* Whether rel exists under the site. */
static int
exists(struct render *r, const char *rel)
{
	struct buf	 p = { 0 };
	struct stat	 sb;
	int		 yes;

	buf_printf(&p, "%s/%s", r->out, rel);
	yes = !p.failed && stat(p.p, &sb) == 0 && S_ISREG(sb.st_mode);
	buf_free(&p);
	return yes;
}

/*
 * The day as the last run left it, when its signature is v and every
 * file it names is there: its index (the files count as unchanged), or
 * NULL: the day is written again.
 */
static cJSON *
kept_day(struct render *r, const char *day, const char *v)
{
	cJSON		*o = read_index(r, day);
	const cJSON	*nb = cJSON_GetObjectItem(o, "id_buckets");
	const cJSON	*nu = cJSON_GetObjectItem(o, "user_buckets");
	const cJSON	*ch = cJSON_GetObjectItem(o, "chunks");
	const char	*const fixed_names[] = { "index.json",
	    "requests.csv", "requests.ndjson" };
	char		 rel[128];
	long		 k, files = 0;
	size_t		 i;

	if (o == NULL || !cJSON_IsString(cJSON_GetObjectItem(o, "format")) ||
	    strcmp(cJSON_GetObjectItem(o, "format")->valuestring,
	    XP_FORMAT) != 0 || !cJSON_IsString(cJSON_GetObjectItem(o, "v")) ||
	    strcmp(cJSON_GetObjectItem(o, "v")->valuestring, v) != 0 ||
	    !cJSON_IsNumber(nb) || nb->valuedouble < 1 ||
	    nb->valuedouble > (1 << 30) || !cJSON_IsNumber(nu) ||
	    nu->valuedouble < 1 || nu->valuedouble > (1 << 30) ||
	    !cJSON_IsArray(ch))
		goto stale;
	/* Everything the manifest takes from it must be there. */
	if (!cJSON_IsNumber(cJSON_GetObjectItem(o, "requests")) ||
	    !cJSON_IsArray(cJSON_GetObjectItem(o, "sources")) ||
	    !cJSON_IsArray(cJSON_GetObjectItem(o, "models")))
		goto stale;
	for (k = 0; k < cJSON_GetArraySize(ch); k++, files++) {
		const cJSON *c = cJSON_GetArrayItem(ch, (int)k);
		if (!cJSON_IsNumber(cJSON_GetObjectItem(c, "n")) ||
		    !cJSON_IsNumber(cJSON_GetObjectItem(c, "bytes")) ||
		    !cJSON_IsString(cJSON_GetObjectItem(c, "h")) ||
		    day_file(rel, sizeof(rel), day, "", k) || !exists(r, rel))
			goto stale;
	}
	for (k = 0; k < (long)nb->valuedouble; k++, files++)
		if (day_file(rel, sizeof(rel), day, "ids-", k) ||
		    !exists(r, rel))
			goto stale;
	for (k = 0; k < (long)nu->valuedouble; k++, files++)
		if (day_file(rel, sizeof(rel), day, "users-", k) ||
		    !exists(r, rel))
			goto stale;
	for (i = 0; i < 3; i++, files++)
		if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/%s", day,
		    fixed_names[i]) || !exists(r, rel))
			goto stale;
	r->unchanged += files;
	return o;
stale:
	cJSON_Delete(o);
	return NULL;
}

/* ---- the window -------------------------------------------------------------- */

/* The window's days that have rows, with their indexes, newest first. */
struct window {
	char		 first[TS_DAY_LEN], today[TS_DAY_LEN];
	cJSON		*days;		/* day index objects */
};

static int
by_day(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Add day to r->xdays (the days with exports); 0 or -1. */
static int
add_xday(struct render *r, const char *day)
{
	if (grow(&r->xdays, &r->capxdays, r->nxdays + 1, sizeof(*r->xdays)))
		return -1;
	memcpy(r->xdays[r->nxdays++], day, TZ_DAY_LEN);
	return 0;
}

int
explorer_has_day(const struct render *r, const char *day)
{
	return r->nxdays > 0 && bsearch(day, r->xdays, r->nxdays,
	    sizeof(*r->xdays), by_day) != NULL;
}

/* The day's signature: its rows, the zone and the format, hashed. */
static void
signature(struct render *r, const struct db_rows_sig *s, char *v, size_t n)
{
	struct buf	 b = { 0 };

	buf_printf(&b, "%s|%s|%lld|%lld|%lld|%lld", XP_FORMAT,
	    r->conf->timezone, (long long)s->n, (long long)s->min_id,
	    (long long)s->max_id, (long long)s->sum_id);
	snprintf(v, n, "%016llx", b.failed ? 0ULL :
	    (unsigned long long)fnv1a64(b.p));
	buf_free(&b);
}

/* One day of the window: kept or written, its index added to w. */
static int
one_day(struct render *r, struct window *w, const char *day)
{
	struct db_rows_sig	 s;
	int64_t			 from, to;
	char			 v[20];
	cJSON			*idx;
	enum db_rc		 rc;

	if (tz_day_start(day, 0, &from) || tz_day_start(day, 1, &to)) {
		log_errx(XP_DIR "/%s: not a day", day);
		return -1;
	}
	/* Rows after --now did not exist yet at that moment. */
	if (to > r->now_ms + 1)
		to = r->now_ms + 1;
	if ((rc = db_rows_sig(r->db, from, to, &s)) != DB_OK) {
		log_errx(XP_DIR "/%s: %s: %s", day, r->conf->database,
		    db_errmsg(r->db));
		return -1;
	}
	if (s.n == 0)
		return 0;
	signature(r, &s, v, sizeof(v));
	if ((idx = kept_day(r, day, v)) == NULL &&
	    write_day(r, day, v, from, to, &idx) != 0)
		return -1;
	if (sweep_day(r, day, cJSON_GetArraySize(cJSON_GetObjectItem(idx,
	    "chunks")), (long)cJSON_GetNumberValue(cJSON_GetObjectItem(idx,
	    "id_buckets")), (long)cJSON_GetNumberValue(cJSON_GetObjectItem(idx,
	    "user_buckets")))) {
		cJSON_Delete(idx);
		return -1;
	}
	/* Newest first: each day is newer than those before it. */
	if (!cJSON_InsertItemInArray(w->days, 0, idx)) {
		cJSON_Delete(idx);
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	if (add_xday(r, day)) {
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	return 0;
}

/*
 * Remove the folders of days that are not in the window any more, and
 * temporary files of dead runs beside them.
 */
static int
sweep_days(struct render *r)
{
	struct buf	 dir = { 0 }, sub = { 0 };
	struct dirent	*e, *f;
	DIR		*d, *dd;
	char		 rel[512];
	int64_t		 n;
	int		 rc = 0;

	buf_printf(&dir, "%s/" XP_DIR, r->out);
	if (dir.failed || (d = opendir(dir.p)) == NULL) {
		buf_free(&dir);
		return 0;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (ts_parse_day(e->d_name, &n) != 0 && dead_tmp(dir.p,
		    e->d_name)) {
			if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s",
			    e->d_name) || out_remove(r, rel))
				rc = -1;
			continue;
		}
		if (ts_parse_day(e->d_name, &n) != 0 ||
		    explorer_has_day(r, e->d_name))
			continue;
		/* Every file in it goes, a killed run's temporary too. */
		sub.len = 0;
		buf_printf(&sub, "%s/%s", dir.p, e->d_name);
		if (sub.failed || (dd = opendir(sub.p)) == NULL)
			continue;
		while (rc == 0 && (f = readdir(dd)) != NULL)
			if (strcmp(f->d_name, ".") != 0 &&
			    strcmp(f->d_name, "..") != 0 &&
			    (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/%s",
			    e->d_name, f->d_name) || out_remove(r, rel)))
				rc = -1;
		closedir(dd);
		if (rc == 0 && (fixed_printf(rel, sizeof(rel), XP_DIR "/%s",
		    e->d_name) || out_remove(r, rel)))
			rc = -1;
	}
	closedir(d);
	if (rc != 0)
		log_errx("%s: a name does not fit, or out of memory", dir.p);
	buf_free(&dir);
	buf_free(&sub);
	return rc;
}

/* Add the strings of the array names to the object set (as keys). */
static int
names_of(cJSON *set, const cJSON *names)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, names)
		if (cJSON_IsString(it) && cJSON_GetObjectItemCaseSensitive(set,
		    it->valuestring) == NULL && cJSON_AddTrueToObject(set,
		    it->valuestring) == NULL)
			return -1;
	return 0;
}

static int
by_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of the object set, sorted, as an array; NULL when oom. */
static cJSON *
sorted_keys(const cJSON *set)
{
	const cJSON	 *it;
	const char	**v;
	cJSON		 *arr;
	size_t		  n = 0, i;

	if ((v = calloc((size_t)cJSON_GetArraySize(set) + 1,
	    sizeof(*v))) == NULL)
		return NULL;
	cJSON_ArrayForEach(it, set)
		v[n++] = it->string;
	qsort(v, n, sizeof(*v), by_str_ptr);
	arr = cJSON_CreateArray();
	for (i = 0; arr != NULL && i < n; i++)
		if (jtree_push_str(arr, v[i])) {
			cJSON_Delete(arr);
			arr = NULL;
		}
	free(v);
	return arr;
}

/* data/requests/index.json; 0, or -1 with a message. */
static int
manifest(struct render *r, struct window *w)
{
	cJSON		*o = cJSON_CreateObject(), *days, *d, *n, *b, *h;
	cJSON		*srcs = cJSON_CreateObject(), *mods = cJSON_CreateObject();
	cJSON		*names, *list;
	const cJSON	*idx, *c;
	char		*text = NULL;
	int		 rc = -1;

	if (o == NULL || srcs == NULL || mods == NULL ||
	    cJSON_AddStringToObject(o, "format", XP_FORMAT) == NULL ||
	    cJSON_AddNumberToObject(o, "explorer_days",
	    (double)r->conf->site.explorer_days) == NULL ||
	    cJSON_AddStringToObject(o, "timezone", r->conf->timezone) ==
	    NULL || cJSON_AddStringToObject(o, "first_day", w->first) == NULL ||
	    cJSON_AddStringToObject(o, "today", w->today) == NULL ||
	    (days = cJSON_AddArrayToObject(o, "days")) == NULL)
		goto oom;
	cJSON_ArrayForEach(idx, w->days) {
		if ((d = cJSON_CreateObject()) == NULL || jtree_push(days, d) ||
		    jtree_put(d, "day", cJSON_Duplicate(cJSON_GetObjectItem(idx,
		    "day"), 0)) || jtree_put(d, "v", cJSON_Duplicate(
		    cJSON_GetObjectItem(idx, "v"), 0)) || jtree_put(d,
		    "requests", cJSON_Duplicate(cJSON_GetObjectItem(idx,
		    "requests"), 0)) || jtree_put(d, "id_buckets",
		    cJSON_Duplicate(cJSON_GetObjectItem(idx, "id_buckets"), 0)) ||
		    jtree_put(d, "user_buckets", cJSON_Duplicate(
		    cJSON_GetObjectItem(idx, "user_buckets"), 0)) ||
		    (n = cJSON_AddArrayToObject(d, "chunks")) == NULL ||
		    (b = cJSON_AddArrayToObject(d, "bytes")) == NULL ||
		    (h = cJSON_AddArrayToObject(d, "hashes")) == NULL ||
		    names_of(srcs, cJSON_GetObjectItem(idx, "sources")) ||
		    names_of(mods, cJSON_GetObjectItem(idx, "models")))
			goto oom;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(idx, "chunks"))
			if (jtree_push(n, cJSON_Duplicate(cJSON_GetObjectItem(c,
			    "n"), 0)) || jtree_push(b, cJSON_Duplicate(
			    cJSON_GetObjectItem(c, "bytes"), 0)) ||
			    jtree_push(h, cJSON_Duplicate(cJSON_GetObjectItem(c,
			    "h"), 0)))
				goto oom;
	}
	if ((list = sorted_keys(srcs)) == NULL || jtree_put(o, "sources",
	    list) || (names = cJSON_AddObjectToObject(o, "source_names")) ==
	    NULL || jtree_put(o, "models", sorted_keys(mods)))
		goto oom;
	cJSON_ArrayForEach(c, list)
		if (cJSON_AddStringToObject(names, c->valuestring,
		    source_name(r, c->valuestring)) == NULL)
			goto oom;
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		goto oom;
	rc = out_write(r, XP_DIR "/index.json", text, strlen(text));
	goto out;
oom:
	log_errx(XP_DIR "/index.json: out of memory");
out:
	cJSON_free(text);
	cJSON_Delete(o);
	cJSON_Delete(srcs);
	cJSON_Delete(mods);
	return rc;
}

/* requests.html: the page, and for readers without JavaScript the
 * exports of each day. */
static int
page_run(struct render *r)
{
	struct tpl	*t, *row;
	char		 n[24], url[128];
	size_t		 i;
	int		 rc;

	if ((t = tpl_new()) == NULL) {
		log_errx("requests.html: out of memory");
		return -1;
	}
	snprintf(n, sizeof(n), "%ld", r->conf->site.explorer_days);
	tpl_msg(t, "META", r->msg, r->conf->site.explorer_days == 0 ?
	    "xp_meta_off" : "xp_meta", "days", n, "zone", r->conf->timezone,
	    NULL);
	if (r->conf->site.explorer_days == 0)
		tpl_show(t, "OFF");
	for (i = r->nxdays; i-- > 0;) {
		if ((row = tpl_section(t, "EXPORT")) == NULL)
			break;
		tpl_set(row, "DAY", r->xdays[i]);
		if (fixed_printf(url, sizeof(url), XP_DIR "/%s/", r->xdays[i]))
			tpl_set(row, NULL, NULL);	/* fails the page */
		tpl_set(row, "DIR", url);
	}
	rc = page(r, "requests.tpl", t, "requests.html");
	tpl_free(t);
	return rc;
}

int
explorer_run(struct render *r)
{
	struct window	 w;
	int64_t		 n, first, lo = -1, hi = -1;
	char		 day[TS_DAY_LEN];
	enum db_rc	 rc;
	int		 ret = -1;

	memset(&w, 0, sizeof(w));
	tz_day(r->now_ms, w.today);
	n = ts_day_num(w.today);
	first = n - (r->conf->site.explorer_days > 0 ?
	    r->conf->site.explorer_days - 1 : 0);
	ts_day_str(first, w.first);
	if ((w.days = cJSON_CreateArray()) == NULL) {
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	/* Days before the oldest raw row have nothing: start there. */
	if ((rc = db_raw_span(r->db, &lo, &hi)) != DB_OK) {
		log_errx(XP_DIR ": %s: %s", r->conf->database,
		    db_errmsg(r->db));
		goto out;
	}
	if (lo >= 0) {
		tz_day(lo, day);
		if (ts_day_num(day) > first)
			first = ts_day_num(day);
	}
	if (r->conf->site.explorer_days > 0 && lo >= 0)
		for (; first <= n; first++) {
			ts_day_str(first, day);
			if (one_day(r, &w, day) != 0)
				goto out;
		}
	if (sweep_days(r) != 0 || manifest(r, &w) != 0 || page_run(r))
		goto out;
	ret = 0;
out:
	cJSON_Delete(w.days);
	return ret;
}
