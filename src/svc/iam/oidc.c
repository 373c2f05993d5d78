/* oidc.c - IAM OpenID Connect identity providers: Create, Get, List, Delete,
 * UpdateThumbprint, Add/RemoveClientID, Tag, Untag, ListTags. A provider is a resource of
 * kind IAM_OIDC under the caller's account (IAM is global), id and name "host/path" (the
 * URL without https://, as its ARN arn:aws:iam::ACCT:oidc-provider/host/path ends); the
 * body is GetOpenIDConnectProvider's output plus Arn. STS reads it through
 * GetOpenIDConnectProvider (svc/sts/webid.c) when it verifies a web identity token. */
#include "svc/iam/iam_int.h"

#include <ctype.h>
#include <string.h>

#define IAM_OIDC             "iam.oidc_provider"
#define OIDC_MAX_PROVIDERS   100
#define OIDC_MAX_THUMBPRINTS 5
#define OIDC_MAX_CLIENT_IDS  100

/* "host/path" of an https URL into the arena: ERR_IAM_INVALID_INPUT unless the URL is
 * https:// with a host and no query or fragment. A trailing '/' is dropped. */
static err_t oidc_url_id(api_ctx_t *c, const char *url, const char **id)
{
    size_t n = url ? strlen(url) : 0;
    if (n < 9 || strncasecmp(url, "https://", 8) || url[8] == '/' || strpbrk(url, "?#") ||
        strpbrk(url + 8, " \t"))
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT, "Invalid Open ID Connect Provider URL");
    while (n > 9 && url[n - 1] == '/') n--;
    char *s = arena_strndup(c->arena, url + 8, n - 8);
    for (char *p = s; *p && *p != '/'; p++) *p = (char)tolower((unsigned char)*p);
    *id = s;
    return ERR_OK;
}

/* The provider an ARN names (the caller's account only); NoSuchEntity as IAM words it. */
static err_t oidc_find(api_ctx_t *c, cJSON **out)
{
    const char *arn = api_in_str(c, "OpenIDConnectProviderArn");
    const char *prefix = arena_printf(c->arena, "arn:aws:iam::%s:oidc-provider/", c->account);
    *out = NULL;
    err_t rc = ERR_OK;
    if (!strncmp(arn, prefix, strlen(prefix)))
        rc = res_get(c->tx, &(res_key_t){c->account, IAM_OIDC, arn + strlen(prefix)}, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "OpenIDConnect Provider not found for arn %s",
                      arn);
    return rc;
}

static err_t oidc_save(api_ctx_t *c, const cJSON *p)
{
    const char *arn = jx_str(p, "Arn");
    const char *id = strstr(arn, ":oidc-provider/") + strlen(":oidc-provider/");
    return res_update(c->tx, &(res_key_t){c->account, IAM_OIDC, id}, NULL,
                      (int64_t)(iam_now(c) * 1000), p, NULL, c->eb);
}

/* Checks a ThumbprintList: at most five, each 40 hex digits. */
static err_t oidc_thumbprints(api_ctx_t *c, const cJSON *list)
{
    if (cJSON_GetArraySize(list) > OIDC_MAX_THUMBPRINTS)
        return err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                        "Thumbprint list must contain fewer than %d entries.",
                        OIDC_MAX_THUMBPRINTS + 1);
    for (const cJSON *t = list ? list->child : NULL; t; t = t->next)
        if (strlen(t->valuestring) != 40 || strspn(t->valuestring, "0123456789abcdefABCDEF") != 40)
            return err_fail(c->eb, ERR_IAM_INVALID_INPUT,
                            "Thumbprint must be a 40-character hexadecimal string: %s",
                            t->valuestring);
    return ERR_OK;
}

/* The index in list (NULL: none) of the string value, or of the object whose string
 * member is value (member non-NULL); -1 when absent. */
static int oidc_index(const cJSON *list, const char *member, const char *value)
{
    int i = 0;
    for (const cJSON *v = list ? list->child : NULL; v; v = v->next, i++) {
        const char *s = member ? jx_str(v, member) : v->valuestring;
        if (s && !strcmp(s, value)) return i;
    }
    return -1;
}

/* A list of distinct strings from the input list (NULL: empty). */
static cJSON *oidc_distinct(const cJSON *list)
{
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *v = list ? list->child : NULL; v; v = v->next)
        if (oidc_index(out, NULL, v->valuestring) < 0)
            cJSON_AddItemToArray(out, cJSON_CreateString(v->valuestring));
    return out;
}

