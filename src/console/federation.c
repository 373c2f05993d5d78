/* federation.c - console sign-in through an OpenID Connect identity provider, with the
 * authorization-code flow (state, nonce and PKCE S256). start: redirect the browser to the
 * IdP's authorization_endpoint; callback: trade the code at its token_endpoint, check the
 * ID token's nonce, and assume the configured role with sts:AssumeRoleWithWebIdentity
 * through the in-process client (which verifies the token against the IdP's keys, its
 * times and audience, and the role's trust policy, exactly as for an API caller); the
 * credentials wait under a one-time ticket bound to the browser by a cookie until the
 * console page collects them (session). Every network read runs on the fetch threads
 * (the request is deferred); the IdP is reached with the TLS trust of its IAM OIDC
 * provider (system CAs or its thumbprints). docs/federation.md tells the operator's side. */
#include "console/console_int.h"

#include "api/api.h"
#include "core/clk.h"
#include "core/crypto.h"
#include "core/enc.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/workq.h"
#include "prov/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FED_SLOTS         128 /* entries of a kind kept at most: the first to expire make room */
#define FED_PENDING_MS    (10 * 60 * 1000) /* a sign-in must come back within this */
#define FED_TICKET_MS     (2 * 60 * 1000)  /* and its credentials be collected within this */
#define FED_MAX_DOC       (256 * 1024)
#define FED_MAX_ENTRY     (64 * 1024) /* a kept entry, sealed */
#define FED_STATE_COOKIE  "catalogd_fed_state"
#define FED_TICKET_COOKIE "catalogd_fed_ticket"

/* One sign-in under way (state, nonce, PKCE verifier), or credentials waiting (ticket).
 * Kept in the store's console_pending table (migration 6), so that the identity provider's
 * redirect and the page's collection may reach any node, before or after a restart. */
typedef struct fed_slot {
    char id[48]; /* the state or the ticket */
    char nonce[48], verifier[64], redirect[512];
    char *answer; /* ticket: the sign-in answer (JSON, owned) */
    int64_t until_ms;
} fed_slot_t;

/* Header values outlive the handler's return only until the server has copied them, which
 * it does on this thread before calling any handler again. */
static _Thread_local char fed_location[2048], fed_cookie[256];

/* A random URL-safe token of 32 bytes. */
static void fed_random(app_t *app, char out[48])
{
    unsigned char raw[32];
    app->ids.fill(&app->ids, raw, sizeof(raw));
    buf_t b;
    buf_init(&b, 64);
    enc_base64(&b, raw, sizeof(raw));
    size_t n = 0;
    for (const char *p = buf_str(&b); *p && n < 43; p++)
        out[n++] = *p == '+' ? '-' : *p == '/' ? '_' : *p == '=' ? '\0' : *p;
    out[n] = '\0';
    buf_free(&b);
}

/* The row's key of entry id of kind ("state" or "ticket"): the kind and the SHA-256 of id
 * in hex, so that the database alone redeems nothing. An entry is found by this primary
 * key, so the id needs no comparison in constant time (as the in-memory tables did): it is
 * 256 bits of randomness, and how long an index lookup of its hash takes tells a guesser
 * nothing about any other id. */
static void fed_row_key(const char *kind, const char *id, char out[80])
{
    unsigned char md[CRYPTO_SHA256_LEN];
    crypto_sha256(id, strlen(id), md);
    int n = snprintf(out, 80, "%s:", kind);
    enc_hex(md, sizeof(md), out + n);
}

/* Makes room for one more entry of kind in tx: at most FED_SLOTS are kept (as the
 * in-memory tables held), the ones that expire first go. Keys of a kind lie between
 * "kind:" and "kind;" (';' follows ':'), in bytewise order on either backend. */
