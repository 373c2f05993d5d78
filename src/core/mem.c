/* mem.c - allocation wrappers that abort on exhaustion. */
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define MEM_MMAP_MIN (1024 * 1024) /* see mem_init */

static void mem_oom(size_t n)
{
    fprintf(stderr, "catalogd: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) mem_oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) mem_oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) mem_oom(n);
    return q;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

void mem_init(void)
{
    /* free stays free: trees built before this call (there should be none) still free */
    cJSON_Hooks hooks = {.malloc_fn = xmalloc, .free_fn = free};
    cJSON_InitHooks(&hooks);
#ifdef __GLIBC__
    /* blocks of MEM_MMAP_MIN and more are mapped on their own and unmapped when freed. Left
     * to itself glibc raises its mmap threshold to the size of the first such block freed
     * (an Argon2 password hash's 19 MiB) and serves the next ones from a heap that keeps
     * them resident for good: idle RSS grew by 19.5 MB after one CreateLoginProfile
     * (issue 16, tests/api/test_memory.py). Setting the threshold fixes it there. */
    mallopt(M_MMAP_THRESHOLD, MEM_MMAP_MIN);
#endif
}
