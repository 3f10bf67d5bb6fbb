/* init.c — apimon-ship --init: apimon's tables on every ClickHouse node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "ship.h"

/*
 * The columns apimon writes, in the order of api_requests, then where and
 * when the row was shipped.  SQL that ClickHouse 18.16 and today's
 * releases both take: no DateTime64, LowCardinality, codecs or TTL.
 */
static const char *const columns[][2] = {
	{ "request_id", "String" },
	{ "ts_ms", "Int64" },
	{ "source", "String" },
	{ "user_id", "Nullable(String)" },
	{ "command", "Nullable(String)" },
	{ "model", "Nullable(String)" },
	{ "provider", "Nullable(String)" },
	{ "status", "String" },
	{ "latency_us", "Int64" },
	{ "ttft_us", "Nullable(Int64)" },
	{ "input_tokens", "Nullable(Int64)" },
	{ "output_tokens", "Nullable(Int64)" },
	{ "tokens", "Int64" },
	{ "cost_nusd", "Int64" },
	{ "cost_source", "String" },
	{ "error", "Nullable(String)" },
	{ "metadata", "Nullable(String)" },
	{ "received_ms", "Int64" },
	{ "host", "String" },
	{ "shipped_ms", "Int64" },
};
#define NCOLUMNS	(sizeof(columns) / sizeof(columns[0]))

/*
 * One partition a UTC day: retention drops whole days, and every copy of
 * a row (same request_id, same ts_ms) lands in the same one, where
 * ReplacingMergeTree keeps one of them by the sort key.
 */
static void
local_ddl(struct buf *b, const char *db, const char *table)
{
	size_t	 i;

	buf_printf(b, "CREATE TABLE IF NOT EXISTS %s.%s (", db, table);
	for (i = 0; i < NCOLUMNS; i++)
		buf_printf(b, "%s%s %s", i ? ", " : "", columns[i][0],
		    columns[i][1]);
	buf_puts(b, ") ENGINE = ReplacingMergeTree()"
	    " PARTITION BY intDiv(ts_ms, 86400000) ORDER BY request_id");
}

struct cols {
	char	 seen[NCOLUMNS];
	char	 bad[256];
};

static int
take_column(char **f, void *arg)
{
	struct cols	*c = arg;
	size_t		 i;

	for (i = 0; i < NCOLUMNS; i++)
		if (f[0] != NULL && strcmp(f[0], columns[i][0]) == 0) {
			c->seen[i] = 1;
			if (f[1] == NULL || strcmp(f[1], columns[i][1]) != 0)
				snprintf(c->bad, sizeof(c->bad), "column %s is "
				    "%s, not %s", columns[i][0], f[1] ? f[1] :
				    "NULL", columns[i][1]);
		}
	return 0;
}

/* The table on h must have every column of apimon's; 0 or -1. */
static int
check_table(struct ch *h, const char *db, const char *table)
{
	struct cols	 c;
	struct buf	 q = { 0 };
	size_t		 i;
	int		 rc = -1;

	memset(&c, 0, sizeof(c));
	buf_puts(&q, "SELECT name, type FROM system.columns WHERE database = ");
	ch_sql_str(&q, db);
	buf_puts(&q, " AND table = ");
	ch_sql_str(&q, table);
	if (q.failed) {
		log_errx("out of memory");
		goto out;
	}
	if (ch_query(h, q.p, NULL, 2, take_column, &c) != CH_OK) {
		log_errx("%s", ch_error(h));
		goto out;
	}
	for (i = 0; i < NCOLUMNS && c.bad[0] == '\0'; i++)
		if (!c.seen[i])
			snprintf(c.bad, sizeof(c.bad), "no column %s %s",
			    columns[i][0], columns[i][1]);
	if (c.bad[0] != '\0') {
		log_errx("%s: table %s.%s is not apimon's: %s (drop or rename "
		    "it, then run --init again)", ch_url(h), db, table, c.bad);
		goto out;
	}
	rc = 0;
out:
	buf_free(&q);
	return rc;
}

static int
exec(struct ch *h, struct buf *q)
{
	if (q->failed) {
		log_errx("out of memory");
		return -1;
	}
	if (ch_exec(h, q->p) != CH_OK) {
		log_errx("%s", ch_error(h));
		return -1;
	}
	return 0;
}

/* The tables of one node; 0 or -1. */
static int
init_node(const struct conf_clickhouse *c, const char *url)
{
	struct ch	*h;
	struct buf	 q = { 0 };
	const char	*local = CH_LOCAL(c);
	int		 rc = -1;

	if ((h = ch_new(url, c)) == NULL) {
		log_errx("out of memory");
		return -1;
	}
	buf_printf(&q, "CREATE DATABASE IF NOT EXISTS %s", c->database);
	if (exec(h, &q))
		goto out;
	q.len = 0;
	local_ddl(&q, c->database, local);
	if (exec(h, &q) || check_table(h, c->database, local))
		goto out;
	if (c->cluster[0] != '\0') {
		/* Copies of a row land on one shard, to be kept once there. */
		q.len = 0;
		buf_printf(&q, "CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s "
		    "ENGINE = Distributed(%s, %s, %s, cityHash64(request_id))",
		    c->database, CH_TABLE, c->database, local, c->cluster,
		    c->database, local);
		if (exec(h, &q) || check_table(h, c->database, CH_TABLE))
			goto out;
	}
	rc = 0;
out:
	buf_free(&q);
	ch_free(h);
	return rc;
}

int
ship_init(const struct conf *conf)
{
	const struct conf_clickhouse	*c = &conf->clickhouse;
	size_t				 i;

	/*
	 * Without ZooKeeper there is no ON CLUSTER: each node gets its
	 * tables here, and every statement can run again.
	 */
	for (i = 0; i < c->nnodes; i++)
		if (init_node(c, c->nodes[i]))
			return 1;
	if (c->cluster[0] != '\0')
		printf("apimon-ship: tables %s.%s and %s.%s (Distributed over "
		    "cluster %s) ready on %zu nodes\n", c->database,
		    CH_LOCAL(c), c->database, CH_TABLE, c->cluster, c->nnodes);
	else
		printf("apimon-ship: table %s.%s ready on %s\n", c->database,
		    CH_TABLE, c->url);
	return 0;
}
