/* managed.h - the AWS managed policies every account has (data/managed-policies/,
 * compiled into src/iam/gen/managed_gen.c), and their installation in the store. */
#ifndef CATALOGD_MANAGED_H
#define CATALOGD_MANAGED_H

#include "core/err.h"
#include "store/store.h"

#include <stddef.h>

typedef struct iam_managed {
    const char *name, *path, *description, *version, *document;
} iam_managed_t;

extern const iam_managed_t iam_managed_policies[];
extern const size_t iam_n_managed_policies;

/* Installs or refreshes the AWS managed policies under the pseudo-account "aws"
 * (ARN arn:aws:iam::aws:policy<path><name>). Idempotent. */
err_t iam_managed_install(store_t *s, int64_t now_ms, errbuf_t *eb);

#endif
