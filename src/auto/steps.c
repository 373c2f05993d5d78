/* steps.c - the mainSteps of an Automation document: the fields every step shares, the
 * actions catalogd runs with the inputs each requires, user-defined outputs, aws:branch
 * Choices, and the names steps use to refer to each other (nextStep, onFailure step:X,
 * onCancel step:X, NextStep, Default). */
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
static const char *const branch_ops[] = {"StringEquals",
                                         "EqualsIgnoreCase",
                                         "StartsWith",
                                         "EndsWith",
                                         "Contains",
                                         "NumericEquals",
                                         "NumericGreater",
                                         "NumericLesser",
                                         "NumericGreaterOrEquals",
                                         "NumericLesserOrEquals",
                                         "BooleanEquals",
                                         NULL};

typedef enum kind { K_STR, K_BOOL, K_INT, K_LIST, K_ANY } kind_t;

typedef struct input_spec {
    const char *name;
    kind_t kind;
    bool required;
} input_spec_t;

typedef struct action_spec {
    const char *action;
    bool closed; /* inputs other than the listed ones are refused */
    input_spec_t inputs[7];
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
static adoc_error_t check_target(const adoc_t *d, const char *target, const char *what,
                                 const char *step, errbuf_t *eb)
{
    if (adoc_step_index(d, target) >= 0) return ADOC_OK;
    return adoc__fail(eb, ADOC_E_CONTENT,
                      "The %s of step %s names step \"%.100s\", which is not defined in the "
                      "document.",
                      what, step, target);
}

static adoc_error_t check_cond(const adoc_t *d, const char *step, const cJSON *c, bool top,
                               int depth, errbuf_t *eb);

/* And/Or: a list of at least two conditions (SSM's message for fewer, typo included, is
 * "Expect at lease two expressions ..."). */
static adoc_error_t check_list_op(const adoc_t *d, const char *step, const cJSON *v, const char *op,
                                  int depth, errbuf_t *eb)
{
    size_t n = 0;
    if (!cJSON_IsArray(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The %s of a Choice in step %s must be a list.", op,
                          step);
    for (const cJSON *c = v->child; c; c = c->next) n++;
    if (n < 2)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Expect at lease two expressions for operator: %s in step: %s. "
                          "Provided: %zu",
                          op, step, n);
    for (const cJSON *c = v->child; c; c = c->next) {
        adoc_error_t rc = check_cond(d, step, c, false, depth + 1, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

/* The value compared by operator op: a string for the string operators, a number (or a
 * string, resolved at run time) for Numeric*, a boolean (or string) for BooleanEquals. */
static adoc_error_t check_operand(const char *step, const char *op, const cJSON *v, errbuf_t *eb)
{
    bool ok;
    if (strncmp(op, "Numeric", 7) == 0)
        ok = cJSON_IsNumber(v) || cJSON_IsString(v);
    else if (strcmp(op, "BooleanEquals") == 0)
        ok = cJSON_IsBool(v) || cJSON_IsString(v);
    else
        ok = cJSON_IsString(v);
    if (ok) return ADOC_OK;
    return adoc__fail(eb, ADOC_E_CONTENT, "The %s value of a Choice in step %s must be %s.", op,
                      step,
                      strncmp(op, "Numeric", 7) == 0     ? "a number"
                      : strcmp(op, "BooleanEquals") == 0 ? "true or false"
                                                         : "a string");
}

/* One condition of aws:branch: Variable with one operator, or And/Or (lists), or Not (one
 * condition). top: a Choice itself, which also carries NextStep. */
static adoc_error_t check_cond(const adoc_t *d, const char *step, const cJSON *c, bool top,
                               int depth, errbuf_t *eb)
{
    if (depth > ADOC_MAX_DEPTH || !cJSON_IsObject(c))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Each Choice of step %s, and each condition inside one, must be an "
                          "object.",
                          step);
    const char *op = NULL, *combo = NULL;
    bool var = false, next = false;
    for (const cJSON *k = c->child; k; k = k->next) {
        const char *key = k->string;
        adoc_error_t rc = ADOC_OK;
        if (strcmp(key, "NextStep") == 0 && top) {
            if (!cJSON_IsString(k))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "The NextStep of a Choice in step %s must be a step name.", step);
            rc = check_target(d, k->valuestring, "NextStep of a Choice", step, eb);
            next = true;
        } else if (strcmp(key, "Variable") == 0) {
            if (!cJSON_IsString(k))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "The Variable of a Choice in step %s must be a string such as "
                                  "\"{{ stepName.outputName }}\".",
                                  step);
            var = true;
        } else if (adoc__one_of(key, branch_ops)) {
            if (op)
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "A Choice in step %s has two operators, %s and %s.", step, op,
                                  key);
            op = key;
            rc = check_operand(step, key, k, eb);
        } else if (strcmp(key, "And") == 0 || strcmp(key, "Or") == 0 || strcmp(key, "Not") == 0) {
            if (combo)
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "A Choice in step %s has two operators, %s and %s.", step, combo,
                                  key);
            combo = key;
            if (key[0] != 'N')
                rc = check_list_op(d, step, k, key, depth, eb);
            else if (cJSON_IsArray(k) && k->child && !k->child->next)
                rc = check_cond(d, step, k->child, false, depth + 1, eb);
            else
                rc = check_cond(d, step, k, false, depth + 1, eb);
        } else {
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Unsupported operator %.100s in a Choice of step %s. Supported: "
                              "Variable with StringEquals, EqualsIgnoreCase, StartsWith, "
                              "EndsWith, Contains, NumericEquals, NumericGreater, NumericLesser, "
                              "NumericGreaterOrEquals, NumericLesserOrEquals or BooleanEquals; "
                              "And, Or, Not%s.",
                              key, step, top ? "; NextStep" : "");
        }
        if (rc != ADOC_OK) return rc;
    }
    if (combo && (op || var))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "A Choice in step %s mixes %s with a Variable comparison; nest the "
                          "comparison inside %s.",
                          step, combo, combo);
    if (!combo && !(op && var))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "A Choice in step %s needs a Variable and one operator (or And, Or, "
                          "Not).",
                          step);
    if (top && !next)
        return adoc__fail(eb, ADOC_E_CONTENT, "A Choice in step %s is missing NextStep.", step);
    return ADOC_OK;
}

