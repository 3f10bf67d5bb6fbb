/* ch.c — ClickHouse's HTTP interface through libcurl: queries and inserts. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <zlib.h>

#include "buf.h"
#include "ch.h"
#include "utf8.h"

#define ERR_BODY_MAX	(64 << 10)	/* of an error reply, kept to quote */
#define MSG_MAX		600		/* bytes of it in the message */
#define ZCHUNK		(64 << 10)	/* rows taken from fill() at a time */
#define CONNECT_S	10
/*
 * With wait_end_of_query=1 nothing comes back until the query is done:
 * a reply that has not begun after this long is given up on.
 */
#define STALL_S		1800

struct ch {
	CURL	*c;
	char	*url;
	char	*user;		/* NULL: no auth */
	char	*password;
	char	 curlerr[CURL_ERROR_SIZE];
	char	 err[1024];
};

/* One request's reply as it arrives. */
struct reply {
	struct ch	*h;
	long		 status;	/* 0 until the headers are in */
	struct buf	 body;		/* an error reply, to quote */
	struct buf	 line;		/* the row being received */
	size_t		 nf;
	int		 (*fn)(char **, void *);
	void		*arg;
	char	       **f;		/* nf fields */
	int		 aborted;	/* fn said stop */
	int		 bad;		/* a row was not nf fields */
	int		 oom;
};

/* The gzip stream of an insert body, pulled by libcurl. */
struct zsrc {
	z_stream	 z;
	size_t		 (*fill)(char *, size_t, void *);
	void		*arg;
	char		*in;
	int		 eof, done, aborted;
};

struct ch *
ch_new(const char *url, const struct conf_clickhouse *c)
{
	struct ch	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->c = curl_easy_init()) == NULL ||
	    (h->url = strdup(url)) == NULL)
		goto fail;
	if (c->user[0] != '\0' || c->password[0] != '\0') {
		/* ClickHouse calls the user with no name "default". */
		if ((h->user = strdup(c->user[0] != '\0' ? c->user :
		    "default")) == NULL ||
		    (h->password = strdup(c->password)) == NULL)
			goto fail;
	}
	return h;
fail:
	ch_free(h);
	return NULL;
}

void
ch_free(struct ch *h)
{
	if (h == NULL)
		return;
	if (h->c != NULL)
		curl_easy_cleanup(h->c);
	free(h->url);
	free(h->user);
	if (h->password != NULL)
		memset(h->password, 0, strlen(h->password));
	free(h->password);
	free(h);
}

const char *
ch_error(const struct ch *h)
{
	return h->err;
}

const char *
ch_url(const struct ch *h)
{
	return h->url;
}

/*
 * Set h->err to "URL: " and the text, on one line: control characters
 * become spaces, runs of spaces one, the password "***", and the text is
 * cut to MSG_MAX bytes on a character boundary.
 */
