/* console_int.h - the console module's own pieces: mapping request paths to asset files,
 * content types, the sign-in request parser (all pure, so the unit tests and the fuzzer
 * reach them), and the two request handlers console.c dispatches to. */
#ifndef CATALOGD_CONSOLE_INT_H
#define CATALOGD_CONSOLE_INT_H

#include "console/console.h"
#include "core/arena.h"
#include "core/span.h"

#include <cjson/cJSON.h>

#include <stddef.h>

#define CONSOLE_PREFIX       "/console"
#define CONSOLE_SIGNIN_PATH  "/console/api/signin"
#define CONSOLE_FED_PATH     "/console/api/federation"
#define CONSOLE_ROOT_PW_FILE "root-console-password"
#define CONSOLE_SESSION_S    3600 /* console credentials live one hour */
#define CONSOLE_MAX_SIGNIN   4096 /* largest sign-in request body */
#define CONSOLE_MAX_ASSET    (32 * 1024 * 1024)
#define CONSOLE_ROOT_USER    "root"

typedef enum console_route {
    CONSOLE_NOT_OURS,   /* not /console: someone else's request */
    CONSOLE_REDIRECT,   /* "/console" alone: redirect to "/console/" */
    CONSOLE_SIGNIN,     /* the sign-in endpoint */
    CONSOLE_FEDERATION, /* below /console/api/federation/: sign-in through an OIDC IdP */
    CONSOLE_API_OTHER,  /* below /console/api/ but unknown */
    CONSOLE_ASSET,      /* a file: *rel names it, relative to the asset directory */
    CONSOLE_PAGE,       /* a page of the single-page app: answered with index.html */
} console_route_t;

/* Decides what a request path (raw, undecoded, without the query) asks for. For
 * CONSOLE_ASSET, rel (cap bytes) gets the file's path relative to the asset directory:
 * "assets/<name>" or a top-level "<name>.<ext>", names only of [A-Za-z0-9._-] and never
 * starting with '.', so it cannot leave the directory. A path that fits neither form is a
 * page. Pure: no file is looked at. */
console_route_t console_route(span_t path, char *rel, size_t cap);

/* The Content-Type for a file name by its extension (application/octet-stream when
 * unknown). Returns a static string. */
const char *console_content_type(const char *name);

/* What the sign-in form sends: {"account": "...", "user": "...", "password": "..."} and,
 * for an IAM user with an MFA device, "mfaCode": "123456". */
typedef struct console_signin_req {
    char account[16];
    char user[72];
    char password[136];
    char mfa_code[8]; /* "" when not given */
} console_signin_req_t;

/* Parses and checks a sign-in body (JSON object; account of 12 digits, user of 1-64 and
 * password of 1-128 characters, none with control characters; mfaCode, when present, 6
 * digits). ERR_VALIDATION with a message fit for the sign-in page on anything else. *out
 * is zeroed first. */
err_t console_signin_parse(span_t body, console_signin_req_t *out, errbuf_t *eb);

/* The asset directory: cfg.console_dir, else console/ beside the running binary. */
void console_asset_dir(const app_t *app, char *out, size_t cap);

/* Serves an asset or a page (static.c). */
void console_static(app_t *app, const http_request_t *req, console_route_t route, const char *rel,
                    http_response_t *resp);
/* The sign-in endpoint (signin.c): GET tells the region and account, POST signs in. */
void console_signin(app_t *app, const http_request_t *req, http_response_t *resp);
/* The value of cookie name in a Cookie header into out (cap bytes, cut to fit; "" when
 * absent). Pure. */
void console_cookie(span_t header, const char *name, char *out, size_t cap);
/* The query parameter name of a raw query string, percent-decoded ('+' a space), in arena;
 * NULL when absent or badly encoded. */
const char *console_query_param(span_t query, const char *name, arena_t *arena);
/* The region the console signs its calls for: the configured default, which the sign-in
 * page names (signin.c). */
const char *console_region(const app_t *app);
/* Sign-in through an OpenID Connect identity provider (federation.c): GET .../start,
 * GET .../callback, POST .../session; a deferred request's second call too. */
void console_federation(app_t *app, const http_request_t *req, http_response_t *resp);
/* True when the operator configured it (issuer, client id, role). */
bool console_federation_on(const app_t *app);
/* Adds a response header (value must be static); beyond HTTP_MAX_EXTRA_HEADERS it is
 * dropped, which the few fixed headers of the console never reach. */
void console_header(http_response_t *resp, const char *name, const char *value);
/* Answers {"code": code, "message": msg} with status. */
void console_json_error(http_response_t *resp, int status, const char *code, const char *msg);
/* Answers the JSON of o (taking and freeing it) with status. */
void console_json_reply(http_response_t *resp, int status, cJSON *o);

#endif
