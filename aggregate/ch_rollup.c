/* ch_rollup.c — the rollups computed in ClickHouse, written into SQLite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "buf.h"
#include "ch.h"
#include "hist.h"
#include "log.h"
#include "render.h"	/* RECENT_ROWS: the dashboard's recent rows */
#include "tz.h"

/*
 * Which rows are new.  ClickHouse writes each insert as a part named
 * PARTITION_MINBLOCK_MAXBLOCK_LEVEL; a MergeTree numbers the blocks as
 * their parts are committed, and a merge keeps the highest.  So a node's
 * rows that arrived since the last run are those of parts whose highest
 * block is above the highest that partition had then (a merge of old and
 * new parts brings some old rows along, which changes nothing).  The
 * marks are kept in meta once the run's alerts are judged, as the
 * watermark is without ClickHouse: a run that fails does it all again.
 * A partition whose row count moved without a new block (a merge that
 * dropped copies; a part committed out of block order, which only a
 * ReplicatedMergeTree can do) is taken as new all over.
 */

#define DAY_MS		86400000LL
#define SLOT_MS		900000LL	/* touched days are found by quarter hour */
#define LAT_BUCKETS	"countIf(latency_us <= 1000000), countIf(latency_us >" \
	" 1000000 AND latency_us <= 2000000), countIf(latency_us > 2000000 AND" \
	" latency_us <= 3000000), countIf(latency_us > 3000000 AND latency_us" \
	" <= 5000000), countIf(latency_us > 5000000)"
#define ROW_COLUMNS	"request_id, ts_ms, source, user_id, command, model," \
	" provider, status, latency_us, ttft_us, input_tokens, output_tokens," \
	" tokens, cost_nusd, cost_source, error, metadata, received_ms"
#define ROW_FIELDS	18

struct part {
	int64_t	 id;		/* UTC day number */
	int64_t	 block, rows;	/* now */
	int64_t	 seen_block;	/* at the last run; -1: take it all */
	int64_t	 seen_rows;
};

/* One part of a partition: its blocks and rows. */
struct piece {
	int64_t	 id, min, max, rows;
};

struct node {
	struct ch	*h;
	const char	*url;
	struct part	*p;		/* its partitions */
	size_t		 np, cap;
	struct piece	*pc;		/* their parts */
	size_t		 npc, cappc;
	int		 replicated;	/* a Replicated*MergeTree */
};

struct ch_run {
	struct ch	*q;		/* url: the queries over every shard */
	struct node	*n;
	size_t		 nn;
	char		 table[80];	/* db.requests */
	char		 local[80];	/* db.requests_local */
	struct buf	 with;		/* WITH [bucket bounds] AS lb */
	struct buf	 users;		/* budgeted users, as SQL strings */
	struct buf	 users_json;	/* and as a JSON array */
	int64_t		 window_ms;	/* the mirror holds rows from here */
	int64_t		 users_from_ms;	/* and budgeted users' from here */
	int64_t		 purged_ms;
	int		 first;		/* no marks: the first run */
	struct agg	*a;
	enum db_rc	 rc;		/* why a write failed */
	int		 bad;		/* a reply made no sense */
	char		 badrow[200];	/* its row, to quote */
};

static int
ch_fail(struct agg *a, struct ch *h)
{
	log_errx("clickhouse: %s; nothing was published", ch_error(h));
	db_rollback(a->db);
	return -1;
}

static int
db_fail(struct agg *a, const char *what)
{
	log_errx("%s: %s: %s", a->conf->database, what, db_errmsg(a->db));
	db_rollback(a->db);
	return -1;
}

static int
oom(struct agg *a)
{
	log_errx("out of memory");
	db_rollback(a->db);
	return -1;
}

