/* params.c - Parameter Store, the writing side: PutParameter (versions, tiers, types,
 * AllowedPattern, DataType, SecureString sealed at rest), DeleteParameter(s),
 * LabelParameterVersion and UnlabelParameterVersion, with AWS's name rules. Reading is
 * params_read.c. */
#include "svc/ssm/param_int.h"

#include "auth/seal.h"
#include "core/clk.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SSM_NAME_RULES                                                                             \
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as "  \
    "a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as " \
    "a mix of letters, numbers and the following 3 symbols .-_"

const char *ssm_param_arn(const char *region, const char *account, const char *name, arena_t *arena)
{
    if (!strncmp(name, "arn:", 4)) return arena_strdup(arena, name);
    size_t n = strcspn(name, ":");
    const char *acct = !strncmp(name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX)) ? "" : account;
    return arena_printf(arena, "arn:aws:ssm:%s:%s:parameter%s%.*s", region, acct,
                        name[0] == '/' ? "" : "/", (int)n, name);
}

void ssm_param_key(const char *name, char *out)
{
    /* "/a" and "a" are the same parameter; "/a/b" has no other spelling */
    bool one_level = name[0] == '/' && !strchr(name + 1, '/');
    snprintf(out, SSM_PARAM_KEY_MAX, "%s", one_level ? name + 1 : name);
}

/* AWS's characters and form: letters, digits, _ . - and / between non-empty segments,
 * fully qualified (a leading / when there is any other). */
static bool ssm_name_form_ok(const char *name)
{
    size_t n = strlen(name);
    if (!n || n >= SSM_PARAM_KEY_MAX - 1) return false;
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") != n)
        return false;
    if (strchr(name + 1, '/') && name[0] != '/') return false; /* not fully qualified */
    if (strstr(name, "//") || name[n - 1] == '/') return false;
    return true;
}

bool ssm_pref_parse(const char *ref, ssm_pref_t *p)
{
    *p = (ssm_pref_t){0};
    if (!strncmp(ref, "arn:", 4)) { /* arn:aws:ssm:REGION:ACCOUNT:parameter/NAME */
        const char *at = strstr(ref, ":parameter/");
        if (!at) return false;
        ref = at + strlen(":parameter");
        if (!strchr(ref + 1, '/')) ref++; /* ".../parameter/a" names "a" */
    }
    const char *colon = strchr(ref, ':');
    size_t n = colon ? (size_t)(colon - ref) : strlen(ref);
    if (n >= sizeof(p->name)) return false;
    memcpy(p->name, ref, n);
    p->name[n] = '\0';
    if (colon) {
        snprintf(p->selector, sizeof(p->selector), "%s", colon + 1);
        char *end = NULL;
        long long v = strtoll(p->selector, &end, 10);
        if (p->selector[0] >= '0' && p->selector[0] <= '9' && end && !*end) p->version = v;
        if (!p->selector[0] || (isdigit((unsigned char)p->selector[0]) && !p->version))
            return false;
    }
    if (!ssm_name_form_ok(p->name)) return false;
    ssm_param_key(p->name, p->key);
    return true;
}

const char *ssm_ver_id(api_ctx_t *c, const char *key, int64_t v)
{
    return arena_printf(c->arena, "%s:%lld", key, (long long)v);
}

err_t ssm_authorize_names(api_ctx_t *c, const char *action)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "Names");
    err_t rc = ERR_OK;
    for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next)
        rc = api_check_action(
            c, action, ssm_param_arn(c->region, c->account, n->valuestring, c->arena), NULL, NULL);
    return rc;
}

/* A name PutParameter may create: the form, no aws/ssm prefix, at most 15 levels, an ARN
 * of at most 1011 characters. */
static err_t ssm_name_check(api_ctx_t *c, const char *name)
{
    const char *bare = name[0] == '/' ? name + 1 : name;
    if (!ssm_name_form_ok(name) || !strncasecmp(bare, "aws", 3) || !strncasecmp(bare, "ssm", 3))
        return err_fail(c->eb, ERR_VALIDATION, SSM_NAME_RULES);
    int levels = 0;
    for (const char *s = name; *s; s++) levels += *s == '/';
    if (levels > 15)
        return err_fail(c->eb, ERR_SSM_HIERARCHY_LIMIT,
                        "A hierarchy can have a maximum of 15 levels. For more information, see "
                        "Requirements and constraints for parameter names in the AWS Systems "
                        "Manager User Guide.");
    if (strlen(ssm_param_arn(c->region, c->account, name, c->arena)) > 1011)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Parameter name: the parameter's ARN can be at most 1011 characters long.");
    return ERR_OK;
}

