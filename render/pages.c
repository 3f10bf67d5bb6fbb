/* pages.c — alert history, the API reference, assets; page(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "render.h"
#include "ts.h"

int
page(struct render *r, const char *file, struct tpl *t, const char *rel)
{
	char	*html;
	size_t	 len;
	int	 rc;

	if ((html = tpl_expand(file, t, &len)) == NULL) {
		log_errx("%s/templates/%s: cannot expand (missing or invalid "
		    "template)", r->share, file);
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
alerts_page_run(struct render *r)
{
	struct tpl	*t = tpl_new(), *row;
	char		 buf[TS_RFC3339_LEN];
	size_t		 i;
	int		 rc;

	if (t == NULL)
		return -1;
	if (r->nalerts == 0)
		tpl_show(t, "NO_ALERTS");
	for (i = 0; i < r->nalerts; i++) {
		const struct alert *a = &r->alerts[i];
		row = tpl_section(t, "ALERT");
		tpl_set(row, "DAY", a->day);
		tpl_set(row, "RULE", alert_rule_name(a->rule));
		tpl_set(row, "SCOPE", a->scope);
		tpl_set(row, "SEVERITY", alert_severity_name(a->severity));
		tpl_set(row, "STATE", alert_state_name(a->state));
		tpl_set(row, "MESSAGE", a->message);
		ts_format_rfc3339(a->fired_ms, buf);
		tpl_set(row, "FIRED", buf);
		ts_format_rfc3339(a->updated_ms, buf);
		tpl_set(row, "UPDATED", buf);
		if (a->resolved_ms >= 0) {
			ts_format_rfc3339(a->resolved_ms, buf);
			tpl_set(row, "RESOLVED", buf);
		}
	}
	tpl_set(t, "TIMEZONE", r->conf->timezone);
	rc = page(r, "alerts.tpl", t, "alerts.html");
	tpl_free(t);
	return rc;
}

/* Assets, and the API reference page, which has no data in it. */
int
static_run(struct render *r)
{
	static const char *const assets[] = { "style.css", "dashboard.js",
	    "report.js" };
	static const char *const chartjs[] = {
	    "/usr/share/javascript/chart.js/chart.umd.js",
	    "/usr/share/javascript/chart.js/chart.min.js",
	    "/usr/share/javascript/chart.js/Chart.min.js" };
	struct tpl	*t;
	char		 src[4096], dst[64];
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		snprintf(src, sizeof(src), "%s/site/%s", r->share, assets[i]);
		snprintf(dst, sizeof(dst), "assets/%s", assets[i]);
		rc |= out_copy(r, src, dst);
	}
	for (i = 0; i < sizeof(chartjs) / sizeof(chartjs[0]); i++)
		if (access(chartjs[i], R_OK) == 0)
			break;
	if (i == sizeof(chartjs) / sizeof(chartjs[0])) {
		log_errx("Chart.js not found under /usr/share/javascript/"
		    "chart.js (apt-get install libjs-chart.js)");
		return -1;
	}
	rc |= out_copy(r, chartjs[i], "assets/chart.min.js");
	if ((t = tpl_new()) == NULL)
		return -1;
	rc |= page(r, "api.tpl", t, "docs/api.html");
	tpl_free(t);
	return rc;
}
