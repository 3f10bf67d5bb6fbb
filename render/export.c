/*
 * export.c — a raw row as a line of the daily exports: CSV for people
 * (and spreadsheets), NDJSON for apimon-ingest --import.
 */
#include <string.h>

#include "json.h"
#include "render.h"
#include "ts.h"

const char export_csv_header[] = "request_id,time,source,user_id,command,"
    "model,provider,status,latency_s,ttft_s,input_tokens,output_tokens,"
    "tokens,cost_usd,cost_source,error,metadata,received\r\n";

void
export_fixed(struct buf *b, int64_t v, int scale)
{
	int64_t	 p = 1;
	int	 i;

	for (i = 0; i < scale; i++)
		p *= 10;
	if (v < 0) {
		buf_add(b, "-", 1);
		v = -v;
	}
	buf_printf(b, "%lld.%0*lld", (long long)(v / p), scale,
	    (long long)(v % p));
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
		buf_printf(b, "%lld", (long long)v);
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
	buf_printf(b, ",\"%s\":", key);
	esc_json_str(b, s);
}

/* ,"key":v with scale decimals, unless v is -1 (NULL). */
static void
nd_num(struct buf *b, const char *key, int64_t v, int scale)
{
	if (v < 0)
		return;
	buf_printf(b, ",\"%s\":", key);
	if (scale > 0)
		export_fixed(b, v, scale);
	else
		buf_printf(b, "%lld", (long long)v);
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
			buf_printf(b, ",\"metadata\":%s", q->metadata);
		else
			nd_str(b, "metadata", q->metadata);
	}
	buf_puts(b, "}\n");
}
