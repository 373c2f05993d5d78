/* provision.c - provisioned products: ProvisionProduct, DescribeProvisionedProduct,
 * SearchProvisionedProducts, ScanProvisionedProducts, GetProvisionedProductOutputs,
 * UpdateProvisionedProduct, TerminateProvisionedProduct. Each change is a record carried
 * out by the record job (records.c). */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "iam/policy.h"
#include "res/res.h"
#include "tpl/tpl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* May the caller work on a provisioned product launched by user_arn? Its own always
 * (authorization checked the user level); one of another session of its role when its
 * policies allow this operation at role level; anyone's at account level (a statement
 * without an access-level condition is account level, as on AWS). */
bool sc_pp_owned(api_ctx_t *c, const cJSON *pp)
{
    const char *owner = jx_str(pp, "_UserArn");
    if (c->caller->kind == AUTH_ROOT || c->caller->kind == AUTH_SERVICE) return true;
    if (owner && !strcmp(owner, c->caller->arn)) return true;
    const char *level = "servicecatalog:accountLevel";
    if (owner && c->caller->kind == AUTH_ROLE_SESSION) {
        char prefix[400];
        snprintf(prefix, sizeof(prefix), "arn:aws:sts::%s:assumed-role/%s/", c->caller->account,
                 c->caller->name);
        if (!strncmp(owner, prefix, strlen(prefix))) level = "servicecatalog:roleLevel";
    }
    errbuf_t ignore;
    errbuf_t *saved = c->eb;
    c->eb = &ignore;
    bool ok = api_check_action(c, c->op->action, "*", level, "self") == ERR_OK;
    c->eb = saved;
    return ok;
}

err_t sc_pp_find(api_ctx_t *c, const char *id, const char *name, cJSON **out)
{
    *out = NULL;
    err_t rc = ERR_OK;
    if (id) {
        rc = sc_find(c, SC_PP, id, out);
    } else if (name) {
        cJSON *all = cJSON_CreateArray();
        bool more;
        res_query_t q = {c->scope, SC_PP, NULL, 0, 0};
        rc = res_list(c->tx, &q, all, &more, c->eb);
        for (cJSON *p = all->child; !rc && p && !*out; p = p->next)
            if (!strcmp(jx_str(p, "Name"), name) && sc_pp_owned(c, p))
                *out = cJSON_DetachItemViaPointer(all, p);
        cJSON_Delete(all);
    } else {
        return err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                        "Either the provisioned product Id or Name must be given.");
    }
    if (!rc && *out && !sc_pp_owned(c, *out)) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Provisioned product %s not found.", id ? id : name);
    return rc;
}

/* The product a request names by ProductId or ProductName. */
static err_t sc_product_named(api_ctx_t *c, const char *id, const char *name, cJSON **out)
{
    if (id) return sc_get(c, SC_PRODUCT, id, "Product", out);
    *out = NULL;
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_PRODUCT, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *p = all->child; !rc && p && !*out; p = p->next)
        if (name &&
            !strcmp(jx_str(cJSON_GetObjectItemCaseSensitive(p, "ProductViewSummary"), "Name"),
                    name))
            *out = cJSON_DetachItemViaPointer(all, p);
    cJSON_Delete(all);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_SC_NOT_FOUND, "Product %s not found.", name ? name : "(none)");
    return rc;
}

/* The artifact of product a request names by ProvisioningArtifactId or Name; it must be active. */
err_t sc_artifact_named(api_ctx_t *c, const char *product_id, const char *id, const char *name,
                        cJSON **out)
{
    *out = NULL;
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_ARTIFACT, product_id, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *a = all->child; !rc && a && !*out; a = a->next)
        if ((id && !strcmp(jx_str(a, "Id"), id)) ||
            (!id && name && !strcmp(jx_str(a, "Name"), name)))
            *out = cJSON_DetachItemViaPointer(all, a);
    cJSON_Delete(all);
    if (!rc && !*out)
        return err_fail(c->eb, ERR_SC_NOT_FOUND,
                        "Provisioning artifact %s not found for product %s.",
                        id     ? id
                        : name ? name
                               : "(none)",
                        product_id);
    if (!rc && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(*out, "Active")))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "Provisioning artifact %s is not active.",
                      jx_str(*out, "Id"));
    return rc;
}

