/* steps.c - the mainSteps of an Automation document: the fields every step shares, the
 * actions catalogd runs with the inputs each requires, user-defined outputs, the Steps of
 * aws:loop, and the names steps use to refer to each other (nextStep, onFailure step:X,
 * onCancel step:X). aws:branch Choices are checked in branch.c. */
#include "auto/adoc_int.h"

#include "core/enc.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static const char *const step_keys[] = {
    "name",           "action",    "inputs",   "description", "maxAttempts",
    "timeoutSeconds", "onFailure", "onCancel", "isEnd",       "nextStep",
    "isCritical",     "outputs",   NULL};
static const char *const out_types[] = {"String",  "Integer",   "Boolean", "StringList",
                                        "MapList", "StringMap", NULL};

typedef enum kind { K_STR, K_BOOL, K_INT, K_LIST, K_ANY } kind_t;

#define ADOC_MAX_INPUTS 16

typedef struct input_spec {
    const char *name;
    kind_t kind;
    bool required;
} input_spec_t;

typedef struct action_spec {
    const char *action;
    bool closed; /* inputs other than the listed ones are refused */
    input_spec_t inputs[ADOC_MAX_INPUTS];
} action_spec_t;

static const action_spec_t actions[] = {
    {"aws:changeInstanceState",
     true,
     {{"InstanceIds", K_LIST, true},
      {"DesiredState", K_STR, true},
      {"CheckStateOnly", K_BOOL, false},
      {"Force", K_BOOL, false},
      {"AdditionalInfo", K_STR, false},
      {"FailOnUnexpectedStopped", K_BOOL, false}}},
    {"aws:executeAwsApi", false, {{"Service", K_STR, true}, {"Api", K_STR, true}}},
    {"aws:createImage",
     true,
     {{"InstanceId", K_STR, true},
      {"ImageName", K_STR, true},
      {"ImageDescription", K_STR, false},
      {"NoReboot", K_BOOL, false},
      {"BlockDeviceMappings", K_ANY, false}}},
    {"aws:waitForAwsResourceProperty",
     false,
     {{"Service", K_STR, true},
      {"Api", K_STR, true},
      {"PropertySelector", K_STR, true},
      {"DesiredValues", K_LIST, true}}},
    {"aws:assertAwsResourceProperty",
     false,
     {{"Service", K_STR, true},
      {"Api", K_STR, true},
      {"PropertySelector", K_STR, true},
      {"DesiredValues", K_LIST, true}}},
    {"aws:sleep", true, {{"Duration", K_STR, false}, {"Timestamp", K_STR, false}}},
    {"aws:branch", true, {{"Choices", K_ANY, true}, {"Default", K_STR, false}}},
    {"aws:pause", true, {{NULL, K_ANY, false}}},
    {"aws:approve",
     true,
     {{"Approvers", K_LIST, true},
      {"NotificationArn", K_STR, false},
      {"Message", K_STR, false},
      {"MinRequiredApprovals", K_INT, false}}},
    {"aws:executeScript",
     true,
     {{"Runtime", K_STR, true},
      {"Handler", K_STR, true},
      {"Script", K_STR, false},
      {"InputPayload", K_ANY, false},
      {"Attachment", K_STR, false}}},
    {"aws:createStack",
     true,
     {{"StackName", K_STR, true},
      {"TemplateBody", K_STR, false},
      {"TemplateURL", K_STR, false},
      {"Parameters", K_ANY, false},
      {"Capabilities", K_LIST, false},
      {"Tags", K_ANY, false},
      {"TimeoutInMinutes", K_INT, false},
      {"OnFailure", K_STR, false},
      {"DisableRollback", K_BOOL, false},
      {"RoleARN", K_STR, false},
      {"ClientRequestToken", K_STR, false},
      {"NotificationARNs", K_LIST, false},
      {"ResourceTypes", K_LIST, false},
      {"StackPolicyBody", K_STR, false},
      {"StackPolicyURL", K_STR, false}}},
    {"aws:deleteStack",
     true,
     {{"StackName", K_STR, true},
      {"RoleARN", K_STR, false},
      {"ClientRequestToken", K_STR, false},
      {"RetainResources", K_LIST, false}}},
    {"aws:createTags",
     true,
     {{"ResourceIds", K_LIST, true}, {"Tags", K_ANY, true}, {"ResourceType", K_STR, false}}},
    /* the other RunInstances parameters pass through to ec2:RunInstances */
    {"aws:runInstances",
     false,
     {{"ImageId", K_STR, true},
      {"InstanceType", K_STR, false},
      {"MinInstanceCount", K_INT, false},
      {"MaxInstanceCount", K_INT, false},
      {"TagSpecifications", K_ANY, false}}},
    /* the other SendCommand parameters pass through to ssm:SendCommand */
    {"aws:runCommand",
     false,
     {{"DocumentName", K_STR, true},
      {"InstanceIds", K_LIST, false},
      {"Targets", K_ANY, false},
      {"Parameters", K_ANY, false},
      {"Comment", K_STR, false},
      {"TimeoutSeconds", K_INT, false},
      {"MaxConcurrency", K_STR, false},
      {"MaxErrors", K_STR, false}}},
    /* Steps is parsed into the step's loop_steps; Steps and LoopCondition are
     * interpolated by the loop itself, each iteration */
    {"aws:loop",
     true,
     {{"Iterators", K_ANY, false},
      {"IteratorDataType", K_STR, false},
      {"LoopCondition", K_ANY, false},
      {"MaxIterations", K_INT, false},
      {"Steps", K_ANY, false}}},
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

static const action_spec_t *find_action(const char *name)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcmp(actions[i].action, name) == 0) return &actions[i];
    return NULL;
}

