/* ec2_int.h - shared pieces of the EC2 handlers: instance records (kind "ec2.instance",
 * body shaped like the model's Instance plus internal "_"-members the encoder drops),
 * the state machine, and the transitions that run as durable jobs (provider.c). */
#ifndef CATALOGD_EC2_INT_H
#define CATALOGD_EC2_INT_H

#include "api/gen/ops_gen.h"
#include "core/jx.h"
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
 * that completes it through the instance's provider. The caller saves inst. */
err_t ec2_transition(app_t *app, store_tx_t *tx, cJSON *inst, const char *action, errbuf_t *eb);

#endif
