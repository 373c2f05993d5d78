/* parse.c - loading an Automation document: size, encoding and syntax (JSON via cJSON,
 * YAML via src/yaml) into one tree, then the top level and the parameter declarations.
 * Steps are read in steps.c, the step graph and {{ }} references checked in graph.c.
 * Also the accessors of adoc.h. */
#include "auto/adoc_int.h"

#include "core/enc.h"
#include "core/mem.h"
#include "yaml/yaml.h"

#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"description", "schemaVersion", "assumeRole", "parameters",
                                       "mainSteps",   "outputs",       "files",      NULL};
static const char *const param_types[] = {"String",  "StringList", "Integer", "Boolean",
                                          "MapList", "StringMap",  NULL};
static const char *const param_keys[] = {
    "type",           "description", "default",  "allowedValues",
    "allowedPattern", "displayType", "minItems", "maxItems",
    "minChars",       "maxChars",    NULL};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1-based line and column of byte off in s. */
static void line_col(span_t s, size_t off, int *line, int *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off && i < s.n; i++) {
        if (s.p[i] == '\n')
            ++*line, *col = 1;
        else if (((unsigned char)s.p[i] & 0xC0) != 0x80)
            ++*col;
    }
}

/* cJSON parse of the whole of src (trailing whitespace allowed). On failure the message
 * is SSM's: "JSON not well-formed. at Line: L, Column: C". */
static adoc_error_t load_json(span_t src, cJSON **out, errbuf_t *eb)
{
    const char *end = NULL;
    size_t off = 0;
    cJSON *root = src.n ? cJSON_ParseWithLengthOpts(src.p, src.n, &end, false) : NULL;
    if (root) {
        off = (size_t)(end - src.p);
        while (off < src.n && is_space(src.p[off])) off++;
        if (off == src.n) {
            *out = root;
            return ADOC_OK;
        }
        cJSON_Delete(root);
    } else if (end && end >= src.p) {
        off = (size_t)(end - src.p);
    }
    int line, col;
    line_col(src, off, &line, &col);
    return adoc__fail(eb, ADOC_E_CONTENT, "JSON not well-formed. at Line: %d, Column: %d", line,
                      col);
}

/* src/yaml with the Automation dialect: plain scalars typed by the YAML 1.2 core schema
 * (maxAttempts: 3 is a number, isEnd: true a bool), local tags ignored, the first
 * document of a stream. On failure ADOC_E_CONTENT with SSM's "YAML not well-formed"
 * wording, *out untouched. */
static adoc_error_t load_yaml(span_t src, cJSON **out, errbuf_t *eb)
{
    static const yaml_opts_t opts = {.max_depth = ADOC_MAX_DEPTH, .max_nodes = ADOC_MAX_YAML_NODES};
    yaml_error_t e;
    switch (yaml_load(src, &opts, out, &e)) {
    case YAML_OK:
        return ADOC_OK;
    case YAML_E_SYNTAX:
        if (e.msg[0])
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "YAML not well-formed. at Line: %d, Column: %d (%s)", e.line,
                              e.column, e.msg);
        break;
    case YAML_E_ENCODING:
        return adoc__fail(eb, ADOC_E_CONTENT, "The document content is not valid UTF-8.");
    case YAML_E_NUL:
        return adoc__fail(eb, ADOC_E_CONTENT, "The document content contains a NUL byte.");
    case YAML_E_EXPLICIT_KEY:
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "YAML not well-formed: explicit keys (\"? \") are not supported.");
    case YAML_E_KEY:
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "YAML not well-formed: mapping keys must be plain text.");
    case YAML_E_ALIAS:
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "YAML not well-formed: an alias names an unknown anchor.");
    case YAML_E_DEPTH:
        return adoc__fail(eb, ADOC_E_CONTENT, "The document nests deeper than %d levels.",
                          ADOC_MAX_DEPTH);
    case YAML_E_NODES:
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The YAML document holds more than %d values (aliases expanded).",
                          ADOC_MAX_YAML_NODES);
    case YAML_E_MULTI_DOC: /* not asked for */
    case YAML_E_TAG:
        break;
    }
    return adoc__fail(eb, ADOC_E_CONTENT, "YAML not well-formed.");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Depth and duplicate keys over the whole tree (cJSON keeps both copies of a key; the
 * document must mean one thing). */