static void	 set_err(struct ch *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_err(struct ch *h, const char *fmt, ...)
{
	char		 raw[MSG_MAX * 2], out[MSG_MAX * 2], *q = out, c;
	const char	*p;
	size_t		 n, pl = h->password ? strlen(h->password) : 0;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Copy: the password becomes ***, control characters spaces, runs
	 * of spaces one; out has room for all of raw. */
	for (p = raw; *p != '\0' && q + 4 < out + sizeof(out); ) {
		if (pl > 0 && strncmp(p, h->password, pl) == 0) {
			memcpy(q, "***", 3);
			q += 3;
			p += pl;
			continue;
		}
		c = (unsigned char)*p < ' ' ? ' ' : *p;
		p++;
		if (c == ' ' && (q == out || q[-1] == ' '))
			continue;
		*q++ = c;
	}
	while (q > out && q[-1] == ' ')
		q--;
	*q = '\0';
	n = strlen(out);
	n = utf8_fit(out, utf8_prefix(out, n, SIZE_MAX), MSG_MAX);
	snprintf(h->err, sizeof(h->err), "%s: %.*s", h->url, (int)n, out);
}

/* \N, and the escapes of TabSeparated, in place; NULL for \N. */
static char *
unescape(char *s)
{
	char	*p, *q;

	if (strcmp(s, "\\N") == 0)
		return NULL;
	for (p = q = s; *p != '\0'; p++) {
		if (*p != '\\' || p[1] == '\0') {
			*q++ = *p;
			continue;
		}
		switch (*++p) {
		case 'b': *q++ = '\b'; break;
		case 'f': *q++ = '\f'; break;
		case 'n': *q++ = '\n'; break;
		case 'r': *q++ = '\r'; break;
		case 't': *q++ = '\t'; break;
		case '0': *q++ = '\0'; break;
		default: *q++ = *p; break;	/* \\ \' and the rest */
		}
	}
	*q = '\0';
	return s;
}

/* One whole row (without its newline) of len bytes at s; 0 or -1. */
static int
take_line(struct reply *r, char *s, size_t len)
{
	size_t	 k = 0;
	char	*p = s, *tab = NULL;

	s[len] = '\0';
	while (k < r->nf) {
		tab = strchr(p, '\t');
		if (tab != NULL)
			*tab = '\0';
		r->f[k++] = p;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (k != r->nf || tab != NULL) {
		/* Not a row of this query: the server's words, to quote. */
		for (p = s; p < s + len; p++)
			if (*p == '\0')
				*p = '\t';
		r->body.len = 0;
		buf_add(&r->body, s, len < ERR_BODY_MAX ? len : ERR_BODY_MAX);
		r->bad = 1;
		return -1;
	}
	for (k = 0; k < r->nf; k++)
		r->f[k] = unescape(r->f[k]);
	if (r->fn(r->f, r->arg) != 0) {
		r->aborted = 1;
		return -1;
	}
	return 0;
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply	*r = arg;
	size_t		 n = size * nmemb, start = 0, i;

	if (r->status == 0)
		curl_easy_getinfo(r->h->c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200 || r->fn == NULL) {
		/* An error to quote, or a reply nobody asked for rows of. */
		if (r->body.len < ERR_BODY_MAX)
			buf_add(&r->body, data, n < ERR_BODY_MAX ? n :
			    ERR_BODY_MAX);
		return n;
	}
	for (i = 0; i < n; i++) {
		if (data[i] != '\n')
			continue;
		/* A copy: the row is cut into fields in place. */
		buf_add(&r->line, data + start, i - start);
		if (r->line.failed || take_line(r, r->line.p, r->line.len))
			goto stop;
		r->line.len = 0;
		start = i + 1;
	}
	buf_add(&r->line, data + start, n - start);
	if (r->line.failed)
		goto stop;
	return n;
stop:
	r->oom = r->line.failed;
	return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
}

/* The options every request has; 0 or -1. */
static int
setup(struct ch *h, const char *url, struct reply *r)
{
	CURL	*c = h->c;

	curl_easy_reset(c);
	h->curlerr[0] = '\0';
	h->err[0] = '\0';
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK)
		return -1;
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curlerr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_S);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)STALL_S);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	if (h->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
	}
	return 0;
}

/* Turn a finished transfer into a code and, on error, a message. */
static enum ch_rc
finish(struct ch *h, CURLcode cc, struct reply *r)
{
	const char	*text;

	if (r->aborted)
		return CH_ABORT;
	if (r->oom || r->body.failed) {
		set_err(h, "out of memory");
		return CH_ERR;
	}
	if (r->bad) {
		set_err(h, "unexpected reply: %s", r->body.p);
		return CH_ERR;
	}
	if (cc != CURLE_OK) {
		set_err(h, "%s", h->curlerr[0] != '\0' ? h->curlerr :
		    curl_easy_strerror(cc));
		return CH_ERR;
	}
	curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200) {
		text = r->body.len > 0 ? r->body.p : "(no message)";
		set_err(h, "HTTP %ld: %s", r->status, text);
		return CH_ERR;
	}
	if (r->line.len > 0) {
		set_err(h, "reply cut short in the middle of a row");
		return CH_ERR;
	}
	/* Rows come to fn; anything else after a 200 is an error's text. */
	if (r->fn == NULL && r->body.len > 0 &&
	    strspn(r->body.p, " \t\r\n") != r->body.len) {
		set_err(h, "HTTP 200 with an error: %s", r->body.p);
		return CH_ERR;
	}
	return CH_OK;
}

/* h->url + "/?wait_end_of_query=1" [+ "&" extra] [+ "&" settings]. */
static char *
url_of(struct ch *h, const char *extra, const char *settings)
{
	struct buf	 b = { 0 };

	buf_printf(&b, "%s/?wait_end_of_query=1", h->url);
	if (extra != NULL)
		buf_printf(&b, "&%s", extra);
	if (settings != NULL && *settings != '\0')
		buf_printf(&b, "&%s", settings);
	return buf_take(&b);
}

static enum ch_rc
post_sql(struct ch *h, const char *sql, const char *settings, size_t nf,
    int (*fn)(char **, void *), void *arg)
{
	struct curl_slist	*hdr = NULL;
	struct reply		 r;
	enum ch_rc		 rc = CH_ERR;
	CURLcode		 cc;
	char			*url;

	memset(&r, 0, sizeof(r));
	r.h = h;
	r.nf = nf;
	r.fn = fn;
	r.arg = arg;
	if ((url = url_of(h, NULL, settings)) == NULL ||
	    (nf > 0 && (r.f = calloc(nf, sizeof(*r.f))) == NULL) ||
	    (hdr = curl_slist_append(NULL, "Expect:")) == NULL ||
	    setup(h, url, &r) != 0) {
		set_err(h, "out of memory");
		goto out;
	}
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, sql);
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDSIZE, (long)strlen(sql));
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, hdr);
	cc = curl_easy_perform(h->c);
	rc = finish(h, cc, &r);
