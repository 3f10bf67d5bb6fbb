/* report.c — daily, ISO-weekly and monthly reports: HTML, JSON, CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "log.h"
#include "render.h"
#include "ts.h"

/* Groups by source or by model; they grow as names turn up. */
struct groups {
	struct group	*g;
	size_t		 n, cap;
};

/* Monday = 0. */
static int
weekday(int64_t n)
{
	return (int)(((n + 3) % 7 + 7) % 7);
}

/* The day fields of p: [from, to), and [pfrom, from) before it. */
static void
period_days(struct period *p, int64_t from, int64_t to, int64_t pfrom)
{
	ts_day_str(from, p->from);
	ts_day_str(to, p->to);
	ts_day_str(pfrom, p->pfrom);
	ts_day_str(from, p->pto);
}

int
day_of(const char *day, struct period *p)
{
	int64_t	 n = ts_day_num(day);

	p->type = "daily";
	ts_day_str(n, p->label);
	period_days(p, n, n + 1, n - 1);
	return 0;
}

int
iso_week(const char *day, struct period *p)
{
	int64_t		 n = ts_day_num(day), mon = n - weekday(n), thu = mon + 3;
	int64_t		 y;
	unsigned	 m, d;

	/* The week belongs to the year of its Thursday. */
	ts_civil_from_days(thu, &y, &m, &d);
	p->type = "weekly";
	if (fixed_printf(p->label, sizeof(p->label), "%04lld-W%02lld",
	    (long long)y, (long long)((thu - ts_days_from_civil(y, 1, 1)) / 7 +
	    1)) != 0)
		return -1;
	period_days(p, mon, mon + 7, mon - 7);
	return 0;
}

int
month_of(const char *day, struct period *p)
{
	int64_t		 y, py, first;
	unsigned	 m, d, pm;

	ts_civil_from_days(ts_day_num(day), &y, &m, &d);
	py = m == 1 ? y - 1 : y;
	pm = m == 1 ? 12 : m - 1;
	first = ts_days_from_civil(y, m, 1);
	p->type = "monthly";
	if (fixed_printf(p->label, sizeof(p->label), "%04lld-%02u",
	    (long long)y, m) != 0)
		return -1;
	period_days(p, first, first + ts_days_in_month(y, (int)m),
	    ts_days_from_civil(py, pm, 1));
	return 0;
}

/* The totals of the group name, added when new; NULL when out of memory. */
static struct totals *
group(struct groups *gs, const char *name)
{
	size_t	 i;

	for (i = 0; i < gs->n; i++)
		if (strcmp(gs->g[i].name, name) == 0)
			return &gs->g[i].t;
	if (grow(&gs->g, &gs->cap, gs->n + 1, sizeof(*gs->g)))
		return NULL;
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
groups_json(const struct group *g, size_t n, const char *key)
{
	cJSON	*arr = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; arr != NULL && i < n; i++)
		if (jtree_push(arr, totals_json(&g[i].t, key, g[i].name))) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}

/* How a line of the comparison table writes its numbers. */
enum cmp_kind {
	CMP_COUNT,		/* 1,406 */
	CMP_RATE,		/* 96.4%, its change in percentage points */
	CMP_SECONDS,		/* 2.17 */
	CMP_NUSD		/* nano-dollars, written 2.3192 */
};

/*
 * v as a cell of kind k into buf (FMT_LEN bytes), FMT_NONE for NAN (no
 * requests: no rate, no latency); NULL if it did not fit.
 */
static const char *
cmp_cell(enum cmp_kind k, double v, char *buf)
{
	if (isnan(v))
		return FMT_NONE;
	switch (k) {
	case CMP_RATE:
		return fmt_pct(v, 1, buf, FMT_LEN);
	case CMP_SECONDS:
		return fmt_num(v, 2, "", buf, FMT_LEN);
	case CMP_NUSD:
		return fmt_usd((int64_t)v, 4, buf, FMT_LEN);
	default:
		return fmt_num(v, 0, "", buf, FMT_LEN);
	}
}

/* The success rate in per cent, NAN without requests. */
static double
rate(const struct totals *t)
{
	return t->requests ? 100.0 * (double)t->successes /
	    (double)t->requests : NAN;
}

/* The average latency in seconds, NAN without requests. */
static double
avg_s(const struct totals *t)
{
	return t->requests ? (double)t->latency_sum_us /
	    (double)t->requests / 1e6 : NAN;
}

