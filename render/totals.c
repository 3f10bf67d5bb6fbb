/* totals.c — sums of rollup rows and their JSON form. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render.h"
#include "ts.h"

void
totals_add(struct totals *t, const struct totals *u)
{
	t->requests += u->requests;
	t->successes += u->successes;
	t->failures += u->failures;
	t->latency_sum_us += u->latency_sum_us;
	t->tokens += u->tokens;
	t->input_tokens += u->input_tokens;
	t->output_tokens += u->output_tokens;
	t->cost_nusd += u->cost_nusd;
	hist_merge(&t->hist, &u->hist);
}

void
totals_add_stats(struct totals *t, const struct db_stats *s)
{
	t->requests += s->requests;
	t->successes += s->successes;
	t->failures += s->failures;
	t->latency_sum_us += s->latency_sum_us;
	t->tokens += s->tokens;
	t->input_tokens += s->input_tokens;
	t->output_tokens += s->output_tokens;
	t->cost_nusd += s->cost_nusd;
	hist_decode_add(&t->hist, s->hist, s->hist_len);
}

/*
 * The fields of DESIGN.md's report "totals", in its order, after a first
 * field key: name when key is not NULL ("source": "web").
 */
cJSON *
totals_json(const struct totals *t, const char *key, const char *name)
{
	cJSON	*o = cJSON_CreateObject();
	double	 n = (double)t->requests;

	if (o == NULL)
		return NULL;
	if (key != NULL)
		cJSON_AddStringToObject(o, key, name);
	cJSON_AddNumberToObject(o, "requests", n);
	cJSON_AddNumberToObject(o, "successes", (double)t->successes);
	cJSON_AddNumberToObject(o, "failures", (double)t->failures);
	cJSON_AddNumberToObject(o, "success_rate",
	    n > 0 ? (double)t->successes / n : 0);
	cJSON_AddNumberToObject(o, "avg_latency_s",
	    n > 0 ? (double)t->latency_sum_us / n / 1e6 : 0);
	cJSON_AddNumberToObject(o, "p50_latency_s",
	    (double)hist_quantile(&t->hist, 0.50) / 1e6);
	cJSON_AddNumberToObject(o, "p95_latency_s",
	    (double)hist_quantile(&t->hist, 0.95) / 1e6);
	cJSON_AddNumberToObject(o, "p99_latency_s",
	    (double)hist_quantile(&t->hist, 0.99) / 1e6);
	cJSON_AddNumberToObject(o, "tokens", (double)t->tokens);
	cJSON_AddNumberToObject(o, "input_tokens", (double)t->input_tokens);
	cJSON_AddNumberToObject(o, "output_tokens", (double)t->output_tokens);
	cJSON_AddNumberToObject(o, "cost_usd", (double)t->cost_nusd / 1e9);
	return o;
}

/* RFC 3339 in the configured zone: "2026-11-26T00:00:00+08:00". */
void
format_offset_time(int64_t ms, char *buf, size_t size)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;
	long		 off;
	char		 base[32];

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (off == 0)
		snprintf(buf, size, "%sZ", base);
	else
		snprintf(buf, size, "%s%c%02ld:%02ld", base, off < 0 ? '-' : '+',
		    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
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
