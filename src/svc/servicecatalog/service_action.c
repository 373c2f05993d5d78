/* service_action.c - self-service actions: Create/Describe/Update/Delete/ListServiceActions,
 * (Batch)Associate/Disassociate with provisioning artifacts, and the two listings of
 * associations. Quotas (actions per account, actions per product version) are
 * configurable; AWS's are 200 and 25. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"

#include <stdio.h>
#include <string.h>

/* Checks a Definition map: Name required; AssumeRole "LAUNCH_ROLE" or a role ARN the
 * caller may pass to Service Catalog (iam:PassRole, AccessDenied otherwise: the action
 * runs as that role); Parameters a JSON array of {"Name", "Type": TARGET|TEXT_VALUE}.
 * InvalidParametersException. */
static err_t sa_check_definition(api_ctx_t *c, const cJSON *def)
{
    const char *name = jx_str(def, "Name");
    if (!name || !*name)
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Definition must contain the Name of an SSM Automation document.");
    const char *role = jx_str(def, "AssumeRole");
    if (role && strcmp(role, "LAUNCH_ROLE") && strncmp(role, "arn:aws:iam::", 13))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "AssumeRole must be LAUNCH_ROLE or the ARN of an IAM role, not %s.", role);
    const char *version = jx_str(def, "Version");
    if (version && strspn(version, "0123456789") != strlen(version) &&
        strcmp(version, "$DEFAULT") && strcmp(version, "$LATEST"))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Version must be a document version number, not %s.", version);
    const char *params = jx_str(def, "Parameters");
    cJSON *p = jx_own(c->arena, params ? cJSON_Parse(params) : NULL);
    err_t rc = ERR_OK;
    if (params && !cJSON_IsArray(p))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Definition Parameters must be a JSON array such as "
                      "[{\"Name\":\"InstanceId\",\"Type\":\"TARGET\"}].");
    for (const cJSON *e = p && cJSON_IsArray(p) ? p->child : NULL; !rc && e; e = e->next) {
        const char *n = jx_str(e, "Name"), *t = jx_str(e, "Type");
        if (!n || !*n || strlen(n) > 50)
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                          "Each definition parameter needs a Name of 1 to 50 characters.");
        else if (!t || (strcmp(t, "TARGET") && strcmp(t, "TEXT_VALUE")))
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                          "Parameter %s has Type %s; it must be TARGET or TEXT_VALUE.", n,
                          t ? t : "(none)");
        for (const cJSON *f = p->child; !rc && f != e; f = f->next)
            if (jx_str(f, "Name") && !strcmp(jx_str(f, "Name"), n))
                rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                              "Parameter %s appears twice in the definition.", n);
    }
    if (!rc && role && strcmp(role, "LAUNCH_ROLE"))
        rc = api_check_pass_role(c, role, "servicecatalog.amazonaws.com");
    return rc;
}

static cJSON *sa_summary(const cJSON *a)
{
    return cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(a, "ServiceActionSummary"), 1);
}

err_t sc_create_service_action(api_ctx_t *c)
{
    const char *token = api_in_str(c, "IdempotencyToken");
    cJSON *prior = NULL;
    err_t rc = sc_token_get(c, "sc.CreateServiceAction", token, &prior);
    if (!rc && prior) {
        cJSON_AddItemToObject(c->out, "ServiceActionDetail", prior);
        return ERR_OK;
    }
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(c->in, "Definition");
    if (!rc) rc = sa_check_definition(c, def);
    int64_t n = 0;
    if (!rc) {
        store_stmt_t *st;
        bool row = false;
        rc = store_query(c->tx, c->eb, &st,
                         "SELECT COUNT(*) FROM resources WHERE account = ? AND kind = ?", "ss",
                         c->scope, SC_ACTION);
        if (!rc) rc = store_step(st, &row, c->eb);
        n = row ? store_col_int(st, 0) : 0;
        if (row) store_step(st, &row, c->eb);
    }
    if (!rc && n >= c->app->cfg.sc_max_actions)
        rc = err_fail(c->eb, ERR_SC_LIMIT,
                      "The account already has the maximum of %d service actions.",
                      c->app->cfg.sc_max_actions);
    if (rc) return rc;
    const char *id = sc_new_id(c, "act-");
    cJSON *a = cJSON_CreateObject();
    cJSON *s = cJSON_AddObjectToObject(a, "ServiceActionSummary");
    cJSON_AddStringToObject(s, "Id", id);
    cJSON_AddStringToObject(s, "Name", api_in_str(c, "Name"));
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(s, "Description", api_in_str(c, "Description"));
    cJSON_AddStringToObject(s, "DefinitionType", api_in_str(c, "DefinitionType"));
    cJSON_AddItemToObject(a, "Definition", cJSON_Duplicate(def, 1));
    res_row_t row = {.created_ms = clk_now_ms(&c->app->clock)};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_ACTION, id}, &row, a, c->eb);
    if (!rc) rc = sc_token_put(c, "sc.CreateServiceAction", token, a);
    if (!rc)
        cJSON_AddItemToObject(c->out, "ServiceActionDetail", a);
    else
        cJSON_Delete(a);
    return rc;
}

