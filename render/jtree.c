/* jtree.c — cJSON trees that fail as a whole, never with a hole in them. */
#include "render.h"

/*
 * cJSON_AddItemTo*() refuse a NULL item (a failed build) and, when the
 * key cannot be copied, leave the item to the caller: either way the tree
 * silently lacks a member.  These say so, and free what was not added.
 */
int
jtree_push(cJSON *arr, cJSON *item)
{
	if (arr == NULL || item == NULL || !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

int
jtree_put(cJSON *obj, const char *key, cJSON *item)
{
	if (obj == NULL || item == NULL ||
	    !cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

int
jtree_push_str(cJSON *arr, const char *s)
{
	return jtree_push(arr, cJSON_CreateString(s));
}

int
jtree_push_num(cJSON *arr, double v)
{
	return jtree_push(arr, cJSON_CreateNumber(v));
}

int
jtree_put_opt_str(cJSON *obj, const char *key, const char *s)
{
	return jtree_put(obj, key, s != NULL ? cJSON_CreateString(s) :
	    cJSON_CreateNull());
}
