/* tz.c — local days in the configured time zone, and UTC hours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ts.h"
#include "tz.h"

void
tz_set(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

static void
split(int64_t ms, int64_t *days, unsigned *secs)
{
	int64_t	 s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;

	*days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
	*secs = (unsigned)(s - *days * 86400);
}

void
tz_hour(int64_t ms, char *buf)
{
	int64_t		 days, y;
	unsigned	 secs, m, d;
	struct tm	 tm;

	split(ms, &days, &secs);
	ts_civil_from_days(days, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)(secs / 3600);
	strftime(buf, TZ_HOUR_LEN, "%Y-%m-%dT%H", &tm);
}

void
tz_day(int64_t ms, char *buf)
{
	time_t		 t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(buf, TZ_DAY_LEN, "%Y-%m-%d", &tm);
}

/* n digits at s into *v; 0 or -1. */
static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (*s - '0');
	}
	return 0;
}

/* Exactly "YYYY-MM-DD", or "YYYY-MM-DDTHH" with_hour; a real date. */
static int
parse_date(const char *s, int *y, int *m, int *d, int *h, int with_hour)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 leap;

	if (strlen(s) != (with_hour ? 13u : 10u) || digits(s, 4, y) ||
	    s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' ||
	    digits(s + 8, 2, d) || (with_hour && (s[10] != 'T' ||
	    digits(s + 11, 2, h) || *h > 23)))
		return -1;
	leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	if (*m < 1 || *m > 12 || *d < 1 ||
	    *d > mdays[*m - 1] + (*m == 2 && leap))
		return -1;
	return 0;
}

int
tz_day_start(const char *day, int add, int64_t *ms)
{
	struct tm	 tm, back;
	time_t		 t, best = 0;
	int		 y, m, d, h = 0, hour, dst, found = 0;
	int64_t		 n;
	unsigned	 um, ud;
	int64_t		 ly;

	if (parse_date(day, &y, &m, &d, &h, 0))
		return -1;
	/* The calendar date add days on; the zone plays no part in that. */
	n = ts_days_from_civil(y, (unsigned)m, (unsigned)d) + add;
	ts_civil_from_days(n, &ly, &um, &ud);
	/*
	 * The first instant whose local date is that day: a midnight that
	 * DST skips does not exist (try the next hours), and one that DST
	 * repeats exists twice (ask for both and keep the earlier).  Asking
	 * mktime() with tm_isdst -1 would depend on its previous call.
	 */
	for (hour = 0; hour < 24 && !found; hour++)
		for (dst = 0; dst <= 1; dst++) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = (int)ly - 1900;
			tm.tm_mon = (int)um - 1;
			tm.tm_mday = (int)ud;
			tm.tm_hour = hour;
			tm.tm_isdst = dst;
			if ((t = mktime(&tm)) == (time_t)-1 ||
			    localtime_r(&t, &back) == NULL ||
			    back.tm_year != (int)ly - 1900 ||
			    back.tm_mon != (int)um - 1 ||
			    back.tm_mday != (int)ud || back.tm_hour != hour)
				continue;
			if (!found || t < best)
				best = t;
			found = 1;
		}
	if (!found)
		return -1;
	*ms = (int64_t)best * 1000;
	return 0;
}

int
tz_hour_start(const char *hour, int64_t *ms)
{
	int	 y, m, d, h;

	if (parse_date(hour, &y, &m, &d, &h, 1))
		return -1;
	*ms = (ts_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 +
	    h * 3600) * 1000;
	return 0;
}
