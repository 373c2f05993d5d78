/* types_ec2.c - AWS::EC2::Instance and the EC2 types around it (EIP, Volume,
 * VolumeAttachment, KeyPair, LaunchTemplate) as rows of the type table (types_int.h).
 * Security groups are in types_sg.c, VPC networking in types_vpc.c. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include "core/enc.h"

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
    cJSON_DeleteItemFromObjectCaseSensitive(res, "_VolumesAttached"); /* a replacement's own */
    cJSON *run = cJSON_Duplicate(in, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(run, "SourceDestCheck"); /* not RunInstances' */
    cJSON_DeleteItemFromObjectCaseSensitive(run, "Volumes");
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
                                            {0}};

/* Attaches (attach) or detaches the Volumes ({Device, VolumeId}) of `list` that `other`
 * does not hold, to or from instance id. */
static err_t instance_volumes(cfn_step_t *s, const char *id, const cJSON *list, const cJSON *other,
                              bool attach)
{
    err_t rc = ERR_OK;
    for (const cJSON *v = list ? list->child : NULL; !rc && v; v = v->next) {
        bool held = false;
        for (const cJSON *o = other ? other->child : NULL; o && !held; o = o->next)
            held = cJSON_Compare(v, o, true);
        if (held) continue;
        cJSON *in = cfn_obj1("InstanceId", id);
        cJSON_AddStringToObject(in, "VolumeId", jx_str(v, "VolumeId") ? jx_str(v, "VolumeId") : "");
        cJSON_AddStringToObject(in, "Device", jx_str(v, "Device") ? jx_str(v, "Device") : "");
        rc = attach ? cfn_call(s, EC2, "AttachVolume", in, NULL)
                    : cfn_call_gone(s, EC2, "DetachVolume", in, "InvalidVolume.NotFound");
        cJSON_Delete(in);
    }
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

/* An update's restart (_Restart, instance_update): once the instance is stopped, the
 * kept attributes are set and it is started; _Restart goes then, and the check goes on as
 * for a create (settled when running). *waiting while it is still stopping. */
static err_t instance_restart(cfn_step_t *s, cJSON *res, const char *id, const char *state,
                              bool *waiting)
{
    cJSON *restart = cJSON_GetObjectItemCaseSensitive(res, "_Restart");
    *waiting = false;
    if (!restart || !state) return ERR_OK;
    if (!strcmp(state, "running") || !strcmp(state, "stopping") || !strcmp(state, "pending")) {
        *waiting = true; /* the stop asked for has not ended yet */
        return ERR_OK;
    }
    if (strcmp(state, "stopped")) return ERR_OK; /* terminated...: the check fails it */
    err_t rc = ERR_OK;
    const cJSON *mods = cJSON_GetObjectItemCaseSensitive(restart, "Modify");
    for (const cJSON *m = mods ? mods->child : NULL; !rc && m; m = m->next)
        rc = instance_modify(s, id, m->string, cJSON_Duplicate(m, 1));
    cJSON *in = one_instance(id);
    if (!rc) rc = cfn_call(s, EC2, "StartInstances", in, NULL);
    cJSON_Delete(in);
    if (!rc) cJSON_DeleteItemFromObjectCaseSensitive(res, "_Restart");
    *waiting = !rc;
    return rc;
}

static err_t instance_check(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, bool deleting,
                            cfn_progress_t *p, char *reason, size_t cap)
{
    cJSON *inst = NULL;
    const char *id = jx_str(res, "PhysicalResourceId");
    err_t rc = id ? instance_describe(s, id, &inst) : ERR_OK;
    if (rc) return rc;
    const char *state = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "State"), "Name");
    const char *why = jx_str(cJSON_GetObjectItemCaseSensitive(inst, "StateReason"), "Message");
    bool restarting = false;
    if (!deleting) rc = instance_restart(s, res, id, state, &restarting);
    if (rc) {
        cJSON_Delete(inst);
        return rc;
    }
    if (restarting) {
        *p = CFN_PENDING;
    } else if (deleting) {
        *p = !inst || (state && !strcmp(state, "terminated")) ? CFN_DONE : CFN_PENDING;
    } else if (state && !strcmp(state, "running")) {
        *p = CFN_DONE;
        /* Volumes attach once the instance runs */
        const cJSON *vols = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(res, "_Props"), "Volumes");
        if (vols && !jx_true(res, "_VolumesAttached")) {
            rc = instance_volumes(s, id, vols, NULL, true);
            if (!rc) jx_set(res, "_VolumesAttached", cJSON_CreateTrue());
        }
        cfn_set_result(res, spec, NULL, inst, NULL); /* the attributes Fn::GetAtt reads */
        cJSON *attrs = cJSON_GetObjectItemCaseSensitive(res, "_Attrs");
        if (!cJSON_GetObjectItemCaseSensitive(attrs, "PublicIp"))
            cJSON_AddStringToObject(attrs, "PublicIp", "");
        const char *subnet = jx_str(inst, "SubnetId");
        if (!cJSON_GetObjectItemCaseSensitive(attrs, "VpcId") && subnet) { /* from its subnet */
            cJSON *in = cJSON_CreateObject(), *out = NULL;
            cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "SubnetIds"),
                                 cJSON_CreateString(subnet));
            rc = cfn_call(s, EC2, "DescribeSubnets", in, &out);
            const char *vpc = jx_str(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Subnets"), 0), "VpcId");
            if (!rc && vpc) cJSON_AddStringToObject(attrs, "VpcId", vpc);
            cJSON_Delete(in);
            cJSON_Delete(out);
        }
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

