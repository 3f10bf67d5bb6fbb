/*
 * export.c — a raw row as a line of the daily exports: CSV for people
 * (and spreadsheets), NDJSON for apimon-ingest --import.
 */
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "render.h"
#include "ts.h"

const char export_csv_header[] = "request_id,time,source,user_id,command,"
    "model,provider,status,latency_s,ttft_s,input_tokens,output_tokens,"
    "tokens,cost_usd,cost_source,error,metadata,received\r\n";

/* The digits of v >= 0, at least width of them, into b; printf is slow. */
static void
digits(struct buf *b, uint64_t v, int width)
{
	char	 d[24];
	int	 n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < width);
	buf_add(b, d + sizeof(d) - n, (size_t)n);
}

void
export_int(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_add(b, "-", 1);
		digits(b, -(uint64_t)v, 1);
	} else
		digits(b, (uint64_t)v, 1);
}

void
export_fixed(struct buf *b, int64_t v, int scale)
{
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v, p = 1;
	int		 i;

	for (i = 0; i < scale; i++)
		p *= 10;
	if (v < 0)
		buf_add(b, "-", 1);
	digits(b, u / p, 1);
	buf_add(b, ".", 1);
	digits(b, u % p, scale);
}

/* A CSV cell and what follows it; an absent value is an empty cell. */
static void
cstr(struct buf *b, const char *s, int last)
{
	if (s != NULL)
		esc_csv(b, s);
	buf_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

/* A number cell with scale decimals; -1 (NULL) is an empty cell. */
static void
cnum(struct buf *b, int64_t v, int scale)
{
	if (v >= 0 && scale > 0)
		export_fixed(b, v, scale);
	else if (v >= 0)
		export_int(b, v);
	buf_add(b, ",", 1);
}

void
export_csv_row(struct buf *b, const struct rec *q)
{
	char	 t[TS_RFC3339_LEN];

	cstr(b, q->request_id, 0);
	ts_format_rfc3339(q->ts_ms, t);
	cstr(b, t, 0);
	cstr(b, q->source, 0);
	cstr(b, q->user_id, 0);
	cstr(b, q->command, 0);
	cstr(b, q->model, 0);
	cstr(b, q->provider, 0);
	cstr(b, q->status, 0);
	cnum(b, q->latency_us, 6);
	cnum(b, q->ttft_us, 6);
	cnum(b, q->input_tokens, 0);
	cnum(b, q->output_tokens, 0);
	cnum(b, q->tokens, 0);
	cnum(b, q->cost_nusd, 9);
	cstr(b, rec_cost_source_name(q->cost_source), 0);
	cstr(b, q->error, 0);
	cstr(b, q->metadata, 0);
	ts_format_rfc3339(q->received_ms, t);
	cstr(b, t, 1);
}

/* ,"key":"value" unless s is NULL. */
static void
nd_str(struct buf *b, const char *key, const char *s)
{
	if (s == NULL)
		return;
	buf_add(b, ",\"", 2);
	buf_puts(b, key);
	buf_add(b, "\":", 2);
	esc_json_str(b, s);
}

/* ,"key":v with scale decimals, unless v is -1 (NULL). */
static void
nd_num(struct buf *b, const char *key, int64_t v, int scale)
{
	if (v < 0)
		return;
	buf_add(b, ",\"", 2);
	buf_puts(b, key);
	buf_add(b, "\":", 2);
	if (scale > 0)
		export_fixed(b, v, scale);
	else
		export_int(b, v);
}

void
export_ndjson_row(struct buf *b, const struct rec *q)
{
	struct json_err	 e;
	char		 t[TS_RFC3339_LEN];
	size_t		 n, items;

	buf_puts(b, "{\"request_id\":");
	esc_json_str(b, q->request_id);
	ts_format_rfc3339(q->ts_ms, t);
	nd_str(b, "timestamp", t);
	nd_str(b, "source", q->source);
	nd_str(b, "status", q->status);
	nd_num(b, "execution_time", q->latency_us, 6);
	nd_str(b, "user_id", q->user_id);
	nd_str(b, "command", q->command);
	nd_str(b, "model", q->model);
	nd_str(b, "provider", q->provider);
	nd_num(b, "tokens_used", q->tokens, 0);
	nd_num(b, "input_tokens", q->input_tokens, 0);
	nd_num(b, "output_tokens", q->output_tokens, 0);
	nd_num(b, "time_to_first_token", q->ttft_us, 6);
	/* A priced cost is priced again from the tokens: cost_source stays. */
	if (q->cost_source == REC_COST_REPORTED)
		nd_num(b, "cost", q->cost_nusd, 9);
	nd_str(b, "error", q->error);
	/*
	 * Stored metadata is the JSON text ingest wrote; anything else (a
	 * row edited by hand) goes as a string, which --import refuses by
	 * name, rather than as a line that is not JSON.
	 */
	if (q->metadata != NULL) {
		n = strlen(q->metadata);
		if (n > 0 && q->metadata[0] == '{' &&
		    json_check(q->metadata, n, &items, &e) == 0)
		{
			buf_puts(b, ",\"metadata\":");
			buf_puts(b, q->metadata);
		}
		else
			nd_str(b, "metadata", q->metadata);
	}
	buf_puts(b, "}\n");
}
