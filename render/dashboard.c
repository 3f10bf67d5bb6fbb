/* dashboard.c — index.html and the JSON data behind the dashboard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "log.h"
#include "render.h"
#include "ts.h"

/* What the dashboard shows of one source. */
struct dsrc {
	const char	*name;
	int64_t		 v[6][DASH_DAYS];	/* see daily_json() */
	int64_t		 lat[DASH_DAYS][HIST_LAT_BUCKETS];
	int64_t		*hourly;		/* requests, one per hour */
	struct db_stats	 yday;			/* yesterday until now's time */
};

struct dash {
	struct render	*r;
	char		 days[DASH_DAYS][TS_DAY_LEN];
	int64_t		 day0;			/* days[0] as a day number */
	struct dsrc	*src;			/* sorted by name */
	size_t		 nsrc;
	int64_t		*hour;			/* local hour starts */
	size_t		 nhours, caphours;
	int64_t		 yday_from, yday_to;	/* yesterday until now's time */
	cJSON		*recent;
	const char	*bad;			/* why a walk stopped */
};

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
by_src_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dsrc *)elem)->name);
}

static struct dsrc *
source_of(struct dash *d, const char *name)
{
	return d->nsrc == 0 ? NULL : bsearch(name, d->src, d->nsrc,
	    sizeof(*d->src), by_src_name);
}

/*
 * Every source with a row in the dashboard's days, each once and sorted,
 * as many as there are; then their per-day numbers in one pass over the
 * rows.  0, or -1 when out of memory.
 */
static int
sources(struct dash *d)
{
	struct render	*r = d->r;
	const char	**names = NULL;
	size_t		  i, n = 0, cap = 0, first = rows_from(r, d->days[0]);
	struct dsrc	 *s;
	int64_t		  day;
	int		  h;

	for (i = first; i < r->nrows; i++) {
		if (grow(&names, &cap, n + 1, sizeof(*names))) {
			free(names);
			return -1;
		}
		names[n++] = r->rows[i].source;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), by_str);
	if ((d->src = calloc(n ? n : 1, sizeof(*d->src))) == NULL) {
		free(names);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (d->nsrc == 0 || strcmp(d->src[d->nsrc - 1].name,
		    names[i]) != 0)
			d->src[d->nsrc++].name = names[i];
	free(names);
	for (i = first; i < r->nrows; i++) {
		const struct dayrow *row = &r->rows[i];
		day = ts_day_num(row->day) - d->day0;
		if (day < 0 || day >= DASH_DAYS ||
		    (s = source_of(d, row->source)) == NULL)
			continue;
		s->v[0][day] += row->t.requests;
		s->v[1][day] += row->t.successes;
		s->v[2][day] += row->t.failures;
		s->v[3][day] += row->t.latency_sum_us;
		s->v[4][day] += row->t.tokens;
		s->v[5][day] += row->t.cost_nusd;
		for (h = 0; h < HIST_LAT_BUCKETS; h++)
			s->lat[day][h] += row->t.lat[h];
	}
	for (i = 0; i < d->nsrc; i++)
		if ((d->src[i].hourly = calloc(d->nhours ? d->nhours : 1,
		    sizeof(int64_t))) == NULL)
			return -1;
	return 0;
}

/*
 * The local hours the charts show: from the first day of the longest
 * range to the hour that holds now, each from one local HH:00 to the next.
 * 0, or -1 when out of memory.
 */
static int
hours(struct dash *d)
{
	int64_t	 start[TZ_DAY_HOURS + 1];
	int	 day, n, i;

	for (day = DASH_DAYS - DASH_RANGE; day < DASH_DAYS; day++) {
		if ((n = tz_day_hours(d->days[day], start)) < 0)
			return -1;
		for (i = 0; i < n && start[i] <= d->r->now_ms; i++) {
			if (grow(&d->hour, &d->caphours, d->nhours + 1,
			    sizeof(*d->hour)))
				return -1;
			d->hour[d->nhours++] = start[i];
		}
	}
	return 0;
}

