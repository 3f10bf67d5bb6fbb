/* money.h — money as int64 nano-dollars (1 USD = 1e9), from parse to sum. */
#ifndef APIMON_MONEY_H
#define APIMON_MONEY_H

/*
 * Error policy: money_from_usd() returns -1 for an amount out of range;
 * money_price() saturates at INT64_MAX instead of overflowing.
 */

#include <stdint.h>

#define MONEY_NUSD_PER_USD	1000000000LL
#define MONEY_MAX_USD		1e6	/* one record costs at most $1M */

/*
 * Convert a USD amount to nano-dollars, rounding half away from zero.
 * Returns 0, or -1 when usd is negative, not finite or above MONEY_MAX_USD.
 */
int	money_from_usd(double usd, int64_t *nusd);

/*
 * Cost of a call in nano-dollars: tokens times a price in nano-dollars per
 * million tokens, rounded half up; INT64_MAX (about $9.2e9) when larger.
 */
int64_t	money_price(int64_t in_tokens, int64_t in_nusd_per_mtok,
	    int64_t out_tokens, int64_t out_nusd_per_mtok);

/*
 * Format nusd as a decimal USD amount with `decimals` places (0-9),
 * rounded half away from zero, e.g. "12.34".  Returns buf.
 */
char	*money_format(int64_t nusd, int decimals, char *buf, int size);

#endif
