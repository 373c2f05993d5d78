/* nodes.c - DescribeInstanceInformation: the managed nodes (src/node) among the caller's
 * EC2 instances (read through ec2:DescribeInstances as the caller), with PingStatus from
 * the node pool's cached reachability checks (never a ping on the HTTP thread), filtered
 * and paged by InstanceId. */
#include "svc/ssm/ssm_int.h"

#include "node/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_MAX_LISTED 10000 /* instances read for one call */

/* One filter, from either list: key and its values. */
typedef struct node_filter {
    const char *key;
    const cJSON *values;
} node_filter_t;

static const char *const filter_keys[] = {
    "InstanceIds", "AgentVersion", "PingStatus",        "PlatformTypes", "ActivationIds",
    "IamRole",     "ResourceType", "AssociationStatus", "SourceIds",     "SourceTypes",
    NULL};

static bool value_in(const cJSON *values, const char *v, bool prefix)
{
    for (const cJSON *x = values ? values->child : NULL; x; x = x->next)
        if (cJSON_IsString(x) && v &&
            (prefix ? !strncmp(v, x->valuestring, strlen(x->valuestring))
                    : !strcmp(v, x->valuestring)))
            return true;
    return false;
}

/* Each value of f must be one of allowed (a NULL-terminated list). */
static err_t filter_enum(api_ctx_t *c, const node_filter_t *f, const char *const *allowed,
                         const char *names)
{
    for (const cJSON *x = f->values ? f->values->child : NULL; x; x = x->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++) ok = !strcmp(x->valuestring, allowed[i]);
        if (!ok)
            return err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_FILTER_VALUE,
                            "%s filter is invalid, valid values are %s", f->key, names);
    }
    return ERR_OK;
}

/* Checks one filter's key and values (AWS's errors). */
static err_t filter_check(api_ctx_t *c, const node_filter_t *f)
{
    static const char *const ping[] = {"Online", "ConnectionLost", "Inactive", NULL};
    static const char *const platforms[] = {"Windows", "Linux", "MacOS", NULL};
    static const char *const types[] = {"EC2Instance", "ManagedInstance", NULL};
    bool known = !strncmp(f->key, "tag:", 4) || !strcmp(f->key, "tag-key");
    for (size_t i = 0; filter_keys[i] && !known; i++) known = !strcmp(f->key, filter_keys[i]);
    if (!known)
        return err_fail(c->eb, ERR_SSM_INVALID_FILTER_KEY, "The specified key isn't valid.");
    if (cJSON_GetArraySize(f->values) == 0)
        return err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_FILTER_VALUE,
                        "%s filter must contain at least one value.", f->key);
    if (!strcmp(f->key, "PingStatus"))
        return filter_enum(c, f, ping, "Online, ConnectionLost, Inactive");
    if (!strcmp(f->key, "PlatformTypes"))
        return filter_enum(c, f, platforms, "Windows, Linux, MacOS");
    if (!strcmp(f->key, "ResourceType")) {
        if (cJSON_GetArraySize(f->values) > 1)
            return err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_FILTER_VALUE,
                            "ResourceType filter may contain only one value.");
        return filter_enum(c, f, types, "EC2Instance, ManagedInstance");
    }
    if (!strcmp(f->key, "InstanceIds"))
        for (const cJSON *x = f->values->child; x; x = x->next) {
            const char *id = x->valuestring;
            size_t n = strlen(id);
            bool ok = (n == 10 || n == 19) && !strncmp(id, "i-", 2) &&
                      strspn(id + 2, "0123456789abcdef") == n - 2;
            ok = ok ||
                 (n == 19 && !strncmp(id, "mi-", 3) && strspn(id + 3, "0123456789abcdef") == n - 3);
            if (!ok) return err_fail(c->eb, ERR_SSM_INVALID_INSTANCE_ID, "Invalid instance id(s)");
        }
    return ERR_OK;
}

