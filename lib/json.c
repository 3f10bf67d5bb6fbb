/* json.c — strict JSON (RFC 8259) at the edge, on top of cJSON. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "utf8.h"

#define BOM	"\xef\xbb\xbf"	/* UTF-8 byte order mark */

/* What the scanner takes next. */
enum want {
	W_VALUE,
	W_ITEM_OR_END,		/* right after [ */
	W_KEY,
	W_KEY_OR_END,		/* right after { */
	W_COLON,
	W_NEXT			/* , or a close; the end at depth 0 */
};

struct scan {
	const unsigned char	*s;
	size_t			 len, i;
	int			 depth;
	unsigned char		 obj[JSON_MAX_DEPTH];	/* level is an object */
	int			 recdepth;	/* depth of records' keys */
	size_t			 item;		/* of a top-level array */
	int			 nonempty;	/* that array has items */
	size_t			 key, keylen;	/* record-level key, in s */
	int			 haskey;
	struct json_err		*e;
};

static int fail(struct scan *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct scan *sc, size_t pos, const char *fmt, ...)
{
	struct json_err	*e = sc->e;
	va_list		 ap;
	size_t		 n = 0;

	e->pos = pos;
	e->item = sc->depth > 0 && !sc->obj[0] ? (long)sc->item : -1;
	if (sc->haskey)
		n = utf8_fit((const char *)sc->s + sc->key, sc->keylen,
		    sizeof(e->key) - 1);
	memcpy(e->key, sc->s + sc->key, n);
	e->key[n] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Skip the digits at t[*i]; returns how many there were. */
static size_t
digits(const unsigned char *t, size_t n, size_t *i)
{
	size_t	 from = *i;

	while (*i < n && is_digit(t[*i]))
		(*i)++;
	return *i - from;
}

/* RFC 8259: [ minus ] int [ frac ] [ exp ], int without leading zeros. */
static int
is_number(const unsigned char *t, size_t n)
{
	size_t	 i = 0;

	if (i < n && t[i] == '-')
		i++;
	if (i < n && t[i] == '0')
		i++;
	else if (i == n || t[i] < '1' || t[i] > '9' || digits(t, n, &i) == 0)
		return 0;
	if (i < n && t[i] == '.' && (i++, digits(t, n, &i) == 0))
		return 0;
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (digits(t, n, &i) == 0)
			return 0;
	}
	return i == n;
}

/*
 * A literal or a number at s[i].  The token is the whole run of the
 * characters either is made of, so that "01" or "1.5.5" is named whole
 * rather than as a number and a stray character after it.
 */
static int
token(struct scan *sc)
{
	const unsigned char	*t = sc->s + sc->i;
	size_t			 n = 0, left = sc->len - sc->i;

	while (n < left && (is_digit(t[n]) || (t[n] >= 'a' && t[n] <= 'z') ||
	    (t[n] >= 'A' && t[n] <= 'Z') || t[n] == '+' || t[n] == '-' ||
	    t[n] == '.'))
		n++;
	if (n == 0)
		return fail(sc, sc->i, t[0] >= 0x20 && t[0] < 0x7f ?
		    "expected a value, found '%c'" :
		    "expected a value, found byte 0x%02x", t[0]);
	if ((n == 4 && memcmp(t, "true", 4) == 0) ||
	    (n == 5 && memcmp(t, "false", 5) == 0) ||
	    (n == 4 && memcmp(t, "null", 4) == 0)) {
		sc->i += n;
		return 0;
	}
	if (!is_digit(t[0]) && t[0] != '-' && t[0] != '+' && t[0] != '.')
		return fail(sc, sc->i, "%.*s%s is not a JSON value",
		    n > 24 ? 24 : (int)n, (const char *)t, n > 24 ? "..." : "");
	if (!is_number(t, n))
		return fail(sc, sc->i, "%.*s%s is not a JSON number",
		    n > 24 ? 24 : (int)n, (const char *)t, n > 24 ? "..." : "");
	if (n > JSON_NUMBER_MAX)
		return fail(sc, sc->i, "number longer than %d characters",
		    JSON_NUMBER_MAX);
	sc->i += n;
	return 0;
}

