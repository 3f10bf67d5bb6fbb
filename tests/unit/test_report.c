/* test_report.c — report periods (days, ISO weeks, months) and the CSV. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "render.h"

/* ---- periods ------------------------------------------------------------- */

static void
period_is(const struct period *p, const char *type, const char *label,
    const char *from, const char *to, const char *pfrom)
{
	cr_assert_str_eq(p->type, type);
	cr_assert_str_eq(p->label, label, "label %s, want %s", p->label, label);
	cr_assert_str_eq(p->from, from, "%s: from %s, want %s", label, p->from,
	    from);
	cr_assert_str_eq(p->to, to, "%s: to %s, want %s", label, p->to, to);
	cr_assert_str_eq(p->pfrom, pfrom, "%s: pfrom %s, want %s", label,
	    p->pfrom, pfrom);
	cr_assert_str_eq(p->pto, from, "%s: the previous period ends where "
	    "it starts", label);
}

static void
week_is(const char *day, const char *label, const char *from,
    const char *to, const char *pfrom)
{
	struct period	 p;

	cr_assert_eq(iso_week(day, &p), 0, "%s", day);
	period_is(&p, "weekly", label, from, to, pfrom);
}

static void
month_is(const char *day, const char *label, const char *from,
    const char *to, const char *pfrom)
{
	struct period	 p;

	cr_assert_eq(month_of(day, &p), 0, "%s", day);
	period_is(&p, "monthly", label, from, to, pfrom);
}

Test(period, iso_week_53_of_a_year_that_starts_on_thursday)
{
	week_is("2026-12-31", "2026-W53", "2026-12-28", "2027-01-04",
	    "2026-12-21");
	week_is("2027-01-01", "2026-W53", "2026-12-28", "2027-01-04",
	    "2026-12-21");
	week_is("2027-01-03", "2026-W53", "2026-12-28", "2027-01-04",
	    "2026-12-21");
	week_is("2027-01-04", "2027-W01", "2027-01-04", "2027-01-11",
	    "2026-12-28");
	week_is("2015-12-31", "2015-W53", "2015-12-28", "2016-01-04",
	    "2015-12-21");
	week_is("2016-01-03", "2015-W53", "2015-12-28", "2016-01-04",
	    "2015-12-21");
}

Test(period, iso_week_53_of_a_leap_year_that_starts_on_wednesday)
{
	week_is("2021-01-03", "2020-W53", "2020-12-28", "2021-01-04",
	    "2020-12-21");
	week_is("2020-12-31", "2020-W53", "2020-12-28", "2021-01-04",
	    "2020-12-21");
}

Test(period, iso_week_1_starts_in_the_previous_december)
{
	week_is("2024-12-30", "2025-W01", "2024-12-30", "2025-01-06",
	    "2024-12-23");
	week_is("2025-01-01", "2025-W01", "2024-12-30", "2025-01-06",
	    "2024-12-23");
	week_is("2008-12-29", "2009-W01", "2008-12-29", "2009-01-05",
	    "2008-12-22");
	week_is("2024-12-29", "2024-W52", "2024-12-23", "2024-12-30",
	    "2024-12-16");
}

Test(period, iso_week_over_leap_days)
{
	week_is("2024-02-29", "2024-W09", "2024-02-26", "2024-03-04",
	    "2024-02-19");
	week_is("2000-02-29", "2000-W09", "2000-02-28", "2000-03-06",
	    "2000-02-21");
	week_is("2100-03-01", "2100-W09", "2100-03-01", "2100-03-08",
	    "2100-02-22");
}

Test(period, month_rolls_over_from_december_to_january)
{
	month_is("2026-12-15", "2026-12", "2026-12-01", "2027-01-01",
	    "2026-11-01");
	month_is("2027-01-05", "2027-01", "2027-01-01", "2027-02-01",
	    "2026-12-01");
	month_is("2026-12-31", "2026-12", "2026-12-01", "2027-01-01",
	    "2026-11-01");
	month_is("2027-01-01", "2027-01", "2027-01-01", "2027-02-01",
	    "2026-12-01");
}

