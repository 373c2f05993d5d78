/* regions.h - the regions catalogd answers in: every region of AWS's `aws` partition, as
 * botocore's data/endpoints.json lists them (generated into core/gen/regions_gen.c by
 * tools/gen_model.py; never edited by hand). One endpoint serves them all: a request
 * acts in the region its SigV4 credential scope names. */
#ifndef CATALOGD_REGIONS_H
#define CATALOGD_REGIONS_H

#include "core/span.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct region_info {
    const char *name;        /* "us-east-1" */
    const char *description; /* "US East (N. Virginia)" */
} region_info_t;

extern const region_info_t regions_aws[]; /* sorted by name */
extern const size_t regions_n_aws;

#define REGION_NAME_MAX 32 /* bytes of a region name, NUL included */

/* The region named s, or NULL when the aws partition has none of that name. */
const region_info_t *regions_find(span_t s);

#endif
