/* types_sg.c - AWS::EC2::SecurityGroup (with its embedded SecurityGroupIngress and
 * SecurityGroupEgress rules) and the stand-alone AWS::EC2::SecurityGroupIngress /
 * SecurityGroupEgress rules, as rows of the type table (types_int.h). A template's rule
 * (IpProtocol, FromPort, ToPort and one peer: CidrIp, CidrIpv6, a prefix list or a group)
 * becomes one IpPermissions entry; a stand-alone rule's physical id is its
 * SecurityGroupRuleId, as CloudFormation shows it. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include <stdlib.h>
#include <string.h>

#define EC2 "ec2"

/* Adds {member: value, "Description": d} to list `list` of perm (created on first use). */
static void add_peer(cJSON *perm, const char *list, const char *member, const char *value,
                     const char *desc)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(perm, list);
    if (!arr) arr = cJSON_AddArrayToObject(perm, list);
    cJSON *e = cfn_obj1(member, value);
    if (desc) cJSON_AddStringToObject(e, "Description", desc);
    cJSON_AddItemToArray(arr, e);
}

/* The IpPermissions entry of a template rule (ingress or egress), new. */
static cJSON *rule_perm(cfn_step_t *s, const cJSON *rule, bool egress)
{
    cJSON *perm = cJSON_CreateObject();
    const char *proto = cfn_prop_str(s, rule, "IpProtocol");
    cJSON_AddStringToObject(perm, "IpProtocol", proto ? proto : "-1");
    static const char *const ports[] = {"FromPort", "ToPort"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = cfn_prop_str(s, rule, ports[i]);
        if (v) cJSON_AddNumberToObject(perm, ports[i], strtod(v, NULL));
    }
    const char *desc = cfn_prop_str(s, rule, "Description");
    const char *v;
    if ((v = cfn_prop_str(s, rule, "CidrIp"))) add_peer(perm, "IpRanges", "CidrIp", v, desc);
    if ((v = cfn_prop_str(s, rule, "CidrIpv6"))) add_peer(perm, "Ipv6Ranges", "CidrIpv6", v, desc);
    if ((v = cfn_prop_str(s, rule, egress ? "DestinationPrefixListId" : "SourcePrefixListId")))
        add_peer(perm, "PrefixListIds", "PrefixListId", v, desc);
    if ((v = cfn_prop_str(s, rule,
                          egress ? "DestinationSecurityGroupId" : "SourceSecurityGroupId"))) {
        add_peer(perm, "UserIdGroupPairs", "GroupId", v, desc);
    } else if (!egress && (v = cfn_prop_str(s, rule, "SourceSecurityGroupName"))) {
        add_peer(perm, "UserIdGroupPairs", "GroupName", v, desc);
    }
    const char *owner = egress ? NULL : cfn_prop_str(s, rule, "SourceSecurityGroupOwnerId");
    cJSON *pairs = cJSON_GetObjectItemCaseSensitive(perm, "UserIdGroupPairs");
    if (owner && pairs) cJSON_AddStringToObject(pairs->child, "UserId", owner);
    return perm;
}

/* The group member of an input: GroupId for "sg-..." ids, else GroupName. */
static cJSON *group_input(const char *group)
{
    return cfn_obj1(strncmp(group, "sg-", 3) ? "GroupName" : "GroupId", group);
}

/* Authorizes (or revokes) the template rules `rules` on group; returns the new rules'
 * SecurityGroupRules in *out when asked. */
