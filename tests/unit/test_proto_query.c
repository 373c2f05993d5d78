/* test_proto_query.c - the query codec (form parsing, shape-driven decoding of Name.member.N
 * lists), the XML success documents and the three error documents of aws-api.md section 6,
 * as golden bytes (curl-style); each golden document was also parsed with Debian botocore
 * 1.29.27's QueryParser / EC2QueryParser / JSON error parser. */
#include "proto/proto.h"

#include "check.h"
#include "core/arena.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const model_service_t *sc, *ssm, *sts, *iam, *ec2;
static uint16_t lp_in, ld_in, ld_out, gci_in, gci_out;

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
    sts = model_service("sts");
    iam = model_service("iam");
    ec2 = model_service("ec2");
    CHECK(sc && ssm && sts && iam && ec2);
    if (!sc || !ssm || !sts || !iam || !ec2) exit(1);
    CHECK_INT(sts->protocol, MP_QUERY);
    CHECK_INT(ec2->protocol, MP_EC2);
    CHECK_STR(sts->xml_ns, "https://sts.amazonaws.com/doc/2011-06-15/");
    lp_in = shape_named(sc, "ListPortfoliosInput");
    ld_in = shape_named(ssm, "ListDocumentsRequest");
    ld_out = shape_named(ssm, "ListDocumentsResult");
    gci_in = shape_named(sts, "GetCallerIdentityRequest");
    gci_out = shape_named(sts, "GetCallerIdentityResponse");
    bool all = lp_in != MODEL_NONE && ld_in != MODEL_NONE && ld_out != MODEL_NONE &&
               gci_in != MODEL_NONE && gci_out != MODEL_NONE;
    CHECK(all);
    if (!all) exit(1);
}

/* ---- form parsing */

/* Renders pairs as "k=v&k=v" in their order, a NUL byte as "\0". */
static void dump(const proto_params_t *ps, buf_t *b)
{
    buf_reset(b);
    for (size_t i = 0; i < ps->n; i++) {
        if (i) buf_addc(b, '&');
        for (size_t k = 0; k < ps->v[i].key_len; k++)
            ps->v[i].key[k] ? buf_addc(b, ps->v[i].key[k]) : buf_adds(b, "\\0");
        buf_addc(b, '=');
        for (size_t k = 0; k < ps->v[i].value_len; k++)
            ps->v[i].value[k] ? buf_addc(b, ps->v[i].value[k]) : buf_adds(b, "\\0");
    }
}

static bool form_is(const char *form, const char *want)
{
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb = {{0}};
    buf_t b;
    buf_init(&b, 8192);
    err_t rc = proto_form_parse(span_of(form), &a, 100, &ps, &eb);
    if (rc == ERR_OK) dump(&ps, &b);
    bool ok = rc == ERR_OK && strcmp(buf_str(&b), want) == 0;
    if (!ok)
        fprintf(stderr, "form [%s]\n  got:  rc=%d %s%s\n  want: %s\n", form, rc, eb.msg,
                buf_str(&b), want);
    buf_free(&b);
    arena_free(&a);
    return ok;
}

static bool form_fails(const char *form, size_t max, const char *msg)
{
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb = {{0}};
    err_t rc = proto_form_parse(span_of(form), &a, max, &ps, &eb);
    bool ok = rc == ERR_SERIALIZATION && strcmp(eb.msg, msg) == 0;
    if (!ok) fprintf(stderr, "form [%s]\n  got:  rc=%d %s\n  want: %s\n", form, rc, eb.msg, msg);
    arena_free(&a);
    return ok;
}

#define BAD_ESCAPE "The query string has a malformed percent-escape"

