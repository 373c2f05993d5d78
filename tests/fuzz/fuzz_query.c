/* fuzz_query.c - libFuzzer target for the query codec: proto_form_parse (sorted, terminated
 * pairs), then decode against sts/servicecatalog/ssm input and output shapes, validate, write XML
 * and JSON; JSON of input shapes must decode back to the same tree. Corpus:
 * tests/fuzz/corpus/query/. */
#include "fuzz_init.h"
#include "proto/proto.h"

#include "core/arena.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_MAX_PARAMS 4000 /* as the HTTP front end */

typedef struct target {
    const char *svc, *shape, *op, *wrapper;
    bool round_trip;
} target_t;

static const target_t targets[] = {
    {"sts", "GetCallerIdentityRequest", "GetCallerIdentity", "GetCallerIdentityResult", false},
    {"sts", "GetCallerIdentityResponse", "GetCallerIdentity", "GetCallerIdentityResult", false},
    {"servicecatalog", "ListPortfoliosInput", "ListPortfolios", NULL, true},
    {"servicecatalog", "ListPortfoliosOutput", "ListPortfolios", NULL, false},
    {"ssm", "ListDocumentsRequest", "ListDocuments", "ListDocumentsResult", true},
    {"ssm", "ListDocumentsResult", "ListDocuments", "ListDocumentsResult", false},
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

static void check_msg(const errbuf_t *eb)
{
    if (!memchr(eb->msg, '\0', sizeof(eb->msg)) || !eb->msg[0]) __builtin_trap();
}

/* The pairs are sorted, terminated at their lengths, and each key finds a pair with that key. */
static void check_params(const proto_params_t *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        const proto_param_t *p = &ps->v[i];
        if (p->key[p->key_len] != '\0' || p->value[p->value_len] != '\0') __builtin_trap();
        if (i && strcmp(ps->v[i - 1].key, p->key) > 0) __builtin_trap();
        const proto_param_t *q = proto_param_get(ps, p->key);
        if (!q || strcmp(q->key, p->key) != 0) __builtin_trap();
    }
}

static void exercise(size_t i, const proto_params_t *ps)
{
    const model_service_t *svc = svcs[i];
    uint16_t shape = shapes[i];
    cJSON *t = NULL;
    errbuf_t eb;
    err_t rc = proto_query_decode(svc, shape, ps, &t, &eb);
    if (rc != ERR_OK) {
        if (rc != ERR_VALIDATION || t) __builtin_trap();
        check_msg(&eb);
        return;
    }
    if (!cJSON_IsObject(t)) __builtin_trap();
    rc = proto_validate(svc, shape, t, &eb);
    if (rc != ERR_OK && rc != ERR_VALIDATION) __builtin_trap();
    if (rc) check_msg(&eb);

    buf_t out;
    buf_init(&out, 1 << 24);
    if (!proto_xml_encode(svc, targets[i].op, targets[i].wrapper, shape, t, "req-1", &out))
        __builtin_trap();
    buf_reset(&out);
    if (!proto_json_encode(svc, shape, t, &out)) __builtin_trap();
    if (targets[i].round_trip) {
        cJSON *t2 = NULL;
        if (proto_json_decode(svc, shape, buf_span(&out), &t2, &eb) != ERR_OK) __builtin_trap();
        if (!cJSON_Compare(t, t2, true)) __builtin_trap();
        cJSON_Delete(t2);
    }
    buf_free(&out);
    cJSON_Delete(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    resolve();
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb;
    err_t rc = proto_form_parse(span_make((const char *)data, size), &a, FUZZ_MAX_PARAMS, &ps, &eb);
    if (rc == ERR_OK) {
        check_params(&ps);
        for (size_t i = 0; i < N_TARGETS; i++) exercise(i, &ps);
        /* no output shape: the bare document */
        buf_t out;
        buf_init(&out, 4096);
        if (!proto_xml_encode(svcs[0], "DeleteUser", NULL, MODEL_NONE, NULL, "req-1", &out))
            __builtin_trap();
        buf_free(&out);
    } else if (rc != ERR_SERIALIZATION) {
        __builtin_trap();
    } else {
        check_msg(&eb);
    }
    arena_free(&a);
    return 0;
}
