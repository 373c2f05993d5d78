/* exports.c - stack exports and imports. An output with Export publishes its value under
 * its name, unique per account and region, when the stack's create or update reaches its
 * outputs; Fn::ImportValue reads it. A stack that imports a name is recorded against the
 * export (cfn.import), so that an export in use can be neither changed nor removed, nor
 * its stack deleted. ListExports, ListImports. */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"

#include "core/clk.h"

#include <stdio.h>
#include <string.h>

/* The id of export name in w's region. */
static const char *exp_id(const app_where_t *w, const char *name, arena_t *arena)
{
    return arena_printf(arena, "%s|%s", w->region, name);
}

const char *cfn_export_value(const app_where_t *w, store_tx_t *tx, const char *name, arena_t *arena)
{
    cJSON *e = NULL;
    errbuf_t eb;
    const char *v = NULL;
    if (!res_get(tx, &(res_key_t){w->scope, CFN_EXPORT, exp_id(w, name, arena)}, &e, &eb) && e &&
        jx_str(e, "Value"))
        v = arena_strdup(arena, jx_str(e, "Value"));
    cJSON_Delete(e);
    return v;
}

err_t cfn_imports_check(app_t *app, store_tx_t *tx, const tpl_t *t, const tpl_ctx_t *ctx,
                        arena_t *arena, errbuf_t *eb)
{
    cJSON *names = NULL;
    app_where_t w;
    snprintf(w.account, sizeof(w.account), "%s", ctx->account_id);
    snprintf(w.region, sizeof(w.region), "%s", ctx->region);
    app_scope(app, w.account, w.region, w.scope, sizeof(w.scope));
    err_t rc = tpl_imports(t, ctx, &names, eb);
    for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next)
        if (!cfn_export_value(&w, tx, n->valuestring, arena))
            rc = err_fail(eb, ERR_VALIDATION, "No export named %s found.", n->valuestring);
    cJSON_Delete(names);
    return rc;
}

/* The name of a stack importing export id (the first), or NULL when none does. */
static const char *exp_importer(const app_where_t *w, store_tx_t *tx, const char *id,
                                arena_t *arena, errbuf_t *eb, err_t *rc)
{
    cJSON *list = cJSON_CreateArray();
    bool more;
    res_query_t q = {w->scope, CFN_IMPORT, id, 0, 1};
    *rc = res_list(tx, &q, list, &more, eb);
    const char *who = list->child ? arena_strdup(arena, jx_str(list->child, "StackName")) : NULL;
    cJSON_Delete(list);
    return who;
}

/* The exports of a stack (bodies); *out owned by the caller. */
static err_t exp_of_stack(const app_where_t *w, store_tx_t *tx, const cJSON *stack, cJSON **out,
                          errbuf_t *eb)
{
    bool more;
    *out = cJSON_CreateArray();
    res_query_t q = {w->scope, CFN_EXPORT, jx_str(stack, "StackId"), 0, 0};
    return res_list(tx, &q, *out, &more, eb);
}

err_t cfn_exports_unused(app_t *app, store_tx_t *tx, const cJSON *stack, arena_t *arena,
                         errbuf_t *eb)
{
    cJSON *mine = NULL;
    app_where_t w;
    cfn_stack_where(app, stack, &w);
    err_t rc = exp_of_stack(&w, tx, stack, &mine, eb);
    for (const cJSON *e = mine->child; !rc && e; e = e->next) {
        const char *who =
            exp_importer(&w, tx, exp_id(&w, jx_str(e, "Name"), arena), arena, eb, &rc);
        if (!rc && who)
            rc = err_fail(eb, ERR_VALIDATION, "Export %s cannot be deleted as it is in use by %s",
                          jx_str(e, "Name"), who);
    }
    cJSON_Delete(mine);
    return rc;
}

