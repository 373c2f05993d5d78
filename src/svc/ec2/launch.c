/* launch.c - what RunInstances resolves before it launches: the launch template's data
 * (LaunchTemplate), the subnet, VPC and zone, the security groups, the key pair, the IAM
 * instance profile (and iam:PassRole on its role), the user data and the block device
 * mappings; then what each instance takes of them, and its volumes. */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "api/api.h"
#include "auth/principal.h"
#include "core/enc.h"
#include "core/ids.h"
#include "proto/model.h"

#include <stdio.h>
#include <string.h>

/* The request members a launch template's data may stand in for (the request wins). */
static const char *const ln_members[] = {"ImageId",
                                         "InstanceType",
                                         "KeyName",
                                         "SecurityGroupIds",
                                         "SecurityGroups",
                                         "UserData",
                                         "IamInstanceProfile",
                                         "BlockDeviceMappings",
                                         "Placement",
                                         "DisableApiTermination",
                                         "DisableApiStop",
                                         "InstanceInitiatedShutdownBehavior",
                                         "Monitoring",
                                         "EbsOptimized",
                                         "KernelId",
                                         "RamdiskId",
                                         "MetadataOptions",
                                         NULL};

err_t ec2_launch_begin(api_ctx_t *c, ec2_launch_t *l)
{
    memset(l, 0, sizeof(*l));
    l->given = c->in;
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(c->in, "LaunchTemplate");
    if (!spec) return ERR_OK;
    cJSON *data = NULL;
    err_t rc = ec2_lt_data_for_launch(c, spec, &data, l->lt_id, &l->lt_version);
    if (rc) return rc;
    cJSON *in = jx_own(c->arena, cJSON_Duplicate(c->in, 1));
    for (const char *const *m = ln_members; *m; m++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, *m);
        if (v && !cJSON_GetObjectItemCaseSensitive(in, *m))
            cJSON_AddItemToObject(in, *m, cJSON_Duplicate(v, 1));
    }
    /* the first network interface names the subnet and groups */
    const cJSON *ni =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(data, "NetworkInterfaces"), 0);
    if (jx_str(ni, "SubnetId") && !cJSON_GetObjectItemCaseSensitive(in, "SubnetId"))
        cJSON_AddStringToObject(in, "SubnetId", jx_str(ni, "SubnetId"));
    const cJSON *ni_groups = cJSON_GetObjectItemCaseSensitive(ni, "Groups");
    if (ni_groups && !cJSON_GetObjectItemCaseSensitive(in, "SecurityGroupIds"))
        cJSON_AddItemToObject(in, "SecurityGroupIds", cJSON_Duplicate(ni_groups, 1));
    /* tag specifications: the template's, then the request's */
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(data, "TagSpecifications");
    if (ts) {
        cJSON *all = cJSON_Duplicate(ts, 1);
        const cJSON *mine = cJSON_GetObjectItemCaseSensitive(in, "TagSpecifications");
        for (const cJSON *s = mine ? mine->child : NULL; s; s = s->next)
            cJSON_AddItemToArray(all, cJSON_Duplicate(s, 1));
        jx_set(in, "TagSpecifications", all);
    }
    cJSON_Delete(data);
    c->in = in;
    return ERR_OK;
}

void ec2_launch_end(api_ctx_t *c, ec2_launch_t *l)
{
    c->in = l->given;
    cJSON_Delete(l->groups);
    cJSON_Delete(l->volumes);
    cJSON_Delete(l->profile);
    l->groups = l->volumes = l->profile = NULL;
}

