/* check.c - the static checks of tpl_parse that need the whole template: every intrinsic
 * function's argument shape, every Ref, Fn::GetAtt, Fn::Sub variable, DependsOn,
 * Condition and Fn::FindInMap naming something the template declares, Conditions that
 * reference only parameters and other conditions, and an order of the conditions
 * (each after those it uses) with cycles reported. */
#include "tpl/tpl_int.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_MAX_CONDITIONS 1000

typedef struct ck {
    tpl_t *t;
    errbuf_t *eb;
    bool in_conditions;  /* walking the Conditions section */
    cJSON *unresolved;   /* names a Ref, Fn::Sub or DependsOn could not find */
    cJSON *res_in_cond;  /* resources (or unknown names) referenced from Conditions */
    cJSON *cond_missing; /* conditions referenced but not declared */
    cJSON *cond_deps;    /* conditions the condition being walked references */
} ck_t;

static const char *const supported_fns =
    "Ref, Condition, Fn::And, Fn::Base64, Fn::Equals, Fn::FindInMap, Fn::GetAZs, Fn::GetAtt, "
    "Fn::If, Fn::ImportValue, Fn::Join, Fn::Not, Fn::Or, Fn::Select, Fn::Split, Fn::Sub";

static bool is_resource(const tpl_t *t, const char *name)
{
    return tpl__get(t->resources, name) != NULL;
}

static bool is_condition(const tpl_t *t, const char *name)
{
    return tpl__get(t->conditions, name) != NULL;
}

/* A plain (non-Condition) name a Ref may use: parameter, pseudo parameter, resource. */
static void check_ref_name(ck_t *c, const char *name)
{
    bool value = tpl__param(c->t, name) || tpl__is_pseudo(name);
    if (c->in_conditions) {
        if (!value) tpl__add_name(c->res_in_cond, name);
    } else if (!value && !is_resource(c->t, name)) {
        tpl__add_name(c->unresolved, name);
    }
}

static void use_condition(ck_t *c, const char *name)
{
    if (!is_condition(c->t, name))
        tpl__add_name(c->cond_missing, name);
    else if (c->cond_deps)
        tpl__add_unique(c->cond_deps, name);
}

static err_t walk(ck_t *c, const cJSON *node, int depth);

