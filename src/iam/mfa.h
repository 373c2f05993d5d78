/* mfa.h - IAM's virtual MFA devices as the rest of catalogd needs them: STS checks the
 * one-time code GetSessionToken and AssumeRole bring, the console asks a user with a
 * device for one. A device is stored by IAM (svc/iam/mfa.c) under its serial number
 * (arn:aws:iam::ACCT:mfa/NAME) with its seed sealed (auth/seal.h) and the last time step
 * a code was accepted at, so that a code is good once. */
#ifndef CATALOGD_IAM_MFA_H
#define CATALOGD_IAM_MFA_H

#include "auth/seal.h"
#include "core/err.h"
#include "store/store.h"

#include <cjson/cJSON.h>

#define IAM_MFA_WINDOW 1 /* steps of clock drift a code may be off by, each way */

/* The seed of a stored device body into key (cap bytes), *n its length; false when the
 * sealed seed does not open (another data directory's key) or is damaged. */
bool iam_mfa_seed(const seal_t *seal, const cJSON *device, unsigned char *key, size_t cap,
                  size_t *n);

/* Whether code is a current one-time code of device `serial` assigned to the user
 * user_id of account, at a time step later than any accepted before: on success the
 * step is stored as used (in tx) and *ok is true. A missing device, one assigned to
 * someone else, a wrong or used code all leave *ok false; *known tells whether the
 * device is the user's at all (AWS words the two failures differently). Store errors as
 * they come. */
err_t iam_mfa_check(store_tx_t *tx, const seal_t *seal, const char *account, const char *user_id,
                    const char *serial, const char *code, int64_t now_ms, bool *known, bool *ok,
                    errbuf_t *eb);

/* The serial number of an MFA device assigned to user_id into out (cap bytes), or "" when
 * the user has none. */
err_t iam_mfa_of_user(store_tx_t *tx, const char *account, const char *user_id, char *out,
                      size_t cap, errbuf_t *eb);

#endif
