/* saml.c - sts:AssumeRoleWithSAML: an unsigned request carrying a SAML response signed by
 * an identity provider registered in IAM (iam/saml_provider.h). The response is verified
 * against the provider metadata's signing certificates (auth/saml.h); its assertion must
 * be for AWS's sign-in endpoint, name the requested role and provider in its Role
 * attribute, carry a RoleSessionName, and the role's trust policy must allow the provider
 * as a Federated principal with the saml: condition keys the assertion gives. */
#include "svc/sts/sts.h"

#include "api/gen/ops_gen.h"
#include "auth/saml.h"
#include "core/clk.h"
#include "core/enc.h"
#include "iam/saml_provider.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#define SAML_ROLE_ATTR    "https://aws.amazon.com/SAML/Attributes/Role"
#define SAML_SESSION_ATTR "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
#define SAML_NAMEID_PFX   "urn:oasis:names:tc:SAML:2.0:nameid-format:"

/* Whether the Role attribute holds the pair role_arn,provider_arn (in either order). */
static bool saml_role_pair(const saml_attr_t *roles, const char *role_arn, const char *provider)
{
    for (size_t i = 0; roles && i < roles->n_values; i++) {
        const char *v = roles->values[i], *comma = strchr(v, ',');
        if (!comma) continue;
        size_t n1 = (size_t)(comma - v);
        const char *second = comma + 1;
        bool fwd = strlen(role_arn) == n1 && !strncmp(v, role_arn, n1) && !strcmp(second, provider);
        bool rev = strlen(provider) == n1 && !strncmp(v, provider, n1) && !strcmp(second, role_arn);
        if (fwd || rev) return true;
    }
    return false;
}

/* Whether s is a valid role session name: 2-64 of [\w+=,.@-]. */
static bool saml_session_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 64) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_+=,.@-", *s)))
            return false;
    return true;
}

/* SubjectType as AWS reports it: "persistent", "transient" or the full Format URI. */
static const char *saml_subject_type(const char *format)
{
    if (!format) return "unspecified";
    if (!strncmp(format, SAML_NAMEID_PFX, strlen(SAML_NAMEID_PFX)))
        return format + strlen(SAML_NAMEID_PFX);
    return format;
}

/* NameQualifier: base64(SHA-1(issuer + account + "/" + provider name)). */
static const char *saml_name_qualifier(api_ctx_t *c, const char *issuer, const char *provider)
{
    const char *text =
        arena_printf(c->arena, "%s%s/%s", issuer, c->account, strrchr(provider, '/') + 1);
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)text, strlen(text), md);
    buf_t b;
    buf_init(&b, 64);
    enc_base64(&b, md, sizeof(md));
    const char *out = arena_strdup(c->arena, buf_str(&b));
    buf_free(&b);
    return out;
}

/* The assertion attributes AWS offers as saml: condition keys (by their OID names), with
 * all their values. */
static const char *const saml_attr_keys[][2] = {
    {"urn:oid:2.5.4.3", "saml:commonName"},
    {"urn:oid:2.5.4.42", "saml:givenName"},
    {"urn:oid:2.5.4.4", "saml:surname"},
    {"urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"},
    {"urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement"},
};

/* The saml: condition keys of the assertion, in the arena: saml:doc is
 * "ACCOUNT/PROVIDER-NAME". */
static policy_ctx_t saml_context(api_ctx_t *c, const saml_assertion_t *as, const char *nq,
                                 const char *provider)
{
    const char *keys[][2] = {
        {"saml:aud", as->recipient},
        {"saml:iss", as->issuer},
        {"saml:sub", as->subject},
        {"saml:sub_type", saml_subject_type(as->subject_format)},
        {"saml:namequalifier", nq},
        {"saml:doc", arena_printf(c->arena, "%s/%s", c->account, strrchr(provider, '/') + 1)},
        {"aws:SourceIp", c->source_ip},
    };
    size_t n = sizeof(keys) / sizeof(keys[0]), k = 0;
    size_t n_attr = sizeof(saml_attr_keys) / sizeof(saml_attr_keys[0]);
    policy_ctx_entry_t *v = arena_alloc(c->arena, sizeof(*v) * (n + n_attr));
    for (size_t i = 0; i < n; i++) {
        if (!keys[i][1]) continue;
        const char **val = arena_alloc(c->arena, sizeof(*val));
        val[0] = keys[i][1];
        v[k++] = (policy_ctx_entry_t){keys[i][0], i == n - 1 ? PCT_IP : PCT_STRING, val, 1};
    }
    for (size_t i = 0; i < n_attr; i++) {
        const saml_attr_t *a = saml_attr(as, saml_attr_keys[i][0]);
        if (a && a->n_values)
            v[k++] = (policy_ctx_entry_t){saml_attr_keys[i][1], PCT_STRING, a->values, a->n_values};
    }
    return (policy_ctx_t){v, k};
}

