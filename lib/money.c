/* money.c — money as int64 nano-dollars (1 USD = 1e9), from parse to sum. */
#include <math.h>
#include <stdio.h>

#include "money.h"

int
money_from_usd(double usd, int64_t *nusd)
{
	if (!isfinite(usd) || usd < 0 || usd > MONEY_MAX_USD)
		return -1;
	*nusd = llround(usd * MONEY_NUSD_PER_USD);
	return 0;
}

int64_t
money_price(int64_t in_tokens, int64_t in_price, int64_t out_tokens,
    int64_t out_price)
{
	__int128	 sum;

	sum = (__int128)in_tokens * in_price + (__int128)out_tokens * out_price;
	return (int64_t)((sum + 500000) / 1000000);
}

char *
money_format(int64_t nusd, int decimals, char *buf, int size)
{
	static const int64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000, 10000000, 100000000, 1000000000 };
	int64_t		 unit, q, whole, frac;
	const char	*sign = nusd < 0 ? "-" : "";
	unsigned long long a;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	unit = pow10[9 - decimals];
	a = nusd < 0 ? -(unsigned long long)nusd : (unsigned long long)nusd;
	q = (int64_t)((a + (unsigned long long)unit / 2) / (unsigned long long)unit);
	whole = q / pow10[decimals];
	frac = q % pow10[decimals];
	if (decimals == 0)
		snprintf(buf, size, "%s%lld", sign, (long long)whole);
	else
		snprintf(buf, size, "%s%lld.%0*lld", sign, (long long)whole,
		    decimals, (long long)frac);
	return buf;
}