err_t iam_create_open_id_connect_provider(api_ctx_t *c)
{
    const char *url = api_in_str(c, "Url"), *id = NULL;
    const cJSON *thumbs = cJSON_GetObjectItemCaseSensitive(c->in, "ThumbprintList");
    const cJSON *clients = cJSON_GetObjectItemCaseSensitive(c->in, "ClientIDList");
    err_t rc = oidc_url_id(c, url, &id);
    if (!rc) rc = oidc_thumbprints(c, thumbs);
    if (!rc && cJSON_GetArraySize(clients) > OIDC_MAX_CLIENT_IDS)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d",
                      OIDC_MAX_CLIENT_IDS);
    cJSON *existing = NULL;
    if (!rc) rc = res_get(c->tx, &(res_key_t){c->account, IAM_OIDC, id}, &existing, c->eb);
    cJSON_Delete(existing);
    if (!rc && existing)
        rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "Provider with url %s already exists.", url);
    int64_t n = 0;
    if (!rc) rc = res_count(c->tx, &(res_query_t){c->account, IAM_OIDC, NULL, 0, 0}, &n, c->eb);
    if (!rc && n >= OIDC_MAX_PROVIDERS)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d",
                      OIDC_MAX_PROVIDERS);
    if (rc) return rc;
    const char *arn = arena_printf(c->arena, "arn:aws:iam::%s:oidc-provider/%s", c->account, id);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Arn", arn);
    cJSON_AddStringToObject(p, "Url", id);
    cJSON_AddItemToObject(p, "ClientIDList", oidc_distinct(clients));
    cJSON *tl = oidc_distinct(thumbs);
    const api_prefetch_t *pf = c->prefetch; /* none given: the IdP's, read in advance */
    if (!cJSON_GetArraySize(tl) && pf && pf->url && !strcmp(pf->url, url) && pf->text)
        cJSON_AddItemToArray(tl, cJSON_CreateString(pf->text));
    cJSON_AddItemToObject(p, "ThumbprintList", tl);
    cJSON_AddNumberToObject(p, "CreateDate", iam_now(c));
    rc = iam_tags_put(c, p);
    res_row_t row = {.name = id, .created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->account, IAM_OIDC, id}, &row, p, c->eb);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "OpenIDConnectProviderArn", arn);
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "Tags");
        if (cJSON_GetArraySize(tags))
            cJSON_AddItemToObject(c->out, "Tags", cJSON_Duplicate(tags, 1));
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_get_open_id_connect_provider(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = oidc_find(c, &p);
    if (rc) return rc;
    static const char *const members[] = {"Url", "ClientIDList", "ThumbprintList", "CreateDate",
                                          NULL};
    jx_copy(c->out, p, members);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "Tags");
    if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(c->out, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_Delete(p);
    return ERR_OK;
}

err_t iam_list_open_id_connect_providers(api_ctx_t *c)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    err_t rc = res_list(c->tx, &(res_query_t){c->account, IAM_OIDC, NULL, 0, 0}, all, &more, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "OpenIDConnectProviderList");
    for (const cJSON *p = all->child; !rc && p; p = p->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Arn", jx_str(p, "Arn"));
        cJSON_AddItemToArray(list, e);
    }
    cJSON_Delete(all);
    return rc;
}

err_t iam_delete_open_id_connect_provider(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = oidc_find(c, &p);
    if (!rc) {
        const char *arn = jx_str(p, "Arn");
        const char *id = strstr(arn, ":oidc-provider/") + strlen(":oidc-provider/");
        rc = res_delete(c->tx, &(res_key_t){c->account, IAM_OIDC, id}, NULL, c->eb);
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_update_open_id_connect_provider_thumbprint(api_ctx_t *c)
{
    const cJSON *thumbs = cJSON_GetObjectItemCaseSensitive(c->in, "ThumbprintList");
    cJSON *p = NULL;
    err_t rc = oidc_thumbprints(c, thumbs);
    if (!rc) rc = oidc_find(c, &p);
    if (!rc) {
        jx_set(p, "ThumbprintList", oidc_distinct(thumbs));
        rc = oidc_save(c, p);
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_add_client_id_to_open_id_connect_provider(api_ctx_t *c)
{
    const char *id = api_in_str(c, "ClientID");
    cJSON *p = NULL;
    err_t rc = oidc_find(c, &p);
    cJSON *list = p ? cJSON_GetObjectItemCaseSensitive(p, "ClientIDList") : NULL;
    bool have = oidc_index(list, NULL, id) >= 0;
    if (!rc && !have && cJSON_GetArraySize(list) >= OIDC_MAX_CLIENT_IDS)
        rc = err_fail(c->eb, ERR_IAM_LIMIT_EXCEEDED,
                      "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d",
                      OIDC_MAX_CLIENT_IDS);
    if (!rc && !have) { /* adding one already there does nothing, as on AWS */
        cJSON_AddItemToArray(list, cJSON_CreateString(id));
        rc = oidc_save(c, p);
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_remove_client_id_from_open_id_connect_provider(api_ctx_t *c)
{
    const char *id = api_in_str(c, "ClientID");
    cJSON *p = NULL;
    err_t rc = oidc_find(c, &p);
    cJSON *list = p ? cJSON_GetObjectItemCaseSensitive(p, "ClientIDList") : NULL;
    int at = oidc_index(list, NULL, id);
    if (!rc && at >= 0) { /* removing one not there does nothing, as on AWS */
        cJSON_DeleteItemFromArray(list, at);
        rc = oidc_save(c, p);
    }
    cJSON_Delete(p);
    return rc;
}

err_t iam_tag_open_id_connect_provider(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_PUT, oidc_find, oidc_save);
}

err_t iam_untag_open_id_connect_provider(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_DROP, oidc_find, oidc_save);
}

err_t iam_list_open_id_connect_provider_tags(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_LIST, oidc_find, oidc_save);
}
