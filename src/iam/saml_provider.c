/* saml_provider.c - reading IAM's SAML providers for STS. */
#include "iam/saml_provider.h"

#include "core/jx.h"
#include "res/res.h"

err_t iam_saml_provider_doc(store_tx_t *tx, const char *account, const char *arn, arena_t *a,
                            const char **doc, errbuf_t *eb)
{
    cJSON *p = NULL;
    err_t rc = res_get(tx, &(res_key_t){account, "iam.saml_provider", arn}, &p, eb);
    const char *d = jx_str(p, "SAMLMetadataDocument");
    *doc = d ? arena_strdup(a, d) : NULL;
    cJSON_Delete(p);
    return rc;
}
