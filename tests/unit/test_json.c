/* test_json.c — strict whole-buffer JSON parsing. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "json.h"

/* Parse exactly len bytes from a heap copy, so ASan sees any overread. */
static cJSON *
parse_n(const char *text, size_t len, size_t *errpos)
{
	char	*buf = malloc(len ? len : 1);
	cJSON	*v;

	cr_assert_not_null(buf);
	memcpy(buf, text, len);
	v = json_parse(buf, len, errpos);
	free(buf);
	return v;
}

static void
accepts(const char *text, size_t len)
{
	cJSON	*v = parse_n(text, len, NULL);

	cr_assert_not_null(v, "accepts \"%s\"", text);
	cJSON_Delete(v);
}

/* Rejects len bytes of text with *errpos at the given offset (or any). */
static void
rejects_at(const char *text, size_t len, long want)
{
	size_t	 pos = 9999;
	cJSON	*v = parse_n(text, len, &pos);

	if (v != NULL) {
		cJSON_Delete(v);
		cr_assert_fail("accepted %zu bytes \"%s\"", len, text);
	}
	cr_assert_leq(pos, len, "errpos within the buffer");
	if (want >= 0)
		cr_assert_eq(pos, (size_t)want, "errpos of \"%s\"", text);
}

Test(json, parses_an_object)
{
	cJSON	*v = parse_n("{\"a\":[1,2],\"b\":\"x\"}", 19, NULL);

	cr_assert_not_null(v);
	cr_assert(cJSON_IsObject(v));
	cr_assert_str_eq(cJSON_GetObjectItem(v, "b")->valuestring, "x");
	cJSON_Delete(v);
}

Test(json, parses_any_single_value)
{
	accepts("[]", 2);
	accepts("42", 2);
	accepts("\"s\"", 3);
	accepts("null", 4);
}

Test(json, reads_no_byte_past_len)
{
	/* parse_n copies without a terminating NUL. */
	accepts("{\"k\":1}", 7);
	accepts("12345", 5);
}

Test(json, accepts_white_space_around_the_value)
{
	accepts("{} \t\r\n", 6);
	accepts("\n  {}", 5);
}

Test(json, rejects_trailing_garbage)
{
	rejects_at("{} x", 4, 3);
	rejects_at("{}{}", 4, 2);
	rejects_at("[1],", 4, 3);
	rejects_at("1 2", 3, 2);
}

Test(json, rejects_nul_after_the_value)
{
	rejects_at("{}\0", 3, 2);
	rejects_at("{} \0 ", 5, 3);
}

/* A NUL would cut the text short for every C string function after us. */
Test(json, rejects_nul_inside_a_string)
{
	rejects_at("{\"a\":\"x\0y\"}", 11, 7);
}

Test(json, rejects_nul_between_tokens)
{
	rejects_at("{\"a\":\0 1}", 9, 5);
}

Test(json, rejects_nul_before_the_value)
{
	rejects_at("\0{}", 3, 0);
}

/*
 * cJSON decodes \u0000 into a NUL that ends the C string: "a\u0000b" and
 * "a\u0000c" would both be stored as request_id "a".
 */
Test(json, rejects_escaped_nul_in_a_string)
{
	rejects_at("{\"request_id\":\"a\\u0000b\"}", 25, 16);
}

/* "\\u0000" is a backslash and the text u0000: no NUL at all. */
Test(json, accepts_escaped_backslash_before_u0000)
{
	cJSON	*v = parse_n("[\"\\\\u0000\"]", 11, NULL);

	cr_assert_not_null(v);
	cr_assert_str_eq(cJSON_GetArrayItem(v, 0)->valuestring, "\\u0000");
	cJSON_Delete(v);
}

Test(json, accepts_other_escapes)
{
	cJSON	*v = parse_n("[\"\\u00e9\\t\\u0001\"]", 18, NULL);

	cr_assert_not_null(v);
	cr_assert_str_eq(cJSON_GetArrayItem(v, 0)->valuestring, "é\t\x01");
	cJSON_Delete(v);
}

/* RFC 8259: control characters in strings must be escaped. */
Test(json, rejects_raw_control_character_in_a_string)
{
	rejects_at("{\"a\":\"x\x01y\"}", 11, 7);
	rejects_at("[\"tab\there\"]", 12, 5);
}

Test(json, rejects_empty_and_blank_input)
{
	rejects_at("", 0, 0);
	rejects_at("   \n", 4, -1);
}

Test(json, reports_where_parsing_failed)
{
	rejects_at("{\"a\":}", 6, 5);
	rejects_at("[1,2,,3]", 8, 5);
	rejects_at("{\"a\" 1}", 7, -1);
	rejects_at("[1,2", 4, -1);
}

Test(json, errpos_may_be_null)
{
	cr_assert_null(json_parse("{", 1, NULL));
	cr_assert_null(json_parse("{} x", 4, NULL));
}

Test(json, survives_deep_nesting)
{
	size_t	 n = 100000;
	char	*s = malloc(n);

	cr_assert_not_null(s);
	memset(s, '[', n);
	cr_assert_null(json_parse(s, n, NULL));
	free(s);
}
