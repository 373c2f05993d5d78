/* json_in.c - awsJson1_1 request decoding: parse, then conform the tree to the input
 * shape (proto_conform: unknown members and nulls dropped, types checked, the last of
 * repeated keys kept, timestamps normalised). */
#include "proto/proto.h"

#include "core/enc.h"

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
    err_t rc = proto_conform(svc, shape, root, eb);
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return ERR_OK;
}
