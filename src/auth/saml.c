/* saml.c - SAML metadata and signed responses (libxml2 for the tree and C14N, OpenSSL
 * for digests, certificates and RSA). */
#include "auth/saml.h"

#include "core/buf.h"
#include "core/enc.h"

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NS_MD    "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_SAML  "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_DS    "http://www.w3.org/2000/09/xmldsig#"
#define NS_EC    "http://www.w3.org/2001/10/xml-exc-c14n#"

#define ALG_EXC_C14N   "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_ENVELOPED  "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_SHA256     "http://www.w3.org/2001/04/xmlenc#sha256"
#define STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define MAX_XML        (1 << 20)

static void saml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static pthread_once_t saml_once = PTHREAD_ONCE_INIT;

static void saml_init(void)
{
    xmlInitParser(); /* once, before any thread parses: it is not thread-safe itself */
}

/* Parses xml with no DTD (so no entity of any kind) and no network. NULL when it does
 * not parse or has a DTD. */
static xmlDocPtr saml_parse(span_t xml)
{
    pthread_once(&saml_once, saml_init);
    if (!xml.n || xml.n > MAX_XML || memmem(xml.p, xml.n, "<!DOCTYPE", 9)) return NULL;
    xmlSetGenericErrorFunc(NULL, saml_quiet); /* per thread in libxml2 */
    xmlDocPtr doc = xmlReadMemory(xml.p, (int)xml.n, "saml.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc && (doc->intSubset || doc->extSubset)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static bool saml_is(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

/* The first child element of n called ns:name, or NULL. */
static xmlNodePtr saml_child(const xmlNode *n, const char *ns, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (saml_is(c, ns, name)) return c;
    return NULL;
}

/* How many elements ns:name there are in n's subtree (n included). */
static size_t saml_count(const xmlNode *n, const char *ns, const char *name)
{
    size_t k = saml_is(n, ns, name);
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) k += saml_count(c, ns, name);
    return k;
}

/* Attribute name of n (no namespace), copied into a, or NULL. */
static const char *saml_prop(xmlNodePtr n, const char *name, arena_t *a)
{
    xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    const char *s = v ? arena_strdup(a, (const char *)v) : NULL;
    xmlFree(v);
    return s;
}

/* n's text content with surrounding whitespace trimmed, in a ("" for none). */
static const char *saml_text(xmlNodePtr n, arena_t *a)
{
    xmlChar *v = n ? xmlNodeGetContent(n) : NULL;
    const char *s = v ? (const char *)v : "";
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1])) len--;
    while (len && strchr(" \t\r\n", *s)) s++, len--;
    char *out = arena_strndup(a, s, len);
    xmlFree(v);
    return out;
}

/* Base64 with any whitespace in it (as XML wraps it) decoded into b. */
static bool saml_b64(const char *text, buf_t *b)
{
    buf_t clean;
    buf_init(&clean, MAX_XML);
    for (const char *p = text; *p; p++)
        if (!strchr(" \t\r\n", *p)) buf_addc(&clean, *p);
    bool ok = clean.len && enc_base64_decode(b, buf_span(&clean));
    buf_free(&clean);
    return ok;
}