/* The 95th percentile of the latency in seconds, NAN without requests. */
static double
p95_s(const struct totals *t)
{
	return t->requests ? (double)hist_quantile(&t->hist, 0.95) / 1e6 :
	    NAN;
}

/* Set {{KEY}} to s; -1 (no message) when s is NULL: it did not fit. */
static int
set_cell(struct tpl *t, const char *key, const char *s)
{
	if (s == NULL)
		return -1;
	tpl_set(t, key, s);
	return 0;
}

/*
 * One line of the HTML comparison table; 0 or -1 (no message).  The
 * change is relative, except for a rate: percentage points.
 */
static int
cmp_row(struct tpl *t, const char *label, enum cmp_kind k, double cur,
    double prev)
{
	struct tpl	*row = tpl_section(t, "CMP");
	char		 buf[FMT_LEN];

	if (row == NULL)
		return -1;
	tpl_set(row, "LABEL", label);
	return set_cell(row, "CUR", cmp_cell(k, cur, buf)) ||
	    set_cell(row, "PREV", cmp_cell(k, prev, buf)) ||
	    set_cell(row, "CHANGE", k == CMP_RATE ?
	    fmt_change_pp(cur, prev, buf, sizeof(buf)) :
	    fmt_change_pct(cur, prev, buf, sizeof(buf))) ? -1 : 0;
}

/*
 * The lines of a by-source or by-model table, sources by their display
 * names; 0 or -1 (no message).
 */
static int
group_rows(struct render *r, struct tpl *t, const char *section,
    const struct group *g, size_t n)
{
	struct tpl	*row;
	char		 buf[FMT_LEN];
	size_t		 i;

	for (i = 0; i < n; i++) {
		const struct totals *x = &g[i].t;
		if ((row = tpl_section(t, section)) == NULL)
			return -1;
		tpl_set(row, "NAME", g[i].name[0] == '\0' ?
		    msg_get(r->msg, "ui", "none") : strcmp(section, "SOURCE") == 0 ?
		    source_name(r, g[i].name) : g[i].name);
		if (set_cell(row, "REQUESTS", fmt_int(x->requests, buf,
		    sizeof(buf))) ||
		    set_cell(row, "TOKENS", fmt_int(x->tokens, buf,
		    sizeof(buf))) ||
		    set_cell(row, "COST", fmt_usd(x->cost_nusd, 4, buf,
		    sizeof(buf))) ||
		    set_cell(row, "SUCCESS", cmp_cell(CMP_RATE, rate(x), buf)) ||
		    set_cell(row, "AVG", cmp_cell(CMP_SECONDS, avg_s(x), buf)) ||
		    set_cell(row, "P95", cmp_cell(CMP_SECONDS, p95_s(x), buf)))
			return -1;
	}
	return 0;
}

/*
 * One CSV line from the fields of o: their names in the catalogue m's
 * words (ui.csv_NAME; the names themselves when m is NULL), or their
 * values.
 */
static void
csv_line(struct buf *b, const struct msg *m, const cJSON *o, int names)
{
	const cJSON	*f;
	char		 key[64];

	for (f = o->child; f != NULL; f = f->next) {
		if (f != o->child)
			buf_add(b, ",", 1);
		if (names && m != NULL && fixed_printf(key, sizeof(key),
		    "csv_%s", f->string) == 0)
			esc_csv(b, msg_get(m, "ui", key));
		else if (names)
			esc_csv(b, f->string);
		else if (cJSON_IsString(f))
			esc_csv(b, f->valuestring);
		else
			buf_printf(b, "%.15g", f->valuedouble);
	}
	buf_add(b, "\r\n", 2);
}

int
report_csv(struct buf *b, const struct msg *m, const char *key,
    const struct group *g, size_t n)
{
	static const struct totals zero;
	cJSON	*o;
	size_t	 i;

	for (i = 0; i <= n; i++) {
		o = totals_json(i > 0 ? &g[i - 1].t : &zero, key,
		    i > 0 ? g[i - 1].name : "");
		if (o == NULL)
			return -1;
		csv_line(b, m, o, i == 0);
		cJSON_Delete(o);
	}
	return b->failed ? -1 : 0;
}

/* Requests per local hour of a day, from hourly_stats. */
struct hours {
	int64_t		 start[TZ_DAY_HOURS + 1];
	int		 n;
	int64_t		 req[TZ_DAY_HOURS];
	const char	*bad;		/* why the walk stopped */
};