static err_t fed_make_room(store_tx_t *tx, const char *kind, errbuf_t *eb)
{
    char lo[16], hi[16];
    snprintf(lo, sizeof(lo), "%s:", kind);
    snprintf(hi, sizeof(hi), "%s;", kind);
    store_stmt_t *st;
    bool row = false;
    err_t rc =
        store_query(tx, eb, &st, "SELECT COUNT(*) FROM console_pending WHERE key > ? AND key < ?",
                    "ss", lo, hi);
    if (!rc) rc = store_step(st, &row, eb);
    int64_t over = !rc && row ? store_col_int(st, 0) - (FED_SLOTS - 1) : 0;
    if (!rc && row) rc = store_step(st, &row, eb); /* done with it before the DELETE */
    if (!rc && over > 0)
        rc = store_exec(tx, eb, NULL,
                        "DELETE FROM console_pending WHERE key IN (SELECT key FROM "
                        "console_pending WHERE key > ? AND key < ? ORDER BY until_ms, key LIMIT ?)",
                        "ssi", lo, hi, over);
    return rc;
}

/* Keeps s as the entry of kind, sealed (it holds a PKCE verifier or credentials), in a
 * write transaction of its own, which drops expired entries and makes room
 * (fed_make_room) too. The caller keeps s->answer. Errors are the store's (ERR_INTERNAL
 * when s does not seal). */
static err_t fed_put(app_t *app, const char *kind, const fed_slot_t *s, errbuf_t *eb)
{
    char key[80];
    fed_row_key(kind, s->id, key);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "nonce", s->nonce);
    cJSON_AddStringToObject(o, "verifier", s->verifier);
    cJSON_AddStringToObject(o, "redirect", s->redirect);
    if (s->answer) cJSON_AddStringToObject(o, "answer", s->answer);
    char *plain = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    buf_t sealed;
    buf_init(&sealed, FED_MAX_ENTRY);
    bool ok = seal_seal(auth_keys_seal(app->keys), &app->ids, span_of(plain), &sealed);
    explicit_bzero(plain, strlen(plain));
    cJSON_free(plain);
    store_tx_t *tx = NULL;
    err_t rc = ok ? store_begin(app->store, true, &tx, eb)
                  : err_fail(eb, ERR_INTERNAL, "a federated sign-in's entry does not seal");
    if (!rc)
        rc = store_exec(tx, eb, NULL, "DELETE FROM console_pending WHERE until_ms <= ?", "i",
                        clk_now_ms(&app->wall));
    if (!rc) rc = fed_make_room(tx, kind, eb);
    if (!rc)
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO console_pending (key, body, until_ms) VALUES (?, ?, ?)", "ssi",
                        key, buf_str(&sealed), s->until_ms);
    if (!rc)
        rc = store_commit(tx, eb);
    else
        store_rollback(tx);
    buf_free(&sealed);
    return rc;
}

/* Takes the unexpired entry of kind that id names into *out (*found; out->answer is the
 * caller's then): one use only, deleted in the same write transaction, on whichever node
 * it was made. Errors are the store's; an entry that does not unseal is not found. */
static err_t fed_take(app_t *app, const char *kind, const char *id, int64_t now_ms, fed_slot_t *out,
                      bool *found, errbuf_t *eb)
{
    *found = false;
    memset(out, 0, sizeof(*out));
    size_t n = strlen(id);
    if (!n || n >= sizeof(out->id)) return ERR_OK;
    char key[80];
    fed_row_key(kind, id, key);
    store_tx_t *tx = NULL;
    store_stmt_t *st;
    bool row = false;
    buf_t plain;
    buf_init(&plain, FED_MAX_ENTRY);
    err_t rc = store_begin(app->store, true, &tx, eb);
    if (!rc)
        rc = store_query(tx, eb, &st, "SELECT body, until_ms FROM console_pending WHERE key = ?",
                         "s", key);
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && row && store_col_int(st, 1) > now_ms)
        *found = seal_open_value(auth_keys_seal(app->keys), span_of(store_col_text(st, 0)), &plain);
    if (!rc && row) rc = store_step(st, &row, eb);
    if (!rc) rc = store_exec(tx, eb, NULL, "DELETE FROM console_pending WHERE key = ?", "s", key);
    if (!rc)
        rc = store_commit(tx, eb);
    else if (tx)
        store_rollback(tx);
    cJSON *o = !rc && *found ? cJSON_Parse(buf_str(&plain)) : NULL;
    *found = o && jx_str(o, "nonce") && jx_str(o, "verifier") && jx_str(o, "redirect");
    if (*found) {
        snprintf(out->id, sizeof(out->id), "%s", id);
        snprintf(out->nonce, sizeof(out->nonce), "%s", jx_str(o, "nonce"));
        snprintf(out->verifier, sizeof(out->verifier), "%s", jx_str(o, "verifier"));
        snprintf(out->redirect, sizeof(out->redirect), "%s", jx_str(o, "redirect"));
        out->answer = jx_str(o, "answer") ? xstrdup(jx_str(o, "answer")) : NULL;
    }
    cJSON_Delete(o);
    if (plain.p) explicit_bzero(plain.p, plain.len);
    buf_free(&plain);
    return rc;
}

