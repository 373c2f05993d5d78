/* sts.h - AWS Security Token Service. Besides the operation handlers, catalogd's own
 * services assume roles through sts_assume (as a service principal such as
 * servicecatalog.amazonaws.com), so the role's trust policy decides exactly as it does
 * for a caller's sts:AssumeRole. */
#ifndef CATALOGD_STS_H
#define CATALOGD_STS_H

#include "app.h"
#include "auth/principal.h"

#include <cjson/cJSON.h>

typedef struct sts_assume_req {
    const auth_principal_t *caller; /* the user or session asking, or NULL for a service */
    const char *service; /* service principal ("ssm.amazonaws.com") when caller is NULL */
    const char *role_arn;
    const char *session_name;
    int64_t duration_s;       /* 0: 3600 */
    const char *policy;       /* inline session policy, or NULL */
    const cJSON *policy_arns; /* [{"arn": ...}], or NULL */
    const char *external_id;
    const char *source_ip;
} sts_assume_req_t;

typedef struct sts_creds {
    char access_key[32];
    char secret[64];
    char token[256];
    int64_t expires_ms;
    auth_principal_t who; /* the session's principal */
} sts_creds_t;

/* Checks the role's trust policy (and, for an IAM caller, the caller's permission for
 * sts:AssumeRole) and issues temporary credentials in tx. ERR_ACCESS_DENIED with AWS's
 * message when refused (a missing role is refused the same way, as on AWS);
 * ERR_STS_MALFORMED_POLICY / ERR_STS_PACKED_POLICY_TOO_LARGE for a bad session policy;
 * ERR_VALIDATION when DurationSeconds passes the role's MaxSessionDuration. */
err_t sts_assume(app_t *app, store_tx_t *tx, const sts_assume_req_t *req, sts_creds_t *out,
                 arena_t *arena, errbuf_t *eb);

#endif