/* The four hex digits at s[i] as *u; 0 when they are not there. */
static int
hex4(const unsigned char *s, size_t len, size_t i, unsigned *u)
{
	size_t	 k;
	int	 d;

	if (i > len || len - i < 4)
		return 0;
	for (*u = 0, k = i; k < i + 4; k++) {
		if (is_digit(s[k]))
			d = s[k] - '0';
		else if ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f')
			d = (s[k] | 0x20) - 'a' + 10;
		else
			return 0;
		*u = *u << 4 | (unsigned)d;
	}
	return 1;
}

/* The string at s[i] (a quote); on success i is past its closing quote. */
static int
string(struct scan *sc)
{
	const unsigned char	*s = sc->s;
	size_t			 from = ++sc->i, i = from, ok;
	unsigned		 u, lo;

	for (;;) {
		if (i >= sc->len)
			return fail(sc, i, "unterminated string");
		if (s[i] == '"')
			break;
		if (s[i] < 0x20)
			return fail(sc, i, "raw control character 0x%02x in a "
			    "string", s[i]);
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (i + 1 < sc->len &&
		    memchr("\"\\/bfnrt", s[i + 1], 8) != NULL) {
			i += 2;
			continue;
		}
		if (i + 1 >= sc->len || s[i + 1] != 'u' ||
		    !hex4(s, sc->len, i + 2, &u))
			return fail(sc, i, "invalid escape in a string");
		if (u == 0)
			return fail(sc, i, "\\u0000 in a string");
		if (u >= 0xd800 && u <= 0xdbff && sc->len - i >= 12 &&
		    s[i + 6] == '\\' && s[i + 7] == 'u' &&
		    hex4(s, sc->len, i + 8, &lo) &&
		    lo >= 0xdc00 && lo <= 0xdfff)
			i += 6;		/* a pair: one character */
		else if (u >= 0xd800 && u <= 0xdfff)
			return fail(sc, i, "unpaired surrogate escape \\u%.4s",
			    (const char *)s + i + 2);
		i += 6;
	}
	ok = utf8_prefix((const char *)s + from, i - from, SIZE_MAX);
	if (ok != i - from)
		return fail(sc, from + ok, "invalid UTF-8 in a string");
	sc->i = i + 1;
	return 0;
}

/* A value has ended: a record member's value ends its key's reign. */
static enum want
value_done(struct scan *sc)
{
	if (sc->depth == sc->recdepth)
		sc->haskey = 0;
	return W_NEXT;
}

/* The value at s[i]; *want is what comes after it. */
static int
value(struct scan *sc, enum want *want)
{
	unsigned char	 c = sc->s[sc->i];

	if (sc->depth == 1 && !sc->obj[0])
		sc->nonempty = 1;
	if (c == '{' || c == '[') {
		if (sc->depth == JSON_MAX_DEPTH)
			return fail(sc, sc->i, "nested deeper than %d levels",
			    JSON_MAX_DEPTH);
		if (sc->depth == 0)
			sc->recdepth = c == '{' ? 1 : 2;
		sc->obj[sc->depth++] = c == '{';
		sc->i++;
		*want = c == '{' ? W_KEY_OR_END : W_ITEM_OR_END;
		return 0;
	}
	if ((c == '"' ? string(sc) : token(sc)) != 0)
		return -1;
	*want = value_done(sc);
	return 0;
}

static int
key(struct scan *sc)
{
	size_t	 from = sc->i;

	if (sc->s[sc->i] != '"')
		return fail(sc, sc->i, "expected a key (a string)");
	if (sc->depth == sc->recdepth)
		sc->haskey = 0;
	if (string(sc) != 0)
		return -1;
	if (sc->depth == sc->recdepth) {
		sc->key = from + 1;
		sc->keylen = sc->i - from - 2;
		sc->haskey = 1;
	}
	return 0;
}

