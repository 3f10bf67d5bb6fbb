/* test_tz.c — local days in the configured zone, UTC hours. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "ts.h"
#include "tz.h"

#define HOUR_MS		3600000LL
#define DAY_MS		(24 * HOUR_MS)
#define NOW_MS		1795688100000LL	/* 2026-11-26T10:15:00Z */

/* Criterion forks per test, but say the zone in every test anyway. */
static const char *const zones[] = { "UTC", "Asia/Taipei", "America/New_York",
    "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
    "Pacific/Chatham", "America/Santiago", "America/Havana",
    "Atlantic/Azores" };
#define NZONES	(sizeof(zones) / sizeof(zones[0]))

static int64_t
at(const char *rfc3339)
{
	int64_t	 ms;

	cr_assert_eq(ts_parse_rfc3339(rfc3339, &ms), 0, "%s", rfc3339);
	return ms;
}

static const char *
day(int64_t ms)
{
	static char	 buf[4][TZ_DAY_LEN];
	static int	 next;
	char		*b = buf[next++ % 4];

	memset(b, 0, TZ_DAY_LEN);
	tz_day(ms, b);
	return b;
}

static const char *
hour(int64_t ms)
{
	static char	 buf[4][TZ_HOUR_LEN];
	static int	 next;
	char		*b = buf[next++ % 4];

	memset(b, 0, TZ_HOUR_LEN);
	tz_hour(ms, b);
	return b;
}

static const char *
utc(int64_t ms)
{
	static char	 buf[4][TS_RFC3339_LEN];
	static int	 next;
	char		*b = buf[next++ % 4];

	ts_format_rfc3339(ms, b);
	return b;
}

static int64_t
start(const char *d, int add)
{
	int64_t	 ms = -42;

	cr_assert_eq(tz_day_start(d, add, &ms), 0, "%s %+d", d, add);
	return ms;
}

static void
assert_start(const char *d, int add, const char *want)
{
	int64_t	 ms = start(d, add);

	cr_assert_eq(ms, at(want), "%s %+d: got %s, want %s", d, add, utc(ms),
	    want);
}

/* The last millisecond of one day and the first of the next. */
static void
assert_midnight(const char *first_ms, const char *before, const char *after)
{
	int64_t	 ms = at(first_ms);

	cr_assert_str_eq(day(ms - 1), before, "%s - 1 ms", first_ms);
	cr_assert_str_eq(day(ms), after, "%s", first_ms);
}

static void
assert_day_hours(const char *d, double hours)
{
	int64_t	 s = start(d, 0), e = start(d, 1), len = e - s;

	cr_assert_eq(len, (int64_t)(hours * HOUR_MS), "%s is %.2f hours, not "
	    "%.2f", d, (double)len / HOUR_MS, hours);
}

/* ---- tz_day -------------------------------------------------------------- */

Test(tz, day_in_utc_changes_at_utc_midnight)
{
	tz_set("UTC");
	assert_midnight("2026-11-26T00:00:00Z", "2026-11-25", "2026-11-26");
	assert_midnight("2027-01-01T00:00:00Z", "2026-12-31", "2027-01-01");
	assert_midnight("2024-03-01T00:00:00Z", "2024-02-29", "2024-03-01");
	cr_assert_str_eq(day(NOW_MS), "2026-11-26");
}

Test(tz, day_in_taipei_changes_at_1600_utc)
{
	tz_set("Asia/Taipei");
	assert_midnight("2026-11-25T16:00:00Z", "2026-11-25", "2026-11-26");
	assert_midnight("2026-12-31T16:00:00Z", "2026-12-31", "2027-01-01");
	cr_assert_str_eq(day(at("2026-11-26T15:59:59.999Z")), "2026-11-26");
	cr_assert_str_eq(day(at("2026-11-26T16:00:00Z")), "2026-11-27");
}

