/* types_ssm_mw.c - AWS::SSM::MaintenanceWindow, MaintenanceWindowTarget,
 * MaintenanceWindowTask and PatchBaseline as rows of the type table (types_int.h), over
 * Systems Manager's own operations, updated in place as AWS's resource reference says. Ref gives
 * WindowId, WindowTargetId, WindowTaskId and BaselineId as AWS documents; a target or task
 * remembers its window ("_WindowId") for its deregistration. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include <stdlib.h>
#include <string.h>

#define M CFN_P_MUTABLE

/* v as a number (a string of digits taken), new; NULL when it is neither. */
static cJSON *mw_num(const cJSON *v)
{
    if (cJSON_IsNumber(v)) return cJSON_CreateNumber(v->valuedouble);
    if (!cJSON_IsString(v) || !*v->valuestring) return NULL;
    char *end;
    double d = strtod(v->valuestring, &end);
    return *end ? NULL : cJSON_CreateNumber(d);
}

/* v as a boolean ("true"/"false" taken), new; NULL when it is neither. */
static cJSON *mw_bool(const cJSON *v)
{
    if (cJSON_IsBool(v)) return cJSON_CreateBool(cJSON_IsTrue(v));
    if (cJSON_IsString(v) && !strcmp(v->valuestring, "true")) return cJSON_CreateTrue();
    if (cJSON_IsString(v) && !strcmp(v->valuestring, "false")) return cJSON_CreateFalse();
    return NULL;
}

/* Copies property name of props to in as member (NULL: the same name), converted by kind:
 * 'n' number, 'b' boolean, 's' string (numbers as text), else as it is. A value that does
 * not convert is passed as it is, for SSM to refuse with its own words. */
static void mw_put(cfn_step_t *s, cJSON *in, const cJSON *props, const char *name,
                   const char *member, char kind)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, name);
    if (!v) return;
    cJSON *c = kind == 'n' ? mw_num(v) : kind == 'b' ? mw_bool(v) : NULL;
    if (kind == 's' && !cJSON_IsString(v) && cfn_prop_str(s, props, name))
        c = cJSON_CreateString(cfn_prop_str(s, props, name));
    cJSON_AddItemToObject(in, member ? member : name, c ? c : cJSON_Duplicate(v, 1));
}

/* ---- AWS::SSM::MaintenanceWindow: Update is UpdateMaintenanceWindow with Replace */

static const struct {
    const char *name;
    char kind;
} window_members[] = {{"Name", 0},
                      {"Description", 0},
                      {"Schedule", 0},
                      {"ScheduleTimezone", 0},
                      {"ScheduleOffset", 'n'},
                      {"StartDate", 0},
                      {"EndDate", 0},
                      {"Duration", 'n'},
                      {"Cutoff", 'n'},
                      {"AllowUnassociatedTargets", 'b'}};

static err_t window_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                           const cJSON *old_props, const cJSON *props)
{
    cJSON *in = cfn_obj1("WindowId", jx_str(res, "PhysicalResourceId"));
    for (size_t i = 0; i < sizeof(window_members) / sizeof(window_members[0]); i++)
        mw_put(s, in, props, window_members[i].name, NULL, window_members[i].kind);
    cJSON_AddBoolToObject(in, "Replace", true);
    err_t rc = cfn_call(s, "ssm", "UpdateMaintenanceWindow", in, NULL);
    cJSON_Delete(in);
    return rc;
}

/* ---- targets and tasks: deregistered from their window */

static err_t reg_remember(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                          const cJSON *in)
{
    jx_set_str(res, "_WindowId", cfn_prop_str(s, props, "WindowId"));
    return ERR_OK;
}

/* Deregisters the target or task res (member idm) from its window with op. */
static err_t reg_remove(cfn_step_t *s, cJSON *res, const char *op, const char *idm)
{
    const char *wid = jx_str(res, "_WindowId");
    if (!wid) wid = jx_str(cJSON_GetObjectItemCaseSensitive(res, "_Props"), "WindowId");
    cJSON *in = cfn_obj1("WindowId", wid);
    cJSON_AddStringToObject(in, idm, jx_str(res, "PhysicalResourceId"));
    err_t rc = cfn_call_gone(s, "ssm", op, in, "DoesNotExistException");
    cJSON_Delete(in);
    return rc;
}

