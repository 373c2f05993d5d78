/* portfolio.c - Service Catalog portfolios. */
#include "api/gen/ops_gen.h"

#include "res/res.h"

/* Reads PageToken/PageSize: offset and limit, or InvalidParametersException. */
static err_t sc_page(api_ctx_t *ctx, int64_t *offset, int64_t *limit)
{
    const char *tok = api_in_str(ctx, "PageToken");
    *offset = 0;
    if (tok && *tok && !res_page_offset(tok, offset))
        return err_fail(ctx->eb, ERR_SC_INVALID_PARAMETERS, "The page token is not valid");
    *limit = api_in_int(ctx, "PageSize", 20);
    if (*limit <= 0) *limit = 20;
    return ERR_OK;
}

err_t sc_list_portfolios(api_ctx_t *ctx)
{
    int64_t offset = 0, limit = 20;
    err_t rc = sc_page(ctx, &offset, &limit);
    if (rc) return rc;
    cJSON *list = cJSON_AddArrayToObject(ctx->out, "PortfolioDetails");
    bool more = false;
    res_query_t q = {ctx->app->cfg.account_id, "sc.portfolio", NULL, offset, limit};
    rc = res_list(ctx->tx, &q, list, &more, ctx->eb);
    if (!rc && more) {
        char t[64];
        res_page_token(offset + limit, t);
        cJSON_AddStringToObject(ctx->out, "NextPageToken", t);
    }
    return rc;
}