/* The filters of the request (Filters or the legacy list, never both), checked; arena. */
static err_t filters_in(api_ctx_t *c, node_filter_t **out, size_t *n)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(c->in, "InstanceInformationFilterList");
    *n = 0;
    if (cJSON_GetArraySize(fs) && cJSON_GetArraySize(legacy))
        return err_fail(c->eb, ERR_SSM_INVALID_FILTER_KEY,
                        "InstanceInformationFilterList and Filters cannot be used together.");
    const cJSON *list = cJSON_GetArraySize(fs) ? fs : legacy;
    bool old = list == legacy;
    *out = arena_zalloc(c->arena, sizeof(**out) * (size_t)(cJSON_GetArraySize(list) + 1));
    for (const cJSON *f = list ? list->child : NULL; f; f = f->next) {
        node_filter_t nf = {jx_str(f, old ? "key" : "Key"),
                            cJSON_GetObjectItemCaseSensitive(f, old ? "valueSet" : "Values")};
        if (!nf.key) continue;
        err_t rc = filter_check(c, &nf);
        if (rc) return rc;
        (*out)[(*n)++] = nf;
    }
    return ERR_OK;
}

static const char *tag_of(const cJSON *inst, const char *key)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(inst, "Tags");
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
        if (jx_str(t, "Key") && !strcmp(jx_str(t, "Key"), key)) return jx_str(t, "Value");
    return NULL;
}

/* Does the node (its InstanceInformation info, its instance inst) pass f? */
static bool filter_match(const node_filter_t *f, const cJSON *info, const cJSON *inst)
{
    const char *k = f->key;
    if (!strncmp(k, "tag:", 4)) return value_in(f->values, tag_of(inst, k + 4), false);
    if (!strcmp(k, "tag-key")) {
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(inst, "Tags");
        for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
            if (value_in(f->values, jx_str(t, "Key"), false)) return true;
        return false;
    }
    static const char *const fields[][2] = {
        {"InstanceIds", "InstanceId"},     {"SourceIds", "SourceId"},
        {"AgentVersion", "AgentVersion"},  {"PingStatus", "PingStatus"},
        {"PlatformTypes", "PlatformType"}, {"ResourceType", "ResourceType"},
        {"SourceTypes", "SourceType"}};
    const char *field = NULL;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && !field; i++)
        if (!strcmp(k, fields[i][0])) field = fields[i][1];
    /* ActivationIds, IamRole, AssociationStatus: an EC2 node has none of them */
    return field && value_in(f->values, jx_str(info, field), false);
}

/* The InstanceInformation of instance inst when it is a managed node with a finished
 * ping, else NULL. */
static cJSON *node_info(api_ctx_t *c, const cJSON *inst)
{
    const char *id = jx_str(inst, "InstanceId");
    const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "State"), "Name");
    node_target_t t;
    if (!id || (state && !strcmp(state, "terminated")) ||
        !node_target_for(c->app->nodes, id, cJSON_GetObjectItemCaseSensitive(inst, "Tags"), &t))
        return NULL;
    node_ping_info_t ping;
    node_ping_cached(c->app->nodes, &t, &ping);
    if (!ping.known) return NULL; /* registers once its first check is done */
    bool online = ping.online && state && !strcmp(state, "running");
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "InstanceId", id);
    cJSON_AddStringToObject(info, "PingStatus", online ? "Online" : "ConnectionLost");
    int64_t last = online || !ping.last_ok_ms ? ping.at_ms : ping.last_ok_ms;
    cJSON_AddNumberToObject(info, "LastPingDateTime", (double)last / 1000.0);
    cJSON_AddStringToObject(info, "AgentVersion", "catalogd-" CATALOGD_VERSION);
    cJSON_AddBoolToObject(info, "IsLatestVersion", true);
    cJSON_AddStringToObject(info, "PlatformType", "Linux");
    cJSON_AddStringToObject(info, "PlatformName",
                            ping.platform_name[0] ? ping.platform_name : "Linux");
    cJSON_AddStringToObject(info, "PlatformVersion", ping.platform_version);
    cJSON_AddStringToObject(info, "ResourceType", "EC2Instance");
    const char *ip = jx_str(inst, "PrivateIpAddress");
    if (ip) cJSON_AddStringToObject(info, "IPAddress", ip);
    cJSON_AddStringToObject(info, "ComputerName", ping.computer_name[0] ? ping.computer_name : id);
    cJSON_AddStringToObject(info, "SourceId", id);
    cJSON_AddStringToObject(info, "SourceType", "AWS::EC2::Instance");
    return info;
}

