/* loop.c - aws:loop: runs the loop's Steps in order once per item of Iterators (for
 * each), or until its LoopCondition, evaluated after each iteration, no longer holds (do
 * while), at most MaxIterations (default and cap 100) times. The loop's StepExecution
 * keeps its progress in "_Loop": {"items", "i" (iteration, from 0), "k" (the inner step),
 * "s" (the inner step's own state: _Phase, _Attempt, _Typed ...), "outs" (the typed
 * outputs of the inner steps that ended, by step name)}. The loop's outputs
 * CurrentIteration (from 1) and CurrentIteratorValue are set before each iteration, so
 * the inner steps read them as {{ loop.CurrentIteratorValue }}; {{ inner.Output }} reads
 * what an inner step produced in this or an earlier iteration. */
#include "svc/ssm/ssm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOP_MAX      100
#define LOOP_MAX_NAME 128 /* step names are 1-128 characters */

typedef struct loop_vars {
    const cJSON *outs;
    const adoc_vars_t *outer;
} loop_vars_t;

static cJSON *loop_lookup(void *ud, const char *name)
{
    loop_vars_t *lv = ud;
    const char *dot = strchr(name, '.');
    if (dot) {
        char step[LOOP_MAX_NAME + 1];
        size_t n = (size_t)(dot - name) < LOOP_MAX_NAME ? (size_t)(dot - name) : LOOP_MAX_NAME;
        memcpy(step, name, n);
        step[n] = '\0';
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(lv->outs, step), dot + 1);
        if (v) return cJSON_Duplicate(v, 1);
    }
    return lv->outer->lookup(lv->outer->ud, name);
}

/* The iterator value of item v as IteratorDataType says. */
static cJSON *loop_value(const cJSON *v, const char *type)
{
    if (!cJSON_IsString(v) || !type || !strcmp(type, "String")) return cJSON_Duplicate(v, 1);
    if (!strcmp(type, "StringMap")) {
        cJSON *m = cJSON_Parse(v->valuestring);
        if (cJSON_IsObject(m)) return m;
        cJSON_Delete(m);
    } else if (!strcmp(type, "Integer")) {
        char *end;
        long long i = strtoll(v->valuestring, &end, 10);
        if (end != v->valuestring && !*end) return cJSON_CreateNumber((double)i);
    } else if (!strcmp(type, "Boolean")) {
        if (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false"))
            return cJSON_CreateBool(!strcmp(v->valuestring, "true"));
    }
    return cJSON_Duplicate(v, 1);
}

/* The loop's state, created on its first tick (NULL after failing the step). */
static cJSON *loop_state(ssm_run_t *r)
{
    cJSON *st = cJSON_GetObjectItemCaseSensitive(r->step, "_Loop");
    if (st) return st;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(r->inputs, "Iterators");
    st = cJSON_CreateObject();
    if (it) {
        cJSON *items = cJSON_IsArray(it) ? cJSON_Duplicate(it, 1) : cJSON_CreateArray();
        if (cJSON_IsString(it)) cJSON_AddItemToArray(items, cJSON_CreateString(it->valuestring));
        cJSON_AddItemToObject(st, "items", items);
        if (cJSON_GetArraySize(items) > LOOP_MAX) {
            cJSON_Delete(st);
            ssm_act_fail(r, "Verification", "The Iterators of step %s list more than %d items.",
                         r->def->name, LOOP_MAX);
            return NULL;
        }
    }
    cJSON_AddNumberToObject(st, "i", 0);
    cJSON_AddNumberToObject(st, "k", 0);
    cJSON_AddObjectToObject(st, "outs");
    cJSON_AddItemToObject(r->step, "_Loop", st);
    return st;
}

/* A fresh state for inner step k of iteration i. */
static cJSON *inner_state(ssm_run_t *r, int64_t i, int64_t k)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "StepExecutionId",
                            arena_printf(r->arena, "%s-%lld-%lld",
                                         jx_str(r->step, "StepExecutionId"), (long long)i,
                                         (long long)k));
    cJSON_AddNumberToObject(s, "_Attempt", 1);
    cJSON_AddNumberToObject(s, "_Started", (double)r->now);
    return s;
}

/* After inner step k of iteration i ended (ok, or failed and continued): the next inner
 * step, the next iteration, or the loop is done. */
