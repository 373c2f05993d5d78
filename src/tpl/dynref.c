/* dynref.c - dynamic references in template values: {{resolve:ssm:NAME}},
 * {{resolve:ssm:NAME:VERSION}} and {{resolve:ssm-secure:NAME[:VERSION]}}. Pure: the
 * caller looks the values up (tpl_dynref_fn); this file finds the references, says where
 * each one stands, and builds the value with them replaced. */
#include "tpl/tpl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_DYNREF_OPEN "{{resolve:"

/* Parses the reference at s (which starts with "{{resolve:"): *secure, the NAME[:VERSION]
 * into ref (cap bytes), *len the reference's length. False for a service other than ssm
 * and ssm-secure, or a reference without its closing braces. */
static bool dynref_parse(const char *s, bool *secure, char *ref, size_t cap, size_t *len)
{
    const char *p = s + strlen(TPL_DYNREF_OPEN);
    if (!strncmp(p, "ssm:", 4)) {
        *secure = false;
        p += 4;
    } else if (!strncmp(p, "ssm-secure:", 11)) {
        *secure = true;
        p += 11;
    } else {
        return false;
    }
    const char *end = strstr(p, "}}");
    if (!end || end == p || (size_t)(end - p) >= cap) return false;
    memcpy(ref, p, (size_t)(end - p));
    ref[end - p] = '\0';
    *len = (size_t)(end + 2 - s);
    return true;
}

/* One string: every reference handed to fn; the string with them replaced in *out (new,
 * or NULL when out is NULL). */
static err_t dynref_string(const char *s, const char *path, tpl_dynref_fn fn, void *ud, char **out,
                           errbuf_t *eb)
{
    buf_t b;
    buf_init(&b, strlen(s) + 16);
    err_t rc = ERR_OK;
    const char *p = s;
    while (!rc) {
        const char *at = strstr(p, TPL_DYNREF_OPEN);
        bool secure = false;
        char ref[1200];
        size_t len = 0;
        if (!at) break;
        if (!dynref_parse(at, &secure, ref, sizeof(ref), &len)) {
            buf_add(&b, p, (size_t)(at - p) + 2); /* not ours: kept as written */
            p = at + 2;
            continue;
        }
        buf_add(&b, p, (size_t)(at - p));
        char *value = NULL;
        rc = fn(ud, secure, ref, path, out ? &value : NULL, eb);
        if (!rc && value) buf_adds(&b, value);
        free(value);
        p = at + len;
    }
    buf_adds(&b, p);
    if (!rc && out) *out = strdup(buf_str(&b));
    buf_free(&b);
    return rc;
}

static err_t dynref_walk(const cJSON *node, char *path, size_t cap, tpl_dynref_fn fn, void *ud,
                         cJSON **out, errbuf_t *eb, int depth)
{
    if (depth > TPL_MAX_DEPTH)
        return err_fail(eb, ERR_VALIDATION, "Template format error: nesting too deep");
    if (cJSON_IsString(node)) {
        char *v = NULL;
        err_t rc = strstr(node->valuestring, TPL_DYNREF_OPEN)
                       ? dynref_string(node->valuestring, path, fn, ud, out ? &v : NULL, eb)
                       : ERR_OK;
        if (!rc && out) *out = cJSON_CreateString(v ? v : node->valuestring);
        free(v);
        return rc;
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
        if (out) *out = cJSON_Duplicate(node, 1);
        return ERR_OK;
    }
    size_t base = strlen(path);
    cJSON *copy = out ? (cJSON_IsObject(node) ? cJSON_CreateObject() : cJSON_CreateArray()) : NULL;
    err_t rc = ERR_OK;
    int i = 0;
    for (const cJSON *c = node->child; !rc && c; c = c->next, i++) {
        if (cJSON_IsObject(node))
            snprintf(path + base, cap - base, "/%s", c->string);
        else
            snprintf(path + base, cap - base, "/%d", i);
        cJSON *v = NULL;
        rc = dynref_walk(c, path, cap, fn, ud, copy ? &v : NULL, eb, depth + 1);
        if (!rc && copy && cJSON_IsObject(node)) cJSON_AddItemToObject(copy, c->string, v);
        if (!rc && copy && cJSON_IsArray(node)) cJSON_AddItemToArray(copy, v);
        path[base] = '\0';
    }
    if (rc) cJSON_Delete(copy);
    if (!rc && out) *out = copy;
    return rc;
}

err_t tpl_dynrefs(const cJSON *node, const char *where, tpl_dynref_fn fn, void *ud, cJSON **out,
                  errbuf_t *eb)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s", where ? where : "");
    if (out) *out = NULL;
    return dynref_walk(node, path, sizeof(path), fn, ud, out, eb, 0);
}

bool tpl_param_from_ssm(const tpl_param_t *p)
{
    return p->type && !strncmp(p->type, "AWS::SSM::Parameter::Value<", 27);
}
