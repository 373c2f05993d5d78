/* res.h - the resource layer every service keeps its entities in: typed rows of the
 * generic `resources` and `links` tables (schema.c), with the entity's attributes as a
 * JSON body that maps straight onto the model's output shapes. Also paging by key: the
 * opaque page tokens the list operations hand out (page.c). */
#ifndef CATALOGD_RES_H
#define CATALOGD_RES_H

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdint.h>

typedef struct res_key {
    const char *account;
    const char *kind; /* "sc.portfolio" */
    const char *id;
} res_key_t;

typedef struct res_row {
    const char *name;   /* unique within (account, kind), or NULL */
    const char *parent; /* or NULL */
    const char *state;  /* or NULL */
    int64_t created_ms, updated_ms;
} res_row_t;

/* Inserts a resource; ERR_STORE on a duplicate id or name (check first where it matters). */
err_t res_insert(store_tx_t *tx, const res_key_t *k, const res_row_t *row, const cJSON *body,
                 errbuf_t *eb);
/* Replaces body, state and updated_ms; *found tells whether the row exists. */
err_t res_update(store_tx_t *tx, const res_key_t *k, const char *state, int64_t updated_ms,
                 const cJSON *body, bool *found, errbuf_t *eb);
/* Deletes a resource; *found tells whether it existed. */
err_t res_delete(store_tx_t *tx, const res_key_t *k, bool *found, errbuf_t *eb);
/* Loads a body by id (*out NULL when absent; the caller owns the tree). */
err_t res_get(store_tx_t *tx, const res_key_t *k, cJSON **out, errbuf_t *eb);
/* Loads a body by unique name. */
err_t res_get_by_name(store_tx_t *tx, const char *account, const char *kind, const char *name,
                      cJSON **out, errbuf_t *eb);

/* ---- rate quotas (rate.c) */

/* Takes a token of the bucket `name` of scope at now_ms: per_s tokens a second, a burst of
 * as many, full when never used (per_s <= 0 never throttles). The bucket is a store row,
 * read and written in tx (a write transaction), so it is shared by every node of the store
 * and outlives a restart; a call rolled back takes nothing. *ok false when the bucket is
 * empty (nothing changes then but the refill). Errors are the store's. */
err_t res_rate_take(store_tx_t *tx, const char *scope, const char *name, int64_t per_s,
                    int64_t now_ms, bool *ok, errbuf_t *eb);

typedef struct res_query {
    const char *account;
    const char *kind;
    const char *parent; /* NULL: any */
    int64_t offset;
    int64_t limit; /* <= 0: no limit */
} res_query_t;

/* Appends the bodies of matching resources (oldest first) to array; *more tells whether
 * rows remain past offset + limit. */
err_t res_list(store_tx_t *tx, const res_query_t *q, cJSON *array, bool *more, errbuf_t *eb);
/* How many resources of q's account and kind there are: a counted kind's count (one row
 * read), else from the index (no body read). */
err_t res_count(store_tx_t *tx, const res_query_t *q, int64_t *n, errbuf_t *eb);

/* ---- paging by key (page.c)
 * Every list orders its items by a key and a page token names the key of the last item
 * returned, so the next page starts strictly after it: an item that exists throughout a
 * walk is returned exactly once whatever is created or deleted between the pages. Keys
 * compare by s (NULL first), then n, then seq, then id (NULL first); a list sets the parts
 * its order uses: creation order is (n = created_ms, seq). */
#define RES_PKEY_TEXT      256 /* texts in a key are cut to 255 bytes */
#define RES_PAGE_TOKEN_MAX 800 /* the longest token issued, NUL included */

typedef struct res_pkey {
    const char *s;  /* a text the list sorts by, or NULL */
    int64_t n;      /* a number the list sorts by (created_ms for creation order) */
    int64_t seq;    /* the row's insertion sequence (unique), or 0 */
    const char *id; /* a unique tie-break when the list has no seq, or NULL */
} res_pkey_t;

typedef struct res_page {
    const char *scope;   /* what tokens are bound to: the operation (and its sort) */
    const char *segment; /* a list read by several queries in turn: the part being read
                            now, stamped as s on the keys res_list_page offers */
    int64_t limit;       /* items per page */
    bool desc;           /* the list runs from the highest key down */
    bool after;          /* a token was given: the page starts after `from` */
    res_pkey_t from;
    int64_t taken; /* items on the page so far */
    bool more;     /* an item past the page exists */
    bool done;     /* a keep callback ends the read (its own page, of parts of rows, is full) */
    res_pkey_t last;
    char text[4][RES_PKEY_TEXT]; /* storage of from's and last's texts */
} res_page_t;

/* Starts a page of at most limit items (<= 0: unlimited) after token (NULL or "": the
 * first page). scope is borrowed for p's lifetime. Returns false for a token that this
 * server did not issue for scope (garbage, another operation's, another sort's): the
 * caller answers with its service's error. */
bool res_page_begin(res_page_t *p, const char *scope, int64_t limit, bool desc, const char *token);

typedef enum res_offer { RES_PAGE_SKIP, RES_PAGE_TAKE, RES_PAGE_FULL } res_offer_t;
/* Offers the next item of the list, in key order: SKIP when it was on an earlier page,
 * TAKE when it goes on this one (its key becomes the next token's), FULL when the page is
 * full (more is set: stop reading). Copies what it keeps of k. */
res_offer_t res_page_offer(res_page_t *p, const res_pkey_t *k);
/* The next page's token in out when more remain, else NULL. */
const char *res_page_next(const res_page_t *p, char out[RES_PAGE_TOKEN_MAX]);
/* Adds the next page's token to out under member ("NextToken", "NextPageToken", "Marker")
 * when more remain. */
