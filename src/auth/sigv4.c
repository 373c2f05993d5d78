/* sigv4.c - AWS Signature Version 4 verification. Finds the signature a request carries
 * (Authorization header or presigned X-Amz-* query), rebuilds the canonical request and
 * string to sign, and compares signatures in constant time. Every intermediate lives in a
 * buffer capped at SIGV4_MAX_CANONICAL: a request that does not fit cannot match. */
#include "auth/sigv4.h"

#include "core/crypto.h"
#include "core/enc.h"
#include "core/mem.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGV4_ALGORITHM     "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR    "aws4_request"
#define SIGV4_MAX_CANONICAL (64 * 1024)
#define SIGV4_MAX_PARAMS    8192
#define SIGV4_MAX_EXPIRES_S 604800 /* a week, as AWS allows */
#define SIGV4_MSG_SPAN      400    /* longest client text quoted back in a message */

#define SIGV4_MISMATCH_MSG                                                                         \
    "The request signature we calculated does not match the signature you provided. Check "        \
    "your AWS Secret Access Key and signing method. Consult the service documentation for "        \
    "details."

/* Never-NULL pointer for a span, so empty spans can go to memcmp/printf/HMAC. */
static const char *sigv4_ptr(span_t s)
{
    return s.p ? s.p : "";
}

/* printf arguments for "%.*s" quoting client text, bounded to SIGV4_MSG_SPAN bytes. */
#define SIGV4_ARG(s) (int)((s).n > SIGV4_MSG_SPAN ? SIGV4_MSG_SPAN : (s).n), sigv4_ptr(s)

/* The whitespace botocore's str.split() collapses in header values (obs-fold included). */
static bool sigv4_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static span_t sigv4_trim_ws(span_t s)
{
    while (s.n && sigv4_is_space(s.p[0])) s.p++, s.n--;
    while (s.n && sigv4_is_space(s.p[s.n - 1])) s.n--;
    return s;
}

static span_t sigv4_sub(span_t s, size_t off, size_t n)
{
    return (span_t){sigv4_ptr(s) + off, n};
}

/* Three-way byte comparison, shorter first on a common prefix (the SigV4 sort order). */
static int sigv4_cmp(span_t a, span_t b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c) return c;
    return (a.n > b.n) - (a.n < b.n);
}

/* First header named name (ASCII case-insensitive), or NULL. Borrows from req. */
static const sigv4_header_t *sigv4_find_header(const sigv4_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (span_eq_nocase(req->headers[i].name, span_of(name))) return &req->headers[i];
    return NULL;
}

/* Splits the request-target into its path and its query (empty when there is no '?'). */
static void sigv4_split_uri(span_t uri, span_t *path, span_t *query)
{
    long q = span_index(uri, '?');
    if (q < 0) {
        *path = uri;
        *query = sigv4_sub(uri, uri.n, 0);
        return;
    }
    *path = sigv4_sub(uri, 0, (size_t)q);
    *query = sigv4_sub(uri, (size_t)q + 1, uri.n - (size_t)q - 1);
}

static int sigv4_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Width of the separator at s[i]: 1 for sep itself, 3 for its %XX form when encoded
 * (presigned parameter values arrive percent-encoded), 0 for anything else. */
static size_t sigv4_sep_width(span_t s, size_t i, char sep, bool encoded)
{
    if (s.p[i] == sep) return 1;
    if (encoded && s.p[i] == '%' && s.n - i >= 3) {
        int h = sigv4_hexval(s.p[i + 1]), l = sigv4_hexval(s.p[i + 2]);
        if (h >= 0 && l >= 0 && h * 16 + l == (unsigned char)sep) return 3;
    }
    return 0;
}

/* Iterates the sep-separated elements of list: *pos starts at 0; each call stores the next
 * element (possibly empty) in *elem and returns false once the list is exhausted. */
static bool sigv4_list_next(span_t list, size_t *pos, char sep, bool encoded, span_t *elem)
{
    if (*pos > list.n) return false;
    size_t i = *pos, w = 0;
    while (i < list.n && (w = sigv4_sep_width(list, i, sep, encoded)) == 0) i++;
    *elem = sigv4_sub(list, *pos, i - *pos);
    *pos = i < list.n ? i + w : list.n + 1;
    return true;
}

/* Finds the first query parameter whose raw key is name; *value gets its raw (still
 * percent-encoded) value, empty when the parameter has no '='. */
