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
    pthread_mutex_init(&g->mu, NULL);
}

void ids_init_seeded(ids_t *g, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    g->fill = ids_fill_seeded;
    g->state = seed;
    pthread_mutex_init(&g->mu, NULL);
}

void ids_uuid(ids_t *g, char out[37])
{
    unsigned char b[16];
    g->fill(g, b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
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
