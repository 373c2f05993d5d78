/* util.c - small helpers the template engine's files share: recognising intrinsic
 * functions and pseudo parameters, CloudFormation's string form of scalars, the Fn::Sub
 * tokenizer, name lists for error messages, and the argument-shape error texts. */
#include "tpl/tpl_int.h"

#include "core/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const pseudo_names[] = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue",   "AWS::Partition",
    "AWS::Region",    "AWS::StackId",          "AWS::StackName", "AWS::URLSuffix",
};

const char *tpl__fn(const cJSON *node, const cJSON **arg)
{
    if (!cJSON_IsObject(node) || !node->child || node->child->next) return NULL;
    const cJSON *m = node->child;
    const char *k = m->string;
    if (!k) return NULL;
    bool is_fn = strcmp(k, "Ref") == 0 || strncmp(k, "Fn::", 4) == 0 ||
                 (strcmp(k, "Condition") == 0 && cJSON_IsString(m));
    if (!is_fn) return NULL;
    if (arg) *arg = m;
    return k;
}

const cJSON *tpl__get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj)) return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

bool tpl__is_pseudo(const char *name)
{
    for (size_t i = 0; i < sizeof(pseudo_names) / sizeof(pseudo_names[0]); i++)
        if (strcmp(name, pseudo_names[i]) == 0) return true;
    return false;
}

bool tpl__alnum(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!ok || n >= TPL_MAX_NAME) return false;
    }
    return n > 0;
}

void tpl__num_fmt(double v, char out[40])
{
    if (!isfinite(v)) {
        snprintf(out, 40, "0");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e21) {
        snprintf(out, 40, "%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(out, 40, "%.*g", p, v);
        if (strtod(out, NULL) == v) return;
    }
}

char *tpl__str(const cJSON *v)
{
    if (cJSON_IsString(v)) return xstrdup(v->valuestring);
    if (cJSON_IsBool(v)) return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        char num[40];
        tpl__num_fmt(v->valuedouble, num);
        return xstrdup(num);
    }
    return NULL;
}

tpl_join_t tpl__join(buf_t *b, const cJSON *list, const char *delim)
{
    const cJSON *i;
    cJSON_ArrayForEach(i, list)
    {
        char *s = tpl__str(i);
        if (!s) return TPL_JOIN_NOT_SCALAR;
        bool ok = (i == list->child || buf_adds(b, delim)) && buf_adds(b, s);
        free(s);
        if (!ok) return TPL_JOIN_FULL;
    }
    return TPL_JOIN_OK;
}

void tpl__names(buf_t *b, const cJSON *names)
{
    const cJSON *n;
    bool first = true;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n)) continue;
        size_t start = b->len;
        if (!first && !buf_adds(b, ", ")) return;
        if (strlen(n->valuestring) + (b->len - start) > TPL_MAX_MSG_NAMES ||
            !buf_adds(b, n->valuestring)) {
            b->len = start;
            if (b->p) b->p[b->len] = '\0';
            buf_adds(b, first ? "..." : ", ...");
            return;
        }
        first = false;
    }
}

err_t tpl__names_error(errbuf_t *eb, const cJSON *names, const char *before, const char *after)
{
    buf_t b;
    buf_init(&b, TPL_MAX_MSG_NAMES + 16);
    tpl__names(&b, names);
    err_fail(eb, ERR_VALIDATION, "%s[%s]%s", before, buf_str(&b), after);
    buf_free(&b);
    return ERR_VALIDATION;
}

bool tpl__has(const cJSON *arr, const char *s)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, arr) if (cJSON_IsString(n) && strcmp(n->valuestring, s) == 0) return true;
    return false;
}

