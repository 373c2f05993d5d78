/* documents.c - Systems Manager documents: CreateDocument, UpdateDocument,
 * UpdateDocumentDefaultVersion, DescribeDocument, GetDocument, ListDocuments,
 * ListDocumentVersions, DeleteDocument, and the AWS-owned documents every account has.
 * Two kinds are stored: Automation (schema 0.3) runbooks and Command (schema 2.2, and
 * AWS's own 1.2) documents for Run Command: catalogd runs no other kind. */
#include "svc/ssm/ssm_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/crypto.h"
#include "core/enc.h"
#include "iam/policy.h"
#include "svc/ssm/ssm_docs.h"
#include "yaml/yaml.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SSM_MAX_VERSIONS 1000

err_t ssm_convert(const char *content, const char *from, const char *to, arena_t *arena, char **out,
                  errbuf_t *eb)
{
    if (!strcmp(from, to)) {
        *out = arena_strdup(arena, content);
        return ERR_OK;
    }
    /* the tree the document means (the stored content parsed when it was written), then
     * written out: JSON indented, YAML in block style */
    adoc_t *d = NULL;
    adoc_format_t f = !strcmp(from, "YAML") ? ADOC_YAML : ADOC_JSON;
    if (adoc_parse(span_of(content), f, &d, eb) != ADOC_OK &&
        adoc_parse_command(span_of(content), f, true, &d, eb) != ADOC_OK)
        return err_fail(eb, ERR_SSM_INVALID_CONTENT,
                        "The document content cannot be converted to %s", to);
    char *text = !strcmp(to, "JSON") ? cJSON_Print(adoc_json(d)) : yaml_emit(adoc_json(d));
    adoc_free(d);
    *out = arena_strdup(arena, text);
    free(text);
    return ERR_OK;
}

/* Content of a document of type (Automation or Command) -> parsed document, mapping the
 * module's error classes to SSM's codes. legacy admits AWS's own schema-1.2 content. */
static err_t ssm_parse(errbuf_t *eb, const char *type, const char *content, const char *format,
                       bool legacy, adoc_t **out)
{
    adoc_format_t f = !format ? ADOC_AUTO : !strcmp(format, "YAML") ? ADOC_YAML : ADOC_JSON;
    adoc_error_t e = !strcmp(type, "Command")
                         ? adoc_parse_command(span_of(content), f, legacy, out, eb)
                         : adoc_parse(span_of(content), f, out, eb);
    if (e == ADOC_OK) return ERR_OK;
    return e == ADOC_E_SCHEMA ? ERR_SSM_INVALID_SCHEMA : ERR_SSM_INVALID_CONTENT;
}

err_t ssm_doc_load(store_tx_t *tx, const char *account, const char *name, const char *version,
                   const char *version_name, cJSON **doc, cJSON **ver, bool *aws, errbuf_t *eb)
{
    *doc = *ver = NULL;
    *aws = false;
    /* a document ARN names the document too */
    const char *slash = !strncmp(name, "arn:", 4) ? strrchr(name, '/') : NULL;
    if (slash) name = slash + 1;
    err_t rc = res_get(tx, &(res_key_t){account, SSM_DOC, name}, doc, eb);
    if (!rc && !*doc) {
        rc = res_get(tx, &(res_key_t){SSM_AWS, SSM_DOC, name}, doc, eb);
        *aws = *doc != NULL;
    }
    if (!rc && !*doc)
        return err_fail(eb, ERR_SSM_INVALID_DOCUMENT, "The specified document does not exist.");
    const char *owner = *aws ? SSM_AWS : account;
    char vid[64];
    if (!rc && version_name && !version) {
        cJSON *vs = cJSON_CreateArray();
        bool more;
        res_query_t q = {owner, SSM_DOCVER, name, 0, 0};
        rc = res_list(tx, &q, vs, &more, eb);
        for (cJSON *v = vs->child; !rc && v && !*ver; v = v->next)
            if (jx_str(v, "VersionName") && !strcmp(jx_str(v, "VersionName"), version_name))
                *ver = cJSON_DetachItemViaPointer(vs, v);
        cJSON_Delete(vs);
    } else if (!rc) {
        if (!version || !strcmp(version, "$DEFAULT"))
            version = jx_str(*doc, "DefaultVersion");
        else if (!strcmp(version, "$LATEST"))
            version = jx_str(*doc, "LatestVersion");
        snprintf(vid, sizeof(vid), "%.48s", version ? version : "");
        char key[300];
        snprintf(key, sizeof(key), "%s:%s", name, vid);
        rc = res_get(tx, &(res_key_t){owner, SSM_DOCVER, key}, ver, eb);
    }
    if (!rc && !*ver)
        rc = err_fail(eb, ERR_SSM_INVALID_VERSION,
                      "The document version is not valid or does not exist.");
    if (rc) {
        cJSON_Delete(*doc);
        cJSON_Delete(*ver);
        *doc = *ver = NULL;
    }
    return rc;
}