static bool sigv4_query_param(span_t query, const char *name, span_t *value)
{
    size_t pos = 0;
    span_t item, key;
    while (sigv4_list_next(query, &pos, '&', false, &item)) {
        span_t val = span_split(item, '=', &key);
        if (span_eq_str(key, name)) {
            *value = val.p ? val : sigv4_sub(item, item.n, 0);
            return true;
        }
    }
    return false;
}

/* Percent-decodes in into d (emptied first), keeping the raw bytes when an escape is
 * malformed. False only when d's cap would be passed. */
static bool sigv4_decode(buf_t *d, span_t in)
{
    buf_reset(d);
    if (enc_uri_decode(d, in, false)) return true;
    buf_reset(d);
    return buf_addspan(d, in);
}

/* ---- canonical request ---------------------------------------------------------------- */

/* Appends the canonical URI: the path, with dot segments and repeated slashes removed when
 * normalize (keeping a trailing slash), then every byte but unreserved ones and '/'
 * percent-encoded. tmp is scratch. False when a buffer's cap would be passed. */
static bool sigv4_canonical_uri(span_t path, bool normalize, buf_t *tmp, buf_t *out)
{
    if (path.n == 0) return buf_addc(out, '/');
    if (!normalize) return enc_uri(out, path, true);
    buf_reset(tmp);
    size_t pos = 0;
    span_t seg;
    while (sigv4_list_next(path, &pos, '/', false, &seg)) {
        if (seg.n == 0 || span_eq_str(seg, ".")) continue;
        if (span_eq_str(seg, "..")) { /* drop the last segment, if any */
            while (tmp->len && tmp->p[tmp->len - 1] != '/') tmp->len--;
            if (tmp->len) tmp->len--;
            if (tmp->p) tmp->p[tmp->len] = '\0';
            continue;
        }
        if (!buf_addc(tmp, '/') || !buf_addspan(tmp, seg)) return false;
    }
    if (tmp->len == 0 || path.p[path.n - 1] == '/')
        if (!buf_addc(tmp, '/')) return false;
    return enc_uri(out, buf_span(tmp), true);
}

typedef struct sigv4_param {
    size_t koff, kn, voff, vn; /* into the scratch buffer while it may still move */
    span_t key, value;
} sigv4_param_t;

static int sigv4_param_cmp(const void *a, const void *b)
{
    const sigv4_param_t *x = a, *y = b;
    int c = sigv4_cmp(x->key, y->key);
    return c ? c : sigv4_cmp(x->value, y->value);
}

/* Appends the canonical query string: each parameter decoded and re-encoded, sorted by
 * key then value. A presigned request drops the X-Amz-Signature parameter sigv4_parse read
 * (the first with that raw key; any other must be signed like the rest), and the first
 * X-Amz-Security-Token too when omit_token. False when a cap would be passed. */
static bool sigv4_canonical_query(span_t query, bool presigned, bool omit_token, buf_t *out)
{
    size_t count = 0, pos = 0;
    span_t item, key;
    while (sigv4_list_next(query, &pos, '&', false, &item)) count++;
    if (count > SIGV4_MAX_PARAMS) return false;
    sigv4_param_t *params = xmalloc(count * sizeof *params + 1);
    buf_t enc, dec;
    buf_init(&enc, SIGV4_MAX_CANONICAL);
    buf_init(&dec, SIGV4_MAX_CANONICAL);
    bool ok = true, skip_sig = presigned, skip_token = presigned && omit_token;
    size_t n = 0;
    pos = 0;
    while (ok && sigv4_list_next(query, &pos, '&', false, &item)) {
        if (item.n == 0) continue;
        span_t val = span_split(item, '=', &key);
        if (skip_sig && span_eq_str(key, "X-Amz-Signature")) {
            skip_sig = false;
            continue;
        }
        if (skip_token && span_eq_str(key, "X-Amz-Security-Token")) {
            skip_token = false;
            continue;
        }
        sigv4_param_t *p = &params[n];
        p->koff = enc.len;
        ok = sigv4_decode(&dec, key) && enc_uri(&enc, buf_span(&dec), false);
        p->kn = enc.len - p->koff;
        ok = ok && sigv4_decode(&dec, val);
        p->voff = enc.len;
        ok = ok && enc_uri(&enc, buf_span(&dec), false);
        p->vn = enc.len - p->voff;
        n++;
    }
    for (size_t i = 0; ok && i < n; i++) { /* the scratch buffer no longer moves */
        params[i].key = span_make(enc.p + params[i].koff, params[i].kn);
        params[i].value = span_make(enc.p + params[i].voff, params[i].vn);
    }
    if (ok && n) qsort(params, n, sizeof *params, sigv4_param_cmp);
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 0 || buf_addc(out, '&')) && buf_addspan(out, params[i].key) &&
             buf_addc(out, '=') && buf_addspan(out, params[i].value);
    buf_free(&enc);
    buf_free(&dec);
    free(params);
    return ok;
}