/* True when v is a string holding at least one {{ reference }}. */
static bool has_ref(const cJSON *v)
{
    adoc_ref_t r;
    return cJSON_IsString(v) && adoc__next_ref(span_of(v->valuestring), 0, &r);
}

static bool kind_ok(kind_t k, const cJSON *v)
{
    int64_t i;
    switch (k) {
    case K_STR:
        return cJSON_IsString(v);
    case K_BOOL:
        return cJSON_IsBool(v) || has_ref(v);
    case K_INT:
        return adoc__get_int(v, &i) || has_ref(v);
    case K_LIST:
        if (cJSON_IsString(v)) return true;
        if (!cJSON_IsArray(v)) return false;
        for (const cJSON *c = v->child; c; c = c->next)
            if (!cJSON_IsString(c)) return false;
        return true;
    default:
        return true;
    }
}

static const char *kind_text(kind_t k)
{
    switch (k) {
    case K_STR:
        return "a string";
    case K_BOOL:
        return "true or false (or a {{ variable }})";
    case K_INT:
        return "an integer (or a {{ variable }})";
    default:
        return "a list of strings (or a {{ variable }})";
    }
}

/* The step a "step:NAME" or name reference points to; the message names what refers. */
adoc_error_t adoc__check_target(const adoc_t *d, const char *target, const char *what,
                                const char *step, errbuf_t *eb)
{
    if (adoc_step_index(d, target) >= 0) return ADOC_OK;
    return adoc__fail(eb, ADOC_E_CONTENT,
                      "The %s of step %s names step \"%.100s\", which is not defined in the "
                      "document.",
                      what, step, target);
}

/* aws:sleep inputs: exactly one of Duration and Timestamp; literal ones must parse, and a
 * Duration stays within the 604799-second maximum. */
