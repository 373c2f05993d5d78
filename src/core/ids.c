/* ids.c - random identifiers in AWS formats. */
#include "core/ids.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ids_fill_system(ids_t *g, unsigned char *out, size_t n)
{
    (void)g;
    if (RAND_bytes(out, (int)n) != 1) {
        fprintf(stderr, "catalogd: RAND_bytes failed\n");
        abort();
    }
}

/* Public randomness from the pool, refilled with RAND_bytes when it runs dry. The pool is
 * shared by the threads (a short critical section: a copy of a few bytes). */
static void ids_fill_pooled(ids_t *g, unsigned char *out, size_t n)
{
    if (n > IDS_POOL / 4) { /* large asks gain nothing from the pool */
        ids_fill_system(g, out, n);
        return;
    }
    pthread_mutex_lock(&g->mu);
    if (g->pool_left < n) {
        ids_fill_system(g, g->pool, IDS_POOL);
        g->pool_left = IDS_POOL;
    }
    unsigned char *from = g->pool + IDS_POOL - g->pool_left;
    memcpy(out, from, n);
    g->pool_left -= n;
    pthread_mutex_unlock(&g->mu);
}

static void ids_fill_seeded(ids_t *g, unsigned char *out, size_t n)
{
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < n; i++) {
        /* splitmix64: good enough spread for test ids */
        uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        out[i] = (unsigned char)(z ^ (z >> 31));
    }
    pthread_mutex_unlock(&g->mu);
}

void ids_init_system(ids_t *g)
{
    memset(g, 0, sizeof(*g));
    g->fill = ids_fill_system;
    g->fill_public = ids_fill_pooled;
    pthread_mutex_init(&g->mu, NULL);
}

void ids_init_seeded(ids_t *g, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    g->fill = ids_fill_seeded;
    g->fill_public = ids_fill_seeded;
    g->state = seed;
    pthread_mutex_init(&g->mu, NULL);
}

void ids_uuid(ids_t *g, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    g->fill_public(g, b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

void ids_chars(ids_t *g, const char *prefix, const char *alphabet, size_t n, char *out)
{
    size_t plen = strlen(prefix), alen = strlen(alphabet);
    unsigned limit = 256 - (256 % (unsigned)alen); /* rejection sampling keeps it uniform */
    memcpy(out, prefix, plen);
    size_t i = 0;
    while (i < n) {
        unsigned char b[32];
        g->fill(g, b, sizeof(b));
        for (size_t k = 0; k < sizeof(b) && i < n; k++)
            if (b[k] < limit) out[plen + i++] = alphabet[b[k] % alen];
    }
    out[plen + n] = '\0';
}

void ids_aws(ids_t *g, const char *prefix, char *out, size_t cap)
{
    if (cap < strlen(prefix) + 14) {
        if (cap) out[0] = '\0';
        return;
    }
    ids_chars(g, prefix, IDS_LOWER_ALNUM, 13, out);
}

void ids_instance(ids_t *g, char out[20])
{
    ids_chars(g, "i-", IDS_HEX, 17, out);
}
