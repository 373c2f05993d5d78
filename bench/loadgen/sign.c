/* sign.c - request bytes for the load generator, signed with catalogd's own SigV4 code
 * (src/auth/sigv4.c: the canonical request and string to sign the daemon verifies with;
 * the signing key is memoised per day, as an SDK does). */
#include "loadgen.h"

#include "auth/sigv4.h"
#include "core/crypto.h"
#include "core/enc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void lg_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void lg_signer_init(lg_signer_t *s, const char *key, const char *secret, const char *region,
                    const char *service)
{
    memset(s, 0, sizeof *s);
    lg_copy(s->access_key, sizeof s->access_key, key);
    lg_copy(s->secret, sizeof s->secret, secret);
    lg_copy(s->region, sizeof s->region, region);
    lg_copy(s->service, sizeof s->service, service);
}

void lg_amz_date(char out[17])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    enc_amzdate((int64_t)ts.tv_sec * 1000, out);
}

bool lg_sign_request(lg_signer_t *s, const char *host, const char *amz_date, const char *ctype,
                     const char *target, span_t body, buf_t *out)
{
    sigv4_header_t h[4];
    size_t nh = 0;
    h[nh++] = (sigv4_header_t){SPAN_LIT("content-type"), span_of(ctype)};
    h[nh++] = (sigv4_header_t){SPAN_LIT("host"), span_of(host)};
    h[nh++] = (sigv4_header_t){SPAN_LIT("x-amz-date"), span_of(amz_date)};
    if (target) h[nh++] = (sigv4_header_t){SPAN_LIT("x-amz-target"), span_of(target)};
    const char *signed_list =
        target ? "content-type;host;x-amz-date;x-amz-target" : "content-type;host;x-amz-date";
    bool ok =
        buf_printf(out, "POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Date: %s\r\nContent-Type: %s\r\n",
                   host, amz_date, ctype);
    if (ok && target) ok = buf_printf(out, "X-Amz-Target: %s\r\n", target);
    if (ok && s) {
        sigv4_request_t req = {.method = SPAN_LIT("POST"),
                               .raw_uri = SPAN_LIT("/"),
                               .headers = h,
                               .n_headers = nh,
                               .body = body,
                               .normalize_path = true};
        sigv4_auth_t a = {.access_key = span_of(s->access_key),
                          .scope_date = span_make(amz_date, 8),
                          .region = span_of(s->region),
                          .service = span_of(s->service),
                          .signed_headers = span_of(signed_list),
                          .amz_date = span_make(amz_date, 16)};
        if (memcmp(s->key_date, amz_date, 8) != 0) {
            sigv4_signing_key(span_of(s->secret), a.scope_date, a.region, a.service, s->key);
            memcpy(s->key_date, amz_date, 8);
            s->key_date[8] = '\0';
        }
        buf_t cr, sts;
        buf_init(&cr, 64 * 1024);
        buf_init(&sts, 4096);
        ok =
            sigv4_canonical_request(&req, &a, &cr) && sigv4_string_to_sign(&a, buf_span(&cr), &sts);
        if (ok) {
            unsigned char mac[CRYPTO_SHA256_LEN];
            char hex[65];
            crypto_hmac_sha256(s->key, sizeof s->key, sts.p, sts.len, mac);
            enc_hex(mac, sizeof mac, hex);
            ok =
                buf_printf(out,
                           "Authorization: AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
                           "SignedHeaders=%s, Signature=%s\r\n",
                           s->access_key, amz_date, s->region, s->service, signed_list, hex);
        }
        buf_free(&cr);
        buf_free(&sts);
    }
    ok = ok && buf_printf(out, "Content-Length: %zu\r\n\r\n", body.n) && buf_addspan(out, body);
    return ok;
}
