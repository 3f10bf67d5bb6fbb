/* fuzz_otlp.c — libFuzzer targets: any bytes as an OTLP export (FUZZ_ENC). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"
#include "utf8.h"

/* Built twice: -DFUZZ_ENC=OTLP_PROTOBUF and -DFUZZ_ENC=OTLP_JSON. */
#ifndef FUZZ_ENC
#define FUZZ_ENC	OTLP_PROTOBUF
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A price for the corpus's model, a renamed service and a small batch
 * reach the most code.
 */
static char			 model[] = "gpt-4o-mini";
static char			 service[] = "s", source[] = "src";
static struct conf_price	 price = { model, 150000000, 600000000 };
static struct conf_service	 svc = { service, source };
static struct conf		 conf = {
	.ingest = { .max_body_bytes = 1048576, .max_batch = 64,
	    .command_max_chars = 8 },
	.prices = &price,
	.nprices = 1,
	.otlp_sources = &svc,
	.notlp_sources = 1,
};

/* The answer quotes what went wrong: it must be valid UTF-8. */
static void
valid(const char *s)
{
	if (utf8_len(s, strlen(s)) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otlp_batch	 b;
	char			 err[512], *ans;
	size_t			 len;

	if (otlp_decode((const char *)data, size, FUZZ_ENC, &conf,
	    1795690000000LL, &b, err, sizeof(err)) != OTLP_OK) {
		valid(err);
		return 0;
	}
	valid(b.msg);
	if (b.nrecs + b.skipped + b.rejected != b.nspans)
		abort();
	if ((ans = otlp_answer(FUZZ_ENC, (long)b.rejected, b.msg,
	    &len)) == NULL)
		abort();
	free(ans);
	otlp_batch_free(&b);
	return 0;
}
