/* test_tpl.c - unit tests for the CloudFormation template engine (src/tpl): JSON and YAML
 * loading (short-form tags, scalar typing), structure checks with CloudFormation's
 * messages, every intrinsic function and pseudo parameter, conditions and AWS::NoValue,
 * parameter binding, dependency order, outputs, and a realistic product template.
 * LONG-FILE: one suite for one language; its cases read best side by side. */
#include "tpl/tpl.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers */

static tpl_t *parse(const char *body)
{
    tpl_t *t = NULL;
    errbuf_t eb = {{0}};
    if (tpl_parse(span_of(body), &t, &eb) != ERR_OK) {
        fprintf(stderr, "  unexpected parse failure: %s\n  body: %s\n", eb.msg, body);
        return NULL;
    }
    return t;
}

/* The ValidationError message for body, "(parsed)" when it parsed, "(bad code)" when the
 * error was something else or *out was touched. */
static const char *parse_err_n(const char *body, size_t n)
{
    static char msg[1024];
    tpl_t *sentinel = (tpl_t *)&msg, *t = sentinel;
    errbuf_t eb = {{0}};
    err_t rc = tpl_parse(span_make(body, n), &t, &eb);
    if (rc == ERR_OK) {
        tpl_free(t);
        return "(parsed)";
    }
    if (rc != ERR_VALIDATION || t != sentinel) return "(bad code)";
    snprintf(msg, sizeof(msg), "%s", eb.msg);
    return msg;
}

static const char *parse_err(const char *body)
{
    return parse_err_n(body, strlen(body));
}

static const char *json_of(const cJSON *v)
{
    return check_keep(v ? cJSON_PrintUnformatted(v) : NULL);
}

/* ---- a fake stack: resources are "created" unless listed in not_created */

static const char *not_created[4];

static const char *fake_ref(void *ud, const char *id)
{
    static char ids[32][96];
    static int next;
    (void)ud;
    for (int i = 0; i < 4; i++)
        if (not_created[i] && strcmp(not_created[i], id) == 0) return NULL;
    char *slot = ids[next++ % 32];
    snprintf(slot, sizeof(ids[0]), "phys-%s", id);
    return slot;
}

static cJSON *fake_getatt(void *ud, const char *id, const char *attr)
{
    (void)ud;
    if (!fake_ref(NULL, id)) return NULL;
    if (strcmp(attr, "PublicDnsName") == 0)
        return cJSON_CreateString("ec2-203-0-113-7.compute-1.amazonaws.com");
    if (strcmp(attr, "Arn") == 0) {
        char arn[128];
        snprintf(arn, sizeof(arn), "arn:aws:test:us-east-1:123456789012:thing/%s", id);
        return cJSON_CreateString(arn);
    }
    if (strcmp(attr, "Zones") == 0) {
        const char *z[] = {"z1", "z2"};
        return cJSON_CreateStringArray(z, 2);
    }
    if (strcmp(attr, "Outputs.Url") == 0) return cJSON_CreateString("https://example.test");
    return NULL;
}

static cJSON *fake_azs(void *ud, const char *region)
{
    (void)ud;
    const char *z[] = {"eu-west-1x", "eu-west-1y"};
    return region && strcmp(region, "eu-west-1") == 0 ? cJSON_CreateStringArray(z, 2)
                                                      : cJSON_CreateArray();
}

static tpl_ctx_t ctx_for(const cJSON *params, const cJSON *conditions)
{
    tpl_ctx_t c = {
        .stack_name = "web",
        .stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1111",
        .region = "us-east-1",
        .account_id = "123456789012",
        .params = params,
        .conditions = conditions,
        .ref = fake_ref,
        .getatt = fake_getatt,
    };
    return c;
}

/* Evaluates the JSON snippet node against t (parameters bound from given, an object as
 * JSON text or NULL) and returns the result as compact JSON or "ERR: message". */
static const char *ev_with(const tpl_t *t, const char *given, const tpl_ctx_t *base,
                           const char *node)
{
    cJSON *g = given ? cJSON_Parse(given) : NULL, *params = NULL, *conds = NULL, *out = NULL;
    cJSON *n = cJSON_Parse(node);
    errbuf_t eb = {{0}};
    char *res = NULL;
    tpl_ctx_t c = base ? *base : ctx_for(NULL, NULL);
    err_t rc = tpl_bind(t, g, &params, &eb);
    c.params = params;
    if (rc == ERR_OK && !c.conditions) {
        rc = tpl_conditions(t, &c, &conds, &eb);
        c.conditions = conds;
    }
    if (rc == ERR_OK && !n) rc = err_fail(&eb, ERR_INTERNAL, "bad test snippet");
    if (rc == ERR_OK) rc = tpl_eval(t, &c, n, &out, &eb);
    if (rc == ERR_OK) {
        res = cJSON_PrintUnformatted(out);
    } else {
        size_t len = strlen(eb.msg) + 6;
        res = malloc(len);
        snprintf(res, len, "ERR: %s", eb.msg);
    }
    cJSON_Delete(g);
    cJSON_Delete(n);
    cJSON_Delete(params);
    cJSON_Delete(conds);
    cJSON_Delete(out);
    return check_keep(res);
}

static const char *ev(const tpl_t *t, const char *node)
{
    return ev_with(t, NULL, NULL, node);
}

/* tpl_bind's message for given (JSON text), or "(bound)" / the bound object's JSON. */
static const char *bind(const tpl_t *t, const char *given)
{
    cJSON *g = given ? cJSON_Parse(given) : NULL, *out = NULL;
    errbuf_t eb = {{0}};
    err_t rc = tpl_bind(t, g, &out, &eb);
    cJSON_Delete(g);
    if (rc != ERR_OK) return check_keep(strdup(eb.msg));
    char *s = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    return check_keep(s);
}

/* tpl_order with parameters given (JSON text or NULL): the order as JSON or the message. */
static const char *order(const tpl_t *t, const char *given)
{
    cJSON *g = given ? cJSON_Parse(given) : NULL, *params = NULL, *conds = NULL, *out = NULL;
    errbuf_t eb = {{0}};
    tpl_ctx_t c = ctx_for(NULL, NULL);
    err_t rc = tpl_bind(t, g, &params, &eb);
    c.params = params;
    if (rc == ERR_OK) rc = tpl_conditions(t, &c, &conds, &eb);
    c.conditions = conds;
    if (rc == ERR_OK) rc = tpl_order(t, &c, &out, &eb);
    char *s = rc == ERR_OK ? cJSON_PrintUnformatted(out) : strdup(eb.msg);
    cJSON_Delete(g);
    cJSON_Delete(params);
    cJSON_Delete(conds);
    cJSON_Delete(out);
    return check_keep(s);
}

static const char *outputs(const tpl_t *t, const char *given)
{
    cJSON *g = given ? cJSON_Parse(given) : NULL, *params = NULL, *out = NULL;
    errbuf_t eb = {{0}};
    tpl_ctx_t c = ctx_for(NULL, NULL);
    err_t rc = tpl_bind(t, g, &params, &eb);
    c.params = params;
    if (rc == ERR_OK) rc = tpl_outputs(t, &c, &out, &eb);
    char *s = rc == ERR_OK ? cJSON_PrintUnformatted(out) : strdup(eb.msg);
    cJSON_Delete(g);
    cJSON_Delete(params);
    cJSON_Delete(out);
    return check_keep(s);
}

#define RES "\"Resources\":{\"R\":{\"Type\":\"AWS::CloudFormation::WaitConditionHandle\"}}"

/* ---- JSON and YAML give the same tree */

static const char same_json[] =
    "{\"AWSTemplateFormatVersion\":\"2010-09-09\",\"Description\":\"both forms\","
    "\"Parameters\":{\"Env\":{\"Type\":\"String\",\"Default\":\"dev\","
    "\"AllowedValues\":[\"dev\",\"prod\"]},\"Size\":{\"Type\":\"Number\",\"Default\":8}},"
    "\"Mappings\":{\"M\":{\"us-east-1\":{\"Ami\":\"ami-1\"}}},"
    "\"Conditions\":{\"IsProd\":{\"Fn::Equals\":[{\"Ref\":\"Env\"},\"prod\"]},"
    "\"NotProd\":{\"Fn::Not\":[{\"Condition\":\"IsProd\"}]},"
    "\"Both\":{\"Fn::And\":[{\"Condition\":\"IsProd\"},{\"Fn::Or\":[{\"Condition\":\"NotProd\"},"
    "{\"Fn::Equals\":[\"a\",\"a\"]}]}]}},"
    "\"Resources\":{\"H\":{\"Type\":\"AWS::CloudFormation::WaitConditionHandle\"},"
    "\"I\":{\"Type\":\"AWS::EC2::Instance\",\"DependsOn\":\"H\",\"Properties\":{"
    "\"ImageId\":{\"Fn::FindInMap\":[\"M\",{\"Ref\":\"AWS::Region\"},\"Ami\"]},"
    "\"Az\":{\"Fn::Select\":[0,{\"Fn::GetAZs\":\"\"}]},"
    "\"UserData\":{\"Fn::Base64\":{\"Fn::Join\":[\"\",[\"a\",{\"Ref\":\"H\"}]]}},"
    "\"Parts\":{\"Fn::Split\":[\",\",\"a,b\"]},"
    "\"Name\":{\"Fn::Sub\":\"${AWS::StackName}-${Env}\"},"
    "\"Name2\":{\"Fn::Sub\":[\"${X}\",{\"X\":{\"Ref\":\"Env\"}}]},"
    "\"Dns\":{\"Fn::GetAtt\":[\"H\",\"Arn\"]},"
    "\"Key\":{\"Fn::If\":[\"IsProd\",\"prod-key\",{\"Ref\":\"AWS::NoValue\"}]},"
    "\"Count\":3,\"Ratio\":0.5,\"On\":true,\"Quoted\":\"42\"}}},"
    "\"Outputs\":{\"Id\":{\"Value\":{\"Ref\":\"I\"},\"Condition\":\"Both\"}}}";

