/* doc_share.c - sharing documents with other accounts (ModifyDocumentPermission,
 * DescribeDocumentPermission): the owner names account ids, or "All" for everyone, and the
 * version each account may use (SharedDocumentVersion, "$DEFAULT" unless given). Kept in
 * the document's record as _Share: [{AccountId, SharedDocumentVersion}], sorted by
 * AccountId, so a page of DescribeDocumentPermission continues after the last id it gave. */
#include "svc/ssm/ssm_int.h"

#include <string.h>

#define SHARE_MAX 1000 /* accounts a document is shared with (AWS's quota) */

static bool share_is_all(const char *id)
{
    return !strcasecmp(id, "all");
}

/* DocumentPermissionLimit when list mixes "All" with account ids. */
static err_t share_check(api_ctx_t *c, const cJSON *list)
{
    bool all = false, ids = false;
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next)
        share_is_all(e->valuestring) ? (all = true) : (ids = true);
    if (all && ids)
        return err_fail(c->eb, ERR_SSM_DOCUMENT_PERMISSION_LIMIT,
                        "Accounts can either be all or a group of AWS accounts");
    return ERR_OK;
}

/* The entry of share for account id (case-insensitive for "All"), or NULL. */
static cJSON *share_find(cJSON *share, const char *id)
{
    for (cJSON *e = share ? share->child : NULL; e; e = e->next)
        if (!strcasecmp(jx_str(e, "AccountId"), id)) return e;
    return NULL;
}

/* Adds entry to share, keeping it sorted by AccountId. */
static void share_insert(cJSON *share, cJSON *entry)
{
    const char *id = jx_str(entry, "AccountId");
    cJSON *kept = cJSON_CreateArray();
    while (share->child) {
        cJSON *x = cJSON_DetachItemViaPointer(share, share->child);
        if (entry && strcmp(jx_str(x, "AccountId"), id) > 0) {
            cJSON_AddItemToArray(kept, entry);
            entry = NULL;
        }
        cJSON_AddItemToArray(kept, x);
    }
    if (entry) cJSON_AddItemToArray(kept, entry);
    while (kept->child) cJSON_AddItemToArray(share, cJSON_DetachItemViaPointer(kept, kept->child));
    cJSON_Delete(kept);
}

err_t ssm_modify_document_permission(api_ctx_t *c)
{
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(c->in, "AccountIdsToAdd");
    const cJSON *del = cJSON_GetObjectItemCaseSensitive(c->in, "AccountIdsToRemove");
    const char *version = api_in_str(c, "SharedDocumentVersion");
    cJSON *doc = NULL;
    err_t rc = share_check(c, add);
    if (!rc) rc = share_check(c, del);
    if (!rc) rc = ssm_own_doc(c, api_in_str(c, "Name"), &doc);
    if (rc) return rc;
    cJSON *share = cJSON_GetObjectItemCaseSensitive(doc, "_Share");
    if (!share) share = cJSON_AddArrayToObject(doc, "_Share");
    for (const cJSON *e = del ? del->child : NULL; e; e = e->next) {
        cJSON *had = share_find(share, e->valuestring);
        if (had) cJSON_Delete(cJSON_DetachItemViaPointer(share, had));
    }
    for (const cJSON *e = add ? add->child : NULL; !rc && e; e = e->next) {
        bool all = share_is_all(e->valuestring);
        /* sharing with everyone and with named accounts exclude each other */
        for (const cJSON *x = share->child; !rc && x; x = x->next)
            if (share_is_all(jx_str(x, "AccountId")) != all)
                rc = err_fail(c->eb, ERR_SSM_DOCUMENT_PERMISSION_LIMIT,
                              "Accounts can either be all or a group of AWS accounts");
        if (rc) break;
        cJSON *entry = share_find(share, e->valuestring);
        if (!entry) {
            if (cJSON_GetArraySize(share) >= SHARE_MAX) {
                rc = err_fail(c->eb, ERR_SSM_DOCUMENT_PERMISSION_LIMIT,
                              "Document %s can be shared with at most %d accounts.",
                              api_in_str(c, "Name"), SHARE_MAX);
                break;
            }
            entry = cJSON_CreateObject();
            cJSON_AddStringToObject(entry, "AccountId", e->valuestring);
            share_insert(share, entry);
        }
        jx_set_str(entry, "SharedDocumentVersion", version ? version : "$DEFAULT");
    }
    if (!rc)
        rc = res_update(c->tx, &(res_key_t){c->scope, SSM_DOC, jx_str(doc, "Name")}, NULL,
                        clk_now_ms(&c->app->clock), doc, NULL, c->eb);
    cJSON_Delete(doc);
    return rc;
}

err_t ssm_describe_document_permission(api_ctx_t *c)
{
    cJSON *doc = NULL;
    err_t rc = ssm_own_doc(c, api_in_str(c, "Name"), &doc);
    if (rc == ERR_SSM_INVALID_OPERATION) rc = ERR_OK; /* AWS's own: shared with nobody */
    if (rc) return rc;
    const char *after = api_in_str(c, "NextToken");
    int64_t max = api_in_int(c, "MaxResults", 0);
    cJSON *ids = cJSON_AddArrayToObject(c->out, "AccountIds");
    cJSON *info = cJSON_AddArrayToObject(c->out, "AccountSharingInfoList");
    const cJSON *share = doc ? cJSON_GetObjectItemCaseSensitive(doc, "_Share") : NULL;
    if (after && (!*after || strspn(after, "0123456789") != strlen(after)) && !share_is_all(after))
        rc = err_fail(c->eb, ERR_SSM_INVALID_NEXT_TOKEN, "The specified token isn't valid.");
    int64_t n = 0;
    for (const cJSON *e = share ? share->child : NULL; !rc && e; e = e->next) {
        const char *id = jx_str(e, "AccountId");
        if (after && strcmp(id, after) <= 0) continue;
        if (max > 0 && n == max) {
            cJSON_AddStringToObject(c->out, "NextToken", jx_str(e->prev, "AccountId"));
            break;
        }
        cJSON_AddItemToArray(ids, cJSON_CreateString(id));
        cJSON_AddItemToArray(info, cJSON_Duplicate(e, 1));
        n++;
    }
    cJSON_Delete(doc);
    return rc;
}
