/* agg.h — apimon-aggregate: rollups, alerts, notifications, retention. */
#ifndef APIMON_AGG_H
#define APIMON_AGG_H

/*
 * Error policy: every step returns 0, or -1 after printing why (naming
 * the database) and rolling back its transaction; main() then exits 1,
 * and the watermark has not moved past work not done, so the next run
 * does it again.
 */

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "conf.h"
#include "db.h"
#include "hist.h"
#include "msg.h"
#include "tz.h"

#define AGG_BUSY_MS	30000	/* wait this long for ingest's short locks */
#define AGG_CHUNK	20000	/* rows per rollup transaction */

/* What one run did, for its one-line summary. */
struct agg_counts {
	long	 rows, days, fired, escalated, resolved, closed, purged;
	long	 repeated, held, digests, delivered, failed;
};

struct agg {
	const struct conf	*conf;
	const struct msg	*msg;		/* the words of alerts, chats */
	struct db		*db;
	int64_t			 now_ms;
	char		       **days;		/* touched, malloc'd */
	size_t			 ndays, capdays;
	char		       **notifiers;		/* one key per conf->notify */
	int64_t			 last_id, max_id;	/* rows rolled up this run */
	char			 recent[TZ_DAY_LEN];	/* yesterday */
	int			 rebuilt;	/* a pending rebuild was done */
	struct silence		*silences;	/* in force at now_ms */
	size_t			 nsilences;
	struct agg_counts	 n;
	struct ch_run		*ch;		/* with ClickHouse: its run */
};

/*
 * How much a day's rollup may hold to group its rows itself (by hash, in
 * any order); a day that needs more has SQLite sort its rows instead,
 * holding one group and one user at a time.  Tests lower it.
 */
extern size_t	 rollup_hash_bytes;

/* Roll new rows up (all rows with rebuild); remember the days touched. */
int	 rollup_run(struct agg *a, int rebuild);

/* Whether rollup_run() touched day (the days are sorted by then). */
int	 rollup_touched(const struct agg *a, const char *day);

/* Move the watermark past the rows rollup_run() took, once judged. */
int	 rollup_done(struct agg *a);

/* Delete raw rows older than retention.raw_days once rolled up. */
int	 retention_run(struct agg *a);

/*
 * The same three steps with a "clickhouse" section (ch_rollup.c): the
 * rollups of the touched days computed in ClickHouse and the raw rows
 * the site reads, written in one transaction; the marks of what was
 * rolled up; retention by dropping old partitions.  ch_rollup_free()
 * frees the run's state.
 */
int	 ch_rollup_run(struct agg *a, int rebuild);
int	 ch_rollup_done(struct agg *a);
int	 ch_retention_run(struct agg *a);
void	 ch_rollup_free(struct agg *a);

/*
 * Whether a ClickHouse partition must be read whole again rather than its
 * parts above seen_block (the mark of the last run; -1: none): from the
 * blocks and rows seen then and now, and the rows of the parts wholly
 * above seen_block.  replicated: a Replicated*MergeTree.
 */
int	 ch_read_whole(int replicated, int64_t seen_block, int64_t seen_rows,
	    int64_t block, int64_t rows, int64_t rows_above);

/* The totals of one scope of a day, as the rules judge them. */
struct scope {
	enum scope_kind	 kind;
	const char	*name;		/* "all", a source or a model */
	int64_t		 requests, failures, cost_nusd, unpriced;
	struct hist	 hist;
};

/* A rule's verdict on one scope. */
struct verdict {
	int			 firing;	/* 0: the condition is clear */
	enum alert_severity	 severity;
	double			 value, threshold;
	char			 message[ALERT_MESSAGE_MAX];
};

/*
 * Judge scope s by rule r under the thresholds of c into *v, its message
 * in the words of the catalogue m.
 */
void	 rule_judge(const struct conf *c, const struct msg *m,
	    enum alert_rule r, const struct scope *s, struct verdict *v);

/* Judge today and every touched day; queue each change in the outbox. */
int	 alerts_run(struct agg *a);

/*
 * Once a day is over, queue its digest for the notifiers with "digest";
 * inside alerts_run()'s transaction.
 */
int	 digest_run(struct agg *a);

/*
 * Deliver what the outbox holds that is due: one message a notifier, with
 * every event; a failure keeps them all queued for a retry.
 */
int	 notify_run(struct agg *a);

/* Send an e-mail through notifier n (type "email"); 0, or -1 and err. */
int	 email_send(const struct conf_notify *n, const char *subject,
	    const char *body, int64_t now_ms, char *err, size_t errlen);

/* The silence commands of apimon-aggregate; each returns an exit status. */
int	 silence_add(struct agg *a, const char *what, const char *dur,
	    const char *comment);
int	 silence_list(struct agg *a);
int	 silence_lift(struct agg *a, const char *id);

#endif
