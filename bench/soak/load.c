/*
 * bench/soak/load.c — a steady load for the soak benchmark: POST one record
 * per request to http://127.0.0.1:PORT/api/log-request at RATE requests per
 * second, open loop (each of CONNS keep-alive connections sends on its own
 * schedule, whatever the answers take), for SECONDS seconds.
 *
 * Every record has a unique request_id, soak-TAG-CONN-N.  The id of every
 * request answered 2xx is written to ACKED (one a line), so that the harness
 * can check that each acknowledged record is stored exactly once.  Each
 * minute it prints one line:
 *
 *   MINUTE m sent=N ok=N non2xx=N errors=N p50_us=N p99_us=N max_us=N
 *
 * (latency from the request's scheduled time to the end of its answer, so a
 * stall counts for every request it delays).  Exit 0 when it ran.
 *
 * Usage: load PORT RATE SECONDS CONNS TAG ACKED
 * Build: cc -std=c17 -O2 -Wall -Wextra -Werror -pthread -o load load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int		 port, conns, seconds;
static double		 rate;
static const char	*tag;
static FILE		*acked;
static int64_t		 t0;		/* start, monotonic ns */

/* The latencies (us) and counts of the minute in progress. */
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t		*lat;
static size_t		 nlat, caplat;
static long		 sent, ok, non2xx, errs;

static int64_t
now_ns(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void
sleep_until(int64_t ns)
{
	struct timespec	 t = { ns / 1000000000, ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) ==
	    EINTR)
		;
}

static int
dial(void)
{
	struct sockaddr_in	 a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	struct timeval		 tv = { 10, 0 };
	int			 fd, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One request on fd; the HTTP status, or -1 when the connection failed.
 * *closing says that the server closes the connection after it.
 */
static int
exchange(int fd, const char *req, size_t len, int *closing)
{
	char		 buf[8192], *end, *cl;
	size_t		 got = 0, off = 0, body = 0;
	ssize_t		 k;
	int		 status;

	while (off < len) {
		if ((k = write(fd, req + off, len - off)) <= 0)
			return -1;
		off += (size_t)k;
	}
	for (;;) {
		if (got == sizeof(buf) - 1 ||
		    (k = read(fd, buf + got, sizeof(buf) - 1 - got)) <= 0)
			return -1;
		got += (size_t)k;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL && cl < end)
		body = strtoul(cl + 17, NULL, 10);
	cl = strcasestr(buf, "\r\nConnection: close");
	*closing = cl != NULL && cl < end;
	for (off = got - (size_t)(end + 4 - buf); off < body; off += (size_t)k)
		if ((k = read(fd, buf, sizeof(buf))) <= 0)
			return -1;
	return status;
}

static void
record(int64_t us, int status)
{
	pthread_mutex_lock(&mu);
	sent++;
	if (status < 0)
		errs++;
	else if (status / 100 == 2)
		ok++;
	else
		non2xx++;
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		if ((lat = realloc(lat, caplat * sizeof(*lat))) == NULL) {
			perror("load");
			exit(1);
		}
	}
	lat[nlat++] = us;
	pthread_mutex_unlock(&mu);
}

static void *
conn(void *arg)
{
	static const char *const src[] = { "web", "telegram", "discord",
	    "wechat" };
	static const char *const model[] = { "gpt-4o-mini", "gpt-4o",
	    "claude-3-5-sonnet", "gemini-1.5-flash" };
	long		 c = (long)(intptr_t)arg, n = 0;
	double		 gap = 1e9 * conns / rate;
	int64_t		 due = t0 + (int64_t)(gap * c / conns), end, t;
	char		 body[1024], req[1536], id[96];
	int		 fd = -1, len, blen, status, closing = 0;

	end = t0 + (int64_t)seconds * 1000000000;
	for (; due < end; due += (int64_t)gap, n++) {
		sleep_until(due);
		snprintf(id, sizeof(id), "soak-%s-%ld-%ld", tag, c, n);
		blen = snprintf(body, sizeof(body), "{\"request_id\":\"%s\","
		    "\"source\":\"%s\",\"user_id\":\"user-%ld\",\"command\":"
		    "\"/ask soak %ld\",\"status\":\"%s\",\"execution_time\":%.3f,"
		    "\"model\":\"%s\",\"provider\":\"x\",\"input_tokens\":%ld,"
		    "\"output_tokens\":%ld,\"metadata\":{\"conn\":%ld}}", id,
		    src[n % 4], n % 500, n, n % 10 ? "success" : "error",
		    0.2 + (double)(n % 97) / 10, model[(n / 4) % 4],
		    200 + n % 1800, 50 + n % 600, c);
		len = snprintf(req, sizeof(req), "POST /api/log-request HTTP/1.1"
		    "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n%s", blen, body);
		if (fd == -1)
			fd = dial();
		status = fd == -1 ? -1 : exchange(fd, req, (size_t)len,
		    &closing);
		if ((status < 0 || closing) && fd != -1) {
			close(fd);
			fd = -1;
		}
		t = now_ns();
		record((t - due) / 1000, status);
		if (status / 100 == 2) {
			pthread_mutex_lock(&mu);
			fprintf(acked, "%s\n", id);
			pthread_mutex_unlock(&mu);
		}
	}
	if (fd != -1)
		close(fd);
	return NULL;
}

static int
by_value(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Print the minute's line and start the next. */
static void
report(int minute)
{
	int64_t		*v;
	size_t		 n;
	long		 s, o, b, e;

	pthread_mutex_lock(&mu);
	v = lat;
	n = nlat;
	s = sent, o = ok, b = non2xx, e = errs;
	lat = NULL;
	nlat = caplat = 0;
	sent = ok = non2xx = errs = 0;
	pthread_mutex_unlock(&mu);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_value);
	printf("MINUTE %d sent=%ld ok=%ld non2xx=%ld errors=%ld p50_us=%lld "
	    "p99_us=%lld max_us=%lld\n", minute, s, o, b, e,
	    (long long)(n ? v[n / 2] : 0), (long long)(n ? v[n * 99 / 100] : 0),
	    (long long)(n ? v[n - 1] : 0));
	fflush(stdout);
	free(v);
}

int
main(int argc, char **argv)
{
	pthread_t	*th;
	long		 i;
	int		 m;

	if (argc != 7 || (port = atoi(argv[1])) <= 0 ||
	    (rate = atof(argv[2])) <= 0 || (seconds = atoi(argv[3])) <= 0 ||
	    (conns = atoi(argv[4])) <= 0) {
		fputs("usage: load PORT RATE SECONDS CONNS TAG ACKED\n", stderr);
		return 2;
	}
	tag = argv[5];
	if ((acked = fopen(argv[6], "w")) == NULL ||
	    (th = calloc((size_t)conns, sizeof(*th))) == NULL) {
		perror(argv[6]);
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < conns; i++)
		if (pthread_create(&th[i], NULL, conn, (void *)(intptr_t)i)) {
			perror("pthread_create");
			return 1;
		}
	/* The last minute waits for its answers: it ends with the load. */
	for (m = 1; m * 60 < seconds; m++) {
		sleep_until(t0 + (int64_t)m * 60 * 1000000000);
		report(m);
	}
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	report(m);
	return fclose(acked) == 0 ? 0 : 1;
}