cJSON *ssm_doc_description(const cJSON *doc, const cJSON *ver, const char *owner)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Hash", jx_str(ver, "Hash"));
    cJSON_AddStringToObject(d, "HashType", "Sha256");
    cJSON_AddStringToObject(d, "Name", jx_str(doc, "Name"));
    if (jx_str(doc, "DisplayName"))
        cJSON_AddStringToObject(d, "DisplayName", jx_str(doc, "DisplayName"));
    if (jx_str(ver, "VersionName"))
        cJSON_AddStringToObject(d, "VersionName", jx_str(ver, "VersionName"));
    cJSON_AddStringToObject(d, "Owner", owner);
    cJSON_AddItemToObject(d, "CreatedDate",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ver, "CreatedDate"), 1));
    cJSON_AddStringToObject(d, "Status", "Active");
    cJSON_AddStringToObject(d, "DocumentVersion", jx_str(ver, "DocumentVersion"));
    if (jx_str(ver, "Description"))
        cJSON_AddStringToObject(d, "Description", jx_str(ver, "Description"));
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(ver, "Parameters");
    cJSON_AddItemToObject(d, "Parameters",
                          params ? cJSON_Duplicate(params, 1) : cJSON_CreateArray());
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(ver, "PlatformTypes");
    cJSON *pt = cJSON_AddArrayToObject(d, "PlatformTypes");
    static const char *const platforms[] = {"Windows", "Linux", "MacOS"};
    if (pts) jx_set(d, "PlatformTypes", cJSON_Duplicate(pts, 1));
    for (int i = 0; !pts && i < 3; i++) cJSON_AddItemToArray(pt, cJSON_CreateString(platforms[i]));
    cJSON_AddStringToObject(d, "DocumentType", jx_str(doc, "DocumentType"));
    cJSON_AddStringToObject(d, "SchemaVersion",
                            jx_str(ver, "SchemaVersion") ? jx_str(ver, "SchemaVersion") : "0.3");
    cJSON_AddStringToObject(d, "LatestVersion", jx_str(doc, "LatestVersion"));
    cJSON_AddStringToObject(d, "DefaultVersion", jx_str(doc, "DefaultVersion"));
    cJSON_AddStringToObject(d, "DocumentFormat", jx_str(ver, "DocumentFormat"));
    if (jx_str(ver, "TargetType"))
        cJSON_AddStringToObject(d, "TargetType", jx_str(ver, "TargetType"));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "Tags");
    cJSON_AddItemToObject(d, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    return d;
}

/* The Parameters list DescribeDocument shows, from the parsed content. */
static cJSON *ssm_param_list(const adoc_t *a)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < adoc_param_count(a); i++) {
        const adoc_param_t *p = adoc_param(a, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Name", p->name);
        cJSON_AddStringToObject(e, "Type", p->type);
        if (p->description) cJSON_AddStringToObject(e, "Description", p->description);
        if (p->default_value) {
            if (cJSON_IsString(p->default_value)) {
                cJSON_AddStringToObject(e, "DefaultValue", p->default_value->valuestring);
            } else {
                char *t = cJSON_PrintUnformatted(p->default_value);
                cJSON_AddStringToObject(e, "DefaultValue", t);
                cJSON_free(t);
            }
        }
        cJSON_AddItemToArray(list, e);
    }
    return list;
}

