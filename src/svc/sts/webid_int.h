/* webid_int.h - AssumeRoleWithWebIdentity's own pieces: what a token asks for (the plan:
 * which provider, which keys) and the providers' key sets kept between requests
 * (webid_keys.c). The console's federated sign-in reuses the discovery (sts.h). */
#ifndef CATALOGD_STS_WEBID_INT_H
#define CATALOGD_STS_WEBID_INT_H

#include "api/api.h"
#include "auth/jwt.h"
#include "svc/sts/sts.h"

#define STS_WEBID_KEY_MAX 600
#define STS_WEBID_IDP_UNREACHABLE                                                                  \
    "Couldn't retrieve verification key from your identity provider,  please reference "           \
    "AssumeRoleWithWebIdentity documentation for requirements"

/* Where a token's keys come from: its provider as IAM holds it, and the key it names. */
typedef struct sts_webid_plan {
    const char *account;     /* the role's account, where the provider must be */
    const char *provider_id; /* "host/path": the token's iss without https:// */
    const char *arn;         /* arn:aws:iam::ACCT:oidc-provider/host/path */
    const cJSON *provider;   /* GetOpenIDConnectProvider's output (arena-owned) */
    const char *const *pins; /* its ThumbprintList */
    size_t n_pins;
    const char *alg, *kid; /* the token's (kid NULL when it names none) */
    const char *key;       /* what the keys are kept under: account, provider, thumbprints */
} sts_webid_plan_t;

/* The kept key set under key, unexpired at now_ms (a copy the caller frees), and when it
 * was fetched; NULL when none. */
char *sts_webid_cached(const char *key, int64_t now_ms, int64_t *fetched_ms);

/* The kept key set for plan when it will do (a copy the caller frees): unexpired, and
 * either knowing the token's kid or read less than WEBID_REFETCH_MS ago; else NULL (read
 * it again). */
char *sts_webid_usable(const sts_webid_plan_t *plan, int64_t now_ms);

/* On a fetch thread: the provider's key set into pf (text in arena), from what is kept when
 * it is fresh and knows the token's kid, else fetched (and kept); a failure in pf->rc / eb
 * with the caller's error (IDPCommunicationError, or InvalidIdentityToken for a
 * certificate no thumbprint matches). */
void sts_webid_fetch(app_t *app, const sts_webid_plan_t *plan, arena_t *arena, api_prefetch_t *pf);

/* Reads member (a string) of the provider's discovery document (fetch thread only), into
 * arena. Errors as sts_webid_fetch's. */
err_t sts_webid_discover(app_t *app, const sts_webid_plan_t *plan, const char *member,
                         arena_t *arena, const char **value, errbuf_t *eb);

#endif
