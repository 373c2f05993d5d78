/* test_adoc.c - unit tests for Automation documents (src/auto): the three AWS-owned EC2
 * runbooks as JSON and YAML, every validation failure with its message, parameter binding
 * with SSM's messages, {{ }} interpolation, output selectors and durations.
 * LONG-FILE: one suite for one module; its cases read best side by side. */
#include "auto/adoc.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers */

/* s with every ' turned into ", so JSON reads easily in C (xmalloc'd). */
static char *jq(const char *s)
{
    char *t = strdup(s);
    for (char *p = t; *p; p++)
        if (*p == '\'') *p = '"';
    return t;
}

static adoc_t *parse_fmt(const char *doc, adoc_format_t fmt)
{
    adoc_t *d = NULL;
    errbuf_t eb = {{0}};
    if (adoc_parse(span_of(doc), fmt, &d, &eb) != ADOC_OK)
        fprintf(stderr, "  unexpected parse failure: %s\n  doc: %s\n", eb.msg, doc);
    return d;
}

/* Parses a jq() document; NULL (and a note) when it fails. */
static adoc_t *pj(const char *doc)
{
    char *t = jq(doc);
    adoc_t *d = parse_fmt(t, ADOC_JSON);
    free(t);
    return d;
}

/* The message for doc failing with want; "(parsed)" when it parsed, "(bad code)" when the
 * error was another one or *out was set. */
static const char *fail_fmt(const char *doc, adoc_format_t fmt, adoc_error_t want)
{
    static char msg[1024];
    adoc_t *d = NULL;
    errbuf_t eb = {{0}};
    adoc_error_t rc = adoc_parse(span_of(doc), fmt, &d, &eb);
    if (rc == ADOC_OK) {
        adoc_free(d);
        return "(parsed)";
    }
    if (rc != want || d) return "(bad code)";
    snprintf(msg, sizeof(msg), "%s", eb.msg);
    return msg;
}

/* Failure message of a jq() JSON document expected to be InvalidDocumentContent. */
static const char *bad(const char *doc)
{
    static char msg[1024];
    char *t = jq(doc);
    snprintf(msg, sizeof(msg), "%s", fail_fmt(t, ADOC_JSON, ADOC_E_CONTENT));
    free(t);
    return msg;
}

/* A document with the given parameters block and one aws:pause step. */
static const char *with_params(const char *params)
{
    static char doc[4096];
    snprintf(doc, sizeof(doc),
             "{'schemaVersion':'0.3','parameters':%s,'mainSteps':[{'name':'p','action':'aws:"
             "pause','inputs':{}}]}",
             params);
    return doc;
}

/* A document with the given mainSteps list and parameters P (String) and L (StringList). */
static const char *with_steps(const char *steps)
{
    static char doc[8192];
    snprintf(doc, sizeof(doc),
             "{'schemaVersion':'0.3','parameters':{'P':{'type':'String','default':'x'},"
             "'L':{'type':'StringList','default':[]}},'mainSteps':%s}",
             steps);
    return doc;
}

/* ---- the AWS-owned runbooks (reference/aws-api.md section 4) */

static const char restart_json[] =
    "{\n"
    "  \"description\": \"Restart EC2 instances(s)\",\n"
    "  \"schemaVersion\": \"0.3\",\n"
    "  \"assumeRole\": \"{{ AutomationAssumeRole }}\",\n"
    "  \"parameters\": {\n"
    "    \"InstanceId\": {\n"
    "      \"type\": \"StringList\",\n"
    "      \"description\": \"(Required) EC2 Instance(s) to restart\"\n"
    "    },\n"
    "    \"AutomationAssumeRole\": {\n"
    "      \"type\": \"String\",\n"
    "      \"description\": \"(Optional) The ARN of the role that allows Automation to perform "
    "the actions on your behalf.\",\n"
    "      \"default\": \"\"\n"
    "    }\n"
    "  },\n"
    "  \"mainSteps\": [\n"
    "    {\n"
    "      \"name\": \"stopInstances\",\n"
    "      \"action\": \"aws:changeInstanceState\",\n"
    "      \"inputs\": {\n"
    "        \"InstanceIds\": \"{{ InstanceId }}\",\n"
    "        \"DesiredState\": \"stopped\"\n"
    "      }\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"startInstances\",\n"
    "      \"action\": \"aws:changeInstanceState\",\n"
    "      \"inputs\": {\n"
    "        \"InstanceIds\": \"{{ InstanceId }}\",\n"
    "        \"DesiredState\": \"running\"\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

static const char stop_json[] =
    "{\n"
    "  \"description\": \"Stop EC2 instances(s)\",\n"
    "  \"schemaVersion\": \"0.3\",\n"
    "  \"assumeRole\": \"{{ AutomationAssumeRole }}\",\n"
    "  \"parameters\": {\n"
    "    \"InstanceId\": {\n"
    "      \"type\": \"StringList\",\n"
    "      \"description\": \"(Required) EC2 Instance(s) to stop\"\n"
    "    },\n"
    "    \"AutomationAssumeRole\": {\n"
    "      \"type\": \"String\",\n"
    "      \"description\": \"(Optional) The ARN of the role that allows Automation to perform "
    "the actions on your behalf.\",\n"
    "      \"default\": \"\"\n"
    "    }\n"
    "  },\n"
    "  \"mainSteps\": [\n"
    "    {\n"
    "      \"name\": \"stopInstances\",\n"
    "      \"action\": \"aws:changeInstanceState\",\n"
    "      \"onFailure\": \"Continue\",\n"
    "      \"inputs\": {\n"
    "        \"InstanceIds\": \"{{ InstanceId }}\",\n"
    "        \"DesiredState\": \"stopped\"\n"
    "      }\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"forceStopInstances\",\n"
    "      \"action\": \"aws:changeInstanceState\",\n"
    "      \"inputs\": {\n"
    "        \"InstanceIds\": \"{{ InstanceId }}\",\n"
    "        \"CheckStateOnly\": false,\n"
    "        \"DesiredState\": \"stopped\",\n"
    "        \"Force\": true\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

static const char start_json[] =
    "{\n"
    "  \"description\": \"Start EC2 instances(s)\",\n"
    "  \"schemaVersion\": \"0.3\",\n"
    "  \"assumeRole\": \"{{ AutomationAssumeRole }}\",\n"
    "  \"parameters\": {\n"
    "    \"InstanceId\": {\n"
    "      \"type\": \"StringList\",\n"
    "      \"description\": \"(Required) EC2 Instance(s) to start\"\n"
    "    },\n"
    "    \"AutomationAssumeRole\": {\n"
    "      \"type\": \"String\",\n"
    "      \"description\": \"(Optional) The ARN of the role that allows Automation to perform "
    "the actions on your behalf.\",\n"
    "      \"default\": \"\"\n"
    "    }\n"
    "  },\n"
    "  \"mainSteps\": [\n"
    "    {\n"
    "      \"name\": \"startInstances\",\n"
    "      \"action\": \"aws:changeInstanceState\",\n"
    "      \"inputs\": {\n"
    "        \"InstanceIds\": \"{{ InstanceId }}\",\n"
    "        \"DesiredState\": \"running\"\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* The same three as AWS's JSON-to-YAML conversion writes them. */
static const char restart_yaml[] =
    "description: Restart EC2 instances(s)\n"
    "schemaVersion: '0.3'\n"
    "assumeRole: '{{ AutomationAssumeRole }}'\n"
    "parameters:\n"
    "  InstanceId:\n"
    "    type: StringList\n"
    "    description: (Required) EC2 Instance(s) to restart\n"
    "  AutomationAssumeRole:\n"
    "    type: String\n"
    "    description: (Optional) The ARN of the role that allows Automation to perform the "
    "actions on your behalf.\n"
    "    default: ''\n"
    "mainSteps:\n"
    "  - name: stopInstances\n"
    "    action: 'aws:changeInstanceState'\n"
    "    inputs:\n"
    "      InstanceIds: '{{ InstanceId }}'\n"
    "      DesiredState: stopped\n"
    "  - name: startInstances\n"
    "    action: 'aws:changeInstanceState'\n"
    "    inputs:\n"
    "      InstanceIds: '{{ InstanceId }}'\n"
    "      DesiredState: running\n";

