/* principal.h - who is calling: the identity authentication establishes and everything
 * after it (authorization, handlers, the log) reads. */
#ifndef CATALOGD_PRINCIPAL_H
#define CATALOGD_PRINCIPAL_H

#include <stdint.h>

typedef enum auth_kind {
    AUTH_ROOT,         /* the account root user */
    AUTH_USER,         /* an IAM user */
    AUTH_ROLE_SESSION, /* an assumed-role session */
    AUTH_SERVICE,      /* a catalogd service acting as itself (servicecatalog.amazonaws.com) */
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
    int64_t expires_ms; /* sessions: expiry of the credentials */
} auth_principal_t;

#endif
