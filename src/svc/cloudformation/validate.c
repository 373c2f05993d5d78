/* validate.c - what CloudFormation says about a template without running it:
 * ValidateTemplate, GetTemplateSummary, and the capabilities a template requires (IAM
 * resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM), which CreateStack,
 * UpdateStack and CreateChangeSet check (InsufficientCapabilitiesException). */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"

#include "core/buf.h"

#include <string.h>

/* The IAM resource types, and the property that names each (NULL: never named). */
static const struct {
    const char *type, *name_prop;
} cfn_iam_types[] = {
    {"AWS::IAM::AccessKey", NULL},
    {"AWS::IAM::Group", "GroupName"},
    {"AWS::IAM::InstanceProfile", "InstanceProfileName"},
    {"AWS::IAM::ManagedPolicy", "ManagedPolicyName"},
    {"AWS::IAM::Policy", NULL},
    {"AWS::IAM::Role", "RoleName"},
    {"AWS::IAM::User", "UserName"},
    {"AWS::IAM::UserToGroupAddition", NULL},
};

cJSON *cfn_required_caps(const tpl_t *t, arena_t *arena, const char **reason)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Resources");
    bool iam = false, named = false;
    buf_t types;
    buf_init(&types, 4096);
    for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next) {
        const char *type = jx_str(r, "Type");
        for (size_t i = 0; type && i < sizeof(cfn_iam_types) / sizeof(*cfn_iam_types); i++) {
            if (strcmp(type, cfn_iam_types[i].type)) continue;
            const cJSON *props = cJSON_GetObjectItemCaseSensitive(r, "Properties");
            if (cfn_iam_types[i].name_prop &&
                cJSON_GetObjectItemCaseSensitive(props, cfn_iam_types[i].name_prop))
                named = true;
            /* each type once, in template order */
            if (!strstr(buf_str(&types), type)) {
                if (iam) buf_adds(&types, ", ");
                buf_adds(&types, type);
            }
            iam = true;
        }
    }
    cJSON *caps = cJSON_CreateArray();
    *reason = NULL;
    if (iam) {
        cJSON_AddItemToArray(caps,
                             cJSON_CreateString(named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM"));
        *reason = arena_printf(arena, "The following resource(s) require capabilities: [%s]",
                               buf_str(&types));
    }
    buf_free(&types);
    return caps;
}

err_t cfn_check_caps(api_ctx_t *c, const tpl_t *t)
{
    const char *reason;
    cJSON *need = cfn_required_caps(t, c->arena, &reason);
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->in, "Capabilities");
    err_t rc = ERR_OK;
    for (const cJSON *n = need->child; n && !rc; n = n->next) {
        bool ok = false;
        for (const cJSON *g = given ? given->child : NULL; g && !ok; g = g->next)
            ok = cJSON_IsString(g) && (!strcmp(g->valuestring, n->valuestring) ||
                                       (!strcmp(n->valuestring, "CAPABILITY_IAM") &&
                                        !strcmp(g->valuestring, "CAPABILITY_NAMED_IAM")));
        if (!ok)
            rc = err_fail(c->eb, ERR_CFN_INSUFFICIENT_CAPABILITIES, "Requires capabilities : [%s]",
                          n->valuestring);
    }
    cJSON_Delete(need);
    return rc;
}

/* The template a ValidateTemplate / GetTemplateSummary names: TemplateBody, TemplateURL,
 * or (GetTemplateSummary) a stack's by StackName, parsed into *t. */
static err_t cfn_template_of(api_ctx_t *c, bool by_stack, tpl_t **t)
{
    const char *stack = by_stack ? api_in_str(c, "StackName") : NULL;
    const char *text = NULL;
    cJSON *s = NULL;
    err_t rc;
    *t = NULL;
    if (stack && (api_in_str(c, "TemplateBody") || api_in_str(c, "TemplateURL")))
        return err_fail(c->eb, ERR_VALIDATION,
                        "Specify exactly one of TemplateBody, TemplateURL or StackName.");
    if (stack) {
        rc = cfn_stack_find(c->tx, c->scope, stack, false, &s, c->eb);
        if (!rc && !jx_str(s, "_Template")) /* a CREATE change set's stack, never executed */
            rc = err_fail(c->eb, ERR_VALIDATION, "Stack with id %s does not exist", stack);
        if (!rc) text = arena_strdup(c->arena, jx_str(s, "_Template"));
        cJSON_Delete(s);
    } else if (by_stack && !api_in_str(c, "TemplateBody") && !api_in_str(c, "TemplateURL")) {
        return err_fail(c->eb, ERR_VALIDATION,
                        "Either StackName or TemplateBody or TemplateURL must be specified.");
    } else {
        rc = cfn_template_text(c, &text);
    }
    if (!rc) rc = tpl_parse(span_of(text), t, c->eb);
    return rc;
}

