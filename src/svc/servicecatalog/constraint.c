/* constraint.c - constraints on a product in a portfolio: CreateConstraint,
 * DescribeConstraint, UpdateConstraint, DeleteConstraint, ListConstraintsForPortfolio.
 * LAUNCH (the launch role, which the creator must be allowed to pass), NOTIFICATION and
 * RESOURCE_UPDATE are kept; TEMPLATE and STACKSET are refused. A constraint body is a
 * ConstraintDetail plus _Parameters (the JSON text) and _IdempotencyToken. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "iam/identity.h"
#include "core/jx.h"

#include <string.h>
#include <strings.h>

#define SC_MAX_CONSTRAINTS 100 /* constraints per product per portfolio (limits.md) */

/* Which constraints of a portfolio a read wants: all, or one product's. */
typedef struct sc_cons_sel {
    const char *portfolio_id, *product_id; /* product_id NULL: any */
} sc_cons_sel_t;

static err_t sc_constraint_keep(void *ctx, const cJSON *k, const res_pkey_t *key, bool *keep)
{
    (void)key;
    const sc_cons_sel_t *sel = ctx;
    const char *port = jx_str(k, "PortfolioId"), *prod = jx_str(k, "ProductId");
    *keep = port && !strcmp(port, sel->portfolio_id) &&
            (!sel->product_id || (prod && !strcmp(prod, sel->product_id)));
    return ERR_OK;
}

err_t sc_constraints_of(api_ctx_t *c, const char *portfolio_id, const char *product_id, cJSON *out)
{
    res_page_t all;
    res_page_begin(&all, "", 0, false, NULL);
    sc_cons_sel_t sel = {portfolio_id, product_id};
    res_query_t q = {c->scope, SC_CONSTRAINT, portfolio_id, 0, 0};
    return res_list_page(c->tx, &q, &all, sc_constraint_keep, &sel, out, c->eb);
}

err_t sc_constraint_summaries(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                              cJSON **out)
{
    cJSON *all = cJSON_CreateArray();
    err_t rc = sc_constraints_of(c, portfolio_id, product_id, all);
    *out = cJSON_CreateArray();
    for (const cJSON *k = all->child; !rc && k; k = k->next) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "Type", jx_str(k, "Type"));
        if (jx_str(k, "Description"))
            cJSON_AddStringToObject(s, "Description", jx_str(k, "Description"));
        cJSON_AddItemToArray(*out, s);
    }
    cJSON_Delete(all);
    return rc;
}

/* The stored ARN of an IAM role of this account named by an ARN or (arn NULL) a bare
 * name, or NULL when there is no such role. In the arena. */
static err_t sc_role_lookup(api_ctx_t *c, const char *arn, const char *name, const char **found)
{
    *found = NULL;
    const char *acct = c->account;
    if (arn) {
        size_t n = strlen(acct);
        if (strncmp(arn, "arn:aws:iam::", 13) || strncmp(arn + 13, acct, n) ||
            strncmp(arn + 13 + n, ":role/", 6))
            return ERR_OK;
        name = strrchr(arn, '/') + 1;
    }
    if (!name || !*name) return ERR_OK;
    cJSON *r = NULL;
    err_t rc = iam_identity_find(c->tx, acct, "role", name, &r, c->eb);
    const char *have = jx_str(r, "Arn");
    if (!rc && have && (!arn || !strcasecmp(have, arn))) *found = arena_strdup(c->arena, have);
    cJSON_Delete(r);
    return rc;
}

/* Checks Parameters (JSON text) for a constraint type. LAUNCH: exactly one of RoleArn
 * and LocalRoleName, naming an existing role the caller may pass to Service Catalog.
 * InvalidParametersException (or AccessDeniedException for iam:PassRole) otherwise. */