/* The subnet (SubnetId, or the default VPC's in the zone Placement names), its VPC and zone. */
static err_t ln_subnet(api_ctx_t *c, ec2_launch_t *l)
{
    const char *want = api_in_str(c, "SubnetId");
    const char *az =
        jx_str(cJSON_GetObjectItemCaseSensitive(c->in, "Placement"), "AvailabilityZone");
    cJSON *subnet = NULL;
    err_t rc = want ? ec2_subnet_get(c, want, &subnet) : ec2_default_subnet(c, az, &subnet);
    if (!rc && !subnet && az)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "Invalid availability zone: [%s]", az);
    if (!rc && !subnet)
        return err_fail(c->eb, ERR_EC2_NO_DEFAULT_VPC,
                        "No default VPC for this user. GroupName is only supported for "
                        "EC2-Classic and default VPC.");
    if (rc) return rc;
    const char *zone = jx_str(subnet, "AvailabilityZone");
    if (az && strcmp(az, zone))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter availabilityZone is invalid. Subnet '%s' is in "
                        "the availability zone %s",
                        az, jx_str(subnet, "SubnetId"), zone);
    l->subnet = jx_str(subnet, "SubnetId");
    l->vpc = jx_str(subnet, "VpcId");
    l->zone = zone;
    l->cidr = jx_str(subnet, "CidrBlock");
    /* a public address as the subnet says, unless the request's first interface says */
    const cJSON *nic =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c->in, "NetworkInterfaces"), 0);
    const cJSON *assoc = cJSON_GetObjectItemCaseSensitive(nic, "AssociatePublicIpAddress");
    l->public_ip = assoc ? cJSON_IsTrue(assoc) : jx_true(subnet, "MapPublicIpOnLaunch");
    cJSON *def = NULL;
    rc = ec2_default_vpc(c, &def);
    l->default_vpc = !rc && def && !strcmp(jx_str(def, "VpcId"), l->vpc);
    return rc;
}

/* The groups: SecurityGroupIds (in the instance's VPC), SecurityGroups (names, default VPC
 * only), else the VPC's default group. */
static err_t ln_groups(api_ctx_t *c, ec2_launch_t *l)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "SecurityGroupIds");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "SecurityGroups");
    l->groups = cJSON_CreateArray();
    err_t rc = ERR_OK;
    if (cJSON_GetArraySize(names) && !l->default_vpc)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "The parameter groupName cannot be used with the parameter subnet");
    for (int pass = 0; pass < 3 && !rc; pass++) {
        const cJSON *list = pass == 0 ? ids : pass == 1 ? names : NULL;
        if (pass == 2 && cJSON_GetArraySize(l->groups)) break;
        cJSON *one = pass == 2 ? cJSON_CreateArray() : NULL;
        if (one) cJSON_AddItemToArray(one, cJSON_CreateString("default"));
        for (const cJSON *g = (one ? one : list) ? (one ? one : list)->child : NULL; !rc && g;
             g = g->next) {
            cJSON *sg = NULL;
            rc = pass == 0 ? ec2_sg_get(c, g->valuestring, &sg)
                           : ec2_sg_named(c, l->vpc, g->valuestring, &sg);
            if (!rc && strcmp(jx_str(sg, "VpcId"), l->vpc))
                rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER_X,
                              "Security group %s and subnet %s belong to different networks.",
                              jx_str(sg, "GroupId"), l->subnet);
            if (!rc) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "GroupName", jx_str(sg, "GroupName"));
                cJSON_AddStringToObject(e, "GroupId", jx_str(sg, "GroupId"));
                cJSON_AddItemToArray(l->groups, e);
            }
            cJSON_Delete(sg);
        }
        cJSON_Delete(one);
    }
    return rc;
}

/* The instance profile (by Arn or Name; must exist when IAM has instance profiles) and
 * iam:PassRole on each of its roles for ec2.amazonaws.com. */
