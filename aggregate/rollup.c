/* rollup.c — hourly and daily rollups, recomputed per touched day; retention. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "buf.h"
#include "hist.h"
#include "log.h"
#include "tz.h"

#define OUT_ROWS	4096		/* rollup rows held before writing */
#define OUT_BYTES	(4 << 20)	/* and the bytes of their names and blobs */
#define MAX_WORKERS	4		/* days rolled up at once, by threads */
/*
 * The (user, bucket) pairs a pass notes in rollup_users at most: each is
 * an insert while the write lock is held, and ingest must not wait long.
 * A day with more is read whole on every run instead.
 */
#define USERS_MAX	100000

size_t	 rollup_hash_bytes = 24 << 20;

struct bucket {
	struct db_stats	 s;
	struct hist	 hist;
};

/* A (source, model) of the day, in the hashed way. */
struct hgroup {
	const char	*source, *model;	/* after the struct */
	uint32_t	 hash;
	struct bucket	 whole;
	struct bucket	 hours[];		/* the day's nhours */
};

/* A user of a group, in the hashed way: the hours it was counted in. */
struct huser {
	uint32_t	 hash;
	uint32_t	 group;			/* UINT32_MAX: a free slot */
	uint32_t	 off, len;		/* its name in the arena */
	uint32_t	 hours;			/* bit i: counted in hour i */
	uint32_t	 day;			/* counted in the day */
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
	struct db	*db;			/* this pass's connection */
	/* What to compute. */
	int64_t		 from, to;		/* UTC ms, hour starts */
	int64_t		 lo_id, hi_id;		/* only these ids, unless -1 */
	const char	*day;			/* NULL: hours only */
	const char	*of_day;		/* the day of the hours */
	int64_t		 day_from, day_to;
	int64_t		 hours_before;		/* later hours are not summed */
	enum db_put	 add;			/* how the rows are stored */
	int		 keep;			/* note the day's users, upto */
	int		 stale;			/* run_delta(): read it whole */
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
	/* The hashed way (take_hashed()); too_big: go the sorted way. */
	int		 hashed, too_big;
	const char	*cur_source, *cur_model;	/* being emitted */
	struct hgroup	**groups;
	size_t		 ngroups, capgroups;
	struct hgroup	**order;		/* by names, to emit */
	size_t		 caporder;
	uint32_t	*gslots;		/* group index + 1; 0: free */
	size_t		 gcap;
	struct huser	*users;
	size_t		 nusers, ucap;
	char		*arena;			/* users' names */
	size_t		 aused, acap;
	size_t		 hbytes;		/* what the hashed way holds */
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

	if ((rc = db_begin(p->db)) != DB_OK || p->add)
		return rc;
	tz_hour(p->from, hfrom);
	tz_hour(p->to, hto);
	return db_stats_clear(p->db, p->day, hfrom, hto);
}