static void test_form_parse(void)
{
    CHECK(form_is("Version=2011-06-15&Action=GetCallerIdentity",
                  "Action=GetCallerIdentity&Version=2011-06-15"));
    /* '+' is a space, %XX either case, empty values, a missing '=', an empty key */
    CHECK(form_is("b=%41%2f%2F&a=1+2&c=&d&=e&x+y=%2B%25", "=e&a=1 2&b=A//&c=&d=&x y=+%"));
    CHECK(form_is("a=b=c", "a=b=c")); /* only the first '=' splits */
    /* a key given twice keeps its last value (AWS's behaviour), however the sort ties */
    CHECK(form_is("a=1&b=2&a=3", "a=3&b=2"));
    CHECK(form_is("k=1&k=2&k=3&k=4&k=5&k=6&k=7&k=8&k=9", "k=9"));
    CHECK(form_is("k=&k=x", "k=x"));
    CHECK(form_is("&&a=1&&", "a=1"));
    CHECK(form_is("", ""));
    CHECK(form_is("&", ""));
    /* bytewise order: upper case before '_' before lower case; "1." < "10" < "2" */
    CHECK(form_is("B=1&a=2&A=3&_=4&%7E=5", "A=3&B=1&_=4&a=2&~=5"));
    CHECK(form_is("F.member.2.K=b&F.member.10.K=j&F.member.1.K=a",
                  "F.member.1.K=a&F.member.10.K=j&F.member.2.K=b"));
    /* UTF-8 through escapes */
    CHECK(form_is("n=caf%C3%A9", "n=caf\xc3\xa9"));
    /* the aws-api.md 1.2 capture */
    CHECK(form_is("Action=SimulatePrincipalPolicy&Version=2010-05-08&ActionNames.member.1="
                  "ssm%3AStartAutomationExecution&ContextEntries.member.1.ContextKeyName=aws%3A"
                  "SourceIp&ContextEntries.member.1.ContextKeyValues.member.1=1.2.3.4&"
                  "ContextEntries.member.1.ContextKeyType=ip",
                  "Action=SimulatePrincipalPolicy&ActionNames.member.1=ssm:StartAutomationExecution"
                  "&ContextEntries.member.1.ContextKeyName=aws:SourceIp&ContextEntries.member.1."
                  "ContextKeyType=ip&ContextEntries.member.1.ContextKeyValues.member.1=1.2.3.4&"
                  "Version=2010-05-08"));

    CHECK(form_fails("a=%", 100, BAD_ESCAPE));
    CHECK(form_fails("a=%4", 100, BAD_ESCAPE));
    CHECK(form_fails("a=%zz", 100, BAD_ESCAPE));
    CHECK(form_fails("%G0=1", 100, BAD_ESCAPE));
    CHECK(form_fails("%=1", 100, BAD_ESCAPE));
    CHECK(form_fails("a=1&b=2&c=%4g", 100, BAD_ESCAPE));
    /* the parameter cap */
    CHECK(form_fails("a=1&b=2&c=3", 2, "The request has more than 2 parameters"));
    CHECK(form_is("a=1&b=2&c=3", "a=1&b=2&c=3"));
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb;
    CHECK_INT(proto_form_parse(SPAN_LIT("a=1&b=2&c=3"), &a, 3, &ps, &eb), ERR_OK);
    CHECK_INT(ps.n, 3);
    /* lookups */
    CHECK_INT(proto_form_parse(SPAN_LIT("Version=1&Action=X&=e&Actions=Y"), &a, 10, &ps, &eb),
              ERR_OK);
    const proto_param_t *p = proto_param_get(&ps, "Action");
    CHECK(p && strcmp(p->value, "X") == 0 && p->value_len == 1 && p->key_len == 6);
    p = proto_param_get(&ps, "Actions");
    CHECK(p && strcmp(p->value, "Y") == 0);
    CHECK(proto_param_get(&ps, "Actio") == NULL);
    CHECK(proto_param_get(&ps, "action") == NULL);
    CHECK(proto_param_get(&ps, "Z") == NULL);
    p = proto_param_get(&ps, "");
    CHECK(p && strcmp(p->value, "e") == 0);
    proto_params_t none = {0};
    CHECK(proto_param_get(&none, "Action") == NULL);
    arena_free(&a);
}

/* Regression (was a bug in src/proto/query_in.c proto_form_parse): %00 puts a NUL inside a key or
 * value; keys are then compared with strcmp (so "Action%00x" sorts and looks up as "Action") and
 * values are cut at the NUL by the decoder. A pair with an embedded NUL should be refused
 * (MalformedQueryString). */
static void test_form_nul(void)
{
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb;
    err_t rc = proto_form_parse(SPAN_LIT("Action%00Evil=DeleteUser&Action=GetCallerIdentity"), &a,
                                10, &ps, &eb);
    const proto_param_t *p = rc == ERR_OK ? proto_param_get(&ps, "Action") : NULL;
    CHECK(rc != ERR_OK || (p && strcmp(p->value, "GetCallerIdentity") == 0));
    rc = proto_form_parse(SPAN_LIT("PageToken=abc%00def"), &a, 10, &ps, &eb);
    CHECK(rc != ERR_OK || (ps.n == 1 && strlen(ps.v[0].value) == ps.v[0].value_len));
    arena_free(&a);
}

/* ---- query decoding */

