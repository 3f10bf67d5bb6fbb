/* pages.c — alert history, the API reference, assets; page(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "render.h"
#include "ts.h"

/*
 * The navigation of the page rel (nav.tpl as NAV): the way back to the
 * root of the site, one "../" per folder, and which link is the page
 * itself.  A failure is recorded in t.
 */
static void
nav(struct tpl *t, const char *rel)
{
	static const struct {
		const char	*prefix, *section;
	} at[] = {
		{ "index.html", "AT_DASHBOARD" },
		{ "reports/", "AT_REPORTS" },
		{ "alerts.html", "AT_ALERTS" },
		{ "docs/", "AT_API" },
	};
	struct tpl	*n = tpl_include(t, "NAV", "nav.tpl");
	struct buf	 root = { 0 };
	const char	*p;
	size_t		 i;

	for (p = rel; (p = strchr(p, '/')) != NULL; p++)
		buf_puts(&root, "../");
	if (root.failed)
		tpl_set(n, NULL, NULL);	/* out of memory: marks t failed */
	else
		tpl_set(n, "ROOT", root.p);	/* NULL: "" */
	buf_free(&root);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (strncmp(rel, at[i].prefix, strlen(at[i].prefix)) == 0)
			tpl_show(n, at[i].section);
}

static void
set_word(const char *key, const char *text, void *arg)
{
	struct tpl	*t = arg;
	char		 name[96];

	/* A key too long for a marker name fails the page in tpl_set(). */
	tpl_set(t, fixed_printf(name, sizeof(name), "L_%s", key) == 0 ?
	    name : NULL, text);
}

int
page(struct render *r, const char *file, struct tpl *t, const char *rel)
{
	char	*html;
	size_t	 len;
	int	 rc;

	/* Every page speaks the config's locale: L_key, LANG, I18N_JSON. */
	msg_each(r->msg, "ui", set_word, t);
	tpl_set(t, "LANG", msg_get(r->msg, "ui", "html_lang"));
	tpl_set(t, "I18N_JSON", r->i18n);
	nav(t, rel);
	if (tpl_failed(t)) {
		log_errx("%s: out of memory while filling %s", rel, file);
		return -1;
	}
	if ((html = tpl_expand(file, t, &len)) == NULL) {
		log_errx("%s: %s/templates/%s: cannot expand (missing or "
		    "invalid template, or out of memory)", rel, r->share, file);
		return -1;
	}
	rc = out_write(r, rel, html, len);
	free(html);
	return rc;
}

void
tpl_from_json(struct tpl *t, const cJSON *o, const char *const *pairs)
{
	for (; pairs[0] != NULL; pairs += 2)
		tpl_set(t, pairs[0], cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, pairs[1])));
}

int
page_set_num(struct tpl *t, const char *key, double v, int decimals,
    const char *suffix)
{
	char	 buf[400];	/* room for %f of the largest double */

	if (fixed_printf(buf, sizeof(buf), "%.*f%s", decimals, v, suffix) != 0)
		return -1;
	tpl_set(t, key, buf);
	return 0;
}

/* One row of the history; a failure is recorded in t. */
static void
alert_row(struct tpl *t, const struct alert *a)
{
	static const char *const keys[][2] = { { "FIRED", "FIRED_ISO" },
	    { "UPDATED", "UPDATED_ISO" }, { "RESOLVED", "RESOLVED_ISO" } };
	struct tpl	*row = tpl_section(t, "ALERT"), *sil;
	char		 buf[TS_RFC3339_LEN];
	int64_t		 ms[3] = { a->fired_ms, a->updated_ms, a->resolved_ms };
	int		 i;

	if (row == NULL)
		return;		/* recorded in t: page() fails */
	tpl_set(row, "DAY", a->day);
	tpl_set(row, "RULE", alert_rule_name(a->rule));
	tpl_set(row, "SCOPE", a->scope);
	tpl_set(row, "SEVERITY", alert_severity_name(a->severity));
	tpl_set(row, "STATE", alert_state_name(a->state));
	tpl_set(row, "MESSAGE", a->message);
	/* Local times for people, the instant for machines. */
	for (i = 0; i < 3; i++) {
		if (ms[i] < 0)
			continue;
		ts_format_rfc3339(ms[i], buf);
		tpl_set(row, keys[i][1], buf);
		format_local_time(ms[i], buf, sizeof(buf));
		tpl_set(row, keys[i][0], buf);
	}
	if (a->resolved_ms >= 0)
		tpl_show(row, "HAS_RESOLVED");
	if (a->silenced_ms > 0 && (sil = tpl_section(row, "SILENCED")) != NULL) {
		ts_format_rfc3339(a->silenced_ms, buf);
		tpl_set(sil, "SILENCED_ISO", buf);
		format_local_time(a->silenced_ms, buf, sizeof(buf));
		tpl_set(sil, "SILENCED_UNTIL", buf);
	}
}