static int
hour_row(const struct db_stats *s, void *arg)
{
	struct hours	*h = arg;
	int64_t		 ms;
	int		 i;

	if (tz_hour_start(s->key, &ms) != 0) {
		h->bad = "an hourly_stats row with a malformed hour";
		return 1;
	}
	/* Rows keyed by UTC hours before the local-hour upgrade miss. */
	for (i = 0; i < h->n; i++)
		if (h->start[i] == ms)
			h->req[i] += s->requests;
	return 0;
}

/*
 * The local hours of a day, up to now: labels (local HH:MM) and
 * requests; 0, or -1 with a message.
 */
static int
series_hours(struct render *r, const struct period *p, cJSON *lab,
    cJSON *req)
{
	struct hours	 h;
	char		 hfrom[TZ_HOUR_LEN], hto[TZ_HOUR_LEN], buf[16];
	enum db_rc	 rc;
	int		 k;
	time_t		 t;
	struct tm	 tm;

	memset(&h, 0, sizeof(h));
	if ((h.n = tz_day_hours(p->from, h.start)) < 0) {
		log_errx("report %s: not a day", p->label);
		return -1;
	}
	tz_hour(h.start[0], hfrom);
	tz_hour(h.start[h.n], hto);
	if ((rc = db_stats_each(r->db, DB_HOURLY, hfrom, hto, hour_row,
	    &h)) != DB_OK) {
		log_errx("report %s: %s: %s", p->label, r->conf->database,
		    rc == DB_ABORT ? h.bad : db_errmsg(r->db));
		return -1;
	}
	/* Hours still to come are not drawn as zero bars. */
	for (k = 0; k < h.n && h.start[k] <= r->now_ms; k++) {
		t = (time_t)(h.start[k] / 1000);
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(buf, sizeof(buf), "%H:%M", &tm) == 0 ||
		    jtree_push_str(lab, buf) ||
		    jtree_push_num(req, (double)h.req[k])) {
			log_errx("report %s: out of memory", p->label);
			return -1;
		}
	}
	return 0;
}

/* The days of a week or month: labels, requests, cost; 0 or -1. */
static int
series_days(struct render *r, const struct period *p, cJSON *lab,
    cJSON *req, cJSON *cost)
{
	char		 buf[TS_DAY_LEN];
	int64_t		 n, to;
	size_t		 i;

	tz_day(r->now_ms, buf);
	/* Days still to come are not drawn as zero bars. */
	to = ts_day_num(p->to) < ts_day_num(buf) + 1 ? ts_day_num(p->to) :
	    ts_day_num(buf) + 1;
	for (n = ts_day_num(p->from); n < to; n++) {
		int64_t requests = 0, cost_nusd = 0;
		ts_day_str(n, buf);
		for (i = rows_from(r, buf); i < r->nrows &&
		    strcmp(r->rows[i].day, buf) == 0; i++) {
			requests += r->rows[i].t.requests;
			cost_nusd += r->rows[i].t.cost_nusd;
		}
		if (jtree_push_str(lab, buf) ||
		    jtree_push_num(req, (double)requests) ||
		    jtree_push_num(cost, (double)cost_nusd / 1e9)) {
			log_errx("report %s: out of memory", p->label);
			return -1;
		}
	}
	return 0;
}

/*
 * The charts of a report: hours of a day, or days of a week or month,
 * and for those the more charts' series ("more", charts.c) with the
 * error-rate alert threshold.  Returns a new object, or NULL with a
 * message.
 */
