/* eval.c - the evaluator of intrinsic functions: the walk that copies a node while
 * replacing every function call by its value (dropping members and items that evaluate
 * to AWS::NoValue), Ref and pseudo parameters, Fn::GetAtt, Fn::If, the condition
 * functions, the conditions themselves (memoised), and the budget every evaluation is
 * bounded by. The remaining functions live in fn.c. */
#include "tpl/tpl_int.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

cJSON tpl__novalue;

void tpl__ev_init(tpl_ev_t *e, const tpl_t *t, const tpl_ctx_t *ctx, errbuf_t *eb)
{
    static const tpl_ctx_t empty;
    memset(e, 0, sizeof(*e));
    e->t = t;
    e->ctx = ctx ? ctx : &empty;
    e->eb = eb;
    e->block = "Resources";
}

void tpl__ev_done(tpl_ev_t *e)
{
    cJSON_Delete(e->memo);
    e->memo = NULL;
}

void tpl__ev_free(cJSON *v)
{
    if (v && v != TPL_NOVALUE) cJSON_Delete(v);
}

err_t tpl__charge(tpl_ev_t *e, size_t nodes, size_t bytes)
{
    e->nodes += nodes;
    e->bytes += bytes;
    if (e->nodes > TPL_EVAL_MAX_NODES || e->bytes > TPL_EVAL_MAX_BYTES)
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: evaluation exceeds its limits (%d values, %u bytes)",
                        TPL_EVAL_MAX_NODES, TPL_EVAL_MAX_BYTES);
    return ERR_OK;
}

/* ---- Ref */

static err_t pseudo_str(tpl_ev_t *e, const char *name, const char *v, const char *dflt, cJSON **out)
{
    if (!v) v = dflt;
    if (!v)
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: pseudo parameter %s has no value in this evaluation",
                        name);
    *out = cJSON_CreateString(v);
    return tpl__charge(e, 1, strlen(v));
}

static err_t pseudo(tpl_ev_t *e, const char *name, cJSON **out)
{
    const tpl_ctx_t *x = e->ctx;
    if (strcmp(name, "AWS::NoValue") == 0) {
        *out = TPL_NOVALUE;
        return ERR_OK;
    }
    if (strcmp(name, "AWS::NotificationARNs") == 0) {
        *out = cJSON_CreateArray();
        return tpl__charge(e, 1, 0);
    }
    if (strcmp(name, "AWS::StackName") == 0) return pseudo_str(e, name, x->stack_name, NULL, out);
    if (strcmp(name, "AWS::StackId") == 0) return pseudo_str(e, name, x->stack_id, NULL, out);
    if (strcmp(name, "AWS::Region") == 0) return pseudo_str(e, name, x->region, NULL, out);
    if (strcmp(name, "AWS::AccountId") == 0) return pseudo_str(e, name, x->account_id, NULL, out);
    if (strcmp(name, "AWS::Partition") == 0) return pseudo_str(e, name, x->partition, "aws", out);
    return pseudo_str(e, name, x->url_suffix, "amazonaws.com", out); /* AWS::URLSuffix */
}

/* A parameter's value: lists become arrays of space-trimmed members. */
static err_t param_value(tpl_ev_t *e, const tpl_pdecl_t *d, cJSON **out)
{
    const cJSON *v = tpl__get(e->ctx->params, d->pub.name);
    const char *s = cJSON_IsString(v) ? v->valuestring : d->default_owned;
    if (!s)
        return err_fail(e->eb, ERR_VALIDATION, "Parameters: [%s] must have values", d->pub.name);
    if (d->kind == TPL_PK_STRING || d->kind == TPL_PK_NUMBER) {
        *out = cJSON_CreateString(s);
        return tpl__charge(e, 1, strlen(s));
    }
    cJSON *arr = cJSON_CreateArray();
    span_t rest = span_of(s), item;
    err_t rc = ERR_OK;
    do {
        rest = span_split(rest, ',', &item);
        item = span_trim(item);
        char *m = xstrndup(item.p ? item.p : "", item.n);
        cJSON_AddItemToArray(arr, cJSON_CreateString(m));
        free(m);
        rc = tpl__charge(e, 1, item.n);
    } while (rc == ERR_OK && rest.p);
    if (rc != ERR_OK) {
        cJSON_Delete(arr);
        return rc;
    }
    *out = arr;
    return ERR_OK;
}

