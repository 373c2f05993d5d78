/* policy.h - the IAM policy language: parse-and-validate on write, evaluate on every call.
 * A parsed policy is immutable and may be shared between threads and cached. Evaluation
 * follows AWS's documented logic (../shared/reference/aws-api.md §7): explicit Deny beats
 * Allow beats the implicit deny. */
#ifndef CATALOGD_POLICY_H
#define CATALOGD_POLICY_H

#include "core/err.h"
#include "core/span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum policy_kind {
    POLICY_IDENTITY, /* user/group/role inline or managed policy: no Principal allowed */
    POLICY_TRUST,    /* role trust (resource-based) policy: Principal required */
} policy_kind_t;

typedef struct policy policy_t;

/* Parses and validates a policy document. On success *out owns a new policy (free with
 * policy_free). On failure returns ERR_IAM_MALFORMED_POLICY with AWS's message in eb
 * ("Syntax errors in policy.", "Policy document should not specify a principal.",
 * "Policy statement must contain actions.", "Actions/Conditions must be prefaced by a
 * vendor, e.g., iam, sdb, ec2, etc.", "Missing required field Principal", ...; the full
 * list is in policy.c) and *out is untouched. Never reads past doc.n.
 * Documents over 131072 bytes (IAM's request limit) are refused as malformed; the smaller
 * stored-size quotas are the caller's to enforce with policy_size_nows. */
err_t policy_parse(span_t doc, policy_kind_t kind, policy_t **out, errbuf_t *eb);
void policy_free(policy_t *p); /* NULL is fine */

/* The document's Version: "2012-10-17", "2008-10-17", or NULL when it has none (CreatePolicy
 * wants 2012-10-17: "Policy document must be version 2012-10-17 or greater."). */
const char *policy_version(const policy_t *p);

/* The size IAM counts against its quotas: characters other than whitespace (space, tab, CR,
 * LF), a multi-byte UTF-8 character counting once. Identity policies may have 6144 ("Cannot
 * exceed quota for PolicySize: 6144"), trust policies 2048 ("Cannot exceed quota for
 * ACLSizePerRole: 2048"), both LimitExceeded. */
size_t policy_size_nows(span_t doc);

/* ---- request context: the keys conditions and policy variables read */
typedef enum policy_ctx_type {
    PCT_STRING, /* also ARNs */
    PCT_NUMERIC,
    PCT_DATE, /* values: ISO 8601 or epoch seconds */
    PCT_BOOL, /* "true"/"false" */
    PCT_IP,
    PCT_BINARY,
} policy_ctx_type_t;

typedef struct policy_ctx_entry {
    const char *key; /* "aws:username", "aws:PrincipalTag/team": matched without regard to case */
    policy_ctx_type_t type;
    const char *const *values; /* one value, or several for multivalued keys (aws:TagKeys) */
    size_t n_values;
} policy_ctx_entry_t;

typedef struct policy_ctx {
    const policy_ctx_entry_t *entries;
    size_t n;
} policy_ctx_t;

/* The principal asking (for Principal/NotPrincipal in trust policies). */
typedef struct policy_principal {
    const char *aws_arn;   /* "arn:aws:iam::123456789012:user/alice",
                              "arn:aws:sts::123456789012:assumed-role/R/s", or NULL */
    const char *role_arn;  /* for an assumed-role session: the role's ARN, else NULL */
    const char *account;   /* "123456789012", or NULL for a service principal */
    const char *service;   /* "servicecatalog.amazonaws.com" for a service principal, else NULL */
    const char *federated; /* a web identity: its IAM identity provider's ARN
                              ("arn:aws:iam::ACCT:oidc-provider/host/path"), else NULL */
    bool named_only; /* match only entries naming aws_arn itself: no "*", account or role entry,
                        and NotPrincipal never (does the policy grant this exact principal?) */
} policy_principal_t;

typedef struct policy_request {
    const char *action;   /* "ssm:StartAutomationExecution" */
    const char *resource; /* the concrete ARN, or "*" when the action has no resource */
    const policy_ctx_t *ctx;
    const policy_principal_t *principal; /* required for POLICY_TRUST, ignored otherwise */
} policy_request_t;

typedef enum policy_effect {
    POLICY_NO_MATCH = 0, /* no statement applies */
    POLICY_ALLOW,
    POLICY_DENY, /* an explicit deny applies */
} policy_effect_t;

/* Evaluates one policy: POLICY_DENY if any matching Deny statement applies, else
 * POLICY_ALLOW if a matching Allow applies, else POLICY_NO_MATCH. When sid is non-NULL it
 * receives the deciding statement's Sid (borrowed from p, "" when it has none or nothing
 * matched). Resource patterns match req->resource case-sensitively, and only the pattern "*"
 * matches the resource "*". In trust policies: "Principal": "*" matches everyone; an account
 * ("ACCT" or "arn:aws:iam::ACCT:root") matches every principal with that account (taken from
 * aws_arn when account is NULL); a role ARN also matches that role's sessions (role_arn);
 * {"AWS": "*"} matches AWS principals only; Service entries match service principals only,
 * without regard to case; Federated entries match federated principals only, by the provider's
 * ARN. With
 * named_only, only an entry naming aws_arn verbatim matches. A NULL principal is asked about
 * as nobody in particular. Thread-safe on a shared p. */
policy_effect_t policy_eval(const policy_t *p, const policy_request_t *req, const char **sid);

/* ---- the decision over a principal's policy set (aws-api.md §7.1) */
typedef enum policy_decision {
    POLICY_IMPLICIT_DENY = 0,
    POLICY_ALLOWED,
    POLICY_EXPLICIT_DENY,
} policy_decision_t;

typedef struct policy_set {
    const policy_t *const *identity; /* every identity-based policy that applies */
    size_t n_identity;
    const policy_t *boundary;       /* permissions boundary, or NULL */
    const policy_t *const *session; /* session policies, or none */
    size_t n_session;
} policy_set_t;

/* Which layer of the set decided a denial: for the "because ..." clause of AWS's message. */
typedef enum policy_layer {
    POLICY_LAYER_NONE = 0, /* nothing denied */
    POLICY_LAYER_IDENTITY, /* an identity-based policy denies, or none allows */
    POLICY_LAYER_BOUNDARY, /* the permissions boundary denies or does not allow */
    POLICY_LAYER_SESSION,  /* a session policy denies, or none allows */
} policy_layer_t;

/* The one decision over a policy set, for the request path and the simulator alike.
 * Explicit deny anywhere -> POLICY_EXPLICIT_DENY; else an identity allow is needed, the
 * boundary (when present) must allow, and the session policies (when present) must allow:
 * they are one combined session policy (AssumeRole's inline Policy and its PolicyArns), so
 * any one of them allowing suffices. NULL entries in the arrays are skipped; a NULL set or
 * request is an implicit deny. When why is non-NULL it receives the deciding layer
 * (POLICY_LAYER_NONE when allowed). */
policy_decision_t policy_decide(const policy_set_t *set, const policy_request_t *req,
                                policy_layer_t *why);

/* Wildcard match as IAM does it: '*' any run (including '/' and ':'), '?' one byte, every
 * other byte (backslash too) itself; ASCII letters fold when nocase. NULLs never match. */
bool policy_wildcard(const char *pattern, const char *s, bool nocase);

#endif
