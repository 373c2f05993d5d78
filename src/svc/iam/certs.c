/* certs.c - certificates IAM keeps: server certificates (Upload/Get/List/Update/
 * DeleteServerCertificate; tags in tags.c) and users' signing certificates (Upload/List/
 * Update/DeleteSigningCertificate). Every PEM input is checked with OpenSSL (iam/x509.h)
 * before anything is stored; a server certificate's private key is sealed at rest
 * (auth/seal.h) and never returned. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "auth/keys.h"
#include "iam/x509.h"

#include <string.h>

#define IAM_SERVER_CERTS_MAX  20 /* ServerCertificatesPerAccount */
#define IAM_SIGNING_CERTS_MAX 2  /* SigningCertificatesPerUser */

/* ---- server certificates */

err_t iam_server_cert_find(api_ctx_t *c, const char *name, cJSON **out)
{
    err_t rc = res_get_by_name(c->tx, c->account, IAM_SERVER_CERT, iam_fold(c, name), out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                      "The Server Certificate with name %s cannot be found.", name);
    return rc;
}

/* The metadata members of a stored server certificate, new. */
static cJSON *cert_metadata(const cJSON *b)
{
    static const char *const names[] = {
        "Path", "ServerCertificateName", "ServerCertificateId", "Arn", "UploadDate", "Expiration",
        NULL};
    cJSON *m = cJSON_CreateObject();
    jx_copy(m, b, names);
    return m;
}

err_t iam_upload_server_certificate(api_ctx_t *c)
{
    const char *name = api_in_str(c, "ServerCertificateName");
    const char *path = api_in_str(c, "Path");
    const char *body = api_in_str(c, "CertificateBody");
    const char *key = api_in_str(c, "PrivateKey");
    const char *chain = api_in_str(c, "CertificateChain");
    x509_info_t info;
    err_t rc =
        x509_check(span_of(body), span_of(key), chain ? span_of(chain) : span_of(""), &info, c->eb);
    if (rc) return rc;
    cJSON *existing = NULL;
    rc = res_get_by_name(c->tx, c->account, IAM_SERVER_CERT, iam_fold(c, name), &existing, c->eb);
    cJSON_Delete(existing);
    if (!rc && existing)
        rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS,
                      "The Server Certificate with name %s already exists.", name);
    int64_t n = 0;
    if (!rc)
        rc = res_count(c->tx, &(res_query_t){c->account, IAM_SERVER_CERT, NULL, 0, 0}, &n, c->eb);
    if (!rc && n >= IAM_SERVER_CERTS_MAX)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for ServerCertificatesPerAccount: %d",
                      IAM_SERVER_CERTS_MAX);
    buf_t sealed;
    buf_init(&sealed, 128 * 1024);
    if (!rc && !seal_seal(auth_keys_seal(c->app->keys), &c->app->ids, span_of(key), &sealed))
        rc = err_fail(c->eb, ERR_INTERNAL, "cannot seal the private key");
    char id[32];
    iam_new_id(c, "ASCA", id);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Path", path ? path : "/");
    cJSON_AddStringToObject(b, "ServerCertificateName", name);
    cJSON_AddStringToObject(b, "ServerCertificateId", id);
    cJSON_AddStringToObject(b, "Arn", iam_arn(c, "server-certificate", path, name));
    cJSON_AddNumberToObject(b, "UploadDate", iam_now(c));
    cJSON_AddNumberToObject(b, "Expiration", (double)info.not_after_ms / 1000.0);
    cJSON_AddStringToObject(b, "CertificateBody", body);
    if (chain) cJSON_AddStringToObject(b, "CertificateChain", chain);
    cJSON_AddStringToObject(b, "SealedPrivateKey", rc ? "" : buf_str(&sealed));
    buf_free(&sealed);
    if (!rc)
        rc = iam_tags_apply(c, b, cJSON_GetObjectItemCaseSensitive(c->in, "Tags"),
                            "TagsPerServerCertificate");
    res_row_t row = {.name = iam_fold(c, name), .created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->account, IAM_SERVER_CERT, id}, &row, b, c->eb);
    if (!rc) {
        cJSON_AddItemToObject(c->out, "ServerCertificateMetadata", cert_metadata(b));
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(b, "Tags");
        if (tags) cJSON_AddItemToObject(c->out, "Tags", cJSON_Duplicate(tags, 1));
    }
    cJSON_Delete(b);
    return rc;
}

