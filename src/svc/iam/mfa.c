/* mfa.c - IAM virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice,
 * ResyncMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices,
 * ListVirtualMFADevices and their tags. A device is an IAM_MFA entity keyed by its serial
 * number (arn:aws:iam::ACCT:mfa/PATH/NAME); its seed is sealed at rest like access key
 * secrets, and "UserId"/"EnableDate" say whom it is assigned to. STS checks codes
 * through iam/mfa.h. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "auth/keys.h"
#include "auth/totp.h"
#include "core/clk.h"
#include "core/enc.h"
#include "iam/mfa.h"
#include "svc/iam/qr.h"

#include <string.h>

#define IAM_MFA_ENABLE_WINDOW 10 /* steps back a pair of codes may lie when enabling */

/* The device the request's SerialNumber names; NoSuchEntity in IAM's words when absent. */
static err_t mfa_find(api_ctx_t *c, cJSON **out)
{
    const char *serial = api_in_str(c, "SerialNumber");
    err_t rc = res_get(c->tx, &(res_key_t){c->account, IAM_MFA, serial}, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                      "VirtualMFADevice with serial number %s doesn't exist.", serial);
    return rc;
}

static err_t mfa_save(api_ctx_t *c, const cJSON *d)
{
    return res_update(c->tx, &(res_key_t){c->account, IAM_MFA, jx_str(d, "SerialNumber")}, NULL,
                      (int64_t)(iam_now(c) * 1000), d, NULL, c->eb);
}

err_t iam_create_virtual_mfa_device(api_ctx_t *c)
{
    const char *name = api_in_str(c, "VirtualMFADeviceName");
    const char *path = api_in_str(c, "Path");
    cJSON *existing = NULL;
    err_t rc = res_get_by_name(c->tx, c->account, IAM_MFA, iam_fold(c, name), &existing, c->eb);
    cJSON_Delete(existing);
    if (rc) return rc;
    if (existing)
        return err_fail(c->eb, ERR_IAM_ALREADY_EXISTS,
                        "MFADevice entity at the same path and name already exists.");
    unsigned char raw[TOTP_SEED_LEN];
    char seed[TOTP_SEED_LEN * 2];
    c->app->ids.fill(&c->app->ids, raw, sizeof(raw));
    totp_base32_encode(raw, sizeof(raw), seed, sizeof(seed));
    memset(raw, 0, sizeof(raw));
    buf_t sealed;
    buf_init(&sealed, 512);
    if (!seal_seal(auth_keys_seal(c->app->keys), &c->app->ids, span_of(seed), &sealed)) {
        buf_free(&sealed);
        return err_fail(c->eb, ERR_INTERNAL, "cannot seal an MFA seed");
    }
    const char *serial = iam_arn(c, "mfa", path, name);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "SerialNumber", serial);
    cJSON_AddStringToObject(d, "Path", path ? path : "/");
    cJSON_AddStringToObject(d, "Seed", buf_str(&sealed));
    cJSON_AddNumberToObject(d, "CreateDate", iam_now(c));
    buf_free(&sealed);
    rc = iam_tags_put(c, d);
    res_row_t row = {.name = iam_fold(c, name), .created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->account, IAM_MFA, serial}, &row, d, c->eb);
    if (!rc) {
        cJSON *o = cJSON_AddObjectToObject(c->out, "VirtualMFADevice");
        cJSON_AddStringToObject(o, "SerialNumber", serial);
        buf_t b; /* a blob: the base32 text, base64 on the wire */
        buf_init(&b, 256);
        enc_base64(&b, seed, strlen(seed));
        cJSON_AddStringToObject(o, "Base32StringSeed", buf_str(&b));
        buf_free(&b);
        buf_init(&b, 1 << 20);
        const char *uri =
            arena_printf(c->arena, "otpauth://totp/%s@%s?secret=%s", name, c->account, seed);
        if (iam_qr_png_base64(uri, &b)) cJSON_AddStringToObject(o, "QRCodePNG", buf_str(&b));
        buf_free(&b);
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(d, "Tags");
        if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(o, "Tags", cJSON_Duplicate(tags, 1));
    }
    memset(seed, 0, sizeof(seed));
    cJSON_Delete(d);
    return rc;
}

