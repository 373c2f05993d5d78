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
#define CFN_CHANGESET                                                                              \
    "cfn.changeset"             /* id = ChangeSetId ARN; name = "<StackId>|<ChangeSetName>",       \
                                   parent = StackId (changesets.c) */
#define CFN_EXPORT "cfn.export" /* id = "<region>|<Name>", parent = exporting StackId */
#define CFN_IMPORT "cfn.import" /* id = "<export id>|<StackId>", parent = export id */

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

/* ---- stack policies (stack_policy.c) */
/* ValidationError unless text is a stack policy CloudFormation accepts; with t, a literal
 * LogicalResourceId/<id> must name one of t's resources. */
err_t cfn_stack_policy_check_text(const char *text, const tpl_t *t, errbuf_t *eb);
/* Whether the stack policy `text` (NULL: none, everything allowed) allows action
 * ("Update:Modify", "Update:Replace", "Update:Delete") on resource logical of type `type`;
 * when not, why holds CloudFormation's reason. */
bool cfn_stack_policy_allows(const char *text, const char *action, const char *logical,
                             const char *type, char *why, size_t cap);
/* The request's policy in body_member, checked against t (NULL *out when absent); the URL
 * member is refused with ValidationError (no S3 here to read it from). */
err_t cfn_stack_policy_in(api_ctx_t *c, const char *body_member, const char *url_member,
                          const tpl_t *t, const char **out);
/* The stack-policy action an update of a resource of type `type` from properties old to
 * props is: Update:Replace when its type changes or a changed property always replaces
 * (cfn_type_replaces), else Update:Modify. */
const char *cfn_update_action(const char *type, const cJSON *old, const cJSON *props,
                              bool type_changed);

/* ---- the request side shared by stacks.c, changesets.c and validate.c */

/* The template of a request: TemplateBody, or TemplateURL fetched (bounded). */
err_t cfn_template_text(api_ctx_t *c, const char **text);
/* The request's Parameters ([{ParameterKey, ParameterValue, UsePreviousValue}]) as
 * {key: value}, UsePreviousValue read from previous (bound values; may be NULL). */
cJSON *cfn_given_params(api_ctx_t *c, const cJSON *previous);
/* The Parameters list a Stack or ChangeSet shows (NoEcho values masked). */
cJSON *cfn_stack_params(const tpl_t *t, const cJSON *bound);
/* ValidationError unless the conditions evaluate and the resources have a creation order
 * (no cycle, no dependency on a resource whose condition is false). */
err_t cfn_check_order(api_ctx_t *c, const tpl_t *t, const cJSON *bound, const char *name);
/* ValidationError unless name matches [a-zA-Z][-a-zA-Z0-9]*, at most 128 (member: the
 * request member named in the message, "stackName", "changeSetName"). */
err_t cfn_check_name(api_ctx_t *c, const char *name, const char *member);
/* Whether a stack in status may be updated (or have an UPDATE change set). */
bool cfn_updatable(const char *status);
/* CreateStack's work for a stack of the request, which exists in REVIEW_IN_PROGRESS when
 * review is given (an executed CREATE change set: its StackId is kept). */
err_t cfn_create_stack_in(api_ctx_t *c, cJSON *review);

/* ---- validate.c */

/* The capabilities template t requires (CAPABILITY_IAM or CAPABILITY_NAMED_IAM for IAM
 * resources, the latter when one is named; CAPABILITY_AUTO_EXPAND for a Transform), as a
 * new array of strings, and the reason text in *reason (arena; NULL when none). */
cJSON *cfn_required_caps(const tpl_t *t, arena_t *arena, const char **reason);
/* InsufficientCapabilitiesException "Requires capabilities : [X]" unless the request's
 * Capabilities grant what t requires (CAPABILITY_NAMED_IAM covers CAPABILITY_IAM). */
err_t cfn_check_caps(api_ctx_t *c, const tpl_t *t);

/* ---- changes.c, changesets.c */

/* The Changes of applying template t (parameters bound) to stack (its resources and
 * _Template; none for a CREATE change set's stack): *out a new array of {"Type":
 * "Resource", "ResourceChange"} (also on failure). ERR_VALIDATION when t cannot be
 * evaluated: the change set FAILS with that text. */
err_t cfn_changes(api_ctx_t *c, const cJSON *stack, const tpl_t *t, const cJSON *bound,
                  cJSON **out);

