/* test_json.c — strict whole-buffer JSON parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "json.h"
#include "utf8.h"

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

/* ---- json_check: RFC 8259, named where it fails ---------------------------------- */

/* json_check on a heap copy of text, so ASan sees any read past len. */
static int
check_n(const char *text, size_t len, size_t *nitems, struct json_err *e)
{
	char	*buf = malloc(len ? len : 1);
	int	 rc;

	cr_assert_not_null(buf);
	memcpy(buf, text, len);
	memset(e, 0, sizeof(*e));
	rc = json_check(buf, len, nitems, e);
	free(buf);
	return rc;
}

static int
check(const char *text, struct json_err *e)
{
	size_t	 n;

	return check_n(text, strlen(text), &n, e);
}

/* text fails with e->key "key" and a message holding want. */
static void
fails_under(const char *text, const char *key, const char *want)
{
	struct json_err	 e;

	cr_assert_eq(check(text, &e), -1, "accepted %s", text);
	cr_assert_str_eq(e.key, key, "key of %s", text);
	if (want != NULL)
		cr_assert_not_null(strstr(e.msg, want), "%s: message \"%s\"",
		    text, e.msg);
}

Test(json, rejects_numbers_outside_rfc8259_naming_the_key)
{
	static const char *const bad[] = { "01", "-01", "00", "1.", "-1.",
	    ".5", "+1", "-", "1e", "1e+", "1.e5", "1E-", "0x10", "1.5.5",
	    "--1", "-.5", "1e5.0", "0.e1", "1ee5", "1e+-5", NULL };
	char		 text[64], want[64];
	struct json_err	 e;
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text), "{\"cost\":%s}", bad[i]);
		snprintf(want, sizeof(want), "%s is not a JSON number", bad[i]);
		fails_under(text, "cost", want);
		cr_assert_eq(check(text, &e), -1);
		cr_assert_eq(e.pos, 8, "%s: at the number", text);
	}
}

Test(json, accepts_rfc8259_numbers)
{
	static const char *const good[] = { "0", "-0", "1.5e-3", "1E+2",
	    "0.0", "123", "-123.456e789", "1e-0", "10", "0e0", "2E5",
	    "-0.0e-0", NULL };
	char		 text[64];
	struct json_err	 e;
	size_t		 i;

	for (i = 0; good[i] != NULL; i++) {
		snprintf(text, sizeof(text), "[%s]", good[i]);
		cr_assert_eq(check(text, &e), 0, "%s: %s", text, e.msg);
	}
}

/* cJSON reads 63 characters of a number; longer would be cut silently. */
Test(json, rejects_numbers_longer_than_63_characters)
{
	char		 text[80];
	struct json_err	 e;

	memset(text, '1', sizeof(text));
	text[0] = '[';
	text[64] = ']';
	text[65] = '\0';
	cr_assert_eq(check(text, &e), 0, "63 digits: %s", e.msg);
	text[64] = '1';
	text[65] = ']';
	text[66] = '\0';
	cr_assert_eq(check(text, &e), -1, "64 digits");
	cr_assert_eq(e.pos, 1);
}

Test(json, rejects_literals_other_than_true_false_null)
{
	fails_under("{\"cost\":NaN}", "cost", "NaN");
	fails_under("{\"cost\":Infinity}", "cost", "Infinity");
	fails_under("{\"cost\":-Infinity}", "cost", "-Infinity");
	fails_under("{\"a\":tru}", "a", "tru");
	fails_under("{\"a\":True}", "a", "True");
	fails_under("{\"a\":nulll}", "a", "nulll");
	fails_under("{\"a\":truefalse}", "a", NULL);
}

Test(json, accepts_every_kind_of_value)
{
	struct json_err	 e;

	cr_assert_eq(check("{\"a\":[true,false,null,\"s\",1,{}],\"b\":{\"c\":[]}}",
	    &e), 0, "%s", e.msg);
}

