/* test_sigv4.c - SigV4 verification against the aws-c-auth known-answer vectors in
 * ../shared/testdata/sigv4-v4 (every case, header and presigned form, accepted as signed and
 * refused after any signed byte changes), plus the time window and the parse errors with
 * AWS's texts. */
#include "auth/sigv4.h"

#include "check.h"
#include "core/crypto.h"
#include "core/enc.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CATALOGD_SHARED_DIR
#define CATALOGD_SHARED_DIR "../shared"
#endif

#define MAX_HEADERS 64
#define VECTOR_TS   "20150830T123600Z"
#define SECRET      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define VANILLA_SIG "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
#define CRED        "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

/* A raw HTTP request text split into a sigv4_request_t that borrows from it. */
typedef struct raw_req {
    sigv4_header_t headers[MAX_HEADERS];
    sigv4_request_t req;
} raw_req_t;

/* Reads a whole file, NUL-terminated; NULL when it cannot be read. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *p = xmalloc(cap + 1);
    while ((got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) p = xrealloc(p, (cap *= 2) + 1);
    }
    fclose(f);
    p[n] = '\0';
    if (len) *len = n;
    return p;
}

/* Reads an expected-output file, without a trailing newline. */
static char *read_expected(const char *dir, const char *file)
{
    char path[1500];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t n = 0;
    char *p = read_file(path, &n);
    if (p && n && p[n - 1] == '\n') p[n - 1] = '\0';
    return p;
}

/* Splits text into request line, headers (a line starting with whitespace continues the
 * previous header's value, newline included, as obs-fold arrives) and body. */
static bool parse_raw(const char *text, size_t len, bool normalize, raw_req_t *r)
{
    memset(r, 0, sizeof *r);
    const char *end = text + len, *eol = memchr(text, '\n', len);
    if (!eol) return false;
    const char *sp1 = memchr(text, ' ', (size_t)(eol - text)), *sp2 = eol;
    while (sp2 > text && *--sp2 != ' ') {
    }
    if (!sp1 || sp2 <= sp1) return false;
    r->req.method = span_make(text, (size_t)(sp1 - text));
    r->req.raw_uri = span_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    r->req.headers = r->headers;
    r->req.normalize_path = normalize;
    const char *p = eol + 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r') le--;
        if (le == p) {
            p = nl ? nl + 1 : end;
            break;
        }
        if ((*p == ' ' || *p == '\t') && r->req.n_headers) {
            sigv4_header_t *h = &r->headers[r->req.n_headers - 1];
            h->value.n = (size_t)(le - h->value.p);
        } else {
            const char *colon = memchr(p, ':', (size_t)(le - p));
            if (!colon || r->req.n_headers == MAX_HEADERS) return false;
            r->headers[r->req.n_headers++] = (sigv4_header_t){
                span_make(p, (size_t)(colon - p)), span_make(colon + 1, (size_t)(le - colon - 1))};
        }
        p = nl ? nl + 1 : end;
    }
    r->req.body = span_make(p, (size_t)(end - p));
    return true;
}

/* Parses then verifies; the first error, or ERR_OK. */
static err_t parse_verify(const sigv4_request_t *req, const char *secret, errbuf_t *eb)
{
    sigv4_auth_t a;
    err_t e = sigv4_parse(req, &a, eb);
    return e == ERR_OK ? sigv4_verify(req, &a, span_of(secret), eb) : e;
}

static char flip(char c)
{
    if (c >= '0' && c <= '9') return (char)('0' + (c - '0' + 1) % 10);
    if (c >= 'a' && c <= 'z') return (char)(c - 'a' + 'A');
    if (c >= 'A' && c <= 'Z') return (char)(c - 'A' + 'a');
    return c == 'X' ? 'Y' : 'X';
}

/* The byte of s to change: its last digit (keeps dates valid), else its last byte. */
static size_t pick(span_t s)
{
    for (size_t i = s.n; i-- > 0;)
        if (s.p[i] >= '0' && s.p[i] <= '9') return i;
    return s.n - 1;
}

