/* yaml.c - CloudFormation's YAML dialect on top of src/yaml: short-form tags (!Ref,
 * !GetAtt A.B, !Sub ...) become their long forms, a plain scalar is a number only when
 * it is the canonical JSON spelling of one, keys are untagged strings and a template is
 * one document. Failures get CloudFormation's "Template format error" wording. */
#include "tpl/tpl_int.h"

#include "core/mem.h"
#include "yaml/yaml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short-form tags and the long form each stands for. */
static const struct {
    const char *tag, *fn;
} short_tags[] = {
    {"!Ref", "Ref"},
    {"!Condition", "Condition"},
    {"!Base64", "Fn::Base64"},
    {"!Cidr", "Fn::Cidr"},
    {"!FindInMap", "Fn::FindInMap"},
    {"!GetAtt", "Fn::GetAtt"},
    {"!GetAZs", "Fn::GetAZs"},
    {"!ImportValue", "Fn::ImportValue"},
    {"!Join", "Fn::Join"},
    {"!Select", "Fn::Select"},
    {"!Split", "Fn::Split"},
    {"!Sub", "Fn::Sub"},
    {"!Transform", "Fn::Transform"},
    {"!And", "Fn::And"},
    {"!Equals", "Fn::Equals"},
    {"!If", "Fn::If"},
    {"!Not", "Fn::Not"},
    {"!Or", "Fn::Or"},
};

/* Whether the text of a plain scalar is a number CloudFormation would read as one: JSON
 * number syntax whose shortest form gives back the same text (so "1.10", "007" and "1e3"
 * stay strings and keep their spelling). */
static bool plain_number(const char *s, size_t n, double *out)
{
    size_t i = 0;
    if (n == 0 || n > 32) return false;
    if (s[i] == '-') i++;
    if (i >= n) return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    if (i != n) return false; /* exponents never survive the round trip check */
    char tmp[40], fmt[40];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v)) return false;
    tpl__num_fmt(v, fmt);
    if (strcmp(fmt, tmp) != 0) return false;
    *out = v;
    return true;
}

/* !GetAtt A.B.C as a scalar is ["A", "B.C"]; without a dot it stays ["A"], which the
 * shape check then rejects with CloudFormation's message. */
static cJSON *getatt_scalar(const char *s)
{
    cJSON *arr = cJSON_CreateArray();
    const char *dot = strchr(s, '.');
    char *a = xstrndup(s, dot ? (size_t)(dot - s) : strlen(s));
    cJSON_AddItemToArray(arr, cJSON_CreateString(a));
    free(a);
    if (dot) cJSON_AddItemToArray(arr, cJSON_CreateString(dot + 1));
    return arr;
}

/* The tag hook (yaml_tag_fn): a short-form tag wraps its node, {"Fn::X": node}; any
 * other local tag is refused. */
static bool short_form(void *ud, span_t tag, cJSON **v)
{
    (void)ud;
    const char *fn = NULL;
    for (size_t i = 0; i < sizeof(short_tags) / sizeof(short_tags[0]) && !fn; i++)
        if (span_eq_str(tag, short_tags[i].tag)) fn = short_tags[i].fn;
    if (!fn || !v) return fn != NULL;
    if (!strcmp(fn, "Fn::GetAtt") && cJSON_IsString(*v)) {
        cJSON *arr = getatt_scalar((*v)->valuestring);
        cJSON_Delete(*v);
        *v = arr;
    }
    cJSON *wrap = cJSON_CreateObject();
    cJSON_AddItemToObject(wrap, fn, *v);
    *v = wrap;
    return true;
}

err_t tpl__yaml_load(span_t body, cJSON **out, errbuf_t *eb)
{
    static const yaml_opts_t opts = {
        .max_depth = TPL_MAX_DEPTH,
        .max_nodes = TPL_MAX_YAML_NODES,
        .single_document = true,
        .plain_keys = true,
        .number = plain_number,
        .tag = short_form,
    };
    yaml_error_t e;
    switch (yaml_load(body, &opts, out, &e)) {
    case YAML_OK:
        return ERR_OK;
    case YAML_E_SYNTAX:
        if (e.line > 0)
            return err_fail(eb, ERR_VALIDATION,
                            "Template format error: YAML not well-formed. (line %d, column %d)",
                            e.line, e.column > 0 ? e.column : 1);
        break;
    case YAML_E_EXPLICIT_KEY:
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: YAML explicit keys (\"? \") are not supported");
    case YAML_E_MULTI_DOC:
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: a template is a single YAML document");
    case YAML_E_KEY:
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: mapping keys must be plain strings");
    case YAML_E_NUL:
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: strings must not contain NUL characters");
    case YAML_E_ALIAS:
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: YAML alias without a matching anchor");
    case YAML_E_DEPTH:
        return err_fail(eb, ERR_VALIDATION, "Template format error: nesting too deep");
    case YAML_E_NODES:
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: YAML document too large once aliases are "
                        "expanded");
    case YAML_E_TAG:
        return err_fail(eb, ERR_VALIDATION, "Template format error: Unsupported YAML tag %.64s",
                        e.msg);
    case YAML_E_ENCODING:
        break;
    }
    return err_fail(eb, ERR_VALIDATION, "Template format error: YAML not well-formed.");
}
