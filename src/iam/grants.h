/* grants.h - what a principal may do, shared between its requests: the parsed policy set
 * (iam_policies_load) and the tags (iam_principal_tags) every authorization of a non-root
 * caller needs, kept per principal and per generation of the access key cache
 * (auth_keys_generation), which every committed IAM change advances
 * (API_POST_AUTH_CHANGED). A request thus reads and parses a principal's policies once per
 * IAM change instead of on every call. */
#ifndef CATALOGD_IAM_GRANTS_H
#define CATALOGD_IAM_GRANTS_H

#include "iam/identity.h"

#include <stdint.h>

/* One principal's grants: read-only once made, shared by every thread holding them. */
typedef struct iam_grants {
    iam_policies_t pol; /* pol.set is what policy_decide reads */
    cJSON *tags;        /* the principal's tags, an array of {"Key","Value"}; NULL when none */
} iam_grants_t;

typedef struct iam_grants_cache iam_grants_cache_t;

/* A cache of grants (a fixed number of slots). max_age_ms > 0: grants loaded longer than
 * that ago are read again (the safety net of a store other nodes change, as for access
 * keys); 0 keeps them until the generation moves. */
iam_grants_cache_t *iam_grants_cache_new(int64_t max_age_ms);
void iam_grants_cache_free(iam_grants_cache_t *c); /* NULL is fine; no grants may be held */

/* who's grants, as read in tx, into *out (release with iam_grants_release). gen is the
 * generation read BEFORE tx's snapshot was taken: grants cached at gen serve only callers
 * that read the same gen, so a change committed (and its generation advanced) before a
 * call began is always seen by that call. gen 0 (or c NULL) bypasses the cache: the grants
 * are read from tx and belong to the caller alone (for calls inside a transaction that may
 * itself have changed IAM). Store errors as iam_policies_load returns them. */
err_t iam_grants_get(iam_grants_cache_t *c, uint64_t gen, int64_t now_ms, store_tx_t *tx,
                     const auth_principal_t *who, const iam_grants_t **out, errbuf_t *eb);
void iam_grants_release(iam_grants_cache_t *c, const iam_grants_t *g); /* NULL is fine */

#endif