/* Write the waiting rows (inside the transaction) and empty the buffer. */
static enum db_rc
flush(struct pass *p)
{
	enum db_rc	 rc;
	size_t		 i;

	for (i = 0; i < p->nout; i++)
		if ((rc = db_stats_put(p->db, &p->out[i], p->add)) != DB_OK)
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
	size_t	 ns = strlen(p->cur_source) + 1, nm = strlen(p->cur_model) + 1;
	char	*s;

	p->gsource = p->gmodel = NULL;
	if (room(p, ns + nm))
		return -1;
	s = p->bytes + p->used;
	p->used += ns + nm;
	memcpy(s, p->cur_source, ns);
	memcpy(s + ns, p->cur_model, nm);
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

/* Queue the buckets of a group that saw rows; 0 or -1. */
static int
emit_group(struct pass *p, const char *source, const char *model,
    struct bucket *hours, struct bucket *whole)
{
	int	 i;

	p->cur_source = source;
	p->cur_model = model;
	if (keep_names(p))
		return -1;
	for (i = 0; i < p->nhours; i++)
		if (hours[i].s.requests > 0 && emit(p, &hours[i], p->hour[i]))
			return -1;
	if (whole->s.requests > 0 && emit(p, whole, p->day))
		return -1;
	p->gsource = p->gmodel = NULL;
	return 0;
}

/* Queue the group's buckets that saw rows; 0 or -1. */
static int
group_end(struct pass *p)
{
	if (!p->in_group)
		return 0;
	if (p->in_user)
		user_end(p);
	p->in_group = 0;
	return emit_group(p, p->source.p, p->model.p, p->hours, &p->whole);
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

/* ---- the hashed way ---------------------------------------------------- */

/* FNV-1a over s, continuing from h. */
static uint32_t
fnv(uint32_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* What the hashed way holds grew by n bytes: 0, or -1 past the budget. */
static int
held(struct pass *p, size_t n)
{
	p->hbytes += n;
	if (p->hbytes <= rollup_hash_bytes)
		return 0;
	p->too_big = 1;
	return -1;
}

/* Empty the hashed way's tables, keeping their room. */
static void
hash_reset(struct pass *p)
{
	size_t	 i;

	for (i = 0; i < p->ngroups; i++)
		free(p->groups[i]);
	p->ngroups = 0;
	if (p->gslots != NULL)
		memset(p->gslots, 0, p->gcap * sizeof(*p->gslots));
	for (i = 0; i < p->ucap; i++)
		p->users[i].group = UINT32_MAX;
	p->nusers = 0;
	p->aused = 0;
	p->hbytes = p->gcap * sizeof(*p->gslots) +
	    p->ucap * sizeof(*p->users) + p->acap;
}

static void
hash_free(struct pass *p)
{
	hash_reset(p);
	free(p->groups);
	free(p->order);
	free(p->gslots);
	free(p->users);
	free(p->arena);
}

/* Room for twice the groups or users in an open table of n slots. */
static int
regroup(struct pass *p)
{
	size_t		 n = p->gcap ? p->gcap * 2 : 64, i, k;
	uint32_t	*t;

	if (held(p, n * sizeof(*t)) || (t = calloc(n, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < p->ngroups; i++) {
		for (k = p->groups[i]->hash & (n - 1); t[k] != 0;
		    k = (k + 1) & (n - 1))
			;
		t[k] = (uint32_t)i + 1;
	}
	p->hbytes -= p->gcap * sizeof(*t);
	free(p->gslots);
	p->gslots = t;
	p->gcap = n;
	return 0;
}

static int
reuser(struct pass *p)
{
	size_t		 n = p->ucap ? p->ucap * 2 : 1024, i, k;
	struct huser	*t;

	if (held(p, n * sizeof(*t)) || (t = malloc(n * sizeof(*t))) == NULL)
		return -1;
	for (k = 0; k < n; k++)
		t[k].group = UINT32_MAX;
	for (i = 0; i < p->ucap; i++) {
		if (p->users[i].group == UINT32_MAX)
			continue;
		for (k = p->users[i].hash & (n - 1); t[k].group != UINT32_MAX;
		    k = (k + 1) & (n - 1))
			;
		t[k] = p->users[i];
	}
	p->hbytes -= p->ucap * sizeof(*t);
	free(p->users);
	p->users = t;
	p->ucap = n;
	return 0;
}

/* The group of source and model, made on first sight; NULL: see p. */
static struct hgroup *
group_of(struct pass *p, const char *source, const char *model,
    uint32_t *gi)
{
	uint32_t	 h = fnv(fnv(2166136261u, source) * 31, model);
	struct hgroup	*g, **ng;
	size_t		 k, ns, nm, size;

	if (p->gcap == 0 && regroup(p))
		return NULL;
	for (k = h & (p->gcap - 1); p->gslots[k] != 0;
	    k = (k + 1) & (p->gcap - 1)) {
		g = p->groups[p->gslots[k] - 1];
		if (g->hash == h && strcmp(g->source, source) == 0 &&
		    strcmp(g->model, model) == 0) {
			*gi = p->gslots[k] - 1;
			return g;
		}
	}
	ns = strlen(source) + 1;
	nm = strlen(model) + 1;
	size = sizeof(*g) + (size_t)p->nhours * sizeof(g->hours[0]) + ns + nm;
	if (held(p, size))
		return NULL;
	if (p->ngroups == p->capgroups) {
		if ((ng = realloc(p->groups, (p->capgroups ? p->capgroups * 2 :
		    16) * sizeof(*ng))) == NULL)
			goto oom;
		p->groups = ng;
		p->capgroups = p->capgroups ? p->capgroups * 2 : 16;
	}
	if ((g = calloc(1, size)) == NULL)
		goto oom;
	g->source = (char *)&g->hours[p->nhours];
	g->model = g->source + ns;
	memcpy((char *)g->source, source, ns);
	memcpy((char *)g->model, model, nm);
	g->hash = h;
	p->gslots[k] = (uint32_t)p->ngroups + 1;
	*gi = (uint32_t)p->ngroups;
	p->groups[p->ngroups++] = g;
	/* At most half full, so that probes stay short. */
	if (2 * p->ngroups > p->gcap && regroup(p))
		return NULL;
	return g;
oom:
	p->oom = 1;
	return NULL;
}

/* The user of group gi, made on first sight; NULL: see p. */
static struct huser *
user_of(struct pass *p, uint32_t gi, const char *user)
{
	uint32_t	 h = fnv(2166136261u ^ gi * 2654435761u, user);
	size_t		 k, n = strlen(user);
	struct huser	*u;
	char		*na;

	if (2 * (p->nusers + 1) > p->ucap && reuser(p))
		return NULL;
	for (k = h & (p->ucap - 1); (u = &p->users[k])->group != UINT32_MAX;
	    k = (k + 1) & (p->ucap - 1))
		if (u->hash == h && u->group == gi && u->len == n &&
		    memcmp(p->arena + u->off, user, n) == 0)
			return u;
	if (p->aused + n > p->acap) {
		size_t c = p->acap ? p->acap * 2 : 65536;
		while (c < p->aused + n)
			c *= 2;
		if (held(p, c - p->acap))
			return NULL;
		if ((na = realloc(p->arena, c)) == NULL) {
			p->oom = 1;
			return NULL;
		}
		p->arena = na;
		p->acap = c;
	}
	memcpy(p->arena + p->aused, user, n);
	u->hash = h;
	u->group = gi;
	u->off = (uint32_t)p->aused;
	u->len = (uint32_t)n;
	u->hours = u->day = 0;
	p->aused += n;
	p->nusers++;
	return u;
}

/* One row, in any order: into its group's buckets and its user's marks. */
static int
take_hashed(const struct db_row *r, void *arg)
{
	struct pass	*p = arg;
	struct hgroup	*g;
	struct huser	*u;
	uint32_t	 gi;
	int		 i = hour_of(p, r->ts_ms), in_hour, in_day;

	in_hour = i >= 0 && p->start[i] < p->hours_before;
	in_day = p->day != NULL && r->ts_ms >= p->day_from &&
	    r->ts_ms < p->day_to;
	if (!in_hour && !in_day)
		return 0;
	if ((g = group_of(p, r->source, r->model, &gi)) == NULL)
		return 1;
	if (in_hour)
		count(&g->hours[i], r);
	if (in_day)
		count(&g->whole, r);
	if (r->user_id == NULL)
		return 0;
	if ((u = user_of(p, gi, r->user_id)) == NULL)
		return 1;
	if (in_hour)
		u->hours |= 1u << i;
	u->day |= (uint32_t)in_day;
	return 0;
}

static int
by_names(const void *x, const void *y)
{
	const struct hgroup	*a = *(struct hgroup *const *)x;
	const struct hgroup	*b = *(struct hgroup *const *)y;
	int			 c = strcmp(a->source, b->source);

	return c != 0 ? c : strcmp(a->model, b->model);
}

/* Count each group's users per bucket. */
static void
count_users(struct pass *p)
{
	struct hgroup	*g;
	size_t		 k;
	int		 i;

	for (k = 0; k < p->ucap && p->nusers > 0; k++) {
		if (p->users[k].group == UINT32_MAX)
			continue;
		g = p->groups[p->users[k].group];
		for (i = 0; i < p->nhours; i++)
			g->hours[i].s.users += (p->users[k].hours >> i) & 1;
		g->whole.s.users += p->users[k].day;
	}
}

/*
 * Note each user of the pass's buckets in rollup_users; with fresh, a
 * bucket counts only the users it had not counted before.  Inside the
 * transaction.
 */
static enum db_rc
note_users(struct pass *p, int fresh)
{
	struct hgroup	*g;
	struct huser	*u;
	struct bucket	*b;
	enum db_rc	 rc;
	size_t		 k;
	int		 i, isnew;

	for (k = 0; k < p->ucap && p->nusers > 0; k++) {
		if ((u = &p->users[k])->group == UINT32_MAX)
			continue;
		g = p->groups[u->group];
		for (i = -1; i < p->nhours; i++) {
			if (i < 0 ? !u->day : !((u->hours >> i) & 1))
				continue;
			b = i < 0 ? &g->whole : &g->hours[i];
			if ((rc = db_ruser_add(p->db, p->of_day, i, g->source,
			    g->model, p->arena + u->off, u->len, &isnew)) !=
			    DB_OK)
				return rc;
			b->s.users += fresh && isnew;
		}
	}
	return DB_OK;
}

/* The inserts note_users() would make: 0, or -1 past USERS_MAX. */
static int
few_users(const struct pass *p)
{
	size_t	 k, n = 0;

	for (k = 0; k < p->ucap && p->nusers > 0 && n <= USERS_MAX; k++)
		if (p->users[k].group != UINT32_MAX)
			n += (size_t)__builtin_popcount(p->users[k].hours) +
			    p->users[k].day;
	return n <= USERS_MAX ? 0 : -1;
}

/* Queue the groups in order. */
static int
emit_groups(struct pass *p)
{
	struct hgroup	**o;
	size_t		  k;

	/* A copy: the users name their group by its place in p->groups. */
	if (p->ngroups > p->caporder) {
		if ((o = realloc(p->order, p->capgroups * sizeof(*o))) == NULL) {
			p->oom = 1;
			return -1;
		}
		p->order = o;
		p->caporder = p->capgroups;
	}
	if (p->ngroups > 0)
		memcpy(p->order, p->groups, p->ngroups * sizeof(*p->order));
	if (p->ngroups > 1)
		qsort(p->order, p->ngroups, sizeof(*p->order), by_names);
	for (k = 0; k < p->ngroups; k++)
		if (emit_group(p, p->order[k]->source, p->order[k]->model,
		    p->order[k]->hours, &p->order[k]->whole))
			return -1;
	return 0;
}

static int
hashed_end(struct pass *p)
{
	count_users(p);
	return emit_groups(p);
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
	if (p->hashed) {
		hash_reset(p);
		rc = db_rows_scan(p->db, p->from, p->to, p->lo_id, p->hi_id,
		    take_hashed, p);
		/* run_delta() counts users and queues rows itself. */
		if (rc == DB_OK && (p->add == DB_PUT_SUM || hashed_end(p) == 0))
			return 0;
	} else {
		rc = db_rows_each(p->db, p->from, p->to, p->lo_id, p->hi_id,
		    take_row, p);
		if (rc == DB_OK && group_end(p) == 0)
			return 0;
	}
	if (rc != DB_OK && rc != DB_ABORT)
		p->rc = rc;
	return -1;
}

static int
fail_on(struct agg *a, struct db *db, const char *what)
{
	log_errx("%s: %s: %s", a->conf->database, what, db_errmsg(db));
	db_rollback(db);
	return -1;
}

static int
fail(struct agg *a, const char *what)
{
	return fail_on(a, a->db, what);
}

/*
 * Read the rows of the pass, the hashed way unless its groups and users
 * would take more than rollup_hash_bytes: then the sorted way, which
 * holds one group and one user at a time.  0, or -1 with p saying why.
 */
static int
read_all(struct pass *p)
{
	if (read_rows(p) == 0)
		return 0;
	if (!p->too_big)
		return -1;
	p->too_big = 0;
	p->hashed = 0;
	return read_rows(p);
}

static int
pass_failed(struct pass *p)
{
	if (p->oom) {
		log_errx("out of memory");
		db_rollback(p->db);
		return -1;
	}
	return fail_on(p->a, p->db, "writing rollups");
}

/*
 * What rollup_days and rollup_users say of the pass's day, in its
 * transaction: a whole recent day read the hashed way is known from now
 * on (its users and upto_id); any other pass makes it unknown.
 */
static enum db_rc
known(struct pass *p)
{
	enum db_rc	 rc;

	if ((rc = db_upto_set(p->db, p->of_day, -1)) != DB_OK ||
	    !p->keep || !p->hashed || few_users(p) != 0)
		return rc;
	if ((rc = note_users(p, 0)) != DB_OK)
		return rc;
	return db_upto_set(p->db, p->of_day, p->hi_id);
}

/*
 * Run a pass: the rows are read before the write lock is taken, which is
 * then held only to write them; a pass too big for the buffer is read
 * again holding the lock, writing as it goes.
 */
static int
run_pass(struct pass *p)
{
	p->in_tx = p->overflow = p->oom = p->too_big = 0;
	p->hashed = rollup_hash_bytes > 0;
	p->rc = DB_OK;
	if (read_all(p) != 0) {
		if (!p->overflow)
			goto fail;
		p->overflow = 0;
		p->in_tx = 1;
		if ((p->rc = begin(p)) != DB_OK || read_all(p) != 0)
			goto fail;
	} else if ((p->rc = begin(p)) != DB_OK)
		goto fail;
	if ((p->rc = flush(p)) != DB_OK || (p->rc = known(p)) != DB_OK ||
	    (p->rc = db_commit(p->db)) != DB_OK)
		goto fail;
	return 0;
fail:
	return pass_failed(p);
}

/*
 * Add the rows of a known day past its upto_id: counts add up, and each
 * bucket counts the users that rollup_users did not know.  The rows are
 * read before the write lock, as in run_pass().  -1 with p->stale when
 * the day must be read whole instead: its new rows do not fit the hashed
 * way, or another run moved its upto_id meanwhile.
 */
static int
run_delta(struct pass *p)
{
	int64_t	 upto;

	p->in_tx = p->overflow = p->oom = p->too_big = p->stale = 0;
	p->hashed = 1;
	p->rc = DB_OK;
	if (read_rows(p) != 0) {
		p->stale = p->too_big;
		goto fail;
	}
	if (few_users(p) != 0) {
		p->stale = 1;
		goto fail;
	}
	p->in_tx = 1;		/* the queue writes as it fills */
	if ((p->rc = db_begin(p->db)) != DB_OK ||
	    (p->rc = db_upto_get(p->db, p->of_day, &upto)) != DB_OK)
		goto fail;
	if (upto != p->lo_id) {
		p->stale = 1;
		goto fail;
	}
	if ((p->rc = note_users(p, 1)) != DB_OK || emit_groups(p) != 0 ||
	    (p->rc = flush(p)) != DB_OK ||
	    (p->rc = db_upto_set(p->db, p->of_day, p->hi_id)) != DB_OK ||
	    (p->rc = db_commit(p->db)) != DB_OK)
		goto fail;
	return 0;
fail:
	if (p->stale && !p->oom) {
		db_rollback(p->db);
		return -1;
	}
	p->stale = 0;
	return pass_failed(p);
}

/*
 * Recompute one local day and each of its local hours from the raw rows.
 * A recent day (today or yesterday) whose rollups are known (rollup_days)
 * only adds its new rows: a busy day holds millions, and reading them all
 * every minute would take longer as the day goes on.  A day that
 * retention emptied in part cannot be recomputed: its new rows
 * (last_id < id <= max_id) are added to the day and to its hours that
 * start before purged_ms, and the later hours, which still have every raw
 * row, are recomputed.
 */
static int
recompute_day(struct agg *a, struct pass *p, const char *day,
    int64_t purged_ms, int rebuild)
{
	int64_t	 upto = -1;
	int	 i;

	if ((p->nhours = tz_day_hours(day, p->start)) < 0) {
		log_errx("rollup: \"%s\" is not a day", day);
		return -1;
	}
	for (i = 0; i < p->nhours; i++)
		tz_hour(p->start[i], p->hour[i]);
	p->day_from = p->from = p->start[0];
	p->day_to = p->to = p->start[p->nhours];
	p->day = p->of_day = day;
	p->add = DB_PUT_NEW;
	p->keep = 0;
	p->lo_id = p->hi_id = -1;
	p->hours_before = INT64_MAX;
	if (p->day_from >= purged_ms) {
		if (strcmp(day, a->recent) < 0 || rollup_hash_bytes == 0)
			return run_pass(p);
		if (!rebuild && db_upto_get(p->db, day, &upto) != DB_OK)
			return fail_on(a, p->db, "reading rollup_days");
		if (upto >= 0 && upto <= a->max_id) {
			p->add = DB_PUT_SUM;
			p->lo_id = upto;
			p->hi_id = a->max_id;
			if (run_delta(p) == 0)
				return 0;
			if (!p->stale)
				return -1;
			p->add = DB_PUT_NEW;
		}
		/* Exactly the rows up to max_id, which upto_id then says. */
		p->keep = 1;
		p->lo_id = 0;
		p->hi_id = a->max_id;
		return run_pass(p);
	}
	p->add = DB_PUT_ADD;
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
	p->add = DB_PUT_NEW;
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
	if (p == NULL)
		return;
	hash_free(p);
	buf_free(&p->source);
	buf_free(&p->model);
	buf_free(&p->user);
	free(p->out);
	free(p->bytes);
	free(p);
}

static struct pass *
pass_new(struct agg *a, struct db *db)
{
	struct pass	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->a = a;
	p->db = db;
	if ((p->out = calloc(OUT_ROWS, sizeof(*p->out))) == NULL ||
	    (p->bytes = malloc(OUT_BYTES)) == NULL) {
		pass_free(p);
		return NULL;
	}
	return p;
}

/* The days of a run, shared by the threads that roll them up. */
struct work {
	struct agg	*a;
	int		 rebuild;
	int64_t		 purged_ms;
	pthread_mutex_t	 mu;
	size_t		 next;		/* the next day to take */
	int		 failed;
};

/* Roll up days until none is left or a thread failed; 0 or -1. */
static int
work_days(struct work *w, struct pass *p)
{
	struct agg	*a = w->a;
	int64_t		 start;
	size_t		 i;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		i = w->failed ? a->ndays : w->next++;
		pthread_mutex_unlock(&w->mu);
		if (i >= a->ndays)
			return 0;
		/* A rebuild keeps what retention left of old days as it is. */
		if (w->rebuild && tz_day_start(a->days[i], 0, &start) == 0 &&
		    start < w->purged_ms)
			continue;
		if (recompute_day(a, p, a->days[i], w->purged_ms, w->rebuild)) {
			pthread_mutex_lock(&w->mu);
			w->failed = 1;
			pthread_mutex_unlock(&w->mu);
			return -1;
		}
	}
}

/* A second thread: its own connection and pass. */
struct helper {
	struct work	*w;
	struct db	*db;
	pthread_t	 th;
	int		 rc;
};

static void *
helper_run(void *arg)
{
	struct helper	*h = arg;
	struct pass	*p;

	if ((p = pass_new(h->w->a, h->db)) == NULL) {
		log_errx("out of memory");
		pthread_mutex_lock(&h->w->mu);
		h->w->failed = 1;
		pthread_mutex_unlock(&h->w->mu);
		h->rc = -1;
		return NULL;
	}
	h->rc = work_days(h->w, p);
	pass_free(p);
	return NULL;
}

/*
 * Days are independent: up to one thread per core rolls them up, each
 * with its own connection (they take turns only for the write lock).
 */
static int
roll_days(struct agg *a, int rebuild, int64_t purged_ms)
{
	struct work	 w = { a, rebuild, purged_ms,
	    PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	struct helper	 h[MAX_WORKERS - 1];
	struct pass	*p;
	char		 err[512];
	long		 cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t		 n = 0, want, i;
	int		 rc;

	want = cpus > 1 ? (size_t)cpus : 1;
	if (want > MAX_WORKERS)
		want = MAX_WORKERS;
	if (want > a->ndays)
		want = a->ndays;
	for (; n + 1 < want; n++) {
		h[n].w = &w;
		h[n].rc = 0;
		if (db_open(&h[n].db, a->conf->database, DB_WRITE,
		    a->conf->ingest.synchronous, AGG_BUSY_MS, err,
		    sizeof(err)) != DB_OK)
			break;		/* fewer threads, then */
		if (pthread_create(&h[n].th, NULL, helper_run, &h[n]) != 0) {
			db_close(h[n].db);
			break;
		}
	}
	if ((p = pass_new(a, a->db)) == NULL) {
		log_errx("out of memory");
		pthread_mutex_lock(&w.mu);
		w.failed = 1;
		pthread_mutex_unlock(&w.mu);
		rc = -1;
	} else
		rc = work_days(&w, p);
	pass_free(p);
	for (i = 0; i < n; i++) {
		pthread_join(h[i].th, NULL);
		db_close(h[i].db);
		if (h[i].rc != 0)
			rc = -1;
	}
	return rc;
}

int
rollup_run(struct agg *a, int rebuild)
{
	struct db_agg_state	 st;
	char			 today[TZ_DAY_LEN];
	int64_t			 pending = 0, ms;
	enum db_rc		 rc;

	if (db_agg_state(a->db, &st) != DB_OK ||
	    db_meta_get(a->db, "rebuild_pending", &pending) != DB_OK)
		return fail(a, "reading state");
	a->last_id = st.last_id;
	a->max_id = st.max_id;
	/* Yesterday and today: the days whose rollups a run adds to. */
	tz_day(a->now_ms, today);
	if (tz_day_start(today, -1, &ms) == 0)
		tz_day(ms, a->recent);
	else
		snprintf(a->recent, sizeof(a->recent), "%s", today);
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
	if (roll_days(a, rebuild, st.purged_ms))
		return -1;
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
	if (db_upto_prune(a->db, a->recent) != DB_OK)
		return fail(a, "forgetting the users of older days");
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