static err_t apply_rules(cfn_step_t *s, const char *group, const cJSON *rules, bool egress,
                         bool revoke, cJSON **out)
{
    if (!cJSON_GetArraySize(rules)) return ERR_OK;
    cJSON *in = group_input(group);
    cJSON *perms = cJSON_AddArrayToObject(in, "IpPermissions");
    for (const cJSON *r = rules->child; r; r = r->next)
        cJSON_AddItemToArray(perms, rule_perm(s, r, egress));
    const char *op =
        revoke ? (egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress")
               : (egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress");
    err_t rc = cfn_call(s, EC2, op, in, out);
    cJSON_Delete(in);
    return rc;
}

/* The rules of a that b does not hold, new. */
static cJSON *rules_minus(const cJSON *a, const cJSON *b)
{
    cJSON *r = cJSON_CreateArray();
    for (const cJSON *x = a ? a->child : NULL; x; x = x->next) {
        bool held = false;
        for (const cJSON *y = b ? b->child : NULL; y && !held; y = y->next)
            held = cJSON_Compare(x, y, true);
        if (!held) cJSON_AddItemToArray(r, cJSON_Duplicate(x, 1));
    }
    return r;
}

/* The rule EC2 adds to a new VPC group (all traffic out), as a template rule, new. */
static cJSON *default_egress(void)
{
    cJSON *all = cJSON_CreateArray(), *r = cfn_obj1("IpProtocol", "-1");
    cJSON_AddStringToObject(r, "CidrIp", "0.0.0.0/0");
    cJSON_AddItemToArray(all, r);
    return all;
}

/* Brings the group's rules from old's SecurityGroupIngress / Egress to new's; without
 * egress rules a group keeps EC2's default one, which goes when the template gives some. */
static err_t sync_rules(cfn_step_t *s, const char *group, const cJSON *old_props,
                        const cJSON *props)
{
    err_t rc = ERR_OK;
    for (int egress = 0; egress < 2 && !rc; egress++) {
        const char *prop = egress ? "SecurityGroupEgress" : "SecurityGroupIngress";
        const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_props, prop);
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(props, prop);
        cJSON *dflt = NULL;
        if (egress && !was && now) was = dflt = default_egress();
        cJSON *gone = rules_minus(was, now), *added = rules_minus(now, was);
        rc = apply_rules(s, group, gone, egress, true, NULL);
        if (!rc) rc = apply_rules(s, group, added, egress, false, NULL);
        cJSON_Delete(gone);
        cJSON_Delete(added);
        cJSON_Delete(dflt);
    }
    return rc;
}

static err_t sg_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                             const cJSON *out)
{
    const char *id = jx_str(out, "GroupId");
    cJSON *in = cJSON_CreateObject(), *d = NULL;
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "GroupIds"), cJSON_CreateString(id));
    err_t rc = cfn_call(s, EC2, "DescribeSecurityGroups", in, &d);
    const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "SecurityGroups"), 0);
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(res, "_Attrs");
    if (!rc && jx_str(g, "VpcId")) jx_set_str(attrs, "VpcId", jx_str(g, "VpcId"));
    /* Ref: the group's ID in a VPC the template names, else (the default VPC) its name */
    if (!rc && !cJSON_GetObjectItemCaseSensitive(props, "VpcId"))
        jx_set_str(res, "PhysicalResourceId", jx_str(g, "GroupName"));
    cJSON_Delete(in);
    cJSON_Delete(d);
    if (!rc) rc = sync_rules(s, id, NULL, props);
    return rc;
}

static err_t sg_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    cJSON *in = group_input(jx_str(res, "PhysicalResourceId"));
    err_t rc = cfn_call_gone(s, EC2, "DeleteSecurityGroup", in, spec->gone);
    cJSON_Delete(in);
    return rc;
}

static err_t sg_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                       const cJSON *props)
{
    const char *id = jx_str(cJSON_GetObjectItemCaseSensitive(res, "_Attrs"), "GroupId");
    return sync_rules(s, id ? id : jx_str(res, "PhysicalResourceId"), old_props, props);
}

/* ---- AWS::EC2::SecurityGroupIngress / SecurityGroupEgress: one rule each */

static bool rule_egress(const cfn_spec_t *spec)
{
    return strstr(spec->type, "Egress") != NULL;
}

static err_t rule_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                               const cJSON *props, const cJSON *in)
{
    const char *group = cfn_prop_str(s, props, "GroupId");
    if (!group) group = cfn_prop_str(s, props, "GroupName");
    if (!group) return err_fail(s->eb, ERR_VALIDATION, "Property GroupId cannot be empty.");
    cJSON *one = cJSON_CreateArray(), *out = NULL;
    cJSON_AddItemToArray(one, cJSON_Duplicate(props, 1));
    err_t rc = apply_rules(s, group, one, rule_egress(spec), false, &out);
    const char *id =
        jx_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "SecurityGroupRules"), 0),
               "SecurityGroupRuleId");
    if (!rc) jx_set_str(res, "PhysicalResourceId", id ? id : "");
    cJSON_Delete(one);
    cJSON_Delete(out);
    return rc;
}

