/* keys.c - access key storage, lookup cache, last-use recording and root bootstrap. */
#include "auth/keys.h"

#include "core/crypto.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEYS_CACHE        256
#define KEYS_USES         1024 /* last-use slots, probed KEYS_USE_PROBE deep */
#define KEYS_USE_PROBE    4
#define KEYS_USE_INTERVAL 60000 /* ms: a key's use reaches the store at most this often */
#define KEYS_USE_BATCH    64    /* uses written per transaction */

typedef struct key_entry {
    char id[32];
    char secret[128];
    char token_hash[65]; /* "" when the key is not a session key */
    int64_t expires_ms;
    int64_t loaded_ms; /* the now_ms of the lookup that read it from the store */
    auth_principal_t who;
    uint64_t gen;
    bool used;
} key_entry_t;

/* The last use of one long-term key. Kept apart from the lookup cache, which every change
 * to keys or principals empties: the once-a-minute throttle must outlive that. */
typedef struct key_use {
    char id[32];       /* "" when the slot is free */
    int64_t used_ms;   /* the latest use */
    int64_t stored_ms; /* the use last handed to the store, 0 when none */
    char service[32];
    char region[32];
} key_use_t;

#define KEYS_PURGE_INTERVAL (60 * 1000) /* ms between purges of expired sessions */
#define KEYS_SESSION_KEEP                                                                          \
    (24 * 60 * 60 * 1000) /* ms an expired session key is kept (its                                \
                           * use answers ExpiredToken meanwhile) */

struct auth_keys {
    auth_keys_opts_t o;
    char *data_dir, *account;
    seal_t seal;
    pthread_mutex_t mu; /* guards cache, gen and the use recorder */
    uint64_t gen;
    key_entry_t cache[KEYS_CACHE];
    key_use_t uses[KEYS_USES];
    pthread_cond_t use_cv; /* wakes the recorder: a use is due, or stopping */
    bool use_due, stopping, recorder_running;
    int64_t purged_ms; /* when expired session keys were last purged (guarded by mu) */
    pthread_t recorder;
    sigv4_keycache_t *signing_keys;
};

static void *keys_recorder(void *arg);

err_t auth_keys_open(const auth_keys_opts_t *o, auth_keys_t **out, errbuf_t *eb)
{
    auth_keys_t *k = xcalloc(1, sizeof(*k));
    k->o = *o;
    k->data_dir = xstrdup(o->data_dir);
    k->account = xstrdup(o->account);
    k->o.data_dir = k->data_dir;
    k->o.account = k->account;
    k->o.seal_key_file = NULL; /* read here only */
    k->gen = 1;
    k->signing_keys = sigv4_keycache_new();
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->use_cv, NULL);
    err_t rc =
        seal_open(&k->seal, o->data_dir, o->seal_key_file, store_created(o->store), o->ids, eb);
    if (!rc && pthread_create(&k->recorder, NULL, keys_recorder, k) != 0)
        rc = err_fail(eb, ERR_INTERNAL, "cannot start the access key use recorder");
    k->recorder_running = !rc;
    if (rc) {
        auth_keys_close(k);
        return rc;
    }
    *out = k;
    return ERR_OK;
}

void auth_keys_close(auth_keys_t *k)
{
    if (!k) return;
    if (k->recorder_running) { /* it stores what is left, then ends */
        pthread_mutex_lock(&k->mu);
        k->stopping = true;
        pthread_cond_signal(&k->use_cv);
        pthread_mutex_unlock(&k->mu);
        pthread_join(k->recorder, NULL);
    }
    pthread_cond_destroy(&k->use_cv);
    pthread_mutex_destroy(&k->mu);
    sigv4_keycache_free(k->signing_keys);
    free(k->data_dir);
    free(k->account);
    free(k);
}

void auth_keys_set_resolver(auth_keys_t *k, auth_resolve_fn fn, void *ud)
{
    k->o.resolve = fn;
    k->o.resolve_ud = ud;
}