static void saml_why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void saml_why(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

/* The certificate (base64 DER) as X509, or NULL. */
static X509 *saml_cert(const char *b64)
{
    buf_t der;
    buf_init(&der, 65536);
    X509 *x = NULL;
    if (saml_b64(b64, &der)) {
        const unsigned char *p = (const unsigned char *)der.p;
        x = d2i_X509(NULL, &p, (long)der.len);
        if (x && p != (const unsigned char *)der.p + der.len) {
            X509_free(x);
            x = NULL;
        }
    }
    buf_free(&der);
    return x;
}

bool saml_meta_parse(span_t xml, arena_t *a, saml_meta_t *out, char *why, size_t cap)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc = saml_parse(xml);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr idp = saml_child(root, NS_MD, "IDPSSODescriptor");
    bool ok = false;
    if (!saml_is(root, NS_MD, "EntityDescriptor") || !idp) {
        saml_why(why, cap, "Could not parse metadata");
        goto done;
    }
    out->entity_id = saml_prop(root, "entityID", a);
    const char *until = saml_prop(root, "validUntil", a);
    if (until && !enc_parse_iso8601(span_of(until), &out->valid_until_ms)) {
        saml_why(why, cap, "Could not parse metadata: validUntil is not a date");
        goto done;
    }
    for (xmlNodePtr kd = idp->children; kd; kd = kd->next) {
        const char *use = saml_is(kd, NS_MD, "KeyDescriptor") ? saml_prop(kd, "use", a) : "";
        if (!saml_is(kd, NS_MD, "KeyDescriptor") || (use && strcmp(use, "signing"))) continue;
        xmlNodePtr data = saml_child(saml_child(kd, NS_DS, "KeyInfo"), NS_DS, "X509Data");
        for (xmlNodePtr c = data ? data->children : NULL; c; c = c->next) {
            if (!saml_is(c, NS_DS, "X509Certificate") || out->n_certs == SAML_MAX_CERTS) continue;
            const char *b64 = saml_text(c, a);
            X509 *x = saml_cert(b64);
            if (!x) {
                saml_why(why, cap, "Could not parse metadata: a signing certificate is invalid");
                goto done;
            }
            X509_free(x);
            out->certs[out->n_certs++] = b64;
        }
    }
    if (!out->entity_id || !*out->entity_id)
        saml_why(why, cap, "Could not parse metadata: no entityID");
    else if (!out->n_certs)
        saml_why(why, cap, "Could not parse metadata: no signing certificate");
    else
        ok = true;
done:
    xmlFreeDoc(doc);
    return ok;
}

/* ---- XML signature */

typedef struct saml_vis {
    xmlNodePtr root, skip; /* the subtree canonicalized, and one subtree of it left out */
} saml_vis_t;

static int saml_visible(void *ud, xmlNodePtr node, xmlNodePtr parent)
{
    const saml_vis_t *v = ud;
    xmlNodePtr n = node && node->type == XML_NAMESPACE_DECL ? parent : node;
    for (xmlNodePtr p = n; p; p = p->parent) {
        if (p == v->skip) return 0;
        if (p == v->root) return 1;
    }
    return 0;
}

/* Exclusive C14N (no comments) of root's subtree less skip's, with the InclusiveNamespaces
 * PrefixList of the transform element t (or none), into out. */
static bool saml_c14n(xmlDocPtr doc, xmlNodePtr root, xmlNodePtr skip, xmlNodePtr t, arena_t *a,
                      buf_t *out)
{
    const char *list = saml_prop(saml_child(t, NS_EC, "InclusiveNamespaces"), "PrefixList", a);
    xmlChar *prefixes[16] = {0};
    char *copy = list ? arena_strdup(a, list) : NULL, *save = NULL;
    size_t n = 0;
    for (char *tok = copy ? strtok_r(copy, " \t\r\n", &save) : NULL; tok && n < 15;
         tok = strtok_r(NULL, " \t\r\n", &save))
        prefixes[n++] = (xmlChar *)tok;
    saml_vis_t vis = {root, skip};
    xmlBufferPtr xb = xmlBufferCreate();
    xmlOutputBufferPtr ob = xb ? xmlOutputBufferCreateBuffer(xb, NULL) : NULL;
    int rc = ob ? xmlC14NExecute(doc, saml_visible, &vis, XML_C14N_EXCLUSIVE_1_0,
                                 n ? prefixes : NULL, 0, ob)
                : -1;
    if (ob) xmlOutputBufferClose(ob);
    bool ok = rc >= 0 && buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
    if (xb) xmlBufferFree(xb);
    return ok;
}

