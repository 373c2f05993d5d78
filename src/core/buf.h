/* buf.h - owned, growable byte buffers that refuse to exist without a maximum
 * (curl's dynbuf). Client input never grows a buffer past its cap. */
#ifndef CATALOGD_BUF_H
#define CATALOGD_BUF_H

#include "core/span.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct buf {
    char *p;    /* always NUL-terminated when non-NULL */
    size_t len; /* bytes in use, excluding the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len */
} buf_t;

void buf_init(buf_t *b, size_t max);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);
/* Each append returns false, leaving the buffer unchanged, when it would pass max. */
bool buf_add(buf_t *b, const void *p, size_t n);
bool buf_adds(buf_t *b, const char *s);
bool buf_addc(buf_t *b, char c);
bool buf_addspan(buf_t *b, span_t s);
bool buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* Hands the storage to the caller (free() it); the buffer is empty after. */
char *buf_take(buf_t *b, size_t *len);
static inline span_t buf_span(const buf_t *b)
{
    return (span_t){b->p ? b->p : "", b->len};
}
static inline const char *buf_str(const buf_t *b)
{
    return b->p ? b->p : "";
}

#endif