static err_t ln_profile(api_ctx_t *c, ec2_launch_t *l)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "IamInstanceProfile");
    const char *arn = jx_str(want, "Arn"), *name = jx_str(want, "Name");
    if (!arn && !name) return ERR_OK;
    const char *by = name ? name : strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn;
    l->profile = cJSON_CreateObject();
    const model_service_t *iam = model_service("iam");
    if (!iam || !api_op_find(iam, span_of("GetInstanceProfile"))) {
        /* IAM without instance profiles: the profile is taken as named */
        cJSON_AddStringToObject(
            l->profile, "Arn",
            arn ? arn
                : arena_printf(c->arena, "arn:aws:iam::%s:instance-profile/%s", c->account, name));
        return ERR_OK;
    }
    auth_principal_t svc;
    auth_service_principal(&svc, "ec2.amazonaws.com", c->account, c->region);
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "InstanceProfileName", by);
    errbuf_t eb;
    err_t rc = api_client_call(c, &svc, "iam", "GetInstanceProfile", in, &out, &eb);
    cJSON_Delete(in);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(out, "InstanceProfile");
    if (rc == ERR_IAM_NO_SUCH_ENTITY || (!rc && arn && strcmp(arn, jx_str(p, "Arn"))))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Value (%s) for parameter iamInstanceProfile.%s is invalid. Invalid IAM "
                      "Instance Profile %s",
                      name ? name : arn, name ? "name" : "arn", name ? "name" : "ARN");
    else if (rc)
        rc = err_fail(c->eb, rc, "%s", eb.msg);
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(p, "Roles");
    for (const cJSON *r = roles ? roles->child : NULL; !rc && r; r = r->next)
        rc = api_check_pass_role(c, jx_str(r, "Arn"), "ec2.amazonaws.com");
    if (!rc) {
        cJSON_AddStringToObject(l->profile, "Arn", jx_str(p, "Arn"));
        cJSON_AddStringToObject(l->profile, "Id", jx_str(p, "InstanceProfileId"));
    }
    cJSON_Delete(out);
    return rc;
}

/* UserData: base64 of at most 16 KiB. */
static err_t ln_user_data(api_ctx_t *c)
{
    const char *ud = api_in_str(c, "UserData");
    if (!ud) return ERR_OK;
    buf_t raw;
    buf_init(&raw, 1 << 20);
    bool ok = enc_base64_decode(&raw, span_of(ud));
    size_t n = raw.len;
    buf_free(&raw);
    if (!ok)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "Invalid BASE64 encoding of user data.");
    if (n > 16384)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "User data is limited to 16384 bytes");
    return ERR_OK;
}

/* The volume a block device mapping's Ebs asks for, in the launch's zone (EC2's defaults:
 * gp2, 8 GiB). */
static ec2_volume_spec_t ln_volume_spec(const ec2_launch_t *l, const cJSON *ebs)
{
    const char *type = jx_str(ebs, "VolumeType");
    return (ec2_volume_spec_t){l->zone,
                               type ? type : "gp2",
                               jx_int(ebs, "VolumeSize", 8),
                               jx_int(ebs, "Iops", 0),
                               jx_int(ebs, "Throughput", 0),
                               jx_true(ebs, "Encrypted"),
                               jx_str(ebs, "KmsKeyId")};
}

/* The volumes to create: one per Ebs mapping, and the root device's (8 GiB gp2, deleted on
 * termination) unless a mapping names it or suppresses it. */
static err_t ln_volumes(api_ctx_t *c, ec2_launch_t *l, const char *root_device)
{
    const cJSON *bdm = cJSON_GetObjectItemCaseSensitive(c->in, "BlockDeviceMappings");
    l->volumes = cJSON_CreateArray();
    bool root_named = false;
    for (const cJSON *m = bdm ? bdm->child : NULL; m; m = m->next) {
        const char *dev = jx_str(m, "DeviceName");
        if (!dev)
            return err_fail(c->eb, ERR_MISSING_PARAMETER,
                            "The request must contain the parameter BlockDeviceMapping.DeviceName");
        root_named = root_named || !strcmp(dev, root_device);
        const cJSON *ebs = cJSON_GetObjectItemCaseSensitive(m, "Ebs");
        if (!ebs || jx_str(m, "NoDevice") || jx_str(m, "VirtualName")) continue;
        if (jx_str(ebs, "SnapshotId"))
            return err_fail(c->eb, ERR_EC2_SNAPSHOT_NOT_FOUND, "The snapshot '%s' does not exist.",
                            jx_str(ebs, "SnapshotId"));
        ec2_volume_spec_t s = ln_volume_spec(l, ebs);
        err_t rc = ec2_volume_check(c, &s);
        if (rc) return rc;
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "DeviceName", dev);
        cJSON_AddItemToObject(v, "Ebs", cJSON_Duplicate(ebs, 1));
        cJSON_AddItemToArray(l->volumes, v);
    }
    if (!root_named) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "DeviceName", root_device);
        cJSON_AddObjectToObject(v, "Ebs");
        cJSON_AddItemToArray(l->volumes, v);
    }
    return ERR_OK;
}

