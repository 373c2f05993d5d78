/* params.c - template parameters: reading the Parameters section into declarations
 * (types, defaults, constraints, a compiled AllowedPattern) and tpl_bind, which checks
 * the values a caller gives against them with CloudFormation's messages. */
#include "tpl/tpl_int.h"

#include "core/mem.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The AWS-specific parameter types CloudFormation knows; their values are strings here
 * (the caller may look them up), and List<...> of them are lists. */
static const char *const aws_types[] = {
    "AWS::EC2::AvailabilityZone::Name",
    "AWS::EC2::Image::Id",
    "AWS::EC2::Instance::Id",
    "AWS::EC2::KeyPair::KeyName",
    "AWS::EC2::SecurityGroup::GroupName",
    "AWS::EC2::SecurityGroup::Id",
    "AWS::EC2::Subnet::Id",
    "AWS::EC2::Volume::Id",
    "AWS::EC2::VPC::Id",
    "AWS::Route53::HostedZone::Id",
    "AWS::SSM::Parameter::Name",
};

static bool is_aws_type(span_t s)
{
    for (size_t i = 0; i < sizeof(aws_types) / sizeof(aws_types[0]); i++)
        if (span_eq_str(s, aws_types[i])) return true;
    return false;
}

/* "List<X>" -> X; p == NULL when s is not of that form. */
static span_t list_of(span_t s)
{
    if (s.n > 6 && memcmp(s.p, "List<", 5) == 0 && s.p[s.n - 1] == '>')
        return span_make(s.p + 5, s.n - 6);
    return (span_t){NULL, 0};
}

/* Classifies a parameter type; false when CloudFormation does not know it. */
static bool classify(const char *type, tpl_pkind_t *kind)
{
    span_t s = span_of(type);
    span_t inner;
    static const char ssm[] = "AWS::SSM::Parameter::Value<";
    if (span_eq_str(s, "String") || is_aws_type(s)) {
        *kind = TPL_PK_STRING;
        return true;
    }
    if (span_eq_str(s, "Number")) {
        *kind = TPL_PK_NUMBER;
        return true;
    }
    if (span_eq_str(s, "CommaDelimitedList")) {
        *kind = TPL_PK_LIST;
        return true;
    }
    inner = list_of(s);
    if (inner.p && span_eq_str(inner, "Number")) {
        *kind = TPL_PK_LIST_NUMBER;
        return true;
    }
    if (inner.p && is_aws_type(inner) && !span_eq_str(inner, "AWS::SSM::Parameter::Name")) {
        *kind = TPL_PK_LIST;
        return true;
    }
    /* AWS::SSM::Parameter::Value<T>: the caller resolves the name; we see the value. */
    if (s.n > sizeof(ssm) && memcmp(s.p, ssm, sizeof(ssm) - 1) == 0 && s.p[s.n - 1] == '>') {
        span_t t = span_make(s.p + sizeof(ssm) - 1, s.n - sizeof(ssm));
        span_t tl = list_of(t);
        if (span_eq_str(t, "String") ||
            (is_aws_type(t) && !span_eq_str(t, "AWS::SSM::Parameter::Name"))) {
            *kind = TPL_PK_STRING;
            return true;
        }
        if (span_eq_str(t, "CommaDelimitedList") || (tl.p && span_eq_str(tl, "String")) ||
            (tl.p && is_aws_type(tl) && !span_eq_str(tl, "AWS::SSM::Parameter::Name"))) {
            *kind = TPL_PK_LIST;
            return true;
        }
    }
    return false;
}

static const char *const param_keys[] = {
    "Type",      "Default",  "Description", "AllowedValues", "AllowedPattern",        "MinLength",
    "MaxLength", "MinValue", "MaxValue",    "NoEcho",        "ConstraintDescription",
};

/* A number written as a JSON number or as a numeric string. */
static bool number_of(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return isfinite(*out);
    }
    if (!cJSON_IsString(v) || !v->valuestring[0] || isspace((unsigned char)v->valuestring[0]))
        return false;
    char *end = NULL;
    *out = strtod(v->valuestring, &end);
    return end && *end == '\0' && isfinite(*out);
}

static err_t bad_member(errbuf_t *eb, const char *param, const char *key, const char *want)
{
    return err_fail(eb, ERR_VALIDATION, "Template format error: [/Parameters/%s/%s] %s", param, key,
                    want);
}

