/* select.c - the JSONPath subset aws:executeAwsApi output selectors use ($.A.B, $.A[0],
 * $.A[*].B, $..B, ['name']) over an API response tree, and the conversion of what they
 * select to an output Type. Compiling is separate so documents can be checked on write. */
#include "auto/adoc_int.h"

#include "core/mem.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>

typedef enum seg_kind { SEG_CHILD, SEG_INDEX, SEG_WILD, SEG_DESC, SEG_DESC_WILD } seg_kind_t;

typedef struct seg {
    seg_kind_t kind;
    span_t name; /* SEG_CHILD, SEG_DESC: borrowed from the selector */
    long long index;
} seg_t;

typedef struct path {
    seg_t seg[ADOC_MAX_SEGMENTS];
    size_t n;
    bool definite; /* no [*], .* or ..: at most one value */
} path_t;

static bool sel_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == ':' || c == '@' || c == '$' || c >= 0x80;
}

static adoc_error_t bad(const char *sel, size_t at, const char *why, errbuf_t *eb)
{
    return adoc__fail(eb, ADOC_E_CONTENT,
                      "Selector \"%.200s\" is not a supported JSONPath: %s at character %zu.", sel,
                      why, at + 1);
}

/* [*], ['name'], ["name"] or [N] at s[*i] == '['; advances past the ']'. */
static adoc_error_t bracket(const char *sel, size_t *i, seg_t *sg, errbuf_t *eb)
{
    const char *s = sel;
    size_t j = *i + 1;
    while (s[j] == ' ') j++;
    if (s[j] == '*') {
        sg->kind = SEG_WILD;
        j++;
    } else if (s[j] == '\'' || s[j] == '"') {
        char q = s[j++];
        size_t start = j;
        while (s[j] && s[j] != q) j++;
        if (!s[j]) return bad(sel, j, "unterminated quoted name", eb);
        if (j == start) return bad(sel, j, "empty name", eb);
        sg->kind = SEG_CHILD;
        sg->name = span_make(s + start, j - start);
        j++;
    } else if (s[j] == '-' || (s[j] >= '0' && s[j] <= '9')) {
        bool neg = s[j] == '-';
        if (neg) j++;
        size_t start = j;
        long long v = 0;
        while (s[j] >= '0' && s[j] <= '9') {
            if (j - start >= 9) return bad(sel, j, "index too large", eb);
            v = v * 10 + (s[j++] - '0');
        }
        if (j == start) return bad(sel, j, "expected an index", eb);
        sg->kind = SEG_INDEX;
        sg->index = neg ? -v : v;
    } else {
        return bad(sel, j,
                   "expected *, an index or a quoted name (filters, slices and unions "
                   "are not supported)",
                   eb);
    }
    while (s[j] == ' ') j++;
    if (s[j] != ']') return bad(sel, j, "expected ]", eb);
    *i = j + 1;
    return ADOC_OK;
}

/* Parses selector into p (names borrowed from selector); ADOC_E_CONTENT with the
 * position of the first problem. */
static adoc_error_t compile(const char *sel, path_t *p, errbuf_t *eb)
{
    size_t n = strlen(sel), i = 0;
    p->n = 0;
    p->definite = true;
    if (n > ADOC_MAX_SELECTOR)
        return adoc__fail(eb, ADOC_E_CONTENT, "Selector is longer than %d characters.",
                          ADOC_MAX_SELECTOR);
    if (sel[0] != '$') return bad(sel, 0, "a selector starts with $", eb);
    i = 1;
    while (i < n) {
        if (p->n >= ADOC_MAX_SEGMENTS) return bad(sel, i, "too many steps", eb);
        seg_t *sg = &p->seg[p->n];
        bool desc = false;
        adoc_error_t rc = ADOC_OK;
        if (sel[i] == '.') {
            i++;
            if (sel[i] == '.') desc = true, i++;
            if (sel[i] == '*') {
                sg->kind = SEG_WILD;
                i++;
            } else if (sel[i] == '[' && desc) {
                rc = bracket(sel, &i, sg, eb);
                if (rc == ADOC_OK && sg->kind == SEG_INDEX)
                    rc = bad(sel, i, "..[index] is not supported", eb);
            } else {
                size_t start = i;
                while (i < n && sel_name_char((unsigned char)sel[i])) i++;
                if (i == start) return bad(sel, i, "expected a name", eb);
                sg->kind = SEG_CHILD;
                sg->name = span_make(sel + start, i - start);
            }
        } else if (sel[i] == '[') {
            rc = bracket(sel, &i, sg, eb);
        } else {
            return bad(sel, i, "expected . or [", eb);
        }
        if (rc != ADOC_OK) return rc;
        if (desc) sg->kind = sg->kind == SEG_WILD ? SEG_DESC_WILD : SEG_DESC;
        if (sg->kind != SEG_CHILD && sg->kind != SEG_INDEX) p->definite = false;
        p->n++;
    }
    return ADOC_OK;
}