static const char stop_yaml[] =
    "description: \"Stop EC2 instances(s)\"\n"
    "schemaVersion: \"0.3\"\n"
    "assumeRole: \"{{ AutomationAssumeRole }}\"\n"
    "parameters:\n"
    "  InstanceId:\n"
    "    type: \"StringList\"\n"
    "    description: \"(Required) EC2 Instance(s) to stop\"\n"
    "  AutomationAssumeRole:\n"
    "    type: \"String\"\n"
    "    description: \"(Optional) The ARN of the role that allows Automation to perform the "
    "actions on your behalf.\"\n"
    "    default: \"\"\n"
    "mainSteps:\n"
    "- name: \"stopInstances\"\n"
    "  action: \"aws:changeInstanceState\"\n"
    "  onFailure: \"Continue\"\n"
    "  inputs:\n"
    "    InstanceIds: \"{{ InstanceId }}\"\n"
    "    DesiredState: \"stopped\"\n"
    "- name: \"forceStopInstances\"\n"
    "  action: \"aws:changeInstanceState\"\n"
    "  inputs:\n"
    "    InstanceIds: \"{{ InstanceId }}\"\n"
    "    CheckStateOnly: false\n"
    "    DesiredState: \"stopped\"\n"
    "    Force: true\n";

static const char start_yaml[] =
    "---\n"
    "description: Start EC2 instances(s)\n"
    "schemaVersion: \"0.3\"\n"
    "assumeRole: \"{{ AutomationAssumeRole }}\"\n"
    "parameters:\n"
    "  InstanceId:\n"
    "    type: StringList\n"
    "    description: (Required) EC2 Instance(s) to start\n"
    "  AutomationAssumeRole:\n"
    "    type: String\n"
    "    description: (Optional) The ARN of the role that allows Automation to perform the "
    "actions on your behalf.\n"
    "    default: \"\"\n"
    "mainSteps:\n"
    "  - name: startInstances\n"
    "    action: aws:changeInstanceState\n"
    "    inputs:\n"
    "      InstanceIds: \"{{ InstanceId }}\"\n"
    "      DesiredState: running\n";

static void check_common_params(const adoc_t *d, const char *verb)
{
    char want[80];
    CHECK_INT(adoc_param_count(d), 2);
    const adoc_param_t *p = adoc_param(d, 0);
    CHECK_STR(p->name, "InstanceId");
    CHECK_STR(p->type, "StringList");
    snprintf(want, sizeof(want), "(Required) EC2 Instance(s) to %s", verb);
    CHECK_STR(p->description, want);
    CHECK(p->default_value == NULL);
    CHECK(p->allowed_values == NULL && p->allowed_pattern == NULL);
    CHECK(p->min_items == -1 && p->max_items == -1 && p->min_chars == -1 && p->max_chars == -1);
    p = adoc_param(d, 1);
    CHECK_STR(p->name, "AutomationAssumeRole");
    CHECK_STR(p->type, "String");
    CHECK(cJSON_IsString(p->default_value) && p->default_value->valuestring[0] == '\0');
    CHECK(adoc_param(d, 2) == NULL);
    CHECK_STR(adoc_assume_role(d), "{{ AutomationAssumeRole }}");
}

static void check_state_step(const adoc_step_t *s, const char *name, const char *state)
{
    CHECK_STR(s->name, name);
    CHECK_STR(s->action, "aws:changeInstanceState");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(s->inputs, "DesiredState");
    CHECK(cJSON_IsString(ds) && strcmp(ds->valuestring, state) == 0);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(s->inputs, "InstanceIds");
    CHECK(cJSON_IsString(ids) && strcmp(ids->valuestring, "{{ InstanceId }}") == 0);
    CHECK_INT(s->max_attempts, 1);
    CHECK_INT(s->timeout_s, 0);
    CHECK(!s->is_end && s->next_step == NULL && s->outputs == NULL);
    CHECK_STR(s->on_cancel, "Abort");
}

static void test_runbooks(void)
{
    const char *fmts[] = {"JSON", "YAML"};
    for (int f = 0; f < 2; f++) {
        adoc_format_t fmt = f ? ADOC_YAML : ADOC_JSON;
        adoc_t *r = parse_fmt(f ? restart_yaml : restart_json, fmt);
        adoc_t *s = parse_fmt(f ? stop_yaml : stop_json, fmt);
        adoc_t *t = parse_fmt(f ? start_yaml : start_json, fmt);
        CHECK(r && s && t);
        if (!r || !s || !t) {
            fprintf(stderr, "  runbooks as %s did not parse\n", fmts[f]);
            adoc_free(r), adoc_free(s), adoc_free(t);
            continue;
        }
        /* AWS-RestartEC2Instance */
        CHECK_STR(adoc_description(r), "Restart EC2 instances(s)");
        check_common_params(r, "restart");
        CHECK_INT(adoc_step_count(r), 2);
        check_state_step(adoc_step(r, 0), "stopInstances", "stopped");
        check_state_step(adoc_step(r, 1), "startInstances", "running");
        CHECK_STR(adoc_step(r, 0)->on_failure, "Abort");
        CHECK(adoc_step(r, 0)->is_critical);
        CHECK(adoc_step(r, 2) == NULL);
        CHECK_INT(adoc_step_index(r, "startInstances"), 1);
        CHECK_INT(adoc_step_index(r, "rebootInstances"), -1);
        CHECK(adoc_outputs(r) == NULL);
        /* AWS-StopEC2Instance */
        CHECK_STR(adoc_description(s), "Stop EC2 instances(s)");
        check_common_params(s, "stop");
        CHECK_INT(adoc_step_count(s), 2);
        check_state_step(adoc_step(s, 0), "stopInstances", "stopped");
        check_state_step(adoc_step(s, 1), "forceStopInstances", "stopped");
        CHECK_STR(adoc_step(s, 0)->on_failure, "Continue");
        CHECK(!adoc_step(s, 0)->is_critical); /* Continue makes it non-critical */
        CHECK(adoc_step(s, 1)->is_critical);
        const cJSON *in = adoc_step(s, 1)->inputs;
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "Force")));
        CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(in, "CheckStateOnly")));
        /* AWS-StartEC2Instance */
        CHECK_STR(adoc_description(t), "Start EC2 instances(s)");
        check_common_params(t, "start");
        CHECK_INT(adoc_step_count(t), 1);
        check_state_step(adoc_step(t, 0), "startInstances", "running");
        CHECK_STR(cJSON_GetObjectItemCaseSensitive(adoc_json(t), "schemaVersion")->valuestring,
                  "0.3");
        adoc_free(r), adoc_free(s), adoc_free(t);
    }
    /* YAML and JSON give the same tree; AUTO tells them apart */
    const char *pairs[][2] = {
        {restart_json, restart_yaml}, {stop_json, stop_yaml}, {start_json, start_yaml}};
    for (int i = 0; i < 3; i++) {
        adoc_t *j = parse_fmt(pairs[i][0], ADOC_AUTO), *y = parse_fmt(pairs[i][1], ADOC_AUTO);
        CHECK(j && y && cJSON_Compare(adoc_json(j), adoc_json(y), true));
        adoc_free(j), adoc_free(y);
    }
}

/* ---- YAML typing */

