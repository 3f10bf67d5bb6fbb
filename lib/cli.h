/* cli.h — what the batch programs do first: config, zone and "now". */
#ifndef APIMON_CLI_H
#define APIMON_CLI_H

/*
 * Error policy: these print their one-line message (log_errx) and return
 * the exit status for main to return; they never exit themselves.
 */

#include <stdint.h>
#include <stdio.h>

#include "conf.h"

/*
 * Load the config (cfile, or the usual fallbacks), make its time zone the
 * process's, and take now_arg (RFC 3339, or NULL for the clock) as now.
 * Returns 0 with *c to be freed by conf_free(); or 2, the usage exit
 * status, after printing why, with nothing to free.
 */
int	 cli_setup(const char *cfile, const char *now_arg, struct conf *c,
	    int64_t *now_ms);

/*
 * What getopt_long()'s ch means when it is none of a program's own
 * options: 'h' prints usage on stdout, 'V' the version (cli_version());
 * anything else is a usage error.  Returns the exit status for main to
 * return: 0, 1 when stdout cannot be written, or 2.
 */
int	 cli_exit(int ch, void (*usage)(FILE *), const char *prog);

/*
 * Print "prog VERSION" on stdout, VERSION being this build's (git describe
 * at build time, else the VERSION file).  Returns 0, or 1 when stdout
 * cannot be written.
 */
int	 cli_version(const char *prog);

/*
 * Where templates/, site/ and locales/ are: $APIMON_SHARE, the config's
 * share_dir, ../share/apimon beside the running program (an installed
 * copy, under any PREFIX or DESTDIR), else the source tree it was built
 * in.  Returns the folder; *own is what the caller frees (NULL when
 * nothing); NULL when out of memory.
 */
const char	*cli_share_dir(const struct conf *c, char **own);

#ifndef APIMON_SHARE
#define APIMON_SHARE	"."
#endif

#endif
