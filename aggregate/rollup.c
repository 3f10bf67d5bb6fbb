/* rollup.c — hourly and daily rollups, recomputed per touched day; retention. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "buf.h"
#include "hist.h"
#include "log.h"
#include "tz.h"

#define OUT_ROWS	4096		/* rollup rows held before writing */
#define OUT_BYTES	(4 << 20)	/* and the bytes of their names and blobs */

struct bucket {
	struct db_stats	 s;
	struct hist	 hist;
};

/*
 * One recomputation of a range of a local day's hours and, optionally, the
 * day itself.
 * Rows arrive grouped by (source, model) and, within a group, by user, so
 * that only one group's buckets and one user's marks are held at a time;
 * the finished rollup rows wait in a bounded buffer.  A range whose rows
 * overflow the buffer is run again inside one write transaction that
 * writes as it goes, so memory stays bounded whatever arrives.
 */
struct pass {
	struct agg	*a;
	/* What to compute. */
	int64_t		 from, to;		/* UTC ms, hour starts */
	int64_t		 lo_id, hi_id;		/* only these ids, unless -1 */
	const char	*day;			/* NULL: hours only */
	int64_t		 day_from, day_to;
	int64_t		 hours_before;		/* later hours are not summed */
	int		 add;			/* add to the stored rows */
	int		 nhours;		/* the day's local hours */
	int64_t		 start[TZ_DAY_HOURS + 1];
	char		 hour[TZ_DAY_HOURS][TZ_HOUR_LEN];
	/* The group being summed, and its names as its rows use them. */
	struct buf	 source, model;
	const char	*gsource, *gmodel;
	int		 in_group;
	struct bucket	 hours[TZ_DAY_HOURS], whole;
	/* The user being counted once per bucket. */
	struct buf	 user;
	int		 in_user;
	uint32_t	 user_hours;		/* bit i: seen in hour i */
	int		 user_day;
	/* Rollup rows waiting to be written. */
	struct db_stats	*out;
	size_t		 nout;
	char		*bytes;
	size_t		 used;
	int		 in_tx;			/* writing as it goes */
	int		 overflow;		/* the buffer filled up */
	enum db_rc	 rc;			/* why a write failed */
	int		 oom;
};

/* Keep a copy of a string that the next row would overwrite. */
static int
set(struct buf *b, const char *v)
{
	b->len = 0;
	buf_puts(b, v);
	return b->failed ? -1 : 0;
}

/* Take the write lock and delete what this pass replaces. */
static enum db_rc
begin(struct pass *p)
{
	char		 hfrom[TZ_HOUR_LEN], hto[TZ_HOUR_LEN];
	enum db_rc	 rc;

	if ((rc = db_begin(p->a->db)) != DB_OK || p->add)
		return rc;
	tz_hour(p->from, hfrom);
	tz_hour(p->to, hto);
	return db_stats_clear(p->a->db, p->day, hfrom, hto);
}

/* Write the waiting rows (inside the transaction) and empty the buffer. */
static enum db_rc
flush(struct pass *p)
{
	enum db_rc	 rc;
	size_t		 i;

	for (i = 0; i < p->nout; i++)
		if ((rc = db_stats_put(p->a->db, &p->out[i], p->add)) != DB_OK)
			return rc;
	p->nout = 0;
	p->used = 0;
	return DB_OK;
}

static int	 keep_names(struct pass *);

/*
 * Make room for n bytes of rows: in the buffer; or, once writing, by
 * writing what waits (the group's names then move with the room).
 * Returns 0, or -1 with overflow or rc set.
 */
static int
room(struct pass *p, size_t n)
{
	if (p->nout < OUT_ROWS && p->used + n <= OUT_BYTES)
		return 0;
	if (!p->in_tx) {
		p->overflow = 1;
		return -1;
	}
	if ((p->rc = flush(p)) != DB_OK)
		return -1;
	return p->gsource != NULL ? keep_names(p) : 0;
}

