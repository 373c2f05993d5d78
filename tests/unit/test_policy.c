/* test_policy.c - unit tests for the IAM policy language (src/iam/policy*.c): AWS's
 * MalformedPolicyDocument messages, action/resource matching, every condition family,
 * policy variables, trust-policy principals and the decision over a policy set.
 * LONG-FILE: one suite for one language; its cases read best side by side. */
#include "iam/policy.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers */

static policy_t *parse_kind(const char *doc, policy_kind_t kind)
{
    policy_t *p = NULL;
    errbuf_t eb = {{0}};
    if (policy_parse(span_of(doc), kind, &p, &eb) != ERR_OK)
        fprintf(stderr, "  unexpected parse failure: %s\n  doc: %s\n", eb.msg, doc);
    return p;
}

static policy_t *parse_id(const char *doc)
{
    return parse_kind(doc, POLICY_IDENTITY);
}

/* The MalformedPolicyDocument message for doc, "(parsed)" when it parsed, "(bad code)" when
 * the error was something else or *out was touched. */
static const char *malformed_kind(const char *doc, size_t n, policy_kind_t kind)
{
    static char msg[1024];
    policy_t *sentinel = (policy_t *)&msg, *p = sentinel;
    errbuf_t eb = {{0}};
    err_t rc = policy_parse(span_make(doc, n), kind, &p, &eb);
    if (rc == ERR_OK) {
        policy_free(p);
        return "(parsed)";
    }
    if (rc != ERR_IAM_MALFORMED_POLICY || p != sentinel) return "(bad code)";
    snprintf(msg, sizeof(msg), "%s", eb.msg);
    return msg;
}

static const char *malformed(const char *doc)
{
    return malformed_kind(doc, strlen(doc), POLICY_IDENTITY);
}

static const char *malformed_trust(const char *doc)
{
    return malformed_kind(doc, strlen(doc), POLICY_TRUST);
}

static policy_effect_t ev(const policy_t *p, const char *action, const char *resource,
                          const policy_ctx_t *ctx)
{
    policy_request_t req = {.action = action, .resource = resource, .ctx = ctx};
    return policy_eval(p, &req, NULL);
}

/* Evaluates a one-statement identity policy whose Condition is cond against ctx. */
static policy_effect_t ev_cond(const char *cond, const policy_ctx_t *ctx)
{
    char doc[2048];
    snprintf(doc, sizeof(doc),
             "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:"
             "GetObject\",\"Resource\":\"*\",\"Condition\":%s}}",
             cond);
    policy_t *p = parse_id(doc);
    policy_effect_t e = p ? ev(p, "s3:GetObject", "arn:aws:s3:::b/k", ctx) : (policy_effect_t)-1;
    policy_free(p);
    return e;
}

#define ALLOW        POLICY_ALLOW
#define DENY         POLICY_DENY
#define NOMATCH      POLICY_NO_MATCH
#define SYNTAX       "Syntax errors in policy."
#define LEGACY       "The policy failed legacy parsing"
#define VENDOR       "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
#define NO_ACTIONS   "Policy statement must contain actions."
#define NO_RESOURCES "Policy statement must contain resources."
#define V            "\"Version\":\"2012-10-17\","
#define ST(body)     "{" V "\"Statement\":{" body "}}"
#define EA           "\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","

/* one-valued context entries */
#define E1(k, v)                                                                                   \
    {                                                                                              \
        k, PCT_STRING, (const char *const[]){v}, 1                                                 \
    }
#define CTX(...)                                                                                   \
    (&(policy_ctx_t){(const policy_ctx_entry_t[]){__VA_ARGS__},                                    \
                     sizeof((const policy_ctx_entry_t[]){__VA_ARGS__}) /                           \
                         sizeof(policy_ctx_entry_t)})

/* ---- the tutorial's policy */

static const char TUTORIAL[] =
    "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n"
    "            \"Sid\": \"Stmt1536341175150\",\n            \"Action\": [\n"
    "                \"servicecatalog:ListServiceActionsForProvisioningArtifact\",\n"
    "                \"servicecatalog:ExecuteprovisionedProductServiceAction\",\n"
    "                \"ssm:DescribeDocument\",\n                \"ssm:GetAutomationExecution\",\n"
    "                \"ssm:StartAutomationExecution\",\n"
    "                \"ssm:StopAutomationExecution\",\n"
    "                \"cloudformation:ListStackResources\",\n"
    "                \"ec2:DescribeInstanceStatus\",\n                \"ec2:StartInstances\",\n"
    "                \"ec2:StopInstances\"\n            ],\n"
    "            \"Effect\": \"Allow\",\n            \"Resource\": \"*\"\n        }\n    ]\n   }\n";

static void test_tutorial(void)
{
    policy_t *p = parse_id(TUTORIAL);
    CHECK(p != NULL);
    const char *sid = NULL;
    policy_request_t req = {.action = "servicecatalog:ExecuteProvisionedProductServiceAction",
                            .resource =
                                "arn:aws:servicecatalog:us-east-1:123456789012:stack/p/pp-1"};
    CHECK_INT(policy_eval(p, &req, &sid), ALLOW);
    CHECK_STR(sid, "Stmt1536341175150");
    CHECK_INT(ev(p, "ssm:StartAutomationExecution",
                 "arn:aws:ssm:us-east-1::automation-definition/AWS-RestartEC2Instance:$DEFAULT",
                 NULL),
              ALLOW);
    CHECK_INT(ev(p, "ec2:StopInstances", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "ec2:TerminateInstances", "*", NULL), NOMATCH);
    req.action = "iam:CreateUser";
    sid = NULL;
    CHECK_INT(policy_eval(p, &req, &sid), NOMATCH);
    CHECK_STR(sid, "");
    CHECK_STR(policy_version(p), "2012-10-17");
    /* whitespace does not count against the quota */
    CHECK(policy_size_nows(span_of(TUTORIAL)) < strlen(TUTORIAL));
    CHECK_INT(policy_size_nows(SPAN_LIT(" {\"a\" : \"\xc3\xa9\" }\n")), 9);
    policy_free(p);
}

