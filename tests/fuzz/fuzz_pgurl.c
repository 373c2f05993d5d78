/* fuzz_pgurl.c - libFuzzer target for the redaction of database URLs (pg_redact in
 * src/store/pg.c), which every message and log line naming the database goes through.
 * Each input is redacted as it is, into buffers of several sizes (a string that fits, no
 * write past it). Then the input builds a URL around a password P, in one of four forms:
 *   0  postgresql://USER:P@REST           2  host=REST password=P REST2
 *   1  postgresql://USER@REST?password=P&REST2
 *   3  host=REST password = 'P, quoted' REST2
 * with the bytes that would end P or the parts before it left out (so that libpq reads
 * exactly P as the password), and checks:
 * - the redaction does not depend on P: the same URL with P's bytes 'x' (but its quotes
 *   and backslashes) redacts to the same text, whatever the buffer's size (a cut never
 *   leaves part of a password);
 * - P (4 bytes or more, once in the URL) is not in the redacted text, unless it is in the
 *   redaction of the 'x' URL too (then the text around the "***" spells it).
 * The input: a form byte, then USER, P, REST, REST2 separated by NUL bytes.
 * Seed corpus: tests/fuzz/corpus/pgurl/. */
#include "fuzz_init.h"
#include "store/pg_int.h"
#include "core/mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t caps[] = {1, 2, 9, 40, 100, 512};
#define N_CAPS (sizeof(caps) / sizeof(caps[0]))

/* pg_redact of url into a buffer of exactly cap bytes (heap: ASan sees a write past it);
 * the result (malloc'd). */
static char *redact(const char *url, size_t cap)
{
    char *out = malloc(cap);
    pg_redact(url, out, cap);
    if (!memchr(out, '\0', cap)) __builtin_trap();
    return out;
}

/* The next NUL-separated field of [*p, end) with the bytes of drop left out (malloc'd). */
static char *field(const uint8_t **p, const uint8_t *end, const char *drop)
{
    const uint8_t *s = *p, *e = s;
    while (e < end && *e) e++;
    *p = e < end ? e + 1 : e;
    char *f = malloc((size_t)(e - s) + 1);
    size_t n = 0;
    for (; s < e; s++)
        if (!strchr(drop, *s)) f[n++] = (char)*s;
    f[n] = '\0';
    return f;
}

/* The URL of form around password pw (form 3: quoted, ' and \ escaped), malloc'd. */
static char *build(int form, const char *user, const char *pw, const char *rest, const char *rest2)
{
    size_t cap = 4 * (strlen(user) + strlen(pw) + strlen(rest) + strlen(rest2)) + 64;
    char *url = malloc(cap), *q = malloc(2 * strlen(pw) + 1);
    size_t n = 0;
    for (const char *c = pw; *c; c++) {
        if (*c == '\'' || *c == '\\') q[n++] = '\\';
        q[n++] = *c;
    }
    q[n] = '\0';
    if (form == 0)
        snprintf(url, cap, "postgresql://%s:%s@%s", user, pw, rest);
    else if (form == 1)
        snprintf(url, cap, "postgres://%s@%s?password=%s&%s", user, rest, pw, rest2);
    else if (form == 2)
        snprintf(url, cap, "host=%s password=%s %s", rest, pw, rest2);
    else
        snprintf(url, cap, "host=%s password = '%s' %s", rest, q, rest2);
    free(q);
    return url;
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

static void check_form(const uint8_t *data, size_t size)
{
    const uint8_t *p = data + 1, *end = data + size;
    int form = data[0] % 4;
    /* what would end each part early, as libpq reads each form; key=value forms also leave
     * out ':' (no "://" to read as a URL) and quotes before P */
    static const char *const drop_user[] = {":@/", ":@/", "", ""};
    static const char *const drop_pw[] = {"@/", "&", " \t\n\v\f\r", ""};
    static const char *const drop_rest[] = {"", "", ":' \t\n\v\f\r", ":' \t\n\v\f\r"};
    char *user = field(&p, end, drop_user[form]);
    char *pw = field(&p, end, drop_pw[form]);
    char *rest = field(&p, end, drop_rest[form]);
    char *rest2 = field(&p, end, "");
    if (form == 2 && pw[0] == '\'') pw[0] = 'q'; /* a quote would start a quoted value */
    if (form >= 2)                               /* no "://" can form in key=value settings */
        for (char *c = pw; *c; c++)
            if (*c == ':') *c = ';';
    /* P's bytes as 'x', but its quotes and backslashes (escaped in form 3: same length) */
    char *xs = xstrdup(pw);
    for (char *c = xs; *c; c++)
        if (*c != '\'' && *c != '\\') *c = 'x';
    char *url = build(form, user, pw, rest, rest2), *urlx = build(form, user, xs, rest, rest2);
    bool once = strlen(pw) >= 4 && occurrences(url, pw) == 1;
    for (size_t i = 0; i <= N_CAPS; i++) { /* and one that holds it all */
        size_t cap = i < N_CAPS ? caps[i] : 4 * strlen(url) + 8;
        char *a = redact(url, cap), *b = redact(urlx, cap);
        if (strcmp(a, b)) __builtin_trap();
        if (once && strstr(a, pw) && !strstr(b, pw)) __builtin_trap();
        free(a);
        free(b);
    }
    free(url);
    free(urlx);
    free(xs);
    free(user);
    free(pw);
    free(rest);
    free(rest2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    for (size_t i = 0; i < N_CAPS; i++) free(redact(s, caps[i]));
    free(s);
    if (size > 0) check_form(data, size);
    return 0;
}
