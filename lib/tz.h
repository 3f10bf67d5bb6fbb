/* tz.h — local days in the configured time zone, and UTC hours. */
#ifndef APIMON_TZ_H
#define APIMON_TZ_H

/*
 * Error policy: functions that parse a day or hour return 0, or -1 for
 * text that is not one; the others cannot fail.
 */

#include <stdint.h>

#define TZ_DAY_LEN	11	/* "2026-11-26" + NUL */
#define TZ_HOUR_LEN	14	/* "2026-11-26T10" + NUL */

/*
 * Make zone (an IANA name such as "Asia/Taipei", or "UTC") the zone of
 * every later call.  It sets TZ for the whole process.
 */
void	 tz_set(const char *zone);

/* The UTC hour of ms as "YYYY-MM-DDTHH". */
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

/* The first millisecond of the UTC hour "YYYY-MM-DDTHH"; 0 or -1. */
int	 tz_hour_start(const char *hour, int64_t *ms);

#endif
