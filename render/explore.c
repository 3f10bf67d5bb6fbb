/*
 * explore.c — the request explorer's data: the raw rows of each day of
 * site.explorer_days in chunks, an index of their ids, and the day's
 * exports (CSV, NDJSON); then requests.html, which reads them.
 *
 * Under data/requests/ (docs/api.md, "The request explorer"):
 *   index.json           the days of the window, newest first: each with
 *                        its signature, rows, the rows and bytes of each
 *                        chunk and its number of id buckets
 *   DAY/index.json       the day: per chunk its rows, bytes, time span and
 *                        counts by source, status and model
 *   DAY/N.json           chunk N (0 is the oldest) of the day's rows, oldest
 *                        first: at most XP_CHUNK_ROWS rows, about
 *                        XP_CHUNK_BYTES bytes
 *   DAY/ids-K.json       the ids whose FNV-1a hash % buckets is K, each
 *                        with its chunk: a lookup reads one bucket a day
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
#define XP_BUCKET_IDS	1000		/* ids per bucket, about */
#define XP_INDEX_MAX	(64L << 20)	/* a day's index.json we read back */

/* The columns of a chunk's rows, in order (explorer.js reads them). */
static const char *const columns[] = { "request_id", "ts_ms", "source",
    "user_id", "command", "model", "provider", "status", "latency_us",
    "ttft_us", "input_tokens", "output_tokens", "tokens", "cost_nusd",
    "cost_source", "error", "metadata", "received_ms", NULL };

/* The CSV export's header (explorer.js writes the same). */
static const char csv_header[] = "request_id,time,source,user_id,command,"
    "model,provider,status,latency_s,ttft_s,input_tokens,output_tokens,"
    "tokens,cost_usd,cost_source,error,metadata,received\r\n";

/* Rows by one name (a source, status or model) in a chunk. */
struct facet {
	char	*name;
	int64_t	 n;
};

struct facets {
	struct facet	*f;
	size_t		 n, cap;
};

struct chunk {
	int64_t		 n, bytes, from_ms, to_ms;
	struct facets	 by[3];		/* source, status, model */
};

/* A request id and the chunk it is in. */
struct idref {
	char		*id;
	uint32_t	 hash;
	long		 chunk;
};

/* The day being written. */
struct xday {
	struct render	*r;
	char		 day[TZ_DAY_LEN];
	char		 v[20];		/* its signature, hex */
	struct buf	 rows;		/* the rows of the chunk being filled */
	struct buf	 row;		/* one row, scratch */
	struct chunk	*ch;
	size_t		 nch, capch;
	struct idref	*ids;
	size_t		 nids, capids;
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

/* v with scale decimals: 1234567, 6 -> "1.234567"; exact, no float. */
static void
fixed(struct buf *b, int64_t v, int scale)
{
	int64_t	 p = 1;
	int	 i;

	for (i = 0; i < scale; i++)
		p *= 10;
	if (v < 0) {
		buf_add(b, "-", 1);
		v = -v;
	}
	buf_printf(b, "%lld.%0*lld", (long long)(v / p), scale,
	    (long long)(v % p));
}

/* ---- chunks ------------------------------------------------------------- */

/* Count one row of name in fs; 0, or -1 when out of memory. */
static int
facet_add(struct facets *fs, const char *name)
{
	size_t	 i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].name, name) == 0) {
			fs->f[i].n++;
			return 0;
		}
	if (grow(&fs->f, &fs->cap, fs->n + 1, sizeof(*fs->f)) ||
	    (fs->f[fs->n].name = strdup(name)) == NULL)
		return -1;
	fs->f[fs->n++].n = 1;
	return 0;
}

