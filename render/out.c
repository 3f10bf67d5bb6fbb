/* out.c — the site is staged file by file and published all at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "render.h"

/*
 * A file waiting for out_commit() (tmp is its temporary name beside it;
 * with at >= 0, the bytes that continue the published file from at), or
 * a folder that staging created (tmp is NULL), which out_abort() removes
 * again; or, with gone set, a file or folder that out_commit() removes
 * once every file is in place.
 */
struct staged {
	char	*path;
	char	*tmp;
	int64_t	 at;
	int	 gone;
};

/* Take over path and tmp (malloc'd; tmp may be NULL); 0, or -1. */
static int
stage(struct render *r, char *path, char *tmp)
{
	if (grow(&r->staged, &r->capstaged, r->nstaged + 1,
	    sizeof(*r->staged)))
		return -1;
	r->staged[r->nstaged].path = path;
	r->staged[r->nstaged].tmp = tmp;
	r->staged[r->nstaged].at = -1;
	r->staged[r->nstaged].gone = 0;
	r->nstaged++;
	return 0;
}

static void
unstage_all(struct render *r)
{
	size_t	 i;

	for (i = 0; i < r->nstaged; i++) {
		free(r->staged[i].path);
		free(r->staged[i].tmp);
	}
	free(r->staged);
	r->staged = NULL;
	r->nstaged = r->capstaged = 0;
}

