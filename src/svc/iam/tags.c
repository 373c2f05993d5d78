/* tags.c - tags on IAM roles, users, customer managed policies, instance profiles and
 * server certificates: Tag<Type>, Untag<Type>, List<Type>Tags, and the Tags a Create call
 * brings (iam_tags_apply). IAM keeps at most 50 tags on a resource and compares tag keys
 * without regard to case (case is preserved): a tag whose key differs from a present one
 * only in case replaces it. The tags live in the entity's body as its "Tags" member. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define IAM_MAX_TAGS 50

/* What a tagging call acts on. */
typedef enum tag_type { TT_ROLE, TT_USER, TT_POLICY, TT_PROFILE, TT_SERVER_CERT } tag_type_t;

static const struct {
    const char *kind, *id_member, *quota;
} tag_types[] = {
    [TT_ROLE] = {IAM_ROLE, "RoleId", "TagsPerRole"},
    [TT_USER] = {IAM_USER, "UserId", "TagsPerUser"},
    [TT_POLICY] = {IAM_POLICY, "PolicyId", "TagsPerPolicy"},
    [TT_PROFILE] = {IAM_PROFILE, "InstanceProfileId", "TagsPerInstanceProfile"},
    [TT_SERVER_CERT] = {IAM_SERVER_CERT, "ServerCertificateId", "TagsPerServerCertificate"},
};

/* The entity the request names (NoSuchEntity in IAM's words when absent); for a write,
 * never an AWS managed policy. */
static err_t tag_load(api_ctx_t *c, tag_type_t t, bool write, cJSON **out)
{
    switch (t) {
    case TT_ROLE:
        return iam_find(c, "role", api_in_str(c, "RoleName"), out);
    case TT_USER:
        return iam_find(c, "user", api_in_str(c, "UserName"), out);
    case TT_POLICY:
        return write ? iam_own_policy(c, api_in_str(c, "PolicyArn"), out)
                     : iam_policy_by_arn(c, api_in_str(c, "PolicyArn"), out);
    case TT_PROFILE:
        return iam_profile_find(c, api_in_str(c, "InstanceProfileName"), out);
    case TT_SERVER_CERT:
        return iam_server_cert_find(c, api_in_str(c, "ServerCertificateName"), out);
    }
    return ERR_INTERNAL;
}

static err_t tag_save(api_ctx_t *c, tag_type_t t, const cJSON *body)
{
    if (t == TT_POLICY) return iam_policy_save(c, body);
    res_key_t k = {c->account, tag_types[t].kind, jx_str(body, tag_types[t].id_member)};
    return res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), body, NULL, c->eb);
}

/* The tag of list whose key equals key without regard to case, or NULL. */
static cJSON *tag_find(const cJSON *list, const char *key)
{
    for (cJSON *t = list ? list->child : NULL; t; t = t->next) {
        const char *k = jx_str(t, "Key");
        if (k && !strcasecmp(k, key)) return t;
    }
    return NULL;
}

err_t iam_tags_apply(api_ctx_t *c, cJSON *body, const cJSON *tags, const char *quota)
{
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
        for (const cJSON *u = t->next; u; u = u->next)
            if (!strcasecmp(jx_str(t, "Key"), jx_str(u, "Key")))
                return err_fail(c->eb, ERR_IAM_INVALID_INPUT,
                                "Duplicate tag keys found. Please note that Tag keys are case "
                                "insensitive.");
    if (!tags || !tags->child) return ERR_OK;
    cJSON *have = cJSON_GetObjectItemCaseSensitive(body, "Tags");
    if (!cJSON_IsArray(have)) {
        cJSON_DeleteItemFromObjectCaseSensitive(body, "Tags");
        have = cJSON_AddArrayToObject(body, "Tags");
    }
    for (const cJSON *t = tags->child; t; t = t->next) {
        cJSON *old = tag_find(have, jx_str(t, "Key"));
        cJSON *dup = cJSON_Duplicate(t, 1);
        if (old)
            cJSON_ReplaceItemViaPointer(have, old, dup);
        else
            cJSON_AddItemToArray(have, dup);
    }
    if (cJSON_GetArraySize(have) > IAM_MAX_TAGS)
        return err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for %s: %d.", quota,
                        IAM_MAX_TAGS);
    return ERR_OK;
}

/* Tag<Type>: merges the request's Tags into the entity's. */
static err_t tag_add(api_ctx_t *c, tag_type_t t)
{
    cJSON *e = NULL;
    err_t rc = tag_load(c, t, true, &e);
    if (!rc)
        rc = iam_tags_apply(c, e, cJSON_GetObjectItemCaseSensitive(c->in, "Tags"),
                            tag_types[t].quota);
    if (!rc) rc = tag_save(c, t, e);
    cJSON_Delete(e);
    return rc;
}

