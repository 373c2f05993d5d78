/* util.c - small helpers the Automation document files share: messages, integer and
 * number text, scalar text, UTF-8 lengths, name checks and the bounded PCRE2 wrapper
 * allowedPattern runs through. */
#include "auto/adoc_int.h"

#include "core/mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADOC_INT_LIMIT 9007199254740992.0 /* 2^53 */

adoc_error_t adoc__fail(errbuf_t *eb, adoc_error_t e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vfail(eb, ERR_OK, fmt, ap);
    va_end(ap);
    return e;
}

cJSON *adoc__nn(cJSON *p)
{
    if (!p) {
        fprintf(stderr, "catalogd: out of memory building a JSON value\n");
        abort();
    }
    return p;
}

bool adoc__get_int(const cJSON *n, int64_t *v)
{
    if (!cJSON_IsNumber(n)) return false;
    double x = n->valuedouble;
    if (!isfinite(x) || x != floor(x) || fabs(x) > ADOC_INT_LIMIT) return false;
    *v = (int64_t)x;
    return true;
}

bool adoc__parse_int(const char *s, int64_t *v)
{
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') neg = true, i++;
    if (!s[i]) return false;
    int64_t acc = 0;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        acc = acc * 10 + (s[i] - '0');
        if (acc > (int64_t)ADOC_INT_LIMIT) return false;
    }
    *v = neg ? -acc : acc;
    return true;
}

void adoc__num_text(double v, char out[40])
{
    if (!isfinite(v)) {
        snprintf(out, 40, "null"); /* JSON has no spelling for these */
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, 40, "%.0f", v);
        if (strcmp(out, "-0") == 0) snprintf(out, 40, "0");
        return;
    }
    snprintf(out, 40, "%.15g", v);
    if (strtod(out, NULL) != v) snprintf(out, 40, "%.17g", v);
}

char *adoc__scalar_text(const cJSON *n)
{
    char num[40];
    if (cJSON_IsString(n)) return xstrdup(n->valuestring ? n->valuestring : "");
    if (cJSON_IsNumber(n)) {
        adoc__num_text(n->valuedouble, num);
        return xstrdup(num);
    }
    if (cJSON_IsBool(n)) return xstrdup(cJSON_IsTrue(n) ? "true" : "false");
    if (cJSON_IsNull(n)) return xstrdup("null");
    return NULL;
}

size_t adoc__utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++;
    return n;
}

bool adoc__is_name(const char *s, size_t max, const char *extra)
{
    size_t i = 0;
    for (; s[i]; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (extra && strchr(extra, c));
        if (!ok || i >= max) return false;
    }
    return i > 0;
}

bool adoc__one_of(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0) return true;
    return false;
}

pcre2_code *adoc__re_compile(const char *pattern, char *err, size_t errlen)
{
    size_t n = strlen(pattern);
    if (n > ADOC_MAX_PATTERN) {
        snprintf(err, errlen, "pattern longer than %d characters", ADOC_MAX_PATTERN);
        return NULL;
    }
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) abort();
    pcre2_set_parens_nest_limit(cc, 64);
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, cc);
    pcre2_compile_context_free(cc);
    if (!re) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0) msg[0] = '\0';
        snprintf(err, errlen, "%s at offset %zu", (const char *)msg, (size_t)off);
    }
    return re;
}

int adoc__re_full_match(const pcre2_code *re, const char *s)
{
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!mc || !md) abort();
    /* backtracking budget: a hostile pattern fails the match instead of hanging */
    pcre2_set_match_limit(mc, 100000);
    pcre2_set_depth_limit(mc, 2000);
    pcre2_set_heap_limit(mc, 4096); /* KiB */
    int rc =
        pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, mc);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    if (rc >= 0) return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

bool adoc_duration_seconds(const char *iso, int64_t *seconds)
{
    static const char units[] = "WDHMS"; /* in the order they must appear */
    static const int64_t mult[] = {604800, 86400, 3600, 60, 1};
    const int64_t limit = 1000000000000LL;
    if (!iso || iso[0] != 'P') return false;
    const char *p = iso + 1;
    bool in_time = false;
    int last = -1;
    int64_t total = 0;
    while (*p) {
        if (*p == 'T') {
            if (in_time) return false;
            in_time = true, p++;
            continue;
        }
        int64_t v = 0;
        const char *d = p;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p++ - '0');
            if (v > limit) return false;
        }
        if (p == d) return false;
        bool frac = *p == '.';
        if (frac) {
            d = ++p;
            while (*p >= '0' && *p <= '9') p++;
            if (p == d) return false;
        }
        const char *u = *p ? strchr(units, *p) : NULL;
        if (!u) return false;
        int idx = (int)(u - units);
        if (idx <= last || (idx >= 2) != in_time || (frac && *p != 'S')) return false;
        total += v * mult[idx];
        if (total > limit) return false;
        last = idx, p++;
    }
    if (last < 0 || (in_time && last < 2)) return false;
    *seconds = total;
    return true;
}