/* A version record for content (already validated as a). */
static cJSON *ssm_version(const char *content, const char *format, const char *version,
                          const char *version_name, const char *target_type, const adoc_t *a,
                          double now)
{
    unsigned char h[32];
    char hex[65];
    crypto_sha256(content, strlen(content), h);
    enc_hex(h, 32, hex);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "Content", content);
    cJSON_AddStringToObject(v, "DocumentFormat", format);
    cJSON_AddStringToObject(v, "DocumentVersion", version);
    if (version_name) cJSON_AddStringToObject(v, "VersionName", version_name);
    if (target_type) cJSON_AddStringToObject(v, "TargetType", target_type);
    cJSON_AddNumberToObject(v, "CreatedDate", now);
    cJSON_AddStringToObject(v, "Hash", hex);
    if (adoc_description(a)) cJSON_AddStringToObject(v, "Description", adoc_description(a));
    cJSON_AddItemToObject(v, "Parameters", ssm_param_list(a));
    cJSON_AddStringToObject(v, "SchemaVersion", adoc_schema_version(a));
    if (strcmp(adoc_schema_version(a), "0.3")) {
        /* a Command document runs where its plugins do: shell scripts on Linux and macOS,
         * PowerShell on Windows (and Linux, where PowerShell is installed) */
        bool sh = false, ps = false;
        for (size_t i = 0; i < adoc_step_count(a); i++) {
            sh |= !strcmp(adoc_step(a, i)->action, "aws:runShellScript");
            ps |= !strcmp(adoc_step(a, i)->action, "aws:runPowerShellScript");
        }
        cJSON *pt = cJSON_AddArrayToObject(v, "PlatformTypes");
        if (ps) cJSON_AddItemToArray(pt, cJSON_CreateString("Windows"));
        if (sh || ps) cJSON_AddItemToArray(pt, cJSON_CreateString("Linux"));
        if (sh) cJSON_AddItemToArray(pt, cJSON_CreateString("MacOS"));
    }
    return v;
}

static err_t ssm_put_version(store_tx_t *tx, const char *account, const char *name, cJSON *v,
                             int64_t now, errbuf_t *eb)
{
    char key[300];
    snprintf(key, sizeof(key), "%s:%s", name, jx_str(v, "DocumentVersion"));
    res_row_t row = {.parent = name, .created_ms = now};
    return res_insert(tx, &(res_key_t){account, SSM_DOCVER, key}, &row, v, eb);
}

/* Names AWS keeps for itself: aws, amazon, amzn, whatever the case. */
static bool ssm_reserved(const char *name)
{
    return !strncasecmp(name, "aws", 3) || !strncasecmp(name, "amazon", 6) ||
           !strncasecmp(name, "amzn", 4);
}

/* Validates content of a CreateDocument/UpdateDocument of a document of type (Automation
 * or Command); *a owns the parsed document. */
static err_t ssm_check_content(api_ctx_t *c, const char *type, const char *content,
                               const char *format, adoc_t **a)
{
    if (strlen(content) > SSM_MAX_BYTES)
        return err_fail(c->eb, ERR_SSM_MAX_SIZE,
                        "The document content exceeds the maximum size of %d bytes.",
                        SSM_MAX_BYTES);
    if (strcmp(type, "Automation") && strcmp(type, "Command"))
        return err_fail(
            c->eb, ERR_VALIDATION,
            "DocumentType %s is not supported by catalogd, which stores and runs Automation "
            "and Command documents only.",
            type);
    if (format && !strcmp(format, "TEXT"))
        return err_fail(c->eb, ERR_SSM_INVALID_CONTENT, "%s documents must be JSON or YAML.", type);
    return ssm_parse(c->eb, type, content, format ? format : "JSON", false, a);
}

err_t ssm_create_document(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name");
    const char *content = api_in_str(c, "Content");
    const char *format = api_in_str(c, "DocumentFormat");
    if (!format) format = "JSON";
    if (ssm_reserved(name))
        return err_fail(
            c->eb, ERR_VALIDATION,
            "Document name %s is not valid: the prefixes aws, amazon and amzn are reserved "
            "for documents that AWS owns.",
            name);
    cJSON *existing = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, &existing, c->eb);
    bool taken = existing != NULL;
    cJSON_Delete(existing);
    if (!rc && taken)
        return err_fail(c->eb, ERR_SSM_DOCUMENT_EXISTS, "Document with same name %s already exists",
                        name);
    const char *type = api_in_str(c, "DocumentType") ? api_in_str(c, "DocumentType") : "Command";
    adoc_t *a = NULL;
    if (!rc) rc = ssm_check_content(c, type, content, format, &a);
    if (rc) return rc;
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Name", name);
    cJSON_AddStringToObject(doc, "DocumentType", type);
    if (api_in_str(c, "DisplayName"))
        cJSON_AddStringToObject(doc, "DisplayName", api_in_str(c, "DisplayName"));
    cJSON_AddStringToObject(doc, "LatestVersion", "1");
    cJSON_AddStringToObject(doc, "DefaultVersion", "1");
    cJSON_AddNumberToObject(doc, "CreatedDate", (double)now / 1000.0);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    cJSON_AddItemToObject(doc, "Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON *v = ssm_version(content, format, "1", api_in_str(c, "VersionName"),
                           api_in_str(c, "TargetType"), a, (double)now / 1000.0);
    res_row_t row = {.name = name, .created_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, &row, doc, c->eb);
    if (!rc) rc = ssm_put_version(c->tx, c->scope, name, v, now, c->eb);
    if (!rc)
        cJSON_AddItemToObject(c->out, "DocumentDescription",
                              ssm_doc_description(doc, v, c->account));
    cJSON_Delete(doc);
    cJSON_Delete(v);
    adoc_free(a);
    return rc;
}