/* The launch path: PathId (or PathName) among the caller's, or the first that holds the product. */
err_t sc_path_for(api_ctx_t *c, const char *product_id, const char **path)
{
    const char *want = api_in_str(c, "PathId"), *want_name = api_in_str(c, "PathName");
    bool ok = false;
    const char *first = NULL;
    err_t rc = sc_caller_has_product(c, product_id, &ok, &first);
    if (rc) return rc;
    if (!ok) return err_fail(c->eb, ERR_SC_NOT_FOUND, "Product %s not found.", product_id);
    if (!want && !want_name) {
        *path = first;
        return ERR_OK;
    }
    cJSON *ports = NULL;
    rc = sc_caller_portfolios(c, &ports);
    *path = NULL;
    for (cJSON *p = ports ? ports->child : NULL; !rc && p && !*path; p = p->next) {
        cJSON *port = NULL;
        if (want && !sc_path_is(c, want, p->valuestring, product_id)) continue;
        const char *own = c->scope, *home = own;
        rc = sc_catalog_scope(c, p->valuestring, &home);
        c->scope = home;
        if (!rc) rc = sc_get(c, SC_PORTFOLIO, p->valuestring, "Portfolio", &port);
        c->scope = own;
        if (!rc && (want || !strcmp(jx_str(port, "DisplayName"), want_name)))
            *path = arena_strdup(c->arena, p->valuestring);
        cJSON_Delete(port);
    }
    cJSON_Delete(ports);
    if (!rc && !*path)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Launch path %s is not available for product %s.", want ? want : want_name,
                      product_id);
    return rc;
}

/* Parameters as the record job keeps them: [{Key, Value}] checked against the template. */
err_t sc_check_params(api_ctx_t *c, const char *tmpl, const cJSON *given)
{
    tpl_t *t = NULL;
    err_t rc = tpl_parse(span_of(tmpl), &t, c->eb);
    cJSON *obj = cJSON_CreateObject(), *bound = NULL;
    for (const cJSON *p = given ? given->child : NULL; p; p = p->next)
        if (jx_str(p, "Key") && !jx_true(p, "UsePreviousValue"))
            cJSON_AddStringToObject(obj, jx_str(p, "Key"),
                                    jx_str(p, "Value") ? jx_str(p, "Value") : "");
    if (!rc) rc = tpl_bind(t, obj, &bound, c->eb);
    if (rc) rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS, "%s", c->eb->msg);
    cJSON_Delete(obj);
    cJSON_Delete(bound);
    tpl_free(t);
    return rc;
}

cJSON *sc_stack_tags(api_ctx_t *c, const cJSON *pp, const cJSON *tags)
{
    cJSON *st = cJSON_CreateArray();
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
        cJSON_AddItemToArray(st, cJSON_Duplicate(t, 1));
    const char *pid = jx_str(pp, "ProductId"), *path = jx_str(pp, "_PathId");
    /* the catalog's account: the caller's, or the hub's of an imported portfolio */
    char hub[16];
    const char *acct =
        jx_str(pp, "_Catalog") ? app_scope_account(jx_str(pp, "_Catalog"), hub) : c->account;
    /* the launching principal: the provisioned product's first owner */
    const char *who =
        jx_str(pp, "_LaunchedBy") ? jx_str(pp, "_LaunchedBy") : jx_str(pp, "_UserArn");
    const char *sys[][2] = {
        {"aws:servicecatalog:provisionedProductArn", jx_str(pp, "Arn")},
        {"aws:servicecatalog:productArn",
         arena_printf(c->arena, "arn:aws:catalog:%s:%s:product/%s", c->region, acct, pid)},
        {"aws:servicecatalog:portfolioArn",
         arena_printf(c->arena, "arn:aws:catalog:%s:%s:portfolio/%s", c->region, acct, path)},
        {"aws:servicecatalog:provisioningPrincipalArn", who},
    };
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key", sys[i][0]);
        cJSON_AddStringToObject(t, "Value", sys[i][1] ? sys[i][1] : "");
        cJSON_AddItemToArray(st, t);
    }
    return st;
}

cJSON *sc_pp_new(api_ctx_t *c, const char *name, const char *product_id, const char *artifact_id)
{
    const char *id = sc_new_id(c, "pp-");
    cJSON *pp = cJSON_CreateObject();
    cJSON_AddStringToObject(pp, "Name", name);
    cJSON_AddStringToObject(pp, "Arn",
                            arena_printf(c->arena, "arn:aws:servicecatalog:%s:%s:stack/%s/%s",
                                         c->region, c->account, name, id));
    cJSON_AddStringToObject(pp, "Type", "CFN_STACK");
    cJSON_AddStringToObject(pp, "Id", id);
    cJSON_AddStringToObject(pp, "Status", "UNDER_CHANGE");
    cJSON_AddNumberToObject(pp, "CreatedTime", sc_now(c));
    cJSON_AddStringToObject(pp, "LastRecordId", "");
    cJSON_AddStringToObject(pp, "LastProvisioningRecordId", "");
    cJSON_AddStringToObject(pp, "ProductId", product_id);
    cJSON_AddStringToObject(pp, "ProvisioningArtifactId", artifact_id);
    cJSON_AddStringToObject(pp, "_UserArn", c->caller->arn);
    return pp;
}

