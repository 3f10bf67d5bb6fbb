/* test_ts.c — RFC 3339 parsing and formatting, civil-date arithmetic. */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ts.h"

#define NOW_MS		1795688100000LL	/* 2026-11-26T10:15:00Z */

static int64_t
parse_ok(const char *s)
{
	int64_t	 ms = -42;

	cr_assert_eq(ts_parse_rfc3339(s, &ms), 0, "\"%s\" parses", s);
	return ms;
}

static void
parse_fails(const char *s)
{
	int64_t	 ms = -42;

	cr_assert_eq(ts_parse_rfc3339(s, &ms), -1, "\"%s\" is rejected", s);
}

static const char *
fmt(int64_t ms)
{
	static char	 buf[4][TS_RFC3339_LEN];
	static int	 next;
	char		*b = buf[next++ % 4];

	ts_format_rfc3339(ms, b);
	return b;
}

/* ---- ts_parse_rfc3339 ----------------------------------------------------- */

Test(ts, parses_utc_z)
{
	cr_assert_eq(parse_ok("2026-11-26T10:15:00Z"), NOW_MS);
	cr_assert_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
}

Test(ts, parses_lowercase_t_and_z)
{
	cr_assert_eq(parse_ok("2026-11-26t10:15:00z"), NOW_MS);
}

Test(ts, parses_space_separator)
{
	cr_assert_eq(parse_ok("2026-11-26 10:15:00Z"), NOW_MS);
}

Test(ts, parses_offset_plus_0800)
{
	cr_assert_eq(parse_ok("2026-11-26T18:15:00+08:00"), NOW_MS);
}

Test(ts, parses_offset_plus_0530)
{
	cr_assert_eq(parse_ok("2026-11-26T15:45:00+05:30"), NOW_MS);
}

Test(ts, parses_offset_minus_0530)
{
	cr_assert_eq(parse_ok("2026-11-26T04:45:00-05:30"), NOW_MS);
}

Test(ts, parses_offset_minus_0000_as_utc)
{
	cr_assert_eq(parse_ok("2026-11-26T10:15:00-00:00"), NOW_MS);
}

Test(ts, offset_crosses_the_date_line)
{
	cr_assert_eq(parse_ok("2026-11-27T00:15:00+14:00"), NOW_MS);
	cr_assert_eq(parse_ok("2026-11-25T23:15:00-11:00"), NOW_MS);
}

Test(ts, parses_fractional_seconds)
{
	cr_assert_eq(parse_ok("2026-11-26T10:15:00.5Z"), NOW_MS + 500);
	cr_assert_eq(parse_ok("2026-11-26T10:15:00.05Z"), NOW_MS + 50);
	cr_assert_eq(parse_ok("2026-11-26T10:15:00.123Z"), NOW_MS + 123);
	cr_assert_eq(parse_ok("2026-11-26T18:15:00.250+08:00"), NOW_MS + 250);
}

Test(ts, truncates_fraction_beyond_milliseconds)
{
	cr_assert_eq(parse_ok("2026-11-26T10:15:00.123999Z"), NOW_MS + 123);
	cr_assert_eq(parse_ok("2026-11-26T10:15:00.9999999999999Z"),
	    NOW_MS + 999);
}

/* A leap second is held at :59.999 of the same minute. */
Test(ts, parses_leap_second_60)
{
	cr_assert_eq(parse_ok("2016-12-31T23:59:60Z"), 1483228799999LL);
	cr_assert_eq(parse_ok("2017-01-01T07:59:60+08:00"), 1483228799999LL);
}

Test(ts, parses_times_before_1970)
{
	cr_assert_eq(parse_ok("1969-12-31T23:59:59Z"), -1000);
	cr_assert_eq(parse_ok("1969-12-31T23:59:59.5Z"), -500);
	cr_assert_eq(parse_ok("1969-07-20T20:17:40Z"), -14182940000LL);
}

Test(ts, parses_leap_days)
{
	cr_assert_eq(parse_ok("2024-02-29T00:00:00Z"), 1709164800000LL);
	cr_assert_eq(parse_ok("2000-02-29T00:00:00Z"), 951782400000LL,
	    "2000 is divisible by 400");
}

Test(ts, rejects_impossible_dates)
{
	parse_fails("2026-13-01T00:00:00Z");
	parse_fails("2026-00-10T00:00:00Z");
	parse_fails("2026-01-00T00:00:00Z");
	parse_fails("2026-01-32T00:00:00Z");
	parse_fails("2026-04-31T00:00:00Z");
	parse_fails("2026-02-29T00:00:00Z");
	parse_fails("1900-02-29T00:00:00Z");
}

Test(ts, rejects_impossible_times)
{
	parse_fails("2026-11-26T24:00:00Z");
	parse_fails("2026-11-26T10:60:00Z");
	parse_fails("2026-11-26T10:15:61Z");
}

Test(ts, rejects_missing_offset)
{
	parse_fails("2026-11-26T10:15:00");
	parse_fails("2026-11-26T10:15:00.123");
}

Test(ts, rejects_malformed_offsets)
{
	parse_fails("2026-11-26T10:15:00+0800");
	parse_fails("2026-11-26T10:15:00+08");
	parse_fails("2026-11-26T10:15:00+24:00");
	parse_fails("2026-11-26T10:15:00+08:60");
	parse_fails("2026-11-26T10:15:00 UTC");
}

