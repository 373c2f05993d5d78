/* fuzz_adoc.c - libFuzzer target for the Automation and Command document parsers: parses
 * each input as JSON and as YAML, as a runbook and as a Command document (also admitting
 * AWS's schema 1.2) and, when one parses, checks the accessors agree, binds no parameters
 * and a guessed value for each, interpolates every step's inputs with a stub lookup and
 * runs every output selector against a fixed response. Seed corpus:
 * tests/fuzz/corpus/adoc/. */
#include "fuzz_init.h"
#include "auto/adoc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char response_text[] =
    "{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"i-1\",\"State\":{\"Code\":16,"
    "\"Name\":\"running\"}}]}],\"Count\":\"3\",\"Flag\":true}";

/* An error must come with a terminated, non-empty message. */
static void check_msg(const errbuf_t *eb)
{
    if (!memchr(eb->msg, '\0', sizeof(eb->msg)) || !eb->msg[0]) __builtin_trap();
}

/* Resolves names by their first letter: lists, numbers, maps, strings, or unknown. */
static cJSON *stub_lookup(void *ud, const char *name)
{
    (void)ud;
    switch (name[0] % 5) {
    case 0:
        return NULL;
    case 1: {
        const char *ids[] = {"i-1", "i-2"};
        return cJSON_CreateStringArray(ids, 2);
    }
    case 2:
        return cJSON_CreateNumber(7);
    case 3:
        return cJSON_Parse("{\"k\":[1,{\"v\":null}]}");
    default:
        return cJSON_CreateString(name);
    }
}

/* A value of the parameter's type, as the API would carry it. */
static cJSON *guess(const adoc_param_t *p, unsigned salt)
{
    static const char *const texts[] = {"i-0abc",      "true", "12",     "{\"a\":\"b\"}",
                                        "[{\"a\":1}]", "",     "running"};
    const char *v[2] = {texts[salt % 7], texts[(salt + 3) % 7]};
    if (p->allowed_values && p->allowed_values->child && cJSON_IsString(p->allowed_values->child))
        v[0] = p->allowed_values->child->valuestring;
    return cJSON_CreateStringArray(v, salt % 3 == 0 ? 2 : 1);
}

static void exercise(const adoc_t *d, const cJSON *response)
{
    errbuf_t eb;
    size_t n = adoc_step_count(d);
    if (n == 0 || adoc_step(d, n) || !adoc_json(d)) __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        const adoc_step_t *s = adoc_step(d, i);
        if (!s || !s->name || !s->action || !cJSON_IsObject(s->inputs) || s->max_attempts < 1)
            __builtin_trap();
        if (adoc_step_index(d, s->name) != (int)i) __builtin_trap();
        cJSON *res = NULL;
        adoc_vars_t vars = {stub_lookup, NULL};
        adoc_error_t rc = adoc_interpolate(s->inputs, &vars, &res, &eb);
        if (rc != ADOC_OK) {
            if (res) __builtin_trap();
            check_msg(&eb);
        } else if (!cJSON_IsObject(res)) {
            __builtin_trap();
        }
        cJSON_Delete(res);
        for (const cJSON *o = s->outputs ? s->outputs->child : NULL; o; o = o->next) {
            const cJSON *sel = cJSON_GetObjectItemCaseSensitive(o, "Selector");
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "Type");
            cJSON *v = NULL;
            /* the document was checked on write: its selectors compile */
            rc = adoc_select(response, sel->valuestring, type->valuestring, &v, &eb);
            if (rc != ADOC_OK) {
                if (v) __builtin_trap();
                check_msg(&eb);
                if (strstr(eb.msg, "not a supported JSONPath")) __builtin_trap();
            }
            cJSON_Delete(v);
        }
    }
    for (unsigned salt = 0; salt < 3; salt++) {
        cJSON *given = salt ? cJSON_CreateObject() : NULL;
        for (size_t i = 0; given && i < adoc_param_count(d); i++) {
            const adoc_param_t *p = adoc_param(d, i);
            if ((i + salt) % 4 != 3)
                cJSON_AddItemToObject(given, p->name, guess(p, salt + (unsigned)i));
        }
        cJSON *out = NULL;
        adoc_error_t rc = adoc_bind(d, given, &out, &eb);
        if (rc == ADOC_OK) {
            if (cJSON_GetArraySize(out) != (int)adoc_param_count(d)) __builtin_trap();
        } else {
            if (rc != ADOC_E_PARAMS || out) __builtin_trap();
            check_msg(&eb);
        }
        cJSON_Delete(out);
        cJSON_Delete(given);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *response;
    if (!response) response = cJSON_Parse(response_text);
    span_t content = span_make((const char *)data, size);
    const adoc_format_t fmts[] = {ADOC_JSON, ADOC_YAML, ADOC_AUTO};
    for (size_t f = 0; f < 3; f++) {
        for (int kind = 0; kind < 3; kind++) { /* runbook, Command, Command with 1.2 */
            adoc_t *d = NULL;
            errbuf_t eb;
            adoc_error_t rc = kind ? adoc_parse_command(content, fmts[f], kind == 2, &d, &eb)
                                   : adoc_parse(content, fmts[f], &d, &eb);
            if (rc == ADOC_OK) {
                if (!d) __builtin_trap();
                exercise(d, response);
                adoc_free(d);
            } else {
                if (d || (rc != ADOC_E_CONTENT && rc != ADOC_E_SCHEMA)) __builtin_trap();
                check_msg(&eb);
            }
        }
    }
    return 0;
}