static void test_yaml(void)
{
    const char *doc = "schemaVersion: 0.3\n"
                      "parameters:\n"
                      "  N: {type: Integer, default: 0x10}\n"
                      "  B: {type: Boolean, default: True}\n"
                      "  S: {type: String, default: !!str 42}\n"
                      "  Q: {type: String, default: '7'}\n"
                      "  F: {type: StringMap, default: {a: 1.5e2, b: ~, c: .inf, 'd''e': x}}\n"
                      "  W: {type: String, default: 'a''b''c''d''e''f''g'}\n"
                      "  'XY':\n"
                      "    type: String\n"
                      "    default: ' first\n"
                      "      second  \n"
                      "\n"
                      "      third  '\n"
                      "mainSteps:\n"
                      "  - &step\n"
                      "    name: wait\n"
                      "    action: aws:sleep\n"
                      "    maxAttempts: 3\n"
                      "    timeoutSeconds: 600\n"
                      "    isEnd: true\n"
                      "    inputs:\n"
                      "      Duration: PT1M\n";
    adoc_t *d = parse_fmt(doc, ADOC_AUTO);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(adoc_json(d), "schemaVersion")->valuestring, "0.3");
    CHECK(cJSON_IsNumber(adoc_param(d, 0)->default_value) &&
          adoc_param(d, 0)->default_value->valuedouble == 16);
    CHECK(cJSON_IsTrue(adoc_param(d, 1)->default_value));
    CHECK_STR(adoc_param(d, 2)->default_value->valuestring, "42");
    CHECK_STR(adoc_param(d, 3)->default_value->valuestring, "7");
    const cJSON *f = adoc_param(d, 4)->default_value;
    CHECK(cJSON_GetObjectItemCaseSensitive(f, "a")->valuedouble == 150);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f, "b")));
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(f, "c")->valuestring, ".inf");
    CHECK_STR(adoc_param(d, 5)->default_value->valuestring, "a'b'c'd'e'f'g");
    CHECK_STR(adoc_param(d, 6)->name, "XY");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(f, "d'e")->valuestring, "x");
    CHECK_STR(adoc_param(d, 6)->default_value->valuestring, " first second\nthird  ");
    const adoc_step_t *s = adoc_step(d, 0);
    CHECK_INT(s->max_attempts, 3);
    CHECK_INT(s->timeout_s, 600);
    CHECK(s->is_end);
    adoc_free(d);
    /* YAML failures */
    CHECK_STR(fail_fmt("a: [1,\n  b: }\n", ADOC_YAML, ADOC_E_CONTENT),
              "YAML not well-formed. at Line: 2, Column: 6 (mismatched flow mapping end)");
    CHECK_STR(fail_fmt("schemaVersion: '0.3'\nschemaVersion: '0.3'\n", ADOC_YAML, ADOC_E_CONTENT),
              "YAML not well-formed. at Line: 2, Column: 1 (duplicate key)");
    CHECK_STR(fail_fmt("- a\n- b\n", ADOC_YAML, ADOC_E_CONTENT),
              "The document content must be an object (a JSON object or a YAML mapping).");
    CHECK_STR(fail_fmt("a: *nowhere\n", ADOC_YAML, ADOC_E_CONTENT),
              "YAML not well-formed: an alias names an unknown anchor.");
    CHECK_STR(fail_fmt("a: &x [ *x ]\n", ADOC_YAML, ADOC_E_CONTENT),
              "The document nests deeper than 64 levels.");
    /* billion laughs: bounded by the node budget */
    char laughs[2048];
    size_t n = (size_t)snprintf(laughs, sizeof(laughs), "a0: &a0 [x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++)
        n += (size_t)snprintf(laughs + n, sizeof(laughs) - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    CHECK_STR(fail_fmt(laughs, ADOC_YAML, ADOC_E_CONTENT),
              "The YAML document holds more than 100000 values (aliases expanded).");
}

/* ---- document validation */

static void test_top_level(void)
{
    CHECK_STR(
        fail_fmt("{\"schemaVersion\": \"0.3\",\n  \"mainSteps\": [}", ADOC_JSON, ADOC_E_CONTENT),
        "JSON not well-formed. at Line: 2, Column: 17");
    CHECK_STR(fail_fmt("{\"schemaVersion\": \"0.3\"} x", ADOC_JSON, ADOC_E_CONTENT),
              "JSON not well-formed. at Line: 1, Column: 26");
    CHECK_STR(fail_fmt("", ADOC_JSON, ADOC_E_CONTENT),
              "JSON not well-formed. at Line: 1, Column: 1");
    CHECK_STR(fail_fmt("[1]", ADOC_JSON, ADOC_E_CONTENT),
              "The document content must be an object (a JSON object or a YAML mapping).");
    CHECK_STR(fail_fmt("{\"a\": \"\xff\"}", ADOC_JSON, ADOC_E_CONTENT),
              "The document content is not valid UTF-8.");
    char *big = malloc(ADOC_MAX_CONTENT + 2);
    memset(big, ' ', ADOC_MAX_CONTENT + 1);
    big[ADOC_MAX_CONTENT + 1] = '\0';
    CHECK_STR(fail_fmt(big, ADOC_AUTO, ADOC_E_CONTENT),
              "The document content exceeds 65536 bytes.");
    free(big);
    char deep[300];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    snprintf(deep + 200, sizeof(deep) - 200, "}");
    char *dj = jq("{'a':");
    char dd[400];
    snprintf(dd, sizeof(dd), "%s%s", dj, deep);
    free(dj);
    CHECK_STR(fail_fmt(dd, ADOC_JSON, ADOC_E_CONTENT), "The document nests deeper than 64 levels.");
    CHECK_STR(bad("{'schemaVersion':'0.3','schemaVersion':'0.3','mainSteps':[]}"),
              "Duplicate key \"schemaVersion\" in the document.");
    /* schemaVersion */
    char *t = jq("{'schemaVersion':'2.2','mainSteps':[]}");
    CHECK_STR(fail_fmt(t, ADOC_JSON, ADOC_E_SCHEMA),
              "Document schema version is invalid. Value: 2.2. Automation documents use "
              "schemaVersion 0.3.");
    free(t);
    t = jq("{'schemaVersion':3.0,'mainSteps':[]}");
    CHECK_STR(fail_fmt(t, ADOC_JSON, ADOC_E_SCHEMA),
              "Document schema version is invalid. Value: 3. Automation documents use "
              "schemaVersion 0.3.");
    free(t);
    t = jq("{'mainSteps':[]}");
    CHECK_STR(fail_fmt(t, ADOC_JSON, ADOC_E_SCHEMA),
              "Document schema version is missing. Automation documents use schemaVersion 0.3.");
    free(t);
    CHECK_STR(bad("{'schemaVersion':'0.3','runtimeConfig':{},'mainSteps':[]}"),
              "Unknown top-level key \"runtimeConfig\". An Automation document may contain "
              "description, schemaVersion, assumeRole, parameters, mainSteps, outputs and files.");
    CHECK_STR(bad("{'schemaVersion':'0.3'}"), "The document must contain mainSteps.");
    CHECK_STR(bad("{'schemaVersion':'0.3','mainSteps':[]}"),
              "mainSteps must be a non-empty list of steps.");
    CHECK_STR(bad("{'schemaVersion':'0.3','description':5,'mainSteps':[]}"),
              "The document description must be a string.");
    CHECK_STR(bad("{'schemaVersion':'0.3','assumeRole':[],'mainSteps':[]}"),
              "assumeRole must be a string: a role ARN or a {{ parameter }}.");
    CHECK_STR(bad("{'schemaVersion':'0.3','outputs':'a.b','mainSteps':[]}"),
              "outputs must be a list of \"stepName.outputName\" strings.");
}

static void test_params_decl(void)
{
    CHECK_STR(bad(with_params("{'Bad Name':{'type':'String'}}")),
              "Parameter name \"Bad Name\" is not valid: use 1 to 50 letters, digits, "
              "underscores, hyphens or periods.");
    CHECK_STR(bad(with_params("{'X':'String'}")),
              "Parameter X must be defined as an object with a type.");
    CHECK_STR(bad(with_params("{'X':{'description':'d'}}")), "Parameter X is missing its type.");
    CHECK_STR(bad(with_params("{'X':{'type':'SecureString'}}")),
              "Parameter X has unsupported type \"SecureString\". Supported types: String, "
              "StringList, Integer, Boolean, MapList, StringMap.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','maxLength':3}}")),
              "Parameter X has unsupported attribute \"maxLength\". Supported attributes: type, "
              "description, default, allowedValues, allowedPattern, displayType, minItems, "
              "maxItems, minChars, maxChars.");
    CHECK_STR(bad(with_params("{'X':{'type':'Integer','default':'5'}}")),
              "The default value of parameter X is not a valid Integer.");
    CHECK_STR(bad(with_params("{'X':{'type':'Integer','default':1.5}}")),
              "The default value of parameter X is not a valid Integer.");
    CHECK_STR(bad(with_params("{'X':{'type':'Boolean','default':'true'}}")),
              "The default value of parameter X is not a valid Boolean.");
    CHECK_STR(bad(with_params("{'X':{'type':'StringList','default':['a',1]}}")),
              "The default value of parameter X is not a valid StringList.");
    CHECK_STR(bad(with_params("{'X':{'type':'MapList','default':[{},'a']}}")),
              "The default value of parameter X is not a valid MapList.");
    CHECK_STR(bad(with_params("{'X':{'type':'StringMap','default':[]}}")),
              "The default value of parameter X is not a valid StringMap.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','default':null}}")),
              "The default value of parameter X is not a valid String.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','allowedPattern':'a('}}")),
              "The allowedPattern of parameter X is not a valid regular expression: missing "
              "closing parenthesis at offset 2.");
    CHECK_STR(bad(with_params("{'X':{'type':'Boolean','allowedPattern':'t.*'}}")),
              "allowedPattern is not supported for parameter X of type Boolean.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','allowedValues':[]}}")),
              "The allowedValues of parameter X must be a non-empty list.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','allowedValues':[{}]}}")),
              "The allowedValues of parameter X must be plain values.");
    CHECK_STR(bad(with_params("{'X':{'type':'StringMap','allowedValues':['a']}}")),
              "allowedValues is not supported for parameter X of type StringMap.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','minItems':1}}")),
              "minItems is not supported for parameter X of type String.");
    CHECK_STR(bad(with_params("{'X':{'type':'StringList','maxItems':-1}}")),
              "The maxItems of parameter X must be a non-negative integer.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','minChars':5,'maxChars':2}}")),
              "Parameter X has a minimum larger than its maximum.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','displayType':'password'}}")),
              "The displayType of parameter X must be textfield or textarea.");
    CHECK_STR(bad(with_params("{'X':{'type':'String','description':[]}}")),
              "The description of parameter X must be a string.");
    adoc_t *d = pj(with_params("{'X':{'type':'String','allowedValues':['a','b'],'allowedPattern':"
                               "'[a-z]','minChars':1,'maxChars':3,'displayType':'textarea'}}"));
    CHECK(d && adoc_param(d, 0)->min_chars == 1 && adoc_param(d, 0)->max_chars == 3);
    CHECK(d && strcmp(adoc_param(d, 0)->allowed_pattern, "[a-z]") == 0);
    CHECK(d && strcmp(adoc_param(d, 0)->display_type, "textarea") == 0);
    CHECK(d && cJSON_GetArraySize(adoc_param(d, 0)->allowed_values) == 2);
    adoc_free(d);
}

