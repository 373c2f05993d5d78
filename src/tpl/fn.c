/* fn.c - the value-building intrinsic functions: Fn::Join, Fn::Select, Fn::Split,
 * Fn::FindInMap, Fn::Sub (both forms), Fn::Base64 and Fn::GetAZs. Each checks its
 * argument's shape itself (tpl_eval accepts any node), evaluates what it needs through
 * tpl__ev and charges what it builds to the evaluation's budget. */
#include "tpl/tpl_int.h"

#include "core/enc.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* Evaluates node, which must give a list (a literal array or a function returning one). */
static err_t ev_list(tpl_ev_t *e, const cJSON *node, int depth, const char *fn, cJSON **out)
{
    cJSON *v = NULL;
    err_t rc = tpl__ev(e, node, depth, &v);
    if (rc != ERR_OK) return rc;
    if (v == TPL_NOVALUE || !cJSON_IsArray(v)) {
        tpl__ev_free(v);
        return tpl__shape_error(e->eb, fn);
    }
    *out = v;
    return ERR_OK;
}

/* Hands b's text out as a new JSON string, charged to the budget. */
static err_t take_string(tpl_ev_t *e, buf_t *b, cJSON **out)
{
    err_t rc = tpl__charge(e, 1, b->len);
    if (rc == ERR_OK) *out = cJSON_CreateString(buf_str(b));
    buf_free(b);
    return rc;
}

static err_t too_long(tpl_ev_t *e, buf_t *b)
{
    buf_free(b);
    return tpl__charge(e, 0, TPL_EVAL_MAX_BYTES + 1);
}

err_t tpl__fn_join(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    const cJSON *delim = cJSON_GetArrayItem(arg, 0);
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2 || !cJSON_IsString(delim))
        return tpl__shape_error(e->eb, "Fn::Join");
    cJSON *list = NULL;
    err_t rc = ev_list(e, cJSON_GetArrayItem(arg, 1), depth + 1, "Fn::Join", &list);
    if (rc != ERR_OK) return rc;
    buf_t b;
    buf_init(&b, TPL_EVAL_MAX_BYTES);
    tpl_join_t j = tpl__join(&b, list, delim->valuestring);
    if (j == TPL_JOIN_NOT_SCALAR) rc = tpl__shape_error(e->eb, "Fn::Join");
    if (j == TPL_JOIN_FULL) rc = too_long(e, &b);
    cJSON_Delete(list);
    if (rc != ERR_OK) {
        buf_free(&b);
        return rc;
    }
    return take_string(e, &b, out);
}

/* A list index: a non-negative integer given as a number or a string of digits. */
static bool index_of(const char *s, int *out)
{
    long v = 0;
    if (!s[0] || strlen(s) > 9) return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
    }
    *out = (int)v;
    return true;
}

err_t tpl__fn_select(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2)
        return tpl__shape_error(e->eb, "Fn::Select");
    char *idx_s = NULL;
    cJSON *list = NULL;
    int idx = 0;
    err_t rc = tpl__ev_str(e, cJSON_GetArrayItem(arg, 0), depth + 1, "Fn::Select", &idx_s);
    if (rc == ERR_OK && !index_of(idx_s, &idx)) rc = tpl__shape_error(e->eb, "Fn::Select");
    if (rc == ERR_OK) rc = ev_list(e, cJSON_GetArrayItem(arg, 1), depth + 1, "Fn::Select", &list);
    if (rc == ERR_OK && idx >= cJSON_GetArraySize(list))
        rc =
            err_fail(e->eb, ERR_VALIDATION,
                     "Template error: Fn::Select cannot select nonexistent value at index %d", idx);
    if (rc == ERR_OK) *out = cJSON_DetachItemFromArray(list, idx);
    cJSON_Delete(list);
    free(idx_s);
    return rc;
}

err_t tpl__fn_split(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    const cJSON *delim = cJSON_GetArrayItem(arg, 0);
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 2 || !cJSON_IsString(delim) ||
        !delim->valuestring[0])
        return tpl__shape_error(e->eb, "Fn::Split");
    char *src = NULL;
    err_t rc = tpl__ev_str(e, cJSON_GetArrayItem(arg, 1), depth + 1, "Fn::Split", &src);
    if (rc != ERR_OK) return rc;
    size_t dl = strlen(delim->valuestring);
    cJSON *arr = cJSON_CreateArray();
    const char *p = src;
    for (;;) {
        const char *hit = strstr(p, delim->valuestring);
        size_t n = hit ? (size_t)(hit - p) : strlen(p);
        rc = tpl__charge(e, 1, n);
        if (rc != ERR_OK) break;
        char *piece = xstrndup(p, n);
        cJSON_AddItemToArray(arr, cJSON_CreateString(piece));
        free(piece);
        if (!hit) break;
        p = hit + dl;
    }
    free(src);
    if (rc != ERR_OK) {
        cJSON_Delete(arr);
        return rc;
    }
    *out = arr;
    return ERR_OK;
}

