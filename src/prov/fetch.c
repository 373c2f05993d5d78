/* fetch.c - the outbound client: http(s) through libcurl with every connection's address
 * checked at socket open, and confined file: URLs. */
#include "prov/fetch.h"

#include "core/enc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Ranges no fetch may reach unless the allow-list names them. */
static const struct {
    const char *cidr, *why;
} fetch_refused_nets[] = {
    {"0.0.0.0/8", "unspecified"},
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "shared address space (CGNAT)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local (instance metadata)"},
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "IETF protocol assignments"},
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "benchmarking"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved or broadcast"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"100::/64", "discard"},
    {"fc00::/7", "unique local (private)"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "site-local"},
    {"ff00::/8", "multicast"},
};

static _Thread_local bool fetch_forbidden;

void prov_fetch_forbid_this_thread(void)
{
    fetch_forbidden = true;
}

/* Parses "ADDR[/BITS]" into n; false when it is not one. */
static bool fetch_net_parse(const char *s, size_t len, prov_net_t *n)
{
    char txt[64];
    if (len == 0 || len >= sizeof(txt)) return false;
    memcpy(txt, s, len);
    txt[len] = '\0';
    char *slash = strchr(txt, '/');
    long bits = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        errno = 0;
        bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || errno) return false;
    }
    memset(n, 0, sizeof(*n));
    struct in_addr a4;
    if (inet_pton(AF_INET, txt, &a4) == 1) {
        if (bits > 32) return false;
        n->addr[10] = n->addr[11] = 0xff;
        memcpy(n->addr + 12, &a4, 4);
        n->bits = (int)(bits < 0 ? 32 : bits) + 96;
        return true;
    }
    if (inet_pton(AF_INET6, txt, n->addr) != 1 || bits > 128) return false;
    n->bits = (int)(bits < 0 ? 128 : bits);
    return true;
}

static bool fetch_net_has(const prov_net_t *n, const unsigned char a[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full)) return false;
    if (!rest) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->addr[full] & mask) == (a[full] & mask);
}

err_t prov_fetch_allow_parse(prov_fetch_policy_t *p, const char *list, errbuf_t *eb)
{
    for (const char *s = list; s && *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        while (len && (*s == ' ' || *s == '\t')) s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
        if (len) {
            if (p->n_allow == PROV_FETCH_MAX_ALLOW)
                return err_fail(eb, ERR_VALIDATION, "--fetch-allow takes at most %d ranges",
                                PROV_FETCH_MAX_ALLOW);
            if (!fetch_net_parse(s, len, &p->allow[p->n_allow]))
                return err_fail(eb, ERR_VALIDATION,
                                "--fetch-allow: '%.*s' is not an address range (CIDR)", (int)len,
                                s);
            p->n_allow++;
        }
        s = comma ? comma + 1 : NULL;
    }
    return ERR_OK;
}

/* The verdict on a 16-byte address (IPv4 as ::ffff:a.b.c.d). */
static const char *fetch_refused16(const prov_fetch_policy_t *p, const unsigned char a[16])
{
    for (size_t i = 0; i < p->n_allow; i++)
        if (fetch_net_has(&p->allow[i], a)) return NULL;
    for (size_t i = 0; i < sizeof fetch_refused_nets / sizeof *fetch_refused_nets; i++) {
        prov_net_t n;
        const char *c = fetch_refused_nets[i].cidr;
        if (fetch_net_parse(c, strlen(c), &n) && fetch_net_has(&n, a))
            return fetch_refused_nets[i].why;
    }
    /* IPv4 inside IPv6: IPv4-compatible (::/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16) */
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    static const unsigned char compat[12] = {0};
    unsigned char v4[16] = {[10] = 0xff, [11] = 0xff};
    if (!memcmp(a, compat, 12) || !memcmp(a, nat64, 12))
        memcpy(v4 + 12, a + 12, 4);
    else if (a[0] == 0x20 && a[1] == 0x02)
        memcpy(v4 + 12, a + 2, 4);
    else
        return NULL;
    return fetch_refused16(p, v4); /* a mapped address: no further nesting */
}

const char *prov_fetch_refused(const prov_fetch_policy_t *p, const struct sockaddr *sa)
{
    unsigned char a[16] = {0};
    if (sa->sa_family == AF_INET) {
        a[10] = a[11] = 0xff;
        memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    } else {
        return "not an internet address";
    }
    return fetch_refused16(p, a);
}

