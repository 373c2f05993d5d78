/* authz.c - authorization of every call. The account root bypasses identity policies,
 * as on AWS. IAM policy evaluation for users and role sessions plugs in here (iam/). */
#include "api/api.h"

#include <string.h>

err_t api_authorize(app_t *app, const api_call_t *call, store_tx_t *tx, errbuf_t *eb)
{
    const auth_principal_t *who = call->caller;
    if (who->kind == AUTH_ROOT || who->kind == AUTH_SERVICE) return ERR_OK;
    /* No other principal can authenticate until IAM users and roles exist; refuse
     * rather than guess. */
    return err_fail(eb, ERR_ACCESS_DENIED,
                    "User: %s is not authorized to perform: %s on resource: %s because no "
                    "identity-based policy allows the %s action",
                    who->arn, call->op->action, "*", call->op->action);
}