static err_t sc_check_parameters(api_ctx_t *c, const char *type, const char *text)
{
    if (!strcmp(type, "TEMPLATE") || !strcmp(type, "STACKSET"))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Constraint type %s is not supported by catalogd: it supports LAUNCH, "
                        "NOTIFICATION and RESOURCE_UPDATE constraints.",
                        type);
    if (strcmp(type, "LAUNCH") && strcmp(type, "NOTIFICATION") && strcmp(type, "RESOURCE_UPDATE"))
        return err_fail(
            c->eb, ERR_SC_INVALID_PARAMETERS,
            "Constraint type %s is not valid: use LAUNCH, NOTIFICATION or RESOURCE_UPDATE.", type);
    cJSON *p = cJSON_Parse(text);
    err_t rc = ERR_OK;
    if (!cJSON_IsObject(p)) {
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "Parameters must be a JSON object.");
    } else if (!strcmp(type, "LAUNCH")) {
        const cJSON *arn = cJSON_GetObjectItemCaseSensitive(p, "RoleArn");
        const cJSON *local = cJSON_GetObjectItemCaseSensitive(p, "LocalRoleName");
        const char *role = NULL;
        if ((arn != NULL) == (local != NULL))
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                          "A LAUNCH constraint needs exactly one of RoleArn or LocalRoleName.");
        else if (!cJSON_IsString(arn ? arn : local))
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s must be a string.",
                          arn ? "RoleArn" : "LocalRoleName");
        if (!rc)
            rc = sc_role_lookup(c, arn ? arn->valuestring : NULL, arn ? NULL : local->valuestring,
                                &role);
        if (!rc && !role)
            rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                          "The role %s does not exist in account %s.",
                          (arn ? arn : local)->valuestring, c->account);
        if (!rc) rc = api_check_pass_role(c, role, "servicecatalog.amazonaws.com");
    } else if (!strcmp(type, "NOTIFICATION")) {
        const cJSON *arns = cJSON_GetObjectItemCaseSensitive(p, "NotificationArns");
        bool ok = cJSON_IsArray(arns) && cJSON_GetArraySize(arns) > 0;
        for (const cJSON *a = ok ? arns->child : NULL; a && ok; a = a->next)
            ok = cJSON_IsString(a) && !strncmp(a->valuestring, "arn:aws:sns:", 12);
        if (!ok)
            rc = err_fail(
                c->eb, ERR_SC_INVALID_PARAMETERS,
                "A NOTIFICATION constraint needs NotificationArns: a list of SNS topic ARNs.");
    } else { /* RESOURCE_UPDATE */
        const char *v = jx_str(cJSON_GetObjectItemCaseSensitive(p, "Properties"),
                               "TagUpdateOnProvisionedProduct");
        if (!v || (strcmp(v, "ALLOWED") && strcmp(v, "NOT_ALLOWED")))
            rc = err_fail(
                c->eb, ERR_SC_INVALID_PARAMETERS,
                "A RESOURCE_UPDATE constraint needs Properties.TagUpdateOnProvisionedProduct "
                "ALLOWED or NOT_ALLOWED.");
    }
    cJSON_Delete(p);
    return rc;
}

/* Adds ConstraintDetail, ConstraintParameters and Status from a body (borrowed). */
static void sc_constraint_out(api_ctx_t *c, const cJSON *k)
{
    cJSON_AddItemToObject(c->out, "ConstraintDetail", cJSON_Duplicate(k, 1));
    cJSON_AddStringToObject(c->out, "ConstraintParameters", jx_str(k, "_Parameters"));
    cJSON_AddStringToObject(c->out, "Status", "AVAILABLE");
}

