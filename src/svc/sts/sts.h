/* sts.h - AWS Security Token Service. Besides the operation handlers, catalogd's own
 * services assume roles through sts_assume (as a service principal such as
 * servicecatalog.amazonaws.com), so the role's trust policy decides exactly as it does
 * for a caller's sts:AssumeRole. */
#ifndef CATALOGD_STS_H
#define CATALOGD_STS_H

#include "api/api.h"
#include "app.h"
#include "auth/principal.h"
#include "iam/policy.h"

#include <cjson/cJSON.h>

typedef struct sts_assume_req {
    const auth_principal_t *caller; /* the user or session asking, or NULL for a service */
    const char *service;   /* service principal ("ssm.amazonaws.com") when caller is NULL */
    const char *federated; /* or, when caller and service are NULL, the identity provider of a
                              verified web identity (its IAM ARN): sts:AssumeRoleWithWebIdentity */
    const char *role_arn;
    const char *session_name;
    int64_t duration_s;       /* 0: 3600 */
    const char *policy;       /* inline session policy, or NULL */
    const cJSON *policy_arns; /* [{"arn": ...}], or NULL */
    const char *external_id;
    const char *source_ip;
    const policy_ctx_t *ctx; /* the caller's request context (api_request_context), or NULL */
    const char *account;     /* the caller's account (a service's: the account it works for,
                                whose roles alone it may assume; a caller may assume roles of
                                other accounts that trust it) */
    const char *region;      /* where the session acts in-process (the work's region) */
    int64_t mfa_ms;          /* when the caller proved an MFA code for this call, or 0 */
} sts_assume_req_t;

#define STS_WEBID_ACTION "sts:AssumeRoleWithWebIdentity"

typedef struct sts_creds {
    char access_key[32];
    char secret[64];
    char token[256];
    int64_t expires_ms;
    auth_principal_t who; /* the session's principal */
} sts_creds_t;

/* Adds Credentials (c's keys and expiry) to a handler's output. */
void sts_put_creds(api_ctx_t *ctx, const sts_creds_t *c);

/* The whole authorization of an AssumeRole, and the credentials: the role's trust policy
 * must allow the principal; an IAM caller must not be explicitly denied sts:AssumeRole on
 * the role by its own policies, which must also allow it unless the trust policy names the
 * caller's own ARN (aws-api.md §7.5). Both are decided in req->ctx plus the trust keys
 * (sts:ExternalId, sts:RoleSessionName). Issues temporary credentials in tx.
 * ERR_ACCESS_DENIED with AWS's message when refused (a missing role is refused the same
 * way, as on AWS); ERR_STS_MALFORMED_POLICY / ERR_STS_PACKED_POLICY_TOO_LARGE for a bad
 * session policy; ERR_VALIDATION when DurationSeconds passes the role's MaxSessionDuration,
 * or one hour when a role session assumes a role (role chaining). The role is looked up in
 * the account its ARN names, and the session belongs to that account: a caller of another
 * account needs the trust policy to name its account or ARN and its own policies to allow
 * sts:AssumeRole on the role. */
err_t sts_assume(app_t *app, store_tx_t *tx, const sts_assume_req_t *req, sts_creds_t *out,
                 arena_t *arena, errbuf_t *eb);

/* Issues temporary credentials for who (the account root or an IAM user, by long-term
 * credentials or none, as after a console sign-in) in tx: the session resolves back to
 * that same principal, so its own policies govern every call. Unlike GetSessionToken's
 * credentials these are not held to GetSessionToken's limits (a console session may call
 * IAM). duration_s is not checked against the model's range (the caller picks it); the
 * root user's is capped at 3600. out->who is who with the new access key and expiry.
 * ERR_ACCESS_DENIED for any other principal or for temporary credentials (session tokens
 * come from long-term credentials only); store errors as they come. */
err_t sts_session_token(app_t *app, store_tx_t *tx, const auth_principal_t *who, int64_t duration_s,
                        sts_creds_t *out, errbuf_t *eb);

/* ---- AssumeRoleWithWebIdentity's keys, read before its transaction (api/prefetch.c) */

/* What an AssumeRoleWithWebIdentity input needs fetched: a key (in arena) naming the
 * provider's key set when its token's issuer is an IAM OIDC provider of the role's account
 * and the keys kept for it do not know the token's key; NULL when there is nothing to
 * fetch (the handler then decides from what is kept, or refuses). Reads the store in a
 * transaction of its own; never waits on the network. */
const char *sts_webid_prefetch_key(app_t *app, const cJSON *in, arena_t *arena);
/* On a fetch thread: reads the key set key names (from the provider's discovery document)
 * into pf for the handler, keeping it for later calls; a failure is kept in pf as the
 * caller's AWS error. pf->url must already be key. */
void sts_webid_prefetch(app_t *app, const cJSON *in, const char *key, arena_t *arena,
                        api_prefetch_t *pf);

#endif