static err_t not_created(tpl_ev_t *e, const char *name)
{
    return err_fail(e->eb, ERR_VALIDATION, "Template error: resource %.255s has not been created",
                    name);
}

err_t tpl__ref(tpl_ev_t *e, const char *name, cJSON **out)
{
    const tpl_pdecl_t *d = tpl__param(e->t, name);
    if (d) return param_value(e, d, out);
    if (tpl__is_pseudo(name)) return pseudo(e, name, out);
    if (tpl_resource(e->t, name)) {
        const char *id = e->ctx->ref ? e->ctx->ref(e->ctx->ud, name) : NULL;
        if (!id) return not_created(e, name);
        *out = cJSON_CreateString(id);
        return tpl__charge(e, 1, strlen(id));
    }
    return err_fail(e->eb, ERR_VALIDATION,
                    "Template format error: Unresolved resource dependencies [%.255s] in the %s "
                    "block of the template",
                    name, e->block);
}

/* ---- Fn::GetAtt */

err_t tpl__charge_tree(tpl_ev_t *e, const cJSON *v, int depth)
{
    if (depth > TPL_MAX_DEPTH * 2)
        return err_fail(e->eb, ERR_VALIDATION, "Template error: value nested too deep");
    err_t rc = tpl__charge(e, 1, cJSON_IsString(v) ? strlen(v->valuestring) : 0);
    const cJSON *c;
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        cJSON_ArrayForEach(c, v) if (rc == ERR_OK) rc = tpl__charge_tree(e, c, depth + 1);
    return rc;
}

err_t tpl__getatt(tpl_ev_t *e, const char *res, const char *attr, cJSON **out)
{
    if (!tpl_resource(e->t, res))
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: instance of Fn::GetAtt references undefined resource "
                        "%.255s",
                        res);
    cJSON *v = e->ctx->getatt ? e->ctx->getatt(e->ctx->ud, res, attr) : NULL;
    if (!v) {
        if (!e->ctx->ref || !e->ctx->ref(e->ctx->ud, res)) return not_created(e, res);
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: resource %.255s does not support attribute type %.255s in "
                        "Fn::GetAtt",
                        res, attr);
    }
    err_t rc = tpl__charge_tree(e, v, 0);
    if (rc != ERR_OK) {
        cJSON_Delete(v);
        return rc;
    }
    *out = v;
    return ERR_OK;
}

static err_t fn_getatt(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    const cJSON *res = cJSON_GetArrayItem(arg, 0), *attr = cJSON_GetArrayItem(arg, 1);
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2 || !cJSON_IsString(res) ||
        !res->valuestring[0] || !attr)
        return tpl__shape_error(e->eb, "Fn::GetAtt");
    char *name = NULL;
    err_t rc = tpl__ev_str(e, attr, depth + 1, "Fn::GetAtt", &name);
    if (rc == ERR_OK && !name[0]) rc = tpl__shape_error(e->eb, "Fn::GetAtt");
    if (rc == ERR_OK) rc = tpl__getatt(e, res->valuestring, name, out);
    free(name);
    return rc;
}

/* ---- conditions */

static bool bool_of(const cJSON *v, bool *out)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return true;
    }
    if (cJSON_IsString(v) &&
        (strcasecmp(v->valuestring, "true") == 0 || strcasecmp(v->valuestring, "false") == 0)) {
        *out = strcasecmp(v->valuestring, "true") == 0;
        return true;
    }
    return false;
}

/* Evaluates every condition of the template, in dependency order, into e->memo. */
static err_t fill_memo(tpl_ev_t *e)
{
    e->memo = cJSON_CreateObject();
    e->memo_busy = true;
    err_t rc = ERR_OK;
    for (size_t i = 0; i < e->t->n_cond && rc == ERR_OK; i++) {
        const char *name = e->t->cond_order[i];
        cJSON *v = NULL;
        bool b = false;
        rc = tpl__ev(e, tpl__get(e->t->conditions, name), 0, &v);
        if (rc == ERR_OK && !bool_of(v, &b))
            rc = err_fail(e->eb, ERR_VALIDATION,
                          "Template error: condition %s does not evaluate to a boolean", name);
        tpl__ev_free(v);
        if (rc == ERR_OK) cJSON_AddItemToObject(e->memo, name, cJSON_CreateBool(b));
    }
    e->memo_busy = false;
    return rc;
}