err_t sc_provision_product(api_ctx_t *c)
{
    const char *name = api_in_str(c, "ProvisionedProductName");
    const char *token = api_in_str(c, "ProvisionToken");
    cJSON *prod = NULL, *pa = NULL, *pp = NULL;
    const char *path = NULL, *role = NULL;
    /* a retried request returns its first record */
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->scope, SC_PP, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (cJSON *p = all->child; !rc && p; p = p->next) {
        if (token && jx_str(p, "IdempotencyToken") &&
            !strcmp(jx_str(p, "IdempotencyToken"), token) &&
            !strcmp(jx_str(p, "_UserArn"), c->caller->arn)) {
            cJSON *rec = NULL;
            rc = sc_get(c, SC_RECORD, jx_str(p, "LastProvisioningRecordId"), "Record", &rec);
            if (!rc) cJSON_AddItemToObject(c->out, "RecordDetail", sc_record_view(rec));
            cJSON_Delete(rec);
            cJSON_Delete(all);
            return rc;
        }
        if (!strcmp(jx_str(p, "Name"), name) && strcmp(jx_str(p, "Status"), "TERMINATED"))
            rc = err_fail(c->eb, ERR_SC_DUPLICATE,
                          "A provisioned product with the name %s already exists.", name);
    }
    cJSON_Delete(all);
    /* the product's catalog: the caller's own, or the hub's of an imported portfolio */
    const char *own = c->scope, *home = own;
    if (!rc) rc = sc_product_home(c, api_in_str(c, "ProductId"), &home);
    c->scope = home;
    if (!rc)
        rc = sc_product_named(c, api_in_str(c, "ProductId"), api_in_str(c, "ProductName"), &prod);
    c->scope = own;
    const char *pid =
        prod ? jx_str(prod, "_Id")
                   ? jx_str(prod, "_Id")
                   : jx_str(cJSON_GetObjectItemCaseSensitive(prod, "ProductViewSummary"),
                            "ProductId")
             : NULL;
    if (!rc) rc = sc_path_for(c, pid, &path);
    cJSON *port = NULL;
    c->scope = home; /* the version, the path's constraints (a LocalRoleName is the caller's) */
    if (!rc)
        rc = sc_artifact_named(c, pid, api_in_str(c, "ProvisioningArtifactId"),
                               api_in_str(c, "ProvisioningArtifactName"), &pa);
    if (!rc)
        rc = sc_check_params(c, jx_str(pa, "_Template"),
                             cJSON_GetObjectItemCaseSensitive(c->in, "ProvisioningParameters"));
    if (!rc) rc = sc_launch_role(c, path, pid, &role);
    cJSON *tags = NULL; /* the request's, with what the TagOptions add */
    if (!rc)
        rc =
            sc_tagoption_tags(c, path, pid, cJSON_GetObjectItemCaseSensitive(c->in, "Tags"), &tags);
    c->scope = own;
    if (!rc) {
        pp = sc_pp_new(c, name, pid, jx_str(pa, "Id"));
        const char *id = jx_str(pp, "Id");
        if (token) cJSON_AddStringToObject(pp, "IdempotencyToken", token);
        if (role) cJSON_AddStringToObject(pp, "LaunchRoleArn", role);
        cJSON_AddStringToObject(pp, "_PathId", path);
        if (strcmp(home, own)) cJSON_AddStringToObject(pp, "_Catalog", home);
        cJSON_AddItemToObject(pp, "_Tags", cJSON_Duplicate(tags, 1));
        cJSON_AddItemToObject(
            pp, "_Params",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c->in, "ProvisioningParameters"), 1));
        res_row_t row = {.state = "UNDER_CHANGE", .created_ms = clk_now_ms(&c->app->clock)};
        rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PP, id}, &row, pp, c->eb);
        /* what the record job needs to launch the stack */
        cJSON *work = cJSON_CreateObject();
        cJSON_AddStringToObject(work, "_Template", jx_str(pa, "_Template"));
        cJSON_AddItemToObject(
            work, "_Params",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c->in, "ProvisioningParameters"), 1));
        cJSON_AddStringToObject(work, "_StackName",
                                arena_printf(c->arena, "SC-%s-%s", c->account, id));
        cJSON_AddItemToObject(work, "_StackTags", sc_stack_tags(c, pp, tags));
        if (!rc)
            rc = sc_record_start(c, pp, "PROVISION_PRODUCT", work, NULL);
        else
            cJSON_Delete(work);
        if (!rc) rc = sc_put(c, SC_PP, id, pp);
    }
    cJSON_Delete(tags);
    cJSON_Delete(pp);
    cJSON_Delete(pa);
    cJSON_Delete(port);
    cJSON_Delete(prod);
    return rc;
}

