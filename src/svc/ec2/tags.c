/* tags.c - EC2 tags: CreateTags, DeleteTags, DescribeTags, on every taggable kind
 * (net_int.h, ec2_taggable: instances, images, VPCs, subnets, route tables, internet
 * gateways, Elastic IPs). */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "iam/policy.h"

#include <stdlib.h>
#include <string.h>

/* One resource CreateTags or DeleteTags names. */
typedef struct ec2_tag_target {
    const ec2_kind_t *k;
    cJSON *body; /* arena-owned */
} ec2_tag_target_t;

/* Loads every resource Resources names (all must exist): *n targets in an arena array. */
static err_t ec2_tag_targets(api_ctx_t *c, ec2_tag_target_t **out, int *n)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(c->in, "Resources");
    int cap = cJSON_GetArraySize(res);
    *out = arena_zalloc(c->arena, sizeof(**out) * (size_t)(cap ? cap : 1));
    *n = 0;
    for (const cJSON *r = res ? res->child : NULL; r; r = r->next)
        if (!ec2_kind_of(r->valuestring))
            return err_fail(c->eb, ERR_EC2_INVALID_ID, "The ID '%s' is not valid", r->valuestring);
    err_t rc = ERR_OK;
    for (const cJSON *r = res ? res->child : NULL; !rc && r; r = r->next) {
        ec2_tag_target_t *t = &(*out)[(*n)++];
        t->k = ec2_kind_of(r->valuestring);
        rc = ec2_get(c, t->k, r->valuestring, &t->body);
    }
    return rc;
}

err_t ec2_create_tags(api_ctx_t *c)
{
    ec2_tag_target_t *ts = NULL;
    int n = 0;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_tag_targets(c, &ts, &n);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    for (int j = 0; !rc && j < n; j++) {
        cJSON *i = ts[j].body;
        cJSON *tags = cJSON_GetObjectItemCaseSensitive(i, "Tags");
        if (!tags) tags = cJSON_AddArrayToObject(i, "Tags");
        for (const cJSON *w = want ? want->child : NULL; w; w = w->next) {
            const char *k = jx_str(w, "Key"), *v = jx_str(w, "Value");
            if (!k) continue;
            cJSON *t = tags->child;
            while (t && strcmp(jx_str(t, "Key"), k)) t = t->next;
            if (!t) {
                t = cJSON_CreateObject();
                cJSON_AddStringToObject(t, "Key", k);
                cJSON_AddItemToArray(tags, t);
            }
            cJSON_DeleteItemFromObjectCaseSensitive(t, "Value");
            cJSON_AddStringToObject(t, "Value", v ? v : "");
        }
        if (cJSON_GetArraySize(tags) > 50)
            rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                          "The %s '%s' would have more than 50 tags", ts[j].k->noun,
                          jx_str(i, ts[j].k->id_member));
        if (!rc) rc = ec2_put(c, ts[j].k, i);
    }
    return rc;
}

err_t ec2_delete_tags(api_ctx_t *c)
{
    ec2_tag_target_t *ts = NULL;
    int n = 0;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_tag_targets(c, &ts, &n);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    for (int j = 0; !rc && j < n; j++) {
        cJSON *tags = cJSON_GetObjectItemCaseSensitive(ts[j].body, "Tags");
        for (cJSON *t = tags ? tags->child : NULL; t;) {
            cJSON *next = t->next;
            bool drop = !want || !cJSON_GetArraySize(want); /* no Tags: every tag goes */
            for (const cJSON *w = want ? want->child : NULL; w && !drop; w = w->next) {
                const char *wk = jx_str(w, "Key"), *wv = jx_str(w, "Value");
                drop = wk && !strcmp(wk, jx_str(t, "Key")) &&
                       (!wv || !strcmp(wv, jx_str(t, "Value") ? jx_str(t, "Value") : ""));
            }
            if (drop) cJSON_Delete(cJSON_DetachItemViaPointer(tags, t));
            t = next;
        }
        rc = ec2_put(c, ts[j].k, ts[j].body);
    }
    return rc;
}

/* One DescribeTags read: a page of tags keyed (kind, creation, seq, tag key), read from
 * each taggable kind in turn (ec2_taggable's order), its resources in creation order
 * (each resource's tags in key order). */
typedef struct ec2_tag_walk {
    api_ctx_t *c;
    res_page_t *page, *rows;
    const ec2_kind_t *k;
    cJSON *out;
} ec2_tag_walk_t;