/* ---- malformed documents, identity policies */

static void test_malformed_syntax(void)
{
    CHECK_STR(malformed("This is not a json document"), SYNTAX);
    CHECK_STR(malformed(""), SYNTAX);
    CHECK_STR(malformed("[]"), SYNTAX);
    CHECK_STR(malformed("{}"), SYNTAX);
    CHECK_STR(malformed("{" V "\"Statement\":{" EA "\"Resource\":\"*\"}} {}"), SYNTAX);
    CHECK_STR(malformed("{\"Version\":\"2013-10-17\",\"Statement\":{" EA "\"Resource\":\"*\"}}"),
              SYNTAX);
    CHECK_STR(malformed("{\"Version\":2012,\"Statement\":{" EA "\"Resource\":\"*\"}}"), SYNTAX);
    CHECK_STR(malformed("{" V "\"Statement\":{" EA "\"Resource\":\"*\"},\"Extra\":1}"), SYNTAX);
    CHECK_STR(malformed("{" V V "\"Statement\":{" EA "\"Resource\":\"*\"}}"), SYNTAX);
    CHECK_STR(malformed("{" V "\"Id\":[],\"Statement\":{" EA "\"Resource\":\"*\"}}"), SYNTAX);
    CHECK_STR(malformed("{" V "\"Statement\":[]}"), SYNTAX);
    CHECK_STR(malformed("{" V "\"Statement\":[\"afd\"]}"), SYNTAX);
    CHECK_STR(malformed("{" V "\"Statement\":\"x\"}"), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Extra field\":\"v\"")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Resource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST("\"effect\":\"Allow\",\"Action\":\"s3:Get\",\"Resource\":\"*\"")),
              SYNTAX);
    CHECK_STR(malformed(ST("\"Action\":\"s3:GetObject\",\"Resource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST("\"Effect\":\"invalid\",\"Action\":\"s3:Get\",\"Resource\":\"*\"")),
              SYNTAX);
    CHECK_STR(malformed(ST("\"Effect\":true,\"Action\":\"s3:Get\",\"Resource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"NotAction\":\"s3:Put\",\"Resource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"NotResource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Action\":{},\"Resource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Action\":[[]],\"Resource\":\"*\"")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":[\"*\",{}]")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Sid\":{}")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":[]")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"DateGreaterThan\":\"b\"}")),
              SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"a\":{}}}")), SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"a\":null}}")), SYNTAX);
    /* AWS's check for an unknown operator: a syntax error when its block is not empty */
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"StringEqualz\":{\"a\":\"1\"}}")),
              SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"StringEqualz\":{}}")),
              "(parsed)");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":"
                              "{\"ForAnyValue::StringEqualsIfExists\":{\"a\":\"b\"}}")),
              SYNTAX);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"stringequals\":{\"a\":\"b\"}}")),
              SYNTAX);
    /* bounds: nesting, embedded NUL, size */
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    CHECK_STR(malformed_kind(deep, sizeof(deep), POLICY_IDENTITY), SYNTAX);
    static const char nul[] = "{\"Version\":\"2012-10-17\"\0}";
    CHECK_STR(malformed_kind(nul, sizeof(nul) - 1, POLICY_IDENTITY), SYNTAX);
    size_t big = 131073;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    memcpy(huge, TUTORIAL, strlen(TUTORIAL));
    CHECK_STR(malformed_kind(huge, big, POLICY_IDENTITY), SYNTAX);
    CHECK_STR(malformed_kind(huge, big - 1, POLICY_IDENTITY), "(parsed)");
    free(huge);
}

