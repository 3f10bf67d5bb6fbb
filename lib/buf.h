/* buf.h — growing memory: arrays and byte buffers that never overrun. */
#ifndef APIMON_BUF_H
#define APIMON_BUF_H

#include <stddef.h>

/*
 * Make the array at *pp (of *cap elements of size bytes) hold at least
 * need elements, doubling it.  Returns 0, or -1 when out of memory or the
 * size would overflow; *pp and *cap are then unchanged and still valid.
 */
int	 grow(void *pp, size_t *cap, size_t need, size_t size);

/*
 * A byte buffer, always NUL-terminated once anything was added.  An
 * operation that fails (out of memory) sets failed and adds nothing; the
 * later ones do nothing, so a caller checks once at the end.
 */
struct buf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

void	 buf_add(struct buf *b, const char *s, size_t n);
void	 buf_puts(struct buf *b, const char *s);
void	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Free the bytes and empty b. */
void	 buf_free(struct buf *b);

#endif
