/* ts.c — timestamps: integer milliseconds since 1970 UTC, RFC 3339 text. */
#include <stdio.h>
#include <time.h>

#include "ts.h"

int64_t
ts_now_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t
ts_mono_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Howard Hinnant's algorithm: exact for every Gregorian date. */
int64_t
ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int
ts_days_in_month(int64_t y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12)
		return 0;
	return mdays[m - 1] + (m == 2 && leap);
}

int
ts_digits(const char **p, int n, int *v)
{
	const char	*s = *p;
	int		 x = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	*p = s;
	return 0;
}

int
ts_parse_day(const char *s, int64_t *days)
{
	int	 y, m, d;

	if (ts_digits(&s, 4, &y) || *s++ != '-' || ts_digits(&s, 2, &m) ||
	    *s++ != '-' || ts_digits(&s, 2, &d) || *s != '\0' ||
	    d < 1 || d > ts_days_in_month(y, m))
		return -1;
	*days = ts_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int64_t
ts_day_num(const char *day)
{
	int	 v[3] = { 0, 0, 0 }, k = 0;

	for (; *day != '\0' && k < 3; day++)
		if (*day == '-')
			k++;
		else
			v[k] = v[k] * 10 + (*day - '0');
	return ts_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
}

void
ts_day_str(int64_t n, char *buf)
{
	int64_t		 y;
	unsigned	 m, d;

	ts_civil_from_days(n, &y, &m, &d);
	snprintf(buf, TS_DAY_LEN, "%04d-%02u-%02u", (int)(y % 10000), m % 13,
	    d % 32);
}

int
ts_parse_rfc3339(const char *s, int64_t *ms)
{
	int	 y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, scale = 100;
	int	 sign = 0;
	int64_t	 t;

	if (ts_digits(&s, 4, &y) || *s++ != '-' || ts_digits(&s, 2, &mo) ||
	    *s++ != '-' || ts_digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (ts_digits(&s, 2, &h) || *s++ != ':' || ts_digits(&s, 2, &mi) ||
	    *s++ != ':' || ts_digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (ts_digits(&s, 2, &oh) || *s++ != ':' || ts_digits(&s, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	if (d < 1 || d > ts_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (sec == 60)		/* a leap second is held at :59.999 */
		sec = 59, frac = 999;
	t = ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
}

void
ts_format_rfc3339(int64_t ms, char *buf)
{
	int64_t		 secs, days, y;
	unsigned	 mo, d, rem;
	int		 milli;

	secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	milli = (int)(ms - secs * 1000);
	days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	rem = (unsigned)(secs - days * 86400);
	ts_civil_from_days(days, &y, &mo, &d);
	snprintf(buf, TS_RFC3339_LEN, "%04lld-%02u-%02uT%02u:%02u:%02u.%03dZ",
	    (long long)y, mo, d, rem / 3600, rem / 60 % 60, rem % 60, milli);
}