static size_t fetch_write(char *ptr, size_t size, size_t n, void *ud)
{
    buf_t *b = ud;
    return buf_add(b, ptr, size * n) ? size * n : 0; /* 0 aborts: past the cap */
}

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static void fetch_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static prov_fetch_class_t fetch_file(const char *url, const char *root, buf_t *out, errbuf_t *eb)
{
    if (!root || !*root) {
        err_fail(eb, ERR_VALIDATION,
                 "file: template URLs are refused: catalogd was started without --template-dir");
        return PROV_FETCH_FILE;
    }
    const char *path = url + 5;
    if (!strncmp(path, "//", 2)) {
        path += 2;
        if (strncmp(path, "/", 1) && strncmp(path, "localhost/", 10)) {
            err_fail(eb, ERR_VALIDATION, "TemplateURL %s names a remote host", url);
            return PROV_FETCH_FILE;
        }
        if (!strncmp(path, "localhost", 9)) path += 9;
    }
    buf_t dec;
    buf_init(&dec, PATH_MAX);
    if (!enc_uri_decode(&dec, span_of(path), false)) {
        buf_free(&dec);
        err_fail(eb, ERR_VALIDATION, "TemplateURL %s is not a valid file URL", url);
        return PROV_FETCH_FILE;
    }
    char real[PATH_MAX], real_root[PATH_MAX];
    bool ok = realpath(buf_str(&dec), real) && realpath(root, real_root);
    buf_free(&dec);
    size_t rl = strlen(real_root);
    if (!ok || strncmp(real, real_root, rl) || (real[rl] != '/' && real[rl] != '\0')) {
        err_fail(eb, ERR_VALIDATION,
                 "TemplateURL %s is not a readable file under the template directory", url);
        return PROV_FETCH_FILE;
    }
    FILE *f = fopen(real, "rb");
    if (!f) {
        err_fail(eb, ERR_VALIDATION, "TemplateURL %s cannot be read: %s", url, strerror(errno));
        return PROV_FETCH_FILE;
    }
    char chunk[8192];
    size_t n;
    bool fits = true;
    while (fits && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) fits = buf_add(out, chunk, n);
    fclose(f);
    if (!fits) {
        err_fail(eb, ERR_VALIDATION, "the file is larger than %zu bytes", out->max);
        return PROV_FETCH_TOO_LARGE;
    }
    return PROV_FETCH_OK;
}

/* One http(s) fetch's state for the socket and progress callbacks. */
typedef struct fetch_run {
    const prov_fetch_policy_t *p;
    prov_fetch_req_t *req;
    bool untrusted;      /* the certificate failed both the CAs and the pins */
    const char *refused; /* the last address refused, and why */
    char refused_addr[INET6_ADDRSTRLEN];
} fetch_run_t;

/* CURLOPT_OPENSOCKETFUNCTION: the one place a connection's address is decided, for every
 * resolved address and every redirect hop (proxies are off), so the check cannot be
 * bypassed by DNS answers that change between a check and the connect. */
static curl_socket_t fetch_open(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    fetch_run_t *r = ud;
    const struct sockaddr *sa = (const struct sockaddr *)&a->addr;
    const char *why = prov_fetch_refused(r->p, sa);
    if (why) {
        r->refused = why;
        const void *raw =
            sa->sa_family == AF_INET
                ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
                : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (!inet_ntop(sa->sa_family, raw, r->refused_addr, sizeof(r->refused_addr)))
            snprintf(r->refused_addr, sizeof(r->refused_addr), "?");
        return CURL_SOCKET_BAD;
    }
    (void)purpose;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int fetch_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const fetch_run_t *r = ud;
    (void)dt, (void)dn, (void)ut, (void)un;
    return r->p->cancel && atomic_load(r->p->cancel);
}

/* The certificate check of a pinned request (SSL_CTX_set_cert_verify_callback): the
 * system's CAs first; failing them, the SHA-1 of the top certificate the server sent must
 * be one of the pins. Notes that thumbprint in the request either way. */