/* Whether one of certs' RSA keys verifies sig over data with SHA-256. */
static bool saml_rsa(const char *const *certs, size_t n_certs, const buf_t *data, const buf_t *sig)
{
    bool ok = false;
    for (size_t i = 0; i < n_certs && !ok; i++) {
        X509 *x = saml_cert(certs[i]);
        EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ok = k && md && EVP_PKEY_base_id(k) == EVP_PKEY_RSA &&
             EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(md, (const unsigned char *)sig->p, sig->len,
                              (const unsigned char *)data->p, data->len) == 1;
        EVP_MD_CTX_free(md);
        X509_free(x);
    }
    return ok;
}

/* Whether exactly one element in n's subtree has an ID-like attribute equal to id. */
static size_t saml_id_count(xmlNodePtr n, const char *id)
{
    size_t k = 0;
    for (xmlAttrPtr at = n->properties; at; at = at->next) {
        const char *an = (const char *)at->name;
        if (strcmp(an, "ID") && strcmp(an, "Id") && strcmp(an, "id")) continue;
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)at);
        k += v && !strcmp((const char *)v, id);
        xmlFree(v);
    }
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) k += saml_id_count(c, id);
    return k;
}

/* Checks the enveloped signature sig (a child of el) over el. */
static bool saml_signature(xmlDocPtr doc, xmlNodePtr el, xmlNodePtr sig, const char *const *certs,
                           size_t n_certs, arena_t *a, char *why, size_t cap)
{
    xmlNodePtr si = saml_child(sig, NS_DS, "SignedInfo");
    xmlNodePtr cm = saml_child(si, NS_DS, "CanonicalizationMethod");
    xmlNodePtr sm = saml_child(si, NS_DS, "SignatureMethod");
    const char *cm_alg = saml_prop(cm, "Algorithm", a), *sm_alg = saml_prop(sm, "Algorithm", a);
    const char *id = saml_prop(el, "ID", a);
    if (!si || !cm_alg || strcmp(cm_alg, ALG_EXC_C14N) || !sm_alg ||
        strcmp(sm_alg, ALG_RSA_SHA256)) {
        saml_why(why, cap, "Unsupported signature algorithm: RSA-SHA256 with exclusive C14N only");
        return false;
    }
    if (!id || !*id || saml_id_count(xmlDocGetRootElement(doc), id) != 1 ||
        saml_count(si, NS_DS, "Reference") != 1) {
        saml_why(why, cap, "Invalid signature reference");
        return false;
    }
    xmlNodePtr ref = saml_child(si, NS_DS, "Reference");
    const char *uri = saml_prop(ref, "URI", a);
    if (!uri || uri[0] != '#' || strcmp(uri + 1, id)) {
        saml_why(why, cap, "Invalid signature reference");
        return false;
    }
    xmlNodePtr ts = saml_child(ref, NS_DS, "Transforms"), exc = NULL;
    bool enveloped = false;
    for (xmlNodePtr t = ts ? ts->children : NULL; t; t = t->next) {
        if (t->type != XML_ELEMENT_NODE) continue;
        const char *alg = saml_prop(t, "Algorithm", a);
        if (saml_is(t, NS_DS, "Transform") && alg && !strcmp(alg, ALG_ENVELOPED) && !enveloped)
            enveloped = true;
        else if (saml_is(t, NS_DS, "Transform") && alg && !strcmp(alg, ALG_EXC_C14N) && !exc)
            exc = t;
        else {
            saml_why(why, cap, "Unsupported signature transform");
            return false;
        }
    }
    const char *dm = saml_prop(saml_child(ref, NS_DS, "DigestMethod"), "Algorithm", a);
    if (!enveloped || !exc || !dm || strcmp(dm, ALG_SHA256)) {
        saml_why(why, cap,
                 "Unsupported signature: an enveloped signature, exclusive C14N and a "
                 "SHA-256 digest only");
        return false;
    }
    buf_t want, got, data, sigval;
    buf_init(&want, 4096);
    buf_init(&got, MAX_XML * 2);
    buf_init(&data, MAX_XML);
    buf_init(&sigval, 4096);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    bool ok = saml_b64(saml_text(saml_child(ref, NS_DS, "DigestValue"), a), &want) &&
              saml_c14n(doc, el, sig, exc, a, &got) &&
              EVP_Digest(got.p, got.len, md, &md_len, EVP_sha256(), NULL) == 1 &&
              md_len == want.len && CRYPTO_memcmp(md, want.p, md_len) == 0;
    if (!ok)
        saml_why(why, cap, "Invalid signature: the digest does not match");
    else if (!saml_b64(saml_text(saml_child(sig, NS_DS, "SignatureValue"), a), &sigval) ||
             !saml_c14n(doc, si, NULL, cm, a, &data) || !saml_rsa(certs, n_certs, &data, &sigval)) {
        saml_why(why, cap, "Invalid signature");
        ok = false;
    }
    buf_free(&want);
    buf_free(&got);
    buf_free(&data);
    buf_free(&sigval);
    return ok;
}