/* Verifies the request's assertion against provider's metadata into as; AWS's errors. */
static err_t saml_check(api_ctx_t *c, const char *provider, saml_assertion_t *as)
{
    const char *doc = NULL;
    err_t rc = iam_saml_provider_doc(c->tx, c->account, provider, c->arena, &doc, c->eb);
    if (rc) return rc;
    saml_meta_t meta;
    char why[256];
    if (!doc || !saml_meta_parse(span_of(doc), c->arena, &meta, why, sizeof(why)))
        return err_fail(c->eb, ERR_STS_SAML_INVALID, "SAML Provider %s does not exist", provider);
    buf_t xml;
    buf_init(&xml, 1 << 20);
    if (!enc_base64_decode(&xml, span_of(api_in_str(c, "SAMLAssertion")))) {
        buf_free(&xml);
        return err_fail(c->eb, ERR_STS_SAML_INVALID, "Invalid base64 SAMLResponse");
    }
    /* AWS's sign-in endpoint, globally or in this region */
    const char *endpoints[] = {
        "https://signin.aws.amazon.com/saml",
        arena_printf(c->arena, "https://%s.signin.aws.amazon.com/saml", c->region), NULL};
    const char *audiences[] = {"urn:amazon:webservices", NULL};
    saml_verdict_t v =
        saml_verify(buf_span(&xml), meta.certs, meta.n_certs, clk_now_ms(&c->app->wall), endpoints,
                    audiences, c->arena, as, why, sizeof(why));
    buf_free(&xml);
    if (v == SAML_EXPIRED) return err_fail(c->eb, ERR_STS_SAML_EXPIRED, "%s", why);
    if (v == SAML_IDP_FAILED) return err_fail(c->eb, ERR_STS_SAML_REJECTED, "%s", why);
    if (v != SAML_OK) return err_fail(c->eb, ERR_STS_SAML_INVALID, "%s", why);
    if (strcmp(as->issuer, meta.entity_id))
        return err_fail(c->eb, ERR_STS_SAML_INVALID,
                        "Issuer %s does not match the entity id of provider %s", as->issuer,
                        provider);
    return ERR_OK;
}

err_t sts_assume_role_with_saml(api_ctx_t *c)
{
    const char *role_arn = api_in_str(c, "RoleArn"), *provider = api_in_str(c, "PrincipalArn");
    saml_assertion_t as;
    err_t rc = saml_check(c, provider, &as);
    if (rc) return rc;
    if (!saml_role_pair(saml_attr(&as, SAML_ROLE_ATTR), role_arn, provider))
        return err_fail(c->eb, ERR_ACCESS_DENIED,
                        "Not authorized to perform sts:AssumeRoleWithSAML");
    const saml_attr_t *sn = saml_attr(&as, SAML_SESSION_ATTR);
    if (!sn || sn->n_values != 1 || !saml_session_name(sn->values[0]))
        return err_fail(c->eb, ERR_STS_SAML_INVALID,
                        "The RoleSessionName attribute is missing or not a valid session name");
    const char *nq = saml_name_qualifier(c, as.issuer, provider);
    policy_ctx_t ctx = saml_context(c, &as, nq, provider);
    /* the session ends with the IdP's session (SessionNotOnOrAfter) if that comes first */
    int64_t duration = api_in_int(c, "DurationSeconds", 3600);
    int64_t left_s = (as.session_until_ms - clk_now_ms(&c->app->wall)) / 1000;
    if (as.session_until_ms && left_s < duration) duration = left_s > 1 ? left_s : 1;
    sts_assume_req_t r = {
        .federated = provider,
        .role_arn = role_arn,
        .session_name = sn->values[0],
        .duration_s = duration,
        .policy = api_in_str(c, "Policy"),
        .policy_arns = cJSON_GetObjectItemCaseSensitive(c->in, "PolicyArns"),
        .source_ip = c->source_ip,
        .ctx = &ctx,
        .account = c->account,
        .region = c->region,
    };
    sts_creds_t cr;
    rc = sts_assume(c->app, c->tx, &r, &cr, c->arena, c->eb);
    if (rc == ERR_ACCESS_DENIED) /* AWS names neither the provider nor the role */
        rc = err_fail(c->eb, ERR_ACCESS_DENIED, "Not authorized to perform sts:AssumeRoleWithSAML");
    if (rc) return rc;
    sts_put_creds(c, &cr);
    cJSON *u = cJSON_AddObjectToObject(c->out, "AssumedRoleUser");
    cJSON_AddStringToObject(u, "AssumedRoleId", cr.who.user_id);
    cJSON_AddStringToObject(u, "Arn", cr.who.arn);
    cJSON_AddStringToObject(c->out, "Subject", as.subject);
    cJSON_AddStringToObject(c->out, "SubjectType", saml_subject_type(as.subject_format));
    cJSON_AddStringToObject(c->out, "Issuer", as.issuer);
    cJSON_AddStringToObject(c->out, "Audience", as.recipient);
    cJSON_AddStringToObject(c->out, "NameQualifier", nq);
    return ERR_OK;
}
