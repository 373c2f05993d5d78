/* stack_ssm.c - Parameter Store in stacks: SSM-typed template parameters and dynamic
 * references (stack_ssm.h). */
#include "svc/cloudformation/stack_ssm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where AWS admits {{resolve:ssm-secure:...}}: these properties only (AWS's list of
 * "resources that support dynamic parameter patterns for secure strings"). */
static const char *const cfn_secure_ok[] = {
    "AWS::DirectoryService::MicrosoftAD/Properties/Password",
    "AWS::DirectoryService::SimpleAD/Properties/Password",
    "AWS::ElastiCache::ReplicationGroup/Properties/AuthToken",
    "AWS::IAM::User/Properties/LoginProfile/Password",
    "AWS::KinesisFirehose::DeliveryStream/Properties/RedshiftDestinationConfiguration/Password",
    "AWS::OpsWorks::App/Properties/AppSource/Password",
    "AWS::OpsWorks::Stack/Properties/CustomCookbooksSource/Password",
    "AWS::RDS::DBCluster/Properties/MasterUserPassword",
    "AWS::RDS::DBInstance/Properties/MasterUserPassword",
    "AWS::Redshift::Cluster/Properties/MasterUserPassword",
};

static bool cfn_secure_allowed(const char *path)
{
    for (size_t i = 0; i < sizeof(cfn_secure_ok) / sizeof(cfn_secure_ok[0]); i++)
        if (!strcmp(path, cfn_secure_ok[i])) return true;
    /* OpsWorks::Stack RdsDbInstances/<n>/DbPassword */
    const char *rds = "AWS::OpsWorks::Stack/Properties/RdsDbInstances/";
    return !strncmp(path, rds, strlen(rds)) && strstr(path, "/DbPassword") &&
           !strchr(strstr(path, "/DbPassword") + 1, '/');
}

/* Reads one parameter (NAME or NAME:SELECTOR) through ssm:GetParameters, at the call (c,
 * as its caller) or in the stack's job (s, as the stack's principal): *value is its text
 * (arena), NULL when Parameter Store has no such parameter or version. */
static err_t cfn_ssm_get(api_ctx_t *c, cfn_step_t *s, const char *ref, bool decrypt,
                         const char **value, errbuf_t *eb)
{
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "Names"), cJSON_CreateString(ref));
    if (decrypt) cJSON_AddTrueToObject(in, "WithDecryption");
    err_t rc = c ? api_client_call(c, c->caller, "ssm", "GetParameters", in, &out, eb)
                 : api_client_call_tx(s->app, s->tx, s->post, s->arena, s->as, "ssm",
                                      "GetParameters", in, &out, eb);
    cJSON_Delete(in);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(out, "Parameters");
    const char *v = ps && ps->child ? jx_str(ps->child, "Value") : NULL;
    *value = v ? arena_strdup(c ? c->arena : s->arena, v) : NULL;
    cJSON_Delete(out);
    return rc;
}

err_t cfn_ssm_params(api_ctx_t *c, const tpl_t *t, cJSON *bound, cJSON **names)
{
    *names = cJSON_CreateObject();
    buf_t missing;
    buf_init(&missing, 256);
    err_t rc = ERR_OK;
    for (size_t i = 0; !rc && i < tpl_param_count(t); i++) {
        const tpl_param_t *p = tpl_param(t, i);
        const char *name = jx_str(bound, p->name);
        if (!tpl_param_from_ssm(p) || !name) continue;
        const char *value = NULL;
        rc = cfn_ssm_get(c, NULL, name, false, &value, c->eb);
        if (!rc && !value) {
            buf_printf(&missing, "%s%s", missing.len ? "," : "", name);
            continue;
        }
        if (rc) break;
        cJSON_AddStringToObject(*names, p->name, name);
        jx_set_str(bound, p->name, value);
    }
    if (!rc && missing.len)
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Unable to fetch parameters [%s] from parameter store for this account.",
                      buf_str(&missing));
    buf_free(&missing);
    return rc;
}

void cfn_ssm_shown(cJSON *list, const tpl_t *t, const cJSON *names)
{
    for (cJSON *e = list ? list->child : NULL; e; e = e->next) {
        const char *key = jx_str(e, "ParameterKey"), *name = jx_str(names, key);
        if (!name) continue;
        bool masked = false;
        for (size_t i = 0; i < tpl_param_count(t); i++)
            if (!strcmp(tpl_param(t, i)->name, key)) masked = tpl_param(t, i)->no_echo;
        const char *value = jx_str(e, "ParameterValue");
        if (!masked) cJSON_AddStringToObject(e, "ResolvedValue", value ? value : "");
        jx_set_str(e, "ParameterValue", masked ? "****" : name);
    }
}

