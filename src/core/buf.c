/* buf.c - bounded growable buffers. */
#include "core/buf.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->p) b->p[0] = '\0';
}

static bool buf_reserve(buf_t *b, size_t n)
{
    if (n > b->max - b->len) return false;
    size_t need = b->len + n + 1;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    if (cap > b->max + 1) cap = b->max + 1;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
    return true;
}

bool buf_add(buf_t *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n)) return false;
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

bool buf_adds(buf_t *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

bool buf_addc(buf_t *b, char c)
{
    return buf_add(b, &c, 1);
}

bool buf_addspan(buf_t *b, span_t s)
{
    return buf_add(b, s.p, s.n);
}

bool buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !buf_reserve(b, (size_t)n)) return false;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

bool buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

char *buf_take(buf_t *b, size_t *len)
{
    if (!b->p) buf_add(b, "", 0);
    char *p = b->p;
    if (len) *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