void console_cookie(span_t c, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (size_t i = 0; c.p && i + nl < c.n; i++) {
        bool at_start = i == 0 || c.p[i - 1] == ' ' || c.p[i - 1] == ';';
        if (at_start && !memcmp(c.p + i, name, nl) && c.p[i + nl] == '=') {
            size_t s = i + nl + 1, e = s;
            while (e < c.n && c.p[e] != ';' && e - s + 1 < cap) e++;
            memcpy(out, c.p + s, e - s);
            out[e - s] = '\0';
            return;
        }
    }
}

const char *console_query_param(span_t query, const char *name, arena_t *arena)
{
    size_t nl = strlen(name);
    for (const char *p = query.p, *end = p + query.n; p && p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nl && !memcmp(p, name, nl) && p[nl] == '=') {
            buf_t b;
            buf_init(&b, 4096);
            bool ok = enc_uri_decode(&b, span_make(p + nl + 1, (size_t)(stop - p - nl - 1)), true);
            const char *v = ok ? arena_strdup(arena, buf_str(&b)) : NULL;
            buf_free(&b);
            return v;
        }
        p = amp ? amp + 1 : end;
    }
    return NULL;
}

/* ---- the work on a fetch thread */

typedef enum fed_step { FED_START, FED_CALLBACK } fed_step_t;

/* A deferred federation request: made on the HTTP thread, filled on a fetch thread. */
typedef struct fed_job {
    app_t *app;
    arena_t arena;
    fed_step_t step;
    http_token_t *token;
    fed_slot_t pending; /* callback: the sign-in it finishes */
    const char *code;
    /* the outcome */
    int status;          /* 0: done well */
    const char *message; /* for the browser on failure */
    const char *location;
    char ticket[48];
} fed_job_t;

static void fed_job_free(void *p)
{
    fed_job_t *j = p;
    arena_free(&j->arena);
    free(j);
}

/* Reads url (GET, or POST form) with the TLS trust of the IAM OIDC provider the issuer is:
 * its thumbprints as pins. The JSON answer into *out (owned by the arena). */
static bool fed_fetch(fed_job_t *j, const char *url, const char *form, const cJSON **out)
{
    app_t *app = j->app;
    const char *issuer = app->cfg.oidc_issuer;
    char account[16] = "";
    const char *role = app->cfg.oidc_role_arn;
    if (strlen(role) > 25) snprintf(account, sizeof(account), "%.12s", role + 13);
    auth_principal_t sts;
    auth_service_principal(&sts, "sts.amazonaws.com", account, console_region(app));
    cJSON *in = cJSON_CreateObject(), *prov = NULL;
    cJSON_AddStringToObject(in, "OpenIDConnectProviderArn",
                            arena_printf(&j->arena, "arn:aws:iam::%s:oidc-provider/%s", sts.account,
                                         !strncmp(issuer, "https://", 8) ? issuer + 8 : issuer));
    errbuf_t eb;
    err_t rc = api_client_call_tx(app, NULL, NULL, &j->arena, &sts, "iam",
                                  "GetOpenIDConnectProvider", in, &prov, &eb);
    cJSON_Delete(in);
    const char *pins[8];
    size_t n = 0;
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(prov, "ThumbprintList");
    for (const cJSON *t = tl ? tl->child : NULL; t && n < 8; t = t->next)
        pins[n++] = t->valuestring;
    prov_fetch_req_t r = {
        .url = url, .form = form, .accept = "application/json", .pins = pins, .n_pins = n};
    buf_t b;
    buf_init(&b, FED_MAX_DOC);
    prov_fetch_class_t k = PROV_FETCH_BAD_URL;
    if (!rc && !strncmp(url, "https://", 8)) k = prov_fetch_req(&app->fetch, &r, &b, &eb);
    cJSON_Delete(prov);
    cJSON *j_out = k == PROV_FETCH_OK ? cJSON_ParseWithLength(buf_str(&b), b.len) : NULL;
    if (!j_out) {
        char eu[512], er[600];
        log_info("console federation fetch failed", "\"url\":\"%s\",\"reason\":\"%s\"",
                 log_escape(eu, sizeof(eu), url),
                 log_escape(er, sizeof(er), rc ? "no IAM OIDC provider for the issuer" : eb.msg));
    }
    buf_free(&b);
    *out = j_out ? jx_own(&j->arena, j_out) : NULL;
    return *out != NULL;
}

