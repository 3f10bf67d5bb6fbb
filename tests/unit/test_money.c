/* test_money.c — nano-dollars: conversion, pricing and formatting. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "money.h"

static int64_t
usd(double v)
{
	int64_t	 nusd = -42;

	cr_assert_eq(money_from_usd(v, &nusd), 0, "%.17g USD is accepted", v);
	return nusd;
}

static void
usd_rejected(double v)
{
	int64_t	 nusd = -42;

	cr_assert_eq(money_from_usd(v, &nusd), -1, "%.17g USD is rejected", v);
}

static const char *
fmt(int64_t nusd, int decimals)
{
	static char	 buf[4][64];
	static int	 next;
	char		*b = buf[next++ % 4];

	cr_assert_eq(money_format(nusd, decimals, b, (int)sizeof(buf[0])), b,
	    "money_format returns buf");
	return b;
}

/* ---- money_from_usd ------------------------------------------------------ */

Test(money, one_dollar_is_a_billion_nano_dollars)
{
	cr_assert_eq(usd(1), MONEY_NUSD_PER_USD);
	cr_assert_eq(usd(0), 0);
	cr_assert_eq(usd(0.1), 100000000);
	cr_assert_eq(usd(0.15), 150000000);
	cr_assert_eq(usd(12.34), 12340000000LL);
}

Test(money, from_usd_rounds_half_away_from_zero)
{
	cr_assert_eq(usd(0.0000000015), 2);
	cr_assert_eq(usd(0.0000000025), 3, "not banker's rounding");
	cr_assert_eq(usd(0.0000000014), 1);
	cr_assert_eq(usd(0.0000000004), 0);
	cr_assert_eq(usd(0.1 + 0.2), 300000000, "binary noise is rounded away");
}

Test(money, accepts_up_to_a_million_dollars)
{
	cr_assert_eq(usd(MONEY_MAX_USD), 1000000000000000LL);
	cr_assert_eq(usd(999999.999999999), 999999999999999LL);
}

Test(money, rejects_above_a_million_dollars)
{
	usd_rejected(1000000.000001);
	usd_rejected(1e300);
}

Test(money, rejects_negative_amounts)
{
	usd_rejected(-0.01);
	usd_rejected(-1e-12);
	usd_rejected(-1e6);
}

Test(money, rejects_non_finite_amounts)
{
	usd_rejected(INFINITY);
	usd_rejected(-INFINITY);
	usd_rejected(NAN);
}

/* ---- money_price ----------------------------------------------------------- */

/* 1000 in at $0.15/Mtok + 500 out at $0.60/Mtok = $0.00045. */
Test(money, price_of_a_call)
{
	cr_assert_eq(money_price(1000, 150000000, 500, 600000000), 450000);
	cr_assert_eq(money_price(1, 150000000, 0, 600000000), 150);
	cr_assert_eq(money_price(0, 150000000, 0, 600000000), 0);
}

Test(money, price_rounds_half_up)
{
	/* 1 token at 500000 nUSD/Mtok is 0.5 nUSD. */
	cr_assert_eq(money_price(1, 500000, 0, 0), 1);
	cr_assert_eq(money_price(1, 499999, 0, 0), 0);
	cr_assert_eq(money_price(0, 0, 3, 500000), 2, "1.5 rounds to 2");
	/* The halves of both sides add up before rounding. */
	cr_assert_eq(money_price(1, 250000, 1, 250000), 1);
}

/*
 * 1e12 tokens at 9e12 nUSD/Mtok is 9e18 nUSD: the product (9e24) overflows
 * int64, the result just fits.
 */
Test(money, price_of_1e12_tokens_needs_no_64_bit_product)
{
	cr_assert_eq(money_price(1000000000000LL, 9000000000000LL, 0, 0),
	    9000000000000000000LL);
	cr_assert_eq(money_price(500000000000LL, 9000000000000LL,
	    500000000000LL, 9000000000000LL), 9000000000000000000LL);
}

