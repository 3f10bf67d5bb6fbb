/* alert.c — alert rules per day and scope, with Alertmanager-like states. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "agg.h"
#include "budget.h"
#include "buf.h"
#include "fmt.h"
#include "hist.h"
#include "log.h"
#include "ts.h"
#include "tz.h"
#include "utf8.h"

#define FOLD_NAMES	3	/* names a folded alert's message lists */
#define HOUR_MS		3600000LL

/* The scopes of a kind past alerts.max_scopes, for one rule. */
struct fold {
	long			 n;
	enum alert_severity	 severity;
	char			 names[ALERT_MESSAGE_MAX];
};

/*
 * Judging one day.  The day's stored alerts are loaded first (at most
 * max_scopes of a rule and kind ever have their own), then the scopes
 * stream by: "all", each source in turn, each unpriced model.
 */
/*
 * The sources with a request in the last alerts.no_data_minutes (requests
 * 1), read before the alerts' write transaction: whether one came is all
 * the rule asks, and at a busy source that window holds millions of rows.
 */
struct window {
	struct db_stats	*v;		/* source (malloc'd) and requests */
	size_t		 n, cap;
};

struct judge {
	struct agg	*a;
	struct window	*win;
	const char	*day;
	struct alert	*have;		/* the day's alerts, by rule and scope */
	unsigned char	*seen;		/* have[i] was judged */
	size_t		 nhave, cap;
	long		 own[ALERT__RULES][2];	/* sources, models with their own */
	struct fold	 fold[ALERT__RULES][2];
	struct scope	 all, src;	/* the source being summed */
	char		*srcname;
	int		 today;		/* day is now's */
	int		 failed;
};

static const char *const events[] = { "fire", "escalate", "resolve",
    "repeat" };

/* Index of a client-named kind in own[] and fold[]. */
static int
kind_index(enum scope_kind k)
{
	return k == SCOPE_MODEL ? 1 : 0;
}

/*
 * The text of msg.key with its {name}s filled (name, value pairs, then
 * NULL) as v's message, cut between characters if it is too long.
 */
static void
say(const struct msg *m, struct verdict *v, const char *key, ...)
{
	struct buf	 b = { 0 };
	va_list		 ap;

	va_start(ap, key);
	msg_vfmt(m, &b, "msg", key, ap);
	va_end(ap);
	/* Out of memory: the message says which text it lacks. */
	utf8_snprintf(v->message, sizeof(v->message), "%s",
	    b.failed ? key : b.p);
	buf_free(&b);
}

static void
rule_cost(const struct conf *c, const struct msg *m, const struct scope *s,
    struct verdict *v)
{
	double	 limit = (double)c->alerts.daily_cost_nusd / 1e9;
	char	 cost[FMT_LEN], max[FMT_LEN], share[FMT_LEN];

	v->value = (double)s->cost_nusd / 1e9;
	v->threshold = limit;
	if (limit <= 0)
		return;
	fmt_money(s->cost_nusd, 2, cost, sizeof(cost));
	fmt_money(c->alerts.daily_cost_nusd, 2, max, sizeof(max));
	if (v->value >= limit) {
		v->firing = 1;
		v->severity = ALERT_CRITICAL;
		say(m, v, "alert_cost_critical", "cost", cost, "limit", max,
		    NULL);
	} else if (c->alerts.warn_ratio > 0 &&
	    v->value >= c->alerts.warn_ratio * limit) {
		v->firing = 1;
		v->severity = ALERT_WARNING;
		fmt_pct(c->alerts.warn_ratio * 100, 0, share, sizeof(share));
		say(m, v, "alert_cost_warning", "cost", cost, "share", share,
		    "limit", max, NULL);
	}
}

static void
rule_errors(const struct conf *c, const struct msg *m, const struct scope *s,
    struct verdict *v)
{
	double	 limit = c->alerts.error_rate;
	char	 rate[FMT_LEN], max[FMT_LEN], fail[FMT_LEN], req[FMT_LEN];

	v->value = s->requests ? (double)s->failures / (double)s->requests : 0;
	v->threshold = limit;
	if (limit <= 0 || s->requests < c->alerts.min_requests ||
	    v->value <= limit)
		return;
	v->firing = 1;
	v->severity = v->value > 2 * limit ? ALERT_CRITICAL : ALERT_WARNING;
	fmt_pct(v->value * 100, 1, rate, sizeof(rate));
	fmt_pct(limit * 100, 1, max, sizeof(max));
	fmt_int(s->failures, fail, sizeof(fail));
	fmt_int(s->requests, req, sizeof(req));
	say(m, v, "alert_error_rate", "rate", rate, "failures", fail,
	    "requests", req, "limit", max, NULL);
}

