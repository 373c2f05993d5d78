/* params_read.c - Parameter Store, the reading side: GetParameter, GetParameters,
 * GetParametersByPath, DescribeParameters, GetParameterHistory; selectors (name:version,
 * name:label); SecureString values unsealed only for WithDecryption; AWS's public
 * parameters (/aws/service/...) over EC2's image catalogue. */
#include "svc/ssm/param_int.h"

#include "auth/seal.h"
#include "core/enc.h"
#include "svc/ec2/ec2.h"

#include <stdio.h>
#include <string.h>

/* The record of public parameter i (NULL past the last): String, version 1, modified
 * when its image was created. */
static cJSON *ssm_public_record(api_ctx_t *c, size_t i)
{
    char id[32], created[32];
    const char *name = ec2_public_param(i, c->region, id, created);
    if (!name) return NULL;
    int64_t ms = 0;
    enc_parse_iso8601(span_of(created), &ms);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "Name", name);
    cJSON_AddStringToObject(v, "Type", "String");
    cJSON_AddNumberToObject(v, "LastModifiedDate", (double)ms / 1000.0);
    cJSON_AddStringToObject(v, "LastModifiedUser", "arn:aws:iam::aws:root");
    cJSON_AddNumberToObject(v, "Version", 1);
    cJSON_AddArrayToObject(v, "Labels");
    cJSON_AddStringToObject(v, "Tier", "Standard");
    cJSON_AddArrayToObject(v, "Policies");
    cJSON_AddStringToObject(v, "DataType", "text");
    cJSON_AddStringToObject(v, "_Value", id);
    return v;
}

static err_t ssm_version_missing(api_ctx_t *c, const ssm_pref_t *p)
{
    return err_fail(c->eb, ERR_SSM_PARAM_VERSION_NOT_FOUND,
                    "Systems Manager could not find version %s of %s. Verify the version and try "
                    "again.",
                    p->selector, p->name);
}

/* The version of parameter key carrying one of the n labels (*ver new, NULL when none
 * does); *label (when label is non-NULL) names the label found. */
static err_t ssm_labelled(api_ctx_t *c, const char *key, const char **labels, size_t n, cJSON **ver,
                          const char **label)
{
    cJSON *vs = cJSON_CreateArray();
    bool more;
    *ver = NULL;
    err_t rc = res_list(c->tx, &(res_query_t){c->scope, SSM_PARAMVER, key, 0, 0}, vs, &more, c->eb);
    for (cJSON *v = vs->child; !rc && v && !*ver; v = v->next)
        for (size_t i = 0; i < n && !*ver; i++)
            if (ssm_has_label(cJSON_GetObjectItemCaseSensitive(v, "Labels"), labels[i])) {
                if (label) *label = arena_strdup(c->arena, labels[i]);
                *ver = cJSON_DetachItemViaPointer(vs, v);
            }
    cJSON_Delete(vs);
    return rc;
}

err_t ssm_param_find(api_ctx_t *c, const ssm_pref_t *p, cJSON **param, cJSON **ver)
{
    *param = *ver = NULL;
    const char *acct = c->scope;
    err_t rc = ERR_OK;
    if (!strncmp(p->name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX))) {
        cJSON *r;
        for (size_t i = 0; !*param && (r = ssm_public_record(c, i)); i++)
            if (!strcmp(jx_str(r, "Name"), p->name))
                *param = r;
            else
                cJSON_Delete(r);
        if (*param) *ver = cJSON_Duplicate(*param, 1);
    } else {
        rc = res_get(c->tx, &(res_key_t){acct, SSM_PARAM, p->key}, param, c->eb);
        if (!rc && *param && (!p->selector[0] || p->version)) {
            int64_t v = p->version ? p->version : jx_int(*param, "Version", 0);
            rc = res_get(c->tx, &(res_key_t){acct, SSM_PARAMVER, ssm_ver_id(c, p->key, v)}, ver,
                         c->eb);
        } else if (!rc && *param) { /* a label */
            const char *one[] = {p->selector};
            rc = ssm_labelled(c, p->key, one, 1, ver, NULL);
        }
    }
    if (!rc && !*param)
        rc = err_fail(c->eb, ERR_SSM_PARAM_NOT_FOUND, "Parameter %s not found.", p->name);
    else if (!rc && !*ver)
        rc = ssm_version_missing(c, p);
    else if (!rc && p->selector[0] && p->version != 1 &&
             !strncmp(p->name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX)))
        rc = ssm_version_missing(c, p);
    if (rc) {
        cJSON_Delete(*param);
        cJSON_Delete(*ver);
        *param = *ver = NULL;
    }
    return rc;
}