/* The ProvisionedProductDetail view: without the internal members. */
static cJSON *sc_pp_detail(const cJSON *pp)
{
    cJSON *d = cJSON_Duplicate(pp, 1);
    jx_drop_internal(d);
    return d;
}

err_t sc_describe_provisioned_product(api_ctx_t *c)
{
    cJSON *pp = NULL;
    err_t rc = sc_pp_find(c, api_in_str(c, "Id"), api_in_str(c, "Name"), &pp);
    if (!rc) {
        cJSON_AddItemToObject(c->out, "ProvisionedProductDetail", sc_pp_detail(pp));
        cJSON_AddArrayToObject(c->out, "CloudWatchDashboards");
    }
    cJSON_Delete(pp);
    return rc;
}

/* The name of provisioned product pp's product (in c's arena), or NULL. */
static const char *sc_pp_product_name(api_ctx_t *c, const cJSON *pp)
{
    cJSON *prod = NULL;
    errbuf_t ignore;
    const char *name = NULL;
    if (!res_get(c->tx, &(res_key_t){sc_pp_catalog(c, pp), SC_PRODUCT, jx_str(pp, "ProductId")},
                 &prod, &ignore) &&
        prod) {
        name = jx_str(cJSON_GetObjectItemCaseSensitive(prod, "ProductViewSummary"), "Name");
        name = name ? arena_strdup(c->arena, name) : NULL;
    }
    cJSON_Delete(prod);
    return name;
}

