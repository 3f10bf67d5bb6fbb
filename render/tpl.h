/* tpl.h — a C API over Google's ctemplate, the only C++ in apimon. */
#ifndef APIMON_TPL_H
#define APIMON_TPL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A dictionary of values for one template.  Section and include
 * dictionaries belong to their parent and are freed with it.
 */
struct tpl;

/* Templates are looked up under dir.  Returns 0, or -1. */
int		 tpl_root(const char *dir);

/* A new top-level dictionary, or NULL when out of memory. */
struct tpl	*tpl_new(void);
void		 tpl_free(struct tpl *t);

/* Set {{KEY}}; the value is copied. */
void		 tpl_set(struct tpl *t, const char *key, const char *value);
void		 tpl_set_int(struct tpl *t, const char *key, long value);

/* Add one more repetition of {{#NAME}}...{{/NAME}} and return its values. */
struct tpl	*tpl_section(struct tpl *t, const char *name);

/* Show {{#NAME}} once, with the values of t itself. */
void		 tpl_show(struct tpl *t, const char *name);

/* Fill {{>NAME}} with the template file and return its values. */
struct tpl	*tpl_include(struct tpl *t, const char *name, const char *file);

/*
 * Expand the template file (relative to the root) with t.  Returns a
 * malloc'd NUL-terminated string the caller frees, with its length in
 * *len; or NULL when the template is missing or has an error.
 */
char		*tpl_expand(const char *file, struct tpl *t, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
