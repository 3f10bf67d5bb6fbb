/* test_render.c — the escapers and the ctemplate shim of apimon-render. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>

#include "render.h"

#ifndef APIMON_SHARE
#define APIMON_SHARE "."
#endif

/* The escapers append to a struct buf; these give the malloc'd text. */
static char *
esc_json_script_str(const char *json)
{
	struct buf	 b = { 0 };

	esc_json_script(&b, json);
	return buf_take(&b);
}

static char *
esc_csv_str(const char *s)
{
	struct buf	 b = { 0 };

	esc_csv(&b, s);
	return buf_take(&b);
}

Test(esc, json_script_never_closes_the_script_element)
{
	char	*s = esc_json_script_str("{\"c\":\"</script><script>alert(1)</script>\"}");

	cr_assert_not_null(s);
	cr_assert_null(strstr(s, "</"));
	cr_assert_null(strchr(s, '<'));
	cr_assert_str_eq(s, "{\"c\":\"\\u003c\\u002fscript\\u003e\\u003cscript"
	    "\\u003ealert(1)\\u003c\\u002fscript\\u003e\"}");
	free(s);
}

Test(esc, json_script_escapes_comment_openers_and_ampersands)
{
	char	*s = esc_json_script_str("\"<!-- a && b -->\"");

	cr_assert_str_eq(s, "\"\\u003c!-- a \\u0026\\u0026 b --\\u003e\"");
	free(s);
}

Test(esc, json_script_escapes_line_and_paragraph_separators)
{
	char	*s = esc_json_script_str("\"a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\"");

	cr_assert_str_eq(s, "\"a\\u2028b\\u2029c\"");
	free(s);
}

Test(esc, json_script_leaves_other_text_alone)
{
	char	*s = esc_json_script_str("{\"k\":\"héllo \\\"q\\\" 1\"}");

	cr_assert_str_eq(s, "{\"k\":\"héllo \\\"q\\\" 1\"}");
	free(s);
}

Test(esc, json_script_keeps_the_json_value)
{
	const char	*in = "{\"a\":\"</b>&\",\"n\":[1,2]}";
	char		*s = esc_json_script_str(in);
	cJSON		*x = cJSON_Parse(in), *y = cJSON_Parse(s);

	cr_assert_not_null(y);
	cr_assert(cJSON_Compare(x, y, 1));
	cJSON_Delete(x);
	cJSON_Delete(y);
	free(s);
}

Test(esc, csv_quotes_commas_quotes_and_newlines)
{
	char	*a = esc_csv_str("plain"), *b = esc_csv_str("a,b"), *c = esc_csv_str("say \"hi\"");
	char	*d = esc_csv_str("two\nlines");

	cr_assert_str_eq(a, "plain");
	cr_assert_str_eq(b, "\"a,b\"");
	cr_assert_str_eq(c, "\"say \"\"hi\"\"\"");
	cr_assert_str_eq(d, "\"two\nlines\"");
	free(a);
	free(b);
	free(c);
	free(d);
}

Test(esc, csv_defuses_spreadsheet_formulas)
{
	char	*a = esc_csv_str("=HYPERLINK(\"x\")"), *b = esc_csv_str("-1+2"), *c = esc_csv_str("@x");

	cr_assert_eq(a[0], '"');
	cr_assert_eq(a[1], '\'');
	cr_assert_str_eq(b, "'-1+2");
	cr_assert_str_eq(c, "'@x");
	free(a);
	free(b);
	free(c);
}

static char *
expand(const char *text, const char *attr, const char *json)
{
	struct tpl	*t;
	char		*out, *esc;
	size_t		 len;

	cr_assert_eq(tpl_root(APIMON_SHARE "/tests/unit/tpl"), 0);
	t = tpl_new();
	cr_assert_not_null(t);
	tpl_set(t, "TEXT", text);
	tpl_set(t, "ATTR", attr);
	esc = esc_json_script_str(json);
	tpl_set(t, "JSON", esc);
	tpl_set(tpl_section(t, "ROW"), "V", "1");
	tpl_set(tpl_section(t, "ROW"), "V", "2");
	out = tpl_expand("escape.tpl", t, &len);
	cr_assert_not_null(out);
	cr_assert_eq(strlen(out), len);
	tpl_free(t);
	free(esc);
	return out;
}

Test(tpl, escapes_html_text)
{
	char	*out = expand("<script>alert(1)</script> & co", "x", "{}");

	cr_assert_null(strstr(out, "<script>alert"));
	cr_assert_not_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
	free(out);
}

Test(tpl, escapes_quotes_in_attributes)
{
	char	*out = expand("t", "\" onmouseover=\"alert(1)' x='y", "{}");

	cr_assert_null(strstr(out, "\" onmouseover"));
	cr_assert_not_null(strstr(out, "&quot; onmouseover=&quot;alert(1)&#39; x=&#39;y"));
	free(out);
}

Test(tpl, repeats_sections)
{
	char	*out = expand("t", "a", "{}");

	cr_assert_not_null(strstr(out, "<i>1</i><i>2</i>"));
	free(out);
}