static cJSON *
series(struct render *r, const struct period *p)
{
	cJSON	*o = cJSON_CreateObject(), *lab, *req, *cost = NULL, *more;
	int	 daily = strcmp(p->type, "daily") == 0;
	char	 today[TS_DAY_LEN];
	int64_t	 to;

	if (o == NULL || (lab = cJSON_AddArrayToObject(o, "labels")) == NULL ||
	    (req = cJSON_AddArrayToObject(o, "requests")) == NULL ||
	    (!daily && (cost = cJSON_AddArrayToObject(o, "cost_usd")) ==
	    NULL)) {
		log_errx("report %s: out of memory", p->label);
		goto fail;
	}
	if (daily ? series_hours(r, p, lab, req) :
	    series_days(r, p, lab, req, cost))
		goto fail;
	if (daily)
		return o;
	/* Days still to come have no points, as in series_days(). */
	tz_day(r->now_ms, today);
	to = ts_day_num(p->to) < ts_day_num(today) + 1 ? ts_day_num(p->to) :
	    ts_day_num(today) + 1;
	more = charts_series(r, ts_day_num(p->from), to, NULL);
	if (more != NULL && cJSON_AddNumberToObject(more, "error_rate",
	    r->conf->alerts.error_rate) == NULL) {
		cJSON_Delete(more);
		more = NULL;
	}
	if (jtree_put(o, "more", more)) {	/* it frees more */
		log_errx("report %s: out of memory", p->label);
		goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* Every alert of the period's days; NULL when out of memory. */
static cJSON *
alerts_json(struct render *r, const struct period *p)
{
	cJSON	*arr = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; arr != NULL && i < r->nalerts; i++)
		if (strcmp(r->alerts[i].day, p->from) >= 0 &&
		    strcmp(r->alerts[i].day, p->to) < 0 &&
		    jtree_push(arr, alert_json(&r->alerts[i]))) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}

/* The alert list of the HTML; 0 or -1 (no message). */
static int
html_alerts(struct render *r, struct tpl *t, const cJSON *alerts)
{
	static const char *const keys[] = { "SEVERITY", "severity",
	    "MESSAGE", "message", "DAY", "day", NULL };
	const cJSON	*a;
	struct tpl	*row;

	if (cJSON_GetArraySize(alerts) == 0)
		tpl_show(t, "NO_ALERTS");
	cJSON_ArrayForEach(a, alerts) {
		if ((row = tpl_section(t, "ALERT")) == NULL)
			return -1;
		tpl_from_json(row, a, keys);
		alert_words(r, row, NULL, cJSON_GetStringValue(
		    cJSON_GetObjectItem(a, "severity")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(a, "state")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(a, "scope")));
	}
	return tpl_failed(t) ? -1 : 0;
}

/* The JSON of a report; NULL when out of memory (no message). */
static cJSON *
report_json(struct render *r, const struct period *p,
    const struct totals *tot, const struct totals *prev,
    const struct groups *src, const struct groups *mod)
{
	cJSON	*o = cJSON_CreateObject();
	char	 start[64], end[64];
	int64_t	 ms;

	if (o == NULL ||
	    tz_day_start(p->from, 0, &ms) ||
	    format_offset_time(ms, start, sizeof(start)) ||
	    tz_day_start(p->to, 0, &ms) ||
	    format_offset_time(ms, end, sizeof(end)) ||
	    cJSON_AddStringToObject(o, "type", p->type) == NULL ||
	    cJSON_AddStringToObject(o, "label", p->label) == NULL ||
	    cJSON_AddStringToObject(o, "timezone", r->conf->timezone) == NULL ||
	    cJSON_AddStringToObject(o, "start", start) == NULL ||
	    cJSON_AddStringToObject(o, "end", end) == NULL ||
	    jtree_put(o, "totals", totals_json(tot, NULL, NULL)) ||
	    jtree_put(o, "previous", totals_json(prev, NULL, NULL)) ||
	    jtree_put(o, "by_source", groups_json(src->g, src->n, "source")) ||
	    jtree_put(o, "by_model", groups_json(mod->g, mod->n, "model")) ||
	    jtree_put(o, "alerts", alerts_json(r, p)) ||
	    jtree_put_opt_str(o, "older", p->older) ||
	    jtree_put_opt_str(o, "newer", p->newer)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* A link to the report of label beside this one (none when NULL). */
static int
neighbour(struct tpl *tp, const char *section, const char *label)
{
	struct tpl	*e;
	char		 url[TS_DAY_LEN + 8];

	if (label == NULL)
		return 0;
	if ((e = tpl_section(tp, section)) == NULL ||
	    fixed_printf(url, sizeof(url), "%s.html", label) != 0)
		return -1;
	tpl_set(e, "LABEL", label);
	tpl_set(e, "URL", url);
	return 0;
}

/* Fill the HTML of a report; 0 or -1 (no message). */
static int
report_html(struct tpl *tp, struct render *r, const struct period *p,
    const cJSON *o, const struct totals *tot, const struct totals *prev)
{
	char	 buf[256];

	if (fixed_printf(buf, sizeof(buf), "report_title_%s", p->type) != 0)
		return -1;
	tpl_msg(tp, "TITLE", r->msg, buf, "label", p->label, NULL);
	tpl_set(tp, "TYPE", p->type);
	tpl_set(tp, "LABEL", p->label);
	tpl_set(tp, "START", cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "start")));
	tpl_set(tp, "END", cJSON_GetStringValue(cJSON_GetObjectItem(o, "end")));
	tpl_set(tp, "TIMEZONE", r->conf->timezone);
	if (period_text(r->msg, p, buf, sizeof(buf)) != 0)
		return -1;
	tpl_set(tp, "PERIOD", buf);
	if (neighbour(tp, "OLDER", p->older) || neighbour(tp, "NEWER",
	    p->newer))
		return -1;
	if (fixed_printf(buf, sizeof(buf), "%s.json", p->label) != 0)
		return -1;
	tpl_set(tp, "JSON_URL", buf);
	if (fixed_printf(buf, sizeof(buf), "%s.csv", p->label) != 0)
		return -1;
	tpl_set(tp, "CSV_URL", buf);
	if (strcmp(p->type, "daily") != 0)
		tpl_show(tp, "MORE");
	else if (explorer_has_day(r, p->from)) {
		tpl_show(tp, "EXPORTS");
		tpl_set(tp, "DAY", p->from);
	}
	return cmp_row(tp, msg_get(r->msg, "ui", "report_requests"), CMP_COUNT,
	    (double)tot->requests, (double)prev->requests) ||
	    cmp_row(tp, msg_get(r->msg, "ui", "report_success_rate"), CMP_RATE,
	    rate(tot), rate(prev)) ||
	    cmp_row(tp, msg_get(r->msg, "ui", "report_failures"), CMP_COUNT,
	    (double)tot->failures, (double)prev->failures) ||
	    cmp_row(tp, msg_get(r->msg, "ui", "report_avg_latency"),
	    CMP_SECONDS, avg_s(tot), avg_s(prev)) ||
	    cmp_row(tp, msg_get(r->msg, "ui", "report_p95_latency"),
	    CMP_SECONDS, p95_s(tot), p95_s(prev)) ||
	    cmp_row(tp, msg_get(r->msg, "ui", "report_tokens"), CMP_COUNT,
	    (double)tot->tokens, (double)prev->tokens) ||
	    cmp_row(tp, msg_get(r->msg, "ui", "report_cost"), CMP_NUSD,
	    (double)tot->cost_nusd, (double)prev->cost_nusd) ? -1 : 0;
}

/* The path of a report file; 0 or -1 (no message). */
static int
report_path(char *buf, size_t size, const struct period *p, const char *ext)
{
	return fixed_printf(buf, size, "reports/%s/%s.%s", p->type, p->label,
	    ext);
}

/* One report's JSON, CSV and HTML; 0, or -1 with a message. */
static int
report(struct render *r, const struct period *p)
{
	struct groups	 src = { NULL, 0, 0 }, mod = { NULL, 0, 0 };
	struct totals	 tot, prev, *t;
	struct buf	 csv = { 0 }, esc = { 0 };
	cJSON		*o = NULL, *ser = NULL;
	struct tpl	*tp = NULL;
	char		*json = NULL, path[128];
	cJSON		*bud;
	size_t		 i;
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
		if ((t = group(&src, d->source)) == NULL)
			goto oom;
		totals_add(t, &d->t);
		if ((t = group(&mod, d->model)) == NULL)
			goto oom;
		totals_add(t, &d->t);
	}
	qsort(src.g, src.n, sizeof(*src.g), by_name);
	qsort(mod.g, mod.n, sizeof(*mod.g), by_name);

	if ((o = report_json(r, p, &tot, &prev, &src, &mod)) == NULL ||
	    (tp = tpl_new()) == NULL)
		goto oom;
	/* A month's report shows its budgets: spent, or where it is going. */
	if (strcmp(p->type, "monthly") == 0) {
		if ((bud = cJSON_AddArrayToObject(o, "budgets")) == NULL)
			goto oom;
		if (budgets_fill(r, p->from, tp, bud))
			goto out;
	}
	if ((json = cJSON_Print(o)) == NULL)
		goto oom;
	if (report_path(path, sizeof(path), p, "json"))
		goto long_path;
	if (out_write(r, path, json, strlen(json)))
		goto out;
	if (report_csv(&csv, r->msg, "source", src.g, src.n))
		goto oom;
	if (report_path(path, sizeof(path), p, "csv"))
		goto long_path;
	if (out_write(r, path, csv.p, csv.len))
		goto out;

	if ((ser = series(r, p)) == NULL)
		goto out;
	cJSON_free(json);
	if ((json = cJSON_PrintUnformatted(ser)) == NULL)
		goto oom;
	esc_json_script(&esc, json);
	if (esc.failed)
		goto oom;
	tpl_set(tp, "SERIES_JSON", esc.p);
	if (report_html(tp, r, p, o, &tot, &prev) ||
	    group_rows(r, tp, "SOURCE", src.g, src.n) ||
	    group_rows(r, tp, "MODEL", mod.g, mod.n) ||
	    html_alerts(r, tp, cJSON_GetObjectItem(o, "alerts")))
		goto oom;
	if (report_path(path, sizeof(path), p, "html"))
		goto long_path;
	rc = page(r, "report.tpl", tp, path);
	goto out;
long_path:
	log_errx("report %s %s: file name too long", p->type, p->label);
	goto out;
oom:
	log_errx("report %s %s: out of memory", p->type, p->label);
out:
	tpl_free(tp);
	cJSON_Delete(ser);
	cJSON_Delete(o);
	cJSON_free(json);
	buf_free(&csv);
	buf_free(&esc);
	free(src.g);
	free(mod.g);
	return rc;
}

