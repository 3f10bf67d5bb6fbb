/*
 * explore.c — the request explorer's data: the raw rows of each day of
 * site.explorer_days in chunks, an index of their ids, and the day's
 * exports (CSV, NDJSON); then requests.html, which reads them.
 *
 * Under data/requests/ (docs/api.md, "The request explorer"):
 *   index.json           the days of the window, newest first: each with
 *                        its signature, rows, the rows and bytes of each
 *                        chunk and its blocks of buckets
 *   DAY/index.json       the day: its sources, statuses and models, and
 *                        per chunk its rows, bytes, time span and rows by
 *                        each (source, status, model) that occurs in it
 *   DAY/N.json           chunk N (0 is the oldest) of the day's rows, oldest
 *                        first: at most XP_CHUNK_ROWS rows, about
 *                        XP_CHUNK_BYTES bytes, with the hash of its rows
 *   DAY/ids-B-K.json     the ids of the rows of block B (chunks B *
 *                        XP_BLOCK on) whose FNV-1a hash % its buckets is
 *                        K, each with its chunk
 *   DAY/users-B-K.json   the same for user ids, each with its rows per
 *                        chunk: a user's rows are found without a scan
 *   DAY/requests.csv     every row, its cells escaped as the reports' are
 *   DAY/requests.ndjson  every row as an ingest record (--import)
 *
 * A day grows without being written again: rows are only inserted, with
 * ever larger ids, so a run reads the rows that came since the last one
 * (ids past the last run's largest, and rows that were in the future
 * then) and writes again only the chunks from the first one a new row
 * falls in, the blocks of buckets of those chunks, and the exports from
 * there (what continues them is staged beside them and appended when
 * the run commits: a day's exports can be larger than memory).
 * The day's index.json records what it holds (the largest id and the
 * time it was written up to, the first row of each chunk, where each
 * chunk starts in the exports); a day whose first row is not the one
 * recorded lost rows (retention) and is written whole.  A day is also
 * written whole when the last run's marks cannot be trusted (another
 * zone, another format, --now earlier than the last run's, a database
 * with fewer rows): then its signature (the count, smallest, largest
 * and sum of the ids of its rows) tells whether it changed at all.
 * Files of days that left the window, and chunks a day no longer has,
 * are removed when the run commits.  One render runs at a time (the
 * lock in main.c): two would continue the same exports.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "render.h"
#include "ts.h"
#include "utf8.h"

/* Bump when any file's format changes: every day is then rewritten. */
#define XP_FORMAT	"apimon-explorer-2"
#define XP_DIR		"data/requests"
#define XP_CHUNK_ROWS	1000
#define XP_CHUNK_BYTES	(256 * 1024)	/* a page of 100 rows: < 1 MB */
#define XP_BUCKET_KEYS	1000		/* ids (rows) per bucket, about */
/*
 * Chunks whose ids one set of buckets holds: a run writes again at most
 * this many chunks' buckets (the last block's) besides its new rows'; a
 * lookup reads one bucket of each block.
 */
#define XP_BLOCK	128
#define XP_FLUSH	(1 << 20)	/* export bytes held before a write */
#define XP_INDEX_MAX	(64L << 20)	/* an index.json we read back */
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
	int64_t		 n, bytes;
	int64_t		 from_ms, from_id, to_ms;	/* first, last row */
	int64_t		 at[2];		/* where its rows start in the exports */
	char		 h[20];		/* hash of its rows, hex */
	struct cell	*cells;
	size_t		 ncells, capcells;
};

/* The buckets of XP_BLOCK chunks: their signature, and how many. */
struct block {
	char		 v[20];
	long		 ids, users;
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

/* One of a day's exports being written: new, or continued in place. */
struct xout {
	struct buf	 path;
	int		 fd;
	int64_t		 at;		/* bytes in the file before b */
	size_t		 wrote;		/* bytes this run wrote */
	int		 tail;		/* continues the published file */
	struct buf	 b;
};

/*
 * How a day is written: whole (old NULL), or continued from the index
 * old the last run wrote: its chunks before c0 and blocks before b0 stay,
 * the rows are read from (from_ms, from_id), those of chunks b0 *
 * XP_BLOCK to c0 only for their ids, and the exports are cut at at[] and
 * continued from the skip-th row of chunk c0 on.
 */
struct plan {
	int64_t		 day_from, day_to;	/* the day (to: clipped at now) */
	const cJSON	*old;
	const cJSON	**chv;		/* old's chunks, by number */
	size_t		 c0, b0;
	int64_t		 from_ms, from_id, skip;
	int64_t		 at[2];		/* where chunk c0 starts in the exports */
	int64_t		 cut[2];	/* where the exports are continued */
	int64_t		 expect;	/* rows the read finds */
	struct db_rows_sig s;		/* the day's rows after this run */
	int64_t		 upto, now_ms;	/* they are those with id <= upto,
					   ts_ms <= now_ms */
};

/* The day being written. */
struct xday {
	struct render	*r;
	char		 day[TZ_DAY_LEN];
	char		 v[20];		/* its signature, hex */
	const struct plan *p;
	struct buf	 rows;		/* the file of the chunk being filled */
	size_t		 head;		/* where its rows start */
	int		 filling;	/* ch[nch - 1] is being filled */
	struct buf	 row;		/* one row, scratch */
	struct chunk	*ch;
	size_t		 nch, capch;
	size_t		 pass;		/* the kept chunk whose ids are read */
	int64_t		 passed;	/* its rows read so far */
	int64_t		 skip;		/* rows not exported again */
	int64_t		 read;		/* rows read */
	struct block	*bl;
	size_t		 nbl, capbl;
	struct names	 names[3];	/* source, status, model */
	struct keys	 ids, users;	/* of the block being written */
	struct xout	 out[2];	/* requests.csv, requests.ndjson */
	const char	*bad;		/* why the walk stopped */
};

static const char *const export_names[2] = { "requests.csv",
    "requests.ndjson" };

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


/* ---- files -------------------------------------------------------------- */

/* The name of file k of the day: "DAY/K.json", "DAY/ids-B-K.json". */
static int
day_file(char *buf, size_t size, const char *day, const char *prefix,
    long b, long k)
{
	if (b < 0)
		return fixed_printf(buf, size, XP_DIR "/%s/%s%ld.json", day,
		    prefix, k);
	return fixed_printf(buf, size, XP_DIR "/%s/%s%ld-%ld.json", day,
	    prefix, b, k);
}

/*
 * Open export i of the day: a new file, or what continues the published
 * one from p->cut[i].  0, or -1 with a message.
 */
static int
xout_open(struct xday *x, int i)
{
	struct xout	*o = &x->out[i];
	char		 rel[128];

	o->fd = -1;
	if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/%s", x->day,
	    export_names[i])) {
		log_errx(XP_DIR "/%s: a file name does not fit", x->day);
		return -1;
	}
	buf_printf(&o->path, "%s/%s", x->r->out, rel);
	if (o->path.failed) {
		log_errx(XP_DIR "/%s: out of memory", x->day);
		return -1;
	}
	/* Continued: the new bytes wait beside it until the commit. */
	o->tail = x->p->old != NULL;
	o->at = o->tail ? x->p->cut[i] : 0;
	return (o->fd = out_open(x->r, rel, o->tail ? o->at : -1)) == -1 ?
	    -1 : 0;
}

