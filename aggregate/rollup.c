/* rollup.c — hourly and daily rollups, recomputed per touched day; retention. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "hist.h"
#include "log.h"
#include "tz.h"

#define HOUR_MS	3600000LL

struct bucket {
	char		 key[TZ_HOUR_LEN];	/* hour, or day */
	char		*source, *model;	/* in the arena */
	struct db_stats	 s;
	struct hist	 hist;
};

/* Distinct (bucket, user) pairs, for exact user counts. */
struct pair {
	uint64_t	 hash;
	uint32_t	 bucket;		/* index + 1; 0: empty slot */
	const char	*user;
};

/* Everything one day's recomputation holds; reused from day to day. */
struct acc {
	struct bucket	*b;
	size_t		 nb, capb;
	uint32_t	*slots;			/* bucket hash table */
	size_t		 nslots;
	struct pair	*pairs;
	size_t		 npairs, cappairs;
	char		*arena;
	size_t		 used, cap;
	int64_t		 day_from, day_to;	/* empty: no day bucket */
	int64_t		 hours_before;		/* hour buckets starting later are skipped */
	char		 day[TZ_DAY_LEN];
	int64_t		 hour_ms;		/* cache for tz_hour() */
	char		 hour[TZ_HOUR_LEN];
	int		 oom;
};

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static char *
keep(struct acc *a, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	/* Strings stay put: a full arena is never moved, a new one is added. */
	if (a->arena == NULL || a->used + n > a->cap) {
		size_t cap = n > 1 << 20 ? n : 1 << 20;
		char **blk = malloc(sizeof(char *) + cap);
		if (blk == NULL)
			return NULL;
		*blk = a->arena;
		a->arena = (char *)blk;
		a->used = sizeof(char *);
		a->cap = sizeof(char *) + cap;
	}
	p = a->arena + a->used;
	memcpy(p, s, n);
	a->used += n;
	return p;
}

static void
arena_free(struct acc *a)
{
	char	*blk, *next;

	for (blk = a->arena; blk != NULL; blk = next) {
		memcpy(&next, blk, sizeof(next));
		free(blk);
	}
	a->arena = NULL;
	a->used = a->cap = 0;
}

static int
rehash(struct acc *a)
{
	size_t	 n = a->nslots ? a->nslots * 2 : 1024, i, j;
	uint32_t *s = calloc(n, sizeof(*s));
	uint64_t h;

	if (s == NULL)
		return -1;
	for (i = 0; i < a->nb; i++) {
		h = fnv(fnv(fnv(0xcbf29ce484222325ULL, a->b[i].key),
		    a->b[i].source), a->b[i].model);
		for (j = h & (n - 1); s[j] != 0; j = (j + 1) & (n - 1))
			;
		s[j] = (uint32_t)i + 1;
	}
	free(a->slots);
	a->slots = s;
	a->nslots = n;
	return 0;
}

static struct bucket *
bucket(struct acc *a, const char *key, const char *source, const char *model)
{
	uint64_t	 h = fnv(fnv(fnv(0xcbf29ce484222325ULL, key), source),
	    model);
	struct bucket	*b, *nb;
	size_t		 j;

	if (a->nslots == 0 && rehash(a))
		return NULL;
	for (j = h & (a->nslots - 1); a->slots[j] != 0;
	    j = (j + 1) & (a->nslots - 1)) {
		b = &a->b[a->slots[j] - 1];
		if (strcmp(b->key, key) == 0 && strcmp(b->source, source) == 0 &&
		    strcmp(b->model, model) == 0)
			return b;
	}
	if (a->nb == a->capb) {
		a->capb = a->capb ? a->capb * 2 : 256;
		if ((nb = realloc(a->b, a->capb * sizeof(*nb))) == NULL)
			return NULL;
		a->b = nb;
	}
	b = &a->b[a->nb];
	memset(b, 0, sizeof(*b));
	snprintf(b->key, sizeof(b->key), "%s", key);
	if ((b->source = keep(a, source)) == NULL ||
	    (b->model = keep(a, model)) == NULL)
		return NULL;
	a->slots[j] = (uint32_t)++a->nb;
	if (a->nb * 2 > a->nslots && rehash(a))
		return NULL;
	return b;
}

