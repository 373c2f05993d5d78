/* signin.c - the console's sign-in: account, user name and console password in, one
 * hour of session credentials for that user out (issued by STS exactly as
 * GetSessionToken issues them, so the user's own policies govern every page). Every
 * attempt costs one Argon2id verification, whether or not the user exists, and every
 * refusal reads the same, so the endpoint tells nobody which users exist. */
#include "console/console_int.h"

#include "core/clk.h"
#include "core/crypto.h"
#include "core/enc.h"
#include "core/jx.h"
#include "core/log.h"
#include "iam/identity.h"
#include "iam/mfa.h"
#include "svc/sts/sts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SIGNIN_REFUSED "Your authentication information is incorrect. Please try again."

/* Password guessing: after SIGNIN_MAX_FAILURES wrong passwords for one user name from
 * one source within SIGNIN_WINDOW_MS, sign-ins for that name from that source are refused
 * unheard for SIGNIN_LOCK_MS, doubled for each lock that follows (up to SIGNIN_LOCK_MAX_MS)
 * until a sign-in succeeds. Keyed by (account, name, source) so that a guesser elsewhere
 * can never keep a user out: the lock holds only where the failures came from (an IPv6
 * source counts by its /64, which one client usually holds whole). Kept per name, existing
 * or not (so the lock tells nothing either), in the store's signin_guard table (one row
 * per key, read and written in the sign-in's write transaction), so that a lock earned
 * through one node holds on every node sharing the database, and across restarts. A row
 * is named by a keyed hash (HMAC-SHA256 under a key derived from the sealing key), so the
 * database alone tells nobody which names were tried from where; a row that carries
 * nothing any more (its window passed, its last lock over for SIGNIN_FORGET_MS) goes. */
#define SIGNIN_MAX_FAILURES 5
#define SIGNIN_WINDOW_MS    (5 * 60 * 1000)
#define SIGNIN_LOCK_MS      (60 * 1000)
#define SIGNIN_LOCK_MAX_MS  (15 * 60 * 1000)
#define SIGNIN_FORGET_MS    (60 * 60 * 1000)

/* One row of signin_guard: the failures of the current window and the locks so far. */
typedef struct signin_guard {
    char key[2 * CRYPTO_SHA256_LEN + 1];
    int64_t failures, locks, first_ms, locked_until_ms;
} signin_guard_t;

/* The guard's key of (account, user name folded to lower case, source address: its 4
 * bytes, or the first 8 of an IPv6 one, or the text when it parses as neither) into
 * g->key (hex), with the counts zeroed. */
static void signin_guard_key(app_t *app, const char *account, const char *user, const char *source,
                             signin_guard_t *g)
{
    char key[16 + 72 + 1 + 16]; /* account, '/', the folded name (<= 64), '@', the source */
    int n = snprintf(key, sizeof(key), "%s/", account);
    for (size_t i = 0; user[i] && (size_t)n + 1 < sizeof(key) - 17; i++)
        key[n++] = (char)tolower((unsigned char)user[i]);
    key[n++] = '@';
    unsigned char a[16];
    const char *src = source ? source : "";
    size_t len = 0;
    if (inet_pton(AF_INET, src, a) == 1) {
        len = 4;
    } else if (inet_pton(AF_INET6, src, a) == 1) {
        len = IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a) ? 4 : 8;
        if (len == 4) memmove(a, a + 12, 4);
    } else {
        len = strlen(src) < 16 ? strlen(src) : 16;
        memcpy(a, src, len);
    }
    memcpy(key + n, a, len);
    static const char label[] = "catalogd console sign-in guard v1";
    unsigned char sub[CRYPTO_SHA256_LEN], mac[CRYPTO_SHA256_LEN];
    const seal_t *seal = auth_keys_seal(app->keys);
    crypto_hmac_sha256(seal->key, sizeof(seal->key), label, sizeof(label) - 1, sub);
    crypto_hmac_sha256(sub, sizeof(sub), key, (size_t)n + len, mac);
    memset(sub, 0, sizeof(sub));
    memset(g, 0, sizeof(*g));
    enc_hex(mac, sizeof(mac), g->key);
}

/* Reads g's row in tx as it stands at now_ms (none, or one due to be forgotten: the counts
 * stay zero). */