static const char same_yaml[] =
    "AWSTemplateFormatVersion: '2010-09-09'\n"
    "Description: both forms\n"
    "Parameters:\n"
    "  Env:\n"
    "    Type: String\n"
    "    Default: dev\n"
    "    AllowedValues: [dev, prod]\n"
    "  Size: {Type: Number, Default: 8}\n"
    "Mappings:\n"
    "  M:\n"
    "    us-east-1: {Ami: ami-1}\n"
    "Conditions:\n"
    "  IsProd: !Equals [!Ref Env, prod]\n"
    "  NotProd: !Not [!Condition IsProd]\n"
    "  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Equals [a, a]]]\n"
    "Resources:\n"
    "  H:\n"
    "    Type: AWS::CloudFormation::WaitConditionHandle\n"
    "  I:\n"
    "    Type: AWS::EC2::Instance\n"
    "    DependsOn: H\n"
    "    Properties:\n"
    "      ImageId: !FindInMap [M, !Ref 'AWS::Region', Ami]\n"
    "      Az: !Select [0, !GetAZs '']\n"
    "      UserData:\n"
    "        Fn::Base64: !Join ['', [a, !Ref H]]\n"
    "      Parts: !Split [',', 'a,b']\n"
    "      Name: !Sub '${AWS::StackName}-${Env}'\n"
    "      Name2: !Sub\n"
    "        - '${X}'\n"
    "        - X: !Ref Env\n"
    "      Dns: !GetAtt H.Arn\n"
    "      Key: !If [IsProd, prod-key, !Ref 'AWS::NoValue']\n"
    "      Count: 3\n"
    "      Ratio: 0.5\n"
    "      On: true\n"
    "      Quoted: \"42\"\n"
    "Outputs:\n"
    "  Id:\n"
    "    Value: !Ref I\n"
    "    Condition: Both\n";

static void test_same_tree(void)
{
    tpl_t *a = parse(same_json), *b = parse(same_yaml);
    CHECK(a != NULL);
    CHECK(b != NULL);
    if (!a || !b) {
        tpl_free(a);
        tpl_free(b);
        return;
    }
    CHECK(cJSON_Compare(tpl_json(a), tpl_json(b), true));
    CHECK_STR(json_of(tpl_json(b)), json_of(tpl_json(a)));
    CHECK_STR(tpl_description(b), "both forms");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(tpl_resource(b, "I"), "Properties");
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(props, "Count")));
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(props, "Quoted")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "On")));
    CHECK_STR(json_of(cJSON_GetObjectItemCaseSensitive(props, "Dns")),
              "{\"Fn::GetAtt\":[\"H\",\"Arn\"]}");
    /* Both evaluate the same way, too. */
    const char *pa = ev(a, "{\"Fn::GetAtt\":[\"I\",\"Arn\"]}");
    CHECK_STR(ev(b, "{\"Fn::GetAtt\":[\"I\",\"Arn\"]}"), pa);
    tpl_free(a);
    tpl_free(b);
}

/* ---- YAML specifics */

static const char *yaml_value(const char *yaml_scalar)
{
    char body[512];
    snprintf(body, sizeof(body),
             "Parameters:\n  y: {Type: String, Default: d}\n"
             "Resources:\n  A: {Type: T}\n  Stack: {Type: T}\n"
             "  R:\n    Type: T\n    Properties:\n      V: %s\n",
             yaml_scalar);
    tpl_t *t = parse(body);
    const char *s = "(no parse)";
    if (t) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(tpl_resource(t, "R"), "Properties");
        s = json_of(cJSON_GetObjectItemCaseSensitive(p, "V"));
    }
    tpl_free(t);
    return s;
}

static void test_yaml_scalars(void)
{
    CHECK_STR(yaml_value("10"), "10");
    CHECK_STR(yaml_value("-3"), "-3");
    CHECK_STR(yaml_value("2.5"), "2.5");
    CHECK_STR(yaml_value("'10'"), "\"10\"");
    CHECK_STR(yaml_value("\"true\""), "\"true\"");
    CHECK_STR(yaml_value("true"), "true");
    CHECK_STR(yaml_value("False"), "false");
    CHECK_STR(yaml_value("yes"), "\"yes\"");
    CHECK_STR(yaml_value("1.10"), "\"1.10\"");
    CHECK_STR(yaml_value("007"), "\"007\"");
    CHECK_STR(yaml_value("1e3"), "\"1e3\"");
    CHECK_STR(yaml_value("123456789012"), "123456789012");
    CHECK_STR(yaml_value("!!str 5"), "\"5\"");
    CHECK_STR(yaml_value("'it''s caf\xC3\xA9'"), "\"it's caf\xC3\xA9\"");
    CHECK_STR(yaml_value("''''''''''''''''''''''''''''"), "\""
                                                          "'''''''''''''"
                                                          "\"");
    CHECK_STR(yaml_value("'one  \n        two\n\n        three  '"), "\"one two\\nthree  \"");
    CHECK_STR(yaml_value("\"tab\\there \\u00e9\""), "\"tab\\there \xC3\xA9\"");
    CHECK_STR(yaml_value("!GetAtt 'A.B'"), "{\"Fn::GetAtt\":[\"A\",\"B\"]}");
    CHECK_STR(yaml_value("ami-0abc"), "\"ami-0abc\"");
    CHECK_STR(yaml_value("!GetAtt Stack.Outputs.Url"),
              "{\"Fn::GetAtt\":[\"Stack\",\"Outputs.Url\"]}");
    CHECK_STR(yaml_value("!GetAtt [A, B]"), "{\"Fn::GetAtt\":[\"A\",\"B\"]}");
    CHECK_STR(yaml_value("!Sub 123"), "{\"Fn::Sub\":\"123\"}");
    CHECK_STR(yaml_value("|\n        two\n        lines"), "\"two\\nlines\\n\"");
    CHECK_STR(yaml_value("|-\n        two\n        lines"), "\"two\\nlines\"");
    CHECK_STR(yaml_value("!Sub ['a-${x}', {x: !Ref y}]"),
              "{\"Fn::Sub\":[\"a-${x}\",{\"x\":{\"Ref\":\"y\"}}]}");

    /* Anchors and aliases are expanded. */
    tpl_t *t = parse("Resources:\n  A:\n    Type: T\n    Properties: &p {K: v, L: [1, 2]}\n"
                     "  B:\n    Type: T\n    Properties: *p\n");
    CHECK(t != NULL);
    if (t)
        CHECK_STR(json_of(cJSON_GetObjectItemCaseSensitive(tpl_resource(t, "B"), "Properties")),
                  "{\"K\":\"v\",\"L\":[1,2]}");
    tpl_free(t);

    CHECK_STR(parse_err("Resources:\n  R: {Type: T, Properties: {V: [1, 2}}\n"),
              "Template format error: YAML not well-formed. (line 2, column 37)");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T}\nResources:\n  S: {Type: T}\n"),
              "Template format error: YAML not well-formed. (line 3, column 1)");
    /* libfyaml 0.7.12 crashes on malformed explicit keys; templates never need them. */
    CHECK_STR(parse_err("Resources:\n  R:\n    - ? x:\t:\n"),
              "Template format error: YAML explicit keys (\"? \") are not supported");
    CHECK_STR(parse_err("? x\n: y\nResources: {R: {Type: T}}\n"),
              "Template format error: YAML explicit keys (\"? \") are not supported");
    CHECK_STR(parse_err("Description: what?\nResources: {R: {Type: T, Properties: {Q: '? x'}}}\n"),
              "(parsed)");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T, Properties: {V: !Foo x}}\n"),
              "Template format error: Unsupported YAML tag !Foo");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T}\n---\nResources:\n  S: {Type: T}\n"),
              "Template format error: a template is a single YAML document");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T, Properties: {V: !Cidr [a, 1, 2]}}\n"),
              "Template format error: Unsupported function Fn::Cidr. Supported functions are: "
              "[Ref, Condition, Fn::And, Fn::Base64, Fn::Equals, Fn::FindInMap, Fn::GetAZs, "
              "Fn::GetAtt, Fn::If, Fn::ImportValue, Fn::Join, Fn::Not, Fn::Or, Fn::Select, "
              "Fn::Split, Fn::Sub]");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T, Properties: {V: !ImportValue x}}\n"),
              "(parsed)");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T, Properties: {V: !ImportValue [x, y]}}\n"),
              "Template error: every Fn::ImportValue object requires one parameter: the name of an "
              "export, a String or a function that returns one");
    CHECK_STR(parse_err("Resources:\n  R:\n    Type: T\n    Properties:\n      V:\n"),
              "[/Resources/R/Properties/V] 'null' values are not allowed in templates");
    CHECK_STR(parse_err("Resources:\n  R: {Type: T, Properties: {V: !GetAtt NoDot}}\n"),
              "Template error: every Fn::GetAtt object requires two non-empty parameters, the "
              "resource name and the resource attribute");

    /* Billion laughs: aliases are expanded under a node budget. */
    char bomb[2048];
    int n = snprintf(bomb, sizeof(bomb), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++)
        n += snprintf(bomb + n, sizeof(bomb) - (size_t)n,
                      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i,
                      i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    snprintf(bomb + n, sizeof(bomb) - (size_t)n, "Resources: {R: {Type: T}}\n");
    CHECK_STR(parse_err(bomb),
              "Template format error: YAML document too large once aliases are expanded");
}

