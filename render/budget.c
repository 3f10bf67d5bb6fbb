/* budget.c — the monthly budgets on the dashboard and the monthly report. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "buf.h"
#include "fmt.h"
#include "log.h"
#include "render.h"

/* "Nov 29", zh-TW "11月29日": when the budget runs out. */
static void
reach_date(const struct msg *m, int64_t ms, struct buf *b)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);
	char		 d[16];

	localtime_r(&t, &tm);
	snprintf(d, sizeof(d), "%d", tm.tm_mday);
	msg_fmt(m, b, "msg", "date_month_day", "month", msg_item(m, "list",
	    "month", tm.tm_mon), "d", d, NULL);
}

/* One budget's row of the page and its JSON; 0 or -1 (out of memory). */
static int
one(struct render *r, const char *scope, const struct budget_month *bm,
    struct tpl *t, cJSON *arr)
{
	const struct msg	*m = r->msg;
	struct tpl		*row;
	struct buf		 who = { 0 }, spent = { 0 }, note = { 0 };
	struct buf		 date = { 0 };
	char			 s[FMT_LEN], l[FMT_LEN], f[FMT_LEN], pct[8];
	cJSON			*o = NULL;
	int			 over = bm->spent_nusd >= bm->limit_nusd, rc = -1;

	fmt_money(bm->spent_nusd, 2, s, sizeof(s));
	fmt_money(bm->limit_nusd, 2, l, sizeof(l));
	fmt_money(bm->forecast_nusd, 2, f, sizeof(f));
	alert_scope_text(m, scope, &who);
	msg_fmt(m, &spent, "ui", bm->running ? "budget_spent" : "budget_final",
	    "spent", s, "limit", l, NULL);
	if (over)
		buf_puts(&note, msg_get(m, "ui", "budget_over"));
	else if (bm->running) {
		msg_fmt(m, &note, "ui", "budget_forecast", "forecast", f, NULL);
		if (bm->reach_ms > 0) {
			reach_date(m, bm->reach_ms, &date);
			buf_puts(&note, " · ");
			msg_fmt(m, &note, "ui", "budget_reach", "date",
			    date.failed ? "" : date.p, NULL);
		}
	}
	snprintf(pct, sizeof(pct), "%d", over ? 100 : (int)(bm->spent_nusd *
	    100 / bm->limit_nusd));
	if (who.failed || spent.failed || note.failed || date.failed ||
	    (row = tpl_section(t, "BUDGET")) == NULL)
		goto out;
	tpl_set(row, "SCOPE_TEXT", who.p);
	tpl_set(row, "SPENT_TEXT", spent.p);
	tpl_set(row, "NOTE", note.p ? note.p : "");
	tpl_set(row, "PCT", pct);
	tpl_set(row, "STATE", over ? "over" : bm->reach_ms > 0 ? "warn" : "ok");
	if (arr != NULL && ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "scope", scope) ||
	    !cJSON_AddStringToObject(o, "month", bm->month) ||
	    !cJSON_AddBoolToObject(o, "running", bm->running) ||
	    !cJSON_AddNumberToObject(o, "limit_usd",
	    (double)bm->limit_nusd / 1e9) ||
	    !cJSON_AddNumberToObject(o, "spent_usd",
	    (double)bm->spent_nusd / 1e9) ||
	    !cJSON_AddNumberToObject(o, "forecast_usd",
	    (double)bm->forecast_nusd / 1e9) || jtree_push(arr, o)))
		goto out;
	o = NULL;
	rc = tpl_failed(t) ? -1 : 0;
out:
	cJSON_Delete(o);
	buf_free(&who);
	buf_free(&spent);
	buf_free(&note);
	buf_free(&date);
	return rc;
}

int
budgets_fill(struct render *r, const char *day, struct tpl *t, cJSON *arr)
{
	const struct conf	*c = r->conf;
	struct budget_month	 bm;
	size_t			 i;
	int			 any = 0;

	for (i = 0; i < c->alerts.nbudgets; i++) {
		if (c->alerts.budgets[i].monthly_nusd <= 0)
			continue;
		if (budget_month(r->db, &c->alerts.budgets[i], day, r->now_ms,
		    &bm) != DB_OK) {
			log_errx("budgets: %s: %s", c->database,
			    db_errmsg(r->db));
			return -1;
		}
		if (one(r, c->alerts.budgets[i].scope, &bm, t, arr)) {
			log_errx("budgets: out of memory");
			return -1;
		}
		any = 1;
	}
	if (any)
		tpl_show(t, "HAS_BUDGETS");
	return 0;
}
