/* provider.c - instance transitions as durable jobs ("ec2.transition"), completed by the
 * instance's provider: `emulated` (the state changes after --ec2-delay-ms) or `exec` (an
 * operator command per transition runs exactly once, detached; its exit status decides).
 * A transition carries the instance's sequence number: a newer request (terminate while
 * stopping) makes an older job moot. */
#include "svc/ec2/ec2_int.h"
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/log.h"
#include "prov/exec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define EC2_POLL_MS 100

static const char *const ec2_actions[] = {"launch", "start", "stop", "reboot", "terminate"};

static int ec2_action_index(const char *a)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(ec2_actions[i], a)) return i;
    return -1;
}

err_t ec2_transition(api_ctx_t *c, cJSON *inst, const char *action, bool *now_done)
{
    app_t *app = c->app;
    int64_t seq = jx_int(inst, "_Seq", 0) + 1;
    cJSON_DeleteItemFromObjectCaseSensitive(inst, "_Seq");
    cJSON_AddNumberToObject(inst, "_Seq", (double)seq);
    const char *provider = jx_str(inst, "_Provider");
    bool emulated = !provider || strcmp(provider, "exec") != 0;
    if (now_done) *now_done = emulated && app->cfg.ec2_delay_ms <= 0;
    if (now_done && *now_done) return ERR_OK; /* the caller ends it (ec2_transition_now) */
    int64_t now = clk_now_ms(&app->clock);
    char payload[384];
    snprintf(payload, sizeof(payload),
             "{\"id\":\"%s\",\"action\":\"%s\",\"seq\":%lld,\"prior\":%d,\"account\":\"%s\","
             "\"region\":\"%s\"}",
             jx_str(inst, "InstanceId"), action, (long long)seq, ec2_state(inst), c->account,
             c->region);
    return engine_enqueue(c->tx, &app->ids, EC2_JOB, payload,
                          now + (emulated ? app->cfg.ec2_delay_ms : 0), 10, NULL, c->eb);
}

/* The environment the exec provider's command gets. */
static const char **ec2_exec_env(engine_run_t *r, const cJSON *inst, const char *action,
                                 const char *run_id)
{
    app_t *app = r->app;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(inst, "Tags");
    size_t n = 10 + (size_t)cJSON_GetArraySize(tags);
    const char **env = arena_zalloc(r->arena, sizeof(*env) * (n + 1));
    size_t k = 0;
    env[k++] = arena_printf(r->arena, "CATALOGD_INSTANCE_ID=%s", jx_str(inst, "InstanceId"));
    env[k++] = arena_printf(r->arena, "CATALOGD_TRANSITION=%s", action);
    env[k++] = arena_printf(r->arena, "CATALOGD_TRANSITION_ID=%s", run_id);
    env[k++] = arena_printf(r->arena, "CATALOGD_IMAGE_ID=%s", jx_str(inst, "ImageId"));
    env[k++] = arena_printf(r->arena, "CATALOGD_INSTANCE_TYPE=%s", jx_str(inst, "InstanceType"));
    env[k++] = arena_printf(r->arena, "CATALOGD_PRIVATE_IP=%s", jx_str(inst, "PrivateIpAddress"));
    app_where_t w;
    app_where_of(app, r->payload, &w);
    env[k++] = arena_printf(r->arena, "CATALOGD_REGION=%s", w.region);
    env[k++] = arena_printf(r->arena, "CATALOGD_ACCOUNT_ID=%s", w.account);
    const char *ud = jx_str(inst, "_UserData");
    if (ud) env[k++] = arena_printf(r->arena, "CATALOGD_USER_DATA=%s", ud);
    for (const cJSON *t = tags ? tags->child : NULL; t && k < n; t = t->next) {
        const char *key = jx_str(t, "Key"), *val = jx_str(t, "Value");
        if (!key) continue;
        char *name = arena_printf(r->arena, "CATALOGD_TAG_%s", key);
        for (char *p = name + 13; *p; p++)
            *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
        env[k++] = arena_printf(r->arena, "%s=%s", name, val ? val : "");
    }
    env[k] = NULL;
    return env;
}

static void ec2_exec_done(void *arg)
{
    const char **a = arg; /* {data_dir, run_id} */
    prov_exec_cleanup(a[0], a[1]);
}

/* The state a transition ends in on success, and on failure: back where it came from, or,
 * when it had overtaken another transition (a forced stop of a pending instance, a
 * terminate while stopping), where that one was heading, since no job is left to finish
 * it and an instance must never stay in a transitional state. */
