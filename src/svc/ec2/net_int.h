/* net_int.h - EC2 networking records shared by the EC2 handlers: VPCs, subnets, route
 * tables, internet gateways and Elastic IPs (bodies shaped like the model's Vpc, Subnet,
 * RouteTable, InternetGateway and Address, plus internal "_"-members), the id kinds the
 * tag and Describe calls share, CIDR arithmetic and the zones of a region. Security
 * groups and instances look VPCs and subnets up through ec2_vpc_get / ec2_subnet_get. */
#ifndef CATALOGD_EC2_NET_INT_H
#define CATALOGD_EC2_NET_INT_H

#include "svc/ec2/ec2_int.h"

#include <stdint.h>

#define EC2_VPC    "ec2.vpc"         /* name "default:<region>" for a default VPC */
#define EC2_SUBNET "ec2.subnet"      /* parent = VpcId */
#define EC2_RTB    "ec2.route_table" /* parent = VpcId */
#define EC2_IGW    "ec2.igw"
#define EC2_EIP    "ec2.address" /* name = "<region>/<PublicIp>" */
#define EC2_REGION "ec2.region"  /* id = region: what was installed there */

/* One kind of EC2 resource as ids, tags and Describe calls see it. */
typedef struct ec2_kind {
    const char *kind;      /* EC2_VPC */
    const char *prefix;    /* "vpc-" */
    const char *id_member; /* "VpcId" */
    const char *type;      /* the tag resource type: "vpc" */
    err_t not_found;       /* InvalidVpcID.NotFound */
    const char *noun;      /* "vpc": "The vpc ID 'x' does not exist" */
    err_t malformed;       /* InvalidVpcID.Malformed, or ERR_OK: a bad id is not found */
} ec2_kind_t;

extern const ec2_kind_t ec2_kind_instance, ec2_kind_image, ec2_kind_vpc, ec2_kind_subnet,
    ec2_kind_rtb, ec2_kind_igw, ec2_kind_eip, ec2_kind_sg, ec2_kind_volume, ec2_kind_keypair,
    ec2_kind_lt;
/* The taggable kinds, sorted by kind (DescribeTags reads them in this order). */
extern const ec2_kind_t *const ec2_taggable[];
extern const size_t ec2_n_taggable;
/* The taggable kind whose ids start like id (NULL: none). */
const ec2_kind_t *ec2_kind_of(const char *id);

/* The region a request is about (today the deployment's; issue 14 makes it the request's). */
const char *ec2_region(const api_ctx_t *c);

/* Whether body belongs to the request's region (bodies without _Region: every region). */
bool ec2_in_region(api_ctx_t *c, const cJSON *body);
/* Loads the resource of kind k named id in the request's region: the kind's Malformed
 * error for an id that cannot be one, its NotFound error ("The vpc ID 'x' does not exist")
 * for one that does not exist. *out is owned by the request's arena. */
err_t ec2_get(api_ctx_t *c, const ec2_kind_t *k, const char *id, cJSON **out);
/* Loads every id of the array ids (strings), in order, into out (arena-owned array): the
 * Malformed error for the first bad one, one NotFound listing every missing one. */
err_t ec2_get_all(api_ctx_t *c, const ec2_kind_t *k, const cJSON *ids, cJSON **out);
/* Writes body (a resource of kind k, its State member as the row's state) back. */
err_t ec2_put(api_ctx_t *c, const ec2_kind_t *k, const cJSON *body);
/* A new id: prefix and 17 hex digits. */
const char *ec2_new_id(api_ctx_t *c, const char *prefix);
/* Checks that every TagSpecifications entry is for resource type `type`, what the call
 * creates: InvalidParameterValue "Tag specification resource type must have a value" or
 * "'x' is not a valid taggable resource type for this operation." otherwise. */
err_t ec2_spec_check(api_ctx_t *c, const char *type);
/* Adds the tags TagSpecifications give resource type `type` to body (none: nothing). */
void ec2_add_spec_tags(api_ctx_t *c, cJSON *body, const char *type);
/* Every resource of kind k (parent NULL: any) in the request's region, creation order,
 * arena-owned array. For look-ups inside a write (dependencies), not for Describe. */
err_t ec2_all(api_ctx_t *c, const char *kind, const char *parent, cJSON **out);

/* One Describe call over a kind: ids (all must exist) or a page (MaxResults in [5, max];
 * max 0: the model has no paging) of the region's resources in creation order, filtered
 * by fn (and the tag filters). Answers under out_member (and NextToken). */
typedef struct ec2_describe {
    const ec2_kind_t *k;
    const char *ids_member, *out_member;
    ec2_filter_fn fn;
    int64_t max;
} ec2_describe_t;
err_t ec2_describe(api_ctx_t *c, const ec2_describe_t *d);
/* Filter values read straight from members: a table of {filter, member} pairs; string,
 * bool ("true"/"false") and number members. -1 when name is not in the table. */
typedef struct ec2_plain {
    const char *filter, *member;
} ec2_plain_t;
int ec2_plain_filter(const cJSON *res, const char *name, const ec2_plain_t *t, size_t n,
                     const char **vals, char *scratch);
/* The values of member of each object of array member `array` of res (bools as
 * "true"/"false"), at most cap: a filter over a list (route.gateway-id). */