/* The properties "Some interruptions" changes: the instance is stopped, they are set by
 * ModifyInstanceAttribute, it is started again (instance_restart). */
static bool instance_interrupts(const char *prop)
{
    return !strcmp(prop, "InstanceType") || !strcmp(prop, "UserData") ||
           !strcmp(prop, "EbsOptimized");
}

/* The changed properties, each through ModifyInstanceAttribute; a dropped one goes back to
 * EC2's default. Those that need a stopped instance ("Some interruptions") are kept in
 * _Restart and the instance is stopped: the check then sets them and starts it again, and
 * _Settling tells the stack job to wait for that check. */
static err_t instance_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                             const cJSON *old_props, const cJSON *props)
{
    static const struct {
        const char *prop, *def; /* def: the default when dropped */
        bool boolean;
    } attrs[] = {{"DisableApiTermination", "false", true},
                 {"InstanceInitiatedShutdownBehavior", "stop", false},
                 {"SourceDestCheck", "true", true},
                 {"InstanceType", "m1.small", false},
                 {"UserData", "", false},
                 {"EbsOptimized", "false", true}};
    const char *id = jx_str(res, "PhysicalResourceId");
    cJSON *later = cJSON_CreateObject(); /* member -> value, set while stopped */
    err_t rc = ERR_OK;
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && !rc; i++) {
        if (!cfn_changed(old_props, props, attrs[i].prop)) continue;
        const char *v = cfn_prop_str(s, props, attrs[i].prop);
        if (!v) v = attrs[i].def;
        cJSON *value =
            attrs[i].boolean ? cJSON_CreateBool(!strcmp(v, "true")) : cJSON_CreateString(v);
        if (instance_interrupts(attrs[i].prop))
            cJSON_AddItemToObject(later, attrs[i].prop, value);
        else
            rc = instance_modify(s, id, attrs[i].prop, value);
    }
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_props, "Volumes");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(props, "Volumes");
    if (!rc) rc = instance_volumes(s, id, was, now, false);
    if (!rc) rc = instance_volumes(s, id, now, was, true);
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(props, "SecurityGroupIds");
    if (!rc && groups && cfn_changed(old_props, props, "SecurityGroupIds"))
        rc = instance_modify(s, id, "Groups", cJSON_Duplicate(groups, 1));
    if (!rc && later->child) {
        cJSON *in = one_instance(id);
        rc = cfn_call(s, EC2, "StopInstances", in, NULL);
        cJSON_Delete(in);
        jx_set(res, "_Restart", cJSON_CreateObject());
        jx_set(cJSON_GetObjectItemCaseSensitive(res, "_Restart"), "Modify", later);
        jx_set(res, "_Settling", cJSON_CreateTrue());
        later = NULL;
    }
    cJSON_Delete(later);
    return rc;
}

/* ---- AWS::EC2::EIP: AllocateAddress, associated with InstanceId; Ref is the address */

/* The address's AllocationId and AssociationId (NULL when not associated), from EC2. */
static err_t eip_find(cfn_step_t *s, const char *ip, const char **alloc, const char **assoc)
{
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "PublicIps"), cJSON_CreateString(ip));
    err_t rc = cfn_call(s, EC2, "DescribeAddresses", in, &out);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Addresses"), 0);
    *alloc = jx_str(a, "AllocationId") ? arena_strdup(s->arena, jx_str(a, "AllocationId")) : NULL;
    *assoc = jx_str(a, "AssociationId") ? arena_strdup(s->arena, jx_str(a, "AssociationId")) : NULL;
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