Test(ts, rejects_malformed_strings)
{
	parse_fails("");
	parse_fails("2026-11-26");
	parse_fails("26-11-26T10:15:00Z");
	parse_fails("2026-1-26T10:15:00Z");
	parse_fails("2026/11/26T10:15:00Z");
	parse_fails("2026-11-26X10:15:00Z");
	parse_fails("2026-11-26T10:15Z");
	parse_fails("2026-11-26T10:15:00.Z");
	parse_fails(" 2026-11-26T10:15:00Z");
	parse_fails("2026-11-26T10:15:00Z ");
	parse_fails("2026-11-26T10:15:00ZZ");
}

/* ---- ts_format_rfc3339 ------------------------------------------------------------ */

Test(ts, formats_with_milliseconds_and_z)
{
	cr_assert_str_eq(fmt(0), "1970-01-01T00:00:00.000Z");
	cr_assert_str_eq(fmt(NOW_MS), "2026-11-26T10:15:00.000Z");
	cr_assert_str_eq(fmt(NOW_MS + 7), "2026-11-26T10:15:00.007Z");
	cr_assert_str_eq(fmt(1483228799999LL), "2016-12-31T23:59:59.999Z");
}

Test(ts, formats_times_before_1970)
{
	cr_assert_str_eq(fmt(-1), "1969-12-31T23:59:59.999Z");
	cr_assert_str_eq(fmt(-1000), "1969-12-31T23:59:59.000Z");
	cr_assert_str_eq(fmt(-1001), "1969-12-31T23:59:58.999Z");
	cr_assert_str_eq(fmt(-86400000), "1969-12-31T00:00:00.000Z");
	cr_assert_str_eq(fmt(-14182940000LL), "1969-07-20T20:17:40.000Z");
}

Test(ts, format_fits_its_buffer)
{
	cr_assert_lt(strlen(fmt(253402300799999LL)), TS_RFC3339_LEN);
	cr_assert_str_eq(fmt(253402300799999LL), "9999-12-31T23:59:59.999Z");
}

/* parse(format(ms)) == ms, over centuries on both sides of 1970. */
Test(ts, format_and_parse_round_trip)
{
	uint64_t	 x = 88172645463325252ULL;	/* xorshift64 */
	int64_t		 ms, back;
	int		 i;

	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* -30000000000000 .. +30000000000000: years 1019 to 2920 */
		ms = (int64_t)(x % 60000000000000ULL) - 30000000000000LL;
		cr_assert_eq(ts_parse_rfc3339(fmt(ms), &back), 0, "%s",
		    fmt(ms));
		cr_assert_eq(back, ms, "%lld -> %s -> %lld", (long long)ms,
		    fmt(ms), (long long)back);
	}
}

/* ---- civil dates -------------------------------------------------------------------- */

Test(ts, days_from_civil_known_values)
{
	cr_assert_eq(ts_days_from_civil(1970, 1, 1), 0);
	cr_assert_eq(ts_days_from_civil(1969, 12, 31), -1);
	cr_assert_eq(ts_days_from_civil(2000, 1, 1), 10957);
	cr_assert_eq(ts_days_from_civil(2000, 3, 1), 11017);
	cr_assert_eq(ts_days_from_civil(2026, 11, 26), 20783);
	cr_assert_eq(ts_days_from_civil(0, 3, 1), -719468);
}

Test(ts, civil_from_days_known_values)
{
	int64_t		 y;
	unsigned	 m, d;

	ts_civil_from_days(0, &y, &m, &d);
	cr_assert(y == 1970 && m == 1 && d == 1);
	ts_civil_from_days(11017, &y, &m, &d);
	cr_assert(y == 2000 && m == 3 && d == 1);
	ts_civil_from_days(11016, &y, &m, &d);
	cr_assert(y == 2000 && m == 2 && d == 29);
	ts_civil_from_days(20783, &y, &m, &d);
	cr_assert(y == 2026 && m == 11 && d == 26, "%lld-%u-%u",
	    (long long)y, m, d);
	ts_civil_from_days(-1, &y, &m, &d);
	cr_assert(y == 1969 && m == 12 && d == 31);
}

/* Every day from 0738 to 3203 maps to the next date and back. */
Test(ts, civil_dates_round_trip_day_by_day)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int64_t		 day, y, py;
	unsigned	 m, d, pm, pd, last;

	ts_civil_from_days(-450001, &py, &pm, &pd);
	for (day = -450000; day <= 450000; day++) {
		ts_civil_from_days(day, &y, &m, &d);
		cr_assert_eq(ts_days_from_civil(y, m, d), day,
		    "%lld-%02u-%02u", (long long)y, m, d);
		last = mdays[pm - 1] + (pm == 2 && ((py % 4 == 0 &&
		    py % 100 != 0) || py % 400 == 0));
		if (pd < last)
			cr_assert(y == py && m == pm && d == pd + 1);
		else if (pm < 12)
			cr_assert(y == py && m == pm + 1 && d == 1);
		else
			cr_assert(y == py + 1 && m == 1 && d == 1);
		py = y, pm = m, pd = d;
	}
}

Test(ts, now_is_after_2020)
{
	cr_assert_gt(ts_now_ms(), 1577836800000LL);
}