/* ---- structure */

static void test_structure(void)
{
    CHECK_STR(parse_err("{\"Resources\": {\"R\": {\"Type\": \"T\"}"),
              "Template format error: JSON not well-formed. (line 1, column 33)");
    CHECK_STR(parse_err("{bad"), "Template format error: JSON not well-formed. (line 1, column 3)");
    CHECK_STR(parse_err("{\n  \"Resources\": {\"R\": {\"Type\": \"T\"}}\n} x"),
              "Template format error: JSON not well-formed. (line 3, column 3)");
    CHECK_STR(parse_err("[1, 2]"), "Template format error: unsupported structure.");
    CHECK_STR(parse_err("just a string"), "Template format error: unsupported structure.");
    CHECK_STR(parse_err("   \n"), "Template format error: unsupported structure.");
    CHECK_STR(parse_err_n("{\"Resources\":\0}", 15),
              "Template format error: JSON not well-formed. (line 1, column 14)");
    CHECK_STR(parse_err("\xEF\xBB\xBF{" RES "}"), "(parsed)");
    /* Templates are UTF-8 (and libfyaml 0.7.12 loops forever on this directive). */
    CHECK_STR(parse_err("%a\xa5"),
              "Template format error: YAML not well-formed. (line 1, column 3)");
    CHECK_STR(parse_err("{\"Resources\":{\"R\":{\"Type\":\"T\xC0\xAF\"}}}"),
              "Template format error: JSON not well-formed. (line 1, column 29)");
    CHECK_STR(parse_err("Description: caf\xC3\xA9 \xF0\x9F\x9A\x80\nResources: {R: {Type: T}}\n"),
              "(parsed)");
    CHECK_STR(parse_err("{\"Parameters\":{}}"),
              "Template format error: At least one Resources member must be defined.");
    CHECK_STR(parse_err("{\"Resources\":{}}"),
              "Template format error: At least one Resources member must be defined.");
    CHECK_STR(parse_err("{" RES ",\"Bogus\":1,\"Other\":2}"),
              "Invalid template property or properties [Bogus, Other]");
    CHECK_STR(parse_err("{\"AWSTemplateFormatVersion\":\"2011-01-01\"," RES "}"),
              "Template format error: Unsupported AWSTemplateFormatVersion; the only version is "
              "2010-09-09");
    CHECK_STR(parse_err("{\"Transform\":\"AWS::Serverless-2016-10-31\"," RES "}"),
              "Template format error: Transform is not supported: catalogd does not run macros");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{}}}"),
              "Template format error: [/Resources/A] Every Resources object must contain a Type "
              "member.");
    CHECK_STR(parse_err("{\"Resources\":{\"my-bucket\":{\"Type\":\"T\"}}}"),
              "Template format error: Resource name my-bucket is non alphanumeric.");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Propertys\":{}}}}"),
              "Invalid template resource property 'Propertys'");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"X\":null}}}}"),
              "[/Resources/A/Properties/X] 'null' values are not allowed in templates");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"L\":[1,null]}}}}"),
              "[/Resources/A/Properties/L/1] 'null' values are not allowed in templates");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"DependsOn\":\"Zed\"}}}"),
              "Template format error: Unresolved resource dependencies [Zed] in the Resources "
              "block of the template");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Ref\":\"Nope\"},\"C\":{\"Fn::Sub\":\"${Gone}-${A.Arn}\"}}}}}"),
              "Template format error: Unresolved resource dependencies [Nope, Gone] in the "
              "Resources block of the template");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Fn::GetAtt\":[\"Nope\",\"Arn\"]}}}}}"),
              "Template error: instance of Fn::GetAtt references undefined resource Nope");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Fn::Sub\":\"${bad-name}\"}}}}}"),
              "Template error: variable names in Fn::Sub syntax must contain only alphanumeric "
              "characters, underscores, periods, and colons");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Fn::If\":[\"Nope\",1,2]}}}}}"),
              "Template error: unresolved condition dependency Nope in Fn::If");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Condition\":\"Nope\"}}}"),
              "Template format error: Unresolved condition dependencies [Nope] in the Resources "
              "block of the template");
    CHECK_STR(parse_err("{\"Conditions\":{\"C\":{\"Fn::Equals\":[{\"Ref\":\"A\"},\"x\"]}},"
                        "\"Resources\":{\"A\":{\"Type\":\"T\",\"Condition\":\"C\"}}}"),
              "Template format error: Unresolved dependencies [A]. Cannot reference resources in "
              "the Conditions block of the template");
    CHECK_STR(parse_err("{\"Conditions\":{\"A\":{\"Condition\":\"B\"},\"B\":{\"Fn::Not\":"
                        "[{\"Condition\":\"A\"}]},\"C\":{\"Fn::Equals\":[1,1]}}," RES "}"),
              "Template format error: Circular dependency between conditions: [A, B]");
    CHECK_STR(parse_err("{\"Conditions\":{\"C\":{\"Ref\":\"AWS::Region\"}}," RES "}"),
              "Template format error: Conditions can only be boolean operations on parameters "
              "and other conditions");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Fn::FindInMap\":[\"Nope\",\"a\",\"b\"]}}}}}"),
              "Template error: Mapping named 'Nope' is not present in the 'Mappings' section of "
              "template.");
    CHECK_STR(parse_err("{\"Mappings\":{\"M\":{\"a\":\"b\"}}," RES "}"),
              "Template format error: [/Mappings/M/a] Every Mappings attribute must be a map");
    CHECK_STR(parse_err("{" RES ",\"Outputs\":{\"O\":{\"Description\":\"d\"}}}"),
              "Template format error: Every Outputs member must contain a Value object");
    CHECK_STR(parse_err("{" RES ",\"Outputs\":{\"O\":{\"Value\":{\"Ref\":\"Nope\"}}}}"),
              "Template format error: Unresolved resource dependencies [Nope] in the Outputs "
              "block of the template");
    CHECK_STR(parse_err("{\"Parameters\":{\"R\":{\"Type\":\"String\"}}," RES "}"),
              "Template error: all resources and parameters must have unique names. Common "
              "name(s): [R]");
    CHECK_STR(parse_err("{\"Parameters\":{\"P\":{\"Type\":\"Strin\"}}," RES "}"),
              "Template format error: Unrecognized parameter type: Strin");
    CHECK_STR(parse_err("{\"Parameters\":{\"P\":{\"Default\":\"x\"}}," RES "}"),
              "Template format error: Every Parameters object must contain a Type member.");
    CHECK_STR(parse_err("{\"Parameters\":{\"P\":{\"Type\":\"String\",\"Min\":1}}," RES "}"),
              "Invalid template parameter property 'Min'");
    CHECK_STR(parse_err("{\"Parameters\":{\"P\":{\"Type\":\"String\",\"AllowedPattern\":"
                        "\"[a-\"}}," RES "}"),
              "Template format error: Parameter 'P' AllowedPattern is not a valid regular "
              "expression: missing terminating ] for character class");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Fn::Join\":[\",\"]}}}}}"),
              "Template error: every Fn::Join object requires two parameters, (1) a string "
              "delimiter and (2) a list of strings to be joined or a function that returns a "
              "list of strings (such as Fn::GetAZs) to be joined.");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Fn::And\":[{\"Fn::Equals\":[1,1]}]}}}}}"),
              "Template error: every Fn::And object requires a list of at least 2 and at most 10 "
              "boolean parameters.");
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Ref\":[\"x\"]}}}}}"),
              "Template error: every Ref object must have a single String value.");
    /* A map that merely has a Ref member among others is data, not a function. */
    CHECK_STR(parse_err("{\"Resources\":{\"A\":{\"Type\":\"T\",\"Properties\":{\"B\":"
                        "{\"Ref\":\"x\",\"Other\":1}}}}}"),
              "(parsed)");

    /* Nesting is bounded, well before the C stack is. */
    char deep[4096];
    size_t n = (size_t)snprintf(deep, sizeof(deep),
                                "{\"Resources\":{\"A\":{\"Type\":\"T\","
                                "\"Properties\":{\"X\":");
    for (int i = 0; i < 200; i++) deep[n++] = '[';
    for (int i = 0; i < 200; i++) deep[n++] = ']';
    snprintf(deep + n, sizeof(deep) - n, "}}}}");
    CHECK_STR(parse_err(deep), "Template format error: nesting too deep");
}

