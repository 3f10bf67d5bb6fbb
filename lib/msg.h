/* msg.h — the words of every page and message: one catalogue per locale. */
#ifndef APIMON_MSG_H
#define APIMON_MSG_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"

/*
 * A catalogue is SHARE/locales/LOCALE.json: one object of sections ("ui"
 * for the pages, "js" for their scripts, "msg" for alerts and
 * notifications, "source" for display names, "list" for names of days
 * and months), each an object of key: text (a list: an array of texts).
 * en.json is complete and the base: a key another locale lacks falls back
 * to it (a test keeps every locale complete).  A text may hold {name}
 * placeholders that msg_fmt() fills.
 *
 * Error policy: msg_load() returns 0, or -1 with a message naming the
 * file in err and nothing allocated; the lookups never fail: a key that
 * no catalogue has gives the key itself.
 */
struct msg;

int		 msg_load(struct msg **out, const char *share,
		    const char *locale, char *err, size_t errlen);
void		 msg_free(struct msg *m);

/* The locale's name ("zh-TW") and its BCP 47 tag for <html lang>. */
const char	*msg_locale(const struct msg *m);

/* The text of section.key ("ui", "nav_dashboard"). */
const char	*msg_get(const struct msg *m, const char *section,
		    const char *key);

/* Item i of the list section.key ("list", "weekday"); "" when none. */
const char	*msg_item(const struct msg *m, const char *section,
		    const char *key, int i);

/*
 * Append the text of section.key to b with each {name} replaced by its
 * value: the variable arguments are name, value pairs, then NULL.  An
 * unknown {name} stays as it is.  Failures are recorded in b.
 */
void		 msg_fmt(const struct msg *m, struct buf *b,
		    const char *section, const char *key, ...);

/*
 * msg_fmt() with the name, value pairs in args, which is copied: the
 * caller still ends it.
 */
void		 msg_vfmt(const struct msg *m, struct buf *b,
		    const char *section, const char *key, va_list args);

/* Call fn for every key of section (base keys first, then overrides). */
void		 msg_each(const struct msg *m, const char *section,
		    void (*fn)(const char *key, const char *text, void *),
		    void *arg);

/*
 * The sections named in the NULL-ended list, merged (locale over base),
 * as compact JSON for a page's script; malloc'd, NULL when out of memory.
 */
char		*msg_json(const struct msg *m, const char *const *sections);

#endif
