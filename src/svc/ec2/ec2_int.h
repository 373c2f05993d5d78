/* ec2_int.h - shared pieces of the EC2 handlers: instance records (kind "ec2.instance",
 * body shaped like the model's Instance plus internal "_"-members the encoder drops),
 * the state machine, and the transitions that run as durable jobs (provider.c). */
#ifndef CATALOGD_EC2_INT_H
#define CATALOGD_EC2_INT_H

#include "api/gen/ops_gen.h"
#include "core/ids.h"
#include "core/jx.h"
#include "engine/engine.h"
#include "res/res.h"
#include "svc/ec2/ec2.h"

#define EC2_INSTANCE "ec2.instance"
#define EC2_JOB      "ec2.transition"

enum ec2_state {
    EC2_PENDING = 0,
    EC2_RUNNING = 16,
    EC2_SHUTTING_DOWN = 32,
    EC2_TERMINATED = 48,
    EC2_STOPPING = 64,
    EC2_STOPPED = 80,
};

const char *ec2_state_name(int code);
int ec2_state(const cJSON *inst);
/* Sets State {Code, Name} of inst. */
void ec2_set_state(cJSON *inst, int code);
/* The instance's MetadataOptions, EC2's defaults when it has none of its own (new item;
 * instance_ops.c). */
cJSON *ec2_metadata_options(const cJSON *inst);

/* Sets StateReason {Code, Message} (NULL code removes it). */
void ec2_set_reason(cJSON *inst, const char *code, const char *message);

/* ERR_EC2_DRY_RUN when the request says DryRun (after authorization, as EC2 answers). */
err_t ec2_dry_run(api_ctx_t *c);

/* Loads the instances ids names (an array of strings), in order: InvalidInstanceID.Malformed
 * for a bad id, InvalidInstanceID.NotFound (listing every missing one) otherwise. *out owns
 * an array of bodies. */
err_t ec2_load(api_ctx_t *c, const cJSON *ids, cJSON **out);
/* Writes an instance body back. */
err_t ec2_save(store_tx_t *tx, const char *account, const cJSON *inst, int64_t now_ms,
               errbuf_t *eb);

/* Starts a transition ("launch", "start", "stop", "reboot", "terminate") of inst: bumps
 * its sequence number (so an older transition's job becomes moot) and enqueues the job
 * that completes it through the instance's provider. The caller saves inst. With now_done
 * (may be NULL: always a job), an emulated instance under --ec2-delay-ms 0 gets no job:
 * *now_done is set, and the caller answers with the transitional state, then ends the
 * transition in its own transaction with ec2_transition_now (which saves inst). */
err_t ec2_transition(api_ctx_t *c, cJSON *inst, const char *action, bool *now_done);
/* Ends a transition that ec2_transition said ends now, as its job would have: the
 * success state, StateReason, times, saved in c->tx, and ec2.instance:<id> signalled.
 * prior is the state before the call. */
err_t ec2_transition_now(api_ctx_t *c, cJSON *inst, const char *action, int prior);

/* The tags TagSpecifications give a resource of type (e.g. "instance"); untyped: also
 * those of specifications without a ResourceType. New array. */
cJSON *ec2_spec_tags(const cJSON *in, const char *type, bool untyped);

/* ---- filters (Describe* Filters: values ORed within a filter, filters ANDed, * and ?
 * wildcards). A filter function puts the values res has for filter `name` into vals (at
 * most cap; scratch holds 16 bytes for a number) and answers how many, or -1 for a filter
 * it does not know (InvalidParameterValue "The filter 'x' is invalid"). */
typedef int (*ec2_filter_fn)(const cJSON *res, const char *name, const char **vals, int cap,
                             char *scratch);
err_t ec2_filter_match(api_ctx_t *c, const cJSON *res, const cJSON *filters, ec2_filter_fn fn,
                       bool *ok);
/* The tag filters every taggable resource has: tag:<key>, tag-key, tag-value (-1 otherwise). */
int ec2_tag_filter_values(const cJSON *res, const char *name, const char **vals, int cap);

/* ---- images (images.c): kind "ec2.image" (the account's own, body shaped like the
 * model's Image, row name = image name) and the public catalogue (data/ec2-images,
 * compiled into gen/images_gen.c as JSON objects without ids). */
#define EC2_IMAGE     "ec2.image"
#define EC2_IMAGE_JOB "ec2.image"
extern const char *const ec2_public_images[];
extern const size_t ec2_n_public_images;
/* AWS's public parameters that name catalogue images (an image's "Parameters" in the data
 * file), sorted by name. */
typedef struct ec2_public_param {
    const char *name;
    size_t image; /* index into ec2_public_images */
} ec2_public_param_t;
extern const ec2_public_param_t ec2_public_params[];
extern const size_t ec2_n_public_params;

