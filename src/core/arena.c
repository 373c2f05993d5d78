/* arena.c - chunked bump allocator with deferred destructors. */
#include "core/arena.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 8192
#define ARENA_ALIGN 16

struct arena_chunk {
    arena_chunk_t *next;
    size_t cap, off;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_defer {
    arena_defer_t *next;
    void (*fn)(void *);
    void *p;
};

void arena_init(arena_t *a)
{
    a->head = NULL;
    a->defers = NULL;
    a->used = 0;
}

void arena_free(arena_t *a)
{
    for (arena_defer_t *d = a->defers; d; d = d->next) d->fn(d->p);
    arena_chunk_t *c = a->head;
    while (c) {
        arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    arena_init(a);
}

void *arena_alloc(arena_t *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    arena_chunk_t *c = a->head;
    if (!c || c->cap - c->off < n) {
        size_t cap = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
        arena_chunk_t *nc = xmalloc(sizeof(*nc) + cap);
        nc->cap = cap;
        nc->off = 0;
        if (c && n > ARENA_CHUNK / 2) {
            /* big block: keep the current chunk at the head for small allocations */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->off;
    c->off += n;
    a->used += n;
    return p;
}

void *arena_zalloc(arena_t *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena_t *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void arena_defer(arena_t *a, void (*fn)(void *), void *p)
{
    arena_defer_t *d = arena_alloc(a, sizeof(*d));
    d->fn = fn;
    d->p = p;
    d->next = a->defers;
    a->defers = d;
}
