/* test_proto_json.c - the awsJson1_1 codec and the validator against the generated model
 * (servicecatalog ListPortfolios, ssm ListDocuments): decoding and conforming request bodies,
 * Coral validation messages byte for byte, and golden response bodies (curl-style expected
 * bytes; each golden body was also parsed with Debian botocore 1.29.27's JSON parser). */
#include "proto/proto.h"

#include "api/api.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const model_service_t *sc, *ssm;
static uint16_t lp_in, lp_out, ld_in, ld_out;

/* Index of the shape called name in svc, or MODEL_NONE. */
static uint16_t shape_named(const model_service_t *svc, const char *name)
{
    for (size_t i = 0; svc && i < svc->n_shapes; i++)
        if (svc->shapes[i].name && strcmp(svc->shapes[i].name, name) == 0) return (uint16_t)i;
    return MODEL_NONE;
}

static void setup(void)
{
    sc = model_service("servicecatalog");
    ssm = model_service("ssm");
    CHECK(sc != NULL);
    CHECK(ssm != NULL);
    if (!sc || !ssm) exit(1);
    CHECK(model_service("nosuchservice") == NULL);
    CHECK_INT(sc->protocol, MP_JSON);
    CHECK_STR(sc->target_prefix, "AWS242ServiceCatalogService");
    CHECK_STR(ssm->target_prefix, "AmazonSSM");
    lp_in = shape_named(sc, "ListPortfoliosInput");
    lp_out = shape_named(sc, "ListPortfoliosOutput");
    ld_in = shape_named(ssm, "ListDocumentsRequest");
    ld_out = shape_named(ssm, "ListDocumentsResult");
    CHECK(lp_in != MODEL_NONE && lp_out != MODEL_NONE);
    CHECK(ld_in != MODEL_NONE && ld_out != MODEL_NONE);
    if (lp_in == MODEL_NONE || lp_out == MODEL_NONE || ld_in == MODEL_NONE || ld_out == MODEL_NONE)
        exit(1);
    /* the operation rows point at the same shapes */
    const api_op_t *op = api_op_find(sc, SPAN_LIT("ListPortfolios"));
    CHECK(op && op->input == lp_in && op->output == lp_out);
    op = api_op_find(ssm, SPAN_LIT("ListDocuments"));
    CHECK(op && op->input == ld_in && op->output == ld_out);
    CHECK(api_op_find(ssm, SPAN_LIT("ListPortfolios")) == NULL);
}

/* ---- decoding */

/* Decodes body (n bytes) and compares the conformed tree, printed compactly, with want. */
static bool dec_ok(const model_service_t *svc, uint16_t shape, const char *body, size_t n,
                   const char *want)
{
    cJSON *t = NULL;
    errbuf_t eb = {{0}};
    err_t rc = proto_json_decode(svc, shape, span_make(body, n), &t, &eb);
    char *got = rc == ERR_OK && t ? cJSON_PrintUnformatted(t) : NULL;
    bool ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "decode of [%.*s]\n  got:  rc=%d %s %s\n  want: %s\n", (int)n, body, rc,
                got ? got : "", eb.msg, want);
    cJSON_free(got);
    cJSON_Delete(t);
    return ok;
}
#define DEC_OK(svc, shape, body, want) dec_ok(svc, shape, body, strlen(body), want)

/* Expects ERR_SERIALIZATION with exactly msg, and *out left alone. */
static bool dec_fail(const model_service_t *svc, uint16_t shape, const char *body, size_t n,
                     const char *msg)
{
    cJSON *t = NULL;
    errbuf_t eb = {{0}};
    err_t rc = proto_json_decode(svc, shape, span_make(body, n), &t, &eb);
    bool ok = rc == ERR_SERIALIZATION && t == NULL && strcmp(eb.msg, msg) == 0;
    if (!ok)
        fprintf(stderr, "decode of [%.*s]\n  got:  rc=%d %s\n  want: %s\n", (int)n, body, rc,
                eb.msg, msg);
    cJSON_Delete(t);
    return ok;
}
#define DEC_FAIL(svc, shape, body, msg) dec_fail(svc, shape, body, strlen(body), msg)

#define NOT_JSON   "The request body is not valid JSON"
#define NOT_OBJECT "The request body must be a JSON object"

