/* test_body.c — request bodies (an object, an array, NDJSON) into records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "body.h"
#include "leaks.h"

#define NOW_MS	1795688100000LL	/* 2026-11-26T10:15:00Z */
#define REC(id)	"{\"request_id\":\"" id "\",\"source\":\"web\"," \
		"\"status\":\"success\",\"execution_time\":1}"

static struct conf	 conf;

/* Enough of a config for body_parse: no file read. */
static void
setup(void)
{
	memset(&conf, 0, sizeof(conf));
	conf.ingest.command_max_chars = 200;
	conf.ingest.max_batch = 3;
}

TestSuite(body, .init = setup);

/* body_parse on a heap copy of text, so ASan sees any read past its end. */
static enum body_rc
parse(const char *text, enum body_kind kind, struct body *b,
    struct rec_err *e)
{
	size_t		 len = strlen(text);
	char		*buf = malloc(len ? len : 1);
	enum body_rc	 rc;

	cr_assert_not_null(buf);
	memcpy(buf, text, len);
	memset(e, 0, sizeof(*e));
	rc = body_parse(buf, len, kind, &conf, NOW_MS, b, e);
	free(buf);
	return rc;
}

/* text fails with rc, field and a message starting with msg. */
static void
refused(const char *text, enum body_kind kind, enum body_rc want,
    const char *field, const char *msg)
{
	struct body	 b;
	struct rec_err	 e;

	cr_assert_eq(parse(text, kind, &b, &e), want, "%s: %s", text, e.msg);
	cr_assert_str_eq(e.field, field, "field of %s (%s)", text, e.msg);
	cr_assert_eq(strncmp(e.msg, msg, strlen(msg)), 0,
	    "message \"%s\" of %s", e.msg, text);
	cr_assert_null(b.recs, "nothing allocated on failure");
	cr_assert_null(b.rejects);
	assert_no_leaks();
}

Test(body, one_object_is_one_record)
{
	struct body	 b;
	struct rec_err	 e;

	cr_assert_eq(parse(REC("a"), BODY_JSON, &b, &e), BODY_OK, "%s", e.msg);
	cr_assert_eq(b.nrecs, 1);
	cr_assert_eq(b.nrejects, 0);
	cr_assert_str_eq(b.recs[0].request_id, "a");
	body_free(&b);
	assert_no_leaks();
}

Test(body, one_invalid_object_is_refused_naming_the_field)
{
	refused("{\"request_id\":\"a\",\"source\":\"web\",\"status\":\"x\","
	    "\"execution_time\":1}", BODY_JSON, BODY_BAD, "status", "must be");
}

Test(body, array_gives_records_and_rejects_by_index)
{
	struct body	 b;
	struct rec_err	 e;

	cr_assert_eq(parse("[" REC("a") ",{},\n" REC("c") "]", BODY_JSON, &b,
	    &e), BODY_OK, "%s", e.msg);
	cr_assert_eq(b.nrecs, 2);
	cr_assert_str_eq(b.recs[0].request_id, "a");
	cr_assert_str_eq(b.recs[1].request_id, "c");
	cr_assert_eq(b.nrejects, 1);
	cr_assert_eq(b.rejects[0].index, 1);
	cr_assert_str_eq(b.rejects[0].e.field, "request_id");
	body_free(&b);
	assert_no_leaks();
}

Test(body, ndjson_skips_blank_lines_and_indexes_the_others)
{
	struct body	 b;
	struct rec_err	 e;

	cr_assert_eq(parse("\n" REC("a") "\r\n \t\n[1]\n" REC("c"),
	    BODY_NDJSON, &b, &e), BODY_OK, "%s", e.msg);
	cr_assert_eq(b.nrecs, 2);
	cr_assert_eq(b.nrejects, 1);
	cr_assert_eq(b.rejects[0].index, 1);
	cr_assert_str_eq(b.rejects[0].e.field, "");
	body_free(&b);
}

Test(body, ndjson_of_blank_lines_is_no_records)
{
	struct body	 b;
	struct rec_err	 e;

	cr_assert_eq(parse("\n \r\n", BODY_NDJSON, &b, &e), BODY_OK);
	cr_assert_eq(b.nrecs + b.nrejects, 0);
	body_free(&b);
}