/*
 * money.h: "Never overflows for tokens <= 1e12 and prices <= 1e6 USD per
 * million tokens."  1e12 tokens at $10000/Mtok is $1e10 = 1e19 nUSD, more
 * than INT64_MAX: the result must not wrap to a negative cost.
 */
Test(money, price_never_wraps_negative)
{
	int64_t	 v = money_price(1000000000000LL, 10000000000000LL, 0, 0);

	cr_assert_geq(v, 0, "got %lld", (long long)v);
}

/*
 * 1e12 tokens at $1e6/Mtok is 1e21 nUSD, which int64 cannot hold; the
 * only result that "never overflows" is a saturated one.
 */
Test(money, price_of_1e12_tokens_at_max_price_saturates)
{
	int64_t	 v = money_price(1000000000000LL, 1000000000000000LL,
	    1000000000000LL, 1000000000000000LL);

	cr_assert_eq(v, INT64_MAX, "got %lld", (long long)v);
}

/* ---- money_format ------------------------------------------------------------- */

Test(money, formats_zero)
{
	cr_assert_str_eq(fmt(0, 0), "0");
	cr_assert_str_eq(fmt(0, 2), "0.00");
	cr_assert_str_eq(fmt(0, 6), "0.000000");
	cr_assert_str_eq(fmt(0, 9), "0.000000000");
}

Test(money, formats_with_0_2_6_9_decimals)
{
	int64_t	 v = 12345678900LL;	/* $12.3456789 */

	cr_assert_str_eq(fmt(v, 0), "12");
	cr_assert_str_eq(fmt(v, 2), "12.35");
	cr_assert_str_eq(fmt(v, 6), "12.345679");
	cr_assert_str_eq(fmt(v, 9), "12.345678900");
}

Test(money, format_rounds_half_away_from_zero)
{
	cr_assert_str_eq(fmt(5000000, 2), "0.01");	/* $0.005 */
	cr_assert_str_eq(fmt(4999999, 2), "0.00");
	cr_assert_str_eq(fmt(500000000, 0), "1");	/* $0.5 */
	cr_assert_str_eq(fmt(2500000000LL, 0), "3", "not banker's rounding");
}

Test(money, format_rounding_carries_into_whole_dollars)
{
	cr_assert_str_eq(fmt(999999999, 2), "1.00");
	cr_assert_str_eq(fmt(9999999999LL, 6), "10.000000");
}

Test(money, formats_negative_amounts)
{
	cr_assert_str_eq(fmt(-12345678900LL, 2), "-12.35");
	cr_assert_str_eq(fmt(-5000000, 2), "-0.01");
	cr_assert_str_eq(fmt(-1, 9), "-0.000000001");
	cr_assert_str_eq(fmt(-2500000000LL, 0), "-3");
}

/* -$0.004 rounds to zero, and zero has no sign. */
Test(money, formats_tiny_negative_as_unsigned_zero)
{
	cr_assert_str_eq(fmt(-4000000, 2), "0.00");
	cr_assert_str_eq(fmt(-1, 0), "0");
}

Test(money, formats_the_int64_extremes)
{
	cr_assert_str_eq(fmt(INT64_MAX, 9), "9223372036.854775807");
	cr_assert_str_eq(fmt(INT64_MAX, 2), "9223372036.85");
	cr_assert_str_eq(fmt(INT64_MIN, 9), "-9223372036.854775808");
}

Test(money, decimals_are_clamped_to_0_through_9)
{
	cr_assert_str_eq(fmt(1234567891, 12), "1.234567891");
	cr_assert_str_eq(fmt(1500000000, -3), "2");
}

Test(money, format_truncates_to_the_buffer)
{
	char	 buf[5];

	memset(buf, 'x', sizeof(buf));
	money_format(12345678900LL, 2, buf, (int)sizeof(buf));
	cr_assert_str_eq(buf, "12.3", "cut and NUL-terminated");
}