err_t iam_get_server_certificate(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = iam_server_cert_find(c, api_in_str(c, "ServerCertificateName"), &b);
    if (rc) return rc;
    cJSON *sc = cJSON_AddObjectToObject(c->out, "ServerCertificate");
    cJSON_AddItemToObject(sc, "ServerCertificateMetadata", cert_metadata(b));
    static const char *const names[] = {"CertificateBody", "CertificateChain", "Tags", NULL};
    jx_copy(sc, b, names);
    cJSON_Delete(b);
    return ERR_OK;
}

err_t iam_list_server_certificates(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    if (rc) return rc;
    cJSON *page = cJSON_CreateArray();
    res_query_t q = {c->account, IAM_SERVER_CERT, NULL, 0, 0};
    rc = res_list_page(c->tx, &q, &p, iam_keep_path, c, page, c->eb);
    cJSON *out = cJSON_AddArrayToObject(c->out, "ServerCertificateMetadataList");
    for (const cJSON *b = page->child; b; b = b->next) cJSON_AddItemToArray(out, cert_metadata(b));
    cJSON_Delete(page);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

err_t iam_update_server_certificate(api_ctx_t *c)
{
    const char *name = api_in_str(c, "ServerCertificateName");
    const char *new_name = api_in_str(c, "NewServerCertificateName");
    const char *new_path = api_in_str(c, "NewPath");
    cJSON *b = NULL;
    err_t rc = iam_server_cert_find(c, name, &b);
    if (rc) return rc;
    if (new_name && strcmp(iam_fold(c, new_name), iam_fold(c, name))) {
        cJSON *other = NULL;
        rc = res_get_by_name(c->tx, c->account, IAM_SERVER_CERT, iam_fold(c, new_name), &other,
                             c->eb);
        cJSON_Delete(other);
        if (!rc && other)
            rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS,
                          "The Server Certificate with name %s already exists.", new_name);
    }
    if (!rc) {
        const char *final = arena_strdup(c->arena, new_name ? new_name : name);
        const char *path = arena_strdup(c->arena, new_path ? new_path : jx_str(b, "Path"));
        jx_set_str(b, "ServerCertificateName", final);
        jx_set_str(b, "Path", path);
        jx_set_str(b, "Arn", iam_arn(c, "server-certificate", path, final));
        res_key_t k = {c->account, IAM_SERVER_CERT, jx_str(b, "ServerCertificateId")};
        rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), b, NULL, c->eb);
        if (!rc) rc = iam_rename_row(c, k.kind, k.id, final);
    }
    cJSON_Delete(b);
    return rc;
}

err_t iam_delete_server_certificate(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = iam_server_cert_find(c, api_in_str(c, "ServerCertificateName"), &b);
    if (!rc)
        rc = res_delete(c->tx,
                        &(res_key_t){c->account, IAM_SERVER_CERT, jx_str(b, "ServerCertificateId")},
                        NULL, c->eb);
    cJSON_Delete(b);
    return rc;
}

/* ---- signing certificates */