static err_t target_remove(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    return reg_remove(s, res, "DeregisterTargetFromMaintenanceWindow", "WindowTargetId");
}

static err_t task_remove(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    return reg_remove(s, res, "DeregisterTaskFromMaintenanceWindow", "WindowTaskId");
}

/* AWS::SSM::MaintenanceWindowTarget: UpdateMaintenanceWindowTarget with Replace */
static err_t target_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                           const cJSON *old_props, const cJSON *props)
{
    cJSON *in = cfn_obj1("WindowId", jx_str(res, "_WindowId"));
    cJSON_AddStringToObject(in, "WindowTargetId", jx_str(res, "PhysicalResourceId"));
    static const char *const members[] = {"Targets", "OwnerInformation", "Name", "Description"};
    for (size_t i = 0; i < 4; i++) mw_put(s, in, props, members[i], NULL, 0);
    cJSON_AddBoolToObject(in, "Replace", true);
    err_t rc = cfn_call(s, "ssm", "UpdateMaintenanceWindowTarget", in, NULL);
    cJSON_Delete(in);
    return rc;
}

/* AWS::SSM::MaintenanceWindowTask's input from props, new: the template's names for the
 * task invocation parameters and the logging information differ from the API's. */
static cJSON *task_input(cfn_step_t *s, const cJSON *props)
{
    static const struct {
        const char *name;
        char kind;
    } members[] = {{"WindowId", 0},       {"TaskArn", 0},          {"TaskType", 0},
                   {"ServiceRoleArn", 0}, {"Targets", 0},          {"TaskParameters", 0},
                   {"Priority", 'n'},     {"MaxConcurrency", 's'}, {"MaxErrors", 's'},
                   {"Name", 0},           {"Description", 0},      {"CutoffBehavior", 0}};
    cJSON *in = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        mw_put(s, in, props, members[i].name, NULL, members[i].kind);
    const cJSON *tip = cJSON_GetObjectItemCaseSensitive(props, "TaskInvocationParameters");
    if (tip) {
        static const char *const kinds[][2] = {
            {"MaintenanceWindowRunCommandParameters", "RunCommand"},
            {"MaintenanceWindowAutomationParameters", "Automation"},
            {"MaintenanceWindowLambdaParameters", "Lambda"},
            {"MaintenanceWindowStepFunctionsParameters", "StepFunctions"}};
        cJSON *t = cJSON_AddObjectToObject(in, "TaskInvocationParameters");
        for (size_t i = 0; i < 4; i++) mw_put(s, t, tip, kinds[i][0], kinds[i][1], 0);
    }
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(props, "LoggingInfo");
    if (log) {
        cJSON *l = cJSON_AddObjectToObject(in, "LoggingInfo");
        mw_put(s, l, log, "S3Bucket", "S3BucketName", 0);
        mw_put(s, l, log, "S3Prefix", "S3KeyPrefix", 0);
        mw_put(s, l, log, "Region", "S3Region", 0);
    }
    return in;
}

static err_t task_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                         const cJSON *unused)
{
    cJSON *in = task_input(s, props), *out = NULL;
    err_t rc = cfn_call(s, "ssm", "RegisterTaskWithMaintenanceWindow", in, &out);
    if (!rc) {
        cfn_set_result(res, spec, jx_str(out, "WindowTaskId"), out, in);
        jx_set_str(res, "_WindowId", jx_str(in, "WindowId"));
    }
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

/* UpdateMaintenanceWindowTask with Replace (WindowId and TaskType replace the task). */
static err_t task_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                         const cJSON *props)
{
    cJSON *in = task_input(s, props);
    cJSON_DeleteItemFromObjectCaseSensitive(in, "TaskType");
    jx_set_str(in, "WindowId", jx_str(res, "_WindowId"));
    cJSON_AddStringToObject(in, "WindowTaskId", jx_str(res, "PhysicalResourceId"));
    cJSON_AddBoolToObject(in, "Replace", true);
    err_t rc = cfn_call(s, "ssm", "UpdateMaintenanceWindowTask", in, NULL);
    cJSON_Delete(in);
    return rc;
}