/* Count user once per bucket. */
static int
add_user(struct acc *a, struct bucket *b, const char *user)
{
	uint32_t	 bi = (uint32_t)(b - a->b) + 1;
	uint64_t	 h = fnv(bi * 0x9e3779b97f4a7c15ULL, user);
	struct pair	*p, *old;
	size_t		 j, i, n;

	if (a->npairs * 2 >= a->cappairs) {
		n = a->cappairs ? a->cappairs * 2 : 4096;
		if ((p = calloc(n, sizeof(*p))) == NULL)
			return -1;
		old = a->pairs;
		for (i = 0; i < a->cappairs; i++) {
			if (old[i].bucket == 0)
				continue;
			for (j = old[i].hash & (n - 1); p[j].bucket != 0;
			    j = (j + 1) & (n - 1))
				;
			p[j] = old[i];
		}
		free(old);
		a->pairs = p;
		a->cappairs = n;
	}
	for (j = h & (a->cappairs - 1); a->pairs[j].bucket != 0;
	    j = (j + 1) & (a->cappairs - 1))
		if (a->pairs[j].hash == h && a->pairs[j].bucket == bi &&
		    strcmp(a->pairs[j].user, user) == 0)
			return 0;
	if ((a->pairs[j].user = keep(a, user)) == NULL)
		return -1;
	a->pairs[j].hash = h;
	a->pairs[j].bucket = bi;
	a->npairs++;
	b->s.users++;
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
	hist_add(&b->hist, r->latency_us);
	if (r->ttft_us >= 0) {
		b->s.ttft_count++;
		b->s.ttft_sum_us += r->ttft_us;
	}
	b->s.tokens += r->tokens;
	b->s.input_tokens += r->input_tokens;
	b->s.output_tokens += r->output_tokens;
	b->s.cost_nusd += r->cost_nusd;
	b->s.unpriced += r->model[0] != '\0' &&
	    strcmp(r->cost_source, "none") == 0;
}

static int
take_row(const struct db_row *r, void *arg)
{
	struct acc	*a = arg;
	struct bucket	*b;
	int64_t		 h = r->ts_ms / HOUR_MS;

	if (h != a->hour_ms) {
		a->hour_ms = h;
		tz_hour(h * HOUR_MS, a->hour);
	}
	if (h * HOUR_MS < a->hours_before) {
		if ((b = bucket(a, a->hour, r->source, r->model)) == NULL)
			goto oom;
		count(b, r);
		if (r->user_id != NULL && add_user(a, b, r->user_id))
			goto oom;
	}
	if (r->ts_ms < a->day_from || r->ts_ms >= a->day_to)
		return 0;
	if ((b = bucket(a, a->day, r->source, r->model)) == NULL)
		goto oom;
	count(b, r);
	if (r->user_id != NULL && add_user(a, b, r->user_id))
		goto oom;
	return 0;
oom:
	a->oom = 1;
	return 1;
}

static void
acc_reset(struct acc *a)
{
	arena_free(a);
	if (a->slots != NULL)
		memset(a->slots, 0, a->nslots * sizeof(*a->slots));
	if (a->pairs != NULL)
		memset(a->pairs, 0, a->cappairs * sizeof(*a->pairs));
	a->nb = a->npairs = 0;
	a->hour_ms = INT64_MIN;
	a->oom = 0;
}

static void
acc_free(struct acc *a)
{
	arena_free(a);
	free(a->b);
	free(a->slots);
	free(a->pairs);
}

static int
fail(struct agg *a, const char *what)
{
	log_errx("%s: %s: %s", a->conf->database, what, db_errmsg(a->db));
	db_rollback(a->db);
	return -1;
}

/* The buckets of x as rollup rows; rows and blobs are malloc'd. */
static int
to_rows(struct acc *x, struct db_stats **rowsp, unsigned char **blobsp)
{
	struct db_stats	*rows;
	unsigned char	*blobs;
	size_t		 i, off = 0;

	*rowsp = NULL;
	*blobsp = NULL;
	if (x->oom ||
	    (rows = calloc(x->nb ? x->nb : 1, sizeof(*rows))) == NULL)
		return -1;
	if ((blobs = malloc((x->nb ? x->nb : 1) * HIST_MAX_BLOB)) == NULL) {
		free(rows);
		return -1;
	}
	for (i = 0; i < x->nb; i++) {
		rows[i] = x->b[i].s;
		rows[i].key = x->b[i].key;
		rows[i].source = x->b[i].source;
		rows[i].model = x->b[i].model;
		rows[i].hist = blobs + off;
		rows[i].hist_len = hist_encode(&x->b[i].hist, blobs + off,
		    HIST_MAX_BLOB);
		off += rows[i].hist_len;
	}
	*rowsp = rows;
	*blobsp = blobs;
	return 0;
}

/*
 * Recompute from the raw rows the buckets of [from, to): every UTC hour in
 * it, and the local day (day, when not NULL).  The rows are read before
 * the write lock is taken; the lock is held only to replace the buckets.
 */
static int
recompute(struct agg *a, struct acc *x, const char *day, int64_t from,
    int64_t to)
{
	struct db_stats	*rows = NULL;
	unsigned char	*blobs = NULL;
	char		 hfrom[TZ_HOUR_LEN], hto[TZ_HOUR_LEN];
	int		 rc = -1;

	tz_hour(from, hfrom);
	tz_hour(to, hto);
	acc_reset(x);
	x->hours_before = INT64_MAX;
	if (day == NULL)
		x->day_from = x->day_to = 0;
	if (db_rows_each(a->db, from, to, -1, -1, take_row, x) != DB_OK)
		return fail(a, "reading rows");
	if (to_rows(x, &rows, &blobs) != 0) {
		log_errx("out of memory");
		goto out;
	}
	if (db_begin(a->db) || db_stats_replace(a->db, day, hfrom, hto, rows,
	    x->nb) || db_commit(a->db)) {
		fail(a, "writing rollups");
		goto out;
	}
	rc = 0;
out:
	free(rows);
	free(blobs);
	return rc;
}

