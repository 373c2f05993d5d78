/* proto.h - the AWS wire protocols: one decoder per protocol (awsJson1_1; query for iam,
 * sts, cloudformation; ec2), one validator, one encoder per output format (JSON, XML), and
 * the three error formats. Everything is driven by the model tables of model.h.
 *
 * The neutral value tree handed to handlers is a cJSON tree shaped like the model:
 * structure and map -> object, list -> array, string and blob (base64) -> string,
 * integer/long/double/float -> number, boolean -> bool, timestamp -> number of seconds
 * since the epoch (fraction allowed). Members the model does not know are dropped. */
#ifndef CATALOGD_PROTO_H
#define CATALOGD_PROTO_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/span.h"
#include "proto/model.h"

#include <cjson/cJSON.h>

/* ---- request decoding */

/* Parses an awsJson1_1 body against input shape `shape` (MODEL_NONE: any object).
 * Returns ERR_OK with *out owning a new tree (cJSON_Delete it), or ERR_SERIALIZATION
 * (malformed JSON, a member of the wrong type) with a message; nothing is allocated then.
 * An empty body is an empty object. */
err_t proto_json_decode(const model_service_t *svc, uint16_t shape, span_t body, cJSON **out,
                        errbuf_t *eb);

/* One decoded key=value pair of a query string or form body. */
typedef struct proto_param {
    const char *key, *value; /* NUL-terminated, percent-decoded, in the arena */
    size_t key_len, value_len;
    size_t order; /* position in the request */
} proto_param_t;

typedef struct proto_params {
    proto_param_t *v; /* sorted by key (bytewise) */
    size_t n;
} proto_params_t;

/* Splits an application/x-www-form-urlencoded body or query string into pairs,
 * percent-decoded ('+' is a space), sorted by key, in arena; of a key given twice only the
 * last pair stays (AWS takes the last value). ERR_SERIALIZATION
 * (MalformedQueryString) on a bad escape or more than max_params pairs. */
err_t proto_form_parse(span_t form, arena_t *arena, size_t max_params, proto_params_t *out,
                       errbuf_t *eb);
/* The value of key, or NULL. */
const proto_param_t *proto_param_get(const proto_params_t *ps, const char *key);

/* Builds the tree for input shape `shape` from query/ec2 parameters (protocol per svc):
 * lists as Name.member.N (query) or Name.N (ec2), maps as Name.entry.N.key/value,
 * structures as Name.Member. Scalars are converted to their model type: a value that does
 * not convert is ERR_VALIDATION with the Coral-style message. *out owns the new tree. */
err_t proto_query_decode(const model_service_t *svc, uint16_t shape, const proto_params_t *ps,
                         cJSON **out, errbuf_t *eb);

/* ---- the type gate */

/* Conforms tree (an object) to input shape `shape` in place: every value must have its
 * model type (structure and map: object; list: array; string: string; blob: base64 string;
 * boolean: bool; integer/long: integral number in range; float/double: finite number;
 * timestamp: epoch seconds or ISO 8601 text, which becomes seconds), recursively. Unknown
 * members and null members are dropped; of a member or map key given twice the last stays.
 * MODEL_NONE drops every member. A value of the wrong type is, for awsJson services,
 * ERR_SERIALIZATION "Expected a string at 'userName' but found an object"; for the query
 * protocols ERR_VALIDATION with proto_type_error's wording. */
err_t proto_conform(const model_service_t *svc, uint16_t shape, cJSON *tree, errbuf_t *eb);
/* ERR_VALIDATION as a query service words a value that is not of its member's type: "1
 * validation error detected: Value 'V' at 'path' failed to satisfy constraint: Member must
 * be <want>". */
err_t proto_type_error(const char *path, const char *value, const char *want, errbuf_t *eb);
/* Appends a value the way Coral quotes it in messages (strings bare, lists as [a, b],
 * objects as {...}). */
void proto_render_value(buf_t *b, const cJSON *n);

/* ---- validation */

/* Checks tree against shape's constraints: every value's type (a value proto_conform would
 * refuse is a failure here too, "Member must be a string"), required members,
 * string/list/map lengths, numeric ranges, enums and patterns. Returns ERR_OK, or ERR_VALIDATION /
 * ERR_MISSING_PARAMETER with the service's wording in eb ("2 validation errors detected:
 * Value null at 'name' failed to satisfy constraint: Member must not be null; ..." or, for
 * ec2, "The request must contain the parameter X"). Does not modify the tree. */
err_t proto_validate(const model_service_t *svc, uint16_t shape, const cJSON *tree, errbuf_t *eb);
/* Compiles every model pattern once; false when PCRE2 refuses one (logged). Idempotent,
 * thread-safe; proto_validate calls it lazily. */
bool proto_patterns_init(void);
/* Number of model patterns PCRE2 could not compile (such patterns are not enforced). */
size_t proto_patterns_skipped(void);

/* ---- response encoding */

/* Writes tree as the awsJson1_1 body for output shape `shape` (MODEL_NONE: "{}").
 * False only when out's cap is passed. */
bool proto_json_encode(const model_service_t *svc, uint16_t shape, const cJSON *tree, buf_t *out);

/* Writes the query/ec2 XML success document for operation `op` with output shape `shape`:
 * <OpResponse xmlns><OpResult>...</OpResult><ResponseMetadata><RequestId/>...
 * (query; result_wrapper may be NULL) or <OpResponse xmlns><requestId/>... (ec2). */
bool proto_xml_encode(const model_service_t *svc, const char *op, const char *result_wrapper,
                      uint16_t shape, const cJSON *tree, const char *request_id, buf_t *out);

/* ---- errors */

typedef struct proto_error_doc {
    int status;
    const char *content_type;
} proto_error_doc_t;

/* Renders error e with message msg in protocol p (for the query protocol xml_ns is the
 * service's namespace, or NULL). Returns the HTTP status and content type to send. */
proto_error_doc_t proto_error_encode(err_proto_t p, const char *xml_ns, err_t e, const char *msg,
                                     const char *request_id, buf_t *out);

static inline err_proto_t proto_err_proto(model_protocol_t p)
{
    return p == MP_JSON ? ERR_PROTO_JSON : p == MP_EC2 ? ERR_PROTO_EC2 : ERR_PROTO_QUERY;
}

/* ---- helpers shared by the codecs */

/* Appends s with JSON string escaping (without quotes). */
bool proto_json_escape(buf_t *out, span_t s);
/* Appends s with XML escaping. */
bool proto_xml_escape(buf_t *out, span_t s);
/* Coral-style member path segment: the member name with its first letter lower-cased. */
void proto_path_member(buf_t *path, const char *member);

#endif
