/*
 * bench/import/bare.c — the bare-SQLite ceiling for the import benchmark.
 *
 * Loads an NDJSON file of ingest records into memory (parsed and converted to
 * column values: untimed), then inserts them into api_requests of an existing
 * database (schema created beforehand by bin/apimon-ingest) with one prepared
 * statement bound by index, in transactions of --batch rows.  Only the
 * bind + step + commit loop is timed.  The ratio apimon-import / bare is the
 * cost of apimon's reading, parsing, validating and its own insert path.
 *
 * Usage: bare --db PATH --ndjson FILE [--synchronous off|normal|full]
 *             [--batch 10000] [--cache-kib 16384]
 * The page cache defaults to what apimon-ingest --import uses
 * (db_tune_bulk(): PRAGMA cache_size = -16384); 0 keeps SQLite's default.
 * Prints human lines and one "BARELINE key=value ..." line for run.sh.
 *
 * Build: cc -std=c17 -O2 -Wall -Wextra -Werror $(pkg-config --cflags sqlite3 libcjson) \
 *           -o bare bare.c $(pkg-config --libs sqlite3 libcjson) -lm
 */
#define _POSIX_C_SOURCE 200809L

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMMAND_MAX_CHARS 200	/* the config default, ingest.command_max_chars */

/* The contract's columns, in the order they are bound. */
enum col {
	C_REQUEST_ID, C_TS_MS, C_SOURCE, C_USER_ID, C_COMMAND, C_MODEL,
	C_PROVIDER, C_STATUS, C_LATENCY_US, C_TTFT_US, C_INPUT_TOKENS,
	C_OUTPUT_TOKENS, C_TOKENS, C_COST_NUSD, C_COST_SOURCE, C_ERROR,
	C_METADATA, C_RECEIVED_MS, NCOL
};
static const char *const colname[NCOL] = {
	"request_id", "ts_ms", "source", "user_id", "command", "model",
	"provider", "status", "latency_us", "ttft_us", "input_tokens",
	"output_tokens", "tokens", "cost_nusd", "cost_source", "error",
	"metadata", "received_ms"
};
static const int is_text[NCOL] = {
	[C_REQUEST_ID] = 1, [C_SOURCE] = 1, [C_USER_ID] = 1, [C_COMMAND] = 1,
	[C_MODEL] = 1, [C_PROVIDER] = 1, [C_STATUS] = 1, [C_COST_SOURCE] = 1,
	[C_ERROR] = 1, [C_METADATA] = 1
};

/* One pre-parsed row: text columns as strings (NULL = absent), integer
 * columns as values with a presence flag. */
struct row {
	char	*text[NCOL];
	int64_t	 num[NCOL];
	unsigned char has[NCOL];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bare-import: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" -> Unix ms; -1 if bad. */
static int64_t rfc3339_ms(const char *s)
{
	int y, mo, d, h, mi, se, ms = 0, oh, om, sign;
	size_t n = strlen(s);

	if (n < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	s += 19;
	if (*s == '.') {
		int scale = 100;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			ms += (*s - '0') * scale;
	}
	if (*s == 'Z' || *s == 'z') {
		oh = om = 0;
		sign = 1;
	} else if ((*s == '+' || *s == '-') && strlen(s) == 6 &&
	    !digits(s + 1, 2, &oh) && s[3] == ':' && !digits(s + 4, 2, &om)) {
		sign = *s == '-' ? -1 : 1;
	} else {
		return -1;
	}
	int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
	return t * 1000 + ms;
}

/* s cut as apimon cuts a command: over max UTF-8 characters, its first
 * max - 1 and an ellipsis (U+2026). */
static char *utf8_cut(const char *s, int max)
{
	size_t i = 0, keep = 0;
	int chars = 0;

	while (s[i]) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max - 1)
				keep = i;
			chars++;
		}
		i++;
	}
	int cut = chars > max;
	size_t n = cut ? keep : i;
	char *out = malloc(n + 4);
	if (!out)
		die("%s", "out of memory");
	memcpy(out, s, n);
	if (cut)
		memcpy(out + n, "\xe2\x80\xa6", 3), n += 3;
	out[n] = '\0';
	return out;
}

static char *dup_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(v))
		return NULL;
	char *s = strdup(v->valuestring);
	if (!s)
		die("%s", "out of memory");
	return s;
}

static int get_num(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v))
		return 0;
	*out = v->valuedouble;
	return 1;
}

static void set(struct row *r, enum col c, int64_t v)
{
	r->num[c] = v;
	r->has[c] = 1;
}

