/* conf.c — the JSON config file of DESIGN.md, with built-in defaults. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conf.h"
#include "conf_int.h"
#include "json.h"
#include "money.h"
#include "rec.h"
#include "utf8.h"

#define CONF_MAX_BYTES	(1 << 20)

int
fail(struct ctx *x, const char *prefix, const char *key, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s: \"%s%s\": %s", x->file, prefix, key,
	    msg);
	return -1;
}

/* prefix names the object, with its trailing dot: "ingest.". */
int
check_keys(struct ctx *x, const cJSON *obj, const char *prefix,
    const char *const *keys)
{
	const cJSON		*it;
	const char *const	*k;
	size_t			 n = strlen(prefix);

	if (!cJSON_IsObject(obj)) {
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(n > 0 ? n - 1 : 0),
		    prefix);
		return fail(x, "", name, "must be an object");
	}
	cJSON_ArrayForEach(it, obj) {
		for (k = keys; *k != NULL; k++)
			if (strcmp(*k, it->string) == 0)
				break;
		if (*k == NULL)
			return fail(x, prefix, it->string, "unknown key");
	}
	return 0;
}

/* Replace *out with a copy of obj[name] when present. */
int
get_string(struct ctx *x, const cJSON *obj, const char *prefix,
    const char *name, int nonempty, char **out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);
	char		*s;

	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || (nonempty && v->valuestring[0] == '\0'))
		return fail(x, prefix, name, nonempty ?
		    "must be a non-empty string" : "must be a string");
	if ((s = strdup(v->valuestring)) == NULL)
		return fail(x, prefix, name, "out of memory");
	free(*out);
	*out = s;
	return 0;
}

int
get_long(struct ctx *x, const cJSON *obj, const char *prefix,
    const char *name, long min, long max, long *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < min || v->valuedouble > max)
		return fail(x, prefix, name,
		    "must be an integer from %ld to %ld", min, max);
	*out = (long)v->valuedouble;
	return 0;
}

/* *out = obj[name] as 0 or 1 when present. */
static int
get_bool(struct ctx *x, const cJSON *obj, const char *prefix,
    const char *name, int *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (v == NULL)
		return 0;
	if (!cJSON_IsBool(v))
		return fail(x, prefix, name, "must be true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int
get_double(struct ctx *x, const cJSON *obj, const char *prefix,
    const char *name, double min, double max, double *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < min || v->valuedouble > max)
		return fail(x, prefix, name, "must be a number from %g to %g",
		    min, max);
	*out = v->valuedouble;
	return 0;
}

/* A zone is a TZif file under /usr/share/zoneinfo (folders and tables are not). */
static int
valid_timezone(const char *tz)
{
	char	 path[512], magic[4];
	FILE	*f;
	int	 ok;

	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (tz[0] == '/' || strstr(tz, "..") != NULL ||
	    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz) >=
	    (int)sizeof(path) || (f = fopen(path, "rb")) == NULL)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

static int
parse_ingest(struct ctx *x, struct conf *c, const cJSON *o)
{
	static const char *const keys[] = { "token", "max_body_bytes",
	    "max_batch", "command_max_chars", "synchronous", NULL };
	const char	*p = "ingest.";
	char		*sync = NULL;
	int		 rc = -1;

	if (check_keys(x, o, p, keys) ||
	    get_string(x, o, p, "token", 0, &c->ingest.token) ||
	    get_long(x, o, p, "max_body_bytes", 1024, 256L << 20,
	    &c->ingest.max_body_bytes) ||
	    get_long(x, o, p, "max_batch", 1, 100000, &c->ingest.max_batch) ||
	    get_long(x, o, p, "command_max_chars", 1, 100000,
	    &c->ingest.command_max_chars) ||
	    get_string(x, o, p, "synchronous", 1, &sync))
		goto out;
	if (sync != NULL) {
		if (strcmp(sync, "off") == 0)
			c->ingest.synchronous = CONF_SYNC_OFF;
		else if (strcmp(sync, "normal") == 0)
			c->ingest.synchronous = CONF_SYNC_NORMAL;
		else if (strcmp(sync, "full") == 0)
			c->ingest.synchronous = CONF_SYNC_FULL;
		else {
			fail(x, p, "synchronous",
			    "must be \"off\", \"normal\" or \"full\"");
			goto out;
		}
	}
	rc = 0;
out:
	free(sync);
	return rc;
}

/* "all", or KIND:NAME of a kind a budget can hold. */
static int
valid_scope(const char *s)
{
	static const char *const kinds[] = { "source:", "model:", "user:" };
	size_t	 i, n;

	if (strcmp(s, "all") == 0)
		return 1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i]);
		if (strncmp(s, kinds[i], n) == 0 && s[n] != '\0')
			return 1;
	}
	return 0;
}

