/* fuzz_invoke.c - libFuzzer target for the pipeline after the wire: api_invoke, as the
 * account root (or an IAM user), against a real store in a temp dir, for every operation row
 * (api_ops[]). Input: two bytes choose the row, one byte the mode (bit 0x40: as an IAM user whose
 * policy allows everything, through policy evaluation), the rest drives gen_input.h's
 * generator, which builds the row's input from its model shape: mostly well typed, with
 * members given twice and members the model lacks, and in "mistyped" mode some values of
 * a type the model does not allow. Mode bit 0x80 instead parses the rest as a JSON input
 * as is. Oracles: no crash or sanitizer report; a failure has a message; a call whose
 * input holds a value of the wrong type is refused with the protocol's type error
 * (awsJson: SerializationException; query, ec2: the validation error) before any handler
 * runs. The engine is not started: jobs a call enqueues stay queued. Seed corpus:
 * tests/fuzz/corpus/invoke/. Found so far: iam:UpdateUser with NewUserName and no NewPath
 * read the freed Path (users.c); before the type gate, any mistyped member reached
 * handlers as NULL. */
#include "fuzz_init.h"
#include "gen_input.h"

static app_t *app;
static auth_principal_t root, user;

/* An IAM user whose inline policy allows everything: its calls go through policy
 * evaluation and the resource ARNs authorization builds from the input. */
static void make_user(void)
{
    arena_t arena;
    arena_init(&arena);
    errbuf_t eb = {{0}};
    cJSON *in = cJSON_Parse("{\"UserName\":\"fuzz-principal\"}"), *out = NULL;
    if (api_client_call_tx(app, NULL, NULL, &arena, &root, "iam", "CreateUser", in, &out, &eb))
        abort();
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(out, "User");
    user = root;
    user.kind = AUTH_USER;
    snprintf(user.arn, sizeof(user.arn), "%s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "Arn")));
    snprintf(user.user_id, sizeof(user.user_id), "%s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "UserId")));
    snprintf(user.name, sizeof(user.name), "fuzz-principal");
    cJSON_Delete(out);
    cJSON_AddStringToObject(in, "PolicyName", "all");
    cJSON_AddStringToObject(in, "PolicyDocument",
                            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                            "\"Action\":\"*\",\"Resource\":\"*\"}]}");
    out = NULL;
    if (api_client_call_tx(app, NULL, NULL, &arena, &root, "iam", "PutUserPolicy", in, &out, &eb))
        abort();
    cJSON_Delete(out);
    cJSON_Delete(in);
    arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    if (!app) {
        app = gen_app(0);
        gen_root(app, &root);
        make_user();
    }
    const api_op_t *op = &api_ops[((size_t)data[0] << 8 | data[1]) % api_n_ops];
    uint8_t mode = data[2];
    gen_t g = {data + 3, size - 3, 0, false};
    bool bad = false;
    cJSON *in;
    if (mode & 0x80) {
        in = cJSON_ParseWithLength((const char *)g.p, g.n);
        if (!in) return 0;
    } else {
        in = op->input == MODEL_NONE
                 ? cJSON_CreateObject()
                 : gen_value(&g, op->svc, op->input, 0, (mode & 1) ? 24 : 0, &bad);
    }
    arena_t arena;
    arena_init(&arena);
    errbuf_t eb = {{0}};
    cJSON *out = NULL;
    api_call_t call = {.op = op,
                       .caller = (mode & 0x40) ? &user : &root,
                       .input = in,
                       .request_id = "fuzz-invoke"};
    err_t rc = api_invoke(app, &call, &arena, &out, &eb);
    if (rc) {
        gen_check_msg(&eb);
        if (out) __builtin_trap(); /* nothing is handed back on failure */
    } else if (!cJSON_IsObject(out)) {
        __builtin_trap();
    }
    if (bad) {
        err_t want = op->svc->protocol == MP_JSON ? ERR_SERIALIZATION : ERR_VALIDATION;
        if (rc != want) {
            char *text = cJSON_PrintUnformatted(in);
            fprintf(stderr, "%s:%s took a mistyped input: rc=%d %s\n%s\n", op->svc->name, op->name,
                    rc, eb.msg, text ? text : "");
            cJSON_free(text);
            __builtin_trap();
        }
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
    arena_free(&arena);
    return 0;
}