static int ec2_final_state(int action, int prior, bool ok)
{
    static const int success[] = {EC2_RUNNING, EC2_RUNNING, EC2_STOPPED, EC2_RUNNING,
                                  EC2_TERMINATED};
    if (ok) return success[action];
    if (action == 0) return EC2_TERMINATED; /* a launch that fails never comes up */
    switch (prior) {
    case EC2_PENDING:
        return EC2_RUNNING;
    case EC2_STOPPING:
        return EC2_STOPPED;
    case EC2_SHUTTING_DOWN:
        return EC2_TERMINATED;
    default:
        return prior;
    }
}

/* Ends transition ai of inst in tx (a transition job's, or the request's that started a
 * zero-delay emulated one): the state it lands in, StateReason (reason when it failed),
 * launch and termination times, saved; then whoever waits on the instance (an Automation
 * step, a stack) runs. */
static err_t ec2_transition_end(app_t *app, const char *scope, store_tx_t *tx, arena_t *arena,
                                cJSON *inst, int ai, int prior, bool ok, const char *reason,
                                errbuf_t *eb)
{
    int64_t now = clk_now_ms(&app->clock);
    int to = ec2_final_state(ai, prior, ok);
    ec2_set_state(inst, to);
    if (!ok) {
        ec2_set_reason(inst, "Server.InternalError",
                       arena_printf(arena, "Server.InternalError: %s", reason));
    } else if (to == EC2_STOPPED || to == EC2_TERMINATED) {
        ec2_set_reason(inst, "Client.UserInitiatedShutdown",
                       "Client.UserInitiatedShutdown: User initiated shutdown");
    } else {
        ec2_set_reason(inst, NULL, NULL);
    }
    if (to == EC2_RUNNING && ai == 1) /* restarted: a new launch time (a launch keeps
                                       * the one RunInstances reported) */
        jx_set(inst, "LaunchTime", cJSON_CreateNumber((double)now / 1000.0));
    if (to == EC2_TERMINATED && !cJSON_GetObjectItemCaseSensitive(inst, "_TerminatedAt"))
        cJSON_AddNumberToObject(inst, "_TerminatedAt", (double)now);
    err_t rc = to == EC2_TERMINATED ? ec2_volumes_release(app, scope, tx, inst, now, eb) : ERR_OK;
    if (!rc && to == EC2_TERMINATED) rc = ec2_addresses_release(app, scope, tx, inst, now, eb);
    if (!rc) rc = ec2_save(tx, scope, inst, now, eb);
    if (!rc)
        rc = engine_signal(tx, arena_printf(arena, "ec2.instance:%s", jx_str(inst, "InstanceId")),
                           now, eb);
    if (!ok)
        log_warn("instance transition failed", "\"instance\":\"%s\",\"transition\":\"%s\"",
                 jx_str(inst, "InstanceId"), ec2_actions[ai]);
    return rc;
}

err_t ec2_transition_now(api_ctx_t *c, cJSON *inst, const char *action, int prior)
{
    int ai = ec2_action_index(action);
    if (ai < 0) return err_fail(c->eb, ERR_INTERNAL, "unknown transition %s", action);
    return ec2_transition_end(c->app, c->scope, c->tx, c->arena, inst, ai, prior, true, NULL,
                              c->eb);
}

/* The transition payload's parts; false when it is malformed. */
static bool ec2_payload(engine_run_t *r, const char **id, int *ai, int64_t *seq, int *prior)
{
    cJSON *p = cJSON_Parse(r->payload);
    const char *i = jx_str(p, "id"), *action = jx_str(p, "action");
    *id = i ? arena_strdup(r->arena, i) : NULL;
    *ai = action ? ec2_action_index(action) : -1;
    *seq = jx_int(p, "seq", 0);
    *prior = (int)jx_int(p, "prior", EC2_RUNNING);
    cJSON_Delete(p);
    return *id && *ai >= 0;
}

