/* tags.c - EC2 tags on instances: CreateTags, DeleteTags, DescribeTags. */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "iam/policy.h"

#include <string.h>

/* Loads the instances named by Resources (only instance ids are taggable here). */
static err_t ec2_tag_targets(api_ctx_t *c, cJSON **insts)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(c->in, "Resources");
    for (const cJSON *r = res ? res->child : NULL; r; r = r->next)
        if (strncmp(r->valuestring, "i-", 2))
            return err_fail(c->eb, ERR_EC2_INVALID_ID, "The ID '%s' is not valid", r->valuestring);
    return ec2_load(c, res, insts);
}

err_t ec2_create_tags(api_ctx_t *c)
{
    cJSON *insts = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_tag_targets(c, &insts);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    int64_t now = clk_now_ms(&c->app->clock);
    for (cJSON *i = insts ? insts->child : NULL; !rc && i; i = i->next) {
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
            rc =
                err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                         "The instance '%s' would have more than 50 tags", jx_str(i, "InstanceId"));
        if (!rc) rc = ec2_save(c->tx, c->app->cfg.account_id, i, now, c->eb);
    }
    cJSON_Delete(insts);
    return rc;
}

err_t ec2_delete_tags(api_ctx_t *c)
{
    cJSON *insts = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_tag_targets(c, &insts);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    int64_t now = clk_now_ms(&c->app->clock);
    for (cJSON *i = insts ? insts->child : NULL; !rc && i; i = i->next) {
        cJSON *tags = cJSON_GetObjectItemCaseSensitive(i, "Tags");
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
        rc = ec2_save(c->tx, c->app->cfg.account_id, i, now, c->eb);
    }
    cJSON_Delete(insts);
    return rc;
}

err_t ec2_describe_tags(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    cJSON *all = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->app->cfg.account_id, EC2_INSTANCE, NULL, 0, 0};
    if (!rc) rc = res_list(c->tx, &q, all, &more, c->eb);
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    cJSON *out = cJSON_CreateArray();
    for (cJSON *i = all->child; !rc && i; i = i->next) {
        if (ec2_state(i) == EC2_TERMINATED) continue;
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(i, "Tags");
        for (const cJSON *t = tags ? tags->child : NULL; !rc && t; t = t->next) {
            const char *vals[4] = {jx_str(i, "InstanceId"), jx_str(t, "Key"),
                                   jx_str(t, "Value") ? jx_str(t, "Value") : "", "instance"};
            bool keep = true;
            for (const cJSON *f = filters ? filters->child : NULL; f && keep && !rc; f = f->next) {
                const char *name = jx_str(f, "Name");
                int field = !name                            ? -1
                            : !strcmp(name, "resource-id")   ? 0
                            : !strcmp(name, "key")           ? 1
                            : !strcmp(name, "value")         ? 2
                            : !strcmp(name, "resource-type") ? 3
                                                             : -1;
                if (field < 0) {
                    rc = err_fail(c->eb, ERR_EC2_INVALID_FILTER, "The filter '%s' is invalid",
                                  name ? name : "");
                    break;
                }
                bool any = false;
                const cJSON *vs = cJSON_GetObjectItemCaseSensitive(f, "Values");
                for (const cJSON *v = vs ? vs->child : NULL; v && !any; v = v->next)
                    any = policy_wildcard(v->valuestring, vals[field], false);
                keep = any;
            }
            if (!keep || rc) continue;
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "Key", vals[1]);
            cJSON_AddStringToObject(d, "ResourceId", vals[0]);
            cJSON_AddStringToObject(d, "ResourceType", "instance");
            cJSON_AddStringToObject(d, "Value", vals[2]);
            cJSON_AddItemToArray(out, d);
        }
    }
    cJSON_Delete(all);
    if (!rc) {
        cJSON_AddItemToObject(c->out, "Tags", out);
        return ERR_OK;
    }
    cJSON_Delete(out);
    return rc;
}
