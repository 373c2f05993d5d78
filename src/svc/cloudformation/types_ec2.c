/* types_ec2.c - AWS::EC2::Instance and the EC2 types around it (SecurityGroup and its
 * Ingress/Egress rules, EIP, Volume, VolumeAttachment, KeyPair, LaunchTemplate) as rows
 * of the type table (types_int.h). VPC networking is in types_vpc.c. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

#define EC2 "ec2"

/* ---- AWS::EC2::Instance: RunInstances, settled when running */

/* Moves member `from` of o (when present) into dst as `to`. */
static void move_member(cJSON *o, const char *from, cJSON *dst, const char *to)
{
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(o, from);
    if (v) cJSON_AddItemToObject(dst, to, v);
}

/* The RunInstances input: the mapped properties (in, owned here) plus what the template
 * says differently from EC2's shapes. */
static err_t instance_run(cfn_step_t *s, cJSON *res, const cJSON *props, cJSON *in)
{
    cJSON *pl = cJSON_CreateObject();
    move_member(in, "AvailabilityZone", pl, "AvailabilityZone");
    move_member(in, "Tenancy", pl, "Tenancy");
    move_member(in, "PlacementGroupName", pl, "GroupName");
    move_member(in, "HostId", pl, "HostId");
    move_member(in, "Affinity", pl, "Affinity");
    if (pl->child)
        cJSON_AddItemToObject(in, "Placement", pl);
    else
        cJSON_Delete(pl);
    const char *profile = cfn_prop_str(s, props, "IamInstanceProfile");
    cJSON_DeleteItemFromObjectCaseSensitive(in, "IamInstanceProfile");
    if (profile)
        cJSON_AddItemToObject(in, "IamInstanceProfile",
                              cfn_obj1(strncmp(profile, "arn:", 4) ? "Name" : "Arn", profile));
    cJSON *mon = cJSON_DetachItemFromObjectCaseSensitive(in, "Monitoring");
    if (mon) {
        cJSON *m = cJSON_AddObjectToObject(in, "Monitoring");
        cJSON_AddBoolToObject(m, "Enabled", cJSON_IsTrue(mon));
        cJSON_Delete(mon);
    }
    cJSON *credit = cJSON_GetObjectItemCaseSensitive(in, "CreditSpecification");
    if (credit) move_member(credit, "CPUCredits", credit, "CpuCredits");
    cJSON *nics = cJSON_GetObjectItemCaseSensitive(in, "NetworkInterfaces");
    for (cJSON *n = nics ? nics->child : NULL; n; n = n->next)
        move_member(n, "GroupSet", n, "Groups");
    cJSON *bdms = cJSON_GetObjectItemCaseSensitive(in, "BlockDeviceMappings");
    for (cJSON *b = bdms ? bdms->child : NULL; b; b = b->next)
        if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "NoDevice"))) /* {} in templates */
            jx_set_str(b, "NoDevice", "");
    cJSON_AddNumberToObject(in, "MinCount", 1);
    cJSON_AddNumberToObject(in, "MaxCount", 1);
    cJSON *out = NULL;
    err_t rc = cfn_call(s, EC2, "RunInstances", in, &out);
    if (!rc)
        jx_set_str(res, "PhysicalResourceId",
                   jx_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Instances"), 0),
                          "InstanceId"));
    cJSON_Delete(out);
    return rc;
}

static err_t instance_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                   const cJSON *props, const cJSON *in)
{
    cJSON *run = cJSON_Duplicate(in, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(run, "SourceDestCheck"); /* not RunInstances' */
    err_t rc = instance_run(s, res, props, run);
    cJSON_Delete(run);
    return rc;
}

/* The input naming one instance: {"InstanceIds": [id]}, new. */
static cJSON *one_instance(const char *id)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "InstanceIds"), cJSON_CreateString(id));
    return in;
}

/* Describes the instance (NULL when EC2 no longer knows it). */
static err_t instance_describe(cfn_step_t *s, const char *id, cJSON **inst)
{
    cJSON *in = one_instance(id), *out = NULL;
    err_t rc = cfn_call(s, EC2, "DescribeInstances", in, &out);
    cJSON_Delete(in);
    *inst = NULL;
    if (rc == ERR_EC2_NOT_FOUND) return ERR_OK;
    if (!rc) *inst = cfn_path(out, "Reservations[0].Instances[0]");
    cJSON_Delete(out);
    return rc;
}

static const cfn_attr_t instance_attrs[] = {{"InstanceId", "InstanceId"},
                                            {"AvailabilityZone", "Placement.AvailabilityZone"},
                                            {"PrivateDnsName", "PrivateDnsName"},
                                            {"PrivateIp", "PrivateIpAddress"},
                                            {"PublicDnsName", "PublicDnsName"},
                                            {"PublicIp", "PublicIpAddress"},
                                            {"VpcId", "VpcId"},
                                            {NULL}};