/* Convert one record; 0 when it lacks what the schema needs. */
static int convert(const cJSON *o, struct row *r, int64_t received)
{
	double x;
	const cJSON *v;

	memset(r, 0, sizeof *r);
	r->text[C_REQUEST_ID] = dup_str(o, "request_id");
	r->text[C_SOURCE] = dup_str(o, "source");
	r->text[C_STATUS] = dup_str(o, "status");
	if (!r->text[C_REQUEST_ID] || !r->text[C_SOURCE] || !r->text[C_STATUS] ||
	    !get_num(o, "execution_time", &x))
		return 0;
	set(r, C_LATENCY_US, llround(x * 1e6));
	r->text[C_USER_ID] = dup_str(o, "user_id");
	r->text[C_MODEL] = dup_str(o, "model");
	r->text[C_PROVIDER] = dup_str(o, "provider");
	r->text[C_ERROR] = dup_str(o, "error");
	v = cJSON_GetObjectItemCaseSensitive(o, "command");
	if (cJSON_IsString(v))
		r->text[C_COMMAND] = utf8_cut(v->valuestring, COMMAND_MAX_CHARS);
	if (get_num(o, "time_to_first_token", &x))
		set(r, C_TTFT_US, llround(x * 1e6));
	if (get_num(o, "input_tokens", &x))
		set(r, C_INPUT_TOKENS, (int64_t)x);
	if (get_num(o, "output_tokens", &x))
		set(r, C_OUTPUT_TOKENS, (int64_t)x);
	if (get_num(o, "tokens_used", &x))
		set(r, C_TOKENS, (int64_t)x);
	else if (r->has[C_INPUT_TOKENS] || r->has[C_OUTPUT_TOKENS])
		set(r, C_TOKENS, r->num[C_INPUT_TOKENS] + r->num[C_OUTPUT_TOKENS]);
	if (get_num(o, "cost", &x)) {
		set(r, C_COST_NUSD, llround(x * 1e9));
		r->text[C_COST_SOURCE] = strdup("reported");
	} else {
		r->text[C_COST_SOURCE] = strdup("none");
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "timestamp");
	if (cJSON_IsString(v))
		set(r, C_TS_MS, rfc3339_ms(v->valuestring));
	else if (cJSON_IsNumber(v))
		set(r, C_TS_MS, llround(v->valuedouble * 1000));
	if (!r->has[C_TS_MS] || r->num[C_TS_MS] < 0)
		set(r, C_TS_MS, received);
	v = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	if (cJSON_IsObject(v))
		r->text[C_METADATA] = cJSON_PrintUnformatted(v);
	set(r, C_RECEIVED_MS, received);
	return 1;
}

static void sql(sqlite3 *db, const char *s)
{
	char *err = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK)
		die("%s", err ? err : sqlite3_errmsg(db));
}

