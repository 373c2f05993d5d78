/* log.h - structured logging: one JSON object per line on the log fd.
 * The logger is process-wide configuration set once at start-up (level, fd); every
 * line is written with a single write(2) so lines from threads never interleave. */
#ifndef CATALOGD_LOG_H
#define CATALOGD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level_t;

/* Parses "debug|info|warn|error|off"; returns false on anything else. */
bool log_parse_level(const char *s, log_level_t *out);
void log_setup(log_level_t level, int fd);
bool log_enabled(log_level_t level);

/* Writes {"ts":...,"level":...,"msg":msg, <fields>}. fields is a printf format producing
 * zero or more `"key":value` pairs separated by commas (already JSON), or NULL. */
void log_write(log_level_t level, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(msg, ...) log_write(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...)  log_write(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...)  log_write(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_write(LOG_ERROR, msg, __VA_ARGS__)

/* JSON-escapes s into out (capacity cap, always NUL-terminated, truncating);
 * for building field strings. Returns out. */
char *log_escape(char *out, unsigned cap, const char *s);

/* A line built field by field, without printf, for the hot path (the request line):
 * log_line_start, then fields in order, then log_line_end writes it with one write(2).
 * A line that would pass LOG_LINE_MAX is cut short at a field boundary, still valid JSON. */
#define LOG_LINE_MAX 4096

typedef struct log_line {
    char p[LOG_LINE_MAX];
    size_t n;
} log_line_t;

/* {"ts":...,"level":...,"msg":msg (the caller checks log_enabled first). */
void log_line_start(log_line_t *l, log_level_t level, const char *msg);
/* ,"key":"value" with value JSON-escaped (NULL reads as ""); key is taken as JSON-safe. */
void log_line_str(log_line_t *l, const char *key, const char *value);
/* ,"key":v */
void log_line_int(log_line_t *l, const char *key, int64_t v);
/* ,"key":v/1000 with exactly three decimals (what printf's %.3f of v / 1000.0 shows). */
void log_line_milli(log_line_t *l, const char *key, int64_t v);
/* Closes the object and writes the line. */
void log_line_end(log_line_t *l);

#endif
