/* fuzz_pgsql.c - libFuzzer target for the PostgreSQL backend's SQL rewriting (pg_translate
 * in src/store/pg.c; no server needed). Each input, cut at its first NUL, is translated
 * as it is and behind "CREATE TABLE t (" (the DDL path), and checked:
 * - the text is kept and the output is a string (ASan: no write past it);
 * - the parameters are exactly the '?' outside quotes, numbered $1..$n in order, and no
 *   '?' is left outside quotes, every one inside them kept;
 * - undone ($k -> '?', TEXT COLLATE "C" -> TEXT, outside quotes) the output is the input,
 *   when the input has no '$' of its own.
 * Seed corpus: tests/fuzz/corpus/pgsql/. */
#include "fuzz_init.h"
#include "store/pg_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLATED " TEXT COLLATE \"C\""

/* '?' outside and inside quotes ('...' and "..."), as SQL scans them. */
static void count_marks(const char *s, int *outside, int *inside)
{
    char quote = 0;
    *outside = *inside = 0;
    for (; *s; s++) {
        if (quote) {
            *inside += *s == '?';
            if (*s == quote) quote = 0;
        } else if (*s == '\'' || *s == '"') {
            quote = *s;
        } else {
            *outside += *s == '?';
        }
    }
}

/* out with $1..$n and, in DDL, COLLATED (outside quotes) turned back into '?' and
 * " TEXT", into back (as long as out); the $k found must run 1..n in order. For an input
 * without '$': every '$' outside quotes is a parameter (its digits may run on into the
 * input's). */
static void undo(const char *out, int n, bool ddl, char *back)
{
    char quote = 0, num[16];
    int k = 0;
    size_t o = 0;
    for (const char *p = out; *p;) {
        int len = snprintf(num, sizeof(num), "$%d", k + 1);
        if (!quote && !strncmp(p, num, (size_t)len)) {
            back[o++] = '?';
            p += len;
            k++;
        } else if (!quote && ddl && !strncmp(p, COLLATED, strlen(COLLATED))) {
            memcpy(back + o, " TEXT", 5);
            o += 5;
            p += strlen(COLLATED);
        } else {
            if (quote && *p == quote)
                quote = 0;
            else if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            back[o++] = *p++;
        }
    }
    back[o] = '\0';
    if (k != n) __builtin_trap();
}

static void exercise(const char *sql)
{
    pg_sql_t *q = pg_translate(sql);
    if (strcmp(q->sql, sql)) __builtin_trap();
    int outside, inside, out_outside, out_inside;
    count_marks(sql, &outside, &inside);
    count_marks(q->pgsql, &out_outside, &out_inside);
    if (q->nparams != outside || out_outside != 0 || out_inside != inside) __builtin_trap();
    if (!strchr(sql, '$')) {
        char *back = malloc(strlen(q->pgsql) + 1);
        undo(q->pgsql, q->nparams,
             !strncmp(sql, "CREATE TABLE", 12) || !strncmp(sql, "ALTER TABLE", 11), back);
        if (strcmp(back, sql)) __builtin_trap();
        free(back);
    }
    pg_sql_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = malloc(size + 1);
    memcpy(sql, data, size);
    sql[size] = '\0';
    exercise(sql);
    size_t n = strlen(sql);
    char *ddl = malloc(n + 32);
    snprintf(ddl, n + 32, "CREATE TABLE t (%s", sql);
    exercise(ddl);
    free(ddl);
    free(sql);
    return 0;
}
