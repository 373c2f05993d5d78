/* yaml.c - yaml_load: libfyaml parses, a bounded walk turns its tree into cJSON. Holds the
 * workarounds for libfyaml 0.7.12 in one place: it gets a NUL-terminated copy of the
 * text, never sees invalid UTF-8 or explicit keys, and single-quoted scalars are decoded
 * here from their source text. */
#include "yaml/yaml_int.h"

#include "core/enc.h"
#include "core/mem.h"

#include <libfyaml.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_TAG "tag:yaml.org,2002:"

typedef struct yl {
    const yaml_opts_t *o;
    span_t src;   /* the text libfyaml parses, for single-quoted scalars */
    size_t nodes; /* values built so far, aliases expanded */
    yaml_error_t *err;
} yl_t;

static yaml_status_t node_to_json(yl_t *y, struct fy_node *n, int depth, cJSON **out);

/* p, or abort when a cJSON constructor ran out of memory (the house OOM policy). */
static cJSON *nn(cJSON *p)
{
    if (!p) {
        fprintf(stderr, "catalogd: out of memory building a JSON value\n");
        abort();
    }
    return p;
}

static yaml_status_t fail(yl_t *y, yaml_status_t st)
{
    y->err->status = st;
    return st;
}

static void diag_quiet(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool text_is(const char *s, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(s, *list, n) == 0) return true;
    return false;
}

static bool all_of(const char *s, size_t n, const char *set)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || !strchr(set, s[i])) return false;
    return true;
}

bool yaml_core_number(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp)) return false;
    if (n > 2 && s[0] == '0' && s[1] == 'o' && all_of(s + 2, n - 2, "01234567")) {
        memcpy(tmp, s + 2, n - 2);
        tmp[n - 2] = '\0';
        *out = (double)strtoull(tmp, NULL, 8);
        return isfinite(*out);
    }
    if (n > 2 && s[0] == '0' && s[1] == 'x' && all_of(s + 2, n - 2, "0123456789abcdefABCDEF")) {
        memcpy(tmp, s + 2, n - 2);
        tmp[n - 2] = '\0';
        *out = (double)strtoull(tmp, NULL, 16);
        return isfinite(*out);
    }
    size_t i = 0, digits = 0;
    if (s[i] == '-' || s[i] == '+') i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e) return false;
    }
    if (i != n) return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return isfinite(*out);
}

/* Appends p[a, b) to out at *o with each '' turned into '. */
static void unquote(const char *p, size_t a, size_t b, char *out, size_t *o)
{
    for (size_t j = a; j < b; j++) {
        out[(*o)++] = p[j];
        if (p[j] == '\'' && j + 1 < b && p[j + 1] == '\'') j++;
    }
}

/* The value of a single-quoted scalar from its source text p[0, n) (between the quotes),
 * as a new string of *len bytes: '' is a quote; line breaks fold as YAML 1.2 has it (one
 * break is a space, each blank line a newline, blanks around breaks dropped). Decoded
 * here because libfyaml 0.7.12 leaks its chunk list when it formats single-quoted
 * scalars holding several '' escapes. */
