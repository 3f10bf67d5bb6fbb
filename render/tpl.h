/* tpl.h — a C API over Google's ctemplate, the only C++ in apimon. */
#ifndef APIMON_TPL_H
#define APIMON_TPL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error policy.  No C++ exception leaves the shim: every entry catches
 * everything ctemplate or the standard library throws (std::bad_alloc
 * above all) and reports it.  A top-level dictionary remembers a
 * failure: a tpl_set(), tpl_set_int() or tpl_show() that fails, a NULL
 * key, name or file, or a tpl_section()/tpl_include() that fails marks it
 * failed.  From then on tpl_section() and tpl_include() return NULL and
 * tpl_expand() returns NULL, so a page built from a dictionary that lost
 * a value is never written.  Every function takes t == NULL (what a
 * failed call returned) and does nothing, or returns NULL.
 */

/*
 * A dictionary of values for one template.  Section and include
 * dictionaries belong to their top level and are freed with it.
 */
struct tpl;

/* Templates are looked up under dir.  Returns 0, or -1. */
int		 tpl_root(const char *dir);

/* A new top-level dictionary the caller frees, or NULL (out of memory). */
struct tpl	*tpl_new(void);

/* Free a top-level dictionary and all of its sections; NULL is fine. */
void		 tpl_free(struct tpl *t);

/*
 * Set {{KEY}}; the value is copied, and NULL stands for "".  A failure
 * is recorded in t's top level (see the policy above).
 */
void		 tpl_set(struct tpl *t, const char *key, const char *value);
void		 tpl_set_int(struct tpl *t, const char *key, long value);

/*
 * Set {{KEY}} for t's top level and every section and include in it
 * (the words of a page, which its navigation uses too); as tpl_set().
 */
void		 tpl_set_global(struct tpl *t, const char *key,
		    const char *value);

/*
 * Add one more repetition of {{#NAME}}...{{/NAME}} and return its values
 * (owned by t's top level); NULL when it failed or t had failed before.
 */
struct tpl	*tpl_section(struct tpl *t, const char *name);

/* Show {{#NAME}} once, with the values of t itself. */
void		 tpl_show(struct tpl *t, const char *name);

/*
 * Fill {{>NAME}} with the template file and return its values (owned by
 * t's top level); NULL when it failed or t had failed before.
 */
struct tpl	*tpl_include(struct tpl *t, const char *name, const char *file);

/* 1 when t is NULL or its top level has failed, else 0. */
int		 tpl_failed(const struct tpl *t);

/*
 * Expand the template file (relative to the root) with t.  Returns a
 * malloc'd NUL-terminated string the caller frees, with its length in
 * *len; or NULL when the template is missing or has an error, when out
 * of memory, or when t is NULL or its top level has failed.
 */
char		*tpl_expand(const char *file, struct tpl *t, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
