/* types.c - the resource types stacks can hold. Each works through the public API of the
 * service that owns the resource (the in-process client, as the stack's principal), so
 * IAM applies to a stack's work exactly as to its caller's own calls. */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

static err_t cfn_call(cfn_step_t *s, const char *service, const char *op, cJSON *in, cJSON **out)
{
    err_t rc =
        api_client_call_tx(s->app, s->tx, s->post, s->arena, s->as, service, op, in, out, s->eb);
    if (rc && !strcmp(service, "ec2")) {
        /* CloudFormation reports EC2's refusals as "API: ec2:RunInstances <message>" */
        char prefix[96];
        int n = snprintf(prefix, sizeof(prefix), "API: %s:%s ", service, op);
        size_t len = strlen(s->eb->msg), cap = sizeof(s->eb->msg);
        if (n > 0 && (size_t)n < cap) {
            if (len + (size_t)n >= cap) len = cap - 1 - (size_t)n; /* keep the message's head */
            memmove(s->eb->msg + n, s->eb->msg, len);
            memcpy(s->eb->msg, prefix, (size_t)n);
            s->eb->msg[n + len] = '\0';
        }
    }
    return rc;
}

static void cfn_set_physical(cJSON *res, const char *id)
{
    jx_set_str(res, "PhysicalResourceId", id);
}

/* Copies member `from` of src (when present) to dst as `to`. */
static void cfn_copy(cJSON *dst, const char *to, const cJSON *src, const char *from)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, from);
    if (v) cJSON_AddItemToObject(dst, to, cJSON_Duplicate(v, 1));
}

/* ---- AWS::EC2::Instance */

static cJSON *ec2_tags(const cfn_step_t *s, const cJSON *res, const cJSON *props)
{
    cJSON *tags = cJSON_CreateArray();
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(props, "Tags");
    for (const cJSON *t = user ? user->child : NULL; t; t = t->next)
        cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    const char *sys[][2] = {{"aws:cloudformation:stack-name", jx_str(s->stack, "StackName")},
                            {"aws:cloudformation:stack-id", jx_str(s->stack, "StackId")},
                            {"aws:cloudformation:logical-id", jx_str(res, "LogicalResourceId")}};
    for (size_t i = 0; i < 3; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key", sys[i][0]);
        cJSON_AddStringToObject(t, "Value", sys[i][1] ? sys[i][1] : "");
        cJSON_AddItemToArray(tags, t);
    }
    return tags;
}

static err_t ec2_create(cfn_step_t *s, cJSON *res, const cJSON *props)
{
    cJSON *in = cJSON_CreateObject();
    cfn_copy(in, "ImageId", props, "ImageId");
    cfn_copy(in, "InstanceType", props, "InstanceType");
    cfn_copy(in, "KeyName", props, "KeyName");
    cfn_copy(in, "SubnetId", props, "SubnetId");
    cfn_copy(in, "UserData", props, "UserData");
    cfn_copy(in, "SecurityGroupIds", props, "SecurityGroupIds");
    cfn_copy(in, "SecurityGroups", props, "SecurityGroups");
    const char *az = jx_str(props, "AvailabilityZone");
    if (az) {
        cJSON *pl = cJSON_AddObjectToObject(in, "Placement");
        cJSON_AddStringToObject(pl, "AvailabilityZone", az);
    }
    const char *profile = jx_str(props, "IamInstanceProfile");
    if (profile) {
        cJSON *p = cJSON_AddObjectToObject(in, "IamInstanceProfile");
        cJSON_AddStringToObject(p, strncmp(profile, "arn:", 4) ? "Name" : "Arn", profile);
    }
    cJSON_AddNumberToObject(in, "MinCount", 1);
    cJSON_AddNumberToObject(in, "MaxCount", 1);
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "ResourceType", "instance");
    cJSON_AddItemToObject(spec, "Tags", ec2_tags(s, res, props));
    cJSON *specs = cJSON_AddArrayToObject(in, "TagSpecifications");
    cJSON_AddItemToArray(specs, spec);
    cJSON *out = NULL;
    err_t rc = cfn_call(s, "ec2", "RunInstances", in, &out);
    cJSON_Delete(in);
    if (!rc) {
        const cJSON *inst =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Instances"), 0);
        cfn_set_physical(res, jx_str(inst, "InstanceId"));
    }
    cJSON_Delete(out);
    return rc;
}

/* The input naming one instance: {"InstanceIds": [id]}, new. */
static cJSON *ec2_one_instance(const char *id)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "InstanceIds"), cJSON_CreateString(id));
    return in;
}