/* The stored value of ver in clear: unsealed for a SecureString, after kms:Decrypt on a
 * customer key (the default key, alias/aws/ssm, needs no permission of its own, as AWS's
 * key policy for it allows every principal of the account through Systems Manager). */
static err_t ssm_decrypt(api_ctx_t *c, const cJSON *ver, const char **out)
{
    const char *stored = jx_str(ver, "_Value");
    *out = stored;
    if (strcmp(jx_str(ver, "Type"), "SecureString")) return ERR_OK;
    const char *key = jx_str(ver, "KeyId");
    err_t rc = ERR_OK;
    if (key && strcmp(key, SSM_DEFAULT_KEY)) {
        const char *arn =
            !strncmp(key, "arn:", 4) ? key
            : !strncmp(key, "alias/", 6)
                ? arena_printf(c->arena, "arn:aws:kms:%s:%s:%s", c->region, c->account, key)
                : arena_printf(c->arena, "arn:aws:kms:%s:%s:key/%s", c->region, c->account, key);
        rc = api_check_action(c, "kms:Decrypt", arn, NULL, NULL);
    }
    if (rc) return rc;
    buf_t b;
    buf_init(&b, strlen(stored) + 16);
    bool ok = seal_open_value(auth_keys_seal(c->app->keys), span_of(stored), &b);
    *out = ok ? arena_strndup(c->arena, buf_str(&b), b.len) : NULL;
    buf_free(&b);
    return ok ? ERR_OK
              : err_fail(c->eb, ERR_INTERNAL,
                         "a SecureString value cannot be unsealed with this key file");
}

err_t ssm_param_public(api_ctx_t *c, const cJSON *ver, const ssm_pref_t *p, bool decrypt,
                       cJSON **out)
{
    const char *value = jx_str(ver, "_Value");
    err_t rc = decrypt ? ssm_decrypt(c, ver, &value) : ERR_OK;
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    static const char *const head[] = {"Name", "Type", NULL};
    jx_copy(o, ver, head);
    cJSON_AddStringToObject(o, "Value", value ? value : "");
    cJSON_AddNumberToObject(o, "Version", (double)jx_int(ver, "Version", 0));
    if (p && p->selector[0])
        cJSON_AddStringToObject(o, "Selector", arena_printf(c->arena, ":%s", p->selector));
    static const char *const tail[] = {"LastModifiedDate", NULL};
    jx_copy(o, ver, tail);
    cJSON_AddStringToObject(o, "ARN",
                            ssm_param_arn(c->region, c->account, jx_str(ver, "Name"), c->arena));
    cJSON_AddStringToObject(o, "DataType",
                            jx_str(ver, "DataType") ? jx_str(ver, "DataType") : "text");
    *out = o;
    return ERR_OK;
}

err_t ssm_get_parameter(api_ctx_t *c)
{
    ssm_pref_t p;
    const char *name = api_in_str(c, "Name");
    if (!ssm_pref_parse(name, &p))
        return err_fail(c->eb, ERR_SSM_PARAM_NOT_FOUND, "Parameter %s not found.", name);
    cJSON *param = NULL, *ver = NULL, *o = NULL;
    err_t rc = ssm_param_find(c, &p, &param, &ver);
    if (!rc) rc = ssm_param_public(c, ver, &p, jx_true(c->in, "WithDecryption"), &o);
    if (!rc) cJSON_AddItemToObject(c->out, "Parameter", o);
    cJSON_Delete(param);
    cJSON_Delete(ver);
    return rc;
}

