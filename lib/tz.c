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

static int
parse_date(const char *s, int *y, int *m, int *d, int *h, int with_hour)
{
	char	 tail;
	int	 n;

	if (with_hour)
		n = sscanf(s, "%4d-%2d-%2dT%2d%c", y, m, d, h, &tail);
	else
		n = sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail);
	if (n != (with_hour ? 4 : 3) || *m < 1 || *m > 12 || *d < 1 ||
	    *d > 31 || (with_hour && (*h < 0 || *h > 23)))
		return -1;
	return 0;
}

int
tz_day_start(const char *day, int add, int64_t *ms)
{
	struct tm	 tm;
	time_t		 t;
	int		 y, m, d, h = 0, hour;

	if (parse_date(day, &y, &m, &d, &h, 0))
		return -1;
	/*
	 * mktime() normalises d + add across months; a midnight that DST
	 * skips does not exist, so try each hour until one maps back.
	 */
	for (hour = 0; hour < 24; hour++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d + add;
		tm.tm_hour = hour;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
		if (tm.tm_hour == hour)
			break;
	}
	*ms = (int64_t)t * 1000;
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
