/* report.c — daily, ISO-weekly and monthly reports: HTML, JSON, CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "money.h"
#include "render.h"
#include "ts.h"


struct group {
	const char	*name;
	struct totals	 t;
};

/* Groups by source or by model; they grow as names turn up. */
struct groups {
	struct group	*g;
	size_t		 n, cap;
};

/* A report period: local days [from, to) and the one before it. */
struct period {
	const char	*type;		/* daily weekly monthly */
	char		 label[TS_DAY_LEN];	/* 2026-11-26, 2026-W48, 2026-11 */
	char		 from[TS_DAY_LEN], to[TS_DAY_LEN];
	char		 pfrom[TS_DAY_LEN], pto[TS_DAY_LEN];
};

/* Monday = 0. */
static int
weekday(int64_t n)
{
	return (int)(((n + 3) % 7 + 7) % 7);
}

static void
iso_week(const char *day, struct period *p)
{
	int64_t		 n = ts_day_num(day), mon = n - weekday(n), thu = mon + 3;
	int64_t		 y;
	unsigned	 m, d;

	ts_civil_from_days(thu, &y, &m, &d);
	p->type = "weekly";
	snprintf(p->label, sizeof(p->label), "%04d-W%02d", (int)(y % 10000),
	    (int)((thu - ts_days_from_civil(y, 1, 1)) / 7 + 1) % 100);
	ts_day_str(mon, p->from);
	ts_day_str(mon + 7, p->to);
	ts_day_str(mon - 7, p->pfrom);
	ts_day_str(mon, p->pto);
}

static void
month_of(const char *day, struct period *p)
{
	int	 y = 0, m = 1, d;

	sscanf(day, "%d-%d-%d", &y, &m, &d);
	p->type = "monthly";
	snprintf(p->label, sizeof(p->label), "%04d-%02d", y % 10000, m % 13);
	snprintf(p->from, sizeof(p->from), "%04d-%02d-01", y % 10000, m % 13);
	snprintf(p->to, sizeof(p->to), "%04d-%02d-01",
	    (m == 12 ? y + 1 : y) % 10000, m == 12 ? 1 : m + 1);
	snprintf(p->pfrom, sizeof(p->pfrom), "%04d-%02d-01",
	    (m == 1 ? y - 1 : y) % 10000, m == 1 ? 12 : m - 1);
	snprintf(p->pto, sizeof(p->pto), "%s", p->from);
}

static void
day_of(const char *day, struct period *p)
{
	int64_t	 n = ts_day_num(day);

	p->type = "daily";
	snprintf(p->label, sizeof(p->label), "%s", day);
	ts_day_str(n, p->from);
	ts_day_str(n + 1, p->to);
	ts_day_str(n - 1, p->pfrom);
	ts_day_str(n, p->pto);
}

static struct totals *
group(struct groups *gs, const char *name)
{
	struct group	*ng;
	size_t		 i;

	for (i = 0; i < gs->n; i++)
		if (strcmp(gs->g[i].name, name) == 0)
			return &gs->g[i].t;
	if (gs->n == gs->cap) {
		gs->cap = gs->cap ? gs->cap * 2 : 8;
		if ((ng = realloc(gs->g, gs->cap * sizeof(*ng))) == NULL)
			return NULL;
		gs->g = ng;
	}
	memset(&gs->g[gs->n], 0, sizeof(gs->g[gs->n]));
	gs->g[gs->n].name = name;
	return &gs->g[gs->n++].t;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name,
	    ((const struct group *)b)->name);
}

static cJSON *
groups_json(struct group *g, size_t n, const char *key)
{
	cJSON	*arr = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; arr != NULL && i < n; i++)
		cJSON_AddItemToArray(arr, totals_json(&g[i].t, key, g[i].name));
	return arr;
}

static double
change(double cur, double prev)
{
	return prev != 0 ? (cur - prev) / prev : 0;
}

/* One line of the HTML comparison table. */
static void
cmp_row(struct tpl *t, const char *label, double cur, double prev,
    int decimals)
{
	struct tpl	*row = tpl_section(t, "CMP");
	char		 a[64], b[64], c[32];

	snprintf(a, sizeof(a), "%.*f", decimals, cur);
	snprintf(b, sizeof(b), "%.*f", decimals, prev);
	if (prev != 0)
		snprintf(c, sizeof(c), "%+.1f%%", change(cur, prev) * 100);
	else
		snprintf(c, sizeof(c), "—");
	tpl_set(row, "LABEL", label);
	tpl_set(row, "CUR", a);
	tpl_set(row, "PREV", b);
	tpl_set(row, "CHANGE", c);
}