cJSON *cfn_ssm_previous(const cJSON *stack)
{
    cJSON *o = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(stack, "_Params"), 1);
    if (!o) o = cJSON_CreateObject();
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(stack, "_SsmNames");
    for (const cJSON *n = names ? names->child : NULL; n; n = n->next)
        if (cJSON_IsString(n)) jx_set_str(o, n->string, n->valuestring);
    /* what DescribeStacks shows wins: an update's rollback puts those back, not _SsmNames */
    const cJSON *shown = cJSON_GetObjectItemCaseSensitive(stack, "Parameters");
    for (const cJSON *e = shown ? shown->child : NULL; e; e = e->next)
        if (jx_str(e, "ResolvedValue") && jx_str(e, "ParameterKey") && jx_str(e, "ParameterValue"))
            jx_set_str(o, jx_str(e, "ParameterKey"), jx_str(e, "ParameterValue"));
    return o;
}

/* ---- dynamic references */

typedef struct cfn_dr {
    api_ctx_t *c;   /* at the call; or */
    cfn_step_t *s;  /* in the stack's job */
    buf_t *missing; /* the check: references that name nothing */
} cfn_dr_t;

static err_t cfn_dr_one(void *ud, bool secure, const char *ref, const char *path, char **value,
                        errbuf_t *eb)
{
    cfn_dr_t *d = ud;
    if (secure && !cfn_secure_allowed(path))
        return err_fail(eb, ERR_VALIDATION, "SSM Secure reference is not supported in: [%s]", path);
    const char *v = NULL;
    err_t rc = cfn_ssm_get(d->c, d->s, ref, secure, &v, eb);
    if (rc) return rc;
    if (!v && d->missing) {
        buf_printf(d->missing, "%s%s:%s", d->missing->len ? ", " : "",
                   secure ? "ssm-secure" : "ssm", ref);
        return ERR_OK;
    }
    if (!v)
        return err_fail(eb, ERR_VALIDATION, "Parameters: [%s:%s] cannot be found.",
                        secure ? "ssm-secure" : "ssm", ref);
    if (value) *value = strdup(v);
    return ERR_OK;
}

err_t cfn_dynref_check(api_ctx_t *c, const tpl_t *t)
{
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Resources");
    buf_t missing;
    buf_init(&missing, 256);
    cfn_dr_t d = {.c = c, .missing = &missing};
    err_t rc = ERR_OK;
    for (const cJSON *r = resources ? resources->child : NULL; !rc && r; r = r->next) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(r, "Properties");
        const char *where = arena_printf(c->arena, "%s/Properties", jx_str(r, "Type"));
        if (props) rc = tpl_dynrefs(props, where, cfn_dr_one, &d, NULL, c->eb);
    }
    if (!rc && missing.len)
        rc =
            err_fail(c->eb, ERR_VALIDATION, "Parameters: [%s] cannot be found.", buf_str(&missing));
    buf_free(&missing);
    return rc;
}

err_t cfn_dynref_props(cfn_step_t *s, const char *type, const cJSON *props, cJSON **out)
{
    cfn_dr_t d = {.s = s};
    return tpl_dynrefs(props, arena_printf(s->arena, "%s/Properties", type), cfn_dr_one, &d, out,
                       s->eb);
}

err_t cfn_ssm_create(cfn_step_t *s, const cfn_type_t *type, cJSON *res, const cJSON *props)
{
    cJSON *live = NULL;
    err_t rc = cfn_dynref_props(s, type->name, props, &live);
    if (!rc) rc = type->create(s, res, live);
    cJSON_Delete(live);
    return rc;
}

err_t cfn_ssm_update(cfn_step_t *s, const cfn_type_t *type, cJSON *res, const cJSON *old,
                     const cJSON *props, bool *replace)
{
    cJSON *live_old = NULL, *live = NULL;
    err_t rc = cfn_dynref_props(s, type->name, old, &live_old);
    if (!rc) rc = cfn_dynref_props(s, type->name, props, &live);
    if (!rc) rc = type->update(s, res, live_old, live, replace);
    cJSON_Delete(live_old);
    cJSON_Delete(live);
    return rc;
}
