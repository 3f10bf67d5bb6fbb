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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum body_kind kinds[] = { BODY_JSON, BODY_NDJSON };
	struct body	 b;
	struct rec_err	 e;
	size_t		 i, k;

	for (k = 0; k < 2; k++)
		switch (body_parse((const char *)data, size, kinds[k], &conf,
		    1795690000000LL, &b, &e)) {
		case BODY_OK:
			for (i = 0; i < b.nrejects; i++)
				valid(&b.rejects[i].e);
			body_free(&b);
			break;
		case BODY_NOMEM:
			/* Text json_check() took that cJSON would not. */
			abort();
		default:
			valid(&e);
		}
	return 0;
}