/* aws:branch inputs: a non-empty Choices list, each a condition with NextStep, and an
 * optional Default naming a step. */
static adoc_error_t check_branch(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb)
{
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(s->inputs, "Choices");
    if (!cJSON_IsArray(ch) || !ch->child)
        return adoc__fail(eb, ADOC_E_CONTENT, "The Choices of step %s must be a non-empty list.",
                          s->name);
    for (const cJSON *c = ch->child; c; c = c->next) {
        adoc_error_t rc = check_cond(d, s->name, c, true, 0, eb);
        if (rc != ADOC_OK) return rc;
    }
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(s->inputs, "Default");
    return def ? check_target(d, def->valuestring, "Default", s->name, eb) : ADOC_OK;
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

/* The inputs of s against its action: required inputs present, each of its kind, no
 * unknown inputs for the actions with a fixed set, then the action's own rules. */
static adoc_error_t check_inputs(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb)
{
    const action_spec_t *a = find_action(s->action);
    for (const input_spec_t *in = a->inputs; in < a->inputs + 7 && in->name; in++) {
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
            for (const input_spec_t *in = a->inputs; in < a->inputs + 7 && in->name; in++)
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
        return check_branch(d, s, eb);
    } else if (strcmp(s->action, "aws:approve") == 0) {
        return check_approve(s, eb);
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
    for (const input_spec_t *sp = a->inputs; sp < a->inputs + 7 && sp->name; sp++) {
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
    if (s->next_step) rc = check_target(d, s->next_step, "nextStep", s->name, eb);
    if (rc == ADOC_OK && strncmp(s->on_failure, "step:", 5) == 0)
        rc = check_target(d, s->on_failure + 5, "onFailure", s->name, eb);
    if (rc == ADOC_OK && strncmp(s->on_cancel, "step:", 5) == 0) {
        rc = check_target(d, s->on_cancel + 5, "onCancel", s->name, eb);
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
    for (i = 0; i < n; i++) {
        adoc_error_t rc = link_step(d, &d->steps[i], eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}