/* Appends value trimmed, with each run of whitespace inside collapsed to one space. */
static bool sigv4_add_collapsed(buf_t *out, span_t value)
{
    value = sigv4_trim_ws(value);
    size_t i = 0;
    while (i < value.n) {
        size_t j = i;
        while (j < value.n && !sigv4_is_space(value.p[j])) j++;
        if (!buf_add(out, value.p + i, j - i)) return false;
        if (j == value.n) break;
        while (sigv4_is_space(value.p[j])) j++; /* ends before value.n: value is trimmed */
        if (!buf_addc(out, ' ')) return false;
        i = j;
    }
    return true;
}

/* Appends "name:value\n" for each name of the signed-header list: name lower-cased, the
 * values of every header of that name joined with ',' in order of appearance. */
static bool sigv4_canonical_headers(const sigv4_request_t *req, span_t signed_list, buf_t *out)
{
    size_t pos = 0;
    span_t name;
    while (sigv4_list_next(signed_list, &pos, ';', false, &name)) {
        size_t at = out->len; /* appended whole, then lower-cased where it landed */
        if (!buf_addspan(out, name) || !buf_addc(out, ':')) return false;
        for (size_t i = at; i < out->len; i++)
            if (out->p[i] >= 'A' && out->p[i] <= 'Z') out->p[i] = (char)(out->p[i] - 'A' + 'a');
        bool first = true;
        for (size_t i = 0; i < req->n_headers; i++) {
            if (!span_eq_nocase(req->headers[i].name, name)) continue;
            if (!first && !buf_addc(out, ',')) return false;
            if (!sigv4_add_collapsed(out, req->headers[i].value)) return false;
            first = false;
        }
        if (!buf_addc(out, '\n')) return false;
    }
    return true;
}

static void sigv4_body_hash(const sigv4_request_t *req, char hex[65])
{
    unsigned char h[CRYPTO_SHA256_LEN];
    crypto_sha256(sigv4_ptr(req->body), req->body.n, h);
    enc_hex(h, sizeof h, hex);
}

/* The whole canonical request; see sigv4_canonical_request. */
static bool sigv4_build_canonical(const sigv4_request_t *req, const sigv4_auth_t *a,
                                  bool omit_token, buf_t *out)
{
    span_t path, query;
    sigv4_split_uri(req->raw_uri, &path, &query);
    buf_t tmp;
    buf_init(&tmp, SIGV4_MAX_CANONICAL);
    bool ok = buf_addspan(out, req->method) && buf_addc(out, '\n');
    ok = ok && sigv4_canonical_uri(path, req->normalize_path, &tmp, out) && buf_addc(out, '\n');
    ok = ok && sigv4_canonical_query(query, a->presigned, omit_token, out) && buf_addc(out, '\n');
    /* a presigned X-Amz-SignedHeaders arrives encoded ("host%3Bx-amz-date") */
    if (a->presigned) {
        ok = ok && sigv4_decode(&tmp, a->signed_headers);
    } else {
        buf_reset(&tmp);
        ok = ok && buf_addspan(&tmp, a->signed_headers);
    }
    ok = ok && sigv4_canonical_headers(req, buf_span(&tmp), out) && buf_addc(out, '\n');
    ok = ok && buf_addspan(out, buf_span(&tmp)) && buf_addc(out, '\n');
    const sigv4_header_t *h = sigv4_find_header(req, "x-amz-content-sha256");
    if (h) {
        ok = ok && buf_addspan(out, sigv4_trim_ws(h->value));
    } else {
        char hex[65];
        sigv4_body_hash(req, hex);
        ok = ok && buf_adds(out, hex);
    }
    buf_free(&tmp);
    return ok;
}

