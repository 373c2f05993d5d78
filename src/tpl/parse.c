/* parse.c - tpl_parse: the template body into a JSON tree (cJSON for JSON, yaml.c for
 * YAML), then the structure CloudFormation requires: known sections, the format version,
 * no nulls, bounded nesting, Resources, Mappings and Outputs shaped as they must be.
 * References and intrinsic functions are checked by check.c. */
#include "tpl/tpl_int.h"

#include "core/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sections[] = {
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
};

static const char *const resource_keys[] = {
    "Type",           "Properties",   "DependsOn",
    "Metadata",       "Condition",    "CreationPolicy",
    "DeletionPolicy", "UpdatePolicy", "UpdateReplacePolicy",
    "Version",
};

static const char *const output_keys[] = {"Value", "Description", "Export", "Condition"};

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0) return true;
    return false;
}

/* 1-based line and column of offset off in body. */
static void line_col(span_t body, size_t off, int *line, int *col)
{
    *line = 1;
    size_t start = 0;
    for (size_t i = 0; i < off && i < body.n; i++)
        if (body.p[i] == '\n') (*line)++, start = i + 1;
    *col = (int)(off - start) + 1;
}

static err_t json_error(span_t body, size_t off, errbuf_t *eb)
{
    int line, col;
    line_col(body, off, &line, &col);
    return err_fail(eb, ERR_VALIDATION,
                    "Template format error: JSON not well-formed. (line %d, column %d)", line, col);
}

/* The offset of the first byte of body that is not well-formed UTF-8 (or a NUL), or
 * body.n. Templates are UTF-8; checking first also keeps libfyaml 0.7.12 away from the
 * input that makes it loop forever (a directive line with invalid UTF-8). */
static size_t bad_utf8(span_t body)
{
    const unsigned char *p = (const unsigned char *)body.p;
    size_t i = 0, n = body.n;
    while (i < n) {
        unsigned c = p[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (c == 0 || len == 0 || i + len > n) return i;
        unsigned cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

/* The body as a tree: JSON when its first non-blank character is '{', else YAML. */
static err_t load(span_t body, cJSON **out, errbuf_t *eb)
{
    if (body.n > TPL_MAX_BODY)
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: the template is %zu bytes; the limit is %d", body.n,
                        TPL_MAX_BODY);
    size_t i = 0;
    if (body.n >= 3 && memcmp(body.p, "\xEF\xBB\xBF", 3) == 0) i = 3;
    size_t start = i; /* YAML gets its text from here: the first line's indentation counts */
    while (i < body.n &&
           (body.p[i] == ' ' || body.p[i] == '\t' || body.p[i] == '\r' || body.p[i] == '\n'))
        i++;
    if (i == body.n)
        return err_fail(eb, ERR_VALIDATION, "Template format error: unsupported structure.");
    bool json = body.p[i] == '{';
    size_t bad = bad_utf8(body);
    if (bad < body.n && json) return json_error(body, bad, eb);
    if (bad < body.n) {
        int line, col;
        line_col(body, bad, &line, &col);
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: YAML not well-formed. (line %d, column %d)", line,
                        col);
    }
    if (!json) return tpl__yaml_load(span_make(body.p + start, body.n - start), out, eb);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body.p, body.n, &end, false);
    if (!root) return json_error(body, end ? (size_t)(end - body.p) : 0, eb);
    size_t j = end ? (size_t)(end - body.p) : body.n;
    while (j < body.n &&
           (body.p[j] == ' ' || body.p[j] == '\t' || body.p[j] == '\r' || body.p[j] == '\n'))
        j++;
    if (j < body.n) {
        cJSON_Delete(root);
        return json_error(body, j, eb);
    }
    *out = root;
    return ERR_OK;
}

/* Bounded nesting, no nulls, finite numbers; path is the JSON pointer of node. */
static err_t check_tree(const cJSON *node, int depth, buf_t *path, errbuf_t *eb)
{
    if (depth > TPL_MAX_DEPTH)
        return err_fail(eb, ERR_VALIDATION, "Template format error: nesting too deep");
    if (cJSON_IsNull(node))
        return err_fail(eb, ERR_VALIDATION, "[%s] 'null' values are not allowed in templates",
                        path->len ? buf_str(path) : "/");
    if (cJSON_IsNumber(node) && !isfinite(node->valuedouble))
        return err_fail(eb, ERR_VALIDATION, "Template format error: [%s] number out of range",
                        buf_str(path));
    if (!cJSON_IsArray(node) && !cJSON_IsObject(node)) return ERR_OK;
    const cJSON *c;
    int i = 0;
    cJSON_ArrayForEach(c, node)
    {
        size_t mark = path->len;
        if (cJSON_IsObject(node))
            (void)(buf_addc(path, '/') && buf_adds(path, c->string ? c->string : ""));
        else
            (void)buf_printf(path, "/%d", i);
        err_t rc = check_tree(c, depth + 1, path, eb);
        path->len = mark;
        if (path->p) path->p[mark] = '\0';
        if (rc != ERR_OK) return rc;
        i++;
    }
    return ERR_OK;
}