void tpl__add_unique(cJSON *arr, const char *s)
{
    if (!tpl__has(arr, s)) cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

void tpl__add_name(cJSON *arr, const char *s)
{
    int n = 0;
    const cJSON *i;
    cJSON_ArrayForEach(i, arr)
    {
        if (++n >= TPL_MAX_LISTED || strcmp(i->valuestring, s) == 0) return;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

bool tpl__sub_next(span_t *rest, tpl_sub_tok_t *tok)
{
    span_t s = *rest;
    if (s.n == 0) return false;
    /* A variable: ${Name} with a closing brace. */
    if (s.n >= 2 && s.p[0] == '$' && s.p[1] == '{') {
        long close = span_index(span_make(s.p + 2, s.n - 2), '}');
        if (close >= 0 && (s.n < 3 || s.p[2] != '!')) {
            tok->is_var = true;
            tok->text = span_make(s.p + 2, (size_t)close);
            *rest = span_make(s.p + 3 + close, s.n - 3 - (size_t)close);
            return true;
        }
        if (close >= 0) {
            /* ${!Literal}: the text "${" then what follows the "!" as literal text. */
            tok->is_var = false;
            tok->text = span_make(s.p, 2);
            *rest = span_make(s.p + 3, s.n - 3);
            return true;
        }
    }
    /* Literal text up to the next "${" (or the end); a lone "$" stays literal. */
    size_t i = 1;
    while (i < s.n && !(s.p[i] == '$' && i + 1 < s.n && s.p[i + 1] == '{')) i++;
    tok->is_var = false;
    tok->text = span_make(s.p, i);
    *rest = span_make(s.p + i, s.n - i);
    return true;
}

bool tpl__sub_var_ok(span_t v)
{
    if (v.n == 0) return false;
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

/* CloudFormation's wording where it could be found; ours, in its style, elsewhere. */
static const struct {
    const char *fn, *msg;
} shape_msgs[] = {
    {"Ref", "Template error: every Ref object must have a single String value."},
    {"Condition", "Template error: every Condition object must have a single String value."},
    {"Fn::GetAtt", "Template error: every Fn::GetAtt object requires two non-empty parameters, "
                   "the resource name and the resource attribute"},
    {"Fn::Join", "Template error: every Fn::Join object requires two parameters, (1) a string "
                 "delimiter and (2) a list of strings to be joined or a function that returns a "
                 "list of strings (such as Fn::GetAZs) to be joined."},
    {"Fn::Select", "Template error: Fn::Select requires a list argument with two elements: an "
                   "integer index and a list or a function that returns a list"},
    {"Fn::Split", "Template error: every Fn::Split object requires two parameters, (1) a string "
                  "delimiter and (2) a string to be split or a function that returns a string to "
                  "be split."},
    {"Fn::FindInMap", "Template error: every Fn::FindInMap object requires three parameters, the "
                      "map name, map key and the attribute for return value"},
    {"Fn::If", "Template error: Fn::If requires a list argument with the first element being a "
               "condition"},
    {"Fn::Equals", "Template error: every Fn::Equals object requires a list of 2 string "
                   "parameters."},
    {"Fn::And", "Template error: every Fn::And object requires a list of at least 2 and at most "
                "10 boolean parameters."},
    {"Fn::Or", "Template error: every Fn::Or object requires a list of at least 2 and at most 10 "
               "boolean parameters."},
    {"Fn::Not", "Template error: every Fn::Not object requires a list of 1 boolean parameter."},
    {"Fn::Sub", "Template error: One or more Fn::Sub intrinsic functions don't specify expected "
                "arguments. Specify a string as first argument, and an optional second argument "
                "to specify a mapping of values to replace in the string"},
    {"Fn::Base64", "Template error: every Fn::Base64 object must have a String value or a "
                   "function that returns a String."},
    {"Fn::ImportValue", "Template error: every Fn::ImportValue object requires one parameter: the "
                        "name of an export, a String or a function that returns one"},
    {"Fn::GetAZs", "Template error: every Fn::GetAZs object requires a region name: a String or "
                   "a Ref to AWS::Region."},
};

err_t tpl__shape_error(errbuf_t *eb, const char *fn)
{
    for (size_t i = 0; i < sizeof(shape_msgs) / sizeof(shape_msgs[0]); i++)
        if (strcmp(shape_msgs[i].fn, fn) == 0)
            return err_fail(eb, ERR_VALIDATION, "%s", shape_msgs[i].msg);
    return err_fail(eb, ERR_VALIDATION, "Template error: malformed %s", fn);
}
