/* digest.c — the daily digest: yesterday in one message, once it is over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agg.h"
#include "budget.h"
#include "buf.h"
#include "log.h"
#include "ts.h"
#include "tz.h"

#define DIGEST_ALERTS	5	/* the day's alerts a digest lists */

struct day {
	int64_t	 requests, successes, failures, cost;
	char	*model;		/* the day's costliest model */
	int64_t	 mcost, mreq;
	/* per model, summed over sources while the rows come by source */
	struct mod { char *name; int64_t cost, req; } *mods;
	size_t	 nmods, cap;
};

static int
take(const struct db_stats *r, void *arg)
{
	struct day	*d = arg;
	size_t		 i;

	d->requests += r->requests;
	d->successes += r->successes;
	d->failures += r->failures;
	d->cost += r->cost_nusd;
	for (i = 0; i < d->nmods; i++)
		if (strcmp(d->mods[i].name, r->model) == 0)
			break;
	if (i == d->nmods) {
		if (grow(&d->mods, &d->cap, d->nmods + 1, sizeof(*d->mods)) ||
		    (d->mods[i].name = strdup(r->model)) == NULL)
			return 1;
		d->mods[i].cost = d->mods[i].req = 0;
		d->nmods++;
	}
	d->mods[i].cost += r->cost_nusd;
	d->mods[i].req += r->requests;
	return 0;
}

/* The day's alerts: counted, and listed critical first (two walks). */
struct alerts {
	cJSON			*list;
	long			 n[2];
	enum alert_severity	 want;
};

static int
take_alert(const struct alert *al, void *arg)
{
	struct alerts	*x = arg;
	cJSON		*o;

	if (al->severity != x->want)
		return 0;
	x->n[al->severity]++;
	if (cJSON_GetArraySize(x->list) >= DIGEST_ALERTS)
		return 0;
	if ((o = alert_json(al)) == NULL)
		return 1;
	cJSON_AddItemToArray(x->list, o);
	return 0;
}

static int
count_open(const struct alert *al, void *arg)
{
	if (ALERT_ACTIVE(al))
		(*(long *)arg)++;
	return 0;
}

/* Whether any rollup is older than day's end: the site had a day. */
static int
stop(const struct db_stats *r, void *arg)
{
	(void)r;
	(void)arg;
	return 1;
}