Test(period, month_of_february_in_leap_and_common_years)
{
	struct period	 p;

	month_is("2024-02-29", "2024-02", "2024-02-01", "2024-03-01",
	    "2024-01-01");
	month_is("2024-03-15", "2024-03", "2024-03-01", "2024-04-01",
	    "2024-02-01");
	cr_assert_eq(month_of("2023-02-10", &p), 0);
	cr_assert_eq(ts_day_num(p.to) - ts_day_num(p.from), 28);
	cr_assert_eq(month_of("2000-02-10", &p), 0);
	cr_assert_eq(ts_day_num(p.to) - ts_day_num(p.from), 29);
	cr_assert_eq(month_of("1900-02-10", &p), 0);
	cr_assert_eq(ts_day_num(p.to) - ts_day_num(p.from), 28);
}

Test(period, day_of_crosses_months_and_years)
{
	struct period	 p;

	cr_assert_eq(day_of("2026-12-31", &p), 0);
	period_is(&p, "daily", "2026-12-31", "2026-12-31", "2027-01-01",
	    "2026-12-30");
	cr_assert_eq(day_of("2024-03-01", &p), 0);
	period_is(&p, "daily", "2024-03-01", "2024-03-01", "2024-03-02",
	    "2024-02-29");
}

/*
 * Every day of three centuries against the C library's own ISO 8601
 * week (%G-W%V) and calendar: weeks start on Monday and last 7 days,
 * months start on the 1st and end where the next one starts.
 */
Test(period, every_day_1900_to_2199_agrees_with_strftime)
{
	int64_t		 n, first = ts_days_from_civil(1900, 1, 1);
	int64_t		 last = ts_days_from_civil(2200, 1, 1);
	char		 day[TS_DAY_LEN], want[32], next[TS_DAY_LEN];
	struct period	 w, m, prev;
	struct tm	 tm;
	time_t		 t;

	for (n = first; n < last; n++) {
		ts_day_str(n, day);
		t = (time_t)(n * 86400);
		cr_assert_not_null(gmtime_r(&t, &tm));
		cr_assert_eq(iso_week(day, &w), 0);
		strftime(want, sizeof(want), "%G-W%V", &tm);
		cr_assert_str_eq(w.label, want, "%s: week %s, want %s", day,
		    w.label, want);
		cr_assert_eq(ts_day_num(w.from), n - (tm.tm_wday + 6) % 7,
		    "%s: the week starts on its Monday", day);
		cr_assert_eq(ts_day_num(w.to) - ts_day_num(w.from), 7);
		cr_assert_eq(ts_day_num(w.from) - ts_day_num(w.pfrom), 7);

		cr_assert_eq(month_of(day, &m), 0);
		strftime(want, sizeof(want), "%Y-%m", &tm);
		cr_assert_str_eq(m.label, want, "%s: month %s", day, m.label);
		cr_assert_eq(ts_day_num(m.from), n - (tm.tm_mday - 1));
		/* the month ends where the next one starts */
		cr_assert_eq(month_of(m.to, &prev), 0);
		cr_assert_str_eq(prev.pfrom, m.from, "%s", day);
		cr_assert_str_eq(prev.from, m.to, "%s", day);
		ts_day_str(ts_day_num(m.to) - 1, next);
		cr_assert_eq(strncmp(next, want, 7), 0, "%s: last day %s", day,
		    next);
	}
}

/* ---- CSV ------------------------------------------------------------------ */

static const char *const FIELDS[] = { "requests", "successes", "failures",
    "success_rate", "avg_latency_s", "p50_latency_s", "p95_latency_s",
    "p99_latency_s", "tokens", "input_tokens", "output_tokens", "cost_usd" };
#define NFIELDS	(sizeof(FIELDS) / sizeof(FIELDS[0]))

Test(csv, header_then_one_crlf_line_per_group)
{
	struct group	 g[2];
	struct buf	 b = { 0 };

	memset(g, 0, sizeof(g));
	g[0].name = "web";
	g[0].t.requests = 4;
	g[0].t.successes = 3;
	g[0].t.failures = 1;
	g[0].t.latency_sum_us = 2000000;
	g[0].t.tokens = 10;
	g[0].t.cost_nusd = 1500000000;
	g[1].name = "a,\"b\"";
	cr_assert_eq(report_csv(&b, NULL, "source", g, 2), 0);
	cr_assert_str_eq(b.p,
	    "source,requests,successes,failures,success_rate,avg_latency_s,"
	    "p50_latency_s,p95_latency_s,p99_latency_s,tokens,input_tokens,"
	    "output_tokens,cost_usd\r\n"
	    "web,4,3,1,0.75,0.5,0,0,0,10,0,0,1.5\r\n"
	    "\"a,\"\"b\"\"\",0,0,0,0,0,0,0,0,0,0,0,0\r\n");
	buf_free(&b);
}