/* Where an HTML parser ends a <script> element: the first "</script". */
static const char *
script_end(const char *s)
{
	for (; *s != '\0'; s++)
		if (strncasecmp(s, "</script", 8) == 0)
			return s;
	return NULL;
}

Test(tpl, json_in_script_cannot_break_out)
{
	const char	*json = "{\"u\":\"</script><img src=x "
	    "onerror=alert(1)>\",\"v\":\"</SCRIPT >\",\"w\":\"<!--<script>\"}";
	char		*out = expand("t", "a", json);
	const char	*script = strstr(out, "<script"), *body, *end;
	cJSON		*x, *y;

	cr_assert_not_null(script);
	body = strchr(script, '>') + 1;
	/* It ends at the template's own closing tag, the last thing out. */
	end = script_end(body);
	cr_assert_not_null(end);
	cr_assert_str_eq(end, "</script>\n", "the data ends it early: %s", end);
	/* Nothing in it can open a tag or a comment... */
	cr_assert_null(memchr(body, '<', (size_t)(end - body)), "%.*s",
	    (int)(end - body), body);
	/* ...and a script reading it gets the same JSON value. */
	x = cJSON_Parse(json);
	y = cJSON_ParseWithLength(body, (size_t)(end - body));
	cr_assert_not_null(y, "%.*s", (int)(end - body), body);
	cr_assert(cJSON_Compare(x, y, 1));
	cJSON_Delete(x);
	cJSON_Delete(y);
	free(out);
}

Test(tpl, passes_invalid_utf8_without_crashing_and_escapes_markup)
{
	char	*out = expand("bad \xff\xfe <b>", "\xc3", "{}");

	cr_assert_not_null(strstr(out, "&lt;b&gt;"));
	free(out);
}

Test(tpl, missing_or_invalid_template_is_an_error)
{
	struct tpl	*t = tpl_new();

	cr_assert_eq(tpl_root(APIMON_SHARE "/tests/unit/tpl"), 0);
	cr_assert_null(tpl_expand("no-such.tpl", t, NULL));
	cr_assert_null(tpl_expand("invalid.tpl", t, NULL));
	tpl_free(t);
}

Test(esc, csv_empty_field_and_formula_prefix_inside_quotes)
{
	char	*a = esc_csv_str(""), *b = esc_csv_str("=1,2");

	cr_assert_str_eq(a, "");
	cr_assert_str_eq(b, "\"'=1,2\"");
	free(a);
	free(b);
}

Test(esc, json_script_of_an_empty_text_is_empty)
{
	char	*s = esc_json_script_str("");

	cr_assert_str_eq(s, "");
	free(s);
}

/* ---- the shim never lets a failure pass ---------------------------------- */

Test(tpl, root_of_null_is_an_error_not_an_exception)
{
	/* std::string(nullptr) throws inside ctemplate's cache. */
	cr_assert_eq(tpl_root(NULL), -1);
}

Test(tpl, a_failed_dictionary_gives_no_section_and_no_page)
{
	struct tpl	*t = tpl_new();
	char		*ok;

	cr_assert_eq(tpl_root(APIMON_SHARE "/tests/unit/tpl"), 0);
	cr_assert_not_null(t);
	ok = tpl_expand("escape.tpl", t, NULL);
	cr_assert_not_null(ok, "the template is fine before the failure");
	free(ok);
	tpl_set(t, NULL, "a value with no key is lost");
	cr_assert_null(tpl_section(t, "ROW"));
	cr_assert_null(tpl_include(t, "INC", "escape.tpl"));
	cr_assert_null(tpl_expand("escape.tpl", t, NULL));
	cr_assert_eq(tpl_failed(t), 1);
	tpl_free(t);
}

Test(tpl, a_failure_in_a_section_fails_the_whole_page)
{
	struct tpl	*t = tpl_new(), *row;

	cr_assert_eq(tpl_root(APIMON_SHARE "/tests/unit/tpl"), 0);
	row = tpl_section(t, "ROW");
	cr_assert_not_null(row);
	tpl_set(row, "V", "1");
	cr_assert_eq(tpl_failed(t), 0);
	tpl_show(row, NULL);
	cr_assert_eq(tpl_failed(row), 1);
	cr_assert_eq(tpl_failed(t), 1);
	cr_assert_null(tpl_section(row, "ROW"));
	cr_assert_null(tpl_expand("escape.tpl", t, NULL));
	tpl_free(t);
}

Test(tpl, a_null_dictionary_is_harmless_and_expands_to_nothing)
{
	cr_assert_eq(tpl_root(APIMON_SHARE "/tests/unit/tpl"), 0);
	tpl_set(NULL, "TEXT", "x");
	tpl_set_int(NULL, "TEXT", 1);
	tpl_show(NULL, "ROW");
	cr_assert_null(tpl_section(NULL, "ROW"));
	cr_assert_null(tpl_include(NULL, "INC", "escape.tpl"));
	cr_assert_null(tpl_expand("escape.tpl", NULL, NULL));
	cr_assert_eq(tpl_failed(NULL), 1);
	tpl_free(NULL);
}

