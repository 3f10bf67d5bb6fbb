/* test_utf8.c — validating and cutting UTF-8 text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "utf8.h"

static long
len_of(const char *s)
{
	return utf8_len(s, strlen(s));
}

/* ---- utf8_len: valid text ---------------------------------------------------- */

Test(utf8, counts_ascii)
{
	cr_assert_eq(len_of(""), 0);
	cr_assert_eq(len_of("hello"), 5);
	cr_assert_eq(len_of("\x7f"), 1);
}

Test(utf8, counts_only_len_bytes)
{
	cr_assert_eq(utf8_len("hello", 3), 3);
	cr_assert_eq(utf8_len("a\0b", 3), 3, "NUL is a character");
}

Test(utf8, counts_two_byte_characters)
{
	cr_assert_eq(len_of("é"), 1);
	cr_assert_eq(len_of("héllo wörld"), 11);
	cr_assert_eq(len_of("\xc2\x80"), 1, "U+0080");
	cr_assert_eq(len_of("\xdf\xbf"), 1, "U+07FF");
}

Test(utf8, counts_three_byte_characters)
{
	cr_assert_eq(len_of("€"), 1);
	cr_assert_eq(len_of("日本語"), 3);
	cr_assert_eq(len_of("\xe0\xa0\x80"), 1, "U+0800");
	cr_assert_eq(len_of("\xed\x9f\xbf"), 1, "U+D7FF");
	cr_assert_eq(len_of("\xee\x80\x80"), 1, "U+E000");
	cr_assert_eq(len_of("\xef\xbf\xbf"), 1, "U+FFFF");
}

Test(utf8, counts_four_byte_characters)
{
	cr_assert_eq(len_of("😀"), 1);
	cr_assert_eq(len_of("a😀b🤣"), 4);
	cr_assert_eq(len_of("\xf0\x90\x80\x80"), 1, "U+10000");
	cr_assert_eq(len_of("\xf4\x8f\xbf\xbf"), 1, "U+10FFFF");
}

/* ---- utf8_len: invalid text ------------------------------------------------------ */

Test(utf8, rejects_overlong_forms)
{
	cr_assert_eq(len_of("\xc0\x80"), -1, "NUL in two bytes");
	cr_assert_eq(len_of("\xc1\xbf"), -1);
	cr_assert_eq(len_of("\xe0\x80\x80"), -1);
	cr_assert_eq(len_of("\xe0\x9f\xbf"), -1, "U+07FF in three bytes");
	cr_assert_eq(len_of("\xf0\x8f\xbf\xbf"), -1, "U+FFFF in four bytes");
}

Test(utf8, rejects_surrogates)
{
	cr_assert_eq(len_of("\xed\xa0\x80"), -1, "U+D800");
	cr_assert_eq(len_of("\xed\xbf\xbf"), -1, "U+DFFF");
	cr_assert_eq(len_of("\xed\xa0\xbd\xed\xb8\x80"), -1, "CESU-8 pair");
}

Test(utf8, rejects_code_points_above_10ffff)
{
	cr_assert_eq(len_of("\xf4\x90\x80\x80"), -1, "U+110000");
	cr_assert_eq(len_of("\xf5\x80\x80\x80"), -1);
	cr_assert_eq(len_of("\xf8\x88\x80\x80\x80"), -1);
	cr_assert_eq(len_of("\xff"), -1);
	cr_assert_eq(len_of("\xfe"), -1);
}

Test(utf8, rejects_truncated_sequences)
{
	cr_assert_eq(len_of("\xc3"), -1);
	cr_assert_eq(len_of("\xe2\x82"), -1);
	cr_assert_eq(len_of("\xf0\x9f\x98"), -1);
	cr_assert_eq(len_of("ab\xe2\x82" "A"), -1, "cut short by ASCII");
	cr_assert_eq(utf8_len("é", 1), -1, "cut short by len");
	cr_assert_eq(utf8_len("😀", 3), -1);
}

Test(utf8, rejects_lone_continuation_bytes)
{
	cr_assert_eq(len_of("\x80"), -1);
	cr_assert_eq(len_of("a\xbf"), -1);
	cr_assert_eq(len_of("é\xa9"), -1);
}

/* ---- utf8_prefix ------------------------------------------------------------------ */

Test(utf8, prefix_counts_characters)
{
	cr_assert_eq(utf8_prefix("hello", 5, 3), 3);
	cr_assert_eq(utf8_prefix("héllo wörld", strlen("héllo wörld"), 5), 6);
	cr_assert_eq(utf8_prefix("😀😁😂", 12, 2), 8);
}

Test(utf8, prefix_of_zero_characters_is_empty)
{
	cr_assert_eq(utf8_prefix("héllo", 6, 0), 0);
	cr_assert_eq(utf8_prefix("", 0, 5), 0);
}

Test(utf8, prefix_longer_than_text_is_the_text)
{
	cr_assert_eq(utf8_prefix("héllo", 6, 5), 6);
	cr_assert_eq(utf8_prefix("héllo", 6, 100), 6);
}