/*
 * The newest ALERTS_PAGE_MAX alerts, so that the page stays one a browser
 * can open; the page says how many older ones it leaves out, and the
 * reports list every alert of their period.
 */
int
alerts_page_run(struct render *r)
{
	struct tpl	*t;
	char		 older[96];
	size_t		 i, shown = r->nalerts;
	int		 rc;

	if ((t = tpl_new()) == NULL) {
		log_errx("alerts.html: out of memory");
		return -1;
	}
	if (r->nalerts == 0)
		tpl_show(t, "NO_ALERTS");
	if (shown > ALERTS_PAGE_MAX) {
		shown = ALERTS_PAGE_MAX;
		if (fixed_printf(older, sizeof(older), "%zu older alert%s",
		    r->nalerts - shown, r->nalerts - shown == 1 ? " is" :
		    "s are") != 0) {
			log_errx("alerts.html: note too long");
			tpl_free(t);
			return -1;
		}
		tpl_show(t, "OLDER");
		tpl_set_int(t, "SHOWN", (long)shown);
		tpl_set_int(t, "TOTAL", (long)r->nalerts);
		tpl_set(t, "OLDER_ALERTS", older);
	}
	for (i = 0; i < shown && !tpl_failed(t); i++)
		alert_row(t, &r->alerts[i]);
	tpl_set(t, "TIMEZONE", r->conf->timezone);
	rc = page(r, "alerts.tpl", t, "alerts.html");
	tpl_free(t);
	return rc;
}

/* Copy share/site/NAME to assets/NAME; 0, or -1 with a message. */
static int
asset(struct render *r, const char *name)
{
	struct buf	 src = { 0 }, dst = { 0 };
	int		 rc = -1;

	buf_printf(&src, "%s/site/%s", r->share, name);
	buf_printf(&dst, "assets/%s", name);
	if (src.failed || dst.failed)
		log_errx("assets/%s: out of memory", name);
	else
		rc = out_copy(r, src.p, dst.p);
	buf_free(&src);
	buf_free(&dst);
	return rc;
}

/* Assets, and the API reference page, which has no data in it. */
int
static_run(struct render *r)
{
	static const char *const assets[] = { "style.css", "format.js",
	    "dashboard.js", "report.js" };
	static const char *const chartjs[] = {
	    "/usr/share/javascript/chart.js/chart.umd.js",
	    "/usr/share/javascript/chart.js/chart.min.js",
	    "/usr/share/javascript/chart.js/Chart.min.js" };
	struct tpl	*t;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (asset(r, assets[i]) != 0)
			return -1;
	for (i = 0; i < sizeof(chartjs) / sizeof(chartjs[0]); i++)
		if (access(chartjs[i], R_OK) == 0)
			break;
	if (i == sizeof(chartjs) / sizeof(chartjs[0])) {
		log_errx("Chart.js not found under /usr/share/javascript/"
		    "chart.js (apt-get install libjs-chart.js)");
		return -1;
	}
	if (out_copy(r, chartjs[i], "assets/chart.min.js") != 0)
		return -1;
	if ((t = tpl_new()) == NULL) {
		log_errx("docs/api.html: out of memory");
		return -1;
	}
	rc = page(r, "api.tpl", t, "docs/api.html");
	tpl_free(t);
	return rc;
}