static err_t walk_items(ck_t *c, const cJSON *arr, int depth)
{
    const cJSON *i;
    cJSON_ArrayForEach(i, arr)
    {
        err_t rc = walk(c, i, depth + 1);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

/* A string, or an intrinsic function standing for one. */
static bool str_or_fn(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v) || tpl__fn(v, NULL) != NULL;
}

static err_t check_sub(ck_t *c, const cJSON *arg, int depth)
{
    const cJSON *text = arg, *vars = NULL;
    if (cJSON_IsArray(arg)) {
        if (cJSON_GetArraySize(arg) != 2) return tpl__shape_error(c->eb, "Fn::Sub");
        text = cJSON_GetArrayItem(arg, 0);
        vars = cJSON_GetArrayItem(arg, 1);
        if (!cJSON_IsObject(vars) || tpl__fn(vars, NULL)) return tpl__shape_error(c->eb, "Fn::Sub");
    }
    if (!cJSON_IsString(text)) return tpl__shape_error(c->eb, "Fn::Sub");
    span_t rest = span_of(text->valuestring);
    tpl_sub_tok_t tok;
    while (tpl__sub_next(&rest, &tok)) {
        if (!tok.is_var) continue;
        if (!tpl__sub_var_ok(tok.text))
            return err_fail(c->eb, ERR_VALIDATION,
                            "Template error: variable names in Fn::Sub syntax must contain only "
                            "alphanumeric characters, underscores, periods, and colons");
        char *name = xstrndup(tok.text.p, tok.text.n);
        char *dot = strchr(name, '.');
        if (!tpl__get(vars, name) && dot) {
            /* ${Res.Attr} is Fn::GetAtt: Res must be a resource (and none in Conditions). */
            *dot = '\0';
            if (c->in_conditions)
                tpl__add_name(c->res_in_cond, name);
            else if (!is_resource(c->t, name))
                tpl__add_name(c->unresolved, name);
        } else if (!tpl__get(vars, name)) {
            check_ref_name(c, name);
        }
        free(name);
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        err_t rc = walk(c, v, depth + 1);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

static err_t check_getatt(ck_t *c, const cJSON *arg, int depth)
{
    const cJSON *res = cJSON_GetArrayItem(arg, 0), *attr = cJSON_GetArrayItem(arg, 1);
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2 || !cJSON_IsString(res) ||
        !res->valuestring[0] || !(cJSON_IsString(attr) || tpl__fn(attr, NULL)) ||
        (cJSON_IsString(attr) && !attr->valuestring[0]))
        return tpl__shape_error(c->eb, "Fn::GetAtt");
    if (!is_resource(c->t, res->valuestring))
        return err_fail(c->eb, ERR_VALIDATION,
                        "Template error: instance of Fn::GetAtt references undefined resource "
                        "%.255s",
                        res->valuestring);
    if (c->in_conditions) tpl__add_name(c->res_in_cond, res->valuestring);
    return tpl__fn(attr, NULL) ? walk(c, attr, depth + 1) : ERR_OK;
}

/* Checks one intrinsic function call (name fn, argument arg) and walks into it. */
static err_t check_fn(ck_t *c, const char *fn, const cJSON *arg, int depth)
{
    int n = cJSON_IsArray(arg) ? cJSON_GetArraySize(arg) : -1;
    const cJSON *a0 = n > 0 ? cJSON_GetArrayItem(arg, 0) : NULL;
    const cJSON *a1 = n > 1 ? cJSON_GetArrayItem(arg, 1) : NULL;
    if (strcmp(fn, "Ref") == 0) {
        if (!cJSON_IsString(arg) || !arg->valuestring[0]) return tpl__shape_error(c->eb, fn);
        check_ref_name(c, arg->valuestring);
        return ERR_OK;
    }
    if (strcmp(fn, "Condition") == 0) {
        use_condition(c, arg->valuestring);
        return ERR_OK;
    }
    if (strcmp(fn, "Fn::If") == 0) {
        if (n != 3 || !cJSON_IsString(a0)) return tpl__shape_error(c->eb, fn);
        if (!is_condition(c->t, a0->valuestring))
            return err_fail(c->eb, ERR_VALIDATION,
                            "Template error: unresolved condition dependency %.255s in Fn::If",
                            a0->valuestring);
        use_condition(c, a0->valuestring);
        err_t rc = walk(c, a1, depth + 1);
        return rc == ERR_OK ? walk(c, cJSON_GetArrayItem(arg, 2), depth + 1) : rc;
    }
    if (strcmp(fn, "Fn::GetAtt") == 0) return check_getatt(c, arg, depth);
    if (strcmp(fn, "Fn::Sub") == 0) return check_sub(c, arg, depth);
    bool ok = true;
    if (strcmp(fn, "Fn::Join") == 0)
        ok = n == 2 && cJSON_IsString(a0) && (cJSON_IsArray(a1) || tpl__fn(a1, NULL));
    else if (strcmp(fn, "Fn::Select") == 0)
        ok = n == 2 && str_or_fn(a0) && (cJSON_IsArray(a1) || tpl__fn(a1, NULL));
    else if (strcmp(fn, "Fn::Split") == 0)
        ok = n == 2 && cJSON_IsString(a0) && a0->valuestring[0] && str_or_fn(a1);
    else if (strcmp(fn, "Fn::FindInMap") == 0) {
        const cJSON *i;
        ok = n == 3;
        cJSON_ArrayForEach(i, (ok ? arg : NULL)) ok = ok && str_or_fn(i);
        if (ok && cJSON_IsString(a0) && !tpl__get(c->t->mappings, a0->valuestring))
            return err_fail(c->eb, ERR_VALIDATION,
                            "Template error: Mapping named '%.255s' is not present in the "
                            "'Mappings' section of template.",
                            a0->valuestring);
    } else if (strcmp(fn, "Fn::Equals") == 0)
        ok = n == 2;
    else if (strcmp(fn, "Fn::And") == 0 || strcmp(fn, "Fn::Or") == 0)
        ok = n >= 2 && n <= 10;
    else if (strcmp(fn, "Fn::Not") == 0)
        ok = n == 1;
    else if (strcmp(fn, "Fn::Base64") == 0)
        ok = str_or_fn(arg);
    else if (strcmp(fn, "Fn::GetAZs") == 0)
        ok = cJSON_IsString(arg) || tpl__fn(arg, NULL);
    else if (strcmp(fn, "Fn::ImportValue") == 0)
        ok = str_or_fn(arg);
    else
        return err_fail(c->eb, ERR_VALIDATION,
                        "Template format error: Unsupported function %.100s. Supported functions "
                        "are: [%s]",
                        fn, supported_fns);
    if (!ok) return tpl__shape_error(c->eb, fn);
    return cJSON_IsArray(arg) ? walk_items(c, arg, depth) : walk(c, arg, depth + 1);
}

static err_t walk(ck_t *c, const cJSON *node, int depth)
{
    if (depth > TPL_MAX_DEPTH)
        return err_fail(c->eb, ERR_VALIDATION, "Template format error: nesting too deep");
    const cJSON *arg = NULL;
    const char *fn = tpl__fn(node, &arg);
    if (fn) return check_fn(c, fn, arg, depth);
    if (cJSON_IsArray(node) || cJSON_IsObject(node)) return walk_items(c, node, depth);
    return ERR_OK;
}

/* Reports what the walk of one block collected. */
static err_t block_errors(ck_t *c, const char *block)
{
    char after[96];
    snprintf(after, sizeof(after), " in the %s block of the template", block);
    if (cJSON_GetArraySize(c->cond_missing) > 0)
        return tpl__names_error(c->eb, c->cond_missing,
                                "Template format error: Unresolved condition dependencies ", after);
    if (cJSON_GetArraySize(c->res_in_cond) > 0)
        return tpl__names_error(
            c->eb, c->res_in_cond, "Template format error: Unresolved dependencies ",
            ". Cannot reference resources in the Conditions block of the template");
    if (cJSON_GetArraySize(c->unresolved) > 0)
        return tpl__names_error(c->eb, c->unresolved,
                                "Template format error: Unresolved resource dependencies ", after);
    return ERR_OK;
}

/* The index of the condition named name, or -1. */
static int cond_index(const tpl_t *t, const char *name)
{
    int i = 0;
    const cJSON *cond;
    cJSON_ArrayForEach(cond, t->conditions)
    {
        if (strcmp(cond->string, name) == 0) return i;
        i++;
    }
    return -1;
}

/* Orders the conditions so that each comes after those it references (deps holds one
 * array of names per condition); what cannot be placed is part of or behind a cycle. */
static err_t order_conditions(ck_t *c, cJSON *deps)
{
    tpl_t *t = c->t;
    size_t n = (size_t)cJSON_GetArraySize(t->conditions), done = 0;
    bool *placed = xcalloc(n ? n : 1, sizeof(bool));
    int **need = xcalloc(n ? n : 1, sizeof(int *)); /* -1 terminated dependency indices */
    const cJSON *cond, *d;
    size_t i = 0;
    cJSON_ArrayForEach(cond, t->conditions)
    {
        const cJSON *names = cJSON_GetArrayItem(deps, (int)i);
        size_t k = 0;
        need[i] = xcalloc((size_t)cJSON_GetArraySize(names) + 1, sizeof(int));
        cJSON_ArrayForEach(d, names) need[i][k++] = cond_index(t, d->valuestring);
        need[i][k] = -1;
        i++;
    }
    t->cond_order = xcalloc(n ? n : 1, sizeof(char *));
    for (bool progress = true; done < n && progress;) {
        progress = false;
        i = 0;
        cJSON_ArrayForEach(cond, t->conditions)
        {
            bool ready = !placed[i];
            for (int *k = need[i]; ready && *k >= 0; k++) ready = placed[*k];
            if (ready) {
                placed[i] = true;
                t->cond_order[done++] = cond->string;
                progress = true;
            }
            i++;
        }
    }
    t->n_cond = done;
    err_t rc = ERR_OK;
    if (done < n) {
        cJSON *cycle = cJSON_CreateArray();
        i = 0;
        cJSON_ArrayForEach(cond, t->conditions) if (!placed[i++])
            cJSON_AddItemToArray(cycle, cJSON_CreateString(cond->string));
        rc = tpl__names_error(
            c->eb, cycle, "Template format error: Circular dependency between conditions: ", "");
        cJSON_Delete(cycle);
    }
    for (i = 0; i < n; i++) free(need[i]);
    free(need);
    free(placed);
    return rc;
}

static err_t check_conditions(ck_t *c)
{
    const cJSON *cond;
    int n = cJSON_GetArraySize(c->t->conditions);
    if (n > TPL_MAX_CONDITIONS)
        return err_fail(c->eb, ERR_VALIDATION,
                        "Template format error: Number of conditions, %d, is greater than maximum "
                        "allowed, %d",
                        n, TPL_MAX_CONDITIONS);
    cJSON *deps = cJSON_CreateArray();
    err_t rc = ERR_OK;
    c->in_conditions = true;
    cJSON_ArrayForEach(cond, c->t->conditions)
    {
        const char *fn = tpl__fn(cond, NULL);
        if (!tpl__alnum(cond->string))
            rc = err_fail(c->eb, ERR_VALIDATION,
                          "Template format error: Condition name %.*s is non alphanumeric.",
                          TPL_MAX_NAME, cond->string);
        else if (!fn || !(strcmp(fn, "Fn::Equals") == 0 || strcmp(fn, "Fn::And") == 0 ||
                          strcmp(fn, "Fn::Or") == 0 || strcmp(fn, "Fn::Not") == 0 ||
                          strcmp(fn, "Condition") == 0))
            rc = err_fail(c->eb, ERR_VALIDATION,
                          "Template format error: Conditions can only be boolean operations on "
                          "parameters and other conditions");
        if (rc != ERR_OK) break;
        c->cond_deps = cJSON_CreateArray();
        cJSON_AddItemToArray(deps, c->cond_deps);
        rc = walk(c, cond, 0);
        if (rc != ERR_OK) break;
    }
    c->cond_deps = NULL;
    c->in_conditions = false;
    if (rc == ERR_OK) rc = block_errors(c, "Conditions");
    if (rc == ERR_OK) rc = order_conditions(c, deps);
    cJSON_Delete(deps);
    return rc;
}

static err_t check_resources(ck_t *c)
{
    const cJSON *r, *d;
    cJSON_ArrayForEach(r, c->t->resources)
    {
        const cJSON *cond = tpl__get(r, "Condition"), *dep = tpl__get(r, "DependsOn");
        if (cond) use_condition(c, cond->valuestring);
        if (cJSON_IsString(dep) && !is_resource(c->t, dep->valuestring))
            tpl__add_name(c->unresolved, dep->valuestring);
        cJSON_ArrayForEach(
            d, (cJSON_IsArray(dep) ? dep : NULL)) if (!is_resource(c->t, d->valuestring))
            tpl__add_name(c->unresolved, d->valuestring);
        const cJSON *props = tpl__get(r, "Properties");
        err_t rc = props ? walk(c, props, 2) : ERR_OK;
        if (rc != ERR_OK) return rc;
    }
    return block_errors(c, "Resources");
}

static err_t check_outputs(ck_t *c)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, c->t->outputs)
    {
        const cJSON *cond = tpl__get(o, "Condition"), *exp = tpl__get(o, "Export");
        if (cond) use_condition(c, cond->valuestring);
        err_t rc = walk(c, tpl__get(o, "Value"), 2);
        if (rc == ERR_OK && exp) rc = walk(c, tpl__get(exp, "Name"), 3);
        if (rc != ERR_OK) return rc;
    }
    return block_errors(c, "Outputs");
}

