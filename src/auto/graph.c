/* graph.c - checks over the whole document once every step is read: that an end can be
 * reached from every step (the flow of nextStep, branches, onFailure/onCancel steps and
 * falling through), and that every {{ }} names something the execution will know. */
#include "auto/adoc_int.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Successor lists: edges[i] holds the steps execution may go to after step i; END (n)
 * stands for the end of the automation. */
typedef struct graph {
    size_t n;
    int **succ;
    size_t *n_succ;
} graph_t;

static void add_edge(graph_t *g, size_t from, int to)
{
    size_t k = g->n_succ[from]++;
    g->succ[from] = xrealloc(g->succ[from], (k + 1) * sizeof(int));
    g->succ[from][k] = to;
}

/* Where execution goes when step i is done and names no other step. */
static int fall_through(const adoc_t *d, size_t i)
{
    return d->steps[i].is_end || i + 1 >= d->n_steps ? (int)d->n_steps : (int)i + 1;
}

/* Fills g with every way execution can leave each step: its success flow (isEnd,
 * nextStep, branch choices and default, or the next step), onFailure Continue or step:X,
 * and onCancel step:X. Abort is no edge: it stops, it does not reach an end. */
static void build(const adoc_t *d, graph_t *g)
{
    const int end = (int)d->n_steps;
    for (size_t i = 0; i < d->n_steps; i++) {
        const adoc_step_t *s = &d->steps[i];
        int plain = s->is_end      ? end
                    : s->next_step ? adoc_step_index(d, s->next_step)
                                   : fall_through(d, i);
        if (strcmp(s->action, "aws:branch") == 0 && !s->is_end) {
            const cJSON *ch = cJSON_GetObjectItemCaseSensitive(s->inputs, "Choices");
            for (const cJSON *c = ch->child; c; c = c->next) {
                const cJSON *ns = cJSON_GetObjectItemCaseSensitive(c, "NextStep");
                add_edge(g, i, adoc_step_index(d, ns->valuestring));
            }
            const cJSON *def = cJSON_GetObjectItemCaseSensitive(s->inputs, "Default");
            add_edge(g, i, def ? adoc_step_index(d, def->valuestring) : fall_through(d, i));
        } else {
            add_edge(g, i, plain);
        }
        if (strcmp(s->on_failure, "Continue") == 0) add_edge(g, i, plain);
        if (strncmp(s->on_failure, "step:", 5) == 0)
            add_edge(g, i, adoc_step_index(d, s->on_failure + 5));
        if (strncmp(s->on_cancel, "step:", 5) == 0)
            add_edge(g, i, adoc_step_index(d, s->on_cancel + 5));
    }
}

adoc_error_t adoc__check_graph(const adoc_t *d, errbuf_t *eb)
{
    size_t n = d->n_steps;
    graph_t g = {n, xcalloc(n, sizeof(int *)), xcalloc(n, sizeof(size_t))};
    build(d, &g);
    /* Fixed point of "reaches END": a step does when one of its successors does. Each
     * round marks at least one more step or stops, so at most n rounds of O(edges). */
    bool *ok = xcalloc(n + 1, sizeof(bool));
    ok[n] = true;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (ok[i]) continue;
            for (size_t k = 0; k < g.n_succ[i] && !ok[i]; k++)
                if (g.succ[i][k] >= 0 && ok[g.succ[i][k]]) ok[i] = changed = true;
        }
    }
    adoc_error_t rc = ADOC_OK;
    char names[400];
    size_t len = 0, stuck = 0;
    names[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (ok[i]) continue;
        if (stuck++ < 8 && len < sizeof(names))
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", stuck > 1 ? ", " : "",
                                    d->steps[i].name);
    }
    if (stuck)
        rc = adoc__fail(eb, ADOC_E_CONTENT,
                        "The automation can never end from step%s %s%s: the flow of nextStep, "
                        "branch choices and onFailure/onCancel steps loops without reaching a "
                        "step with isEnd or the end of mainSteps.",
                        stuck > 1 ? "s" : "", names, stuck > 8 ? ", ..." : "");
    for (size_t i = 0; i < n; i++) free(g.succ[i]);
    free(g.succ);
    free(g.n_succ);
    free(ok);
    return rc;
}

/* Whether step s produces an output called name: one it declares, or one its action
 * always reports. */
static bool has_output(const adoc_step_t *s, span_t name)
{
    static const struct {
        const char *action, *output;
    } builtin[] = {
        {"aws:changeInstanceState", "InstanceStates"},
        {"aws:createImage", "ImageId"},
        {"aws:createImage", "ImageState"},
        {"aws:approve", "ApprovalStatus"},
        {"aws:approve", "ApproverDecisions"},
        {"aws:executeScript", "Payload"},
        {"aws:executeScript", "OutputPayload"},
        {"aws:executeScript", "ExecutionLog"},
        {"aws:createStack", "StackId"},
        {"aws:createStack", "StackStatus"},
        {"aws:createStack", "StackStatusReason"},
        {"aws:runInstances", "InstanceIds"},
        {"aws:runCommand", "CommandId"},
        {"aws:runCommand", "Status"},
        {"aws:runCommand", "ResponseCode"},
        {"aws:runCommand", "Output"},
        {"aws:loop", "CurrentIteration"},
        {"aws:loop", "CurrentIteratorValue"},
    };
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
        if (strcmp(s->action, builtin[i].action) == 0 && span_eq_str(name, builtin[i].output))
            return true;
    for (const cJSON *o = s->outputs ? s->outputs->child : NULL; o; o = o->next) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "Name");
        if (n && span_eq_str(name, n->valuestring)) return true;
    }
    return false;
}

