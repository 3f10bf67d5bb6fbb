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

/* Exactly "YYYY-MM-DD", or "YYYY-MM-DDTHH" with_hour; a real date. */
static int
parse_date(const char *s, int64_t *days, int *h, int with_hour)
{
	char	 day[TZ_DAY_LEN];

	if (strlen(s) != (with_hour ? 13u : 10u))
		return -1;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (ts_parse_day(day, days))
		return -1;
	if (!with_hour)
		return 0;
	s += 11;
	return s[-1] != 'T' || ts_digits(&s, 2, h) || *h > 23 ? -1 : 0;
}

int
tz_day_start(const char *day, int add, int64_t *ms)
{
	struct tm	 tm, back;
	time_t		 t, best = 0;
	int		 h = 0, hour, dst, found = 0;
	int64_t		 n;
	unsigned	 um, ud;
	int64_t		 ly;

	if (parse_date(day, &n, &h, 0))
		return -1;
	/* The calendar date add days on; the zone plays no part in that. */
	ts_civil_from_days(n + add, &ly, &um, &ud);
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
	int64_t	 days;
	int	 h;

	if (parse_date(hour, &days, &h, 1))
		return -1;
	*ms = (days * 86400 + h * 3600) * 1000;
	return 0;
}
