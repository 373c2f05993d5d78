/* test_ids.c - the id generator: version-4 UUIDs drawn from the pooled public randomness
 * (shape, uniqueness across many pool refills and between threads), and the seeded
 * generator's determinism. */
#include "core/ids.h"

#include "check.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_UUIDS   5000 /* about 20 pool refills */
#define N_THREADS 4

static bool uuid_shape(const char *u)
{
    if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
        return false;
    for (int i = 0; i < 36; i++)
        if (i != 8 && i != 13 && i != 18 && i != 23 &&
            !(isdigit((unsigned char)u[i]) || (u[i] >= 'a' && u[i] <= 'f')))
            return false;
    return u[14] == '4' && strchr("89ab", u[19]) != NULL;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Counts repeated entries of n sorted-in-place uuids. */
static int repeats(char (*v)[37], size_t n)
{
    qsort(v, n, sizeof v[0], cmp);
    int r = 0;
    for (size_t i = 1; i < n; i++) r += strcmp(v[i - 1], v[i]) == 0;
    return r;
}

typedef struct worker {
    ids_t *g;
    char (*out)[37];
} worker_t;

static void *draw(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < N_UUIDS; i++) ids_uuid(w->g, w->out[i]);
    return NULL;
}

static void test_system(void)
{
    ids_t g;
    ids_init_system(&g);
    char(*v)[37] = calloc(N_THREADS * N_UUIDS, sizeof *v);
    bool shaped = true;
    for (int i = 0; i < N_UUIDS; i++) {
        ids_uuid(&g, v[i]);
        shaped &= uuid_shape(v[i]);
    }
    CHECK(shaped);
    CHECK_INT(repeats(v, N_UUIDS), 0);
    /* from several threads at once: still all distinct */
    pthread_t t[N_THREADS];
    worker_t w[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker_t){&g, v + i * N_UUIDS};
        CHECK(pthread_create(&t[i], NULL, draw, &w[i]) == 0);
    }
    for (int i = 0; i < N_THREADS; i++) pthread_join(t[i], NULL);
    shaped = true;
    for (int i = 0; i < N_THREADS * N_UUIDS; i++) shaped &= uuid_shape(v[i]);
    CHECK(shaped);
    CHECK_INT(repeats(v, N_THREADS * N_UUIDS), 0);
    free(v);
}

static void test_seeded(void)
{
    ids_t a, b;
    ids_init_seeded(&a, 7);
    ids_init_seeded(&b, 7);
    char x[37], y[37];
    for (int i = 0; i < 100; i++) {
        ids_uuid(&a, x);
        ids_uuid(&b, y);
        CHECK_STR(x, y);
    }
    CHECK(uuid_shape(x));
    ids_init_seeded(&a, 7);
    ids_uuid(&a, x);
    CHECK_STR(x, "d71c02cb-da11-46fe-a169-eb2c4e30e6f8"); /* as before the pool existed */
}

int main(void)
{
    test_system();
    test_seeded();
    return CHECK_DONE();
}
