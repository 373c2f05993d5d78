/* types_misc.c - AWS::SSM::Document and AWS::SSM::Parameter as rows of the type table
 * (types_int.h); the wait condition types are in waitcond.c. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include <string.h>

/* ---- AWS::SSM::Parameter: PutParameter; Tags is a map in the template, a list in SSM */

/* The PutParameter input for props (named name), new. */
static cJSON *param_input(cfn_step_t *s, const cJSON *props, const char *name, bool overwrite)
{
    static const char *const members[] = {"Type", "Value",    "Description", "AllowedPattern",
                                          "Tier", "Policies", "DataType",    NULL};
    cJSON *in = cfn_obj1("Name", name);
    for (const char *const *m = members; *m; m++) {
        const char *v = cfn_prop_str(s, props, *m);
        if (v) cJSON_AddStringToObject(in, *m, v);
    }
    if (overwrite) {
        cJSON_AddBoolToObject(in, "Overwrite", true);
    } else {
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(props, "Tags");
        cJSON *list = tags ? cJSON_AddArrayToObject(in, "Tags") : NULL;
        for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
            cJSON *tag = cfn_obj1("Key", t->string);
            cJSON_AddStringToObject(tag, "Value", cJSON_IsString(t) ? t->valuestring : "");
            cJSON_AddItemToArray(list, tag);
        }
    }
    return in;
}

static err_t param_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                const cJSON *props, const cJSON *in)
{
    cJSON *put = param_input(s, props, jx_str(in, "Name"), false);
    err_t rc = cfn_call(s, "ssm", "PutParameter", put, NULL);
    cJSON_Delete(put);
    return rc;
}

static err_t param_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                          const cJSON *props)
{
    cJSON *put = param_input(s, props, jx_str(res, "PhysicalResourceId"), true);
    err_t rc = cfn_call(s, "ssm", "PutParameter", put, NULL);
    if (!rc) cfn_set_result(res, spec, NULL, NULL, put); /* Type, Value */
    cJSON_Delete(put);
    return rc;
}

#define M CFN_P_MUTABLE

/* UpdateMethod Replace (the default) replaces a document: every property is Replacement. */
static const cfn_prop_t document_props[] = {{"Content", NULL, CFN_P_REQ | CFN_P_JSON},
                                            {"Attachments", NULL, 0},
                                            {"Name", NULL, CFN_P_NAME},
                                            {"DocumentType", NULL, 0},
                                            {"DocumentFormat", NULL, 0},
                                            {"TargetType", NULL, 0},
                                            {"VersionName", NULL, 0},
                                            {"Requires", NULL, 0},
                                            {"Tags", NULL, 0},
                                            {"UpdateMethod", NULL, CFN_P_HOOK},
                                            {0}};

static const cfn_prop_t param_props[] = {
    {"Name", NULL, CFN_P_NAME},     {"Type", NULL, CFN_P_REQ | M},
    {"Value", NULL, CFN_P_REQ | M}, {"Description", NULL, M},
    {"AllowedPattern", NULL, M},    {"Tier", NULL, M},
    {"Policies", NULL, M},          {"DataType", NULL, M},
    {"Tags", NULL, CFN_P_HOOK},     {0}};
static const cfn_attr_t param_attrs[] = {{"Type", "Type"}, {"Value", "Value"}, {0}};

const cfn_spec_t cfn_misc_specs[] = {{.type = "AWS::SSM::Document",
                                      .service = "ssm",
                                      .create_op = "CreateDocument",
                                      .props = document_props,
                                      .id_path = "Name",
                                      .delete_op = "DeleteDocument",
                                      .delete_member = "Name",
                                      .gone = "InvalidDocument",
                                      .name_max = 128},
                                     {.type = "AWS::SSM::Parameter",
                                      .service = "ssm",
                                      .props = param_props,
                                      .id_path = "Name",
                                      .delete_op = "DeleteParameter",
                                      .delete_member = "Name",
                                      .gone = "ParameterNotFound",
                                      .attrs = param_attrs,
                                      .name_form = "CFN-",
                                      .after_create = param_after_create,
                                      .update = param_update},
                                     {0}};