/* Cut at every length, the prefix is valid text of min(max, n) characters. */
Test(utf8, prefix_never_splits_a_character)
{
	static const char	 s[] = "a€é😀b日\xc2\x80😂z";
	size_t			 len = strlen(s), max, cut;
	long			 n = utf8_len(s, len);

	cr_assert_eq(n, 9);
	for (max = 0; max <= 12; max++) {
		cut = utf8_prefix(s, len, max);
		cr_assert_leq(cut, len);
		cr_assert_eq(utf8_len(s, cut),
		    (long)max < n ? (long)max : n, "max %zu", max);
	}
}

/* ---- utf8_snprintf: cut on a character boundary ---------------------- */

Test(utf8, snprintf_that_fits_is_snprintf)
{
	char	 buf[16];

	cr_assert_eq(utf8_snprintf(buf, sizeof(buf), "%s-%d", "\xc3\xa9", 7), 4);
	cr_assert_str_eq(buf, "\xc3\xa9-7");
}

Test(utf8, snprintf_never_leaves_half_a_character)
{
	/* "a" then five 4-byte emoji: every cut point, every buffer size. */
	const char	*s = "a\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82"
	    "\xf0\x9f\x98\x83\xf0\x9f\x98\x84";
	char		 buf[32];
	size_t		 size, len;

	for (size = 1; size <= strlen(s) + 1; size++) {
		memset(buf, 'x', sizeof(buf));
		cr_assert_eq(utf8_snprintf(buf, size, "%s", s), (int)strlen(s));
		len = strlen(buf);
		cr_assert_lt(len, size);
		cr_assert_geq(utf8_len(buf, len), 0, "size %zu: invalid", size);
		cr_assert_eq(memcmp(buf, s, len), 0);
		/* As much as fits: at most 3 bytes of a character dropped. */
		cr_assert_leq(size - 1 - len, 3, "size %zu kept %zu", size, len);
	}
}

Test(utf8, snprintf_cuts_two_and_three_byte_characters_whole)
{
	char	 buf[4];

	utf8_snprintf(buf, sizeof(buf), "a%s", "\xe4\xb8\xad");
	cr_assert_str_eq(buf, "a");
	utf8_snprintf(buf, sizeof(buf), "ab%s", "\xc3\xa9");
	cr_assert_str_eq(buf, "ab");
	utf8_snprintf(buf, sizeof(buf), "%s", "\xc3\xa9\xc3\xa9");
	cr_assert_str_eq(buf, "\xc3\xa9");
}

Test(utf8, prefix_stops_before_the_first_invalid_byte)
{
	cr_assert_eq(utf8_prefix("ab\xffz", 4, SIZE_MAX), 2);
	cr_assert_eq(utf8_prefix("é\xe2\x82", 4, SIZE_MAX), 2, "truncated");
	cr_assert_eq(utf8_prefix("a\xed\xa0\x80", 4, SIZE_MAX), 1, "surrogate");
	cr_assert_eq(utf8_prefix("héllo", 6, SIZE_MAX), 6);
}

/* ---- utf8_fit ---------------------------------------------------------------------- */

Test(utf8, fit_keeps_text_that_fits)
{
	cr_assert_eq(utf8_fit("héllo", 6, 6), 6);
	cr_assert_eq(utf8_fit("héllo", 6, 100), 6);
	cr_assert_eq(utf8_fit("", 0, 0), 0);
}

/* Cut at every byte count, the prefix is whole characters and fits. */
Test(utf8, fit_never_splits_a_character)
{
	static const char	 s[] = "a€é😀b日\xc2\x80😂z";
	size_t			 len = strlen(s), max, cut;

	for (max = 0; max <= len; max++) {
		cut = utf8_fit(s, len, max);
		cr_assert_leq(cut, max);
		cr_assert_geq(utf8_len(s, cut), 0, "max %zu: cut %zu", max, cut);
		cr_assert_gt(cut + 4, max, "max %zu: cut %zu too short", max, cut);
	}
	cr_assert_eq(utf8_fit("a€", 4, 3), 1);
	cr_assert_eq(utf8_fit("😀😀", 8, 7), 4);
}

/* What a bad byte becomes: the replacement character. */
#define FFFD	"\xef\xbf\xbd"

static void
repairs_to(const char *in, const char *want)
{
	char	*got = utf8_repair(in);

	cr_assert_not_null(got);
	cr_assert_str_eq(got, want);
	cr_assert_geq(utf8_len(got, strlen(got)), 0, "the result is UTF-8");
	free(got);
}

Test(utf8, repair_keeps_valid_text_as_it_is)
{
	repairs_to("", "");
	repairs_to("plain", "plain");
	repairs_to("総結 — résumé ✓ 😀", "総結 — résumé ✓ 😀");
}

Test(utf8, repair_replaces_each_bad_byte)
{
	repairs_to("a\xff" "b", "a" FFFD "b");
	repairs_to("\x80\x80", FFFD FFFD);
	/* a character cut at the end, an overlong form, a surrogate */
	repairs_to("x\xe2\x82", "x" FFFD FFFD);
	repairs_to("\xc0\xaf", FFFD FFFD);
	repairs_to("\xed\xa0\x80z", FFFD FFFD FFFD "z");
	repairs_to("\xff\xfe\xfd", FFFD FFFD FFFD);
}
