/* render.h — apimon-render: the static site from the rollups. */
#ifndef APIMON_RENDER_H
#define APIMON_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conf.h"
#include "db.h"
#include "hist.h"
#include "json.h"
#include "msg.h"
#include "tpl.h"
#include "ts.h"
#include "tz.h"

/*
 * Error policy.  A function that can fail returns 0 or -1 (or a pointer
 * or NULL) and has printed one line that says where and why with
 * log_errx() by the time it returns -1 from a *_run() or out_*() call;
 * helpers below those say so in their comment when they leave the
 * message to their caller.  Nothing is ever dropped silently: a failed
 * allocation, cJSON build, template value, database walk, truncated path
 * or write fails the page, the page fails the run, and a failed run
 * publishes nothing (out_abort()).  Pages are staged and become visible
 * all at once in out_commit().
 */

#define DASH_DAYS	60	/* the dashboard's days: 30 shown + 30 before */
#define DASH_RANGE	30	/* the longest range shown, in days */
#define RECENT_ROWS	50
#define ALERTS_PAGE_MAX	2000	/* alerts.html lists the newest this many */

/* Totals of a set of rollup rows. */
struct totals {
	int64_t		 requests, successes, failures, latency_sum_us;
	int64_t		 tokens, input_tokens, output_tokens, cost_nusd;
	int64_t		 lat[HIST_LAT_BUCKETS];	/* exact bucket counts */
	struct hist	 hist;
};

/* One daily_stats row, kept in memory for the whole run. */
struct dayrow {
	char		 day[TZ_DAY_LEN];
	char		*source, *model;
	struct totals	 t;
};

/* One staged change of the site (out.c). */
struct staged;

struct render {
	const struct conf	*conf;
	struct db		*db;
	const char		*out;		/* site directory */
	const char		*share;		/* templates/ and site/ live here */
	struct msg		*msg;		/* the config's locale */
	char			*i18n;		/* its script part, for <script> */
	char			*i18n_xp;	/* ...and the explorer's words */
	int64_t			 now_ms;
	int64_t			 data_ms;	/* when the rollups last changed */
	int64_t			 run_ms;	/* when aggregate last ran */
	struct dayrow		*rows;		/* every daily_stats row */
	size_t			 nrows, caprows;
	struct alert		*alerts;	/* newest first */
	size_t			 nalerts, capalerts;
	struct silence		*silences;	/* in force at now_ms */
	size_t			 nsilences;
	char			 latest[64];	/* latest daily report, or "" */
	char			(*xdays)[TZ_DAY_LEN];	/* exported, sorted */
	size_t			 nxdays, capxdays;
	const char		*bad;		/* why a db walk was stopped */
	struct staged		*staged;	/* out.c: waiting for commit */
	size_t			 nstaged, capstaged;
	long			 written, unchanged, removed;
	size_t			 bytes;
};

/*
 * out.c: the site changes as a whole or not at all.
 *
 * out_write() stages data as the file rel under the site: when the file
 * holds exactly data already it only counts it unchanged; else it creates
 * the missing folders, writes data to a temporary file beside it and
 * fsyncs it.  Returns 0, or -1 with a message.  out_copy() does the same
 * with the bytes of the file src.
 *
 * out_commit() renames every staged file into place, then fsyncs every
 * folder that got a new entry.  Returns 0, or -1 with a message (a
 * rename in its own folder fails only on an I/O error; the files not yet
 * renamed are then removed).  out_abort() removes every temporary file
 * and every folder staging created, leaving the site as it was; it may be
 * called at any time and more than once.
 */
int	 out_write(struct render *r, const char *rel, const char *data,
	    size_t len);
/*
 * A file written in parts: out_open() stages a new file for rel and
 * returns its descriptor (or -1 with a message); with at >= 0 what is
 * written continues the published rel from byte at instead (a day's
 * exports), and out_commit() cuts rel there and appends it, before any
 * rename.  out_append() writes to the descriptor (name for the
 * message); out_close() closes it, fsynced when sync is set (a
 * continuation is synced where it lands, so neither is it hinted out
 * early), counting len bytes written.  Each returns 0,
 * or -1 with a message; after a failure the caller still calls
 * out_abort() (out_close() has closed the descriptor either way).
 */
int	 out_open(struct render *r, const char *rel, int64_t at);
/*
 * Wait until no other render runs on the site (a lock on the folder the
 * site is in, made if need be, that *fd holds until closed).  Two runs at
 * once would both continue a day's exports.  0, or -1 with a message.
 */
