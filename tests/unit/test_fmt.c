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
