/* cron.h — apimon-cron: one locked run of aggregate, then render. */
#ifndef APIMON_CRON_H
#define APIMON_CRON_H

#include <stddef.h>

#define LOCK_FAIL	(-1)	/* could not open or lock: see err */
#define LOCK_HELD	(-2)	/* another process holds the lock */

/*
 * Open path (created with mode 0600 when missing) and lock it for this
 * process without waiting.  A symbolic link at path is never followed,
 * and anything but a regular file is refused.  Returns the descriptor,
 * close-on-exec, whose closing releases the lock; LOCK_HELD when another
 * process holds it; or LOCK_FAIL with a message naming path in err.
 */
int	 lock_take(const char *path, char *err, size_t errlen);

/*
 * Run the program argv[0] (a path; no shell, no PATH search) with argv,
 * stdin from /dev/null, its stdout and stderr captured together.  The
 * program dies with apimon-cron, so the lock is held while it runs.
 * Returns 0 when it exited 0, else 1; either way *out is the captured
 * text without its trailing newlines (when the program failed silently,
 * how it ended), which the caller frees.  *out is NULL only when memory
 * ran out.
 */
int	 step_run(const char *const argv[], char **out);

#endif