err_t tpl__cond(tpl_ev_t *e, const char *name, bool *out)
{
    if (bool_of(tpl__get(e->ctx->conditions, name), out)) return ERR_OK;
    if (!tpl__get(e->t->conditions, name))
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: unresolved condition dependency %.255s", name);
    if (!e->memo && !e->memo_busy) {
        err_t rc = fill_memo(e);
        if (rc != ERR_OK) return rc;
    }
    if (bool_of(tpl__get(e->memo, name), out)) return ERR_OK;
    return err_fail(e->eb, ERR_VALIDATION,
                    "Template error: condition %.255s could not be evaluated", name);
}

static err_t ev_bool(tpl_ev_t *e, const cJSON *node, int depth, const char *fn, bool *out)
{
    cJSON *v = NULL;
    err_t rc = tpl__ev(e, node, depth, &v);
    if (rc == ERR_OK && !bool_of(v, out)) rc = tpl__shape_error(e->eb, fn);
    tpl__ev_free(v);
    return rc;
}

/* Fn::And, Fn::Or (2 to 10 conditions) and Fn::Not (one). */
static err_t fn_logic(tpl_ev_t *e, const char *fn, const cJSON *arg, int depth, cJSON **out)
{
    int n = cJSON_IsArray(arg) ? cJSON_GetArraySize(arg) : -1;
    bool is_not = strcmp(fn, "Fn::Not") == 0, is_and = strcmp(fn, "Fn::And") == 0;
    if (is_not ? n != 1 : (n < 2 || n > 10)) return tpl__shape_error(e->eb, fn);
    bool acc = is_and, b = false;
    const cJSON *i;
    cJSON_ArrayForEach(i, arg)
    {
        err_t rc = ev_bool(e, i, depth + 1, fn, &b);
        if (rc != ERR_OK) return rc;
        acc = is_and ? (acc && b) : (acc || b);
    }
    *out = cJSON_CreateBool(is_not ? !b : acc);
    return tpl__charge(e, 1, 0);
}

/* Fn::Equals compares CloudFormation's string forms (so 80 equals "80"). */
static err_t fn_equals(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2)
        return tpl__shape_error(e->eb, "Fn::Equals");
    cJSON *a = NULL, *b = NULL;
    err_t rc = tpl__ev(e, cJSON_GetArrayItem(arg, 0), depth + 1, &a);
    if (rc == ERR_OK) rc = tpl__ev(e, cJSON_GetArrayItem(arg, 1), depth + 1, &b);
    if (rc == ERR_OK && (a == TPL_NOVALUE || b == TPL_NOVALUE))
        rc = tpl__shape_error(e->eb, "Fn::Equals");
    if (rc == ERR_OK) {
        char *sa = tpl__str(a), *sb = tpl__str(b);
        bool eq = sa && sb ? strcmp(sa, sb) == 0 : (!sa && !sb && cJSON_Compare(a, b, true));
        free(sa);
        free(sb);
        *out = cJSON_CreateBool(eq);
        rc = tpl__charge(e, 1, 0);
    }
    tpl__ev_free(a);
    tpl__ev_free(b);
    return rc;
}

static err_t fn_if(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    const cJSON *name = cJSON_GetArrayItem(arg, 0);
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 3 || !cJSON_IsString(name))
        return tpl__shape_error(e->eb, "Fn::If");
    bool b = false;
    if (!tpl__get(e->ctx->conditions, name->valuestring) &&
        !tpl__get(e->t->conditions, name->valuestring))
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: unresolved condition dependency %.255s in Fn::If",
                        name->valuestring);
    err_t rc = tpl__cond(e, name->valuestring, &b);
    if (rc != ERR_OK) return rc;
    return tpl__ev(e, cJSON_GetArrayItem(arg, b ? 1 : 2), depth + 1, out);
}

/* Fn::ImportValue: the value of the export its argument (a string, or a function giving
 * one) names, from ctx->import; "No export named X found." when there is none. */