/* Changes the byte at off of a copy of text to c, then parses and verifies the copy. */
static err_t tampered(const char *text, size_t len, size_t off, char c, bool normalize,
                      const char *secret)
{
    char *t = xmalloc(len + 1);
    memcpy(t, text, len + 1);
    t[off] = c;
    raw_req_t r;
    errbuf_t eb;
    err_t e = parse_raw(t, len, normalize, &r) ? parse_verify(&r.req, secret, &eb) : ERR_INTERNAL;
    free(t);
    return e;
}

typedef struct vcase {
    const char *dir, *name, *secret, *akid, *region, *service, *token;
    bool normalize, omit_token;
    int64_t ts_ms;
} vcase_t;

/* Is name among the signed headers (decoded list)? */
static bool in_list(span_t list, span_t name)
{
    span_t rest = list, elem;
    while (rest.p) {
        rest = span_split(rest, ';', &elem);
        if (span_eq_nocase(elem, name)) return true;
    }
    return false;
}

/* Every check for one signed request file: "header" or "query" form. */
static void check_form(const vcase_t *vc, const char *form)
{
    char file[64], path[1500];
    bool query = strcmp(form, "query") == 0;
    snprintf(path, sizeof path, "%s/%s-signed-request.txt", vc->dir, form);
    size_t len = 0;
    char *text = read_file(path, &len);
    snprintf(file, sizeof file, "%s-canonical-request.txt", form);
    char *want_cr = read_expected(vc->dir, file);
    snprintf(file, sizeof file, "%s-string-to-sign.txt", form);
    char *want_sts = read_expected(vc->dir, file);
    snprintf(file, sizeof file, "%s-signature.txt", form);
    char *want_sig = read_expected(vc->dir, file);
    CHECK(text && want_cr && want_sts && want_sig);
    raw_req_t r;
    sigv4_auth_t a;
    errbuf_t eb = {{0}};
    buf_t cr, sts, tok;
    buf_init(&cr, 1 << 16);
    buf_init(&sts, 1 << 16);
    buf_init(&tok, 1 << 16);
    if (!text || !want_cr || !want_sts || !want_sig || !parse_raw(text, len, vc->normalize, &r)) {
        CHECK(!"vector files readable and parsable");
        goto done;
    }
    err_t e = sigv4_parse(&r.req, &a, &eb);
    CHECK_INT(e, ERR_OK);
    if (e != ERR_OK) {
        fprintf(stderr, "  %s/%s: %s\n", vc->name, form, eb.msg);
        goto done;
    }
    CHECK(a.presigned == query);
    CHECK(span_eq_str(a.access_key, vc->akid));
    CHECK(span_eq_str(a.scope_date, "20150830"));
    CHECK(span_eq_str(a.region, vc->region));
    CHECK(span_eq_str(a.service, vc->service));
    CHECK(span_eq_str(a.amz_date, VECTOR_TS));
    CHECK_INT(a.request_ms, vc->ts_ms);
    CHECK_INT(a.expires_s, query ? 3600 : 0);
    if (query && vc->omit_token)
        CHECK(sigv4_canonical_request_omit_token(&r.req, &a, &cr));
    else
        CHECK(sigv4_canonical_request(&r.req, &a, &cr));
    CHECK_STR(buf_str(&cr), want_cr);
    CHECK(sigv4_string_to_sign(&a, buf_span(&cr), &sts));
    CHECK_STR(buf_str(&sts), want_sts);
    unsigned char key[32], mac[32];
    char hex[65];
    sigv4_signing_key(span_of(vc->secret), a.scope_date, a.region, a.service, key);
    crypto_hmac_sha256(key, sizeof key, sts.p, sts.len, mac);
    enc_hex(mac, sizeof mac, hex);
    CHECK_STR(hex, want_sig);
    CHECK(span_eq_str(a.signature, want_sig));
    CHECK_INT(sigv4_verify(&r.req, &a, span_of(vc->secret), &eb), ERR_OK);
    CHECK_INT(sigv4_verify(&r.req, &a, SPAN_LIT("wrong-secret"), &eb), ERR_SIGNATURE_MISMATCH);
    CHECK_INT(sigv4_check_time(&a, vc->ts_ms, &eb), ERR_OK);
    if (vc->token) { /* the query form carries it percent-encoded */
        CHECK(enc_uri_decode(&tok, a.security_token, false));
        CHECK_STR(buf_str(&tok), vc->token);
    } else {
        CHECK_INT(a.security_token.n, 0);
    }

    /* Changing any signed byte must be refused. */
    bool norm = vc->normalize;
    size_t off = (size_t)(a.signature.p - text) + a.signature.n - 1;
    CHECK_INT(tampered(text, len, off, text[off] == '0' ? '1' : '0', norm, vc->secret),
              ERR_SIGNATURE_MISMATCH);
    if (r.req.body.n) {
        off = (size_t)(r.req.body.p - text) + r.req.body.n - 1;
        CHECK_INT(tampered(text, len, off, flip(text[off]), norm, vc->secret),
                  ERR_SIGNATURE_MISMATCH);
    }
    span_t path_part, rest = span_split(r.req.raw_uri, '?', &path_part);
    off = (size_t)(path_part.p - text) + path_part.n - 1;
    CHECK_INT(tampered(text, len, off, text[off] == 'X' ? 'Y' : 'X', norm, vc->secret),
              ERR_SIGNATURE_MISMATCH);
    buf_reset(&tok);
    CHECK(enc_uri_decode(&tok, a.signed_headers, false));
    for (size_t i = 0; i < r.req.n_headers; i++) {
        span_t v = r.headers[i].value;
        if (!in_list(buf_span(&tok), r.headers[i].name) || v.n == 0) continue;
        off = (size_t)(v.p - text) + pick(v);
        if (tampered(text, len, off, flip(text[off]), norm, vc->secret) != ERR_SIGNATURE_MISMATCH) {
            CHECK(!"tampered signed header refused");
            fprintf(stderr, "  %s/%s header %.*s\n", vc->name, form, (int)r.headers[i].name.n,
                    r.headers[i].name.p);
        }
    }
    while (rest.p) {
        span_t item, k;
        rest = span_split(rest, '&', &item);
        span_t v = span_split(item, '=', &k);
        if (!v.p || v.n == 0 || span_eq_str(k, "X-Amz-Signature") ||
            span_eq_str(k, "X-Amz-Algorithm") || span_eq_str(k, "X-Amz-SignedHeaders") ||
            span_eq_str(k, "X-Amz-Credential") ||
            (vc->omit_token && span_eq_str(k, "X-Amz-Security-Token")))
            continue;
        off = (size_t)(v.p - text) + pick(v);
        if (tampered(text, len, off, flip(text[off]), norm, vc->secret) != ERR_SIGNATURE_MISMATCH) {
            CHECK(!"tampered query value refused");
            fprintf(stderr, "  %s/%s param %.*s\n", vc->name, form, (int)k.n, k.p);
        }
    }
done:
    buf_free(&cr);
    buf_free(&sts);
    buf_free(&tok);
    free(text);
    free(want_cr);
    free(want_sts);
    free(want_sig);
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Runs one case folder; true when every check in it passed. */
static bool run_case(const char *root, const char *name)
{
    int before = check_failures;
    char dir[1400], path[1500];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(path, sizeof path, "%s/context.json", dir);
    char *json = read_file(path, NULL);
    cJSON *ctx = json ? cJSON_Parse(json) : NULL;
    const cJSON *creds = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
    vcase_t vc = {.dir = dir, .name = name};
    vc.secret = json_str(creds, "secret_access_key");
    vc.akid = json_str(creds, "access_key_id");
    vc.token = json_str(creds, "token");
    vc.region = json_str(ctx, "region");
    vc.service = json_str(ctx, "service");
    vc.normalize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "normalize"));
    vc.omit_token = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "omit_session_token"));
    const char *ts = json_str(ctx, "timestamp");
    CHECK(vc.secret && vc.akid && vc.region && vc.service && ts);
    if (vc.secret && vc.akid && vc.region && vc.service && ts &&
        enc_parse_iso8601(span_of(ts), &vc.ts_ms)) {
        check_form(&vc, "header");
        check_form(&vc, "query");
    }
    cJSON_Delete(ctx);
    free(json);
    if (check_failures != before) fprintf(stderr, "  case %s FAILED\n", name);
    return check_failures == before;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_vectors(void)
{
    const char *base = getenv("CATALOGD_SHARED_DIR");
    char root[1024], probe[1400];
    snprintf(root, sizeof root, "%s/testdata/sigv4-v4", base ? base : CATALOGD_SHARED_DIR);
    DIR *d = opendir(root);
    CHECK(d != NULL);
    if (!d) return;
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        snprintf(probe, sizeof probe, "%s/%s/context.json", root, de->d_name);
        FILE *f = de->d_name[0] != '.' ? fopen(probe, "r") : NULL;
        if (f) fclose(f), names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    size_t passed = 0;
    for (size_t i = 0; i < n; i++) {
        passed += run_case(root, names[i]);
        free(names[i]);
    }
    CHECK(n > 0);
    CHECK_INT(passed, n);
    fprintf(stderr, "sigv4 vectors: %zu/%zu cases passed\n", passed, n);
}

