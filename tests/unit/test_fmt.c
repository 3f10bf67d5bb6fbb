/* test_fmt.c — the numbers of the report tables: grouped, signed once. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "fmt.h"

static char	 out[FMT_LEN];

static void
is(const char *got, const char *want)
{
	cr_assert_not_null(got, "returned NULL, want \"%s\"", want);
	cr_assert_eq(got, out, "returns its buf");
	cr_assert_str_eq(got, want);
}

Test(fmt, int_groups_thousands)
{
	is(fmt_int(0, out, sizeof(out)), "0");
	is(fmt_int(999, out, sizeof(out)), "999");
	is(fmt_int(1000, out, sizeof(out)), "1,000");
	is(fmt_int(1605796, out, sizeof(out)), "1,605,796");
	is(fmt_int(-1234567, out, sizeof(out)), "-1,234,567");
	is(fmt_int(INT64_MAX, out, sizeof(out)), "9,223,372,036,854,775,807");
	is(fmt_int(INT64_MIN, out, sizeof(out)), "-9,223,372,036,854,775,808");
}

Test(fmt, num_keeps_its_decimals_and_groups)
{
	is(fmt_num(96.4321, 1, "%", out, sizeof(out)), "96.4%");
	is(fmt_num(100, 1, "%", out, sizeof(out)), "100.0%");
	is(fmt_num(2.166, 2, "", out, sizeof(out)), "2.17");
	is(fmt_num(1234.5, 2, "", out, sizeof(out)), "1,234.50");
	is(fmt_num(1234567.0, 0, "", out, sizeof(out)), "1,234,567");
	is(fmt_num(-1234.5, 1, " s", out, sizeof(out)), "-1,234.5 s");
}

Test(fmt, num_never_writes_minus_zero)
{
	is(fmt_num(-0.0, 1, "%", out, sizeof(out)), "0.0%");
	is(fmt_num(-0.04, 1, "", out, sizeof(out)), "0.0");
	is(fmt_num(-0.0004, 3, "", out, sizeof(out)), "0.000");
	is(fmt_num(-0.4, 0, "", out, sizeof(out)), "0");
}

Test(fmt, num_of_any_double_fits_in_fmt_len)
{
	cr_assert_not_null(fmt_num(-DBL_MAX, 9, "0123456789abcdef", out,
	    sizeof(out)));
	cr_assert_eq(out[0], '-');
	cr_assert(strlen(out) > 400, "all of %zu digits", strlen(out));
}

Test(fmt, what_does_not_fit_is_null_and_empty)
{
	char	 small[6] = "xxxxx", seven[7];

	cr_assert_null(fmt_int(12345, small, sizeof(small)));
	cr_assert_str_eq(small, "");
	cr_assert_str_eq(fmt_int(12345, seven, sizeof(seven)), "12,345");
	cr_assert_null(fmt_num(1.5, 2, "%", small, 5));
	cr_assert_str_eq(fmt_num(1.5, 2, "%", small, 6), "1.50%");
	cr_assert_null(fmt_change_pct(1, 0, small, 3));
}

Test(fmt, usd_from_nano_dollars)
{
	is(fmt_usd(0, 4, out, sizeof(out)), "0.0000");
	is(fmt_usd(2319200000, 4, out, sizeof(out)), "2.3192");
	is(fmt_usd(1229500000000LL, 4, out, sizeof(out)), "1,229.5000");
	is(fmt_usd(49999, 4, out, sizeof(out)), "0.0000");
	is(fmt_usd(50000, 4, out, sizeof(out)), "0.0001");
	is(fmt_usd(-1234567890123LL, 2, out, sizeof(out)), "-1,234.57");
	is(fmt_usd(-40000, 4, out, sizeof(out)), "0.0000");
}

Test(fmt, change_pct_is_signed_with_one_decimal)
{
	is(fmt_change_pct(1406, 2234, out, sizeof(out)), "-37.1%");
	is(fmt_change_pct(2.166, 2.108, out, sizeof(out)), "+2.8%");
	is(fmt_change_pct(30000, 1, out, sizeof(out)), "+2,999,900.0%");
	is(fmt_change_pct(0, 5, out, sizeof(out)), "-100.0%");
}

Test(fmt, change_pct_has_no_minus_zero)
{
	is(fmt_change_pct(100, 100, out, sizeof(out)), "0.0%");
	is(fmt_change_pct(99999, 100000, out, sizeof(out)), "0.0%");
	is(fmt_change_pct(100001, 100000, out, sizeof(out)), "0.0%");
}

Test(fmt, change_pct_without_a_base_is_none)
{
	is(fmt_change_pct(5, 0, out, sizeof(out)), FMT_NONE);
	is(fmt_change_pct(0, 0, out, sizeof(out)), FMT_NONE);
}

Test(fmt, change_pp_is_the_difference_in_percentage_points)
{
	is(fmt_change_pp(96.4, 97.1, out, sizeof(out)), "-0.7 pp");
	is(fmt_change_pp(97.1, 95.9, out, sizeof(out)), "+1.2 pp");
	is(fmt_change_pp(50, 50, out, sizeof(out)), "0.0 pp");
	is(fmt_change_pp(96.44, 96.46, out, sizeof(out)), "0.0 pp");
	is(fmt_change_pp(100, 0, out, sizeof(out)), "+100.0 pp");
}

Test(fmt, a_change_of_a_measure_without_requests_is_none)
{
	is(fmt_change_pct(NAN, 2.1, out, sizeof(out)), FMT_NONE);
	is(fmt_change_pct(2.1, NAN, out, sizeof(out)), FMT_NONE);
	is(fmt_change_pp(NAN, 97.0, out, sizeof(out)), FMT_NONE);
	is(fmt_change_pp(97.0, NAN, out, sizeof(out)), FMT_NONE);
}

/* ---- the marks of a locale ------------------------------------------------ */