err_t sc_describe_service_action(api_ctx_t *c)
{
    cJSON *a = NULL;
    err_t rc = sc_get(c, SC_ACTION, api_in_str(c, "Id"), "Service action", &a);
    if (!rc) cJSON_AddItemToObject(c->out, "ServiceActionDetail", a);
    return rc;
}

err_t sc_update_service_action(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    cJSON *a = NULL;
    err_t rc = sc_get(c, SC_ACTION, id, "Service action", &a);
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(c->in, "Definition");
    if (!rc && def) {
        /* the given keys replace the stored ones */
        cJSON *merged = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(a, "Definition"), 1);
        for (const cJSON *d = def->child; d; d = d->next)
            jx_set(merged, d->string, cJSON_Duplicate(d, 1));
        rc = sa_check_definition(c, merged);
        if (!rc)
            jx_set(a, "Definition", merged);
        else
            cJSON_Delete(merged);
    }
    cJSON *s = a ? cJSON_GetObjectItemCaseSensitive(a, "ServiceActionSummary") : NULL;
    if (!rc && api_in_str(c, "Name")) jx_set_str(s, "Name", api_in_str(c, "Name"));
    if (!rc && api_in_str(c, "Description"))
        jx_set_str(s, "Description", api_in_str(c, "Description"));
    if (!rc) rc = sc_put(c, SC_ACTION, id, a);
    if (!rc)
        cJSON_AddItemToObject(c->out, "ServiceActionDetail", a);
    else
        cJSON_Delete(a);
    return rc;
}

/* Number of artifacts an action is associated with (by_action) or actions an artifact key has. */
static err_t sa_count(api_ctx_t *c, bool by_action, const char *key, int64_t *n)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(
        c->tx, c->eb, &st,
        by_action ? "SELECT COUNT(*) FROM links WHERE account = ? AND kind = ? AND a = ?"
                  : "SELECT COUNT(*) FROM links WHERE account = ? AND kind = ? AND b = ?",
        "sss", c->scope, SC_LINK_ACTION_ARTIFACT, key);
    if (!rc) rc = store_step(st, &row, c->eb);
    *n = row ? store_col_int(st, 0) : 0;
    if (row) store_step(st, &row, c->eb);
    return rc;
}

err_t sc_delete_service_action(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    err_t rc = sc_require(c, SC_ACTION, id, "Service action");
    int64_t n = 0;
    if (!rc) rc = sa_count(c, true, id, &n);
    if (!rc && n)
        rc = err_fail(c->eb, ERR_SC_IN_USE,
                      "Service action %s is associated with %lld provisioning artifact(s); "
                      "disassociate it first.",
                      id, (long long)n);
    if (!rc) rc = sc_del(c, SC_ACTION, id);
    return rc;
}

err_t sc_list_service_actions(api_ctx_t *c)
{
    return sc_list_kind(c, SC_ACTION, NULL, NULL, sa_summary, "ServiceActionSummaries");
}

/* ---- associations */

typedef enum sa_fail { SA_OK, SA_NOT_FOUND, SA_DUPLICATE, SA_LIMIT, SA_INTERNAL } sa_fail_t;

