/* fmt.h — numbers as a locale writes them: grouped, signed once. */
#ifndef APIMON_FMT_H
#define APIMON_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/*
 * Every function writes a NUL-terminated string into buf (size bytes)
 * and returns buf; when the text does not fit it returns NULL and buf
 * holds "" (when size > 0).  FMT_LEN bytes hold any value: a double with
 * all its integer digits, grouped, 9 decimals and the marks and suffix
 * of a locale.  The integer part is grouped by
 * thousands; a value that rounds to zero has no sign ("0.0", never
 * "-0.0").
 */
#define FMT_LEN		800
#define FMT_NONE	"\xe2\x80\x94"	/* U+2014: nothing to show */

/*
 * How a locale writes numbers (the catalogue's ui.num_* texts): the mark
 * between groups of three digits, the decimal mark, and the patterns of
 * a per cent, a change in percentage points and an amount of US dollars,
 * where {n} stands for the number (a negative one keeps its sign
 * there: "$-1.00").  A mark longer than 4 bytes, a pattern longer than
 * 16 or one without {n} is not used: en's stays.
 */
struct fmt_marks {
	const char	*group;		/* "," */
	const char	*decimal;	/* "." */
	const char	*percent;	/* "{n}%" */
	const char	*pp;		/* "{n} pp" */
	const char	*usd;		/* "${n}"; zh-TW "US${n}": never NT$ */
};

/*
 * Write numbers with m from now on; NULL: en's marks, the default.  The
 * texts are copied.
 */
void	 fmt_use(const struct fmt_marks *m);

/* fmt_use() with the marks of the catalogue m. */
void	 fmt_use_msg(const struct msg *m);

/* "1,605,796". */
char	*fmt_int(int64_t v, char *buf, size_t size);

/* v with decimals places (0-9), then suffix: "2.17 s", "1,234.50". */
char	*fmt_num(double v, int decimals, const char *suffix, char *buf,
	    size_t size);

/* A per cent with decimals places: "96.4%". */
char	*fmt_pct(double v, int decimals, char *buf, size_t size);

/* Nano-dollars as a number of USD with decimals places: "1,229.5000". */
char	*fmt_usd(int64_t nusd, int decimals, char *buf, size_t size);

/* Nano-dollars as an amount: "$1,229.50" in en, "US$1,229.50" in zh-TW. */
char	*fmt_money(int64_t nusd, int decimals, char *buf, size_t size);

/*
 * The change from prev to cur in per cent of prev, signed, one decimal:
 * "+12.3%", "-0.7%", "0.0%"; FMT_NONE when prev is 0 or either is NAN
 * (a measure without requests).
 */
char	*fmt_change_pct(double cur, double prev, char *buf, size_t size);

/*
 * The difference of two percentages in percentage points, signed, one
 * decimal: "+1.2 pp", "-0.7 pp", "0.0 pp"; FMT_NONE when either is NAN.
 */
char	*fmt_change_pp(double cur, double prev, char *buf, size_t size);

#endif
