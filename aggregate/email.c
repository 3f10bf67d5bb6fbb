/* email.c — notifications by e-mail: an RFC 5322 message over SMTP (libcurl). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agg.h"
#include "buf.h"
#include "utf8.h"

#define EMAIL_TIMEOUT_MS	20000L
#define B64_LINE		76	/* characters of a base64 body line */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n bytes at s in base64, with a CRLF after every line chars when > 0. */
static void
base64(struct buf *b, const unsigned char *s, size_t n, int line)
{
	char	 q[4];
	size_t	 i, col = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 |
		    (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
		    (i + 2 < n ? s[i + 2] : 0);
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		buf_add(b, q, 4);
		if (line > 0 && (col += 4) >= (size_t)line && i + 3 < n) {
			buf_puts(b, "\r\n");
			col = 0;
		}
	}
}

/*
 * A header value: as it is when it is plain ASCII, else RFC 2047 encoded
 * words ("=?UTF-8?B?…?="), each of whole characters and short enough for
 * its line, folded with CRLF SP.
 */
static void
header_text(struct buf *b, const char *s)
{
	size_t	 len = strlen(s), off = 0, n;
	int	 ascii = 1;

	for (n = 0; n < len; n++)
		if ((unsigned char)s[n] >= 0x80 || s[n] == '\r' ||
		    s[n] == '\n')
			ascii = 0;
	if (ascii && len <= 900) {
		buf_puts(b, s);
		return;
	}
	while (off < len) {
		/*
		 * 39 bytes make 52 base64 characters: a word of 64, and a
		 * line under 78 even after "Subject: ".
		 */
		n = utf8_fit(s + off, len - off, 39);
		if (n == 0)
			n = 1;	/* not UTF-8: still never one endless word */
		buf_puts(b, off ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
		base64(b, (const unsigned char *)s + off, n, 0);
		buf_puts(b, "?=");
		off += n;
	}
}

/* The message, headers and a base64 UTF-8 body; CRLF line ends. */
static void
message(struct buf *b, const struct conf_notify *n, const char *subject,
    const char *body, int64_t now_ms)
{
	time_t		 t = (time_t)(now_ms / 1000);
	struct tm	 tm;
	char		 date[64];
	const char	*domain = strchr(n->from, '@') + 1;
	char	       **to;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(b, "Date: %s\r\nFrom: apimon <%s>\r\nTo: ", date, n->from);
	for (to = n->to; *to != NULL; to++)
		buf_printf(b, "%s<%s>", to == n->to ? "" : ",\r\n ", *to);
	buf_puts(b, "\r\nSubject: ");
	header_text(b, subject);
	/* Unique enough: the time to the millisecond and this process. */
	buf_printf(b, "\r\nMessage-ID: <%lld.%ld.apimon@%s>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n", (long long)now_ms,
	    (long)getpid(), domain);
	base64(b, (const unsigned char *)body, strlen(body), B64_LINE);
	buf_puts(b, "\r\n");
}

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
upload(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload	*u = arg;
	size_t		 n = size * nmemb < u->left ? size * nmemb : u->left;

	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

int
email_send(const struct conf_notify *n, const char *subject,
    const char *body, int64_t now_ms, char *err, size_t errlen)
{
	struct buf		 msg = { 0 }, addr = { 0 };
	struct curl_slist	*rcpt = NULL, *r;
	struct upload		 u;
	CURL			*c = NULL;
	CURLcode		 rc;
	char		       **to;
	int			 ret = -1;

	message(&msg, n, subject, body, now_ms);
	buf_printf(&addr, "<%s>", n->from);
	for (to = n->to; *to != NULL && !msg.failed; to++) {
		char one[300];
		snprintf(one, sizeof(one), "<%s>", *to);
		if ((r = curl_slist_append(rcpt, one)) == NULL)
			break;
		rcpt = r;
	}
	if (msg.failed || addr.failed || *to != NULL ||
	    (c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	u.p = msg.p;
	u.left = msg.len;
	curl_easy_setopt(c, CURLOPT_URL, n->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr.p);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, EMAIL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* smtp:// with starttls: refuse to send anything in the clear. */
	if (n->starttls && strncmp(n->url, "smtp://", 7) == 0)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (n->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, n->ca_file);
	if (n->username != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, n->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, n->password);
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		/* curl's words name the step, never the password. */
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	buf_free(&msg);
	buf_free(&addr);
	return ret;
}
