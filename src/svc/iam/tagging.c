/* tagging.c - the Tags list of an IAM entity body (MFA devices, SAML providers, OpenID
 * Connect providers): adding with IAM's 50-tag quota, kept in key order, removing by key,
 * and listing one Marker/MaxItems page by key. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <string.h>

#define IAM_MAX_TAGS 50

err_t iam_tags_put(api_ctx_t *c, cJSON *body)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "Tags");
    if (!tags) tags = cJSON_AddArrayToObject(body, "Tags");
    for (const cJSON *t = in ? in->child : NULL; t; t = t->next) {
        const char *key = jx_str(t, "Key");
        for (cJSON *o = tags->child; key && o; o = o->next)
            if (!strcmp(jx_str(o, "Key"), key)) {
                jx_set_str(o, "Value", jx_str(t, "Value"));
                key = NULL;
            }
        if (key) cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    }
    if (cJSON_GetArraySize(tags) > IAM_MAX_TAGS)
        return err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                        "The number of tags has reached the maximum limit.");
    jx_sort_by(tags, "Key", false);
    return ERR_OK;
}

static void iam_tags_drop(api_ctx_t *c, cJSON *body)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(c->in, "TagKeys");
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "Tags");
    for (const cJSON *k = keys ? keys->child : NULL; tags && k; k = k->next) {
        cJSON *o = tags->child;
        while (o && strcmp(jx_str(o, "Key"), k->valuestring)) o = o->next;
        if (o) cJSON_Delete(cJSON_DetachItemViaPointer(tags, o));
    }
}

/* One page of body's tags, by key, as ListXTags answers. */
static err_t iam_tags_out(api_ctx_t *c, const cJSON *body)
{
    res_page_t pg;
    err_t rc = iam_page_in(c, &pg);
    if (rc) return rc;
    res_sort_t s = {0};
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "Tags");
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
        res_sort_add(&s, cJSON_Duplicate(t, 1), &(res_pkey_t){.s = jx_str(t, "Key")});
    res_sort_page(&s, &pg, cJSON_AddArrayToObject(c->out, "Tags"));
    iam_page_out(c, &pg);
    return ERR_OK;
}

err_t iam_tags_op(api_ctx_t *c, iam_tag_op_t op, iam_find_fn find, iam_save_fn save)
{
    cJSON *body = NULL;
    err_t rc = find(c, &body);
    if (!rc && op == IAM_TAG_LIST) rc = iam_tags_out(c, body);
    if (!rc && op == IAM_TAG_PUT) rc = iam_tags_put(c, body);
    if (!rc && op == IAM_TAG_DROP) iam_tags_drop(c, body);
    if (!rc && op != IAM_TAG_LIST) rc = save(c, body);
    cJSON_Delete(body);
    return rc;
}