static char *single_quoted(const char *p, size_t n, size_t *len)
{
    char *out = xmalloc(n + 1);
    size_t o = 0, i = 0, blank = 0;
    for (bool first = true;; first = false) {
        size_t a = i;
        while (i < n && p[i] != '\n' && p[i] != '\r') i++;
        size_t b = i;
        bool last = i >= n;
        if (!first)
            while (a < b && is_blank(p[a])) a++;
        if (!last)
            while (b > a && is_blank(p[b - 1])) b--;
        if (first) {
            unquote(p, a, b, out, &o);
        } else if (a == b && !last) {
            blank++;
        } else {
            if (blank)
                while (blank) out[o++] = '\n', blank--;
            else
                out[o++] = ' ';
            unquote(p, a, b, out, &o);
        }
        if (last) break;
        i += p[i] == '\r' && i + 1 < n && p[i + 1] == '\n' ? 2 : 1;
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* The text of scalar n as a new string (*len bytes, NUL-terminated) in *out; YAML_E_NUL
 * when it holds a NUL character. */
static yaml_status_t scalar_text(yl_t *y, struct fy_node *n, char **out, size_t *len)
{
    if (fy_node_get_style(n) == FYNS_SINGLE_QUOTED) {
        struct fy_token *t = fy_node_get_scalar_token(n);
        const struct fy_mark *a = t ? fy_token_start_mark(t) : NULL;
        const struct fy_mark *b = t ? fy_token_end_mark(t) : NULL;
        if (!a || !b || a->input_pos > b->input_pos || b->input_pos > y->src.n)
            return fail(y, YAML_E_SYNTAX);
        *out = single_quoted(y->src.p + a->input_pos, b->input_pos - a->input_pos, len);
        return YAML_OK;
    }
    const char *s = fy_node_get_scalar(n, len);
    if (!s) s = "", *len = 0;
    if (memchr(s, '\0', *len)) return fail(y, YAML_E_NUL);
    *out = xstrndup(s, *len);
    return YAML_OK;
}

/* A scalar as JSON: a plain one typed by its text unless as_text, any other a string. */
static yaml_status_t scalar_to_json(yl_t *y, struct fy_node *n, bool as_text, cJSON **out)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    char *s = NULL;
    size_t len = 0;
    yaml_status_t rc = scalar_text(y, n, &s, &len);
    if (rc != YAML_OK) return rc;
    cJSON *v = NULL;
    double d;
    if (!as_text && fy_node_get_style(n) == FYNS_PLAIN) {
        if (text_is(s, len, nulls))
            v = nn(cJSON_CreateNull());
        else if (text_is(s, len, trues) || text_is(s, len, falses))
            v = nn(cJSON_CreateBool(text_is(s, len, trues)));
        else if ((y->o->number ? y->o->number : yaml_core_number)(s, len, &d))
            v = nn(cJSON_CreateNumber(d));
    }
    *out = v ? v : nn(cJSON_CreateString(s));
    free(s);
    return YAML_OK;
}

static yaml_status_t seq_to_json(yl_t *y, struct fy_node *n, int depth, cJSON **out)
{
    cJSON *arr = nn(cJSON_CreateArray());
    void *it = NULL;
    struct fy_node *c;
    while ((c = fy_node_sequence_iterate(n, &it))) {
        cJSON *v = NULL;
        yaml_status_t rc = node_to_json(y, c, depth + 1, &v);
        if (rc != YAML_OK) {
            cJSON_Delete(arr);
            return rc;
        }
        cJSON_AddItemToArray(arr, v);
    }
    *out = arr;
    return YAML_OK;
}

static yaml_status_t map_to_json(yl_t *y, struct fy_node *n, int depth, cJSON **out)
{
    cJSON *obj = nn(cJSON_CreateObject());
    void *it = NULL;
    struct fy_node_pair *p;
    yaml_status_t rc = YAML_OK;
    while (rc == YAML_OK && (p = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        if (k && fy_node_is_alias(k)) k = fy_node_resolve_alias(k);
        if (!k || fy_node_get_type(k) != FYNT_SCALAR ||
            (y->o->plain_keys && fy_node_get_tag(k, NULL))) {
            rc = fail(y, YAML_E_KEY);
            break;
        }
        char *key = NULL;
        size_t klen = 0;
        cJSON *v = NULL;
        rc = scalar_text(y, k, &key, &klen);
        if (rc == YAML_OK) rc = node_to_json(y, fy_node_pair_value(p), depth + 1, &v);
        if (rc == YAML_OK) cJSON_AddItemToObject(obj, key, v);
        free(key);
    }
    if (rc != YAML_OK) {
        cJSON_Delete(obj);
        return rc;
    }
    *out = obj;
    return YAML_OK;
}

/* Whether the tag t[0, n) is one of the core schema's (!!str, !!int, ...). */
static bool core_tag(const char *t, size_t n)
{
    return n >= sizeof(CORE_TAG) - 1 && memcmp(t, CORE_TAG, sizeof(CORE_TAG) - 1) == 0;
}

/* Converts n (NULL is an empty value: null) and charges it to the budgets. Depth and
 * the node budget bound the walk, which also stops aliases that refer to their own
 * ancestors. Local tags go through the hook; !!str keeps a scalar a string. */
static yaml_status_t node_to_json(yl_t *y, struct fy_node *n, int depth, cJSON **out)
{
    if (depth > y->o->max_depth) return fail(y, YAML_E_DEPTH);
    if (++y->nodes > y->o->max_nodes) return fail(y, YAML_E_NODES);
    if (n && fy_node_is_alias(n)) {
        n = fy_node_resolve_alias(n);
        if (!n) return fail(y, YAML_E_ALIAS);
    }
    if (!n) {
        *out = nn(cJSON_CreateNull());
        return YAML_OK;
    }
    size_t tlen = 0;
    const char *tag = fy_node_get_tag(n, &tlen);
    span_t local = {NULL, 0};
    if (tag && tlen && !core_tag(tag, tlen) && y->o->tag) {
        local = span_make(tag, tlen);
        if (!y->o->tag(y->o->tag_ud, local, NULL)) {
            snprintf(y->err->msg, sizeof(y->err->msg), "%.*s", (int)tlen, tag);
            return fail(y, YAML_E_TAG);
        }
    }
    bool as_text = local.p || (tag && tlen == sizeof(CORE_TAG "str") - 1 &&
                               memcmp(tag, CORE_TAG "str", tlen) == 0);
    cJSON *v = NULL;
    yaml_status_t rc;
    switch (fy_node_get_type(n)) {
    case FYNT_SEQUENCE:
        rc = seq_to_json(y, n, depth, &v);
        break;
    case FYNT_MAPPING:
        rc = map_to_json(y, n, depth, &v);
        break;
    default:
        rc = scalar_to_json(y, n, as_text, &v);
        break;
    }
    if (rc == YAML_OK && local.p && !y->o->tag(y->o->tag_ud, local, &v)) {
        snprintf(y->err->msg, sizeof(y->err->msg), "%.*s", (int)tlen, tag);
        rc = fail(y, YAML_E_TAG);
    }
    if (rc != YAML_OK) {
        cJSON_Delete(v);
        return rc;
    }
    *out = v;
    return YAML_OK;
}

/* Whether the text may use YAML's explicit-key indicator: a "?" followed by a blank or
 * the end of a line, with nothing before it on its line but blanks, or with an indicator
 * ("-", ":", "?", ",", "[", "{") as the last thing before it. Neither templates nor
 * documents need explicit keys (their keys are strings), and libfyaml 0.7.12 crashes on
 * malformed input built around them ("? x:<TAB>:", "k:\n  : ? x<TAB>?:", "s:  : - ? - x"
 * in fy_parser_destroy, all found by fuzzing), so such input is refused before it reaches
 * the library. The test is deliberately wide: a "?" so placed inside a quoted string is
 * refused too. */
static bool explicit_key(span_t s)
{
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] != '?') continue;
        if (i + 1 < s.n && !is_blank(s.p[i + 1]) && s.p[i + 1] != '\r' && s.p[i + 1] != '\n')
            continue;
        size_t j = i;
        while (j > 0 && is_blank(s.p[j - 1])) j--;
        if (j == 0 || s.p[j - 1] == '\n' || s.p[j - 1] == '\r' || strchr("-:?,[{", s.p[j - 1]))
            return true;
    }
    return false;
}

