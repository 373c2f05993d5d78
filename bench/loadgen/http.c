/* http.c - the load generator's response parser: one HTTP/1.1 response at a time, in a
 * buffer that never grows past LG_RESP_MAX; Content-Length or chunked bodies (chunks are
 * decoded in place), Connection: close noticed. No request pipelining, so bytes after a
 * response are a protocol error the caller sees as a next response that fails to parse. */
#include "loadgen.h"

#include <stdlib.h>
#include <string.h>

#define LG_HEAD_MAX (64 * 1024)

void lg_resp_init(lg_resp_t *r)
{
    memset(r, 0, sizeof *r);
    r->clen = -1;
}

void lg_resp_free(lg_resp_t *r)
{
    free(r->p);
    memset(r, 0, sizeof *r);
}

bool lg_resp_room(lg_resp_t *r, size_t want)
{
    if (r->cap - r->len >= want + 1) return true;
    size_t cap = r->cap ? r->cap : 16384;
    while (cap - r->len < want + 1) cap *= 2;
    if (cap > LG_RESP_MAX + 1) cap = LG_RESP_MAX + 1;
    if (cap - r->len < 2) return false; /* full: the response is too large */
    char *p = realloc(r->p, cap);
    if (!p) return false;
    r->p = p;
    r->cap = cap;
    return true;
}

static bool lg_nocase_prefix(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k) return false;
    for (size_t i = 0; i < k; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

static bool lg_contains_nocase(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    for (size_t i = 0; i + k <= n; i++)
        if (lg_nocase_prefix(p + i, n - i, lit)) return true;
    return false;
}

/* Status line and headers of p[0..head_len); -1 when malformed. */
static int lg_resp_head(lg_resp_t *r)
{
    const char *p = r->p, *end = r->p + r->head_len;
    if (r->head_len < 14 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') return -1;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        st = st * 10 + (p[i] - '0');
    }
    r->status = st;
    r->clen = -1;
    r->chunked = false;
    r->close = p[7] == '0'; /* HTTP/1.0: closes unless told otherwise */
    const char *line = memchr(p, '\n', (size_t)(end - p));
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) return -1;
        size_t n = (size_t)(eol - line);
        const char *colon = memchr(line, ':', n);
        if (colon) {
            const char *v = colon + 1;
            size_t vn = (size_t)(eol - v);
            if (lg_nocase_prefix(line, n, "content-length:")) {
                long long x = 0;
                int digits = 0;
                for (size_t i = 0; i < vn; i++) {
                    if (v[i] >= '0' && v[i] <= '9') {
                        if (++digits > 12) return -1;
                        x = x * 10 + (v[i] - '0');
                    } else if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r') {
                        return -1;
                    }
                }
                if (!digits) return -1;
                r->clen = x;
            } else if (lg_nocase_prefix(line, n, "transfer-encoding:")) {
                r->chunked = lg_contains_nocase(v, vn, "chunked");
            } else if (lg_nocase_prefix(line, n, "connection:")) {
                if (lg_contains_nocase(v, vn, "close")) r->close = true;
                if (lg_contains_nocase(v, vn, "keep-alive")) r->close = false;
            }
        } else if (n > 1) {
            return -1; /* a header line without a colon */
        }
        line = eol;
    }
    if (r->clen > (long long)LG_RESP_MAX) return -1;
    return 0;
}

