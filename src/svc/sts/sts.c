/* sts.c - AWS Security Token Service operations. */
#include "api/gen/ops_gen.h"

/* GetCallerIdentity: who the signature says you are. Needs no permission on AWS. */
err_t sts_get_caller_identity(api_ctx_t *ctx)
{
    cJSON_AddStringToObject(ctx->out, "UserId", ctx->caller->user_id);
    cJSON_AddStringToObject(ctx->out, "Account", ctx->caller->account);
    cJSON_AddStringToObject(ctx->out, "Arn", ctx->caller->arn);
    return ERR_OK;
}