void auth_keys_invalidate(auth_keys_t *k)
{
    pthread_mutex_lock(&k->mu);
    k->gen++;
    pthread_mutex_unlock(&k->mu);
}

uint64_t auth_keys_generation(auth_keys_t *k)
{
    pthread_mutex_lock(&k->mu);
    uint64_t gen = k->gen;
    pthread_mutex_unlock(&k->mu);
    return gen;
}

sigv4_keycache_t *auth_keys_signing_keys(auth_keys_t *k)
{
    return k->signing_keys;
}

static unsigned keys_hash(span_t id)
{
    return span_fnv1a(SPAN_FNV_BASIS, id);
}

static void keys_root_principal(const char *account, const char *key, auth_principal_t *who)
{
    memset(who, 0, sizeof(*who));
    who->kind = AUTH_ROOT;
    snprintf(who->account, sizeof(who->account), "%s", account);
    snprintf(who->arn, sizeof(who->arn), "arn:aws:iam::%s:root", account);
    snprintf(who->user_id, sizeof(who->user_id), "%s", account);
    snprintf(who->name, sizeof(who->name), "root");
    snprintf(who->path, sizeof(who->path), "/");
    snprintf(who->access_key, sizeof(who->access_key), "%s", key);
}

/* Loads key id from the store into e (which the caller then caches). */
static err_t keys_load(auth_keys_t *k, span_t id, key_entry_t *e, errbuf_t *eb)
{
    store_tx_t *tx;
    err_t rc = store_begin(k->o.store, false, &tx, eb);
    if (rc) return rc;
    store_stmt_t *st;
    bool row = false;
    rc = store_query(tx, eb, &st,
                     "SELECT account_id, kind, principal, secret, status, token_hash, expires_ms"
                     " FROM access_keys WHERE access_key_id = ?",
                     "S", id);
    if (!rc) rc = store_step(st, &row, eb);
    if (!rc && (!row || strcmp(store_col_text(st, 4), "Active") != 0))
        rc = err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                      "The security token included in the request is invalid.");
    if (!rc) {
        memset(e, 0, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "%.*s", (int)id.n, id.p);
        const char *kind = store_col_text(st, 1);
        const char *principal = store_col_text(st, 2);
        const char *th = store_col_text(st, 5);
        snprintf(e->token_hash, sizeof(e->token_hash), "%s", th ? th : "");
        e->expires_ms = store_col_null(st, 6) ? 0 : store_col_int(st, 6);
        buf_t sec;
        buf_init(&sec, sizeof(e->secret) - 1);
        if (!seal_open_value(&k->seal, span_of(store_col_text(st, 3)), &sec))
            rc = err_fail(eb, ERR_INTERNAL, "access key %s cannot be unsealed with this key file",
                          e->id);
        else
            memcpy(e->secret, buf_str(&sec), sec.len + 1);
        buf_free(&sec);
        char kind_copy[16], principal_copy[512];
        snprintf(kind_copy, sizeof(kind_copy), "%s", kind);
        snprintf(principal_copy, sizeof(principal_copy), "%s", principal);
        if (!rc && strcmp(kind_copy, "root") == 0) {
            keys_root_principal(store_col_text(st, 0), e->id, &e->who);
        } else if (!rc && k->o.resolve) {
            char account_copy[16];
            snprintf(account_copy, sizeof(account_copy), "%s", store_col_text(st, 0));
            rc = k->o.resolve(k->o.resolve_ud, tx, account_copy, kind_copy, principal_copy, &e->who,
                              eb);
            snprintf(e->who.access_key, sizeof(e->who.access_key), "%s", e->id);
        } else if (!rc) {
            rc = err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                          "The security token included in the request is invalid.");
        }
    }
    store_rollback(tx);
    return rc;
}