/* The step of the request's AuthenticationCode2 when it and AuthenticationCode1 are the
 * codes of two consecutive steps of d's seed, the later within window steps before now
 * (or the next step), and later than any accepted before; else -1. */
static int64_t mfa_pair(api_ctx_t *c, const cJSON *d, int window)
{
    unsigned char key[64];
    size_t n = 0;
    if (!iam_mfa_seed(auth_keys_seal(c->app->keys), d, key, sizeof(key), &n)) return -1;
    const char *c1 = api_in_str(c, "AuthenticationCode1"),
               *c2 = api_in_str(c, "AuthenticationCode2");
    int64_t now = clk_now_ms(&c->app->wall) / 1000 / TOTP_STEP_S, found = -1;
    for (int64_t s = now + 1; s >= now - window && found < 0 && s > 0; s--) {
        int64_t t2 = totp_match(key, n, c2, s * TOTP_STEP_S, 0);
        if (t2 == s && totp_match(key, n, c1, (s - 1) * TOTP_STEP_S, 0) == s - 1) found = s;
    }
    memset(key, 0, sizeof(key));
    return found > jx_int(d, "LastStep", -1) ? found : -1;
}

static err_t mfa_bad_code(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_IAM_INVALID_AUTH_CODE,
                    "Authentication code for device is not valid.");
}

/* EnableMFADevice (resync false) and ResyncMFADevice (true): the device and the user, two
 * consecutive codes, then the device is assigned (or its clock step remembered). */
static err_t mfa_codes(api_ctx_t *c, bool resync)
{
    cJSON *user = NULL, *d = NULL;
    err_t rc = iam_find(c, "user", api_in_str(c, "UserName"), &user);
    if (!rc) rc = mfa_find(c, &d);
    const char *owner = jx_str(d, "UserId"), *uid = jx_str(user, "UserId");
    if (!rc && !resync && owner)
        rc = err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "MFA Device is already in use.");
    if (!rc && resync && (!owner || strcmp(owner, uid)))
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                      "MFA Device with serial number %s does not exist.",
                      api_in_str(c, "SerialNumber"));
    int64_t step = rc ? -1 : mfa_pair(c, d, resync ? 60 : IAM_MFA_ENABLE_WINDOW);
    if (!rc && step < 0) rc = mfa_bad_code(c);
    if (!rc) {
        jx_set_num(d, "LastStep", (double)step);
        if (!resync) {
            jx_set_str(d, "UserId", uid);
            jx_set_num(d, "EnableDate", iam_now(c));
        }
        rc = mfa_save(c, d);
    }
    cJSON_Delete(user);
    cJSON_Delete(d);
    return rc;
}

err_t iam_enable_mfa_device(api_ctx_t *c)
{
    return mfa_codes(c, false);
}

err_t iam_resync_mfa_device(api_ctx_t *c)
{
    return mfa_codes(c, true);
}

err_t iam_deactivate_mfa_device(api_ctx_t *c)
{
    cJSON *user = NULL, *d = NULL;
    err_t rc = iam_find(c, "user", api_in_str(c, "UserName"), &user);
    if (!rc)
        rc = res_get(c->tx, &(res_key_t){c->account, IAM_MFA, api_in_str(c, "SerialNumber")}, &d,
                     c->eb);
    const char *owner = jx_str(d, "UserId");
    if (!rc && (!owner || strcmp(owner, jx_str(user, "UserId"))))
        rc = err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                      "MFA Device with serial number %s does not exist.",
                      api_in_str(c, "SerialNumber"));
    if (!rc) {
        cJSON_DeleteItemFromObjectCaseSensitive(d, "UserId");
        cJSON_DeleteItemFromObjectCaseSensitive(d, "EnableDate");
        rc = mfa_save(c, d);
    }
    if (!rc) c->post |= API_POST_AUTH_CHANGED;
    cJSON_Delete(user);
    cJSON_Delete(d);
    return rc;
}

