/* static.c - the built console's files: hashed assets cached for a year, everything else
 * (index.html for every page of the app) revalidated on each load, and a page that says
 * so plainly when the console was never built. */
#include "console/console_int.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The page's own policy: scripts, styles and API calls only from this origin. */
#define CONSOLE_CSP                                                                                \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

static void static_text(http_response_t *resp, int status, const char *text)
{
    buf_reset(&resp->body);
    resp->status = status;
    resp->content_type = "text/plain; charset=utf-8";
    buf_adds(&resp->body, text);
}

/* HTML-escapes s into b. */
static void static_escape(buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_adds(b, "&amp;");
            break;
        case '<':
            buf_adds(b, "&lt;");
            break;
        case '>':
            buf_adds(b, "&gt;");
            break;
        case '"':
            buf_adds(b, "&quot;");
            break;
        case '\'':
            buf_adds(b, "&#39;");
            break;
        default:
            buf_addc(b, *s);
        }
    }
}

/* The answer for every page when there is no index.html: what happened and what to do. */
static void static_not_built(const char *dir, http_response_t *resp)
{
    buf_reset(&resp->body);
    resp->status = 503;
    resp->content_type = "text/html; charset=utf-8";
    resp->error_code = "ConsoleNotBuilt";
    buf_adds(&resp->body, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<title>catalogd console not built</title></head><body>\n"
                          "<h1>The catalogd web console is not built</h1>\n"
                          "<p>catalogd looked for it in <code>");
    static_escape(&resp->body, dir);
    buf_adds(&resp->body,
             "</code> and found no <code>index.html</code>.</p>\n"
             "<p>The console is built by <code>make</code> when <code>node</code> and "
             "<code>npm</code> are installed (<code>scripts/install-deps.sh</code> installs "
             "them). Build it, or start catalogd with <code>--console-dir</code> (or "
             "<code>CATALOGD_CONSOLE_DIR</code>) pointing at a built console.</p>\n"
             "<p>The AWS APIs are served as usual; see <code>docs/console.md</code>.</p>\n"
             "</body></html>\n");
}

/* Reads the regular file at path into resp->body. ENOENT-like failures return false with
 * errno set; a file too large or not regular fails as EFBIG / EISDIR. */
static bool static_read(const char *path, http_response_t *resp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0;
    if (ok && !S_ISREG(st.st_mode)) ok = (errno = EISDIR, false);
    if (ok && st.st_size > CONSOLE_MAX_ASSET) ok = (errno = EFBIG, false);
    buf_reset(&resp->body);
    char chunk[65536];
    while (ok) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        ok = buf_add(&resp->body, chunk, (size_t)n);
        if (!ok) errno = EFBIG;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return ok;
}

void console_static(app_t *app, const http_request_t *req, console_route_t route, const char *rel,
                    http_response_t *resp)
{
    resp->operation = route == CONSOLE_PAGE ? "Page" : "Asset";
    if (!span_eq_str(req->method, "GET") && !span_eq_str(req->method, "HEAD")) {
        console_header(resp, "Allow", "GET, HEAD");
        static_text(resp, 405, "The console's pages and assets answer GET and HEAD only.\n");
        return;
    }
    char dir[1024], path[1200];
    console_asset_dir(app, dir, sizeof(dir));
    const char *file = route == CONSOLE_PAGE ? "index.html" : rel;
    if (!file[0]) {
        static_text(resp, 404, "No such console asset.\n");
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (!static_read(path, resp)) {
        int e = errno;
        buf_reset(&resp->body);
        if (route == CONSOLE_PAGE && (e == ENOENT || e == ENOTDIR))
            static_not_built(dir, resp);
        else if (e == ENOENT || e == ENOTDIR || e == ELOOP)
            static_text(resp, 404, "No such console asset.\n");
        else
            static_text(resp, 500, "The console asset cannot be read; see catalogd's log.\n");
        if (resp->status == 500) {
            char esc[1300];
            log_warn("console asset unreadable", "\"path\":\"%s\",\"errno\":%d",
                     log_escape(esc, sizeof(esc), path), e);
        }
        return;
    }
    resp->status = 200;
    resp->content_type = console_content_type(file);
    if (route == CONSOLE_ASSET && strncmp(file, "assets/", 7) == 0) {
        /* esbuild names them by content hash: a new build is a new name */
        console_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
    } else {
        console_header(resp, "Cache-Control", "no-cache");
    }
    if (strcmp(resp->content_type, "text/html; charset=utf-8") == 0) {
        console_header(resp, "Content-Security-Policy", CONSOLE_CSP);
        console_header(resp, "X-Frame-Options", "DENY");
    }
}
