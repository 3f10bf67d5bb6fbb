/* ship.h — apimon-ship: the ingest host's rows to ClickHouse. */
#ifndef APIMON_SHIP_H
#define APIMON_SHIP_H

/*
 * Error policy: every function returns 0, or -1 after printing why (one
 * line naming the database or the ClickHouse node); the watermark never
 * moves past a row ClickHouse has not confirmed, so a failed run is
 * simply run again.
 */

#include <stdint.h>

#include "ch.h"
#include "conf.h"
#include "db.h"

/* The meta key of the highest api_requests.id that ClickHouse holds. */
#define SHIP_WATERMARK	"ship_last_id"

struct ship {
	const struct conf	*conf;
	struct db		*db;
	struct ch		*ch;
	long			 rows, batches;		/* shipped so far */
	volatile int		*stop;		/* set by a signal: end soon */
};

/*
 * Ship every row past the watermark, batch_rows at a time; each batch
 * moves the watermark once ClickHouse has written it.
 */
int	 ship_round(struct ship *s);

/*
 * Delete the shipped rows whose time is older than keep_days before
 * now_ms (never an unshipped row, never the newest row: see ship.c);
 * *n says how many.
 */
int	 ship_purge(struct ship *s, int64_t now_ms, long *n);

/*
 * --init: the database, the local table on every node and, with a
 * cluster, the Distributed table beside it; an existing table must have
 * apimon's columns.  Returns the exit status.
 */
int	 ship_init(const struct conf *c);

#endif
