/* rec_int.h — what rec.c and rec_text.c share; nothing outside them. */
#ifndef APIMON_REC_INT_H
#define APIMON_REC_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "rec.h"

/* The record's fields, in the order their errors are looked for. */
enum rec_field {
	F_ID, F_SOURCE, F_STATUS, F_EXEC, F_USER, F_COMMAND, F_TOKENS, F_COST,
	F_TIMESTAMP, F_MODEL, F_PROVIDER, F_INPUT, F_OUTPUT, F_TTFT, F_ERROR,
	F_METADATA, F__MAX
};

enum rec_vkind { V_ABSENT, V_STRING, V_NUMBER, V_OBJECT, V_OTHER };

/*
 * A field's value as the checks see it, taken from a cJSON tree or
 * straight from the text: V_ABSENT for a missing field or JSON null;
 * V_OTHER for true, false or an array.
 */
/* A V_STRING timestamp without a NUL is shorter (rec_check() copies it). */
#define REC_TS_TEXT_MAX	64

struct rec_val {
	enum rec_vkind	 kind;
	const char	*s;	/* V_STRING: its bytes, no NUL inside */
	size_t		 len;
	int		 nul;	/* s[len] is a NUL */
	double		 num;	/* V_NUMBER */
	const cJSON	*obj;	/* V_OBJECT of a tree: printed when checked */
	/* V_OBJECT of text: s and len hold it as compact JSON, as
	 * cJSON_PrintUnformatted() would print it. */
};

/* The field named by the n bytes at key, or -1 for another key. */
int	 rec_field_of(const char *key, size_t n);

/*
 * Check the fields (indexed by enum rec_field) against the contract and
 * fill r, as rec_parse() does once the keys are known to be unique.
 */
int	 rec_check(const struct rec_val *f, const struct conf *c,
	    int64_t now_ms, struct rec *r, struct rec_err *e);

#endif