/* Moves the address to props' InstanceId (off any instance when it has none). */
static err_t eip_associate(cfn_step_t *s, const char *ip, const cJSON *props)
{
    const char *alloc = NULL, *assoc = NULL, *instance = cfn_prop_str(s, props, "InstanceId");
    err_t rc = eip_find(s, ip, &alloc, &assoc);
    if (!rc && assoc) {
        cJSON *in = cfn_obj1("AssociationId", assoc);
        rc = cfn_call(s, EC2, "DisassociateAddress", in, NULL);
        cJSON_Delete(in);
    }
    if (!rc && instance) {
        cJSON *in = cfn_obj1("AllocationId", alloc);
        cJSON_AddStringToObject(in, "InstanceId", instance);
        rc = cfn_call(s, EC2, "AssociateAddress", in, NULL);
        cJSON_Delete(in);
    }
    return rc;
}

static err_t eip_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                              const cJSON *out)
{
    return cfn_prop_str(s, props, "InstanceId")
               ? eip_associate(s, jx_str(res, "PhysicalResourceId"), props)
               : ERR_OK;
}

static err_t eip_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    const char *ip = jx_str(res, "PhysicalResourceId");
    err_t rc = eip_associate(s, ip, NULL);
    const char *alloc = NULL, *assoc = NULL;
    if (!rc) rc = eip_find(s, ip, &alloc, &assoc);
    cJSON *in = cfn_obj1("AllocationId", alloc);
    if (!rc) rc = cfn_call(s, EC2, "ReleaseAddress", in, NULL);
    cJSON_Delete(in);
    return rc;
}

static err_t eip_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                        const cJSON *props)
{
    return cfn_changed(old_props, props, "InstanceId")
               ? eip_associate(s, jx_str(res, "PhysicalResourceId"), props)
               : ERR_OK;
}

/* ---- AWS::EC2::Volume: Size, VolumeType, Iops, Throughput by one ModifyVolume */

static err_t volume_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                           const cJSON *old_props, const cJSON *props)
{
    static const char *const members[] = {"Size", "VolumeType", "Iops", "Throughput"};
    cJSON *in = cfn_obj1("VolumeId", jx_str(res, "PhysicalResourceId"));
    bool any = false;
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        cJSON *v = cfn_changed(old_props, props, members[i])
                       ? cfn_prop_value(spec, props, members[i])
                       : NULL;
        if (v) cJSON_AddItemToObject(in, members[i], v);
        any = any || v;
    }
    err_t rc = any ? cfn_call(s, EC2, "ModifyVolume", in, NULL) : ERR_OK;
    cJSON_Delete(in);
    return rc;
}

/* ---- AWS::EC2::KeyPair: CreateKeyPair, or ImportKeyPair with PublicKeyMaterial (the
 * template's OpenSSH text, which the API takes as a blob). A created pair's private key goes
 * to Parameter Store as the SecureString /ec2/keypair/<KeyPairId>, as AWS's resource page
 * says, and goes with the pair. */

#define KEY_PARAM_PREFIX "/ec2/keypair/"

/* Saves a new pair's private key (out: CreateKeyPair's output) as its SecureString; when it
 * cannot, deletes the pair again so that nothing is left behind. */
static err_t key_save_private(cfn_step_t *s, const cJSON *out)
{
    const char *id = jx_str(out, "KeyPairId"), *material = jx_str(out, "KeyMaterial");
    cJSON *in = cfn_obj1("Name", arena_printf(s->arena, KEY_PARAM_PREFIX "%s", id ? id : ""));
    cJSON_AddStringToObject(in, "Value", material ? material : "");
    cJSON_AddStringToObject(in, "Type", "SecureString");
    err_t rc = cfn_call(s, "ssm", "PutParameter", in, NULL);
    cJSON_Delete(in);
    if (rc) {
        cJSON *del = cfn_obj1("KeyPairId", id);
        errbuf_t keep = *s->eb; /* the PutParameter refusal is the one reported */
        (void)cfn_call_gone(s, EC2, "DeleteKeyPair", del, "InvalidKeyPair.NotFound");
        *s->eb = keep;
        cJSON_Delete(del);
    }
    return rc;
}