err_t auth_keys_lookup(auth_keys_t *k, span_t access_key, span_t session_token, int64_t now_ms,
                       char secret[128], auth_principal_t *who, errbuf_t *eb)
{
    if (access_key.n == 0 || access_key.n >= 32)
        return err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                        "The security token included in the request is invalid.");
    unsigned slot = keys_hash(access_key) % KEYS_CACHE;
    key_entry_t e;
    bool hit = false;
    pthread_mutex_lock(&k->mu);
    key_entry_t *c = &k->cache[slot];
    /* one subtraction for the age: a clock gone back wraps to a huge age, read again */
    bool fresh = !k->o.max_age_ms || (uint64_t)(now_ms - c->loaded_ms) < (uint64_t)k->o.max_age_ms;
    if (c->used && c->gen == k->gen && fresh && span_eq_str(access_key, c->id)) {
        e = *c;
        hit = true;
    }
    uint64_t gen = k->gen;
    pthread_mutex_unlock(&k->mu);
    if (!hit) {
        err_t rc = keys_load(k, access_key, &e, eb);
        if (rc) return rc;
        e.gen = gen;
        e.loaded_ms = now_ms;
        e.used = true;
        pthread_mutex_lock(&k->mu);
        k->cache[slot] = e;
        pthread_mutex_unlock(&k->mu);
    }
    if (!e.token_hash[0] && session_token.n)
        return err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                        "The security token included in the request is invalid.");
    if (e.token_hash[0]) {
        unsigned char h[32];
        char hex[65];
        crypto_sha256(session_token.p ? session_token.p : "", session_token.n, h);
        enc_hex(h, 32, hex);
        if (!session_token.n || !crypto_equal(hex, e.token_hash, 64))
            return err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                            "The security token included in the request is invalid.");
    }
    if (e.expires_ms && now_ms >= e.expires_ms)
        return err_fail(eb, ERR_EXPIRED_TOKEN,
                        "The security token included in the request is expired");
    memcpy(secret, e.secret, sizeof(e.secret));
    *who = e.who;
    if (e.expires_ms) who->expires_ms = e.expires_ms;
    return ERR_OK;
}

/* ---- last use: noted in memory on every request, stored by the recorder thread */

/* The slot of key id (mu held): its own, else (claim) a free one or the one among the
 * probed slots used longest ago, emptied for id; NULL when not found and not claiming. */
static key_use_t *keys_use_slot(auth_keys_t *k, const char *id, bool claim)
{
    unsigned h = keys_hash(span_of(id)) % (KEYS_USES / KEYS_USE_PROBE) * KEYS_USE_PROBE;
    key_use_t *oldest = NULL;
    for (unsigned i = 0; i < KEYS_USE_PROBE; i++) {
        key_use_t *u = &k->uses[h + i];
        if (!strcmp(u->id, id)) return u;
        if (!oldest || u->used_ms < oldest->used_ms) oldest = u; /* free slots read 0 */
    }
    if (!claim) return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->id, sizeof(oldest->id), "%s", id);
    return oldest;
}

void auth_keys_note_use(auth_keys_t *k, const auth_principal_t *who, const char *service,
                        const char *region, int64_t now_ms)
{
    if (who->expires_ms || !who->access_key[0]) return;
    pthread_mutex_lock(&k->mu);
    key_use_t *u = keys_use_slot(k, who->access_key, true);
    u->used_ms = now_ms;
    snprintf(u->service, sizeof(u->service), "%s", service);
    snprintf(u->region, sizeof(u->region), "%s", region);
    if (now_ms - u->stored_ms >= KEYS_USE_INTERVAL) {
        k->use_due = true;
        pthread_cond_signal(&k->use_cv);
    }
    pthread_mutex_unlock(&k->mu);
}

bool auth_keys_last_use(auth_keys_t *k, const char *id, int64_t *used_ms, char service[32],
                        char region[32])
{
    pthread_mutex_lock(&k->mu);
    const key_use_t *u = keys_use_slot(k, id, false);
    if (u) {
        *used_ms = u->used_ms;
        memcpy(service, u->service, sizeof(u->service));
        memcpy(region, u->region, sizeof(u->region));
    }
    pthread_mutex_unlock(&k->mu);
    return u != NULL;
}

