/* test_log.c - the JSON-lines logger: the line layout and timestamp, field escaping, the
 * printf-free request-line builder (integers, milliseconds, cut at a field boundary when
 * a line would pass LOG_LINE_MAX), and log_write's truncation. Lines go to a temporary file. */
#include "core/log.h"

#include "check.h"
#include "core/enc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_file = -1;

/* What was logged since the last call (one or more lines), NUL-terminated; n gets its size. */
static const char *logged(size_t *n)
{
    static char text[3 * LOG_LINE_MAX];
    off_t end = lseek(log_file, 0, SEEK_CUR);
    ssize_t got = pread(log_file, text, sizeof text - 1, 0);
    text[got > 0 ? got : 0] = '\0';
    if (n) *n = got > 0 ? (size_t)got : 0;
    CHECK(end == got);
    CHECK(ftruncate(log_file, 0) == 0);
    lseek(log_file, 0, SEEK_SET);
    return text;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_layout(void)
{
    int64_t before = now_ms();
    log_line_t l;
    log_line_start(&l, LOG_INFO, "request");
    log_line_str(&l, "request_id", "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0");
    log_line_str(&l, "principal", "arn:aws:iam::123456789012:user/a\"b\\c\n\x01");
    log_line_str(&l, "service", NULL);
    log_line_int(&l, "status", 200);
    log_line_int(&l, "neg", -42);
    log_line_int(&l, "min", INT64_MIN);
    log_line_milli(&l, "latency_ms", 1234);
    log_line_milli(&l, "small", 5);
    log_line_milli(&l, "zero", 0);
    log_line_milli(&l, "big", 98765432);
    log_line_end(&l);
    int64_t after = now_ms();
    const char *line = logged(NULL);
    /* {"ts":"2026-11-30T03:48:00.123Z", */
    CHECK(strncmp(line, "{\"ts\":\"", 7) == 0);
    int64_t ts = 0;
    CHECK(strlen(line) > 32 && line[31] == '"');
    CHECK(enc_parse_iso8601(span_make(line + 7, 24), &ts));
    CHECK(ts >= before - before % 1000 - 1000 && ts <= after);
    char iso[32];
    enc_iso8601(ts, iso);
    CHECK(strncmp(line + 7, iso, 24) == 0);
    CHECK_STR(line + 31,
              "\",\"level\":\"info\",\"msg\":\"request\","
              "\"request_id\":\"0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0\","
              "\"principal\":\"arn:aws:iam::123456789012:user/a\\\"b\\\\c\\u000a\\u0001\","
              "\"service\":\"\",\"status\":200,\"neg\":-42,\"min\":-9223372036854775808,"
              "\"latency_ms\":1.234,\"small\":0.005,\"zero\":0.000,\"big\":98765.432}\n");
}

/* The milliseconds read as printf's %.3f of v / 1000.0 would write them. */
static void test_milli_matches_printf(void)
{
    for (int64_t v = 0; v < 200000; v += 7) {
        log_line_t l = {.n = 0};
        log_line_milli(&l, "k", v);
        char want[64];
        snprintf(want, sizeof want, ",\"k\":%.3f", (double)v / 1000.0);
        l.p[l.n] = '\0';
        if (strcmp(l.p, want) != 0) {
            CHECK_STR(l.p, want);
            break;
        }
    }
}

static void test_long_lines(void)
{
    char big[6000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    /* a field that does not fit is left out whole; later small ones still go in */
    log_line_t l;
    log_line_start(&l, LOG_WARN, "long");
    log_line_str(&l, "a", "1");
    log_line_str(&l, "big", big);
    log_line_int(&l, "b", 2);
    log_line_end(&l);
    size_t n;
    const char *line = logged(&n);
    CHECK(strstr(line, "\"level\":\"warn\",\"msg\":\"long\",\"a\":\"1\",\"b\":2}\n") != NULL);
    /* many fields: cut at a field boundary, never past LOG_LINE_MAX */
    log_line_start(&l, LOG_INFO, "many");
    for (int i = 0; i < 100; i++) log_line_str(&l, "field", big + sizeof big - 60);
    log_line_end(&l);
    line = logged(&n);
    CHECK(n <= LOG_LINE_MAX);
    CHECK(n > 2 && strcmp(line + n - 3, "\"}\n") == 0);
    CHECK(strlen(line) == n);
    /* log_write keeps what fits of a long printf field and still closes the object */
    log_write(LOG_ERROR, "printf", "\"detail\":\"%s\"", big);
    line = logged(&n);
    CHECK(n == LOG_LINE_MAX - 1);
    CHECK(strlen(line) == n);
    CHECK(n > 2 && strcmp(line + n - 3, "x}\n") == 0);
    log_write(LOG_INFO, "fields", "\"n\":%d,\"s\":\"%s\"", 7, "v");
    line = logged(&n);
    CHECK(strstr(line, "\"level\":\"info\",\"msg\":\"fields\",\"n\":7,\"s\":\"v\"}\n") != NULL);
    log_write(LOG_INFO, "none", NULL);
    line = logged(&n);
    CHECK(strstr(line, "\"msg\":\"none\"}\n") != NULL);
    log_write(LOG_DEBUG, "below the level", NULL);
    CHECK_INT(strlen(logged(NULL)), 0);
}

int main(void)
{
    char path[] = "/tmp/catalogd-log-XXXXXX";
    log_file = mkstemp(path);
    CHECK(log_file >= 0);
    unlink(path);
    log_setup(LOG_INFO, log_file);
    test_layout();
    test_milli_matches_printf();
    test_long_lines();
    log_setup(LOG_INFO, 2);
    close(log_file);
    return CHECK_DONE();
}
