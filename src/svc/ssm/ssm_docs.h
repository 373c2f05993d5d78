/* ssm_docs.h - the AWS-owned documents (data/ssm-documents, compiled into
 * src/svc/ssm/gen/documents_gen.c). */
#ifndef CATALOGD_SSM_DOCS_H
#define CATALOGD_SSM_DOCS_H

#include <stddef.h>

typedef struct ssm_aws_doc {
    const char *name, *type, *target_type, *content; /* content: JSON */
} ssm_aws_doc_t;

extern const ssm_aws_doc_t ssm_aws_docs[];
extern const size_t ssm_n_aws_docs;

#endif
