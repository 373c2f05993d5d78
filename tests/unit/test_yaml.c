/* test_yaml.c - unit tests for src/yaml: scalar typing (core schema and a caller's number
 * rule), single-quoted folding, aliases and their budgets, the options (single document,
 * plain keys, the local-tag hook), errors with their positions, and the input kept away
 * from libfyaml 0.7.12 (explicit keys, invalid UTF-8, text without a terminating NUL). */
#include "yaml/yaml.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

static const yaml_opts_t plain = {.max_depth = 64, .max_nodes = 100000};

/* The document loaded with opts as compact JSON, or "E<status>" on failure (after
 * checking *out was left alone). The input is copied without a terminating NUL, so that
 * ASan sees any read past its end. */
static const char *load_with(const char *text, const yaml_opts_t *opts, yaml_error_t *e)
{
    size_t n = strlen(text);
    char *exact = malloc(n ? n : 1);
    memcpy(exact, text, n);
    cJSON *sentinel = (cJSON *)&sentinel, *out = sentinel;
    yaml_error_t err;
    yaml_status_t rc = yaml_load(span_make(exact, n), opts, &out, &err);
    free(exact);
    if (e) *e = err;
    if (rc != err.status) return "(status mismatch)";
    if (rc != YAML_OK) {
        char code[32];
        snprintf(code, sizeof(code), "E%d", (int)rc);
        return out == sentinel ? check_keep(strdup(code)) : "(out touched)";
    }
    char *s = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    return check_keep(s);
}

static const char *load(const char *text)
{
    return load_with(text, &plain, NULL);
}

static const char *code(yaml_status_t st)
{
    char c[32];
    snprintf(c, sizeof(c), "E%d", (int)st);
    return check_keep(strdup(c));
}

/* ---- scalars */

static void test_scalars(void)
{
    CHECK_STR(load("a: 3\nb: -2.5\nc: 0x1F\nd: 0o17\ne: 1e3\nf: +5\ng: .inf\nh: 1.10\n"),
              "{\"a\":3,\"b\":-2.5,\"c\":31,\"d\":15,\"e\":1000,\"f\":5,\"g\":\".inf\","
              "\"h\":1.1}");
    CHECK_STR(load("[~, null, Null, NULL, true, True, FALSE, yes, no]"),
              "[null,null,null,null,true,true,false,\"yes\",\"no\"]");
    CHECK_STR(load("a:\nb: ''\n"), "{\"a\":null,\"b\":\"\"}");
    CHECK_STR(load("['3', \"true\", !!str 42, !!str null, !!int 7]"),
              "[\"3\",\"true\",\"42\",\"null\",7]");
    CHECK_STR(load("a: |\n  two\n  lines\nb: >-\n  folded\n  text\n"),
              "{\"a\":\"two\\nlines\\n\",\"b\":\"folded text\"}");
    CHECK_STR(load("\"tab\\there \\u00e9\""), "\"tab\\there \xC3\xA9\"");
    CHECK_STR(load("1e999"), "\"1e999\""); /* overflows a double: stays text */
    /* local tags are ignored without a hook */
    CHECK_STR(load("a: !Foo 5\nb: !Bar [1]\n"), "{\"a\":5,\"b\":[1]}");
}

/* CloudFormation's rule, as a caller would pass it: only "0" and "12" are numbers. */
static bool digits_only(const char *s, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    if (n == 0 || (n > 1 && s[0] == '0')) return false;
    *out = strtod(s, NULL);
    return true;
}

static void test_number_rule(void)
{
    yaml_opts_t o = plain;
    o.number = digits_only;
    CHECK_STR(load_with("[12, 0, 007, 1e3, 0x1F, 2.5, true, ~]", &o, NULL),
              "[12,0,\"007\",\"1e3\",\"0x1F\",\"2.5\",true,null]");
    double d = 0;
    CHECK(yaml_core_number("0x10", 4, &d) && d == 16);
    CHECK(yaml_core_number("-1.5e2", 6, &d) && d == -150);
    CHECK(!yaml_core_number(".nan", 4, &d));
    CHECK(!yaml_core_number("1e", 2, &d));
    CHECK(!yaml_core_number("", 0, &d));
}

