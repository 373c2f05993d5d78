/* enc.c - hex, base64, percent-encoding and timestamp formats. */
#include "core/enc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void enc_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool enc_base64(buf_t *b, const void *in, size_t n)
{
    const unsigned char *s = in;
    size_t start = b->len;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n) v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        if (!buf_add(b, q, 4)) {
            b->len = start;
            if (b->p) b->p[start] = '\0';
            return false;
        }
    }
    if (!b->p) buf_add(b, "", 0);
    return true;
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

bool enc_base64_decode(buf_t *b, span_t in)
{
    size_t start = b->len;
    while (in.n && in.p[in.n - 1] == '=') in.n--;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < in.n; i++) {
        int v = b64_val(in.p[i]);
        if (v < 0) goto fail;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (!buf_addc(b, (char)((acc >> bits) & 0xff))) goto fail;
        }
    }
    if (bits >= 6) goto fail; /* a dangling single character encodes nothing */
    if (!b->p) buf_add(b, "", 0);
    return true;
fail:
    b->len = start;
    if (b->p) b->p[start] = '\0';
    return false;
}

static bool uri_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

bool enc_uri(buf_t *b, span_t in, bool keep_slash)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < in.n; i++) {
        unsigned char c = (unsigned char)in.p[i];
        bool ok;
        if (uri_unreserved(c) || (keep_slash && c == '/')) {
            ok = buf_addc(b, (char)c);
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            ok = buf_add(b, e, 3);
        }
        if (!ok) return false;
    }
    if (!b->p) buf_add(b, "", 0);
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool enc_uri_decode(buf_t *b, span_t in, bool plus_space)
{
    for (size_t i = 0; i < in.n; i++) {
        char c = in.p[i];
        if (c == '%') {
            if (i + 2 >= in.n) return false;
            int h = hexval(in.p[i + 1]), l = hexval(in.p[i + 2]);
            if (h < 0 || l < 0) return false;
            c = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (!buf_addc(b, c)) return false;
    }
    if (!b->p) buf_add(b, "", 0);
    return true;
}

int64_t enc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The earliest and latest instants the four-digit formats can show: years 0001-9999. */
#define ENC_MS_MIN (-62135596800000LL)
#define ENC_MS_MAX (253402300799999LL)

int64_t enc_clamp_ms(double ms)
{
    if (!(ms >= (double)ENC_MS_MIN)) return ENC_MS_MIN; /* also NaN */
    if (ms > (double)ENC_MS_MAX) return ENC_MS_MAX;
    return (int64_t)ms;
}

static void enc_civil(int64_t ms, struct tm *tm, int *millis)
{
    if (ms < ENC_MS_MIN) ms = ENC_MS_MIN;
    if (ms > ENC_MS_MAX) ms = ENC_MS_MAX;
    int64_t secs = ms / 1000, r = ms % 1000;
    if (r < 0) {
        r += 1000;
        secs--;
    }
    *millis = (int)r;
    time_t t = (time_t)secs;
    gmtime_r(&t, tm);
}

/* Writes v as exactly width decimal digits (v is reduced modulo 10^width). */
static char *put_num(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void enc_iso8601(int64_t ms, char out[32])
{
    struct tm tm;
    int millis;
    enc_civil(ms, &tm, &millis);
    char *p = put_num(out, (unsigned)(tm.tm_year + 1900), 4);
    *p++ = '-';
    p = put_num(p, (unsigned)tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_num(p, (unsigned)tm.tm_mday, 2);
    *p++ = 'T';
    p = put_num(p, (unsigned)tm.tm_hour, 2);
    *p++ = ':';
    p = put_num(p, (unsigned)tm.tm_min, 2);
    *p++ = ':';
    p = put_num(p, (unsigned)tm.tm_sec, 2);
    *p++ = '.';
    p = put_num(p, (unsigned)millis, 3);
    *p++ = 'Z';
    *p = '\0';
}

void enc_amzdate(int64_t ms, char out[17])
{
    struct tm tm;
    int millis;
    enc_civil(ms, &tm, &millis);
    char *p = put_num(out, (unsigned)(tm.tm_year + 1900), 4);
    p = put_num(p, (unsigned)tm.tm_mon + 1, 2);
    p = put_num(p, (unsigned)tm.tm_mday, 2);
    *p++ = 'T';
    p = put_num(p, (unsigned)tm.tm_hour, 2);
    p = put_num(p, (unsigned)tm.tm_min, 2);
    p = put_num(p, (unsigned)tm.tm_sec, 2);
    *p++ = 'Z';
    *p = '\0';
}

/* Reads exactly n decimal digits at s->p[*i]. */
static bool digits(span_t s, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= s.n || s.p[*i] < '0' || s.p[*i] > '9') return false;
        v = v * 10 + (s.p[(*i)++] - '0');
    }
    *out = v;
    return true;
}

static bool civil_ok(int y, int mo, int d, int h, int mi, int se)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
    return h <= 23 && mi <= 59 && se <= 60;
}

