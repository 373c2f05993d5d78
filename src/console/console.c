/* console.c - the console's front door: which /console request is which (asset, page,
 * sign-in), the asset directory, the root user's console password file, the banner. */
#include "console/console_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONSOLE_MAX_NAME 128

/* A file name the asset directory may hold: [A-Za-z0-9._-], not starting with '.'. */
static bool console_name_ok(span_t s)
{
    if (s.n == 0 || s.n > CONSOLE_MAX_NAME || s.p[0] == '.') return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

console_route_t console_route(span_t path, char *rel, size_t cap)
{
    span_t pre = SPAN_LIT(CONSOLE_PREFIX);
    if (!span_starts_with(path, pre)) return CONSOLE_NOT_OURS;
    span_t rest = span_make(path.p + pre.n, path.n - pre.n);
    if (rest.n == 0) return CONSOLE_REDIRECT;
    if (rest.p[0] != '/') return CONSOLE_NOT_OURS; /* "/consoles" is not ours */
    rest = span_make(rest.p + 1, rest.n - 1);
    if (span_eq_str(rest, "api/signin")) return CONSOLE_SIGNIN;
    if (span_starts_with(rest, SPAN_LIT("api/federation/"))) return CONSOLE_FEDERATION;
    if (span_eq_str(rest, "api") || span_starts_with(rest, SPAN_LIT("api/")))
        return CONSOLE_API_OTHER;
    span_t dir = SPAN_LIT("");
    span_t name = rest;
    if (span_starts_with(rest, SPAN_LIT("assets/"))) {
        dir = SPAN_LIT("assets/");
        name = span_make(rest.p + dir.n, rest.n - dir.n);
    } else if (span_index(rest, '/') >= 0 || span_index(rest, '.') < 0) {
        return CONSOLE_PAGE; /* a route of the app: /console/iam/users/jane.doe */
    }
    /* an asset path that cannot name a file is still an asset request: it gets a 404,
     * never the page (HTML where a script was expected helps nobody) */
    if (!console_name_ok(name) || dir.n + name.n + 1 > cap) {
        if (cap) rel[0] = '\0';
        return CONSOLE_ASSET;
    }
    memcpy(rel, dir.p, dir.n);
    memcpy(rel + dir.n, name.p, name.n);
    rel[dir.n + name.n] = '\0';
    return CONSOLE_ASSET;
}

const char *console_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

void console_asset_dir(const app_t *app, char *out, size_t cap)
{
    if (app->cfg.console_dir[0]) {
        snprintf(out, cap, "%s", app->cfg.console_dir);
        return;
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(out, cap, "console");
        return;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    static const char leaf[] = "/console";
    size_t len = strlen(exe);
    if (len + sizeof(leaf) > cap) { /* too long to name: fall back to the relative path */
        snprintf(out, cap, "console");
        return;
    }
    memcpy(out, exe, len);
    memcpy(out + len, leaf, sizeof(leaf));
}

void console_json_error(http_response_t *resp, int status, const char *code, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "message", msg);
    console_json_reply(resp, status, o);
    resp->error_code = code;
}

void console_json_reply(http_response_t *resp, int status, cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    buf_reset(&resp->body);
    buf_adds(&resp->body, text);
    cJSON_free(text);
    resp->status = status;
    resp->content_type = "application/json";
}

void console_header(http_response_t *resp, const char *name, const char *value)
{
    if (resp->n_extra >= HTTP_MAX_EXTRA_HEADERS) return;
    resp->extra[resp->n_extra][0] = name;
    resp->extra[resp->n_extra][1] = value;
    resp->n_extra++;
}

bool console_http(app_t *app, const http_request_t *req, http_response_t *resp)
{
    char rel[CONSOLE_MAX_NAME + 16];
    console_route_t route = console_route(req->path, rel, sizeof(rel));
    if (route == CONSOLE_NOT_OURS) return false;
    resp->service = "console";
    console_header(resp, "X-Content-Type-Options", "nosniff");
    console_header(resp, "Referrer-Policy", "no-referrer");
    switch (route) {
    case CONSOLE_REDIRECT:
        resp->status = 308;
        resp->operation = "Redirect";
        resp->content_type = "text/plain; charset=utf-8";
        console_header(resp, "Location", CONSOLE_PREFIX "/");
        buf_adds(&resp->body, "The console is at " CONSOLE_PREFIX "/\n");
        break;
    case CONSOLE_SIGNIN:
        console_header(resp, "Cache-Control", "no-store");
        console_signin(app, req, resp);
        break;
    case CONSOLE_FEDERATION:
        console_header(resp, "Cache-Control", "no-store");
        console_federation(app, req, resp);
        break;
    case CONSOLE_API_OTHER:
        resp->operation = "Api";
        console_header(resp, "Cache-Control", "no-store");
        console_json_error(resp, 404, "NotFound",
                           "The console has no such endpoint; it calls the AWS APIs at /.");
        break;
    default:
        console_static(app, req, route, rel, resp);
        break;
    }
    return true;
}

/* Creates DATA_DIR/root-console-password with a new random password unless it exists. */
static err_t console_root_file(app_t *app, const char *path, errbuf_t *eb)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) return ERR_OK;
    if (fd < 0) return err_fail(eb, ERR_INTERNAL, "cannot create %s: %s", path, strerror(errno));
    char pw[32];
    ids_chars(&app->ids, "", "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 24, pw);
    char line[40];
    int n = snprintf(line, sizeof(line), "%s\n", pw);
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    memset(pw, 0, sizeof(pw));
    memset(line, 0, sizeof(line));
    if (!ok) {
        unlink(path);
        return err_fail(eb, ERR_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    }
    return ERR_OK;
}

err_t console_prepare(app_t *app, errbuf_t *eb)
{
    if (app->cfg.root_password[0]) return ERR_OK;
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", app->cfg.data_dir, CONSOLE_ROOT_PW_FILE);
    return console_root_file(app, path, eb);
}

void console_banner(const app_t *app, const char *url, FILE *out)
{
    char dir[1024], index[1100];
    console_asset_dir(app, dir, sizeof(dir));
    snprintf(index, sizeof(index), "%s/index.html", dir);
    if (access(index, R_OK) != 0) {
        fprintf(out, "Web console: not built (no %s; see docs/console.md)\n", index);
        return;
    }
    fprintf(out, "Web console: %s%s/  (root signs in with ", url, CONSOLE_PREFIX);
    if (app->cfg.root_password[0])
        fprintf(out, "CATALOGD_ROOT_PASSWORD)\n");
    else
        fprintf(out, "the password in %s/%s)\n", app->cfg.data_dir, CONSOLE_ROOT_PW_FILE);
}