int	 out_lock(struct render *r, int *fd);
int	 out_append(int fd, const char *name, const char *data, size_t len,
	    int sync);
int	 out_close(struct render *r, int fd, const char *name, size_t len,
	    int sync);
int	 out_copy(struct render *r, const char *src, const char *rel);
int	 out_commit(struct render *r);

/*
 * out_remove() stages the removal of the file or (empty) folder rel:
 * out_commit() removes it after every staged file is in place, so that a
 * reader never finds a page that links a file already gone.  Stage a
 * folder's files before the folder.  0, or -1 with a message.
 */
int	 out_remove(struct render *r, const char *rel);
void	 out_abort(struct render *r);

/*
 * esc.c: append s escaped for where it lands to b (a failure is recorded
 * in b, see buf.h).  esc_json_script: JSON text placed inside <script>.
 * esc_csv: one RFC 4180 field, with a formula prefix defused.
 */
void	 esc_json_script(struct buf *b, const char *json);
void	 esc_csv(struct buf *b, const char *s);

/*
 * esc_json_str: s (valid UTF-8) as a quoted JSON string: " \ and control
 * characters escaped, U+2028 and U+2029 too.
 */
void	 esc_json_str(struct buf *b, const char *s);

/*
 * jtree.c: cJSON building where any failure fails the whole tree.  Add
 * item (which may be NULL: a failed build) to the array or object; on
 * failure item is freed.  Return 0, or -1 (out of memory); no message.
 */
int	 jtree_push(cJSON *arr, cJSON *item);
int	 jtree_put(cJSON *obj, const char *key, cJSON *item);
int	 jtree_push_str(cJSON *arr, const char *s);
int	 jtree_push_num(cJSON *arr, double v);
/* Add s, or JSON null when s is NULL; 0 or -1. */
int	 jtree_put_opt_str(cJSON *obj, const char *key, const char *s);

/* totals.c: add the totals u into t. */
void	 totals_add(struct totals *t, const struct totals *u);

/*
 * Add one rollup row s into t.  Returns 0, or -1 (no message) when its
 * latency histogram is not a valid encoding; t is then unchanged.
 */
int	 totals_add_stats(struct totals *t, const struct db_stats *s);

/*
 * The fields of DESIGN.md's report "totals", in its order, after a first
 * field key: name when key is not NULL ("source": "web").  Returns a new
 * object the caller frees, or NULL when out of memory (no message).
 */
cJSON	*totals_json(const struct totals *t, const char *key,
	    const char *name);

/* RFC 3339 in the configured zone, into size bytes; 0, or -1 if short. */
int	 format_offset_time(int64_t ms, char *buf, size_t size);

/* The first of the rows (sorted by day) on or after day. */
size_t	 rows_from(const struct render *r, const char *day);

/*
 * report.c: a report period, local days [from, to), and the one before
 * it [pfrom, pto).  The label names the files: 2026-11-26 (day_of),
 * 2026-W48 (iso_week: ISO 8601, the week of the year of its Thursday),
 * 2026-11 (month_of).  day is "YYYY-MM-DD"; 0, or -1 when a field did
 * not fit (no message).
 */
struct period {
	const char	*type;		/* daily weekly monthly */
	char		 label[TS_DAY_LEN];
	char		 from[TS_DAY_LEN], to[TS_DAY_LEN];
	char		 pfrom[TS_DAY_LEN], pto[TS_DAY_LEN];
	const char	*older, *newer;	/* labels of the neighbour reports */
};

/*
 * The period as a person reads it in the catalogue m's words (ui.date_*
 * and the names of list), into size bytes: "Mon 30 Nov 2026", "Mon 23
 * Nov – Sun 29 Nov 2026", "November 2026"; zh-TW "2026年11月30日 星期一".
 * 0, or -1 if short or out of memory.
 */
int	 period_text(const struct msg *m, const struct period *p, char *buf,
	    size_t size);

/*
 * The name a person reads for source id: the config's "sources", else
 * the locale's name of a well-known one (wechat: WeChat, 微信), else id.
 */
const char *source_name(const struct render *r, const char *id);

/*
 * A time in the configured zone as the catalogue m writes it
 * (ui.time_local): "2026-11-30 17:59:50", zh-TW "2026/11/30 17:59:50".
 * 0, or -1 if short or out of memory.
 */
int	 format_local_time(const struct msg *m, int64_t ms, char *buf,
	    size_t size);

int	 day_of(const char *day, struct period *p);
int	 iso_week(const char *day, struct period *p);
int	 month_of(const char *day, struct period *p);

