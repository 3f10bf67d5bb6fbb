/* ts.h — timestamps: integer milliseconds since 1970 UTC, RFC 3339 text. */
#ifndef APIMON_TS_H
#define APIMON_TS_H

/*
 * Error policy: parsers return 0, or -1 with their output untouched;
 * formatters cannot fail (their buffers are sized by the macros here).
 */

#include <stdint.h>

#define TS_RFC3339_LEN	32	/* room for "2026-11-26T10:15:00.123Z" + NUL */

/* The current time in milliseconds (CLOCK_REALTIME). */
int64_t	ts_now_ms(void);

/*
 * Milliseconds on CLOCK_MONOTONIC, which no clock change moves: for
 * deadlines and waits, never for timestamps.
 */
int64_t	ts_mono_ms(void);

/*
 * Parse an RFC 3339 date-time ("2026-11-26T10:15:00Z",
 * "2026-11-26T18:15:00.5+08:00") into *ms.  Fractions beyond milliseconds
 * are truncated.  Returns 0, or -1 when s is not such a time.
 */
int	ts_parse_rfc3339(const char *s, int64_t *ms);

/* Write ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (TS_RFC3339_LEN bytes). */
void	ts_format_rfc3339(int64_t ms, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12, d 1-31). */
int64_t	ts_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The date of a day count since 1970-01-01. */
void	ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Days in month m (1-12) of year y, leap years included. */
int	ts_days_in_month(int64_t y, int m);

/*
 * Read exactly n decimal digits at *p into *v and advance *p past them.
 * Returns 0, or -1 (with *p where it was) when a digit is missing.
 */
int	ts_digits(const char **p, int n, int *v);

/*
 * Parse exactly "YYYY-MM-DD", a real date, into days since 1970-01-01.
 * Returns 0, or -1 when s is anything else.
 */
int	ts_parse_day(const char *s, int64_t *days);

/*
 * Days since 1970-01-01 of a day key "YYYY-MM-DD" that is known to be
 * well formed (one from the database); no checks, it runs a lot.
 */
int64_t	ts_day_num(const char *day);

/* Write day n as "YYYY-MM-DD" into buf (TS_DAY_LEN bytes). */
#define TS_DAY_LEN	24	/* "YYYY-MM-DD" + NUL, with room for the compiler */
void	ts_day_str(int64_t n, char *buf);

#endif
