/* managed.c - installing the AWS managed policies. */
#include "iam/managed.h"

#include "res/res.h"

#include <stdio.h>
#include <string.h>

static err_t managed_one(store_tx_t *tx, const iam_managed_t *m, int64_t now_ms, errbuf_t *eb)
{
    char arn[512], id[64], vid[96];
    snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy%s%s", m->path, m->name);
    /* AWS's policy ids look like ANPA + 17; ours are derived from the name, stable */
    uint32_t h = span_fnv1a(SPAN_FNV_BASIS, span_of(m->name));
    snprintf(id, sizeof(id), "ANPAAWSMANAGED%07X", h & 0xfffffff);
    snprintf(vid, sizeof(vid), "%s:%s", id, m->version);
    cJSON *old = NULL;
    err_t rc = res_get_by_name(tx, "aws", "iam.policy", arn, &old, eb);
    bool same = false;
    if (!rc && old) {
        cJSON *v = NULL;
        rc = res_get(tx, &(res_key_t){"aws", "iam.policy_version", vid}, &v, eb);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(v, "Document");
        same = cJSON_IsString(d) && !strcmp(d->valuestring, m->document);
        cJSON_Delete(v);
    }
    if (!rc && old && !same) {
        /* a new catalogd brought a new version: replace the policy and its versions */
        rc =
            store_exec(tx, eb, NULL,
                       "DELETE FROM resources WHERE account = 'aws' AND kind = 'iam.policy_version'"
                       " AND parent = ?",
                       "s", cJSON_GetObjectItemCaseSensitive(old, "PolicyId")->valuestring);
        if (!rc)
            rc = res_delete(
                tx,
                &(res_key_t){"aws", "iam.policy",
                             cJSON_GetObjectItemCaseSensitive(old, "PolicyId")->valuestring},
                NULL, eb);
    }
    cJSON_Delete(old);
    if (rc || same) return rc;
    double t = (double)now_ms / 1000.0;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "PolicyName", m->name);
    cJSON_AddStringToObject(p, "PolicyId", id);
    cJSON_AddStringToObject(p, "Arn", arn);
    cJSON_AddStringToObject(p, "Path", m->path);
    cJSON_AddStringToObject(p, "DefaultVersionId", m->version);
    cJSON_AddNumberToObject(p, "AttachmentCount", 0);
    cJSON_AddNumberToObject(p, "PermissionsBoundaryUsageCount", 0);
    cJSON_AddBoolToObject(p, "IsAttachable", true);
    cJSON_AddStringToObject(p, "Description", m->description);
    cJSON_AddNumberToObject(p, "CreateDate", t);
    cJSON_AddNumberToObject(p, "UpdateDate", t);
    res_row_t row = {.name = arn, .created_ms = now_ms};
    rc = res_insert(tx, &(res_key_t){"aws", "iam.policy", id}, &row, p, eb);
    cJSON_Delete(p);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "Document", m->document);
    cJSON_AddStringToObject(v, "VersionId", m->version);
    cJSON_AddBoolToObject(v, "IsDefaultVersion", true);
    cJSON_AddNumberToObject(v, "CreateDate", t);
    res_row_t vrow = {.parent = id, .created_ms = now_ms};
    if (!rc) rc = res_insert(tx, &(res_key_t){"aws", "iam.policy_version", vid}, &vrow, v, eb);
    cJSON_Delete(v);
    return rc;
}

err_t iam_managed_install(store_t *s, int64_t now_ms, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(s, true, &tx, eb);
    for (size_t i = 0; !rc && i < iam_n_managed_policies; i++)
        rc = managed_one(tx, &iam_managed_policies[i], now_ms, eb);
    if (rc) {
        store_rollback(tx);
        return rc;
    }
    return store_commit(tx, eb);
}
