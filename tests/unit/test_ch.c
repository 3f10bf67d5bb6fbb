/* test_ch.c — the scale-out's pieces: config sections, escapers, marks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "agg.h"
#include "buf.h"
#include "ch.h"
#include "conf.h"

static char	 path[64];

static void
cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
	path[0] = '\0';
}

TestSuite(ch, .fini = cleanup);

/* Load text as a config; 0 with *c filled, or -1 with err. */
static int
load(const char *text, struct conf *c, char *err, size_t errlen)
{
	FILE	*f;
	int	 fd;

	snprintf(path, sizeof(path), "/tmp/apimon-ch-XXXXXX");
	cr_assert_neq(fd = mkstemp(path), -1);
	cr_assert_not_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	return conf_load(c, path, err, errlen);
}

Test(ch, a_single_server_section_gets_the_defaults)
{
	struct conf	 c;
	char		 err[512];

	cr_assert_eq(load("{\"clickhouse\": {\"url\": \"http://h:8123/\"},"
	    " \"ship\": {\"host\": \"ingest-1\"}}", &c, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_str_eq(c.clickhouse.url, "http://h:8123");
	cr_assert_str_eq(c.clickhouse.database, "apimon");
	cr_assert_str_eq(c.clickhouse.user, "");
	cr_assert_str_eq(c.clickhouse.password, "");
	cr_assert_str_eq(c.clickhouse.cluster, "");
	cr_assert_eq(c.clickhouse.nnodes, 1);
	cr_assert_str_eq(c.clickhouse.nodes[0], "http://h:8123");
	cr_assert_str_eq(c.ship.host, "ingest-1");
	cr_assert_eq(c.ship.keep_days, 7);
	cr_assert_eq(c.ship.batch_rows, 100000);
	cr_assert_str_eq(CH_LOCAL(&c.clickhouse), "requests");
	conf_free(&c);
}

Test(ch, no_section_means_no_clickhouse)
{
	struct conf	 c;
	char		 err[512];

	cr_assert_eq(load("{}", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(c.clickhouse.url);
	cr_assert_null(c.ship.host);
	conf_free(&c);
}

Test(ch, the_issue_example_loads_as_written)
{
	struct conf	 c;
	char		 err[512];

	cr_assert_eq(load("{\"clickhouse\": {\"url\": \"http://127.0.0.1:8123\","
	    " \"database\": \"apimon\", \"user\": \"\", \"password\": \"\","
	    " \"cluster\": \"apimon\", \"nodes\": [\"http://127.0.0.1:8123\","
	    " \"http://127.0.0.1:8124\"]}, \"ship\": {\"host\": \"ingest-1\","
	    " \"keep_days\": 7, \"batch_rows\": 100000}}", &c, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.clickhouse.nnodes, 2);
	cr_assert_str_eq(c.clickhouse.nodes[1], "http://127.0.0.1:8124");
	cr_assert_str_eq(CH_LOCAL(&c.clickhouse), "requests_local");
	conf_free(&c);
}

Test(ch, a_password_in_the_url_is_refused_and_not_repeated)
{
	struct conf	 c;
	char		 err[512];

	cr_assert_eq(load("{\"clickhouse\": {\"url\": "
	    "\"http://apimon:hunter2@h:8123\"}}", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "\"clickhouse.url\": must not hold a "
	    "user or password"), "%s", err);
	cr_assert_null(strstr(err, "hunter2"), "%s", err);
}

static char *
json(const char *s, size_t len)
{
	struct buf	 b = { 0 };

	ch_json_str(&b, s, len);
	return buf_take(&b);
}

Test(ch, json_strings_escape_controls_and_replace_bytes_that_are_not_utf8)
{
	char	*j;

	j = json("a\"b\\c\n\t\x01/\xe2\x80\xa8", 12);
	cr_assert_str_eq(j, "\"a\\\"b\\\\c\\u000a\\u0009\\u0001/\xe2\x80\xa8\"");
	free(j);
	j = json("x\xff" "y\xc3", 4);
	cr_assert_str_eq(j, "\"x\\ufffdy\\ufffd\"");
	free(j);
	j = json("\xe4\xbd\xa0\0z", 5);
	cr_assert_str_eq(j, "\"\xe4\xbd\xa0\\u0000z\"");
	free(j);
}

Test(ch, sql_strings_escape_quotes_and_backslashes)
{
	struct buf	 b = { 0 };

	ch_sql_str(&b, "it's a\\b\n");
	cr_assert_str_eq(b.p, "'it\\'s a\\\\b\\n'");
	buf_free(&b);
}

Test(ch, a_partition_is_read_whole_only_when_its_marks_cannot_tell)
{
	/* Never seen. */
	cr_assert(ch_read_whole(0, -1, -1, 5, 10, 0));
	/* Nothing happened; a new block; a merge of it. */
	cr_assert_not(ch_read_whole(0, 5, 10, 5, 10, 0));
	cr_assert_not(ch_read_whole(0, 5, 10, 7, 15, 5));
	cr_assert_not(ch_read_whole(0, 5, 10, 7, 15, 0));
	/* Copies merged away: fewer rows, no new block. */
	cr_assert(ch_read_whole(0, 5, 10, 5, 8, 0));
	/* Replicated: the new rows must all be above the mark. */
	cr_assert_not(ch_read_whole(1, 5, 10, 7, 15, 5));
	cr_assert(ch_read_whole(1, 5, 10, 7, 18, 5));	/* a part below */
	cr_assert(ch_read_whole(1, 5, 10, 7, 15, 0));	/* merged with old */
}
