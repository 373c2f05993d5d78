/* order.c - what a stack engine asks of a template once its parameters are bound: the
 * resources to create and their order (DependsOn plus the implicit dependencies of Ref,
 * Fn::GetAtt and Fn::Sub, following only the Fn::If branches the conditions select),
 * the dependencies of one resource for deletion, and the evaluated Outputs. */
#include "tpl/tpl_int.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* Adds to deps the resources node references through Ref, Fn::GetAtt and Fn::Sub. With
 * e, Fn::If follows only the branch its condition selects; without (e == NULL), both. */
static err_t refs(const tpl_t *t, tpl_ev_t *e, const cJSON *node, int depth, cJSON *deps,
                  errbuf_t *eb)
{
    if (depth > TPL_MAX_DEPTH * 2)
        return err_fail(eb, ERR_VALIDATION, "Template format error: nesting too deep");
    const cJSON *arg = NULL, *c;
    const char *fn = tpl__fn(node, &arg);
    if (fn && strcmp(fn, "Ref") == 0) {
        if (cJSON_IsString(arg) && tpl_resource(t, arg->valuestring))
            tpl__add_unique(deps, arg->valuestring);
        return ERR_OK;
    }
    if (fn && strcmp(fn, "Fn::GetAtt") == 0) {
        const cJSON *res = cJSON_GetArrayItem(arg, 0);
        if (cJSON_IsString(res) && tpl_resource(t, res->valuestring))
            tpl__add_unique(deps, res->valuestring);
    }
    if (fn && strcmp(fn, "Fn::Sub") == 0) {
        const cJSON *text = cJSON_IsArray(arg) ? cJSON_GetArrayItem(arg, 0) : arg;
        const cJSON *vars = cJSON_IsArray(arg) ? cJSON_GetArrayItem(arg, 1) : NULL;
        span_t rest = span_of(cJSON_IsString(text) ? text->valuestring : "");
        tpl_sub_tok_t tok;
        while (tpl__sub_next(&rest, &tok)) {
            if (!tok.is_var) continue;
            char *name = xstrndup(tok.text.p, tok.text.n);
            if (!tpl__get(vars, name)) {
                char *dot = strchr(name, '.');
                if (dot) *dot = '\0';
                if (tpl_resource(t, name)) tpl__add_unique(deps, name);
            }
            free(name);
        }
    }
    if (fn && e && strcmp(fn, "Fn::If") == 0 && cJSON_GetArraySize(arg) == 3 &&
        cJSON_IsString(cJSON_GetArrayItem(arg, 0))) {
        bool b = false;
        err_t rc = tpl__cond(e, cJSON_GetArrayItem(arg, 0)->valuestring, &b);
        if (rc != ERR_OK) return rc;
        return refs(t, e, cJSON_GetArrayItem(arg, b ? 1 : 2), depth + 1, deps, eb);
    }
    if (cJSON_IsArray(node) || cJSON_IsObject(node)) {
        cJSON_ArrayForEach(c, node)
        {
            err_t rc = refs(t, e, c, depth + 1, deps, eb);
            if (rc != ERR_OK) return rc;
        }
    }
    return ERR_OK;
}

/* The logical ids resource r depends on: DependsOn, then references in Properties. */
static err_t resource_deps(const tpl_t *t, tpl_ev_t *e, const cJSON *r, cJSON *deps, errbuf_t *eb)
{
    const cJSON *dep = tpl__get(r, "DependsOn"), *d;
    if (cJSON_IsString(dep) && tpl_resource(t, dep->valuestring))
        tpl__add_unique(deps, dep->valuestring);
    cJSON_ArrayForEach(d, (cJSON_IsArray(dep) ? dep : NULL)) if (cJSON_IsString(d) &&
                                                                 tpl_resource(t, d->valuestring))
        tpl__add_unique(deps, d->valuestring);
    const cJSON *props = tpl__get(r, "Properties");
    return props ? refs(t, e, props, 0, deps, eb) : ERR_OK;
}

/* Whether the resource or output's Condition holds (true when it has none). */
static err_t holds(tpl_ev_t *e, const cJSON *item, bool *out)
{
    const cJSON *cond = tpl__get(item, "Condition");
    *out = true;
    return cJSON_IsString(cond) ? tpl__cond(e, cond->valuestring, out) : ERR_OK;
}

static int index_of(const cJSON *const *res, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(res[i]->string, name) == 0) return (int)i;
    return -1;
}

/* The order state of tpl_order: resources by template position. */
typedef struct ord {
    size_t n;
    const cJSON **res;
    bool *active, *done;
    int **need; /* per resource: indices it depends on, -1 terminated */
    int **rev;  /* per resource: indices depending on it, -1 terminated */
} ord_t;

static void ord_free(ord_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        if (o->need) free(o->need[i]);
        if (o->rev) free(o->rev[i]);
    }
    free(o->need);
    free(o->rev);
    free(o->res);
    free(o->active);
    free(o->done);
}