/* ---- intrinsic functions */

static const char fn_tpl[] =
    "{\"Parameters\":{"
    "\"Env\":{\"Type\":\"String\",\"Default\":\"dev\"},"
    "\"Subnets\":{\"Type\":\"CommaDelimitedList\",\"Default\":\"subnet-1, subnet-2 ,subnet-3\"},"
    "\"Ports\":{\"Type\":\"List<Number>\",\"Default\":\"80,443\"},"
    "\"Size\":{\"Type\":\"Number\",\"Default\":8}},"
    "\"Mappings\":{\"RegionMap\":{\"us-east-1\":{\"Ami\":\"ami-east\",\"Zones\":[\"a\",\"b\"]},"
    "\"eu-west-1\":{\"Ami\":\"ami-west\"}}},"
    "\"Conditions\":{\"IsProd\":{\"Fn::Equals\":[{\"Ref\":\"Env\"},\"prod\"]},"
    "\"IsDev\":{\"Fn::Equals\":[\"dev\",{\"Ref\":\"Env\"}]},"
    "\"Big\":{\"Fn::Equals\":[{\"Ref\":\"Size\"},8]}},"
    "\"Resources\":{\"Bucket\":{\"Type\":\"AWS::S3::Bucket\"},"
    "\"Queue\":{\"Type\":\"AWS::SQS::Queue\"}}}";

static void test_intrinsics(void)
{
    tpl_t *t = parse(fn_tpl);
    CHECK(t != NULL);
    if (!t) return;
    /* Ref */
    CHECK_STR(ev(t, "{\"Ref\":\"Env\"}"), "\"dev\"");
    CHECK_STR(ev(t, "{\"Ref\":\"Size\"}"), "\"8\"");
    CHECK_STR(ev(t, "{\"Ref\":\"Subnets\"}"), "[\"subnet-1\",\"subnet-2\",\"subnet-3\"]");
    CHECK_STR(ev(t, "{\"Ref\":\"Ports\"}"), "[\"80\",\"443\"]");
    CHECK_STR(ev(t, "{\"Ref\":\"Bucket\"}"), "\"phys-Bucket\"");
    CHECK_STR(ev_with(t, "{\"Env\":\"prod\"}", NULL, "{\"Ref\":\"Env\"}"), "\"prod\"");
    CHECK_STR(ev(t, "{\"Ref\":\"Nope\"}"),
              "ERR: Template format error: Unresolved resource dependencies [Nope] in the "
              "Resources block of the template");
    not_created[0] = "Queue";
    CHECK_STR(ev(t, "{\"Ref\":\"Queue\"}"), "ERR: Template error: resource Queue has not been "
                                            "created");
    CHECK_STR(ev(t, "{\"Fn::GetAtt\":[\"Queue\",\"Arn\"]}"),
              "ERR: Template error: resource Queue has not been created");
    not_created[0] = NULL;
    /* pseudo parameters */
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::StackName\"}"), "\"web\"");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::StackId\"}"),
              "\"arn:aws:cloudformation:us-east-1:123456789012:stack/web/1111\"");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::Region\"}"), "\"us-east-1\"");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::AccountId\"}"), "\"123456789012\"");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::Partition\"}"), "\"aws\"");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::URLSuffix\"}"), "\"amazonaws.com\"");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::NotificationARNs\"}"), "[]");
    CHECK_STR(ev(t, "{\"Ref\":\"AWS::NoValue\"}"), "null");
    tpl_ctx_t cn = ctx_for(NULL, NULL);
    cn.partition = "aws-cn";
    cn.url_suffix = "amazonaws.com.cn";
    CHECK_STR(ev_with(t, NULL, &cn, "{\"Fn::Sub\":\"${AWS::Partition}/${AWS::URLSuffix}\"}"),
              "\"aws-cn/amazonaws.com.cn\"");
    cn.stack_id = NULL;
    CHECK_STR(ev_with(t, NULL, &cn, "{\"Ref\":\"AWS::StackId\"}"),
              "ERR: Template error: pseudo parameter AWS::StackId has no value in this "
              "evaluation");
    /* Fn::GetAtt */
    CHECK_STR(ev(t, "{\"Fn::GetAtt\":[\"Bucket\",\"Arn\"]}"),
              "\"arn:aws:test:us-east-1:123456789012:thing/Bucket\"");
    CHECK_STR(ev(t, "{\"Fn::GetAtt\":[\"Bucket\",\"Zones\"]}"), "[\"z1\",\"z2\"]");
    CHECK_STR(ev(t, "{\"Fn::GetAtt\":[\"Bucket\",\"Nope\"]}"),
              "ERR: Template error: resource Bucket does not support attribute type Nope in "
              "Fn::GetAtt");
    CHECK_STR(ev(t, "{\"Fn::GetAtt\":[\"Nope\",\"Arn\"]}"),
              "ERR: Template error: instance of Fn::GetAtt references undefined resource Nope");
    /* Fn::Join */
    CHECK_STR(ev(t, "{\"Fn::Join\":[\"-\",[\"a\",{\"Ref\":\"Env\"},3,true]]}"), "\"a-dev-3-true\"");
    CHECK_STR(ev(t, "{\"Fn::Join\":[\";\",{\"Ref\":\"Subnets\"}]}"),
              "\"subnet-1;subnet-2;subnet-3\"");
    CHECK_STR(ev(t, "{\"Fn::Join\":[\",\",[]]}"), "\"\"");
    CHECK_STR(ev(t, "{\"Fn::Join\":[\",\",[[\"nested\"]]]}"),
              "ERR: Template error: every Fn::Join object requires two parameters, (1) a string "
              "delimiter and (2) a list of strings to be joined or a function that returns a "
              "list of strings (such as Fn::GetAZs) to be joined.");
    /* Fn::Select */
    CHECK_STR(ev(t, "{\"Fn::Select\":[1,{\"Ref\":\"Subnets\"}]}"), "\"subnet-2\"");
    CHECK_STR(ev(t, "{\"Fn::Select\":[\"0\",[\"x\",\"y\"]]}"), "\"x\"");
    CHECK_STR(ev(t, "{\"Fn::Select\":[3,{\"Ref\":\"Subnets\"}]}"),
              "ERR: Template error: Fn::Select cannot select nonexistent value at index 3");
    CHECK_STR(ev(t, "{\"Fn::Select\":[-1,[\"x\"]]}"),
              "ERR: Template error: Fn::Select requires a list argument with two elements: an "
              "integer index and a list or a function that returns a list");
    /* Fn::Split */
    CHECK_STR(ev(t, "{\"Fn::Split\":[\"::\",\"a::b::::c\"]}"), "[\"a\",\"b\",\"\",\"c\"]");
    CHECK_STR(ev(t, "{\"Fn::Select\":[2,{\"Fn::Split\":[\",\",\"x,y,z\"]}]}"), "\"z\"");
    /* Fn::FindInMap */
    CHECK_STR(ev(t, "{\"Fn::FindInMap\":[\"RegionMap\",{\"Ref\":\"AWS::Region\"},\"Ami\"]}"),
              "\"ami-east\"");
    CHECK_STR(ev(t, "{\"Fn::FindInMap\":[\"RegionMap\",\"us-east-1\",\"Zones\"]}"),
              "[\"a\",\"b\"]");
    CHECK_STR(ev(t, "{\"Fn::FindInMap\":[\"RegionMap\",\"eu-west-1\",\"Zones\"]}"),
              "ERR: Template error: Unable to get mapping for RegionMap::eu-west-1::Zones");
    CHECK_STR(ev(t, "{\"Fn::FindInMap\":[\"Other\",\"a\",\"b\"]}"),
              "ERR: Template error: Mapping named 'Other' is not present in the 'Mappings' "
              "section of template.");
    /* Fn::Sub */
    CHECK_STR(ev(t, "{\"Fn::Sub\":\"${AWS::StackName}-${Env}-${Bucket}\"}"),
              "\"web-dev-phys-Bucket\"");
    CHECK_STR(ev(t, "{\"Fn::Sub\":\"arn=${Bucket.Arn} in ${AWS::Region}\"}"),
              "\"arn=arn:aws:test:us-east-1:123456789012:thing/Bucket in us-east-1\"");
    CHECK_STR(ev(t, "{\"Fn::Sub\":\"${!Literal} and ${!Env} cost $5 {x} ${\"}"),
              "\"${Literal} and ${Env} cost $5 {x} ${\"");
    CHECK_STR(ev(t, "{\"Fn::Sub\":[\"${Name}.${Domain}/${Env}\",{\"Name\":{\"Ref\":\"Env\"},"
                    "\"Domain\":\"example.com\"}]}"),
              "\"dev.example.com/dev\"");
    CHECK_STR(ev(t, "{\"Fn::Sub\":[\"${X.Y}\",{\"X.Y\":\"dotted\"}]}"), "\"dotted\"");
    CHECK_STR(ev(t, "{\"Fn::Sub\":\"${Subnets}\"}"),
              "ERR: Template error: variable Subnets in Fn::Sub does not resolve to a string");
    CHECK_STR(ev(t, "{\"Fn::Sub\":[\"${A}\",{\"A\":[1]}]}"),
              "ERR: Template error: variable A in Fn::Sub does not resolve to a string");
    CHECK_STR(ev(t, "{\"Fn::Sub\":[\"x\"]}"),
              "ERR: Template error: One or more Fn::Sub intrinsic functions don't specify "
              "expected arguments. Specify a string as first argument, and an optional second "
              "argument to specify a mapping of values to replace in the string");
    /* Fn::Base64 */
    CHECK_STR(ev(t, "{\"Fn::Base64\":\"#!/bin/bash\\necho hi\"}"),
              "\"IyEvYmluL2Jhc2gKZWNobyBoaQ==\"");
    CHECK_STR(ev(t, "{\"Fn::Base64\":{\"Fn::Sub\":\"${Env}\"}}"), "\"ZGV2\"");
    /* Fn::GetAZs */
    CHECK_STR(ev(t, "{\"Fn::GetAZs\":\"\"}"), "[\"us-east-1a\",\"us-east-1b\",\"us-east-1c\"]");
    CHECK_STR(ev(t, "{\"Fn::GetAZs\":{\"Ref\":\"AWS::Region\"}}"),
              "[\"us-east-1a\",\"us-east-1b\",\"us-east-1c\"]");
    tpl_ctx_t withazs = ctx_for(NULL, NULL);
    withazs.azs = fake_azs;
    CHECK_STR(ev_with(t, NULL, &withazs, "{\"Fn::GetAZs\":\"eu-west-1\"}"),
              "[\"eu-west-1x\",\"eu-west-1y\"]");
    /* condition functions and Condition */
    CHECK_STR(ev(t, "{\"Fn::Equals\":[\"8\",{\"Ref\":\"Size\"}]}"), "true");
    CHECK_STR(ev(t, "{\"Fn::Equals\":[8,\"8.0\"]}"), "false");
    CHECK_STR(ev(t, "{\"Fn::And\":[{\"Condition\":\"IsDev\"},{\"Condition\":\"Big\"}]}"), "true");
    CHECK_STR(ev(t, "{\"Fn::Or\":[{\"Condition\":\"IsProd\"},{\"Fn::Equals\":[1,2]}]}"), "false");
    CHECK_STR(ev(t, "{\"Fn::Not\":[{\"Condition\":\"IsProd\"}]}"), "true");
    CHECK_STR(ev(t, "{\"Condition\":\"IsDev\"}"), "true");
    CHECK_STR(ev_with(t, "{\"Env\":\"prod\"}", NULL, "{\"Condition\":\"IsProd\"}"), "true");
    CHECK_STR(ev(t, "{\"Fn::Not\":[true,false]}"),
              "ERR: Template error: every Fn::Not object requires a list of 1 boolean parameter.");
    /* containers keep shape; a single-member map that is not a function stays data */
    CHECK_STR(ev(t, "{\"Tags\":[{\"Key\":\"Env\",\"Value\":{\"Ref\":\"Env\"}}],\"N\":1}"),
              "{\"Tags\":[{\"Key\":\"Env\",\"Value\":\"dev\"}],\"N\":1}");
    CHECK_STR(ev(t, "{\"Fn::Transform\":{}}"),
              "ERR: Template format error: Unsupported function Fn::Transform");
    /* without an import callback no export exists */
    CHECK_STR(ev(t, "{\"Fn::ImportValue\":\"x\"}"), "ERR: No export named x found.");
    CHECK_STR(ev(t, "{\"Fn::ImportValue\":{\"Fn::Sub\":\"${Env}-vpc\"}}"),
              "ERR: No export named dev-vpc found.");
    tpl_free(t);
}