Test(tz, day_in_kolkata_changes_at_1830_utc)
{
	tz_set("Asia/Kolkata");
	assert_midnight("2026-11-25T18:30:00Z", "2026-11-25", "2026-11-26");
	assert_midnight("2026-02-28T18:30:00Z", "2026-02-28", "2026-03-01");
	cr_assert_str_eq(day(at("2026-11-25T18:00:00Z")), "2026-11-25",
	    "not the whole hour: 23:30 local");
}

Test(tz, day_in_new_york_follows_dst)
{
	tz_set("America/New_York");
	assert_midnight("2026-01-15T05:00:00Z", "2026-01-14", "2026-01-15");
	assert_midnight("2026-07-15T04:00:00Z", "2026-07-14", "2026-07-15");
	/* Around both changes of 2026. */
	assert_midnight("2026-03-08T05:00:00Z", "2026-03-07", "2026-03-08");
	assert_midnight("2026-03-09T04:00:00Z", "2026-03-08", "2026-03-09");
	assert_midnight("2026-11-01T04:00:00Z", "2026-10-31", "2026-11-01");
	assert_midnight("2026-11-02T05:00:00Z", "2026-11-01", "2026-11-02");
	/* 01:30 happens twice on 2026-11-01; both are that day. */
	cr_assert_str_eq(day(at("2026-11-01T05:30:00Z")), "2026-11-01");
	cr_assert_str_eq(day(at("2026-11-01T06:30:00Z")), "2026-11-01");
}

Test(tz, day_in_lord_howe_follows_half_hour_dst)
{
	tz_set("Australia/Lord_Howe");
	/* +11:00 in summer (DST), +10:30 in winter. */
	assert_midnight("2026-01-14T13:00:00Z", "2026-01-14", "2026-01-15");
	assert_midnight("2026-07-14T13:30:00Z", "2026-07-14", "2026-07-15");
	assert_midnight("2026-04-04T13:00:00Z", "2026-04-04", "2026-04-05");
	assert_midnight("2026-04-05T13:30:00Z", "2026-04-05", "2026-04-06");
	assert_midnight("2026-10-03T13:30:00Z", "2026-10-03", "2026-10-04");
	assert_midnight("2026-10-04T13:00:00Z", "2026-10-04", "2026-10-05");
}

Test(tz, day_before_1970)
{
	tz_set("UTC");
	cr_assert_str_eq(day(0), "1970-01-01");
	cr_assert_str_eq(day(-1), "1969-12-31");
	cr_assert_str_eq(day(-DAY_MS), "1969-12-31");
	cr_assert_str_eq(day(-DAY_MS - 1), "1969-12-30");
	tz_set("Asia/Taipei");
	cr_assert_str_eq(day(-1), "1970-01-01");
	cr_assert_str_eq(day(at("1969-12-31T15:59:59.999Z")), "1969-12-31");
}

/* ---- tz_day_start ------------------------------------------------------- */

Test(tz, day_start_is_local_midnight)
{
	tz_set("UTC");
	assert_start("2026-11-26", 0, "2026-11-26T00:00:00Z");
	tz_set("Asia/Taipei");
	assert_start("2026-11-26", 0, "2026-11-25T16:00:00Z");
	tz_set("Asia/Kolkata");
	assert_start("2026-11-26", 0, "2026-11-25T18:30:00Z");
	tz_set("America/New_York");
	assert_start("2026-11-26", 0, "2026-11-26T05:00:00Z");
	assert_start("2026-06-01", 0, "2026-06-01T04:00:00Z");
	tz_set("Australia/Lord_Howe");
	assert_start("2026-11-26", 0, "2026-11-25T13:00:00Z");
	assert_start("2026-06-01", 0, "2026-05-31T13:30:00Z");
}

