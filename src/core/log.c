/* log.c - JSON-lines logger. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
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

void log_write(log_level_t level, const char *msg, const char *fields, ...)
{
    if (!log_enabled(level)) return;
    char line[4096];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char emsg[512];
    int n =
        snprintf(line, sizeof(line),
                 "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (long)(tv.tv_usec / 1000), log_names[level], log_escape(emsg, sizeof(emsg), msg));
    if (fields && *fields && n > 0 && (size_t)n < sizeof(line) - 4) {
        line[n++] = ',';
        va_list ap;
        va_start(ap, fields);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 3, fields, ap);
        va_end(ap);
        if (m > 0) n += m;
        if ((size_t)n > sizeof(line) - 3) n = (int)sizeof(line) - 3;
    }
    if (n < 0) return;
    line[n++] = '}';
    line[n++] = '\n';
    ssize_t w = write(log_fd, line, (size_t)n);
    (void)w;
}
