/* changes.c - what a change set shows: the resource changes of applying a template to a
 * stack, as CloudFormation lists them. Each resource the new template creates is compared
 * with the stack's record of it: a new one is Add, one the template no longer has is
 * Remove, one whose evaluated properties (or Metadata, or type) differ is Modify with a
 * detail per changed property. A property is evaluated with the stack's parameters and its
 * resources' physical ids; a reference to a resource this change adds or may replace (Ref)
 * or changes at all (Fn::GetAtt) cannot be known until the change runs, so it evaluates to
 * a marker and its detail is Dynamic (ChangeSource ResourceReference / ResourceAttribute,
 * CausingEntity the resource). Replacement comes from cfn_type_replaces: True when a
 * statically changed property always replaces, Conditional when one may, False else. */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

#define CS_MARK "{{cfn-changeset:"

/* The diff in progress: the stack's live resources, and the fate decided so far of each
 * logical id ("add", "replace", "modify", "keep"), in creation order. */
typedef struct cs_diff {
    api_ctx_t *c;
    cJSON *resources;
    cJSON *fate;
    const cJSON *params, *old_params; /* bound, new and the stack's */
} cs_diff_t;

/* Whether parameter name's value differs between the stack and the change. */
static bool cs_param_changed(const cs_diff_t *d, const char *name)
{
    const char *now = jx_str(d->params, name), *was = jx_str(d->old_params, name);
    return now && (!was || strcmp(now, was));
}

/* The parameter whose change alters node (a Ref to it, or ${it} in an Fn::Sub string), or
 * NULL when none is found. */
static const char *cs_param_cause(const cs_diff_t *d, const cJSON *node, int depth)
{
    if (depth > 64 || !node) return NULL;
    const cJSON *ref = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, "Ref") : NULL;
    if (cJSON_IsString(ref) && cs_param_changed(d, ref->valuestring)) return ref->valuestring;
    const cJSON *sub =
        cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, "Fn::Sub") : NULL;
    if (cJSON_IsArray(sub)) sub = sub->child;
    if (cJSON_IsString(sub))
        for (const cJSON *p = d->params ? d->params->child : NULL; p; p = p->next) {
            const char *at = strstr(sub->valuestring, "${");
            for (; at; at = strstr(at + 2, "${"))
                if (!strncmp(at + 2, p->string, strlen(p->string)) &&
                    at[2 + strlen(p->string)] == '}' && cs_param_changed(d, p->string))
                    return p->string;
        }
    for (const cJSON *c = cJSON_IsObject(node) || cJSON_IsArray(node) ? node->child : NULL; c;
         c = c->next) {
        const char *hit = cs_param_cause(d, c, depth + 1);
        if (hit) return hit;
    }
    return NULL;
}

static const cJSON *cs_record(const cs_diff_t *d, const char *logical)
{
    for (const cJSON *r = d->resources ? d->resources->child : NULL; r; r = r->next)
        if (!strcmp(jx_str(r, "LogicalResourceId"), logical) &&
            strcmp(jx_str(r, "ResourceStatus"), "DELETE_COMPLETE"))
            return r;
    return NULL;
}

static const char *cs_ref(void *ud, const char *logical)
{
    cs_diff_t *d = ud;
    const cJSON *r = cs_record(d, logical);
    const char *fate = jx_str(d->fate, logical);
    if (r && jx_str(r, "PhysicalResourceId") && fate &&
        (!strcmp(fate, "keep") || !strcmp(fate, "modify")))
        return jx_str(r, "PhysicalResourceId");
    return arena_printf(d->c->arena, CS_MARK "Ref:%s}}", logical);
}

static cJSON *cs_getatt(void *ud, const char *logical, const char *attr)
{
    cs_diff_t *d = ud;
    const cJSON *r = cs_record(d, logical);
    const char *fate = jx_str(d->fate, logical);
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "_Attrs"), attr);
    if (v && fate && !strcmp(fate, "keep")) return cJSON_Duplicate(v, 1);
    return cJSON_CreateString(arena_printf(d->c->arena, CS_MARK "GetAtt:%s.%s}}", logical, attr));
}

static const char *cs_import(void *ud, const char *name)
{
    cs_diff_t *d = ud;
    app_where_t w;
    cfn_ctx_where(d->c, &w);
    return cfn_export_value(&w, d->c->tx, name, d->c->arena);
}

static const char *const cs_recreate_words[] = {"Never", "Conditionally", "Always"};

/* One ResourceChangeDetail: Target (Attribute, Name, RequiresRecreation), Evaluation,
 * ChangeSource, CausingEntity. */