static adoc_error_t check_sleep(const adoc_step_t *s, errbuf_t *eb)
{
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(s->inputs, "Duration");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(s->inputs, "Timestamp");
    int64_t secs, ms;
    if (!dur == !ts)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Step %s (aws:sleep) takes exactly one of the inputs Duration and "
                          "Timestamp.",
                          s->name);
    if (dur && !has_ref(dur)) {
        if (!adoc_duration_seconds(dur->valuestring, &secs))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The Duration of step %s is not an ISO 8601 duration such as "
                              "PT10M: \"%.100s\".",
                              s->name, dur->valuestring);
        if (secs > 604799)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The Duration of step %s is longer than the maximum sleep of "
                              "604799 seconds.",
                              s->name);
    }
    if (ts && !has_ref(ts) && !enc_parse_iso8601(span_of(ts->valuestring), &ms))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The Timestamp of step %s is not an ISO 8601 date-time such as "
                          "2020-01-01T01:00:00Z: \"%.100s\".",
                          s->name, ts->valuestring);
    return ADOC_OK;
}

/* aws:approve inputs: 1..10 Approvers when listed, Message up to 4096 characters,
 * MinRequiredApprovals at least 1. */
static adoc_error_t check_approve(const adoc_step_t *s, errbuf_t *eb)
{
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(s->inputs, "Approvers");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(s->inputs, "Message");
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(s->inputs, "MinRequiredApprovals");
    int64_t n = 0;
    if (cJSON_IsArray(ap)) {
        for (const cJSON *c = ap->child; c; c = c->next) n++;
        if (n < 1 || n > 10)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The Approvers of step %s must list 1 to 10 approvers.", s->name);
    }
    if (msg && adoc__utf8_chars(msg->valuestring) > 4096)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The Message of step %s is longer than 4096 characters.", s->name);
    if (min && adoc__get_int(min, &n) && n < 1)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The MinRequiredApprovals of step %s must be at least 1.", s->name);
    return ADOC_OK;
}

static adoc_error_t check_inputs(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb);

/* aws:loop inputs: Iterators (at most 100) or a LoopCondition (a branch condition
 * without NextStep), MaxIterations 1 to 100, and its Steps (parsed by parse_loop), each
 * with the checks of its action. */
static adoc_error_t check_loop(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb)
{
    static const char *const types[] = {"String", "Integer", "Boolean", "StringMap", NULL};
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(s->inputs, "Iterators");
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(s->inputs, "LoopCondition");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(s->inputs, "IteratorDataType");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(s->inputs, "MaxIterations");
    int64_t n;
    if (!it == !cond)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Step %s (aws:loop) takes exactly one of the inputs Iterators and "
                          "LoopCondition.",
                          s->name);
    if (cJSON_IsArray(it) && cJSON_GetArraySize(it) > 100)
        return adoc__fail(eb, ADOC_E_CONTENT, "The Iterators of step %s list more than 100 items.",
                          s->name);
    if (type && !has_ref(type) && !adoc__one_of(type->valuestring, types))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The IteratorDataType of step %s must be Boolean, Integer, String or "
                          "StringMap.",
                          s->name);
    if (max && adoc__get_int(max, &n) && (n < 1 || n > 100))
        return adoc__fail(eb, ADOC_E_CONTENT, "The MaxIterations of step %s must be from 1 to 100.",
                          s->name);
    if (cond) {
        adoc_error_t rc = adoc__check_cond(d, s->name, cond, false, 0, eb);
        if (rc != ADOC_OK) return rc;
    }
    for (size_t i = 0; i < s->n_loop_steps; i++) {
        adoc_error_t rc = check_inputs(d, &s->loop_steps[i], eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

/* aws:executeScript inputs: an inline Script (an Attachment is refused: catalogd keeps
 * no attachments), a Python 3 Runtime and a Handler naming a Python function. */
static adoc_error_t check_script(const adoc_step_t *s, errbuf_t *eb)
{
    static const char *const runtimes[] = {"python3.6",  "python3.7",  "python3.8", "python3.9",
                                           "python3.10", "python3.11", NULL};
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(s->inputs, "Runtime");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(s->inputs, "Handler");
    if (cJSON_GetObjectItemCaseSensitive(s->inputs, "Attachment"))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Step %s (aws:executeScript) names an Attachment: catalogd does not "
                          "support attachments; put the script inline in Script.",
                          s->name);
    if (!cJSON_GetObjectItemCaseSensitive(s->inputs, "Script"))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Step %s is missing the required input Script of action "
                          "aws:executeScript.",
                          s->name);
    if (!has_ref(rt) && !adoc__one_of(rt->valuestring, runtimes))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The Runtime of step %s is \"%.100s\"; catalogd runs python3.6 to "
                          "python3.11 (PowerShell is not supported).",
                          s->name, rt->valuestring);
    if (!has_ref(h) && !adoc__is_name(h->valuestring, 128, NULL))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The Handler of step %s must name a Python function of the Script.",
                          s->name);
    return ADOC_OK;
}