/* A named group of a report (a source or a model) and its totals. */
struct group {
	const char	*name;
	struct totals	 t;
};

/*
 * The CSV of a report, appended to b: a header line (key, then the
 * fields of totals_json(), in the catalogue m's words: ui.csv_NAME; the
 * JSON names when m is NULL) and one line per group, CRLF-terminated,
 * every name escaped with esc_csv().  Returns 0, or -1 when out of
 * memory (no message).
 */
int	 report_csv(struct buf *b, const struct msg *m, const char *key,
	    const struct group *g, size_t n);

/*
 * pages.c: set template keys from string members of o: pairs is a
 * NULL-ended list of KEY, member names.  A failure is recorded in t.
 */
void	 tpl_from_json(struct tpl *t, const cJSON *o, const char *const *pairs);

/*
 * Set {{VAR}} to the catalogue's text ui.key with its {name}s filled:
 * the variable arguments are name, value pairs, then NULL (msg_fmt()).
 * A failure is recorded in t.
 */
void	 tpl_msg(struct tpl *t, const char *var, const struct msg *m,
	    const char *key, ...);

/*
 * The words of an alert in the catalogue's language: RULE_TEXT (unless
 * rule is NULL), SEVERITY_TEXT, STATE_TEXT and SCOPE_TEXT of row, from
 * the names stored ("daily_cost", "warning", "firing", "source:web").
 * A failure is recorded in row.
 */
void	 alert_words(const struct render *r, struct tpl *row,
	    const char *rule, const char *severity, const char *state,
	    const char *scope);

/*
 * Set {{KEY}} to v with decimals places, as the locale writes numbers,
 * then suffix ("" for none).
 * Returns 0, or -1 (no message) when it cannot be formatted; a failure
 * of t itself is recorded in t.
 */
int	 page_set_num(struct tpl *t, const char *key, double v, int decimals,
	    const char *suffix);

/* Expand a template and stage it as rel; 0, or -1 with a message. */
int	 page(struct render *r, const char *tpl, struct tpl *t,
	    const char *rel);

/* The parts of the site: each 0, or -1 with a message. */
/*
 * The monthly budgets of the month of day at r->now_ms: a BUDGET section
 * of t each (and HAS_BUDGETS), and an object each pushed to arr unless it
 * is NULL.  0, or -1 after a message.
 */
int	 budgets_fill(struct render *r, const char *day, struct tpl *t,
	    cJSON *arr);

/*
 * explore.c: the request explorer (requests.html) and each day's raw
 * exports for the days of site.explorer_days; call before reports_run()
 * (a daily report links its day's exports).  0, or -1 with a message.
 */
int	 explorer_run(struct render *r);

/*
 * export.c: one raw row (as db_requests_each() gives it, its strings
 * valid UTF-8) as a line of a day's exports, appended to b: a CSV line
 * (CRLF) under export_csv_header, every string escaped with esc_csv();
 * an NDJSON line that apimon-ingest --import stores as the same row.
 * export_fixed() writes v / 10^scale exactly: 1234567, 6 -> 1.234567;
 * export_int() writes v (both without printf: they run for every row).
 */
extern const char export_csv_header[];
void	 export_csv_row(struct buf *b, const struct rec *q);
void	 export_ndjson_row(struct buf *b, const struct rec *q);
void	 export_fixed(struct buf *b, int64_t v, int scale);
void	 export_int(struct buf *b, int64_t v);

/* Whether day ("YYYY-MM-DD") has exports this run. */
int	 explorer_has_day(const struct render *r, const char *day);

/*
 * charts.c: the per-day series of local days [from, to) (day numbers),
 * of one source or of all (NULL): {"days", "requests", "failures",
 * "input_tokens", "output_tokens", "p95_s" (null without requests),
 * "cost_by_model": {"MODEL": [USD per day]}} (models with a cost; ""
 * for none).  A new object, or NULL when out of memory (no message).
 */
cJSON	*charts_series(const struct render *r, int64_t from, int64_t to,
	    const char *source);

/*
 * data/charts.json: the series of the DASH_RANGE days up to today, of
 * all sources and of each one, and the error-rate alert threshold.  0,
 * or -1 with a message.
 */
int	 charts_run(struct render *r, const char *today,
	    const char **sources, size_t nsources);

int	 reports_run(struct render *r);
int	 dashboard_run(struct render *r);
int	 alerts_page_run(struct render *r);
int	 static_run(struct render *r);

#endif
