/* principal.h - who is calling: the identity authentication establishes and everything
 * after it (authorization, handlers, the log) reads. */
#ifndef CATALOGD_PRINCIPAL_H
#define CATALOGD_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>

typedef enum auth_kind {
    AUTH_ROOT,         /* the account root user */
    AUTH_USER,         /* an IAM user */
    AUTH_ROLE_SESSION, /* an assumed-role session */
    AUTH_SERVICE,      /* a catalogd service acting as itself (servicecatalog.amazonaws.com) */
    AUTH_ANONYMOUS, /* an unsigned request to an operation that allows one (API_AUTHZ_UNSIGNED) */
} auth_kind_t;

typedef struct auth_principal {
    auth_kind_t kind;
    char account[16];
    char arn[320]; /* arn:aws:iam::ACCT:root | :user/NAME | arn:aws:sts::ACCT:assumed-role/R/S */
    char user_id[160];  /* ACCT (root), AIDA... (user), AROA...:SESSION (role session) */
    char name[128];     /* user name, role name or service principal name */
    char path[512];     /* IAM path of the user or role ("/") */
    char session[128];  /* role session name */
    char role_arn[320]; /* the role of a session */
    char access_key[32];
    char region[32];    /* where the principal acts: the region its request was signed for, or
                           the region of the work a service principal does ("": none, which
                           the pipeline refuses) */
    int64_t expires_ms; /* sessions: expiry of the credentials */
    bool from_get_session_token; /* credentials from sts:GetSessionToken (which catalogd issues
                                    without MFA): no IAM, and of STS only AssumeRole and
                                    GetCallerIdentity */
} auth_principal_t;

/* A catalogd service acting as itself (name: "ec2.amazonaws.com") in account and region,
 * for work it does on its own (a launch's instance profile check, a command's node
 * lookup). */
void auth_service_principal(auth_principal_t *p, const char *name, const char *account,
                            const char *region);

/* A principal as a JSON object (for work that outlives the request, such as a stack
 * operation that acts as its caller), and back. from_json returns false on a malformed
 * object. */
struct cJSON;
struct cJSON *auth_principal_to_json(const auth_principal_t *p);
bool auth_principal_from_json(const struct cJSON *o, auth_principal_t *p);
/* The same for work that acts in region: a principal stored before regions (which names
 * none) acts there. */
bool auth_principal_from_json_in(const struct cJSON *o, const char *region, auth_principal_t *p);

#endif