/* The string member of the IdP's discovery document, or NULL. */
static const char *fed_discover(fed_job_t *j, const char *member)
{
    const cJSON *conf = NULL;
    const char *url =
        arena_printf(&j->arena, "%s/.well-known/openid-configuration", j->app->cfg.oidc_issuer);
    return fed_fetch(j, url, NULL, &conf) ? jx_str(conf, member) : NULL;
}

static void fed_fail(fed_job_t *j, int status, const char *message)
{
    j->status = status;
    j->message = message;
}

static void fed_log_store(const errbuf_t *eb)
{
    char em[1100];
    log_error("federated sign-in not kept", "\"detail\":\"%s\"",
              log_escape(em, sizeof(em), eb->msg));
}

/* The store could not keep or give back a sign-in's entry: logged, and the browser is told
 * to try again (503: a lost database connection, a busy one). */
static void fed_store_failed(fed_job_t *j, const errbuf_t *eb)
{
    fed_log_store(eb);
    fed_fail(j, 503, "catalogd could not keep this sign-in; try again.");
}

/* start: the authorization request's URL. */
static void fed_run_start(fed_job_t *j)
{
    const char *endpoint = fed_discover(j, "authorization_endpoint");
    if (!endpoint) {
        fed_fail(j, 502, "catalogd could not reach your identity provider; its log says why.");
        return;
    }
    const fed_slot_t *p = &j->pending;
    unsigned char md[CRYPTO_SHA256_LEN];
    crypto_sha256(p->verifier, strlen(p->verifier), md);
    buf_t ch;
    buf_init(&ch, 64);
    enc_base64(&ch, md, sizeof(md));
    char challenge[48];
    size_t n = 0;
    for (const char *c = buf_str(&ch); *c && *c != '=' && n < 43; c++)
        challenge[n++] = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    challenge[n] = '\0';
    buf_free(&ch);
    buf_t u;
    buf_init(&u, sizeof(fed_location) - 1);
    buf_printf(&u, "%s%sresponse_type=code&scope=openid&client_id=", endpoint,
               strchr(endpoint, '?') ? "&" : "?");
    enc_uri(&u, span_of(j->app->cfg.oidc_client_id), false);
    buf_adds(&u, "&redirect_uri=");
    enc_uri(&u, span_of(p->redirect), false);
    buf_printf(&u, "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256", p->id,
               p->nonce, challenge);
    j->location = arena_strdup(&j->arena, buf_str(&u));
    buf_free(&u);
}

/* A role session name from the token's claims: preferred_username, email or sub, in the
 * characters AWS allows, 2 to 64 of them. */