/* The index of the hour that starts at ms, or -1. */
static long
hour_index(const struct dash *d, int64_t ms)
{
	size_t	 lo = 0, hi = d->nhours, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->hour[mid] < ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nhours && d->hour[lo] == ms ? (long)lo : -1;
}

static int
hour_row(const struct db_stats *st, void *arg)
{
	struct dash	*d = arg;
	struct dsrc	*s;
	int64_t		 ms;
	long		 i;

	if (tz_hour_start(st->key, &ms) != 0) {
		d->bad = "an hourly_stats row with a malformed hour";
		return 1;
	}
	/*
	 * A source whose first rows were rolled up after the daily rows were
	 * read is not on this dashboard yet; the next run shows it.
	 */
	if ((s = source_of(d, st->source)) == NULL)
		return 0;
	/* Rows keyed by UTC hours before the local-hour upgrade miss. */
	if ((i = hour_index(d, ms)) >= 0)
		s->hourly[i] += st->requests;
	return 0;
}

static int
yday_row(const struct db_stats *st, void *arg)
{
	struct dash	*d = arg;
	struct dsrc	*s;

	if ((s = source_of(d, st->source)) == NULL)
		return 0;
	s->yday.requests += st->requests;
	s->yday.successes += st->successes;
	s->yday.failures += st->failures;
	s->yday.latency_sum_us += st->latency_sum_us;
	s->yday.tokens += st->tokens;
	s->yday.cost_nusd += st->cost_nusd;
	return 0;
}

/* One source's totals of yesterday until now's time of day. */
static cJSON *
yday_json(const struct db_stats *y)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL ||
	    !cJSON_AddNumberToObject(o, "requests", (double)y->requests) ||
	    !cJSON_AddNumberToObject(o, "successes", (double)y->successes) ||
	    !cJSON_AddNumberToObject(o, "failures", (double)y->failures) ||
	    !cJSON_AddNumberToObject(o, "latency_sum_us",
	    (double)y->latency_sum_us) ||
	    !cJSON_AddNumberToObject(o, "tokens", (double)y->tokens) ||
	    !cJSON_AddNumberToObject(o, "cost_usd",
	    (double)y->cost_nusd / 1e9)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* NULL when out of memory. */
static cJSON *
int_array(const int64_t *v, size_t n)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; a != NULL && i < n; i++)
		if (jtree_push_num(a, (double)v[i])) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

/*
 * Per source: one array per measure, one element per day.  NULL when out
 * of memory.
 */
static cJSON *
daily_json(const struct dsrc *s)
{
	static const char *const names[] = { "requests", "successes",
	    "failures", "latency_sum_us", "tokens" };
	cJSON		*o = cJSON_CreateObject(), *cost, *lb;
	size_t		 j;
	int		 day;

	if (o == NULL)
		return NULL;
	for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
		if (jtree_put(o, names[j], int_array(s->v[j], DASH_DAYS)))
			goto fail;
	if ((cost = cJSON_AddArrayToObject(o, "cost_usd")) == NULL ||
	    (lb = cJSON_AddArrayToObject(o, "latency_buckets")) == NULL)
		goto fail;
	for (day = 0; day < DASH_DAYS; day++)
		if (jtree_push_num(cost, (double)s->v[5][day] / 1e9) ||
		    jtree_push(lb, int_array(s->lat[day], HIST_LAT_BUCKETS)))
			goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int
recent_row(const struct db_recent *rr, void *arg)
{
	struct dash	*d = arg;
	cJSON		*o = cJSON_CreateObject();
	char		 t[TS_RFC3339_LEN];

	ts_format_rfc3339(rr->ts_ms, t);
	if (o == NULL ||
	    cJSON_AddStringToObject(o, "time", t) == NULL ||
	    cJSON_AddStringToObject(o, "request_id", rr->request_id) == NULL ||
	    cJSON_AddStringToObject(o, "source", rr->source) == NULL ||
	    jtree_put_opt_str(o, "user_id", rr->user_id) ||
	    jtree_put_opt_str(o, "command", rr->command) ||
	    jtree_put_opt_str(o, "model", rr->model) ||
	    cJSON_AddStringToObject(o, "status", rr->status) == NULL ||
	    cJSON_AddNumberToObject(o, "latency_s",
	    (double)rr->latency_us / 1e6) == NULL ||
	    cJSON_AddNumberToObject(o, "tokens", (double)rr->tokens) == NULL ||
	    cJSON_AddNumberToObject(o, "cost_usd",
	    (double)rr->cost_nusd / 1e9) == NULL) {
		cJSON_Delete(o);
		d->bad = "out of memory";
		return 1;
	}
	if (jtree_push(d->recent, o)) {
		d->bad = "out of memory";
		return 1;
	}
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return -strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "time")),
	    cJSON_GetStringValue(cJSON_GetObjectItem(y, "time")));
}

