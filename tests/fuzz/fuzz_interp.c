/* fuzz_interp.c - libFuzzer target for {{ }} interpolation and output selectors. Input:
 * a first line (a selector, and a string to interpolate), one byte choosing the output
 * Type, then a tree (JSON; any other text becomes one string). The tree is interpolated
 * with variables looked up in itself and searched with the selector under every Type.
 * Seed corpus: tests/fuzz/corpus/interp/. */
#include "fuzz_init.h"
#include "auto/adoc.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_msg(const errbuf_t *eb)
{
    if (!memchr(eb->msg, '\0', sizeof(eb->msg)) || !eb->msg[0]) __builtin_trap();
}

/* Variables are the tree's own top-level members; names starting with "list" resolve to
 * a list, to reach the typed path with any name. */
static cJSON *tree_lookup(void *ud, const char *name)
{
    const cJSON *v = cJSON_IsObject(ud) ? cJSON_GetObjectItemCaseSensitive(ud, name) : NULL;
    if (v) return cJSON_Duplicate(v, true);
    if (strncmp(name, "list", 4) == 0) {
        const char *items[] = {name, "x"};
        return cJSON_CreateStringArray(items, 2);
    }
    return NULL;
}

/* True when an object in n has two members of one name: cJSON_Compare looks members up by
 * name, so such trees are not compared. */
static bool has_dup(const cJSON *n, int depth)
{
    if (depth > 80) return true;
    for (const cJSON *c = n->child; c; c = c->next) {
        if (cJSON_IsObject(n) && c->string)
            for (const cJSON *d = c->next; d; d = d->next)
                if (d->string && strcmp(c->string, d->string) == 0) return true;
        if (has_dup(c, depth + 1)) return true;
    }
    return false;
}

/* True when n holds a number that is not finite (a JSON number past DBL_MAX parses as
 * infinity, and cJSON_Compare never finds two infinities equal). */
static bool has_nonfinite(const cJSON *n, int depth)
{
    if (depth > 80) return true;
    if (cJSON_IsNumber(n) && !isfinite(n->valuedouble)) return true;
    for (const cJSON *c = n->child; c; c = c->next)
        if (has_nonfinite(c, depth + 1)) return true;
    return false;
}

static void interpolate(const cJSON *node, const cJSON *vars_tree)
{
    adoc_vars_t vars = {tree_lookup, (void *)vars_tree};
    cJSON *out = NULL;
    errbuf_t eb;
    adoc_error_t rc = adoc_interpolate(node, &vars, &out, &eb);
    if (rc == ADOC_OK) {
        if (!out) __builtin_trap();
        /* a tree with no references comes back equal */
        char *text = cJSON_PrintUnformatted(node);
        if (text && !strstr(text, "{{") && !has_dup(node, 0) && !has_nonfinite(node, 0) &&
            !cJSON_Compare(node, out, true))
            __builtin_trap();
        free(text);
    } else {
        if (out || (rc != ADOC_E_VARIABLE && rc != ADOC_E_CONTENT)) __builtin_trap();
        check_msg(&eb);
    }
    cJSON_Delete(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {NULL,         "String",  "Integer",   "Boolean",
                                        "StringList", "MapList", "StringMap", "Bogus"};
    if (size > 64 * 1024) return 0;
    const char *p = (const char *)data;
    const char *nl = memchr(p, '\n', size);
    size_t line_len = nl ? (size_t)(nl - p) : size;
    char *line = malloc(line_len + 1);
    memcpy(line, p, line_len);
    line[line_len] = '\0';
    size_t rest_at = nl ? line_len + 1 : size;
    unsigned type_byte = rest_at < size ? (unsigned char)p[rest_at++] : 0;
    const char *rest = p + rest_at;
    size_t rest_len = size - rest_at;

    cJSON *tree = rest_len ? cJSON_ParseWithLength(rest, rest_len) : NULL;
    if (!tree) {
        char *s = malloc(rest_len + 1);
        memcpy(s, rest, rest_len);
        s[rest_len] = '\0';
        tree = cJSON_CreateString(s);
        free(s);
    }
    interpolate(tree, tree);
    cJSON *str = cJSON_CreateString(line);
    if (str) interpolate(str, tree);
    cJSON_Delete(str);

    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        if (t && (type_byte & 7) != t && t != 1) continue; /* raw, String and one more */
        cJSON *out = NULL;
        errbuf_t eb;
        adoc_error_t rc = adoc_select(tree, line, types[t], &out, &eb);
        if (rc != ADOC_OK) {
            if (out || rc != ADOC_E_CONTENT) __builtin_trap();
            check_msg(&eb);
        }
        cJSON_Delete(out);
    }
    cJSON_Delete(tree);
    free(line);
    return 0;
}