static void test_malformed_fields(void)
{
    CHECK_STR(malformed(ST("\"Effect\":\"allow\",\"Action\":\"s3:Get\",\"Resource\":\"*\"")),
              LEGACY);
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Resource\":\"*\"")), NO_ACTIONS);
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"")), NO_ACTIONS);
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Action\":\"invalid\",\"Resource\":\"*\"")),
              VENDOR);
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"NotAction\":\"\",\"Resource\":\"*\"")), VENDOR);
    CHECK_STR(
        malformed(ST("\"Effect\":\"Allow\",\"Action\":\"s3:List:Bucket\",\"Resource\":\"*\"")),
        "Actions/Condition can contain only one colon.");
    CHECK_STR(
        malformed(ST("\"Effect\":\"Allow\",\"Action\":\"a a:ListBucket\",\"Resource\":\"*\"")),
        "Vendor a a is not valid");
    CHECK_STR(malformed(ST(EA "\"Sid\":\"x\"")), NO_RESOURCES);
    CHECK_STR(malformed(ST(EA "\"Resource\":[]")), NO_RESOURCES);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"invalid resource\"")),
              "Resource invalid resource must be in ARN format or \"*\".");
    CHECK_STR(malformed(ST(EA "\"Resource\":[\"arn:aws:s3:::b\",\"adf\"]")),
              "Resource adf must be in ARN format or \"*\".");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"\"")), "Resource  must be in ARN format or \"*\".");
    CHECK_STR(malformed(ST(EA "\"Resource\":[\"x1\",\"x2\"]")),
              "Resource x1 must be in ARN format or \"*\".");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"arn:aws\"")),
              "Resource vendor must be fully qualified and cannot contain regexes.");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"arn:aws:s3::example_bucket\"")), LEGACY);
    CHECK_STR(malformed(ST(EA "\"NotResource\":\"arn:aws::::example_bucket\"")), LEGACY);
    CHECK_STR(malformed(ST(EA "\"Resource\":\"arn:error:s3:::example_bucket\"")),
              "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\".");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"arn:b:c\"")),
              "Partition \"b\" is not valid for resource \"arn:b:c:*:*:*\".");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"arn:aws:fdsasf\"")), "(parsed)");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Principal\":{\"AWS\":\"*\"}")),
              "Policy document should not specify a principal.");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"DateGreaterThan\":"
                              "{\"aws:CurrentTime\":\"sdfdsf\"}}")),
              LEGACY);
    CHECK_STR(malformed("{" V "\"Statement\":[{\"Sid\":\"a\"," EA "\"Resource\":\"*\"},"
                        "{\"Sid\":\"a\"," EA "\"Resource\":\"*\"}]}"),
              "Statement IDs (SID) in a single policy must be unique.");
    CHECK_STR(malformed(ST("\"Sid\":\"has-dash\"," EA "\"Resource\":\"*\"")),
              "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
              "regular expression [0-9A-Za-z]*");
    /* the most important problem wins, wherever it sits */
    CHECK_STR(malformed("{" V "\"Statement\":[{\"Effect\":\"Deny\"},{" EA "\"Resource\":\"*\"}]}"),
              NO_ACTIONS);
    CHECK_STR(malformed("{" V "\"Statement\":[{\"Effect\":\"Deny\",\"Resource\":\"x\"},"
                        "{\"Effect\":\"aLLow\",\"Action\":\"s3:G\",\"Resource\":\"*\"}]}"),
              LEGACY);
    CHECK_STR(malformed("{" V "\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"x\","
                        "\"Resource\":\"y\"},{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}"),
              NO_ACTIONS);
    CHECK_STR(malformed("{" V "\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"x\","
                        "\"Resource\":\"y\"}]}"),
              "Resource y must be in ARN format or \"*\".");
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Action\":\"x\",\"Resource\":\"*\","
                           "\"Principal\":\"*\"")),
              "Policy document should not specify a principal.");
    /* accepted shapes */
    CHECK_STR(malformed("{\"Statement\":{" EA "\"Resource\":\"*\"}}"), "(parsed)");
    CHECK_STR(malformed("{\"Version\":\"2008-10-17\",\"Id\":\"x\",\"Statement\":[{" EA
                        "\"Resource\":[\"*\"]}]}"),
              "(parsed)");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{}")), "(parsed)");
    CHECK_STR(malformed(ST(EA "\"Resource\":\"*\",\"Condition\":{\"DateGreaterThan\":{\"a\":[]}}")),
              "(parsed)");
    CHECK_STR(malformed(ST("\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"")),
              "(parsed)");
}

static void test_malformed_trust(void)
{
    CHECK_STR(malformed_trust("{invalid"), "This policy contains invalid Json");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"")),
              "Missing required field Principal");
    CHECK_STR(malformed_trust(ST("\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"")),
              "Missing required field Effect");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                                 "\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"")),
              "Has prohibited field Resource");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{},"
                                 "\"Action\":\"sts:AssumeRole\"")),
              "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The "
              "passed in policy has a statement with no principals!");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[]},"
                                 "\"Action\":\"sts:AssumeRole\"")),
              "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The "
              "passed in policy has a statement with no principals!");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"bob\"},"
                                 "\"Action\":\"sts:AssumeRole\"")),
              "Invalid principal in policy: \"AWS\":\"bob\"");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"nodots\"},"
                                 "\"Action\":\"sts:AssumeRole\"")),
              "Invalid principal in policy: \"SERVICE\":\"nodots\"");
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{\"Foo\":\"x\"},"
                                 "\"Action\":\"sts:AssumeRole\"")),
              SYNTAX);
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":\"arn:aws:iam::1:root\","
                                 "\"Action\":\"sts:AssumeRole\"")),
              SYNTAX);
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotPrincipal\":\"*\","
                                 "\"Action\":\"sts:AssumeRole\"")),
              SYNTAX);
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts\"")),
              VENDOR);
}

/* ---- actions, resources, NotAction / NotResource */

