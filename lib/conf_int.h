/* conf_int.h — what lib/conf*.c share to read the config; nothing else. */
#ifndef APIMON_CONF_INT_H
#define APIMON_CONF_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "conf.h"

/*
 * conf.c's readers keep their short names inside lib/conf*.c; outside,
 * the library exports them with the conf_ prefix.
 */
#define fail		conf_fail
#define check_keys	conf_check_keys
#define get_string	conf_get_string
#define get_long	conf_get_long

/* The file being read, and where its one error message goes. */
struct ctx {
	const char	*file;
	char		*err;
	size_t		 errlen;
};

/* Write "FILE: "PREFIXKEY": message" into x->err; returns -1. */
int	 fail(struct ctx *x, const char *prefix, const char *key,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* obj must be an object with only these keys; 0 or -1 (fail()). */
int	 check_keys(struct ctx *x, const cJSON *obj, const char *prefix,
	    const char *const *keys);

/* *out = a copy of obj[name] when present (the old value freed); 0 or -1. */
int	 get_string(struct ctx *x, const cJSON *obj, const char *prefix,
	    const char *name, int nonempty, char **out);

/* *out = obj[name], an integer from min to max, when present; 0 or -1. */
int	 get_long(struct ctx *x, const cJSON *obj, const char *prefix,
	    const char *name, long min, long max, long *out);

/* The "clickhouse" and "ship" sections of root (conf_ch.c); 0 or -1. */
int	 conf_parse_scale(struct ctx *x, struct conf *c, const cJSON *root);
void	 conf_free_scale(struct conf *c);

#endif
