/* dashboard.c — index.html and the JSON data behind the dashboard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "render.h"
#include "ts.h"

#define MAX_SOURCES	64

/* The latency chart's bucket (0-1, 1-2, 2-3, 3-5, > 5 s) of each
 * histogram bucket, by its midpoint. */
static int
lat_bucket(int h)
{
	static signed char	 map[HIST_BUCKETS];
	static int		 ready;
	int64_t			 us;
	int			 i;

	if (!ready) {
		for (i = 0; i < HIST_BUCKETS; i++) {
			us = hist_value(i);
			map[i] = us <= 1000000 ? 0 : us <= 2000000 ? 1 :
			    us <= 3000000 ? 2 : us <= 5000000 ? 3 : 4;
		}
		ready = 1;
	}
	return map[h];
}

struct dash {
	struct render	*r;
	char		 days[DASH_DAYS][TS_DAY_LEN];
	const char	*sources[MAX_SOURCES];
	size_t		 nsources;
	int64_t		 hour0;			/* first hour of the chart */
	int64_t		 hourly[MAX_SOURCES][DASH_HOURS];
	cJSON		*recent;
};

static int
source_index(struct dash *d, const char *s)
{
	size_t	 i;

	for (i = 0; i < d->nsources; i++)
		if (strcmp(d->sources[i], s) == 0)
			return (int)i;
	return -1;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
hour_row(const struct db_stats *s, void *arg)
{
	struct dash	*d = arg;
	int64_t		 ms, i;
	int		 k;

	if (tz_hour_start(s->key, &ms) || (k = source_index(d, s->source)) < 0)
		return 0;
	i = (ms - d->hour0) / 3600000;
	if (i >= 0 && i < DASH_HOURS)
		d->hourly[k][i] += s->requests;
	return 0;
}

static cJSON *
int_array(const int64_t *v, size_t n)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; a != NULL && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
	return a;
}

/* Per source: one array per measure, one element per day. */
static cJSON *
daily_json(struct dash *d, size_t k)
{
	struct render	*r = d->r;
	int64_t		 v[6][DASH_DAYS], b[DASH_DAYS][5];
	cJSON		*o = cJSON_CreateObject(), *cost, *lb, *x;
	static const char *const names[] = { "requests", "successes",
	    "failures", "latency_sum_us", "tokens" };
	size_t		 i, j;
	int		 day, h;

	memset(v, 0, sizeof(v));
	memset(b, 0, sizeof(b));
	for (i = rows_from(r, d->days[0]); i < r->nrows; i++) {
		const struct dayrow *row = &r->rows[i];
		if (strcmp(row->source, d->sources[k]) != 0)
			continue;
		for (day = 0; day < DASH_DAYS; day++)
			if (strcmp(row->day, d->days[day]) == 0)
				break;
		if (day == DASH_DAYS)
			continue;
		v[0][day] += row->t.requests;
		v[1][day] += row->t.successes;
		v[2][day] += row->t.failures;
		v[3][day] += row->t.latency_sum_us;
		v[4][day] += row->t.tokens;
		v[5][day] += row->t.cost_nusd;
		for (h = 0; h < HIST_BUCKETS; h++)
			b[day][lat_bucket(h)] += (int64_t)row->t.hist.n[h];
	}
	if (o == NULL)
		return NULL;
	for (j = 0; j < 5; j++)
		cJSON_AddItemToObject(o, names[j], int_array(v[j], DASH_DAYS));
	cost = cJSON_AddArrayToObject(o, "cost_usd");
	lb = cJSON_AddArrayToObject(o, "latency_buckets");
	for (day = 0; day < DASH_DAYS; day++) {
		cJSON_AddItemToArray(cost,
		    cJSON_CreateNumber((double)v[5][day] / 1e9));
		x = int_array(b[day], 5);
		cJSON_AddItemToArray(lb, x);
	}
	return o;
}

static void
add_opt_string(cJSON *o, const char *key, const char *v)
{
	if (v == NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, v);
}