static int param_index(const adoc_t *d, span_t name)
{
    for (size_t i = 0; i < d->n_params; i++)
        if (span_eq_str(name, d->params[i].name)) return (int)i;
    return -1;
}

/* A "stepName.outputName" reference: ADOC_OK when the step declares the output. */
static adoc_error_t check_step_output(const adoc_t *d, span_t ref, const char *where, errbuf_t *eb)
{
    span_t step;
    span_t out = span_split(ref, '.', &step);
    char sname[ADOC_MAX_REF + 1];
    memcpy(sname, step.p, step.n);
    sname[step.n] = '\0';
    const adoc_step_t *s = adoc_find_step(d, sname);
    if (!s)
        return adoc__fail(eb, ADOC_E_CONTENT, "%s refers to %.*s, but no step is named %s.", where,
                          (int)ref.n, ref.p, sname);
    if (!has_output(s, out))
        return adoc__fail(eb, ADOC_E_CONTENT, "%s refers to %.*s, but step %s has no output %.*s.",
                          where, (int)ref.n, ref.p, sname, (int)out.n, out.p);
    return ADOC_OK;
}

/* One {{ name }}: a parameter, a step output, or a supported system variable. Unknown
 * plain names get SSM's own message, "Parameter "X" is not declared." */
static adoc_error_t check_ref(const adoc_t *d, span_t name, const char *where, errbuf_t *eb)
{
    static const char *const globals[] = {
        "global:ACCOUNT_ID",    "global:REGION",           "global:DATE", "global:DATE_TIME",
        "global:AWS_PARTITION", "automation:EXECUTION_ID", NULL};
    if (param_index(d, name) >= 0) return ADOC_OK;
    /* a Parameter Store parameter: an Automation step reads it when it runs; Run Command
     * (schema 2.x) does not resolve them */
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(d->root, "schemaVersion");
    bool automation = cJSON_IsString(schema) && !strcmp(schema->valuestring, "0.3");
    if (span_starts_with(name, SPAN_LIT("ssm:")) && name.n > 4 && automation) return ADOC_OK;
    if (span_starts_with(name, SPAN_LIT("ssm:")))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "%s uses the Parameter Store reference {{ %.*s }}, which catalogd "
                          "resolves in Automation runbooks only.",
                          where, (int)name.n, name.p);
    if (span_index(name, ':') >= 0) {
        for (const char *const *g = globals; *g; g++)
            if (span_eq_str(name, *g)) return ADOC_OK;
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "%s uses the unsupported variable {{ %.*s }}. Supported: "
                          "global:ACCOUNT_ID, global:REGION, global:DATE, global:DATE_TIME, "
                          "global:AWS_PARTITION, automation:EXECUTION_ID.",
                          where, (int)name.n, name.p);
    }
    if (span_index(name, '.') >= 0) return check_step_output(d, name, where, eb);
    return adoc__fail(eb, ADOC_E_CONTENT, "Parameter \"%.*s\" is not declared.", (int)name.n,
                      name.p);
}

/* Every {{ }} in the strings of n (keys are not interpolated). */
static adoc_error_t check_refs_in(const adoc_t *d, const cJSON *n, const char *where, int depth,
                                  errbuf_t *eb)
{
    if (depth > ADOC_MAX_DEPTH) return ADOC_OK; /* parse refused deeper documents already */
    if (cJSON_IsString(n)) {
        span_t s = span_of(n->valuestring);
        adoc_ref_t r;
        for (size_t at = 0; adoc__next_ref(s, at, &r); at = r.end) {
            adoc_error_t rc = check_ref(d, r.name, where, eb);
            if (rc != ADOC_OK) return rc;
        }
        return ADOC_OK;
    }
    for (const cJSON *c = n->child; c; c = c->next) {
        adoc_error_t rc = check_refs_in(d, c, where, depth + 1, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

adoc_error_t adoc__check_refs(const adoc_t *d, errbuf_t *eb)
{
    char where[200];
    adoc_error_t rc = ADOC_OK;
    if (d->assume_role) {
        const cJSON *ar = cJSON_GetObjectItemCaseSensitive(d->root, "assumeRole");
        rc = check_refs_in(d, ar, "assumeRole", 0, eb);
    }
    for (size_t i = 0; rc == ADOC_OK && i < d->n_steps; i++) {
        snprintf(where, sizeof(where), "Step %s", d->steps[i].name);
        rc = check_refs_in(d, d->steps[i].inputs, where, 0, eb);
    }
    for (const cJSON *o = d->outputs ? d->outputs->child : NULL; rc == ADOC_OK && o; o = o->next) {
        span_t ref = span_of(o->valuestring);
        long dot = span_index(ref, '.');
        if (dot <= 0 || (size_t)dot + 1 >= ref.n || ref.n > ADOC_MAX_REF)
            rc = adoc__fail(eb, ADOC_E_CONTENT,
                            "The document output \"%.100s\" must have the form "
                            "stepName.outputName.",
                            o->valuestring);
        else
            rc = check_step_output(d, ref, "The document outputs", eb);
    }
    return rc;
}
