/* main.c — apimon-aggregate: the job cron runs every minute. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "agg.h"
#include "cli.h"
#include "fmt.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: apimon-aggregate [--config FILE] [--rebuild] "
	    "[--now TIME]\n"
	    "       apimon-aggregate [--config FILE] --silence RULE[:SCOPE] "
	    "--for DURATION\n"
	    "                        [--comment TEXT]\n"
	    "       apimon-aggregate [--config FILE] --silences | "
	    "--unsilence ID\n"
	    "Rolls new requests up by hour and day, judges the alert rules,\n"
	    "delivers notifications and deletes raw rows past retention.\n"
	    "--rebuild recomputes every rollup; --now (RFC 3339) fixes now.\n"
	    "--silence holds back what the alerts of RULE (* for any) and\n"
	    "SCOPE send, for DURATION (30m, 2h, 1d, 1w); --silences lists the\n"
	    "silences in force and --unsilence lifts one.\n");
}

/* Whether a budget of the config is a user's. */
static int
user_budgets(const struct conf *c)
{
	size_t	 i;

	for (i = 0; i < c->alerts.nbudgets; i++)
		if (strncmp(c->alerts.budgets[i].scope, "user:", 5) == 0)
			return 1;
	return 0;
}

static int
run(struct agg *a, int rebuild)
{
	int	 ch = a->conf->clickhouse.url != NULL;

	if (db_user_index(a->db, user_budgets(a->conf)) != DB_OK) {
		log_errx("%s: user index: %s", a->conf->database,
		    db_errmsg(a->db));
		return 1;
	}
	if ((ch ? ch_rollup_run(a, rebuild) : rollup_run(a, rebuild)) ||
	    alerts_run(a) || (ch ? ch_rollup_done(a) : rollup_done(a)) ||
	    (ch ? ch_retention_run(a) : retention_run(a)))
		return 1;
	/* data_ms dates the site: it moves only when the rollups did. */
	if (db_meta_set(a->db, "last_aggregate_ms", a->now_ms) != DB_OK ||
	    (a->n.rows > 0 &&
	    db_meta_set(a->db, "data_ms", a->now_ms) != DB_OK)) {
		log_errx("%s: %s", a->conf->database, db_errmsg(a->db));
		return 1;
	}
	/* Deliveries run last and never undo what is committed above. */
	return notify_run(a) ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rebuild", no_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "silence", required_argument, NULL, 's' },
		{ "for", required_argument, NULL, 'f' },
		{ "comment", required_argument, NULL, 'm' },
		{ "silences", no_argument, NULL, 'l' },
		{ "unsilence", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	 conf;
	struct agg	 a;
	const char	*cfile = NULL, *now = NULL, *share, *silence = NULL;
	const char	*dur = NULL, *comment = NULL, *unsilence = NULL;
	struct msg	*m = NULL;
	char		 err[PATH_MAX + 256], *own;	/* err names a path */
	int		 ch, rc = 1, rebuild = 0, list = 0;
	size_t		 i;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:rn:s:f:m:lu:hV", opts,
	    NULL)) != -1)
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'r':
			rebuild = 1;
			break;
		case 'n':
			now = optarg;
			break;
		case 's':
			silence = optarg;
			break;
		case 'f':
			dur = optarg;
			break;
		case 'm':
			comment = optarg;
			break;
		case 'l':
			list = 1;
			break;
		case 'u':
			unsilence = optarg;
			break;
		default:
			return cli_exit(ch, usage, "apimon-aggregate");
		}
	/* One command at a time; --for and --comment go with --silence. */
	if (optind != argc || (silence != NULL) + list + (unsilence != NULL) +
	    rebuild > 1 || ((dur != NULL || comment != NULL) &&
	    silence == NULL)) {
		usage(stderr);
		return 2;
	}
	memset(&a, 0, sizeof(a));
	if (cli_setup(cfile, now, &conf, &a.now_ms) != 0)
		return 2;
	a.conf = &conf;
	if (conf.ship.host != NULL) {
		/* Its database is a queue that apimon-ship empties. */
		log_errx("%s: \"ship\": an ingest host's config; run "
		    "apimon-aggregate with the reporting host's (docs/scale.md)",
		    conf.path);
		conf_free(&conf);
		return 2;
	}
	/* Alerts and notifications speak the config's locale. */
	if ((share = cli_share_dir(&conf, &own)) == NULL) {
		log_errx("out of memory");
		conf_free(&conf);
		return 1;
	}
	if (msg_load(&m, share, conf.locale, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		free(own);
		conf_free(&conf);
		return 2;
	}
	free(own);
	a.msg = m;
	fmt_use_msg(m);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (conf.nnotify > 0 &&
	    (a.notifiers = calloc(conf.nnotify, sizeof(char *))) == NULL)
		goto out;
	for (i = 0; i < conf.nnotify; i++)
		if ((a.notifiers[i] = conf_notify_key(&conf.notify[i])) == NULL)
			goto out;
	if (db_open(&a.db, conf.database, DB_WRITE, conf.ingest.synchronous,
	    AGG_BUSY_MS, err, sizeof(err)) != DB_OK) {
		log_errx("%s", err);
		goto out;
	}
	if (silence != NULL || list || unsilence != NULL) {
		rc = silence != NULL ? silence_add(&a, silence, dur, comment) :
		    list ? silence_list(&a) : silence_lift(&a, unsilence);
		goto out;
	}
	if ((rc = run(&a, rebuild)) == 0)
		printf("apimon-aggregate: %ld rows rolled up over %ld days; "
		    "alerts %ld fired, %ld escalated, %ld resolved, %ld closed, "
		    "%ld repeated, %ld held back; %ld old rows deleted; "
		    "%ld digests; notifications %ld delivered, %ld failed\n",
		    a.n.rows, a.n.days, a.n.fired, a.n.escalated, a.n.resolved,
		    a.n.closed, a.n.repeated, a.n.held, a.n.purged,
		    a.n.digests, a.n.delivered, a.n.failed);
out:
	ch_rollup_free(&a);
	db_close(a.db);
	for (i = 0; a.notifiers != NULL && i < conf.nnotify; i++)
		free(a.notifiers[i]);
	free(a.notifiers);
	for (i = 0; i < a.ndays; i++)
		free(a.days[i]);
	free(a.days);
	free(a.silences);
	msg_free(m);
	conf_free(&conf);
	curl_global_cleanup();
	return rc;
}
