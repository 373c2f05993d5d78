/* ec2_int.h - shared pieces of the EC2 handlers: instance records (kind "ec2.instance",
 * body shaped like the model's Instance plus internal "_"-members the encoder drops),
 * the state machine, and the transitions that run as durable jobs (provider.c). */
#ifndef CATALOGD_EC2_INT_H
#define CATALOGD_EC2_INT_H

#include "api/gen/ops_gen.h"
#include "core/jx.h"
#include "engine/engine.h"
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

/* The tags TagSpecifications give a resource of type (e.g. "instance"); untyped: also
 * those of specifications without a ResourceType. New array. */
cJSON *ec2_spec_tags(const cJSON *in, const char *type, bool untyped);

/* ---- filters (Describe* Filters: values ORed within a filter, filters ANDed, * and ?
 * wildcards). A filter function puts the values res has for filter `name` into vals (at
 * most cap; scratch holds 16 bytes for a number) and answers how many, or -1 for a filter
 * it does not know (InvalidParameterValue "The filter 'x' is invalid"). */
typedef int (*ec2_filter_fn)(const cJSON *res, const char *name, const char **vals, int cap,
                             char *scratch);
err_t ec2_filter_match(api_ctx_t *c, const cJSON *res, const cJSON *filters, ec2_filter_fn fn,
                       bool *ok);
/* The tag filters every taggable resource has: tag:<key>, tag-key, tag-value (-1 otherwise). */
int ec2_tag_filter_values(const cJSON *res, const char *name, const char **vals, int cap);

/* ---- images (images.c): kind "ec2.image" (the account's own, body shaped like the
 * model's Image, row name = image name) and the public catalogue (data/ec2-images,
 * compiled into gen/images_gen.c as JSON objects without ids). */
#define EC2_IMAGE     "ec2.image"
#define EC2_IMAGE_JOB "ec2.image"
extern const char *const ec2_public_images[];
extern const size_t ec2_n_public_images;
/* AWS's public parameters that name catalogue images (an image's "Parameters" in the data
 * file), sorted by name. */
typedef struct ec2_public_param {
    const char *name;
    size_t image; /* index into ec2_public_images */
} ec2_public_param_t;
extern const ec2_public_param_t ec2_public_params[];
extern const size_t ec2_n_public_params;

/* An image of the account or the catalogue by id (*out NULL when neither has it). */
err_t ec2_image_find(api_ctx_t *c, const char *id, cJSON **out);
/* The image RunInstances launches: ec2_image_find; InvalidAMIID.Malformed for an id
 * that is not ami- and 8 or 17 hex digits, InvalidAMIID.NotFound for one that is neither
 * in the catalogue nor the account's, InvalidAMIID.Unavailable for one that is not
 * available (pending, failed). */
err_t ec2_image_for_launch(api_ctx_t *c, const char *id, cJSON **out);

/* The image job's step and give-up hook (images.c). */
err_t ec2_image_step(engine_run_t *r);
err_t ec2_image_giveup(engine_run_t *r, const char *why);

#endif
