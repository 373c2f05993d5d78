/* org_int.h - the organizations module's own declarations: the registry's record kinds
 * and the account-making core that CreateAccount's job and the admin command share. */
#ifndef CATALOGD_ORG_INT_H
#define CATALOGD_ORG_INT_H

#include "svc/organizations/org.h"

#include "api/api.h"
#include "auth/keys.h"
#include "core/ids.h"

#include <cjson/cJSON.h>

/* The registry is global (no account's, no region's): it lives in the resources table
 * under this partition name, which is never an account id. */
#define ORG_PART      "organizations"
#define ORG_K_ACCOUNT "org.account"               /* id: the 12-digit id; name: the email */
#define ORG_K_ORG     "org.organization"          /* id: o-...; at most one */
#define ORG_K_CAR     "org.create_account_status" /* id: car-... */
#define ORG_JOB       "org.create_account"

/* A new account's id and root access key pair. */
typedef struct org_new_account {
    char id[13];
    char key_id[32];
    char secret[64];
} org_new_account_t;

/* What a new account is. */
typedef struct org_account_spec {
    const char *name, *email;
    const char *org_id;     /* the organization it is created in, or NULL: standalone */
    const char *management; /* that organization's management account (for its ARN) */
    bool is_management;
} org_account_spec_t;

/* Creates an account in tx: a fresh 12-digit id, its registry record and its root access
 * key (out). The email must not be taken (org_email_taken first). Store errors as they
 * come. */
err_t org_account_add(store_tx_t *tx, auth_keys_t *keys, ids_t *ids, const org_account_spec_t *spec,
                      int64_t now_ms, org_new_account_t *out, errbuf_t *eb);
/* The registry record of the account whose email is email (any case), or NULL in *out
 * (the caller's). */
err_t org_account_by_email(store_tx_t *tx, const char *email, cJSON **out, errbuf_t *eb);

#endif