err_t iam_upload_signing_certificate(api_ctx_t *c)
{
    const char *body = api_in_str(c, "CertificateBody");
    cJSON *user = NULL;
    const char *kind = NULL, *owner = NULL;
    x509_info_t info = {0};
    err_t rc = iam_key_owner(c, &user, &kind, &owner);
    if (!rc) rc = x509_check(span_of(body), span_of(""), span_of(""), &info, c->eb);
    /* the same certificate is not uploaded twice in the account */
    cJSON *all = cJSON_CreateArray();
    bool more;
    if (!rc)
        rc = res_list(c->tx, &(res_query_t){c->account, IAM_SIGNING_CERT, NULL, 0, 0}, all, &more,
                      c->eb);
    int mine = 0;
    for (const cJSON *e = all->child; !rc && e; e = e->next) {
        if (!strcmp(jx_str(e, "Fingerprint"), info.fingerprint))
            rc = err_fail(c->eb, ERR_IAM_DUPLICATE_CERT,
                          "The Certificate with id %s already exists.", jx_str(e, "CertificateId"));
        mine += !strcmp(jx_str(e, "Owner"), owner);
    }
    cJSON_Delete(all);
    if (!rc && mine >= IAM_SIGNING_CERTS_MAX)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for CertificatesPerUser: %d", IAM_SIGNING_CERTS_MAX);
    if (rc) {
        cJSON_Delete(user);
        return rc;
    }
    char cid[40]; /* 24 upper-case alphanumerics */
    ids_chars(&c->app->ids, "", IDS_UPPER_ALNUM, 24, cid);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "UserName", user ? jx_str(user, "UserName") : c->account);
    cJSON_AddStringToObject(b, "CertificateId", cid);
    cJSON_AddStringToObject(b, "CertificateBody", body);
    cJSON_AddStringToObject(b, "Status", "Active");
    cJSON_AddNumberToObject(b, "UploadDate", iam_now(c));
    cJSON_AddStringToObject(b, "Fingerprint", info.fingerprint);
    cJSON_AddStringToObject(b, "Owner", owner);
    res_row_t row = {.parent = owner, .created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc)
        rc = res_insert(c->tx, &(res_key_t){c->account, IAM_SIGNING_CERT, cid}, &row, b, c->eb);
    if (!rc)
        cJSON_AddItemToObject(c->out, "Certificate", b);
    else
        cJSON_Delete(b);
    cJSON_Delete(user);
    return rc;
}

err_t iam_list_signing_certificates(api_ctx_t *c)
{
    res_page_t p;
    cJSON *user = NULL;
    const char *kind = NULL, *owner = NULL;
    err_t rc = iam_page_in(c, &p);
    if (!rc) rc = iam_key_owner(c, &user, &kind, &owner);
    cJSON_Delete(user);
    if (rc) return rc;
    res_query_t q = {c->account, IAM_SIGNING_CERT, owner, 0, 0};
    rc = res_list_page(c->tx, &q, &p, NULL, NULL, cJSON_AddArrayToObject(c->out, "Certificates"),
                       c->eb);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

/* The signing certificate CertificateId of the request's owner (NoSuchEntity otherwise). */
static err_t signing_find(api_ctx_t *c, cJSON **out)
{
    cJSON *user = NULL;
    const char *kind = NULL, *owner = NULL;
    const char *id = api_in_str(c, "CertificateId");
    err_t rc = iam_key_owner(c, &user, &kind, &owner);
    cJSON_Delete(user);
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->account, IAM_SIGNING_CERT, id}, out, c->eb);
    if (!rc && *out && strcmp(jx_str(*out, "Owner"), owner)) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The Certificate with id %s cannot be found.",
                      id);
    return rc;
}

err_t iam_update_signing_certificate(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = signing_find(c, &b);
    if (!rc) {
        jx_set_str(b, "Status", api_in_str(c, "Status"));
        res_key_t k = {c->account, IAM_SIGNING_CERT, jx_str(b, "CertificateId")};
        rc = res_update(c->tx, &k, NULL, (int64_t)(iam_now(c) * 1000), b, NULL, c->eb);
    }
    cJSON_Delete(b);
    return rc;
}

err_t iam_delete_signing_certificate(api_ctx_t *c)
{
    cJSON *b = NULL;
    err_t rc = signing_find(c, &b);
    if (!rc)
        rc = res_delete(c->tx,
                        &(res_key_t){c->account, IAM_SIGNING_CERT, jx_str(b, "CertificateId")},
                        NULL, c->eb);
    cJSON_Delete(b);
    return rc;
}