static void test_steps(void)
{
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:invokeLambdaFunction','inputs':{}}]")),
              "Action aws:invokeLambdaFunction in step a is not supported by catalogd. Supported "
              "actions: " ADOC_ACTIONS);
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:runCommand','inputs':{}}]")),
              "Step a is missing the required input DocumentName of action aws:runCommand.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:runCommand','inputs':"
                             "{'DocumentName':'AWS-RunShellScript'}}]")),
              "Step a (aws:runCommand) needs InstanceIds or Targets.");
    CHECK_STR(bad(with_steps("[{'name':'l','action':'aws:loop','inputs':{'Iterators':'{{ L }}',"
                             "'Steps':[{'name':'s','action':'aws:sleep','inputs':{'Duration':"
                             "'PT1S'},'nextStep':'l'}]}}]")),
              "Step s inside the loop l cannot use nextStep, isEnd or step:<name> targets: the "
              "steps of a loop run in order.");
    CHECK_STR(bad(with_steps("[{'name':'l','action':'aws:loop','inputs':{'Iterators':'{{ L }}',"
                             "'Steps':[{'name':'s','action':'aws:sleep','inputs':{'Duration':"
                             "'{{ t.Nope }}'}}]}}]")),
              "Step l refers to t.Nope, but no step is named t.");
    CHECK_STR(bad(with_steps("[{'name':'l','action':'aws:loop','inputs':{'Iterators':'{{ L }}',"
                             "'MaxIterations':101,'Steps':[{'name':'s','action':'aws:sleep',"
                             "'inputs':{'Duration':'PT1S'}}]}}]")),
              "The MaxIterations of step l must be from 1 to 100.");
    {
        char *t = jq(with_steps(
            "[{'name':'l','action':'aws:loop','inputs':{'LoopCondition':{'Variable':"
            "'{{ s.Out }}','BooleanEquals':true},'Steps':[{'name':'s','action':"
            "'aws:executeScript','inputs':{'Runtime':'python3.11','Handler':'h','Script':"
            "'def h(e, c): return 1','InputPayload':{'n':'{{ l.CurrentIteration }}'}},"
            "'outputs':[{'Name':'Out','Selector':'$.Payload','Type':'Boolean'}]}]}}]"));
        adoc_t *d = NULL;
        errbuf_t eb = {{0}};
        CHECK(adoc_parse(span_of(t), ADOC_JSON, &d, &eb) == ADOC_OK);
        CHECK(d && adoc_step(d, 0)->n_loop_steps == 1);
        CHECK(d && adoc_find_step(d, "s") == &adoc_step(d, 0)->loop_steps[0]);
        adoc_free(d);
        free(t);
    }
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeScript','inputs':"
                             "{'Runtime':'PowerShell 7.4','Handler':'h','Script':'x'}}]")),
              "The Runtime of step a is \"PowerShell 7.4\"; catalogd runs python3.6 to "
              "python3.11 (PowerShell is not supported).");
    CHECK_STR(bad(with_steps("[{'action':'aws:pause','inputs':{}}]")),
              "mainSteps[0] is missing the required field name.");
    CHECK_STR(bad(with_steps("[{'name':'a b','action':'aws:pause','inputs':{}}]")),
              "Step name \"a b\" (mainSteps[0]) is not valid: use 1 to 128 letters, digits or "
              "underscores.");
    CHECK_STR(bad(with_steps("[{'name':'a','inputs':{}}]")),
              "Step a is missing the required field action.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause'}]")),
              "Step a is missing the required field inputs.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':[]}]")),
              "The inputs of step a must be an object.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'retries':2}]")),
              "Step a has unsupported field \"retries\". Steps take name, action, inputs, "
              "description, maxAttempts, timeoutSeconds, onFailure, onCancel, isEnd, nextStep, "
              "isCritical and outputs.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{}},"
                             "{'name':'a','action':'aws:pause','inputs':{}}]")),
              "Step name a is used by more than one step; step names must be unique.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'maxAttempts':0}]")),
              "The maxAttempts of step a must be an integer from 1 to 2147483647.");
    CHECK_STR(
        bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'timeoutSeconds':'60'}]")),
        "The timeoutSeconds of step a must be an integer from 1 to 2147483647.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'isEnd':'yes'}]")),
              "The isEnd of step a must be true or false.");
    CHECK_STR(
        bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'onFailure':'Retry'}]")),
        "The onFailure of step a is \"Retry\"; it must be Abort, Continue or step:<step "
        "name>.");
    CHECK_STR(
        bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'onCancel':'Continue'}]")),
        "The onCancel of step a is \"Continue\"; it must be Abort or step:<step name>.");
    /* dangling references */
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'nextStep':'b'}]")),
              "The nextStep of step a names step \"b\", which is not defined in the document.");
    CHECK_STR(
        bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'onFailure':'step:zz'}]")),
        "The onFailure of step a names step \"zz\", which is not defined in the document.");
    CHECK_STR(
        bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'onCancel':'step:zz'}]")),
        "The onCancel of step a names step \"zz\", which is not defined in the document.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'onCancel':'step:b'},"
                             "{'name':'b','action':'aws:sleep','inputs':{'Duration':'PT1S'}}]")),
              "The onCancel of step a names step b, but aws:sleep steps cannot run in a "
              "cancellation.");
    /* a good one with every field */
    adoc_t *d = pj(with_steps(
        "[{'name':'a','action':'aws:pause','inputs':{},'description':'d','maxAttempts':2,"
        "'timeoutSeconds':30,'onFailure':'step:c','onCancel':'step:c','nextStep':'c',"
        "'isCritical':false},{'name':'b','action':'aws:pause','inputs':{},'isEnd':true},"
        "{'name':'c','action':'aws:executeAwsApi','inputs':{'Service':'ec2','Api':'X'}}]"));
    CHECK(d != NULL);
    if (d) {
        const adoc_step_t *s = adoc_step(d, 0);
        CHECK(s->max_attempts == 2 && s->timeout_s == 30 && !s->is_critical);
        CHECK_STR(s->on_failure, "step:c");
        CHECK_STR(s->on_cancel, "step:c");
        CHECK_STR(s->next_step, "c");
        CHECK(adoc_step(d, 1)->is_end);
        CHECK_INT(adoc_step_index(d, "c"), 2);
    }
    adoc_free(d);
}