/* Copy the group's names into the buffer, once for all its rows. */
static int
keep_names(struct pass *p)
{
	size_t	 ns = strlen(p->source.p) + 1, nm = strlen(p->model.p) + 1;
	char	*s;

	p->gsource = p->gmodel = NULL;
	if (room(p, ns + nm))
		return -1;
	s = p->bytes + p->used;
	p->used += ns + nm;
	memcpy(s, p->source.p, ns);
	memcpy(s + ns, p->model.p, nm);
	p->gsource = s;
	p->gmodel = s + ns;
	return 0;
}

/* Queue one bucket of the group as a rollup row; 0 or -1. */
static int
emit(struct pass *p, struct bucket *b, const char *key)
{
	struct db_stats	*s;
	unsigned char	*blob;

	if (room(p, HIST_MAX_BLOB))
		return -1;
	blob = (unsigned char *)p->bytes + p->used;
	s = &p->out[p->nout++];
	*s = b->s;
	s->key = key;
	s->source = p->gsource;
	s->model = p->gmodel;
	s->hist = blob;
	s->hist_len = hist_encode(&b->hist, blob, HIST_MAX_BLOB);
	p->used += s->hist_len;
	return 0;
}

static void
user_end(struct pass *p)
{
	int	 i;

	for (i = 0; i < p->nhours; i++)
		if (p->user_hours & (1u << i))
			p->hours[i].s.users++;
	p->whole.s.users += p->user_day;
	p->in_user = 0;
	p->user_hours = 0;
	p->user_day = 0;
}

/* Queue the group's buckets that saw rows; 0 or -1. */
static int
group_end(struct pass *p)
{
	int	 i;

	if (!p->in_group)
		return 0;
	if (p->in_user)
		user_end(p);
	p->in_group = 0;
	if (keep_names(p))
		return -1;
	for (i = 0; i < p->nhours; i++)
		if (p->hours[i].s.requests > 0 &&
		    emit(p, &p->hours[i], p->hour[i]))
			return -1;
	if (p->whole.s.requests > 0 && emit(p, &p->whole, p->day))
		return -1;
	p->gsource = p->gmodel = NULL;
	return 0;
}

static void
count(struct bucket *b, const struct db_row *r)
{
	b->s.requests++;
	if (strcmp(r->status, "success") == 0)
		b->s.successes++;
	else {
		b->s.failures++;
		b->s.errors += strcmp(r->status, "error") == 0;
		b->s.timeouts += strcmp(r->status, "timeout") == 0;
		b->s.rate_limited += strcmp(r->status, "rate_limited") == 0;
	}
	b->s.latency_sum_us += r->latency_us;
	b->s.lat[hist_lat_bucket(r->latency_us)]++;
	hist_add(&b->hist, r->latency_us);
	if (r->ttft_us >= 0) {
		b->s.ttft_count++;
		b->s.ttft_sum_us += r->ttft_us;
	}
	b->s.tokens += r->tokens;
	b->s.input_tokens += r->input_tokens;
	b->s.output_tokens += r->output_tokens;
	b->s.cost_nusd += r->cost_nusd;
	/* Tokens with no cost: a call that cost something nobody knows. */
	b->s.unpriced += r->tokens > 0 && strcmp(r->cost_source, "none") == 0;
}

