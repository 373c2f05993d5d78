/* maint_int.h - shared pieces of Systems Manager maintenance windows (maint.c: windows,
 * schedules, idempotent creates; maint_reg.c: their targets and tasks) and patch baselines
 * (patch.c). Records: "ssm.mwindow" (id = WindowId), "ssm.mwtarget" and "ssm.mwtask" (id =
 * WindowTargetId / WindowTaskId, parent = WindowId), "ssm.baseline" (id = BaselineId). Each
 * body is the API's shape plus "_Request", the create request a ClientToken repeats; a
 * create with a ClientToken names its row "tok:<token>". */
#ifndef CATALOGD_SSM_MAINT_INT_H
#define CATALOGD_SSM_MAINT_INT_H

#include "svc/ssm/ssm_int.h"

#define SSM_MW          "ssm.mwindow"
#define SSM_MW_TARGET   "ssm.mwtarget"
#define SSM_MW_TASK     "ssm.mwtask"
#define SSM_BASELINE    "ssm.baseline"
#define SSM_MW_MAX      50  /* maintenance windows per account (AWS's default quota) */
#define SSM_MW_MAX_REGS 100 /* targets, and tasks, per window */

/* ClientToken idempotency of a create of kind: when the request's ClientToken was used
 * before, *id is the earlier create's id (member idm of its body) if the request is the same
 * one, else IdempotentParameterMismatch. *id NULL: create; *row_name is then the name the
 * new row takes ("tok:<token>", arena) or NULL without a token. */
err_t ssm_mw_token(api_ctx_t *c, const char *kind, const char *idm, const char **id,
                   const char **row_name);
/* The request as the "_Request" a new body keeps (the input without its ClientToken). */
cJSON *ssm_mw_request(const api_ctx_t *c);

/* Adds to c->out every API member of stored body b (its "_" members left out). */
void ssm_mw_answer(api_ctx_t *c, const cJSON *b);
/* Adds under member `list` of c->out one item per body of items, trimmed to the members
 * shown (NULL-ended). */
void ssm_mw_items(api_ctx_t *c, const char *list, const cJSON *items, const char *const *shown);

/* Loads the account's window id: DoesNotExistException "Maintenance window <id> does not
 * exist" when absent. *w owned by the caller. */
err_t ssm_mw_load(api_ctx_t *c, const char *id, cJSON **w);

/* Removes every target and task of window id (when the window is deleted). */
err_t ssm_mw_drop_regs(api_ctx_t *c, const char *id);

/* A filter list {Key, Values} (member name of the input) checked against the keys allowed
 * (NULL-ended): ValidationException for another key. */
err_t ssm_mw_filter_keys(api_ctx_t *c, const char *name, const char *const *allowed);
/* Whether value passes the filters of key in the input's list `name` (a key the list does
 * not name passes; one it names passes when value equals one of its Values). */
bool ssm_mw_filter_pass(const api_ctx_t *c, const char *name, const char *key, const char *value);

#endif