static adoc_error_t check_tree(const cJSON *n, int depth, errbuf_t *eb)
{
    if (depth > ADOC_MAX_DEPTH)
        return adoc__fail(eb, ADOC_E_CONTENT, "The document nests deeper than %d levels.",
                          ADOC_MAX_DEPTH);
    size_t count = 0;
    for (const cJSON *c = n->child; c; c = c->next) count++;
    if (cJSON_IsObject(n) && count > 1) {
        const char **keys = xmalloc(count * sizeof(*keys));
        size_t k = 0;
        for (const cJSON *c = n->child; c; c = c->next) keys[k++] = c->string ? c->string : "";
        qsort(keys, count, sizeof(*keys), cmp_str);
        const char *dup = NULL;
        for (size_t i = 1; i < count && !dup; i++)
            if (strcmp(keys[i - 1], keys[i]) == 0) dup = keys[i];
        adoc_error_t rc = ADOC_OK;
        if (dup)
            rc = adoc__fail(eb, ADOC_E_CONTENT, "Duplicate key \"%.100s\" in the document.", dup);
        free(keys);
        if (rc != ADOC_OK) return rc;
    }
    for (const cJSON *c = n->child; c; c = c->next) {
        adoc_error_t rc = check_tree(c, depth + 1, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

/* schemaVersion must be "0.3"; a YAML plain 0.3 (a number) is taken and stored as the
 * string. Message for a wrong value as SSM words it. */
static adoc_error_t check_schema(cJSON *root, errbuf_t *eb)
{
    cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");
    if (!sv)
        return adoc__fail(eb, ADOC_E_SCHEMA,
                          "Document schema version is missing. Automation documents use "
                          "schemaVersion 0.3.");
    if (cJSON_IsString(sv) && strcmp(sv->valuestring, "0.3") == 0) return ADOC_OK;
    if (cJSON_IsNumber(sv) && sv->valuedouble == 0.3) {
        cJSON_ReplaceItemInObjectCaseSensitive(root, "schemaVersion",
                                               adoc__nn(cJSON_CreateString("0.3")));
        return ADOC_OK;
    }
    char *text = adoc__scalar_text(sv);
    adoc_error_t rc = adoc__fail(eb, ADOC_E_SCHEMA,
                                 "Document schema version is invalid. Value: %.100s. Automation "
                                 "documents use schemaVersion 0.3.",
                                 text ? text : "(not a string)");
    free(text);
    return rc;
}

/* The top-level keys and their shapes; fills d->description, assume_role and outputs
 * (borrowed from d->root). mainSteps is only checked to be a non-empty list here. */
static adoc_error_t check_top(adoc_t *d, errbuf_t *eb)
{
    const cJSON *root = d->root;
    for (const cJSON *c = root->child; c; c = c->next)
        if (!adoc__one_of(c->string, top_keys))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Unknown top-level key \"%.100s\". An Automation document may "
                              "contain description, schemaVersion, assumeRole, parameters, "
                              "mainSteps, outputs and files.",
                              c->string);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (v && !cJSON_IsString(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The document description must be a string.");
    d->description = v ? v->valuestring : NULL;
    v = cJSON_GetObjectItemCaseSensitive(root, "assumeRole");
    if (v && !cJSON_IsString(v))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "assumeRole must be a string: a role ARN or a {{ parameter }}.");
    d->assume_role = v ? v->valuestring : NULL;
    v = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    if (v && !cJSON_IsObject(v))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "parameters must be an object mapping each parameter name to its "
                          "definition.");
    v = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (v && !cJSON_IsObject(v)) return adoc__fail(eb, ADOC_E_CONTENT, "files must be an object.");
    v = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    if (v) {
        if (!cJSON_IsArray(v))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "outputs must be a list of \"stepName.outputName\" strings.");
        for (const cJSON *o = v->child; o; o = o->next)
            if (!cJSON_IsString(o))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "outputs must be a list of \"stepName.outputName\" strings.");
    }
    d->outputs = v;
    v = cJSON_GetObjectItemCaseSensitive(root, "mainSteps");
    if (!v) return adoc__fail(eb, ADOC_E_CONTENT, "The document must contain mainSteps.");
    if (!cJSON_IsArray(v) || !v->child)
        return adoc__fail(eb, ADOC_E_CONTENT, "mainSteps must be a non-empty list of steps.");
    return ADOC_OK;
}

