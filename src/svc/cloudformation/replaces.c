/* replaces.c - which property changes replace a resource, per type, as AWS's resource
 * and property reference says ("Update requires: Replacement"). Change sets show it as
 * the Replacement column and each detail's RequiresRecreation. A property not listed
 * updates without replacement; a type not listed is unknown (CONDITIONALLY). */
#include "svc/cloudformation/cfn_int.h"

#include <string.h>

/* Per type: the properties whose change always replaces, and those that replace
 * depending on the value ("Some interruptions or Replacement"), space-separated. */
static const struct {
    const char *type, *always, *conditionally;
} cfn_replaces[] = {
    {"AWS::CloudFormation::WaitCondition", "Count Handle Timeout", ""},
    {"AWS::CloudFormation::WaitConditionHandle", "", ""},
    {"AWS::EC2::EIP", "Domain TransferAddress", ""},
    {"AWS::EC2::Instance",
     "AvailabilityZone CpuOptions ElasticGpuSpecifications HibernationOptions HostResourceGroupArn "
     "ImageId Ipv6AddressCount Ipv6Addresses KeyName LaunchTemplate LicenseSpecifications "
     "NetworkInterfaces PlacementGroupName PrivateIpAddress SecurityGroups SubnetId",
     "BlockDeviceMappings Tenancy"},
    {"AWS::EC2::InternetGateway", "", ""},
    {"AWS::EC2::KeyPair", "KeyFormat KeyName KeyType PublicKeyMaterial Tags", ""},
    {"AWS::EC2::LaunchTemplate", "LaunchTemplateName", ""},
    {"AWS::EC2::Route", "DestinationCidrBlock DestinationIpv6CidrBlock RouteTableId", ""},
    {"AWS::EC2::RouteTable", "VpcId", ""},
    {"AWS::EC2::SecurityGroup", "GroupDescription GroupName VpcId", ""},
    {"AWS::EC2::SecurityGroupEgress",
     "CidrIp CidrIpv6 DestinationPrefixListId DestinationSecurityGroupId FromPort GroupId "
     "IpProtocol ToPort",
     ""},
    {"AWS::EC2::SecurityGroupIngress",
     "CidrIp CidrIpv6 FromPort GroupId GroupName IpProtocol SourcePrefixListId "
     "SourceSecurityGroupId SourceSecurityGroupName SourceSecurityGroupOwnerId ToPort",
     ""},
    {"AWS::EC2::Subnet",
     "AvailabilityZone AvailabilityZoneId CidrBlock Ipv4IpamPoolId Ipv4NetmaskLength "
     "Ipv6Native OutpostArn VpcId",
     ""},
    {"AWS::EC2::SubnetRouteTableAssociation", "SubnetId", ""},
    {"AWS::EC2::VPC", "CidrBlock Ipv4IpamPoolId Ipv4NetmaskLength", "InstanceTenancy"},
    {"AWS::EC2::VPCGatewayAttachment", "VpcId", ""},
    {"AWS::EC2::Volume", "AvailabilityZone Encrypted KmsKeyId OutpostArn SnapshotId", ""},
    {"AWS::EC2::VolumeAttachment", "Device InstanceId VolumeId", ""},
    {"AWS::IAM::AccessKey", "Serial UserName", ""},
    {"AWS::IAM::Group", "GroupName", ""},
    {"AWS::IAM::InstanceProfile", "InstanceProfileName Path", ""},
    {"AWS::IAM::ManagedPolicy", "Description ManagedPolicyName Path", ""},
    {"AWS::IAM::Policy", "", ""},
    {"AWS::IAM::Role", "Path RoleName", ""},
    {"AWS::IAM::User", "UserName", ""},
    {"AWS::SSM::Document", "Content DocumentFormat DocumentType Name TargetType VersionName",
     "Attachments Requires"},
    {"AWS::SSM::Parameter", "Name", ""},
};

/* Whether word is one of the space-separated words of list. */
static bool cfn_word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
    return false;
}

cfn_recreate_t cfn_type_replaces(const char *type, const char *prop)
{
    for (size_t i = 0; i < sizeof(cfn_replaces) / sizeof(*cfn_replaces); i++) {
        if (strcmp(cfn_replaces[i].type, type)) continue;
        if (cfn_word_in(cfn_replaces[i].always, prop)) return CFN_RECREATE_ALWAYS;
        if (cfn_word_in(cfn_replaces[i].conditionally, prop)) return CFN_RECREATE_CONDITIONALLY;
        return CFN_RECREATE_NEVER;
    }
    return CFN_RECREATE_CONDITIONALLY;
}