static int
xout_flush(struct xout *o)
{
	if (o->b.failed) {
		log_errx("%s: out of memory", o->path.p);
		return -1;
	}
	if (o->b.len == 0)
		return 0;
	if (out_append(o->fd, o->path.p, o->b.p, o->b.len, !o->tail) != 0)
		return -1;
	o->at += (int64_t)o->b.len;
	o->wrote += o->b.len;
	o->b.len = 0;
	return 0;
}

static int
xout_close(struct xday *x, int i)
{
	struct xout	*o = &x->out[i];
	int		 fd = o->fd;

	if (xout_flush(o) != 0)
		return -1;
	o->fd = -1;
	return out_close(x->r, fd, o->path.p, o->wrote, !o->tail);
}

/* ---- chunks ------------------------------------------------------------- */

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
	x->filling = 0;
	buf_add(&x->rows, "", 0);
	snprintf(c->h, sizeof(c->h), "%016llx", x->rows.failed ? 0ULL :
	    (unsigned long long)fnv1a64(x->rows.p + x->head));
	buf_printf(&x->rows, "\n],\"h\":\"%s\"}\n", c->h);
	if (x->rows.failed) {
		log_errx(XP_DIR "/%s: out of memory", x->day);
		return -1;
	}
	if (day_file(rel, sizeof(rel), x->day, "", -1, (long)x->nch - 1)) {
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
	/* Then by hash: equal keys stay together with fewer strcmp(). */
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
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
			buf_add(f, ":", 1);
			export_int(f, v[j].chunk);
			j++;
			continue;
		}
		buf_add(f, ":[", 2);
		for (more = 0;; more = 1) {
			for (n = 1; j + n < ks->n && v[j + n].chunk ==
			    v[j].chunk && strcmp(v[j + n].key, v[j].key) == 0;)
				n++;
			buf_puts(f, more ? ",[" : "[");
			export_int(f, v[j].chunk);
			buf_add(f, ",", 1);
			export_int(f, (int64_t)n);
			buf_add(f, "]", 1);
			j += n;
			if (j >= ks->n || strcmp(v[j].key, v[j - 1].key) != 0)
				break;
		}
		buf_add(f, "]", 1);
	}
	*i = j;
}


/*
 * The buckets KIND-B-K.json of ks ("ids" or "users") for block b, each
 * with the block's signature v; the number of buckets, or -1 with a
 * message.
 */
