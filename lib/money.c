/* money.c — money as int64 nano-dollars (1 USD = 1e9), from parse to sum. */
#include <math.h>
#include <stdio.h>
#include <string.h>

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
	sum = (sum + 500000) / 1000000;
	return sum > INT64_MAX ? INT64_MAX : (int64_t)sum;
}

char *
money_format(int64_t nusd, int decimals, char *buf, int size)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000, 10000000, 100000000, 1000000000 };
	uint64_t	 a, unit, q;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	unit = pow10[9 - decimals];
	a = nusd < 0 ? -(uint64_t)nusd : (uint64_t)nusd;
	q = a / unit + (a % unit >= (unit + 1) / 2 && unit > 1);
	/* A value that rounds to zero has no sign. */
	snprintf(buf, size, "%s%llu", nusd < 0 && q > 0 ? "-" : "",
	    (unsigned long long)(q / pow10[decimals]));
	if (decimals > 0) {
		size_t n = strlen(buf);
		snprintf(buf + n, size - n, ".%0*llu", decimals,
		    (unsigned long long)(q % pow10[decimals]));
	}
	return buf;
}
