/* main.c — apimon-ingest: FastCGI responder, CGI program, bulk importer. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "ingest.h"
#include "log.h"

#define VERSION	"0.1.0"

static volatile sig_atomic_t stopping;

static void
usage(FILE *f)
{
	fprintf(f, "usage: apimon-ingest [--config FILE] [--import FILE|-]\n"
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

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/* Serve until SIGTERM/SIGINT; a request in progress is finished first. */
static int
serve_fcgi(struct ingest *ig)
{
	FCGX_Request		 req;
	struct http_io		 io = { &req, fcgi_param, fcgi_read, fcgi_write };
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: interrupt accept() */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		log_errx("cannot initialise FastCGI");
		return 1;
	}
	while (!stopping && FCGX_Accept_r(&req) >= 0) {
		http_serve(ig, &io);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "import", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	 conf;
	struct ingest	 ig;
	struct http_io	 cgi = { NULL, cgi_param, cgi_read, cgi_write };
	const char	*cfile = NULL, *import = NULL;
	char		 err[512];
	int		 ch, rc;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:i:hV", opts, NULL)) != -1)
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'i':
			import = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("apimon-ingest " VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (conf_load(&conf, cfile, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 2;
	}
	memset(&ig, 0, sizeof(ig));
	ig.conf = &conf;
	ig.busy_ms = import ? IMPORT_BUSY_MS : INGEST_BUSY_MS;
	if (import != NULL)
		rc = import_run(&ig, import);
	else if (FCGX_IsCGI()) {
		http_serve(&ig, &cgi);
		rc = fflush(stdout) == 0 ? 0 : 1;
	} else
		rc = serve_fcgi(&ig);
	db_close(ig.db);
	conf_free(&conf);
	return rc;
}