/* The inputs of s against its action: required inputs present, each of its kind, no
 * unknown inputs for the actions with a fixed set, then the action's own rules. */
static adoc_error_t check_inputs(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb)
{
    const action_spec_t *a = find_action(s->action);
    for (const input_spec_t *in = a->inputs; in < a->inputs + ADOC_MAX_INPUTS && in->name; in++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->inputs, in->name);
        if (!v && in->required)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Step %s is missing the required input %s of action %s.", s->name,
                              in->name, s->action);
        if (v && !kind_ok(in->kind, v))
            return adoc__fail(eb, ADOC_E_CONTENT, "The input %s of step %s must be %s.", in->name,
                              s->name, kind_text(in->kind));
    }
    if (a->closed)
        for (const cJSON *c = s->inputs->child; c; c = c->next) {
            bool known = false;
            for (const input_spec_t *in = a->inputs; in < a->inputs + ADOC_MAX_INPUTS && in->name;
                 in++)
                known = known || strcmp(in->name, c->string) == 0;
            if (!known)
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "Action %s does not take the input \"%.100s\" (step %s).",
                                  s->action, c->string, s->name);
        }
    if (strcmp(s->action, "aws:changeInstanceState") == 0) {
        static const char *const states[] = {"running", "stopped", "terminated", NULL};
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(s->inputs, "DesiredState");
        if (!has_ref(ds) && !adoc__one_of(ds->valuestring, states))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The DesiredState of step %s is \"%.100s\"; it must be running, "
                              "stopped or terminated.",
                              s->name, ds->valuestring);
    } else if (strncmp(s->action, "aws:", 4) == 0 && strstr(s->action, "AwsResourceProperty")) {
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(s->inputs, "PropertySelector");
        if (!has_ref(ps)) return adoc__selector_check(ps->valuestring, eb);
    } else if (strcmp(s->action, "aws:sleep") == 0) {
        return check_sleep(s, eb);
    } else if (strcmp(s->action, "aws:branch") == 0) {
        return adoc__check_branch(d, s, eb);
    } else if (strcmp(s->action, "aws:approve") == 0) {
        return check_approve(s, eb);
    } else if (strcmp(s->action, "aws:executeScript") == 0) {
        return check_script(s, eb);
    } else if (strcmp(s->action, "aws:loop") == 0) {
        return check_loop(d, s, eb);
    } else if (strcmp(s->action, "aws:runCommand") == 0) {
        if (!cJSON_GetObjectItemCaseSensitive(s->inputs, "InstanceIds") &&
            !cJSON_GetObjectItemCaseSensitive(s->inputs, "Targets"))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Step %s (aws:runCommand) needs InstanceIds or Targets.", s->name);
    }
    return ADOC_OK;
}

/* The SSM type name of a resolved value, for messages. */
static const char *resolved_type(const cJSON *v)
{
    int64_t i;
    if (cJSON_IsString(v)) return "String";
    if (cJSON_IsBool(v)) return "Boolean";
    if (cJSON_IsNumber(v)) return adoc__get_int(v, &i) ? "Integer" : "Double";
    if (cJSON_IsArray(v)) return cJSON_IsObject(v->child) ? "MapList" : "List";
    if (cJSON_IsObject(v)) return "StringMap";
    return "Null";
}

