/* log.c - JSON-lines logger. The timestamp is formatted by hand (no gmtime_r, which takes
 * glibc's time-zone lock, and no printf), and every line goes out in one write(2). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_level_t log_level = LOG_INFO;
static int log_fd = 2;

static const char *const log_names[] = {"debug", "info", "warn", "error", "off"};

bool log_parse_level(const char *s, log_level_t *out)
{
    for (int i = 0; i <= LOG_OFF; i++) {
        if (strcmp(s, log_names[i]) == 0) {
            *out = (log_level_t)i;
            return true;
        }
    }
    return false;
}

void log_setup(log_level_t level, int fd)
{
    log_level = level;
    log_fd = fd;
}

bool log_enabled(log_level_t level)
{
    return level >= log_level && log_level != LOG_OFF;
}

char *log_escape(char *out, unsigned cap, const char *s)
{
    unsigned o = 0;
    for (; s && *s && o + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (unsigned)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

/* Writes v as exactly width decimal digits. */
static char *log_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 characters) for the current time, UTC. */
static void log_timestamp(char out[24])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t secs = (int64_t)ts.tv_sec;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    unsigned sod = (unsigned)(secs - days * 86400);
    /* Howard Hinnant's civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    char *p = log_digits(out, (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y), 4);
    *p++ = '-';
    p = log_digits(p, m, 2);
    *p++ = '-';
    p = log_digits(p, d, 2);
    *p++ = 'T';
    p = log_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = log_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = log_digits(p, sod % 60, 2);
    *p++ = '.';
    p = log_digits(p, (unsigned)(ts.tv_nsec / 1000000), 3);
    *p = 'Z';
}

/* Appends n bytes when they fit (keeping room for the closing "}\n"); false otherwise. */
static bool log_put(log_line_t *l, const char *s, size_t n)
{
    if (l->n + n > sizeof(l->p) - 2) return false;
    memcpy(l->p + l->n, s, n);
    l->n += n;
    return true;
}

#define LOG_PUT_LIT(l, s) log_put(l, s, sizeof(s) - 1)

/* Appends s JSON-escaped; false (and nothing appended) when it does not fit. */
static bool log_put_escaped(log_line_t *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = l->n;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[6] = {'\\', (char)c};
        size_t n = 2;
        if (c < 0x20) {
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        } else if (c != '"' && c != '\\') {
            e[0] = (char)c;
            n = 1;
        }
        if (!log_put(l, e, n)) {
            l->n = start;
            return false;
        }
    }
    return true;
}

/* Appends ,"key": and returns the length before it (to undo a field that does not fit). */
static size_t log_put_key(log_line_t *l, const char *key, bool *ok)
{
    size_t mark = l->n;
    *ok = LOG_PUT_LIT(l, ",\"") && log_put(l, key, strlen(key)) && LOG_PUT_LIT(l, "\":");
    return mark;
}

void log_line_start(log_line_t *l, log_level_t level, const char *msg)
{
    char ts[24];
    log_timestamp(ts);
    l->n = 0;
    LOG_PUT_LIT(l, "{\"ts\":\"");
    log_put(l, ts, sizeof ts);
    LOG_PUT_LIT(l, "\",\"level\":\"");
    log_put(l, log_names[level], strlen(log_names[level]));
    LOG_PUT_LIT(l, "\",\"msg\":\"");
    if (!log_put_escaped(l, msg)) LOG_PUT_LIT(l, "...");
    LOG_PUT_LIT(l, "\"");
}

void log_line_str(log_line_t *l, const char *key, const char *value)
{
    bool ok;
    size_t mark = log_put_key(l, key, &ok);
    ok = ok && LOG_PUT_LIT(l, "\"") && log_put_escaped(l, value) && LOG_PUT_LIT(l, "\"");
    if (!ok) l->n = mark;
}

/* Appends the decimal digits of v. */
static bool log_put_uint(log_line_t *l, uint64_t v)
{
    char d[20];
    int i = (int)sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return log_put(l, d + i, sizeof d - (size_t)i);
}

void log_line_int(log_line_t *l, const char *key, int64_t v)
{
    bool ok;
    size_t mark = log_put_key(l, key, &ok);
    if (ok && v < 0) ok = LOG_PUT_LIT(l, "-");
    ok = ok && log_put_uint(l, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (!ok) l->n = mark;
}

void log_line_milli(log_line_t *l, const char *key, int64_t v)
{
    bool ok;
    size_t mark = log_put_key(l, key, &ok);
    if (ok && v < 0) ok = LOG_PUT_LIT(l, "-");
    uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char frac[4] = {'.'};
    log_digits(frac + 1, (unsigned)(a % 1000), 3);
    ok = ok && log_put_uint(l, a / 1000) && log_put(l, frac, sizeof frac);
    if (!ok) l->n = mark;
}

void log_line_end(log_line_t *l)
{
    l->p[l->n++] = '}'; /* log_put kept room for these two */
    l->p[l->n++] = '\n';
    ssize_t w = write(log_fd, l->p, l->n);
    (void)w;
}

void log_write(log_level_t level, const char *msg, const char *fields, ...)
{
    if (!log_enabled(level)) return;
    log_line_t l;
    log_line_start(&l, level, msg);
    if (fields && *fields && l.n + 1 < sizeof(l.p) - 2) {
        l.p[l.n++] = ',';
        va_list ap;
        va_start(ap, fields);
        int m = vsnprintf(l.p + l.n, sizeof(l.p) - l.n - 2, fields, ap);
        va_end(ap);
        /* cut short like before: whatever fits, the closing brace still follows */
        if (m > 0) l.n += (size_t)m < sizeof(l.p) - l.n - 2 ? (size_t)m : sizeof(l.p) - l.n - 3;
    }
    log_line_end(&l);
}
