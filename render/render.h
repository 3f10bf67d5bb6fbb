/* render.h — apimon-render: the static site from the rollups. */
#ifndef APIMON_RENDER_H
#define APIMON_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "db.h"
#include "hist.h"
#include "json.h"
#include "tpl.h"
#include "ts.h"
#include "tz.h"

#define DASH_DAYS	60	/* the dashboard's days: 30 shown + 30 before */
#define DASH_HOURS	720
#define RECENT_ROWS	50

/* Totals of a set of rollup rows. */
struct totals {
	int64_t		 requests, successes, failures, latency_sum_us;
	int64_t		 tokens, input_tokens, output_tokens, cost_nusd;
	struct hist	 hist;
};

/* One daily_stats row, kept in memory for the whole run. */
struct dayrow {
	char		 day[TZ_DAY_LEN];
	char		*source, *model;
	struct totals	 t;
};

struct render {
	const struct conf	*conf;
	struct db		*db;
	const char		*out;		/* site directory */
	const char		*share;		/* templates/ and site/ live here */
	int64_t			 now_ms;
	int64_t			 data_ms;	/* when the rollups last changed */
	struct dayrow		*rows;		/* every daily_stats row */
	size_t			 nrows, caprows;
	struct alert		*alerts;	/* newest first */
	size_t			 nalerts, capalerts;
	char			 latest[64];	/* latest daily report, or "" */
	long			 written, unchanged;
	size_t			 bytes;
};

/* out.c: write-then-rename, only when the content differs. */
int	 out_write(struct render *r, const char *rel, const char *data,
	    size_t len);
int	 out_copy(struct render *r, const char *src, const char *rel);

/* esc.c: JSON placed inside <script>; a CSV field.  Both malloc'd. */
char	*esc_json_script(const char *json);
char	*esc_csv(const char *s);

/* totals.c */
void	 totals_add(struct totals *t, const struct totals *u);
void	 totals_add_stats(struct totals *t, const struct db_stats *s);
cJSON	*totals_json(const struct totals *t, const char *key,
	    const char *name);
void	 format_offset_time(int64_t ms, char *buf, size_t size);

/* The first of the rows (sorted by day) on or after day. */
size_t	 rows_from(const struct render *r, const char *day);


/*
 * Set template keys from string members of o: pairs is a NULL-ended list
 * of KEY, member names.
 */
void	 tpl_from_json(struct tpl *t, const cJSON *o, const char *const *pairs);

/* Expand a template and write it; 0 or -1. */
int	 page(struct render *r, const char *tpl, struct tpl *t,
	    const char *rel);

/* The parts of the site. */
int	 reports_run(struct render *r);
int	 dashboard_run(struct render *r);
int	 alerts_page_run(struct render *r);
int	 static_run(struct render *r);

#endif