/* True when resolved value v has kind k (no {{ }} left to excuse it). */
static bool kind_resolved(kind_t k, const cJSON *v)
{
    int64_t i;
    switch (k) {
    case K_BOOL:
        return cJSON_IsBool(v);
    case K_INT:
        return adoc__get_int(v, &i);
    case K_STR:
    case K_LIST:
        return kind_ok(k, v);
    default:
        return true;
    }
}

adoc_error_t adoc_step_inputs_check(const adoc_step_t *s, const cJSON *in, errbuf_t *eb)
{
    static const char *const kind_names[] = {
        [K_STR] = "String", [K_BOOL] = "Boolean", [K_INT] = "Integer", [K_LIST] = "StringList"};
    const action_spec_t *a = find_action(s->action);
    if (!a || !cJSON_IsObject(in))
        return adoc__fail(eb, ADOC_E_CONTENT, "Step %s has no inputs to run.", s->name);
    for (const input_spec_t *sp = a->inputs; sp < a->inputs + ADOC_MAX_INPUTS && sp->name; sp++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, sp->name);
        if (!v && sp->required)
            return adoc__fail(eb, ADOC_E_CONTENT, "Failed to resolve input: %s.", sp->name);
        if (v && !kind_resolved(sp->kind, v))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Failed to resolve input: %s to type %s. %s is resolved to a type "
                              "%s.",
                              sp->name, kind_names[sp->kind], sp->name, resolved_type(v));
    }
    if (strcmp(s->action, "aws:changeInstanceState") == 0) {
        static const char *const states[] = {"running", "stopped", "terminated", NULL};
        const char *ds = cJSON_GetObjectItemCaseSensitive(in, "DesiredState")->valuestring;
        if (!adoc__one_of(ds, states))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "DesiredState is \"%.100s\"; it must be running, stopped or "
                              "terminated.",
                              ds);
    } else if (strstr(s->action, "AwsResourceProperty")) {
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(in, "PropertySelector");
        return adoc__selector_check(ps->valuestring, eb);
    }
    return ADOC_OK;
}

/* User-defined outputs of s: a list of {Name, Selector, Type}, names unique within the
 * step, Type one of the six, Selector compiling (select.c). */
static adoc_error_t check_outputs(const adoc_step_t *s, errbuf_t *eb)
{
    static const char *const keys[] = {"Name", "Selector", "Type", NULL};
    if (!cJSON_IsArray(s->outputs))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The outputs of step %s must be a list of {Name, Selector, Type}.",
                          s->name);
    for (const cJSON *o = s->outputs->child; o; o = o->next) {
        if (!cJSON_IsObject(o))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The outputs of step %s must be a list of {Name, Selector, Type}.",
                              s->name);
        for (const cJSON *k = o->child; k; k = k->next)
            if (!adoc__one_of(k->string, keys) || !cJSON_IsString(k))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "An output of step %s has \"%.100s\": outputs take the strings "
                                  "Name, Selector and Type.",
                                  s->name, k->string);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "Name");
        const cJSON *sel = cJSON_GetObjectItemCaseSensitive(o, "Selector");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "Type");
        if (!name || !sel || !type)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Each output of step %s needs a Name, a Selector and a Type.",
                              s->name);
        if (!adoc__is_name(name->valuestring, ADOC_MAX_STEP_NAME, NULL))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The output name \"%.100s\" of step %s is not valid: use letters, "
                              "digits and underscores.",
                              name->valuestring, s->name);
        for (const cJSON *p = s->outputs->child; p != o; p = p->next) {
            const cJSON *pn = cJSON_GetObjectItemCaseSensitive(p, "Name");
            if (strcmp(pn->valuestring, name->valuestring) == 0)
                return adoc__fail(eb, ADOC_E_CONTENT, "Step %s declares the output %s twice.",
                                  s->name, name->valuestring);
        }
        if (!adoc__one_of(type->valuestring, out_types))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The output %s of step %s has unsupported Type \"%.100s\". "
                              "Supported types: String, Integer, Boolean, StringList, MapList, "
                              "StringMap.",
                              name->valuestring, s->name, type->valuestring);
        adoc_error_t rc = adoc__selector_check(sel->valuestring, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

/* A boolean field: *out keeps its default when absent. */
static adoc_error_t bool_field(const cJSON *st, const char *key, const char *name, bool *out,
                               errbuf_t *eb)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, key);
    if (!v) return ADOC_OK;
    if (!cJSON_IsBool(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The %s of step %s must be true or false.", key,
                          name);
    *out = cJSON_IsTrue(v);
    return ADOC_OK;
}