static void
group_rows(struct tpl *t, const char *section, struct group *g, size_t n)
{
	struct tpl	*row;
	char		 buf[64];
	size_t		 i;

	for (i = 0; i < n; i++) {
		row = tpl_section(t, section);
		tpl_set(row, "NAME", g[i].name[0] ? g[i].name : "(none)");
		tpl_set_int(row, "REQUESTS", (long)g[i].t.requests);
		snprintf(buf, sizeof(buf), "%.1f%%", g[i].t.requests ?
		    100.0 * (double)g[i].t.successes /
		    (double)g[i].t.requests : 0);
		tpl_set(row, "SUCCESS", buf);
		snprintf(buf, sizeof(buf), "%.2f", g[i].t.requests ?
		    (double)g[i].t.latency_sum_us / (double)g[i].t.requests /
		    1e6 : 0);
		tpl_set(row, "AVG", buf);
		snprintf(buf, sizeof(buf), "%.2f",
		    (double)hist_quantile(&g[i].t.hist, 0.95) / 1e6);
		tpl_set(row, "P95", buf);
		tpl_set_int(row, "TOKENS", (long)g[i].t.tokens);
		tpl_set(row, "COST", money_format(g[i].t.cost_nusd, 4, buf,
		    sizeof(buf)));
	}
}

/* CSV: one row per source, with the columns of the JSON totals. */
static int
csv(struct render *r, const struct period *p, struct group *g, size_t n)
{
	static const struct totals zero;
	char	 path[128], num[64], *name;
	cJSON	*o = NULL, *f;
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0, i, k;
	int	 rc = -1;

	for (i = 0; i <= n; i++) {
		cJSON_Delete(o);
		o = totals_json(i > 0 ? &g[i - 1].t : &zero, "source",
		    i > 0 ? g[i - 1].name : "");
		if (o == NULL)
			goto out;
		for (f = o->child, k = 0; f != NULL; f = f->next, k++) {
			if (i == 0)
				name = esc_csv(f->string);
			else if (cJSON_IsString(f))
				name = esc_csv(f->valuestring);
			else {
				snprintf(num, sizeof(num), "%.15g",
				    f->valuedouble);
				name = strdup(num);
			}
			if (name == NULL)
				goto out;
			if (len + strlen(name) + 3 > cap) {
				cap = (cap + strlen(name) + 3) * 2;
				if ((nb = realloc(buf, cap)) == NULL) {
					free(name);
					goto out;
				}
				buf = nb;
			}
			len += (size_t)sprintf(buf + len, "%s%s", k ? "," : "",
			    name);
			free(name);
		}
		len += (size_t)sprintf(buf + len, "\r\n");
	}
	snprintf(path, sizeof(path), "reports/%s/%s.csv", p->type, p->label);
	rc = out_write(r, path, buf, len);
out:
	cJSON_Delete(o);
	free(buf);
	return rc;
}

/* Requests per local hour of a day, from hourly_stats. */
struct hours {
	int64_t		 from_ms;
	int64_t		 n[25];
};

static int
hour_row(const struct db_stats *s, void *arg)
{
	struct hours	*h = arg;
	int64_t		 ms, i;

	if (tz_hour_start(s->key, &ms) != 0)
		return 0;
	i = (ms - h->from_ms) / 3600000;
	if (i >= 0 && i < 25)
		h->n[i] += s->requests;
	return 0;
}

/* The chart of a report: hours of a day, or days of a week or month. */
static cJSON *
series(struct render *r, const struct period *p)
{
	cJSON		*o = cJSON_CreateObject(), *lab, *req, *cost;
	struct hours	 h;
	int64_t		 to_ms, ms;
	char		 hfrom[TZ_HOUR_LEN], hto[TZ_HOUR_LEN], buf[TS_DAY_LEN];
	size_t		 i;
	int		 k;

	if (o == NULL)
		return NULL;
	lab = cJSON_AddArrayToObject(o, "labels");
	req = cJSON_AddArrayToObject(o, "requests");
	cost = cJSON_AddArrayToObject(o, "cost_usd");
	if (strcmp(p->type, "daily") == 0) {
		memset(&h, 0, sizeof(h));
		if (tz_day_start(p->from, 0, &h.from_ms) ||
		    tz_day_start(p->from, 1, &to_ms))
			return o;
		tz_hour(h.from_ms - h.from_ms % 3600000, hfrom);
		tz_hour(to_ms + 3599999 - (to_ms + 3599999) % 3600000, hto);
		db_stats_each(r->db, DB_HOURLY, hfrom, hto, hour_row, &h);
		for (k = 0; k < 25 && h.from_ms + k * 3600000LL < to_ms; k++) {
			time_t t = (time_t)((h.from_ms + k * 3600000LL) / 1000);
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%H:%M", &tm);
			cJSON_AddItemToArray(lab, cJSON_CreateString(buf));
			cJSON_AddItemToArray(req,
			    cJSON_CreateNumber((double)h.n[k]));
		}
		cJSON_DeleteItemFromObject(o, "cost_usd");
		return o;
	}
	for (ms = ts_day_num(p->from), to_ms = ts_day_num(p->to); ms < to_ms; ms++) {
		struct totals t;
		memset(&t, 0, sizeof(t));
		ts_day_str(ms, buf);
		for (i = rows_from(r, buf); i < r->nrows; i++)
			if (strcmp(r->rows[i].day, buf) != 0)
				break;
			else {
				t.requests += r->rows[i].t.requests;
				t.cost_nusd += r->rows[i].t.cost_nusd;
			}
		cJSON_AddItemToArray(lab, cJSON_CreateString(buf));
		cJSON_AddItemToArray(req, cJSON_CreateNumber((double)t.requests));
		cJSON_AddItemToArray(cost,
		    cJSON_CreateNumber((double)t.cost_nusd / 1e9));
	}
	return o;
}

