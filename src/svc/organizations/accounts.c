/* accounts.c - the registry of accounts: the management account installed at start, the
 * account-making core shared by CreateAccount's job and the admin command, and the
 * `catalogd account` command itself. */
#include "svc/organizations/org_int.h"

#include "core/clk.h"
#include "core/jx.h"
#include "res/res.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The management account's email: AWS knows it from sign-up, catalogd from nowhere. One
 * per account id, so that a data directory served under another --account-id later gets a
 * management record of its own. */
#define ORG_MANAGEMENT_EMAIL "management+%s@catalogd.invalid"

/* email folded to lower case into out (cap bytes): emails are unique without regard to
 * case. */
static void org_fold(const char *email, char *out, size_t cap)
{
    size_t i = 0;
    for (; email[i] && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)email[i]);
    out[i] = '\0';
}

err_t org_account_by_email(store_tx_t *tx, const char *email, cJSON **out, errbuf_t *eb)
{
    char folded[128];
    org_fold(email, folded, sizeof(folded));
    return res_get_by_name(tx, ORG_PART, ORG_K_ACCOUNT, folded, out, eb);
}

err_t org_account_known(store_tx_t *tx, const char *account, bool *known, errbuf_t *eb)
{
    cJSON *a = NULL;
    *known = false;
    err_t rc =
        account ? res_get(tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, account}, &a, eb) : ERR_OK;
    *known = a != NULL;
    cJSON_Delete(a);
    return rc;
}

/* The registry record of a new account id. */
static cJSON *org_account_body(const char *id, const org_account_spec_t *spec, int64_t now_ms)
{
    cJSON *b = cJSON_CreateObject();
    jx_set_str(b, "Id", id);
    if (spec->org_id) {
        char arn[160];
        snprintf(arn, sizeof(arn), "arn:aws:organizations::%s:account/%s/%s", spec->management,
                 spec->org_id, id);
        jx_set_str(b, "Arn", arn);
    }
    jx_set_str(b, "Email", spec->email);
    jx_set_str(b, "Name", spec->name);
    jx_set_str(b, "Status", "ACTIVE");
    if (spec->org_id) {
        jx_set_str(b, "JoinedMethod", spec->is_management ? "INVITED" : "CREATED");
        jx_set_num(b, "JoinedTimestamp", (double)now_ms / 1000.0);
        jx_set_str(b, "_Organization", spec->org_id);
    }
    jx_set(b, "_Management", cJSON_CreateBool(spec->is_management));
    jx_set_num(b, "_CreatedMs", (double)now_ms);
    return b;
}

err_t org_account_add(store_tx_t *tx, auth_keys_t *keys, ids_t *ids, const org_account_spec_t *spec,
                      int64_t now_ms, org_new_account_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    err_t rc = ERR_OK;
    bool taken = true;
    /* a fresh id: 10^12 of them, so a clash is rare, but an account id is never reused */
    for (int tries = 0; !rc && taken && tries < 16; tries++) {
        ids_chars(ids, "", "0123456789", 12, out->id);
        rc = org_account_known(tx, out->id, &taken, eb);
    }
    if (!rc && taken) rc = err_fail(eb, ERR_INTERNAL, "no free account id found");
    char folded[128];
    org_fold(spec->email, folded, sizeof(folded));
    cJSON *b = org_account_body(out->id, spec, now_ms);
    res_row_t row = {.name = folded, .created_ms = now_ms, .updated_ms = now_ms};
    if (!rc) rc = res_insert(tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, out->id}, &row, b, eb);
    cJSON_Delete(b);
    if (!rc) rc = auth_keys_new_root(keys, tx, out->id, out->key_id, out->secret, now_ms, eb);
    return rc;
}

err_t org_install(store_t *s, const char *management, int64_t now_ms, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    err_t rc = store_begin(s, true, &tx, eb);
    cJSON *a = NULL;
    if (!rc) rc = res_get(tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, management}, &a, eb);
    if (!rc && !a) {
        char email[64];
        snprintf(email, sizeof(email), ORG_MANAGEMENT_EMAIL, management);
        org_account_spec_t spec = {.name = "management", .email = email, .is_management = true};
        cJSON *b = org_account_body(management, &spec, now_ms);
        res_row_t row = {.name = email, .created_ms = now_ms, .updated_ms = now_ms};
        rc = res_insert(tx, &(res_key_t){ORG_PART, ORG_K_ACCOUNT, management}, &row, b, eb);
        cJSON_Delete(b);
    }
    cJSON_Delete(a);
    if (!rc) return store_commit(tx, eb);
    if (tx) store_rollback(tx);
    return rc;
}

/* ---- the admin command */

/* True for what CreateAccount's model accepts as an email: 6-64 printable ASCII
 * characters, no blanks, one '@' with a '.' somewhere after it. */