static err_t key_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                              const cJSON *in)
{
    const char *material = cfn_prop_str(s, props, "PublicKeyMaterial");
    cJSON *call = cJSON_Duplicate(in, 1), *out = NULL;
    if (material) {
        buf_t b;
        buf_init(&b, 65536);
        enc_base64(&b, material, strlen(material));
        jx_set_str(call, "PublicKeyMaterial", b.p ? b.p : "");
        buf_free(&b);
    }
    err_t rc = cfn_call(s, EC2, material ? "ImportKeyPair" : "CreateKeyPair", call, &out);
    if (!rc && !material) rc = key_save_private(s, out);
    if (!rc) cfn_set_result(res, spec, jx_str(out, "KeyName"), out, in);
    cJSON_Delete(call);
    cJSON_Delete(out);
    return rc;
}

/* Deletes the pair's private key parameter (none for an imported pair: already gone). */
static err_t key_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    const char *id = jx_str(cJSON_GetObjectItemCaseSensitive(res, "_Attrs"), "KeyPairId");
    if (!id) return ERR_OK;
    cJSON *in = cfn_obj1("Name", arena_printf(s->arena, KEY_PARAM_PREFIX "%s", id));
    err_t rc = cfn_call_gone(s, "ssm", "DeleteParameter", in, "ParameterNotFound");
    cJSON_Delete(in);
    return rc;
}

/* ---- AWS::EC2::LaunchTemplate: new LaunchTemplateData is a new version, made default */

static err_t lt_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                       const cJSON *props)
{
    const char *id = jx_str(res, "PhysicalResourceId");
    cJSON *in = cfn_obj1("LaunchTemplateId", id), *out = NULL;
    cJSON_AddItemToObject(
        in, "LaunchTemplateData",
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(props, "LaunchTemplateData"), 1));
    const char *desc = cfn_prop_str(s, props, "VersionDescription");
    if (desc) cJSON_AddStringToObject(in, "VersionDescription", desc);
    err_t rc = cfn_call(s, EC2, "CreateLaunchTemplateVersion", in, &out);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(out, "LaunchTemplateVersion");
    double n = jx_int(v, "VersionNumber", 1);
    cJSON_Delete(in);
    cJSON_Delete(out);
    in = cfn_obj1("LaunchTemplateId", id);
    cJSON_AddStringToObject(in, "DefaultVersion", arena_printf(s->arena, "%.0f", n));
    out = NULL;
    if (!rc) rc = cfn_call(s, EC2, "ModifyLaunchTemplate", in, &out);
    if (!rc) cfn_set_result(res, spec, NULL, out, NULL);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

#define M CFN_P_MUTABLE
#define H CFN_P_HOOK

/* M: "No interruption" or "Some interruptions" (InstanceType, UserData, EbsOptimized: the
 * update stops the instance, sets them, starts it); Tenancy, Affinity, HostId... (whose
 * ModifyInstancePlacement EC2 here lacks) replace it. */
static const cfn_prop_t instance_props[] = {{"AdditionalInfo", NULL, 0},
                                            {"Affinity", NULL, 0},
                                            {"AvailabilityZone", NULL, 0},
                                            {"BlockDeviceMappings", NULL, 0},
                                            {"CpuOptions", NULL, 0},
                                            {"CreditSpecification", NULL, 0},
                                            {"DisableApiTermination", NULL, CFN_P_BOOL | M},
                                            {"EbsOptimized", NULL, CFN_P_BOOL | M},
                                            {"EnclaveOptions", NULL, 0},
                                            {"HibernationOptions", NULL, 0},
                                            {"HostId", NULL, 0},
                                            {"IamInstanceProfile", NULL, 0},
                                            {"ImageId", NULL, 0},
                                            {"InstanceInitiatedShutdownBehavior", NULL, M},
                                            {"InstanceType", NULL, M},
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
                                            {"UserData", NULL, M},
                                            {"Volumes", NULL, CFN_P_HOOK | M},
                                            {0}};

static const cfn_prop_t eip_props[] = {{"Domain", NULL, 0},
                                       {"InstanceId", NULL, CFN_P_HOOK | M},
                                       {"PublicIpv4Pool", NULL, 0},
                                       {"NetworkBorderGroup", NULL, 0},
                                       {"Tags", NULL, CFN_P_TAGS | M},
                                       {0}};
static const cfn_attr_t eip_attrs[] = {
    {"AllocationId", "AllocationId"}, {"PublicIp", "PublicIp"}, {0}};

