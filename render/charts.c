/*
 * charts.c — the per-day series of the "more charts" (tokens in and out,
 * cost by model, p95 latency, error rate) of the dashboard
 * (data/charts.json) and of the weekly and monthly reports, from the
 * daily rollups in memory.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "render.h"
#include "ts.h"

/* The numbers of one day of a series. */
struct cday {
	int64_t		 requests, failures, in, out;
	struct hist	 hist;
};

/* A model's cost per day; models as they come. */
struct cmodel {
	const char	*name;
	int64_t		*nusd;
};

static int
by_model(const void *a, const void *b)
{
	return strcmp(((const struct cmodel *)a)->name,
	    ((const struct cmodel *)b)->name);
}

/* The cost per day of model name, added when new; NULL when oom. */
static int64_t *
model_cost(struct cmodel **m, size_t *n, size_t *cap, const char *name,
    size_t ndays)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*m)[i].name, name) == 0)
			return (*m)[i].nusd;
	if (grow(m, cap, *n + 1, sizeof(**m)) ||
	    ((*m)[*n].nusd = calloc(ndays, sizeof(int64_t))) == NULL)
		return NULL;
	(*m)[*n].name = name;
	return (*m)[(*n)++].nusd;
}

/* Push n values of v, scaled by 1 / div (1: integers as they are). */
static int
push_all(cJSON *o, const char *key, const int64_t *v, size_t n, double div)
{
	cJSON	*a = cJSON_AddArrayToObject(o, key);
	size_t	 i;

	for (i = 0; a != NULL && i < n; i++)
		if (jtree_push_num(a, (double)v[i] / div))
			return -1;
	return a == NULL ? -1 : 0;
}

cJSON *
charts_series(const struct render *r, int64_t from, int64_t to,
    const char *source)
{
	struct cday	*d = NULL;
	struct cmodel	*m = NULL;
	size_t		 nm = 0, capm = 0, nd, i, k;
	int64_t		*v = NULL, *cost;
	char		 day[TS_DAY_LEN];
	cJSON		*o = NULL, *a, *by;

	nd = to > from ? (size_t)(to - from) : 0;
	if ((d = calloc(nd ? nd : 1, sizeof(*d))) == NULL ||
	    (v = calloc(nd ? nd : 1, sizeof(*v))) == NULL)
		goto fail;
	ts_day_str(from, day);
	for (i = rows_from(r, day); i < r->nrows; i++) {
		const struct dayrow *row = &r->rows[i];
		int64_t n = ts_day_num(row->day) - from;
		if (n >= (int64_t)nd)
			break;
		if (source != NULL && strcmp(row->source, source) != 0)
			continue;
		d[n].requests += row->t.requests;
		d[n].failures += row->t.failures;
		d[n].in += row->t.input_tokens;
		d[n].out += row->t.output_tokens;
		hist_merge(&d[n].hist, &row->t.hist);
		if (row->t.cost_nusd != 0) {
			if ((cost = model_cost(&m, &nm, &capm, row->model,
			    nd)) == NULL)
				goto fail;
			cost[n] += row->t.cost_nusd;
		}
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    (a = cJSON_AddArrayToObject(o, "days")) == NULL)
		goto fail;
	for (k = 0; k < nd; k++) {
		ts_day_str(from + (int64_t)k, day);
		if (jtree_push_str(a, day))
			goto fail;
	}
#define SERIES(key, field) \
	for (k = 0; k < nd; k++) \
		v[k] = d[k].field; \
	if (push_all(o, key, v, nd, 1)) \
		goto fail;
	SERIES("requests", requests)
	SERIES("failures", failures)
	SERIES("input_tokens", in)
	SERIES("output_tokens", out)
#undef SERIES
	/* p95 of the day's merged histograms; null on a day without any. */
	if ((a = cJSON_AddArrayToObject(o, "p95_s")) == NULL)
		goto fail;
	for (k = 0; k < nd; k++)
		if (jtree_push(a, d[k].requests > 0 ? cJSON_CreateNumber(
		    (double)hist_quantile(&d[k].hist, 0.95) / 1e6) :
		    cJSON_CreateNull()))
			goto fail;
	if (nm > 0)
		qsort(m, nm, sizeof(*m), by_model);
	if ((by = cJSON_AddObjectToObject(o, "cost_by_model")) == NULL)
		goto fail;
	for (i = 0; i < nm; i++) {
		cJSON *c = cJSON_CreateArray();
		if (jtree_put(by, m[i].name, c))
			goto fail;
		for (k = 0; k < nd; k++)
			if (jtree_push_num(c, (double)m[i].nusd[k] / 1e9))
				goto fail;
	}
	goto out;
fail:
	cJSON_Delete(o);
	o = NULL;
out:
	for (i = 0; i < nm; i++)
		free(m[i].nusd);
	free(m);
	free(v);
	free(d);
	return o;
}

int
charts_run(struct render *r, const char *today, const char **sources,
    size_t nsources)
{
	cJSON		*o = cJSON_CreateObject(), *by;
	int64_t		 to = ts_day_num(today) + 1, from = to - DASH_RANGE;
	char		*text = NULL;
	size_t		 i;
	int		 rc = -1;

	if (o == NULL || cJSON_AddNumberToObject(o, "error_rate",
	    r->conf->alerts.error_rate) == NULL ||
	    jtree_put(o, "all", charts_series(r, from, to, NULL)) ||
	    (by = cJSON_AddObjectToObject(o, "by_source")) == NULL)
		goto oom;
	for (i = 0; i < nsources; i++)
		if (jtree_put(by, sources[i], charts_series(r, from, to,
		    sources[i])))
			goto oom;
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		goto oom;
	rc = out_write(r, "data/charts.json", text, strlen(text));
	goto out;
oom:
	log_errx("data/charts.json: out of memory");
out:
	cJSON_free(text);
	cJSON_Delete(o);
	return rc;
}