/* An image of the account or the catalogue by id (*out NULL when neither has it). */
err_t ec2_image_find(api_ctx_t *c, const char *id, cJSON **out);
/* The image RunInstances launches: ec2_image_find; InvalidAMIID.Malformed for an id
 * that is not ami- and 8 or 17 hex digits, InvalidAMIID.NotFound for one that is neither
 * in the catalogue nor the account's, InvalidAMIID.Unavailable for one that is not
 * available (pending, failed). */
err_t ec2_image_for_launch(api_ctx_t *c, const char *id, cJSON **out);

/* The image job's step and give-up hook (images.c). */
err_t ec2_image_step(engine_run_t *r);
err_t ec2_image_giveup(engine_run_t *r, const char *why);

/* ---- Describe helpers (describe.c) */

/* Starts a Describe call's page: NextToken (InvalidParameterValue "The token '...' is
 * invalid." for one not issued for this operation) and MaxResults (min..max, EC2's
 * message), which a call naming its resources (named: ids_member, e.g. "GroupIds") cannot
 * take (InvalidParameterCombination). */
err_t ec2_page_begin(api_ctx_t *c, res_page_t *p, int64_t min, int64_t max, bool named,
                     const char *ids_member);
/* Whether an instance that is not terminated has, in its list member `list`, an object
 * whose `key` is value (e.g. SecurityGroups / GroupId / sg-...). */
err_t ec2_instances_using(api_ctx_t *c, const char *list, const char *key, const char *value,
                          bool *yes);

/* ---- VPC look-ups security groups and launches need (vpc_groups.c) */

/* The VPC a resource goes in: given (which must exist: InvalidVpcID.NotFound) or, when
 * NULL, the account's default VPC. *out lives in c->arena. */
err_t ec2_vpc_resolve(api_ctx_t *c, const char *given, const char **out);

/* ---- security groups (secgroups.c, sg_rules.c): kind "ec2.sg", body the model's
 * SecurityGroup plus "_Rules" (SecurityGroupRule objects) */
#define EC2_SG "ec2.sg"

/* The group with id (*out owns it): InvalidGroupId.Malformed, InvalidGroup.NotFound. */
err_t ec2_sg_get(api_ctx_t *c, const char *id, cJSON **out);
/* The group named name in vpc (NULL: the default VPC): InvalidGroup.NotFound. */
err_t ec2_sg_named(api_ctx_t *c, const char *vpc, const char *name, cJSON **out);
/* Creates VPC vpc_id's `default` group (inbound: all from itself; outbound: all to
 * 0.0.0.0/0), as EC2 gives every VPC; its id in out_id. For the code that creates VPCs. */
err_t ec2_sg_create_default(ids_t *ids, store_tx_t *tx, const char *account, const char *vpc_id,
                            int64_t now, char out_id[32], errbuf_t *eb);
/* What deleting VPC vpc_id does to its groups: DependencyViolation ("The vpc 'x' has
 * dependencies and cannot be deleted.") while it has any beside its default one, which
 * then goes. */
err_t ec2_sg_delete_vpc_groups(store_tx_t *tx, const char *account, const char *vpc_id,
                               errbuf_t *eb);
/* Appends to out the rules (SecurityGroupRule objects of group g, new ids) the
 * IpPermissions perms ask for, validated as EC2 does (protocol, ports, CIDRs, referenced
 * groups, the same rule twice). */
err_t ec2_sg_rules_of(api_ctx_t *c, const cJSON *g, const cJSON *perms, bool egress, cJSON *out);
/* Whether two rules allow the same traffic (direction, protocol, ports, peer). */
bool ec2_sg_rule_same(const cJSON *a, const cJSON *b);
/* "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" */
void ec2_sg_rule_text(const cJSON *r, char *out, size_t cap);
/* Rebuilds g's IpPermissions and IpPermissionsEgress from its _Rules. */
void ec2_sg_render(cJSON *g);

/* ---- key pairs (keypairs.c, keygen.c): kind "ec2.keypair", row name = KeyName, body the
 * model's KeyPairInfo (PublicKey shown only when asked for) */
#define EC2_KEYPAIR "ec2.keypair"

typedef struct ec2_keygen {
    char type[16];         /* rsa, ed25519 */
    char fingerprint[128]; /* as EC2 shows it */
    char public_key[1024]; /* OpenSSH one-line form, without comment */
} ec2_keygen_t;
/* Generates a key of type (rsa: 2048 bits, PEM "RSA PRIVATE KEY"; ed25519: OpenSSH
 * format); the private key goes to private_pem only, never into k. */
err_t ec2_keygen_create(const char *type, ec2_keygen_t *k, buf_t *private_pem, errbuf_t *eb);
/* Reads an OpenSSH or RFC 4716 public key (ssh-rsa of 1024, 2048 or 4096 bits, or
 * ssh-ed25519): InvalidKeyPair.Format otherwise. */