/* Size, VolumeType, Iops, Throughput: "No interruption" (ModifyVolume, volume_update). */
static const cfn_prop_t volume_props[] = {{"AvailabilityZone", NULL, CFN_P_REQ},
                                          {"Size", NULL, CFN_P_INT | M},
                                          {"VolumeType", NULL, M},
                                          {"Iops", NULL, CFN_P_INT | M},
                                          {"Throughput", NULL, CFN_P_INT | M},
                                          {"SnapshotId", NULL, 0},
                                          {"Encrypted", NULL, CFN_P_BOOL},
                                          {"KmsKeyId", NULL, 0},
                                          {"MultiAttachEnabled", NULL, CFN_P_BOOL},
                                          {"OutpostArn", NULL, 0},
                                          {"AutoEnableIO", NULL, CFN_P_HOOK},
                                          {"Tags", NULL, CFN_P_TAGS | M},
                                          {0}};
static const cfn_attr_t volume_attrs[] = {{"VolumeId", "VolumeId"}, {0}};

static const cfn_prop_t attach_props[] = {{"Device", NULL, CFN_P_REQ},
                                          {"InstanceId", NULL, CFN_P_REQ},
                                          {"VolumeId", NULL, CFN_P_REQ},
                                          {0}};

static const cfn_prop_t key_props[] = {{"KeyName", NULL, CFN_P_REQ | CFN_P_NAME},
                                       {"KeyType", NULL, 0},
                                       {"KeyFormat", NULL, 0},
                                       {"PublicKeyMaterial", NULL, 0},
                                       {"Tags", NULL, CFN_P_TAGS},
                                       {0}};
static const cfn_attr_t key_attrs[] = {
    {"KeyFingerprint", "KeyFingerprint"}, {"KeyPairId", "KeyPairId"}, {0}};

static const cfn_prop_t lt_props[] = {{"LaunchTemplateName", NULL, CFN_P_NAME},
                                      {"LaunchTemplateData", NULL, CFN_P_REQ | M},
                                      {"VersionDescription", NULL, M},
                                      {"TagSpecifications", NULL, 0},
                                      {0}};
static const cfn_attr_t lt_attrs[] = {
    {"LaunchTemplateId", "LaunchTemplate.LaunchTemplateId"},
    {"DefaultVersionNumber", "LaunchTemplate.DefaultVersionNumber"},
    {"LatestVersionNumber", "LaunchTemplate.LatestVersionNumber"},
    {0}};

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
                                    {.type = "AWS::EC2::EIP",
                                     .service = EC2,
                                     .create_op = "AllocateAddress",
                                     .props = eip_props,
                                     .id_path = "PublicIp",
                                     .gone = "InvalidAddress.NotFound",
                                     .attrs = eip_attrs,
                                     .tag_type = "elastic-ip",
                                     .after_create = eip_after_create,
                                     .before_delete = eip_before_delete,
                                     .update = eip_update},
                                    {.type = "AWS::EC2::Volume",
                                     .service = EC2,
                                     .create_op = "CreateVolume",
                                     .props = volume_props,
                                     .id_path = "VolumeId",
                                     .delete_op = "DeleteVolume",
                                     .delete_member = "VolumeId",
                                     .gone = "InvalidVolume.NotFound",
                                     .attrs = volume_attrs,
                                     .tag_type = "volume",
                                     .update = volume_update},
                                    {.type = "AWS::EC2::VolumeAttachment",
                                     .service = EC2,
                                     .create_op = "AttachVolume",
                                     .props = attach_props,
                                     .id_path = "VolumeId|InstanceId|Device",
                                     .delete_op = "DetachVolume",
                                     .delete_member = "VolumeId|InstanceId|Device",
                                     .gone = "InvalidVolume.NotFound"},
                                    {.type = "AWS::EC2::KeyPair",
                                     .service = EC2,
                                     .props = key_props,
                                     .delete_op = "DeleteKeyPair",
                                     .delete_member = "KeyName",
                                     .gone = "InvalidKeyPair.NotFound",
                                     .attrs = key_attrs,
                                     .tag_type = "key-pair",
                                     .after_create = key_after_create,
                                     .before_delete = key_before_delete},
                                    {.type = "AWS::EC2::LaunchTemplate",
                                     .service = EC2,
                                     .create_op = "CreateLaunchTemplate",
                                     .props = lt_props,
                                     .id_path = "LaunchTemplate.LaunchTemplateId",
                                     .delete_op = "DeleteLaunchTemplate",
                                     .delete_member = "LaunchTemplateId",
                                     .gone = "InvalidLaunchTemplateId.NotFound",
                                     .attrs = lt_attrs,
                                     .update = lt_update},
                                    {0}};
