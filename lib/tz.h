/* tz.h — local days and local hours in the configured time zone. */
#ifndef APIMON_TZ_H
#define APIMON_TZ_H

/*
 * Error policy: functions that parse a day or hour return 0, or -1 for
 * text that is not one; the others cannot fail.
 */

#include <stdint.h>

#define TZ_DAY_LEN	11	/* "2026-11-26" + NUL */
#define TZ_HOUR_LEN	17	/* "2026-11-26T10:30" + NUL */
#define TZ_DAY_HOURS	27	/* local hours in a day, at most (DST: 25) */

/*
 * Make zone (an IANA name such as "Asia/Taipei", or "UTC") the zone of
 * every later call.  It sets TZ for the whole process.
 */
void	 tz_set(const char *zone);

/*
 * The key of the hour bucket that starts at ms: that instant in UTC as
 * "YYYY-MM-DDTHH:MM" (local hours of a +05:30 zone start at :30 UTC).
 * Keys sort as their instants do.
 */
void	 tz_hour(int64_t ms, char *buf);

/* The local day of ms as "YYYY-MM-DD". */
void	 tz_day(int64_t ms, char *buf);

/*
 * The first millisecond of the local day "YYYY-MM-DD" plus add days
 * (add may be negative), in UTC ms.  A day is 23, 24 or 25 hours long;
 * a day whose midnight is skipped by DST starts at its first local time.
 * Returns 0, or -1 when day is not a date.
 */
int	 tz_day_start(const char *day, int add, int64_t *ms);

/* The first millisecond of the hour key "YYYY-MM-DDTHH:MM"; 0 or -1. */
int	 tz_hour_start(const char *hour, int64_t *ms);

/*
 * The local hours of the local day "YYYY-MM-DD": starts[i] is the first
 * millisecond of its i-th hour (starts[0] its first instant) and
 * starts[n] the first of the next day.  An hour runs from one local
 * HH:00 to the next: a DST change makes 23 or 25 of them in a day
 * (or an hour of 90 minutes where DST moves by half an hour).
 * Returns n, or -1 when day is not a date; starts has room for
 * TZ_DAY_HOURS + 1.
 */
int	 tz_day_hours(const char *day, int64_t *starts);

#endif
