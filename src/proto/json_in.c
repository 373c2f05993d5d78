/* json_in.c - awsJson1_1 request decoding: parse, then conform the tree to the input
 * shape (drop unknown members and nulls, check JSON types, normalise timestamps). */
#include "proto/proto.h"

#include "core/enc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct conform {
    const model_service_t *svc;
    errbuf_t *eb;
    buf_t path;
} conform_t;

static const char *json_kind(const cJSON *n)
{
    if (cJSON_IsString(n)) return "a string";
    if (cJSON_IsNumber(n)) return "a number";
    if (cJSON_IsBool(n)) return "a boolean";
    if (cJSON_IsArray(n)) return "a list";
    if (cJSON_IsObject(n)) return "an object";
    return "null";
}

static err_t conform_fail(conform_t *c, const char *want, const cJSON *n)
{
    return err_fail(c->eb, ERR_SERIALIZATION, "Expected %s at '%s' but found %s", want,
                    c->path.len ? buf_str(&c->path) : "(request)", json_kind(n));
}

static err_t conform(conform_t *c, uint16_t shape_idx, cJSON *n, int depth);

/* Conforms the children of object n to structure s, deleting unknown and null members. */
static err_t conform_struct(conform_t *c, const model_shape_t *s, cJSON *n, int depth)
{
    size_t base = c->path.len;
    cJSON *child = n->child;
    while (child) {
        cJSON *next = child->next;
        const model_member_t *m = child->string ? model_member(c->svc, s, child->string) : NULL;
        if (!m || cJSON_IsNull(child)) {
            cJSON_Delete(cJSON_DetachItemViaPointer(n, child));
        } else {
            if (base) buf_addc(&c->path, '.');
            proto_path_member(&c->path, m->name);
            err_t rc = conform(c, m->shape, child, depth + 1);
            if (rc) return rc;
            c->path.len = base;
            if (c->path.p) c->path.p[base] = '\0';
        }
        child = next;
    }
    return ERR_OK;
}

static err_t conform(conform_t *c, uint16_t shape_idx, cJSON *n, int depth)
{
    const model_shape_t *s = model_shape(c->svc, shape_idx);
    if (depth > JSON_MAX_DEPTH)
        return err_fail(c->eb, ERR_SERIALIZATION, "The request nests deeper than %d levels",
                        JSON_MAX_DEPTH);
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
        if (!cJSON_IsObject(n)) return conform_fail(c, "an object", n);
        return conform_struct(c, s, n, depth);
    case MT_MAP:
        if (!cJSON_IsObject(n)) return conform_fail(c, "a map", n);
        for (cJSON *v = n->child; v; v = v->next) {
            size_t base = c->path.len;
            buf_printf(&c->path, ".%s", v->string ? v->string : "");
            if (cJSON_IsNull(v)) return conform_fail(c, "a value", v);
            err_t rc = conform(c, s->value, v, depth + 1);
            if (rc) return rc;
            c->path.len = base;
            if (c->path.p) c->path.p[base] = '\0';
        }
        return ERR_OK;
    case MT_LIST: {
        if (!cJSON_IsArray(n)) return conform_fail(c, "a list", n);
        int i = 1;
        for (cJSON *v = n->child; v; v = v->next, i++) {
            size_t base = c->path.len;
            buf_printf(&c->path, ".%d.member", i);
            if (cJSON_IsNull(v)) return conform_fail(c, "a value", v);
            err_t rc = conform(c, s->member, v, depth + 1);
            if (rc) return rc;
            c->path.len = base;
            if (c->path.p) c->path.p[base] = '\0';
        }
        return ERR_OK;
    }
    case MT_STRING:
        return cJSON_IsString(n) ? ERR_OK : conform_fail(c, "a string", n);
    case MT_BLOB: {
        if (!cJSON_IsString(n)) return conform_fail(c, "a base64 string", n);
        buf_t tmp;
        buf_init(&tmp, strlen(n->valuestring) + 4);
        bool ok = enc_base64_decode(&tmp, span_of(n->valuestring));
        buf_free(&tmp);
        return ok ? ERR_OK : conform_fail(c, "a base64 string", n);
    }
    case MT_BOOLEAN:
        return cJSON_IsBool(n) ? ERR_OK : conform_fail(c, "a boolean", n);
    case MT_INTEGER:
    case MT_LONG: {
        if (!cJSON_IsNumber(n)) return conform_fail(c, "an integer", n);
        double d = n->valuedouble;
        double lim = s->type == MT_INTEGER ? 2147483648.0 : 9223372036854775808.0;
        if (d != floor(d) || d < -lim || d >= lim) return conform_fail(c, "an integer", n);
        return ERR_OK;
    }
    case MT_DOUBLE:
    case MT_FLOAT:
        return cJSON_IsNumber(n) ? ERR_OK : conform_fail(c, "a number", n);
    case MT_TIMESTAMP:
        if (cJSON_IsNumber(n))
            return fabs(n->valuedouble) < 2.5e11 ? ERR_OK : conform_fail(c, "a timestamp", n);
        if (cJSON_IsString(n)) {
            int64_t ms;
            if (!enc_parse_iso8601(span_of(n->valuestring), &ms))
                return conform_fail(c, "a timestamp", n);
            cJSON_SetNumberValue(n, (double)ms / 1000.0);
            n->type = cJSON_Number;
            cJSON_free(n->valuestring);
            n->valuestring = NULL;
            return ERR_OK;
        }
        return conform_fail(c, "a timestamp", n);
    }
    return conform_fail(c, "a known type", n);
}

static bool json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

err_t proto_json_decode(const model_service_t *svc, uint16_t shape, span_t body, cJSON **out,
                        errbuf_t *eb)
{
    size_t lead = 0;
    while (lead < body.n && json_space(body.p[lead])) lead++;
    cJSON *root;
    if (lead == body.n) {
        root = cJSON_CreateObject();
    } else {
        const char *end = NULL;
        root = cJSON_ParseWithLengthOpts(body.p, body.n, &end, false);
        /* cJSON accepts trailing bytes; AWS does not */
        while (root && end && end < body.p + body.n && json_space(*end)) end++;
        if (root && end != body.p + body.n) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (!root) return err_fail(eb, ERR_SERIALIZATION, "The request body is not valid JSON");
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return err_fail(eb, ERR_SERIALIZATION, "The request body must be a JSON object");
    }
    err_t rc = ERR_OK;
    if (shape != MODEL_NONE) {
        conform_t c = {svc, eb, {0}};
        buf_init(&c.path, 4096);
        rc = conform(&c, shape, root, 0);
        buf_free(&c.path);
    } else {
        while (root->child) cJSON_Delete(cJSON_DetachItemViaPointer(root, root->child));
    }
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return ERR_OK;
}