adoc_error_t adoc__selector_check(const char *selector, errbuf_t *eb)
{
    path_t *p = xmalloc(sizeof(*p));
    adoc_error_t rc = compile(selector, p, eb);
    free(p);
    return rc;
}

/* ---- evaluation */

typedef struct nodeset {
    const cJSON **v;
    size_t n, cap;
    bool full; /* ADOC_MAX_MATCHES reached */
} nodeset_t;

static void push(nodeset_t *s, const cJSON *v)
{
    if (s->n >= ADOC_MAX_MATCHES) {
        s->full = true;
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = v;
}

static bool key_is(const cJSON *c, span_t name)
{
    return c->string && span_eq_str(name, c->string);
}

/* Every member named sg->name (or every value, for ..*) below n, in document order. */
static void descend(nodeset_t *out, const cJSON *n, const seg_t *sg, int depth)
{
    if (depth > ADOC_MAX_WALK || out->full) return;
    for (const cJSON *c = n->child; c && !out->full; c = c->next) {
        if (sg->kind == SEG_DESC_WILD || (cJSON_IsObject(n) && key_is(c, sg->name))) push(out, c);
        if (cJSON_IsArray(c) || cJSON_IsObject(c)) descend(out, c, sg, depth + 1);
    }
}

/* Applies one segment to n, adding what it selects to out. */
static void step(nodeset_t *out, const cJSON *n, const seg_t *sg)
{
    switch (sg->kind) {
    case SEG_CHILD:
        if (!cJSON_IsObject(n)) return;
        for (const cJSON *c = n->child; c; c = c->next)
            if (key_is(c, sg->name)) {
                push(out, c);
                return;
            }
        return;
    case SEG_INDEX: {
        if (!cJSON_IsArray(n)) return;
        long long size = cJSON_GetArraySize(n), i = sg->index < 0 ? size + sg->index : sg->index;
        if (i < 0 || i >= size) return;
        const cJSON *c = n->child;
        while (i-- > 0) c = c->next;
        push(out, c);
        return;
    }
    case SEG_WILD:
        if (!cJSON_IsArray(n) && !cJSON_IsObject(n)) return;
        for (const cJSON *c = n->child; c; c = c->next) push(out, c);
        return;
    default:
        descend(out, n, sg, 0);
    }
}

/* Values below n (n included), counting up to cap. */
static size_t count_nodes(const cJSON *n, size_t cap)
{
    size_t k = 1;
    for (const cJSON *c = n->child; c && k <= cap; c = c->next) k += count_nodes(c, cap - k);
    return k;
}

/* ---- conversion to the output Type */

static adoc_error_t not_a(const char *sel, const char *type, errbuf_t *eb)
{
    return adoc__fail(eb, ADOC_E_CONTENT, "The value selected by %.200s cannot be converted to %s.",
                      sel, type);
}

/* One scalar as text in a new string value, or NULL for null, lists and maps. */
static cJSON *text_value(const cJSON *v)
{
    if (cJSON_IsNull(v)) return NULL;
    char *t = adoc__scalar_text(v);
    if (!t) return NULL;
    cJSON *s = adoc__nn(cJSON_CreateString(t));
    free(t);
    return s;
}

static cJSON *to_scalar(const cJSON *v, const char *type)
{
    int64_t i;
    if (strcmp(type, "String") == 0) return text_value(v);
    if (strcmp(type, "Integer") == 0) {
        if (adoc__get_int(v, &i) || (cJSON_IsString(v) && adoc__parse_int(v->valuestring, &i)))
            return adoc__nn(cJSON_CreateNumber((double)i));
        return NULL;
    }
    if (cJSON_IsBool(v)) return adoc__nn(cJSON_CreateBool(cJSON_IsTrue(v)));
    if (cJSON_IsString(v) &&
        (strcasecmp(v->valuestring, "true") == 0 || strcasecmp(v->valuestring, "false") == 0))
        return adoc__nn(cJSON_CreateBool(strcasecmp(v->valuestring, "true") == 0));
    return NULL;
}

/* Converts what the path found (set; a list unless the path is definite) to type. */
static adoc_error_t convert(const nodeset_t *set, bool definite, const char *sel, const char *type,
                            cJSON **out, errbuf_t *eb)
{
    const cJSON *one = set->n == 1 ? set->v[0] : NULL;
    if (strcmp(type, "String") == 0 || strcmp(type, "Integer") == 0 ||
        strcmp(type, "Boolean") == 0 || strcmp(type, "StringMap") == 0) {
        if (!one)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Selector %.200s selected %zu values; an output of type %s takes "
                              "one.",
                              sel, set->n, type);
        if (strcmp(type, "StringMap") == 0) {
            if (!cJSON_IsObject(one)) return not_a(sel, type, eb);
            *out = adoc__nn(cJSON_Duplicate(one, true));
            return ADOC_OK;
        }
        *out = to_scalar(one, type);
        return *out ? ADOC_OK : not_a(sel, type, eb);
    }
    bool maps = strcmp(type, "MapList") == 0;
    if (!maps && strcmp(type, "StringList") != 0)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Unsupported output Type \"%.100s\". Supported types: String, Integer, "
                          "Boolean, StringList, MapList, StringMap.",
                          type);
    /* the items: the values found, or the elements of the one list a definite path found */
    const cJSON *first = NULL;
    size_t n = set->n;
    bool from_array = definite && one && cJSON_IsArray(one);
    if (from_array) {
        first = one->child;
        n = (size_t)cJSON_GetArraySize(one);
    }
    cJSON *arr = adoc__nn(cJSON_CreateArray());
    for (size_t k = 0; k < n; k++) {
        const cJSON *v = from_array ? first : set->v[k];
        if (from_array) first = first->next;
        cJSON *item =
            maps ? (cJSON_IsObject(v) ? adoc__nn(cJSON_Duplicate(v, true)) : NULL) : text_value(v);
        if (!item) {
            cJSON_Delete(arr);
            return not_a(sel, type, eb);
        }
        cJSON_AddItemToArray(arr, item);
    }
    *out = arr;
    return ADOC_OK;
}

