/* fuzz_console.c - libFuzzer target for the console's request parsing: the path router
 * (an asset path always names a file inside the asset directory: no leading dot, so no
 * "..", and no slash but the one after "assets/"), content types, and the sign-in body
 * parser (accepts only what its checks promise), and the federated sign-in's Cookie header
 * and query string readers. The first byte picks the part (odd: sign-in; bit 2: the
 * federation readers; else the router); the rest is the input.
 * Corpus: tests/fuzz/corpus/console/. */
#include "fuzz_init.h"
#include "console/console_int.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void check_rel(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0) return;
    const char *name = rel;
    if (strncmp(rel, "assets/", 7) == 0) name = rel + 7;
    if (!*name || name[0] == '.' || strchr(name, '/')) __builtin_trap();
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) __builtin_trap();
    }
    if (!console_content_type(rel)) __builtin_trap();
}

static void fuzz_route(span_t in)
{
    char rel[160];
    memset(rel, 'X', sizeof(rel));
    console_route_t r = console_route(in, rel, sizeof(rel));
    if (r == CONSOLE_ASSET) {
        if (!memchr(rel, '\0', sizeof(rel))) __builtin_trap();
        check_rel(rel);
    }
    if (r != CONSOLE_NOT_OURS && (in.n < 8 || memcmp(in.p, "/console", 8) != 0)) __builtin_trap();
    char tiny[4];
    r = console_route(in, tiny, sizeof(tiny));
    if (r == CONSOLE_ASSET && !memchr(tiny, '\0', sizeof(tiny))) __builtin_trap();
}

static void fuzz_signin(span_t in)
{
    console_signin_req_t out;
    errbuf_t eb = {{0}};
    err_t rc = console_signin_parse(in, &out, &eb);
    if (rc == ERR_OK) {
        if (strlen(out.account) != 12 || strspn(out.account, "0123456789") != 12) __builtin_trap();
        size_t u = strlen(out.user), p = strlen(out.password);
        if (u < 1 || u > 64 || p < 1 || p > 128) __builtin_trap();
    } else if (rc != ERR_VALIDATION || !eb.msg[0] || out.password[0]) {
        __builtin_trap();
    }
}

static void fuzz_federation(span_t in)
{
    char v[48];
    memset(v, 'X', sizeof(v));
    console_cookie(in, "catalogd_fed_state", v, sizeof(v));
    if (!memchr(v, '\0', sizeof(v)) || strchr(v, ';')) __builtin_trap();
    arena_t a;
    arena_init(&a);
    const char *s = console_query_param(in, "state", &a);
    if (s && strlen(s) > in.n) __builtin_trap();
    arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    span_t in = span_make((const char *)data + 1, size - 1);
    if (data[0] & 1)
        fuzz_signin(in);
    else if (data[0] & 2)
        fuzz_federation(in);
    else
        fuzz_route(in);
    return 0;
}