void res_page_out(const res_page_t *p, cJSON *out, const char *member);
/* Key order: <0, 0, >0. */
int res_pkey_cmp(const res_pkey_t *a, const res_pkey_t *b);

/* Whether a row read for a page belongs to the list (a filter SQL cannot say); k is the
 * row's key. Errors stop the read. */
typedef err_t (*res_keep_fn)(void *ctx, const cJSON *body, const res_pkey_t *k, bool *keep);
/* One page of q's resources (q->offset and q->limit unused) in creation order, newest
 * first when p->desc, appended to array: rows are read in key order after p's token and
 * only until the page is full, each row that keep (NULL: every row) refuses is passed
 * over. Errors leave array partly filled. */
err_t res_list_page(store_tx_t *tx, const res_query_t *q, res_page_t *p, res_keep_fn keep,
                    void *ctx, cJSON *array, errbuf_t *eb);
/* One page of the links of kind whose a (by_a) or b is key, in creation order (p->desc
 * unused): the other ends, each that keep (NULL: every one) accepts as a string, appended
 * to out. */
err_t res_links_page(store_tx_t *tx, const char *account, const char *kind, bool by_a,
                     const char *key, res_page_t *p, res_keep_fn keep, void *ctx, cJSON *out,
                     errbuf_t *eb);

/* ---- indexed keys (keys.c)
 * A kind may declare keys: values read out of its bodies (an owner, a member a list sorts
 * by) that res_insert / res_update / res_delete keep in `resource_keys` beside the row,
 * with the row's created_ms and seq, so a list filters and sorts on them in SQL and reads
 * only its page. A value is text, never NULL ("" when the body has none); numbers that
 * sort are written zero-padded. */
typedef struct res_key_def {
    const char *field;  /* "owner", "Name", ... */
    const char *member; /* the value is this top-level string member of the body, or */
    void (*value)(const cJSON *body, buf_t *out); /* appends it (nothing: "") */
} res_key_def_t;
typedef struct res_keyer {
    const char *kind;
    const res_key_def_t *keys;
    size_t n;
    bool counted; /* res_insert / res_delete keep the kind's count per partition in
                     `resource_counts`, which res_count reads (schema.c migration 8 counts
                     the kinds that say so) */
} res_keyer_t;
/* Declares kind k->kind's keys (borrowed for the process's life; once at start-up, before
 * any thread reads or writes resources; a second call with the same k does nothing). */
void res_keys_register(const res_keyer_t *k);
/* Writes (replaces; fresh: a row just inserted, which has none) the keys of resource k
 * from body, when its kind has any. The row must exist. res_insert and res_update call it. */
err_t res_keys_write(store_tx_t *tx, const res_key_t *k, const cJSON *body, bool fresh,
                     errbuf_t *eb);
/* Does kind keep a count (its keyer's `counted`)? */
bool res_counted(const char *kind);
/* Removes resource k's keys (res_delete calls it). */
err_t res_keys_drop(store_tx_t *tx, const res_key_t *k, errbuf_t *eb);
/* At start-up, after the keyers are registered: writes the keys of account's rows that
 * lack one (rows from before a key existed, or written by other tools), in batches.
 * account NULL: of every partition the store holds (every account, and each account's
 * "ACCOUNT/REGION" partitions), and only the rows inserted since the last such pass when
 * that pass ran under the same declarations (a mark in `meta`: the highest seq it covered
 * and the kinds' keys), so that a start-up reads what was written since, not the store. */
err_t res_keys_backfill(store_t *s, const char *account, errbuf_t *eb);

typedef struct res_keyed {
    const char *account, *kind;
    const char *sort;  /* the key the list is sorted by (value, created_ms, seq); NULL:
                          creation order (created_ms, seq) */
    const char *field; /* only rows whose key field is value; NULL: every row */
    const char *value;
    bool prefix; /* res_keyed_count only: whose value starts with value */
} res_keyed_t;
/* One page of q's resources, read through resource_keys in q's order (descending when
 * p->desc) after p's token and only until the page is full, as res_list_page does (which
 * it is, with neither sort nor field). Keys offered: sorted, (s = value, n = created_ms,
 * seq); else (n = created_ms, seq), as res_list_page's. */
err_t res_keyed_page(store_tx_t *tx, const res_keyed_t *q, res_page_t *p, res_keep_fn keep,
                     void *ctx, cJSON *array, errbuf_t *eb);
/* How many of q's resources have key q->field equal to (starting with, when q->prefix)
 * q->value: counted in the index, no row read. */
err_t res_keyed_count(store_tx_t *tx, const res_keyed_t *q, int64_t *n, errbuf_t *eb);
/* Steps st, a keyset read whose columns are (body, created_ms, seq[, s at s_col]; s_col
 * -1: p->segment), offering each row keep accepts to p until the page is full. */
err_t res_page_rows(store_stmt_t *st, res_page_t *p, int s_col, res_keep_fn keep, void *ctx,
                    cJSON *array, errbuf_t *eb);

/* A list sorted in memory (by a member the store has no column for): the items with their
 * keys, then one page of them in key order. */
typedef struct res_sort {
    size_t n, cap;
    struct res_sort_item {
        res_pkey_t k; /* texts owned */
        cJSON *item;
    } * v;
} res_sort_t;
/* Adds item (taken) under key k (texts copied). */
void res_sort_add(res_sort_t *s, cJSON *item, const res_pkey_t *k);
/* Sorts s (descending when p->desc), offers each item to p and moves those it takes to out,
 * in order; frees the rest and s's storage. */
void res_sort_page(res_sort_t *s, res_page_t *p, cJSON *out);

#endif