/* ---- conditions, Fn::If and AWS::NoValue */

static const char if_tpl[] = "Parameters:\n"
                             "  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n"
                             "  Ha: {Type: String, Default: 'false'}\n"
                             "Conditions:\n"
                             "  IsProd: !Equals [!Ref Env, prod]\n"
                             "  WantHa: !Equals [!Ref Ha, 'true']\n"
                             "  ProdHa: !And [!Condition IsProd, !Condition WantHa]\n"
                             "  Either: !Or [!Condition IsProd, !Condition WantHa]\n"
                             "  NotProd: !Not [!Condition IsProd]\n"
                             "Resources:\n"
                             "  R: {Type: T}\n";

static void test_conditions(void)
{
    tpl_t *t = parse(if_tpl);
    CHECK(t != NULL);
    if (!t) return;
    cJSON *params = NULL, *conds = NULL, *g = cJSON_Parse("{\"Env\":\"prod\",\"Ha\":\"false\"}");
    errbuf_t eb = {{0}};
    tpl_ctx_t c = ctx_for(NULL, NULL);
    CHECK_INT(tpl_bind(t, g, &params, &eb), ERR_OK);
    c.params = params;
    CHECK_INT(tpl_conditions(t, &c, &conds, &eb), ERR_OK);
    CHECK_STR(json_of(conds), "{\"IsProd\":true,\"WantHa\":false,\"ProdHa\":false,\"Either\":true,"
                              "\"NotProd\":false}");
    cJSON_Delete(params);
    cJSON_Delete(conds);
    cJSON_Delete(g);

    /* Fn::If picks a branch; AWS::NoValue removes the member or the list item. */
    CHECK_STR(ev(t, "{\"A\":{\"Fn::If\":[\"IsProd\",\"big\",\"small\"]}}"), "{\"A\":\"small\"}");
    CHECK_STR(ev(t, "{\"A\":{\"Fn::If\":[\"IsProd\",\"big\",{\"Ref\":\"AWS::NoValue\"}]},"
                    "\"B\":1}"),
              "{\"B\":1}");
    CHECK_STR(ev(t, "[1,{\"Fn::If\":[\"NotProd\",{\"Ref\":\"AWS::NoValue\"},2]},3]"), "[1,3]");
    CHECK_STR(ev_with(t, "{\"Env\":\"prod\"}", NULL,
                      "[1,{\"Fn::If\":[\"NotProd\",{\"Ref\":\"AWS::NoValue\"},2]},3]"),
              "[1,2,3]");
    /* Nested Fn::If, NoValue deep inside maps and lists. */
    const char *nested =
        "{\"Sg\":[{\"Fn::If\":[\"IsProd\",{\"Fn::If\":[\"WantHa\",\"sg-ha\",\"sg-prod\"]},"
        "{\"Ref\":\"AWS::NoValue\"}]},\"sg-base\"],"
        "\"Block\":{\"Fn::If\":[\"Either\",{\"Size\":{\"Fn::If\":[\"ProdHa\",100,"
        "{\"Ref\":\"AWS::NoValue\"}]},\"Type\":\"gp3\"},{\"Ref\":\"AWS::NoValue\"}]}}";
    CHECK_STR(ev(t, nested), "{\"Sg\":[\"sg-base\"]}");
    CHECK_STR(ev_with(t, "{\"Env\":\"prod\"}", NULL, nested),
              "{\"Sg\":[\"sg-prod\",\"sg-base\"],\"Block\":{\"Type\":\"gp3\"}}");
    CHECK_STR(ev_with(t, "{\"Env\":\"prod\",\"Ha\":\"true\"}", NULL, nested),
              "{\"Sg\":[\"sg-ha\",\"sg-base\"],\"Block\":{\"Size\":100,\"Type\":\"gp3\"}}");
    CHECK_STR(ev_with(t, "{\"Ha\":\"true\"}", NULL, nested),
              "{\"Sg\":[\"sg-base\"],\"Block\":{\"Type\":\"gp3\"}}");
    /* Conditions from the context win (the engine passes tpl_conditions' result). */
    cJSON *forced = cJSON_Parse("{\"IsProd\":true}");
    tpl_ctx_t fc = ctx_for(NULL, forced);
    CHECK_STR(ev_with(t, NULL, &fc, "{\"Fn::If\":[\"IsProd\",\"p\",\"d\"]}"), "\"p\"");
    cJSON_Delete(forced);
    CHECK_STR(ev(t, "{\"Fn::If\":[\"Nope\",1,2]}"),
              "ERR: Template error: unresolved condition dependency Nope in Fn::If");
    CHECK_STR(ev(t, "{\"Fn::If\":[\"IsProd\",1]}"),
              "ERR: Template error: Fn::If requires a list argument with the first element being "
              "a condition");
    tpl_free(t);
}