static void test_actions_resources(void)
{
    policy_t *p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":[\"IAM:listaccesskeys\","
                              "\"iam:*AccessKey*\",\"ec2:Describe?nstances\"],\"Resource\":\"*\""));
    CHECK(p != NULL);
    CHECK_INT(ev(p, "iam:ListAccessKeys", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "iam:DeleteAccessKey", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "IAM:CREATEACCESSKEY", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "ec2:DescribeInstances", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "ec2:DescribeXXnstances", "*", NULL), NOMATCH);
    CHECK_INT(ev(p, "iam:ListUsers", "*", NULL), NOMATCH);
    policy_free(p);

    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":[\"arn:aws:s3:::b/*\","
                    "\"arn:aws:ec2:*:*:instance/i-????\"]"));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::b/deep/path/key", NULL), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::B/key", NULL), NOMATCH); /* case-sensitive */
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::b", NULL), NOMATCH);
    CHECK_INT(
        ev(p, "ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1234", NULL),
        ALLOW);
    CHECK_INT(
        ev(p, "ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-12345", NULL),
        NOMATCH);
    CHECK_INT(ev(p, "ec2:StopInstances", "*", NULL), NOMATCH); /* only "*" matches "*" */
    policy_free(p);

    /* a backslash is an ordinary character, with or without variables */
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":[\"arn:aws:s3:::a\\\\b*\","
                    "\"arn:aws:s3:::${aws:username}\\\\?\"]"));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::a\\bcd", NULL), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::abcd", NULL), NOMATCH);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::bob\\x", CTX(E1("aws:username", "bob"))), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::bobx", CTX(E1("aws:username", "bob"))), NOMATCH);
    policy_free(p);

    /* '*' spans ':' and '/' */
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"ssm:*\",\"Resource\":\"arn:aws:ssm:*\""));
    CHECK_INT(ev(p, "ssm:StartAutomationExecution",
                 "arn:aws:ssm:us-east-1::automation-definition/AWS-X:$DEFAULT", NULL),
              ALLOW);
    CHECK_INT(ev(p, "ssmx:Start", "arn:aws:ssm:us-east-1::x", NULL), NOMATCH);
    policy_free(p);

    /* NotAction with Allow: everything except IAM */
    p = parse_id(ST("\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\""));
    CHECK_INT(ev(p, "ec2:RunInstances", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "iam:CreateUser", "*", NULL), NOMATCH);
    policy_free(p);
    /* NotAction with Deny: deny everything except the listed */
    p = parse_id(
        "{" V "\"Statement\":[{\"Effect\":\"Deny\",\"NotAction\":[\"sts:*\",\"iam:Get*\"],"
        "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}");
    CHECK_INT(ev(p, "ec2:RunInstances", "*", NULL), DENY);
    CHECK_INT(ev(p, "iam:GetUser", "*", NULL), ALLOW);
    CHECK_INT(ev(p, "sts:GetCallerIdentity", "*", NULL), ALLOW);
    policy_free(p);
    /* NotResource with Allow and with Deny */
    p = parse_id(
        ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotResource\":\"arn:aws:s3:::secret*\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::public/k", NULL), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::secret/k", NULL), NOMATCH);
    policy_free(p);
    p = parse_id("{" V "\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"s3:*\","
                 "\"NotResource\":[\"arn:aws:s3:::mine\",\"arn:aws:s3:::mine/*\"]},"
                 "{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}");
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::mine/k", NULL), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::theirs/k", NULL), DENY);
    policy_free(p);

    /* the deciding Sid: a Deny anywhere beats an earlier Allow */
    p = parse_id("{" V "\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"*\","
                 "\"Resource\":\"*\"},{\"Sid\":\"D\",\"Effect\":\"Deny\",\"Action\":\"ec2:*\","
                 "\"Resource\":\"*\"}]}");
    const char *sid = NULL;
    policy_request_t req = {.action = "ec2:StopInstances", .resource = "*"};
    CHECK_INT(policy_eval(p, &req, &sid), DENY);
    CHECK_STR(sid, "D");
    req.action = "s3:GetObject";
    CHECK_INT(policy_eval(p, &req, &sid), ALLOW);
    CHECK_STR(sid, "A");
    CHECK_INT(policy_eval(NULL, &req, &sid), NOMATCH);
    CHECK_INT(policy_eval(p, NULL, NULL), NOMATCH);
    policy_free(p);
}

static void test_wildcard(void)
{
    CHECK(policy_wildcard("*", "", false));
    CHECK(policy_wildcard("a*b*c", "aXXbYYbc", false));
    CHECK(!policy_wildcard("a*b*c", "aXXbYYbd", false));
    CHECK(policy_wildcard("a?c", "abc", false));
    CHECK(!policy_wildcard("a?c", "ac", false));
    CHECK(!policy_wildcard("abc", "ABC", false));
    CHECK(policy_wildcard("abc", "ABC", true));
    CHECK(policy_wildcard("**x**", "yyxyy", false));
    CHECK(policy_wildcard("a\\b", "a\\b", false)); /* backslash is an ordinary character */
    CHECK(!policy_wildcard(NULL, "a", false));
    CHECK(!policy_wildcard("", "a", false));
    CHECK(policy_wildcard("", "", false));
}

/* ---- conditions */

static void test_conditions_string(void)
{
    const policy_ctx_t *c = CTX(E1("aws:username", "alice"), E1("s3:prefix", "home/alice/x"));
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":\"alice\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"AWS:UserName\":\"alice\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":\"Alice\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":[\"bob\",\"alice\"]}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotEquals\":{\"aws:username\":\"bob\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotEquals\":{\"aws:username\":[\"bob\",\"alice\"]}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"StringEqualsIgnoreCase\":{\"aws:username\":\"ALICE\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotEqualsIgnoreCase\":{\"aws:username\":\"ALICE\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"StringLike\":{\"s3:prefix\":\"home/*\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringLike\":{\"s3:prefix\":\"Home/*\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"StringNotLike\":{\"s3:prefix\":\"tmp/*\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotLike\":{\"s3:prefix\":\"home/?lice/*\"}}", c), NOMATCH);
    /* keys and operators are ANDed */
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":\"alice\",\"s3:prefix\":\"x\"}}", c),
              NOMATCH);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":\"alice\"},"
                      "\"StringLike\":{\"s3:prefix\":\"home/*\"}}",
                      c),
              ALLOW);
    /* missing key: positive operators fail, negated ones hold, IfExists holds */
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:missing\":\"a\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"StringNotEquals\":{\"aws:missing\":\"a\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotLike\":{\"aws:missing\":\"a\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringEqualsIfExists\":{\"aws:missing\":\"a\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringEqualsIfExists\":{\"aws:username\":\"bob\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":\"alice\"}}", NULL), NOMATCH);
    /* an empty value list matches nothing */
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:username\":[]}}", c), NOMATCH);
}

