/* jx.h - the few cJSON idioms every handler needs, so that one spelling serves: typed
 * reads that tolerate absent or mistyped members, and a set that replaces or adds (cJSON's
 * own replace leaks the new item when the member is absent). */
#ifndef CATALOGD_JX_H
#define CATALOGD_JX_H

#include "core/arena.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

/* The string member name of o, or NULL (o may be NULL). */
const char *jx_str(const cJSON *o, const char *name);
/* The number member name of o as an integer, or def. */
int64_t jx_int(const cJSON *o, const char *name, int64_t def);
/* True when member name is JSON true. */
bool jx_true(const cJSON *o, const char *name);
/* Gives tree (NULL is fine) to arena: cJSON_Delete runs at arena_free, so a tree a
 * request or a step only reads needs no free of its own. Returns tree. */
cJSON *jx_own(arena_t *a, cJSON *tree);
/* Sets member name of o to v (taking v), replacing any member of that name; when o is
 * not an object (NULL included) v is freed. */
void jx_set(cJSON *o, const char *name, cJSON *v);
/* jx_set with a new string / number. */
void jx_set_str(cJSON *o, const char *name, const char *s);
void jx_set_num(cJSON *o, const char *name, double n);
/* Adds to dst a copy of each member of src named in names (NULL-terminated) that src
 * has, in the order of names. src may be NULL. */
void jx_copy(cJSON *dst, const cJSON *src, const char *const *names);
/* Removes from o (NULL is fine) each member whose name begins with "_": the internal
 * state a stored body carries beside its API shape. Members of members are kept. */
void jx_drop_internal(cJSON *o);
/* Sorts the items of array (objects) by their string member name, stably, ascending or
 * descending; an absent member sorts as "". name NULL keeps the current order (reversed
 * when descending). Relinks the items (no cJSON list surgery). */
void jx_sort_by(cJSON *array, const char *name, bool descending);

#endif
