/* arena.h - per-request bump allocator (h2o's req->pool).
 * Everything allocated from an arena lives until arena_free(); deferred
 * destructors run then, in reverse order, for objects owned elsewhere (cJSON trees). */
#ifndef CATALOGD_ARENA_H
#define CATALOGD_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;
typedef struct arena_defer arena_defer_t;

typedef struct arena {
    arena_chunk_t *head;
    arena_defer_t *defers;
    size_t used; /* bytes handed out, for limits and diagnostics */
} arena_t;

void arena_init(arena_t *a);
/* Runs the deferred destructors, releases every chunk; the arena is reusable after. */
void arena_free(arena_t *a);

/* Returns n bytes aligned for any type; never NULL (aborts on OOM). */
void *arena_alloc(arena_t *a, size_t n);
void *arena_zalloc(arena_t *a, size_t n);
char *arena_strndup(arena_t *a, const char *s, size_t n);
char *arena_strdup(arena_t *a, const char *s);
/* printf into the arena; returns the NUL-terminated result. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena_t *a, const char *fmt, va_list ap);
/* Registers fn(p) to run at arena_free(). */
void arena_defer(arena_t *a, void (*fn)(void *), void *p);

#endif