static err_t fn_import(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    cJSON *name = NULL;
    err_t rc = tpl__ev(e, arg, depth + 1, &name);
    if (rc != ERR_OK) return rc;
    if (!cJSON_IsString(name)) {
        if (name != TPL_NOVALUE) cJSON_Delete(name);
        return tpl__shape_error(e->eb, "Fn::ImportValue");
    }
    const char *v = e->ctx->import ? e->ctx->import(e->ctx->ud, name->valuestring) : NULL;
    if (!v)
        rc = err_fail(e->eb, ERR_VALIDATION, "No export named %.255s found.", name->valuestring);
    else
        *out = cJSON_CreateString(v);
    cJSON_Delete(name);
    return rc;
}

/* ---- the walk */

static err_t ev_fn(tpl_ev_t *e, const char *fn, const cJSON *arg, int depth, cJSON **out)
{
    if (strcmp(fn, "Ref") == 0) {
        if (!cJSON_IsString(arg) || !arg->valuestring[0]) return tpl__shape_error(e->eb, fn);
        return tpl__ref(e, arg->valuestring, out);
    }
    if (strcmp(fn, "Condition") == 0) {
        bool b = false;
        err_t rc = tpl__cond(e, arg->valuestring, &b);
        if (rc == ERR_OK) *out = cJSON_CreateBool(b);
        return rc;
    }
    if (strcmp(fn, "Fn::GetAtt") == 0) return fn_getatt(e, arg, depth, out);
    if (strcmp(fn, "Fn::If") == 0) return fn_if(e, arg, depth, out);
    if (strcmp(fn, "Fn::Equals") == 0) return fn_equals(e, arg, depth, out);
    if (strcmp(fn, "Fn::And") == 0 || strcmp(fn, "Fn::Or") == 0 || strcmp(fn, "Fn::Not") == 0)
        return fn_logic(e, fn, arg, depth, out);
    if (strcmp(fn, "Fn::Join") == 0) return tpl__fn_join(e, arg, depth, out);
    if (strcmp(fn, "Fn::Select") == 0) return tpl__fn_select(e, arg, depth, out);
    if (strcmp(fn, "Fn::Split") == 0) return tpl__fn_split(e, arg, depth, out);
    if (strcmp(fn, "Fn::FindInMap") == 0) return tpl__fn_findinmap(e, arg, depth, out);
    if (strcmp(fn, "Fn::Sub") == 0) return tpl__fn_sub(e, arg, depth, out);
    if (strcmp(fn, "Fn::Base64") == 0) return tpl__fn_base64(e, arg, depth, out);
    if (strcmp(fn, "Fn::GetAZs") == 0) return tpl__fn_getazs(e, arg, depth, out);
    if (strcmp(fn, "Fn::ImportValue") == 0) return fn_import(e, arg, depth, out);
    return err_fail(e->eb, ERR_VALIDATION, "Template format error: Unsupported function %.100s",
                    fn);
}

/* Copies an object or array, evaluating members and dropping those that are NoValue. */
static err_t ev_container(tpl_ev_t *e, const cJSON *node, int depth, cJSON **out)
{
    bool obj = cJSON_IsObject(node);
    cJSON *copy = obj ? cJSON_CreateObject() : cJSON_CreateArray();
    const cJSON *c;
    err_t rc = tpl__charge(e, 1, 0);
    cJSON_ArrayForEach(c, node)
    {
        cJSON *v = NULL;
        if (rc == ERR_OK) rc = tpl__ev(e, c, depth + 1, &v);
        if (rc != ERR_OK) break;
        if (v == TPL_NOVALUE) continue;
        if (obj) {
            rc = tpl__charge(e, 0, strlen(c->string));
            cJSON_AddItemToObject(copy, c->string, v);
        } else {
            cJSON_AddItemToArray(copy, v);
        }
    }
    if (rc != ERR_OK) {
        cJSON_Delete(copy);
        return rc;
    }
    *out = copy;
    return ERR_OK;
}

err_t tpl__ev(tpl_ev_t *e, const cJSON *node, int depth, cJSON **out)
{
    if (!node) return err_fail(e->eb, ERR_VALIDATION, "Template error: missing value");
    if (depth > TPL_MAX_DEPTH * 2)
        return err_fail(e->eb, ERR_VALIDATION, "Template format error: nesting too deep");
    const cJSON *arg = NULL;
    const char *fn = tpl__fn(node, &arg);
    if (fn) return ev_fn(e, fn, arg, depth, out);
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) return ev_container(e, node, depth, out);
    err_t rc = tpl__charge(e, 1, cJSON_IsString(node) ? strlen(node->valuestring) : 0);
    if (rc == ERR_OK) *out = cJSON_Duplicate(node, false);
    return rc;
}

