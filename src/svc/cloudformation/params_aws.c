/* params_aws.c - CloudFormation's AWS-specific parameter types that name existing EC2
 * resources: each value is looked up, as the caller, with the Describe call that lists that
 * kind of resource, before the stack starts ("Parameter validation failed: parameter value
 * V for parameter name N does not exist", as CloudFormation answers CreateStack). */
#include "svc/cloudformation/cfn_int.h"

#include "proto/proto.h"

#include <string.h>

/* A type and the Describe call (and its list member) that finds values of it. */
static const struct {
    const char *type, *op, *member;
} aws_lookups[] = {
    {"AWS::EC2::KeyPair::KeyName", "DescribeKeyPairs", "KeyNames"},
    {"AWS::EC2::VPC::Id", "DescribeVpcs", "VpcIds"},
    {"AWS::EC2::Subnet::Id", "DescribeSubnets", "SubnetIds"},
    {"AWS::EC2::SecurityGroup::Id", "DescribeSecurityGroups", "GroupIds"},
    {"AWS::EC2::SecurityGroup::GroupName", "DescribeSecurityGroups", "GroupNames"},
    {"AWS::EC2::Instance::Id", "DescribeInstances", "InstanceIds"},
    {"AWS::EC2::Volume::Id", "DescribeVolumes", "VolumeIds"},
    {"AWS::EC2::Image::Id", "DescribeImages", "ImageIds"},
};

/* The look-up for a parameter type (T or List<T>), or -1; *list tells which. */
static int aws_lookup(const char *type, bool *list)
{
    size_t n = strlen(type);
    *list = n > 6 && !strncmp(type, "List<", 5) && type[n - 1] == '>';
    size_t off = *list ? 5 : 0, len = *list ? n - 6 : n;
    for (size_t i = 0; i < sizeof(aws_lookups) / sizeof(aws_lookups[0]); i++)
        if (strlen(aws_lookups[i].type) == len && !strncmp(type + off, aws_lookups[i].type, len))
            return (int)i;
    return -1;
}

/* Whether EC2's error code says the value names nothing (X.NotFound, X.Malformed). */
static bool aws_absent(err_t rc)
{
    const char *code = err_code(rc, ERR_PROTO_EC2);
    size_t n = strlen(code);
    return (n > 9 && !strcmp(code + n - 9, ".NotFound")) ||
           (n > 10 && !strcmp(code + n - 10, ".Malformed"));
}

/* Looks value up with lookup k as the caller. */
static err_t aws_check_one(api_ctx_t *c, int k, const char *name, const char *value)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, aws_lookups[k].member),
                         cJSON_CreateString(value));
    cJSON *out = NULL;
    errbuf_t eb;
    err_t rc = value[0] ? api_client_call(c, c->caller, "ec2", aws_lookups[k].op, in, &out, &eb)
                        : ERR_VALIDATION;
    cJSON_Delete(in);
    cJSON_Delete(out);
    if (rc && (!value[0] || aws_absent(rc) || rc == ERR_VALIDATION))
        return err_fail(c->eb, ERR_VALIDATION,
                        "Parameter validation failed: parameter value %s for parameter name %s "
                        "does not exist",
                        value, name);
    if (rc) memcpy(c->eb, &eb, sizeof(eb));
    return rc;
}

err_t cfn_check_aws_params(api_ctx_t *c, const tpl_t *t, const cJSON *bound)
{
    const model_service_t *ec2 = model_service("ec2");
    err_t rc = ERR_OK;
    for (size_t i = 0; !rc && i < tpl_param_count(t); i++) {
        const tpl_param_t *p = tpl_param(t, i);
        bool list;
        int k = p->type ? aws_lookup(p->type, &list) : -1;
        const char *value = jx_str(bound, p->name);
        /* a look-up this build does not serve is not made */
        if (k < 0 || !value || !ec2 || !api_op_find(ec2, span_of(aws_lookups[k].op))) continue;
        if (!list) {
            rc = aws_check_one(c, k, p->name, value);
            continue;
        }
        for (const char *v = value; !rc && *v;) {
            const char *comma = strchr(v, ',');
            size_t n = comma ? (size_t)(comma - v) : strlen(v);
            rc = aws_check_one(c, k, p->name, arena_strndup(c->arena, v, n));
            v = comma ? comma + 1 : v + n;
        }
    }
    return rc;
}
