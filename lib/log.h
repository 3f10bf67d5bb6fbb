/* log.h — one-line diagnostics on stderr, prefixed with the program name. */
#ifndef APIMON_LOG_H
#define APIMON_LOG_H

/* Error policy: logging cannot fail and never exits. */

/*
 * Set the name printed before every message (argv[0]'s basename is fine)
 * and where messages go.  Always to stderr.  Also to syslog (facility
 * daemon, level err) when nobody reads stderr (it is closed or /dev/null:
 * spawn-fcgi without -n, a supervisor that drops output) or when
 * $APIMON_SYSLOG is "1" (the crontab sets it); a terminal, a file, a pipe
 * or the journal get each message once, on stderr only.  A closed stdout
 * or stderr is opened on /dev/null first.  Call it first in main(), before
 * any other file is opened.
 */
void	log_init(const char *progname);

/* Print "progname: message\n" on stderr (and syslog, see above). */
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