err_t ssm_get_parameters(api_ctx_t *c)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "Names");
    bool decrypt = jx_true(c->in, "WithDecryption");
    err_t rc = ssm_authorize_names(c, "ssm:GetParameters");
    cJSON *list = cJSON_AddArrayToObject(c->out, "Parameters");
    cJSON *invalid = cJSON_AddArrayToObject(c->out, "InvalidParameters");
    for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next) {
        bool seen = false; /* a name given twice is answered once */
        for (const cJSON *m = names->child; m != n && !seen; m = m->next)
            seen = !strcmp(m->valuestring, n->valuestring);
        if (seen) continue;
        ssm_pref_t p;
        cJSON *param = NULL, *ver = NULL, *o = NULL;
        err_t r = ssm_pref_parse(n->valuestring, &p) ? ssm_param_find(c, &p, &param, &ver)
                                                     : ERR_SSM_PARAM_NOT_FOUND;
        if (r == ERR_SSM_PARAM_NOT_FOUND || r == ERR_SSM_PARAM_VERSION_NOT_FOUND)
            cJSON_AddItemToArray(invalid, cJSON_CreateString(n->valuestring));
        else if (r)
            rc = r;
        else if (!(rc = ssm_param_public(c, ver, &p, decrypt, &o)))
            cJSON_AddItemToArray(list, o);
        cJSON_Delete(param);
        cJSON_Delete(ver);
    }
    return rc;
}

/* ---- filters (DescribeParameters, GetParametersByPath) */

typedef struct ssm_sel {
    api_ctx_t *c;
    const cJSON *filters; /* ParameterFilters, or the legacy Filters */
    bool legacy;
    const char *path; /* GetParametersByPath */
    bool recursive;
} ssm_sel_t;

/* Whether key (and its option) may be used here; InvalidFilterKey / InvalidFilterOption /
 * InvalidFilterValue with AWS's sentences otherwise. */
static err_t ssm_filter_check(api_ctx_t *c, const cJSON *f, bool by_path)
{
    const char *key = jx_str(f, "Key"), *opt = jx_str(f, "Option");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(f, "Values");
    bool tag = !strncmp(key, "tag:", 4);
    static const char *const desc_keys[] = {"Name", "Type", "KeyId", "Path", "Tier", "DataType"};
    static const char *const path_keys[] = {"Type", "KeyId", "Label"};
    const char *const *keys = by_path ? path_keys : desc_keys;
    size_t nk = by_path ? 3 : 6;
    bool known = tag && !by_path;
    for (size_t i = 0; i < nk && !known; i++) known = !strcmp(key, keys[i]);
    if (!known)
        return err_fail(c->eb, ERR_SSM_INVALID_FILTER_KEY,
                        "The following filter key is not valid: %s. Valid filter keys include: "
                        "%s.",
                        key,
                        by_path ? "[Type, KeyId, Label]"
                                : "[Path, Name, Type, KeyId, Tier, DataType, tag:<key>]");
    bool is_path = !strcmp(key, "Path"), is_name = !strcmp(key, "Name");
    if (opt && (is_path ? strcmp(opt, "Recursive") && strcmp(opt, "OneLevel")
                        : strcmp(opt, "Equals") && strcmp(opt, "BeginsWith") &&
                              !(is_name && !strcmp(opt, "Contains"))))
        return err_fail(c->eb, ERR_SSM_INVALID_FILTER_OPTION,
                        "The following filter option is not valid: %s. Valid options include: "
                        "%s.",
                        opt,
                        is_path   ? "[Recursive, OneLevel]"
                        : is_name ? "[Equals, BeginsWith, Contains]"
                                  : "[Equals, BeginsWith]");
    if (!cJSON_GetArraySize(vals) && !tag)
        return err_fail(c->eb, ERR_SSM_INVALID_FILTER_VALUE,
                        "The following filter values are missing : null for filter key %s.", key);
    for (const cJSON *v = vals ? vals->child : NULL; v; v = v->next) {
        const char *s = v->valuestring;
        bool ok = true;
        if (!strcmp(key, "Type"))
            ok = !strcmp(s, "String") || !strcmp(s, "StringList") || !strcmp(s, "SecureString");
        else if (!strcmp(key, "Tier"))
            ok = !strcmp(s, "Standard") || !strcmp(s, "Advanced") ||
                 !strcmp(s, "Intelligent-Tiering");
        else if (is_path)
            ok = s[0] == '/';
        if (!ok)
            return err_fail(c->eb, ERR_SSM_INVALID_FILTER_VALUE,
                            "The following filter value is not valid: %s. Valid values for "
                            "filter key %s are listed in the API reference.",
                            s, key);
    }
    return ERR_OK;
}

