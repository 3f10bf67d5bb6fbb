/* ts.h — timestamps: integer milliseconds since 1970 UTC, RFC 3339 text. */
#ifndef APIMON_TS_H
#define APIMON_TS_H

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

#endif