static cJSON *cs_detail(const char *attribute, const char *name, cfn_recreate_t rec, bool dynamic,
                        const char *source, const char *causing)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *target = cJSON_AddObjectToObject(d, "Target");
    cJSON_AddStringToObject(target, "Attribute", attribute);
    if (name) cJSON_AddStringToObject(target, "Name", name);
    cJSON_AddStringToObject(target, "RequiresRecreation", cs_recreate_words[rec]);
    cJSON_AddStringToObject(d, "Evaluation", dynamic ? "Dynamic" : "Static");
    cJSON_AddStringToObject(d, "ChangeSource", source);
    if (causing) cJSON_AddStringToObject(d, "CausingEntity", causing);
    return d;
}

/* The detail of property prop of a resource of type, changed from old to new (evaluated);
 * raw_old / raw_new are its template forms. *rec receives its recreation and *dynamic
 * whether it is known only when the change runs. */
static cJSON *cs_prop_detail(cs_diff_t *d, const char *type, const char *prop, const cJSON *new,
                             const cJSON *raw_old, const cJSON *raw_new, cfn_recreate_t *rec,
                             bool *dynamic)
{
    bool tags = !strcmp(prop, "Tags");
    *rec = cfn_type_replaces(type, prop);
    char *text = new ? cJSON_PrintUnformatted(new) : NULL;
    const char *mark = text ? strstr(text, CS_MARK) : NULL;
    cJSON *out;
    *dynamic = mark != NULL;
    if (mark) {
        char kind[8] = "", entity[600] = "";
        /* the marker: {{cfn-changeset:Ref:X}} or {{cfn-changeset:GetAtt:X.A}} */
        if (sscanf(mark + strlen(CS_MARK), "%7[^:]:%599[^}]", kind, entity) != 2) entity[0] = 0;
        out = cs_detail(tags ? "Tags" : "Properties", tags ? NULL : prop, *rec, true,
                        !strcmp(kind, "Ref") ? "ResourceReference" : "ResourceAttribute",
                        entity[0] ? entity : NULL);
    } else {
        /* the same template text with a different value: a parameter changed it */
        bool same = raw_old && raw_new && cJSON_Compare(raw_old, raw_new, true);
        const char *causing = same ? cs_param_cause(d, raw_new, 0) : NULL;
        out = cs_detail(tags ? "Tags" : "Properties", tags ? NULL : prop, *rec, false,
                        same ? "ParameterReference" : "DirectModification", causing);
    }
    cJSON_free(text);
    return out;
}

/* Adds s to the Scope array when it is not there yet. */
static void cs_scope(cJSON *scope, const char *s)
{
    for (const cJSON *x = scope->child; x; x = x->next)
        if (!strcmp(x->valuestring, s)) return;
    cJSON_AddItemToArray(scope, cJSON_CreateString(s));
}

/* A new ResourceChange of action for logical (type; physical id when known). */
static cJSON *cs_change(cJSON *changes, const char *action, const char *logical,
                        const char *physical, const char *type)
{
    cJSON *ch = cJSON_CreateObject();
    cJSON_AddStringToObject(ch, "Type", "Resource");
    cJSON *rc = cJSON_AddObjectToObject(ch, "ResourceChange");
    cJSON_AddStringToObject(rc, "Action", action);
    cJSON_AddStringToObject(rc, "LogicalResourceId", logical);
    if (physical) cJSON_AddStringToObject(rc, "PhysicalResourceId", physical);
    cJSON_AddStringToObject(rc, "ResourceType", type);
    cJSON_AddArrayToObject(rc, "Scope");
    cJSON_AddArrayToObject(rc, "Details");
    cJSON_AddItemToArray(changes, ch);
    return rc;
}

/* Compares resource logical of the new template (t, evaluated under ctx) with its record;
 * adds a Modify change when anything differs and records its fate. */