/* Writes uses in one transaction, never moving a key's last use backwards. */
static void keys_store_uses(auth_keys_t *k, const key_use_t *v, size_t n)
{
    errbuf_t eb = {{0}};
    store_tx_t *tx = NULL;
    err_t rc = store_begin(k->o.store, true, &tx, &eb);
    for (size_t i = 0; !rc && i < n; i++)
        rc = store_exec(tx, &eb, NULL,
                        "UPDATE access_keys SET last_used_ms = ?, last_used_service = ?,"
                        " last_used_region = ? WHERE access_key_id = ? AND"
                        " (last_used_ms IS NULL OR last_used_ms < ?)",
                        "isssi", v[i].used_ms, v[i].service, v[i].region, v[i].id, v[i].used_ms);
    if (!rc)
        rc = store_commit(tx, &eb);
    else if (tx)
        store_rollback(tx);
    if (rc) {
        char em[600];
        log_warn("access key use not recorded", "\"keys\":%zu,\"error\":\"%s\"", n,
                 log_escape(em, sizeof(em), eb.msg));
    }
}

/* The recorder thread: whenever a use is due, stores every due one (all of them when
 * stopping), outside the mutex; ends after the last round once auth_keys_close asks. */
static void *keys_recorder(void *arg)
{
    auth_keys_t *k = arg;
    key_use_t batch[KEYS_USE_BATCH];
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->use_due && !k->stopping) pthread_cond_wait(&k->use_cv, &k->mu);
        bool last = k->stopping;
        k->use_due = false;
        size_t n = 0;
        for (size_t i = 0; i < KEYS_USES; i++) {
            key_use_t *u = &k->uses[i];
            if (!u->id[0] || u->used_ms <= u->stored_ms) continue;
            if (!last && u->used_ms - u->stored_ms < KEYS_USE_INTERVAL) continue;
            if (n == KEYS_USE_BATCH) {
                k->use_due = true; /* another round */
                break;
            }
            batch[n++] = *u;
            u->stored_ms = u->used_ms;
        }
        pthread_mutex_unlock(&k->mu);
        if (n) keys_store_uses(k, batch, n);
        pthread_mutex_lock(&k->mu);
        if (last && !k->use_due) break;
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

void auth_keys_generate(ids_t *ids, const char *prefix, char id[32], char secret[64])
{
    ids_chars(ids, prefix, IDS_UPPER_ALNUM, 16, id);
    ids_chars(ids, "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40,
              secret);
}

err_t auth_keys_insert(auth_keys_t *k, store_tx_t *tx, const char *account, const char *id,
                       const char *secret, const char *kind, const char *principal,
                       const char *token, int64_t expires_ms, int64_t now_ms, errbuf_t *eb)
{
    buf_t sealed;
    buf_init(&sealed, 4096);
    if (!seal_seal(&k->seal, k->o.ids, span_of(secret), &sealed)) {
        buf_free(&sealed);
        return err_fail(eb, ERR_INTERNAL, "cannot seal a secret access key");
    }
    char th[65] = "";
    if (token) {
        unsigned char h[32];
        crypto_sha256(token, strlen(token), h);
        enc_hex(h, 32, th);
    }
    /* sessions keep coming (every Automation execution and record assumes a role): those
     * expired for a day go, at most once a minute, in the transaction that adds one */
    bool purge = false;
    if (!strcmp(kind, "session")) {
        pthread_mutex_lock(&k->mu);
        purge = now_ms - k->purged_ms >= KEYS_PURGE_INTERVAL;
        if (purge) k->purged_ms = now_ms;
        pthread_mutex_unlock(&k->mu);
    }
    err_t rc = purge ? store_exec(tx, eb, NULL,
                                  "DELETE FROM access_keys WHERE kind = 'session' AND"
                                  " expires_ms < ?",
                                  "i", now_ms - KEYS_SESSION_KEEP)
                     : ERR_OK;
    /* cached lookups of purged keys go too (one cached again before the commit would only
     * keep answering ExpiredToken, which it did before) */
    if (!rc && purge) auth_keys_invalidate(k);
    if (!rc)
        rc = store_exec(tx, eb, NULL,
                        "INSERT INTO access_keys (access_key_id, account_id, kind, principal,"
                        " secret, status, token_hash, expires_ms, created_ms) VALUES"
                        " (?, ?, ?, ?, ?, 'Active', ?, ?, ?)",
                        "ssssssii", id, account, kind, principal, buf_str(&sealed),
                        token ? th : NULL, expires_ms, now_ms);
    buf_free(&sealed);
    return rc;
}