/* ParameterPatternMismatchException when value (each item of a StringList) is not wholly
 * matched by pattern (Java's syntax as AWS reads it: PCRE2, bounded);
 * InvalidAllowedPatternException when pattern is no expression. */
static err_t ssm_pattern_check(api_ctx_t *c, const char *pattern, const char *type,
                               const char *value)
{
    if (!pattern || !*pattern) return ERR_OK;
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    if (!re)
        return err_fail(c->eb, ERR_SSM_INVALID_PATTERN,
                        "The allowed pattern %s is not a valid regular expression.", pattern);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, 1000000);
    pcre2_set_depth_limit(mc, 10000);
    bool list = !strcmp(type, "StringList"), ok = true;
    const char *s = value;
    do {
        size_t n = list ? strcspn(s, ",") : strlen(s);
        ok = pcre2_match(re, (PCRE2_SPTR)s, n, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, mc) >= 0;
        s += n + (s[n] == ',');
    } while (ok && list && *s);
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return ok ? ERR_OK
              : err_fail(c->eb, ERR_SSM_PATTERN_MISMATCH,
                         "Parameter value, cannot be validated against allowedPattern: %s",
                         pattern);
}

/* KeyId forms KMS accepts: a key id, alias/NAME, or a key or alias ARN. */
static bool ssm_key_id_ok(const char *k)
{
    if (!strncmp(k, "alias/", 6)) return k[6] != '\0';
    if (!strncmp(k, "arn:aws:kms:", 12)) return strstr(k, ":key/") || strstr(k, ":alias/");
    size_t n = strlen(k);
    if (n != 36 && !(n == 34 && !strncmp(k, "mrk-", 4))) return false;
    return strspn(k, "0123456789abcdefABCDEF-mrk") == n;
}

/* Tier for a value of len characters: the requested one (absent: the current one, else
 * Standard; Intelligent-Tiering picks), refusing a value too long for it and a downgrade
 * from Advanced. */
static err_t ssm_tier(api_ctx_t *c, const cJSON *cur, size_t len, const char **tier)
{
    const char *want = api_in_str(c, "Tier");
    const char *had = jx_str(cur, "Tier");
    if (!want) want = had ? had : "Standard";
    if (!strcmp(want, "Intelligent-Tiering"))
        want = (had && !strcmp(had, "Advanced")) || len > 4096 ? "Advanced" : "Standard";
    if (had && !strcmp(had, "Advanced") && !strcmp(want, "Standard"))
        return err_fail(c->eb, ERR_VALIDATION,
                        "This parameter uses the advanced-parameter tier. You can't downgrade a "
                        "parameter from the advanced-parameter tier to the standard-parameter "
                        "tier. If necessary, you can delete the advanced parameter and recreate "
                        "it as a standard parameter.");
    if (!strcmp(want, "Standard") && len > 4096)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Standard tier parameters support a maximum parameter value of 4096 "
                        "characters. To create a larger parameter value, upgrade the parameter "
                        "to use the advanced-parameter tier. For more information, see "
                        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                        "parameter-store-advanced-parameters.html");
    if (len > 8192)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Advanced tier parameters support a maximum parameter value of 8192 "
                        "characters.");
    *tier = want;
    return ERR_OK;
}

/* DataType: text (default), aws:ec2:image (a String naming an image the caller can see
 * through ec2:DescribeImages) or aws:ssm:integration. */
