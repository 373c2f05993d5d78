/* err.c - lookups into the error table of err.h. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

typedef struct err_row {
    const char *code[3];
    int status[3];
    const char *name;
} err_row_t;

static const err_row_t *err_row(err_t e)
{
#define ROW_P(nm, num, jc, js, qc, qs, ec, es)                                                     \
    case ERR_##nm: {                                                                               \
        static const err_row_t r = {{jc, qc, ec}, {js, qs, es}, #nm};                              \
        return &r;                                                                                 \
    }
#define ROW_S(nm, num, c, s)                                                                       \
    case ERR_##nm: {                                                                               \
        static const err_row_t r = {{c, c, c}, {s, s, s}, #nm};                                    \
        return &r;                                                                                 \
    }
    switch (e) {
        ERR_TABLE(ROW_P, ROW_S)
    }
#undef ROW_P
#undef ROW_S
    return err_row(ERR_INTERNAL);
}

const char *err_code(err_t e, err_proto_t p)
{
    return err_row(e)->code[p];
}

int err_status(err_t e, err_proto_t p)
{
    return err_row(e)->status[p];
}

const char *err_name(err_t e)
{
    return err_row(e)->name;
}

int err_retryable(err_t e)
{
    return e == ERR_STORE_BUSY || e == ERR_THROTTLING || err_status(e, ERR_PROTO_JSON) >= 500;
}

err_t err_vfail(errbuf_t *eb, err_t e, const char *fmt, va_list ap)
{
    if (!eb) return e;
    /* formatted aside first: arguments may point into eb->msg ("%s", eb->msg) */
    char tmp[sizeof(eb->msg)];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    memcpy(eb->msg, tmp, sizeof(tmp));
    return e;
}

err_t err_fail(errbuf_t *eb, err_t e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vfail(eb, e, fmt, ap);
    va_end(ap);
    return e;
}
