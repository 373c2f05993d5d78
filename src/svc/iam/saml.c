/* saml.c - IAM SAML identity providers: CreateSAMLProvider, GetSAMLProvider,
 * ListSAMLProviders, UpdateSAMLProvider, DeleteSAMLProvider and their tags. A provider is
 * an IAM_SAML entity keyed by its ARN (arn:aws:iam::ACCT:saml-provider/NAME) holding the
 * metadata document as given; the document must parse as IdP metadata with a signing
 * certificate (auth/saml.h), and sts:AssumeRoleWithSAML reads it through
 * iam/saml_provider.h to verify assertions. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "auth/saml.h"

#include <string.h>

#define IAM_SAML_YEARS_MS (100LL * 365 * 24 * 3600 * 1000) /* ValidUntil without validUntil */
#define IAM_SAML_QUOTA    100                              /* SAML providers in an account */

/* Parses the request's SAMLMetadataDocument; InvalidInput in IAM's words when it is not
 * IdP metadata with a signing certificate. *valid_until_ms from the document or 0. */
static err_t saml_doc(api_ctx_t *c, int64_t *valid_until_ms)
{
    saml_meta_t m;
    char why[256];
    if (!saml_meta_parse(span_of(api_in_str(c, "SAMLMetadataDocument")), c->arena, &m, why,
                         sizeof(why)))
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT, "%s", why);
    *valid_until_ms = m.valid_until_ms;
    return ERR_OK;
}

/* The provider the request's SAMLProviderArn names; InvalidInput for an ARN that is not
 * a SAML provider's of this account, NoSuchEntity when there is none. */
static err_t saml_find(api_ctx_t *c, cJSON **out)
{
    const char *arn = api_in_str(c, "SAMLProviderArn");
    const char *prefix = arena_printf(c->arena, "arn:aws:iam::%s:saml-provider/", c->account);
    *out = NULL;
    if (strncmp(arn, prefix, strlen(prefix)) || !arn[strlen(prefix)])
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT, "ARN %s is not valid.", arn);
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_SAML, arn}, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "Manifest not found for arn %s", arn);
    return rc;
}

static err_t saml_save(api_ctx_t *c, const cJSON *p)
{
    return res_update(c->tx, &(res_key_t){c->account, IAM_SAML, jx_str(p, "Arn")}, NULL,
                      (int64_t)(iam_now(c) * 1000), p, NULL, c->eb);
}

static void saml_valid_until(api_ctx_t *c, cJSON *p, int64_t until_ms)
{
    jx_set_num(p, "ValidUntil",
               until_ms ? (double)until_ms / 1000.0 : iam_now(c) + IAM_SAML_YEARS_MS / 1000.0);
}

err_t iam_create_saml_provider(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name");
    const char *arn = iam_arn(c, "saml-provider", "/", name);
    int64_t until = 0;
    err_t rc = saml_doc(c, &until);
    cJSON *existing = NULL;
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->account, IAM_SAML, arn}, &existing, c->eb);
    if (!rc && existing)
        rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "SAMLProvider %s already exists.", name);
    cJSON_Delete(existing);
    int64_t n = 0;
    if (!rc)
        rc = res_count(c->tx, &(res_query_t){.account = c->account, .kind = IAM_SAML}, &n, c->eb);
    if (!rc && n >= IAM_SAML_QUOTA)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for SAMLProvidersPerAccount: %d", IAM_SAML_QUOTA);
    if (rc) return rc;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Arn", arn);
    cJSON_AddStringToObject(p, "Name", name);
    cJSON_AddStringToObject(p, "SAMLMetadataDocument", api_in_str(c, "SAMLMetadataDocument"));
    cJSON_AddNumberToObject(p, "CreateDate", iam_now(c));
    saml_valid_until(c, p, until);
    rc = iam_tags_put(c, p);
    res_row_t row = {.created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->account, IAM_SAML, arn}, &row, p, c->eb);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "SAMLProviderArn", arn);
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "Tags");
        if (cJSON_GetArraySize(tags))
            cJSON_AddItemToObject(c->out, "Tags", cJSON_Duplicate(tags, 1));
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_get_saml_provider(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = saml_find(c, &p);
    if (!rc) {
        static const char *const keep[] = {"SAMLMetadataDocument", "CreateDate", "ValidUntil",
                                           NULL};
        jx_copy(c->out, p, keep);
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "Tags");
        if (cJSON_GetArraySize(tags))
            cJSON_AddItemToObject(c->out, "Tags", cJSON_Duplicate(tags, 1));
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_list_saml_providers(api_ctx_t *c)
{
    cJSON *all = cJSON_CreateArray();
    bool more = false;
    err_t rc =
        res_list(c->tx, &(res_query_t){.account = c->account, .kind = IAM_SAML}, all, &more, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "SAMLProviderList");
    static const char *const keep[] = {"Arn", "ValidUntil", "CreateDate", NULL};
    for (const cJSON *p = all->child; !rc && p; p = p->next) {
        cJSON *o = cJSON_CreateObject();
        jx_copy(o, p, keep);
        cJSON_AddItemToArray(list, o);
    }
    cJSON_Delete(all);
    return rc;
}

err_t iam_update_saml_provider(api_ctx_t *c)
{
    cJSON *p = NULL;
    int64_t until = 0;
    err_t rc = saml_find(c, &p);
    if (!rc) rc = saml_doc(c, &until);
    if (!rc) {
        jx_set_str(p, "SAMLMetadataDocument", api_in_str(c, "SAMLMetadataDocument"));
        saml_valid_until(c, p, until);
        rc = saml_save(c, p);
    }
    if (!rc) cJSON_AddStringToObject(c->out, "SAMLProviderArn", jx_str(p, "Arn"));
    cJSON_Delete(p);
    return rc;
}

err_t iam_delete_saml_provider(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = saml_find(c, &p);
    if (!rc)
        rc = res_delete(c->tx, &(res_key_t){c->account, IAM_SAML, jx_str(p, "Arn")}, NULL, c->eb);
    cJSON_Delete(p);
    return rc;
}

err_t iam_tag_saml_provider(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_PUT, saml_find, saml_save);
}

err_t iam_untag_saml_provider(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_DROP, saml_find, saml_save);
}

err_t iam_list_saml_provider_tags(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_LIST, saml_find, saml_save);
}