/* The local hour of the day that ts falls in, or -1. */
static int
hour_of(const struct pass *p, int64_t ts)
{
	int	 lo = 0, hi = p->nhours, mid;

	if (ts < p->start[0] || ts >= p->start[p->nhours])
		return -1;
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (p->start[mid] <= ts)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int
take_row(const struct db_row *r, void *arg)
{
	struct pass	*p = arg;
	int		 i = hour_of(p, r->ts_ms), in_day;

	if (!p->in_group || strcmp(r->source, p->source.p) != 0 ||
	    strcmp(r->model, p->model.p) != 0) {
		if (group_end(p))
			return 1;
		if (set(&p->source, r->source) ||
		    set(&p->model, r->model)) {
			p->oom = 1;
			return 1;
		}
		memset(p->hours, 0, sizeof(p->hours[0]) * (size_t)p->nhours);
		memset(&p->whole, 0, sizeof(p->whole));
		p->in_group = 1;
	}
	if (p->in_user && (r->user_id == NULL ||
	    strcmp(r->user_id, p->user.p) != 0))
		user_end(p);
	if (r->user_id != NULL && !p->in_user) {
		if (set(&p->user, r->user_id)) {
			p->oom = 1;
			return 1;
		}
		p->in_user = 1;
	}
	if (i >= 0 && p->start[i] < p->hours_before) {
		count(&p->hours[i], r);
		p->user_hours |= (uint32_t)p->in_user << i;
	}
	in_day = p->day != NULL && r->ts_ms >= p->day_from &&
	    r->ts_ms < p->day_to;
	if (in_day) {
		count(&p->whole, r);
		p->user_day |= p->in_user;
	}
	return 0;
}

/* Read the rows of the pass once; 0, or -1 with the reason in p. */
static int
read_rows(struct pass *p)
{
	enum db_rc	 rc;

	p->in_group = p->in_user = 0;
	p->gsource = p->gmodel = NULL;
	p->user_hours = 0;
	p->user_day = 0;
	p->nout = p->used = 0;
	rc = db_rows_each(p->a->db, p->from, p->to, p->lo_id, p->hi_id,
	    take_row, p);
	if (rc == DB_OK && group_end(p) == 0)
		return 0;
	if (rc != DB_OK && rc != DB_ABORT)
		p->rc = rc;
	return -1;
}

static int
fail(struct agg *a, const char *what)
{
	log_errx("%s: %s: %s", a->conf->database, what, db_errmsg(a->db));
	db_rollback(a->db);
	return -1;
}

/*
 * Run a pass: the rows are read before the write lock is taken, which is
 * then held only to write them; a pass too big for the buffer is read
 * again holding the lock, writing as it goes.
 */
static int
run_pass(struct pass *p)
{
	struct agg	*a = p->a;

	p->in_tx = p->overflow = p->oom = 0;
	p->rc = DB_OK;
	if (read_rows(p) != 0) {
		if (!p->overflow)
			goto fail;
		p->overflow = 0;
		p->in_tx = 1;
		if ((p->rc = begin(p)) != DB_OK || read_rows(p) != 0)
			goto fail;
	} else if ((p->rc = begin(p)) != DB_OK)
		goto fail;
	if ((p->rc = flush(p)) != DB_OK || (p->rc = db_commit(a->db)) != DB_OK)
		goto fail;
	return 0;
fail:
	if (p->oom) {
		log_errx("out of memory");
		db_rollback(a->db);
		return -1;
	}
	return fail(a, "writing rollups");
}

/*
 * Recompute one local day and each of its local hours from the raw rows.
 * A day that retention emptied in part cannot be: its new rows
 * (last_id < id <= max_id) are added to the day and to its hours that
 * start before purged_ms, and the later hours, which still have every raw
 * row, are recomputed.
 */
static int
recompute_day(struct agg *a, struct pass *p, const char *day,
    int64_t purged_ms)
{
	int	 i;

	if ((p->nhours = tz_day_hours(day, p->start)) < 0) {
		log_errx("rollup: \"%s\" is not a day", day);
		return -1;
	}
	for (i = 0; i < p->nhours; i++)
		tz_hour(p->start[i], p->hour[i]);
	p->day_from = p->from = p->start[0];
	p->day_to = p->to = p->start[p->nhours];
	p->day = day;
	p->add = 0;
	p->lo_id = p->hi_id = -1;
	p->hours_before = INT64_MAX;
	if (p->day_from >= purged_ms)
		return run_pass(p);
	p->add = 1;
	p->lo_id = a->last_id;
	p->hi_id = a->max_id;
	p->hours_before = purged_ms;
	if (run_pass(p))
		return -1;
	for (i = 0; i < p->nhours && p->start[i] < purged_ms; i++)
		;
	if (i == p->nhours)
		return 0;
	p->from = p->start[i];
	p->day = NULL;
	p->add = 0;
	p->lo_id = p->hi_id = -1;
	p->hours_before = INT64_MAX;
	return run_pass(p);
}

static int
add_day(const char *day, void *arg)
{
	struct agg	*a = arg;

	if (grow(&a->days, &a->capdays, a->ndays + 1, sizeof(*a->days)) ||
	    (a->days[a->ndays] = strdup(day)) == NULL)
		return 1;
	a->ndays++;
	return 0;
}

static int
by_day(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int
rollup_touched(const struct agg *a, const char *day)
{
	return a->ndays > 0 && bsearch(&day, a->days, a->ndays,
	    sizeof(*a->days), by_day) != NULL;
}

/* Every day from the oldest raw row to the newest, for --rebuild. */
static int
all_days(struct agg *a)
{
	int64_t	 lo, hi, ms;
	char	 day[TZ_DAY_LEN], d[TZ_DAY_LEN];
	int	 k;

	if (db_raw_span(a->db, &lo, &hi) != DB_OK)
		return fail(a, "reading the span of rows");
	if (lo < 0)
		return 0;
	tz_day(lo, day);
	for (k = 0; tz_day_start(day, k, &ms) == 0 && ms <= hi; k++) {
		tz_day(ms, d);
		if (add_day(d, a)) {
			log_errx("out of memory");
			return -1;
		}
	}
	return 0;
}

static void
pass_free(struct pass *p)
{
	buf_free(&p->source);
	buf_free(&p->model);
	buf_free(&p->user);
	free(p->out);
	free(p->bytes);
	free(p);
}

int
rollup_run(struct agg *a, int rebuild)
{
	struct db_agg_state	 st;
	struct pass		*p;
	int64_t			 start, pending = 0;
	enum db_rc		 rc;
	size_t			 i;

	if (db_agg_state(a->db, &st) != DB_OK ||
	    db_meta_get(a->db, "rebuild_pending", &pending) != DB_OK)
		return fail(a, "reading state");
	a->last_id = st.last_id;
	a->max_id = st.max_id;
	/* A schema upgrade asks for one rebuild of what raw rows remain. */
	if (pending)
		rebuild = a->rebuilt = 1;
	if (rebuild) {
		if (all_days(a))
			return -1;
	} else if ((rc = db_agg_days(a->db, st.last_id, st.max_id, add_day,
	    a)) != DB_OK) {
		if (rc != DB_ABORT)
			return fail(a, "listing days");
		log_errx("out of memory");
		return -1;
	}
	if (a->ndays > 0)
		qsort(a->days, a->ndays, sizeof(a->days[0]), by_day);
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->out = calloc(OUT_ROWS, sizeof(*p->out))) == NULL ||
	    (p->bytes = malloc(OUT_BYTES)) == NULL) {
		log_errx("out of memory");
		if (p != NULL)
			pass_free(p);
		return -1;
	}
	p->a = a;
	for (i = 0; i < a->ndays; i++) {
		/* A rebuild keeps what retention left of old days as it is. */
		if (rebuild && tz_day_start(a->days[i], 0, &start) == 0 &&
		    start < st.purged_ms)
			continue;
		if (recompute_day(a, p, a->days[i], st.purged_ms)) {
			pass_free(p);
			return -1;
		}
	}
	pass_free(p);
	a->n.rows = st.max_id - st.last_id;
	a->n.days = (long)a->ndays;
	return 0;
}