/* Whether name lies under path: directly (OneLevel) or anywhere below (Recursive). */
static bool ssm_under(const char *name, const char *path, bool recursive)
{
    char full[SSM_PARAM_KEY_MAX];
    snprintf(full, sizeof(full), "%s%s", name[0] == '/' ? "" : "/", name);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    if (n == 1) n = 0; /* "/" */
    if (strncmp(full, path, n) || full[n] != '/') return false;
    return recursive || !strchr(full + n + 1, '/');
}

static bool ssm_text_match(const char *have, const char *opt, const char *want)
{
    if (!have) return false;
    if (!opt || !strcmp(opt, "Equals")) return !strcmp(have, want);
    if (!strcmp(opt, "BeginsWith")) return !strncmp(have, want, strlen(want));
    return strstr(have, want) != NULL; /* Contains */
}

/* Whether parameter body passes filter f (values ORed). */
static bool ssm_filter_match(const cJSON *body, const cJSON *f)
{
    const char *key = jx_str(f, "Key"), *opt = jx_str(f, "Option");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(f, "Values");
    if (!strncmp(key, "tag:", 4)) {
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "Tags");
        for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
            if (strcmp(jx_str(t, "Key"), key + 4)) continue;
            if (!cJSON_GetArraySize(vals)) return true;
            for (const cJSON *v = vals->child; v; v = v->next)
                if (ssm_text_match(jx_str(t, "Value"), opt, v->valuestring)) return true;
        }
        return false;
    }
    if (!strcmp(key, "Label")) return true; /* chooses the version (ssm_by_label) */
    for (const cJSON *v = vals ? vals->child : NULL; v; v = v->next) {
        if (!strcmp(key, "Path")) {
            if (ssm_under(jx_str(body, "Name"), v->valuestring, opt && !strcmp(opt, "Recursive")))
                return true;
        } else if (!strcmp(key, "Name")) {
            char a[SSM_PARAM_KEY_MAX], b[SSM_PARAM_KEY_MAX];
            ssm_param_key(jx_str(body, "Name"), a);
            ssm_param_key(v->valuestring, b);
            if (ssm_text_match(a, opt, b) ||
                ssm_text_match(jx_str(body, "Name"), opt, v->valuestring))
                return true;
        } else {
            const char *have = jx_str(body, key);
            if (!have && !strcmp(key, "DataType")) have = "text";
            if (ssm_text_match(have, opt, v->valuestring)) return true;
        }
    }
    return false;
}

static err_t ssm_sel_keep(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const ssm_sel_t *s = ctx;
    *keep = !s->path || ssm_under(jx_str(body, "Name"), s->path, s->recursive);
    for (const cJSON *f = s->filters ? s->filters->child : NULL; *keep && f; f = f->next)
        *keep = ssm_filter_match(body, f);
    return ERR_OK;
}

/* Checks the request's filters (Filters or ParameterFilters, not both) into *s. */
static err_t ssm_sel_begin(api_ctx_t *c, bool by_path, ssm_sel_t *s)
{
    *s = (ssm_sel_t){.c = c};
    const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    const cJSON *pf = cJSON_GetObjectItemCaseSensitive(c->in, "ParameterFilters");
    if (legacy && pf)
        return err_fail(c->eb, ERR_VALIDATION,
                        "You can use either Filters or ParameterFilters in a single request.");
    s->filters = pf ? pf : legacy;
    s->legacy = legacy != NULL;
    for (const cJSON *f = pf ? pf->child : NULL; f; f = f->next) {
        err_t rc = ssm_filter_check(c, f, by_path);
        if (rc) return rc;
    }
    return ERR_OK;
}

