/* params.c - binding the parameters of an execution: the API's name -> [strings] map to
 * typed values, defaults filled, allowedValues / allowedPattern / item and length limits.
 * Message sources: "Parameter "X" has value "V" not found in {A}, {B}." is SSM's message
 * in the Service Catalog tutorial's form (a 2024 CloudTrail record shows SSM listing the
 * values as "[A, B]"; issue 5 asks for the tutorial's); "Missing required parameter: X in
 * user inputs." is SSM's text as CloudTrail recorded it for StartAutomationExecution
 * (CrowdStrike/aws-ssm-distributor issues 100 and 135); the
 * "Parameter type error. ..." form is the Service Catalog service-actions tutorial's. The
 * pattern, undeclared and limit texts are ours, in the same style. */
#include "auto/adoc_int.h"

#include "core/buf.h"
#include "core/mem.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>

/* "string", "integer", ... as the type error words them. */
static const char *type_words(const char *type)
{
    static const struct {
        const char *type, *words;
    } map[] = {{"String", "string"},   {"StringList", "string list"}, {"Integer", "integer"},
               {"Boolean", "boolean"}, {"StringMap", "string map"},   {"MapList", "map list"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].type, type) == 0) return map[i].words;
    return type;
}

static adoc_error_t type_error(const adoc_param_t *p, errbuf_t *eb)
{
    return adoc__fail(eb, ADOC_E_PARAMS,
                      "Parameter type error. The value supplied for %s is not a valid %s.", p->name,
                      type_words(p->type));
}

/* A JSON document of the expected container kind (object for StringMap, array for
 * MapList), depth-bounded; NULL when the text is not one. */
