/* fmt.h — numbers as the report tables write them. */
#ifndef APIMON_FMT_H
#define APIMON_FMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every function writes a NUL-terminated string into buf (size bytes)
 * and returns buf; when the text does not fit it returns NULL and buf
 * holds "" (when size > 0).  FMT_LEN bytes hold any value: a double with
 * all its integer digits, grouped, 9 decimals and a suffix of up to 16
 * bytes.  The integer part is grouped by thousands with ","; a value
 * that rounds to zero has no sign ("0.0", never "-0.0").
 */
#define FMT_LEN		512
#define FMT_NONE	"\xe2\x80\x94"	/* U+2014: nothing to show */

/* "1,605,796". */
char	*fmt_int(int64_t v, char *buf, size_t size);

/* v with decimals places (0-9), then suffix: "96.4%", "1,234.50". */
char	*fmt_num(double v, int decimals, const char *suffix, char *buf,
	    size_t size);

/* Nano-dollars as USD with decimals places (0-9): "1,229.5000". */
char	*fmt_usd(int64_t nusd, int decimals, char *buf, size_t size);

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