err_t ssm_own_doc(api_ctx_t *c, const char *name, cJSON **doc)
{
    *doc = NULL;
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, doc, c->eb);
    if (!rc && !*doc) {
        cJSON *aws = NULL;
        rc = res_get(c->tx, &(res_key_t){SSM_AWS, SSM_DOC, name}, &aws, c->eb);
        bool is_aws = aws != NULL;
        cJSON_Delete(aws);
        if (!rc && is_aws)
            return err_fail(c->eb, ERR_SSM_INVALID_OPERATION,
                            "Documents owned by AWS cannot be modified or deleted.");
        if (!rc)
            rc =
                err_fail(c->eb, ERR_SSM_INVALID_DOCUMENT, "The specified document does not exist.");
    }
    return rc;
}

/* Every version of a customer document, oldest first. */
static err_t ssm_versions(api_ctx_t *c, const char *owner, const char *name, cJSON **out)
{
    *out = cJSON_CreateArray();
    bool more;
    res_query_t q = {owner, SSM_DOCVER, name, 0, 0};
    return res_list(c->tx, &q, *out, &more, c->eb);
}

/* The next version number of doc: one past the highest it ever had (a deleted latest
 * version's number is not given out again). */
static int64_t ssm_next_version(const cJSON *doc)
{
    int64_t latest = strtoll(jx_str(doc, "LatestVersion"), NULL, 10);
    int64_t highest = jx_int(doc, "_HighestVersion", 0);
    return (latest > highest ? latest : highest) + 1;
}

err_t ssm_update_document(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name");
    const char *content = api_in_str(c, "Content");
    const char *format = api_in_str(c, "DocumentFormat");
    const char *want = api_in_str(c, "DocumentVersion");
    const char *vname = api_in_str(c, "VersionName");
    cJSON *doc = NULL, *vs = NULL;
    adoc_t *a = NULL;
    err_t rc = ssm_own_doc(c, name, &doc);
    if (!rc && want && strcmp(want, "$LATEST") && strcmp(want, jx_str(doc, "LatestVersion")))
        rc = err_fail(
            c->eb, ERR_SSM_INVALID_VERSION,
            "The document version is not valid: updates must be based on the latest version (%s).",
            jx_str(doc, "LatestVersion"));
    if (!rc) rc = ssm_versions(c, c->scope, name, &vs);
    /* "JSON is the default format" of the new version, whatever the earlier ones were */
    if (!rc && !format) format = "JSON";
    if (!rc) rc = ssm_check_content(c, jx_str(doc, "DocumentType"), content, format, &a);
    if (!rc && cJSON_GetArraySize(vs) >= SSM_MAX_VERSIONS)
        rc = err_fail(c->eb, ERR_SSM_VERSION_LIMIT,
                      "The document has reached its limit of %d versions.", SSM_MAX_VERSIONS);
    for (cJSON *v = vs ? vs->child : NULL; !rc && v; v = v->next) {
        if (!strcmp(jx_str(v, "Content"), content))
            rc = err_fail(
                c->eb, ERR_SSM_DUPLICATE_CONTENT,
                "The content of the document matches another version of the document. Change "
                "the content and try again.");
        else if (vname && jx_str(v, "VersionName") && !strcmp(jx_str(v, "VersionName"), vname))
            rc = err_fail(c->eb, ERR_SSM_DUPLICATE_VERSION_NAME,
                          "The specified version name %s is a duplicate.", vname);
    }
    if (!rc) {
        int64_t now = clk_now_ms(&c->app->clock);
        char next[24];
        snprintf(next, sizeof(next), "%lld", (long long)ssm_next_version(doc));
        const char *target = api_in_str(c, "TargetType");
        if (!target) {
            const cJSON *last = cJSON_GetArrayItem(vs, cJSON_GetArraySize(vs) - 1);
            target = jx_str(last, "TargetType");
        }
        cJSON *v = ssm_version(content, format, next, vname, target, a, (double)now / 1000.0);
        jx_set(doc, "LatestVersion", cJSON_CreateString(next));
        if (api_in_str(c, "DisplayName")) {
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "DisplayName");
            cJSON_AddStringToObject(doc, "DisplayName", api_in_str(c, "DisplayName"));
        }
        rc = ssm_put_version(c->tx, c->scope, name, v, now, c->eb);
        if (!rc)
            rc = res_update(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, NULL, now, doc, NULL,
                            c->eb);
        if (!rc)
            cJSON_AddItemToObject(c->out, "DocumentDescription",
                                  ssm_doc_description(doc, v, c->account));
        cJSON_Delete(v);
    }
    adoc_free(a);
    cJSON_Delete(vs);
    cJSON_Delete(doc);
    return rc;
}

