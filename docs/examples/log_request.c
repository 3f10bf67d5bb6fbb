/*
 * log_request.c — post one record to apimon with libcurl, giving up after
 * one second so that monitoring never stalls the program that calls it.
 *
 *   cc -o log_request log_request.c $(pkg-config --cflags --libs libcurl)
 *   ./log_request [URL [TOKEN]]
 *
 * URL defaults to $APIMON_URL, else http://localhost:8001/api/log-request;
 * TOKEN to $APIMON_TOKEN.  Exits 0 when apimon answered 200.
 *
 * In a real program build the JSON with your JSON library (cJSON, jansson):
 * every string that comes from a user must be escaped.  Here the only
 * variable parts are numbers and an id made of hex digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

/* Keep apimon's answer, at most a little of it, for the message below. */
struct answer {
	char	 buf[512];
	size_t	 len;
};

static size_t
keep(char *p, size_t size, size_t n, void *arg)
{
	struct answer	*a = arg;
	size_t		 k = size * n, room = sizeof(a->buf) - 1 - a->len;

	memcpy(a->buf + a->len, p, k < room ? k : room);
	a->len += k < room ? k : room;
	a->buf[a->len] = '\0';
	return size * n;
}

int
main(int argc, char *argv[])
{
	const char		*url = argc > 1 ? argv[1] : getenv("APIMON_URL");
	const char		*token = argc > 2 ? argv[2] : getenv("APIMON_TOKEN");
	char			 body[512], auth[300], id[64];
	struct curl_slist	*h = NULL;
	struct answer		 a = { .len = 0 };
	struct timespec		 t0, t1;
	double			 secs;
	long			 status = 0;
	CURLcode		 rc;
	CURL			*c;

	if (url == NULL)
		url = "http://localhost:8001/api/log-request";

	/* Time the call you are monitoring... */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nanosleep(&(struct timespec){ .tv_nsec = 120000000 }, NULL); /* your LLM call */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	/* ...and describe it.  A unique request_id makes retries safe. */
	srand((unsigned)(t1.tv_nsec ^ getpid()));
	snprintf(id, sizeof(id), "c-%lx-%x-%x", (unsigned long)time(NULL),
	    (unsigned)getpid(), (unsigned)rand());
	snprintf(body, sizeof(body), "{\"request_id\":\"%s\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":%.6f,"
	    "\"command\":\"log_request.c\",\"model\":\"gpt-4o-mini\","
	    "\"input_tokens\":900,\"output_tokens\":300}", id, secs);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c = curl_easy_init()) == NULL) {
		fprintf(stderr, "log_request: cannot initialise libcurl\n");
		return 1;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	if (token != NULL && *token != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);	/* the whole exchange */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);	/* safe in threads */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);

	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_global_cleanup();

	if (rc != CURLE_OK) {
		/* Down or slow: report and carry on; never retry in a loop. */
		fprintf(stderr, "log_request: %s: %s\n", url, curl_easy_strerror(rc));
		return 1;
	}
	printf("%s %ld %s\n", id, status, a.buf);
	return status == 200 ? 0 : 1;
}