/* Whether v has the shape of a value of parameter type t. */
static bool value_fits(const char *t, const cJSON *v)
{
    int64_t i;
    if (strcmp(t, "String") == 0) return cJSON_IsString(v);
    if (strcmp(t, "Integer") == 0) return adoc__get_int(v, &i);
    if (strcmp(t, "Boolean") == 0) return cJSON_IsBool(v);
    if (strcmp(t, "StringMap") == 0) return cJSON_IsObject(v);
    if (!cJSON_IsArray(v)) return false;
    for (const cJSON *c = v->child; c; c = c->next)
        if (strcmp(t, "StringList") == 0 ? !cJSON_IsString(c) : !cJSON_IsObject(c)) return false;
    return true;
}

/* Reads a non-negative integer attribute into *out (-1 when absent). */
static adoc_error_t count_attr(const cJSON *def, const char *pname, const char *attr,
                               const char *const *types, const char *type, long long *out,
                               errbuf_t *eb)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, attr);
    int64_t n;
    *out = -1;
    if (!v) return ADOC_OK;
    if (!adoc__get_int(v, &n) || n < 0)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The %s of parameter %s must be a non-negative integer.", attr, pname);
    if (!adoc__one_of(type, types))
        return adoc__fail(eb, ADOC_E_CONTENT, "%s is not supported for parameter %s of type %s.",
                          attr, pname, type);
    *out = n;
    return ADOC_OK;
}

/* Declaration i (def, keyed by the parameter name) into d->params[i], its allowedPattern
 * compiled into d->re[i]. Attributes are checked for shape and for the types they apply
 * to; the default must be a value of the declared type. */