/* libfyaml 0.7.12 leaks on single-quoted scalars with several '' escapes: they are
 * decoded from the source text instead, folding lines as YAML 1.2 says. */
static void test_single_quoted(void)
{
    CHECK_STR(load("'it''s caf\xC3\xA9'"), "\"it's caf\xC3\xA9\"");
    CHECK_STR(load("''''''''''''''''''''''''''''''"), "\"''''''''''''''\"");
    CHECK_STR(load("a: 'one  \n    two\n\n    three  '\n"), "{\"a\":\"one two\\nthree  \"}");
    CHECK_STR(load("a: ' first\n  second  \n\n\n  third'\n"),
              "{\"a\":\" first second\\n\\nthird\"}");
    CHECK_STR(load("a: 'x\r\n  y'\n"), "{\"a\":\"x y\"}");
    CHECK_STR(load("'k''1': v\n"), "{\"k'1\":\"v\"}");
}

/* ---- structure, aliases and budgets */

static void test_aliases(void)
{
    CHECK_STR(load("a: &x {k: [1, 2]}\nb: *x\n"), "{\"a\":{\"k\":[1,2]},\"b\":{\"k\":[1,2]}}");
    CHECK_STR(load("a: &k key\n*k : v\n"), "{\"a\":\"key\",\"key\":\"v\"}");
    yaml_error_t e;
    CHECK_STR(load_with("a: *nowhere\n", &plain, &e), code(YAML_E_ALIAS));
    /* an alias inside its own anchor: stopped by the depth bound */
    CHECK_STR(load("a: &x [ *x ]\n"), code(YAML_E_DEPTH));
    /* billion laughs: stopped by the node budget */
    char laughs[2048];
    size_t n = (size_t)snprintf(laughs, sizeof(laughs), "a0: &a0 [x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++)
        n += (size_t)snprintf(laughs + n, sizeof(laughs) - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    CHECK_STR(load(laughs), code(YAML_E_NODES));
}

static void test_limits(void)
{
    yaml_opts_t o = plain;
    o.max_depth = 2;
    CHECK_STR(load_with("a: [1]\n", &o, NULL), "{\"a\":[1]}");
    CHECK_STR(load_with("a: [[1]]\n", &o, NULL), code(YAML_E_DEPTH));
    o = plain;
    o.max_nodes = 4; /* the mapping, its value, the array's two items */
    CHECK_STR(load_with("a: [1, 2]\n", &o, NULL), "{\"a\":[1,2]}");
    CHECK_STR(load_with("a: [1, 2, 3]\n", &o, NULL), code(YAML_E_NODES));
}

static void test_documents_and_keys(void)
{
    yaml_opts_t strict = plain;
    strict.single_document = true;
    strict.plain_keys = true;
    CHECK_STR(load("a: 1\n---\nb: 2\n"), "{\"a\":1}");
    CHECK_STR(load("a: 1\n--- [\n"), "{\"a\":1}"); /* what follows the first is not read */
    CHECK_STR(load_with("a: 1\n---\nb: 2\n", &strict, NULL), code(YAML_E_MULTI_DOC));
    CHECK_STR(load_with("a: 1\n...\n", &strict, NULL), "{\"a\":1}");
    CHECK_STR(load("!!str a: 1\n"), "{\"a\":1}");
    CHECK_STR(load_with("!!str a: 1\n", &strict, NULL), code(YAML_E_KEY));
    CHECK_STR(load("{[a]: 1}"), code(YAML_E_KEY));
    /* no document at all: not well-formed, with no position to give */
    yaml_error_t e;
    CHECK_STR(load_with("", &plain, &e), code(YAML_E_SYNTAX));
    CHECK_INT(e.line, 0);
    CHECK_STR(load("# only a comment\n"), code(YAML_E_SYNTAX));
    CHECK_STR(load("---\n"), "null");
}

/* ---- the tag hook */

static int hook_calls;

/* !Up: a scalar in upper case; !Wrap: {"W": node}; other tags refused. */
static bool hook(void *ud, span_t tag, cJSON **v)
{
    hook_calls++;
    CHECK(ud == &hook_calls);
    if (!span_eq_str(tag, "!Up") && !span_eq_str(tag, "!Wrap")) return false;
    if (!v) return true;
    if (span_eq_str(tag, "!Up")) {
        CHECK(cJSON_IsString(*v)); /* tagged scalars come as their text */
        for (char *p = (*v)->valuestring; *p; p++)
            if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
        return true;
    }
    cJSON *w = cJSON_CreateObject();
    cJSON_AddItemToObject(w, "W", *v);
    *v = w;
    return true;
}

static void test_tag_hook(void)
{
    yaml_opts_t o = plain;
    o.tag = hook;
    o.tag_ud = &hook_calls;
    hook_calls = 0;
    CHECK_STR(load_with("a: !Up abc\nb: !Wrap [1, !Up x]\nc: !Wrap 12\nd: !!str 5\n", &o, NULL),
              "{\"a\":\"ABC\",\"b\":{\"W\":[1,\"X\"]},\"c\":{\"W\":\"12\"},\"d\":\"5\"}");
    CHECK_INT(hook_calls, 8); /* twice per tagged node; core tags never reach it */
    yaml_error_t e;
    /* an unknown tag is refused before the node's content is read */
    CHECK_STR(load_with("a: !Nope {b: *nowhere}\n", &o, &e), code(YAML_E_TAG));
    CHECK_STR(e.msg, "!Nope");
}

/* ---- errors and the libfyaml 0.7.12 workarounds */

static void test_errors(void)
{
    yaml_error_t e;
    CHECK_STR(load_with("a: [1,\n  b: }\n", &plain, &e), code(YAML_E_SYNTAX));
    CHECK_INT(e.line, 2);
    CHECK_INT(e.column, 6);
    CHECK_STR(e.msg, "mismatched flow mapping end");
    CHECK_STR(load_with("a: 1\na: 2\n", &plain, &e), code(YAML_E_SYNTAX));
    CHECK_STR(e.msg, "duplicate key");
    CHECK_STR(load("a: \"x\\0y\"\n"), code(YAML_E_NUL));
    CHECK_STR(load("\"k\\0\": 1\n"), code(YAML_E_NUL));
    /* libfyaml 0.7.12 crashes on malformed explicit keys: none reaches it */
    CHECK_STR(load("Resources:\n  R:\n    - ? x:\t:\n"), code(YAML_E_EXPLICIT_KEY));
    CHECK_STR(load("? x\n: y\n"), code(YAML_E_EXPLICIT_KEY));
    CHECK_STR(load("- - ?\n"), code(YAML_E_EXPLICIT_KEY));
    /* behind an explicit value: libfyaml's parser cleanup crashed on this (found by fuzz_adoc) */
    CHECK_STR(load("s:\n  : ? x\t?:\t:\n"), code(YAML_E_EXPLICIT_KEY));
    CHECK_STR(load("s:\n  : - ? - \x15x\t?:\t:\n"), code(YAML_E_EXPLICIT_KEY));
    CHECK_STR(load("s:  : - ? - \x15x\t)L:\t:\n"), code(YAML_E_EXPLICIT_KEY));
    CHECK_STR(load("a: [? x]\n"), code(YAML_E_EXPLICIT_KEY));
    CHECK_STR(load("a: {? x: y}\n"), code(YAML_E_EXPLICIT_KEY));
    /* a colon that is not an indicator changes nothing */
    CHECK_STR(load("a: \"?\"\nb: x:?y\n"), "{\"a\":\"?\",\"b\":\"x:?y\"}");
    CHECK_STR(load("q: what?\nr: '? x'\ns: ?x\n"), "{\"q\":\"what?\",\"r\":\"? x\",\"s\":\"?x\"}");
    /* ... nor invalid UTF-8 (it loops forever on this directive) or NUL bytes */
    CHECK_STR(load("%a\xa5"), code(YAML_E_ENCODING));
    CHECK_STR(load("a: \xC0\xAF\n"), code(YAML_E_ENCODING));
    yaml_opts_t o = plain;
    cJSON *out = NULL;
    CHECK_INT(yaml_load(span_make("a: 1\0b", 6), &o, &out, &e), YAML_E_ENCODING);
    CHECK(out == NULL);
    /* ... nor text without a terminating NUL (an alias that looks like a path) */
    CHECK_STR(load("-\r*/0"), code(YAML_E_ALIAS));
    CHECK_STR(load("a: &x 1\nb: *x"), "{\"a\":1,\"b\":1}");
}

/* json through yaml_emit and back through yaml_load: the same tree, compact JSON. */
static const char *round_trip(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    if (!v) return "(bad test json)";
    char *y = yaml_emit(v);
    cJSON_Delete(v);
    const char *back = load(y);
    free(y);
    return back;
}

static const char *emitted(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    char *y = yaml_emit(v);
    cJSON_Delete(v);
    return check_keep(y);
}

static void test_emit(void)
{
    CHECK_STR(emitted("{\"schemaVersion\":\"0.3\",\"mainSteps\":[{\"name\":\"stop\","
                      "\"action\":\"aws:changeInstanceState\",\"inputs\":{\"InstanceIds\":"
                      "[\"{{ InstanceId }}\"],\"Force\":true}}],\"outputs\":[],\"count\":3}"),
              "schemaVersion: \"0.3\"\n"
              "mainSteps:\n"
              "  - name: stop\n"
              "    action: aws:changeInstanceState\n"
              "    inputs:\n"
              "      InstanceIds:\n"
              "        - \"{{ InstanceId }}\"\n"
              "      Force: true\n"
              "outputs: []\n"
              "count: 3\n");
    /* strings a reader would take for something else stay strings */
    const char *tricky =
        "{\"a\":[\"yes\",\"No\",\"on\",\"null\",\"~\",\"12\",\"0x1F\",\"1e3\","
        "\".inf\",\"\",\" lead\",\"trail \",\"a: b\",\"a #b\",\"x:\",\"- x\","
        "\"? x\",\"line\\nbreak\",\"tab\\there\",\"q\\\"uote\",\"\u00e9t\u00e9\","
        "\"Fn::GetAtt\",\"/AWS::EC2::Instance\",\"$.a[0]\",\"@x\",\"*x\",\"&x\",\"!x\","
        "\"%x\",\"a\\u2028b\",\"c\\u0085d\",\"e\\u007ff\",\"\\u0001\",\"|x\",\">x\",\"'x\",\"{x}\","
        "\"[x]\",\",x\"],"
        "\"y\":{\"null\":1,\"true\":{},\"a b\":[[1,[2]],{\"k\":[]}]},\"z\":-0.5}";
    cJSON *want = cJSON_Parse(tricky);
    char *w = cJSON_PrintUnformatted(want);
    cJSON_Delete(want);
    CHECK_STR(round_trip(tricky), w);
    free(w);
    CHECK_STR(round_trip("[]"), "[]");
    CHECK_STR(round_trip("\"solo\""), "\"solo\"");
    CHECK_STR(round_trip("[[[]],{}]"), "[[[]],{}]");
}

int main(void)
{
    test_emit();
    test_scalars();
    test_number_rule();
    test_single_quoted();
    test_aliases();
    test_limits();
    test_documents_and_keys();
    test_tag_hook();
    test_errors();
    return CHECK_DONE();
}