/* Parses form and decodes it against shape; compares the tree printed compactly. */
static bool qdec_is(const model_service_t *svc, uint16_t shape, const char *form, const char *want)
{
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb = {{0}};
    cJSON *t = NULL;
    err_t rc = proto_form_parse(span_of(form), &a, 1000, &ps, &eb);
    if (rc == ERR_OK) rc = proto_query_decode(svc, shape, &ps, &t, &eb);
    char *got = rc == ERR_OK && t ? cJSON_PrintUnformatted(t) : NULL;
    bool ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "query [%s]\n  got:  rc=%d %s %s\n  want: %s\n", form, rc, got ? got : "",
                eb.msg, want);
    cJSON_free(got);
    cJSON_Delete(t);
    arena_free(&a);
    return ok;
}

/* Expects decoding (want_validate false) or validation after it to fail with rc and msg. */
static bool qdec_fails(const model_service_t *svc, uint16_t shape, const char *form,
                       bool in_validate, err_t want_rc, const char *msg)
{
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb = {{0}};
    cJSON *t = NULL;
    err_t rc = proto_form_parse(span_of(form), &a, 1000, &ps, &eb);
    if (rc == ERR_OK) rc = proto_query_decode(svc, shape, &ps, &t, &eb);
    bool decoded = rc == ERR_OK;
    if (decoded) rc = proto_validate(svc, shape, t, &eb);
    bool ok = decoded == in_validate && rc == want_rc && strcmp(eb.msg, msg) == 0;
    if (!ok)
        fprintf(stderr, "query [%s]\n  got:  rc=%d (%s) %s\n  want: rc=%d %s\n", form, rc,
                decoded ? "in validate" : "in decode", eb.msg, want_rc, msg);
    cJSON_Delete(t);
    arena_free(&a);
    return ok;
}

#define ONE "1 validation error detected: "

static void test_query_decode(void)
{
    CHECK(qdec_is(sts, gci_in, "Action=GetCallerIdentity&Version=2011-06-15", "{}"));
    CHECK(qdec_is(sts, MODEL_NONE, "Action=DeleteUser&UserName=bob", "{}"));
    /* the shape drives the decoding, whatever the service's own protocol */
    CHECK(qdec_is(ssm, ld_in,
                  "Action=ListDocuments&Filters.member.1.Key=Owner&Filters.member.1.Values.member.1"
                  "=Self",
                  "{\"Filters\":[{\"Key\":\"Owner\",\"Values\":[\"Self\"]}]}"));
    /* out of order, gapped, and 10 after 2 (numeric order, not bytewise) */
    CHECK(qdec_is(ssm, ld_in,
                  "Filters.member.10.Key=J&Filters.member.3.Key=C&Filters.member.1.Key=A&"
                  "Filters.member.2.Values.member.2=y&Filters.member.2.Values.member.1=x",
                  "{\"Filters\":[{\"Key\":\"A\"},{\"Values\":[\"x\",\"y\"]},{\"Key\":\"C\"},"
                  "{\"Key\":\"J\"}]}"));
    /* every member, scalars converted, in model order */
    CHECK(qdec_is(ssm, ld_in,
                  "NextToken=a%2Bb+c&MaxResults=10&DocumentFilterList.member.1.value=Self&"
                  "DocumentFilterList.member.1.key=Owner&Filters.member.1.Key=k",
                  "{\"DocumentFilterList\":[{\"key\":\"Owner\",\"value\":\"Self\"}],\"Filters\":"
                  "[{\"Key\":\"k\"}],\"MaxResults\":10,\"NextToken\":\"a+b c\"}"));
    CHECK(qdec_is(sc, lp_in, "PageSize=20&PageToken=t&AcceptLanguage=en",
                  "{\"AcceptLanguage\":\"en\",\"PageToken\":\"t\",\"PageSize\":20}"));
    CHECK(qdec_is(sc, lp_in, "PageSize=-2147483648&PageToken=",
                  "{\"PageToken\":\"\",\"PageSize\":-2147483648}"));
    /* botocore's empty list is "Name=" */
    CHECK(qdec_is(ssm, ld_in, "Filters=", "{\"Filters\":[]}"));
    CHECK(qdec_is(ssm, ld_in, "Filters.member.1.Key=k&Filters.member.1.Values=",
                  "{\"Filters\":[{\"Key\":\"k\",\"Values\":[]}]}"));
    /* indexes that are not 1.. are ignored; so are unknown and wrong-case names */
    CHECK(qdec_is(ssm, ld_in,
                  "Filters.member.0.Key=Z&Filters.member.x.Key=Y&Filters.member.-1.Key=W&"
                  "Filters.member..Key=V",
                  "{}"));
    CHECK(
        qdec_is(ssm, ld_in, "filters.member.1.Key=a&Bogus=1&maxresults=5&Filters.1.Key=ec2", "{}"));

    /* conversions that fail carry the validation wording */
    CHECK(qdec_fails(ssm, ld_in, "MaxResults=abc", false, ERR_VALIDATION,
                     ONE "Value 'abc' at 'maxResults' failed to satisfy constraint: Member must "
                         "be an integer"));
    CHECK(qdec_fails(ssm, ld_in, "MaxResults=", false, ERR_VALIDATION,
                     ONE "Value '' at 'maxResults' failed to satisfy constraint: Member must be "
                         "an integer"));
    CHECK(qdec_fails(ssm, ld_in, "MaxResults=1.0", false, ERR_VALIDATION,
                     ONE "Value '1.0' at 'maxResults' failed to satisfy constraint: Member must "
                         "be an integer"));
    CHECK(qdec_fails(sc, lp_in, "PageSize=2147483648", false, ERR_VALIDATION,
                     ONE "Value '2147483648' at 'pageSize' failed to satisfy constraint: Member "
                         "must be an integer"));
    CHECK(qdec_fails(sc, lp_in, "PageSize=99999999999999999999", false, ERR_VALIDATION,
                     ONE "Value '99999999999999999999' at 'pageSize' failed to satisfy "
                         "constraint: Member must be an integer"));
    /* and then the validator */
    CHECK(qdec_fails(sc, lp_in, "PageSize=-5", true, ERR_VALIDATION,
                     ONE "Value '-5' at 'pageSize' failed to satisfy constraint: Member must have "
                         "value greater than or equal to 0"));
    CHECK(qdec_fails(ssm, ld_in, "DocumentFilterList=", true, ERR_VALIDATION,
                     ONE "Value '[]' at 'documentFilterList' failed to satisfy constraint: Member "
                         "must have length greater than or equal to 1"));
    CHECK(qdec_fails(ssm, ld_in, "Filters.member.1.Key=&Filters.member.1.Values.member.1=v", true,
                     ERR_VALIDATION,
                     ONE "Value '' at 'filters.1.member.key' failed to satisfy constraint: Member "
                         "must have length greater than or equal to 1"));
    CHECK(qdec_fails(ssm, ld_in, "DocumentFilterList.member.1.key=Owner", true, ERR_VALIDATION,
                     ONE "Value null at 'documentFilterList.1.member.value' failed to satisfy "
                         "constraint: Member must not be null"));
}