err_t ec2_launch_resolve(api_ctx_t *c, ec2_launch_t *l, const char *root_device)
{
    err_t rc = ln_subnet(c, l);
    if (!rc) rc = ln_groups(c, l);
    const char *key = api_in_str(c, "KeyName");
    cJSON *kp = NULL;
    if (!rc && key) rc = ec2_keypair_named(c, key, &kp);
    if (!rc && key && !kp)
        rc = err_fail(c->eb, ERR_EC2_KEY_NOT_FOUND, "The key pair '%s' does not exist", key);
    cJSON_Delete(kp);
    if (!rc) rc = ln_user_data(c);
    if (!rc) rc = ln_volumes(c, l, root_device);
    if (!rc) rc = ln_profile(c, l);
    return rc;
}

/* The instance's primary network interface, as DescribeInstances shows it (new array). */
static cJSON *ln_interface(api_ctx_t *c, const ec2_launch_t *l, const cJSON *inst)
{
    char eni[32], att[48], mac[20];
    ids_chars(&c->app->ids, "eni-", IDS_HEX, 17, eni);
    ids_chars(&c->app->ids, "eni-attach-", IDS_HEX, 17, att);
    uint32_t h = span_fnv1a(SPAN_FNV_BASIS, span_of(eni));
    snprintf(mac, sizeof(mac), "0e:%02x:%02x:%02x:%02x:%02x", h >> 24, (h >> 16) & 255,
             (h >> 8) & 255, h & 255, (h >> 4) & 255);
    const char *ip = jx_str(inst, "PrivateIpAddress"), *dns = jx_str(inst, "PrivateDnsName");
    cJSON *list = cJSON_CreateArray(), *n = cJSON_CreateObject();
    cJSON *a = cJSON_AddObjectToObject(n, "Attachment");
    cJSON_AddNumberToObject(a, "AttachTime", jx_int(inst, "LaunchTime", 0));
    cJSON_AddStringToObject(a, "AttachmentId", att);
    cJSON_AddBoolToObject(a, "DeleteOnTermination", true);
    cJSON_AddNumberToObject(a, "DeviceIndex", 0);
    cJSON_AddStringToObject(a, "Status", "attached");
    cJSON_AddNumberToObject(a, "NetworkCardIndex", 0);
    cJSON_AddStringToObject(n, "Description", "");
    cJSON_AddItemToObject(n, "Groups", cJSON_Duplicate(l->groups, 1));
    cJSON_AddArrayToObject(n, "Ipv6Addresses");
    cJSON_AddStringToObject(n, "MacAddress", mac);
    cJSON_AddStringToObject(n, "NetworkInterfaceId", eni);
    cJSON_AddStringToObject(n, "OwnerId", c->account);
    cJSON_AddStringToObject(n, "PrivateDnsName", dns);
    cJSON_AddStringToObject(n, "PrivateIpAddress", ip);
    cJSON *pa = cJSON_CreateObject();
    cJSON_AddBoolToObject(pa, "Primary", true);
    cJSON_AddStringToObject(pa, "PrivateDnsName", dns);
    cJSON_AddStringToObject(pa, "PrivateIpAddress", ip);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(n, "PrivateIpAddresses"), pa);
    cJSON_AddBoolToObject(n, "SourceDestCheck", true);
    cJSON_AddStringToObject(n, "Status", "in-use");
    cJSON_AddStringToObject(n, "SubnetId", l->subnet);
    cJSON_AddStringToObject(n, "VpcId", l->vpc);
    cJSON_AddStringToObject(n, "InterfaceType", "interface");
    cJSON_AddItemToArray(list, n);
    return list;
}