/* An integer field in [1, max]: *out keeps its default when absent. */
static adoc_error_t int_field(const cJSON *st, const char *key, const char *name, int64_t max,
                              int64_t *out, errbuf_t *eb)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, key);
    int64_t n;
    if (!v) return ADOC_OK;
    if (!adoc__get_int(v, &n) || n < 1 || n > max)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The %s of step %s must be an integer from 1 to %lld.", key, name,
                          (long long)max);
    *out = n;
    return ADOC_OK;
}

/* A string field: *out keeps its default when absent (the string is borrowed). */
static adoc_error_t string_field(const cJSON *st, const char *key, const char *name,
                                 const char **out, errbuf_t *eb)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, key);
    if (!v) return ADOC_OK;
    if (!cJSON_IsString(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The %s of step %s must be a string.", key, name);
    *out = v->valuestring;
    return ADOC_OK;
}

/* Pass one over a step: its fields, typed, into s. References to other steps are checked
 * in pass two, once every name is known. */
static adoc_error_t read_step(const cJSON *st, size_t i, adoc_step_t *s, errbuf_t *eb)
{
    if (!cJSON_IsObject(st))
        return adoc__fail(eb, ADOC_E_CONTENT, "mainSteps[%zu] must be an object.", i);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, "name");
    if (!v)
        return adoc__fail(eb, ADOC_E_CONTENT, "mainSteps[%zu] is missing the required field name.",
                          i);
    if (!cJSON_IsString(v) || !adoc__is_name(v->valuestring, ADOC_MAX_STEP_NAME, NULL)) {
        char *t = adoc__scalar_text(v);
        adoc_error_t rc = adoc__fail(eb, ADOC_E_CONTENT,
                                     "Step name \"%.100s\" (mainSteps[%zu]) is not valid: use 1 "
                                     "to %d letters, digits or underscores.",
                                     t ? t : "(not a string)", i, ADOC_MAX_STEP_NAME);
        free(t);
        return rc;
    }
    const char *name = s->name = v->valuestring;
    for (const cJSON *c = st->child; c; c = c->next)
        if (!adoc__one_of(c->string, step_keys))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Step %s has unsupported field \"%.100s\". Steps take name, action, "
                              "inputs, description, maxAttempts, timeoutSeconds, onFailure, "
                              "onCancel, isEnd, nextStep, isCritical and outputs.",
                              name, c->string);
    v = cJSON_GetObjectItemCaseSensitive(st, "action");
    if (!v)
        return adoc__fail(eb, ADOC_E_CONTENT, "Step %s is missing the required field action.",
                          name);
    if (!cJSON_IsString(v) || !find_action(v->valuestring)) {
        char *t = adoc__scalar_text(v);
        adoc_error_t rc = adoc__fail(eb, ADOC_E_CONTENT,
                                     "Action %.100s in step %s is not supported by catalogd. "
                                     "Supported actions: " ADOC_ACTIONS,
                                     t ? t : "(not a string)", name);
        free(t);
        return rc;
    }
    s->action = v->valuestring;
    v = cJSON_GetObjectItemCaseSensitive(st, "inputs");
    if (!v)
        return adoc__fail(eb, ADOC_E_CONTENT, "Step %s is missing the required field inputs.",
                          name);
    if (!cJSON_IsObject(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The inputs of step %s must be an object.", name);
    s->inputs = v;
    int64_t attempts = 1, timeout = 0;
    const char *desc = NULL;
    s->on_failure = "Abort";
    s->on_cancel = "Abort";
    adoc_error_t rc = string_field(st, "description", name, &desc, eb);
    if (rc == ADOC_OK) rc = int_field(st, "maxAttempts", name, 2147483647, &attempts, eb);
    if (rc == ADOC_OK) rc = int_field(st, "timeoutSeconds", name, 2147483647, &timeout, eb);
    if (rc == ADOC_OK) rc = string_field(st, "onFailure", name, &s->on_failure, eb);
    if (rc == ADOC_OK) rc = string_field(st, "onCancel", name, &s->on_cancel, eb);
    if (rc == ADOC_OK) rc = string_field(st, "nextStep", name, &s->next_step, eb);
    if (rc == ADOC_OK) rc = bool_field(st, "isEnd", name, &s->is_end, eb);
    if (rc != ADOC_OK) return rc;
    s->max_attempts = (int)attempts;
    s->timeout_s = timeout;
    if (strcmp(s->on_failure, "Abort") != 0 && strcmp(s->on_failure, "Continue") != 0 &&
        strncmp(s->on_failure, "step:", 5) != 0)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The onFailure of step %s is \"%.100s\"; it must be Abort, Continue or "
                          "step:<step name>.",
                          name, s->on_failure);
    if (strcmp(s->on_cancel, "Abort") != 0 && strncmp(s->on_cancel, "step:", 5) != 0)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The onCancel of step %s is \"%.100s\"; it must be Abort or "
                          "step:<step name>.",
                          name, s->on_cancel);
    /* isCritical defaults to true, but to false when the step continues on failure */
    s->is_critical = strcmp(s->on_failure, "Continue") != 0;
    rc = bool_field(st, "isCritical", name, &s->is_critical, eb);
    if (rc != ADOC_OK) return rc;
    s->outputs = cJSON_GetObjectItemCaseSensitive(st, "outputs");
    return s->outputs ? check_outputs(s, eb) : ADOC_OK;
}