Test(body, more_items_than_max_batch_are_too_many)
{
	refused("[{},{},{},{}]", BODY_JSON, BODY_TOO_MANY, "",
	    "batch of 4 items is over ingest.max_batch (3)");
	refused("{}\n{}\n\n{}\n{}\n", BODY_NDJSON, BODY_TOO_MANY, "",
	    "batch of 4 items");
	refused("[1,2,3,4]", BODY_JSON, BODY_TOO_MANY, "", "batch of 4");
}

Test(body, max_batch_items_are_taken)
{
	struct body	 b;
	struct rec_err	 e;

	cr_assert_eq(parse("[{},{},{}]", BODY_JSON, &b, &e), BODY_OK);
	cr_assert_eq(b.nrejects, 3);
	body_free(&b);
}

/* Counted by the validator: no tree, so no memory, for 500,000 items. */
Test(body, a_huge_batch_is_refused_without_a_tree)
{
	size_t		 n = 500000, i;
	char		*s = malloc(n * 2 + 2);
	struct body	 b;
	struct rec_err	 e;

	cr_assert_not_null(s);
	s[0] = '[';
	for (i = 0; i < n; i++)
		memcpy(s + 1 + i * 2, i + 1 < n ? "0," : "0]", 2);
	s[n * 2 + 1] = '\0';
	cr_assert_eq(parse(s, BODY_JSON, &b, &e), BODY_TOO_MANY);
	for (i = 0; i < n; i++)
		s[1 + i * 2] = '\n';
	cr_assert_eq(parse(s + 1, BODY_NDJSON, &b, &e), BODY_TOO_MANY);
	free(s);
}

Test(body, a_bad_number_in_a_batch_names_the_item_and_the_field)
{
	refused("[" REC("a") ",{\"cost\":01}]", BODY_JSON, BODY_BAD, "cost",
	    "item 1: field \"cost\": 01 is not a JSON number");
	refused("[{},{\"cost\":1,}]", BODY_JSON, BODY_BAD, "",
	    "item 1: not valid JSON at byte 14: expected a key");
}

Test(body, a_bad_line_names_the_line_and_the_field)
{
	refused(REC("a") "\n\n{\"cost\":1.}\n", BODY_NDJSON, BODY_BAD, "cost",
	    "line 3: field \"cost\": 1. is not a JSON number");
	refused("{}\n{\"a\":1\n", BODY_NDJSON, BODY_BAD, "",
	    "line 2: not valid JSON at byte 9: unexpected end");
}

Test(body, a_bad_number_in_one_object_names_the_field)
{
	refused("{\"cost\":.5}", BODY_JSON, BODY_BAD, "cost",
	    ".5 is not a JSON number");
	refused("{\"a\":1", BODY_JSON, BODY_BAD, "",
	    "not valid JSON at byte 6: unexpected end");
}

Test(body, a_duplicate_key_is_a_reject_in_a_batch_and_refused_alone)
{
	struct body	 b;
	struct rec_err	 e;

	refused("{\"cost\":1,\"cost\":2}", BODY_JSON, BODY_BAD, "cost",
	    "duplicate key \"cost\"");
	cr_assert_eq(parse("[" REC("a") ",{\"x\":1,\"x\":1}]", BODY_JSON, &b,
	    &e), BODY_OK);
	cr_assert_eq(b.nrecs, 1);
	cr_assert_eq(b.nrejects, 1);
	cr_assert_str_eq(b.rejects[0].e.field, "x");
	body_free(&b);
}

Test(body, invalid_utf8_anywhere_is_refused)
{
	refused("[" REC("a") ",{\"junk\":\"\xff\"}]", BODY_JSON, BODY_BAD,
	    "junk", "item 1: field \"junk\": invalid UTF-8");
	refused("{\"k\xc3\":1}", BODY_JSON, BODY_BAD, "",
	    "not valid JSON at byte 3: invalid UTF-8");
	refused("{}\n{\"m\":{\"\xed\xa0\x80\":1}}\n", BODY_NDJSON, BODY_BAD,
	    "m", "line 2: field \"m\": invalid UTF-8");
}

Test(body, other_bodies_are_refused)
{
	refused("", BODY_JSON, BODY_BAD, "", "empty body");
	refused("", BODY_NDJSON, BODY_BAD, "", "empty body");
	refused("42", BODY_JSON, BODY_BAD, "", "body must be");
	refused("\"x\"", BODY_JSON, BODY_BAD, "", "body must be");
}