static void test_conditions_typed(void)
{
    const policy_ctx_t *c =
        CTX({"s3:max-keys", PCT_NUMERIC, (const char *const[]){"10"}, 1},
            {"aws:CurrentTime", PCT_DATE, (const char *const[]){"2026-11-30T01:37:13Z"}, 1},
            {"aws:EpochTime", PCT_DATE, (const char *const[]){"1700000000"}, 1},
            {"aws:SecureTransport", PCT_BOOL, (const char *const[]){"true"}, 1},
            {"aws:SourceIp", PCT_IP, (const char *const[]){"203.0.113.7"}, 1},
            {"aws:SourceIp6", PCT_IP, (const char *const[]){"2001:db8::42"}, 1},
            {"k:bin", PCT_BINARY, (const char *const[]){"QmluYXJ5"}, 1},
            E1("aws:PrincipalArn", "arn:aws:iam::123456789012:role/ops/Admin"),
            E1("k:doc", "arn:aws:ssm:us-east-1:123456789012:document/a:b"));
    CHECK_INT(ev_cond("{\"NumericEquals\":{\"s3:max-keys\":\"10\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NumericEquals\":{\"s3:max-keys\":10}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NumericNotEquals\":{\"s3:max-keys\":\"10\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"NumericLessThanEquals\":{\"s3:max-keys\":\"10\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NumericGreaterThan\":{\"s3:max-keys\":\"9.5\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NumericLessThan\":{\"s3:max-keys\":10.5}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NumericLessThan\":{\"s3:max-keys\":9.5}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"NumericGreaterThanEquals\":{\"s3:max-keys\":\"11\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"NumericEquals\":{\"s3:max-keys\":\"ten\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}}", c),
              ALLOW);
    CHECK_INT(ev_cond("{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}}", c),
              NOMATCH);
    CHECK_INT(ev_cond("{\"DateEquals\":{\"aws:CurrentTime\":\"2026-11-30T02:37:13+01:00\"}}", c),
              ALLOW);
    CHECK_INT(ev_cond("{\"DateNotEquals\":{\"aws:CurrentTime\":\"2026-11-30T01:37:13Z\"}}", c),
              NOMATCH);
    CHECK_INT(ev_cond("{\"DateLessThanEquals\":{\"aws:EpochTime\":\"1700000000\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"DateGreaterThanEquals\":{\"aws:EpochTime\":\"2023-11-14\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"DateLessThan\":{\"aws:EpochTime\":\"2023-11-14\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"Bool\":{\"aws:SecureTransport\":\"true\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"Bool\":{\"aws:SecureTransport\":false}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"false\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"true\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"BinaryEquals\":{\"k:bin\":\"QmluYXJ5\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"BinaryEquals\":{\"k:bin\":\"QmluYXJ6\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"203.0.113.7\"]}}", c),
              ALLOW);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.112.0/24\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.112.0/23\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NotIpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp6\":\"2001:db8::/32\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp6\":\"2001:db9::/32\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp6\":\"32.1.0.0/16\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:SourceIp\":\"not-an-ip\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"IpAddress\":{\"aws:Mapped\":\"203.0.113.0/24\"}}",
                      CTX(E1("aws:Mapped", "::ffff:203.0.113.9"))),
              ALLOW);
    CHECK_INT(ev_cond("{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:role/ops/*\"}}", c),
              ALLOW);
    CHECK_INT(ev_cond("{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:role/dev/*\"}}", c),
              NOMATCH);
    /* component-wise: '*' in the account field does not run into the next field */
    CHECK_INT(ev_cond("{\"ArnLike\":{\"k:doc\":\"arn:aws:ssm:*:document/a:b\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"ArnLike\":{\"k:doc\":\"arn:aws:ssm:*:*:document/a:b\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"ArnEquals\":{\"aws:PrincipalArn\":"
                      "\"arn:aws:iam::123456789012:role/ops/Admin\"}}",
                      c),
              ALLOW);
    CHECK_INT(ev_cond("{\"ArnNotEquals\":{\"aws:PrincipalArn\":\"arn:aws:iam::1:role/x\"}}", c),
              ALLOW);
    CHECK_INT(ev_cond("{\"ArnNotLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:role/*\"}}", c),
              NOMATCH);
    CHECK_INT(ev_cond("{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:iam::*:role/*\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"Null\":{\"aws:SourceArn\":\"true\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"Null\":{\"aws:SourceIp\":\"true\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"Null\":{\"aws:SourceIp\":\"false\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"Null\":{\"aws:SourceArn\":false}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"NumericLessThan\":{\"aws:missing\":\"1\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"NumericNotEquals\":{\"aws:missing\":\"1\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"NotIpAddress\":{\"aws:missing\":\"10.0.0.0/8\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"DateLessThanIfExists\":{\"aws:missing\":\"2020-01-01\"}}", c), ALLOW);
}