static err_t ssm_data_type(api_ctx_t *c, const cJSON *cur, const char *type, const char *value,
                           const char **out)
{
    const char *dt = api_in_str(c, "DataType");
    if (!dt) dt = jx_str(cur, "DataType"); /* an overwrite keeps it */
    if (!dt || !*dt) dt = "text";
    if (strcmp(dt, "text") && strcmp(dt, "aws:ec2:image") && strcmp(dt, "aws:ssm:integration"))
        return err_fail(c->eb, ERR_VALIDATION,
                        "The following data type is not supported: %s (Data type names are all "
                        "lowercase.)",
                        dt);
    *out = dt;
    if (strcmp(dt, "aws:ec2:image")) return ERR_OK;
    if (strcmp(type, "String"))
        return err_fail(c->eb, ERR_VALIDATION,
                        "Parameter type %s is not supported for data type aws:ec2:image. Use "
                        "type String.",
                        type);
    size_t n = strlen(value);
    if (strncmp(value, "ami-", 4) || (n != 12 && n != 21) ||
        strspn(value + 4, "0123456789abcdef") != n - 4)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Invalid formatted AMI ID %s. The AMI ID format must be "
                        "ami-12345abcdeEXAMPLE.",
                        value);
    cJSON *in = cJSON_CreateObject(), *out_im = NULL;
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "ImageIds"), cJSON_CreateString(value));
    errbuf_t eb;
    err_t rc = api_client_call(c, c->caller, "ec2", "DescribeImages", in, &out_im, &eb);
    cJSON_Delete(in);
    cJSON_Delete(out_im);
    if (rc == ERR_ACCESS_DENIED) return err_fail(c->eb, rc, "%s", eb.msg);
    if (rc)
        return err_fail(c->eb, ERR_VALIDATION,
                        "The image %s was not found, or you don't have access to it.", value);
    return ERR_OK;
}

/* The oldest kept version of key when it already has SSM_PARAM_VERSIONS: deleted, unless
 * it has a label (ParameterMaxVersionLimitExceeded, as AWS). */
static err_t ssm_version_room(api_ctx_t *c, const char *key, const char *name)
{
    const char *acct = c->scope;
    cJSON *all = cJSON_CreateArray();
    bool more;
    err_t rc = res_list(c->tx, &(res_query_t){acct, SSM_PARAMVER, key, 0, 0}, all, &more, c->eb);
    const cJSON *oldest = all->child;
    if (!rc && cJSON_GetArraySize(all) >= SSM_PARAM_VERSIONS) {
        int64_t v = jx_int(oldest, "Version", 0);
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(oldest, "Labels")))
            rc = err_fail(c->eb, ERR_SSM_PARAM_MAX_VERSIONS,
                          "You attempted to create a new version of %s by calling the "
                          "PutParameter API with the overwrite flag. Version %lld, the oldest "
                          "version, can't be deleted because it has a label associated with it. "
                          "Move the label to another version of the parameter, and try again.",
                          name, (long long)v);
        else
            rc = res_delete(c->tx, &(res_key_t){acct, SSM_PARAMVER, ssm_ver_id(c, key, v)}, NULL,
                            c->eb);
    }
    cJSON_Delete(all);
    return rc;
}

/* The stored form of value: sealed (auth/seal.h) for a SecureString, else as given. */
static err_t ssm_seal_value(api_ctx_t *c, const char *type, const char *value, const char **out)
{
    if (strcmp(type, "SecureString")) {
        *out = value;
        return ERR_OK;
    }
    buf_t b;
    buf_init(&b, strlen(value) * 2 + 64);
    bool ok = seal_seal(auth_keys_seal(c->app->keys), &c->app->ids, span_of(value), &b);
    *out = ok ? arena_strdup(c->arena, buf_str(&b)) : NULL;
    buf_free(&b);
    return ok ? ERR_OK : err_fail(c->eb, ERR_INTERNAL, "cannot seal a SecureString value");
}

