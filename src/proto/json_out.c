/* json_out.c - awsJson1_1 response encoding, walking the output shape so that only
 * modelled members are written and timestamps take the protocol's form (epoch seconds). */
#include "proto/proto.h"

#include "core/enc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define OUT_MAX_DEPTH 64

bool proto_json_escape(buf_t *out, span_t s)
{
    static const char hx[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (!buf_add(out, s.p + run, i - run)) return false;
        run = i + 1;
        char e[7] = {'\\', 0};
        size_t en = 2;
        switch (c) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        case '\b':
            e[1] = 'b';
            break;
        case '\f':
            e[1] = 'f';
            break;
        default:
            e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hx[c >> 4], e[5] = hx[c & 15];
            en = 6;
        }
        if (!buf_add(out, e, en)) return false;
    }
    return buf_add(out, s.p + run, s.n - run);
}

static bool jw_string(buf_t *out, const char *s)
{
    return buf_addc(out, '"') && proto_json_escape(out, span_of(s)) && buf_addc(out, '"');
}

static bool jw_number(buf_t *out, double d, bool integral)
{
    if (!isfinite(d)) return buf_adds(out, "null");
    if ((integral || d == floor(d)) && fabs(d) < 9.2e18)
        return buf_printf(out, "%lld", (long long)d);
    return buf_printf(out, "%.17g", d);
}

static bool jw_value(const model_service_t *svc, uint16_t shape_idx, const cJSON *n, buf_t *out,
                     int depth);

static bool jw_struct(const model_service_t *svc, const model_shape_t *s, const cJSON *n,
                      buf_t *out, int depth)
{
    if (!buf_addc(out, '{')) return false;
    bool first = true;
    for (uint16_t i = 0; i < s->n_members; i++) {
        const model_member_t *m = &svc->members[s->first_member + i];
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(n, m->name);
        if (!c || cJSON_IsNull(c)) continue;
        if (!first && !buf_addc(out, ',')) return false;
        first = false;
        if (!jw_string(out, m->name) || !buf_addc(out, ':')) return false;
        if (!jw_value(svc, m->shape, c, out, depth + 1)) return false;
    }
    return buf_addc(out, '}');
}

static bool jw_value(const model_service_t *svc, uint16_t shape_idx, const cJSON *n, buf_t *out,
                     int depth)
{
    const model_shape_t *s = model_shape(svc, shape_idx);
    if (depth > OUT_MAX_DEPTH) return buf_adds(out, "null");
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
        if (!cJSON_IsObject(n)) return buf_adds(out, "{}");
        return jw_struct(svc, s, n, out, depth);
    case MT_LIST: {
        if (!buf_addc(out, '[')) return false;
        if (cJSON_IsArray(n))
            for (const cJSON *c = n->child; c; c = c->next) {
                if (c != n->child && !buf_addc(out, ',')) return false;
                if (!jw_value(svc, s->member, c, out, depth + 1)) return false;
            }
        return buf_addc(out, ']');
    }
    case MT_MAP: {
        if (!buf_addc(out, '{')) return false;
        if (cJSON_IsObject(n))
            for (const cJSON *c = n->child; c; c = c->next) {
                if (c != n->child && !buf_addc(out, ',')) return false;
                if (!jw_string(out, c->string ? c->string : "") || !buf_addc(out, ':'))
                    return false;
                if (!jw_value(svc, s->value, c, out, depth + 1)) return false;
            }
        return buf_addc(out, '}');
    }
    case MT_STRING:
    case MT_BLOB:
        if (cJSON_IsString(n)) return jw_string(out, n->valuestring);
        if (cJSON_IsNumber(n)) return buf_printf(out, "\"%g\"", n->valuedouble);
        return buf_adds(out, "\"\"");
    case MT_BOOLEAN:
        return buf_adds(out, cJSON_IsTrue(n) ? "true" : "false");
    case MT_INTEGER:
    case MT_LONG:
        return jw_number(out, cJSON_IsNumber(n) ? n->valuedouble : 0, true);
    case MT_DOUBLE:
    case MT_FLOAT:
        return jw_number(out, cJSON_IsNumber(n) ? n->valuedouble : 0, false);
    case MT_TIMESTAMP: {
        double d = cJSON_IsNumber(n) ? n->valuedouble : 0;
        if (s->flags & MSF_TS_ISO) {
            /* rare; keep epoch form readable by botocore either way */
        }
        int64_t ms = enc_clamp_ms(round(d * 1000.0));
        unsigned long long a = ms < 0 ? (unsigned long long)(-ms) : (unsigned long long)ms;
        return buf_printf(out, "%s%llu.%03llu", ms < 0 ? "-" : "", a / 1000, a % 1000);
    }
    }
    return buf_adds(out, "null");
}

bool proto_json_encode(const model_service_t *svc, uint16_t shape, const cJSON *tree, buf_t *out)
{
    if (shape == MODEL_NONE || !tree) return buf_adds(out, "{}");
    return jw_value(svc, shape, tree, out, 0);
}