static err_t cs_compare(cs_diff_t *d, const tpl_t *t, const tpl_t *old_t, const tpl_ctx_t *ctx,
                        const char *logical, const cJSON *rec, cJSON *changes)
{
    const cJSON *def = tpl_resource(t, logical);
    const cJSON *old_def = old_t ? tpl_resource(old_t, logical) : NULL;
    const char *type = jx_str(def, "Type");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(def, "Properties");
    const cJSON *raw_old = cJSON_GetObjectItemCaseSensitive(old_def, "Properties");
    cJSON *props = NULL;
    err_t rc = raw ? tpl_eval(t, ctx, raw, &props, d->c->eb) : ERR_OK;
    if (rc) return rc;
    if (!props) props = cJSON_CreateObject();
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(rec, "_Props");
    cJSON *details = cJSON_CreateArray(), *scope = cJSON_CreateArray();
    bool always = false, maybe = false;
    bool retyped = strcmp(type, jx_str(rec, "ResourceType")) != 0;
    /* every property either side has, new ones first */
    for (int side = 0; side < 2; side++) {
        const cJSON *from = side ? old : props, *other = side ? props : old;
        for (const cJSON *p = from ? from->child : NULL; p; p = p->next) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(other, p->string);
            if (side && o) continue; /* seen from the new side */
            if (o && cJSON_Compare(p, o, true)) continue;
            cfn_recreate_t r;
            bool dyn;
            cJSON *nv = side ? NULL : (cJSON *)p;
            cJSON *det = cs_prop_detail(d, type, p->string, nv,
                                        cJSON_GetObjectItemCaseSensitive(raw_old, p->string),
                                        cJSON_GetObjectItemCaseSensitive(raw, p->string), &r, &dyn);
            cJSON_AddItemToArray(details, det);
            cs_scope(scope, !strcmp(p->string, "Tags") ? "Tags" : "Properties");
            if (r == CFN_RECREATE_ALWAYS && !dyn) always = true;
            if (r == CFN_RECREATE_CONDITIONALLY || (r == CFN_RECREATE_ALWAYS && dyn)) maybe = true;
        }
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(def, "Metadata");
    const cJSON *old_meta = cJSON_GetObjectItemCaseSensitive(old_def, "Metadata");
    if (old_t &&
        !((!meta && !old_meta) || (meta && old_meta && cJSON_Compare(meta, old_meta, 1)))) {
        cJSON_AddItemToArray(details, cs_detail("Metadata", NULL, CFN_RECREATE_NEVER, false,
                                                "DirectModification", NULL));
        cs_scope(scope, "Metadata");
    }
    if (retyped) {
        always = true;
        cs_scope(scope, "Properties");
    }
    const char *fate = "keep";
    if (cJSON_GetArraySize(details) || retyped) {
        cJSON *ch = cs_change(changes, "Modify", logical, jx_str(rec, "PhysicalResourceId"), type);
        const char *replacement = always ? "True" : maybe ? "Conditional" : "False";
        cJSON_AddStringToObject(ch, "Replacement", replacement);
        jx_set(ch, "Scope", scope);
        jx_set(ch, "Details", details);
        scope = details = NULL;
        fate = strcmp(replacement, "False") ? "replace" : "modify";
    }
    cJSON_AddStringToObject(d->fate, logical, fate);
    cJSON_Delete(scope);
    cJSON_Delete(details);
    cJSON_Delete(props);
    return ERR_OK;
}

err_t cfn_changes(api_ctx_t *c, const cJSON *stack, const tpl_t *t, const cJSON *bound, cJSON **out)
{
    cs_diff_t d = {.c = c,
                   .fate = cJSON_CreateObject(),
                   .params = bound,
                   .old_params = cJSON_GetObjectItemCaseSensitive(stack, "_Params")};
    const char *id = jx_str(stack, "StackId");
    tpl_ctx_t ctx = {.stack_name = jx_str(stack, "StackName"),
                     .stack_id = id,
                     .region = c->region,
                     .account_id = c->account,
                     .partition = "aws",
                     .url_suffix = "amazonaws.com",
                     .params = bound,
                     .ref = cs_ref,
                     .getatt = cs_getatt,
                     .import = cs_import,
                     .ud = &d};
    tpl_t *old_t = NULL;
    cJSON *conds = NULL, *order = NULL;
    *out = cJSON_CreateArray();
    err_t rc = cfn_resources(c->tx, c->scope, id, &d.resources, c->eb);
    const char *old_text = jx_str(stack, "_Template");
    if (!rc && old_text) rc = tpl_parse(span_of(old_text), &old_t, c->eb);
    if (!rc) rc = tpl_conditions(t, &ctx, &conds, c->eb);
    ctx.conditions = conds;
    if (!rc) rc = tpl_order(t, &ctx, &order, c->eb);
    for (const cJSON *o = order ? order->child : NULL; !rc && o; o = o->next) {
        const cJSON *rec = cs_record(&d, o->valuestring);
        if (rec) {
            rc = cs_compare(&d, t, old_t, &ctx, o->valuestring, rec, *out);
            continue;
        }
        cs_change(*out, "Add", o->valuestring, NULL,
                  jx_str(tpl_resource(t, o->valuestring), "Type"));
        cJSON_AddStringToObject(d.fate, o->valuestring, "add");
    }
    /* what the new template no longer creates */
    for (const cJSON *r = d.resources ? d.resources->child : NULL; !rc && r; r = r->next) {
        const char *logical = jx_str(r, "LogicalResourceId");
        if (!strcmp(jx_str(r, "ResourceStatus"), "DELETE_COMPLETE") ||
            cJSON_GetObjectItemCaseSensitive(d.fate, logical))
            continue;
        cs_change(*out, "Remove", logical, jx_str(r, "PhysicalResourceId"),
                  jx_str(r, "ResourceType"));
    }
    cJSON_Delete(order);
    cJSON_Delete(conds);
    tpl_free(old_t);
    cJSON_Delete(d.resources);
    cJSON_Delete(d.fate);
    return rc;
}
