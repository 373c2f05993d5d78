/* interp.c - {{ name }} interpolation of step inputs: finding references in a string,
 * typed substitution when a string is exactly one reference, text rendering inside longer
 * strings, over a whole tree with bounded depth and output. */
#include "auto/adoc_int.h"

#include "core/buf.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-' || c == '/';
}

/* A reference starting at s.p[i] ("{{"), or false. */
static bool ref_at(span_t s, size_t i, adoc_ref_t *ref)
{
    size_t j = i + 2;
    while (j < s.n && (s.p[j] == ' ' || s.p[j] == '\t')) j++;
    size_t start = j;
    while (j < s.n && j - start <= ADOC_MAX_REF && name_char(s.p[j])) j++;
    size_t len = j - start;
    if (len == 0 || len > ADOC_MAX_REF) return false;
    while (j < s.n && (s.p[j] == ' ' || s.p[j] == '\t')) j++;
    if (j + 1 >= s.n || s.p[j] != '}' || s.p[j + 1] != '}') return false;
    *ref = (adoc_ref_t){i, j + 2, {s.p + start, len}};
    return true;
}

bool adoc__next_ref(span_t s, size_t from, adoc_ref_t *ref)
{
    for (size_t i = from; i + 1 < s.n; i++) {
        const char *q = memchr(s.p + i, '{', s.n - i - 1);
        if (!q) return false;
        i = (size_t)(q - s.p);
        if (s.p[i + 1] == '{' && ref_at(s, i, ref)) return true;
    }
    return false;
}

typedef struct ictx {
    const adoc_vars_t *vars;
    errbuf_t *eb;
    size_t budget; /* bytes of text still allowed */
} ictx_t;

/* The value of a reference from the lookup (NULL: unknown, with the message set). */
static cJSON *lookup(ictx_t *x, span_t name)
{
    char key[ADOC_MAX_REF + 1];
    memcpy(key, name.p, name.n);
    key[name.n] = '\0';
    cJSON *v = x->vars && x->vars->lookup ? x->vars->lookup(x->vars->ud, key) : NULL;
    if (!v) adoc__fail(x->eb, ADOC_E_VARIABLE, "Variable {{ %s }} could not be resolved", key);
    return v;
}

static adoc_error_t too_big(ictx_t *x)
{
    return adoc__fail(x->eb, ADOC_E_CONTENT,
                      "Interpolation produced more text than allowed (%d bytes in one string, "
                      "%d in all).",
                      ADOC_MAX_TEXT, ADOC_MAX_OUTPUT);
}

/* Appends the text form of v: strings as they are, numbers and booleans as JSON spells
 * them, lists and maps as compact JSON. */
static bool add_text(buf_t *b, const cJSON *v)
{
    if (cJSON_IsString(v)) return buf_adds(b, v->valuestring ? v->valuestring : "");
    char *t = adoc__scalar_text(v);
    if (!t) t = cJSON_PrintUnformatted(v);
    if (!t) abort();
    bool ok = buf_adds(b, t);
    free(t);
    return ok;
}

/* The new value of one string: itself when it holds no reference, the variable's value
 * (any type) when it is exactly one reference, else the text with each reference
 * rendered. Charges the text against x->budget. */
static adoc_error_t interp_string(ictx_t *x, const char *str, cJSON **out)
{
    span_t s = span_of(str);
    adoc_ref_t r;
    if (!adoc__next_ref(s, 0, &r)) {
        if (s.n > x->budget) return too_big(x);
        x->budget -= s.n;
        *out = adoc__nn(cJSON_CreateString(str));
        return ADOC_OK;
    }
    if (r.start == 0 && r.end == s.n) {
        /* exactly one reference: the value keeps its type (a StringList stays a list) */
        cJSON *v = lookup(x, r.name);
        if (!v) return ADOC_E_VARIABLE;
        *out = v;
        return ADOC_OK;
    }
    buf_t b;
    buf_init(&b, x->budget < ADOC_MAX_TEXT ? x->budget : ADOC_MAX_TEXT);
    size_t at = 0;
    adoc_error_t rc = ADOC_OK;
    do {
        cJSON *v = NULL;
        if (!buf_add(&b, s.p + at, r.start - at)) {
            rc = too_big(x);
        } else if (!(v = lookup(x, r.name))) {
            rc = ADOC_E_VARIABLE;
        } else if (!add_text(&b, v)) {
            rc = too_big(x);
        }
        cJSON_Delete(v);
        at = r.end;
    } while (rc == ADOC_OK && adoc__next_ref(s, at, &r));
    if (rc == ADOC_OK && !buf_add(&b, s.p + at, s.n - at)) rc = too_big(x);
    if (rc == ADOC_OK) {
        x->budget -= b.len;
        *out = adoc__nn(cJSON_CreateString(buf_str(&b)));
    }
    buf_free(&b);
    return rc;
}

/* A deep copy of n with every string interpolated; *out is set only on success. */
static adoc_error_t interp_node(ictx_t *x, const cJSON *n, int depth, cJSON **out)
{
    if (depth > ADOC_MAX_DEPTH)
        return adoc__fail(x->eb, ADOC_E_CONTENT, "The value nests deeper than %d levels.",
                          ADOC_MAX_DEPTH);
    if (cJSON_IsString(n)) return interp_string(x, n->valuestring, out);
    if (!cJSON_IsArray(n) && !cJSON_IsObject(n)) {
        *out = adoc__nn(cJSON_Duplicate(n, false));
        return ADOC_OK;
    }
    cJSON *c = adoc__nn(cJSON_IsArray(n) ? cJSON_CreateArray() : cJSON_CreateObject());
    for (const cJSON *k = n->child; k; k = k->next) {
        cJSON *v = NULL;
        adoc_error_t rc = interp_node(x, k, depth + 1, &v);
        if (rc != ADOC_OK) {
            cJSON_Delete(c);
            return rc;
        }
        if (cJSON_IsObject(n))
            cJSON_AddItemToObject(c, k->string ? k->string : "", v);
        else
            cJSON_AddItemToArray(c, v);
    }
    *out = c;
    return ADOC_OK;
}

adoc_error_t adoc_interpolate(const cJSON *node, const adoc_vars_t *vars, cJSON **out, errbuf_t *eb)
{
    *out = NULL;
    if (!node) return adoc__fail(eb, ADOC_E_CONTENT, "Nothing to interpolate.");
    ictx_t x = {vars, eb, ADOC_MAX_OUTPUT};
    return interp_node(&x, node, 0, out);
}