/* ---- hand-built requests --------------------------------------------------------------- */

#define HDR(n, v) ((sigv4_header_t){span_of(n), span_of(v)})

static sigv4_request_t mkreq(const char *method, const char *uri, const sigv4_header_t *h, size_t n,
                             const char *body)
{
    return (sigv4_request_t){span_of(method), span_of(uri), h, n, span_of(body), true};
}

/* Parses a GET / with Host, the given X-Amz-Date (NULL: none) and Authorization. */
static err_t parse_auth(const char *date, const char *auth, errbuf_t *eb)
{
    sigv4_header_t h[3] = {HDR("Host", "example.amazonaws.com")};
    size_t n = 1;
    if (date) h[n++] = HDR("X-Amz-Date", date);
    h[n++] = HDR("Authorization", auth);
    sigv4_request_t req = mkreq("GET", "/", h, n, "");
    sigv4_auth_t a;
    return sigv4_parse(&req, &a, eb);
}

static void expect_parse(const char *date, const char *auth, err_t want, const char *msg)
{
    errbuf_t eb = {{0}};
    CHECK_INT(parse_auth(date, auth, &eb), want);
    CHECK_STR(eb.msg, msg);
}

static void test_parse_errors(void)
{
    errbuf_t eb = {{0}};
    sigv4_header_t host = HDR("Host", "example.amazonaws.com");
    sigv4_request_t req = mkreq("GET", "/?Action=ListUsers&Version=2010-05-08", &host, 1, "");
    sigv4_auth_t a;
    CHECK_INT(sigv4_parse(&req, &a, &eb), ERR_MISSING_AUTH);
    CHECK_STR(eb.msg, "Missing Authentication Token");

    const char *sig = "Signature=" VANILLA_SIG, *sh = "SignedHeaders=host;x-amz-date";
    char auth[512], msg[1024];
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 %s, %s", sh, sig);
    snprintf(msg, sizeof msg,
             "Authorization header requires 'Credential' parameter. Authorization=%s", auth);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE, msg);
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=" CRED ", %s", sh);
    snprintf(msg, sizeof msg,
             "Authorization header requires 'Signature' parameter. Authorization=%s", auth);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE, msg);
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=" CRED ", %s", sig);
    snprintf(msg, sizeof msg,
             "Authorization header requires 'SignedHeaders' parameter. Authorization=%s", auth);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE, msg);
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=" CRED ", %s, %s", sh, sig);
    snprintf(msg, sizeof msg,
             "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
             "header. Authorization=%s",
             auth);
    expect_parse(NULL, auth, ERR_INCOMPLETE_SIGNATURE, msg);
    expect_parse(NULL, "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", ERR_INCOMPLETE_SIGNATURE,
                 "Authorization header requires 'Credential' parameter. Authorization header "
                 "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                 "parameter. Authorization header requires existence of either a 'X-Amz-Date' or "
                 "a 'Date' header. Authorization=eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
    expect_parse(VECTOR_TS, "Bearer abc", ERR_INCOMPLETE_SIGNATURE,
                 "'abc' not a valid key=value pair (missing equal-sign) in Authorization header: "
                 "'Bearer abc'.");
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential= " CRED ", %s, %s", sh, sig);
    snprintf(msg, sizeof msg,
             "'" CRED "' not a valid key=value pair (missing equal-sign) in Authorization "
             "header: '%s'.",
             auth);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE, msg);
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA1 Credential=" CRED ", %s, %s", sh, sig);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE,
                 "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'.");
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam, %s, %s",
             sh, sig);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE,
                 "Credential must have exactly 5 slash-delimited elements, e.g. "
                 "keyid/date/region/service/term, got 'AKID/20150830/us-east-1/iam'");
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_reqest, %s, %s", sh,
             sig);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE,
                 "Credential should be scoped with a valid terminator: 'aws4_request', not "
                 "'aws4_reqest'.");
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=x-amz-date, %s", sig);
    expect_parse(VECTOR_TS, auth, ERR_INCOMPLETE_SIGNATURE,
                 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=" CRED ", %s, %s", sh, sig);
    expect_parse("2015-08-30T12:36:00Z", auth, ERR_INCOMPLETE_SIGNATURE,
                 "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See "
                 "http://en.wikipedia.org/wiki/ISO_8601");
    /* any spacing and order of the three parts */
    expect_parse(VECTOR_TS,
                 "AWS4-HMAC-SHA256 Signature=" VANILLA_SIG ",Credential=" CRED
                 ",SignedHeaders=host;x-amz-date",
                 ERR_OK, "");

    static const struct {
        const char *uri, *msg;
    } q[] = {
        {"/?X-Amz-Credential=" CRED, NULL},
        {"/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" CRED "&X-Amz-Date=" VECTOR_TS
         "&X-Amz-SignedHeaders=host&X-Amz-Signature=" VANILLA_SIG,
         NULL},
        {"/?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=" CRED "&X-Amz-Date=" VECTOR_TS
         "&X-Amz-SignedHeaders=host&X-Amz-Expires=60&X-Amz-Signature=" VANILLA_SIG,
         "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""},
        {"/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" CRED "&X-Amz-Date=" VECTOR_TS
         "&X-Amz-SignedHeaders=host&X-Amz-Expires=abc&X-Amz-Signature=" VANILLA_SIG,
         "X-Amz-Expires should be a number"},
        {"/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" CRED "&X-Amz-Date=" VECTOR_TS
         "&X-Amz-SignedHeaders=host&X-Amz-Expires=-1&X-Amz-Signature=" VANILLA_SIG,
         "X-Amz-Expires must be non-negative"},
        {"/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" CRED "&X-Amz-Date=" VECTOR_TS
         "&X-Amz-SignedHeaders=host&X-Amz-Expires=604801&X-Amz-Signature=" VANILLA_SIG,
         "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
        {"/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" CRED "&X-Amz-Date=" VECTOR_TS
         "&X-Amz-SignedHeaders=x-amz-date&X-Amz-Expires=60&X-Amz-Signature=" VANILLA_SIG,
         "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        req = mkreq("GET", q[i].uri, &host, 1, "");
        CHECK_INT(sigv4_parse(&req, &a, &eb), ERR_INCOMPLETE_SIGNATURE);
        CHECK_STR(eb.msg, q[i].msg ? q[i].msg
                                   : "AWS query-string parameters must include "
                                     "'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', "
                                     "'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. "
                                     "Re-examine the query-string parameters.");
    }
}

/* Verify-level refusals: scope date, payload hash claims, oversized requests. */
static void test_verify_refusals(void)
{
    errbuf_t eb = {{0}};
    sigv4_auth_t a;
    sigv4_header_t h[4] = {HDR("Host", "example.amazonaws.com"), HDR("X-Amz-Date", VECTOR_TS),
                           HDR("Authorization",
                               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/"
                               "service/aws4_request, SignedHeaders=host;x-amz-date, "
                               "Signature=" VANILLA_SIG)};
    sigv4_request_t req = mkreq("GET", "/", h, 3, "");
    CHECK_INT(sigv4_parse(&req, &a, &eb), ERR_OK);
    CHECK_INT(sigv4_verify(&req, &a, SPAN_LIT(SECRET), &eb), ERR_SIGNATURE_MISMATCH);
    CHECK_STR(eb.msg, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                      "date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.");

    h[2] = HDR("Authorization", "AWS4-HMAC-SHA256 Credential=" CRED
                                ", SignedHeaders=host;x-amz-date, Signature=" VANILLA_SIG);
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_OK);
    h[3] = HDR("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"); /* unsigned, and not the body's */
    req.n_headers = 4;
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    CHECK_STR(eb.msg, "There were headers present in the request which were not signed: "
                      "x-amz-content-sha256");
    /* every x-amz-* header must be signed (a swapped X-Amz-Target would replay)... */
    h[3] = HDR("X-Amz-Target", "AmazonSSM.DeleteDocument");
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    CHECK_STR(eb.msg, "There were headers present in the request which were not signed: "
                      "x-amz-target");
    /* ...but for the session token, which signers may add after signing */
    h[3] = HDR("X-Amz-Security-Token", "token");
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_OK);
    h[3] = HDR("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"); /* not x-amz- */
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_OK);
    req.n_headers = 3;

    /* Presigned: only the X-Amz-Signature that carried the signature is left unsigned. */
    char uri2[1024];
    const char *pre = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%"
                      "2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-"
                      "SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature="
                      "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";
    sigv4_request_t pr = mkreq("GET", pre, h, 1, "");
    CHECK_INT(parse_verify(&pr, SECRET, &eb), ERR_OK);
    snprintf(uri2, sizeof uri2, "%s&X-Amz-Signature=0", pre);
    pr.raw_uri = span_of(uri2);
    CHECK_INT(parse_verify(&pr, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    snprintf(uri2, sizeof uri2, "%s&X-Amz-Signatur%%65=0", pre);
    pr.raw_uri = span_of(uri2);
    CHECK_INT(parse_verify(&pr, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    snprintf(uri2, sizeof uri2, "%s&Action=DeleteUser", pre);
    pr.raw_uri = span_of(uri2);
    CHECK_INT(parse_verify(&pr, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    /* a token added after signing is accepted (aws-c-auth omit_session_token) and reported */
    snprintf(uri2, sizeof uri2, "%s&X-Amz-Security-Token=tok%%2Ben", pre);
    pr.raw_uri = span_of(uri2);
    CHECK_INT(parse_verify(&pr, SECRET, &eb), ERR_OK);
    CHECK_INT(sigv4_parse(&pr, &a, &eb), ERR_OK);
    CHECK(span_eq_str(a.security_token, "tok%2Ben"));

    /* Too big to canonicalize: refused as a mismatch, never an unbounded buffer. */
    size_t big = 70000;
    char *uri = xmalloc(big + 1);
    memset(uri, 'a', big);
    uri[0] = '/';
    uri[big] = '\0';
    req.raw_uri = span_of(uri);
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    req.normalize_path = false;
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    for (size_t i = 2; i + 1 < big; i += 2) uri[i - 1] = '&', uri[i] = 'k'; /* /?k&k&k... */
    uri[1] = '?';
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    free(uri);
}

/* The Date-header fallback: an IMF-fixdate becomes the basic-format time everywhere. */
static void test_date_header(void)
{
    errbuf_t eb = {{0}};
    char auth[512];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=date;host, Signature=%064d", 0);
    sigv4_header_t h[3] = {HDR("Host", "example.amazonaws.com"),
                           HDR("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
                           HDR("Authorization", auth)};
    sigv4_request_t req = mkreq("GET", "/", h, 3, "");
    sigv4_auth_t a;
    CHECK_INT(sigv4_parse(&req, &a, &eb), ERR_OK);
    int64_t ts = 0;
    CHECK(enc_parse_amzdate(SPAN_LIT(VECTOR_TS), &ts));
    CHECK_INT(a.request_ms, ts);
    buf_t cr, sts;
    buf_init(&cr, 1 << 16);
    buf_init(&sts, 1 << 16);
    CHECK(sigv4_canonical_request(&req, &a, &cr));
    CHECK(sigv4_string_to_sign(&a, buf_span(&cr), &sts));
    CHECK(strncmp(buf_str(&sts), "AWS4-HMAC-SHA256\n" VECTOR_TS "\n", 34) == 0);
    unsigned char key[32], mac[32];
    char hex[65];
    sigv4_signing_key(SPAN_LIT(SECRET), a.scope_date, a.region, a.service, key);
    crypto_hmac_sha256(key, sizeof key, sts.p, sts.len, mac);
    enc_hex(mac, sizeof mac, hex);
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=" CRED ", SignedHeaders=date;host, Signature=%s", hex);
    h[2] = HDR("Authorization", auth);
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_OK);
    h[1] = HDR("Date", "Sun, 30 Aug 2015 12:36:01 GMT");
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_SIGNATURE_MISMATCH);
    h[1] = HDR("Date", "Sun, 30 Foo 2015 12:36:01 GMT");
    CHECK_INT(parse_verify(&req, SECRET, &eb), ERR_INCOMPLETE_SIGNATURE);
    buf_free(&cr);
    buf_free(&sts);
}

/* Signs GET / (Host, X-Amz-Date) for scope region with secret into auth (512 bytes), from
 * the building blocks, and parses it into *a; h (3 slots) and *req borrow auth. */
static void sign_get(const char *region, const char *secret, char *auth, sigv4_header_t *h,
                     sigv4_request_t *req, sigv4_auth_t *a)
{
    errbuf_t eb = {{0}};
    snprintf(auth, 512,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/%s/service/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=%064d",
             region, 0);
    h[0] = HDR("Host", "example.amazonaws.com");
    h[1] = HDR("X-Amz-Date", VECTOR_TS);
    h[2] = HDR("Authorization", auth);
    *req = mkreq("GET", "/", h, 3, "");
    CHECK_INT(sigv4_parse(req, a, &eb), ERR_OK);
    buf_t cr, sts;
    buf_init(&cr, 1 << 16);
    buf_init(&sts, 1 << 16);
    CHECK(sigv4_canonical_request(req, a, &cr));
    CHECK(sigv4_string_to_sign(a, buf_span(&cr), &sts));
    unsigned char key[32], mac[32];
    char hex[65];
    sigv4_signing_key(span_of(secret), a->scope_date, a->region, a->service, key);
    crypto_hmac_sha256(key, sizeof key, sts.p, sts.len, mac);
    enc_hex(mac, sizeof mac, hex);
    memcpy(auth + strlen(auth) - 64, hex, 64);
    CHECK_INT(sigv4_parse(req, a, &eb), ERR_OK);
    buf_free(&cr);
    buf_free(&sts);
}

/* The signing-key memo gives the verdicts sigv4_verify gives, whatever it holds: a stale
 * entry never serves another secret, and entries that collide replace each other. */
static void test_keycache(void)
{
    errbuf_t eb = {{0}};
    char auth[512];
    sigv4_header_t h[3];
    sigv4_request_t req;
    sigv4_auth_t a;
    sigv4_keycache_t *kc = sigv4_keycache_new();
    sign_get("us-east-1", SECRET, auth, h, &req, &a);
    for (int i = 0; i < 2; i++) /* derived, then from the memo */
        CHECK_INT(sigv4_verify_cached(&req, &a, SPAN_LIT(SECRET), kc, &eb), ERR_OK);
    /* the same key id and scope with another secret (re-created key, wrong guess) */
    CHECK_INT(sigv4_verify_cached(&req, &a, SPAN_LIT("wrong-secret"), kc, &eb),
              ERR_SIGNATURE_MISMATCH);
    CHECK_INT(sigv4_verify_cached(&req, &a, SPAN_LIT("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ"),
                                  kc, &eb),
              ERR_SIGNATURE_MISMATCH);
    CHECK_INT(sigv4_verify_cached(&req, &a, span_make(SECRET, strlen(SECRET) - 1), kc, &eb),
              ERR_SIGNATURE_MISMATCH);
    CHECK_INT(sigv4_verify_cached(&req, &a, SPAN_LIT(SECRET), kc, &eb), ERR_OK);
    CHECK_INT(sigv4_verify_cached(&req, &a, SPAN_LIT(""), kc, &eb), ERR_SIGNATURE_MISMATCH);
    /* more scopes than slots: each verifies, before and after the others pushed it out */
    char auths[200][512];
    sigv4_header_t hs[200][3];
    sigv4_request_t reqs[200];
    sigv4_auth_t as[200];
    for (int i = 0; i < 200; i++) {
        char region[32];
        snprintf(region, sizeof region, "region-%d", i);
        sign_get(region, SECRET, auths[i], hs[i], &reqs[i], &as[i]);
        CHECK_INT(sigv4_verify_cached(&reqs[i], &as[i], SPAN_LIT(SECRET), kc, &eb), ERR_OK);
    }
    for (int i = 0; i < 200; i++) {
        CHECK_INT(sigv4_verify_cached(&reqs[i], &as[i], SPAN_LIT(SECRET), kc, &eb), ERR_OK);
        CHECK_INT(sigv4_verify_cached(&reqs[i], &as[i], SPAN_LIT("x"), kc, &eb),
                  ERR_SIGNATURE_MISMATCH);
    }
    /* a tampered signature is refused however warm the memo is */
    auths[7][strlen(auths[7]) - 1] ^= 1;
    CHECK_INT(sigv4_parse(&reqs[7], &as[7], &eb), ERR_OK);
    CHECK_INT(sigv4_verify_cached(&reqs[7], &as[7], SPAN_LIT(SECRET), kc, &eb),
              ERR_SIGNATURE_MISMATCH);
    sigv4_keycache_free(kc);
    sigv4_keycache_free(NULL);
}

static void expect_time(int64_t req_ms, int64_t now_ms, bool presigned, err_t want, const char *msg)
{
    sigv4_auth_t a = {.presigned = presigned, .request_ms = req_ms, .expires_s = 3600};
    errbuf_t eb = {{0}};
    CHECK_INT(sigv4_check_time(&a, now_ms, &eb), want);
    CHECK_STR(eb.msg, msg);
}

static void test_check_time(void)
{
    int64_t t = 0;
    CHECK(enc_parse_amzdate(SPAN_LIT(VECTOR_TS), &t)); /* 12:36:00 */
    const int64_t min = 60 * 1000, s = 1000;
    expect_time(t, t + 15 * min, false, ERR_OK, "");
    expect_time(t, t + 15 * min + 999, false, ERR_OK, "");
    expect_time(t, t + 15 * min + s, false, ERR_SIGNATURE_EXPIRED,
                "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
                "(20150830T125101Z - 15 min.)");
    expect_time(t, t + 30 * min, false, ERR_SIGNATURE_EXPIRED,
                "Signature expired: 20150830T123600Z is now earlier than 20150830T125100Z "
                "(20150830T130600Z - 15 min.)");
    expect_time(t, t - 15 * min, false, ERR_OK, "");
    expect_time(t, t - 15 * min - s, false, ERR_SIGNATURE_EXPIRED,
                "Signature not yet current: 20150830T123600Z is still later than "
                "20150830T123559Z (20150830T122059Z + 15 min.)");
    expect_time(t + 30 * min, t, false, ERR_SIGNATURE_EXPIRED,
                "Signature not yet current: 20150830T130600Z is still later than "
                "20150830T125100Z (20150830T123600Z + 15 min.)");
    /* presigned: valid for X-Amz-Expires (3600 s here), never from the future */
    expect_time(t, t + 3600 * s, true, ERR_OK, "");
    expect_time(t, t + 3601 * s, true, ERR_SIGNATURE_EXPIRED, "Request has expired");
    expect_time(t, t - 15 * min, true, ERR_OK, "");
    expect_time(t, t - 15 * min - s, true, ERR_SIGNATURE_EXPIRED,
                "Signature not yet current: 20150830T123600Z is still later than "
                "20150830T123559Z (20150830T122059Z + 15 min.)");
}

int main(void)
{
    test_vectors();
    test_parse_errors();
    test_verify_refusals();
    test_date_header();
    test_check_time();
    test_keycache();
    return CHECK_DONE();
}