static void test_query_timestamps(void)
{
    /* timestamps (on an output shape): ISO 8601 or epoch seconds */
    arena_t a;
    arena_init(&a);
    proto_params_t ps = {0};
    errbuf_t eb;
    cJSON *t = NULL;
    CHECK_INT(proto_form_parse(SPAN_LIT("DocumentIdentifiers.member.1.CreatedDate=2019-12-24T21%3A"
                                        "26%3A33.362Z&DocumentIdentifiers.member.2.CreatedDate="
                                        "1577222793.362"),
                               &a, 100, &ps, &eb),
              ERR_OK);
    CHECK_INT(proto_query_decode(ssm, ld_out, &ps, &t, &eb), ERR_OK);
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(t, "DocumentIdentifiers");
    CHECK_INT(cJSON_GetArraySize(l), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, i), "CreatedDate");
        CHECK(cJSON_IsNumber(d) && fabs(d->valuedouble - 1577222793.362) < 1e-6);
    }
    cJSON_Delete(t);
    arena_free(&a);
    CHECK(qdec_fails(ssm, ld_out,
                     "DocumentIdentifiers.member.1.Name=n&DocumentIdentifiers.member.2.CreatedDate"
                     "=nope",
                     false, ERR_VALIDATION,
                     ONE "Value 'nope' at 'documentIdentifiers.2.member.createdDate' failed to "
                         "satisfy constraint: Member must be a timestamp"));
}

/* ---- XML success documents */

static bool xml_is(const model_service_t *svc, const char *op, const char *wrapper, uint16_t shape,
                   const char *tree_json, const char *rid, const char *want)
{
    cJSON *t = tree_json ? cJSON_Parse(tree_json) : NULL;
    buf_t out;
    buf_init(&out, 1 << 16);
    bool ok = (!tree_json || t) && proto_xml_encode(svc, op, wrapper, shape, t, rid, &out) &&
              strcmp(buf_str(&out), want) == 0;
    if (!ok) fprintf(stderr, "xml %s\n  got:  %s\n  want: %s\n", op, buf_str(&out), want);
    buf_free(&out);
    cJSON_Delete(t);
    return ok;
}

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"
#define RID    "c6104cbe-af31-11e0-8154-cbc7ccf896c7"