err_t ssm_put_parameter(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Name"), *value = api_in_str(c, "Value");
    const char *acct = c->scope;
    err_t rc = ssm_name_check(c, name);
    if (rc) return rc;
    if (!value) return err_fail(c->eb, ERR_VALIDATION, "A parameter value is required.");
    char key[SSM_PARAM_KEY_MAX];
    ssm_param_key(name, key);
    cJSON *cur = NULL;
    rc = res_get(c->tx, &(res_key_t){acct, SSM_PARAM, key}, &cur, c->eb);
    jx_own(c->arena, cur);
    bool overwrite = jx_true(c->in, "Overwrite");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    if (!rc && overwrite && tags)
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Invalid request: tags and overwrite can't be used together. To create a "
                      "parameter with tags, please remove overwrite flag. To update tags for an "
                      "existing parameter, please use AddTagsToResource or "
                      "RemoveTagsFromResource.");
    if (!rc && cur && !overwrite)
        rc = err_fail(c->eb, ERR_SSM_PARAM_EXISTS,
                      "The parameter already exists. To overwrite this value, set the overwrite "
                      "option in the request to true.");
    const char *type = api_in_str(c, "Type");
    if (!type) type = jx_str(cur, "Type");
    if (!rc && !type)
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "A parameter type is required when you create a parameter.");
    if (rc) return rc;
    const char *key_id = api_in_str(c, "KeyId");
    if (key_id && strcmp(type, "SecureString"))
        return err_fail(c->eb, ERR_VALIDATION,
                        "KeyId is required for SecureString type parameter only.");
    if (key_id && !ssm_key_id_ok(key_id))
        return err_fail(c->eb, ERR_SSM_INVALID_KEY_ID, "Invalid keyId %s", key_id);
    if (!key_id && !strcmp(type, "SecureString"))
        key_id = jx_str(cur, "KeyId") ? jx_str(cur, "KeyId") : SSM_DEFAULT_KEY;
    const char *pattern = cJSON_GetObjectItemCaseSensitive(c->in, "AllowedPattern")
                              ? api_in_str(c, "AllowedPattern")
                              : jx_str(cur, "AllowedPattern");
    const char *desc = cJSON_GetObjectItemCaseSensitive(c->in, "Description")
                           ? api_in_str(c, "Description")
                           : jx_str(cur, "Description");
    const char *tier = NULL, *dtype = NULL, *stored = NULL;
    rc = ssm_tier(c, cur, strlen(value), &tier);
    if (!rc) rc = ssm_pattern_check(c, pattern, type, value);
    if (!rc) rc = ssm_data_type(c, cur, type, value, &dtype);
    if (!rc && cur) rc = ssm_version_room(c, key, name);
    if (!rc) rc = ssm_seal_value(c, type, value, &stored);
    if (rc) return rc;

    int64_t now = clk_now_ms(&c->app->clock);
    int64_t version = jx_int(cur, "Version", 0) + 1;
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "Name", cur ? jx_str(cur, "Name") : name);
    cJSON_AddStringToObject(v, "Type", type);
    if (key_id) cJSON_AddStringToObject(v, "KeyId", key_id);
    cJSON_AddNumberToObject(v, "LastModifiedDate", (double)now / 1000.0);
    cJSON_AddStringToObject(v, "LastModifiedUser", c->caller->arn);
    if (desc) cJSON_AddStringToObject(v, "Description", desc);
    if (pattern) cJSON_AddStringToObject(v, "AllowedPattern", pattern);
    cJSON_AddNumberToObject(v, "Version", (double)version);
    cJSON_AddArrayToObject(v, "Labels");
    cJSON_AddStringToObject(v, "Tier", tier);
    cJSON_AddArrayToObject(v, "Policies");
    cJSON_AddStringToObject(v, "DataType", dtype);
    cJSON_AddStringToObject(v, "_Value", stored);
    const char *vid = ssm_ver_id(c, key, version);
    res_row_t vrow = {.parent = key, .created_ms = now};
    rc = res_insert(c->tx, &(res_key_t){acct, SSM_PARAMVER, vid}, &vrow, v, c->eb);
    /* the parameter's record: the latest version's fields, its tags */
    cJSON *p = cJSON_Duplicate(v, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(p, "Labels");
    const cJSON *old_tags = cJSON_GetObjectItemCaseSensitive(cur, "Tags");
    cJSON_AddItemToObject(p, "Tags", cJSON_Duplicate(tags ? tags : old_tags, 1));
    if (!cJSON_GetObjectItemCaseSensitive(p, "Tags")) cJSON_AddArrayToObject(p, "Tags");
    if (!rc && cur)
        rc = res_update(c->tx, &(res_key_t){acct, SSM_PARAM, key}, NULL, now, p, NULL, c->eb);
    else if (!rc)
        rc = res_insert(c->tx, &(res_key_t){acct, SSM_PARAM, key}, &(res_row_t){.created_ms = now},
                        p, c->eb);
    cJSON_Delete(p);
    cJSON_Delete(v);
    if (rc) return rc;
    cJSON_AddNumberToObject(c->out, "Version", (double)version);
    cJSON_AddStringToObject(c->out, "Tier", tier);
    return ERR_OK;
}

/* Deletes the parameter key and its versions; *found tells whether it existed. */
static err_t ssm_param_delete(api_ctx_t *c, const char *key, bool *found)
{
    const char *acct = c->scope;
    err_t rc = res_delete(c->tx, &(res_key_t){acct, SSM_PARAM, key}, found, c->eb);
    if (rc || !*found) return rc;
    cJSON *vs = cJSON_CreateArray();
    bool more;
    rc = res_list(c->tx, &(res_query_t){acct, SSM_PARAMVER, key, 0, 0}, vs, &more, c->eb);
    for (const cJSON *v = vs->child; !rc && v; v = v->next)
        rc = res_delete(
            c->tx, &(res_key_t){acct, SSM_PARAMVER, ssm_ver_id(c, key, jx_int(v, "Version", 0))},
            NULL, c->eb);
    cJSON_Delete(vs);
    return rc;
}