Test(json, rejects_invalid_utf8_in_a_key_and_in_an_ignored_value)
{
	struct json_err	 e;

	cr_assert_eq(check("{\"ok\":1,\"k\xff\":1}", &e), -1);
	cr_assert_eq(e.pos, 10, "at the bad byte");
	cr_assert_str_eq(e.key, "", "inside a key names no key");
	fails_under("{\"junk\":\"a\xc0\xafz\"}", "junk", "UTF-8");
	fails_under("{\"junk\":\"\xed\xa0\x80\"}", "junk", "UTF-8");
	fails_under("{\"junk\":\"\xe2\x82\"}", "junk", "UTF-8");
	fails_under("{\"m\":{\"\xf4\x90\x80\x80\":1}}", "m", "UTF-8");
	fails_under("[\"\x80\"]", "", "UTF-8");
}

Test(json, accepts_valid_multibyte_text)
{
	struct json_err	 e;

	cr_assert_eq(check("{\"héllo\":\"wörld 日本 😀\"}", &e), 0, "%s",
	    e.msg);
}

Test(json, rejects_unpaired_surrogate_escapes)
{
	fails_under("{\"a\":\"\\ud800\"}", "a", "surrogate");
	fails_under("{\"a\":\"\\udc00\"}", "a", "surrogate");
	fails_under("{\"a\":\"\\udbff\\udbff\"}", "a", "surrogate");
	fails_under("{\"a\":\"\\ud800\\u0041\"}", "a", "surrogate");
	fails_under("{\"a\":\"\\ud800x\"}", "a", "surrogate");
	fails_under("{\"a\":\"\\ud800\\", "a", NULL);
}

Test(json, accepts_a_surrogate_pair)
{
	cJSON	*v = parse_n("[\"\\ud83d\\ude00\"]", 16, NULL);

	cr_assert_not_null(v);
	cr_assert_str_eq(cJSON_GetArrayItem(v, 0)->valuestring, "😀");
	cJSON_Delete(v);
}

Test(json, rejects_bad_escapes)
{
	fails_under("{\"a\":\"\\x\"}", "a", "escape");
	fails_under("{\"a\":\"\\u12\"}", "a", "escape");
	fails_under("{\"a\":\"\\u12g4\"}", "a", "escape");
	fails_under("{\"a\":\"\\U0041\"}", "a", "escape");
	fails_under("{\"a\":\"\\u0000\"}", "a", "\\u0000");
}

Test(json, rejects_white_space_outside_rfc8259)
{
	struct json_err	 e;

	cr_assert_eq(check("\f{}", &e), -1);
	cr_assert_eq(check("{}\v", &e), -1);
	cr_assert_eq(check("[1,\xc2\xa0" "2]", &e), -1, "no-break space");
}

/* RFC 8259 lets a parser skip a byte order mark; cJSON does too. */
Test(json, skips_a_byte_order_mark_before_the_value)
{
	struct json_err	 e;

	cr_assert_eq(check("\xef\xbb\xbf{\"a\":1}", &e), 0, "%s", e.msg);
	cr_assert_eq(check("\xef\xbb\xbf" "0", &e), 0, "%s", e.msg);
	cr_assert_eq(check("{\"a\":1}\xef\xbb\xbf", &e), -1, "only first");
	cr_assert_eq(check("\xef\xbb\xbf", &e), -1, "and a value");
}

/* depth levels of [ around a 1. */
static char *
nested(int depth)
{
	char	*s = malloc((size_t)depth * 2 + 2);
	int	 i;

	cr_assert_not_null(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth + 1 + i] = ']';
	}
	s[depth] = '1';
	s[depth * 2 + 1] = '\0';
	return s;
}