/* The ProvisionedProductAttribute view. */
static cJSON *sc_pp_attribute(api_ctx_t *c, const cJSON *pp)
{
    cJSON *a = sc_pp_detail(pp);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(pp, "_Tags");
    cJSON_AddItemToObject(a, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    if (jx_str(pp, "_Stack")) cJSON_AddStringToObject(a, "PhysicalId", jx_str(pp, "_Stack"));
    const char *product = sc_pp_product_name(c, pp);
    if (product) cJSON_AddStringToObject(a, "ProductName", product);
    cJSON *pa = NULL;
    errbuf_t ignore;
    if (!res_get(
            c->tx,
            &(res_key_t){sc_pp_catalog(c, pp), SC_ARTIFACT, jx_str(pp, "ProvisioningArtifactId")},
            &pa, &ignore) &&
        pa)
        cJSON_AddStringToObject(a, "ProvisioningArtifactName", jx_str(pa, "Name"));
    cJSON_Delete(pa);
    const char *user = jx_str(pp, "_UserArn");
    if (user) {
        /* a session's user ARN is its role; the session name goes apart */
        const char *slash = strstr(user, ":assumed-role/") ? strrchr(user, '/') : NULL;
        if (slash) {
            cJSON_AddStringToObject(a, "UserArn",
                                    arena_printf(c->arena, "%.*s", (int)(slash - user), user));
            cJSON_AddStringToObject(a, "UserArnSession", user);
        } else {
            cJSON_AddStringToObject(a, "UserArn", user);
        }
    }
    return a;
}

/* The AccessLevelFilter's level: Account, Role, or User (the default). */
static const char *sc_pp_level(api_ctx_t *c)
{
    const char *key = jx_str(cJSON_GetObjectItemCaseSensitive(c->in, "AccessLevelFilter"), "Key");
    return key && (!strcmp(key, "Account") || !strcmp(key, "Role")) ? key : "User";
}

/* The Role level's owner prefix: the sessions of the filter's role (Value "self": the
 * caller's), "arn:aws:sts::<account>:assumed-role/<role name>/", in out. */
static void sc_pp_role_prefix(api_ctx_t *c, char out[600])
{
    const char *value =
        jx_str(cJSON_GetObjectItemCaseSensitive(c->in, "AccessLevelFilter"), "Value");
    const char *role = value && strcmp(value, "self") ? value : c->caller->role_arn;
    const char *rn = strrchr(role ? role : "", '/');
    snprintf(out, 600, "arn:aws:sts::%s:assumed-role/%s/", c->account, rn ? rn + 1 : "");
}

/* Does the AccessLevelFilter (User by default) show the caller provisioned product p? */
bool sc_pp_visible(api_ctx_t *c, const cJSON *p)
{
    const char *level = sc_pp_level(c), *owner = jx_str(p, "_UserArn");
    if (!strcmp(level, "Account"))
        return true; /* authorization already checked servicecatalog:accountLevel = self */
    if (!strcmp(level, "Role")) {
        char prefix[600];
        sc_pp_role_prefix(c, prefix);
        return owner && !strncmp(owner, prefix, strlen(prefix));
    }
    return owner && !strcmp(owner, c->caller->arn);
}

/* Filters.SearchQuery: free text over name, id, status, product (each term must match)
 * of provisioned product p (its product's name looked up only when a term needs it). */
static bool sc_pp_query_ok(api_ctx_t *c, const cJSON *q, const cJSON *p)
{
    for (const cJSON *w = q ? q->child : NULL; w; w = w->next) {
        const char *s = w->valuestring, *colon = strchr(s, ':');
        bool keep;
        if (colon) { /* field:value */
            char field[64];
            snprintf(field, sizeof(field), "%.*s", (int)(colon - s), s);
            const char *fv = !strcasecmp(field, "name")        ? jx_str(p, "Name")
                             : !strcasecmp(field, "status")    ? jx_str(p, "Status")
                             : !strcasecmp(field, "productId") ? jx_str(p, "ProductId")
                             : !strcasecmp(field, "id")        ? jx_str(p, "Id")
                                                               : NULL;
            keep = fv && strstr(fv, colon + 1);
        } else {
            const char *name = jx_str(p, "Name"), *id = jx_str(p, "Id"), *product;
            keep = (name && strstr(name, s)) || (id && strstr(id, s)) ||
                   ((product = sc_pp_product_name(c, p)) && strstr(product, s));
        }
        if (!keep) return false;
    }
    return true;
}

/* One SearchProvisionedProducts read. */
typedef struct sc_pp_search {
    api_ctx_t *c;
    const cJSON *query; /* Filters.SearchQuery, or NULL */
    res_page_t *page;   /* with a query: the page the hits are offered to */
    cJSON *rows;        /* ... and its rows */
    int64_t total;
} sc_pp_search_t;

/* Is p a hit: visible at the access level and matching the SearchQuery? */
static err_t sc_pp_hit(void *ctx, const cJSON *p, const res_pkey_t *k, bool *keep)
{
    (void)k;
    sc_pp_search_t *s = ctx;
    *keep = sc_pp_visible(s->c, p) && (!s->query || sc_pp_query_ok(s->c, s->query, p));
    return ERR_OK;
}

/* With a SearchQuery, one read counts every hit and offers each to the page, in the
 * read's order (keeping none itself). */
static err_t sc_pp_query_hit(void *ctx, const cJSON *p, const res_pkey_t *k, bool *keep)
{
    sc_pp_search_t *s = ctx;
    err_t rc = sc_pp_hit(ctx, p, k, keep);
    if (*keep) {
        s->total++;
        if (res_page_offer(s->page, k) == RES_PAGE_TAKE)
            cJSON_AddItemToArray(s->rows, cJSON_Duplicate(p, 1));
    }
    *keep = false;
    return rc;
}

/* TotalResultsCount with no SearchQuery, from the index: every row at the Account level,
 * the owner's keys at the User and Role levels. */
static err_t sc_pp_search_total(sc_pp_search_t *s, const res_keyed_t *q)
{
    api_ctx_t *c = s->c;
    const char *level = sc_pp_level(c);
    if (!strcmp(level, "Account")) {
        res_query_t all = {q->account, q->kind, NULL, 0, 0};
        return res_count(c->tx, &all, &s->total, c->eb);
    }
    char prefix[600];
    res_keyed_t t = {q->account, q->kind, NULL, SC_KEY_OWNER, c->caller->arn, false};
    if (!strcmp(level, "Role")) {
        sc_pp_role_prefix(c, prefix);
        t.value = prefix;
        t.prefix = true;
    }
    return res_keyed_count(c->tx, &t, &s->total, c->eb);
}

/* At the User level, a sorted search of a caller with at most this many provisioned
 * products sorts them in memory (their keys are the sorted read's: the same tokens). */
#define SC_PP_SORT_MEM 1000

/* Gathering the caller's rows for an in-memory sort by one keyed member. */
typedef struct sc_pp_sorting {
    const char *member; /* the SortBy member (its key's field) */
    res_sort_t sort;
} sc_pp_sorting_t;

/* Adds a row under its sorted read's key (value, created_ms, seq); keeps none itself. */
static err_t sc_pp_sort_add(void *ctx, const cJSON *p, const res_pkey_t *k, bool *keep)
{
    sc_pp_sorting_t *so = ctx;
    const char *v = jx_str(p, so->member);
    res_pkey_t key = {.s = v ? v : "", .n = k->n, .seq = k->seq};
    res_sort_add(&so->sort, cJSON_Duplicate(p, 1), &key);
    *keep = false;
    return ERR_OK;
}

err_t sc_search_provisioned_products(api_ctx_t *c)
{
    /* SortBy name|arn|id|status|idempotencyToken|lastRecordId|createdTime; ASCENDING default */
    const char *sort = api_in_str(c, "SortBy"), *order = api_in_str(c, "SortOrder");
    bool desc = order && !strcmp(order, "DESCENDING");
    const char *field = !sort                               ? NULL
                        : !strcmp(sort, "name")             ? "Name"
                        : !strcmp(sort, "id")               ? "Id"
                        : !strcmp(sort, "status")           ? "Status"
                        : !strcmp(sort, "arn")              ? "Arn"
                        : !strcmp(sort, "lastRecordId")     ? "LastRecordId"
                        : !strcmp(sort, "idempotencyToken") ? "IdempotencyToken"
                                                            : NULL;
    res_page_t p;
    err_t rc = sc_page_in(c, &p,
                          arena_printf(c->arena, "%s/%s/%s", c->op->action, field ? field : "",
                                       desc ? "desc" : "asc"));
    if (rc) return rc;
    p.desc = desc;
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c->in, "Filters"), "SearchQuery");
    cJSON *page = cJSON_CreateArray();
    sc_pp_search_t s = {
        .c = c, .query = cJSON_GetArraySize(query) ? query : NULL, .page = &p, .rows = page};
    /* sorted by the member's key (its index), and at the User level only the caller's
     * rows through the owner's keys: the page reads its rows and no others, but for those
     * a Role level passes over; a SearchQuery reads on to count its hits */
    const char *level = sc_pp_level(c);
    res_keyed_t q = {c->scope, SC_PP, field, NULL, NULL, false};
    if (!strcmp(level, "User")) {
        q.field = SC_KEY_OWNER;
        q.value = c->caller->arn;
    }
    if (s.query) { /* free text: no index; every row the level covers is tested */
        res_page_t all;
        res_page_begin(&all, "", 0, desc, NULL);
        rc = res_keyed_page(c->tx, &q, &all, sc_pp_query_hit, &s, NULL, c->eb);
    } else {
        rc = sc_pp_search_total(&s, &q);
        if (!rc && field && !strcmp(level, "User") && s.total <= SC_PP_SORT_MEM) {
            /* the caller's few rows, sorted here: a read of the member's key order would
             * pass over everyone else's rows before the first of the caller's */
            res_keyed_t own = {c->scope, SC_PP, NULL, SC_KEY_OWNER, c->caller->arn, false};
            sc_pp_sorting_t so = {field, {0}};
            res_page_t all;
            res_page_begin(&all, "", 0, false, NULL);
            rc = res_keyed_page(c->tx, &own, &all, sc_pp_sort_add, &so, NULL, c->eb);
            cJSON *none = rc ? cJSON_CreateArray() : NULL;
            res_sort_page(&so.sort, rc ? &all : &p, rc ? none : page); /* frees what it leaves */
            cJSON_Delete(none);
        } else if (!rc) {
            rc = res_keyed_page(c->tx, &q, &p, strcmp(level, "Role") ? NULL : sc_pp_hit, &s, page,
                                c->eb);
        }
    }
    cJSON *out = cJSON_AddArrayToObject(c->out, "ProvisionedProducts");
    for (const cJSON *pp = page->child; pp; pp = pp->next)
        cJSON_AddItemToArray(out, sc_pp_attribute(c, pp));
    cJSON_Delete(page);
    if (rc) return rc;
    cJSON_AddNumberToObject(c->out, "TotalResultsCount", (double)s.total);
    sc_page_out(c, &p);
    return ERR_OK;
}

