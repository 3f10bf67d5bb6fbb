/* totals.c — sums of rollup rows and their JSON form. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "render.h"
#include "ts.h"

void
totals_add(struct totals *t, const struct totals *u)
{
	int	 i;

	t->requests += u->requests;
	t->successes += u->successes;
	t->failures += u->failures;
	t->latency_sum_us += u->latency_sum_us;
	t->tokens += u->tokens;
	t->input_tokens += u->input_tokens;
	t->output_tokens += u->output_tokens;
	t->cost_nusd += u->cost_nusd;
	for (i = 0; i < HIST_LAT_BUCKETS; i++)
		t->lat[i] += u->lat[i];
	hist_merge(&t->hist, &u->hist);
}

int
totals_add_stats(struct totals *t, const struct db_stats *s)
{
	int	 i;

	/* The histogram first: it is the only part that can be refused. */
	if (hist_decode_add(&t->hist, s->hist, s->hist_len) != 0)
		return -1;
	t->requests += s->requests;
	t->successes += s->successes;
	t->failures += s->failures;
	t->latency_sum_us += s->latency_sum_us;
	t->tokens += s->tokens;
	t->input_tokens += s->input_tokens;
	t->output_tokens += s->output_tokens;
	t->cost_nusd += s->cost_nusd;
	for (i = 0; i < HIST_LAT_BUCKETS; i++)
		t->lat[i] += s->lat[i];
	return 0;
}

cJSON *
totals_json(const struct totals *t, const char *key, const char *name)
{
	double		 n = (double)t->requests;
	const struct {
		const char	*name;
		double		 v;
	} f[] = {
		{ "requests", n },
		{ "successes", (double)t->successes },
		{ "failures", (double)t->failures },
		{ "success_rate", n > 0 ? (double)t->successes / n : 0 },
		{ "avg_latency_s", n > 0 ?
		    (double)t->latency_sum_us / n / 1e6 : 0 },
		{ "p50_latency_s", (double)hist_quantile(&t->hist, 0.50) / 1e6 },
		{ "p95_latency_s", (double)hist_quantile(&t->hist, 0.95) / 1e6 },
		{ "p99_latency_s", (double)hist_quantile(&t->hist, 0.99) / 1e6 },
		{ "tokens", (double)t->tokens },
		{ "input_tokens", (double)t->input_tokens },
		{ "output_tokens", (double)t->output_tokens },
		{ "cost_usd", (double)t->cost_nusd / 1e9 },
	};
	cJSON		*o = cJSON_CreateObject();
	size_t		 i;

	if (o == NULL ||
	    (key != NULL && cJSON_AddStringToObject(o, key, name) == NULL))
		goto fail;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (cJSON_AddNumberToObject(o, f[i].name, f[i].v) == NULL)
			goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int
format_offset_time(int64_t ms, char *buf, size_t size)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;
	long		 off;
	char		 base[32];

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		return fixed_printf(buf, size, "%sZ", base);
	return fixed_printf(buf, size, "%s%c%02ld:%02ld", base,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
}

size_t
rows_from(const struct render *r, const char *day)
{
	size_t	 lo = 0, hi = r->nrows, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(r->rows[mid].day, day) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Copy the text of b into buf (size bytes); 0, or -1 when it did not fit. */
static int
take_text(struct buf *b, char *buf, size_t size)
{
	int	 rc = b->failed || b->p == NULL ? -1 :
		    fixed_printf(buf, size, "%s", b->p);

	buf_free(b);
	return rc;
}

int
format_local_time(const struct msg *m, int64_t ms, char *buf, size_t size)
{
	time_t		 t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm	 tm;
	struct buf	 b = { 0 };
	char		 y[16], mo[4], d[4], mm[4], dd[4], hms[16];

	/* %-m and %-d: glibc's month and day without a leading zero. */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(hms, sizeof(hms), "%H:%M:%S", &tm) == 0 ||
	    strftime(y, sizeof(y), "%Y", &tm) == 0 ||
	    strftime(mo, sizeof(mo), "%-m", &tm) == 0 ||
	    strftime(d, sizeof(d), "%-d", &tm) == 0 ||
	    strftime(mm, sizeof(mm), "%m", &tm) == 0 ||
	    strftime(dd, sizeof(dd), "%d", &tm) == 0)
		return -1;
	msg_fmt(m, &b, "ui", "time_local", "y", y, "m", mo, "d", d, "mm", mm,
	    "dd", dd, "time", hms, NULL);
	return take_text(&b, buf, size);
}

/*
 * The parts of a day as the catalogue's date patterns name them: year,
 * month name (list.month, or list.month_long with long_month), day of
 * the month, weekday name; the zone plays no part.
 */
struct day_parts {
	char		 y[24], d[4];
	const char	*m, *wd;
};

static void
day_parts(const struct msg *m, const char *day, int long_month,
    struct day_parts *out)
{
	int64_t		 n = ts_day_num(day), y;
	unsigned	 mo, d;

	ts_civil_from_days(n, &y, &mo, &d);
	snprintf(out->y, sizeof(out->y), "%lld", (long long)y);
	snprintf(out->d, sizeof(out->d), "%u", d);
	out->m = msg_item(m, "list", long_month ? "month_long" : "month",
	    (int)mo - 1);
	/* 1970-01-01 was a Thursday. */
	out->wd = msg_item(m, "list", "weekday", (int)(((n + 4) % 7 + 7) % 7));
}

int
period_text(const struct msg *m, const struct period *p, char *buf,
    size_t size)
{
	struct day_parts a, b;
	struct buf	 t = { 0 };
	char		 last[TS_DAY_LEN];

	if (strcmp(p->type, "daily") == 0) {
		day_parts(m, p->from, 0, &a);
		msg_fmt(m, &t, "ui", "date_day", "y", a.y, "m", a.m, "d", a.d,
		    "wd", a.wd, NULL);
	} else if (strcmp(p->type, "monthly") == 0) {
		day_parts(m, p->from, 1, &a);
		msg_fmt(m, &t, "ui", "date_month", "y", a.y, "m", a.m, NULL);
	} else {
		ts_day_str(ts_day_num(p->to) - 1, last);
		day_parts(m, p->from, 0, &a);
		day_parts(m, last, 0, &b);
		/* A week across New Year names both years. */
		msg_fmt(m, &t, "ui", strcmp(a.y, b.y) == 0 ? "date_week" :
		    "date_week_years", "y", b.y, "y1", a.y, "y2", b.y,
		    "m1", a.m, "d1", a.d, "wd1", a.wd, "m2", b.m, "d2", b.d,
		    "wd2", b.wd, NULL);
	}
	return take_text(&t, buf, size);
}

const char *
source_name(const struct render *r, const char *id)
{
	const char	*n = conf_source_name(r->conf, id);

	/* The catalogue gives the key back when it has no name for it. */
	return n != NULL ? n : msg_get(r->msg, "source", id);
}