static err_t signin_guard_load(store_tx_t *tx, signin_guard_t *g, int64_t now_ms, errbuf_t *eb)
{
    store_stmt_t *st;
    bool row = false;
    err_t rc = store_query(tx, eb, &st,
                           "SELECT failures, locks, first_ms, locked_until_ms FROM signin_guard"
                           " WHERE key = ? AND forget_ms >= ?",
                           "si", g->key, now_ms);
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && row) {
        g->failures = store_col_int(st, 0);
        g->locks = store_col_int(st, 1);
        g->first_ms = store_col_int(st, 2);
        g->locked_until_ms = store_col_int(st, 3);
        rc = store_step(st, &row, eb);
    }
    return rc;
}

/* Seconds g stays locked at now_ms (0: not locked). */
static int64_t signin_locked_s(const signin_guard_t *g, int64_t now_ms)
{
    int64_t left = g->locked_until_ms > now_ms ? g->locked_until_ms - now_ms : 0;
    return (left + 999) / 1000;
}

/* Counts a sign-in's outcome in tx: a success forgets the failures and the locks; the last
 * failure allowed locks the key, twice as long as its lock before. Rows whose time to be
 * forgotten has come go in the same transaction. */
static err_t signin_guard_note(store_tx_t *tx, signin_guard_t *g, bool ok, int64_t now_ms,
                               errbuf_t *eb)
{
    err_t rc =
        store_exec(tx, eb, NULL, "DELETE FROM signin_guard WHERE forget_ms < ?", "i", now_ms);
    if (rc || ok)
        return rc ? rc
                  : store_exec(tx, eb, NULL, "DELETE FROM signin_guard WHERE key = ?", "s", g->key);
    if (!g->failures || now_ms - g->first_ms > SIGNIN_WINDOW_MS) {
        g->failures = 0;
        g->first_ms = now_ms;
    }
    if (++g->failures >= SIGNIN_MAX_FAILURES) {
        int64_t lock_ms = (int64_t)SIGNIN_LOCK_MS << (g->locks < 5 ? g->locks : 5);
        g->failures = 0;
        g->locks++;
        g->locked_until_ms = now_ms + (lock_ms < SIGNIN_LOCK_MAX_MS ? lock_ms : SIGNIN_LOCK_MAX_MS);
    }
    int64_t forget = g->first_ms + SIGNIN_WINDOW_MS;
    if (g->locks && g->locked_until_ms + SIGNIN_FORGET_MS > forget)
        forget = g->locked_until_ms + SIGNIN_FORGET_MS;
    int64_t changed = 0;
    rc = store_exec(tx, eb, &changed,
                    "UPDATE signin_guard SET failures = ?, locks = ?, first_ms = ?,"
                    " locked_until_ms = ?, forget_ms = ? WHERE key = ?",
                    "iiiiis", g->failures, g->locks, g->first_ms, g->locked_until_ms, forget,
                    g->key);
    if (!rc && !changed)
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO signin_guard (key, failures, locks, first_ms,"
                        " locked_until_ms, forget_ms) VALUES (?, ?, ?, ?, ?, ?)",
                        "siiiii", g->key, g->failures, g->locks, g->first_ms, g->locked_until_ms,
                        forget);
    return rc;
}

/* Seconds g's key stays locked at now_ms, read in a transaction of its own (0: not). */
static err_t signin_guard_check(app_t *app, signin_guard_t *g, int64_t now_ms, int64_t *wait_s,
                                errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    err_t rc = store_begin(app->store, false, &tx, eb);
    if (!rc) rc = signin_guard_load(tx, g, now_ms, eb);
    store_rollback(tx);
    *wait_s = rc ? 0 : signin_locked_s(g, now_ms);
    return rc;
}

/* A hash of a password nobody knows, made with login.c's parameters: verified against
 * when there is no real hash to check, so that a refusal costs what a real check does. */
static const char signin_dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$Khca7lcMkY1duIoaBBceyg$"
                                        "y6Qwkys4rl5aXxfU7HmcnZ5pBXFSGQcyJgOsw1UALtk";