/* ---- parameters */

static const char param_tpl[] =
    "{\"Parameters\":{"
    "\"Env\":{\"Type\":\"String\",\"AllowedValues\":[\"dev\",\"prod\"],\"Description\":\"stage\"},"
    "\"Name\":{\"Type\":\"String\",\"AllowedPattern\":\"[a-z][a-z0-9]*\",\"MinLength\":3,"
    "\"MaxLength\":\"8\",\"Default\":\"web\"},"
    "\"Pw\":{\"Type\":\"String\",\"NoEcho\":\"true\",\"MinLength\":8,"
    "\"ConstraintDescription\":\"must be at least 8 characters\",\"Default\":\"password1\"},"
    "\"Count\":{\"Type\":\"Number\",\"MinValue\":1,\"MaxValue\":10,\"Default\":2},"
    "\"Ratio\":{\"Type\":\"Number\",\"MaxValue\":0.5,\"Default\":\"0.25\"},"
    "\"Ports\":{\"Type\":\"List<Number>\",\"MaxValue\":65535,\"Default\":\"80, 443\"},"
    "\"Zones\":{\"Type\":\"CommaDelimitedList\",\"AllowedValues\":[\"a\",\"b\",\"c\"],"
    "\"Default\":\"a,b\"},"
    "\"Key\":{\"Type\":\"AWS::EC2::KeyPair::KeyName\",\"Default\":\"ops\"},"
    "\"Sgs\":{\"Type\":\"List<AWS::EC2::SecurityGroup::Id>\",\"Default\":\"sg-1,sg-2\"},"
    "\"Ami\":{\"Type\":\"AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>\","
    "\"Default\":\"ami-resolved\"}}," RES "}";

static void test_params(void)
{
    tpl_t *t = parse(param_tpl);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_INT(tpl_param_count(t), 10);
    const tpl_param_t *env = tpl_param(t, 0), *pw = tpl_param(t, 2), *cnt = tpl_param(t, 3);
    CHECK_STR(env->name, "Env");
    CHECK_STR(env->description, "stage");
    CHECK(env->default_value == NULL);
    CHECK_INT(cJSON_GetArraySize(env->allowed_values), 2);
    CHECK(pw->no_echo);
    CHECK(!env->no_echo);
    CHECK(pw->has_min_length && pw->min_length == 8);
    CHECK(cnt->has_min_value && cnt->min_value == 1 && cnt->has_max_value && cnt->max_value == 10);
    CHECK_STR(cnt->default_value, "2");
    CHECK_STR(tpl_param(t, 9)->type, "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>");
    CHECK(tpl_param(t, 10) == NULL);

    CHECK_STR(bind(t, NULL), "Parameters: [Env] must have values");
    CHECK_STR(bind(t, "{\"Env\":\"dev\"}"),
              "{\"Env\":\"dev\",\"Name\":\"web\",\"Pw\":\"password1\",\"Count\":\"2\","
              "\"Ratio\":\"0.25\",\"Ports\":\"80, 443\",\"Zones\":\"a,b\",\"Key\":\"ops\","
              "\"Sgs\":\"sg-1,sg-2\",\"Ami\":\"ami-resolved\"}");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Bogus\":\"1\",\"Other\":\"2\"}"),
              "Parameters: [Bogus, Other] do not exist in the template");
    CHECK_STR(bind(t, "{\"Env\":\"test\"}"), "Parameter 'Env' must be one of AllowedValues");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Name\":\"Web1\"}"),
              "Parameter 'Name' must match pattern [a-z][a-z0-9]*");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Name\":\"web1-x\"}"),
              "Parameter 'Name' must match pattern [a-z][a-z0-9]*");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Name\":\"ab\"}"),
              "Parameter 'Name' must contain at least 3 characters");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Name\":\"abcdefghi\"}"),
              "Parameter 'Name' must contain at most 8 characters");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Pw\":\"short\"}"),
              "Parameter Pw failed to satisfy constraint: must be at least 8 characters");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Count\":\"ten\"}"), "Parameter 'Count' must be a number");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Count\":\"0\"}"),
              "Parameter 'Count' must be a number not less than 1");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Count\":11}"),
              "Parameter 'Count' must be a number not greater than 10");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Ratio\":\"0.75\"}"),
              "Parameter 'Ratio' must be a number not greater than 0.5");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Ports\":\"80,x\"}"),
              "Parameter 'Ports' must be a number");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Ports\":\"80,70000\"}"),
              "Parameter 'Ports' must be a number not greater than 65535");
    CHECK_STR(bind(t, "{\"Env\":\"dev\",\"Zones\":\"a, d\"}"),
              "Parameter 'Zones' must be one of AllowedValues");
    CHECK(strstr(bind(t, "{\"Env\":\"dev\",\"Zones\":\"c , b\"}"), "\"Zones\":\"c , b\"") != NULL);
    CHECK_STR(bind(t, "{\"Env\":[\"dev\"]}"), "Parameter 'Env' must be a string");
    CHECK(strstr(bind(t, "{\"Env\":\"prod\",\"Count\":7}"), "\"Count\":\"7\"") != NULL);
    /* Lists come back from Ref as lists, members trimmed. */
    CHECK_STR(ev_with(t, "{\"Env\":\"dev\"}", NULL, "{\"Ref\":\"Sgs\"}"), "[\"sg-1\",\"sg-2\"]");
    CHECK_STR(ev_with(t, "{\"Env\":\"dev\"}", NULL, "{\"Ref\":\"Ports\"}"), "[\"80\",\"443\"]");
    CHECK_STR(ev_with(t, "{\"Env\":\"dev\"}", NULL, "{\"Ref\":\"Ami\"}"), "\"ami-resolved\"");
    tpl_free(t);

    /* Missing values are listed together, in declaration order. */
    t = parse("{\"Parameters\":{\"A\":{\"Type\":\"String\"},\"B\":{\"Type\":\"Number\"},"
              "\"C\":{\"Type\":\"String\",\"Default\":\"\"}}," RES "}");
    CHECK(t != NULL);
    CHECK_STR(bind(t, NULL), "Parameters: [A, B] must have values");
    CHECK_STR(bind(t, "{\"A\":\"\",\"B\":\"1\"}"), "{\"A\":\"\",\"B\":\"1\",\"C\":\"\"}");
    tpl_free(t);
}

/* ---- dependency order */

