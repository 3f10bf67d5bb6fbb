/* fuzz_body.c — libFuzzer target: any bytes through the whole body parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A price table, a short command limit and a small batch reach the most
 * code; the config lives in memory, so no file is written anywhere.
 */
static char			 model[] = "m";
static struct conf_price	 price = { model, 150000000, 600000000 };
static struct conf		 conf = {
	.ingest = { .max_body_bytes = 1048576, .max_batch = 16,
	    .command_max_chars = 8 },
	.prices = &price,
	.nprices = 1,
};

/* Answers are JSON: what they quote must be valid UTF-8. */
static void
valid(const struct rec_err *e)
{
	if (utf8_len(e->field, strlen(e->field)) < 0 ||
	    utf8_len(e->msg, strlen(e->msg)) < 0)
		abort();
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
same_rec(const struct rec *a, const struct rec *b)
{
	if (!str_eq(a->request_id, b->request_id) ||
	    !str_eq(a->source, b->source) || !str_eq(a->status, b->status) ||
	    !str_eq(a->user_id, b->user_id) ||
	    !str_eq(a->command, b->command) || !str_eq(a->model, b->model) ||
	    !str_eq(a->provider, b->provider) || !str_eq(a->error, b->error) ||
	    !str_eq(a->metadata, b->metadata) || a->ts_ms != b->ts_ms ||
	    a->received_ms != b->received_ms ||
	    a->latency_us != b->latency_us || a->ttft_us != b->ttft_us ||
	    a->input_tokens != b->input_tokens ||
	    a->output_tokens != b->output_tokens || a->tokens != b->tokens ||
	    a->cost_nusd != b->cost_nusd || a->cost_source != b->cost_source)
		abort();
}

static void
same_err(const struct rec_err *a, const struct rec_err *b)
{
	if (strcmp(a->field, b->field) != 0 || strcmp(a->msg, b->msg) != 0)
		abort();
}

/*
 * The fast path (records straight from the text) must answer exactly as
 * the slow one (json_check, a cJSON tree, rec_parse) for any bytes.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum body_kind kinds[] = { BODY_JSON, BODY_NDJSON };
	struct body	 b, s;
	struct rec_err	 e, se;
	enum body_rc	 rc, src;
	size_t		 i, k;

	for (k = 0; k < 2; k++) {
		rc = body_parse((const char *)data, size, kinds[k], &conf,
		    1795690000000LL, &b, &e);
		src = body_parse_slow((const char *)data, size, kinds[k], &conf,
		    1795690000000LL, &s, &se);
		if (rc != src)
			abort();
		switch (rc) {
		case BODY_OK:
			if (b.nrecs != s.nrecs || b.nrejects != s.nrejects)
				abort();
			for (i = 0; i < b.nrecs; i++)
				same_rec(&b.recs[i], &s.recs[i]);
			for (i = 0; i < b.nrejects; i++) {
				valid(&b.rejects[i].e);
				same_err(&b.rejects[i].e, &s.rejects[i].e);
				if (b.rejects[i].index != s.rejects[i].index)
					abort();
			}
			body_free(&b);
			body_free(&s);
			break;
		case BODY_NOMEM:
			/* Text json_check() took that cJSON would not. */
			abort();
		default:
			valid(&e);
			same_err(&e, &se);
		}
	}
	return 0;
}
