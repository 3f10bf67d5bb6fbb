/* pages.c — page() and the words of a page; alert history, API reference, assets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
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
		{ "requests.html", "AT_REQUESTS" },
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

/*
 * A catalogue text with `code` in it, as the include R_key (rich.tpl):
 * one PART per piece between backticks, every other one CODE.  A
 * failure is recorded in t.
 */
static void
set_rich(struct tpl *t, const char *name, const char *text)
{
	struct tpl	*inc = tpl_include(t, name, "rich.tpl"), *part;
	struct buf	 piece = { 0 };
	const char	*tick;
	size_t		 n;
	int		 code = 0;

	for (;; code = !code) {
		n = (tick = strchr(text, '`')) != NULL ? (size_t)(tick - text) :
		    strlen(text);
		if (n > 0) {
			piece.len = 0;
			buf_add(&piece, text, n);
			part = tpl_section(inc, "PART");
			if (piece.failed)
				tpl_set(part, NULL, NULL);  /* marks t failed */
			else if (code) {
				tpl_show(part, "CODE");
				tpl_set(part, "C", piece.p);
			} else
				tpl_set(part, "TEXT", piece.p);
		}
		if (tick == NULL)
			break;
		text = tick + 1;
	}
	buf_free(&piece);
}

/* One word of the page: L_key everywhere in it, R_key for `code`. */
static void
set_word(const char *key, const char *text, void *arg)
{
	struct tpl	*t = arg;
	char		 name[96];

	/* A key too long for a marker name fails the page in tpl_set(). */
	tpl_set_global(t, fixed_printf(name, sizeof(name), "L_%s", key) == 0 ?
	    name : NULL, text);
	if (strchr(text, '`') != NULL)
		set_rich(t, fixed_printf(name, sizeof(name), "R_%s", key) == 0 ?
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
	tpl_set(t, "I18N_JSON", strcmp(rel, "requests.html") == 0 ?
	    r->i18n_xp : r->i18n);
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
tpl_msg(struct tpl *t, const char *var, const struct msg *m,
    const char *key, ...)
{
	struct buf	 b = { 0 };
	va_list		 ap;

	va_start(ap, key);
	msg_vfmt(m, &b, "ui", key, ap);
	va_end(ap);
	/* Out of memory: a NULL key marks t failed. */
	tpl_set(t, b.failed ? NULL : var, b.p);
	buf_free(&b);
}

/* The catalogue's ui text of prefix_name ("severity_warning"). */
static const char *
word(const struct render *r, const char *prefix, const char *name)
{
	char	 key[96];

	return fixed_printf(key, sizeof(key), "%s_%s", prefix, name) == 0 ?
	    msg_get(r->msg, "ui", key) : name;
}

void
alert_words(const struct render *r, struct tpl *row, const char *rule,
    const char *severity, const char *state, const char *scope)
{
	struct buf	 b = { 0 };

	if (rule != NULL)
		tpl_set(row, "RULE_TEXT", word(r, "rule", rule));
	tpl_set(row, "SEVERITY_TEXT", word(r, "severity", severity));
	tpl_set(row, "STATE_TEXT", word(r, "state", state));
	alert_scope_text(r->msg, scope, &b);
	tpl_set(row, b.failed ? NULL : "SCOPE_TEXT", b.p);
	buf_free(&b);
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
	char	 buf[FMT_LEN];

	if (fmt_num(v, decimals, suffix, buf, sizeof(buf)) == NULL)
		return -1;
	tpl_set(t, key, buf);
	return 0;
}

/* One row of the history; a failure is recorded in t. */
static void
alert_row(struct render *r, struct tpl *t, const struct alert *a)
{
	static const char *const keys[][2] = { { "FIRED", "FIRED_ISO" },
	    { "UPDATED", "UPDATED_ISO" }, { "RESOLVED", "RESOLVED_ISO" } };
	struct tpl	*row = tpl_section(t, "ALERT"), *sil;
	char		 buf[128];
	int64_t		 ms[3] = { a->fired_ms, a->updated_ms, a->resolved_ms };
	int		 i;

	if (row == NULL)
		return;		/* recorded in t: page() fails */
	tpl_set(row, "DAY", a->day);
	tpl_set(row, "SEVERITY", alert_severity_name(a->severity));
	tpl_set(row, "STATE", alert_state_name(a->state));
	alert_words(r, row, alert_rule_name(a->rule),
	    alert_severity_name(a->severity), alert_state_name(a->state),
	    a->scope);
	tpl_set(row, "MESSAGE", a->message);
	/* Local times for people, the instant for machines. */
	for (i = 0; i < 3; i++) {
		if (ms[i] < 0)
			continue;
		ts_format_rfc3339(ms[i], buf);
		tpl_set(row, keys[i][1], buf);
		/* A time that does not fit loses its value: the page fails. */
		tpl_set(row, format_local_time(r->msg, ms[i], buf,
		    sizeof(buf)) == 0 ? keys[i][0] : NULL, buf);
	}
	if (a->resolved_ms >= 0)
		tpl_show(row, "HAS_RESOLVED");
	if (a->silenced_ms > 0 && (sil = tpl_section(row, "SILENCED")) != NULL) {
		ts_format_rfc3339(a->silenced_ms, buf);
		tpl_set(sil, "SILENCED_ISO", buf);
		tpl_set(sil, format_local_time(r->msg, a->silenced_ms, buf,
		    sizeof(buf)) == 0 ? "SILENCED_UNTIL" : NULL, buf);
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
	struct buf	 older = { 0 };
	char		 n[3][24];
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
		snprintf(n[0], sizeof(n[0]), "%zu", r->nalerts - shown);
		snprintf(n[1], sizeof(n[1]), "%zu", shown);
		snprintf(n[2], sizeof(n[2]), "%zu", r->nalerts);
		msg_fmt(r->msg, &older, "ui", r->nalerts - shown == 1 ?
		    "alerts_older_one" : "alerts_older_many", "n", n[0], NULL);
		tpl_show(t, "OLDER");
		if (older.failed)
			tpl_set(t, NULL, NULL);	/* marks t failed */
		else
			tpl_msg(t, "OLDER_TEXT", r->msg, "alerts_older",
			    "shown", n[1], "total", n[2], "older", older.p,
			    NULL);
		buf_free(&older);
	}
	for (i = 0; i < shown && !tpl_failed(t); i++)
		alert_row(r, t, &r->alerts[i]);
	tpl_msg(t, "META", r->msg, "alerts_meta", "zone", r->conf->timezone,
	    NULL);
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
	    "dashboard.js", "report.js", "explorer.js", "explorer.css",
	    "charts.js" };
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
