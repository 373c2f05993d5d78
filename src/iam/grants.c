/* grants.c - the per-principal cache of parsed policy sets and tags (grants.h). A slot
 * holds one reference to its entry, every holder another; the last one to let go frees it,
 * so an entry replaced while a request still decides with it stays valid until then. */
#include "iam/grants.h"

#include "core/mem.h"
#include "core/span.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANTS_SLOTS 1024
#define GRANTS_KEY                                                                                 \
    (16 + sizeof(((auth_principal_t *)0)->account) + sizeof(((auth_principal_t *)0)->user_id) +    \
     sizeof(((auth_principal_t *)0)->access_key))

typedef struct grants_entry {
    iam_grants_t g; /* first: a grants pointer is its entry's */
    char key[GRANTS_KEY];
    uint64_t gen;
    int64_t loaded_ms;
    unsigned refs;
} grants_entry_t;

struct iam_grants_cache {
    pthread_mutex_t mu; /* guards slots and refs */
    int64_t max_age_ms;
    grants_entry_t *slots[GRANTS_SLOTS];
};

iam_grants_cache_t *iam_grants_cache_new(int64_t max_age_ms)
{
    iam_grants_cache_t *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->max_age_ms = max_age_ms;
    return c;
}

static void grants_entry_free(grants_entry_t *e)
{
    iam_policies_free(&e->g.pol);
    cJSON_Delete(e->g.tags);
    free(e);
}

void iam_grants_cache_free(iam_grants_cache_t *c)
{
    if (!c) return;
    for (size_t i = 0; i < GRANTS_SLOTS; i++)
        if (c->slots[i]) grants_entry_free(c->slots[i]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Everything the grants of who depend on besides the store: the principal (kind, account,
 * user or role session id) and, for session credentials, the key whose record carries the
 * session policies. */
static void grants_key(const auth_principal_t *who, char key[GRANTS_KEY])
{
    snprintf(key, GRANTS_KEY, "%d|%s|%s|%s", (int)who->kind, who->account, who->user_id,
             who->access_key);
}

/* Reads who's grants from tx into a new entry (one reference, the caller's). */
static err_t grants_load(store_tx_t *tx, const auth_principal_t *who, grants_entry_t **out,
                         errbuf_t *eb)
{
    grants_entry_t *e = xcalloc(1, sizeof(*e));
    arena_t arena; /* the documents, until parsed */
    arena_init(&arena);
    err_t rc = iam_policies_load(tx, who, &arena, &e->g.pol, eb);
    arena_free(&arena);
    if (rc) {
        free(e);
        return rc;
    }
    errbuf_t ignore; /* tags that cannot be read are no tags, as before the cache */
    e->g.tags = iam_principal_tags(tx, who, &ignore);
    e->refs = 1;
    *out = e;
    return ERR_OK;
}

err_t iam_grants_get(iam_grants_cache_t *c, uint64_t gen, int64_t now_ms, store_tx_t *tx,
                     const auth_principal_t *who, const iam_grants_t **out, errbuf_t *eb)
{
    grants_entry_t *e = NULL;
    if (!c || !gen) {
        err_t rc = grants_load(tx, who, &e, eb);
        if (!rc) *out = &e->g;
        return rc;
    }
    char key[GRANTS_KEY];
    grants_key(who, key);
    size_t slot = span_fnv1a(SPAN_FNV_BASIS, span_of(key)) % GRANTS_SLOTS;
    pthread_mutex_lock(&c->mu);
    grants_entry_t *s = c->slots[slot];
    /* one subtraction for the age: a clock gone back wraps to a huge age, read again */
    if (s && s->gen == gen && !strcmp(s->key, key) &&
        (!c->max_age_ms || (uint64_t)(now_ms - s->loaded_ms) < (uint64_t)c->max_age_ms)) {
        s->refs++;
        e = s;
    }
    pthread_mutex_unlock(&c->mu);
    if (e) {
        *out = &e->g;
        return ERR_OK;
    }
    err_t rc = grants_load(tx, who, &e, eb);
    if (rc) return rc;
    memcpy(e->key, key, sizeof(key));
    e->gen = gen;
    e->loaded_ms = now_ms;
    grants_entry_t *old = NULL;
    pthread_mutex_lock(&c->mu);
    /* a newer generation's entry stays: this one is already out of date */
    s = c->slots[slot];
    if (!s || s->gen <= gen) {
        old = s && --s->refs == 0 ? s : NULL;
        c->slots[slot] = e;
        e->refs++;
    }
    pthread_mutex_unlock(&c->mu);
    if (old) grants_entry_free(old);
    *out = &e->g;
    return ERR_OK;
}

void iam_grants_release(iam_grants_cache_t *c, const iam_grants_t *g)
{
    if (!g) return;
    grants_entry_t *e = (grants_entry_t *)g;
    bool last;
    if (c) pthread_mutex_lock(&c->mu);
    last = --e->refs == 0;
    if (c) pthread_mutex_unlock(&c->mu);
    if (last) grants_entry_free(e);
}