static adoc_error_t parse_param(adoc_t *d, const cJSON *def, size_t i, errbuf_t *eb)
{
    static const char *const lists[] = {"StringList", "MapList", NULL};
    static const char *const texts[] = {"String", "StringList", NULL};
    static const char *const scalars[] = {"String", "StringList", "Integer", "Boolean", NULL};
    static const char *const patterned[] = {"String", "StringList", "Integer", NULL};
    static const char *const displays[] = {"textfield", "textarea", NULL};
    adoc_param_t *p = &d->params[i];
    const char *name = def->string;
    p->name = name;
    if (!adoc__is_name(name, ADOC_MAX_PARAM_NAME, ".-"))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Parameter name \"%.100s\" is not valid: use 1 to 50 letters, digits, "
                          "underscores, hyphens or periods.",
                          name);
    if (!cJSON_IsObject(def))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Parameter %s must be defined as an object with a type.", name);
    for (const cJSON *c = def->child; c; c = c->next)
        if (!adoc__one_of(c->string, param_keys))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Parameter %s has unsupported attribute \"%.100s\". Supported "
                              "attributes: type, description, default, allowedValues, "
                              "allowedPattern, displayType, minItems, maxItems, minChars, "
                              "maxChars.",
                              name, c->string);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, "type");
    if (!v) return adoc__fail(eb, ADOC_E_CONTENT, "Parameter %s is missing its type.", name);
    if (!cJSON_IsString(v) || !adoc__one_of(v->valuestring, param_types)) {
        char *t = adoc__scalar_text(v);
        adoc_error_t rc = adoc__fail(eb, ADOC_E_CONTENT,
                                     "Parameter %s has unsupported type \"%.100s\". Supported "
                                     "types: String, StringList, Integer, Boolean, MapList, "
                                     "StringMap.",
                                     name, t ? t : "(not a string)");
        free(t);
        return rc;
    }
    const char *type = p->type = v->valuestring;
    v = cJSON_GetObjectItemCaseSensitive(def, "description");
    if (v && !cJSON_IsString(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The description of parameter %s must be a string.",
                          name);
    p->description = v ? v->valuestring : NULL;
    v = cJSON_GetObjectItemCaseSensitive(def, "displayType");
    if (v && !(cJSON_IsString(v) && adoc__one_of(v->valuestring, displays)))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The displayType of parameter %s must be textfield or textarea.", name);
    p->display_type = v ? v->valuestring : NULL;
    adoc_error_t rc = count_attr(def, name, "minItems", lists, type, &p->min_items, eb);
    if (rc == ADOC_OK) rc = count_attr(def, name, "maxItems", lists, type, &p->max_items, eb);
    if (rc == ADOC_OK) rc = count_attr(def, name, "minChars", texts, type, &p->min_chars, eb);
    if (rc == ADOC_OK) rc = count_attr(def, name, "maxChars", texts, type, &p->max_chars, eb);
    if (rc != ADOC_OK) return rc;
    if ((p->max_items >= 0 && p->min_items > p->max_items) ||
        (p->max_chars >= 0 && p->min_chars > p->max_chars))
        return adoc__fail(eb, ADOC_E_CONTENT, "Parameter %s has a minimum larger than its maximum.",
                          name);
    v = cJSON_GetObjectItemCaseSensitive(def, "allowedValues");
    if (v) {
        if (!adoc__one_of(type, scalars))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "allowedValues is not supported for parameter %s of type %s.", name,
                              type);
        if (!cJSON_IsArray(v) || !v->child)
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The allowedValues of parameter %s must be a non-empty list.", name);
        for (const cJSON *c = v->child; c; c = c->next)
            if (!cJSON_IsString(c) && !cJSON_IsNumber(c) && !cJSON_IsBool(c))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "The allowedValues of parameter %s must be plain values.", name);
    }
    p->allowed_values = v;
    v = cJSON_GetObjectItemCaseSensitive(def, "allowedPattern");
    if (v) {
        if (!adoc__one_of(type, patterned))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "allowedPattern is not supported for parameter %s of type %s.", name,
                              type);
        if (!cJSON_IsString(v))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The allowedPattern of parameter %s must be a string.", name);
        char err[300];
        d->re[i] = adoc__re_compile(v->valuestring, err, sizeof(err));
        if (!d->re[i])
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "The allowedPattern of parameter %s is not a valid regular "
                              "expression: %s.",
                              name, err);
        p->allowed_pattern = v->valuestring;
    }
    v = cJSON_GetObjectItemCaseSensitive(def, "default");
    if (v && !value_fits(type, v))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The default value of parameter %s is not a valid %s.", name, type);
    p->default_value = v;
    return ADOC_OK;
}