err_t iam_delete_virtual_mfa_device(api_ctx_t *c)
{
    cJSON *d = NULL;
    err_t rc = mfa_find(c, &d);
    if (!rc && jx_str(d, "UserId"))
        rc = err_fail(c->eb, ERR_IAM_DELETE_CONFLICT, "MFA Device is still in use.");
    if (!rc)
        rc = res_delete(c->tx, &(res_key_t){c->account, IAM_MFA, jx_str(d, "SerialNumber")}, NULL,
                        c->eb);
    cJSON_Delete(d);
    return rc;
}

/* Which devices a list keeps: those of user_id when set, else by AssignmentStatus. */
typedef struct mfa_filter {
    const char *user_id;
    const char *status; /* "Assigned", "Unassigned", "Any" or NULL (any) */
} mfa_filter_t;

static err_t mfa_keep(void *ctx, const cJSON *d, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const mfa_filter_t *f = ctx;
    const char *owner = jx_str(d, "UserId");
    if (f->user_id)
        *keep = owner && !strcmp(owner, f->user_id);
    else
        *keep = !f->status || !strcmp(f->status, "Any") ||
                (!strcmp(f->status, "Assigned") ? owner != NULL : owner == NULL);
    return ERR_OK;
}

/* One page of devices by f, in creation order. */
static err_t mfa_page(api_ctx_t *c, mfa_filter_t *f, cJSON *out, res_page_t *p)
{
    err_t rc = iam_page_in(c, p);
    if (!rc)
        rc = res_list_page(c->tx, &(res_query_t){.account = c->account, .kind = IAM_MFA}, p,
                           mfa_keep, f, out, c->eb);
    return rc;
}

err_t iam_list_virtual_mfa_devices(api_ctx_t *c)
{
    mfa_filter_t f = {.status = api_in_str(c, "AssignmentStatus")};
    cJSON *all = cJSON_CreateArray();
    res_page_t p;
    err_t rc = mfa_page(c, &f, all, &p);
    cJSON *list = cJSON_AddArrayToObject(c->out, "VirtualMFADevices");
    for (const cJSON *d = all->child; !rc && d; d = d->next) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "SerialNumber", jx_str(d, "SerialNumber"));
        const char *uid = jx_str(d, "UserId");
        cJSON *u = NULL;
        if (uid) rc = res_get(c->tx, &(res_key_t){c->account, IAM_USER, uid}, &u, c->eb);
        if (u) {
            static const char *const keep[] = {"Path", "UserName",   "UserId",
                                               "Arn",  "CreateDate", NULL};
            jx_copy(cJSON_AddObjectToObject(o, "User"), u, keep);
            cJSON_AddNumberToObject(
                o, "EnableDate",
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "EnableDate")));
            cJSON_Delete(u);
        }
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(d, "Tags");
        if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(o, "Tags", cJSON_Duplicate(tags, 1));
        cJSON_AddItemToArray(list, o);
    }
    cJSON_Delete(all);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

err_t iam_list_mfa_devices(api_ctx_t *c)
{
    const char *name = api_in_str(c, "UserName");
    cJSON *user = NULL;
    err_t rc = ERR_OK;
    if (name || c->caller->kind == AUTH_USER)
        rc = iam_find(c, "user", name ? name : c->caller->name, &user);
    mfa_filter_t f = {.user_id = user ? jx_str(user, "UserId") : "-"}; /* root: none */
    cJSON *all = cJSON_CreateArray();
    res_page_t p;
    if (!rc) rc = mfa_page(c, &f, all, &p);
    cJSON *list = cJSON_AddArrayToObject(c->out, "MFADevices");
    for (const cJSON *d = all->child; !rc && d; d = d->next) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "UserName", jx_str(user, "UserName"));
        cJSON_AddStringToObject(o, "SerialNumber", jx_str(d, "SerialNumber"));
        cJSON_AddNumberToObject(
            o, "EnableDate",
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "EnableDate")));
        cJSON_AddItemToArray(list, o);
    }
    cJSON_Delete(all);
    cJSON_Delete(user);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

err_t iam_tag_mfa_device(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_PUT, mfa_find, mfa_save);
}

err_t iam_untag_mfa_device(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_DROP, mfa_find, mfa_save);
}

err_t iam_list_mfa_device_tags(api_ctx_t *c)
{
    return iam_tags_op(c, IAM_TAG_LIST, mfa_find, mfa_save);
}
