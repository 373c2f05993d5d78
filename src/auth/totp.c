/* totp.c - RFC 6238 one-time passwords and RFC 4648 base32. */
#include "auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

bool totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    size_t need = (n + 4) / 5 * 8 + 1, o = 0;
    if (cap < need) return false;
    for (size_t i = 0; i < n; i += 5) {
        unsigned char blk[5] = {0};
        size_t take = n - i < 5 ? n - i : 5;
        memcpy(blk, in + i, take);
        uint64_t v = 0;
        for (int j = 0; j < 5; j++) v = v << 8 | blk[j];
        size_t chars = (take * 8 + 4) / 5; /* characters carrying data */
        for (int j = 0; j < 8; j++)
            out[o++] = (size_t)j < chars ? b32_alpha[(v >> (35 - 5 * j)) & 31] : '=';
    }
    out[o] = '\0';
    return true;
}

bool totp_base32_decode(const char *in, unsigned char *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0, len = strlen(in);
    while (len && in[len - 1] == '=') len--;
    if (len % 8 == 1 || len % 8 == 3 || len % 8 == 6) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        int v = ch >= 'A' && ch <= 'Z'   ? ch - 'A'
                : ch >= 'a' && ch <= 'z' ? ch - 'a'
                : ch >= '2' && ch <= '7' ? ch - '2' + 26
                                         : -1;
        if (v < 0) return false;
        acc = (acc << 5 | (uint32_t)v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            if (o == cap) return false;
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *n = o;
    return true;
}

uint32_t totp_code(const unsigned char *key, size_t n, int64_t step)
{
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    for (int i = 7; i >= 0; i--, step >>= 8) msg[i] = (unsigned char)(step & 0xff);
    HMAC(EVP_sha1(), key, (int)n, msg, sizeof(msg), mac, &mac_len);
    int off = mac[mac_len - 1] & 0x0f;
    uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                   (uint32_t)mac[off + 2] << 8 | mac[off + 3];
    return bin % 1000000;
}

int64_t totp_match(const unsigned char *key, size_t n, const char *code, int64_t now_s, int window)
{
    if (!code || strlen(code) != 6) return -1;
    uint32_t want = 0;
    for (int i = 0; i < 6; i++) {
        if (code[i] < '0' || code[i] > '9') return -1;
        want = want * 10 + (uint32_t)(code[i] - '0');
    }
    int64_t now = now_s / TOTP_STEP_S;
    for (int d = 0; d <= 2 * window; d++) {
        int64_t step = now + (d % 2 ? -(d + 1) / 2 : d / 2);
        if (step >= 0 && totp_code(key, n, step) == want) return step;
    }
    return -1;
}
