/* jx.c - cJSON helpers. */
#include "core/jx.h"

#include <string.h>

#include <stdlib.h>

static void jx_delete(void *tree)
{
    cJSON_Delete(tree);
}

cJSON *jx_own(arena_t *a, cJSON *tree)
{
    if (tree) arena_defer(a, jx_delete, tree);
    return tree;
}

const char *jx_str(const cJSON *o, const char *name)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t jx_int(const cJSON *o, const char *name, int64_t def)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}

bool jx_true(const cJSON *o, const char *name)
{
    return o && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

void jx_set(cJSON *o, const char *name, cJSON *v)
{
    if (!cJSON_IsObject(o)) { /* nothing to set it in: v is not kept, so it is freed */
        cJSON_Delete(v);
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, name);
    cJSON_AddItemToObject(o, name, v);
}

void jx_set_str(cJSON *o, const char *name, const char *s)
{
    jx_set(o, name, cJSON_CreateString(s ? s : ""));
}

void jx_set_num(cJSON *o, const char *name, double n)
{
    jx_set(o, name, cJSON_CreateNumber(n));
}

void jx_copy(cJSON *dst, const cJSON *src, const char *const *names)
{
    for (; src && *names; names++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, *names);
        if (v) cJSON_AddItemToObject(dst, *names, cJSON_Duplicate(v, 1));
    }
}

void jx_drop_internal(cJSON *o)
{
    for (cJSON *m = o ? o->child : NULL; m;) {
        cJSON *next = m->next;
        if (m->string && m->string[0] == '_') cJSON_Delete(cJSON_DetachItemViaPointer(o, m));
        m = next;
    }
}

void jx_sort_by(cJSON *array, const char *name, bool descending)
{
    int n = 0;
    for (cJSON *i = array ? array->child : NULL; i; i = i->next) n++;
    if (n < 2) return;
    cJSON **v = malloc(sizeof(*v) * (size_t)n);
    if (!v) abort();
    n = 0;
    for (cJSON *i = array->child; i; i = i->next) v[n++] = i;
    /* insertion sort: stable, and the lists here are short */
    for (int i = 1; i < n && name; i++) {
        cJSON *x = v[i];
        const char *xs = jx_str(x, name) ? jx_str(x, name) : "";
        int k = i;
        for (; k > 0; k--) {
            const char *ys = jx_str(v[k - 1], name) ? jx_str(v[k - 1], name) : "";
            int cmp = strcmp(ys, xs);
            if (descending ? cmp >= 0 : cmp <= 0) break;
            v[k] = v[k - 1];
        }
        v[k] = x;
    }
    for (int i = 0; !name && descending && i < n / 2; i++) {
        cJSON *t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
    for (int i = 0; i < n; i++) {
        v[i]->prev = i ? v[i - 1] : v[n - 1]; /* cJSON: the head's prev is the tail */
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    }
    array->child = v[0];
    free(v);
}