Test(csv, no_groups_is_the_header_alone)
{
	struct buf	 b = { 0 };

	cr_assert_eq(report_csv(&b, NULL, "source", NULL, 0), 0);
	cr_assert_eq(strncmp(b.p, "source,requests,", 16), 0);
	cr_assert_eq(strstr(b.p, "\r\n") + 2, b.p + b.len);
	buf_free(&b);
}

/* A deterministic generator, so that a failure can be replayed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A name made of the pieces that are hard for CSV and for buffers. */
static char *
random_name(uint64_t *s)
{
	static const char *const pieces[] = { "a", "Z", "0", " ", ",", "\"",
	    "\r", "\n", "\r\n", "=", "+", "-", "@", "'", "\t", ";", "é",
	    "総結", "😀", "\xe2\x80\xa8", "=HYPERLINK(\"x\")" };
	struct buf	 b = { 0 };
	size_t		 n, i, len;

	/* Mostly short; now and then long enough to cross many doublings. */
	len = rnd(s) % 8 == 0 ? rnd(s) % 3000 : rnd(s) % 40;
	if (rnd(s) % 4 == 0)
		buf_puts(&b, pieces[9 + rnd(s) % 4]);	/* = + - @ first */
	for (i = 0; i < len; i++) {
		n = rnd(s) % (sizeof(pieces) / sizeof(pieces[0]));
		buf_puts(&b, pieces[n]);
	}
	return buf_take(&b);
}

/*
 * Strict RFC 4180: fields separated by commas, records ended by CRLF, a
 * quoted field may hold anything with quotes doubled, an unquoted one
 * none of , " CR LF.  Returns the number of records; cells[r][c] are
 * malloc'd (the caller frees them with free_cells()).
 */
struct cells {
	char	***row;
	size_t	  *n;
	size_t	   nrows;
};

static void
free_cells(struct cells *c)
{
	size_t	 i, j;

	for (i = 0; i < c->nrows; i++) {
		for (j = 0; j < c->n[i]; j++)
			free(c->row[i][j]);
		free(c->row[i]);
	}
	free(c->row);
	free(c->n);
}

static void
parse_csv(const char *p, const char *end, struct cells *c)
{
	size_t		 caprows = 0, capcells = 0;
	struct buf	 cell = { 0 };

	memset(c, 0, sizeof(*c));
	while (p < end) {
		cr_assert_eq(grow(&c->row, &caprows, c->nrows + 1,
		    sizeof(*c->row)), 0);
		cr_assert_eq(grow(&c->n, &capcells, c->nrows + 1,
		    sizeof(*c->n)), 0);
		c->row[c->nrows] = NULL;
		c->n[c->nrows] = 0;
		for (;;) {
			char	**cells;

			buf_add(&cell, "", 0);
			if (*p == '"') {
				for (p++;; p++) {
					cr_assert(p < end, "unterminated quote");
					if (*p == '"' && p + 1 < end &&
					    p[1] == '"')
						buf_add(&cell, p++, 1);
					else if (*p == '"')
						break;
					else
						buf_add(&cell, p, 1);
				}
				p++;
			} else
				for (; p < end && strchr(",\"\r\n", *p) ==
				    NULL; p++)
					buf_add(&cell, p, 1);
			cr_assert(!cell.failed);
			cells = reallocarray(c->row[c->nrows],
			    c->n[c->nrows] + 1, sizeof(*cells));
			cr_assert_not_null(cells);
			c->row[c->nrows] = cells;
			cells[c->n[c->nrows]++] = buf_take(&cell);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			cr_assert(end - p >= 2 && p[0] == '\r' && p[1] == '\n',
			    "a record must end with CRLF (record %zu)",
			    c->nrows);
			p += 2;
			break;
		}
		c->nrows++;
	}
}

static void
random_totals(uint64_t *s, struct totals *t)
{
	int	 k, nlat = (int)(rnd(s) % 20);

	memset(t, 0, sizeof(*t));
	t->requests = (int64_t)(rnd(s) % 1000000000000ULL);
	t->successes = t->requests ? (int64_t)(rnd(s) %
	    (uint64_t)t->requests) : 0;
	t->failures = t->requests - t->successes;
	t->latency_sum_us = (int64_t)(rnd(s) % 100000000000000ULL);
	t->tokens = (int64_t)(rnd(s) % 10000000000000ULL);
	t->input_tokens = t->tokens / 3;
	t->output_tokens = t->tokens - t->input_tokens;
	t->cost_nusd = (int64_t)(rnd(s) % 100000000000000000ULL);
	for (k = 0; k < nlat; k++)
		hist_add(&t->hist, (int64_t)(rnd(s) % 86400000000ULL));
}