static err_t load_strings(tpl_pdecl_t *d, const cJSON *decl, errbuf_t *eb)
{
    const char *name = d->pub.name;
    struct {
        const char *key;
        const char **dst;
    } strs[] = {
        {"Description", &d->pub.description},
        {"ConstraintDescription", &d->pub.constraint_description},
        {"AllowedPattern", &d->pub.allowed_pattern},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        const cJSON *v = tpl__get(decl, strs[i].key);
        if (!v) continue;
        if (!cJSON_IsString(v)) return bad_member(eb, name, strs[i].key, "must be a string");
        *strs[i].dst = v->valuestring;
    }
    const cJSON *def = tpl__get(decl, "Default");
    if (def) {
        d->default_owned = tpl__str(def);
        if (!d->default_owned)
            return err_fail(eb, ERR_VALIDATION,
                            "Template format error: Every Default member must be a string.");
        d->pub.default_value = d->default_owned;
    }
    const cJSON *av = tpl__get(decl, "AllowedValues"), *item;
    if (av) {
        if (!cJSON_IsArray(av))
            return bad_member(eb, name, "AllowedValues", "must be a list of strings");
        d->allowed = cJSON_CreateArray();
        d->pub.allowed_values = d->allowed;
        cJSON_ArrayForEach(item, av)
        {
            char *s = tpl__str(item);
            if (!s) return bad_member(eb, name, "AllowedValues", "must be a list of strings");
            cJSON_AddItemToArray(d->allowed, cJSON_CreateString(s));
            free(s);
        }
    }
    return ERR_OK;
}

static err_t load_bounds(tpl_pdecl_t *d, const cJSON *decl, errbuf_t *eb)
{
    const char *name = d->pub.name;
    const char *lens[] = {"MinLength", "MaxLength"};
    bool *has_len[] = {&d->pub.has_min_length, &d->pub.has_max_length};
    long long *len[] = {&d->pub.min_length, &d->pub.max_length};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = tpl__get(decl, lens[i]);
        double x;
        if (!v) continue;
        if (!number_of(v, &x) || x != floor(x) || x < 0 || x > 1e15)
            return bad_member(eb, name, lens[i], "must be a non-negative integer");
        *has_len[i] = true;
        *len[i] = (long long)x;
    }
    const char *vals[] = {"MinValue", "MaxValue"};
    bool *has_val[] = {&d->pub.has_min_value, &d->pub.has_max_value};
    double *val[] = {&d->pub.min_value, &d->pub.max_value};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = tpl__get(decl, vals[i]);
        if (!v) continue;
        if (!number_of(v, val[i])) return bad_member(eb, name, vals[i], "must be a number");
        *has_val[i] = true;
    }
    const cJSON *ne = tpl__get(decl, "NoEcho");
    if (ne) {
        if (cJSON_IsBool(ne))
            d->pub.no_echo = cJSON_IsTrue(ne);
        else if (cJSON_IsString(ne) && (strcasecmp(ne->valuestring, "true") == 0 ||
                                        strcasecmp(ne->valuestring, "false") == 0))
            d->pub.no_echo = strcasecmp(ne->valuestring, "true") == 0;
        else
            return bad_member(eb, name, "NoEcho", "must be a boolean");
    }
    return ERR_OK;
}

/* Compiles AllowedPattern so that tpl_bind can require a match of the whole value. */
static err_t load_pattern(tpl_pdecl_t *d, errbuf_t *eb)
{
    if (!d->pub.allowed_pattern) return ERR_OK;
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)d->pub.allowed_pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0) msg[0] = '\0';
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Parameter '%s' AllowedPattern is not a valid "
                        "regular expression: %s",
                        d->pub.name, (const char *)msg);
    }
    d->re = re;
    return ERR_OK;
}

static err_t load_one(tpl_pdecl_t *d, const cJSON *decl, errbuf_t *eb)
{
    const char *name = decl->string;
    d->pub.name = name;
    if (!tpl__alnum(name))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Parameter name %.*s is non alphanumeric.",
                        TPL_MAX_NAME, name);
    if (!cJSON_IsObject(decl))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Every Parameters object must be an object.");
    const cJSON *type = tpl__get(decl, "Type"), *m;
    if (!cJSON_IsString(type))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Every Parameters object must contain a Type "
                        "member.");
    d->pub.type = type->valuestring;
    if (!classify(d->pub.type, &d->kind))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Unrecognized parameter type: %.200s", d->pub.type);
    cJSON_ArrayForEach(m, decl)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(param_keys) / sizeof(param_keys[0]); i++)
            known = known || strcmp(m->string, param_keys[i]) == 0;
        if (!known)
            return err_fail(eb, ERR_VALIDATION, "Invalid template parameter property '%.200s'",
                            m->string);
    }
    err_t rc = load_strings(d, decl, eb);
    if (rc == ERR_OK) rc = load_bounds(d, decl, eb);
    if (rc == ERR_OK) rc = load_pattern(d, eb);
    return rc;
}