/* Associates (or disassociates) one triple; on failure *msg says why. */
static sa_fail_t sa_link(api_ctx_t *c, bool add, const char *action, const char *product,
                         const char *artifact, char *msg, size_t cap)
{
    cJSON *a = NULL, *pa = NULL;
    errbuf_t eb;
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SC_ACTION, action}, &a, &eb);
    bool have_a = a != NULL;
    cJSON_Delete(a);
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->scope, SC_ARTIFACT, artifact}, &pa, &eb);
    bool pa_ok =
        pa && jx_str(pa, "_ProductId") ? !strcmp(jx_str(pa, "_ProductId"), product) : pa != NULL;
    if (pa && !jx_str(pa, "_ProductId")) {
        /* artifacts record their product as the resource parent */
        store_stmt_t *st;
        bool row = false;
        if (!store_query(c->tx, &eb, &st,
                         "SELECT parent FROM resources WHERE account = ? AND kind = ? AND id = ?",
                         "sss", c->scope, SC_ARTIFACT, artifact) &&
            !store_step(st, &row, &eb) && row) {
            pa_ok = store_col_text(st, 0) && !strcmp(store_col_text(st, 0), product);
            store_step(st, &row, &eb);
        }
    }
    cJSON_Delete(pa);
    if (rc) return snprintf(msg, cap, "Internal failure"), SA_INTERNAL;
    if (!have_a) return snprintf(msg, cap, "Service action %s not found.", action), SA_NOT_FOUND;
    if (!pa_ok)
        return snprintf(msg, cap, "Provisioning artifact %s not found for product %s.", artifact,
                        product),
               SA_NOT_FOUND;
    char key[256];
    snprintf(key, sizeof(key), "%s|%s", product, artifact);
    int64_t n = 0;
    if (add) {
        if (sa_count(c, false, key, &n)) return snprintf(msg, cap, "Internal failure"), SA_INTERNAL;
        bool existed = false;
        if (n >= c->app->cfg.sc_max_actions_per_artifact) {
            store_stmt_t *st;
            bool row = false;
            if (!store_query(
                    c->tx, &eb, &st,
                    "SELECT 1 FROM links WHERE account = ? AND kind = ? AND a = ? AND b = ?",
                    "ssss", c->scope, SC_LINK_ACTION_ARTIFACT, action, key) &&
                !store_step(st, &row, &eb))
                existed = row;
            if (row) store_step(st, &row, &eb);
            if (!existed)
                return snprintf(msg, cap,
                                "Provisioning artifact %s already has the maximum of %d service "
                                "actions.",
                                artifact, c->app->cfg.sc_max_actions_per_artifact),
                       SA_LIMIT;
        }
        if (store_exec(
                c->tx, &eb, &n,
                "INSERT INTO links (account, kind, a, b, created_ms, seq) VALUES (?, ?, ?, ?, ?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM links)) "
                "ON CONFLICT DO NOTHING",
                "ssssi", c->scope, SC_LINK_ACTION_ARTIFACT, action, key,
                clk_now_ms(&c->app->clock)))
            return snprintf(msg, cap, "Internal failure"), SA_INTERNAL;
        if (n == 0)
            return snprintf(
                       msg, cap,
                       "Service action %s is already associated with provisioning artifact %s.",
                       action, artifact),
                   SA_DUPLICATE;
        return SA_OK;
    }
    if (store_exec(c->tx, &eb, &n,
                   "DELETE FROM links WHERE account = ? AND kind = ? AND a = ? AND b = ?", "ssss",
                   c->scope, SC_LINK_ACTION_ARTIFACT, action, key))
        return snprintf(msg, cap, "Internal failure"), SA_INTERNAL;
    if (n == 0)
        return snprintf(msg, cap,
                        "Service action %s is not associated with provisioning artifact %s.",
                        action, artifact),
               SA_NOT_FOUND;
    return SA_OK;
}

static err_t sa_one(api_ctx_t *c, bool add)
{
    char msg[600];
    sa_fail_t f = sa_link(c, add, api_in_str(c, "ServiceActionId"), api_in_str(c, "ProductId"),
                          api_in_str(c, "ProvisioningArtifactId"), msg, sizeof(msg));
    switch (f) {
    case SA_OK:
        return ERR_OK;
    case SA_NOT_FOUND:
        return err_fail(c->eb, ERR_SC_NOT_FOUND, "%s", msg);
    case SA_DUPLICATE:
        return err_fail(c->eb, ERR_SC_DUPLICATE, "%s", msg);
    case SA_LIMIT:
        return err_fail(c->eb, ERR_SC_LIMIT, "%s", msg);
    default:
        return err_fail(c->eb, ERR_INTERNAL, "%s", msg);
    }
}

err_t sc_associate_service_action_with_provisioning_artifact(api_ctx_t *c)
{
    return sa_one(c, true);
}

err_t sc_disassociate_service_action_from_provisioning_artifact(api_ctx_t *c)
{
    return sa_one(c, false);
}

/* The batch forms report each failure in the answer instead of failing the call; each
 * item's work is its own savepoint, so one failure undoes only that item. */
