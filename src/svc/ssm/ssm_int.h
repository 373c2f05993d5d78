/* ssm_int.h - shared pieces of Systems Manager: document records (kind "ssm.document",
 * one per name, and "ssm.docver", one per version; AWS-owned ones under the pseudo-account
 * "aws"), automation executions ("ssm.execution") and the engine job that runs them one
 * step at a time (automation_job.c, actions.c). */
#ifndef CATALOGD_SSM_INT_H
#define CATALOGD_SSM_INT_H

#include "api/gen/ops_gen.h"
#include "core/jx.h"
#include "auto/adoc.h"
#include "engine/engine.h"
#include "res/res.h"
#include "svc/ssm/ssm.h"

#define SSM_DOC       "ssm.document"
#define SSM_DOCVER    "ssm.docver"
#define SSM_EXEC      "ssm.execution"
#define SSM_JOB       "ssm.automation"
#define SSM_AWS       "aws"
#define SSM_MAX_BYTES (64 * 1024)

/* Paging of the list calls by key (res.h): p starts after the NextToken (none or "" is the
 * start), MaxResults (default 50) a page; InvalidNextToken for a token this operation did
 * not issue. */
err_t ssm_page_in(api_ctx_t *c, res_page_t *p);
/* NextToken when more remain. */
void ssm_page_out(api_ctx_t *c, const res_page_t *p);

/* A document and one of its versions: `version` may be NULL/"$DEFAULT", "$LATEST" or a
 * number, or version_name selects by VersionName. Looks in the account, then among the
 * AWS-owned ones. On absence: ERR_SSM_INVALID_DOCUMENT ("The specified document does not
 * exist.") or ERR_SSM_INVALID_VERSION. *doc and *ver are owned by the caller; *aws tells
 * whether it is AWS-owned. */
err_t ssm_doc_load(store_tx_t *tx, const char *account, const char *name, const char *version,
                   const char *version_name, cJSON **doc, cJSON **ver, bool *aws, errbuf_t *eb);

/* Loads the caller's own document `name` for a change: InvalidDocumentOperation for an
 * AWS-owned one, InvalidDocument when there is none. *doc owned by the caller. */
err_t ssm_own_doc(api_ctx_t *c, const char *name, cJSON **doc);

/* The DocumentDescription of a document version (the model's shape). */
cJSON *ssm_doc_description(const cJSON *doc, const cJSON *ver, const char *owner);

/* Converts content between JSON and YAML (to: "JSON" or "YAML"); *out is arena text. */
err_t ssm_convert(const char *content, const char *from, const char *to, arena_t *arena, char **out,
                  errbuf_t *eb);

/* ---- automation (ssm_register_jobs, ssm_exec_watch, ssm_status_terminal: ssm.h) */

/* Execution records (kind SSM_EXEC). Saving one that has reached a terminal status
 * wakes its watchers (ssm_exec_watch). */
err_t ssm_exec_save(store_tx_t *tx, const char *account, const cJSON *e, int64_t now_ms,
                    errbuf_t *eb);
err_t ssm_exec_load(store_tx_t *tx, const char *account, const char *id, cJSON **out, errbuf_t *eb);
/* The indexed key of an execution's status (ssm_register_keys, at start-up) and what it
 * serves: *n = account's executions running (InProgress, Waiting, Cancelling) or queued
 * (Pending), reading only those; and the queue's wake-up: the oldest queued execution
 * (other than except, which may be NULL) has its job brought forward to now_ms, so a
 * freed slot is taken without queued jobs polling for it. */
#define SSM_KEY_STATUS "status"
void ssm_register_keys(void);
/* Parameter Store's part of it (params.c). */
void ssm_param_register_keys(void);
err_t ssm_exec_count(store_tx_t *tx, const char *account, bool running, int64_t *n, errbuf_t *eb);
/* A slot is free: wakes the oldest Pending execution (other than except) whose job still
 * waits. Several ends committed before a woken job runs (one engine batch holds up to 16
 * steps) each wake a different execution, not the same one again; among the 64 oldest
 * Pending, those already woken are passed over. */
err_t ssm_queue_wake(store_tx_t *tx, const char *account, const char *except, int64_t now_ms,
                     errbuf_t *eb);
/* Makes sure the job of record o (its "_Job") runs by at_ms: brings it forward, or
 * enqueues a new one of kind with payload {"id": id} and records it in o (the caller
 * saves o). */
/* Records in an execution's or command's body o where it acts ("_Account", "_Region"):
 * ssm_job_wake hands them to its job (app_where_of). */
void ssm_where_set(cJSON *o, const char *account, const char *region);
err_t ssm_job_wake(app_t *app, store_tx_t *tx, cJSON *o, const char *kind, const char *id,
                   int64_t at_ms, errbuf_t *eb);
/* Makes sure the execution's job runs by at_ms: brings its job forward, or starts a new
 * one (recorded in e's "_Job"; the caller saves e). One job chain per execution. */
err_t ssm_exec_wake(app_t *app, store_tx_t *tx, cJSON *e, int64_t at_ms, errbuf_t *eb);

