/* model.h - the shapes of the AWS service models, as C tables.
 * tools/gen_model.py generates them (src/proto/gen/model_gen.c) from botocore's
 * service-2.json for the operations catalogd supports; the decoders, the validator and
 * the encoders walk them, so no operation has a hand-written serializer. */
#ifndef CATALOGD_MODEL_H
#define CATALOGD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum model_type {
    MT_STRUCTURE,
    MT_LIST,
    MT_MAP,
    MT_STRING,
    MT_INTEGER,
    MT_LONG,
    MT_BOOLEAN,
    MT_DOUBLE,
    MT_FLOAT,
    MT_TIMESTAMP,
    MT_BLOB,
} model_type_t;

enum model_shape_flags {
    MSF_HAS_MIN = 1 << 0,
    MSF_HAS_MAX = 1 << 1,
    MSF_POLICY_DOC = 1 << 2, /* IAM policy documents: URL-encoded JSON in query output */
    MSF_SENSITIVE = 1 << 3,
    MSF_TS_ISO = 1 << 4,   /* explicit timestampFormat iso8601 */
    MSF_TS_EPOCH = 1 << 5, /* explicit timestampFormat unixTimestamp */
    MSF_FLATTENED = 1 << 6,
};

typedef enum model_protocol { MP_JSON, MP_QUERY, MP_EC2 } model_protocol_t;

#define MODEL_NONE 0xffff

typedef struct model_member {
    const char *name;    /* model name: "PageSize" */
    const char *wire;    /* query/ec2 request key: name, or ec2's queryName/LocationName */
    const char *xml;     /* response element: locationName or name */
    uint16_t shape;      /* index into the service's shapes */
    uint8_t required;    /* listed in the structure's "required" */
    uint8_t idempotency; /* idempotencyToken */
} model_member_t;

typedef struct model_shape {
    const char *name;
    uint8_t type;     /* model_type_t */
    uint8_t flags;    /* model_shape_flags */
    int64_t min, max; /* length (string, blob, list, map) or value (numbers) bounds */
    int16_t pattern;  /* index into model_patterns, or -1 */
    uint16_t n_enums;
    const char *const *enums;
    /* structure */
    uint16_t first_member, n_members; /* range in the service's members */
    /* list: element shape and its XML element name ("member", "item") */
    uint16_t member;
    const char *member_xml;
    /* map */
    uint16_t key, value;
} model_shape_t;

typedef struct model_service {
    const char *name;          /* "servicecatalog": also the SigV4 signing name */
    const char *target_prefix; /* awsJson1_1 X-Amz-Target prefix, or NULL */
    const char *api_version;   /* "2015-12-10" */
    const char *xml_ns;        /* query/ec2 response namespace, or NULL */
    model_protocol_t protocol;
    const model_shape_t *shapes;
    size_t n_shapes;
    const model_member_t *members;
    size_t n_members;
} model_service_t;

/* Generated tables (src/proto/gen/model_gen.c). */
extern const model_service_t model_services[];
extern const size_t model_n_services;
extern const char *const model_patterns[];      /* PCRE2 syntax, for matching */
extern const char *const model_pattern_texts[]; /* as the model writes them, for messages */
extern const size_t model_n_patterns;

/* Looks a service up by name; NULL when catalogd does not serve it. */
const model_service_t *model_service(const char *name);
/* Member `name` of structure shape s, or NULL. */
const model_member_t *model_member(const model_service_t *svc, const model_shape_t *s,
                                   const char *name);
static inline const model_shape_t *model_shape(const model_service_t *svc, uint16_t idx)
{
    return &svc->shapes[idx];
}

#endif
