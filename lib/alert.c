/* alert.c — an alert as every part of apimon sees it, and its JSON. */
#include <string.h>

#include "alert.h"
#include "ts.h"

static const char *const rules[ALERT__RULES] = { "daily_cost", "error_rate",
    "latency_p95", "unpriced_model", "budget", "monthly_budget", "anomaly",
    "no_data" };
static const char *const severities[] = { "warning", "critical" };
static const char *const states[] = { "firing", "escalated", "resolved",
    "closed" };

static int
lookup(const char *const *names, int n, const char *name)
{
	int	 i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *
alert_rule_name(enum alert_rule r)
{
	return rules[r];
}

const char *
alert_severity_name(enum alert_severity s)
{
	return severities[s];
}

const char *
alert_state_name(enum alert_state s)
{
	return states[s];
}

int
alert_rule_parse(const char *name, enum alert_rule *r)
{
	int	 i = lookup(rules, ALERT__RULES, name);

	if (i >= 0)
		*r = (enum alert_rule)i;
	return i >= 0 ? 0 : -1;
}

int
alert_severity_parse(const char *name, enum alert_severity *s)
{
	int	 i = lookup(severities, 2, name);

	if (i >= 0)
		*s = (enum alert_severity)i;
	return i >= 0 ? 0 : -1;
}

int
alert_state_parse(const char *name, enum alert_state *s)
{
	int	 i = lookup(states, 4, name);

	if (i >= 0)
		*s = (enum alert_state)i;
	return i >= 0 ? 0 : -1;
}

enum scope_kind
alert_scope_kind(const char *scope, const char **name)
{
	static const struct {
		const char	*prefix;
		enum scope_kind	 kind;
	} kinds[] = { { "source:", SCOPE_SOURCE }, { "model:", SCOPE_MODEL },
	    { "more:", SCOPE_MORE }, { "user:", SCOPE_USER } };
	size_t	 i, n;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i].prefix);
		if (strncmp(scope, kinds[i].prefix, n) == 0) {
			if (name != NULL)
				*name = scope + n;
			return kinds[i].kind;
		}
	}
	if (name != NULL)
		*name = scope;
	return SCOPE_ALL;
}

void
alert_scope_text(const struct msg *m, const char *scope, struct buf *b)
{
	const char	*name;

	switch (alert_scope_kind(scope, &name)) {
	case SCOPE_SOURCE:
		msg_fmt(m, b, "msg", "scope_source", "name", name, NULL);
		break;
	case SCOPE_MODEL:
		/* Requests that name no model have a scope of their own. */
		if (name[0] == '\0')
			buf_puts(b, msg_get(m, "msg", "scope_no_model"));
		else
			msg_fmt(m, b, "msg", "scope_model", "name", name, NULL);
		break;
	case SCOPE_USER:
		msg_fmt(m, b, "msg", "scope_user", "name", name, NULL);
		break;
	case SCOPE_MORE:
		buf_puts(b, strcmp(name, "source") == 0 ?
		    msg_get(m, "msg", "scope_more_source") :
		    strcmp(name, "model") == 0 ?
		    msg_get(m, "msg", "scope_more_model") : scope);
		break;
	default:
		buf_puts(b, strcmp(scope, "all") == 0 ?
		    msg_get(m, "msg", "scope_all") : scope);
	}
}

cJSON *
alert_json(const struct alert *a)
{
	cJSON	*o = cJSON_CreateObject();
	char	 t[TS_RFC3339_LEN];

	if (o == NULL ||
	    !cJSON_AddStringToObject(o, "rule", alert_rule_name(a->rule)) ||
	    !cJSON_AddStringToObject(o, "scope", a->scope) ||
	    !cJSON_AddStringToObject(o, "day", a->day) ||
	    !cJSON_AddStringToObject(o, "severity",
	    alert_severity_name(a->severity)) ||
	    !cJSON_AddStringToObject(o, "state", alert_state_name(a->state)) ||
	    !cJSON_AddNumberToObject(o, "value", a->value) ||
	    !cJSON_AddNumberToObject(o, "threshold", a->threshold) ||
	    !cJSON_AddStringToObject(o, "message", a->message)) {
		cJSON_Delete(o);
		return NULL;
	}
	if (a->silenced_ms > 0) {
		ts_format_rfc3339(a->silenced_ms, t);
		if (!cJSON_AddStringToObject(o, "silenced_until", t)) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

int64_t
alert_silenced(const struct alert *a, const struct silence *s, size_t n,
    int64_t now_ms)
{
	int64_t	 until = -1;
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i].created_ms <= now_ms && now_ms < s[i].ends_ms &&
		    (strcmp(s[i].rule, "*") == 0 ||
		    strcmp(s[i].rule, alert_rule_name(a->rule)) == 0) &&
		    (s[i].scope[0] == '\0' || strcmp(s[i].scope, a->scope) == 0) &&
		    s[i].ends_ms > until)
			until = s[i].ends_ms;
	return until;
}
