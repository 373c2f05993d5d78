/* fuzz_runbook.c - libFuzzer target for Automation runbooks end to end: the input drives
 * gen_input.h's generator to build a schema-0.3 document of one to three steps
 * (aws:executeAwsApi with outputs, aws:waitForAwsResourceProperty,
 * aws:assertAwsResourceProperty on any operation row, with model-shaped, mistyped and
 * {{ parameter }}-interpolated inputs, and aws:changeInstanceState with typed and
 * mistyped parameters), which ssm:CreateDocument and ssm:StartAutomationExecution take as
 * the account root; the engine (one worker, a real store in a temp dir) runs it while the
 * target moves service time on, and cancels it past a bound. Oracles: no crash or
 * sanitizer report; a first step whose inputs hold a value of the wrong type ends Failed
 * with the callee's type error (SerializationException, ValidationError,
 * InvalidParameterValue) or the step's own ("Failed to resolve input"). Seed corpus:
 * tests/fuzz/corpus/runbook/. Found so far: the store's statement cache compared SQL with
 * a pointer into the engine's stack buffer of a finished call (sqlite.c). */
#include "fuzz_init.h"
#include "gen_input.h"

#include <time.h>

static app_t *app;
static auth_principal_t root;

/* The typed parameters every generated document declares, and their defaults. */
static const char *const params_json =
    "{\"S\":{\"type\":\"String\",\"default\":\"running\"},"
    "\"L\":{\"type\":\"StringList\",\"default\":[\"i-0123456789abcdef0\"]},"
    "\"I\":{\"type\":\"Integer\",\"default\":5},"
    "\"B\":{\"type\":\"Boolean\",\"default\":true},"
    "\"M\":{\"type\":\"StringMap\",\"default\":{\"a\":\"b\"}},"
    "\"ML\":{\"type\":\"MapList\",\"default\":[{\"a\":\"b\"}]}}";
static const char *const refs[] = {"{{ S }}", "{{ L }}", "{{ I }}",
                                   "{{ B }}", "{{ M }}", "{{ ML }}"};

/* Calls ssm:op as root in its own transaction; *out (may be NULL) owns the answer. */
static err_t ssm_call(const char *op, cJSON *in, cJSON **out, errbuf_t *eb)
{
    arena_t arena;
    arena_init(&arena);
    cJSON *res = NULL;
    err_t rc = api_client_call_tx(app, NULL, NULL, &arena, &root, "ssm", op, in, &res, eb);
    if (rc) gen_check_msg(eb);
    if (out)
        *out = res;
    else
        cJSON_Delete(res);
    arena_free(&arena);
    return rc;
}

/* Replaces one member of inputs by a reference to a typed parameter (or a list holding
 * one): the value's type is then only known once interpolated. */
static void add_ref(gen_t *g, cJSON *inputs)
{
    int n = cJSON_GetArraySize(inputs);
    if (!n) return;
    cJSON *victim = cJSON_GetArrayItem(inputs, gen_byte(g) % n);
    const char *ref = refs[gen_byte(g) % 6];
    cJSON *v = cJSON_CreateString(ref);
    if (gen_chance(g, 64)) {
        cJSON *list = cJSON_CreateArray();
        cJSON_AddItemToArray(list, v);
        v = list;
    }
    cJSON_ReplaceItemViaPointer(inputs, victim, v);
}

