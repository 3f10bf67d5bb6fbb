/* test_msg.c — the catalogues: every locale complete, msg_fmt, load errors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "buf.h"
#include "msg.h"

#ifndef APIMON_SHARE
#define APIMON_SHARE "."
#endif

/* ---- helpers ------------------------------------------------------------- */

/* The whole of a file, malloc'd; the test fails when it cannot be read. */
static char *
slurp(const char *path)
{
	struct buf	 b = { 0 };
	char		 chunk[8192];
	size_t		 n;
	FILE		*f = fopen(path, "r");

	cr_assert_not_null(f, "%s: cannot read", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_add(&b, "", 0);
	cr_assert(!b.failed);
	return buf_take(&b);
}

static cJSON *
parse_file(const char *path)
{
	char	*text = slurp(path);
	cJSON	*o = cJSON_Parse(text);

	cr_assert_not_null(o, "%s: not JSON", path);
	free(text);
	return o;
}

/*
 * The {placeholders} of a text, sorted and joined by spaces, into b: a
 * name is [a-z0-9_] between braces (JSON in `code` is no placeholder).
 */
static void
placeholders(const char *s, struct buf *b)
{
	char	*names[64];
	size_t	 n = 0, i, j, len;
	char	*t;

	for (; (s = strchr(s, '{')) != NULL; s++) {
		len = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (len == 0 || s[1 + len] != '}')
			continue;
		cr_assert_lt(n, 64);
		names[n++] = strndup(s + 1, len);
	}
	for (i = 1; i < n; i++)		/* few: insertion sort */
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	b->len = 0;
	buf_add(b, "", 0);
	for (i = 0; i < n; i++)
		/* The same name twice counts once: a set. */
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			buf_printf(b, "%s%s", b->len ? " " : "", names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
}

static int
backticks(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '`';
	return n;
}

/*
 * Every problem of one locale against en: a section or key missing or
 * extra, a list of another length, a text with other placeholders, or
 * other `code` spans.  Appended to probs, one line each.
 */
static void
compare(const char *file, const cJSON *en, const cJSON *loc, struct buf *probs)
{
	const cJSON	*sec, *it, *other;
	struct buf	 a = { 0 }, b = { 0 };
	int		 i;

	cJSON_ArrayForEach(sec, en) {
		other = cJSON_GetObjectItemCaseSensitive(loc, sec->string);
		if (!cJSON_IsObject(other)) {
			buf_printf(probs, "%s: no section \"%s\"\n", file,
			    sec->string);
			continue;
		}
		cJSON_ArrayForEach(it, sec) {
			const cJSON *o = cJSON_GetObjectItemCaseSensitive(other,
			    it->string);
			if (o == NULL) {
				buf_printf(probs, "%s: %s.%s is missing\n", file,
				    sec->string, it->string);
				continue;
			}
			if (cJSON_IsArray(it) != cJSON_IsArray(o) ||
			    cJSON_IsString(it) != cJSON_IsString(o)) {
				buf_printf(probs, "%s: %s.%s: a %s in en\n", file,
				    sec->string, it->string, cJSON_IsArray(it) ?
				    "list" : "text");
				continue;
			}
			if (cJSON_IsArray(it)) {
				if (cJSON_GetArraySize(it) !=
				    cJSON_GetArraySize(o))
					buf_printf(probs, "%s: %s.%s: %d items, "
					    "en has %d\n", file, sec->string,
					    it->string, cJSON_GetArraySize(o),
					    cJSON_GetArraySize(it));
				for (i = 0; i < cJSON_GetArraySize(o); i++)
					if (!cJSON_IsString(cJSON_GetArrayItem(o,
					    i)))
						buf_printf(probs, "%s: %s.%s[%d]: "
						    "not a text\n", file,
						    sec->string, it->string, i);
				continue;
			}
			placeholders(it->valuestring, &a);
			placeholders(o->valuestring, &b);
			if (strcmp(a.p, b.p) != 0)
				buf_printf(probs, "%s: %s.%s: placeholders {%s}, "
				    "en has {%s}\n", file, sec->string,
				    it->string, b.p, a.p);
			if (backticks(it->valuestring) != backticks(o->valuestring))
				buf_printf(probs, "%s: %s.%s: %d backticks, en "
				    "has %d\n", file, sec->string, it->string,
				    backticks(o->valuestring),
				    backticks(it->valuestring));
		}
	}
	cJSON_ArrayForEach(sec, loc) {
		other = cJSON_GetObjectItemCaseSensitive(en, sec->string);
		if (other == NULL) {
			buf_printf(probs, "%s: section \"%s\" is not in en.json\n",
			    file, sec->string);
			continue;
		}
		cJSON_ArrayForEach(it, sec)
			if (cJSON_GetObjectItemCaseSensitive(other,
			    it->string) == NULL)
				buf_printf(probs, "%s: %s.%s is not in en.json\n",
				    file, sec->string, it->string);
	}
	buf_free(&a);
	buf_free(&b);
}

/* The problems of each locale file of share against its en.json. */
static char *
check_share(const char *share, int *nlocales)
{
	struct buf	 path = { 0 }, probs = { 0 };
	DIR		*d;
	struct dirent	*e;
	cJSON		*en, *loc;
	size_t		 len;

	buf_printf(&path, "%s/locales/en.json", share);
	en = parse_file(path.p);
	path.len = 0;
	buf_printf(&path, "%s/locales", share);
	d = opendir(path.p);
	cr_assert_not_null(d, "%s", path.p);
	*nlocales = 0;
	buf_add(&probs, "", 0);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		path.len = 0;
		buf_printf(&path, "%s/locales/%s", share, e->d_name);
		loc = parse_file(path.p);
		compare(e->d_name, en, loc, &probs);
		cJSON_Delete(loc);
		(*nlocales)++;
	}
	closedir(d);
	cJSON_Delete(en);
	buf_free(&path);
	return buf_take(&probs);
}

/* A share folder of its own: locales/NAME.json for each pair given. */
static char *
make_share(const char *name, const char *text, const char *name2,
    const char *text2)
{
	char	 tmpl[] = "/tmp/apimon-msg-XXXXXX", path[256];
	char	*dir;
	FILE	*f;
	int	 i;

	dir = strdup(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/locales", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	for (i = 0; i < 2; i++) {
		const char *n = i ? name2 : name, *t = i ? text2 : text;
		if (n == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/locales/%s.json", dir, n);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(t, f);
		fclose(f);
	}
	return dir;
}

static void
remove_share(char *dir)
{
	struct buf	 b = { 0 };

	buf_printf(&b, "rm -rf '%s'", dir);
	cr_assert_eq(system(b.p), 0);
	buf_free(&b);
	free(dir);
}

/* msg_load() of locale under share fails, and says want. */
static void
load_fails(const char *share, const char *locale, const char *want)
{
	struct msg	*m = (struct msg *)1;
	char		 err[512] = "";

	cr_assert_eq(msg_load(&m, share, locale, err, sizeof(err)), -1);
	cr_assert_null(m, "nothing is returned on failure");
	cr_assert_not_null(strstr(err, want), "error \"%s\" lacks \"%s\"", err,
	    want);
}

static const char base[] =
    "{\"ui\": {\"hello\": \"Hello, {name}!\", \"bye\": \"Bye\", "
    "\"code\": \"run `make`\"},\n"
    " \"list\": {\"day\": [\"Sun\", \"Mon\"]}}";

/* ---- every locale is complete -------------------------------------------- */

Test(msg, every_locale_has_exactly_the_keys_and_placeholders_of_en)
{
	int	 n;
	char	*probs = check_share(APIMON_SHARE, &n);

	cr_assert_geq(n, 2, "en.json and at least zh-TW.json");
	cr_assert_str_eq(probs, "", "\n%s", probs);
	free(probs);
}

Test(msg, every_locale_loads)
{
	struct buf	 path = { 0 };
	struct msg	*m;
	DIR		*d;
	struct dirent	*e;
	char		 err[512], name[64];
	size_t		 len;

	buf_printf(&path, "%s/locales", APIMON_SHARE);
	d = opendir(path.p);
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || len - 5 >= sizeof(name) ||
		    strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		memcpy(name, e->d_name, len - 5);
		name[len - 5] = '\0';
		cr_assert_eq(msg_load(&m, APIMON_SHARE, name, err, sizeof(err)),
		    0, "%s", err);
		/* Its <html lang> is its own name. */
		cr_assert_str_eq(msg_get(m, "ui", "html_lang"), name);
		msg_free(m);
	}
	closedir(d);
	buf_free(&path);
}

/* The check itself: it sees each kind of fault. */
Test(msg, the_completeness_check_finds_every_kind_of_fault)
{
	char	*dir = make_share("en", base, "xx",
	    "{\"ui\": {\"hello\": \"Hallo {nom}!\", \"code\": \"make\", "
	    "\"extra\": \"x\"},\n"
	    " \"list\": {\"day\": [\"So\"]}, \"more\": {}}");
	char	*probs;
	int	 n;

	probs = check_share(dir, &n);
	cr_assert_eq(n, 2);
	cr_assert_not_null(strstr(probs, "xx.json: ui.bye is missing"), "%s",
	    probs);
	cr_assert_not_null(strstr(probs, "xx.json: ui.extra is not in en.json"),
	    "%s", probs);
	cr_assert_not_null(strstr(probs, "xx.json: ui.hello: placeholders "
	    "{nom}, en has {name}"), "%s", probs);
	cr_assert_not_null(strstr(probs, "xx.json: ui.code: 0 backticks, en "
	    "has 2"), "%s", probs);
	cr_assert_not_null(strstr(probs, "xx.json: list.day: 1 items, en has "
	    "2"), "%s", probs);
	cr_assert_not_null(strstr(probs, "xx.json: section \"more\" is not in "
	    "en.json"), "%s", probs);
	free(probs);
	remove_share(dir);
}

/*
 * The templates name only words the catalogue has: {{L_key}} a text
 * without `code`, {{>R_key}} one with (see page() in render/pages.c).
 */
Test(msg, templates_use_only_words_of_the_catalogue)
{
	static const char *const files[] = { "alerts.tpl", "api.tpl",
	    "dashboard.tpl", "nav.tpl", "report.tpl", "reports.tpl" };
	struct buf	 path = { 0 };
	const cJSON	*ui, *it;
	cJSON		*en;
	char		*text, *p, key[96];
	size_t		 i, n;
	int		 rich, uses = 0;

	buf_printf(&path, "%s/locales/en.json", APIMON_SHARE);
	en = parse_file(path.p);
	ui = cJSON_GetObjectItemCaseSensitive(en, "ui");
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path.len = 0;
		buf_printf(&path, "%s/templates/%s", APIMON_SHARE, files[i]);
		text = slurp(path.p);
		for (p = text; (p = strstr(p, "{{")) != NULL; p += 2) {
			rich = strncmp(p + 2, ">R_", 3) == 0;
			if (!rich && strncmp(p + 2, "L_", 2) != 0)
				continue;
			n = strspn(p + (rich ? 5 : 4), "abcdefghijklmnopqrstuvwxyz"
			    "0123456789_");
			cr_assert_lt(n, sizeof(key));
			memcpy(key, p + (rich ? 5 : 4), n);
			key[n] = '\0';
			it = cJSON_GetObjectItemCaseSensitive(ui, key);
			cr_assert(cJSON_IsString(it), "%s: ui.%s is not in "
			    "en.json", files[i], key);
			cr_assert_eq(strchr(it->valuestring, '`') != NULL, rich,
			    "%s: ui.%s %s `code`: use {{%s%s}}", files[i], key,
			    rich ? "has no" : "has", rich ? "L_" : ">R_", key);
			uses++;
		}
		free(text);
	}
	cr_assert_gt(uses, 100);
	cJSON_Delete(en);
	buf_free(&path);
}

