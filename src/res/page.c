/* page.c - paging by key: the opaque page tokens every list operation hands out, and the
 * keyset reads of resources and links behind them. A token names the sort key of the
 * last item returned, never a position, so rows created or deleted between two pages
 * neither shift nor repeat what the later pages return (docs/internals/store.md). */
#include "res/res.h"

#include "core/buf.h"
#include "core/enc.h"
#include "core/mem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int res_text_cmp(const char *a, const char *b)
{
    if (!a || !b) return (a != NULL) - (b != NULL); /* NULL sorts first */
    return strcmp(a, b);
}

int res_pkey_cmp(const res_pkey_t *a, const res_pkey_t *b)
{
    int d = res_text_cmp(a->s, b->s);
    if (!d) d = (a->n > b->n) - (a->n < b->n);
    if (!d) d = (a->seq > b->seq) - (a->seq < b->seq);
    if (!d) d = res_text_cmp(a->id, b->id);
    return d;
}

/* Copies k into p's storage slot (texts cut at RES_PKEY_TEXT - 1 bytes). */
static void res_pkey_keep(res_page_t *p, res_pkey_t *dst, int slot, const res_pkey_t *k)
{
    *dst = *k;
    if (k->s) dst->s = memcpy(p->text[slot], k->s, strnlen(k->s, RES_PKEY_TEXT - 1) + 1);
    if (k->s) p->text[slot][RES_PKEY_TEXT - 1] = '\0';
    if (k->id) dst->id = memcpy(p->text[slot + 1], k->id, strnlen(k->id, RES_PKEY_TEXT - 1) + 1);
    if (k->id) p->text[slot + 1][RES_PKEY_TEXT - 1] = '\0';
}

/* The integrity tag of a token's payload for scope: binds it to one operation and sort. */
static uint32_t res_page_tag(const char *scope, span_t payload)
{
    return span_fnv1a(span_fnv1a(SPAN_FNV_BASIS, span_of(scope)), payload);
}

/* Reads one "<integer>:" field of a token at *s (before end); false when malformed. */
static bool res_page_field(const char **s, const char *end, long long *v)
{
    char *stop;
    if (*s >= end || !(**s == '-' || (**s >= '0' && **s <= '9'))) return false;
    errno = 0;
    *v = strtoll(*s, &stop, 10);
    if (errno || stop >= end || *stop != ':') return false;
    *s = stop + 1;
    return true;
}

/* Parses "p1:<n>:<seq>:<s length>:<id length>:<s><id>" (length -1: NULL) into p->from;
 * false when malformed. */
static bool res_page_parse(res_page_t *p, const char *s, size_t len)
{
    const char *end = s + len;
    long long n, seq, sl, il;
    if (len < 3 || memcmp(s, "p1:", 3)) return false;
    s += 3;
    if (!res_page_field(&s, end, &n) || !res_page_field(&s, end, &seq) ||
        !res_page_field(&s, end, &sl) || !res_page_field(&s, end, &il))
        return false;
    if (sl < -1 || il < -1 || sl >= RES_PKEY_TEXT || il >= RES_PKEY_TEXT ||
        end - s != (sl > 0 ? sl : 0) + (il > 0 ? il : 0))
        return false;
    res_pkey_t *k = &p->from;
    *k = (res_pkey_t){.n = n, .seq = seq};
    if (sl >= 0) {
        memcpy(p->text[0], s, (size_t)sl);
        p->text[0][sl] = '\0';
        k->s = p->text[0];
        s += sl;
    }
    if (il >= 0) {
        memcpy(p->text[1], s, (size_t)il);
        p->text[1][il] = '\0';
        k->id = p->text[1];
    }
    /* a text with a NUL inside would not round-trip */
    return (!k->s || (long long)strlen(k->s) == sl) && (!k->id || (long long)strlen(k->id) == il);
}

bool res_page_begin(res_page_t *p, const char *scope, int64_t limit, bool desc, const char *token)
{
    memset(p, 0, sizeof(*p));
    p->scope = scope;
    p->limit = limit > 0 ? limit : INT64_MAX;
    p->desc = desc;
    if (!token || !*token) return true;
    buf_t b;
    buf_init(&b, RES_PAGE_TOKEN_MAX);
    bool ok =
        strlen(token) < RES_PAGE_TOKEN_MAX && enc_base64_decode(&b, span_of(token)) && b.len > 9;
    if (ok) {
        char tag[9];
        snprintf(tag, sizeof(tag), "%08" PRIx32,
                 res_page_tag(scope, (span_t){buf_str(&b) + 8, b.len - 8}));
        ok = !memcmp(tag, buf_str(&b), 8) && res_page_parse(p, buf_str(&b) + 8, b.len - 8);
    }
    buf_free(&b);
    p->after = ok;
    return ok;
}

