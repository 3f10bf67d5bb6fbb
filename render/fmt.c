/* fmt.c — numbers as the report tables write them: grouped, signed once. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "money.h"

/* What printf writes of any double with up to 9 decimals fits here. */
#define RAW_LEN		(320 + 16)

/* buf emptied, and NULL: the text did not fit. */
static char *
too_long(char *buf, size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	return NULL;
}

/*
 * Copy the decimal number raw ("-1234567.89", as printf writes it) into
 * buf with sign (when not NULL: the sign to write for a value above zero)
 * and the integer digits grouped by three, then suffix.  A value whose
 * digits are all zero is written without any sign.
 */
static char *
group(const char *raw, const char *plus, const char *suffix, char *buf,
    size_t size)
{
	const char	*d = raw + (raw[0] == '-');
	const char	*sign = "";
	size_t		 nint = strcspn(d, "."), i, o = 0;

	if (strspn(d, "0.") != strlen(d))
		sign = raw[0] == '-' ? "-" : plus != NULL ? plus : "";
	if (strlen(sign) + strlen(d) + nint / 3 + strlen(suffix) + 1 > size)
		return too_long(buf, size);
	o = strlen(sign);
	memcpy(buf, sign, o);
	for (i = 0; i < nint; i++) {
		if (i > 0 && (nint - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = d[i];
	}
	strcpy(buf + o, d + nint);
	strcat(buf, suffix);
	return buf;
}

static int
clamp_decimals(int decimals)
{
	return decimals < 0 ? 0 : decimals > 9 ? 9 : decimals;
}

char *
fmt_int(int64_t v, char *buf, size_t size)
{
	char	 raw[32];

	snprintf(raw, sizeof(raw), "%lld", (long long)v);
	return group(raw, NULL, "", buf, size);
}

/* v signed as asked, with decimals places, then suffix. */
static char *
num(double v, int decimals, const char *plus, const char *suffix,
    char *buf, size_t size)
{
	char	 raw[RAW_LEN];
	int	 n;

	n = snprintf(raw, sizeof(raw), "%.*f", clamp_decimals(decimals), v);
	if (n < 0 || (size_t)n >= sizeof(raw))	/* inf and nan fit */
		return too_long(buf, size);
	return group(raw, plus, suffix, buf, size);
}

char *
fmt_num(double v, int decimals, const char *suffix, char *buf, size_t size)
{
	return num(v, decimals, NULL, suffix, buf, size);
}

char *
fmt_usd(int64_t nusd, int decimals, char *buf, size_t size)
{
	char	 raw[48];

	money_format(nusd, clamp_decimals(decimals), raw, (int)sizeof(raw));
	return group(raw, NULL, "", buf, size);
}

/* FMT_NONE into buf. */
static char *
none(char *buf, size_t size)
{
	if (size < sizeof(FMT_NONE))
		return too_long(buf, size);
	return strcpy(buf, FMT_NONE);
}

char *
fmt_change_pct(double cur, double prev, char *buf, size_t size)
{
	if (prev == 0 || isnan(cur) || isnan(prev))
		return none(buf, size);
	return num((cur - prev) / (prev < 0 ? -prev : prev) * 100, 1, "+", "%",
	    buf, size);
}

char *
fmt_change_pp(double cur, double prev, char *buf, size_t size)
{
	if (isnan(cur) || isnan(prev))
		return none(buf, size);
	return num(cur - prev, 1, "+", " pp", buf, size);
}