static int
parse_budgets(struct ctx *x, struct conf *c, const cJSON *a)
{
	static const char *const keys[] = { "scope", "daily_cost_usd",
	    "monthly_cost_usd", NULL };
	const cJSON		*it;
	struct conf_budget	*b;
	char			 p[48];
	double			 day, month;
	size_t			 n;

	if (!cJSON_IsArray(a))
		return fail(x, "alerts.", "budgets", "must be an array");
	n = (size_t)cJSON_GetArraySize(a);
	/* Each is judged on every run for every day it touches. */
	if (n > CONF_MAX_BUDGETS)
		return fail(x, "alerts.", "budgets", "must have at most %d "
		    "entries", CONF_MAX_BUDGETS);
	if (n > 0 && (c->alerts.budgets = calloc(n, sizeof(*b))) == NULL)
		return fail(x, "alerts.", "budgets", "out of memory");
	cJSON_ArrayForEach(it, a) {
		snprintf(p, sizeof(p), "alerts.budgets[%zu].",
		    c->alerts.nbudgets);
		b = &c->alerts.budgets[c->alerts.nbudgets++];
		day = month = 0;
		if (check_keys(x, it, p, keys) ||
		    get_string(x, it, p, "scope", 1, &b->scope) ||
		    get_double(x, it, p, "daily_cost_usd", 0, MONEY_MAX_USD,
		    &day) || get_double(x, it, p, "monthly_cost_usd", 0,
		    MONEY_MAX_USD * 31, &month))
			return -1;
		if (b->scope == NULL || !valid_scope(b->scope))
			return fail(x, p, "scope", "must be \"all\", "
			    "\"source:NAME\", \"model:NAME\" or \"user:ID\"");
		if (day <= 0 && month <= 0)
			return fail(x, p, "daily_cost_usd", "a budget needs "
			    "daily_cost_usd or monthly_cost_usd above 0");
		money_from_usd(day, &b->daily_nusd);
		money_from_usd(month, &b->monthly_nusd);
	}
	return 0;
}

/*
 * What the budgets ask of the rest of the config: one budget a scope (two
 * would judge one alert), source ids as ingest stores them, and a user's
 * month needs the month's raw rows (users have no rollups).
 */
static int
check_budgets(struct ctx *x, struct conf *c)
{
	struct conf_budget	*b;
	char			 p[48];
	size_t			 i, k;

	for (i = 0; i < c->alerts.nbudgets; i++) {
		b = &c->alerts.budgets[i];
		snprintf(p, sizeof(p), "alerts.budgets[%zu].", i);
		if (strncmp(b->scope, "source:", 7) == 0)
			for (k = 7; b->scope[k] != '\0'; k++)
				b->scope[k] = (char)tolower(
				    (unsigned char)b->scope[k]);
		for (k = 0; k < i; k++)
			if (strcmp(c->alerts.budgets[k].scope, b->scope) == 0)
				return fail(x, p, "scope", "\"%s\" has a "
				    "budget already (alerts.budgets[%zu])",
				    b->scope, k);
		if (strncmp(b->scope, "user:", 5) == 0 && b->monthly_nusd > 0 &&
		    c->retention_raw_days < 31)
			return fail(x, p, "monthly_cost_usd", "a user's monthly "
			    "budget needs retention.raw_days of 31 or more "
			    "(it is %ld): users are counted from raw rows",
			    c->retention_raw_days);
	}
	return 0;
}

