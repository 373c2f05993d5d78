/* types_int.h - the resource type table. Most resource types are data: "call op X with the
 * properties mapped, physical id from its output, delete with op Y, not-found means gone,
 * GetAtt values read from the output"; a cfn_spec_t row says exactly that, and the
 * generic create / check / remove / update of types.c carry it out. A type that needs more
 * adds hooks (work after the create, before the delete, the in-place part of an update,
 * waiting until it settles); a type that is nothing like the rest gives its own cfn_type_t.
 * The rows live by service: types_iam.c, types_ec2.c, types_sg.c, types_vpc.c,
 * types_misc.c. */
#ifndef CATALOGD_CFN_TYPES_INT_H
#define CATALOGD_CFN_TYPES_INT_H

#include "svc/cloudformation/cfn_int.h"

/* Property flags */
#define CFN_P_MUTABLE 1u   /* in place: "No interruption" or "Some interruptions" */
#define CFN_P_NAME    2u   /* the resource's name: generated as AWS does when absent */
#define CFN_P_INT     4u   /* a number (a string of digits is taken, as CloudFormation does) */
#define CFN_P_BOOL    8u   /* a boolean ("true"/"false" taken) */
#define CFN_P_JSON    16u  /* an object is passed as its JSON text (policy documents) */
#define CFN_P_HOOK    32u  /* not passed to the create op: a hook applies it */
#define CFN_P_TAGS    64u  /* EC2 Tags: passed as TagSpecifications with CloudFormation's own */
#define CFN_P_REQ     128u /* required: "Property X cannot be empty." */

typedef struct cfn_prop {
    const char *prop;   /* the template's property */
    const char *member; /* the create op's input member (NULL: the same name) */
    unsigned flags;
} cfn_prop_t;

/* Fn::GetAtt name -> path (cfn_path) into the create op's output, then its input. */
typedef struct cfn_attr {
    const char *name;
    const char *path;
} cfn_attr_t;

typedef struct cfn_spec cfn_spec_t;
struct cfn_spec {
    const char *type;      /* "AWS::IAM::Role" */
    const char *service;   /* "iam" */
    const char *create_op; /* NULL: the after_create hook does all of it */
    const cfn_prop_t *props;
    /* The physical id (what Ref gives): "|"-joined paths into the create output, then its
     * input ("Role.RoleName"; "RouteTableId|DestinationCidrBlock"). */
    const char *id_path;
    const char *delete_op;
    /* The delete input: the members, "|"-joined, taking the physical id's "|"-parts. */
    const char *delete_member;
    const char *gone; /* the owning service's not-found code: already deleted counts as done */
    const cfn_attr_t *attrs;
    const char *tag_type; /* TagSpecifications' ResourceType for CFN_P_TAGS ("vpc") */
    int name_max;         /* generated names: at most this long (0: 255) */
    const char
        *name_form; /* NULL: "<stack>-<logical>-<RANDOM>"; else a prefix: "<prefix><RANDOM>" */
    /* After the create op (out: its output, NULL without one): the rest of the properties. */
    err_t (*after_create)(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                          const cJSON *out);
    /* Before the delete op: what must go first (policies of a role...). */
    err_t (*before_delete)(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res);
    /* Applies the changed mutable properties (every changed one is CFN_P_MUTABLE). NULL:
     * only Tags (CFN_P_TAGS) may change in place. A change that goes on after the call (an
     * instance's stop and start) sets _Settling true in res: the stack job then runs check
     * (deleting false) until it says done, and drops _Settling. */
    err_t (*update)(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                    const cJSON *props);
    /* Has a create or delete settled? NULL: at once. */
    err_t (*check)(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, bool deleting,
                   cfn_progress_t *p, char *reason, size_t cap);
};

/* The rows, each array ending with a {NULL} row. */
extern const cfn_spec_t cfn_iam_specs[];
extern const cfn_spec_t cfn_ec2_specs[];
extern const cfn_spec_t cfn_sg_specs[];
extern const cfn_spec_t cfn_vpc_specs[];
extern const cfn_spec_t cfn_misc_specs[];
extern const cfn_spec_t cfn_wait_specs[];   /* waitcond.c */
extern const cfn_spec_t cfn_ssm_mw_specs[]; /* types_ssm_mw.c */
/* ---- helpers for the rows' hooks (types.c) */

/* service:op through the in-process client as the stack's principal; EC2's refusals are
 * prefixed "API: ec2:Op " as CloudFormation words them. in stays the caller's; *out
 * (may be NULL: dropped) is the caller's. */
err_t cfn_call(cfn_step_t *s, const char *service, const char *op, const cJSON *in, cJSON **out);
/* cfn_call where the owning service's not-found code `gone` counts as done. */
err_t cfn_call_gone(cfn_step_t *s, const char *service, const char *op, const cJSON *in,
                    const char *gone);
/* Whether rc is the error code `code` (in EC2's wording for ec2). */
bool cfn_err_is(err_t rc, const char *service, const char *code);
/* The value at path in o: members separated by '.', "[]" maps over an array (the result is
 * then an array), "[N]" picks an element. Returns a new tree or NULL. */
cJSON *cfn_path(const cJSON *o, const char *path);
/* A new name for res: "<stack>-<logical>-<12 RANDOM>" cut to max, in s->arena. */
const char *cfn_gen_name(cfn_step_t *s, const cJSON *res, int max);
/* The EC2 tags of a resource: the stack's Tags (those of a key the resource does not set
 * itself), its Tags, and aws:cloudformation:stack-name, stack-id and logical-id, as a new
 * array. */
cJSON *cfn_ec2_tags(const cfn_step_t *s, const cJSON *res, const cJSON *props);
/* Brings an EC2 resource's tags from old_props' Tags to props' (CreateTags / DeleteTags). */
err_t cfn_ec2_retag(cfn_step_t *s, const char *id, const cJSON *res, const cJSON *old_props,
                    const cJSON *props);
/* Property name's value in props: a string (numbers and booleans as text), or NULL. */
const char *cfn_prop_str(cfn_step_t *s, const cJSON *props, const char *name);
/* Property name's value in props as the create op takes it (numbers and booleans given as
 * text converted, by the row's flags), new; NULL when absent. */
cJSON *cfn_prop_value(const cfn_spec_t *spec, const cJSON *props, const char *name);
/* Whether property name differs between old and new (absent on one side counts). */
bool cfn_changed(const cJSON *old_props, const cJSON *props, const char *name);
/* Sets the physical id and (from the paths of spec's attrs over out, then in) _Attrs. */
void cfn_set_result(cJSON *res, const cfn_spec_t *spec, const char *id, const cJSON *out,
                    const cJSON *in);
/* {"<member>": value} for one string member, new. */
cJSON *cfn_obj1(const char *member, const char *value);

#endif