static void test_actions(void)
{
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                             "{'InstanceIds':'{{ L }}'}}]")),
              "Step a is missing the required input DesiredState of action "
              "aws:changeInstanceState.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                             "{'InstanceIds':['i-1'],'DesiredState':'paused'}}]")),
              "The DesiredState of step a is \"paused\"; it must be running, stopped or "
              "terminated.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                             "{'InstanceIds':['i-1'],'DesiredState':'running','Force':'yes'}}]")),
              "The input Force of step a must be true or false (or a {{ variable }}).");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                             "{'InstanceIds':[1],'DesiredState':'running'}}]")),
              "The input InstanceIds of step a must be a list of strings (or a {{ variable }}).");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                             "{'InstanceIds':['i-1'],'DesiredState':'running','Wait':true}}]")),
              "Action aws:changeInstanceState does not take the input \"Wait\" (step a).");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':"
                             "{'Service':'ec2'}}]")),
              "Step a is missing the required input Api of action aws:executeAwsApi.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:createImage','inputs':"
                             "{'InstanceId':'i-1'}}]")),
              "Step a is missing the required input ImageName of action aws:createImage.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:createImage','inputs':"
                             "{'InstanceId':'i-1','ImageName':'x','NoReboot':'yes'}}]")),
              "The input NoReboot of step a must be true or false (or a {{ variable }}).");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:createImage','inputs':"
                             "{'InstanceId':'i-1','ImageName':'x','Name':'y'}}]")),
              "Action aws:createImage does not take the input \"Name\" (step a).");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:waitForAwsResourceProperty','inputs':"
                             "{'Service':'ec2','Api':'DescribeInstances','PropertySelector':"
                             "'Reservations','DesiredValues':['running']}}]")),
              "Selector \"Reservations\" is not a supported JSONPath: a selector starts with $ "
              "at character 1.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:sleep','inputs':{}}]")),
              "Step a (aws:sleep) takes exactly one of the inputs Duration and Timestamp.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:sleep','inputs':{'Duration':'10m'}}]")),
              "The Duration of step a is not an ISO 8601 duration such as PT10M: \"10m\".");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:sleep','inputs':{'Duration':'P8D'}}]")),
              "The Duration of step a is longer than the maximum sleep of 604799 seconds.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:sleep','inputs':{'Timestamp':'soon'}}]")),
              "The Timestamp of step a is not an ISO 8601 date-time such as "
              "2020-01-01T01:00:00Z: \"soon\".");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{'Message':'m'}}]")),
              "Action aws:pause does not take the input \"Message\" (step a).");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:approve','inputs':{'Approvers':[]}}]")),
              "The Approvers of step a must list 1 to 10 approvers.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:approve','inputs':{'Approvers':['u'],"
                             "'MinRequiredApprovals':0}}]")),
              "The MinRequiredApprovals of step a must be at least 1.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                             "'Api':'DescribeInstances'},'outputs':[{'Name':'S','Selector':'$.A',"
                             "'Type':'Float'}]}]")),
              "The output S of step a has unsupported Type \"Float\". Supported types: String, "
              "Integer, Boolean, StringList, MapList, StringMap.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                             "'Api':'DescribeInstances'},'outputs':[{'Name':'S','Selector':"
                             "'$.A[?(@.x)]','Type':'String'}]}]")),
              "Selector \"$.A[?(@.x)]\" is not a supported JSONPath: expected *, an index or a "
              "quoted name (filters, slices and unions are not supported) at character 5.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                             "'Api':'X'},'outputs':[{'Name':'S','Selector':'$.A','Type':'String'},"
                             "{'Name':'S','Selector':'$.B','Type':'String'}]}]")),
              "Step a declares the output S twice.");
    /* variables in literal-checked inputs pass */
    adoc_t *d =
        pj(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                      "{'InstanceIds':'{{ L }}','DesiredState':'{{ P }}','Force':'{{ P }}'}},"
                      "{'name':'b','action':'aws:sleep','inputs':{'Duration':'{{P}}'}}]"));
    CHECK(d != NULL);
    adoc_free(d);
}

static void test_branch(void)
{
    const char *pre = "[{'name':'api','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                      "'Api':'DescribeInstances'},'outputs':[{'Name':'State','Selector':"
                      "'$.Reservations[0].Instances[0].State.Name','Type':'String'}]},"
                      "{'name':'br','action':'aws:branch','inputs':{'Choices':[";
    const char *post = "]}},{'name':'x','action':'aws:pause','inputs':{},'isEnd':true},"
                       "{'name':'y','action':'aws:pause','inputs':{}}]";
    char buf[4096];
#define BR(choices) (snprintf(buf, sizeof(buf), "%s%s%s", pre, choices, post), with_steps(buf))
    adoc_t *d = pj(BR("{'NextStep':'x','Variable':'{{ api.State }}','StringEquals':'running'},"
                      "{'NextStep':'y','And':[{'Variable':'{{P}}','NumericGreater':3},"
                      "{'Not':{'Variable':'{{P}}','BooleanEquals':true}}]}"));
    CHECK(d != NULL);
    adoc_free(d);
    CHECK_STR(bad(BR("{'NextStep':'x','Or':[{'Variable':'{{P}}','StringEquals':'a'}]}")),
              "Expect at lease two expressions for operator: Or in step: br. Provided: 1");
    CHECK_STR(bad(BR("{'NextStep':'x','Variable':'{{P}}','Matches':'a'}")),
              "Unsupported operator Matches in a Choice of step br. Supported: Variable with "
              "StringEquals, EqualsIgnoreCase, StartsWith, EndsWith, Contains, NumericEquals, "
              "NumericGreater, NumericLesser, NumericGreaterOrEquals, NumericLesserOrEquals or "
              "BooleanEquals; And, Or, Not; NextStep.");
    CHECK_STR(bad(BR("{'NextStep':'nowhere','Variable':'{{P}}','StringEquals':'a'}")),
              "The NextStep of a Choice of step br names step \"nowhere\", which is not defined "
              "in the document.");
    CHECK_STR(bad(BR("{'Variable':'{{P}}','StringEquals':'a'}")),
              "A Choice in step br is missing NextStep.");
    CHECK_STR(bad(BR("{'NextStep':'x','Variable':'{{P}}'}")),
              "A Choice in step br needs a Variable and one operator (or And, Or, Not).");
    CHECK_STR(bad(BR("{'NextStep':'x','Variable':'{{P}}','StringEquals':'a','StartsWith':'b'}")),
              "A Choice in step br has two operators, StringEquals and StartsWith.");
    CHECK_STR(bad(BR("{'NextStep':'x','Variable':'{{P}}','NumericEquals':[1]}")),
              "The NumericEquals value of a Choice in step br must be a number.");
    snprintf(buf, sizeof(buf), "%s%s],'Default':'gone'}}]", pre,
             "{'NextStep':'api','Variable':'{{P}}','StringEquals':'a'}");
    CHECK_STR(bad(with_steps(buf)),
              "The Default of step br names step \"gone\", which is not defined in the "
              "document.");
    CHECK_STR(bad(with_steps("[{'name':'br','action':'aws:branch','inputs':{'Choices':[]}}]")),
              "The Choices of step br must be a non-empty list.");
#undef BR
}

static void test_graph(void)
{
    const char *loop_msg = "The automation can never end from steps a, b: the flow of "
                           "nextStep, branch choices and onFailure/onCancel steps loops without "
                           "reaching a step with isEnd or the end of mainSteps.";
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'nextStep':'b'},"
                             "{'name':'b','action':'aws:pause','inputs':{},'nextStep':'a'}]")),
              loop_msg);
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'nextStep':'a'}]")),
              "The automation can never end from step a: the flow of nextStep, branch choices "
              "and onFailure/onCancel steps loops without reaching a step with isEnd or the end "
              "of mainSteps.");
    /* a loop with a way out (onFailure, isEnd, a branch default) is fine */
    adoc_t *d = pj(with_steps(
        "[{'name':'a','action':'aws:pause','inputs':{},'nextStep':'a','onFailure':'step:b'},"
        "{'name':'b','action':'aws:pause','inputs':{}}]"));
    CHECK(d != NULL);
    adoc_free(d);
    d = pj(with_steps("[{'name':'a','action':'aws:pause','inputs':{},'nextStep':'b'},"
                      "{'name':'b','action':'aws:pause','inputs':{},'isEnd':true,"
                      "'nextStep':'a'}]"));
    CHECK(d != NULL);
    adoc_free(d);
    d = pj(with_steps("[{'name':'w','action':'aws:sleep','inputs':{'Duration':'PT5S'}},"
                      "{'name':'br','action':'aws:branch','inputs':{'Choices':[{'NextStep':'w',"
                      "'Variable':'{{P}}','StringEquals':'again'}]}},"
                      "{'name':'done','action':'aws:pause','inputs':{}}]"));
    CHECK(d != NULL);
    adoc_free(d);
    /* a branch whose every choice and default loops back */
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:pause','inputs':{}},"
                             "{'name':'b','action':'aws:branch','inputs':{'Choices':[{'NextStep':"
                             "'a','Variable':'{{P}}','StringEquals':'x'}],'Default':'a'}},"
                             "{'name':'c','action':'aws:pause','inputs':{}}]")),
              loop_msg);
}

