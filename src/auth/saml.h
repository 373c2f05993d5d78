/* saml.h - SAML 2.0 as IAM and STS need it: an identity provider's metadata (its entity
 * id and signing certificates) and the verification of a signed <samlp:Response> from
 * it (XML signature: enveloped, exclusive C14N, RSA-SHA256 over a SHA-256 digest).
 * Parsing is libxml2's with no DTD accepted at all (no entities, no external fetches).
 * Against signature wrapping, the one assertion read is exactly the element the
 * signature's only Reference names and the signature is a child of, its ID is unique in
 * the document, and the document holds no other assertion. */
#ifndef CATALOGD_SAML_H
#define CATALOGD_SAML_H

#include "core/arena.h"
#include "core/span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAML_MAX_CERTS 8

typedef struct saml_meta {
    const char *entity_id;
    const char *certs[SAML_MAX_CERTS]; /* base64 DER of the IdP's signing certificates */
    size_t n_certs;
    int64_t valid_until_ms; /* the metadata's validUntil, or 0 */
} saml_meta_t;

/* Parses IdP metadata (an EntityDescriptor with an IDPSSODescriptor and at least one
 * signing X509Certificate that parses). Strings live in a. False with a reason in why. */
bool saml_meta_parse(span_t xml, arena_t *a, saml_meta_t *out, char *why, size_t cap);

typedef enum saml_verdict {
    SAML_OK,
    SAML_MALFORMED,     /* not a SAML response we can read, or no/more than one assertion */
    SAML_BAD_SIGNATURE, /* unsigned, wrongly signed, signed by another key, tampered */
    SAML_EXPIRED,       /* past NotOnOrAfter (conditions or subject confirmation) */
    SAML_REJECTED,      /* not for us: audience, recipient, destination, not yet valid */
    SAML_IDP_FAILED,    /* the IdP says authentication failed (status not Success) */
} saml_verdict_t;

typedef struct saml_attr {
    const char *name;
    const char **values;
    size_t n_values;
} saml_attr_t;

typedef struct saml_assertion {
    const char *issuer;
    const char *subject;        /* NameID */
    const char *subject_format; /* NameID's Format, or NULL */
    const char *recipient;      /* SubjectConfirmationData's Recipient */
    const char *audience;       /* the Audience that matched */
    int64_t expires_ms;         /* the earliest NotOnOrAfter */
    int64_t session_until_ms;   /* the AuthnStatement's SessionNotOnOrAfter, or 0 */
    saml_attr_t *attrs;
    size_t n_attrs;
} saml_assertion_t;

/* Verifies the response xml (decoded from base64) signed by one of certs (base64 DER)
 * at now_ms, for one of the endpoints (NULL-terminated: Destination and Recipient must be
 * one; Audience one of them or one of audiences, NULL-terminated), and reads its
 * assertion into out (strings in a). A reason for anything but SAML_OK goes to why. */
saml_verdict_t saml_verify(span_t xml, const char *const *certs, size_t n_certs, int64_t now_ms,
                           const char *const *endpoints, const char *const *audiences, arena_t *a,
                           saml_assertion_t *out, char *why, size_t cap);

/* The values of attribute name in as (NULL when absent). */
const saml_attr_t *saml_attr(const saml_assertion_t *as, const char *name);

#endif
