/* log.h — one-line diagnostics on stderr, prefixed with the program name. */
#ifndef APIMON_LOG_H
#define APIMON_LOG_H

/* Error policy: logging cannot fail and never exits. */

/* Set the name printed before every message (argv[0]'s basename is fine). */
void	log_init(const char *progname);

/* Print "progname: message\n" on stderr.  Never exits. */
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
