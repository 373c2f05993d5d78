/* param_int.h - Parameter Store's shared pieces: the records (kind "ssm.param", one per
 * parameter, id its key; "ssm.paramver", one per kept version, id "<key>:<version>",
 * parent the key), names and selectors, values sealed at rest, and AWS's public
 * parameters (the AMI look-ups over EC2's catalogue). params.c writes, params_read.c
 * reads. */
#ifndef CATALOGD_PARAM_INT_H
#define CATALOGD_PARAM_INT_H

#include "svc/ssm/ssm_int.h"

#define SSM_PARAM          "ssm.param"
#define SSM_PARAMVER       "ssm.paramver"
#define SSM_PARAM_KEY_MAX  1100 /* a key or name with its selector, NUL included */
#define SSM_PARAM_VERSIONS 100  /* versions kept per parameter */
#define SSM_PARAM_LABELS   10   /* labels per version */
#define SSM_DEFAULT_KEY    "alias/aws/ssm"
#define SSM_PUBLIC_PREFIX  "/aws/service/"
#define SSM_KEY_LEVEL      "level" /* indexed key of ssm.param: ssm_param_level of its name */

/* A parameter reference as a request gives it: a name or ARN, with an optional
 * ":version" or ":label" selector. */
typedef struct ssm_pref {
    char name[SSM_PARAM_KEY_MAX];     /* the name as given (without ARN prefix or selector) */
    char key[SSM_PARAM_KEY_MAX];      /* the record id: "/a" and "a" are one parameter */
    char selector[SSM_PARAM_KEY_MAX]; /* "" when none */
    int64_t version;                  /* the selector as a version, or 0 */
} ssm_pref_t;

/* Splits ref into *p. False when it cannot name a parameter (AWS's name rules for
 * reading: characters, fully qualified, length). */
bool ssm_pref_parse(const char *ref, ssm_pref_t *p);

/* The record key of a valid name ("/a" -> "a"; "/a/b" stays). out: SSM_PARAM_KEY_MAX. */
void ssm_param_key(const char *name, char *out);

/* The parameter p names, at its selector: *param is the parameter's record and *ver the
 * version's (both owned by the caller; *ver is the latest version's record when p has
 * no selector). Public parameters (/aws/service/...) come from EC2's catalogue with
 * *ver a copy of *param. Absent: ERR_SSM_PARAM_NOT_FOUND or
 * ERR_SSM_PARAM_VERSION_NOT_FOUND with AWS's sentences. */
err_t ssm_param_find(api_ctx_t *c, const ssm_pref_t *p, cJSON **param, cJSON **ver);

/* The API Parameter of version ver: the value in clear when decrypt (for a SecureString:
 * unsealed), else as stored (a SecureString's sealed text). Checks kms:Decrypt on a
 * customer key when decrypt asks to unseal. *out is a new object. */
err_t ssm_param_public(api_ctx_t *c, const cJSON *ver, const ssm_pref_t *p, bool decrypt,
                       cJSON **out);

/* The record id of version v of parameter key (arena text). */
const char *ssm_ver_id(api_ctx_t *c, const char *key, int64_t v);

/* Authorizes action on the parameter of each name in the request's Names (GetParameters,
 * DeleteParameters: the caller needs it on every one). */
err_t ssm_authorize_names(api_ctx_t *c, const char *action);

/* Whether labels (a version's Labels; NULL is fine) holds l. */
bool ssm_has_label(const cJSON *labels, const char *l);

/* The level a parameter lies at: its name without the last segment ("/a/b/c" -> "/a/b";
 * "/a" and "a" -> "/"). */
void ssm_param_level(const char *name, char *out, size_t cap);

#endif