static int info_cmp(const void *a, const void *b)
{
    return strcmp(jx_str(*(cJSON *const *)a, "InstanceId"),
                  jx_str(*(cJSON *const *)b, "InstanceId"));
}

/* Every instance the caller may describe, through ec2:DescribeInstances page by page;
 * *out owns an array of instance bodies. */
static err_t node_instances(api_ctx_t *c, cJSON **out)
{
    *out = cJSON_CreateArray();
    char token[RES_PAGE_TOKEN_MAX] = "";
    int n = 0;
    do {
        cJSON *in = cJSON_CreateObject(), *res = NULL;
        cJSON_AddNumberToObject(in, "MaxResults", 1000);
        if (token[0]) cJSON_AddStringToObject(in, "NextToken", token);
        err_t rc = api_client_call(c, c->caller, "ec2", "DescribeInstances", in, &res, c->eb);
        cJSON_Delete(in);
        if (rc) return rc;
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(res, "Reservations");
        for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next) {
            const cJSON *is = cJSON_GetObjectItemCaseSensitive(r, "Instances");
            for (const cJSON *i = is ? is->child : NULL; i; i = i->next, n++)
                cJSON_AddItemToArray(*out, cJSON_Duplicate(i, 1));
        }
        const char *next = jx_str(res, "NextToken");
        snprintf(token, sizeof(token), "%s", next && n < NODE_MAX_LISTED ? next : "");
        cJSON_Delete(res);
    } while (token[0]);
    return ERR_OK;
}

err_t ssm_describe_instance_information(api_ctx_t *c)
{
    node_filter_t *fs = NULL;
    size_t nf = 0;
    res_page_t p;
    err_t rc = filters_in(c, &fs, &nf);
    if (!rc) rc = ssm_page_in(c, &p);
    cJSON *insts = NULL;
    if (!rc) rc = node_instances(c, &insts);
    cJSON *list = cJSON_AddArrayToObject(c->out, "InstanceInformationList");
    size_t n = 0;
    cJSON **infos = NULL;
    if (!rc)
        infos = arena_zalloc(c->arena, sizeof(*infos) * (size_t)(cJSON_GetArraySize(insts) + 1));
    for (const cJSON *i = insts && !rc ? insts->child : NULL; i; i = i->next) {
        cJSON *info = node_info(c, i);
        bool ok = info != NULL;
        for (size_t k = 0; k < nf && ok; k++) ok = filter_match(&fs[k], info, i);
        if (ok)
            infos[n++] = info;
        else
            cJSON_Delete(info);
    }
    if (n) qsort(infos, n, sizeof(*infos), info_cmp);
    size_t k = 0;
    for (; k < n; k++) {
        res_offer_t o = res_page_offer(&p, &(res_pkey_t){.id = jx_str(infos[k], "InstanceId")});
        if (o == RES_PAGE_FULL) break;
        if (o == RES_PAGE_TAKE)
            cJSON_AddItemToArray(list, infos[k]);
        else
            cJSON_Delete(infos[k]);
    }
    for (; k < n; k++) cJSON_Delete(infos[k]);
    cJSON_Delete(insts);
    if (!rc) ssm_page_out(c, &p);
    return rc;
}