/* ScanProvisionedProducts: the visible ones (ctx: c). */
static err_t sc_pp_keep_visible(void *ctx, const cJSON *p, const res_pkey_t *k, bool *keep)
{
    (void)k;
    *keep = sc_pp_visible(ctx, p);
    return ERR_OK;
}

err_t sc_scan_provisioned_products(api_ctx_t *c)
{
    if (strcmp(sc_pp_level(c), "User"))
        return sc_list_kind(c, SC_PP, sc_pp_keep_visible, c, sc_pp_detail, "ProvisionedProducts");
    /* the caller's own (the default level): through its owner keys, in creation order as
     * the other levels (the same page keys), reading only the page's rows */
    res_page_t p;
    err_t rc = sc_page_in(c, &p, NULL);
    if (rc) return rc;
    res_keyed_t q = {c->scope, SC_PP, NULL, SC_KEY_OWNER, c->caller->arn, false};
    cJSON *page = cJSON_CreateArray();
    rc = res_keyed_page(c->tx, &q, &p, NULL, NULL, page, c->eb);
    cJSON *out = cJSON_AddArrayToObject(c->out, "ProvisionedProducts");
    for (const cJSON *pp = page->child; pp; pp = pp->next)
        cJSON_AddItemToArray(out, sc_pp_detail(pp));
    cJSON_Delete(page);
    if (!rc) sc_page_out(c, &p);
    return rc;
}