Test(json, nests_up_to_json_max_depth)
{
	struct json_err	 e;
	char		*s = nested(JSON_MAX_DEPTH);

	cr_assert_eq(check(s, &e), 0, "%s", e.msg);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1);
	cr_assert_eq(check(s, &e), -1);
	cr_assert_eq(e.pos, JSON_MAX_DEPTH);
	cr_assert_not_null(strstr(e.msg, "deeper"), "%s", e.msg);
	free(s);
	fails_under("{\"metadata\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "metadata",
	    "deeper");
}

Test(json, counts_the_items_of_a_top_level_array)
{
	struct json_err	 e;
	size_t		 n = 99;

	cr_assert_eq(check_n("[]", 2, &n, &e), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(check_n(" [ ] ", 5, &n, &e), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(check_n("[1]", 3, &n, &e), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(check_n("[1,[2,3],{\"a\":[4,5]},\"6,7\"]", 27, &n, &e), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(check_n("{\"a\":[1,2]}", 11, &n, &e), 0);
	cr_assert_eq(n, 1, "an object is one item");
	cr_assert_eq(check_n("5", 1, &n, &e), 0);
	cr_assert_eq(n, 1);
}

Test(json, counts_500000_items_without_allocating)
{
	size_t		 len = 500000 * 2 + 1, i, n = 0;
	char		*s = malloc(len);
	struct json_err	 e;

	cr_assert_not_null(s);
	s[0] = '[';
	for (i = 0; i < 500000; i++) {
		s[1 + i * 2] = '0';
		s[2 + i * 2] = ',';
	}
	s[len - 1] = ']';
	cr_assert_eq(json_check(s, len, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 500000);
	free(s);
}

Test(json, names_the_item_and_the_key_of_an_error)
{
	struct json_err	 e;

	cr_assert_eq(check("[{\"a\":1},{\"b\":2,\"cost\":01}]", &e), -1);
	cr_assert_eq(e.item, 1);
	cr_assert_str_eq(e.key, "cost");
	cr_assert_eq(e.pos, 23);
	cr_assert_eq(check("{\"a\":{\"b\":01}}", &e), -1);
	cr_assert_eq(e.item, -1, "not in an array");
	cr_assert_str_eq(e.key, "a", "the record-level key, not b");
	cr_assert_eq(check("[1,01]", &e), -1);
	cr_assert_eq(e.item, 1);
	cr_assert_str_eq(e.key, "");
	cr_assert_eq(check("[1,,2]", &e), -1);
	cr_assert_eq(e.item, 1);
	cr_assert_eq(check("[[{\"a\":01}]]", &e), -1);
	cr_assert_str_eq(e.key, "", "an object in an item is not a record");
	cr_assert_eq(check("[1] x", &e), -1);
	cr_assert_eq(e.item, -1, "after the array");
}

Test(json, a_key_stops_naming_errors_after_its_value)
{
	fails_under("{\"cost\":1 \"x\":2}", "", "expected ','");
	fails_under("{\"cost\":{\"a\":1}]", "", "expected ','");
	fails_under("{\"a\":1,\"cost\"}", "cost", "':'");
	fails_under("[{\"a\":1},{\"b\":1,}]", "", "key");
}

Test(json, cuts_a_long_key_on_a_character_boundary)
{
	char		 text[256] = "{\"";
	struct json_err	 e;
	int		 i;

	for (i = 0; i < 40; i++)
		strcat(text, "é");		/* 80 bytes */
	strcat(text, "\":01}");
	cr_assert_eq(check(text, &e), -1);
	cr_assert_eq(strlen(e.key), 30, "15 whole characters");
	cr_assert_eq(utf8_len(e.key, strlen(e.key)), 15);
}

/* ---- json_dup_key ----------------------------------------------------------------- */

/* The duplicate key of text and the key of the member it is under. */
static int
dup_of(const char *text, char *key, char *under)
{
	cJSON		*v = cJSON_Parse(text);
	const char	*k = NULL, *u = NULL;
	int		 rc;

	cr_assert_not_null(v, "%s", text);
	rc = json_dup_key(v, &k, &u);
	if (rc == 1) {
		strcpy(key, k);
		strcpy(under, u);
	}
	cJSON_Delete(v);
	return rc;
}

Test(json, finds_a_duplicate_key_at_the_top)
{
	char	 k[64], u[64];

	cr_assert_eq(dup_of("{\"a\":1,\"cost\":1,\"b\":2,\"cost\":2}", k, u), 1);
	cr_assert_str_eq(k, "cost");
	cr_assert_str_eq(u, "cost");
}

Test(json, finds_a_duplicate_key_in_nested_objects_and_arrays)
{
	char	 k[64], u[64];

	cr_assert_eq(dup_of("{\"a\":1,\"metadata\":{\"x\":{\"y\":1,\"z\":2,"
	    "\"y\":3}}}", k, u), 1);
	cr_assert_str_eq(k, "y");
	cr_assert_str_eq(u, "metadata");
	cr_assert_eq(dup_of("{\"list\":[1,[{\"p\":1}],{\"q\":1,\"q\":1}],"
	    "\"z\":0}", k, u), 1);
	cr_assert_str_eq(k, "q");
	cr_assert_str_eq(u, "list");
	cr_assert_eq(dup_of("{\"m\":{\"n\":1},\"o\":{\"n\":1}}", k, u), 0,
	    "the same key in two objects is fine");
}

Test(json, finds_keys_that_are_equal_once_unescaped)
{
	char	 k[64], u[64];

	cr_assert_eq(dup_of("{\"cost\":1,\"co\\u0073t\":1}", k, u), 1);
	cr_assert_str_eq(k, "cost");
}

Test(json, finds_no_duplicate_where_there_is_none)
{
	char	 k[64], u[64];

	cr_assert_eq(dup_of("{}", k, u), 0);
	cr_assert_eq(dup_of("[]", k, u), 0);
	cr_assert_eq(dup_of("{\"a\":1,\"A\":1,\"a \":1,\"b\":[{},{}]}", k, u),
	    0);
	cr_assert_eq(dup_of("7", k, u), 0);
}

/* Sorted keys: n log n, not n squared, on an object of 100,000 keys. */
Test(json, finds_a_duplicate_among_100000_keys, .timeout = 10)
{
	cJSON		*o = cJSON_CreateObject();
	const char	*k, *u;
	char		 name[16];
	int		 i;

	cr_assert_not_null(o);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		cr_assert_not_null(cJSON_AddNumberToObject(o, name, i));
	}
	cr_assert_eq(json_dup_key(o, &k, &u), 0);
	cr_assert_not_null(cJSON_AddNumberToObject(o, "k77777", 0));
	cr_assert_eq(json_dup_key(o, &k, &u), 1);
	cr_assert_str_eq(k, "k77777");
	cJSON_Delete(o);
}

/* cJSON alone does not skip a byte order mark before a one-byte text. */
Test(json, parses_a_byte_order_mark_before_a_one_byte_value)
{
	cJSON	*v = parse_n("\xef\xbb\xbf" "7", 4, NULL);

	cr_assert_not_null(v);
	cr_assert_eq(v->valueint, 7);
	cJSON_Delete(v);
}

/* What cJSON alone takes and the edge must not: json_parse refuses it. */
Test(json, parse_refuses_what_cjson_alone_would_take)
{
	static const char *const bad[] = { "{\"cost\":01}", "[1.]", "[-01]",
	    "{\"junk\":\"\xff\"}", "{\"k\xc0\xaf\":1}", "[\"\xed\xa0\x80\"]",
	    "\f[]", NULL };
	size_t		 i, pos;

	for (i = 0; bad[i] != NULL; i++) {
		cJSON	*v = parse_n(bad[i], strlen(bad[i]), &pos);

		cr_assert_null(v, "accepted %s", bad[i]);
	}
}
