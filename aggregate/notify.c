/* notify.c — deliver queued events: command, webhook, chat services, e-mail. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "agg.h"
#include "buf.h"
#include "fmt.h"
#include "json.h"
#include "log.h"
#include "utf8.h"

#define NOTIFY_TIMEOUT_MS	10000
#define BACKOFF_MIN_MS		60000LL		/* one cron interval */
#define LEASE_MS		120000LL	/* longer than any one send */
#define BACKOFF_MAX_MS		3600000LL

static int64_t
mono_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run argv with the payload on stdin; delivered when it exits 0 in time. */
static int
send_command(const struct conf_notify *n, const char *payload, char *err,
    size_t errlen)
{
	int	 fds[2], status = 0;
	pid_t	 pid, w = 0;
	size_t	 len = strlen(payload), off = 0;
	ssize_t	 k;
	int64_t	 deadline = mono_ms() + NOTIFY_TIMEOUT_MS;

	if (pipe(fds) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execvp(n->argv[0], n->argv);
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	while (off < len && (k = write(fds[1], payload + off, len - off)) > 0)
		off += (size_t)k;
	close(fds[1]);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    mono_ms() < deadline)
		poll(NULL, 0, 20);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "%s: timed out", n->argv[0]);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s: exit status %d", n->argv[0],
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
		    WTERMSIG(status));
		return -1;
	}
	return 0;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
post_json(const char *url, const char *body, char *err, size_t errlen)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	CURLcode		 rc;
	long			 status = 0;

	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl: cannot initialise");
		return -1;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "HTTP status %ld", status);
		return -1;
	}
	return 0;
}

/* How each chat service shows text that came from a request. */
enum chat { CHAT_SLACK, CHAT_DISCORD, CHAT_TELEGRAM, CHAT_PLAIN };

#define CHAT_MAX_CHARS	1900	/* Discord takes 2,000; the others more */
#define GROUP_MAX	500	/* events one message carries; more wait */
#define EMAIL_LINES	100	/* events an e-mail lists */
#define SUBJECT_CHARS	120	/* of the message in a subject */

/*
 * Text that came from a request (a model, a source, an alert message
 * naming them) goes in a code span, where no service makes a mention, a
 * link or markup of it, and escaped for the service: Slack's & < >,
 * Telegram's HTML.  A backtick would end the span in Slack and Discord,
 * so it becomes a look-alike.  Plain text (e-mail) takes it as it is.
 */
static void
chat_code(struct buf *b, enum chat c, const char *s)
{
	if (c == CHAT_PLAIN) {
		buf_puts(b, s);
		return;
	}
	buf_puts(b, c == CHAT_TELEGRAM ? "<code>" : "`");
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			buf_puts(b, c == CHAT_DISCORD ? "&" : "&amp;");
			break;
		case '<':
			buf_puts(b, c == CHAT_DISCORD ? "<" : "&lt;");
			break;
		case '>':
			buf_puts(b, c == CHAT_DISCORD ? ">" : "&gt;");
			break;
		case '`':
			buf_puts(b, c == CHAT_TELEGRAM ? "`" : "\u02cb");
			break;
		default:
			buf_add(b, s, 1);
		}
	buf_puts(b, c == CHAT_TELEGRAM ? "</code>" : "`");
}

/* Text of the config (a link): & < > escaped where they are markup. */
static void
chat_escape(struct buf *b, enum chat c, const char *s)
{
	if (c == CHAT_PLAIN || c == CHAT_DISCORD) {
		buf_puts(b, s);
		return;
	}
	for (; *s != '\0'; s++)
		buf_puts(b, *s == '&' ? "&amp;" : *s == '<' ? "&lt;" :
		    *s == '>' ? "&gt;" : (char[2]){ *s, '\0' });
}

