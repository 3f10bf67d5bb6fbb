/* budget.c — what a budget's scope has spent, and where its month is going. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "ts.h"
#include "tz.h"

#define DAY_MS		86400000LL
#define RATE_DAYS	7	/* the current rate: the last week's */

struct sum {
	const char	*kind;		/* "source", "model" or NULL: all */
	const char	*name;
	int64_t		 nusd;
};

static int
add_row(const struct db_stats *r, void *arg)
{
	struct sum	*s = arg;

	if (s->kind == NULL ||
	    (strcmp(s->kind, "source") == 0 && strcmp(r->source, s->name) == 0) ||
	    (strcmp(s->kind, "model") == 0 && strcmp(r->model, s->name) == 0))
		s->nusd += r->cost_nusd;
	return 0;
}

enum db_rc
budget_days_cost(struct db *db, const char *scope, const char *from,
    const char *to, int64_t *nusd)
{
	struct sum	 s = { NULL, NULL, 0 };
	int64_t		 a, b;
	enum db_rc	 rc;

	*nusd = 0;
	if (strncmp(scope, "user:", 5) == 0) {
		if (tz_day_start(from, 0, &a) || tz_day_start(to, 0, &b))
			return DB_ERR;
		return db_user_cost(db, scope + 5, a, b, nusd);
	}
	if (strncmp(scope, "source:", 7) == 0) {
		s.kind = "source";
		s.name = scope + 7;
	} else if (strncmp(scope, "model:", 6) == 0) {
		s.kind = "model";
		s.name = scope + 6;
	}
	if ((rc = db_stats_each(db, DB_DAILY, from, to, add_row, &s)) == DB_OK)
		*nusd = s.nusd;
	return rc;
}

/* The local day add days from day, into out. */
static void
day_add(const char *day, int add, char *out)
{
	int64_t	 ms = 0;

	tz_day_start(day, add, &ms);
	tz_day(ms, out);
}

enum db_rc
budget_month(struct db *db, const struct conf_budget *b, const char *day,
    int64_t now_ms, struct budget_month *m)
{
	char		 first[TZ_DAY_LEN], next[TZ_DAY_LEN], today[TZ_DAY_LEN];
	char		 from[TZ_DAY_LEN], tomorrow[TZ_DAY_LEN];
	int64_t		 end_ms, from_ms, week, y;
	unsigned	 mo;
	struct tm	 tm;
	time_t		 t;
	enum db_rc	 rc;

	memset(m, 0, sizeof(*m));
	m->limit_nusd = b->monthly_nusd;
	m->reach_ms = -1;
	snprintf(m->month, sizeof(m->month), "%.7s", day);
	snprintf(first, sizeof(first), "%.7s-01", day);
	y = (first[0] - '0') * 1000 + (first[1] - '0') * 100 +
	    (first[2] - '0') * 10 + (first[3] - '0');
	mo = (unsigned)((first[5] - '0') * 10 + (first[6] - '0'));
	day_add(first, ts_days_in_month(y, (int)mo), next);
	if (tz_day_start(next, 0, &end_ms))
		return DB_ERR;
	tz_day(now_ms, today);
	m->running = strcmp(first, today) <= 0 && now_ms < end_ms;
	if (!m->running) {
		/* Over (or not begun): what it spent is all there is. */
		if ((rc = budget_days_cost(db, b->scope, first, next,
		    &m->spent_nusd)) != DB_OK)
			return rc;
		m->forecast_nusd = m->spent_nusd;
		if (m->limit_nusd > 0 && m->spent_nusd >= m->limit_nusd)
			m->reach_ms = 0;
		return DB_OK;
	}
	day_add(today, 1, tomorrow);
	day_add(today, -RATE_DAYS, from);
	if ((rc = budget_days_cost(db, b->scope, first, tomorrow,
	    &m->spent_nusd)) != DB_OK ||
	    (rc = budget_days_cost(db, b->scope, from, tomorrow, &week)) !=
	    DB_OK)
		return rc;
	/* The rate over the week to now, today's hours counted as they are. */
	tz_day_start(from, 0, &from_ms);
	if (now_ms > from_ms)
		m->rate_nusd_day = (int64_t)((double)week * DAY_MS /
		    (double)(now_ms - from_ms));
	m->forecast_nusd = m->spent_nusd + (int64_t)((double)m->rate_nusd_day *
	    (double)(end_ms - now_ms) / DAY_MS);
	if (m->limit_nusd <= 0)
		return DB_OK;
	if (m->spent_nusd >= m->limit_nusd)
		m->reach_ms = 0;
	else if (m->forecast_nusd >= m->limit_nusd && m->rate_nusd_day > 0)
		m->reach_ms = now_ms + (int64_t)((double)(m->limit_nusd -
		    m->spent_nusd) * DAY_MS / (double)m->rate_nusd_day);
	if (m->reach_ms > 0) {
		t = (time_t)(m->reach_ms / 1000);
		localtime_r(&t, &tm);
		m->reach_mday = tm.tm_mday;
	}
	return DB_OK;
}
