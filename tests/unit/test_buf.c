/* test_buf.c — growing arrays and byte buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "buf.h"

Test(buf, grow_doubles_and_keeps_what_was_there)
{
	int	*v = NULL;
	size_t	 cap = 0, i;

	for (i = 0; i < 1000; i++) {
		cr_assert_eq(grow(&v, &cap, i + 1, sizeof(*v)), 0);
		cr_assert_geq(cap, i + 1);
		v[i] = (int)i;
	}
	for (i = 0; i < 1000; i++)
		cr_assert_eq(v[i], (int)i);
	free(v);
}

Test(buf, grow_refuses_a_size_that_overflows_and_keeps_the_array)
{
	char	*v = NULL;
	size_t	 cap = 0;

	cr_assert_eq(grow(&v, &cap, 10, 1), 0);
	cr_assert_eq(grow(&v, &cap, SIZE_MAX / 2 + 2, 4), -1);
	cr_assert_not_null(v);
	cr_assert_geq(cap, 10);
	free(v);
}

Test(buf, buf_appends_and_formats_past_any_first_size)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	size_t		 i;

	for (i = 0; i < 5000; i++)
		buf_printf(&b, "%zu,", i % 10);
	buf_puts(&b, "\r\n");
	buf_add(&b, "xyz", 2);
	cr_assert_eq(b.failed, 0);
	cr_assert_eq(b.len, 10000 + 2 + 2);
	cr_assert_eq(strlen(b.p), b.len);
	cr_assert_str_eq(b.p + 10000, "\r\nxy");
	buf_free(&b);
	cr_assert_null(b.p);
}