static const char *
str(const cJSON *o, const char *key)
{
	const char	*s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s ? s : "";
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The catalogue's tag of an event: [CRITICAL], [RESOLVED], ... */
static const char *
tag(const struct msg *m, const cJSON *p)
{
	const char	*ev = str(p, "event");
	int		 crit = strcmp(str(p, "severity"), "critical") == 0;

	return msg_get(m, "msg", strcmp(ev, "resolve") == 0 ? "tag_resolved" :
	    strcmp(ev, "repeat") == 0 ? "tag_repeat" : crit ? "tag_critical" :
	    "tag_warning");
}

/*
 * The line a person reads of one event, in the catalogue m's words
 * (msg.chat_line): "[CRITICAL] apimon: MESSAGE (SCOPE, DAY)", into b;
 * the message is cut on a character boundary past max characters.
 */
static void
event_line(const struct msg *m, const cJSON *p, enum chat c, size_t max,
    struct buf *b)
{
	const char	*msg = str(p, "message");
	struct buf	 text = { 0 }, where = { 0 }, shown = { 0 };
	char		*cut = NULL;

	if ((size_t)utf8_len(msg, strlen(msg)) > max &&
	    (cut = strndup(msg, utf8_prefix(msg, strlen(msg), max))) != NULL)
		msg = cut;
	chat_code(&text, c, msg);
	if (cut != NULL)
		buf_puts(&text, "\xe2\x80\xa6");	/* U+2026 */
	alert_scope_text(m, str(p, "scope"), &shown);
	chat_code(&where, c, shown.failed ? "" : shown.p);
	if (text.failed || where.failed || shown.failed)
		b->failed = 1;
	else
		msg_fmt(m, b, "msg", "chat_line", "tag", tag(m, p), "message",
		    text.p, "scope", where.p, "day", str(p, "day"), NULL);
	buf_free(&text);
	buf_free(&where);
	buf_free(&shown);
	free(cut);
}

/* The events of one message, in the order a person should read them. */
struct event {
	cJSON	*p;
	int	 rank;		/* firing critical, firing warning, resolved */
	size_t	 order;		/* as queued */
};

static int
by_rank(const void *x, const void *y)
{
	const struct event	*a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int
rank(const cJSON *p)
{
	if (strcmp(str(p, "event"), "resolve") == 0)
		return 2;
	return strcmp(str(p, "severity"), "critical") == 0 ? 0 : 1;
}

/* "… and 12 more" after the lines shown of n. */
static void
more(const struct msg *m, struct buf *b, size_t shown, size_t n)
{
	char	 k[FMT_LEN];

	if (shown >= n)
		return;
	buf_puts(b, "\n");
	msg_fmt(m, b, "msg", "chat_more", "n", fmt_int((int64_t)(n - shown), k,
	    sizeof(k)), NULL);
}

/* Chat text of the events: as many lines as the service takes. */
static void
chat_events(const struct msg *m, const struct event *e, size_t n,
    enum chat c, struct buf *b)
{
	struct buf	 line = { 0 };
	size_t		 i, chars = 0, k;

	for (i = 0; i < n; i++) {
		event_line(m, e[i].p, c, CHAT_MAX_CHARS / 2, &line);
		if (line.failed)
			break;
		k = (size_t)utf8_len(line.p, line.len) + 1;
		/* Room for the "and N more" line after it. */
		if (i > 0 && chars + k > CHAT_MAX_CHARS - 40)
			break;
		buf_puts(b, i ? "\n" : "");
		buf_add(b, line.p, line.len);
		chars += k;
		line.len = 0;
	}
	more(m, b, i, n);
	buf_free(&line);
}

/* A number of the digest as the locale writes it. */
static const char *
dnum(const cJSON *o, const char *key, int money, char *buf, size_t size)
{
	double	 v = num(o, key);

	return money ? fmt_money((int64_t)(v * 1e9 + (v < 0 ? -0.5 : 0.5)), 2,
	    buf, size) : fmt_int((int64_t)v, buf, size);
}

/* The digest as lines of text; what came from requests in code spans. */
static void
digest_text(const struct msg *m, const cJSON *p, enum chat c, struct buf *b)
{
	const cJSON	*mo = cJSON_GetObjectItem(p, "month");
	const cJSON	*t = cJSON_GetObjectItem(p, "top_model");
	const cJSON	*al = cJSON_GetObjectItem(p, "alerts");
	const cJSON	*it;
	const char	*url = str(p, "url");
	struct buf	 x = { 0 }, y = { 0 }, z = { 0 };
	char		 v1[FMT_LEN], v2[FMT_LEN], v3[FMT_LEN], v4[FMT_LEN];

	msg_fmt(m, b, "msg", "digest_title", "day", str(p, "day"), NULL);
	buf_puts(b, "\n");
	msg_fmt(m, b, "msg", "digest_requests", "requests",
	    dnum(p, "requests", 0, v1, sizeof(v1)), "rate",
	    fmt_pct(num(p, "success_rate") * 100, 1, v2, sizeof(v2)), NULL);
	buf_puts(b, "\n");
	if (cJSON_GetObjectItem(p, "daily_budget_usd") != NULL)
		msg_fmt(m, b, "msg", "digest_cost_budget", "cost",
		    dnum(p, "cost_usd", 1, v1, sizeof(v1)), "budget",
		    dnum(p, "daily_budget_usd", 1, v2, sizeof(v2)), NULL);
	else
		msg_fmt(m, b, "msg", "digest_cost", "cost",
		    dnum(p, "cost_usd", 1, v1, sizeof(v1)), NULL);
	if (mo != NULL) {
		buf_puts(b, "\n");
		msg_fmt(m, b, "msg", num(mo, "reach_day") > 0 ?
		    "digest_month_reach" : "digest_month", "month",
		    str(mo, "month"), "spent", dnum(mo, "spent_usd", 1, v1,
		    sizeof(v1)), "budget", dnum(mo, "budget_usd", 1, v2,
		    sizeof(v2)), "forecast", dnum(mo, "forecast_usd", 1, v3,
		    sizeof(v3)), "day", dnum(mo, "reach_day", 0, v4,
		    sizeof(v4)), NULL);
	}
	if (t != NULL) {
		chat_code(&x, c, str(t, "model"));
		buf_puts(b, "\n");
		msg_fmt(m, b, "msg", "digest_top_model", "model", x.failed ? "" :
		    x.p, "cost", dnum(t, "cost_usd", 1, v1, sizeof(v1)),
		    "requests", dnum(t, "requests", 0, v2, sizeof(v2)), NULL);
		buf_free(&x);
	}
	buf_puts(b, "\n");
	msg_fmt(m, b, "msg", "digest_alerts", "critical", dnum(al, "critical",
	    0, v1, sizeof(v1)), "warning", dnum(al, "warning", 0, v2,
	    sizeof(v2)), "open", dnum(al, "open_now", 0, v3, sizeof(v3)), NULL);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(al, "list")) {
		alert_scope_text(m, str(it, "scope"), &y);
		chat_code(&x, c, str(it, "message"));
		chat_code(&z, c, y.failed ? "" : y.p);
		buf_puts(b, "\n");
		msg_fmt(m, b, "msg", "digest_alert", "tag", msg_get(m, "msg",
		    strcmp(str(it, "severity"), "critical") == 0 ?
		    "tag_critical" : "tag_warning"), "message", x.failed ? "" :
		    x.p, "scope", z.failed ? "" : z.p, NULL);
		buf_free(&x);
		buf_free(&y);
		buf_free(&z);
	}
	if (*url != '\0') {
		/* The config's URL, not a request's: a link people can open. */
		chat_escape(&x, c, url);
		buf_puts(b, "\n");
		msg_fmt(m, b, "msg", "digest_report", "url", x.failed ? "" : x.p,
		    NULL);
		buf_free(&x);
	}
}

/* The body a chat service takes, posted to where it is told. */
static int
post_chat(const struct conf_notify *n, const char *text, char *err,
    size_t errlen)
{
	cJSON		*o = NULL, *am;
	struct buf	 url = { 0 };
	enum chat	 c;
	char		*body = NULL;
	int		 rc = -1;

	c = strcmp(n->type, "slack") == 0 ? CHAT_SLACK :
	    strcmp(n->type, "discord") == 0 ? CHAT_DISCORD : CHAT_TELEGRAM;
	if (c == CHAT_TELEGRAM)
		/* url, when set, replaces the Bot API's address. */
		buf_printf(&url, "%s/bot%s/sendMessage", n->url ? n->url :
		    "https://api.telegram.org", n->bot_token);
	else
		buf_puts(&url, n->url);
	if (url.failed || (o = cJSON_CreateObject()) == NULL)
		goto oom;
	if (c == CHAT_TELEGRAM && (!cJSON_AddStringToObject(o, "chat_id",
	    n->chat_id) || !cJSON_AddStringToObject(o, "parse_mode", "HTML")))
		goto oom;
	if (!cJSON_AddStringToObject(o, c == CHAT_DISCORD ? "content" : "text",
	    text))
		goto oom;
	/* Discord: no mention pings anyone, whatever the text holds. */
	if (c == CHAT_DISCORD && ((am = cJSON_AddObjectToObject(o,
	    "allowed_mentions")) == NULL ||
	    !cJSON_AddArrayToObject(am, "parse")))
		goto oom;
	if ((body = cJSON_PrintUnformatted(o)) == NULL)
		goto oom;
	rc = post_json(url.p, body, err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	cJSON_free(body);
	cJSON_Delete(o);
	buf_free(&url);
	return rc;
}

static enum chat
style(const struct conf_notify *n)
{
	return strcmp(n->type, "slack") == 0 ? CHAT_SLACK :
	    strcmp(n->type, "discord") == 0 ? CHAT_DISCORD :
	    strcmp(n->type, "telegram") == 0 ? CHAT_TELEGRAM : CHAT_PLAIN;
}

/* A program or webhook gets JSON: {"events": [...]} or {"digest": {}}. */
static int
send_json(const struct conf_notify *n, const cJSON *o, char *err,
    size_t errlen)
{
	char	*s = cJSON_PrintUnformatted(o);
	int	 rc;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = strcmp(n->type, "command") == 0 ?
	    send_command(n, s, err, errlen) : post_json(n->url, s, err, errlen);
	cJSON_free(s);
	return rc;
}

static void
site_link(const struct conf *c, const char *page, struct buf *b)
{
	if (c->site_url != NULL)
		buf_printf(b, "\n\n%s%s%s\n", c->site_url,
		    c->site_url[strlen(c->site_url) - 1] == '/' ? "" : "/",
		    page);
}

/* One message of the events e[0..n) (n > 0) to notifier n. */
static int
send_events(struct agg *a, const struct conf_notify *nt, struct event *e,
    size_t n, char *err, size_t errlen)
{
	struct buf	 text = { 0 }, subj = { 0 }, line = { 0 };
	cJSON		*o, *arr;
	size_t		 i;
	enum chat	 c = style(nt);
	char		 k[FMT_LEN];
	int		 rc = -1;

	if (strcmp(nt->type, "command") == 0 ||
	    strcmp(nt->type, "webhook") == 0) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    (arr = cJSON_AddArrayToObject(o, "events")) == NULL) {
			cJSON_Delete(o);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (i = 0; i < n; i++)
			cJSON_AddItemReferenceToArray(arr, e[i].p);
		rc = send_json(nt, o, err, errlen);
		cJSON_Delete(o);
		return rc;
	}
	if (c != CHAT_PLAIN) {
		chat_events(a->msg, e, n, c, &text);
		if (text.failed)
			snprintf(err, errlen, "out of memory");
		else
			rc = post_chat(nt, text.p, err, errlen);
		buf_free(&text);
		return rc;
	}
	/* E-mail: the first event is the subject; the body lists them all. */
	event_line(a->msg, e[0].p, CHAT_PLAIN, SUBJECT_CHARS, &line);
	if (n > 1)
		msg_fmt(a->msg, &subj, "msg", "mail_subject_more", "subject",
		    line.failed ? "" : line.p, "n", fmt_int((int64_t)n - 1, k,
		    sizeof(k)), NULL);
	else
		buf_puts(&subj, line.failed ? "" : line.p);
	for (i = 0; i < n && i < EMAIL_LINES; i++) {
		event_line(a->msg, e[i].p, CHAT_PLAIN, SIZE_MAX, &text);
		buf_puts(&text, "\n");
	}
	more(a->msg, &text, i, n);
	site_link(a->conf, "alerts.html", &text);
	if (text.failed || subj.failed || line.failed)
		snprintf(err, errlen, "out of memory");
	else
		rc = email_send(nt, subj.p, text.p, a->now_ms, err, errlen);
	buf_free(&text);
	buf_free(&subj);
	buf_free(&line);
	return rc;
}

static int
send_digest(struct agg *a, const struct conf_notify *nt, cJSON *p,
    char *err, size_t errlen)
{
	struct buf	 text = { 0 }, subj = { 0 };
	enum chat	 c = style(nt);
	cJSON		*o;
	int		 rc = -1;

	if (strcmp(nt->type, "command") == 0 ||
	    strcmp(nt->type, "webhook") == 0) {
		if ((o = cJSON_CreateObject()) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cJSON_AddItemReferenceToObject(o, "digest", p);
		rc = send_json(nt, o, err, errlen);
		cJSON_Delete(o);
		return rc;
	}
	digest_text(a->msg, p, c, &text);
	msg_fmt(a->msg, &subj, "msg", "digest_title", "day", str(p, "day"),
	    NULL);
	if (text.failed || subj.failed)
		snprintf(err, errlen, "out of memory");
	else if (c == CHAT_PLAIN)
		rc = email_send(nt, subj.p, text.p, a->now_ms, err, errlen);
	else
		rc = post_chat(nt, text.p, err, errlen);
	buf_free(&text);
	buf_free(&subj);
	return rc;
}

/* Record how the deliveries d[0..n) went, in one transaction. */
static int
record(struct agg *a, const char *key, struct db_delivery *d, size_t n,
    int ok, const char *err)
{
	int64_t	 wait;
	int	 most = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		most = d[i].attempts > most ? d[i].attempts : most;
	wait = BACKOFF_MIN_MS << (most < 6 ? most : 6);
	if (wait > BACKOFF_MAX_MS)
		wait = BACKOFF_MAX_MS;
	if (ok)
		a->n.delivered += (long)n;
	else {
		a->n.failed += (long)n;
		log_errx("notify %s: %s (%zu events; retry in %lld s)", key,
		    err, n, (long long)(wait / 1000));
	}
	if (db_begin(a->db) != DB_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if ((ok ? db_delivery_done(a->db, d[i].outbox_id, key,
		    a->now_ms) : db_delivery_failed(a->db, d[i].outbox_id, key,
		    a->now_ms + wait, err)) != DB_OK)
			goto fail;
	if (db_commit(a->db) == DB_OK)
		return 0;
fail:
	/* A delivery not recorded is sent again next run: say so, fail. */
	log_errx("%s: recording deliveries to %s: %s", a->conf->database, key,
	    db_errmsg(a->db));
	db_rollback(a->db);
	return -1;
}

/* Everything due to one notifier: its digests, then one alert message. */
static int
notify_one(struct agg *a, const struct conf_notify *nt, const char *key)
{
	struct db_delivery	*d = NULL;
	struct event		*e = NULL;
	cJSON			*p;
	size_t			 nd = 0, ne = 0, i;
	char			 err[256];
	int			 ok, rc = 0;

	if (db_deliveries_claim(a->db, key, a->now_ms, a->now_ms + LEASE_MS,
	    GROUP_MAX, &d, &nd)) {
		log_errx("%s: outbox: %s", a->conf->database, db_errmsg(a->db));
		return -1;
	}
	if (nd > 0 && (e = calloc(nd, sizeof(*e))) == NULL) {
		log_errx("out of memory");
		db_deliveries_free(d, nd);
		return -1;
	}
	for (i = 0; i < nd && rc == 0; i++) {
		err[0] = '\0';
		if ((p = json_parse(d[i].payload, strlen(d[i].payload),
		    NULL)) == NULL) {
			/* apimon wrote it: only memory can fail here. */
			log_errx("notify %s: out of memory", key);
			rc = -1;
			break;
		}
		if (strcmp(d[i].event, "digest") != 0) {
			e[ne].p = p;
			e[ne].rank = rank(p);
			e[ne++].order = i;
			continue;
		}
		ok = send_digest(a, nt, p, err, sizeof(err)) == 0;
		cJSON_Delete(p);
		rc = record(a, key, &d[i], 1, ok, err);
	}
	if (rc == 0 && ne > 0) {
		struct db_delivery	*g;
		size_t			 k;

		qsort(e, ne, sizeof(*e), by_rank);
		err[0] = '\0';
		ok = send_events(a, nt, e, ne, err, sizeof(err)) == 0;
		/* The events' deliveries, the digests left out. */
		if ((g = calloc(ne, sizeof(*g))) == NULL) {
			log_errx("out of memory");
			rc = -1;
		} else {
			for (i = k = 0; i < nd; i++)
				if (strcmp(d[i].event, "digest") != 0)
					g[k++] = d[i];
			rc = record(a, key, g, k, ok, err);
			free(g);
		}
	}
	for (i = 0; i < ne; i++)
		cJSON_Delete(e[i].p);
	free(e);
	db_deliveries_free(d, nd);
	return rc;
}

int
notify_run(struct agg *a)
{
	size_t	 i, k;
	int	 rc = 0;

	for (i = 0; i < a->conf->nnotify && rc == 0; i++) {
		/* Two notifiers with one key are one: send once. */
		for (k = 0; k < i; k++)
			if (strcmp(a->notifiers[k], a->notifiers[i]) == 0)
				break;
		if (k == i)
			rc = notify_one(a, &a->conf->notify[i], a->notifiers[i]);
	}
	return rc;
}
