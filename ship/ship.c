/* ship.c — batches of raw rows to ClickHouse, and the local queue's end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "ship.h"
#include "ts.h"

#define PURGE_CHUNK	20000		/* rows deleted per transaction */
#define DAY_MS		86400000LL

/* One batch as libcurl pulls it: rows read one at a time, as JSON lines. */
struct batch {
	struct ship	*s;
	struct buf	 out;		/* JSON lines not handed out yet */
	size_t		 pos;		/* of out, handed out */
	long		 rows;
	int64_t		 last_id;
	int64_t		 shipped_ms;
	int		 end;		/* no more rows */
};

/* A literal, without its NUL. */
#define ADD(b, lit)	buf_add((b), (lit), sizeof(lit) - 1)

/* An integer in decimal (printf would cost a quarter of a batch). */
static void
put_int(struct buf *b, int64_t v)
{
	char		 tmp[24], *p = tmp + sizeof(tmp);
	uint64_t	 u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void
put_str(struct buf *b, const char *v)
{
	if (v == NULL)
		ADD(b, "null");
	else
		ch_json_str(b, v, strlen(v));
}

/* An optional integer: -1 is absent. */
static void
put_opt(struct buf *b, int64_t v)
{
	if (v < 0)
		ADD(b, "null");
	else
		put_int(b, v);
}

/*
 * One row as a JSONEachRow line with every column of the table:
 * ClickHouse 18.16 gives an omitted field its type's zero, not its
 * DEFAULT.
 */
static void
encode(struct batch *bt, const struct rec *r)
{
	struct buf	*b = &bt->out;

	ADD(b, "{\"request_id\":");
	put_str(b, r->request_id);
	ADD(b, ",\"ts_ms\":");
	put_int(b, r->ts_ms);
	ADD(b, ",\"source\":");
	put_str(b, r->source);
	ADD(b, ",\"user_id\":");
	put_str(b, r->user_id);
	ADD(b, ",\"command\":");
	put_str(b, r->command);
	ADD(b, ",\"model\":");
	put_str(b, r->model);
	ADD(b, ",\"provider\":");
	put_str(b, r->provider);
	ADD(b, ",\"status\":");
	put_str(b, r->status);
	ADD(b, ",\"latency_us\":");
	put_int(b, r->latency_us);
	ADD(b, ",\"ttft_us\":");
	put_opt(b, r->ttft_us);
	ADD(b, ",\"input_tokens\":");
	put_opt(b, r->input_tokens);
	ADD(b, ",\"output_tokens\":");
	put_opt(b, r->output_tokens);
	ADD(b, ",\"tokens\":");
	put_int(b, r->tokens);
	ADD(b, ",\"cost_nusd\":");
	put_int(b, r->cost_nusd);
	ADD(b, ",\"cost_source\":");
	put_str(b, rec_cost_source_name(r->cost_source));
	ADD(b, ",\"error\":");
	put_str(b, r->error);
	ADD(b, ",\"metadata\":");
	put_str(b, r->metadata);
	ADD(b, ",\"received_ms\":");
	put_int(b, r->received_ms);
	ADD(b, ",\"host\":");
	put_str(b, bt->s->conf->ship.host);
	ADD(b, ",\"shipped_ms\":");
	put_int(b, bt->shipped_ms);
	ADD(b, "}\n");
}

/* libcurl (through ch_insert) wants up to size more bytes of the body. */
static size_t
fill(char *dst, size_t size, void *arg)
{
	struct batch	*bt = arg;
	struct rec	 r;
	int64_t		 id;
	size_t		 n;
	int		 got;

	if (bt->pos == bt->out.len) {
		bt->out.len = bt->pos = 0;
		while (!bt->end && bt->out.len < size) {
			if (db_ship_next(bt->s->db, &r, &id, &got) != DB_OK)
				return (size_t)-1;
			if (!got) {
				bt->end = 1;
				break;
			}
			encode(bt, &r);
			bt->rows++;
			bt->last_id = id;
		}
		if (bt->out.failed)
			return (size_t)-1;
	}
	n = bt->out.len - bt->pos;
	if (n > size)
		n = size;
	if (n > 0)
		memcpy(dst, bt->out.p + bt->pos, n);
	bt->pos += n;
	return n;
}

/* Ship one batch after *wm; *rows says how many it held.  0 or -1. */
static int
ship_batch(struct ship *s, int64_t *wm, long *rows)
{
	const struct conf	*c = s->conf;
	struct batch		 bt;
	enum ch_rc		 rc;
	const char		*hint;
	char			 table[80];
	int			 oom;

	memset(&bt, 0, sizeof(bt));
	bt.s = s;
	bt.shipped_ms = ts_now_ms();
	*rows = 0;
	/* The database is a name of at most 64 characters (conf_ch.c). */
	snprintf(table, sizeof(table), "%s.%s", c->clickhouse.database,
	    CH_TABLE);
	if (db_ship_open(s->db, *wm, c->ship.batch_rows) != DB_OK) {
		log_errx("%s: reading rows: %s", c->database,
		    db_errmsg(s->db));
		return -1;
	}
	/* Copies of a row all go to the shard of cityHash64(request_id). */
	rc = ch_insert(s->ch, table, c->clickhouse.cluster[0] != '\0' ?
	    "insert_distributed_sync=1" : NULL, fill, &bt);
	db_ship_close(s->db);
	oom = bt.out.failed;
	buf_free(&bt.out);
	if (rc == CH_ABORT) {
		log_errx("%s: reading rows: %s", c->database, oom ?
		    "out of memory" : db_errmsg(s->db));
		return -1;
	}
	if (rc != CH_OK) {
		hint = strstr(ch_error(s->ch), "doesn't exist") != NULL ?
		    " (run apimon-ship --init)" : "";
		log_errx("%s%s; %ld rows in %ld batches were shipped before",
		    ch_error(s->ch), hint, s->rows, s->batches);
		return -1;
	}
	if (bt.rows == 0)
		return 0;
	/* Only now: ClickHouse has written every row of the batch. */
	if (db_meta_set(s->db, SHIP_WATERMARK, bt.last_id) != DB_OK) {
		log_errx("%s: saving the watermark: %s (ClickHouse has the "
		    "batch; it is sent again and kept once)", c->database,
		    db_errmsg(s->db));
		return -1;
	}
	*wm = bt.last_id;
	*rows = bt.rows;
	s->rows += bt.rows;
	s->batches++;
	return 0;
}

int
ship_round(struct ship *s)
{
	int64_t	 wm = 0, max;
	long	 n;

	if (db_meta_get(s->db, SHIP_WATERMARK, &wm) != DB_OK ||
	    db_max_rowid(s->db, &max) != DB_OK) {
		log_errx("%s: reading the watermark: %s", s->conf->database,
		    db_errmsg(s->db));
		return -1;
	}
	while (wm < max && !*s->stop) {
		if (ship_batch(s, &wm, &n))
			return -1;
		if (n < s->conf->ship.batch_rows)
			break;
	}
	return 0;
}

/*
 * Ids only grow: SQLite has one writer at a time, and a row gets the
 * next id (max + 1) in a transaction that commits before any other
 * writer begins, so a row committed after a batch was read has an id
 * above the batch's.  Only if the newest rows were deleted could an id
 * come back (without AUTOINCREMENT, max + 1 is computed afresh): so the
 * newest row always stays, and the watermark stays below every new id.
 */
int
ship_purge(struct ship *s, int64_t now_ms, long *n)
{
	const struct conf	*c = s->conf;
	int64_t			 wm = 0, max = 0, upto;
	long			 k;

	*n = 0;
	if (db_meta_get(s->db, SHIP_WATERMARK, &wm) != DB_OK ||
	    db_max_rowid(s->db, &max) != DB_OK)
		goto fail;
	upto = wm < max - 1 ? wm : max - 1;
	do {
		if (db_begin(s->db) != DB_OK || db_purge(s->db, now_ms -
		    c->ship.keep_days * DAY_MS, upto, PURGE_CHUNK, &k) !=
		    DB_OK || db_commit(s->db) != DB_OK)
			goto fail;
		*n += k;
	} while (k == PURGE_CHUNK && !*s->stop);
	return 0;
fail:
	log_errx("%s: deleting shipped rows: %s", c->database,
	    db_errmsg(s->db));
	db_rollback(s->db);
	return -1;
}
