/* fuzz_yaml.c - libFuzzer target for src/yaml: loads each input under three dialects
 * (permissive, strict with a local-tag hook and its own number rule, tight limits) and
 * checks the contract: success gives a tree that prints, failure leaves *out alone and
 * reports the status it returns with a terminated message. Invalid UTF-8, NUL bytes and
 * explicit keys must be refused before libfyaml sees them. What the permissive dialect
 * loads must come back the same through yaml_emit. Seed corpus:
 * tests/fuzz/corpus/yaml/. */
#include "fuzz_init.h"
#include "yaml/yaml.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Tags beginning "!A" wrap their node as {"tag": node}; others are refused. */
static bool wrap_a(void *ud, span_t tag, cJSON **v)
{
    (void)ud;
    if (tag.n < 2 || tag.p[1] != 'A') return false;
    if (!v) return true;
    cJSON *w = cJSON_CreateObject();
    cJSON_AddItemToObject(w, "tag", *v);
    *v = w;
    return true;
}

/* Only runs of digits without a leading zero are numbers. */
static bool digits(const char *s, size_t n, double *out)
{
    if (n == 0 || n > 15 || (n > 1 && s[0] == '0')) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    *out = strtod(s, NULL);
    return true;
}

static const yaml_opts_t dialects[] = {
    {.max_depth = 64, .max_nodes = 100000},
    {.max_depth = 128,
     .max_nodes = 200000,
     .single_document = true,
     .plain_keys = true,
     .number = digits,
     .tag = wrap_a},
    {.max_depth = 3, .max_nodes = 50, .tag = wrap_a},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    span_t text = span_make((const char *)data, size);
    for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
        cJSON *sentinel = (cJSON *)&sentinel, *out = sentinel;
        yaml_error_t err;
        yaml_status_t rc = yaml_load(text, &dialects[d], &out, &err);
        if (rc != err.status || !memchr(err.msg, '\0', sizeof(err.msg))) __builtin_trap();
        if (rc != YAML_OK) {
            if (out != sentinel) __builtin_trap();
            if (rc == YAML_E_TAG && err.msg[0] != '!') __builtin_trap();
            continue;
        }
        if (!out || out == sentinel) __builtin_trap();
        char *s = cJSON_PrintUnformatted(out);
        if (!s) __builtin_trap();
        if (d == 0) { /* yaml_emit writes what reads back as the same tree (compared as
                       * text: cJSON_Compare is exponential in the depth) */
            char *y = yaml_emit(out);
            cJSON *back = NULL;
            yaml_error_t e2;
            if (yaml_load(span_of(y), &dialects[0], &back, &e2) != YAML_OK) __builtin_trap();
            char *s2 = cJSON_PrintUnformatted(back);
            if (!s2 || strcmp(s, s2) != 0) __builtin_trap();
            cJSON_free(s2);
            cJSON_Delete(back);
            free(y);
        }
        cJSON_free(s);
        cJSON_Delete(out);
    }
    return 0;
}
