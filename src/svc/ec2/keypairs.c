/* keypairs.c - EC2 key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs,
 * DeleteKeyPair. A key pair is a resource of kind "ec2.keypair" (row name = KeyName); its
 * body keeps the public key and the fingerprint only: a private key CreateKeyPair makes is
 * returned once and never stored (keygen.c makes it). */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/enc.h"
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

err_t ec2_keypair_named(api_ctx_t *c, const char *name, cJSON **out)
{
    return res_get_by_name(c->tx, c->scope, EC2_KEYPAIR, name, out, c->eb);
}

/* KeyName present, 1 to 255 ASCII characters, not taken. */
static err_t kp_name_free(api_ctx_t *c, const char *name)
{
    if (!name || !*name)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter KeyName");
    bool ascii = strlen(name) <= 255;
    for (const char *p = name; *p && ascii; p++) ascii = *p >= 0x20 && *p < 0x7f;
    if (!ascii)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter keyName is invalid. Character sets beyond ASCII "
                        "are not supported.",
                        name);
    cJSON *same = NULL;
    err_t rc = ec2_keypair_named(c, name, &same);
    if (!rc && same)
        rc = err_fail(c->eb, ERR_EC2_KEY_DUPLICATE, "The keypair '%s' already exists.", name);
    cJSON_Delete(same);
    return rc;
}

/* Stores key pair name of k; answers KeyFingerprint, KeyName, KeyPairId and Tags. */
static err_t kp_store(api_ctx_t *c, const char *name, const ec2_keygen_t *k)
{
    char id[32];
    ids_chars(&c->app->ids, "key-", IDS_HEX, 17, id);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "KeyPairId", id);
    cJSON_AddStringToObject(body, "KeyFingerprint", k->fingerprint);
    cJSON_AddStringToObject(body, "KeyName", name);
    cJSON_AddStringToObject(body, "KeyType", k->type);
    cJSON *tags = ec2_spec_tags(c->in, "key-pair", false);
    if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(body, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_AddNumberToObject(body, "CreateTime", (double)(now / 1000));
    cJSON_AddStringToObject(body, "_PublicKey", k->public_key);
    res_row_t row = {.name = name, .created_ms = now};
    err_t rc = res_insert(c->tx, &(res_key_t){c->scope, EC2_KEYPAIR, id}, &row, body, c->eb);
    cJSON_Delete(body);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "KeyFingerprint", k->fingerprint);
        cJSON_AddStringToObject(c->out, "KeyName", name);
        cJSON_AddStringToObject(c->out, "KeyPairId", id);
        if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(c->out, "Tags", tags), tags = NULL;
    }
    cJSON_Delete(tags);
    return rc;
}

err_t ec2_create_key_pair(api_ctx_t *c)
{
    const char *name = api_in_str(c, "KeyName"), *type = api_in_str(c, "KeyType"),
               *format = api_in_str(c, "KeyFormat");
    err_t rc = ec2_dry_run(c);
    if (!rc && type && strcmp(type, "rsa") && strcmp(type, "ed25519"))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Value (%s) for parameter keyType is invalid. Valid values are rsa and "
                      "ed25519.",
                      type);
    if (!rc && format && strcmp(format, "pem"))
        rc = err_fail(c->eb, ERR_EC2_UNSUPPORTED_OPERATION,
                      "The key format '%s' is not supported: catalogd writes pem keys.", format);
    if (!rc) rc = kp_name_free(c, name);
    if (rc) return rc;
    ec2_keygen_t k;
    buf_t pem;
    buf_init(&pem, 16384);
    rc = ec2_keygen_create(type ? type : "rsa", &k, &pem, c->eb);
    if (!rc) snprintf(k.type, sizeof(k.type), "%s", type ? type : "rsa");
    if (!rc) rc = kp_store(c, name, &k);
    if (!rc) cJSON_AddStringToObject(c->out, "KeyMaterial", buf_str(&pem));
    if (pem.p) memset(pem.p, 0, pem.len); /* the private key leaves only in the answer */
    buf_free(&pem);
    return rc;
}