Test(tz, days_without_dst_are_24_hours)
{
	tz_set("UTC");
	assert_day_hours("2026-03-08", 24);
	assert_day_hours("2026-11-01", 24);
	tz_set("Asia/Taipei");
	assert_day_hours("2026-03-08", 24);
	tz_set("Asia/Kolkata");
	assert_day_hours("2026-11-01", 24);
}

Test(tz, new_york_spring_forward_day_has_23_hours)
{
	tz_set("America/New_York");
	assert_start("2026-03-08", 0, "2026-03-08T05:00:00Z");
	assert_start("2026-03-08", 1, "2026-03-09T04:00:00Z");
	assert_day_hours("2026-03-08", 23);
	assert_day_hours("2026-03-07", 24);
	assert_day_hours("2026-03-09", 24);
}

Test(tz, new_york_fall_back_day_has_25_hours)
{
	tz_set("America/New_York");
	assert_start("2026-11-01", 0, "2026-11-01T04:00:00Z");
	assert_start("2026-11-01", 1, "2026-11-02T05:00:00Z");
	assert_day_hours("2026-11-01", 25);
	assert_day_hours("2026-10-31", 24);
	assert_day_hours("2026-11-02", 24);
}

Test(tz, lord_howe_dst_days_are_23_5_and_24_5_hours)
{
	tz_set("Australia/Lord_Howe");
	assert_day_hours("2026-10-04", 23.5);	/* 02:00 -> 02:30 */
	assert_day_hours("2026-04-05", 24.5);	/* 02:00 -> 01:30 */
	assert_day_hours("2026-10-03", 24);
	assert_day_hours("2026-04-06", 24);
}

/* Santiago, Havana and the Azores move their clocks at midnight. */
Test(tz, day_whose_midnight_is_skipped_starts_at_its_first_time)
{
	tz_set("America/Santiago");	/* 2026-09-06 00:00 -> 01:00 */
	assert_start("2026-09-06", 0, "2026-09-06T04:00:00Z");
	assert_day_hours("2026-09-06", 23);
	assert_day_hours("2026-09-05", 24);
	tz_set("America/Havana");	/* 2026-03-08 00:00 -> 01:00 */
	assert_start("2026-03-08", 0, "2026-03-08T05:00:00Z");
	assert_day_hours("2026-03-08", 23);
	tz_set("Atlantic/Azores");	/* 2026-03-29 00:00 -> 01:00 */
	assert_start("2026-03-29", 0, "2026-03-29T01:00:00Z");
	assert_day_hours("2026-03-29", 23);
}

/* Santiago's midnight after its change happens once; nothing to choose. */
Test(tz, day_after_a_change_at_midnight_starts_once)
{
	tz_set("America/Santiago");	/* 2026-04-05 00:00 -> 04-04 23:00 */
	assert_start("2026-04-05", 0, "2026-04-05T04:00:00Z");
	assert_day_hours("2026-04-04", 25);
	assert_day_hours("2026-04-05", 24);
}

/*
 * Havana (01:00 CDT -> 00:00 CST) and the Azores (01:00 +00 -> 00:00 -01)
 * see midnight twice; the day starts at the first, whatever was asked
 * before (mktime() with tm_isdst = -1 guesses from its previous call).
 */
Test(tz, day_whose_midnight_repeats_starts_at_the_first)
{
	tz_set("America/Havana");
	assert_start("2026-11-01", 0, "2026-11-01T04:00:00Z");
	start("2026-11-02", 0);
	assert_start("2026-11-01", 0, "2026-11-01T04:00:00Z");
	assert_start("2026-10-31", 1, "2026-11-01T04:00:00Z");
	assert_day_hours("2026-11-01", 25);
	tz_set("Atlantic/Azores");
	start("2026-10-26", 0);
	assert_start("2026-10-25", 0, "2026-10-25T00:00:00Z");
	assert_day_hours("2026-10-25", 25);
}