static err_t ec2_transition_step(engine_run_t *r)
{
    app_t *app = r->app;
    const char *id;
    int ai, prior;
    int64_t seq;
    err_t rc = ERR_OK;
    cJSON *inst = NULL;
    if (!ec2_payload(r, &id, &ai, &seq, &prior)) {
        engine_fail(r);
        return err_fail(r->eb, ERR_INTERNAL, "malformed ec2 transition payload");
    }
    const char *action = ec2_actions[ai];
    app_where_t w;
    app_where_of(app, r->payload, &w);
    /* read the instance before any slow work */
    store_tx_t *rtx;
    rc = store_begin(app->store, false, &rtx, r->eb);
    if (!rc) {
        rc = res_get(rtx, &(res_key_t){w.scope, EC2_INSTANCE, id}, &inst, r->eb);
        store_rollback(rtx);
    }
    if (rc || !inst || jx_int(inst, "_Seq", 0) != seq) {
        /* gone, or a newer transition took over: nothing to do */
        cJSON_Delete(inst);
        if (!rc) engine_done(r);
        return rc;
    }

    bool ok = true;
    char reason[1100] = "";
    const char *provider = jx_str(inst, "_Provider");
    const char *command = app->cfg.ec2_exec[ai];
    if (provider && !strcmp(provider, "exec") && command[0]) {
        if (!engine_pin_first(r)) { /* pinned here before the command starts */
            engine_again(r, r->payload, clk_now_ms(&app->clock));
            cJSON_Delete(inst);
            return ERR_OK;
        }
        char *run_id = arena_printf(r->arena, "%s-%lld-%s", id, (long long)seq, action);
        prov_exec_result_t res;
        rc = prov_exec_poll(app->cfg.data_dir, run_id, command,
                            ec2_exec_env(r, inst, action, run_id), app->cfg.ec2_exec_timeout_s,
                            r->orphaned, &res, r->eb);
        if (!rc && !res.done) { /* the run directory is on this node's disk: pinned */
            engine_again(r, r->payload, clk_now_ms(&app->clock) + EC2_POLL_MS);
            cJSON_Delete(inst);
            return ERR_OK;
        }
        if (!rc) {
            ok = res.exit_code == 0;
            if (!ok)
                snprintf(reason, sizeof(reason), "%s",
                         res.stderr_text[0]
                             ? res.stderr_text
                             : (res.exit_code == 124 ? "the provider command timed out"
                                                     : "the provider command failed"));
            const char **arg = arena_alloc(r->arena, sizeof(*arg) * 2);
            arg[0] = app->cfg.data_dir;
            arg[1] = run_id;
            engine_after_commit(r, ec2_exec_done, arg);
        }
    }
    store_tx_t *tx = rc ? NULL : engine_tx(r, &rc);
    if (tx) {
        /* read again in the write transaction: a request that came in during the slow
         * work (a stop while a reboot's command ran) must not be overwritten by the
         * copy read before it; when it took over, this transition is moot */
        cJSON_Delete(inst);
        inst = NULL;
        rc = res_get(tx, &(res_key_t){w.scope, EC2_INSTANCE, id}, &inst, r->eb);
        if (!rc && inst && jx_int(inst, "_Seq", 0) == seq)
            rc = ec2_transition_end(app, w.scope, tx, r->arena, inst, ai, prior, ok, reason, r->eb);
    }
    if (!rc) engine_done(r);
    cJSON_Delete(inst);
    return rc;
}

/* The transition is set aside: the instance ends where a failed transition would leave it
 * (never in pending / stopping / shutting-down), with the reason in StateReason. A run of
 * the exec provider's command is left in its directory for the operator. */
static err_t ec2_transition_giveup(engine_run_t *r, const char *why)
{
    app_t *app = r->app;
    const char *id;
    int ai, prior;
    int64_t seq;
    if (!ec2_payload(r, &id, &ai, &seq, &prior)) return ERR_OK; /* no instance to close */
    app_where_t w;
    app_where_of(app, r->payload, &w);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    cJSON *inst = NULL;
    if (tx) rc = res_get(tx, &(res_key_t){w.scope, EC2_INSTANCE, id}, &inst, r->eb);
    if (!rc && inst && jx_int(inst, "_Seq", 0) == seq)
        rc = ec2_transition_end(
            app, w.scope, tx, r->arena, inst, ai, prior, false,
            arena_printf(r->arena, "The %s transition %s and was set aside.", ec2_actions[ai], why),
            r->eb);
    cJSON_Delete(inst);
    return rc;
}

void ec2_register_jobs(app_t *app)
{
    engine_register(app->engine, EC2_JOB, ec2_transition_step, 10, ec2_transition_giveup);
    engine_register(app->engine, EC2_IMAGE_JOB, ec2_image_step, 10, ec2_image_giveup);
}