/* Describes the instance (NULL when EC2 no longer knows it). */
static err_t ec2_describe(cfn_step_t *s, const char *id, cJSON **inst)
{
    cJSON *in = ec2_one_instance(id);
    cJSON *out = NULL;
    err_t rc = cfn_call(s, "ec2", "DescribeInstances", in, &out);
    cJSON_Delete(in);
    *inst = NULL;
    if (rc == ERR_EC2_NOT_FOUND) return ERR_OK;
    if (!rc) {
        const cJSON *r =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Reservations"), 0);
        cJSON *i = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "Instances"), 0);
        if (i) *inst = cJSON_Duplicate(i, 1);
    }
    cJSON_Delete(out);
    return rc;
}

static err_t ec2_check(cfn_step_t *s, cJSON *res, bool deleting, cfn_progress_t *p, char *reason,
                       size_t cap)
{
    cJSON *inst = NULL;
    const char *id = jx_str(res, "PhysicalResourceId");
    err_t rc = id ? ec2_describe(s, id, &inst) : ERR_OK;
    if (rc) return rc;
    const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "State"), "Name");
    const char *why = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "StateReason"), "Message");
    if (deleting) {
        *p = !inst || (state && !strcmp(state, "terminated")) ? CFN_DONE : CFN_PENDING;
    } else if (state && !strcmp(state, "running")) {
        *p = CFN_DONE;
        /* the attributes Fn::GetAtt can read */
        cJSON *attrs = cJSON_CreateObject();
        cJSON_AddStringToObject(attrs, "InstanceId", id);
        cJSON_AddStringToObject(
            attrs, "AvailabilityZone",
            jx_str(cJSON_GetObjectItemCaseSensitive(inst, "Placement"), "AvailabilityZone"));
        cJSON_AddStringToObject(attrs, "PrivateDnsName", jx_str(inst, "PrivateDnsName"));
        cJSON_AddStringToObject(attrs, "PrivateIp", jx_str(inst, "PrivateIpAddress"));
        cJSON_AddStringToObject(attrs, "PublicDnsName", jx_str(inst, "PublicDnsName"));
        cJSON_AddStringToObject(attrs, "PublicIp", "");
        jx_set(res, "_Attrs", attrs);
    } else if (!inst || (state && (!strcmp(state, "terminated") ||
                                   !strcmp(state, "shutting-down") || !strcmp(state, "stopped")))) {
        *p = CFN_FAILED;
        snprintf(reason, cap, "Instance %s failed to stabilize: %s", id ? id : "?",
                 why     ? why
                 : state ? state
                         : "it disappeared");
    } else {
        *p = CFN_PENDING;
    }
    cJSON_Delete(inst);
    if (*p == CFN_PENDING && id && s->job_id) {
        /* the instance's transition wakes the stack when it ends */
        rc = engine_watch(s->tx, arena_printf(s->arena, "ec2.instance:%s", id), s->job_id, s->eb);
        s->watched = !rc;
    }
    return rc;
}

/* Deletes a resource with service:op (input in, freed here); the owning service's
 * not-found error `gone` counts as deleted (deleted by hand: what the stack wanted). */
static err_t delete_call(cfn_step_t *s, const char *service, const char *op, cJSON *in, err_t gone)
{
    cJSON *out = NULL;
    err_t rc = cfn_call(s, service, op, in, &out);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc == gone ? ERR_OK : rc;
}

static err_t ec2_remove(cfn_step_t *s, cJSON *res)
{
    const char *id = jx_str(res, "PhysicalResourceId");
    return id ? delete_call(s, "ec2", "TerminateInstances", ec2_one_instance(id), ERR_EC2_NOT_FOUND)
              : ERR_OK;
}

/* Properties EC2 can change on a running instance here: Tags. Anything else replaces it
 * (catalogd has no ModifyInstanceAttribute; CloudFormation would stop and start it). */
static err_t ec2_update(cfn_step_t *s, cJSON *res, const cJSON *old_props, const cJSON *props,
                        bool *replace)
{
    *replace = false;
    for (const cJSON *p = props->child; p && !*replace; p = p->next)
        if (strcmp(p->string, "Tags") &&
            !cJSON_Compare(p, cJSON_GetObjectItemCaseSensitive(old_props, p->string), true))
            *replace = true;
    for (const cJSON *p = old_props ? old_props->child : NULL; p && !*replace; p = p->next)
        if (strcmp(p->string, "Tags") && !cJSON_GetObjectItemCaseSensitive(props, p->string))
            *replace = true;
    if (*replace) return ERR_OK;
    const char *id = jx_str(res, "PhysicalResourceId");
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "Resources"), cJSON_CreateString(id));
    cJSON_AddItemToObject(in, "Tags", ec2_tags(s, res, props));
    cJSON *out = NULL;
    err_t rc = cfn_call(s, "ec2", "CreateTags", in, &out);
    cJSON_Delete(in);
    cJSON_Delete(out);
    /* tags the new template dropped */
    const cJSON *old_tags = cJSON_GetObjectItemCaseSensitive(old_props, "Tags");
    const cJSON *new_tags = cJSON_GetObjectItemCaseSensitive(props, "Tags");
    cJSON *gone = cJSON_CreateArray();
    for (const cJSON *t = old_tags ? old_tags->child : NULL; t; t = t->next) {
        bool kept = false;
        for (const cJSON *n = new_tags ? new_tags->child : NULL; n && !kept; n = n->next)
            kept = !strcmp(jx_str(n, "Key") ? jx_str(n, "Key") : "",
                           jx_str(t, "Key") ? jx_str(t, "Key") : "");
        if (!kept) {
            cJSON *k = cJSON_CreateObject();
            cfn_copy(k, "Key", t, "Key");
            cJSON_AddItemToArray(gone, k);
        }
    }
    if (!rc && cJSON_GetArraySize(gone)) {
        in = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "Resources"), cJSON_CreateString(id));
        cJSON_AddItemToObject(in, "Tags", gone);
        gone = NULL;
        rc = cfn_call(s, "ec2", "DeleteTags", in, &out);
        cJSON_Delete(in);
        cJSON_Delete(out);
    }
    cJSON_Delete(gone);
    return rc;
}

