/* fuzz_rec.c — libFuzzer target: any bytes through json_parse and rec_parse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "json.h"
#include "rec.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 path[] = "/tmp/apimon-fuzz-XXXXXX", err[256];
	FILE	*f;
	int	 fd;

	(void)argc;
	(void)argv;
	/* A price table and a short command limit reach the most code. */
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		abort();
	fputs("{\"ingest\":{\"command_max_chars\":8},\"prices\":{\"m\":"
	    "{\"input_per_mtok\":0.15,\"output_per_mtok\":0.6}}}", f);
	fclose(f);
	if (conf_load(&conf, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	unlink(path);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON		*root, *item;
	struct rec	 r;
	struct rec_err	 e;

	if ((root = json_parse((const char *)data, size, NULL)) == NULL)
		return 0;
	if (cJSON_IsArray(root)) {
		cJSON_ArrayForEach(item, root)
			if (rec_parse(item, &conf, 1795690000000LL, &r, &e) == 0)
				rec_free(&r);
	} else if (rec_parse(root, &conf, 1795690000000LL, &r, &e) == 0)
		rec_free(&r);
	cJSON_Delete(root);
	return 0;
}