err_t auth_keys_new_root(auth_keys_t *k, store_tx_t *tx, const char *account, char id[32],
                         char secret[64], int64_t now_ms, errbuf_t *eb)
{
    auth_keys_generate(k->o.ids, "AKIA", id, secret);
    return auth_keys_insert(k, tx, account, id, secret, "root", "root", NULL, 0, now_ms, eb);
}

/* Writes the generated root credentials as an AWS shared-credentials file. */
static err_t keys_write_root_file(auth_keys_t *k, const char *id, const char *secret, errbuf_t *eb)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/root-credentials", k->data_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return err_fail(eb, ERR_STORE, "cannot create %s: %s", tmp, strerror(errno));
    char text[512];
    int n = snprintf(text, sizeof(text),
                     "# catalogd root credentials for account %s (AWS shared-credentials format)\n"
                     "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
                     k->account, id, secret);
    bool ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0)
        return err_fail(eb, ERR_STORE, "cannot write %s: %s", path, strerror(errno));
    return ERR_OK;
}

err_t auth_bootstrap_root(auth_keys_t *k, const char *env_id, const char *env_secret,
                          bool *generated, char id_out[32], errbuf_t *eb)
{
    *generated = false;
    clk_t clock = clk_system(0);
    store_tx_t *tx;
    err_t rc = store_begin(k->o.store, true, &tx, eb);
    if (rc) return rc;
    char id[32] = "", secret[128] = "";
    store_stmt_t *st;
    bool row = false;
    if (env_id && *env_id && env_secret && *env_secret) {
        if (strlen(env_id) >= sizeof(id) || strlen(env_secret) >= 100) {
            store_rollback(tx);
            return err_fail(eb, ERR_INTERNAL, "CATALOGD_ROOT_ACCESS_KEY_ID/SECRET are too long");
        }
        snprintf(id, sizeof(id), "%s", env_id);
        snprintf(secret, sizeof(secret), "%s", env_secret);
        /* the environment wins: replace whatever that key id held */
        rc = store_exec(tx, eb, NULL, "DELETE FROM access_keys WHERE access_key_id = ?", "s", id);
        if (!rc)
            rc = auth_keys_insert(k, tx, k->account, id, secret, "root", "root", NULL, 0,
                                  clk_now_ms(&clock), eb);
    } else {
        rc = store_query(tx, eb, &st,
                         "SELECT access_key_id FROM access_keys WHERE kind = 'root' AND"
                         " account_id = ? ORDER BY created_ms LIMIT 1",
                         "s", k->account);
        if (!rc) rc = store_step(st, &row, eb);
        if (!rc && row) {
            snprintf(id, sizeof(id), "%s", store_col_text(st, 0));
            rc = store_step(st, &row, eb);
        } else if (!rc) {
            char sec[64];
            rc = auth_keys_new_root(k, tx, k->account, id, sec, clk_now_ms(&clock), eb);
            snprintf(secret, sizeof(secret), "%s", sec);
            explicit_bzero(sec, sizeof(sec));
            if (!rc) rc = keys_write_root_file(k, id, secret, eb);
            *generated = !rc;
        }
    }
    if (rc) {
        store_rollback(tx);
        return rc;
    }
    rc = store_commit(tx, eb);
    if (!rc) {
        auth_keys_invalidate(k);
        snprintf(id_out, 32, "%s", id);
    }
    return rc;
}

const seal_t *auth_keys_seal(const auth_keys_t *k)
{
    return &k->seal;
}
