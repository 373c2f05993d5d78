/* regions.c - lookups in the generated region table. */
#include "core/regions.h"

#include <string.h>

const region_info_t *regions_find(span_t s)
{
    size_t lo = 0, hi = regions_n_aws;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *n = regions_aws[mid].name;
        size_t nl = strlen(n);
        int c = memcmp(s.p, n, s.n < nl ? s.n : nl);
        if (!c) c = (s.n > nl) - (s.n < nl);
        if (!c) return &regions_aws[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
