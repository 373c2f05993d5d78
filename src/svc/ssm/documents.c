/* documents.c - Systems Manager documents. */
#include "api/gen/ops_gen.h"

#include "res/res.h"

err_t ssm_list_documents(api_ctx_t *ctx)
{
    const char *tok = api_in_str(ctx, "NextToken");
    int64_t offset = 0;
    if (tok && *tok && !res_page_offset(tok, &offset))
        return err_fail(ctx->eb, ERR_SSM_INVALID_NEXT_TOKEN, "The specified token isn't valid.");
    int64_t limit = api_in_int(ctx, "MaxResults", 50);
    cJSON *list = cJSON_AddArrayToObject(ctx->out, "DocumentIdentifiers");
    bool more = false;
    res_query_t q = {ctx->app->cfg.account_id, "ssm.document", NULL, offset, limit};
    err_t rc = res_list(ctx->tx, &q, list, &more, ctx->eb);
    if (!rc && more) {
        char t[64];
        res_page_token(offset + limit, t);
        cJSON_AddStringToObject(ctx->out, "NextToken", t);
    }
    return rc;
}
