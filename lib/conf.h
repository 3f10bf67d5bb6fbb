/* conf.h — the JSON config file of DESIGN.md, with built-in defaults. */
#ifndef APIMON_CONF_H
#define APIMON_CONF_H

/*
 * Error policy: conf_load() returns 0 or -1 with one message that names
 * the file and the key in err; it never exits and leaves nothing to free
 * on failure.  The key functions return NULL only when out of memory.
 */

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_PATH	"/etc/apimon/apimon.json"

enum conf_sync { CONF_SYNC_OFF, CONF_SYNC_NORMAL, CONF_SYNC_FULL };

struct conf_price {
	char	*model;
	int64_t	 in_nusd_per_mtok;	/* nano-dollars per million tokens */
	int64_t	 out_nusd_per_mtok;
};

struct conf_notify {
	char	*type;		/* command webhook discord slack telegram email */
	char   **argv;		/* command: NULL-terminated */
	char	*url;		/* webhook, discord, slack; email: smtp(s):// */
	char	*bot_token;	/* telegram */
	char	*chat_id;	/* telegram */
	char	*username;	/* email, optional */
	char	*password;
	char	*from;		/* email */
	char   **to;		/* email: NULL-terminated */
	int	 starttls;	/* email over smtp://: require STARTTLS */
	char	*ca_file;	/* email: CA certificates to trust, or NULL */
	int	 digest;	/* also gets the daily digest */
};

#define CONF_MAX_BUDGETS	1000

/* A cost limit of one scope: "all", "source:X", "model:X" or "user:X". */
struct conf_budget {
	char	*scope;
	int64_t	 daily_nusd;	/* 0: none */
	int64_t	 monthly_nusd;	/* 0: none */
};

/* The source an OpenTelemetry service's spans are stored as (otlp.sources). */
struct conf_service {
	char	*service;	/* service.name, as sent */
	char	*source;	/* a source id, lower case */
};

/* A display name for a source id (config "sources"). */
struct conf_source {
	char	*id;		/* lower case, as ingest stores it */
	char	*name;
};

/* The ClickHouse cluster of a scale-out deployment (docs/scale.md). */
struct conf_clickhouse {
	char	*url;		/* the node for inserts and queries; NULL: none */
	char	*database;
	char	*user;		/* "": ClickHouse's default user */
	char	*password;	/* never in a URL, argv or a message */
	char	*cluster;	/* remote_servers name; "": one server */
	char   **nodes;		/* every node's HTTP URL (url alone by default) */
	size_t	 nnodes;
};

/* An ingest host that ships its rows to ClickHouse (apimon-ship). */
struct conf_ship {
	char	*host;		/* this host's name in ClickHouse; NULL: none */
	long	 keep_days;	/* shipped rows are kept this long */
	long	 batch_rows;	/* rows per INSERT */
};

struct conf {
	char			*path;	/* file read, or NULL: defaults */
	char			*database;
	char			*site_dir;
	char			*timezone;
	char			*share_dir;	/* templates/, site/; NULL: found */
	char			*locale;	/* "en", "zh-TW": locales/LOCALE.json */
	char			*site_url;	/* where the site is read; NULL */
	struct {
		char		*token;	/* "" when no token is required */
		long		 max_body_bytes;
		long		 max_batch;
		long		 command_max_chars;
		enum conf_sync	 synchronous;
	} ingest;
	struct {
		int64_t		 daily_cost_nusd;	/* 0: rule off */
		double		 warn_ratio;
		double		 error_rate;		/* 0: rule off */
		long		 min_requests;
		double		 latency_p95_s;		/* 0: rule off */
		long		 max_scopes;	/* per rule, kind, day */
		long		 repeat_hours;		/* 0: never again */
		long		 notify_max_age_hours;
		long		 no_data_minutes;	/* 0: rule off */
		double		 anomaly_factor;	/* 0: rule off */
		long		 anomaly_min_requests;
		struct conf_budget *budgets;
		size_t		 nbudgets;
	} alerts;
	struct {
		long		 cron_interval_s;	/* how often cron runs */
		long		 explorer_days;	/* raw rows on the site; 0: off */
	} site;
	struct conf_notify	*notify;
	size_t			 nnotify;
	struct conf_source	*sources;
	size_t			 nsources;
	struct conf_service	*otlp_sources;
	size_t			 notlp_sources;
	long			 retention_raw_days;
	struct conf_price	*prices;
	size_t			 nprices;
	struct conf_clickhouse	 clickhouse;
	struct conf_ship	 ship;
};

/*
 * Fill c with the defaults, then with the config file: path if not NULL,
 * else $APIMON_CONFIG if set, else CONF_DEFAULT_PATH if it exists.
 * Returns 0, or -1 with a message naming the file and key in err; on
 * failure c holds nothing that needs freeing.  On success the caller
 * frees c with conf_free().
 */
int	conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* Free what conf_load() allocated. */
void	conf_free(struct conf *c);

/*
 * The key of a notifier, as its deliveries are stored and logged: its
 * type, where it sends (host, chat or program) and a short hash of what
 * identifies it, never a secret: "slack hooks.slack.com #1a2b3c4d".
 * conf_notify_key_legacy() gives the same key for a key stored by an
 * older apimon ("slack https://hooks.slack.com/services/...").  Both
 * return a malloc'd string, or NULL when out of memory.
 */
char	*conf_notify_key(const struct conf_notify *n);
char	*conf_notify_key_legacy(const char *legacy);

/* The config's display name of source id ("sources"), or NULL. */
const char *conf_source_name(const struct conf *c, const char *id);

/* The source the config names for an OTel service.name, or NULL. */
const char *conf_otlp_source(const struct conf *c, const char *service);

/* The price of model, or NULL when the config names none. */
const struct conf_price *conf_price(const struct conf *c, const char *model);

#endif