/*
 * The newest rows of every source, newest first (so each source's 50).
 * 0, or -1 with a message.
 */
static int
recent(struct dash *d)
{
	cJSON		**v, *it, *sorted;
	size_t		  i, n;
	enum db_rc	  rc;

	if ((d->recent = cJSON_CreateArray()) == NULL)
		goto oom;
	for (i = 0; i < d->nsrc; i++)
		if ((rc = db_recent_each(d->r->db, d->src[i].name,
		    d->r->now_ms, RECENT_ROWS, recent_row, d)) != DB_OK) {
			log_errx("dashboard: %s: %s", d->r->conf->database,
			    rc == DB_ABORT ? d->bad : db_errmsg(d->r->db));
			return -1;
		}
	n = (size_t)cJSON_GetArraySize(d->recent);
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		goto oom;
	if ((sorted = cJSON_CreateArray()) == NULL) {
		free(v);
		goto oom;
	}
	i = 0;
	while ((it = cJSON_DetachItemFromArray(d->recent, 0)) != NULL)
		v[i++] = it;
	qsort(v, n, sizeof(*v), newest_first);
	/* Adding to an array only links the item: it cannot fail here. */
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(sorted, v[i]);
	free(v);
	cJSON_Delete(d->recent);
	d->recent = sorted;
	return 0;
oom:
	log_errx("dashboard: out of memory");
	return -1;
}

/* The strip shows today's open alerts; older ones are history. */
static cJSON *
active_alerts(struct render *r, const char *today)
{
	cJSON	*arr = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; arr != NULL && i < r->nalerts; i++)
		if (ALERT_ACTIVE(&r->alerts[i]) &&
		    strcmp(r->alerts[i].day, today) == 0 &&
		    jtree_push(arr, alert_json(&r->alerts[i]))) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}

/*
 * The hours' starts, compactly: hour i starts an hour after hour i - 1,
 * but for the [i, start_ms] pairs listed (where DST moves by half an
 * hour).  NULL when out of memory.
 */