static double
want_field(const struct totals *t, size_t f)
{
	double	 n = (double)t->requests;

	switch (f) {
	case 0: return n;
	case 1: return (double)t->successes;
	case 2: return (double)t->failures;
	case 3: return n > 0 ? (double)t->successes / n : 0;
	case 4: return n > 0 ? (double)t->latency_sum_us / n / 1e6 : 0;
	case 5: return (double)hist_quantile(&t->hist, 0.50) / 1e6;
	case 6: return (double)hist_quantile(&t->hist, 0.95) / 1e6;
	case 7: return (double)hist_quantile(&t->hist, 0.99) / 1e6;
	case 8: return (double)t->tokens;
	case 9: return (double)t->input_tokens;
	case 10: return (double)t->output_tokens;
	default: return (double)t->cost_nusd / 1e9;
	}
}

/*
 * Thousands of random reports (run under ASan by make test): every CSV
 * parses back, by RFC 4180, to exactly the cells it was made of.
 */
Test(csv, random_reports_parse_back_to_their_cells)
{
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL;
	struct group	 g[12];
	struct buf	 b;
	struct cells	 c;
	size_t		 iter, n, i, f;
	char		*end, want[4];

	for (iter = 0; iter < 3000; iter++) {
		n = rnd(&seed) % 12;
		for (i = 0; i < n; i++) {
			g[i].name = random_name(&seed);
			cr_assert_not_null(g[i].name);
			random_totals(&seed, &g[i].t);
		}
		memset(&b, 0, sizeof(b));
		cr_assert_eq(report_csv(&b, NULL, "source", g, n), 0);
		cr_assert_eq(strlen(b.p), b.len, "no NUL inside the CSV");
		parse_csv(b.p, b.p + b.len, &c);
		cr_assert_eq(c.nrows, n + 1, "iteration %zu: %zu records, "
		    "want %zu", iter, c.nrows, n + 1);
		cr_assert_eq(c.n[0], NFIELDS + 1);
		cr_assert_str_eq(c.row[0][0], "source");
		for (f = 0; f < NFIELDS; f++)
			cr_assert_str_eq(c.row[0][f + 1], FIELDS[f]);
		for (i = 0; i < n; i++) {
			const char *name = g[i].name, *cell = c.row[i + 1][0];
			cr_assert_eq(c.n[i + 1], NFIELDS + 1,
			    "iteration %zu row %zu: %zu cells", iter, i,
			    c.n[i + 1]);
			/* a formula prefix is defused with a ' before it */
			want[0] = '\0';
			if (name[0] != '\0' && strchr("=+-@", name[0]) != NULL)
				strcpy(want, "'");
			cr_assert_eq(strncmp(cell, want, strlen(want)), 0);
			cr_assert_str_eq(cell + strlen(want), name,
			    "iteration %zu row %zu: the name changed", iter, i);
			for (f = 0; f < NFIELDS; f++) {
				double w = want_field(&g[i].t, f);
				double v = strtod(c.row[i + 1][f + 1], &end);
				cr_assert_eq(*end, '\0', "a number: %s",
				    c.row[i + 1][f + 1]);
				cr_assert(fabs(v - w) <= 1e-14 * fabs(w),
				    "%s: %.17g, want %.17g", FIELDS[f], v, w);
			}
		}
		free_cells(&c);
		buf_free(&b);
		for (i = 0; i < n; i++)
			free((char *)g[i].name);
	}
}

/* ---- periods and times as a person reads them ------------------------- */

#ifndef APIMON_SHARE
#define APIMON_SHARE "."
#endif

/* The catalogues of the source tree. */
static struct msg	*en, *zh;