bool sigv4_canonical_request(const sigv4_request_t *req, const sigv4_auth_t *a, buf_t *out)
{
    return sigv4_build_canonical(req, a, false, out);
}

bool sigv4_canonical_request_omit_token(const sigv4_request_t *req, const sigv4_auth_t *a,
                                        buf_t *out)
{
    return sigv4_build_canonical(req, a, true, out);
}

/* ---- string to sign, key, signature --------------------------------------------------- */

/* The request time in basic format: amz_date itself when it already is, else request_ms
 * formatted (the Date-header case). */
static void sigv4_request_date(const sigv4_auth_t *a, char out[17])
{
    int64_t ms;
    if (a->amz_date.n == 16 && enc_parse_amzdate(a->amz_date, &ms)) {
        memcpy(out, a->amz_date.p, 16);
        out[16] = '\0';
    } else {
        enc_amzdate(a->request_ms, out);
    }
}

bool sigv4_string_to_sign(const sigv4_auth_t *a, span_t canonical_request, buf_t *out)
{
    char date[17], hex[65];
    unsigned char h[CRYPTO_SHA256_LEN];
    sigv4_request_date(a, date);
    crypto_sha256(sigv4_ptr(canonical_request), canonical_request.n, h);
    enc_hex(h, sizeof h, hex);
    return buf_adds(out, SIGV4_ALGORITHM "\n") && buf_adds(out, date) && buf_addc(out, '\n') &&
           buf_addspan(out, a->scope_date) && buf_addc(out, '/') && buf_addspan(out, a->region) &&
           buf_addc(out, '/') && buf_addspan(out, a->service) &&
           buf_adds(out, "/" SIGV4_TERMINATOR "\n") && buf_adds(out, hex);
}

void sigv4_signing_key(span_t secret, span_t date, span_t region, span_t service,
                       unsigned char out[32])
{
    buf_t k;
    buf_init(&k, secret.n + 4);
    bool ok = buf_adds(&k, "AWS4") && buf_addspan(&k, secret);
    assert(ok); /* sized above */
    (void)ok;
    unsigned char k1[CRYPTO_SHA256_LEN], k2[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(k.p, k.len, sigv4_ptr(date), date.n, k1);
    crypto_hmac_sha256(k1, sizeof k1, sigv4_ptr(region), region.n, k2);
    crypto_hmac_sha256(k2, sizeof k2, sigv4_ptr(service), service.n, k1);
    crypto_hmac_sha256(k1, sizeof k1, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), out);
    explicit_bzero(k.p, k.len);
    explicit_bzero(k1, sizeof k1);
    explicit_bzero(k2, sizeof k2);
    buf_free(&k);
}

/* Recomputes the signature (with or without the token parameter in the canonical query)
 * with the signing key and compares it with the claimed one in constant time. False on any
 * mismatch, including a canonical request too large to build. */
static bool sigv4_signature_matches(const sigv4_request_t *req, const sigv4_auth_t *a,
                                    const unsigned char key[32], bool omit_token)
{
    buf_t cr, sts;
    buf_init(&cr, SIGV4_MAX_CANONICAL);
    buf_init(&sts, SIGV4_MAX_CANONICAL);
    bool ok = sigv4_build_canonical(req, a, omit_token, &cr) &&
              sigv4_string_to_sign(a, buf_span(&cr), &sts);
    if (ok) {
        unsigned char mac[CRYPTO_SHA256_LEN];
        char hex[65];
        crypto_hmac_sha256(key, 32, sts.p, sts.len, mac);
        enc_hex(mac, sizeof mac, hex);
        ok = a->signature.n == 64 && crypto_equal(hex, a->signature.p, 64);
    }
    buf_free(&cr);
    buf_free(&sts);
    return ok;
}

/* ---- the signing-key memo -------------------------------------------------------------- */

#define SIGV4_KEYCACHE_SLOTS  64
#define SIGV4_KEYCACHE_SCOPE  128 /* access key id, date, region, service, each length-prefixed */
#define SIGV4_KEYCACHE_SECRET 128

typedef struct sigv4_keyslot {
    size_t scope_n; /* 0: empty */
    size_t secret_n;
    char scope[SIGV4_KEYCACHE_SCOPE];
    char secret[SIGV4_KEYCACHE_SECRET];
    unsigned char key[32];
} sigv4_keyslot_t;