static cJSON *
hour_jumps(const struct dash *d)
{
	cJSON	*a = cJSON_CreateArray(), *p;
	int64_t	 v[2];
	size_t	 i;

	for (i = 1; a != NULL && i < d->nhours; i++) {
		if (d->hour[i] == d->hour[i - 1] + 3600000)
			continue;
		v[0] = (int64_t)i;
		v[1] = d->hour[i];
		if ((p = int_array(v, 2)) == NULL || jtree_push(a, p)) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* Everything the page shows, per source; 0 or -1 (out of memory). */
static int
dashboard_sources(struct dash *d, cJSON *o)
{
	cJSON			*names, *shown, *daily, *hourly, *req;
	size_t			 i;

	if ((names = cJSON_AddArrayToObject(o, "sources")) == NULL ||
	    (shown = cJSON_AddObjectToObject(o, "source_names")) == NULL ||
	    (daily = cJSON_AddObjectToObject(o, "daily")) == NULL ||
	    (hourly = cJSON_AddObjectToObject(o, "hourly")) == NULL ||
	    cJSON_AddNumberToObject(hourly, "start_ms", d->nhours ?
	    (double)d->hour[0] : 0) == NULL ||
	    cJSON_AddNumberToObject(hourly, "hours", (double)d->nhours) ==
	    NULL ||
	    jtree_put(hourly, "jumps", hour_jumps(d)) ||
	    (req = cJSON_AddObjectToObject(hourly, "requests")) == NULL)
		return -1;
	for (i = 0; i < d->nsrc; i++)
		if (jtree_push_str(names, d->src[i].name) ||
		    cJSON_AddStringToObject(shown, d->src[i].name,
		    source_name(d->r, d->src[i].name)) == NULL ||
		    jtree_put(daily, d->src[i].name, daily_json(&d->src[i])) ||
		    jtree_put(req, d->src[i].name,
		    int_array(d->src[i].hourly, d->nhours)))
			return -1;
	return 0;
}

/* data/dashboard.json; NULL when out of memory. */
static cJSON *
dashboard_json(struct dash *d)
{
	struct render	*r = d->r;
	cJSON		*o = cJSON_CreateObject(), *days, *starts;
	char		 t[TS_RFC3339_LEN];
	int64_t		 ms;
	size_t		 i;

	ts_format_rfc3339(r->data_ms, t);
	if (o == NULL ||
	    cJSON_AddStringToObject(o, "generated", t) == NULL ||
	    cJSON_AddStringToObject(o, "timezone", r->conf->timezone) == NULL ||
	    cJSON_AddNumberToObject(o, "cron_interval_s",
	    (double)r->conf->site.cron_interval_s) == NULL ||
	    cJSON_AddStringToObject(o, "today", d->days[DASH_DAYS - 1]) ==
	    NULL ||
	    (days = cJSON_AddArrayToObject(o, "days")) == NULL ||
	    (starts = cJSON_AddArrayToObject(o, "day_start_ms")) == NULL)
		goto fail;
	/* One more start than days: where today ends. */
	for (i = 0; i <= DASH_DAYS; i++)
		if ((i < DASH_DAYS && jtree_push_str(days, d->days[i])) ||
		    tz_day_start(d->days[i < DASH_DAYS ? i : DASH_DAYS - 1],
		    i < DASH_DAYS ? 0 : 1, &ms) ||
		    jtree_push_num(starts, (double)ms))
			goto fail;
	if (dashboard_sources(d, o) ||
	    !cJSON_AddItemReferenceToObject(o, "recent", d->recent) ||
	    jtree_put(o, "alerts", active_alerts(r, d->days[DASH_DAYS - 1])) ||
	    jtree_put_opt_str(o, "latest_report",
	    r->latest[0] != '\0' ? r->latest : NULL))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/*
 * The initial table and alert strip, for readers without JavaScript.
 * 0 or -1 (out of memory).
 */
static int
fill_page(struct dash *d, struct tpl *t, const cJSON *o, const char *esc)
{
	static const char *const rkeys[] = { "TIME", "time", "ID",
	    "request_id", "USER",
	    "user_id", "COMMAND", "command", "MODEL", "model", "STATUS",
	    "status", NULL };
	static const char *const akeys[] = { "SEVERITY", "severity",
	    "MESSAGE", "message", "DAY", "day", NULL };
	struct render	*r = d->r;
	const cJSON	*it;
	struct tpl	*row;
	char		 buf[FMT_LEN], key[64];
	int64_t		 ms;
	int		 n = 0;

	tpl_set(t, "TITLE", "apimon");
	tpl_set(t, "UPDATED_AT", cJSON_GetStringValue(
	    cJSON_GetObjectItem(o, "generated")));
	if (format_local_time(r->msg, r->data_ms, buf, sizeof(buf)) != 0)
		return -1;
	tpl_set(t, "UPDATED_TEXT", buf);
	tpl_set(t, "TIMEZONE", r->conf->timezone);
	tpl_set(t, "DATA_JSON", esc);
	cJSON_ArrayForEach(it, d->recent) {
		if (n++ == RECENT_ROWS)
			break;
		if ((row = tpl_section(t, "RECENT")) == NULL)
			return -1;
		tpl_from_json(row, it, rkeys);
		if (ts_parse_rfc3339(cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "time")), &ms) != 0 ||
		    format_local_time(r->msg, ms, buf, sizeof(buf)) != 0)
			return -1;
		tpl_set(row, "TIME_TEXT", buf);
		tpl_set(row, "SOURCE", source_name(r, cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "source"))));
		if (fixed_printf(key, sizeof(key), "status_%s",
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "status"))))
			return -1;
		tpl_set(row, "STATUS_TEXT", msg_get(r->msg, "ui", key));
		if (fmt_int((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it,
		    "tokens")), buf, sizeof(buf)) == NULL)
			return -1;
		tpl_set(row, "TOKENS", buf);
		if (page_set_num(row, "LATENCY", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "latency_s")), 3, "") ||
		    page_set_num(row, "COST", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "cost_usd")), 6, ""))
			return -1;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "alerts")) {
		if ((row = tpl_section(t, "ALERT")) == NULL)
			return -1;
		tpl_from_json(row, it, akeys);
		alert_words(r, row, NULL, cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "severity")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "state")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "scope")));
	}
	if (r->latest[0] != '\0') {
		tpl_show(t, "HAS_REPORT");
		tpl_set(t, "LATEST_REPORT", r->latest);
	}
	/* Without any data the page explains how to send the first record. */
	if (d->nsrc > 0 || r->nrows > 0)
		tpl_show(t, "HAS_DATA");
	return tpl_failed(t) ? -1 : 0;
}