bool enc_parse_amzdate(span_t s, int64_t *ms)
{
    size_t i = 0;
    int y, mo, d, h, mi, se;
    if (s.n != 16) return false;
    if (!digits(s, &i, 4, &y) || !digits(s, &i, 2, &mo) || !digits(s, &i, 2, &d)) return false;
    if (s.p[i++] != 'T') return false;
    if (!digits(s, &i, 2, &h) || !digits(s, &i, 2, &mi) || !digits(s, &i, 2, &se)) return false;
    if (s.p[i] != 'Z' || !civil_ok(y, mo, d, h, mi, se)) return false;
    *ms = ((enc_days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi) * 60000 +
          (int64_t)se * 1000;
    return true;
}

bool enc_parse_iso8601(span_t s, int64_t *ms)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
    if (!digits(s, &i, 4, &y) || i >= s.n || s.p[i++] != '-' || !digits(s, &i, 2, &mo) ||
        i >= s.n || s.p[i++] != '-' || !digits(s, &i, 2, &d))
        return false;
    int64_t off_min = 0;
    if (i < s.n) {
        if (s.p[i] != 'T' && s.p[i] != 't' && s.p[i] != ' ') return false;
        i++;
        if (!digits(s, &i, 2, &h) || i >= s.n || s.p[i++] != ':' || !digits(s, &i, 2, &mi))
            return false;
        if (i < s.n && s.p[i] == ':') {
            i++;
            if (!digits(s, &i, 2, &se)) return false;
            if (i < s.n && s.p[i] == '.') {
                i++;
                int nd = 0;
                while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
                    if (nd < 3) frac = frac * 10 + (s.p[i] - '0');
                    nd++, i++;
                }
                if (nd == 0) return false;
                for (; nd < 3; nd++) frac *= 10;
            }
        }
        if (i < s.n && (s.p[i] == 'Z' || s.p[i] == 'z')) {
            i++;
        } else if (i < s.n && (s.p[i] == '+' || s.p[i] == '-')) {
            int sign = s.p[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits(s, &i, 2, &oh)) return false;
            bool colon = i < s.n && s.p[i] == ':';
            if (colon) i++;
            if ((colon || i < s.n) && !digits(s, &i, 2, &om)) return false;
            if (oh > 23 || om > 59) return false;
            off_min = sign * (oh * 60 + om);
        }
        if (i != s.n) return false;
    }
    if (!civil_ok(y, mo, d, h, mi, se)) return false;
    *ms =
        ((enc_days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi - off_min) * 60000 +
        (int64_t)se * 1000 + frac;
    return true;
}

bool enc_utf8_valid(span_t s)
{
    const unsigned char *p = (const unsigned char *)s.p, *end = p + s.n;
    while (p < end) {
        unsigned c = *p;
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (!n || (size_t)(end - p) < n) return false;
        unsigned cp = n == 1 ? c : c & (0x7Fu >> n);
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n;
    }
    return true;
}
