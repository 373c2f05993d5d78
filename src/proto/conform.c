/* conform.c - the one type gate between a decoded value tree and a handler: every value is
 * checked against its model shape (structure, list, map, string, blob, boolean, integer,
 * long, float, double, timestamp), recursively; unknown members and nulls are dropped, a
 * member or map key given twice keeps its last value (as AWS does), timestamps become epoch
 * seconds. The awsJson decoder uses it on the wire and api_invoke on every call, wire or
 * in-process, so a handler never meets a value of another type. */
#include "proto/proto.h"

#include "core/enc.h"
#include "core/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFORM_MAX_DEPTH 64

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

/* A value of the wrong type, in the service's protocol: awsJson services answer
 * SerializationException; the query protocols (whose wire values are text) answer the
 * validation error their decoder gives a value that does not convert. */
static err_t conform_fail(conform_t *c, const char *want, const cJSON *n)
{
    const char *path = c->path.len ? buf_str(&c->path) : "(request)";
    if (c->svc->protocol == MP_JSON)
        return err_fail(c->eb, ERR_SERIALIZATION, "Expected %s at '%s' but found %s", want, path,
                        json_kind(n));
    buf_t v;
    buf_init(&v, 256);
    proto_render_value(&v, n);
    err_t rc = proto_type_error(path, buf_str(&v), want, c->eb);
    buf_free(&v);
    return rc;
}

static void conform_pop(conform_t *c, size_t len)
{
    c->path.len = len;
    if (c->path.p) c->path.p[len] = '\0';
}

static err_t conform(conform_t *c, uint16_t shape_idx, cJSON *n, int depth);

/* Conforms the children of object n to structure s: unknown and null members go, and of a
 * member given twice only the last stays. */
static err_t conform_struct(conform_t *c, const model_shape_t *s, cJSON *n, int depth)
{
    cJSON **seen = xcalloc(s->n_members ? s->n_members : 1, sizeof(*seen));
    size_t base = c->path.len;
    err_t rc = ERR_OK;
    cJSON *child = n->child;
    while (child) {
        cJSON *next = child->next;
        const model_member_t *m = child->string ? model_member(c->svc, s, child->string) : NULL;
        if (!m || cJSON_IsNull(child)) {
            cJSON_Delete(cJSON_DetachItemViaPointer(n, child));
        } else {
            size_t k = (size_t)(m - &c->svc->members[s->first_member]);
            if (seen[k]) cJSON_Delete(cJSON_DetachItemViaPointer(n, seen[k]));
            seen[k] = child;
        }
        child = next;
    }
    for (child = n->child; child && !rc; child = child->next) {
        const model_member_t *m = model_member(c->svc, s, child->string);
        if (base) buf_addc(&c->path, '.');
        proto_path_member(&c->path, m->name);
        rc = conform(c, m->shape, child, depth + 1);
        if (!rc) conform_pop(c, base);
    }
    free(seen);
    return rc;
}

typedef struct keyed {
    cJSON *item;
    size_t pos;
} keyed_t;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    int r = strcmp(x->item->string ? x->item->string : "", y->item->string ? y->item->string : "");
    return r ? r : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Of the entries of map n that share a key, drops all but the last (sorting, so that a
 * large map costs n log n, not n^2). */
static void conform_map_dedup(cJSON *n)
{
    size_t count = 0;
    for (cJSON *v = n->child; v; v = v->next) count++;
    if (count < 2) return;
    keyed_t *k = xmalloc(sizeof(*k) * count);
    size_t i = 0;
    for (cJSON *v = n->child; v; v = v->next, i++) k[i] = (keyed_t){v, i};
    qsort(k, count, sizeof(*k), keyed_cmp);
    for (i = 0; i + 1 < count; i++)
        if (keyed_cmp(&(keyed_t){k[i].item, 0}, &(keyed_t){k[i + 1].item, 0}) == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(n, k[i].item));
    free(k);
}

static err_t conform_map(conform_t *c, const model_shape_t *s, cJSON *n, int depth)
{
    if (!cJSON_IsObject(n)) return conform_fail(c, "a map", n);
    conform_map_dedup(n);
    for (cJSON *v = n->child; v; v = v->next) {
        size_t base = c->path.len;
        buf_printf(&c->path, ".%s", v->string ? v->string : "");
        if (cJSON_IsNull(v)) return conform_fail(c, "a value", v);
        err_t rc = conform(c, s->value, v, depth + 1);
        if (rc) return rc;
        conform_pop(c, base);
    }
    return ERR_OK;
}

static err_t conform_list(conform_t *c, const model_shape_t *s, cJSON *n, int depth)
{
    if (!cJSON_IsArray(n)) return conform_fail(c, "a list", n);
    int i = 1;
    for (cJSON *v = n->child; v; v = v->next, i++) {
        size_t base = c->path.len;
        buf_printf(&c->path, "%s%d.member", base ? "." : "", i);
        if (cJSON_IsNull(v)) return conform_fail(c, "a value", v);
        err_t rc = conform(c, s->member, v, depth + 1);
        if (rc) return rc;
        conform_pop(c, base);
    }
    return ERR_OK;
}

static err_t conform_timestamp(conform_t *c, cJSON *n)
{
    if (cJSON_IsNumber(n))
        return fabs(n->valuedouble) < 2.5e11 ? ERR_OK : conform_fail(c, "a timestamp", n);
    int64_t ms;
    if (!cJSON_IsString(n) || !enc_parse_iso8601(span_of(n->valuestring), &ms))
        return conform_fail(c, "a timestamp", n);
    cJSON_SetNumberValue(n, (double)ms / 1000.0);
    n->type = cJSON_Number;
    cJSON_free(n->valuestring);
    n->valuestring = NULL;
    return ERR_OK;
}

static err_t conform(conform_t *c, uint16_t shape_idx, cJSON *n, int depth)
{
    const model_shape_t *s = model_shape(c->svc, shape_idx);
    if (depth > CONFORM_MAX_DEPTH)
        return err_fail(c->eb, ERR_SERIALIZATION, "The request nests deeper than %d levels",
                        CONFORM_MAX_DEPTH);
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
        if (!cJSON_IsObject(n)) return conform_fail(c, "an object", n);
        return conform_struct(c, s, n, depth);
    case MT_MAP:
        return conform_map(c, s, n, depth);
    case MT_LIST:
        return conform_list(c, s, n, depth);
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
        return cJSON_IsNumber(n) && isfinite(n->valuedouble) ? ERR_OK
                                                             : conform_fail(c, "a number", n);
    case MT_TIMESTAMP:
        return conform_timestamp(c, n);
    }
    return conform_fail(c, "a known type", n);
}

err_t proto_conform(const model_service_t *svc, uint16_t shape, cJSON *tree, errbuf_t *eb)
{
    if (!cJSON_IsObject(tree))
        return err_fail(eb, ERR_SERIALIZATION, "The request must be an object");
    if (shape == MODEL_NONE) {
        while (tree->child) cJSON_Delete(cJSON_DetachItemViaPointer(tree, tree->child));
        return ERR_OK;
    }
    conform_t c = {svc, eb, {0}};
    buf_init(&c.path, 4096);
    err_t rc = conform(&c, shape, tree, 0);
    buf_free(&c.path);
    return rc;
}

err_t proto_type_error(const char *path, const char *value, const char *want, errbuf_t *eb)
{
    return err_fail(eb, ERR_VALIDATION,
                    "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                    "constraint: Member must be %s",
                    value, path, want);
}
