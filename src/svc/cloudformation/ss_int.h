/* ss_int.h - what the StackSets files share (stacksets.c: the operations; stackset_job.c:
 * the job that carries an operation out, target by target). Records, under the
 * administrator's scope: the stack set (CFN_STACKSET, id StackSetId "<name>:<uuid>", name
 * StackSetName while ACTIVE; a StackSet body plus _Running, the operation under way),
 * each stack instance (CFN_SSINST, id "<StackSetId>|<account>|<region>", parent the set; a
 * StackInstance body), each operation (CFN_SSOP, id "<StackSetId>|<OperationId>", parent
 * the set; a StackSetOperation body plus _Results, the targets in order with their Status,
 * StatusReason and _StackId, and _Principal, who asked). */
#ifndef CATALOGD_SVC_CLOUDFORMATION_SS_INT_H
#define CATALOGD_SVC_CLOUDFORMATION_SS_INT_H

#include "svc/cloudformation/cfn_int.h"

#define CFN_STACKSET  "cfn.stackset"
#define CFN_SSINST    "cfn.ssinstance"
#define CFN_SSOP      "cfn.ssoperation"
#define CFN_SSJOB     "cfn.stackset"
#define SS_ADMIN_ROLE "AWSCloudFormationStackSetAdministrationRole"
#define SS_EXEC_ROLE  "AWSCloudFormationStackSetExecutionRole"
#define SS_POLL_MS    500

/* The stack set named (live, or any when !live_only) or with that StackSetId;
 * StackSetNotFoundException when there is none. *out owned by the caller. */
err_t ss_find(api_ctx_t *c, const char *name_or_id, bool live_only, cJSON **out);
err_t ss_save(store_tx_t *tx, const char *scope, const cJSON *set, int64_t now, errbuf_t *eb);
/* Record ids (arena text). */
const char *ss_instance_id(const char *set_id, const char *account, const char *region, arena_t *a);
const char *ss_op_id(const char *set_id, const char *op_id, arena_t *a);
/* Enqueues the job of operation op_id of set_id, in c's account and region. */
err_t ss_job_start(api_ctx_t *c, const char *set_id, const char *op_id);

#endif