static void test_xml_golden(void)
{
    /* GetCallerIdentity: the model's member order, not the tree's */
    CHECK(xml_is(sts, "GetCallerIdentity", "GetCallerIdentityResult", gci_out,
                 "{\"Arn\":\"arn:aws:iam::123456789012:user/bob\",\"Bogus\":\"x\",\"UserId\":"
                 "\"AIDAEXAMPLE\",\"Account\":\"123456789012\"}",
                 RID,
                 "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
                 "<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:iam::"
                 "123456789012:user/bob</Arn></GetCallerIdentityResult><ResponseMetadata>"
                 "<RequestId>" RID "</RequestId></ResponseMetadata></GetCallerIdentityResponse>"));
    /* a role session; an absent member is left out */
    CHECK(xml_is(sts, "GetCallerIdentity", "GetCallerIdentityResult", gci_out,
                 "{\"UserId\":\"AROAEXAMPLE:sess\",\"Arn\":\"arn:aws:sts::123456789012:assumed-"
                 "role/Ops/sess\",\"Account\":null}",
                 "r",
                 "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
                 "<UserId>AROAEXAMPLE:sess</UserId><Arn>arn:aws:sts::123456789012:assumed-role/"
                 "Ops/sess</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>r"
                 "</RequestId></ResponseMetadata></GetCallerIdentityResponse>"));
    /* XML escaping */
    CHECK(xml_is(sts, "GetCallerIdentity", "GetCallerIdentityResult", gci_out,
                 "{\"UserId\":\"a<b>&\\\"'\\r\\n\\tc \\u00e9\"}", "r",
                 "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
                 "<UserId>a&lt;b&gt;&amp;&quot;&apos;&#13;\n\tc \xc3\xa9</UserId>"
                 "</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId>"
                 "</ResponseMetadata></GetCallerIdentityResponse>"));
    /* an operation without output: only the metadata */
    CHECK(xml_is(iam, "DeleteUser", NULL, MODEL_NONE, NULL, "r",
                 "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                 "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
                 "</DeleteUserResponse>"));
    /* ec2: the XML declaration, requestId, no result wrapper */
    CHECK(xml_is(ec2, "StopInstances", NULL, MODEL_NONE, NULL, "r",
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<StopInstancesResponse "
                 "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>"
                 "</StopInstancesResponse>"));

    /* lists, nested lists and timestamps (shape-driven, on ssm's output shape) */
    cJSON *t = cJSON_Parse("{\"NextToken\":\"n\",\"DocumentIdentifiers\":[{\"Tags\":[],"
                           "\"PlatformTypes\":[\"Windows\",\"Linux\"],\"CreatedDate\":"
                           "1577222793.362,\"Name\":\"AWS-RestartEC2Instance\"},{\"CreatedDate\":"
                           "-0.5,\"Requires\":[{\"Name\":\"d\",\"Version\":\"1\"}]}]}");
    CHECK(t != NULL);
    buf_t out;
    buf_init(&out, 4096);
    CHECK(proto_xml_encode(ssm, "ListDocuments", "ListDocumentsResult", ld_out, t, "r", &out));
    const char *body = strstr(buf_str(&out), "<ListDocumentsResult>");
    CHECK_STR(body, "<ListDocumentsResult><DocumentIdentifiers><member><Name>AWS-RestartEC2Instance"
                    "</Name><CreatedDate>2019-12-24T21:26:33.362Z</CreatedDate><PlatformTypes>"
                    "<member>Windows</member><member>Linux</member></PlatformTypes><Tags></Tags>"
                    "</member><member><CreatedDate>1969-12-31T23:59:59.500Z</CreatedDate>"
                    "<Requires><member><Name>d</Name><Version>1</Version></member></Requires>"
                    "</member></DocumentIdentifiers><NextToken>n</NextToken>"
                    "</ListDocumentsResult><ResponseMetadata><RequestId>r</RequestId>"
                    "</ResponseMetadata></ListDocumentsResponse>");
    /* the cap */
    buf_t small;
    buf_init(&small, 64);
    CHECK(!proto_xml_encode(ssm, "ListDocuments", "ListDocumentsResult", ld_out, t, "r", &small));
    CHECK(small.len <= 64);
    buf_free(&small);
    buf_free(&out);
    cJSON_Delete(t);
}

/* Regression (was a bug in src/proto/xml_out.c proto_xml_escape): control characters other than
 * TAB, LF and CR are not allowed in XML 1.0, even as character references; written raw they make
 * the whole document unparsable for botocore (expat: "not well-formed (invalid token)"). They
 * should be dropped or replaced (U+FFFD). */