static ssm_tick_t loop_next(ssm_run_t *r, cJSON *st, int64_t i, int64_t k, const adoc_vars_t *lv)
{
    const adoc_step_t *d = r->def;
    jx_set(st, "s", cJSON_CreateNull());
    if ((size_t)++k < d->n_loop_steps) {
        jx_set(st, "k", cJSON_CreateNumber((double)k));
        r->wake_ms = r->now;
        return SSM_TICK_AGAIN;
    }
    i++;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(st, "items");
    int64_t max = jx_int(r->inputs, "MaxIterations", LOOP_MAX);
    bool more;
    if (items) {
        more = i < cJSON_GetArraySize(items) && i < max;
    } else {
        cJSON *cond = NULL;
        if (adoc_interpolate(cJSON_GetObjectItemCaseSensitive(d->inputs, "LoopCondition"), lv,
                             &cond, r->eb) != ADOC_OK)
            return ssm_act_fail(r, "Verification", "%s", r->eb->msg);
        more = ssm_choice_holds(cond) && i < max;
        cJSON_Delete(cond);
    }
    if (!more) return SSM_TICK_DONE;
    jx_set(st, "i", cJSON_CreateNumber((double)i));
    jx_set(st, "k", cJSON_CreateNumber(0));
    r->wake_ms = r->now;
    return SSM_TICK_AGAIN;
}

ssm_tick_t ssm_act_loop(ssm_run_t *r)
{
    cJSON *st = loop_state(r);
    if (!st) return SSM_TICK_FAILED;
    int64_t i = jx_int(st, "i", 0), k = jx_int(st, "k", 0);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(st, "items");
    if (items && !cJSON_GetArraySize(items)) return SSM_TICK_DONE; /* nothing to iterate */
    ssm_act_set(r, "CurrentIteration", cJSON_CreateNumber((double)(i + 1)));
    if (items)
        ssm_act_set(
            r, "CurrentIteratorValue",
            loop_value(cJSON_GetArrayItem(items, (int)i), jx_str(r->inputs, "IteratorDataType")));
    loop_vars_t lvu = {cJSON_GetObjectItemCaseSensitive(st, "outs"), r->vars};
    adoc_vars_t lv = {loop_lookup, &lvu};
    const adoc_step_t *d = &r->def->loop_steps[k];
    cJSON *s = cJSON_GetObjectItemCaseSensitive(st, "s");
    if (!cJSON_IsObject(s)) {
        s = inner_state(r, i, k);
        jx_set(st, "s", s);
    }
    cJSON *inputs = NULL;
    if (adoc_interpolate(d->inputs, &lv, &inputs, r->eb) != ADOC_OK ||
        adoc_step_inputs_check(d, inputs, r->eb) != ADOC_OK) {
        cJSON_Delete(inputs);
        return ssm_act_fail(r, "Verification", "Step %s (iteration %lld): %s", d->name,
                            (long long)i + 1, r->eb->msg);
    }
    ssm_run_t in = *r;
    in.step = s;
    in.def = d;
    in.inputs = inputs;
    in.wake_ms = 0;
    in.failure_type[0] = '\0';
    ssm_tick_t t = ssm_action_tick(&in);
    cJSON_Delete(inputs);
    switch (t) {
    case SSM_TICK_DONE: {
        cJSON *typed = cJSON_GetObjectItemCaseSensitive(s, "_Typed");
        jx_set(cJSON_GetObjectItemCaseSensitive(st, "outs"), d->name,
               typed ? cJSON_Duplicate(typed, 1) : cJSON_CreateObject());
        return loop_next(r, st, i, k, &lv);
    }
    case SSM_TICK_AGAIN:
        r->wake_ms = in.wake_ms;
        return SSM_TICK_AGAIN;
    case SSM_TICK_WAIT: /* approve and pause are refused inside loops */
        return ssm_act_fail(r, "Verification", "Step %s cannot wait inside a loop.", d->name);
    case SSM_TICK_FAILED:
    default:
        break;
    }
    int attempt = (int)jx_int(s, "_Attempt", 1);
    if (attempt < d->max_attempts) {
        jx_set(s, "_Attempt", cJSON_CreateNumber(attempt + 1));
        cJSON_DeleteItemFromObjectCaseSensitive(s, "_Phase");
        r->wake_ms = r->now + 1000;
        return SSM_TICK_AGAIN;
    }
    if (!strcmp(d->on_failure, "Continue")) return loop_next(r, st, i, k, &lv);
    snprintf(r->failure_type, sizeof(r->failure_type), "%s", in.failure_type);
    char msg[sizeof(r->eb->msg)];
    snprintf(msg, sizeof(msg), "%s", r->eb->msg);
    return ssm_act_fail(r, in.failure_type[0] ? in.failure_type : "Action",
                        "Step %s failed in iteration %lld: %s", d->name, (long long)i + 1, msg);
}
