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

/*
 * The text of b, which the caller now owns and frees with free() ("" when
 * nothing was added), or NULL when an operation on b failed or out of
 * memory.  b is empty afterwards either way.
 */
char	*buf_take(struct buf *b);

/*
 * snprintf into the array dst of size bytes, which must hold the whole
 * text.  Returns 0, or -1 when it did not fit or the format failed; dst
 * then holds "" (never a cut text that could pass for a whole one).
 */
int	 fixed_printf(char *dst, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Free the bytes and empty b. */
void	 buf_free(struct buf *b);

#endif
