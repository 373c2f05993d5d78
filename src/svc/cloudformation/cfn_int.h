/* cfn_int.h - shared pieces of CloudFormation: stack, resource and event records (kinds
 * below; bodies shaped like the model's Stack / StackResourceDetail / StackEvent plus
 * internal "_"-members), the stack job that creates, updates and deletes resources one
 * step at a time (stack_job.c), and the resource types it knows (types.c). */
#ifndef CATALOGD_CFN_INT_H
#define CATALOGD_CFN_INT_H

#include "api/gen/ops_gen.h"
#include "core/jx.h"
#include "engine/engine.h"
#include "res/res.h"
#include "svc/cloudformation/cfn.h"
#include "tpl/tpl.h"

#define CFN_STACK    "cfn.stack"    /* id = StackId ARN; name = StackName while it lives */
#define CFN_RESOURCE "cfn.resource" /* id = "<StackId>|<LogicalId>", parent = StackId */
#define CFN_EVENT    "cfn.event"    /* id = EventId, parent = StackId */
#define CFN_JOB      "cfn.stack"

/* Loads a stack by name (the live one) or StackId ARN (live or deleted). ValidationError
 * "Stack with id X does not exist" when absent. *out owned by the caller. */
err_t cfn_stack_find(store_tx_t *tx, const char *account, const char *name_or_id, bool live_only,
                     cJSON **out, errbuf_t *eb);
err_t cfn_stack_save(store_tx_t *tx, const char *account, const cJSON *stack, int64_t now_ms,
                     errbuf_t *eb);
/* Sets StackStatus (+ StackStatusReason when reason is non-NULL; "" clears it). */
void cfn_set_status(cJSON *stack, const char *status, const char *reason);
/* Records a stack event (the stack's own when logical_id is NULL). */
err_t cfn_event(app_t *app, store_tx_t *tx, const cJSON *stack, const char *logical_id,
                const char *physical_id, const char *type, const char *status, const char *reason,
                const cJSON *properties, errbuf_t *eb);
/* The values of the template's AWS-specific parameter types that name existing resources
 * (AWS::EC2::KeyPair::KeyName, VPC::Id, Subnet::Id, SecurityGroup::Id, Instance::Id,
 * Volume::Id, Image::Id, and List<> of them) looked up as the caller through EC2:
 * ValidationError "Parameter validation failed: parameter value V for parameter name N
 * does not exist" for one EC2 does not know (params_aws.c). */
err_t cfn_check_aws_params(api_ctx_t *c, const tpl_t *t, const cJSON *bound);

/* Resources of a stack (bodies), oldest first; *out owns the array. */
err_t cfn_resources(store_tx_t *tx, const char *account, const char *stack_id, cJSON **out,
                    errbuf_t *eb);
/* Saves a resource's record (inserting it when insert), keyed by stack and logical id. */
err_t cfn_resource_save(store_tx_t *tx, const char *account, const char *stack_id, cJSON *res,
                        int64_t now_ms, bool insert, errbuf_t *eb);
/* Deletes a resource's record (absent is fine). */
err_t cfn_resource_delete(store_tx_t *tx, const char *account, const char *stack_id,
                          const char *logical_id, errbuf_t *eb);

/* The members of a stack DescribeStacks shows that UpdateStack may change (NULL-ended):
 * kept in _PrevShown by UpdateStack, put back by an update's rollback. */
extern const char *const cfn_shown[];

/* Starts operation op ("create", "update", "delete") on the stack: enqueues its job. */
err_t cfn_start(app_t *app, store_tx_t *tx, const cJSON *stack, const char *op, errbuf_t *eb);

/* ---- resource types (types.c). Each call runs in the step's transaction, through the
 * in-process client as the stack's principal. */
typedef struct cfn_step {
    app_t *app;
    store_tx_t *tx;
    arena_t *arena;
    errbuf_t *eb;
    const auth_principal_t *as;
    const cJSON *stack;
    unsigned *post;     /* the job step's after-commit flags (engine_run_t.post) */
    const char *job_id; /* the stack's job: a check may engine_watch what it waits for */
    bool watched;       /* ... and says so here (the job then polls only as a fallback) */
} cfn_step_t;

typedef enum cfn_progress { CFN_PENDING, CFN_DONE, CFN_FAILED } cfn_progress_t;

typedef struct cfn_type {
    const char *name;
    /* Creates the resource from evaluated props: sets PhysicalResourceId (and _Attrs) in res. */
    err_t (*create)(cfn_step_t *s, cJSON *res, const cJSON *props);
    /* Has the create/delete settled? reason receives a failure's text. */
    err_t (*check)(cfn_step_t *s, cJSON *res, bool deleting, cfn_progress_t *p, char *reason,
                   size_t cap);
    err_t (*remove)(cfn_step_t *s, cJSON *res);
    /* Applies changed props in place; *replace asks for replacement instead. */
    err_t (*update)(cfn_step_t *s, cJSON *res, const cJSON *old_props, const cJSON *props,
                    bool *replace);
} cfn_type_t;

/* The type named `name`, or NULL (with the supported list in the message). */
const cfn_type_t *cfn_type(const char *name);
/* "AWS::EC2::Instance, AWS::SSM::Document, AWS::CloudFormation::WaitConditionHandle" */
const char *cfn_supported_types(void);

#endif
