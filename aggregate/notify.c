/* notify.c — deliver queued alert events: command, webhook, chat services. */
#include <errno.h>
#include <poll.h>
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
#include "json.h"
#include "log.h"
#include "utf8.h"

#define NOTIFY_TIMEOUT_MS	10000
#define NOTIFY_MAX_PER_RUN	200
#define BACKOFF_MIN_MS		60000LL		/* one cron interval */
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
enum chat { CHAT_SLACK, CHAT_DISCORD, CHAT_TELEGRAM };

#define CHAT_MAX_CHARS	1900	/* Discord takes 2,000; the others more */

/*
 * Text that came from a request (a model, a source, an alert message
 * naming them) goes in a code span, where no service makes a mention, a
 * link or markup of it, and escaped for the service: Slack's & < >,
 * Telegram's HTML.  A backtick would end the span in Slack and Discord,
 * so it becomes a look-alike.
 */
static void
chat_code(struct buf *b, enum chat c, const char *s)
{
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

/*
 * The one line a person reads in a chat, in the catalogue m's words
 * (msg.chat_line): "[CRITICAL] apimon: MESSAGE (SCOPE, DAY)", into b;
 * the message is cut on a character boundary when the line would be too
 * long for the service.
 */
static void
chat_text(const struct msg *m, const cJSON *p, enum chat c, struct buf *b)
{
	const char	*ev = cJSON_GetStringValue(cJSON_GetObjectItem(p, "event"));
	const char	*sev = cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "severity"));
	const char	*msg = cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "message"));
	const char	*scope = cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "scope"));
	const char	*day = cJSON_GetStringValue(cJSON_GetObjectItem(p, "day"));
	struct buf	 text = { 0 }, where = { 0 }, shown = { 0 };
	char		*cut = NULL;

	msg = msg ? msg : "";
	if (utf8_len(msg, strlen(msg)) > CHAT_MAX_CHARS / 2 &&
	    (cut = strndup(msg, utf8_prefix(msg, strlen(msg),
	    CHAT_MAX_CHARS / 2))) != NULL)
		msg = cut;
	chat_code(&text, c, msg);
	if (cut != NULL)
		buf_puts(&text, "\xe2\x80\xa6");	/* U+2026 */
	alert_scope_text(m, scope ? scope : "", &shown);
	chat_code(&where, c, shown.failed ? "" : shown.p);
	if (text.failed || where.failed || shown.failed)
		b->failed = 1;
	else
		msg_fmt(m, b, "msg", "chat_line", "tag", msg_get(m, "msg",
		    ev && strcmp(ev, "resolve") == 0 ? "tag_resolved" :
		    sev && strcmp(sev, "critical") == 0 ? "tag_critical" :
		    "tag_warning"), "message", text.p, "scope", where.p, "day",
		    day ? day : "", NULL);
	buf_free(&text);
	buf_free(&where);
	buf_free(&shown);
	free(cut);
}

static int
send_http(const struct msg *m, const struct conf_notify *n,
    const char *payload, char *err, size_t errlen)
{
	cJSON		*p = NULL, *o = NULL, *am;
	struct buf	 text = { NULL, 0, 0, 0 }, url = { NULL, 0, 0, 0 };
	enum chat	 c;
	char		*body = NULL;
	int		 rc = -1;

	if (strcmp(n->type, "webhook") == 0)
		return post_json(n->url, payload, err, errlen);
	c = strcmp(n->type, "slack") == 0 ? CHAT_SLACK :
	    strcmp(n->type, "discord") == 0 ? CHAT_DISCORD : CHAT_TELEGRAM;
	if ((p = json_parse(payload, strlen(payload), NULL)) == NULL) {
		snprintf(err, errlen, "bad payload");
		goto out;
	}
	chat_text(m, p, c, &text);
	if (c == CHAT_TELEGRAM)
		/* url, when set, replaces the Bot API's address. */
		buf_printf(&url, "%s/bot%s/sendMessage", n->url ? n->url :
		    "https://api.telegram.org", n->bot_token);
	else
		buf_puts(&url, n->url);
	if (text.failed || url.failed || (o = cJSON_CreateObject()) == NULL)
		goto oom;
	if (c == CHAT_TELEGRAM && (!cJSON_AddStringToObject(o, "chat_id",
	    n->chat_id) || !cJSON_AddStringToObject(o, "parse_mode", "HTML")))
		goto oom;
	if (!cJSON_AddStringToObject(o, c == CHAT_DISCORD ? "content" : "text",
	    text.p))
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
	cJSON_Delete(p);
	buf_free(&text);
	buf_free(&url);
	return rc;
}

static const struct conf_notify *
find(struct agg *a, const char *key)
{
	size_t	 i;

	for (i = 0; i < a->conf->nnotify; i++)
		if (strcmp(a->notifiers[i], key) == 0)
			return &a->conf->notify[i];
	return NULL;
}

int
notify_run(struct agg *a)
{
	const struct conf_notify	*n;
	struct db_delivery		*d = NULL;
	size_t				 nd = 0, i;
	char				 err[256];
	int64_t				 wait;
	int				 ok, rc = 0;

	if (a->conf->nnotify == 0)
		return 0;
	if (db_deliveries_due(a->db, a->now_ms, NOTIFY_MAX_PER_RUN, &d, &nd)) {
		log_errx("%s: outbox: %s", a->conf->database, db_errmsg(a->db));
		return -1;
	}
	for (i = 0; i < nd && rc == 0; i++) {
		/* A notifier taken out of the config is left alone. */
		if ((n = find(a, d[i].notifier)) == NULL)
			continue;
		err[0] = '\0';
		ok = (strcmp(n->type, "command") == 0 ?
		    send_command(n, d[i].payload, err, sizeof(err)) :
		    send_http(a->msg, n, d[i].payload, err, sizeof(err))) == 0;
		if (ok) {
			a->n.delivered++;
			if (db_delivery_done(a->db, d[i].outbox_id,
			    d[i].notifier, a->now_ms) != DB_OK)
				rc = -1;
			continue;
		}
		a->n.failed++;
		wait = BACKOFF_MIN_MS << (d[i].attempts < 6 ? d[i].attempts : 6);
		if (wait > BACKOFF_MAX_MS)
			wait = BACKOFF_MAX_MS;
		log_errx("notify %s: %s (retry in %lld s)", d[i].notifier, err,
		    (long long)(wait / 1000));
		if (db_delivery_failed(a->db, d[i].outbox_id, d[i].notifier,
		    a->now_ms + wait, err) != DB_OK)
			rc = -1;
	}
	/* A delivery not recorded is sent again next run: say so, fail. */
	if (rc != 0)
		log_errx("%s: recording delivery %s: %s", a->conf->database,
		    d[i - 1].notifier, db_errmsg(a->db));
	db_deliveries_free(d, nd);
	return rc;
}