static err_t must_be_object(const cJSON *v, const char *section, errbuf_t *eb)
{
    if (!v || cJSON_IsObject(v)) return ERR_OK;
    return err_fail(eb, ERR_VALIDATION, "Template format error: %s must be an object", section);
}

/* Top-level sections: known names only, the version, the description. */
static err_t load_sections(tpl_t *t, errbuf_t *eb)
{
    const cJSON *root = t->root, *m;
    cJSON *unknown = cJSON_CreateArray();
    cJSON_ArrayForEach(m,
                       root) if (!one_of(m->string, sections, sizeof(sections) / sizeof(*sections)))
        tpl__add_name(unknown, m->string);
    if (cJSON_GetArraySize(unknown) > 0) {
        buf_t b;
        buf_init(&b, TPL_MAX_MSG_NAMES + 16);
        tpl__names(&b, unknown);
        err_fail(eb, ERR_VALIDATION, "Invalid template property or properties [%s]", buf_str(&b));
        buf_free(&b);
        cJSON_Delete(unknown);
        return ERR_VALIDATION;
    }
    cJSON_Delete(unknown);
    const cJSON *ver = tpl__get(root, "AWSTemplateFormatVersion");
    if (ver && !(cJSON_IsString(ver) && strcmp(ver->valuestring, "2010-09-09") == 0))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Unsupported AWSTemplateFormatVersion; the only "
                        "version is 2010-09-09");
    const cJSON *desc = tpl__get(root, "Description");
    if (desc && !cJSON_IsString(desc))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Every Description member must be a string.");
    t->description = desc ? desc->valuestring : NULL;
    if (tpl__get(root, "Transform"))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Transform is not supported: catalogd does not "
                        "run macros");
    t->parameters = tpl__get(root, "Parameters");
    t->mappings = tpl__get(root, "Mappings");
    t->conditions = tpl__get(root, "Conditions");
    t->resources = tpl__get(root, "Resources");
    t->outputs = tpl__get(root, "Outputs");
    err_t rc = must_be_object(t->parameters, "Parameters", eb);
    if (rc == ERR_OK) rc = must_be_object(t->mappings, "Mappings", eb);
    if (rc == ERR_OK) rc = must_be_object(t->conditions, "Conditions", eb);
    if (rc == ERR_OK) rc = must_be_object(t->resources, "Resources", eb);
    if (rc == ERR_OK) rc = must_be_object(t->outputs, "Outputs", eb);
    if (rc == ERR_OK) rc = must_be_object(tpl__get(root, "Metadata"), "Metadata", eb);
    return rc;
}

static err_t check_resource(const cJSON *r, errbuf_t *eb)
{
    const char *id = r->string;
    if (!tpl__alnum(id))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Resource name %.*s is non alphanumeric.",
                        TPL_MAX_NAME, id);
    if (!cJSON_IsObject(r))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Any Resources member must be an object.");
    const cJSON *type = tpl__get(r, "Type"), *m;
    if (!cJSON_IsString(type) || !type->valuestring[0])
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Resources/%s] Every Resources object must "
                        "contain a Type member.",
                        id);
    cJSON_ArrayForEach(
        m, r) if (!one_of(m->string, resource_keys,
                          sizeof(resource_keys) /
                              sizeof(*resource_keys))) return err_fail(eb, ERR_VALIDATION,
                                                                       "Invalid template resource "
                                                                       "property '%.200s'",
                                                                       m->string);
    const cJSON *props = tpl__get(r, "Properties");
    if (props && !cJSON_IsObject(props))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Resources/%s/Properties] Properties must be an "
                        "object",
                        id);
    const cJSON *dep = tpl__get(r, "DependsOn"), *d;
    bool dep_ok = !dep || cJSON_IsString(dep) || cJSON_IsArray(dep);
    cJSON_ArrayForEach(d, (cJSON_IsArray(dep) ? dep : NULL)) dep_ok = dep_ok && cJSON_IsString(d);
    if (!dep_ok)
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Resources/%s/DependsOn] DependsOn must be a "
                        "string or a list of strings",
                        id);
    const cJSON *cond = tpl__get(r, "Condition");
    if (cond && !cJSON_IsString(cond))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Resources/%s/Condition] Condition must be a "
                        "string",
                        id);
    return ERR_OK;
}

/* The members of a section (what: "resources", "mappings", "outputs"): at most max of
 * them, with CloudFormation's message past that, each passing one. */
static err_t check_members(const cJSON *section, const char *what, int max,
                           err_t (*one)(const cJSON *, errbuf_t *), errbuf_t *eb)
{
    int n = cJSON_GetArraySize(section);
    if (n > max)
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Number of %s, %d, is greater than maximum "
                        "allowed, %d",
                        what, n, max);
    const cJSON *m;
    cJSON_ArrayForEach(m, section)
    {
        err_t rc = one(m, eb);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

static err_t check_resources(const tpl_t *t, errbuf_t *eb)
{
    if (cJSON_GetArraySize(t->resources) == 0)
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: At least one Resources member must be defined.");
    return check_members(t->resources, "resources", TPL_MAX_RESOURCES, check_resource, eb);
}

static bool mapping_value_ok(const cJSON *v)
{
    const cJSON *i;
    if (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v)) return true;
    if (!cJSON_IsArray(v)) return false;
    cJSON_ArrayForEach(i, v) if (!cJSON_IsString(i) && !cJSON_IsNumber(i) &&
                                 !cJSON_IsBool(i)) return false;
    return true;
}