static char *
esc_json_str_str(const char *s)
{
	struct buf	 b = { 0 };

	esc_json_str(&b, s);
	return buf_take(&b);
}

Test(esc, json_str_quotes_and_escapes_what_json_must)
{
	char	*a = esc_json_str_str("plain"), *b = esc_json_str_str("a\"b\\c");
	char	*c = esc_json_str_str("tab\there\nnl\r\x01\x1f");
	char	*d = esc_json_str_str("\xe2\x80\xa8 \xe2\x80\xa9 </script> 総結");
	char	*e = esc_json_str_str("");

	cr_assert_str_eq(a, "\"plain\"");
	cr_assert_str_eq(b, "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(c, "\"tab\\there\\nnl\\r\\u0001\\u001f\"");
	cr_assert_str_eq(d, "\"\\u2028 \\u2029 </script> 総結\"");
	cr_assert_str_eq(e, "\"\"");
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

/* A stored row with every field, as db_requests_each() gives it. */
static struct rec
full_row(void)
{
	struct rec	 q;

	memset(&q, 0, sizeof(q));
	q.request_id = "=1+1";
	q.ts_ms = 1795687200123LL;
	q.source = "web";
	q.user_id = "@user";
	q.command = "say \"hi\",\nthen -bye";
	q.model = "gpt-4o-mini";
	q.provider = "openai";
	q.status = "success";
	q.latency_us = 1234567;
	q.ttft_us = 5;
	q.input_tokens = 100;
	q.output_tokens = 20;
	q.tokens = 120;
	q.cost_nusd = 27000;
	q.cost_source = REC_COST_PRICED;
	q.error = NULL;
	q.metadata = "{\"k\":[1,2]}";
	q.received_ms = 1795687200456LL;
	return q;
}

Test(export, csv_row_has_the_header_columns_exactly_and_defuses_formulas)
{
	struct rec	 q = full_row();
	struct buf	 b = { 0 };
	char		*s;

	export_csv_row(&b, &q);
	s = buf_take(&b);
	cr_assert_str_eq(s, "'=1+1,2026-11-26T10:00:00.123Z,web,'@user,"
	    "\"say \"\"hi\"\",\nthen -bye\",gpt-4o-mini,openai,success,"
	    "1.234567,0.000005,100,20,120,0.000027000,priced,,"
	    "\"{\"\"k\"\":[1,2]}\",2026-11-26T10:00:00.456Z\r\n");
	free(s);
	/* absent values are empty cells */
	q.ttft_us = q.input_tokens = q.output_tokens = -1;
	q.user_id = q.command = q.model = q.provider = q.metadata = NULL;
	export_csv_row(&b, &q);
	s = buf_take(&b);
	cr_assert_str_eq(s, "'=1+1,2026-11-26T10:00:00.123Z,web,,,,,success,"
	    "1.234567,,,,120,0.000027000,priced,,,2026-11-26T10:00:00.456Z\r\n");
	free(s);
}

Test(export, ndjson_row_is_the_record_that_stores_it_again)
{
	struct rec	 q = full_row();
	struct buf	 b = { 0 };
	char		*s;

	export_ndjson_row(&b, &q);
	s = buf_take(&b);
	/* priced: no cost, the same prices price it again */
	cr_assert_str_eq(s, "{\"request_id\":\"=1+1\","
	    "\"timestamp\":\"2026-11-26T10:00:00.123Z\",\"source\":\"web\","
	    "\"status\":\"success\",\"execution_time\":1.234567,"
	    "\"user_id\":\"@user\",\"command\":\"say \\\"hi\\\",\\nthen -bye\","
	    "\"model\":\"gpt-4o-mini\",\"provider\":\"openai\","
	    "\"tokens_used\":120,\"input_tokens\":100,\"output_tokens\":20,"
	    "\"time_to_first_token\":0.000005,\"metadata\":{\"k\":[1,2]}}\n");
	free(s);
	q.cost_source = REC_COST_REPORTED;
	q.metadata = "{not json";
	export_ndjson_row(&b, &q);
	s = buf_take(&b);
	cr_assert_not_null(strstr(s, ",\"cost\":0.000027000,"));
	/* stored metadata that is not JSON goes as a string */
	cr_assert_not_null(strstr(s, ",\"metadata\":\"{not json\"}\n"));
	free(s);
}

Test(export, fixed_writes_every_decimal_exactly)
{
	struct buf	 b = { 0 };
	char		*s;

	export_fixed(&b, 0, 6);
	buf_add(&b, " ", 1);
	export_fixed(&b, 86400000000LL, 6);
	buf_add(&b, " ", 1);
	export_fixed(&b, 1000000000000000LL, 9);
	buf_add(&b, " ", 1);
	export_fixed(&b, 7, 9);
	s = buf_take(&b);
	cr_assert_str_eq(s, "0.000000 86400.000000 1000000.000000000 "
	    "0.000000007");
	free(s);
}