err_t ssm_delete_parameter(api_ctx_t *c)
{
    ssm_pref_t p;
    bool found = false;
    err_t rc = ERR_OK;
    if (ssm_pref_parse(api_in_str(c, "Name"), &p) && !p.selector[0])
        rc = ssm_param_delete(c, p.key, &found);
    if (!rc && !found)
        rc = err_fail(c->eb, ERR_SSM_PARAM_NOT_FOUND, "Parameter %s not found.",
                      api_in_str(c, "Name"));
    return rc;
}

err_t ssm_delete_parameters(api_ctx_t *c)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "Names");
    err_t rc = ssm_authorize_names(c, "ssm:DeleteParameters");
    cJSON *deleted = cJSON_AddArrayToObject(c->out, "DeletedParameters");
    cJSON *invalid = cJSON_AddArrayToObject(c->out, "InvalidParameters");
    for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next) {
        ssm_pref_t p;
        bool found = false;
        if (ssm_pref_parse(n->valuestring, &p) && !p.selector[0])
            rc = ssm_param_delete(c, p.key, &found);
        cJSON_AddItemToArray(found ? deleted : invalid, cJSON_CreateString(n->valuestring));
    }
    return rc;
}

/* AWS's label rules: 1-100 of letters, digits, . - _; not starting with a digit, nor
 * with aws or ssm in any case. */
static bool ssm_label_ok(const char *l)
{
    size_t n = strlen(l);
    if (!n || n > 100 || isdigit((unsigned char)l[0])) return false;
    if (!strncasecmp(l, "aws", 3) || !strncasecmp(l, "ssm", 3)) return false;
    return strspn(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

bool ssm_has_label(const cJSON *labels, const char *l)
{
    for (const cJSON *x = labels ? labels->child : NULL; x; x = x->next)
        if (cJSON_IsString(x) && !strcmp(x->valuestring, l)) return true;
    return false;
}

static void ssm_drop_label(cJSON *labels, const char *l)
{
    int i = 0;
    for (cJSON *x = labels ? labels->child : NULL; x; x = x->next, i++)
        if (cJSON_IsString(x) && !strcmp(x->valuestring, l)) {
            cJSON_DeleteItemFromArray(labels, i);
            return;
        }
}

/* The parameter's versions (creation order) and the one ParameterVersion names (the
 * latest when absent and latest_default). */
static err_t ssm_label_target(api_ctx_t *c, bool latest_default, ssm_pref_t *p, cJSON **all,
                              cJSON **target)
{
    *all = cJSON_CreateArray();
    *target = NULL;
    const char *name = api_in_str(c, "Name");
    cJSON *param = NULL;
    err_t rc = ERR_OK;
    if (!ssm_pref_parse(name, p) || p->selector[0])
        return err_fail(c->eb, ERR_SSM_PARAM_NOT_FOUND, "Parameter %s not found.", name);
    rc = res_get(c->tx, &(res_key_t){c->scope, SSM_PARAM, p->key}, &param, c->eb);
    if (!rc && !param)
        rc = err_fail(c->eb, ERR_SSM_PARAM_NOT_FOUND, "Parameter %s not found.", name);
    bool more;
    if (!rc)
        rc = res_list(c->tx, &(res_query_t){c->scope, SSM_PARAMVER, p->key, 0, 0}, *all, &more,
                      c->eb);
    int64_t want =
        api_in_int(c, "ParameterVersion", latest_default ? jx_int(param, "Version", 0) : 0);
    for (cJSON *v = (*all)->child; !rc && v; v = v->next)
        if (jx_int(v, "Version", 0) == want) *target = v;
    if (!rc && !*target)
        rc = err_fail(c->eb, ERR_SSM_PARAM_VERSION_NOT_FOUND,
                      "Systems Manager could not find version %lld of %s. Verify the version and "
                      "try again.",
                      (long long)want, name);
    cJSON_Delete(param);
    return rc;
}

/* Saves the versions whose labels changed (all of them: at most 100 small rows). */
static err_t ssm_label_save(api_ctx_t *c, const char *key, const cJSON *all)
{
    err_t rc = ERR_OK;
    int64_t now = clk_now_ms(&c->app->clock);
    for (const cJSON *v = all->child; !rc && v; v = v->next)
        if (jx_true(v, "_Changed")) {
            cJSON *copy = cJSON_Duplicate(v, 1);
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "_Changed");
            rc = res_update(
                c->tx,
                &(res_key_t){c->scope, SSM_PARAMVER, ssm_ver_id(c, key, jx_int(v, "Version", 0))},
                NULL, now, copy, NULL, c->eb);
            cJSON_Delete(copy);
        }
    return rc;
}

err_t ssm_label_parameter_version(api_ctx_t *c)
{
    ssm_pref_t p;
    cJSON *all = NULL, *target = NULL;
    err_t rc = ssm_label_target(c, true, &p, &all, &target);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c->in, "Labels");
    cJSON *invalid = cJSON_AddArrayToObject(c->out, "InvalidLabels");
    cJSON *tl = cJSON_GetObjectItemCaseSensitive(target, "Labels");
    for (const cJSON *l = labels ? labels->child : NULL; !rc && l; l = l->next) {
        if (!ssm_label_ok(l->valuestring)) {
            cJSON_AddItemToArray(invalid, cJSON_CreateString(l->valuestring));
            continue;
        }
        if (ssm_has_label(tl, l->valuestring)) continue;
        /* a label names one version: it moves */
        for (cJSON *v = all->child; v; v = v->next) {
            cJSON *vl = cJSON_GetObjectItemCaseSensitive(v, "Labels");
            if (v != target && ssm_has_label(vl, l->valuestring)) {
                ssm_drop_label(vl, l->valuestring);
                jx_set(v, "_Changed", cJSON_CreateTrue());
            }
        }
        cJSON_AddItemToArray(tl, cJSON_CreateString(l->valuestring));
        jx_set(target, "_Changed", cJSON_CreateTrue());
    }
    if (!rc && cJSON_GetArraySize(tl) > SSM_PARAM_LABELS)
        rc = err_fail(c->eb, ERR_SSM_LABEL_LIMIT,
                      "A parameter version can have a maximum of ten labels. Move one or more "
                      "labels to another version and try again.");
    if (!rc) rc = ssm_label_save(c, p.key, all);
    if (!rc)
        cJSON_AddNumberToObject(c->out, "ParameterVersion", (double)jx_int(target, "Version", 0));
    cJSON_Delete(all);
    return rc;
}