/*
 * data/status.json, rewritten every run while the dashboard's own data is
 * rewritten only when it changes: when apimon last ran and how often it
 * should (a quiet system is not a stopped cron job), now, and today's
 * comparison (yesterday until the same time of day), which moves with
 * now.  NULL when out of memory.
 */
static char *
status_json(struct dash *d, cJSON *budgets)
{
	struct render	*r = d->r;
	cJSON		*o = cJSON_CreateObject(), *y, *by;
	char		 data[TS_RFC3339_LEN], run[TS_RFC3339_LEN];
	char		 now[TS_RFC3339_LEN], *text = NULL;
	size_t		 i;

	ts_format_rfc3339(r->data_ms, data);
	ts_format_rfc3339(r->run_ms, run);
	ts_format_rfc3339(r->now_ms, now);
	if (o == NULL ||
	    cJSON_AddStringToObject(o, "generated", data) == NULL ||
	    cJSON_AddStringToObject(o, "last_run", run) == NULL ||
	    cJSON_AddStringToObject(o, "now", now) == NULL ||
	    cJSON_AddNumberToObject(o, "cron_interval_s",
	    (double)r->conf->site.cron_interval_s) == NULL ||
	    (y = cJSON_AddObjectToObject(o, "same_time_yesterday")) == NULL ||
	    cJSON_AddNumberToObject(y, "from_ms", (double)d->yday_from) ==
	    NULL || cJSON_AddNumberToObject(y, "until_ms",
	    (double)d->yday_to) == NULL ||
	    (by = cJSON_AddObjectToObject(y, "by_source")) == NULL)
		goto out;
	for (i = 0; i < d->nsrc; i++)
		if (jtree_put(by, d->src[i].name, yday_json(&d->src[i].yday)))
			goto out;
	if (cJSON_GetArraySize(budgets) > 0 &&
	    jtree_put(o, "budgets", cJSON_Duplicate(budgets, 1)))
		goto out;
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return text;
}