/* A mapping: name -> top-level key -> second-level key -> string or list. */
static err_t check_mapping(const cJSON *map, errbuf_t *eb)
{
    const cJSON *top, *attr;
    if (!tpl__alnum(map->string))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Mapping name %.*s is non alphanumeric.",
                        TPL_MAX_NAME, map->string);
    if (!cJSON_IsObject(map) || !map->child)
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Mappings/%s] Every Mappings member must "
                        "be a non-empty map",
                        map->string);
    cJSON_ArrayForEach(top, map)
    {
        if (!cJSON_IsObject(top))
            return err_fail(eb, ERR_VALIDATION,
                            "Template format error: [/Mappings/%s/%.200s] Every Mappings "
                            "attribute must be a map",
                            map->string, top->string);
        cJSON_ArrayForEach(attr, top) if (!mapping_value_ok(attr)) return err_fail(
            eb, ERR_VALIDATION,
            "Template format error: [/Mappings/%s/%.200s/%.200s] Every Mappings attribute "
            "value must be a String or a List.",
            map->string, top->string, attr->string);
    }
    return ERR_OK;
}

static err_t check_output(const cJSON *o, errbuf_t *eb)
{
    const char *id = o->string;
    if (!tpl__alnum(id))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Output name %.*s is non alphanumeric.",
                        TPL_MAX_NAME, id);
    if (!cJSON_IsObject(o) || !tpl__get(o, "Value"))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: Every Outputs member must contain a Value object");
    const cJSON *m;
    cJSON_ArrayForEach(m, o) if (
        !one_of(m->string, output_keys,
                sizeof(output_keys) /
                    sizeof(*output_keys))) return err_fail(eb, ERR_VALIDATION,
                                                           "Template format error: [/Outputs/%s] "
                                                           "Invalid outputs property '%.200s'",
                                                           id, m->string);
    const cJSON *cond = tpl__get(o, "Condition"), *desc = tpl__get(o, "Description"),
                *exp = tpl__get(o, "Export");
    if (cond && !cJSON_IsString(cond))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Outputs/%s/Condition] Condition must be a string",
                        id);
    if (desc && !cJSON_IsString(desc))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Outputs/%s/Description] Description must be a "
                        "string",
                        id);
    if (exp && (!cJSON_IsObject(exp) || !tpl__get(exp, "Name") || cJSON_GetArraySize(exp) != 1))
        return err_fail(eb, ERR_VALIDATION,
                        "Template format error: [/Outputs/%s/Export] Export must contain exactly a "
                        "Name member",
                        id);
    return ERR_OK;
}

err_t tpl_parse(span_t body, tpl_t **out, errbuf_t *eb)
{
    cJSON *root = NULL;
    tpl_t *t = NULL;
    buf_t path;
    buf_init(&path, 4096);
    err_t rc = load(body, &root, eb);
    if (rc == ERR_OK && !cJSON_IsObject(root))
        rc = err_fail(eb, ERR_VALIDATION, "Template format error: unsupported structure.");
    if (rc == ERR_OK) rc = check_tree(root, 0, &path, eb);
    if (rc == ERR_OK) {
        t = xcalloc(1, sizeof(*t));
        t->root = root;
        root = NULL;
        rc = load_sections(t, eb);
    }
    if (rc == ERR_OK) rc = tpl__params_load(t, eb);
    if (rc == ERR_OK)
        rc = check_members(t->mappings, "mappings", TPL_MAX_MAPPINGS, check_mapping, eb);
    if (rc == ERR_OK) rc = check_resources(t, eb);
    if (rc == ERR_OK) rc = check_members(t->outputs, "outputs", TPL_MAX_OUTPUTS, check_output, eb);
    if (rc == ERR_OK) rc = tpl__check(t, eb);
    buf_free(&path);
    if (rc != ERR_OK) {
        cJSON_Delete(root);
        tpl_free(t);
        return rc;
    }
    *out = t;
    return ERR_OK;
}

void tpl_free(tpl_t *t)
{
    if (!t) return;
    tpl__params_free(t);
    free(t->cond_order);
    cJSON_Delete(t->root);
    free(t);
}

const cJSON *tpl_json(const tpl_t *t)
{
    return t ? t->root : NULL;
}

const char *tpl_description(const tpl_t *t)
{
    return t ? t->description : NULL;
}

const cJSON *tpl_resource(const tpl_t *t, const char *logical_id)
{
    if (!t || !logical_id) return NULL;
    return tpl__get(t->resources, logical_id);
}