static int
parse_alerts(struct ctx *x, struct conf *c, const cJSON *o)
{
	static const char *const keys[] = { "daily_cost_usd", "warn_ratio",
	    "error_rate", "min_requests", "latency_p95_s", "max_scopes",
	    "repeat_hours", "notify_max_age_hours", "no_data_minutes",
	    "anomaly_factor", "anomaly_min_requests", "budgets", NULL };
	const char	*p = "alerts.";
	const cJSON	*b;
	double		 cost = -1;

	if (check_keys(x, o, p, keys) ||
	    get_double(x, o, p, "daily_cost_usd", 0, MONEY_MAX_USD, &cost) ||
	    get_double(x, o, p, "warn_ratio", 0, 1, &c->alerts.warn_ratio) ||
	    get_double(x, o, p, "error_rate", 0, 1, &c->alerts.error_rate) ||
	    get_long(x, o, p, "min_requests", 0, 1000000000,
	    &c->alerts.min_requests) ||
	    get_double(x, o, p, "latency_p95_s", 0, 86400,
	    &c->alerts.latency_p95_s) ||
	    get_long(x, o, p, "max_scopes", 1, 1000, &c->alerts.max_scopes) ||
	    get_long(x, o, p, "repeat_hours", 0, 8760,
	    &c->alerts.repeat_hours) ||
	    get_long(x, o, p, "notify_max_age_hours", 0, 876000,
	    &c->alerts.notify_max_age_hours) ||
	    get_long(x, o, p, "no_data_minutes", 0, 10080,
	    &c->alerts.no_data_minutes) ||
	    get_double(x, o, p, "anomaly_factor", 0, 1000,
	    &c->alerts.anomaly_factor) ||
	    get_long(x, o, p, "anomaly_min_requests", 1, 1000000000,
	    &c->alerts.anomaly_min_requests))
		return -1;
	if (cost >= 0)
		money_from_usd(cost, &c->alerts.daily_cost_nusd);
	if ((b = cJSON_GetObjectItemCaseSensitive(o, "budgets")) != NULL)
		return parse_budgets(x, c, b);
	return 0;
}

/* An address that cannot smuggle a header or a second recipient in. */
static int
valid_address(const char *a)
{
	const char	*at = strchr(a, '@');

	return at != NULL && at != a && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && strlen(a) <= 254 &&
	    strpbrk(a, " ,;<>\"\r\n\t()[]\\") == NULL;
}

static int
parse_email(struct ctx *x, struct conf_notify *n, const cJSON *o,
    const char *p)
{
	const cJSON	*to = cJSON_GetObjectItemCaseSensitive(o, "to"), *it;
	size_t		 i = 0;

	if (n->url == NULL || (strncmp(n->url, "smtp://", 7) != 0 &&
	    strncmp(n->url, "smtps://", 8) != 0))
		return fail(x, p, "url", "must be an smtp:// or smtps:// URL");
	if (n->from == NULL || !valid_address(n->from))
		return fail(x, p, "from", "must be one e-mail address");
	if ((n->username == NULL) != (n->password == NULL))
		return fail(x, p, n->username ? "password" : "username",
		    "goes with the other: both or neither");
	if (!cJSON_IsArray(to) || cJSON_GetArraySize(to) == 0)
		return fail(x, p, "to", "must be a non-empty array of e-mail "
		    "addresses");
	if ((n->to = calloc((size_t)cJSON_GetArraySize(to) + 1,
	    sizeof(char *))) == NULL)
		return fail(x, p, "to", "out of memory");
	cJSON_ArrayForEach(it, to)
		if (!cJSON_IsString(it) || !valid_address(it->valuestring) ||
		    (n->to[i++] = strdup(it->valuestring)) == NULL)
			return fail(x, p, "to", "must be a non-empty array of "
			    "e-mail addresses");
	return 0;
}