err_t ssm_describe_parameters(api_ctx_t *c)
{
    ssm_sel_t s;
    res_page_t p;
    err_t rc = ssm_sel_begin(c, false, &s);
    if (!rc) rc = ssm_page_in(c, &p);
    if (rc) return rc;
    cJSON *page = cJSON_CreateArray();
    rc = res_list_page(c->tx, &(res_query_t){c->scope, SSM_PARAM, NULL, 0, 0}, &p, ssm_sel_keep, &s,
                       page, c->eb);
    cJSON *list = cJSON_AddArrayToObject(c->out, "Parameters");
    for (const cJSON *b = page->child; !rc && b; b = b->next) {
        cJSON *m = cJSON_CreateObject();
        static const char *const head[] = {"Name", NULL};
        static const char *const rest[] = {"Type",
                                           "KeyId",
                                           "LastModifiedDate",
                                           "LastModifiedUser",
                                           "Description",
                                           "AllowedPattern",
                                           "Version",
                                           "Tier",
                                           "Policies",
                                           "DataType",
                                           NULL};
        jx_copy(m, b, head);
        cJSON_AddStringToObject(m, "ARN",
                                ssm_param_arn(c->region, c->account, jx_str(b, "Name"), c->arena));
        jx_copy(m, b, rest);
        cJSON_AddItemToArray(list, m);
    }
    cJSON_Delete(page);
    if (!rc) ssm_page_out(c, &p);
    return rc;
}

/* The version of parameter body a Label filter selects (NULL: none has such a label),
 * else the latest. New object or NULL. */
static err_t ssm_by_label(api_ctx_t *c, const ssm_sel_t *s, const cJSON *body, cJSON **ver,
                          const char **label)
{
    *ver = NULL;
    *label = NULL;
    char key[SSM_PARAM_KEY_MAX];
    ssm_param_key(jx_str(body, "Name"), key);
    const cJSON *labels = NULL;
    for (const cJSON *f = s->filters ? s->filters->child : NULL; f; f = f->next)
        if (!strcmp(jx_str(f, "Key"), "Label"))
            labels = cJSON_GetObjectItemCaseSensitive(f, "Values");
    const char *acct = c->scope;
    if (!labels)
        return res_get(
            c->tx, &(res_key_t){acct, SSM_PARAMVER, ssm_ver_id(c, key, jx_int(body, "Version", 0))},
            ver, c->eb);
    size_t n = 0;
    const char **want =
        arena_alloc(c->arena, sizeof(*want) * (size_t)(cJSON_GetArraySize(labels) + 1));
    for (const cJSON *w = labels->child; w; w = w->next) want[n++] = w->valuestring;
    return ssm_labelled(c, key, want, n, ver, label);
}