/* Replaces the stack's import records (one per name in names) with those of names. */
static err_t exp_set_imports(app_t *app, const app_where_t *w, store_tx_t *tx, cJSON *stack,
                             cJSON *names, arena_t *arena, errbuf_t *eb)
{
    const char *acct = w->scope, *sid = jx_str(stack, "StackId");
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(stack, "_Imports");
    err_t rc = ERR_OK;
    for (const cJSON *n = old ? old->child : NULL; !rc && n; n = n->next) {
        const char *eid = exp_id(w, n->valuestring, arena);
        rc = res_delete(tx, &(res_key_t){acct, CFN_IMPORT, arena_printf(arena, "%s|%s", eid, sid)},
                        NULL, eb);
    }
    int64_t now = clk_now_ms(&app->clock);
    for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next) {
        const char *eid = exp_id(w, n->valuestring, arena);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "StackName", jx_str(stack, "StackName"));
        cJSON_AddStringToObject(b, "StackId", sid);
        cJSON_AddStringToObject(b, "ExportName", n->valuestring);
        res_row_t row = {.parent = eid, .created_ms = now};
        rc = res_insert(tx, &(res_key_t){acct, CFN_IMPORT, arena_printf(arena, "%s|%s", eid, sid)},
                        &row, b, eb);
        cJSON_Delete(b);
    }
    if (!rc) jx_set(stack, "_Imports", names ? cJSON_Duplicate(names, 1) : cJSON_CreateArray());
    return rc;
}

/* The export of the stack named name in mine, or NULL. */
static const cJSON *exp_mine(const cJSON *mine, const char *name)
{
    for (const cJSON *e = mine->child; e; e = e->next)
        if (!strcmp(jx_str(e, "Name"), name)) return e;
    return NULL;
}

err_t cfn_exports_publish(app_t *app, store_tx_t *tx, cJSON *stack, const cJSON *outputs,
                          const tpl_t *t, const tpl_ctx_t *ctx, arena_t *arena, errbuf_t *eb)
{
    app_where_t w;
    cfn_stack_where(app, stack, &w);
    const char *acct = w.scope, *sid = jx_str(stack, "StackId");
    int64_t now = clk_now_ms(&app->clock);
    cJSON *mine = NULL, *names = NULL;
    err_t rc = exp_of_stack(&w, tx, stack, &mine, eb);
    /* the exports this stack no longer has go, unless imported */
    for (const cJSON *e = mine->child; !rc && e; e = e->next) {
        const char *name = jx_str(e, "Name");
        bool kept = false;
        for (const cJSON *o = outputs ? outputs->child : NULL; o && !kept; o = o->next)
            kept = jx_str(o, "ExportName") && !strcmp(jx_str(o, "ExportName"), name);
        if (kept) continue;
        const char *id = exp_id(&w, name, arena);
        const char *who = exp_importer(&w, tx, id, arena, eb, &rc);
        if (!rc && who)
            rc = err_fail(eb, ERR_VALIDATION, "Export %s cannot be deleted as it is in use by %s",
                          name, who);
        if (!rc) rc = res_delete(tx, &(res_key_t){acct, CFN_EXPORT, id}, NULL, eb);
    }
    for (const cJSON *o = outputs ? outputs->child : NULL; !rc && o; o = o->next) {
        const char *name = jx_str(o, "ExportName"), *value = jx_str(o, "OutputValue");
        if (!name) continue;
        const char *id = exp_id(&w, name, arena);
        const cJSON *had = exp_mine(mine, name);
        cJSON *other = NULL;
        if (!had) rc = res_get(tx, &(res_key_t){acct, CFN_EXPORT, id}, &other, eb);
        if (!rc && other) {
            cJSON *s = NULL;
            errbuf_t ignored;
            const char *by = jx_str(other, "ExportingStackId");
            if (!cfn_stack_find(tx, acct, by, false, &s, &ignored)) by = jx_str(s, "StackName");
            rc = err_fail(eb, ERR_VALIDATION,
                          "Export with name %s is already exported by stack %s.", name, by);
            cJSON_Delete(s);
        }
        cJSON_Delete(other);
        if (rc) break;
        if (had && !strcmp(jx_str(had, "Value"), value ? value : "")) continue;
        const char *who = had ? exp_importer(&w, tx, id, arena, eb, &rc) : NULL;
        if (!rc && who)
            rc = err_fail(eb, ERR_VALIDATION, "Export %s cannot be updated as it is in use by %s",
                          name, who);
        if (rc) break;
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "ExportingStackId", sid);
        cJSON_AddStringToObject(b, "Name", name);
        cJSON_AddStringToObject(b, "Value", value ? value : "");
        cJSON_AddStringToObject(b, "_Region", w.region);
        res_row_t row = {.parent = sid, .created_ms = now};
        res_key_t k = {acct, CFN_EXPORT, id};
        rc = had ? res_update(tx, &k, NULL, now, b, NULL, eb) : res_insert(tx, &k, &row, b, eb);
        cJSON_Delete(b);
    }
    if (!rc) rc = tpl_imports(t, ctx, &names, eb);
    if (!rc) rc = exp_set_imports(app, &w, tx, stack, names, arena, eb);
    cJSON_Delete(names);
    cJSON_Delete(mine);
    return rc;
}