int main(int argc, char **argv)
{
	const char *dbpath = NULL, *file = NULL, *sync = "normal";
	long batch = 10000, cache_kib = 16384;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die("missing value after %s", argv[i]);
		if (!strcmp(argv[i], "--db"))
			dbpath = argv[++i];
		else if (!strcmp(argv[i], "--ndjson"))
			file = argv[++i];
		else if (!strcmp(argv[i], "--synchronous"))
			sync = argv[++i];
		else if (!strcmp(argv[i], "--batch"))
			batch = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cache-kib"))
			cache_kib = strtol(argv[++i], NULL, 10);
		else
			die("unknown argument %s", argv[i]);
	}
	if (!dbpath || !file || batch < 1 || cache_kib < 0)
		die("%s", "usage: bare --db PATH --ndjson FILE [--synchronous MODE] [--batch N] [--cache-kib N]");
	if (strcmp(sync, "off") && strcmp(sync, "normal") && strcmp(sync, "full"))
		die("bad --synchronous %s", sync);

	/* ---- untimed: read and convert every record ---- */
	double t0 = now_s();
	FILE *in = fopen(file, "r");
	if (!in)
		die("cannot open %s", file);
	size_t cap = 1 << 16, nrows = 0, lines = 0, skipped = 0;
	struct row *rows = malloc(cap * sizeof *rows);
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	int64_t received = wall_ms();
	if (!rows)
		die("%s", "out of memory");
	while ((len = getline(&line, &linecap, in)) > 0) {
		if (len == 1 && line[0] == '\n')
			continue;
		lines++;
		cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
		if (nrows == cap) {
			cap *= 2;
			rows = realloc(rows, cap * sizeof *rows);
			if (!rows)
				die("%s", "out of memory");
		}
		if (cJSON_IsObject(o) && convert(o, &rows[nrows], received))
			nrows++;
		else
			skipped++;
		cJSON_Delete(o);
	}
	free(line);
	if (ferror(in))
		die("read error: %s", strerror(errno));
	fclose(in);
	double parse_s = now_s() - t0;

	/* ---- the database, set up as apimon-ingest does ---- */
	sqlite3 *db;
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open database %s (create the schema first)", dbpath);
	sqlite3_busy_timeout(db, 5000);
	sql(db, "PRAGMA journal_mode=WAL");
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", sync);
	sql(db, pragma);
	if (cache_kib > 0) {
		snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%ld", cache_kib);
		sql(db, pragma);
	}

	/* Which contract columns are NOT NULL (absent -> 0 or ''), and does the
	 * schema have NOT NULL columns without a default that we do not fill? */
	int notnull[NCOL] = { 0 }, found[NCOL] = { 0 };
	sqlite3_stmt *ti;
	if (sqlite3_prepare_v2(db, "PRAGMA table_info(api_requests)", -1, &ti, NULL) != SQLITE_OK)
		die("%s", sqlite3_errmsg(db));
	while (sqlite3_step(ti) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(ti, 1);
		int nn = sqlite3_column_int(ti, 3);
		int has_default = sqlite3_column_type(ti, 4) != SQLITE_NULL;
		int pk = sqlite3_column_int(ti, 5);
		int c;
		for (c = 0; c < NCOL; c++)
			if (!strcmp(name, colname[c]))
				break;
		if (c < NCOL) {
			found[c] = 1;
			notnull[c] = nn;
		} else if (nn && !has_default && !pk) {
			die("api_requests.%s is NOT NULL without a default: bare.c does not fill it", name);
		}
	}
	sqlite3_finalize(ti);
	for (int c = 0; c < NCOL; c++)
		if (!found[c])
			die("api_requests has no column %s (see DESIGN.md)", colname[c]);

	char ins[1024];
	size_t o = (size_t)snprintf(ins, sizeof ins, "INSERT INTO api_requests(");
	for (int c = 0; c < NCOL; c++)
		o += (size_t)snprintf(ins + o, sizeof ins - o, "%s%s", c ? "," : "", colname[c]);
	o += (size_t)snprintf(ins + o, sizeof ins - o, ") VALUES(");
	for (int c = 0; c < NCOL; c++)
		o += (size_t)snprintf(ins + o, sizeof ins - o, "%s?", c ? "," : "");
	snprintf(ins + o, sizeof ins - o, ")");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, ins, -1, &st, NULL) != SQLITE_OK)
		die("%s", sqlite3_errmsg(db));

	/* ---- timed: bind + step + commit ---- */
	size_t inserted = 0, failed = 0;
	char firsterr[256] = "";
	t0 = now_s();
	sql(db, "BEGIN IMMEDIATE");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		for (int c = 0; c < NCOL; c++) {
			if (is_text[c]) {
				if (r->text[c])
					sqlite3_bind_text(st, c + 1, r->text[c], -1, SQLITE_STATIC);
				else if (notnull[c])
					sqlite3_bind_text(st, c + 1, "", 0, SQLITE_STATIC);
				else
					sqlite3_bind_null(st, c + 1);
			} else if (r->has[c] || notnull[c]) {
				sqlite3_bind_int64(st, c + 1, r->num[c]);
			} else {
				sqlite3_bind_null(st, c + 1);
			}
		}
		int rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			inserted++;
		} else {
			if (!failed++)
				snprintf(firsterr, sizeof firsterr, "%s", sqlite3_errmsg(db));
			if ((rc & 0xff) != SQLITE_CONSTRAINT)
				die("insert: %s", sqlite3_errmsg(db));
		}
		sqlite3_reset(st);
		if ((i + 1) % (size_t)batch == 0) {
			sql(db, "COMMIT");
			sql(db, "BEGIN IMMEDIATE");
		}
	}
	sql(db, "COMMIT");
	double ins_s = now_s() - t0;

	sqlite3_finalize(st);
	if (sqlite3_close(db) != SQLITE_OK)
		die("%s", "close failed");

	double rps = ins_s > 0 ? (double)inserted / ins_s : 0;
	printf("bare: %zu lines, %zu rows parsed in %.2f s (%zu skipped), untimed\n",
	    lines, nrows, parse_s, skipped);
	printf("bare: inserted %zu rows (%zu failed%s%s) in %.3f s: %.0f rows/s "
	    "(bind+step+commit, %ld rows per transaction, synchronous=%s, "
	    "cache %ld KiB)\n",
	    inserted, failed, failed ? ", first: " : "", firsterr, ins_s, rps,
	    batch, sync, cache_kib);
	printf("BARELINE lines=%zu parsed=%zu skipped=%zu inserted=%zu failed=%zu "
	    "parse_s=%.3f insert_s=%.3f rows_per_s=%.0f\n",
	    lines, nrows, skipped, inserted, failed, parse_s, ins_s, rps);

	for (size_t i = 0; i < nrows; i++)
		for (int c = 0; c < NCOL; c++)
			free(rows[i].text[c]);
	free(rows);
	return 0;
}
