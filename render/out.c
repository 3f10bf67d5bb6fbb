/* out.c — write a site file atomically, and only when it changed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "render.h"

/* mkdir -p for the folders of path. */
static int
mkparents(const char *path)
{
	char	 buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
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
	fclose(f);
	return same && off == len;
}

int
out_write(struct render *r, const char *rel, const char *data, size_t len)
{
	char	 path[4096], tmp[4200];
	FILE	*f;
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", r->out, rel);
	if (same_content(path, data, len)) {
		r->unchanged++;
		return 0;
	}
	if (mkparents(path) != 0) {
		log_errx("%s: cannot create its folder: %s", path,
		    strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "wb")) == NULL) {
		log_errx("%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fchmod(fd, 0644);
	/* A reader sees the old file or the new one, never half of one. */
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 ||
	    fclose(f) != 0 || rename(tmp, path) != 0) {
		log_errx("%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	r->written++;
	r->bytes += len;
	return 0;
}

int
out_copy(struct render *r, const char *src, const char *rel)
{
	FILE	*f = fopen(src, "rb");
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0, k;
	int	 rc = -1;

	if (f == NULL) {
		log_errx("%s: %s", src, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL)
				goto out;
			buf = nb;
		}
		k = fread(buf + len, 1, cap - len, f);
		len += k;
	} while (k > 0);
	if (!ferror(f))
		rc = out_write(r, rel, buf, len);
out:
	if (rc != 0 && !ferror(f) && buf == NULL)
		log_errx("out of memory");
	free(buf);
	fclose(f);
	return rc;
}