/* ---- AWS::SSM::PatchBaseline */

/* The CreatePatchBaseline / UpdatePatchBaseline members of props: ApprovalRules' numbers
 * and booleans written as text taken, as CloudFormation takes them. */
static cJSON *baseline_input(cfn_step_t *s, const cJSON *props, bool update)
{
    static const char *const plain[] = {"Name",
                                        "Description",
                                        "GlobalFilters",
                                        "ApprovedPatches",
                                        "ApprovedPatchesComplianceLevel",
                                        "RejectedPatches",
                                        "RejectedPatchesAction",
                                        "Sources",
                                        NULL};
    cJSON *in = cJSON_CreateObject();
    for (const char *const *m = plain; *m; m++) mw_put(s, in, props, *m, NULL, 0);
    mw_put(s, in, props, "ApprovedPatchesEnableNonSecurity", NULL, 'b');
    if (!update) {
        mw_put(s, in, props, "OperatingSystem", NULL, 0);
        mw_put(s, in, props, "Tags", NULL, 0);
    }
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(props, "ApprovalRules"), "PatchRules");
    if (cJSON_GetObjectItemCaseSensitive(props, "ApprovalRules")) {
        cJSON *list =
            cJSON_AddArrayToObject(cJSON_AddObjectToObject(in, "ApprovalRules"), "PatchRules");
        for (const cJSON *r = rules ? rules->child : NULL; r; r = r->next) {
            cJSON *o = cJSON_CreateObject();
            mw_put(s, o, r, "PatchFilterGroup", NULL, 0);
            mw_put(s, o, r, "ComplianceLevel", NULL, 0);
            mw_put(s, o, r, "ApproveAfterDays", NULL, 'n');
            mw_put(s, o, r, "ApproveUntilDate", NULL, 0);
            mw_put(s, o, r, "EnableNonSecurity", NULL, 'b');
            cJSON_AddItemToArray(list, o);
        }
    }
    return in;
}

static err_t baseline_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                             const cJSON *unused)
{
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(props, "PatchGroups");
    if (cJSON_GetArraySize(groups) > 0 ||
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "DefaultBaseline")))
        return err_fail(s->eb, ERR_VALIDATION,
                        "PatchGroups and DefaultBaseline are not supported by catalogd, which "
                        "keeps patch baselines without registering them.");
    cJSON *in = baseline_input(s, props, false), *out = NULL;
    err_t rc = cfn_call(s, "ssm", "CreatePatchBaseline", in, &out);
    if (!rc) cfn_set_result(res, spec, jx_str(out, "BaselineId"), out, in);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

static err_t baseline_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                             const cJSON *old_props, const cJSON *props)
{
    cJSON *in = baseline_input(s, props, true);
    cJSON_AddStringToObject(in, "BaselineId", jx_str(res, "PhysicalResourceId"));
    cJSON_AddBoolToObject(in, "Replace", true);
    err_t rc = cfn_call(s, "ssm", "UpdatePatchBaseline", in, NULL);
    cJSON_Delete(in);
    return rc;
}

/* ---- the rows */

static const cfn_prop_t window_props[] = {
    {"Name", NULL, CFN_P_REQ | M},
    {"Description", NULL, M},
    {"Schedule", NULL, CFN_P_REQ | M},
    {"ScheduleTimezone", NULL, M},
    {"ScheduleOffset", NULL, CFN_P_INT | M},
    {"StartDate", NULL, M},
    {"EndDate", NULL, M},
    {"Duration", NULL, CFN_P_REQ | CFN_P_INT | M},
    {"Cutoff", NULL, CFN_P_REQ | CFN_P_INT | M},
    {"AllowUnassociatedTargets", NULL, CFN_P_REQ | CFN_P_BOOL | M},
    {"Tags", NULL, 0},
    {0}};
static const cfn_attr_t window_attrs[] = {{"WindowId", "WindowId"}, {0}};

/* a target's ResourceType cannot change in place here (UpdateMaintenanceWindowTarget
 * has no such member): it replaces the target */
static const cfn_prop_t target_props[] = {{"WindowId", NULL, CFN_P_REQ},
                                          {"ResourceType", NULL, CFN_P_REQ},
                                          {"Targets", NULL, CFN_P_REQ | M},
                                          {"OwnerInformation", NULL, M},
                                          {"Name", NULL, M},
                                          {"Description", NULL, M},
                                          {0}};