static void test_decode_conforms(void)
{
    /* unknown members and nulls go; known members stay as sent */
    CHECK(DEC_OK(sc, lp_in,
                 "{\"PageSize\":20,\"Bogus\":{\"x\":[1,2]},\"PageToken\":\"abc\","
                 "\"AcceptLanguage\":\"en\",\"pageSize\":\"case matters\",\"NextPageToken\":null}",
                 "{\"PageSize\":20,\"PageToken\":\"abc\",\"AcceptLanguage\":\"en\"}"));
    CHECK(DEC_OK(sc, lp_in, "{\"PageToken\":null,\"PageSize\":null}", "{}"));
    CHECK(DEC_OK(sc, lp_in, "{}", "{}"));
    /* nested: unknown members of list elements are dropped too */
    CHECK(DEC_OK(ssm, ld_in,
                 "{\"Filters\":[{\"Key\":\"Owner\",\"Values\":[\"Self\"],\"Extra\":true},"
                 "{\"Key\":\"tag:Team\",\"Values\":[],\"Values2\":null}],\"MaxResults\":10,"
                 "\"NextToken\":\"t\",\"DocumentFilterList\":[{\"key\":\"Name\",\"value\":\"x\"}]}",
                 "{\"Filters\":[{\"Key\":\"Owner\",\"Values\":[\"Self\"]},{\"Key\":\"tag:Team\","
                 "\"Values\":[]}],\"MaxResults\":10,\"NextToken\":\"t\",\"DocumentFilterList\":"
                 "[{\"key\":\"Name\",\"value\":\"x\"}]}"));
    /* integers: the int32 range, and 1e1 is an integer in JSON */
    CHECK(DEC_OK(sc, lp_in, "{\"PageSize\":-2147483648}", "{\"PageSize\":-2147483648}"));
    CHECK(DEC_OK(sc, lp_in, "{\"PageSize\":2147483647}", "{\"PageSize\":2147483647}"));
    CHECK(DEC_OK(sc, lp_in, "{\"PageSize\":1e1}", "{\"PageSize\":10}"));
    /* UTF-8 and escapes in strings survive */
    CHECK(DEC_OK(sc, lp_in, "{\"PageToken\":\"caf\\u00e9 \xe6\x97\xa5 \\\"q\\\"\"}",
                 "{\"PageToken\":\"caf\xc3\xa9 \xe6\x97\xa5 \\\"q\\\"\"}"));
    /* whitespace around the document is fine; the empty body is {} */
    CHECK(DEC_OK(sc, lp_in, " \r\n\t{ \"PageSize\" : 5 }\r\n\t ", "{\"PageSize\":5}"));
    CHECK(DEC_OK(sc, lp_in, "", "{}"));
    CHECK(DEC_OK(sc, lp_in, " \n", "{}"));
    CHECK(dec_ok(sc, lp_in, NULL, 0, "{}"));
    /* a member or map key given twice keeps its last value; the earlier one is not checked */
    CHECK(DEC_OK(sc, lp_in, "{\"PageSize\":\"bad\",\"PageToken\":\"a\",\"PageSize\":5}",
                 "{\"PageToken\":\"a\",\"PageSize\":5}"));
    CHECK(DEC_OK(sc, lp_in, "{\"PageSize\":1,\"PageSize\":2,\"PageSize\":3}", "{\"PageSize\":3}"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":5,\"PageSize\":\"bad\"}",
                   "Expected an integer at 'pageSize' but found a string"));
    uint16_t sae = shape_named(ssm, "StartAutomationExecutionRequest");
    CHECK(sae != MODEL_NONE);
    if (sae != MODEL_NONE)
        CHECK(DEC_OK(ssm, sae,
                     "{\"DocumentName\":\"d\",\"Parameters\":{\"a\":[\"1\"],\"b\":[\"2\"],"
                     "\"a\":[\"3\"]}}",
                     "{\"DocumentName\":\"d\",\"Parameters\":{\"b\":[\"2\"],\"a\":[\"3\"]}}"));
    /* MODEL_NONE: any object, every member dropped */
    CHECK(DEC_OK(sc, MODEL_NONE, "{\"a\":1,\"b\":[{}]}", "{}"));
    CHECK(DEC_FAIL(sc, MODEL_NONE, "[]", NOT_OBJECT));
}