int
json_check(const char *buf, size_t len, size_t *nitems, struct json_err *e)
{
	struct scan	 sc;
	enum want	 want = W_VALUE;
	unsigned char	 c;
	int		 obj;

	memset(&sc, 0, sizeof(sc));
	sc.s = (const unsigned char *)buf;
	sc.len = len;
	sc.e = e;
	if (len >= 3 && memcmp(buf, BOM, 3) == 0)
		sc.i = 3;
	for (;;) {
		while (sc.i < len && (sc.s[sc.i] == ' ' || sc.s[sc.i] == '\t' ||
		    sc.s[sc.i] == '\n' || sc.s[sc.i] == '\r'))
			sc.i++;
		if (sc.i == len) {
			if (want == W_NEXT && sc.depth == 0)
				break;
			return fail(&sc, len, "unexpected end of text");
		}
		c = sc.s[sc.i];
		obj = sc.depth > 0 && sc.obj[sc.depth - 1];
		switch (want) {
		case W_ITEM_OR_END:
		case W_KEY_OR_END:
			if (c == (want == W_KEY_OR_END ? '}' : ']')) {
				sc.i++;
				sc.depth--;
				want = value_done(&sc);
				break;
			}
			if (want == W_ITEM_OR_END) {
				if (value(&sc, &want) != 0)
					return -1;
				break;
			}
			/* FALLTHROUGH */
		case W_KEY:
			if (key(&sc) != 0)
				return -1;
			want = W_COLON;
			break;
		case W_VALUE:
			if (value(&sc, &want) != 0)
				return -1;
			break;
		case W_COLON:
			if (c != ':')
				return fail(&sc, sc.i,
				    "expected ':' after a key");
			sc.i++;
			want = W_VALUE;
			break;
		case W_NEXT:
			if (sc.depth == 0)
				return fail(&sc, sc.i,
				    "text after the JSON value");
			if (c == ',') {
				sc.i++;
				want = obj ? W_KEY : W_VALUE;
				if (sc.depth == 1 && !obj)
					sc.item++;
			} else if (c == (obj ? '}' : ']')) {
				sc.i++;
				sc.depth--;
				want = value_done(&sc);
			} else
				return fail(&sc, sc.i, obj ?
				    "expected ',' or '}'" :
				    "expected ',' or ']'");
			break;
		}
	}
	*nitems = sc.recdepth != 2 ? 1 : sc.nonempty ? sc.item + 1 : 0;
	return 0;
}

cJSON *
json_tree(const char *buf, size_t len)
{
	/* cJSON skips a byte order mark only when over one byte follows. */
	if (len >= 3 && memcmp(buf, BOM, 3) == 0) {
		buf += 3;
		len -= 3;
	}
	return cJSON_ParseWithLength(buf, len);
}

cJSON *
json_parse(const char *buf, size_t len, size_t *errpos)
{
	struct json_err	 e;
	cJSON		*v;
	size_t		 n;

	if (json_check(buf, len, &n, &e) != 0) {
		if (errpos != NULL)
			*errpos = e.pos;
		return NULL;
	}
	if ((v = json_tree(buf, len)) == NULL && errpos != NULL)
		*errpos = len;
	return v;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Find a key that occurs twice among the members of o: sorted, equal keys
 * are neighbours.  *keys (room for *cap pointers) grows as needed.
 * Returns 0, 1 with *key set, or -1 when out of memory.
 */
static int
dup_member(const cJSON *o, const char ***keys, size_t *cap, const char **key)
{
	const cJSON	*m;
	size_t		 n = 0, i;

	for (m = o->child; m != NULL; m = m->next)
		n++;
	if (n < 2)
		return 0;
	if (grow(keys, cap, n, sizeof(**keys)))
		return -1;
	for (n = 0, m = o->child; m != NULL; m = m->next)
		(*keys)[n++] = m->string != NULL ? m->string : "";
	qsort(*keys, n, sizeof(**keys), by_string);
	for (i = 1; i < n; i++)
		if (strcmp((*keys)[i - 1], (*keys)[i]) == 0) {
			*key = (*keys)[i];
			return 1;
		}
	return 0;
}

int
json_dup_key(const cJSON *v, const char **key, const char **under)
{
	const cJSON	*up[CJSON_NESTING_LIMIT + 1];	/* containers above n */
	const cJSON	*n = v;
	const char	**keys = NULL;
	size_t		 depth = 0, cap = 0;
	int		 rc;

	for (;;) {
		if (cJSON_IsObject(n) &&
		    (rc = dup_member(n, &keys, &cap, key)) != 0) {
			if (rc > 0)
				*under = depth == 0 ? *key :
				    (depth == 1 ? n : up[1])->string;
			break;
		}
		if ((cJSON_IsObject(n) || cJSON_IsArray(n)) &&
		    n->child != NULL) {
			if (depth == CJSON_NESTING_LIMIT + 1) {
				rc = -1;
				break;
			}
			up[depth++] = n;
			n = n->child;
			continue;
		}
		while (depth > 0 && n->next == NULL)
			n = up[--depth];
		if (depth == 0) {
			rc = 0;
			break;
		}
		n = n->next;
	}
	free(keys);
	return rc;
}
