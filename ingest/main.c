/* main.c — apimon-ingest: FastCGI responder, CGI program, bulk importer. */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <fcgiapp.h>

#include "cli.h"
#include "ingest.h"
#include "log.h"

#define MAX_THREADS	256

static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;

static void
usage(FILE *f)
{
	fprintf(f, "usage: apimon-ingest [--config FILE] [--threads N] "
	    "[--import FILE|-]\n"
	    "Started by spawn-fcgi (or any FastCGI manager) it serves\n"
	    "POST /api/log-request and GET /api/health; started by a CGI\n"
	    "server it answers one request; --import loads NDJSON or a JSON\n"
	    "array of records.\n");
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static size_t
fcgi_read(void *ctx, char *buf, size_t n)
{
	int	 k = FCGX_GetStr(buf, n > 1 << 30 ? 1 << 30 : (int)n,
	    ((FCGX_Request *)ctx)->in);

	return k > 0 ? (size_t)k : 0;
}

static void
fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_PutStr(buf, (int)n, ((FCGX_Request *)ctx)->out);
}

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static size_t
cgi_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	return fread(buf, 1, n, stdin);
}

static void
cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	fwrite(buf, 1, n, stdout);
}

/* One request thread: accept, answer, repeat until the socket is shut. */
static void *
serve_thread(void *arg)
{
	struct ingest	*ig = arg;
	FCGX_Request	 req;
	struct http_io	 io = { &req, fcgi_param, fcgi_read, fcgi_write };
	int		 rc;

	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&accept_mu);
		rc = FCGX_Accept_r(&req);
		pthread_mutex_unlock(&accept_mu);
		if (rc < 0)
			break;
		http_serve(ig, &io);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return NULL;
}

/*
 * Serve with nthreads request threads until SIGTERM or SIGINT; requests in
 * progress are finished first.  The main thread only waits for the signal.
 */
static int
serve_fcgi(struct ingest *ig, int nthreads)
{
	pthread_t	 th[MAX_THREADS];
	sigset_t	 set;
	int		 i, n = 0, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* inherited by threads */
	signal(SIGPIPE, SIG_IGN);
	mallopt(M_TRIM_THRESHOLD, INGEST_TRIM_THRESHOLD);
	if (FCGX_Init() != 0) {
		log_errx("cannot initialise FastCGI");
		return 1;
	}
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[n], NULL, serve_thread, ig) == 0)
			n++;
	if (n == 0) {
		log_errx("cannot start a request thread");
		return 1;
	}
	sigwait(&set, &sig);
	/* Wake the threads blocked in accept(); others finish their request. */
	FCGX_ShutdownPending();
	shutdown(0, SHUT_RDWR);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "import", required_argument, NULL, 'i' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	 conf;
	struct ingest	 ig;
	struct http_io	 cgi = { NULL, cgi_param, cgi_read, cgi_write };
	const char	*cfile = NULL, *import = NULL;
	char		 err[512], *end;
	int		 ch, rc, nthreads = INGEST_THREADS;
	long		 l;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:i:t:hV", opts, NULL)) != -1)
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'i':
			import = optarg;
			break;
		case 't':
			l = strtol(optarg, &end, 10);
			if (*end != '\0' || l < 1 || l > MAX_THREADS) {
				log_errx("--threads: must be an integer from 1 "
				    "to %d", MAX_THREADS);
				return 2;
			}
			nthreads = (int)l;
			break;
		default:
			return cli_exit(ch, usage, "apimon-ingest");
		}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (conf_load(&conf, cfile, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 2;
	}
	ingest_init(&ig, &conf, import ? IMPORT_BUSY_MS : INGEST_BUSY_MS);
	if (import != NULL)
		rc = import_run(&ig, import);
	else if (FCGX_IsCGI()) {
		http_serve(&ig, &cgi);
		rc = fflush(stdout) == 0 ? 0 : 1;
	} else
		rc = serve_fcgi(&ig, nthreads);
	ingest_free(&ig);
	conf_free(&conf);
	return rc;
}
