/* span.h - borrowed byte ranges (aws_byte_cursor): never owned, never NUL-terminated
 * by contract. Functions here do not allocate. */
#ifndef CATALOGD_SPAN_H
#define CATALOGD_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct span {
    const char *p;
    size_t n;
} span_t;

#define SPAN_LIT(s) ((span_t){(s), sizeof(s) - 1})

static inline span_t span_of(const char *s)
{
    return (span_t){s, s ? strlen(s) : 0};
}

static inline span_t span_make(const char *p, size_t n)
{
    return (span_t){p, n};
}

static inline bool span_eq(span_t a, span_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool span_eq_str(span_t a, const char *s)
{
    return span_eq(a, span_of(s));
}

bool span_eq_nocase(span_t a, span_t b);
bool span_starts_with(span_t s, span_t prefix);
/* Trims ASCII spaces and tabs at both ends. */
span_t span_trim(span_t s);
/* Splits at the first c: *head gets what precedes it, the return value what follows.
 * When c is absent, *head = s and the result has p == NULL. */
span_t span_split(span_t s, char c, span_t *head);
/* Index of c in s, or -1. */
long span_index(span_t s, char c);

/* FNV-1a of s, continued from h (start a hash with SPAN_FNV_BASIS): a quick,
 * non-cryptographic hash for table slots and stable derived ids. */
#define SPAN_FNV_BASIS 2166136261u
uint32_t span_fnv1a(uint32_t h, span_t s);

#endif