/* ---- msg_fmt and the lookups ----------------------------------------------- */

Test(msg, fmt_fills_every_placeholder_and_leaves_unknown_ones)
{
	char		*dir = make_share("en", "{\"msg\": {"
	    "\"a\": \"{n} of {total}: {n}!\", \"b\": \"{unknown} and {n}\", "
	    "\"c\": \"json {\\\"k\\\":1} stays\", \"d\": \"{open\", "
	    "\"e\": \"{n}\"}}", NULL, NULL);
	struct msg	*m;
	struct buf	 b = { 0 };
	char		 err[256];

	cr_assert_eq(msg_load(&m, dir, "en", err, sizeof(err)), 0, "%s", err);
	msg_fmt(m, &b, "msg", "a", "n", "3", "total", "5", NULL);
	cr_assert_str_eq(b.p, "3 of 5: 3!");
	b.len = 0;
	msg_fmt(m, &b, "msg", "b", "n", "x", NULL);
	cr_assert_str_eq(b.p, "{unknown} and x");
	b.len = 0;
	msg_fmt(m, &b, "msg", "c", "k", "no", NULL);
	cr_assert_str_eq(b.p, "json {\"k\":1} stays");
	b.len = 0;
	msg_fmt(m, &b, "msg", "d", "open", "no", NULL);
	cr_assert_str_eq(b.p, "{open");
	b.len = 0;
	msg_fmt(m, &b, "msg", "e", "n", NULL, NULL);
	cr_assert_str_eq(b.p, "", "a NULL value is empty");
	b.len = 0;
	msg_fmt(m, &b, "msg", "no_such_key", "n", "1", NULL);
	cr_assert_str_eq(b.p, "no_such_key", "the key itself");
	b.len = 0;
	msg_fmt(m, &b, "msg", "a", "n", "百", "total", "😀", NULL);
	cr_assert_str_eq(b.p, "百 of 😀: 百!");
	buf_free(&b);
	msg_free(m);
	remove_share(dir);
}