static cJSON *
alerts_json(struct render *r, const struct period *p)
{
	cJSON	*arr = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; arr != NULL && i < r->nalerts; i++)
		if (strcmp(r->alerts[i].day, p->from) >= 0 &&
		    strcmp(r->alerts[i].day, p->to) < 0)
			cJSON_AddItemToArray(arr, alert_json(&r->alerts[i]));
	return arr;
}

static void
html_alerts(struct tpl *t, cJSON *alerts)
{
	static const char *const keys[] = { "SEVERITY", "severity", "STATE",
	    "state", "MESSAGE", "message", "SCOPE", "scope", "DAY", "day",
	    NULL };
	const cJSON	*a;

	if (cJSON_GetArraySize(alerts) == 0)
		tpl_show(t, "NO_ALERTS");
	cJSON_ArrayForEach(a, alerts)
		tpl_from_json(tpl_section(t, "ALERT"), a, keys);
}

static int
report(struct render *r, const struct period *p)
{
	struct groups	 gsrc = { NULL, 0, 0 }, gmod = { NULL, 0, 0 };
	struct group	*src, *mod;
	struct totals	 tot, prev, *t;
	size_t		 ns, nm, i;
	cJSON		*o = NULL, *ser = NULL;
	struct tpl	*tp = NULL;
	char		*json = NULL, *esc = NULL, path[128], buf[64];
	int64_t		 ms;
	int		 rc = -1;

	memset(&tot, 0, sizeof(tot));
	memset(&prev, 0, sizeof(prev));
	/* The previous period ends where this one starts: one pass. */
	for (i = rows_from(r, p->pfrom); i < r->nrows &&
	    strcmp(r->rows[i].day, p->to) < 0; i++) {
		const struct dayrow *d = &r->rows[i];
		if (strcmp(d->day, p->pto) < 0) {
			totals_add(&prev, &d->t);
			continue;
		}
		totals_add(&tot, &d->t);
		if ((t = group(&gsrc, d->source)) == NULL)
			goto out;
		totals_add(t, &d->t);
		if ((t = group(&gmod, d->model)) == NULL)
			goto out;
		totals_add(t, &d->t);
	}
	src = gsrc.g;
	ns = gsrc.n;
	mod = gmod.g;
	nm = gmod.n;
	qsort(src, ns, sizeof(*src), by_name);
	qsort(mod, nm, sizeof(*mod), by_name);

	if ((o = cJSON_CreateObject()) == NULL)
		goto out;
	cJSON_AddStringToObject(o, "type", p->type);
	cJSON_AddStringToObject(o, "label", p->label);
	cJSON_AddStringToObject(o, "timezone", r->conf->timezone);
	tz_day_start(p->from, 0, &ms);
	format_offset_time(ms, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "start", buf);
	tz_day_start(p->to, 0, &ms);
	format_offset_time(ms, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "end", buf);
	cJSON_AddItemToObject(o, "totals", totals_json(&tot, NULL, NULL));
	cJSON_AddItemToObject(o, "previous", totals_json(&prev, NULL, NULL));
	cJSON_AddItemToObject(o, "by_source", groups_json(src, ns, "source"));
	cJSON_AddItemToObject(o, "by_model", groups_json(mod, nm, "model"));
	cJSON_AddItemToObject(o, "alerts", alerts_json(r, p));
	if ((json = cJSON_Print(o)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "reports/%s/%s.json", p->type, p->label);
	if (out_write(r, path, json, strlen(json)) || csv(r, p, src, ns))
		goto out;

	if ((tp = tpl_new()) == NULL || (ser = series(r, p)) == NULL)
		goto out;
	cJSON_free(json);
	json = cJSON_PrintUnformatted(ser);
	if (json == NULL || (esc = esc_json_script(json)) == NULL)
		goto out;
	tpl_set(tp, "SERIES_JSON", esc);
	snprintf(buf, sizeof(buf), "%s report %s", p->type, p->label);
	buf[0] = (char)(buf[0] - 'a' + 'A');
	tpl_set(tp, "TITLE", buf);
	tpl_set(tp, "TYPE", p->type);
	tpl_set(tp, "LABEL", p->label);
	tpl_set(tp, "START", cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "start")));
	tpl_set(tp, "END", cJSON_GetStringValue(cJSON_GetObjectItem(o, "end")));
	tpl_set(tp, "TIMEZONE", r->conf->timezone);
	snprintf(buf, sizeof(buf), "%s.json", p->label);
	tpl_set(tp, "JSON_URL", buf);
	snprintf(buf, sizeof(buf), "%s.csv", p->label);
	tpl_set(tp, "CSV_URL", buf);
	cmp_row(tp, "Requests", (double)tot.requests, (double)prev.requests,
	    0);
	cmp_row(tp, "Success rate %", tot.requests ? 100.0 *
	    (double)tot.successes / (double)tot.requests : 0, prev.requests ?
	    100.0 * (double)prev.successes / (double)prev.requests : 0, 1);
	cmp_row(tp, "Failures", (double)tot.failures, (double)prev.failures,
	    0);
	cmp_row(tp, "Average latency s", tot.requests ?
	    (double)tot.latency_sum_us / (double)tot.requests / 1e6 : 0,
	    prev.requests ? (double)prev.latency_sum_us /
	    (double)prev.requests / 1e6 : 0, 3);
	cmp_row(tp, "p95 latency s", (double)hist_quantile(&tot.hist, 0.95) /
	    1e6, (double)hist_quantile(&prev.hist, 0.95) / 1e6, 3);
	cmp_row(tp, "Tokens", (double)tot.tokens, (double)prev.tokens, 0);
	cmp_row(tp, "Cost USD", (double)tot.cost_nusd / 1e9,
	    (double)prev.cost_nusd / 1e9, 4);
	group_rows(tp, "SOURCE", src, ns);
	group_rows(tp, "MODEL", mod, nm);
	html_alerts(tp, cJSON_GetObjectItem(o, "alerts"));
	snprintf(path, sizeof(path), "reports/%s/%s.html", p->type, p->label);
	rc = page(r, "report.tpl", tp, path);
