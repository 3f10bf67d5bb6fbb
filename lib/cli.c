/* cli.c — what the batch programs do first: config, zone and "now". */
#include "cli.h"
#include "log.h"
#include "ts.h"
#include "tz.h"

int
cli_setup(const char *cfile, const char *now_arg, struct conf *c,
    int64_t *now_ms)
{
	char	 err[512];

	if (now_arg == NULL)
		*now_ms = ts_now_ms();
	else if (ts_parse_rfc3339(now_arg, now_ms) != 0) {
		log_errx("--now: \"%s\" is not an RFC 3339 time", now_arg);
		return 2;
	}
	if (conf_load(c, cfile, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 2;
	}
	tz_set(c->timezone);
	return 0;
}

int
cli_exit(int ch, void (*usage)(FILE *), const char *version)
{
	if (ch == 'h') {
		usage(stdout);
		return 0;
	}
	if (ch == 'V') {
		puts(version);
		return 0;
	}
	usage(stderr);
	return 2;
}
