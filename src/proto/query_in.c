/* query_in.c - query and ec2 request decoding: form pairs -> value tree, guided by the
 * input shape (Name.member.N lists for query, Name.N for ec2, Name.entry.N.key maps). */
#include "proto/proto.h"

#include "core/enc.h"
#include "core/mem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUERY_MAX_DEPTH 32

static int param_cmp(const void *a, const void *b)
{
    const proto_param_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

err_t proto_form_parse(span_t form, arena_t *arena, size_t max_params, proto_params_t *out,
                       errbuf_t *eb)
{
    size_t count = 0;
    for (size_t i = 0; i < form.n; i++) count += form.p[i] == '&';
    count++;
    if (count > max_params)
        return err_fail(eb, ERR_SERIALIZATION, "The request has more than %zu parameters",
                        max_params);
    proto_param_t *v = arena_alloc(arena, sizeof(*v) * count);
    size_t n = 0;
    span_t rest = form;
    buf_t tmp;
    buf_init(&tmp, form.n + 1);
    err_t rc = ERR_OK;
    while (rest.p && rest.n) {
        span_t pair;
        rest = span_split(rest, '&', &pair);
        if (!pair.n) continue;
        span_t k, val = span_split(pair, '=', &k);
        buf_reset(&tmp);
        if (!enc_uri_decode(&tmp, k, true)) {
            rc = err_fail(eb, ERR_SERIALIZATION, "The query string has a malformed percent-escape");
            goto done;
        }
        if (memchr(buf_str(&tmp), '\0', tmp.len) || !enc_utf8_valid(buf_span(&tmp))) {
            rc = err_fail(eb, ERR_SERIALIZATION, "The query string has a malformed parameter name");
            goto done;
        }
        v[n].key = arena_strndup(arena, buf_str(&tmp), tmp.len);
        v[n].key_len = tmp.len;
        buf_reset(&tmp);
        if (!enc_uri_decode(&tmp, val, true)) {
            rc = err_fail(eb, ERR_SERIALIZATION, "The query string has a malformed percent-escape");
            goto done;
        }
        if (memchr(buf_str(&tmp), '\0', tmp.len) || !enc_utf8_valid(buf_span(&tmp))) {
            rc = err_fail(eb, ERR_SERIALIZATION,
                          "The value of parameter %s is not valid UTF-8 text", v[n].key);
            goto done;
        }
        v[n].value = arena_strndup(arena, buf_str(&tmp), tmp.len);
        v[n].value_len = tmp.len;
        v[n].order = n;
        n++;
    }
    qsort(v, n, sizeof(*v), param_cmp);
    size_t m = 0; /* a key given twice keeps its last value, as AWS does */
    for (size_t i = 0; i < n; i++) {
        if (m && strcmp(v[m - 1].key, v[i].key) == 0) m--;
        v[m++] = v[i];
    }
    out->v = v;
    out->n = m;
done:
    buf_free(&tmp);
    return rc;
}

/* Index of the first pair whose key is >= key. */
static size_t param_lower(const proto_params_t *ps, const char *key)
{
    size_t lo = 0, hi = ps->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(ps->v[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const proto_param_t *proto_param_get(const proto_params_t *ps, const char *key)
{
    size_t i = param_lower(ps, key);
    return i < ps->n && strcmp(ps->v[i].key, key) == 0 ? &ps->v[i] : NULL;
}

/* True when some key starts with prefix followed by '.'. */
static bool param_has_children(const proto_params_t *ps, const char *prefix, size_t plen)
{
    for (size_t i = param_lower(ps, prefix); i < ps->n; i++) {
        const proto_param_t *p = &ps->v[i];
        if (strncmp(p->key, prefix, plen) != 0) return false;
        if (p->key[plen] == '.') return true;
    }
    return false;
}

typedef struct qdec {
    const model_service_t *svc;
    const proto_params_t *ps;
    errbuf_t *eb;
} qdec_t;

static err_t qdec_value(qdec_t *q, uint16_t shape_idx, buf_t *key, buf_t *path, cJSON **out,
                        int depth);

static err_t qdec_bad(qdec_t *q, buf_t *path, const char *value, const char *what)
{
    return proto_type_error(buf_str(path), value, what, q->eb);
}

static err_t qdec_scalar(qdec_t *q, const model_shape_t *s, const proto_param_t *p, buf_t *path,
                         cJSON **out)
{
    const char *v = p->value;
    switch ((model_type_t)s->type) {
    case MT_STRING:
    case MT_BLOB:
        *out = cJSON_CreateString(v);
        return ERR_OK;
    case MT_BOOLEAN:
        if (strcasecmp(v, "true") == 0)
            *out = cJSON_CreateTrue();
        else if (strcasecmp(v, "false") == 0)
            *out = cJSON_CreateFalse();
        else
            return qdec_bad(q, path, v, "a boolean");
        return ERR_OK;
    case MT_INTEGER:
    case MT_LONG: {
        char *end;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno || (s->type == MT_INTEGER && (x < INT32_MIN || x > INT32_MAX)))
            return qdec_bad(q, path, v, "an integer");
        *out = cJSON_CreateNumber((double)x);
        return ERR_OK;
    }
    case MT_DOUBLE:
    case MT_FLOAT: {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(d)) return qdec_bad(q, path, v, "a number");
        *out = cJSON_CreateNumber(d);
        return ERR_OK;
    }
    case MT_TIMESTAMP: {
        int64_t ms;
        char *end;
        double d = strtod(v, &end);
        if (enc_parse_iso8601(span_make(v, p->value_len), &ms))
            *out = cJSON_CreateNumber((double)ms / 1000.0);
        else if (*v && !*end && isfinite(d) && fabs(d) < 2.5e11)
            *out = cJSON_CreateNumber(d);
        else
            return qdec_bad(q, path, v, "a timestamp");
        return ERR_OK;
    }
    default:
        return qdec_bad(q, path, v, "a scalar");
    }
}

/* Appends ".suffix" to key (and to path when path_seg is given) for one nested level. */
static void qdec_push(buf_t *key, const char *seg, buf_t *path, const char *path_seg)
{
    if (key->len) buf_addc(key, '.');
    buf_adds(key, seg);
    if (path_seg) {
        if (path->len) buf_addc(path, '.');
        buf_adds(path, path_seg);
    }
}

static void qdec_pop(buf_t *b, size_t len)
{
    b->len = len;
    if (b->p) b->p[len] = '\0';
}

static int long_cmp(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Collects the distinct N of keys "<prefix>.N" or "<prefix>.N.*", ascending. Keys are
 * sorted, so the sub-keys of one N are adjacent and duplicates need only a look back. */
static size_t qdec_indices(qdec_t *q, const char *prefix, size_t plen, long *idx, size_t cap)
{
    size_t n = 0;
    for (size_t i = param_lower(q->ps, prefix); i < q->ps->n && n < cap; i++) {
        const char *k = q->ps->v[i].key;
        if (strncmp(k, prefix, plen) != 0) break;
        if (k[plen] != '.') continue;
        char *end;
        long x = strtol(k + plen + 1, &end, 10);
        if (end == k + plen + 1 || (*end && *end != '.') || x < 1) continue;
        if (n == 0 || idx[n - 1] != x) idx[n++] = x;
    }
    qsort(idx, n, sizeof(*idx), long_cmp);
    size_t m = 0; /* "x.1" and "x.1.a" may be separated by "x.10"; drop the repeats */
    for (size_t i = 0; i < n; i++)
        if (m == 0 || idx[m - 1] != idx[i]) idx[m++] = idx[i];
    return m;
}

static err_t qdec_list(qdec_t *q, const model_shape_t *s, buf_t *key, buf_t *path, cJSON **out,
                       int depth)
{
    const proto_param_t *empty = proto_param_get(q->ps, buf_str(key));
    bool flat = q->svc->protocol == MP_EC2 || (s->flags & MSF_FLATTENED);
    size_t base = key->len, pbase = path->len;
    if (!flat) qdec_push(key, "member", path, NULL);
    size_t cap = q->ps->n;
    long *idx = xmalloc(sizeof(long) * (cap ? cap : 1));
    size_t n = qdec_indices(q, buf_str(key), key->len, idx, cap);
    if (!n && !empty) {
        free(idx);
        qdec_pop(key, base);
        *out = NULL;
        return ERR_OK;
    }
    cJSON *arr = cJSON_CreateArray();
    err_t rc = ERR_OK;
    size_t kb = key->len;
    for (size_t i = 0; i < n && !rc; i++) {
        char seg[24];
        snprintf(seg, sizeof(seg), "%ld", idx[i]);
        qdec_push(key, seg, path, seg);
        buf_adds(path, ".member");
        cJSON *item = NULL;
        rc = qdec_value(q, s->member, key, path, &item, depth + 1);
        if (item) cJSON_AddItemToArray(arr, item);
        qdec_pop(key, kb);
        qdec_pop(path, pbase);
    }
    free(idx);
    qdec_pop(key, base);
    if (rc) {
        cJSON_Delete(arr);
        return rc;
    }
    *out = arr;
    return ERR_OK;
}

static err_t qdec_map(qdec_t *q, const model_shape_t *s, buf_t *key, buf_t *path, cJSON **out,
                      int depth)
{
    size_t base = key->len;
    bool flat = (s->flags & MSF_FLATTENED) != 0;
    if (!flat) qdec_push(key, "entry", path, NULL);
    size_t cap = q->ps->n;
    long *idx = xmalloc(sizeof(long) * (cap ? cap : 1));
    size_t n = qdec_indices(q, buf_str(key), key->len, idx, cap);
    if (!n) {
        free(idx);
        qdec_pop(key, base);
        *out = NULL;
        return ERR_OK;
    }
    cJSON *obj = cJSON_CreateObject();
    err_t rc = ERR_OK;
    size_t kb = key->len;
    for (size_t i = 0; i < n && !rc; i++) {
        char seg[24];
        snprintf(seg, sizeof(seg), "%ld", idx[i]);
        qdec_push(key, seg, path, NULL);
        size_t kb2 = key->len;
        qdec_push(key, "key", path, NULL);
        const proto_param_t *k = proto_param_get(q->ps, buf_str(key));
        qdec_pop(key, kb2);
        if (k) {
            qdec_push(key, "value", path, NULL);
            cJSON *val = NULL;
            size_t pb = path->len;
            if (path->len) buf_addc(path, '.');
            buf_adds(path, k->value);
            rc = qdec_value(q, s->value, key, path, &val, depth + 1);
            qdec_pop(path, pb);
            if (val) cJSON_AddItemToObject(obj, k->value, val);
        }
        qdec_pop(key, kb);
    }
    free(idx);
    qdec_pop(key, base);
    if (rc) {
        cJSON_Delete(obj);
        return rc;
    }
    *out = obj;
    return ERR_OK;
}

static err_t qdec_struct(qdec_t *q, const model_shape_t *s, buf_t *key, buf_t *path, cJSON **out,
                         int depth)
{
    if (key->len && !param_has_children(q->ps, buf_str(key), key->len)) {
        *out = NULL;
        return ERR_OK;
    }
    cJSON *obj = cJSON_CreateObject();
    size_t kb = key->len, pb = path->len;
    for (uint16_t i = 0; i < s->n_members; i++) {
        const model_member_t *m = &q->svc->members[s->first_member + i];
        qdec_push(key, m->wire, path, NULL);
        if (path->len) buf_addc(path, '.');
        proto_path_member(path, m->name);
        cJSON *v = NULL;
        err_t rc = qdec_value(q, m->shape, key, path, &v, depth + 1);
        qdec_pop(key, kb);
        qdec_pop(path, pb);
        if (rc) {
            cJSON_Delete(obj);
            return rc;
        }
        if (v) cJSON_AddItemToObject(obj, m->name, v);
    }
    *out = obj;
    return ERR_OK;
}

/* Decodes the value at key for shape; *out stays NULL when the request has none. */
static err_t qdec_value(qdec_t *q, uint16_t shape_idx, buf_t *key, buf_t *path, cJSON **out,
                        int depth)
{
    const model_shape_t *s = model_shape(q->svc, shape_idx);
    *out = NULL;
    if (depth > QUERY_MAX_DEPTH) return ERR_OK;
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
        return qdec_struct(q, s, key, path, out, depth);
    case MT_LIST:
        return qdec_list(q, s, key, path, out, depth);
    case MT_MAP:
        return qdec_map(q, s, key, path, out, depth);
    default: {
        const proto_param_t *p = proto_param_get(q->ps, buf_str(key));
        return p ? qdec_scalar(q, s, p, path, out) : ERR_OK;
    }
    }
}

err_t proto_query_decode(const model_service_t *svc, uint16_t shape, const proto_params_t *ps,
                         cJSON **out, errbuf_t *eb)
{
    if (shape == MODEL_NONE) {
        *out = cJSON_CreateObject();
        return ERR_OK;
    }
    qdec_t q = {svc, ps, eb};
    buf_t key, path;
    buf_init(&key, 8192);
    buf_init(&path, 8192);
    cJSON *tree = NULL;
    err_t rc = qdec_struct(&q, model_shape(svc, shape), &key, &path, &tree, 0);
    buf_free(&key);
    buf_free(&path);
    if (rc) return rc;
    *out = tree ? tree : cJSON_CreateObject();
    return ERR_OK;
}