/* Allocates d->params and d->re (one per declared parameter) and reads each in order. */
static adoc_error_t parse_params(adoc_t *d, errbuf_t *eb)
{
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(d->root, "parameters");
    size_t n = 0;
    if (ps)
        for (const cJSON *c = ps->child; c; c = c->next) n++;
    d->params = xcalloc(n, sizeof(*d->params));
    d->re = xcalloc(n, sizeof(*d->re));
    d->n_params = n;
    size_t i = 0;
    for (const cJSON *c = ps ? ps->child : NULL; c; c = c->next, i++) {
        adoc_error_t rc = parse_param(d, c, i, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

/* The tree of content, as JSON or YAML, after the size and UTF-8 checks. */
static adoc_error_t load(span_t content, adoc_format_t fmt, cJSON **out, errbuf_t *eb)
{
    if (content.n > ADOC_MAX_CONTENT)
        return adoc__fail(eb, ADOC_E_CONTENT, "The document content exceeds %d bytes.",
                          ADOC_MAX_CONTENT);
    if (!enc_utf8_valid(content))
        return adoc__fail(eb, ADOC_E_CONTENT, "The document content is not valid UTF-8.");
    if (memchr(content.p ? content.p : "", '\0', content.n))
        return adoc__fail(eb, ADOC_E_CONTENT, "The document content contains a NUL byte.");
    if (fmt == ADOC_AUTO) {
        size_t i = 0;
        while (i < content.n && is_space(content.p[i])) i++;
        fmt = i < content.n && content.p[i] == '{' ? ADOC_JSON : ADOC_YAML;
    }
    return fmt == ADOC_JSON ? load_json(content, out, eb) : load_yaml(content, out, eb);
}

/* Loads and checks a document: an Automation runbook, or a Command document (legacy:
 * admitting AWS's schema 1.2). */
static adoc_error_t parse_doc(span_t content, adoc_format_t fmt, bool command, bool legacy,
                              adoc_t **out, errbuf_t *eb)
{
    *out = NULL;
    adoc_t *d = xcalloc(1, sizeof(*d));
    adoc_error_t rc = load(content, fmt, &d->root, eb);
    if (rc == ADOC_OK && !cJSON_IsObject(d->root))
        rc = adoc__fail(eb, ADOC_E_CONTENT,
                        "The document content must be an object (a JSON object or a YAML "
                        "mapping).");
    if (rc == ADOC_OK) rc = check_tree(d->root, 0, eb);
    if (rc == ADOC_OK) rc = command ? adoc__command_top(d, legacy, eb) : check_schema(d->root, eb);
    if (rc == ADOC_OK && !command) rc = check_top(d, eb);
    if (rc == ADOC_OK) rc = parse_params(d, eb);
    if (rc == ADOC_OK) rc = command ? adoc__command_steps(d, eb) : adoc__parse_steps(d, eb);
    if (rc == ADOC_OK && !command) rc = adoc__check_graph(d, eb);
    if (rc == ADOC_OK) rc = adoc__check_refs(d, eb);
    if (rc != ADOC_OK) {
        adoc_free(d);
        return rc;
    }
    *out = d;
    return ADOC_OK;
}

adoc_error_t adoc_parse(span_t content, adoc_format_t fmt, adoc_t **out, errbuf_t *eb)
{
    return parse_doc(content, fmt, false, false, out, eb);
}

adoc_error_t adoc_parse_command(span_t content, adoc_format_t fmt, bool legacy, adoc_t **out,
                                errbuf_t *eb)
{
    return parse_doc(content, fmt, true, legacy, out, eb);
}

const char *adoc_schema_version(const adoc_t *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->root, "schemaVersion");
    return cJSON_IsString(v) ? v->valuestring : "0.3";
}

void adoc_free(adoc_t *d)
{
    if (!d) return;
    for (size_t i = 0; d->re && i < d->n_params; i++) pcre2_code_free(d->re[i]);
    free(d->re);
    free(d->params);
    for (size_t i = 0; d->steps && i < d->n_steps; i++) free(d->steps[i].loop_steps);
    free(d->steps);
    free(d->by_name);
    cJSON_Delete(d->root);
    free(d);
}

const cJSON *adoc_json(const adoc_t *d)
{
    return d->root;
}

const char *adoc_description(const adoc_t *d)
{
    return d->description;
}

const char *adoc_assume_role(const adoc_t *d)
{
    return d->assume_role;
}

size_t adoc_param_count(const adoc_t *d)
{
    return d->n_params;
}

const adoc_param_t *adoc_param(const adoc_t *d, size_t i)
{
    return i < d->n_params ? &d->params[i] : NULL;
}

size_t adoc_step_count(const adoc_t *d)
{
    return d->n_steps;
}

const adoc_step_t *adoc_step(const adoc_t *d, size_t i)
{
    return i < d->n_steps ? &d->steps[i] : NULL;
}

const cJSON *adoc_outputs(const adoc_t *d)
{
    return d->outputs;
}

static int cmp_name_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const adoc_name_t *)elem)->name);
}

int adoc_step_index(const adoc_t *d, const char *name)
{
    if (!name || !d->by_name) return -1;
    const adoc_name_t *e = bsearch(name, d->by_name, d->n_steps, sizeof(*e), cmp_name_key);
    return e ? e->index : -1;
}

const adoc_step_t *adoc_find_step(const adoc_t *d, const char *name)
{
    int i = adoc_step_index(d, name);
    if (i >= 0) return &d->steps[i];
    for (size_t k = 0; name && k < d->n_steps; k++)
        for (size_t j = 0; j < d->steps[k].n_loop_steps; j++)
            if (strcmp(d->steps[k].loop_steps[j].name, name) == 0)
                return &d->steps[k].loop_steps[j];
    return NULL;
}