static void test_refs(void)
{
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:changeInstanceState','inputs':"
                             "{'InstanceIds':'{{ InstanceId }}','DesiredState':'running'}}]")),
              "Parameter \"InstanceId\" is not declared.");
    CHECK_STR(bad("{'schemaVersion':'0.3','assumeRole':'{{ Role }}','mainSteps':[{'name':'p',"
                  "'action':'aws:pause','inputs':{}}]}"),
              "Parameter \"Role\" is not declared.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                             "'Api':'X','Name':'{{ ghost.Out }}'}}]")),
              "Step a refers to ghost.Out, but no step is named ghost.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                             "'Api':'X','Name':'{{ a.Out }}'}}]")),
              "Step a refers to a.Out, but step a has no output Out.");
    CHECK_STR(bad(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2',"
                             "'Api':'X','Name':'{{ global:HOST }}'}}]")),
              "Step a uses the unsupported variable {{ global:HOST }}. Supported: "
              "global:ACCOUNT_ID, global:REGION, global:DATE, global:DATE_TIME, "
              "global:AWS_PARTITION, automation:EXECUTION_ID.");
    /* a Parameter Store parameter, read when the step runs */
    adoc_t *ps = pj(with_steps("[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':"
                               "'ec2','Api':'X','Name':'{{ssm:/my/param}}'}}]"));
    CHECK(ps != NULL);
    adoc_free(ps);
    CHECK_STR(bad("{'schemaVersion':'0.3','outputs':['a'],'mainSteps':[{'name':'a','action':"
                  "'aws:pause','inputs':{}}]}"),
              "The document output \"a\" must have the form stepName.outputName.");
    CHECK_STR(bad("{'schemaVersion':'0.3','outputs':['a.Nope'],'mainSteps':[{'name':'a',"
                  "'action':'aws:pause','inputs':{}}]}"),
              "The document outputs refers to a.Nope, but step a has no output Nope.");
    adoc_t *d = pj(with_steps(
        "[{'name':'a','action':'aws:executeAwsApi','inputs':{'Service':'ec2','Api':'X',"
        "'Tags':[{'Key':'run','Value':'{{automation:EXECUTION_ID}}-{{ global:DATE_TIME }}'}],"
        "'Ids':'{{ L }}','{{ Keys }}':'are not interpolated'},'outputs':[{'Name':'Out',"
        "'Selector':'$.A','Type':'String'}]},{'name':'b','action':'aws:changeInstanceState',"
        "'inputs':{'InstanceIds':['{{ a.Out }}'],'DesiredState':'running'}}]"));
    CHECK(d != NULL);
    adoc_free(d);
    d = pj("{'schemaVersion':'0.3','outputs':['s.InstanceStates'],'mainSteps':[{'name':'s',"
           "'action':'aws:changeInstanceState','inputs':{'InstanceIds':['i-1'],'DesiredState':"
           "'running'}}]}");
    CHECK(d && cJSON_GetArraySize(adoc_outputs(d)) == 1);
    adoc_free(d);
}

/* ---- binding */

static const char bind_doc[] =
    "{'schemaVersion':'0.3','parameters':{"
    "'S':{'type':'String'},"
    "'E':{'type':'String','allowedValues':['Install','Uninstall'],'default':'Install'},"
    "'R':{'type':'String','allowedPattern':'^arn:aws:iam::\\\\d{12}:role/.+$|^$','default':''},"
    "'C':{'type':'String','minChars':2,'maxChars':4,'default':'abc'},"
    "'L':{'type':'StringList','minItems':1,'maxItems':2,'allowedPattern':'i-[0-9a-f]+',"
    "'default':['i-1']},"
    "'I':{'type':'Integer','default':5,'allowedValues':[5,10]},"
    "'B':{'type':'Boolean','default':false},"
    "'M':{'type':'StringMap','default':{'k':'v'}},"
    "'ML':{'type':'MapList','default':[]}},"
    "'mainSteps':[{'name':'p','action':'aws:pause','inputs':{}}]}";

/* Binds the jq() map given; returns the message ("(ok)" on success, *out kept in last). */
static cJSON *last;
static const char *bind(const adoc_t *d, const char *given)
{
    static char msg[1024];
    char *t = given ? jq(given) : NULL;
    cJSON *g = t ? cJSON_Parse(t) : NULL;
    free(t);
    errbuf_t eb = {{0}};
    cJSON_Delete(last);
    last = NULL;
    adoc_error_t rc = adoc_bind(d, g, &last, &eb);
    cJSON_Delete(g);
    if (rc == ADOC_OK) return last ? "(ok)" : "(ok but NULL)";
    if (rc != ADOC_E_PARAMS || last) return "(bad code)";
    snprintf(msg, sizeof(msg), "%s", eb.msg);
    return msg;
}

static const cJSON *got(const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(last, name);
}

static void test_bind(void)
{
    adoc_t *d = pj(bind_doc);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_STR(bind(d, NULL), "Missing required parameter: S in user inputs.");
    CHECK_STR(bind(d, "{'E':['Install']}"), "Missing required parameter: S in user inputs.");
    CHECK_STR(bind(d, "{'S':[]}"), "Missing required parameter: S in user inputs.");
    CHECK_STR(bind(d, "{'S':['x'],'Extra':['y']}"),
              "Parameter \"Extra\" is not defined in the document.");
    /* defaults, typed */
    CHECK_STR(bind(d, "{'S':['hello']}"), "(ok)");
    CHECK_STR(got("S")->valuestring, "hello");
    CHECK_STR(got("E")->valuestring, "Install");
    CHECK_STR(got("R")->valuestring, "");
    CHECK(cJSON_IsArray(got("L")) && cJSON_GetArraySize(got("L")) == 1);
    CHECK(cJSON_IsNumber(got("I")) && got("I")->valuedouble == 5);
    CHECK(cJSON_IsFalse(got("B")));
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(got("M"), "k")->valuestring, "v");
    CHECK(cJSON_IsArray(got("ML")) && cJSON_GetArraySize(got("ML")) == 0);
    CHECK_INT(cJSON_GetArraySize(last), 9);
    /* conversions */
    CHECK_STR(bind(d, "{'S':['x'],'I':['10'],'B':['True'],'L':['i-a','i-b'],'M':['{\\'a\\':"
                      "[1,2]}'],'ML':['[{\\'x\\':1},{\\'y\\':2}]']}"),
              "(ok)");
    CHECK(got("I")->valuedouble == 10);
    CHECK(cJSON_IsTrue(got("B")));
    CHECK_STR(cJSON_GetArrayItem(got("L"), 1)->valuestring, "i-b");
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(got("M"), "a")), 2);
    CHECK_INT(cJSON_GetArraySize(got("ML")), 2);
    CHECK_STR(bind(d, "{'S':'single','ML':['{\\'x\\':1}','{\\'y\\':2}']}"), "(ok)");
    CHECK_STR(got("S")->valuestring, "single");
    CHECK_INT(cJSON_GetArraySize(got("ML")), 2);
    /* type errors */
    CHECK_STR(bind(d, "{'S':['a','b']}"),
              "Parameter type error. The value supplied for S is not a valid string.");
    CHECK_STR(bind(d, "{'S':['x'],'I':['1.5']}"),
              "Parameter type error. The value supplied for I is not a valid integer.");
    CHECK_STR(bind(d, "{'S':['x'],'I':['\\'5\\'']}"),
              "Parameter type error. The value supplied for I is not a valid integer.");
    CHECK_STR(bind(d, "{'S':['x'],'B':['0']}"),
              "Parameter type error. The value supplied for B is not a valid boolean.");
    CHECK_STR(bind(d, "{'S':['x'],'M':['[1]']}"),
              "Parameter type error. The value supplied for M is not a valid string map.");
    CHECK_STR(bind(d, "{'S':['x'],'ML':['{\\'a\\':1}','nope']}"),
              "Parameter type error. The value supplied for ML is not a valid map list.");
    CHECK_STR(bind(d, "{'S':['x'],'L':[1]}"),
              "Parameter type error. The value supplied for L is not a valid string list.");
    CHECK_STR(bind(d, "{'S':{'a':1}}"),
              "Parameter type error. The value supplied for S is not a valid string.");
    /* constraints */
    CHECK_STR(bind(d, "{'S':['x'],'E':['install']}"),
              "Parameter \"E\" has value \"install\" not found in {Install}, {Uninstall}.");
    CHECK_STR(bind(d, "{'S':['x'],'I':['7']}"),
              "Parameter \"I\" has value \"7\" not found in {5}, {10}.");
    CHECK_STR(bind(d, "{'S':['x'],'R':['arn:aws:iam::123:role/r']}"),
              "Parameter \"R\" has value \"arn:aws:iam::123:role/r\" not matching pattern "
              "^arn:aws:iam::\\d{12}:role/.+$|^$");
    CHECK_STR(bind(d, "{'S':['x'],'R':['arn:aws:iam::123456789012:role/r']}"), "(ok)");
    CHECK_STR(bind(d, "{'S':['x'],'L':['i-1','x-2']}"),
              "Parameter \"L\" has value \"x-2\" not matching pattern i-[0-9a-f]+");
    CHECK_STR(bind(d, "{'S':['x'],'L':['i-1 ']}"),
              "Parameter \"L\" has value \"i-1 \" not matching pattern i-[0-9a-f]+");
    CHECK_STR(bind(d, "{'S':['x'],'L':[]}"),
              "Parameter \"L\" has 0 values, fewer than its minItems of 1.");
    CHECK_STR(bind(d, "{'S':['x'],'L':['i-1','i-2','i-3']}"),
              "Parameter \"L\" has 3 values, more than its maxItems of 2.");
    CHECK_STR(bind(d, "{'S':['x'],'C':['a']}"),
              "Parameter \"C\" has value \"a\" shorter than its minChars of 2.");
    CHECK_STR(bind(d, "{'S':['x'],'C':['\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9']}"), "(ok)");
    CHECK_STR(bind(d, "{'S':['x'],'C':['abcde']}"),
              "Parameter \"C\" has value \"abcde\" longer than its maxChars of 4.");
    adoc_free(d);
    /* a document without parameters takes none */
    d = pj(with_params("{}"));
    CHECK_STR(bind(d, NULL), "(ok)");
    CHECK_INT(cJSON_GetArraySize(last), 0);
    CHECK_STR(bind(d, "{'X':['1']}"), "Parameter \"X\" is not defined in the document.");
    adoc_free(d);
    /* the runbook the tutorial runs */
    d = parse_fmt(restart_json, ADOC_JSON);
    CHECK_STR(bind(d, "{'InstanceId':['i-0123456789abcdef0']}"), "(ok)");
    CHECK_STR(cJSON_GetArrayItem(got("InstanceId"), 0)->valuestring, "i-0123456789abcdef0");
    CHECK_STR(got("AutomationAssumeRole")->valuestring, "");
    CHECK_STR(bind(d, "{}"), "Missing required parameter: InstanceId in user inputs.");
    adoc_free(d);
    cJSON_Delete(last);
    last = NULL;
}

