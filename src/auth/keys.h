/* keys.h - access keys: lookup (with a cache) for SigV4, creation for IAM, and the
 * account root key bootstrapped on first start. Secrets are sealed in the store. */
#ifndef CATALOGD_KEYS_H
#define CATALOGD_KEYS_H

#include "auth/principal.h"
#include "auth/seal.h"
#include "auth/sigv4.h"
#include "core/clk.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/span.h"
#include "store/store.h"

typedef struct auth_keys auth_keys_t;

/* Fills *who for a non-root key row (kind "user" or "session") of account (the row's: a
 * key authenticates a principal of the account it was issued in); provided by the IAM
 * module. Returns ERR_INVALID_CLIENT_TOKEN when the principal no longer exists. */
typedef err_t (*auth_resolve_fn)(void *ud, store_tx_t *tx, const char *account, const char *kind,
                                 const char *principal, auth_principal_t *who, errbuf_t *eb);

typedef struct auth_keys_opts {
    store_t *store;
    const char *data_dir;
    const char *seal_key_file; /* NULL or "": <data_dir>/master.key */
    const char *account;
    ids_t *ids;
    auth_resolve_fn resolve; /* may be NULL until IAM is wired */
    void *resolve_ud;
    /* A cached lookup older than this (by the now_ms lookups are given) is read again from
     * the store; 0 keeps it until auth_keys_invalidate. The safety net of a store other
     * nodes change too (1000 on PostgreSQL): a key deactivated through another node is
     * refused here within that time even when its invalidation never arrived. */
    int64_t max_age_ms;
} auth_keys_opts_t;

err_t auth_keys_open(const auth_keys_opts_t *o, auth_keys_t **out, errbuf_t *eb);
void auth_keys_close(auth_keys_t *k); /* NULL is fine */
void auth_keys_set_resolver(auth_keys_t *k, auth_resolve_fn fn, void *ud);

/* Resolves access_key to its secret (NUL-terminated into secret, 128 bytes) and principal,
 * from the cache when it holds a lookup made since the last invalidation and, with
 * max_age_ms, less than max_age_ms before now_ms (a clock gone back reads it again).
 * ERR_INVALID_CLIENT_TOKEN for an unknown or inactive key or a session key presented
 * without its token (or with another one); ERR_EXPIRED_TOKEN for an expired session. */
err_t auth_keys_lookup(auth_keys_t *k, span_t access_key, span_t session_token, int64_t now_ms,
                       char secret[128], auth_principal_t *who, errbuf_t *eb);
/* Drops cached lookups; call after committing any change to access keys or principals. */
void auth_keys_invalidate(auth_keys_t *k);
/* The generation auth_keys_invalidate advances (never 0): what other caches of
 * principal-derived data (iam/grants.h) are tagged with, so that the one invalidation
 * drops them too. */
uint64_t auth_keys_generation(auth_keys_t *k);
/* The memo of derived SigV4 signing keys for requests signed with these keys (for
 * sigv4_verify_cached; never NULL, owned by k). It needs no invalidation: an entry serves
 * only the very secret it was derived from, and only after auth_keys_lookup accepted the key. */
sigv4_keycache_t *auth_keys_signing_keys(auth_keys_t *k);

/* Notes that who's long-term access key authenticated a request to service in region at
 * now_ms (session keys are not IAM access keys and are ignored). Costs a hash probe under
 * the cache mutex: a background thread writes a key's use to the store at most once a
 * minute (and what is left when the keys close), in its own transaction, so a request never
 * writes for it. Best effort: a use that cannot be stored is logged and dropped. */
void auth_keys_note_use(auth_keys_t *k, const auth_principal_t *who, const char *service,
                        const char *region, int64_t now_ms);
/* The latest use of key id noted in this process, which the store may not have yet: true
 * with *used_ms, service and region (32 bytes each) filled; false when none is known. */
bool auth_keys_last_use(auth_keys_t *k, const char *id, int64_t *used_ms, char service[32],
                        char region[32]);

/* Ensures the root access key of the default account (opts.account) exists: env_id/env_secret when
 * given (both), otherwise a generated pair on the very first start, written to
 * <data_dir>/root-credentials (0600). *generated tells whether a new key was made; id_out (32
 * bytes) gets the key id. */
err_t auth_bootstrap_root(auth_keys_t *k, const char *env_id, const char *env_secret,
                          bool *generated, char id_out[32], errbuf_t *eb);

/* The sealing key of this data directory (for other secrets at rest: SecureString
 * parameters); owned by k. */
const seal_t *auth_keys_seal(const auth_keys_t *k);

/* Inserts an access key row of account in tx with secret sealed. kind: "root" | "user" |
 * "session". */
err_t auth_keys_insert(auth_keys_t *k, store_tx_t *tx, const char *account, const char *id,
                       const char *secret, const char *kind, const char *principal,
                       const char *token, int64_t expires_ms, int64_t now_ms, errbuf_t *eb);
/* Makes a new root access key for account in tx (any account: every account has its own
 * root user): id (32 bytes) and secret (64 bytes) get the pair, which is shown once and
 * kept only sealed. */
err_t auth_keys_new_root(auth_keys_t *k, store_tx_t *tx, const char *account, char id[32],
                         char secret[64], int64_t now_ms, errbuf_t *eb);
/* New random key id (AKIA/ASIA + 16) and 40-character secret. */
void auth_keys_generate(ids_t *ids, const char *prefix, char id[32], char secret[64]);

#endif