static const char *fed_session_name(const cJSON *claims, arena_t *arena)
{
    const char *src = jx_str(claims, "preferred_username");
    if (!src) src = jx_str(claims, "email");
    if (!src) src = jx_str(claims, "sub");
    char *s = arena_strdup(arena, src ? src : "");
    size_t n = 0;
    for (const char *c = s; *c && n < 64; c++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=,.@-", *c))
            s[n++] = *c;
    s[n] = '\0';
    return n >= 2 ? s : "federated-user";
}

/* The ID token's nonce (read unverified: AssumeRoleWithWebIdentity then verifies the same
 * token, so a forged nonce never gets a session). */
static bool fed_nonce_ok(const char *id_token, const char *nonce, const cJSON **claims,
                         arena_t *arena)
{
    const char *d1 = strchr(id_token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2) return false;
    buf_t b;
    buf_init(&b, 16384);
    buf_t std;
    buf_init(&std, 16384);
    for (const char *c = d1 + 1; c < d2; c++)
        buf_addc(&std, *c == '-' ? '+' : *c == '_' ? '/' : *c);
    cJSON *j =
        enc_base64_decode(&b, buf_span(&std)) ? cJSON_ParseWithLength(buf_str(&b), b.len) : NULL;
    buf_free(&b);
    buf_free(&std);
    const char *got = jx_str(j, "nonce");
    bool ok = got && strlen(got) == strlen(nonce) && crypto_equal(got, nonce, strlen(nonce));
    *claims = j ? jx_own(arena, j) : NULL;
    return ok;
}

/* callback: code -> ID token -> role session -> ticket. */
static void fed_run_callback(fed_job_t *j)
{
    app_t *app = j->app;
    const char *endpoint = fed_discover(j, "token_endpoint");
    if (!endpoint) {
        fed_fail(j, 502, "catalogd could not reach your identity provider; its log says why.");
        return;
    }
    buf_t f;
    buf_init(&f, 8192);
    buf_adds(&f, "grant_type=authorization_code&code=");
    enc_uri(&f, span_of(j->code), false);
    buf_adds(&f, "&redirect_uri=");
    enc_uri(&f, span_of(j->pending.redirect), false);
    buf_adds(&f, "&client_id=");
    enc_uri(&f, span_of(app->cfg.oidc_client_id), false);
    buf_adds(&f, "&client_secret=");
    enc_uri(&f, span_of(app->cfg.oidc_client_secret), false);
    buf_printf(&f, "&code_verifier=%s", j->pending.verifier);
    const cJSON *tok = NULL;
    bool got = fed_fetch(j, endpoint, buf_str(&f), &tok);
    memset(f.p, 0, f.len);
    buf_free(&f);
    const char *id_token = got ? jx_str(tok, "id_token") : NULL;
    const cJSON *claims = NULL;
    if (!id_token) {
        fed_fail(j, 502,
                 "Your identity provider did not issue an ID token; catalogd's log says why.");
        return;
    }
    if (!fed_nonce_ok(id_token, j->pending.nonce, &claims, &j->arena)) {
        fed_fail(j, 403, "The ID token is not the answer to this sign-in (its nonce differs).");
        return;
    }
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "RoleArn", app->cfg.oidc_role_arn);
    cJSON_AddStringToObject(in, "RoleSessionName", fed_session_name(claims, &j->arena));
    cJSON_AddStringToObject(in, "WebIdentityToken", id_token);
    cJSON_AddNumberToObject(in, "DurationSeconds", CONSOLE_SESSION_S);
    auth_principal_t anon = {.kind = AUTH_ANONYMOUS, .name = "anonymous"};
    const char *role = app->cfg.oidc_role_arn;
    if (strlen(role) > 25) snprintf(anon.account, sizeof(anon.account), "%.12s", role + 13);
    snprintf(anon.region, sizeof(anon.region), "%s", console_region(app));
    errbuf_t eb;
    err_t rc = api_client_call_tx(app, NULL, NULL, &j->arena, &anon, "sts",
                                  "AssumeRoleWithWebIdentity", in, &out, &eb);
    cJSON_Delete(in);
    if (rc) {
        char text[1200];
        api_client_error_text(rc, "sts", "AssumeRoleWithWebIdentity", eb.msg, text, sizeof(text));
        j->status = 403;
        j->message = arena_printf(&j->arena, "The sign-in was refused: %s", text);
        return;
    }
    /* the answer the sign-in page keeps, as POST /console/api/signin gives it */
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(out, "Credentials");
    const cJSON *who = cJSON_GetObjectItemCaseSensitive(out, "AssumedRoleUser");
    cJSON *a = cJSON_CreateObject();
    cJSON *c = cJSON_AddObjectToObject(a, "Credentials");
    static const char *const keys[] = {"AccessKeyId", "SecretAccessKey", "SessionToken", NULL};
    jx_copy(c, cr, keys);
    char exp[32];
    enc_iso8601((int64_t)(jx_int(cr, "Expiration", 0)) * 1000, exp);
    cJSON_AddStringToObject(c, "Expiration", exp);
    cJSON *id = cJSON_AddObjectToObject(a, "Identity");
    const char *arn = jx_str(who, "Arn");
    cJSON_AddStringToObject(id, "Arn", arn);
    char account[16] = "";
    if (arn && strlen(arn) > 25) snprintf(account, sizeof(account), "%.12s", arn + 13);
    cJSON_AddStringToObject(id, "Account", account);
    cJSON_AddStringToObject(id, "UserName", jx_str(out, "SubjectFromWebIdentityToken"));
    cJSON_AddStringToObject(id, "Type", "assumed-role");
    cJSON_AddStringToObject(a, "Region", console_region(app));
    fed_slot_t t = {.until_ms = clk_now_ms(&app->wall) + FED_TICKET_MS};
    fed_random(app, t.id);
    t.answer = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    cJSON_Delete(out);
    snprintf(j->ticket, sizeof(j->ticket), "%s", t.id);
    if (fed_put(app, "ticket", &t, &eb)) fed_store_failed(j, &eb);
    explicit_bzero(t.answer, strlen(t.answer));
    cJSON_free(t.answer);
}