/* The first diagnostic libfyaml collected, into err (YAML_E_SYNTAX). */
static yaml_status_t syntax_error(struct fy_diag *diag, yaml_error_t *err)
{
    void *it = NULL;
    struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
    err->status = YAML_E_SYNTAX;
    if (e) {
        err->line = e->line;
        err->column = e->column;
        snprintf(err->msg, sizeof(err->msg), "%s", e->msg ? e->msg : "syntax error");
    }
    return YAML_E_SYNTAX;
}

yaml_status_t yaml__load_here(span_t text, const yaml_opts_t *opts, cJSON **out, yaml_error_t *err)
{
    *err = (yaml_error_t){YAML_OK, 0, 0, ""};
    /* libfyaml 0.7.12 loops forever on some invalid UTF-8 (a directive line holding it) */
    if (!enc_utf8_valid(text) || (text.n && memchr(text.p, '\0', text.n)))
        return err->status = YAML_E_ENCODING;
    if (explicit_key(text)) return err->status = YAML_E_EXPLICIT_KEY;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_quiet;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag) abort();
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg = {
        .flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE,
        .diag = diag,
    };
    struct fy_parser *fyp = fy_parser_create(&cfg);
    /* libfyaml 0.7.12 reads past the end of input that is not NUL-terminated (resolving
     * an alias whose name looks like a path ends in strtol): it gets a terminated copy. */
    char *copy = xstrndup(text.n ? text.p : "", text.n);
    if (!fyp || fy_parser_set_string(fyp, copy, text.n) != 0) abort();
    struct fy_document *doc = fy_parse_load_document(fyp), *extra = NULL;
    yaml_status_t rc = YAML_OK;
    if (!doc) {
        rc = syntax_error(diag, err);
    } else if (opts->single_document) {
        extra = fy_parse_load_document(fyp);
        if (extra)
            rc = err->status = YAML_E_MULTI_DOC;
        else if (fy_parser_get_stream_error(fyp))
            rc = syntax_error(diag, err);
    }
    if (rc == YAML_OK) {
        yl_t y = {.o = opts, .src = span_make(copy, text.n), .err = err};
        rc = node_to_json(&y, fy_document_root(doc), 0, out);
    }
    if (extra) fy_parse_document_destroy(fyp, extra);
    if (doc) fy_parse_document_destroy(fyp, doc);
    fy_parser_destroy(fyp);
    fy_diag_destroy(diag);
    free(copy);
    return rc;
}
