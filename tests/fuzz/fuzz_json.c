/* fuzz_json.c - libFuzzer target for the awsJson1_1 codec: decode against the ListPortfolios
 * and ListDocuments input (and output) shapes, validate, encode; for input shapes the encoding
 * must decode to the same tree and re-encode to the same bytes. Corpus: tests/fuzz/corpus/json/.
 * -DFUZZ_JSON_STRICT also requires output-shape encodings to be valid JSON. */
#include "fuzz_init.h"
#include "proto/proto.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct target {
    const char *svc, *shape;
    bool round_trip;
} target_t;

static const target_t targets[] = {
    {"servicecatalog", "ListPortfoliosInput", true},
    {"ssm", "ListDocumentsRequest", true},
    {"servicecatalog", "ListPortfoliosOutput", false},
    {"ssm", "ListDocumentsResult", false},
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static const model_service_t *svcs[N_TARGETS];
static uint16_t shapes[N_TARGETS];

static void resolve(void)
{
    if (svcs[0]) return;
    for (size_t i = 0; i < N_TARGETS; i++) {
        const model_service_t *svc = model_service(targets[i].svc);
        if (!svc) __builtin_trap();
        shapes[i] = MODEL_NONE;
        for (size_t k = 0; k < svc->n_shapes; k++)
            if (svc->shapes[k].name && strcmp(svc->shapes[k].name, targets[i].shape) == 0)
                shapes[i] = (uint16_t)k;
        if (shapes[i] == MODEL_NONE) __builtin_trap();
        svcs[i] = svc;
    }
}

/* An errbuf message must be a terminated, non-empty string. */
static void check_msg(const errbuf_t *eb)
{
    if (!memchr(eb->msg, '\0', sizeof(eb->msg)) || !eb->msg[0]) __builtin_trap();
}

/* True when some object in n has two members of one name: never in a decoded tree (of a
 * member or map key given twice the decoder keeps the last). */
static bool has_dup(const cJSON *n)
{
    for (const cJSON *c = n->child; c; c = c->next) {
        if (cJSON_IsObject(n) && c->string)
            for (const cJSON *d = c->next; d; d = d->next)
                if (d->string && strcmp(c->string, d->string) == 0) return true;
        if (has_dup(c)) return true;
    }
    return false;
}

static void exercise(const model_service_t *svc, uint16_t shape, bool round_trip, span_t body)
{
    cJSON *t = NULL;
    errbuf_t eb;
    err_t rc = proto_json_decode(svc, shape, body, &t, &eb);
    if (rc != ERR_OK) {
        if (rc != ERR_SERIALIZATION || t) __builtin_trap();
        check_msg(&eb);
        return;
    }
    if (!cJSON_IsObject(t) || has_dup(t)) __builtin_trap();
    errbuf_t veb;
    err_t vrc = proto_validate(svc, shape, t, &veb);
    if (vrc != ERR_OK && vrc != ERR_VALIDATION) __builtin_trap();
    if (vrc) check_msg(&veb);

    buf_t out;
    buf_init(&out, 1 << 24);
    if (!proto_json_encode(svc, shape, t, &out)) __builtin_trap();
    cJSON *t2 = NULL;
    if (round_trip) {
        /* the encoding is a request the decoder takes back unchanged */
        if (proto_json_decode(svc, shape, buf_span(&out), &t2, &eb) != ERR_OK) __builtin_trap();
        if (!cJSON_Compare(t, t2, true)) __builtin_trap();
        errbuf_t veb2;
        err_t vrc2 = proto_validate(svc, shape, t2, &veb2);
        if (vrc2 != vrc || (vrc && strcmp(veb.msg, veb2.msg) != 0)) __builtin_trap();
        buf_t out2;
        buf_init(&out2, 1 << 24);
        if (!proto_json_encode(svc, shape, t2, &out2)) __builtin_trap();
        if (out2.len != out.len || memcmp(out2.p, out.p, out.len) != 0) __builtin_trap();
        buf_free(&out2);
    } else {
#ifdef FUZZ_JSON_STRICT
        cJSON *any = cJSON_ParseWithLength(out.p, out.len);
        if (!any) __builtin_trap();
        cJSON_Delete(any);
#endif
    }
    cJSON_Delete(t2);
    buf_free(&out);
    cJSON_Delete(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    resolve();
    span_t body = span_make((const char *)data, size);
    for (size_t i = 0; i < N_TARGETS; i++)
        exercise(svcs[i], shapes[i], targets[i].round_trip, body);
    /* MODEL_NONE: any object, emptied */
    cJSON *t = NULL;
    errbuf_t eb;
    if (proto_json_decode(svcs[0], MODEL_NONE, body, &t, &eb) == ERR_OK) {
        if (!cJSON_IsObject(t) || t->child) __builtin_trap();
        cJSON_Delete(t);
    } else if (t) {
        __builtin_trap();
    }
    return 0;
}