res_offer_t res_page_offer(res_page_t *p, const res_pkey_t *k)
{
    if (p->after) {
        int d = res_pkey_cmp(k, &p->from);
        if (p->desc ? d >= 0 : d <= 0) return RES_PAGE_SKIP;
    }
    if (p->taken >= p->limit) {
        p->more = true;
        return RES_PAGE_FULL;
    }
    p->taken++;
    res_pkey_keep(p, &p->last, 2, k);
    return RES_PAGE_TAKE;
}

void res_page_out(const res_page_t *p, cJSON *out, const char *member)
{
    char t[RES_PAGE_TOKEN_MAX];
    if (res_page_next(p, t)) cJSON_AddStringToObject(out, member, t);
}

const char *res_page_next(const res_page_t *p, char out[RES_PAGE_TOKEN_MAX])
{
    if (!p->more) return NULL;
    const res_pkey_t *k = &p->last;
    buf_t plain, b;
    buf_init(&plain, RES_PAGE_TOKEN_MAX);
    buf_init(&b, RES_PAGE_TOKEN_MAX);
    buf_printf(&plain, "00000000p1:%lld:%lld:%lld:%lld:%s%s", (long long)k->n, (long long)k->seq,
               k->s ? (long long)strlen(k->s) : -1LL, k->id ? (long long)strlen(k->id) : -1LL,
               k->s ? k->s : "", k->id ? k->id : "");
    char tag[9];
    snprintf(tag, sizeof(tag), "%08" PRIx32,
             res_page_tag(p->scope, (span_t){buf_str(&plain) + 8, plain.len - 8}));
    memcpy(plain.p, tag, 8);
    enc_base64(&b, plain.p, plain.len);
    snprintf(out, RES_PAGE_TOKEN_MAX, "%s", buf_str(&b));
    buf_free(&plain);
    buf_free(&b);
    return out;
}

/* ---- keyset reads */

err_t res_list_page(store_tx_t *tx, const res_query_t *q, res_page_t *p, res_keep_fn keep,
                    void *ctx, cJSON *array, errbuf_t *eb)
{
    /* the first page starts below (above) every key; later ones after the token's */
    bool after = p->after;
    if (after && p->segment) { /* a later segment starts at its beginning, an earlier is done */
        int d = res_text_cmp(p->segment, p->from.s);
        if (p->desc ? d > 0 : d < 0) return ERR_OK;
        after = d == 0;
    }
    int64_t n = after ? p->from.n : p->desc ? INT64_MAX : INT64_MIN;
    int64_t seq = after ? p->from.seq : p->desc ? INT64_MAX : INT64_MIN;
    store_stmt_t *st;
    err_t rc;
    if (q->parent && p->desc)
        rc = store_query(tx, eb, &st,
                         "SELECT body, created_ms, seq FROM resources WHERE account = ? AND"
                         " kind = ? AND parent = ? AND (created_ms, seq) < (?, ?)"
                         " ORDER BY created_ms DESC, seq DESC",
                         "sssii", q->account, q->kind, q->parent, n, seq);
    else if (q->parent)
        rc = store_query(tx, eb, &st,
                         "SELECT body, created_ms, seq FROM resources WHERE account = ? AND"
                         " kind = ? AND parent = ? AND (created_ms, seq) > (?, ?)"
                         " ORDER BY created_ms, seq",
                         "sssii", q->account, q->kind, q->parent, n, seq);
    else if (p->desc)
        rc = store_query(tx, eb, &st,
                         "SELECT body, created_ms, seq FROM resources WHERE account = ? AND"
                         " kind = ? AND (created_ms, seq) < (?, ?)"
                         " ORDER BY created_ms DESC, seq DESC",
                         "ssii", q->account, q->kind, n, seq);
    else
        rc = store_query(tx, eb, &st,
                         "SELECT body, created_ms, seq FROM resources WHERE account = ? AND"
                         " kind = ? AND (created_ms, seq) > (?, ?) ORDER BY created_ms, seq",
                         "ssii", q->account, q->kind, n, seq);
    return rc ? rc : res_page_rows(st, p, -1, keep, ctx, array, eb);
}