/* WindowId and TaskType replace a task; the rest is UpdateMaintenanceWindowTask */
static const cfn_prop_t task_props[] = {{"WindowId", NULL, CFN_P_REQ | CFN_P_HOOK},
                                        {"TaskArn", NULL, CFN_P_REQ | CFN_P_HOOK | M},
                                        {"TaskType", NULL, CFN_P_REQ | CFN_P_HOOK},
                                        {"Priority", NULL, CFN_P_REQ | CFN_P_HOOK | M},
                                        {"ServiceRoleArn", NULL, CFN_P_HOOK | M},
                                        {"Targets", NULL, CFN_P_HOOK | M},
                                        {"TaskParameters", NULL, CFN_P_HOOK | M},
                                        {"TaskInvocationParameters", NULL, CFN_P_HOOK | M},
                                        {"MaxConcurrency", NULL, CFN_P_HOOK | M},
                                        {"MaxErrors", NULL, CFN_P_HOOK | M},
                                        {"LoggingInfo", NULL, CFN_P_HOOK | M},
                                        {"Name", NULL, CFN_P_HOOK | M},
                                        {"Description", NULL, CFN_P_HOOK | M},
                                        {"CutoffBehavior", NULL, CFN_P_HOOK | M},
                                        {0}};
static const cfn_attr_t task_attrs[] = {{"WindowTaskId", "WindowTaskId"}, {0}};
static const cfn_prop_t baseline_props[] = {
    {"Name", NULL, CFN_P_REQ | CFN_P_HOOK | M},
    {"OperatingSystem", NULL, CFN_P_HOOK},
    {"Description", NULL, CFN_P_HOOK | M},
    {"ApprovalRules", NULL, CFN_P_HOOK | M},
    {"GlobalFilters", NULL, CFN_P_HOOK | M},
    {"ApprovedPatches", NULL, CFN_P_HOOK | M},
    {"ApprovedPatchesComplianceLevel", NULL, CFN_P_HOOK | M},
    {"ApprovedPatchesEnableNonSecurity", NULL, CFN_P_HOOK | M},
    {"RejectedPatches", NULL, CFN_P_HOOK | M},
    {"RejectedPatchesAction", NULL, CFN_P_HOOK | M},
    {"Sources", NULL, CFN_P_HOOK | M},
    {"PatchGroups", NULL, CFN_P_HOOK},
    {"DefaultBaseline", NULL, CFN_P_HOOK},
    {"Tags", NULL, CFN_P_HOOK},
    {0}};

const cfn_spec_t cfn_ssm_mw_specs[] = {{.type = "AWS::SSM::MaintenanceWindow",
                                        .service = "ssm",
                                        .create_op = "CreateMaintenanceWindow",
                                        .props = window_props,
                                        .id_path = "WindowId",
                                        .delete_op = "DeleteMaintenanceWindow",
                                        .delete_member = "WindowId",
                                        .gone = "DoesNotExistException",
                                        .attrs = window_attrs,
                                        .update = window_update},
                                       {.type = "AWS::SSM::MaintenanceWindowTarget",
                                        .service = "ssm",
                                        .create_op = "RegisterTargetWithMaintenanceWindow",
                                        .props = target_props,
                                        .id_path = "WindowTargetId",
                                        .gone = "DoesNotExistException",
                                        .after_create = reg_remember,
                                        .before_delete = target_remove,
                                        .update = target_update},
                                       {.type = "AWS::SSM::MaintenanceWindowTask",
                                        .service = "ssm",
                                        .props = task_props,
                                        .gone = "DoesNotExistException",
                                        .attrs = task_attrs,
                                        .after_create = task_create,
                                        .before_delete = task_remove,
                                        .update = task_update},
                                       {.type = "AWS::SSM::PatchBaseline",
                                        .service = "ssm",
                                        .props = baseline_props,
                                        .delete_op = "DeletePatchBaseline",
                                        .delete_member = "BaselineId",
                                        .gone = "DoesNotExistException",
                                        .after_create = baseline_create,
                                        .update = baseline_update},
                                       {0}};