/* Pass two: what a step names (other steps, inputs that depend on them). */
static adoc_error_t link_step(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb)
{
    static const char *const no_cancel[] = {"aws:approve", "aws:pause", "aws:sleep", NULL};
    adoc_error_t rc = ADOC_OK;
    if (s->next_step) rc = adoc__check_target(d, s->next_step, "nextStep", s->name, eb);
    if (rc == ADOC_OK && strncmp(s->on_failure, "step:", 5) == 0)
        rc = adoc__check_target(d, s->on_failure + 5, "onFailure", s->name, eb);
    if (rc == ADOC_OK && strncmp(s->on_cancel, "step:", 5) == 0) {
        rc = adoc__check_target(d, s->on_cancel + 5, "onCancel", s->name, eb);
        int t = rc == ADOC_OK ? adoc_step_index(d, s->on_cancel + 5) : -1;
        if (t >= 0 && adoc__one_of(d->steps[t].action, no_cancel))
            rc = adoc__fail(eb, ADOC_E_CONTENT,
                            "The onCancel of step %s names step %s, but %s steps cannot run "
                            "in a cancellation.",
                            s->name, d->steps[t].name, d->steps[t].action);
    }
    if (rc == ADOC_OK) rc = check_inputs(d, s, eb);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const adoc_name_t *)a)->name, ((const adoc_name_t *)b)->name);
}

/* The Steps of aws:loop step s into s->loop_steps: a non-empty list of steps whose names
 * no other step uses, run in order (no nextStep, isEnd, onFailure/onCancel step:X), and
 * not loop, branch, approve or pause steps. */