/* One entry of the reports index; 0 or -1 (no message). */
static int
index_entry(struct tpl *t, const char *section, const struct period *p)
{
	struct tpl	*e = tpl_section(t, section);
	char		 buf[64];

	if (e == NULL || fixed_printf(buf, sizeof(buf), "%s/%s.html",
	    p->type, p->label) != 0)
		return -1;
	tpl_set(e, "LABEL", p->label);
	tpl_set(e, "URL", buf);
	return 0;
}

/* The reports of one kind, newest first. */
struct kind {
	const char	*section;	/* of the index */
	struct period	*p;
	size_t		 n, cap;
};

/* Add p unless it is the newest one already there; 0 or -1. */
static int
add_period(struct kind *k, const struct period *p)
{
	if (k->n > 0 && strcmp(k->p[k->n - 1].label, p->label) == 0)
		return 0;
	if (grow(&k->p, &k->cap, k->n + 1, sizeof(*k->p)))
		return -1;
	k->p[k->n++] = *p;
	return 0;
}

/*
 * Every report of every day, week and month that has rows: first the
 * periods (so that each report can link the ones beside it), then the
 * reports and the index, newest first.
 */
int
reports_run(struct render *r)
{
	struct kind	 kinds[3] = { { "DAILY", NULL, 0, 0 },
	    { "WEEKLY", NULL, 0, 0 }, { "MONTHLY", NULL, 0, 0 } };
	int		(*of[3])(const char *, struct period *) = { day_of,
	    iso_week, month_of };
	struct period	 p;
	struct tpl	*idx;
	char		 day[TS_DAY_LEN] = "";
	size_t		 i, k, j;
	int		 rc = -1;

	if ((idx = tpl_new()) == NULL) {
		log_errx("reports/index.html: out of memory");
		return -1;
	}
	/* rows are sorted by day; walk the days newest first. */
	for (i = r->nrows; i-- > 0;) {
		if (strcmp(r->rows[i].day, day) == 0)
			continue;
		memcpy(day, r->rows[i].day, sizeof(r->rows[i].day));
		if (r->latest[0] == '\0' && fixed_printf(r->latest,
		    sizeof(r->latest), "reports/daily/%s.html", day))
			goto long_name;
		for (k = 0; k < 3; k++) {
			memset(&p, 0, sizeof(p));
			if (of[k](day, &p))
				goto long_name;
			if (add_period(&kinds[k], &p))
				goto oom;
		}
	}
	for (k = 0; k < 3; k++)
		for (j = 0; j < kinds[k].n; j++) {
			p = kinds[k].p[j];
			p.newer = j > 0 ? kinds[k].p[j - 1].label : NULL;
			p.older = j + 1 < kinds[k].n ? kinds[k].p[j + 1].label :
			    NULL;
			if (report(r, &p) != 0)
				goto out;
			if (index_entry(idx, kinds[k].section, &p) != 0)
				goto oom;
		}
	if (r->nrows == 0)
		tpl_show(idx, "EMPTY");
	tpl_msg(idx, "META", r->msg, "reports_meta", "zone", r->conf->timezone,
	    NULL);
	rc = page(r, "reports.tpl", idx, "reports/index.html");
	goto out;
oom:
	log_errx("reports/index.html: out of memory");
	goto out;
long_name:
	log_errx("reports of %s: a name does not fit", day);
out:
	for (k = 0; k < 3; k++)
		free(kinds[k].p);
	tpl_free(idx);
	return rc;
}