/* The API's view of bound parameters: every value a list of strings. */
cJSON *ssm_param_strings(const cJSON *bound);

/* Rate control (targets.c). In StartAutomationExecution: with Targets (+
 * TargetParameterName) or TargetMaps, *rate is the parent's plan (children with their
 * Parameters, MaxConcurrency and MaxErrors as counts, and "public": the parent's API
 * fields), else NULL. Errors: InvalidAutomationExecutionParametersException (Targets
 * without TargetParameterName, one the document lacks, Targets with TargetMaps),
 * InvalidTarget (a key other than ParameterValues or tag:<key>, nothing resolved), or
 * what ec2:DescribeInstances answered the caller. */
err_t ssm_rate_plan(api_ctx_t *c, const adoc_t *a, cJSON **rate);
/* One tick of a parent execution e: starts children up to MaxConcurrency unless more
 * than MaxErrors failed, and ends e when none runs (Success, Failed or, after a stop,
 * Cancelled). */
err_t ssm_rate_tick(engine_run_t *r, store_tx_t *tx, cJSON *e, const adoc_t *doc, int64_t now);

/* A StepExecution of step d with what the document says about it (StepName, Action,
 * TimeoutSeconds, OnFailure, MaxAttempts, IsEnd, NextStep, IsCritical) and StepStatus
 * status; the caller adds the run's own members. New object. */
cJSON *ssm_step_shell(const adoc_step_t *d, const char *status);

/* ---- the actions (actions.c): one tick of the current step. */
typedef enum ssm_tick {
    SSM_TICK_DONE,   /* the step succeeded; outputs set */
    SSM_TICK_AGAIN,  /* poll again at *wake_ms */
    SSM_TICK_WAIT,   /* waiting for a signal (pause, approve) */
    SSM_TICK_FAILED, /* the step failed; message in eb */
} ssm_tick_t;

typedef struct ssm_run {
    app_t *app;
    engine_run_t *run;       /* the job step (engine_after_commit) */
    const adoc_vars_t *vars; /* the execution's {{ }} variables */
    const char *job_id;      /* the execution's job (for engine_watch) */
    store_tx_t *tx;
    arena_t *arena;
    errbuf_t *eb;
    unsigned *post;             /* the job step's after-commit flags (engine_run_t.post) */
    const auth_principal_t *as; /* who the step acts as */
    cJSON *exec;                /* the execution */
    cJSON *step;                /* its StepExecution (with "_" state members) */
    const adoc_step_t *def;     /* the step's definition */
    cJSON *inputs;              /* interpolated inputs */
    int64_t now, wake_ms;
    char failure_type[32]; /* "Verification" / "Action" ... for FailureDetails */
} ssm_run_t;

ssm_tick_t ssm_action_tick(ssm_run_t *r);

/* Helpers the action files share (actions.c). */
/* Fails the step: message in r->eb, FailureDetails type `type` ("Verification",
 * "Action"). Returns SSM_TICK_FAILED. */
ssm_tick_t ssm_act_fail(ssm_run_t *r, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Calls service:op as the execution's principal; on failure r->eb holds the sentence a
 * botocore client would print ("An error occurred (Code) when calling the Op operation:
 * message"). *out (the caller's) may be NULL on failure. */
err_t ssm_act_call(ssm_run_t *r, const char *service, const char *op, cJSON *in, cJSON **out);
/* Sets the typed output `name` of the step (takes v). */
void ssm_act_set(ssm_run_t *r, const char *name, cJSON *v);
/* A StringList input as a new array of strings (a single string is one element). */
cJSON *ssm_in_list(const cJSON *in, const char *name);
/* The step's declared outputs ({Name, Selector, Type}) selected from resp. */
void ssm_act_outputs(ssm_run_t *r, const cJSON *resp);
/* Watches "<prefix><id>" (prefix "ec2.instance:") for each id of the list and polls again in 2 s:
 * SSM_TICK_AGAIN, or SSM_TICK_FAILED when a watch cannot be recorded. */
ssm_tick_t ssm_act_watch(ssm_run_t *r, const char *prefix, const cJSON *ids);

/* Whether an aws:branch condition (Variable + operator, And/Or/Not), interpolated,
 * holds. */
bool ssm_choice_holds(const cJSON *c);
/* aws:loop (loop.c). */
ssm_tick_t ssm_act_loop(ssm_run_t *r);

/* aws:executeScript (script.c). */
ssm_tick_t ssm_act_script(ssm_run_t *r);
/* aws:createStack, aws:deleteStack, aws:createTags, aws:runInstances, aws:runCommand
 * (aws_steps.c). */
ssm_tick_t ssm_act_create_stack(ssm_run_t *r);
ssm_tick_t ssm_act_delete_stack(ssm_run_t *r);
ssm_tick_t ssm_act_create_tags(ssm_run_t *r);
ssm_tick_t ssm_act_run_instances(ssm_run_t *r);
ssm_tick_t ssm_act_run_command(ssm_run_t *r);
/* aws:branch: the name of the next step (NULL: go on in order). */
const char *ssm_branch_next(ssm_run_t *r);

#endif