/* ---- interpolation */

static cJSON *vars_tree;

static cJSON *stub_lookup(void *ud, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ud, name);
    return v ? cJSON_Duplicate(v, true) : NULL;
}

/* Interpolates the jq() JSON text; returns the compact result or the message. */
static const char *interp(const char *node)
{
    static char out[2048];
    char *t = jq(node);
    cJSON *n = cJSON_Parse(t);
    free(t);
    adoc_vars_t vars = {stub_lookup, vars_tree};
    cJSON *res = NULL;
    errbuf_t eb = {{0}};
    adoc_error_t rc = adoc_interpolate(n, &vars, &res, &eb);
    if (rc == ADOC_OK) {
        char *p = cJSON_PrintUnformatted(res);
        snprintf(out, sizeof(out), "%s", p);
        free(p);
    } else {
        snprintf(out, sizeof(out), "%s%s", rc == ADOC_E_VARIABLE ? "" : "(code) ", eb.msg);
        if (res) snprintf(out, sizeof(out), "(out set)");
    }
    cJSON_Delete(res);
    cJSON_Delete(n);
    return out;
}

static void test_interpolate(void)
{
    char *t = jq("{'InstanceId':['i-1','i-2'],'Count':3,'On':true,'Role':'arn:r',"
                 "'api.State':'running','automation:EXECUTION_ID':'e-1','global:REGION':"
                 "'us-east-1','Map':{'a':[1,{'b':null}]},'Nil':null,'Half':0.5}");
    vars_tree = cJSON_Parse(t);
    free(t);
    /* whole-string references keep their type */
    CHECK_STR(interp("{'InstanceIds':'{{ InstanceId }}'}"), "{\"InstanceIds\":[\"i-1\",\"i-2\"]}");
    CHECK_STR(interp("'{{Count}}'"), "3");
    CHECK_STR(interp("'{{  On\\t}}'"), "true");
    CHECK_STR(interp("'{{ Map }}'"), "{\"a\":[1,{\"b\":null}]}");
    CHECK_STR(interp("'{{ Nil }}'"), "null");
    CHECK_STR(interp("'{{ api.State }}'"), "\"running\"");
    /* inside text: rendered as text */
    CHECK_STR(interp("'arn:aws:ssm:{{ global:REGION }}:run/{{automation:EXECUTION_ID}}'"),
              "\"arn:aws:ssm:us-east-1:run/e-1\"");
    CHECK_STR(interp("'ids={{ InstanceId }}; n={{Count}}; on={{On}}; h={{Half}}'"),
              "\"ids=[\\\"i-1\\\",\\\"i-2\\\"]; n=3; on=true; h=0.5\"");
    CHECK_STR(interp("' {{ Role }}'"), "\" arn:r\"");
    CHECK_STR(interp("'{{ Role }}{{ Role }}'"), "\"arn:rarn:r\"");
    CHECK_STR(interp("'{{ Map }}!'"), "\"{\\\"a\\\":[1,{\\\"b\\\":null}]}!\"");
    /* lists and nested objects; keys untouched; non-strings copied */
    CHECK_STR(interp("{'{{ Role }}':['{{ Role }}',1,null,false,{'x':['{{Count}}']}]}"),
              "{\"{{ Role }}\":[\"arn:r\",1,null,false,{\"x\":[3]}]}");
    /* not references: left as they are */
    CHECK_STR(interp("'plain {{ } {{}} {{ a b }} {{x }'"), "\"plain {{ } {{}} {{ a b }} {{x }\"");
    CHECK_STR(interp("'{{ {{Role}} }}'"), "\"{{ arn:r }}\"");
    CHECK_STR(interp("'no braces at all'"), "\"no braces at all\"");
    /* unknown variables */
    CHECK_STR(interp("{'a':['{{ Nope }}']}"), "Variable {{ Nope }} could not be resolved");
    CHECK_STR(interp("'x {{ global:ACCOUNT_ID }} y'"),
              "Variable {{ global:ACCOUNT_ID }} could not be resolved");
    /* a NULL lookup resolves nothing */
    cJSON *n = cJSON_CreateString("{{ Role }}"), *res = NULL;
    adoc_vars_t none = {NULL, NULL};
    errbuf_t eb = {{0}};
    CHECK(adoc_interpolate(n, &none, &res, &eb) == ADOC_E_VARIABLE && res == NULL);
    cJSON_Delete(n);
    /* the runbook's inputs as the engine would run them */
    adoc_t *d = parse_fmt(restart_json, ADOC_JSON);
    adoc_vars_t vars = {stub_lookup, vars_tree};
    CHECK(d && adoc_interpolate(adoc_step(d, 0)->inputs, &vars, &res, &eb) == ADOC_OK);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "InstanceIds")) == 2);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(res, "DesiredState")->valuestring, "stopped");
    cJSON_Delete(res);
    adoc_free(d);
    /* output bounds */
    char *huge = malloc(300 * 1024);
    memset(huge, 'a', 300 * 1024 - 1);
    huge[300 * 1024 - 1] = '\0';
    cJSON_AddStringToObject(vars_tree, "Huge", huge);
    free(huge);
    CHECK_STR(interp("'x{{ Huge }}'"), "(code) Interpolation produced more text than allowed "
                                       "(262144 bytes in one string, 4194304 in all).");
    cJSON_Delete(vars_tree);
    vars_tree = NULL;
}

/* ---- selectors */