static void test_decode_timestamps(void)
{
    /* ISO 8601 strings become epoch seconds; numbers stay (decoded against an output shape,
     * the decoder being shape-driven) */
    cJSON *t = NULL;
    errbuf_t eb = {{0}};
    const char *body = "{\"PortfolioDetails\":[{\"Id\":\"port-1\",\"CreatedTime\":"
                       "\"2019-12-24T21:26:33.362Z\"},{\"CreatedTime\":1577222793.362},"
                       "{\"CreatedTime\":\"2019-12-24T22:26:33.362+01:00\"},"
                       "{\"CreatedTime\":\"1970-01-01T00:00:01.5Z\"},{\"CreatedTime\":0}]}";
    CHECK_INT(proto_json_decode(sc, lp_out, span_of(body), &t, &eb), ERR_OK);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(t, "PortfolioDetails");
    CHECK_INT(cJSON_GetArraySize(list), 5);
    static const double want[] = {1577222793.362, 1577222793.362, 1577222793.362, 1.5, 0};
    int i = 0;
    for (const cJSON *d = list ? list->child : NULL; d && i < 5; d = d->next, i++) {
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(d, "CreatedTime");
        CHECK(cJSON_IsNumber(ts) && ts->valuestring == NULL);
        CHECK(ts && fabs(ts->valuedouble - want[i]) < 1e-6);
    }
    CHECK_INT(i, 5);
    /* and it encodes back to AWS's form */
    buf_t out;
    buf_init(&out, 4096);
    CHECK(proto_json_encode(sc, lp_out, t, &out));
    CHECK_STR(buf_str(&out), "{\"PortfolioDetails\":[{\"Id\":\"port-1\",\"CreatedTime\":"
                             "1577222793.362},{\"CreatedTime\":1577222793.362},{\"CreatedTime\":"
                             "1577222793.362},{\"CreatedTime\":1.500},{\"CreatedTime\":0.000}]}");
    buf_free(&out);
    cJSON_Delete(t);

    CHECK(DEC_FAIL(sc, lp_out, "{\"PortfolioDetails\":[{\"CreatedTime\":\"yesterday\"}]}",
                   "Expected a timestamp at 'portfolioDetails.1.member.createdTime' but found a "
                   "string"));
    CHECK(DEC_FAIL(sc, lp_out, "{\"PortfolioDetails\":[{},{\"CreatedTime\":\"2019-02-30\"}]}",
                   "Expected a timestamp at 'portfolioDetails.2.member.createdTime' but found a "
                   "string"));
    CHECK(DEC_FAIL(sc, lp_out, "{\"PortfolioDetails\":[{\"CreatedTime\":true}]}",
                   "Expected a timestamp at 'portfolioDetails.1.member.createdTime' but found a "
                   "boolean"));
}

static void test_decode_wrong_types(void)
{
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":\"20\"}",
                   "Expected an integer at 'pageSize' but found a string"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":1.5}",
                   "Expected an integer at 'pageSize' but found a number"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":2147483648}",
                   "Expected an integer at 'pageSize' but found a number"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":-2147483649}",
                   "Expected an integer at 'pageSize' but found a number"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":true}",
                   "Expected an integer at 'pageSize' but found a boolean"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageToken\":5}",
                   "Expected a string at 'pageToken' but found a number"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"AcceptLanguage\":[\"en\"]}",
                   "Expected a string at 'acceptLanguage' but found a list"));
    CHECK(DEC_FAIL(sc, lp_in, "{\"AcceptLanguage\":{}}",
                   "Expected a string at 'acceptLanguage' but found an object"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"Filters\":{}}",
                   "Expected a list at 'filters' but found an object"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"Filters\":\"Owner\"}",
                   "Expected a list at 'filters' but found a string"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"Filters\":[null]}",
                   "Expected a value at 'filters.1.member' but found null"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"Filters\":[{},[]]}",
                   "Expected an object at 'filters.2.member' but found a list"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"Filters\":[{\"Key\":5}]}",
                   "Expected a string at 'filters.1.member.key' but found a number"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"Filters\":[{\"Key\":\"k\",\"Values\":[\"a\",{}]}]}",
                   "Expected a string at 'filters.1.member.values.2.member' but found an object"));
    CHECK(DEC_FAIL(ssm, ld_in, "{\"DocumentFilterList\":[{\"key\":\"Name\",\"value\":false}]}",
                   "Expected a string at 'documentFilterList.1.member.value' but found a "
                   "boolean"));
    /* the first failure in document order is the one reported */
    CHECK(DEC_FAIL(ssm, ld_in, "{\"NextToken\":1,\"MaxResults\":\"x\"}",
                   "Expected a string at 'nextToken' but found a number"));
}