Test(tz, day_start_adds_days_across_months_and_years)
{
	tz_set("Asia/Taipei");
	assert_start("2026-01-31", 1, "2026-01-31T16:00:00Z");	/* 02-01 */
	assert_start("2026-02-28", 1, "2026-02-28T16:00:00Z");	/* 03-01 */
	assert_start("2024-02-28", 1, "2024-02-28T16:00:00Z");	/* 02-29 */
	assert_start("2026-12-31", 1, "2026-12-31T16:00:00Z");	/* 2027 */
	assert_start("2026-11-26", 36, "2026-12-31T16:00:00Z");
	assert_start("2026-11-26", 365, "2027-11-25T16:00:00Z");
	assert_start("2026-11-26", 0, "2026-11-25T16:00:00Z");
}

Test(tz, day_start_subtracts_days_across_months_and_years)
{
	tz_set("Asia/Kolkata");
	assert_start("2026-03-01", -1, "2026-02-27T18:30:00Z");	/* 02-28 */
	assert_start("2024-03-01", -1, "2024-02-28T18:30:00Z");	/* 02-29 */
	assert_start("2027-01-01", -1, "2026-12-30T18:30:00Z");	/* 12-31 */
	assert_start("2026-11-26", -90, "2026-08-27T18:30:00Z");
	assert_start("2026-11-26", -365, "2025-11-25T18:30:00Z");
}

Test(tz, day_start_adds_across_dst_changes)
{
	tz_set("America/New_York");
	assert_start("2026-03-07", 1, "2026-03-08T05:00:00Z");
	assert_start("2026-03-07", 2, "2026-03-09T04:00:00Z");
	assert_start("2026-03-10", -3, "2026-03-07T05:00:00Z");
	assert_start("2026-10-15", 30, "2026-11-14T05:00:00Z");
	assert_start("2026-11-14", -30, "2026-10-15T04:00:00Z");
	assert_start("2026-12-01", -334, "2026-01-01T05:00:00Z");
	tz_set("Australia/Lord_Howe");
	assert_start("2026-10-01", 5, "2026-10-05T13:00:00Z");
	assert_start("2026-10-05", -5, "2026-09-29T13:30:00Z");
}

/* day_start(d) + k == day_start(d, k), day by day over two years. */
Test(tz, day_start_add_agrees_with_stepping)
{
	char		 d[TZ_DAY_LEN];
	size_t		 z;
	int64_t		 ms;
	int		 k;

	for (z = 0; z < NZONES; z++) {
		tz_set(zones[z]);
		snprintf(d, sizeof(d), "%s", "2025-06-15");
		for (k = 1; k <= 730; k++) {
			ms = start(d, 1);
			cr_assert_eq(ms, start("2025-06-15", k), "%s: %s + 1 "
			    "vs 2025-06-15 + %d", zones[z], d, k);
			snprintf(d, sizeof(d), "%s", day(ms));
		}
	}
}

/* Instant t lies on day d, which runs from s to e. */
static void
assert_on(const char *zone, int64_t t, const char *d, int64_t s, int64_t e)
{
	cr_assert(s <= t && t < e, "%s: %s is not within %s, which runs %s "
	    "to %s", zone, utc(t), d, utc(s), utc(e));
	cr_assert_str_eq(day(t), d, "%s: %s is on %s, not %s, which runs %s "
	    "to %s", zone, utc(t), day(t), d, utc(s), utc(e));
}

/*
 * Every instant belongs to exactly one day, and the days tile time, in
 * every zone over 2025-2027: day after day, each one starts where the one
 * before ended, is 23 to 25 hours long, and holds its first and last
 * millisecond and three sampled instants (fixed xorshift).  A day whose
 * length, or whose neighbour's, is not 24 hours (a change of the offset:
 * DST, a skipped or repeated midnight) is checked every quarter hour, a
 * step that meets the half-hour and 45-minute offsets too.
 */
