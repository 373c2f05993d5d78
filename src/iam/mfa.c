/* mfa.c - checking one-time codes against IAM's virtual MFA devices. */
#include "iam/mfa.h"

#include "auth/totp.h"
#include "core/buf.h"
#include "core/jx.h"
#include "res/res.h"

#include <stdio.h>
#include <string.h>

#define K_MFA "iam.mfa"

bool iam_mfa_seed(const seal_t *seal, const cJSON *device, unsigned char *key, size_t cap,
                  size_t *n)
{
    const char *sealed = jx_str(device, "Seed");
    if (!sealed) return false;
    buf_t b;
    buf_init(&b, 256);
    bool ok =
        seal_open_value(seal, span_of(sealed), &b) && totp_base32_decode(buf_str(&b), key, cap, n);
    buf_free(&b);
    return ok;
}

err_t iam_mfa_check(store_tx_t *tx, const seal_t *seal, const char *account, const char *user_id,
                    const char *serial, const char *code, int64_t now_ms, bool *known, bool *ok,
                    errbuf_t *eb)
{
    *ok = *known = false;
    cJSON *d = NULL;
    err_t rc = serial ? res_get(tx, &(res_key_t){account, K_MFA, serial}, &d, eb) : ERR_OK;
    const char *owner = jx_str(d, "UserId");
    if (rc || !owner || !user_id || strcmp(owner, user_id)) {
        cJSON_Delete(d);
        return rc;
    }
    *known = true;
    unsigned char key[64];
    size_t n = 0;
    int64_t step = iam_mfa_seed(seal, d, key, sizeof(key), &n)
                       ? totp_match(key, n, code, now_ms / 1000, IAM_MFA_WINDOW)
                       : -1;
    memset(key, 0, sizeof(key));
    if (step >= 0 && step > jx_int(d, "LastStep", -1)) {
        jx_set_num(d, "LastStep", (double)step);
        bool found = false;
        rc = res_update(tx, &(res_key_t){account, K_MFA, serial}, NULL, now_ms, d, &found, eb);
        *ok = !rc && found;
    }
    cJSON_Delete(d);
    return rc;
}

err_t iam_mfa_of_user(store_tx_t *tx, const char *account, const char *user_id, char *out,
                      size_t cap, errbuf_t *eb)
{
    out[0] = '\0';
    cJSON *all = cJSON_CreateArray();
    bool more = false;
    err_t rc = res_list(tx, &(res_query_t){.account = account, .kind = K_MFA}, all, &more, eb);
    for (const cJSON *d = all->child; !rc && d && !out[0]; d = d->next) {
        const char *owner = jx_str(d, "UserId");
        if (owner && !strcmp(owner, user_id)) snprintf(out, cap, "%s", jx_str(d, "SerialNumber"));
    }
    cJSON_Delete(all);
    return rc;
}
