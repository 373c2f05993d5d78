/* test_cfn_table.c - unit tests for CloudFormation's resource type table
 * (src/svc/cloudformation/types_int.h): every row is well formed (a service, a way to
 * create and to delete, a tag resource type for EC2 tags, required and name properties
 * where the generic code needs them), the update rules read from the rows match AWS's
 * resource reference for a sample of properties, and the supported list names every row. */
#include "svc/cloudformation/types_int.h"

#include "check.h"

#include <string.h>

static const cfn_spec_t *const tables[] = {cfn_iam_specs, cfn_ec2_specs,  cfn_sg_specs,
                                           cfn_vpc_specs, cfn_misc_specs, cfn_wait_specs};

static void test_rows_are_well_formed(void)
{
    int rows = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const cfn_spec_t *s = tables[t]; s->type; s++, rows++) {
            CHECK(!strncmp(s->type, "AWS::", 5));
            CHECK(s->service != NULL);
            /* a physical id comes from the create output or a hook sets it */
            CHECK(s->id_path != NULL || s->after_create != NULL);
            /* deleting: a delete op with its members, or a hook, or nothing to delete */
            CHECK(!s->delete_op || s->delete_member);
            CHECK(s->delete_op || s->before_delete || !s->create_op);
            for (const cfn_prop_t *p = s->props; p && p->prop; p++) {
                if (p->flags & CFN_P_TAGS) CHECK(s->tag_type != NULL);
                /* a generated name is never required of the template */
                if ((p->flags & CFN_P_NAME) && strcmp(s->type, "AWS::EC2::KeyPair"))
                    CHECK(!(p->flags & CFN_P_REQ));
            }
            CHECK(strstr(cfn_supported_types(), s->type) != NULL);
            /* the stack job's type carries the row's name (messages show it) */
            const cfn_type_t *type = cfn_type(s->type);
            CHECK(type != NULL && !strcmp(type->name, s->type));
        }
    CHECK(rows == 27);
    CHECK(cfn_type("AWS::SQS::Queue") == NULL);
}

static void test_update_rules_follow_aws(void)
{
    static const struct {
        const char *type, *prop;
        int replaces;
    } cases[] = {
        {"AWS::IAM::Role", "Path", 1},
        {"AWS::IAM::Role", "RoleName", 1},
        {"AWS::IAM::Role", "Policies", 0},
        {"AWS::IAM::Role", "AssumeRolePolicyDocument", 0},
        {"AWS::IAM::User", "Path", 0},
        {"AWS::IAM::Group", "GroupName", 1},
        {"AWS::IAM::AccessKey", "Status", 0},
        {"AWS::IAM::AccessKey", "Serial", 1},
        {"AWS::IAM::ManagedPolicy", "PolicyDocument", 0},
        {"AWS::IAM::ManagedPolicy", "ManagedPolicyName", 1},
        {"AWS::IAM::Policy", "PolicyName", 0},
        {"AWS::IAM::InstanceProfile", "Roles", 0},
        {"AWS::EC2::Instance", "ImageId", 1},
        {"AWS::EC2::Instance", "SubnetId", 1},
        {"AWS::EC2::Instance", "Tags", 0},
        {"AWS::EC2::Instance", "SecurityGroupIds", 0},
        {"AWS::EC2::Instance", "InstanceType", 0}, /* "Some interruptions": stop, modify, start */
        {"AWS::EC2::Instance", "UserData", 0},
        {"AWS::EC2::Instance", "EbsOptimized", 0},
        {"AWS::EC2::SecurityGroup", "GroupDescription", 1},
        {"AWS::EC2::SecurityGroup", "SecurityGroupIngress", 0},
        {"AWS::EC2::VPC", "CidrBlock", 1},
        {"AWS::EC2::VPC", "EnableDnsHostnames", 0},
        {"AWS::EC2::Subnet", "VpcId", 1},
        {"AWS::EC2::Subnet", "MapPublicIpOnLaunch", 0},
        {"AWS::EC2::Route", "GatewayId", 0},
        {"AWS::EC2::Route", "DestinationCidrBlock", 1},
        {"AWS::EC2::EIP", "InstanceId", 0},
        {"AWS::EC2::EIP", "Domain", 1},
        {"AWS::EC2::LaunchTemplate", "LaunchTemplateData", 0},
        {"AWS::EC2::KeyPair", "KeyName", 1},
        {"AWS::EC2::VolumeAttachment", "Device", 1},
        {"AWS::EC2::Volume", "Size", 0}, /* ModifyVolume */
        {"AWS::EC2::Volume", "AvailabilityZone", 1},
        {"AWS::SSM::Parameter", "Value", 0},
        {"AWS::SSM::Parameter", "Name", 1},
        {"AWS::EC2::Instance", "NoSuchProperty", 1},
        {"AWS::SQS::Queue", "QueueName", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = cfn_table_replaces(cases[i].type, cases[i].prop);
        if (got != cases[i].replaces)
            fprintf(stderr, "  %s.%s: got %d, want %d\n", cases[i].type, cases[i].prop, got,
                    cases[i].replaces);
        CHECK(got == cases[i].replaces);
    }
}

int main(void)
{
    test_rows_are_well_formed();
    test_update_rules_follow_aws();
    return CHECK_DONE();
}
