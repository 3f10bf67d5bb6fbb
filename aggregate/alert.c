/* alert.c — alert rules per day and scope, with Alertmanager-like states. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agg.h"
#include "hist.h"
#include "json.h"
#include "log.h"
#include "money.h"
#include "ts.h"
#include "tz.h"

/* The totals of one scope of a day: "all", "source:web" or "model:x". */
struct scope {
	char		 name[112];
	int64_t		 requests, failures, cost_nusd, unpriced;
	struct hist	 hist;
};

struct day {
	struct scope	*s;
	size_t		 n, cap;
	int		 oom;
};

/* A rule's verdict for one scope. */
struct verdict {
	const char	*severity;	/* NULL: condition clear */
	double		 value, threshold;
	char		 message[256];
};

static struct scope *
scope_get(struct day *d, const char *kind, const char *name)
{
	char	 key[112];
	size_t	 i;

	snprintf(key, sizeof(key), "%s%s%s", kind, *kind ? ":" : "", name);
	for (i = 0; i < d->n; i++)
		if (strcmp(d->s[i].name, key) == 0)
			return &d->s[i];
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct scope *ns = realloc(d->s, cap * sizeof(*ns));
		if (ns == NULL) {
			d->oom = 1;
			return NULL;
		}
		d->s = ns;
		d->cap = cap;
	}
	memset(&d->s[d->n], 0, sizeof(d->s[d->n]));
	snprintf(d->s[d->n].name, sizeof(d->s[d->n].name), "%s", key);
	return &d->s[d->n++];
}

static void
scope_add(struct scope *s, const struct db_stats *r)
{
	if (s == NULL)
		return;
	s->requests += r->requests;
	s->failures += r->failures;
	s->cost_nusd += r->cost_nusd;
	s->unpriced += r->unpriced;
	hist_decode_add(&s->hist, r->hist, r->hist_len);
}

static int
collect(const struct db_stats *r, void *arg)
{
	struct day	*d = arg;

	scope_add(scope_get(d, "", "all"), r);
	scope_add(scope_get(d, "source", r->source), r);
	if (r->unpriced > 0)
		scope_add(scope_get(d, "model", r->model), r);
	return 0;
}

static void
rule_cost(const struct conf *c, const struct scope *s, struct verdict *v)
{
	double	 limit = (double)c->alerts.daily_cost_nusd / 1e9;
	char	 a[32], b[32];

	v->value = (double)s->cost_nusd / 1e9;
	v->threshold = limit;
	if (limit <= 0 || strncmp(s->name, "model:", 6) == 0)
		return;
	money_format(s->cost_nusd, 2, a, sizeof(a));
	money_format(c->alerts.daily_cost_nusd, 2, b, sizeof(b));
	if (v->value >= limit) {
		v->severity = "critical";
		snprintf(v->message, sizeof(v->message),
		    "daily cost $%s is over the $%s limit", a, b);
	} else if (c->alerts.warn_ratio > 0 &&
	    v->value >= c->alerts.warn_ratio * limit) {
		v->severity = "warning";
		snprintf(v->message, sizeof(v->message),
		    "daily cost $%s reached %.0f%% of the $%s limit", a,
		    c->alerts.warn_ratio * 100, b);
	}
}

static void
rule_errors(const struct conf *c, const struct scope *s, struct verdict *v)
{
	double	 limit = c->alerts.error_rate;

	v->value = s->requests ? (double)s->failures / (double)s->requests : 0;
	v->threshold = limit;
	if (limit <= 0 || s->requests < c->alerts.min_requests ||
	    strncmp(s->name, "model:", 6) == 0 || v->value <= limit)
		return;
	v->severity = v->value > 2 * limit ? "critical" : "warning";
	snprintf(v->message, sizeof(v->message),
	    "error rate %.1f%% (%lld of %lld requests) is over %.1f%%",
	    v->value * 100, (long long)s->failures, (long long)s->requests,
	    limit * 100);
}

static void
rule_latency(const struct conf *c, const struct scope *s, struct verdict *v)
{
	double	 limit = c->alerts.latency_p95_s;

	v->value = (double)hist_quantile(&s->hist, 0.95) / 1e6;
	v->threshold = limit;
	if (limit <= 0 || strncmp(s->name, "model:", 6) == 0 ||
	    v->value <= limit)
		return;
	v->severity = "warning";
	snprintf(v->message, sizeof(v->message),
	    "p95 latency %.2f s is over %.2f s", v->value, limit);
}

static void
rule_unpriced(const struct conf *c, const struct scope *s, struct verdict *v)
{
	(void)c;
	v->value = (double)s->unpriced;
	v->threshold = 0;
	if (strncmp(s->name, "model:", 6) != 0 || s->unpriced == 0)
		return;
	v->severity = "warning";
	snprintf(v->message, sizeof(v->message), "%lld requests for model "
	    "\"%s\" have no reported cost and no price in the config",
	    (long long)s->unpriced, s->name + 6);
}