static int
recent_row(const struct db_recent *rr, void *arg)
{
	struct dash	*d = arg;
	cJSON		*o = cJSON_CreateObject();
	char		 t[TS_RFC3339_LEN];

	if (o == NULL)
		return 1;
	ts_format_rfc3339(rr->ts_ms, t);
	cJSON_AddStringToObject(o, "time", t);
	cJSON_AddStringToObject(o, "source", rr->source);
	add_opt_string(o, "user_id", rr->user_id);
	add_opt_string(o, "command", rr->command);
	add_opt_string(o, "model", rr->model);
	cJSON_AddStringToObject(o, "status", rr->status);
	cJSON_AddNumberToObject(o, "latency_s", (double)rr->latency_us / 1e6);
	cJSON_AddNumberToObject(o, "tokens", (double)rr->tokens);
	cJSON_AddNumberToObject(o, "cost_usd", (double)rr->cost_nusd / 1e9);
	cJSON_AddItemToArray(d->recent, o);
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return -strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "time")),
	    cJSON_GetStringValue(cJSON_GetObjectItem(y, "time")));
}

/* The newest rows of every source, newest first (so each source's 50). */
static int
recent(struct dash *d)
{
	cJSON	**v, *it, *sorted;
	size_t	  i, n;

	if ((d->recent = cJSON_CreateArray()) == NULL)
		return -1;
	for (i = 0; i < d->nsources; i++)
		if (db_recent_each(d->r->db, d->sources[i], d->r->now_ms,
		    RECENT_ROWS, recent_row, d) != DB_OK)
			return -1;
	n = (size_t)cJSON_GetArraySize(d->recent);
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL ||
	    (sorted = cJSON_CreateArray()) == NULL) {
		free(v);
		return -1;
	}
	i = 0;
	while ((it = cJSON_DetachItemFromArray(d->recent, 0)) != NULL)
		v[i++] = it;
	qsort(v, n, sizeof(*v), newest_first);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(sorted, v[i]);
	free(v);
	cJSON_Delete(d->recent);
	d->recent = sorted;
	return 0;
}

/* The strip shows today's open alerts; older ones are history. */
static cJSON *
active_alerts(struct render *r, const char *today)
{
	cJSON	*arr = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; arr != NULL && i < r->nalerts; i++)
		if (r->alerts[i].state != ALERT_RESOLVED &&
		    strcmp(r->alerts[i].day, today) == 0)
			cJSON_AddItemToArray(arr, alert_json(&r->alerts[i]));
	return arr;
}

static cJSON *
dashboard_json(struct dash *d)
{
	struct render	*r = d->r;
	cJSON		*o = cJSON_CreateObject(), *a, *daily, *hourly, *req;
	char		 t[TS_RFC3339_LEN];
	int64_t		 ms;
	size_t		 i;

	if (o == NULL)
		return NULL;
	ts_format_rfc3339(r->data_ms, t);
	cJSON_AddStringToObject(o, "generated", t);
	cJSON_AddStringToObject(o, "timezone", r->conf->timezone);
	cJSON_AddNumberToObject(o, "cron_interval_s", 60);
	cJSON_AddStringToObject(o, "today", d->days[DASH_DAYS - 1]);
	a = cJSON_AddArrayToObject(o, "days");
	for (i = 0; i < DASH_DAYS; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(d->days[i]));
	a = cJSON_AddArrayToObject(o, "day_start_ms");
	for (i = 0; i < DASH_DAYS; i++) {
		tz_day_start(d->days[i], 0, &ms);
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)ms));
	}
	a = cJSON_AddArrayToObject(o, "sources");
	for (i = 0; i < d->nsources; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(d->sources[i]));
	daily = cJSON_AddObjectToObject(o, "daily");
	for (i = 0; i < d->nsources; i++)
		cJSON_AddItemToObject(daily, d->sources[i], daily_json(d, i));
	hourly = cJSON_AddObjectToObject(o, "hourly");
	cJSON_AddNumberToObject(hourly, "start_ms", (double)d->hour0);
	cJSON_AddNumberToObject(hourly, "hours", DASH_HOURS);
	req = cJSON_AddObjectToObject(hourly, "requests");
	for (i = 0; i < d->nsources; i++)
		cJSON_AddItemToObject(req, d->sources[i],
		    int_array(d->hourly[i], DASH_HOURS));
	cJSON_AddItemReferenceToObject(o, "recent", d->recent);
	cJSON_AddItemToObject(o, "alerts",
	    active_alerts(r, d->days[DASH_DAYS - 1]));
	if (r->latest[0] != '\0')
		cJSON_AddStringToObject(o, "latest_report", r->latest);
	else
		cJSON_AddNullToObject(o, "latest_report");
	return o;
}