/* Untag<Type>: drops the tags whose keys the request names (absent ones are no error). */
static err_t tag_remove(api_ctx_t *c, tag_type_t t)
{
    cJSON *e = NULL;
    err_t rc = tag_load(c, t, true, &e);
    if (rc) return rc;
    cJSON *have = cJSON_GetObjectItemCaseSensitive(e, "Tags");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(c->in, "TagKeys");
    for (const cJSON *k = keys ? keys->child : NULL; k; k = k->next) {
        cJSON *old = cJSON_IsString(k) ? tag_find(have, k->valuestring) : NULL;
        if (old) cJSON_Delete(cJSON_DetachItemViaPointer(have, old));
    }
    if (have && !cJSON_GetArraySize(have)) cJSON_DeleteItemFromObjectCaseSensitive(e, "Tags");
    rc = tag_save(c, t, e);
    cJSON_Delete(e);
    return rc;
}

/* List<Type>Tags: one Marker/MaxItems page of the entity's tags, in the order of their
 * keys (compared without regard to case, as IAM compares them). */
static err_t tag_list(api_ctx_t *c, tag_type_t t)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    cJSON *e = NULL;
    if (!rc) rc = tag_load(c, t, false, &e);
    if (rc) return rc;
    cJSON *have = cJSON_GetObjectItemCaseSensitive(e, "Tags");
    int n = cJSON_GetArraySize(have);
    /* the keys folded, sorted with their tags */
    struct kt {
        const char *fold;
        const cJSON *tag;
    } *v = arena_alloc(c->arena, sizeof(*v) * (size_t)(n ? n : 1));
    int i = 0;
    for (const cJSON *x = have ? have->child : NULL; x; x = x->next, i++) {
        v[i] = (struct kt){iam_fold(c, jx_str(x, "Key") ? jx_str(x, "Key") : ""), x};
        for (int j = i; j > 0 && strcmp(v[j - 1].fold, v[j].fold) > 0; j--) {
            struct kt tmp = v[j];
            v[j] = v[j - 1];
            v[j - 1] = tmp;
        }
    }
    cJSON *out = cJSON_AddArrayToObject(c->out, "Tags");
    for (i = 0; i < n; i++) {
        res_offer_t o = res_page_offer(&p, &(res_pkey_t){.s = v[i].fold});
        if (o == RES_PAGE_FULL) break;
        if (o == RES_PAGE_TAKE) cJSON_AddItemToArray(out, cJSON_Duplicate(v[i].tag, 1));
    }
    iam_page_out(c, &p);
    cJSON_Delete(e);
    return ERR_OK;
}

err_t iam_tag_role(api_ctx_t *c)
{
    return tag_add(c, TT_ROLE);
}
err_t iam_untag_role(api_ctx_t *c)
{
    return tag_remove(c, TT_ROLE);
}
err_t iam_list_role_tags(api_ctx_t *c)
{
    return tag_list(c, TT_ROLE);
}
err_t iam_tag_user(api_ctx_t *c)
{
    return tag_add(c, TT_USER);
}
err_t iam_untag_user(api_ctx_t *c)
{
    return tag_remove(c, TT_USER);
}
err_t iam_list_user_tags(api_ctx_t *c)
{
    return tag_list(c, TT_USER);
}
err_t iam_tag_policy(api_ctx_t *c)
{
    return tag_add(c, TT_POLICY);
}
err_t iam_untag_policy(api_ctx_t *c)
{
    return tag_remove(c, TT_POLICY);
}
err_t iam_list_policy_tags(api_ctx_t *c)
{
    return tag_list(c, TT_POLICY);
}
err_t iam_tag_instance_profile(api_ctx_t *c)
{
    return tag_add(c, TT_PROFILE);
}
err_t iam_untag_instance_profile(api_ctx_t *c)
{
    return tag_remove(c, TT_PROFILE);
}
err_t iam_list_instance_profile_tags(api_ctx_t *c)
{
    return tag_list(c, TT_PROFILE);
}
err_t iam_tag_server_certificate(api_ctx_t *c)
{
    return tag_add(c, TT_SERVER_CERT);
}
err_t iam_untag_server_certificate(api_ctx_t *c)
{
    return tag_remove(c, TT_SERVER_CERT);
}
err_t iam_list_server_certificate_tags(api_ctx_t *c)
{
    return tag_list(c, TT_SERVER_CERT);
}