static void test_order(void)
{
    tpl_t *t = parse("{\"Resources\":{"
                     "\"App\":{\"Type\":\"T\",\"DependsOn\":[\"Db\",\"Cache\"]},"
                     "\"Db\":{\"Type\":\"T\",\"Properties\":{\"Sg\":{\"Ref\":\"Net\"}}},"
                     "\"Cache\":{\"Type\":\"T\",\"Properties\":{\"Sg\":{\"Fn::GetAtt\":[\"Net\","
                     "\"Arn\"]}}},"
                     "\"Net\":{\"Type\":\"T\"},"
                     "\"Dns\":{\"Type\":\"T\",\"Properties\":{\"Name\":{\"Fn::Sub\":"
                     "\"${App.Arn}\"}}},"
                     "\"Log\":{\"Type\":\"T\",\"DependsOn\":\"Net\"}}}");
    CHECK(t != NULL);
    if (!t) return;
    /* Diamond: App needs Db and Cache, both need Net. */
    CHECK_STR(order(t, NULL), "[\"Net\",\"Db\",\"Cache\",\"App\",\"Dns\",\"Log\"]");
    cJSON *deps = NULL;
    errbuf_t eb = {{0}};
    CHECK_INT(tpl_dependencies(t, "App", &deps, &eb), ERR_OK);
    CHECK_STR(json_of(deps), "[\"Db\",\"Cache\"]");
    cJSON_Delete(deps);
    deps = NULL;
    CHECK_INT(tpl_dependencies(t, "Dns", &deps, &eb), ERR_OK);
    CHECK_STR(json_of(deps), "[\"App\"]");
    cJSON_Delete(deps);
    CHECK_INT(tpl_dependencies(t, "Nope", &deps, &eb), ERR_VALIDATION);
    tpl_free(t);

    /* A cycle is reported with its members, not with what merely waits behind it. */
    t = parse("{\"Resources\":{"
              "\"A\":{\"Type\":\"T\",\"Properties\":{\"X\":{\"Ref\":\"C\"}}},"
              "\"B\":{\"Type\":\"T\",\"DependsOn\":\"A\"},"
              "\"C\":{\"Type\":\"T\",\"Properties\":{\"X\":{\"Fn::Sub\":\"${B}\"}}},"
              "\"Tail\":{\"Type\":\"T\",\"DependsOn\":\"C\"},"
              "\"Free\":{\"Type\":\"T\"}}}");
    CHECK(t != NULL);
    CHECK_STR(order(t, NULL), "Circular dependency between resources: [A, B, C]");
    tpl_free(t);
    t = parse("{\"Resources\":{\"A\":{\"Type\":\"T\",\"DependsOn\":[\"A\"]},"
              "\"B\":{\"Type\":\"T\",\"Properties\":{\"X\":{\"Fn::If\":[\"C\",{\"Ref\":\"A\"},"
              "{\"Ref\":\"B\"}]}}}},\"Conditions\":{\"C\":{\"Fn::Equals\":[1,1]}}}");
    CHECK_STR(order(t, NULL), "Circular dependency between resources: [A]");
    deps = NULL;
    CHECK_INT(tpl_dependencies(t, "A", &deps, &eb), ERR_OK);
    CHECK_STR(json_of(deps), "[]");
    cJSON_Delete(deps);
    deps = NULL;
    /* Without conditions, both branches of Fn::If count for deletion. */
    CHECK_INT(tpl_dependencies(t, "B", &deps, &eb), ERR_OK);
    CHECK_STR(json_of(deps), "[\"A\"]");
    cJSON_Delete(deps);
    tpl_free(t);

    /* Conditions: resources whose condition is false are left out; depending on one is an
     * error; a reference inside the Fn::If branch not taken is no dependency. */
    t = parse("Parameters:\n"
              "  Ha: {Type: String, Default: 'no'}\n"
              "Conditions:\n"
              "  WantHa: !Equals [!Ref Ha, 'yes']\n"
              "Resources:\n"
              "  Main: {Type: T}\n"
              "  Replica:\n"
              "    Type: T\n"
              "    Condition: WantHa\n"
              "    Properties: {Source: !Ref Main}\n"
              "  Dns:\n"
              "    Type: T\n"
              "    Properties:\n"
              "      Target: !If [WantHa, !GetAtt Replica.Arn, !Ref 'AWS::NoValue']\n"
              "Outputs:\n"
              "  ReplicaId:\n"
              "    Condition: WantHa\n"
              "    Value: !Ref Replica\n");
    CHECK(t != NULL);
    CHECK_STR(order(t, NULL), "[\"Main\",\"Dns\"]");
    CHECK_STR(order(t, "{\"Ha\":\"yes\"}"), "[\"Main\",\"Replica\",\"Dns\"]");
    CHECK_STR(outputs(t, NULL), "[]");
    CHECK_STR(outputs(t, "{\"Ha\":\"yes\"}"),
              "[{\"OutputKey\":\"ReplicaId\",\"OutputValue\":\"phys-Replica\"}]");
    tpl_free(t);
    t = parse("Parameters:\n"
              "  Ha: {Type: String, Default: 'no'}\n"
              "Conditions:\n"
              "  WantHa: !Equals [!Ref Ha, 'yes']\n"
              "Resources:\n"
              "  Replica: {Type: T, Condition: WantHa}\n"
              "  Dns: {Type: T, Properties: {Target: !Ref Replica}}\n");
    CHECK_STR(order(t, NULL),
              "Template format error: Unresolved resource dependencies [Replica] in the Resources "
              "block of the template");
    CHECK_STR(order(t, "{\"Ha\":\"yes\"}"), "[\"Replica\",\"Dns\"]");
    tpl_free(t);
    t = parse("Parameters:\n"
              "  Ha: {Type: String, Default: 'no'}\n"
              "Conditions:\n"
              "  WantHa: !Equals [!Ref Ha, 'yes']\n"
              "Resources:\n"
              "  Replica: {Type: T, Condition: WantHa}\n"
              "Outputs:\n"
              "  Id: {Value: !Ref Replica}\n");
    CHECK_STR(order(t, NULL),
              "Template format error: Unresolved resource dependencies [Replica] in the Outputs "
              "block of the template");
    tpl_free(t);
}

/* ---- outputs */

static void test_outputs(void)
{
    tpl_t *t = parse("{\"Parameters\":{\"Env\":{\"Type\":\"String\",\"Default\":\"dev\"}},"
                     "\"Conditions\":{\"IsProd\":{\"Fn::Equals\":[{\"Ref\":\"Env\"},\"prod\"]}},"
                     "\"Resources\":{\"Q\":{\"Type\":\"T\"}},"
                     "\"Outputs\":{"
                     "\"Url\":{\"Value\":{\"Fn::Sub\":\"https://${Q}.example\"},"
                     "\"Description\":\"the url\",\"Export\":{\"Name\":{\"Fn::Sub\":"
                     "\"${AWS::StackName}-url\"}}},"
                     "\"Zones\":{\"Value\":{\"Fn::GetAtt\":[\"Q\",\"Zones\"]}},"
                     "\"Num\":{\"Value\":42},"
                     "\"ProdOnly\":{\"Condition\":\"IsProd\",\"Value\":\"p\"}}}");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_STR(outputs(t, NULL),
              "[{\"OutputKey\":\"Url\",\"OutputValue\":\"https://phys-Q.example\","
              "\"Description\":\"the url\",\"ExportName\":\"web-url\"},"
              "{\"OutputKey\":\"Zones\",\"OutputValue\":\"z1,z2\"},"
              "{\"OutputKey\":\"Num\",\"OutputValue\":\"42\"}]");
    CHECK(strstr(outputs(t, "{\"Env\":\"prod\"}"), "\"OutputKey\":\"ProdOnly\"") != NULL);
    not_created[0] = "Q";
    CHECK_STR(outputs(t, NULL), "Template error: resource Q has not been created");
    not_created[0] = NULL;
    tpl_free(t);
}

/* ---- a realistic product: "Linux Desktop" */

static const char desktop_yaml[] =
    "AWSTemplateFormatVersion: '2010-09-09'\n"
    "Description: Linux Desktop - an Amazon Linux instance for one developer\n"
    "Parameters:\n"
    "  InstanceType:\n"
    "    Type: String\n"
    "    Default: t3.medium\n"
    "    AllowedValues: [t3.small, t3.medium, t3.large]\n"
    "    Description: EC2 instance type\n"
    "  Owner:\n"
    "    Type: String\n"
    "    AllowedPattern: '[a-z][a-z0-9.-]*'\n"
    "    ConstraintDescription: lower-case user name\n"
    "  VolumeSize:\n"
    "    Type: Number\n"
    "    Default: 30\n"
    "    MinValue: 8\n"
    "    MaxValue: 500\n"
    "Mappings:\n"
    "  RegionMap:\n"
    "    us-east-1:\n"
    "      AMI: ami-0abcdef1234567890\n"
    "    eu-west-1:\n"
    "      AMI: ami-0fedcba0987654321\n"
    "Conditions:\n"
    "  Large: !Equals [!Ref InstanceType, t3.large]\n"
    "Resources:\n"
    "  ReadyHandle:\n"
    "    Type: AWS::CloudFormation::WaitConditionHandle\n"
    "  Desktop:\n"
    "    Type: AWS::EC2::Instance\n"
    "    Properties:\n"
    "      InstanceType: !Ref InstanceType\n"
    "      ImageId: !FindInMap [RegionMap, !Ref 'AWS::Region', AMI]\n"
    "      EbsOptimized: !If [Large, true, !Ref 'AWS::NoValue']\n"
    "      BlockDeviceMappings:\n"
    "        - DeviceName: /dev/xvda\n"
    "          Ebs:\n"
    "            VolumeSize: !Ref VolumeSize\n"
    "            VolumeType: gp3\n"
    "      UserData:\n"
    "        Fn::Base64: !Sub |\n"
    "          #!/bin/bash\n"
    "          echo ${Owner} > /etc/desktop-owner\n"
    "          curl -X PUT '${ReadyHandle}'\n"
    "      Tags:\n"
    "        - Key: Name\n"
    "          Value: !Sub '${AWS::StackName}-desktop-${Owner}'\n"
    "        - Key: Owner\n"
    "          Value: !Ref Owner\n"
    "Outputs:\n"
    "  InstanceId:\n"
    "    Description: The desktop instance\n"
    "    Value: !Ref Desktop\n"
    "  PublicDnsName:\n"
    "    Value: !GetAtt Desktop.PublicDnsName\n";

