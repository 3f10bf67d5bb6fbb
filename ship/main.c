/* main.c — apimon-ship: one locked run, --follow, or --init. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../cron/cron.h"	/* lock_take() */
#include "cli.h"
#include "log.h"
#include "ship.h"
#include "ts.h"

#define SHIP_BUSY_MS	30000	/* wait this long for ingest's short locks */
#define FOLLOW_POLL_MS	1000	/* --follow: look for new rows this often */
#define BACKOFF_MAX_MS	60000	/* --follow: wait at most this after errors */

static volatile int	 stop;

static void
usage(FILE *f)
{
	fprintf(f, "usage: apimon-ship [--config FILE] [--follow]\n"
	    "       apimon-ship [--config FILE] --init\n"
	    "Sends the rows that apimon-ingest stored and ClickHouse does not\n"
	    "hold yet, in batches, then deletes shipped rows older than\n"
	    "ship.keep_days; prints \"shipped N rows in M batches\".  One run\n"
	    "at a time (DATABASE.ship.lock); --follow keeps shipping.\n"
	    "--init creates apimon's tables on every ClickHouse node.\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Sleep ms, or less when a signal asks to stop. */
static void
nap(int64_t ms)
{
	struct timespec	 ts;
	int64_t		 end = ts_mono_ms() + ms;

	while (!stop && ts_mono_ms() < end) {
		ms = end - ts_mono_ms();
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* One round and its purge; 0 or -1 (said). */
static int
round_trip(struct ship *s, long *purged)
{
	*purged = 0;
	if (ship_round(s))
		return -1;
	return ship_purge(s, ts_now_ms(), purged);
}

static int
follow(struct ship *s)
{
	int64_t	 backoff = 0;
	long	 rows, batches, purged;

	while (!stop) {
		rows = s->rows;
		batches = s->batches;
		if (round_trip(s, &purged) != 0) {
			/* Rows wait in SQLite; ClickHouse may come back. */
			backoff = backoff ? backoff * 2 : 1000;
			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
			nap(backoff);
			continue;
		}
		backoff = 0;
		if (s->rows > rows || purged > 0) {
			printf("shipped %ld rows in %ld batches\n",
			    s->rows - rows, s->batches - batches);
			if (fflush(stdout) == EOF)
				return 1;
		}
		nap(FOLLOW_POLL_MS);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "init", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	struct conf	 conf;
	struct ship	 s;
	const char	*cfile = NULL;
	char		 err[PATH_MAX + 256], *lock = NULL;
	int64_t		 now;
	long		 purged;
	int		 ch, rc = 1, init = 0, fol = 0, fd = -1;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:fihV", opts, NULL)) != -1)
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'f':
			fol = 1;
			break;
		case 'i':
			init = 1;
			break;
		default:
			return cli_exit(ch, usage, "apimon-ship");
		}
	if (optind != argc || init + fol > 1) {
		usage(stderr);
		return 2;
	}
	if (cli_setup(cfile, NULL, &conf, &now) != 0)
		return 2;
	memset(&s, 0, sizeof(s));
	if (conf.clickhouse.url == NULL || (!init && conf.ship.host == NULL)) {
		log_errx("%s: no \"%s\" section: see docs/scale.md",
		    conf.path ? conf.path : "(built-in defaults)",
		    conf.clickhouse.url == NULL ? "clickhouse" : "ship");
		conf_free(&conf);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (init) {
		rc = ship_init(&conf);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Beside the database, like apimon-cron's: a folder apimon owns. */
	if (asprintf(&lock, "%s.ship.lock", conf.database) == -1) {
		lock = NULL;
		log_errx("out of memory");
		goto out;
	}
	if ((fd = lock_take(lock, err, sizeof(err))) == LOCK_HELD) {
		/* From cron, the run under way does this one's work. */
		if (fol)
			log_errx("another apimon-ship holds %s", lock);
		else {
			printf("shipped 0 rows in 0 batches\n");
			rc = fflush(stdout) == EOF;
		}
		goto out;
	}
	if (fd == LOCK_FAIL) {
		log_errx("%s", err);
		goto out;
	}
	s.conf = &conf;
	s.stop = &stop;
	if (db_open(&s.db, conf.database, DB_WRITE, conf.ingest.synchronous,
	    SHIP_BUSY_MS, err, sizeof(err)) != DB_OK) {
		log_errx("%s", err);
		goto out;
	}
	if ((s.ch = ch_new(conf.clickhouse.url, &conf.clickhouse)) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	if (fol)
		rc = follow(&s);
	else if (round_trip(&s, &purged) == 0) {
		printf("shipped %ld rows in %ld batches\n", s.rows, s.batches);
		rc = fflush(stdout) == EOF;
		if (rc)
			log_errx("cannot write to stdout");
	}
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	ch_free(s.ch);
	db_close(s.db);
	conf_free(&conf);
	curl_global_cleanup();
	return rc;
}