Test(tz, days_tile_time_in_every_zone)
{
	uint64_t	 x = 88172645463325252ULL;	/* xorshift64 */
	int64_t		 from = at("2025-01-01T00:00:00Z");
	int64_t		 to = at("2028-01-01T00:00:00Z");
	int64_t		 s, e, next, t, prev_len;
	char		 d[TZ_DAY_LEN];
	const char	*zone;
	size_t		 z;
	int		 i, dense;

	for (z = 0; z < NZONES; z++) {
		tz_set(zone = zones[z]);
		snprintf(d, sizeof(d), "%s", day(from));
		s = start(d, 0);
		e = start(d, 1);
		prev_len = DAY_MS;
		for (; s < to; prev_len = e - s, s = e, e = next) {
			cr_assert(e - s >= 23 * HOUR_MS &&
			    e - s <= 25 * HOUR_MS, "%s: %s is %lld ms long",
			    zone, d, (long long)(e - s));
			cr_assert_str_neq(day(s - 1), d, "%s: %s", zone,
			    utc(s - 1));
			assert_on(zone, s, d, s, e);
			assert_on(zone, e - 1, d, s, e);
			next = start(d, 2);
			dense = prev_len != DAY_MS || e - s != DAY_MS ||
			    next - e != DAY_MS;
			for (t = s; dense && t < e; t += HOUR_MS / 4)
				assert_on(zone, t, d, s, e);
			for (i = 0; i < 3; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				assert_on(zone, s + (int64_t)(x %
				    (uint64_t)(e - s)), d, s, e);
			}
			/* The next day starts where this one ends. */
			snprintf(d, sizeof(d), "%s", day(e));
			cr_assert_eq(start(d, 0), e, "%s: %s starts at %s, not "
			    "at the end of the day before", zone, d,
			    utc(start(d, 0)));
		}
	}
}

/* ---- tz_hour and tz_hour_start ------------------------------------------ */

Test(tz, hour_key_is_the_utc_minute_whatever_the_zone)
{
	size_t	 z;

	for (z = 0; z < NZONES; z++) {
		tz_set(zones[z]);
		cr_assert_str_eq(hour(NOW_MS), "2026-11-26T10:15", "%s", zones[z]);
		cr_assert_str_eq(hour(at("2026-11-01T05:59:59.999Z")),
		    "2026-11-01T05:59");
		cr_assert_str_eq(hour(at("2026-11-01T06:00:00Z")),
		    "2026-11-01T06:00");
		cr_assert_str_eq(hour(0), "1970-01-01T00:00");
		cr_assert_str_eq(hour(-1), "1969-12-31T23:59");
	}
}

Test(tz, hour_start_of_known_keys)
{
	int64_t	 ms = -42;

	tz_set("Asia/Kolkata");
	cr_assert_eq(tz_hour_start("2026-11-26T10:15", &ms), 0);
	cr_assert_eq(ms, NOW_MS);
	cr_assert_eq(tz_hour_start("2026-11-26T09:30", &ms), 0);
	cr_assert_eq(ms, at("2026-11-26T09:30:00Z"));
	cr_assert_eq(tz_hour_start("1970-01-01T00:00", &ms), 0);
	cr_assert_eq(ms, 0);
	cr_assert_eq(tz_hour_start("1969-12-31T23:00", &ms), 0);
	cr_assert_eq(ms, -HOUR_MS);
	cr_assert_eq(tz_hour_start("2024-02-29T23:45", &ms), 0);
	cr_assert_eq(ms, at("2024-02-29T23:45:00Z"));
}