static void test_desktop(void)
{
    tpl_t *t = parse(desktop_yaml);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_STR(tpl_description(t), "Linux Desktop - an Amazon Linux instance for one developer");
    CHECK_STR(bind(t, "{\"Owner\":\"alice\",\"InstanceType\":\"m5.24xlarge\"}"),
              "Parameter 'InstanceType' must be one of AllowedValues");
    CHECK_STR(bind(t, "{\"Owner\":\"Alice\"}"),
              "Parameter Owner failed to satisfy constraint: lower-case user name");
    CHECK_STR(bind(t, "{\"Owner\":\"alice\",\"VolumeSize\":\"4\"}"),
              "Parameter 'VolumeSize' must be a number not less than 8");
    CHECK_STR(bind(t, NULL), "Parameters: [Owner] must have values");

    cJSON *g = cJSON_Parse("{\"Owner\":\"alice\"}"), *params = NULL, *conds = NULL, *ord = NULL,
          *props = NULL, *outs = NULL;
    errbuf_t eb = {{0}};
    tpl_ctx_t c = ctx_for(NULL, NULL);
    CHECK_INT(tpl_bind(t, g, &params, &eb), ERR_OK);
    c.params = params;
    CHECK_INT(tpl_conditions(t, &c, &conds, &eb), ERR_OK);
    c.conditions = conds;
    CHECK_INT(tpl_order(t, &c, &ord, &eb), ERR_OK);
    CHECK_STR(json_of(ord), "[\"ReadyHandle\",\"Desktop\"]");
    const cJSON *desk = tpl_resource(t, "Desktop");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(desk, "Type")->valuestring, "AWS::EC2::Instance");
    CHECK_INT(tpl_eval(t, &c, cJSON_GetObjectItemCaseSensitive(desk, "Properties"), &props, &eb),
              ERR_OK);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(props, "InstanceType")->valuestring, "t3.medium");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(props, "ImageId")->valuestring,
              "ami-0abcdef1234567890");
    CHECK(cJSON_GetObjectItemCaseSensitive(props, "EbsOptimized") == NULL);
    CHECK_STR(json_of(cJSON_GetObjectItemCaseSensitive(props, "BlockDeviceMappings")),
              "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeSize\":\"30\","
              "\"VolumeType\":\"gp3\"}}]");
    CHECK_STR(json_of(cJSON_GetObjectItemCaseSensitive(props, "Tags")),
              "[{\"Key\":\"Name\",\"Value\":\"web-desktop-alice\"},"
              "{\"Key\":\"Owner\",\"Value\":\"alice\"}]");
    /* base64 of "#!/bin/bash\necho alice > /etc/desktop-owner\ncurl -X PUT 'phys-ReadyHandle'\n" */
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(props, "UserData")->valuestring,
              "IyEvYmluL2Jhc2gKZWNobyBhbGljZSA+IC9ldGMvZGVza3RvcC1vd25lcgpjdXJsIC1YIFBVVCAncGh5cy1S"
              "ZWFkeUhhbmRsZScK");
    CHECK_INT(tpl_outputs(t, &c, &outs, &eb), ERR_OK);
    CHECK_STR(json_of(outs),
              "[{\"OutputKey\":\"InstanceId\",\"OutputValue\":\"phys-Desktop\","
              "\"Description\":\"The desktop instance\"},{\"OutputKey\":\"PublicDnsName\","
              "\"OutputValue\":\"ec2-203-0-113-7.compute-1.amazonaws.com\"}]");
    cJSON_Delete(props);
    props = NULL;
    cJSON_Delete(conds);
    conds = NULL;
    cJSON_Delete(params);
    params = NULL;

    /* In eu-west-1 with a large instance: the other AMI, EbsOptimized appears. */
    cJSON_Delete(g);
    g = cJSON_Parse("{\"Owner\":\"bob\",\"InstanceType\":\"t3.large\"}");
    c = ctx_for(NULL, NULL);
    c.region = "eu-west-1";
    CHECK_INT(tpl_bind(t, g, &params, &eb), ERR_OK);
    c.params = params;
    CHECK_INT(tpl_conditions(t, &c, &conds, &eb), ERR_OK);
    c.conditions = conds;
    CHECK_INT(tpl_eval(t, &c, cJSON_GetObjectItemCaseSensitive(desk, "Properties"), &props, &eb),
              ERR_OK);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(props, "ImageId")->valuestring,
              "ami-0fedcba0987654321");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "EbsOptimized")));
    c.region = "ap-south-1";
    cJSON *again = NULL;
    CHECK_INT(tpl_eval(t, &c, cJSON_GetObjectItemCaseSensitive(desk, "Properties"), &again, &eb),
              ERR_VALIDATION);
    CHECK_STR(eb.msg, "Template error: Unable to get mapping for RegionMap::ap-south-1::AMI");
    cJSON_Delete(g);
    cJSON_Delete(params);
    cJSON_Delete(conds);
    cJSON_Delete(ord);
    cJSON_Delete(props);
    cJSON_Delete(outs);
    tpl_free(t);
}

/* ---- bounds */

static void test_bounds(void)
{
    /* An evaluation that would build more than its budget stops with an error: 400 copies
     * of a 100 kB mapping value pass the 8 MiB limit. */
    size_t cap = 200000;
    char *body = malloc(cap);
    size_t n = (size_t)snprintf(body, cap, "{\"Mappings\":{\"M\":{\"k\":{\"v\":\"");
    memset(body + n, 'x', 100000);
    n += 100000;
    snprintf(body + n, cap - n, "\"}}}," RES "}");
    tpl_t *t = parse(body);
    CHECK(t != NULL);
    n = (size_t)snprintf(body, cap, "[");
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(body + n, cap - n, "%s{\"Fn::FindInMap\":[\"M\",\"k\",\"v\"]}",
                              i ? "," : "");
    snprintf(body + n, cap - n, "]");
    if (t)
        CHECK_STR(ev(t, body), "ERR: Template error: evaluation exceeds its limits (200000 "
                               "values, 8388608 bytes)");
    if (t)
        CHECK_STR(ev(t, "{\"Fn::Select\":[0,[{\"Fn::FindInMap\":[\"M\",\"k\",\"v\"]}]]}") + 0,
                  ev(t, "{\"Fn::FindInMap\":[\"M\",\"k\",\"v\"]}"));
    free(body);
    tpl_free(t);
    tpl_free(NULL);
    CHECK(tpl_json(NULL) == NULL);
    CHECK(tpl_resource(NULL, "X") == NULL);
    CHECK(tpl_param_count(NULL) == 0);
}

/* ---- dynamic references (dynref.c) */

/* Resolves NAME[:VERSION] to "<s|S>(ref)" (S: ssm-secure) and records the paths seen. */
static char dyn_paths[512];
static err_t dyn_fn(void *ud, bool secure, const char *ref, const char *path, char **value,
                    errbuf_t *eb)
{
    (void)ud;
    if (!strcmp(ref, "/fail")) return err_fail(eb, ERR_VALIDATION, "no %s", ref);
    size_t n = strlen(dyn_paths);
    snprintf(dyn_paths + n, sizeof(dyn_paths) - n, "%s%s", n ? ";" : "", path);
    if (value) {
        size_t len = strlen(ref) + 8;
        *value = malloc(len);
        snprintf(*value, len, "%c(%s)", secure ? 'S' : 's', ref);
    }
    return ERR_OK;
}

static const char *dyn(const char *json, bool build)
{
    static char out[1024];
    cJSON *in = cJSON_Parse(json), *res = NULL;
    errbuf_t eb = {{0}};
    dyn_paths[0] = '\0';
    err_t rc = tpl_dynrefs(in, "T/Properties", dyn_fn, NULL, build ? &res : NULL, &eb);
    char *text = res ? cJSON_PrintUnformatted(res) : NULL;
    snprintf(out, sizeof(out), "%s", rc ? eb.msg : text ? text : dyn_paths);
    free(text);
    cJSON_Delete(res);
    cJSON_Delete(in);
    return out;
}

static void test_dynrefs(void)
{
    CHECK_STR(dyn("{\"A\":\"{{resolve:ssm:/a/b}}\",\"B\":[1,\"x{{resolve:ssm:c:2}}y\"]}", true),
              "{\"A\":\"s(/a/b)\",\"B\":[1,\"xs(c:2)y\"]}");
    CHECK_STR(
        dyn("{\"A\":\"{{resolve:ssm:/a/b}}\",\"B\":{\"C\":[\"{{resolve:ssm-secure:p}}\"]}}", false),
        "T/Properties/A;T/Properties/B/C/0");
    /* others' references and look-alikes are kept as written */
    CHECK_STR(
        dyn("{\"A\":\"{{resolve:secretsmanager:s}} {{resolve:ssm:}} {{resolve:ssm:x\"}", true),
        "{\"A\":\"{{resolve:secretsmanager:s}} {{resolve:ssm:}} {{resolve:ssm:x\"}");
    CHECK_STR(dyn("{\"A\":\"{{resolve:ssm:/fail}}\"}", true), "no /fail");
}

int main(void)
{
    test_same_tree();
    test_yaml_scalars();
    test_structure();
    test_intrinsics();
    test_conditions();
    test_params();
    test_order();
    test_outputs();
    test_desktop();
    test_bounds();
    test_dynrefs();
    return CHECK_DONE();
}
