/* log.c — one-line diagnostics on stderr, prefixed with the program name. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *progname = "apimon";
static int to_syslog;

/* 1 when fd is /dev/null: nobody will ever read what goes there. */
static int
is_dev_null(int fd)
{
	struct stat	 a, b;

	return fstat(fd, &a) == 0 && S_ISCHR(a.st_mode) &&
	    stat("/dev/null", &b) == 0 && a.st_rdev == b.st_rdev;
}

void
log_init(const char *name)
{
	const char	*slash = strrchr(name, '/');
	const char	*env = getenv("APIMON_SYSLOG");
	int		 fd, null, closed = 0;

	progname = slash ? slash + 1 : name;
	/*
	 * A closed stdout or stderr would be the number the next open()
	 * returns, and messages would land in the database.
	 */
	for (fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		closed = fd == STDERR_FILENO;
		if ((null = open("/dev/null", O_WRONLY)) != -1 && null != fd) {
			dup2(null, fd);
			if (null > STDERR_FILENO)
				close(null);
		}
	}
	if ((env != NULL && strcmp(env, "1") == 0) || closed ||
	    is_dev_null(STDERR_FILENO)) {
		openlog(progname, LOG_PID, LOG_DAEMON);
		to_syslog = 1;
	}
}

void
log_errx(const char *fmt, ...)
{
	char	 buf[1024], *big = NULL;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* A long message (a step's output in apimon-cron) is kept whole. */
	if (n >= (int)sizeof(buf)) {
		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) == -1)
			big = NULL;
		va_end(ap);
	}
	/* One fprintf, so lines from concurrent workers do not interleave. */
	fprintf(stderr, "%s: %s\n", progname, big ? big : buf);
	if (to_syslog)
		syslog(LOG_ERR, "%s", big ? big : buf);
	free(big);
}