err_t tpl__ev_str(tpl_ev_t *e, const cJSON *node, int depth, const char *what, char **out)
{
    cJSON *v = NULL;
    err_t rc = tpl__ev(e, node, depth, &v);
    char *s = rc == ERR_OK && v != TPL_NOVALUE ? tpl__str(v) : NULL;
    tpl__ev_free(v);
    if (rc != ERR_OK) return rc;
    if (!s) return tpl__shape_error(e->eb, what);
    *out = s;
    return ERR_OK;
}

err_t tpl_eval(const tpl_t *t, const tpl_ctx_t *ctx, const cJSON *node, cJSON **out, errbuf_t *eb)
{
    tpl_ev_t e;
    cJSON *v = NULL;
    tpl__ev_init(&e, t, ctx, eb);
    err_t rc = tpl__ev(&e, node, 0, &v);
    tpl__ev_done(&e);
    if (rc != ERR_OK) return rc;
    *out = v == TPL_NOVALUE ? cJSON_CreateNull() : v;
    return ERR_OK;
}

err_t tpl_conditions(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb)
{
    tpl_ctx_t x = ctx ? *ctx : (tpl_ctx_t){0};
    x.conditions = NULL;
    tpl_ev_t e;
    tpl__ev_init(&e, t, &x, eb);
    err_t rc = fill_memo(&e);
    if (rc == ERR_OK) {
        *out = e.memo;
        e.memo = NULL;
    }
    tpl__ev_done(&e);
    return rc;
}

/* Collects into names (unique) the export names of the Fn::ImportValue nodes under node. */
static err_t collect_imports(const tpl_t *t, const tpl_ctx_t *ctx, const cJSON *node, int depth,
                             cJSON *names, errbuf_t *eb)
{
    if (depth > TPL_MAX_DEPTH) return ERR_OK; /* parse bounded the nesting already */
    const cJSON *arg = NULL;
    const char *fn = tpl__fn(node, &arg);
    if (fn && !strcmp(fn, "Fn::ImportValue")) {
        tpl_ctx_t x = *ctx;
        x.import = NULL;
        cJSON *name = NULL;
        err_t rc = tpl_eval(t, &x, arg, &name, eb);
        if (rc) return rc;
        bool seen = !cJSON_IsString(name);
        for (const cJSON *n = names->child; n && !seen; n = n->next)
            seen = !strcmp(n->valuestring, name->valuestring);
        if (!seen) cJSON_AddItemToArray(names, cJSON_CreateString(name->valuestring));
        cJSON_Delete(name);
        return ERR_OK;
    }
    err_t rc = ERR_OK;
    for (const cJSON *c = cJSON_IsObject(node) || cJSON_IsArray(node) ? node->child : NULL;
         c && !rc; c = c->next)
        rc = collect_imports(t, ctx, c, depth + 1, names, eb);
    return rc;
}

/* The Condition a resource or output names, or NULL. */
static const char *item_cond(const cJSON *item)
{
    const cJSON *c = tpl__get(item, "Condition");
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

err_t tpl_imports(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb)
{
    *out = cJSON_CreateArray();
    const cJSON *r;
    err_t rc = ERR_OK;
    cJSON_ArrayForEach(r, t->resources)
    {
        const char *cond = item_cond(r);
        if (cond && ctx->conditions && !cJSON_IsTrue(tpl__get(ctx->conditions, cond))) continue;
        rc = collect_imports(t, ctx, tpl__get(r, "Properties"), 0, *out, eb);
        if (rc) return rc;
    }
    cJSON_ArrayForEach(r, t->outputs)
    {
        const char *cond = item_cond(r);
        if (cond && ctx->conditions && !cJSON_IsTrue(tpl__get(ctx->conditions, cond))) continue;
        rc = collect_imports(t, ctx, tpl__get(r, "Value"), 0, *out, eb);
        if (rc) return rc;
    }
    return rc;
}