/* ---- the response */

static bool saml_one_of(const char *v, const char *const *list)
{
    for (size_t i = 0; v && list && list[i]; i++)
        if (!strcmp(v, list[i])) return true;
    return false;
}

/* Reads a time attribute; *ms unchanged when absent; false when present and not a date. */
static bool saml_time(xmlNodePtr n, const char *name, arena_t *a, int64_t *ms)
{
    const char *v = saml_prop(n, name, a);
    return !v || enc_parse_iso8601(span_of(v), ms);
}

/* The AttributeStatement's attributes into out. */
static void saml_attrs(xmlNodePtr as, arena_t *a, saml_assertion_t *out)
{
    size_t n = 0;
    for (xmlNodePtr st = as->children; st; st = st->next)
        if (saml_is(st, NS_SAML, "AttributeStatement")) n += saml_count(st, NS_SAML, "Attribute");
    out->attrs = arena_zalloc(a, sizeof(*out->attrs) * (n ? n : 1));
    for (xmlNodePtr st = as->children; st; st = st->next) {
        if (!saml_is(st, NS_SAML, "AttributeStatement")) continue;
        for (xmlNodePtr at = st->children; at && out->n_attrs < n; at = at->next) {
            if (!saml_is(at, NS_SAML, "Attribute")) continue;
            saml_attr_t *x = &out->attrs[out->n_attrs++];
            x->name = saml_prop(at, "Name", a);
            size_t k = saml_count(at, NS_SAML, "AttributeValue");
            x->values = arena_zalloc(a, sizeof(*x->values) * (k ? k : 1));
            for (xmlNodePtr v = at->children; v; v = v->next)
                if (saml_is(v, NS_SAML, "AttributeValue"))
                    x->values[x->n_values++] = saml_text(v, a);
        }
    }
}