err_t ec2_keygen_import(const char *text, ec2_keygen_t *k, errbuf_t *eb);
/* The key pair named name (*out NULL when there is none). */
err_t ec2_keypair_named(api_ctx_t *c, const char *name, cJSON **out);

/* ---- volumes (volumes.c): kind "ec2.volume", body the model's Volume, state = State */
#define EC2_VOLUME "ec2.volume"

typedef struct ec2_volume_spec {
    const char *zone, *type;        /* type: standard, gp2, gp3, io1, io2, st1, sc1 */
    int64_t size, iops, throughput; /* GiB; 0: not given */
    bool encrypted;
    const char *kms_key; /* KmsKeyId of an encrypted volume, or NULL */
} ec2_volume_spec_t;
/* Checks s as CreateVolume does: the type, its size range, Iops and Throughput. */
err_t ec2_volume_check(api_ctx_t *c, const ec2_volume_spec_t *s);
/* Inserts an available volume of spec s with tags (NULL: none); *out owns its body. */
err_t ec2_volume_create(api_ctx_t *c, const ec2_volume_spec_t *s, const cJSON *tags, cJSON **out);
/* Attaches volume vol (available) to inst at device (a valid, free EBS device name in the
 * same zone): both bodies change, the volume is saved, the caller saves inst. */
err_t ec2_volume_attach(api_ctx_t *c, cJSON *vol, cJSON *inst, const char *device, bool dot);
/* What termination does to inst's volumes: those marked DeleteOnTermination are deleted,
 * the others detached (available); inst's BlockDeviceMappings empties. The caller saves
 * inst. */
err_t ec2_volumes_release(app_t *app, const char *scope, store_tx_t *tx, cJSON *inst, int64_t now,
                          errbuf_t *eb);

/* ---- instance types (instance_types.c; data/ec2-instance-types compiled into
 * gen/instance_types_gen.c as JSON objects) */
extern const char *const ec2_instance_types[];
extern const size_t ec2_n_instance_types;
/* Whether DescribeInstanceTypes knows type name. */
bool ec2_instance_type_known(const char *name);

/* ---- launch templates (launch_templates.c): kind "ec2.lt", row name = the template's
 * name, body the model's LaunchTemplate plus "_Versions" (LaunchTemplateVersion objects) */
#define EC2_LT "ec2.lt"
/* The data of the version a LaunchTemplateSpecification names (Version: a number,
 * $Latest or $Default, the default when absent): *data new, id and *version set. */
err_t ec2_lt_data_for_launch(api_ctx_t *c, const cJSON *spec, cJSON **data, char id[32],
                             int64_t *version);

/* ---- what RunInstances resolves before launching (launch.c) */
typedef struct ec2_launch {
    const cJSON *given; /* the request as it came (c->in again at the end) */
    char lt_id[32];     /* the launch template launched from, or "" */
    int64_t lt_version;
    const char *subnet, *vpc, *zone, *cidr; /* arena-owned */
    bool default_vpc;
    bool public_ip; /* the subnet maps a public address on launch (MapPublicIpOnLaunch) */
    cJSON *groups;  /* [{GroupName, GroupId}] */
    cJSON *volumes; /* [{DeviceName, Ebs}] to create for each instance */
    cJSON *profile; /* {Arn, Id} or NULL */
} ec2_launch_t;
/* Starts a launch: with LaunchTemplate, c->in becomes the request completed by the
 * template version's data (the request's own members win; tag specifications add up). */
err_t ec2_launch_begin(api_ctx_t *c, ec2_launch_t *l);
/* Resolves and checks, as EC2 does: SubnetId (InvalidSubnetID.NotFound; else the default
 * VPC's subnet in the Placement zone), the groups (InvalidGroup.NotFound, another VPC's:
 * InvalidParameter; none: the VPC's default group), KeyName (InvalidKeyPair.NotFound),
 * UserData, BlockDeviceMappings (plus the root volume on root_device) and
 * IamInstanceProfile (existing, iam:PassRole on its roles). */
err_t ec2_launch_resolve(api_ctx_t *c, ec2_launch_t *l, const char *root_device);
/* Gives inst its zone, subnet, VPC, address in the subnet (and a public address and DNS
 * name where the subnet maps one on launch, as a default subnet does), groups, instance
 * profile and launch template tags. */
void ec2_launch_apply(api_ctx_t *c, const ec2_launch_t *l, cJSON *inst);
/* Creates and attaches inst's volumes (inst inserted, saved by the caller). */
err_t ec2_launch_volumes(api_ctx_t *c, const ec2_launch_t *l, cJSON *inst);
/* Ends the launch: c->in back to the request, l's trees freed. */
void ec2_launch_end(api_ctx_t *c, ec2_launch_t *l);

#endif
