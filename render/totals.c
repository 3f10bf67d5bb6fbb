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

int
format_local_time(int64_t ms, char *buf, size_t size)
{
	time_t		 t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm	 tm;

	return localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0 ? -1 : 0;
}

/* "Mon 30 Nov", with the year when with_year; the zone plays no part. */
static int
day_text(const char *day, int with_year, char *buf, size_t size)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t		 n = ts_day_num(day), y;
	unsigned	 m, d;

	ts_civil_from_days(n, &y, &m, &d);
	/* 1970-01-01 was a Thursday. */
	return fixed_printf(buf, size, with_year ? "%s %u %s %lld" : "%s %u %s",
	    wd[((n + 4) % 7 + 7) % 7], d, mon[m - 1], (long long)y);
}

int
period_text(const struct period *p, char *buf, size_t size)
{
	static const char *const months[] = { "January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December" };
	char		 a[32], b[32], last[TS_DAY_LEN];
	int64_t		 y;
	unsigned	 m, d;

	if (strcmp(p->type, "daily") == 0)
		return day_text(p->from, 1, buf, size);
	if (strcmp(p->type, "monthly") == 0) {
		ts_civil_from_days(ts_day_num(p->from), &y, &m, &d);
		return fixed_printf(buf, size, "%s %lld", months[m - 1],
		    (long long)y);
	}
	ts_day_str(ts_day_num(p->to) - 1, last);
	/* A week across New Year names both years. */
	return day_text(p->from, strncmp(p->from, last, 4) != 0, a,
	    sizeof(a)) || day_text(last, 1, b, sizeof(b)) ||
	    fixed_printf(buf, size, "%s – %s", a, b) ? -1 : 0;
}

const char *
source_name(const struct render *r, const char *id)
{
	const char	*n = conf_source_name(r->conf, id);

	/* The catalogue gives the key back when it has no name for it. */
	return n != NULL ? n : msg_get(r->msg, "source", id);
}
