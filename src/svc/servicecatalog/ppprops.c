/* ppprops.c - UpdateProvisionedProductProperties: an administrator gives a provisioned
 * product another owner (OWNER: an IAM user, role or assumed-role session of the account,
 * who then sees and works on it) or another launch role (LAUNCH_ROLE: the role later
 * updates, terminations and service actions run as). The change is immediate; its record
 * (type UPDATE_PROVISIONED_PRODUCT_PROPERTIES) is SUCCEEDED from the start. */
#include "svc/servicecatalog/sc_int.h"

#include "core/jx.h"
#include "iam/identity.h"

#include <stdio.h>
#include <string.h>

#define SC_PROPS_SCOPE "UpdateProvisionedProductProperties"

/* Does IAM entity type ("user" / "role") named by the last path part of rest exist in the
 * caller's account? */
static err_t sc_iam_exists(api_ctx_t *c, const char *type, const char *name, bool *yes)
{
    cJSON *e = NULL;
    err_t rc = iam_identity_find(c->tx, c->account, type, name, &e, c->eb);
    *yes = e != NULL;
    cJSON_Delete(e);
    return rc;
}

/* Checks an OWNER value: an ARN of an existing IAM user or role of this account, or of a
 * session of such a role. InvalidParametersException otherwise. */
static err_t sc_check_owner(api_ctx_t *c, const char *arn)
{
    char iam[64], sts[64];
    snprintf(iam, sizeof(iam), "arn:aws:iam::%s:", c->account);
    snprintf(sts, sizeof(sts), "arn:aws:sts::%s:assumed-role/", c->account);
    const char *type = NULL, *name = NULL;
    if (!strncmp(arn, iam, strlen(iam))) {
        const char *rest = arn + strlen(iam);
        type = !strncmp(rest, "user/", 5) ? "user" : !strncmp(rest, "role/", 5) ? "role" : NULL;
        name = strrchr(rest, '/') ? strrchr(rest, '/') + 1 : NULL;
    } else if (!strncmp(arn, sts, strlen(sts))) {
        const char *role = arn + strlen(sts), *slash = strchr(role, '/');
        type = slash && slash[1] && slash > role ? "role" : NULL;
        name = type ? arena_strndup(c->arena, role, (size_t)(slash - role)) : NULL;
    }
    bool found = false;
    err_t rc = type && name && *name ? sc_iam_exists(c, type, name, &found) : ERR_OK;
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "OWNER %s is not an IAM user, role or assumed-role ARN of account %s.", arn,
                      c->account);
    return rc;
}

/* Checks a LAUNCH_ROLE value: an existing role of this account the caller may pass to
 * Service Catalog. */
static err_t sc_check_launch_role(api_ctx_t *c, const char *arn)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:role/", c->account);
    bool found = false;
    err_t rc = ERR_OK;
    if (!strncmp(arn, prefix, strlen(prefix)) && strrchr(arn, '/')[1])
        rc = sc_iam_exists(c, "role", strrchr(arn, '/') + 1, &found);
    if (!rc && !found)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "LAUNCH_ROLE %s is not the ARN of an IAM role of account %s.", arn,
                        c->account);
    return rc ? rc : api_check_pass_role(c, arn, "servicecatalog.amazonaws.com");
}

err_t sc_update_provisioned_product_properties(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(c->in, "ProvisionedProductProperties");
    cJSON *prior = NULL, *pp = NULL;
    err_t rc = sc_token_get(c, SC_PROPS_SCOPE, token, &prior);
    if (!rc && prior) { /* the same token: the same answer */
        for (cJSON *m = prior->child; m; m = m->next)
            cJSON_AddItemToObject(c->out, m->string, cJSON_Duplicate(m, 1));
        cJSON_Delete(prior);
        return ERR_OK;
    }
    if (!rc) rc = sc_pp_find(c, api_in_str(c, "ProvisionedProductId"), NULL, &pp);
    const char *st = pp ? jx_str(pp, "Status") : NULL;
    if (!rc && strcmp(st, "AVAILABLE") && strcmp(st, "TAINTED") && strcmp(st, "ERROR"))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "Provisioned product %s is in state %s and its properties cannot be "
                      "changed now.",
                      jx_str(pp, "Id"), st);
    for (const cJSON *p = props ? props->child : NULL; !rc && p; p = p->next) {
        if (!cJSON_IsString(p) || !*p->valuestring)
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s must be a non-empty ARN.",
                          p->string);
        else if (!strcmp(p->string, "OWNER"))
            rc = sc_check_owner(c, p->valuestring);
        else if (!strcmp(p->string, "LAUNCH_ROLE"))
            rc = sc_check_launch_role(c, p->valuestring);
        else
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                          "Property %s is not valid: use OWNER or LAUNCH_ROLE.", p->string);
    }
    if (rc) {
        cJSON_Delete(pp);
        return rc;
    }
    const char *owner = jx_str(props, "OWNER"), *role = jx_str(props, "LAUNCH_ROLE");
    if (owner) {
        /* the launching principal stays what Service Catalog tagged the stack with */
        if (!jx_str(pp, "_LaunchedBy")) jx_set_str(pp, "_LaunchedBy", jx_str(pp, "_UserArn"));
        jx_set_str(pp, "_UserArn", owner);
    }
    if (role) jx_set_str(pp, "LaunchRoleArn", role);
    const char *record = NULL;
    rc = sc_record_start(c, pp, "UPDATE_PROVISIONED_PRODUCT_PROPERTIES", NULL, &record);
    if (!rc) rc = sc_put(c, SC_PP, jx_str(pp, "Id"), pp);
    if (!rc) {
        cJSON_DeleteItemFromObjectCaseSensitive(c->out, "RecordDetail");
        cJSON_AddStringToObject(c->out, "ProvisionedProductId", jx_str(pp, "Id"));
        cJSON_AddItemToObject(c->out, "ProvisionedProductProperties", cJSON_Duplicate(props, 1));
        cJSON_AddStringToObject(c->out, "RecordId", record);
        cJSON_AddStringToObject(c->out, "Status", "SUCCEEDED");
        rc = sc_token_put(c, SC_PROPS_SCOPE, token, c->out);
    }
    cJSON_Delete(pp);
    return rc;
}