static void
load_catalogues(void)
{
	char	 err[512];

	cr_assert_eq(msg_load(&en, APIMON_SHARE, "en", err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(msg_load(&zh, APIMON_SHARE, "zh-TW", err, sizeof(err)),
	    0, "%s", err);
}

static void
free_catalogues(void)
{
	msg_free(en);
	msg_free(zh);
}

/* The text of the period of day (of: day_of, iso_week, month_of) in m. */
static void
text_is(const struct msg *m, int (*of)(const char *, struct period *),
    const char *day, const char *want)
{
	struct period	 p;
	char		 buf[128];

	cr_assert_eq(of(day, &p), 0, "%s", day);
	cr_assert_eq(period_text(m, &p, buf, sizeof(buf)), 0, "%s", day);
	cr_assert_str_eq(buf, want);
	cr_assert_eq(period_text(m, &p, buf, strlen(want)), -1, "%s: one byte "
	    "short is an error", day);
}

Test(period, text_of_a_day_a_week_and_a_month, .init = load_catalogues,
    .fini = free_catalogues)
{
	text_is(en, day_of, "2026-11-30", "Mon 30 Nov 2026");
	text_is(en, iso_week, "2026-11-26", "Mon 23 Nov – Sun 29 Nov 2026");
	text_is(en, month_of, "2026-02-14", "February 2026");
}

Test(period, a_week_across_new_year_names_both_years, .init = load_catalogues,
    .fini = free_catalogues)
{
	struct period	 p;

	cr_assert_eq(iso_week("2026-12-31", &p), 0);
	cr_assert_str_eq(p.label, "2026-W53");
	text_is(en, iso_week, "2026-12-31", "Mon 28 Dec 2026 – Sun 3 Jan 2027");
	text_is(en, day_of, "1999-12-31", "Fri 31 Dec 1999");
}

Test(period, zh_tw_reads_year_month_day_and_weekday, .init = load_catalogues,
    .fini = free_catalogues)
{
	text_is(zh, day_of, "2026-11-30", "2026年11月30日 星期一");
	text_is(zh, iso_week, "2026-11-26",
	    "2026年11月23日 星期一 – 11月29日 星期日");
	text_is(zh, iso_week, "2026-12-31",
	    "2026年12月28日 星期一 – 2027年1月3日 星期日");
	text_is(zh, month_of, "2026-02-14", "2026年2月");
}

Test(period, local_time_in_the_configured_zone, .init = load_catalogues,
    .fini = free_catalogues)
{
	char	 buf[32];

	tz_set("Asia/Kolkata");
	/* 2026-11-30T09:59:50Z */
	cr_assert_eq(format_local_time(en, 1796032790000LL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2026-11-30 15:29:50");
	tz_set("America/New_York");
	cr_assert_eq(format_local_time(en, 1796032790000LL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2026-11-30 04:59:50");
	cr_assert_eq(format_local_time(en, 1796032790000LL, buf, 8), -1);
}

Test(period, zh_tw_local_time, .init = load_catalogues,
    .fini = free_catalogues)
{
	char	 buf[64];

	tz_set("Asia/Taipei");
	/* 2026-03-04T23:05:06Z is 07:05:06 on the 5th in Taipei. */
	cr_assert_eq(format_local_time(zh, 1772665506000LL, buf, sizeof(buf)),
	    0);
	cr_assert_str_eq(buf, "2026/03/05 07:05:06");
	cr_assert_eq(format_local_time(en, 1772665506000LL, buf, sizeof(buf)),
	    0);
	cr_assert_str_eq(buf, "2026-03-05 07:05:06");
}

Test(csv, the_header_speaks_the_locale_and_the_rows_keep_ids,
    .init = load_catalogues, .fini = free_catalogues)
{
	struct group	 g[1];
	struct buf	 a = { 0 }, b = { 0 }, c = { 0 };

	memset(g, 0, sizeof(g));
	g[0].name = "wechat";
	g[0].t.requests = 2;
	g[0].t.successes = 2;
	cr_assert_eq(report_csv(&a, NULL, "source", g, 1), 0);
	cr_assert_eq(report_csv(&b, en, "source", g, 1), 0);
	cr_assert_str_eq(b.p, a.p, "en keeps the JSON names as its header");
	cr_assert_eq(report_csv(&c, zh, "source", g, 1), 0);
	cr_assert_str_eq(c.p,
	    "來源,請求數,成功數,失敗數,成功率,平均響應時間（秒）,"
	    "p50 響應時間（秒）,p95 響應時間（秒）,p99 響應時間（秒）,"
	    "Token 數,輸入 Token 數,輸出 Token 數,費用（US$）\r\n"
	    "wechat,2,2,0,1,0,0,0,0,0,0,0,0\r\n");
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}
