/* step.c — run one batch program and keep what it says. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cron.h"

/* *out = the formatted text; returns 1 (the step failed). */
static int
say(char **out, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n == -1)
		*out = NULL;
	return 1;
}

/* In the child: stdin from /dev/null, stdout and stderr into fd, exec. */
static void __attribute__((noreturn))
child(const char *const argv[], int fd, pid_t parent)
{
	int	 null;

	/*
	 * The lock is close-on-exec, so only apimon-cron holds it: the step
	 * must not outlive apimon-cron, or a killed run would let the next
	 * one start while this step still works on the database.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	if ((null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		_exit(127);
	execv(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Read fd to its end into *buf (NUL-terminated); 0, or -1 with errno. */
static int
slurp(int fd, char **buf)
{
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	char	*p;

	*buf = NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((p = realloc(*buf, cap)) == NULL)
				return -1;
			*buf = p;
		}
		if ((n = read(fd, *buf + len, cap - len - 1)) > 0)
			len += (size_t)n;
		else if (n == 0)
			break;
		else if (errno != EINTR)
			return -1;
	}
	while (len > 0 && (*buf)[len - 1] == '\n')
		len--;
	(*buf)[len] = '\0';
	return 0;
}

int
step_run(const char *const argv[], char **out)
{
	pid_t	 pid, parent = getpid();
	int	 fds[2], status, e = 0;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return say(out, "cannot make a pipe: %s", strerror(errno));
	if ((pid = fork()) == -1) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		return say(out, "cannot start %s: %s", argv[0], strerror(e));
	}
	if (pid == 0)
		child(argv, fds[1], parent);
	close(fds[1]);
	if (slurp(fds[0], out) == -1) {
		e = errno;
		kill(pid, SIGTERM);
		free(*out);
		*out = NULL;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if ((e = errno) != EINTR) {
			free(*out);
			return say(out, "cannot wait for %s: %s", argv[0],
			    strerror(e));
		}
	if (*out == NULL)
		return say(out, "reading the output of %s: %s", argv[0],
		    strerror(e));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (**out != '\0')
		return 1;
	free(*out);
	if (WIFSIGNALED(status))
		return say(out, "%s killed by signal %d (%s)", argv[0],
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	return say(out, "%s exited %d without a word", argv[0],
	    WEXITSTATUS(status));
}
