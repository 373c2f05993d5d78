/* ids.h - the injectable id generator: AWS-format identifiers from a random source
 * that tests can replace with a seeded one. */
#ifndef CATALOGD_IDS_H
#define CATALOGD_IDS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define IDS_POOL 4096 /* bytes of public randomness drawn at a time (256 UUIDs) */

typedef struct ids {
    /* Fills out with n random bytes: secrets, keys, nonces and salts come from here. */
    void (*fill)(struct ids *g, unsigned char *out, size_t n);
    /* Fills out with n random bytes for public identifiers (UUIDs: request, job and
     * resource ids), which must be unique and unguessable enough but are never secret: may
     * be served from a pool of fill's earlier output. */
    void (*fill_public)(struct ids *g, unsigned char *out, size_t n);
    uint64_t state; /* seeded generator state */
    pthread_mutex_t mu;
    unsigned char pool[IDS_POOL]; /* system: RAND_bytes output not yet handed out */
    size_t pool_left;             /* unused bytes at the end of pool */
} ids_t;

/* Cryptographic randomness (OpenSSL RAND_bytes); public identifiers draw it IDS_POOL bytes
 * at a time (one RAND_bytes call per 256 UUIDs instead of one each). */
void ids_init_system(ids_t *g);
/* Deterministic, for tests; thread-safe. */
void ids_init_seeded(ids_t *g, uint64_t seed);

/* Random version-4 UUID, lower-case, 36 chars + NUL (from fill_public). */
void ids_uuid(ids_t *g, char out[37]);
/* prefix + n characters from alphabet (uniform). out needs strlen(prefix) + n + 1 bytes. */
void ids_chars(ids_t *g, const char *prefix, const char *alphabet, size_t n, char *out);
/* Service Catalog style: prefix ("act-", "prod-", ...) + 13 lower-case alphanumerics. */
void ids_aws(ids_t *g, const char *prefix, char *out, size_t cap);
/* EC2 style: "i-" + 17 lower-case hex digits. */
void ids_instance(ids_t *g, char out[20]);

#define IDS_LOWER_ALNUM "abcdefghijklmnopqrstuvwxyz0123456789"
#define IDS_UPPER_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define IDS_HEX         "0123456789abcdef"

#endif