out:
	curl_slist_free_all(hdr);
	buf_free(&r.body);
	buf_free(&r.line);
	free(r.f);
	free(url);
	return rc;
}

enum ch_rc
ch_query(struct ch *h, const char *sql, const char *settings, size_t nf,
    int (*fn)(char **, void *), void *arg)
{
	return post_sql(h, sql, settings, nf, fn, arg);
}

enum ch_rc
ch_exec(struct ch *h, const char *sql)
{
	return post_sql(h, sql, NULL, 0, NULL, NULL);
}

/* libcurl asks for body bytes: deflate what fill() gives into buf. */
static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct zsrc	*zs = arg;
	size_t		 n, room = size * nmemb;
	int		 zrc;

	if (zs->done)
		return 0;
	zs->z.next_out = (unsigned char *)buf;
	zs->z.avail_out = (unsigned)room;
	while (zs->z.avail_out > 0) {
		if (zs->z.avail_in == 0 && !zs->eof) {
			n = zs->fill(zs->in, ZCHUNK, zs->arg);
			if (n == (size_t)-1) {
				zs->aborted = 1;
				return CURL_READFUNC_ABORT;
			}
			zs->eof = n == 0;
			zs->z.next_in = (unsigned char *)zs->in;
			zs->z.avail_in = (unsigned)n;
		}
		zrc = deflate(&zs->z, zs->eof ? Z_FINISH : Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			zs->done = 1;
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			zs->aborted = 1;
			return CURL_READFUNC_ABORT;
		}
	}
	return room - zs->z.avail_out;
}

enum ch_rc
ch_insert(struct ch *h, const char *table, const char *settings,
    size_t (*fill)(char *, size_t, void *), void *arg)
{
	struct curl_slist	*hdr = NULL, *t;
	struct reply		 r;
	struct zsrc		 zs;
	enum ch_rc		 rc = CH_ERR;
	char			*q = NULL, *esc = NULL, *url = NULL;
	static const char *const headers[] = { "Expect:",
	    "Transfer-Encoding: chunked", "Content-Encoding: gzip",
	    "Content-Type: application/x-ndjson" };
	size_t			 i;

	memset(&r, 0, sizeof(r));
	memset(&zs, 0, sizeof(zs));
	r.h = h;
	zs.fill = fill;
	zs.arg = arg;
	if ((zs.in = malloc(ZCHUNK)) == NULL ||
	    deflateInit2(&zs.z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(zs.in);
		set_err(h, "out of memory");
		return CH_ERR;
	}
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		if ((t = curl_slist_append(hdr, headers[i])) == NULL)
			goto oom;
		hdr = t;
	}
	if (asprintf(&q, "INSERT INTO %s FORMAT JSONEachRow", table) == -1) {
		q = NULL;
		goto oom;
	}
	if ((esc = curl_easy_escape(h->c, q, 0)) == NULL)
		goto oom;
	free(q);
	q = NULL;
	if (asprintf(&q, "query=%s", esc) == -1) {
		q = NULL;
		goto oom;
	}
	if ((url = url_of(h, q, settings)) == NULL || setup(h, url, &r) != 0)
		goto oom;
	curl_easy_setopt(h->c, CURLOPT_POST, 1L);
	curl_easy_setopt(h->c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h->c, CURLOPT_READDATA, &zs);
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, hdr);
	rc = finish(h, curl_easy_perform(h->c), &r);
	if (zs.aborted && rc != CH_OK)
		rc = CH_ABORT;
	goto out;
oom:
	set_err(h, "out of memory");
out:
	deflateEnd(&zs.z);
	free(zs.in);
	curl_slist_free_all(hdr);
	curl_free(esc);
	buf_free(&r.body);
	buf_free(&r.line);
	free(q);
	free(url);
	return rc;
}

void
ch_sql_str(struct buf *b, const char *s)
{
	buf_add(b, "'", 1);
	for (; *s != '\0'; s++)
		switch (*s) {
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\'': buf_add(b, "\\'", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: buf_add(b, s, 1); break;
		}
	buf_add(b, "'", 1);
}

void
ch_json_str(struct buf *b, const char *s, size_t len)
{
	size_t		 i = 0, k, run;
	unsigned char	 c;

	buf_add(b, "\"", 1);
	while (i < len) {
		/* The longest run that goes as it is. */
		for (run = i; run < len; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
				break;
		}
		buf_add(b, s + i, run - i);
		if ((i = run) == len)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			/* A whole character, or U+FFFD for a stray byte. */
			if ((k = utf8_prefix(s + i, len - i, 1)) > 0) {
				buf_add(b, s + i, k);
				i += k;
			} else {
				buf_add(b, "\\ufffd", 6);
				i++;
			}
			continue;
		}
		if (c == '"' || c == '\\') {
			buf_add(b, "\\", 1);
			buf_add(b, s + i, 1);
		} else
			buf_printf(b, "\\u%04x", c);
		i++;
	}
	buf_add(b, "\"", 1);
}