/* The initial table and alert strip, for readers without JavaScript. */
static void
fill_page(struct dash *d, struct tpl *t, cJSON *o, const char *esc)
{
	static const char *const rkeys[] = { "TIME", "time", "SOURCE",
	    "source", "USER", "user_id", "COMMAND", "command", "MODEL",
	    "model", "STATUS", "status", NULL };
	static const char *const akeys[] = { "SEVERITY", "severity",
	    "MESSAGE", "message", "SCOPE", "scope", "DAY", "day", NULL };
	const cJSON	*it;
	struct tpl	*row;
	char		 buf[64];
	int		 n = 0;

	tpl_set(t, "TITLE", "apimon");
	tpl_set(t, "UPDATED_AT", cJSON_GetStringValue(
	    cJSON_GetObjectItem(o, "generated")));
	tpl_set(t, "TIMEZONE", d->r->conf->timezone);
	tpl_set(t, "DATA_JSON", esc);
	cJSON_ArrayForEach(it, d->recent) {
		if (n++ == RECENT_ROWS)
			break;
		row = tpl_section(t, "RECENT");
		tpl_from_json(row, it, rkeys);
		snprintf(buf, sizeof(buf), "%.3f", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "latency_s")));
		tpl_set(row, "LATENCY", buf);
		tpl_set_int(row, "TOKENS", (long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "tokens")));
		snprintf(buf, sizeof(buf), "%.6f", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "cost_usd")));
		tpl_set(row, "COST", buf);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "alerts"))
		tpl_from_json(tpl_section(t, "ALERT"), it, akeys);
	if (d->r->latest[0] != '\0') {
		tpl_show(t, "HAS_REPORT");
		tpl_set(t, "LATEST_REPORT", d->r->latest);
	}
}

int
dashboard_run(struct render *r)
{
	struct dash	*d;
	struct tpl	*t = NULL;
	cJSON		*o = NULL;
	char		*json = NULL, *esc = NULL, *req = NULL;
	char		 from[TZ_HOUR_LEN], to[TZ_HOUR_LEN];
	int64_t		 today;
	size_t		 i;
	int		 rc = -1;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_errx("out of memory");
		return -1;
	}
	d->r = r;
	tz_day(r->now_ms, d->days[DASH_DAYS - 1]);
	today = ts_day_num(d->days[DASH_DAYS - 1]);
	for (i = 0; i < DASH_DAYS; i++)
		ts_day_str(today - (int64_t)(DASH_DAYS - 1 - i), d->days[i]);
	for (i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].day, d->days[0]) >= 0 &&
		    source_index(d, r->rows[i].source) < 0 &&
		    d->nsources < MAX_SOURCES)
			d->sources[d->nsources++] = r->rows[i].source;
	qsort(d->sources, d->nsources, sizeof(d->sources[0]), by_str);
	d->hour0 = r->now_ms - r->now_ms % 3600000 -
	    (int64_t)(DASH_HOURS - 1) * 3600000;
	tz_hour(d->hour0, from);
	tz_hour(r->now_ms - r->now_ms % 3600000 + 3600000, to);
	if (db_stats_each(r->db, DB_HOURLY, from, to, hour_row, d) != DB_OK ||
	    recent(d) != 0 || (o = dashboard_json(d)) == NULL ||
	    (json = cJSON_PrintUnformatted(o)) == NULL ||
	    (esc = esc_json_script(json)) == NULL ||
	    (req = cJSON_PrintUnformatted(d->recent)) == NULL ||
	    (t = tpl_new()) == NULL) {
		log_errx("dashboard: %s", db_errmsg(r->db));
		goto out;
	}
	fill_page(d, t, o, esc);
	if (out_write(r, "data/dashboard.json", json, strlen(json)) ||
	    out_write(r, "data/requests.json", req, strlen(req)) ||
	    page(r, "dashboard.tpl", t, "index.html"))
		goto out;
	rc = 0;
out:
	tpl_free(t);
	cJSON_Delete(o);
	cJSON_Delete(d->recent);
	cJSON_free(json);
	cJSON_free(req);
	free(esc);
	free(d);
	return rc;
}
