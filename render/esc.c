/* esc.c — escaping for where a string lands: JSON in <script>, CSV. */
#include <stdlib.h>
#include <string.h>

#include "render.h"

/*
 * JSON text is already valid JSON; inside <script> it must also never
 * close the element or open a comment, and U+2028/U+2029 must not end a
 * line for older parsers.  Escaping < > & / as \u00XX does all that
 * while the JSON value stays the same.
 */
char *
esc_json_script(const char *json)
{
	size_t		 n = strlen(json), i, o = 0;
	char		*out = malloc(n * 6 + 1);
	const unsigned char *s = (const unsigned char *)json;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '<' || s[i] == '>' || s[i] == '&' || s[i] == '/') {
			static const char hex[] = "0123456789abcdef";
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[s[i] >> 4];
			out[o + 5] = hex[s[i] & 15];
			o += 6;
		} else if (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			memcpy(out + o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029",
			    6);
			o += 6;
			i += 2;
		} else
			out[o++] = (char)s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * RFC 4180 quoting; a leading = + - @ is prefixed with ' so that a
 * spreadsheet never runs a cell as a formula.
 */
char *
esc_csv(const char *s)
{
	size_t	 n = strlen(s), i, o = 0;
	char	*out = malloc(n * 2 + 4);
	int	 quote = strpbrk(s, ",\"\r\n") != NULL;

	if (out == NULL)
		return NULL;
	if (quote)
		out[o++] = '"';
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		out[o++] = '\'';
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			out[o++] = '"';
		out[o++] = s[i];
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}