int
rollup_done(struct agg *a)
{
	/* Only now, so a run stopped earlier judges the same days again. */
	if (db_meta_set(a->db, "agg_last_id", a->max_id) != DB_OK ||
	    (a->rebuilt && db_meta_set(a->db, "rebuild_pending", 0) != DB_OK))
		return fail(a, "saving the watermark");
	return 0;
}

int
retention_run(struct agg *a)
{
	struct db_agg_state	 st;
	char			 today[TZ_DAY_LEN];
	int64_t			 before;
	long			 n;

	tz_day(a->now_ms, today);
	if (tz_day_start(today, -(int)a->conf->retention_raw_days, &before)) {
		log_errx("retention: no start for %ld days before %s",
		    a->conf->retention_raw_days, today);
		return -1;
	}
	/* A local midnight starts an hour: no hour keeps part of its rows. */
	if (db_agg_state(a->db, &st) != DB_OK)
		return fail(a, "reading state");
	do {
		/* Only rows at or below the watermark are rolled up. */
		if (db_begin(a->db) || db_purge(a->db, before, st.last_id,
		    AGG_CHUNK, &n) || db_commit(a->db))
			return fail(a, "deleting old rows");
		a->n.purged += n;
	} while (n == AGG_CHUNK);
	return 0;
}