static void test_xml_control_chars(void)
{
    buf_t b;
    buf_init(&b, 256);
    CHECK(proto_xml_escape(&b, span_of("a\x01"
                                       "b\x1f"
                                       "c\x0b")));
    CHECK(strpbrk(buf_str(&b), "\x01\x1f\x0b") == NULL);
    CHECK(strstr(buf_str(&b), "&#x1;") == NULL && strstr(buf_str(&b), "&#1;") == NULL);
    buf_free(&b);
}

static void test_xml_escape(void)
{
    buf_t b;
    buf_init(&b, 256);
    CHECK(proto_xml_escape(&b, span_of("<a href=\"x\">&amp;'</a>\r\n")));
    CHECK_STR(buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&amp;amp;&apos;&lt;/a&gt;&#13;\n");
    buf_reset(&b);
    CHECK(proto_xml_escape(&b, span_of("")));
    CHECK_STR(buf_str(&b), "");
    buf_free(&b);
    buf_init(&b, 4);
    CHECK(!proto_xml_escape(&b, span_of("&"))); /* "&amp;" is 5 > 4 */
    buf_free(&b);
}

/* ---- error documents (aws-api.md section 6) */

static bool err_is(err_proto_t p, const char *ns, err_t e, const char *msg, const char *rid,
                   int status, const char *ctype, const char *want)
{
    buf_t out;
    buf_init(&out, 8192);
    proto_error_doc_t d = proto_error_encode(p, ns, e, msg, rid, &out);
    bool ok = d.status == status && d.content_type && strcmp(d.content_type, ctype) == 0 &&
              strcmp(buf_str(&out), want) == 0;
    if (!ok)
        fprintf(stderr, "error %d/%d\n  got:  %d %s %s\n  want: %d %s %s\n", p, e, d.status,
                d.content_type ? d.content_type : "(null)", buf_str(&out), status, ctype, want);
    buf_free(&out);
    return ok;
}

#define JSON_CT  "application/x-amz-json-1.1"
#define IAM_NS   "https://iam.amazonaws.com/doc/2010-05-08/"
#define EC2_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"
#define DENIED                                                                                     \
    "User: arn:aws:sts::111111111111:assumed-role/host/session is not authorized to perform: "     \
    "sts:AssumeRole on resource: arn:aws:iam::222222222222:role/tenant"

/* {"__type":code,"message":msg} in awsJson1_1 */
static bool json_err(err_t e, int status, const char *code)
{
    char want[256];
    snprintf(want, sizeof(want), "{\"__type\":\"%s\",\"message\":\"m\"}", code);
    return err_is(ERR_PROTO_JSON, NULL, e, "m", "r", status, JSON_CT, want);
}

/* <ErrorResponse> in query; Type is Receiver for 5xx, else Sender */
static bool query_err(err_t e, int status, const char *code)
{
    char want[512];
    snprintf(want, sizeof(want),
             "<ErrorResponse xmlns=\"" IAM_NS "\"><Error><Type>%s</Type><Code>%s</Code><Message>m"
             "</Message></Error><RequestId>r</RequestId></ErrorResponse>",
             status >= 500 ? "Receiver" : "Sender", code);
    return err_is(ERR_PROTO_QUERY, IAM_NS, e, "m", "r", status, "text/xml", want);
}

static bool ec2_err(err_t e, int status, const char *code)
{
    char want[512];
    snprintf(want, sizeof(want),
             EC2_HEAD "%s</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID>"
                      "</Response>",
             code);
    return err_is(ERR_PROTO_EC2, NULL, e, "m", "r", status, "text/xml;charset=UTF-8", want);
}

/* Statuses are pinned where aws-api.md section 6 documents them (captures, fixtures, the
 * models' httpStatusCode); elsewhere the document must carry err.h's status (err_status). */
static void test_error_docs(void)
{
    const err_proto_t J = ERR_PROTO_JSON, Q = ERR_PROTO_QUERY, E = ERR_PROTO_EC2;
    /* awsJson1_1 (6.1): client errors 400, server errors 500 */
    CHECK(err_is(J, NULL, ERR_SC_NOT_FOUND, "Portfolio port-1 not found \"x\"\n",
                 "5528602a-a9ef-427c-825c-f82c31b814f5", 400, JSON_CT,
                 "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Portfolio port-1 not "
                 "found \\\"x\\\"\\n\"}"));
    CHECK(err_is(J, NULL, ERR_VALIDATION, NULL, "r", 400, JSON_CT,
                 "{\"__type\":\"ValidationException\",\"message\":\"\"}"));
    CHECK(json_err(ERR_ACCESS_DENIED, 400, "AccessDeniedException"));
    CHECK(json_err(ERR_SERIALIZATION, 400, "SerializationException"));
    CHECK(json_err(ERR_MISSING_PARAMETER, 400, "ValidationException"));
    CHECK(json_err(ERR_SSM_INVALID_FILTER_KEY, 400, "InvalidFilterKey"));
    CHECK(json_err(ERR_SSM_INVALID_NEXT_TOKEN, 400, "InvalidNextToken"));
    CHECK(json_err(ERR_INTERNAL, 500, "InternalFailure"));
    CHECK(json_err(ERR_UNKNOWN_OPERATION, err_status(ERR_UNKNOWN_OPERATION, J),
                   "UnknownOperationException"));
    CHECK(json_err(ERR_THROTTLING, err_status(ERR_THROTTLING, J), "ThrottlingException"));
    CHECK(json_err(ERR_INVALID_CLIENT_TOKEN, err_status(ERR_INVALID_CLIENT_TOKEN, J),
                   "UnrecognizedClientException"));
    CHECK(json_err(ERR_SIGNATURE_MISMATCH, err_status(ERR_SIGNATURE_MISMATCH, J),
                   "InvalidSignatureException"));
    CHECK(json_err(ERR_MISSING_AUTH, err_status(ERR_MISSING_AUTH, J),
                   "MissingAuthenticationTokenException"));
    CHECK(json_err(ERR_UNAVAILABLE, err_status(ERR_UNAVAILABLE, J), "ServiceUnavailable"));

    /* query (6.2): the refused AssumeRole fixture, byte for byte */
    CHECK(err_is(Q, STS_NS, ERR_ACCESS_DENIED, DENIED, "r", 403, "text/xml",
                 "<ErrorResponse xmlns=\"" STS_NS "\"><Error><Type>Sender</Type><Code>AccessDenied"
                 "</Code><Message>" DENIED "</Message></Error><RequestId>r</RequestId>"
                 "</ErrorResponse>"));
    CHECK(err_is(Q, NULL, ERR_IAM_MALFORMED_POLICY, "<&>", "r", 400, "text/xml",
                 "<ErrorResponse><Error><Type>Sender</Type><Code>MalformedPolicyDocument</Code>"
                 "<Message>&lt;&amp;&gt;</Message></Error><RequestId>r</RequestId>"
                 "</ErrorResponse>"));
    CHECK(query_err(ERR_IAM_NO_SUCH_ENTITY, 404, "NoSuchEntity"));
    CHECK(query_err(ERR_IAM_ALREADY_EXISTS, 409, "EntityAlreadyExists"));
    CHECK(query_err(ERR_IAM_DELETE_CONFLICT, 409, "DeleteConflict"));
    CHECK(query_err(ERR_IAM_LIMIT_EXCEEDED, 409, "LimitExceeded"));
    CHECK(query_err(ERR_IAM_INVALID_INPUT, 400, "InvalidInput"));
    CHECK(query_err(ERR_INTERNAL, 500, "InternalFailure"));
    CHECK(query_err(ERR_VALIDATION, err_status(ERR_VALIDATION, Q), "ValidationError"));
    CHECK(query_err(ERR_SERIALIZATION, err_status(ERR_SERIALIZATION, Q), "MalformedQueryString"));
    CHECK(query_err(ERR_MISSING_ACTION, err_status(ERR_MISSING_ACTION, Q), "MissingAction"));
    CHECK(query_err(ERR_UNKNOWN_OPERATION, err_status(ERR_UNKNOWN_OPERATION, Q), "InvalidAction"));
    CHECK(query_err(ERR_INVALID_CLIENT_TOKEN, err_status(ERR_INVALID_CLIENT_TOKEN, Q),
                    "InvalidClientTokenId"));
    CHECK(query_err(ERR_SIGNATURE_MISMATCH, err_status(ERR_SIGNATURE_MISMATCH, Q),
                    "SignatureDoesNotMatch"));
    CHECK(
        query_err(ERR_MISSING_AUTH, err_status(ERR_MISSING_AUTH, Q), "MissingAuthenticationToken"));
    CHECK(query_err(ERR_THROTTLING, err_status(ERR_THROTTLING, Q), "Throttling"));
    CHECK(query_err(ERR_UNAVAILABLE, err_status(ERR_UNAVAILABLE, Q), "ServiceUnavailable"));

    /* ec2 (6.3): the UnauthorizedOperation capture, byte for byte */
    CHECK(err_is(E, "ignored", ERR_ACCESS_DENIED,
                 "You are not authorized to perform this operation.",
                 "d2678875-0aff-4926-8c8b-e87f170c0001", 403, "text/xml;charset=UTF-8",
                 EC2_HEAD "UnauthorizedOperation</Code><Message>You are not authorized to perform "
                          "this operation.</Message></Error></Errors><RequestID>d2678875-0aff-"
                          "4926-8c8b-e87f170c0001</RequestID></Response>"));
    CHECK(ec2_err(ERR_VALIDATION, 400, "InvalidParameterValue"));
    CHECK(ec2_err(ERR_INTERNAL, 500, "InternalError"));
    CHECK(ec2_err(ERR_MISSING_AUTH, err_status(ERR_MISSING_AUTH, E), "AuthFailure"));
    CHECK(
        ec2_err(ERR_INVALID_CLIENT_TOKEN, err_status(ERR_INVALID_CLIENT_TOKEN, E), "AuthFailure"));
    CHECK(ec2_err(ERR_THROTTLING, err_status(ERR_THROTTLING, E), "RequestLimitExceeded"));
    CHECK(ec2_err(ERR_MISSING_PARAMETER, err_status(ERR_MISSING_PARAMETER, E), "MissingParameter"));
    CHECK(ec2_err(ERR_SIGNATURE_EXPIRED, err_status(ERR_SIGNATURE_EXPIRED, E), "RequestExpired"));

    /* an err_t outside the table renders as an internal failure */
    CHECK(json_err((err_t)9999, 500, "InternalFailure"));
    /* the protocol of each model protocol */
    CHECK_INT(proto_err_proto(MP_JSON), ERR_PROTO_JSON);
    CHECK_INT(proto_err_proto(MP_QUERY), ERR_PROTO_QUERY);
    CHECK_INT(proto_err_proto(MP_EC2), ERR_PROTO_EC2);
}

/* Conforms the JSON text in (an in-process caller's tree) to shape; expects rc and msg. */
static bool conform_is(const model_service_t *svc, uint16_t shape, const char *in, err_t want_rc,
                       const char *msg)
{
    cJSON *t = cJSON_Parse(in);
    errbuf_t eb = {{0}};
    err_t rc = t ? proto_conform(svc, shape, t, &eb) : ERR_INTERNAL;
    bool ok = rc == want_rc && (!msg || strcmp(eb.msg, msg) == 0);
    if (!ok)
        fprintf(stderr, "conform [%s]\n  got:  rc=%d %s\n  want: rc=%d %s\n", in, rc, eb.msg,
                want_rc, msg ? msg : "");
    cJSON_Delete(t);
    return ok;
}

/* In-process trees for the query protocols meet the same type gate as awsJson ones, with the
 * validation error their decoder gives a value that does not convert. */
static void test_conform_query_protocols(void)
{
    uint16_t cu = shape_named(iam, "CreateUserRequest");
    uint16_t di = shape_named(ec2, "DescribeInstancesRequest");
    CHECK(cu != MODEL_NONE && di != MODEL_NONE);
    if (cu == MODEL_NONE || di == MODEL_NONE) return;
    CHECK(conform_is(iam, cu, "{\"UserName\":{\"a\":\"b\"}}", ERR_VALIDATION,
                     ONE "Value '{...}' at 'userName' failed to satisfy constraint: Member must be "
                         "a string"));
    CHECK(conform_is(iam, cu, "{\"UserName\":\"u\",\"Path\":5}", ERR_VALIDATION,
                     ONE "Value '5' at 'path' failed to satisfy constraint: Member must be a "
                         "string"));
    CHECK(conform_is(ec2, di, "{\"InstanceIds\":[[\"i-1\"]]}", ERR_VALIDATION,
                     ONE "Value '[i-1]' at 'instanceIds.1.member' failed to satisfy constraint: "
                         "Member must be a string"));
    CHECK(conform_is(ec2, di, "{\"InstanceIds\":true}", ERR_VALIDATION,
                     ONE "Value 'true' at 'instanceIds' failed to satisfy constraint: Member must "
                         "be a list"));
    CHECK(conform_is(iam, cu, "{\"UserName\":\"u\",\"Unknown\":[1],\"Path\":null}", ERR_OK, NULL));
    /* the validator refuses a wrong type on its own too (a tree nobody conformed) */
    cJSON *t = cJSON_Parse("{\"UserName\":7}");
    errbuf_t eb = {{0}};
    CHECK_INT(proto_validate(iam, cu, t, &eb), ERR_VALIDATION);
    CHECK_STR(eb.msg, ONE "Value '7' at 'userName' failed to satisfy constraint: Member must be a "
                          "string");
    cJSON_Delete(t);
}

int main(void)
{
    setup();
    test_conform_query_protocols();
    test_form_parse();
    test_form_nul();
    test_query_decode();
    test_query_timestamps();
    test_xml_golden();
    test_xml_control_chars();
    test_xml_escape();
    test_error_docs();
    return CHECK_DONE();
}
