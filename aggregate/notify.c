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
#include "json.h"
#include "log.h"

#define NOTIFY_TIMEOUT_MS	10000
#define NOTIFY_MAX_PER_RUN	200
#define BACKOFF_MIN_MS		60000LL		/* one cron interval */
#define BACKOFF_MAX_MS		3600000LL

char *
notify_key(const struct conf_notify *n)
{
	char	 buf[1024];
	size_t	 len;
	char   **a;

	len = (size_t)snprintf(buf, sizeof(buf), "%s", n->type);
	if (n->argv != NULL)
		for (a = n->argv; *a != NULL && len < sizeof(buf); a++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    " %s", *a);
	else if (strcmp(n->type, "telegram") == 0)
		/* The bot's id (before ':' in its token) is not the secret. */
		snprintf(buf + len, sizeof(buf) - len, " %.*s %s",
		    (int)strcspn(n->bot_token, ":"), n->bot_token, n->chat_id);
	else
		snprintf(buf + len, sizeof(buf) - len, " %s", n->url);
	return strdup(buf);
}

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

/* The one line a person reads in a chat: "[CRITICAL] apimon: ...". */
static void
chat_text(const cJSON *p, char *buf, size_t size)
{
	const char	*ev = cJSON_GetStringValue(cJSON_GetObjectItem(p, "event"));
	const char	*sev = cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "severity"));
	const char	*msg = cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "message"));
	const char	*scope = cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "scope"));
	const char	*day = cJSON_GetStringValue(cJSON_GetObjectItem(p, "day"));

	snprintf(buf, size, "[%s] apimon: %s (%s, %s)",
	    ev && strcmp(ev, "resolve") == 0 ? "RESOLVED" :
	    sev && strcmp(sev, "critical") == 0 ? "CRITICAL" : "WARNING",
	    msg ? msg : "", scope ? scope : "", day ? day : "");
}

static int
send_http(const struct conf_notify *n, const char *payload, char *err,
    size_t errlen)
{
	cJSON	*p, *o = NULL;
	char	 text[512], url[1024], *body = NULL;
	int	 rc = -1;

	if (strcmp(n->type, "webhook") == 0)
		return post_json(n->url, payload, err, errlen);
	if ((p = json_parse(payload, strlen(payload), NULL)) == NULL ||
	    (o = cJSON_CreateObject()) == NULL) {
		snprintf(err, errlen, "bad payload");
		goto out;
	}
	chat_text(p, text, sizeof(text));
	if (strcmp(n->type, "slack") == 0) {
		cJSON_AddStringToObject(o, "text", text);
		snprintf(url, sizeof(url), "%s", n->url);
	} else if (strcmp(n->type, "discord") == 0) {
		cJSON_AddStringToObject(o, "content", text);
		snprintf(url, sizeof(url), "%s", n->url);
	} else {
		/* telegram; url, when set, replaces the Bot API's address. */
		cJSON_AddStringToObject(o, "chat_id", n->chat_id);
		cJSON_AddStringToObject(o, "text", text);
		snprintf(url, sizeof(url), "%s/bot%s/sendMessage",
		    n->url ? n->url : "https://api.telegram.org", n->bot_token);
	}
	if ((body = cJSON_PrintUnformatted(o)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = post_json(url, body, err, errlen);
out:
	cJSON_free(body);
	cJSON_Delete(o);
	cJSON_Delete(p);
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
	int				 ok;

	if (a->conf->nnotify == 0)
		return 0;
	if (db_deliveries_due(a->db, a->now_ms, NOTIFY_MAX_PER_RUN, &d, &nd)) {
		log_errx("%s: outbox: %s", a->conf->database, db_errmsg(a->db));
		return -1;
	}
	for (i = 0; i < nd; i++) {
		/* A notifier taken out of the config is left alone. */
		if ((n = find(a, d[i].notifier)) == NULL)
			continue;
		err[0] = '\0';
		ok = (strcmp(n->type, "command") == 0 ?
		    send_command(n, d[i].payload, err, sizeof(err)) :
		    send_http(n, d[i].payload, err, sizeof(err))) == 0;
		if (ok) {
			a->n.delivered++;
			db_delivery_done(a->db, d[i].outbox_id, d[i].notifier,
			    a->now_ms);
			continue;
		}
		a->n.failed++;
		wait = BACKOFF_MIN_MS << (d[i].attempts < 6 ? d[i].attempts : 6);
		if (wait > BACKOFF_MAX_MS)
			wait = BACKOFF_MAX_MS;
		log_errx("notify %s: %s (retry in %lld s)", d[i].notifier, err,
		    (long long)(wait / 1000));
		db_delivery_failed(a->db, d[i].outbox_id, d[i].notifier,
		    a->now_ms + wait, err);
	}
	db_deliveries_free(d, nd);
	return 0;
}
