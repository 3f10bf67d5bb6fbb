/* ch.h — ClickHouse's HTTP interface through libcurl: queries and inserts. */
#ifndef APIMON_CH_H
#define APIMON_CH_H

/*
 * Error policy: every call returns CH_OK, or CH_ERR with one line in
 * ch_error() that starts with the node's URL and says why (the server's
 * own "Code: N, ..." text when it answered), or CH_ABORT when a callback
 * stopped it (the callback knows why).  Every request asks for
 * wait_end_of_query=1, so that an error met after the first rows is a
 * 500, never a 200 with a cut body.  The password travels only as basic
 * auth through libcurl's options: never in a URL, an argv or a message
 * (a message that would quote it has it replaced with "***").  Proxies
 * from the environment are not used.  curl_global_init() is the
 * program's to call.
 */

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

enum ch_rc { CH_OK = 0, CH_ERR, CH_ABORT };

/* The table rows are inserted into and queried from, on url. */
#define CH_TABLE	"requests"
/* The table that holds a node's own rows: the same with one server. */
#define CH_LOCAL(c)	((c)->cluster[0] != '\0' ? "requests_local" : "requests")

struct ch;

/*
 * A client of the node at url (as the config holds it: no trailing
 * slash) with c's user and password.  Returns it (the caller frees it
 * with ch_free()), or NULL when out of memory.
 */
struct ch	*ch_new(const char *url, const struct conf_clickhouse *c);
void		 ch_free(struct ch *h);

/* The last error, "URL: why"; "" after success. */
const char	*ch_error(const struct ch *h);

/* The node's URL, as given to ch_new(). */
const char	*ch_url(const struct ch *h);

/*
 * Run sql (with the URL query settings in settings, "a=1&b=2", or NULL),
 * whose result ClickHouse sends as TabSeparated.  Each row comes to fn
 * as its nf fields, unescaped and NUL-terminated (NULL for \N), valid
 * during the call; fn may change the bytes.  A row with another number
 * of fields is an error (the server's words, when it wrote them there).
 * fn returns 0 to go on; anything else stops the query with CH_ABORT.
 */
enum ch_rc	 ch_query(struct ch *h, const char *sql, const char *settings,
		    size_t nf, int (*fn)(char **f, void *), void *arg);

/* Run sql that returns no rows: DDL, ALTER. */
enum ch_rc	 ch_exec(struct ch *h, const char *sql);

/*
 * INSERT INTO table FORMAT JSONEachRow, the body gzip-compressed on the
 * fly (chunked), with the URL query settings in settings (or NULL).
 * fill(buf, size, arg) puts up to size bytes of rows into buf and
 * returns how many, 0 at the end, or (size_t)-1 to give up (CH_ABORT).
 * CH_OK means that ClickHouse has written every row.
 */
enum ch_rc	 ch_insert(struct ch *h, const char *table,
		    const char *settings,
		    size_t (*fill)(char *buf, size_t size, void *arg),
		    void *arg);

/*
 * Append s to b as a SQL string literal ('...' with \ and ' escaped),
 * or as a JSON string ("..." with control characters as \u00XX, and
 * bytes that are not UTF-8 as U+FFFD) for ch_json_str().
 */
struct buf;
void		 ch_sql_str(struct buf *b, const char *s);
void		 ch_json_str(struct buf *b, const char *s, size_t len);

#endif
