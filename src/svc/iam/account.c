/* account.c - settings of the account as a whole: its alias (Create/Delete/
 * ListAccountAliases), its password policy (Update/Get/DeleteAccountPasswordPolicy, held to
 * by every password set: iam_password_check), a user changing their own password
 * (ChangePassword) and GetAccountSummary's counts and quotas. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

#define IAM_ALIAS      "iam.account_alias"   /* id = the alias; one per account */
#define IAM_PW_POLICY  "iam.password_policy" /* id = "policy" */
#define PW_DEFAULT_MIN 8                     /* no policy: the length catalogd asks for */

/* ---- aliases */

err_t iam_create_account_alias(api_ctx_t *c)
{
    const char *alias = api_in_str(c, "AccountAlias");
    /* aliases are unique across accounts */
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(c->tx, c->eb, &st,
                           "SELECT account FROM resources WHERE kind = ? AND id = ? LIMIT 1", "ss",
                           IAM_ALIAS, alias);
    if (!rc) rc = store_step(st, &row, c->eb);
    bool ours = row && !strcmp(store_col_text(st, 0), c->account);
    if (!rc && row) rc = store_step(st, &row, c->eb);
    if (rc || ours) return rc; /* the same alias again: nothing to do */
    if (row)
        return err_fail(c->eb, ERR_IAM_ALREADY_EXISTS, "The account alias %s already exists.",
                        alias);
    /* an account has one alias: a new one replaces it */
    rc = store_exec(c->tx, c->eb, NULL, "DELETE FROM resources WHERE account = ? AND kind = ?",
                    "ss", c->account, IAM_ALIAS);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "AccountAlias", alias);
    res_row_t r = {.created_ms = (int64_t)(iam_now(c) * 1000)};
    if (!rc) rc = res_insert(c->tx, &(res_key_t){c->account, IAM_ALIAS, alias}, &r, b, c->eb);
    cJSON_Delete(b);
    return rc;
}

err_t iam_delete_account_alias(api_ctx_t *c)
{
    const char *alias = api_in_str(c, "AccountAlias");
    bool found = false;
    err_t rc = res_delete(c->tx, &(res_key_t){c->account, IAM_ALIAS, alias}, &found, c->eb);
    if (!rc && !found)
        rc =
            err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY, "The account alias %s cannot be found.", alias);
    return rc;
}

err_t iam_list_account_aliases(api_ctx_t *c)
{
    res_page_t p;
    err_t rc = iam_page_in(c, &p);
    if (rc) return rc;
    cJSON *bodies = cJSON_CreateArray();
    res_query_t q = {c->account, IAM_ALIAS, NULL, 0, 0};
    rc = res_list_page(c->tx, &q, &p, NULL, NULL, bodies, c->eb);
    cJSON *out = cJSON_AddArrayToObject(c->out, "AccountAliases");
    for (const cJSON *b = bodies->child; b; b = b->next)
        cJSON_AddItemToArray(out, cJSON_CreateString(jx_str(b, "AccountAlias")));
    cJSON_Delete(bodies);
    if (!rc) iam_page_out(c, &p);
    return rc;
}

/* ---- the password policy */

/* The account's password policy, or *out NULL when none is set. */
static err_t pw_policy(api_ctx_t *c, cJSON **out)
{
    return res_get(c->tx, &(res_key_t){c->account, IAM_PW_POLICY, "policy"}, out, c->eb);
}