adoc_error_t adoc_select(const cJSON *response, const char *selector, const char *type, cJSON **out,
                         errbuf_t *eb)
{
    *out = NULL;
    if (!selector) return adoc__fail(eb, ADOC_E_CONTENT, "The selector is missing.");
    path_t *p = xmalloc(sizeof(*p));
    nodeset_t cur = {0}, next = {0};
    adoc_error_t rc = compile(selector, p, eb);
    if (rc == ADOC_OK && response) push(&cur, response);
    for (size_t k = 0; rc == ADOC_OK && k < p->n && cur.n; k++) {
        next.n = 0;
        for (size_t j = 0; j < cur.n && !next.full; j++) step(&next, cur.v[j], &p->seg[k]);
        nodeset_t t = cur;
        cur = next, next = t;
        if (cur.full)
            rc = adoc__fail(eb, ADOC_E_CONTENT, "Selector %.200s selects more than %d values.",
                            selector, ADOC_MAX_MATCHES);
    }
    size_t total = 0;
    for (size_t j = 0; rc == ADOC_OK && j < cur.n; j++) {
        total += count_nodes(cur.v[j], 1000000);
        if (total > 1000000)
            rc = adoc__fail(eb, ADOC_E_CONTENT, "Selector %.200s selects too large a value.",
                            selector);
    }
    if (rc == ADOC_OK && cur.n) {
        if (type) {
            rc = convert(&cur, p->definite, selector, type, out, eb);
        } else if (p->definite) {
            *out = adoc__nn(cJSON_Duplicate(cur.v[0], true));
        } else {
            *out = adoc__nn(cJSON_CreateArray());
            for (size_t j = 0; j < cur.n; j++)
                cJSON_AddItemToArray(*out, adoc__nn(cJSON_Duplicate(cur.v[j], true)));
        }
    }
    free(cur.v);
    free(next.v);
    free(p);
    return rc;
}