/* Decodes a chunked body in place once all of it is in; 1 done, 0 more needed, -1 bad. */
static int lg_resp_chunked(lg_resp_t *r)
{
    size_t pos = r->head_len, out = r->head_len;
    for (;;) {
        size_t size = 0, i = pos;
        int digits = 0;
        for (; i < r->len; i++) {
            char c = r->p[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) break;
            if (++digits > 7) return -1;
            size = size * 16 + (size_t)d;
        }
        if (i >= r->len) return 0;
        if (!digits) return -1;
        char *eol = memchr(r->p + i, '\n', r->len - i); /* chunk extensions are skipped */
        if (!eol) return r->len - i > 256 ? -1 : 0;
        pos = (size_t)(eol - r->p) + 1;
        if (size == 0) { /* trailers until the blank line */
            for (;;) {
                char *e = memchr(r->p + pos, '\n', r->len - pos);
                if (!e) return 0;
                size_t n = (size_t)(e - (r->p + pos));
                pos = (size_t)(e - r->p) + 1;
                if (n == 0 || (n == 1 && r->p[pos - 2] == '\r')) break;
            }
            break;
        }
        if (r->len - pos < size + 2) return 0;
        if (r->p[pos + size] != '\r' || r->p[pos + size + 1] != '\n') return -1;
        pos += size + 2;
    }
    /* all in: move the chunks' data together (second pass; sizes are known good) */
    size_t rd = r->head_len;
    for (;;) {
        size_t size = 0;
        while (r->p[rd] != '\r' && r->p[rd] != '\n' && r->p[rd] != ';') {
            char c = r->p[rd++];
            size = size * 16 + (size_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        rd = (size_t)((char *)memchr(r->p + rd, '\n', r->len - rd) - r->p) + 1;
        if (size == 0) break;
        memmove(r->p + out, r->p + rd, size);
        out += size;
        rd += size + 2;
    }
    r->body_off = r->head_len;
    r->body_len = out - r->head_len;
    r->total = pos;
    return 1;
}

int lg_resp_parse(lg_resp_t *r)
{
    if (r->len >= r->cap) return -1;
    r->p[r->len] = '\0';
    if (!r->head_len) {
        const char *e = NULL;
        for (size_t i = 0; i + 3 < r->len; i++)
            if (r->p[i] == '\r' && r->p[i + 1] == '\n' && r->p[i + 2] == '\r' &&
                r->p[i + 3] == '\n') {
                e = r->p + i + 4;
                break;
            }
        if (!e) return r->len > LG_HEAD_MAX ? -1 : 0;
        r->head_len = (size_t)(e - r->p);
        if (lg_resp_head(r) < 0) return -1;
    }
    if (r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
        if (r->status < 200) return -1; /* no interim responses are expected */
        r->body_off = r->head_len;
        r->body_len = 0;
        r->total = r->head_len;
        return 1;
    }
    if (r->chunked) return lg_resp_chunked(r);
    if (r->clen < 0) return -1; /* no close-delimited bodies on a keep-alive connection */
    if (r->len - r->head_len < (size_t)r->clen) return 0;
    r->body_off = r->head_len;
    r->body_len = (size_t)r->clen;
    r->total = r->head_len + (size_t)r->clen;
    return 1;
}

void lg_resp_consume(lg_resp_t *r)
{
    size_t rest = r->len - r->total;
    if (rest) memmove(r->p, r->p + r->total, rest);
    r->len = rest;
    r->head_len = r->body_off = r->body_len = r->total = 0;
    r->status = 0;
    r->clen = -1;
    r->chunked = r->close = false;
}

bool lg_json_str(span_t body, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    for (size_t i = 0; i + k + 3 < body.n; i++) {
        if (body.p[i] != '"' || memcmp(body.p + i + 1, key, k) != 0 || body.p[i + k + 1] != '"')
            continue;
        size_t j = i + k + 2;
        while (j < body.n && (body.p[j] == ' ' || body.p[j] == '\t' || body.p[j] == '\n')) j++;
        if (j >= body.n || body.p[j] != ':') continue;
        j++;
        while (j < body.n && (body.p[j] == ' ' || body.p[j] == '\t' || body.p[j] == '\n')) j++;
        if (j >= body.n || body.p[j] != '"') continue;
        j++;
        size_t n = 0;
        while (j + n < body.n && body.p[j + n] != '"' && body.p[j + n] != '\\') n++;
        if (j + n >= body.n || body.p[j + n] != '"' || n + 1 > cap) return false;
        memcpy(out, body.p + j, n);
        out[n] = '\0';
        return true;
    }
    return false;
}