static void test_conditions_sets(void)
{
    const policy_ctx_t *c =
        CTX({"aws:TagKeys", PCT_STRING, (const char *const[]){"Department", "Project"}, 2},
            {"aws:Empty", PCT_STRING, NULL, 0});
    CHECK_INT(ev_cond("{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":"
                      "[\"Department\",\"Project\",\"Owner\"]}}",
                      c),
              ALLOW);
    CHECK_INT(ev_cond("{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":\"Department\"}}", c),
              NOMATCH);
    CHECK_INT(ev_cond("{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":\"Department\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":\"Owner\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"ForAnyValue:StringLike\":{\"aws:TagKeys\":\"Proj*\"}}", c), ALLOW);
    /* negated with a set qualifier: per request value, "matches none of the values" */
    CHECK_INT(ev_cond("{\"ForAnyValue:StringNotEquals\":{\"aws:TagKeys\":\"Department\"}}", c),
              ALLOW);
    CHECK_INT(ev_cond("{\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":\"Department\"}}", c),
              NOMATCH);
    CHECK_INT(ev_cond("{\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":\"Owner\"}}", c), ALLOW);
    /* missing key (or an empty set): ForAllValues holds, ForAnyValue fails */
    CHECK_INT(ev_cond("{\"ForAllValues:StringEquals\":{\"aws:Nope\":\"x\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"ForAnyValue:StringEquals\":{\"aws:Nope\":\"x\"}}", c), NOMATCH);
    CHECK_INT(ev_cond("{\"ForAllValues:StringEquals\":{\"aws:Empty\":\"x\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"ForAnyValue:StringEqualsIfExists\":{\"aws:Nope\":\"x\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"ForAnyValue:StringNotEquals\":{\"aws:Nope\":\"x\"}}", c), NOMATCH);
    /* a multivalued key without a qualifier: any value matching is enough */
    CHECK_INT(ev_cond("{\"StringEquals\":{\"aws:TagKeys\":\"Project\"}}", c), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotEquals\":{\"aws:TagKeys\":\"Project\"}}", c), NOMATCH);
}

/* ---- policy variables */

static void test_variables(void)
{
    const policy_ctx_t *c = CTX(E1("aws:username", "alice"), E1("aws:PrincipalTag/team", "blue"),
                                {"aws:TagKeys", PCT_STRING, (const char *const[]){"a", "b"}, 2});
    policy_t *p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                              "\"arn:aws:s3:::home/${aws:username}/*\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/alice/k", c), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/bob/k", c), NOMATCH);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/alice/k", NULL), NOMATCH); /* null */
    policy_free(p);
    /* a null variable in NotResource: the pattern matches nothing, so NotResource applies */
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotResource\":"
                    "\"arn:aws:s3:::home/${aws:username}/*\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/alice/k", NULL), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/alice/k", c), NOMATCH);
    policy_free(p);
    /* defaults */
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                    "\"arn:aws:s3:::b-${aws:PrincipalTag/team, 'company-wide'}\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::b-blue", c), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::b-company-wide", c), NOMATCH);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::b-company-wide", NULL), ALLOW);
    /* a multivalued key has no single value: the default applies */
    policy_free(p);
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                    "\"arn:aws:s3:::${aws:TagKeys,'none'}\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::none", c), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::a", c), NOMATCH);
    policy_free(p);
    /* escapes: ${*} ${?} ${$} are literal characters, never wildcards */
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                    "\"arn:aws:s3:::star${*}q${?}d${$}/*\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::star*q?d$/x", NULL), ALLOW);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::starXqYd$/x", NULL), NOMATCH);
    policy_free(p);
    /* a variable's value is literal even when it holds wildcard characters */
    const policy_ctx_t *wild = CTX(E1("aws:username", "*"));
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                    "\"arn:aws:s3:::home/${aws:username}\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/bob", wild), NOMATCH);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/*", wild), ALLOW);
    policy_free(p);
    /* no Version: variables are literal text */
    p = parse_id("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                 "\"arn:aws:s3:::home/${aws:username}\"}}");
    CHECK(policy_version(p) == NULL);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/alice", c), NOMATCH);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/${aws:username}", c), ALLOW);
    policy_free(p);
    p = parse_id("{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
                 "\"s3:*\",\"Resource\":\"arn:aws:s3:::home/${aws:username}\"}}");
    CHECK_STR(policy_version(p), "2008-10-17");
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/alice", c), NOMATCH);
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::home/${aws:username}", c), ALLOW);
    policy_free(p);
    /* in conditions: string and ARN operators substitute, null values flip negated operators */
    const policy_ctx_t *c2 = CTX(E1("aws:username", "alice"), E1("s3:prefix", "home/alice/"),
                                 E1("aws:SourceArn", "arn:aws:iam::123456789012:user/alice"));
    CHECK_INT(ev_cond("{\"StringLike\":{\"s3:prefix\":\"home/${aws:username}/*\"}}", c2), ALLOW);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"s3:prefix\":\"home/${aws:userid}/\"}}", c2), NOMATCH);
    CHECK_INT(ev_cond("{\"StringNotEquals\":{\"s3:prefix\":\"home/${aws:userid}/\"}}", c2), ALLOW);
    CHECK_INT(ev_cond("{\"StringNotLike\":{\"s3:prefix\":\"${aws:userid}*\"}}", c2), ALLOW);
    CHECK_INT(
        ev_cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::*:user/${aws:username}\"}}", c2),
        ALLOW);
    CHECK_INT(ev_cond("{\"StringEquals\":{\"s3:prefix\":\"home/${aws:username, 'x'}/\"}}", c2),
              ALLOW);
    /* malformed variables stay literal */
    p = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":"
                    "\"arn:aws:s3:::${a b}${x,y}${\""));
    CHECK_INT(ev(p, "s3:GetObject", "arn:aws:s3:::${a b}${x,y}${", c), ALLOW);
    policy_free(p);
}

/* ---- trust policies */

static policy_effect_t ev_trust(const policy_t *p, const policy_principal_t *who)
{
    policy_request_t req = {.action = "sts:AssumeRole", .resource = "*", .principal = who};
    return policy_eval(p, &req, NULL);
}