static int
parse_notify_one(struct ctx *x, struct conf_notify *n, const cJSON *o,
    const char *p)
{
	static const char *const keys[] = { "type", "argv", "url",
	    "bot_token", "chat_id", "username", "password", "from", "to",
	    "starttls", "ca_file", "digest", NULL };
	const cJSON	*argv, *it;
	size_t		 i = 0;

	n->starttls = 1;	/* smtp:// sends nothing in the clear unless told */
	if (check_keys(x, o, p, keys) || get_string(x, o, p, "type", 1,
	    &n->type) || get_string(x, o, p, "url", 1, &n->url) ||
	    get_string(x, o, p, "bot_token", 1, &n->bot_token) ||
	    get_string(x, o, p, "chat_id", 1, &n->chat_id) ||
	    get_string(x, o, p, "username", 1, &n->username) ||
	    get_string(x, o, p, "password", 0, &n->password) ||
	    get_string(x, o, p, "from", 1, &n->from) ||
	    get_string(x, o, p, "ca_file", 1, &n->ca_file) ||
	    get_bool(x, o, p, "starttls", &n->starttls) ||
	    get_bool(x, o, p, "digest", &n->digest))
		return -1;
	if (n->type == NULL)
		return fail(x, p, "type", "is required");
	if (strcmp(n->type, "command") == 0) {
		argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
		if (!cJSON_IsArray(argv) || cJSON_GetArraySize(argv) == 0)
			return fail(x, p, "argv",
			    "must be a non-empty array of strings");
		n->argv = calloc((size_t)cJSON_GetArraySize(argv) + 1,
		    sizeof(char *));
		if (n->argv == NULL)
			return fail(x, p, "argv", "out of memory");
		cJSON_ArrayForEach(it, argv) {
			if (!cJSON_IsString(it) ||
			    (n->argv[i++] = strdup(it->valuestring)) == NULL)
				return fail(x, p, "argv",
				    "must be a non-empty array of strings");
		}
	} else if (strcmp(n->type, "webhook") == 0 ||
	    strcmp(n->type, "discord") == 0 || strcmp(n->type, "slack") == 0) {
		if (n->url == NULL || (strncmp(n->url, "http://", 7) != 0 &&
		    strncmp(n->url, "https://", 8) != 0))
			return fail(x, p, "url", "must be an http:// or "
			    "https:// URL");
	} else if (strcmp(n->type, "telegram") == 0) {
		if (n->bot_token == NULL)
			return fail(x, p, "bot_token", "is required");
		if (n->chat_id == NULL)
			return fail(x, p, "chat_id", "is required");
	} else if (strcmp(n->type, "email") == 0)
		return parse_email(x, n, o, p);
	else
		return fail(x, p, "type", "must be one of command, webhook, "
		    "discord, slack, telegram, email");
	return 0;
}

static int
parse_notify(struct ctx *x, struct conf *c, const cJSON *a)
{
	const cJSON	*it;
	char		 p[32];
	size_t		 n;

	if (!cJSON_IsArray(a))
		return fail(x, "", "notify", "must be an array");
	n = (size_t)cJSON_GetArraySize(a);
	if (n > 0 && (c->notify = calloc(n, sizeof(*c->notify))) == NULL)
		return fail(x, "", "notify", "out of memory");
	cJSON_ArrayForEach(it, a) {
		snprintf(p, sizeof(p), "notify[%zu].", c->nnotify);
		/* Counted first, so conf_free() sees a partly filled entry. */
		c->nnotify++;
		if (parse_notify_one(x, &c->notify[c->nnotify - 1], it, p))
			return -1;
	}
	return 0;
}