Test(fmt, money_is_in_us_dollars_with_the_locale_s_sign)
{
	static const struct fmt_marks zh = { ",", ".", "{n}%", "{n} 個百分點",
	    "US${n}" };

	is(fmt_money(1229500000000LL, 2, out, sizeof(out)), "$1,229.50");
	is(fmt_pct(96.4321, 1, out, sizeof(out)), "96.4%");
	fmt_use(&zh);
	is(fmt_money(1229500000000LL, 2, out, sizeof(out)), "US$1,229.50");
	is(fmt_money(0, 4, out, sizeof(out)), "US$0.0000");
	is(fmt_change_pp(96.4, 97.1, out, sizeof(out)), "-0.7 個百分點");
	is(fmt_usd(2319200000, 4, out, sizeof(out)), "2.3192");
	fmt_use(NULL);
	is(fmt_money(1229500000000LL, 2, out, sizeof(out)), "$1,229.50");
	is(fmt_change_pp(96.4, 97.1, out, sizeof(out)), "-0.7 pp");
}

Test(fmt, a_locale_may_group_and_mark_decimals_its_own_way)
{
	static const struct fmt_marks de = { ".", ",", "{n} %", "{n} pp",
	    "{n} $" };
	static const struct fmt_marks fr = { "\xe2\x80\xaf", ",", "{n} %",
	    "{n} pp", "{n} $US" };

	fmt_use(&de);
	is(fmt_num(1234567.891, 2, "", out, sizeof(out)), "1.234.567,89");
	is(fmt_int(-1234567, out, sizeof(out)), "-1.234.567");
	is(fmt_pct(12.25, 1, out, sizeof(out)), "12,2 %");
	is(fmt_change_pct(1406, 2234, out, sizeof(out)), "-37,1 %");
	is(fmt_money(1229500000000LL, 2, out, sizeof(out)), "1.229,50 $");
	fmt_use(&fr);
	is(fmt_num(1234567.5, 1, "", out, sizeof(out)), "1\xe2\x80\xaf" "234"
	    "\xe2\x80\xaf" "567,5");
	is(fmt_money(1500000000LL, 2, out, sizeof(out)), "1,50 $US");
}

Test(fmt, a_bad_mark_or_pattern_keeps_en_s)
{
	static const struct fmt_marks bad = { "12345", NULL, "%", "{n} a very "
	    "long pattern", "{x}" };

	fmt_use(&bad);
	is(fmt_num(1234.5, 1, "", out, sizeof(out)), "1,234.5");
	is(fmt_pct(5, 0, out, sizeof(out)), "5%");
	is(fmt_change_pp(2, 1, out, sizeof(out)), "+1.0 pp");
	is(fmt_money(1000000000, 2, out, sizeof(out)), "$1.00");
}

Test(fmt, the_widest_marks_fit_in_fmt_len)
{
	static const struct fmt_marks wide = { "\xf0\x9f\x98\x80", "\xe2\x80\xaf",
	    "{n} 0123456789a", "{n}", "{n}" };

	fmt_use(&wide);
	cr_assert_not_null(fmt_num(-DBL_MAX, 9, "0123456789abcdef", out,
	    sizeof(out)));
	cr_assert_not_null(fmt_pct(-DBL_MAX, 9, out, sizeof(out)));
}

Test(fmt, exactly_enough_room_is_enough)
{
	char	 b[8];

	is(fmt_money(1000000000, 2, out, sizeof(out)), "$1.00");
	cr_assert_str_eq(fmt_money(1000000000, 2, b, 6), "$1.00");
	cr_assert_null(fmt_money(1000000000, 2, b, 5));
	cr_assert_str_eq(fmt_pct(96.4, 1, b, 6), "96.4%");
	cr_assert_null(fmt_pct(96.4, 1, b, 5));
}