/* Adds Capabilities and CapabilitiesReason (when any is required) to out. */
static void cfn_caps_out(api_ctx_t *c, const tpl_t *t)
{
    const char *reason;
    cJSON *caps = cfn_required_caps(t, c->arena, &reason);
    cJSON_AddItemToObject(c->out, "Capabilities", caps);
    if (reason) cJSON_AddStringToObject(c->out, "CapabilitiesReason", reason);
}

/* The Parameters of out: ValidateTemplate's TemplateParameter list, or (summary)
 * GetTemplateSummary's ParameterDeclaration list with type and constraints. */
static void cfn_params_out(api_ctx_t *c, const tpl_t *t, bool summary)
{
    cJSON *params = cJSON_AddArrayToObject(c->out, "Parameters");
    for (size_t i = 0; i < tpl_param_count(t); i++) {
        const tpl_param_t *p = tpl_param(t, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "ParameterKey", p->name);
        if (p->default_value) cJSON_AddStringToObject(e, "DefaultValue", p->default_value);
        if (summary) cJSON_AddStringToObject(e, "ParameterType", p->type ? p->type : "String");
        cJSON_AddBoolToObject(e, "NoEcho", p->no_echo);
        if (p->description) cJSON_AddStringToObject(e, "Description", p->description);
        cJSON *pc = summary ? cJSON_AddObjectToObject(e, "ParameterConstraints") : NULL;
        if (pc && p->allowed_values)
            cJSON_AddItemToObject(pc, "AllowedValues", cJSON_Duplicate(p->allowed_values, 1));
        cJSON_AddItemToArray(params, e);
    }
}

err_t cfn_validate_template(api_ctx_t *c)
{
    tpl_t *t = NULL;
    err_t rc = cfn_template_of(c, false, &t);
    if (rc) return rc;
    cfn_params_out(c, t, false);
    if (tpl_description(t)) cJSON_AddStringToObject(c->out, "Description", tpl_description(t));
    cfn_caps_out(c, t);
    cJSON_AddArrayToObject(c->out, "DeclaredTransforms");
    tpl_free(t);
    return ERR_OK;
}

err_t cfn_get_template_summary(api_ctx_t *c)
{
    tpl_t *t = NULL;
    err_t rc = cfn_template_of(c, true, &t);
    if (rc) return rc;
    cfn_params_out(c, t, true);
    if (tpl_description(t)) cJSON_AddStringToObject(c->out, "Description", tpl_description(t));
    cfn_caps_out(c, t);
    /* ResourceTypes: each type once, in template order */
    cJSON *types = cJSON_AddArrayToObject(c->out, "ResourceTypes");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Resources");
    for (const cJSON *r = rs ? rs->child : NULL; r; r = r->next) {
        const char *type = jx_str(r, "Type");
        bool seen = false;
        for (const cJSON *x = types->child; x && !seen && type; x = x->next)
            seen = !strcmp(x->valuestring, type);
        if (type && !seen) cJSON_AddItemToArray(types, cJSON_CreateString(type));
    }
    const char *version = jx_str(tpl_json(t), "AWSTemplateFormatVersion");
    cJSON_AddStringToObject(c->out, "Version", version ? version : "2010-09-09");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(tpl_json(t), "Metadata");
    if (meta) {
        char *text = cJSON_PrintUnformatted(meta);
        cJSON_AddStringToObject(c->out, "Metadata", text);
        cJSON_free(text);
    }
    cJSON_AddArrayToObject(c->out, "DeclaredTransforms");
    tpl_free(t);
    return ERR_OK;
}