err_t iam_update_account_password_policy(api_ctx_t *c)
{
    /* members left out take AWS's defaults: length 6, nothing required, no expiry */
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "MinimumPasswordLength",
                            (double)api_in_int(c, "MinimumPasswordLength", 6));
    static const char *const flags[] = {"RequireSymbols", "RequireNumbers",
                                        "RequireUppercaseCharacters", "RequireLowercaseCharacters",
                                        "AllowUsersToChangePassword"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        cJSON_AddBoolToObject(p, flags[i],
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, flags[i])));
    int64_t age = api_in_int(c, "MaxPasswordAge", 0);
    cJSON_AddBoolToObject(p, "ExpirePasswords", age > 0);
    if (age > 0) cJSON_AddNumberToObject(p, "MaxPasswordAge", (double)age);
    int64_t reuse = api_in_int(c, "PasswordReusePrevention", 0);
    if (reuse > 0) cJSON_AddNumberToObject(p, "PasswordReusePrevention", (double)reuse);
    if (cJSON_GetObjectItemCaseSensitive(c->in, "HardExpiry"))
        cJSON_AddBoolToObject(p, "HardExpiry",
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "HardExpiry")));
    err_t rc = iam_put_setting(c, IAM_PW_POLICY, "policy", p);
    cJSON_Delete(p);
    return rc;
}

/* NoSuchEntity in IAM's words for an account without a password policy. */
static err_t pw_none(api_ctx_t *c)
{
    return err_fail(c->eb, ERR_IAM_NO_SUCH_ENTITY,
                    "The Password Policy with domain name %s cannot be found.", c->account);
}

err_t iam_get_account_password_policy(api_ctx_t *c)
{
    cJSON *p = NULL;
    err_t rc = pw_policy(c, &p);
    if (!rc && !p) return pw_none(c);
    if (!rc) cJSON_AddItemToObject(c->out, "PasswordPolicy", p);
    return rc;
}

err_t iam_delete_account_password_policy(api_ctx_t *c)
{
    bool found = false;
    err_t rc = res_delete(c->tx, &(res_key_t){c->account, IAM_PW_POLICY, "policy"}, &found, c->eb);
    if (!rc && !found) rc = pw_none(c);
    return rc;
}

err_t iam_password_check(api_ctx_t *c, const char *password, iam_pw_rules_t *rules)
{
    cJSON *p = NULL;
    err_t rc = pw_policy(c, &p);
    if (rc) return rc;
    const cJSON *min_j = cJSON_GetObjectItemCaseSensitive(p, "MinimumPasswordLength");
    int64_t min = p ? (int64_t)cJSON_GetNumberValue(min_j) : PW_DEFAULT_MIN;
    bool has[4] = {false, false, false, false}; /* upper, lower, digit, symbol */
    for (const char *s = password; s && *s; s++) {
        has[0] |= *s >= 'A' && *s <= 'Z';
        has[1] |= *s >= 'a' && *s <= 'z';
        has[2] |= *s >= '0' && *s <= '9';
        has[3] |= strchr("!@#$%^&*()_+-=[]{}|'", *s) != NULL;
    }
    static const struct {
        const char *flag, *what;
    } need[] = {{"RequireUppercaseCharacters", "uppercase letter"},
                {"RequireLowercaseCharacters", "lowercase letter"},
                {"RequireNumbers", "number"},
                {"RequireSymbols", "symbol"}};
    if (!password) /* only the rules are wanted */
        ;
    else if ((int64_t)strlen(password) < min)
        rc = err_fail(c->eb, ERR_IAM_PASSWORD_POLICY, "Password should have a minimum length of %d",
                      (int)min);
    for (size_t i = 0; !rc && p && password && i < 4; i++)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, need[i].flag)) && !has[i])
            rc = err_fail(c->eb, ERR_IAM_PASSWORD_POLICY, "Password should have at least one %s",
                          need[i].what);
    if (rules) {
        const cJSON *reuse = cJSON_GetObjectItemCaseSensitive(p, "PasswordReusePrevention");
        rules->reuse = cJSON_IsNumber(reuse) ? (int)reuse->valuedouble : 0;
        if (rules->reuse > PW_HISTORY_MAX) rules->reuse = PW_HISTORY_MAX;
        rules->users_may_change =
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "AllowUsersToChangePassword"));
    }
    cJSON_Delete(p);
    return rc;
}

/* ---- GetAccountSummary */

/* How many resources of kind the account has. */
static err_t count_kind(api_ctx_t *c, const char *kind, int64_t *n)
{
    res_query_t q = {c->account, kind, NULL, 0, 0};
    return res_count(c->tx, &q, n, c->eb);
}