err_t res_page_rows(store_stmt_t *st, res_page_t *p, int s_col, res_keep_fn keep, void *ctx,
                    cJSON *array, errbuf_t *eb)
{
    /* rows stream in key order: reading stops at the first kept row past the page */
    bool row;
    err_t rc;
    while (!(rc = store_step(st, &row, eb)) && row) {
        cJSON *b = cJSON_Parse(store_col_text(st, 0));
        if (!b) return err_fail(eb, ERR_INTERNAL, "a stored resource body is not JSON");
        bool ok = true;
        res_pkey_t k = {.s = s_col < 0 ? p->segment : store_col_text(st, s_col),
                        .n = store_col_int(st, 1),
                        .seq = store_col_int(st, 2)};
        if (keep) rc = keep(ctx, b, &k, &ok);
        res_offer_t o = !rc && ok ? res_page_offer(p, &k) : RES_PAGE_SKIP;
        if (o == RES_PAGE_TAKE)
            cJSON_AddItemToArray(array, b);
        else
            cJSON_Delete(b);
        if (rc || o == RES_PAGE_FULL || p->done) break;
    }
    return rc;
}

err_t res_links_page(store_tx_t *tx, const char *account, const char *kind, bool by_a,
                     const char *key, res_page_t *p, res_keep_fn keep, void *ctx, cJSON *out,
                     errbuf_t *eb)
{
    int64_t n = p->after ? p->from.n : INT64_MIN;
    int64_t seq = p->after ? p->from.seq : INT64_MIN;
    store_stmt_t *st;
    err_t rc = by_a ? store_query(tx, eb, &st,
                                  "SELECT b, created_ms, seq FROM links WHERE account = ? AND"
                                  " kind = ? AND a = ? AND (created_ms, seq) > (?, ?)"
                                  " ORDER BY created_ms, seq",
                                  "sssii", account, kind, key, n, seq)
                    : store_query(tx, eb, &st,
                                  "SELECT a, created_ms, seq FROM links WHERE account = ? AND"
                                  " kind = ? AND b = ? AND (created_ms, seq) > (?, ?)"
                                  " ORDER BY created_ms, seq",
                                  "sssii", account, kind, key, n, seq);
    bool row;
    while (!rc && !(rc = store_step(st, &row, eb)) && row) {
        cJSON *end = cJSON_CreateString(store_col_text(st, 0));
        bool ok = true;
        res_pkey_t k = {.n = store_col_int(st, 1), .seq = store_col_int(st, 2)};
        if (keep) rc = keep(ctx, end, &k, &ok);
        res_offer_t o = !rc && ok ? res_page_offer(p, &k) : RES_PAGE_SKIP;
        if (o == RES_PAGE_TAKE)
            cJSON_AddItemToArray(out, end);
        else
            cJSON_Delete(end);
        if (o == RES_PAGE_FULL) break;
    }
    return rc;
}

/* ---- lists sorted in memory */

void res_sort_add(res_sort_t *s, cJSON *item, const res_pkey_t *k)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n].k = *k;
    s->v[s->n].k.s = k->s ? xstrdup(k->s) : NULL;
    s->v[s->n].k.id = k->id ? xstrdup(k->id) : NULL;
    s->v[s->n++].item = item;
}

static int res_sort_cmp(const void *x, const void *y)
{
    return res_pkey_cmp(&((const struct res_sort_item *)x)->k,
                        &((const struct res_sort_item *)y)->k);
}

void res_sort_page(res_sort_t *s, res_page_t *p, cJSON *out)
{
    if (s->n > 1) qsort(s->v, s->n, sizeof(*s->v), res_sort_cmp);
    bool full = false;
    for (size_t j = 0; j < s->n; j++) {
        struct res_sort_item *e = &s->v[p->desc ? s->n - 1 - j : j];
        if (!full) {
            res_offer_t o = res_page_offer(p, &e->k);
            full = o == RES_PAGE_FULL;
            if (o == RES_PAGE_TAKE) {
                cJSON_AddItemToArray(out, e->item);
                e->item = NULL;
            }
        }
        cJSON_Delete(e->item);
        free((char *)e->k.s);
        free((char *)e->k.id);
    }
    free(s->v);
    *s = (res_sort_t){0};
}