static err_t instance_check(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, bool deleting,
                            cfn_progress_t *p, char *reason, size_t cap)
{
    cJSON *inst = NULL;
    const char *id = jx_str(res, "PhysicalResourceId");
    err_t rc = id ? instance_describe(s, id, &inst) : ERR_OK;
    if (rc) return rc;
    const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "State"), "Name");
    const char *why = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "StateReason"), "Message");
    if (deleting) {
        *p = !inst || (state && !strcmp(state, "terminated")) ? CFN_DONE : CFN_PENDING;
    } else if (state && !strcmp(state, "running")) {
        *p = CFN_DONE;
        cfn_set_result(res, spec, NULL, inst, NULL); /* the attributes Fn::GetAtt reads */
        cJSON *attrs = cJSON_GetObjectItemCaseSensitive(res, "_Attrs");
        if (!cJSON_GetObjectItemCaseSensitive(attrs, "PublicIp"))
            cJSON_AddStringToObject(attrs, "PublicIp", "");
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

static err_t instance_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    cJSON *in = one_instance(jx_str(res, "PhysicalResourceId"));
    err_t rc = cfn_call_gone(s, EC2, "TerminateInstances", in, spec->gone);
    cJSON_Delete(in);
    return rc;
}

/* One ModifyInstanceAttribute call: member {"Value": v} (Groups: the list itself). */
static err_t instance_modify(cfn_step_t *s, const char *id, const char *member, cJSON *value)
{
    cJSON *in = cfn_obj1("InstanceId", id);
    if (!strcmp(member, "Groups")) {
        cJSON_AddItemToObject(in, member, value);
    } else {
        cJSON *v = cJSON_AddObjectToObject(in, member);
        cJSON_AddItemToObject(v, "Value", value);
    }
    err_t rc = cfn_call(s, EC2, "ModifyInstanceAttribute", in, NULL);
    cJSON_Delete(in);
    return rc;
}

/* The properties that change on a running instance ("No interruption"), each through
 * ModifyInstanceAttribute; a dropped one goes back to EC2's default. */
static err_t instance_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                             const cJSON *old_props, const cJSON *props)
{
    static const struct {
        const char *prop, *def; /* def: the default when dropped ("" for a boolean false) */
        bool boolean;
    } attrs[] = {{"DisableApiTermination", "false", true},
                 {"InstanceInitiatedShutdownBehavior", "stop", false},
                 {"SourceDestCheck", "true", true}};
    const char *id = jx_str(res, "PhysicalResourceId");
    err_t rc = ERR_OK;
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && !rc; i++) {
        if (!cfn_changed(old_props, props, attrs[i].prop)) continue;
        const char *v = cfn_prop_str(s, props, attrs[i].prop);
        if (!v) v = attrs[i].def;
        rc = instance_modify(s, id, attrs[i].prop,
                             attrs[i].boolean ? cJSON_CreateBool(!strcmp(v, "true"))
                                              : cJSON_CreateString(v));
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(props, "SecurityGroupIds");
    if (!rc && groups && cfn_changed(old_props, props, "SecurityGroupIds"))
        rc = instance_modify(s, id, "Groups", cJSON_Duplicate(groups, 1));
    return rc;
}

#define M CFN_P_MUTABLE
#define H CFN_P_HOOK

/* "Some interruptions" (InstanceType, UserData, EbsOptimized, Tenancy...) would stop and
 * start the instance: catalogd replaces it instead. */
static const cfn_prop_t instance_props[] = {{"AdditionalInfo", NULL, 0},
                                            {"Affinity", NULL, 0},
                                            {"AvailabilityZone", NULL, 0},
                                            {"BlockDeviceMappings", NULL, 0},
                                            {"CpuOptions", NULL, 0},
                                            {"CreditSpecification", NULL, 0},
                                            {"DisableApiTermination", NULL, CFN_P_BOOL | M},
                                            {"EbsOptimized", NULL, CFN_P_BOOL},
                                            {"EnclaveOptions", NULL, 0},
                                            {"HibernationOptions", NULL, 0},
                                            {"HostId", NULL, 0},
                                            {"IamInstanceProfile", NULL, 0},
                                            {"ImageId", NULL, 0},
                                            {"InstanceInitiatedShutdownBehavior", NULL, M},
                                            {"InstanceType", NULL, 0},
                                            {"Ipv6AddressCount", NULL, CFN_P_INT},
                                            {"Ipv6Addresses", NULL, 0},
                                            {"KernelId", NULL, 0},
                                            {"KeyName", NULL, 0},
                                            {"LaunchTemplate", NULL, 0},
                                            {"LicenseSpecifications", NULL, 0},
                                            {"MetadataOptions", NULL, 0},
                                            {"Monitoring", NULL, CFN_P_BOOL},
                                            {"NetworkInterfaces", NULL, 0},
                                            {"PlacementGroupName", NULL, 0},
                                            {"PrivateIpAddress", NULL, 0},
                                            {"PropagateTagsToVolumeOnCreation", NULL, H},
                                            {"RamdiskId", NULL, 0},
                                            {"SecurityGroupIds", NULL, M},
                                            {"SecurityGroups", NULL, 0},
                                            {"SourceDestCheck", NULL, CFN_P_BOOL | M},
                                            {"SubnetId", NULL, 0},
                                            {"Tags", NULL, CFN_P_TAGS | M},
                                            {"Tenancy", NULL, 0},
                                            {"UserData", NULL, 0},
                                            {NULL}};

const cfn_spec_t cfn_ec2_specs[] = {{.type = "AWS::EC2::Instance",
                                     .service = EC2,
                                     .props = instance_props,
                                     .gone = "InvalidInstanceID.NotFound",
                                     .attrs = instance_attrs,
                                     .tag_type = "instance",
                                     .after_create = instance_after_create,
                                     .before_delete = instance_before_delete,
                                     .update = instance_update,
                                     .check = instance_check},
                                    {NULL}};