/*
 * A day that retention emptied in part cannot be recomputed: its new rows
 * (lo < id <= hi) are added to its day and to its hours before purged_ms;
 * later hours still have every raw row and are recomputed.
 */
static int
add_to_purged_day(struct agg *a, struct acc *x, int64_t from, int64_t to,
    int64_t purged_ms)
{
	struct db_stats	*rows = NULL;
	unsigned char	*blobs = NULL;
	size_t		 i;
	int		 rc = -1;

	acc_reset(x);
	x->hours_before = purged_ms;
	if (db_rows_each(a->db, from, to, a->last_id, a->max_id, take_row,
	    x) != DB_OK)
		return fail(a, "reading rows");
	if (to_rows(x, &rows, &blobs) != 0) {
		log_errx("out of memory");
		goto out;
	}
	if (db_begin(a->db) != DB_OK) {
		fail(a, "adding to old rollups");
		goto out;
	}
	for (i = 0; i < x->nb; i++)
		if (db_stats_add(a->db, &rows[i]) != DB_OK) {
			fail(a, "adding to old rollups");
			goto out;
		}
	if (db_commit(a->db) != DB_OK) {
		fail(a, "adding to old rollups");
		goto out;
	}
	rc = purged_ms < to ? recompute(a, x, NULL, purged_ms, to) : 0;
out:
	free(rows);
	free(blobs);
	return rc;
}

/* Recompute one local day and every UTC hour it overlaps. */
static int
recompute_day(struct agg *a, struct acc *x, const char *day,
    int64_t purged_ms)
{
	int64_t	 from, to;

	if (tz_day_start(day, 0, &x->day_from) ||
	    tz_day_start(day, 1, &x->day_to))
		return 0;
	snprintf(x->day, sizeof(x->day), "%s", day);
	from = x->day_from - x->day_from % HOUR_MS;
	to = x->day_to + (HOUR_MS - x->day_to % HOUR_MS) % HOUR_MS;
	if (x->day_from < purged_ms)
		return add_to_purged_day(a, x, from, to, purged_ms);
	return recompute(a, x, day, from, to);
}

static void
add_day(const char *day, void *arg)
{
	struct agg	*a = arg;
	size_t		 i;

	for (i = 0; i < a->ndays; i++)
		if (strcmp(a->days[i], day) == 0)
			return;
	if (a->ndays < AGG_MAX_DAYS && (a->days[a->ndays] = strdup(day)))
		a->ndays++;
}

static int
by_day(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every day from the oldest raw row to the newest, for --rebuild. */
static int
all_days(struct agg *a)
{
	int64_t	 lo, hi, ms;
	char	 day[TZ_DAY_LEN];
	int	 k;

	if (db_raw_span(a->db, &lo, &hi) != DB_OK)
		return fail(a, "reading the span of rows");
	if (lo < 0)
		return 0;
	tz_day(lo, day);
	for (k = 0; tz_day_start(day, k, &ms) == 0 && ms <= hi; k++) {
		char d[TZ_DAY_LEN];
		tz_day(ms, d);
		add_day(d, a);
	}
	return 0;
}

int
rollup_run(struct agg *a, int rebuild)
{
	struct db_agg_state	 st;
	struct acc		 x;
	int64_t			 start;
	size_t			 i;
	int			 rc = -1;

	memset(&x, 0, sizeof(x));
	if (db_agg_state(a->db, &st) != DB_OK)
		return fail(a, "reading state");
	a->last_id = st.last_id;
	a->max_id = st.max_id;
	if (rebuild ? all_days(a) :
	    db_agg_days(a->db, st.last_id, st.max_id, add_day, a) != DB_OK)
		return fail(a, "listing days");
	qsort(a->days, a->ndays, sizeof(a->days[0]), by_day);
	for (i = 0; i < a->ndays; i++) {
		/* A rebuild keeps what retention left of old days as it is. */
		if (rebuild && tz_day_start(a->days[i], 0, &start) == 0 &&
		    start < st.purged_ms)
			continue;
		if (recompute_day(a, &x, a->days[i], st.purged_ms))
			goto out;
	}
	a->n.rows = st.max_id - st.last_id;
	a->n.days = (long)a->ndays;
	rc = 0;
out:
	acc_free(&x);
	return rc;
}

int
rollup_done(struct agg *a)
{
	/* Only now, so a run stopped earlier judges the same days again. */
	if (db_meta_set(a->db, "agg_last_id", a->max_id) != DB_OK)
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
	if (tz_day_start(today, -(int)a->conf->retention_raw_days, &before))
		return 0;
	/* On an hour, so no hour bucket keeps only part of its rows. */
	before -= before % HOUR_MS;
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