err_t sc_get_provisioned_product_outputs(api_ctx_t *c)
{
    cJSON *pp = NULL;
    err_t rc = sc_pp_find(c, api_in_str(c, "ProvisionedProductId"),
                          api_in_str(c, "ProvisionedProductName"), &pp);
    if (rc) return rc;
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(c->in, "OutputKeys");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(pp, "_Outputs");
    cJSON *list = cJSON_AddArrayToObject(c->out, "Outputs");
    for (const cJSON *o = outs ? outs->child : NULL; o; o = o->next) {
        bool keep = !cJSON_GetArraySize(keys);
        for (const cJSON *k = keys ? keys->child : NULL; k && !keep; k = k->next)
            keep = !strcmp(k->valuestring, jx_str(o, "OutputKey"));
        if (keep) cJSON_AddItemToArray(list, cJSON_Duplicate(o, 1));
    }
    cJSON_Delete(pp);
    return ERR_OK;
}

/* A provisioned product must be stable for a change to start. */
err_t sc_pp_stable(api_ctx_t *c, const cJSON *pp)
{
    const char *st = jx_str(pp, "Status");
    if (!strcmp(st, "AVAILABLE") || !strcmp(st, "TAINTED") || !strcmp(st, "ERROR")) return ERR_OK;
    return err_fail(c->eb, ERR_SC_INVALID_STATE,
                    "Provisioned product %s is in state %s and cannot be changed now.",
                    jx_str(pp, "Id"), st);
}

/* The parameters of an update with each UsePreviousValue entry replaced by the value the
 * provisioned product has now (from prev, its current [{Key, Value}]); an entry with no
 * previous value is dropped, so the template's default applies. New array. */
cJSON *sc_resolve_previous(const cJSON *given, const cJSON *prev)
{
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *p = given ? given->child : NULL; p; p = p->next) {
        const char *key = jx_str(p, "Key");
        if (!key || !jx_true(p, "UsePreviousValue")) {
            cJSON_AddItemToArray(out, cJSON_Duplicate(p, 1));
            continue;
        }
        for (const cJSON *q = prev ? prev->child : NULL; q; q = q->next) {
            if (jx_str(q, "Key") && !strcmp(jx_str(q, "Key"), key) && jx_str(q, "Value")) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "Key", key);
                cJSON_AddStringToObject(e, "Value", jx_str(q, "Value"));
                cJSON_AddItemToArray(out, e);
                break;
            }
        }
    }
    return out;
}

/* Do two tag lists hold the same Key/Value pairs (in any order)? */
static bool sc_same_tags(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
    for (const cJSON *t = a ? a->child : NULL; t; t = t->next) {
        bool found = false;
        for (const cJSON *u = b->child; u && !found; u = u->next) found = cJSON_Compare(t, u, true);
        if (!found) return false;
    }
    return true;
}

/* The tags an UpdateProvisionedProduct gives pp: with Tags, the request's checked against
 * the TagOptions (as a launch's), and, when they differ from pp's, allowed by a
 * RESOURCE_UPDATE constraint; *tags new, or NULL to keep pp's. */
static err_t sc_update_tags(api_ctx_t *c, const cJSON *pp, cJSON **tags)
{
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    *tags = NULL;
    if (!given) return ERR_OK;
    const char *path = jx_str(pp, "_PathId"), *pid = jx_str(pp, "ProductId");
    err_t rc = sc_tagoption_tags(c, path, pid, given, tags);
    bool allowed = false;
    if (!rc && !sc_same_tags(*tags, cJSON_GetObjectItemCaseSensitive(pp, "_Tags")))
        rc = sc_tag_updates_allowed(c, path, pid, &allowed);
    else if (!rc)
        allowed = true;
    if (!rc && !allowed)
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "Tag updates are not allowed for provisioned product %s: its product needs "
                      "a RESOURCE_UPDATE constraint with TagUpdateOnProvisionedProduct ALLOWED.",
                      jx_str(pp, "Id"));
    if (rc) {
        cJSON_Delete(*tags);
        *tags = NULL;
    }
    return rc;
}

