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

/* Puts the libraries that allocate on the process's behalf under the same policy:
 * cJSON allocates through xmalloc (cJSON_InitHooks), so no tree is ever half-built on
 * exhaustion. It also fixes glibc's mmap threshold at 1 MiB, so large blocks (an Argon2
 * hash's 19 MiB) go back to the system when freed. Call once at start-up, before any thread or tree
 * exists: main, and every unit-test and fuzz harness (tests/unit/check.h, tests/fuzz/fuzz_init.h).
 */
void mem_init(void);

#endif
