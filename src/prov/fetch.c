/* fetch.c - http(s) and confined file: URLs. */
#include "prov/fetch.h"

#include "core/enc.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t fetch_write(char *p, size_t size, size_t n, void *ud)
{
    buf_t *b = ud;
    return buf_add(b, p, size * n) ? size * n : 0; /* 0 aborts: past the cap */
}

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static void fetch_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static err_t fetch_file(const char *url, const char *root, buf_t *out, errbuf_t *eb)
{
    if (!root || !*root)
        return err_fail(
            eb, ERR_VALIDATION,
            "file: template URLs are refused: catalogd was started without --template-dir");
    const char *path = url + 5;
    if (!strncmp(path, "//", 2)) {
        path += 2;
        if (strncmp(path, "/", 1) && strncmp(path, "localhost/", 10))
            return err_fail(eb, ERR_VALIDATION, "TemplateURL %s names a remote host", url);
        if (!strncmp(path, "localhost", 9)) path += 9;
    }
    buf_t dec;
    buf_init(&dec, PATH_MAX);
    if (!enc_uri_decode(&dec, span_of(path), false)) {
        buf_free(&dec);
        return err_fail(eb, ERR_VALIDATION, "TemplateURL %s is not a valid file URL", url);
    }
    char real[PATH_MAX], real_root[PATH_MAX];
    bool ok = realpath(buf_str(&dec), real) && realpath(root, real_root);
    buf_free(&dec);
    size_t rl = strlen(real_root);
    if (!ok || strncmp(real, real_root, rl) || (real[rl] != '/' && real[rl] != '\0'))
        return err_fail(eb, ERR_VALIDATION,
                        "TemplateURL %s is not a readable file under the template directory", url);
    FILE *f = fopen(real, "rb");
    if (!f)
        return err_fail(eb, ERR_VALIDATION, "TemplateURL %s cannot be read: %s", url,
                        strerror(errno));
    char chunk[8192];
    size_t n;
    bool fits = true;
    while (fits && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) fits = buf_add(out, chunk, n);
    fclose(f);
    if (!fits)
        return err_fail(eb, ERR_VALIDATION, "The template at %s is larger than %zu bytes", url,
                        out->max);
    return ERR_OK;
}

err_t prov_fetch(const char *url, const char *file_root, int timeout_s, buf_t *out, errbuf_t *eb)
{
    if (!strncmp(url, "file:", 5)) return fetch_file(url, file_root, out, eb);
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return err_fail(eb, ERR_VALIDATION, "TemplateURL must be an http, https or file URL: %s",
                        url);
    pthread_once(&fetch_once, fetch_init);
    CURL *c = curl_easy_init();
    if (!c) return err_fail(eb, ERR_INTERNAL, "curl_easy_init failed");
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout_s > 0 ? timeout_s : 10));
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
    if (rc == CURLE_WRITE_ERROR)
        return err_fail(eb, ERR_VALIDATION, "The template at %s is larger than %zu bytes", url,
                        out->max);
    if (rc != CURLE_OK)
        return err_fail(eb, ERR_VALIDATION, "TemplateURL %s could not be fetched: %s", url,
                        cerr[0] ? cerr : curl_easy_strerror(rc));
    if (status != 200)
        return err_fail(eb, ERR_VALIDATION, "TemplateURL %s answered HTTP %ld", url, status);
    return ERR_OK;
}
