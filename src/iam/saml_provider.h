/* saml_provider.h - IAM's SAML identity providers as STS reads them for
 * AssumeRoleWithSAML: the stored metadata document of a provider by ARN. IAM
 * (svc/iam/saml.c) keeps them. */
#ifndef CATALOGD_IAM_SAML_PROVIDER_H
#define CATALOGD_IAM_SAML_PROVIDER_H

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

/* The SAMLMetadataDocument of provider arn in account, copied into a; *doc NULL when there
 * is no such provider. Store errors as they come. */
err_t iam_saml_provider_doc(store_tx_t *tx, const char *account, const char *arn, arena_t *a,
                            const char **doc, errbuf_t *eb);

#endif