static char *
payload(const struct db_alert *al, const char *event, int64_t now_ms)
{
	cJSON	*o = json_alert(al);
	char	 t[TS_RFC3339_LEN], *s;

	if (o == NULL)
		return NULL;
	ts_format_rfc3339(now_ms, t);
	cJSON_AddStringToObject(o, "event", event);
	cJSON_AddStringToObject(o, "time", t);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int
queue(struct agg *a, struct db_alert *al, const char *event)
{
	char	*p = payload(al, event, a->now_ms);
	int	 rc;

	if (p == NULL)
		return -1;
	rc = db_outbox_add(a->db, al->id, event, p, a->now_ms, a->notifiers,
	    a->conf->nnotify) == DB_OK ? 0 : -1;
	cJSON_free(p);
	return rc;
}

/* Move one alert to the state the verdict asks for; queue what changed. */
static int
apply(struct agg *a, const char *rule, const char *scope, const char *day,
    const struct verdict *v)
{
	struct db_alert	 al;
	const char	*event = NULL;
	int		 found, active;

	if (db_alert_get(a->db, rule, scope, day, &al, &found) != DB_OK)
		return -1;
	active = found && strcmp(al.state, "resolved") != 0;
	if (v->severity == NULL) {
		if (!active)
			return 0;
		snprintf(al.state, sizeof(al.state), "resolved");
		al.resolved_ms = a->now_ms;
		event = "resolve";
		a->n.resolved++;
	} else if (!active) {
		snprintf(al.severity, sizeof(al.severity), "%s", v->severity);
		snprintf(al.state, sizeof(al.state), "firing");
		al.fired_ms = a->now_ms;
		al.resolved_ms = -1;
		event = "fire";
		a->n.fired++;
	} else if (strcmp(v->severity, "critical") == 0 &&
	    strcmp(al.severity, "warning") == 0) {
		snprintf(al.severity, sizeof(al.severity), "critical");
		snprintf(al.state, sizeof(al.state), "escalated");
		event = "escalate";
		a->n.escalated++;
	}
	/* An active alert follows its value; it never drops in severity. */
	if (event == NULL && al.value == v->value)
		return 0;
	al.value = v->value;
	al.threshold = v->threshold;
	if (v->severity != NULL && (event != NULL ||
	    strcmp(v->severity, al.severity) == 0))
		snprintf(al.message, sizeof(al.message), "%s", v->message);
	al.updated_ms = a->now_ms;
	if (db_alert_put(a->db, &al) != DB_OK)
		return -1;
	return event ? queue(a, &al, event) : 0;
}

static int
judge_day(struct agg *a, const char *day, struct day *d)
{
	static const struct {
		const char *name;
		void (*fn)(const struct conf *, const struct scope *,
		    struct verdict *);
	} rules[] = {
		{ "daily_cost", rule_cost },
		{ "error_rate", rule_errors },
		{ "latency_p95", rule_latency },
		{ "unpriced_model", rule_unpriced },
	};
	struct verdict	 v;
	char		 next[TZ_DAY_LEN];
	int64_t		 ms;
	size_t		 i, r;

	d->n = 0;
	if (tz_day_start(day, 1, &ms))
		return 0;
	tz_day(ms, next);
	if (db_stats_each(a->db, DB_DAILY, day, next, collect, d) != DB_OK)
		return -1;
	if (d->oom) {
		log_errx("out of memory");
		return -1;
	}
	for (i = 0; i < d->n; i++)
		for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			memset(&v, 0, sizeof(v));
			rules[r].fn(a->conf, &d->s[i], &v);
			if (apply(a, rules[r].name, d->s[i].name, day, &v))
				return -1;
		}
	return 0;
}

int
alerts_run(struct agg *a)
{
	struct day	*d;
	char		 today[TZ_DAY_LEN];
	size_t		 i;
	int		 rc = -1, have_today = 0;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_errx("out of memory");
		return -1;
	}
	tz_day(a->now_ms, today);
	if (db_begin(a->db) != DB_OK)
		goto out;
	for (i = 0; i < a->ndays; i++) {
		have_today |= strcmp(a->days[i], today) == 0;
		if (judge_day(a, a->days[i], d))
			goto out;
	}
	if (!have_today && judge_day(a, today, d))
		goto out;
	if (db_commit(a->db) != DB_OK)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		log_errx("%s: alerts: %s", a->conf->database, db_errmsg(a->db));
		db_rollback(a->db);
	}
	free(d->s);
	free(d);
	return rc;
}