static cJSON *
build(struct agg *a, const char *day, const char *next)
{
	const struct conf	*c = a->conf;
	struct day		 d;
	struct alerts		 al = { NULL, { 0, 0 }, ALERT_CRITICAL };
	struct budget_month	 m;
	cJSON			*o, *x;
	char			 t[TS_RFC3339_LEN], url[2048];
	long			 open = 0;
	int64_t			 daily = c->alerts.daily_cost_nusd;
	size_t			 i, top = 0;
	int			 ok;

	memset(&d, 0, sizeof(d));
	if ((o = cJSON_CreateObject()) == NULL ||
	    (al.list = cJSON_CreateArray()) == NULL ||
	    db_stats_each(a->db, DB_DAILY, day, next, take, &d) != DB_OK ||
	    db_alerts_each(a->db, day, take_alert, &al) != DB_OK ||
	    (al.want = ALERT_WARNING,
	    db_alerts_each(a->db, day, take_alert, &al)) != DB_OK ||
	    db_alerts_each(a->db, next, count_open, &open) != DB_OK)
		goto fail;
	for (i = 1; i < d.nmods; i++)
		if (d.mods[i].cost > d.mods[top].cost ||
		    (d.mods[i].cost == d.mods[top].cost &&
		    d.mods[i].req > d.mods[top].req))
			top = i;
	ts_format_rfc3339(a->now_ms, t);
	ok = cJSON_AddStringToObject(o, "event", "digest") &&
	    cJSON_AddStringToObject(o, "day", day) &&
	    cJSON_AddStringToObject(o, "time", t) &&
	    cJSON_AddNumberToObject(o, "requests", (double)d.requests) &&
	    cJSON_AddNumberToObject(o, "failures", (double)d.failures) &&
	    cJSON_AddNumberToObject(o, "success_rate", d.requests ?
	    (double)d.successes / (double)d.requests : 1) &&
	    cJSON_AddNumberToObject(o, "cost_usd", (double)d.cost / 1e9);
	for (i = 0; i < c->alerts.nbudgets; i++)
		if (strcmp(c->alerts.budgets[i].scope, "all") == 0 &&
		    c->alerts.budgets[i].daily_nusd > 0)
			daily = c->alerts.budgets[i].daily_nusd;
	if (ok && daily > 0)
		ok = cJSON_AddNumberToObject(o, "daily_budget_usd",
		    (double)daily / 1e9) != NULL;
	for (i = 0; ok && i < c->alerts.nbudgets; i++) {
		if (strcmp(c->alerts.budgets[i].scope, "all") != 0 ||
		    c->alerts.budgets[i].monthly_nusd <= 0)
			continue;
		/* The month as it stood when the day ended. */
		if (budget_month(a->db, &c->alerts.budgets[i], day, a->now_ms,
		    &m) != DB_OK || (x = cJSON_AddObjectToObject(o, "month")) ==
		    NULL)
			goto fail;
		ok = cJSON_AddStringToObject(x, "month", m.month) &&
		    cJSON_AddNumberToObject(x, "spent_usd",
		    (double)m.spent_nusd / 1e9) &&
		    cJSON_AddNumberToObject(x, "budget_usd",
		    (double)m.limit_nusd / 1e9) &&
		    cJSON_AddNumberToObject(x, "forecast_usd",
		    (double)m.forecast_nusd / 1e9) &&
		    cJSON_AddNumberToObject(x, "reach_day", m.reach_mday);
	}
	if (ok && d.nmods > 0) {
		if ((x = cJSON_AddObjectToObject(o, "top_model")) == NULL)
			goto fail;
		ok = cJSON_AddStringToObject(x, "model", d.mods[top].name) &&
		    cJSON_AddNumberToObject(x, "requests",
		    (double)d.mods[top].req) &&
		    cJSON_AddNumberToObject(x, "cost_usd",
		    (double)d.mods[top].cost / 1e9);
	}
	if (ok && (x = cJSON_AddObjectToObject(o, "alerts")) != NULL) {
		ok = cJSON_AddNumberToObject(x, "critical",
		    (double)al.n[ALERT_CRITICAL]) &&
		    cJSON_AddNumberToObject(x, "warning",
		    (double)al.n[ALERT_WARNING]) &&
		    cJSON_AddNumberToObject(x, "open_now", (double)open);
		cJSON_AddItemToObject(x, "list", al.list);
		al.list = NULL;
	} else
		ok = 0;
	if (ok && c->site_url != NULL) {
		snprintf(url, sizeof(url), "%s%sreports/daily/%s.html",
		    c->site_url, c->site_url[strlen(c->site_url) - 1] == '/' ?
		    "" : "/", day);
		ok = cJSON_AddStringToObject(o, "url", url) != NULL;
	}
	if (!ok)
		goto fail;
	for (i = 0; i < d.nmods; i++)
		free(d.mods[i].name);
	free(d.mods);
	return o;
fail:
	for (i = 0; i < d.nmods; i++)
		free(d.mods[i].name);
	free(d.mods);
	cJSON_Delete(al.list);
	cJSON_Delete(o);
	return NULL;
}

int
digest_run(struct agg *a)
{
	const struct conf	*c = a->conf;
	char			 today[TZ_DAY_LEN], day[TZ_DAY_LEN], *p;
	char		       **to;
	cJSON			*o;
	int64_t			 ms, done = 0, num;
	size_t			 i, n = 0;
	enum db_rc		 rc;

	for (i = 0; i < c->nnotify; i++)
		n += c->notify[i].digest != 0;
	if (n == 0)
		return 0;
	tz_day(a->now_ms, today);
	tz_day_start(today, -1, &ms);
	tz_day(ms, day);
	num = strtoll(day, NULL, 10) * 10000 + strtoll(day + 5, NULL, 10) *
	    100 + strtoll(day + 8, NULL, 10);
	if (db_meta_get(a->db, "digest_day", &done) != DB_OK)
		return -1;
	if (done >= num)
		return 0;
	/* A site with no traffic before today has had no day to sum up. */
	rc = db_stats_each(a->db, DB_DAILY, "", today, stop, NULL);
	if (rc == DB_OK)
		return db_meta_set(a->db, "digest_day", num) == DB_OK ? 0 : -1;
	if (rc != DB_ABORT)
		return -1;
	if ((o = build(a, day, today)) == NULL ||
	    (p = cJSON_PrintUnformatted(o)) == NULL) {
		cJSON_Delete(o);
		log_errx("digest: out of memory");
		return -1;
	}
	cJSON_Delete(o);
	if ((to = calloc(n, sizeof(*to))) == NULL) {
		cJSON_free(p);
		log_errx("digest: out of memory");
		return -1;
	}
	for (i = n = 0; i < c->nnotify; i++)
		if (c->notify[i].digest)
			to[n++] = a->notifiers[i];
	rc = db_outbox_add(a->db, 0, "digest", p, a->now_ms, NULL, to, n);
	free(to);
	cJSON_free(p);
	if (rc != DB_OK || db_meta_set(a->db, "digest_day", num) != DB_OK)
		return -1;
	a->n.digests++;
	return 0;
}
