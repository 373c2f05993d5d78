/* org_share.c - portfolio sharing through AWS Organizations: EnableAWSOrganizationsAccess,
 * DisableAWSOrganizationsAccess, GetAWSOrganizationsAccessStatus (only the management
 * account of an organization; the status is an sc.org_access row "access" under its
 * scope), the recipients of an OrganizationNode share (the organization's members, read
 * through organizations:DescribeOrganization and ListAccounts as the caller), and
 * ListOrganizationPortfolioAccess. The shares themselves are share.c's. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"

#include <string.h>

#define SC_ORG_ACCESS "sc.org_access"

/* The caller's organization as organizations:DescribeOrganization gives it (*org owned;
 * NULL when the caller is in none). Other failures (AccessDenied) as they come. */
static err_t sc_org_describe(api_ctx_t *c, cJSON **org)
{
    cJSON *out = NULL;
    errbuf_t eb = {{0}};
    *org = NULL;
    err_t rc =
        api_client_call(c, c->caller, "organizations", "DescribeOrganization", NULL, &out, &eb);
    if (!rc) {
        *org = cJSON_DetachItemFromObjectCaseSensitive(out, "Organization");
        cJSON_Delete(out);
        return ERR_OK;
    }
    if (strstr(eb.msg, "not a member of an organization")) return ERR_OK;
    return err_fail(c->eb, rc, "%s", eb.msg);
}

/* OperationNotSupportedException unless the caller's account manages an organization;
 * its id in *org_id (arena). */
static err_t sc_org_management(api_ctx_t *c, const char **org_id)
{
    cJSON *org = NULL;
    err_t rc = sc_org_describe(c, &org);
    const char *master = jx_str(org, "MasterAccountId");
    if (!rc && (!master || strcmp(master, c->account)))
        rc = err_fail(c->eb, ERR_SC_NOT_SUPPORTED,
                      "Only the management account of an organization can manage AWS "
                      "Organizations access for Service Catalog.");
    if (!rc && org_id) *org_id = arena_strdup(c->arena, jx_str(org, "Id"));
    cJSON_Delete(org);
    return rc;
}

/* The caller's access status: ENABLED or DISABLED (never set). */
static err_t sc_org_access(api_ctx_t *c, const char **status)
{
    cJSON *a = NULL;
    err_t rc = sc_find(c, SC_ORG_ACCESS, "access", &a);
    *status = arena_strdup(c->arena,
                           a && jx_str(a, "AccessStatus") ? jx_str(a, "AccessStatus") : "DISABLED");
    cJSON_Delete(a);
    return rc;
}

static err_t sc_org_access_set(api_ctx_t *c, const char *status)
{
    err_t rc = sc_org_management(c, NULL);
    if (rc) return rc;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "AccessStatus", status);
    res_key_t k = {c->scope, SC_ORG_ACCESS, "access"};
    bool found = false;
    int64_t now = clk_now_ms(&c->app->clock);
    rc = res_update(c->tx, &k, NULL, now, body, &found, c->eb);
    res_row_t row = {.created_ms = now, .updated_ms = now};
    if (!rc && !found) rc = res_insert(c->tx, &k, &row, body, c->eb);
    cJSON_Delete(body);
    return rc;
}

err_t sc_enable_aws_organizations_access(api_ctx_t *c)
{
    return sc_org_access_set(c, "ENABLED");
}

err_t sc_disable_aws_organizations_access(api_ctx_t *c)
{
    return sc_org_access_set(c, "DISABLED");
}

err_t sc_get_aws_organizations_access_status(api_ctx_t *c)
{
    const char *status = NULL;
    err_t rc = sc_org_management(c, NULL);
    if (!rc) rc = sc_org_access(c, &status);
    if (!rc) cJSON_AddStringToObject(c->out, "AccessStatus", status);
    return rc;
}

err_t sc_org_recipients(api_ctx_t *c, const cJSON *node, cJSON *accounts)
{
    const char *type = jx_str(node, "Type"), *value = jx_str(node, "Value");
    const char *status = NULL, *org_id = NULL;
    err_t rc = sc_org_access(c, &status);
    if (!rc && strcmp(status, "ENABLED"))
        return err_fail(c->eb, ERR_SC_INVALID_STATE,
                        "Portfolio sharing through AWS Organizations is not enabled: call "
                        "EnableAWSOrganizationsAccess first.");
    if (!rc) rc = sc_org_management(c, &org_id);
    if (rc) return rc;
    if (!strcmp(type, "ORGANIZATIONAL_UNIT"))
        return err_fail(c->eb, ERR_SC_NOT_FOUND, "Organizational unit %s not found.", value);
    const char *tail = strrchr(value, '/');
    if (!strcmp(type, "ORGANIZATION") && strcmp(tail ? tail + 1 : value, org_id))
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Organization %s is not the caller's organization (%s).", value, org_id);
    /* the members, every page of ListAccounts */
    cJSON *in = jx_own(c->arena, cJSON_CreateObject());
    bool member = false;
    for (;;) {
        cJSON *out = NULL;
        rc = api_client_call(c, c->caller, "organizations", "ListAccounts", in, &out, c->eb);
        jx_own(c->arena, out);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "Accounts");
        for (const cJSON *a = list ? list->child : NULL; !rc && a; a = a->next) {
            const char *id = jx_str(a, "Id");
            if (!id || !strcmp(id, c->account) || strcmp(jx_str(a, "Status"), "ACTIVE")) continue;
            if (!strcmp(type, "ACCOUNT") && strcmp(id, value)) continue;
            member = true;
            cJSON_AddItemToArray(accounts, cJSON_CreateString(id));
        }
        const char *next = jx_str(out, "NextToken");
        if (rc || !next) break;
        jx_set_str(in, "NextToken", next);
    }
    if (!rc && !strcmp(type, "ACCOUNT") && !member)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Account %s is not a member of organization %s.", value, org_id);
    return rc;
}

/* keep: shares of the node type ctx, each shown as an OrganizationNode. */
static err_t sc_keep_node(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const char *want = ctx, *type = jx_str(body, "Type");
    *keep = type && !strcmp(type, !strcmp(want, "ACCOUNT") ? "ORGANIZATION_MEMBER_ACCOUNT" : want);
    return ERR_OK;
}

err_t sc_list_organization_portfolio_access(api_ctx_t *c)
{
    const char *port = api_in_str(c, "PortfolioId"), *type = api_in_str(c, "OrganizationNodeType");
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (!rc) rc = sc_org_management(c, NULL);
    if (!rc) rc = sc_require(c, SC_PORTFOLIO, port, "Portfolio");
    if (rc) return rc;
    cJSON *rows = cJSON_CreateArray();
    res_query_t q = {c->scope, SC_SHARE, port, 0, 0};
    rc = res_list_page(c->tx, &q, &p, sc_keep_node, (void *)type, rows, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "OrganizationNodes");
    for (const cJSON *r = rows->child; r; r = r->next) {
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "Type", type);
        cJSON_AddStringToObject(n, "Value", jx_str(r, "PrincipalId"));
        cJSON_AddItemToArray(list, n);
    }
    cJSON_Delete(rows);
    if (!rc) sc_page_out(c, &p);
    return rc;
}