err_t sc_update_provisioned_product(api_ctx_t *c)
{
    cJSON *pp = NULL, *pa = NULL;
    err_t rc = sc_pp_find(c, api_in_str(c, "ProvisionedProductId"),
                          api_in_str(c, "ProvisionedProductName"), &pp);
    if (!rc) rc = sc_pp_stable(c, pp);
    if (!rc && !jx_str(pp, "_Stack"))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE, "Provisioned product %s has no stack to update.",
                      jx_str(pp, "Id"));
    const char *pid = pp ? jx_str(pp, "ProductId") : NULL;
    if (!rc && api_in_str(c, "ProductId") && strcmp(api_in_str(c, "ProductId"), pid))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "A provisioned product cannot change product.");
    /* another launch path (one the caller has) moves it there; its own is always fine */
    const char *want = api_in_str(c, "PathId"), *path = NULL;
    if (!rc && (want || api_in_str(c, "PathName")) &&
        !(want && jx_str(pp, "_PathId") && sc_path_is(c, want, jx_str(pp, "_PathId"), pid))) {
        rc = sc_path_for(c, pid, &path);
        if (!rc) jx_set_str(pp, "_PathId", path);
    }
    const char *paid = api_in_str(c, "ProvisioningArtifactId");
    if (!rc && !paid && !api_in_str(c, "ProvisioningArtifactName"))
        paid = jx_str(pp, "ProvisioningArtifactId");
    const char *own = c->scope;
    c->scope = pp ? sc_pp_catalog(c, pp) : own; /* the version may be a hub's */
    if (!rc) rc = sc_artifact_named(c, pid, paid, api_in_str(c, "ProvisioningArtifactName"), &pa);
    c->scope = own;
    cJSON *params =
        sc_resolve_previous(cJSON_GetObjectItemCaseSensitive(c->in, "ProvisioningParameters"),
                            cJSON_GetObjectItemCaseSensitive(pp, "_Params"));
    if (!rc) rc = sc_check_params(c, jx_str(pa, "_Template"), params);
    cJSON *tags = NULL; /* new tags: only when Tags are given */
    if (!rc) rc = sc_update_tags(c, pp, &tags);
    if (!rc) {
        cJSON *work = cJSON_CreateObject();
        if (tags) {
            cJSON_AddItemToObject(work, "_StackTags", sc_stack_tags(c, pp, tags));
            jx_set(pp, "_Tags", tags);
            tags = NULL;
        }
        cJSON_AddStringToObject(work, "_Template", jx_str(pa, "_Template"));
        cJSON_AddItemToObject(work, "_Params", params);
        params = NULL;
        jx_set_str(pp, "Status", "UNDER_CHANGE");
        rc = sc_record_start(c, pp, "UPDATE_PROVISIONED_PRODUCT", work, NULL);
        /* the record names the version it moves to */
        cJSON *rd = cJSON_GetObjectItemCaseSensitive(c->out, "RecordDetail");
        if (!rc && rd) {
            jx_set_str(rd, "ProvisioningArtifactId", jx_str(pa, "Id"));
            cJSON *rec = NULL;
            rc = sc_get(c, SC_RECORD, jx_str(rd, "RecordId"), "Record", &rec);
            if (!rc) {
                jx_set_str(rec, "ProvisioningArtifactId", jx_str(pa, "Id"));
                rc = sc_put(c, SC_RECORD, jx_str(rd, "RecordId"), rec);
            }
            cJSON_Delete(rec);
        }
        if (!rc) rc = sc_put(c, SC_PP, jx_str(pp, "Id"), pp);
    }
    cJSON_Delete(tags);
    cJSON_Delete(params);
    cJSON_Delete(pa);
    cJSON_Delete(pp);
    return rc;
}

err_t sc_terminate_provisioned_product(api_ctx_t *c)
{
    cJSON *pp = NULL;
    err_t rc = sc_pp_find(c, api_in_str(c, "ProvisionedProductId"),
                          api_in_str(c, "ProvisionedProductName"), &pp);
    if (!rc && !jx_true(c->in, "IgnoreErrors")) rc = sc_pp_stable(c, pp);
    if (!rc) {
        cJSON *work = cJSON_CreateObject();
        if (jx_true(c->in, "IgnoreErrors")) cJSON_AddBoolToObject(work, "_IgnoreErrors", true);
        if (jx_true(c->in, "RetainPhysicalResources") || !jx_str(pp, "_Stack"))
            cJSON_AddBoolToObject(work, "_Retain", true);
        jx_set_str(pp, "Status", "UNDER_CHANGE");
        rc = sc_record_start(c, pp, "TERMINATE_PROVISIONED_PRODUCT", work, NULL);
        if (!rc) rc = sc_put(c, SC_PP, jx_str(pp, "Id"), pp);
    }
    cJSON_Delete(pp);
    return rc;
}
