/* check.h - the unit-test harness: one executable per test file, one process per
 * test file under ctest; ASan/LSan in the sanitizer build turn leaks into failures.
 * A failing CHECK prints where and why and counts; main returns non-zero if any failed. */
#ifndef CATALOGD_CHECK_H
#define CATALOGD_CHECK_H

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every test runs under the daemon's allocation policy (mem_init), set before main. */
__attribute__((constructor)) static void check_mem_init(void)
{
    mem_init();
}

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        check_count++;                                                                             \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                           \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got:  %s\n  want: %s\n", __FILE__,     \
                    __LINE__, #a, check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        check_count++;                                                                             \
        if (check_a_ != check_b_) {                                                                \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s\n  got:  %lld\n  want: %lld\n", __FILE__, \
                    __LINE__, #a, check_a_, check_b_);                                             \
        }                                                                                          \
    } while (0)

/* Keeps a result string for CHECK_STR: takes s (malloc'd, may be NULL: "(null)"), frees it
 * and returns a copy (up to 2 KiB) that stays valid for the next 15 calls. */
static inline const char *check_keep(char *s)
{
    static char ring[16][2048];
    static int next;
    char *slot = ring[next++ % 16];
    snprintf(slot, sizeof(ring[0]), "%s", s ? s : "(null)");
    free(s);
    return slot;
}

#define CHECK_DONE()                                                                               \
    (fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)

#endif