static int fetch_verify(X509_STORE_CTX *x, void *ud)
{
    fetch_run_t *r = ud;
    int ok = X509_verify_cert(x) == 1;
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(x);
    X509 *top = sent && sk_X509_num(sent) > 0 ? sk_X509_value(sent, sk_X509_num(sent) - 1)
                                              : X509_STORE_CTX_get0_cert(x);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (top && X509_digest(top, EVP_sha1(), md, &n) && n == 20) enc_hex(md, 20, r->req->top_sha1);
    if (ok) return 1;
    for (size_t i = 0; r->req->top_sha1[0] && i < r->req->n_pins; i++)
        if (!strcasecmp(r->req->pins[i], r->req->top_sha1)) {
            X509_STORE_CTX_set_error(x, X509_V_OK);
            return 1;
        }
    r->untrusted = true;
    return 0;
}

static CURLcode fetch_ssl_ctx(CURL *c, void *ssl_ctx, void *ud)
{
    (void)c;
    SSL_CTX_set_cert_verify_callback(ssl_ctx, fetch_verify, ud);
    return CURLE_OK;
}

/* True when url parses as an absolute http or https URL with a host. */
static bool fetch_url_ok(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
              !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
              !curl_url_get(u, CURLUPART_HOST, &host, 0) && host && *host &&
              (!strcmp(scheme, "http") || !strcmp(scheme, "https"));
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

prov_fetch_class_t prov_fetch(const prov_fetch_policy_t *p, const char *url, buf_t *out,
                              errbuf_t *eb)
{
    prov_fetch_req_t r = {.url = url};
    return prov_fetch_req(p, &r, out, eb);
}

prov_fetch_class_t prov_fetch_req(const prov_fetch_policy_t *p, prov_fetch_req_t *r, buf_t *out,
                                  errbuf_t *eb)
{
    const char *url = r->url;
    r->top_sha1[0] = '\0';
    if (!strncmp(url, "file:", 5) && !r->form) return fetch_file(url, p->file_root, out, eb);
    if ((strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) || !fetch_url_ok(url)) {
        err_fail(eb, ERR_VALIDATION, "not a well-formed http, https or file URL");
        return PROV_FETCH_BAD_URL;
    }
    if (fetch_forbidden) {
        err_fail(eb, ERR_INTERNAL, "a fetch was asked for on an HTTP thread; refused");
        return PROV_FETCH_UNREACHABLE;
    }
    if (p->cancel && atomic_load(p->cancel)) {
        err_fail(eb, ERR_UNAVAILABLE, "shutting down");
        return PROV_FETCH_CANCELLED;
    }
    pthread_once(&fetch_once, fetch_init);
    CURL *c = curl_easy_init();
    if (!c) {
        err_fail(eb, ERR_INTERNAL, "curl_easy_init failed");
        return PROV_FETCH_UNREACHABLE;
    }
    fetch_run_t run = {.p = p, .req = r};
    struct curl_slist *hdrs = NULL;
    if (r->accept) {
        char h[200];
        snprintf(h, sizeof(h), "Accept: %s", r->accept);
        hdrs = curl_slist_append(hdrs, h);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    if (r->form) curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->form); /* url-encoded by default */
    if (r->n_pins || r->want_top_sha1) {
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, fetch_ssl_ctx);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &run);
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, fetch_open);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &run);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, fetch_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &run);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)out->max);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                     (long)(p->connect_timeout_s > 0 ? p->connect_timeout_s : 5));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(p->timeout_s > 0 ? p->timeout_s : 10));
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (run.untrusted) {
        err_fail(eb, ERR_VALIDATION,
                 "the server's certificate (SHA-1 %s) is neither trusted nor pinned", r->top_sha1);
        return PROV_FETCH_UNTRUSTED;
    }
    if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED) {
        err_fail(eb, ERR_VALIDATION, "the document is larger than %zu bytes", out->max);
        return PROV_FETCH_TOO_LARGE;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        err_fail(eb, ERR_UNAVAILABLE, "shutting down");
        return PROV_FETCH_CANCELLED;
    }
    if (rc != CURLE_OK) {
        err_fail(eb, ERR_VALIDATION, "%s%s%s%s%s", cerr[0] ? cerr : curl_easy_strerror(rc),
                 run.refused ? "; address " : "", run.refused ? run.refused_addr : "",
                 run.refused ? " refused (see --fetch-allow): " : "",
                 run.refused ? run.refused : "");
        return PROV_FETCH_UNREACHABLE;
    }
    if (status != 200) {
        err_fail(eb, ERR_VALIDATION, "answered HTTP %ld", status);
        return PROV_FETCH_UNREACHABLE;
    }
    return PROV_FETCH_OK;
}
