/* fmt.c — numbers as a locale writes them: grouped, signed once. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "money.h"

/* What printf writes of any double with up to 9 decimals fits here. */
#define RAW_LEN		(320 + 16)
#define MARK_MAX	4	/* bytes of a group or decimal mark */
#define PATTERN_MAX	16	/* bytes of a pattern */

/* The marks in use: en's unless fmt_use() said otherwise. */
static struct {
	char	 group[MARK_MAX + 1], decimal[MARK_MAX + 1];
	char	 percent[PATTERN_MAX + 1], pp[PATTERN_MAX + 1];
	char	 usd[PATTERN_MAX + 1];
} marks = { ",", ".", "{n}%", "{n} pp", "${n}" };

/* Copy s into dst (max bytes and a NUL) when it is a usable mark. */
static void
take(char *dst, size_t max, const char *s, int pattern)
{
	if (s != NULL && strlen(s) <= max &&
	    (!pattern || strstr(s, "{n}") != NULL))
		memcpy(dst, s, strlen(s) + 1);
}

void
fmt_use(const struct fmt_marks *m)
{
	static const struct fmt_marks en = { ",", ".", "{n}%", "{n} pp",
	    "${n}" };

	if (m == NULL)
		m = &en;
	take(marks.group, MARK_MAX, m->group, 0);
	take(marks.decimal, MARK_MAX, m->decimal, 0);
	take(marks.percent, PATTERN_MAX, m->percent, 1);
	take(marks.pp, PATTERN_MAX, m->pp, 1);
	take(marks.usd, PATTERN_MAX, m->usd, 1);
}

void
fmt_use_msg(const struct msg *m)
{
	struct fmt_marks	 k;

	k.group = msg_get(m, "ui", "num_group");
	k.decimal = msg_get(m, "ui", "num_decimal");
	k.percent = msg_get(m, "ui", "num_percent");
	k.pp = msg_get(m, "ui", "num_pp");
	k.usd = msg_get(m, "ui", "num_usd");
	fmt_use(&k);
}

/* buf emptied, and NULL: the text did not fit. */
static char *
too_long(char *buf, size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	return NULL;
}

/*
 * Write the decimal number raw ("-1234567.89", as printf writes it) into
 * buf: with sign (when not NULL: the sign to write for a value above
 * zero), the integer digits grouped by three, the locale's marks, all in
 * pattern ("{n}" for the number alone) and followed by suffix.  A value
 * whose digits are all zero is written without any sign.
 */
static char *
compose(const char *raw, const char *plus, const char *pattern,
    const char *suffix, char *buf, size_t size)
{
	const char	*d = raw + (raw[0] == '-'), *at = strstr(pattern, "{n}");
	const char	*sign = "", *dot;
	size_t		 nint = strcspn(d, "."), glen = strlen(marks.group);
	size_t		 i, o, need;

	if (strspn(d, "0.") != strlen(d))
		sign = raw[0] == '-' ? "-" : plus != NULL ? plus : "";
	dot = d + nint;
	need = strlen(pattern) - 3 + strlen(sign) + nint +
	    (nint > 0 ? (nint - 1) / 3 * glen : 0) + strlen(suffix) + 1;
	if (dot[0] == '.')
		need += strlen(marks.decimal) + strlen(dot + 1);
	if (need > size)
		return too_long(buf, size);
	o = (size_t)(at - pattern);
	memcpy(buf, pattern, o);
	memcpy(buf + o, sign, strlen(sign));
	o += strlen(sign);
	for (i = 0; i < nint; i++) {
		if (i > 0 && (nint - i) % 3 == 0) {
			memcpy(buf + o, marks.group, glen);
			o += glen;
		}
		buf[o++] = d[i];
	}
	buf[o] = '\0';
	if (dot[0] == '.') {
		strcat(buf, marks.decimal);
		strcat(buf, dot + 1);
	}
	strcat(buf, at + 3);
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
	return compose(raw, NULL, "{n}", "", buf, size);
}

/* v signed as asked, with decimals places, in pattern, then suffix. */
static char *
num(double v, int decimals, const char *plus, const char *pattern,
    const char *suffix, char *buf, size_t size)
{
	char	 raw[RAW_LEN];
	int	 n;

	n = snprintf(raw, sizeof(raw), "%.*f", clamp_decimals(decimals), v);
	if (n < 0 || (size_t)n >= sizeof(raw))	/* inf and nan fit */
		return too_long(buf, size);
	return compose(raw, plus, pattern, suffix, buf, size);
}

char *
fmt_num(double v, int decimals, const char *suffix, char *buf, size_t size)
{
	return num(v, decimals, NULL, "{n}", suffix, buf, size);
}

char *
fmt_pct(double v, int decimals, char *buf, size_t size)
{
	return num(v, decimals, NULL, marks.percent, "", buf, size);
}

/* Nano-dollars with decimals places in pattern. */
static char *
usd(int64_t nusd, int decimals, const char *pattern, char *buf, size_t size)
{
	char	 raw[48];

	money_format(nusd, clamp_decimals(decimals), raw, (int)sizeof(raw));
	return compose(raw, NULL, pattern, "", buf, size);
}

char *
fmt_usd(int64_t nusd, int decimals, char *buf, size_t size)
{
	return usd(nusd, decimals, "{n}", buf, size);
}

char *
fmt_money(int64_t nusd, int decimals, char *buf, size_t size)
{
	return usd(nusd, decimals, marks.usd, buf, size);
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
	return num((cur - prev) / (prev < 0 ? -prev : prev) * 100, 1, "+",
	    marks.percent, "", buf, size);
}

char *
fmt_change_pp(double cur, double prev, char *buf, size_t size)
{
	if (isnan(cur) || isnan(prev))
		return none(buf, size);
	return num(cur - prev, 1, "+", marks.pp, "", buf, size);
}