struct sigv4_keycache {
    pthread_mutex_t mu; /* guards slot */
    sigv4_keyslot_t slot[SIGV4_KEYCACHE_SLOTS];
};

sigv4_keycache_t *sigv4_keycache_new(void)
{
    sigv4_keycache_t *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void sigv4_keycache_free(sigv4_keycache_t *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    explicit_bzero(c->slot, sizeof c->slot);
    free(c);
}

/* Writes the memo's lookup key for a into out (length-prefixed parts, so no two scopes
 * read alike); 0 when a part is too long to memoize. */
static size_t sigv4_keycache_scope(const sigv4_auth_t *a, char out[SIGV4_KEYCACHE_SCOPE])
{
    const span_t parts[4] = {a->access_key, a->scope_date, a->region, a->service};
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (parts[i].n > 255 || n + 1 + parts[i].n > SIGV4_KEYCACHE_SCOPE) return 0;
        out[n++] = (char)parts[i].n;
        if (parts[i].n) memcpy(out + n, parts[i].p, parts[i].n);
        n += parts[i].n;
    }
    return n;
}

/* kSigning for a's scope and secret: from cache when an entry matches all of it, else
 * derived (and memoized when it fits a slot). */
static void sigv4_keycache_get(sigv4_keycache_t *c, const sigv4_auth_t *a, span_t secret,
                               unsigned char out[32])
{
    char scope[SIGV4_KEYCACHE_SCOPE];
    size_t n = c && secret.n <= SIGV4_KEYCACHE_SECRET ? sigv4_keycache_scope(a, scope) : 0;
    if (!n) {
        sigv4_signing_key(secret, a->scope_date, a->region, a->service, out);
        return;
    }
    /* the slot from the public scope, never the secret */
    uint32_t h = span_fnv1a(SPAN_FNV_BASIS, span_make(scope, n));
    sigv4_keyslot_t *s = &c->slot[h % SIGV4_KEYCACHE_SLOTS];
    pthread_mutex_lock(&c->mu);
    bool hit = s->scope_n == n && memcmp(s->scope, scope, n) == 0 && s->secret_n == secret.n &&
               crypto_equal(s->secret, sigv4_ptr(secret), secret.n);
    if (hit) memcpy(out, s->key, 32);
    pthread_mutex_unlock(&c->mu);
    if (hit) return;
    sigv4_signing_key(secret, a->scope_date, a->region, a->service, out);
    pthread_mutex_lock(&c->mu);
    explicit_bzero(s, sizeof *s);
    memcpy(s->scope, scope, n);
    s->scope_n = n;
    if (secret.n) memcpy(s->secret, secret.p, secret.n);
    s->secret_n = secret.n;
    memcpy(s->key, out, 32);
    pthread_mutex_unlock(&c->mu);
}

/* Every x-amz-content-sha256 header must be the body's hash: the signature covers the
 * header, not the body, so a header that lies would leave the body unauthenticated.
 * UNSIGNED-PAYLOAD and the streaming forms are S3-only and refused here. */
static bool sigv4_payload_hash_ok(const sigv4_request_t *req)
{
    char hex[65];
    bool hashed = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (!span_eq_nocase(req->headers[i].name, SPAN_LIT("x-amz-content-sha256"))) continue;
        if (!hashed) sigv4_body_hash(req, hex), hashed = true;
        if (!span_eq_nocase(sigv4_trim_ws(req->headers[i].value), span_make(hex, 64))) return false;
    }
    return true;
}

err_t sigv4_verify(const sigv4_request_t *req, const sigv4_auth_t *a, span_t secret, errbuf_t *eb)
{
    return sigv4_verify_cached(req, a, secret, NULL, eb);
}

/* True when name is in the signature's signed-header list. */
static bool sigv4_is_signed(const sigv4_auth_t *a, span_t name)
{
    size_t pos = 0;
    span_t elem;
    while (sigv4_list_next(a->signed_headers, &pos, ';', a->presigned, &elem))
        if (span_eq_nocase(elem, name)) return true;
    return false;
}

/* Every x-amz-* header the request carries must be signed, or a captured request could be
 * replayed with, say, another X-Amz-Target. The one exception is X-Amz-Security-Token,
 * which AWS's own signers may add after signing (the suite's post-sts-header-after) and
 * which cannot be swapped: it must belong to the signing access key. ERR_OK, or
 * ERR_SIGNATURE_MISMATCH naming the unsigned headers. */