static int
parse_prices(struct ctx *x, struct conf *c, const cJSON *o)
{
	static const char *const keys[] = { "input_per_mtok",
	    "output_per_mtok", NULL };
	const cJSON		*it;
	struct conf_price	*pr;
	char			 p[128];
	double			 in, out;
	size_t			 n;

	if (!cJSON_IsObject(o))
		return fail(x, "", "prices", "must be an object");
	n = (size_t)cJSON_GetArraySize(o);
	if (n > 0 && (c->prices = calloc(n, sizeof(*c->prices))) == NULL)
		return fail(x, "", "prices", "out of memory");
	cJSON_ArrayForEach(it, o) {
		snprintf(p, sizeof(p), "prices.%s.", it->string);
		in = out = -1;
		if (check_keys(x, it, p, keys) ||
		    get_double(x, it, p, "input_per_mtok", 0, MONEY_MAX_USD,
		    &in) ||
		    get_double(x, it, p, "output_per_mtok", 0, MONEY_MAX_USD,
		    &out))
			return -1;
		if (in < 0)
			return fail(x, p, "input_per_mtok", "is required");
		if (out < 0)
			return fail(x, p, "output_per_mtok", "is required");
		pr = &c->prices[c->nprices];
		if ((pr->model = strdup(it->string)) == NULL)
			return fail(x, p, "", "out of memory");
		c->nprices++;
		money_from_usd(in, &pr->in_nusd_per_mtok);
		money_from_usd(out, &pr->out_nusd_per_mtok);
	}
	return 0;
}