Test(tz, hour_and_hour_start_round_trip)
{
	uint64_t	 x = 88172645463325252ULL;	/* xorshift64 */
	int64_t		 ms, back;
	size_t		 z;
	int		 i;

	for (z = 0; z < NZONES; z++) {
		tz_set(zones[z]);
		for (i = 0; i < 20000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* 1940 to 2100 */
			ms = (int64_t)(x % 5000000000000ULL) - 950000000000LL;
			back = -42;
			cr_assert_eq(tz_hour_start(hour(ms), &back), 0, "%s",
			    hour(ms));
			cr_assert_eq(back, ms - ((ms % 60000) + 60000) % 60000,
			    "%s: %s -> %s", zones[z], utc(ms), utc(back));
			cr_assert_str_eq(hour(back), hour(ms));
		}
	}
}

/* ---- tz_day_hours ------------------------------------------------------- */

/* The local hours of day in zone: count, and every start at a local HH:00. */
static int
hours_of(const char *zone, const char *day, int64_t *starts)
{
	int		 n, i;
	time_t		 t;
	struct tm	 tm;
	int64_t		 from, to;

	tz_set(zone);
	n = tz_day_hours(day, starts);
	cr_assert_gt(n, 0, "%s %s", zone, day);
	cr_assert_eq(tz_day_start(day, 0, &from), 0);
	cr_assert_eq(tz_day_start(day, 1, &to), 0);
	cr_assert_eq(starts[0], from, "%s %s: first hour", zone, day);
	cr_assert_eq(starts[n], to, "%s %s: end", zone, day);
	for (i = 0; i < n; i++) {
		cr_assert_lt(starts[i], starts[i + 1]);
		t = (time_t)(starts[i] / 1000);
		localtime_r(&t, &tm);
		cr_assert(tm.tm_min == 0 && tm.tm_sec == 0 && starts[i] % 1000
		    == 0, "%s %s: hour %d starts at %s", zone, day, i,
		    utc(starts[i]));
	}
	return n;
}

Test(tz, days_have_24_local_hours_in_half_and_quarter_hour_zones)
{
	int64_t	 s[TZ_DAY_HOURS + 1];

	cr_assert_eq(hours_of("Asia/Kolkata", "2026-11-26", s), 24);
	cr_assert_eq(s[0], at("2026-11-25T18:30:00Z"));
	cr_assert_eq(s[1], at("2026-11-25T19:30:00Z"));
	cr_assert_eq(hours_of("Asia/Kathmandu", "2026-11-26", s), 24);
	cr_assert_eq(s[0], at("2026-11-25T18:15:00Z"));
	cr_assert_eq(hours_of("UTC", "2026-11-26", s), 24);
	cr_assert_eq(s[3], at("2026-11-26T03:00:00Z"));
}

Test(tz, dst_days_have_23_and_25_local_hours)
{
	int64_t	 s[TZ_DAY_HOURS + 1];

	cr_assert_eq(hours_of("America/New_York", "2026-03-08", s), 23);
	cr_assert_eq(hours_of("America/New_York", "2026-11-01", s), 25);
	/* The two 01:00s of the fall-back day are one hour apart. */
	cr_assert_eq(s[2] - s[1], HOUR_MS);
	cr_assert_eq(s[1], at("2026-11-01T05:00:00Z"));
	cr_assert_eq(s[2], at("2026-11-01T06:00:00Z"));
	cr_assert_eq(hours_of("Australia/Adelaide", "2026-10-04", s), 23);
	cr_assert_eq(hours_of("Australia/Adelaide", "2026-04-05", s), 25);
}

