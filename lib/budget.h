/* budget.h — what a budget's scope has spent, and where its month is going. */
#ifndef APIMON_BUDGET_H
#define APIMON_BUDGET_H

/*
 * Error policy: the functions return a db_rc; on failure nothing is left
 * to free and db_errmsg() says why.
 *
 * A scope's cost comes from the daily rollups ("all", "source:X",
 * "model:X") or from the raw rows ("user:X": users have no rollups).
 */

#include <stdint.h>

#include "conf.h"
#include "db.h"

/* The cost of scope over the local days [from, to) ("YYYY-MM-DD"). */
enum db_rc	 budget_days_cost(struct db *db, const char *scope,
		    const char *from, const char *to, int64_t *nusd);

struct budget_month {
	char	 month[8];		/* "YYYY-MM" */
	int	 running;		/* the month is under way at now */
	int64_t	 limit_nusd;
	int64_t	 spent_nusd;		/* to now; all of it when over */
	int64_t	 rate_nusd_day;		/* the last 7 days' cost a day */
	int64_t	 forecast_nusd;		/* by its end at that rate */
	int64_t	 reach_ms;		/* when spent reaches the limit at
					   that rate: 0 already, -1 not
					   this month */
	int	 reach_mday;		/* its day of the month, or 0 */
};

/*
 * The month of the local day "YYYY-MM-DD" (day) for budget b at now_ms:
 * a month before now's is over (its forecast is what it spent).
 */
enum db_rc	 budget_month(struct db *db, const struct conf_budget *b,
		    const char *day, int64_t now_ms, struct budget_month *m);

#endif