out:
	if (rc != 0)
		log_errx("report %s %s failed", p->type, p->label);
	tpl_free(tp);
	cJSON_Delete(ser);
	cJSON_Delete(o);
	cJSON_free(json);
	free(esc);
	free(gsrc.g);
	free(gmod.g);
	return rc;
}

/* One entry of the reports index. */
static void
index_entry(struct tpl *t, const char *section, const struct period *p)
{
	struct tpl	*e = tpl_section(t, section);
	char		 buf[64];

	tpl_set(e, "LABEL", p->label);
	snprintf(buf, sizeof(buf), "%s/%s.html", p->type, p->label);
	tpl_set(e, "URL", buf);
}

int
reports_run(struct render *r)
{
	struct period	 p, last = { NULL, "", "", "", "", "" };
	struct tpl	*idx;
	char		 day[TS_DAY_LEN] = "", week[TS_DAY_LEN] = "", month[TS_DAY_LEN] = "";
	size_t		 i;
	int		 rc = 0;

	if ((idx = tpl_new()) == NULL)
		return -1;
	/* rows are sorted by day; walk the days newest first. */
	for (i = r->nrows; rc == 0 && i-- > 0;) {
		if (strcmp(r->rows[i].day, day) == 0)
			continue;
		snprintf(day, sizeof(day), "%s", r->rows[i].day);
		day_of(day, &p);
		if (last.type == NULL) {
			last = p;
			snprintf(r->latest, sizeof(r->latest),
			    "reports/daily/%s.html", day);
		}
		rc |= report(r, &p);
		index_entry(idx, "DAILY", &p);
		iso_week(day, &p);
		if (strcmp(p.label, week) != 0) {
			snprintf(week, sizeof(week), "%s", p.label);
			rc |= report(r, &p);
			index_entry(idx, "WEEKLY", &p);
		}
		month_of(day, &p);
		if (strcmp(p.label, month) != 0) {
			snprintf(month, sizeof(month), "%s", p.label);
			rc |= report(r, &p);
			index_entry(idx, "MONTHLY", &p);
		}
	}
	if (r->nrows == 0)
		tpl_show(idx, "EMPTY");
	tpl_set(idx, "TIMEZONE", r->conf->timezone);
	rc |= page(r, "reports.tpl", idx, "reports/index.html");
	tpl_free(idx);
	return rc;
}