/* "sources": {"wechat": "WeChat"}: ids as ingest takes them (any case). */
static int
parse_sources(struct ctx *x, struct conf *c, const cJSON *o)
{
	const cJSON		*it;
	struct conf_source	*s;
	size_t			 n, i;
	long			 chars;

	if (!cJSON_IsObject(o))
		return fail(x, "", "sources", "must be an object");
	n = (size_t)cJSON_GetArraySize(o);
	if (n > 0 && (c->sources = calloc(n, sizeof(*c->sources))) == NULL)
		return fail(x, "", "sources", "out of memory");
	cJSON_ArrayForEach(it, o) {
		n = strlen(it->string);
		if (n == 0 || n > REC_SOURCE_MAX_CHARS ||
		    strspn(it->string, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
			return fail(x, "sources.", it->string, "must be a source "
			    "id: 1 to 32 of a-z, A-Z, 0-9, _ and -");
		if (!cJSON_IsString(it) || (chars = utf8_len(it->valuestring,
		    strlen(it->valuestring))) < 1 || chars > 64)
			return fail(x, "sources.", it->string,
			    "must be a name of 1 to 64 characters");
		s = &c->sources[c->nsources];
		if ((s->id = strdup(it->string)) == NULL ||
		    (s->name = strdup(it->valuestring)) == NULL)
			return fail(x, "sources.", it->string, "out of memory");
		c->nsources++;
		for (i = 0; i < n; i++)
			s->id[i] = (char)tolower((unsigned char)s->id[i]);
	}
	return 0;
}

/*
 * "otlp": {"sources": {"checkout.api": "web"}}: the source the spans of an
 * OpenTelemetry service are stored as, when its service.name is not one.
 */
static int
parse_otlp(struct ctx *x, struct conf *c, const cJSON *o)
{
	static const char *const keys[] = { "sources", NULL };
	const cJSON		*m, *it;
	struct conf_service	*s;
	size_t			 n, i;

	if (check_keys(x, o, "otlp.", keys))
		return -1;
	if ((m = cJSON_GetObjectItemCaseSensitive(o, "sources")) == NULL)
		return 0;
	if (!cJSON_IsObject(m))
		return fail(x, "otlp.", "sources", "must be an object");
	n = (size_t)cJSON_GetArraySize(m);
	if (n > 0 && (c->otlp_sources = calloc(n, sizeof(*s))) == NULL)
		return fail(x, "otlp.", "sources", "out of memory");
	cJSON_ArrayForEach(it, m) {
		n = cJSON_IsString(it) ? strlen(it->valuestring) : 0;
		if (n == 0 || n > REC_SOURCE_MAX_CHARS ||
		    strspn(it->valuestring, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
			return fail(x, "otlp.sources.", it->string, "must be a "
			    "source id: 1 to 32 of a-z, A-Z, 0-9, _ and -");
		s = &c->otlp_sources[c->notlp_sources++];
		if ((s->service = strdup(it->string)) == NULL ||
		    (s->source = strdup(it->valuestring)) == NULL)
			return fail(x, "otlp.sources.", it->string,
			    "out of memory");
		for (i = 0; i < n; i++)
			s->source[i] = (char)tolower((unsigned char)s->source[i]);
	}
	return 0;
}

static int
parse_root(struct ctx *x, struct conf *c, const cJSON *root)
{
	static const char *const keys[] = { "database", "site_dir",
	    "timezone", "share_dir", "locale", "site_url", "site", "ingest",
	    "alerts", "notify",
	    "retention", "prices", "sources", "otlp", "clickhouse", "ship",
	    NULL };
	static const char *const rkeys[] = { "raw_days", NULL };
	static const char *const skeys[] = { "cron_interval_s", "explorer_days",
	    NULL };
	const cJSON	*o;

	if (check_keys(x, root, "", keys) ||
	    get_string(x, root, "", "database", 1, &c->database) ||
	    get_string(x, root, "", "site_dir", 1, &c->site_dir) ||
	    get_string(x, root, "", "timezone", 1, &c->timezone) ||
	    get_string(x, root, "", "share_dir", 1, &c->share_dir) ||
	    get_string(x, root, "", "locale", 1, &c->locale) ||
	    get_string(x, root, "", "site_url", 1, &c->site_url))
		return -1;
	/* It goes into e-mails and chats as a link: one word of ASCII. */
	if (c->site_url != NULL && ((strncmp(c->site_url, "http://", 7) != 0 &&
	    strncmp(c->site_url, "https://", 8) != 0) || strlen(c->site_url) >
	    1000 || strspn(c->site_url, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
	    "mnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%") !=
	    strlen(c->site_url)))
		return fail(x, "", "site_url", "must be an http:// or https:// "
		    "URL (ASCII, no spaces, at most 1000 characters)");
	/* A language tag names a file: letters, digits and - only. */
	if (strlen(c->locale) > 16 || strspn(c->locale, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(c->locale) ||
	    c->locale[0] == '-')
		return fail(x, "", "locale", "must be a language tag such as "
		    "\"en\" or \"zh-TW\"");
	if (!valid_timezone(c->timezone))
		return fail(x, "", "timezone", "unknown time zone \"%s\"",
		    c->timezone);
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "ingest")) != NULL &&
	    parse_ingest(x, c, o))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "alerts")) != NULL &&
	    parse_alerts(x, c, o))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "notify")) != NULL &&
	    parse_notify(x, c, o))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "retention")) != NULL &&
	    (check_keys(x, o, "retention.", rkeys) ||
	    get_long(x, o, "retention.", "raw_days", 1, 36500,
	    &c->retention_raw_days)))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "prices")) != NULL &&
	    parse_prices(x, c, o))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "site")) != NULL &&
	    (check_keys(x, o, "site.", skeys) ||
	    get_long(x, o, "site.", "cron_interval_s", 10, 86400,
	    &c->site.cron_interval_s) ||
	    get_long(x, o, "site.", "explorer_days", 0, 36500,
	    &c->site.explorer_days)))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "sources")) != NULL &&
	    parse_sources(x, c, o))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "otlp")) != NULL &&
	    parse_otlp(x, c, o))
		return -1;
	if (conf_parse_scale(x, c, root))
		return -1;
	return check_budgets(x, c);
}