int
dashboard_run(struct render *r)
{
	struct dash	*d;
	struct tpl	*t = NULL;
	struct buf	 esc = { 0 };
	cJSON		*o = NULL, *budgets = NULL;
	char		*json = NULL, *req = NULL, *status = NULL;
	const char	**names = NULL;
	char		 from[TZ_HOUR_LEN], to[TZ_HOUR_LEN];
	char		 yfrom[TZ_HOUR_LEN], ycut[TZ_HOUR_LEN], yday[TZ_DAY_LEN];
	int64_t		 today, cut, st[TZ_DAY_HOURS + 1];
	size_t		 i;
	enum db_rc	 rc;
	int		 ret = -1, k, n;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_errx("dashboard: out of memory");
		return -1;
	}
	d->r = r;
	tz_day(r->now_ms, d->days[DASH_DAYS - 1]);
	d->day0 = ts_day_num(d->days[DASH_DAYS - 1]) - (DASH_DAYS - 1);
	for (i = 0; i < DASH_DAYS; i++)
		ts_day_str(d->day0 + (int64_t)i, d->days[i]);
	if (hours(d) != 0 || sources(d) != 0)
		goto oom;
	/* Today so far against yesterday until the same time of day. */
	if (tz_day_start(d->days[DASH_DAYS - 1], 0, &today) ||
	    tz_day_start(d->days[DASH_DAYS - 1], -1, &d->yday_from))
		goto oom;
	d->yday_to = d->yday_from + (r->now_ms - today);
	tz_hour(d->nhours ? d->hour[0] : r->now_ms, from);
	tz_hour(r->now_ms + 1, to);
	/*
	 * Yesterday's whole hours from the rollups, the hour under way then
	 * from the raw rows: a busy day's raw rows are too many to read on
	 * every run.
	 */
	tz_day(d->yday_from, yday);
	cut = d->yday_from;
	for (k = 0, n = tz_day_hours(yday, st); k < n; k++)
		if (st[k] <= d->yday_to)
			cut = st[k];
	tz_hour(d->yday_from, yfrom);
	tz_hour(cut, ycut);
	if ((rc = db_stats_each(r->db, DB_HOURLY, from, to, hour_row, d)) !=
	    DB_OK || (cut > d->yday_from && (rc = db_stats_each(r->db,
	    DB_HOURLY, yfrom, ycut, yday_row, d)) != DB_OK) ||
	    (rc = db_raw_totals_each(r->db, cut, d->yday_to, yday_row, d)) !=
	    DB_OK) {
		log_errx("dashboard: %s: %s", r->conf->database,
		    rc == DB_ABORT ? d->bad : db_errmsg(r->db));
		goto out;
	}
	if (recent(d) != 0)
		goto out;
	if ((o = dashboard_json(d)) == NULL ||
	    (json = cJSON_PrintUnformatted(o)) == NULL ||
	    (req = cJSON_PrintUnformatted(d->recent)) == NULL)
		goto oom;
	esc_json_script(&esc, json);
	if (esc.failed || (t = tpl_new()) == NULL ||
	    fill_page(d, t, o, esc.p) != 0 ||
	    (budgets = cJSON_CreateArray()) == NULL)
		goto oom;
	/* The month's budgets move with the clock: status.json has them. */
	if (budgets_fill(r, d->days[DASH_DAYS - 1], t, budgets))
		goto out;
	if ((status = status_json(d, budgets)) == NULL)
		goto oom;
	if ((names = calloc(d->nsrc ? d->nsrc : 1, sizeof(*names))) == NULL)
		goto oom;
	for (i = 0; i < d->nsrc; i++)
		names[i] = d->src[i].name;
	if (charts_run(r, d->days[DASH_DAYS - 1], names, d->nsrc) ||
	    out_write(r, "data/status.json", status, strlen(status)) ||
	    out_write(r, "data/dashboard.json", json, strlen(json)) ||
	    out_write(r, "data/requests.json", req, strlen(req)) ||
	    page(r, "dashboard.tpl", t, "index.html"))
		goto out;
	ret = 0;
	goto out;
oom:
	log_errx("dashboard: out of memory");
out:
	tpl_free(t);
	cJSON_Delete(o);
	cJSON_Delete(budgets);
	cJSON_Delete(d->recent);
	cJSON_free(json);
	cJSON_free(req);
	buf_free(&esc);
	cJSON_free(status);
	free(names);
	for (i = 0; i < d->nsrc; i++)
		free(d->src[i].hourly);
	free(d->src);
	free(d->hour);
	free(d);
	return ret;
}
