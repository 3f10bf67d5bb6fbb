/* esc.c — escaping for where a string lands: JSON in <script>, JSON, CSV. */
#include <string.h>

#include "render.h"

/*
 * JSON text is already valid JSON; inside <script> it must also never
 * close the element or open a comment, and U+2028/U+2029 must not end a
 * line for older parsers.  Escaping < > & / as \u00XX does all that
 * while the JSON value stays the same.
 */
void
esc_json_script(struct buf *b, const char *json)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)json;
	char			 u[7];
	size_t			 i, run = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '<' || s[i] == '>' || s[i] == '&' || s[i] == '/') {
			memcpy(u, "\\u00", 4);
			u[4] = hex[s[i] >> 4];
			u[5] = hex[s[i] & 15];
		} else if (s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			memcpy(u, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
		else
			continue;
		buf_add(b, json + run, i - run);
		buf_add(b, u, 6);
		if (s[i] == 0xe2)
			i += 2;
		run = i + 1;
	}
	buf_add(b, json + run, i - run);
}

/*
 * RFC 4180 quoting; a leading = + - @ is prefixed with ' so that a
 * spreadsheet never runs a cell as a formula.
 */
void
esc_csv(struct buf *b, const char *s)
{
	int		 quote = strpbrk(s, ",\"\r\n") != NULL;
	const char	*q;

	if (quote)
		buf_add(b, "\"", 1);
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		buf_add(b, "'", 1);
	while ((q = strchr(s, '"')) != NULL) {
		buf_add(b, s, (size_t)(q - s) + 1);	/* through the quote */
		buf_add(b, "\"", 1);			/* ...doubled */
		s = q + 1;
	}
	buf_puts(b, s);
	if (quote)
		buf_add(b, "\"", 1);
}

void
esc_json_str(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	char			 u[7] = "\\u00";
	size_t			 i, run = 0;

	buf_add(b, "\"", 1);
	for (i = 0; p[i] != '\0'; i++) {
		const char *e = NULL;
		if (p[i] == '"')
			e = "\\\"";
		else if (p[i] == '\\')
			e = "\\\\";
		else if (p[i] == '\n')
			e = "\\n";
		else if (p[i] == '\r')
			e = "\\r";
		else if (p[i] == '\t')
			e = "\\t";
		else if (p[i] < 0x20) {
			u[4] = hex[p[i] >> 4];
			u[5] = hex[p[i] & 15];
			u[6] = '\0';
			e = u;
		} else if (p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			e = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
		else
			continue;
		buf_add(b, s + run, i - run);
		buf_puts(b, e);
		if (p[i] == 0xe2)
			i += 2;
		run = i + 1;
	}
	buf_add(b, s + run, i - run);
	buf_add(b, "\"", 1);
}
