/* rec_text.c — a record straight from its JSON text, in one pass. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rec_int.h"
#include "utf8.h"

#define DEPTH		32	/* deeper nesting: the slow path */
#define KEYS		16	/* keys per nested object; more: the slow path */
#define SCRATCH		8192	/* unescaped strings and compact metadata */

/*
 * The fast path takes the text the way json_check() would, or gives up
 * (-1: the slow path answers); it never takes what json_check() refuses.
 */
struct tp {
	const unsigned char	*s;
	size_t			 len, i;
	int			 depth;
	char			*out;		/* scratch for strings */
	size_t			 used;
	int			 ws;		/* metadata: white space seen */
	int			 plain;		/* metadata: printed as written */
};

/* A key or string as it is written: [at, at + n) of tp->s. */
struct span {
	size_t	 at, n;
};

static int	value(struct tp *, struct rec_val *, int);

static void
skip_ws(struct tp *t)
{
	while (t->i < t->len && (t->s[t->i] == ' ' || t->s[t->i] == '\t' ||
	    t->s[t->i] == '\n' || t->s[t->i] == '\r')) {
		t->i++;
		t->ws = 1;
	}
}

static int
hex4(const unsigned char *s, unsigned *u)
{
	int	 k, d;

	for (*u = 0, k = 0; k < 4; k++) {
		if (s[k] >= '0' && s[k] <= '9')
			d = s[k] - '0';
		else if ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f')
			d = (s[k] | 0x20) - 'a' + 10;
		else
			return -1;
		*u = *u << 4 | (unsigned)d;
	}
	return 0;
}

/* Append the character u as UTF-8 to the scratch. */
static void
put_utf8(struct tp *t, unsigned u)
{
	char	*o = t->out + t->used;

	if (u < 0x80)
		o[0] = (char)u, t->used += 1;
	else if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		t->used += 2;
	} else if (u < 0x10000) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		t->used += 3;
	} else {
		o[0] = (char)(0xf0 | u >> 18);
		o[1] = (char)(0x80 | (u >> 12 & 0x3f));
		o[2] = (char)(0x80 | (u >> 6 & 0x3f));
		o[3] = (char)(0x80 | (u & 0x3f));
		t->used += 4;
	}
}

/*
 * The string at s[i] (a quote).  With v, its value goes there: a span of
 * the text when it has no escape, else unescaped into the scratch; its
 * written form in *sp.  Escapes that cJSON would print otherwise than
 * they are written (\/ and \u) clear plain.
 */