void ec2_launch_apply(api_ctx_t *c, const ec2_launch_t *l, cJSON *inst)
{
    jx_set_str(cJSON_GetObjectItemCaseSensitive(inst, "Placement"), "AvailabilityZone", l->zone);
    jx_set_str(inst, "SubnetId", l->subnet);
    jx_set_str(inst, "VpcId", l->vpc);
    jx_set(inst, "SecurityGroups", cJSON_Duplicate(l->groups, 1));
    if (l->profile) jx_set(inst, "IamInstanceProfile", cJSON_Duplicate(l->profile, 1));
    ec2_cidr_t net;
    if (l->cidr && ec2_cidr_parse(l->cidr, &net) && net.len <= 28) {
        /* an address of the subnet (past the 4 EC2 reserves at its start), from the id */
        uint32_t size = 1u << (32 - net.len);
        uint32_t h = span_fnv1a(SPAN_FNV_BASIS, span_of(jx_str(inst, "InstanceId")));
        uint32_t a = net.addr + 4 + h % (size - 5);
        char ip[20], dns[64];
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        snprintf(dns, sizeof(dns), "ip-%u-%u-%u-%u.ec2.internal", a >> 24, (a >> 16) & 255,
                 (a >> 8) & 255, a & 255);
        jx_set_str(inst, "PrivateIpAddress", ip);
        jx_set_str(inst, "PrivateDnsName", dns);
    }
    jx_set(inst, "NetworkInterfaces", ln_interface(c, l, inst));
    if (l->public_ip) {
        /* an address of EC2's public pool (3.80.0.0/12 here), from the id; its DNS name as
         * EC2 writes it: compute-1 in us-east-1, <region>.compute elsewhere */
        uint32_t h = span_fnv1a(0x9e3779b9u, span_of(jx_str(inst, "InstanceId")));
        uint32_t a = (3u << 24 | 80u << 16) + 1 + h % ((1u << 20) - 2);
        char ip[20];
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        const char *region = c->region;
        jx_set_str(inst, "PublicIpAddress", ip);
        jx_set_str(inst, "PublicDnsName",
                   !strcmp(region, "us-east-1")
                       ? arena_printf(c->arena, "ec2-%u-%u-%u-%u.compute-1.amazonaws.com", a >> 24,
                                      (a >> 16) & 255, (a >> 8) & 255, a & 255)
                       : arena_printf(c->arena, "ec2-%u-%u-%u-%u.%s.compute.amazonaws.com", a >> 24,
                                      (a >> 16) & 255, (a >> 8) & 255, a & 255, region));
    }
    if (l->lt_id[0]) {
        cJSON *tags = cJSON_GetObjectItemCaseSensitive(inst, "Tags");
        if (!tags) tags = cJSON_AddArrayToObject(inst, "Tags");
        const char *keys[] = {"aws:ec2launchtemplate:id", "aws:ec2launchtemplate:version"};
        const char *vals[] = {l->lt_id, arena_printf(c->arena, "%lld", (long long)l->lt_version)};
        for (int i = 0; i < 2; i++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "Key", keys[i]);
            cJSON_AddStringToObject(t, "Value", vals[i]);
            cJSON_AddItemToArray(tags, t);
        }
    }
}

err_t ec2_launch_volumes(api_ctx_t *c, const ec2_launch_t *l, cJSON *inst)
{
    cJSON *tags = ec2_spec_tags(c->in, "volume", false);
    err_t rc = ERR_OK;
    for (const cJSON *m = l->volumes->child; !rc && m; m = m->next) {
        const cJSON *ebs = cJSON_GetObjectItemCaseSensitive(m, "Ebs");
        ec2_volume_spec_t s = ln_volume_spec(l, ebs);
        const cJSON *dot = cJSON_GetObjectItemCaseSensitive(ebs, "DeleteOnTermination");
        cJSON *v = NULL;
        rc = ec2_volume_create(c, &s, tags, &v);
        if (!rc)
            rc = ec2_volume_attach(c, v, inst, jx_str(m, "DeviceName"), !dot || cJSON_IsTrue(dot));
        cJSON_Delete(v);
    }
    cJSON_Delete(tags);
    return rc;
}