err_t tpl__params_load(tpl_t *t, errbuf_t *eb)
{
    int n = cJSON_GetArraySize(t->parameters);
    if (n > TPL_MAX_PARAMS)
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Number of parameters, %d, is greater than "
                        "maximum allowed, %d",
                        n, TPL_MAX_PARAMS);
    if (n <= 0) return ERR_OK;
    t->params = xcalloc((size_t)n, sizeof(*t->params));
    const cJSON *decl;
    cJSON_ArrayForEach(decl, t->parameters)
    {
        err_t rc = load_one(&t->params[t->n_params++], decl, eb);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

void tpl__params_free(tpl_t *t)
{
    for (size_t i = 0; i < t->n_params; i++) {
        free(t->params[i].default_owned);
        cJSON_Delete(t->params[i].allowed);
        pcre2_code_free(t->params[i].re);
    }
    free(t->params);
    t->params = NULL;
    t->n_params = 0;
}

const tpl_pdecl_t *tpl__param(const tpl_t *t, const char *name)
{
    for (size_t i = 0; i < t->n_params; i++)
        if (strcmp(t->params[i].pub.name, name) == 0) return &t->params[i];
    return NULL;
}

size_t tpl_param_count(const tpl_t *t)
{
    return t ? t->n_params : 0;
}

const tpl_param_t *tpl_param(const tpl_t *t, size_t i)
{
    return t && i < t->n_params ? &t->params[i].pub : NULL;
}

/* ---- binding */

/* A constraint failed: ConstraintDescription when the template has one, as
 * CloudFormation does, else the specific reason. */
static err_t constraint(const tpl_pdecl_t *d, errbuf_t *eb, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static err_t constraint(const tpl_pdecl_t *d, errbuf_t *eb, const char *fmt, ...)
{
    if (d->pub.constraint_description)
        return err_fail(eb, ERR_VALIDATION, "Parameter %s failed to satisfy constraint: %s",
                        d->pub.name, d->pub.constraint_description);
    va_list ap;
    va_start(ap, fmt);
    err_vfail(eb, ERR_VALIDATION, fmt, ap);
    va_end(ap);
    return ERR_VALIDATION;
}

/* Characters (UTF-8 code points) in s. */
static size_t utf8_len(span_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        if (((unsigned char)s.p[i] & 0xC0) != 0x80) n++;
    return n;
}

static bool pattern_matches(const tpl_pdecl_t *d, span_t v, pcre2_match_data *md,
                            pcre2_match_context *mc)
{
    int rc =
        pcre2_match(d->re, (PCRE2_SPTR)v.p, v.n, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, mc);
    return rc >= 0; /* no match, a bad UTF-8 value or a spent match limit all fail */
}

static bool allowed(const tpl_pdecl_t *d, span_t v)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, d->allowed) if (span_eq_str(v, a->valuestring)) return true;
    return false;
}

/* A whole-string decimal number (CloudFormation's Number). */
static bool parse_number(span_t v, double *out)
{
    char tmp[64];
    if (v.n == 0 || v.n >= sizeof(tmp) || isspace((unsigned char)v.p[0])) return false;
    memcpy(tmp, v.p, v.n);
    tmp[v.n] = '\0';
    char *end = NULL;
    *out = strtod(tmp, &end);
    return end && *end == '\0' && isfinite(*out) && strpbrk(tmp, "xXnN") == NULL;
}