static adoc_error_t parse_loop(adoc_step_t *s, errbuf_t *eb)
{
    static const char *const inner_no[] = {"aws:loop", "aws:branch", "aws:approve", "aws:pause",
                                           NULL};
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(s->inputs, "Steps");
    size_t n = 0;
    for (const cJSON *c = cJSON_IsArray(st) ? st->child : NULL; c; c = c->next) n++;
    if (!n || n > 100)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The Steps of step %s (aws:loop) must be a list of 1 to 100 steps.",
                          s->name);
    s->loop_steps = xcalloc(n, sizeof(*s->loop_steps));
    s->n_loop_steps = n;
    size_t i = 0;
    for (const cJSON *c = st->child; c; c = c->next, i++) {
        adoc_step_t *in = &s->loop_steps[i];
        adoc_error_t rc = read_step(c, i, in, eb);
        if (rc != ADOC_OK) return rc;
        if (adoc__one_of(in->action, inner_no))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Step %s cannot run inside the loop %s: %s steps are not supported "
                              "in aws:loop.",
                              in->name, s->name, in->action);
        if (in->next_step || in->is_end || strncmp(in->on_failure, "step:", 5) == 0 ||
            strncmp(in->on_cancel, "step:", 5) == 0)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Step %s inside the loop %s cannot use nextStep, isEnd or "
                              "step:<name> targets: the steps of a loop run in order.",
                              in->name, s->name);
    }
    return ADOC_OK;
}

/* Step names must be unique across the document, the Steps of loops included. */
static adoc_error_t check_loop_names(const adoc_t *d, errbuf_t *eb)
{
    for (size_t k = 0; k < d->n_steps; k++)
        for (size_t j = 0; j < d->steps[k].n_loop_steps; j++) {
            const char *name = d->steps[k].loop_steps[j].name;
            const adoc_step_t *first = adoc_find_step(d, name);
            if (first != &d->steps[k].loop_steps[j])
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "Step name %s is used by more than one step; step names must "
                                  "be unique.",
                                  name);
        }
    return ADOC_OK;
}

adoc_error_t adoc__parse_steps(adoc_t *d, errbuf_t *eb)
{
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(d->root, "mainSteps");
    size_t n = 0;
    for (const cJSON *c = ms->child; c; c = c->next) n++;
    if (n > ADOC_MAX_STEPS)
        return adoc__fail(eb, ADOC_E_CONTENT, "mainSteps holds more than %d steps.",
                          ADOC_MAX_STEPS);
    d->steps = xcalloc(n, sizeof(*d->steps));
    d->n_steps = n;
    size_t i = 0;
    for (const cJSON *c = ms->child; c; c = c->next, i++) {
        adoc_error_t rc = read_step(c, i, &d->steps[i], eb);
        if (rc == ADOC_OK && strcmp(d->steps[i].action, "aws:loop") == 0)
            rc = parse_loop(&d->steps[i], eb);
        if (rc != ADOC_OK) return rc;
    }
    adoc_name_t *names = xcalloc(n, sizeof(*names));
    for (i = 0; i < n; i++) names[i] = (adoc_name_t){d->steps[i].name, (int)i};
    qsort(names, n, sizeof(*names), cmp_names);
    for (i = 1; i < n; i++)
        if (strcmp(names[i - 1].name, names[i].name) == 0) {
            adoc_error_t rc = adoc__fail(eb, ADOC_E_CONTENT,
                                         "Step name %s is used by more than one step; step names "
                                         "must be unique.",
                                         names[i].name);
            free(names);
            return rc;
        }
    d->by_name = names;
    adoc_error_t lrc = check_loop_names(d, eb);
    if (lrc != ADOC_OK) return lrc;
    for (i = 0; i < n; i++) {
        adoc_error_t rc = link_step(d, &d->steps[i], eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}