static int
string(struct tp *t, struct rec_val *v, struct span *sp)
{
	const unsigned char	*s = t->s;
	size_t			 from = ++t->i, i = from, k;
	unsigned		 u, lo;
	int			 esc = 0, high = 0;

	for (;; i++) {
		if (i >= t->len || s[i] < 0x20)
			return -1;
		if (s[i] == '"')
			break;
		if (s[i] >= 0x80)
			high = 1;
		else if (s[i] == '\\') {
			esc = 1;
			if (i + 1 >= t->len)
				return -1;
			if (memchr("\"\\bfnrt", s[i + 1], 7) != NULL) {
				i++;
				continue;
			}
			t->plain = 0;
			if (s[i + 1] == '/') {
				i++;
				continue;
			}
			if (s[i + 1] != 'u' || t->len - i < 6 ||
			    hex4(s + i + 2, &u) || u == 0)
				return -1;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (t->len - i < 12 || s[i + 6] != '\\' ||
				    s[i + 7] != 'u' || hex4(s + i + 8, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				i += 6;
			} else if (u >= 0xdc00 && u <= 0xdfff)
				return -1;
			i += 5;
		}
	}
	if (high && utf8_prefix((const char *)s + from, i - from, SIZE_MAX) !=
	    i - from)
		return -1;
	t->i = i + 1;
	if (sp != NULL) {
		sp->at = from;
		sp->n = i - from;
	}
	if (v == NULL)
		return 0;
	v->kind = V_STRING;
	if (!esc) {
		v->s = (const char *)s + from;
		v->len = i - from;
		return 0;
	}
	/* Unescaped it is never longer than written. */
	if (i - from >= SCRATCH - t->used)
		return -1;
	v->s = t->out + t->used;
	for (k = from; k < i; k++) {
		if (s[k] != '\\') {
			t->out[t->used++] = (char)s[k];
			continue;
		}
		switch (s[++k]) {
		case 'b': t->out[t->used++] = '\b'; break;
		case 'f': t->out[t->used++] = '\f'; break;
		case 'n': t->out[t->used++] = '\n'; break;
		case 'r': t->out[t->used++] = '\r'; break;
		case 't': t->out[t->used++] = '\t'; break;
		case 'u':
			hex4(s + k + 1, &u);
			k += 4;
			if (u >= 0xd800 && u <= 0xdbff) {
				hex4(s + k + 3, &lo);
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				k += 6;
			}
			put_utf8(t, u);
			break;
		default: t->out[t->used++] = (char)s[k]; break;
		}
	}
	v->len = (size_t)(t->out + t->used - v->s);
	t->out[t->used++] = '\0';
	v->nul = 1;
	return 0;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* 10^k for k <= 22: exact in a double. */
static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22 };

/*
 * The literal or number at s[i], whole as json_check() takes it (the run
 * of the characters either is made of).  A number's value goes to v: the
 * one strtod() gives, which cJSON stores; a mantissa of at most 15 digits
 * scaled by an exact power of ten is that double already.
 */
static int
token(struct tp *t, struct rec_val *v)
{
	const unsigned char	*p = t->s + t->i;
	size_t			 n = 0, left = t->len - t->i, k = 0;
	uint64_t		 m = 0;
	int			 digits = 0, scale = 0, neg = 0, e = 0, eneg = 0;
	char			 buf[JSON_NUMBER_MAX + 1];

	while (n < left && (is_digit(p[n]) || (p[n] >= 'a' && p[n] <= 'z') ||
	    (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '+' || p[n] == '-' ||
	    p[n] == '.'))
		n++;
	t->i += n;
	if ((n == 4 && memcmp(p, "true", 4) == 0) ||
	    (n == 5 && memcmp(p, "false", 5) == 0)) {
		if (v != NULL)
			v->kind = V_OTHER;
		return 0;
	}
	if (n == 4 && memcmp(p, "null", 4) == 0)
		return 0;
	if (n == 0 || n > JSON_NUMBER_MAX)
		return -1;
	/* RFC 8259: [ minus ] int [ frac ] [ exp ], no leading zeros. */
	if (p[k] == '-')
		neg = 1, k++;
	if (k < n && p[k] == '0')
		k++;
	else if (k < n && p[k] >= '1' && p[k] <= '9')
		for (; k < n && is_digit(p[k]); k++, digits++)
			m = m * 10 + (uint64_t)(p[k] - '0');
	else
		return -1;
	if (k < n && p[k] == '.') {
		if (++k == n || !is_digit(p[k]))
			return -1;
		/* cJSON prints 1.50 as 1.5: a fraction ending in 0 is not
		 * plain; so is one that %g would show with an exponent. */
		if (p[n - 1] == '0' || (m == 0 && n - k > 3 &&
		    memcmp(p + k, "0000", 4) == 0))
			t->plain = 0;
		for (; k < n && is_digit(p[k]); k++, digits++, scale++)
			m = m * 10 + (uint64_t)(p[k] - '0');
	}
	if (k < n && (p[k] == 'e' || p[k] == 'E')) {
		t->plain = 0;
		if (++k < n && (p[k] == '+' || p[k] == '-'))
			eneg = p[k++] == '-';
		if (k == n || !is_digit(p[k]))
			return -1;
		for (; k < n && is_digit(p[k]); k++)
			e = e < 10000 ? e * 10 + (p[k] - '0') : e;
	}
	if (k != n)
		return -1;
	/* cJSON prints -0 as 0, and 16 digits or more otherwise. */
	if (digits > 15 || (neg && m == 0))
		t->plain = 0;
	if (v == NULL)
		return 0;
	v->kind = V_NUMBER;
	e = (eneg ? -e : e) - scale;
	if (digits <= 15 && e >= -22 && e <= 22) {
		v->num = e < 0 ? (double)m / pow10[-e] : (double)m * pow10[e];
		if (neg)
			v->num = -v->num;
		return 0;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	v->num = strtod(buf, NULL);
	return 0;
}

/* Whether the n bytes at a were a key of keys[0..nk) already. */
static int
seen(const unsigned char *s, const struct span *keys, int nk, struct span k)
{
	int	 j;

	for (j = 0; j < nk; j++)
		if (keys[j].n == k.n && memcmp(s + keys[j].at, s + k.at,
		    k.n) == 0)
			return 1;
	return 0;
}

/* A key: written without escapes, so that it compares as written. */
static int
key(struct tp *t, struct span *k)
{
	if (t->i >= t->len || t->s[t->i] != '"' || string(t, NULL, k) != 0 ||
	    memchr(t->s + k->at, '\\', k->n) != NULL)
		return -1;
	skip_ws(t);
	if (t->i >= t->len || t->s[t->i] != ':')
		return -1;
	t->i++;
	skip_ws(t);
	return t->i < t->len ? 0 : -1;
}

/* After a member or an item: 1 at the close c, 0 at a comma, -1 else. */
static int
next(struct tp *t, unsigned char c)
{
	skip_ws(t);
	if (t->i >= t->len)
		return -1;
	if (t->s[t->i] == c) {
		t->i++;
		return 1;
	}
	if (t->s[t->i] != ',')
		return -1;
	t->i++;
	skip_ws(t);
	return t->i < t->len ? 0 : -1;
}

/* An object or array nested in a value, checked for keys given twice. */
static int
container(struct tp *t)
{
	struct span	 keys[KEYS];
	unsigned char	 close = t->s[t->i] == '{' ? '}' : ']';
	int		 nk = 0, rc;

	if (++t->depth > DEPTH)
		return -1;
	t->i++;
	skip_ws(t);
	if (t->i < t->len && t->s[t->i] == close) {
		t->i++;
		t->depth--;
		return 0;
	}
	do {
		if (close == '}') {
			if (nk == KEYS || key(t, &keys[nk]) ||
			    seen(t->s, keys, nk, keys[nk]))
				return -1;
			nk++;
		}
		if (value(t, NULL, 0) != 0)
			return -1;
	} while ((rc = next(t, close)) == 0);
	t->depth--;
	return rc > 0 ? 0 : -1;
}

static int
value(struct tp *t, struct rec_val *v, int meta)
{
	unsigned char	 c;

	if (t->i >= t->len)
		return -1;
	c = t->s[t->i];
	if (c == '"')
		return string(t, v, NULL);
	if (c != '{' && c != '[')
		return token(t, v);
	if (v != NULL)
		v->kind = meta && c == '{' ? V_OBJECT : V_OTHER;
	return container(t);
}

/*
 * The bytes of s[from, to) but the white space between tokens, into out
 * unless it is NULL; how many.
 */
static size_t
strip_ws(const unsigned char *s, size_t from, size_t to, char *out)
{
	size_t	 i, n = 0;
	int	 in = 0;

	for (i = from; i < to; i++) {
		if (in) {
			if (s[i] == '\\') {	/* it and the byte it escapes */
				if (out != NULL)
					out[n] = (char)s[i];
				n++;
				i++;
			} else if (s[i] == '"')
				in = 0;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r')
			continue;
		else if (s[i] == '"')
			in = 1;
		if (out != NULL)
			out[n] = (char)s[i];
		n++;
	}
	return n;
}

/*
 * Metadata as cJSON_PrintUnformatted() prints it: its text without the
 * white space between tokens, once every token is printed as written.
 */
static int
compact(struct tp *t, size_t from, struct rec_val *v)
{
	if (!t->plain)
		return -1;
	if (!t->ws) {
		v->s = (const char *)t->s + from;
		v->len = t->i - from;
		return 0;
	}
	v->len = strip_ws(t->s, from, t->i, NULL);
	if (v->len > REC_METADATA_MAX) {
		v->s = "";	/* too long: the checks say so */
		return 0;
	}
	if (v->len >= SCRATCH - t->used)
		return -1;
	v->s = t->out + t->used;
	t->used += strip_ws(t->s, from, t->i, t->out + t->used);
	return 0;
}

enum rec_text
rec_parse_text(const char *buf, size_t len, size_t *end,
    const struct conf *c, int64_t now_ms, struct rec *r, struct rec_err *e)
{
	char		 out[SCRATCH];
	struct tp	 t = { (const unsigned char *)buf, len, 0, 1, out, 0, 0,
	    1 };
	struct rec_val	 f[F__MAX], *v;
	struct span	 k, other[KEYS];
	size_t		 from;
	unsigned	 have = 0;
	int		 fi, no = 0, rc;

	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(f));
	if (len == 0 || buf[0] != '{')
		return REC_TEXT_SLOW;
	t.i = 1;
	skip_ws(&t);
	if (t.i < len && buf[t.i] == '}') {
		t.i++;
		rc = 1;
	} else
		do {
			if (key(&t, &k) != 0)
				return REC_TEXT_SLOW;
			if ((fi = rec_field_of(buf + k.at, k.n)) < 0) {
				/* Unknown: only checked for a twin. */
				if (no == KEYS || seen(t.s, other, no, k))
					return REC_TEXT_SLOW;
				other[no++] = k;
				v = NULL;
			} else {
				if (have & 1u << fi)
					return REC_TEXT_SLOW;
				have |= 1u << fi;
				v = &f[fi];
			}
			from = t.i;
			t.ws = 0;
			t.plain = 1;
			if (value(&t, v, fi == F_METADATA) != 0 ||
			    (fi == F_METADATA && v->kind == V_OBJECT &&
			    compact(&t, from, v) != 0))
				return REC_TEXT_SLOW;
		} while ((rc = next(&t, '}')) == 0);
	/* The checks copy a time written as text to give it a NUL. */
	if (rc < 0 || (f[F_TIMESTAMP].kind == V_STRING &&
	    !f[F_TIMESTAMP].nul && f[F_TIMESTAMP].len >= REC_TS_TEXT_MAX))
		return REC_TEXT_SLOW;
	*end = t.i;
	return rec_check(f, c, now_ms, r, e) == 0 ? REC_TEXT_OK : REC_TEXT_BAD;
}