static void
facets_free(struct facets *fs)
{
	size_t	 i;

	for (i = 0; i < fs->n; i++)
		free(fs->f[i].name);
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

static int
by_facet(const void *a, const void *b)
{
	return strcmp(((const struct facet *)a)->name,
	    ((const struct facet *)b)->name);
}

/* {"name": n, ...} by name; NULL when out of memory. */
static cJSON *
facets_json(struct facets *fs)
{
	cJSON	*o = cJSON_CreateObject();
	size_t	 i;

	if (fs->n > 0)
		qsort(fs->f, fs->n, sizeof(*fs->f), by_facet);
	for (i = 0; o != NULL && i < fs->n; i++)
		if (cJSON_AddNumberToObject(o, fs->f[i].name,
		    (double)fs->f[i].n) == NULL) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

/* The name of file k of the day: "DAY/K.json", "DAY/ids-K.json". */
static int
day_file(char *buf, size_t size, const char *day, const char *prefix,
    long k)
{
	return fixed_printf(buf, size, XP_DIR "/%s/%s%ld.json", day, prefix,
	    k);
}

/* Publish the chunk being filled; 0, or -1 with a message. */
static int
chunk_flush(struct xday *x)
{
	struct chunk	*c = &x->ch[x->nch - 1];
	struct buf	 f = { 0 };
	char		 rel[128];
	size_t		 i;
	int		 rc = -1;

	buf_printf(&f, "{\"format\":\"" XP_FORMAT "\",\"day\":\"%s\","
	    "\"v\":\"%s\",\"chunk\":%zu,\"columns\":[", x->day, x->v,
	    x->nch - 1);
	for (i = 0; columns[i] != NULL; i++)
		buf_printf(&f, "%s\"%s\"", i ? "," : "", columns[i]);
	buf_puts(&f, "],\"rows\":[\n");
	buf_add(&f, x->rows.p, x->rows.len);
	buf_puts(&f, "\n]}\n");
	if (f.failed)
		log_errx(XP_DIR "/%s: out of memory", x->day);
	else if (day_file(rel, sizeof(rel), x->day, "", (long)x->nch - 1))
		log_errx(XP_DIR "/%s: a file name does not fit", x->day);
	else if (out_write(x->r, rel, f.p, f.len) == 0) {
		c->bytes = (int64_t)f.len;
		x->rows.len = 0;
		rc = 0;
	}
	buf_free(&f);
	return rc;
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
		buf_printf(b, "%lld", (long long)v);
}

/* The row as a JSON array in the order of columns[]. */
static void
chunk_row(struct buf *b, const struct rec *q)
{
	buf_add(b, "[", 1);
	jstr(b, q->request_id);
	buf_printf(b, ",%lld,", (long long)q->ts_ms);
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
	buf_printf(b, ",%lld,", (long long)q->latency_us);
	jopt(b, q->ttft_us);
	buf_add(b, ",", 1);
	jopt(b, q->input_tokens);
	buf_add(b, ",", 1);
	jopt(b, q->output_tokens);
	buf_printf(b, ",%lld,%lld,\"%s\",", (long long)q->tokens,
	    (long long)q->cost_nusd, rec_cost_source_name(q->cost_source));
	jstr(b, q->error);
	buf_add(b, ",", 1);
	jstr(b, q->metadata);
	buf_printf(b, ",%lld]", (long long)q->received_ms);
}

/* ---- exports -------------------------------------------------------------- */

/* A CSV cell; an absent value is an empty cell. */
static void
cstr(struct buf *b, const char *s, int last)
{
	if (s != NULL)
		esc_csv(b, s);
	buf_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

static void
copt(struct buf *b, int64_t v, int scale)
{
	if (v >= 0 && scale > 0)
		fixed(b, v, scale);
	else if (v >= 0)
		buf_printf(b, "%lld", (long long)v);
	buf_add(b, ",", 1);
}

static void
csv_row(struct buf *b, const struct rec *q)
{
	char	 t[TS_RFC3339_LEN];

	cstr(b, q->request_id, 0);
	ts_format_rfc3339(q->ts_ms, t);
	cstr(b, t, 0);
	cstr(b, q->source, 0);
	cstr(b, q->user_id, 0);
	cstr(b, q->command, 0);
	cstr(b, q->model, 0);
	cstr(b, q->provider, 0);
	cstr(b, q->status, 0);
	copt(b, q->latency_us, 6);
	copt(b, q->ttft_us, 6);
	copt(b, q->input_tokens, 0);
	copt(b, q->output_tokens, 0);
	copt(b, q->tokens, 0);
	copt(b, q->cost_nusd, 9);
	cstr(b, rec_cost_source_name(q->cost_source), 0);
	cstr(b, q->error, 0);
	cstr(b, q->metadata, 0);
	ts_format_rfc3339(q->received_ms, t);
	cstr(b, t, 1);
}

/* ,"key":"value" unless s is NULL. */
static void
nd_str(struct buf *b, const char *key, const char *s)
{
	if (s == NULL)
		return;
	buf_printf(b, ",\"%s\":", key);
	esc_json_str(b, s);
}

static void
nd_num(struct buf *b, const char *key, int64_t v, int scale)
{
	if (v < 0)
		return;
	buf_printf(b, ",\"%s\":", key);
	if (scale > 0)
		fixed(b, v, scale);
	else
		buf_printf(b, "%lld", (long long)v);
}

/*
 * The row as the record that stores it again (docs/api.md): a cost only
 * when one was reported; a priced one is priced again from the tokens.
 */
static void
nd_row(struct buf *b, const struct rec *q)
{
	char	 t[TS_RFC3339_LEN];
	size_t	 n;

	buf_puts(b, "{\"request_id\":");
	esc_json_str(b, q->request_id);
	ts_format_rfc3339(q->ts_ms, t);
	nd_str(b, "timestamp", t);
	nd_str(b, "source", q->source);
	nd_str(b, "status", q->status);
	nd_num(b, "execution_time", q->latency_us, 6);
	nd_str(b, "user_id", q->user_id);
	nd_str(b, "command", q->command);
	nd_str(b, "model", q->model);
	nd_str(b, "provider", q->provider);
	nd_num(b, "tokens_used", q->tokens, 0);
	nd_num(b, "input_tokens", q->input_tokens, 0);
	nd_num(b, "output_tokens", q->output_tokens, 0);
	nd_num(b, "time_to_first_token", q->ttft_us, 6);
	if (q->cost_source == REC_COST_REPORTED)
		nd_num(b, "cost", q->cost_nusd, 9);
	nd_str(b, "error", q->error);
	/*
	 * Stored metadata is JSON text that ingest wrote; anything else (a
	 * hand-edited row) goes as a string, which --import then refuses
	 * by name rather than a line that is not JSON.
	 */
	if (q->metadata != NULL) {
		struct json_err	 e;
		n = strlen(q->metadata);
		if (n > 0 && q->metadata[0] == '{' &&
		    json_check(q->metadata, n, &n, &e) == 0)
			buf_printf(b, ",\"metadata\":%s", q->metadata);
		else
			nd_str(b, "metadata", q->metadata);
	}
	buf_puts(b, "}\n");
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
	for (i = 0; i < 8; i++) {
		fix[i] = NULL;
		if (*f[i] == NULL || utf8_len(*f[i], strlen(*f[i])) >= 0)
			continue;
		if ((fix[i] = utf8_repair(*f[i])) == NULL)
			return -1;
		*f[i] = fix[i];
	}
	/* A status is one of four words; anything else shows as it is. */
	if (out->status != NULL && utf8_len(out->status,
	    strlen(out->status)) < 0)
		out->status = "\xef\xbf\xbd";
	return 0;
}

static int
day_row(const struct rec *raw, void *arg)
{
	struct xday	*x = arg;
	struct chunk	*c;
	struct rec	 q;
	char		*fix[8];
	int		 i, rc = 1;

	if (clean(raw, &q, fix) != 0)
		goto oom;
	x->row.len = 0;
	chunk_row(&x->row, &q);
	if (x->nch > 0) {
		c = &x->ch[x->nch - 1];
		if ((c->n >= XP_CHUNK_ROWS || x->rows.len + x->row.len >
		    XP_CHUNK_BYTES) && chunk_flush(x) != 0) {
			x->bad = "";	/* said */
			goto out;
		}
	}
	if (x->nch == 0 || x->rows.len == 0) {
		if (grow(&x->ch, &x->capch, x->nch + 1, sizeof(*x->ch)))
			goto oom;
		memset(&x->ch[x->nch++], 0, sizeof(*x->ch));
		x->ch[x->nch - 1].from_ms = q.ts_ms;
	}
	c = &x->ch[x->nch - 1];
	if (c->n > 0)
		buf_add(&x->rows, ",\n", 2);
	buf_add(&x->rows, x->row.p, x->row.len);
	c->n++;
	c->to_ms = q.ts_ms;
	if (facet_add(&c->by[0], q.source) || facet_add(&c->by[1],
	    q.status) || facet_add(&c->by[2], q.model ? q.model : "") ||
	    grow(&x->ids, &x->capids, x->nids + 1, sizeof(*x->ids)) ||
	    (x->ids[x->nids].id = strdup(q.request_id)) == NULL)
		goto oom;
	x->ids[x->nids].hash = fnv1a32(q.request_id);
	x->ids[x->nids++].chunk = (long)x->nch - 1;
	csv_row(&x->csv, &q);
	nd_row(&x->nd, &q);
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

/* Ids by bucket, then by id. */
static uint32_t	 nbuckets_sort;

static int
by_bucket(const void *a, const void *b)
{
	const struct idref	*x = a, *y = b;
	uint32_t		 i = x->hash % nbuckets_sort;
	uint32_t		 j = y->hash % nbuckets_sort;

	return i != j ? (i < j ? -1 : 1) : strcmp(x->id, y->id);
}

/* Every id bucket of the day; the number of buckets, or -1. */
static long
write_buckets(struct xday *x)
{
	struct buf	 f = { 0 };
	char		 rel[128];
	uint32_t	 nb = 1, k;
	size_t		 i = 0;

	while (nb < x->nids / XP_BUCKET_IDS + 1 && nb < (1u << 30))
		nb <<= 1;
	nbuckets_sort = nb;
	if (x->nids > 0)
		qsort(x->ids, x->nids, sizeof(*x->ids), by_bucket);
	for (k = 0; k < nb; k++) {
		f.len = 0;
		buf_printf(&f, "{\"format\":\"" XP_FORMAT "\",\"day\":\"%s\","
		    "\"v\":\"%s\",\"bucket\":%u,\"ids\":{", x->day, x->v, k);
		for (; i < x->nids && x->ids[i].hash % nb == k; i++) {
			esc_json_str(&f, x->ids[i].id);
			buf_printf(&f, ":%ld%s", x->ids[i].chunk, i + 1 <
			    x->nids && x->ids[i + 1].hash % nb == k ? ",\n" :
			    "");
		}
		buf_puts(&f, "}}\n");
		if (f.failed) {
			log_errx(XP_DIR "/%s: out of memory", x->day);
			goto fail;
		}
		if (day_file(rel, sizeof(rel), x->day, "ids-", (long)k)) {
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

/* The day's index.json as an object; NULL when out of memory. */
static cJSON *
day_index(struct xday *x, int64_t n, long nb)
{
	cJSON	*o = cJSON_CreateObject(), *arr, *c;
	size_t	 i;

	if (o == NULL || cJSON_AddStringToObject(o, "format", XP_FORMAT) ==
	    NULL || cJSON_AddStringToObject(o, "day", x->day) == NULL ||
	    cJSON_AddStringToObject(o, "v", x->v) == NULL ||
	    cJSON_AddNumberToObject(o, "requests", (double)n) == NULL ||
	    cJSON_AddNumberToObject(o, "id_buckets", (double)nb) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "chunks")) == NULL)
		goto fail;
	for (i = 0; i < x->nch; i++) {
		struct chunk *k = &x->ch[i];
		if ((c = cJSON_CreateObject()) == NULL || jtree_push(arr, c) ||
		    cJSON_AddNumberToObject(c, "n", (double)k->n) == NULL ||
		    cJSON_AddNumberToObject(c, "bytes", (double)k->bytes) ==
		    NULL || cJSON_AddNumberToObject(c, "from_ms",
		    (double)k->from_ms) == NULL || cJSON_AddNumberToObject(c,
		    "to_ms", (double)k->to_ms) == NULL ||
		    jtree_put(c, "sources", facets_json(&k->by[0])) ||
		    jtree_put(c, "statuses", facets_json(&k->by[1])) ||
		    jtree_put(c, "models", facets_json(&k->by[2])))
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
	int	 k;

	for (i = 0; i < x->nch; i++)
		for (k = 0; k < 3; k++)
			facets_free(&x->ch[i].by[k]);
	free(x->ch);
	for (i = 0; i < x->nids; i++)
		free(x->ids[i].id);
	free(x->ids);
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

/* The folder's files that this run does not write again. */
static int
sweep_day(struct render *r, const char *day, size_t nch, long nb)
{
	struct buf	 dir = { 0 };
	struct dirent	*e;
	DIR		*d;
	char		 rel[128];
	long		 k;
	int		 rc = 0;

	buf_printf(&dir, "%s/" XP_DIR "/%s", r->out, day);
	if (dir.failed || (d = opendir(dir.p)) == NULL) {
		buf_free(&dir);
		return 0;	/* a new folder: nothing to sweep */
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		/* N.json and ids-K.json are ours; a temporary file is not. */
		if ((k = numbered(e->d_name, "ids-")) >= 0) {
			if (k < nb)
				continue;
		} else if ((k = numbered(e->d_name, "")) >= 0) {
			if ((size_t)k < nch)
				continue;
		} else
			continue;
		if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/%s", day,
		    e->d_name) || out_remove(r, rel))
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
	long		 nb;
	enum db_rc	 rc;
	int		 ret = -1;

	memset(&x, 0, sizeof(x));
	x.r = r;
	memcpy(x.day, day, TZ_DAY_LEN);
	snprintf(x.v, sizeof(x.v), "%s", v);
	buf_puts(&x.csv, csv_header);
	if ((rc = db_requests_each(r->db, from, to, day_row, &x)) != DB_OK) {
		if (rc != DB_ABORT || x.bad == NULL)
			log_errx(XP_DIR "/%s: %s: %s", day, r->conf->database,
			    db_errmsg(r->db));
		else if (x.bad[0] != '\0')
			log_errx(XP_DIR "/%s: %s", day, x.bad);
		goto out;
	}
	if ((x.nch > 0 && x.rows.len > 0 && chunk_flush(&x) != 0) ||
	    (nb = write_buckets(&x)) < 0)
		goto out;
	if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/requests.csv", day) ||
	    out_write(r, rel, x.csv.p, x.csv.len) ||
	    fixed_printf(rel, sizeof(rel), XP_DIR "/%s/requests.ndjson",
	    day) || out_write(r, rel, x.nd.p ? x.nd.p : "", x.nd.len))
		goto out;
	if ((*index = day_index(&x, (int64_t)x.nids, nb)) == NULL ||
	    (text = cJSON_PrintUnformatted(*index)) == NULL) {
		log_errx(XP_DIR "/%s: out of memory", day);
		goto out;
	}
	if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/index.json", day) ||
	    out_write(r, rel, text, strlen(text)) ||
	    sweep_day(r, day, x.nch, nb))
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
	    nb->valuedouble > (1 << 30) || !cJSON_IsArray(ch))
		goto stale;
	for (k = 0; k < cJSON_GetArraySize(ch); k++, files++)
		if (day_file(rel, sizeof(rel), day, "", k) ||
		    !exists(r, rel))
			goto stale;
	for (k = 0; k < (long)nb->valuedouble; k++, files++)
		if (day_file(rel, sizeof(rel), day, "ids-", k) ||
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

/* Remove the folders of days that are not in the window any more. */
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
	buf_free(&dir);
	buf_free(&sub);
	if (rc != 0)
		log_errx(XP_DIR ": out of memory");
	return rc;
}

/* Add the names of a facet object to the sorted set arr (strings). */
static int
names_of(cJSON *set, const cJSON *facets)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, facets)
		if (cJSON_GetObjectItemCaseSensitive(set, it->string) == NULL &&
		    cJSON_AddTrueToObject(set, it->string) == NULL)
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
	cJSON		*o = cJSON_CreateObject(), *days, *d, *n, *b;
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
		    (n = cJSON_AddArrayToObject(d, "chunks")) == NULL ||
		    (b = cJSON_AddArrayToObject(d, "bytes")) == NULL)
			goto oom;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(idx, "chunks"))
			if (jtree_push(n, cJSON_Duplicate(cJSON_GetObjectItem(c,
			    "n"), 0)) || jtree_push(b, cJSON_Duplicate(
			    cJSON_GetObjectItem(c, "bytes"), 0)) ||
			    names_of(srcs, cJSON_GetObjectItem(c, "sources")) ||
			    names_of(mods, cJSON_GetObjectItem(c, "models")))
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
