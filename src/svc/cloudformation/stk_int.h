/* stk_int.h - what the stack job's two files share (stack_job.c: the step, create and
 * update, the give-up; stack_undo.c: deleting, rolling back and restoring). Private to
 * them: the rest of the module uses cfn_int.h. */
#ifndef CATALOGD_SVC_CLOUDFORMATION_STK_INT_H
#define CATALOGD_SVC_CLOUDFORMATION_STK_INT_H

#include "svc/cloudformation/cfn_int.h"

#define CFN_POLL_MS         100
#define CFN_WATCHED_POLL_MS 2000 /* the watched resource wakes the job itself */
#define CFN_WAIT_MS(k)      ((k)->s.watched ? CFN_WATCHED_POLL_MS : CFN_POLL_MS)

/* Everything one step works with. */
typedef struct stk {
    engine_run_t *r;
    app_t *app;
    app_where_t where; /* the stack's account and region (its StackId's) */
    cfn_step_t s;
    cJSON *stack;
    cJSON *resources; /* bodies, by creation */
    tpl_t *tpl;
    tpl_ctx_t ctx;
    cJSON *conds;
    auth_principal_t who;
    int64_t now;
    int64_t seq;
} stk_t;

/* ---- stack_job.c: resource bookkeeping (see each definition's contract) */
err_t stk_check(stk_t *k, const cfn_type_t *type, cJSON *res, bool deleting, cfn_progress_t *p,
                char *reason, size_t cap);
err_t stk_end_failed(stk_t *k, const char *status, const char *verb, const char *logical);
err_t stk_res_save(stk_t *k, cJSON *res, bool insert);
err_t stk_res_status(stk_t *k, cJSON *res, const char *status, const char *reason,
                     const cJSON *props);
err_t stk_settle(stk_t *k, err_t rc, bool *refused, char *reason, size_t cap);

/* ---- stack_undo.c: deleting, rolling back, restoring */
err_t stk_delete_some(stk_t *k, bool (*want)(stk_t *, const cJSON *), bool *busy);
err_t stk_drop_replaced(stk_t *k, bool *busy);
err_t stk_restore_in_place(stk_t *k, bool *busy);
void stk_restore_previous(stk_t *k);
err_t stk_restore_replaced(stk_t *k, bool *busy);
bool stk_want_all(stk_t *k, const cJSON *r);
bool stk_want_created_now(stk_t *k, const cJSON *r);
bool stk_want_removed(stk_t *k, const cJSON *r);

#endif