static err_t sigv4_check_amz_signed(const sigv4_request_t *req, const sigv4_auth_t *a, errbuf_t *eb)
{
    char names[512];
    size_t n = 0;
    names[0] = '\0';
    for (size_t i = 0; i < req->n_headers; i++) {
        span_t h = req->headers[i].name;
        if (h.n < 6 || !span_eq_nocase(span_make(h.p, 6), SPAN_LIT("x-amz-")) ||
            span_eq_nocase(h, SPAN_LIT("x-amz-security-token")) || sigv4_is_signed(a, h))
            continue;
        int w = snprintf(names + n, sizeof(names) - n, "%s%.*s", n ? ", " : "", SIGV4_ARG(h));
        if (w > 0) n = n + (size_t)w < sizeof(names) ? n + (size_t)w : sizeof(names) - 1;
    }
    if (!n) return ERR_OK;
    for (size_t i = 0; i < n; i++) names[i] = (char)tolower((unsigned char)names[i]);
    return err_fail(eb, ERR_SIGNATURE_MISMATCH,
                    "There were headers present in the request which were not signed: %s", names);
}

err_t sigv4_verify_cached(const sigv4_request_t *req, const sigv4_auth_t *a, span_t secret,
                          sigv4_keycache_t *cache, errbuf_t *eb)
{
    char date[17];
    sigv4_request_date(a, date);
    if (!span_eq(a->scope_date, span_make(date, 8)))
        return err_fail(eb, ERR_SIGNATURE_MISMATCH,
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                        "of date from HTTP: '%.*s' != '%.8s', from '%s'.",
                        SIGV4_ARG(a->scope_date), date, date);
    err_t rc = sigv4_check_amz_signed(req, a, eb);
    if (rc) return rc;
    if (!sigv4_payload_hash_ok(req))
        return err_fail(eb, ERR_SIGNATURE_MISMATCH, SIGV4_MISMATCH_MSG);
    unsigned char key[32];
    sigv4_keycache_get(cache, a, secret, key);
    bool ok = sigv4_signature_matches(req, a, key, false);
    /* Some signers (aws-c-auth's omit_session_token) add the token after signing. The
     * token proves nothing without a valid signature, and the header form allows an
     * unsigned token header too, so accept the signature without it. */
    span_t path, query, token;
    sigv4_split_uri(req->raw_uri, &path, &query);
    if (!ok && a->presigned && sigv4_query_param(query, "X-Amz-Security-Token", &token))
        ok = sigv4_signature_matches(req, a, key, true);
    explicit_bzero(key, sizeof key);
    return ok ? ERR_OK : err_fail(eb, ERR_SIGNATURE_MISMATCH, SIGV4_MISMATCH_MSG);
}

/* ---- parsing --------------------------------------------------------------------------- */

/* Parses an RFC 7231 IMF-fixdate ("Sun, 30 Aug 2015 12:36:00 GMT"), the Date-header form,
 * by rewriting it into the basic format and reusing that parser. */
static bool sigv4_parse_http_date(span_t s, int64_t *ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (s.n != 29 || s.p[3] != ',' || s.p[4] != ' ' || s.p[7] != ' ' || s.p[11] != ' ' ||
        s.p[16] != ' ' || s.p[19] != ':' || s.p[22] != ':' || memcmp(s.p + 25, " GMT", 4) != 0)
        return false;
    int mon = -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(s.p + 8, months + 3 * i, 3) == 0) mon = i + 1;
    if (mon < 0) return false;
    char b[16]; /* YYYYMMDDTHHMMSSZ */
    memcpy(b, s.p + 12, 4);
    b[4] = (char)('0' + mon / 10);
    b[5] = (char)('0' + mon % 10);
    memcpy(b + 6, s.p + 5, 2);
    b[8] = 'T';
    memcpy(b + 9, s.p + 17, 2);
    memcpy(b + 11, s.p + 20, 2);
    memcpy(b + 13, s.p + 23, 2);
    b[15] = 'Z';
    return enc_parse_amzdate(span_make(b, sizeof b), ms);
}

/* The checks both forms share: the credential scope, "host" among the signed headers, the
 * request time. Fills out on success; ERR_INCOMPLETE_SIGNATURE with AWS's text otherwise. */
