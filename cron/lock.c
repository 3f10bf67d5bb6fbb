/* lock.c — the lock that lets one apimon-cron run at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cron.h"

/*
 * The lock lives in a folder that apimon owns (beside the database), but
 * it is still opened as if anyone could have put something there first:
 * O_NOFOLLOW so that a symbolic link never sends the open (or O_CREAT)
 * elsewhere, no O_TRUNC so that nothing is ever written, O_NONBLOCK so
 * that a FIFO cannot hang the job before it is refused.
 */
int
lock_take(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd, e;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600);
	if (fd == -1) {
		e = errno;
		if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			snprintf(err, errlen, "lock %s: is a symbolic link; "
			    "refusing to follow it", path);
		else
			snprintf(err, errlen, "cannot open lock %s: %s", path,
			    strerror(e));
		return LOCK_FAIL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "lock %s: not a regular file", path);
		close(fd);
		return LOCK_FAIL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return LOCK_HELD;
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
		return LOCK_FAIL;
	}
	return fd;
}