err_t ec2_import_key_pair(api_ctx_t *c)
{
    const char *name = api_in_str(c, "KeyName"), *material = api_in_str(c, "PublicKeyMaterial");
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = kp_name_free(c, name);
    if (!rc && !material)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter PublicKeyMaterial");
    if (rc) return rc;
    /* the blob arrives base64-encoded, as the wire carries it */
    buf_t text;
    buf_init(&text, 65536);
    ec2_keygen_t k;
    if (!enc_base64_decode(&text, span_of(material)) || memchr(text.p, 0, text.len))
        rc = err_fail(c->eb, ERR_EC2_KEY_FORMAT, "Key is not in valid OpenSSH public key format");
    if (!rc) rc = ec2_keygen_import(buf_str(&text), &k, c->eb);
    buf_free(&text);
    if (!rc) rc = kp_store(c, name, &k);
    return rc;
}

static int kp_filter_values(const cJSON *k, const char *name, const char **vals, int cap,
                            char *scratch)
{
    (void)scratch;
    static const char *const plain[][2] = {{"key-pair-id", "KeyPairId"},
                                           {"key-name", "KeyName"},
                                           {"fingerprint", "KeyFingerprint"},
                                           {"key-type", "KeyType"}};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (!strcmp(name, plain[i][0])) return (vals[0] = jx_str(k, plain[i][1])) ? 1 : 0;
    return ec2_tag_filter_values(k, name, vals, cap);
}

/* The key pairs KeyNames and KeyPairIds name (every one must exist), else all. */
static err_t kp_select(api_ctx_t *c, cJSON *out)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "KeyNames");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "KeyPairIds");
    if (!cJSON_GetArraySize(names) && !cJSON_GetArraySize(ids)) {
        bool more;
        return res_list(c->tx, &(res_query_t){c->scope, EC2_KEYPAIR, NULL, 0, 0}, out, &more,
                        c->eb);
    }
    err_t rc = ERR_OK;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        const cJSON *l = pass ? ids : names;
        for (const cJSON *i = l ? l->child : NULL; !rc && i; i = i->next) {
            cJSON *k = NULL;
            rc = pass ? res_get(c->tx, &(res_key_t){c->scope, EC2_KEYPAIR, i->valuestring}, &k,
                                c->eb)
                      : ec2_keypair_named(c, i->valuestring, &k);
            if (!rc && !k)
                rc = err_fail(c->eb, ERR_EC2_KEY_NOT_FOUND, "The key pair '%s' does not exist",
                              i->valuestring);
            if (k) cJSON_AddItemToArray(out, k);
        }
    }
    return rc;
}

err_t ec2_describe_key_pairs(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    cJSON *all = cJSON_CreateArray();
    if (!rc) rc = kp_select(c, all);
    bool pub = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "IncludePublicKey"));
    cJSON *list = cJSON_AddArrayToObject(c->out, "KeyPairs");
    while (!rc && all->child) {
        cJSON *k = cJSON_DetachItemViaPointer(all, all->child);
        bool ok = false;
        rc = ec2_filter_match(c, k, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                              kp_filter_values, &ok);
        if (ok && pub) cJSON_AddStringToObject(k, "PublicKey", jx_str(k, "_PublicKey"));
        if (!rc && ok)
            cJSON_AddItemToArray(list, k);
        else
            cJSON_Delete(k);
    }
    cJSON_Delete(all);
    return rc;
}

err_t ec2_delete_key_pair(api_ctx_t *c)
{
    const char *name = api_in_str(c, "KeyName"), *id = api_in_str(c, "KeyPairId");
    err_t rc = ec2_dry_run(c);
    if (!rc && !name && !id)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter KeyName or KeyPairId");
    cJSON *k = NULL;
    if (!rc && id)
        rc = res_get(c->tx, &(res_key_t){c->scope, EC2_KEYPAIR, id}, &k, c->eb);
    else if (!rc)
        rc = ec2_keypair_named(c, name, &k);
    /* deleting a key pair that does not exist succeeds, as in EC2 */
    if (!rc && k)
        rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_KEYPAIR, jx_str(k, "KeyPairId")}, NULL,
                        c->eb);
    cJSON_Delete(k);
    return rc;
}
