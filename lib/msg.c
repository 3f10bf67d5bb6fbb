/* msg.c — the words of every page and message: one catalogue per locale. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "msg.h"

#define MSG_MAX_BYTES	(1 << 20)

struct msg {
	char	*locale;
	cJSON	*base;		/* en.json */
	cJSON	*own;		/* LOCALE.json; NULL for en */
};

/* Read and check one catalogue; NULL with err set. */
static cJSON *
load_file(const char *share, const char *locale, char *err, size_t errlen)
{
	struct buf	 path = { 0 }, text = { 0 };
	char		 chunk[8192];
	cJSON		*root = NULL, *sec, *it;
	size_t		 pos = 0, n;
	FILE		*f = NULL;

	buf_printf(&path, "%s/locales/%s.json", share, locale);
	if (path.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((f = fopen(path.p, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: no such locale",
		    path.p);
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    text.len + n <= MSG_MAX_BYTES)
		buf_add(&text, chunk, n);
	if (ferror(f) || text.failed || text.len > MSG_MAX_BYTES ||
	    text.len == 0) {
		snprintf(err, errlen, "%s: cannot read", path.p);
		goto out;
	}
	if ((root = json_parse(text.p, text.len, &pos)) == NULL ||
	    !cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: not a JSON object (byte %zu)",
		    path.p, pos);
		goto fail;
	}
	cJSON_ArrayForEach(sec, root) {
		if (!cJSON_IsObject(sec)) {
			snprintf(err, errlen, "%s: \"%s\": must be an object",
			    path.p, sec->string);
			goto fail;
		}
		cJSON_ArrayForEach(it, sec)
			if (!cJSON_IsString(it) && !cJSON_IsArray(it)) {
				snprintf(err, errlen, "%s: \"%s.%s\": must be a "
				    "text or a list", path.p, sec->string,
				    it->string);
				goto fail;
			}
	}
	goto out;
fail:
	cJSON_Delete(root);
	root = NULL;
out:
	if (f != NULL)
		fclose(f);
	buf_free(&path);
	buf_free(&text);
	return root;
}

int
msg_load(struct msg **out, const char *share, const char *locale, char *err,
    size_t errlen)
{
	struct msg	*m;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->locale = strdup(locale)) == NULL) {
		snprintf(err, errlen, "out of memory");
		msg_free(m);
		return -1;
	}
	if ((m->base = load_file(share, "en", err, errlen)) == NULL ||
	    (strcmp(locale, "en") != 0 &&
	    (m->own = load_file(share, locale, err, errlen)) == NULL)) {
		msg_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	cJSON_Delete(m->base);
	cJSON_Delete(m->own);
	free(m->locale);
	free(m);
}

const char *
msg_locale(const struct msg *m)
{
	return m->locale;
}

/* The item of section.key: the locale's, else the base's, else NULL. */
static const cJSON *
lookup(const struct msg *m, const char *section, const char *key)
{
	const cJSON	*v = NULL;

	if (m->own != NULL)
		v = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(m->own, section), key);
	if (v == NULL)
		v = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(m->base, section), key);
	return v;
}

const char *
msg_get(const struct msg *m, const char *section, const char *key)
{
	const cJSON	*v = lookup(m, section, key);

	return cJSON_IsString(v) ? v->valuestring : key;
}

const char *
msg_item(const struct msg *m, const char *section, const char *key, int i)
{
	const cJSON	*v = cJSON_GetArrayItem(lookup(m, section, key), i);

	return cJSON_IsString(v) ? v->valuestring : "";
}

void
msg_vfmt(const struct msg *m, struct buf *b, const char *section,
    const char *key, va_list args)
{
	const char	*t = msg_get(m, section, key), *open, *close, *name, *val;
	va_list		 ap;
	size_t		 n;

	while ((open = strchr(t, '{')) != NULL &&
	    (close = strchr(open, '}')) != NULL) {
		buf_add(b, t, (size_t)(open - t));
		n = (size_t)(close - open - 1);
		va_copy(ap, args);
		while ((name = va_arg(ap, const char *)) != NULL) {
			val = va_arg(ap, const char *);
			if (strlen(name) == n && strncmp(name, open + 1, n) == 0)
				break;
		}
		va_end(ap);
		if (name != NULL)
			buf_puts(b, val != NULL ? val : "");
		else
			buf_add(b, open, n + 2);
		t = close + 1;
	}
	buf_puts(b, t);
}

void
msg_fmt(const struct msg *m, struct buf *b, const char *section,
    const char *key, ...)
{
	va_list		 ap;

	va_start(ap, key);
	msg_vfmt(m, b, section, key, ap);
	va_end(ap);
}

void
msg_each(const struct msg *m, const char *section,
    void (*fn)(const char *, const char *, void *), void *arg)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m->base,
	    section))
		fn(it->string, msg_get(m, section, it->string), arg);
}

char *
msg_json(const struct msg *m, const char *const *sections)
{
	cJSON		*o = cJSON_CreateObject(), *s;
	const cJSON	*it;
	char		*text = NULL;

	for (; o != NULL && *sections != NULL; sections++) {
		if ((s = cJSON_AddObjectToObject(o, *sections)) == NULL)
			goto out;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
		    m->base, *sections))
			if (cJSON_AddItemToObject(s, it->string,
			    cJSON_Duplicate(lookup(m, *sections, it->string),
			    1)) == 0)
				goto out;
	}
	if (o != NULL)
		text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return text;
}