/* The checks of an assertion whose signature holds: subject, times, audience. */
static saml_verdict_t saml_read(xmlNodePtr resp, xmlNodePtr as, int64_t now_ms,
                                const char *const *endpoints, const char *const *audiences,
                                arena_t *a, saml_assertion_t *out, char *why, size_t cap)
{
    xmlNodePtr subj = saml_child(as, NS_SAML, "Subject");
    xmlNodePtr nid = saml_child(subj, NS_SAML, "NameID");
    xmlNodePtr scd = saml_child(saml_child(subj, NS_SAML, "SubjectConfirmation"), NS_SAML,
                                "SubjectConfirmationData");
    xmlNodePtr cond = saml_child(as, NS_SAML, "Conditions");
    out->issuer = saml_text(saml_child(as, NS_SAML, "Issuer"), a);
    out->subject = saml_text(nid, a);
    out->subject_format = saml_prop(nid, "Format", a);
    out->recipient = saml_prop(scd, "Recipient", a);
    int64_t not_before = 0, until = INT64_MAX, scd_until = INT64_MAX;
    if (!*out->issuer || !nid || !*out->subject || !scd || !cond ||
        !saml_time(cond, "NotBefore", a, &not_before) ||
        !saml_time(cond, "NotOnOrAfter", a, &until) ||
        !saml_time(scd, "NotOnOrAfter", a, &scd_until)) {
        saml_why(why, cap, "Invalid SAML assertion: Issuer, Subject and Conditions are required");
        return SAML_MALFORMED;
    }
    out->expires_ms = until < scd_until ? until : scd_until;
    if (!saml_time(saml_child(as, NS_SAML, "AuthnStatement"), "SessionNotOnOrAfter", a,
                   &out->session_until_ms)) {
        saml_why(why, cap, "Invalid SAML assertion: SessionNotOnOrAfter is not a date");
        return SAML_MALFORMED;
    }
    const char *dest = saml_prop(resp, "Destination", a);
    if (dest && !saml_one_of(dest, endpoints)) {
        saml_why(why, cap, "Invalid Destination: %s", dest);
        return SAML_REJECTED;
    }
    if (!saml_one_of(out->recipient, endpoints)) {
        saml_why(why, cap, "Invalid Recipient: %s", out->recipient ? out->recipient : "(none)");
        return SAML_REJECTED;
    }
    for (xmlNodePtr ar = cond->children; ar && !out->audience; ar = ar->next)
        for (xmlNodePtr au = saml_is(ar, NS_SAML, "AudienceRestriction") ? ar->children : NULL;
             au && !out->audience; au = au->next) {
            const char *v = saml_is(au, NS_SAML, "Audience") ? saml_text(au, a) : NULL;
            if (v && (saml_one_of(v, endpoints) || saml_one_of(v, audiences))) out->audience = v;
        }
    if (!out->audience) {
        saml_why(why, cap, "Invalid Audience: the assertion is not for this service provider");
        return SAML_REJECTED;
    }
    if (now_ms >= out->expires_ms) {
        saml_why(why, cap, "Response is expired");
        return SAML_EXPIRED;
    }
    if (now_ms < not_before) {
        saml_why(why, cap, "Response is not yet valid");
        return SAML_REJECTED;
    }
    saml_attrs(as, a, out);
    return SAML_OK;
}

saml_verdict_t saml_verify(span_t xml, const char *const *certs, size_t n_certs, int64_t now_ms,
                           const char *const *endpoints, const char *const *audiences, arena_t *a,
                           saml_assertion_t *out, char *why, size_t cap)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc = saml_parse(xml);
    xmlNodePtr resp = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr as = saml_child(resp, NS_SAML, "Assertion");
    saml_verdict_t v = SAML_MALFORMED;
    if (!saml_is(resp, NS_SAMLP, "Response") || !as ||
        saml_count(resp, NS_SAML, "Assertion") != 1 ||
        saml_count(resp, NS_SAML, "EncryptedAssertion")) {
        saml_why(why, cap, "Invalid SAML response: one Assertion is required");
        goto done;
    }
    const char *status = saml_prop(
        saml_child(saml_child(resp, NS_SAMLP, "Status"), NS_SAMLP, "StatusCode"), "Value", a);
    if (!status || strcmp(status, STATUS_SUCCESS)) {
        saml_why(why, cap, "The SAML response status is not Success");
        v = SAML_IDP_FAILED;
        goto done;
    }
    /* the assertion's own signature, else the response's (which covers the assertion) */
    xmlNodePtr sig = saml_child(as, NS_DS, "Signature"), signed_el = as;
    if (!sig) sig = saml_child(resp, NS_DS, "Signature"), signed_el = resp;
    v = SAML_BAD_SIGNATURE;
    if (!sig) {
        saml_why(why, cap, "The SAML response is not signed");
        goto done;
    }
    if (saml_signature(doc, signed_el, sig, certs, n_certs, a, why, cap))
        v = saml_read(resp, as, now_ms, endpoints, audiences, a, out, why, cap);
done:
    xmlFreeDoc(doc);
    return v;
}

const saml_attr_t *saml_attr(const saml_assertion_t *as, const char *name)
{
    for (size_t i = 0; i < as->n_attrs; i++)
        if (as->attrs[i].name && !strcmp(as->attrs[i].name, name)) return &as->attrs[i];
    return NULL;
}