static cJSON *parse_container(const char *text, bool object)
{
    cJSON *v = cJSON_ParseWithLength(text, strlen(text));
    if (!v) return NULL;
    bool ok = object ? cJSON_IsObject(v) : cJSON_IsArray(v);
    for (const cJSON *c = v->child; ok && !object && c; c = c->next) ok = cJSON_IsObject(c);
    if (ok) {
        /* the value travels on into step inputs: keep it as shallow as a document */
        size_t depth = 0;
        for (const char *s = text; *s && ok; s++) {
            if (*s == '"') {
                for (s++; *s && *s != '"'; s++)
                    if (*s == '\\' && s[1]) s++;
                if (!*s) break;
            } else if (*s == '{' || *s == '[') {
                ok = ++depth <= ADOC_MAX_DEPTH;
            } else if (*s == '}' || *s == ']') {
                depth--;
            }
        }
    }
    if (!ok) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* The typed value of p from the strings given (an array of strings, or one string). */
static adoc_error_t convert(const adoc_param_t *p, const cJSON *given, cJSON **out, errbuf_t *eb)
{
    size_t n = 0;
    const char *first = NULL;
    if (cJSON_IsString(given)) {
        n = 1, first = given->valuestring;
    } else {
        for (const cJSON *c = given->child; c; c = c->next, n++)
            if (!cJSON_IsString(c)) return type_error(p, eb);
        first = n ? given->child->valuestring : NULL;
    }
    const char *t = p->type;
    int64_t iv;
    if (strcmp(t, "StringList") == 0) {
        cJSON *arr = adoc__nn(cJSON_CreateArray());
        if (first && cJSON_IsString(given))
            cJSON_AddItemToArray(arr, adoc__nn(cJSON_CreateString(first)));
        for (const cJSON *c = cJSON_IsString(given) ? NULL : given->child; c; c = c->next)
            cJSON_AddItemToArray(arr, adoc__nn(cJSON_CreateString(c->valuestring)));
        *out = arr;
        return ADOC_OK;
    }
    if (strcmp(t, "MapList") == 0) {
        cJSON *arr = NULL;
        if (n == 1) arr = parse_container(first, false);
        if (!arr) {
            /* one JSON object per string */
            arr = adoc__nn(cJSON_CreateArray());
            for (const cJSON *c = cJSON_IsString(given) ? given : given->child; c;
                 c = cJSON_IsString(given) ? NULL : c->next) {
                cJSON *m = parse_container(c->valuestring, true);
                if (!m) {
                    cJSON_Delete(arr);
                    return type_error(p, eb);
                }
                cJSON_AddItemToArray(arr, m);
            }
        }
        *out = arr;
        return ADOC_OK;
    }
    if (n != 1) return type_error(p, eb);
    if (strcmp(t, "String") == 0) {
        *out = adoc__nn(cJSON_CreateString(first));
    } else if (strcmp(t, "Integer") == 0) {
        if (!adoc__parse_int(first, &iv)) return type_error(p, eb);
        *out = adoc__nn(cJSON_CreateNumber((double)iv));
    } else if (strcmp(t, "Boolean") == 0) {
        if (strcasecmp(first, "true") != 0 && strcasecmp(first, "false") != 0)
            return type_error(p, eb);
        *out = adoc__nn(cJSON_CreateBool(strcasecmp(first, "true") == 0));
    } else {
        if (!(*out = parse_container(first, true))) return type_error(p, eb);
    }
    return ADOC_OK;
}

/* "[A, B]" of the allowed values, for the message. */
static void allowed_list(const cJSON *allowed, buf_t *b)
{
    for (const cJSON *a = allowed->child; a; a = a->next) {
        char *t = adoc__scalar_text(a);
        if (a != allowed->child) buf_adds(b, ", ");
        buf_addc(b, '{');
        buf_adds(b, t);
        buf_addc(b, '}');
        free(t);
    }
}

/* One value (a string, or a scalar's text) against allowedValues, allowedPattern and the
 * character limits. */
static adoc_error_t check_one(const adoc_t *d, size_t pi, const cJSON *v, errbuf_t *eb)
{
    const adoc_param_t *p = &d->params[pi];
    char *text = adoc__scalar_text(v);
    adoc_error_t rc = ADOC_OK;
    if (!text) return ADOC_OK; /* maps: no per-value constraints */
    if (p->allowed_values) {
        bool found = false;
        for (const cJSON *a = p->allowed_values->child; a && !found; a = a->next) {
            char *at = adoc__scalar_text(a);
            found = strcmp(at, text) == 0;
            free(at);
        }
        if (!found) {
            buf_t b;
            buf_init(&b, 600);
            allowed_list(p->allowed_values, &b);
            rc = adoc__fail(eb, ADOC_E_PARAMS,
                            "Parameter \"%s\" has value \"%.200s\" not found in %s%s.", p->name,
                            text, buf_str(&b), b.len >= 600 ? "..." : "");
            buf_free(&b);
        }
    }
    if (rc == ADOC_OK && d->re[pi] && adoc__re_full_match(d->re[pi], text) != 1)
        rc = adoc__fail(eb, ADOC_E_PARAMS,
                        "Parameter \"%s\" has value \"%.200s\" not matching pattern %.300s",
                        p->name, text, p->allowed_pattern);
    size_t chars = adoc__utf8_chars(text);
    if (rc == ADOC_OK && p->min_chars >= 0 && chars < (size_t)p->min_chars)
        rc = adoc__fail(eb, ADOC_E_PARAMS,
                        "Parameter \"%s\" has value \"%.200s\" shorter than its minChars of %lld.",
                        p->name, text, p->min_chars);
    if (rc == ADOC_OK && p->max_chars >= 0 && chars > (size_t)p->max_chars)
        rc = adoc__fail(eb, ADOC_E_PARAMS,
                        "Parameter \"%s\" has value \"%.200s\" longer than its maxChars of %lld.",
                        p->name, text, p->max_chars);
    free(text);
    return rc;
}

/* The limits of parameter pi on a bound value: minItems/maxItems for lists, then each
 * element (or the value itself) through check_one. */
static adoc_error_t check_value(const adoc_t *d, size_t pi, const cJSON *v, errbuf_t *eb)
{
    const adoc_param_t *p = &d->params[pi];
    if (!cJSON_IsArray(v)) return check_one(d, pi, v, eb);
    long long n = cJSON_GetArraySize(v);
    if (p->min_items >= 0 && n < p->min_items)
        return adoc__fail(eb, ADOC_E_PARAMS,
                          "Parameter \"%s\" has %lld values, fewer than its minItems of %lld.",
                          p->name, n, p->min_items);
    if (p->max_items >= 0 && n > p->max_items)
        return adoc__fail(eb, ADOC_E_PARAMS,
                          "Parameter \"%s\" has %lld values, more than its maxItems of %lld.",
                          p->name, n, p->max_items);
    for (const cJSON *c = v->child; c; c = c->next) {
        adoc_error_t rc = check_one(d, pi, c, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

static int find_param(const adoc_t *d, const char *name)
{
    for (size_t i = 0; i < d->n_params; i++)
        if (strcmp(d->params[i].name, name) == 0) return (int)i;
    return -1;
}

/* An empty list stands for no value, except for the list types. */
static bool given_empty(const adoc_param_t *p, const cJSON *v)
{
    bool list = strcmp(p->type, "StringList") == 0 || strcmp(p->type, "MapList") == 0;
    return !list && cJSON_IsArray(v) && !v->child;
}

adoc_error_t adoc_bind(const adoc_t *d, const cJSON *given, cJSON **out, errbuf_t *eb)
{
    *out = NULL;
    if (given && !cJSON_IsObject(given))
        return adoc__fail(eb, ADOC_E_PARAMS, "Parameters must map names to lists of strings.");
    for (const cJSON *g = given ? given->child : NULL; g; g = g->next)
        if (!g->string || find_param(d, g->string) < 0)
            return adoc__fail(eb, ADOC_E_PARAMS,
                              "Parameter \"%.100s\" is not defined in the document.",
                              g->string ? g->string : "");
    cJSON *res = adoc__nn(cJSON_CreateObject());
    adoc_error_t rc = ADOC_OK;
    for (size_t i = 0; rc == ADOC_OK && i < d->n_params; i++) {
        const adoc_param_t *p = &d->params[i];
        const cJSON *g = given ? cJSON_GetObjectItemCaseSensitive(given, p->name) : NULL;
        cJSON *v = NULL;
        if (g && !given_empty(p, g)) {
            if (!cJSON_IsString(g) && !cJSON_IsArray(g)) {
                rc = type_error(p, eb);
                break;
            }
            rc = convert(p, g, &v, eb);
            if (rc == ADOC_OK) rc = check_value(d, i, v, eb);
        } else if (p->default_value) {
            v = adoc__nn(cJSON_Duplicate(p->default_value, true));
        } else {
            rc = adoc__fail(eb, ADOC_E_PARAMS, "Missing required parameter: %s in user inputs.",
                            p->name);
        }
        if (rc == ADOC_OK)
            cJSON_AddItemToObject(res, p->name, v);
        else
            cJSON_Delete(v);
    }
    if (rc != ADOC_OK) {
        cJSON_Delete(res);
        return rc;
    }
    *out = res;
    return ADOC_OK;
}