static bool org_email_ok(const char *e)
{
    size_t n = strlen(e);
    const char *at = strchr(e, '@');
    if (n < 6 || n > 64 || !at || strchr(at + 1, '@') || at == e || !strchr(at + 2, '.'))
        return false;
    for (const char *p = e; *p; p++)
        if (*p <= ' ' || *p > '~') return false;
    const char *dot = strrchr(e, '.');
    return dot[1] != '\0';
}

/* Prints every account of the registry, oldest first, one JSON object a line. */
static err_t org_print_accounts(store_tx_t *tx, errbuf_t *eb)
{
    cJSON *list = cJSON_CreateArray();
    bool more = false;
    res_query_t q = {ORG_PART, ORG_K_ACCOUNT, NULL, 0, 0};
    err_t rc = res_list(tx, &q, list, &more, eb);
    for (cJSON *a = list->child; !rc && a; a = a->next) {
        cJSON *o = cJSON_CreateObject();
        static const char *const keep[] = {"Id", "Name", "Email", "Status", NULL};
        jx_copy(o, a, keep);
        const char *org = jx_str(a, "_Organization");
        jx_set(o, "Organization", org ? cJSON_CreateString(org) : cJSON_CreateNull());
        jx_set(o, "Management", cJSON_CreateBool(jx_true(a, "_Management")));
        store_stmt_t *st;
        bool row = false;
        rc = store_query(tx, eb, &st,
                         "SELECT access_key_id FROM access_keys WHERE account_id = ? AND"
                         " kind = 'root' AND status = 'Active' ORDER BY created_ms",
                         "s", jx_str(a, "Id"));
        cJSON *keys = cJSON_AddArrayToObject(o, "RootAccessKeyIds");
        while (!rc && !(rc = store_step(st, &row, eb)) && row)
            cJSON_AddItemToArray(keys, cJSON_CreateString(store_col_text(st, 0)));
        char *text = cJSON_PrintUnformatted(o);
        if (!rc) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    }
    cJSON_Delete(list);
    return rc;
}

int org_account_main(const app_config_t *cfg, const char *sub, const char *name, const char *email)
{
    bool create = !strcmp(sub, "create");
    if (create && (!name || !email || !*name || strlen(name) > 50 || !org_email_ok(email))) {
        fprintf(stderr, "catalogd: account create needs --name N (1-50 characters) and --email E "
                        "(a valid address of 6-64 characters)\n");
        return 2;
    }
    errbuf_t eb = {{0}};
    bool exists = false;
    store_opts_t so = {.data_dir = cfg->data_dir,
                       .url = cfg->database_url,
                       .pool = 2,
                       .exclusive = false,
                       .sync_full = true};
    err_t rc = store_check_opts(&so, &exists, &eb);
    if (!rc && !exists)
        rc = err_fail(&eb, ERR_STORE,
                      "%s holds no catalogd database: start catalogd serve on it once first",
                      cfg->database_url[0] ? "the database" : cfg->data_dir);
    if (rc) {
        fprintf(stderr, "catalogd: %s\n", eb.msg);
        return 1;
    }
    ids_t ids;
    ids_init_system(&ids);
    clk_t clock = clk_system(cfg->clock_offset_ms);
    int64_t now = clk_now_ms(&clock);
    store_t *store = NULL;
    auth_keys_t *keys = NULL;
    store_tx_t *tx = NULL;
    cJSON *dup = NULL;
    org_new_account_t made;
    rc = store_open(&so, &store, &eb);
    auth_keys_opts_t ko = {
        .store = store, .data_dir = cfg->data_dir, .account = cfg->account_id, .ids = &ids};
    if (!rc) rc = auth_keys_open(&ko, &keys, &eb);
    /* the management account's record is the daemon's to write (org_install, at its start,
     * with its own --account-id): this command may run with another configuration */
    if (!rc) rc = store_begin(store, create, &tx, &eb);
    if (!rc && !create) rc = org_print_accounts(tx, &eb);
    if (!rc && create) rc = org_account_by_email(tx, email, &dup, &eb);
    if (!rc && dup)
        rc = err_fail(&eb, ERR_VALIDATION, "account %s already has the email %s", jx_str(dup, "Id"),
                      email);
    org_account_spec_t spec = {.name = name, .email = email};
    if (!rc && create) rc = org_account_add(tx, keys, &ids, &spec, now, &made, &eb);
    if (!rc && create) {
        rc = store_commit(tx, &eb);
        tx = NULL;
    }
    if (tx) store_rollback(tx);
    cJSON_Delete(dup);
    auth_keys_close(keys);
    store_close(store);
    if (rc) {
        fprintf(stderr, "catalogd: %s\n", eb.msg);
        return 1;
    }
    if (create) {
        printf("Account %s created (name: %s, email: %s)\n", made.id, name, email);
        printf("Root access key: %s\n", made.key_id);
        printf("  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", made.key_id,
               made.secret);
        explicit_bzero(made.secret, sizeof(made.secret));
    }
    return fflush(stdout) ? 1 : 0;
}