err_t sc_create_constraint(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *prod = api_in_str(c, "ProductId");
    const char *type = api_in_str(c, "Type"), *params = api_in_str(c, "Parameters");
    const char *token = api_in_str(c, "IdempotencyToken");
    err_t rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
    if (!rc) rc = sc_require(c, SC_PRODUCT, prod, "Product");
    bool in = false;
    if (!rc) rc = sc_link_exists(c, SC_LINK_PORTFOLIO_PRODUCT, port, prod, &in);
    if (!rc && !in) /* AWS answers ResourceNotFound until the association exists */
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product %s is not associated with portfolio %s.",
                      prod, port);
    cJSON *mine = cJSON_CreateArray();
    if (!rc) rc = sc_constraints_of(c, port, prod, mine);
    const cJSON *same = NULL;
    for (const cJSON *k = mine->child; !rc && k && !same; k = k->next) {
        const char *t = jx_str(k, "_IdempotencyToken");
        if (token && t && !strcmp(t, token)) same = k;
    }
    if (!rc && same) { /* the same token: the same constraint */
        sc_constraint_out(c, same);
        cJSON_Delete(mine);
        return ERR_OK;
    }
    if (!rc) rc = sc_check_parameters(c, type, params);
    /* one launch role and one tag-update rule per product and portfolio; notifications may repeat
     */
    for (const cJSON *k = mine->child; !rc && k; k = k->next)
        if (strcmp(type, "NOTIFICATION") && !strcmp(jx_str(k, "Type"), type))
            rc = err_fail(c->eb, ERR_SC_DUPLICATE,
                          "A %s constraint already exists for product %s in portfolio %s: %s.",
                          type, prod, port, jx_str(k, "ConstraintId"));
    if (!rc && cJSON_GetArraySize(mine) >= SC_MAX_CONSTRAINTS)
        rc = err_fail(c->eb, ERR_SC_LIMIT,
                      "Product %s already has the maximum of %d constraints in portfolio %s.", prod,
                      SC_MAX_CONSTRAINTS, port);
    cJSON_Delete(mine);
    if (rc) return rc;
    const char *id = sc_new_id(c, "cons-");
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "ConstraintId", id);
    cJSON_AddStringToObject(k, "Type", type);
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(k, "Description", api_in_str(c, "Description"));
    cJSON_AddStringToObject(k, "Owner", c->account);
    cJSON_AddStringToObject(k, "ProductId", prod);
    cJSON_AddStringToObject(k, "PortfolioId", port);
    cJSON_AddStringToObject(k, "_Parameters", params);
    if (token) cJSON_AddStringToObject(k, "_IdempotencyToken", token);
    int64_t now = clk_now_ms(&c->app->clock);
    res_row_t row = {.parent = port, .created_ms = now, .updated_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_CONSTRAINT, id}, &row, k, c->eb);
    if (!rc) sc_constraint_out(c, k);
    cJSON_Delete(k);
    return rc;
}

err_t sc_describe_constraint(api_ctx_t *c)
{
    cJSON *k = NULL;
    err_t rc = sc_get(c, SC_CONSTRAINT, api_in_str(c, "Id"), "Constraint", &k);
    if (!rc) sc_constraint_out(c, k);
    cJSON_Delete(k);
    return rc;
}

err_t sc_update_constraint(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id"), *params = api_in_str(c, "Parameters");
    cJSON *k = NULL;
    err_t rc = sc_get(c, SC_CONSTRAINT, id, "Constraint", &k);
    if (rc) return rc;
    if (params) rc = sc_check_parameters(c, jx_str(k, "Type"), params);
    if (!rc && params) jx_set_str(k, "_Parameters", params);
    if (!rc && api_in_str(c, "Description"))
        jx_set_str(k, "Description", api_in_str(c, "Description"));
    if (!rc) rc = sc_put(c, SC_CONSTRAINT, id, k);
    if (!rc) sc_constraint_out(c, k);
    cJSON_Delete(k);
    return rc;
}

err_t sc_delete_constraint(api_ctx_t *c)
{
    const char *id = api_in_str(c, "Id");
    err_t rc = sc_require(c, SC_CONSTRAINT, id, "Constraint");
    if (!rc) rc = sc_del(c, SC_CONSTRAINT, id);
    return rc;
}

err_t sc_list_constraints_for_portfolio(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *prod = api_in_str(c, "ProductId");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
    cJSON *list = cJSON_AddArrayToObject(c->out, "ConstraintDetails");
    sc_cons_sel_t sel = {port, prod};
    res_query_t q = {c->scope, SC_CONSTRAINT, port, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, sc_constraint_keep, &sel, list, c->eb);
    if (!rc) sc_page_out(c, &p);
    return rc;
}
