/* jx.c - cJSON helpers. */
#include "core/jx.h"

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
