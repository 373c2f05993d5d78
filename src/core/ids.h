/* ids.h - the injectable id generator: AWS-format identifiers from a random source
 * that tests can replace with a seeded one. */
#ifndef CATALOGD_IDS_H
#define CATALOGD_IDS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ids {
    /* Fills out with n random bytes. */
    void (*fill)(struct ids *g, unsigned char *out, size_t n);
    uint64_t state; /* seeded generator state */
    pthread_mutex_t mu;
} ids_t;

/* Cryptographic randomness (OpenSSL RAND_bytes). */
void ids_init_system(ids_t *g);
/* Deterministic, for tests; thread-safe. */
void ids_init_seeded(ids_t *g, uint64_t seed);

/* Random version-4 UUID, lower-case, 36 chars + NUL. */
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