/* mkdir -p for the folders of path; those it made are staged. */
static int
mkparents(struct render *r, const char *path)
{
	char	*p, *cut, *made;
	int	 rc = -1;

	if ((p = strdup(path)) == NULL) {
		log_errx("%s: out of memory", path);
		return -1;
	}
	for (cut = p + 1; (cut = strchr(cut, '/')) != NULL; cut++) {
		*cut = '\0';
		if (mkdir(p, 0755) == 0) {
			/* 0755 whatever the umask: nginx is another user. */
			if (chmod(p, 0755) == -1) {
				log_errx("%s: cannot make the folder readable: "
				    "%s", p, strerror(errno));
				rmdir(p);
				goto out;
			}
			if ((made = strdup(p)) == NULL ||
			    stage(r, made, NULL) != 0) {
				free(made);
				rmdir(p);
				log_errx("%s: out of memory", path);
				goto out;
			}
		} else if (errno != EEXIST) {
			log_errx("%s: cannot create the folder: %s", p,
			    strerror(errno));
			goto out;
		}
		*cut = '/';
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static int
same_content(const char *path, const char *data, size_t len)
{
	FILE	*f = fopen(path, "rb");
	char	 buf[65536];
	size_t	 off = 0, k;
	int	 same = 1;

	if (f == NULL)
		return 0;
	while (same && (k = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (off + k > len || memcmp(buf, data + off, k) != 0)
			same = 0;
		off += k;
	}
	if (ferror(f))
		same = 0;
	fclose(f);
	return same && off == len;
}

static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t	 k;

	while (len > 0) {
		if ((k = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += k;
		len -= (size_t)k;
	}
	return 0;
}

/*
 * A new temporary file for rel, staged (at >= 0: the bytes that continue
 * the published rel from at); its descriptor (mode 0644, whatever the
 * umask: nginx is another user), or -1 with a message.
 */
int
out_open(struct render *r, const char *rel, int64_t at)
{
	struct buf	 path = { 0 }, tmp = { 0 };
	int		 fd = -1;

	buf_printf(&path, "%s/%s", r->out, rel);
	buf_printf(&tmp, "%s/%s.tmp.XXXXXX", r->out, rel);
	if (path.failed || tmp.failed) {
		log_errx("%s/%s: out of memory", r->out, rel);
		goto out;
	}
	if (mkparents(r, path.p) != 0)
		goto out;
	if ((fd = mkstemp(tmp.p)) == -1) {
		log_errx("%s: %s", tmp.p, strerror(errno));
		goto out;
	}
	/* Staged before it is written, so that out_abort() removes it. */
	if (stage(r, path.p, tmp.p) != 0) {
		unlink(tmp.p);
		close(fd);
		fd = -1;
		log_errx("%s: out of memory", path.p);
		goto out;
	}
	r->staged[r->nstaged - 1].at = at;
	memset(&path, 0, sizeof(path));
	memset(&tmp, 0, sizeof(tmp));
	if (fchmod(fd, 0644) == -1) {
		log_errx("%s: %s", r->staged[r->nstaged - 1].tmp,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	buf_free(&path);
	buf_free(&tmp);
	return fd;
}

int
out_append(int fd, const char *name, const char *data, size_t len, int sync)
{
	if (write_all(fd, data, len) == -1) {
		log_errx("%s: %s", name, strerror(errno));
		return -1;
	}
	/*
	 * A file to be synced starts going out now, not at the fsync: a run
	 * writes hundreds of MB (the day's exports) that would otherwise
	 * reach the disk all at once, and ingest's commits wait behind them.
	 * Only a hint: the fsync says whether the bytes are on disk.  A
	 * continuation is not synced: it is copied at the commit and goes.
	 */
	if (sync)
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

/*
 * Its bytes are on disk before out_commit() renames it into place (or,
 * for a file continued in place, before the index that counts them), so
 * a crash never leaves an empty or half file under the real name.
 */
int
out_close(struct render *r, int fd, const char *name, size_t len, int sync)
{
	if (sync && fsync(fd) == -1) {
		log_errx("%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		log_errx("%s: %s", name, strerror(errno));
		return -1;
	}
	r->written++;
	r->bytes += len;
	return 0;
}

int
out_write(struct render *r, const char *rel, const char *data, size_t len)
{
	struct buf	 path = { 0 };
	int		 fd;

	buf_printf(&path, "%s/%s", r->out, rel);
	if (path.failed) {
		log_errx("%s/%s: out of memory", r->out, rel);
		return -1;
	}
	if (same_content(path.p, data, len)) {
		r->unchanged++;
		buf_free(&path);
		return 0;
	}
	if ((fd = out_open(r, rel, -1)) == -1 ||
	    out_append(fd, path.p, data, len, 1) != 0) {
		if (fd != -1)
			close(fd);
		buf_free(&path);
		return -1;
	}
	fd = out_close(r, fd, path.p, len, 1);
	buf_free(&path);
	return fd;
}

int
out_copy(struct render *r, const char *src, const char *rel)
{
	FILE		*f = fopen(src, "rb");
	struct buf	 b = { 0 };
	char		 chunk[65536];
	size_t		 k;
	int		 rc = -1;

	if (f == NULL) {
		log_errx("%s: %s", src, strerror(errno));
		return -1;
	}
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, k);
	buf_add(&b, "", 0);	/* an empty file is a file too */
	if (ferror(f))
		log_errx("%s: %s", src, strerror(errno));
	else if (b.failed)
		log_errx("%s: out of memory", src);
	else
		rc = out_write(r, rel, b.p, b.len);
	buf_free(&b);
	fclose(f);
	return rc;
}

int
out_remove(struct render *r, const char *rel)
{
	struct buf	 path = { 0 };

	buf_printf(&path, "%s/%s", r->out, rel);
	if (path.failed || stage(r, path.p, NULL) != 0) {
		log_errx("%s/%s: out of memory", r->out, rel);
		buf_free(&path);
		return -1;
	}
	r->staged[r->nstaged - 1].gone = 1;
	return 0;
}

/* Whether path is a folder that this commit removes. */
static int
removed_folder(const struct render *r, const char *path)
{
	size_t	 i;

	for (i = 0; i < r->nstaged; i++)
		if (r->staged[i].gone && strcmp(r->staged[i].path, path) == 0)
			return 1;
	return 0;
}

/*
 * Remove what was staged for removal, files before their folders (in
 * the order staged); one that is gone already (another run removed it)
 * is no error.  0, or -1 with a message.
 */
static int
remove_gone(struct render *r)
{
	size_t	 i;

	for (i = 0; i < r->nstaged; i++) {
		struct staged *s = &r->staged[i];
		if (!s->gone)
			continue;
		if (remove(s->path) == 0)
			r->removed++;
		else if (errno != ENOENT) {
			log_errx("%s: cannot remove: %s", s->path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The folder of every staged entry, each once, into a malloc'd array of
 * malloc'd strings; 0, or -1 when out of memory.
 */
static int
parent_folders(const struct render *r, char ***out, size_t *n)
{
	char	**v = NULL, *p, *slash;
	size_t	  cap = 0, i, k = 0;

	*n = 0;
	for (i = 0; i < r->nstaged; i++) {
		if (grow(&v, &cap, k + 1, sizeof(*v)) ||
		    (p = strdup(r->staged[i].path)) == NULL)
			goto fail;
		if ((slash = strrchr(p, '/')) != NULL)
			slash[slash == p ? 1 : 0] = '\0';	/* "/x": "/" */
		else {
			free(p);
			if ((p = strdup(".")) == NULL)
				goto fail;
		}
		v[k++] = p;
	}
	if (k > 0)
		qsort(v, k, sizeof(*v), by_str);
	for (i = 0, *n = 0; i < k; i++)
		if (*n > 0 && strcmp(v[*n - 1], v[i]) == 0)
			free(v[i]);
		else
			v[(*n)++] = v[i];
	*out = v;
	return 0;
fail:
	while (k > 0)
		free(v[--k]);
	free(v);
	return -1;
}

/* Cut s->path at s->at and copy s->tmp after it; 0, or -1 with a message. */
static int
append_tail(struct staged *s)
{
	static char	 buf[1 << 20];
	struct stat	 sb;
	ssize_t		 k;
	int		 in, fd = -1, rc = -1;

	if ((in = open(s->tmp, O_RDONLY | O_CLOEXEC)) == -1) {
		log_errx("%s: %s", s->tmp, strerror(errno));
		return -1;
	}
	if ((fd = open(s->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    ftruncate(fd, (off_t)s->at) == -1 ||
	    lseek(fd, (off_t)s->at, SEEK_SET) == -1) {
		log_errx("%s: cannot continue it: %s", s->path, fd != -1 &&
		    !S_ISREG(sb.st_mode) ? "not a file" : strerror(errno));
		goto out;
	}
	while ((k = read(in, buf, sizeof(buf))) > 0)
		if (out_append(fd, s->path, buf, (size_t)k, 1) != 0)
			goto out;
	if (k == -1 || fsync(fd) == -1) {
		log_errx("%s: %s", k == -1 ? s->tmp : s->path, strerror(errno));
		goto out;
	}
	if (unlink(s->tmp) == -1)
		log_errx("%s: %s", s->tmp, strerror(errno));
	else
		rc = 0;
out:
	if (fd != -1 && close(fd) == -1 && rc == 0) {
		log_errx("%s: %s", s->path, strerror(errno));
		rc = -1;
	}
	close(in);
	return rc;
}

int
out_commit(struct render *r)
{
	char	**dirs = NULL;
	size_t	  ndirs = 0, i, done;
	int	  fd, rc = -1;

	if (parent_folders(r, &dirs, &ndirs) != 0) {
		log_errx("%s: out of memory", r->out);
		out_abort(r);
		return -1;
	}
	/*
	 * Tails first, so that an index renamed below finds its exports as
	 * long as it says.  One cut short (a full disk, a kill) is longer
	 * or shorter than the old index says: the next run writes it whole.
	 */
	for (i = 0, done = 0; i < r->nstaged; i++) {
		struct staged *s = &r->staged[i];
		if (s->tmp == NULL || s->gone || s->at < 0)
			continue;
		if (append_tail(s) != 0)
			goto out;
		free(s->tmp);
		s->tmp = NULL;
		done++;
	}
	for (i = 0; i < r->nstaged; i++) {
		struct staged *s = &r->staged[i];
		if (s->tmp == NULL || s->gone)
			continue;
		if (rename(s->tmp, s->path) == -1) {
			log_errx("%s: cannot publish: %s (%zu of %ld changed "
			    "files were published)", s->path, strerror(errno),
			    done, r->written);
			goto out;
		}
		free(s->tmp);
		s->tmp = NULL;
		done++;
	}
	/* What is replaced goes only once everything new is in place. */
	if (remove_gone(r) != 0)
		goto out;
	/*
	 * The renames, new folders and removals last only once their folder
	 * is synced (a folder removed with its files has nothing to sync).
	 */
	for (i = 0; i < ndirs; i++)
		if ((fd = open(dirs[i], O_RDONLY | O_DIRECTORY)) == -1 &&
		    errno == ENOENT && removed_folder(r, dirs[i]))
			continue;
		else if (fd == -1 || fsync(fd) == -1) {
			log_errx("%s: cannot sync the folder: %s", dirs[i],
			    strerror(errno));
			if (fd != -1)
				close(fd);
			goto out;
		} else
			close(fd);
	rc = 0;
out:
	for (i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	if (rc == 0)
		unstage_all(r);
	else
		out_abort(r);
	return rc;
}

void
out_abort(struct render *r)
{
	size_t	 i;

	/* Newest first: a folder's files go before the folder. */
	for (i = r->nstaged; i-- > 0;) {
		struct staged *s = &r->staged[i];
		if (s->gone)
			continue;	/* nothing was done to it yet */
		if (s->tmp != NULL) {
			if (unlink(s->tmp) == -1 && errno != ENOENT)
				log_errx("%s: %s", s->tmp, strerror(errno));
		} else
			rmdir(s->path);	/* kept when a published file is in it */
	}
	unstage_all(r);
}

int
out_lock(struct render *r, int *fd)
{
	struct buf	 dir = { 0 };
	char		*slash;

	/*
	 * The folder the site is in, whether the site is there yet or not,
	 * so that every run locks the same one; made if need be (staged:
	 * a run that fails removes it again).
	 */
	*fd = -1;
	buf_puts(&dir, r->out);
	if (dir.failed) {
		log_errx("%s: out of memory", r->out);
		return -1;
	}
	if ((slash = strrchr(dir.p, '/')) == NULL)
		buf_puts(&dir, "/.");
	else
		*(slash == dir.p ? slash + 1 : slash) = '\0';
	if (dir.failed)
		log_errx("%s: out of memory", r->out);
	else if (mkparents(r, r->out) == 0) {
		if ((*fd = open(slash == NULL ? "." : dir.p, O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) == -1)
			log_errx("%s: cannot lock: %s", dir.p, strerror(errno));
		while (*fd != -1 && flock(*fd, LOCK_EX) == -1)
			if (errno != EINTR) {
				log_errx("%s: cannot lock: %s", dir.p,
				    strerror(errno));
				close(*fd);
				*fd = -1;
			}
	}
	buf_free(&dir);
	return *fd == -1 ? -1 : 0;
}