/* The one number an SQL query with the account as its only parameter answers. */
static err_t count_sql(api_ctx_t *c, const char *sql, int64_t *n)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(c->tx, c->eb, &st, sql, "s", c->account);
    if (!rc) rc = store_step(st, &row, c->eb);
    *n = row ? store_col_int(st, 0) : 0;
    if (!rc && row) rc = store_step(st, &row, c->eb);
    return rc;
}

err_t iam_get_account_summary(api_ctx_t *c)
{
    static const struct {
        const char *name;
        int64_t quota;
    } quotas[] = {
        {"UsersQuota", 5000},
        {"GroupsQuota", 300},
        {"RolesQuota", 1000},
        {"InstanceProfilesQuota", 1000},
        {"PoliciesQuota", 1500},
        {"ServerCertificatesQuota", 20},
        {"UserPolicySizeQuota", 2048},
        {"GroupPolicySizeQuota", 5120},
        {"RolePolicySizeQuota", 10240},
        {"AssumeRolePolicySizeQuota", 2048},
        {"PolicySizeQuota", 6144},
        {"GroupsPerUserQuota", 10},
        {"SigningCertificatesPerUserQuota", 2},
        {"AccessKeysPerUserQuota", 2},
        {"AttachedPoliciesPerUserQuota", 10},
        {"AttachedPoliciesPerGroupQuota", 10},
        {"AttachedPoliciesPerRoleQuota", 10},
        {"PolicyVersionsInUseQuota", 10000},
        {"VersionsPerPolicyQuota", 5},
        /* catalogd keeps no MFA devices or providers of its own here */
        {"MFADevices", 0},
        {"MFADevicesInUse", 0},
        {"AccountMFAEnabled", 0},
        {"Providers", 0},
    };
    static const struct {
        const char *name, *kind;
    } counts[] = {{"Users", IAM_USER},      {"Groups", IAM_GROUP},
                  {"Roles", IAM_ROLE},      {"InstanceProfiles", IAM_PROFILE},
                  {"Policies", IAM_POLICY}, {"ServerCertificates", IAM_SERVER_CERT}};
    cJSON *m = cJSON_AddObjectToObject(c->out, "SummaryMap");
    for (size_t i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++)
        cJSON_AddNumberToObject(m, quotas[i].name, (double)quotas[i].quota);
    err_t rc = ERR_OK;
    int64_t n = 0;
    for (size_t i = 0; !rc && i < sizeof(counts) / sizeof(counts[0]); i++) {
        rc = count_kind(c, counts[i].kind, &n);
        cJSON_AddNumberToObject(m, counts[i].name, (double)n);
    }
    /* versions of the account's own policies, and AWS managed policies attached here */
    if (!rc) rc = count_kind(c, IAM_POLICY_VER, &n);
    int64_t aws = 0;
    if (!rc)
        rc = count_sql(
            c,
            "SELECT COUNT(DISTINCT b) FROM links WHERE account = ? AND kind = '" IAM_LINK_ATTACH
            "' AND b LIKE 'arn:aws:iam::aws:%'",
            &aws);
    cJSON_AddNumberToObject(m, "PolicyVersionsInUse", (double)(n + aws));
    if (!rc)
        rc = count_sql(c, "SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND kind = 'root'",
                       &n);
    cJSON_AddNumberToObject(m, "AccountAccessKeysPresent", n > 0 ? 1 : 0);
    if (!rc)
        rc = count_sql(
            c,
            "SELECT COUNT(*) FROM resources WHERE account = ? AND kind = '" IAM_SIGNING_CERT
            "' AND parent = 'root'",
            &n);
    cJSON_AddNumberToObject(m, "AccountSigningCertificatesPresent", n > 0 ? 1 : 0);
    int version = 1;
    if (!rc) rc = iam_token_version(c, &version);
    cJSON_AddNumberToObject(m, "GlobalEndpointTokenVersion", version);
    return rc;
}