Test(msg, a_locale_falls_back_to_en_for_what_it_lacks)
{
	char		*dir = make_share("en", base, "xx",
	    "{\"ui\": {\"hello\": \"Hallo, {name}!\"}, "
	    "\"list\": {\"day\": [\"So\", \"Mo\"]}}");
	struct msg	*m;
	struct buf	 b = { 0 };
	char		 err[256];
	const char	*sections[] = { "ui", "list", NULL };
	char		*json;

	cr_assert_eq(msg_load(&m, dir, "xx", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(msg_locale(m), "xx");
	msg_fmt(m, &b, "ui", "hello", "name", "Welt", NULL);
	cr_assert_str_eq(b.p, "Hallo, Welt!");
	cr_assert_str_eq(msg_get(m, "ui", "bye"), "Bye");
	cr_assert_str_eq(msg_item(m, "list", "day", 1), "Mo");
	cr_assert_str_eq(msg_item(m, "list", "day", 2), "", "past the end");
	cr_assert_str_eq(msg_item(m, "list", "none", 0), "");
	json = msg_json(m, sections);
	cr_assert_str_eq(json, "{\"ui\":{\"hello\":\"Hallo, {name}!\","
	    "\"bye\":\"Bye\",\"code\":\"run `make`\"},\"list\":{\"day\":"
	    "[\"So\",\"Mo\"]}}");
	free(json);
	buf_free(&b);
	msg_free(m);
	remove_share(dir);
}

Test(msg, vfmt_is_fmt_with_a_va_list)
{
	struct msg	*m;
	struct buf	 b = { 0 };
	char		 err[256];

	cr_assert_eq(msg_load(&m, APIMON_SHARE, "zh-TW", err, sizeof(err)), 0,
	    "%s", err);
	msg_fmt(m, &b, "ui", "report_title_daily", "label", "2026-11-26", NULL);
	cr_assert_str_eq(b.p, "日報 2026-11-26");
	buf_free(&b);
	msg_free(m);
}

/* ---- msg_load errors ------------------------------------------------------ */

Test(msg, a_missing_locale_is_an_error_naming_its_file)
{
	char	*dir = make_share("en", base, NULL, NULL);
	char	 want[256];

	snprintf(want, sizeof(want), "%s/locales/fr.json: cannot read", dir);
	load_fails(dir, "fr", want);
	remove_share(dir);
	load_fails("/nonexistent", "en", "/nonexistent/locales/en.json");
}

Test(msg, a_missing_en_is_an_error_whatever_the_locale)
{
	char	*dir = make_share("xx", base, NULL, NULL);

	load_fails(dir, "xx", "/locales/en.json: cannot read");
	remove_share(dir);
}

Test(msg, bad_json_is_an_error_naming_its_file)
{
	char	*dir = make_share("en", base, "xx", "{\"ui\": {\"a\": \"b\",}");

	load_fails(dir, "xx", "/locales/xx.json: not a JSON object");
	remove_share(dir);
	dir = make_share("en", "[\"a list\"]", NULL, NULL);
	load_fails(dir, "en", "/locales/en.json: not a JSON object");
	remove_share(dir);
	dir = make_share("en", "", NULL, NULL);
	load_fails(dir, "en", "/locales/en.json: cannot read");
	remove_share(dir);
}

Test(msg, wrong_types_are_errors_naming_the_key)
{
	static const struct {
		const char	*en, *xx, *want;
	} cases[] = {
		{ base, "{\"ui\": \"text\"}", "xx.json: \"ui\": must be an object" },
		{ base, "{\"ui\": {\"hello\": 5}}",
		    "xx.json: \"ui.hello\": must be a text or a list" },
		{ base, "{\"ui\": {\"hello\": null}}",
		    "xx.json: \"ui.hello\": must be a text or a list" },
		{ "{\"list\": {\"day\": {\"a\": \"b\"}}}", NULL,
		    "en.json: \"list.day\": must be a text or a list" },
	};
	size_t	 i;
	char	*dir;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dir = make_share("en", cases[i].en, cases[i].xx ? "xx" : NULL,
		    cases[i].xx);
		load_fails(dir, cases[i].xx ? "xx" : "en", cases[i].want);
		remove_share(dir);
	}
}