static err_t sa_batch(api_ctx_t *c, bool add)
{
    static const char *const codes[] = {"", "RESOURCE_NOT_FOUND", "DUPLICATE_RESOURCE",
                                        "LIMIT_EXCEEDED", "INTERNAL_FAILURE"};
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(c->in, "ServiceActionAssociations");
    cJSON *failed = cJSON_AddArrayToObject(c->out, "FailedServiceActionAssociations");
    for (const cJSON *i = items ? items->child : NULL; i; i = i->next) {
        char msg[600];
        err_t rc = store_savepoint(c->tx, c->eb);
        if (rc) return rc;
        sa_fail_t f = sa_link(c, add, jx_str(i, "ServiceActionId"), jx_str(i, "ProductId"),
                              jx_str(i, "ProvisioningArtifactId"), msg, sizeof(msg));
        if (f == SA_OK) {
            rc = store_release(c->tx, c->eb);
            if (rc) return rc;
            continue;
        }
        store_rollback_to(c->tx);
        cJSON *e = cJSON_Duplicate(i, 1);
        cJSON_AddStringToObject(e, "ErrorCode", codes[f]);
        cJSON_AddStringToObject(e, "ErrorMessage", msg);
        cJSON_AddItemToArray(failed, e);
    }
    return ERR_OK;
}

err_t sc_batch_associate_service_action_with_provisioning_artifact(api_ctx_t *c)
{
    return sa_batch(c, true);
}

err_t sc_batch_disassociate_service_action_from_provisioning_artifact(api_ctx_t *c)
{
    return sa_batch(c, false);
}

err_t sc_list_service_actions_for_provisioning_artifact(api_ctx_t *c)
{
    const char *product = api_in_str(c, "ProductId"),
               *artifact = api_in_str(c, "ProvisioningArtifactId");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_require(c, SC_PRODUCT, product, "Product");
    if (!rc) rc = sc_require(c, SC_ARTIFACT, artifact, "Provisioning artifact");
    if (rc) return rc;
    char key[256];
    snprintf(key, sizeof(key), "%s|%s", product, artifact);
    cJSON *ids = cJSON_CreateArray();
    rc = sc_link_page(c, SC_LINK_ACTION_ARTIFACT, false, key, &p, ids);
    cJSON *list = cJSON_AddArrayToObject(c->out, "ServiceActionSummaries");
    for (cJSON *i = ids->child; !rc && i; i = i->next) {
        cJSON *a = NULL;
        rc = sc_find(c, SC_ACTION, i->valuestring, &a);
        if (a) cJSON_AddItemToArray(list, sa_summary(a));
        cJSON_Delete(a);
    }
    cJSON_Delete(ids);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

err_t sc_list_provisioning_artifacts_for_service_action(api_ctx_t *c)
{
    const char *id = api_in_str(c, "ServiceActionId");
    res_page_t pg;
    err_t rc = sc_page_in(c, &pg, NULL);
    if (!rc) rc = sc_require(c, SC_ACTION, id, "Service action");
    if (rc) return rc;
    cJSON *keys = cJSON_CreateArray();
    rc = sc_link_page(c, SC_LINK_ACTION_ARTIFACT, true, id, &pg, keys);
    cJSON *list = cJSON_AddArrayToObject(c->out, "ProvisioningArtifactViews");
    for (cJSON *k = keys->child; !rc && k; k = k->next) {
        char product[128];
        snprintf(product, sizeof(product), "%s", k->valuestring);
        char *bar = strchr(product, '|');
        if (!bar) continue;
        *bar = '\0';
        cJSON *prod = NULL, *pa = NULL;
        rc = sc_find(c, SC_PRODUCT, product, &prod);
        if (!rc) rc = sc_find(c, SC_ARTIFACT, bar + 1, &pa);
        if (prod && pa) {
            cJSON *v = cJSON_CreateObject();
            cJSON_AddItemToObject(
                v, "ProductViewSummary",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(prod, "ProductViewSummary"), 1));
            cJSON *p = cJSON_AddObjectToObject(v, "ProvisioningArtifact");
            static const char *const copy[] = {"Id",          "Name",     "Description",
                                               "CreatedTime", "Guidance", NULL};
            jx_copy(p, pa, copy);
            cJSON_AddItemToArray(list, v);
        }
        cJSON_Delete(prod);
        cJSON_Delete(pa);
    }
    cJSON_Delete(keys);
    if (!rc) sc_page_out(c, &pg);
    return rc;
}