/* Parameters and resources share one namespace (Ref finds either). */
static err_t check_unique_names(ck_t *c)
{
    cJSON *common = cJSON_CreateArray();
    for (size_t i = 0; i < c->t->n_params; i++)
        if (is_resource(c->t, c->t->params[i].pub.name))
            tpl__add_name(common, c->t->params[i].pub.name);
    err_t rc = ERR_OK;
    if (cJSON_GetArraySize(common) > 0)
        rc =
            tpl__names_error(c->eb, common,
                             "Template error: all resources and parameters must have unique names. "
                             "Common name(s): ",
                             "");
    cJSON_Delete(common);
    return rc;
}

static void reset(ck_t *c)
{
    cJSON_Delete(c->unresolved);
    cJSON_Delete(c->res_in_cond);
    cJSON_Delete(c->cond_missing);
    c->unresolved = cJSON_CreateArray();
    c->res_in_cond = cJSON_CreateArray();
    c->cond_missing = cJSON_CreateArray();
}

err_t tpl__check(tpl_t *t, errbuf_t *eb)
{
    ck_t c = {.t = t, .eb = eb};
    reset(&c);
    err_t rc = check_unique_names(&c);
    if (rc == ERR_OK) rc = check_conditions(&c);
    if (rc == ERR_OK) reset(&c), rc = check_resources(&c);
    if (rc == ERR_OK) reset(&c), rc = check_outputs(&c);
    cJSON_Delete(c.unresolved);
    cJSON_Delete(c.res_in_cond);
    cJSON_Delete(c.cond_missing);
    return rc;
}