static void test_trust(void)
{
    const policy_principal_t sc = {.service = "servicecatalog.amazonaws.com"};
    const policy_principal_t sc_us = {.service = "servicecatalog.us-east-1.amazonaws.com"};
    const policy_principal_t ssm = {.service = "ssm.amazonaws.com"};
    const policy_principal_t alice = {.aws_arn = "arn:aws:iam::123456789012:user/alice",
                                      .account = "123456789012"};
    const policy_principal_t other = {.aws_arn = "arn:aws:iam::999999999999:user/eve",
                                      .account = "999999999999"};
    const policy_principal_t sess = {.aws_arn = "arn:aws:sts::123456789012:assumed-role/Ops/s1",
                                     .role_arn = "arn:aws:iam::123456789012:role/Ops",
                                     .account = "123456789012"};
    const policy_principal_t role = {.aws_arn = "arn:aws:iam::123456789012:role/Ops"};

    policy_t *p = parse_kind("{" V "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                             "{\"Service\":[\"ServiceCatalog.amazonaws.com\","
                             "\"servicecatalog.us-east-1.amazonaws.com\"]},"
                             "\"Action\":\"sts:AssumeRole\"}]}",
                             POLICY_TRUST);
    CHECK(p != NULL);
    CHECK_INT(ev_trust(p, &sc), ALLOW);
    CHECK_INT(ev_trust(p, &sc_us), ALLOW);
    CHECK_INT(ev_trust(p, &ssm), NOMATCH);
    CHECK_INT(ev_trust(p, &alice), NOMATCH); /* an AWS principal is never a service */
    policy_request_t req = {.action = "sts:TagSession", .resource = "*", .principal = &sc};
    CHECK_INT(policy_eval(p, &req, NULL), NOMATCH);
    policy_free(p);

    /* account root, and the bare account id: any principal of that account */
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                      "\"arn:aws:iam::123456789012:root\"},\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &alice), ALLOW);
    CHECK_INT(ev_trust(p, &sess), ALLOW);
    CHECK_INT(ev_trust(p, &role), ALLOW); /* account taken from the ARN */
    CHECK_INT(ev_trust(p, &other), NOMATCH);
    CHECK_INT(ev_trust(p, &sc), NOMATCH);
    policy_free(p);
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"999999999999\"]},"
                      "\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &other), ALLOW);
    CHECK_INT(ev_trust(p, &alice), NOMATCH);
    policy_free(p);

    /* a role ARN matches the role's sessions; a user ARN only that user */
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
                      "\"arn:aws:iam::123456789012:role/Ops\"]},\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &sess), ALLOW);
    CHECK_INT(ev_trust(p, &role), ALLOW);
    CHECK_INT(ev_trust(p, &alice), NOMATCH);
    policy_free(p);
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                      "\"arn:aws:sts::123456789012:assumed-role/Ops/s2\"},"
                      "\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &sess), NOMATCH);
    policy_free(p);

    /* Federated principals parse but match nobody yet */
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
                      "\"arn:aws:iam::123456789012:saml-provider/Corp\"},"
                      "\"Action\":\"sts:AssumeRoleWithSAML\""),
                   POLICY_TRUST);
    CHECK(p != NULL);
    req = (policy_request_t){.action = "sts:AssumeRoleWithSAML", .principal = &alice};
    CHECK_INT(policy_eval(p, &req, NULL), NOMATCH);
    policy_free(p);
    CHECK_STR(malformed_trust(ST("\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"\"},"
                                 "\"Action\":\"sts:AssumeRole\"")),
              "Invalid principal in policy: \"FEDERATED\":\"\"");

    /* "*" forms, NotPrincipal with Deny, a Condition in a trust policy */
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &sc), ALLOW);
    CHECK_INT(ev_trust(p, &other), ALLOW);
    policy_free(p);
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                      "\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &other), ALLOW);
    CHECK_INT(ev_trust(p, &sc), NOMATCH);
    CHECK_INT(ev_trust(p, NULL), NOMATCH); /* nobody in particular is no AWS principal */
    policy_free(p);
    p = parse_kind("{" V "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                   "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":"
                   "{\"sts:ExternalId\":\"xyz\"}}},{\"Effect\":\"Deny\",\"NotPrincipal\":"
                   "{\"AWS\":\"123456789012\"},\"Action\":\"sts:*\"}]}",
                   POLICY_TRUST);
    const policy_ctx_t *ext = CTX(E1("sts:ExternalId", "xyz"));
    req = (policy_request_t){.action = "sts:AssumeRole", .principal = &alice, .ctx = ext};
    CHECK_INT(policy_eval(p, &req, NULL), ALLOW);
    req.ctx = NULL;
    CHECK_INT(policy_eval(p, &req, NULL), NOMATCH);
    req = (policy_request_t){.action = "sts:AssumeRole", .principal = &other, .ctx = ext};
    CHECK_INT(policy_eval(p, &req, NULL), DENY);
    req.principal = &sc;
    CHECK_INT(policy_eval(p, &req, NULL), DENY);
    policy_free(p);

    /* named_only: does the policy name this exact principal (not "*", its account or role)? */
    const policy_principal_t alice_named = {.aws_arn = alice.aws_arn, .named_only = true};
    const policy_principal_t sess_named = {
        .aws_arn = sess.aws_arn, .role_arn = sess.role_arn, .named_only = true};
    p = parse_kind("{" V "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
                   "\"arn:aws:iam::123456789012:root\",\"arn:aws:iam::123456789012:user/alice\","
                   "\"arn:aws:iam::123456789012:role/Ops\"]},\"Action\":\"sts:AssumeRole\"}]}",
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &alice_named), ALLOW);  /* named, though the account is named too */
    CHECK_INT(ev_trust(p, &sess_named), NOMATCH); /* only its role is named */
    policy_free(p);
    p = parse_kind(ST("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    CHECK_INT(ev_trust(p, &alice_named), NOMATCH);
    policy_free(p);
    p = parse_kind(ST("\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::1:user/x\"},"
                      "\"Action\":\"sts:AssumeRole\""),
                   POLICY_TRUST);
    if (p) CHECK_INT(ev_trust(p, &alice_named), NOMATCH);
    policy_free(p);
}

/* ---- the decision over a policy set */

static void test_decide(void)
{
    policy_t *all = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\""));
    policy_t *ec2 = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\""));
    policy_t *no_stop =
        parse_id(ST("\"Effect\":\"Deny\",\"Action\":\"ec2:StopInstances\",\"Resource\":\"*\""));
    policy_t *ssm = parse_id(ST("\"Effect\":\"Allow\",\"Action\":\"ssm:*\",\"Resource\":\"*\""));
    policy_request_t start = {.action = "ec2:StartInstances", .resource = "*"};
    policy_request_t stop = {.action = "ec2:StopInstances", .resource = "*"};
    policy_request_t auto_ = {.action = "ssm:StartAutomationExecution", .resource = "*"};

    policy_set_t none = {0};
    CHECK_INT(policy_decide(&none, &start, NULL), POLICY_IMPLICIT_DENY);
    CHECK_INT(policy_decide(NULL, &start, NULL), POLICY_IMPLICIT_DENY);

    const policy_t *id1[] = {ec2};
    policy_set_t s = {.identity = id1, .n_identity = 1};
    CHECK_INT(policy_decide(&s, &start, NULL), POLICY_ALLOWED);
    CHECK_INT(policy_decide(&s, &auto_, NULL), POLICY_IMPLICIT_DENY);

    const policy_t *id2[] = {all, no_stop};
    s = (policy_set_t){.identity = id2, .n_identity = 2};
    CHECK_INT(policy_decide(&s, &stop, NULL), POLICY_EXPLICIT_DENY);
    CHECK_INT(policy_decide(&s, &start, NULL), POLICY_ALLOWED);

    /* boundary: intersection, and its deny is explicit */
    const policy_t *id3[] = {all};
    s = (policy_set_t){.identity = id3, .n_identity = 1, .boundary = ec2};
    CHECK_INT(policy_decide(&s, &start, NULL), POLICY_ALLOWED);
    CHECK_INT(policy_decide(&s, &auto_, NULL), POLICY_IMPLICIT_DENY);
    s.boundary = no_stop;
    CHECK_INT(policy_decide(&s, &stop, NULL), POLICY_EXPLICIT_DENY);
    CHECK_INT(policy_decide(&s, &start, NULL), POLICY_IMPLICIT_DENY); /* boundary allows nothing */
    const policy_t *id4[] = {ssm};
    s = (policy_set_t){.identity = id4, .n_identity = 1, .boundary = ec2};
    CHECK_INT(policy_decide(&s, &start, NULL),
              POLICY_IMPLICIT_DENY); /* boundary alone grants nothing */

    /* session policies: together one session policy that must allow too */
    policy_layer_t why;
    const policy_t *sess1[] = {ec2};
    s = (policy_set_t){.identity = id3, .n_identity = 1, .session = sess1, .n_session = 1};
    CHECK_INT(policy_decide(&s, &start, &why), POLICY_ALLOWED);
    CHECK_INT(why, POLICY_LAYER_NONE);
    CHECK_INT(policy_decide(&s, &auto_, &why), POLICY_IMPLICIT_DENY);
    CHECK_INT(why, POLICY_LAYER_SESSION);
    const policy_t *sess2[] = {ec2, ssm}; /* inline + managed: either allowing suffices */
    s.session = sess2, s.n_session = 2;
    CHECK_INT(policy_decide(&s, &start, NULL), POLICY_ALLOWED);
    CHECK_INT(policy_decide(&s, &auto_, NULL), POLICY_ALLOWED);
    CHECK_INT(policy_decide(&s, &stop, NULL), POLICY_ALLOWED);
    const policy_t *sess3[] = {all, no_stop};
    s.session = sess3;
    CHECK_INT(policy_decide(&s, &stop, &why), POLICY_EXPLICIT_DENY);
    CHECK_INT(why, POLICY_LAYER_SESSION);
    const policy_t *sess4[] = {NULL}; /* NULL entries are skipped: no session policy at all */
    s.session = sess4, s.n_session = 1;
    CHECK_INT(policy_decide(&s, &auto_, NULL), POLICY_ALLOWED);
    s = (policy_set_t){.identity = id4, .n_identity = 1, .session = sess1, .n_session = 1};
    CHECK_INT(policy_decide(&s, &start, &why),
              POLICY_IMPLICIT_DENY); /* session alone grants nothing */
    CHECK_INT(why, POLICY_LAYER_IDENTITY);

    /* which layer decided */
    s = (policy_set_t){.identity = id2, .n_identity = 2};
    CHECK_INT(policy_decide(&s, &stop, &why), POLICY_EXPLICIT_DENY);
    CHECK_INT(why, POLICY_LAYER_IDENTITY);
    s = (policy_set_t){.identity = id3, .n_identity = 1, .boundary = ec2};
    CHECK_INT(policy_decide(&s, &auto_, &why), POLICY_IMPLICIT_DENY);
    CHECK_INT(why, POLICY_LAYER_BOUNDARY);
    s.boundary = no_stop;
    CHECK_INT(policy_decide(&s, &stop, &why), POLICY_EXPLICIT_DENY);
    CHECK_INT(why, POLICY_LAYER_BOUNDARY);

    policy_free(all);
    policy_free(ec2);
    policy_free(no_stop);
    policy_free(ssm);
}

int main(void)
{
    test_tutorial();
    test_malformed_syntax();
    test_malformed_fields();
    test_malformed_trust();
    test_actions_resources();
    test_wildcard();
    test_conditions_string();
    test_conditions_typed();
    test_conditions_sets();
    test_variables();
    test_trust();
    test_decide();
    return CHECK_DONE();
}
