/* cli.c — what the batch programs do first: config, zone and "now". */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "log.h"
#include "ts.h"
#include "tz.h"
#include "../build/version.h"	/* made by make: tools/version.sh */

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

/* 0 when everything printed on stdout got there, else 1 after saying so. */
static int
stdout_done(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_errx("cannot write to stdout");
		return 1;
	}
	return 0;
}

int
cli_exit(int ch, void (*usage)(FILE *), const char *prog)
{
	if (ch == 'h') {
		usage(stdout);
		return stdout_done();
	}
	if (ch == 'V')
		return cli_version(prog);
	usage(stderr);
	return 2;
}

int
cli_version(const char *prog)
{
	printf("%s %s\n", prog, APIMON_VERSION);
	return stdout_done();
}

/*
 * Where templates/ and site/ are: $APIMON_SHARE, the config's share_dir,
 * ../share/apimon beside the running program (an installed copy, under
 * any PREFIX or DESTDIR), else the source tree it was built in.  *own is
 * set to a malloc'd string the caller frees, or NULL.  Returns NULL when
 * out of memory.
 */
const char *
cli_share_dir(const struct conf *c, char **own)
{
	struct buf	 b = { 0 };
	char		*exe, *slash;

	*own = NULL;
	if (getenv("APIMON_SHARE") != NULL)
		return getenv("APIMON_SHARE");
	if (c->share_dir != NULL)
		return c->share_dir;
	/* realpath() allocates: no length limit to cut the path at. */
	if ((exe = realpath("/proc/self/exe", NULL)) != NULL &&
	    (slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		buf_printf(&b, "%s/../share/apimon/templates/dashboard.tpl",
		    exe);
		if (b.failed) {
			free(exe);
			return NULL;
		}
		if (access(b.p, R_OK) == 0) {
			b.len = 0;
			buf_printf(&b, "%s/../share/apimon", exe);
			free(exe);
			return *own = buf_take(&b);
		}
	}
	free(exe);
	buf_free(&b);
	return APIMON_SHARE;
}
