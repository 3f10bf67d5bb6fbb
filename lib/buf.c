/* buf.c — growing memory: arrays and byte buffers that never overrun. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void	*p;
	size_t	 n = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if ((p = reallocarray(*(void **)pp, n, size)) == NULL)
		return -1;
	*(void **)pp = p;
	*cap = n;
	return 0;
}

void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n >= SIZE_MAX - b->len || grow(&b->p, &b->cap, b->len + n + 1, 1)) {
		b->failed = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(&b->p, &b->cap, b->len + (size_t)n + 1, 1)) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_take(struct buf *b)
{
	char	*p;

	buf_add(b, "", 0);	/* allocates when nothing was added */
	p = b->failed ? NULL : b->p;
	if (p == NULL)
		free(b->p);
	memset(b, 0, sizeof(*b));
	return p;
}

int
fixed_printf(char *dst, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (size == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		dst[0] = '\0';
		return -1;
	}
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