static long
write_buckets(struct xday *x, struct keys *ks, const char *kind, size_t b,
    const char *v)
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
		    "\"v\":\"%s\",\"block\":%zu,\"bucket\":%u,\"%s\":{", x->day,
		    v, b, k, kind);
		bucket_keys(&f, ks, &i, nb, k, users);
		buf_puts(&f, "}}\n");
		if (f.failed) {
			log_errx(XP_DIR "/%s: out of memory", x->day);
			goto fail;
		}
		if (day_file(rel, sizeof(rel), x->day, prefix, (long)b,
		    (long)k)) {
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

/*
 * Write the buckets of block b, whose chunks are all written, from the
 * keys read for it; its signature is the hash of its chunks'.  0, or -1
 * with a message.
 */
static int
block_flush(struct xday *x, size_t b)
{
	struct block	 bl;
	struct buf	 s = { 0 };
	size_t		 k;

	buf_puts(&s, x->day);
	for (k = b * XP_BLOCK; k < x->nch && k < (b + 1) * XP_BLOCK; k++)
		buf_printf(&s, "|%s", x->ch[k].h);
	buf_add(&s, "", 0);
	if (s.failed || grow(&x->bl, &x->capbl, b + 1, sizeof(*x->bl))) {
		buf_free(&s);
		log_errx(XP_DIR "/%s: out of memory", x->day);
		return -1;
	}
	snprintf(bl.v, sizeof(bl.v), "%016llx",
	    (unsigned long long)fnv1a64(s.p));
	buf_free(&s);
	if ((bl.ids = write_buckets(x, &x->ids, "ids", b, bl.v)) < 0 ||
	    (bl.users = write_buckets(x, &x->users, "users", b, bl.v)) < 0)
		return -1;
	x->bl[b] = bl;
	x->nbl = b + 1;
	keys_free(&x->ids);
	keys_free(&x->users);
	memset(&x->ids, 0, sizeof(x->ids));
	memset(&x->users, 0, sizeof(x->users));
	return 0;
}

/*
 * Start a new chunk when none is being filled or the one being filled is
 * full, first writing the buckets of a block that it completes; 0 or -1.
 */
static int
chunk_room(struct xday *x, int64_t ts_ms, int64_t id)
{
	struct chunk	*c = x->filling ? &x->ch[x->nch - 1] : NULL;
	size_t		 k = x->nch;

	if (c != NULL && c->n < XP_CHUNK_ROWS &&
	    x->rows.len - x->head + x->row.len <= XP_CHUNK_BYTES)
		return 0;
	if ((c != NULL && chunk_flush(x) != 0) || (k % XP_BLOCK == 0 &&
	    k / XP_BLOCK > x->p->b0 && block_flush(x, k / XP_BLOCK - 1))) {
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
	c->from_id = id;
	/* Chunk c0 starts where the last run's did, whatever is skipped. */
	c->at[0] = k == x->p->c0 ? x->p->at[0] : x->out[0].at +
	    (int64_t)x->out[0].b.len;
	c->at[1] = k == x->p->c0 ? x->p->at[1] : x->out[1].at +
	    (int64_t)x->out[1].b.len;
	chunk_head(x, k);
	x->filling = 1;
	return 0;
}

static int
day_row(const struct rec *raw, int64_t id, void *arg)
{
	struct xday	*x = arg;
	struct chunk	*c;
	struct rec	 q;
	char		*fix[8];
	size_t		 k[3];
	int		 i, rc = 1;

	x->read++;
	if (clean(raw, &q, fix) != 0)
		goto oom;
	if (x->pass < x->p->c0) {
		/* A row of a kept chunk of the block: only its ids. */
		if (key_add(&x->ids, q.request_id, (long)x->pass) ||
		    (q.user_id != NULL && key_add(&x->users, q.user_id,
		    (long)x->pass)))
			goto oom;
		if (++x->passed >= x->ch[x->pass].n) {
			x->pass++;
			x->passed = 0;
		}
		rc = 0;
		goto out;
	}
	x->row.len = 0;
	chunk_row(&x->row, &q);
	if (chunk_room(x, q.ts_ms, id) != 0)
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
	if (x->skip > 0)
		x->skip--;	/* in the exports already */
	else {
		export_csv_row(&x->out[0].b, &q);
		export_ndjson_row(&x->out[1].b, &q);
		if ((x->out[0].b.len >= XP_FLUSH && xout_flush(&x->out[0])) ||
		    (x->out[1].b.len >= XP_FLUSH && xout_flush(&x->out[1]))) {
			x->bad = "";	/* said */
			goto out;
		}
	}
	if (x->rows.failed || x->row.failed || x->out[0].b.failed ||
	    x->out[1].b.failed)
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

/* ---- a day's index ---------------------------------------------------------- */

static const char *const chunk_keys[] = { "n", "bytes", "from_ms",
    "from_id", "to_ms", "csv_at", "nd_at", NULL };

/* The integer o.key (a JSON number), or -1 when it is not one >= 0. */
static int64_t
num(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -1;
	return (int64_t)v->valuedouble;
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The day's signature as its index.json keeps it: "n,min,max,sum". */
static int
sig_parse(const char *s, struct db_rows_sig *sig)
{
	long long	 v[4];
	int		 end = 0;

	if (s == NULL || sscanf(s, "%lld,%lld,%lld,%lld%n", &v[0], &v[1],
	    &v[2], &v[3], &end) != 4 || s[end] != '\0' || v[0] < 1)
		return -1;
	sig->n = v[0];
	sig->min_id = v[1];
	sig->max_id = v[2];
	sig->sum_id = v[3];
	return 0;
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
day_index(struct xday *x)
{
	cJSON		*o = cJSON_CreateObject(), *arr, *bls, *c;
	char		 sig[96];
	int64_t		 n = 0;
	size_t		 i;

	for (i = 0; i < x->nch; i++)
		n += x->ch[i].n;
	snprintf(sig, sizeof(sig), "%lld,%lld,%lld,%lld",
	    (long long)x->p->s.n, (long long)x->p->s.min_id,
	    (long long)x->p->s.max_id, (long long)x->p->s.sum_id);
	if (o == NULL || cJSON_AddStringToObject(o, "format", XP_FORMAT) ==
	    NULL || cJSON_AddStringToObject(o, "day", x->day) == NULL ||
	    cJSON_AddStringToObject(o, "v", x->v) == NULL ||
	    cJSON_AddStringToObject(o, "sig", sig) == NULL ||
	    cJSON_AddNumberToObject(o, "upto", (double)x->p->upto) == NULL ||
	    cJSON_AddNumberToObject(o, "now_ms", (double)x->p->now_ms) ==
	    NULL || cJSON_AddNumberToObject(o, "requests", (double)n) == NULL ||
	    cJSON_AddNumberToObject(o, "csv_bytes", (double)x->out[0].at) ==
	    NULL || cJSON_AddNumberToObject(o, "nd_bytes",
	    (double)x->out[1].at) == NULL ||
	    jtree_put(o, "sources", names_json(&x->names[0])) ||
	    jtree_put(o, "statuses", names_json(&x->names[1])) ||
	    jtree_put(o, "models", names_json(&x->names[2])) ||
	    (arr = cJSON_AddArrayToObject(o, "chunks")) == NULL ||
	    (bls = cJSON_AddArrayToObject(o, "blocks")) == NULL)
		goto fail;
	for (i = 0; i < x->nch; i++) {
		struct chunk *k = &x->ch[i];
		int64_t v[] = { k->n, k->bytes, k->from_ms, k->from_id,
		    k->to_ms, k->at[0], k->at[1] };
		size_t j;
		if ((c = cJSON_CreateObject()) == NULL || jtree_push(arr, c) ||
		    cJSON_AddStringToObject(c, "h", k->h) == NULL ||
		    jtree_put(c, "cells", cells_json(k)))
			goto fail;
		for (j = 0; chunk_keys[j] != NULL; j++)
			if (cJSON_AddNumberToObject(c, chunk_keys[j],
			    (double)v[j]) == NULL)
				goto fail;
	}
	for (i = 0; i < x->nbl; i++)
		if ((c = cJSON_CreateObject()) == NULL || jtree_push(bls, c) ||
		    cJSON_AddStringToObject(c, "v", x->bl[i].v) == NULL ||
		    cJSON_AddNumberToObject(c, "ids", (double)x->bl[i].ids) ==
		    NULL || cJSON_AddNumberToObject(c, "users",
		    (double)x->bl[i].users) == NULL)
			goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* Whether rel is a file under the site of size bytes (-1: any). */
static int
exists(struct render *r, const char *rel, int64_t size)
{
	struct buf	 p = { 0 };
	struct stat	 sb;
	int		 yes;

	buf_printf(&p, "%s/%s", r->out, rel);
	yes = !p.failed && stat(p.p, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (size < 0 || (int64_t)sb.st_size == size);
	buf_free(&p);
	return yes;
}

/*
 * Whether o is an index.json of day in this format whose every field is
 * there and whose every file is there as it says; *files gets their
 * number.  A run that died while it continued the exports left them
 * longer than the index says: the day is then not kept as it is.
 */
static int
index_ok(struct render *r, const cJSON *o, const char *day, long *files)
{
	const cJSON	*ch = cJSON_GetObjectItem(o, "chunks");
	const cJSON	*bl = cJSON_GetObjectItem(o, "blocks");
	const cJSON	*c, *cell, *e;
	const char	*names[] = { "sources", "statuses", "models" };
	struct db_rows_sig sig;
	char		 rel[128];
	int64_t		 rows, prev[3] = { 0, 0, 0 };
	long		 k, nch, nbl, b, nn[3];
	int		 i;

	*files = 0;
	if (o == NULL || str(o, "format") == NULL || strcmp(str(o, "format"),
	    XP_FORMAT) != 0 || str(o, "day") == NULL || strcmp(str(o, "day"),
	    day) != 0 || str(o, "v") == NULL ||
	    sig_parse(str(o, "sig"), &sig) || num(o, "upto") < 0 ||
	    num(o, "now_ms") < 0 || num(o, "requests") != sig.n ||
	    !cJSON_IsArray(ch) || !cJSON_IsArray(bl) ||
	    (nch = cJSON_GetArraySize(ch)) < 1 ||
	    (nbl = cJSON_GetArraySize(bl)) != (nch + XP_BLOCK - 1) / XP_BLOCK)
		return 0;
	for (i = 0; i < 3; i++) {
		const cJSON *a = cJSON_GetObjectItem(o, names[i]);
		if (!cJSON_IsArray(a))
			return 0;
		cJSON_ArrayForEach(e, a)
			if (!cJSON_IsString(e))
				return 0;
		nn[i] = cJSON_GetArraySize(a);
	}
	for (k = 0, rows = 0, c = ch->child; c != NULL; k++, c = c->next) {
		for (i = 0; chunk_keys[i] != NULL; i++)
			if (num(c, chunk_keys[i]) < 0)
				return 0;
		/*
		 * A run continues from these: rows in order, the exports'
		 * offsets inside them (a cut past the end would leave zeros).
		 */
		if (num(c, "n") < 1 || num(c, "from_ms") > num(c, "to_ms") ||
		    num(c, "from_ms") < prev[0] || num(c, "csv_at") <
		    prev[1] || num(c, "nd_at") < prev[2] || num(c, "csv_at") >
		    num(o, "csv_bytes") || num(c, "nd_at") > num(o, "nd_bytes"))
			return 0;
		prev[0] = num(c, "to_ms");
		prev[1] = num(c, "csv_at");
		prev[2] = num(c, "nd_at");
		rows += num(c, "n");
		if (str(c, "h") == NULL || strlen(str(c, "h")) != 16 ||
		    !cJSON_IsArray(cJSON_GetObjectItem(c, "cells")))
			return 0;
		cJSON_ArrayForEach(cell, cJSON_GetObjectItem(c, "cells")) {
			if (!cJSON_IsArray(cell) || cJSON_GetArraySize(cell) != 4)
				return 0;
			for (i = 0; i < 4; i++) {
				e = cJSON_GetArrayItem(cell, i);
				if (!cJSON_IsNumber(e) || e->valuedouble < 0 ||
				    (i < 3 && e->valuedouble >= nn[i]))
					return 0;
			}
		}
		if (day_file(rel, sizeof(rel), day, "", -1, k) ||
		    !exists(r, rel, num(c, "bytes")))
			return 0;
	}
	if (rows != sig.n)
		return 0;
	for (b = 0, c = bl->child; c != NULL; b++, c = c->next) {
		if (str(c, "v") == NULL || num(c, "ids") < 1 ||
		    num(c, "ids") > (1 << 30) || num(c, "users") < 1 ||
		    num(c, "users") > (1 << 30))
			return 0;
		for (k = 0; k < num(c, "ids"); k++, (*files)++)
			if (day_file(rel, sizeof(rel), day, "ids-", b, k) ||
			    !exists(r, rel, -1))
				return 0;
		for (k = 0; k < num(c, "users"); k++, (*files)++)
			if (day_file(rel, sizeof(rel), day, "users-", b, k) ||
			    !exists(r, rel, -1))
				return 0;
	}
	for (i = 0; i < 2; i++)
		if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/%s", day,
		    export_names[i]) || !exists(r, rel, num(o, i == 0 ?
		    "csv_bytes" : "nd_bytes")))
			return 0;
	*files += nch + 3;
	return 1;
}

/*
 * Take the kept part of the index the plan continues into x: every name,
 * the chunks before c0, the blocks before b0.  0, or -1 (out of memory).
 */
static int
load_kept(struct xday *x)
{
	const cJSON	*o = x->p->old, *c, *cell;
	const char	*names[] = { "sources", "statuses", "models" };
	const cJSON	*e;
	struct chunk	*k;
	size_t		 i, j, got;
	int		 m;

	for (m = 0; m < 3; m++)
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, names[m]))
			if (name_of(&x->names[m], e->valuestring, &got))
				return -1;
	if (grow(&x->ch, &x->capch, x->p->c0 + 1, sizeof(*x->ch)) ||
	    grow(&x->bl, &x->capbl, x->p->b0 + 1, sizeof(*x->bl)))
		return -1;
	for (i = 0; i < x->p->c0; i++) {
		c = x->p->chv[i];
		k = &x->ch[x->nch++];
		memset(k, 0, sizeof(*k));
		k->n = num(c, "n");
		k->bytes = num(c, "bytes");
		k->from_ms = num(c, "from_ms");
		k->from_id = num(c, "from_id");
		k->to_ms = num(c, "to_ms");
		k->at[0] = num(c, "csv_at");
		k->at[1] = num(c, "nd_at");
		snprintf(k->h, sizeof(k->h), "%s", str(c, "h"));
		cJSON_ArrayForEach(cell, cJSON_GetObjectItem(c, "cells")) {
			if (grow(&k->cells, &k->capcells, k->ncells + 1,
			    sizeof(*k->cells)))
				return -1;
			for (j = 0; j < 3; j++)
				k->cells[k->ncells].k[j] = (size_t)
				    cJSON_GetArrayItem(cell, (int)j)->valuedouble;
			k->cells[k->ncells++].n = (int64_t)
			    cJSON_GetArrayItem(cell, 3)->valuedouble;
		}
	}
	c = cJSON_GetObjectItem(o, "blocks")->child;
	for (i = 0; i < x->p->b0; i++, c = c->next) {
		snprintf(x->bl[i].v, sizeof(x->bl[i].v), "%s", str(c, "v"));
		x->bl[i].ids = (long)num(c, "ids");
		x->bl[i].users = (long)num(c, "users");
		x->nbl++;
	}
	return 0;
}

static void
xday_free(struct xday *x)
{
	size_t	 i;

	for (i = 0; i < x->nch; i++)
		free(x->ch[i].cells);
	free(x->ch);
	free(x->bl);
	for (i = 0; i < 3; i++)
		names_free(&x->names[i]);
	keys_free(&x->ids);
	keys_free(&x->users);
	buf_free(&x->rows);
	buf_free(&x->row);
	for (i = 0; i < 2; i++) {
		if (x->out[i].fd != -1)
			close(x->out[i].fd);
		buf_free(&x->out[i].path);
		buf_free(&x->out[i].b);
	}
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

/*
 * Write the day as plan p says; *index gets its index object.  0; 1 when
 * the rows read were not the rows planned (they changed since the plan:
 * write the day whole); or -1 with a message.
 */
static int
write_day(struct render *r, const char *day, const struct plan *p,
    cJSON **index)
{
	struct xday	 x;
	char		 rel[128];
	char		*text = NULL;
	enum db_rc	 rc;
	int		 ret = -1;

	*index = NULL;
	memset(&x, 0, sizeof(x));
	x.r = r;
	x.p = p;
	x.out[0].fd = x.out[1].fd = -1;
	memcpy(x.day, day, TZ_DAY_LEN);
	signature(r, &p->s, x.v, sizeof(x.v));
	x.pass = p->b0 * XP_BLOCK;
	x.skip = p->skip;
	if (p->old != NULL && load_kept(&x) != 0) {
		log_errx(XP_DIR "/%s: out of memory", day);
		goto out;
	}
	if (xout_open(&x, 0) != 0 || xout_open(&x, 1) != 0)
		goto out;
	if (p->old == NULL)
		buf_puts(&x.out[0].b, export_csv_header);
	buf_add(&x.out[1].b, "", 0);
	if ((rc = db_requests_each(r->db, p->from_ms, p->from_id, p->day_to,
	    p->upto, day_row, &x)) != DB_OK) {
		if (rc != DB_ABORT || x.bad == NULL)
			log_errx(XP_DIR "/%s: %s: %s", day, r->conf->database,
			    db_errmsg(r->db));
		else if (x.bad[0] != '\0')
			log_errx(XP_DIR "/%s: %s", day, x.bad);
		goto out;
	}
	if (x.read != p->expect || x.pass < p->c0 || x.nch <= p->c0) {
		ret = 1;
		goto out;
	}
	if ((x.filling && chunk_flush(&x) != 0) ||
	    block_flush(&x, (x.nch - 1) / XP_BLOCK) != 0 ||
	    xout_close(&x, 0) != 0 || xout_close(&x, 1) != 0)
		goto out;
	if ((*index = day_index(&x)) == NULL ||
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

/* The JSON file rel under the site as the last run wrote it, or NULL. */
static cJSON *
read_json(struct render *r, const char *rel)
{
	struct buf	 path = { 0 }, b = { 0 };
	char		 chunk[65536];
	size_t		 k;
	FILE		*f;
	cJSON		*o = NULL;

	buf_printf(&path, "%s/%s", r->out, rel);
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

/* B and K of "PREFIXB-K.json" (digits only); 0, or -1. */
static int
numbered2(const char *name, const char *prefix, long *b, long *k)
{
	size_t	 p = strlen(prefix), d, e;

	if (strncmp(name, prefix, p) != 0)
		return -1;
	name += p;
	d = strspn(name, "0123456789");
	if (d == 0 || d > 9 || name[d] != '-')
		return -1;
	e = strspn(name + d + 1, "0123456789");
	if (e == 0 || e > 9 || strcmp(name + d + 1 + e, ".json") != 0)
		return -1;
	*b = strtol(name, NULL, 10);
	*k = strtol(name + d + 1, NULL, 10);
	return 0;
}

/* What a day's folder holds, by number: its chunks, its blocks' buckets. */
struct holds {
	long	 nch, nbl;
	long	*ids, *users;
};

/* Whether file name of the day's folder is one the day has. */
static int
day_has(const struct holds *h, const char *name)
{
	long		 b, k;

	if (numbered2(name, "ids-", &b, &k) == 0)
		return b < h->nbl && k < h->ids[b];
	if (numbered2(name, "users-", &b, &k) == 0)
		return b < h->nbl && k < h->users[b];
	/* Buckets of an older format (ids-K.json) go. */
	if (strncmp(name, "ids-", 4) == 0 || strncmp(name, "users-", 6) == 0)
		return 0;
	if ((k = numbered(name, "")) >= 0)
		return k < h->nch;
	return 1;
}

/*
 * The files of the day's folder that the day (index idx) no longer has
 * (chunks and buckets past its counts), and temporary files of dead runs.
 */
static int
sweep_day(struct render *r, const char *day, const cJSON *idx)
{
	struct buf	 dir = { 0 };
	struct holds	 h;
	struct dirent	*e;
	const cJSON	*c;
	DIR		*d;
	char		 rel[512];
	int		 rc = 0, keep;

	h.nch = cJSON_GetArraySize(cJSON_GetObjectItem(idx, "chunks"));
	h.nbl = cJSON_GetArraySize(cJSON_GetObjectItem(idx, "blocks"));
	h.ids = calloc((size_t)h.nbl + 1, sizeof(*h.ids));
	h.users = calloc((size_t)h.nbl + 1, sizeof(*h.users));
	if (h.ids == NULL || h.users == NULL) {
		log_errx(XP_DIR "/%s: out of memory", day);
		rc = -1;
		goto out;
	}
	h.nbl = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(idx, "blocks")) {
		h.ids[h.nbl] = (long)num(c, "ids");
		h.users[h.nbl++] = (long)num(c, "users");
	}
	buf_printf(&dir, "%s/" XP_DIR "/%s", r->out, day);
	if (dir.failed || (d = opendir(dir.p)) == NULL)
		goto out;	/* a new folder: nothing to sweep */
	while (rc == 0 && (e = readdir(d)) != NULL) {
		/*
		 * A temporary file belongs to a run under way, unless it is
		 * old; the other files are the day's or go.
		 */
		if (strstr(e->d_name, ".tmp.") != NULL)
			keep = !dead_tmp(dir.p, e->d_name);
		else
			keep = day_has(&h, e->d_name);
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
out:
	free(h.ids);
	free(h.users);
	buf_free(&dir);
	return rc;
}

/* ---- the window -------------------------------------------------------------- */

/* A day of the window and what the last run left of it. */
struct wday {
	char		 day[TS_DAY_LEN];
	int64_t		 from, to;	/* its rows' times (to: at now) */
	cJSON		*old;		/* its index.json, when whole */
	const cJSON	**chv;		/* old's chunks, by number */
	size_t		 nch;
	long		 files;		/* old's files */
	int		 cont;		/* old may be continued */
	int64_t		 upto, now_ms;	/* old's rows: id <= upto, ts <= now */
	struct db_rows_sig fresh;	/* rows since: how many, their ids */
	int64_t		 fresh_ms, fresh_id;	/* the first of them */
};

/* The window's days, oldest first, and what this run adds. */
struct window {
	char		 first[TS_DAY_LEN], today[TS_DAY_LEN];
	struct wday	*d;
	size_t		 nd;
	int64_t		 upto;		/* the largest id of this run */
	cJSON		*days;		/* day index objects, newest first */
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


/*
 * A row that may be new to its day (fn of db_row_ids_each): counted for
 * its day when the day's files do not hold it.
 */
static int
fresh_row(int64_t id, int64_t ts_ms, void *arg)
{
	struct window	*w = arg;
	struct wday	*d;
	size_t		 lo = 0, hi = w->nd, mid;

	if (w->nd == 0)
		return 0;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (w->d[mid].from <= ts_ms)
			lo = mid;
		else
			hi = mid;
	}
	d = &w->d[lo];
	if (ts_ms < d->from || ts_ms >= d->to || !d->cont ||
	    (id <= d->upto && ts_ms <= d->now_ms))
		return 0;
	if (d->fresh.n == 0 || ts_ms < d->fresh_ms || (ts_ms ==
	    d->fresh_ms && id < d->fresh_id)) {
		d->fresh_ms = ts_ms;
		d->fresh_id = id;
	}
	if (d->fresh.n == 0 || id < d->fresh.min_id)
		d->fresh.min_id = id;
	if (id > d->fresh.max_id)
		d->fresh.max_id = id;
	d->fresh.n++;
	d->fresh.sum_id += id;
	return 0;
}

/*
 * The plan that continues the day's files with its fresh rows: from the
 * first chunk the first of them falls in, or the last chunk.
 */
static void
plan_more(const struct wday *d, struct plan *p)
{
	const cJSON	**ch = d->chv, *c;
	size_t		 nch = d->nch, k;
	int		 tail;

	p->old = d->old;
	p->chv = d->chv;
	p->c0 = nch - 1;
	for (k = 0; k < nch; k++)
		if (num(ch[k], "to_ms") > d->fresh_ms) {
			p->c0 = k;
			break;
		}
	/* New rows only after the last one: the exports grow at the end. */
	tail = num(ch[nch - 1], "to_ms") <= d->fresh_ms;
	p->b0 = p->c0 / XP_BLOCK;
	c = ch[p->b0 * XP_BLOCK];
	p->from_ms = num(c, "from_ms");
	p->from_id = num(c, "from_id");
	if (d->fresh_ms < p->from_ms || (d->fresh_ms == p->from_ms &&
	    d->fresh_id < p->from_id)) {
		p->from_ms = d->fresh_ms;
		p->from_id = d->fresh_id;
	}
	c = ch[p->c0];
	p->at[0] = num(c, "csv_at");
	p->at[1] = num(c, "nd_at");
	p->skip = tail ? num(c, "n") : 0;
	p->cut[0] = tail ? num(d->old, "csv_bytes") : p->at[0];
	p->cut[1] = tail ? num(d->old, "nd_bytes") : p->at[1];
	p->expect = d->fresh.n;
	for (k = p->b0 * XP_BLOCK; k < nch; k++)
		p->expect += num(ch[k], "n");
	sig_parse(str(d->old, "sig"), &p->s);
	p->s.n += d->fresh.n;
	p->s.sum_id += d->fresh.sum_id;
	if (d->fresh.min_id < p->s.min_id)
		p->s.min_id = d->fresh.min_id;
	if (d->fresh.max_id > p->s.max_id)
		p->s.max_id = d->fresh.max_id;
}

/* The plan that writes the day whole, with the rows of sig s. */
static void
plan_whole(const struct db_rows_sig *s, struct plan *p)
{
	p->old = NULL;
	p->c0 = p->b0 = 0;
	p->from_ms = p->day_from;
	p->from_id = 0;
	p->skip = 0;
	p->at[0] = (int64_t)strlen(export_csv_header);
	p->at[1] = p->cut[0] = p->cut[1] = 0;
	p->expect = s->n;
	p->s = *s;
}

/* Set o's upto and now_ms; -1 when out of memory. */
static int
marks(cJSON *o, int64_t upto, int64_t now)
{
	cJSON	*u = cJSON_CreateNumber((double)upto);
	cJSON	*n = cJSON_CreateNumber((double)now);

	if (u == NULL || !cJSON_ReplaceItemInObject(o, "upto", u)) {
		cJSON_Delete(u);
		cJSON_Delete(n);
		return -1;
	}
	if (n == NULL || !cJSON_ReplaceItemInObject(o, "now_ms", n)) {
		cJSON_Delete(n);
		return -1;
	}
	return 0;
}

/* Set the marks of index o to this run's (a day kept by its signature). */
static int
remark(struct render *r, cJSON *o, const struct plan *p)
{
	char	 rel[128];
	char	*text;
	int	 rc;

	if (num(o, "upto") == p->upto && num(o, "now_ms") == p->now_ms)
		return 0;
	if (marks(o, p->upto, p->now_ms) ||
	    (text = cJSON_PrintUnformatted(o)) == NULL) {
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	rc = fixed_printf(rel, sizeof(rel), XP_DIR "/%s/index.json",
	    str(o, "day")) || out_write(r, rel, text, strlen(text));
	cJSON_free(text);
	return rc ? -1 : 0;
}

/*
 * One day of the window: kept, continued or written whole, its index
 * added to w.  0, or -1 with a message.
 */
static int
one_day(struct render *r, struct window *w, struct wday *d)
{
	struct db_rows_sig	 s;
	struct plan		 p;
	int64_t			 ts, id;
	char			 v[20];
	cJSON			*idx = NULL;
	enum db_rc		 rc;
	int			 k;

	memset(&p, 0, sizeof(p));
	p.day_from = d->from;
	p.day_to = d->to;
	p.upto = w->upto;
	p.now_ms = r->now_ms;
	if (d->cont) {
		/* Retention deletes a day's rows oldest first. */
		const cJSON *c0 = d->chv[0];
		if ((rc = db_first_row(r->db, d->from, d->now_ms + 1 < d->to ?
		    d->now_ms + 1 : d->to, d->upto, &ts, &id)) != DB_OK)
			goto dberr;
		if (ts != num(c0, "from_ms") || id != num(c0, "from_id"))
			d->cont = 0;
	}
	if (d->cont && d->fresh.n == 0) {
		r->unchanged += d->files;
		idx = d->old;
		d->old = NULL;
		goto publish;
	}
	if (d->cont) {
		plan_more(d, &p);
		if ((k = write_day(r, d->day, &p, &idx)) < 0)
			return -1;
		if (k == 0)
			goto publish;
	}
	/* Whole, unless its rows are those of the index it has. */
	if ((rc = db_rows_sig(r->db, d->from, d->to, w->upto, &s)) != DB_OK)
		goto dberr;
	if (s.n == 0)
		return 0;
	signature(r, &s, v, sizeof(v));
	plan_whole(&s, &p);
	if (d->old != NULL && strcmp(str(d->old, "v"), v) == 0) {
		if (remark(r, d->old, &p) != 0)
			return -1;
		r->unchanged += d->files;
		idx = d->old;
		d->old = NULL;
		goto publish;
	}
	if ((k = write_day(r, d->day, &p, &idx)) != 0) {
		if (k > 0)
			log_errx(XP_DIR "/%s: its rows changed while they were "
			    "read; run again", d->day);
		return -1;
	}
publish:
	if (sweep_day(r, d->day, idx)) {
		cJSON_Delete(idx);
		return -1;
	}
	/* Newest first: each day is newer than those before it. */
	if (!cJSON_InsertItemInArray(w->days, 0, idx)) {
		cJSON_Delete(idx);
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	if (add_xday(r, d->day)) {
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	return 0;
dberr:
	log_errx(XP_DIR "/%s: %s: %s", d->day, r->conf->database,
	    db_errmsg(r->db));
	return -1;
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
	cJSON		*names, *list, *old = NULL;
	const cJSON	*idx, *c;
	const char	*copy[] = { "day", "v", "requests", "blocks", NULL };
	char		*text = NULL;
	int64_t		 now;
	int		 rc = -1, i;

	if (o == NULL || srcs == NULL || mods == NULL ||
	    cJSON_AddStringToObject(o, "format", XP_FORMAT) == NULL ||
	    cJSON_AddNumberToObject(o, "explorer_days",
	    (double)r->conf->site.explorer_days) == NULL ||
	    cJSON_AddStringToObject(o, "timezone", r->conf->timezone) ==
	    NULL || cJSON_AddStringToObject(o, "first_day", w->first) == NULL ||
	    cJSON_AddStringToObject(o, "today", w->today) == NULL ||
	    cJSON_AddNumberToObject(o, "block_chunks", XP_BLOCK) == NULL ||
	    cJSON_AddNumberToObject(o, "upto", (double)w->upto) == NULL ||
	    cJSON_AddNumberToObject(o, "now_ms", (double)r->now_ms) == NULL ||
	    (days = cJSON_AddArrayToObject(o, "days")) == NULL)
		goto oom;
	cJSON_ArrayForEach(idx, w->days) {
		if ((d = cJSON_CreateObject()) == NULL || jtree_push(days, d))
			goto oom;
		for (i = 0; copy[i] != NULL; i++)
			if (jtree_put(d, copy[i], cJSON_Duplicate(
			    cJSON_GetObjectItem(idx, copy[i]), 1)))
				goto oom;
		if ((n = cJSON_AddArrayToObject(d, "chunks")) == NULL ||
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
	/*
	 * A run that found no new row keeps the last run's now_ms, so that it
	 * writes no file: an older now_ms only widens the next run's search
	 * by time, where no row is (each day's own marks say which rows its
	 * files hold).  upto always moves: rows outside the window (a
	 * backfill of old days) would otherwise be searched again every run.
	 */
	if ((old = read_json(r, XP_DIR "/index.json")) != NULL &&
	    num(old, "upto") == w->upto && (now = num(old, "now_ms")) >= 0 &&
	    now <= r->now_ms) {
		if (marks(o, w->upto, now))
			goto oom;
		if (!cJSON_Compare(o, old, 1) && marks(o, w->upto, r->now_ms))
			goto oom;
	}
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		goto oom;
	rc = out_write(r, XP_DIR "/index.json", text, strlen(text));
	goto out;
oom:
	log_errx(XP_DIR "/index.json: out of memory");
out:
	cJSON_free(text);
	cJSON_Delete(old);
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


/*
 * The days of the window with what the last run left of them, and the
 * rows that came since: those past the last run's largest id, and those
 * that were still in the future at its now.  0, or -1 with a message.
 */
static int
window_load(struct render *r, struct window *w, int64_t first, int64_t n)
{
	cJSON		*m = read_json(r, XP_DIR "/index.json");
	const cJSON	*c;
	struct wday	*d;
	size_t		 k;
	char		 rel[128];
	int64_t		 upto = num(m, "upto"), now = num(m, "now_ms");
	int		 mark, any = 0;
	enum db_rc	 rc = DB_OK;

	/* The last run's marks hold for the same zone and format only. */
	mark = str(m, "format") != NULL && strcmp(str(m, "format"),
	    XP_FORMAT) == 0 && str(m, "timezone") != NULL &&
	    strcmp(str(m, "timezone"), r->conf->timezone) == 0 &&
	    upto >= 0 && upto <= w->upto && now >= 0 && now <= r->now_ms;
	cJSON_Delete(m);
	if (n >= first && (w->d = calloc((size_t)(n - first + 1),
	    sizeof(*w->d))) == NULL) {
		log_errx(XP_DIR ": out of memory");
		return -1;
	}
	for (; first <= n; first++) {
		d = &w->d[w->nd++];
		ts_day_str(first, d->day);
		if (tz_day_start(d->day, 0, &d->from) ||
		    tz_day_start(d->day, 1, &d->to)) {
			log_errx(XP_DIR "/%s: not a day", d->day);
			return -1;
		}
		/* Rows after --now did not exist yet at that moment. */
		if (d->to > r->now_ms + 1)
			d->to = r->now_ms + 1;
		if (fixed_printf(rel, sizeof(rel), XP_DIR "/%s/index.json",
		    d->day) || (d->old = read_json(r, rel)) == NULL)
			continue;
		if (!index_ok(r, d->old, d->day, &d->files)) {
			cJSON_Delete(d->old);
			d->old = NULL;
			continue;
		}
		d->nch = (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(d->old,
		    "chunks"));
		if ((d->chv = calloc(d->nch, sizeof(*d->chv))) == NULL) {
			log_errx(XP_DIR ": out of memory");
			return -1;
		}
		k = 0;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(d->old, "chunks"))
			d->chv[k++] = c;
		d->upto = num(d->old, "upto");
		d->now_ms = num(d->old, "now_ms");
		d->cont = mark && d->upto <= w->upto && d->now_ms <= r->now_ms;
		any |= d->cont;
	}
	if (any)
		rc = db_row_ids_each(r->db, 1, upto, w->upto, w->d[0].from,
		    w->d[w->nd - 1].to, fresh_row, w);
	if (any && rc == DB_OK && now + 1 < w->d[w->nd - 1].to)
		rc = db_row_ids_each(r->db, 0, 0, upto, now + 1 > w->d[0].from ?
		    now + 1 : w->d[0].from, w->d[w->nd - 1].to, fresh_row, w);
	if (rc != DB_OK) {
		log_errx(XP_DIR ": %s: %s", r->conf->database,
		    db_errmsg(r->db));
		return -1;
	}
	return 0;
}

int
explorer_run(struct render *r)
{
	struct window	 w;
	int64_t		 n, first, lo = -1, hi = -1;
	char		 day[TS_DAY_LEN];
	enum db_rc	 rc;
	size_t		 i;
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
	/*
	 * Days before the oldest raw row have nothing: start there.  Rows
	 * with a larger id than this come after the run started: the next
	 * run has them.
	 */
	if ((rc = db_max_rowid(r->db, &w.upto)) != DB_OK ||
	    (rc = db_raw_span(r->db, &lo, &hi)) != DB_OK) {
		log_errx(XP_DIR ": %s: %s", r->conf->database,
		    db_errmsg(r->db));
		goto out;
	}
	if (lo >= 0) {
		tz_day(lo, day);
		if (ts_day_num(day) > first)
			first = ts_day_num(day);
	}
	if (r->conf->site.explorer_days > 0 && lo >= 0) {
		if (window_load(r, &w, first, n) != 0)
			goto out;
		for (i = 0; i < w.nd; i++)
			if (one_day(r, &w, &w.d[i]) != 0)
				goto out;
	}
	if (sweep_days(r) != 0 || manifest(r, &w) != 0 || page_run(r))
		goto out;
	ret = 0;
out:
	for (i = 0; i < w.nd; i++) {
		cJSON_Delete(w.d[i].old);
		free(w.d[i].chv);
	}
	free(w.d);
	cJSON_Delete(w.days);
	return ret;
}