err_t ssm_unlabel_parameter_version(api_ctx_t *c)
{
    ssm_pref_t p;
    cJSON *all = NULL, *target = NULL;
    err_t rc = ssm_label_target(c, false, &p, &all, &target);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c->in, "Labels");
    cJSON *removed = cJSON_AddArrayToObject(c->out, "RemovedLabels");
    cJSON *invalid = cJSON_AddArrayToObject(c->out, "InvalidLabels");
    cJSON *tl = cJSON_GetObjectItemCaseSensitive(target, "Labels");
    for (const cJSON *l = labels ? labels->child : NULL; !rc && l; l = l->next) {
        bool has = ssm_has_label(tl, l->valuestring);
        if (has) ssm_drop_label(tl, l->valuestring);
        cJSON_AddItemToArray(has ? removed : invalid, cJSON_CreateString(l->valuestring));
        if (has) jx_set(target, "_Changed", cJSON_CreateTrue());
    }
    if (!rc) rc = ssm_label_save(c, p.key, all);
    cJSON_Delete(all);
    return rc;
}

/* ---- the indexed key: a parameter's level (GetParametersByPath reads one level through
 * it rather than every parameter) */

void ssm_param_level(const char *name, char *out, size_t cap)
{
    const char *last = strrchr(name, '/');
    if (!last || last == name) /* "a", "/a": the top */
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(last - name), name);
}

static void ssm_key_level(const cJSON *b, buf_t *out)
{
    char level[SSM_PARAM_KEY_MAX];
    ssm_param_level(jx_str(b, "Name") ? jx_str(b, "Name") : "", level, sizeof(level));
    buf_adds(out, level);
}

static const res_key_def_t ssm_param_keys[] = {{SSM_KEY_LEVEL, NULL, ssm_key_level}};
static const res_keyer_t ssm_param_keyer = {SSM_PARAM, ssm_param_keys, 1, false};

void ssm_param_register_keys(void)
{
    res_keys_register(&ssm_param_keyer);
}
