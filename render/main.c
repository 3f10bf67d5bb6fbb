/* main.c — apimon-render: writes the static site from the rollups. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fmt.h"
#include "log.h"
#include "render.h"
#include "ts.h"


static void
usage(FILE *f)
{
	fprintf(f, "usage: apimon-render [--config FILE] [--out DIR] "
	    "[--now TIME]\n"
	    "Writes the dashboard, the request explorer with each day's raw\n"
	    "exports, reports and alert history into DIR\n"
	    "(default: site_dir of the config); --now (RFC 3339) renders\n"
	    "the site as of that moment.\n");
}

static int
keep_row(const struct db_stats *s, void *arg)
{
	struct render	*r = arg;
	struct dayrow	*d;

	if (strlen(s->key) != TZ_DAY_LEN - 1) {
		r->bad = "a daily_stats row with a malformed day";
		return 1;
	}
	if (grow(&r->rows, &r->caprows, r->nrows + 1, sizeof(*r->rows)))
		goto oom;
	d = &r->rows[r->nrows];
	memset(d, 0, sizeof(*d));
	memcpy(d->day, s->key, TZ_DAY_LEN);
	if (totals_add_stats(&d->t, s) != 0) {
		r->bad = "a daily_stats row with an invalid latency histogram";
		return 1;
	}
	if ((d->source = strdup(s->source)) == NULL ||
	    (d->model = strdup(s->model)) == NULL) {
		free(d->source);
		goto oom;
	}
	r->nrows++;
	return 0;
oom:
	r->bad = "out of memory";
	return 1;
}

/* Alerts of days after --now did not exist yet at that moment. */
static int
keep_alert(const struct alert *a, void *arg)
{
	struct render	*r = arg;
	char		 today[TZ_DAY_LEN];

	tz_day(r->now_ms, today);
	if (strcmp(a->day, today) > 0)
		return 0;
	if (grow(&r->alerts, &r->capalerts, r->nalerts + 1, sizeof(*a))) {
		r->bad = "out of memory";
		return 1;
	}
	r->alerts[r->nalerts] = *a;
	/* A silenced alert shows, marked with when the silence ends. */
	r->alerts[r->nalerts++].silenced_ms = ALERT_ACTIVE(a) ?
	    alert_silenced(a, r->silences, r->nsilences, r->now_ms) : -1;
	return 0;
}

/* Read every daily row and alert once; pages are built from memory. */
static int
load(struct render *r)
{
	int64_t		 v = -1, run = -1;
	char		 tomorrow[TS_DAY_LEN];
	enum db_rc	 rc;

	/* Rows dated after --now do not exist yet at that moment. */
	tz_day(r->now_ms, tomorrow);
	ts_day_str(ts_day_num(tomorrow) + 1, tomorrow);
	if ((rc = db_stats_each(r->db, DB_DAILY, "0000", tomorrow, keep_row,
	    r)) != DB_OK || (rc = db_silences(r->db, r->now_ms, &r->silences,
	    &r->nsilences)) != DB_OK ||
	    (rc = db_alerts_each(r->db, NULL, keep_alert, r)) !=
	    DB_OK || (rc = db_meta_get(r->db, "data_ms", &v)) != DB_OK ||
	    (rc = db_last_aggregate(r->db, &run)) != DB_OK) {
		log_errx("%s: %s", r->conf->database, rc == DB_ABORT ?
		    r->bad : db_errmsg(r->db));
		return -1;
	}
	r->data_ms = v >= 0 ? v : r->now_ms;
	/* With --now in the past, the run the page describes ran then. */
	r->run_ms = run >= 0 && run <= r->now_ms ? run : r->now_ms;
	return 0;
}

/* The catalogue's sections for <script>: escaped, or NULL (oom). */
static char *
i18n_of(const struct msg *m, const char *const *sections)
{
	struct buf	 esc = { 0 };
	char		*json;

	if ((json = msg_json(m, sections)) == NULL)
		return NULL;
	esc_json_script(&esc, json);
	cJSON_free(json);
	return buf_take(&esc);
}

/*
 * The catalogue's script sections, escaped once for every page; the
 * explorer's words only on its page.  0, or -1 (out of memory).
 */
static int
i18n_script(struct render *r)
{
	/* The scripts name days and months with Intl: no "list". */
	static const char *const sections[] = { "js", "source", NULL };
	static const char *const xp[] = { "js", "xp", "source", NULL };

	if ((r->i18n = i18n_of(r->msg, sections)) == NULL ||
	    (r->i18n_xp = i18n_of(r->msg, xp)) == NULL)
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	 conf;
	struct render	 r;
	const char	*cfile = NULL, *now = NULL, *out = NULL;
	struct buf	 tdir = { 0 };
	char		 err[PATH_MAX + 256], *share = NULL; /* names the path */
	int		 ch, rc = 1, built = 0, lockfd = -1;
	size_t		 i;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:o:n:hV", opts, NULL)) != -1)
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			now = optarg;
			break;
		default:
			return cli_exit(ch, usage, "apimon-render");
		}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	memset(&r, 0, sizeof(r));
	if (cli_setup(cfile, now, &conf, &r.now_ms) != 0)
		return 2;
	r.conf = &conf;
	r.out = out ? out : conf.site_dir;
	if ((r.share = cli_share_dir(&conf, &share)) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	buf_printf(&tdir, "%s/templates", r.share);
	if (tdir.failed) {
		log_errx("out of memory");
		goto out;
	}
	if (tpl_root(tdir.p) != 0) {
		log_errx("%s: cannot use as the template folder", tdir.p);
		goto out;
	}
	/* A locale without its catalogue is a config error. */
	if (msg_load(&r.msg, r.share, conf.locale, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		rc = 2;
		goto out;
	}
	fmt_use_msg(r.msg);
	if (i18n_script(&r) != 0) {
		log_errx("out of memory");
		goto out;
	}
	if (db_open(&r.db, conf.database, DB_READ, conf.ingest.synchronous,
	    30000, err, sizeof(err)) != DB_OK) {
		log_errx("%s", err);
		goto out;
	}
	if (load(&r) != 0 || out_lock(&r, &lockfd) != 0)
		goto out;
	/*
	 * The explorer's days first: the daily reports link their exports;
	 * reports next: the dashboard links the newest one.  Every page is
	 * staged; the site changes only when all of them are.
	 */
	built = 1;
	if (static_run(&r) || explorer_run(&r) || reports_run(&r) ||
	    dashboard_run(&r) || alerts_page_run(&r))
		goto out;
	built = 2;	/* out_commit() says what it could not do */
	if (out_commit(&r) != 0)
		goto out;
	printf("apimon-render: %s: %ld files written (%zu bytes), %ld "
	    "unchanged, %ld removed\n", r.out, r.written, r.bytes, r.unchanged,
	    r.removed);
	rc = 0;
out:
	out_abort(&r);		/* nothing is staged after a commit */
	if (rc != 0 && built == 1)
		log_errx("%s: nothing published; the site is as it was",
		    r.out);
	if (lockfd != -1)
		close(lockfd);
	db_close(r.db);
	for (i = 0; i < r.nrows; i++) {
		free(r.rows[i].source);
		free(r.rows[i].model);
	}
	free(r.rows);
	free(r.alerts);
	free(r.silences);
	free(r.xdays);
	buf_free(&tdir);
	msg_free(r.msg);
	free(r.i18n);
	free(r.i18n_xp);
	free(share);
	conf_free(&conf);
	return rc;
}