static const char response[] =
    "{'Reservations':[{'Instances':[{'InstanceId':'i-1','State':{'Code':16,'Name':'running'},"
    "'EbsOptimized':false,'Tags':[{'Key':'k','Value':'v'}]}]},{'Instances':[{'InstanceId':"
    "'i-2','State':{'Code':80,'Name':'stopped'},'EbsOptimized':true}]}],"
    "'InstanceStatuses':[{'InstanceId':'i-1','InstanceState':{'Name':'running'}},"
    "{'InstanceId':'i-2','InstanceState':{'Name':'stopped'}}],'Count':'42','Flag':'TRUE',"
    "'Empty':[]}";

static cJSON *resp_tree;

/* Selects and prints compactly; "(none)" for no match, else the message. */
static const char *sel(const char *selector, const char *type)
{
    static char out[2048];
    cJSON *res = NULL;
    errbuf_t eb = {{0}};
    adoc_error_t rc = adoc_select(resp_tree, selector, type, &res, &eb);
    if (rc != ADOC_OK) {
        snprintf(out, sizeof(out), "%s%s", res ? "(out set) " : "", eb.msg);
    } else if (!res) {
        snprintf(out, sizeof(out), "(none)");
    } else {
        char *p = cJSON_PrintUnformatted(res);
        snprintf(out, sizeof(out), "%s", p);
        free(p);
    }
    cJSON_Delete(res);
    return out;
}

static void test_select(void)
{
    char *t = jq(response);
    resp_tree = cJSON_Parse(t);
    free(t);
    CHECK(resp_tree != NULL);
    /* every form, raw */
    CHECK_STR(sel("$.Reservations[0].Instances[0].State.Name", NULL), "\"running\"");
    CHECK_STR(sel("$.Reservations[-1].Instances[0].InstanceId", NULL), "\"i-2\"");
    CHECK_STR(sel("$['Reservations'][1][\"Instances\"][0].State.Code", NULL), "80");
    CHECK_STR(sel("$.InstanceStatuses[*].InstanceState.Name", NULL), "[\"running\",\"stopped\"]");
    CHECK_STR(sel("$..InstanceId", NULL), "[\"i-1\",\"i-2\",\"i-1\",\"i-2\"]");
    CHECK_STR(sel("$.Reservations..State.Name", NULL), "[\"running\",\"stopped\"]");
    CHECK_STR(sel("$.Reservations[0].Instances[0].State.*", NULL), "[16,\"running\"]");
    CHECK_STR(sel("$..['Code']", NULL), "[16,80]");
    CHECK(strncmp(sel("$", "StringMap"), "{\"Reservations\":[{", 18) == 0);
    CHECK_STR(sel("$.Empty", NULL), "[]");
    CHECK_STR(sel("$.Count", NULL), "\"42\"");
    /* type conversion */
    CHECK_STR(sel("$.Reservations[0].Instances[0].State.Name", "String"), "\"running\"");
    CHECK_STR(sel("$.Reservations[0].Instances[0].State.Code", "String"), "\"16\"");
    CHECK_STR(sel("$.Reservations[0].Instances[0].EbsOptimized", "String"), "\"false\"");
    CHECK_STR(sel("$.Reservations[0].Instances[0].State.Code", "Integer"), "16");
    CHECK_STR(sel("$.Count", "Integer"), "42");
    CHECK_STR(sel("$.Flag", "Boolean"), "true");
    CHECK_STR(sel("$.Reservations[1].Instances[0].EbsOptimized", "Boolean"), "true");
    CHECK_STR(sel("$.InstanceStatuses[*].InstanceState.Name", "StringList"),
              "[\"running\",\"stopped\"]");
    CHECK_STR(sel("$..Code", "StringList"), "[\"16\",\"80\"]");
    CHECK_STR(sel("$.Reservations[0].Instances[0].InstanceId", "StringList"), "[\"i-1\"]");
    CHECK_STR(sel("$.Reservations[0].Instances[0].Tags", "MapList"),
              "[{\"Key\":\"k\",\"Value\":\"v\"}]");
    CHECK_STR(sel("$.InstanceStatuses[*].InstanceState", "MapList"),
              "[{\"Name\":\"running\"},{\"Name\":\"stopped\"}]");
    CHECK_STR(sel("$.Reservations[0].Instances[0].State", "StringMap"),
              "{\"Code\":16,\"Name\":\"running\"}");
    CHECK_STR(sel("$..InstanceState", "MapList"),
              "[{\"Name\":\"running\"},{\"Name\":\"stopped\"}]");
    CHECK_STR(sel("$.Empty", "StringList"), "[]");
    CHECK_STR(sel("$.Reservations[0].Instances[0].InstanceId", "StringMap"),
              "The value selected by $.Reservations[0].Instances[0].InstanceId cannot be "
              "converted to StringMap.");
    CHECK_STR(sel("$.Reservations[0].Instances[0].State", "String"),
              "The value selected by $.Reservations[0].Instances[0].State cannot be converted "
              "to String.");
    CHECK_STR(sel("$.Flag", "Integer"), "The value selected by $.Flag cannot be converted to "
                                        "Integer.");
    CHECK_STR(sel("$.Count", "Boolean"), "The value selected by $.Count cannot be converted to "
                                         "Boolean.");
    CHECK_STR(sel("$..InstanceId", "String"),
              "Selector $..InstanceId selected 4 values; an output of type String takes one.");
    CHECK_STR(sel("$.Reservations", "StringList"),
              "The value selected by $.Reservations cannot be converted to StringList.");
    CHECK_STR(sel("$.Count", "Double"), "Unsupported output Type \"Double\". Supported types: "
                                        "String, Integer, Boolean, StringList, MapList, "
                                        "StringMap.");
    /* no match */
    CHECK_STR(sel("$.Reservations[5].Instances", "MapList"), "(none)");
    CHECK_STR(sel("$.Nope.Deeper", "String"), "(none)");
    CHECK_STR(sel("$..Nope", "StringList"), "(none)");
    CHECK_STR(sel("$.Count[0]", NULL), "(none)");
    CHECK_STR(sel("$.Count.*", NULL), "(none)");
    /* malformed */
    CHECK_STR(sel("Reservations", "String"),
              "Selector \"Reservations\" is not a supported JSONPath: a selector starts with $ "
              "at character 1.");
    CHECK_STR(sel("$.", NULL),
              "Selector \"$.\" is not a supported JSONPath: expected a name at character 3.");
    CHECK_STR(sel("$.A[0", NULL),
              "Selector \"$.A[0\" is not a supported JSONPath: expected ] at character 6.");
    CHECK_STR(sel("$.A['x", NULL), "Selector \"$.A['x\" is not a supported JSONPath: "
                                   "unterminated quoted name at character 7.");
    CHECK_STR(sel("$.A[0:2]", NULL), "Selector \"$.A[0:2]\" is not a supported JSONPath: "
                                     "expected ] at character 6.");
    CHECK_STR(sel("$..[0]", NULL), "Selector \"$..[0]\" is not a supported JSONPath: ..[index] "
                                   "is not supported at character 7.");
    CHECK_STR(sel("$ .A", NULL),
              "Selector \"$ .A\" is not a supported JSONPath: expected . or [ at character 2.");
    cJSON_Delete(resp_tree);
    resp_tree = NULL;
}

static void test_duration(void)
{
    int64_t s = -1;
    CHECK(adoc_duration_seconds("PT10M", &s) && s == 600);
    CHECK(adoc_duration_seconds("P1DT2H3M4.5S", &s) && s == 86400 + 7200 + 180 + 4);
    CHECK(adoc_duration_seconds("P2W", &s) && s == 1209600);
    CHECK(adoc_duration_seconds("PT0S", &s) && s == 0);
    CHECK(!adoc_duration_seconds("P", &s));
    CHECK(!adoc_duration_seconds("PT", &s));
    CHECK(!adoc_duration_seconds("P1DT", &s));
    CHECK(!adoc_duration_seconds("PT1S1M", &s));
    CHECK(!adoc_duration_seconds("P1H", &s));
    CHECK(!adoc_duration_seconds("PT1.5M", &s));
    CHECK(!adoc_duration_seconds("10M", &s));
    CHECK(!adoc_duration_seconds("PT99999999999999S", &s));
    CHECK(!adoc_duration_seconds(NULL, &s));
}

int main(void)
{
    test_runbooks();
    test_yaml();
    test_top_level();
    test_params_decl();
    test_steps();
    test_actions();
    test_branch();
    test_graph();
    test_refs();
    test_bind();
    test_interpolate();
    test_select();
    test_duration();
    return CHECK_DONE();
}