err_t cfn_exports_drop(app_t *app, store_tx_t *tx, cJSON *stack, arena_t *arena, errbuf_t *eb)
{
    cJSON *mine = NULL;
    app_where_t w;
    cfn_stack_where(app, stack, &w);
    err_t rc = exp_of_stack(&w, tx, stack, &mine, eb);
    for (const cJSON *e = mine->child; !rc && e; e = e->next)
        rc = res_delete(tx, &(res_key_t){w.scope, CFN_EXPORT, exp_id(&w, jx_str(e, "Name"), arena)},
                        NULL, eb);
    cJSON_Delete(mine);
    if (!rc) rc = exp_set_imports(app, &w, tx, stack, NULL, arena, eb);
    return rc;
}

/* ListExports: this region's exports. */
static err_t exp_keep_region(void *ctx, const cJSON *e, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const char *r = jx_str(e, "_Region");
    *keep = r && !strcmp(r, ((api_ctx_t *)ctx)->region);
    return ERR_OK;
}

err_t cfn_list_exports(api_ctx_t *c)
{
    res_page_t p;
    if (!res_page_begin(&p, c->op->action, 100, false, api_in_str(c, "NextToken")))
        return err_fail(c->eb, ERR_VALIDATION, "Invalid NextToken");
    cJSON *list = cJSON_AddArrayToObject(c->out, "Exports");
    res_query_t q = {c->scope, CFN_EXPORT, NULL, 0, 0};
    err_t rc = res_list_page(c->tx, &q, &p, exp_keep_region, c, list, c->eb);
    for (cJSON *e = list->child; e; e = e->next) jx_drop_internal(e);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}

err_t cfn_list_imports(api_ctx_t *c)
{
    const char *name = api_in_str(c, "ExportName");
    res_page_t p;
    if (!res_page_begin(&p, c->op->action, 100, false, api_in_str(c, "NextToken")))
        return err_fail(c->eb, ERR_VALIDATION, "Invalid NextToken");
    cJSON *page = cJSON_CreateArray();
    app_where_t w;
    cfn_ctx_where(c, &w);
    res_query_t q = {c->scope, CFN_IMPORT, exp_id(&w, name, c->arena), 0, 0};
    err_t rc = res_list_page(c->tx, &q, &p, NULL, NULL, page, c->eb);
    if (!rc && !page->child && !p.after)
        rc = err_fail(c->eb, ERR_VALIDATION, "Export '%s' is not imported by any stack.", name);
    cJSON *list = cJSON_AddArrayToObject(c->out, "Imports");
    for (const cJSON *i = page->child; !rc && i; i = i->next)
        cJSON_AddItemToArray(list, cJSON_CreateString(jx_str(i, "StackName")));
    cJSON_Delete(page);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}
