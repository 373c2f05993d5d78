/* identity.h - who a principal is and what it may do: resolves access keys of users and
 * sessions to principals, gathers the policies that apply to a principal (its own,
 * its groups', managed and inline, permissions boundary, session policies) and decides
 * a request as AWS does (../shared/reference/aws-api.md §7). */
#ifndef CATALOGD_IDENTITY_H
#define CATALOGD_IDENTITY_H

#include "auth/principal.h"
#include "core/arena.h"
#include "core/err.h"
#include "iam/policy.h"
#include "store/store.h"

#include <cjson/cJSON.h>

/* auth_resolve_fn for auth/keys.c: kind "user" (principal = UserId) or "session"
 * (principal = the session's JSON record) of account, the key row's (ud unused). */
err_t iam_identity_resolve(void *ud, store_tx_t *tx, const char *account, const char *kind,
                           const char *principal, auth_principal_t *who, errbuf_t *eb);

/* The stored body of the IAM user, group, role or instance profile (type "user", "group",
 * "role" or "instance-profile") called
 * name, in any case (with its "Arn", "Path", id, ...); *out NULL when there is none.
 * What other modules read of IAM's entities instead of IAM's tables. *out is the
 * caller's. */
err_t iam_identity_find(store_tx_t *tx, const char *account, const char *type, const char *name,
                        cJSON **out, errbuf_t *eb);

/* The console's view of IAM user `name` (any case) of account: the Argon2id hash of its
 * login profile into hash (cap bytes) and the user as a principal into who, *found
 * true. A missing user or login profile is *found false, not an error. */
err_t iam_identity_login(store_tx_t *tx, const char *account, const char *name, char *hash,
                         size_t cap, auth_principal_t *who, bool *found, errbuf_t *eb);

/* True when password is the one encoded (an Argon2id hash, as login profiles keep). */
bool iam_login_verify(const char *encoded, const char *password);

/* The document of managed policy arn's default version, copied into arena; *doc is NULL
 * when the policy does not exist. AWS managed policies are found under account "aws". */
err_t iam_managed_policy_doc(store_tx_t *tx, const char *account, const char *arn, arena_t *arena,
                             char **doc, errbuf_t *eb);

/* Every policy that applies to who, parsed. The set and its policies live until
 * iam_policies_free. Policies that no longer parse are skipped (they were valid when
 * stored; the parser only grew stricter). */
typedef struct iam_policies {
    policy_set_t set;
    policy_t **all; /* everything to free */
    size_t n_all;
    const policy_t **identity;
    const policy_t **session;
} iam_policies_t;

err_t iam_policies_load(store_tx_t *tx, const auth_principal_t *who, arena_t *arena,
                        iam_policies_t *out, errbuf_t *eb);
void iam_policies_free(iam_policies_t *p);

/* Tags of a user or role, as "aws:PrincipalTag/<key>" context material: a cJSON array
 * of {"Key","Value"} (NULL when none). */
cJSON *iam_principal_tags(store_tx_t *tx, const auth_principal_t *who, errbuf_t *eb);

/* The permissions boundary document of a user or role body e, copied into arena: *doc is
 * NULL when e has no boundary, and a policy allowing nothing when its boundary policy no
 * longer exists (a boundary never widens by vanishing). Store errors as they come. */
err_t iam_boundary_doc(store_tx_t *tx, const char *account, const cJSON *e, arena_t *arena,
                       char **doc, errbuf_t *eb);

/* What a session is, beside whose (flags of iam_session_record). */
enum iam_session_flag {
    IAM_SESSION_ROOT = 1 << 0,      /* the account root's own session (no role, no user) */
    IAM_SESSION_TOKEN = 1 << 1,     /* issued by sts:GetSessionToken: see auth_principal_t */
    IAM_SESSION_FEDERATED = 1 << 2, /* sts:GetFederationToken: the user's (or root's)
                                       permissions narrowed by the session policies, nothing
                                       without one; session is the federated user's name */
};

/* Builds the JSON record stored for a session access key (the caller cJSON_free()s it):
 * a role session (role_id), or a session of a user (user_id) or of the root (flags
 * IAM_SESSION_ROOT) acting as itself. NULL arguments are left out. */
char *iam_session_record(const char *role_id, const char *user_id, const char *session,
                         const char *inline_policy, const cJSON *policy_arns,
                         const char *source_arn, unsigned flags);
/* record (from iam_session_record) with the moment mfa_ms at which its caller proved an
 * MFA code (0: none, record returned as it is); record is consumed. */
char *iam_session_record_mfa(char *record, int64_t mfa_ms);

#endif