err_t ssm_update_document_default_version(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name");
    const char *version = api_in_str(c, "DocumentVersion");
    cJSON *doc = NULL, *d2 = NULL, *ver = NULL;
    bool aws;
    err_t rc = ssm_own_doc(c, name, &doc);
    if (!rc) rc = ssm_doc_load(c->tx, c->scope, name, version, NULL, &d2, &ver, &aws, c->eb);
    if (!rc) {
        jx_set(doc, "DefaultVersion", cJSON_CreateString(jx_str(ver, "DocumentVersion")));
        rc = res_update(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, NULL,
                        clk_now_ms(&c->app->clock), doc, NULL, c->eb);
    }
    if (!rc) {
        cJSON *d = cJSON_AddObjectToObject(c->out, "Description");
        cJSON_AddStringToObject(d, "Name", name);
        cJSON_AddStringToObject(d, "DefaultVersion", jx_str(ver, "DocumentVersion"));
        if (jx_str(ver, "VersionName"))
            cJSON_AddStringToObject(d, "DefaultVersionName", jx_str(ver, "VersionName"));
    }
    cJSON_Delete(ver);
    cJSON_Delete(d2);
    cJSON_Delete(doc);
    return rc;
}

/* The document and version a request names (Name, DocumentVersion or VersionName), as
 * ssm_doc_load gives them. */
static err_t ssm_doc_named(api_ctx_t *c, cJSON **doc, cJSON **ver, bool *aws)
{
    return ssm_doc_load(c->tx, c->scope, api_in_str(c, "Name"), api_in_str(c, "DocumentVersion"),
                        api_in_str(c, "VersionName"), doc, ver, aws, c->eb);
}

err_t ssm_describe_document(api_ctx_t *c)
{
    cJSON *doc = NULL, *ver = NULL;
    bool aws;
    err_t rc = ssm_doc_named(c, &doc, &ver, &aws);
    if (!rc)
        cJSON_AddItemToObject(c->out, "Document",
                              ssm_doc_description(doc, ver, aws ? "Amazon" : c->account));
    cJSON_Delete(doc);
    cJSON_Delete(ver);
    return rc;
}

err_t ssm_get_document(api_ctx_t *c)
{
    cJSON *doc = NULL, *ver = NULL;
    bool aws;
    err_t rc = ssm_doc_named(c, &doc, &ver, &aws);
    const char *want = api_in_str(c, "DocumentFormat");
    char *content = NULL;
    if (!rc)
        rc = ssm_convert(jx_str(ver, "Content"), jx_str(ver, "DocumentFormat"),
                         want ? want : jx_str(ver, "DocumentFormat"), c->arena, &content, c->eb);
    if (!rc) {
        cJSON_AddStringToObject(c->out, "Name", jx_str(doc, "Name"));
        cJSON_AddItemToObject(
            c->out, "CreatedDate",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ver, "CreatedDate"), 1));
        if (jx_str(doc, "DisplayName"))
            cJSON_AddStringToObject(c->out, "DisplayName", jx_str(doc, "DisplayName"));
        if (jx_str(ver, "VersionName"))
            cJSON_AddStringToObject(c->out, "VersionName", jx_str(ver, "VersionName"));
        cJSON_AddStringToObject(c->out, "DocumentVersion", jx_str(ver, "DocumentVersion"));
        cJSON_AddStringToObject(c->out, "Status", "Active");
        cJSON_AddStringToObject(c->out, "Content", content);
        cJSON_AddStringToObject(c->out, "DocumentType", jx_str(doc, "DocumentType"));
        cJSON_AddStringToObject(c->out, "DocumentFormat",
                                want ? want : jx_str(ver, "DocumentFormat"));
    }
    cJSON_Delete(doc);
    cJSON_Delete(ver);
    return rc;
}

