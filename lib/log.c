/* log.c — one-line diagnostics on stderr, prefixed with the program name. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *progname = "apimon";

void
log_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

void
log_errx(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	/* One fprintf, so lines from concurrent workers do not interleave. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", progname, buf);
}