/* Checks one value (or one member of a list) against the declaration. */
static err_t check_one(const tpl_pdecl_t *d, span_t v, bool number, pcre2_match_data *md,
                       pcre2_match_context *mc, errbuf_t *eb)
{
    const char *name = d->pub.name;
    char num[40];
    if (number) {
        double x;
        if (!parse_number(v, &x))
            return err_fail(eb, ERR_VALIDATION, "Parameter '%s' must be a number", name);
        if (d->pub.has_min_value && x < d->pub.min_value) {
            tpl__num_fmt(d->pub.min_value, num);
            return constraint(d, eb, "Parameter '%s' must be a number not less than %s", name, num);
        }
        if (d->pub.has_max_value && x > d->pub.max_value) {
            tpl__num_fmt(d->pub.max_value, num);
            return constraint(d, eb, "Parameter '%s' must be a number not greater than %s", name,
                              num);
        }
    }
    if (d->allowed && !allowed(d, v))
        return constraint(d, eb, "Parameter '%s' must be one of AllowedValues", name);
    if (d->kind == TPL_PK_STRING) {
        size_t len = utf8_len(v);
        if (d->pub.has_min_length && (long long)len < d->pub.min_length)
            return constraint(d, eb, "Parameter '%s' must contain at least %lld characters", name,
                              d->pub.min_length);
        if (d->pub.has_max_length && (long long)len > d->pub.max_length)
            return constraint(d, eb, "Parameter '%s' must contain at most %lld characters", name,
                              d->pub.max_length);
    }
    if (d->re && !number && !pattern_matches(d, v, md, mc))
        return constraint(d, eb, "Parameter '%s' must match pattern %s", name,
                          d->pub.allowed_pattern);
    return ERR_OK;
}

/* Checks a bound value: list types member by member (members space-trimmed). */
static err_t check_value(const tpl_pdecl_t *d, const char *value, errbuf_t *eb)
{
    pcre2_match_data *md = d->re ? pcre2_match_data_create_from_pattern(d->re, NULL) : NULL;
    pcre2_match_context *mc = d->re ? pcre2_match_context_create(NULL) : NULL;
    if (mc) {
        pcre2_set_match_limit(mc, 1000000);
        pcre2_set_depth_limit(mc, 10000);
    }
    err_t rc = ERR_OK;
    span_t v = span_of(value);
    if (d->kind == TPL_PK_STRING || d->kind == TPL_PK_NUMBER) {
        rc = check_one(d, v, d->kind == TPL_PK_NUMBER, md, mc, eb);
    } else {
        span_t rest = v, item;
        do {
            rest = span_split(rest, ',', &item);
            rc = check_one(d, span_trim(item), d->kind == TPL_PK_LIST_NUMBER, md, mc, eb);
        } while (rc == ERR_OK && rest.p);
    }
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    return rc;
}

static err_t names_error(errbuf_t *eb, const char *fmt, const cJSON *names)
{
    buf_t b;
    buf_init(&b, TPL_MAX_MSG_NAMES + 16);
    tpl__names(&b, names);
    err_fail(eb, ERR_VALIDATION, fmt, buf_str(&b));
    buf_free(&b);
    return ERR_VALIDATION;
}

err_t tpl_bind(const tpl_t *t, const cJSON *given, cJSON **out, errbuf_t *eb)
{
    cJSON *bound = cJSON_CreateObject(), *unknown = cJSON_CreateArray(),
          *missing = cJSON_CreateArray();
    const cJSON *g;
    err_t rc = ERR_OK;
    if (given && !cJSON_IsObject(given)) {
        rc = err_fail(eb, ERR_VALIDATION, "Parameters must be a map of names to values");
        goto out;
    }
    cJSON_ArrayForEach(g, given) if (!g->string || !tpl__param(t, g->string))
        tpl__add_name(unknown, g->string ? g->string : "");
    if (cJSON_GetArraySize(unknown) > 0) {
        rc = names_error(eb, "Parameters: [%s] do not exist in the template", unknown);
        goto out;
    }
    for (size_t i = 0; i < t->n_params; i++) {
        const tpl_pdecl_t *d = &t->params[i];
        const cJSON *v = given ? cJSON_GetObjectItemCaseSensitive(given, d->pub.name) : NULL;
        char *s = v ? tpl__str(v) : NULL;
        if (v && !s) {
            rc = err_fail(eb, ERR_VALIDATION, "Parameter '%s' must be a string", d->pub.name);
            goto out;
        }
        if (!s && d->default_owned) s = xstrdup(d->default_owned);
        if (!s) {
            tpl__add_name(missing, d->pub.name);
            continue;
        }
        cJSON_AddItemToObject(bound, d->pub.name, cJSON_CreateString(s));
        free(s);
    }
    if (cJSON_GetArraySize(missing) > 0) {
        rc = names_error(eb, "Parameters: [%s] must have values", missing);
        goto out;
    }
    for (size_t i = 0; i < t->n_params && rc == ERR_OK; i++) {
        const tpl_pdecl_t *d = &t->params[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(bound, d->pub.name);
        rc = check_value(d, v->valuestring, eb);
    }
    if (rc == ERR_OK) {
        *out = bound;
        bound = NULL;
    }
out:
    cJSON_Delete(bound);
    cJSON_Delete(unknown);
    cJSON_Delete(missing);
    return rc;
}