/* One DocumentIdentifier from a document and its default version. */
static cJSON *ssm_identifier(const cJSON *doc, const cJSON *ver, const char *owner)
{
    cJSON *d = ssm_doc_description(doc, ver, owner);
    static const char *const drop[] = {"Hash",          "HashType",   "Status",
                                       "Description",   "Parameters", "LatestVersion",
                                       "DefaultVersion"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(d, drop[i]);
    return d;
}

/* Does document d (with default version ver, owned by owner) pass the filters? */
static err_t ssm_doc_match(api_ctx_t *c, const cJSON *d, bool aws, bool *ok)
{
    *ok = true;
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(c->in, "DocumentFilterList");
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    for (int pass = 0; pass < 2 && *ok; pass++) {
        const cJSON *list = pass ? filters : old;
        for (const cJSON *f = list ? list->child : NULL; f && *ok; f = f->next) {
            const char *key = jx_str(f, pass ? "Key" : "key");
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(f, "Values");
            const char *one = pass ? NULL : jx_str(f, "value");
            bool any = false;
            for (const cJSON *v = vals ? vals->child : NULL; v || one; v = v ? v->next : NULL) {
                const char *want = one ? one : v->valuestring;
                one = NULL;
                if (!key) break;
                if (!strcmp(key, "Owner")) {
                    any |= (!strcmp(want, "Self") || !strcmp(want, "Private")) ? !aws
                           : !strcmp(want, "Amazon")                           ? aws
                                                     : !strcmp(want, "All");
                } else if (!strcmp(key, "DocumentType")) {
                    any |= !strcmp(want, jx_str(d, "DocumentType"));
                } else if (!strcmp(key, "Name")) {
                    any |= !strncmp(jx_str(d, "Name"), want, strlen(want));
                } else if (!strcmp(key, "PlatformTypes")) {
                    any |= !strcmp(want, "Windows") || !strcmp(want, "Linux") ||
                           !strcmp(want, "MacOS");
                } else if (!strcmp(key, "TargetType")) {
                    any |= jx_str(d, "TargetType") && !strcmp(want, jx_str(d, "TargetType"));
                } else if (!strncmp(key, "tag:", 4)) {
                    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(d, "Tags");
                    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
                        any |= jx_str(t, "Key") && !strcmp(jx_str(t, "Key"), key + 4) &&
                               jx_str(t, "Value") && !strcmp(jx_str(t, "Value"), want);
                } else {
                    return err_fail(c->eb, ERR_SSM_INVALID_FILTER_KEY,
                                    "The specified filter key %s is not valid.", key);
                }
                if (!v) break;
            }
            *ok = any;
        }
    }
    return ERR_OK;
}

err_t ssm_page_in(api_ctx_t *c, res_page_t *p)
{
    if (!res_page_begin(p, c->op->action, api_in_int(c, "MaxResults", 50), false,
                        api_in_str(c, "NextToken")))
        return err_fail(c->eb, ERR_SSM_INVALID_NEXT_TOKEN, "The specified token isn't valid.");
    return ERR_OK;
}

void ssm_page_out(api_ctx_t *c, const res_page_t *p)
{
    res_page_out(p, c->out, "NextToken");
}

/* The DocumentIdentifier of document d (a stored body) in *ident (NULL when it vanished). */
static err_t ssm_doc_ident(api_ctx_t *c, const cJSON *d, cJSON **ident, bool *aws)
{
    cJSON *dd = NULL, *ver = NULL;
    *ident = NULL;
    err_t rc = ssm_doc_load(c->tx, c->scope, jx_str(d, "Name"), NULL, NULL, &dd, &ver, aws, c->eb);
    if (!rc) *ident = ssm_identifier(dd, ver, *aws ? "Amazon" : c->account);
    cJSON_Delete(dd);
    cJSON_Delete(ver);
    return rc;
}

/* ListDocuments' filters, on a stored document body. */
static err_t ssm_doc_keep(void *ctx, const cJSON *d, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    cJSON *ident = NULL;
    bool aws = false;
    err_t rc = ssm_doc_ident(c, d, &ident, &aws);
    *keep = false;
    if (!rc) rc = ssm_doc_match(c, ident, aws, keep);
    cJSON_Delete(ident);
    return rc;
}

err_t ssm_list_documents(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = ssm_page_in(c, &p);
    if (rc) return rc;
    cJSON *docs = cJSON_CreateArray();
    /* the account's documents, then AWS's: two segments of one key order */
    res_query_t q = {c->scope, SSM_DOC, NULL, 0, 0};
    p.segment = "1account";
    rc = res_list_page(c->tx, &q, &p, ssm_doc_keep, c, docs, c->eb);
    if (!rc && !p.more) {
        q.account = SSM_AWS;
        p.segment = "2aws";
        rc = res_list_page(c->tx, &q, &p, ssm_doc_keep, c, docs, c->eb);
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "DocumentIdentifiers");
    for (cJSON *d = docs->child; !rc && d; d = d->next) {
        cJSON *ident = NULL;
        bool aws;
        rc = ssm_doc_ident(c, d, &ident, &aws);
        if (ident) cJSON_AddItemToArray(list, ident);
    }
    cJSON_Delete(docs);
    if (!rc) ssm_page_out(c, &p);
    return rc;
}

err_t ssm_list_document_versions(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name");
    cJSON *doc = NULL, *ver = NULL, *vs = cJSON_CreateArray();
    bool aws;
    res_page_t p;
    err_t rc = ssm_page_in(c, &p);
    if (!rc) rc = ssm_doc_load(c->tx, c->scope, name, NULL, NULL, &doc, &ver, &aws, c->eb);
    if (!rc) { /* newest first */
        res_query_t q = {aws ? SSM_AWS : c->scope, SSM_DOCVER, jx_str(doc, "Name"), 0, 0};
        p.desc = true;
        rc = res_list_page(c->tx, &q, &p, NULL, NULL, vs, c->eb);
    }
    if (!rc) {
        cJSON *list = cJSON_AddArrayToObject(c->out, "DocumentVersions");
        for (cJSON *v = vs->child; v; v = v->next) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "Name", jx_str(doc, "Name"));
            if (jx_str(doc, "DisplayName"))
                cJSON_AddStringToObject(e, "DisplayName", jx_str(doc, "DisplayName"));
            cJSON_AddStringToObject(e, "DocumentVersion", jx_str(v, "DocumentVersion"));
            if (jx_str(v, "VersionName"))
                cJSON_AddStringToObject(e, "VersionName", jx_str(v, "VersionName"));
            cJSON_AddItemToObject(
                e, "CreatedDate",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(v, "CreatedDate"), 1));
            cJSON_AddBoolToObject(
                e, "IsDefaultVersion",
                !strcmp(jx_str(v, "DocumentVersion"), jx_str(doc, "DefaultVersion")));
            cJSON_AddStringToObject(e, "DocumentFormat", jx_str(v, "DocumentFormat"));
            cJSON_AddStringToObject(e, "Status", "Active");
            cJSON_AddItemToArray(list, e);
        }
        ssm_page_out(c, &p);
    }
    cJSON_Delete(vs);
    cJSON_Delete(doc);
    cJSON_Delete(ver);
    return rc;
}