static void
rule_latency(const struct conf *c, const struct msg *m,
    const struct scope *s, struct verdict *v)
{
	double	 limit = c->alerts.latency_p95_s;
	char	 p95[FMT_LEN], max[FMT_LEN];

	v->value = (double)hist_quantile(&s->hist, 0.95) / 1e6;
	v->threshold = limit;
	if (limit <= 0 || v->value <= limit)
		return;
	v->firing = 1;
	v->severity = ALERT_WARNING;
	fmt_num(v->value, 2, "", p95, sizeof(p95));
	fmt_num(limit, 2, "", max, sizeof(max));
	say(m, v, "alert_latency_p95", "p95", p95, "limit", max, NULL);
}

/* Requests that reported tokens but got no cost: say which case it is. */
static void
rule_unpriced(const struct conf *c, const struct msg *m,
    const struct scope *s, struct verdict *v)
{
	char	 n[FMT_LEN];

	v->value = (double)s->unpriced;
	v->threshold = 0;
	if (s->unpriced == 0)
		return;
	v->firing = 1;
	v->severity = ALERT_WARNING;
	fmt_int(s->unpriced, n, sizeof(n));
	if (s->name[0] == '\0')
		say(m, v, "alert_unpriced_no_model", "n", n, NULL);
	else
		say(m, v, conf_price(c, s->name) != NULL ?
		    "alert_unpriced_no_tokens" : "alert_unpriced_no_price",
		    "n", n, "model", s->name, NULL);
}

void
rule_judge(const struct conf *c, const struct msg *m, enum alert_rule r,
    const struct scope *s, struct verdict *v)
{
	static void (*const rules[ALERT__RULES])(const struct conf *,
	    const struct msg *, const struct scope *, struct verdict *) = {
	    rule_cost, rule_errors, rule_latency, rule_unpriced };

	memset(v, 0, sizeof(*v));
	rules[r](c, m, s, v);
}