static void test_decode_malformed(void)
{
    CHECK(DEC_FAIL(sc, lp_in, "{", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageSize\":1,}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{PageSize:1}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{'PageSize':1}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageToken\":\"unterminated}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{\"PageToken\":\"\\x\"}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "nul", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "\xff", NOT_JSON));
    /* trailing garbage, including a second document and a NUL byte */
    CHECK(DEC_FAIL(sc, lp_in, "{}x", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{} {}", NOT_JSON));
    CHECK(DEC_FAIL(sc, lp_in, "{}\n,", NOT_JSON));
    CHECK(dec_fail(sc, lp_in, "{}\0", 3, NOT_JSON));
    CHECK(dec_fail(sc, lp_in, "{\"PageSize\":1}\0{}", 17, NOT_JSON));
    /* the span bounds the parse: a truncated document is refused */
    CHECK(dec_fail(sc, lp_in, "{\"PageSize\":12}", 13, NOT_JSON));
    /* valid JSON that is not an object */
    CHECK(DEC_FAIL(sc, lp_in, "[]", NOT_OBJECT));
    CHECK(DEC_FAIL(sc, lp_in, "[{\"PageSize\":1}]", NOT_OBJECT));
    CHECK(DEC_FAIL(sc, lp_in, "\"x\"", NOT_OBJECT));
    CHECK(DEC_FAIL(sc, lp_in, "42", NOT_OBJECT));
    CHECK(DEC_FAIL(sc, lp_in, "null", NOT_OBJECT));
    CHECK(DEC_FAIL(sc, lp_in, " true ", NOT_OBJECT));
}

/* '{"<member>":' + depth brackets + '}' */
static char *nested(const char *member, int depth, char open, char close)
{
    size_t n = strlen(member) + 2 * (size_t)depth + 8;
    char *s = malloc(n);
    size_t k = (size_t)snprintf(s, n, "{\"%s\":", member);
    for (int i = 0; i < depth; i++) s[k++] = open;
    for (int i = 0; i < depth; i++) s[k++] = close;
    s[k++] = '}';
    s[k] = '\0';
    return s;
}

static void test_decode_deep(void)
{
    /* nesting within cJSON's limit under an unknown member is parsed and dropped */
    char *s = nested("Bogus", 900, '[', ']');
    CHECK(DEC_OK(ssm, ld_in, s, "{}"));
    free(s);
    /* far past it is refused without a crash, whatever the member */
    s = nested("Bogus", 100000, '[', ']');
    CHECK(DEC_FAIL(ssm, ld_in, s, NOT_JSON));
    free(s);
    s = nested("Filters", 100000, '[', ']');
    CHECK(DEC_FAIL(ssm, ld_in, s, NOT_JSON));
    CHECK(DEC_FAIL(ssm, MODEL_NONE, s, NOT_JSON));
    free(s);
    /* within the limit, the shape stops the descent at its first mismatch */
    s = nested("Filters", 500, '[', ']');
    CHECK(DEC_FAIL(ssm, ld_in, s, "Expected an object at 'filters.1.member' but found a list"));
    free(s);
    /* deep objects (an unclosed one too) */
    size_t n = 6 * 5000 + 16, k = 0;
    s = malloc(n);
    s[k++] = '{';
    for (int i = 0; i < 5000; i++) memcpy(s + k, "\"a\":{", 5), k += 5;
    s[k] = '\0';
    CHECK(DEC_FAIL(ssm, ld_in, s, NOT_JSON));
    free(s);
}

/* ---- validation */

/* Decodes body against shape and validates it: the return code and message must match. */
static bool val_is(const model_service_t *svc, uint16_t shape, const char *body, err_t want_rc,
                   const char *want_msg)
{
    cJSON *t = NULL;
    errbuf_t eb = {{0}};
    err_t rc = proto_json_decode(svc, shape, span_of(body), &t, &eb);
    if (rc != ERR_OK) {
        fprintf(stderr, "validate: decode of [%s] failed: %s\n", body, eb.msg);
        return false;
    }
    char *before = cJSON_PrintUnformatted(t);
    rc = proto_validate(svc, shape, t, &eb);
    char *after = cJSON_PrintUnformatted(t);
    bool ok = rc == want_rc && (want_rc == ERR_OK || strcmp(eb.msg, want_msg) == 0) &&
              strcmp(before, after) == 0; /* the validator does not modify the tree */
    if (!ok)
        fprintf(stderr, "validate [%s]\n  got:  rc=%d %s\n  want: rc=%d %s\n", body, rc,
                rc ? eb.msg : "", want_rc, want_msg ? want_msg : "");
    cJSON_free(before);
    cJSON_free(after);
    cJSON_Delete(t);
    return ok;
}

/* Like val_is, but compares only the start and end of the message. */
static bool val_ends(const model_service_t *svc, uint16_t shape, const char *body,
                     const char *prefix, const char *suffix)
{
    cJSON *t = NULL;
    errbuf_t eb = {{0}};
    if (proto_json_decode(svc, shape, span_of(body), &t, &eb) != ERR_OK) return false;
    err_t rc = proto_validate(svc, shape, t, &eb);
    size_t n = strlen(eb.msg), pn = strlen(prefix), sn = strlen(suffix);
    bool ok = rc == ERR_VALIDATION && n >= pn + sn && strncmp(eb.msg, prefix, pn) == 0 &&
              strcmp(eb.msg + n - sn, suffix) == 0;
    if (!ok) fprintf(stderr, "validate [%.80s...]\n  got: rc=%d %s\n", body, rc, eb.msg);
    cJSON_Delete(t);
    return ok;
}

#define ONE    "1 validation error detected: "
#define NOTNUL "failed to satisfy constraint: Member must not be null"

static void test_validate(void)
{
    CHECK_INT(proto_patterns_skipped(), 0); /* every model pattern compiles */
    CHECK(proto_patterns_init());
    /* valid requests, and the edges of the ranges */
    CHECK(val_is(sc, lp_in, "{}", ERR_OK, NULL));
    CHECK(val_is(sc, lp_in, "{\"PageSize\":0,\"PageToken\":\"t\",\"AcceptLanguage\":\"jp\"}",
                 ERR_OK, NULL));
    CHECK(val_is(sc, lp_in, "{\"PageSize\":100}", ERR_OK, NULL));
    CHECK(val_is(ssm, ld_in,
                 "{\"Filters\":[{\"Key\":\"Owner\",\"Values\":[\"Self\"]}],\"MaxResults\":50,"
                 "\"DocumentFilterList\":[{\"key\":\"DocumentType\",\"value\":\"Automation\"}]}",
                 ERR_OK, NULL));
    CHECK(val_is(ssm, ld_in, "{\"Filters\":[],\"MaxResults\":1}", ERR_OK, NULL));
    CHECK_INT(proto_validate(ssm, ld_in, NULL, NULL), ERR_OK);
    CHECK_INT(proto_validate(ssm, MODEL_NONE, NULL, NULL), ERR_OK);

    /* required members */
    CHECK(val_is(ssm, ld_in, "{\"DocumentFilterList\":[{\"value\":\"x\"}]}", ERR_VALIDATION,
                 ONE "Value null at 'documentFilterList.1.member.key' " NOTNUL));
    CHECK(val_is(ssm, ld_in, "{\"DocumentFilterList\":[{\"key\":\"Name\",\"value\":null}]}",
                 ERR_VALIDATION, ONE "Value null at 'documentFilterList.1.member.value' " NOTNUL));
    CHECK(val_is(
        ssm, ld_in, "{\"DocumentFilterList\":[{\"key\":\"Name\",\"value\":\"a\"},{}]}",
        ERR_VALIDATION,
        "2 validation errors detected: Value null at 'documentFilterList.2.member.key' " NOTNUL
        "; Value null at 'documentFilterList.2.member.value' " NOTNUL));
    /* enums */
    CHECK(val_is(ssm, ld_in, "{\"DocumentFilterList\":[{\"key\":\"Bogus\",\"value\":\"v\"}]}",
                 ERR_VALIDATION,
                 ONE "Value 'Bogus' at 'documentFilterList.1.member.key' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [Name, Owner, "
                     "PlatformTypes, DocumentType]"));
    CHECK(val_is(ssm, ld_in, "{\"DocumentFilterList\":[{\"key\":\"name\",\"value\":\"v\"}]}",
                 ERR_VALIDATION,
                 ONE "Value 'name' at 'documentFilterList.1.member.key' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [Name, Owner, "
                     "PlatformTypes, DocumentType]"));
    /* string lengths, counted in characters */
    CHECK(val_is(ssm, ld_in, "{\"DocumentFilterList\":[{\"key\":\"Name\",\"value\":\"\"}]}",
                 ERR_VALIDATION,
                 ONE "Value '' at 'documentFilterList.1.member.value' failed to satisfy "
                     "constraint: Member must have length greater than or equal to 1"));
    char body[2048], want[2048];
    char key[129 * 2 + 1];
    memset(key, 'k', 129);
    key[129] = '\0';
    snprintf(body, sizeof(body), "{\"Filters\":[{\"Key\":\"%s\"}]}", key);
    snprintf(want, sizeof(want),
             ONE "Value '%s' at 'filters.1.member.key' failed to satisfy constraint: Member must "
                 "have length less than or equal to 128",
             key);
    CHECK(val_is(ssm, ld_in, body, ERR_VALIDATION, want));
    key[128] = '\0';
    snprintf(body, sizeof(body), "{\"Filters\":[{\"Key\":\"%s\"}]}", key);
    CHECK(val_is(ssm, ld_in, body, ERR_OK, NULL));
    for (int i = 0; i < 128; i++) key[2 * i] = '\xc3', key[2 * i + 1] = '\xa9'; /* 128 x e-acute */
    key[256] = '\0';
    snprintf(body, sizeof(body), "{\"Filters\":[{\"Key\":\"%s\"}]}", key);
    CHECK(val_is(ssm, ld_in, body, ERR_OK, NULL));
    CHECK(val_is(ssm, ld_in, "{\"Filters\":[{\"Key\":\"k\",\"Values\":[\"ok\",\"\"]}]}",
                 ERR_VALIDATION,
                 ONE "Value '' at 'filters.1.member.values.2.member' failed to satisfy "
                     "constraint: Member must have length greater than or equal to 1"));
    /* list lengths */
    CHECK(val_is(ssm, ld_in, "{\"DocumentFilterList\":[]}", ERR_VALIDATION,
                 ONE "Value '[]' at 'documentFilterList' failed to satisfy constraint: Member "
                     "must have length greater than or equal to 1"));
    CHECK(val_ends(ssm, ld_in, "{\"Filters\":[{},{},{},{},{},{},{}]}", ONE "Value '[",
                   "]' at 'filters' failed to satisfy constraint: Member must have length less "
                   "than or equal to 6"));
    /* numeric ranges */
    CHECK(val_is(ssm, ld_in, "{\"MaxResults\":0}", ERR_VALIDATION,
                 ONE "Value '0' at 'maxResults' failed to satisfy constraint: Member must have "
                     "value greater than or equal to 1"));
    CHECK(val_is(ssm, ld_in, "{\"MaxResults\":51}", ERR_VALIDATION,
                 ONE "Value '51' at 'maxResults' failed to satisfy constraint: Member must have "
                     "value less than or equal to 50"));
    CHECK(val_is(sc, lp_in, "{\"PageSize\":-1}", ERR_VALIDATION,
                 ONE "Value '-1' at 'pageSize' failed to satisfy constraint: Member must have "
                     "value greater than or equal to 0"));
    CHECK(val_is(sc, lp_in, "{\"PageSize\":101}", ERR_VALIDATION,
                 ONE "Value '101' at 'pageSize' failed to satisfy constraint: Member must have "
                     "value less than or equal to 100"));
    /* patterns (full match, as Java's matches()), checked on an output shape */
    CHECK(val_is(sc, lp_out, "{\"PortfolioDetails\":[{\"Id\":\"port-abc_123\"}]}", ERR_OK, NULL));
    CHECK(val_is(sc, lp_out, "{\"PortfolioDetails\":[{\"Id\":\"bad id!\"}]}", ERR_VALIDATION,
                 ONE "Value 'bad id!' at 'portfolioDetails.1.member.id' failed to satisfy "
                     "constraint: Member must satisfy regular expression pattern: "
                     "^[a-zA-Z0-9_\\-]*"));
    CHECK(val_is(ssm, ld_out,
                 "{\"DocumentIdentifiers\":[{\"DocumentVersion\":\"$LATEST\"},{\"DocumentVersion\":"
                 "\"12\"},{\"DocumentVersion\":\"012\"}]}",
                 ERR_VALIDATION,
                 ONE "Value '012' at 'documentIdentifiers.3.member.documentVersion' failed to "
                     "satisfy constraint: Member must satisfy regular expression pattern: "
                     "([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)"));
    CHECK(val_is(sc, lp_in, "{\"PageToken\":\"tab\\tnew\\nline \\u00e9\\ud7ff\"}", ERR_OK, NULL));

    /* several failures: model order, joined with "; ", the count first */
    CHECK(val_is(
        ssm, ld_in,
        "{\"MaxResults\":0,\"Filters\":[{\"Key\":\"\"}],\"DocumentFilterList\":[{\"key\":"
        "\"X\"}]}",
        ERR_VALIDATION,
        "4 validation errors detected: Value 'X' at 'documentFilterList.1.member.key' "
        "failed to satisfy constraint: Member must satisfy enum value set: [Name, Owner, "
        "PlatformTypes, DocumentType]; Value null at 'documentFilterList.1.member.value' " NOTNUL
        "; Value '' at 'filters.1.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value '0' at 'maxResults' "
        "failed to satisfy constraint: Member must have value greater than or equal to 1"));
}

/* Regression (was a bug in src/proto/validate.c val_fail): when the joined message passes its cap,
 * the last entry is cut in the middle ("...; Value null"); only whole entries should be kept. */
static void test_validate_many(void)
{
    CHECK(val_ends(
        ssm, ld_in, "{\"DocumentFilterList\":[{},{},{},{},{},{},{},{}]}",
        "16 validation errors detected: Value null at 'documentFilterList.1.member.key' " NOTNUL
        "; ",
        NOTNUL));
}

/* Regression (was a bug in AWS divergence, src/proto/validate.c + tools/gen_model.py): the pattern
 * in the message is the PCRE2 translation ("\x{9}") rather than the model's text ("\u0009"), which
 * is what AWS quotes. */
static void test_validate_pattern_text(void)
{
    CHECK(val_is(sc, lp_in, "{\"PageToken\":\"a\\u0001b\"}", ERR_VALIDATION,
                 ONE "Value 'a\001b' at 'pageToken' failed to satisfy constraint: Member must "
                     "satisfy regular expression pattern: "
                     "[\\u0009\\u000a\\u000d\\u0020-\\uD7FF\\uE000-\\uFFFD]*"));
}

/* ---- encoding */

static bool enc_is(const model_service_t *svc, uint16_t shape, const char *tree_json,
                   const char *want)
{
    cJSON *t = tree_json ? cJSON_Parse(tree_json) : NULL;
    if (tree_json && !t) {
        fprintf(stderr, "bad test tree %s\n", tree_json);
        return false;
    }
    buf_t out;
    buf_init(&out, 1 << 16);
    bool ok = proto_json_encode(svc, shape, t, &out) && strcmp(buf_str(&out), want) == 0;
    if (!ok) fprintf(stderr, "encode\n  got:  %s\n  want: %s\n", buf_str(&out), want);
    buf_free(&out);
    cJSON_Delete(t);
    return ok;
}

static void test_encode_golden(void)
{
    /* ListPortfolios: model order, unknown members dropped, AWS's timestamp form, escapes */
    CHECK(enc_is(
        sc, lp_out,
        "{\"NextPageToken\":\"tok+/=\",\"Extra\":[1],\"PortfolioDetails\":[{\"ProviderName\":"
        "\"Ops\",\"CreatedTime\":1577222793.362,\"Bogus\":1,\"Id\":\"port-abc123\",\"ARN\":"
        "\"arn:aws:catalog:us-east-1:123456789012:portfolio/port-abc123\",\"DisplayName\":"
        "\"Team \\\"A\\\" \\\\ </ops>\",\"Description\":\"caf\\u00e9 \\u65e5\\u672c "
        "l1\\nl2\\r\\ttab\\b\\f\\u0001\\u001f\\u007f\"},{\"Id\":\"port-2\",\"CreatedTime\":"
        "1577222793,\"Description\":null}]}",
        "{\"PortfolioDetails\":[{\"Id\":\"port-abc123\",\"ARN\":\"arn:aws:catalog:us-east-1:"
        "123456789012:portfolio/port-abc123\",\"DisplayName\":\"Team \\\"A\\\" \\\\ </ops>\","
        "\"Description\":\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac l1\\nl2\\r\\ttab\\b\\f\\u0001"
        "\\u001f\x7f\",\"CreatedTime\":1577222793.362,\"ProviderName\":\"Ops\"},{\"Id\":"
        "\"port-2\",\"CreatedTime\":1577222793.000}],\"NextPageToken\":\"tok+/=\"}"));
    /* ListDocuments */
    CHECK(enc_is(ssm, ld_out,
                 "{\"NextToken\":\"n\",\"DocumentIdentifiers\":[{\"Unknown\":\"x\",\"Tags\":[],"
                 "\"TargetType\":\"/AWS::EC2::Instance\",\"DocumentFormat\":\"JSON\","
                 "\"SchemaVersion\":\"0.3\",\"DocumentType\":\"Automation\",\"DocumentVersion\":"
                 "\"1\",\"PlatformTypes\":[\"Windows\",\"Linux\",\"MacOS\"],\"Owner\":\"Amazon\","
                 "\"CreatedDate\":1577222793.362,\"Name\":\"AWS-RestartEC2Instance\","
                 "\"Requires\":[{\"Version\":\"1\",\"Name\":\"dep\"}]}]}",
                 "{\"DocumentIdentifiers\":[{\"Name\":\"AWS-RestartEC2Instance\",\"CreatedDate\":"
                 "1577222793.362,\"Owner\":\"Amazon\",\"PlatformTypes\":[\"Windows\",\"Linux\","
                 "\"MacOS\"],\"DocumentVersion\":\"1\",\"DocumentType\":\"Automation\","
                 "\"SchemaVersion\":\"0.3\",\"DocumentFormat\":\"JSON\",\"TargetType\":"
                 "\"/AWS::EC2::Instance\",\"Tags\":[],\"Requires\":[{\"Name\":\"dep\","
                 "\"Version\":\"1\"}]}],\"NextToken\":\"n\"}"));
    /* empty output */
    CHECK(enc_is(ssm, ld_out, "{}", "{}"));
    CHECK(enc_is(ssm, ld_out, "{\"DocumentIdentifiers\":[]}", "{\"DocumentIdentifiers\":[]}"));
    CHECK(enc_is(ssm, MODEL_NONE, "{\"a\":1}", "{}"));
    CHECK(enc_is(ssm, ld_out, NULL, "{}"));
    /* a request tree round-trips to model order */
    cJSON *t = NULL;
    errbuf_t eb;
    CHECK_INT(proto_json_decode(ssm, ld_in,
                                SPAN_LIT("{\"MaxResults\":5,\"Filters\":[{\"Values\":[\"a\",\"b\"],"
                                         "\"Key\":\"Owner\"}],\"X\":1}"),
                                &t, &eb),
              ERR_OK);
    buf_t out;
    buf_init(&out, 4096);
    CHECK(proto_json_encode(ssm, ld_in, t, &out));
    CHECK_STR(buf_str(&out),
              "{\"Filters\":[{\"Key\":\"Owner\",\"Values\":[\"a\",\"b\"]}],\"MaxResults\":5}");
    /* the cap: false when the body would not fit */
    buf_t small;
    buf_init(&small, 10);
    CHECK(!proto_json_encode(ssm, ld_in, t, &small));
    CHECK(small.len <= 10);
    buf_free(&small);
    buf_free(&out);
    cJSON_Delete(t);
}

/* Regression (was a bug in src/proto/json_out.c jw_value MT_TIMESTAMP): an instant before the epoch
 * with a fraction is written as "-1.-500" (not JSON); ms / 1000 and ms % 1000 share the sign. */
static void test_encode_negative_timestamps(void)
{
    CHECK(enc_is(sc, lp_out,
                 "{\"PortfolioDetails\":[{\"CreatedTime\":-1.5},{\"CreatedTime\":-0.25},"
                 "{\"CreatedTime\":-86400}]}",
                 "{\"PortfolioDetails\":[{\"CreatedTime\":-1.500},{\"CreatedTime\":-0.250},"
                 "{\"CreatedTime\":-86400.000}]}"));
}

static void test_json_escape(void)
{
    buf_t b;
    buf_init(&b, 256);
    CHECK(proto_json_escape(&b, span_make("a\"b\\c/\n\r\t\b\f\x01\x1f\x20\x7f\0z", 17)));
    CHECK_STR(buf_str(&b), "a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f \x7f\\u0000z");
    buf_reset(&b);
    CHECK(proto_json_escape(&b, span_of("\xe2\x80\xa8 \xf0\x9f\x98\x80"))); /* U+2028, U+1F600 */
    CHECK_STR(buf_str(&b), "\xe2\x80\xa8 \xf0\x9f\x98\x80");
    buf_free(&b);
    buf_init(&b, 5);
    CHECK(!proto_json_escape(&b, span_of("\x01"))); /* 6 bytes > 5 */
    buf_free(&b);
}

static void test_path_member(void)
{
    buf_t b;
    buf_init(&b, 64);
    proto_path_member(&b, "DocumentFilterList");
    CHECK_STR(buf_str(&b), "documentFilterList");
    buf_reset(&b);
    proto_path_member(&b, "key");
    CHECK_STR(buf_str(&b), "key");
    buf_reset(&b);
    proto_path_member(&b, "");
    CHECK_STR(buf_str(&b), "");
    buf_free(&b);
}

int main(void)
{
    setup();
    test_decode_conforms();
    test_decode_timestamps();
    test_decode_wrong_types();
    test_decode_malformed();
    test_decode_deep();
    test_validate();
    test_validate_many();
    test_validate_pattern_text();
    test_encode_golden();
    test_encode_negative_timestamps();
    test_json_escape();
    test_path_member();
    return CHECK_DONE();
}