/* The latest version of doc (named name) was deleted: LatestVersion becomes the highest
 * version left (the default one is never deleted, so one is), and doc is saved. */
static err_t ssm_latest_gone(api_ctx_t *c, const char *name, cJSON *doc)
{
    store_stmt_t *st = NULL;
    err_t rc = store_query(c->tx, c->eb, &st,
                           "SELECT id FROM resources WHERE account = ? AND kind = ? AND parent = ?",
                           "sss", c->scope, SSM_DOCVER, name);
    int64_t best = 0;
    size_t prefix = strlen(name) + 1; /* ids are "<name>:<version>" */
    bool row = false;
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row) {
        const char *id = store_col_text(st, 0);
        int64_t v = id && strlen(id) > prefix ? strtoll(id + prefix, NULL, 10) : 0;
        if (v > best) best = v;
    }
    if (rc || best <= 0) return rc;
    jx_set_num(doc, "_HighestVersion", (double)(ssm_next_version(doc) - 1));
    jx_set(doc, "LatestVersion",
           cJSON_CreateString(arena_printf(c->arena, "%lld", (long long)best)));
    return res_update(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, NULL,
                      clk_now_ms(&c->app->clock), doc, NULL, c->eb);
}

err_t ssm_delete_document(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name");
    const char *version = api_in_str(c, "DocumentVersion");
    const char *vname = api_in_str(c, "VersionName");
    cJSON *doc = NULL;
    err_t rc = ssm_own_doc(c, name, &doc);
    if (!rc && (version || vname)) {
        /* one version, never the default */
        cJSON *d2 = NULL, *ver = NULL;
        bool aws;
        rc = ssm_doc_load(c->tx, c->scope, name, version, vname, &d2, &ver, &aws, c->eb);
        if (!rc && !strcmp(jx_str(ver, "DocumentVersion"), jx_str(doc, "DefaultVersion")))
            rc = err_fail(c->eb, ERR_SSM_INVALID_OPERATION,
                          "The default version of a document cannot be deleted.");
        char key[300];
        if (!rc) {
            snprintf(key, sizeof(key), "%s:%s", name, jx_str(ver, "DocumentVersion"));
            rc = res_delete(c->tx, &(res_key_t){c->scope, SSM_DOCVER, key}, NULL, c->eb);
        }
        if (!rc && !strcmp(jx_str(ver, "DocumentVersion"), jx_str(doc, "LatestVersion")))
            rc = ssm_latest_gone(c, name, doc);
        cJSON_Delete(d2);
        cJSON_Delete(ver);
    } else if (!rc) {
        rc = store_exec(c->tx, c->eb, NULL,
                        "DELETE FROM resources WHERE account = ? AND kind = ? AND parent = ?",
                        "sss", c->scope, SSM_DOCVER, name);
        if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, SSM_DOC, name}, NULL, c->eb);
    }
    cJSON_Delete(doc);
    return rc;
}