static int ec2_tag_cmp(const void *x, const void *y)
{
    return strcmp(jx_str(*(cJSON *const *)x, "Key"), jx_str(*(cJSON *const *)y, "Key"));
}

/* Does DescribeTags' Filters let tag vals (resource id, key, value, type) through? */
static err_t ec2_tag_match(api_ctx_t *c, const char *const vals[4], bool *keep)
{
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    *keep = true;
    for (const cJSON *f = filters ? filters->child : NULL; f && *keep; f = f->next) {
        const char *name = jx_str(f, "Name");
        int field = !name                            ? -1
                    : !strcmp(name, "resource-id")   ? 0
                    : !strcmp(name, "key")           ? 1
                    : !strcmp(name, "value")         ? 2
                    : !strcmp(name, "resource-type") ? 3
                                                     : -1;
        if (field < 0)
            return err_fail(c->eb, ERR_EC2_INVALID_FILTER, "The filter '%s' is invalid",
                            name ? name : "");
        bool any = false;
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(f, "Values");
        for (const cJSON *v = vs ? vs->child : NULL; v && !any; v = v->next)
            any = policy_wildcard(v->valuestring, vals[field], false);
        *keep = any;
    }
    return ERR_OK;
}

static err_t ec2_tag_row(void *ctx, const cJSON *i, const res_pkey_t *k, bool *keep)
{
    ec2_tag_walk_t *w = ctx;
    *keep = false; /* the rows stay; their tags go on the page */
    if (!ec2_in_region(w->c, i)) return ERR_OK;
    if (w->k == &ec2_kind_instance && ec2_state(i) == EC2_TERMINATED) return ERR_OK;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(i, "Tags");
    int n = cJSON_GetArraySize(tags);
    if (!n) return ERR_OK;
    cJSON **sorted = arena_alloc(w->c->arena, sizeof(*sorted) * (size_t)n);
    int j = 0;
    for (cJSON *t = tags->child; t; t = t->next) sorted[j++] = t;
    qsort(sorted, (size_t)n, sizeof(*sorted), ec2_tag_cmp);
    err_t rc = ERR_OK;
    for (j = 0; j < n && !rc && !w->rows->done; j++) {
        const cJSON *t = sorted[j];
        const char *vals[4] = {jx_str(i, w->k->id_member), jx_str(t, "Key"),
                               jx_str(t, "Value") ? jx_str(t, "Value") : "", w->k->type};
        bool ok;
        rc = ec2_tag_match(w->c, vals, &ok);
        if (rc || !ok) continue;
        res_offer_t o = res_page_offer(
            w->page, &(res_pkey_t){.s = k->s, .n = k->n, .seq = k->seq, .id = vals[1]});
        w->rows->done = o == RES_PAGE_FULL;
        if (o != RES_PAGE_TAKE) continue;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "Key", vals[1]);
        cJSON_AddStringToObject(d, "ResourceId", vals[0]);
        cJSON_AddStringToObject(d, "ResourceType", w->k->type);
        cJSON_AddStringToObject(d, "Value", vals[2]);
        cJSON_AddItemToArray(w->out, d);
    }
    return rc;
}

err_t ec2_describe_tags(api_ctx_t *c)
{
    res_page_t page, rows = {0};
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_page_begin(c, &page, 5, 1000, false, NULL);
    if (rc) return rc;
    /* each kind's rows from the token's resource on: its tags past the token's key are
     * still due (kinds before the token's are done, later ones start at the beginning) */
    ec2_tag_walk_t w = {c, &page, &rows, NULL, cJSON_AddArrayToObject(c->out, "Tags")};
    for (size_t i = 0; !rc && i < ec2_n_taggable && !rows.done; i++) {
        res_page_begin(&rows, "", 0, false, NULL);
        rows.segment = ec2_taggable[i]->kind;
        if (page.after) {
            rows.after = true;
            rows.from = (res_pkey_t){.s = page.from.s, .n = page.from.n, .seq = page.from.seq - 1};
        }
        w.k = ec2_taggable[i];
        res_query_t q = {c->scope, w.k->kind, NULL, 0, 0};
        rc = res_list_page(c->tx, &q, &rows, ec2_tag_row, &w, NULL, c->eb);
    }
    if (!rc) res_page_out(&page, c->out, "NextToken");
    return rc;
}