/* The stack was updated other than by its change set except_id (NULL: none): its change
 * sets that could still be executed become OBSOLETE; an executed one keeps the outcome the
 * stack shows now. A DELETE_COMPLETE stack's change sets are deleted. */
err_t cfn_changesets_obsolete(app_t *app, store_tx_t *tx, const cJSON *stack, const char *except_id,
                              errbuf_t *eb);

/* Where stack acts: the account and region of its StackId, and their scope. */
void cfn_stack_where(const app_t *app, const cJSON *stack, app_where_t *w);
/* The same from a StackId (or a change set's ARN). */
void cfn_id_where(const app_t *app, const char *id, app_where_t *w);
/* Where a request acts, as an app_where_t. */
void cfn_ctx_where(const api_ctx_t *c, app_where_t *w);

/* ---- exports.c (the stack job's side) */

/* Replaces the exports and imports of the stack with those of its outputs (Outputs with
 * ExportName) and template t (its Fn::ImportValue names under ctx; kept in _Imports). A
 * refusal ("Export with name X is already exported by stack Y", "Export X cannot be
 * deleted/updated as it is in use by Y") is ERR_VALIDATION with that text: the operation
 * fails with it. Run it inside a savepoint: a refusal may leave part of it done. */
err_t cfn_exports_publish(app_t *app, store_tx_t *tx, cJSON *stack, const cJSON *outputs,
                          const tpl_t *t, const tpl_ctx_t *ctx, arena_t *arena, errbuf_t *eb);
/* ERR_VALIDATION "No export named X found." when an Fn::ImportValue of t (under ctx) names
 * an export that does not exist. */
err_t cfn_imports_check(app_t *app, store_tx_t *tx, const tpl_t *t, const tpl_ctx_t *ctx,
                        arena_t *arena, errbuf_t *eb);
/* ERR_VALIDATION "Export X cannot be deleted as it is in use by Y" when another stack
 * imports an export of the stack. */
err_t cfn_exports_unused(app_t *app, store_tx_t *tx, const cJSON *stack, arena_t *arena,
                         errbuf_t *eb);
/* Drops the exports and imports of a deleted stack. */
err_t cfn_exports_drop(app_t *app, store_tx_t *tx, cJSON *stack, arena_t *arena, errbuf_t *eb);
/* The value of export name (arena), or NULL when there is none. */
const char *cfn_export_value(const app_where_t *w, store_tx_t *tx, const char *name,
                             arena_t *arena);

/* Starts operation op ("create", "update", "delete") on the stack: enqueues its job. */
err_t cfn_start(app_t *app, store_tx_t *tx, const cJSON *stack, const char *op, errbuf_t *eb);
/* Registers the stack set operations' job kind (stackset_job.c; from cfn_register_jobs). */
void cfn_register_stackset_jobs(app_t *app);
/* After a stack was saved in status (CREATE_, UPDATE_, UPDATE_ROLLBACK_ or
 * DELETE_IN_PROGRESS): the user-initiated event, the job that carries out op (cfn_start),
 * and a wake-up for the engine once the request commits. */
err_t cfn_kickoff(api_ctx_t *c, const cJSON *s, const char *op, const char *status);

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

/* Whether changing property prop of a resource of type `type` replaces the resource, as
 * AWS's resource reference says ("Update requires: Replacement" is ALWAYS, "Some
 * interruptions"/"No interruption" NEVER, depends-on-value CONDITIONALLY; a type catalogd
 * does not know: CONDITIONALLY). The change sets' Replacement column (replaces.c). */
typedef enum cfn_recreate {
    CFN_RECREATE_NEVER,
    CFN_RECREATE_CONDITIONALLY,
    CFN_RECREATE_ALWAYS
} cfn_recreate_t;
cfn_recreate_t cfn_type_replaces(const char *type, const char *prop);

/* The type named `name`, or NULL (with the supported list in the message). */
const cfn_type_t *cfn_type(const char *name);
/* From the type table (types_int.h): 1 when changing property prop of a resource of type
 * `type` replaces it here, 0 when it is updated in place, -1 for a type the table does
 * not hold. What change sets can show as Replacement, read from the rows the stack job
 * itself follows. */
int cfn_table_replaces(const char *type, const char *prop);
/* "AWS::EC2::Instance, AWS::IAM::Role, ...": every type the table holds. */
const char *cfn_supported_types(void);

#endif
