/* mem.h - allocation wrappers with one OOM policy: abort.
 * Callers never test the result for NULL (house style: Redis zmalloc, AWS CRT). */
#ifndef CATALOGD_MEM_H
#define CATALOGD_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
