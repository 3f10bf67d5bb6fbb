/* main.c — apimon-cron: one locked run of aggregate, then render. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "cron.h"
#include "log.h"

/*
 * The rollups and the site are background work: the steps run under
 * SCHED_IDLE, so that an ingest worker that wakes takes the CPU from them
 * at once.  Niceness alone weighs only tasks of one session or cgroup:
 * at nice 10 in a session of its own, the render of a busy day raised
 * ingest's p99 from 6 ms to half a second in the soak (bench/RESULTS.md).
 * Across cgroups (systemd's services) a step keeps its cgroup's share of
 * the CPU; the niceness stays for a kernel that refuses SCHED_IDLE.
 */
#define CRON_NICE	10

static void
usage(FILE *f)
{
	fprintf(f, "usage: apimon-cron [--config FILE]\n"
	    "Runs apimon-aggregate, then apimon-render, with the same config,\n"
	    "holding the lock DATABASE.cron.lock beside the database; exits 0\n"
	    "at once when another run holds it.  The programs are taken from\n"
	    "$APIMON_BIN, else from the folder apimon-cron is in.\n");
}

/* The programs' folder: $APIMON_BIN, else apimon-cron's own; 0 or -1. */
static int
bin_dir(char *buf, size_t size)
{
	const char	*env = getenv("APIMON_BIN");
	char		*slash;
	ssize_t		 n;

	if (env != NULL && *env != '\0')
		return snprintf(buf, size, "%s", env) < (int)size ? 0 : -1;
	if ((n = readlink("/proc/self/exe", buf, size - 1)) <= 0 ||
	    (size_t)n >= size - 1)
		return -1;
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

/*
 * Run bin/prog [--config config].  Returns 0 with *said its output less
 * the "prog: " it starts with (the caller frees it), or 1 after saying on
 * stderr that the step named what failed, with the program's own words.
 */
static int
step(const char *bin, const char *prog, const char *what,
    const char *config, char **said)
{
	char		 path[PATH_MAX];
	const char	*argv[] = { path, "--config", config, NULL };
	char		*out;
	size_t		 n = strlen(prog);

	*said = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", bin, prog) >=
	    (int)sizeof(path)) {
		log_errx("%s failed: %s/%s: path too long", what, bin, prog);
		return 1;
	}
	if (config == NULL)		/* no file: the defaults, as here */
		argv[1] = NULL;
	if (step_run(argv, &out) != 0 || out == NULL) {
		log_errx("%s failed: %s", what,
		    out != NULL ? out : "out of memory");
		free(out);
		return 1;
	}
	if (strncmp(out, prog, n) == 0 && strncmp(out + n, ": ", 2) == 0)
		memmove(out, out + n + 2, strlen(out + n + 2) + 1);
	*said = out;
	return 0;
}

static double
seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	 conf;
	struct sched_param idle = { 0 };
	struct tm	 tm;
	time_t		 now;
	const char	*cfile = NULL;
	char		 err[PATH_MAX + 256], bin[PATH_MAX], when[32];
	char		*lock = NULL, *agg = NULL, *ren = NULL;
	double		 t0;
	int		 ch, fd = -1, rc = 1;

	log_init(argv[0]);
	/* The steps' words reach syslog once, in apimon-cron's message. */
	unsetenv("APIMON_SYSLOG");
	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1)
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		default:
			return cli_exit(ch, usage, "apimon-cron");
		}
	if (optind != argc || (cfile != NULL && *cfile == '\0')) {
		usage(stderr);
		return 2;
	}
	if (conf_load(&conf, cfile, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 2;
	}
	if (bin_dir(bin, sizeof(bin)) != 0) {
		log_errx("cannot tell which folder apimon-cron is in; "
		    "set APIMON_BIN");
		goto out;
	}
	/* Beside the database: a folder apimon owns, never a shared /tmp. */
	if (asprintf(&lock, "%s.cron.lock", conf.database) == -1) {
		lock = NULL;
		log_errx("out of memory");
		goto out;
	}
	if ((fd = lock_take(lock, err, sizeof(err))) == LOCK_HELD) {
		rc = 0;
		goto out;
	}
	if (fd == LOCK_FAIL) {
		log_errx("%s", err);
		goto out;
	}
	errno = 0;
	if ((ch = getpriority(PRIO_PROCESS, 0)) < CRON_NICE && errno == 0)
		setpriority(PRIO_PROCESS, 0, CRON_NICE);
	/* A refusal (a seccomp filter) leaves the niceness: no error. */
	(void)sched_setscheduler(0, SCHED_IDLE, &idle);
	t0 = seconds();
	if (step(bin, "apimon-aggregate", "aggregate", conf.path, &agg) ||
	    step(bin, "apimon-render", "render", conf.path, &ren))
		goto out;
	now = time(NULL);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	printf("%s apimon-cron: ok in %ld s; %s; %s\n", when,
	    (long)(seconds() - t0), agg, ren);
	if (fflush(stdout) == EOF) {
		log_errx("cannot write the log line");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(agg);
	free(ren);
	conf_free(&conf);
	return rc;
}