/* Fills need[] for the active resources; dependencies on inactive ones are collected in
 * unresolved. */
static err_t ord_deps(const tpl_t *t, tpl_ev_t *e, ord_t *o, cJSON *unresolved, errbuf_t *eb)
{
    size_t *nrev = xcalloc(o->n, sizeof(size_t));
    err_t rc = ERR_OK;
    for (size_t i = 0; i < o->n && rc == ERR_OK; i++) {
        cJSON *deps = cJSON_CreateArray();
        const cJSON *d;
        size_t k = 0;
        if (o->active[i]) rc = resource_deps(t, e, o->res[i], deps, eb);
        o->need[i] = xcalloc((size_t)cJSON_GetArraySize(deps) + 1, sizeof(int));
        cJSON_ArrayForEach(d, deps)
        {
            int j = index_of(o->res, o->n, d->valuestring);
            if (j < 0) continue;
            if (!o->active[j]) tpl__add_name(unresolved, d->valuestring);
            o->need[i][k++] = j;
            nrev[j]++;
        }
        o->need[i][k] = -1;
        cJSON_Delete(deps);
    }
    for (size_t j = 0; j < o->n; j++) {
        o->rev[j] = xcalloc(nrev[j] + 1, sizeof(int));
        o->rev[j][0] = -1;
        nrev[j] = 0;
    }
    for (size_t i = 0; i < o->n && rc == ERR_OK; i++)
        for (int *k = o->need[i]; *k >= 0; k++) {
            o->rev[*k][nrev[*k]++] = (int)i;
            o->rev[*k][nrev[*k]] = -1;
        }
    free(nrev);
    return rc;
}

/* Outputs (whose condition holds) may not reference resources that will not exist. */
static err_t check_outputs(const tpl_t *t, tpl_ev_t *e, const ord_t *o, errbuf_t *eb)
{
    cJSON *deps = cJSON_CreateArray(), *unresolved = cJSON_CreateArray();
    const cJSON *out, *d;
    err_t rc = ERR_OK;
    cJSON_ArrayForEach(out, t->outputs)
    {
        bool on = true;
        if (rc == ERR_OK) rc = holds(e, out, &on);
        if (rc == ERR_OK && on) rc = refs(t, e, tpl__get(out, "Value"), 0, deps, eb);
        if (rc == ERR_OK && on)
            rc = refs(t, e, tpl__get(tpl__get(out, "Export"), "Name"), 0, deps, eb);
    }
    cJSON_ArrayForEach(d, deps)
    {
        int j = index_of(o->res, o->n, d->valuestring);
        if (j >= 0 && !o->active[j]) tpl__add_name(unresolved, d->valuestring);
    }
    if (rc == ERR_OK && cJSON_GetArraySize(unresolved) > 0)
        rc = tpl__names_error(eb, unresolved,
                              "Template format error: Unresolved resource dependencies ",
                              " in the Outputs block of the template");
    cJSON_Delete(deps);
    cJSON_Delete(unresolved);
    return rc;
}

/* Kahn's algorithm, always taking the earliest ready resource in template order. What
 * remains forms cycles; resources that merely wait behind a cycle (nothing left depends
 * on them) are pruned so that the message names the cycle's members. */
static err_t ord_sort(ord_t *o, cJSON *order, errbuf_t *eb)
{
    size_t left = 0, placed;
    for (size_t i = 0; i < o->n; i++) left += o->active[i];
    do {
        placed = 0;
        for (size_t i = 0; i < o->n; i++) {
            if (!o->active[i] || o->done[i]) continue;
            bool ready = true;
            for (int *k = o->need[i]; ready && *k >= 0; k++) ready = o->done[*k];
            if (!ready) continue;
            o->done[i] = true;
            cJSON_AddItemToArray(order, cJSON_CreateString(o->res[i]->string));
            placed++, left--;
            break; /* restart from the top: earliest ready first */
        }
    } while (placed && left);
    if (left == 0) return ERR_OK;
    bool pruned;
    do {
        pruned = false;
        for (size_t i = 0; i < o->n; i++) {
            if (!o->active[i] || o->done[i]) continue;
            bool needed = false;
            for (int *k = o->rev[i]; !needed && *k >= 0; k++)
                needed = o->active[*k] && !o->done[*k];
            if (!needed) o->done[i] = pruned = true;
        }
    } while (pruned);
    cJSON *cycle = cJSON_CreateArray();
    for (size_t i = 0; i < o->n; i++)
        if (o->active[i] && !o->done[i]) tpl__add_name(cycle, o->res[i]->string);
    tpl__names_error(eb, cycle, "Circular dependency between resources: ", "");
    cJSON_Delete(cycle);
    return ERR_VALIDATION;
}