static err_t rule_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    /* the rule's own group, from EC2 (a replaced rule may have been in another one) */
    const char *id = jx_str(res, "PhysicalResourceId");
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "SecurityGroupRuleIds"),
                         cJSON_CreateString(id));
    err_t rc = cfn_call(s, EC2, "DescribeSecurityGroupRules", in, &out);
    const char *group =
        jx_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "SecurityGroupRules"), 0),
               "GroupId");
    if (!rc && group) {
        cJSON_AddStringToObject(in, "GroupId", group);
        rc = cfn_call_gone(
            s, EC2, rule_egress(spec) ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress",
            in, spec->gone);
    }
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

/* ---- the rows */

#define H CFN_P_HOOK

static const cfn_prop_t sg_props[] = {{"GroupDescription", "Description", CFN_P_REQ},
                                      {"GroupName", NULL, CFN_P_NAME},
                                      {"VpcId", NULL, 0},
                                      {"SecurityGroupIngress", NULL, H | CFN_P_MUTABLE},
                                      {"SecurityGroupEgress", NULL, H | CFN_P_MUTABLE},
                                      {"Tags", NULL, CFN_P_TAGS | CFN_P_MUTABLE},
                                      {0}};
static const cfn_attr_t sg_attrs[] = {{"GroupId", "GroupId"}, {"VpcId", "VpcId"}, {0}};

/* Description changes in place on AWS (UpdateSecurityGroupRuleDescriptions*), which EC2
 * here lacks: it replaces the rule. */
static const cfn_prop_t ingress_props[] = {{"GroupId", NULL, H},
                                           {"GroupName", NULL, H},
                                           {"IpProtocol", NULL, CFN_P_REQ | H},
                                           {"FromPort", NULL, H},
                                           {"ToPort", NULL, H},
                                           {"CidrIp", NULL, H},
                                           {"CidrIpv6", NULL, H},
                                           {"SourcePrefixListId", NULL, H},
                                           {"SourceSecurityGroupId", NULL, H},
                                           {"SourceSecurityGroupName", NULL, H},
                                           {"SourceSecurityGroupOwnerId", NULL, H},
                                           {"Description", NULL, H},
                                           {0}};
static const cfn_prop_t egress_props[] = {{"GroupId", NULL, CFN_P_REQ | H},
                                          {"IpProtocol", NULL, CFN_P_REQ | H},
                                          {"FromPort", NULL, H},
                                          {"ToPort", NULL, H},
                                          {"CidrIp", NULL, H},
                                          {"CidrIpv6", NULL, H},
                                          {"DestinationPrefixListId", NULL, H},
                                          {"DestinationSecurityGroupId", NULL, H},
                                          {"Description", NULL, H},
                                          {0}};

const cfn_spec_t cfn_sg_specs[] = {{.type = "AWS::EC2::SecurityGroup",
                                    .service = EC2,
                                    .create_op = "CreateSecurityGroup",
                                    .props = sg_props,
                                    .id_path = "GroupId",
                                    .gone = "InvalidGroup.NotFound",
                                    .attrs = sg_attrs,
                                    .tag_type = "security-group",
                                    .after_create = sg_after_create,
                                    .before_delete = sg_before_delete,
                                    .update = sg_update},
                                   {.type = "AWS::EC2::SecurityGroupIngress",
                                    .service = EC2,
                                    .props = ingress_props,
                                    .gone = "InvalidSecurityGroupRuleId.NotFound",
                                    .after_create = rule_after_create,
                                    .before_delete = rule_before_delete},
                                   {.type = "AWS::EC2::SecurityGroupEgress",
                                    .service = EC2,
                                    .props = egress_props,
                                    .gone = "InvalidSecurityGroupRuleId.NotFound",
                                    .after_create = rule_after_create,
                                    .before_delete = rule_before_delete},
                                   {0}};