/* ---- AWS::SSM::Document */

static err_t ssm_create(cfn_step_t *s, cJSON *res, const cJSON *props)
{
    cJSON *in = cJSON_CreateObject();
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(props, "Content");
    if (cJSON_IsString(content)) {
        cJSON_AddStringToObject(in, "Content", content->valuestring);
    } else if (content) {
        char *text = cJSON_PrintUnformatted(content);
        cJSON_AddStringToObject(in, "Content", text);
        cJSON_free(text);
    }
    const char *name = jx_str(props, "Name");
    cJSON_AddStringToObject(in, "Name",
                            name ? name
                                 : arena_printf(s->arena, "%s-%s-%s", jx_str(s->stack, "StackName"),
                                                jx_str(res, "LogicalResourceId"),
                                                strrchr(jx_str(s->stack, "StackId"), '/') + 1));
    cfn_copy(in, "DocumentType", props, "DocumentType");
    cfn_copy(in, "DocumentFormat", props, "DocumentFormat");
    cfn_copy(in, "TargetType", props, "TargetType");
    cfn_copy(in, "VersionName", props, "VersionName");
    cfn_copy(in, "Tags", props, "Tags");
    if (!cJSON_GetObjectItemCaseSensitive(in, "DocumentFormat") && !cJSON_IsString(content))
        cJSON_AddStringToObject(in, "DocumentFormat", "JSON");
    cJSON *out = NULL;
    err_t rc = cfn_call(s, "ssm", "CreateDocument", in, &out);
    if (!rc) cfn_set_physical(res, jx_str(in, "Name"));
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

static err_t ssm_check(cfn_step_t *s, cJSON *res, bool deleting, cfn_progress_t *p, char *reason,
                       size_t cap)
{
    *p = CFN_DONE;
    return ERR_OK;
}

static err_t ssm_remove(cfn_step_t *s, cJSON *res)
{
    const char *name = jx_str(res, "PhysicalResourceId");
    if (!name) return ERR_OK;
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "Name", name);
    return delete_call(s, "ssm", "DeleteDocument", in, ERR_SSM_INVALID_DOCUMENT);
}

static err_t replace_always(cfn_step_t *s, cJSON *res, const cJSON *old_props, const cJSON *props,
                            bool *replace)
{
    *replace = true;
    return ERR_OK;
}

/* ---- AWS::CloudFormation::WaitConditionHandle: a URL, nothing behind it to create */

static err_t wch_create(cfn_step_t *s, cJSON *res, const cJSON *props)
{
    cfn_set_physical(res,
                     arena_printf(s->arena,
                                  "https://cloudformation-waitcondition-%s.s3.amazonaws.com/%s/%s",
                                  s->app->cfg.region, jx_str(s->stack, "StackId"),
                                  jx_str(res, "LogicalResourceId")));
    return ERR_OK;
}

static err_t nothing_to_remove(cfn_step_t *s, cJSON *res)
{
    return ERR_OK;
}

static const cfn_type_t cfn_types[] = {
    {"AWS::EC2::Instance", ec2_create, ec2_check, ec2_remove, ec2_update},
    {"AWS::SSM::Document", ssm_create, ssm_check, ssm_remove, replace_always},
    {"AWS::CloudFormation::WaitConditionHandle", wch_create, ssm_check, nothing_to_remove,
     replace_always},
};

const cfn_type_t *cfn_type(const char *name)
{
    for (size_t i = 0; i < sizeof(cfn_types) / sizeof(cfn_types[0]); i++)
        if (!strcmp(cfn_types[i].name, name)) return &cfn_types[i];
    return NULL;
}

const char *cfn_supported_types(void)
{
    return "AWS::EC2::Instance, AWS::SSM::Document, AWS::CloudFormation::WaitConditionHandle";
}
