/*
 * bench/ingest/bare.c — the bare-FastCGI ceiling for the ingest benchmark.
 *
 * A libfcgi responder that does the least any FastCGI ingest endpoint must do:
 * accept a request, read the whole body (CONTENT_LENGTH bytes), answer
 * "Status: 204".  No JSON, no SQLite.  It runs under spawn-fcgi exactly like
 * bin/apimon-ingest: same worker count, same request threads per worker
 * (--threads N, accept() serialised by a mutex as apimon-ingest does), same
 * nginx settings; so the ratio apimon / bare is the cost of apimon's own work
 * (parse, validate, insert, commit).
 *
 * Build: cc -std=c17 -O2 -Wall -Wextra -Werror -pthread $(pkg-config --cflags fcgi) \
 *           -o bare bare.c $(pkg-config --libs fcgi)
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 256

static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;

static void *serve(void *arg)
{
	char buf[16384];
	FCGX_Request req;

	(void)arg;
	/* fd 0 is the listening socket handed over by spawn-fcgi. */
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&accept_mu);
		int rc = FCGX_Accept_r(&req);
		pthread_mutex_unlock(&accept_mu);
		if (rc < 0)
			break;
		const char *cl = FCGX_GetParam("CONTENT_LENGTH", req.envp);
		long left = cl ? strtol(cl, NULL, 10) : 0;
		while (left > 0) {
			int want = left > (long)sizeof buf ? (int)sizeof buf : (int)left;
			int got = FCGX_GetStr(buf, want, req.in);
			if (got <= 0)
				break;
			left -= got;
		}
		FCGX_PutS("Status: 204 No Content\r\n\r\n", req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	int nthreads = 1, n = 0;

	if (argc == 3 && strcmp(argv[1], "--threads") == 0)
		nthreads = atoi(argv[2]);
	else if (argc != 1) {
		fputs("usage: bare [--threads N]\n", stderr);
		return 2;
	}
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fputs("bare: --threads must be 1..256\n", stderr);
		return 2;
	}
	if (FCGX_Init() != 0) {
		fputs("bare: FCGX_Init failed\n", stderr);
		return 1;
	}
	/* libfcgi's SIGTERM handler only marks a shutdown as pending, so an idle
	 * responder would wait in accept(); the benchmark wants it gone now. */
	signal(SIGTERM, SIG_DFL);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[n], NULL, serve, NULL) == 0)
			n++;
	if (n == 0) {
		fputs("bare: cannot start a thread\n", stderr);
		return 1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