Test(tz, half_hour_dst_makes_one_hour_and_a_half)
{
	int64_t	 s[TZ_DAY_HOURS + 1];
	int	 n, i, long_;

	/*
	 * Lord Howe: +10:30, and +11 with DST, which moves by 30 minutes.
	 * In spring 02:00 becomes 02:30, so the hour from 01:00 to the next
	 * 03:00 is 90 minutes long; in autumn 02:00 becomes 01:30 again.
	 */
	n = hours_of("Australia/Lord_Howe", "2026-10-04", s);
	for (i = long_ = 0; i < n; i++)
		long_ += s[i + 1] - s[i] == 3 * HOUR_MS / 2;
	cr_assert_eq(n, 23, "spring day");
	cr_assert_eq(long_, 1, "one hour and a half on the spring day");
	cr_assert_eq(s[n] - s[0], 47 * HOUR_MS / 2, "23.5 hours");
	n = hours_of("Australia/Lord_Howe", "2026-04-05", s);
	for (i = long_ = 0; i < n; i++)
		long_ += s[i + 1] - s[i] == 3 * HOUR_MS / 2;
	cr_assert_eq(n, 24, "autumn day");
	cr_assert_eq(long_, 1, "one hour and a half on the autumn day");
	cr_assert_eq(s[n] - s[0], 49 * HOUR_MS / 2, "24.5 hours");
}

Test(tz, a_day_whose_midnight_dst_skips_starts_its_hours_at_one)
{
	int64_t	 s[TZ_DAY_HOURS + 1];

	/* Santiago springs forward at 00:00 to 01:00. */
	cr_assert_eq(hours_of("America/Santiago", "2026-09-06", s), 23);
}

/* ---- invalid input ------------------------------------------------------- */

static void
day_fails(const char *d)
{
	int64_t	 ms = -42;

	cr_assert_eq(tz_day_start(d, 0, &ms), -1, "\"%s\" is rejected", d);
	cr_assert_eq(ms, -42, "\"%s\": ms left alone", d);
}

static void
hour_fails(const char *h)
{
	int64_t	 ms = -42;

	cr_assert_eq(tz_hour_start(h, &ms), -1, "\"%s\" is rejected", h);
	cr_assert_eq(ms, -42, "\"%s\": ms left alone", h);
}

Test(tz, day_start_rejects_malformed_days)
{
	tz_set("Asia/Taipei");
	day_fails("");
	day_fails("2026");
	day_fails("2026-11");
	day_fails("2026-11-");
	day_fails("2026/11/26");
	day_fails("26-11-2026");
	day_fails("2026-11-26T");
	day_fails("2026-11-26T10");
	day_fails("2026-11-26 ");
	day_fails("2026-11-26x");
	day_fails("yyyy-mm-dd");
	day_fails("2026-13-01");
	day_fails("2026-00-10");
	day_fails("2026-11-00");
	day_fails("2026-11-32");
	day_fails("20261126");
}

Test(tz, hour_start_rejects_malformed_hours)
{
	tz_set("UTC");
	hour_fails("");
	hour_fails("2026-11-26");
	hour_fails("2026-11-26T");
	hour_fails("2026-11-26T24:00");
	hour_fails("2026-11-26T-1:00");
	hour_fails("2026-11-26T10");
	hour_fails("2026-11-26T10:60");
	hour_fails("2026-11-26T10:0");
	hour_fails("2026-11-26T1x:00");
	hour_fails("2026-11-26 10:00");
	hour_fails("2026-13-26T10:00");
	hour_fails("2026-11-32T10:00");
}

/* A date that does not exist is not the first day of the next month. */
Test(tz, rejects_days_that_do_not_exist)
{
	tz_set("UTC");
	day_fails("2026-02-29");
	day_fails("2026-02-30");
	day_fails("2026-02-31");
	day_fails("2026-04-31");
	day_fails("1900-02-29");
	hour_fails("2026-02-30T10:00");
	hour_fails("2026-06-31T00:00");
}

/* "YYYY-MM-DD" means exactly that: two-digit fields, no signs or spaces. */
Test(tz, rejects_loose_formats)
{
	tz_set("UTC");
	day_fails("2026-1-26");
	day_fails("2026-11-6");
	day_fails(" 2026-11-26");
	day_fails("+2026-11-26");
	day_fails("2026-+1-26");
	day_fails("2026-11- 6");
	hour_fails("2026-11-26T1:00");
	hour_fails(" 2026-11-26T10:00");
	hour_fails("2026-11-26T+1:00");
}
