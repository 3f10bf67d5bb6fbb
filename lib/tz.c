/* tz.c — local days and local hours in the configured time zone. */
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
	tm.tm_min = (int)(secs / 60 % 60);
	strftime(buf, TZ_HOUR_LEN, "%Y-%m-%dT%H:%M", &tm);
}

void
tz_day(int64_t ms, char *buf)
{
	time_t		 t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm	 tm;

	localtime_r(&t, &tm);
	strftime(buf, TZ_DAY_LEN, "%Y-%m-%d", &tm);
}

/* Exactly "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM" with_hour; a real date. */
static int
parse_date(const char *s, int64_t *days, int *mins, int with_hour)
{
	char	 day[TZ_DAY_LEN];
	int	 h, m;

	if (strlen(s) != (with_hour ? 16u : 10u))
		return -1;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (ts_parse_day(day, days))
		return -1;
	if (!with_hour)
		return 0;
	s += 11;
	if (s[-1] != 'T' || ts_digits(&s, 2, &h) || *s++ != ':' ||
	    ts_digits(&s, 2, &m) || h > 23 || m > 59)
		return -1;
	*mins = h * 60 + m;
	return 0;
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
	int	 mins;

	if (parse_date(hour, &days, &mins, 1))
		return -1;
	*ms = (days * 86400 + mins * 60) * 1000;
	return 0;
}

/* The first instant after t (a local HH:00) whose local time is HH:00. */
static int64_t
next_hour(int64_t t)
{
	time_t		 s = (time_t)(t / 1000) + 1;
	struct tm	 tm;

	/* Half-hour DST moves land on HH:30; step on to the next HH:00. */
	for (;;) {
		localtime_r(&s, &tm);
		if (tm.tm_min == 0 && tm.tm_sec == 0)
			return (int64_t)s * 1000;
		s += (60 - tm.tm_min) * 60 - tm.tm_sec;
	}
}

int
tz_day_hours(const char *day, int64_t *starts)
{
	int64_t	 from, to;
	int	 n = 0;

	if (tz_day_start(day, 0, &from) || tz_day_start(day, 1, &to))
		return -1;
	for (starts[0] = from; starts[n] < to && n < TZ_DAY_HOURS; n++)
		starts[n + 1] = next_hour(starts[n]);
	starts[n] = to;
	return n;
}
