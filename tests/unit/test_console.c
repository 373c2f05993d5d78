/* test_console.c - the console module's pure parts: which request path is which (the
 * redirect, sign-in, assets that cannot leave the asset directory, the app's pages),
 * content types, and the sign-in request parser's accepts and refusals. */
#include "console/console_int.h"

#include "check.h"

#include <string.h>

static console_route_t route(const char *path, char *rel)
{
    rel[0] = '\0';
    return console_route(span_of(path), rel, 160);
}

static void test_routes(void)
{
    char rel[160];
    CHECK_INT(route("/", rel), CONSOLE_NOT_OURS);
    CHECK_INT(route("/consoles", rel), CONSOLE_NOT_OURS);
    CHECK_INT(route("/_catalogd/health", rel), CONSOLE_NOT_OURS);
    CHECK_INT(route("/console", rel), CONSOLE_REDIRECT);
    CHECK_INT(route("/console/", rel), CONSOLE_PAGE);
    CHECK_INT(route("/console/api/signin", rel), CONSOLE_SIGNIN);
    CHECK_INT(route("/console/api/signin/", rel), CONSOLE_API_OTHER);
    CHECK_INT(route("/console/api", rel), CONSOLE_API_OTHER);
    CHECK_INT(route("/console/api/other", rel), CONSOLE_API_OTHER);
    CHECK_INT(route("/console/iam/groups/Endusers", rel), CONSOLE_PAGE);
    CHECK_INT(route("/console/iam/users/jane.doe", rel), CONSOLE_PAGE);
    CHECK_INT(route("/console/signin", rel), CONSOLE_PAGE);
    CHECK_INT(route("/console/iam/policies/arn%3Aaws%3Aiam%3A%3A1%3Apolicy%2FX", rel),
              CONSOLE_PAGE);

    CHECK_INT(route("/console/favicon.svg", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "favicon.svg");
    CHECK_INT(route("/console/assets/main-ABC123.js", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "assets/main-ABC123.js");
    /* assets that cannot name a file inside the directory: a 404, never a page */
    CHECK_INT(route("/console/assets/../../etc/passwd", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "");
    CHECK_INT(route("/console/assets/.hidden", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "");
    CHECK_INT(route("/console/assets/a%2F..%2Fb.js", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "");
    CHECK_INT(route("/console/assets/sub/x.js", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "");
    CHECK_INT(route("/console/assets/", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "");
    CHECK_INT(route("/console/..", rel), CONSOLE_ASSET);
    CHECK_STR(rel, "");
    /* a name too long for the caller's buffer is refused, not cut */
    char small[8];
    CHECK_INT(console_route(span_of("/console/assets/main.js"), small, sizeof(small)),
              CONSOLE_ASSET);
    CHECK_STR(small, "");
}

static void test_types(void)
{
    CHECK_STR(console_content_type("index.html"), "text/html; charset=utf-8");
    CHECK_STR(console_content_type("assets/main-X.js"), "text/javascript; charset=utf-8");
    CHECK_STR(console_content_type("assets/main-X.css"), "text/css; charset=utf-8");
    CHECK_STR(console_content_type("favicon.svg"), "image/svg+xml");
    CHECK_STR(console_content_type("assets/main-X.js.map"), "application/json");
    CHECK_STR(console_content_type("assets/main-X.js.LEGAL.txt"), "text/plain; charset=utf-8");
    CHECK_STR(console_content_type("README"), "application/octet-stream");
    CHECK_STR(console_content_type("x.exe"), "application/octet-stream");
}

static err_t parse(const char *body, console_signin_req_t *out)
{
    errbuf_t eb = {{0}};
    err_t rc = console_signin_parse(span_of(body), out, &eb);
    if (rc) CHECK(eb.msg[0] != '\0');
    return rc;
}

static void test_signin_parse(void)
{
    console_signin_req_t in;
    CHECK_INT(
        parse("{\"account\":\"123456789012\",\"user\":\"admin\",\"password\":\"pw-1234567\"}", &in),
        ERR_OK);
    CHECK_STR(in.account, "123456789012");
    CHECK_STR(in.user, "admin");
    CHECK_STR(in.password, "pw-1234567");

    CHECK_INT(parse("", &in), ERR_VALIDATION);
    CHECK_INT(parse("[]", &in), ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"123456789012\"", &in), ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"12345678901\",\"user\":\"a\",\"password\":\"b\"}", &in),
              ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"12345678901x\",\"user\":\"a\",\"password\":\"b\"}", &in),
              ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":123456789012,\"user\":\"a\",\"password\":\"b\"}", &in),
              ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"123456789012\",\"user\":\"\",\"password\":\"b\"}", &in),
              ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"123456789012\",\"user\":\"a\\nb\",\"password\":\"b\"}", &in),
              ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"123456789012\",\"user\":\"a\",\"password\":\"\"}", &in),
              ERR_VALIDATION);
    CHECK_INT(parse("{\"account\":\"123456789012\",\"user\":\"a\"}", &in), ERR_VALIDATION);
    /* 64 characters of user name pass, 65 do not; 128 of password pass, 129 do not */
    char body[600];
    snprintf(body, sizeof(body),
             "{\"account\":\"123456789012\",\"user\":\"%064d\",\"password\":\"x\"}", 0);
    CHECK_INT(parse(body, &in), ERR_OK);
    CHECK_INT((int)strlen(in.user), 64);
    snprintf(body, sizeof(body),
             "{\"account\":\"123456789012\",\"user\":\"%065d\",\"password\":\"x\"}", 0);
    CHECK_INT(parse(body, &in), ERR_VALIDATION);
    snprintf(body, sizeof(body),
             "{\"account\":\"123456789012\",\"user\":\"u\",\"password\":\"%0128d\"}", 0);
    CHECK_INT(parse(body, &in), ERR_OK);
    CHECK_INT((int)strlen(in.password), 128);
    snprintf(body, sizeof(body),
             "{\"account\":\"123456789012\",\"user\":\"u\",\"password\":\"%0129d\"}", 0);
    CHECK_INT(parse(body, &in), ERR_VALIDATION);
    /* a refusal leaves nothing behind */
    CHECK_STR(in.password, "");
}

int main(void)
{
    test_routes();
    test_types();
    test_signin_parse();
    return CHECK_DONE();
}
