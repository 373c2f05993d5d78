/* fuzz_tpl.c - libFuzzer target for CloudFormation templates: parses each input (JSON or
 * YAML) and, when it parses, binds parameters (defaults, else placeholders), evaluates
 * the conditions, orders the resources, lists each resource's dependencies and evaluates
 * every resource's Properties and the Outputs with stub callbacks.
 * Seed corpus: tests/fuzz/corpus/tpl/. */
#include "fuzz_init.h"
#include "tpl/tpl.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const char *stub_ref(void *ud, const char *logical_id)
{
    (void)ud;
    return logical_id[0] == 'Z' ? NULL : "phys-0123";
}

static cJSON *stub_getatt(void *ud, const char *logical_id, const char *attribute)
{
    (void)ud;
    (void)logical_id;
    if (strcmp(attribute, "List") == 0) {
        const char *items[] = {"a", "b"};
        return cJSON_CreateStringArray(items, 2);
    }
    return attribute[0] == 'Z' ? NULL : cJSON_CreateString("attr-value");
}

static cJSON *stub_azs(void *ud, const char *region)
{
    (void)ud;
    const char *z[] = {"zone-a", "zone-b"};
    return region && region[0] == 'x' ? cJSON_CreateString("not a list")
                                      : cJSON_CreateStringArray(z, 2);
}

/* A result the engine hands out must be a tree we can print and free. */
static void consume(cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    cJSON_free(s);
    cJSON_Delete(v);
}

static void exercise(const tpl_t *t, const cJSON *params, bool with_conditions)
{
    errbuf_t eb;
    cJSON *conds = NULL, *out = NULL;
    tpl_ctx_t ctx = {
        .stack_name = "fuzz",
        .stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/fuzz/1",
        .region = "us-east-1",
        .account_id = "123456789012",
        .params = params,
        .ref = stub_ref,
        .getatt = stub_getatt,
        .azs = with_conditions ? stub_azs : NULL,
    };
    if (with_conditions) {
        if (tpl_conditions(t, &ctx, &conds, &eb) == ERR_OK) ctx.conditions = conds;
    }
    if (tpl_order(t, &ctx, &out, &eb) == ERR_OK) consume(out);
    const cJSON *res;
    cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Resources"))
    {
        out = NULL;
        if (tpl_dependencies(t, res->string, &out, &eb) == ERR_OK) consume(out);
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(res, "Properties");
        out = NULL;
        if (props && tpl_eval(t, &ctx, props, &out, &eb) == ERR_OK) consume(out);
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Metadata");
    out = NULL;
    if (meta && tpl_eval(t, &ctx, meta, &out, &eb) == ERR_OK) consume(out);
    out = NULL;
    if (tpl_outputs(t, &ctx, &out, &eb) == ERR_OK) consume(out);
    cJSON_Delete(conds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tpl_t *t = NULL;
    errbuf_t eb;
    err_t rc = tpl_parse(span_make((const char *)data, size), &t, &eb);
    if (rc != ERR_OK) {
        if (rc != ERR_VALIDATION || t != NULL || !memchr(eb.msg, '\0', sizeof(eb.msg)))
            __builtin_trap();
        return 0;
    }
    (void)tpl_description(t);
    for (size_t i = 0; i < tpl_param_count(t); i++)
        if (!tpl_param(t, i) || !tpl_param(t, i)->name || !tpl_param(t, i)->type) __builtin_trap();
    /* Defaults only; when that fails, every parameter without a default gets "1" (a valid
     * Number, String and list) and, failing that too, the raw values go in unchecked. */
    cJSON *params = NULL, *given = cJSON_CreateObject();
    if (tpl_bind(t, NULL, &params, &eb) != ERR_OK) {
        for (size_t i = 0; i < tpl_param_count(t); i++)
            if (!tpl_param(t, i)->default_value)
                cJSON_AddStringToObject(given, tpl_param(t, i)->name, "1");
        if (tpl_bind(t, given, &params, &eb) != ERR_OK) {
            params = given;
            given = NULL;
        }
    }
    exercise(t, params, true);
    exercise(t, params, false);
    cJSON_Delete(params);
    cJSON_Delete(given);
    tpl_free(t);
    return 0;
}
