/* sshkeys.c - users' SSH public keys (for CodeCommit and the like): Upload/Get/List/Update/
 * DeleteSSHPublicKey. A key is checked and converted by x509_ssh_key (iam/x509.h) and kept
 * in both encodings; kind IAM_SSH_KEY, parent the owner's UserId. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "core/ids.h"
#include "iam/x509.h"

#include <string.h>

#define IAM_SSH_KEYS_MAX 5 /* PublicKeysPerUser */

/* The user the request names: UserName, else the calling IAM user. */
static err_t ssh_user(api_ctx_t *c, cJSON **u)
{
    cJSON *user = NULL;
    const char *kind = NULL, *owner = NULL;
    err_t rc = iam_key_owner(c, &user, &kind, &owner);
    if (!rc && !user)
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Must specify userName when calling with non-User credentials");
    *u = user;
    return rc;
}

err_t iam_upload_ssh_public_key(api_ctx_t *c)
{
    cJSON *u = NULL;
    x509_ssh_key_t k = {0};
    err_t rc = ssh_user(c, &u);
    if (!rc) rc = x509_ssh_key(span_of(api_in_str(c, "SSHPublicKeyBody")), &k, c->eb);
    cJSON *mine = cJSON_CreateArray();
    bool more;
    if (!rc)
        rc = res_list(c->tx, &(res_query_t){c->account, IAM_SSH_KEY, jx_str(u, "UserId"), 0, 0},
                      mine, &more, c->eb);
    for (const cJSON *e = mine->child; !rc && e; e = e->next)
        if (!strcmp(jx_str(e, "Fingerprint"), k.fingerprint))
            rc = err_fail(c->eb, ERR_IAM_DUPLICATE_SSH_KEY,
                          "The SSH public key is already associated with the specified IAM user.");
    if (!rc && cJSON_GetArraySize(mine) >= IAM_SSH_KEYS_MAX)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for PublicKeysPerUser: %d", IAM_SSH_KEYS_MAX);
    cJSON_Delete(mine);
    if (!rc) {
        char id[32]; /* APKA + 16, as AWS's SSH key ids are 20 characters */
        ids_chars(&c->app->ids, "APKA", IDS_UPPER_ALNUM, 16, id);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "UserName", jx_str(u, "UserName"));
        cJSON_AddStringToObject(b, "SSHPublicKeyId", id);
        cJSON_AddStringToObject(b, "Fingerprint", k.fingerprint);
        cJSON_AddStringToObject(b, "SSHPublicKeyBody", api_in_str(c, "SSHPublicKeyBody"));
        cJSON_AddStringToObject(b, "Status", "Active");
        cJSON_AddNumberToObject(b, "UploadDate", iam_now(c));
        cJSON_AddStringToObject(b, "SshForm", k.ssh);
        cJSON_AddStringToObject(b, "PemForm", k.pem);
        res_row_t row = {.parent = jx_str(u, "UserId"), .created_ms = (int64_t)(iam_now(c) * 1000)};
        rc = res_insert(c->tx, &(res_key_t){c->account, IAM_SSH_KEY, id}, &row, b, c->eb);
        if (!rc)
            cJSON_AddItemToObject(c->out, "SSHPublicKey", b);
        else
            cJSON_Delete(b);
    }
    x509_ssh_key_free(&k);
    cJSON_Delete(u);
    return rc;
}

/* The key SSHPublicKeyId of the user the request names (NoSuchEntity otherwise). */
static err_t ssh_find(api_ctx_t *c, cJSON **out)
{
    cJSON *u = NULL;
    const char *id = api_in_str(c, "SSHPublicKeyId");
    err_t rc = ssh_user(c, &u);
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->account, IAM_SSH_KEY, id}, out, c->eb);
    if (!rc && *out && strcmp(jx_str(*out, "UserName"), jx_str(u, "UserName"))) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The Public Key with id %s cannot be found.",
                      id);
    cJSON_Delete(u);
    return rc;
}

err_t iam_get_ssh_public_key(api_ctx_t *c)
{
    cJSON *k = NULL;
    err_t rc = ssh_find(c, &k);
    if (rc) return rc;
    const char *enc = api_in_str(c, "Encoding");
    /* the body in the encoding asked for; as uploaded when that is the one */
    const char *body = jx_str(k, "SSHPublicKeyBody");
    bool uploaded_pem = strstr(body, "-----BEGIN") != NULL;
    if (!strcmp(enc, "PEM") != uploaded_pem)
        body = jx_str(k, !strcmp(enc, "PEM") ? "PemForm" : "SshForm");
    jx_set_str(k, "SSHPublicKeyBody", arena_strdup(c->arena, body));
    cJSON_AddItemToObject(c->out, "SSHPublicKey", k);
    return ERR_OK;
}

err_t iam_list_ssh_public_keys(api_ctx_t *c)
{
    res_page_t p;
    cJSON *u = NULL;
    err_t rc = iam_page_in(c, &p);
    if (!rc) rc = ssh_user(c, &u);
    if (rc) return rc;
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->account, IAM_SSH_KEY, jx_str(u, "UserId"), 0, 0};
    rc = res_list_page(c->tx, &q, &p, NULL, NULL, page, c->eb);
    static const char *const meta[] = {"UserName", "SSHPublicKeyId", "Status", "UploadDate", NULL};
    cJSON *out = cJSON_AddArrayToObject(c->out, "SSHPublicKeys");
    for (const cJSON *k = page->child; k; k = k->next) {
        cJSON *m = cJSON_CreateObject();
        jx_copy(m, k, meta);
        cJSON_AddItemToArray(out, m);
    }
    cJSON_Delete(page);
    cJSON_Delete(u);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

err_t iam_update_ssh_public_key(api_ctx_t *c)
{
    cJSON *k = NULL;
    err_t rc = ssh_find(c, &k);
    if (!rc) {
        jx_set_str(k, "Status", api_in_str(c, "Status"));
        res_key_t key = {c->account, IAM_SSH_KEY, jx_str(k, "SSHPublicKeyId")};
        rc = res_update(c->tx, &key, NULL, (int64_t)(iam_now(c) * 1000), k, NULL, c->eb);
    }
    cJSON_Delete(k);
    return rc;
}

err_t iam_delete_ssh_public_key(api_ctx_t *c)
{
    cJSON *k = NULL;
    err_t rc = ssh_find(c, &k);
    if (!rc)
        rc = res_delete(c->tx, &(res_key_t){c->account, IAM_SSH_KEY, jx_str(k, "SSHPublicKeyId")},
                        NULL, c->eb);
    cJSON_Delete(k);
    return rc;
}