err_t tpl_order(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb)
{
    tpl_ev_t e;
    ord_t o = {.n = (size_t)cJSON_GetArraySize(t->resources)};
    cJSON *unresolved = cJSON_CreateArray(), *order = cJSON_CreateArray();
    const cJSON *r;
    err_t rc = ERR_OK;
    tpl__ev_init(&e, t, ctx, eb);
    o.res = xcalloc(o.n + 1, sizeof(*o.res));
    o.active = xcalloc(o.n + 1, sizeof(bool));
    o.done = xcalloc(o.n + 1, sizeof(bool));
    o.need = xcalloc(o.n + 1, sizeof(int *));
    o.rev = xcalloc(o.n + 1, sizeof(int *));
    size_t i = 0;
    cJSON_ArrayForEach(r, t->resources)
    {
        o.res[i] = r;
        if (rc == ERR_OK) rc = holds(&e, r, &o.active[i]);
        i++;
    }
    if (rc == ERR_OK) rc = ord_deps(t, &e, &o, unresolved, eb);
    if (rc == ERR_OK && cJSON_GetArraySize(unresolved) > 0)
        rc = tpl__names_error(eb, unresolved,
                              "Template format error: Unresolved resource dependencies ",
                              " in the Resources block of the template");
    if (rc == ERR_OK) rc = check_outputs(t, &e, &o, eb);
    if (rc == ERR_OK) rc = ord_sort(&o, order, eb);
    if (rc == ERR_OK) {
        *out = order;
        order = NULL;
    }
    cJSON_Delete(order);
    cJSON_Delete(unresolved);
    ord_free(&o);
    tpl__ev_done(&e);
    return rc;
}

err_t tpl_dependencies(const tpl_t *t, const char *logical_id, cJSON **out, errbuf_t *eb)
{
    const cJSON *r = tpl_resource(t, logical_id);
    if (!r)
        return err_fail(eb, ERR_VALIDATION, "Resource %.255s does not exist in the template",
                        logical_id ? logical_id : "");
    cJSON *deps = cJSON_CreateArray(), *self;
    err_t rc = resource_deps(t, NULL, r, deps, eb);
    if (rc != ERR_OK) {
        cJSON_Delete(deps);
        return rc;
    }
    /* A resource naming itself is a cycle tpl_order reports; deletion need not wait on it. */
    for (int i = 0; (self = cJSON_GetArrayItem(deps, i)); i++)
        if (strcmp(self->valuestring, logical_id) == 0) {
            cJSON_DeleteItemFromArray(deps, i);
            break;
        }
    *out = deps;
    return ERR_OK;
}

/* An output value as a string: lists are joined with ",". */
static err_t output_string(tpl_ev_t *e, const char *key, const cJSON *v, char **out)
{
    char *s = v != TPL_NOVALUE ? tpl__str(v) : NULL;
    if (!s && cJSON_IsArray(v)) {
        buf_t b;
        buf_init(&b, TPL_EVAL_MAX_BYTES);
        s = tpl__join(&b, v, ",") == TPL_JOIN_OK ? buf_take(&b, NULL) : NULL;
        buf_free(&b);
    }
    if (!s)
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template format error: The Value of output %s must evaluate to a String "
                        "or a List of Strings",
                        key);
    *out = s;
    return ERR_OK;
}

static err_t one_output(tpl_ev_t *e, const cJSON *o, cJSON *list)
{
    cJSON *v = NULL;
    char *value = NULL, *export_name = NULL;
    const cJSON *desc = tpl__get(o, "Description"), *exp = tpl__get(o, "Export");
    err_t rc = tpl__ev(e, tpl__get(o, "Value"), 0, &v);
    if (rc == ERR_OK) rc = output_string(e, o->string, v, &value);
    if (rc == ERR_OK && exp) rc = tpl__ev_str(e, tpl__get(exp, "Name"), 0, "Fn::Sub", &export_name);
    if (rc == ERR_OK) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "OutputKey", o->string);
        cJSON_AddStringToObject(item, "OutputValue", value);
        if (cJSON_IsString(desc)) cJSON_AddStringToObject(item, "Description", desc->valuestring);
        if (export_name) cJSON_AddStringToObject(item, "ExportName", export_name);
        cJSON_AddItemToArray(list, item);
    }
    tpl__ev_free(v);
    free(value);
    free(export_name);
    return rc;
}

err_t tpl_outputs(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb)
{
    tpl_ev_t e;
    cJSON *list = cJSON_CreateArray();
    const cJSON *o;
    err_t rc = ERR_OK;
    tpl__ev_init(&e, t, ctx, eb);
    e.block = "Outputs";
    cJSON_ArrayForEach(o, t->outputs)
    {
        bool on = true;
        if (rc == ERR_OK) rc = holds(&e, o, &on);
        if (rc == ERR_OK && on) rc = one_output(&e, o, list);
    }
    tpl__ev_done(&e);
    if (rc != ERR_OK) {
        cJSON_Delete(list);
        return rc;
    }
    *out = list;
    return ERR_OK;
}