err_t ssm_get_parameters_by_path(api_ctx_t *c)
{
    ssm_sel_t s;
    res_page_t p;
    const char *path = api_in_str(c, "Path");
    err_t rc = ERR_OK;
    int levels = 0;
    for (const char *x = path; *x; x++) levels += *x == '/';
    if (path[0] != '/')
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "The parameter doesn't meet the parameter name requirements. The parameter "
                      "name must begin with a forward slash \"/\".");
    else if (levels > 15)
        rc = err_fail(c->eb, ERR_SSM_HIERARCHY_LIMIT,
                      "A hierarchy can have a maximum of 15 levels. For more information, see "
                      "Requirements and constraints for parameter names in the AWS Systems Manager "
                      "User Guide.");
    if (!rc) rc = ssm_sel_begin(c, true, &s);
    if (!rc && !res_page_begin(&p, c->op->action, api_in_int(c, "MaxResults", 10), false,
                               api_in_str(c, "NextToken")))
        rc = err_fail(c->eb, ERR_SSM_INVALID_NEXT_TOKEN, "The specified token isn't valid.");
    if (rc) return rc;
    s.path = path;
    s.recursive = jx_true(c->in, "Recursive");
    bool decrypt = jx_true(c->in, "WithDecryption");
    cJSON *page = cJSON_CreateArray();
    if (!strncmp(path, "/aws/", 5)) { /* AWS's public parameters, by name */
        res_sort_t sorted = {0};
        cJSON *r;
        for (size_t i = 0; (r = ssm_public_record(c, i)); i++) {
            bool keep = false;
            ssm_sel_keep(&s, r, NULL, &keep);
            if (keep)
                res_sort_add(&sorted, r, &(res_pkey_t){.s = jx_str(r, "Name")});
            else
                cJSON_Delete(r);
        }
        res_sort_page(&sorted, &p, page);
    } else if (!s.recursive) { /* one level: read through the index */
        char level[SSM_PARAM_KEY_MAX];
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/') n--; /* "/a/" is "/a" */
        ssm_param_level(arena_printf(c->arena, "%.*s/x", (int)n, path), level, sizeof(level));
        res_keyed_t q = {c->scope, SSM_PARAM, NULL, SSM_KEY_LEVEL, level, false};
        rc = res_keyed_page(c->tx, &q, &p, ssm_sel_keep, &s, page, c->eb);
    } else {
        rc = res_list_page(c->tx, &(res_query_t){c->scope, SSM_PARAM, NULL, 0, 0}, &p, ssm_sel_keep,
                           &s, page, c->eb);
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "Parameters");
    for (const cJSON *b = page->child; !rc && b; b = b->next) {
        cJSON *ver = NULL, *o = NULL;
        const char *label = NULL;
        if (!strncmp(path, "/aws/", 5))
            ver = cJSON_Duplicate(b, 1);
        else
            rc = ssm_by_label(c, &s, b, &ver, &label);
        ssm_pref_t pr = {0};
        if (label) snprintf(pr.selector, sizeof(pr.selector), "%s", label);
        if (!rc && ver) rc = ssm_param_public(c, ver, &pr, decrypt, &o);
        if (o) cJSON_AddItemToArray(list, o);
        cJSON_Delete(ver);
    }
    cJSON_Delete(page);
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}

err_t ssm_get_parameter_history(api_ctx_t *c)
{
    ssm_pref_t pr;
    const char *name = api_in_str(c, "Name");
    res_page_t p;
    cJSON *param = NULL;
    err_t rc = ERR_OK;
    cJSON *ver = NULL; /* the latest version (a public parameter has only this one) */
    if (!ssm_pref_parse(name, &pr) || pr.selector[0])
        rc = err_fail(c->eb, ERR_SSM_PARAM_NOT_FOUND, "Parameter %s not found.", name);
    if (!rc) rc = ssm_param_find(c, &pr, &param, &ver);
    cJSON_Delete(param);
    if (!rc) rc = ssm_page_in(c, &p);
    if (rc) {
        cJSON_Delete(ver);
        return rc;
    }
    bool decrypt = jx_true(c->in, "WithDecryption");
    cJSON *page = cJSON_CreateArray();
    if (!strncmp(pr.name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX))) { /* one version */
        if (!p.after) cJSON_AddItemToArray(page, cJSON_Duplicate(ver, 1));
    } else {
        rc = res_list_page(c->tx, &(res_query_t){c->scope, SSM_PARAMVER, pr.key, 0, 0}, &p, NULL,
                           NULL, page, c->eb);
    }
    cJSON_Delete(ver);
    cJSON *list = cJSON_AddArrayToObject(c->out, "Parameters");
    for (const cJSON *v = page->child; !rc && v; v = v->next) {
        const char *value = jx_str(v, "_Value");
        if (decrypt) rc = ssm_decrypt(c, v, &value);
        if (rc) break;
        cJSON *h = cJSON_Duplicate(v, 1);
        jx_drop_internal(h);
        jx_set_str(h, "Value", value);
        cJSON_AddItemToArray(list, h);
    }
    cJSON_Delete(page);
    if (!rc) ssm_page_out(c, &p);
    return rc;
}
