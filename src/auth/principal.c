/* principal.c - principals to and from JSON, for durable work done on someone's behalf. */
#include "auth/principal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* by auth_kind_t; an anonymous caller is written (a log, a record) but never read back:
 * no durable work acts as one */
static const char *const principal_kinds[] = {"root", "user", "session", "service", "anonymous"};

void auth_service_principal(auth_principal_t *p, const char *name, const char *account,
                            const char *region)
{
    memset(p, 0, sizeof(*p));
    p->kind = AUTH_SERVICE;
    snprintf(p->account, sizeof(p->account), "%s", account);
    snprintf(p->region, sizeof(p->region), "%s", region);
    snprintf(p->arn, sizeof(p->arn), "%s", name);
    snprintf(p->name, sizeof(p->name), "%s", name);
}

cJSON *auth_principal_to_json(const auth_principal_t *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", principal_kinds[p->kind]);
    cJSON_AddStringToObject(o, "account", p->account);
    cJSON_AddStringToObject(o, "arn", p->arn);
    cJSON_AddStringToObject(o, "user_id", p->user_id);
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "path", p->path);
    cJSON_AddStringToObject(o, "session", p->session);
    cJSON_AddStringToObject(o, "role_arn", p->role_arn);
    cJSON_AddStringToObject(o, "access_key", p->access_key);
    cJSON_AddStringToObject(o, "region", p->region);
    cJSON_AddNumberToObject(o, "expires_ms", (double)p->expires_ms);
    if (p->from_get_session_token) cJSON_AddBoolToObject(o, "get_session_token", true);
    if (p->mfa_ms) cJSON_AddNumberToObject(o, "mfa_ms", (double)p->mfa_ms);
    return o;
}

static bool principal_copy(const cJSON *o, const char *name, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return false;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

bool auth_principal_from_json(const cJSON *o, auth_principal_t *p)
{
    memset(p, 0, sizeof(*p));
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (!cJSON_IsString(k)) return false;
    bool known = false;
    for (int i = 0; i < 5; i++)
        if (!strcmp(k->valuestring, principal_kinds[i])) p->kind = (auth_kind_t)i, known = true;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "expires_ms");
    p->expires_ms = cJSON_IsNumber(e) ? (int64_t)e->valuedouble : 0;
    /* "region" is absent from principals stored before regions: "" (refused when used) */
    const cJSON *rg = cJSON_GetObjectItemCaseSensitive(o, "region");
    if (cJSON_IsString(rg) && !principal_copy(o, "region", p->region, sizeof(p->region)))
        return false;
    p->from_get_session_token =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "get_session_token"));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "mfa_ms");
    p->mfa_ms = cJSON_IsNumber(m) ? (int64_t)m->valuedouble : 0;
    return known && principal_copy(o, "account", p->account, sizeof(p->account)) &&
           principal_copy(o, "arn", p->arn, sizeof(p->arn)) &&
           principal_copy(o, "user_id", p->user_id, sizeof(p->user_id)) &&
           principal_copy(o, "name", p->name, sizeof(p->name)) &&
           principal_copy(o, "path", p->path, sizeof(p->path)) &&
           principal_copy(o, "session", p->session, sizeof(p->session)) &&
           principal_copy(o, "role_arn", p->role_arn, sizeof(p->role_arn)) &&
           principal_copy(o, "access_key", p->access_key, sizeof(p->access_key));
}

bool auth_principal_from_json_in(const cJSON *o, const char *region, auth_principal_t *p)
{
    if (!auth_principal_from_json(o, p)) return false;
    if (!p->region[0]) snprintf(p->region, sizeof(p->region), "%s", region);
    return true;
}