/* Installs one AWS-owned document, replacing a different older content. */
static err_t ssm_install_one(store_tx_t *tx, const ssm_aws_doc_t *d, int64_t now, errbuf_t *eb)
{
    char key[300];
    snprintf(key, sizeof(key), "%s:1", d->name);
    cJSON *ver = NULL;
    err_t rc = res_get(tx, &(res_key_t){SSM_AWS, SSM_DOCVER, key}, &ver, eb);
    bool same = ver && jx_str(ver, "Content") && !strcmp(jx_str(ver, "Content"), d->content);
    cJSON_Delete(ver);
    if (rc || same) return rc;
    rc = store_exec(tx, eb, NULL,
                    "DELETE FROM resources WHERE account = ? AND kind = ? AND parent = ?", "sss",
                    SSM_AWS, SSM_DOCVER, d->name);
    if (!rc) rc = res_delete(tx, &(res_key_t){SSM_AWS, SSM_DOC, d->name}, NULL, eb);
    adoc_t *a = NULL;
    if (!rc && ssm_parse(eb, d->type, d->content, "JSON", true, &a))
        return err_fail(eb, ERR_INTERNAL, "AWS-owned document %s does not parse: %s", d->name,
                        eb->msg);
    if (rc) return rc;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Name", d->name);
    cJSON_AddStringToObject(doc, "DocumentType", d->type);
    cJSON_AddStringToObject(doc, "LatestVersion", "1");
    cJSON_AddStringToObject(doc, "DefaultVersion", "1");
    cJSON_AddNumberToObject(doc, "CreatedDate", (double)now / 1000.0);
    cJSON_AddArrayToObject(doc, "Tags");
    cJSON *v = ssm_version(d->content, "JSON", "1", NULL, d->target_type, a, (double)now / 1000.0);
    res_row_t row = {.name = d->name, .created_ms = now};
    rc = res_insert(tx, &(res_key_t){SSM_AWS, SSM_DOC, d->name}, &row, doc, eb);
    if (!rc) rc = ssm_put_version(tx, SSM_AWS, d->name, v, now, eb);
    cJSON_Delete(doc);
    cJSON_Delete(v);
    adoc_free(a);
    return rc;
}

err_t ssm_install_aws_documents(store_t *s, int64_t now_ms, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(s, true, &tx, eb);
    for (size_t i = 0; !rc && i < ssm_n_aws_docs; i++)
        rc = ssm_install_one(tx, &ssm_aws_docs[i], now_ms, eb);
    if (rc) {
        store_rollback(tx);
        return rc;
    }
    return store_commit(tx, eb);
}

bool ssm_document_owned(store_tx_t *tx, const char *account, const char *name)
{
    cJSON *d = NULL;
    errbuf_t eb;
    bool own = !res_get(tx, &(res_key_t){account, SSM_DOC, name}, &d, &eb) && d;
    cJSON_Delete(d);
    return own;
}