int ec2_each_filter(const cJSON *res, const char *array, const char *member, const char **vals,
                    int cap);

/* ---- lookups for security groups and instances */
/* The VPC vpc_id in the request's region (InvalidVpcID.NotFound when none). */
err_t ec2_vpc_get(api_ctx_t *c, const char *vpc_id, cJSON **out);
/* The subnet subnet_id (InvalidSubnetID.NotFound when none); its VpcId names its VPC. */
err_t ec2_subnet_get(api_ctx_t *c, const char *subnet_id, cJSON **out);
/* The region's default VPC, *out NULL when it has none (deleted). Arena-owned. */
err_t ec2_default_vpc(api_ctx_t *c, cJSON **out);
/* The default VPC's subnet for zone az (NULL: the first zone's), *out NULL when none. */
err_t ec2_default_subnet(api_ctx_t *c, const char *az, cJSON **out);

/* The VPC instance inst is in: its VpcId, else its subnet's, else the default VPC's (NULL
 * when none of them is known). Arena string. */
const char *ec2_instance_vpc(api_ctx_t *c, const cJSON *inst);
/* The internet gateway attached to vpc_id (arena-owned), or NULL. */
err_t ec2_vpc_igw(api_ctx_t *c, const char *vpc_id, cJSON **out);
/* Takes the Elastic IPs off instance inst (terminated: EC2 disassociates them) and its
 * public address with them; the caller saves inst. */
err_t ec2_addresses_release(app_t *app, const char *scope, store_tx_t *tx, cJSON *inst, int64_t now,
                            errbuf_t *eb);

/* ---- creating records (also at start-up, without a request) */
typedef struct ec2_net {
    app_t *app;
    store_tx_t *tx;
    ids_t *ids;
    arena_t *arena;
    const char *account, *region; /* the owner (OwnerId, ARNs) and the region */
    const char *scope;            /* the partition rows are stored under (app_scope) */
    int64_t now;
    errbuf_t *eb;
} ec2_net_t;
/* The ec2_net_t of a request. */
ec2_net_t ec2_net_of(api_ctx_t *c);
/* Creates a VPC with cidr (canonical), its main route table (local route) and, when the
 * security groups are built in, its default group; *vpc (arena-owned) is the body,
 * tags not yet added by the caller are added with ec2_put. */
err_t ec2_vpc_make(const ec2_net_t *n, const char *cidr, bool is_default, const cJSON *tags,
                   cJSON **vpc);
/* Creates a subnet of vpc in zone az with cidr (canonical, already checked). */
err_t ec2_subnet_make(const ec2_net_t *n, const cJSON *vpc, const char *az, const char *cidr,
                      bool default_for_az, const cJSON *tags, cJSON **subnet);
/* Creates an internet gateway, attached to vpc_id unless NULL. */
err_t ec2_igw_make(const ec2_net_t *n, const char *vpc_id, const cJSON *tags, cJSON **igw);
/* Creates a route table of vpc (the main one when main) with the local route. */
err_t ec2_rtb_make(const ec2_net_t *n, const cJSON *vpc, bool main, const cJSON *tags, cJSON **rtb);
/* Drops subnet_id's explicit route table association, if any (the subnet goes). */
err_t ec2_rtb_forget_subnet(api_ctx_t *c, const char *vpc_id, const char *subnet_id);
/* The id of vpc's main route table ("" when none). */
const char *ec2_main_rtb(const cJSON *vpc);
/* Adds a route to route table rtb_id (a body updated in place and saved). */
err_t ec2_rtb_route_add(const ec2_net_t *n, const char *rtb_id, const char *cidr,
                        const char *target_member, const char *target);

/* ---- CIDR blocks (IPv4) */
typedef struct ec2_cidr {
    uint32_t addr; /* the network (host bits cleared) */
    int len;
} ec2_cidr_t;
/* Parses "a.b.c.d/n" (n 0..32) and clears the host bits (EC2 takes the canonical form). */
bool ec2_cidr_parse(const char *s, ec2_cidr_t *out);
/* "a.b.c.d/n" into out. */
void ec2_cidr_text(const ec2_cidr_t *c, char out[20]);
bool ec2_cidr_overlaps(const ec2_cidr_t *a, const ec2_cidr_t *b);
/* Whether inner lies inside outer. */
bool ec2_cidr_within(const ec2_cidr_t *inner, const ec2_cidr_t *outer);

/* ---- zones (zones.c) */
/* The zones of region (names "<region>a"...): how many, each into names (at most cap). */
int ec2_zone_names(const char *region, const char **names, int cap, arena_t *a);
/* The zone id of zone name ("use1-az1"), or NULL when name is not a zone of region. */
const char *ec2_zone_id(const char *region, const char *name, arena_t *a);

/* ---- the security groups of a VPC (vpc_groups.c) */
/* Creates vpc's default security group (ec2_sg_create_default). */
err_t ec2_vpc_groups_create(const ec2_net_t *n, cJSON *vpc);
/* DependencyViolation when vpc has groups beyond its default one; else deletes that one. */
err_t ec2_vpc_groups_delete(const ec2_net_t *n, const cJSON *vpc);

#endif