/* One step; *bad when its inputs certainly hold a value of the wrong type. */
static cJSON *make_step(gen_t *g, int i, bool mistype, bool *bad)
{
    static const char *const selectors[] = {
        "$", "$..Id", "$.Arn", "$.A[0].B", "$..Name", "$.InstanceStatuses[*].InstanceState.Name"};
    static const char *const types[] = {"String",     "Integer", "Boolean",
                                        "StringList", "MapList", "StringMap"};
    cJSON *st = cJSON_CreateObject();
    char name[8];
    snprintf(name, sizeof(name), "s%d", i);
    cJSON_AddStringToObject(st, "name", name);
    uint8_t kind = gen_byte(g) % 8;
    if (kind == 6) {
        cJSON_AddStringToObject(st, "action", "aws:changeInstanceState");
        cJSON *in = cJSON_AddObjectToObject(st, "inputs");
        uint8_t ids = gen_byte(g) % 3, ds = gen_byte(g) % 4;
        if (ids == 0) cJSON_AddStringToObject(in, "InstanceIds", "{{ L }}");
        if (ids == 1)
            cJSON_AddItemToObject(in, "InstanceIds", cJSON_CreateStringArray(&refs[0], 1));
        if (ids == 2)
            cJSON_AddItemToObject(in, "InstanceIds", cJSON_CreateStringArray(&refs[1], 1));
        cJSON_AddStringToObject(in, "DesiredState", ds == 0 ? "stopped" : refs[(ds - 1) * 2 % 6]);
        if (gen_chance(g, 64))
            cJSON_AddStringToObject(in, "CheckStateOnly", refs[2 + gen_byte(g) % 2]);
        *bad = ids == 2 || ds >= 2 ||
               (cJSON_GetObjectItem(in, "CheckStateOnly") &&
                !strcmp(cJSON_GetObjectItem(in, "CheckStateOnly")->valuestring, refs[2]));
        return st;
    }
    const api_op_t *op = &api_ops[((size_t)gen_byte(g) << 8 | gen_byte(g)) % api_n_ops];
    bool wait = kind == 4 || kind == 5;
    cJSON_AddStringToObject(st, "action",
                            kind == 4   ? "aws:waitForAwsResourceProperty"
                            : kind == 5 ? "aws:assertAwsResourceProperty"
                                        : "aws:executeAwsApi");
    cJSON *in = op->input == MODEL_NONE
                    ? cJSON_CreateObject()
                    : gen_value(g, op->svc, op->input, 0, mistype ? 24 : 0, bad);
    static const char *const own[] = {"Service", "Api", "PropertySelector", "DesiredValues"};
    for (size_t k = 0; k < 4; k++) cJSON_DeleteItemFromObjectCaseSensitive(in, own[k]);
    if (gen_chance(g, 48)) {
        add_ref(g, in);
        *bad = false; /* the parameter may or may not fit: no claim */
    }
    cJSON_AddStringToObject(in, "Service", op->svc->name);
    cJSON_AddStringToObject(in, "Api", op->name);
    if (wait) {
        cJSON_AddStringToObject(in, "PropertySelector", selectors[gen_byte(g) % 6]);
        const char *want[] = {gen_words[gen_byte(g) % GEN_N_WORDS]};
        cJSON_AddItemToObject(in, "DesiredValues", cJSON_CreateStringArray(want, 1));
        cJSON_AddNumberToObject(st, "timeoutSeconds", 3);
    } else if (gen_chance(g, 96)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", "o");
        cJSON_AddStringToObject(o, "Selector", selectors[gen_byte(g) % 6]);
        cJSON_AddStringToObject(o, "Type", types[gen_byte(g) % 6]);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "outputs"), o);
    }
    cJSON_AddItemToObject(st, "inputs", in);
    return st;
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The execution's record once it is over (or NULL after the bound), moving service time. */
static cJSON *run_out(const char *id)
{
    for (int i = 0; i < 200; i++) {
        clk_advance(&app->clock, 1000);
        engine_notify(app->engine);
        pause_ms(1);
        cJSON *in = cJSON_CreateObject(), *out = NULL;
        cJSON_AddStringToObject(in, "AutomationExecutionId", id);
        errbuf_t eb = {{0}};
        err_t rc = ssm_call("GetAutomationExecution", in, &out, &eb);
        cJSON_Delete(in);
        if (rc) __builtin_trap(); /* the execution just started exists */
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "AutomationExecution");
        const char *st =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "AutomationExecutionStatus"));
        if (st && (!strcmp(st, "Success") || !strcmp(st, "Failed") || !strcmp(st, "Cancelled") ||
                   !strcmp(st, "TimedOut")))
            return out;
        cJSON_Delete(out);
        if (i == 100) { /* long enough: cancel it, and see it end */
            cJSON *stop = cJSON_CreateObject();
            cJSON_AddStringToObject(stop, "AutomationExecutionId", id);
            cJSON_AddStringToObject(stop, "Type", "Cancel");
            ssm_call("StopAutomationExecution", stop, NULL, &eb);
            cJSON_Delete(stop);
        }
    }
    return NULL;
}

/* A first step with a mistyped input must have failed with a type error. */
static void check_first_step(const cJSON *out)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "AutomationExecution");
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "StepExecutions"), 0);
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s0, "StepStatus"));
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s0, "FailureMessage"));
    if (status && !strcmp(status, "Cancelled")) return;
    if (!status || strcmp(status, "Failed") || !why ||
        (!strstr(why, "SerializationException") && !strstr(why, "(ValidationError)") &&
         !strstr(why, "(InvalidParameterValue)") && !strstr(why, "Failed to resolve input"))) {
        char *t = cJSON_Print(e);
        fprintf(stderr, "a mistyped first step did not fail with a type error:\n%s\n", t);
        cJSON_free(t);
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned serial;
    if (size < 2) return 0;
    if (!app) {
        app = gen_app(1);
        gen_root(app, &root);
    }
    gen_t g = {data + 1, size - 1, 0, true};
    bool mistype = data[0] & 1;
    int n = 1 + data[0] / 2 % 3;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schemaVersion", "0.3");
    cJSON_AddItemToObject(doc, "parameters", cJSON_Parse(params_json));
    cJSON *steps = cJSON_AddArrayToObject(doc, "mainSteps");
    bool first_bad = false;
    for (int i = 0; i < n; i++) {
        bool bad = false;
        cJSON *st = make_step(&g, i, mistype, &bad);
        if (i == 0) first_bad = bad;
        if (i > 0 && gen_chance(&g, 64)) cJSON_AddStringToObject(st, "onFailure", "Continue");
        cJSON_AddItemToArray(steps, st);
    }
    char name[32];
    snprintf(name, sizeof(name), "fuzz-runbook-%u", serial++ % 16);
    char *content = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "Name", name);
    cJSON_AddStringToObject(in, "DocumentType", "Automation");
    cJSON_AddStringToObject(in, "DocumentFormat", "JSON");
    cJSON_AddStringToObject(in, "Content", content);
    cJSON_free(content);
    errbuf_t eb = {{0}};
    cJSON *del = cJSON_CreateObject();
    cJSON_AddStringToObject(del, "Name", name);
    ssm_call("DeleteDocument", del, NULL, &eb); /* this name's previous document, if any */
    err_t rc = ssm_call("CreateDocument", in, NULL, &eb);
    cJSON_Delete(in);
    cJSON *started = NULL;
    if (!rc) {
        in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "DocumentName", name);
        rc = ssm_call("StartAutomationExecution", in, &started, &eb);
        cJSON_Delete(in);
    }
    const char *id =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(started, "AutomationExecutionId"));
    cJSON *out = !rc && id ? run_out(id) : NULL;
    if (out && first_bad) check_first_step(out);
    cJSON_Delete(out);
    cJSON_Delete(started);
    cJSON_Delete(del);
    return 0;
}