static char *
payload(const struct alert *al, const char *event, int64_t now_ms)
{
	cJSON	*o = alert_json(al);
	char	 t[TS_RFC3339_LEN], *s = NULL;

	if (o == NULL)
		return NULL;
	ts_format_rfc3339(now_ms, t);
	if (cJSON_AddStringToObject(o, "event", event) != NULL &&
	    cJSON_AddStringToObject(o, "time", t) != NULL &&
	    (al->fired_ms < 0 || (ts_format_rfc3339(al->fired_ms, t),
	    cJSON_AddStringToObject(o, "fired", t) != NULL)))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int
queue(struct agg *a, const struct alert *al, const char *event,
    const char *held)
{
	char		*p = payload(al, event, a->now_ms);
	enum db_rc	 rc;

	if (p == NULL) {
		log_errx("out of memory");
		return -1;
	}
	rc = db_outbox_add(a->db, al->id, event, p, a->now_ms, held,
	    a->notifiers, a->conf->nnotify);
	cJSON_free(p);
	if (held != NULL)
		a->n.held++;
	return rc == DB_OK ? 0 : -1;
}

/*
 * Why an event of al is not sent, or NULL: its day is older than
 * alerts.notify_max_age_hours (a history import), a silence covers it,
 * or it resolves an alert that was never sent.
 */
static const char *
held(struct agg *a, struct alert *al, const char *event)
{
	int64_t	 end;

	al->silenced_ms = alert_silenced(al, a->silences, a->nsilences,
	    a->now_ms);
	if (tz_day_start(al->day, 1, &end) == 0 &&
	    end < a->now_ms - a->conf->alerts.notify_max_age_hours * HOUR_MS)
		return "old";
	if (al->silenced_ms > 0)
		return "silenced";
	if (strcmp(event, "resolve") == 0 && al->notified_ms < 0)
		return "unsent";
	return NULL;
}

/*
 * What an active alert with no new state is due: "fire" when its firing
 * was held back and may be sent now (a silence ended), "repeat" when it
 * is critical and was last sent alerts.repeat_hours ago.
 */
static const char *
due(struct agg *a, struct alert *al)
{
	long	 every = a->conf->alerts.repeat_hours;
	char	 today[TZ_DAY_LEN];

	/* A day that is over is judged once more to close: no news. */
	tz_day(a->now_ms, today);
	if (strcmp(al->day, today) != 0 || held(a, al, "fire") != NULL)
		return NULL;
	if (al->notified_ms < 0)
		return events[0];
	if (al->severity == ALERT_CRITICAL && every > 0 &&
	    a->now_ms - al->notified_ms >= every * HOUR_MS)
		return events[3];
	return NULL;
}

/* Move one alert to the state the verdict asks for; queue what changed. */
static int
apply(struct agg *a, struct alert *al, const struct verdict *v)
{
	const char	*event = NULL, *why = NULL;
	int		 active = al->id != 0 && ALERT_ACTIVE(al), changed;

	/* A day that is over keeps its closed alerts, value and all. */
	if (al->id != 0 && al->state == ALERT_CLOSED)
		return 0;
	if (al->id == 0)
		al->notified_ms = -1;
	if (!v->firing) {
		if (!active)
			return 0;
		al->state = ALERT_RESOLVED;
		al->resolved_ms = a->now_ms;
		event = events[2];
		a->n.resolved++;
	} else if (!active) {
		al->severity = v->severity;
		al->state = ALERT_FIRING;
		al->fired_ms = a->now_ms;
		al->resolved_ms = -1;
		event = events[0];
		a->n.fired++;
	} else if (v->severity == ALERT_CRITICAL &&
	    al->severity == ALERT_WARNING) {
		al->severity = ALERT_CRITICAL;
		al->state = ALERT_ESCALATED;
		event = events[1];
		a->n.escalated++;
	}
	/* An active alert follows its value; it never drops in severity. */
	changed = event != NULL || al->value != v->value;
	if (changed) {
		al->value = v->value;
		al->threshold = v->threshold;
		if (v->firing && (event != NULL ||
		    v->severity == al->severity))
			memcpy(al->message, v->message, sizeof(al->message));
		al->updated_ms = a->now_ms;
	}
	if (event == NULL && (event = due(a, al)) != NULL &&
	    strcmp(event, events[3]) == 0)
		a->n.repeated++;
	if (event != NULL && (why = held(a, al, event)) == NULL)
		al->notified_ms = strcmp(event, events[2]) == 0 ? -1 :
		    a->now_ms;
	if (!changed && event == NULL)
		return 0;
	if (db_alert_put(a->db, al) != DB_OK)
		return -1;
	return event ? queue(a, al, event, why) : 0;
}

/* What the day's alerts are sorted and looked up by. */
struct key {
	enum alert_rule	 rule;
	const char	*scope;
};

static int
cmp_key(const void *x, const void *y)
{
	const struct key	*k = x;
	const struct alert	*q = y;

	if (k->rule != q->rule)
		return k->rule < q->rule ? -1 : 1;
	return strcmp(k->scope, q->scope);
}

static int
by_rule_scope(const void *x, const void *y)
{
	const struct alert	*p = x;
	struct key		 k = { p->rule, p->scope };

	return cmp_key(&k, y);
}

/* The stored alert of rule and scope on the day, or -1. */
static long
find(const struct judge *j, enum alert_rule rule, const char *scope)
{
	struct key	 k = { rule, scope };
	struct alert	*hit;

	if (j->nhave == 0)
		return -1;
	hit = bsearch(&k, j->have, j->nhave, sizeof(*hit), cmp_key);
	return hit ? hit - j->have : -1;
}

/* Judge one scope for one rule: on its own alert, or into the fold. */
static void
judge_scope(struct judge *j, enum alert_rule rule, const struct scope *s,
    const struct verdict *v)
{
	struct agg	*a = j->a;
	struct fold	*f;
	struct alert	 al;
	struct buf	 name = { 0 };
	char		 scope[ALERT_SCOPE_MAX];
	long		 i;
	int		 k = kind_index(s->kind);
	size_t		 len;

	if (j->failed)
		return;
	if (utf8_snprintf(scope, sizeof(scope), "%s%s", s->kind ==
	    SCOPE_SOURCE ? "source:" : s->kind == SCOPE_MODEL ? "model:" :
	    s->kind == SCOPE_MORE ? "more:" : s->kind == SCOPE_USER ? "user:" :
	    "", s->name) >=
	    (int)sizeof(scope)) {
		log_errx("alerts: scope \"%s\" is too long", s->name);
		j->failed = 1;
		return;
	}
	if ((i = find(j, rule, scope)) >= 0) {
		j->seen[i] = 1;
		if (apply(a, &j->have[i], v))
			j->failed = 1;
		return;
	}
	if (!v->firing)
		return;
	/* "all", budgets and folds are not named by clients: never folded. */
	if (s->kind == SCOPE_ALL || s->kind == SCOPE_MORE ||
	    rule == ALERT_BUDGET || rule == ALERT_MONTHLY_BUDGET ||
	    j->own[rule][k] < a->conf->alerts.max_scopes) {
		if (s->kind == SCOPE_SOURCE || s->kind == SCOPE_MODEL)
			j->own[rule][k]++;
		memset(&al, 0, sizeof(al));
		al.rule = rule;
		memcpy(al.scope, scope, sizeof(al.scope));
		snprintf(al.day, sizeof(al.day), "%s", j->day);
		al.resolved_ms = -1;
		if (apply(a, &al, v))
			j->failed = 1;
		return;
	}
	/* Past max_scopes: one alert for the rest, naming a few. */
	f = &j->fold[rule][k];
	if (f->n++ == 0 || v->severity > f->severity)
		f->severity = v->severity;
	if (f->n <= FOLD_NAMES) {
		len = strlen(f->names);
		if (len > 0)
			buf_puts(&name, msg_get(a->msg, "msg", "fold_sep"));
		msg_fmt(a->msg, &name, "msg", "fold_name", "name",
		    s->name[0] ? s->name : msg_get(a->msg, "msg", "fold_none"),
		    NULL);
		if (name.failed) {
			log_errx("out of memory");
			j->failed = 1;
		} else
			utf8_snprintf(f->names + len, sizeof(f->names) - len,
			    "%s", name.p);
		buf_free(&name);
	}
}

/* The rules of "all" and of a source: all but unpriced_model. */
static void
judge_totals(struct judge *j, const struct scope *s)
{
	struct verdict	 v;
	int		 r;

	for (r = 0; r < ALERT_UNPRICED_MODEL; r++) {
		rule_judge(j->a->conf, j->a->msg, (enum alert_rule)r, s, &v);
		judge_scope(j, (enum alert_rule)r, s, &v);
	}
}

static void
scope_add(struct scope *s, const struct db_stats *r)
{
	s->requests += r->requests;
	s->failures += r->failures;
	s->cost_nusd += r->cost_nusd;
	s->unpriced += r->unpriced;
	hist_decode_add(&s->hist, r->hist, r->hist_len);
}

static int
take_all(const struct db_stats *r, void *arg)
{
	struct judge	*j = arg;

	scope_add(&j->all, r);
	return 0;
}

/* Rows come by source: judge a source when the next one starts. */
static int
take_source(const struct db_stats *r, void *arg)
{
	struct judge	*j = arg;

	if (j->srcname == NULL || strcmp(j->srcname, r->source) != 0) {
		if (j->srcname != NULL)
			judge_totals(j, &j->src);
		free(j->srcname);
		if ((j->srcname = strdup(r->source)) == NULL) {
			log_errx("out of memory");
			j->failed = 1;
		}
		memset(&j->src, 0, sizeof(j->src));
		j->src.kind = SCOPE_SOURCE;
		j->src.name = j->srcname;
	}
	if (!j->failed)
		scope_add(&j->src, r);
	return j->failed;
}

static int
take_unpriced(const char *model, int64_t n, void *arg)
{
	struct judge	*j = arg;
	struct scope	 s;
	struct verdict	 v;

	memset(&s, 0, sizeof(s));
	s.kind = SCOPE_MODEL;
	s.name = model;
	s.unpriced = n;
	rule_judge(j->a->conf, j->a->msg, ALERT_UNPRICED_MODEL, &s, &v);
	judge_scope(j, ALERT_UNPRICED_MODEL, &s, &v);
	return j->failed;
}

static int
keep(const struct alert *al, void *arg)
{
	struct judge	*j = arg;
	const char	*name;
	enum scope_kind	 k;

	if (grow(&j->have, &j->cap, j->nhave + 1, sizeof(*al)))
		return 1;
	j->have[j->nhave++] = *al;
	k = alert_scope_kind(al->scope, &name);
	if (k == SCOPE_SOURCE || k == SCOPE_MODEL)
		j->own[al->rule][kind_index(k)]++;
	return 0;
}

/* The fold alert of rule r and kind k (sources 0, models 1) into v. */
static void
fold_verdict(struct judge *j, int r, int k, struct verdict *v)
{
	const struct fold	*f = &j->fold[r][k];
	struct buf		 names = { 0 };
	char			 key[64], n[FMT_LEN];

	memset(v, 0, sizeof(*v));
	v->value = (double)f->n;
	if (f->n == 0)
		return;
	v->firing = 1;
	v->severity = f->severity;
	buf_puts(&names, f->names);
	if (f->n > FOLD_NAMES)
		buf_puts(&names, msg_get(j->a->msg, "msg", "fold_etc"));
	fmt_int(f->n, n, sizeof(n));
	snprintf(key, sizeof(key), "fold_%s_%s",
	    alert_rule_name((enum alert_rule)r), k ? "model" : "source");
	say(j->a->msg, v, key, "n", n, "names", names.failed ? "" : names.p,
	    NULL);
	buf_free(&names);
}

/* The rules judged on the hour under way: today's alerts only. */
static int
today_rule(enum alert_rule r)
{
	return r == ALERT_MONTHLY_BUDGET || r == ALERT_ANOMALY ||
	    r == ALERT_NO_DATA;
}

/* The scope a budget names, as the judge takes it. */
static void
budget_scope(const struct conf_budget *b, struct scope *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = alert_scope_kind(b->scope, &s->name);
}

/*
 * Cost against a budget: critical at it, warning at alerts.warn_ratio;
 * key is the start of the texts' keys ("alert_budget_day").
 */
static void
rule_limit(const struct conf *c, const struct msg *m, const char *key,
    int64_t spent, int64_t limit, struct verdict *v)
{
	char	 cost[FMT_LEN], max[FMT_LEN], share[FMT_LEN], k[64];

	v->value = (double)spent / 1e9;
	v->threshold = (double)limit / 1e9;
	fmt_money(spent, 2, cost, sizeof(cost));
	fmt_money(limit, 2, max, sizeof(max));
	fmt_pct(c->alerts.warn_ratio * 100, 0, share, sizeof(share));
	if (spent >= limit) {
		v->firing = 1;
		v->severity = ALERT_CRITICAL;
		snprintf(k, sizeof(k), "%s_critical", key);
		say(m, v, k, "cost", cost, "limit", max, NULL);
	} else if (c->alerts.warn_ratio > 0 &&
	    (double)spent >= c->alerts.warn_ratio * (double)limit) {
		v->firing = 1;
		v->severity = ALERT_WARNING;
		snprintf(k, sizeof(k), "%s_warning", key);
		say(m, v, k, "cost", cost, "share", share, "limit", max, NULL);
	}
}

/* Each budget's daily limit against the day's cost of its scope. */
static void
judge_budgets(struct judge *j)
{
	const struct conf	*c = j->a->conf;
	const struct conf_budget *b;
	struct scope		 s;
	struct verdict		 v;
	char			 next[TZ_DAY_LEN];
	int64_t			 ms, spent;
	size_t			 i;

	if (tz_day_start(j->day, 1, &ms)) {
		j->failed = 1;
		return;
	}
	tz_day(ms, next);
	for (i = 0; i < c->alerts.nbudgets && !j->failed; i++) {
		b = &c->alerts.budgets[i];
		if (b->daily_nusd <= 0)
			continue;
		if (budget_days_cost(j->a->db, b->scope, j->day, next, &spent) !=
		    DB_OK) {
			j->failed = 1;
			return;
		}
		memset(&v, 0, sizeof(v));
		rule_limit(c, j->a->msg, "alert_budget_day", spent,
		    b->daily_nusd, &v);
		budget_scope(b, &s);
		judge_scope(j, ALERT_BUDGET, &s, &v);
	}
}

/* The month to date against a monthly budget, and where it is going. */
static void
rule_month(const struct conf *c, const struct msg *m,
    const struct budget_month *bm, struct verdict *v)
{
	char		 cost[FMT_LEN], max[FMT_LEN], f[FMT_LEN], d[16];
	struct buf	 date = { 0 };
	struct tm	 tm;
	time_t		 t;

	memset(v, 0, sizeof(*v));
	rule_limit(c, m, "alert_budget_month", bm->spent_nusd, bm->limit_nusd,
	    v);
	if ((v->firing && v->severity == ALERT_CRITICAL) || bm->reach_ms <= 0)
		return;
	fmt_money(bm->spent_nusd, 2, cost, sizeof(cost));
	fmt_money(bm->limit_nusd, 2, max, sizeof(max));
	fmt_money(bm->forecast_nusd, 2, f, sizeof(f));
	t = (time_t)(bm->reach_ms / 1000);
	localtime_r(&t, &tm);
	snprintf(d, sizeof(d), "%d", tm.tm_mday);
	msg_fmt(m, &date, "msg", "date_month_day", "month", msg_item(m, "list",
	    "month", tm.tm_mon), "d", d, NULL);
	v->firing = 1;
	v->severity = ALERT_WARNING;
	say(m, v, "alert_budget_month_forecast", "forecast", f, "limit", max,
	    "cost", cost, "date", date.failed ? "" : date.p, NULL);
	buf_free(&date);
}

/*
 * One scope's hour: the hour under way, the same local hour of each of
 * the 7 days before, whether it had traffic a week ago (it has a week of
 * history), and its records in the last alerts.no_data_minutes.
 */
struct hsum {
	char	*source;		/* NULL: "all" */
	int64_t	 req, fail, cost;	/* the hour under way */
	int64_t	 wreq, wfail, wcost;	/* the week's same hours */
	int64_t	 recent;
	int	 old;
};

struct hours {
	struct hsum	*v;		/* v[0] is "all" */
	size_t		 n, cap, last;
	int		 phase, days;
};

enum { PH_NOW, PH_WEEK, PH_OLD };

#define WEEK_DAYS		7
#define NO_DATA_EXPECT		10	/* records the week says are due */
#define ANOMALY_MIN_NUSD	10000000LL	/* $0.01 an hour */

static struct hsum *
hsum_get(struct hours *h, const char *source)
{
	size_t	 i;

	if (h->last > 0 && strcmp(h->v[h->last].source, source) == 0)
		return &h->v[h->last];
	for (i = 1; i < h->n; i++)
		if (strcmp(h->v[i].source, source) == 0)
			return &h->v[h->last = i];
	if (grow(&h->v, &h->cap, h->n + 1, sizeof(*h->v)))
		return NULL;
	memset(&h->v[h->n], 0, sizeof(*h->v));
	if ((h->v[h->n].source = strdup(source)) == NULL)
		return NULL;
	return &h->v[h->last = h->n++];
}

static int
take_hour(const struct db_stats *r, void *arg)
{
	struct hours	*h = arg;
	struct hsum	*x[2];
	int		 k;

	x[0] = &h->v[0];
	if ((x[1] = hsum_get(h, r->source)) == NULL) {
		log_errx("out of memory");
		return 1;
	}
	for (k = 0; k < 2; k++)
		if (h->phase == PH_NOW) {
			x[k]->req += r->requests;
			x[k]->fail += r->failures;
			x[k]->cost += r->cost_nusd;
		} else if (h->phase == PH_WEEK) {
			x[k]->wreq += r->requests;
			x[k]->wfail += r->failures;
			x[k]->wcost += r->cost_nusd;
		} else if (r->requests > 0)
			x[k]->old = 1;
	return 0;
}

static int
take_recent(const struct db_stats *r, void *arg)
{
	struct hours	*h = arg;
	struct hsum	*x;

	if ((x = hsum_get(h, r->source)) == NULL) {
		log_errx("out of memory");
		return 1;
	}
	x->recent += r->requests;
	h->v[0].recent += r->requests;
	return 0;
}

/*
 * The key of the hour of the local day that starts at local clock hour
 * clock (-1: the hour holding ms, whose clock hour goes to *clock).
 */
static int
hour_of(const char *day, int64_t ms, int *clock, char *key)
{
	int64_t		 st[TZ_DAY_HOURS + 1];
	struct tm	 tm;
	time_t		 t;
	int		 i, n = tz_day_hours(day, st);

	for (i = 0; i < n; i++) {
		t = (time_t)(st[i] / 1000);
		localtime_r(&t, &tm);
		if (*clock < 0 ? st[i] <= ms && ms < st[i + 1] :
		    tm.tm_hour == *clock) {
			*clock = tm.tm_hour;
			tz_hour(st[i], key);
			return 0;
		}
	}
	return -1;
}

/* Rows of one hour key, or of one day key, into h. */
static enum db_rc
read_key(struct agg *a, enum db_grain g, const char *key, struct hours *h)
{
	char	 to[TZ_HOUR_LEN + 1];

	snprintf(to, sizeof(to), "%s~", key);
	return db_stats_each(a->db, g, key, to, take_hour, h);
}

static int
keep_window(const char *source, void *arg)
{
	struct window	*w = arg;
	char		*src;

	if (grow(&w->v, &w->cap, w->n + 1, sizeof(*w->v)) ||
	    (src = strdup(source)) == NULL)
		return 1;
	memset(&w->v[w->n], 0, sizeof(*w->v));
	w->v[w->n].source = src;
	w->v[w->n++].requests = 1;
	return 0;
}

/* Read the window (alerts_run(), before its transaction); 0 or -1. */
static int
read_window(struct agg *a, struct window *w)
{
	long		 m = a->conf->alerts.no_data_minutes;
	char		 today[TZ_DAY_LEN], since[TZ_DAY_LEN];
	int64_t		 ms;
	enum db_rc	 rc;

	if (m <= 0)
		return 0;
	/* A source without traffic 7 days ago is not judged. */
	tz_day(a->now_ms, today);
	if (tz_day_start(today, -(WEEK_DAYS + 1), &ms) != 0)
		ms = 0;
	tz_day(ms, since);
	if ((rc = db_sources_seen(a->db, since, a->now_ms - m * 60000 + 1,
	    a->now_ms + 1, keep_window, w)) == DB_OK)
		return 0;
	if (rc == DB_ABORT)
		log_errx("out of memory");
	return -1;
}

static void
window_free(struct window *w)
{
	size_t	 i;

	for (i = 0; i < w->n; i++)
		free((char *)w->v[i].source);
	free(w->v);
}

static enum db_rc
read_hours(struct agg *a, const struct window *win, const char *today,
    struct hours *h)
{
	size_t		 i;
	char		 day[TZ_DAY_LEN], key[TZ_HOUR_LEN];
	int64_t		 ms;
	int		 clock = -1, k;
	long		 w = a->conf->alerts.no_data_minutes;
	enum db_rc	 rc;

	h->phase = PH_NOW;
	if (hour_of(today, a->now_ms, &clock, key) ||
	    (rc = read_key(a, DB_HOURLY, key, h)) != DB_OK)
		return DB_ERR;
	h->phase = PH_WEEK;
	for (k = 1; k <= WEEK_DAYS; k++) {
		if (tz_day_start(today, -k, &ms))
			return DB_ERR;
		tz_day(ms, day);
		/* A day whose DST change skips this hour has none of it. */
		if (hour_of(day, 0, &clock, key) == 0 &&
		    (rc = read_key(a, DB_HOURLY, key, h)) != DB_OK)
			return rc;
	}
	/* The 7th day back is the last one read into day. */
	h->phase = PH_OLD;
	if ((rc = read_key(a, DB_DAILY, day, h)) != DB_OK)
		return rc;
	for (i = 0; w > 0 && i < win->n; i++)
		if (take_recent(&win->v[i], h))
			return DB_ABORT;
	return DB_OK;
}

/* The hour under way against the week's mean for it. */
static void
rule_anomaly(const struct conf *c, const struct msg *m, const struct hsum *x,
    struct verdict *v)
{
	double		 f = c->alerts.anomaly_factor, mr, mc, me, rr, rc, re, cr;
	char		 a[FMT_LEN], b[FMT_LEN], r[FMT_LEN];
	struct buf	 what = { 0 };

	memset(v, 0, sizeof(*v));
	v->threshold = f;
	if (f <= 0 || !x->old || x->req < c->alerts.anomaly_min_requests)
		return;
	mr = (double)x->wreq / WEEK_DAYS;
	mc = (double)x->wcost / WEEK_DAYS;
	me = x->wreq ? (double)x->wfail / (double)x->wreq : 0;
	cr = (double)x->fail / (double)x->req;
	rr = (double)x->req / (mr > 1 ? mr : 1);
	rc = (double)x->cost / (mc > ANOMALY_MIN_NUSD ? mc : ANOMALY_MIN_NUSD);
	re = cr / (me > 0.01 ? me : 0.01);
	v->value = rr > rc ? (rr > re ? rr : re) : (rc > re ? rc : re);
	if (v->value <= f)
		return;
	v->firing = 1;
	v->severity = ALERT_WARNING;
	if (rr > f)
		msg_fmt(m, &what, "msg", "anomaly_requests", "n", fmt_int(x->req,
		    a, sizeof(a)), "x", fmt_num(rr, 1, "", r, sizeof(r)),
		    "mean", fmt_num(mr, 0, "", b, sizeof(b)), NULL);
	if (rc > f) {
		if (what.len > 0)
			buf_puts(&what, msg_get(m, "msg", "anomaly_sep"));
		msg_fmt(m, &what, "msg", "anomaly_cost", "cost", fmt_money(
		    x->cost, 2, a, sizeof(a)), "x", fmt_num(rc, 1, "", r,
		    sizeof(r)), "mean", fmt_money((int64_t)mc, 2, b, sizeof(b)),
		    NULL);
	}
	if (re > f) {
		if (what.len > 0)
			buf_puts(&what, msg_get(m, "msg", "anomaly_sep"));
		msg_fmt(m, &what, "msg", "anomaly_errors", "rate", fmt_pct(cr *
		    100, 1, a, sizeof(a)), "x", fmt_num(re, 1, "", r,
		    sizeof(r)), "mean", fmt_pct(me * 100, 1, b, sizeof(b)),
		    NULL);
	}
	say(m, v, "alert_anomaly", "what", what.failed ? "" : what.p, NULL);
	buf_free(&what);
}

/* No record lately where the week says there would be many. */
static void
rule_no_data(const struct conf *c, const struct msg *m, const struct hsum *x,
    struct verdict *v)
{
	long	 w = c->alerts.no_data_minutes;
	double	 mean = (double)x->wreq / WEEK_DAYS;
	char	 a[FMT_LEN], b[FMT_LEN];

	memset(v, 0, sizeof(*v));
	v->value = (double)x->recent;
	v->threshold = mean * (double)w / 60;
	if (w <= 0 || !x->old || x->recent > 0 ||
	    v->threshold < NO_DATA_EXPECT)
		return;
	v->firing = 1;
	v->severity = ALERT_WARNING;
	say(m, v, "alert_no_data", "minutes", fmt_int(w, a, sizeof(a)), "mean",
	    fmt_num(mean, 0, "", b, sizeof(b)), NULL);
}

static void
judge_today(struct judge *j)
{
	struct agg		*a = j->a;
	const struct conf	*c = a->conf;
	const struct conf_budget *b;
	struct budget_month	 m;
	struct hours		 h;
	struct scope		 s;
	struct verdict		 v;
	size_t			 i;

	for (i = 0; i < c->alerts.nbudgets && !j->failed; i++) {
		b = &c->alerts.budgets[i];
		if (b->monthly_nusd <= 0)
			continue;
		if (budget_month(a->db, b, j->day, a->now_ms, &m) != DB_OK) {
			j->failed = 1;
			return;
		}
		rule_month(c, a->msg, &m, &v);
		budget_scope(b, &s);
		judge_scope(j, ALERT_MONTHLY_BUDGET, &s, &v);
	}
	if (c->alerts.anomaly_factor <= 0 && c->alerts.no_data_minutes <= 0)
		return;
	memset(&h, 0, sizeof(h));
	if (grow(&h.v, &h.cap, 1, sizeof(*h.v))) {
		log_errx("out of memory");
		j->failed = 1;
		return;
	}
	memset(&h.v[0], 0, sizeof(*h.v));
	h.n = 1;
	if (read_hours(a, j->win, j->day, &h) != DB_OK)
		j->failed = 1;
	for (i = 0; i < h.n && !j->failed; i++) {
		memset(&s, 0, sizeof(s));
		s.kind = i == 0 ? SCOPE_ALL : SCOPE_SOURCE;
		s.name = i == 0 ? "all" : h.v[i].source;
		rule_anomaly(c, a->msg, &h.v[i], &v);
		judge_scope(j, ALERT_ANOMALY, &s, &v);
		rule_no_data(c, a->msg, &h.v[i], &v);
		judge_scope(j, ALERT_NO_DATA, &s, &v);
	}
	for (i = 1; i < h.n; i++)
		free(h.v[i].source);
	free(h.v);
}

/* The fold alerts, and the day's alerts no scope answered for. */
static void
judge_rest(struct judge *j)
{
	struct verdict	 v;
	struct scope	 s;
	size_t		 i;
	int		 r, k;

	memset(&s, 0, sizeof(s));
	s.kind = SCOPE_MORE;
	for (r = 0; r < ALERT__RULES; r++)
		for (k = 0; k < 2; k++) {
			fold_verdict(j, r, k, &v);
			s.name = k ? "model" : "source";
			judge_scope(j, (enum alert_rule)r, &s, &v);
		}
	/*
	 * A scope with no rows any more has nothing to fire on.  The rules
	 * of the hour under way judge today only: a past day's stay as they
	 * were until it closes.
	 */
	memset(&v, 0, sizeof(v));
	for (i = 0; i < j->nhave && !j->failed; i++)
		if (!j->seen[i] && (j->today || !today_rule(j->have[i].rule)) &&
		    apply(j->a, &j->have[i], &v))
			j->failed = 1;
}

static int
judge_day(struct agg *a, const char *day, struct judge *j)
{
	char		 next[TZ_DAY_LEN];
	int64_t		 ms;
	enum db_rc	 rc;

	free(j->srcname);
	free(j->seen);
	memset(j->own, 0, sizeof(j->own));
	memset(j->fold, 0, sizeof(j->fold));
	memset(&j->all, 0, sizeof(j->all));
	j->srcname = NULL;
	j->seen = NULL;
	j->nhave = 0;
	j->failed = 0;
	j->a = a;
	j->day = day;
	tz_day(a->now_ms, next);
	j->today = strcmp(day, next) == 0;
	j->all.kind = SCOPE_ALL;
	j->all.name = "all";
	if (tz_day_start(day, 1, &ms)) {
		log_errx("alerts: \"%s\" is not a day", day);
		return -1;
	}
	tz_day(ms, next);
	if ((rc = db_alerts_each(a->db, day, keep, j)) != DB_OK ||
	    (j->seen = calloc(j->nhave + 1, 1)) == NULL) {
		if (rc == DB_ABORT || rc == DB_OK)
			log_errx("out of memory");
		return -1;
	}
	if (j->nhave > 0)
		qsort(j->have, j->nhave, sizeof(*j->have), by_rule_scope);
	/* "all" first, then each source: two reads of a few rows. */
	if ((rc = db_stats_each(a->db, DB_DAILY, day, next, take_all, j)) ==
	    DB_OK && j->all.requests > 0) {
		judge_totals(j, &j->all);
		if (!j->failed)
			rc = db_stats_each(a->db, DB_DAILY, day, next,
			    take_source, j);
		if (rc == DB_OK && j->srcname != NULL)
			judge_totals(j, &j->src);
	}
	if (rc == DB_OK && !j->failed)
		rc = db_unpriced_each(a->db, day, take_unpriced, j);
	if (rc == DB_OK && !j->failed && j->today)
		judge_today(j);
	if (rc == DB_OK && !j->failed)
		judge_budgets(j);
	if (rc == DB_OK && !j->failed)
		judge_rest(j);
	return rc == DB_OK && !j->failed ? 0 : -1;
}

/* Past days with active alerts, to judge once more and close. */
struct days {
	char	**v;
	size_t	  n, cap;
};

static int
open_day(const char *day, void *arg)
{
	struct days	*d = arg;

	if (grow(&d->v, &d->cap, d->n + 1, sizeof(*d->v)) ||
	    (d->v[d->n] = strdup(day)) == NULL)
		return 1;
	d->n++;
	return 0;
}

int
alerts_run(struct agg *a)
{
	struct judge	*j;
	struct window	 win = { NULL, 0, 0 };
	char		 today[TZ_DAY_LEN];
	struct days	 past = { NULL, 0, 0 };
	size_t		 i;
	int		 rc = -1, have_today = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_errx("out of memory");
		return -1;
	}
	j->win = &win;
	tz_day(a->now_ms, today);
	if (read_window(a, &win) != 0 || db_begin(a->db) != DB_OK ||
	    db_silences(a->db, a->now_ms, &a->silences, &a->nsilences) != DB_OK)
		goto out;
	for (i = 0; i < a->ndays; i++) {
		have_today |= strcmp(a->days[i], today) == 0;
		if (judge_day(a, a->days[i], j))
			goto out;
	}
	if (!have_today && judge_day(a, today, j))
		goto out;
	/* A day that is over: its final value, then its alerts close. */
	if (db_alert_open_days(a->db, today, open_day, &past) != DB_OK)
		goto out;
	for (i = 0; i < past.n; i++)
		if (!rollup_touched(a, past.v[i]) && judge_day(a, past.v[i], j))
			goto out;
	if (db_alerts_close(a->db, today, a->now_ms, &a->n.closed) != DB_OK ||
	    digest_run(a) || db_commit(a->db) != DB_OK)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		log_errx("%s: alerts: %s", a->conf->database, db_errmsg(a->db));
		db_rollback(a->db);
	}
	for (i = 0; i < past.n; i++)
		free(past.v[i]);
	free(past.v);
	window_free(&win);
	free(j->have);
	free(j->seen);
	free(j->srcname);
	free(j);
	return rc;
}