static err_t sigv4_finish(const sigv4_request_t *req, span_t cred, span_t signed_headers,
                          span_t date, bool http_date, sigv4_auth_t *out, errbuf_t *eb)
{
    span_t parts[6];
    size_t n = 0, pos = 0;
    while (n < 6 && sigv4_list_next(cred, &pos, '/', out->presigned, &parts[n])) n++;
    if (n != 5)
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                        "Credential must have exactly 5 slash-delimited elements, e.g. "
                        "keyid/date/region/service/term, got '%.*s'",
                        SIGV4_ARG(cred));
    if (!span_eq_str(parts[4], SIGV4_TERMINATOR))
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                        "Credential should be scoped with a valid terminator: '" SIGV4_TERMINATOR
                        "', not '%.*s'.",
                        SIGV4_ARG(parts[4]));
    bool host = false;
    span_t name;
    pos = 0;
    while (!host && sigv4_list_next(signed_headers, &pos, ';', out->presigned, &name))
        host = span_eq_nocase(name, SPAN_LIT("host"));
    if (!host)
        return err_fail(
            eb, ERR_INCOMPLETE_SIGNATURE,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    date = sigv4_trim_ws(date);
    bool ok = http_date ? sigv4_parse_http_date(date, &out->request_ms)
                        : enc_parse_amzdate(date, &out->request_ms);
    if (!ok)
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                        "Date must be in ISO-8601 'basic format'. Got '%.*s'. See "
                        "http://en.wikipedia.org/wiki/ISO_8601",
                        SIGV4_ARG(date));
    out->access_key = parts[0];
    out->scope_date = parts[1];
    out->region = parts[2];
    out->service = parts[3];
    out->signed_headers = signed_headers;
    out->amz_date = date;
    if (!out->security_token.p) {
        const sigv4_header_t *t = sigv4_find_header(req, "x-amz-security-token");
        out->security_token = t ? sigv4_trim_ws(t->value) : SPAN_LIT("");
    }
    return ERR_OK;
}

/* "AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..": the parameters in any
 * order, separated by commas and/or whitespace, as AWS tolerates. */
static err_t sigv4_parse_header(const sigv4_request_t *req, span_t value, sigv4_auth_t *out,
                                errbuf_t *eb)
{
    span_t v = sigv4_trim_ws(value);
    size_t i = 0;
    while (i < v.n && !sigv4_is_space(v.p[i])) i++;
    span_t alg = sigv4_sub(v, 0, i), cred = {0}, sh = {0}, sig = {0};
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ',' || sigv4_is_space(v.p[i]))) i++;
        size_t start = i;
        while (i < v.n && v.p[i] != ',' && !sigv4_is_space(v.p[i])) i++;
        if (i == start) break;
        span_t tok = sigv4_sub(v, start, i - start), key;
        span_t val = span_split(tok, '=', &key);
        if (!val.p)
            return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                            "'%.*s' not a valid key=value pair (missing equal-sign) in "
                            "Authorization header: '%.*s'.",
                            SIGV4_ARG(tok), SIGV4_ARG(value));
        span_t *slot = span_eq_str(key, "Credential")      ? &cred
                       : span_eq_str(key, "SignedHeaders") ? &sh
                       : span_eq_str(key, "Signature")     ? &sig
                                                           : NULL;
        if (slot && !slot->p) *slot = val;
    }
    const sigv4_header_t *dh = sigv4_find_header(req, "x-amz-date");
    bool http_date = !dh;
    if (!dh) dh = sigv4_find_header(req, "date");
    if (!cred.p || !sig.p || !sh.p || !dh)
        return err_fail(
            eb, ERR_INCOMPLETE_SIGNATURE, "%s%s%s%sAuthorization=%.*s",
            cred.p ? "" : "Authorization header requires 'Credential' parameter. ",
            sig.p ? "" : "Authorization header requires 'Signature' parameter. ",
            sh.p ? "" : "Authorization header requires 'SignedHeaders' parameter. ",
            dh ? ""
               : "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                 "header. ",
            SIGV4_ARG(value));
    if (!span_eq_str(alg, SIGV4_ALGORITHM))
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE, "Unsupported AWS 'algorithm': '%.*s'.",
                        SIGV4_ARG(alg));
    out->signature = sig;
    return sigv4_finish(req, cred, sh, dh->value, http_date, out, eb);
}

