/* xml_out.c - query and ec2 response encoding: <OpResponse> documents with
 * ResponseMetadata or requestId, member/item lists, entry maps, ISO 8601 timestamps, and
 * IAM policy documents URL-encoded as botocore expects. */
#include "proto/proto.h"

#include "core/enc.h"

#include <math.h>
#include <string.h>

#define XML_MAX_DEPTH 64

bool proto_xml_escape(buf_t *out, span_t s)
{
    size_t run = 0;
    for (size_t i = 0; i < s.n; i++) {
        const char *e = NULL;
        switch (s.p[i]) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&apos;";
            break;
        case '\r':
            e = "&#13;";
            break;
        default:
            if ((unsigned char)s.p[i] >= 0x20 || s.p[i] == '\t' || s.p[i] == '\n') continue;
            e = "\xEF\xBF\xBD"; /* XML 1.0 cannot carry other controls: U+FFFD */
        }
        if (!buf_add(out, s.p + run, i - run) || !buf_adds(out, e)) return false;
        run = i + 1;
    }
    return buf_add(out, s.p + run, s.n - run);
}

static bool xw_value(const model_service_t *svc, uint16_t shape_idx, const char *name,
                     const cJSON *n, buf_t *out, int depth);

static bool xw_open(buf_t *out, const char *name)
{
    return buf_addc(out, '<') && buf_adds(out, name) && buf_addc(out, '>');
}

static bool xw_close(buf_t *out, const char *name)
{
    return buf_adds(out, "</") && buf_adds(out, name) && buf_addc(out, '>');
}

static bool xw_members(const model_service_t *svc, const model_shape_t *s, const cJSON *n,
                       buf_t *out, int depth)
{
    for (uint16_t i = 0; i < s->n_members; i++) {
        const model_member_t *m = &svc->members[s->first_member + i];
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(n, m->name);
        if (!c || cJSON_IsNull(c)) continue;
        if (!xw_value(svc, m->shape, m->xml, c, out, depth + 1)) return false;
    }
    return true;
}

static bool xw_scalar(const model_shape_t *s, const cJSON *n, buf_t *out)
{
    char tmp[64];
    switch ((model_type_t)s->type) {
    case MT_STRING:
    case MT_BLOB:
        if (!cJSON_IsString(n)) return true;
        if (s->flags & MSF_POLICY_DOC) {
            buf_t enc;
            buf_init(&enc, out->max);
            bool ok = enc_uri(&enc, span_of(n->valuestring), false) &&
                      proto_xml_escape(out, buf_span(&enc));
            buf_free(&enc);
            return ok;
        }
        return proto_xml_escape(out, span_of(n->valuestring));
    case MT_BOOLEAN:
        return buf_adds(out, cJSON_IsTrue(n) ? "true" : "false");
    case MT_INTEGER:
    case MT_LONG:
        return buf_printf(
            out, "%lld",
            cJSON_IsNumber(n) && fabs(n->valuedouble) < 9.2e18 ? (long long)n->valuedouble : 0LL);
    case MT_DOUBLE:
    case MT_FLOAT:
        return buf_printf(out, "%.17g", cJSON_IsNumber(n) ? n->valuedouble : 0);
    case MT_TIMESTAMP:
        enc_iso8601(enc_clamp_ms(round((cJSON_IsNumber(n) ? n->valuedouble : 0) * 1000.0)), tmp);
        return buf_adds(out, tmp);
    default:
        return true;
    }
}

static bool xw_value(const model_service_t *svc, uint16_t shape_idx, const char *name,
                     const cJSON *n, buf_t *out, int depth)
{
    const model_shape_t *s = model_shape(svc, shape_idx);
    if (depth > XML_MAX_DEPTH) return true;
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
        return xw_open(out, name) && (!cJSON_IsObject(n) || xw_members(svc, s, n, out, depth)) &&
               xw_close(out, name);
    case MT_LIST: {
        bool flat = (s->flags & MSF_FLATTENED) != 0;
        const char *item = s->member_xml ? s->member_xml : "member";
        if (!flat && !xw_open(out, name)) return false;
        if (cJSON_IsArray(n))
            for (const cJSON *c = n->child; c; c = c->next)
                if (!xw_value(svc, s->member, flat ? name : item, c, out, depth + 1)) return false;
        return flat || xw_close(out, name);
    }
    case MT_MAP: {
        if (!xw_open(out, name)) return false;
        if (cJSON_IsObject(n))
            for (const cJSON *c = n->child; c; c = c->next) {
                if (!buf_adds(out, "<entry><key>") ||
                    !proto_xml_escape(out, span_of(c->string ? c->string : "")) ||
                    !buf_adds(out, "</key>") ||
                    !xw_value(svc, s->value, "value", c, out, depth + 1) ||
                    !buf_adds(out, "</entry>"))
                    return false;
            }
        return xw_close(out, name);
    }
    default:
        return xw_open(out, name) && xw_scalar(s, n, out) && xw_close(out, name);
    }
}

bool proto_xml_encode(const model_service_t *svc, const char *op, const char *result_wrapper,
                      uint16_t shape, const cJSON *tree, const char *request_id, buf_t *out)
{
    bool ec2 = svc->protocol == MP_EC2;
    bool ok = true;
    if (ec2) ok = buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    ok = ok && buf_printf(out, "<%sResponse xmlns=\"%s\">", op, svc->xml_ns ? svc->xml_ns : "");
    if (ec2) ok = ok && buf_printf(out, "<requestId>%s</requestId>", request_id);
    const model_shape_t *s = shape != MODEL_NONE ? model_shape(svc, shape) : NULL;
    if (!ec2 && s) ok = ok && xw_open(out, result_wrapper ? result_wrapper : "Result");
    if (s && tree && s->type == MT_STRUCTURE) ok = ok && xw_members(svc, s, tree, out, 0);
    if (!ec2 && s) ok = ok && xw_close(out, result_wrapper ? result_wrapper : "Result");
    if (!ec2)
        ok = ok && buf_printf(out, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>",
                              request_id);
    return ok && buf_printf(out, "</%sResponse>", op);
}