err_t tpl__fn_findinmap(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    if (!cJSON_IsArray(arg) || cJSON_GetArraySize(arg) != 3)
        return tpl__shape_error(e->eb, "Fn::FindInMap");
    char *k[3] = {NULL, NULL, NULL};
    err_t rc = ERR_OK;
    for (int i = 0; i < 3 && rc == ERR_OK; i++)
        rc = tpl__ev_str(e, cJSON_GetArrayItem(arg, i), depth + 1, "Fn::FindInMap", &k[i]);
    const cJSON *map = rc == ERR_OK ? tpl__get(e->t->mappings, k[0]) : NULL;
    if (rc == ERR_OK && !map)
        rc = err_fail(e->eb, ERR_VALIDATION,
                      "Template error: Mapping named '%.255s' is not present in the 'Mappings' "
                      "section of template.",
                      k[0]);
    const cJSON *v = rc == ERR_OK ? tpl__get(tpl__get(map, k[1]), k[2]) : NULL;
    if (rc == ERR_OK && !v)
        rc = err_fail(e->eb, ERR_VALIDATION,
                      "Template error: Unable to get mapping for %.255s::%.255s::%.255s", k[0],
                      k[1], k[2]);
    if (rc == ERR_OK) rc = tpl__charge_tree(e, v, 0);
    if (rc == ERR_OK) *out = cJSON_Duplicate(v, true);
    for (int i = 0; i < 3; i++) free(k[i]);
    return rc;
}

/* The text a Fn::Sub variable stands for: an entry of the variable map, ${Res.Attr}
 * (Fn::GetAtt), or a parameter, pseudo parameter or resource (Ref). */
static err_t sub_var(tpl_ev_t *e, const cJSON *vars, span_t var, int depth, buf_t *b)
{
    if (!tpl__sub_var_ok(var))
        return err_fail(e->eb, ERR_VALIDATION,
                        "Template error: variable names in Fn::Sub syntax must contain only "
                        "alphanumeric characters, underscores, periods, and colons");
    char *name = xstrndup(var.p, var.n);
    const cJSON *given = tpl__get(vars, name);
    char *dot = strchr(name, '.');
    cJSON *v = NULL;
    err_t rc;
    if (given) {
        rc = tpl__ev(e, given, depth + 1, &v);
    } else if (dot) {
        *dot = '\0';
        rc = tpl__getatt(e, name, dot + 1, &v);
        *dot = '.';
    } else {
        rc = tpl__ref(e, name, &v);
    }
    char *s = rc == ERR_OK && v != TPL_NOVALUE ? tpl__str(v) : NULL;
    if (rc == ERR_OK && !s)
        rc = err_fail(e->eb, ERR_VALIDATION,
                      "Template error: variable %.255s in Fn::Sub does not resolve to a string",
                      name);
    if (rc == ERR_OK && !buf_adds(b, s)) rc = tpl__charge(e, 0, TPL_EVAL_MAX_BYTES + 1);
    free(s);
    free(name);
    tpl__ev_free(v);
    return rc;
}

err_t tpl__fn_sub(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    const cJSON *text = arg, *vars = NULL;
    if (cJSON_IsArray(arg)) {
        text = cJSON_GetArrayItem(arg, 0);
        vars = cJSON_GetArrayItem(arg, 1);
        if (cJSON_GetArraySize(arg) != 2 || !cJSON_IsObject(vars) || tpl__fn(vars, NULL))
            return tpl__shape_error(e->eb, "Fn::Sub");
    }
    if (!cJSON_IsString(text)) return tpl__shape_error(e->eb, "Fn::Sub");
    buf_t b;
    buf_init(&b, TPL_EVAL_MAX_BYTES);
    span_t rest = span_of(text->valuestring);
    tpl_sub_tok_t tok;
    err_t rc = ERR_OK;
    while (rc == ERR_OK && tpl__sub_next(&rest, &tok)) {
        if (tok.is_var)
            rc = sub_var(e, vars, tok.text, depth, &b);
        else if (!buf_addspan(&b, tok.text))
            rc = tpl__charge(e, 0, TPL_EVAL_MAX_BYTES + 1);
    }
    if (rc != ERR_OK) {
        buf_free(&b);
        return rc;
    }
    return take_string(e, &b, out);
}

err_t tpl__fn_base64(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    char *s = NULL;
    err_t rc = tpl__ev_str(e, arg, depth + 1, "Fn::Base64", &s);
    if (rc != ERR_OK) return rc;
    buf_t b;
    buf_init(&b, TPL_EVAL_MAX_BYTES);
    bool ok = enc_base64(&b, s, strlen(s));
    free(s);
    if (!ok) return too_long(e, &b);
    return take_string(e, &b, out);
}

err_t tpl__fn_getazs(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out)
{
    char *region = NULL;
    err_t rc = tpl__ev_str(e, arg, depth + 1, "Fn::GetAZs", &region);
    if (rc != ERR_OK) return rc;
    const char *r = region[0] ? region : e->ctx->region;
    cJSON *list = NULL;
    if (!r) {
        rc = err_fail(e->eb, ERR_VALIDATION,
                      "Template error: pseudo parameter AWS::Region has no value in this "
                      "evaluation");
    } else if (e->ctx->azs) {
        list = e->ctx->azs(e->ctx->ud, region[0] ? region : NULL);
        if (!cJSON_IsArray(list))
            rc = err_fail(e->eb, ERR_VALIDATION,
                          "Template error: Fn::GetAZs could not list the availability zones of "
                          "%.64s",
                          r);
    } else {
        list = cJSON_CreateArray();
        for (char z = 'a'; z <= 'c'; z++) {
            buf_t b;
            buf_init(&b, 128);
            (void)buf_printf(&b, "%.64s%c", r, z);
            cJSON_AddItemToArray(list, cJSON_CreateString(buf_str(&b)));
            buf_free(&b);
        }
    }
    if (rc == ERR_OK) rc = tpl__charge(e, 1 + (size_t)cJSON_GetArraySize(list), 0);
    free(region);
    if (rc != ERR_OK) {
        cJSON_Delete(list);
        return rc;
    }
    *out = list;
    return ERR_OK;
}