/* The presigned form: X-Amz-* query parameters, values still percent-encoded. */
static err_t sigv4_parse_query(const sigv4_request_t *req, span_t query, sigv4_auth_t *out,
                               errbuf_t *eb)
{
    span_t alg, cred, date, expires, sh, sig;
    if (!sigv4_query_param(query, "X-Amz-Algorithm", &alg) ||
        !sigv4_query_param(query, "X-Amz-Credential", &cred) ||
        !sigv4_query_param(query, "X-Amz-Signature", &sig) ||
        !sigv4_query_param(query, "X-Amz-Date", &date) ||
        !sigv4_query_param(query, "X-Amz-SignedHeaders", &sh) ||
        !sigv4_query_param(query, "X-Amz-Expires", &expires))
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                        "AWS query-string parameters must include 'X-Amz-Algorithm', "
                        "'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', "
                        "'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the "
                        "query-string parameters.");
    if (!span_eq_str(alg, SIGV4_ALGORITHM))
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                        "X-Amz-Algorithm only supports \"" SIGV4_ALGORITHM "\"");
    if (expires.n && expires.p[0] == '-')
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE, "X-Amz-Expires must be non-negative");
    int64_t secs = 0;
    for (size_t i = 0; i < expires.n && secs <= SIGV4_MAX_EXPIRES_S; i++) {
        if (expires.p[i] < '0' || expires.p[i] > '9')
            return err_fail(eb, ERR_INCOMPLETE_SIGNATURE, "X-Amz-Expires should be a number");
        secs = secs * 10 + (expires.p[i] - '0');
    }
    if (expires.n == 0)
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE, "X-Amz-Expires should be a number");
    if (secs > SIGV4_MAX_EXPIRES_S)
        return err_fail(eb, ERR_INCOMPLETE_SIGNATURE,
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    out->presigned = true;
    out->expires_s = secs;
    out->signature = sig;
    span_t token;
    if (sigv4_query_param(query, "X-Amz-Security-Token", &token)) out->security_token = token;
    return sigv4_finish(req, cred, sh, date, false, out, eb);
}

err_t sigv4_parse(const sigv4_request_t *req, sigv4_auth_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof *out);
    const sigv4_header_t *h = sigv4_find_header(req, "authorization");
    if (h && sigv4_trim_ws(h->value).n) return sigv4_parse_header(req, h->value, out, eb);
    span_t path, query, v;
    sigv4_split_uri(req->raw_uri, &path, &query);
    if (sigv4_query_param(query, "X-Amz-Signature", &v) ||
        sigv4_query_param(query, "X-Amz-Credential", &v))
        return sigv4_parse_query(req, query, out, eb);
    return err_fail(eb, ERR_MISSING_AUTH, "Missing Authentication Token");
}

err_t sigv4_check_time(const sigv4_auth_t *a, int64_t now_ms, errbuf_t *eb)
{
    char req[17], now[17], edge[17];
    /* whole seconds, as X-Amz-Date counts them: the messages then quote the compared times */
    now_ms -= ((now_ms % 1000) + 1000) % 1000;
    if (a->request_ms - now_ms > SIGV4_MAX_SKEW_MS) {
        enc_amzdate(a->request_ms, req);
        enc_amzdate(now_ms, now);
        enc_amzdate(now_ms + SIGV4_MAX_SKEW_MS, edge);
        return err_fail(eb, ERR_SIGNATURE_EXPIRED,
                        "Signature not yet current: %s is still later than %s (%s + 15 min.)", req,
                        edge, now);
    }
    if (a->presigned) /* valid for X-Amz-Expires, however long ago it was signed */
        return now_ms - a->request_ms > a->expires_s * 1000
                   ? err_fail(eb, ERR_SIGNATURE_EXPIRED, "Request has expired")
                   : ERR_OK;
    if (now_ms - a->request_ms > SIGV4_MAX_SKEW_MS) {
        enc_amzdate(a->request_ms, req);
        enc_amzdate(now_ms, now);
        enc_amzdate(now_ms - SIGV4_MAX_SKEW_MS, edge);
        return err_fail(eb, ERR_SIGNATURE_EXPIRED,
                        "Signature expired: %s is now earlier than %s (%s - 15 min.)", req, edge,
                        now);
    }
    return ERR_OK;
}