/* A whole decimal integer, or -1. */
static int
num(const char *s, int64_t *v)
{
	char	*end;

	if (s == NULL || *s == '\0')
		return -1;
	*v = strtoll(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* Keep the start of a row that made no sense, to quote; returns 1. */
static int
bad_row(struct ch_run *r, char **f, size_t nf)
{
	size_t	 i, n = 0;

	r->bad = 1;
	r->badrow[0] = '\0';
	for (i = 0; i < nf && n + 1 < sizeof(r->badrow); i++)
		n += (size_t)snprintf(r->badrow + n, sizeof(r->badrow) - n,
		    "%s%s", i ? " " : "", f[i] ? f[i] : "\\N");
	return 1;
}

/* ---- the bounds of the histogram's buckets ----------------------------- */

/* The smallest whole microsecond in bucket k or above (k >= 1). */
static int64_t
lowest(int k)
{
	int64_t	 lo = 2, hi = 1LL << 42, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (hist_index(mid) >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * ClickHouse's log() need not round as the C library's does, so its
 * bucket guess j is checked against the exact bounds lb (from
 * hist_index() itself) and moved by one where it missed.
 */
#define BUCKET	"toUInt16(multiIf(latency_us <= 1, 0, (toInt32(least(639," \
	" greatest(1, ceil(log(toFloat64(latency_us)) / log(1.02 / 0.98)))))" \
	" AS j) - (latency_us < lb[j]) + (latency_us >= lb[j + 1])))"

static void
bounds(struct buf *b)
{
	int	 k;

	buf_puts(b, "WITH [");
	for (k = 1; k < HIST_BUCKETS; k++)
		buf_printf(b, "%lld,", (long long)lowest(k));
	buf_puts(b, "9223372036854775807] AS lb ");
}

/* ---- parts and marks --------------------------------------------------- */

static int
take_piece(char **f, void *arg)
{
	struct node	*n = arg;
	struct piece	*pc;
	struct part	*p;
	size_t		 k;

	if (grow(&n->pc, &n->cappc, n->npc + 1, sizeof(*n->pc)))
		return 1;
	pc = &n->pc[n->npc];
	if (num(f[0], &pc->id) || num(f[1], &pc->min) || num(f[2], &pc->max) ||
	    num(f[3], &pc->rows) || f[4] == NULL)
		return 1;
	n->npc++;
	n->replicated |= strncmp(f[4], "Replicated", 10) == 0;
	/* Parts come grouped by partition: it is this one or a new one. */
	k = n->np;
	if (k == 0 || n->p[k - 1].id != pc->id) {
		if (grow(&n->p, &n->cap, k + 1, sizeof(*n->p)))
			return 1;
		p = &n->p[n->np++];
		memset(p, 0, sizeof(*p));
		p->id = pc->id;
		p->seen_block = p->seen_rows = -1;
	} else
		p = &n->p[k - 1];
	if (pc->max > p->block)
		p->block = pc->max;
	p->rows += pc->rows;
	return 0;
}

/* Every node's parts now; -1 (said) when a node does not answer. */
static int
load_parts(struct agg *a, struct ch_run *r)
{
	const struct conf_clickhouse	*c = &a->conf->clickhouse;
	struct buf			 q = { 0 };
	size_t				 i;
	enum ch_rc			 rc;

	buf_puts(&q, "SELECT partition_id, min_block_number, max_block_number,"
	    " rows, engine FROM system.parts WHERE active AND database = ");
	ch_sql_str(&q, c->database);
	buf_puts(&q, " AND table = ");
	ch_sql_str(&q, CH_LOCAL(c));
	buf_puts(&q, " ORDER BY partition_id");
	if (q.failed)
		return oom(a);
	for (i = 0; i < r->nn; i++) {
		r->n[i].np = r->n[i].npc = 0;
		if ((rc = ch_query(r->n[i].h, q.p, NULL, 5, take_piece,
		    &r->n[i])) != CH_OK) {
			buf_free(&q);
			if (rc == CH_ABORT) {
				log_errx("clickhouse: %s: %s has partitions "
				    "apimon does not make; nothing was "
				    "published", r->n[i].url, r->local);
				return -1;
			}
			return ch_fail(a, r->n[i].h);
		}
	}
	buf_free(&q);
	return 0;
}

int
ch_read_whole(int replicated, int64_t seen_block, int64_t seen_rows,
    int64_t block, int64_t rows, int64_t rows_above)
{
	if (seen_block < 0 || seen_rows < 0)
		return 1;		/* never seen */
	/*
	 * A MergeTree numbers blocks as they commit: what is new is above
	 * seen_block.  The rows can only have changed without a new block
	 * by a merge that dropped copies: read it all again.
	 */
	if (!replicated)
		return block == seen_block && rows != seen_rows;
	/*
	 * A ReplicatedMergeTree numbers them before they commit, so a part
	 * can turn up below seen_block.  Unless the parts wholly above it
	 * account for every new row, read it all again (merges that mixed
	 * old and new parts cost that too).
	 */
	return rows != seen_rows + rows_above;
}

/* "ch_mark block|rows PARTITION NODE" into its part's seen_*. */
static int
take_mark(const char *key, int64_t v, void *arg)
{
	struct ch_run	*r = arg;
	char		 kind[8];
	long long	 id;
	int		 off = 0;
	size_t		 i, k;

	r->first = 0;
	if (sscanf(key, "ch_mark %7s %lld %n", kind, &id, &off) != 2 ||
	    off == 0)
		return 0;	/* not one of ours: ignored */
	for (i = 0; i < r->nn; i++) {
		if (strcmp(r->n[i].url, key + off) != 0)
			continue;
		for (k = 0; k < r->n[i].np; k++)
			if (r->n[i].p[k].id == id) {
				if (strcmp(kind, "block") == 0)
					r->n[i].p[k].seen_block = v;
				else if (strcmp(kind, "rows") == 0)
					r->n[i].p[k].seen_rows = v;
			}
	}
	return 0;
}

static int
load_marks(struct agg *a, struct ch_run *r)
{
	struct part	*p;
	int64_t		 above;
	size_t		 i, j, k;

	r->first = 1;
	if (db_ch_marks_each(a->db, take_mark, r) != DB_OK)
		return db_fail(a, "reading marks");
	for (i = 0; i < r->nn; i++)
		for (k = 0; k < r->n[i].np; k++) {
			p = &r->n[i].p[k];
			above = 0;
			for (j = 0; j < r->n[i].npc; j++)
				if (r->n[i].pc[j].id == p->id &&
				    r->n[i].pc[j].min > p->seen_block)
					above += r->n[i].pc[j].rows;
			if (ch_read_whole(r->n[i].replicated, p->seen_block,
			    p->seen_rows, p->block, p->rows, above))
				p->seen_block = -1;
		}
	return 0;
}

/*
 * The condition of node n's rows that are new since the last run (all
 * with rebuild) in partitions that end after from_ms, into b; 0 when
 * there are none (b is then empty).
 */
static int
new_rows(const struct node *n, int rebuild, int64_t from_ms, struct buf *b)
{
	const struct part	*p;
	size_t			 k;
	int			 any = 0;

	b->len = 0;
	for (k = 0; k < n->np; k++) {
		p = &n->p[k];
		if ((p->id + 1) * DAY_MS <= from_ms ||
		    (!rebuild && p->block == p->seen_block))
			continue;
		buf_printf(b, "%s(ts_ms >= %lld AND ts_ms < %lld", any ?
		    " OR " : "", (long long)(p->id * DAY_MS),
		    (long long)((p->id + 1) * DAY_MS));
		if (!rebuild && p->seen_block >= 0)
			buf_printf(b, " AND toInt64(splitByChar('_', _part)[3])"
			    " > %lld", (long long)p->seen_block);
		buf_puts(b, ")");
		any = 1;
	}
	return any;
}

/* ---- touched days ------------------------------------------------------ */

static int
add_day(struct agg *a, int64_t ms)
{
	char	 day[TZ_DAY_LEN];
	int64_t	 start;

	tz_day(ms, day);
	/* Retention dropped part of this day: its rollups stay as they are. */
	if (tz_day_start(day, 0, &start) || start < a->ch->purged_ms)
		return 0;
	if (a->ndays > 0 && strcmp(a->days[a->ndays - 1], day) == 0)
		return 0;
	if (grow(&a->days, &a->capdays, a->ndays + 1, sizeof(*a->days)) ||
	    (a->days[a->ndays] = strdup(day)) == NULL)
		return -1;
	a->ndays++;
	return 0;
}

static int
take_slot(char **f, void *arg)
{
	struct ch_run	*r = arg;
	int64_t		 lo, hi, n;

	if (num(f[0], &lo) || num(f[1], &hi) || num(f[2], &n))
		return bad_row(r, f, 3);
	r->a->n.rows += (long)n;
	/* A quarter hour holds rows of one local day, or of two at most. */
	return add_day(r->a, lo) || add_day(r->a, hi);
}

static int
by_day(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
touched_days(struct agg *a, struct ch_run *r, int rebuild)
{
	struct buf	 q = { 0 }, w = { 0 };
	size_t		 i, k, j;
	enum ch_rc	 rc;

	for (i = 0; i < r->nn; i++) {
		if (!new_rows(&r->n[i], rebuild, 0, &w))
			continue;
		q.len = 0;
		buf_printf(&q, "SELECT min(ts_ms), max(ts_ms), count() FROM %s"
		    " WHERE %s GROUP BY intDiv(ts_ms, %lld)", r->local, w.p,
		    (long long)SLOT_MS);
		if (q.failed || w.failed) {
			buf_free(&q);
			buf_free(&w);
			return oom(a);
		}
		if ((rc = ch_query(r->n[i].h, q.p, NULL, 3, take_slot, r)) !=
		    CH_OK) {
			buf_free(&q);
			buf_free(&w);
			if (rc == CH_ABORT && !r->bad)
				return oom(a);
			if (rc == CH_ABORT)
				log_errx("clickhouse: %s: unexpected reply: %s",
				    r->n[i].url, r->badrow);
			return rc == CH_ABORT ? -1 : ch_fail(a, r->n[i].h);
		}
	}
	buf_free(&q);
	buf_free(&w);
	if (a->ndays == 0)
		return 0;
	qsort(a->days, a->ndays, sizeof(*a->days), by_day);
	for (i = k = 1; i < a->ndays; i++) {
		if (strcmp(a->days[i], a->days[k - 1]) == 0) {
			free(a->days[i]);
			continue;
		}
		a->days[k++] = a->days[i];
	}
	for (j = k; j < a->ndays; j++)
		a->days[j] = NULL;
	a->ndays = k;
	return 0;
}

/* ---- one day's rollups ------------------------------------------------- */

struct day {
	struct ch_run	*r;
	const char	*day;
	int		 nhours;
	char		 hour[TZ_DAY_HOURS][TZ_HOUR_LEN];
	struct hist	 h;
	unsigned char	 blob[HIST_MAX_BLOB];
};

/* "([k,k,...],[n,n,...])", sumMap's pairs, into d->h; 0 or -1. */
static int
take_hist(struct day *d, const char *s)
{
	const char	*vals;
	char		*end;
	long long	 k, n;

	memset(&d->h, 0, sizeof(d->h));
	if (strncmp(s, "([", 2) != 0 || (vals = strstr(s, "],[")) == NULL)
		return -1;
	s += 2;
	vals += 3;
	while (*s != ']') {
		k = strtoll(s, &end, 10);
		if (end == s || k < 0 || k >= HIST_BUCKETS)
			return -1;
		s = end + (*end == ',');
		n = strtoll(vals, &end, 10);
		if (end == vals || n < 0)
			return -1;
		vals = end + (*end == ',');
		d->h.n[k] += (uint64_t)n;
		d->h.total += (uint64_t)n;
	}
	return *vals == ']' ? 0 : -1;
}

/*
 * One row of the rollup query: source, "m" + model, h, the aggregates.
 * WITH ROLLUP adds a row for each (source, model) with h 0, the day, and
 * rows with model or source "" (their subtotals), which are not ours.
 */
static int
take_bucket(char **f, void *arg)
{
	struct day	*d = arg;
	struct db_stats	 s;
	int64_t		 h, v[19];
	size_t		 k;

	memset(&s, 0, sizeof(s));
	if (f[0] == NULL || f[1] == NULL || num(f[2], &h) || h < 0 ||
	    h > d->nhours)
		goto bad;
	if (f[0][0] == '\0' || f[1][0] == '\0')
		return 0;
	if (f[1][0] != 'm')
		goto bad;
	for (k = 0; k < 19; k++)
		if (num(f[3 + k], &v[k]))
			goto bad;
	if (take_hist(d, f[22]) != 0)
		goto bad;
	s.key = h == 0 ? d->day : d->hour[h - 1];
	s.source = f[0];
	s.model = f[1] + 1;
	s.requests = v[0];
	s.successes = v[1];
	s.failures = v[0] - v[1];
	s.errors = v[2];
	s.timeouts = v[3];
	s.rate_limited = v[4];
	s.latency_sum_us = v[5];
	s.ttft_count = v[6];
	s.ttft_sum_us = v[7];
	s.tokens = v[8];
	s.input_tokens = v[9];
	s.output_tokens = v[10];
	s.cost_nusd = v[11];
	s.unpriced = v[12];
	s.users = v[13];
	for (k = 0; k < HIST_LAT_BUCKETS; k++)
		s.lat[k] = v[14 + k];
	s.hist = d->blob;
	s.hist_len = hist_encode(&d->h, d->blob, sizeof(d->blob));
	if ((d->r->rc = db_stats_put(d->r->a->db, &s, DB_PUT_NEW)) != DB_OK)
		return 1;
	return 0;
bad:
	return bad_row(d->r, f, 23);
}

/*
 * The aggregates of a bucket, after its h, source and model.  18.16 gives
 * NULL, not 0, for the distinct users of a bucket where every user_id is
 * NULL.
 */
#define AGGREGATES "count(), countIf(status = 'success'), countIf(status =" \
	" 'error'), countIf(status = 'timeout'), countIf(status =" \
	" 'rate_limited'), sum(latency_us), count(ttft_us)," \
	" sum(ifNull(ttft_us, 0)), sum(tokens), sum(ifNull(input_tokens, 0))," \
	" sum(ifNull(output_tokens, 0)), sum(cost_nusd), countIf(tokens > 0" \
	" AND cost_source = 'none'), ifNull(uniqExact(user_id), 0), " \
	LAT_BUCKETS ", sumMap([" BUCKET "], [toUInt64(1)])"

/*
 * Replace the rollups of one local day and its hours by ClickHouse's
 * (inside the run's transaction).  FINAL keeps one row of each
 * request_id: its copies share a shard and a partition.
 */
static int
recompute_day(struct agg *a, struct ch_run *r, const char *dayname)
{
	struct day	*d;
	struct buf	 q = { 0 };
	int64_t		 st[TZ_DAY_HOURS + 1];
	char		 hto[TZ_HOUR_LEN];
	int		 i, rc = -1;
	enum ch_rc	 crc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return oom(a);
	d->r = r;
	d->day = dayname;
	if ((d->nhours = tz_day_hours(dayname, st)) < 0) {
		log_errx("rollup: \"%s\" is not a day", dayname);
		db_rollback(a->db);
		goto out;
	}
	for (i = 0; i < d->nhours; i++)
		tz_hour(st[i], d->hour[i]);
	/*
	 * A day's hours are an hour each (23, 24 or 25 of them) but where
	 * DST moves by half an hour; then the bounds are counted.  Hours
	 * are numbered from 1: WITH ROLLUP gives the day's row h = 0.
	 */
	for (i = 0; i <= d->nhours; i++)
		if (st[i] != st[0] + i * 3600000LL)
			break;
	buf_puts(&q, r->with.p);
	buf_puts(&q, "SELECT source, concat('m', ifNull(model, '')) AS m, ");
	if (i > d->nhours)
		buf_printf(&q, "intDiv(ts_ms - %lld, 3600000)", (long long)st[0]);
	else {
		buf_puts(&q, "arrayCount(x -> x <= ts_ms, [");
		for (i = 1; i < d->nhours; i++)
			buf_printf(&q, "%s%lld", i > 1 ? "," : "",
			    (long long)st[i]);
		buf_puts(&q, "])");
	}
	buf_printf(&q, " + 1 AS h, " AGGREGATES " FROM %s FINAL WHERE ts_ms >="
	    " %lld AND ts_ms < %lld GROUP BY source, m, h WITH ROLLUP",
	    r->table, (long long)st[0], (long long)st[d->nhours]);
	if (q.failed) {
		oom(a);
		goto out;
	}
	tz_hour(st[d->nhours], hto);
	/* What rollup.c knew of the day's rows no longer holds. */
	if ((r->rc = db_stats_clear(a->db, dayname, d->hour[0], hto)) !=
	    DB_OK || (r->rc = db_upto_set(a->db, dayname, -1)) != DB_OK)
		goto db;
	crc = ch_query(r->q, q.p, NULL, 23, take_bucket, d);
	if (crc == CH_ERR) {
		ch_fail(a, r->q);
		goto out;
	}
	if (crc == CH_ABORT) {
		if (r->bad) {
			log_errx("clickhouse: %s: unexpected reply to the "
			    "rollup of %s: %s", ch_url(r->q), dayname,
			    r->badrow);
			db_rollback(a->db);
			goto out;
		}
		goto db;
	}
	rc = 0;
	goto out;
db:
	db_fail(a, "writing rollups");
out:
	buf_free(&q);
	free(d);
	return rc;
}

/* ---- the mirror: the raw rows that the site and the alerts read -------- */

static int
opt(const char *s, int64_t *v)
{
	if (s == NULL) {
		*v = -1;
		return 0;
	}
	return num(s, v);
}

static int
take_row(char **f, void *arg)
{
	struct ch_run	*r = arg;
	struct rec	 rec;
	enum db_rc	 rc;

	memset(&rec, 0, sizeof(rec));
	rec.request_id = f[0];
	rec.source = f[2];
	rec.user_id = f[3];
	rec.command = f[4];
	rec.model = f[5];
	rec.provider = f[6];
	rec.status = f[7];
	rec.error = f[15];
	rec.metadata = f[16];
	if (f[0] == NULL || f[2] == NULL || f[7] == NULL || f[14] == NULL ||
	    num(f[1], &rec.ts_ms) || num(f[8], &rec.latency_us) ||
	    opt(f[9], &rec.ttft_us) || opt(f[10], &rec.input_tokens) ||
	    opt(f[11], &rec.output_tokens) || num(f[12], &rec.tokens) ||
	    num(f[13], &rec.cost_nusd) || num(f[17], &rec.received_ms))
		return bad_row(r, f, ROW_FIELDS);
	rec.cost_source = strcmp(f[14], "reported") == 0 ? REC_COST_REPORTED :
	    strcmp(f[14], "priced") == 0 ? REC_COST_PRICED : REC_COST_NONE;
	/* A row mirrored already (or a copy of one) is kept once. */
	if ((rc = db_insert_request(r->a->db, &rec)) != DB_OK && rc != DB_DUP) {
		r->rc = rc;
		return 1;
	}
	return 0;
}

/* Run q on h into the mirror; 0, or -1 (said, rolled back). */
static int
mirror_query(struct agg *a, struct ch_run *r, struct ch *h, struct buf *q)
{
	enum ch_rc	 rc;

	if (q->failed)
		return oom(a);
	if ((rc = ch_query(h, q->p, NULL, ROW_FIELDS, take_row, r)) == CH_OK)
		return 0;
	if (rc == CH_ERR)
		return ch_fail(a, h);
	if (r->bad) {
		log_errx("clickhouse: %s: unexpected row in the reply: %s",
		    ch_url(h), r->badrow);
		db_rollback(a->db);
		return -1;
	}
	return db_fail(a, "mirroring rows");
}

static int
take_source(char **f, void *arg)
{
	struct buf	*b = arg;

	if (f[0] == NULL)
		return 1;
	if (b->len > 0)
		buf_puts(b, ",");
	ch_sql_str(b, f[0]);
	return b->failed;
}

/* The sources with fewer than RECENT_ROWS rows in the window, into b. */
static int
quiet_sources(struct agg *a, struct ch_run *r, struct buf *b)
{
	struct buf	 q = { 0 };
	enum ch_rc	 rc;

	b->len = 0;
	buf_printf(&q, "SELECT source FROM %s GROUP BY source HAVING"
	    " uniqExactIf(request_id, ts_ms >= %lld) < %d", r->table,
	    (long long)r->window_ms, RECENT_ROWS);
	if (q.failed)
		return oom(a);
	rc = ch_query(r->q, q.p, NULL, 1, take_source, b);
	buf_free(&q);
	if (rc == CH_ERR)
		return ch_fail(a, r->q);
	return rc == CH_OK ? 0 : oom(a);
}

/*
 * The reporting host's api_requests holds what the dashboard, the
 * explorer, the no_data rule and user budgets read of raw rows: every row
 * since the start of yesterday or of the explorer's first day
 * (site.explorer_days), or no_data_minutes back, if that is earlier; the
 * newest RECENT_ROWS of each source, and the rows of users that have a
 * budget since retention.raw_days back.  New rows come in; rows that
 * left the window go.
 */
static int
mirror(struct agg *a, struct ch_run *r, int rebuild)
{
	struct buf	 q = { 0 }, w = { 0 };
	int64_t		 from = r->window_ms;
	long		 trimmed;
	size_t		 i;

	if (r->users.len > 0 && r->users_from_ms < from)
		from = r->users_from_ms;
	for (i = 0; i < r->nn; i++) {
		if (!new_rows(&r->n[i], rebuild, from, &w))
			continue;
		q.len = 0;
		buf_printf(&q, "SELECT " ROW_COLUMNS " FROM %s WHERE (%s) AND"
		    " (ts_ms >= %lld", r->local, w.p, (long long)r->window_ms);
		if (r->users.len > 0)
			buf_printf(&q, " OR (user_id IN (%s) AND ts_ms >= %lld)",
			    r->users.p, (long long)r->users_from_ms);
		buf_puts(&q, ")");
		if (w.failed || mirror_query(a, r, r->n[i].h, &q))
			goto fail;
	}
	/*
	 * A first run: each source's newest rows, however old, for the
	 * sources with fewer in the window (later runs keep them).
	 */
	if ((r->first || rebuild) && quiet_sources(a, r, &w))
		goto fail;
	if ((r->first || rebuild) && w.len > 0) {
		q.len = 0;
		buf_printf(&q, "SELECT " ROW_COLUMNS " FROM %s FINAL WHERE source"
		    " IN (%s) ORDER BY ts_ms DESC LIMIT %d BY source", r->table,
		    w.p, RECENT_ROWS);
		if (mirror_query(a, r, r->q, &q))
			goto fail;
	}
	if (db_mirror_trim(a->db, r->window_ms, r->users_json.p,
	    r->users.len > 0 ? r->users_from_ms : INT64_MAX, RECENT_ROWS,
	    &trimmed) != DB_OK) {
		db_fail(a, "trimming the mirror");
		goto fail;
	}
	buf_free(&q);
	buf_free(&w);
	return 0;
fail:
	if (w.failed)
		oom(a);
	buf_free(&q);
	buf_free(&w);
	return -1;
}

/* ---- the run ----------------------------------------------------------- */

/* Names, the bucket bounds, the users and the windows of the run. */
static int
prepare(struct agg *a, struct ch_run *r)
{
	const struct conf		*conf = a->conf;
	const struct conf_clickhouse	*c = &conf->clickhouse;
	char				 today[TZ_DAY_LEN];
	int64_t				 no_data;
	long				 back;
	size_t				 i, k = 0;

	snprintf(r->table, sizeof(r->table), "%s.%s", c->database, CH_TABLE);
	snprintf(r->local, sizeof(r->local), "%s.%s", c->database,
	    CH_LOCAL(c));
	if ((r->q = ch_new(c->url, c)) == NULL ||
	    (r->n = calloc(c->nnodes, sizeof(*r->n))) == NULL)
		return -1;
	for (r->nn = 0; r->nn < c->nnodes; r->nn++) {
		r->n[r->nn].url = c->nodes[r->nn];
		if ((r->n[r->nn].h = ch_new(c->nodes[r->nn], c)) == NULL)
			return -1;
	}
	bounds(&r->with);
	buf_puts(&r->users_json, "[");
	for (i = 0; i < conf->alerts.nbudgets; i++) {
		if (strncmp(conf->alerts.budgets[i].scope, "user:", 5) != 0)
			continue;
		if (k++ > 0) {
			buf_puts(&r->users, ",");
			buf_puts(&r->users_json, ",");
		}
		ch_sql_str(&r->users, conf->alerts.budgets[i].scope + 5);
		ch_json_str(&r->users_json, conf->alerts.budgets[i].scope + 5,
		    strlen(conf->alerts.budgets[i].scope + 5));
	}
	buf_puts(&r->users_json, "]");
	/* Yesterday for the dashboard; the explorer's days for its pages. */
	back = conf->site.explorer_days - 1 > 1 ? conf->site.explorer_days - 1 : 1;
	tz_day(a->now_ms, today);
	if (tz_day_start(today, -(int)back, &r->window_ms) ||
	    tz_day_start(today, -(int)conf->retention_raw_days,
	    &r->users_from_ms))
		return -1;
	no_data = a->now_ms - conf->alerts.no_data_minutes * 60000;
	if (no_data < r->window_ms)
		r->window_ms = no_data;
	return r->with.failed || r->users.failed || r->users_json.failed ?
	    -1 : 0;
}

int
ch_rollup_run(struct agg *a, int rebuild)
{
	struct ch_run	*r;
	size_t		 i;

	if ((r = a->ch = calloc(1, sizeof(*r))) == NULL)
		return oom(a);
	r->a = a;
	if (prepare(a, r))
		return oom(a);
	if (db_meta_get(a->db, "purged_before_ms", &r->purged_ms) != DB_OK)
		return db_fail(a, "reading state");
	/* Every node first: one that is down publishes nothing. */
	if (load_parts(a, r) || load_marks(a, r) ||
	    touched_days(a, r, rebuild))
		return -1;
	if (db_begin(a->db) != DB_OK)
		return db_fail(a, "writing rollups");
	for (i = 0; i < a->ndays; i++)
		if (recompute_day(a, r, a->days[i]))
			return -1;
	if (mirror(a, r, rebuild))
		return -1;
	if (db_commit(a->db) != DB_OK)
		return db_fail(a, "writing rollups");
	a->n.days = (long)a->ndays;
	return 0;
}

int
ch_rollup_done(struct agg *a)
{
	struct ch_run	*r = a->ch;
	struct part	*p;
	char		 key[1200];
	size_t		 i, k;

	/* Only now, so a run stopped earlier judges the same days again. */
	if (db_begin(a->db) != DB_OK || db_ch_marks_clear(a->db) != DB_OK)
		return db_fail(a, "saving marks");
	for (i = 0; i < r->nn; i++)
		for (k = 0; k < r->n[i].np; k++) {
			p = &r->n[i].p[k];
			snprintf(key, sizeof(key), "ch_mark block %lld %s",
			    (long long)p->id, r->n[i].url);
			if (db_meta_set(a->db, key, p->block) != DB_OK)
				return db_fail(a, "saving marks");
			snprintf(key, sizeof(key), "ch_mark rows %lld %s",
			    (long long)p->id, r->n[i].url);
			if (db_meta_set(a->db, key, p->rows) != DB_OK)
				return db_fail(a, "saving marks");
		}
	if (db_commit(a->db) != DB_OK)
		return db_fail(a, "saving marks");
	return 0;
}

/*
 * Whole UTC days older than retention.raw_days go, one partition at a
 * time on every node: no ALTER ... DELETE, whose mutations were seen to
 * misbehave on 18.16.  Days before purged_before_ms keep their rollups.
 */
int
ch_retention_run(struct agg *a)
{
	struct ch_run	*r = a->ch;
	struct part	*p;
	char		 today[TZ_DAY_LEN], q[256];
	int64_t		 before, old = 0, purged = 0;
	size_t		 i, k;

	tz_day(a->now_ms, today);
	if (tz_day_start(today, -(int)a->conf->retention_raw_days, &before)) {
		log_errx("retention: no start for %ld days before %s",
		    a->conf->retention_raw_days, today);
		return -1;
	}
	for (i = 0; i < r->nn; i++)
		for (k = 0; k < r->n[i].np; k++) {
			p = &r->n[i].p[k];
			if ((p->id + 1) * DAY_MS > before)
				continue;
			snprintf(q, sizeof(q), "ALTER TABLE %s DROP PARTITION "
			    "%lld", r->local, (long long)p->id);
			if (ch_exec(r->n[i].h, q) != CH_OK) {
				log_errx("clickhouse: %s; retention stops "
				    "here and goes on next run",
				    ch_error(r->n[i].h));
				return -1;
			}
			a->n.purged += (long)p->rows;
			if ((p->id + 1) * DAY_MS > purged)
				purged = (p->id + 1) * DAY_MS;
		}
	if (purged == 0)
		return 0;
	if (db_meta_get(a->db, "purged_before_ms", &old) != DB_OK ||
	    (purged > old && db_meta_set(a->db, "purged_before_ms", purged) !=
	    DB_OK))
		return db_fail(a, "saving the retention mark");
	return 0;
}

void
ch_rollup_free(struct agg *a)
{
	struct ch_run	*r = a->ch;
	size_t		 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nn; i++) {
		ch_free(r->n[i].h);
		free(r->n[i].p);
		free(r->n[i].pc);
	}
	free(r->n);
	ch_free(r->q);
	buf_free(&r->with);
	buf_free(&r->users);
	buf_free(&r->users_json);
	free(r);
	a->ch = NULL;
}