/* True when s has min..max bytes and no control characters. */
static bool signin_text_ok(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

err_t console_signin_parse(span_t body, console_signin_req_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    if (body.n == 0 || body.n > CONSOLE_MAX_SIGNIN)
        return err_fail(eb, ERR_VALIDATION,
                        "The sign-in request must be a JSON object of at most %d bytes.",
                        CONSOLE_MAX_SIGNIN);
    cJSON *j = cJSON_ParseWithLength(body.p, body.n);
    err_t rc = ERR_OK;
    const char *account = jx_str(j, "account");
    const char *user = jx_str(j, "user");
    const char *password = jx_str(j, "password");
    const char *mfa = jx_str(j, "mfaCode");
    if (!cJSON_IsObject(j))
        rc = err_fail(eb, ERR_VALIDATION, "The sign-in request is not a JSON object.");
    else if (!account || strlen(account) != 12 || strspn(account, "0123456789") != 12)
        rc = err_fail(eb, ERR_VALIDATION, "Enter the 12-digit account ID.");
    else if (!signin_text_ok(user, 1, 64))
        rc = err_fail(eb, ERR_VALIDATION,
                      "Enter an IAM user name of 1 to 64 characters (root for the root user).");
    else if (!signin_text_ok(password, 1, 128))
        rc = err_fail(eb, ERR_VALIDATION, "Enter a password of 1 to 128 characters.");
    else if (mfa && (strlen(mfa) != 6 || strspn(mfa, "0123456789") != 6))
        rc = err_fail(eb, ERR_VALIDATION, "Enter the 6-digit code from your MFA device.");
    if (!rc) {
        snprintf(out->mfa_code, sizeof(out->mfa_code), "%s", mfa ? mfa : "");
        snprintf(out->account, sizeof(out->account), "%s", account);
        snprintf(out->user, sizeof(out->user), "%s", user);
        snprintf(out->password, sizeof(out->password), "%s", password);
    }
    if (password)
        memset(cJSON_GetObjectItemCaseSensitive(j, "password")->valuestring, 0, strlen(password));
    cJSON_Delete(j);
    return rc;
}

/* The root user's console password (CATALOGD_ROOT_PASSWORD, else the first line of the
 * data directory's file) into out; false when there is none. */
static bool signin_root_password(const app_t *app, char *out, size_t cap)
{
    if (app->cfg.root_password[0]) {
        snprintf(out, cap, "%s", app->cfg.root_password);
        return true;
    }
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", app->cfg.data_dir, CONSOLE_ROOT_PW_FILE);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (ok) out[strcspn(out, "\r\n")] = '\0';
    return ok && out[0];
}

/* Finds an IAM user of account (any of catalogd's accounts) with a login profile through
 * the identity module (iam/identity.h): its password hash into hash and its principal into
 * who, *found true. A missing account, user or profile is not an error (*found false). */
static err_t signin_user(app_t *app, const char *account, const char *name, char hash[160],
                         auth_principal_t *who, bool *found, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    err_t rc = store_begin(app->store, false, &tx, eb);
    if (!rc) rc = iam_identity_login(tx, account, name, hash, 160, who, found, eb);
    if (tx) store_rollback(tx);
    return rc;
}

/* Decides a sign-in: *ok with who filled when the password is right. Errors are the
 * store's only; a wrong account, user or password is *ok false. */
static err_t signin_check(app_t *app, const console_signin_req_t *in, auth_principal_t *who,
                          bool *ok, errbuf_t *eb)
{
    *ok = false;
    memset(who, 0, sizeof(*who));
    /* the root's console password is the default account's (other accounts' roots have
     * none); IAM users of every account sign in with their account's id */
    bool account_ok = strcmp(in->account, app->cfg.account_id) == 0;
    char hash[160] = "";
    bool found = false;
    err_t rc = ERR_OK;
    if (strcasecmp(in->user, CONSOLE_ROOT_USER) == 0) { /* any case, as IAM names */
        char expected[160];
        unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
        bool have = signin_root_password(app, expected, sizeof(expected));
        crypto_sha256(in->password, strlen(in->password), a);
        crypto_sha256(expected, have ? strlen(expected) : 0, b);
        memset(expected, 0, sizeof(expected));
        iam_login_verify(signin_dummy_hash, in->password); /* the same cost as a user's */
        *ok = account_ok && have && crypto_equal(a, b, sizeof(a));
        if (*ok) {
            who->kind = AUTH_ROOT;
            snprintf(who->account, sizeof(who->account), "%s", app->cfg.account_id);
            snprintf(who->arn, sizeof(who->arn), "arn:aws:iam::%s:root", app->cfg.account_id);
            snprintf(who->user_id, sizeof(who->user_id), "%s", app->cfg.account_id);
            snprintf(who->name, sizeof(who->name), "root");
        }
        return ERR_OK;
    }
    rc = signin_user(app, in->account, in->user, hash, who, &found, eb);
    if (rc) return rc;
    bool match = iam_login_verify(found ? hash : signin_dummy_hash, in->password);
    *ok = found && match;
    if (!*ok) memset(who, 0, sizeof(*who));
    return ERR_OK;
}

/* What signin_settle made of a sign-in. */
typedef enum signin_mfa { SIGNIN_ISSUED, SIGNIN_MFA_REQUIRED, SIGNIN_MFA_WRONG } signin_mfa_t;

/* Settles a checked sign-in (*ok: its password was right) in one write transaction: when
 * another attempt locked g's key meanwhile, *wait_s gets the seconds left and nothing else
 * happens. Otherwise a right password issues the session: an IAM user with an MFA device
 * must also give a current code of it (as on AWS's console): without one nothing is issued
 * and *mfa says SIGNIN_MFA_REQUIRED, with a wrong or used one SIGNIN_MFA_WRONG (*ok turns
 * false); with a good one the session carries MFA. The outcome is counted in g's row
 * (unless a code was missing), in the same transaction. */
static err_t signin_settle(app_t *app, signin_guard_t *g, int64_t now_ms, auth_principal_t *who,
                           bool *ok, const char *code, sts_creds_t *c, signin_mfa_t *mfa,
                           int64_t *wait_s, errbuf_t *eb)
{
    store_tx_t *tx = NULL;
    *mfa = SIGNIN_ISSUED;
    *wait_s = 0;
    err_t rc = store_begin(app->store, true, &tx, eb);
    if (!rc) rc = signin_guard_load(tx, g, now_ms, eb);
    if (!rc) *wait_s = signin_locked_s(g, now_ms);
    if (rc || *wait_s) {
        store_rollback(tx);
        return rc;
    }
    /* the session's part is undone when none is issued; the count stays */
    char serial[320] = "";
    rc = *ok ? store_savepoint(tx, eb) : ERR_OK;
    if (!rc && *ok && who->kind == AUTH_USER)
        rc = iam_mfa_of_user(tx, who->account, who->user_id, serial, sizeof(serial), eb);
    if (!rc && serial[0] && !code[0]) *mfa = SIGNIN_MFA_REQUIRED;
    if (!rc && serial[0] && code[0]) {
        bool known = false, good = false;
        int64_t now = clk_now_ms(&app->wall);
        rc = iam_mfa_check(tx, auth_keys_seal(app->keys), who->account, who->user_id, serial, code,
                           now, &known, &good, eb);
        if (!rc && !good) *mfa = SIGNIN_MFA_WRONG;
        if (good) who->mfa_ms = now;
    }
    if (!rc && *ok && *mfa == SIGNIN_ISSUED)
        rc = sts_session_token(app, tx, who, CONSOLE_SESSION_S, c, eb);
    if (!rc && *ok && *mfa != SIGNIN_ISSUED)
        store_rollback_to(tx); /* and released */
    else if (!rc && *ok)
        rc = store_release(tx, eb);
    if (*mfa == SIGNIN_MFA_WRONG) *ok = false; /* a wrong code counts as a failed sign-in */
    if (!rc && *mfa != SIGNIN_MFA_REQUIRED) rc = signin_guard_note(tx, g, *ok, now_ms, eb);
    if (rc) {
        store_rollback(tx);
        return rc;
    }
    return store_commit(tx, eb);
}

const char *console_region(const app_t *app)
{
    return app->cfg.region;
}

static void signin_reply(app_t *app, const sts_creds_t *c, http_response_t *resp)
{
    char exp[32];
    enc_iso8601(c->expires_ms, exp);
    cJSON *o = cJSON_CreateObject();
    cJSON *cr = cJSON_AddObjectToObject(o, "Credentials");
    cJSON_AddStringToObject(cr, "AccessKeyId", c->access_key);
    cJSON_AddStringToObject(cr, "SecretAccessKey", c->secret);
    cJSON_AddStringToObject(cr, "SessionToken", c->token);
    cJSON_AddStringToObject(cr, "Expiration", exp);
    cJSON *id = cJSON_AddObjectToObject(o, "Identity");
    cJSON_AddStringToObject(id, "Arn", c->who.arn);
    cJSON_AddStringToObject(id, "Account", c->who.account);
    cJSON_AddStringToObject(id, "UserName", c->who.name);
    cJSON_AddStringToObject(id, "Type", c->who.kind == AUTH_ROOT ? "root" : "user");
    cJSON_AddStringToObject(o, "Region", app->cfg.region);
    console_json_reply(resp, 200, o);
}

void console_signin(app_t *app, const http_request_t *req, http_response_t *resp)
{
    resp->operation = "SignIn";
    if (span_eq_str(req->method, "GET")) { /* what the sign-in form pre-fills */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Account", app->cfg.account_id);
        cJSON_AddStringToObject(o, "Region", app->cfg.region);
        if (console_federation_on(app)) { /* "Sign in with NAME" */
            cJSON *f = cJSON_AddObjectToObject(o, "Federation");
            cJSON_AddStringToObject(
                f, "Name", app->cfg.oidc_name[0] ? app->cfg.oidc_name : "your identity provider");
            cJSON_AddStringToObject(f, "Start", CONSOLE_FED_PATH "/start");
        }
        console_json_reply(resp, 200, o);
        return;
    }
    if (!span_eq_str(req->method, "POST")) {
        console_header(resp, "Allow", "GET, POST");
        console_json_error(resp, 405, "MethodNotAllowed", "Sign in with POST.");
        return;
    }
    if (req->limit) {
        console_json_error(resp, 413, "RequestEntityTooLarge", "The sign-in request is too large.");
        return;
    }
    /* JSON only: a cross-site form cannot send it without the browser asking first */
    span_t ct = http_header(req, "Content-Type");
    if (!ct.p || !span_starts_with(ct, SPAN_LIT("application/json"))) {
        console_json_error(resp, 415, "UnsupportedMediaType",
                           "Send the sign-in as application/json.");
        return;
    }
    console_signin_req_t in;
    errbuf_t eb = {{0}};
    err_t rc = console_signin_parse(req->body, &in, &eb);
    if (rc) {
        console_json_error(resp, 400, "InvalidInput", eb.msg);
        return;
    }
    signin_guard_t guard;
    signin_guard_key(app, in.account, in.user, req->client_ip, &guard);
    int64_t now = clk_now_ms(&app->clock);
    int64_t wait_s = 0;
    rc = signin_guard_check(app, &guard, now, &wait_s, &eb);
    auth_principal_t who;
    bool ok = false;
    if (!rc && !wait_s) rc = signin_check(app, &in, &who, &ok, &eb);
    memset(in.password, 0, sizeof(in.password));
    sts_creds_t c;
    signin_mfa_t mfa = SIGNIN_ISSUED;
    if (!rc && !wait_s)
        rc = signin_settle(app, &guard, now, &who, &ok, in.mfa_code, &c, &mfa, &wait_s, &eb);
    if (!rc && wait_s) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "Too many failed sign-ins for this user from your address. Try again in %lld "
                 "seconds.",
                 (long long)wait_s);
        console_json_error(resp, 429, "TooManySignInAttempts", msg);
        return;
    }
    if (rc == ERR_UNAVAILABLE) { /* the database went away: every sign-in writes; retry */
        console_json_error(resp, 503, "ServiceUnavailable",
                           "catalogd cannot reach its database just now; try again.");
        return;
    }
    if (rc) {
        char em[1100];
        log_error("console sign-in failed",
                  "\"request_id\":\"%s\",\"error\":\"%s\",\"detail\":\"%s\"", req->request_id,
                  err_name(rc), log_escape(em, sizeof(em), eb.msg));
        console_json_error(resp, 500, "InternalFailure",
                           "catalogd could not sign you in because of an internal error; its log "
                           "has the details.");
        return;
    }
    if (mfa == SIGNIN_MFA_REQUIRED) {
        console_json_error(resp, 401, "MFARequired",
                           "Enter the 6-digit code your MFA device shows for this user.");
        return;
    }
    if (!ok) {
        console_json_error(resp, 401, "SignInFailed", SIGNIN_REFUSED);
        return;
    }
    snprintf(resp->principal, sizeof(resp->principal), "%s", who.arn);
    signin_reply(app, &c, resp);
    memset(&c, 0, sizeof(c));
}