static int
set_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->database = strdup("var/apimon.db");
	c->site_dir = strdup("public");
	c->timezone = strdup("UTC");
	c->locale = strdup("en");
	c->ingest.token = strdup("");
	c->ingest.max_body_bytes = 1048576;
	c->ingest.max_batch = 1000;
	c->ingest.command_max_chars = 200;
	c->ingest.synchronous = CONF_SYNC_NORMAL;
	c->alerts.daily_cost_nusd = 10 * MONEY_NUSD_PER_USD;
	c->alerts.warn_ratio = 0.8;
	c->alerts.error_rate = 0.10;
	c->alerts.min_requests = 20;
	c->alerts.latency_p95_s = 0;
	c->alerts.max_scopes = 10;
	c->alerts.repeat_hours = 4;
	c->alerts.notify_max_age_hours = 48;
	c->alerts.no_data_minutes = 30;
	c->alerts.anomaly_factor = 3;
	c->alerts.anomaly_min_requests = 20;
	c->retention_raw_days = 90;
	c->site.cron_interval_s = 60;
	c->site.explorer_days = 7;
	if (c->database == NULL || c->site_dir == NULL ||
	    c->timezone == NULL || c->locale == NULL || c->ingest.token == NULL)
		return -1;
	return 0;
}

/* Read the whole file into a NUL-terminated buffer; caller frees. */
static char *
slurp(struct ctx *x, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 n;

	if ((f = fopen(x->file, "r")) == NULL) {
		snprintf(x->err, x->errlen, "%s: %s", x->file, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CONF_MAX_BYTES + 1)) == NULL) {
		snprintf(x->err, x->errlen, "%s: out of memory", x->file);
		goto out;
	}
	n = fread(buf, 1, CONF_MAX_BYTES + 1, f);
	if (ferror(f) || n > CONF_MAX_BYTES) {
		snprintf(x->err, x->errlen, "%s: %s", x->file, ferror(f) ?
		    "read error" : "larger than 1 MiB");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = n;
out:
	fclose(f);
	return buf;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct ctx	 x = { NULL, err, errlen };
	cJSON		*root = NULL;
	char		*text = NULL;
	const char	*key, *under;
	size_t		 len, line = 1, pos = 0, i;
	int		 rc = -1, dup;

	if (path == NULL && (path = getenv("APIMON_CONFIG")) != NULL &&
	    *path == '\0')
		path = NULL;
	if (path == NULL && access(CONF_DEFAULT_PATH, F_OK) == 0)
		path = CONF_DEFAULT_PATH;
	if (set_defaults(c)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (path == NULL)
		return 0;
	x.file = path;
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((text = slurp(&x, &len)) == NULL)
		goto out;
	if ((root = json_parse(text, len, &pos)) == NULL) {
		for (i = 0; i < pos; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "%s: line %zu: not valid JSON", path,
		    line);
		goto out;
	}
	/* A key given twice would silently lose one of its values. */
	if ((dup = json_dup_key(root, &key, &under)) != 0) {
		if (dup < 0)
			snprintf(err, errlen, "%s: out of memory", path);
		else if (strcmp(key, under) == 0)
			snprintf(err, errlen, "%s: \"%s\": given twice", path,
			    key);
		else
			snprintf(err, errlen, "%s: \"%s\": key \"%s\" given "
			    "twice", path, under, key);
		goto out;
	}
	rc = parse_root(&x, c, root);
out:
	cJSON_Delete(root);
	free(text);
	if (rc != 0)
		conf_free(c);
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t	 i;
	char	**a;

	for (i = 0; i < c->nnotify; i++) {
		for (a = c->notify[i].argv; a != NULL && *a != NULL; a++)
			free(*a);
		free(c->notify[i].argv);
		free(c->notify[i].type);
		free(c->notify[i].url);
		free(c->notify[i].bot_token);
		free(c->notify[i].chat_id);
		free(c->notify[i].username);
		free(c->notify[i].password);
		free(c->notify[i].from);
		free(c->notify[i].ca_file);
		for (a = c->notify[i].to; a != NULL && *a != NULL; a++)
			free(*a);
		free(c->notify[i].to);
	}
	free(c->notify);
	for (i = 0; i < c->nprices; i++)
		free(c->prices[i].model);
	free(c->prices);
	for (i = 0; i < c->nsources; i++) {
		free(c->sources[i].id);
		free(c->sources[i].name);
	}
	free(c->sources);
	for (i = 0; i < c->notlp_sources; i++) {
		free(c->otlp_sources[i].service);
		free(c->otlp_sources[i].source);
	}
	free(c->otlp_sources);
	free(c->path);
	free(c->database);
	free(c->site_dir);
	free(c->timezone);
	free(c->locale);
	free(c->site_url);
	for (i = 0; i < c->alerts.nbudgets; i++)
		free(c->alerts.budgets[i].scope);
	free(c->alerts.budgets);
	free(c->share_dir);
	free(c->ingest.token);
	conf_free_scale(c);
	memset(c, 0, sizeof(*c));
}

const char *
conf_source_name(const struct conf *c, const char *id)
{
	size_t	 i;

	for (i = 0; i < c->nsources; i++)
		if (strcmp(c->sources[i].id, id) == 0)
			return c->sources[i].name;
	return NULL;
}

const char *
conf_otlp_source(const struct conf *c, const char *service)
{
	size_t	 i;

	for (i = 0; i < c->notlp_sources; i++)
		if (strcmp(c->otlp_sources[i].service, service) == 0)
			return c->otlp_sources[i].source;
	return NULL;
}

const struct conf_price *
conf_price(const struct conf *c, const char *model)
{
	size_t	 i;

	for (i = 0; model != NULL && i < c->nprices; i++)
		if (strcmp(c->prices[i].model, model) == 0)
			return &c->prices[i];
	return NULL;
}

/* FNV-1a: a short name for a secret that does not give it away. */
static uint32_t
fnv1a(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (uint32_t)(h ^ h >> 32);
}

/*
 * The key from a notifier's identity as older keys held it after the
 * type: a URL, "BOT_ID CHAT_ID" for telegram, the argv for a command.
 */
static char *
key_of(const char *type, const char *identity)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	const char	*w = identity, *end, *at;

	buf_printf(&b, "%s ", type);
	if (strcmp(type, "telegram") == 0) {
		/* The chat, not the bot: its id is half of its token. */
		if ((w = strchr(identity, ' ')) != NULL)
			buf_puts(&b, w + 1);
	} else if (strcmp(type, "command") == 0) {
		end = identity + strcspn(identity, " ");
		for (at = identity; at < end; at++)
			if (*at == '/')
				w = at + 1;
		buf_add(&b, w, (size_t)(end - w));
	} else {
		/* The host of the URL, without any user:password@. */
		if ((w = strstr(identity, "://")) != NULL)
			w += 3;
		else
			w = identity;
		/* An e-mail's identity goes on with its recipients. */
		end = w + strcspn(w, "/?# ");
		if ((at = memchr(w, '@', (size_t)(end - w))) != NULL)
			w = at + 1;
		buf_add(&b, w, (size_t)(end - w));
	}
	buf_printf(&b, " #%08x", fnv1a(identity));
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

char *
conf_notify_key(const struct conf_notify *n)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	char		*key;
	char	       **a;

	if (n->argv != NULL)
		for (a = n->argv; *a != NULL; a++)
			buf_printf(&b, "%s%s", a == n->argv ? "" : " ", *a);
	else if (strcmp(n->type, "telegram") == 0)
		buf_printf(&b, "%.*s %s", (int)strcspn(n->bot_token, ":"),
		    n->bot_token, n->chat_id);
	else {
		buf_puts(&b, n->url);
		for (a = n->to; a != NULL && *a != NULL; a++)
			buf_printf(&b, " %s", *a);
	}
	key = b.failed ? NULL : key_of(n->type, b.p);
	buf_free(&b);
	return key;
}

char *
conf_notify_key_legacy(const char *legacy)
{
	char	*type, *key;
	size_t	 n = strcspn(legacy, " ");

	if ((type = strndup(legacy, n)) == NULL)
		return NULL;
	key = key_of(type, legacy + n + (legacy[n] != '\0'));
	free(type);
	return key;
}
