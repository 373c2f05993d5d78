/* test_auth_keys.c - the access-key lookup cache: kept until invalidated, or with
 * max_age_ms (a store other nodes change too) read again once older than that, so a key
 * deactivated elsewhere is refused within max_age_ms even when no invalidation came. */
#include "check.h"
#include "check_store.h"

#include "auth/keys.h"
#include "core/ids.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define T0 1700000000000LL

/* Sets key id's status in a transaction of its own, as another node would: the cache of
 * this process is not told. */
static void set_status(store_t *s, const char *id, const char *status)
{
    errbuf_t eb = {{0}};
    store_tx_t *tx = NULL;
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(store_exec(tx, &eb, NULL, "UPDATE access_keys SET status = ? WHERE access_key_id = ?",
                     "ss", status, id) == ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);
}

/* The outcome of looking key id up at now_ms. */
static err_t lookup(auth_keys_t *k, const char *id, int64_t now_ms)
{
    errbuf_t eb = {{0}};
    char secret[128];
    auth_principal_t who;
    return auth_keys_lookup(k, span_of(id), (span_t){0}, now_ms, secret, &who, &eb);
}

/* A new root key of account 111111111111 in id. */
static void new_key(store_t *s, auth_keys_t *k, char id[32])
{
    errbuf_t eb = {{0}};
    store_tx_t *tx = NULL;
    char secret[64];
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(auth_keys_new_root(k, tx, "111111111111", id, secret, T0, &eb) == ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);
}

/* Keys over s whose cache entries live max_age_ms (0: until invalidated). */
static auth_keys_t *open_keys(store_t *s, const char *dir, ids_t *ids, int64_t max_age_ms)
{
    errbuf_t eb = {{0}};
    auth_keys_opts_t o = {.store = s,
                          .data_dir = dir,
                          .account = "111111111111",
                          .ids = ids,
                          .max_age_ms = max_age_ms};
    auth_keys_t *k = NULL;
    CHECK(auth_keys_open(&o, &k, &eb) == ERR_OK);
    return k;
}

static void test_max_age(store_t *s, const char *dir, ids_t *ids)
{
    auth_keys_t *k = open_keys(s, dir, ids, 1000);
    char id[32];
    new_key(s, k, id);
    CHECK_INT(lookup(k, id, T0), ERR_OK);
    set_status(s, id, "Inactive");
    CHECK_INT(lookup(k, id, T0 + 999), ERR_OK); /* cached: the change is not seen yet */
    CHECK_INT(lookup(k, id, T0 + 1000), ERR_INVALID_CLIENT_TOKEN); /* read again: refused */
    CHECK_INT(lookup(k, id, T0 + 1001), ERR_INVALID_CLIENT_TOKEN); /* a refusal is not cached */
    set_status(s, id, "Active");
    CHECK_INT(lookup(k, id, T0 + 2000), ERR_OK);
    set_status(s, id, "Inactive");
    /* a clock gone back does not make an entry young: it is read again */
    CHECK_INT(lookup(k, id, T0 + 1500), ERR_INVALID_CLIENT_TOKEN);
    auth_keys_close(k);
}

static void test_forever(store_t *s, const char *dir, ids_t *ids)
{
    auth_keys_t *k = open_keys(s, dir, ids, 0);
    char id[32];
    new_key(s, k, id);
    CHECK_INT(lookup(k, id, T0), ERR_OK);
    set_status(s, id, "Inactive");
    /* max_age_ms 0: the entry stands until invalidated (one process owns the store) */
    CHECK_INT(lookup(k, id, T0 + 24LL * 3600 * 1000), ERR_OK);
    auth_keys_invalidate(k);
    CHECK_INT(lookup(k, id, T0 + 24LL * 3600 * 1000), ERR_INVALID_CLIENT_TOKEN);
    auth_keys_close(k);
}

int main(void)
{
    char dir[] = "/tmp/catalogd-keys-XXXXXX";
    store_t *s = check_store_open(dir, false);
    ids_t ids;
    ids_init_system(&ids);
    test_max_age(s, dir, &ids);
    test_forever(s, dir, &ids);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