static void fed_run(void *arg)
{
    fed_job_t *j = arg;
    if (j->step == FED_START)
        fed_run_start(j);
    else
        fed_run_callback(j);
    http_resume(j->token); /* the last touch: the request may be gone once it returns */
}

/* Defers req and hands j to the fetch threads; false (j freed) when they take no more. */
static bool fed_defer(app_t *app, const http_request_t *req, fed_job_t *j)
{
    j->token = http_defer(req, j, fed_job_free);
    if (app->fetchq && !atomic_load(&app->fetch_cancel) && workq_submit(app->fetchq, fed_run, j))
        return true;
    http_defer_cancel(j->token);
    fed_job_free(j);
    return false;
}

/* ---- the endpoints */

static void fed_text(http_response_t *resp, int status, const char *msg)
{
    resp->status = status;
    resp->content_type = "text/plain; charset=utf-8";
    buf_reset(&resp->body);
    buf_printf(&resp->body, "%s\n", msg);
}

static void fed_redirect(http_response_t *resp, const char *location)
{
    snprintf(fed_location, sizeof(fed_location), "%s", location);
    resp->status = 302;
    resp->content_type = "text/plain; charset=utf-8";
    console_header(resp, "Location", fed_location);
    buf_printf(&resp->body, "Continue at %s\n", location);
}

/* The callback URL the IdP sends the browser back to. */
static const char *fed_redirect_uri(app_t *app, const http_request_t *req, arena_t *arena)
{
    if (app->cfg.oidc_redirect_uri[0]) return app->cfg.oidc_redirect_uri;
    span_t host = http_header(req, "Host");
    if (!host.p || !host.n || host.n > 255) return NULL;
    for (size_t i = 0; i < host.n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
                    host.p[i]))
            return NULL;
    return arena_printf(arena, "http://%.*s%s/callback", (int)host.n, host.p, CONSOLE_FED_PATH);
}

/* The second call of a deferred request: the job's outcome becomes the answer. */
static void fed_finish(fed_job_t *j, http_response_t *resp)
{
    if (j->status) {
        fed_text(resp, j->status, j->message);
    } else if (j->step == FED_START) {
        snprintf(fed_cookie, sizeof(fed_cookie),
                 FED_STATE_COOKIE "=%s; Path=" CONSOLE_FED_PATH "; HttpOnly; SameSite=Lax; "
                                  "Max-Age=600",
                 j->pending.id);
        console_header(resp, "Set-Cookie", fed_cookie);
        fed_redirect(resp, j->location);
    } else {
        snprintf(fed_cookie, sizeof(fed_cookie),
                 FED_TICKET_COOKIE "=%s; Path=" CONSOLE_FED_PATH "; HttpOnly; SameSite=Strict; "
                                   "Max-Age=120",
                 j->ticket);
        console_header(resp, "Set-Cookie", fed_cookie);
        fed_redirect(resp, CONSOLE_PREFIX "/?federated=1");
    }
    fed_job_free(j);
}

