/* span.c - helpers on borrowed byte ranges. */
#include "core/span.h"

#include <strings.h>

bool span_eq_nocase(span_t a, span_t b)
{
    return a.n == b.n && (a.n == 0 || strncasecmp(a.p, b.p, a.n) == 0);
}

bool span_starts_with(span_t s, span_t prefix)
{
    return s.n >= prefix.n && memcmp(s.p, prefix.p, prefix.n) == 0;
}

span_t span_trim(span_t s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t')) s.n--;
    return s;
}

long span_index(span_t s, char c)
{
    const char *q = s.n ? memchr(s.p, c, s.n) : NULL;
    return q ? (long)(q - s.p) : -1;
}

span_t span_split(span_t s, char c, span_t *head)
{
    long i = span_index(s, c);
    if (i < 0) {
        *head = s;
        return (span_t){NULL, 0};
    }
    *head = (span_t){s.p, (size_t)i};
    return (span_t){s.p + i + 1, s.n - (size_t)i - 1};
}

uint32_t span_fnv1a(uint32_t h, span_t s)
{
    for (size_t i = 0; i < s.n; i++) h = (h ^ (unsigned char)s.p[i]) * 16777619u;
    return h;
}
