/* alert.h — an alert as every part of apimon sees it, and its JSON. */
#ifndef APIMON_ALERT_H
#define APIMON_ALERT_H

/*
 * Error policy: the _parse() functions return -1 for a name apimon does
 * not know (a row it did not write); alert_json() returns NULL only when
 * out of memory, with nothing left to free.
 */

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "msg.h"
#include "rec.h"

enum alert_rule {
	ALERT_DAILY_COST,
	ALERT_ERROR_RATE,
	ALERT_LATENCY_P95,
	ALERT_UNPRICED_MODEL,
	ALERT_BUDGET,		/* a scope's daily cost against its budget */
	ALERT_MONTHLY_BUDGET,	/* month to date and forecast, judged today */
	ALERT_ANOMALY,		/* this hour far above the week's same hour */
	ALERT_NO_DATA,		/* no record where the week had traffic */
	ALERT__RULES
};

enum alert_severity { ALERT_WARNING, ALERT_CRITICAL };

/*
 * Firing and escalated alerts are active.  An alert resolves when its
 * condition clears, and closes (for good, with its final value) when its
 * day is over.
 */
enum alert_state { ALERT_FIRING, ALERT_ESCALATED, ALERT_RESOLVED,
	ALERT_CLOSED };

#define ALERT_ACTIVE(a)	((a)->state == ALERT_FIRING || \
			    (a)->state == ALERT_ESCALATED)

/*
 * What a scope names: "all", "source:NAME", "model:NAME", "user:NAME" (a
 * budget's), or "more:KIND", the one alert that the scopes of a kind past
 * alerts.max_scopes fold into.
 */
enum scope_kind { SCOPE_ALL, SCOPE_SOURCE, SCOPE_MODEL, SCOPE_MORE,
	SCOPE_USER };

/* Room for the longest scope and message that valid records can make. */
#define ALERT_SCOPE_MAX		(16 + REC_NAME_MAX_BYTES)
#define ALERT_MESSAGE_MAX	(256 + 2 * REC_NAME_MAX_BYTES)

struct alert {
	int64_t			 id;		/* 0: not stored yet */
	enum alert_rule		 rule;
	char			 scope[ALERT_SCOPE_MAX];
	char			 day[16];
	enum alert_severity	 severity;
	enum alert_state	 state;
	double			 value;
	double			 threshold;
	char			 message[ALERT_MESSAGE_MAX];
	int64_t			 fired_ms, updated_ms, resolved_ms; /* -1: none */
	int64_t			 notified_ms;	/* last sent; -1: not since
						   it fired */
	int64_t			 silenced_ms;	/* silenced until; <= 0: not */
};

/*
 * A silence: the alerts of rule ("*": every rule) and scope (NULL: every
 * scope) send nothing from created_ms until ends_ms.
 */
#define SILENCE_COMMENT_MAX	256

struct silence {
	int64_t		 id;
	char		 rule[32];
	char		 scope[ALERT_SCOPE_MAX];	/* "": every scope */
	char		 comment[SILENCE_COMMENT_MAX * 4 + 1];
	int64_t		 created_ms, ends_ms;
};

/* The latest end of the silences among s[0..n) that cover a at now_ms,
 * or -1 when none does. */
int64_t		 alert_silenced(const struct alert *a, const struct silence *s,
		    size_t n, int64_t now_ms);

/* The names stored in the database and shown everywhere. */
const char	*alert_rule_name(enum alert_rule r);
const char	*alert_severity_name(enum alert_severity s);
const char	*alert_state_name(enum alert_state s);

/* The enum of a stored name; 0, or -1 when name is none of them. */
int		 alert_rule_parse(const char *name, enum alert_rule *r);
int		 alert_severity_parse(const char *name, enum alert_severity *s);
int		 alert_state_parse(const char *name, enum alert_state *s);

/* The kind of a scope string, and where its name starts in it. */
enum scope_kind	 alert_scope_kind(const char *scope, const char **name);

/*
 * The scope as a person reads it in the catalogue m's words (msg.scope_*),
 * appended to b: "all", "source:web", "model:gpt-4o"; zh-TW "全部",
 * "來源 web".  A scope of a kind apimon does not know stays as it is.
 * A failure is recorded in b.
 */
void		 alert_scope_text(const struct msg *m, const char *scope,
		    struct buf *b);

/*
 * An alert as apimon shows it everywhere (notification payloads, report
 * JSON, the dashboard): rule, scope, day, severity, state, value,
 * threshold, message.  Returns a new object the caller frees with
 * cJSON_Delete(), or NULL when out of memory.
 */
cJSON		*alert_json(const struct alert *a);

#endif
