/* silence.c — apimon-aggregate --silence, --silences and --unsilence. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "log.h"
#include "ts.h"
#include "utf8.h"

#define SILENCE_MAX_MS	(366LL * 86400000)	/* a year and a day */

/*
 * A duration such as "30m", "2h", "1d12h" or "1w": numbers each with a
 * unit (m, h, d, w).  Returns 0 with *ms, or -1.
 */
static int
duration(const char *s, int64_t *ms)
{
	static const struct { char unit; int64_t ms; } units[] = {
		{ 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
		{ 'w', 604800000 } };
	int64_t	 v;
	size_t	 i;

	*ms = 0;
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		for (v = 0; isdigit((unsigned char)*s); s++)
			if ((v = v * 10 + (*s - '0')) > SILENCE_MAX_MS)
				return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*s == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		s++;
		if ((*ms += v * units[i].ms) > SILENCE_MAX_MS)
			return -1;
	}
	return *ms > 0 ? 0 : -1;
}

/* Text a person reads on one line: valid UTF-8, no control character. */
static int
plain(const char *s, size_t max_chars)
{
	long	 n = utf8_len(s, strlen(s));

	if (n < 0 || (size_t)n > max_chars)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* RULE or RULE:SCOPE into s; a message on stderr and -1 when it is not. */
static int
matcher(const char *what, struct silence *s)
{
	const char	*colon = strchr(what, ':'), *name;
	enum alert_rule	 r;
	size_t		 len = colon ? (size_t)(colon - what) : strlen(what);
	char		*p;

	if (len >= sizeof(s->rule)) {
		log_errx("--silence: \"%.*s\" is not a rule", (int)len, what);
		return -1;
	}
	memcpy(s->rule, what, len);
	s->rule[len] = '\0';
	if (strcmp(s->rule, "*") != 0 && alert_rule_parse(s->rule, &r)) {
		log_errx("--silence: \"%s\" is not a rule (one of daily_cost, "
		    "error_rate, latency_p95, unpriced_model, budget, "
		    "monthly_budget, anomaly, no_data, or *)", s->rule);
		return -1;
	}
	if (colon == NULL)
		return 0;
	if (!plain(colon + 1, ALERT_SCOPE_MAX / 4) ||
	    strlen(colon + 1) >= sizeof(s->scope)) {
		log_errx("--silence: the scope is not one line of UTF-8 text "
		    "of at most %d characters", ALERT_SCOPE_MAX / 4);
		return -1;
	}
	snprintf(s->scope, sizeof(s->scope), "%s", colon + 1);
	if (strcmp(s->scope, "all") != 0 &&
	    (alert_scope_kind(s->scope, &name) == SCOPE_ALL || *name == '\0')) {
		log_errx("--silence: scope \"%s\" is not all, source:NAME, "
		    "model:NAME, user:ID or more:source|model", s->scope);
		return -1;
	}
	/* Ingest stores sources in lower case. */
	if (strncmp(s->scope, "source:", 7) == 0)
		for (p = s->scope + 7; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	return 0;
}

int
silence_add(struct agg *a, const char *what, const char *dur,
    const char *comment)
{
	struct silence	 s;
	char		 t[TS_RFC3339_LEN];
	int64_t		 ms;

	memset(&s, 0, sizeof(s));
	if (matcher(what, &s))
		return 2;
	if (dur == NULL || duration(dur, &ms)) {
		log_errx("--for: \"%s\" is not a duration such as 30m, 2h, 1d "
		    "or 1w (at most 366 days)", dur ? dur : "");
		return 2;
	}
	if (comment != NULL && !plain(comment, SILENCE_COMMENT_MAX)) {
		log_errx("--comment: not one line of UTF-8 text of at most %d "
		    "characters", SILENCE_COMMENT_MAX);
		return 2;
	}
	snprintf(s.comment, sizeof(s.comment), "%s", comment ? comment : "");
	s.created_ms = a->now_ms;
	s.ends_ms = a->now_ms + ms;
	if (db_silence_add(a->db, &s) != DB_OK) {
		log_errx("%s: silences: %s", a->conf->database,
		    db_errmsg(a->db));
		return 1;
	}
	ts_format_rfc3339(s.ends_ms, t);
	printf("silence %lld: %s%s%s until %s\n", (long long)s.id, s.rule,
	    s.scope[0] ? ":" : "", s.scope, t);
	return 0;
}

int
silence_list(struct agg *a)
{
	struct silence	*s = NULL;
	size_t		 n = 0, i;
	char		 t[TS_RFC3339_LEN];

	if (db_silences(a->db, a->now_ms, &s, &n) != DB_OK) {
		log_errx("%s: silences: %s", a->conf->database,
		    db_errmsg(a->db));
		return 1;
	}
	printf("ID\tUNTIL\tSILENCES\tCOMMENT\n");
	for (i = 0; i < n; i++) {
		ts_format_rfc3339(s[i].ends_ms, t);
		printf("%lld\t%s\t%s%s%s\t%s\n", (long long)s[i].id, t,
		    s[i].rule, s[i].scope[0] ? ":" : "", s[i].scope,
		    s[i].comment);
	}
	free(s);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

int
silence_lift(struct agg *a, const char *arg)
{
	char		*end;
	long long	 id;
	int		 found = 0;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || id <= 0) {
		log_errx("--unsilence: \"%s\" is not a silence id", arg);
		return 2;
	}
	if (db_silence_lift(a->db, id, a->now_ms, &found) != DB_OK) {
		log_errx("%s: silences: %s", a->conf->database,
		    db_errmsg(a->db));
		return 1;
	}
	if (!found) {
		log_errx("--unsilence: no silence %lld is in force", id);
		return 1;
	}
	printf("silence %lld lifted\n", id);
	return 0;
}