bool console_federation_on(const app_t *app)
{
    return app->cfg.oidc_issuer[0] && app->cfg.oidc_client_id[0] && app->cfg.oidc_role_arn[0];
}

void console_federation(app_t *app, const http_request_t *req, http_response_t *resp)
{
    resp->operation = "FederatedSignIn";
    if (req->resumed) {
        fed_finish(req->resumed, resp);
        return;
    }
    span_t path = req->path;
    bool get = span_eq_str(req->method, "GET");
    if (!console_federation_on(app)) {
        fed_text(resp, 404, "Federated sign-in is not configured (see docs/federation.md).");
        return;
    }
    fed_job_t *j = xcalloc(1, sizeof(*j));
    j->app = app;
    arena_init(&j->arena);
    int64_t now = clk_now_ms(&app->wall);
    if (get && span_eq_str(path, CONSOLE_FED_PATH "/start")) {
        const char *redirect = fed_redirect_uri(app, req, &j->arena);
        if (!redirect) {
            fed_job_free(j);
            fed_text(resp, 400, "The request's Host header cannot name the console's callback.");
            return;
        }
        j->step = FED_START;
        fed_random(app, j->pending.id);
        fed_random(app, j->pending.nonce);
        fed_random(app, j->pending.verifier);
        snprintf(j->pending.redirect, sizeof(j->pending.redirect), "%s", redirect);
        j->pending.until_ms = now + FED_PENDING_MS;
        errbuf_t eb = {{0}};
        if (fed_put(app, "state", &j->pending, &eb)) {
            fed_store_failed(j, &eb);
            fed_finish(j, resp);
            return;
        }
    } else if (get && span_eq_str(path, CONSOLE_FED_PATH "/callback")) {
        const char *state = console_query_param(req->query, "state", &j->arena);
        const char *code = console_query_param(req->query, "code", &j->arena);
        char bound[64];
        console_cookie(http_header(req, "Cookie"), FED_STATE_COOKIE, bound, sizeof(bound));
        /* the state must be one this browser started (its cookie), and is used once */
        bool found = false;
        errbuf_t eb = {{0}};
        if (state && code && !strcmp(state, bound) &&
            fed_take(app, "state", state, now, &j->pending, &found, &eb)) {
            fed_store_failed(j, &eb);
            fed_finish(j, resp);
            return;
        }
        if (!found) {
            fed_job_free(j);
            fed_text(resp, 400,
                     "This sign-in was not started here, has expired or was already used. "
                     "Start again from the sign-in page.");
            return;
        }
        j->step = FED_CALLBACK;
        j->code = code;
    } else if (span_eq_str(req->method, "POST") && span_eq_str(path, CONSOLE_FED_PATH "/session")) {
        fed_job_free(j);
        char ticket[64];
        console_cookie(http_header(req, "Cookie"), FED_TICKET_COOKIE, ticket, sizeof(ticket));
        span_t ct = http_header(req, "Content-Type");
        fed_slot_t t;
        bool found = false;
        errbuf_t eb = {{0}};
        if (!ct.p || !span_starts_with(ct, SPAN_LIT("application/json"))) {
            console_json_error(resp, 415, "UnsupportedMediaType", "Ask with application/json.");
        } else if (fed_take(app, "ticket", ticket, now, &t, &found, &eb)) {
            fed_log_store(&eb);
            console_json_error(resp, 503, "ServiceUnavailable",
                               "catalogd could not read the sign-in; try again.");
        } else if (!found) {
            console_json_error(resp, 401, "SignInFailed",
                               "There is no federated sign-in to collect.");
        } else {
            resp->status = 200;
            resp->content_type = "application/json";
            buf_adds(&resp->body, t.answer);
            explicit_bzero(t.answer, strlen(t.answer));
            free(t.answer);
            console_header(resp, "Set-Cookie",
                           FED_TICKET_COOKIE "=; Path=" CONSOLE_FED_PATH "; HttpOnly; Max-Age=0");
        }
        return;
    } else {
        fed_job_free(j);
        fed_text(resp, 404, "No such federation endpoint.");
        return;
    }
    if (!fed_defer(app, req, j)) fed_text(resp, 503, "catalogd is busy or stopping; try again.");
}
